/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to the virtio-net model: the device state that net.c (TX, link,
 * lifecycle) and net_rx.c (RX into the driver's buffers) share.  Backends
 * never see it; they hold the struct net_port inside it.
 */
#ifndef VDFW_MODELS_NET_PRIV_H
#define VDFW_MODELS_NET_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "../core/compiler.h"
#include "../devtable/devtable.h"
#include "../virtio/vdev.h"
#include "net_backend.h"

#define NET_RXQ 0
#define NET_TXQ 1
/*
 * iovecs per chain.  Linux sends hdr + linear part + up to MAX_SKB_FRAGS
 * (at most 45) fragments, and its non-mergeable "big" RX chains are
 * MAX_SKB_FRAGS + 2 pages; a buffer crossing mapped regions costs one more.
 */
#define NET_TX_IOV 128
#define NET_RX_CHAIN_IOV 64
/*
 * Chains a frame may span.  Linux sizes mergeable buffers so that a ring
 * of them holds a 64 KiB frame, i.e. at least 1518 bytes each: 44 chains.
 */
#define NET_RX_STASH 64
/* iovecs of one reserved room, plus the spare: UIO_MAXIOV for readv(). */
#define NET_RX_FLAT 1023
#define NET_STATUS_OFF offsetof(struct virtio_net_config, status)

/* A popped RX chain waiting for a frame (its writable part only). */
struct net_rxbuf {
	uint16_t head;
	uint16_t cnt;
	uint32_t cap;
	struct iova_refs refs;
	struct iovec iov[NET_RX_CHAIN_IOV];
};

struct net_rxq {
	struct virtq *vq;
	struct net_rxbuf stash[NET_RX_STASH];	/* FIFO from first */
	unsigned int first;
	unsigned int nr;
	/* The reserved room: the stash's first chains as one iovec run. */
	struct iovec flat[NET_RX_FLAT + 1];
	unsigned int flat_cnt;
	uint32_t flat_cap;
	bool dirty;			/* pushed, not yet flushed */
	bool starved;			/* a frame waits for buffers */
	bool iova_wait;			/* ... that TX must make IOVA room for */
};

struct net_txq {
	struct virtq *vq;
	struct virtq_elem e;		/* the chain being sent */
	struct iova_refs refs;		/* its regions */
	struct net_txframe f;
	struct iovec iov[NET_TX_IOV + 1];	/* [0]: room for the header */
	bool held;			/* f waits for the backend */
	bool iova_wait;			/* no IOVA room: RX completions resume */
	bool busy;			/* in net_tx_run() */
	bool again;			/* resumed while busy */
	bool dirty;
};

/* Counters, written out on SIGUSR1. */
struct net_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t tx_drop[NET_DROP_NR], rx_drop[NET_DROP_NR];
	uint64_t tx_bad_chain, rx_bad_chain;
	uint64_t tx_held;		/* frames the backend had to hold */
	uint64_t rx_ring_full;		/* frames that waited for RX buffers */
	uint64_t rx_merged;		/* frames over several buffers */
	uint64_t rx_csum_sw, rx_gso_sw, rx_gso_segments;
	uint64_t link_changes;
};

struct net_dev {
	struct net_port port;		/* what the backend holds */
	struct vdev *d;
	const struct net_devcfg *cfg;
	struct net_backend *be;
	struct net_stats st;
	bool running;
	bool mrg;			/* MRG_RXBUF negotiated */
	bool admin_up;
	bool carrier;
	struct net_rxq rx;
	struct net_txq tx;
};

static inline struct net_dev *net_of_port(const struct net_port *p)
{
	return container_of(p, struct net_dev, port);
}

/* net.c: consume the TX queue (re-entry safe). */
void net_tx_run(struct net_dev *nd);

/* net_rx.c: the port's RX ops (see struct net_port_ops). */
uint32_t net_rx_max(const struct net_port *p);
int net_rx_reserve(struct net_port *p, uint32_t len, bool partial,
		   struct net_rxroom *room);
void net_rx_commit(struct net_port *p, uint32_t len);
void net_rx_flush(struct net_port *p);
void net_rx_dropped(struct net_port *p, enum net_drop why);
void net_rx_soft_offload(struct net_port *p, uint32_t segs);
/* Forget every stashed chain (reset): their memory is not ours. */
void net_rx_reset(struct net_dev *nd);
/* Restart: RX chain @head was in flight when an earlier vdused died. */
void net_rx_resubmit(struct net_dev *nd, uint16_t head);
/* Teardown: release the stash's IOVA references. */
void net_rx_fini(struct net_dev *nd);

#endif
