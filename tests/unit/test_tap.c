// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net model on the tap backend, against a real tap in a private
 * network namespace: the host side is an AF_PACKET socket on the tap
 * (with PACKET_VNET_HDR for offloaded frames).  Needs root (CAP_NET_ADMIN
 * and /dev/net/tun); without it every test reports SKIP.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "core/bits.h"
#include "check.h"
#include "core/compiler.h"
#include "core/loop.h"
#include "devtable/devtable.h"
#include "models/net.h"
#include "models/net_hdr.h"
#include "simdrv.h"
#include "virtio/vdev.h"

CHECK_MAIN_DEFS("test_tap");

#define QSIZE 256
#define MEM_SIZE (64u << 20)
#define TAPNAME "vdtap0"
#define ETYPE 0x88b5			/* our test frames */

#define F_BASE (BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_MTU) |             \
		BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_RING_F_INDIRECT_DESC) | \
		BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_F_VERSION_1) |      \
		BIT(VIRTIO_F_ACCESS_PLATFORM))
#define F_MRG BIT(VIRTIO_NET_F_MRG_RXBUF)
#define F_HOST (BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |      \
		BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN) |     \
		BIT(VIRTIO_NET_F_HOST_UFO))
#define F_GUEST (BIT(VIRTIO_NET_F_GUEST_CSUM) |                             \
		 BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) | \
		 BIT(VIRTIO_NET_F_GUEST_ECN) | BIT(VIRTIO_NET_F_GUEST_UFO))
#define F_ALL (F_BASE | F_MRG | F_HOST | F_GUEST)

static const struct net_devcfg tap_table[] = {
	{ .name = "ttap0", .mac = { 0x52, 0x54, 0, 0, 9, 1 }, .mtu = 1500,
	  .queue_size = QSIZE, .backend = &net_tap_backend, .ifname = TAPNAME,
	  .link_up = true },
	{ .name = "tbad0", .mtu = 1500, .queue_size = QSIZE,
	  .backend = &net_tap_backend,
	  .ifname = "a-name-too-long-for-ifnamsiz", .link_up = true },
	{ .name = "tbad1", .mtu = 1500, .queue_size = QSIZE,
	  .backend = &net_tap_backend, .ifname = "lo", .link_up = true },
};

static const char *skip_why;	/* set when the environment cannot run taps */

/* ---- the guest: one simulated driver on the device ---- */

struct tdev {
	struct vdev d;
	struct sim_mem mem;
	struct sim_vq rxq, txq;
	uint64_t features;
	bool started;
	unsigned int cfg_irqs;
	uint64_t arena;
	uint32_t arena_off;
	uint64_t buf[QSIZE];		/* RX buffer of each descriptor */
	uint32_t buf_len[QSIZE];
};

static struct tdev T;

static void t_vq_irq(struct vdev *d, struct virtq *vq)
{
	(void)d;
	(void)vq;
}

static void t_config_irq(struct vdev *d)
{
	container_of(d, struct tdev, d)->cfg_irqs++;
}

static int t_config_update(struct vdev *d, unsigned int off, unsigned int len)
{
	return off + len > d->config_size ? -EINVAL : 0;
}

static const struct vdev_transport_ops t_transport = {
	.vq_irq = t_vq_irq,
	.config_irq = t_config_irq,
	.config_update = t_config_update,
};

static void t_fini(void);

static int t_start(uint64_t features)
{
	if (T.d.ops)
		t_fini();
	memset(&T, 0, sizeof(T));
	if (net_model_init(&T.d, &tap_table[0]))
		return -1;
	T.d.transport = &t_transport;
	if (sim_mem_init(&T.mem, MEM_SIZE, 4))
		return -1;
	T.features = features & T.d.features;
	if (sim_vq_init(&T.rxq, &T.mem, QSIZE, T.features) ||
	    sim_vq_init(&T.txq, &T.mem, QSIZE, T.features))
		return -1;
	T.d.vqs[0].index = 0;
	T.d.vqs[1].index = 1;
	if (sim_vq_start(&T.rxq, &T.d.vqs[0]) ||
	    sim_vq_start(&T.txq, &T.d.vqs[1]))
		return -1;
	T.arena = sim_alloc(&T.mem, 8u << 20, 64);
	T.d.driver_features = T.features;
	T.d.state = VDEV_RUNNING;
	T.started = true;
	return T.d.ops->start(&T.d);
}

