// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net over a net_backend (tap or cable).
 *
 * TX: a kick drains the queue.  Each chain's header is checked here, so a
 * backend only ever sees frames the negotiated features allow; bad ones
 * are dropped and counted, never passed on.  The batch is published with
 * one virtq_flush().  When the backend cannot take a frame (the cable's
 * other driver has no RX buffers, the tap is full) the frame is held: the
 * queue stops being consumed, so later frames wait in the ring, in order,
 * until the backend calls net_tx_resume().
 *
 * RX: chains are popped into a stash as a frame needs them and handed to
 * the backend as one run of iovecs, so a frame is written once, straight
 * into the driver's buffers.  With MRG_RXBUF a frame spans as many chains
 * as it needs and num_buffers says how many; without it one chain must
 * hold it.  Chains left over stay stashed, in order, for the next frame.
 *
 * Memory: a stashed RX chain and the TX chain being sent reference the
 * IOVA regions they use (see iova.h) until they are pushed or dropped, so
 * nothing under their iovecs is released meanwhile.  A frame whose
 * memory the driver took away is dropped (memory_lost), never delivered
 * or sent half-read.  When the IOVA cache has no room, the queue stops
 * popping and the other direction's completions restart it.
 *
 * Link: VIRTIO_NET_S_LINK_UP is (administrative state && carrier).  The
 * administrative state is the table's link_up, switched by net_set_link();
 * the carrier is the backend's (tap attached and up, cable plugged in and
 * its other end up).
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "../core/bits.h"
#include "../core/compiler.h"
#include "../core/iov.h"
#include "../core/log.h"
#include "../devtable/devtable.h"
#include "../virtio/vdev.h"
#include "net.h"
#include "net_backend.h"

#define NET_RXQ 0
#define NET_TXQ 1
/*
 * iovecs per chain.  Linux sends hdr + linear part + up to MAX_SKB_FRAGS
 * (at most 45) fragments, and its non-mergeable "big" RX chains are
 * MAX_SKB_FRAGS + 2 pages; a buffer crossing mapped regions costs one more.
 */
#define NET_TX_IOV 128
#define NET_RX_CHAIN_IOV 64
/*
 * Chains a frame may span.  Linux sizes mergeable buffers so that a ring
 * of them holds a 64 KiB frame, i.e. at least 1518 bytes each: 44 chains.
 */
#define NET_RX_STASH 64
/* iovecs of one reserved room, plus the spare: UIO_MAXIOV for readv(). */
#define NET_RX_FLAT 1023
#define NET_STATUS_OFF offsetof(struct virtio_net_config, status)

/* A popped RX chain waiting for a frame (its writable part only). */
struct net_rxbuf {
	uint16_t head;
	uint16_t cnt;
	uint32_t cap;
	struct iova_refs refs;
	struct iovec iov[NET_RX_CHAIN_IOV];
};

struct net_rxq {
	struct virtq *vq;
	struct net_rxbuf stash[NET_RX_STASH];	/* FIFO from first */
	unsigned int first;
	unsigned int nr;
	/* The reserved room: the stash's first chains as one iovec run. */
	struct iovec flat[NET_RX_FLAT + 1];
	unsigned int flat_cnt;
	uint32_t flat_cap;
	bool dirty;			/* pushed, not yet flushed */
	bool starved;			/* a frame waits for buffers */
	bool iova_wait;			/* ... that TX must make IOVA room for */
};

struct net_txq {
	struct virtq *vq;
	struct virtq_elem e;		/* the chain being sent */
	struct iova_refs refs;		/* its regions */
	struct net_txframe f;
	struct iovec iov[NET_TX_IOV + 1];	/* [0]: room for the header */
	bool held;			/* f waits for the backend */
	bool iova_wait;			/* no IOVA room: RX completions resume */
	bool busy;			/* in net_tx_run() */
	bool again;			/* resumed while busy */
	bool dirty;
};

/* Counters, written out on SIGUSR1. */
struct net_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t tx_drop[NET_DROP_NR], rx_drop[NET_DROP_NR];
	uint64_t tx_bad_chain, rx_bad_chain;
	uint64_t tx_held;		/* frames the backend had to hold */
	uint64_t rx_ring_full;		/* frames that waited for RX buffers */
	uint64_t rx_merged;		/* frames over several buffers */
	uint64_t rx_csum_sw, rx_gso_sw, rx_gso_segments;
	uint64_t link_changes;
};

