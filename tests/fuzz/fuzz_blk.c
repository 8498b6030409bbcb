// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the virtio-blk model: the input is a hostile driver
 * that builds well-formed chains (the engine has its own fuzzer) with
 * arbitrary request contents: any type, sector, header size, segment
 * count, sizes and directions, discard ranges.  Every completion is judged
 * by the shadow-disk oracle (tests/unit/blkshadow.h): an OK read must show
 * what was last written, an OK write must be on the backend, an error must
 * be one the spec allows and leave the disk alone.
 *
 * The input also picks, per run, the backend (ram: every request
 * completes inside the kick; file: a temporary file through io_uring, so
 * requests stay in flight between the kick and the loop run), the
 * negotiated discard, and a many-regions mode (fetch_pages 1..4: a chain
 * can span more regions than the IOVA cache keeps); and per batch, IOTLB
 * invalidations of request memory between the kick and the completions,
 * and a full device reset (with whatever is in flight), after which the
 * queue is started again and the oracle keeps judging: the disk survives.
 *
 * Input format (tests/fuzz/blk-seeds.py writes valid ones; keep both in
 * step):
 *   run:     mode(1): bit0 file backend, bit1 no DISCARD, bits2-4
 *            fetch_pages (5..7: 0)
 *   batch:   ctl(1): bits0-2 requests - 1, bit3 invalidate (then mask(1):
 *            regions 1..8 of guest memory, bit i = region i + 1), bit4
 *            reset after the kick
 *   request: sel(1)  < 0xf0: types[sel % 6]; else type(4) raw
 *            sector(1) 0xff: sector(8) raw; else sector % (SECTORS + 4)
 *            shape(1) bit0 driver shape (header, data, 1-byte status,
 *                     directions from the type), bit1 one direct
 *                     descriptor (else all indirect), bit2 header alone
 *                     in the first segment
 *            segs(1)  n = 1 + segs % MAX_SEGS; bits 4-7 readable count
 *                     (% (n + 1); ignored in driver shape)
 *            len(2) per segment: bit15 set: 512 * (1 + (len & 0x7f)),
 *                     else len % 4100 + 1
 *            discard / write-zeroes in driver shape: nr(1) % 5 ranges
 *            of sector(1) % (SECTORS + 4), nsec(1) % 33, flags(1) (>= 0xc0:
 *            & 3, >= 0x80: UNMAP, else 0), instead of the data segments
 * Readable bytes past the header are a pattern unique to the request, so
 * data from the wrong sector or request never looks right.
 *
 * Build and run: make fuzz (FUZZ_SECONDS=n per target, default 30); the
 * seed corpus is tests/fuzz/corpus/fuzz_blk.
 */
#include <endian.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_blk.h>

#include "../unit/blkshadow.h"
#include "core/compiler.h"
#include "core/loop.h"
#include "core/rundir.h"
#include "devtable/devtable.h"
#include "models/blk.h"
#include "../unit/simdrv.h"
#include "virtio/vdev.h"
#include "fuzz_input.h"

#define NR_REGIONS 16
#define MEM_SIZE (4u << 20)		/* 16 regions of 256 KiB */
#define QSIZE 16
#define CAP (512u << 10)
#define SECTORS (CAP / 512)
#define MAX_SEGS 6
#define MAX_BATCH 8
#define MAX_ROUNDS 16

static const uint32_t types[] = {
	VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
	VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES,
};

static struct blk_devcfg cfg = {
	.name = "fuzz", .capacity = CAP, .block_size = 512, .num_queues = 1,
	.queue_size = QSIZE, .serial = "fuzz-serial",
};

static struct vdev D;
static struct sim_mem M;
static struct sim_vq Q;
static struct blkshadow S;
static char file_path[64];		/* the file backend's image */
static uint32_t pattern_seed;

struct posted {
	int head;
	struct blkshadow_req *r;
};

/* Verdicts trap, but say why first: a crash report alone tells nothing. */
#define judge(x)							\
	do {								\
		if (x) {						\
			fprintf(stderr, "fuzz_blk: %s\n", S.why);	\
			__builtin_trap();				\
		}							\
	} while (0)

static void unlink_image(void)
{
	unlink(file_path);
}

/* Once per process: the loop (the file backend's eventfd) and the image. */
static void setup_once(void)
{
	const char *dir = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
	int fd;

	if (file_path[0])
		return;
	must(!loop_init());
	snprintf(file_path, sizeof(file_path), "%s/fuzz_blk-XXXXXX", dir);
	fd = mkstemp(file_path);
	must(fd >= 0);
	close(fd);
	atexit(unlink_image);
}

static void fill_pattern(uint8_t *p, uint32_t len)
{
	uint32_t k, seed = ++pattern_seed * 0x9e3779b9u;

	for (k = 0; k < len; k++)
		p[k] = (uint8_t)((seed + k * 0x01000193u) >> 11) | 1;
}

/* Room for @bytes of buffers in @n pieces, whatever region skips cost. */
static bool fits(uint64_t bytes, unsigned int n)
{
	return M.size - M.brk >= 2 * (bytes + 32ull * n + 64);
}

