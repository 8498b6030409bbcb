// SPDX-License-Identifier: GPL-2.0
/*
 * Restart state: the state file (vduse/state.c), and the queue start that
 * believes it or not (vduse/start.c), with a virtio-blk device on a RAM
 * disk under the simulated driver.  A "process" is one vdused: it is
 * killed by dropping it without any cleanup, and a new one is started on
 * the same driver memory, state file and RAM disk.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/virtio_blk.h>

#include "check.h"
#include "core/compiler.h"
#include "core/rundir.h"
#include "devtable/devtable.h"
#include "models/blk.h"
#include "simdrv.h"
#include "vduse/start.h"
#include "vduse/state.h"

CHECK_MAIN_DEFS("test_state");

#define NAME "tstate0"
#define NQ 2
#define QS 16
#define SECTOR 512

static const struct blk_devcfg CFG = {
	.name = NAME, .capacity = 1 << 20, .backend = &blk_ram_backend,
	.block_size = 512, .num_queues = NQ, .queue_size = QS,
	.serial = "vdfw-state",
};

/* ---- the driver and the kernel: they outlive every vdused ---- */

static struct sim_mem M;
static struct sim_vq SQ[NQ];
static bool rings;		/* SQ[] initialised */
static uint32_t info_num[NQ];	/* VQ_GET_INFO's num if not 0 */

static int t_vq_info(struct vdev *d, unsigned int i, struct vduse_vq_info *info)
{
	sim_vq_info(&SQ[i], i, info);
	if (info_num[i])
		info->num = info_num[i];
	return 0;
}

static int t_vq_started(struct vdev *d, unsigned int i)
{
	return 0;
}

static const struct vduse_start_ops t_ops = {
	.vq_info = t_vq_info,
	.vq_started = t_vq_started,
};

static int config_irqs;

static void t_config_irq(struct vdev *d)
{
	config_irqs++;
}

static const struct vdev_transport_ops t_transport = {
	.config_irq = t_config_irq,
};

/* ---- one vdused process ---- */

static struct vdev D;
static struct vduse_state_file SF;
static bool live;

/*
 * What vdused logs between log_begin() and log_end() lands in LOG (and is
 * passed on to stderr).  A crash in between loses its report to the
 * capture file: rerun with ASAN_OPTIONS=log_path=... to see it.
 */
static char LOG[16384];

static void log_begin(int *saved, FILE **f)
{
	fflush(stderr);
	*saved = dup(STDERR_FILENO);
	*f = tmpfile();
	if (*f)
		dup2(fileno(*f), STDERR_FILENO);
}

static void log_end(int saved, FILE *f)
{
	ssize_t n = f ? pread(fileno(f), LOG, sizeof(LOG) - 1, 0) : -1;

	LOG[n > 0 ? n : 0] = 0;
	dup2(saved, STDERR_FILENO);
	close(saved);
	if (f)
		fclose(f);
	if (write(STDERR_FILENO, LOG, strlen(LOG)) < 0) {
		/* only a copy for whoever reads the test's output */
	}
}

#define CHECK_IN(log, s)                                                    \
	do {                                                                \
		if (!strstr(log, s)) {                                      \
			snprintf(check_why, sizeof(check_why),              \
				 "%s:%d: log lacks \"%s\": %.300s", __FILE__,\
				 __LINE__, s, log);                         \
			return -1;                                          \
		}                                                           \
	} while (0)
#define CHECK_LOG(s) CHECK_IN(LOG, s)

/* A new vdused finds the device; 1 if it kept the state file. */
static int proc_start(bool restart)
{
	unsigned int i;
	FILE *f;
	int saved, ret;

	/* The regions a previous process (or input) left in D's table. */
	if (D.iova.ops)
		iova_fini(&D.iova);
	memset(&D, 0, sizeof(D));
	D.name = NAME;
	if (blk_model_init(&D, &CFG))
		return -1;
	live = true;
	D.transport = &t_transport;
	D.driver_features = D.features;
	iova_init(&D.iova, M.iova.ops, &M);
	for (i = 0; i < D.nr_vqs; i++) {
		D.vqs[i].index = i;
		D.vqs[i].iova = &D.iova;
		D.vqs[i].notify = sim_vq_notify;
		D.vqs[i].priv = &SQ[i];
	}
	log_begin(&saved, &f);
	ret = vduse_state_open(&SF, NAME, D.nr_vqs, D.features, D.vq_size_max,
			       restart);
	log_end(saved, f);
	return ret;
}

