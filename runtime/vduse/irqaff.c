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
	a->checked = false;
	a->driver_fixed = false;
}

/* A hex cpumask ("4", "1,00000000") with one CPU set. */
static void cpu_mask(char *buf, size_t len, int cpu)
{
	int group, n;

	n = snprintf(buf, len, "%x", 1u << (cpu % 32));
	for (group = cpu / 32; group > 0 && n < (int)len; group--)
		n += snprintf(buf + n, len - n, ",00000000");
}

/* Does the mask name exactly one CPU? */
static bool one_cpu(const char *mask)
{
	int bits = 0;

	for (; *mask; mask++)
		if (*mask != ',')
			bits += __builtin_popcount(*mask >= 'a' ? *mask - 'a' + 10 :
						   *mask >= 'A' ? *mask - 'A' + 10 :
						   *mask - '0');
	return bits == 1;
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

	if (!IS_ENABLED(CONFIG_VDUSED_IRQ_AFFINITY) || a->driver_fixed)
		return;
	if (!a->checked) {
		a->checked = true;
		irqaff_path(path, sizeof(path), name, index);
		if (sysfs_read(path, mask, sizeof(mask)) || one_cpu(mask)) {
			a->driver_fixed = true;
			return;
		}
	}
	cpu = sched_getcpu();
	if (cpu < 0 || cpu == a->cpu)
		return;
	irqaff_path(path, sizeof(path), name, index);
	cpu_mask(mask, sizeof(mask), cpu);
	if (sysfs_write(path, mask)) {
		a->driver_fixed = true;	/* cannot steer: stop trying */
		return;
	}
	dev_dbg(name, "vq%u: interrupts on CPU %d", index, cpu);
	a->cpu = cpu;
}
