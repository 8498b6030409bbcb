// SPDX-License-Identifier: GPL-2.0
/*
 * The model registry (models/registry.c) over a device table of our own:
 * the daemon creates every device through it, so each entry must come out
 * as its model, under its name and with its bus, and a bad entry must fail
 * with the name the daemon logs.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "check.h"
#include "core/loop.h"
#include "devtable/devtable.h"
#include "models/registry.h"
#include "virtio/vdev.h"

CHECK_MAIN_DEFS("test_registry");

const struct blk_devcfg blk_devtable[] = {
	{ .name = "rblk0", .capacity = 1 << 20, .backend = &blk_null_backend,
	  .block_size = 512, .num_queues = 2, .queue_size = 64,
	  .bus = VDPA_BUS_VHOST },
	/* No queues: the model refuses it. */
	{ .name = "rbad0", .capacity = 1 << 20, .backend = &blk_null_backend,
	  .block_size = 512, .num_queues = 0, .queue_size = 64 },
};
const unsigned int blk_devtable_len = 2;

const struct net_devcfg net_devtable[] = {
	{ .name = "rnet0", .mtu = 1500, .queue_size = 64,
	  .backend = &net_cable_backend, .peer = &net_devtable[1],
	  .link_up = true },
	{ .name = "rnet1", .mtu = 1500, .queue_size = 64,
	  .backend = &net_cable_backend, .peer = &net_devtable[0],
	  .link_up = true, .bus = VDPA_BUS_VHOST },
};
const unsigned int net_devtable_len = 2;

static const struct vdev_model_kind *t_model(const char *name)
{
	unsigned int i;

	for (i = 0; i < vdev_models_len; i++)
		if (!strcmp(vdev_models[i].name, name))
			return &vdev_models[i];
	return NULL;
}

/* Both models, blk first (the order devices are created in). */
TEST(lists_every_model)
{
	CHECK_EQ(vdev_models_len, 2);
	CHECK(!strcmp(vdev_models[0].name, "blk"));
	CHECK(!strcmp(vdev_models[1].name, "net"));
	CHECK_EQ(*t_model("blk")->nr_entries, 2);
	CHECK_EQ(*t_model("net")->nr_entries, 2);
	return 0;
}

TEST(blk_entries)
{
	const struct vdev_model_kind *m = t_model("blk");
	enum vdpa_bus bus = VDPA_BUS_VIRTIO;
	struct vdev d;

	memset(&d, 0, sizeof(d));
	CHECK_EQ(m->create(&d, 0, &bus), 0);
	CHECK(!strcmp(d.name, "rblk0"));
	CHECK_EQ(bus, VDPA_BUS_VHOST);
	CHECK_EQ(d.device_id, VIRTIO_ID_BLOCK);
	CHECK_EQ(d.nr_vqs, 2);
	d.ops->destroy(&d);

	/* The failure names the entry, and leaves nothing behind. */
	memset(&d, 0, sizeof(d));
	CHECK_EQ(m->create(&d, 1, &bus), -EINVAL);
	CHECK(d.name && !strcmp(d.name, "rbad0"));
	CHECK(d.model == NULL);
	return 0;
}

/* Net entries are the table's own: a cable pair plugs through its peers. */
TEST(net_entries_plug_cables)
{
	const struct vdev_model_kind *m = t_model("net");
	enum vdpa_bus bus[2] = { VDPA_BUS_VHOST, VDPA_BUS_VIRTIO };
	struct vdev d[2];
	uint16_t status;
	unsigned int i;

	memset(d, 0, sizeof(d));
	for (i = 0; i < 2; i++)
		CHECK_EQ(m->create(&d[i], i, &bus[i]), 0);
	CHECK(!strcmp(d[0].name, "rnet0"));
	CHECK(!strcmp(d[1].name, "rnet1"));
	CHECK_EQ(bus[0], VDPA_BUS_VIRTIO);
	CHECK_EQ(bus[1], VDPA_BUS_VHOST);
	for (i = 0; i < 2; i++) {
		CHECK_EQ(d[i].device_id, VIRTIO_ID_NET);
		memcpy(&status, d[i].config +
		       offsetof(struct virtio_net_config, status), 2);
		CHECK_EQ(le16toh(status), VIRTIO_NET_S_LINK_UP);
	}
	for (i = 0; i < 2; i++)
		d[i].ops->destroy(&d[i]);
	return 0;
}

int main(void)
{
	if (loop_init())
		return 2;
	RUN(lists_every_model);
	RUN(blk_entries);
	RUN(net_entries_plug_cables);
	loop_exit();
	return check_failed ? 1 : 0;
}
