// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the virtio-net model over a cable: the input plays
 * two hostile drivers (well-formed rings: the engine has its own fuzzer)
 * that negotiate any feature mix and send any virtio_net_hdr with any
 * frame, post RX buffers of any size or none, switch links, reset, and
 * take memory away (IOTLB updates of whole regions or page ranges, unmaps)
 * while RX chains are stashed and TX frames held; the device may see its
 * memory as a few big regions or, as behind a vIOMMU, as many one-page
 * ones (fetch_pages).
 *
 * Oracles: every used RX entry fits its buffer and num_buffers names
 * entries that are there; every frame a driver sent ends up sent or
 * dropped-and-counted, never lost; and every frame the peer's driver
 * receives is, byte for byte, one its driver sent (as that driver's own
 * copy shows it: whole, with its checksum completed, or a segment of it),
 * in order.  A frame whose memory went away may be dropped, never
 * delivered wrong.
 *
 * Speed.  The guest memories and the four devices are made once per
 * process.  Each input starts its two devices the way a driver does
 * (DRIVER_OK: vduse_start_queues()) and ends them with a driver reset
 * (status 0: vduse_stop_queues()), so the reset path is what brings a
 * device back to a known state, and is fuzzed with everything else.  With
 * VDFW_FUZZ_TWICE=1 each input runs twice and traps if the two runs'
 * outcomes (every used entry the drivers took, every frame received, the
 * change of every counter) differ: the proof that reset forgets the input
 * before.  Logging and counters go to tests/fuzz/log_sink.c.
 *
 * Build and run: make fuzz (FUZZ_SECONDS=n per target, default 30), or
 * after make fuzz-build:
 *   output/build/tests/fuzz/fuzz_net -max_total_time=60 CORPUS_DIR
 */
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "core/bits.h"
#include "core/compiler.h"
#include "devtable/devtable.h"
#include "models/net.h"
#include "models/net_hdr.h"
#include "../unit/simdrv.h"
#include "vduse/start.h"
#include "vduse/state.h"
#include "virtio/vdev.h"
#include "fuzz_input.h"
#include "log_sink.h"

#define MEM_SIZE (16u << 20)		/* NR_REGIONS regions of 4 MiB */
#define NR_REGIONS 4
#define QSIZE 64
#define ARENA (2u << 20)		/* TX buffers, at the bottom of memory */
#define MAX_OPS 64
#define FRAME_MAX (NET_GSO_FRAME_MAX + 16)
#define S_ALL (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
	       VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)

static const struct net_devcfg cable_table[] = {
	{ .name = "fz0", .mtu = 1500, .queue_size = QSIZE,
	  .backend = &net_cable_backend, .peer = &cable_table[1],
	  .link_up = true },
	{ .name = "fz1", .mtu = 1500, .queue_size = QSIZE,
	  .backend = &net_cable_backend, .peer = &cable_table[0],
	  .link_up = true },
	{ .name = "fz2", .mtu = 9000, .queue_size = QSIZE,
	  .backend = &net_cable_backend, .peer = &cable_table[3],
	  .link_up = true },
	{ .name = "fz3", .mtu = 1200, .queue_size = QSIZE,
	  .backend = &net_cable_backend, .peer = &cable_table[2],
	  .link_up = true },
};

/* A device of the table, with the state file its queues log into. */
struct dev {
	struct vdev d;
	struct vduse_state_file sf;
	struct stat_snap idle;		/* counters after its last reset */
};

/* A frame a driver sent, as it wrote it (the oracle's reference). */
struct sent {
	struct net_hdr h;
	uint32_t len;
	uint8_t *data;
};

/* One driver, on guest memory M[k], driving device D[pair + k]. */
struct end {
	struct dev *dev;
	struct vdev *d;
	struct sim_mem *m;
	struct sim_vq rx, tx;
	uint64_t features;
	uint32_t arena_off;
	uint64_t buf[QSIZE];
	uint32_t buf_len[QSIZE];
	uint64_t sent;			/* frames this driver queued */
	bool started;
	bool rings_lost;		/* it took its rings' memory away */
	struct sent f[MAX_OPS];		/* frames queued in this run */
	unsigned int nr_f;
	unsigned int matched;		/* the peer received up to f[matched] */
	const struct stat_snap *base;	/* counters when the run began */
};