static void start(enum vduse_start_mode mode)
{
	FILE *f;
	int saved;

	config_irqs = 0;
	log_begin(&saved, &f);
	vduse_start_queues(&D, &SF, mode, &t_ops);
	log_end(saved, f);
}

static void ram_path(char *buf, size_t len)
{
	run_path(buf, len, NAME, ".ram");
}

/*
 * kill -9: nothing is cleaned up, the rings and the state file stay as
 * they are.  destroy() only frees memory here, but it would remove the
 * RAM disk as a clean shutdown does: keep the file out of its way.
 */
static void proc_kill(void)
{
	char ram[256], aside[300];
	unsigned int i;

	ram_path(ram, sizeof(ram));
	snprintf(aside, sizeof(aside), "%s.aside", ram);
	rename(ram, aside);
	D.ops->destroy(&D);
	rename(aside, ram);
	for (i = 0; i < D.nr_vqs; i++)
		virtq_stop(&D.vqs[i]);
	iova_fini(&D.iova);
	vduse_state_close(&SF, NAME, false);
	live = false;
}

/* The driver (re)initialises its rings, as after a reset. */
static int driver_rings(void)
{
	unsigned int i;

	for (i = 0; i < NQ; i++) {
		if (rings)
			sim_vq_free(&SQ[i]);
		if (sim_vq_init(&SQ[i], &M, QS, D.features))
			return -1;
	}
	rings = true;
	return 0;
}

/* The driver resets the device. */
static int driver_reset(void)
{
	vduse_stop_queues(&D, &SF);
	return driver_rings();
}

static void world_end(void)
{
	char path[256];
	unsigned int i;

	if (live) {
		vduse_stop_queues(&D, &SF);
		D.ops->destroy(&D);
		vduse_state_close(&SF, NAME, false);
		live = false;
	}
	for (i = 0; rings && i < NQ; i++)
		sim_vq_free(&SQ[i]);
	rings = false;
	if (M.map)
		sim_mem_free(&M);
	run_path(path, sizeof(path), NAME, ".state");
	unlink(path);
	ram_path(path, sizeof(path));
	unlink(path);
}

static int world_begin(void)
{
	world_end();
	memset(info_num, 0, sizeof(info_num));
	return sim_mem_init(&M, 0, 4);
}

/* ---- requests ---- */

struct req {
	struct virtio_blk_outhdr hdr;
	uint8_t data[SECTOR];
	struct sim_seg seg[3];
	int head;
};

/* Queue a one-sector request on @q and publish it (no kick). */
static int post(unsigned int q, struct req *r, uint32_t type, uint64_t sector,
		uint8_t fill)
{
	static const uint8_t unset = 0xff;

	memset(r, 0, sizeof(*r));
	r->hdr.type = htole32(type);
	r->hdr.sector = htole64(sector);
	memset(r->data, fill, sizeof(r->data));
	r->seg[0] = (struct sim_seg){ .len = sizeof(r->hdr), .data = &r->hdr };
	r->seg[1] = (struct sim_seg){ .len = SECTOR,
				      .write = type == VIRTIO_BLK_T_IN,
				      .data = type == VIRTIO_BLK_T_IN ? NULL : r->data };
	r->seg[2] = (struct sim_seg){ .len = 1, .write = true };
	r->head = sim_vq_add_chain(&SQ[q], r->seg, 3);
	if (r->head < 0)
		return -1;
	/* Only the device may make the status OK (0). */
	sim_write(&M, r->seg[2].iova, &unset, 1);
	sim_vq_publish(&SQ[q]);
	return r->head;
}

static int status_of(const struct req *r)
{
	uint8_t st = 0xee;

	sim_read(&M, r->seg[2].iova, &st, 1);
	return st;
}

/* A kick, as vduse_kick() delivers it. */
static void kick(unsigned int q)
{
	if (D.state == VDEV_RUNNING && D.vqs[q].num)
		D.ops->queue_kick(&D, &D.vqs[q]);
}

