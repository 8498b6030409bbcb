/* SPDX-License-Identifier: GPL-2.0 */
/* One-value sysfs (or procfs) attribute files. */
#ifndef VDFW_CORE_SYSFS_H
#define VDFW_CORE_SYSFS_H

#include <stddef.h>

/* Write @val with one write(); 0 or -errno. */
int sysfs_write(const char *path, const char *val);
/* Read the value, trailing newlines removed; 0 or -errno. */
int sysfs_read(const char *path, char *buf, size_t len);

#endif
