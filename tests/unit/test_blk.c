// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk model against the simulated driver, on the ram, null and file
 * backends (the file backend through the real io_uring, eventfd and loop).
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "core/bits.h"
#include "blkshadow.h"
#include "check.h"
#include "core/compiler.h"
#include "core/loop.h"
#include "core/rundir.h"
#include "devtable/devtable.h"
#include "models/blk.h"
#include "simdrv.h"
#include "virtio/vdev.h"

CHECK_MAIN_DEFS("test_blk");

#define MIB (1024 * 1024ull)
#define CAP (4 * MIB)
#define CAP_SECTORS (CAP / 512)
#define QSIZE 64

/* ---- the transport: counts NEEDS_RESET config interrupts ---- */

static int nr_broken;

static void t_config_irq(struct vdev *d)
{
	(void)d;
	nr_broken++;
}

static const struct vdev_transport_ops t_transport = {
	.config_irq = t_config_irq,
};

/* ---- one device under test ---- */

struct tdev {
	struct vdev d;
	struct blk_devcfg cfg;
	struct sim_mem mem;
	struct sim_vq sq[4];
	unsigned int nq;
	char path[96];
};

static struct tdev T;
static char tmpdir[64];
/* t_post(): chained descriptors, or one indirect table (many requests). */
static bool post_indirect;
/* Guest memory's fetch_pages (simdrv.h): many small regions when set. */
static unsigned int t_fetch_pages;

struct treq {
	struct virtio_blk_outhdr hdr;
	struct sim_seg seg[8];
	unsigned int n;
	int head;
	uint32_t len;		/* used len, once completed */
	bool done;
};

static int t_setup_cfg(struct tdev *t, uint64_t mask)
{
	unsigned int i;

	t->d.name = t->cfg.name;
	if (blk_model_init(&t->d, &t->cfg))
		return -1;
	if (sim_mem_init(&t->mem, 0, 4))
		return -1;
	t->mem.fetch_pages = t_fetch_pages;
	t->nq = t->d.nr_vqs;
	for (i = 0; i < t->nq; i++) {
		t->d.vqs[i].index = i;
		if (sim_vq_init(&t->sq[i], &t->mem, t->cfg.queue_size,
				 t->d.features & ~mask) ||
		    sim_vq_start(&t->sq[i], &t->d.vqs[i]))
			return -1;
	}
	t->d.driver_features = t->d.features & ~mask;
	t->d.state = VDEV_RUNNING;
	t->d.transport = &t_transport;
	nr_broken = 0;
	return t->d.ops->start(&t->d);
}

static int truncate_new(const char *path, uint64_t size)
{
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	int ret;

	if (fd < 0)
		return -1;
	ret = ftruncate(fd, size);
	close(fd);
	return ret;
}

static int t_setup(const struct blk_backend_kind *kind, unsigned int nq,
		   bool ro)
{
	memset(&T, 0, sizeof(T));
	T.cfg = (struct blk_devcfg) {
		.name = "tblk", .capacity = CAP, .backend = kind,
		.readonly = ro, .block_size = 512, .num_queues = nq,
		.queue_size = QSIZE, .serial = "vdfw-serial-1",
	};
	if (kind == &blk_file_backend) {
		snprintf(T.path, sizeof(T.path), "%s/disk.img", tmpdir);
		T.cfg.path = T.path;
		if (!ro)
			unlink(T.path);
		/* A read-only device needs the file to exist already. */
		if (ro && access(T.path, F_OK) && truncate_new(T.path, CAP))
			return -1;
	}
	return t_setup_cfg(&T, 0);
}

/* Run the loop until the backend holds nothing (or 5 s). */
static int t_drain(void)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (T.d.ops->inflight(&T.d)) {
		loop_wait(50);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5)
			return -1;
	}
	return 0;
}

static void t_teardown(void)
{
	unsigned int i;

	T.d.ops->stop(&T.d);
	t_drain();
	T.d.ops->destroy(&T.d);
	for (i = 0; i < T.nq; i++) {
		virtq_stop(&T.d.vqs[i]);
		sim_vq_free(&T.sq[i]);
	}
	sim_mem_free(&T.mem);
	if (T.path[0])
		unlink(T.path);
}

/* Post header [+ data] + status as one chain (not yet published). */
static int t_post(unsigned int qi, struct treq *r, uint32_t type,
		  uint64_t sector, uint32_t dlen, const void *data)
{
	bool dev_writes = type == VIRTIO_BLK_T_IN ||
			  type == VIRTIO_BLK_T_GET_ID;

	memset(r, 0, sizeof(*r));
	r->hdr.type = htole32(type);
	r->hdr.sector = htole64(sector);
	r->seg[r->n++] = (struct sim_seg){ .len = sizeof(r->hdr),
					   .data = &r->hdr };
	if (dlen)
		r->seg[r->n++] = (struct sim_seg){ .len = dlen,
						   .write = dev_writes,
						   .data = data };
	r->seg[r->n++] = (struct sim_seg){ .len = 1, .write = true };
	r->head = sim_vq_add(&T.sq[qi], r->seg, r->n,
			     post_indirect ? 0 : r->n);
	return r->head;
}

static void t_kick(unsigned int qi)
{
	/* A driver re-arms its interrupt before it waits. */
	sim_vq_set_used_event(&T.sq[qi], T.sq[qi].last_used);
	sim_vq_publish(&T.sq[qi]);
	T.d.ops->queue_kick(&T.d, &T.d.vqs[qi]);
}

/* Collect @n completions of @reqs[0, nr) on queue @qi, running the loop. */
static int t_collect(unsigned int qi, struct treq *reqs, unsigned int nr,
		     unsigned int n)
{
	struct timespec t0, t;
	unsigned int got = 0, i;
	uint16_t head;
	uint32_t len;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < n) {
		ret = sim_vq_used(&T.sq[qi], &head, &len);
		if (ret < 0)
			return -1;
		if (!ret) {
			loop_wait(20);
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec > 5)
				return -1;
			continue;
		}
		for (i = 0; i < nr; i++) {
			if (reqs[i].head == head && !reqs[i].done) {
				reqs[i].done = true;
				reqs[i].len = len;
				break;
			}
		}
		if (i == nr)
			return -1;
		got++;
	}
	return 0;
}

static int t_status(const struct treq *r)
{
	uint8_t st = 0xff;

	/* The last byte of the last buffer, whatever that buffer's size. */
	sim_read(&T.mem, r->seg[r->n - 1].iova + r->seg[r->n - 1].len - 1,
		 &st, 1);
	return st;
}

/* Post, kick, wait: the status byte (or -1). */
static int t_do(unsigned int qi, struct treq *r)
{
	if (r->head < 0)
		return -1;
	t_kick(qi);
	if (t_collect(qi, r, 1, 1))
		return -1;
	return t_status(r);
}

static int t_rw(struct treq *r, uint32_t type, uint64_t sector, void *buf,
		uint32_t len)
{
	int st;

	t_post(0, r, type, sector, len, buf);
	st = t_do(0, r);
	if (r->seg[1].write && buf && len)
		sim_read(&T.mem, r->seg[1].iova, buf, len);
	return st;
}

static bool all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
	while (len--)
		if (*p++ != v)
			return false;
	return true;
}

/* Does [sector, +len) read back as @v through the device? */
static int t_expect(uint64_t sector, uint32_t len, uint8_t v)
{
	uint8_t *buf = malloc(len);
	struct treq r;
	int ok;

	if (!buf)
		return 0;
	ok = t_rw(&r, VIRTIO_BLK_T_IN, sector, buf, len) == VIRTIO_BLK_S_OK &&
	     r.len == len + 1 && all_bytes(buf, len, v);
	free(buf);
	return ok;
}

static int t_fill(uint64_t sector, uint32_t len, uint8_t v)
{
	uint8_t *buf = malloc(len);
	struct treq r;
	int st;

	if (!buf)
		return -1;
	memset(buf, v, len);
	st = t_rw(&r, VIRTIO_BLK_T_OUT, sector, buf, len);
	free(buf);
	return st == VIRTIO_BLK_S_OK && r.len == 1 ? 0 : -1;
}

/* ---- device description ---- */