static struct sim_mem M[2];
static struct dev D[ARRAY_SIZE(cable_table)];
static struct end E[2];
static char run_dir[64];
/* Copies of sent frames; what a received frame is checked against. */
static uint8_t pool[MAX_OPS][FRAME_MAX];
static unsigned int pool_used;
/* The run's outcome, for VDFW_FUZZ_TWICE. */
static uint64_t digest;

static void note(uint64_t v)
{
	/* FNV-1a-like, a value at a time, the high bits folded back. */
	digest = (digest ^ v) * 0x100000001b3ULL;
	digest ^= digest >> 29;
}

static int t_config_update(struct vdev *d, unsigned int off, unsigned int len)
{
	must(off + len <= d->config_size);
	return 0;
}

static const struct vdev_transport_ops transport = {
	.config_update = t_config_update,
};

/* ---- the kernel: what VQ_GET_INFO says about the driver's queues ---- */

static int t_vq_info(struct vdev *d, unsigned int i, struct vduse_vq_info *info)
{
	struct end *e = d->transport_priv;

	sim_vq_info(i ? &e->tx : &e->rx, i, info);
	return 0;
}

static int t_vq_started(struct vdev *d, unsigned int i)
{
	return 0;
}

static const struct vduse_start_ops start_ops = {
	.vq_info = t_vq_info,
	.vq_started = t_vq_started,
};

/* ---- the driver ---- */

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

/* FEATURES_OK then DRIVER_OK, as device.c answers them. */
static void end_start(struct end *e, struct input *in)
{
	uint64_t f = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_ACCESS_PLATFORM);
	unsigned int i, pick = take(in, 1);

	for (i = 0; i < ARRAY_SIZE(feats); i++)
		if (pick & (1u << i))
			f |= feats[i];
	/*
	 * A fresh layout over the old bytes: rings and RX buffers are
	 * zeroed as they are allocated, TX buffers are written before use.
	 */
	e->m->brk = ARENA;
	e->arena_off = 0;
	e->features = f & e->d->features;
	must(!sim_vq_init(&e->rx, e->m, QSIZE, e->features));
	must(!sim_vq_init(&e->tx, e->m, QSIZE, e->features));
	memset(e->buf_len, 0, sizeof(e->buf_len));
	e->d->driver_features = e->features;
	e->d->status = S_ALL;
	e->started = true;
	e->rings_lost = false;
	vduse_start_queues(e->d, &e->dev->sf, VDUSE_START_FRESH, &start_ops);
	must(e->d->state == VDEV_RUNNING);
}

/* Status 0, as device.c answers it: queues, mappings and the model stop. */
static void end_reset(struct end *e)
{
	if (!e->started)
		return;
	vduse_stop_queues(e->d, &e->dev->sf);
	e->d->status = 0;
	e->d->driver_features = 0;
	sim_vq_free(&e->rx);
	sim_vq_free(&e->tx);
	e->started = false;
}

