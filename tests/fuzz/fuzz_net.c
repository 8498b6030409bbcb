// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the virtio-net model over a cable: the input plays
 * two hostile drivers (well-formed rings: the engine has its own fuzzer)
 * that negotiate any feature mix and send any virtio_net_hdr with any
 * frame, post RX buffers of any size or none, switch links and reset.
 * Every used RX entry must fit its buffer and num_buffers must name
 * entries that are there; every frame a driver sent must end up sent or
 * dropped-and-counted, never lost.
 *
 * Build and run (from the repository root), or just `make fuzz`:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *	-isystem output/build/linux-headers/include -I output/build/include \
 *	-I runtime -I tests/unit tests/fuzz/fuzz_net.c tests/unit/simdrv.c \
 *	runtime/models/net.c runtime/models/net_hdr.c \
 *	runtime/backends/cable.c runtime/backends/tap.c runtime/backends/gso.c \
 *	runtime/vduse/vdev.c runtime/core/log.c runtime/core/loop.c \
 *	runtime/virtqueue/virtq.c runtime/virtqueue/iova.c -o fuzz_net
 *   mkdir -p corpus && ./fuzz_net -max_total_time=120 corpus
 */
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "core/compiler.h"
#include "devtable/devtable.h"
#include "models/net.h"
#include "models/net_hdr.h"
#include "simdrv.h"
#include "vduse/vdev.h"
#include "fuzz_input.h"

#define MEM_SIZE (16u << 20)		/* 4 regions of 4 MiB */
#define QSIZE 64
#define ARENA (2u << 20)
#define MAX_OPS 64
#define BIT(b) (1ULL << (b))

const struct net_devcfg net_devtable[] = {
	{ .name = "fz0", .mtu = 1500, .queue_size = QSIZE,
	  .backend = NET_BACKEND_CABLE, .peer = 1, .link_up = true },
	{ .name = "fz1", .mtu = 1500, .queue_size = QSIZE,
	  .backend = NET_BACKEND_CABLE, .peer = 0, .link_up = true },
	{ .name = "fz2", .mtu = 9000, .queue_size = QSIZE,
	  .backend = NET_BACKEND_CABLE, .peer = 3, .link_up = true },
	{ .name = "fz3", .mtu = 1200, .queue_size = QSIZE,
	  .backend = NET_BACKEND_CABLE, .peer = 2, .link_up = true },
};
const unsigned int net_devtable_len = ARRAY_SIZE(net_devtable);

struct end {
	struct vdev d;
	struct sim_mem m;
	struct sim_vq rx, tx;
	uint64_t features;
	uint64_t arena;
	uint32_t arena_off;
	uint64_t buf[QSIZE];
	uint32_t buf_len[QSIZE];
	uint64_t sent;			/* frames this driver queued */
	bool started;
};

static struct end E[2];

static void t_irq(struct vdev *d, struct virtq *vq)
{
	(void)d;
	(void)vq;
}

static void t_config_irq(struct vdev *d)
{
	(void)d;
}

static int t_config_update(struct vdev *d, unsigned int off, unsigned int len)
{
	must(off + len <= d->config_size);
	return 0;
}

static const struct vdev_transport_ops transport = {
	.vq_irq = t_irq,
	.config_irq = t_config_irq,
	.config_update = t_config_update,
};

static const uint64_t feats[] = {
	0, BIT(VIRTIO_NET_F_MRG_RXBUF),
	BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM),
	BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |
		BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN),
	BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_TSO4) |
		BIT(VIRTIO_NET_F_GUEST_TSO6) | BIT(VIRTIO_NET_F_GUEST_ECN),
	BIT(VIRTIO_RING_F_EVENT_IDX), BIT(VIRTIO_RING_F_INDIRECT_DESC),
	~0ULL,
};

static void end_start(struct end *e, struct input *in)
{
	uint64_t f = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_ACCESS_PLATFORM);
	unsigned int i, pick = take(in, 1);

	for (i = 0; i < ARRAY_SIZE(feats); i++)
		if (pick & (1u << i))
			f |= feats[i];
	must(!sim_mem_init(&e->m, MEM_SIZE, 4));
	e->features = f & e->d.features;
	must(!sim_vq_init(&e->rx, &e->m, QSIZE, e->features));
	must(!sim_vq_init(&e->tx, &e->m, QSIZE, e->features));
	e->d.vqs[0].index = 0;
	e->d.vqs[1].index = 1;
	must(!sim_vq_start(&e->rx, &e->d.vqs[0]));
	must(!sim_vq_start(&e->tx, &e->d.vqs[1]));
	e->arena = sim_alloc(&e->m, ARENA, 64);
	e->arena_off = 0;
	memset(e->buf_len, 0, sizeof(e->buf_len));
	e->d.driver_features = e->features;
	e->d.state = VDEV_RUNNING;
	e->started = true;
	must(!e->d.ops->start(&e->d));
}

