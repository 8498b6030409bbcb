// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the virtio-blk model: the input is a hostile driver
 * that builds well-formed chains (the engine has its own fuzzer) with
 * arbitrary request contents: any type, sector, header size, segment
 * count, sizes and directions, discard ranges, and driver resets between
 * batches.  On the ram backend every request completes synchronously, so
 * each batch must come back complete, with a status byte the spec knows
 * and a used length no larger than what the driver made writable.
 *
 * Build and run: make fuzz (FUZZ_SECONDS=n per target, default 30).
 */
#include <endian.h>
#include <stdint.h>
#include <string.h>
#include <linux/virtio_blk.h>

#include "core/compiler.h"
#include "devtable/devtable.h"
#include "models/blk.h"
#include "simdrv.h"
#include "vduse/vdev.h"
#include "fuzz_input.h"

#define MEM_SIZE (1u << 20)		/* 4 regions of 256 KiB */
#define QSIZE 16
#define CAP (64u << 10)
#define MAX_SEGS 6
#define MAX_BATCH 8

static const struct blk_devcfg cfg = {
	.name = "fuzz", .capacity = CAP, .backend = BLK_BACKEND_RAM,
	.block_size = 512, .num_queues = 1, .queue_size = QSIZE,
	.serial = "fuzz-serial",
};

static struct vdev D;
static struct sim_mem M;
static struct sim_vq Q;

struct posted {
	int head;
	uint64_t status_iova;	/* 0: no writable byte */
	uint32_t writable;
};

static const uint32_t types[] = {
	VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
	VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES,
};

/* One request: a header, then segments whose sizes the input picks. */
static int post_one(struct input *in, struct posted *p)
{
	struct sim_seg s[MAX_SEGS];
	uint8_t buf[MAX_SEGS][64];
	unsigned int n, nout, i, sel;
	uint64_t sector;

	n = 1 + take(in, 1) % MAX_SEGS;
	nout = take(in, 1) % (n + 1);
	sel = take(in, 1);
	sector = take(in, 1) & 1 ? take(in, 8) : take(in, 1) % (CAP / 512 + 4);
	p->writable = 0;
	p->status_iova = 0;
	for (i = 0; i < n; i++) {
		struct virtio_blk_outhdr *h = (void *)buf[i];

		s[i] = (struct sim_seg){ .len = take(in, 2) % 4100 + 1,
					 .write = i >= nout, .data = buf[i] };
		memset(buf[i], 0, sizeof(buf[i]));
		memcpy(buf[i], in->p, MIN(in->left, sizeof(buf[i])));
		if (i == 0 && sel < 0xf0) {
			h->type = htole32(types[sel % ARRAY_SIZE(types)]);
			h->sector = htole64(sector);
		}
		if (s[i].len > sizeof(buf[i]) && !s[i].write)
			s[i].data = NULL;	/* zeroes past our 64 bytes */
		if (i == 0 && sel & 1)
			s[i].len = 16;
		if (s[i].write)
			p->writable += s[i].len;
	}
	/* All indirect, or one direct descriptor and a table. */
	p->head = sim_vq_add(&Q, s, n, take(in, 1) & 1);
	if (p->head >= 0 && s[n - 1].write)
		p->status_iova = s[n - 1].iova + s[n - 1].len - 1;
	return p->head;
}

static void check_batch(struct posted *p, unsigned int nr)
{
	unsigned int got = 0, i;
	uint16_t head;
	uint32_t len;
	uint8_t st;

	while (sim_vq_used(&Q, &head, &len) == 1) {
		for (i = 0; i < nr && p[i].head != head; i++)
			;
		must(i < nr);
		must(len <= p[i].writable);
		if (p[i].status_iova) {
			must(sim_read(&M, p[i].status_iova, &st, 1));
			must(st <= VIRTIO_BLK_S_UNSUPP);
			must(len >= 1);
		} else {
			must(len == 0);
		}
		p[i].head = -1;
		got++;
	}
	/* Synchronous backend: nothing may be left behind. */
	must(got == nr);
	must(D.ops->inflight(&D) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct posted p[MAX_BATCH];
	unsigned int nr, rounds = 0;
	uint64_t bufs;

	memset(&D, 0, sizeof(D));
	must(!blk_model_init(&D, &cfg));
	must(!sim_mem_init(&M, MEM_SIZE, 4));
	must(!sim_vq_init(&Q, &M, QSIZE, D.features));
	bufs = M.brk;	/* request buffers go above the rings */
	must(!sim_vq_start(&Q, &D.vqs[0]));
	D.driver_features = D.features & ~(take(&in, 1) & 1 ?
					   1ULL << VIRTIO_BLK_F_DISCARD : 0);
	D.state = VDEV_RUNNING;
	must(!D.ops->start(&D));

	while (in.left && rounds++ < 16 && D.state == VDEV_RUNNING) {
		/*
		 * check_batch() saw every request of the last round completed
		 * and nothing in flight: their buffers can be handed out again,
		 * so 16 rounds of large requests fit in guest memory.
		 */
		M.brk = bufs;
		for (nr = 0; nr < 1 + take(&in, 1) % MAX_BATCH; nr++)
			if (post_one(&in, &p[nr]) < 0)
				break;
		sim_vq_set_used_event(&Q, Q.last_used);
		sim_vq_publish(&Q);
		D.ops->queue_kick(&D, &D.vqs[0]);
		check_batch(p, nr);
	}

	D.ops->stop(&D);
	D.ops->destroy(&D);
	virtq_stop(&D.vqs[0]);
	sim_vq_free(&Q);
	sim_mem_free(&M);
	return 0;
}
