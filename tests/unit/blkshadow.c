// SPDX-License-Identifier: GPL-2.0
/* Shadow-disk oracle for virtio-blk tests; see blkshadow.h. */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_blk.h>

#include "core/compiler.h"
#include "blkshadow.h"

#define SECTOR BLKSHADOW_SECTOR
#define HDR_LEN sizeof(struct virtio_blk_outhdr)

static int fail(struct blkshadow *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->why[0]) {
		va_start(ap, fmt);
		vsnprintf(s->why, sizeof(s->why), fmt, ap);
		va_end(ap);
	}
	return -1;
}

int blkshadow_init(struct blkshadow *s, const struct blkshadow_params *p)
{
	memset(s, 0, sizeof(*s));
	s->p = *p;
	s->sectors = p->capacity / SECTOR;
	s->data = calloc(s->sectors, SECTOR);
	s->known = malloc(s->sectors);
	if (!s->data || !s->known) {
		blkshadow_fini(s);
		return -ENOMEM;
	}
	memset(s->known, 1, s->sectors);
	return 0;
}

static void req_free(struct blkshadow *s, struct blkshadow_req *r)
{
	free(r->wdata);
	r->wdata = NULL;
	r->busy = false;
	s->nr_busy--;
}

void blkshadow_fini(struct blkshadow *s)
{
	unsigned int i;

	for (i = 0; i < BLKSHADOW_MAX_REQS; i++)
		if (s->req[i].busy)
			req_free(s, &s->req[i]);
	free(s->data);
	free(s->known);
	s->data = s->known = NULL;
}

/* The same rule as the device's: whole sectors, on the disk, no wrap. */
static bool range_ok(const struct blkshadow *s, uint64_t sector,
		     uint64_t bytes)
{
	return !(bytes % SECTOR) && sector <= s->sectors &&
	       bytes / SECTOR <= s->sectors - sector;
}

/* Pages a segment touches: a bound on the iovecs it can need. */
static uint64_t seg_pages(const struct sim_seg *g)
{
	return (g->iova + g->len - 1) / SIM_PAGE - g->iova / SIM_PAGE + 1;
}

/* Discard / write-zeroes payload: IOERR, UNSUPP or OK, as the spec says. */
static uint8_t parse_ranges(struct blkshadow *s, struct blkshadow_req *r,
			    const uint8_t *pay, uint64_t len, uint32_t in_len)
{
	bool discard = r->type == VIRTIO_BLK_T_DISCARD;
	uint32_t max = discard ? s->p.max_discard : s->p.max_write_zeroes;
	struct virtio_blk_discard_write_zeroes seg;
	uint64_t n = len / sizeof(seg), i, sector;
	uint32_t nsec, flags;

	if (!(discard ? s->p.discard : s->p.write_zeroes))
		return VIRTIO_BLK_S_UNSUPP;
	if (in_len != 1 || !n || len % sizeof(seg) ||
	    n > BLKSHADOW_MAX_RANGES)
		return VIRTIO_BLK_S_IOERR;
	for (i = 0; i < n; i++) {
		memcpy(&seg, pay + i * sizeof(seg), sizeof(seg));
		sector = le64toh(seg.sector);
		nsec = le32toh(seg.num_sectors);
		flags = le32toh(seg.flags);
		if ((flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) ||
		    (discard && flags))
			return VIRTIO_BLK_S_UNSUPP;
		if (nsec > max || !range_ok(s, sector, (uint64_t)nsec * SECTOR))
			return VIRTIO_BLK_S_IOERR;
		r->range[i] = (struct blkshadow_range){ sector, nsec };
	}
	r->nr_ranges = n;
	return VIRTIO_BLK_S_OK;
}