static void end_reset(struct end *e)
{
	if (!e->started)
		return;
	if (e->d.state != VDEV_STOPPED)
		e->d.ops->stop(&e->d);
	virtq_stop(&e->d.vqs[0]);
	virtq_stop(&e->d.vqs[1]);
	e->d.state = VDEV_STOPPED;
	sim_vq_free(&e->rx);
	sim_vq_free(&e->tx);
	sim_mem_free(&e->m);
	e->started = false;
}

static void post_rx(struct end *e, unsigned int n, uint32_t size)
{
	struct sim_seg s;
	uint16_t d;

	while (n-- && e->rx.nr_free) {
		d = e->rx.free_head;
		if (e->buf_len[d] < size) {
			e->buf[d] = sim_alloc(&e->m, size, 64);
			e->buf_len[d] = size;
		}
		s = (struct sim_seg){ .len = size, .write = true,
				      .iova = e->buf[d] };
		must(sim_vq_add_chain(&e->rx, &s, 1) == d);
	}
	if (e->d.state == VDEV_RUNNING && sim_vq_publish(&e->rx))
		e->d.ops->queue_kick(&e->d, &e->d.vqs[0]);
}

/* The driver takes its RX completions and checks every one. */
static void drain_rx(struct end *e)
{
	uint8_t raw[NET_HDR_LEN];
	struct net_hdr h;
	uint16_t head;
	uint32_t len, i;
	int r;

	while ((r = sim_vq_used(&e->rx, &head, &len)) == 1) {
		must(len <= e->buf_len[head]);
		if (!len)
			continue;	/* a chain given back unused */
		must(len >= NET_HDR_LEN + NET_ETH_HLEN ||
		     e->features & BIT(VIRTIO_NET_F_MRG_RXBUF));
		must(sim_read(&e->m, e->buf[head], raw, NET_HDR_LEN));
		net_hdr_decode(&h, raw);
		must(h.num_buffers >= 1);
		if (!(e->features & BIT(VIRTIO_NET_F_MRG_RXBUF)))
			must(h.num_buffers == 1);
		/* The rest of the frame is published with its first buffer. */
		for (i = 1; i < h.num_buffers; i++) {
			must(sim_vq_used(&e->rx, &head, &len) == 1);
			must(len && len <= e->buf_len[head]);
		}
	}
	must(r == 0);
}

static void drain_tx(struct end *e)
{
	uint16_t head;
	uint32_t len;
	int r;

	while ((r = sim_vq_used(&e->tx, &head, &len)) == 1)
		must(len == 0);
	must(r == 0);
}

/* A frame: input bytes, or a TCP/IP frame to exercise csum and GSO. */
static uint32_t make_frame(struct input *in, uint8_t *f, uint32_t max)
{
	uint32_t len = take(in, 2) % max, i;
	uint8_t kind = take(in, 1);

	for (i = 0; i < len; i++)
		f[i] = i < 64 ? take(in, 1) : (uint8_t)(i * 31);
	if (kind & 1 && len >= 80) {
		bool v6 = kind & 2;
		uint32_t l3 = 14, l4 = v6 ? 54 : 34;

		f[12] = v6 ? 0x86 : 0x08;
		f[13] = v6 ? 0xdd : 0x00;
		f[l3] = v6 ? 0x60 : 0x45;
		f[l3 + (v6 ? 6 : 9)] = kind & 4 ? 17 : 6;
		if (!v6)
			f[l3 + 6] = f[l3 + 7] = 0;
		f[l4 + 12] = (5 + (kind >> 4) % 11) << 4;
	}
	return len;
}

static void send_frame(struct end *e, struct input *in)
{
	static uint8_t frame[NET_GSO_FRAME_MAX + 16], raw[NET_HDR_LEN];
	struct sim_seg s[4];
	uint32_t len, n, off = 0;
	unsigned int pieces, i;
	struct net_hdr h;
	uint8_t sel;

	len = make_frame(in, frame, sizeof(frame));
	sel = take(in, 1);
	memset(&h, 0, sizeof(h));
	h.flags = sel & 1 ? VIRTIO_NET_HDR_F_NEEDS_CSUM : take(in, 1);
	h.gso_type = sel & 2 ? ((const uint8_t[]){ 1, 4, 0x81, 3 })[sel >> 6] :
			       (sel & 4 ? take(in, 1) : 0);
	h.gso_size = take(in, 2);
	h.csum_start = sel & 8 ? (frame[12] == 0x86 ? 54 : 34) : take(in, 2);
	h.csum_offset = sel & 16 ? 16 : take(in, 1);
	h.hdr_len = sel & 32 ? take(in, 2) : 0;
	net_hdr_encode(&h, raw);
	pieces = 1 + take(in, 1) % 3;
	if (e->arena_off + len + NET_HDR_LEN + 256 > ARENA)
		e->arena_off = 0;
	s[0] = (struct sim_seg){ .len = NET_HDR_LEN, .data = raw,
				 .iova = e->arena + e->arena_off };
	e->arena_off += 64;
	for (i = 0; i < pieces; i++) {
		n = i + 1 < pieces ? MIN(len / pieces, len - off) : len - off;
		s[i + 1] = (struct sim_seg){ .len = n, .data = frame + off,
					     .iova = e->arena + e->arena_off };
		e->arena_off += (n + 63) & ~63u;
		off += n;
	}
	if (sim_vq_add(&e->tx, s, pieces + 1, sel & 128 ? 0 : pieces + 1) < 0)
		return;		/* ring full of held frames */
	e->sent++;
	sim_vq_set_used_event(&e->tx, e->tx.last_used);
	if (sim_vq_publish(&e->tx) && e->d.state == VDEV_RUNNING)
		e->d.ops->queue_kick(&e->d, &e->d.vqs[1]);
}

