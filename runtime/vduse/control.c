// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vduse.h>

#include "../core/log.h"
#include "control.h"

#define VDUSE_CONTROL "/dev/vduse/control"

static int ctl_fd = -1;

static int path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/*
 * Work out why /dev/vduse/control is unusable.  The sysfs class and bus
 * exist exactly when the kernel has the code, whatever /dev looks like.
 */
void vduse_diagnose(void)
{
	/* A hidden or unmounted /sys is a missing feature too. */
	if (path_exists("/sys/class/vduse/control"))
		pr_info("error: the kernel has VDUSE but %s is missing: mount devtmpfs on /dev",
			VDUSE_CONTROL);
	else if (path_exists("/sys/bus/vdpa/devices"))
		pr_info("error: the kernel lacks VDUSE: enable CONFIG_VDPA_USER");
	else
		pr_info("error: the kernel lacks vDPA and VDUSE: enable CONFIG_VDPA and CONFIG_VDPA_USER");
}

int vduse_control_open(void)
{
	uint64_t version;
	int fd, ret;

	fd = open(VDUSE_CONTROL, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		pr_info("cannot open %s: %s", VDUSE_CONTROL, strerror(errno));
		if (ret == -ENOENT || ret == -ENXIO || ret == -ENODEV)
			vduse_diagnose();
		return ret;
	}
	if (ioctl(fd, VDUSE_GET_API_VERSION, &version)) {
		ret = -errno;
		pr_info("error: VDUSE_GET_API_VERSION: %s", strerror(errno));
		goto close_fd;
	}
	pr_info("VDUSE API version %llu, using %u", (unsigned long long)version,
		VDUSE_API_VERSION);
	/* Version 0 is what we are written for; the kernel refuses newer. */
	version = VDUSE_API_VERSION;
	if (ioctl(fd, VDUSE_SET_API_VERSION, &version)) {
		ret = -errno;
		pr_info("error: VDUSE_SET_API_VERSION(%u): %s", VDUSE_API_VERSION,
			strerror(errno));
		goto close_fd;
	}
	ctl_fd = fd;
	return 0;

close_fd:
	close(fd);
	return ret;
}

void vduse_control_close(void)
{
	if (ctl_fd >= 0)
		close(ctl_fd);
	ctl_fd = -1;
}

int vduse_create_dev(const char *name, uint32_t device_id, uint64_t features,
		     uint32_t vq_num, const void *config, uint32_t config_size)
{
	struct vduse_dev_config *cfg;
	int ret = 0;

	cfg = calloc(1, sizeof(*cfg) + config_size);
	if (!cfg)
		return -ENOMEM;
	strncpy(cfg->name, name, VDUSE_NAME_MAX - 1);
	cfg->vendor_id = 0;
	cfg->device_id = device_id;
	cfg->features = features;
	cfg->vq_num = vq_num;
	/* The used ring needs 4; a page keeps rings from sharing pages. */
	cfg->vq_align = 4096;
	cfg->config_size = config_size;
	memcpy(cfg->config, config, config_size);
	if (ioctl(ctl_fd, VDUSE_CREATE_DEV, cfg))
		ret = -errno;
	free(cfg);
	return ret;
}

int vduse_destroy_dev(const char *name)
{
	char buf[VDUSE_NAME_MAX] = { 0 };

	strncpy(buf, name, sizeof(buf) - 1);
	return ioctl(ctl_fd, VDUSE_DESTROY_DEV, buf) ? -errno : 0;
}
