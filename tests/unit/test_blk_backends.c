// SPDX-License-Identifier: GPL-2.0
/*
 * blk backends on their own: ram, null and file (the real io_uring and
 * eventfd, driven through the real loop).  Failures are real ones: a fd
 * swapped for one that cannot do the operation, /dev/full, RLIMIT_FSIZE,
 * a file that shrank, a full tmpfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/loop.h>

#include "models/blk_backend.h"
#include "core/compiler.h"
#include "core/loop.h"
#include "check.h"

CHECK_MAIN_DEFS("test_blk_backends");

#define MIB (1024 * 1024ull)

struct tio {
	struct blk_io io;
	struct iovec iov[4];
	int done;
};

static int nr_done, nr_batches;
static char tmpdir[64];

static void t_complete(struct blk_backend *be, struct blk_io *io)
{
	struct tio *t = container_of(io, struct tio, io);

	(void)be;
	t->done++;
	nr_done++;
}

static void t_batch(struct blk_backend *be)
{
	(void)be;
	nr_batches++;
}

static struct blk_devcfg t_cfg(const struct blk_backend_kind *kind,
			       const char *path, uint64_t capacity, bool ro)
{
	return (struct blk_devcfg) {
		.name = "tblk", .capacity = capacity, .backend = kind,
		.path = path, .readonly = ro, .block_size = 512,
		.num_queues = 1, .queue_size = 128, .serial = "s",
	};
}

static int t_open(struct blk_backend **bep, const struct blk_devcfg *cfg)
{
	int ret;

	ret = cfg->backend->open(bep, cfg);
	if (!ret) {
		(*bep)->complete = t_complete;
		(*bep)->complete_batch = t_batch;
	}
	nr_done = nr_batches = 0;
	return ret;
}

/* Run the loop until @n completions arrived (or 5 s passed). */
static int t_wait(int n)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (nr_done < n) {
		loop_wait(100);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5)
			return -1;
	}
	return 0;
}

static void t_rw(struct tio *t, enum blk_io_op op, uint64_t off, void *buf,
		 size_t len)
{
	memset(t, 0, sizeof(*t));
	t->iov[0] = (struct iovec){ buf, len };
	t->io = (struct blk_io){ .op = op, .offset = off, .len = len,
				 .iov = t->iov, .iovcnt = 1 };
}

static void t_op(struct tio *t, enum blk_io_op op, uint64_t off,
		 uint64_t len, bool unmap)
{
	memset(t, 0, sizeof(*t));
	t->io = (struct blk_io){ .op = op, .offset = off, .len = len,
				 .unmap = unmap };
}

/* Submit one op, unplug, wait; returns io.res or -ETIME. */
static int t_do(struct blk_backend *be, struct tio *t)
{
	int want = nr_done + 1;

	blk_backend_submit(be, &t->io);
	be->ops->unplug(be);
	if (t_wait(want) || t->done != 1)
		return -ETIME;
	return t->io.res;
}

static int t_io(struct blk_backend *be, enum blk_io_op op, uint64_t off,
		void *buf, size_t len)
{
	struct tio t;

	t_rw(&t, op, off, buf, len);
	return t_do(be, &t);
}

static int t_zero(struct blk_backend *be, enum blk_io_op op, uint64_t off,
		  uint64_t len, bool unmap)
{
	struct tio t;

	t_op(&t, op, off, len, unmap);
	return t_do(be, &t);
}

static bool all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
	while (len--)
		if (*p++ != v)
			return false;
	return true;
}

