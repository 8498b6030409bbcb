// SPDX-License-Identifier: GPL-2.0
/*
 * Tap backend: frames go to and come from a host tap interface.
 *
 * The tap is opened with IFF_VNET_HDR and a 12-byte vnet header, the same
 * virtio_net_hdr_v1 the driver uses, so checksum and segmentation offloads
 * pass through untranslated: TX writes the driver's (checked) header and
 * frame with one writev() from driver memory, RX reads with one readv()
 * straight into the driver's buffers.  TUNSETOFFLOAD follows the GUEST_*
 * features the driver negotiated, so the kernel only hands us what the
 * driver takes.  Offered: CSUM, HOST_TSO4/6, HOST_ECN, HOST_UFO (the kernel
 * takes all of those on write, and segments or checksums in software where
 * the host needs it) and, if TUNSETOFFLOAD accepts them, GUEST_CSUM,
 * GUEST_TSO4/6, GUEST_ECN, GUEST_UFO.
 *
 * Flow control.  The fd is non-blocking and watched by the loop: EPOLLIN
 * only while the driver has RX buffers (else the tap's own queue fills
 * and the host drops, which is the tap's back-pressure), EPOLLOUT only
 * while a write would block (the model holds that frame meanwhile).  A
 * frame that turns out longer than the buffers gathered for it (with
 * MRG_RXBUF) has its tail parked in a bounce buffer until the driver
 * posts more, so it is not lost.
 *
 * Carrier.  The driver sees carrier while the tap exists and is up on the
 * host, tracked with rtnetlink link events.  If the tap vanishes (ip link
 * del) or its fd fails, the device keeps running with no carrier; the tap
 * is attached again as soon as an interface of that name appears, or
 * created again on SIGHUP (the reconnect op).  We never recreate it by
 * ourselves: whoever deleted it may have meant it.  A tap moved into
 * another network namespace is followed: its state there is polled once
 * a second (tap_netns.c says why not events), until it comes back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/virtio_net.h>

#include "../../core/bits.h"
#include "../../core/compiler.h"
#include "../../core/iov.h"
#include "../../core/log.h"
#include "../../core/loop.h"
#include "../../core/stats.h"
#include "../../devtable/devtable.h"
#include "../../models/net_backend.h"
#include "tap_netns.h"

#define TAP_HOST_FEATURES (BIT(VIRTIO_NET_F_CSUM) |                        \
	BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |          \
	BIT(VIRTIO_NET_F_HOST_ECN) | BIT(VIRTIO_NET_F_HOST_UFO))
#define TAP_GUEST_FEATURES (BIT(VIRTIO_NET_F_GUEST_CSUM) |                 \
	BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) |        \
	BIT(VIRTIO_NET_F_GUEST_ECN) | BIT(VIRTIO_NET_F_GUEST_UFO))
#define TAP_ALL_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |           \
	TUN_F_TSO_ECN | TUN_F_UFO)
/* Frames read per wakeup: one RX flush each, and room for other fds. */
#define TAP_RX_BATCH 64
#define TAP_NL_BUF 8192

struct tap_stats {
	uint64_t lost;			/* fd detached or failing */
	uint64_t attached;		/* times attached after a loss */
	uint64_t rx_spilled;		/* frames that waited for more buffers */
	uint64_t tx_full;		/* writes that would have blocked */
	uint64_t read_errors, write_errors;
};

struct tap {
	struct net_backend be;
	struct loop_source src;		/* the tap fd; -1 while lost */
	struct loop_source nl;		/* rtnetlink link events */
	struct loop_source poll;	/* timerfd while in another netns */
	bool foreign;			/* the tap is in another netns */
	const char *ifname;
	int ifindex;
	uint32_t armed;			/* events src is watched for */
	bool up;			/* IFF_UP on the host */
	bool can_offload;		/* TUNSETOFFLOAD takes TAP_ALL_OFFLOADS */
	bool rx_paused;			/* waiting for the driver's buffers */
	bool tx_wait;			/* waiting for EPOLLOUT */
	unsigned int offloads;		/* TUN_F_* for the running driver */
	uint32_t rx_max;
	/* A frame longer than the room it was read into: its tail. */
	uint8_t *spill;
	uint32_t spill_size;
	uint32_t pend_len;		/* its length; 0 = none */
	uint32_t pend_cap;		/* bytes of it already in the room */
	struct tap_stats st;
};

