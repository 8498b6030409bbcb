// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk over a blk_backend.
 *
 * A kick drains the queue: every chain is parsed and validated here (a
 * backend only ever sees in-range, aligned, permitted operations), handed to
 * the backend, and the completions of the batch are published with one
 * virtq_flush(), i.e. at most one interrupt.  Completions that arrive later
 * from the backend's own loop handler are published per handler run.
 *
 * Requests live in a per-queue pool of queue_size slots, reused LIFO and
 * handed out in order, so only as many slots as were ever in flight at
 * once are touched (RSS).  stop() bumps the queue generation: a request
 * from an older generation is dropped on completion without touching the
 * rings, which by then belong to a reset (or dead) driver.
 *
 * A request references the IOVA regions its chain uses (req->refs) from
 * pop until the backend is done with it, whatever its generation, so no
 * region under its iovecs is released meanwhile; one whose memory the
 * driver took away (or that faulted) completes with IOERR, never OK.
 * When the cache has no room for another chain's regions, the queue
 * stops popping like when its pool is empty, and resumes on completion.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "../core/compiler.h"
#include "../core/iov.h"
#include "../core/log.h"
#include "../devtable/devtable.h"
#include "../virtio/vdev.h"
#include "blk.h"
#include "blk_backend.h"

#define BLK_IOV_MAX (BLK_SEG_MAX + 2)
#define BLK_HDR_LEN sizeof(struct virtio_blk_outhdr)
#define BLK_SECTOR_SHIFT 9

struct blk_range {
	uint64_t off;
	uint64_t len;
	bool unmap;
};

struct blk_queue;

struct blk_req {
	struct blk_io io;		/* first: the backend's view */
	struct blk_queue *q;
	struct blk_req *next_free;
	uint8_t *status;		/* the chain's last writable byte */
	uint64_t status_iova;		/* ... and the IOVA it stands for */
	uint32_t gen;			/* queue generation it belongs to */
	uint32_t written;		/* data bytes for the driver (if OK) */
	uint16_t head;
	uint8_t nr_ranges;		/* discard / write-zeroes */
	uint8_t cur_range;
	struct iova_refs refs;		/* regions the chain uses */
	/* The iovecs are dead once discard ranges are parsed: share them. */
	union {
		struct iovec iov[BLK_IOV_MAX];
		struct blk_range ranges[BLK_DWZ_SEG_MAX];
	};
};

_Static_assert(BLK_DWZ_SEG_MAX <= 255, "nr_ranges is a byte");

struct blk_queue {
	struct blk_dev *bd;
	struct virtq *vq;
	struct blk_req *pool;		/* [size], pages touched on first use */
	unsigned int size;
	unsigned int fresh;		/* slots never handed out start here */
	struct blk_req *free;		/* LIFO: the hottest slot first */
	unsigned int inflight;		/* requests owned by the backend */
	uint32_t gen;
	bool running;
	bool dirty;			/* pushed, not yet flushed */
	bool starved;			/* stopped popping: pool empty, or no IOVA room */
};

/* Counters, written out on SIGUSR1 (see devices.c). */
struct blk_stats {
	uint64_t read, write, flush, get_id, discard, write_zeroes, unknown;
	uint64_t read_bytes, write_bytes;
	uint64_t ioerr, unsupp;
	uint64_t mem_lost;		/* driver memory died under a request */
};

struct blk_dev {
	struct vdev *d;
	struct blk_stats st;
	const struct blk_devcfg *cfg;
	struct blk_backend *be;
	uint64_t sectors;
	uint32_t align;			/* bytes; I/O must be a multiple */
	char serial[VIRTIO_BLK_ID_BYTES];
	struct blk_req *pool;
	size_t pool_len;
	struct blk_queue q[VDEV_MAX_VQS];
};

static struct blk_req *blk_req_alloc(struct blk_queue *q)
{
	struct blk_req *req = q->free;

