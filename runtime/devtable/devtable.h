/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The compiled-in device table.  devtable.c is generated from the Kconfig
 * .config by runtime/devtable/gen-devtable.py, which is the only place the
 * table is parsed or validated: everything here is already known good.
 */
#ifndef VDFW_DEVTABLE_DEVTABLE_H
#define VDFW_DEVTABLE_DEVTABLE_H

#include <stdbool.h>
#include <stdint.h>

/* Opaque here: the models define them (blk_backend.h, net_backend.h). */
struct blk_backend_kind;
struct net_backend_kind;

/*
 * From gen-devtable.py: DEVTABLE_BLK_MAX, DEVTABLE_NET_MAX (slots per kind)
 * and a declaration of every backend it knows (blk_<kind>_backend,
 * net_<kind>_backend), each defined by backends/<model>/<kind>.c.
 */
#include "devtable_gen.h"

enum vdpa_bus {
	VDPA_BUS_VIRTIO,	/* virtio_vdpa: the guest kernel's own driver */
	VDPA_BUS_VHOST,		/* vhost_vdpa: /dev/vhost-vdpa-N for a VMM */
};

struct blk_devcfg {
	const char *name;		/* VDUSE and vdpa device name */
	uint64_t capacity;		/* bytes, a multiple of block_size */
	const struct blk_backend_kind *backend;	/* e.g. &blk_ram_backend */
	const char *path;		/* the file backend only */
	bool readonly;
	uint32_t block_size;		/* 512 or 4096 */
	uint16_t num_queues;		/* 1..8 */
	uint16_t queue_size;		/* power of two, <= 1024 */
	const char *serial;		/* GET_ID, at most 20 bytes */
	enum vdpa_bus bus;
};

struct net_devcfg {
	const char *name;
	uint8_t mac[6];
	uint16_t mtu;
	uint16_t queue_size;
	const struct net_backend_kind *backend;	/* e.g. &net_tap_backend */
	const char *ifname;		/* the tap backend */
	/* The cable backend: the other end, an entry of the same table */
	const struct net_devcfg *peer;
	bool link_up;			/* link state at start */
	enum vdpa_bus bus;
};

extern const struct blk_devcfg blk_devtable[];
extern const unsigned int blk_devtable_len;
extern const struct net_devcfg net_devtable[];
extern const unsigned int net_devtable_len;
/* One line describing the table, for the start-up banner. */
extern const char devtable_summary[];

#endif
