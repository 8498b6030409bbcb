/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IS_ENABLED(CONFIG_X): 1 when the generated autoconf.h defines CONFIG_X to 1,
 * else 0.  Lets code test options in plain C expressions so that both sides
 * of every branch are always compiled and type-checked.
 *
 * How: "CONFIG_X" expands to 1 when set; pasting it onto a probe name then
 * yields a macro that inserts an extra argument, which shifts the value we
 * pick out of the argument list.
 */
#ifndef VDFW_CORE_KCONFIG_H
#define VDFW_CORE_KCONFIG_H

#include "autoconf.h"

#define VDFW_PROBE_1 VDFW_PROBE_ARG,
#define VDFW_SECOND(ignored, val, ...) val
#define VDFW_PICK(arg_or_junk) VDFW_SECOND(arg_or_junk 1, 0, 0)
#define VDFW_PASTE(val) VDFW_PICK(VDFW_PROBE_##val)
#define IS_ENABLED(option) VDFW_PASTE(option)

#endif
