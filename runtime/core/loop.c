// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "compiler.h"
#include "loop.h"

static int epfd = -1;

int loop_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	return epfd < 0 ? -errno : 0;
}

void loop_exit(void)
{
	if (epfd >= 0)
		close(epfd);
	epfd = -1;
}

static int loop_ctl(int op, struct loop_source *src, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(epfd, op, src->fd, &ev) ? -errno : 0;
}

int loop_watch(struct loop_source *src, uint32_t events)
{
	return loop_ctl(EPOLL_CTL_ADD, src, events);
}

int loop_rearm(struct loop_source *src, uint32_t events)
{
	return loop_ctl(EPOLL_CTL_MOD, src, events);
}

void loop_unwatch(struct loop_source *src)
{
	if (src->fd >= 0)
		epoll_ctl(epfd, EPOLL_CTL_DEL, src->fd, NULL);
}

int loop_wait(int timeout_ms)
{
	struct epoll_event evs[32];
	int i, n;

	n = epoll_wait(epfd, evs, ARRAY_SIZE(evs), timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		struct loop_source *src = evs[i].data.ptr;

		src->handle(src, evs[i].events);
	}
	return n;
}
