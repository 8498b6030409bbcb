/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-net header and the bytes of a frame scattered over driver
 * buffers.
 *
 * VDUSE refuses a net device without VERSION_1, so the header is always
 * the 12-byte struct virtio_net_hdr_v1 (num_buffers included), whether or
 * not MRG_RXBUF is negotiated.  It is little-endian in driver memory and
 * is only ever handled here as a decoded copy: a driver rewriting its
 * buffer after we checked it cannot change what we act on.
 */
#ifndef VDFW_MODELS_NET_HDR_H
#define VDFW_MODELS_NET_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define NET_HDR_LEN 12u
#define NET_ETH_HLEN 14u
#define NET_VLAN_HLEN 4u
/* A non-GSO frame may carry one VLAN tag on top of MTU + Ethernet header. */
#define NET_FRAME_MAX(mtu) ((uint32_t)(mtu) + NET_ETH_HLEN + NET_VLAN_HLEN)
/* A GSO frame: at most 64 KiB of IP packet, plus the link headers. */
#define NET_GSO_FRAME_MAX (65535u + NET_ETH_HLEN + NET_VLAN_HLEN)

/*
 * Why a frame was dropped.  Each reason has a counter per direction
 * (tx_drop_*, rx_drop_*, see net.c), so no drop goes unnoticed.
 */
enum net_drop {
	NET_DROP_NONE,
	NET_DROP_OVERSIZE,	/* longer than the MTU (or 64 KiB GSO) allows */
	NET_DROP_BAD_HDR,	/* malformed virtio_net_hdr, or a runt */
	NET_DROP_LINK_DOWN,	/* our link, or the other end's, is down */
	NET_DROP_PEER_DOWN,	/* cable: the other end has no running driver */
	NET_DROP_BACKEND,	/* the backend failed (tap write error) */
	NET_DROP_NO_OFFLOAD,	/* needs an offload nobody can do (see cable.c) */
	NET_DROP_RESET,		/* in flight at a driver reset or a restart */
	NET_DROP_MEM_LOST,	/* the driver's memory went away under it */
	NET_DROP_NR,
};

/* Decoded virtio_net_hdr_v1, host byte order. */
struct net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

void net_hdr_decode(struct net_hdr *h, const uint8_t raw[NET_HDR_LEN]);
void net_hdr_encode(const struct net_hdr *h, uint8_t raw[NET_HDR_LEN]);

/*
 * Check the header a driver put in front of a TX frame of @len bytes
 * (header excluded) against the negotiated @features and @mtu.  Flag bits
 * other than NEEDS_CSUM are cleared (the spec has the device ignore what
 * it does not know, and a driver may not set DATA_VALID or RSC_INFO).
 * Returns NET_DROP_NONE or why the frame must be dropped.
 */
enum net_drop net_hdr_check_tx(struct net_hdr *h, uint64_t features,
			       uint32_t len, uint16_t mtu);

/* The GSO type without the ECN bit. */
static inline uint8_t net_hdr_gso(const struct net_hdr *h)
{
	return h->gso_type & 0x7f;
}

#endif
