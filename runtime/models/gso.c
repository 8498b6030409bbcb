// SPDX-License-Identifier: GPL-2.0
/*
 * Software checksum completion and TCP segmentation (see gso.h).
 *
 * Segments follow what a NIC doing TSO produces: the headers are repeated,
 * IPv4 total length / IPv6 payload length, the IPv4 id and the TCP
 * sequence number advance per segment, FIN and PSH stay on the last
 * segment only and CWR on the first only, and every checksum is computed
 * in full (nothing is left partial for the receiver).
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/virtio_net.h>

#include "../core/compiler.h"
#include "../core/iov.h"
#include "gso.h"

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80
#define IPV4_FRAG_MASK 0x3fff	/* MF and the fragment offset */

static uint16_t get_be16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

void csum_bytes(struct csum *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t sum = c->sum;

	if (c->odd && len) {
		sum += *p++;
		len--;
		c->odd = false;
	}
	for (; len >= 2; len -= 2, p += 2)
		sum += get_be16(p);
	if (len) {
		sum += (uint32_t)*p << 8;
		c->odd = true;
	}
	c->sum = sum;
}

bool csum_iov(struct csum *c, const struct iovec *iov, unsigned int cnt,
	      size_t off, size_t len)
{
	unsigned int i;
	size_t n;

	if (!len)
		return true;
	if (!iov_seek(iov, cnt, off, &i, &off))
		return false;
	for (; i < cnt && len; i++, off = 0) {
		n = MIN(iov[i].iov_len - off, len);
		csum_bytes(c, (const uint8_t *)iov[i].iov_base + off, n);
		len -= n;
	}
	return !len;
}

uint16_t csum_final(const struct csum *c)
{
	uint64_t s = c->sum;

	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

void gso_csum_complete(const struct iovec *iov, unsigned int cnt,
		       size_t base, uint32_t len, uint16_t start,
		       uint16_t offset)
{
	struct csum c = { 0 };
	uint8_t field[2];
	uint16_t v;

	if (start >= len)
		return;
	csum_iov(&c, iov, cnt, base + start, len - start);
	v = csum_final(&c);
	/* 0 means "no checksum" to UDP; ~0 is the same sum to everyone. */
	put_be16(field, v ? v : 0xffff);
	iov_write(iov, cnt, base + start + offset, field, 2);
}

/* Skip up to two VLAN tags; the offset of the L3 header, 0 if malformed. */
static uint16_t gso_l3(const uint8_t *hdr, uint32_t n, uint16_t *type)
{
	uint16_t off = 2 * ETH_ALEN;
	unsigned int tags = 0;

	for (;;) {
		if ((uint32_t)off + 2 > n)
			return 0;
		*type = get_be16(hdr + off);
		off += 2;
		if (*type != ETH_P_8021Q && *type != ETH_P_8021AD)
			return off;
		if (++tags > 2)
			return 0;
		off += 2;
	}
}

/* The TCP header offset behind the IP header at @l3, 0 if unsupported. */
static uint16_t gso_l4(const uint8_t *hdr, uint32_t n, uint16_t l3, bool v6)
{
	const uint8_t *ip = hdr + l3;

	if (v6) {
		/* No extension headers: the TCP header must follow at once. */
		if ((uint32_t)l3 + 40 > n || ip[0] >> 4 != 6 ||
		    ip[6] != IPPROTO_TCP)
			return 0;
		return l3 + 40;
	}
	if ((uint32_t)l3 + 20 > n || ip[0] >> 4 != 4 || (ip[0] & 15) < 5 ||
	    ip[9] != IPPROTO_TCP || get_be16(ip + 6) & IPV4_FRAG_MASK)
		return 0;
	return l3 + (ip[0] & 15) * 4;
}

int gso_tcp_parse(struct gso_tcp *g, const struct net_hdr *h,
		  const struct iovec *iov, unsigned int cnt, uint32_t len)
{
	uint32_t n = MIN(len, (uint32_t)GSO_HDR_MAX), doff;
	uint16_t type, l3, l4;

	if (!h->gso_size || iov_read(iov, cnt, 0, g->hdr, n) != n)
		return -EPROTONOSUPPORT;
	g->ipv6 = net_hdr_gso(h) == VIRTIO_NET_HDR_GSO_TCPV6;
	l3 = gso_l3(g->hdr, n, &type);
	if (!l3 || type != (g->ipv6 ? ETH_P_IPV6 : ETH_P_IP))
		return -EPROTONOSUPPORT;
	l4 = gso_l4(g->hdr, n, l3, g->ipv6);
	if (!l4 || (uint32_t)l4 + 20 > n)
		return -EPROTONOSUPPORT;
	doff = (g->hdr[l4 + 12] >> 4) * 4u;
	if (doff < 20 || l4 + doff > n)
		return -EPROTONOSUPPORT;
	/* We would put the checksum elsewhere than the sender asked. */
	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || h->csum_start != l4 ||
	    h->csum_offset != 16)
		return -EINVAL;
	g->l3 = l3;
	g->l4 = l4;
	g->hdrs = l4 + doff;
	g->mss = h->gso_size;
	g->payload = len - g->hdrs;
	g->segs = g->payload ? (g->payload + g->mss - 1) / g->mss : 1;
	/* A segment must still be a valid IP packet. */
	if (g->hdrs - l3 + MIN((uint32_t)g->mss, g->payload) > 65535)
		return -EPROTONOSUPPORT;
	return 0;
}

