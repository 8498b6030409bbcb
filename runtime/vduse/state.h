/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a device must remember across a vdused restart, kept in a
 * MAP_SHARED file under the run directory: every store is in the page
 * cache the moment it is made, so a process killed at any instruction
 * leaves the file as current as the rings themselves.
 *
 * The kernel keeps the rest: the device, its queues' addresses and
 * readiness (VQ_GET_INFO), the negotiated features, and the control
 * messages we had not answered.
 */
#ifndef VDFW_VDUSE_STATE_H
#define VDFW_VDUSE_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "../virtqueue/virtq.h"

#define VDUSE_STATE_MAGIC 0x76647573	/* "vdus" */

/*
 * The file an earlier process left is believed only if every field is what
 * this vdused would have written (vduse_state_open() checks them all).
 */
struct vduse_state {
	uint32_t magic;
	uint32_t nr_vqs;
	uint64_t features;		/* offered: a changed table starts afresh */
	uint16_t vq_size;		/* per-queue log capacity */
	uint8_t status;			/* driver status we last acknowledged */
	uint8_t reserved[5];		/* 0 */
	uint32_t log_stride;		/* bytes from one queue's log to the next */
	uint32_t reserved2;		/* 0 */
	/* nr_vqs struct virtq_log, log_stride bytes apart, follow. */
};

/*
 * The layout is computed from the device, never read back from the file,
 * so no file content can move a log or change how much of it is read.
 */
struct vduse_state_file {
	struct vduse_state *st;
	unsigned long size;		/* of the file and the mapping */
	unsigned long stride;		/* log_stride */
	uint32_t nr_vqs;
	uint16_t vq_size;		/* every log has room for this queue size */
};

/*
 * Map NAME's state file.  With @resume, keep what an earlier process left
 * if it is valid for this device (@nr_vqs, @features, @vq_size) and return
 * 1; otherwise (or without @resume) start from zero and return 0.  A file
 * found and not kept is logged with the field that failed.  -errno on
 * failure.
 */
int vduse_state_open(struct vduse_state_file *sf, const char *name,
		     uint32_t nr_vqs, uint64_t features, uint16_t vq_size,
		     bool resume);
void vduse_state_close(struct vduse_state_file *sf, const char *name,
		       bool remove);
/*
 * Queue @index's log, room for a queue of sf->vq_size entries (a queue
 * larger than that has no log); NULL if there is no such queue.
 */
struct virtq_log *vduse_state_log(struct vduse_state_file *sf,
				  unsigned int index);
/*
 * The driver reset the device: no log describes its new rings.  Until a
 * queue is started again its log reads as empty.
 */
void vduse_state_forget(struct vduse_state_file *sf);

#endif