	if (req) {
		q->free = req->next_free;
		return req;
	}
	if (q->fresh == q->size)
		return NULL;
	req = &q->pool[q->fresh++];
	req->q = q;
	return req;
}

static void blk_req_free(struct blk_queue *q, struct blk_req *req)
{
	req->next_free = q->free;
	q->free = req;
}

/* Report @status and give the chain back, unless the queue moved on. */
static void blk_req_done(struct blk_req *req, uint8_t status)
{
	struct blk_queue *q = req->q;
	struct blk_stats *st = &q->bd->st;
	uint32_t len = 0;

	/* Its data never reached (or came from) the driver's memory. */
	if (!iova_refs_ok(&req->refs)) {
		if (status == VIRTIO_BLK_S_OK) {
			st->mem_lost++;
			status = VIRTIO_BLK_S_IOERR;
		}
		/*
		 * The status byte's old view may be the revoked one: write
		 * where the driver maps that address now, or nowhere.
		 */
		if (req->status)
			req->status = iova_ptr(q->vq->iova, req->status_iova, 1,
					       IOVA_PERM_WRITE);
	}
	if (status == VIRTIO_BLK_S_IOERR)
		st->ioerr++;
	else if (status == VIRTIO_BLK_S_UNSUPP)
		st->unsupp++;
	else if (req->io.op == BLK_IO_WRITE)
		st->write_bytes += req->io.len;
	else
		st->read_bytes += req->written;

	if (req->gen == q->gen) {
		if (req->status) {
			*req->status = status;
			len = 1;
			if (status == VIRTIO_BLK_S_OK)
				len += req->written;
		}
		virtq_push(q->vq, req->head, len);
		q->dirty = true;
	}
	iova_refs_put(q->vq->iova, &req->refs);
	blk_req_free(q, req);
}

static void blk_req_submit(struct blk_req *req)
{
	req->q->inflight++;
	blk_backend_submit(req->q->bd->be, &req->io);
}

/* The writable part minus the status byte. */
static struct iovec *blk_in_data(struct virtq_elem *e, unsigned int *cnt)
{
	struct iovec *iov = e->iov + e->out_num;

	*cnt = e->in_num;
	iov_trim(iov, cnt, 1);
	return iov;
}

/* ---- request types ---- */

/* Is [sector, sector + bytes) on the disk and block aligned?  Never wraps. */
static bool blk_range_ok(const struct blk_dev *bd, uint64_t sector,
			 uint64_t bytes)
{
	uint64_t align_sectors = bd->align >> BLK_SECTOR_SHIFT;

	if ((bytes & (bd->align - 1)) || (sector & (align_sectors - 1)))
		return false;
	return sector <= bd->sectors &&
	       bytes >> BLK_SECTOR_SHIFT <= bd->sectors - sector;
}

static void blk_rw(struct blk_req *req, struct virtq_elem *e,
		   uint64_t sector, bool write)
{
	struct blk_dev *bd = req->q->bd;
	struct iovec *iov;
	unsigned int cnt;
	uint64_t len;

	if (write) {
		/* Only the status may be writable; nothing on a RO disk. */
		if (bd->cfg->readonly || e->in_len != 1)
			goto ioerr;
		cnt = e->out_num;
		iov = iov_skip(e->iov, &cnt, BLK_HDR_LEN);
		len = e->out_len - BLK_HDR_LEN;
	} else {
		if (e->out_len != BLK_HDR_LEN)
			goto ioerr;
		iov = blk_in_data(e, &cnt);
		len = e->in_len - 1;
	}
	if (!blk_range_ok(bd, sector, len))
		goto ioerr;
	if (!len) {
		blk_req_done(req, VIRTIO_BLK_S_OK);
		return;
	}
	req->written = write ? 0 : len;
	req->io.op = write ? BLK_IO_WRITE : BLK_IO_READ;
	req->io.offset = sector << BLK_SECTOR_SHIFT;
	req->io.len = len;
	req->io.iov = iov;
	req->io.iovcnt = cnt;
	blk_req_submit(req);
	return;

ioerr:
	blk_req_done(req, VIRTIO_BLK_S_IOERR);
}