/* Decide what the device must do with the request; 0 or -errno. */
static int parse(struct blkshadow *s, struct blkshadow_req *r,
		 const struct sim_seg *segs, unsigned int n)
{
	struct virtio_blk_outhdr hdr;
	uint64_t out_len = 0, pages = 0, sector;
	uint32_t in_len = 0, left;
	uint8_t *out, st = VIRTIO_BLK_S_OK;
	unsigned int i, w = n;

	for (i = 0; i < n; i++) {
		pages += seg_pages(&segs[i]);
		if (segs[i].write) {
			if (w == n)
				w = i;
			in_len += segs[i].len;
		} else if (w != n) {
			return -EINVAL;	/* readable after writable */
		} else {
			out_len += segs[i].len;
		}
	}
	out = malloc(out_len + 1);
	if (!out)
		return -ENOMEM;
	for (i = 0, left = 0; i < w; left += segs[i].len, i++)
		sim_read(s->p.mem, segs[i].iova, out + left, segs[i].len);
	r->has_status = in_len > 0;
	if (r->has_status)
		r->status_iova = segs[n - 1].iova + segs[n - 1].len - 1;
	r->data_in = in_len ? in_len - 1 : 0;
	/* The data pieces: every writable byte but the status. */
	for (i = w, left = r->data_in; i < n && left; i++) {
		if (r->nr_in == BLKSHADOW_MAX_SEGS) {
			free(out);
			return -E2BIG;
		}
		r->in[r->nr_in].iova = segs[i].iova;
		r->in[r->nr_in].len = MIN(segs[i].len, left);
		left -= r->in[r->nr_in++].len;
	}
	r->may_fail = pages > BLKSHADOW_IOV_MAX;

	if (!r->has_status || out_len < HDR_LEN) {
		st = VIRTIO_BLK_S_IOERR;
		goto out;
	}
	memcpy(&hdr, out, sizeof(hdr));
	r->type = le32toh(hdr.type);
	sector = le64toh(hdr.sector);
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		if (out_len != HDR_LEN || !range_ok(s, sector, r->data_in)) {
			st = VIRTIO_BLK_S_IOERR;
			break;
		}
		r->lo = sector;
		r->hi = sector + r->data_in / SECTOR;
		break;
	case VIRTIO_BLK_T_OUT:
		if (in_len != 1 || !range_ok(s, sector, out_len - HDR_LEN)) {
			st = VIRTIO_BLK_S_IOERR;
			break;
		}
		r->lo = sector;
		r->hi = sector + (out_len - HDR_LEN) / SECTOR;
		r->writes = r->hi > r->lo;
		r->wdata = malloc(out_len - HDR_LEN + 1);
		if (!r->wdata) {
			free(out);
			return -ENOMEM;
		}
		memcpy(r->wdata, out + HDR_LEN, out_len - HDR_LEN);
		break;
	case VIRTIO_BLK_T_FLUSH:
		break;
	case VIRTIO_BLK_T_GET_ID:
		if (!r->data_in)
			st = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		st = parse_ranges(s, r, out + HDR_LEN, out_len - HDR_LEN,
				  in_len);
		if (st != VIRTIO_BLK_S_OK)
			break;
		r->lo = UINT64_MAX;
		for (i = 0; i < r->nr_ranges; i++) {
			if (!r->range[i].nsec)
				continue;
			r->lo = MIN(r->lo, r->range[i].sector);
			r->hi = MAX(r->hi, r->range[i].sector +
					   r->range[i].nsec);
		}
		if (r->lo > r->hi)
			r->lo = r->hi;
		r->writes = r->hi > r->lo;
		break;
	default:
		st = VIRTIO_BLK_S_UNSUPP;
		break;
	}
out:
	free(out);
	r->valid = st == VIRTIO_BLK_S_OK;
	r->reject = st;
	if (!r->valid) {
		r->writes = false;
		r->lo = r->hi = 0;
	}
	return 0;
}

static bool overlap(const struct blkshadow_req *a,
		    const struct blkshadow_req *b)
{
	return a->lo < b->hi && b->lo < a->hi;
}

struct blkshadow_req *blkshadow_begin(struct blkshadow *s,
				      const struct sim_seg *segs,
				      unsigned int n)
{
	struct blkshadow_req *r = NULL, *o;
	unsigned int i;

	for (i = 0; i < BLKSHADOW_MAX_REQS && !r; i++)
		if (!s->req[i].busy)
			r = &s->req[i];
	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	if (parse(s, r, segs, n)) {
		free(r->wdata);
		return NULL;
	}
	/* Preset the status byte (see blkshadow.h). */
	if (r->has_status)
		sim_write(s->p.mem, r->status_iova, "\xff", 1);
	r->busy = true;
	s->nr_busy++;
	/* No order between requests in flight together: no verdict either. */
	for (i = 0; i < BLKSHADOW_MAX_REQS; i++) {
		o = &s->req[i];
		if (o == r || !o->busy || !overlap(o, r) ||
		    !(o->writes || r->writes))
			continue;
		o->conflict = r->conflict = true;
	}
	return r;
}

static void forget(struct blkshadow *s, uint64_t lo, uint64_t hi)
{
	if (hi > lo)
		memset(s->known + lo, 0, hi - lo);
}

/* Make [sector, +nsec) known as @data (NULL: zeroes). */
static void learn(struct blkshadow *s, uint64_t sector, uint64_t nsec,
		  const uint8_t *data)
{
	if (data)
		memcpy(s->data + sector * SECTOR, data, nsec * SECTOR);
	else
		memset(s->data + sector * SECTOR, 0, nsec * SECTOR);
	memset(s->known + sector, 1, nsec);
}

