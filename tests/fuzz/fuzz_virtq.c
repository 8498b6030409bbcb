// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the split virtqueue engine: the input is a hostile
 * driver.  It supplies the descriptor table, an indirect-table area, the
 * avail ring and then a stream of operations (avail index moves, ring
 * corruption while requests are in flight, IOTLB changes, crashes and
 * log recovery) interleaved with the device's pop/push/flush.  The engine
 * must never crash, never hand out memory outside guest memory, and keep
 * its own bookkeeping consistent.
 *
 * Build and run: make fuzz (FUZZ_SECONDS=n per target, default 30).
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>

#include "core/compiler.h"
#include "../unit/simdrv.h"
#include "fuzz_input.h"

#define MEM_SIZE (64u << 10)		/* 4 regions of 16 KiB */
#define IND_OFF (20u << 10)		/* indirect area, region 1 */
#define IND_SIZE 256u
#define MAX_NUM 16

static struct sim_mem M;
static struct sim_vq Q;
static struct virtq VQ;
static uint8_t logmem[4096] __attribute__((aligned(8)));
static uint8_t logsnap[4096];
static struct virtq_log *LOG = (struct virtq_log *)logmem;
static uint16_t popped[MAX_NUM];
static unsigned int npopped;

/*
 * Descriptor addresses: with bit 63 set the raw value (unmapped,
 * overflowing), else an offset into guest memory plus a little beyond.
 */
static uint64_t fuzz_addr(uint64_t a)
{
	if (a >> 63)
		return a;
	return SIM_IOVA_BASE + a % (MEM_SIZE + 64);
}

/*
 * Every iovec the engine hands out lies inside guest memory: within one
 * live view of the mapping source, which stands for guest addresses.
 */
static void check_elem(const struct virtq_elem *e, int ret)
{
	unsigned int i;

	if (ret == 1) {
		must(e->out_num + e->in_num <= e->iov_max);
		for (i = 0; i < e->out_num + e->in_num; i++) {
			const uint8_t *b = e->iov[i].iov_base;
			uint64_t first = sim_dev_iova(&M, b);
			size_t len = e->iov[i].iov_len;

			must(first && sim_dev_iova(&M, b + len - 1) == first + len - 1);
		}
	}
	if (e->in_last)
		must(sim_dev_iova(&M, e->in_last));
	must(e->head < VQ.num || !VQ.num);
}

static void check_vq(void)
{
	unsigned int h, n = 0;

	if (VQ.broken || !VQ.num)
		return;
	for (h = 0; h < VQ.num; h++)
		n += VQ.inflight[h / 64] >> (h % 64) & 1;
	must(n == VQ.inflight_nr);
	must((uint16_t)(VQ.used_idx - VQ.published) <= VQ.num);
}

static int do_pop(unsigned int iov_max, bool map, uint16_t head)
{
	struct iovec iov[8];
	/* Like every device: the chain's regions stay ours while we use them. */
	struct iova_refs refs = { 0 };
	struct virtq_elem e = { .iov = iov, .iov_max = iov_max, .refs = &refs };
	int ret = map ? virtq_map_head(&VQ, head, &e) : virtq_pop(&VQ, &e);

	must(ret == 0 || ret == 1 || ret == -ENOSPC || ret == -EPROTO ||
	     (map && ret == -EINVAL));
	if (ret == 1 || ret == -ENOSPC) {
		check_elem(&e, ret);
		/* Write the whole writable part, as a device would. */
		for (unsigned int i = e.out_num; i < e.out_num + e.in_num; i++)
			memset(iov[i].iov_base, 0x5a, iov[i].iov_len);
		if (e.in_last)
			*e.in_last = 0;
		if (!map && npopped < MAX_NUM)
			popped[npopped++] = e.head;
	}
	/* Done with its memory (the harness only completes it by head). */
	iova_refs_fini(&M.iova, &refs);
	return ret;
}

/* The device process dies and a new one recovers from the log. */
static void crash_and_recover(uint64_t features, unsigned int iov_max)
{
	uint16_t heads[MAX_NUM];
	int n, i;

	virtq_stop(&VQ);
	iova_reset(&M.iova);
	memset(&VQ, 0, sizeof(VQ));
	VQ.iova = &M.iova;
	VQ.notify = sim_vq_notify;
	VQ.priv = &Q;
	npopped = 0;
	if (virtq_start(&VQ, Q.num, Q.desc_iova, Q.avail_iova, Q.used_iova, 0,
			features))
		return;
	n = virtq_attach_log(&VQ, LOG, true, heads, MAX_NUM);
	must(n <= (int)Q.num);
	for (i = 0; i < n && !VQ.broken; i++) {
		do_pop(iov_max, true, heads[i]);
		popped[npopped++] = heads[i];
	}
}

