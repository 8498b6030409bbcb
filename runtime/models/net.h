/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net device model: one RX queue (0) and one TX queue (1) over a
 * tap or a cable backend.  net_model_init() describes the device in a
 * struct vdev and opens its backend; from then on the VDUSE layer drives
 * it through d->ops, exactly like blk.
 */
#ifndef VDFW_MODELS_NET_H
#define VDFW_MODELS_NET_H

#include <stdbool.h>

struct vdev;
struct net_devcfg;

/*
 * Fill @d for the device @cfg describes and open its backend.  Needs
 * loop_init() first (a tap is a loop source).  @cfg must outlive the
 * device: a cable end finds its other end through cfg->peer, and the two
 * are plugged together when the second one is initialised (in any order;
 * until then the link shows no carrier).  On error nothing is left
 * allocated.
 */
int net_model_init(struct vdev *d, const struct net_devcfg *cfg);

/*
 * Switch the administrative link state of net device @d (the table's
 * link_up is the initial one).  The driver sees VIRTIO_NET_S_LINK_UP
 * change through a config interrupt (NO-CARRIER in the guest); while down,
 * TX frames are dropped and counted and nothing reaches RX.  A cable's
 * other end loses its carrier too, like a veth pair.  No-op for a device
 * that is not a net device.
 */
void net_set_link(struct vdev *d, bool up);
/* Administrative link state of @d (false for a non-net device). */
bool net_get_link(const struct vdev *d);

/*
 * SIGHUP: open every tap that was lost (deleted, or failing) again,
 * creating it if it is missing.  Safe to call at any time.
 */
void net_reconnect(void);

#endif
