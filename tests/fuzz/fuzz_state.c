// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for restart state files and their queue logs: the
 * input is the file an earlier vdused left.  A new vdused opens it for a
 * device of NQ queues of at most QS and restarts as vduse_resume() does
 * (from the file if it was kept, else without state), with the driver's
 * rings derived from the same bytes so that recovery meets rings that
 * agree with the logs, or nearly.  It must never read outside what it
 * mapped, and a kept file must yield only heads < the queue size that are
 * really in flight, and must be what this vdused writes.  Whatever it
 * did, the file it leaves must be one the next vdused keeps.
 *
 * The state file is mapped, so ASan sees no overflow inside its last page;
 * every log slot is therefore also checked from an exact-size heap copy.
 *
 * Build and run: make fuzz (FUZZ_SECONDS=n per target, default 30).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "core/compiler.h"
#include "core/rundir.h"
#include "../unit/simdrv.h"
#include "vduse/start.h"
#include "vduse/state.h"
#include "fuzz_input.h"

#define NAME "fstate0"
#define NQ 2
#define QS 16
#define FEATURES (1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM | \
		  1ULL << VIRTIO_RING_F_EVENT_IDX)
#define MEM_SIZE (64u << 10)
#define BUF_OFF (32u << 10)		/* every descriptor's buffer */

static struct sim_mem M;
static struct sim_vq SQ[NQ];
static struct vdev D;
static struct vduse_state_file SF;
static char dir[64];

/* ---- the model: redoes (completes) each head it is handed ---- */

static int f_start(struct vdev *d)
{
	return 0;
}

static void f_nop(struct vdev *d)
{
}

static void f_kick(struct vdev *d, struct virtq *vq)
{
}

static void f_resubmit(struct vdev *d, struct virtq *vq, uint16_t head)
{
	struct iovec iov[4];
	struct virtq_elem e = { .iov = iov, .iov_max = ARRAY_SIZE(iov) };
	int ret;

	must(head < vq->num);
	ret = virtq_map_head(vq, head, &e);
	/* A head recovery hands out is in flight: never -EINVAL. */
	must(ret == 1 || ret == -ENOSPC || ret == -EPROTO);
	if (ret != -EPROTO)
		virtq_push(vq, head, 0);
}

static const struct vdev_model_ops f_ops = {
	.kind = "fuzz",
	.start = f_start,
	.queue_kick = f_kick,
	.stop = f_nop,
	.resubmit = f_resubmit,
	.destroy = f_nop,
};

/* ---- the kernel ---- */

static int f_vq_info(struct vdev *d, unsigned int i, struct vduse_vq_info *info)
{
	sim_vq_info(&SQ[i], i, info);
	return 0;
}

static int f_vq_started(struct vdev *d, unsigned int i)
{
	return 0;
}

static const struct vduse_start_ops f_start_ops = {
	.vq_info = f_vq_info,
	.vq_started = f_vq_started,
};

static const struct vdev_transport_ops f_transport;

/* ---- input ---- */

static uint16_t raw16(const uint8_t *data, size_t size, unsigned long off)
{
	struct input in = { data + MIN(off, size), size - MIN(off, size) };

	return take(&in, 2);
}

/*
 * The driver's queue @i, made from the bytes of log @i: its size is the
 * log's when that is one a driver could choose (else QS), the indexes are
 * the log's moved by up to 3 (two bits each from the status byte, which
 * nothing else constrains), the avail ring holds the log's heads[], and
 * every descriptor is one writable buffer.
 */
static void driver_queue(const uint8_t *data, size_t size, unsigned int i)
{
	unsigned long base = sizeof(struct vduse_state) + i * SF.stride;
	uint16_t num = raw16(data, size, base), j;
	uint8_t knobs = raw16(data, size, 18) >> (4 * i);
	unsigned long heads;

	if (!num || (num & (num - 1)) || num > QS)
		num = QS;
	heads = base + sizeof(struct virtq_log) + ((num + 1u) & ~1u);
	if (sim_vq_init(&SQ[i], &M, num, FEATURES))
		abort();
	SQ[i].avail->idx = htole16(raw16(data, size, base + 2) + (knobs & 3));
	SQ[i].used->idx = htole16(raw16(data, size, base + 4) + (knobs >> 2 & 3));
	for (j = 0; j < num; j++) {
		SQ[i].avail->ring[j] = htole16(raw16(data, size, heads + 2 * j));
		SQ[i].desc[j].addr = htole64(SIM_IOVA_BASE + BUF_OFF + 64 * j);
		SQ[i].desc[j].len = htole32(64);
		SQ[i].desc[j].flags = htole16(VRING_DESC_F_WRITE);
	}
}

