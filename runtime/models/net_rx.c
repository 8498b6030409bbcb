// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net RX: frames from the backend into the driver's buffers.
 *
 * Chains are popped into a stash as a frame needs them and handed to the
 * backend as one run of iovecs, so a frame is written once, straight into
 * the driver's buffers.  With MRG_RXBUF a frame spans as many chains as it
 * needs and num_buffers says how many; without it one chain must hold it.
 * Chains left over stay stashed, in order, for the next frame.
 *
 * A stashed chain references the IOVA regions it uses (see iova.h) until
 * it is pushed or dropped, so nothing under its iovecs is released
 * meanwhile; a frame written into memory the driver took away is dropped
 * (memory_lost).  When the IOVA cache has no room the queue stops popping
 * and TX completions restart it (net_tx_publish in net.c); RX deliveries
 * in turn restart a TX queue that waits for room.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "../core/bits.h"
#include "../core/compiler.h"
#include "../core/iov.h"
#include "../core/log.h"
#include "../virtio/vdev.h"
#include "net_priv.h"

uint32_t net_rx_max(const struct net_port *p)
{
	const struct net_dev *nd = net_of_port(p);
	uint64_t gso = BIT(VIRTIO_NET_F_GUEST_TSO4) |
		       BIT(VIRTIO_NET_F_GUEST_TSO6) |
		       BIT(VIRTIO_NET_F_GUEST_UFO);

	return NET_HDR_LEN + (nd->d->driver_features & gso ?
			      NET_GSO_FRAME_MAX : NET_FRAME_MAX(nd->cfg->mtu));
}

void net_rx_dropped(struct net_port *p, enum net_drop why)
{
	struct net_dev *nd = net_of_port(p);

	nd->st.rx_drop[why < NET_DROP_NR ? why : NET_DROP_BACKEND]++;
}

void net_rx_soft_offload(struct net_port *p, uint32_t segs)
{
	struct net_dev *nd = net_of_port(p);

	if (!segs) {
		nd->st.rx_csum_sw++;
		return;
	}
	nd->st.rx_gso_sw++;
	nd->st.rx_gso_segments += segs;
}


static bool net_rx_open(const struct net_dev *nd)
{
	const struct virtq *vq = nd->rx.vq;

	return nd->running && vq->num && !vq->broken;
}

/* A chain we cannot use goes back empty (the driver counts an error). */
static void net_rx_discard(struct net_dev *nd, uint16_t head,
			   struct iova_refs *refs)
{
	virtq_push(nd->rx.vq, head, 0);
	iova_refs_put(nd->rx.vq->iova, refs);
	nd->rx.dirty = true;
	nd->st.rx_bad_chain++;
}

/* Keep the chain mapped into @b (@e's iovecs) at the stash's end. */
static bool net_rx_stash(struct net_dev *nd, struct net_rxbuf *b,
			 const struct virtq_elem *e)
{
	/* Mergeable buffers must each hold a header (spec); others a frame. */
	uint32_t min = nd->mrg ? NET_HDR_LEN : NET_HDR_LEN + NET_ETH_HLEN;

	if (e->in_len < min)
		return false;
	/* RX buffers are device-writable: a readable part is ignored. */
	if (e->out_num)
		memmove(b->iov, b->iov + e->out_num,
			e->in_num * sizeof(b->iov[0]));
	b->head = e->head;
	b->cnt = e->in_num;
	b->cap = e->in_len;
	nd->rx.nr++;
	return true;
}

/* Pop one usable chain into the stash: 1, 0 (ring empty) or -EPROTO. */
static int net_rx_pop(struct net_dev *nd)
{
	struct net_rxq *q = &nd->rx;
	struct net_rxbuf *b = &q->stash[(q->first + q->nr) % NET_RX_STASH];
	struct virtq_elem e = { .iov = b->iov, .iov_max = NET_RX_CHAIN_IOV,
				.refs = &b->refs };
	int ret;

	for (;;) {
		ret = virtq_pop(q->vq, &e);
		if (ret == -EBUSY) {
			/* TX holds the IOVA cache: its completions resume us. */
			q->iova_wait = true;
			return 0;
		}
		if (!ret || ret == -EPROTO)
			return ret;
		if (ret == 1 && net_rx_stash(nd, b, &e))
			return 1;
		net_rx_discard(nd, e.head, &b->refs);
	}
}

/*
 * Lay the stash's first chains out as one iovec run of up to @len bytes.
 * 0: it holds @len; -EAGAIN: more chains would do; -EMSGSIZE: never.
 */
static int net_rx_layout(struct net_dev *nd, uint32_t len)
{
	struct net_rxq *q = &nd->rx;
	unsigned int i, cnt = 0;
	uint64_t cap = 0;

	for (i = 0; i < q->nr && cap < len; i++) {
		const struct net_rxbuf *b = &q->stash[(q->first + i) %
						      NET_RX_STASH];

		if (i && !nd->mrg)
			break;
		if (cnt + b->cnt > NET_RX_FLAT)
			break;
		memcpy(q->flat + cnt, b->iov, b->cnt * sizeof(b->iov[0]));
		cnt += b->cnt;
		cap += b->cap;
	}
	q->flat_cnt = cnt;
	q->flat_cap = MIN(cap, (uint64_t)UINT32_MAX);
	if (cap >= len)
		return 0;
	if ((q->nr && !nd->mrg) || i < q->nr || q->nr == NET_RX_STASH ||
	    q->nr == q->vq->num)
		return -EMSGSIZE;
	return -EAGAIN;
}

