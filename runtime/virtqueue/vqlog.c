// SPDX-License-Identifier: GPL-2.0
/*
 * Persistent log of a split virtqueue, and taking a ring over after a
 * restart, with or without a log.
 *
 * The log must describe a resumable state after a kill at any
 * instruction.  A kill does not lose a store the process already made to
 * MAP_SHARED memory, nor reorder the stores as a restarted process sees
 * them (the kernel's exit path is a full barrier), so what matters is
 * program order: log fields are written with WRITE_ONCE (volatile accesses
 * stay in order) in the sequences below.
 *
 * pop:   (1) inflight[head] = 1   (2) last_avail = slot + 1
 *   Killed before (1): the slot was not consumed; it is popped again.
 *   Killed between (1) and (2): recovery sees that the avail slot at
 *   last_avail (already published by the driver) holds a head marked in
 *   flight.  A driver may not offer a head that is in flight, so that
 *   mark can only come from this torn pop: recovery advances last_avail.
 *
 * push:  heads[slot] = head (after the used element itself).  The head
 *   stays marked in flight: until used->idx covers it the driver has not
 *   seen the completion and recovery must redo it.
 *
 * flush: (1) used->idx = new   (2) inflight[heads[i]] = 0 for every
 *   published slot   (3) used_idx = new
 *   Killed before (1): nothing was published; the heads are redone.
 *   Killed after (1), before (3): used->idx is ahead of log->used_idx;
 *   recovery clears the heads of slots [log->used_idx, used->idx) again
 *   (idempotent) and then records used_idx.  Clearing before recording
 *   is what makes this work: the other order would leave heads marked
 *   that the driver has already been given back, after a kill in (2).
 *
 * In the consistent state the marked heads are exactly the ones consumed
 * and not published, so their number is last_avail - used_idx; recovery
 * checks that (a driver that re-offers a head before its completion is
 * published can make it smaller, never larger).
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../core/compiler.h"
#include "virtq.h"
#include "virtq_priv.h"

static void log_init(struct virtq *vq, struct virtq_log *log)
{
	unsigned int h;

	/* The log has no copy of unflushed heads[]: publish them now. */
	virtq_flush(vq);

	/* Torn initialisation must read as "no log", never a wrong one. */
	WRITE_ONCE(log->version, 0);
	log_barrier();
	log->num = vq->num;
	log->last_avail = vq->last_avail;
	log->used_idx = vq->published;
	for (h = 0; h < vq->num; h++)
		log->inflight[h] = inflight_test(vq, h);
	memset(virtq_log_heads(log, vq->num), 0,
	       vq->num * sizeof(uint16_t));
	log_barrier();
	WRITE_ONCE(log->version, VIRTQ_LOG_VERSION);
	vq->log = log;
}

/* Finish what a killed process left half done (see above). */
static int log_reconcile(struct virtq *vq, struct virtq_log *log)
{
	const uint16_t *heads = virtq_log_heads(log, vq->num);
	uint16_t mask = vq->num - 1, last = log->last_avail;
	uint16_t lused = log->used_idx, used, aidx, i, h;

	/* Published but not recorded: a kill inside virtq_flush(). */
	used = le16toh(READ_ONCE(vq->used->idx));
	if ((uint16_t)(used - lused) > (uint16_t)(last - lused))
		return virtq_break(vq, "used idx %u is outside the logged range "
				"[%u, %u]", used, lused, last);
	for (i = lused; i != used; i++) {
		h = heads[i & mask];
		if (h < vq->num)
			WRITE_ONCE(log->inflight[h], 0);
	}
	log_barrier();
	WRITE_ONCE(log->used_idx, used);

	/* A pop killed between marking its head and advancing last_avail. */
	aidx = le16toh(READ_ONCE(vq->avail->idx));
	if ((uint16_t)(aidx - last) > vq->num)
		return virtq_break(vq, "avail idx %u is %u ahead of last_avail %u "
				"(queue size %u)", aidx, (uint16_t)(aidx - last),
				last, vq->num);
	/*
	 * With num heads outstanding no pop can have started: a mark on the
	 * head in the next slot is a driver offering it again, and advancing
	 * would leave more consumed than the ring holds.
	 */
	if (aidx != last && (uint16_t)(last - used) < vq->num) {
		smp_rmb();	/* the slot is valid once the index covers it */
		h = le16toh(READ_ONCE(vq->avail->ring[last & mask]));
		if (h < vq->num && log->inflight[h])
			WRITE_ONCE(log->last_avail, (uint16_t)(last + 1));
	}
	return 0;
}

