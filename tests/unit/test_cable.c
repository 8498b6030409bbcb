// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net model on the cable backend, two simulated drivers, one per
 * end: header rules, mergeable and single RX buffers, back-pressure, link
 * state, software checksum and segmentation, hostile rings, restart.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
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

CHECK_MAIN_DEFS("test_cable");

#define QSIZE 256
#define MEM_SIZE (64u << 20)		/* 4 regions of 16 MiB */
#define ARENA (8u << 20)
#define FRAME_MAX 70000

#define F_BASE (BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_MTU) |             \
		BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_RING_F_INDIRECT_DESC) | \
		BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_F_VERSION_1) |      \
		BIT(VIRTIO_F_ACCESS_PLATFORM))
#define F_MRG BIT(VIRTIO_NET_F_MRG_RXBUF)
#define F_HOST (BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |      \
		BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN))
#define F_GCSUM BIT(VIRTIO_NET_F_GUEST_CSUM)
#define F_GTSO (BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) | \
		BIT(VIRTIO_NET_F_GUEST_ECN))
#define F_ALL (F_BASE | F_MRG | F_HOST | F_GCSUM | F_GTSO)

/* Entries come in cable pairs; see t_pair(). */
static const struct net_devcfg cable_table[] = {
	{ .name = "tnet0", .mac = { 0x52, 0x54, 0, 0, 0, 1 }, .mtu = 1500,
	  .queue_size = QSIZE, .backend = &net_cable_backend,
	  .peer = &cable_table[1], .link_up = true },
	{ .name = "tnet1", .mac = { 0x52, 0x54, 0, 0, 0, 2 }, .mtu = 1500,
	  .queue_size = QSIZE, .backend = &net_cable_backend,
	  .peer = &cable_table[0], .link_up = true },
	{ .name = "tjumbo0", .mac = { 0x52, 0x54, 0, 0, 1, 1 }, .mtu = 9000,
	  .queue_size = QSIZE, .backend = &net_cable_backend,
	  .peer = &cable_table[3], .link_up = true },
	{ .name = "tjumbo1", .mac = { 0x52, 0x54, 0, 0, 1, 2 }, .mtu = 9000,
	  .queue_size = QSIZE, .backend = &net_cable_backend,
	  .peer = &cable_table[2], .link_up = true },
	{ .name = "tdown0", .mac = { 0x52, 0x54, 0, 0, 2, 1 }, .mtu = 1500,
	  .queue_size = QSIZE, .backend = &net_cable_backend,
	  .peer = &cable_table[5], .link_up = false },
	{ .name = "tdown1", .mac = { 0x52, 0x54, 0, 0, 2, 2 }, .mtu = 1500,
	  .queue_size = QSIZE, .backend = &net_cable_backend,
	  .peer = &cable_table[4], .link_up = true },
	{ .name = "tmix0", .mac = { 0x52, 0x54, 0, 0, 3, 1 }, .mtu = 9000,
	  .queue_size = QSIZE, .backend = &net_cable_backend,
	  .peer = &cable_table[7], .link_up = true },
	{ .name = "tmix1", .mac = { 0x52, 0x54, 0, 0, 3, 2 }, .mtu = 1500,
	  .queue_size = QSIZE, .backend = &net_cable_backend,
	  .peer = &cable_table[6], .link_up = true },
};

/* ---- one simulated guest with its device ---- */

struct rxchain {
	uint64_t iova[2];
	uint32_t len[2];
	unsigned int n;
};

struct tdev {
	struct vdev d;
	struct sim_mem mem;
	struct sim_vq rxq, txq;
	uint64_t features;
	bool started;
	unsigned int cfg_updates, cfg_irqs;
	uint64_t arena;
	uint32_t arena_off;
	uint64_t rxbuf[QSIZE];		/* per descriptor, reused */
	uint32_t rxbuf_len[QSIZE];
	struct rxchain chain[QSIZE];	/* by head */
};

static struct tdev A, B;
/* Guest memory's fetch_pages (simdrv.h): many small regions when set. */
static unsigned int t_fetch_pages;

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
	if (off + len > d->config_size)
		return -EINVAL;
	container_of(d, struct tdev, d)->cfg_updates++;
	return 0;
}

static const struct vdev_transport_ops t_transport = {
	.vq_irq = t_vq_irq,
	.config_irq = t_config_irq,
	.config_update = t_config_update,
};

static void t_fini(struct tdev *t);

static int t_init(struct tdev *t, unsigned int idx)
{
	/* A failed test may have left its device behind. */
	if (t->d.ops)
		t_fini(t);
	memset(t, 0, sizeof(*t));
	if (net_model_init(&t->d, &cable_table[idx]))
		return -1;
	t->d.transport = &t_transport;
	return 0;
}

/* The driver comes: FEATURES_OK with @features, queues, DRIVER_OK. */
static int t_start(struct tdev *t, uint64_t features)
{
	unsigned int i;

	if (sim_mem_init(&t->mem, MEM_SIZE, 4))
		return -1;
	t->mem.fetch_pages = t_fetch_pages;
	/* Fresh guest memory: forget buffers of an earlier driver. */
	memset(t->rxbuf_len, 0, sizeof(t->rxbuf_len));
	memset(t->chain, 0, sizeof(t->chain));
	t->arena_off = 0;
	t->features = features & t->d.features;
	if (sim_vq_init(&t->rxq, &t->mem, QSIZE, t->features) ||
	    sim_vq_init(&t->txq, &t->mem, QSIZE, t->features))
		return -1;
	for (i = 0; i < 2; i++)
		t->d.vqs[i].index = i;
	if (sim_vq_start(&t->rxq, &t->d.vqs[0]) ||
	    sim_vq_start(&t->txq, &t->d.vqs[1]))
		return -1;
	t->arena = sim_alloc(&t->mem, ARENA, 64);
	t->d.driver_features = t->features;
	t->d.state = VDEV_RUNNING;
	t->started = true;
	return t->d.ops->start(&t->d);
}

/* Status 0, as vduse_reset() does it. */
static void t_reset(struct tdev *t)
{
	if (!t->started)
		return;
	if (t->d.state != VDEV_STOPPED)
		t->d.ops->stop(&t->d);
	virtq_stop(&t->d.vqs[0]);
	virtq_stop(&t->d.vqs[1]);
	t->d.state = VDEV_STOPPED;
	t->d.driver_features = 0;
	sim_vq_free(&t->rxq);
	sim_vq_free(&t->txq);
	sim_mem_free(&t->mem);
	t->started = false;
}

static void t_fini(struct tdev *t)
{
	t_reset(t);
	if (t->d.ops)
		t->d.ops->destroy(&t->d);
	t->d.ops = NULL;
}

/* Two ends of table pair @idx, @idx + 1, started with their features. */
static int t_pair(unsigned int idx, uint64_t fa, uint64_t fb)
{
	if (t_init(&A, idx) || t_init(&B, idx + 1))
		return -1;
	if (t_start(&A, fa) || t_start(&B, fb))
		return -1;
	return 0;
}

static void t_unpair(void)
{
	t_fini(&A);
	t_fini(&B);
}

