// SPDX-License-Identifier: GPL-2.0
/*
 * SIGBUS containment (core/fault.c) and what the device makes of it: a
 * shared mapping whose backing is gone must not kill the process, a RAM
 * disk whose tmpfs is full must fail I/O instead of losing it, and a
 * request whose guest memory raised SIGBUS never completes with OK (the
 * handler's scratch page took the bytes, so the data never reached the
 * disk or the driver).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_blk.h>

#include "check.h"
#include "models/blk_backend.h"
#include "core/fault.h"
#include "core/loop.h"
#include "devtable/devtable.h"
#include "models/blk.h"
#include "simdrv.h"
#include "virtio/vdev.h"

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
		.name = "tram", .capacity = 8 << 20,
		.backend = &blk_ram_backend, .block_size = 512,
		.num_queues = 1, .queue_size = 16,
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
	ret = blk_ram_backend.open(&be, &cfg);
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

/* ---- a blk request whose guest memory raises SIGBUS ---- */

#define GMEM (1u << 20)
#define LAST_PAGE (SIM_IOVA_BASE + GMEM - SIM_PAGE)

static void t_config_irq(struct vdev *d)
{
	(void)d;
}

static const struct vdev_transport_ops t_transport = {
	.config_irq = t_config_irq,
};

/*
 * One request: header, @len bytes of data in the last page of guest
 * memory, status.  After it is posted, the guest memory file is cut below
 * that page, as a memory backend that lost its pages would: any access to
 * it is SIGBUS.  Returns the status byte, or -1.
 */
static int t_sigbus_req(const struct blk_backend_kind *kind, uint32_t type,
			unsigned int *faults)
{
	struct blk_devcfg cfg = {
		.name = "tfault", .capacity = 1 << 20, .backend = kind,
		.block_size = 512, .num_queues = 1, .queue_size = 16,
	};
	struct virtio_blk_outhdr hdr = { .type = htole32(type),
					 .sector = htole64(8) };
	static uint8_t data[SIM_PAGE];
	struct sim_seg seg[3] = {
		{ .len = sizeof(hdr), .data = &hdr },
		{ .len = SIM_PAGE, .write = type == VIRTIO_BLK_T_IN,
		  .data = data, .iova = LAST_PAGE },
		{ .len = 1, .write = true },
	};
	char path[96];
	struct sim_mem m;
	struct sim_vq q;
	struct vdev d;
	unsigned int seq, i;
	uint16_t head;
	uint32_t len;
	uint8_t st = 0xff;
	int ret = -1;

	memset(&d, 0, sizeof(d));
	memset(data, 0xa5, sizeof(data));
	snprintf(path, sizeof(path), "%s/disk", tmpdir);
	cfg.path = path;
	setenv("VDUSED_RUN_DIR", tmpdir, 1);	/* the RAM disk's file */
	d.name = cfg.name;
	if (blk_model_init(&d, &cfg))
		return -1;
	if (sim_mem_init(&m, GMEM, 4))
		goto out_model;
	if (sim_vq_init(&q, &m, 16, d.features) ||
	    sim_vq_start(&q, &d.vqs[0]))
		goto out_mem;
	d.driver_features = d.features;
	d.transport = &t_transport;
	d.state = VDEV_RUNNING;
	if (d.ops->start(&d))
		goto out_vq;
	if (sim_vq_add_chain(&q, seg, 3) < 0 ||
	    ftruncate(m.fd, GMEM - SIM_PAGE))
		goto out_stop;
	seq = fault_seq();
	sim_vq_publish(&q);
	d.ops->queue_kick(&d, &d.vqs[0]);
	for (i = 0; i < 100 && sim_vq_used(&q, &head, &len) == 0; i++)
		loop_wait(50);
	*faults = fault_seq() - seq;
	if (i < 100 && sim_read(&m, seg[2].iova, &st, 1))
		ret = st;
out_stop:
	d.ops->stop(&d);
	while (d.ops->inflight(&d))
		loop_wait(50);
out_vq:
	d.ops->destroy(&d);
	virtq_stop(&d.vqs[0]);
	sim_vq_free(&q);
	sim_mem_free(&m);
	unlink(path);
	return ret;
out_model:
	d.ops->destroy(&d);
	return ret;
out_mem:
	sim_mem_free(&m);
	goto out_model;
}

/*
 * The RAM backend copies with the CPU: the copy faults, the handler lets
 * it finish on a scratch page, and the request must say IOERR.
 */
TEST(sigbus_write_ram_not_ok)
{
	unsigned int faults = 0;

	CHECK_EQ(t_sigbus_req(&blk_ram_backend, VIRTIO_BLK_T_OUT, &faults),
		 VIRTIO_BLK_S_IOERR);
	CHECK(faults >= 1);	/* it really was SIGBUS, not a refused iova */
	return 0;
}

TEST(sigbus_read_ram_not_ok)
{
	unsigned int faults = 0;

	CHECK_EQ(t_sigbus_req(&blk_ram_backend, VIRTIO_BLK_T_IN, &faults),
		 VIRTIO_BLK_S_IOERR);
	CHECK(faults >= 1);
	return 0;
}

/* io_uring copies in the kernel: EFAULT there, still never OK. */
TEST(sigbus_write_file_not_ok)
{
	unsigned int faults = 0;

	CHECK_EQ(t_sigbus_req(&blk_file_backend, VIRTIO_BLK_T_OUT, &faults),
		 VIRTIO_BLK_S_IOERR);
	return 0;
}

TEST(sigbus_read_file_not_ok)
{
	unsigned int faults = 0;

	CHECK_EQ(t_sigbus_req(&blk_file_backend, VIRTIO_BLK_T_IN, &faults),
		 VIRTIO_BLK_S_IOERR);
	return 0;
}

int main(void)
{
	if (!mkdtemp(tmpdir) || fault_init() || loop_init())
		return 1;
	RUN(sigbus_is_contained);
	RUN(ram_full_tmpfs_fails_io);
	RUN(sigbus_write_ram_not_ok);
	RUN(sigbus_read_ram_not_ok);
	RUN(sigbus_write_file_not_ok);
	RUN(sigbus_read_file_not_ok);
	loop_exit();
	rmdir(tmpdir);
	return check_failed != 0;
}