TEST(features_and_config)
{
	struct virtio_blk_config c;
	uint64_t must = BIT(VIRTIO_BLK_F_SEG_MAX) | BIT(VIRTIO_BLK_F_SIZE_MAX) |
			BIT(VIRTIO_BLK_F_BLK_SIZE) | BIT(VIRTIO_BLK_F_TOPOLOGY) |
			BIT(VIRTIO_BLK_F_FLUSH) | BIT(VIRTIO_BLK_F_DISCARD) |
			BIT(VIRTIO_BLK_F_WRITE_ZEROES) |
			BIT(VIRTIO_RING_F_INDIRECT_DESC) |
			BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_F_VERSION_1) |
			BIT(VIRTIO_F_ACCESS_PLATFORM);

	CHECK_EQ(t_setup(&blk_ram_backend, 1, false), 0);
	CHECK_EQ(T.d.device_id, VIRTIO_ID_BLOCK);
	CHECK_EQ(T.d.features & must, must);
	CHECK(!(T.d.features & (BIT(VIRTIO_BLK_F_CONFIG_WCE) |
				BIT(VIRTIO_BLK_F_MQ) | BIT(VIRTIO_BLK_F_RO) |
				BIT(VIRTIO_F_RING_PACKED))));
	CHECK_EQ(T.d.nr_vqs, 1);
	CHECK_EQ(T.d.vq_size_max, QSIZE);
	CHECK_EQ(T.d.config_size,
		 offsetof(struct virtio_blk_config, max_secure_erase_sectors));
	memset(&c, 0, sizeof(c));
	memcpy(&c, T.d.config, T.d.config_size);
	CHECK_EQ(le64toh(c.capacity), CAP_SECTORS);
	CHECK_EQ(le32toh(c.seg_max), MIN(BLK_SEG_MAX, QSIZE - 2));
	CHECK_EQ(le32toh(c.size_max), BLK_SIZE_MAX);
	CHECK_EQ(le32toh(c.blk_size), 512);
	CHECK_EQ(c.physical_block_exp, 3);
	CHECK_EQ(le16toh(c.min_io_size), 8);
	CHECK_EQ(le16toh(c.num_queues), 1);
	CHECK(le32toh(c.max_discard_sectors) > 0);
	CHECK_EQ(le32toh(c.max_discard_seg), BLK_DWZ_SEG_MAX);
	CHECK_EQ(le32toh(c.discard_sector_alignment), 8);
	CHECK(le32toh(c.max_write_zeroes_sectors) > 0);
	CHECK_EQ(le32toh(c.max_write_zeroes_seg), BLK_DWZ_SEG_MAX);
	CHECK_EQ(c.write_zeroes_may_unmap, 1);
	t_teardown();

	/* Read-only, multi-queue, 4 KiB blocks. */
	CHECK_EQ(t_setup(&blk_ram_backend, 4, true), 0);
	CHECK(T.d.features & BIT(VIRTIO_BLK_F_RO));
	CHECK(T.d.features & BIT(VIRTIO_BLK_F_MQ));
	CHECK(!(T.d.features & (BIT(VIRTIO_BLK_F_DISCARD) |
				BIT(VIRTIO_BLK_F_WRITE_ZEROES))));
	CHECK_EQ(T.d.nr_vqs, 4);
	memcpy(&c, T.d.config, T.d.config_size);
	CHECK_EQ(le16toh(c.num_queues), 4);
	t_teardown();
	return 0;
}

/*
 * The daemon sends SIGUSR2 link requests and SIGHUP reconnects through
 * the model's ops: a block device has neither, so both pass it by.
 */
TEST(no_link_or_reconnect_ops)
{
	CHECK_EQ(t_setup(&blk_ram_backend, 1, false), 0);
	CHECK(T.d.ops->set_link == NULL);
	CHECK(T.d.ops->get_link == NULL);
	CHECK(T.d.ops->reconnect == NULL);
	t_teardown();
	return 0;
}

/* A table entry without a backend kind is refused, leaving nothing. */
TEST(no_backend_kind_fails)
{
	struct blk_devcfg cfg = {
		.name = "tblk", .capacity = CAP, .backend = NULL,
		.block_size = 512, .num_queues = 1, .queue_size = QSIZE,
	};
	struct vdev d;

	memset(&d, 0, sizeof(d));
	CHECK_EQ(blk_model_init(&d, &cfg), -EINVAL);
	CHECK(d.model == NULL);
	CHECK(d.ops == NULL);
	return 0;
}

/* ---- data path, per backend ---- */

static int t_rw_roundtrip(const struct blk_backend_kind *kind)
{
	static uint8_t a[16384], b[16384];
	bool zeroes = kind == &blk_null_backend;
	struct treq r;
	unsigned int i;

	CHECK_EQ(t_setup(kind, 1, false), 0);
	for (i = 0; i < sizeof(a); i++)
		a[i] = i * 13 + 1;
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_OUT, 24, a, sizeof(a)), VIRTIO_BLK_S_OK);
	CHECK_EQ(r.len, 1);
	memset(b, 0xee, sizeof(b));
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_IN, 24, b, sizeof(b)), VIRTIO_BLK_S_OK);
	CHECK_EQ(r.len, sizeof(b) + 1);
	CHECK(zeroes ? all_bytes(b, sizeof(b), 0) : !memcmp(a, b, sizeof(a)));
	/* Last sector of the disk. */
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_OUT, CAP_SECTORS - 1, a, 512),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_IN, CAP_SECTORS - 1, b, 512),
		 VIRTIO_BLK_S_OK);
	CHECK(zeroes ? all_bytes(b, 512, 0) : !memcmp(a, b, 512));
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_FLUSH, 0, NULL, 0), VIRTIO_BLK_S_OK);
	CHECK_EQ(r.len, 1);
	/* Zero-length transfers are fine and touch nothing. */
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_IN, 0, NULL, 0), VIRTIO_BLK_S_OK);
	CHECK_EQ(T.d.ops->inflight(&T.d), 0);
	if (kind == &blk_file_backend) {
		/* The bytes are in the file where the guest put them. */
		int fd = open(T.path, O_RDONLY);

		CHECK(fd >= 0);
		CHECK_EQ(pread(fd, b, sizeof(b), 24 * 512), (long)sizeof(b));
		close(fd);
		CHECK(!memcmp(a, b, sizeof(b)));
	}
	t_teardown();
	return 0;
}

TEST(rw_ram)
{
	return t_rw_roundtrip(&blk_ram_backend);
}

TEST(rw_null)
{
	return t_rw_roundtrip(&blk_null_backend);
}

TEST(rw_file)
{
	return t_rw_roundtrip(&blk_file_backend);
}

TEST(get_id)
{
	static const char id20[] = "ABCDEFGHIJKLMNOPQRST";
	uint8_t buf[VIRTIO_BLK_ID_BYTES];
	struct treq r;

	CHECK_EQ(t_setup(&blk_ram_backend, 1, false), 0);
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_GET_ID, 0, buf, sizeof(buf)),
		 VIRTIO_BLK_S_OK);
	CHECK_EQ(r.len, VIRTIO_BLK_ID_BYTES + 1);
	CHECK(!memcmp(buf, "vdfw-serial-1", 13));
	CHECK(all_bytes(buf + 13, sizeof(buf) - 13, 0));
	/* A small buffer gets what fits. */
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_GET_ID, 0, buf, 4), VIRTIO_BLK_S_OK);
	CHECK_EQ(r.len, 5);
	CHECK(!memcmp(buf, "vdfw", 4));
	t_teardown();

	/* Exactly 20 bytes: no terminating NUL. */
	memset(&T, 0, sizeof(T));
	T.cfg = (struct blk_devcfg) {
		.name = "tblk", .capacity = CAP, .backend = &blk_null_backend,
		.block_size = 512, .num_queues = 1, .queue_size = QSIZE,
		.serial = id20,
	};
	CHECK_EQ(t_setup_cfg(&T, 0), 0);
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_GET_ID, 0, buf, sizeof(buf)),
		 VIRTIO_BLK_S_OK);
	CHECK(!memcmp(buf, id20, 20));
	t_teardown();
	return 0;
}

TEST(unknown_type_unsupp)
{
	static const uint32_t types[] = { 2, 3, VIRTIO_BLK_T_SECURE_ERASE,
					  VIRTIO_BLK_T_ZONE_APPEND, 0x80000001,
					  0xffffffff };
	uint8_t buf[512];
	struct treq r;
	unsigned int i;

	CHECK_EQ(t_setup(&blk_ram_backend, 1, false), 0);
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		t_post(0, &r, types[i], 0, sizeof(buf), buf);
		CHECK_EQ(t_do(0, &r), VIRTIO_BLK_S_UNSUPP);
		CHECK_EQ(r.len, 1);
	}
	t_teardown();
	return 0;
}

