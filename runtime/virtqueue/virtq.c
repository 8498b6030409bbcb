// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueue engine, device side (virtio 1.x, "Split Virtqueues").
 *
 * Driver memory is hostile: every value is read once (READ_ONCE into a
 * local), checked, and only the local copy is used afterwards, so a driver
 * rewriting a descriptor under us cannot make a checked value unchecked.
 * The first violation breaks the queue and from then on no call touches
 * driver memory again.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/virtio_config.h>

#include "../core/compiler.h"
#include "virtq.h"
#include "virtq_priv.h"

int virtq_break(struct virtq *vq, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (vq->broken)
		return -EPROTO;
	vq->broken = true;
	n = snprintf(vq->err, sizeof(vq->err), "vq%u: ", vq->index);
	va_start(ap, fmt);
	vsnprintf(vq->err + n, sizeof(vq->err) - n, fmt, ap);
	va_end(ap);
	return -EPROTO;
}

/*
 * Map one ring structure and hold a reference on its region in
 * vq->ring_refs until virtq_stop().  On failure work out why (unmapped,
 * wrong permission, or split over regions whose host mappings are
 * unrelated) for the error message.
 */
static int ring_pin(struct virtq *vq, const char *what, uint64_t iova,
		    uint64_t len, unsigned int perm, void **p)
{
	struct iovec iov;
	int r;

	r = iova_translate_ref(vq->iova, iova, len, perm, &iov, 1,
			       &vq->ring_refs);
	if (r == 1) {
		*p = iov.iov_base;
		return 0;
	}
	if (r == -EBUSY || r == -ENOMEM) {
		virtq_break(vq, "%s [0x%" PRIx64 ", +%" PRIu64 ") cannot be "
			 "mapped: IOVA cache full", what, iova, len);
		return -ENOMEM;
	}
	r = iova_translate(vq->iova, iova, len, perm, NULL, 0);
	if (r == -EACCES) {
		virtq_break(vq, "%s [0x%" PRIx64 ", +%" PRIu64 ") is not device-%s",
			 what, iova, len,
			 perm == IOVA_PERM_READ ? "readable" : "writable");
		return -EACCES;
	}
	if (r > 1)
		virtq_break(vq, "%s [0x%" PRIx64 ", +%" PRIu64
			 ") spans %d mappings", what, iova, len, r);
	else
		virtq_break(vq, "%s [0x%" PRIx64 ", +%" PRIu64 ") is not mapped",
			 what, iova, len);
	return -EFAULT;
}

int virtq_start(struct virtq *vq, uint16_t num, uint64_t desc_iova,
		uint64_t driver_iova, uint64_t device_iova, uint16_t avail_idx,
		uint64_t features)
{
	void *desc, *avail, *used;
	int ret = -EINVAL;

	virtq_stop(vq);
	vq->broken = false;
	vq->err[0] = 0;
	memset(&vq->stats, 0, sizeof(vq->stats));

	if (!(features & (1ULL << VIRTIO_F_VERSION_1))) {
		virtq_break(vq, "legacy driver (VERSION_1 not negotiated)");
		goto err;
	}
	if (!num || (num & (num - 1)) || num > VIRTQ_MAX_SIZE) {
		virtq_break(vq, "queue size %u is not a power of two <= %u", num,
			 VIRTQ_MAX_SIZE);
		goto err;
	}
	if (desc_iova % VRING_DESC_ALIGN_SIZE ||
	    driver_iova % VRING_AVAIL_ALIGN_SIZE ||
	    device_iova % VRING_USED_ALIGN_SIZE) {
		virtq_break(vq, "misaligned rings: desc 0x%" PRIx64 " avail 0x%"
			 PRIx64 " used 0x%" PRIx64, desc_iova, driver_iova,
			 device_iova);
		goto err;
	}

	/* Sizes include used_event/avail_event whether negotiated or not. */
	ret = ring_pin(vq, "descriptor table", desc_iova,
		       16ULL * num, IOVA_PERM_READ, &desc);
	if (ret)
		goto err;
	ret = ring_pin(vq, "avail ring", driver_iova, 6 + 2ULL * num,
		       IOVA_PERM_READ, &avail);
	if (ret)
		goto err;
	ret = ring_pin(vq, "used ring", device_iova, 6 + 8ULL * num,
		       IOVA_PERM_WRITE, &used);
	if (ret)
		goto err;
	/* Only a strange mapping source could break alignment here. */
	if ((uintptr_t)desc % VRING_DESC_ALIGN_SIZE ||
	    (uintptr_t)avail % VRING_AVAIL_ALIGN_SIZE ||
	    (uintptr_t)used % VRING_USED_ALIGN_SIZE) {
		virtq_break(vq, "rings are misaligned in host memory");
		ret = -EFAULT;
		goto err;
	}

	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->num = num;
	vq->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	memset(vq->inflight, 0, (num + 63) / 64 * sizeof(vq->inflight[0]));
	vq->inflight_nr = 0;
	vq->last_avail = avail_idx;
	vq->shadow_avail = avail_idx;
	/* A fresh ring says 0; a resumed one says where the last device was. */
	vq->used_idx = le16toh(READ_ONCE(vq->used->idx));
	vq->published = vq->used_idx;
	vq->signalled = vq->used_idx;
	vq->signalled_valid = true;
	vq->log = NULL;

	/* The used ring header is ours: start with kicks wanted. */
	vq->kicks_off = false;
	WRITE_ONCE(vq->used->flags, 0);
	if (vq->event_idx)
		WRITE_ONCE(*avail_event(vq), htole16(avail_idx));
	return 0;

err:
	/* A ring that failed may have referenced its first piece too. */
	iova_refs_put(vq->iova, &vq->ring_refs);
	vq->num = 0;
	return ret;
}

