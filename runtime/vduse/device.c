// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vduse.h>
#include <linux/virtio_config.h>

#include "../core/kconfig.h"
#include "../core/log.h"
#include "../core/sysfs.h"
#include "control.h"
#include "device.h"
#include "start.h"

#define S_ACK VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_FEATURES_OK VIRTIO_CONFIG_S_FEATURES_OK
#define S_DRIVER_OK VIRTIO_CONFIG_S_DRIVER_OK

static void vduse_vq_irq(struct vdev *d, struct virtq *vq)
{
	struct vduse_device *vd = container_of(d, struct vduse_device, vdev);
	uint32_t index = vq->index;

	vduse_irqaff_follow(&vd->irqaff[index], d->name, index);
	if (ioctl(vd->fd, VDUSE_VQ_INJECT_IRQ, &index))
		dev_dbg(d->name, "vq%u: inject irq: %s", index, strerror(errno));
}

static void vduse_config_irq(struct vdev *d)
{
	struct vduse_device *vd = container_of(d, struct vduse_device, vdev);

	if (ioctl(vd->fd, VDUSE_DEV_INJECT_CONFIG_IRQ))
		dev_dbg(d->name, "inject config irq: %s", strerror(errno));
}

static int vduse_config_update(struct vdev *d, unsigned int off,
			       unsigned int len)
{
	struct vduse_device *vd = container_of(d, struct vduse_device, vdev);
	uint8_t buf[sizeof(struct vduse_config_data) + VDEV_CONFIG_MAX]
		__attribute__((aligned(8)));
	struct vduse_config_data *c = (struct vduse_config_data *)buf;

	if (off + len > d->config_size || !len)
		return -EINVAL;
	c->offset = off;
	c->length = len;
	memcpy(c->buffer, d->config + off, len);
	return ioctl(vd->fd, VDUSE_DEV_SET_CONFIG, c) ? -errno : 0;
}

static const struct vdev_transport_ops vduse_transport = {
	.vq_irq = vduse_vq_irq,
	.config_irq = vduse_config_irq,
	.config_update = vduse_config_update,
};

/* virtq notify hook: the engine decided the driver wants an interrupt. */
static void vduse_vq_notify(struct virtq *vq)
{
	struct vduse_device *vd = vq->priv;

	vd->vdev.transport->vq_irq(&vd->vdev, vq);
}

/*
 * A kick.  The eventfd is edge-triggered and never read: every signal is
 * an event of its own, so the count needs no resetting, and a kick costs
 * one syscall less (the counter saturates instead of overflowing).
 */
static void vduse_kick(struct loop_source *src, uint32_t events)
{
	struct vduse_kick *k = container_of(src, struct vduse_kick, src);
	struct vdev *d = &k->dev->vdev;

	(void)events;
	if (d->state == VDEV_RUNNING && d->vqs[k->index].num)
		d->ops->queue_kick(d, &d->vqs[k->index]);
}

/* Point the kernel at our kick eventfd for @index (reset drops it). */
static int vduse_setup_kick(struct vduse_device *vd, unsigned int index)
{
	struct vduse_vq_eventfd ev = {
		.index = index,
		.fd = vd->kicks[index].src.fd,
	};

	return ioctl(vd->fd, VDUSE_VQ_SETUP_KICKFD, &ev) ? -errno : 0;
}

static int vduse_vq_info(struct vdev *d, unsigned int index,
			 struct vduse_vq_info *info)
{
	struct vduse_device *vd = container_of(d, struct vduse_device, vdev);

	vduse_irqaff_reset(&vd->irqaff[index]);
	memset(info, 0, sizeof(*info));
	info->index = index;
	return ioctl(vd->fd, VDUSE_VQ_GET_INFO, info) ? -errno : 0;
}

static int vduse_vq_started(struct vdev *d, unsigned int index)
{
	return vduse_setup_kick(container_of(d, struct vduse_device, vdev),
				index);
}

static const struct vduse_start_ops vduse_start_ops = {
	.vq_info = vduse_vq_info,
	.vq_started = vduse_vq_started,
};