/* The log checker alone, on an exact-size heap copy of each slot. */
static void check_slots(const uint8_t *data, size_t size)
{
	unsigned long base;
	unsigned int i;
	uint8_t *slot;

	for (i = 0; i < NQ; i++) {
		base = sizeof(struct vduse_state) + i * SF.stride;
		slot = calloc(1, SF.stride);
		if (!slot)
			abort();
		if (base < size)
			memcpy(slot, data + base, MIN(SF.stride, size - base));
		virtq_log_check((struct virtq_log *)slot, QS, NULL, 0);
		free(slot);
	}
}

/*
 * A kept file has the header this vdused writes, whatever the driver's
 * status byte, and queue logs that do not overlap.
 */
static void check_kept(const uint8_t *data, size_t size)
{
	struct vduse_state want = {
		.magic = VDUSE_STATE_MAGIC, .nr_vqs = NQ, .features = FEATURES,
		.vq_size = QS, .log_stride = SF.stride,
	};
	unsigned int i;

	must(size >= sizeof(want));
	memcpy(&want.status, data + offsetof(struct vduse_state, status), 1);
	must(!memcmp(data, &want, sizeof(want)));
	for (i = 0; i + 1 < NQ; i++)
		must((char *)vduse_state_log(&SF, i + 1) -
		     (char *)vduse_state_log(&SF, i) >= (long)virtq_log_size(QS));
}

static void write_file(const uint8_t *data, size_t size)
{
	char path[256];
	int fd;

	run_path(path, sizeof(path), NAME, ".state");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

static void cleanup(void)
{
	char path[256];

	run_path(path, sizeof(path), NAME, ".state");
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(dir, sizeof(dir), "%s/vdfw-fuzz-state-XXXXXX",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	if (!mkdtemp(dir) || setenv("VDUSED_RUN_DIR", dir, 1) ||
	    sim_mem_init(&M, MEM_SIZE, 4))
		abort();
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int i;
	int kept;

	/* The regions a previous process (or input) left in D's table. */
	if (D.iova.ops)
		iova_fini(&D.iova);
	memset(&D, 0, sizeof(D));
	D.name = NAME;
	D.ops = &f_ops;
	D.transport = &f_transport;
	D.nr_vqs = NQ;
	D.vq_size_max = QS;
	D.features = D.driver_features = FEATURES;
	iova_init(&D.iova, M.iova.ops, &M);
	for (i = 0; i < NQ; i++) {
		D.vqs[i].index = i;
		D.vqs[i].iova = &D.iova;
		D.vqs[i].notify = sim_vq_notify;
		D.vqs[i].priv = &SQ[i];
	}

	write_file(data, size);
	kept = vduse_state_open(&SF, NAME, NQ, FEATURES, QS, true);
	must(kept == 0 || kept == 1);
	if (kept)
		check_kept(data, size);
	check_slots(data, size);
	sim_mem_clear(&M);
	for (i = 0; i < NQ; i++)
		driver_queue(data, size, i);

	vduse_start_queues(&D, &SF, kept ? VDUSE_START_RESUME : VDUSE_START_GUESS,
			   &f_start_ops);
	for (i = 0; i < NQ; i++) {
		/* Every log handed to the engine lies inside the mapping. */
		must((char *)vduse_state_log(&SF, i) + virtq_log_size(QS) <=
		     (char *)SF.st + SF.size);
		must(D.vqs[i].inflight_nr <= SQ[i].num);
		virtq_flush(&D.vqs[i]);
	}

	/* What this vdused leaves, the next one keeps. */
	vduse_state_close(&SF, NAME, false);
	must(vduse_state_open(&SF, NAME, NQ, FEATURES, QS, true) == 1);
	vduse_stop_queues(&D, &SF);
	vduse_state_close(&SF, NAME, false);
	for (i = 0; i < NQ; i++)
		sim_vq_free(&SQ[i]);
	return 0;
}
