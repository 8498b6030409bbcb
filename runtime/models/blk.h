/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk device model.  blk_model_init() describes the device (features,
 * config space, queues) in a struct vdev and opens its backend; from then on
 * the VDUSE layer drives it through d->ops.
 */
#ifndef VDFW_MODELS_BLK_H
#define VDFW_MODELS_BLK_H

struct vdev;
struct blk_devcfg;

/*
 * Data segments per request (seg_max).  Each in-flight request carries
 * seg_max + 2 iovecs (header and status around the data), so this sizes
 * the request pool; 126 keeps a request at about 2 KiB and still allows
 * 504 KiB per request with 4 KiB pages.
 */
#define BLK_SEG_MAX 126
/* Largest single segment (size_max). */
#define BLK_SIZE_MAX (1u << 20)
/* Ranges per discard / write-zeroes request (max_*_seg). */
#define BLK_DWZ_SEG_MAX 32

/*
 * Fill @d for the device @cfg describes and open its backend.  Needs
 * loop_init() first (a file backend watches an eventfd).  @cfg must outlive
 * the device.  On error nothing is left allocated.
 */
int blk_model_init(struct vdev *d, const struct blk_devcfg *cfg);

#endif
