/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueue engine, device side.  Device-agnostic: it knows rings,
 * descriptors and notification suppression, nothing about blk or net, and
 * it never waits: the owner calls it when a kick arrives.
 *
 * Every value read from driver memory is validated.  The first violation
 * marks the queue broken (vq->broken, reason in vq->err) and every later
 * call is a no-op; the owner then puts the whole device into NEEDS_RESET.
 *
 * Completions are batched: virtq_push() writes used entries, virtq_flush()
 * publishes them with one used->idx store and at most one notify().
 */
#ifndef VDFW_VIRTQUEUE_VIRTQ_H
#define VDFW_VIRTQUEUE_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_ring.h>

#include "iova.h"

#define VIRTQ_MAX_SIZE 32768

/*
 * Persistent per-queue record of what the device has consumed and not yet
 * completed.  It lives in a MAP_SHARED file under /run so that a restarted
 * vdused knows where it stopped: a process crash loses no store made here.
 * The engine orders its stores so that a kill at any instruction leaves a
 * log virtq_attach_log() can recover from (argument in virtq.c).
 *
 * Layout, virtq_log_size(num) bytes:
 *   the header below;
 *   inflight[num]:  1 = head consumed by a pop, its completion not yet
 *                   published (pushed-but-unflushed heads are still 1);
 *   padding to 2 bytes;
 *   heads[num]:     heads[slot] = head we pushed into used ring slot
 *                   (our own copy, so recovery never has to believe what
 *                   the driver may have scribbled into the used ring).
 */
#define VIRTQ_LOG_VERSION 1

struct virtq_log {
	uint16_t num;		/* queue size the log was made for */
	uint16_t last_avail;	/* next avail slot to consume */
	uint16_t used_idx;	/* used->idx as last published by us */
	uint16_t version;	/* VIRTQ_LOG_VERSION once valid, 0 = empty */
	uint8_t inflight[];	/* [num], then heads[] (see above) */
};

static inline unsigned long virtq_log_size(uint16_t num)
{
	return sizeof(struct virtq_log) + ((num + 1u) & ~1u) +
	       num * sizeof(uint16_t);
}

static inline uint16_t *virtq_log_heads(struct virtq_log *log, uint16_t num)
{
	return (uint16_t *)(void *)(log->inflight + ((num + 1u) & ~1u));
}

struct virtq_elem {
	uint16_t head;		/* first descriptor: the id for the used ring */
	uint16_t out_num;	/* iov[0, out_num): device reads (driver wrote) */
	uint16_t in_num;	/* iov[out_num, out_num+in_num): device writes */
	uint32_t out_len;	/* bytes in the readable part */
	uint32_t in_len;	/* bytes in the writable part */
	struct iovec *iov;	/* caller's storage ... */
	unsigned int iov_max;	/* ... and its capacity */
	/*
	 * The last writable byte of the chain (host address), or NULL when the
	 * chain has no writable part.  Valid even on -ENOSPC so a device can
	 * still report an error status for a request it could not map fully.
	 * On -ENOSPC out_len/in_len are valid too, out_num = in_num = 0.
	 */
	uint8_t *in_last;
	/*
	 * The IOVA in_last stands for (0 with it).  If the region under
	 * in_last dies before the device reports, the driver mapped that
	 * address anew: the status goes there, through a fresh lookup.
	 */
	uint64_t in_last_iova;
	/*
	 * Caller's storage, empty on entry: the regions the iovecs, in_last
	 * and the walk used are referenced here (see iova.h).  The caller
	 * drops them with iova_refs_put() once nothing touches the chain's
	 * memory any more, and asks iova_refs_ok() before reporting success.
	 * NULL: no references (the iovecs are valid until the next lookup).
	 */
	struct iova_refs *refs;
};

struct virtq_stats {
	uint64_t pops;		/* chains consumed */
	uint64_t kicks_enabled;	/* times we re-armed driver notifications */
	uint64_t notifies;	/* irqs sent */
	uint64_t notifies_suppressed;	/* flushes that needed no irq */
};

/*
 * The owner sets index, iova, notify and priv once; virtq_start() and
 * virtq_stop() keep them and (re)initialise everything else.
 */
struct virtq {
	uint16_t index;
	uint16_t num;		/* queue size, a power of two; 0 = not started */
	bool event_idx;		/* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;		/* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool broken;
	bool kicks_off;		/* virtq_disable_kicks() in effect */
	char err[128];		/* why broken, for the log */

	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;

	uint16_t last_avail;	/* next avail slot we consume */
	uint16_t shadow_avail;	/* avail->idx as last read and checked */
	uint16_t used_idx;	/* next used slot we fill (may be unpublished) */
	uint16_t published;	/* used->idx as we last stored it */
	uint16_t signalled;	/* used idx at our last irq decision */
	bool signalled_valid;	/* false: next flush interrupts regardless */
	unsigned int inflight_nr;	/* heads popped and not yet pushed */

	struct iova_space *iova;
	struct iova_refs ring_refs;	/* the rings' regions, while started */
	struct virtq_log *log;	/* optional persistent record */
	/* Send the used-buffer interrupt (VDUSE_VQ_INJECT_IRQ). */
	void (*notify)(struct virtq *vq);
	void *priv;		/* owner's context */
	struct virtq_stats stats;