static struct tap *to_tap(const struct net_backend *be)
{
	return container_of(be, struct tap, be);
}

static const char *tap_dev(const struct tap *t)
{
	return t->be.port->name;
}

/* ---- fd and carrier ---- */

static void tap_rearm(struct tap *t)
{
	struct net_port *port = t->be.port;
	uint32_t ev = 0;

	if (t->src.fd < 0)
		return;
	if (port->ops->running(port) && !t->rx_paused)
		ev |= EPOLLIN;
	if (t->tx_wait)
		ev |= EPOLLOUT;
	if (ev != t->armed && !loop_rearm(&t->src, ev))
		t->armed = ev;
}

static void tap_carrier(struct tap *t)
{
	struct net_port *port = t->be.port;

	port->ops->carrier(port, t->src.fd >= 0 && t->up);
}

static void tap_set_up(struct tap *t, bool up)
{
	if (t->up == up)
		return;
	t->up = up;
	dev_info(tap_dev(t), "tap %s is %s", t->ifname, up ? "up" : "down");
	tap_carrier(t);
}

/* A frame parked in the bounce buffer will not be delivered. */
static void tap_drop_pending(struct tap *t, enum net_drop why)
{
	if (!t->pend_len)
		return;
	t->pend_len = 0;
	t->be.port->ops->rx_dropped(t->be.port, why);
}

static void tap_lost(struct tap *t, const char *why)
{
	if (t->src.fd < 0)
		return;
	dev_info(tap_dev(t), "tap %s %s: no carrier until it is back (SIGHUP creates it again)",
		 t->ifname, why);
	loop_unwatch(&t->src);
	close(t->src.fd);
	t->src.fd = -1;
	t->armed = 0;
	t->ifindex = 0;
	t->rx_paused = false;
	t->tx_wait = false;
	t->st.lost++;
	tap_drop_pending(t, NET_DROP_BACKEND);
	tap_carrier(t);
}

/* Poll the tap's state once a second while it is in another namespace. */
static void tap_poll_timer(struct tap *t, bool on)
{
	struct itimerspec its = { 0 };

	if (t->poll.fd < 0)
		return;
	if (on) {
		its.it_value.tv_sec = 1;
		its.it_interval.tv_sec = 1;
	}
	timerfd_settime(t->poll.fd, 0, &its, NULL);
}

/*
 * Our tap left our namespace's view, failed, or a poll is due: is it gone
 * for good, or living on elsewhere?  Follow it if it is.
 */
static void tap_check(struct tap *t)
{
	struct tap_where w;

	if (t->src.fd < 0)
		return;
	if (tap_netns_where(t->src.fd, &w)) {
		tap_poll_timer(t, false);
		t->foreign = false;
		tap_lost(t, "was deleted");
		return;
	}
	if (w.foreign != t->foreign)
		dev_info(tap_dev(t), "tap %s %s (as %s)", t->ifname,
			 w.foreign ? "moved to another network namespace; following it" :
				     "is back in our network namespace", w.name);
	t->foreign = w.foreign;
	t->ifindex = w.ifindex;
	tap_poll_timer(t, w.foreign);
	tap_set_up(t, w.flags & IFF_UP);
}

