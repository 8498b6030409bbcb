// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/log.h"
#include "../core/rundir.h"
#include "state.h"

static void state_path(char *buf, size_t len, const char *name)
{
	run_path(buf, len, name, ".state");
}

static bool state_matches(const struct vduse_state *st, uint32_t nr_vqs,
			  uint64_t features, uint16_t vq_size)
{
	return st->magic == VDUSE_STATE_MAGIC && st->nr_vqs == nr_vqs &&
	       st->features == features && st->vq_size == vq_size;
}

int vduse_state_open(struct vduse_state_file *sf, const char *name,
		     uint32_t nr_vqs, uint64_t features, uint16_t vq_size,
		     bool resume)
{
	unsigned long stride = (virtq_log_size(vq_size) + 7) & ~7UL;
	unsigned long size = sizeof(struct vduse_state) + nr_vqs * stride;
	struct stat sb;
	char path[256];
	int fd, ret;

	state_path(path, sizeof(path), name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) || (resume && (unsigned long)sb.st_size != size))
		resume = false;
	if (!resume && (ftruncate(fd, 0) || ftruncate(fd, size)))
		goto err;
	sf->st = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sf->st == MAP_FAILED)
		goto err;
	close(fd);
	sf->size = size;
	if (resume && state_matches(sf->st, nr_vqs, features, vq_size))
		return 1;
	if (resume)
		dev_info(name, "state file %s does not match the device; starting afresh",
			 path);
	memset(sf->st, 0, size);
	sf->st->nr_vqs = nr_vqs;
	sf->st->features = features;
	sf->st->vq_size = vq_size;
	sf->st->log_stride = stride;
	/* Last: a half-written header never looks valid. */
	__atomic_store_n(&sf->st->magic, VDUSE_STATE_MAGIC, __ATOMIC_RELEASE);
	return 0;
err:
	ret = -errno;
	close(fd);
	return ret;
}

void vduse_state_close(struct vduse_state_file *sf, const char *name,
		       bool remove)
{
	char path[256];

	if (!sf->st)
		return;
	munmap(sf->st, sf->size);
	sf->st = NULL;
	if (remove) {
		state_path(path, sizeof(path), name);
		unlink(path);
	}
}

struct virtq_log *vduse_state_log(struct vduse_state_file *sf,
				  unsigned int index)
{
	return (struct virtq_log *)((char *)(sf->st + 1) +
				    (unsigned long)index * sf->st->log_stride);
}