static void vduse_start(struct vduse_device *vd, enum vduse_start_mode mode)
{
	vduse_start_queues(&vd->vdev, &vd->state, mode, &vduse_start_ops);
}

/* Status 0: forget the driver, its queues and its mappings. */
static void vduse_reset(struct vduse_device *vd)
{
	struct vdev *d = &vd->vdev;

	vduse_stop_queues(d, &vd->state);
	d->status = 0;
	d->driver_features = 0;
	dev_info(d->name, "reset");
}

static uint64_t vduse_driver_features(struct vduse_device *vd)
{
	uint64_t f = 0;

	if (ioctl(vd->fd, VDUSE_DEV_GET_FEATURES, &f))
		dev_info(vd->vdev.name, "GET_FEATURES: %s", strerror(errno));
	return f;
}

/*
 * The driver wrote the status register.  Returns true when the queues
 * must start once the kernel has our answer (it only accepts interrupts
 * after that).
 */
static bool vduse_set_status(struct vduse_device *vd, uint8_t status)
{
	struct vdev *d = &vd->vdev;
	uint8_t old = d->status;

	dev_dbg(d->name, "status %#x -> %#x", old, status);
	if (!status) {
		vduse_reset(vd);
		vd->state.st->status = 0;
		return false;
	}
	if ((status & S_FEATURES_OK) && !(old & S_FEATURES_OK)) {
		d->driver_features = vduse_driver_features(vd);
		dev_dbg(d->name, "features ok: %#llx",
			(unsigned long long)d->driver_features);
	}
	d->status = status | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	vd->state.st->status = status;
	return (status & S_DRIVER_OK) && !(old & S_DRIVER_OK) &&
	       d->state == VDEV_STOPPED;
}

static uint16_t vduse_vq_avail(struct vduse_device *vd, uint32_t index)
{
	struct vduse_vq_info info = { .index = index };

	if (index < vd->vdev.nr_vqs && vd->vdev.vqs[index].num)
		return vd->vdev.vqs[index].last_avail;
	if (ioctl(vd->fd, VDUSE_VQ_GET_INFO, &info))
		return 0;
	return info.split.avail_index;
}

/* Answer one control message; returns true if queues must start after. */
static bool vduse_handle(struct vduse_device *vd,
			 const struct vduse_dev_request *req,
			 struct vduse_dev_response *resp)
{
	resp->request_id = req->request_id;
	resp->result = VDUSE_REQ_RESULT_OK;
	switch (req->type) {
	case VDUSE_GET_VQ_STATE:
		resp->vq_state.index = req->vq_state.index;
		resp->vq_state.split.avail_index =
			vduse_vq_avail(vd, req->vq_state.index);
		return false;
	case VDUSE_SET_STATUS:
		return vduse_set_status(vd, req->s.status);
	case VDUSE_UPDATE_IOTLB:
		dev_dbg(vd->vdev.name, "iotlb update [%#llx, %#llx]",
			(unsigned long long)req->iova.start,
			(unsigned long long)req->iova.last);
		iova_invalidate(&vd->vdev.iova, req->iova.start, req->iova.last);
		return false;
	default:
		dev_info(vd->vdev.name, "unknown control message %u", req->type);
		resp->result = VDUSE_REQ_RESULT_FAILED;
		return false;
	}
}

static void vduse_messages(struct loop_source *src, uint32_t events)
{
	struct vduse_device *vd = container_of(src, struct vduse_device, msg);
	struct vduse_dev_request req;
	struct vduse_dev_response resp;
	bool start;

	if (events & EPOLLERR) {
		/* The kernel gave up on us (a message timed out). */
		dev_info(vd->vdev.name, "device is broken (control message timeout); ignoring it");
		loop_unwatch(src);
		return;
	}
	while (read(vd->fd, &req, sizeof(req)) == sizeof(req)) {
		memset(&resp, 0, sizeof(resp));
		start = vduse_handle(vd, &req, &resp);
		if (write(vd->fd, &resp, sizeof(resp)) != sizeof(resp))
			dev_info(vd->vdev.name, "reply to message %u: %s",
				 req.request_id, strerror(errno));
		if (start)
			vduse_start(vd, VDUSE_START_FRESH);
	}
}

