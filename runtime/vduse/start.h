/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bringing a device's queues into service at DRIVER_OK or after a vdused
 * restart (from the state file, or without one), and taking them down at
 * a driver reset.  The kernel is reached only through struct
 * vduse_start_ops, which lets unit tests put a simulated driver beneath.
 */
#ifndef VDFW_VDUSE_START_H
#define VDFW_VDUSE_START_H

#include <linux/vduse.h>

#include "../virtio/vdev.h"
#include "state.h"

enum vduse_start_mode {
	VDUSE_START_FRESH,	/* DRIVER_OK from the driver */
	VDUSE_START_RESUME,	/* after a restart, from the state file */
	VDUSE_START_GUESS,	/* after a restart, without a usable state file */
};

struct vduse_start_ops {
	/* VDUSE_VQ_GET_INFO for queue @index.  0 or -errno. */
	int (*vq_info)(struct vdev *d, unsigned int index,
		       struct vduse_vq_info *info);
	/* Queue @index was started: deliver its kicks from now on. */
	int (*vq_started)(struct vdev *d, unsigned int index);
};

/*
 * Start every queue the driver made ready, redo what an earlier vdused
 * left in flight (RESUME), then look at every queue once: kicks sent
 * before ours were installed are lost.  Any failure is logged and puts
 * the device (only this one) into NEEDS_RESET.  Each vq's index, iova,
 * notify and priv must be set, and @sf open for this device.
 */
void vduse_start_queues(struct vdev *d, struct vduse_state_file *sf,
			enum vduse_start_mode mode,
			const struct vduse_start_ops *ops);

/*
 * The driver reset the device: the model leaves the rings, queues and
 * mappings are dropped, and no log describes the rings that come next.
 */
void vduse_stop_queues(struct vdev *d, struct vduse_state_file *sf);

#endif