/* A counter from the device's dump_stats, or ~0 if it has none. */
static uint64_t t_stat(struct tdev *t, const char *name)
{
	char buf[8192], *p;
	size_t n = strlen(name);
	int fd = memfd_create("stats", 0);
	ssize_t len;

	if (fd < 0)
		return ~0ULL;
	vdev_dump_stats(&t->d, fd);
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

static uint16_t t_status(const struct tdev *t)
{
	struct virtio_net_config c;

	memcpy(&c, t->d.config, t->d.config_size);
	return le16toh(c.status);
}

/* ---- driver side: RX buffers ---- */

static void t_rx_kick(struct tdev *t)
{
	if (sim_vq_publish(&t->rxq))
		t->d.ops->queue_kick(&t->d, &t->d.vqs[0]);
}

/* A buffer for descriptor @d of at least @size bytes (reused). */
static uint64_t t_rxbuf(struct tdev *t, uint16_t d, uint32_t size)
{
	if (t->rxbuf_len[d] < size) {
		t->rxbuf[d] = sim_alloc(&t->mem, size, 64);
		t->rxbuf_len[d] = size;
	}
	return t->rxbuf[d];
}

/* Post @n one-descriptor buffers of @size (mergeable / small buffers). */
static int t_post_rx_nokick(struct tdev *t, unsigned int n, uint32_t size)
{
	struct sim_seg s;
	unsigned int i;
	uint16_t d;

	for (i = 0; i < n; i++) {
		if (!t->rxq.nr_free)
			return -1;
		d = t->rxq.free_head;
		s = (struct sim_seg){ .len = size, .write = true,
				      .iova = t_rxbuf(t, d, size) };
		if (sim_vq_add_chain(&t->rxq, &s, 1) != d)
			return -1;
		t->chain[d] = (struct rxchain){ .iova = { s.iova },
						.len = { size }, .n = 1 };
	}
	return 0;
}

static int t_post_rx(struct tdev *t, unsigned int n, uint32_t size)
{
	if (t_post_rx_nokick(t, n, size))
		return -1;
	t_rx_kick(t);
	return 0;
}

/* Linux's non-mergeable "big" buffers: header descriptor, then data. */
static int t_post_rx_big(struct tdev *t, unsigned int n, uint32_t data)
{
	struct sim_seg s[2];
	unsigned int i;
	int head;

	for (i = 0; i < n; i++) {
		s[0] = (struct sim_seg){ .len = NET_HDR_LEN, .write = true };
		s[1] = (struct sim_seg){ .len = data, .write = true };
		head = sim_vq_add_chain(&t->rxq, s, 2);
		if (head < 0)
			return -1;
		t->chain[head] = (struct rxchain){
			.iova = { s[0].iova, s[1].iova },
			.len = { s[0].len, s[1].len }, .n = 2 };
	}
	t_rx_kick(t);
	return 0;
}

/* Copy @len bytes from offset @off of chain @head. */
static void t_chain_read(struct tdev *t, uint16_t head, uint32_t off,
			 uint8_t *out, uint32_t len)
{
	const struct rxchain *c = &t->chain[head];
	unsigned int i;
	uint32_t n;

	for (i = 0; i < c->n && len; i++) {
		if (off >= c->len[i]) {
			off -= c->len[i];
			continue;
		}
		n = MIN(c->len[i] - off, len);
		sim_read(&t->mem, c->iova[i] + off, out, n);
		out += n;
		len -= n;
		off = 0;
	}
}

struct rxframe {
	struct net_hdr h;
	unsigned int nbuf;
	uint32_t len;			/* frame bytes, header excluded */
	uint32_t used_len[64];		/* per buffer */
	uint8_t data[FRAME_MAX];
};

/* Take one frame off B's used ring: 1, 0 (none), -1 (inconsistent). */
static int t_recv(struct tdev *t, struct rxframe *f)
{
	uint8_t raw[NET_HDR_LEN];
	uint16_t head;
	uint32_t len;
	unsigned int i;
	int r;

	r = sim_vq_used(&t->rxq, &head, &len);
	if (r != 1)
		return r;
	if (len < NET_HDR_LEN)
		return -1;
	t_chain_read(t, head, 0, raw, NET_HDR_LEN);
	net_hdr_decode(&f->h, raw);
	f->nbuf = f->h.num_buffers;
	if (!(t->features & F_MRG) && f->nbuf != 1)
		return -1;
	if (!f->nbuf || f->nbuf > ARRAY_SIZE(f->used_len))
		return -1;
	f->len = len - NET_HDR_LEN;
	f->used_len[0] = len;
	if (f->len > FRAME_MAX)
		return -1;
	t_chain_read(t, head, NET_HDR_LEN, f->data, f->len);
	for (i = 1; i < f->nbuf; i++) {
		if (sim_vq_used(&t->rxq, &head, &len) != 1 ||
		    f->len + len > FRAME_MAX)
			return -1;
		f->used_len[i] = len;
		t_chain_read(t, head, 0, f->data + f->len, len);
		f->len += len;
	}
	return 1;
}

/* ---- driver side: TX ---- */

static uint64_t t_arena(struct tdev *t, uint32_t len)
{
	uint64_t iova;

	if (t->arena_off + len > ARENA)
		t->arena_off = 0;
	iova = t->arena + t->arena_off;
	t->arena_off += (len + 63) & ~63u;
	return iova;
}

/*
 * Queue a frame: header, then the frame cut into @pieces descriptors
 * (the last one takes the rest); @indirect puts them in one table.
 */
static int t_queue_tx(struct tdev *t, const struct net_hdr *h,
		      const void *frame, uint32_t len, unsigned int pieces,
		      bool indirect)
{
	static uint8_t raw[NET_HDR_LEN];
	struct sim_seg s[9];
	uint32_t off = 0, n;
	unsigned int i;

	if (pieces < 1 || pieces > 8)
		pieces = 1;
	net_hdr_encode(h, raw);
	s[0] = (struct sim_seg){ .len = NET_HDR_LEN, .data = raw,
				 .iova = t_arena(t, NET_HDR_LEN) };
	for (i = 0; i < pieces; i++) {
		n = i + 1 < pieces ? MIN(len / pieces + (i & 1), len - off) :
				     len - off;
		s[i + 1] = (struct sim_seg){
			.len = n, .data = (const uint8_t *)frame + off,
			.iova = n ? t_arena(t, n) : 0 };
		off += n;
	}
	return sim_vq_add(&t->txq, s, pieces + 1, indirect ? 0 : pieces + 1);
}

static void t_tx_kick(struct tdev *t)
{
	/* A driver re-arms its interrupt before it waits. */
	sim_vq_set_used_event(&t->txq, t->txq.last_used);
	if (sim_vq_publish(&t->txq))
		t->d.ops->queue_kick(&t->d, &t->d.vqs[1]);
}

static int t_send(struct tdev *t, const struct net_hdr *h, const void *frame,
		  uint32_t len)
{
	if (t_queue_tx(t, h, frame, len, 1, false) < 0)
		return -1;
	t_tx_kick(t);
	return 0;
}

/* Completed TX chains (all must have used length 0), -1 on error. */
static int t_tx_done(struct tdev *t)
{
	uint16_t head;
	uint32_t len;
	int n = 0, r;

	while ((r = sim_vq_used(&t->txq, &head, &len)) == 1) {
		if (len)
			return -1;
		n++;
	}
	return r < 0 ? -1 : n;
}

/* ---- frames ---- */

static const struct net_hdr no_hdr;

/* Ethernet frame of @len bytes, payload tagged with @seq. */
static void mk_eth(uint8_t *f, uint32_t len, uint32_t seq)
{
	uint32_t i;

	memset(f, 0xff, 6);
	memcpy(f + 6, cable_table[0].mac, 6);
	f[12] = 0x88;
	f[13] = 0xb5;			/* local experimental ethertype */
	for (i = 14; i < len; i++)
		f[i] = (uint8_t)(seq * 7 + i);
	if (len >= 18)
		memcpy(f + 14, &seq, 4);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Reference ones' complement sum (folded, not inverted). */
static uint32_t ref_sum(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += get16(p + i);
	if (n & 1)
		s += p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

#define IP4_OFF 14
#define L4_OFF (IP4_OFF + 20)
#define IP6_L4_OFF (14 + 40)

/* Pseudo-header sum for @proto over @l4len bytes. */
static uint32_t pseudo4(const uint8_t *f, uint8_t proto, uint32_t l4len)
{
	uint8_t ph[12];

	memcpy(ph, f + IP4_OFF + 12, 8);
	ph[8] = 0;
	ph[9] = proto;
	put16(ph + 10, l4len);
	return ref_sum(ph, 12, 0);
}

static uint32_t pseudo6(const uint8_t *f, uint8_t proto, uint32_t l4len)
{
	uint8_t ph[40];

	memcpy(ph, f + 14 + 8, 32);
	put16(ph + 32, l4len >> 16);
	put16(ph + 34, l4len);
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = proto;
	return ref_sum(ph, 40, 0);
}

/* IPv4 frame with @proto and @l4len bytes of L4 (header + data). */
static uint32_t mk_ip4(uint8_t *f, uint8_t proto, uint32_t l4len,
		       uint32_t seed)
{
	uint32_t len = L4_OFF + l4len, i;

	mk_eth(f, len, seed);
	f[12] = 0x08;
	f[13] = 0x00;
	f[IP4_OFF] = 0x45;
	f[IP4_OFF + 1] = 0;
	put16(f + IP4_OFF + 2, 20 + l4len);
	put16(f + IP4_OFF + 4, 0x1234);
	put16(f + IP4_OFF + 6, 0x4000);	/* DF */
	f[IP4_OFF + 8] = 64;
	f[IP4_OFF + 9] = proto;
	put16(f + IP4_OFF + 10, 0);
	memcpy(f + IP4_OFF + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	put16(f + IP4_OFF + 10, ~ref_sum(f + IP4_OFF, 20, 0) & 0xffff);
	for (i = L4_OFF; i < len; i++)
		f[i] = (uint8_t)(i * 13 + seed);
	return len;
}

static uint32_t mk_ip6(uint8_t *f, uint8_t proto, uint32_t l4len,
		       uint32_t seed)
{
	uint32_t len = IP6_L4_OFF + l4len, i;

	mk_eth(f, len, seed);
	f[12] = 0x86;
	f[13] = 0xdd;
	memset(f + 14, 0, 40);
	f[14] = 0x60;
	put16(f + 14 + 4, l4len);
	f[14 + 6] = proto;
	f[14 + 7] = 64;
	f[14 + 8] = 0xfd;
	f[14 + 23] = 1;
	f[14 + 24] = 0xfd;
	f[14 + 39] = 2;
	for (i = IP6_L4_OFF; i < len; i++)
		f[i] = (uint8_t)(i * 13 + seed);
	return len;
}

/* A TCP header at @l4 (20 bytes + @opt option bytes), check = @seed. */
static void mk_tcp(uint8_t *f, uint32_t l4, uint32_t seq, uint8_t flags,
		   unsigned int opt)
{
	memset(f + l4, 0, 20 + opt);
	put16(f + l4, 40000);
	put16(f + l4 + 2, 80);
	put16(f + l4 + 4, seq >> 16);
	put16(f + l4 + 6, seq);
	f[l4 + 12] = (5 + opt / 4) << 4;
	f[l4 + 13] = flags;
	put16(f + l4 + 14, 65535);
	memset(f + l4 + 20, 1, opt);	/* NOPs */
}

/* ---- tests: device description and link ---- */

TEST(features_and_config)
{
	struct virtio_net_config c;
	uint64_t must = F_BASE | F_MRG | F_HOST | F_GCSUM | F_GTSO;
	uint64_t never = BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_RX) |
			 BIT(VIRTIO_NET_F_CTRL_VLAN) | BIT(VIRTIO_NET_F_MQ) |
			 BIT(VIRTIO_NET_F_GUEST_ANNOUNCE) |
			 BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |
			 BIT(VIRTIO_F_RING_PACKED) |
			 /* The cable cannot fragment UDP for a peer. */
			 BIT(VIRTIO_NET_F_HOST_UFO) | BIT(VIRTIO_NET_F_GUEST_UFO);

	CHECK_EQ(t_init(&A, 2), 0);
	CHECK_EQ(A.d.device_id, VIRTIO_ID_NET);
	CHECK_EQ(A.d.features & must, must);
	CHECK_EQ(A.d.features & never, 0);
	CHECK_EQ(A.d.nr_vqs, 2);
	CHECK_EQ(A.d.vq_size_max, QSIZE);
	CHECK_EQ(A.d.config_size, offsetof(struct virtio_net_config, speed));
	memset(&c, 0, sizeof(c));
	memcpy(&c, A.d.config, A.d.config_size);
	CHECK(!memcmp(c.mac, cable_table[2].mac, 6));
	CHECK_EQ(le16toh(c.mtu), 9000);
	CHECK_EQ(le16toh(c.max_virtqueue_pairs), 1);
	/* The other end is not there yet: no carrier. */
	CHECK_EQ(le16toh(c.status), 0);
	CHECK_EQ(t_stat(&A, "cable_plugged"), 0);
	/* It arrives: both ends see the link. */
	CHECK_EQ(t_init(&B, 3), 0);
	CHECK_EQ(t_status(&A), VIRTIO_NET_S_LINK_UP);
	CHECK_EQ(t_status(&B), VIRTIO_NET_S_LINK_UP);
	CHECK_EQ(t_stat(&B, "cable_plugged"), 1);
	/* One end goes away: the other loses its carrier. */
	t_fini(&B);
	CHECK_EQ(t_status(&A), 0);
	t_fini(&A);
	return 0;
}

TEST(link_switch_like_veth)
{
	static uint8_t fr[200];
	struct rxframe *rf = malloc(sizeof(*rf));

	CHECK(rf);
	/* tdown0 starts administratively down: neither end has the link. */
	CHECK_EQ(t_pair(4, F_ALL, F_ALL), 0);
	CHECK_EQ(t_status(&A), 0);
	CHECK_EQ(t_status(&B), 0);
	CHECK(!A.d.ops->get_link(&A.d));
	CHECK_EQ(t_post_rx(&B, 8, 4096), 0);
	CHECK_EQ(t_post_rx(&A, 8, 4096), 0);
	mk_eth(fr, sizeof(fr), 1);
	CHECK_EQ(t_send(&A, &no_hdr, fr, sizeof(fr)), 0);
	CHECK_EQ(t_send(&B, &no_hdr, fr, sizeof(fr)), 0);
	CHECK_EQ(t_tx_done(&A), 1);
	CHECK_EQ(t_tx_done(&B), 1);
	CHECK_EQ(t_recv(&A, rf), 0);
	CHECK_EQ(t_recv(&B, rf), 0);
	CHECK_EQ(t_stat(&A, "tx_drop_link_down"), 1);
	CHECK_EQ(t_stat(&B, "tx_drop_link_down"), 1);

	/* Up: config update and config interrupt at both ends. */
	A.cfg_irqs = B.cfg_irqs = A.cfg_updates = B.cfg_updates = 0;
	A.d.ops->set_link(&A.d, true);
	CHECK(A.d.ops->get_link(&A.d));
	CHECK_EQ(t_status(&A), VIRTIO_NET_S_LINK_UP);
	CHECK_EQ(t_status(&B), VIRTIO_NET_S_LINK_UP);
	CHECK_EQ(A.cfg_irqs, 1);
	CHECK_EQ(B.cfg_irqs, 1);
	CHECK_EQ(A.cfg_updates, 1);
	CHECK_EQ(B.cfg_updates, 1);
	CHECK_EQ(t_send(&A, &no_hdr, fr, sizeof(fr)), 0);
	CHECK_EQ(t_recv(&B, rf), 1);
	CHECK_EQ(rf->len, sizeof(fr));
	CHECK(!memcmp(rf->data, fr, sizeof(fr)));

	/* Down at B: A loses carrier too, and nothing crosses either way. */
	B.d.ops->set_link(&B.d, false);
	CHECK_EQ(t_status(&A), 0);
	CHECK_EQ(t_status(&B), 0);
	CHECK_EQ(A.cfg_irqs, 2);
	CHECK_EQ(t_send(&A, &no_hdr, fr, sizeof(fr)), 0);
	CHECK_EQ(t_send(&B, &no_hdr, fr, sizeof(fr)), 0);
	CHECK_EQ(t_recv(&A, rf), 0);
	CHECK_EQ(t_recv(&B, rf), 0);
	CHECK_EQ(t_stat(&A, "tx_drop_link_down"), 2);
	CHECK_EQ(t_stat(&B, "tx_drop_link_down"), 2);
	/* Setting what is already set changes nothing. */
	B.d.ops->set_link(&B.d, false);
	CHECK_EQ(A.cfg_irqs, 2);
	CHECK_EQ(t_stat(&A, "link_changes"), 2);
	t_unpair();
	free(rf);
	return 0;
}

/*
 * SIGHUP reaches every net device through the reconnect op; a cable has
 * nothing to reopen, so the pair stays plugged and its link as it was.
 */
TEST(reconnect_op_leaves_cable_alone)
{
	static uint8_t fr[200];
	struct rxframe *rf = malloc(sizeof(*rf));

	CHECK(rf);
	CHECK_EQ(t_pair(0, F_ALL, F_ALL), 0);
	CHECK_EQ(t_status(&A), VIRTIO_NET_S_LINK_UP);
	A.cfg_irqs = B.cfg_irqs = 0;
	CHECK(A.d.ops->reconnect != NULL);
	A.d.ops->reconnect(&A.d);
	B.d.ops->reconnect(&B.d);
	CHECK_EQ(t_stat(&A, "cable_plugged"), 1);
	CHECK_EQ(t_status(&A), VIRTIO_NET_S_LINK_UP);
	CHECK_EQ(t_status(&B), VIRTIO_NET_S_LINK_UP);
	CHECK_EQ(A.cfg_irqs + B.cfg_irqs, 0);
	CHECK_EQ(t_post_rx(&B, 4, 4096), 0);
	mk_eth(fr, sizeof(fr), 3);
	CHECK_EQ(t_send(&A, &no_hdr, fr, sizeof(fr)), 0);
	CHECK_EQ(t_recv(&B, rf), 1);
	CHECK_EQ(rf->len, sizeof(fr));
	t_unpair();
	free(rf);
	return 0;
}

/* A table entry without a backend kind is refused, leaving nothing. */
TEST(no_backend_kind_fails)
{
	struct net_devcfg cfg = cable_table[0];
	struct vdev d;

	cfg.backend = NULL;
	memset(&d, 0, sizeof(d));
	CHECK_EQ(net_model_init(&d, &cfg), -EINVAL);
	CHECK(d.model == NULL);
	CHECK(d.ops == NULL);
	return 0;
}

/* ---- tests: frame path ---- */

TEST(frames_cross_in_order_one_irq_per_batch)
{
	enum { N = 32 };
	static uint8_t fr[N][1514];
	struct rxframe *rf = malloc(sizeof(*rf));
	unsigned int i, irqs;
	uint32_t len;

	CHECK(rf);
	CHECK_EQ(t_pair(0, F_ALL, F_ALL), 0);
	CHECK_EQ(t_post_rx(&B, 64, 2048), 0);
	sim_vq_set_used_event(&B.rxq, B.rxq.last_used);
	irqs = B.rxq.irqs;
	for (i = 0; i < N; i++) {
		len = 60 + i * 45;
		mk_eth(fr[i], len, i);
		/* Headers split off, frames cut in pieces, some indirect. */
		CHECK(t_queue_tx(&A, &no_hdr, fr[i], len, 1 + i % 4,
				 i % 3 == 0) >= 0);
	}
	t_tx_kick(&A);
	CHECK_EQ(t_tx_done(&A), N);
	CHECK_EQ(B.rxq.irqs - irqs, 1);
	for (i = 0; i < N; i++) {
		CHECK_EQ(t_recv(&B, rf), 1);
		CHECK_EQ(rf->len, 60 + i * 45);
		CHECK_EQ(rf->nbuf, 1);
		CHECK_EQ(rf->h.flags, 0);
		CHECK_EQ(rf->h.gso_type, 0);
		CHECK(!memcmp(rf->data, fr[i], rf->len));
	}
	CHECK_EQ(t_recv(&B, rf), 0);
	CHECK_EQ(t_stat(&A, "tx_packets"), N);
	CHECK_EQ(t_stat(&B, "rx_packets"), N);
	CHECK_EQ(t_stat(&A, "vq1_irqs"), 1);
	t_unpair();
	free(rf);
	return 0;
}

TEST(mergeable_9000_over_4k_buffers)
{
	static uint8_t fr[9018];
	struct rxframe *rf = malloc(sizeof(*rf));

	CHECK(rf);
	CHECK_EQ(t_pair(2, F_ALL, F_ALL), 0);
	CHECK_EQ(t_post_rx(&B, 16, 4096), 0);
	mk_eth(fr, 9014, 9);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 9014), 0);
	CHECK_EQ(t_tx_done(&A), 1);
	CHECK_EQ(t_recv(&B, rf), 1);
	/* 12 + 9014 bytes: 4096 + 4096 + 834. */
	CHECK_EQ(rf->nbuf, 3);
	CHECK_EQ(rf->used_len[0], 4096);
	CHECK_EQ(rf->used_len[1], 4096);
	CHECK_EQ(rf->used_len[2], NET_HDR_LEN + 9014 - 8192);
	CHECK_EQ(rf->len, 9014);
	CHECK(!memcmp(rf->data, fr, 9014));
	CHECK_EQ(t_stat(&B, "rx_merged"), 1);
	/* VLAN-tagged: MTU + 18 passes, one byte more does not. */
	mk_eth(fr, 9018, 10);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 9018), 0);
	CHECK_EQ(t_recv(&B, rf), 1);
	CHECK_EQ(rf->len, 9018);
	CHECK_EQ(t_queue_tx(&A, &no_hdr, fr, 9018, 1, false) >= 0, 1);
	{
		static uint8_t big[9019];

		mk_eth(big, sizeof(big), 11);
		CHECK(t_queue_tx(&A, &no_hdr, big, sizeof(big), 2, false) >= 0);
	}
	t_tx_kick(&A);
	CHECK_EQ(t_recv(&B, rf), 1);
	CHECK_EQ(t_recv(&B, rf), 0);
	CHECK_EQ(t_stat(&A, "tx_drop_oversize"), 1);
	CHECK_EQ(t_tx_done(&A), 3);
	t_unpair();
	free(rf);
	return 0;
}