static void blk_get_id(struct blk_req *req, struct virtq_elem *e)
{
	unsigned int cnt;
	struct iovec *iov = blk_in_data(e, &cnt);
	/* 20 bytes; a shorter serial is NUL padded, a 20-byte one is not. */
	size_t n = MIN((size_t)e->in_len - 1, (size_t)VIRTIO_BLK_ID_BYTES);

	if (!n) {
		blk_req_done(req, VIRTIO_BLK_S_IOERR);
		return;
	}
	iov_write(iov, cnt, 0, req->q->bd->serial, n);
	req->written = n;
	blk_req_done(req, VIRTIO_BLK_S_OK);
}

/* Start the next non-empty discard / write-zeroes range, or finish. */
static void blk_ranges_next(struct blk_req *req)
{
	struct blk_range *r;

	while (req->cur_range < req->nr_ranges &&
	       !req->ranges[req->cur_range].len)
		req->cur_range++;
	if (req->cur_range == req->nr_ranges) {
		blk_req_done(req, VIRTIO_BLK_S_OK);
		return;
	}
	r = &req->ranges[req->cur_range++];
	req->io.offset = r->off;
	req->io.len = r->len;
	req->io.unmap = r->unmap;
	blk_req_submit(req);
}

/* Parse and check every range before the backend sees any of them. */
static uint8_t blk_parse_ranges(struct blk_req *req, struct virtq_elem *e,
				bool discard)
{
	struct virtio_blk_discard_write_zeroes seg[BLK_DWZ_SEG_MAX];
	const struct blk_dev *bd = req->q->bd;
	uint32_t max = discard ? bd->be->max_discard_sectors :
				 bd->be->max_write_zeroes_sectors;
	size_t len = e->out_len - BLK_HDR_LEN;
	unsigned int i, n = len / sizeof(seg[0]);
	uint32_t flags, nsec;
	uint64_t sector, bytes;

	if (e->in_len != 1 || !n || len % sizeof(seg[0]) ||
	    n > BLK_DWZ_SEG_MAX ||
	    iov_read(e->iov, e->out_num, BLK_HDR_LEN, seg, len) != len)
		return VIRTIO_BLK_S_IOERR;
	/* From here on the iovecs are dead: ranges[] reuses their storage. */
	for (i = 0; i < n; i++) {
		sector = le64toh(seg[i].sector);
		nsec = le32toh(seg[i].num_sectors);
		flags = le32toh(seg[i].flags);
		/* The spec wants UNSUPP for flags we do not know or allow. */
		if ((flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) ||
		    (discard && flags))
			return VIRTIO_BLK_S_UNSUPP;
		bytes = (uint64_t)nsec << BLK_SECTOR_SHIFT;
		if (nsec > max || !blk_range_ok(bd, sector, bytes))
			return VIRTIO_BLK_S_IOERR;
		req->ranges[i].off = sector << BLK_SECTOR_SHIFT;
		req->ranges[i].len = bytes;
		req->ranges[i].unmap = flags != 0;
	}
	req->nr_ranges = n;
	return VIRTIO_BLK_S_OK;
}

static void blk_dwz(struct blk_req *req, struct virtq_elem *e, bool discard)
{
	const struct blk_dev *bd = req->q->bd;
	uint8_t status = VIRTIO_BLK_S_IOERR;

	if (bd->cfg->readonly)
		goto done;
	status = VIRTIO_BLK_S_UNSUPP;
	if (!vdev_has_feature(bd->d, discard ? VIRTIO_BLK_F_DISCARD :
					       VIRTIO_BLK_F_WRITE_ZEROES))
		goto done;
	status = blk_parse_ranges(req, e, discard);
	if (status != VIRTIO_BLK_S_OK)
		goto done;
	req->io.op = discard ? BLK_IO_DISCARD : BLK_IO_WRITE_ZEROES;
	blk_ranges_next(req);
	return;

done:
	blk_req_done(req, status);
}