/* The driver takes its used entries: how many, or -1 for a bogus one. */
static int reap(unsigned int q, uint16_t *heads, unsigned int max)
{
	unsigned int n = 0;
	uint32_t len;
	uint16_t h;
	int r;

	while ((r = sim_vq_used(&SQ[q], &h, &len)) == 1) {
		if (n < max)
			heads[n] = h;
		n++;
	}
	return r < 0 ? -1 : (int)n;
}

/* The byte every byte of @sector holds on the RAM disk, or -1. */
static int disk_byte(uint64_t sector)
{
	uint8_t b[SECTOR];
	char path[256];
	unsigned int i;
	int fd;

	ram_path(path, sizeof(path));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (pread(fd, b, sizeof(b), sector * SECTOR) != SECTOR) {
		close(fd);
		return -1;
	}
	close(fd);
	for (i = 1; i < SECTOR; i++)
		if (b[i] != b[0])
			return -1;
	return b[0];
}

/* ---- the state file on disk ---- */

static void state_file(char *buf, size_t len)
{
	run_path(buf, len, NAME, ".state");
}

static int file_poke(unsigned long off, const void *p, size_t len)
{
	char path[256];
	int fd, ret;

	state_file(path, sizeof(path));
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -1;
	ret = pwrite(fd, p, len, off) == (ssize_t)len ? 0 : -1;
	close(fd);
	return ret;
}

static int file_poke16(unsigned long off, uint16_t v)
{
	return file_poke(off, &v, sizeof(v));
}

static int file_poke32(unsigned long off, uint32_t v)
{
	return file_poke(off, &v, sizeof(v));
}

static int file_resize(long long size)
{
	char path[256];

	state_file(path, sizeof(path));
	return truncate(path, size);
}

/* Offset of queue @q's log, and of a field in it. */
static unsigned long log_off(unsigned int q)
{
	return sizeof(struct vduse_state) + q * SF.stride;
}

#define LOG_FIELD(q, f) (log_off(q) + offsetof(struct virtq_log, f))
#define HDR_FIELD(f) offsetof(struct vduse_state, f)

static unsigned long log_heads_off(unsigned int q, uint16_t num)
{
	return log_off(q) + sizeof(struct virtq_log) + ((num + 1u) & ~1u);
}

/*
 * A state file as a killed vdused leaves it: on vq0, A (write, sector 0)
 * consumed and not completed, B (sector 8) completed; on vq1 C (sector
 * 16) completed.
 */
static struct req A, B, C;

static int good_file(void)
{
	struct iovec iov[8];
	struct virtq_elem e = { .iov = iov, .iov_max = ARRAY_SIZE(iov) };
	uint16_t h[4];

	if (world_begin() || proc_start(false) != 0 || driver_rings())
		return -1;
	start(VDUSE_START_FRESH);
	if (D.state != VDEV_RUNNING)
		return -1;
	/* The model took A into a backend that had not finished it. */
	if (post(0, &A, VIRTIO_BLK_T_OUT, 0, 0xa1) < 0 ||
	    virtq_pop(&D.vqs[0], &e) != 1 || e.head != A.head)
		return -1;
	if (post(0, &B, VIRTIO_BLK_T_OUT, 8, 0xb1) < 0 ||
	    post(1, &C, VIRTIO_BLK_T_OUT, 16, 0xc1) < 0)
		return -1;
	kick(0);
	kick(1);
	if (reap(0, h, 4) != 1 || h[0] != B.head || status_of(&B) ||
	    reap(1, h, 4) != 1 || h[0] != C.head || status_of(&C))
		return -1;
	proc_kill();
	return 0;
}

/* ---- tests ---- */

/* A good file is kept, A is redone, and nothing else. */
TEST(good_file_resumes)
{
	uint16_t h[4];

	CHECK_EQ(good_file(), 0);
	CHECK_EQ(proc_start(true), 1);
	CHECK(!strstr(LOG, "starting without state"));
	start(VDUSE_START_RESUME);
	CHECK_EQ(D.state, VDEV_RUNNING);
	CHECK_LOG("resumed after restart: 1 requests redone");
	CHECK_EQ(reap(0, h, 4), 1);
	CHECK_EQ(h[0], A.head);
	CHECK_EQ(status_of(&A), VIRTIO_BLK_S_OK);
	CHECK_EQ(reap(1, h, 4), 0);
	CHECK_EQ(disk_byte(0), 0xa1);
	CHECK_EQ(disk_byte(8), 0xb1);
	CHECK_EQ(disk_byte(16), 0xc1);
	world_end();
	return 0;
}

