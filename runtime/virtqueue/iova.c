// SPDX-License-Identifier: GPL-2.0
/*
 * IOVA translation cache: an array of region pointers sorted by start
 * IOVA, searched by bisection behind a one-entry last-hit hint, filled on
 * a miss from the mapping source.  A device has few regions (VDUSE: the
 * bounce area plus one coherent allocation per ring; vhost-vdpa: the
 * guest RAM slots), so the array rarely fills; a driver that maps every
 * buffer on its own (a vIOMMU, a userspace driver) can have many, which
 * is what the reference rules in iova.h are for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../core/compiler.h"
#include "../core/fault.h"
#include "iova.h"

void iova_init(struct iova_space *s, const struct iova_source_ops *ops,
	       void *priv)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->priv = priv;
}

static inline bool map_holds(const struct iova_map *m, uint64_t iova)
{
	return iova >= m->start && iova <= m->last;
}

/* Index of the cached region containing @iova, or -1. */
static int iova_find(const struct iova_space *s, uint64_t iova)
{
	unsigned int lo = 0, hi = s->nr;

	/* Find the first region starting after @iova ... */
	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (s->maps[mid]->m.start <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* ... so only the one before it can contain @iova. */
	if (lo && iova <= s->maps[lo - 1]->m.last)
		return lo - 1;
	return -1;
}

static void region_release(struct iova_space *s, struct iova_region *r)
{
	s->ops->release(s, &r->m);
	free(r);
}

/*
 * Take region @i out of the table.  Unreferenced, it goes now; otherwise
 * it is revoked and its last reference releases it (iova_refs_put).
 */
static void iova_drop(struct iova_space *s, unsigned int i)
{
	struct iova_region *r = s->maps[i];

	memmove(&s->maps[i], &s->maps[i + 1],
		(s->nr - i - 1) * sizeof(s->maps[0]));
	s->nr--;
	if (s->hint > i)
		s->hint--;
	else if (s->hint == i)
		s->hint = 0;

	if (!r->refs) {
		region_release(s, r);
		return;
	}
	r->dead = true;
	s->nr_dead++;
	if (s->ops->revoke)
		s->ops->revoke(s, &r->m);
}

void iova_invalidate(struct iova_space *s, uint64_t start, uint64_t last)
{
	unsigned int i = 0;

	while (i < s->nr) {
		const struct iova_map *m = &s->maps[i]->m;

		if (m->start > last)
			break;		/* sorted: nothing further overlaps */
		if (m->last >= start)
			iova_drop(s, i);
		else
			i++;
	}
}

void iova_reset(struct iova_space *s)
{
	iova_invalidate(s, 0, UINT64_MAX);
}

void iova_fini(struct iova_space *s)
{
	iova_reset(s);
	free(s->maps);
	s->maps = NULL;
	s->cap = 0;
}

/*
 * Make room for one more region: below IOVA_CACHE_MAX there is room; at
 * or above it the least recently used unreferenced region goes (not the
 * hint: an unreferenced caller may still be building iovecs from it); if
 * every region is referenced the table grows, up to IOVA_LIVE_MAX.
 */
static int iova_make_room(struct iova_space *s)
{
	unsigned int i, victim = UINT32_MAX;
	uint32_t oldest = 0;

	if (s->nr >= IOVA_CACHE_MAX) {
		for (i = 0; i < s->nr; i++) {
			const struct iova_region *r = s->maps[i];

			if (r->refs || i == s->hint)
				continue;
			/* Wrap-safe "r->stamp is older than oldest". */
			if (victim == UINT32_MAX ||
			    (int32_t)(r->stamp - oldest) < 0) {
				victim = i;
				oldest = r->stamp;
			}
		}
		if (victim != UINT32_MAX) {
			iova_drop(s, victim);
			return 0;
		}
		if (s->nr >= IOVA_LIVE_MAX)
			return -EBUSY;
	}
	if (s->nr == s->cap) {
		unsigned int cap = s->cap ? s->cap * 2 : 16;
		struct iova_region **maps;

		maps = realloc(s->maps, MIN(cap, IOVA_LIVE_MAX) * sizeof(*maps));
		if (!maps)
			return -ENOMEM;
		s->maps = maps;
		s->cap = MIN(cap, IOVA_LIVE_MAX);
	}
	return 0;
}

/* Ask the source for the region around @iova and cache it. */
static int iova_fill(struct iova_space *s, uint64_t iova)
{
	struct iova_region *r;
	unsigned int pos;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = s->ops->fetch(s, iova, &r->m);
	if (ret) {
		free(r);
		return ret < 0 ? ret : -EFAULT;
	}
	if (!map_holds(&r->m, iova) || !r->m.host) {
		region_release(s, r);
		return -EFAULT;
	}

	/*
	 * A cached region overlapping the new one means the mapping changed
	 * without an invalidation reaching us; the source's answer wins.
	 */
	iova_invalidate(s, r->m.start, r->m.last);
	ret = iova_make_room(s);
	if (ret) {
		region_release(s, r);
		return ret;
	}

	for (pos = s->nr; pos && s->maps[pos - 1]->m.start > r->m.start; pos--)
		;
	memmove(&s->maps[pos + 1], &s->maps[pos],
		(s->nr - pos) * sizeof(s->maps[0]));
	s->maps[pos] = r;
	s->nr++;
	return pos;		/* the caller makes it the hint */
}

/* Index of the region containing @iova, fetching it if needed. */
static int iova_lookup(struct iova_space *s, uint64_t iova)
{
	int i;

	if (s->hint < s->nr && map_holds(&s->maps[s->hint]->m, iova)) {
		i = s->hint;
	} else {
		i = iova_find(s, iova);
		if (i < 0)
			i = iova_fill(s, iova);
		if (i < 0)
			return i;
		s->hint = i;
	}
	s->maps[i]->stamp = ++s->clock;
	return i;
}

int iova_ref(struct iova_space *s, struct iova_refs *refs,
	     struct iova_region *r)
{
	struct iova_region **v = iova_refs_vec(refs);
	unsigned int i, cap = MAX(refs->cap, (uint16_t)IOVA_REFS_INLINE);

	/* Chains are short and mostly in one region: a scan is cheapest. */
	for (i = refs->n; i--;)
		if (v[i] == r)
			return 0;
	if (refs->n == cap) {
		struct iova_region **p;

		if (cap >= IOVA_REFS_MAX)
			return -ENOBUFS;
		cap = MIN(cap * 4u, (unsigned int)IOVA_REFS_MAX);
		p = refs->cap > IOVA_REFS_INLINE ?
		    realloc(refs->heap, cap * sizeof(*p)) :
		    malloc(cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		if (refs->cap <= IOVA_REFS_INLINE)
			memcpy(p, refs->inl, sizeof(refs->inl));
		refs->heap = p;
		refs->cap = cap;
		v = p;
	}
	if (!refs->n)
		refs->fault_seq = fault_seq();
	v[refs->n++] = r;
	r->refs++;
	return 0;
}

int iova_translate_slow(struct iova_space *s, uint64_t iova, uint64_t len,
			unsigned int perm, struct iovec *iov, unsigned int max,
			struct iova_refs *refs)
{
	unsigned int n = 0;
	uint64_t end;
	int ret;

	if (!len)
		return 0;
	if (iova + (len - 1) < iova)
		return -EFAULT;
	end = iova + (len - 1);

	for (;;) {
		struct iova_region *r;
		uint64_t piece_last;
		int i;

		i = iova_lookup(s, iova);
		if (i < 0)
			return i;
		r = s->maps[i];
		if ((r->m.perm & perm) != perm)
			return -EACCES;
		piece_last = MIN(end, r->m.last);
		if (iov) {
			if (n == max)
				return -ENOBUFS;
			/* Before the next lookup, which may evict. */
			if (refs) {
				ret = iova_ref(s, refs, r);
				if (ret)
					return ret;
			}
			iov[n].iov_base = r->m.host + (iova - r->m.start);
			iov[n].iov_len = piece_last - iova + 1;
		}
		if (n < INT32_MAX)
			n++;
		if (piece_last == end)
			return n;
		iova = piece_last + 1;	/* no overflow: piece_last < end */
	}
}

void *iova_ptr(struct iova_space *s, uint64_t iova, uint64_t len,
	       unsigned int perm)
{
	const struct iova_map *m;
	int i;

	if (!len || iova + (len - 1) < iova)
		return NULL;
	i = iova_lookup(s, iova);
	if (i < 0)
		return NULL;
	m = &s->maps[i]->m;
	if ((m->perm & perm) != perm || len - 1 > m->last - iova)
		return NULL;
	return m->host + (iova - m->start);
}

void iova_refs_put(struct iova_space *s, struct iova_refs *refs)
{
	struct iova_region **v = iova_refs_vec(refs);

	while (refs->n) {
		struct iova_region *r = v[--refs->n];

		if (--r->refs || !r->dead)
			continue;
		s->nr_dead--;
		region_release(s, r);
	}
}

void iova_refs_fini(struct iova_space *s, struct iova_refs *refs)
{
	iova_refs_put(s, refs);
	if (refs->cap > IOVA_REFS_INLINE)
		free(refs->heap);
	refs->heap = NULL;
	refs->cap = 0;
}

bool iova_refs_ok(const struct iova_refs *refs)
{
	struct iova_region *const *v = iova_refs_vec(refs);
	unsigned int i;

	for (i = 0; i < refs->n; i++)
		if (v[i]->dead)
			return false;
	if (refs->n && fault_seq() != refs->fault_seq) {
		for (i = 0; i < refs->n; i++) {
			const struct iova_map *m = &v[i]->m;

			if (fault_within(refs->fault_seq, m->host,
					 m->last - m->start + 1))
				return false;
		}
	}
	return true;
}