static long rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static char *t_path(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

/* ---- ram ---- */

TEST(ram_rw_roundtrip)
{
	struct blk_devcfg cfg = t_cfg(&blk_ram_backend, NULL, 8 * MIB, false);
	static uint8_t a[6144], b[6144];
	struct blk_backend *be;
	struct tio t;

	CHECK_EQ(t_open(&be, &cfg), 0);
	CHECK(be->can_discard && be->can_write_zeroes);
	memset(a, 0x5a, 2048);
	memset(a + 2048, 0xa5, 4096);
	/* Two iovecs: the backend must walk them in order. */
	t_rw(&t, BLK_IO_WRITE, 4608, a, 2048);
	t.iov[1] = (struct iovec){ a + 2048, 4096 };
	t.io.len = sizeof(a);
	t.io.iovcnt = 2;
	CHECK_EQ(t_do(be, &t), 0);
	CHECK_EQ(t_io(be, BLK_IO_READ, 4608, b, sizeof(b)), 0);
	CHECK(!memcmp(a, b, sizeof(a)));
	/* Never written: zeroes. */
	CHECK_EQ(t_io(be, BLK_IO_READ, 0, b, 4608), 0);
	CHECK(all_bytes(b, 4608, 0));
	CHECK_EQ(t_zero(be, BLK_IO_FLUSH, 0, 0, false), 0);
	CHECK_EQ(be->inflight, 0);
	be->ops->close(be);
	return 0;
}

TEST(ram_sparse_discard_releases_pages)
{
	struct blk_devcfg cfg = t_cfg(&blk_ram_backend, NULL, 1024 * MIB,
				      false);
	size_t len = 16 * MIB;
	struct blk_backend *be;
	long base, grown, after;
	uint8_t *buf, edge[512];

	base = rss_kib();
	CHECK_EQ(t_open(&be, &cfg), 0);
	CHECK(rss_kib() - base < 1024);
	buf = malloc(len);
	CHECK(buf);
	memset(buf, 0xaa, len);
	base = rss_kib();
	CHECK_EQ(t_io(be, BLK_IO_WRITE, 0, buf, len), 0);
	grown = rss_kib();
	CHECK(grown - base > 12 * 1024);
	/* Unaligned both ends: whole pages go, the edges are zeroed. */
	CHECK_EQ(t_zero(be, BLK_IO_DISCARD, 512, len - 1024, false), 0);
	after = rss_kib();
	CHECK(grown - after > 12 * 1024);
	CHECK_EQ(t_io(be, BLK_IO_READ, 0, buf, len), 0);
	CHECK(all_bytes(buf, 512, 0xaa));
	CHECK(all_bytes(buf + 512, len - 1024, 0));
	CHECK(all_bytes(buf + len - 512, 512, 0xaa));
	CHECK_EQ(t_io(be, BLK_IO_READ, 4096, edge, sizeof(edge)), 0);
	CHECK(all_bytes(edge, sizeof(edge), 0));
	free(buf);
	be->ops->close(be);
	return 0;
}

TEST(ram_write_zeroes)
{
	struct blk_devcfg cfg = t_cfg(&blk_ram_backend, NULL, 1 * MIB, false);
	static uint8_t buf[65536];
	struct blk_backend *be;

	CHECK_EQ(t_open(&be, &cfg), 0);
	memset(buf, 0x11, sizeof(buf));
	CHECK_EQ(t_io(be, BLK_IO_WRITE, 0, buf, sizeof(buf)), 0);
	CHECK_EQ(t_zero(be, BLK_IO_WRITE_ZEROES, 1024, 1024, false), 0);
	CHECK_EQ(t_zero(be, BLK_IO_WRITE_ZEROES, 8192, 20480, true), 0);
	CHECK_EQ(t_io(be, BLK_IO_READ, 0, buf, sizeof(buf)), 0);
	CHECK(all_bytes(buf, 1024, 0x11));
	CHECK(all_bytes(buf + 1024, 1024, 0));
	CHECK(all_bytes(buf + 2048, 8192 - 2048, 0x11));
	CHECK(all_bytes(buf + 8192, 20480, 0));
	CHECK(all_bytes(buf + 28672, sizeof(buf) - 28672, 0x11));
	be->ops->close(be);
	return 0;
}

TEST(ram_readonly)
{
	struct blk_devcfg cfg = t_cfg(&blk_ram_backend, NULL, 1 * MIB, true);
	uint8_t buf[512];
	struct blk_backend *be;

	CHECK_EQ(t_open(&be, &cfg), 0);
	CHECK(!be->can_discard && !be->can_write_zeroes);
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(t_io(be, BLK_IO_READ, 512, buf, sizeof(buf)), 0);
	CHECK(all_bytes(buf, sizeof(buf), 0));
	be->ops->close(be);
	return 0;
}

/* ---- null ---- */

TEST(null_ops)
{
	struct blk_devcfg cfg = t_cfg(&blk_null_backend, NULL, 1ull << 40,
				      false);
	uint8_t buf[4096];
	struct blk_backend *be;

	CHECK_EQ(t_open(&be, &cfg), 0);
	CHECK_EQ(be->size, 1ull << 40);
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(t_io(be, BLK_IO_WRITE, 0, buf, sizeof(buf)), 0);
	CHECK_EQ(t_io(be, BLK_IO_READ, 0, buf, sizeof(buf)), 0);
	CHECK(all_bytes(buf, sizeof(buf), 0));
	CHECK_EQ(t_zero(be, BLK_IO_FLUSH, 0, 0, false), 0);
	CHECK_EQ(t_zero(be, BLK_IO_DISCARD, 0, 4096, false), 0);
	CHECK_EQ(t_zero(be, BLK_IO_WRITE_ZEROES, 0, 4096, true), 0);
	CHECK_EQ(be->inflight, 0);
	be->ops->close(be);
	return 0;
}

/* ---- file: opening ---- */

TEST(file_create_missing)
{
	struct blk_devcfg cfg = t_cfg(&blk_file_backend, t_path("new.img"),
				      4 * MIB, false);
	struct blk_backend *be;
	struct stat st;

	unlink(cfg.path);
	CHECK_EQ(t_open(&be, &cfg), 0);
	CHECK_EQ(stat(cfg.path, &st), 0);
	CHECK_EQ(st.st_size, 4 * MIB);
	CHECK(st.st_blocks == 0);	/* created sparse */
	CHECK(be->can_discard && be->can_write_zeroes);
	be->ops->close(be);
	/* Reopening the now existing file works and keeps it. */
	CHECK_EQ(t_open(&be, &cfg), 0);
	be->ops->close(be);
	unlink(cfg.path);
	return 0;
}

TEST(file_open_refusals)
{
	struct blk_devcfg cfg = t_cfg(&blk_file_backend, t_path("small.img"),
				      2 * MIB, false);
	struct blk_backend *be;
	struct stat st;
	int fd;

	fd = open(cfg.path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && !ftruncate(fd, 1 * MIB));
	close(fd);
	/* Smaller than the capacity: refused, and left as it was. */
	CHECK_EQ(t_open(&be, &cfg), -ENOSPC);
	CHECK_EQ(stat(cfg.path, &st), 0);
	CHECK_EQ(st.st_size, 1 * MIB);
	/* Larger is fine: the device uses the start. */
	cfg.capacity = 512 * 1024;
	CHECK_EQ(t_open(&be, &cfg), 0);
	CHECK_EQ(be->size, 512 * 1024);
	be->ops->close(be);
	unlink(cfg.path);
	/* Neither regular file nor block device. */
	cfg.path = "/dev/null";
	CHECK_EQ(t_open(&be, &cfg), -EINVAL);
	/* Read-only never creates. */
	cfg = t_cfg(&blk_file_backend, t_path("absent.img"), MIB, true);
	CHECK_EQ(t_open(&be, &cfg), -ENOENT);
	CHECK(access(cfg.path, F_OK) && errno == ENOENT);
	return 0;
}

TEST(file_readonly_opens_rdonly)
{
	struct blk_devcfg cfg = t_cfg(&blk_file_backend, t_path("ro.img"),
				      MIB, false);
	static uint8_t buf[4096];
	struct blk_backend *be;

	CHECK_EQ(t_open(&be, &cfg), 0);
	memset(buf, 0x3c, sizeof(buf));
	CHECK_EQ(t_io(be, BLK_IO_WRITE, 8192, buf, sizeof(buf)), 0);
	be->ops->close(be);
	cfg.readonly = true;
	CHECK_EQ(t_open(&be, &cfg), 0);
	CHECK_EQ(fcntl(blk_file_fd(be), F_GETFL) & O_ACCMODE, O_RDONLY);
	CHECK(!be->can_discard && !be->can_write_zeroes);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(t_io(be, BLK_IO_READ, 8192, buf, sizeof(buf)), 0);
	CHECK(all_bytes(buf, sizeof(buf), 0x3c));
	be->ops->close(be);
	unlink(cfg.path);
	return 0;
}

/* ---- file: data path ---- */

TEST(file_rw_async_via_loop)
{
	struct blk_devcfg cfg = t_cfg(&blk_file_backend, t_path("rw.img"),
				      4 * MIB, false);
	static uint8_t a[65536], b[65536];
	struct blk_backend *be;
	unsigned int i;
	int fd;

	unlink(cfg.path);
	CHECK_EQ(t_open(&be, &cfg), 0);
	for (i = 0; i < sizeof(a); i++)
		a[i] = i * 7 + 3;
	CHECK_EQ(t_io(be, BLK_IO_WRITE, MIB + 512, a, sizeof(a)), 0);
	/* It went through the eventfd handler, which ends with a batch. */
	CHECK(nr_batches >= 1);
	CHECK_EQ(t_io(be, BLK_IO_READ, MIB + 512, b, sizeof(b)), 0);
	CHECK(!memcmp(a, b, sizeof(a)));
	CHECK_EQ(t_zero(be, BLK_IO_FLUSH, 0, 0, false), 0);
	/* And it really is in the file. */
	fd = open(cfg.path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, b, sizeof(b), MIB + 512), (long)sizeof(b));
	close(fd);
	CHECK(!memcmp(a, b, sizeof(a)));
	CHECK_EQ(be->inflight, 0);
	be->ops->close(be);
	unlink(cfg.path);
	return 0;
}