static void blk_req_start(struct blk_req *req, struct virtq_elem *e)
{
	struct blk_stats *st = &req->q->bd->st;
	struct virtio_blk_outhdr hdr;

	if (!req->status) {
		/* Nowhere to report anything: hand the chain back untouched. */
		blk_req_done(req, VIRTIO_BLK_S_IOERR);
		return;
	}
	if (iov_read(e->iov, e->out_num, 0, &hdr, sizeof(hdr)) != sizeof(hdr)) {
		blk_req_done(req, VIRTIO_BLK_S_IOERR);
		return;
	}
	switch (le32toh(hdr.type)) {
	case VIRTIO_BLK_T_IN:
		st->read++;
		blk_rw(req, e, le64toh(hdr.sector), false);
		break;
	case VIRTIO_BLK_T_OUT:
		st->write++;
		blk_rw(req, e, le64toh(hdr.sector), true);
		break;
	case VIRTIO_BLK_T_FLUSH:
		st->flush++;
		req->io.op = BLK_IO_FLUSH;
		blk_req_submit(req);
		break;
	case VIRTIO_BLK_T_GET_ID:
		st->get_id++;
		blk_get_id(req, e);
		break;
	case VIRTIO_BLK_T_DISCARD:
		st->discard++;
		blk_dwz(req, e, true);
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		st->write_zeroes++;
		blk_dwz(req, e, false);
		break;
	default:
		st->unknown++;
		blk_req_done(req, VIRTIO_BLK_S_UNSUPP);
		break;
	}
}

/* A chain was consumed into @req (@ret from virtq_pop/virtq_map_head). */
static void blk_req_begin(struct blk_queue *q, struct blk_req *req,
			  struct virtq_elem *e, int ret)
{
	req->head = e->head;
	req->status = e->in_last;
	req->status_iova = e->in_last_iova;
	req->gen = q->gen;
	req->written = 0;
	req->nr_ranges = 0;
	req->cur_range = 0;
	memset(&req->io, 0, sizeof(req->io));
	if (ret == -ENOSPC)
		blk_req_done(req, VIRTIO_BLK_S_IOERR);
	else
		blk_req_start(req, e);
}

/* ---- queues ---- */

static void blk_queue_publish(struct blk_queue *q)
{
	if (!q->dirty)
		return;
	q->dirty = false;
	virtq_flush(q->vq);
}

/* Pop and start everything available.  Returns 0 or -EPROTO. */
static int blk_queue_pop_all(struct blk_queue *q)
{
	struct virtq_elem e;
	struct blk_req *req;
	int ret;

	q->starved = false;
	for (;;) {
		req = blk_req_alloc(q);
		if (!req) {
			/* Stale requests hold slots; resumed on completion. */
			q->starved = true;
			return 0;
		}
		e.iov = req->iov;
		e.iov_max = BLK_IOV_MAX;
		e.refs = &req->refs;
		ret = virtq_pop(q->vq, &e);
		if (ret == -EBUSY) {
			/* Requests in flight hold the IOVA cache: wait for them. */
			blk_req_free(q, req);
			q->starved = true;
			return 0;
		}
		if (ret == 0 || ret == -EPROTO) {
			blk_req_free(q, req);
			return ret;
		}
		blk_req_begin(q, req, &e, ret);
	}
}

static void blk_queue_run(struct blk_queue *q)
{
	struct blk_dev *bd = q->bd;
	int ret;

	do {
		virtq_disable_kicks(q->vq);
		ret = blk_queue_pop_all(q);
		/* The batch is complete: one syscall, then one interrupt. */
		bd->be->ops->unplug(bd->be);
		blk_queue_publish(q);
		if (ret) {
			vdev_vq_broken(bd->d, q->vq);
			return;
		}
	} while (!q->starved && virtq_enable_kicks(q->vq));
}

