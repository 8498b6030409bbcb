// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-blk: a minimal userspace virtio-blk driver for /dev/vhost-vdpa-N.
 *
 * It plays the part a VMM plays for a vhost-vdpa device: it owns the
 * device, negotiates features, maps its own memory into the device's IOVA
 * space with IOTLB messages and drives one split virtqueue.  The test
 * scenarios use it on a vdused device whose bus is "vhost", to check that
 * the device serves block I/O end to end and that a broken driver ring puts
 * the device into NEEDS_RESET without harming the daemon.
 *
 * It is deliberately independent of runtime/: nothing is shared with the
 * daemon it checks.
 *
 *   vhost-blk [options] DEVICE info
 *   vhost-blk [options] DEVICE rw SECTOR COUNT
 *   vhost-blk [options] DEVICE hostile KIND     (vhost-blk hostile list)
 *   vhost-blk [options] DEVICE reset-recover
 *   vhost-blk [options] DEVICE limits
 *
 * Exit status: 0 success, 1 a check failed (reason on stderr), 2 usage,
 * 3 the watchdog fired (some step made no progress).
 *
 * Memory.  One memfd, mapped MAP_SHARED here, holds everything.  VDUSE
 * hands the daemon the file behind each IOTLB entry (VDUSE_IOTLB_GET_FD),
 * so the memory must be shared and file backed; anonymous memory would be
 * silently skipped by vhost-vdpa.  Two IOTLB entries cover it:
 *   IOVA_RW  (device read/write): rings, status bytes, indirect tables,
 *            the GET_ID buffer and the data buffer;
 *   IOVA_RO  (device read-only):  request headers, and one spare byte that
 *            the readonly-status hostile kind uses as a status byte.
 * IOVA_UNMAPPED is covered by no entry.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/vhost.h>
#include <linux/vhost_types.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#define PAGE 4096UL
#define SECTOR 512U

#define IOVA_RW 0x10000000ULL
#define IOVA_RO 0x40000000ULL
#define IOVA_UNMAPPED 0x70000000ULL

/* Per request: header, up to SEGS_MAX data segments, status. */
#define SEGS_MAX 4
#define SEG_BYTES 4096U
#define CHAIN_MAX (SEGS_MAX + 2)
#define DATA_BYTES (1U << 20)	/* data buffer: one batch at most */

#define EXIT_CHECK 1
#define EXIT_USAGE 2
#define EXIT_WATCHDOG 3

#define ALIGN_UP(x, a) (((x) + (a) - 1) / (a) * (a))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *prog = "vhost-blk";
static unsigned int opt_timeout_ms = 5000;	/* completion wait */
static unsigned int opt_hostile_ms = 1000;	/* hostile: how long to watch */
static unsigned int opt_watchdog_s;		/* 0: derived from timeout */
static unsigned int opt_qsize;			/* 0: the device maximum */
static bool opt_no_event_idx, opt_no_indirect, opt_seed_set;
static uint64_t opt_seed;

/* ---- failure reporting and the watchdog ---- */

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: FAIL: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_CHECK);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try -h)\n");
	exit(EXIT_USAGE);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A VDUSE control message (status change, IOTLB update) blocks the caller
 * until vdused answers, for up to the kernel's msg_timeout (30 s), and only
 * a fatal signal interrupts that wait.  The watchdog thread ends the
 * process (exit_group kills the blocked thread too) when one step has
 * made no progress for opt_watchdog_s seconds.
 */
static const char *volatile wd_step = "start";
static volatile uint64_t wd_deadline;

static void step(const char *what)
{
	wd_step = what;
	__atomic_store_n(&wd_deadline, now_ms() + opt_watchdog_s * 1000ULL,
			 __ATOMIC_RELEASE);
}

static void *watchdog(void *arg)
{
	char msg[256];
	int n;

	(void)arg;
	for (;;) {
		usleep(100000);
		if (now_ms() < __atomic_load_n(&wd_deadline, __ATOMIC_ACQUIRE))
			continue;
		n = snprintf(msg, sizeof(msg), "%s: FAIL: watchdog: no progress "
			     "for %u s in step '%s' (device or vdused hung?)\n",
			     prog, opt_watchdog_s, wd_step);
		if (write(2, msg, MIN((size_t)n, sizeof(msg) - 1)) < 0)
			_exit(EXIT_WATCHDOG);
		_exit(EXIT_WATCHDOG);
	}
	return NULL;
}

static void watchdog_start(void)
{
	pthread_t t;

	if (!opt_watchdog_s)
		opt_watchdog_s = MAX(15U, 3 * ((opt_timeout_ms + 999) / 1000));
	step("start");
	if (pthread_create(&t, NULL, watchdog, NULL))
		fail("cannot start the watchdog thread");
	pthread_detach(t);
}

/* ---- memory ordering against the device (another process) ---- */

#define mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

static inline uint16_t load16(const void *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

static inline void store16(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELAXED);
}

/* ---- the device ---- */

struct dev {
	const char *path;
	int fd, kickfd, callfd, cfgfd, memfd;

	uint32_t device_id;
	uint64_t dev_features;		/* offered */
	uint64_t features;		/* negotiated */
	uint64_t backend_features;	/* acked */
	uint32_t config_size, nr_vqs;
	struct virtio_blk_config cfg;	/* zero beyond config_size */
	uint64_t capacity;		/* 512-byte sectors */
	uint32_t blk_size;		/* I/O alignment in bytes */
	uint32_t seg_max, size_max;
	uint16_t num_max, num;
	bool event_idx, indirect;

	/* Memory: RW region at offset 0, RO region at rw_size. */
	uint8_t *mem;
	size_t mem_size, rw_size, ro_size;
	size_t off_desc, off_avail, off_used, off_status, off_itab, off_misc,
	       off_data;
	size_t ro_off_hdr, ro_off_status;
	bool mapped;

	/* Ring state. */
	struct vring_desc *desc;
	uint8_t *avail;			/* struct vring_avail + used_event */
	uint8_t *used;			/* struct vring_used + avail_event */
	uint16_t avail_idx;		/* next avail slot we fill */
	uint16_t last_used;		/* next used slot we read */
	unsigned int segs;		/* data segments per request */
	uint32_t seg_bytes;
	uint64_t kicks, kicks_suppressed, irqs;
};

static inline uint8_t *rw_ptr(struct dev *d, size_t off)
{
	return d->mem + off;
}

static inline uint64_t rw_iova(size_t off)
{
	return IOVA_RW + off;
}

static inline uint8_t *ro_ptr(struct dev *d, size_t off)
{
	return d->mem + d->rw_size + off;
}

static inline uint64_t ro_iova(size_t off)
{
	return IOVA_RO + off;
}

/* avail: flags, idx, ring[num], used_event.  used: flags, idx, ring[num], avail_event. */
static inline void *avail_flags(struct dev *d) { return d->avail; }
static inline void *avail_idx(struct dev *d) { return d->avail + 2; }
static inline void *avail_ring(struct dev *d, unsigned int i) { return d->avail + 4 + 2 * i; }
static inline void *used_event(struct dev *d) { return avail_ring(d, d->num); }
static inline void *used_idx(struct dev *d) { return d->used + 2; }
static inline struct vring_used_elem *used_ring(struct dev *d, unsigned int i)
{
	return (struct vring_used_elem *)(void *)(d->used + 4) + i;
}
static inline void *avail_event(struct dev *d) { return d->used + 4 + 8 * d->num; }

