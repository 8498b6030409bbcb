/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vdpa bus attach/detach over generic netlink.  These block until the
 * driver has probed or been removed: call them only from a child process
 * while the daemon's loop answers the device's messages.
 */
#ifndef VDFW_VDUSE_NETLINK_H
#define VDFW_VDUSE_NETLINK_H

#include <stdbool.h>
#include <stddef.h>

#include "../devtable/devtable.h"

#define VDPA_AUTOPROBE "/sys/bus/vdpa/drivers_autoprobe"

const char *vdpa_bus_driver(enum vdpa_bus bus);
/* Add to the bus (if needed) and bind @bus's driver; autoprobe must be off. */
int vdpa_attach(const char *name, enum vdpa_bus bus);
/* Remove from the bus (unbinding the driver); 0 if it was not there. */
int vdpa_detach(const char *name);
/* Name of the driver bound to @name, "" if none. */
void vdpa_bound_driver(const char *name, char *buf, size_t len);
/* Is vdpa device @name still on the bus (its driver may be bound)? */
bool vdpa_on_bus(const char *name);

#endif