/*
 * Restart after the earlier process left a spoiled file, as vduse_resume()
 * does it: the queues start from the file if it was kept, else without
 * state.  It must have been refused with the field named and started
 * afresh; A is still in flight on vq0, so without state the device must
 * wait in NEEDS_RESET, having redone and completed nothing.
 */
static int rejected(const char *what)
{
	static char open_log[sizeof(LOG)];
	const struct virtq_log *log;
	uint16_t h[4];
	unsigned int i;
	int kept;

	kept = proc_start(true);
	memcpy(open_log, LOG, sizeof(LOG));
	start(kept == 1 ? VDUSE_START_RESUME : VDUSE_START_GUESS);
	CHECK_EQ(kept, 0);
	CHECK_IN(open_log, what);
	CHECK_IN(open_log, "; starting without state");
	CHECK_EQ(SF.st->magic, VDUSE_STATE_MAGIC);
	CHECK_EQ(SF.st->log_stride, SF.stride);
	/* The file was started afresh, and vq0 refused got no log. */
	for (i = 0; i < NQ; i++) {
		log = vduse_state_log(&SF, i);
		CHECK_EQ(log->version, 0);
	}
	CHECK_EQ(D.state, VDEV_NEEDS_RESET);
	CHECK_EQ(config_irqs, 1);
	CHECK_LOG("requests may be in flight");
	CHECK_EQ(D.vqs[0].stats.pops, 0);
	CHECK_EQ(reap(0, h, 4), 0);
	CHECK_EQ(status_of(&A), 0xff);
	world_end();
	return 0;
}

/* The review's case: SEGV on every restart before. */
TEST(stride_1gib_rejected)
{
	char want[96];

	CHECK_EQ(good_file(), 0);
	snprintf(want, sizeof(want), "log_stride 1073741824, expected %lu",
		 SF.stride);
	CHECK_EQ(file_poke32(HDR_FIELD(log_stride), 0x40000000), 0);
	return rejected(want);
}

/* Stride 0: both queues would share one log. */
TEST(stride_0_rejected)
{
	char want[96];

	CHECK_EQ(good_file(), 0);
	snprintf(want, sizeof(want), "log_stride 0, expected %lu", SF.stride);
	CHECK_EQ(file_poke32(HDR_FIELD(log_stride), 0), 0);
	return rejected(want);
}

