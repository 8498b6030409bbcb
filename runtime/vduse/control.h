/* SPDX-License-Identifier: GPL-2.0 */
/* /dev/vduse/control: API version, device creation and destruction. */
#ifndef VDFW_VDUSE_CONTROL_H
#define VDFW_VDUSE_CONTROL_H

#include <stdint.h>

/*
 * Open the control node and agree on the API version.  On failure, logs
 * what the kernel is missing (naming the CONFIG option) and returns -errno.
 */
int vduse_control_open(void);
void vduse_control_close(void);

/* -EEXIST when a device of that name already exists (vdused restarted). */
int vduse_create_dev(const char *name, uint32_t device_id, uint64_t features,
		     uint32_t vq_num, const void *config, uint32_t config_size);
int vduse_destroy_dev(const char *name);

/* Logs which CONFIG option is missing, judging from /sys and /dev. */
void vduse_diagnose(void);

#endif
