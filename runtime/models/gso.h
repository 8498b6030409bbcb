/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Software offloads, for a receiver that did not negotiate what the sender
 * used: complete a partial checksum (CSUM without GUEST_CSUM), and cut a
 * TCP GSO frame into MSS-sized segments (HOST_TSO4/6 without GUEST_TSO4/6
 * or GUEST_ECN).  The cable backend needs these because its two drivers
 * negotiate independently; a tap gets them from the kernel.
 *
 * Everything here reads hostile bytes: offsets are checked against the
 * frame before use, and a frame we cannot parse is refused, never guessed.
 */
#ifndef VDFW_MODELS_GSO_H
#define VDFW_MODELS_GSO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "net_hdr.h"

/* Ethernet (two VLAN tags) + IPv4 with options + TCP with options. */
#define GSO_HDR_MAX 192

/* Running Internet checksum (RFC 1071) over bytes fed in order. */
struct csum {
	uint64_t sum;
	bool odd;		/* an odd number of bytes so far */
};

void csum_bytes(struct csum *c, const void *p, size_t len);
/* Feed [off, off + len) of a scattered frame; false if it is shorter. */
bool csum_iov(struct csum *c, const struct iovec *iov, unsigned int cnt,
	      size_t off, size_t len);
/* The ones' complement of the folded sum, as stored in a header. */
uint16_t csum_final(const struct csum *c);

/*
 * Complete a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM) in place, for
 * the frame of @len bytes at @base in @iov: sum it from @start to its end
 * (the field at @start + @offset holds the pseudo-header sum the sender
 * put there) and store the result in that field.  The caller has checked
 * the field lies inside the frame.
 */
void gso_csum_complete(const struct iovec *iov, unsigned int cnt,
		       size_t base, uint32_t len, uint16_t start,
		       uint16_t offset);

/* A TCP GSO frame, parsed and checked, ready to be cut. */
struct gso_tcp {
	uint8_t hdr[GSO_HDR_MAX];	/* Ethernet..TCP header template */
	uint16_t hdrs;			/* its length: payload starts here */
	uint16_t l3;			/* IP header offset */
	uint16_t l4;			/* TCP header offset */
	uint16_t mss;
	bool ipv6;
	uint32_t payload;		/* bytes after the headers */
	uint32_t segs;			/* segments it becomes */
};

/*
 * Parse the TCP GSO frame @iov[@len] that header @h describes.  0, or
 * -EPROTONOSUPPORT (not TCP over IPv4/IPv6 the way @h says, IPv6 extension
 * headers, fragments, more than two VLAN tags, headers over GSO_HDR_MAX)
 * or -EINVAL (the checksum fields of @h do not point at the TCP checksum).
 */
int gso_tcp_parse(struct gso_tcp *g, const struct net_hdr *h,
		  const struct iovec *iov, unsigned int cnt, uint32_t len);

/*
 * Segment @i (< g->segs): its headers go to @hdr (g->hdrs bytes, TCP
 * checksum still open); its payload is [*off, *off + *plen) of the frame.
 */
void gso_tcp_segment(const struct gso_tcp *g, uint32_t i, uint8_t *hdr,
		     uint32_t *off, uint32_t *plen);

/*
 * Fill in the TCP checksum of a segment whose headers are @hdr and whose
 * @plen payload bytes are already in @iov from @poff on.
 */
void gso_tcp_finish(const struct gso_tcp *g, uint8_t *hdr, uint32_t plen,
		    const struct iovec *iov, unsigned int cnt, size_t poff);

#endif
