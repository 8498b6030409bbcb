/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One line per event on stderr (the console under init), prefixed
 * "vdused: " and, for device events, "<device>: ".
 */
#ifndef VDFW_CORE_LOG_H
#define VDFW_CORE_LOG_H

#include "compiler.h"

extern int log_verbose;

void log_msg(const char *dev, const char *fmt, ...) __printf(2, 3);
void log_dbg(const char *dev, const char *fmt, ...) __printf(2, 3);

#define pr_info(fmt, ...) log_msg(NULL, fmt, ##__VA_ARGS__)
#define dev_info(name, fmt, ...) log_msg(name, fmt, ##__VA_ARGS__)
#define dev_dbg(name, fmt, ...) log_dbg(name, fmt, ##__VA_ARGS__)

#endif