struct net_dev {
	struct vdev *d;
	const struct net_devcfg *cfg;
	struct net_backend *be;
	struct net_stats st;
	bool running;
	bool mrg;			/* MRG_RXBUF negotiated */
	bool admin_up;
	bool carrier;
	struct net_rxq rx;
	struct net_txq tx;
};

static const struct vdev_model_ops net_ops;

static struct net_dev *net_of(const struct vdev *d)
{
	return d && d->ops == &net_ops ? d->model : NULL;
}

/* ---- accessors for backends ---- */

const char *net_name(const struct net_dev *nd)
{
	return nd->d->name;
}

bool net_running(const struct net_dev *nd)
{
	return nd->running;
}

uint64_t net_features(const struct net_dev *nd)
{
	return nd->d->driver_features;
}

uint16_t net_mtu(const struct net_dev *nd)
{
	return nd->cfg->mtu;
}

bool net_link_admin(const struct net_dev *nd)
{
	return nd->admin_up;
}

bool net_link_up(const struct net_dev *nd)
{
	return nd->admin_up && nd->carrier;
}

uint32_t net_rx_max(const struct net_dev *nd)
{
	uint64_t gso = BIT(VIRTIO_NET_F_GUEST_TSO4) |
		       BIT(VIRTIO_NET_F_GUEST_TSO6) |
		       BIT(VIRTIO_NET_F_GUEST_UFO);

	return NET_HDR_LEN + (nd->d->driver_features & gso ?
			      NET_GSO_FRAME_MAX : NET_FRAME_MAX(nd->cfg->mtu));
}

void net_rx_dropped(struct net_dev *nd, enum net_drop why)
{
	nd->st.rx_drop[why < NET_DROP_NR ? why : NET_DROP_BACKEND]++;
}

void net_rx_soft_offload(struct net_dev *nd, uint32_t segs)
{
	if (!segs) {
		nd->st.rx_csum_sw++;
		return;
	}
	nd->st.rx_gso_sw++;
	nd->st.rx_gso_segments += segs;
}

/* ---- link ---- */

static uint16_t net_status(const struct net_dev *nd)
{
	return net_link_up(nd) ? VIRTIO_NET_S_LINK_UP : 0;
}

/* Tell the driver what config.status says now. */
static void net_status_publish(struct net_dev *nd)
{
	struct vdev *d = nd->d;
	int ret;

	if (!d->transport)
		return;		/* not on a transport yet: read at creation */
	ret = d->transport->config_update ?
	      d->transport->config_update(d, NET_STATUS_OFF, 2) : 0;
	if (ret)
		dev_dbg(d->name, "net: config update: %s", strerror(-ret));
	if (nd->running && d->transport->config_irq)
		d->transport->config_irq(d);
}

static void net_link_update(struct net_dev *nd, bool admin_changed)
{
	uint16_t status = net_status(nd), old;
	bool changed;

	memcpy(&old, nd->d->config + NET_STATUS_OFF, 2);
	changed = le16toh(old) != status;
	if (changed) {
		old = htole16(status);
		memcpy(nd->d->config + NET_STATUS_OFF, &old, 2);
		nd->st.link_changes++;
		dev_info(nd->d->name, "net: link %s", status ? "up" : "down");
		net_status_publish(nd);
	}
	if ((changed || admin_changed) && nd->be && nd->be->ops->link_changed)
		nd->be->ops->link_changed(nd->be, status != 0);
	/* A frame waiting for the other side is dropped now. */
	if (!status && nd->tx.held)
		net_tx_resume(nd);
}

void net_carrier(struct net_dev *nd, bool on)
{
	if (nd->carrier == on)
		return;
	nd->carrier = on;
	net_link_update(nd, false);
}

void net_set_link(struct vdev *d, bool up)
{
	struct net_dev *nd = net_of(d);

	if (!nd || nd->admin_up == up)
		return;
	nd->admin_up = up;
	net_link_update(nd, true);
}

bool net_get_link(const struct vdev *d)
{
	const struct net_dev *nd = net_of(d);

	return nd && nd->admin_up;
}