/* ---- validation: the backend never sees a bad request ---- */

TEST(out_of_range_and_bad_length)
{
	static uint8_t buf[2048];
	struct {
		uint64_t sector;
		uint32_t len;
	} bad[] = {
		{ CAP_SECTORS, 512 },		/* just past the end */
		{ CAP_SECTORS - 1, 1024 },	/* straddles the end */
		{ 1ull << 63, 512 },		/* sector << 9 wraps */
		{ UINT64_MAX, 512 },		/* sector + n wraps */
		{ 0, 511 },			/* not whole sectors */
		{ 8, 1000 },
	};
	struct treq r;
	unsigned int i;

	CHECK_EQ(t_setup(&blk_ram_backend, 1, false), 0);
	CHECK_EQ(t_fill(0, 8192, 0x5c), 0);
	CHECK_EQ(t_fill(CAP_SECTORS - 8, 4096, 0x5c), 0);
	memset(buf, 0xa1, sizeof(buf));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_OUT, bad[i].sector, buf,
			      bad[i].len), VIRTIO_BLK_S_IOERR);
		CHECK_EQ(r.len, 1);
		CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_IN, bad[i].sector, buf,
			      bad[i].len), VIRTIO_BLK_S_IOERR);
		CHECK_EQ(r.len, 1);
	}
	/* Nothing was written anywhere. */
	CHECK(t_expect(0, 8192, 0x5c));
	CHECK(t_expect(CAP_SECTORS - 8, 4096, 0x5c));
	t_teardown();
	return 0;
}

/* 4 KiB logical blocks: I/O must be whole, aligned blocks, if negotiated. */
TEST(logical_block_alignment)
{
	static uint8_t buf[8192];
	struct treq r;

	memset(&T, 0, sizeof(T));
	T.cfg = (struct blk_devcfg) {
		.name = "tblk", .capacity = CAP, .backend = &blk_ram_backend,
		.block_size = 4096, .num_queues = 1, .queue_size = QSIZE,
	};
	CHECK_EQ(t_setup_cfg(&T, 0), 0);
	CHECK_EQ(T.d.config[offsetof(struct virtio_blk_config,
				     physical_block_exp)], 0);
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_OUT, 8, buf, 4096), VIRTIO_BLK_S_OK);
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_OUT, 1, buf, 4096), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_OUT, 8, buf, 512), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_IN, 8, buf, 6144), VIRTIO_BLK_S_IOERR);
	t_teardown();
	/* A driver that did not take BLK_SIZE speaks 512-byte sectors. */
	memset(&T.d, 0, sizeof(T.d));
	CHECK_EQ(t_setup_cfg(&T, BIT(VIRTIO_BLK_F_BLK_SIZE)), 0);
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_OUT, 1, buf, 512), VIRTIO_BLK_S_OK);
	t_teardown();
	return 0;
}

TEST(readonly_device)
{
	struct virtio_blk_discard_write_zeroes seg = {
		.sector = htole64(0), .num_sectors = htole32(8),
	};
	static uint8_t buf[4096];
	struct treq r;
	int fd;

	snprintf(T.path, sizeof(T.path), "%s/disk.img", tmpdir);
	unlink(T.path);
	fd = open(T.path, O_RDWR | O_CREAT, 0600);
	CHECK(fd >= 0 && !ftruncate(fd, CAP));
	memset(buf, 0x3e, sizeof(buf));
	CHECK_EQ(pwrite(fd, buf, sizeof(buf), 0), (long)sizeof(buf));
	close(fd);
	CHECK_EQ(t_setup(&blk_file_backend, 1, true), 0);
	CHECK(T.d.features & BIT(VIRTIO_BLK_F_RO));
	memset(buf, 0x11, sizeof(buf));
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_OUT, 0, buf, sizeof(buf)),
		 VIRTIO_BLK_S_IOERR);
	t_post(0, &r, VIRTIO_BLK_T_DISCARD, 0, sizeof(seg), &seg);
	CHECK_EQ(t_do(0, &r), VIRTIO_BLK_S_IOERR);
	t_post(0, &r, VIRTIO_BLK_T_WRITE_ZEROES, 0, sizeof(seg), &seg);
	CHECK_EQ(t_do(0, &r), VIRTIO_BLK_S_IOERR);
	CHECK(t_expect(0, 4096, 0x3e));
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_FLUSH, 0, NULL, 0), VIRTIO_BLK_S_OK);
	t_teardown();
	return 0;
}

/* Post @segs as given (any layout), kick, return the status byte. */
static int t_raw(struct sim_seg *segs, unsigned int n, unsigned int direct,
		 uint32_t *len)
{
	struct treq r = { .n = n };

	memcpy(r.seg, segs, n * sizeof(*segs));
	r.head = sim_vq_add(&T.sq[0], r.seg, n, direct);
	memcpy(segs, r.seg, n * sizeof(*segs));
	if (r.head < 0)
		return -1;
	t_kick(0);
	if (t_collect(0, &r, 1, 1))
		return -1;
	*len = r.len;
	return segs[n - 1].write ? t_status(&r) : -2;
}

TEST(layout_rules)
{
	struct virtio_blk_outhdr in = { .type = htole32(VIRTIO_BLK_T_IN),
					.sector = htole64(8) };
	struct virtio_blk_outhdr out = { .type = htole32(VIRTIO_BLK_T_OUT),
					 .sector = htole64(8) };
	static uint8_t data[1024], back[1024];
	struct sim_seg s[4];
	uint32_t len;

	CHECK_EQ(t_setup(&blk_ram_backend, 1, false), 0);
	CHECK_EQ(t_fill(8, 1024, 0x44), 0);
	memset(data, 0x99, sizeof(data));

	/* IN with a readable data segment. */
	s[0] = (struct sim_seg){ .len = 16, .data = &in };
	s[1] = (struct sim_seg){ .len = 512, .data = data };
	s[2] = (struct sim_seg){ .len = 512, .write = true };
	s[3] = (struct sim_seg){ .len = 1, .write = true };
	CHECK_EQ(t_raw(s, 4, 4, &len), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(len, 1);
	/* OUT with a writable data segment. */
	s[0] = (struct sim_seg){ .len = 16, .data = &out };
	s[1] = (struct sim_seg){ .len = 512, .data = data };
	s[2] = (struct sim_seg){ .len = 512, .write = true };
	s[3] = (struct sim_seg){ .len = 1, .write = true };
	CHECK_EQ(t_raw(s, 4, 4, &len), VIRTIO_BLK_S_IOERR);
	CHECK(t_expect(8, 1024, 0x44));
	/* Short header. */
	s[0] = (struct sim_seg){ .len = 8, .data = &out };
	s[1] = (struct sim_seg){ .len = 1, .write = true };
	CHECK_EQ(t_raw(s, 2, 2, &len), VIRTIO_BLK_S_IOERR);
	/* No writable byte at all: no status to write, used len 0. */
	s[0] = (struct sim_seg){ .len = 16, .data = &out };
	s[1] = (struct sim_seg){ .len = 512, .data = data };
	CHECK_EQ(t_raw(s, 2, 2, &len), -2);
	CHECK_EQ(len, 0);
	CHECK(t_expect(8, 1024, 0x44));

	/* Any layout: header split in two, data and status sharing a buffer. */
	s[0] = (struct sim_seg){ .len = 5, .data = &out };
	s[1] = (struct sim_seg){ .len = 11, .data = (uint8_t *)&out + 5 };
	s[2] = (struct sim_seg){ .len = 1024, .data = data };
	s[3] = (struct sim_seg){ .len = 1, .write = true };
	CHECK_EQ(t_raw(s, 4, 1, &len), VIRTIO_BLK_S_OK);
	CHECK(t_expect(8, 1024, 0x99));
	s[0] = (struct sim_seg){ .len = 16, .data = &in };
	s[1] = (struct sim_seg){ .len = 1025, .write = true };
	CHECK_EQ(t_raw(s, 2, 0, &len), VIRTIO_BLK_S_OK);
	CHECK_EQ(len, 1025);
	sim_read(&T.mem, s[1].iova, back, 1024);
	CHECK(all_bytes(back, 1024, 0x99));
	/* Header and data in one readable buffer. */
	memcpy(data, &out, 16);
	memset(data + 16, 0x17, 512);
	s[0] = (struct sim_seg){ .len = 528, .data = data };
	s[1] = (struct sim_seg){ .len = 1, .write = true };
	CHECK_EQ(t_raw(s, 2, 2, &len), VIRTIO_BLK_S_OK);
	CHECK(t_expect(8, 512, 0x17));
	t_teardown();
	return 0;
}

/* A data buffer that crosses a guest memory region boundary. */
TEST(buffer_across_regions)
{
	struct virtio_blk_outhdr out = { .type = htole32(VIRTIO_BLK_T_OUT),
					 .sector = htole64(16) };
	static uint8_t data[4096];
	struct sim_seg s[3];
	uint32_t len;
	unsigned int i;

	CHECK_EQ(t_setup(&blk_ram_backend, 1, false), 0);
	for (i = 0; i < sizeof(data); i++)
		data[i] = i;
	s[0] = (struct sim_seg){ .len = 16, .data = &out };
	s[1] = (struct sim_seg){ .len = 4096, .data = data,
				 .iova = sim_alloc_span(&T.mem, 4096) };
	sim_write(&T.mem, s[1].iova, data, sizeof(data));
	s[2] = (struct sim_seg){ .len = 1, .write = true };
	CHECK_EQ(t_raw(s, 3, 3, &len), VIRTIO_BLK_S_OK);
	memset(data, 0, sizeof(data));
	{
		struct treq r;

		CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_IN, 16, data, sizeof(data)),
			 VIRTIO_BLK_S_OK);
	}
	for (i = 0; i < sizeof(data); i++)
		CHECK_EQ(data[i], (uint8_t)i);
	t_teardown();
	return 0;
}