TEST(non_mergeable_one_chain_per_frame)
{
	static uint8_t fr[9014];
	struct rxframe *rf = malloc(sizeof(*rf));

	CHECK(rf);
	CHECK_EQ(t_pair(2, F_ALL, F_ALL & ~F_MRG), 0);
	/* Big buffers: a header descriptor and 9018 bytes of data. */
	CHECK_EQ(t_post_rx_big(&B, 4, 9018), 0);
	mk_eth(fr, 9014, 3);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 9014), 0);
	mk_eth(fr, 100, 4);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 100), 0);
	CHECK_EQ(t_recv(&B, rf), 1);
	CHECK_EQ(rf->nbuf, 1);
	CHECK_EQ(rf->len, 9014);
	CHECK_EQ(t_recv(&B, rf), 1);
	CHECK_EQ(rf->nbuf, 1);
	CHECK_EQ(rf->len, 100);
	CHECK(!memcmp(rf->data, fr, 100));
	CHECK_EQ(t_stat(&B, "rx_merged"), 0);
	t_unpair();

	/* Small buffers: a frame one buffer cannot hold is dropped at B. */
	CHECK_EQ(t_pair(2, F_ALL, F_BASE), 0);
	CHECK_EQ(t_post_rx(&B, 4, NET_HDR_LEN + 1518), 0);
	mk_eth(fr, 4000, 5);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 4000), 0);
	mk_eth(fr, 1514, 6);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 1514), 0);
	CHECK_EQ(t_tx_done(&A), 2);
	CHECK_EQ(t_recv(&B, rf), 1);
	CHECK_EQ(rf->len, 1514);
	CHECK(!memcmp(rf->data, fr, 1514));
	CHECK_EQ(t_stat(&B, "rx_drop_oversize"), 1);
	CHECK_EQ(t_stat(&A, "tx_packets"), 2);
	t_unpair();
	free(rf);
	return 0;
}