static void t_fini(void)
{
	if (T.started) {
		if (T.d.state != VDEV_STOPPED)
			T.d.ops->stop(&T.d);
		virtq_stop(&T.d.vqs[0]);
		virtq_stop(&T.d.vqs[1]);
		sim_vq_free(&T.rxq);
		sim_vq_free(&T.txq);
		sim_mem_free(&T.mem);
		T.started = false;
	}
	if (T.d.ops)
		T.d.ops->destroy(&T.d);
	T.d.ops = NULL;
}

static uint64_t t_stat(const char *name)
{
	char buf[8192], *p;
	size_t n = strlen(name);
	int fd = memfd_create("stats", 0);
	ssize_t len;

	if (fd < 0)
		return ~0ULL;
	vdev_dump_stats(&T.d, fd);
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (len < 0)
		return ~0ULL;
	buf[len] = 0;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, name, n) && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
	return ~0ULL;
}

static uint16_t t_status(void)
{
	uint16_t s;

	memcpy(&s, T.d.config + offsetof(struct virtio_net_config, status), 2);
	return le16toh(s);
}

static int t_post_rx(unsigned int n, uint32_t size)
{
	struct sim_seg s;
	unsigned int i;
	uint16_t d;

	for (i = 0; i < n; i++) {
		if (!T.rxq.nr_free)
			return -1;
		d = T.rxq.free_head;
		if (T.buf_len[d] < size) {
			T.buf[d] = sim_alloc(&T.mem, size, 64);
			T.buf_len[d] = size;
		}
		s = (struct sim_seg){ .len = size, .write = true,
				      .iova = T.buf[d] };
		if (sim_vq_add_chain(&T.rxq, &s, 1) != d)
			return -1;
	}
	if (sim_vq_publish(&T.rxq))
		T.d.ops->queue_kick(&T.d, &T.d.vqs[0]);
	return 0;
}

struct rxframe {
	struct net_hdr h;
	unsigned int nbuf;
	uint32_t len;
	uint8_t data[70000];
};

/* One frame from the guest's RX queue: 1, 0 (none), -1. */
static int t_recv(struct rxframe *f)
{
	uint8_t raw[NET_HDR_LEN];
	uint16_t head;
	uint32_t len;
	unsigned int i;
	int r;

	r = sim_vq_used(&T.rxq, &head, &len);
	if (r != 1)
		return r;
	if (len < NET_HDR_LEN || len > T.buf_len[head])
		return -1;
	sim_read(&T.mem, T.buf[head], raw, NET_HDR_LEN);
	net_hdr_decode(&f->h, raw);
	f->nbuf = f->h.num_buffers;
	if (!f->nbuf || (!(T.features & F_MRG) && f->nbuf != 1))
		return -1;
	f->len = len - NET_HDR_LEN;
	sim_read(&T.mem, T.buf[head] + NET_HDR_LEN, f->data, f->len);
	for (i = 1; i < f->nbuf; i++) {
		if (sim_vq_used(&T.rxq, &head, &len) != 1 ||
		    f->len + len > sizeof(f->data))
			return -1;
		sim_read(&T.mem, T.buf[head], f->data + f->len, len);
		f->len += len;
	}
	return 1;
}

static int t_send(const struct net_hdr *h, const void *frame, uint32_t len)
{
	static uint8_t raw[NET_HDR_LEN];
	struct sim_seg s[2];

	net_hdr_encode(h, raw);
	if (T.arena_off + len + 128 > (8u << 20))
		T.arena_off = 0;
	s[0] = (struct sim_seg){ .len = NET_HDR_LEN, .data = raw,
				 .iova = T.arena + T.arena_off };
	s[1] = (struct sim_seg){ .len = len, .data = frame,
				 .iova = T.arena + T.arena_off + 64 };
	T.arena_off += (len + 128 + 63) & ~63u;
	if (sim_vq_add_chain(&T.txq, s, 2) < 0)
		return -1;
	sim_vq_set_used_event(&T.txq, T.txq.last_used);
	if (sim_vq_publish(&T.txq))
		T.d.ops->queue_kick(&T.d, &T.d.vqs[1]);
	return 0;
}