static void blk_io_complete(struct blk_backend *be, struct blk_io *io)
{
	struct blk_req *req = container_of(io, struct blk_req, io);
	struct blk_queue *q = req->q;

	q->inflight--;
	if (io->res) {
		dev_dbg(be->name, "blk: request %u failed: %s", req->head,
			strerror(-io->res));
		blk_req_done(req, VIRTIO_BLK_S_IOERR);
	} else if (req->cur_range < req->nr_ranges && req->gen == q->gen) {
		blk_ranges_next(req);
	} else {
		blk_req_done(req, VIRTIO_BLK_S_OK);
	}
}

/* The backend's handler finished a run of completions. */
static void blk_io_complete_batch(struct blk_backend *be)
{
	struct blk_dev *bd = be->owner;
	struct blk_queue *q;
	unsigned int i;

	for (i = 0; i < bd->d->nr_vqs; i++) {
		q = &bd->q[i];
		if (!q->running)
			continue;
		blk_queue_publish(q);
		if (q->starved)
			blk_queue_run(q);
	}
}

/* ---- vdev_model_ops ---- */

static struct blk_queue *blk_queue_of(struct vdev *d, struct virtq *vq)
{
	struct blk_dev *bd = d->model;

	if (vq->index >= d->nr_vqs || &d->vqs[vq->index] != vq)
		return NULL;
	return &bd->q[vq->index];
}

static int blk_start(struct vdev *d)
{
	struct blk_dev *bd = d->model;
	unsigned int i;

	/* Without BLK_SIZE the driver only knows 512-byte sectors. */
	bd->align = vdev_has_feature(d, VIRTIO_BLK_F_BLK_SIZE) ?
		    bd->cfg->block_size : 512;
	for (i = 0; i < d->nr_vqs; i++)
		bd->q[i].running = true;
	return 0;
}

static void blk_queue_kick(struct vdev *d, struct virtq *vq)
{
	struct blk_queue *q = blk_queue_of(d, vq);

	if (q && q->running && vq->num && !vq->broken)
		blk_queue_run(q);
}

static void blk_stop(struct vdev *d)
{
	struct blk_dev *bd = d->model;
	unsigned int i;

	for (i = 0; i < d->nr_vqs; i++) {
		bd->q[i].running = false;
		bd->q[i].gen++;
		bd->q[i].dirty = false;
		bd->q[i].starved = false;
	}
}

static void blk_resubmit(struct vdev *d, struct virtq *vq, uint16_t head)
{
	struct blk_queue *q = blk_queue_of(d, vq);
	struct iova_refs refs = { 0 };
	struct blk_req *req;
	struct virtq_elem e;
	struct iovec iov;
	int ret;

	if (!q || !q->running || !vq->num || vq->broken)
		return;
	req = blk_req_alloc(q);
	e.iov = req ? req->iov : &iov;
	e.iov_max = req ? BLK_IOV_MAX : 1;
	e.refs = req ? &req->refs : &refs;
	ret = virtq_map_head(vq, head, &e);
	if (ret != 1 && ret != -ENOSPC) {
		if (req)
			blk_req_free(q, req);
		if (ret == -EPROTO)
			vdev_vq_broken(d, vq);
		else if (ret == -EBUSY)
			/* It cannot be redone, and must not be answered OK. */
			vdev_needs_reset(d, "no IOVA room to redo the requests "
					 "in flight before the restart");
		else
			dev_info(d->name, "blk: vq %u: head %u not in flight",
				 vq->index, head);
		return;
	}
	if (!req) {
		/* No slot (stale requests): the chain still gets an answer. */
		if (e.in_last)
			*e.in_last = VIRTIO_BLK_S_IOERR;
		virtq_push(vq, head, e.in_last ? 1 : 0);
		iova_refs_fini(vq->iova, &refs);
		q->dirty = true;
	} else {
		blk_req_begin(q, req, &e, ret);
	}
	q->bd->be->ops->unplug(q->bd->be);
	blk_queue_publish(q);
}