void net_reconnect(void)
{
	net_tap_retry_all();
}

/* ---- TX ---- */

/* Give the current TX chain back: the device writes nothing into it. */
static void net_tx_done(struct net_dev *nd)
{
	virtq_push(nd->tx.vq, nd->tx.e.head, 0);
	iova_refs_put(nd->tx.vq->iova, &nd->tx.refs);
	nd->tx.dirty = true;
}

static void net_tx_publish(struct net_dev *nd)
{
	if (nd->be->ops->xmit_done)
		nd->be->ops->xmit_done(nd->be);
	if (nd->tx.dirty) {
		nd->tx.dirty = false;
		virtq_flush(nd->tx.vq);
		/* Pushed TX chains made IOVA room a frame was waiting for. */
		if (nd->rx.iova_wait && nd->running) {
			nd->rx.iova_wait = false;
			nd->be->ops->rx_kick(nd->be);
		}
	}
}

/* Check the chain just popped and describe its frame in tx.f. */
static enum net_drop net_tx_parse(struct net_dev *nd)
{
	struct net_txq *q = &nd->tx;
	struct net_txframe *f = &q->f;
	struct iovec *iov = q->e.iov;
	unsigned int cnt = q->e.out_num, i;
	enum net_drop why;
	size_t skip;

	if (q->e.out_len < NET_HDR_LEN ||
	    iov_read(iov, cnt, 0, f->raw_hdr, NET_HDR_LEN) != NET_HDR_LEN)
		return NET_DROP_BAD_HDR;
	net_hdr_decode(&f->hdr, f->raw_hdr);
	f->len = q->e.out_len - NET_HDR_LEN;
	why = net_hdr_check_tx(&f->hdr, nd->d->driver_features, f->len,
			       nd->cfg->mtu);
	if (why)
		return why;
	/* Backends see our checked copy of the header, never the driver's. */
	net_hdr_encode(&f->hdr, f->raw_hdr);
	if (!iov_seek(iov, cnt, NET_HDR_LEN, &i, &skip))
		return NET_DROP_BAD_HDR;
	iov[i].iov_base = (uint8_t *)iov[i].iov_base + skip;
	iov[i].iov_len -= skip;
	f->iov = iov + i;
	f->iovcnt = cnt - i;
	/* iov[i - 1] is q->iov[i]: a header iovec, or the spare one. */
	f->wire = iov + i - 1;
	f->wire[0].iov_base = f->raw_hdr;
	f->wire[0].iov_len = NET_HDR_LEN;
	f->wire_cnt = f->iovcnt + 1;
	f->resume = 0;
	return NET_DROP_NONE;
}

/* Offer the current frame to the backend; false if it must be held. */
static bool net_tx_send(struct net_dev *nd)
{
	struct net_txq *q = &nd->tx;
	int ret = NET_DROP_LINK_DOWN;

	if (!iova_refs_ok(&q->refs))
		ret = NET_DROP_MEM_LOST;
	else if (net_link_up(nd))
		ret = nd->be->ops->xmit(nd->be, &q->f);
	if (!nd->running)
		return false;	/* reset under us: the chain is gone */
	if (ret == -EAGAIN) {
		if (!q->held)
			nd->st.tx_held++;
		q->held = true;
		return false;
	}
	q->held = false;
	if (!ret) {
		nd->st.tx_packets++;
		nd->st.tx_bytes += q->f.len;
	} else {
		nd->st.tx_drop[ret > 0 && ret < NET_DROP_NR ? ret :
			       NET_DROP_BACKEND]++;
	}
	net_tx_done(nd);
	return true;
}