void virtq_stop(struct virtq *vq)
{
	if (!vq->num)
		return;
	iova_refs_put(vq->iova, &vq->ring_refs);
	vq->num = 0;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->log = NULL;
}

/* State of one chain walk. */
struct walk {
	struct virtq_elem *e;
	unsigned int max;	/* iovec capacity */
	unsigned int n;		/* iovecs filled */
	unsigned int out_num;	/* iovecs before the first writable one */
	unsigned int count;	/* buffer descriptors seen */
	uint64_t out_len;
	uint64_t in_len;
	uint8_t *in_last;
	uint64_t in_last_iova;	/* in nospc mode: IOVA of the last writable byte */
	bool writable;		/* a writable descriptor was seen */
	bool nospc;		/* out of iovecs (or references): check only */
};

static int __attribute__((cold))
buf_error(struct virtq *vq, int r, bool ind, unsigned int idx,
	  uint64_t addr, uint32_t len, bool wr)
{
	const char *why = "cannot be mapped";

	if (r == -EFAULT)
		why = "is not mapped";
	else if (r == -EACCES)
		why = wr ? "is not device-writable" : "is not device-readable";
	return virtq_break(vq, "%sdescriptor %u: buffer [0x%" PRIx64 ", +%u) %s",
			ind ? "indirect " : "", idx, addr, len, why);
}

/* One buffer descriptor: check its place and mapping, append its iovecs. */
static int walk_buf(struct virtq *vq, struct walk *w, uint64_t addr,
		    uint32_t len, uint16_t flags, unsigned int idx, bool ind)
{
	bool wr = flags & VRING_DESC_F_WRITE;
	unsigned int perm = wr ? IOVA_PERM_WRITE : IOVA_PERM_READ;
	struct iovec *iov;
	int r;

	if (wr) {
		if (!w->writable)
			w->out_num = w->n;
		w->writable = true;
		w->in_len += len;
	} else {
		if (unlikely(w->writable))
			return virtq_break(vq, "%sdescriptor %u is device-readable "
					"after a writable one",
					ind ? "indirect " : "", idx);
		w->out_len += len;
	}
	if (!len)
		return 0;
	if (wr)
		w->in_last_iova = addr + len - 1;

	if (likely(!w->nospc && w->n < w->max)) {
		iov = w->e->iov + w->n;
		r = iova_translate_ref(vq->iova, addr, len, perm, iov,
				       w->max - w->n, w->e->refs);
		if (likely(r > 0)) {
			w->n += r;
			if (wr) {
				iov += r - 1;
				w->in_last = (uint8_t *)iov->iov_base +
					     iov->iov_len - 1;
			}
			return 0;
		}
		if (r == -EBUSY)
			return r;
		if (r != -ENOBUFS)
			return buf_error(vq, r, ind, idx, addr, len, wr);
	}

	/*
	 * Out of iovecs or references: the chain is consumed anyway (and
	 * answered with an error), so keep checking; walk_chain() maps the
	 * status byte at the end.
	 */
	w->nospc = true;
	r = iova_translate(vq->iova, addr, len, perm, NULL, 0);
	if (r == -EBUSY)
		return r;
	if (r < 0)
		return buf_error(vq, r, ind, idx, addr, len, wr);
	return 0;
}