static void tap_poll_event(struct loop_source *src, uint32_t events)
{
	struct tap *t = container_of(src, struct tap, poll);
	uint64_t n;

	(void)events;
	if (read(src->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	tap_check(t);
}

static int tap_ifreq(struct tap *t, unsigned long req, struct ifreq *ifr)
{
	return ioctl(t->nl.fd, req, ifr) ? -errno : 0;
}

/* Is there an interface named like our tap? */
static bool tap_exists(struct tap *t)
{
	struct ifreq ifr = { 0 };

	strncpy(ifr.ifr_name, t->ifname, IFNAMSIZ - 1);
	return !tap_ifreq(t, SIOCGIFINDEX, &ifr);
}

/* Open the tap (creating it if missing) and set its vnet header up. */
static int tap_open_fd(struct tap *t, struct ifreq *ifr)
{
	int fd, hdr = NET_HDR_LEN, le = 1, ret;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(ifr, 0, sizeof(*ifr));
	ifr->ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	strncpy(ifr->ifr_name, t->ifname, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, ifr) || ioctl(fd, TUNSETVNETHDRSZ, &hdr))
		goto err_close;
	/* virtio 1.x headers are little-endian; only a BE host needs this. */
	if (ioctl(fd, TUNSETVNETLE, &le))
		dev_dbg(tap_dev(t), "tap %s: TUNSETVNETLE: %s", t->ifname,
			strerror(errno));
	/* Nothing but plain frames until a driver says what it takes. */
	if (ioctl(fd, TUNSETOFFLOAD, t->offloads))
		goto err_close;
	return fd;

err_close:
	ret = -errno;
	close(fd);
	return ret;
}

static int tap_attach(struct tap *t)
{
	struct ifreq ifr;
	int fd, ret;

	fd = tap_open_fd(t, &ifr);
	if (fd < 0)
		return fd;
	ret = tap_ifreq(t, SIOCGIFINDEX, &ifr);
	if (ret)
		goto err_close;
	t->ifindex = ifr.ifr_ifindex;
	ret = tap_ifreq(t, SIOCGIFFLAGS, &ifr);
	if (ret)
		goto err_close;
	t->src.fd = fd;
	t->armed = 0;
	ret = loop_watch(&t->src, 0);
	if (ret) {
		t->src.fd = -1;
		goto err_close;
	}
	t->up = ifr.ifr_flags & IFF_UP;
	tap_rearm(t);
	tap_carrier(t);
	return 0;

err_close:
	close(fd);
	return ret;
}

/* Attach again after a loss: @create on SIGHUP, else only if it exists. */
static void tap_reattach(struct tap *t, bool create)
{
	int ret;

	if (t->src.fd >= 0 || (!create && !tap_exists(t)))
		return;
	ret = tap_attach(t);
	if (ret) {
		dev_info(tap_dev(t), "tap %s: cannot attach: %s", t->ifname,
			 strerror(-ret));
		return;
	}
	t->st.attached++;
	dev_info(tap_dev(t), "tap %s attached again (%s)", t->ifname,
		 t->up ? "up" : "down until set up on the host");
}

/* SIGHUP: a lost tap is opened again, created if it is missing. */
static void tap_reconnect(struct net_backend *be)
{
	tap_reattach(to_tap(be), true);
}

/* ---- rtnetlink: our tap going up, down, away, or coming back ---- */

/* Does link message @h name our tap? */
static bool tap_nl_names(const struct tap *t, const struct nlmsghdr *h)
{
	size_t off = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	const uint8_t *p = (const uint8_t *)h;
	struct rtattr a;

	off = NLMSG_ALIGN(off);
	while (off + sizeof(a) <= h->nlmsg_len) {
		memcpy(&a, p + off, sizeof(a));
		if (a.rta_len < sizeof(a) || off + a.rta_len > h->nlmsg_len)
			return false;
		if (a.rta_type == IFLA_IFNAME)
			return !strncmp((const char *)p + off + sizeof(a),
					t->ifname, a.rta_len - sizeof(a));
		off += RTA_ALIGN(a.rta_len);
	}
	return false;
}

static void tap_nl_msg(struct tap *t, const struct nlmsghdr *h)
{
	struct ifinfomsg ifi;

	if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(ifi)))
		return;
	memcpy(&ifi, NLMSG_DATA(h), sizeof(ifi));
	if (t->src.fd >= 0 && !t->foreign && ifi.ifi_index == t->ifindex) {
		if (h->nlmsg_type == RTM_DELLINK)
			tap_check(t);	/* deleted, or moved away */
		else
			tap_set_up(t, ifi.ifi_flags & IFF_UP);
	} else if (t->src.fd < 0 && h->nlmsg_type == RTM_NEWLINK &&
		   tap_nl_names(t, h)) {
		tap_reattach(t, false);
	}
}

/* Events were lost (socket overrun): look at the tap itself. */
static void tap_nl_resync(struct tap *t)
{
	if (t->src.fd < 0)
		tap_reattach(t, false);
	else
		tap_check(t);
}

