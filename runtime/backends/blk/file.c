// SPDX-License-Identifier: GPL-2.0
/*
 * A regular file or a block device, driven through io_uring so that a slow
 * disk never stalls the loop: submit() only fills SQEs, unplug() hands them
 * to the kernel with one io_uring_enter(), and completions arrive on an
 * eventfd the loop watches.
 *
 * Policies:
 *  - A missing regular file is created at the configured capacity.  An
 *    existing file or device smaller than the capacity is refused: growing
 *    someone's image behind their back is worse than a clear error.
 *  - Short reads and writes are continued from where they stopped; one
 *    that makes no progress (EOF: the file shrank) fails with -EIO.
 *  - A block device is opened O_EXCL, so one that is mounted or served
 *    twice is refused rather than corrupted.
 *  - Discard and write-zeroes use fallocate().  The filesystem decides
 *    what works, so unsupported modes are learnt from -EOPNOTSUPP and the
 *    other mode is used from then on: a discard that cannot punch is a
 *    no-op (it is only a hint), and write-zeroes without UNMAP punches
 *    where ZERO_RANGE is missing (tmpfs), which still reads back zeroes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* fallocate() */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/falloc.h>
#include <linux/fs.h>

#include "../../core/compiler.h"
#include "../../core/iov.h"
#include "../../core/log.h"
#include "../../core/loop.h"
#include "../../core/uring.h"
#include "../../models/blk_backend.h"

/*
 * A test build (tests/tests.mk) compiles FLUSH out: acknowledged, and
 * nothing done, so the guest's crash boots can show that an acknowledged
 * flush survives because of FLUSH and nothing else.
 */
#ifdef VDUSED_TEST_NO_FLUSH
#define FILE_FLUSH_WORKS 0
#else
#define FILE_FLUSH_WORKS 1
#endif

#define FILE_SQ_ENTRIES 64
#define FILE_CQ_ENTRIES 1024
/* fallocate() runs in io_uring's workers: big ranges do not block us. */
#define FILE_MAX_DWZ_SECTORS (1u << 22)		/* 2 GiB */

#define MODE_PUNCH (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
#define MODE_ZERO (FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE)

struct file_backend {
	struct blk_backend be;
	int fd;
	bool no_punch;			/* PUNCH_HOLE is -EOPNOTSUPP here */
	bool no_zero_range;		/* ZERO_RANGE is -EOPNOTSUPP here */
	struct uring ring;
	unsigned int in_kernel;		/* submitted, CQE not yet reaped */
	struct blk_io *pend_head;	/* waiting for SQ/CQ room, FIFO */
	struct blk_io *pend_tail;
	struct loop_source src;		/* the completion eventfd */
};

static struct file_backend *to_file(struct blk_backend *be)
{
	return container_of(be, struct file_backend, be);
}

int blk_file_fd(const struct blk_backend *be)
{
	return container_of(be, struct file_backend, be)->fd;
}

static unsigned int file_wz_mode(struct file_backend *fb, struct blk_io *io)
{
	if (io->unmap && !fb->no_punch)
		return MODE_PUNCH;
	return fb->no_zero_range ? MODE_PUNCH : MODE_ZERO;
}