/* B's MTU rules what B accepts, whatever A's MTU allowed A to send. */
TEST(receiver_mtu_applies)
{
	static uint8_t fr[3000];
	struct rxframe *rf = malloc(sizeof(*rf));

	CHECK(rf);
	/* A: MTU 9000, B: MTU 1500. */
	CHECK_EQ(t_pair(6, F_ALL, F_ALL), 0);
	CHECK_EQ(t_post_rx(&B, 8, 4096), 0);
	mk_eth(fr, 1518, 1);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 1518), 0);
	CHECK_EQ(t_recv(&B, rf), 1);
	mk_eth(fr, 3000, 2);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 3000), 0);
	CHECK_EQ(t_recv(&B, rf), 0);
	CHECK_EQ(t_tx_done(&A), 2);
	/* A sent it; B's side of the cable refused it. */
	CHECK_EQ(t_stat(&A, "tx_packets"), 2);
	CHECK_EQ(t_stat(&B, "rx_drop_oversize"), 1);
	/* B could not send it in the first place. */
	CHECK_EQ(t_send(&B, &no_hdr, fr, 3000), 0);
	CHECK_EQ(t_stat(&B, "tx_drop_oversize"), 1);
	t_unpair();
	free(rf);
	return 0;
}

TEST(backpressure_holds_and_keeps_order)
{
	enum { N = 10 };
	static uint8_t fr[N][300];
	struct rxframe *rf = malloc(sizeof(*rf));
	unsigned int i, got = 0;
	uint32_t seq;

	CHECK(rf);
	CHECK_EQ(t_pair(0, F_ALL, F_ALL), 0);
	for (i = 0; i < N; i++) {
		mk_eth(fr[i], 300, i);
		CHECK(t_queue_tx(&A, &no_hdr, fr[i], 300, 1, false) >= 0);
	}
	t_tx_kick(&A);
	/* B has no buffers: the first frame is held, the rest wait. */
	CHECK_EQ(t_tx_done(&A), 0);
	CHECK_EQ(t_stat(&A, "tx_held"), 1);
	CHECK_EQ(t_stat(&B, "rx_ring_full"), 1);
	CHECK_EQ(A.d.ops->inflight(&A.d), 1);
	/* More frames from A's driver meanwhile: no kick needed, no loss. */
	CHECK_EQ(t_recv(&B, rf), 0);

	/* Three buffers: three frames go, then A holds again. */
	CHECK_EQ(t_post_rx(&B, 3, 2048), 0);
	CHECK_EQ(t_tx_done(&A), 3);
	CHECK_EQ(t_stat(&B, "rx_ring_full"), 2);
	while (t_recv(&B, rf) == 1) {
		memcpy(&seq, rf->data + 14, 4);
		CHECK_EQ(seq, got);
		CHECK(!memcmp(rf->data, fr[got], 300));
		got++;
	}
	CHECK_EQ(got, 3);
	/* One at a time. */
	CHECK_EQ(t_post_rx(&B, 1, 2048), 0);
	CHECK_EQ(t_tx_done(&A), 1);
	/* Then plenty. */
	CHECK_EQ(t_post_rx(&B, 32, 2048), 0);
	CHECK_EQ(t_tx_done(&A), N - 4);
	while (t_recv(&B, rf) == 1) {
		memcpy(&seq, rf->data + 14, 4);
		CHECK_EQ(seq, got);
		got++;
	}
	CHECK_EQ(got, N);
	CHECK_EQ(t_stat(&A, "tx_packets"), N);
	CHECK_EQ(t_stat(&A, "tx_held"), 3);
	CHECK_EQ(A.d.ops->inflight(&A.d), 0);
	/* The queue still works normally afterwards. */
	CHECK_EQ(t_send(&A, &no_hdr, fr[0], 300), 0);
	CHECK_EQ(t_tx_done(&A), 1);
	CHECK_EQ(t_recv(&B, rf), 1);
	t_unpair();
	free(rf);
	return 0;
}

/* A held frame is dropped, not kept forever, when the way closes. */
TEST(held_frame_dropped_on_link_down_or_peer_reset)
{
	static uint8_t fr[300];

	CHECK_EQ(t_pair(0, F_ALL, F_ALL), 0);
	mk_eth(fr, 300, 1);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 300), 0);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 300), 0);
	CHECK_EQ(t_tx_done(&A), 0);
	/* B's link goes down: both frames are dropped, A's ring drains. */
	B.d.ops->set_link(&B.d, false);
	CHECK_EQ(t_tx_done(&A), 2);
	CHECK_EQ(t_stat(&A, "tx_drop_link_down"), 2);
	B.d.ops->set_link(&B.d, true);

	CHECK_EQ(t_send(&A, &no_hdr, fr, 300), 0);
	CHECK_EQ(t_tx_done(&A), 0);
	/* B's driver resets: the held frame has nowhere to go. */
	t_reset(&B);
	CHECK_EQ(t_tx_done(&A), 1);
	CHECK_EQ(t_stat(&A, "tx_drop_peer_down"), 1);
	/* And while B has no driver, A's frames are dropped at once. */
	CHECK_EQ(t_send(&A, &no_hdr, fr, 300), 0);
	CHECK_EQ(t_tx_done(&A), 1);
	CHECK_EQ(t_stat(&A, "tx_drop_peer_down"), 2);
	/* B comes back. */
	CHECK_EQ(t_start(&B, F_ALL), 0);
	CHECK_EQ(t_post_rx(&B, 4, 2048), 0);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 300), 0);
	CHECK_EQ(t_tx_done(&A), 1);
	CHECK_EQ(t_stat(&B, "rx_packets"), 1);
	t_unpair();
	return 0;
}

/* ---- tests: headers ---- */

static struct net_hdr hdr_csum(uint16_t start, uint16_t off)
{
	return (struct net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				 .csum_start = start, .csum_offset = off };
}

static struct net_hdr hdr_tso(uint8_t type, uint16_t mss, uint16_t l4)
{
	return (struct net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				 .gso_type = type, .gso_size = mss,
				 .hdr_len = l4 + 20, .csum_start = l4,
				 .csum_offset = 16 };
}

