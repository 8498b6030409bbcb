// SPDX-License-Identifier: GPL-2.0
/*
 * Cable backend: two net devices of the table plugged into each other,
 * like a veth pair.  A frame from one driver's TX queue is copied once,
 * straight into the other driver's RX buffers.
 *
 * Pairing.  Each end's table entry names the other end's entry (the
 * generator has checked that the two name each other); an end joins the
 * list of open ends when its model is initialised, and the second end of
 * a pair to arrive plugs the two together.  An end's carrier is "plugged in and the other end's link is
 * administratively up", so switching one end down shows NO-CARRIER at the
 * other, as veth does.
 *
 * Offloads.  The two drivers negotiate independently, so a frame may need
 * an offload its receiver did not take.  We offer what we can always make
 * good in software (gso.c): CSUM (the checksum is completed when the
 * receiver lacks GUEST_CSUM), HOST_TSO4/6 and HOST_ECN (the frame is cut
 * into segments when the receiver lacks the matching GUEST_TSO4/6 or
 * GUEST_ECN), and the GUEST_ counterparts of all of these.  UFO is not offered either way: cutting UDP
 * would mean IP fragmentation, and a Linux sender never produces UFO.
 *
 * Back-pressure.  When the receiver has no RX buffers the sender's frame
 * is held (xmit returns -EAGAIN, the model stops consuming that TX ring)
 * and resumed from the receiver's RX kick.  A cut frame resumes at the
 * segment that did not fit.  Nothing waits on a receiver that is not
 * running or whose link is down: the frame is dropped and counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <linux/virtio_net.h>

#include "../../core/bits.h"
#include "../../core/compiler.h"
#include "../../core/iov.h"
#include "../../core/log.h"
#include "../../core/stats.h"
#include "../../devtable/devtable.h"
#include "../../models/gso.h"
#include "../../models/net_backend.h"

#define CABLE_FEATURES (BIT(VIRTIO_NET_F_CSUM) |                           \
	BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |         \
	BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN) |           \
	BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) |        \
	BIT(VIRTIO_NET_F_GUEST_ECN))

struct cable {
	struct net_backend be;
	struct cable *peer;		/* NULL until both ends exist */
	const struct net_devcfg *cfg;	/* this end's table entry */
	struct cable *next;		/* in cable_ends */
	struct gso_tcp gso;		/* the frame being cut */
	uint8_t seg_hdr[GSO_HDR_MAX];
};

enum cable_plan {
	CABLE_PASS,		/* as it is: the receiver takes its offloads */
	CABLE_CSUM,		/* complete the checksum for the receiver */
	CABLE_SEGMENT,		/* cut it: the receiver lacks (this) TSO */
	CABLE_DROP,
};

/* Every open end, plugged or waiting for its peer. */
static struct cable *cable_ends;

static struct cable *to_cable(const struct net_backend *be)
{
	return container_of(be, struct cable, be);
}

/* The other end's port, once plugged in. */
static struct net_port *cable_peer(const struct cable *c)
{
	return c->peer ? c->peer->be.port : NULL;
}

static enum cable_plan cable_plan(const struct net_hdr *h, uint64_t rx)
{
	bool csum = h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	bool guest_csum = rx & BIT(VIRTIO_NET_F_GUEST_CSUM);
	bool ecn = h->gso_type & VIRTIO_NET_HDR_GSO_ECN;
	uint64_t tso;

	switch (net_hdr_gso(h)) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return csum && !guest_csum ? CABLE_CSUM : CABLE_PASS;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		tso = BIT(VIRTIO_NET_F_GUEST_TSO4);
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		tso = BIT(VIRTIO_NET_F_GUEST_TSO6);
		break;
	default:
		/* UDP: HOST_UFO is not offered, the model refused it already. */
		return CABLE_DROP;
	}
	if (ecn)
		tso |= BIT(VIRTIO_NET_F_GUEST_ECN);
	return guest_csum && (rx & tso) == tso ? CABLE_PASS : CABLE_SEGMENT;
}