/* Fill an SQE for @io; false when the rings have no room for it. */
static bool file_prep(struct file_backend *fb, struct blk_io *io)
{
	struct io_uring_sqe *sqe;

	/* Never more in the kernel than the CQ holds: no overflow to manage. */
	if (fb->in_kernel + uring_queued(&fb->ring) >= FILE_CQ_ENTRIES)
		return false;
	sqe = uring_get_sqe(&fb->ring);
	if (!sqe)
		return false;
	sqe->fd = fb->fd;
	sqe->user_data = (uintptr_t)io;
	switch (io->op) {
	case BLK_IO_READ:
	case BLK_IO_WRITE:
		sqe->opcode = io->op == BLK_IO_READ ? IORING_OP_READV :
						      IORING_OP_WRITEV;
		sqe->addr = (uintptr_t)io->iov;
		sqe->len = io->iovcnt;
		sqe->off = io->offset + io->bpriv;
		break;
	case BLK_IO_FLUSH:
		if (!FILE_FLUSH_WORKS) {
			sqe->opcode = IORING_OP_NOP;
			break;
		}
		sqe->opcode = IORING_OP_FSYNC;
		sqe->fsync_flags = IORING_FSYNC_DATASYNC;
		break;
	case BLK_IO_DISCARD:
	case BLK_IO_WRITE_ZEROES:
		/* Remember the mode: -EOPNOTSUPP must blame the right one. */
		io->bpriv = io->op == BLK_IO_DISCARD ? MODE_PUNCH :
						       file_wz_mode(fb, io);
		sqe->opcode = IORING_OP_FALLOCATE;
		sqe->off = io->offset;
		sqe->addr = io->len;
		sqe->len = io->bpriv;
		break;
	}
	return true;
}

static void file_queue(struct file_backend *fb, struct blk_io *io)
{
	/* Behind anything already waiting, to keep submission order. */
	if (!fb->pend_head && file_prep(fb, io))
		return;
	io->next = NULL;
	if (fb->pend_tail)
		fb->pend_tail->next = io;
	else
		fb->pend_head = io;
	fb->pend_tail = io;
}

static void file_submit(struct blk_backend *be, struct blk_io *io)
{
	struct file_backend *fb = to_file(be);

	io->bpriv = 0;
	if ((io->op == BLK_IO_READ || io->op == BLK_IO_WRITE) && !io->len) {
		blk_backend_complete(be, io, 0);
		return;
	}
	/* Discard is only a hint: where it cannot work, it is done. */
	if (io->op == BLK_IO_DISCARD && fb->no_punch) {
		blk_backend_complete(be, io, 0);
		return;
	}
	file_queue(fb, io);
}

/* Nothing in the kernel will ever call us back: fail what is queued. */
static void file_fail_queued(struct file_backend *fb, int err)
{
	struct blk_io *io;
	uint64_t ud;

	while (uring_unqueue(&fb->ring, &ud))
		blk_backend_complete(&fb->be, (struct blk_io *)(uintptr_t)ud,
				     err);
	while ((io = fb->pend_head)) {
		fb->pend_head = io->next;
		blk_backend_complete(&fb->be, io, err);
	}
	fb->pend_tail = NULL;
}

static void file_unplug(struct blk_backend *be)
{
	struct file_backend *fb = to_file(be);
	struct blk_io *io;
	int ret;

	for (;;) {
		while ((io = fb->pend_head) && file_prep(fb, io)) {
			fb->pend_head = io->next;
			if (!fb->pend_head)
				fb->pend_tail = NULL;
		}
		if (!uring_queued(&fb->ring))
			return;
		ret = uring_submit(&fb->ring);
		if (ret < 0) {
			/* Transient (-EAGAIN, -EBUSY): retried after a CQE. */
			if (fb->in_kernel)
				return;
			dev_info(be->name, "file: io_uring submit: %s",
				 strerror(-ret));
			file_fail_queued(fb, -EIO);
			return;
		}
		fb->in_kernel += ret;
		if (!fb->pend_head || !ret)
			return;
	}
}

static void file_rw_done(struct file_backend *fb, struct blk_io *io, int res)
{
	uint64_t left = io->len - io->bpriv;

	if (res < 0 || (uint64_t)res > left) {
		blk_backend_complete(&fb->be, io, res < 0 ? res : -EIO);
		return;
	}
	if (!res) {
		/* No progress: the file ended early (it shrank) or is full. */
		blk_backend_complete(&fb->be, io, -EIO);
		return;
	}
	io->bpriv += res;
	if ((uint64_t)res == left) {
		blk_backend_complete(&fb->be, io, 0);
		return;
	}
	io->iov = iov_skip(io->iov, &io->iovcnt, res);
	file_queue(fb, io);
}