TEST(bad_headers_dropped_and_counted)
{
	static uint8_t fr[70000];
	struct rxframe *rf = malloc(sizeof(*rf));
	struct net_hdr h;
	uint32_t len;
	int bad = 0, over = 0;

	CHECK(rf);
	/* A negotiates CSUM and TSO4, but not TSO6 nor ECN. */
	CHECK_EQ(t_pair(0, F_BASE | F_MRG | BIT(VIRTIO_NET_F_CSUM) |
			   BIT(VIRTIO_NET_F_HOST_TSO4), F_ALL), 0);
	CHECK_EQ(t_post_rx(&B, 64, 4096), 0);
	len = mk_ip4(fr, 6, 2000, 1);
	mk_tcp(fr, L4_OFF, 1, 0x10, 0);

#define BAD(hh, l) do { h = (hh); CHECK_EQ(t_send(&A, &h, fr, (l)), 0); \
			bad++; } while (0)
	BAD(((struct net_hdr){ .gso_type = 2 }), 100);		/* unknown */
	BAD(((struct net_hdr){ .gso_type = 5 }), 100);		/* USO */
	BAD(hdr_tso(VIRTIO_NET_HDR_GSO_TCPV6, 1000, L4_OFF), len); /* no TSO6 */
	BAD(hdr_tso(VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 1000,
		    L4_OFF), len);				/* no ECN */
	BAD(hdr_tso(VIRTIO_NET_HDR_GSO_UDP, 1000, L4_OFF), len);	/* no UFO */
	h = hdr_tso(VIRTIO_NET_HDR_GSO_TCPV4, 0, L4_OFF);		/* no MSS */
	BAD(h, len);
	h = hdr_tso(VIRTIO_NET_HDR_GSO_TCPV4, 1000, L4_OFF);
	h.flags = 0;						/* no csum */
	BAD(h, len);
	BAD(((struct net_hdr){ .gso_type = VIRTIO_NET_HDR_GSO_ECN }), 100);
	BAD(hdr_csum(99, 0), 100);		/* field past the end */
	BAD(hdr_csum(20, 79), 100);
	BAD(hdr_csum(0xffff, 0xffff), 100);
	BAD(((struct net_hdr){ .hdr_len = 101 }), 100);
	BAD(no_hdr, 13);			/* runt */
	BAD(no_hdr, 0);
	CHECK_EQ(t_stat(&A, "tx_drop_bad_header"), bad);

	/* Oversize: plain beyond MTU + 18, GSO beyond 64 KiB + headers. */
	CHECK_EQ(t_send(&A, &no_hdr, fr, 1519), 0);
	over++;
	h = hdr_tso(VIRTIO_NET_HDR_GSO_TCPV4, 1000, L4_OFF);
	CHECK_EQ(t_send(&A, &h, fr, NET_GSO_FRAME_MAX + 1), 0);
	over++;
	CHECK_EQ(t_stat(&A, "tx_drop_oversize"), over);
	CHECK_EQ(t_tx_done(&A), bad + over);
	CHECK_EQ(t_recv(&B, rf), 0);
	CHECK_EQ(A.d.state, VDEV_RUNNING);
	CHECK_EQ(t_stat(&A, "tx_packets"), 0);
	t_unpair();

	/* Without CSUM a partial checksum is a protocol error too. */
	CHECK_EQ(t_pair(0, F_BASE, F_ALL), 0);
	h = hdr_csum(L4_OFF, 16);
	CHECK_EQ(t_send(&A, &h, fr, len), 0);
	CHECK_EQ(t_stat(&A, "tx_drop_bad_header"), 1);
	/* A chain too short for a header, and one with too many pieces. */
	{
		static const uint8_t tiny[8];
		struct sim_seg s = { .len = sizeof(tiny), .data = tiny };

		CHECK(sim_vq_add_chain(&A.txq, &s, 1) >= 0);
		t_tx_kick(&A);
		CHECK_EQ(t_stat(&A, "tx_drop_bad_header"), 2);
	}
	{
		static struct sim_seg s[140];
		static uint8_t raw[NET_HDR_LEN];
		unsigned int i;

		s[0] = (struct sim_seg){ .len = NET_HDR_LEN, .data = raw };
		for (i = 1; i < ARRAY_SIZE(s); i++)
			s[i] = (struct sim_seg){ .len = 4, .data = fr };
		CHECK(sim_vq_add_indirect(&A.txq, s, ARRAY_SIZE(s)) >= 0);
		t_tx_kick(&A);
		CHECK_EQ(t_stat(&A, "tx_bad_chain"), 1);
	}
	CHECK_EQ(t_tx_done(&A), 3);
	CHECK_EQ(A.d.state, VDEV_RUNNING);
	t_unpair();
	free(rf);
	return 0;
#undef BAD
}

/* Unknown flag bits are ignored (spec), never passed on. */
TEST(driver_only_flags_cleared)
{
	static uint8_t fr[200];
	struct rxframe *rf = malloc(sizeof(*rf));
	struct net_hdr h = { .flags = 0xfe, .num_buffers = 77 };

	CHECK(rf);
	CHECK_EQ(t_pair(0, F_ALL, F_ALL), 0);
	CHECK_EQ(t_post_rx(&B, 4, 2048), 0);
	mk_eth(fr, 200, 1);
	CHECK_EQ(t_send(&A, &h, fr, 200), 0);
	CHECK_EQ(t_recv(&B, rf), 1);
	CHECK_EQ(rf->h.flags, 0);
	CHECK_EQ(rf->h.num_buffers, 1);
	t_unpair();
	free(rf);
	return 0;
}

