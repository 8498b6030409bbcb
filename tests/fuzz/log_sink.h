/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fuzz targets link instead of runtime/core/log.c, and how they
 * read a device's counters without writing them anywhere.
 *
 * Logging.  A fuzz target runs thousands of inputs a second; the lines the
 * runtime logs per input (device started, reset, link up...) would cost a
 * write() each and bury libFuzzer's own output.  The sink drops them
 * unless VDFW_FUZZ_LOG is set in the environment (to watch one input).
 *
 * Counters.  The fuzz targets are linked with -Wl,--wrap=stat_line, so
 * every stat_line() a model or backend makes reaches the sink: while
 * stat_snap() runs it is recorded in memory, otherwise it goes on to the
 * real stat_line().  The runtime is not changed for either.
 */
#ifndef VDFW_TESTS_FUZZ_LOG_SINK_H
#define VDFW_TESTS_FUZZ_LOG_SINK_H

#include <stdint.h>

#include "virtio/vdev.h"

#define STAT_SNAP_MAX 96

/* A device's model counters at one moment, in the order it dumps them. */
struct stat_snap {
	unsigned int n;
	uint64_t v[STAT_SNAP_MAX];
};

/* @d's model counters (its dump_stats, not the engine's lines). */
void stat_snap(const struct vdev *d, struct stat_snap *s);
/*
 * Where the counter called @name is in @d's snapshots (a model dumps
 * them in a fixed order); traps when there is none.  Slow: look it up
 * once, read v[] after.
 */
unsigned int stat_index(const struct vdev *d, const char *name);

#endif