/* The backend holds the shadow for every known sector of [lo, hi). */
static int check_backend(struct blkshadow *s, uint64_t lo, uint64_t hi,
			 const uint8_t *skip, const char *what)
{
	uint8_t buf[SECTOR * 16];
	uint64_t sec, n, i;
	ssize_t got;

	for (sec = lo; sec < hi; sec += n) {
		n = MIN(hi - sec, (uint64_t)sizeof(buf) / SECTOR);
		got = pread(s->p.fd, buf, n * SECTOR, sec * SECTOR);
		if (got != (ssize_t)(n * SECTOR))
			return fail(s, "%s: pread of sector %llu: %zd", what,
				    (unsigned long long)sec, got);
		for (i = 0; i < n; i++) {
			if (!s->known[sec + i] || (skip && skip[sec + i]))
				continue;
			if (memcmp(buf + i * SECTOR,
				   s->data + (sec + i) * SECTOR, SECTOR))
				return fail(s, "%s: sector %llu on the backend "
					    "is not what the shadow holds",
					    what, (unsigned long long)(sec + i));
			s->st.writes_checked++;
		}
	}
	return 0;
}

/* An OK read: the driver's buffers hold the shadow, sector by sector. */
static int check_read(struct blkshadow *s, const struct blkshadow_req *r)
{
	uint8_t *buf = malloc(r->data_in + 1);
	uint32_t off = 0;
	uint64_t i;
	int ret = 0;

	if (!buf)
		return fail(s, "out of memory");
	for (i = 0; i < r->nr_in; off += r->in[i].len, i++)
		sim_read(s->p.mem, r->in[i].iova, buf + off, r->in[i].len);
	for (i = r->lo; i < r->hi && !ret; i++) {
		if (!s->known[i])
			continue;
		if (memcmp(buf + (i - r->lo) * SECTOR, s->data + i * SECTOR,
			   SECTOR))
			ret = fail(s, "OK read of sectors [%llu, %llu): "
				   "sector %llu is not what was written%s",
				   (unsigned long long)r->lo,
				   (unsigned long long)r->hi,
				   (unsigned long long)i,
				   r->lost ? " (its memory was invalidated)" : "");
		s->st.reads_checked++;
	}
	free(buf);
	return ret;
}

static int check_get_id(struct blkshadow *s, const struct blkshadow_req *r)
{
	char want[VIRTIO_BLK_ID_BYTES] = { 0 }, got[VIRTIO_BLK_ID_BYTES];
	uint32_t n = MIN(r->data_in, (uint32_t)VIRTIO_BLK_ID_BYTES), off = 0;
	unsigned int i;

	if (!s->p.serial)
		return 0;
	memcpy(want, s->p.serial, strnlen(s->p.serial, sizeof(want)));
	for (i = 0; i < r->nr_in && off < n; i++) {
		sim_read(s->p.mem, r->in[i].iova, got + off,
			 MIN(r->in[i].len, n - off));
		off += MIN(r->in[i].len, n - off);
	}
	if (memcmp(got, want, n))
		return fail(s, "GET_ID returned the wrong serial");
	return 0;
}

/* An OK request that changes the disk: the shadow learns, the backend has it. */
static int apply_ok(struct blkshadow *s, struct blkshadow_req *r)
{
	const struct blkshadow_range *g;
	unsigned int i;

	if (r->conflict) {
		forget(s, r->lo, r->hi);
		return 0;
	}
	if (r->type == VIRTIO_BLK_T_OUT) {
		learn(s, r->lo, r->hi - r->lo, r->wdata);
		return check_backend(s, r->lo, r->hi, NULL, r->lost ?
				     "OK write (memory invalidated)" :
				     "OK write");
	}
	for (i = 0; i < r->nr_ranges; i++) {
		g = &r->range[i];
		if (r->type == VIRTIO_BLK_T_DISCARD && !s->p.discard_zeroes) {
			forget(s, g->sector, g->sector + g->nsec);
			continue;
		}
		learn(s, g->sector, g->nsec, NULL);
	}
	return check_backend(s, r->lo, r->hi, NULL,
			     r->type == VIRTIO_BLK_T_DISCARD ? "OK discard" :
							       "OK write-zeroes");
}

static uint32_t ok_len(const struct blkshadow_req *r)
{
	if (r->type == VIRTIO_BLK_T_IN)
		return 1 + r->data_in;
	if (r->type == VIRTIO_BLK_T_GET_ID)
		return 1 + MIN(r->data_in, (uint32_t)VIRTIO_BLK_ID_BYTES);
	return 1;
}

