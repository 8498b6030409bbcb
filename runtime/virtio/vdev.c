// SPDX-License-Identifier: GPL-2.0
/*
 * Transport-independent device helpers used by the models.
 */
#include <stdio.h>
#include <linux/virtio_config.h>

#include "../core/log.h"
#include "vdev.h"

/*
 * The driver broke the protocol.  Stop serving this device: the model
 * leaves its rings alone from now on, kicks are ignored, and only a reset
 * (status 0) from the driver brings the device back.
 *
 * VDUSE in 6.12 owns the status register and offers no way to set
 * NEEDS_RESET in it, so the driver learns of the state through the config
 * interrupt and the device going quiet; our own status copy records it.
 */
void vdev_needs_reset(struct vdev *d, const char *why)
{
	if (d->state == VDEV_NEEDS_RESET)
		return;
	dev_info(d->name, "NEEDS_RESET: %s", why);
	d->state = VDEV_NEEDS_RESET;
	d->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	d->ops->stop(d);
	if (d->transport && d->transport->config_irq)
		d->transport->config_irq(d);
}

void vdev_vq_broken(struct vdev *d, struct virtq *vq)
{
	vdev_needs_reset(d, vq->err[0] ? vq->err : "queue broken");
}

void vdev_dump_stats(const struct vdev *d, int fd)
{
	static const char *const states[] = {
		[VDEV_STOPPED] = "stopped",
		[VDEV_RUNNING] = "running",
		[VDEV_NEEDS_RESET] = "needs_reset",
	};
	unsigned int i;

	dprintf(fd, "state %s\n", states[d->state]);
	stat_line(fd, "status", d->status);
	for (i = 0; i < d->nr_vqs; i++) {
		const struct virtq_stats *st = &d->vqs[i].stats;

		dprintf(fd, "vq%u_requests %llu\nvq%u_irqs %llu\nvq%u_irqs_suppressed %llu\n",
			i, (unsigned long long)st->pops,
			i, (unsigned long long)st->notifies,
			i, (unsigned long long)st->notifies_suppressed);
	}
	if (d->ops->dump_stats)
		d->ops->dump_stats(d, fd);
}