/* More requests than SQ entries in one batch: the rest waits, none is lost. */
TEST(file_batch_larger_than_sq)
{
	struct blk_devcfg cfg = t_cfg(&blk_file_backend, t_path("batch.img"),
				      4 * MIB, false);
	enum { N = 300 };
	static struct tio t[N];
	static uint8_t data[N][512], back[512];
	struct blk_backend *be;
	int i, fd;

	unlink(cfg.path);
	CHECK_EQ(t_open(&be, &cfg), 0);
	for (i = 0; i < N; i++) {
		memset(data[i], i, sizeof(data[i]));
		t_rw(&t[i], BLK_IO_WRITE, i * 4096, data[i], sizeof(data[i]));
		blk_backend_submit(be, &t[i].io);
	}
	be->ops->unplug(be);
	CHECK_EQ(t_wait(N), 0);
	fd = open(cfg.path, O_RDONLY);
	CHECK(fd >= 0);
	for (i = 0; i < N; i++) {
		CHECK_EQ(t[i].done, 1);
		CHECK_EQ(t[i].io.res, 0);
		CHECK_EQ(pread(fd, back, sizeof(back), i * 4096), 512);
		CHECK(!memcmp(back, data[i], sizeof(back)));
	}
	close(fd);
	CHECK_EQ(be->inflight, 0);
	be->ops->close(be);
	unlink(cfg.path);
	return 0;
}

