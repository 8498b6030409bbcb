// SPDX-License-Identifier: GPL-2.0
/*
 * The device table brought to life.  Each table entry becomes a model
 * (models/) on a VDUSE device (device.c).  Attaching to and detaching from
 * the vdpa bus run in one child process at a time, because the kernel
 * probes or removes the driver inside those calls and the driver waits for
 * our answers, which only the parent's loop can give.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../core/fault.h"
#include "../core/log.h"
#include "../core/rundir.h"
#include "../core/sysfs.h"
#include "../devtable/devtable.h"
#include "../models/registry.h"
#include "../vduse/device.h"
#include "../vduse/netlink.h"
#include "devices.h"

#define MAX_DEVICES (DEVTABLE_BLK_MAX + DEVTABLE_NET_MAX)

enum bus_job {
	BUS_IDLE,
	BUS_ATTACHING,
	BUS_DETACHING,
};

static struct vduse_device *devs[MAX_DEVICES];
static unsigned int nr_devs;
static pid_t bus_child;
static enum bus_job bus_job;
static bool attach_done;

static void for_each_device(void (*fn)(struct vduse_device *vd))
{
	unsigned int i;

	for (i = 0; i < nr_devs; i++)
		fn(devs[i]);
}

/* One table entry: the model describes the device, then VDUSE creates it. */
static void device_add(const struct vdev_model_kind *m, unsigned int i)
{
	struct vduse_device *vd;
	int ret;

	vd = calloc(1, sizeof(*vd));
	if (!vd) {
		pr_info("%s entry %u: not served: out of memory", m->name, i);
		return;
	}
	ret = m->create(&vd->vdev, i, &vd->bus);
	if (ret)
		goto free_vd;
	ret = vduse_device_open(vd);
	if (ret)
		goto destroy_model;
	devs[nr_devs++] = vd;
	return;

destroy_model:
	vd->vdev.ops->destroy(&vd->vdev);
free_vd:
	pr_info("%s: not served: %s", vd->vdev.name, strerror(-ret));
	free(vd);
}

/*
 * Child: attach (or detach) every device in turn.  Autoprobe is off during
 * attach so that driver_override alone picks each device's bus driver; the
 * old setting is restored afterwards.
 */
static int bus_child_main(enum bus_job job)
{
	char autoprobe[8] = "1";
	unsigned int i, failed = 0;

	if (job == BUS_ATTACHING) {
		sysfs_read(VDPA_AUTOPROBE, autoprobe, sizeof(autoprobe));
		sysfs_write(VDPA_AUTOPROBE, "0");
	}
	for (i = 0; i < nr_devs; i++) {
		struct vduse_device *vd = devs[i];

		if (job == BUS_ATTACHING)
			failed += vdpa_attach(vd->vdev.name, vd->bus) != 0;
		else
			failed += vdpa_detach(vd->vdev.name) != 0;
	}
	if (job == BUS_ATTACHING)
		sysfs_write(VDPA_AUTOPROBE, autoprobe);
	return failed ? 1 : 0;
}

static int bus_start(enum bus_job job)
{
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		_exit(bus_child_main(job));
	}
	bus_child = pid;
	bus_job = job;
	return 0;
}

int devices_start(void)
{
	unsigned int m, i;
	int ret;

	/* An entry that fails is logged and left out; the others go on. */
	for (m = 0; m < vdev_models_len; m++)
		for (i = 0; i < *vdev_models[m].nr_entries; i++)
			device_add(&vdev_models[m], i);
	if (!nr_devs) {
		attach_done = true;
		return 0;
	}
	ret = bus_start(BUS_ATTACHING);
	if (ret) {
		attach_done = true;
		pr_info("cannot fork the attach process: %s", strerror(-ret));
	}
	return 0;
}

bool devices_settled(void)
{
	return attach_done;
}

static void log_binding(struct vduse_device *vd)
{
	char drv[64];

	vdpa_bound_driver(vd->vdev.name, drv, sizeof(drv));
	if (strcmp(drv, vdpa_bus_driver(vd->bus)))
		dev_info(vd->vdev.name, "not attached (bound to '%s', want %s)",
			 drv, vdpa_bus_driver(vd->bus));
}

void devices_reap_children(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != bus_child)
			continue;
		bus_child = 0;
		if (bus_job == BUS_ATTACHING) {
			for_each_device(log_binding);
			attach_done = true;
		}
		bus_job = BUS_IDLE;
	}
}

