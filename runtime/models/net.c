// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net over a net_backend (tap or cable): TX, link and lifecycle;
 * RX is net_rx.c.  The backend reaches the device only through the
 * struct net_port it was opened with (net_port_ops below).
 *
 * TX: a kick drains the queue.  Each chain's header is checked here, so a
 * backend only ever sees frames the negotiated features allow; bad ones
 * are dropped and counted, never passed on.  The batch is published with
 * one virtq_flush().  When the backend cannot take a frame (the cable's
 * other driver has no RX buffers, the tap is full) the frame is held: the
 * queue stops being consumed, so later frames wait in the ring, in order,
 * until the backend calls the port's tx_resume().
 *
 * Memory: the TX chain being sent references the IOVA regions it uses
 * (see iova.h) until it is pushed or dropped, so nothing under its iovecs
 * is released meanwhile.  A frame whose memory the driver took away is
 * dropped (memory_lost), never sent half-read.  When the IOVA cache has no
 * room, the queue stops popping and RX completions restart it.
 *
 * Link: VIRTIO_NET_S_LINK_UP is (administrative state && carrier).  The
 * administrative state is the table's link_up, switched by the vdev
 * set_link op; the carrier is the backend's (tap attached and up, cable
 * plugged in and its other end up).
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
#include "net_priv.h"

/* ---- link ---- */

static bool net_link_is_up(const struct net_dev *nd)
{
	return nd->admin_up && nd->carrier;
}

static uint16_t net_status(const struct net_dev *nd)
{
	return net_link_is_up(nd) ? VIRTIO_NET_S_LINK_UP : 0;
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
		net_tx_run(nd);
}

/* ---- the port: what the backend may ask of us ---- */

static bool net_running(const struct net_port *p)
{
	return net_of_port(p)->running;
}

static uint64_t net_features(const struct net_port *p)
{
	return net_of_port(p)->d->driver_features;
}

static uint16_t net_mtu(const struct net_port *p)
{
	return net_of_port(p)->cfg->mtu;
}

static bool net_link_admin(const struct net_port *p)
{
	return net_of_port(p)->admin_up;
}

static bool net_link_up(const struct net_port *p)
{
	return net_link_is_up(net_of_port(p));
}

static void net_carrier(struct net_port *p, bool on)
{
	struct net_dev *nd = net_of_port(p);

	if (nd->carrier == on)
		return;
	nd->carrier = on;
	net_link_update(nd, false);
}

static void net_tx_resume(struct net_port *p)
{
	struct net_dev *nd = net_of_port(p);

	if (nd->tx.held)
		net_tx_run(nd);
}

static const struct net_port_ops net_port_ops = {
	.running = net_running,
	.features = net_features,
	.mtu = net_mtu,
	.link_admin = net_link_admin,
	.link_up = net_link_up,
	.rx_max = net_rx_max,
	.carrier = net_carrier,
	.tx_resume = net_tx_resume,
	.rx_reserve = net_rx_reserve,
	.rx_commit = net_rx_commit,
	.rx_flush = net_rx_flush,
	.rx_dropped = net_rx_dropped,
	.rx_soft_offload = net_rx_soft_offload,
};

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
	else if (net_link_is_up(nd))
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

void net_tx_run(struct net_dev *nd)
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
	net_rx_reset(nd);
	iova_refs_put(nd->tx.vq->iova, &nd->tx.refs);
	nd->tx.iova_wait = false;
	nd->tx.held = false;
	nd->tx.dirty = false;
	nd->be->ops->stop(nd->be);
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
		net_rx_resubmit(nd, head);
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

	if (!nd)
		return;
	nd->be->ops->close(nd->be);
	net_rx_fini(nd);
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

	stat_line(fd, "link", net_link_is_up(nd));
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

/* SIGUSR2, tests: the administrative link state. */
static void net_set_link(struct vdev *d, bool up)
{
	struct net_dev *nd = d->model;

	if (nd->admin_up == up)
		return;
	nd->admin_up = up;
	net_link_update(nd, true);
}

static bool net_get_link(const struct vdev *d)
{
	const struct net_dev *nd = d->model;

	return nd->admin_up;
}

/* SIGHUP: the backend opens again what it lost (a deleted tap). */
static void net_reconnect(struct vdev *d)
{
	struct net_dev *nd = d->model;

	if (nd->be->ops->reconnect)
		nd->be->ops->reconnect(nd->be);
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
	.set_link = net_set_link,
	.get_link = net_get_link,
	.reconnect = net_reconnect,
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
	int ret;

	if (!cfg->backend) {
		dev_info(nd->d->name, "net: no backend");
		return -EINVAL;
	}
	ret = cfg->backend->open(&nd->be, &nd->port, cfg);
	if (ret)
		dev_info(nd->d->name, "net: cannot open the %s backend: %s",
			 cfg->backend->name, strerror(-ret));
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
	nd->port.ops = &net_port_ops;
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
	nd->port.name = d->name;

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
