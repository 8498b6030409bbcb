// SPDX-License-Identifier: GPL-2.0
/* Simulated virtio driver for unit tests; see simdrv.h. */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vduse.h>
#include <linux/virtio_config.h>

#include "core/compiler.h"
#include "simdrv.h"

/* Map a fresh view of guest [iova, +len) between two guard pages. */
static uint8_t *sim_view_map(struct sim_mem *m, uint64_t iova, uint64_t len)
{
	uint8_t *base, *host;

	base = mmap(NULL, len + 2 * SIM_PAGE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	host = mmap(base + SIM_PAGE, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, m->fd, iova - SIM_IOVA_BASE);
	if (host == MAP_FAILED) {
		munmap(base, len + 2 * SIM_PAGE);
		return NULL;
	}
	return host;
}

static void sim_view_unmap(struct sim_view *v)
{
	if (v->host)
		munmap(v->host - SIM_PAGE, v->len + 2 * SIM_PAGE);
	v->host = NULL;
}

/* Mapping source: a fresh view per fetch, as VDUSE's IOTLB_GET_FD + mmap. */
static int sim_fetch(struct iova_space *s, uint64_t iova, struct iova_map *out)
{
	struct sim_mem *m = s->priv;
	int i = sim_region_of(m, iova);
	uint64_t start, len;
	struct sim_view *v;

	m->fetches++;
	if (i < 0 || !m->r[i].mapped)
		return -EFAULT;
	start = m->r[i].iova;
	len = m->r[i].len;
	if (m->fetch_pages && (uint64_t)m->fetch_pages * SIM_PAGE < len) {
		uint64_t win = (uint64_t)m->fetch_pages * SIM_PAGE;

		start += (iova - start) / win * win;
		len = MIN(win, m->r[i].iova + m->r[i].len - start);
	}
	if (m->nr_views == m->cap_views) {
		unsigned int cap = m->cap_views ? m->cap_views * 2 : 64;
		struct sim_view *nv = realloc(m->views, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		m->views = nv;
		m->cap_views = cap;
	}
	v = &m->views[m->nr_views];
	v->host = sim_view_map(m, start, len);
	if (!v->host)
		return -ENOMEM;
	v->iova = start;
	v->len = len;
	m->nr_views++;
	out->start = start;
	out->last = start + len - 1;
	out->host = v->host;
	out->perm = m->r[i].perm;
	m->live++;
	return 0;
}

static struct sim_view *sim_view_of(struct sim_mem *m, const uint8_t *host)
{
	unsigned int i;

	for (i = 0; i < m->nr_views; i++)
		if (m->views[i].host == host)
			return &m->views[i];
	fprintf(stderr, "simdrv: the device released a view it never had\n");
	abort();
}

/* As VDUSE's: the device's late writes land in scratch, reads see zeroes. */
static void sim_revoke(struct iova_space *s, struct iova_map *map)
{
	struct sim_mem *m = s->priv;

	sim_view_of(m, map->host);
	if (mmap(map->host, map->last - map->start + 1, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		abort();
	m->revokes++;
}

/* Gone for real: any later use of the view faults. */
static void sim_release(struct iova_space *s, struct iova_map *map)
{
	struct sim_mem *m = s->priv;
	struct sim_view *v = sim_view_of(m, map->host), *q;

	if (mprotect(v->host, v->len, PROT_NONE))
		abort();
	q = &m->quarantine[m->q_next];
	sim_view_unmap(q);
	*q = *v;
	m->q_next = (m->q_next + 1) % SIM_QUARANTINE;
	*v = m->views[--m->nr_views];
	m->releases++;
	m->live--;
}

static const struct iova_source_ops sim_ops = {
	.fetch = sim_fetch,
	.revoke = sim_revoke,
	.release = sim_release,
};

int sim_mem_protect(struct sim_mem *m, int prot)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < m->nr; i++)
		ret |= mprotect(m->r[i].host, m->r[i].len, prot);
	for (i = 0; i < m->nr_views; i++)
		ret |= mprotect(m->views[i].host, m->views[i].len, prot);
	return ret ? -errno : 0;
}

uint64_t sim_dev_iova(const struct sim_mem *m, const void *p)
{
	const uint8_t *h = p;
	unsigned int i;

	for (i = 0; i < m->nr_views; i++) {
		const struct sim_view *v = &m->views[i];

		if (h >= v->host && h < v->host + v->len)
			return v->iova + (h - v->host);
	}
	return 0;
}

int sim_mem_init(struct sim_mem *m, uint64_t size, unsigned int nr)
{
	uint64_t rlen;
	unsigned int i;

	memset(m, 0, sizeof(*m));
	if (!size)
		size = SIM_MEM_SIZE;
	if (!nr || nr > SIM_MAX_REGIONS || size % ((uint64_t)nr * SIM_PAGE))
		return -EINVAL;
	rlen = size / nr;

	m->fd = memfd_create("simdrv", MFD_CLOEXEC);
	if (m->fd < 0)
		return -errno;
	if (ftruncate(m->fd, size))
		goto err;
	/* The driver's view: regions back to front, a guard page after each. */
	m->map_len = size + (size_t)nr * SIM_PAGE;
	m->map = mmap(NULL, m->map_len, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->map == MAP_FAILED)
		goto err;
	m->size = size;
	m->nr = nr;
	for (i = 0; i < nr; i++) {
		uint8_t *host = m->map + (size_t)(nr - 1 - i) * (rlen + SIM_PAGE);

		if (mmap(host, rlen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 m->fd, (off_t)i * rlen) == MAP_FAILED)
			goto err;
		m->r[i].iova = SIM_IOVA_BASE + i * rlen;
		m->r[i].len = rlen;
		m->r[i].host = host;
		m->r[i].perm = IOVA_PERM_RW;
		m->r[i].mapped = true;
	}
	iova_init(&m->iova, &sim_ops, m);
	return 0;
err:
	i = errno;
	if (m->map != MAP_FAILED && m->map)
		munmap(m->map, m->map_len);
	m->map = NULL;
	close(m->fd);
	return -(int)i;
}

void sim_mem_free(struct sim_mem *m)
{
	unsigned int i;

	iova_fini(&m->iova);
	for (i = 0; i < SIM_QUARANTINE; i++)
		sim_view_unmap(&m->quarantine[i]);
	/* Views a leaked reference still holds (a test failed) go too. */
	for (i = 0; i < m->nr_views; i++)
		sim_view_unmap(&m->views[i]);
	free(m->views);
	m->views = NULL;
	m->nr_views = m->cap_views = 0;
	if (m->map)
		munmap(m->map, m->map_len);
	m->map = NULL;
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

void sim_mem_clear(struct sim_mem *m)
{
	unsigned int i;

	for (i = 0; i < m->nr; i++)
		memset(m->r[i].host, 0, m->r[i].len);
	m->brk = 0;
}

int sim_region_of(const struct sim_mem *m, uint64_t iova)
{
	uint64_t off = iova - SIM_IOVA_BASE;

	if (iova < SIM_IOVA_BASE || off >= m->size)
		return -1;
	return off / m->r[0].len;
}

void sim_region_set(struct sim_mem *m, unsigned int idx, uint8_t perm,
		    bool mapped)
{
	struct sim_region *r = &m->r[idx];

	r->perm = perm;
	r->mapped = mapped;
	iova_invalidate(&m->iova, r->iova, r->iova + r->len - 1);
}

void *sim_host(struct sim_mem *m, uint64_t iova, uint64_t len)
{
	int i = sim_region_of(m, iova);
	const struct sim_region *r;

	if (i < 0)
		return NULL;
	r = &m->r[i];
	if (len > r->iova + r->len - iova)
		return NULL;
	return r->host + (iova - r->iova);
}

/* Copy between guest memory and @p, one region at a time. */
static bool sim_copy(struct sim_mem *m, uint64_t iova, void *p, uint64_t len,
		     bool to_guest)
{
	uint8_t *b = p;

	while (len) {
		int i = sim_region_of(m, iova);
		const struct sim_region *r;
		uint64_t n;
		uint8_t *h;

		if (i < 0)
			return false;
		r = &m->r[i];
		n = MIN(len, r->iova + r->len - iova);
		h = r->host + (iova - r->iova);
		if (to_guest)
			memcpy(h, b, n);
		else
			memcpy(b, h, n);
		b += n;
		iova += n;
		len -= n;
	}
	return true;
}

bool sim_write(struct sim_mem *m, uint64_t iova, const void *p, uint64_t len)
{
	return sim_copy(m, iova, (void *)p, len, true);
}

bool sim_read(struct sim_mem *m, uint64_t iova, void *p, uint64_t len)
{
	return sim_copy(m, iova, p, len, false);
}

uint64_t sim_alloc(struct sim_mem *m, uint64_t len, uint64_t align)
{
	uint64_t rlen = m->r[0].len, off;

	if (!align)
		align = 1;
	off = (m->brk + align - 1) / align * align;
	if (len > rlen)
		goto oom;
	/* Would cross into the next region: start at its beginning. */
	if (off / rlen != (off + len - 1) / rlen)
		off = (off / rlen + 1) * rlen;
	if (off + len > m->size)
		goto oom;
	m->brk = off + len;
	memset(m->r[off / rlen].host + off % rlen, 0, len);
	return SIM_IOVA_BASE + off;
oom:
	fprintf(stderr, "simdrv: out of guest memory (%llu bytes)\n",
		(unsigned long long)len);
	abort();
}

uint64_t sim_alloc_span(struct sim_mem *m, uint64_t len)
{
	uint64_t rlen = m->r[0].len, off;
	uint64_t boundary = (m->brk / rlen + 1) * rlen;

	if (len < 2 || len / 2 > rlen || boundary + len > m->size) {
		fprintf(stderr, "simdrv: cannot place a spanning buffer\n");
		abort();
	}
	off = boundary - len / 2;
	m->brk = off + len;
	memset(m->r[off / rlen].host + off % rlen, 0, len / 2);
	memset(m->r[boundary / rlen].host, 0, len - len / 2);
	return SIM_IOVA_BASE + off;
}

int sim_vq_init(struct sim_vq *q, struct sim_mem *m, uint16_t num,
		uint64_t features)
{
	unsigned int i;

	memset(q, 0, sizeof(*q));
	if (!num || (num & (num - 1)))
		return -EINVAL;
	q->mem = m;
	q->num = num;
	q->features = features;
	q->desc_iova = sim_alloc(m, 16ULL * num, 16);
	q->avail_iova = sim_alloc(m, 6 + 2ULL * num, 2);
	q->used_iova = sim_alloc(m, 6 + 8ULL * num, 4);
	q->desc = sim_host(m, q->desc_iova, 16ULL * num);
	q->avail = sim_host(m, q->avail_iova, 6 + 2ULL * num);
	q->used = sim_host(m, q->used_iova, 6 + 8ULL * num);

	q->next = calloc(num, sizeof(*q->next));
	q->chain = calloc(num, sizeof(*q->chain));
	if (!q->next || !q->chain) {
		sim_vq_free(q);
		return -ENOMEM;
	}
	for (i = 0; i < num; i++)
		q->next[i] = i + 1;
	q->free_head = 0;
	q->nr_free = num;
	return 0;
}

void sim_vq_free(struct sim_vq *q)
{
	free(q->next);
	free(q->chain);
	q->next = NULL;
	q->chain = NULL;
}

void sim_vq_set_idx(struct sim_vq *q, uint16_t idx)
{
	q->avail->idx = htole16(idx);
	q->used->idx = htole16(idx);
	q->avail_idx = idx;
	q->kick_idx = idx;
	q->last_used = idx;
}

void sim_vq_notify(struct virtq *vq)
{
	sim_vq_irq(vq->priv);
}

int sim_vq_start(struct sim_vq *q, struct virtq *vq)
{
	vq->iova = &q->mem->iova;
	vq->notify = sim_vq_notify;
	vq->priv = q;
	return virtq_start(vq, q->num, q->desc_iova, q->avail_iova,
			   q->used_iova, le16toh(q->avail->idx), q->features);
}

static uint16_t sim_desc_get(struct sim_vq *q)
{
	uint16_t d = q->free_head;

	q->free_head = q->next[d];
	q->nr_free--;
	return d;
}

/* Fill descriptor @d for @s, allocating and filling the buffer. */
static void sim_desc_fill(struct sim_vq *q, struct vring_desc *d,
			  struct sim_seg *s, uint16_t flags, uint16_t next)
{
	if (!s->iova)
		s->iova = s->len ? sim_alloc(q->mem, s->len, 16) :
				   SIM_IOVA_BASE;
	if (!s->write && s->data)
		sim_write(q->mem, s->iova, s->data, s->len);
	d->addr = htole64(s->iova);
	d->len = htole32(s->len);
	d->flags = htole16(flags | (s->write ? VRING_DESC_F_WRITE : 0));
	d->next = htole16(next);
}

int sim_vq_add(struct sim_vq *q, struct sim_seg *segs, unsigned int n,
	       unsigned int direct)
{
	unsigned int ndesc, i;
	uint16_t head, prev = 0, d = 0;

	if (!n)
		return -1;
	if (direct > n)
		direct = n;
	ndesc = direct + (direct < n);
	if (ndesc > q->nr_free)
		return -1;

	head = q->free_head;
	for (i = 0; i < ndesc; i++) {
		d = sim_desc_get(q);
		if (i)
			q->next[prev] = d;
		prev = d;
		if (i < direct) {
			uint16_t next = i + 1 < ndesc ? q->free_head : 0;

			sim_desc_fill(q, &q->desc[d], &segs[i],
				      i + 1 < ndesc ? VRING_DESC_F_NEXT : 0,
				      next);
		} else {
			/* The indirect table holds the remaining segments. */
			unsigned int k, nt = n - direct;
			uint64_t t = sim_alloc(q->mem, 16ULL * nt, 16);
			struct vring_desc *tab = sim_host(q->mem, t, 16ULL * nt);

			for (k = 0; k < nt; k++)
				sim_desc_fill(q, &tab[k], &segs[direct + k],
					      k + 1 < nt ? VRING_DESC_F_NEXT : 0,
					      k + 1);
			q->desc[d].addr = htole64(t);
			q->desc[d].len = htole32(16 * nt);
			q->desc[d].flags = htole16(VRING_DESC_F_INDIRECT);
			q->desc[d].next = 0;
		}
	}
	q->chain[head] = ndesc;
	sim_vq_offer(q, head);
	return head;
}

void sim_vq_offer(struct sim_vq *q, uint16_t head)
{
	q->avail->ring[q->avail_idx & (q->num - 1)] = htole16(head);
	q->avail_idx++;
}

bool sim_vq_publish(struct sim_vq *q)
{
	uint16_t old = q->kick_idx, new = q->avail_idx;
	bool kick;

	smp_wmb();	/* ring entries and descriptors before the index */
	WRITE_ONCE(q->avail->idx, htole16(new));
	q->kick_idx = new;
	/* Pairs with the fence in virtq_enable_kicks(). */
	smp_mb();
	if (q->features & (1ULL << VIRTIO_RING_F_EVENT_IDX))
		kick = vring_need_event(sim_vq_avail_event(q), new, old);
	else
		kick = !(le16toh(READ_ONCE(q->used->flags)) &
			 VRING_USED_F_NO_NOTIFY);
	if (kick)
		q->kicks++;
	return kick;
}

int sim_vq_used(struct sim_vq *q, uint16_t *head, uint32_t *len)
{
	uint16_t idx = le16toh(READ_ONCE(q->used->idx));
	const struct vring_used_elem *u;
	uint32_t id;
	unsigned int i;

	if (idx == q->last_used)
		return 0;
	smp_rmb();	/* entries only after the index that covers them */
	u = &q->used->ring[q->last_used & (q->num - 1)];
	id = le32toh(u->id);
	q->last_used++;
	if (id >= q->num || !q->chain[id])
		return -1;
	*head = id;
	*len = le32toh(u->len);

	/* Give the chain back: its links are in q->next already. */
	for (i = 1; i < q->chain[*head]; i++)
		id = q->next[id];
	q->next[id] = q->free_head;
	q->free_head = *head;
	q->nr_free += q->chain[*head];
	q->chain[*head] = 0;
	return 1;
}

void sim_vq_set_used_event(struct sim_vq *q, uint16_t idx)
{
	WRITE_ONCE(q->avail->ring[q->num], htole16(idx));
	smp_mb();	/* before the caller looks at used->idx again */
}

void sim_vq_set_avail_flags(struct sim_vq *q, uint16_t flags)
{
	WRITE_ONCE(q->avail->flags, htole16(flags));
	smp_mb();	/* before the caller looks at used->idx again */
}

uint16_t sim_vq_avail_event(const struct sim_vq *q)
{
	const uint8_t *p = (const uint8_t *)q->used->ring;
	const uint16_t *ev = (const void *)(p + q->num * sizeof(q->used->ring[0]));

	return le16toh(READ_ONCE(*ev));
}

void sim_vq_info(const struct sim_vq *q, unsigned int index,
		 struct vduse_vq_info *info)
{
	memset(info, 0, sizeof(*info));
	info->index = index;
	info->desc_addr = q->desc_iova;
	info->driver_addr = q->avail_iova;
	info->device_addr = q->used_iova;
	info->num = q->num;
	info->split.avail_index = 0;
	info->ready = 1;
}