/* Deliver @f whole (completing its checksum if @csum) to @rx. */
static int cable_pass(struct net_port *rx, const struct net_txframe *f,
		      bool csum)
{
	uint32_t len = NET_HDR_LEN + f->len;
	struct net_rxroom room;
	struct net_hdr h = f->hdr;
	uint8_t raw[NET_HDR_LEN];
	int ret;

	/* The receiver's MTU, not the sender's, decides what it accepts. */
	if (h.gso_type == VIRTIO_NET_HDR_GSO_NONE &&
	    f->len > NET_FRAME_MAX(rx->ops->mtu(rx))) {
		rx->ops->rx_dropped(rx, NET_DROP_OVERSIZE);
		return 0;
	}
	ret = rx->ops->rx_reserve(rx, len, false, &room);
	if (ret == -EAGAIN)
		return -EAGAIN;
	if (ret == -EMSGSIZE) {
		rx->ops->rx_dropped(rx, NET_DROP_OVERSIZE);
		return 0;
	}
	if (ret)
		return NET_DROP_PEER_DOWN;
	iov_copy(room.iov, room.cnt, NET_HDR_LEN, f->iov, f->iovcnt, 0,
		 f->len);
	if (csum) {
		gso_csum_complete(room.iov, room.cnt, NET_HDR_LEN, f->len,
				  h.csum_start, h.csum_offset);
		h.flags = 0;
		rx->ops->rx_soft_offload(rx, 0);
	}
	h.num_buffers = 0;	/* the model's to fill in */
	net_hdr_encode(&h, raw);
	iov_write(room.iov, room.cnt, 0, raw, NET_HDR_LEN);
	rx->ops->rx_commit(rx, len);
	return 0;
}

/* Write segment @i of the frame being cut into a reserved @room. */
static void cable_put_segment(struct cable *c, struct net_port *rx,
			      const struct net_txframe *f,
			      const struct net_rxroom *room, uint32_t off,
			      uint32_t plen)
{
	const struct gso_tcp *g = &c->gso;
	size_t poff = NET_HDR_LEN + g->hdrs;
	struct net_hdr h = { 0 };
	uint8_t raw[NET_HDR_LEN];

	iov_copy(room->iov, room->cnt, poff, f->iov, f->iovcnt, off,
		 plen);
	gso_tcp_finish(g, c->seg_hdr, plen, room->iov, room->cnt, poff);
	iov_write(room->iov, room->cnt, NET_HDR_LEN, c->seg_hdr, g->hdrs);
	/* Every checksum is complete: say so if the receiver listens. */
	if (rx->ops->features(rx) & BIT(VIRTIO_NET_F_GUEST_CSUM))
		h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	net_hdr_encode(&h, raw);
	iov_write(room->iov, room->cnt, 0, raw, NET_HDR_LEN);
}

/* Cut @f into segments for @rx; a held frame resumes at f->resume. */
static int cable_segment(struct cable *c, struct net_port *rx,
			 struct net_txframe *f)
{
	struct gso_tcp *g = &c->gso;
	struct net_rxroom room;
	uint32_t i, off, plen, len;
	int ret;

	if (!f->resume) {
		ret = gso_tcp_parse(g, &f->hdr, f->iov, f->iovcnt, f->len);
		if (ret)
			return ret == -EINVAL ? NET_DROP_BAD_HDR :
						NET_DROP_NO_OFFLOAD;
	}
	for (i = f->resume; i < g->segs; i++) {
		gso_tcp_segment(g, i, c->seg_hdr, &off, &plen);
		len = NET_HDR_LEN + g->hdrs + plen;
		if (len - NET_HDR_LEN > NET_FRAME_MAX(rx->ops->mtu(rx))) {
			rx->ops->rx_dropped(rx, NET_DROP_OVERSIZE);
			continue;
		}
		ret = rx->ops->rx_reserve(rx, len, false, &room);
		if (ret == -EAGAIN) {
			f->resume = i;
			return -EAGAIN;
		}
		if (ret == -EMSGSIZE) {
			rx->ops->rx_dropped(rx, NET_DROP_OVERSIZE);
			continue;
		}
		if (ret)
			return NET_DROP_PEER_DOWN;
		cable_put_segment(c, rx, f, &room, off, plen);
		rx->ops->rx_commit(rx, len);
	}
	rx->ops->rx_soft_offload(rx, g->segs);
	return 0;
}

