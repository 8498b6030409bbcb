/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IOVA regions of a VDUSE device: VDUSE_IOTLB_GET_FD returns a file for
 * the region around an IOVA (the kernel's bounce buffer and coherent ring
 * memory for virtio_vdpa, the VMM's memory for vhost_vdpa), which we mmap.
 *
 * A region the iova cache drops (IOTLB update, eviction, reset) may still
 * be referenced by a request a backend holds.  Unmapping it then would
 * turn that request's completion into a crash, so a dropped region is
 * replaced in place by inaccessible-to-nobody anonymous memory and only
 * unmapped by vduse_iotlb_collect() once the device has nothing in flight.
 */
#ifndef VDFW_VDUSE_IOTLB_H
#define VDFW_VDUSE_IOTLB_H

#include <stddef.h>

#include "../virtqueue/iova.h"

#define IOTLB_RETIRED_MAX 4096

struct iotlb_retired {
	void *addr;
	size_t len;
};

struct vduse_iotlb {
	int fd;				/* /dev/vduse/NAME */
	unsigned int nr_retired;
	struct iotlb_retired *retired;	/* grows up to IOTLB_RETIRED_MAX */
	unsigned int cap_retired;
};

/* ops for iova_init(); the iova_space's priv must be a struct vduse_iotlb. */
extern const struct iova_source_ops vduse_iotlb_ops;

/* Unmap retired regions: call only when no request is in flight. */
void vduse_iotlb_collect(struct vduse_iotlb *t);

#endif
