// SPDX-License-Identifier: GPL-2.0
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "../core/kconfig.h"
#include "../core/log.h"
#include "../core/sysfs.h"
#include "irqaff.h"

void vduse_irqaff_reset(struct vduse_irqaff *a)
{
	a->cpu = -1;
	a->gave_up = false;
}

/* A hex cpumask ("4", "1,00000000") with one CPU set. */
static void cpu_mask(char *buf, size_t len, int cpu)
{
	int group, n;

	n = snprintf(buf, len, "%x", 1u << (cpu % 32));
	for (group = cpu / 32; group > 0 && n < (int)len; group--)
		n += snprintf(buf + n, len - n, ",00000000");
}

static void irqaff_path(char *buf, size_t len, const char *name,
			unsigned int index)
{
	snprintf(buf, len, "/sys/class/vduse/%s/vq%u/irq_cb_affinity", name, index);
}

void vduse_irqaff_follow(struct vduse_irqaff *a, const char *name,
			 unsigned int index)
{
	char path[160], mask[64];
	int cpu;

	if (!IS_ENABLED(CONFIG_VDUSED_IRQ_AFFINITY) || a->gave_up)
		return;
	cpu = sched_getcpu();
	if (cpu < 0 || cpu == a->cpu)
		return;
	irqaff_path(path, sizeof(path), name, index);
	cpu_mask(mask, sizeof(mask), cpu);
	if (sysfs_write(path, mask)) {
		/* Older kernel or no sysfs: serve on, unsteered. */
		dev_dbg(name, "vq%u: cannot steer interrupts", index);
		a->gave_up = true;
		return;
	}
	dev_dbg(name, "vq%u: interrupts on CPU %d", index, cpu);
	a->cpu = cpu;
}