static void dwz_payload(struct input *in, uint8_t *p, uint32_t *len)
{
	struct virtio_blk_discard_write_zeroes g;
	unsigned int i, nr = take(in, 1) % 5;
	uint32_t f;

	for (i = 0; i < nr; i++) {
		g.sector = htole64(take(in, 1) % (SECTORS + 4));
		g.num_sectors = htole32(take(in, 1) % 33);
		f = take(in, 1);
		g.flags = htole32(f >= 0xc0 ? f & 3 :
				  f >= 0x80 ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0);
		memcpy(p + i * sizeof(g), &g, sizeof(g));
	}
	*len = nr * sizeof(g);
}

/* One request (see the input format above); -1 if it was not posted. */
static int post_one(struct input *in, struct posted *p)
{
	static uint8_t buf[MAX_SEGS + 2][BLK_SIZE_MAX / 8];
	struct sim_seg s[MAX_SEGS + 2];
	struct virtio_blk_outhdr h;
	unsigned int n, nout, i, sel, shape, segs;
	uint64_t sector, total = 0;
	uint32_t type, dlen;
	bool driver, dev_writes;

	sel = take(in, 1);
	type = sel < 0xf0 ? types[sel % ARRAY_SIZE(types)] : take(in, 4);
	sector = take(in, 1);
	if (sector == 0xff)
		sector = take(in, 8);
	else
		sector %= SECTORS + 4;
	shape = take(in, 1);
	segs = take(in, 1);
	n = 1 + (segs & 0xf) % MAX_SEGS;
	nout = (segs >> 4) % (n + 1);
	driver = shape & 1;
	h.type = htole32(type);
	h.ioprio = 0;
	h.sector = htole64(sector);

	for (i = 0; i < n; i++) {
		uint32_t v = take(in, 2);

		s[i] = (struct sim_seg){
			.len = v & 0x8000 ? 512 * (1 + (v & 0x7f)) : v % 4100 + 1,
			.data = buf[i],
		};
	}
	if (shape & 4 || (driver && s[0].len < sizeof(h)))
		s[0].len = sizeof(h);
	if (driver) {
		dev_writes = type == VIRTIO_BLK_T_IN ||
			     type == VIRTIO_BLK_T_GET_ID;
		if (type == VIRTIO_BLK_T_DISCARD ||
		    type == VIRTIO_BLK_T_WRITE_ZEROES) {
			s[0].len = sizeof(h);
			dwz_payload(in, buf[1], &dlen);
			n = 1;
			if (dlen)
				s[n++] = (struct sim_seg){ .len = dlen,
							   .data = buf[1] };
		}
		nout = dev_writes ? 1 : n;
		s[n++] = (struct sim_seg){ .len = 1, .write = true };
	}
	for (i = 0; i < n; i++) {
		s[i].write = i >= nout;
		total += s[i].len;
		if (s[i].write) {
			s[i].data = NULL;
			continue;
		}
		/* DWZ ranges are already in place. */
		if (i && driver && (type == VIRTIO_BLK_T_DISCARD ||
				    type == VIRTIO_BLK_T_WRITE_ZEROES))
			continue;
		fill_pattern(buf[i], s[i].len);
		if (!i)
			memcpy(buf[0], &h, MIN(sizeof(h), s[0].len));
	}
	if (!fits(total, n))
		return -1;
	p->head = sim_vq_add(&Q, s, n, shape & 2 ? 1 : 0);
	if (p->head < 0)
		return -1;
	p->r = blkshadow_begin(&S, s, n);
	must(p->r);
	return p->head;
}

static void run_loop_until(bool (*done)(void))
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!done()) {
		loop_wait(10);
		clock_gettime(CLOCK_MONOTONIC, &t);
		/* A request that never completes is a bug too. */
		must(t.tv_sec - t0.tv_sec < 5);
	}
}

static bool device_idle(void)
{
	return !D.ops->inflight(&D);
}

static struct posted *P;
static unsigned int P_nr, P_got;

static bool batch_collected(void)
{
	uint16_t head;
	uint32_t len;
	unsigned int i;
	int ret;

	while ((ret = sim_vq_used(&Q, &head, &len)) == 1) {
		for (i = 0; i < P_nr && P[i].head != head; i++)
			;
		must(i < P_nr);
		judge(blkshadow_end(&S, P[i].r, len));
		P[i].head = -1;
		P_got++;
	}
	must(ret == 0);
	return P_got == P_nr;
}

static void start_queue(void)
{
	M.brk = 0;		/* the rings: region 0 */
	must(!sim_vq_init(&Q, &M, QSIZE, D.driver_features));
	must(!sim_vq_start(&Q, &D.vqs[0]));
	D.state = VDEV_RUNNING;
	must(!D.ops->start(&D));
}

/* A driver reset, as the VDUSE layer runs it, then the queue again. */
static void reset_device(void)
{
	blkshadow_reset(&S);
	D.ops->stop(&D);
	virtq_stop(&D.vqs[0]);
	iova_reset(&M.iova);
	D.state = VDEV_STOPPED;
	sim_vq_free(&Q);
	start_queue();
}

