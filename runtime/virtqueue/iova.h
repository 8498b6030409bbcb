/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IOVA -> host address translation for one device.
 *
 * The driver hands us I/O virtual addresses.  A mapping source (VDUSE's
 * IOTLB_GET_FD + mmap in vdused, test memory in the unit tests) resolves
 * one IOVA to the whole region around it; this cache keeps those regions
 * so the data path does no syscalls, and drops exactly the regions that
 * an IOTLB update or a reset invalidates.
 *
 * One iova_space belongs to one device and is used from one thread.
 *
 * Lifetime of host pointers: references.  Every host pointer a request
 * keeps (its iovecs, its status byte, the indirect table being walked, a
 * ring) is covered by a reference on its region, held in a struct
 * iova_refs that the holder owns: iova_translate_ref() adds the regions it
 * translates through, iova_refs_put() drops them all when the request is
 * completed or discarded.  The rules:
 *   - eviction (a miss on a full cache) takes only unreferenced regions;
 *   - an invalidated (or reset, or faulted) region leaves the lookup table
 *     at once, so new translations fetch the new mapping; if it is still
 *     referenced it is revoked (the source makes the range harmless: late
 *     writes go nowhere, reads see zeroes) but stays reserved, and it is
 *     released (unmapped) only when its last reference goes.  However many
 *     invalidations arrive, the memory kept is bounded by the references,
 *     i.e. by the requests in flight;
 *   - a request whose region died under it, or faulted (SIGBUS), is told
 *     so by iova_refs_ok(): it must not complete with OK;
 *   - when IOVA_LIVE_MAX regions are in the table and every one is
 *     referenced, a lookup that needs another returns -EBUSY: the caller
 *     stops consuming (back-pressure) and retries once completions dropped
 *     references.  Nothing a driver does gets past that into a release of
 *     memory a request still uses.
 * A pointer obtained without a reference (iova_translate(), iova_ptr())
 * is only valid until the next lookup.
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

/* What a mapping source says about one region. */
struct iova_map {
	uint64_t start;		/* first IOVA covered */
	uint64_t last;		/* last IOVA covered (inclusive) */
	uint8_t *host;		/* host address of start */
	uint8_t perm;		/* IOVA_PERM_* */
};

/* A cached region.  Allocated per fetch; freed when released. */
struct iova_region {
	struct iova_map m;
	uint32_t refs;		/* iova_refs sets holding it */
	uint32_t stamp;		/* LRU clock at the last lookup */
	bool dead;		/* out of the table, revoked, awaiting refs == 0 */
};

struct iova_space;

struct iova_source_ops {
	/*
	 * Resolve the region containing @iova into @m (start, last, host,
	 * perm); -errno if unmapped.  A result that does not contain @iova is
	 * treated as unmapped (and released).
	 */
	int (*fetch)(struct iova_space *s, uint64_t iova, struct iova_map *m);
	/*
	 * The region left the table while referenced: make [host, +len)
	 * harmless (writes go nowhere, reads see zeroes) and keep it
	 * reserved until release.  Optional.
	 */
	void (*revoke)(struct iova_space *s, struct iova_map *m);
	/* Nothing uses the region any more: unmap it. */
	void (*release)(struct iova_space *s, struct iova_map *m);
};

#define IOVA_CACHE_MAX 64	/* unreferenced regions kept for later hits */
#define IOVA_LIVE_MAX 1024	/* regions in the table, referenced or not */
#define IOVA_REFS_MAX 512	/* distinct regions in one iova_refs */
#define IOVA_REFS_INLINE 3	/* ... held without an allocation */

/*
 * The regions one holder references.  All-zero is a valid empty set, so a
 * holder in zeroed memory needs no set-up; iova_refs_fini() frees what a
 * set grew into.  Up to IOVA_REFS_INLINE regions live in the set itself.
 */
struct iova_refs {
	uint16_t n;
	uint16_t cap;			/* of heap; <= IOVA_REFS_INLINE: inl used */
	unsigned int fault_seq;		/* fault_seq() at the first reference */
	struct iova_region **heap;
	struct iova_region *inl[IOVA_REFS_INLINE];
};

static inline struct iova_region **iova_refs_vec(const struct iova_refs *refs)
{
	return refs->cap > IOVA_REFS_INLINE ? refs->heap :
	       (struct iova_region **)refs->inl;
}