	/* Bit h set: head h popped, not yet pushed. */
	uint64_t inflight[VIRTQ_MAX_SIZE / 64];
};

/*
 * Map and check the rings for a queue the driver made ready.  @avail_idx is
 * where consumption starts (VQ_GET_INFO's split.avail_index); publishing
 * resumes at the used->idx found in the ring (0 for a fresh ring).
 * @features are the negotiated feature bits (VERSION_1 required).  The
 * ring regions are referenced (vq->ring_refs) until virtq_stop().  Returns 0, or
 * -EINVAL (size, alignment, no VERSION_1), -EFAULT (not mapped, or not
 * inside one mapping), -EACCES (wrong permission), -ENOMEM (no room in
 * the IOVA cache), with vq->err set and the queue broken.
 * Calling it on a started queue stops that first.  vq->iova must be set.
 */
int virtq_start(struct virtq *vq, uint16_t num, uint64_t desc_iova,
		uint64_t driver_iova, uint64_t device_iova, uint16_t avail_idx,
		uint64_t features);
/* Forget the rings (reset / teardown).  Does not touch driver memory. */
void virtq_stop(struct virtq *vq);

/*
 * Consume the next available chain into @e (whose iov/iov_max the caller
 * set).  Returns
 *   1        a chain was consumed,
 *   0        nothing available,
 *   -ENOSPC  the chain was consumed but needs more than iov_max iovecs
 *            or IOVA_REFS_MAX regions (e->head, e->in_last valid;
 *            complete it with an error),
 *   -EBUSY   nothing consumed: the IOVA cache has no room until requests
 *            in flight drop their references; pop again after the next
 *            completion (back-pressure),
 *   -EPROTO  the driver broke the protocol; the queue is now broken
 *            (also returned by every later pop).
 * Except on 1 and -ENOSPC, e->refs is left empty.
 * A stopped queue returns 0.
 */
int virtq_pop(struct virtq *vq, struct virtq_elem *e);

/*
 * Rebuild @e for a head that is in flight (restart recovery).  Same
 * returns, plus -EINVAL if @head is not in flight (caller bug; the queue
 * is not broken by it).
 */
int virtq_map_head(struct virtq *vq, uint16_t head, struct virtq_elem *e);

/*
 * Record a completion: @len bytes were written into the chain.  Pushing a
 * head that is not in flight is a device bug: ignored, queue broken.
 */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);
/* Publish pushed completions and notify the driver if it asked for it. */
void virtq_flush(struct virtq *vq);

/*
 * Notification (kick) suppression around a processing batch.  After
 * processing, call virtq_enable_kicks(); if it returns true more work
 * arrived while kicks were off: process again.
 */
void virtq_disable_kicks(struct virtq *vq);
bool virtq_enable_kicks(struct virtq *vq);

/*
 * Persistent log.  virtq_attach_log() binds @log (size virtq_log_size(num))
 * to a started queue.  If @recover is true the log holds state from an
 * earlier process: last_avail is restored from it, completions we published
 * but had not yet cleared are reconciled against used->idx, and the heads
 * still in flight are written to @heads (at most @max); the return value is
 * their count (which may exceed @max: only @max are written).  The queue
 * then treats them as popped: virtq_map_head() each, complete with
 * virtq_push().  Recover right after virtq_start(), before any pop.
 * Recovery also sends one interrupt, since the dead process may have
 * published completions without one.
 * With @recover false the log is initialised from the queue (pending
 * completions are flushed first) and 0 is returned.
 * Returns -EINVAL (nothing changed) if the queue is not started or the
 * log is not a valid log of this queue size, -EPROTO (queue broken) if it
 * contradicts the rings.  @log must be 2-byte aligned.
 */
int virtq_attach_log(struct virtq *vq, struct virtq_log *log, bool recover,
		     uint16_t *heads, unsigned int max);

/*
 * Could the engine have written @log (found in a file an earlier process
 * left) for a queue of at most @max entries?  Only the log's own fields
 * are checked (version, num, indices, inflight[] and heads[] entries), and
 * no byte past virtq_log_size(@max) is read.  A log of version 0 holds
 * nothing (never initialised, cut short, or forgotten at a reset) and
 * passes.  Returns 0, or
 * -EINVAL with the first field that failed written to @why (if not NULL).
 */
int virtq_log_check(const struct virtq_log *log, uint16_t max, char *why,
		    size_t len);

/*
 * Take over a started queue that an earlier device served but left no log
 * of.  Without a log nothing says which consumed requests completed, so
 * the queue is taken only when none can be outstanding: every request the
 * driver offered (avail->idx) was published as used (used->idx).
 * Consumption then continues there, and one interrupt is sent (the dead
 * device may have published without one).  Returns 0; -EBUSY when requests
 * may be in flight (queue broken, reason in vq->err: the device must wait
 * for a driver reset); -EPROTO or -EINVAL as virtq_attach_log().  Call it
 * right after virtq_start(), before any pop.
 */
int virtq_adopt(struct virtq *vq);

#endif
