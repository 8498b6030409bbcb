// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_net_hdr rules (virtio 1.x, "Packet Transmission") and byte access
 * to frames in scattered driver buffers.
 */
#include <endian.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "../core/compiler.h"
#include "net_hdr.h"

_Static_assert(sizeof(struct virtio_net_hdr_v1) == NET_HDR_LEN,
	       "VERSION_1 header is 12 bytes");

static uint16_t get_le16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

void net_hdr_decode(struct net_hdr *h, const uint8_t raw[NET_HDR_LEN])
{
	h->flags = raw[0];
	h->gso_type = raw[1];
	h->hdr_len = get_le16(raw + 2);
	h->gso_size = get_le16(raw + 4);
	h->csum_start = get_le16(raw + 6);
	h->csum_offset = get_le16(raw + 8);
	h->num_buffers = get_le16(raw + 10);
}

void net_hdr_encode(const struct net_hdr *h, uint8_t raw[NET_HDR_LEN])
{
	raw[0] = h->flags;
	raw[1] = h->gso_type;
	put_le16(raw + 2, h->hdr_len);
	put_le16(raw + 4, h->gso_size);
	put_le16(raw + 6, h->csum_start);
	put_le16(raw + 8, h->csum_offset);
	put_le16(raw + 10, h->num_buffers);
}

static bool has(uint64_t features, unsigned int bit)
{
	return features & (1ULL << bit);
}

/* Is this GSO type one the driver may send, given what it negotiated? */
static bool gso_allowed(uint8_t gso, uint64_t f)
{
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return has(f, VIRTIO_NET_F_HOST_TSO4);
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return has(f, VIRTIO_NET_F_HOST_TSO6);
	case VIRTIO_NET_HDR_GSO_UDP:
		return has(f, VIRTIO_NET_F_HOST_UFO);
	default:
		/* Includes UDP_L4: HOST_USO is never offered. */
		return false;
	}
}

enum net_drop net_hdr_check_tx(struct net_hdr *h, uint64_t f, uint32_t len,
			       uint16_t mtu)
{
	uint8_t gso = net_hdr_gso(h);
	bool ecn = h->gso_type & VIRTIO_NET_HDR_GSO_ECN;
	bool csum;

	h->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
	csum = h->flags;
	h->num_buffers = 0;
	if (len < NET_ETH_HLEN)
		return NET_DROP_BAD_HDR;
	if (csum && !has(f, VIRTIO_NET_F_CSUM))
		return NET_DROP_BAD_HDR;
	if (gso == VIRTIO_NET_HDR_GSO_NONE) {
		if (ecn)
			return NET_DROP_BAD_HDR;
		if (len > NET_FRAME_MAX(mtu))
			return NET_DROP_OVERSIZE;
	} else {
		if (!gso_allowed(gso, f) ||
		    (ecn && !has(f, VIRTIO_NET_F_HOST_ECN)))
			return NET_DROP_BAD_HDR;
		/* The spec makes GSO imply a partial checksum and an MSS. */
		if (!csum || !h->gso_size)
			return NET_DROP_BAD_HDR;
		if (len > NET_GSO_FRAME_MAX)
			return NET_DROP_OVERSIZE;
	}
	/* The checksum field itself must lie inside the frame. */
	if (csum && (uint32_t)h->csum_start + h->csum_offset + 2 > len)
		return NET_DROP_BAD_HDR;
	if (h->hdr_len > len)
		return NET_DROP_BAD_HDR;
	return NET_DROP_NONE;
}