static int t_tx_done(void)
{
	uint16_t head;
	uint32_t len;
	int n = 0, r;

	while ((r = sim_vq_used(&T.txq, &head, &len)) == 1)
		n++;
	return r < 0 ? -1 : n;
}

/* ---- the host: the tap's own side ---- */

static int ctl_fd = -1;		/* for interface ioctls */

static int if_index(const char *name)
{
	struct ifreq ifr = { 0 };

	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	return ioctl(ctl_fd, SIOCGIFINDEX, &ifr) ? 0 : ifr.ifr_ifindex;
}

static int if_set_up(const char *name, bool up)
{
	struct ifreq ifr = { 0 };

	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(ctl_fd, SIOCGIFFLAGS, &ifr))
		return -1;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return ioctl(ctl_fd, SIOCSIFFLAGS, &ifr) ? -1 : 0;
}

/* ip link del NAME, with one rtnetlink request. */
static int if_delete(const char *name)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_DELLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = if_index(name) },
	};
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} ack;
	int fd, ret = -1;

	if (!req.ifi.ifi_index)
		return -1;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	if (send(fd, &req, sizeof(req), 0) == sizeof(req) &&
	    recv(fd, &ack, sizeof(ack), 0) > 0 &&
	    ack.h.nlmsg_type == NLMSG_ERROR && !ack.e.error)
		ret = 0;
	close(fd);
	return ret;
}

/* A persistent tap made by someone else (ip tuntap add). */
static int if_create_tap(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), ret = -1;

	if (fd < 0)
		return -1;
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (!ioctl(fd, TUNSETIFF, &ifr) && !ioctl(fd, TUNSETPERSIST, 1))
		ret = 0;
	close(fd);
	return ret;
}

/* AF_PACKET on the tap; @vnet: frames carry a struct virtio_net_hdr. */
static int pkt_open(bool vnet)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = if_index(TAPNAME),
	};
	int fd, one = 1;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0)
		return -1;
	if ((vnet && setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one,
				sizeof(one))) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Next frame the tap received from the guest with our ethertype (or any
 * IPv4 one if @ip), within @ms; its length or -1.
 */
static int pkt_recv(int fd, void *buf, size_t len, bool ip, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint16_t want = ip ? 0x0800 : ETYPE;
	struct sockaddr_ll from;
	socklen_t fl;
	ssize_t n;

	while (poll(&p, 1, ms) == 1) {
		fl = sizeof(from);
		n = recvfrom(fd, buf, len, 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return -1;
		if (from.sll_pkttype != PACKET_OUTGOING &&
		    ntohs(from.sll_protocol) == want)
			return n;
	}
	return -1;
}

static int pkt_send(int fd, const void *buf, size_t len)
{
	return send(fd, buf, len, 0) == (ssize_t)len ? 0 : -1;
}

/* Run the loop until @cond holds or @ms pass. */
static bool pump(bool (*cond)(void), int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (cond && cond())
			return true;
		loop_wait(5);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
			return cond ? cond() : true;
	}
}

static bool link_is_up(void)
{
	return t_status() == VIRTIO_NET_S_LINK_UP;
}

static bool link_is_down(void)
{
	return t_status() == 0;
}

static bool rx_pending(void)
{
	return le16toh(READ_ONCE(T.rxq.used->idx)) != T.rxq.last_used;
}

static void mk_frame(uint8_t *f, uint32_t len, uint32_t seq)
{
	uint32_t i;

	memset(f, 0xff, 6);
	memcpy(f + 6, tap_table[0].mac, 6);
	f[12] = ETYPE >> 8;
	f[13] = ETYPE & 0xff;
	for (i = 14; i < len; i++)
		f[i] = (uint8_t)(i * 3 + seq);
	memcpy(f + 14, &seq, 4);
}