static void post_rx(struct end *e, unsigned int n, uint32_t size)
{
	struct sim_seg s;
	uint16_t d;

	while (n-- && e->rx.nr_free) {
		d = e->rx.free_head;
		if (e->buf_len[d] < size) {
			e->buf[d] = sim_alloc(e->m, size, 64);
			e->buf_len[d] = size;
		}
		s = (struct sim_seg){ .len = size, .write = true,
				      .iova = e->buf[d] };
		must(sim_vq_add_chain(&e->rx, &s, 1) == d);
	}
	if (e->d->state == VDEV_RUNNING && sim_vq_publish(&e->rx))
		e->d->ops->queue_kick(e->d, &e->d->vqs[0]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* @f is @s whole: only a checksum the cable completed may differ. */
static bool whole_of(const struct sent *s, const uint8_t *f, uint32_t len)
{
	uint32_t at = (uint32_t)s->h.csum_start + s->h.csum_offset;

	if (len != s->len)
		return false;
	if (!(s->h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || at + 2 > len)
		return !memcmp(f, s->data, len);
	return !memcmp(f, s->data, at) &&
	       !memcmp(f + at + 2, s->data + at + 2, len - at - 2);
}

/*
 * @f is a TCP segment the cable cut from @s: the same addresses, and a
 * payload that is @s's at the offset its sequence number says.
 */
static bool segment_of(const struct sent *s, const uint8_t *f, uint32_t len)
{
	uint32_t l4 = s->h.csum_start, hdrs, delta;

	if (net_hdr_gso(&s->h) != VIRTIO_NET_HDR_GSO_TCPV4 &&
	    net_hdr_gso(&s->h) != VIRTIO_NET_HDR_GSO_TCPV6)
		return false;
	if (l4 + 20 > s->len)
		return false;
	hdrs = l4 + (s->data[l4 + 12] >> 4) * 4u;
	if (hdrs > s->len || len < hdrs || len > s->len)
		return false;
	delta = be32(f + l4 + 4) - be32(s->data + l4 + 4);
	if (delta > s->len - hdrs || len - hdrs > s->len - hdrs - delta)
		return false;
	return !memcmp(f, s->data, 12) &&
	       !memcmp(f + hdrs, s->data + hdrs + delta, len - hdrs);
}

/*
 * End @k's driver received @f: it must be the next frame its peer's
 * driver sent that was not dropped, or a segment of it or of the frame
 * before (a frame is cut into several).
 */
static void check_frame(unsigned int k, const uint8_t *f, uint32_t len)
{
	struct end *p = &E[!k];
	unsigned int j;

	for (j = p->matched; j < p->nr_f; j++) {
		if (whole_of(&p->f[j], f, len)) {
			p->matched = j + 1;
			break;
		}
		if (segment_of(&p->f[j], f, len)) {
			p->matched = j;
			break;
		}
	}
	/* Delivered OK, but not what the other driver sent. */
	must(j < p->nr_f);
	note(j);
}

/* The driver takes its RX completions and checks every one. */
static void drain_rx(unsigned int k)
{
	static uint8_t frame[NET_HDR_LEN + FRAME_MAX];
	struct end *e = &E[k];
	uint32_t len, i, total;
	struct net_hdr h;
	uint16_t head;
	int r;

	while ((r = sim_vq_used(&e->rx, &head, &len)) == 1) {
		note(head);
		note(len);
		must(len <= e->buf_len[head]);
		if (!len)
			continue;	/* a chain given back unused */
		must(len >= NET_HDR_LEN + NET_ETH_HLEN ||
		     e->features & BIT(VIRTIO_NET_F_MRG_RXBUF));
		must(len <= sizeof(frame));
		must(sim_read(e->m, e->buf[head], frame, len));
		net_hdr_decode(&h, frame);
		must(h.num_buffers >= 1);
		if (!(e->features & BIT(VIRTIO_NET_F_MRG_RXBUF)))
			must(h.num_buffers == 1);
		/* The rest of the frame is published with its first buffer. */
		for (i = 1, total = len; i < h.num_buffers; i++, total += len) {
			must(sim_vq_used(&e->rx, &head, &len) == 1);
			note(head);
			note(len);
			must(len && len <= e->buf_len[head]);
			must(total + len <= sizeof(frame));
			must(sim_read(e->m, e->buf[head], frame + total, len));
		}
		must(total >= NET_HDR_LEN);
		check_frame(k, frame + NET_HDR_LEN, total - NET_HDR_LEN);
	}
	must(r == 0);
}

static void drain_tx(struct end *e)
{
	uint16_t head;
	uint32_t len;
	int r;

	while ((r = sim_vq_used(&e->tx, &head, &len)) == 1) {
		note(head);
		must(len == 0);
	}
	must(r == 0);
}

/*
 * A frame: input bytes, or a TCP/IP frame to exercise csum and GSO.  Past
 * the input's 64 bytes the filler depends on @serial, so that no two
 * frames of a run are alike and a frame delivered from the wrong memory
 * cannot pass for a later one.
 */
static uint32_t make_frame(struct input *in, uint8_t *f, uint32_t max,
			   unsigned int serial)
{
	uint32_t len = take(in, 2), i, n;
	uint8_t kind = take(in, 1), fill[256];

	/* Half of them up to 2 KiB, as most frames are; the rest any size. */
	len = len & 0x8000 ? len % 2048 : len * 2 % max;

	for (i = 0; i < len && i < 64; i++)
		f[i] = take(in, 1);
	/* Byte i is fill[i % 256]: a block copy, not a loop over bytes. */
	for (n = 0; n < 256; n++)
		fill[n] = n * 31 + serial * 97 + 1;
	for (; i < len; i += n) {
		n = MIN(256 - i % 256, len - i);
		memcpy(f + i, fill + i % 256, n);
	}
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

static void send_frame(unsigned int k, struct input *in)
{
	static uint8_t raw[NET_HDR_LEN];
	struct end *e = &E[k];
	struct sent *f = &e->f[e->nr_f];
	struct sim_seg s[4];
	uint32_t len, n, off = 0;
	unsigned int pieces, i;
	uint8_t sel, *frame;

	/* MAX_OPS steps: never more frames than that. */
	must(e->nr_f < MAX_OPS && pool_used < MAX_OPS);
	frame = pool[pool_used];
	len = make_frame(in, frame, FRAME_MAX, 2 * e->nr_f + k);
	sel = take(in, 1);
	memset(&f->h, 0, sizeof(f->h));
	f->h.flags = sel & 1 ? VIRTIO_NET_HDR_F_NEEDS_CSUM : take(in, 1);
	f->h.gso_type = sel & 2 ? ((const uint8_t[]){ 1, 4, 0x81, 3 })[sel >> 6] :
				  (sel & 4 ? take(in, 1) : 0);
	/*
	 * An MSS under 512 only with bit 2 (raw values): a 64 KiB frame cut
	 * into thousands of segments is worth trying, not in every input.
	 */
	f->h.gso_size = take(in, 2);
	if (!(sel & 4) && f->h.gso_size < 512)
		f->h.gso_size += 512;
	f->h.csum_start = sel & 8 ? (frame[12] == 0x86 ? 54 : 34) : take(in, 2);
	f->h.csum_offset = sel & 16 ? 16 : take(in, 1);
	f->h.hdr_len = sel & 32 ? take(in, 2) : 0;
	net_hdr_encode(&f->h, raw);
	pieces = 1 + take(in, 1) % 3;
	/*
	 * The arena is reused only once every frame in it is back: a buffer
	 * is never rewritten while the device may still read it.
	 */
	if (e->arena_off + len + NET_HDR_LEN + 256 > ARENA) {
		drain_tx(e);
		if (e->tx.nr_free != e->tx.num)
			return;
		e->arena_off = 0;
	}
	s[0] = (struct sim_seg){ .len = NET_HDR_LEN, .data = raw,
				 .iova = SIM_IOVA_BASE + e->arena_off };
	e->arena_off += 64;
	for (i = 0; i < pieces; i++) {
		n = i + 1 < pieces ? MIN(len / pieces, len - off) : len - off;
		s[i + 1] = (struct sim_seg){ .len = n, .data = frame + off,
					     .iova = SIM_IOVA_BASE + e->arena_off };
		e->arena_off += (n + 63) & ~63u;
		off += n;
	}
	if (sim_vq_add(&e->tx, s, pieces + 1, sel & 128 ? 0 : pieces + 1) < 0)
		return;		/* ring full of held frames */
	f->len = len;
	f->data = frame;
	e->nr_f++;
	pool_used++;
	e->sent++;
	sim_vq_set_used_event(&e->tx, e->tx.last_used);
	if (sim_vq_publish(&e->tx) && e->d->state == VDEV_RUNNING)
		e->d->ops->queue_kick(e->d, &e->d->vqs[1]);
}

/*
 * The device's ring views die with [start, last] (any overlap with the
 * windows it fetched them in, a whole region unless fetch_pages): it goes
 * on reading zeroes from scratch and its completions go nowhere, a device
 * gone quiet until the driver resets it (nothing is delivered wrong
 * meanwhile).
 */
static void rings_hit(struct end *e, uint64_t start, uint64_t last)
{
	uint64_t lo = e->rx.desc_iova, hi = e->tx.used_iova + 6 + 8 * QSIZE;
	const struct sim_region *r = &e->m->r[sim_region_of(e->m, lo)];
	uint64_t win = e->m->fetch_pages ?
		       (uint64_t)e->m->fetch_pages * SIM_PAGE : r->len;

	/* The rings are one allocation after the arena: one region. */
	lo = r->iova + (lo - r->iova) / win * win;
	hi = r->iova + (hi - r->iova + win - 1) / win * win;
	if (start < hi && last >= lo)
		e->rings_lost = true;
}

/*
 * The driver changes its IOTLB.  Region @sel % NR_REGIONS: mapped again
 * as it was (the device loses its views of it), unmapped or mapped back
 * (bit 6), or, with bit 7, only a range of its pages invalidated.
 */
static void invalidate(struct end *e, struct input *in)
{
	unsigned int sel = take(in, 1), idx = sel % NR_REGIONS;
	struct sim_region *r = &e->m->r[idx];
	uint64_t start, last;

	if (sel & 0x80) {
		start = r->iova + take(in, 2) % (r->len / SIM_PAGE) * SIM_PAGE;
		last = start + (1 + take(in, 1)) * SIM_PAGE - 1;
	} else {
		start = r->iova;
		last = r->iova + r->len - 1;
		sim_region_set(e->m, idx, IOVA_PERM_RW,
			       sel & 0x40 ? !r->mapped : true);
	}
	rings_hit(e, start, last);
	/* The device's table is d->iova, not the one simdrv keeps. */
	iova_invalidate(&e->d->iova, start, last);
}

/* Every region mapped again, as an IOTLB update tells the device. */
static void remap_all(struct end *e)
{
	unsigned int i;

	for (i = 0; i < NR_REGIONS; i++)
		if (!e->m->r[i].mapped) {
			sim_region_set(e->m, i, IOVA_PERM_RW, true);
			iova_invalidate(&e->d->iova, e->m->r[i].iova,
					e->m->r[i].iova + e->m->r[i].len - 1);
		}
}

/*
 * Frames the driver queued that the device has not looked at yet (none
 * once it reset: those were gone then).
 */
static uint64_t unpopped(struct end *e)
{
	if (!e->started)
		return 0;
	return (uint16_t)(e->tx.avail_idx - e->d->vqs[1].last_avail);
}

/* Where the counters the oracles read are in a snapshot. */
static const char *const counted[] = {
	"tx_packets",
	"tx_drop_oversize", "tx_drop_bad_header", "tx_drop_link_down",
	"tx_drop_peer_down", "tx_drop_backend_error",
	"tx_drop_no_offload", "tx_drop_reset", "tx_drop_memory_lost",
	"tx_bad_chain",
};
static unsigned int counted_at[ARRAY_SIZE(counted)], tx_waiting_at;

/* Nothing a driver sent is unaccounted: sent, or dropped and counted. */
static void check_accounted(struct end *e, const struct stat_snap *now)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(counted); i++)
		n += now->v[counted_at[i]] - e->base->v[counted_at[i]];
	must(n == e->sent - unpopped(e));
}

/* Is a frame of @e's held?  Only one the driver has not got back can be. */
static bool tx_waiting(struct end *e)
{
	struct stat_snap now;

	if (!e->started)
		return false;
	drain_tx(e);
	if (e->tx.nr_free == e->tx.num)
		return false;
	stat_snap(e->d, &now);
	return now.v[tx_waiting_at] > 0;
}

/* Give each end's receiver buffers until no frame is held. */
static void unhold(void)
{
	unsigned int k, round;

	for (round = 0; round < 20000; round++) {
		bool held = false;

		for (k = 0; k < 2; k++)
			held |= tx_waiting(&E[k]);
		if (!held)
			return;
		for (k = 0; k < 2; k++) {
			if (!E[k].started)
				continue;
			post_rx(&E[k], QSIZE, 9100);
			drain_rx(k);
		}
	}
	must(0);
}

static void step(struct input *in)
{
	unsigned int op = take(in, 1), k = op & 1;
	struct end *e = &E[k];
	struct stat_snap now;

	switch ((op >> 1) % 10) {
	case 0:
	case 1:
	case 2:
		if (e->started)
			send_frame(k, in);
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
			drain_rx(k);
			drain_tx(e);
		}
		break;
	case 5:
		e->d->ops->set_link(e->d, take(in, 1) & 1);
		break;
	case 6:
		if (e->started) {
			/* The driver resets: what it queued unseen is gone. */
			drain_tx(e);
			e->sent -= unpopped(e);
			end_reset(e);
			remap_all(e);
			end_start(e, in);
			stat_snap(e->d, &now);
			check_accounted(e, &now);
		}
		break;
	case 7:
	case 8:
		if (e->started)
			invalidate(e, in);
		break;
	default:
		if (e->started)
			e->d->ops->queue_kick(e->d, &e->d->vqs[take(in, 1) & 1]);
		break;
	}
}

/* One run of the input; its outcome is left in digest. */
static void run(const uint8_t *data, size_t size)
{
	static const uint8_t fetch_pages[] = { 0, 0, 0, 0, 0, 0, 1, 8 };
	struct input in = { data, size };
	unsigned int sel = take(&in, 1), pair = (sel & 1) * 2, ops, k, i;
	struct stat_snap now;

	digest = 0xcbf29ce484222325ULL;
	pool_used = 0;
	for (k = 0; k < 2; k++) {
		struct end *e = &E[k];

		e->dev = &D[pair + k];
		e->d = &e->dev->d;
		e->m = &M[k];
		e->m->fetch_pages = fetch_pages[(sel >> 1) & 7];
		for (i = 0; i < NR_REGIONS; i++) {
			e->m->r[i].perm = IOVA_PERM_RW;
			e->m->r[i].mapped = true;
		}
		e->d->transport_priv = e;
		e->d->vqs[0].priv = &e->rx;
		e->d->vqs[1].priv = &e->tx;
		e->sent = 0;
		e->nr_f = 0;
		e->matched = 0;
	}
	for (k = 0; k < 2; k++)
		E[k].base = &E[k].dev->idle;
	for (k = 0; k < 2; k++)
		end_start(&E[k], &in);
	for (ops = 0; ops < MAX_OPS && in.left; ops++)
		step(&in);
	for (k = 0; k < 2; k++) {
		remap_all(&E[k]);
		/* A driver whose device went quiet resets it. */
		if (E[k].started && E[k].rings_lost) {
			drain_tx(&E[k]);
			E[k].sent -= unpopped(&E[k]);
			end_reset(&E[k]);
		}
		if (E[k].started && E[k].d->state == VDEV_RUNNING)
			E[k].d->ops->set_link(E[k].d, true);
	}
	unhold();
	for (k = 0; k < 2; k++) {
		if (E[k].started) {
			drain_rx(k);
			drain_tx(&E[k]);
		}
		stat_snap(E[k].d, &now);
		check_accounted(&E[k], &now);
		for (i = 0; i < now.n; i++)
			note(now.v[i] - E[k].base->v[i]);
		note(E[k].d->state);
	}
	/* The driver resets: the device must forget everything of this run. */
	for (k = 0; k < 2; k++)
		end_reset(&E[k]);
	for (k = 0; k < 2; k++) {
		must(!E[k].d->ops->inflight(E[k].d) && !E[k].d->iova.nr);
		/* The table's link state, which the next input starts from. */
		E[k].d->ops->set_link(E[k].d, true);
	}
	/* Taken once both links are up: the carrier of each follows both. */
	for (k = 0; k < 2; k++)
		stat_snap(E[k].d, &E[k].dev->idle);
}

static void cleanup(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(D); i++)
		vduse_state_close(&D[i].sf, cable_table[i].name, true);
	rmdir(run_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned int i;

	/* The queues' logs live in state files, as vdused's do. */
	snprintf(run_dir, sizeof(run_dir), "%s/vdfw-fuzz-net-XXXXXX",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	if (!mkdtemp(run_dir) || setenv("VDUSED_RUN_DIR", run_dir, 1))
		abort();
	for (i = 0; i < 2; i++)
		if (sim_mem_init(&M[i], MEM_SIZE, NR_REGIONS))
			abort();
	for (i = 0; i < ARRAY_SIZE(D); i++) {
		struct vdev *d = &D[i].d;

		if (net_model_init(d, &cable_table[i]))
			abort();
		d->transport = &transport;
		iova_init(&d->iova, M[i & 1].iova.ops, &M[i & 1]);
		d->vqs[0].index = 0;
		d->vqs[1].index = 1;
		d->vqs[0].iova = d->vqs[1].iova = &d->iova;
		d->vqs[0].notify = d->vqs[1].notify = sim_vq_notify;
		if (vduse_state_open(&D[i].sf, d->name, d->nr_vqs, d->features,
				     d->vq_size_max, false))
			abort();
	}
	for (i = 0; i < ARRAY_SIZE(D); i++)
		stat_snap(&D[i].d, &D[i].idle);
	for (i = 0; i < ARRAY_SIZE(counted); i++)
		counted_at[i] = stat_index(&D[0].d, counted[i]);
	tx_waiting_at = stat_index(&D[0].d, "tx_waiting");
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int twice = -1;
	uint64_t first;

	if (twice < 0)
		twice = getenv("VDFW_FUZZ_TWICE") &&
			strcmp(getenv("VDFW_FUZZ_TWICE"), "0");
	run(data, size);
	if (twice) {
		first = digest;
		run(data, size);
		/* The same input after a reset did something else. */
		must(digest == first);
	}
	return 0;
}