static void vduse_unwatch(struct vduse_device *vd)
{
	unsigned int i;

	for (i = 0; i < vd->vdev.nr_vqs; i++) {
		if (vd->kicks[i].src.fd < 0)
			continue;
		loop_unwatch(&vd->kicks[i].src);
		close(vd->kicks[i].src.fd);
		vd->kicks[i].src.fd = -1;
	}
	if (vd->msg.fd >= 0)
		loop_unwatch(&vd->msg);
	vd->msg.fd = -1;
}

static int vduse_watch(struct vduse_device *vd)
{
	struct vdev *d = &vd->vdev;
	unsigned int i;
	int ret;

	for (i = 0; i < d->nr_vqs; i++) {
		struct vduse_kick *k = &vd->kicks[i];

		k->dev = vd;
		k->index = i;
		k->src.handle = vduse_kick;
		k->src.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (k->src.fd < 0)
			return -errno;
		ret = loop_watch(&k->src, EPOLLIN | EPOLLET);
		if (ret)
			return ret;
	}
	vd->msg.fd = vd->fd;
	vd->msg.handle = vduse_messages;
	return loop_watch(&vd->msg, EPOLLIN);
}

/* New device: queue sizes, and the bounce buffer before anyone attaches. */
static int vduse_setup_new(struct vduse_device *vd)
{
	struct vdev *d = &vd->vdev;
	char path[256], val[32];
	unsigned int i;

	for (i = 0; i < d->nr_vqs; i++) {
		struct vduse_vq_config c = { .index = i, .max_size = d->vq_size_max };

		if (ioctl(vd->fd, VDUSE_VQ_SETUP, &c))
			return -errno;
	}
	if (vd->bus == VDPA_BUS_VIRTIO && CONFIG_VDUSED_BOUNCE_SIZE_MIB != 64) {
		snprintf(path, sizeof(path), "/sys/class/vduse/%s/bounce_size", d->name);
		snprintf(val, sizeof(val), "%lu", (unsigned long)CONFIG_VDUSED_BOUNCE_SIZE_MIB << 20);
		if (sysfs_write(path, val))
			dev_info(d->name, "cannot set bounce size to %s", val);
	}
	return 0;
}

/*
 * An earlier vdused served this device and died.  The kernel kept the
 * device, its queues and any unanswered messages; the state file kept
 * where each queue stood.  Pick up from there.
 */
static void vduse_resume(struct vduse_device *vd, bool have_state)
{
	struct vdev *d = &vd->vdev;
	uint8_t status = vd->state.st->status;

	d->driver_features = vduse_driver_features(vd);
	if (!have_state) {
		struct vduse_vq_info info = { .index = 0 };

		/* No record: judge from the kernel, assuming nothing in flight. */
		status = 0;
		if (d->driver_features && !ioctl(vd->fd, VDUSE_VQ_GET_INFO, &info) &&
		    info.ready)
			status = S_ACK | VIRTIO_CONFIG_S_DRIVER | S_FEATURES_OK | S_DRIVER_OK;
		vd->state.st->status = status;
	}
	d->status = status;
	dev_info(d->name, "reopened after a restart (status %#x)", status);
	if (!(status & S_DRIVER_OK))
		return;
	if (!have_state)
		dev_info(d->name, "no usable state file: a queue is taken over "
			 "only if nothing on it is outstanding");
	vduse_start(vd, have_state ? VDUSE_START_RESUME : VDUSE_START_GUESS);
}