static void file_alloc_done(struct file_backend *fb, struct blk_io *io,
			    int res)
{
	if (res != -EOPNOTSUPP) {
		blk_backend_complete(&fb->be, io, res);
		return;
	}
	if (io->bpriv == MODE_PUNCH)
		fb->no_punch = true;
	else
		fb->no_zero_range = true;
	if (io->op == BLK_IO_DISCARD) {
		blk_backend_complete(&fb->be, io, 0);
		return;
	}
	/* Write-zeroes: try the other mode unless both are known missing. */
	if (fb->no_punch && fb->no_zero_range) {
		blk_backend_complete(&fb->be, io, -EOPNOTSUPP);
		return;
	}
	file_queue(fb, io);
}

static void file_reap(struct file_backend *fb)
{
	struct io_uring_cqe *cqe;
	struct blk_io *io;
	int res;

	while ((cqe = uring_peek_cqe(&fb->ring))) {
		io = (struct blk_io *)(uintptr_t)cqe->user_data;
		res = cqe->res;
		uring_cqe_seen(&fb->ring);
		fb->in_kernel--;
		switch (io->op) {
		case BLK_IO_READ:
		case BLK_IO_WRITE:
			file_rw_done(fb, io, res);
			break;
		case BLK_IO_FLUSH:
			blk_backend_complete(&fb->be, io, res);
			break;
		case BLK_IO_DISCARD:
		case BLK_IO_WRITE_ZEROES:
			file_alloc_done(fb, io, res);
			break;
		}
	}
}