static const char *const feature_names[64] = {
	[VIRTIO_BLK_F_SIZE_MAX] = "SIZE_MAX",
	[VIRTIO_BLK_F_SEG_MAX] = "SEG_MAX",
	[VIRTIO_BLK_F_GEOMETRY] = "GEOMETRY",
	[VIRTIO_BLK_F_RO] = "RO",
	[VIRTIO_BLK_F_BLK_SIZE] = "BLK_SIZE",
	[VIRTIO_BLK_F_FLUSH] = "FLUSH",
	[VIRTIO_BLK_F_TOPOLOGY] = "TOPOLOGY",
	[VIRTIO_BLK_F_CONFIG_WCE] = "CONFIG_WCE",
	[VIRTIO_BLK_F_MQ] = "MQ",
	[VIRTIO_BLK_F_DISCARD] = "DISCARD",
	[VIRTIO_BLK_F_WRITE_ZEROES] = "WRITE_ZEROES",
	[VIRTIO_BLK_F_SECURE_ERASE] = "SECURE_ERASE",
	[VIRTIO_BLK_F_ZONED] = "ZONED",
	[VIRTIO_RING_F_INDIRECT_DESC] = "INDIRECT_DESC",
	[VIRTIO_RING_F_EVENT_IDX] = "EVENT_IDX",
	[VIRTIO_F_VERSION_1] = "VERSION_1",
	[VIRTIO_F_ACCESS_PLATFORM] = "ACCESS_PLATFORM",
	[VIRTIO_F_RING_PACKED] = "RING_PACKED",
	[VIRTIO_F_IN_ORDER] = "IN_ORDER",
	[VIRTIO_F_ORDER_PLATFORM] = "ORDER_PLATFORM",
	[VIRTIO_F_SR_IOV] = "SR_IOV",
	[VIRTIO_F_NOTIFICATION_DATA] = "NOTIFICATION_DATA",
	[VIRTIO_F_RING_RESET] = "RING_RESET",
};

static void print_features(const char *what, uint64_t f)
{
	unsigned int b;

	printf("%s 0x%016" PRIx64 ":", what, f);
	for (b = 0; b < 64; b++) {
		if (!(f >> b & 1))
			continue;
		if (feature_names[b])
			printf(" %s", feature_names[b]);
		else
			printf(" bit%u", b);
	}
	printf("\n");
}

static inline bool has(const struct dev *d, unsigned int bit)
{
	return d->features >> bit & 1;
}

static void xioctl(struct dev *d, unsigned long req, void *arg,
		   const char *name)
{
	step(name);
	if (ioctl(d->fd, req, arg) < 0)
		fail("%s: %s: %s", d->path, name, strerror(errno));
}

static uint8_t get_status(struct dev *d)
{
	uint8_t s = 0;

	xioctl(d, VHOST_VDPA_GET_STATUS, &s, "VHOST_VDPA_GET_STATUS");
	return s;
}

/* Set @s and check that the device kept every bit of it. */
static void set_status(struct dev *d, uint8_t s, const char *what)
{
	uint8_t got;
	char name[64];

	snprintf(name, sizeof(name), "VHOST_VDPA_SET_STATUS(%s)", what);
	xioctl(d, VHOST_VDPA_SET_STATUS, &s, name);
	got = get_status(d);
	if ((got & s) != s)
		fail("%s: status 0x%02x (%s) did not stick: device status is "
		     "0x%02x (vdused refused it?)", d->path, s, what, got);
}

static void iotlb_msg(struct dev *d, uint8_t type, uint64_t iova,
		      uint64_t size, void *uaddr, uint8_t perm,
		      const char *what)
{
	struct vhost_msg_v2 m;
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.type = VHOST_IOTLB_MSG_V2;
	m.iotlb.type = type;
	m.iotlb.iova = iova;
	m.iotlb.size = size;
	m.iotlb.uaddr = (uint64_t)(uintptr_t)uaddr;
	m.iotlb.perm = perm;
	step(what);
	n = write(d->fd, &m, sizeof(m));
	if (n < 0)
		fail("%s: IOTLB %s: %s", d->path, what, strerror(errno));
	if ((size_t)n != sizeof(m))
		fail("%s: IOTLB %s: short write (%zd of %zu)", d->path, what,
		     n, sizeof(m));
}

static void map_memory(struct dev *d)
{
	bool batch = d->backend_features >>
		     VHOST_BACKEND_F_IOTLB_BATCH & 1;

	if (batch)
		iotlb_msg(d, VHOST_IOTLB_BATCH_BEGIN, 0, 0, NULL, 0,
			  "BATCH_BEGIN");
	if (d->mapped) {
		/* A re-setup: vhost-vdpa keeps mappings across a reset. */
		iotlb_msg(d, VHOST_IOTLB_INVALIDATE, IOVA_RW, d->rw_size, NULL,
			  0, "INVALIDATE rw");
		iotlb_msg(d, VHOST_IOTLB_INVALIDATE, IOVA_RO, d->ro_size, NULL,
			  0, "INVALIDATE ro");
		d->mapped = false;
	}
	iotlb_msg(d, VHOST_IOTLB_UPDATE, IOVA_RW, d->rw_size, rw_ptr(d, 0),
		  VHOST_ACCESS_RW, "UPDATE rw");
	iotlb_msg(d, VHOST_IOTLB_UPDATE, IOVA_RO, d->ro_size, ro_ptr(d, 0),
		  VHOST_ACCESS_RO, "UPDATE ro");
	if (batch)
		iotlb_msg(d, VHOST_IOTLB_BATCH_END, 0, 0, NULL, 0, "BATCH_END");
	d->mapped = true;
}

/* Lay out the memfd for queue size d->num (once: num never changes). */
static void alloc_memory(struct dev *d)
{
	size_t off = 0, num = d->num;

	d->off_desc = off;
	off = ALIGN_UP(off + 16 * num, PAGE);
	d->off_avail = off;
	off = ALIGN_UP(off + 6 + 2 * num, PAGE);
	d->off_used = off;
	off = ALIGN_UP(off + 6 + 8 * num, PAGE);
	d->off_status = off;
	off = ALIGN_UP(off + num, PAGE);
	d->off_itab = off;
	off = ALIGN_UP(off + num * CHAIN_MAX * sizeof(struct vring_desc), PAGE);
	d->off_misc = off;
	off += PAGE;
	d->off_data = off;
	off += DATA_BYTES;
	d->rw_size = off;

	d->ro_off_hdr = 0;
	off = ALIGN_UP(num * sizeof(struct virtio_blk_outhdr), PAGE);
	d->ro_off_status = off;
	d->ro_size = off + PAGE;

	d->mem_size = d->rw_size + d->ro_size;
	step("memfd");
	d->memfd = memfd_create("vhost-blk", MFD_CLOEXEC);
	if (d->memfd < 0)
		fail("memfd_create: %s", strerror(errno));
	if (ftruncate(d->memfd, d->mem_size))
		fail("ftruncate memfd to %zu: %s", d->mem_size, strerror(errno));
	d->mem = mmap(NULL, d->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      d->memfd, 0);
	if (d->mem == MAP_FAILED)
		fail("mmap memfd: %s", strerror(errno));
	d->desc = (struct vring_desc *)(void *)rw_ptr(d, d->off_desc);
	d->avail = rw_ptr(d, d->off_avail);
	d->used = rw_ptr(d, d->off_used);
}

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		fail("eventfd: %s", strerror(errno));
	return fd;
}

