/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a queue's interrupt work runs.  VDUSE injects a used-buffer
 * interrupt by queueing work on a CPU of the queue's irq_cb_affinity mask
 * (round robin when the mask spans several CPUs).  vdused is one thread
 * serving every queue, so whatever CPU the driver picked, that work is
 * usually queued to another CPU than the one that just produced the used
 * buffers: a cross-CPU wakeup per interrupt, often of an idle CPU.
 * Pointing each mask at the CPU vdused runs on makes it a local
 * queue_work.  Measured under TCG with 2 vCPUs (docs/bench.md): QD32
 * random read 10.5k -> 16.3k IOPS, QD32 random write 6.3k -> 16.2k,
 * against steering only round-robin masks.
 */
#ifndef VDFW_VDUSE_IRQAFF_H
#define VDFW_VDUSE_IRQAFF_H

#include <stdbool.h>

struct vduse_irqaff {
	int cpu;		/* CPU we last pointed the mask at, -1: none */
	bool gave_up;		/* the kernel refused a write: stop trying */
};

/* The driver (re)started the queue: its mask may have been reset. */
void vduse_irqaff_reset(struct vduse_irqaff *a);
/* Before injecting an interrupt for queue @index of device @name. */
void vduse_irqaff_follow(struct vduse_irqaff *a, const char *name,
			 unsigned int index);

#endif