/* Pop, check and send until the ring is empty or a frame is held. */
static void net_tx_drain(struct net_dev *nd)
{
	struct net_txq *q = &nd->tx;
	enum net_drop why;
	int ret;

	/* Still held, it may have made progress (segments): publish that. */
	if (q->held && !net_tx_send(nd)) {
		net_tx_publish(nd);
		return;
	}
	do {
		virtq_disable_kicks(q->vq);
		while (nd->running) {
			q->e.iov = q->iov + 1;
			q->e.iov_max = NET_TX_IOV;
			q->e.refs = &q->refs;
			ret = virtq_pop(q->vq, &q->e);
			if (ret == -EBUSY) {
				/* RX holds the IOVA cache: its commits resume us. */
				q->iova_wait = true;
				net_tx_publish(nd);
				return;
			}
			if (!ret)
				break;
			if (ret == -EPROTO) {
				net_tx_publish(nd);
				vdev_vq_broken(nd->d, q->vq);
				return;
			}
			if (ret == -ENOSPC) {
				nd->st.tx_bad_chain++;
				net_tx_done(nd);
				continue;
			}
			why = net_tx_parse(nd);
			if (why) {
				nd->st.tx_drop[why]++;
				net_tx_done(nd);
				continue;
			}
			if (!net_tx_send(nd)) {
				net_tx_publish(nd);
				return;
			}
		}
		if (!nd->running)
			return;
		net_tx_publish(nd);
	} while (virtq_enable_kicks(q->vq));
}

static void net_tx_run(struct net_dev *nd)
{
	struct net_txq *q = &nd->tx;

	/* A backend callback nested in our own xmit: finish that first. */
	if (q->busy) {
		q->again = true;
		return;
	}
	q->busy = true;
	do {
		q->again = false;
		if (nd->running && q->vq->num && !q->vq->broken)
			net_tx_drain(nd);
	} while (q->again);
	q->busy = false;
}

void net_tx_resume(struct net_dev *nd)
{
	if (nd->tx.held)
		net_tx_run(nd);
}

/* ---- RX ---- */

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

