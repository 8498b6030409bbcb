/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the ring engine (virtq.c) and its crash log (vqlog.c) only:
 * nothing outside virtqueue/ includes this.
 */
#ifndef VDFW_VIRTQUEUE_VIRTQ_PRIV_H
#define VDFW_VIRTQUEUE_VIRTQ_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/compiler.h"
#include "virtq.h"

/* Orders our stores to the log against each other (see vqlog.c). */
#define log_barrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)

/*
 * Break @vq: record why (vq->err) and refuse driver memory from now on.
 * Returns -EPROTO, for "return virtq_break(...)".
 */
int virtq_break(struct virtq *vq, const char *fmt, ...)
	__attribute__((cold)) __printf(2, 3);

static inline bool inflight_test(const struct virtq *vq, unsigned int h)
{
	return vq->inflight[h / 64] >> (h % 64) & 1;
}

static inline void inflight_set(struct virtq *vq, unsigned int h)
{
	vq->inflight[h / 64] |= 1ULL << (h % 64);
}

static inline void inflight_clear(struct virtq *vq, unsigned int h)
{
	vq->inflight[h / 64] &= ~(1ULL << (h % 64));
}

/* The event fields sit just past each ring (spec: used_event, avail_event). */
static inline uint16_t *used_event(struct virtq *vq)
{
	return &vq->avail->ring[vq->num];
}

static inline uint16_t *avail_event(struct virtq *vq)
{
	uint8_t *p = (uint8_t *)vq->used->ring;

	return (uint16_t *)(void *)(p + vq->num * sizeof(vq->used->ring[0]));
}

#endif
