/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one event loop of vdused.  Device models, backends and the VDUSE
 * layer never wait on anything themselves: they embed a loop_source, say
 * which fd to watch, and the loop calls handle() when it is ready.
 */
#ifndef VDFW_CORE_LOOP_H
#define VDFW_CORE_LOOP_H

#include <stdint.h>

struct loop_source {
	int fd;
	void (*handle)(struct loop_source *src, uint32_t events);
};

int loop_init(void);
void loop_exit(void);
/* events are EPOLL* bits; returns 0 or -errno */
int loop_watch(struct loop_source *src, uint32_t events);
int loop_rearm(struct loop_source *src, uint32_t events);
void loop_unwatch(struct loop_source *src);
/* Wait once (timeout_ms < 0: forever) and dispatch ready sources. */
int loop_wait(int timeout_ms);

#endif
