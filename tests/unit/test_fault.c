// SPDX-License-Identifier: GPL-2.0
/*
 * SIGBUS containment (core/fault.c) and what the RAM backend makes of it:
 * a shared mapping whose backing is gone must not kill the process, and a
 * RAM disk whose tmpfs is full must fail I/O instead of losing it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "backends/blk_backend.h"
#include "core/fault.h"

CHECK_MAIN_DEFS("test_fault");

static char tmpdir[] = "/tmp/vdfw-fault-XXXXXX";

/* A page of a truncated shared file: reading it would be SIGBUS. */
TEST(sigbus_is_contained)
{
	char path[64];
	unsigned int seq;
	volatile uint8_t *p;
	void *addr;
	int fd;

	snprintf(path, sizeof(path), "%s/f", tmpdir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	CHECK(fd >= 0 && !ftruncate(fd, 8192));
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK(!ftruncate(fd, 0));
	seq = fault_seq();
	p[4100] = 7;			/* faults; the handler patches the page */
	CHECK_EQ(p[4100], 7);		/* the scratch page took the store */
	CHECK_EQ(fault_seq(), seq + 1);
	CHECK(fault_within(seq, (const void *)p, 8192));
	CHECK(!fault_within(seq, (const void *)(p + 8192), 4096));
	CHECK(fault_take(&addr));
	CHECK(addr == (void *)(p + 4100));
	CHECK(!fault_take(&addr));
	munmap((void *)p, 8192);
	close(fd);
	unlink(path);
	return 0;
}

static int done_res = 1;

static void t_complete(struct blk_backend *be, struct blk_io *io)
{
	(void)be;
	done_res = io->res;
}

static int t_write(struct blk_backend *be, uint64_t off, size_t len)
{
	static uint8_t buf[1 << 20];
	struct iovec iov = { buf, len };
	struct blk_io io = {
		.op = BLK_IO_WRITE, .offset = off, .len = len,
		.iov = &iov, .iovcnt = 1,
	};

	memset(buf, 0x5a, len);
	done_res = 1;
	blk_backend_submit(be, &io);
	return done_res;
}

/* RAM disk on a tmpfs that fills up: IOERR from then on, no crash. */
TEST(ram_full_tmpfs_fails_io)
{
	struct blk_devcfg cfg = {
		.name = "tram", .capacity = 8 << 20, .backend = BLK_BACKEND_RAM,
		.block_size = 512, .num_queues = 1, .queue_size = 16,
	};
	struct blk_backend *be;
	char mnt[64];
	int ret, i;

	snprintf(mnt, sizeof(mnt), "%s/run", tmpdir);
	CHECK_EQ(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m")) {
		rmdir(mnt);
		SKIP("cannot mount a tmpfs (not root?)");
	}
	setenv("VDUSED_RUN_DIR", mnt, 1);
	ret = blk_ram_open(&be, &cfg);
	if (!ret) {
		be->complete = t_complete;
		/* 1 MiB fits (almost); the 2nd MiB cannot. */
		for (i = 0; i < 4 && !(ret = t_write(be, (uint64_t)i << 20, 1 << 20)); i++)
			;
		/* Once failed, always failed: even a small write. */
		if (ret == -EIO)
			ret = t_write(be, 0, 512) == -EIO ? -EIO : 0;
		be->ops->close(be);
	}
	umount(mnt);
	rmdir(mnt);
	unsetenv("VDUSED_RUN_DIR");
	CHECK_EQ(ret, -EIO);
	return 0;
}

int main(void)
{
	if (!mkdtemp(tmpdir) || fault_init())
		return 1;
	RUN(sigbus_is_contained);
	RUN(ram_full_tmpfs_fails_io);
	rmdir(tmpdir);
	return check_failed != 0;
}
