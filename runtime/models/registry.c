// SPDX-License-Identifier: GPL-2.0
/*
 * The model registry: each model's part of the compiled-in device table
 * and how an entry of it becomes a device.  Kept apart from the models so
 * that what links a model alone (the unit tests) needs no device table.
 */
#include "../core/compiler.h"
#include "../devtable/devtable.h"
#include "../virtio/vdev.h"
#include "blk.h"
#include "net.h"
#include "registry.h"

static int blk_create(struct vdev *d, unsigned int i, enum vdpa_bus *bus)
{
	d->name = blk_devtable[i].name;
	*bus = blk_devtable[i].bus;
	return blk_model_init(d, &blk_devtable[i]);
}

/* The entries themselves, not copies: a cable's peer points into them. */
static int net_create(struct vdev *d, unsigned int i, enum vdpa_bus *bus)
{
	d->name = net_devtable[i].name;
	*bus = net_devtable[i].bus;
	return net_model_init(d, &net_devtable[i]);
}

const struct vdev_model_kind vdev_models[] = {
	{ .name = "blk", .nr_entries = &blk_devtable_len,
	  .create = blk_create },
	{ .name = "net", .nr_entries = &net_devtable_len,
	  .create = net_create },
};
const unsigned int vdev_models_len = ARRAY_SIZE(vdev_models);