TEST(header_fields_rejected)
{
	static const struct {
		unsigned long off;
		unsigned int len;
		uint32_t val;
		const char *what;
	} bad[] = {
		{ HDR_FIELD(magic), 4, 0x12345678,
		  "magic 0x12345678, expected 0x76647573" },
		{ HDR_FIELD(nr_vqs), 4, 3, "nr_vqs 3, expected 2" },
		{ HDR_FIELD(vq_size), 2, 32, "vq_size 32, expected 16" },
		{ HDR_FIELD(reserved) + 2, 1, 1, "reserved[2] 0x1, expected 0" },
		{ HDR_FIELD(reserved2), 4, 5, "reserved2 0x5, expected 0" },
		{ HDR_FIELD(features) + 7, 1, 0x80, "features 0x80" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK_EQ(good_file(), 0);
		CHECK_EQ(file_poke(bad[i].off, &bad[i].val, bad[i].len), 0);
		if (rejected(bad[i].what))
			return -1;
	}
	return 0;
}

TEST(size_rejected)
{
	char want[96];
	unsigned long size;

	CHECK_EQ(good_file(), 0);
	size = SF.size;
	CHECK_EQ(file_resize(size + 1), 0);
	snprintf(want, sizeof(want), "size %lu, expected %lu", size + 1, size);
	if (rejected(want))
		return -1;
	/* Shorter than its own header: nothing of it may be read. */
	CHECK_EQ(good_file(), 0);
	CHECK_EQ(file_resize(10), 0);
	snprintf(want, sizeof(want), "size 10, expected %lu", size);
	if (rejected(want))
		return -1;
	CHECK_EQ(good_file(), 0);
	CHECK_EQ(file_resize(0), 0);
	return rejected("missing or empty");
}

/* Each queue log's own fields, the indices and entries within num. */
TEST(log_fields_rejected)
{
	static const struct {
		unsigned int q;
		int field;	/* -1: inflight[], -2: heads[] */
		unsigned int at;
		uint16_t val;
		const char *what;
	} bad[] = {
		{ 1, offsetof(struct virtq_log, version), 0, 7,
		  "vq1 log: version 7, expected 1" },
		{ 0, offsetof(struct virtq_log, num), 0, 32,
		  "vq0 log: num 32, expected a power of two <= 16" },
		{ 0, offsetof(struct virtq_log, num), 0, 12,
		  "vq0 log: num 12, expected a power of two <= 16" },
		{ 0, offsetof(struct virtq_log, num), 0, 0,
		  "vq0 log: num 0, expected a power of two <= 16" },
		{ 0, offsetof(struct virtq_log, last_avail), 0, 1 + 17,
		  "vq0 log: last_avail 18 is 17 past used_idx 1, more than num 16" },
		{ 1, offsetof(struct virtq_log, used_idx), 0, 2,
		  "vq1 log: last_avail 1 is 65535 past used_idx 2" },
		{ 0, -1, 3, 2, "vq0 log: inflight[3] 2, expected 0 or 1" },
		{ 0, -2, 5, 16, "vq0 log: heads[5] 16, expected < num 16" },
		{ 1, -2, 15, 0xffff, "vq1 log: heads[15] 65535, expected < num 16" },
	};
	unsigned long off;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK_EQ(good_file(), 0);
		if (bad[i].field == -1) {
			uint8_t b = bad[i].val;

			off = log_off(bad[i].q) + sizeof(struct virtq_log) +
			      bad[i].at;
			CHECK_EQ(file_poke(off, &b, 1), 0);
		} else {
			off = bad[i].field == -2 ?
			      log_heads_off(bad[i].q, QS) + 2 * bad[i].at :
			      log_off(bad[i].q) + bad[i].field;
			CHECK_EQ(file_poke16(off, bad[i].val), 0);
		}
		if (rejected(bad[i].what))
			return -1;
	}
	return 0;
}

/* The status byte is whatever the driver wrote: any value is kept. */
TEST(status_any_value_kept)
{
	uint8_t st = 0xff;

	CHECK_EQ(good_file(), 0);
	CHECK_EQ(file_poke(HDR_FIELD(status), &st, 1), 0);
	CHECK_EQ(proc_start(true), 1);
	CHECK_EQ(SF.st->status, 0xff);
	world_end();
	return 0;
}

/*
 * No state file after out-of-order completions: A (slot 0) is in flight,
 * B and C (slots 1, 2) completed, so used->idx is 2 while slot 2 holds a
 * completed request.  The driver has since reused B's and C's buffers.
 * Nothing may be redone (C's write again would put the reused buffer on
 * the disk and complete C twice), A may not vanish while the device looks
 * healthy: the device waits in NEEDS_RESET, and after the driver's reset
 * the retried A completes and every completed write is on the disk.
 */