int net_rx_reserve(struct net_dev *nd, uint32_t len, bool partial,
		   struct net_rxroom *room)
{
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

void net_rx_commit(struct net_dev *nd, uint32_t len)
{
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

void net_rx_flush(struct net_dev *nd)
{
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

/* Forget the stash (reset, teardown): its chains' memory is not ours. */
static void net_rx_unstash(struct net_dev *nd)
{
	struct net_rxq *q = &nd->rx;

	for (; q->nr; q->nr--, q->first = (q->first + 1) % NET_RX_STASH)
		iova_refs_put(q->vq->iova, &q->stash[q->first].refs);
}

/* ---- vdev_model_ops ---- */

static int net_start(struct vdev *d)
{
	struct net_dev *nd = d->model;
	int ret;

	nd->mrg = vdev_has_feature(d, VIRTIO_NET_F_MRG_RXBUF);
	nd->running = true;
	ret = nd->be->ops->start(nd->be, d->driver_features);
	if (ret) {
		nd->running = false;
		return ret;
	}
	/* After a restart the kernel may hold an older status: restate it. */
	net_status_publish(nd);
	return 0;
}

static void net_queue_kick(struct vdev *d, struct virtq *vq)
{
	struct net_dev *nd = d->model;

	if (!nd->running || !vq->num || vq->broken)
		return;
	if (vq == nd->rx.vq)
		nd->be->ops->rx_kick(nd->be);
	else if (vq == nd->tx.vq)
		net_tx_run(nd);
}

static void net_stop(struct vdev *d)
{
	struct net_dev *nd = d->model;

	nd->running = false;
	/*
	 * The stash and a held frame belong to rings that are gone; the
	 * backends copy synchronously, so nothing else uses their memory.
	 */
	if (nd->tx.held)
		nd->st.tx_drop[NET_DROP_RESET]++;
	net_rx_unstash(nd);
	iova_refs_put(nd->tx.vq->iova, &nd->tx.refs);
	nd->rx.iova_wait = false;
	nd->tx.iova_wait = false;
	nd->rx.first = 0;
	nd->rx.nr = 0;
	nd->rx.flat_cnt = 0;
	nd->rx.flat_cap = 0;
	nd->rx.dirty = false;
	nd->rx.starved = false;
	nd->tx.held = false;
	nd->tx.dirty = false;
	nd->be->ops->stop(nd->be);
}

/* Restart: an RX chain is simply stashed again, being still empty. */
static void net_resubmit_rx(struct net_dev *nd, uint16_t head)
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
	net_rx_flush(nd);
}

/*
 * Restart: a TX chain may or may not have left before the earlier vdused
 * died.  Sending it again could duplicate it at the other end; dropping
 * it loses it, which every protocol above Ethernet already copes with.
 */
static void net_resubmit_tx(struct net_dev *nd, uint16_t head)
{
	struct virtq *vq = nd->tx.vq;
	struct iova_refs refs = { 0 };
	struct iovec one;
	struct virtq_elem e = { .iov = &one, .iov_max = 1, .refs = &refs };
	int ret;

	ret = virtq_map_head(vq, head, &e);
	if (ret == -EPROTO) {
		vdev_vq_broken(nd->d, vq);
		return;
	}
	if (ret == -EINVAL) {
		dev_info(nd->d->name, "net: tx head %u not in flight", head);
		return;
	}
	nd->st.tx_drop[NET_DROP_RESET]++;
	virtq_push(vq, head, 0);
	iova_refs_fini(vq->iova, &refs);
	virtq_flush(vq);
}

static void net_resubmit(struct vdev *d, struct virtq *vq, uint16_t head)
{
	struct net_dev *nd = d->model;

	if (!nd->running || !vq->num || vq->broken)
		return;
	if (vq == nd->rx.vq)
		net_resubmit_rx(nd, head);
	else if (vq == nd->tx.vq)
		net_resubmit_tx(nd, head);
}

/* Chains we hold (stashed RX buffers, a held TX frame). */
static unsigned int net_inflight(const struct vdev *d)
{
	const struct net_dev *nd = d->model;

	return nd->rx.nr + nd->tx.held;
}

static void net_destroy(struct vdev *d)
{
	struct net_dev *nd = d->model;
	unsigned int i;

	if (!nd)
		return;
	nd->be->ops->close(nd->be);
	net_rx_unstash(nd);
	for (i = 0; i < NET_RX_STASH; i++)
		iova_refs_fini(&d->iova, &nd->rx.stash[i].refs);
	iova_refs_fini(&d->iova, &nd->tx.refs);
	free(nd);
	d->model = NULL;
}

static const char *const net_drop_names[NET_DROP_NR] = {
	[NET_DROP_OVERSIZE] = "oversize",
	[NET_DROP_BAD_HDR] = "bad_header",
	[NET_DROP_LINK_DOWN] = "link_down",
	[NET_DROP_PEER_DOWN] = "peer_down",
	[NET_DROP_BACKEND] = "backend_error",
	[NET_DROP_NO_OFFLOAD] = "no_offload",
	[NET_DROP_RESET] = "reset",
	[NET_DROP_MEM_LOST] = "memory_lost",
};

static void net_dump_drops(int fd, const char *dir, const uint64_t *drops)
{
	char name[48];
	unsigned int i;

	for (i = 1; i < NET_DROP_NR; i++) {
		snprintf(name, sizeof(name), "%s_drop_%s", dir,
			 net_drop_names[i]);
		stat_line(fd, name, drops[i]);
	}
}

static void net_dump_stats(const struct vdev *d, int fd)
{
	const struct net_dev *nd = d->model;
	const struct net_stats *st = &nd->st;

	stat_line(fd, "link", net_link_up(nd));
	stat_line(fd, "link_admin", nd->admin_up);
	stat_line(fd, "link_changes", st->link_changes);
	stat_line(fd, "rx_packets", st->rx_packets);
	stat_line(fd, "rx_bytes", st->rx_bytes);
	stat_line(fd, "tx_packets", st->tx_packets);
	stat_line(fd, "tx_bytes", st->tx_bytes);
	net_dump_drops(fd, "tx", st->tx_drop);
	net_dump_drops(fd, "rx", st->rx_drop);
	stat_line(fd, "tx_bad_chain", st->tx_bad_chain);
	stat_line(fd, "rx_bad_chain", st->rx_bad_chain);
	stat_line(fd, "tx_held", st->tx_held);
	stat_line(fd, "tx_waiting", nd->tx.held);
	stat_line(fd, "rx_ring_full", st->rx_ring_full);
	stat_line(fd, "rx_merged", st->rx_merged);
	stat_line(fd, "rx_csum_sw", st->rx_csum_sw);
	stat_line(fd, "rx_gso_sw", st->rx_gso_sw);
	stat_line(fd, "rx_gso_segments", st->rx_gso_segments);
	stat_line(fd, "rx_buffers_held", nd->rx.nr);
	if (nd->be->ops->dump_stats)
		nd->be->ops->dump_stats(nd->be, fd);
}

static const struct vdev_model_ops net_ops = {
	.kind = "net",
	.dump_stats = net_dump_stats,
	.start = net_start,
	.queue_kick = net_queue_kick,
	.stop = net_stop,
	.resubmit = net_resubmit,
	.inflight = net_inflight,
	.destroy = net_destroy,
};

/* ---- setup ---- */

/* What any backend gets; offloads come from the backend (see each). */
#define NET_BASE_FEATURES (BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_MTU) | \
	BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_MRG_RXBUF) |          \
	BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VIRTIO_RING_F_EVENT_IDX) |   \
	BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_ACCESS_PLATFORM))

