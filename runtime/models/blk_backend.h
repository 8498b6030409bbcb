/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Storage behind a virtio-blk device.  The model hands a backend byte-range
 * operations that it has already validated (in range, aligned, allowed on
 * this device); a backend only moves data.
 *
 * Everything is asynchronous from the model's point of view: submit() starts
 * an operation and complete() reports it, either from inside submit()
 * (synchronous backends: ram, null) or later from the backend's loop
 * handler (file).  Handler-driven completions are followed by one
 * complete_batch() so the model publishes them with a single interrupt.
 *
 * Per batch the model calls submit() for every request, then unplug() once:
 * a backend that talks to the kernel defers its syscall to unplug(), so one
 * kick costs one syscall.
 */
#ifndef VDFW_MODELS_BLK_BACKEND_H
#define VDFW_MODELS_BLK_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "../devtable/devtable.h"

enum blk_io_op {
	BLK_IO_READ,
	BLK_IO_WRITE,
	BLK_IO_FLUSH,		/* make completed writes durable */
	BLK_IO_DISCARD,		/* contents of the range become undefined */
	BLK_IO_WRITE_ZEROES,	/* range reads back as zeroes */
};

struct blk_io {
	enum blk_io_op op;
	/* WRITE_ZEROES: the backend may deallocate instead of writing. */
	bool unmap;
	uint64_t offset;	/* bytes; offset + len <= backend size */
	uint64_t len;		/* bytes; for READ/WRITE the sum of iov */
	/*
	 * READ/WRITE buffers.  The backend owns the array (not the data)
	 * until completion and may rewrite it to continue a short transfer.
	 */
	struct iovec *iov;
	unsigned int iovcnt;
	int res;		/* set by the backend: 0 or -errno */
	/* Backend private: deferred-submission link and per-op state. */
	struct blk_io *next;
	uint64_t bpriv;
};

struct blk_backend;

struct blk_backend_ops {
	const char *kind;
	/* Start @io; be->complete() reports it, maybe before this returns. */
	void (*submit)(struct blk_backend *be, struct blk_io *io);
	/* End of a submission batch: start everything submit() deferred. */
	void (*unplug)(struct blk_backend *be);
	/* Release everything; only once inflight is 0 (or at exit). */
	void (*close)(struct blk_backend *be);
};

struct blk_backend {
	const struct blk_backend_ops *ops;
	const char *name;		/* device name, for logs */
	uint64_t size;			/* usable bytes (= the capacity) */
	/* What the device may offer; the model advertises nothing more. */
	bool can_discard;
	bool can_write_zeroes;
	bool zeroes_may_unmap;		/* WRITE_ZEROES+unmap may deallocate */
	uint32_t max_discard_sectors;
	uint32_t max_write_zeroes_sectors;
	unsigned int inflight;		/* submitted, not yet completed */

	/* Set by the owner before the first submit(). */
	void (*complete)(struct blk_backend *be, struct blk_io *io);
	void (*complete_batch)(struct blk_backend *be);
	void *owner;
};

/*
 * One kind of backend: what a table entry's backend points at.  Each
 * backends/blk/<kind>.c defines exactly one, blk_<kind>_backend, and
 * gen-devtable.py knows their names; the model opens whatever the entry
 * points at and names no backend itself.
 */
struct blk_backend_kind {
	const char *name;	/* as in the Kconfig BACKEND string */
	/*
	 * Open the backend @cfg describes.  The file backend watches its
	 * own completion eventfd, so loop_init() must have run.  Return 0
	 * or -errno after logging why under @cfg->name.
	 */
	int (*open)(struct blk_backend **bep, const struct blk_devcfg *cfg);
};

/* The file backend's data fd: lets tests swap in one that fails. */
int blk_file_fd(const struct blk_backend *be);

static inline void blk_backend_submit(struct blk_backend *be,
				      struct blk_io *io)
{
	be->inflight++;
	be->ops->submit(be, io);
}

/* Used by backends to report one operation. */
static inline void blk_backend_complete(struct blk_backend *be,
					struct blk_io *io, int res)
{
	io->res = res;
	be->inflight--;
	be->complete(be, io);
}

#endif