int vduse_device_open(struct vduse_device *vd)
{
	struct vdev *d = &vd->vdev;
	bool have_state;
	char path[256];
	unsigned int i;
	int ret;

	vd->fd = -1;
	vd->msg.fd = -1;
	d->transport = &vduse_transport;
	for (i = 0; i < d->nr_vqs; i++) {
		d->vqs[i].index = i;
		d->vqs[i].iova = &d->iova;
		d->vqs[i].notify = vduse_vq_notify;
		d->vqs[i].priv = vd;
		vd->kicks[i].src.fd = -1;
	}
	ret = vduse_create_dev(d->name, d->device_id, d->features, d->nr_vqs,
			       d->config, d->config_size);
	vd->resumed = ret == -EEXIST;
	if (ret && !vd->resumed) {
		dev_info(d->name, "VDUSE_CREATE_DEV: %s", strerror(-ret));
		return ret;
	}
	snprintf(path, sizeof(path), "/dev/vduse/%s", d->name);
	vd->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (vd->fd < 0) {
		ret = -errno;
		dev_info(d->name, "open %s: %s", path, strerror(errno));
		goto err_destroy;
	}
	vd->tlb.fd = vd->fd;
	iova_init(&d->iova, &vduse_iotlb_ops, &vd->tlb);
	ret = vd->resumed ? 0 : vduse_setup_new(vd);
	if (ret)
		goto err_close;
	ret = vduse_state_open(&vd->state, d->name, d->nr_vqs, d->features,
			       d->vq_size_max, vd->resumed);
	if (ret < 0)
		goto err_close;
	have_state = ret == 1;
	ret = vduse_watch(vd);
	if (ret)
		goto err_close;
	if (vd->resumed)
		vduse_resume(vd, have_state);
	else
		dev_info(d->name, "created: %s, %u queues of %u, features %#llx",
			 d->ops->kind, d->nr_vqs, d->vq_size_max,
			 (unsigned long long)d->features);
	return 0;

err_close:
	dev_info(d->name, "setup failed: %s", strerror(-ret));
	vduse_unwatch(vd);
	vduse_state_close(&vd->state, d->name, false);
	close(vd->fd);
	vd->fd = -1;
err_destroy:
	if (!vd->resumed)
		vduse_destroy_dev(d->name);
	return ret;
}

void vduse_device_quiesce(struct vduse_device *vd)
{
	unsigned int i;

	/* Kicks are ignored from now on; control messages are still answered. */
	for (i = 0; i < vd->vdev.nr_vqs; i++)
		if (vd->kicks[i].src.fd >= 0)
			loop_unwatch(&vd->kicks[i].src);
}

unsigned int vduse_device_inflight(const struct vduse_device *vd)
{
	const struct vdev *d = &vd->vdev;

	return d->ops && d->ops->inflight ? d->ops->inflight(d) : 0;
}

/*
 * Shutdown, after the device left the bus: release everything and
 * destroy the kernel device so that nothing of it outlives vdused.
 */
void vduse_device_destroy(struct vduse_device *vd)
{
	struct vdev *d = &vd->vdev;
	unsigned int i;
	int ret;

	if (d->state != VDEV_STOPPED)
		d->ops->stop(d);
	for (i = 0; i < d->nr_vqs; i++)
		virtq_stop(&d->vqs[i]);
	vduse_unwatch(vd);
	/* The model drops the references its requests held... */
	d->ops->destroy(d);
	/* ... so every region can go now. */
	iova_fini(&d->iova);
	vduse_state_close(&vd->state, d->name, true);
	if (vd->fd >= 0)
		close(vd->fd);
	vd->fd = -1;
	ret = vduse_destroy_dev(d->name);
	if (ret)
		dev_info(d->name, "VDUSE_DESTROY_DEV: %s", strerror(-ret));
	else
		dev_info(d->name, "destroyed");
}

bool vduse_device_owns(struct vduse_device *vd, const void *addr)
{
	struct vdev *d = &vd->vdev;
	const uint8_t *p = addr;
	unsigned int i;
	char why[160];

	for (i = 0; i < d->iova.nr; i++) {
		const struct iova_map *m = &d->iova.maps[i]->m;

		if (p < m->host || p > m->host + (m->last - m->start))
			continue;
		snprintf(why, sizeof(why),
			 "bus error reading IOVA %#llx: the driver never backed it",
			 (unsigned long long)(m->start + (p - m->host)));
		vdev_needs_reset(d, why);
		/*
		 * Our scratch page now shadows that IOVA: forget the mapping.
		 * Requests that hold it fail (iova_refs_ok()), none with OK.
		 */
		iova_reset(&d->iova);
		return true;
	}
	return false;
}