static long t_blocks(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long)st.st_blocks;
}

static int t_fill(struct blk_backend *be, uint64_t off, size_t len, int v)
{
	uint8_t *buf = malloc(len);
	int ret;

	if (!buf)
		return -ENOMEM;
	memset(buf, v, len);
	ret = t_io(be, BLK_IO_WRITE, off, buf, len);
	free(buf);
	return ret;
}

static int t_check(struct blk_backend *be, uint64_t off, size_t len, int v)
{
	uint8_t *buf = malloc(len);
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = t_io(be, BLK_IO_READ, off, buf, len);
	if (!ret && !all_bytes(buf, len, v))
		ret = -EILSEQ;
	free(buf);
	return ret;
}

static int t_dwz_file(const char *path)
{
	struct blk_devcfg cfg = t_cfg(&blk_file_backend, path, 4 * MIB, false);
	struct blk_backend *be;
	long full;

	unlink(path);
	CHECK_EQ(t_open(&be, &cfg), 0);
	CHECK_EQ(t_fill(be, 0, 2 * MIB, 0x77), 0);
	CHECK_EQ(t_zero(be, BLK_IO_FLUSH, 0, 0, false), 0);
	full = t_blocks(path);
	CHECK_EQ(t_zero(be, BLK_IO_DISCARD, 0, 512 * 1024, false), 0);
	CHECK(t_blocks(path) < full);
	CHECK_EQ(t_check(be, 0, 512 * 1024, 0), 0);
	CHECK_EQ(t_zero(be, BLK_IO_WRITE_ZEROES, 512 * 1024, 4096, false), 0);
	CHECK_EQ(t_zero(be, BLK_IO_WRITE_ZEROES, MIB, 512 * 1024, true), 0);
	/* Again: after a learnt fallback the other mode is used directly. */
	CHECK_EQ(t_zero(be, BLK_IO_WRITE_ZEROES, MIB + 512 * 1024, 4096,
			false), 0);
	CHECK_EQ(t_check(be, 512 * 1024, 4096, 0), 0);
	CHECK_EQ(t_check(be, 512 * 1024 + 4096, 512 * 1024 - 4096, 0x77), 0);
	CHECK_EQ(t_check(be, MIB, 512 * 1024 + 4096, 0), 0);
	CHECK_EQ(t_check(be, MIB + 512 * 1024 + 4096, 512 * 1024 - 4096, 0x77),
		 0);
	be->ops->close(be);
	unlink(path);
	return 0;
}

