/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A virtio device served by vdused, seen from a device model.
 *
 * The VDUSE layer (vduse/device.c) owns the kernel side: the /dev/vduse fd,
 * the status machine, IOTLB, kick eventfds.  A device model (models/blk.c,
 * models/net.c) fills in features, config space and queue geometry, then
 * is driven through its vdev_model_ops.  The transport ops are the only
 * way a model reaches the driver, which lets unit tests put a simulated
 * driver underneath.
 */
#ifndef VDFW_VIRTIO_VDEV_H
#define VDFW_VIRTIO_VDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/compiler.h"
#include "../core/stats.h"
#include "../virtqueue/iova.h"
#include "../virtqueue/virtq.h"

#define VDEV_MAX_VQS 16
#define VDEV_CONFIG_MAX 256

enum vdev_state {
	VDEV_STOPPED,		/* no driver running (status below DRIVER_OK) */
	VDEV_RUNNING,		/* DRIVER_OK: queues are served */
	VDEV_NEEDS_RESET,	/* driver broke the protocol; waits for reset */
};

struct vdev;

struct vdev_model_ops {
	const char *kind;	/* "blk", "net": for logs */
	/* DRIVER_OK: queues are started, d->driver_features valid. */
	int (*start)(struct vdev *d);
	/* A queue was kicked: consume and process what is available. */
	void (*queue_kick)(struct vdev *d, struct virtq *vq);
	/*
	 * Leave the data path: reset, NEEDS_RESET or shutdown.  Requests still
	 * in a backend complete later but must not touch the rings again.
	 */
	void (*stop)(struct vdev *d);
	/* A head that was in flight when an earlier vdused died: redo it. */
	void (*resubmit)(struct vdev *d, struct virtq *vq, uint16_t head);
	/* Number of requests still owned by a backend (shutdown drain). */
	unsigned int (*inflight)(const struct vdev *d);
	/* Release everything the model allocated. */
	void (*destroy)(struct vdev *d);
	/* Write the model's counters to @fd, one stat_line() each. */
	void (*dump_stats)(const struct vdev *d, int fd);
	/*
	 * The administrative link state (SIGUSR2 link requests).  The table
	 * gives the initial one; the driver sees the change through a config
	 * interrupt.  NULL for a model without a link (blk).
	 */
	void (*set_link)(struct vdev *d, bool up);
	bool (*get_link)(const struct vdev *d);
	/*
	 * SIGHUP: open again what the backend lost (a deleted tap).  NULL
	 * for a model whose backends cannot lose anything.
	 */
	void (*reconnect)(struct vdev *d);
};

struct vdev_transport_ops {
	/* Used-buffer interrupt for @vq. */
	void (*vq_irq)(struct vdev *d, struct virtq *vq);
	/* Configuration-change interrupt. */
	void (*config_irq)(struct vdev *d);
	/* Make config[off, off+len) visible to the driver. */
	int (*config_update)(struct vdev *d, unsigned int off, unsigned int len);
};

struct vdev {
	const char *name;
	uint32_t device_id;		/* VIRTIO_ID_BLOCK / VIRTIO_ID_NET */
	const struct vdev_model_ops *ops;
	const struct vdev_transport_ops *transport;
	void *model;			/* model's private state */
	void *transport_priv;

	uint64_t features;		/* offered */
	uint64_t driver_features;	/* negotiated (valid from FEATURES_OK) */
	uint8_t status;			/* last status the driver set */
	enum vdev_state state;

	unsigned int nr_vqs;
	uint16_t vq_size_max;		/* per queue, a power of two */
	struct virtq vqs[VDEV_MAX_VQS];
	struct iova_space iova;

	uint32_t config_size;
	uint8_t config[VDEV_CONFIG_MAX];
};

static inline bool vdev_has_feature(const struct vdev *d, unsigned int bit)
{
	return d->driver_features & (1ULL << bit);
}

/*
 * The driver broke the protocol (bad ring, bad descriptor): stop serving
 * this device, log @why once, and raise a config interrupt.  Only a driver
 * reset brings it back.  Other devices are not affected.
 */
void vdev_needs_reset(struct vdev *d, const char *why);

/* Model helper: a queue broke; move the device to NEEDS_RESET with its reason. */
void vdev_vq_broken(struct vdev *d, struct virtq *vq);

/* Write @d's counters (engine, state, model) to @fd. */
void vdev_dump_stats(const struct vdev *d, int fd);

#endif