/* Ethernet + IPv4 + TCP, @payload bytes, ready for TSO. */
static uint32_t mk_tcp4(uint8_t *f, uint32_t payload)
{
	uint32_t len = 14 + 20 + 20 + payload, i;

	memset(f, 0, 54);
	memcpy(f, tap_table[0].mac, 6);
	f[6] = 0x02;
	f[11] = 0x09;
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (20 + 20 + payload) >> 8;
	f[17] = (20 + 20 + payload) & 0xff;
	f[20] = 0x40;
	f[22] = 64;
	f[23] = 6;
	memcpy(f + 26, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	f[34] = 0x9c;
	f[36] = 0x00;
	f[37] = 80;
	f[46] = 0x50;
	f[47] = 0x18;
	f[48] = 0xff;
	for (i = 54; i < len; i++)
		f[i] = (uint8_t)i;
	return len;
}

static int t_setup_tap(uint64_t features)
{
	if (t_start(features))
		return -1;
	return if_set_up(TAPNAME, true);
}

/* ---- tests ---- */

TEST(tap_features_and_offloads)
{
	uint64_t never = BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_RX) |
			 BIT(VIRTIO_NET_F_CTRL_VLAN) | BIT(VIRTIO_NET_F_MQ) |
			 BIT(VIRTIO_NET_F_GUEST_ANNOUNCE);

	if (skip_why)
		SKIP(skip_why);
	CHECK_EQ(t_start(F_ALL), 0);
	CHECK_EQ(T.d.features & F_ALL, F_ALL);
	CHECK_EQ(T.d.features & never, 0);
	CHECK_EQ(t_stat("tap_attached"), 1);
	/* The driver takes everything: so does the tap for it. */
	CHECK_EQ(t_stat("tap_offloads"), TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
					 TUN_F_TSO_ECN | TUN_F_UFO);
	t_fini();
	CHECK_EQ(t_start(F_BASE | F_MRG), 0);
	CHECK_EQ(t_stat("tap_offloads"), 0);
	CHECK_EQ(t_start(F_BASE | BIT(VIRTIO_NET_F_GUEST_CSUM) |
			 BIT(VIRTIO_NET_F_GUEST_TSO4)), 0);
	CHECK_EQ(t_stat("tap_offloads"), TUN_F_CSUM | TUN_F_TSO4);
	t_fini();
	return 0;
}

TEST(tap_open_errors_leave_nothing)
{
	struct vdev d;

	if (skip_why)
		SKIP(skip_why);
	memset(&d, 0, sizeof(d));
	CHECK(net_model_init(&d, &tap_table[1]) < 0);
	CHECK(d.model == NULL);
	memset(&d, 0, sizeof(d));
	/* "lo" is no tap: TUNSETIFF refuses it. */
	CHECK(net_model_init(&d, &tap_table[2]) < 0);
	CHECK(d.model == NULL);
	return 0;
}

TEST(tap_carrier_follows_host)
{
	if (skip_why)
		SKIP(skip_why);
	CHECK_EQ(t_start(F_ALL), 0);
	/* We created it: down on the host, so no carrier for the guest. */
	CHECK_EQ(t_status(), 0);
	CHECK_EQ(if_set_up(TAPNAME, true), 0);
	CHECK(pump(link_is_up, 2000));
	CHECK(T.cfg_irqs >= 1);
	CHECK_EQ(if_set_up(TAPNAME, false), 0);
	CHECK(pump(link_is_down, 2000));
	CHECK_EQ(if_set_up(TAPNAME, true), 0);
	CHECK(pump(link_is_up, 2000));
	t_fini();
	return 0;
}

TEST(tap_tx_to_host)
{
	static uint8_t fr[1514], got[2048];
	const struct net_hdr h = { 0 };
	uint32_t seq;
	int fd, n, i;

	if (skip_why)
		SKIP(skip_why);
	CHECK_EQ(t_setup_tap(F_ALL), 0);
	CHECK(pump(link_is_up, 2000));
	fd = pkt_open(false);
	CHECK(fd >= 0);
	for (i = 0; i < 20; i++) {
		mk_frame(fr, 60 + i * 70, i);
		CHECK_EQ(t_send(&h, fr, 60 + i * 70), 0);
	}
	CHECK_EQ(t_tx_done(), 20);
	for (i = 0; i < 20; i++) {
		n = pkt_recv(fd, got, sizeof(got), false, 1000);
		CHECK_EQ(n, 60 + i * 70);
		CHECK(!memcmp(got, fr, 14));
		memcpy(&seq, got + 14, 4);
		CHECK_EQ(seq, (uint32_t)i);
	}
	CHECK_EQ(t_stat("tx_packets"), 20);
	close(fd);
	t_fini();
	return 0;
}