TEST(csum_and_gso_pass_through)
{
	static uint8_t fr[70000];
	struct rxframe *rf = malloc(sizeof(*rf));
	struct net_hdr h;
	uint32_t len;

	CHECK(rf);
	CHECK_EQ(t_pair(0, F_ALL, F_ALL), 0);
	CHECK_EQ(t_post_rx(&B, 64, 4096), 0);
	/* Partial checksum: B takes it as it is. */
	len = mk_ip4(fr, 17, 8 + 333, 1);
	h = hdr_csum(L4_OFF, 6);
	CHECK_EQ(t_send(&A, &h, fr, len), 0);
	CHECK_EQ(t_recv(&B, rf), 1);
	CHECK_EQ(rf->h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(rf->h.csum_start, L4_OFF);
	CHECK_EQ(rf->h.csum_offset, 6);
	CHECK_EQ(rf->len, len);
	CHECK(!memcmp(rf->data, fr, len));
	/* TSO: B takes the 60 KB frame whole, header untouched. */
	len = mk_ip4(fr, 6, 60000, 2);
	mk_tcp(fr, L4_OFF, 1000, 0x18, 0);
	h = hdr_tso(VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 1448,
		    L4_OFF);
	CHECK_EQ(t_send(&A, &h, fr, len), 0);
	CHECK_EQ(t_recv(&B, rf), 1);
	CHECK_EQ(rf->h.gso_type,
		 VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN);
	CHECK_EQ(rf->h.gso_size, 1448);
	CHECK_EQ(rf->h.hdr_len, L4_OFF + 20);
	CHECK_EQ(rf->len, len);
	CHECK(!memcmp(rf->data, fr, len));
	CHECK_EQ(rf->nbuf, (NET_HDR_LEN + len + 4095) / 4096);
	CHECK_EQ(t_stat(&B, "rx_csum_sw"), 0);
	CHECK_EQ(t_stat(&B, "rx_gso_sw"), 0);
	t_unpair();
	free(rf);
	return 0;
}

TEST(csum_completed_in_software)
{
	static uint8_t fr[2000];
	struct rxframe *rf = malloc(sizeof(*rf));
	unsigned int l4len, pieces;
	struct net_hdr h;
	uint32_t len, seed;

	CHECK(rf);
	/* B does not take partial checksums. */
	CHECK_EQ(t_pair(0, F_ALL, F_BASE | F_MRG), 0);
	CHECK_EQ(t_post_rx(&B, 64, 2048), 0);
	for (l4len = 8; l4len < 1400; l4len += 97) {
		len = mk_ip4(fr, 17, l4len, l4len);
		/* UDP header with the pseudo-header sum in its check field. */
		put16(fr + L4_OFF + 4, l4len);
		seed = pseudo4(fr, 17, l4len);
		put16(fr + L4_OFF + 6, seed);
		h = hdr_csum(L4_OFF, 6);
		/* Odd-sized pieces: the sum crosses buffers at odd offsets. */
		pieces = 1 + l4len % 5;
		CHECK(t_queue_tx(&A, &h, fr, len, pieces, l4len & 1) >= 0);
		t_tx_kick(&A);
		CHECK_EQ(t_recv(&B, rf), 1);
		CHECK_EQ(rf->h.flags, 0);
		CHECK_EQ(rf->len, len);
		/* Everything but the checksum is what A sent... */
		CHECK(!memcmp(rf->data, fr, L4_OFF + 6));
		CHECK(!memcmp(rf->data + L4_OFF + 8, fr + L4_OFF + 8,
			      len - L4_OFF - 8));
		/* ...and the checksum verifies. */
		CHECK_EQ(ref_sum(rf->data + L4_OFF, l4len,
				 pseudo4(rf->data, 17, l4len)), 0xffff);
		CHECK(get16(rf->data + L4_OFF + 6) != 0);
	}
	/* IPv6/TCP too. */
	len = mk_ip6(fr, 6, 20 + 777, 5);
	mk_tcp(fr, IP6_L4_OFF, 5, 0x18, 0);
	put16(fr + IP6_L4_OFF + 16, pseudo6(fr, 6, 20 + 777));
	h = hdr_csum(IP6_L4_OFF, 16);
	CHECK_EQ(t_send(&A, &h, fr, len), 0);
	CHECK_EQ(t_recv(&B, rf), 1);
	CHECK_EQ(ref_sum(rf->data + IP6_L4_OFF, 20 + 777,
			 pseudo6(rf->data, 6, 20 + 777)), 0xffff);
	CHECK(t_stat(&B, "rx_csum_sw") > 10);
	t_unpair();
	free(rf);
	return 0;
}

/* Check one segment B received from a cut TCP frame. */
static int check_segment(const struct rxframe *rf, const uint8_t *orig,
			 bool v6, unsigned int l4, unsigned int thl,
			 unsigned int i, unsigned int nseg, uint32_t mss,
			 uint32_t payload)
{
	uint32_t start = i * mss, n = MIN(mss, payload - start);
	const uint8_t *s = rf->data, *tcp = s + l4;
	uint8_t flags = orig[l4 + 13];

	CHECK_EQ(rf->h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	CHECK_EQ(rf->len, l4 + thl + n);
	/* Ethernet and addresses unchanged. */
	CHECK(!memcmp(s, orig, 14));
	if (v6) {
		CHECK_EQ(get16(s + 14 + 4), thl + n);
		CHECK(!memcmp(s + 14 + 6, orig + 14 + 6, 34));
	} else {
		CHECK_EQ(get16(s + IP4_OFF + 2), l4 - IP4_OFF + thl + n);
		CHECK_EQ(get16(s + IP4_OFF + 4),
			 (uint16_t)(get16(orig + IP4_OFF + 4) + i));
		CHECK_EQ(ref_sum(s + IP4_OFF, 20, 0), 0xffff);
	}
	CHECK_EQ(get32(tcp + 4), get32(orig + l4 + 4) + start);
	if (i + 1 < nseg)
		flags &= ~0x09;			/* FIN, PSH: last only */
	if (i)
		flags &= ~0x80;			/* CWR: first only */
	CHECK_EQ(tcp[13], flags);
	/* Options carried, payload in place. */
	CHECK(!memcmp(tcp + 20, orig + l4 + 20, thl - 20));
	CHECK(!memcmp(tcp + thl, orig + l4 + thl + start, n));
	CHECK_EQ(ref_sum(tcp, thl + n, v6 ? pseudo6(s, 6, thl + n) :
					     pseudo4(s, 6, thl + n)), 0xffff);
	return 0;
}

TEST(gso_cut_in_software_for_a_peer_without_tso)
{
	static uint8_t fr[70000];
	struct rxframe *rf = malloc(sizeof(*rf));
	static const struct {
		bool v6;
		uint32_t payload;
		uint16_t mss;
		unsigned int opt;
		uint64_t bfeat;
	} cases[] = {
		{ false, 5000, 1448, 0, F_BASE | F_MRG },
		{ false, 2896, 1448, 12, F_BASE | F_MRG | F_GCSUM },
		{ true, 10000, 1440, 0, F_BASE | F_MRG | F_GCSUM |
					BIT(VIRTIO_NET_F_GUEST_TSO4) },
		{ false, 61000, 8948, 12, F_BASE | F_MRG },
		{ false, 1, 536, 0, F_BASE },
	};
	unsigned int c, i, l4, nseg;
	struct net_hdr h;
	uint32_t len;

	CHECK(rf);
	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		unsigned int thl = 20 + cases[c].opt;

		CHECK_EQ(t_pair(2, F_ALL, cases[c].bfeat), 0);
		CHECK_EQ(t_post_rx(&B, 128, 9100), 0);
		l4 = cases[c].v6 ? IP6_L4_OFF : L4_OFF;
		len = cases[c].v6 ? mk_ip6(fr, 6, thl + cases[c].payload, c) :
				    mk_ip4(fr, 6, thl + cases[c].payload, c);
		mk_tcp(fr, l4, 0xfffff000u, 0x80 | 0x18 | 0x01, cases[c].opt);
		h = hdr_tso(cases[c].v6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
					  VIRTIO_NET_HDR_GSO_TCPV4,
			    cases[c].mss, l4);
		h.hdr_len = 0;		/* only a hint: never relied on */
		CHECK(t_queue_tx(&A, &h, fr, len, 3, true) >= 0);
		t_tx_kick(&A);
		CHECK_EQ(t_tx_done(&A), 1);
		nseg = (cases[c].payload + cases[c].mss - 1) / cases[c].mss;
		for (i = 0; i < nseg; i++) {
			CHECK_EQ(t_recv(&B, rf), 1);
			CHECK_EQ(rf->h.flags, cases[c].bfeat & F_GCSUM ?
				 VIRTIO_NET_HDR_F_DATA_VALID : 0);
			if (check_segment(rf, fr, cases[c].v6, l4, thl, i, nseg,
					  cases[c].mss, cases[c].payload))
				return -1;
		}
		CHECK_EQ(t_recv(&B, rf), 0);
		CHECK_EQ(t_stat(&B, "rx_gso_sw"), 1);
		CHECK_EQ(t_stat(&B, "rx_gso_segments"), nseg);
		CHECK_EQ(t_stat(&A, "tx_packets"), 1);
		t_unpair();
	}
	free(rf);
	return 0;
}

/* Cutting stops where B's buffers run out and resumes there. */
TEST(gso_cut_resumes_after_backpressure)
{
	static uint8_t fr[20000];
	struct rxframe *rf = malloc(sizeof(*rf));
	unsigned int i, got = 0;
	struct net_hdr h;
	uint32_t len;

	CHECK(rf);
	CHECK_EQ(t_pair(0, F_ALL, F_BASE | F_MRG), 0);
	len = mk_ip4(fr, 6, 20 + 14000, 7);
	mk_tcp(fr, L4_OFF, 100, 0x18, 0);
	h = hdr_tso(VIRTIO_NET_HDR_GSO_TCPV4, 1400, L4_OFF);
	CHECK_EQ(t_send(&A, &h, fr, len), 0);
	CHECK_EQ(t_post_rx(&B, 3, 2048), 0);
	CHECK_EQ(t_tx_done(&A), 0);
	/* What fitted is published although the frame is held again. */
	while (t_recv(&B, rf) == 1) {
		if (check_segment(rf, fr, false, L4_OFF, 20, got, 10, 1400,
				  14000))
			return -1;
		got++;
	}
	CHECK_EQ(got, 3);
	for (i = 0; i < 4; i++)
		CHECK_EQ(t_post_rx(&B, 2, 2048), 0);
	CHECK_EQ(t_tx_done(&A), 1);
	while (t_recv(&B, rf) == 1) {
		if (check_segment(rf, fr, false, L4_OFF, 20, got, 10, 1400,
				  14000))
			return -1;
		got++;
	}
	CHECK_EQ(got, 10);
	CHECK_EQ(t_stat(&A, "tx_held"), 1);
	CHECK_EQ(t_stat(&B, "rx_gso_segments"), 10);
	t_unpair();
	free(rf);
	return 0;
}

/* What cannot be cut is refused, not guessed. */
TEST(gso_uncuttable_dropped)
{
	static uint8_t fr[9000];
	struct rxframe *rf = malloc(sizeof(*rf));
	struct net_hdr h;
	uint32_t len;

	CHECK(rf);
	CHECK_EQ(t_pair(0, F_ALL, F_BASE | F_MRG), 0);
	CHECK_EQ(t_post_rx(&B, 16, 4096), 0);
	/* Says TCPv4, is UDP. */
	len = mk_ip4(fr, 17, 5000, 1);
	h = hdr_tso(VIRTIO_NET_HDR_GSO_TCPV4, 1400, L4_OFF);
	CHECK_EQ(t_send(&A, &h, fr, len), 0);
	/* Says TCPv6, is IPv4. */
	len = mk_ip4(fr, 6, 5000, 2);
	mk_tcp(fr, L4_OFF, 1, 0x10, 0);
	h = hdr_tso(VIRTIO_NET_HDR_GSO_TCPV6, 1400, L4_OFF);
	CHECK_EQ(t_send(&A, &h, fr, len), 0);
	/* A fragment. */
	put16(fr + IP4_OFF + 6, 0x2000);
	h = hdr_tso(VIRTIO_NET_HDR_GSO_TCPV4, 1400, L4_OFF);
	CHECK_EQ(t_send(&A, &h, fr, len), 0);
	CHECK_EQ(t_stat(&A, "tx_drop_no_offload"), 3);
	/* Checksum fields that do not point at the TCP checksum. */
	len = mk_ip4(fr, 6, 5000, 3);
	mk_tcp(fr, L4_OFF, 1, 0x10, 0);
	h = hdr_tso(VIRTIO_NET_HDR_GSO_TCPV4, 1400, L4_OFF);
	h.csum_offset = 6;
	CHECK_EQ(t_send(&A, &h, fr, len), 0);
	CHECK_EQ(t_stat(&A, "tx_drop_bad_header"), 1);
	CHECK_EQ(t_tx_done(&A), 4);
	CHECK_EQ(t_recv(&B, rf), 0);
	t_unpair();
	free(rf);
	return 0;
}

/* ---- tests: hostile drivers, restart ---- */

TEST(hostile_tx_ring_needs_reset_other_end_unharmed)
{
	static uint8_t fr[100];
	struct rxframe *rf = malloc(sizeof(*rf));

	CHECK(rf);
	CHECK_EQ(t_pair(0, F_ALL, F_ALL), 0);
	CHECK_EQ(t_post_rx(&A, 4, 2048), 0);
	CHECK_EQ(t_post_rx(&B, 4, 2048), 0);
	mk_eth(fr, 100, 1);
	CHECK_EQ(t_queue_tx(&A, &no_hdr, fr, 100, 1, false) >= 0, 1);
	sim_vq_offer(&A.txq, QSIZE + 7);		/* no such head */
	t_tx_kick(&A);
	CHECK_EQ(A.d.state, VDEV_NEEDS_RESET);
	CHECK(A.cfg_irqs >= 1);
	/* The good frame before it still went out. */
	CHECK_EQ(t_recv(&B, rf), 1);
	/* Kicks are ignored now; B can still talk, A just does not listen. */
	A.d.ops->queue_kick(&A.d, &A.d.vqs[1]);
	CHECK_EQ(t_send(&B, &no_hdr, fr, 100), 0);
	CHECK_EQ(t_tx_done(&B), 1);
	CHECK_EQ(t_stat(&B, "tx_drop_peer_down"), 1);
	CHECK_EQ(B.d.state, VDEV_RUNNING);
	CHECK_EQ(A.d.ops->inflight(&A.d), 0);
	t_unpair();
	free(rf);
	return 0;
}

TEST(hostile_rx_ring_needs_reset_sender_unharmed)
{
	static uint8_t fr[100];

	CHECK_EQ(t_pair(0, F_ALL, F_ALL), 0);
	sim_vq_offer(&B.rxq, QSIZE + 1);
	t_rx_kick(&B);
	mk_eth(fr, 100, 1);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 100), 0);
	CHECK_EQ(B.d.state, VDEV_NEEDS_RESET);
	CHECK_EQ(A.d.state, VDEV_RUNNING);
	CHECK_EQ(t_tx_done(&A), 1);
	CHECK_EQ(t_stat(&A, "tx_drop_peer_down"), 1);
	/* A descriptor loop in an RX chain: the engine catches it too. */
	t_reset(&B);
	CHECK_EQ(t_start(&B, F_ALL), 0);
	{
		struct sim_seg s[2] = { { .len = 64, .write = true },
					{ .len = 64, .write = true } };
		int head = sim_vq_add_chain(&B.rxq, s, 2);

		CHECK(head >= 0);
		B.rxq.desc[B.rxq.next[head]].flags |= htole16(VRING_DESC_F_NEXT);
		B.rxq.desc[B.rxq.next[head]].next = htole16(head);
		t_rx_kick(&B);
	}
	CHECK_EQ(t_send(&A, &no_hdr, fr, 100), 0);
	CHECK_EQ(B.d.state, VDEV_NEEDS_RESET);
	CHECK_EQ(t_tx_done(&A), 1);
	t_unpair();
	return 0;
}