static void file_handle(struct loop_source *src, uint32_t events)
{
	struct file_backend *fb = container_of(src, struct file_backend, src);
	uint64_t n;

	(void)events;
	/* Reset the counter first: a CQE posted after this re-arms it. */
	if (read(src->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		dev_info(fb->be.name, "file: eventfd: %s", strerror(errno));
	file_reap(fb);
	/* Continuations and work that waited for room. */
	file_unplug(&fb->be);
	fb->be.complete_batch(&fb->be);
}

static void file_close(struct blk_backend *be)
{
	struct file_backend *fb = to_file(be);

	loop_unwatch(&fb->src);
	uring_exit(&fb->ring);
	close(fb->src.fd);
	/*
	 * Shutdown: whatever the driver wrote without a FLUSH reaches the
	 * disk too.  Blocking is fine here: nothing is left to serve.
	 */
	if (fdatasync(fb->fd) && errno != EINVAL && errno != EBADF)
		dev_info(be->name, "file: fdatasync: %s", strerror(errno));
	close(fb->fd);
	free(fb);
}

static const struct blk_backend_ops file_ops = {
	.kind = "file",
	.submit = file_submit,
	.unplug = file_unplug,
	.close = file_close,
};

/*
 * A new backing file must survive a crash as a name, not only as data:
 * fdatasync() on FLUSH covers the file, not the directory entry that
 * finds it.  Make the entry durable before the first request.
 */
static void file_sync_dir(const char *path, const char *name)
{
	char dir[256];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd))
		dev_info(name, "file: cannot sync directory %s: %s", dir,
			 strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* Open (or create) cfg->path and learn its size. */
static int file_open_path(const struct blk_devcfg *cfg, int *fdp,
			  uint64_t *sizep, bool *is_blk)
{
	int flags = (cfg->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st;
	int fd, ret;

	/* A block device is ours alone: EBUSY if mounted or in use. */
	if (!stat(cfg->path, &st) && S_ISBLK(st.st_mode))
		flags |= O_EXCL;
	fd = open(cfg->path, flags);
	if (fd < 0 && errno == ENOENT && !cfg->readonly) {
		fd = open(cfg->path, flags | O_CREAT | O_EXCL, 0600);
		if (fd >= 0 && ftruncate(fd, cfg->capacity)) {
			ret = -errno;
			close(fd);
			unlink(cfg->path);
			return ret;
		}
		if (fd >= 0) {
			file_sync_dir(cfg->path, cfg->name);
			dev_info(cfg->name, "file: created %s", cfg->path);
		}
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		goto err_errno;
	*is_blk = S_ISBLK(st.st_mode);
	if (*is_blk) {
		if (ioctl(fd, BLKGETSIZE64, sizep))
			goto err_errno;
	} else if (S_ISREG(st.st_mode)) {
		*sizep = st.st_size;
	} else {
		close(fd);
		return -EINVAL;
	}
	*fdp = fd;
	return 0;

err_errno:
	ret = -errno;
	close(fd);
	return ret;
}

/*
 * Can this file punch holes?  Punching just past EOF answers without
 * touching a byte of data.  Block devices are not probed (their answer
 * may depend on the range); they learn at run time instead.
 */
static bool file_can_punch(int fd, uint64_t size)
{
	uint64_t off = (size + 4095) & ~4095ull;

	return !fallocate(fd, MODE_PUNCH, off, 4096) || errno != EOPNOTSUPP;
}

static int file_setup_ring(struct file_backend *fb)
{
	int ret;

	ret = uring_init(&fb->ring, FILE_SQ_ENTRIES, FILE_CQ_ENTRIES);
	if (ret)
		return ret;
	fb->src.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fb->src.fd < 0) {
		ret = -errno;
		goto err_ring;
	}
	ret = uring_register_eventfd(&fb->ring, fb->src.fd);
	if (ret)
		goto err_efd;
	fb->src.handle = file_handle;
	ret = loop_watch(&fb->src, EPOLLIN);
	if (ret)
		goto err_efd;
	return 0;

err_efd:
	close(fb->src.fd);
err_ring:
	uring_exit(&fb->ring);
	return ret;
}

static int file_open(struct blk_backend **bep, const struct blk_devcfg *cfg)
{
	struct file_backend *fb;
	bool is_blk, punch;
	uint64_t size;
	int ret;

	fb = calloc(1, sizeof(*fb));
	if (!fb)
		return -ENOMEM;
	ret = file_open_path(cfg, &fb->fd, &size, &is_blk);
	if (ret) {
		dev_info(cfg->name, "file: %s: %s", cfg->path,
			 ret == -EINVAL ? "not a regular file or block device"
					: strerror(-ret));
		goto err_free;
	}
	if (size < cfg->capacity) {
		dev_info(cfg->name,
			 "file: %s has %llu bytes, the device needs %llu",
			 cfg->path, (unsigned long long)size,
			 (unsigned long long)cfg->capacity);
		ret = -ENOSPC;
		goto err_close;
	}
	ret = file_setup_ring(fb);
	if (ret) {
		dev_info(cfg->name, "file: io_uring: %s", strerror(-ret));
		goto err_close;
	}
	punch = !cfg->readonly && (is_blk || file_can_punch(fb->fd, size));
	fb->be = (struct blk_backend) {
		.ops = &file_ops,
		.name = cfg->name,
		.size = cfg->capacity,
		.can_discard = punch,
		.can_write_zeroes = punch,
		.zeroes_may_unmap = punch,
		.max_discard_sectors = FILE_MAX_DWZ_SECTORS,
		.max_write_zeroes_sectors = FILE_MAX_DWZ_SECTORS,
	};
	if (!FILE_FLUSH_WORKS)
		dev_info(cfg->name, "file: test build: FLUSH does nothing");
	*bep = &fb->be;
	return 0;

err_close:
	close(fb->fd);
err_free:
	free(fb);
	return ret;
}

const struct blk_backend_kind blk_file_backend = {
	.name = "file",
	.open = file_open,
};