TEST(tap_rx_from_host_batched)
{
	enum { N = 40 };
	static uint8_t fr[1514];
	struct rxframe *rf;
	int fd, i, irqs;
	uint32_t seq;

	if (skip_why)
		SKIP(skip_why);
	rf = malloc(sizeof(*rf));
	CHECK(rf);
	CHECK_EQ(t_setup_tap(F_ALL), 0);
	CHECK(pump(link_is_up, 2000));
	CHECK_EQ(t_post_rx(128, 2048), 0);
	fd = pkt_open(false);
	CHECK(fd >= 0);
	sim_vq_set_used_event(&T.rxq, T.rxq.last_used);
	irqs = T.rxq.irqs;
	for (i = 0; i < N; i++) {
		mk_frame(fr, 1514, i);
		CHECK_EQ(pkt_send(fd, fr, 1514), 0);
	}
	pump(NULL, 200);
	/* Several frames per wakeup, one interrupt per wakeup. */
	CHECK(T.rxq.irqs - irqs < N);
	for (i = 0; i < N; i++) {
		CHECK_EQ(t_recv(rf), 1);
		CHECK_EQ(rf->len, 1514);
		CHECK_EQ(rf->nbuf, 1);
		memcpy(&seq, rf->data + 14, 4);
		CHECK_EQ(seq, (uint32_t)i);
	}
	CHECK_EQ(t_recv(rf), 0);
	CHECK_EQ(t_stat("rx_packets"), N);
	close(fd);
	t_fini();
	free(rf);
	return 0;
}

/* No guest buffers: frames wait in the tap, then all arrive in order. */
TEST(tap_rx_backpressure)
{
	static uint8_t fr[600];
	struct rxframe *rf;
	int fd, i;
	uint32_t seq;

	if (skip_why)
		SKIP(skip_why);
	rf = malloc(sizeof(*rf));
	CHECK(rf);
	CHECK_EQ(t_setup_tap(F_ALL), 0);
	CHECK(pump(link_is_up, 2000));
	fd = pkt_open(false);
	CHECK(fd >= 0);
	for (i = 0; i < 8; i++) {
		mk_frame(fr, 600, i);
		CHECK_EQ(pkt_send(fd, fr, 600), 0);
	}
	pump(NULL, 100);
	CHECK_EQ(t_recv(rf), 0);
	CHECK_EQ(t_stat("rx_ring_full"), 1);
	CHECK_EQ(t_post_rx(3, 2048), 0);
	pump(NULL, 50);
	CHECK_EQ(t_post_rx(16, 2048), 0);
	pump(NULL, 50);
	for (i = 0; i < 8; i++) {
		CHECK_EQ(t_recv(rf), 1);
		memcpy(&seq, rf->data + 14, 4);
		CHECK_EQ(seq, (uint32_t)i);
	}
	CHECK_EQ(t_recv(rf), 0);
	close(fd);
	t_fini();
	free(rf);
	return 0;
}

