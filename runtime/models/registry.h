/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device models vdused serves, one const entry each: what the daemon
 * walks to bring the device table up, so that it names no model.  A
 * model adds its line in registry.c.
 */
#ifndef VDFW_MODELS_REGISTRY_H
#define VDFW_MODELS_REGISTRY_H

#include "../devtable/devtable.h"

struct vdev;

struct vdev_model_kind {
	const char *name;		/* "blk", "net": for logs */
	const unsigned int *nr_entries;	/* its part of the device table */
	/*
	 * Describe entry @i of that part in @d, and say in *bus which bus
	 * driver it wants.  d->name is the entry's name even on error, and
	 * nothing is left allocated then.  Needs loop_init() first.
	 */
	int (*create)(struct vdev *d, unsigned int i, enum vdpa_bus *bus);
};

/* In the order their devices are created: blk, then net. */
extern const struct vdev_model_kind vdev_models[];
extern const unsigned int vdev_models_len;

#endif
