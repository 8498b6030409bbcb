/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counters: a device's stats file is one "name value" line per counter,
 * written by the engine, the model and the backend in turn.
 */
#ifndef VDFW_CORE_STATS_H
#define VDFW_CORE_STATS_H

#include <stdint.h>

void stat_line(int fd, const char *name, uint64_t value);

#endif