static int cable_xmit(struct net_backend *be, struct net_txframe *f)
{
	struct cable *c = to_cable(be);
	struct net_port *rx = cable_peer(c);

	if (!rx || !rx->ops->running(rx))
		return NET_DROP_PEER_DOWN;
	if (!rx->ops->link_up(rx))
		return NET_DROP_LINK_DOWN;
	switch (cable_plan(&f->hdr, rx->ops->features(rx))) {
	case CABLE_PASS:
		return cable_pass(rx, f, false);
	case CABLE_CSUM:
		return cable_pass(rx, f, true);
	case CABLE_SEGMENT:
		return cable_segment(c, rx, f);
	default:
		return NET_DROP_NO_OFFLOAD;
	}
}

/* One flush per sender batch: at most one interrupt at the receiver. */
static void cable_xmit_done(struct net_backend *be)
{
	struct net_port *rx = cable_peer(to_cable(be));

	if (rx)
		rx->ops->rx_flush(rx);
}

/* Our driver posted RX buffers: the other end's held frame may fit now. */
static void cable_rx_kick(struct net_backend *be)
{
	struct net_port *tx = cable_peer(to_cable(be));

	if (tx)
		tx->ops->tx_resume(tx);
}

static int cable_start(struct net_backend *be, uint64_t features)
{
	return 0;
}

/* Our driver left: a frame the other end holds for us is dropped now. */
static void cable_stop(struct net_backend *be)
{
	cable_rx_kick(be);
}

static void cable_link_changed(struct net_backend *be, bool up)
{
	struct net_port *peer = cable_peer(to_cable(be));

	if (peer)
		peer->ops->carrier(peer, be->port->ops->link_admin(be->port));
}

static void cable_plug(struct cable *a, struct cable *b)
{
	struct net_port *pa = a->be.port, *pb = b->be.port;

	a->peer = b;
	b->peer = a;
	dev_info(pa->name, "cable: plugged into %s", pb->name);
	pa->ops->carrier(pa, pb->ops->link_admin(pb));
	pb->ops->carrier(pb, pa->ops->link_admin(pa));
}

static void cable_close(struct net_backend *be)
{
	struct cable *c = to_cable(be);
	struct net_port *peer = cable_peer(c);
	struct cable **pp;

	for (pp = &cable_ends; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	if (peer) {
		c->peer->peer = NULL;
		c->peer = NULL;
		peer->ops->carrier(peer, false);
		/* Its held frame, if any, now has nowhere to go. */
		peer->ops->tx_resume(peer);
	}
	free(c);
}

static void cable_dump_stats(const struct net_backend *be, int fd)
{
	stat_line(fd, "cable_plugged", to_cable(be)->peer != NULL);
}

static const struct net_backend_ops cable_ops = {
	.kind = "cable",
	.start = cable_start,
	.stop = cable_stop,
	.xmit = cable_xmit,
	.xmit_done = cable_xmit_done,
	.rx_kick = cable_rx_kick,
	.link_changed = cable_link_changed,
	.close = cable_close,
	.dump_stats = cable_dump_stats,
};

/* The open end whose table entry is @cfg, if any. */
static struct cable *cable_find(const struct net_devcfg *cfg)
{
	struct cable *c;

	for (c = cable_ends; c; c = c->next)
		if (c->cfg == cfg)
			return c;
	return NULL;
}

static int cable_open(struct net_backend **bep, struct net_port *port,
		      const struct net_devcfg *cfg)
{
	struct cable *c, *other;

	if (!cfg->peer || cfg->peer == cfg)
		return -EINVAL;
	if (cable_find(cfg))
		return -EBUSY;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->be.ops = &cable_ops;
	c->be.port = port;
	c->be.features = CABLE_FEATURES;
	c->cfg = cfg;
	c->next = cable_ends;
	cable_ends = c;
	*bep = &c->be;
	other = cable_find(cfg->peer);
	if (other && other->cfg->peer == cfg)
		cable_plug(c, other);
	else
		dev_info(port->name, "cable: waiting for %s", cfg->peer->name);
	return 0;
}

const struct net_backend_kind net_cable_backend = {
	.name = "cable",
	.open = cable_open,
};