/* Drain an eventfd; returns its count (0 if it was not signalled). */
static uint64_t eventfd_drain(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void read_config(struct dev *d)
{
	struct {
		struct vhost_vdpa_config hdr;
		uint8_t buf[sizeof(struct virtio_blk_config)];
	} c;
	uint32_t len;

	xioctl(d, VHOST_VDPA_GET_CONFIG_SIZE, &d->config_size,
	       "VHOST_VDPA_GET_CONFIG_SIZE");
	len = MIN(d->config_size, (uint32_t)sizeof(c.buf));
	if (len < offsetof(struct virtio_blk_config, size_max))
		fail("%s: config space is only %u bytes (no capacity)",
		     d->path, d->config_size);
	memset(&c, 0, sizeof(c));
	c.hdr.off = 0;
	c.hdr.len = len;
	xioctl(d, VHOST_VDPA_GET_CONFIG, &c, "VHOST_VDPA_GET_CONFIG");
	memset(&d->cfg, 0, sizeof(d->cfg));
	memcpy(&d->cfg, c.buf, len);

	d->capacity = le64toh(d->cfg.capacity);
	d->blk_size = SECTOR;
	if (has(d, VIRTIO_BLK_F_BLK_SIZE))
		d->blk_size = le32toh(d->cfg.blk_size);
	if (d->blk_size < SECTOR || d->blk_size > 65536 ||
	    (d->blk_size & (d->blk_size - 1)))
		fail("%s: config blk_size %u is not a power of two in "
		     "[512, 65536]", d->path, d->blk_size);
	d->seg_max = has(d, VIRTIO_BLK_F_SEG_MAX) ? le32toh(d->cfg.seg_max) : 0;
	d->size_max = has(d, VIRTIO_BLK_F_SIZE_MAX) ?
		      le32toh(d->cfg.size_max) : 0;
	if (has(d, VIRTIO_BLK_F_SEG_MAX) && !d->seg_max)
		fail("%s: config seg_max is 0", d->path);
	if (has(d, VIRTIO_BLK_F_SIZE_MAX) && d->size_max < d->blk_size)
		fail("%s: config size_max %u is below the block size %u",
		     d->path, d->size_max, d->blk_size);
}

/* The features this driver takes when the device offers them. */
static uint64_t wanted_features(void)
{
	uint64_t f = 1ULL << VIRTIO_F_VERSION_1 |
		     1ULL << VIRTIO_F_ACCESS_PLATFORM |
		     1ULL << VIRTIO_BLK_F_FLUSH |
		     1ULL << VIRTIO_BLK_F_BLK_SIZE |
		     1ULL << VIRTIO_BLK_F_SEG_MAX |
		     1ULL << VIRTIO_BLK_F_SIZE_MAX |
		     1ULL << VIRTIO_BLK_F_RO;

	if (!opt_no_indirect)
		f |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (!opt_no_event_idx)
		f |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	return f;
}

static void open_device(struct dev *d)
{
	uint64_t bf;

	step("open");
	d->fd = open(d->path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0)
		fail("cannot open %s: %s", d->path, strerror(errno));
	xioctl(d, VHOST_SET_OWNER, NULL, "VHOST_SET_OWNER");
	xioctl(d, VHOST_VDPA_GET_DEVICE_ID, &d->device_id,
	       "VHOST_VDPA_GET_DEVICE_ID");
	if (d->device_id != VIRTIO_ID_BLOCK)
		fail("%s: device id %u is not a block device (%u)", d->path,
		     d->device_id, VIRTIO_ID_BLOCK);
	xioctl(d, VHOST_GET_FEATURES, &d->dev_features, "VHOST_GET_FEATURES");
	xioctl(d, VHOST_VDPA_GET_VQS_COUNT, &d->nr_vqs,
	       "VHOST_VDPA_GET_VQS_COUNT");
	if (!d->nr_vqs)
		fail("%s: the device has no virtqueues", d->path);

	xioctl(d, VHOST_GET_BACKEND_FEATURES, &bf, "VHOST_GET_BACKEND_FEATURES");
	if (!(bf >> VHOST_BACKEND_F_IOTLB_MSG_V2 & 1))
		fail("%s: backend does not offer IOTLB_MSG_V2 (0x%" PRIx64 ")",
		     d->path, bf);
	d->backend_features = bf & (1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2 |
				    1ULL << VHOST_BACKEND_F_IOTLB_BATCH);
	xioctl(d, VHOST_SET_BACKEND_FEATURES, &d->backend_features,
	       "VHOST_SET_BACKEND_FEATURES");

	d->kickfd = new_eventfd();
	d->callfd = new_eventfd();
	d->cfgfd = new_eventfd();
}

/*
 * Reset and bring the device to DRIVER_OK with one queue.  The order
 * follows what vhost-vdpa and VDUSE accept: features before FEATURES_OK,
 * ring addresses and base before DRIVER_OK (vhost-vdpa refuses them
 * after), and memory mapped before DRIVER_OK because vdused maps and checks
 * the rings when it sees DRIVER_OK.
 */
static void setup(struct dev *d)
{
	struct vhost_vring_state st;
	struct vhost_vring_addr addr;
	struct vhost_vring_file f;
	uint64_t want;
	uint16_t num_max;
	int cfgfd;
	uint8_t s;

	set_status(d, 0, "reset");
	if (get_status(d))
		fail("%s: status is 0x%02x after a reset", d->path,
		     get_status(d));
	s = VIRTIO_CONFIG_S_ACKNOWLEDGE;
	set_status(d, s, "ACKNOWLEDGE");
	s |= VIRTIO_CONFIG_S_DRIVER;
	set_status(d, s, "DRIVER");

	if (!(d->dev_features >> VIRTIO_F_VERSION_1 & 1))
		fail("%s: device does not offer VERSION_1", d->path);
	want = d->dev_features & wanted_features();
	xioctl(d, VHOST_SET_FEATURES, &want, "VHOST_SET_FEATURES");
	d->features = want;
	s |= VIRTIO_CONFIG_S_FEATURES_OK;
	set_status(d, s, "FEATURES_OK");
	d->event_idx = has(d, VIRTIO_RING_F_EVENT_IDX);
	d->indirect = has(d, VIRTIO_RING_F_INDIRECT_DESC);

	read_config(d);

	xioctl(d, VHOST_VDPA_GET_VRING_NUM, &num_max, "VHOST_VDPA_GET_VRING_NUM");
	if (num_max < 4)
		fail("%s: queue size maximum %u is below 4", d->path, num_max);
	if (!d->num) {
		unsigned int n = 1;

		/* The largest power of two within the maximum (or -q). */
		while (n * 2 <= num_max && (!opt_qsize || n * 2 <= opt_qsize))
			n *= 2;
		if (opt_qsize && opt_qsize != n)
			fail("%s: -q %u exceeds the device's maximum queue "
			     "size %u", d->path, opt_qsize, num_max);
		d->num_max = num_max;
		d->num = n;
		alloc_memory(d);
	} else if (num_max != d->num_max) {
		fail("%s: queue size maximum changed from %u to %u across a "
		     "reset", d->path, d->num_max, num_max);
	}

	/* Segments per request: within seg_max, size_max and the queue. */
	d->segs = SEGS_MAX;
	if (d->seg_max)
		d->segs = MIN(d->segs, d->seg_max);
	if (d->num < CHAIN_MAX)
		d->segs = MIN(d->segs, (unsigned int)d->num - 2);
	if (!d->segs)
		d->segs = 1;
	d->seg_bytes = MAX(SEG_BYTES, d->blk_size);
	if (d->size_max && d->size_max < d->seg_bytes)
		d->seg_bytes = d->size_max / d->blk_size * d->blk_size;

	/* A fresh ring: everything zero, both indexes at 0. */
	memset(rw_ptr(d, 0), 0, d->off_status);
	d->avail_idx = 0;
	d->last_used = 0;

	map_memory(d);

	st.index = 0;
	st.num = d->num;
	xioctl(d, VHOST_SET_VRING_NUM, &st, "VHOST_SET_VRING_NUM");
	memset(&addr, 0, sizeof(addr));
	addr.index = 0;
	addr.desc_user_addr = rw_iova(d->off_desc);
	addr.avail_user_addr = rw_iova(d->off_avail);
	addr.used_user_addr = rw_iova(d->off_used);
	xioctl(d, VHOST_SET_VRING_ADDR, &addr, "VHOST_SET_VRING_ADDR");
	st.index = 0;
	st.num = 0;
	xioctl(d, VHOST_SET_VRING_BASE, &st, "VHOST_SET_VRING_BASE");
	f.index = 0;
	f.fd = d->kickfd;
	xioctl(d, VHOST_SET_VRING_KICK, &f, "VHOST_SET_VRING_KICK");
	/* A reset drops the device's callbacks: install them every time. */
	f.index = 0;
	f.fd = d->callfd;
	xioctl(d, VHOST_SET_VRING_CALL, &f, "VHOST_SET_VRING_CALL");
	cfgfd = d->cfgfd;
	xioctl(d, VHOST_VDPA_SET_CONFIG_CALL, &cfgfd,
	       "VHOST_VDPA_SET_CONFIG_CALL");
	eventfd_drain(d->callfd);
	eventfd_drain(d->cfgfd);
	st.index = 0;
	st.num = 1;
	xioctl(d, VHOST_VDPA_SET_VRING_ENABLE, &st, "VHOST_VDPA_SET_VRING_ENABLE");

	s |= VIRTIO_CONFIG_S_DRIVER_OK;
	set_status(d, s, "DRIVER_OK");
	step("setup done");
}

static void teardown(struct dev *d)
{
	uint8_t s = 0;

	if (d->fd >= 0) {
		step("teardown reset");
		if (ioctl(d->fd, VHOST_VDPA_SET_STATUS, &s) < 0)
			fail("%s: reset at teardown: %s", d->path,
			     strerror(errno));
		close(d->fd);
		d->fd = -1;
	}
	if (d->mem)
		munmap(d->mem, d->mem_size);
	d->mem = NULL;
	if (d->memfd >= 0)
		close(d->memfd);
	if (d->kickfd >= 0)
		close(d->kickfd);
	if (d->callfd >= 0)
		close(d->callfd);
	if (d->cfgfd >= 0)
		close(d->cfgfd);
	d->memfd = d->kickfd = d->callfd = d->cfgfd = -1;
}

static void print_info(struct dev *d)
{
	printf("device %s: id %u (block), %u virtqueue(s)\n", d->path,
	       d->device_id, d->nr_vqs);
	print_features("device features", d->dev_features);
	print_features("driver features", d->features);
	printf("backend features 0x%" PRIx64 "%s%s\n", d->backend_features,
	       d->backend_features >> VHOST_BACKEND_F_IOTLB_MSG_V2 & 1 ?
	       " IOTLB_MSG_V2" : "",
	       d->backend_features >> VHOST_BACKEND_F_IOTLB_BATCH & 1 ?
	       " IOTLB_BATCH" : "");
	printf("config: %u bytes, capacity %" PRIu64 " sectors (%" PRIu64
	       " KiB), blk_size %u, seg_max %u, size_max %u\n",
	       d->config_size, d->capacity, d->capacity / 2, d->blk_size,
	       d->seg_max, d->size_max);
	printf("queue: maximum size %u, using %u; requests of up to %u x %u "
	       "bytes\n", d->num_max, d->num, d->segs, d->seg_bytes);
	printf("memory: memfd %zu bytes; rw at iova 0x%llx (+%zu), ro at iova "
	       "0x%llx (+%zu)\n", d->mem_size, (unsigned long long)IOVA_RW,
	       d->rw_size, (unsigned long long)IOVA_RO, d->ro_size);
	printf("status 0x%02x\n", get_status(d));
}

/* ---- requests ---- */

struct seg {
	uint64_t addr;
	uint32_t len;
	bool write;			/* device writes it */
};

struct req {
	uint32_t type;
	uint64_t sector;
	size_t data_off;		/* in the RW region */
	uint32_t data_len;
	uint16_t head;
	uint32_t expect_len;		/* used length expected */
	uint8_t expect_status;		/* VIRTIO_BLK_S_OK unless set */
	bool done;
};

struct batch {
	struct req r[1024];
	unsigned int n, done;
	unsigned int next_desc;		/* ring descriptors handed out */
	int head_req[32768];		/* head -> r[] index, -1 = none */
};

static struct batch batch;

static void batch_begin(struct dev *d, struct batch *b)
{
	unsigned int i;

	b->n = 0;
	b->done = 0;
	b->next_desc = 0;
	for (i = 0; i < d->num; i++)
		b->head_req[i] = -1;
}

static unsigned int req_chain_len(struct dev *d, uint32_t data_len)
{
	return 2 + (data_len + d->seg_bytes - 1) / d->seg_bytes;
}

/* Could one more request with @data_len bytes go into this batch? */
static bool batch_room(struct dev *d, struct batch *b, uint32_t data_len)
{
	unsigned int need = req_chain_len(d, data_len);

	if (b->n == ARRAY_SIZE(b->r) || b->n == d->num)
		return false;
	/* Indirect requests take one ring descriptor; every odd one is. */
	if (d->indirect && b->n % 2)
		need = 1;
	return b->next_desc + need <= d->num;
}

static void write_desc(struct vring_desc *t, unsigned int i, uint64_t addr,
		       uint32_t len, uint16_t flags, uint16_t next)
{
	t[i].addr = htole64(addr);
	t[i].len = htole32(len);
	t[i].flags = htole16(flags);
	t[i].next = htole16(next);
}

/*
 * Queue one request (not yet visible to the device): header in the RO
 * region, data split into seg_bytes pieces, status byte in the RW region;
 * direct descriptors, or for every odd request of a batch (INDIRECT_DESC)
 * an indirect table.
 */
static void req_add(struct dev *d, struct batch *b, uint32_t type,
		    uint64_t sector, size_t data_off, uint32_t data_len,
		    bool dev_writes)
{
	unsigned int slot = b->n, nseg = 0, i, head;
	struct virtio_blk_outhdr *hdr;
	struct seg segs[2 + 256];
	struct req *r = &b->r[slot];
	uint32_t off;

	hdr = (void *)ro_ptr(d, d->ro_off_hdr + slot * sizeof(*hdr));
	hdr->type = htole32(type);
	hdr->ioprio = 0;
	hdr->sector = htole64(sector);
	*rw_ptr(d, d->off_status + slot) = 0xff;

	segs[nseg++] = (struct seg){ ro_iova(d->ro_off_hdr + slot * sizeof(*hdr)),
				     sizeof(*hdr), false };
	for (off = 0; off < data_len; off += d->seg_bytes)
		segs[nseg++] = (struct seg){ rw_iova(data_off + off),
					     MIN(d->seg_bytes, data_len - off),
					     dev_writes };
	segs[nseg++] = (struct seg){ rw_iova(d->off_status + slot), 1, true };

	if (d->indirect && slot % 2) {
		struct vring_desc *t = (void *)rw_ptr(d, d->off_itab +
				slot * CHAIN_MAX * sizeof(struct vring_desc));

		for (i = 0; i < nseg; i++)
			write_desc(t, i, segs[i].addr, segs[i].len,
				   (segs[i].write ? VRING_DESC_F_WRITE : 0) |
				   (i + 1 < nseg ? VRING_DESC_F_NEXT : 0),
				   i + 1 < nseg ? i + 1 : 0);
		head = b->next_desc++;
		write_desc(d->desc, head, rw_iova(d->off_itab + slot * CHAIN_MAX *
						   sizeof(struct vring_desc)),
			   nseg * sizeof(struct vring_desc),
			   VRING_DESC_F_INDIRECT, 0);
	} else {
		head = b->next_desc;
		for (i = 0; i < nseg; i++)
			write_desc(d->desc, head + i, segs[i].addr, segs[i].len,
				   (segs[i].write ? VRING_DESC_F_WRITE : 0) |
				   (i + 1 < nseg ? VRING_DESC_F_NEXT : 0),
				   i + 1 < nseg ? head + i + 1 : 0);
		b->next_desc += nseg;
	}

	r->type = type;
	r->sector = sector;
	r->data_off = data_off;
	r->data_len = data_len;
	r->head = head;
	r->done = false;
	r->expect_len = 1 + (dev_writes ? data_len : 0);
	r->expect_status = VIRTIO_BLK_S_OK;
	b->head_req[head] = slot;
	store16(avail_ring(d, d->avail_idx % d->num), head);
	d->avail_idx++;
	b->n++;
}

/* Publish the queued requests and kick if the device wants a kick. */
static void publish(struct dev *d, uint16_t old_idx, bool force_kick)
{
	uint64_t one = 1;
	bool kick;

	wmb();			/* ring entries before the index */
	store16(avail_idx(d), d->avail_idx);
	mb();			/* index before reading the device's wish */
	if (d->event_idx)
		kick = vring_need_event(load16(avail_event(d)), d->avail_idx,
					old_idx);
	else
		kick = !(load16(d->used) & VRING_USED_F_NO_NOTIFY);
	if (!kick && !force_kick) {
		d->kicks_suppressed++;
		return;
	}
	d->kicks++;
	step("kick");
	if (write(d->kickfd, &one, sizeof(one)) != sizeof(one))
		fail("kick: write eventfd: %s", strerror(errno));
}

static const char *type_name(uint32_t t)
{
	switch (t) {
	case VIRTIO_BLK_T_IN: return "IN";
	case VIRTIO_BLK_T_OUT: return "OUT";
	case VIRTIO_BLK_T_FLUSH: return "FLUSH";
	case VIRTIO_BLK_T_GET_ID: return "GET_ID";
	}
	return "?";
}

/* Wait for every request of the batch; check ids, lengths, statuses. */
static void wait_batch(struct dev *d, struct batch *b)
{
	uint64_t deadline = now_ms() + opt_timeout_ms;
	struct pollfd pfd = { .fd = d->callfd, .events = POLLIN };

	step("waiting for completions");
	while (b->done < b->n) {
		uint16_t uidx = load16(used_idx(d));
		unsigned int pending = b->n - b->done;
		int64_t left;
		int ret;

		if ((uint16_t)(uidx - d->last_used) > pending)
			fail("used idx %u is %u ahead of the %u completions "
			     "read, but only %u requests are outstanding",
			     uidx, (uint16_t)(uidx - d->last_used),
			     d->last_used, pending);
		if (uidx != d->last_used) {
			rmb();	/* the index before the entries it covers */
			while (d->last_used != uidx) {
				struct vring_used_elem *u =
					used_ring(d, d->last_used % d->num);
				uint32_t id = le32toh(u->id), len = le32toh(u->len);
				struct req *r;
				uint8_t status;

				if (id >= d->num || b->head_req[id] < 0)
					fail("used entry %u: id %u is not a "
					     "head we made available", d->last_used, id);
				r = &b->r[b->head_req[id]];
				if (r->done)
					fail("used entry %u: head %u completed "
					     "twice", d->last_used, id);
				status = *rw_ptr(d, d->off_status + b->head_req[id]);
				if (status != r->expect_status)
					fail("%s request (sector %" PRIu64 ", %u "
					     "bytes, head %u): status %u%s, "
					     "expected %u", type_name(r->type),
					     r->sector, r->data_len, id, status,
					     status == 0xff ? " (never written)" :
					     status == VIRTIO_BLK_S_IOERR ? " (IOERR)" :
					     status == VIRTIO_BLK_S_UNSUPP ? " (UNSUPP)" : "",
					     r->expect_status);
				if (len != r->expect_len)
					fail("%s request (sector %" PRIu64 ", %u "
					     "bytes, head %u): used length %u, "
					     "expected %u", type_name(r->type),
					     r->sector, r->data_len, id, len,
					     r->expect_len);
				r->done = true;
				b->done++;
				d->last_used++;
			}
			step("waiting for completions");
			continue;
		}
		/* Ask for an interrupt at the next completion, then re-check. */
		if (d->event_idx) {
			store16(used_event(d), d->last_used);
			mb();
			if (load16(used_idx(d)) != d->last_used)
				continue;
		}
		left = (int64_t)(deadline - now_ms());
		if (left <= 0)
			fail("timeout: %u of %u requests not completed after %u "
			     "ms (used idx %u, avail idx %u, %" PRIu64 " kicks, %"
			     PRIu64 " suppressed)", pending, b->n,
			     opt_timeout_ms, load16(used_idx(d)), d->avail_idx,
			     d->kicks, d->kicks_suppressed);
		ret = poll(&pfd, 1, (int)left);
		if (ret < 0 && errno != EINTR)
			fail("poll call eventfd: %s", strerror(errno));
		if (ret > 0 && eventfd_drain(d->callfd))
			d->irqs++;
	}
}

static void run_batch(struct dev *d, struct batch *b)
{
	uint16_t old = d->avail_idx - b->n;

	publish(d, old, false);
	wait_batch(d, b);
}

/* ---- data pattern ---- */

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Sector @sector's content: its number, then words derived from seed. */
static void pattern_fill(uint8_t *p, uint64_t sector)
{
	uint64_t w[SECTOR / 8];
	unsigned int i;

	w[0] = htole64(sector);
	for (i = 1; i < ARRAY_SIZE(w); i++)
		w[i] = htole64(mix64(opt_seed ^ mix64(sector * 64 + i)));
	memcpy(p, w, SECTOR);
}

static void pattern_check(const uint8_t *p, uint64_t sector)
{
	uint8_t want[SECTOR];
	unsigned int i;

	pattern_fill(want, sector);
	if (!memcmp(p, want, SECTOR))
		return;
	for (i = 0; i < SECTOR && p[i] == want[i]; i++)
		;
	fail("read back sector %" PRIu64 ": byte %u is 0x%02x, wrote 0x%02x "
	     "(first 8 bytes read: %016" PRIx64 ")", sector, i, p[i], want[i],
	     le64toh(*(const uint64_t *)(const void *)p));
}

/* ---- commands ---- */

static uint32_t req_bytes(struct dev *d)
{
	return d->segs * d->seg_bytes;
}

/* Write or read [sector, sector + count) in batches of requests. */
static void rw_pass(struct dev *d, uint64_t sector, uint64_t count, bool write)
{
	uint64_t pos = 0, nreq = 0, nbatch = 0;
	uint32_t per = req_bytes(d) / SECTOR;

	while (pos < count) {
		size_t data = 0;
		unsigned int i;

		batch_begin(d, &batch);
		while (pos < count) {
			uint64_t n = MIN(count - pos, per);
			uint64_t s;

			if (data + n * SECTOR > DATA_BYTES ||
			    !batch_room(d, &batch, n * SECTOR))
				break;
			if (write)
				for (s = 0; s < n; s++)
					pattern_fill(rw_ptr(d, d->off_data + data +
							 s * SECTOR),
						     sector + pos + s);
			else
				memset(rw_ptr(d, d->off_data + data), 0xa5,
				       n * SECTOR);
			req_add(d, &batch, write ? VIRTIO_BLK_T_OUT :
				VIRTIO_BLK_T_IN, sector + pos,
				d->off_data + data, n * SECTOR, !write);
			data += n * SECTOR;
			pos += n;
		}
		if (!batch.n)
			fail("internal: a request does not fit the queue");
		run_batch(d, &batch);
		if (!write)
			for (i = 0; i < batch.n; i++) {
				struct req *r = &batch.r[i];
				uint32_t s;

				for (s = 0; s < r->data_len / SECTOR; s++)
					pattern_check(rw_ptr(d, r->data_off +
							      s * SECTOR),
						      r->sector + s);
			}
		nreq += batch.n;
		nbatch++;
	}
	printf("%s %" PRIu64 " sectors at %" PRIu64 ": %" PRIu64 " requests in %"
	       PRIu64 " batches%s\n", write ? "wrote" : "read back and verified",
	       count, sector, nreq, nbatch, d->indirect ?
	       " (every other one indirect)" : "");
}

static void single(struct dev *d, uint32_t type, size_t data_off,
		   uint32_t data_len)
{
	batch_begin(d, &batch);
	req_add(d, &batch, type, 0, data_off, data_len, data_len != 0);
	run_batch(d, &batch);
}

/* GET_ID into a 20-byte buffer: printable, NUL padded if shorter. */
static void get_id(struct dev *d)
{
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	uint8_t *id = rw_ptr(d, d->off_misc);
	unsigned int i;

	memset(id, 0xee, VIRTIO_BLK_ID_BYTES);
	single(d, VIRTIO_BLK_T_GET_ID, d->off_misc, VIRTIO_BLK_ID_BYTES);
	memcpy(serial, id, VIRTIO_BLK_ID_BYTES);
	serial[VIRTIO_BLK_ID_BYTES] = 0;
	for (i = 0; serial[i]; i++)
		if (serial[i] < 0x20 || serial[i] > 0x7e)
			fail("GET_ID: serial byte %u is 0x%02x, not printable", i,
			     (uint8_t)serial[i]);
	for (; i < VIRTIO_BLK_ID_BYTES; i++)
		if (id[i])
			fail("GET_ID: serial is not NUL padded (byte %u is 0x%02x)",
			     i, id[i]);
	printf("serial '%s'\n", serial);
}

static void cmd_rw(struct dev *d, uint64_t sector, uint64_t count)
{
	uint64_t align = d->blk_size / SECTOR;

	if (!count)
		fail("COUNT must be at least 1");
	if (sector > d->capacity || count > d->capacity - sector)
		fail("sectors [%" PRIu64 ", %" PRIu64 ") are beyond the "
		     "capacity of %" PRIu64 " sectors", sector, sector + count,
		     d->capacity);
	if (sector % align || count % align)
		fail("SECTOR and COUNT must be multiples of %" PRIu64 " (blk_size "
		     "%u)", align, d->blk_size);
	if (has(d, VIRTIO_BLK_F_RO))
		fail("the device is read-only (VIRTIO_BLK_F_RO): cannot write");
	if (!has(d, VIRTIO_BLK_F_FLUSH))
		fail("the device does not offer VIRTIO_BLK_F_FLUSH");

	printf("rw: sectors [%" PRIu64 ", %" PRIu64 "), queue size %u, up to "
	       "%u x %u bytes per request, pattern seed 0x%016" PRIx64 "\n",
	       sector, sector + count, d->num, d->segs, d->seg_bytes, opt_seed);
	rw_pass(d, sector, count, true);
	single(d, VIRTIO_BLK_T_FLUSH, 0, 0);
	printf("flush ok\n");
	rw_pass(d, sector, count, false);

	get_id(d);
	printf("rw ok: %" PRIu64 " kicks (%" PRIu64 " suppressed), %" PRIu64
	       " interrupts\n", d->kicks, d->kicks_suppressed, d->irqs);
}

/*
 * Requests the kernel's virtio-blk driver never sends, because the block
 * layer refuses them first: out of the capacity, straddling its end, a
 * sector number that overflows, and (on a VIRTIO_BLK_F_RO device) writes.
 * Only the device stands between these and the disk: each must come back
 * IOERR with nothing but the status byte written, and change no data.
 */
static void expect_ioerr(struct dev *d, uint32_t type, uint64_t sector,
			 uint32_t len)
{
	struct req *r;

	batch_begin(d, &batch);
	if (type == VIRTIO_BLK_T_OUT)
		memset(rw_ptr(d, d->off_data), 0x5a, len);
	else
		memset(rw_ptr(d, d->off_data), 0xa5, len);
	req_add(d, &batch, type, sector, d->off_data, len,
		type == VIRTIO_BLK_T_IN);
	r = &batch.r[0];
	r->expect_status = VIRTIO_BLK_S_IOERR;
	r->expect_len = 1;
	run_batch(d, &batch);
	printf("%s at sector %" PRIu64 ", %u bytes: IOERR\n", type_name(type),
	       sector, len);
}

static void cmd_limits(struct dev *d)
{
	uint32_t bs = d->blk_size;
	uint64_t cap = d->capacity, align = bs / SECTOR;
	uint8_t *before = malloc(bs);

	if (!before)
		fail("out of memory");
	expect_ioerr(d, VIRTIO_BLK_T_IN, cap, bs);
	expect_ioerr(d, VIRTIO_BLK_T_IN, cap - align, 2 * bs);
	expect_ioerr(d, VIRTIO_BLK_T_IN, UINT64_MAX - align + 1, bs);
	expect_ioerr(d, VIRTIO_BLK_T_IN, cap + 1000 * align, bs);
	expect_ioerr(d, VIRTIO_BLK_T_OUT, cap, bs);
	expect_ioerr(d, VIRTIO_BLK_T_OUT, cap - align, 2 * bs);
	expect_ioerr(d, VIRTIO_BLK_T_OUT, UINT64_MAX - align + 1, bs);
	if (!has(d, VIRTIO_BLK_F_RO)) {
		printf("limits ok (the device is writable)\n");
		free(before);
		return;
	}
	/* Read-only: the last block and block 0 refuse writes, keep data. */
	batch_begin(d, &batch);
	req_add(d, &batch, VIRTIO_BLK_T_IN, 0, d->off_data, bs, true);
	run_batch(d, &batch);
	memcpy(before, rw_ptr(d, d->off_data), bs);
	expect_ioerr(d, VIRTIO_BLK_T_OUT, 0, bs);
	expect_ioerr(d, VIRTIO_BLK_T_OUT, cap - align, bs);
	batch_begin(d, &batch);
	req_add(d, &batch, VIRTIO_BLK_T_IN, 0, d->off_data, bs, true);
	run_batch(d, &batch);
	if (memcmp(before, rw_ptr(d, d->off_data), bs))
		fail("a refused write to the read-only device changed block 0");
	single(d, VIRTIO_BLK_T_FLUSH, 0, 0);
	printf("limits ok (read-only: writes refused, data unchanged)\n");
	free(before);
}

/* ---- hostile rings ---- */

struct hostile {
	const char *name;
	const char *what;
	bool needs_indirect;
	void (*post)(struct dev *d);
};

/* A well-formed 1-sector read's header and status at request slot 0. */
static uint64_t h_hdr(struct dev *d, uint32_t type)
{
	struct virtio_blk_outhdr *hdr = (void *)ro_ptr(d, d->ro_off_hdr);

	hdr->type = htole32(type);
	hdr->ioprio = 0;
	hdr->sector = 0;
	return ro_iova(d->ro_off_hdr);
}

static uint64_t h_status(struct dev *d)
{
	*rw_ptr(d, d->off_status) = 0xff;
	return rw_iova(d->off_status);
}

static uint64_t h_data(struct dev *d, unsigned int i)
{
	return rw_iova(d->off_data + i * SECTOR);
}

static struct vring_desc *h_itab(struct dev *d, unsigned int n)
{
	return (void *)rw_ptr(d, d->off_itab + n * CHAIN_MAX *
			      sizeof(struct vring_desc));
}

static uint64_t h_itab_iova(struct dev *d, unsigned int n)
{
	return rw_iova(d->off_itab + n * CHAIN_MAX * sizeof(struct vring_desc));
}

/* Offer head @head in avail slot 0 (and make avail idx 1). */
static void h_offer(struct dev *d, uint16_t head)
{
	store16(avail_ring(d, 0), head);
	d->avail_idx = 1;
}

static void h_desc_index(struct dev *d)
{
	/* A valid chain at 0 exists, but the ring names head == num. */
	write_desc(d->desc, 0, h_hdr(d, VIRTIO_BLK_T_IN), 16,
		   VRING_DESC_F_NEXT, 1);
	write_desc(d->desc, 1, h_data(d, 0), SECTOR,
		   VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	write_desc(d->desc, 2, h_status(d), 1, VRING_DESC_F_WRITE, 0);
	h_offer(d, d->num);
	printf("posting avail slot 0 = head %u, queue size %u\n", d->num, d->num);
}

static void h_loop(struct dev *d)
{
	/* The header descriptor chains to itself forever. */
	write_desc(d->desc, 0, h_hdr(d, VIRTIO_BLK_T_IN), 16,
		   VRING_DESC_F_NEXT, 0);
	h_offer(d, 0);
	printf("posting head 0: descriptor 0 (header) with NEXT -> 0\n");
}

static void h_nested_indirect(struct dev *d)
{
	struct vring_desc *t0 = h_itab(d, 0), *t1 = h_itab(d, 1);

	/* Table 1 is a fine data + status tail ... */
	write_desc(t1, 0, h_data(d, 0), SECTOR,
		   VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	write_desc(t1, 1, h_status(d), 1, VRING_DESC_F_WRITE, 0);
	/* ... but table 0 reaches it through an INDIRECT entry. */
	write_desc(t0, 0, h_hdr(d, VIRTIO_BLK_T_IN), 16, VRING_DESC_F_NEXT, 1);
	write_desc(t0, 1, h_itab_iova(d, 1), 2 * sizeof(struct vring_desc),
		   VRING_DESC_F_INDIRECT, 0);
	write_desc(d->desc, 0, h_itab_iova(d, 0), 2 * sizeof(struct vring_desc),
		   VRING_DESC_F_INDIRECT, 0);
	h_offer(d, 0);
	printf("posting head 0: indirect table (2 entries) whose entry 1 is "
	       "INDIRECT (to a valid 2-entry table)\n");
}

static void h_indirect_len(struct dev *d)
{
	struct vring_desc *t = h_itab(d, 0);
	uint32_t len = 3 * sizeof(struct vring_desc) + 8;

	write_desc(t, 0, h_hdr(d, VIRTIO_BLK_T_IN), 16, VRING_DESC_F_NEXT, 1);
	write_desc(t, 1, h_data(d, 0), SECTOR,
		   VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	write_desc(t, 2, h_status(d), 1, VRING_DESC_F_WRITE, 0);
	write_desc(d->desc, 0, h_itab_iova(d, 0), len, VRING_DESC_F_INDIRECT, 0);
	h_offer(d, 0);
	printf("posting head 0: indirect table of length %u (3 valid entries "
	       "+ 8 bytes)\n", len);
}

static void h_unmapped(struct dev *d)
{
	write_desc(d->desc, 0, h_hdr(d, VIRTIO_BLK_T_IN), 16,
		   VRING_DESC_F_NEXT, 1);
	write_desc(d->desc, 1, IOVA_UNMAPPED, SECTOR,
		   VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	write_desc(d->desc, 2, h_status(d), 1, VRING_DESC_F_WRITE, 0);
	h_offer(d, 0);
	printf("posting head 0: read whose data descriptor 1 is at iova 0x%llx "
	       "(not mapped)\n", (unsigned long long)IOVA_UNMAPPED);
}

static void h_write_before_read(struct dev *d)
{
	write_desc(d->desc, 0, h_hdr(d, VIRTIO_BLK_T_IN), 16,
		   VRING_DESC_F_NEXT, 1);
	write_desc(d->desc, 1, h_data(d, 0), SECTOR,
		   VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	write_desc(d->desc, 2, h_data(d, 1), SECTOR, VRING_DESC_F_NEXT, 3);
	write_desc(d->desc, 3, h_status(d), 1, VRING_DESC_F_WRITE, 0);
	h_offer(d, 0);
	printf("posting head 0: header(R) -> data(W) -> data(R) -> status(W)\n");
}

/*
 * The index runs num + 1 entries ahead.  The ring has only num slots, so
 * entry num is slot 0 again; otherwise every slot names a different
 * well-formed read (one indirect table each when INDIRECT_DESC is on,
 * else as many 3-descriptor chains as fit, reused round robin).
 */
static void h_avail_jump(struct dev *d)
{
	unsigned int i, chains = d->indirect ? d->num : d->num / 3;

	for (i = 0; i < chains; i++) {
		struct virtio_blk_outhdr *hdr = (void *)ro_ptr(d, d->ro_off_hdr +
							       i * sizeof(*hdr));
		uint64_t h = ro_iova(d->ro_off_hdr + i * sizeof(*hdr));
		uint64_t data = h_data(d, i % (DATA_BYTES / SECTOR));
		uint64_t st = rw_iova(d->off_status + i);

		hdr->type = htole32(VIRTIO_BLK_T_IN);
		hdr->ioprio = 0;
		hdr->sector = 0;
		*rw_ptr(d, d->off_status + i) = 0xff;
		if (d->indirect) {
			struct vring_desc *t = h_itab(d, i);

			write_desc(t, 0, h, 16, VRING_DESC_F_NEXT, 1);
			write_desc(t, 1, data, SECTOR,
				   VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
			write_desc(t, 2, st, 1, VRING_DESC_F_WRITE, 0);
			write_desc(d->desc, i, h_itab_iova(d, i),
				   3 * sizeof(struct vring_desc),
				   VRING_DESC_F_INDIRECT, 0);
		} else {
			write_desc(d->desc, 3 * i, h, 16, VRING_DESC_F_NEXT,
				   3 * i + 1);
			write_desc(d->desc, 3 * i + 1, data, SECTOR,
				   VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
				   3 * i + 2);
			write_desc(d->desc, 3 * i + 2, st, 1,
				   VRING_DESC_F_WRITE, 0);
		}
	}
	for (i = 0; i < d->num; i++)
		store16(avail_ring(d, i), d->indirect ? i : 3 * (i % chains));
	d->avail_idx = d->num + 1;
	printf("posting avail idx %u with last_avail 0, queue size %u (%u "
	       "distinct well-formed chains in the ring)\n", d->avail_idx,
	       d->num, chains);
}

static void h_readonly_status(struct dev *d)
{
	*ro_ptr(d, d->ro_off_status) = 0xff;
	write_desc(d->desc, 0, h_hdr(d, VIRTIO_BLK_T_IN), 16,
		   VRING_DESC_F_NEXT, 1);
	write_desc(d->desc, 1, h_data(d, 0), SECTOR,
		   VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	write_desc(d->desc, 2, ro_iova(d->ro_off_status), 1,
		   VRING_DESC_F_WRITE, 0);
	h_offer(d, 0);
	printf("posting head 0: read whose status descriptor 2 (WRITE) is at "
	       "iova 0x%llx, mapped VHOST_ACCESS_RO\n",
	       (unsigned long long)ro_iova(d->ro_off_status));
}

static const struct hostile hostiles[] = {
	{ "desc-index", "avail ring head >= queue size", false, h_desc_index },
	{ "loop", "descriptor whose next points back to itself", false, h_loop },
	{ "nested-indirect", "indirect table containing an INDIRECT descriptor",
	  true, h_nested_indirect },
	{ "indirect-len", "indirect table length not a multiple of 16", true,
	  h_indirect_len },
	{ "unmapped", "buffer address outside any IOTLB mapping", false,
	  h_unmapped },
	{ "write-before-read", "device-writable descriptor followed by a "
	  "device-readable one", false, h_write_before_read },
	{ "avail-jump", "avail idx more than the queue size ahead", false,
	  h_avail_jump },
	{ "readonly-status", "status buffer in a VHOST_ACCESS_RO mapping",
	  false, h_readonly_status },
};

static const struct hostile *find_hostile(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hostiles); i++)
		if (!strcmp(hostiles[i].name, name))
			return &hostiles[i];
	return NULL;
}

static void list_hostiles(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hostiles); i++)
		printf("%-18s %s\n", hostiles[i].name, hostiles[i].what);
}

/*
 * Post one broken request on the freshly set up ring, kick, and watch for
 * opt_hostile_ms.  A conforming device must not complete it (it goes to
 * NEEDS_RESET instead); vdused also sends a config interrupt then, which
 * we report but do not require.
 */
static void cmd_hostile(struct dev *d, const struct hostile *h)
{
	struct pollfd p[2] = { { .fd = d->callfd, .events = POLLIN },
			       { .fd = d->cfgfd, .events = POLLIN } };
	uint64_t start, cfg_at = 0, t;
	uint16_t uidx;

	if (h->needs_indirect && !d->indirect)
		fail("hostile %s needs VIRTIO_RING_F_INDIRECT_DESC, which is %s",
		     h->name, opt_no_indirect ? "disabled (-I)" : "not offered");
	printf("hostile %s: %s\n", h->name, h->what);
	h->post(d);
	publish(d, 0, true);
	start = now_ms();
	while ((t = now_ms()) - start < opt_hostile_ms) {
		int ret;

		step("hostile wait");
		ret = poll(p, 2, (int)MIN(1000, opt_hostile_ms - (t - start)));

		if (ret < 0 && errno != EINTR)
			fail("poll: %s", strerror(errno));
		if (ret <= 0)
			continue;
		if (p[1].revents && eventfd_drain(d->cfgfd) && !cfg_at)
			cfg_at = now_ms() - start + 1;
		if (p[0].revents && eventfd_drain(d->callfd))
			d->irqs++;
		uidx = load16(used_idx(d));
		if (uidx != 0) {
			struct vring_used_elem *u = used_ring(d, 0);

			rmb();
			fail("hostile %s: the device completed the broken "
			     "request (used idx %u, id %u, len %u, status "
			     "0x%02x): violation not detected", h->name, uidx,
			     le32toh(u->id), le32toh(u->len),
			     *rw_ptr(d, d->off_status));
		}
	}
	uidx = load16(used_idx(d));
	if (uidx != 0)
		fail("hostile %s: the device completed the broken request "
		     "(used idx %u): violation not detected", h->name, uidx);
	printf("no completion after %u ms (%" PRIu64 " interrupts); status "
	       "0x%02x\n", opt_hostile_ms, d->irqs, get_status(d));
	if (cfg_at)
		printf("config interrupt received after ~%" PRIu64 " ms (device "
		       "reports NEEDS_RESET)\n", cfg_at - 1);
	else
		printf("no config interrupt\n");
}

static void cmd_reset_recover(struct dev *d)
{
	cmd_hostile(d, find_hostile("desc-index"));
	printf("resetting the device and setting it up again\n");
	setup(d);
	printf("setup again: status 0x%02x, queue size %u\n", get_status(d),
	       d->num);
	cmd_rw(d, 0, MAX(8U, d->blk_size / SECTOR));
	printf("recovered: I/O works after the reset\n");
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s [options] DEVICE COMMAND [ARGS]\n"
"  DEVICE is /dev/vhost-vdpa-N of a virtio-blk device.\n"
"commands:\n"
"  info                 set up, print features, config and queue size\n"
"  rw SECTOR COUNT      write a pattern to COUNT 512-byte sectors at\n"
"                       SECTOR, FLUSH, read back and compare, GET_ID\n"
"  hostile KIND         post one broken request, watch it for a while;\n"
"                       exits 0 if the device did not complete it\n"
"  hostile list         list the kinds (no DEVICE needed: '%s hostile list')\n"
"  reset-recover        hostile desc-index, reset, set up again, rw 0 8\n"
"  limits               requests beyond the capacity (and writes, if the\n"
"                       device is read-only) must come back IOERR\n"
"options:\n"
"  -t MS     completion timeout (default 5000)\n"
"  -H MS     how long 'hostile' watches (default 1000)\n"
"  -w S      watchdog: fail if a step makes no progress for S seconds\n"
"            (default max(15, 3 x timeout))\n"
"  -q N      queue size (power of two >= 4; default the device maximum)\n"
"  -s SEED   pattern seed (default: from the clock; printed)\n"
"  -E        do not negotiate VIRTIO_RING_F_EVENT_IDX\n"
"  -I        do not negotiate VIRTIO_RING_F_INDIRECT_DESC\n"
"exit status: 0 ok, 1 check failed, 2 usage, 3 watchdog\n",
		prog, prog);
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!*s || *s == '-')
		usage_error("%s: '%s' is not a number", what, s);
	v = strtoull(s, &end, 0);
	if (errno || *end)
		usage_error("%s: '%s' is not a number", what, s);
	return v;
}

static unsigned int parse_uint(const char *s, const char *what,
			       unsigned int min, unsigned int max)
{
	uint64_t v = parse_u64(s, what);

	if (v < min || v > max)
		usage_error("%s: %s is not in [%u, %u]", what, s, min, max);
	return v;
}

int main(int argc, char **argv)
{
	struct dev dev = { .fd = -1, .kickfd = -1, .callfd = -1, .cfgfd = -1,
			   .memfd = -1 };
	const struct hostile *h = NULL;
	uint64_t sector = 0, count = 0;
	const char *cmd;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "t:H:w:q:s:EIh")) != -1) {
		switch (c) {
		case 't':
			opt_timeout_ms = parse_uint(optarg, "-t", 1, 3600000);
			break;
		case 'H':
			opt_hostile_ms = parse_uint(optarg, "-H", 1, 600000);
			break;
		case 'w':
			opt_watchdog_s = parse_uint(optarg, "-w", 1, 3600);
			break;
		case 'q':
			opt_qsize = parse_uint(optarg, "-q", 4, 32768);
			if (opt_qsize & (opt_qsize - 1))
				usage_error("-q: %u is not a power of two",
					    opt_qsize);
			break;
		case 's':
			opt_seed = parse_u64(optarg, "-s");
			opt_seed_set = true;
			break;
		case 'E':
			opt_no_event_idx = true;
			break;
		case 'I':
			opt_no_indirect = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage_error("bad option");
		}
	}
	argv += optind;
	argc -= optind;

	/* 'hostile list' needs no device. */
	if (argc >= 2 && !strcmp(argv[argc - 2], "hostile") &&
	    !strcmp(argv[argc - 1], "list") && argc <= 3) {
		list_hostiles();
		return 0;
	}
	if (argc < 2)
		usage_error("need DEVICE and COMMAND");
	dev.path = argv[0];
	cmd = argv[1];
	if (!strcmp(cmd, "info") || !strcmp(cmd, "reset-recover") ||
	    !strcmp(cmd, "limits")) {
		if (argc != 2)
			usage_error("%s takes no arguments", cmd);
	} else if (!strcmp(cmd, "rw")) {
		if (argc != 4)
			usage_error("usage: rw SECTOR COUNT");
		sector = parse_u64(argv[2], "SECTOR");
		count = parse_u64(argv[3], "COUNT");
		if (!count)
			usage_error("COUNT must be at least 1");
	} else if (!strcmp(cmd, "hostile")) {
		if (argc != 3)
			usage_error("usage: hostile KIND (or: hostile list)");
		h = find_hostile(argv[2]);
		if (!h)
			usage_error("unknown hostile kind '%s'", argv[2]);
	} else {
		usage_error("unknown command '%s'", cmd);
	}

	if (!opt_seed_set) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt_seed = mix64((uint64_t)ts.tv_sec * 1000000000ULL +
				 ts.tv_nsec) ^ (uint64_t)getpid();
	}
	watchdog_start();

	open_device(&dev);
	setup(&dev);
	printf("%s: set up: id %u, capacity %" PRIu64 " sectors, blk_size %u, "
	       "queue size %u (max %u), features 0x%" PRIx64 "\n", dev.path,
	       dev.device_id, dev.capacity, dev.blk_size, dev.num, dev.num_max,
	       dev.features);

	if (!strcmp(cmd, "info")) {
		print_info(&dev);
		get_id(&dev);
	}
	else if (!strcmp(cmd, "rw"))
		cmd_rw(&dev, sector, count);
	else if (!strcmp(cmd, "limits"))
		cmd_limits(&dev);
	else if (h)
		cmd_hostile(&dev, h);
	else
		cmd_reset_recover(&dev);

	teardown(&dev);
	printf("%s: ok\n", cmd);
	return 0;
}
