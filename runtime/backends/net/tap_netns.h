/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a tap lives.  Users move a tap into another network namespace
 * (`ip link set TAP netns ...`); our rtnetlink socket then only sees it
 * leave.  The tap fd still reaches the device, and TUNGETDEVNETNS tells
 * which namespace holds it, so its state can be read there with a socket
 * made inside that namespace and closed at once: holding one would keep
 * the namespace (and the tap in it) alive after its last process exits.
 */
#ifndef VDFW_BACKENDS_NET_TAP_NETNS_H
#define VDFW_BACKENDS_NET_TAP_NETNS_H

#include <stdbool.h>
#include <linux/if.h>

struct tap_where {
	bool foreign;			/* not in vdused's namespace */
	int ifindex;			/* in its namespace */
	short flags;			/* IFF_* there */
	char name[IFNAMSIZ];		/* its name there */
};

/* Fill @w for the tap behind @tapfd; -errno if the tap is gone. */
int tap_netns_where(int tapfd, struct tap_where *w);

#endif