/* ---- discard / write-zeroes ---- */

static struct virtio_blk_discard_write_zeroes dwz(uint64_t sector,
						   uint32_t n, uint32_t flags)
{
	return (struct virtio_blk_discard_write_zeroes) {
		.sector = htole64(sector), .num_sectors = htole32(n),
		.flags = htole32(flags),
	};
}

static int t_dwz(uint32_t type, const struct virtio_blk_discard_write_zeroes *s,
		 unsigned int n)
{
	struct treq r;

	t_post(0, &r, type, 0, n * sizeof(*s), s);
	return t_do(0, &r);
}

static int t_discard_write_zeroes(const struct blk_backend_kind *kind)
{
	struct virtio_blk_discard_write_zeroes s[BLK_DWZ_SEG_MAX + 1];
	const uint32_t U = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	unsigned int i;

	CHECK_EQ(t_setup(kind, 1, false), 0);
	CHECK_EQ(t_fill(0, 256 * 1024, 0x6d), 0);
	/* One range each. */
	s[0] = dwz(0, 16, 0);
	CHECK_EQ(t_dwz(VIRTIO_BLK_T_DISCARD, s, 1), VIRTIO_BLK_S_OK);
	s[0] = dwz(16, 8, 0);
	CHECK_EQ(t_dwz(VIRTIO_BLK_T_WRITE_ZEROES, s, 1), VIRTIO_BLK_S_OK);
	s[0] = dwz(24, 9, U);
	CHECK_EQ(t_dwz(VIRTIO_BLK_T_WRITE_ZEROES, s, 1), VIRTIO_BLK_S_OK);
	CHECK(t_expect(0, 33 * 512, 0));
	CHECK(t_expect(33, 512, 0x6d));
	/* Several ranges, one of them empty, in one request. */
	s[0] = dwz(64, 8, 0);
	s[1] = dwz(100, 0, 0);
	s[2] = dwz(128, 24, U);
	s[3] = dwz(200, 1, 0);
	CHECK_EQ(t_dwz(VIRTIO_BLK_T_WRITE_ZEROES, s, 4), VIRTIO_BLK_S_OK);
	CHECK(t_expect(64, 8 * 512, 0));
	CHECK(t_expect(72, 56 * 512, 0x6d));
	CHECK(t_expect(128, 24 * 512, 0));
	CHECK(t_expect(200, 512, 0));
	CHECK(t_expect(201, 512, 0x6d));
	s[0] = dwz(256, 8, 0);
	s[1] = dwz(300, 8, 0);
	CHECK_EQ(t_dwz(VIRTIO_BLK_T_DISCARD, s, 2), VIRTIO_BLK_S_OK);

	/* Bad requests: nothing happens, not even to the good ranges. */
	s[0] = dwz(400, 8, 0);
	s[1] = dwz(CAP_SECTORS - 4, 8, 0);		/* past the end */
	CHECK_EQ(t_dwz(VIRTIO_BLK_T_WRITE_ZEROES, s, 2), VIRTIO_BLK_S_IOERR);
	s[1] = dwz(UINT64_MAX - 2, 8, 0);		/* wraps */
	CHECK_EQ(t_dwz(VIRTIO_BLK_T_DISCARD, s, 2), VIRTIO_BLK_S_IOERR);
	s[1] = dwz(8, 8, 2);				/* unknown flag */
	CHECK_EQ(t_dwz(VIRTIO_BLK_T_WRITE_ZEROES, s, 2), VIRTIO_BLK_S_UNSUPP);
	s[1] = dwz(8, 8, U);				/* unmap on discard */
	CHECK_EQ(t_dwz(VIRTIO_BLK_T_DISCARD, s, 2), VIRTIO_BLK_S_UNSUPP);
	s[1] = dwz(8, UINT32_MAX, 0);			/* over max sectors */
	CHECK_EQ(t_dwz(VIRTIO_BLK_T_WRITE_ZEROES, s, 2), VIRTIO_BLK_S_IOERR);
	for (i = 0; i < ARRAY_SIZE(s); i++)		/* too many ranges */
		s[i] = dwz(400 + i, 1, 0);
	CHECK_EQ(t_dwz(VIRTIO_BLK_T_WRITE_ZEROES, s, BLK_DWZ_SEG_MAX + 1),
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(t_dwz(VIRTIO_BLK_T_WRITE_ZEROES, s, 0), VIRTIO_BLK_S_IOERR);
	{
		/* A range cut short: not a multiple of 16 bytes. */
		struct treq r;

		t_post(0, &r, VIRTIO_BLK_T_WRITE_ZEROES, 0, 24, s);
		CHECK_EQ(t_do(0, &r), VIRTIO_BLK_S_IOERR);
	}
	CHECK(t_expect(400, 64 * 512, 0x6d));
	/* All of the maximum is fine. */
	CHECK_EQ(t_dwz(VIRTIO_BLK_T_WRITE_ZEROES, s, BLK_DWZ_SEG_MAX),
		 VIRTIO_BLK_S_OK);
	CHECK(t_expect(400, BLK_DWZ_SEG_MAX * 512, 0));
	CHECK_EQ(T.d.ops->inflight(&T.d), 0);
	t_teardown();
	return 0;
}

TEST(discard_write_zeroes_ram)
{
	return t_discard_write_zeroes(&blk_ram_backend);
}

TEST(discard_write_zeroes_file)
{
	return t_discard_write_zeroes(&blk_file_backend);
}

TEST(discard_not_negotiated_unsupp)
{
	struct virtio_blk_discard_write_zeroes s = dwz(0, 8, 0);

	memset(&T, 0, sizeof(T));
	T.cfg = (struct blk_devcfg) {
		.name = "tblk", .capacity = CAP, .backend = &blk_ram_backend,
		.block_size = 512, .num_queues = 1, .queue_size = QSIZE,
	};
	CHECK_EQ(t_setup_cfg(&T, BIT(VIRTIO_BLK_F_DISCARD) |
				 BIT(VIRTIO_BLK_F_WRITE_ZEROES)), 0);
	CHECK_EQ(t_fill(0, 4096, 0x21), 0);
	CHECK_EQ(t_dwz(VIRTIO_BLK_T_DISCARD, &s, 1), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(t_dwz(VIRTIO_BLK_T_WRITE_ZEROES, &s, 1), VIRTIO_BLK_S_UNSUPP);
	CHECK(t_expect(0, 4096, 0x21));
	t_teardown();
	return 0;
}

/* ---- batching and queues ---- */

static int t_batch(const struct blk_backend_kind *kind)
{
	enum { N = 48 };
	static struct treq r[N];
	static uint8_t data[N][512];
	unsigned int i;

	CHECK_EQ(t_setup(kind, 1, false), 0);
	post_indirect = true;
	for (i = 0; i < N; i++) {
		memset(data[i], i + 1, sizeof(data[i]));
		CHECK(t_post(0, &r[i], VIRTIO_BLK_T_OUT, i * 8, 512,
			     data[i]) >= 0);
	}
	post_indirect = false;
	t_kick(0);
	CHECK_EQ(t_collect(0, r, N, N), 0);
	for (i = 0; i < N; i++)
		CHECK_EQ(t_status(&r[i]), VIRTIO_BLK_S_OK);
	/* Synchronous backends: the whole kick is one interrupt. */
	if (kind != &blk_file_backend)
		CHECK_EQ(T.sq[0].irqs, 1);
	else
		CHECK(T.sq[0].irqs >= 1 && T.sq[0].irqs <= N);
	for (i = 0; i < N; i++) {
		if (kind == &blk_null_backend)
			break;
		CHECK(t_expect(i * 8, 512, i + 1));
	}
	t_teardown();
	return 0;
}

TEST(batch_one_irq_ram)
{
	return t_batch(&blk_ram_backend);
}

TEST(batch_one_irq_null)
{
	return t_batch(&blk_null_backend);
}

TEST(batch_file)
{
	return t_batch(&blk_file_backend);
}

/* Mixed types in one batch, on indirect and direct chains. */
TEST(batch_mixed_indirect)
{
	static uint8_t a[4096], b[4096], id[20];
	struct virtio_blk_discard_write_zeroes s = dwz(64, 8, 0);
	struct treq r[5];

	CHECK_EQ(t_setup(&blk_ram_backend, 1, false), 0);
	memset(a, 0x7a, sizeof(a));
	t_post(0, &r[0], VIRTIO_BLK_T_OUT, 0, sizeof(a), a);
	t_post(0, &r[1], VIRTIO_BLK_T_FLUSH, 0, 0, NULL);
	t_post(0, &r[2], VIRTIO_BLK_T_WRITE_ZEROES, 0, sizeof(s), &s);
	t_post(0, &r[3], VIRTIO_BLK_T_GET_ID, 0, sizeof(id), NULL);
	/* The read goes last and indirect: it sees the write before it. */
	memset(&r[4], 0, sizeof(r[4]));
	r[4].hdr.type = htole32(VIRTIO_BLK_T_IN);
	r[4].seg[0] = (struct sim_seg){ .len = 16, .data = &r[4].hdr };
	r[4].seg[1] = (struct sim_seg){ .len = 4096, .write = true };
	r[4].seg[2] = (struct sim_seg){ .len = 1, .write = true };
	r[4].n = 3;
	r[4].head = sim_vq_add_indirect(&T.sq[0], r[4].seg, 3);
	t_kick(0);
	CHECK_EQ(t_collect(0, r, 5, 5), 0);
	for (unsigned int i = 0; i < 5; i++)
		CHECK_EQ(t_status(&r[i]), VIRTIO_BLK_S_OK);
	CHECK_EQ(T.sq[0].irqs, 1);
	CHECK_EQ(r[3].len, 21);
	CHECK_EQ(r[4].len, 4097);
	sim_read(&T.mem, r[4].seg[1].iova, b, sizeof(b));
	CHECK(!memcmp(a, b, sizeof(b)));
	t_teardown();
	return 0;
}

TEST(multi_queue_independent)
{
	static uint8_t a[512], b[512];
	struct treq r0, r2, r3;

	CHECK_EQ(t_setup(&blk_ram_backend, 4, false), 0);
	memset(a, 0x0f, sizeof(a));
	t_post(0, &r0, VIRTIO_BLK_T_OUT, 0, sizeof(a), a);
	t_post(2, &r2, VIRTIO_BLK_T_OUT, 8, sizeof(a), a);
	sim_vq_publish(&T.sq[0]);
	/* Only queue 2 is kicked: only queue 2 moves. */
	t_kick(2);
	CHECK_EQ(t_collect(2, &r2, 1, 1), 0);
	CHECK_EQ(t_status(&r2), VIRTIO_BLK_S_OK);
	CHECK_EQ(T.sq[2].irqs, 1);
	CHECK_EQ(T.sq[0].irqs, 0);
	CHECK_EQ(le16toh(T.sq[0].used->idx), 0);
	T.d.ops->queue_kick(&T.d, &T.d.vqs[0]);
	CHECK_EQ(t_collect(0, &r0, 1, 1), 0);
	CHECK_EQ(T.sq[0].irqs, 1);
	/* Both writes landed on the one disk; queue 3 reads them. */
	t_post(3, &r3, VIRTIO_BLK_T_IN, 8, sizeof(b), NULL);
	t_kick(3);
	CHECK_EQ(t_collect(3, &r3, 1, 1), 0);
	sim_read(&T.mem, r3.seg[1].iova, b, sizeof(b));
	CHECK(!memcmp(a, b, sizeof(b)));
	CHECK_EQ(T.sq[1].irqs, 0);
	t_teardown();
	return 0;
}

/* ---- file backend: asynchronous completion and failures ---- */

/* The fd the backend opened @path with (a test cannot see inside). */
static int fd_of(const char *path)
{
	char link[300], target[256];
	struct dirent *de;
	int fd = -1;
	DIR *dir;
	ssize_t n;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strcmp(target, path)) {
			fd = atoi(de->d_name);
			break;
		}
	}
	closedir(dir);
	return fd;
}

