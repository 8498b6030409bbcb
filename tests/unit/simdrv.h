/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Simulated virtio driver for unit tests: guest memory, a mapping source
 * for the device's iova_space, and the driver side of split virtqueues.
 * Used by the engine tests and by the blk/net model tests.
 * Link with simdrv.c, runtime/virtqueue/virtq.c and runtime/virtqueue/iova.c.
 *
 * Guest memory.  sim_mem_init() creates @size bytes of "guest memory" at
 * IOVA SIM_IOVA_BASE, cut into @nr equal regions.  The driver's view of
 * it (sim_host(), sim_write(), sim_read()) lays the regions out in
 * *reverse* order with an inaccessible guard page between them, so a
 * device that does not split a buffer crossing a region boundary touches
 * the wrong bytes or faults.  A region's permission can be changed or the
 * region unmapped (sim_region_set) to build hostile cases.  The memory is
 * a shared file, so a forked child acting as the device shares it with
 * the parent acting as the driver.
 *
 * The mapping source behaves like VDUSE's: every fetch maps a fresh view
 * of the region (between guard pages) at an address of its own, revoke
 * swaps a view for private scratch pages, and release makes the view
 * inaccessible (PROT_NONE; it stays reserved for a while, so a use after
 * release faults instead of reaching a newer view), so a device that
 * keeps a pointer past its region's release crashes the test.  With
 * fetch_pages set, a fetch returns only that many pages around the IOVA
 * (within its region): many small regions, far more than the cache
 * holds, as a driver with a vIOMMU makes.  Fetches, revokes and releases
 * are counted; sim_dev_iova() says which guest address a device pointer
 * stands for.
 *
 * Driver-side queue.  sim_vq_init() lays out the rings per the spec (each
 * ring inside one region), and keeps the driver's private state (free
 * descriptors, chains) outside guest memory, so a test can corrupt any
 * ring field through q->desc/avail/used without confusing the driver:
 *
 *	struct sim_seg segs[] = {
 *		{ .len = 16, .data = hdr },	   // device-readable
 *		{ .len = 512, .write = true },	   // device-writable
 *	};
 *	head = sim_vq_add_chain(&q, segs, 2);	// segs[i].iova now set
 *	kick = sim_vq_publish(&q);		// make it visible
 *	... device: virtq_pop/push/flush ...
 *	while (sim_vq_used(&q, &head, &len) == 1) ...
 *
 * Interrupts: sim_vq_start() points vq->notify at sim_vq_notify(), which
 * counts into q->irqs (vq->priv = q).  A model test whose transport owns
 * the notify path calls sim_vq_irq() from there instead.
 */
#ifndef VDFW_TESTS_SIMDRV_H
#define VDFW_TESTS_SIMDRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtqueue/iova.h"
#include "virtqueue/virtq.h"

#define SIM_MEM_SIZE (16u << 20)	/* default guest memory */
#define SIM_IOVA_BASE 0x40000000ULL	/* IOVA of the first guest byte */
#define SIM_MAX_REGIONS 256
#define SIM_PAGE 4096u
#define SIM_QUARANTINE 256	/* released views kept inaccessible */

struct sim_region {
	uint64_t iova;		/* first IOVA */
	uint64_t len;
	uint8_t *host;		/* where the bytes live in this process */
	uint8_t perm;		/* IOVA_PERM_* granted to the device */
	bool mapped;		/* false: fetch fails with -EFAULT */
};

/* One device view of (part of) a region, from a fetch. */
struct sim_view {
	uint64_t iova;		/* what it shows */
	uint64_t len;
	uint8_t *host;		/* where (a guard page either side) */
};

struct sim_mem {
	uint8_t *map;		/* driver's view, guard pages included */
	size_t map_len;
	int fd;			/* the guest memory itself */
	uint64_t size;		/* guest bytes */
	unsigned int nr;	/* regions */
	struct sim_region r[SIM_MAX_REGIONS];
	uint64_t brk;		/* allocator: next free offset */
	unsigned int fetch_pages; /* 0: a fetch returns the whole region */
	unsigned int fetches;	/* fetch calls (including failed ones) */
	unsigned int revokes;	/* revoke calls */
	unsigned int releases;	/* release calls */
	int live;		/* fetched and not yet released */
	/* Live views (fetched, not released), for sim_dev_iova(). */
	struct sim_view *views;
	unsigned int nr_views, cap_views;
	/* Released views, inaccessible until they drop off the end. */
	struct sim_view quarantine[SIM_QUARANTINE];
	unsigned int q_next;
	struct iova_space iova;	/* the device's cache, fed by this memory */
};

/* @size a multiple of @nr * SIM_PAGE; 0 = SIM_MEM_SIZE.  0 or -errno. */
int sim_mem_init(struct sim_mem *m, uint64_t size, unsigned int nr);
void sim_mem_free(struct sim_mem *m);
/* Forget all allocations (rings included!) and zero guest memory. */
void sim_mem_clear(struct sim_mem *m);

/* Region index holding @iova, or -1. */
int sim_region_of(const struct sim_mem *m, uint64_t iova);
/*
 * Change region @idx as an IOTLB update would: new permission, mapped or
 * not, and invalidate it in m->iova.
 */
