// SPDX-License-Identifier: GPL-2.0
/*
 * IOVA translation cache: a small array of regions sorted by start IOVA,
 * searched by bisection behind a one-entry last-hit hint, filled on a miss
 * from the mapping source.  A device has few regions (VDUSE: the bounce
 * area plus one coherent allocation per ring; vhost-vdpa: the guest RAM
 * slots), so the array rarely fills; when it does, the least recently
 * used unpinned region is released to make room.
 */
#include <errno.h>
#include <string.h>

#include "../core/compiler.h"
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

		if (s->maps[mid].start <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* ... so only the one before it can contain @iova. */
	if (lo && iova <= s->maps[lo - 1].last)
		return lo - 1;
	return -1;
}

/*
 * Take region @i out of the lookup table.  A pinned region still backs a
 * ring, so it moves to the stale list and its last unpin releases it.  If
 * even the stale list is full (only possible if pins leak) we forget the
 * region without releasing it: a leaked mapping is harmless, a released
 * one under a live ring pointer is not.
 */
static void iova_drop(struct iova_space *s, unsigned int i)
{
	struct iova_map m = s->maps[i];

	memmove(&s->maps[i], &s->maps[i + 1],
		(s->nr - i - 1) * sizeof(s->maps[0]));
	s->nr--;
	if (s->hint > i)
		s->hint--;
	else if (s->hint == i)
		s->hint = 0;

	if (!m.pins)
		s->ops->release(s, &m);
	else if (s->nr_stale < IOVA_CACHE_MAX)
		s->stale[s->nr_stale++] = m;
}

void iova_invalidate(struct iova_space *s, uint64_t start, uint64_t last)
{
	unsigned int i = 0;

	while (i < s->nr) {
		const struct iova_map *m = &s->maps[i];

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

/*
 * Make room by releasing the least recently used region.  The hint is
 * spared: it is the region the caller used last, possibly for an iovec it
 * is still building.  Returns false if everything is pinned.
 */
static bool iova_evict(struct iova_space *s)
{
	unsigned int i, victim = IOVA_CACHE_MAX;
	uint32_t oldest = 0;

	for (i = 0; i < s->nr; i++) {
		const struct iova_map *m = &s->maps[i];

		if (m->pins || i == s->hint)
			continue;
		/* Wrap-safe "m->stamp is older than oldest". */
		if (victim == IOVA_CACHE_MAX ||
		    (int32_t)(m->stamp - oldest) < 0) {
			victim = i;
			oldest = m->stamp;
		}
	}
	if (victim == IOVA_CACHE_MAX)
		return false;
	iova_drop(s, victim);
	return true;
}

/* Ask the source for the region around @iova and cache it. */
static int iova_fill(struct iova_space *s, uint64_t iova)
{
	struct iova_map m = { 0 };
	unsigned int pos;
	int ret;

	ret = s->ops->fetch(s, iova, &m);
	if (ret)
		return ret < 0 ? ret : -EFAULT;
	if (!map_holds(&m, iova) || !m.host) {
		s->ops->release(s, &m);
		return -EFAULT;
	}
	m.pins = 0;

	/*
	 * A cached region overlapping the new one means the mapping changed
	 * without an invalidation reaching us; the source's answer wins.
	 */
	iova_invalidate(s, m.start, m.last);
	if (s->nr == IOVA_CACHE_MAX && !iova_evict(s)) {
		s->ops->release(s, &m);
		return -ENOMEM;
	}

	for (pos = s->nr; pos && s->maps[pos - 1].start > m.start; pos--)
		;
	memmove(&s->maps[pos + 1], &s->maps[pos],
		(s->nr - pos) * sizeof(s->maps[0]));
	s->maps[pos] = m;
	s->nr++;
	return pos;		/* the caller makes it the hint */
}

/* Index of the region containing @iova, fetching it if needed. */
static int iova_lookup(struct iova_space *s, uint64_t iova)
{
	int i;

	if (s->hint < s->nr && map_holds(&s->maps[s->hint], iova)) {
		i = s->hint;
	} else {
		i = iova_find(s, iova);
		if (i < 0)
			i = iova_fill(s, iova);
		if (i < 0)
			return i;
		s->hint = i;
	}
	s->maps[i].stamp = ++s->clock;
	return i;
}

int iova_translate_slow(struct iova_space *s, uint64_t iova, uint64_t len,
			unsigned int perm, struct iovec *iov, unsigned int max)
{
	unsigned int n = 0;
	uint64_t end;

	if (!len)
		return 0;
	if (iova + (len - 1) < iova)
		return -EFAULT;
	end = iova + (len - 1);

	for (;;) {
		const struct iova_map *m;
		uint64_t piece_last;
		int i;

		i = iova_lookup(s, iova);
		if (i < 0)
			return i;
		m = &s->maps[i];
		if ((m->perm & perm) != perm)
			return -EACCES;
		piece_last = MIN(end, m->last);
		if (iov) {
			if (n == max)
				return -ENOBUFS;
			iov[n].iov_base = m->host + (iova - m->start);
			iov[n].iov_len = piece_last - iova + 1;
		}
		if (n < INT32_MAX)
			n++;
		if (piece_last == end)
			return n;
		iova = piece_last + 1;	/* no overflow: piece_last < end */
	}
}

/* Region index for [iova, iova+len) inside one region with @perm, or -1. */
static int iova_single(struct iova_space *s, uint64_t iova, uint64_t len,
		       unsigned int perm)
{
	const struct iova_map *m;
	int i;

	if (!len || iova + (len - 1) < iova)
		return -1;
	i = iova_lookup(s, iova);
	if (i < 0)
		return -1;
	m = &s->maps[i];
	if ((m->perm & perm) != perm || len - 1 > m->last - iova)
		return -1;
	return i;
}

void *iova_ptr(struct iova_space *s, uint64_t iova, uint64_t len,
	       unsigned int perm)
{
	int i = iova_single(s, iova, len, perm);

	if (i < 0)
		return NULL;
	return s->maps[i].host + (iova - s->maps[i].start);
}

void *iova_pin(struct iova_space *s, uint64_t iova, uint64_t len,
	       unsigned int perm)
{
	int i = iova_single(s, iova, len, perm);

	if (i < 0 || s->maps[i].pins == UINT16_MAX)
		return NULL;
	s->maps[i].pins++;
	return s->maps[i].host + (iova - s->maps[i].start);
}

static bool map_backs(const struct iova_map *m, const void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)m->host;

	return m->pins && (uintptr_t)p >= (uintptr_t)m->host &&
	       off <= m->last - m->start;
}

void iova_unpin(struct iova_space *s, const void *p)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++) {
		if (map_backs(&s->maps[i], p)) {
			s->maps[i].pins--;
			return;
		}
	}
	for (i = 0; i < s->nr_stale; i++) {
		struct iova_map *m = &s->stale[i];

		if (!map_backs(m, p))
			continue;
		if (--m->pins)
			return;
		s->ops->release(s, m);
		s->stale[i] = s->stale[--s->nr_stale];
		return;
	}
}