TEST(file_discard_write_zeroes)
{
	return t_dwz_file(t_path("dwz.img"));
}

/* tmpfs has no ZERO_RANGE: write-zeroes falls back to punching. */
TEST(file_write_zeroes_tmpfs_fallback)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/shm/vdfw-blk-%d.img", getpid());
	if (access("/dev/shm", W_OK))
		return 0;	/* no tmpfs here: nothing to fall back on */
	return t_dwz_file(path);
}

/* ---- file: failures ---- */

/* The file shrank under us: a read past its end makes no progress. */
TEST(file_short_read_is_eio)
{
	struct blk_devcfg cfg = t_cfg(&blk_file_backend, t_path("shrink.img"),
				      MIB, false);
	static uint8_t buf[8192];
	struct blk_backend *be;

	unlink(cfg.path);
	CHECK_EQ(t_open(&be, &cfg), 0);
	CHECK_EQ(t_fill(be, 0, MIB, 0x42), 0);
	CHECK_EQ(truncate(cfg.path, 512 * 1024 + 4096), 0);
	/* Straddles the new end: the first part arrives, then EOF. */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(t_io(be, BLK_IO_READ, 512 * 1024, buf, sizeof(buf)), -EIO);
	CHECK(all_bytes(buf, 4096, 0x42));
	CHECK_EQ(t_io(be, BLK_IO_READ, 768 * 1024, buf, 512), -EIO);
	CHECK_EQ(t_check(be, 0, 4096, 0x42), 0);
	CHECK_EQ(be->inflight, 0);
	be->ops->close(be);
	unlink(cfg.path);
	return 0;
}

/* Swap the backend's fd for @fd (same number) and try @op. */
static int t_swapped(const char *name, int (*reopen)(const char *),
		     enum blk_io_op op)
{
	struct blk_devcfg cfg = t_cfg(&blk_file_backend, t_path(name), MIB,
				      false);
	static uint8_t buf[4096];
	struct blk_backend *be;
	int fd, ret;

	unlink(cfg.path);
	if (t_open(&be, &cfg))
		return -1000;
	fd = reopen(cfg.path);
	if (fd < 0 || dup2(fd, blk_file_fd(be)) < 0)
		return -1001;
	close(fd);
	memset(buf, 0xee, sizeof(buf));
	ret = t_io(be, op, 0, buf, sizeof(buf));
	be->ops->close(be);
	unlink(cfg.path);
	return ret;
}

static int open_rdonly(const char *path)
{
	return open(path, O_RDONLY);
}

static int open_wronly(const char *path)
{
	return open(path, O_WRONLY);
}

static int open_full(const char *path)
{
	(void)path;
	return open("/dev/full", O_RDWR);
}

TEST(file_fd_errors)
{
	CHECK_EQ(t_swapped("ebadf.img", open_rdonly, BLK_IO_WRITE), -EBADF);
	CHECK_EQ(t_swapped("ebadf.img", open_wronly, BLK_IO_READ), -EBADF);
	CHECK_EQ(t_swapped("full.img", open_full, BLK_IO_WRITE), -ENOSPC);
	return 0;
}

/*
 * RLIMIT_FSIZE inside the device: a write across the limit is cut short,
 * the backend continues it, and the continuation fails with EFBIG.
 */
TEST(file_short_write_then_efbig)
{
	struct blk_devcfg cfg = t_cfg(&blk_file_backend, t_path("fsize.img"),
				      MIB, false);
	struct rlimit old, lim = { 512 * 1024, RLIM_INFINITY };
	static uint8_t buf[8192];
	struct blk_backend *be;
	int ret;

	unlink(cfg.path);
	CHECK_EQ(t_open(&be, &cfg), 0);
	signal(SIGXFSZ, SIG_IGN);
	CHECK_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim.rlim_max = old.rlim_max;
	CHECK_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
	memset(buf, 0x99, sizeof(buf));
	ret = t_io(be, BLK_IO_WRITE, 512 * 1024 - 4096, buf, sizeof(buf));
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK_EQ(ret, -EFBIG);
	/* The part below the limit was written, the rest was not. */
	CHECK_EQ(t_check(be, 512 * 1024 - 4096, 4096, 0x99), 0);
	CHECK_EQ(t_check(be, 512 * 1024, 4096, 0), 0);
	be->ops->close(be);
	unlink(cfg.path);
	return 0;
}

