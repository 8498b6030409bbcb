// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vduse.h>

#include "iotlb.h"

static int vduse_iotlb_fetch(struct iova_space *s, uint64_t iova,
			     struct iova_map *m)
{
	const struct vduse_iotlb *t = s->priv;
	struct vduse_iotlb_entry e = { .start = iova, .last = iova };
	int prot = 0, fd;
	void *host;

	fd = ioctl(t->fd, VDUSE_IOTLB_GET_FD, &e);
	/* The kernel says EINVAL for "nothing mapped there": that is EFAULT. */
	if (fd < 0)
		return errno == EINVAL ? -EFAULT : -errno;
	/* mmap() needs a readable file even for write-only access. */
	if (e.perm & VDUSE_ACCESS_RO)
		prot |= PROT_READ;
	if (e.perm & VDUSE_ACCESS_WO)
		prot |= PROT_WRITE;
	host = mmap(NULL, e.last - e.start + 1, prot, MAP_SHARED, fd, e.offset);
	close(fd);
	if (host == MAP_FAILED)
		return -errno;
	m->start = e.start;
	m->last = e.last;
	m->perm = e.perm & IOVA_PERM_RW;
	m->host = host;
	return 0;
}

static void retire(struct vduse_iotlb *t, void *addr, size_t len)
{
	struct iotlb_retired *r;

	if (t->nr_retired == t->cap_retired) {
		unsigned int cap = t->cap_retired ? t->cap_retired * 2 : 16;

		r = cap <= IOTLB_RETIRED_MAX ? realloc(t->retired, cap * sizeof(*r)) : NULL;
		if (!r) {
			/* Out of room: this region goes now, at some risk. */
			munmap(addr, len);
			return;
		}
		t->retired = r;
		t->cap_retired = cap;
	}
	t->retired[t->nr_retired++] = (struct iotlb_retired){ addr, len };
}

static void vduse_iotlb_release(struct iova_space *s, struct iova_map *m)
{
	size_t len = m->last - m->start + 1;
	void *p;

	/*
	 * Swap the driver's memory out from under any request still pointing
	 * at it: late writes land in private scratch pages, reads see zeroes.
	 */
	p = mmap(m->host, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED) {
		munmap(m->host, len);
		return;
	}
	retire(s->priv, p, len);
}

void vduse_iotlb_collect(struct vduse_iotlb *t)
{
	while (t->nr_retired) {
		struct iotlb_retired *r = &t->retired[--t->nr_retired];

		munmap(r->addr, r->len);
	}
}

const struct iova_source_ops vduse_iotlb_ops = {
	.fetch = vduse_iotlb_fetch,
	.release = vduse_iotlb_release,
};