TEST(no_state_in_flight_waits_for_reset)
{
	static const uint8_t reused[SECTOR] = { [0 ... SECTOR - 1] = 0xee };
	struct iovec iov[8];
	struct virtq_elem e = { .iov = iov, .iov_max = ARRAY_SIZE(iov) };
	char path[256];
	uint16_t h[4];
	uint16_t used;

	CHECK_EQ(world_begin(), 0);
	CHECK_EQ(proc_start(false), 0);
	CHECK_EQ(driver_rings(), 0);
	start(VDUSE_START_FRESH);
	CHECK(post(0, &A, VIRTIO_BLK_T_OUT, 0, 0xa1) >= 0);
	CHECK_EQ(virtq_pop(&D.vqs[0], &e), 1);
	CHECK(post(0, &B, VIRTIO_BLK_T_OUT, 8, 0xb1) >= 0);
	CHECK(post(0, &C, VIRTIO_BLK_T_OUT, 16, 0xc1) >= 0);
	kick(0);
	CHECK_EQ(reap(0, h, 4), 2);
	CHECK_EQ(status_of(&B), VIRTIO_BLK_S_OK);
	CHECK_EQ(status_of(&C), VIRTIO_BLK_S_OK);
	CHECK(sim_write(&M, B.seg[1].iova, reused, SECTOR));
	CHECK(sim_write(&M, C.seg[1].iova, reused, SECTOR));
	proc_kill();
	state_file(path, sizeof(path));
	CHECK_EQ(unlink(path), 0);

	CHECK_EQ(proc_start(true), 0);
	CHECK_LOG("missing or empty");
	used = le16toh(SQ[0].used->idx);
	CHECK_EQ(used, 2);
	start(VDUSE_START_GUESS);
	CHECK_EQ(D.state, VDEV_NEEDS_RESET);
	CHECK_EQ(config_irqs, 1);
	CHECK_LOG("NEEDS_RESET: cannot start vq0: no log of the last device, "
		  "and avail idx 3 != used idx 2: requests may be in flight");
	/* A kick changes nothing while waiting for the reset. */
	kick(0);
	CHECK_EQ(D.vqs[0].stats.pops, 0);
	CHECK_EQ(le16toh(SQ[0].used->idx), used);
	CHECK_EQ(reap(0, h, 4), 0);
	CHECK_EQ(status_of(&A), 0xff);
	CHECK_EQ(disk_byte(8), 0xb1);
	CHECK_EQ(disk_byte(16), 0xc1);

	/* The driver resets and retries what never completed. */
	CHECK_EQ(driver_reset(), 0);
	start(VDUSE_START_FRESH);
	CHECK_EQ(D.state, VDEV_RUNNING);
	CHECK(post(0, &A, VIRTIO_BLK_T_OUT, 0, 0xa1) >= 0);
	kick(0);
	CHECK_EQ(reap(0, h, 4), 1);
	CHECK_EQ(h[0], A.head);
	CHECK_EQ(status_of(&A), VIRTIO_BLK_S_OK);
	CHECK_EQ(disk_byte(0), 0xa1);
	CHECK_EQ(disk_byte(8), 0xb1);
	CHECK_EQ(disk_byte(16), 0xc1);
	world_end();
	return 0;
}

/*
 * No state file, but every request offered was completed: the queues are
 * taken over where the driver is, nothing is redone, the driver gets an
 * interrupt in case the dead process published without one, and new
 * requests are served.
 */
TEST(no_state_idle_taken_over)
{
	char path[256];
	uint16_t h[4];
	unsigned int irqs;

	CHECK_EQ(world_begin(), 0);
	CHECK_EQ(proc_start(false), 0);
	CHECK_EQ(driver_rings(), 0);
	start(VDUSE_START_FRESH);
	CHECK(post(0, &A, VIRTIO_BLK_T_OUT, 0, 0xa1) >= 0);
	CHECK(post(0, &B, VIRTIO_BLK_T_OUT, 8, 0xb1) >= 0);
	kick(0);
	CHECK_EQ(reap(0, h, 4), 2);
	proc_kill();
	state_file(path, sizeof(path));
	CHECK_EQ(unlink(path), 0);

	CHECK_EQ(proc_start(true), 0);
	irqs = SQ[0].irqs;
	start(VDUSE_START_GUESS);
	CHECK_EQ(D.state, VDEV_RUNNING);
	CHECK_EQ(SQ[0].irqs, irqs + 1);
	CHECK_EQ(D.vqs[0].stats.pops, 0);
	CHECK_EQ(reap(0, h, 4), 0);
	CHECK(post(0, &C, VIRTIO_BLK_T_OUT, 16, 0xc1) >= 0);
	kick(0);
	CHECK_EQ(reap(0, h, 4), 1);
	CHECK_EQ(h[0], C.head);
	CHECK_EQ(status_of(&C), VIRTIO_BLK_S_OK);
	CHECK_EQ(D.vqs[0].stats.pops, 1);
	/* Its log is live: a second kill resumes from it. */
	CHECK_EQ(vduse_state_log(&SF, 0)->version, VIRTQ_LOG_VERSION);
	CHECK_EQ(disk_byte(16), 0xc1);
	world_end();
	return 0;
}

/*
 * A valid file whose log for one queue is empty or made for another queue
 * size: that queue alone starts without state, the other resumes.
 */