/* A real ENOSPC: the file lives on a 64 KiB tmpfs.  Needs CAP_SYS_ADMIN. */
TEST(file_full_filesystem)
{
	char mnt[96], path[128];
	struct blk_devcfg cfg;
	struct blk_backend *be;
	int ret;

	snprintf(mnt, sizeof(mnt), "%s/mnt", tmpdir);
	snprintf(path, sizeof(path), "%s/disk.img", mnt);
	CHECK_EQ(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k")) {
		rmdir(mnt);
		SKIP("cannot mount a tmpfs (not root?)");
	}
	cfg = t_cfg(&blk_file_backend, path, 4 * MIB, false);
	ret = t_open(&be, &cfg);
	if (!ret) {
		ret = t_fill(be, 0, 256 * 1024, 0x55);
		be->ops->close(be);
	}
	umount(mnt);
	rmdir(mnt);
	CHECK_EQ(ret, -ENOSPC);
	return 0;
}

/* A block device (loop): its size is checked and it moves data. */
TEST(file_block_device)
{
	struct blk_devcfg cfg;
	struct loop_config lc = { 0 };
	struct blk_backend *be;
	char dev[32];
	int ctl, nr, bfd, lfd = -1, ret;

	bfd = open(t_path("loop.img"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(bfd >= 0 && !ftruncate(bfd, 2 * MIB));
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	nr = ctl < 0 ? -1 : ioctl(ctl, LOOP_CTL_GET_FREE);
	snprintf(dev, sizeof(dev), "/dev/loop%d", nr);
	if (nr >= 0)
		lfd = open(dev, O_RDWR | O_CLOEXEC);
	lc.fd = bfd;
	if (lfd < 0 || ioctl(lfd, LOOP_CONFIGURE, &lc)) {
		/* No loop devices here. */
		ret = 1;
		snprintf(check_why, sizeof(check_why), "no loop device available");
		goto out;
	}
	/* Bigger than the device: refused. */
	cfg = t_cfg(&blk_file_backend, dev, 4 * MIB, false);
	ret = t_open(&be, &cfg) == -ENOSPC ? 0 : -1;
	cfg.capacity = 2 * MIB;
	if (!ret)
		ret = t_open(&be, &cfg);
	if (!ret) {
		struct blk_backend *second;

		/* Opened exclusively: a second user is turned away. */
		ret = t_open(&second, &cfg) == -EBUSY ? 0 : -1;
		ret = ret ?: t_fill(be, MIB, 65536, 0x6b) ?:
		      t_check(be, MIB, 65536, 0x6b) ?:
		      t_zero(be, BLK_IO_WRITE_ZEROES, MIB, 4096, true) ?:
		      t_check(be, MIB, 4096, 0) ?:
		      t_zero(be, BLK_IO_DISCARD, 0, 65536, false) ?:
		      t_zero(be, BLK_IO_FLUSH, 0, 0, false);
		be->ops->close(be);
	}
	ioctl(lfd, LOOP_CLR_FD);
out:
	if (lfd >= 0)
		close(lfd);
	if (ctl >= 0)
		close(ctl);
	close(bfd);
	unlink(t_path("loop.img"));
	if (ret == 1)
		return 1;	/* skipped: check_why says why */
	CHECK_EQ(ret, 0);
	return 0;
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vdfw-blkbe-XXXXXX");
	if (!mkdtemp(tmpdir) || loop_init())
		return 2;
	RUN(ram_rw_roundtrip);
	RUN(ram_sparse_discard_releases_pages);
	RUN(ram_write_zeroes);
	RUN(ram_readonly);
	RUN(null_ops);
	RUN(file_create_missing);
	RUN(file_open_refusals);
	RUN(file_readonly_opens_rdonly);
	RUN(file_rw_async_via_loop);
	RUN(file_batch_larger_than_sq);
	RUN(file_discard_write_zeroes);
	RUN(file_write_zeroes_tmpfs_fallback);
	RUN(file_short_read_is_eio);
	RUN(file_fd_errors);
	RUN(file_short_write_then_efbig);
	RUN(file_full_filesystem);
	RUN(file_block_device);
	loop_exit();
	rmdir(tmpdir);
	return check_failed != 0;
}
