/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The contract between the virtio-net model (models/net.c, net_rx.c) and
 * the backends that carry its frames (tap.c, cable.c).
 *
 * Each side reaches the other only through an ops table.  At open the
 * model hands the backend a struct net_port, its own end of the contract:
 * the device's name and state and the RX path into the driver's buffers.
 * The backend answers with a struct net_backend and its ops.  A backend
 * knows no model function by name, and the model knows no backend by
 * name: it opens the struct net_backend_kind the table entry points at.
 *
 * The model owns both virtqueues.  TX: it pops a chain, checks the
 * virtio_net_hdr against the negotiated features and the MTU, and hands
 * the frame to xmit().  RX: a backend with a frame for the driver asks the
 * port for room (rx_reserve), writes header and frame straight into the
 * driver's buffers, and commits it; the model fills in num_buffers,
 * returns the chains and publishes a batch at rx_flush().  Nothing
 * blocks: a backend that cannot take a frame now says so (-EAGAIN), the
 * model holds it, and the backend calls the port's tx_resume() when it
 * can.
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

struct net_backend;
struct net_devcfg;
struct net_port;

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
	 * and call it again after the port's tx_resume() (f->resume is the
	 * backend's to keep); > 0: dropped, the enum net_drop reason.
	 */
	int (*xmit)(struct net_backend *be, struct net_txframe *f);
	/* End of a TX batch: publish what xmit() delivered (may be NULL). */
	void (*xmit_done)(struct net_backend *be);
	/* The driver posted RX buffers. */
	void (*rx_kick)(struct net_backend *be);
	/* Our administrative link state changed (may be NULL). */
	void (*link_changed)(struct net_backend *be, bool up);
	/*
	 * SIGHUP: what was lost (a deleted tap) is opened again, created if
	 * missing.  May be NULL: nothing of the backend can be lost.
	 */
	void (*reconnect)(struct net_backend *be);
	void (*close)(struct net_backend *be);
	/* Backend counters, one stat_line() line each (may be NULL). */
	void (*dump_stats)(const struct net_backend *be, int fd);
};

struct net_backend {
	const struct net_backend_ops *ops;
	struct net_port *port;		/* the model's end, for its lifetime */
	/* VIRTIO_NET_F_* offload bits this backend can carry (see each). */
	uint64_t features;
};

/*
 * One kind of backend: what a table entry's backend points at.  Each
 * backends/net/<kind>.c defines exactly one, net_<kind>_backend, and
 * gen-devtable.py knows their names.
 */
struct net_backend_kind {
	const char *name;	/* as in the Kconfig BACKEND string */
	/*
	 * Open the backend @cfg describes for @port (which outlives it).
	 * Return 0 or -errno; the model logs the failure.
	 */
	int (*open)(struct net_backend **bep, struct net_port *port,
		    const struct net_devcfg *cfg);
};

/* ---- the model's end: what a backend may ask of its device ---- */

struct net_rxroom {
	/* The driver's buffers in order; iov[cnt] is spare for the caller. */
	struct iovec *iov;
	unsigned int cnt;
	uint32_t cap;			/* bytes iov holds */
};

struct net_port_ops {
	/* The driver is running (DRIVER_OK, not reset, not NEEDS_RESET). */
	bool (*running)(const struct net_port *p);
	/* Negotiated features (valid while running). */
	uint64_t (*features)(const struct net_port *p);
	uint16_t (*mtu)(const struct net_port *p);
	/* Administrative link state (vdev set_link), whatever the carrier. */
	bool (*link_admin)(const struct net_port *p);
	/* Link up as the driver sees it: admin up and carrier on. */
	bool (*link_up)(const struct net_port *p);
	/*
	 * Largest frame, virtio header included, the driver expects from
	 * us: 64 KiB + headers if it takes GSO, else MTU + Ethernet + VLAN
	 * headers.
	 */
	uint32_t (*rx_max)(const struct net_port *p);
	/* The backend's carrier (tap attached and up, cable plugged in). */
	void (*carrier)(struct net_port *p, bool on);
	/* A frame held by xmit() -EAGAIN may go now. */
	void (*tx_resume)(struct net_port *p);
	/*
	 * Room for a frame of @len bytes, virtio header included.
	 *   0          @room holds at least @len bytes (with @partial: at
	 *              least one buffer's worth, possibly less than @len);
	 *   -EAGAIN    the driver has not posted enough buffers: the
	 *              backend's rx_kick() is called once it posts more (a
	 *              ring-full event is counted);
	 *   -EMSGSIZE  it can never fit (without MRG_RXBUF one buffer must
	 *              hold it; with it, all the buffers we can gather);
	 *   -ENOLINK   the driver is not taking frames (not running, broken).
	 * Reserving again before rx_commit() keeps the bytes already
	 * written: the room only grows at its end.
	 */
	int (*rx_reserve)(struct net_port *p, uint32_t len, bool partial,
			  struct net_rxroom *room);
	/*
	 * The first @len bytes of the room hold header + frame: fill in
	 * num_buffers and give the buffers they took to the driver
	 * (published by rx_flush).  Buffers of the room beyond @len wait for
	 * the next frame.
	 */
	void (*rx_commit)(struct net_port *p, uint32_t len);
	/* Publish the committed frames: at most one interrupt. */
	void (*rx_flush)(struct net_port *p);
	/* Count a frame the backend dropped on its way to the driver. */
	void (*rx_dropped)(struct net_port *p, enum net_drop why);
	/* Count a checksum completed (@segs == 0) or a frame cut in @segs. */
	void (*rx_soft_offload)(struct net_port *p, uint32_t segs);
};

struct net_port {
	const struct net_port_ops *ops;
	const char *name;		/* the device's, for logs */
};

#endif