TEST(queue_without_log_starts_without_state)
{
	uint16_t h[4];
	int v;

	for (v = 0; v < 2; v++) {
		CHECK_EQ(good_file(), 0);
		/* vq1 is idle: C completed. */
		if (v)
			CHECK_EQ(file_poke16(LOG_FIELD(1, num), QS / 2), 0);
		else
			CHECK_EQ(file_poke16(LOG_FIELD(1, version), 0), 0);
		CHECK_EQ(proc_start(true), 1);
		start(VDUSE_START_RESUME);
		CHECK_LOG(v ? "state file: vq1 log num 8, queue size 16; "
			      "starting the queue without state" :
			      "state file: no log for vq1; starting the queue "
			      "without state");
		CHECK_EQ(D.state, VDEV_RUNNING);
		CHECK_LOG("resumed after restart: 1 requests redone");
		CHECK_EQ(reap(0, h, 4), 1);
		CHECK_EQ(h[0], A.head);
		CHECK_EQ(reap(1, h, 4), 0);
		CHECK_EQ(D.vqs[1].stats.pops, 0);
		world_end();
	}
	return 0;
}

/*
 * A driver reset forgets the logs: a vdused killed while it starts the
 * queues at the next DRIVER_OK (the file already says DRIVER_OK) must not
 * take the old rings' logs for the new rings.
 */
TEST(reset_forgets_logs)
{
	uint16_t h[4];
	unsigned int i;

	CHECK_EQ(good_file(), 0);
	CHECK_EQ(proc_start(true), 1);
	start(VDUSE_START_RESUME);
	CHECK_EQ(reap(0, h, 4), 1);
	/* vq0 has a live log with A consumed: the driver resets. */
	CHECK_EQ(driver_reset(), 0);
	for (i = 0; i < NQ; i++)
		CHECK_EQ(vduse_state_log(&SF, i)->version, 0);
	proc_kill();
	CHECK_EQ(proc_start(true), 1);
	start(VDUSE_START_RESUME);
	CHECK_EQ(D.state, VDEV_RUNNING);
	CHECK_LOG("resumed after restart: 0 requests redone");
	CHECK_EQ(reap(0, h, 4), 0);
	CHECK_EQ(D.vqs[0].stats.pops, 0);
	world_end();
	return 0;
}

/*
 * VDUSE passes on any queue size a driver sets.  One above the table's is
 * refused before a log is written for it (the next queue's log lies right
 * behind), and only this device stops.
 */
TEST(queue_size_bounded)
{
	static const uint32_t sizes[] = { 2 * QS, 65536 };
	uint8_t before[512], after[512];
	char want[96];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		CHECK_EQ(world_begin(), 0);
		CHECK_EQ(proc_start(false), 0);
		/* The driver laid out a ring of 2 * QS and said so. */
		CHECK_EQ(sim_vq_init(&SQ[0], &M, 2 * QS, D.features), 0);
		CHECK_EQ(sim_vq_init(&SQ[1], &M, QS, D.features), 0);
		rings = true;
		info_num[0] = sizes[i];
		CHECK(SF.stride <= sizeof(before));
		memcpy(before, vduse_state_log(&SF, 1), SF.stride);
		start(VDUSE_START_FRESH);
		snprintf(want, sizeof(want),
			 "NEEDS_RESET: vq0: queue size %u, the device allows at most %u",
			 sizes[i], QS);
		CHECK_LOG(want);
		CHECK_EQ(D.state, VDEV_NEEDS_RESET);
		CHECK_EQ(D.vqs[0].num, 0);
		memcpy(after, vduse_state_log(&SF, 1), SF.stride);
		CHECK(!memcmp(before, after, SF.stride));
		CHECK_EQ(vduse_state_log(&SF, 0)->version, 0);
		world_end();
	}
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/vdfw-state-XXXXXX";

	/* Our own run directory: state files and RAM disks go there. */
	if (!mkdtemp(dir) || setenv("VDUSED_RUN_DIR", dir, 1))
		return 2;
	RUN(good_file_resumes);
	RUN(stride_1gib_rejected);
	RUN(stride_0_rejected);
	RUN(header_fields_rejected);
	RUN(size_rejected);
	RUN(log_fields_rejected);
	RUN(status_any_value_kept);
	RUN(no_state_in_flight_waits_for_reset);
	RUN(no_state_idle_taken_over);
	RUN(queue_without_log_starts_without_state);
	RUN(reset_forgets_logs);
	RUN(queue_size_bounded);
	world_end();
	rmdir(dir);
	return check_failed != 0;
}