static void tap_nl_event(struct loop_source *src, uint32_t events)
{
	struct tap *t = container_of(src, struct tap, nl);
	uint8_t buf[TAP_NL_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	const struct nlmsghdr *h;
	size_t off;
	ssize_t n;

	for (;;) {
		n = recv(src->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS) {
			tap_nl_resync(t);
			continue;
		}
		if (n <= 0)
			return;
		for (off = 0; off + sizeof(*h) <= (size_t)n;
		     off += NLMSG_ALIGN(h->nlmsg_len)) {
			h = (const struct nlmsghdr *)(buf + off);
			if (h->nlmsg_len < sizeof(*h) ||
			    off + h->nlmsg_len > (size_t)n)
				break;
			tap_nl_msg(t, h);
		}
	}
}

static int tap_nl_open(struct tap *t)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK,
	};
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -errno;
	}
	t->nl.fd = fd;
	t->nl.handle = tap_nl_event;
	return 0;
}

/* ---- RX: tap -> driver ---- */

/* Hand a frame of @len bytes, all in @room, to the driver. */
static int tap_rx_deliver(struct tap *t, const struct net_rxroom *room,
			  uint32_t len)
{
	struct net_port *port = t->be.port;
	uint64_t f = port->ops->features(port);
	uint8_t raw[NET_HDR_LEN];
	struct net_hdr h;

	iov_read(room->iov, room->cnt, 0, raw, NET_HDR_LEN);
	net_hdr_decode(&h, raw);
	if (h.gso_type == VIRTIO_NET_HDR_GSO_NONE &&
	    len - NET_HDR_LEN > NET_FRAME_MAX(port->ops->mtu(port))) {
		port->ops->rx_dropped(port, NET_DROP_OVERSIZE);
		return 0;
	}
	/* Without GUEST_CSUM the spec wants flags 0 (tun may set DATA_VALID). */
	if (!(f & BIT(VIRTIO_NET_F_GUEST_CSUM)) && h.flags) {
		raw[0] = 0;
		iov_write(room->iov, room->cnt, 0, raw, 1);
	}
	port->ops->rx_commit(port, len);
	return 0;
}

/* The parked frame: finish it once the driver has room for all of it. */
static int tap_rx_pending(struct tap *t)
{
	struct net_port *port = t->be.port;
	struct net_rxroom room;
	uint32_t len = t->pend_len;
	int ret;

	ret = port->ops->rx_reserve(port, len, false, &room);
	if (ret == -EAGAIN) {
		t->rx_paused = true;
		return ret;
	}
	if (ret) {
		tap_drop_pending(t, ret == -EMSGSIZE ? NET_DROP_OVERSIZE :
						      NET_DROP_LINK_DOWN);
		return ret == -EMSGSIZE ? 0 : ret;
	}
	iov_write(room.iov, room.cnt, t->pend_cap, t->spill,
		  len - t->pend_cap);
	t->pend_len = 0;
	return tap_rx_deliver(t, &room, len);
}

static int tap_read_error(struct tap *t, int err)
{
	if (err == EAGAIN || err == EINTR)
		return -EAGAIN;
	t->st.read_errors++;
	tap_lost(t, err == EBADFD ? "was deleted" : "failed to read");
	return -EIO;
}

/* No link: the frame is read and dropped, so none is stale later. */
static int tap_rx_discard(struct tap *t)
{
	uint8_t buf[64];

	tap_drop_pending(t, NET_DROP_LINK_DOWN);
	if (read(t->src.fd, buf, sizeof(buf)) < 0)
		return tap_read_error(t, errno);
	t->be.port->ops->rx_dropped(t->be.port, NET_DROP_LINK_DOWN);
	return 0;
}

/* Read one frame into the driver's buffers.  0: go on; else stop. */
static int tap_rx_one(struct tap *t)
{
	struct net_port *port = t->be.port;
	struct net_rxroom room;
	ssize_t n;
	int ret;

	ret = port->ops->rx_reserve(port, t->rx_max, true, &room);
	/* Running without an RX queue: nobody takes it, and EPOLLIN stays. */
	if (ret == -ENOLINK && port->ops->running(port))
		return tap_rx_discard(t);
	if (ret) {
		/* -EMSGSIZE with @partial: not even one buffer to offer. */
		t->rx_paused = ret == -EAGAIN || ret == -EMSGSIZE;
		return ret;
	}
	room.iov[room.cnt].iov_base = t->spill;
	room.iov[room.cnt].iov_len = t->spill_size;
	n = readv(t->src.fd, room.iov, room.cnt + 1);
	if (n < 0)
		return tap_read_error(t, errno);
	if ((size_t)n < NET_HDR_LEN + NET_ETH_HLEN) {
		port->ops->rx_dropped(port, NET_DROP_BAD_HDR);
		return 0;
	}
	if ((size_t)n <= room.cap)
		return tap_rx_deliver(t, &room, n);
	/* Truncated by the kernel, or one buffer cannot hold it: never fits. */
	if ((size_t)n > room.cap + t->spill_size ||
	    !(port->ops->features(port) & BIT(VIRTIO_NET_F_MRG_RXBUF))) {
		port->ops->rx_dropped(port, NET_DROP_OVERSIZE);
		return 0;
	}
	t->st.rx_spilled++;
	t->pend_len = n;
	t->pend_cap = room.cap;
	return tap_rx_pending(t);
}