TEST(file_completes_from_loop)
{
	static uint8_t a[65536];
	struct treq r;

	CHECK_EQ(t_setup(&blk_file_backend, 1, false), 0);
	memset(a, 0x31, sizeof(a));
	t_post(0, &r, VIRTIO_BLK_T_OUT, 0, sizeof(a), a);
	t_kick(0);
	/* Nothing is complete before the loop ran the eventfd handler. */
	CHECK_EQ(le16toh(T.sq[0].used->idx), 0);
	CHECK_EQ(T.d.ops->inflight(&T.d), 1);
	CHECK_EQ(t_collect(0, &r, 1, 1), 0);
	CHECK_EQ(t_status(&r), VIRTIO_BLK_S_OK);
	CHECK_EQ(T.sq[0].irqs, 1);
	CHECK_EQ(T.d.ops->inflight(&T.d), 0);
	t_teardown();
	return 0;
}

TEST(file_io_errors_are_ioerr)
{
	static uint8_t a[4096];
	struct treq r;
	int fd, bad;

	CHECK_EQ(t_setup(&blk_file_backend, 1, false), 0);
	CHECK_EQ(t_fill(0, 4096, 0x12), 0);
	fd = fd_of(T.path);
	CHECK(fd >= 0);
	/* Writes through a read-only fd fail with EBADF: IOERR. */
	bad = open(T.path, O_RDONLY);
	CHECK(bad >= 0 && dup2(bad, fd) == fd);
	close(bad);
	memset(a, 0x34, sizeof(a));
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_OUT, 0, a, sizeof(a)),
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(r.len, 1);
	CHECK(t_expect(0, 4096, 0x12));
	/* The file shrank: reading past its new end is an I/O error. */
	CHECK_EQ(truncate(T.path, 8192), 0);
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_IN, 12, a, sizeof(a)),
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(r.len, 1);
	/* /dev/full: every write is ENOSPC. */
	bad = open("/dev/full", O_RDWR);
	CHECK(bad >= 0 && dup2(bad, fd) == fd);
	close(bad);
	CHECK_EQ(t_rw(&r, VIRTIO_BLK_T_OUT, 0, a, sizeof(a)),
		 VIRTIO_BLK_S_IOERR);
	CHECK_EQ(T.d.ops->inflight(&T.d), 0);
	t_teardown();
	return 0;
}

/* ---- hostile drivers ---- */