static void run_ops(struct input *in, uint64_t features, unsigned int iov_max,
		    bool use_log)
{
	uint8_t *rings = (uint8_t *)Q.desc;
	unsigned int span = (uint8_t *)&Q.used->ring[Q.num] + 2 - rings;
	unsigned int ops = 0, j, v;

	while (in->left && ops++ < 256) {
		switch (take(in, 1) % 14) {
		case 0:
		case 1:
			do_pop(iov_max, false, 0);
			break;
		case 2:				/* complete one we popped */
			if (npopped) {
				j = take(in, 1) % npopped;
				virtq_push(&VQ, popped[j], take(in, 2));
				popped[j] = popped[--npopped];
			}
			break;
		case 3:
			virtq_flush(&VQ);
			break;
		case 4:				/* driver publishes */
			v = le16toh(Q.avail->idx) + take(in, 1) % (Q.num + 2);
			Q.avail->idx = htole16(v);
			break;
		case 5:
			virtq_disable_kicks(&VQ);
			break;
		case 6:
			virtq_enable_kicks(&VQ);
			break;
		case 7:				/* device bug: any head */
			virtq_push(&VQ, take(in, 2), 0);
			break;
		case 8:				/* scribble on the rings */
			j = take(in, 2) % span;
			rings[j] = take(in, 1);
			break;
		case 9:				/* IOTLB change */
			j = take(in, 1);
			sim_region_set(&M, 1 + j % 3, (j >> 2) & 3, !(j & 0x10));
			break;
		case 10:
			if (use_log)
				crash_and_recover(features, iov_max);
			break;
		case 11:
			memcpy(logsnap, logmem, sizeof(logmem));
			break;
		case 12:			/* a log that lies */
			if (use_log) {
				memcpy(logmem, logsnap, sizeof(logmem));
				crash_and_recover(features, iov_max);
			}
			break;
		case 13:
			do_pop(iov_max, true, take(in, 2));
			break;
		}
		check_vq();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct input in = { data, size };
	unsigned int cfg, num, i, iov_max;
	uint64_t features = 1ULL << VIRTIO_F_VERSION_1;
	bool use_log;

	if (!ready) {
		if (sim_mem_init(&M, MEM_SIZE, 4))
			abort();
		ready = true;
	}
	cfg = take(&in, 1);
	num = 2u << (cfg & 3);
	if (cfg & 4)
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (cfg & 8)
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	use_log = cfg & 16;
	iov_max = (cfg >> 5) + 1;

	/* Fresh guest memory and queue for every input. */
	for (i = 0; i < M.nr; i++) {
		M.r[i].perm = IOVA_PERM_RW;
		M.r[i].mapped = true;
	}
	iova_reset(&M.iova);
	sim_mem_clear(&M);
	memset(&VQ, 0, sizeof(VQ));
	memset(logmem, 0, sizeof(logmem));
	memset(logsnap, 0, sizeof(logsnap));
	npopped = 0;
	if (sim_vq_init(&Q, &M, num, features))
		abort();
	sim_vq_set_idx(&Q, take(&in, 2));

	for (i = 0; i < num; i++) {
		Q.desc[i].addr = htole64(fuzz_addr((uint64_t)take(&in, 4) |
						   (uint64_t)take(&in, 4) << 32));
		Q.desc[i].len = htole32(take(&in, 2));
		Q.desc[i].flags = htole16(take(&in, 1));
		Q.desc[i].next = htole16(take(&in, 1));
	}
	for (i = 0; i < IND_SIZE / 16; i++) {
		struct vring_desc *d = sim_host(&M, SIM_IOVA_BASE + IND_OFF +
						16 * i, 16);

		d->addr = htole64(fuzz_addr(take(&in, 2)));
		d->len = htole32(take(&in, 2));
		d->flags = htole16(take(&in, 1));
		d->next = htole16(take(&in, 1));
	}
	for (i = 0; i < num; i++)
		Q.avail->ring[i] = htole16(take(&in, 1));

	if (sim_vq_start(&Q, &VQ) == 0) {
		if (use_log)
			must(virtq_attach_log(&VQ, LOG, false, NULL, 0) == 0);
		run_ops(&in, features, iov_max, use_log);
	}
	virtq_stop(&VQ);
	sim_vq_free(&Q);
	return 0;
}