/* GSO both ways, untranslated, when the guest negotiated it. */
TEST(tap_gso_passthrough)
{
	static uint8_t fr[70000], got[70000];
	struct rxframe *rf;
	struct virtio_net_hdr vh;
	struct net_hdr h;
	uint32_t len;
	int fd, n;

	if (skip_why)
		SKIP(skip_why);
	rf = malloc(sizeof(*rf));
	CHECK(rf);
	CHECK_EQ(t_setup_tap(F_ALL), 0);
	CHECK(pump(link_is_up, 2000));
	fd = pkt_open(true);
	CHECK(fd >= 0);

	/* Guest -> host: a 40 KB TSO frame stays one frame. */
	len = mk_tcp4(fr, 40000);
	h = (struct net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
			      .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
			      .gso_size = 1448, .hdr_len = 54,
			      .csum_start = 34, .csum_offset = 16 };
	CHECK_EQ(t_send(&h, fr, len), 0);
	CHECK_EQ(t_tx_done(), 1);
	CHECK_EQ(t_stat("tx_packets"), 1);
	n = pkt_recv(fd, got, sizeof(got), true, 1000);
	CHECK_EQ(n, (int)(sizeof(vh) + len));
	memcpy(&vh, got, sizeof(vh));
	CHECK_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK_EQ(vh.gso_size, 1448);
	CHECK(!memcmp(got + sizeof(vh) + 54, fr + 54, len - 54));

	/* Host -> guest: one 30 KB GSO frame over mergeable buffers. */
	CHECK_EQ(t_post_rx(64, 4096), 0);
	len = mk_tcp4(fr, 30000);
	memset(&vh, 0, sizeof(vh));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh.gso_size = 1448;
	vh.hdr_len = 54;
	vh.csum_start = 34;
	vh.csum_offset = 16;
	memcpy(got, &vh, sizeof(vh));
	memcpy(got + sizeof(vh), fr, len);
	CHECK_EQ(pkt_send(fd, got, sizeof(vh) + len), 0);
	CHECK(pump(rx_pending, 1000));
	CHECK_EQ(t_recv(rf), 1);
	CHECK_EQ(rf->h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK_EQ(rf->h.gso_size, 1448);
	CHECK_EQ(rf->h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM,
		 VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(rf->len, len);
	CHECK(rf->nbuf > 1);
	CHECK(!memcmp(rf->data + 54, fr + 54, len - 54));
	close(fd);
	t_fini();
	free(rf);
	return 0;
}

/* Without offloads the kernel segments for us: plain MTU frames. */
TEST(tap_plain_frames_without_offloads)
{
	static uint8_t fr[70000], out[70000];
	struct rxframe *rf;
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1000,
		.hdr_len = 54, .csum_start = 34, .csum_offset = 16,
	};
	uint32_t len, total = 0;
	int fd, frames = 0;

	if (skip_why)
		SKIP(skip_why);
	rf = malloc(sizeof(*rf));
	CHECK(rf);
	CHECK_EQ(t_setup_tap(F_BASE), 0);
	CHECK(pump(link_is_up, 2000));
	CHECK_EQ(t_post_rx(64, NET_HDR_LEN + 1518), 0);
	fd = pkt_open(true);
	CHECK(fd >= 0);
	len = mk_tcp4(fr, 5000);
	memcpy(out, &vh, sizeof(vh));
	memcpy(out + sizeof(vh), fr, len);
	CHECK_EQ(pkt_send(fd, out, sizeof(vh) + len), 0);
	pump(NULL, 200);
	while (t_recv(rf) == 1) {
		CHECK_EQ(rf->h.gso_type, 0);
		CHECK_EQ(rf->h.flags, 0);
		CHECK(rf->len <= 1514);
		total += rf->len - 54;
		frames++;
	}
	CHECK_EQ(frames, 5);
	CHECK_EQ(total, 5000);
	close(fd);
	t_fini();
	free(rf);
	return 0;
}

/* A frame longer than the buffers at hand waits for more, not dropped. */
TEST(tap_rx_frame_waits_for_more_buffers)
{
	static uint8_t fr[70000], out[70000];
	struct rxframe *rf;
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1448,
		.hdr_len = 54, .csum_start = 34, .csum_offset = 16,
	};
	uint32_t len;
	int fd;

	if (skip_why)
		SKIP(skip_why);
	rf = malloc(sizeof(*rf));
	CHECK(rf);
	CHECK_EQ(t_setup_tap(F_ALL), 0);
	CHECK(pump(link_is_up, 2000));
	CHECK_EQ(t_post_rx(2, 4096), 0);
	fd = pkt_open(true);
	CHECK(fd >= 0);
	len = mk_tcp4(fr, 20000);
	memcpy(out, &vh, sizeof(vh));
	memcpy(out + sizeof(vh), fr, len);
	CHECK_EQ(pkt_send(fd, out, sizeof(vh) + len), 0);
	pump(NULL, 100);
	CHECK_EQ(t_recv(rf), 0);
	CHECK_EQ(t_stat("tap_rx_spilled"), 1);
	CHECK_EQ(t_post_rx(8, 4096), 0);
	CHECK_EQ(t_recv(rf), 1);
	CHECK_EQ(rf->len, len);
	CHECK_EQ(rf->nbuf, (NET_HDR_LEN + len + 4095) / 4096);
	CHECK(!memcmp(rf->data + 54, fr + 54, len - 54));
	CHECK_EQ(t_stat("rx_drop_oversize"), 0);
	close(fd);
	t_fini();
	free(rf);
	return 0;
}