/*
 * A chain that did not fit still gets its status byte: drop the data
 * references (nothing will touch the data) and reference just that byte.
 */
static int map_in_last(struct virtq *vq, struct walk *w)
{
	struct iovec last;
	int r;

	if (w->e->refs)
		iova_refs_put(vq->iova, w->e->refs);
	w->in_last = NULL;
	if (!w->writable)
		return 0;
	r = iova_translate_ref(vq->iova, w->in_last_iova, 1, IOVA_PERM_WRITE,
			       &last, 1, w->e->refs);
	if (r == -EBUSY)
		return r;
	if (r == 1)
		w->in_last = last.iov_base;
	return 0;
}

/* Copy indirect entry @i from a table that is split or misaligned. */
static int __attribute__((noinline))
read_desc_slow(struct virtq *vq, uint64_t tab, unsigned int i,
	       struct vring_desc *d)
{
	struct iovec iov[sizeof(*d)];
	uint8_t *p = (uint8_t *)d;
	int n, k;

	n = iova_translate(vq->iova, tab + i * sizeof(*d), sizeof(*d),
			   IOVA_PERM_READ, iov, ARRAY_SIZE(iov));
	if (n == -EBUSY)
		return n;
	if (n < 0)
		return virtq_break(vq, "indirect table at 0x%" PRIx64
				" entry %u is not readable", tab, i);
	for (k = 0; k < n; k++) {
		memcpy(p, iov[k].iov_base, iov[k].iov_len);
		p += iov[k].iov_len;
	}
	return 0;
}

/*
 * Check an indirect descriptor and locate its table: directly addressable
 * (*tab) in the common case, else read entry by entry from *tab_iova.
 */
static int enter_indirect(struct virtq *vq, bool ind, unsigned int idx,
			  uint64_t addr, uint32_t len, uint16_t flags,
			  struct iova_refs *refs, const struct vring_desc **tab,
			  uint64_t *tab_iova)
{
	struct iovec iov;
	int r;

	if (unlikely(!vq->indirect))
		return virtq_break(vq, "descriptor %u is indirect but "
				"INDIRECT_DESC was not negotiated", idx);
	if (unlikely(ind))
		return virtq_break(vq, "indirect descriptor %u inside an "
				"indirect table", idx);
	if (unlikely(flags & VRING_DESC_F_NEXT))
		return virtq_break(vq, "descriptor %u has both INDIRECT and NEXT",
				idx);
	if (unlikely(!len || len % sizeof(struct vring_desc)))
		return virtq_break(vq, "descriptor %u: indirect table length %u "
				"is not a non-zero multiple of %zu", idx, len,
				sizeof(struct vring_desc));

	/* Read in place, the table's region stays referenced by the chain. */
	r = iova_translate_ref(vq->iova, addr, len, IOVA_PERM_READ, &iov, 1,
			       refs);
	if (likely(r == 1 && !((uintptr_t)iov.iov_base %
			       __alignof__(struct vring_desc)))) {
		*tab = iov.iov_base;
		return 0;
	}
	if (r == -EBUSY)
		return r;
	if (r == -ENOBUFS || r == 1) {
		r = iova_translate(vq->iova, addr, len, IOVA_PERM_READ,
				   NULL, 0);
		if (r > 0) {
			*tab = NULL;
			*tab_iova = addr;
			return 0;
		}
		if (r == -EBUSY)
			return r;
	}
	return virtq_break(vq, "descriptor %u: indirect table [0x%" PRIx64
			", +%u) %s", idx, addr, len,
			r == -EACCES ? "is not device-readable" :
				       "is not mapped");
}

/*
 * Walk the chain at @head into @e.  Chain length counts buffer descriptors,
 * direct and indirect, against the queue size: that bounds any loop, and
 * the indirect pointer itself cannot loop since it may not have NEXT.
 */
