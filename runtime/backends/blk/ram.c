// SPDX-License-Identifier: GPL-2.0
/*
 * RAM disk.  The contents live in a sparse file in the run directory (a
 * tmpfs) mapped shared, so only sectors the guest has written cost memory,
 * and the disk survives a vdused crash: the restarted daemon maps the same
 * file.  Discard and unmapping write-zeroes punch whole pages out of the
 * file, which keeps a long-running guest that trims from growing the disk
 * forever.  A clean shutdown removes the file with the device.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/compiler.h"
#include "../../core/fault.h"
#include "../../core/log.h"
#include "../../core/rundir.h"
#include "../../models/blk_backend.h"

/*
 * Bounds on the work one request may make the loop do synchronously:
 * releasing pages is cheap, writing zeroes into them is a memset.
 */
#define RAM_MAX_DISCARD_SECTORS (1u << 22)	/* 2 GiB */
#define RAM_MAX_WRITE_ZEROES_SECTORS (1u << 16)	/* 32 MiB */

struct ram_backend {
	struct blk_backend be;
	bool failed;			/* the backing tmpfs ran out */
	uint8_t *mem;
	uint64_t page;
	int fd;
	char path[256];
};

static struct ram_backend *to_ram(struct blk_backend *be)
{
	return container_of(be, struct ram_backend, be);
}

static void ram_copy(struct ram_backend *r, struct blk_io *io)
{
	uint8_t *p = r->mem + io->offset;
	unsigned int i;

	for (i = 0; i < io->iovcnt; i++) {
		if (io->op == BLK_IO_READ)
			memcpy(io->iov[i].iov_base, p, io->iov[i].iov_len);
		else
			memcpy(p, io->iov[i].iov_base, io->iov[i].iov_len);
		p += io->iov[i].iov_len;
	}
}

/* Zero [off, off+len); with @unmap give whole pages back instead. */
static void ram_zero(struct ram_backend *r, uint64_t off, uint64_t len,
		     bool unmap)
{
	uint64_t end = off + len;
	uint64_t pstart = (off + r->page - 1) & ~(r->page - 1);
	uint64_t pend = end & ~(r->page - 1);

	if (!unmap || pstart >= pend) {
		memset(r->mem + off, 0, len);
		return;
	}
	memset(r->mem + off, 0, pstart - off);
	/* A hole reads back as zeroes and costs no memory. */
	if (fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      pstart, pend - pstart))
		memset(r->mem + pstart, 0, pend - pstart);
	memset(r->mem + pend, 0, end - pend);
}

static void ram_submit(struct blk_backend *be, struct blk_io *io)
{
	struct ram_backend *r = to_ram(be);
	unsigned int faults = fault_seq();

	if (r->failed) {
		blk_backend_complete(be, io, -EIO);
		return;
	}
	switch (io->op) {
	case BLK_IO_READ:
	case BLK_IO_WRITE:
		ram_copy(r, io);
		break;
	case BLK_IO_FLUSH:
		break;
	case BLK_IO_DISCARD:
		ram_zero(r, io->offset, io->len, true);
		break;
	case BLK_IO_WRITE_ZEROES:
		ram_zero(r, io->offset, io->len, io->unmap);
		break;
	}
	/*
	 * A page the tmpfs could not supply faulted (see core/fault.h): the
	 * data went to a scratch page, not the disk.  Fail this request and
	 * every later one rather than pretend.
	 */
	if (fault_seq() != faults && fault_within(faults, r->mem, be->size)) {
		dev_info(be->name, "ram: %s is full: failing all I/O", r->path);
		r->failed = true;
		blk_backend_complete(be, io, -EIO);
		return;
	}
	blk_backend_complete(be, io, 0);
}

static void ram_unplug(struct blk_backend *be)
{
	(void)be;
}

static void ram_close(struct blk_backend *be)
{
	struct ram_backend *r = to_ram(be);

	munmap(r->mem, be->size);
	close(r->fd);
	unlink(r->path);
	free(r);
}

static const struct blk_backend_ops ram_ops = {
	.kind = "ram",
	.submit = ram_submit,
	.unplug = ram_unplug,
	.close = ram_close,
};

/*
 * Open (or, after a restart, reopen) the sparse backing file.  A file of
 * another size is from a different table: start that disk empty.
 */
static int ram_file(const char *path, const struct blk_devcfg *cfg)
{
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &st))
		goto err;
	if ((uint64_t)st.st_size == cfg->capacity) {
		if (st.st_blocks)
			dev_info(cfg->name, "ram: kept %llu KiB from before a restart",
				 (unsigned long long)st.st_blocks / 2);
		return fd;
	}
	if (ftruncate(fd, 0) || ftruncate(fd, cfg->capacity))
		goto err;
	return fd;
err:
	ret = -errno;
	dev_info(cfg->name, "ram: %s: %s", path, strerror(-ret));
	if (fd >= 0)
		close(fd);
	return ret;
}

static int ram_open(struct blk_backend **bep, const struct blk_devcfg *cfg)
{
	int prot = PROT_READ | (cfg->readonly ? 0 : PROT_WRITE);
	struct ram_backend *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->page = sysconf(_SC_PAGESIZE);
	run_path(r->path, sizeof(r->path), cfg->name, ".ram");
	r->fd = ram_file(r->path, cfg);
	if (r->fd < 0) {
		ret = r->fd;
		goto err_free;
	}
	r->mem = mmap(NULL, cfg->capacity, prot, MAP_SHARED, r->fd, 0);
	if (r->mem == MAP_FAILED) {
		ret = -errno;
		dev_info(cfg->name, "ram: cannot map %llu bytes: %s",
			 (unsigned long long)cfg->capacity, strerror(-ret));
		goto err_close;
	}
	r->be = (struct blk_backend) {
		.ops = &ram_ops,
		.name = cfg->name,
		.size = cfg->capacity,
		.can_discard = !cfg->readonly,
		.can_write_zeroes = !cfg->readonly,
		.zeroes_may_unmap = true,
		.max_discard_sectors = RAM_MAX_DISCARD_SECTORS,
		.max_write_zeroes_sectors = RAM_MAX_WRITE_ZEROES_SECTORS,
	};
	*bep = &r->be;
	return 0;

err_close:
	close(r->fd);
	unlink(r->path);
err_free:
	free(r);
	return ret;
}

const struct blk_backend_kind blk_ram_backend = {
	.name = "ram",
	.open = ram_open,
};