/* More segments than seg_max + 2: the chain is answered with IOERR. */
TEST(too_many_segments)
{
	enum { N = BLK_SEG_MAX + 3 };
	static struct sim_seg s[N];
	struct virtio_blk_outhdr out = { .type = htole32(VIRTIO_BLK_T_OUT) };
	static uint8_t data[512];
	struct treq r = { .n = 0 };
	unsigned int i;

	/* A chain may not be longer than the queue: use a big one. */
	memset(&T, 0, sizeof(T));
	T.cfg = (struct blk_devcfg) {
		.name = "tblk", .capacity = CAP, .backend = &blk_ram_backend,
		.block_size = 512, .num_queues = 1, .queue_size = 256,
	};
	CHECK_EQ(t_setup_cfg(&T, 0), 0);
	CHECK_EQ(t_fill(0, 4096, 0x08), 0);
	memset(data, 0xf0, sizeof(data));
	s[0] = (struct sim_seg){ .len = 16, .data = &out };
	for (i = 1; i < N - 1; i++)
		s[i] = (struct sim_seg){ .len = 512, .data = data };
	s[N - 1] = (struct sim_seg){ .len = 1, .write = true };
	r.head = sim_vq_add_indirect(&T.sq[0], s, N);
	CHECK(r.head >= 0);
	t_kick(0);
	CHECK_EQ(t_collect(0, &r, 1, 1), 0);
	CHECK_EQ(r.len, 1);
	{
		uint8_t st;

		sim_read(&T.mem, s[N - 1].iova, &st, 1);
		CHECK_EQ(st, VIRTIO_BLK_S_IOERR);
	}
	CHECK(t_expect(0, 4096, 0x08));
	/* seg_max data segments exactly is fine. */
	s[BLK_SEG_MAX + 1] = (struct sim_seg){ .len = 1, .write = true };
	for (i = 1; i <= BLK_SEG_MAX; i++)
		s[i].iova = 0;
	r.head = sim_vq_add_indirect(&T.sq[0], s, BLK_SEG_MAX + 2);
	r.done = false;
	t_kick(0);
	CHECK_EQ(t_collect(0, &r, 1, 1), 0);
	CHECK_EQ(r.len, 1);
	CHECK(t_expect(0, 4096, 0xf0));
	t_teardown();
	return 0;
}

/* A protocol violation breaks the queue: NEEDS_RESET, no more service. */
TEST(broken_queue_stops_device)
{
	struct treq r;

	CHECK_EQ(t_setup(&blk_ram_backend, 1, false), 0);
	sim_vq_offer(&T.sq[0], QSIZE + 5);	/* a head that does not exist */
	t_kick(0);
	CHECK_EQ(nr_broken, 1);
	CHECK_EQ(T.d.state, VDEV_NEEDS_RESET);
	/* Later kicks are ignored without touching the rings. */
	t_post(0, &r, VIRTIO_BLK_T_FLUSH, 0, 0, NULL);
	t_kick(0);
	CHECK_EQ(le16toh(T.sq[0].used->idx), 0);
	CHECK_EQ(nr_broken, 1);
	t_teardown();
	return 0;
}

/* Garbage requests of every shape: never a crash, always a sane answer. */
TEST(random_requests_fuzz)
{
	static const uint32_t types[] = {
		VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
		VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD,
		VIRTIO_BLK_T_WRITE_ZEROES, 7,
	};
	static uint8_t junk[8192];
	unsigned int iter, i, n, nout;
	struct sim_seg s[6];
	struct treq r;
	uint32_t len;
	int st;

	srand(1234);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = rand();
	for (iter = 0; iter < 2000; iter++) {
		if (iter % 200 == 0) {
			if (iter)
				t_teardown();
			CHECK_EQ(t_setup(&blk_ram_backend, 1, false), 0);
		}
		/* Plausible header, hostile everything else. */
		memset(&r.hdr, 0, sizeof(r.hdr));
		r.hdr.type = htole32(types[rand() % ARRAY_SIZE(types)]);
		r.hdr.sector = htole64(rand() % 3 ? rand() % (CAP_SECTORS + 64) :
				       ((uint64_t)rand() << 40 | rand()));
		memcpy(junk, &r.hdr, rand() % 4 ? sizeof(r.hdr) : 0);
		n = 1 + rand() % 5;
		nout = rand() % (n + 1);
		for (i = 0; i < n; i++)
			s[i] = (struct sim_seg){
				.len = 1 + rand() % 2048, .write = i >= nout,
				.data = junk + rand() % 4096,
			};
		if (rand() % 2)
			s[0].len = 16 + 16 * (rand() % 4);
		s[0].data = junk;
		/* All indirect, or a direct header then a table: Linux's shapes. */
		st = t_raw(s, n, rand() % 2, &len);
		CHECK(st != -1);
		if (st == -2) {
			CHECK_EQ(len, 0);
			continue;
		}
		CHECK(st == VIRTIO_BLK_S_OK || st == VIRTIO_BLK_S_IOERR ||
		      st == VIRTIO_BLK_S_UNSUPP);
		CHECK(len >= 1);
	}
	CHECK_EQ(nr_broken, 0);
	t_teardown();
	return 0;
}

/* ---- stop, restart, recovery ---- */

/* Completions that arrive after stop() never reach the rings. */
TEST(stop_drops_late_completions)
{
	enum { N = 16 };
	static struct treq r[N];
	static uint8_t a[N][4096];
	uint16_t used_before;
	unsigned int i;

	CHECK_EQ(t_setup(&blk_file_backend, 1, false), 0);
	for (i = 0; i < N; i++) {
		memset(a[i], 0x50 + i, sizeof(a[i]));
		t_post(0, &r[i], VIRTIO_BLK_T_OUT, i * 8, 4096, a[i]);
	}
	t_kick(0);
	CHECK_EQ(T.d.ops->inflight(&T.d), N);
	used_before = le16toh(T.sq[0].used->idx);
	T.d.ops->stop(&T.d);
	/* Mark the status bytes: nobody may write them any more. */
	for (i = 0; i < N; i++)
		sim_write(&T.mem, r[i].seg[2].iova, "\x77", 1);
	CHECK_EQ(t_drain(), 0);
	CHECK_EQ(T.d.ops->inflight(&T.d), 0);
	CHECK_EQ(le16toh(T.sq[0].used->idx), used_before);
	CHECK_EQ(T.sq[0].irqs, 0);
	for (i = 0; i < N; i++)
		CHECK_EQ(t_status(&r[i]), 0x77);
	/* The writes themselves happened: the backend finished them. */
	for (i = 0; i < N; i++) {
		uint8_t b[4096];
		int fd = open(T.path, O_RDONLY);

		CHECK(fd >= 0);
		CHECK_EQ(pread(fd, b, sizeof(b), i * 4096), 4096);
		close(fd);
		CHECK(all_bytes(b, sizeof(b), 0x50 + i));
	}
	t_teardown();
	return 0;
}

/* Driver reset: stop, new rings, start; as the VDUSE layer does it. */
static int t_reset_queues(void)
{
	unsigned int i;

	T.d.ops->stop(&T.d);
	for (i = 0; i < T.nq; i++) {
		virtq_stop(&T.d.vqs[i]);
		sim_vq_free(&T.sq[i]);
		if (sim_vq_init(&T.sq[i], &T.mem, T.cfg.queue_size,
				T.d.driver_features) ||
		    sim_vq_start(&T.sq[i], &T.d.vqs[i]))
			return -1;
	}
	return T.d.ops->start(&T.d);
}

/*
 * Requests of the old generation still hold every pool slot after a
 * reset: new requests wait for them, then run, and the old ones vanish.
 */
TEST(reset_with_requests_in_flight)
{
	static struct treq old[QSIZE], r[4];
	static uint8_t a[4096], b[4096];
	unsigned int i;

	CHECK_EQ(t_setup(&blk_file_backend, 1, false), 0);
	memset(a, 0x61, sizeof(a));
	post_indirect = true;
	for (i = 0; i < QSIZE; i++)
		CHECK(t_post(0, &old[i], VIRTIO_BLK_T_OUT, i * 8, 4096, a) >= 0);
	post_indirect = false;
	t_kick(0);
	CHECK_EQ(T.d.ops->inflight(&T.d), QSIZE);
	CHECK_EQ(t_reset_queues(), 0);

	memset(b, 0x62, sizeof(b));
	t_post(0, &r[0], VIRTIO_BLK_T_OUT, 1024, 4096, b);
	t_post(0, &r[1], VIRTIO_BLK_T_FLUSH, 0, 0, NULL);
	t_kick(0);
	/* No slot yet: nothing was consumed. */
	CHECK_EQ(T.d.vqs[0].stats.pops, 0);
	CHECK_EQ(t_collect(0, r, 2, 2), 0);
	CHECK_EQ(t_status(&r[0]), VIRTIO_BLK_S_OK);
	CHECK_EQ(t_status(&r[1]), VIRTIO_BLK_S_OK);
	CHECK_EQ(t_drain(), 0);
	/* Exactly the two new completions were published. */
	CHECK_EQ(le16toh(T.sq[0].used->idx), 2);
	CHECK(t_expect(1024, 4096, 0x62));
	CHECK(t_expect(0, 4096, 0x61));
	t_teardown();
	return 0;
}

