/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state directory (CONFIG_VDUSED_RUN_DIR, or $VDUSED_RUN_DIR): the
 * ready and lock files, and everything a restarted vdused needs from the
 * one before it (queue logs, RAM disk contents).  It must be a tmpfs or
 * similar that outlives the process but not the boot.
 */
#ifndef VDFW_CORE_RUNDIR_H
#define VDFW_CORE_RUNDIR_H

#include <stddef.h>

const char *run_dir(void);
/* "<run dir>/<name><suffix>" into @buf; creates the directory. */
void run_path(char *buf, size_t len, const char *name, const char *suffix);

#endif