static void tap_rx(struct tap *t)
{
	struct net_port *port = t->be.port;
	unsigned int n;
	int ret = 0;

	for (n = 0; n < TAP_RX_BATCH && !ret; n++) {
		if (t->src.fd < 0 || !port->ops->running(port))
			break;
		if (!port->ops->link_up(port))
			ret = tap_rx_discard(t);
		else if (t->pend_len)
			ret = tap_rx_pending(t);
		else
			ret = tap_rx_one(t);
	}
	port->ops->rx_flush(port);
	tap_rearm(t);
}

static void tap_event(struct loop_source *src, uint32_t events)
{
	struct tap *t = container_of(src, struct tap, src);

	if (events & (EPOLLERR | EPOLLHUP)) {
		/* Also raised while the tap changes namespace. */
		tap_check(t);
		if (t->src.fd < 0)
			return;
	}
	if (events & EPOLLOUT) {
		t->tx_wait = false;
		tap_rearm(t);
		t->be.port->ops->tx_resume(t->be.port);
	}
	if ((events & EPOLLIN) && t->src.fd >= 0)
		tap_rx(t);
}

/* ---- net_backend_ops ---- */

/* The kernel may hand us what the driver takes, and nothing else. */
static unsigned int tap_offloads(uint64_t f)
{
	unsigned int o;

	if (!(f & BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	o = TUN_F_CSUM;
	if (f & BIT(VIRTIO_NET_F_GUEST_TSO4))
		o |= TUN_F_TSO4;
	if (f & BIT(VIRTIO_NET_F_GUEST_TSO6))
		o |= TUN_F_TSO6;
	/* TUNSETOFFLOAD refuses ECN without TSO. */
	if ((o & (TUN_F_TSO4 | TUN_F_TSO6)) &&
	    (f & BIT(VIRTIO_NET_F_GUEST_ECN)))
		o |= TUN_F_TSO_ECN;
	if (f & BIT(VIRTIO_NET_F_GUEST_UFO))
		o |= TUN_F_UFO;
	return o;
}

static int tap_start(struct net_backend *be, uint64_t features)
{
	struct tap *t = to_tap(be);

	t->rx_max = be->port->ops->rx_max(be->port);
	t->offloads = t->can_offload ? tap_offloads(features) : 0;
	if (t->src.fd >= 0 && ioctl(t->src.fd, TUNSETOFFLOAD, t->offloads)) {
		dev_info(tap_dev(t), "tap %s: TUNSETOFFLOAD %#x: %s", t->ifname,
			 t->offloads, strerror(errno));
		return -errno;
	}
	t->rx_paused = false;
	tap_rearm(t);
	return 0;
}

static void tap_stop(struct net_backend *be)
{
	struct tap *t = to_tap(be);

	tap_drop_pending(t, NET_DROP_RESET);
	t->rx_paused = false;
	t->tx_wait = false;
	tap_rearm(t);
}

static int tap_xmit(struct net_backend *be, struct net_txframe *f)
{
	struct tap *t = to_tap(be);

	if (t->src.fd < 0)
		return NET_DROP_LINK_DOWN;
	if (writev(t->src.fd, f->wire, f->wire_cnt) >= 0)
		return 0;
	switch (errno) {
	case EAGAIN:
	case ENOBUFS:
		t->st.tx_full++;
		t->tx_wait = true;
		tap_rearm(t);
		return -EAGAIN;
	case EIO:
		/* Down on the host; the link event may not be here yet. */
		tap_set_up(t, false);
		return NET_DROP_LINK_DOWN;
	case EBADFD:
		tap_lost(t, "was deleted");
		return NET_DROP_BACKEND;
	default:
		/* EINVAL: the kernel refused this frame; the next may pass. */
		t->st.write_errors++;
		return NET_DROP_BACKEND;
	}
}

static void tap_rx_kick(struct net_backend *be)
{
	struct tap *t = to_tap(be);

	t->rx_paused = false;
	if (t->src.fd >= 0)
		tap_rx(t);
}

static void tap_link_changed(struct net_backend *be, bool up)
{
	struct tap *t = to_tap(be);

	/* Down: read and drop what the host sends, whatever our buffers. */
	if (!up)
		t->rx_paused = false;
	tap_rearm(t);
}

static void tap_close(struct net_backend *be)
{
	struct tap *t = to_tap(be);

	if (t->src.fd >= 0) {
		loop_unwatch(&t->src);
		close(t->src.fd);
	}
	loop_unwatch(&t->nl);
	close(t->nl.fd);
	loop_unwatch(&t->poll);
	close(t->poll.fd);
	free(t->spill);
	free(t);
}

static void tap_dump_stats(const struct net_backend *be, int fd)
{
	const struct tap *t = to_tap(be);

	stat_line(fd, "tap_attached", t->src.fd >= 0);
	stat_line(fd, "tap_up", t->up);
	stat_line(fd, "tap_offloads", t->offloads);
	stat_line(fd, "tap_lost", t->st.lost);
	stat_line(fd, "tap_reattached", t->st.attached);
	stat_line(fd, "tap_rx_spilled", t->st.rx_spilled);
	stat_line(fd, "tap_tx_full", t->st.tx_full);
	stat_line(fd, "tap_read_errors", t->st.read_errors);
	stat_line(fd, "tap_write_errors", t->st.write_errors);
}

static const struct net_backend_ops tap_ops = {
	.kind = "tap",
	.start = tap_start,
	.stop = tap_stop,
	.xmit = tap_xmit,
	.rx_kick = tap_rx_kick,
	.link_changed = tap_link_changed,
	.reconnect = tap_reconnect,
	.close = tap_close,
	.dump_stats = tap_dump_stats,
};

/* Can the kernel hand us offloaded frames?  Then GUEST_* are offered. */
static void tap_probe_offloads(struct tap *t)
{
	t->can_offload = !ioctl(t->src.fd, TUNSETOFFLOAD, TAP_ALL_OFFLOADS);
	if (ioctl(t->src.fd, TUNSETOFFLOAD, 0))
		t->can_offload = false;
	t->be.features = TAP_HOST_FEATURES |
			 (t->can_offload ? TAP_GUEST_FEATURES : 0);
}

static int tap_open(struct net_backend **bep, struct net_port *port,
		    const struct net_devcfg *cfg)
{
	struct tap *t;
	int ret;

	if (!cfg->ifname || !cfg->ifname[0] ||
	    strlen(cfg->ifname) >= IFNAMSIZ)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->be.ops = &tap_ops;
	t->be.port = port;
	t->ifname = cfg->ifname;
	t->src.fd = -1;
	t->src.handle = tap_event;
	/* The largest frame the driver can ever take: 64 KiB GSO + header. */
	t->spill_size = NET_HDR_LEN + NET_GSO_FRAME_MAX;
	t->spill = malloc(t->spill_size);
	ret = -ENOMEM;
	if (!t->spill)
		goto err_free;
	ret = tap_nl_open(t);
	if (ret)
		goto err_free;
	ret = tap_attach(t);
	if (ret)
		goto err_close_nl;
	ret = loop_watch(&t->nl, EPOLLIN);
	if (ret)
		goto err_detach;
	t->poll.handle = tap_poll_event;
	t->poll.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->poll.fd < 0 || loop_watch(&t->poll, EPOLLIN)) {
		ret = -errno;
		goto err_unwatch_nl;
	}
	tap_probe_offloads(t);
	*bep = &t->be;
	dev_info(port->name, "tap %s (%s)%s", t->ifname,
		 t->up ? "up" : "down until set up on the host",
		 t->can_offload ? ", offloads" : "");
	return 0;

err_unwatch_nl:
	if (t->poll.fd >= 0)
		close(t->poll.fd);
	loop_unwatch(&t->nl);
err_detach:
	loop_unwatch(&t->src);
	close(t->src.fd);
err_close_nl:
	close(t->nl.fd);
err_free:
	free(t->spill);
	free(t);
	return ret;
}

const struct net_backend_kind net_tap_backend = {
	.name = "tap",
	.open = tap_open,
};