/* After a restart the heads left in flight are redone by resubmit(). */
TEST(resubmit_after_restart)
{
	static struct treq r[3];
	static uint8_t a[4096], b[4096];
	struct iovec iov[8];
	struct virtq_elem e = { 0 };
	unsigned int i;

	CHECK_EQ(t_setup(&blk_ram_backend, 1, false), 0);
	memset(a, 0x2b, sizeof(a));
	t_post(0, &r[0], VIRTIO_BLK_T_OUT, 16, sizeof(a), a);
	t_post(0, &r[1], VIRTIO_BLK_T_IN, 16, sizeof(b), NULL);
	t_post(0, &r[2], VIRTIO_BLK_T_OUT, CAP_SECTORS, sizeof(a), a);
	sim_vq_publish(&T.sq[0]);
	/* The old process consumed them and died. */
	for (i = 0; i < 3; i++) {
		e.iov = iov;
		e.iov_max = ARRAY_SIZE(iov);
		CHECK_EQ(virtq_pop(&T.d.vqs[0], &e), 1);
		CHECK_EQ(e.head, r[i].head);
	}
	for (i = 0; i < 3; i++)
		T.d.ops->resubmit(&T.d, &T.d.vqs[0], r[i].head);
	/* Not in flight: ignored, not a protocol violation. */
	T.d.ops->resubmit(&T.d, &T.d.vqs[0], QSIZE - 1);
	CHECK_EQ(t_collect(0, r, 3, 3), 0);
	CHECK_EQ(nr_broken, 0);
	CHECK_EQ(t_status(&r[0]), VIRTIO_BLK_S_OK);
	CHECK_EQ(t_status(&r[1]), VIRTIO_BLK_S_OK);
	CHECK_EQ(t_status(&r[2]), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(r[1].len, sizeof(b) + 1);
	sim_read(&T.mem, r[1].seg[1].iova, b, sizeof(b));
	CHECK(all_bytes(b, sizeof(b), 0x2b));
	t_teardown();
	return 0;
}

/* resubmit() with every slot held by stale requests still answers. */
TEST(resubmit_without_free_slot)
{
	static struct treq old[QSIZE], r;
	static uint8_t a[512];
	struct iovec iov[4];
	struct virtq_elem e = { .iov = iov, .iov_max = 4 };
	unsigned int i;

	CHECK_EQ(t_setup(&blk_file_backend, 1, false), 0);
	post_indirect = true;
	for (i = 0; i < QSIZE; i++)
		CHECK(t_post(0, &old[i], VIRTIO_BLK_T_OUT, i, 512, a) >= 0);
	post_indirect = false;
	t_kick(0);
	CHECK_EQ(T.d.ops->inflight(&T.d), QSIZE);
	CHECK_EQ(t_reset_queues(), 0);
	t_post(0, &r, VIRTIO_BLK_T_FLUSH, 0, 0, NULL);
	sim_vq_publish(&T.sq[0]);
	CHECK_EQ(virtq_pop(&T.d.vqs[0], &e), 1);
	T.d.ops->resubmit(&T.d, &T.d.vqs[0], r.head);
	CHECK_EQ(t_collect(0, &r, 1, 1), 0);
	CHECK_EQ(t_status(&r), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(r.len, 1);
	CHECK_EQ(t_drain(), 0);
	t_teardown();
	return 0;
}

/*
 * One request whose header, data pages and status each sit in a page of
 * their own, far apart: with fetch_pages = 1 every one is a region.
 */
static void t_post_scattered(struct treq *r, uint32_t type, uint64_t sector,
			     const uint8_t *data, unsigned int pages,
			     bool indirect)
{
	bool dev_writes = type == VIRTIO_BLK_T_IN;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->hdr.type = htole32(type);
	r->hdr.sector = htole64(sector);
	r->seg[r->n++] = (struct sim_seg){
		.len = sizeof(r->hdr), .data = &r->hdr,
		.iova = sim_alloc(&T.mem, 2 * SIM_PAGE, SIM_PAGE) };
	for (i = 0; i < pages; i++)
		r->seg[r->n++] = (struct sim_seg){
			.len = SIM_PAGE, .write = dev_writes,
			.data = data ? data + i * SIM_PAGE : NULL,
			.iova = sim_alloc(&T.mem, 2 * SIM_PAGE, SIM_PAGE) };
	r->seg[r->n++] = (struct sim_seg){
		.len = 1, .write = true,
		.iova = sim_alloc(&T.mem, 2 * SIM_PAGE, SIM_PAGE) };
	/* The driver's own guess, which must be overwritten. */
	sim_write(&T.mem, r->seg[r->n - 1].iova, "\x00", 1);
	r->head = sim_vq_add(&T.sq[0], r->seg, r->n, indirect ? 0 : r->n);
}

/*
 * A batch touching far more regions than the IOVA cache keeps (a driver
 * with a vIOMMU): the file backend submits at unplug, after the whole
 * batch was popped, so every request's regions must survive the later
 * pops.  Every write reaches the file intact and reads return it; every
 * status byte is written (the driver preset 0, which reads as OK).
 */
TEST(many_regions_file_batch)
{
	enum { N = 40, PAGES = 2 };
	static struct treq r[N];
	static uint8_t data[N][PAGES * SIM_PAGE], back[PAGES * SIM_PAGE];
	unsigned int i;
	int fd;

	t_fetch_pages = 1;
	CHECK_EQ(t_setup(&blk_file_backend, 1, false), 0);
	t_fetch_pages = 0;
	for (i = 0; i < N; i++) {
		memset(data[i], 0x40 + i, sizeof(data[i]));
		t_post_scattered(&r[i], VIRTIO_BLK_T_OUT, 1000 + i * 16,
				 data[i], PAGES, i % 8 != 0);
		CHECK(r[i].head >= 0);
	}
	t_kick(0);
	CHECK_EQ(t_collect(0, r, N, N), 0);
	for (i = 0; i < N; i++) {
		CHECK_EQ(t_status(&r[i]), VIRTIO_BLK_S_OK);
		CHECK_EQ(r[i].len, 1);
	}
	fd = open(T.path, O_RDONLY);
	CHECK(fd >= 0);
	for (i = 0; i < N; i++) {
		CHECK_EQ(pread(fd, back, sizeof(back), (1000 + i * 16) * 512),
			 sizeof(back));
		CHECK(!memcmp(back, data[i], sizeof(back)));
	}
	close(fd);

	/* Reads of the same sectors, indirect and direct: the right data. */
	for (i = 0; i < N; i++) {
		t_post_scattered(&r[i], VIRTIO_BLK_T_IN, 1000 + i * 16, NULL,
				 PAGES, i % 8 != 3);
		CHECK(r[i].head >= 0);
	}
	t_kick(0);
	CHECK_EQ(t_collect(0, r, N, N), 0);
	for (i = 0; i < N; i++) {
		unsigned int k;

		CHECK_EQ(t_status(&r[i]), VIRTIO_BLK_S_OK);
		CHECK_EQ(r[i].len, PAGES * SIM_PAGE + 1);
		for (k = 0; k < PAGES; k++) {
			sim_read(&T.mem, r[i].seg[1 + k].iova, back, SIM_PAGE);
			CHECK(all_bytes(back, SIM_PAGE, 0x40 + i));
		}
	}
	t_teardown();
	return 0;
}

/*
 * The driver takes the memory of a request in flight away (IOTLB
 * invalidation): the request must not complete with OK.
 */
TEST(invalidated_under_request_not_ok)
{
	static struct treq r;

	t_fetch_pages = 1;
	CHECK_EQ(t_setup(&blk_file_backend, 1, false), 0);
	t_fetch_pages = 0;
	t_post_scattered(&r, VIRTIO_BLK_T_IN, 64, NULL, 1, false);
	CHECK(r.head >= 0);
	t_kick(0);
	/* Submitted to io_uring, not yet completed: pull the data page. */
	iova_invalidate(&T.mem.iova, r.seg[1].iova, r.seg[1].iova);
	CHECK_EQ(T.mem.revokes, 1);
	CHECK_EQ(t_collect(0, &r, 1, 1), 0);
	CHECK_EQ(t_status(&r), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(r.len, 1);
	t_teardown();
	return 0;
}

/* ---- random I/O judged by the shadow-disk oracle (blkshadow.h) ---- */

static int t_shadow_open(struct blkshadow *S, bool file)
{
	struct blkshadow_params p = {
		.capacity = CAP, .mem = &T.mem,
		.discard = T.d.driver_features & BIT(VIRTIO_BLK_F_DISCARD),
		.write_zeroes = T.d.driver_features &
				BIT(VIRTIO_BLK_F_WRITE_ZEROES),
		.max_discard = le32toh(((struct virtio_blk_config *)
					T.d.config)->max_discard_sectors),
		.max_write_zeroes = le32toh(((struct virtio_blk_config *)
					     T.d.config)->max_write_zeroes_sectors),
		/* ram.c zeroes what it discards; file.c only punches (a hint). */
		.discard_zeroes = !file,
		.serial = T.cfg.serial,
	};
	char ram[128];

	if (file) {
		p.fd = open(T.path, O_RDONLY | O_CLOEXEC);
	} else {
		run_path(ram, sizeof(ram), T.cfg.name, ".ram");
		p.fd = open(ram, O_RDONLY | O_CLOEXEC);
	}
	if (p.fd < 0)
		return -1;
	return blkshadow_init(S, &p);
}

/* One random request of any type, in 1..4 data pieces; its oracle record. */
static struct blkshadow_req *t_random_req(struct blkshadow *S,
					  struct treq *r)
{
	static const uint32_t types[] = {
		VIRTIO_BLK_T_IN, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
		VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_DISCARD,
		VIRTIO_BLK_T_WRITE_ZEROES, VIRTIO_BLK_T_FLUSH,
	};
	static uint8_t data[5][64 * 512];
	struct virtio_blk_discard_write_zeroes g[3];
	uint32_t type = types[rand() % ARRAY_SIZE(types)];
	uint32_t nsec = 1 + rand() % 64, left, piece;
	unsigned int i, k, pieces = 1 + rand() % 4;
	bool dev_writes = type == VIRTIO_BLK_T_IN;

	memset(r, 0, sizeof(*r));
	r->hdr.type = htole32(type);
	/* Mostly a small hot area, so reads meet earlier writes. */
	r->hdr.sector = htole64(rand() % (rand() % 4 ? 256 : CAP_SECTORS - 64));
	r->seg[r->n++] = (struct sim_seg){ .len = sizeof(r->hdr),
					   .data = &r->hdr };
	if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES) {
		k = 1 + rand() % 3;
		for (i = 0; i < k; i++)
			g[i] = dwz(rand() % 512, 1 + rand() % 32,
				   type == VIRTIO_BLK_T_WRITE_ZEROES && rand() % 2 ?
				   VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0);
		memcpy(data[4], g, sizeof(g));
		r->seg[r->n++] = (struct sim_seg){ .len = k * sizeof(g[0]),
						   .data = data[4] };
	} else if (type != VIRTIO_BLK_T_FLUSH) {
		/* Cut anywhere, not only at sectors: the device must not care. */
		for (i = 0, left = nsec * 512; i < pieces && left; i++) {
			piece = i == pieces - 1 ? left : 1 + rand() % left;
			for (k = 0; k < piece; k++)
				data[i][k] = rand();
			r->seg[r->n++] = (struct sim_seg){
				.len = piece, .write = dev_writes,
				.data = dev_writes ? NULL : data[i] };
			left -= piece;
		}
	}
	r->seg[r->n++] = (struct sim_seg){ .len = 1, .write = true };
	r->head = sim_vq_add(&T.sq[0], r->seg, r->n, rand() % 2 ? 0 : r->n);
	if (r->head < 0)
		return NULL;
	return blkshadow_begin(S, r->seg, r->n);
}

/*
 * New fetch_pages for the request regions (1..): a new IOTLB layout.  A
 * driver that remaps sends the invalidations with it, so do the same;
 * without them the new tiles would overlap cached old ones, which the
 * cache rightly takes as a mapping that changed under it (and fails the
 * requests using the old one).  Region 0 (the rings) keeps its layout.
 */
static void t_retile(unsigned int pages)
{
	unsigned int i;

	if (T.mem.fetch_pages == pages)
		return;
	T.mem.fetch_pages = pages;
	for (i = 1; i < T.mem.nr; i++)
		sim_region_set(&T.mem, i, T.mem.r[i].perm, true);
}

/*
 * A few thousand random reads, writes, discards, write-zeroes and
 * flushes in batches, over many small regions (fetch_pages 0..4), with
 * occasional IOTLB updates of request memory while the batch is in the
 * backend: every completion is judged by the oracle, and the disk
 * checked against it now and then.
 */
static int t_random_io_shadow(const struct blk_backend_kind *kind)
{
	enum { BATCHES = 400, MAX_BATCH = 8 };
	static struct treq r[MAX_BATCH];
	struct blkshadow_req *sr[MAX_BATCH];
	static struct blkshadow S;
	bool file = kind == &blk_file_backend;
	unsigned int b, nr, got, i;
	uint64_t bufs;
	uint16_t head;
	uint32_t len;
	int ret;

	CHECK_EQ(t_setup(kind, 1, false), 0);
	CHECK_EQ(t_shadow_open(&S, file), 0);
	bufs = T.mem.r[1].iova - SIM_IOVA_BASE;	/* rings stay in region 0 */
	srand(file ? 4242 : 2424);
	for (b = 0; b < BATCHES; b++) {
		T.mem.brk = bufs;
		t_retile(rand() % 5);
		nr = 1 + rand() % MAX_BATCH;
		for (i = 0; i < nr; i++) {
			sr[i] = t_random_req(&S, &r[i]);
			CHECK(sr[i]);
		}
		t_kick(0);
		/* The batch is in io_uring (file): update an IOTLB entry under it. */
		if (rand() % 4 == 0) {
			sim_region_set(&T.mem, 1 + rand() % (T.mem.nr - 1),
				       IOVA_PERM_RW, true);
			blkshadow_lost(&S);
		}
		for (got = 0; got < nr; ) {
			ret = sim_vq_used(&T.sq[0], &head, &len);
			CHECK(ret >= 0);
			if (!ret) {
				CHECK_EQ(t_drain(), 0);
				CHECK_EQ(sim_vq_used(&T.sq[0], &head, &len), 1);
			}
			for (i = 0; i < nr && !(r[i].head == head && !r[i].done); i++)
				;
			CHECK(i < nr);
			r[i].done = true;
			if (blkshadow_end(&S, sr[i], len)) {
				/* The model's counters (mem_lost) say why. */
				T.d.ops->dump_stats(&T.d, 2);
				snprintf(check_why, sizeof(check_why),
					 "batch %u: %s", b, S.why);
				return -1;
			}
			got++;
		}
		if (b % 50 == 49 && blkshadow_check_disk(&S)) {
			snprintf(check_why, sizeof(check_why), "%s", S.why);
			return -1;
		}
	}
	CHECK_EQ(blkshadow_pending(&S), 0);
	/* It judged something: data compared both ways, failures seen. */
	CHECK(S.st.reads_checked > 1000);
	CHECK(S.st.writes_checked > 1000);
	if (file)
		CHECK(S.st.lost_err > 0);
	close(S.p.fd);
	blkshadow_fini(&S);
	t_teardown();
	return 0;
}

TEST(random_io_shadow_ram)
{
	return t_random_io_shadow(&blk_ram_backend);
}

TEST(random_io_shadow_file)
{
	return t_random_io_shadow(&blk_file_backend);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vdfw-blk-XXXXXX");
	if (!mkdtemp(tmpdir) || loop_init())
		return 2;
	RUN(features_and_config);
	RUN(no_link_or_reconnect_ops);
	RUN(no_backend_kind_fails);
	RUN(rw_ram);
	RUN(rw_null);
	RUN(rw_file);
	RUN(get_id);
	RUN(unknown_type_unsupp);
	RUN(out_of_range_and_bad_length);
	RUN(logical_block_alignment);
	RUN(readonly_device);
	RUN(layout_rules);
	RUN(buffer_across_regions);
	RUN(discard_write_zeroes_ram);
	RUN(discard_write_zeroes_file);
	RUN(discard_not_negotiated_unsupp);
	RUN(batch_one_irq_ram);
	RUN(batch_one_irq_null);
	RUN(batch_file);
	RUN(batch_mixed_indirect);
	RUN(multi_queue_independent);
	RUN(file_completes_from_loop);
	RUN(file_io_errors_are_ioerr);
	RUN(too_many_segments);
	RUN(broken_queue_stops_device);
	RUN(random_requests_fuzz);
	RUN(stop_drops_late_completions);
	RUN(reset_with_requests_in_flight);
	RUN(resubmit_after_restart);
	RUN(many_regions_file_batch);
	RUN(invalidated_under_request_not_ok);
	RUN(resubmit_without_free_slot);
	RUN(random_io_shadow_ram);
	RUN(random_io_shadow_file);
	loop_exit();
	rmdir(tmpdir);
	return check_failed != 0;
}
