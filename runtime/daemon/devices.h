/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every device of the compiled-in table, as one set: what main.c drives
 * through the daemon's lifecycle.
 */
#ifndef VDFW_DAEMON_DEVICES_H
#define VDFW_DAEMON_DEVICES_H

#include <stdbool.h>

/* Create (or, after a restart, reopen) every device and start attaching. */
int devices_start(void);
/* Every attach attempt has finished, successfully or not. */
bool devices_settled(void);
/* SIGCHLD: collect attach children. */
void devices_reap_children(void);
/* SIGUSR1: log per-device counters. */
void devices_dump_stats(void);
/* SIGUSR2 (link requests), SIGHUP (reconnect): through each model's ops. */
void devices_signal(int signo);
/* After every loop iteration: cheap housekeeping. */
void devices_tick(void);
/* Shutdown, step 1: start detaching every device from the bus. */
void devices_stop(void);
/* Detach still running, plus requests still held by backends. */
unsigned int devices_busy(void);
/* Shutdown, step 2: destroy every device. */
void devices_destroy(void);

#endif
