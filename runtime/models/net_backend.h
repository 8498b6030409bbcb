/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The contract between the virtio-net model (models/net.c) and the
 * backends that carry its frames (tap.c, cable.c).
 *
 * The model owns both virtqueues.  TX: it pops a chain, checks the
 * virtio_net_hdr against the negotiated features and the MTU, and hands
 * the frame to xmit().  RX: a backend with a frame for the driver asks the
 * model for room (net_rx_reserve), writes header and frame straight into
 * the driver's buffers, and commits it; the model fills in num_buffers,
 * returns the chains and publishes a batch at net_rx_flush().  Nothing
 * blocks: a backend that cannot take a frame now says so (-EAGAIN), the
 * model holds it, and the backend calls net_tx_resume() when it can.
 *
 * Everything runs on the one loop thread; callbacks may nest (a cable's
 * xmit on one device fills the other device's RX ring, a reset of that
 * device resumes the first one), and the model guards its own re-entry.
 */
#ifndef VDFW_MODELS_NET_BACKEND_H
#define VDFW_MODELS_NET_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "net_hdr.h"

struct net_dev;
struct net_devcfg;
struct net_backend;

/* A TX frame that passed the model's checks. */
struct net_txframe {
	struct net_hdr hdr;		/* checked, flags cleaned */
	const struct iovec *iov;	/* the frame, header excluded */
	unsigned int iovcnt;
	uint32_t len;			/* bytes in iov */
	/* wire[0] is the checked header, re-encoded; then the frame. */
	struct iovec *wire;
	unsigned int wire_cnt;
	uint8_t raw_hdr[NET_HDR_LEN];
	/* Backend's progress on a held frame (cable: next segment); 0 first. */
	uint32_t resume;
};

struct net_backend_ops {
	const char *kind;
	/* The driver is running with @features: start moving frames. */
	int (*start)(struct net_backend *be, uint64_t features);
	/* The driver is gone (reset, NEEDS_RESET, shutdown): forget it. */
	void (*stop)(struct net_backend *be);
	/*
	 * Carry one frame.  0: sent; -EAGAIN: cannot take it now, hold it
	 * and call it again after net_tx_resume() (f->resume is the
	 * backend's to keep); > 0: dropped, the enum net_drop reason.
	 */
	int (*xmit)(struct net_backend *be, struct net_txframe *f);
	/* End of a TX batch: publish what xmit() delivered (may be NULL). */
	void (*xmit_done)(struct net_backend *be);
	/* The driver posted RX buffers. */
	void (*rx_kick)(struct net_backend *be);
	/* Our administrative link state changed (may be NULL). */
	void (*link_changed)(struct net_backend *be, bool up);
	void (*close)(struct net_backend *be);
	/* Backend counters, one stat_line() line each (may be NULL). */
	void (*dump_stats)(const struct net_backend *be, int fd);
};

struct net_backend {
	const struct net_backend_ops *ops;
	struct net_dev *nd;		/* owner */
	/* VIRTIO_NET_F_* offload bits this backend can carry (see each). */
	uint64_t features;
};

int net_tap_open(struct net_backend **bep, struct net_dev *nd,
		 const struct net_devcfg *cfg);
int net_cable_open(struct net_backend **bep, struct net_dev *nd,
		   const struct net_devcfg *cfg);
/* SIGHUP: every tap that was lost is opened again (created if missing). */
void net_tap_retry_all(void);

/* ---- the model's side, for backends ---- */

const char *net_name(const struct net_dev *nd);
/* The driver is running (DRIVER_OK, not reset, not NEEDS_RESET). */
bool net_running(const struct net_dev *nd);
/* Negotiated features (valid while running). */
uint64_t net_features(const struct net_dev *nd);
uint16_t net_mtu(const struct net_dev *nd);
/* Administrative link state (net_set_link), whatever the carrier. */
bool net_link_admin(const struct net_dev *nd);
/* Link up as the driver sees it: admin up and carrier on. */
bool net_link_up(const struct net_dev *nd);
/* The backend's carrier (tap attached and up, cable plugged in). */
void net_carrier(struct net_dev *nd, bool on);
/* A frame held by xmit() -EAGAIN may go now. */
void net_tx_resume(struct net_dev *nd);
/*
 * Largest frame, virtio header included, the driver expects from us: 64
 * KiB + headers if it takes GSO, else MTU + Ethernet + VLAN headers.
 */
uint32_t net_rx_max(const struct net_dev *nd);

struct net_rxroom {
	/* The driver's buffers in order; iov[cnt] is spare for the caller. */
	struct iovec *iov;
	unsigned int cnt;
	uint32_t cap;			/* bytes iov holds */
};

/*
 * Room for a frame of @len bytes, virtio header included.
 *   0          @room holds at least @len bytes (with @partial: at least
 *              one buffer's worth, possibly less than @len);
 *   -EAGAIN    the driver has not posted enough buffers: the backend's
 *              rx_kick() is called once it posts more (a ring-full event
 *              is counted);
 *   -EMSGSIZE  it can never fit (without MRG_RXBUF one buffer must hold
 *              it; with it, all the buffers we can gather);
 *   -ENOLINK   the driver is not taking frames (not running, broken).
 * Reserving again before net_rx_commit() keeps the bytes already written:
 * the room only grows at its end.
 */
int net_rx_reserve(struct net_dev *nd, uint32_t len, bool partial,
		   struct net_rxroom *room);
/*
 * The first @len bytes of the room hold header + frame: fill in
 * num_buffers and give the buffers they took to the driver (published by
 * net_rx_flush).  Buffers of the room beyond @len wait for the next frame.
 */
void net_rx_commit(struct net_dev *nd, uint32_t len);
/* Publish the committed frames: at most one interrupt. */
void net_rx_flush(struct net_dev *nd);
/* Count a frame the backend dropped on its way to the driver. */
void net_rx_dropped(struct net_dev *nd, enum net_drop why);
/* Count a checksum completed (@segs == 0) or a frame cut in @segs. */
void net_rx_soft_offload(struct net_dev *nd, uint32_t segs);

#endif