struct iova_space {
	const struct iova_source_ops *ops;
	void *priv;			/* owner's context for ops */
	unsigned int nr;		/* regions in the table, sorted by start */
	unsigned int cap;		/* of maps */
	unsigned int hint;		/* index of the last hit (checked) */
	uint32_t clock;			/* LRU clock */
	unsigned int nr_dead;		/* revoked, still referenced */
	struct iova_region **maps;
};

void iova_init(struct iova_space *s, const struct iova_source_ops *ops,
	       void *priv);
/* Drop everything and free the table (teardown; nothing may be in flight). */
void iova_fini(struct iova_space *s);
/* Take every region overlapping [start, last] out of the table (see above). */
void iova_invalidate(struct iova_space *s, uint64_t start, uint64_t last);
/* The same for everything (device reset, a fault in driver memory). */
void iova_reset(struct iova_space *s);

int iova_translate_slow(struct iova_space *s, uint64_t iova, uint64_t len,
			unsigned int perm, struct iovec *iov, unsigned int max,
			struct iova_refs *refs);
int iova_ref(struct iova_space *s, struct iova_refs *refs,
	     struct iova_region *r);

/*
 * Translate [iova, iova+len) for access @perm into at most @max iovecs,
 * splitting where the range crosses from one region into the next, and
 * add every region used to @refs (NULL: no reference, the iovecs are valid
 * until the next lookup).  Returns the number of iovecs used, or
 *   -EFAULT  part of the range is not mapped (or iova+len overflows),
 *   -EACCES  a region lacks @perm,
 *   -ENOBUFS more than @max iovecs would be needed, or @refs is full
 *            (IOVA_REFS_MAX),
 *   -EBUSY   no room: IOVA_LIVE_MAX regions, all referenced;
 *   other    -errno from the mapping source or an allocation.
 * On error the references added so far stay in @refs.  len == 0 returns
 * 0.  With @iov NULL the range is only checked (no limit on pieces, no
 * references) and the number of pieces is returned.
 *
 * The common case, a buffer inside the region that satisfied the previous
 * lookup (and that @refs already holds), is handled inline.
 */
static inline int iova_translate_ref(struct iova_space *s, uint64_t iova,
				     uint64_t len, unsigned int perm,
				     struct iovec *iov, unsigned int max,
				     struct iova_refs *refs)
{
	struct iova_region *r;
	const struct iova_map *m;

	if (__builtin_expect(s->hint < s->nr && len && iov && max, 1)) {
		r = s->maps[s->hint];
		m = &r->m;
		/* iova <= last and len - 1 <= last - iova: no overflow possible. */
		if (__builtin_expect(iova >= m->start && iova <= m->last &&
				     len - 1 <= m->last - iova &&
				     (m->perm & perm) == perm &&
				     (!refs || (refs->n && iova_refs_vec(refs)[refs->n - 1] == r)),
				     1)) {
			r->stamp = ++s->clock;
			iov->iov_base = m->host + (iova - m->start);
			iov->iov_len = len;
			return 1;
		}
	}
	return iova_translate_slow(s, iova, len, perm, iov, max, refs);
}

static inline int iova_translate(struct iova_space *s, uint64_t iova,
				 uint64_t len, unsigned int perm,
				 struct iovec *iov, unsigned int max)
{
	return iova_translate_ref(s, iova, len, perm, iov, max, NULL);
}

/*
 * Host pointer for [iova, iova+len) inside a single region with @perm, or
 * NULL; no reference (valid until the next lookup).
 */
void *iova_ptr(struct iova_space *s, uint64_t iova, uint64_t len,
	       unsigned int perm);

/* Drop every reference of @refs (the set stays usable). */
void iova_refs_put(struct iova_space *s, struct iova_refs *refs);
/* iova_refs_put(), and free what the set allocated. */
void iova_refs_fini(struct iova_space *s, struct iova_refs *refs);
/*
 * True unless a region of @refs died (invalidated, reset) or took a bus
 * error since the first reference: then the request's data did not reach
 * (or come from) the driver, and it must not complete with OK.
 */
bool iova_refs_ok(const struct iova_refs *refs);

#endif