TEST(tap_link_down_drops_both_ways)
{
	static uint8_t fr[600], got[2048];
	struct rxframe *rf;
	const struct net_hdr h = { 0 };
	int fd;

	if (skip_why)
		SKIP(skip_why);
	rf = malloc(sizeof(*rf));
	CHECK(rf);
	CHECK_EQ(t_setup_tap(F_ALL), 0);
	CHECK(pump(link_is_up, 2000));
	CHECK_EQ(t_post_rx(16, 2048), 0);
	fd = pkt_open(false);
	CHECK(fd >= 0);
	T.cfg_irqs = 0;
	T.d.ops->set_link(&T.d, false);
	CHECK_EQ(t_status(), 0);
	CHECK_EQ(T.cfg_irqs, 1);
	mk_frame(fr, 600, 1);
	CHECK_EQ(t_send(&h, fr, 600), 0);
	CHECK_EQ(t_tx_done(), 1);
	CHECK_EQ(t_stat("tx_drop_link_down"), 1);
	CHECK_EQ(pkt_recv(fd, got, sizeof(got), false, 100), -1);
	CHECK_EQ(pkt_send(fd, fr, 600), 0);
	pump(NULL, 100);
	CHECK_EQ(t_recv(rf), 0);
	CHECK_EQ(t_stat("rx_drop_link_down"), 1);
	/* Up again: traffic flows, nothing stale arrives. */
	T.d.ops->set_link(&T.d, true);
	CHECK_EQ(t_status(), VIRTIO_NET_S_LINK_UP);
	CHECK_EQ(pkt_send(fd, fr, 600), 0);
	CHECK(pump(rx_pending, 1000));
	CHECK_EQ(t_recv(rf), 1);
	CHECK_EQ(t_recv(rf), 0);
	close(fd);
	t_fini();
	free(rf);
	return 0;
}

/* A driver that never enabled its RX queue: frames are dropped, no spin. */
TEST(tap_rx_without_rx_queue)
{
	static uint8_t fr[600];
	int fd, i;

	if (skip_why)
		SKIP(skip_why);
	CHECK_EQ(t_setup_tap(F_ALL), 0);
	CHECK(pump(link_is_up, 2000));
	virtq_stop(&T.d.vqs[0]);
	fd = pkt_open(false);
	CHECK(fd >= 0);
	for (i = 0; i < 3; i++) {
		mk_frame(fr, 600, i);
		CHECK_EQ(pkt_send(fd, fr, 600), 0);
	}
	pump(NULL, 100);
	CHECK_EQ(t_stat("rx_drop_link_down"), 3);
	/* Nothing left to read: one more wakeup finds the tap empty. */
	CHECK_EQ(loop_wait(0), 0);
	close(fd);
	t_fini();
	return 0;
}

static bool tap_gone(void)
{
	return t_stat("tap_attached") == 0;
}

static bool tap_back(void)
{
	return t_stat("tap_attached") == 1;
}

/* The tap is deleted under us: no carrier, no crash; it comes back. */
TEST(tap_deleted_then_back)
{
	static uint8_t fr[600], got[2048];
	const struct net_hdr h = { 0 };
	int fd;

	if (skip_why)
		SKIP(skip_why);
	CHECK_EQ(t_setup_tap(F_ALL), 0);
	CHECK(pump(link_is_up, 2000));
	CHECK_EQ(t_post_rx(16, 2048), 0);
	CHECK_EQ(if_delete(TAPNAME), 0);
	CHECK(pump(tap_gone, 2000));
	CHECK(pump(link_is_down, 100));
	CHECK_EQ(t_stat("tap_lost"), 1);
	CHECK_EQ(T.d.state, VDEV_RUNNING);
	mk_frame(fr, 600, 1);
	CHECK_EQ(t_send(&h, fr, 600), 0);
	CHECK_EQ(t_tx_done(), 1);
	CHECK_EQ(t_stat("tx_drop_link_down"), 1);

	/* SIGHUP: created again, down until set up on the host. */
	T.d.ops->reconnect(&T.d);
	CHECK_EQ(t_stat("tap_attached"), 1);
	CHECK_EQ(t_stat("tap_reattached"), 1);
	CHECK_EQ(if_set_up(TAPNAME, true), 0);
	CHECK(pump(link_is_up, 2000));
	fd = pkt_open(false);
	CHECK(fd >= 0);
	CHECK_EQ(t_send(&h, fr, 600), 0);
	CHECK_EQ(pkt_recv(fd, got, sizeof(got), false, 1000), 600);
	close(fd);

	/* Deleted again, then someone else creates it: we attach to it. */
	CHECK_EQ(if_delete(TAPNAME), 0);
	CHECK(pump(tap_gone, 2000));
	CHECK_EQ(if_create_tap(TAPNAME), 0);
	CHECK(pump(tap_back, 2000));
	CHECK_EQ(t_stat("tap_reattached"), 2);
	CHECK_EQ(if_set_up(TAPNAME, true), 0);
	CHECK(pump(link_is_up, 2000));
	fd = pkt_open(false);
	CHECK(fd >= 0);
	CHECK_EQ(t_send(&h, fr, 600), 0);
	CHECK_EQ(pkt_recv(fd, got, sizeof(got), false, 1000), 600);
	close(fd);
	t_fini();
	/* It was persistent: remove it for the next test. */
	CHECK_EQ(if_delete(TAPNAME), 0);
	return 0;
}

