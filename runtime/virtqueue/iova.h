/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IOVA -> host address translation for one device.
 *
 * The driver hands us I/O virtual addresses.  A mapping source (VDUSE's
 * IOTLB_GET_FD + mmap in vdused, plain test memory in the unit tests)
 * resolves one IOVA to the whole region around it; this cache keeps those
 * regions so the data path does no syscalls, and drops exactly the regions
 * that an IOTLB update or a reset invalidates.
 *
 * One iova_space belongs to one device and is used from one thread.
 *
 * Lifetime of host pointers.  A pointer from iova_translate() or iova_ptr()
 * stays valid until its region is released: by iova_invalidate(), by
 * iova_reset(), or by eviction when a miss finds the cache full (the least
 * recently used unpinned region goes).  Ring structures must outlive all of
 * that, so virtq_start() pins them with iova_pin(): a pinned region is never
 * evicted, and when it is invalidated it leaves the lookup table at once
 * (new translations fetch the new mapping) but is released only by its last
 * iova_unpin().
 */
#ifndef VDFW_VIRTQUEUE_IOVA_H
#define VDFW_VIRTQUEUE_IOVA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

/* Same values as VDUSE_ACCESS_RO/WO/RW: what the *device* may do. */
#define IOVA_PERM_READ 0x1
#define IOVA_PERM_WRITE 0x2
#define IOVA_PERM_RW (IOVA_PERM_READ | IOVA_PERM_WRITE)

struct iova_map {
	uint64_t start;		/* first IOVA covered */
	uint64_t last;		/* last IOVA covered (inclusive) */
	uint8_t *host;		/* host address of start */
	uint8_t perm;		/* IOVA_PERM_* */
	/* Cache bookkeeping, not set by fetch: */
	uint16_t pins;		/* iova_pin() users; never evicted while > 0 */
	uint32_t stamp;		/* LRU clock at the last slow-path lookup */
};

struct iova_space;

struct iova_source_ops {
	/*
	 * Resolve the region containing @iova into @m (start, last, host,
	 * perm); -errno if unmapped.  A result that does not contain @iova is
	 * treated as unmapped (and released).
	 */
	int (*fetch)(struct iova_space *s, uint64_t iova, struct iova_map *m);
	/* Release a region previously returned by fetch (munmap). */
	void (*release)(struct iova_space *s, struct iova_map *m);
};

#define IOVA_CACHE_MAX 64

struct iova_space {
	const struct iova_source_ops *ops;
	void *priv;			/* owner's context for ops */
	unsigned int nr;		/* cached regions, sorted by start */
	unsigned int hint;		/* index of the last hit (checked) */
	uint32_t clock;			/* LRU clock */
	unsigned int nr_stale;		/* invalidated but still pinned */
	struct iova_map maps[IOVA_CACHE_MAX];
	struct iova_map stale[IOVA_CACHE_MAX];
};

void iova_init(struct iova_space *s, const struct iova_source_ops *ops,
	       void *priv);
/*
 * Drop (release) every cached region overlapping [start, last].  Pinned
 * regions leave the cache too but are released by their last iova_unpin().
 */
void iova_invalidate(struct iova_space *s, uint64_t start, uint64_t last);
/* Drop everything (device reset, teardown); same rule for pinned regions. */
void iova_reset(struct iova_space *s);

int iova_translate_slow(struct iova_space *s, uint64_t iova, uint64_t len,
			unsigned int perm, struct iovec *iov, unsigned int max);

/*
 * Translate [iova, iova+len) for access @perm into at most @max iovecs,
 * splitting where the range crosses from one region into the next.
 * Returns the number of iovecs used, or
 *   -EFAULT  part of the range is not mapped (or iova+len overflows),
 *   -EACCES  a region lacks @perm,
 *   -ENOBUFS more than @max iovecs would be needed,
 *   other    -errno from the mapping source or a cache full of pins.
 * len == 0 returns 0.  With @iov NULL the range is only checked (no limit
 * on pieces) and the number of pieces is returned.
 *
 * The common case, a buffer inside the region that satisfied the previous
 * lookup, is handled inline without a call.
 */
static inline int iova_translate(struct iova_space *s, uint64_t iova,
				 uint64_t len, unsigned int perm,
				 struct iovec *iov, unsigned int max)
{
	const struct iova_map *m = &s->maps[s->hint];

	/* iova <= last and len - 1 <= last - iova: no overflow possible. */
	if (__builtin_expect(s->hint < s->nr && len && iov && max &&
			     iova >= m->start && iova <= m->last &&
			     len - 1 <= m->last - iova &&
			     (m->perm & perm) == perm, 1)) {
		iov->iov_base = m->host + (iova - m->start);
		iov->iov_len = len;
		return 1;
	}
	return iova_translate_slow(s, iova, len, perm, iov, max);
}

/*
 * Host pointer for [iova, iova+len) inside a single region with @perm, or
 * NULL.  Valid until the region is released (see above).
 */
void *iova_ptr(struct iova_space *s, uint64_t iova, uint64_t len,
	       unsigned int perm);
/* iova_ptr() that also pins the region; undo with iova_unpin(). */
void *iova_pin(struct iova_space *s, uint64_t iova, uint64_t len,
	       unsigned int perm);
/* Drop one pin of the region holding host address @p (from iova_pin). */
void iova_unpin(struct iova_space *s, const void *p);

#endif