void sim_region_set(struct sim_mem *m, unsigned int idx, uint8_t perm,
		    bool mapped);

/* Driver-side pointer to [iova, iova+len) in one region, or NULL. */
void *sim_host(struct sim_mem *m, uint64_t iova, uint64_t len);
/* Guest address a device pointer (from a live view) stands for, or 0. */
uint64_t sim_dev_iova(const struct sim_mem *m, const void *p);
/* mprotect() all of guest memory, the driver's view and the device's. */
int sim_mem_protect(struct sim_mem *m, int prot);
/* Copy to/from guest memory, across regions; false if out of range. */
bool sim_write(struct sim_mem *m, uint64_t iova, const void *p, uint64_t len);
bool sim_read(struct sim_mem *m, uint64_t iova, void *p, uint64_t len);

/*
 * Bump allocator over guest memory, zeroed; aborts when memory runs out.
 * sim_alloc() never crosses a region boundary; sim_alloc_span() returns
 * @len bytes (>= 2) that straddle one, half on each side.
 */
uint64_t sim_alloc(struct sim_mem *m, uint64_t len, uint64_t align);
uint64_t sim_alloc_span(struct sim_mem *m, uint64_t len);

/* One buffer of a request. */
struct sim_seg {
	uint32_t len;
	bool write;		/* device-writable */
	const void *data;	/* readable: copied in at add (NULL: zeroes) */
	uint64_t iova;		/* 0: allocate; set on return either way */
};

struct sim_vq {
	struct sim_mem *mem;
	uint16_t num;
	uint64_t features;	/* what the driver negotiated */
	uint64_t desc_iova, avail_iova, used_iova;
	/* Raw ring access for tests (little-endian fields). */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;

	uint16_t avail_idx;	/* next avail slot we fill */
	uint16_t kick_idx;	/* avail->idx at the last publish */
	uint16_t last_used;	/* next used slot we read */
	unsigned int kicks;	/* publishes after which we would kick */
	unsigned int irqs;	/* interrupts received */

	/* Private driver state, not in guest memory. */
	uint16_t free_head;
	unsigned int nr_free;
	uint16_t *next;		/* [num] free list / chain links */
	uint16_t *chain;	/* [num] descriptors a head's chain holds */
};

/* Lay out rings for @num (a power of two) in @m.  0 or -errno. */
int sim_vq_init(struct sim_vq *q, struct sim_mem *m, uint16_t num,
		uint64_t features);
void sim_vq_free(struct sim_vq *q);
/* Before starting: make avail->idx and used->idx (and shadows) @idx. */
void sim_vq_set_idx(struct sim_vq *q, uint16_t idx);
/*
 * Start device queue @vq on @q: sets vq->iova, notify and priv, then
 * virtq_start() with the ring IOVAs, avail->idx and q->features.
 */
int sim_vq_start(struct sim_vq *q, struct virtq *vq);

/*
 * Add a request.  The first @direct segments become plain chained
 * descriptors, the rest go into one indirect table at the end of the
 * chain (direct >= n: no indirect table; 0: all indirect).  Returns the
 * head, or -1 if descriptors ran out.  Visible after sim_vq_publish().
 */
int sim_vq_add(struct sim_vq *q, struct sim_seg *segs, unsigned int n,
	       unsigned int direct);
static inline int sim_vq_add_chain(struct sim_vq *q, struct sim_seg *s,
				   unsigned int n)
{
	return sim_vq_add(q, s, n, n);
}

static inline int sim_vq_add_indirect(struct sim_vq *q, struct sim_seg *s,
				      unsigned int n)
{
	return sim_vq_add(q, s, n, 0);
}

/* Put any value into the next avail slot (hostile tests). */
void sim_vq_offer(struct sim_vq *q, uint16_t head);
/*
 * Publish avail->idx; returns true if the driver would kick now (EVENT_IDX:
 * avail_event crossed; otherwise: VRING_USED_F_NO_NOTIFY clear).
 */
bool sim_vq_publish(struct sim_vq *q);
/*
 * Take one used entry: 1 (head, len set, chain freed), 0 (none), -1 (the
 * device returned a head that was not outstanding).
 */
int sim_vq_used(struct sim_vq *q, uint16_t *head, uint32_t *len);

/* Interrupt suppression, driver side. */
void sim_vq_set_used_event(struct sim_vq *q, uint16_t idx);
void sim_vq_set_avail_flags(struct sim_vq *q, uint16_t flags);
uint16_t sim_vq_avail_event(const struct sim_vq *q);

/*
 * What VDUSE_VQ_GET_INFO reports for @q once the driver made it ready:
 * its rings and size, and avail index 0 (the one the driver set up, not
 * the live one).
 */
struct vduse_vq_info;
void sim_vq_info(const struct sim_vq *q, unsigned int index,
		 struct vduse_vq_info *info);

/* virtq notify callback (vq->priv = q) and the counter it bumps. */
void sim_vq_notify(struct virtq *vq);
static inline void sim_vq_irq(struct sim_vq *q)
{
	q->irqs++;
}

#endif