/* Unusable RX chains go back empty; the frame takes the next good one. */
TEST(bad_rx_chains_returned_empty)
{
	static uint8_t fr[100];
	struct rxframe *rf = malloc(sizeof(*rf));
	uint16_t head;
	uint32_t len;

	CHECK(rf);
	CHECK_EQ(t_pair(0, F_ALL, F_ALL), 0);
	/* Smaller than a header (the spec's minimum for mergeable). */
	CHECK_EQ(t_post_rx_nokick(&B, 1, 8), 0);
	/* Readable: the device may not write there. */
	{
		struct sim_seg s = { .len = 2048 };

		CHECK(sim_vq_add_chain(&B.rxq, &s, 1) >= 0);
	}
	CHECK_EQ(t_post_rx(&B, 1, 2048), 0);
	mk_eth(fr, 100, 1);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 100), 0);
	CHECK_EQ(sim_vq_used(&B.rxq, &head, &len), 1);
	CHECK_EQ(len, 0);
	CHECK_EQ(sim_vq_used(&B.rxq, &head, &len), 1);
	CHECK_EQ(len, 0);
	CHECK_EQ(t_recv(&B, rf), 1);
	CHECK(!memcmp(rf->data, fr, 100));
	CHECK_EQ(t_stat(&B, "rx_bad_chain"), 2);
	CHECK_EQ(B.d.state, VDEV_RUNNING);
	t_unpair();
	free(rf);
	return 0;
}

/* RX buffers crossing guest memory regions are split correctly. */
TEST(rx_buffer_across_regions)
{
	static uint8_t fr[1500];
	struct rxframe *rf = malloc(sizeof(*rf));
	struct sim_seg s;
	int head;

	CHECK(rf);
	CHECK_EQ(t_pair(0, F_ALL, F_ALL), 0);
	s = (struct sim_seg){ .len = 2048, .write = true,
			      .iova = sim_alloc_span(&B.mem, 2048) };
	head = sim_vq_add_chain(&B.rxq, &s, 1);
	CHECK(head >= 0);
	B.chain[head] = (struct rxchain){ .iova = { s.iova }, .len = { 2048 },
					  .n = 1 };
	t_rx_kick(&B);
	mk_eth(fr, 1500, 3);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 1500), 0);
	CHECK_EQ(t_recv(&B, rf), 1);
	CHECK_EQ(rf->len, 1500);
	CHECK(!memcmp(rf->data, fr, 1500));
	t_unpair();
	free(rf);
	return 0;
}

/* Post @n one-page RX buffers, 16 KiB apart (a region each, at fetch_pages 4). */
static int t_post_rx_pages(struct tdev *t, unsigned int n, uint64_t *iova)
{
	struct sim_seg s;
	unsigned int i;
	int head;

	for (i = 0; i < n; i++) {
		s = (struct sim_seg){ .len = SIM_PAGE, .write = true,
				      .iova = sim_alloc(&t->mem, 4 * SIM_PAGE,
							4 * SIM_PAGE) };
		head = sim_vq_add_chain(&t->rxq, &s, 1);
		if (head < 0)
			return -1;
		t->chain[head] = (struct rxchain){ .iova = { s.iova },
						   .len = { SIM_PAGE }, .n = 1 };
		iova[i] = s.iova;
	}
	t_rx_kick(t);
	return 0;
}

/*
 * Frames over many small regions (a driver mapping a few pages at a time)
 * arrive intact.  Then the driver invalidates, thousands of times, the
 * regions of RX chains the device holds stashed for a frame that waits:
 * the frame is dropped as memory_lost, and not one byte reaches the
 * memory the driver took back.
 */
TEST(rx_many_regions_and_invalidations)
{
	enum { NFR = 120, NBUF = NFR + 10 };
	static uint64_t buf[NBUF], more[10];
	static uint8_t fr[1400], big[70000], page[SIM_PAGE];
	struct rxframe *rf = malloc(sizeof(*rf));
	unsigned int i, k, got = 0;
	struct net_hdr h;
	uint32_t len, ulen;
	uint16_t head;

	CHECK(rf);
	/* 16 KiB regions: the rings fit in the first, buffers spread out. */
	t_fetch_pages = 4;
	i = t_pair(0, F_ALL, F_ALL);
	t_fetch_pages = 0;
	CHECK_EQ(i, 0);
	CHECK_EQ(t_post_rx_pages(&B, NBUF, buf), 0);
	for (i = 0; i < NFR; i++) {
		mk_eth(fr, 200 + i * 10, i);
		CHECK(t_queue_tx(&A, &no_hdr, fr, 200 + i * 10, 1 + i % 5,
				 i % 2) >= 0);
		if (i % 8 == 7 || i == NFR - 1) {
			t_tx_kick(&A);
			CHECK(t_tx_done(&A) > 0);
			while (t_recv(&B, rf) == 1) {
				mk_eth(fr, 200 + got * 10, got);
				CHECK_EQ(rf->len, 200 + got * 10);
				CHECK(!memcmp(rf->data, fr, rf->len));
				got++;
			}
		}
	}
	CHECK_EQ(got, NFR);
	CHECK(B.mem.fetches > IOVA_CACHE_MAX);	/* more regions than it keeps */

	/*
	 * A 60 KB TSO frame finds 10 buffers: they stay stashed (popped) and
	 * the frame waits.  The driver puts a canary into them, then
	 * invalidates their regions 5000 times while other mappings come
	 * and go.
	 */
	len = mk_ip4(big, 6, 60000, 2);
	mk_tcp(big, L4_OFF, 1000, 0x18, 0);
	h = hdr_tso(VIRTIO_NET_HDR_GSO_TCPV4, 1448, L4_OFF);
	CHECK_EQ(t_send(&A, &h, big, len), 0);
	CHECK_EQ(t_tx_done(&A), 0);
	memset(page, 0xc5, sizeof(page));
	for (k = NFR; k < NBUF; k++)
		sim_write(&B.mem, buf[k], page, sizeof(page));
	for (i = 0; i < 5000; i++) {
		k = NFR + i % (NBUF - NFR);
		iova_invalidate(&B.mem.iova, buf[k], buf[k] + SIM_PAGE - 1);
		CHECK(iova_ptr(&B.mem.iova, buf[i % NFR], 1, IOVA_PERM_WRITE));
	}
	CHECK_EQ(B.mem.revokes, NBUF - NFR);
	/* More buffers: the frame goes, into memory partly taken back. */
	CHECK_EQ(t_post_rx_pages(&B, 10, more), 0);
	CHECK_EQ(t_tx_done(&A), 1);
	for (i = 0; i < (NET_HDR_LEN + len + SIM_PAGE - 1) / SIM_PAGE; i++) {
		CHECK_EQ(sim_vq_used(&B.rxq, &head, &ulen), 1);
		CHECK_EQ(ulen, 0);
	}
	CHECK_EQ(sim_vq_used(&B.rxq, &head, &ulen), 0);
	CHECK_EQ(t_stat(&B, "rx_drop_memory_lost"), 1);
	CHECK_EQ(t_stat(&B, "rx_packets"), NFR);
	/* Not one byte reached the memory the driver took back. */
	for (k = NFR; k < NBUF; k++) {
		sim_read(&B.mem, buf[k], page, sizeof(page));
		for (i = 0; i < SIM_PAGE; i++)
			CHECK_EQ(page[i], 0xc5);
	}
	t_unpair();
	free(rf);
	return 0;
}

/*
 * After a vdused restart: an RX head in flight is stashed again and used,
 * a TX head in flight is completed without being sent (no duplicates).
 */