static uint64_t stat(struct end *e, const char *name)
{
	char buf[8192], *p;
	size_t n = strlen(name);
	int fd = memfd_create("stats", 0);
	ssize_t len;

	must(fd >= 0);
	vdev_dump_stats(&e->d, fd);
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	must(len > 0);
	buf[len] = 0;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, name, n) && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
	must(0);
	return 0;
}

/* Frames the driver queued that the device has not looked at yet. */
static uint64_t unpopped(struct end *e)
{
	return (uint16_t)(e->tx.avail_idx - e->d.vqs[1].last_avail);
}

/* Nothing a driver sent is unaccounted: sent, or dropped and counted. */
static void check_accounted(struct end *e)
{
	static const char *const drops[] = {
		"tx_drop_oversize", "tx_drop_bad_header", "tx_drop_link_down",
		"tx_drop_peer_down", "tx_drop_backend_error",
		"tx_drop_no_offload", "tx_drop_reset", "tx_bad_chain",
	};
	uint64_t n = stat(e, "tx_packets");
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(drops); i++)
		n += stat(e, drops[i]);
	must(n == e->sent - unpopped(e));
}

/* Give each end's receiver buffers until no frame is held. */
static void unhold(void)
{
	unsigned int k, round;

	for (round = 0; round < 20000; round++) {
		bool held = false;

		for (k = 0; k < 2; k++) {
			held |= stat(&E[k], "tx_waiting") > 0;
			drain_tx(&E[k]);
		}
		if (!held)
			return;
		for (k = 0; k < 2; k++) {
			post_rx(&E[k], QSIZE, 9100);
			drain_rx(&E[k]);
		}
	}
	must(0);
}

static void step(struct input *in)
{
	unsigned int op = take(in, 1), k = op & 1;
	struct end *e = &E[k];

	switch ((op >> 1) % 8) {
	case 0:
	case 1:
	case 2:
		if (e->started)
			send_frame(e, in);
		break;
	case 3:
		if (e->started)
			post_rx(e, take(in, 1) % 16,
				((const uint32_t[]){ 8, 64, 1530, 2048, 4096,
						     9100, 20000, 66000 })
				[take(in, 1) % 8]);
		break;
	case 4:
		if (e->started) {
			drain_rx(e);
			drain_tx(e);
		}
		break;
	case 5:
		net_set_link(&e->d, take(in, 1) & 1);
		break;
	case 6:
		if (e->started) {
			/* The driver resets: what it queued unseen is gone. */
			drain_tx(e);
			e->sent -= unpopped(e);
			end_reset(e);
			end_start(e, in);
			check_accounted(e);
		}
		break;
	default:
		if (e->started)
			e->d.ops->queue_kick(&e->d, &e->d.vqs[take(in, 1) & 1]);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	unsigned int pair = (take(&in, 1) & 1) * 2, ops, k;

	for (k = 0; k < 2; k++) {
		memset(&E[k], 0, sizeof(E[k]));
		must(!net_model_init(&E[k].d, &net_devtable[pair + k]));
		E[k].d.transport = &transport;
	}
	for (k = 0; k < 2; k++)
		end_start(&E[k], &in);
	for (ops = 0; ops < MAX_OPS && in.left; ops++)
		step(&in);
	for (k = 0; k < 2; k++)
		if (E[k].started && E[k].d.state == VDEV_RUNNING)
			net_set_link(&E[k].d, true);
	unhold();
	for (k = 0; k < 2; k++) {
		drain_rx(&E[k]);
		drain_tx(&E[k]);
		check_accounted(&E[k]);
	}
	for (k = 0; k < 2; k++) {
		end_reset(&E[k]);
		E[k].d.ops->destroy(&E[k].d);
	}
	return 0;
}