static int walk_chain(struct virtq *vq, uint16_t head, struct virtq_elem *e)
{
	const struct vring_desc *tab = vq->desc;
	uint64_t tab_iova = 0;
	unsigned int tab_size = vq->num, idx = head;
	bool ind = false;
	struct walk w = { .e = e, .max = MIN(e->iov_max, UINT16_MAX) };
	int ret;

	for (;;) {
		struct vring_desc d;
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;

		if (likely(tab)) {
			d.addr = READ_ONCE(tab[idx].addr);
			d.len = READ_ONCE(tab[idx].len);
			d.flags = READ_ONCE(tab[idx].flags);
			d.next = READ_ONCE(tab[idx].next);
		} else {
			ret = read_desc_slow(vq, tab_iova, idx, &d);
			if (ret)
				return ret;
		}
		addr = le64toh(d.addr);
		len = le32toh(d.len);
		flags = le16toh(d.flags);
		next = le16toh(d.next);

		if (unlikely(flags & VRING_DESC_F_INDIRECT)) {
			ret = enter_indirect(vq, ind, idx, addr, len, flags,
					     e->refs, &tab, &tab_iova);
			if (ret)
				return ret;
			ind = true;
			tab_size = len / sizeof(struct vring_desc);
			idx = 0;
			continue;
		}
		if (unlikely(++w.count > vq->num))
			return virtq_break(vq, "chain at head %u is longer than "
					"the queue size %u (loop?)", head,
					vq->num);
		ret = walk_buf(vq, &w, addr, len, flags, idx, ind);
		if (unlikely(ret))
			return ret;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		if (unlikely(next >= tab_size))
			return virtq_break(vq, "%sdescriptor %u: next %u >= %s %u",
					ind ? "indirect " : "", idx, next,
					ind ? "table size" : "queue size",
					tab_size);
		idx = next;
	}

	if (unlikely(w.out_len + w.in_len > UINT32_MAX))
		return virtq_break(vq, "chain at head %u is longer than 4 GiB",
				head);
	if (!w.writable)
		w.out_num = w.n;
	if (unlikely(w.nospc)) {
		ret = map_in_last(vq, &w);
		if (ret)
			return ret;
	}
	e->head = head;
	e->out_len = w.out_len;
	e->in_len = w.in_len;
	e->in_last = w.in_last;
	e->in_last_iova = w.in_last ? w.in_last_iova : 0;
	if (unlikely(w.nospc)) {
		e->out_num = 0;
		e->in_num = 0;
		return -ENOSPC;
	}
	e->out_num = w.out_num;
	e->in_num = w.n - w.out_num;
	return 1;
}

/* Record a publication in the log (see vqlog.c). */
static void log_published(struct virtq *vq, uint16_t from, uint16_t to)
{
	struct virtq_log *log = vq->log;
	const uint16_t *heads = virtq_log_heads(log, vq->num);

	for (; from != to; from++) {
		uint16_t h = heads[from & (vq->num - 1)];

		if (h < vq->num)
			WRITE_ONCE(log->inflight[h], 0);
	}
	WRITE_ONCE(log->used_idx, to);
}

int virtq_pop(struct virtq *vq, struct virtq_elem *e)
{
	uint16_t last = vq->last_avail, head;
	int ret;

	if (unlikely(vq->broken))
		return -EPROTO;
	if (unlikely(!vq->num))
		return 0;

	/* Read avail->idx only when the entries we know of are used up. */
	if (last == vq->shadow_avail) {
		uint16_t idx = le16toh(READ_ONCE(vq->avail->idx));

		if (idx == last)
			return 0;
		if (unlikely((uint16_t)(idx - last) > vq->num))
			return virtq_break(vq, "avail idx %u is %u ahead of "
					"last_avail %u (queue size %u)", idx,
					(uint16_t)(idx - last), last, vq->num);
		vq->shadow_avail = idx;
		/* The ring entries are valid only once we saw the index. */
		smp_rmb();
	}

	head = le16toh(READ_ONCE(vq->avail->ring[last & (vq->num - 1)]));
	if (unlikely(head >= vq->num))
		return virtq_break(vq, "descriptor %u >= queue size %u (avail "
				"slot %u)", head, vq->num, last);
	if (unlikely(inflight_test(vq, head)))
		return virtq_break(vq, "head %u offered again while in flight "
				"(avail slot %u)", head, last);

	ret = walk_chain(vq, head, e);
	if (unlikely(ret == -EPROTO || ret == -EBUSY)) {
		/* Not handed out: the chain holds nothing. */
		if (e->refs)
			iova_refs_put(vq->iova, e->refs);
		return ret;
	}

	inflight_set(vq, head);
	vq->inflight_nr++;
	if (vq->log) {
		WRITE_ONCE(vq->log->inflight[head], 1);
		WRITE_ONCE(vq->log->last_avail, (uint16_t)(last + 1));
	}
	vq->last_avail = last + 1;
	vq->stats.pops++;
	return ret;
}