TEST(resubmit_after_restart)
{
	static uint8_t fr[100];
	struct rxframe *rf = malloc(sizeof(*rf));
	struct iovec iov[4];
	struct virtq_elem e = { .iov = iov, .iov_max = 4 };
	uint16_t rxhead, txhead;

	CHECK(rf);
	CHECK_EQ(t_pair(0, F_ALL, F_ALL), 0);
	/* The dead process had popped these. */
	CHECK_EQ(t_post_rx_nokick(&B, 1, 2048), 0);
	sim_vq_publish(&B.rxq);
	CHECK_EQ(virtq_pop(&B.d.vqs[0], &e), 1);
	rxhead = e.head;
	mk_eth(fr, 100, 1);
	CHECK(t_queue_tx(&A, &no_hdr, fr, 100, 1, false) >= 0);
	sim_vq_publish(&A.txq);
	CHECK_EQ(virtq_pop(&A.d.vqs[1], &e), 1);
	txhead = e.head;

	B.d.ops->resubmit(&B.d, &B.d.vqs[0], rxhead);
	CHECK_EQ(t_stat(&B, "rx_buffers_held"), 1);
	A.d.ops->resubmit(&A.d, &A.d.vqs[1], txhead);
	CHECK_EQ(t_tx_done(&A), 1);
	CHECK_EQ(t_stat(&A, "tx_drop_reset"), 1);
	CHECK_EQ(t_recv(&B, rf), 0);
	/* A head that is not in flight is refused without harm. */
	A.d.ops->resubmit(&A.d, &A.d.vqs[1], 5);
	B.d.ops->resubmit(&B.d, &B.d.vqs[0], 6);
	CHECK_EQ(A.d.state, VDEV_RUNNING);
	CHECK_EQ(B.d.state, VDEV_RUNNING);
	/* vduse_start() looks at every queue once after resubmitting. */
	A.d.ops->queue_kick(&A.d, &A.d.vqs[1]);
	B.d.ops->queue_kick(&B.d, &B.d.vqs[0]);
	/* The stashed buffer takes the next frame. */
	CHECK_EQ(t_send(&A, &no_hdr, fr, 100), 0);
	CHECK_EQ(t_recv(&B, rf), 1);
	CHECK(!memcmp(rf->data, fr, 100));
	t_unpair();
	free(rf);
	return 0;
}

/* Reset with buffers stashed and a frame held: nothing leaks into rings. */
TEST(reset_with_state_in_flight)
{
	static uint8_t fr[3000];

	CHECK_EQ(t_pair(0, F_ALL, F_ALL), 0);
	CHECK_EQ(t_post_rx(&B, 1, 2048), 0);
	mk_eth(fr, 1000, 1);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 1000), 0);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 1000), 0);
	CHECK_EQ(A.d.ops->inflight(&A.d), 1);
	CHECK_EQ(t_stat(&A, "tx_waiting"), 1);
	t_reset(&A);
	CHECK_EQ(A.d.ops->inflight(&A.d), 0);
	/* The held frame is gone with its driver, but counted. */
	CHECK_EQ(t_stat(&A, "tx_waiting"), 0);
	CHECK_EQ(t_stat(&A, "tx_drop_reset"), 1);
	CHECK_EQ(t_start(&A, F_ALL), 0);
	CHECK_EQ(t_post_rx(&B, 4, 2048), 0);
	CHECK_EQ(t_send(&A, &no_hdr, fr, 1000), 0);
	CHECK_EQ(t_tx_done(&A), 1);
	CHECK_EQ(t_stat(&B, "rx_packets"), 2);
	t_unpair();
	return 0;
}

/* Give B buffers until A holds no frame (a tiny MSS needs many). */
static int t_unhold(struct rxframe *rf)
{
	unsigned int rounds;

	for (rounds = 0; A.d.ops->inflight(&A.d) && rounds < 5000; rounds++) {
		if (t_post_rx(&B, MIN(B.rxq.nr_free, 64u), 9100))
			return -1;
		while (t_recv(&B, rf) == 1)
			;
		if (t_tx_done(&A) < 0)
			return -1;
	}
	return A.d.ops->inflight(&A.d) ? -1 : 0;
}

/* Every frame A's driver sent is accounted for: sent or dropped. */
static uint64_t t_tx_accounted(void)
{
	static const char *const names[NET_DROP_NR] = {
		"", "oversize", "bad_header", "link_down", "peer_down",
		"backend_error", "no_offload", "reset", "memory_lost",
	};
	uint64_t n = t_stat(&A, "tx_packets");
	char name[64];
	unsigned int i;

	for (i = 1; i < NET_DROP_NR; i++) {
		snprintf(name, sizeof(name), "tx_drop_%s", names[i]);
		n += t_stat(&A, name);
	}
	return n;
}

/* Garbage of every shape: no crash, nothing unaccounted. */
TEST(random_frames_fuzz)
{
	static uint8_t fr[NET_GSO_FRAME_MAX + 64];
	struct rxframe *rf = malloc(sizeof(*rf));
	static const uint64_t feats[] = {
		F_ALL, F_BASE, F_BASE | F_MRG, F_BASE | F_MRG | F_GCSUM,
		F_ALL & ~F_GTSO, F_BASE | F_HOST,
	};
	unsigned int iter, sent = 0, i, l4;
	struct net_hdr h;
	uint32_t len;
	int r;

	CHECK(rf);
	srand(4321);
	for (iter = 0; iter < 3000; iter++) {
		if (iter % 300 == 0) {
			if (iter) {
				CHECK_EQ(t_unhold(rf), 0);
				CHECK_EQ(t_tx_accounted(), sent);
				t_unpair();
			}
			/* 1500/1500, 9000/9000, 9000/1500 */
			CHECK_EQ(t_pair((unsigned int[]){ 0, 2, 6 }[rand() % 3],
					feats[rand() % ARRAY_SIZE(feats)],
					feats[rand() % ARRAY_SIZE(feats)]), 0);
			sent = 0;
		}
		/* Now and then B runs dry: A must hold, then resume. */
		if (B.rxq.nr_free > 16 && rand() % 3)
			CHECK_EQ(t_post_rx(&B, rand() % 12,
					   rand() % 2 ? 2048 : 9100), 0);
		len = rand() % 4 ? (uint32_t)rand() % 1600 :
				   (uint32_t)(rand() % sizeof(fr));
		if (rand() % 2) {
			len = rand() % 2 ? mk_ip4(fr, 6, 20 + len % 60000, iter) :
					   mk_ip6(fr, 6, 20 + len % 60000, iter);
			mk_tcp(fr, fr[12] == 0x08 ? L4_OFF : IP6_L4_OFF,
			       rand(), rand(), (rand() % 4) * 4);
		} else {
			for (i = 0; i < MIN(len, 64u); i++)
				fr[i] = rand();
		}
		l4 = fr[12] == 0x08 ? L4_OFF : IP6_L4_OFF;
		switch (rand() % 5) {
		case 0:
			h = no_hdr;
			break;
		case 1:
			h = hdr_csum(l4, rand() % 2 ? 16 : 6);
			break;
		case 2:
		case 3:
			h = hdr_tso(fr[12] == 0x08 ? VIRTIO_NET_HDR_GSO_TCPV4 :
						     VIRTIO_NET_HDR_GSO_TCPV6,
				    rand() % 8 ? 500 + rand() % 9000 :
						 1 + rand() % 64, l4);
			if (rand() % 4 == 0)
				h.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
			break;
		default:
			h.flags = rand();
			h.gso_type = rand() % 2 ? rand() :
				     (uint8_t[]){ 0, 1, 4, 0x81, 3 }[rand() % 5];
			h.gso_size = rand();
			h.csum_start = rand() % 2 ? (int)l4 : rand();
			h.csum_offset = rand() % 2 ? 16 : rand() % 40;
			h.hdr_len = rand() % 2 ? 0 : rand();
			break;
		}
		r = t_queue_tx(&A, &h, fr, len, 1 + rand() % 4, rand() % 2);
		if (r < 0) {
			/* A's ring is full of held frames: give B room. */
			CHECK_EQ(t_post_rx(&B, 32, 9100), 0);
			while (t_recv(&B, rf) == 1)
				;
			CHECK(t_tx_done(&A) >= 0);
			continue;
		}
		sent++;
		t_tx_kick(&A);
		while ((r = t_recv(&B, rf)) == 1)
			;
		CHECK_EQ(r, 0);
		CHECK(t_tx_done(&A) >= 0);
		if (rand() % 50 == 0)
			B.d.ops->set_link(&B.d, rand() % 2);
		CHECK_EQ(A.d.state, VDEV_RUNNING);
		CHECK_EQ(B.d.state, VDEV_RUNNING);
	}
	CHECK_EQ(t_unhold(rf), 0);
	CHECK_EQ(t_tx_accounted(), sent);
	t_unpair();
	free(rf);
	return 0;
}

int main(void)
{
	if (loop_init()) {
		printf("FAIL test_cable: loop_init\n");
		return 1;
	}
	RUN(features_and_config);
	RUN(link_switch_like_veth);
	RUN(reconnect_op_leaves_cable_alone);
	RUN(no_backend_kind_fails);
	RUN(frames_cross_in_order_one_irq_per_batch);
	RUN(mergeable_9000_over_4k_buffers);
	RUN(non_mergeable_one_chain_per_frame);
	RUN(receiver_mtu_applies);
	RUN(backpressure_holds_and_keeps_order);
	RUN(held_frame_dropped_on_link_down_or_peer_reset);
	RUN(bad_headers_dropped_and_counted);
	RUN(driver_only_flags_cleared);
	RUN(csum_and_gso_pass_through);
	RUN(csum_completed_in_software);
	RUN(gso_cut_in_software_for_a_peer_without_tso);
	RUN(gso_cut_resumes_after_backpressure);
	RUN(gso_uncuttable_dropped);
	RUN(hostile_tx_ring_needs_reset_other_end_unharmed);
	RUN(hostile_rx_ring_needs_reset_sender_unharmed);
	RUN(bad_rx_chains_returned_empty);
	RUN(rx_buffer_across_regions);
	RUN(rx_many_regions_and_invalidations);
	RUN(resubmit_after_restart);
	RUN(reset_with_state_in_flight);
	RUN(random_frames_fuzz);
	loop_exit();
	return check_failed ? 1 : 0;
}
