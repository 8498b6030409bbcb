/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shadow-disk oracle for virtio-blk tests: judges every completion against
 * what the disk must hold, so silent corruption (an OK that lies) fails a
 * test instead of passing it.
 *
 * Per sector the shadow holds the data of the last write that completed
 * OK, or "unknown".  A test tells the oracle about each request when it
 * posts it (blkshadow_begin(), with the segments as the driver built them)
 * and when the used entry arrives (blkshadow_end()).  The oracle parses
 * the request the way the spec says a device must, and checks:
 *   - a request the device must reject up front (bad layout, bad range,
 *     unknown type, a range or flag it cannot take) gets exactly the
 *     error the spec asks for and leaves the backend unchanged;
 *   - an OK read shows exactly the shadow, for every known sector, in the
 *     DRIVER's view of its buffers;
 *   - an OK write, write-zeroes or discard is on the backend (the bytes
 *     behind it, read with pread) and becomes the shadow; a discard whose
 *     backend does not promise zeroes makes its sectors unknown;
 *   - a valid request fails (IOERR) only if its memory was taken away
 *     while it was in flight (blkshadow_lost()) or it may need more
 *     iovecs than the device holds; a failed write leaves its sectors
 *     unknown (partly written is allowed, OK is not);
 *   - the used length is what the spec says for the status.
 * Requests in flight together that overlap, one of them writing, have no
 * defined order: their sectors become unknown instead of being judged.
 *
 * The status byte.  blkshadow_begin() presets it to BLKSHADOW_UNSET, a
 * value no device writes, as a careful driver would: when the status
 * byte's own memory is invalidated under a request, the device's answer
 * lands in the revoked mapping and the driver's byte keeps its preset.
 * That is accepted only for a request whose memory was taken away
 * (blkshadow_lost()), with used len 1 (the device knew: IOERR), and its
 * sectors become unknown.  A driver that left 0 there would read OK.
 *
 * Device reset: requests in flight are never completed, yet the backend
 * may still carry out their writes.  blkshadow_reset() makes their
 * sectors unknown and keeps them as orphans, which later requests overlap
 * (so those are not judged either), until blkshadow_idle() says the
 * backend holds nothing any more.  The shadow itself survives the reset,
 * as the disk does.
 */
#ifndef VDFW_TESTS_BLKSHADOW_H
#define VDFW_TESTS_BLKSHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "simdrv.h"

#define BLKSHADOW_SECTOR 512
#define BLKSHADOW_MAX_REQS 512	/* in flight, orphans included */
#define BLKSHADOW_MAX_SEGS 16	/* writable data segments per request */
#define BLKSHADOW_MAX_RANGES 32	/* discard / write-zeroes ranges */
#define BLKSHADOW_IOV_MAX 128	/* iovecs the device has per request */
#define BLKSHADOW_UNSET 0xff	/* the status byte's preset: no status */

struct blkshadow_params {
	uint64_t capacity;		/* bytes */
	int fd;				/* the backing bytes, for pread */
	struct sim_mem *mem;		/* the driver's memory */
	bool discard, write_zeroes;	/* negotiated */
	uint32_t max_discard, max_write_zeroes;	/* sectors per range */
	bool discard_zeroes;		/* the backend promises zeroes */
	const char *serial;		/* GET_ID, or NULL: not checked */
};

struct blkshadow_range {
	uint64_t sector;
	uint32_t nsec;
};

struct blkshadow_req {
	bool busy;			/* slot in use */
	bool valid;			/* the device must carry it out */
	bool writes;			/* valid and changes the disk */
	bool may_fail;			/* might need too many iovecs */
	bool lost;			/* memory invalidated while in flight */
	bool conflict;			/* overlapped a concurrent writer */
	bool orphan;			/* in flight across a reset */
	bool has_status;
	uint8_t reject;			/* !valid: the status it must get */
	uint32_t type;
	uint64_t lo, hi;		/* sectors [lo, hi) it may touch */
	uint64_t status_iova;
	uint32_t data_in;		/* writable bytes before the status */
	uint8_t *wdata;			/* OUT: the payload at post time */
	unsigned int nr_in;		/* IN / GET_ID: where the data goes */
	struct {
		uint64_t iova;
		uint32_t len;
	} in[BLKSHADOW_MAX_SEGS];
	unsigned int nr_ranges;
	struct blkshadow_range range[BLKSHADOW_MAX_RANGES];
};

struct blkshadow_stats {
	unsigned long reads_checked;	/* sectors compared on OK reads */
	unsigned long writes_checked;	/* sectors compared on the backend */
	unsigned long rejected;		/* up-front errors seen */
	unsigned long lost_ok;		/* lost, yet OK (and the data right) */
	unsigned long lost_err;		/* lost and failed */
	unsigned long conflicts;	/* requests not judged for overlap */
	unsigned long orphans;		/* requests caught by a reset */
};

struct blkshadow {
	struct blkshadow_params p;
	uint64_t sectors;
	uint8_t *data;			/* [sectors * 512] */
	uint8_t *known;			/* [sectors] */
	struct blkshadow_req req[BLKSHADOW_MAX_REQS];
	unsigned int nr_busy;
	struct blkshadow_stats st;
	char why[256];			/* the first failure */
};

/* Every sector known and zero (the test made the disk so).  0 or -errno. */
int blkshadow_init(struct blkshadow *s, const struct blkshadow_params *p);
void blkshadow_fini(struct blkshadow *s);

/*
 * A request was posted with @segs (iovas set, readable ones first).
 * Returns its record, or NULL when BLKSHADOW_MAX_REQS are in flight.
 */
struct blkshadow_req *blkshadow_begin(struct blkshadow *s,
				      const struct sim_seg *segs,
				      unsigned int n);
/* Its used entry arrived with @len: 0, or -1 with s->why set. */
int blkshadow_end(struct blkshadow *s, struct blkshadow_req *r,
		  uint32_t len);
/* Driver memory was invalidated: every request in flight may fail. */
void blkshadow_lost(struct blkshadow *s);
/* The device was reset: what is in flight will never complete. */
void blkshadow_reset(struct blkshadow *s);
/* The backend holds nothing any more: orphans are done. */
void blkshadow_idle(struct blkshadow *s);
/*
 * Every known sector that no request in flight may change reads back
 * from the backend as the shadow.  0, or -1 with s->why set.
 */
int blkshadow_check_disk(struct blkshadow *s);
/* Requests posted and not yet completed (orphans excluded). */
unsigned int blkshadow_pending(const struct blkshadow *s);

#endif