static int judge(struct blkshadow *s, struct blkshadow_req *r, uint32_t len)
{
	uint8_t st;

	if (!r->has_status) {
		/* Nowhere to report: the chain comes back untouched. */
		if (len)
			return fail(s, "no status byte, yet used len %u", len);
		return 0;
	}
	if (!sim_read(s->p.mem, r->status_iova, &st, 1))
		return fail(s, "status byte out of guest memory");
	/*
	 * Never written.  An IOTLB update that took the status byte's old
	 * view away still maps its address (the harnesses always remap):
	 * the device must write its answer there, through a fresh lookup,
	 * or the driver reads whatever it had in the byte (0 is OK).
	 */
	if (st == BLKSHADOW_UNSET)
		return fail(s, "type %u: status never written (used len %u)%s",
			    r->type, len, r->lost ? ", its memory was "
			    "invalidated in flight" : "");
	if (st > VIRTIO_BLK_S_UNSUPP)
		return fail(s, "status %u is no status", st);
	if (st == VIRTIO_BLK_S_OK ? len != ok_len(r) : len != 1)
		return fail(s, "type %u status %u: used len %u, want %u",
			    r->type, st, len,
			    st == VIRTIO_BLK_S_OK ? ok_len(r) : 1);
	if (!r->valid) {
		if (st != r->reject)
			return fail(s, "type %u must be rejected with %u, got %u",
				    r->type, r->reject, st);
		s->st.rejected++;
		return 0;
	}
	if (st != VIRTIO_BLK_S_OK) {
		if (st != VIRTIO_BLK_S_IOERR || !(r->lost || r->may_fail))
			return fail(s, "valid request of type %u [%llu, %llu) "
				    "failed with %u", r->type,
				    (unsigned long long)r->lo,
				    (unsigned long long)r->hi, st);
		s->st.lost_err += r->lost;
		/* Partly written is allowed: nothing is known there now. */
		if (r->writes)
			forget(s, r->lo, r->hi);
		return 0;
	}
	s->st.lost_ok += r->lost;
	s->st.conflicts += r->conflict;
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		return r->conflict ? 0 : check_read(s, r);
	case VIRTIO_BLK_T_GET_ID:
		return check_get_id(s, r);
	case VIRTIO_BLK_T_FLUSH:
		return 0;
	}
	return r->writes ? apply_ok(s, r) : 0;
}

int blkshadow_end(struct blkshadow *s, struct blkshadow_req *r, uint32_t len)
{
	int ret;

	if (!r->busy || r->orphan)
		return fail(s, "a completion for a request not in flight");
	ret = judge(s, r, len);
	req_free(s, r);
	return ret;
}

void blkshadow_lost(struct blkshadow *s)
{
	unsigned int i;

	for (i = 0; i < BLKSHADOW_MAX_REQS; i++)
		if (s->req[i].busy)
			s->req[i].lost = true;
}

void blkshadow_reset(struct blkshadow *s)
{
	struct blkshadow_req *r;
	unsigned int i;

	for (i = 0; i < BLKSHADOW_MAX_REQS; i++) {
		r = &s->req[i];
		if (!r->busy || r->orphan)
			continue;
		/* Its write may land any time until the backend is idle. */
		if (r->writes)
			forget(s, r->lo, r->hi);
		r->orphan = true;
		s->st.orphans++;
	}
}

void blkshadow_idle(struct blkshadow *s)
{
	unsigned int i;

	for (i = 0; i < BLKSHADOW_MAX_REQS; i++)
		if (s->req[i].busy && s->req[i].orphan)
			req_free(s, &s->req[i]);
}

int blkshadow_check_disk(struct blkshadow *s)
{
	uint8_t *skip = calloc(s->sectors, 1);
	const struct blkshadow_req *r;
	unsigned int i;
	int ret;

	if (!skip)
		return fail(s, "out of memory");
	for (i = 0; i < BLKSHADOW_MAX_REQS; i++) {
		r = &s->req[i];
		if (r->busy && r->writes)
			memset(skip + r->lo, 1, r->hi - r->lo);
	}
	ret = check_backend(s, 0, s->sectors, skip, "disk check");
	free(skip);
	return ret;
}

unsigned int blkshadow_pending(const struct blkshadow *s)
{
	unsigned int i, n = 0;

	for (i = 0; i < BLKSHADOW_MAX_REQS; i++)
		n += s->req[i].busy && !s->req[i].orphan;
	return n;
}
