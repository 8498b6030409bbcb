// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/compiler.h"
#include "../core/log.h"
#include "../core/rundir.h"
#include "state.h"

static void state_path(char *buf, size_t len, const char *name)
{
	run_path(buf, len, name, ".state");
}

/* What this vdused writes for the device: the file is checked against it. */
static void state_layout(struct vduse_state_file *sf, uint32_t nr_vqs,
			 uint16_t vq_size)
{
	sf->nr_vqs = nr_vqs;
	sf->vq_size = vq_size;
	sf->stride = (virtq_log_size(vq_size) + 7) & ~7UL;
	sf->size = sizeof(struct vduse_state) + nr_vqs * sf->stride;
}

static int __printf(3, 4)
state_bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * Every field against what vduse_state_open() and the engine would have
 * written, the layout first since the logs are found through it.  The
 * status byte is left alone: it is whatever the driver last wrote.
 */
static int state_check(struct vduse_state_file *sf, uint64_t features,
		       char *why, size_t len)
{
	const struct vduse_state *st = sf->st;
	char lwhy[128];
	unsigned int i;

	if (st->magic != VDUSE_STATE_MAGIC)
		return state_bad(why, len, "magic %#x, expected %#x", st->magic,
				 VDUSE_STATE_MAGIC);
	if (st->nr_vqs != sf->nr_vqs)
		return state_bad(why, len, "nr_vqs %u, expected %u", st->nr_vqs,
				 sf->nr_vqs);
	if (st->vq_size != sf->vq_size)
		return state_bad(why, len, "vq_size %u, expected %u", st->vq_size,
				 sf->vq_size);
	if (st->log_stride != sf->stride)
		return state_bad(why, len, "log_stride %u, expected %lu",
				 st->log_stride, sf->stride);
	for (i = 0; i < sizeof(st->reserved); i++)
		if (st->reserved[i])
			return state_bad(why, len, "reserved[%u] %#x, expected 0",
					 i, st->reserved[i]);
	if (st->reserved2)
		return state_bad(why, len, "reserved2 %#x, expected 0",
				 st->reserved2);
	if (st->features != features)
		return state_bad(why, len, "features %#llx, expected %#llx",
				 (unsigned long long)st->features,
				 (unsigned long long)features);
	for (i = 0; i < sf->nr_vqs; i++)
		if (virtq_log_check(vduse_state_log(sf, i), sf->vq_size, lwhy,
				    sizeof(lwhy)))
			return state_bad(why, len, "vq%u log: %s", i, lwhy);
	return 0;
}

static void state_init(struct vduse_state_file *sf, uint64_t features)
{
	memset(sf->st, 0, sf->size);
	sf->st->nr_vqs = sf->nr_vqs;
	sf->st->features = features;
	sf->st->vq_size = sf->vq_size;
	sf->st->log_stride = sf->stride;
	/* Last: a half-written header never looks valid. */
	__atomic_store_n(&sf->st->magic, VDUSE_STATE_MAGIC, __ATOMIC_RELEASE);
}

int vduse_state_open(struct vduse_state_file *sf, const char *name,
		     uint32_t nr_vqs, uint64_t features, uint16_t vq_size,
		     bool resume)
{
	char path[256], why[192] = "";
	struct stat sb;
	int fd, ret;

	state_layout(sf, nr_vqs, vq_size);
	state_path(path, sizeof(path), name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb))
		goto err;
	/* Before mapping: reading past the end of a short file faults. */
	if (resume && (unsigned long long)sb.st_size != sf->size) {
		if (sb.st_size)
			snprintf(why, sizeof(why), "size %lld, expected %lu",
				 (long long)sb.st_size, sf->size);
		else
			snprintf(why, sizeof(why), "missing or empty");
		resume = false;
	}
	if (!resume && (ftruncate(fd, 0) || ftruncate(fd, sf->size)))
		goto err;
	sf->st = mmap(NULL, sf->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sf->st == MAP_FAILED) {
		sf->st = NULL;
		goto err;
	}
	close(fd);
	if (resume && !state_check(sf, features, why, sizeof(why)))
		return 1;
	if (why[0])
		dev_info(name, "state file %s: %s; starting without state", path,
			 why);
	state_init(sf, features);
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
	if (!sf->st || index >= sf->nr_vqs)
		return NULL;
	return (struct virtq_log *)((char *)(sf->st + 1) + index * sf->stride);
}

void vduse_state_forget(struct vduse_state_file *sf)
{
	unsigned int i;

	for (i = 0; i < sf->nr_vqs && sf->st; i++)
		WRITE_ONCE(vduse_state_log(sf, i)->version, 0);
}