/*
 * SIGHUP reaches each device through its model's reconnect op: on an
 * attached tap it changes nothing; a deleted tap is created again under
 * its name, attached, and carries frames once it is up.
 */
TEST(tap_reconnect_op_reopens_lost_tap)
{
	static uint8_t fr[300], got[2048];
	const struct net_hdr h = { 0 };
	int fd, ifindex;

	if (skip_why)
		SKIP(skip_why);
	CHECK_EQ(t_setup_tap(F_ALL), 0);
	CHECK(pump(link_is_up, 2000));
	CHECK(T.d.ops->reconnect != NULL);
	ifindex = if_index(TAPNAME);
	T.d.ops->reconnect(&T.d);
	CHECK_EQ(t_stat("tap_reattached"), 0);
	CHECK_EQ(if_index(TAPNAME), ifindex);
	CHECK(pump(link_is_up, 100));

	CHECK_EQ(if_delete(TAPNAME), 0);
	CHECK(pump(tap_gone, 2000));
	CHECK_EQ(if_index(TAPNAME), 0);
	T.d.ops->reconnect(&T.d);
	CHECK(if_index(TAPNAME) > 0);
	CHECK_EQ(t_stat("tap_attached"), 1);
	CHECK_EQ(t_stat("tap_reattached"), 1);
	/* Created down, as at start: no carrier until the host sets it up. */
	CHECK(pump(link_is_down, 100));
	CHECK_EQ(if_set_up(TAPNAME, true), 0);
	CHECK(pump(link_is_up, 2000));
	fd = pkt_open(false);
	CHECK(fd >= 0);
	mk_frame(fr, 300, 7);
	CHECK_EQ(t_send(&h, fr, 300), 0);
	CHECK_EQ(pkt_recv(fd, got, sizeof(got), false, 1000), 300);
	close(fd);
	t_fini();
	return 0;
}

/* Private network namespace, or a reason why the tap tests cannot run. */
static void setup_netns(void)
{
	int fd;

	if (geteuid()) {
		skip_why = "needs root (CAP_NET_ADMIN) for a tap";
		return;
	}
	if (unshare(CLONE_NEWNET)) {
		skip_why = "cannot unshare a network namespace";
		return;
	}
	if (access("/dev/net/tun", R_OK | W_OK)) {
		skip_why = "no /dev/net/tun";
		return;
	}
	/* No IPv6 chatter (router solicitations) on the tap. */
	fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1) {
			/* Best effort: test frames are told apart anyway. */
		}
		close(fd);
	}
	ctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ctl_fd < 0)
		skip_why = "no socket for interface ioctls";
}

int main(void)
{
	if (loop_init()) {
		printf("FAIL test_tap: loop_init\n");
		return 1;
	}
	setup_netns();
	RUN(tap_features_and_offloads);
	RUN(tap_open_errors_leave_nothing);
	RUN(tap_carrier_follows_host);
	RUN(tap_tx_to_host);
	RUN(tap_rx_from_host_batched);
	RUN(tap_rx_backpressure);
	RUN(tap_gso_passthrough);
	RUN(tap_plain_frames_without_offloads);
	RUN(tap_rx_frame_waits_for_more_buffers);
	RUN(tap_link_down_drops_both_ways);
	RUN(tap_rx_without_rx_queue);
	RUN(tap_deleted_then_back);
	RUN(tap_reconnect_op_reopens_lost_tap);
	t_fini();
	loop_exit();
	return check_failed ? 1 : 0;
}
