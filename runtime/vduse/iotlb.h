/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IOVA regions of a VDUSE device: VDUSE_IOTLB_GET_FD returns a file for
 * the region around an IOVA (the kernel's bounce buffer and coherent ring
 * memory for virtio_vdpa, the VMM's memory for vhost_vdpa), which we mmap.
 *
 * The iova cache decides when a region goes (see iova.h).  A region that
 * leaves it while requests still reference it is revoked: the driver's
 * memory is replaced in place by private anonymous pages, so those
 * requests' late writes land nowhere and their reads see zeroes, and the
 * address range stays reserved (no new mapping can appear under their
 * pointers).  It is unmapped when the last reference goes.
 */
#ifndef VDFW_VDUSE_IOTLB_H
#define VDFW_VDUSE_IOTLB_H

#include "../virtqueue/iova.h"

struct vduse_iotlb {
	int fd;				/* /dev/vduse/NAME */
};

/* ops for iova_init(); the iova_space's priv must be a struct vduse_iotlb. */
extern const struct iova_source_ops vduse_iotlb_ops;

#endif