static unsigned int blk_inflight(const struct vdev *d)
{
	const struct blk_dev *bd = d->model;
	unsigned int i, n = 0;

	for (i = 0; i < d->nr_vqs; i++)
		n += bd->q[i].inflight;
	return n;
}

static void blk_destroy(struct vdev *d)
{
	struct blk_dev *bd = d->model;
	unsigned int i, j;

	if (!bd)
		return;
	bd->be->ops->close(bd->be);
	/* Every request is done by now: only grown reference sets remain. */
	for (i = 0; i < d->nr_vqs; i++)
		for (j = 0; j < bd->q[i].fresh; j++)
			iova_refs_fini(&d->iova, &bd->q[i].pool[j].refs);
	munmap(bd->pool, bd->pool_len);
	free(bd);
	d->model = NULL;
}

static void blk_dump_stats(const struct vdev *d, int fd)
{
	const struct blk_dev *bd = d->model;
	const struct blk_stats *st = &bd->st;

	stat_line(fd, "read", st->read);
	stat_line(fd, "write", st->write);
	stat_line(fd, "flush", st->flush);
	stat_line(fd, "get_id", st->get_id);
	stat_line(fd, "discard", st->discard);
	stat_line(fd, "write_zeroes", st->write_zeroes);
	stat_line(fd, "unknown", st->unknown);
	stat_line(fd, "read_bytes", st->read_bytes);
	stat_line(fd, "write_bytes", st->write_bytes);
	stat_line(fd, "ioerr", st->ioerr);
	stat_line(fd, "unsupp", st->unsupp);
	stat_line(fd, "mem_lost", st->mem_lost);
}

static const struct vdev_model_ops blk_ops = {
	.kind = "blk",
	.dump_stats = blk_dump_stats,
	.start = blk_start,
	.queue_kick = blk_queue_kick,
	.stop = blk_stop,
	.resubmit = blk_resubmit,
	.inflight = blk_inflight,
	.destroy = blk_destroy,
};

/* ---- setup ---- */

static int blk_open_backend(struct blk_backend **bep,
			    const struct blk_devcfg *cfg)
{
	if (!cfg->backend)
		return -EINVAL;
	return cfg->backend->open(bep, cfg);
}

static uint64_t blk_features(const struct blk_devcfg *cfg,
			     const struct blk_backend *be)
{
	/*
	 * Never CONFIG_WCE: VDUSE refuses it (config space is read-only to
	 * the driver).  FLUSH alone makes the driver treat us as writeback.
	 */
	uint64_t f = 1ULL << VIRTIO_BLK_F_SEG_MAX |
		     1ULL << VIRTIO_BLK_F_SIZE_MAX |
		     1ULL << VIRTIO_BLK_F_BLK_SIZE |
		     1ULL << VIRTIO_BLK_F_TOPOLOGY |
		     1ULL << VIRTIO_BLK_F_FLUSH |
		     1ULL << VIRTIO_RING_F_INDIRECT_DESC |
		     1ULL << VIRTIO_RING_F_EVENT_IDX |
		     1ULL << VIRTIO_F_VERSION_1 |
		     1ULL << VIRTIO_F_ACCESS_PLATFORM;

	if (cfg->num_queues > 1)
		f |= 1ULL << VIRTIO_BLK_F_MQ;
	if (cfg->readonly)
		f |= 1ULL << VIRTIO_BLK_F_RO;
	else if (be->can_discard)
		f |= 1ULL << VIRTIO_BLK_F_DISCARD;
	if (!cfg->readonly && be->can_write_zeroes)
		f |= 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
	return f;
}