static void invalidate(unsigned int mask)
{
	unsigned int i;

	/* Region 0 holds the rings: a driver does not pull those. */
	for (i = 0; i < 8; i++)
		if (mask & (1u << i))
			sim_region_set(&M, i + 1, IOVA_PERM_RW, true);
	blkshadow_lost(&S);
}

static int open_disk(bool file, int *fd)
{
	char ram[128];

	if (file) {
		*fd = open(file_path, O_RDWR | O_CLOEXEC);
		cfg.backend = &blk_file_backend;
		cfg.path = file_path;
	} else {
		/* A RAM disk of a crashed run would be kept: start empty. */
		run_path(ram, sizeof(ram), cfg.name, ".ram");
		unlink(ram);
		cfg.backend = &blk_ram_backend;
		cfg.path = NULL;
	}
	if (file && (*fd < 0 || ftruncate(*fd, 0) || ftruncate(*fd, CAP)))
		return -1;
	if (blk_model_init(&D, &cfg))
		return -1;
	if (!file)
		*fd = open(ram, O_RDONLY | O_CLOEXEC);
	return *fd < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct posted p[MAX_BATCH];
	struct blkshadow_params sp;
	unsigned int nr, want, mode, ctl, fp, rounds = 0;
	uint64_t bufs;
	bool file;
	int fd;

	setup_once();
	mode = take(&in, 1);
	file = mode & 1;
	fp = (mode >> 2) & 7;
	memset(&D, 0, sizeof(D));
	pattern_seed = 0;
	must(!open_disk(file, &fd));
	must(!sim_mem_init(&M, MEM_SIZE, NR_REGIONS));
	M.fetch_pages = fp <= 4 ? fp : 0;
	D.driver_features = D.features & ~(mode & 2 ?
					   1ULL << VIRTIO_BLK_F_DISCARD : 0);
	start_queue();
	bufs = M.r[1].iova - SIM_IOVA_BASE;	/* requests: regions 1.. */

	sp = (struct blkshadow_params){
		.capacity = CAP, .fd = fd, .mem = &M,
		.discard = D.driver_features & (1ULL << VIRTIO_BLK_F_DISCARD),
		.write_zeroes = D.driver_features &
				(1ULL << VIRTIO_BLK_F_WRITE_ZEROES),
		.max_discard = le32toh(((struct virtio_blk_config *)
					D.config)->max_discard_sectors),
		.max_write_zeroes = le32toh(((struct virtio_blk_config *)
					     D.config)->max_write_zeroes_sectors),
		/* ram.c zeroes discarded sectors; file.c may not (a hint). */
		.discard_zeroes = !file,
		.serial = cfg.serial,
	};
	must(!blkshadow_init(&S, &sp));

	while (in.left && rounds++ < MAX_ROUNDS && D.state == VDEV_RUNNING) {
		/*
		 * Every request of the last round completed (or belongs to a
		 * reset driver, its memory dead to the device): the buffers
		 * can be handed out again.
		 */
		M.brk = bufs;
		ctl = take(&in, 1);
		want = 1 + (ctl & 7);
		for (nr = 0; nr < want; nr++)
			if (post_one(&in, &p[nr]) < 0)
				break;
		sim_vq_set_used_event(&Q, Q.last_used);
		sim_vq_publish(&Q);
		D.ops->queue_kick(&D, &D.vqs[0]);
		/* Synchronous backend: nothing may be left behind. */
		if (!file)
			must(D.ops->inflight(&D) == 0);
		if (ctl & 8)
			invalidate(take(&in, 1));
		if (ctl & 16) {
			reset_device();
		} else {
			P = p;
			P_nr = nr;
			P_got = 0;
			run_loop_until(batch_collected);
		}
		if (device_idle())
			blkshadow_idle(&S);
	}
	/* Whatever the driver asked for, the disk holds what it must. */
	must(D.state == VDEV_RUNNING);
	D.ops->stop(&D);
	run_loop_until(device_idle);
	blkshadow_idle(&S);
	must(!blkshadow_pending(&S));
	judge(blkshadow_check_disk(&S));
	/* What the oracle saw, to tell whether a seed reaches its mode. */
	if (getenv("FUZZ_BLK_STATS"))
		fprintf(stderr, "fuzz_blk: %s fetch_pages %u: reads %lu writes %lu "
			"rejected %lu lost ok %lu lost err %lu "
			"conflicts %lu orphans %lu revokes %u\n",
			file ? "file" : "ram", M.fetch_pages,
			S.st.reads_checked, S.st.writes_checked, S.st.rejected,
			S.st.lost_ok, S.st.lost_err,
			S.st.conflicts, S.st.orphans, M.revokes);

	D.ops->destroy(&D);
	virtq_stop(&D.vqs[0]);
	sim_vq_free(&Q);
	sim_mem_free(&M);
	blkshadow_fini(&S);
	close(fd);
	return 0;
}