/*
 * The offloads a backend may claim.  Never CTRL_VQ (VDUSE in 6.12 refuses
 * a net device with it) nor anything that needs it (CTRL_RX, CTRL_VLAN,
 * MQ, GUEST_ANNOUNCE, CTRL_GUEST_OFFLOADS); no USO either.
 */
#define NET_OFFLOAD_FEATURES (BIT(VIRTIO_NET_F_CSUM) |                    \
	BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |         \
	BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN) |           \
	BIT(VIRTIO_NET_F_HOST_UFO) | BIT(VIRTIO_NET_F_GUEST_TSO4) |          \
	BIT(VIRTIO_NET_F_GUEST_TSO6) | BIT(VIRTIO_NET_F_GUEST_ECN) |         \
	BIT(VIRTIO_NET_F_GUEST_UFO))

static int net_open_backend(struct net_dev *nd, const struct net_devcfg *cfg)
{
	int ret = -EINVAL;

	switch (cfg->backend) {
	case NET_BACKEND_TAP:
		ret = net_tap_open(&nd->be, nd, cfg);
		break;
	case NET_BACKEND_CABLE:
		ret = net_cable_open(&nd->be, nd, cfg);
		break;
	}
	if (ret)
		dev_info(nd->d->name, "net: cannot open the %s backend: %s",
			 cfg->backend == NET_BACKEND_TAP ? "tap" : "cable",
			 strerror(-ret));
	return ret;
}

static void net_fill_config(struct vdev *d, const struct net_devcfg *cfg)
{
	struct virtio_net_config c;

	memset(&c, 0, sizeof(c));
	memcpy(c.mac, cfg->mac, sizeof(c.mac));
	c.status = 0;		/* no carrier until the backend says so */
	c.max_virtqueue_pairs = htole16(1);
	c.mtu = htole16(cfg->mtu);
	/* Up to the last field we offer: no speed/duplex, no RSS. */
	d->config_size = offsetof(struct virtio_net_config, speed);
	memcpy(d->config, &c, d->config_size);
}

int net_model_init(struct vdev *d, const struct net_devcfg *cfg)
{
	struct net_dev *nd;
	int ret;

	if (cfg->mtu < 68 || !cfg->queue_size ||
	    (cfg->queue_size & (cfg->queue_size - 1)))
		return -EINVAL;
	nd = calloc(1, sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	nd->d = d;
	nd->cfg = cfg;
	nd->admin_up = cfg->link_up;
	nd->rx.vq = &d->vqs[NET_RXQ];
	nd->tx.vq = &d->vqs[NET_TXQ];
	if (!d->name)
		d->name = cfg->name;
	d->device_id = VIRTIO_ID_NET;
	d->ops = &net_ops;
	d->model = nd;
	d->nr_vqs = 2;
	d->vq_size_max = cfg->queue_size;
	net_fill_config(d, cfg);

	ret = net_open_backend(nd, cfg);
	if (ret)
		goto err_free;
	d->features = NET_BASE_FEATURES |
		      (nd->be->features & NET_OFFLOAD_FEATURES);
	dev_info(d->name, "net: %s backend, mtu %u, queue size %u, admin link %s, features %#llx",
		 nd->be->ops->kind, cfg->mtu, cfg->queue_size,
		 cfg->link_up ? "up" : "down",
		 (unsigned long long)d->features);
	return 0;

err_free:
	d->ops = NULL;
	d->model = NULL;
	free(nd);
	return ret;
}