/* Recovery and takeover: the dead process may have published silently. */
static void notify_after_restart(struct virtq *vq)
{
	vq->signalled_valid = false;
	if (vq->notify) {
		vq->stats.notifies++;
		vq->notify(vq);
	}
}

static int log_recover(struct virtq *vq, struct virtq_log *log,
		       uint16_t *heads, unsigned int max)
{
	unsigned int h, nr = 0;
	uint16_t pending;
	int ret;

	if (READ_ONCE(log->version) != VIRTQ_LOG_VERSION ||
	    log->num != vq->num || virtq_log_check(log, vq->num, NULL, 0))
		return -EINVAL;

	ret = log_reconcile(vq, log);
	if (ret)
		return ret;

	pending = log->last_avail - log->used_idx;
	memset(vq->inflight, 0, (vq->num + 63) / 64 * sizeof(vq->inflight[0]));
	for (h = 0; h < vq->num; h++) {
		if (!log->inflight[h])
			continue;
		inflight_set(vq, h);
		if (nr < max)
			heads[nr] = h;
		nr++;
	}
	if (nr > pending)
		return virtq_break(vq, "log has %u heads in flight but only %u "
				"were consumed after used idx %u", nr, pending,
				log->used_idx);

	vq->inflight_nr = nr;
	vq->last_avail = log->last_avail;
	vq->shadow_avail = vq->last_avail;
	vq->used_idx = log->used_idx;
	vq->published = vq->used_idx;
	if (vq->event_idx)
		WRITE_ONCE(*avail_event(vq), htole16(vq->last_avail));
	vq->log = log;
	notify_after_restart(vq);
	return nr;
}

int virtq_attach_log(struct virtq *vq, struct virtq_log *log, bool recover,
		     uint16_t *heads, unsigned int max)
{
	if (vq->broken)
		return -EPROTO;
	if (!vq->num)
		return -EINVAL;
	if (!recover) {
		log_init(vq, log);
		return 0;
	}
	return log_recover(vq, log, heads, max);
}

static int __printf(3, 4)
log_bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int virtq_log_check(const struct virtq_log *log, uint16_t max, char *why,
		    size_t len)
{
	uint16_t num = log->num, pending = log->last_avail - log->used_idx;
	const uint16_t *heads;
	unsigned int i;

	/* Written last by log_init(), cleared at a reset: 0 means no log. */
	if (!log->version)
		return 0;
	if (log->version != VIRTQ_LOG_VERSION)
		return log_bad(why, len, "version %u, expected %u", log->version,
			       VIRTQ_LOG_VERSION);
	/* num bounds every later read: check it before using it. */
	if (!num || (num & (num - 1)) || num > max)
		return log_bad(why, len, "num %u, expected a power of two <= %u",
			       num, max);
	if (pending > num)
		return log_bad(why, len, "last_avail %u is %u past used_idx %u, "
			       "more than num %u", log->last_avail, pending,
			       log->used_idx, num);
	for (i = 0; i < num; i++)
		if (log->inflight[i] > 1)
			return log_bad(why, len, "inflight[%u] %u, expected 0 or 1",
				       i, log->inflight[i]);
	heads = virtq_log_heads((struct virtq_log *)log, num);
	for (i = 0; i < num; i++)
		if (heads[i] >= num)
			return log_bad(why, len, "heads[%u] %u, expected < num %u",
				       i, heads[i], num);
	return 0;
}

int virtq_adopt(struct virtq *vq)
{
	uint16_t avail;

	if (vq->broken)
		return -EPROTO;
	if (!vq->num)
		return -EINVAL;
	/*
	 * A ring is set up with equal indexes (fresh, or handed over with
	 * nothing in flight), and from then on what is in flight is offers
	 * minus completions, at most num: equal indexes mean nothing is
	 * outstanding.  Any other difference cannot be told apart.
	 */
	avail = le16toh(READ_ONCE(vq->avail->idx));
	if (avail != vq->published) {
		virtq_break(vq, "no log of the last device, and avail idx %u != "
			 "used idx %u: requests may be in flight", avail,
			 vq->published);
		return -EBUSY;
	}
	vq->last_avail = avail;
	vq->shadow_avail = avail;
	if (vq->event_idx)
		WRITE_ONCE(*avail_event(vq), htole16(avail));
	notify_after_restart(vq);
	return 0;
}
