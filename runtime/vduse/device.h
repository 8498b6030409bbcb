/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One VDUSE device: the kernel side of a struct vdev.  It owns
 * /dev/vduse/NAME and answers the kernel's control messages (status,
 * queue state, IOTLB updates), starts the queues at DRIVER_OK, turns kick
 * eventfds into model calls and model notifications into interrupts.
 * Nothing here waits: every fd is a loop source.
 */
#ifndef VDFW_VDUSE_DEVICE_H
#define VDFW_VDUSE_DEVICE_H

#include <stdbool.h>

#include "../core/loop.h"
#include "../devtable/devtable.h"
#include "../virtio/vdev.h"
#include "iotlb.h"
#include "irqaff.h"
#include "state.h"

struct vduse_device;

struct vduse_kick {
	struct loop_source src;		/* eventfd the kernel signals */
	struct vduse_device *dev;
	unsigned int index;
};

struct vduse_device {
	struct vdev vdev;		/* filled by the model first */
	enum vdpa_bus bus;
	int fd;				/* /dev/vduse/NAME, -1 if none */
	bool resumed;			/* picked up from an earlier vdused */
	struct loop_source msg;
	struct vduse_kick kicks[VDEV_MAX_VQS];
	struct vduse_irqaff irqaff[VDEV_MAX_VQS];
	struct vduse_iotlb tlb;
	struct vduse_state_file state;
};

/*
 * Create the VDUSE device the model described in vd->vdev (or reopen it
 * when an earlier vdused left it behind) and start answering it.
 */
int vduse_device_open(struct vduse_device *vd);
/* Close, destroy the kernel device, release the model.  Not attached! */
void vduse_device_destroy(struct vduse_device *vd);
/* Stop taking requests from the rings (shutdown). */
void vduse_device_quiesce(struct vduse_device *vd);
/* Requests still in a backend. */
unsigned int vduse_device_inflight(const struct vduse_device *vd);
/*
 * If host address @addr is in this device's driver memory, a contained
 * SIGBUS hit it: the driver pointed us at memory it never backed.  Puts
 * the device into NEEDS_RESET and returns true.
 */
bool vduse_device_owns(struct vduse_device *vd, const void *addr);

#endif
