/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal io_uring wrapper over the raw syscalls: musl has no liburing,
 * and vdused needs only "fill SQEs, submit once, reap CQEs".  No SQPOLL,
 * no fixed files or buffers.  The kernel only reads the SQ inside
 * io_uring_enter(), which is what lets uring_unqueue() take back SQEs it
 * has not consumed.
 */
#ifndef VDFW_CORE_URING_H
#define VDFW_CORE_URING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/io_uring.h>

struct uring {
	int fd;
	/* Submission ring, shared with the kernel. */
	uint32_t *sq_khead;
	uint32_t *sq_ktail;
	uint32_t *sq_kflags;
	uint32_t sq_mask;
	uint32_t sq_entries;
	uint32_t sq_tail;		/* local tail: SQEs filled so far */
	struct io_uring_sqe *sqes;
	/* Completion ring. */
	uint32_t *cq_khead;
	uint32_t *cq_ktail;
	uint32_t cq_mask;
	struct io_uring_cqe *cqes;
	/* Mappings, for uring_exit(). */
	void *sq_ring;
	size_t sq_ring_len;
	void *cq_ring;			/* == sq_ring with a single mmap */
	size_t cq_ring_len;
	size_t sqes_len;
};

/* Set up a ring of @sq_entries SQEs and @cq_entries CQEs (powers of two). */
int uring_init(struct uring *u, unsigned int sq_entries,
	       unsigned int cq_entries);
void uring_exit(struct uring *u);
int uring_register_eventfd(struct uring *u, int efd);

/* A zeroed SQE to fill, or NULL when the SQ is full. */
struct io_uring_sqe *uring_get_sqe(struct uring *u);
/* SQEs filled but not yet consumed by the kernel. */
unsigned int uring_queued(const struct uring *u);
/*
 * Hand every queued SQE to the kernel with one io_uring_enter().  Returns
 * the number consumed or -errno; on error the SQEs stay queued.
 */
int uring_submit(struct uring *u);
/*
 * Take back the SQEs the kernel has not consumed, oldest first, so their
 * owner can fail them.  Returns the user_data of one, or false when none.
 */
bool uring_unqueue(struct uring *u, uint64_t *user_data);

/* Next completion, or NULL.  uring_cqe_seen() releases it. */
struct io_uring_cqe *uring_peek_cqe(struct uring *u);
void uring_cqe_seen(struct uring *u);
/*
 * The CQ overflowed: the kernel holds completions back until we enter it.
 * Returns true if it did and the backlog was pushed into the CQ.
 */
bool uring_flush_overflow(struct uring *u);

#endif