int virtq_map_head(struct virtq *vq, uint16_t head, struct virtq_elem *e)
{
	int ret;

	if (vq->broken)
		return -EPROTO;
	if (!vq->num || head >= vq->num || !inflight_test(vq, head))
		return -EINVAL;
	ret = walk_chain(vq, head, e);
	if (unlikely(ret == -EPROTO || ret == -EBUSY) && e->refs)
		iova_refs_put(vq->iova, e->refs);
	return ret;
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *u;
	unsigned int slot;

	if (unlikely(vq->broken || !vq->num))
		return;
	if (unlikely(head >= vq->num || !inflight_test(vq, head))) {
		virtq_break(vq, "device completed head %u which is not in flight",
			 head);
		return;
	}
	/*
	 * A full ring of unpublished completions needs a driver that offered
	 * heads again before seeing them used; publish rather than overwrite.
	 */
	if (unlikely((uint16_t)(vq->used_idx - vq->published) >= vq->num))
		virtq_flush(vq);

	inflight_clear(vq, head);
	vq->inflight_nr--;
	slot = vq->used_idx & (vq->num - 1);
	u = &vq->used->ring[slot];
	u->id = htole32(head);
	u->len = htole32(len);
	if (vq->log)
		WRITE_ONCE(virtq_log_heads(vq->log, vq->num)[slot], head);
	vq->used_idx++;
}

void virtq_flush(struct virtq *vq)
{
	uint16_t old = vq->published, new = vq->used_idx;
	bool need;

	if (unlikely(vq->broken || !vq->num) || old == new)
		return;

	/* Used elements must be visible before the index that covers them. */
	smp_wmb();
	WRITE_ONCE(vq->used->idx, htole16(new));
	vq->published = new;
	if (vq->log)
		log_published(vq, old, new);

	/*
	 * The driver stores used_event (or its flag) and then re-reads
	 * used->idx; we stored used->idx and now read used_event.  Only a
	 * full fence stops both sides from missing the other's store.
	 */
	smp_mb();
	if (vq->event_idx) {
		uint16_t ev = le16toh(READ_ONCE(*used_event(vq)));

		need = !vq->signalled_valid ||
		       vring_need_event(ev, new, vq->signalled);
		vq->signalled = new;
		vq->signalled_valid = true;
	} else {
		need = !(le16toh(READ_ONCE(vq->avail->flags)) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	}

	if (need && vq->notify) {
		vq->stats.notifies++;
		vq->notify(vq);
	} else {
		vq->stats.notifies_suppressed++;
	}
}

void virtq_disable_kicks(struct virtq *vq)
{
	if (unlikely(vq->broken || !vq->num) || vq->kicks_off)
		return;
	vq->kicks_off = true;
	/*
	 * With EVENT_IDX nothing to write: the driver kicks only when it
	 * moves avail->idx past avail_event, which we leave behind.
	 */
	if (!vq->event_idx)
		WRITE_ONCE(vq->used->flags, htole16(VRING_USED_F_NO_NOTIFY));
}

bool virtq_enable_kicks(struct virtq *vq)
{
	if (unlikely(vq->broken || !vq->num))
		return false;
	if (vq->event_idx)
		WRITE_ONCE(*avail_event(vq), htole16(vq->last_avail));
	else if (vq->kicks_off)
		WRITE_ONCE(vq->used->flags, 0);
	vq->kicks_off = false;
	vq->stats.kicks_enabled++;

	/*
	 * The driver publishes avail->idx and then reads our flag or
	 * avail_event; we wrote those and now read avail->idx.  Without a
	 * full fence each side can miss the other and the queue stalls.
	 */
	smp_mb();
	return le16toh(READ_ONCE(vq->avail->idx)) != vq->last_avail;
}
