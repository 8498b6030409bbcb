/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net device model: one RX queue (0) and one TX queue (1) over a
 * tap or a cable backend.  net_model_init() describes the device in a
 * struct vdev and opens its backend; from then on the VDUSE layer drives
 * it through d->ops, exactly like blk, and the daemon switches its link
 * (d->ops->set_link: while down, TX frames are dropped and counted and
 * nothing reaches RX; a cable's other end loses its carrier too, like a
 * veth pair) and reconnects a lost tap (d->ops->reconnect) the same way.
 */
#ifndef VDFW_MODELS_NET_H
#define VDFW_MODELS_NET_H

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

#endif