static void blk_fill_config(struct vdev *d, const struct blk_devcfg *cfg,
			    const struct blk_backend *be)
{
	struct virtio_blk_config c;
	/* Report 4 KiB physical blocks (pages, filesystem blocks). */
	uint32_t phys = MAX(cfg->block_size, 4096u);
	uint8_t exp = __builtin_ctz(phys / cfg->block_size);

	memset(&c, 0, sizeof(c));
	c.capacity = htole64(cfg->capacity >> BLK_SECTOR_SHIFT);
	c.size_max = htole32(BLK_SIZE_MAX);
	/* A chain (data + header + status) may not outgrow the queue. */
	c.seg_max = htole32(MIN(BLK_SEG_MAX, cfg->queue_size - 2u));
	c.blk_size = htole32(cfg->block_size);
	c.physical_block_exp = exp;
	c.min_io_size = htole16(1u << exp);
	c.num_queues = htole16(cfg->num_queues);
	c.max_discard_sectors = htole32(be->max_discard_sectors);
	c.max_discard_seg = htole32(BLK_DWZ_SEG_MAX);
	c.discard_sector_alignment = htole32(phys >> BLK_SECTOR_SHIFT);
	c.max_write_zeroes_sectors = htole32(be->max_write_zeroes_sectors);
	c.max_write_zeroes_seg = htole32(BLK_DWZ_SEG_MAX);
	c.write_zeroes_may_unmap = be->zeroes_may_unmap;
	/* Up to the last field we offer: no secure erase, no zones. */
	d->config_size = offsetof(struct virtio_blk_config,
				  max_secure_erase_sectors);
	memcpy(d->config, &c, d->config_size);
}

static int blk_alloc_queues(struct blk_dev *bd, const struct blk_devcfg *cfg)
{
	unsigned int i;

	/* Reserved, not touched: slots cost memory only once used. */
	bd->pool_len = (size_t)cfg->num_queues * cfg->queue_size *
		       sizeof(struct blk_req);
	bd->pool = mmap(NULL, bd->pool_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (bd->pool == MAP_FAILED)
		return -ENOMEM;
	for (i = 0; i < cfg->num_queues; i++) {
		bd->q[i].bd = bd;
		bd->q[i].vq = &bd->d->vqs[i];
		bd->q[i].pool = bd->pool + (size_t)i * cfg->queue_size;
		bd->q[i].size = cfg->queue_size;
	}
	return 0;
}

int blk_model_init(struct vdev *d, const struct blk_devcfg *cfg)
{
	struct blk_dev *bd;
	int ret;

	if (!cfg->num_queues || cfg->num_queues > VDEV_MAX_VQS)
		return -EINVAL;
	bd = calloc(1, sizeof(*bd));
	if (!bd)
		return -ENOMEM;
	bd->d = d;
	bd->cfg = cfg;
	bd->sectors = cfg->capacity >> BLK_SECTOR_SHIFT;
	bd->align = 512;
	if (cfg->serial)
		memcpy(bd->serial, cfg->serial,
		       strnlen(cfg->serial, sizeof(bd->serial)));
	ret = blk_alloc_queues(bd, cfg);
	if (ret)
		goto err_free;
	ret = blk_open_backend(&bd->be, cfg);
	if (ret)
		goto err_unmap;
	bd->be->owner = bd;
	bd->be->complete = blk_io_complete;
	bd->be->complete_batch = blk_io_complete_batch;

	if (!d->name)
		d->name = cfg->name;
	d->device_id = VIRTIO_ID_BLOCK;
	d->ops = &blk_ops;
	d->model = bd;
	d->features = blk_features(cfg, bd->be);
	d->nr_vqs = cfg->num_queues;
	d->vq_size_max = cfg->queue_size;
	blk_fill_config(d, cfg, bd->be);
	dev_info(d->name, "blk: %llu sectors, %s backend%s, %u queue(s) of %u",
		 (unsigned long long)bd->sectors, bd->be->ops->kind,
		 cfg->readonly ? ", read-only" : "", cfg->num_queues,
		 cfg->queue_size);
	return 0;

err_unmap:
	munmap(bd->pool, bd->pool_len);
err_free:
	free(bd);
	return ret;
}