int net_rx_reserve(struct net_port *p, uint32_t len, bool partial,
		   struct net_rxroom *room)
{
	struct net_dev *nd = net_of_port(p);
	struct net_rxq *q = &nd->rx;
	int ret;

	for (;;) {
		if (!net_rx_open(nd))
			return -ENOLINK;
		ret = net_rx_layout(nd, len);
		if (ret != -EAGAIN)
			break;
		ret = net_rx_pop(nd);
		if (ret == 1)
			continue;
		if (ret == -EPROTO) {
			vdev_vq_broken(nd->d, q->vq);
			return -ENOLINK;
		}
		if (partial && q->nr)
			break;
		/* Dry: ask for a kick, unless buffers arrived meanwhile. */
		if (!q->iova_wait && virtq_enable_kicks(q->vq))
			continue;
		if (!q->starved)
			nd->st.rx_ring_full++;
		q->starved = true;
		return -EAGAIN;
	}
	if (ret == -EMSGSIZE && !(partial && q->flat_cnt))
		return -EMSGSIZE;
	if (q->starved) {
		/* Fed again: kicks are not needed until the next drought. */
		q->starved = false;
		virtq_disable_kicks(q->vq);
	}
	room->iov = q->flat;
	room->cnt = q->flat_cnt;
	room->cap = q->flat_cap;
	return 0;
}

void net_rx_commit(struct net_port *p, uint32_t len)
{
	struct net_dev *nd = net_of_port(p);
	struct net_rxq *q = &nd->rx;
	uint32_t left = len, n;
	uint16_t nbuf = 0, le;
	uint64_t cap = 0;
	unsigned int i;
	bool ok = true;

	if (!net_rx_open(nd) || len < NET_HDR_LEN || len > q->flat_cap)
		return;
	for (i = 0; i < q->nr && cap < len; i++) {
		const struct net_rxbuf *b = &q->stash[(q->first + i) %
						      NET_RX_STASH];

		cap += b->cap;
		ok = ok && iova_refs_ok(&b->refs);
	}
	nbuf = i;
	le = htole16(nbuf);
	iov_write(q->flat, q->flat_cnt,
		  offsetof(struct virtio_net_hdr_v1, num_buffers), &le, 2);
	for (i = 0; i < nbuf; i++) {
		struct net_rxbuf *b = &q->stash[q->first];

		/* Written into memory the driver took back: it gets nothing. */
		n = ok ? MIN(b->cap, left) : 0;
		virtq_push(q->vq, b->head, n);
		iova_refs_put(nd->rx.vq->iova, &b->refs);
		left -= MIN(b->cap, left);
		q->first = (q->first + 1) % NET_RX_STASH;
		q->nr--;
	}
	q->flat_cnt = 0;
	q->flat_cap = 0;
	q->dirty = true;
	if (!ok) {
		nd->st.rx_drop[NET_DROP_MEM_LOST]++;
		return;
	}
	nd->st.rx_packets++;
	nd->st.rx_bytes += len - NET_HDR_LEN;
	if (nbuf > 1)
		nd->st.rx_merged++;
}

void net_rx_flush(struct net_port *p)
{
	struct net_dev *nd = net_of_port(p);

	if (!nd->rx.dirty)
		return;
	nd->rx.dirty = false;
	virtq_flush(nd->rx.vq);
	/* Delivered RX chains made IOVA room the TX queue was waiting for. */
	if (nd->tx.iova_wait) {
		nd->tx.iova_wait = false;
		net_tx_run(nd);
	}
}

/* Restart: an RX chain is simply stashed again, being still empty. */
void net_rx_resubmit(struct net_dev *nd, uint16_t head)
{
	struct net_rxq *q = &nd->rx;
	struct net_rxbuf *b = &q->stash[(q->first + q->nr) % NET_RX_STASH];
	struct virtq_elem e = { .iov = b->iov, .iov_max = NET_RX_CHAIN_IOV,
				.refs = &b->refs };
	struct iova_refs refs = { 0 };
	struct iovec one;
	int ret;

	if (q->nr == NET_RX_STASH) {
		e.iov = &one;
		e.iov_max = 1;
		e.refs = &refs;
	}
	ret = virtq_map_head(q->vq, head, &e);
	if (ret == -EPROTO) {
		vdev_vq_broken(nd->d, q->vq);
		return;
	}
	if (ret == -EINVAL) {
		dev_info(nd->d->name, "net: rx head %u not in flight", head);
		return;
	}
	/* An empty RX chain answered with nothing (-EBUSY too) loses nothing. */
	if (ret != 1 || e.iov == &one || !net_rx_stash(nd, b, &e))
		net_rx_discard(nd, head, e.refs);
	iova_refs_fini(q->vq->iova, &refs);
	net_rx_flush(&nd->port);
}

/* Forget the stash: its chains' memory is not ours. */
static void net_rx_unstash(struct net_dev *nd)
{
	struct net_rxq *q = &nd->rx;

	for (; q->nr; q->nr--, q->first = (q->first + 1) % NET_RX_STASH)
		iova_refs_put(q->vq->iova, &q->stash[q->first].refs);
}

void net_rx_reset(struct net_dev *nd)
{
	net_rx_unstash(nd);
	nd->rx.iova_wait = false;
	nd->rx.first = 0;
	nd->rx.nr = 0;
	nd->rx.flat_cnt = 0;
	nd->rx.flat_cap = 0;
	nd->rx.dirty = false;
	nd->rx.starved = false;
}

void net_rx_fini(struct net_dev *nd)
{
	unsigned int i;

	net_rx_unstash(nd);
	for (i = 0; i < NET_RX_STASH; i++)
		iova_refs_fini(&nd->d->iova, &nd->rx.stash[i].refs);
}
