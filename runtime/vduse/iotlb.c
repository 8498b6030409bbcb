// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
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

static void vduse_iotlb_revoke(struct iova_space *s, struct iova_map *m)
{
	size_t len = m->last - m->start + 1;

	/*
	 * MAP_FIXED replaces the mapping atomically: there is no moment at
	 * which the range is free for another mmap to take.  Should it fail,
	 * the driver's memory stays mapped, which is what the requests
	 * holding it expect anyway; only the isolation is lost.
	 */
	mmap(m->host, len, PROT_READ | PROT_WRITE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

static void vduse_iotlb_release(struct iova_space *s, struct iova_map *m)
{
	munmap(m->host, m->last - m->start + 1);
}

const struct iova_source_ops vduse_iotlb_ops = {
	.fetch = vduse_iotlb_fetch,
	.revoke = vduse_iotlb_revoke,
	.release = vduse_iotlb_release,
};
