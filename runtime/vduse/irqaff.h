/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a queue's interrupt work runs.  VDUSE injects a used-buffer
 * interrupt by queueing work on a CPU of the queue's irq_cb_affinity mask,
 * round robin.  When the driver left that mask spanning several CPUs (one
 * queue for the whole machine), every other interrupt hops to a CPU that
 * is probably asleep.  Pointing the mask at the CPU vdused runs on keeps
 * that work next to the daemon that just produced it; a mask the driver
 * narrowed to one CPU (a blk-mq queue per CPU) is left alone.
 */
#ifndef VDFW_VDUSE_IRQAFF_H
#define VDFW_VDUSE_IRQAFF_H

#include <stdbool.h>

struct vduse_irqaff {
	int cpu;		/* CPU we last pointed the mask at, -1: none */
	bool checked;		/* looked at the driver's mask since start */
	bool driver_fixed;	/* the driver picked one CPU: hands off */
};

/* The driver (re)started the queue: look at its mask again. */
void vduse_irqaff_reset(struct vduse_irqaff *a);
/* Before injecting an interrupt for queue @index of device @name. */
void vduse_irqaff_follow(struct vduse_irqaff *a, const char *name,
			 unsigned int index);

#endif