/*
 * SIGUSR1: each device's counters go to <run dir>/<name>.stats, one
 * "name value" per line, written to a temporary file and renamed so a
 * reader never sees half of it.
 */
static void dump_stats(struct vduse_device *vd)
{
	const struct vdev *d = &vd->vdev;
	char path[256], tmp[256];
	int fd;

	run_path(path, sizeof(path), d->name, ".stats");
	run_path(tmp, sizeof(tmp), d->name, ".stats.tmp");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		dev_info(d->name, "cannot write %s: %s", tmp, strerror(errno));
		return;
	}
	vdev_dump_stats(d, fd);
	close(fd);
	if (rename(tmp, path))
		dev_info(d->name, "cannot write %s: %s", path, strerror(errno));
}

void devices_dump_stats(void)
{
	for_each_device(dump_stats);
	pr_info("counters written to %s/<device>.stats", run_dir());
}

/*
 * SIGUSR2: apply link requests.  <run dir>/<name>.link holds "up" or
 * "down" (vdfw-link writes it, then signals); a device with a link (its
 * model has the set_link op) whose file asks for a change switches it.
 */
static void apply_link_request(struct vduse_device *vd)
{
	struct vdev *d = &vd->vdev;
	char path[256], want[8];
	bool up;

	if (!d->ops->set_link || !d->ops->get_link)
		return;
	run_path(path, sizeof(path), d->name, ".link");
	if (sysfs_read(path, want, sizeof(want)))
		return;
	if (strcmp(want, "up") && strcmp(want, "down")) {
		dev_info(d->name, "%s: '%s' is neither up nor down", path, want);
		return;
	}
	up = !strcmp(want, "up");
	if (up == d->ops->get_link(d))
		return;
	dev_info(d->name, "link %s (requested)", want);
	d->ops->set_link(d, up);
}

/* SIGHUP: each device's backend opens again what it lost. */
static void reconnect(struct vduse_device *vd)
{
	struct vdev *d = &vd->vdev;

	if (d->ops->reconnect)
		d->ops->reconnect(d);
}

void devices_signal(int signo)
{
	if (signo == SIGUSR2) {
		for_each_device(apply_link_request);
	} else if (signo == SIGHUP) {
		pr_info("SIGHUP: reconnecting lost taps");
		for_each_device(reconnect);
	}
}

/* A contained SIGBUS in some device's driver memory breaks that device. */
static void devices_faults(void)
{
	unsigned int i;
	void *addr;

	while (fault_take(&addr)) {
		for (i = 0; i < nr_devs; i++)
			if (vduse_device_owns(devs[i], addr))
				break;
		if (i == nr_devs)
			pr_info("contained a bus error at %p outside driver memory", addr);
	}
}

void devices_tick(void)
{
	devices_faults();
}

/*
 * Shutdown, step 1: detach everything.  The drivers flush and reset the
 * devices while they go, so the loop keeps serving I/O meanwhile.
 */
void devices_stop(void)
{
	if (!nr_devs)
		return;
	if (bus_child) {
		/* Still attaching: abandon it, the detach below undoes it. */
		kill(bus_child, SIGKILL);
		waitpid(bus_child, NULL, 0);
		bus_child = 0;
	}
	if (bus_start(BUS_DETACHING))
		pr_info("cannot fork the detach process; destroying attached devices will fail");
}

unsigned int devices_busy(void)
{
	unsigned int i, n = bus_child ? 1 : 0;

	for (i = 0; i < nr_devs; i++)
		n += vduse_device_inflight(devs[i]);
	return n;
}

/* Shutdown, step 2: every driver is gone; destroy the devices. */
void devices_destroy(void)
{
	unsigned int i;

	if (bus_child) {
		pr_info("detach did not finish; abandoning it");
		kill(bus_child, SIGKILL);
		waitpid(bus_child, NULL, 0);
		bus_child = 0;
	}
	for (i = 0; i < nr_devs; i++) {
		/*
		 * Still on the bus: its driver may have requests in the rings
		 * and would wait for them forever if we reset the logs.  Leave
		 * it as a crash would; the next vdused resumes it.
		 */
		if (vdpa_on_bus(devs[i]->vdev.name)) {
			dev_info(devs[i]->vdev.name, "still attached: left to the "
				 "next vdused, state file kept");
			continue;
		}
		vduse_device_quiesce(devs[i]);
		vduse_device_destroy(devs[i]);
		free(devs[i]);
	}
	nr_devs = 0;
}
