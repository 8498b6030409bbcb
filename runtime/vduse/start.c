// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/log.h"
#include "start.h"

/*
 * RESUME: does queue @index's log describe the queue the kernel reports?
 * The file was checked as a whole when it was opened; what is left is
 * whether the log was made for this queue size.  A log of version 0 was
 * forgotten at a reset, or its initialisation was cut short, and either
 * way nothing was consumed through it.
 */
static bool log_of_queue(struct vdev *d, unsigned int index,
			 const struct virtq_log *log, uint16_t num)
{
	if (log->version && log->num == num)
		return true;
	if (log->version)
		dev_info(d->name, "state file: vq%u log num %u, queue size %u; "
			 "starting the queue without state", index, log->num, num);
	else
		dev_info(d->name, "state file: no log for vq%u; starting the "
			 "queue without state", index);
	return false;
}

/*
 * Start one queue from what the kernel reported (@info) and bind its log.
 * RESUME writes the heads left in flight to @heads (room for
 * d->vq_size_max) and their count to *@nr_heads.  Returns 0 (a queue that
 * is not ready stays stopped), or -errno with the reason in @why.
 */
static int start_vq(struct vdev *d, struct vduse_state_file *sf,
		    unsigned int index, const struct vduse_vq_info *info,
		    enum vduse_start_mode mode, uint16_t *heads,
		    unsigned int *nr_heads, char *why, size_t len)
{
	struct virtq_log *log = vduse_state_log(sf, index);
	struct virtq *vq = &d->vqs[index];
	int ret;

	*nr_heads = 0;
	if (!info->ready)
		return 0;
	/*
	 * VDUSE takes any size the driver sets (VQ_SETUP's max_size is only
	 * advertised), while the log and the heads array have room for the
	 * table's size: check before anything is sized from it.
	 */
	if (info->num > d->vq_size_max) {
		snprintf(why, len, "vq%u: queue size %u, the device allows at most %u",
			 index, info->num, d->vq_size_max);
		return -EINVAL;
	}
	if (!log) {
		snprintf(why, len, "vq%u: no log in the state file", index);
		return -EINVAL;
	}
	ret = virtq_start(vq, info->num, info->desc_addr, info->driver_addr,
			  info->device_addr, info->split.avail_index,
			  d->driver_features);
	if (ret)
		goto err;
	if (mode == VDUSE_START_RESUME && !log_of_queue(d, index, log, vq->num))
		mode = VDUSE_START_GUESS;

	switch (mode) {
	case VDUSE_START_RESUME:
		ret = virtq_attach_log(vq, log, true, heads, d->vq_size_max);
		if (ret < 0)
			goto err;
		*nr_heads = MIN((unsigned int)ret, d->vq_size_max);
		return 0;
	case VDUSE_START_GUESS:
		/*
		 * No log: nothing says which requests the dead process
		 * consumed or completed.  Completions go out of order, so
		 * used->idx counts them but points at no avail slot, and the
		 * kernel's avail index is the one the driver set up, not the
		 * live one.  Any guess at a resume point can complete a head
		 * twice (the driver may have reused it), write stale data
		 * over newer, or drop a request still in flight.  The one
		 * state known to be safe is a ring with nothing outstanding
		 * (avail->idx == used->idx): go on from there.  Otherwise
		 * virtq_adopt() refuses and the device waits in NEEDS_RESET
		 * for the driver to reset it (VDUSE in 6.12 gives us no way to
		 * reset it ourselves): nothing is redone, nothing completes,
		 * and the refusal is logged; what was outstanding is the
		 * driver's to fail or retry at its reset.
		 */
		ret = virtq_adopt(vq);
		if (ret)
			goto err;
		/* fall through */
	case VDUSE_START_FRESH:
		ret = virtq_attach_log(vq, log, false, NULL, 0);
		if (ret)
			goto err;
		return 0;
	}
	return -EINVAL;
err:
	/* The engine's reason names the queue already. */
	if (vq->err[0])
		snprintf(why, len, "cannot start %s", vq->err);
	else
		snprintf(why, len, "cannot start vq%u: %s", index, strerror(-ret));
	return ret;
}

void vduse_start_queues(struct vdev *d, struct vduse_state_file *sf,
			enum vduse_start_mode mode,
			const struct vduse_start_ops *ops)
{
	unsigned int nr[VDEV_MAX_VQS] = { 0 }, i, j, started = 0, redo = 0;
	struct vduse_vq_info info;
	uint16_t *heads;
	char why[192];
	int ret;

	heads = calloc((size_t)d->nr_vqs * d->vq_size_max, sizeof(*heads));
	if (!heads) {
		vdev_needs_reset(d, "out of memory starting queues");
		return;
	}
	d->state = VDEV_RUNNING;
	for (i = 0; i < d->nr_vqs; i++) {
		ret = ops->vq_info(d, i, &info);
		if (ret) {
			snprintf(why, sizeof(why), "vq%u: VQ_GET_INFO: %s", i,
				 strerror(-ret));
			goto needs_reset;
		}
		if (start_vq(d, sf, i, &info, mode, heads + i * d->vq_size_max,
			     &nr[i], why, sizeof(why)))
			goto needs_reset;
		if (!d->vqs[i].num)
			continue;
		ret = ops->vq_started(d, i);
		if (ret) {
			snprintf(why, sizeof(why), "vq%u: kick eventfd: %s", i,
				 strerror(-ret));
			goto needs_reset;
		}
		started++;
	}
	if (d->ops->start(d)) {
		snprintf(why, sizeof(why), "%s model failed to start", d->ops->kind);
		goto needs_reset;
	}
	for (i = 0; i < d->nr_vqs; i++) {
		for (j = 0; j < nr[i] && d->state == VDEV_RUNNING; j++)
			d->ops->resubmit(d, &d->vqs[i], heads[i * d->vq_size_max + j]);
		redo += nr[i];
	}
	free(heads);
	dev_info(d->name, "driver ok: %u of %u queues running, features %#llx",
		 started, d->nr_vqs, (unsigned long long)d->driver_features);
	if (mode == VDUSE_START_RESUME)
		dev_info(d->name, "resumed after restart: %u requests redone", redo);
	for (i = 0; i < d->nr_vqs && d->state == VDEV_RUNNING; i++)
		if (d->vqs[i].num)
			d->ops->queue_kick(d, &d->vqs[i]);
	return;

needs_reset:
	free(heads);
	vdev_needs_reset(d, why);
}

void vduse_stop_queues(struct vdev *d, struct vduse_state_file *sf)
{
	unsigned int i;

	if (d->state == VDEV_RUNNING || d->state == VDEV_NEEDS_RESET)
		d->ops->stop(d);
	for (i = 0; i < d->nr_vqs; i++)
		virtq_stop(&d->vqs[i]);
	iova_reset(&d->iova);
	vduse_state_forget(sf);
	d->state = VDEV_STOPPED;
}