void gso_tcp_segment(const struct gso_tcp *g, uint32_t i, uint8_t *hdr,
		     uint32_t *off, uint32_t *plen)
{
	uint32_t start = i * g->mss;
	uint8_t *ip = hdr + g->l3, *tcp = hdr + g->l4;
	uint32_t n = g->payload ? MIN((uint32_t)g->mss, g->payload - start) : 0;
	struct csum c = { 0 };

	memcpy(hdr, g->hdr, g->hdrs);
	if (g->ipv6) {
		put_be16(ip + 4, g->hdrs - g->l4 + n);
	} else {
		put_be16(ip + 2, g->hdrs - g->l3 + n);
		put_be16(ip + 4, get_be16(ip + 4) + i);
		put_be16(ip + 10, 0);
		csum_bytes(&c, ip, g->l4 - g->l3);
		put_be16(ip + 10, csum_final(&c));
	}
	put_be32(tcp + 4, get_be32(tcp + 4) + start);
	if (i + 1 < g->segs)
		tcp[13] &= ~(TCP_FIN | TCP_PSH);
	if (i)
		tcp[13] &= ~TCP_CWR;
	put_be16(tcp + 16, 0);
	*off = g->hdrs + start;
	*plen = n;
}

void gso_tcp_finish(const struct gso_tcp *g, uint8_t *hdr, uint32_t plen,
		    const struct iovec *iov, unsigned int cnt, size_t poff)
{
	const uint8_t *ip = hdr + g->l3;
	uint32_t tcplen = g->hdrs - g->l4 + plen;
	uint8_t pseudo[8] = { 0 };
	struct csum c = { 0 };

	/* Pseudo-header: addresses, protocol, TCP length (RFC 793/8200). */
	if (g->ipv6) {
		csum_bytes(&c, ip + 8, 32);
		put_be32(pseudo, tcplen);
		pseudo[7] = IPPROTO_TCP;
		csum_bytes(&c, pseudo, 8);
	} else {
		csum_bytes(&c, ip + 12, 8);
		pseudo[1] = IPPROTO_TCP;
		put_be16(pseudo + 2, tcplen);
		csum_bytes(&c, pseudo, 4);
	}
	csum_bytes(&c, hdr + g->l4, g->hdrs - g->l4);
	csum_iov(&c, iov, cnt, poff, plen);
	put_be16(hdr + g->l4 + 16, csum_final(&c));
}
