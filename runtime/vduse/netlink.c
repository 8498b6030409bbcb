// SPDX-License-Identifier: GPL-2.0
/*
 * The vdpa generic netlink family: adding a VDUSE device to the vdpa bus
 * and removing it, plus picking its bus driver through sysfs.
 *
 * Everything here blocks until the kernel has probed or removed the
 * driver, and the driver waits for vdused to answer its SET_STATUS
 * messages, so these functions only ever run in a child process while
 * the parent's loop keeps serving (see devices.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/vdpa.h>

#include "../core/log.h"
#include "../core/sysfs.h"
#include "netlink.h"

#define NL_BUF 4096
#define VDUSE_MGMTDEV "vduse"

struct nlmsg {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[512];
};

static void nl_put(struct nlmsg *m, uint16_t type, const void *data,
		   uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)m + NLMSG_ALIGN(m->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	m->nh.nlmsg_len = NLMSG_ALIGN(m->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void nl_put_str(struct nlmsg *m, uint16_t type, const char *s)
{
	nl_put(m, type, s, strlen(s) + 1);
}

static void nl_init(struct nlmsg *m, uint16_t family, uint8_t cmd,
		    uint8_t version)
{
	memset(m, 0, sizeof(*m));
	m->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->nh.nlmsg_type = family;
	m->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	m->gh.cmd = cmd;
	m->gh.version = version;
}

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	/* Ask for the kernel's error text (extack) with failures. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Copy the extack message of an error reply into @why, if there is one. */
static void nl_extack(const struct nlmsghdr *nh, char *why, size_t len)
{
	const struct nlmsgerr *err = NLMSG_DATA(nh);
	const struct nlattr *a;
	size_t off, end = nh->nlmsg_len;

	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = NLMSG_HDRLEN + sizeof(*err);
	if (!(nh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - NLMSG_HDRLEN;
	while (off + NLA_HDRLEN <= end) {
		a = (const struct nlattr *)((const char *)nh + off);
		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > end)
			break;
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(why, len, "%.*s", (int)(a->nla_len - NLA_HDRLEN),
				 (const char *)a + NLA_HDRLEN);
		off += NLA_ALIGN(a->nla_len);
	}
}

/*
 * Send @m and read replies until the ack.  A GETFAMILY reply's family id
 * lands in *family.  Returns 0 or the kernel's -errno, with @why filled.
 */
static int nl_transact(int fd, struct nlmsg *m, uint16_t *family, char *why,
		       size_t whylen)
{
	char buf[NL_BUF] __attribute__((aligned(4)));
	struct nlmsghdr *nh;
	ssize_t n;

	if (send(fd, m, m->nh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_ERROR) {
				int err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;

				if (err)
					nl_extack(nh, why, whylen);
				return err;
			}
			if (family && nh->nlmsg_type == GENL_ID_CTRL) {
				struct genlmsghdr *gh = NLMSG_DATA(nh);
				struct nlattr *a = (struct nlattr *)((char *)gh + GENL_HDRLEN);
				int left = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

				while (left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
				       a->nla_len <= left) {
					if (a->nla_type == CTRL_ATTR_FAMILY_ID)
						memcpy(family, (char *)a + NLA_HDRLEN, 2);
					left -= NLA_ALIGN(a->nla_len);
					a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
				}
			}
		}
	}
}

/* Open a socket and resolve the vdpa family; -ENOENT without CONFIG_VDPA. */
static int vdpa_open(uint16_t *family)
{
	struct nlmsg m;
	char why[128] = "";
	int fd, ret;

	fd = nl_open();
	if (fd < 0)
		return fd;
	nl_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	nl_put_str(&m, CTRL_ATTR_FAMILY_NAME, VDPA_GENL_NAME);
	*family = 0;
	ret = nl_transact(fd, &m, family, why, sizeof(why));
	if (!ret && !*family)
		ret = -ENOENT;
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static int vdpa_dev_cmd(const char *name, uint8_t cmd)
{
	char why[256] = "";
	struct nlmsg m;
	uint16_t family;
	int fd, ret;

	fd = vdpa_open(&family);
	if (fd < 0) {
		dev_info(name, "vdpa netlink family unavailable (%s): enable CONFIG_VDPA",
			 strerror(-fd));
		return fd;
	}
	nl_init(&m, family, cmd, VDPA_GENL_VERSION);
	if (cmd == VDPA_CMD_DEV_NEW)
		nl_put_str(&m, VDPA_ATTR_MGMTDEV_DEV_NAME, VDUSE_MGMTDEV);
	nl_put_str(&m, VDPA_ATTR_DEV_NAME, name);
	ret = nl_transact(fd, &m, NULL, why, sizeof(why));
	close(fd);
	if (ret)
		dev_info(name, "vdpa %s: %s%s%s", cmd == VDPA_CMD_DEV_NEW ? "add" : "del",
			 strerror(-ret), why[0] ? ": " : "", why);
	return ret;
}

const char *vdpa_bus_driver(enum vdpa_bus bus)
{
	return bus == VDPA_BUS_VHOST ? "vhost_vdpa" : "virtio_vdpa";
}

/*
 * Add @name to the vdpa bus and bind @bus's driver.  The caller has
 * switched the bus's autoprobe off, so the add itself binds nothing and
 * driver_override decides which driver the bind may use.
 */
int vdpa_attach(const char *name, enum vdpa_bus bus)
{
	const char *drv = vdpa_bus_driver(bus);
	char path[256];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/vdpa/drivers/%s", drv);
	if (access(path, F_OK)) {
		dev_info(name, "no %s driver: enable CONFIG_%s", drv,
			 bus == VDPA_BUS_VHOST ? "VHOST_VDPA" : "VIRTIO_VDPA");
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "/sys/bus/vdpa/devices/%s", name);
	if (access(path, F_OK)) {
		ret = vdpa_dev_cmd(name, VDPA_CMD_DEV_NEW);
		if (ret)
			return ret;
	}
	vdpa_bound_driver(name, path, sizeof(path));
	if (!strcmp(path, drv)) {
		dev_info(name, "already attached to %s", drv);
		return 0;
	}
	snprintf(path, sizeof(path), "/sys/bus/vdpa/devices/%s/driver_override", name);
	ret = sysfs_write(path, drv);
	if (ret) {
		dev_info(name, "cannot set driver_override: %s", strerror(-ret));
		return ret;
	}
	snprintf(path, sizeof(path), "/sys/bus/vdpa/drivers/%s/bind", drv);
	ret = sysfs_write(path, name);
	if (ret) {
		dev_info(name, "binding %s failed: %s", drv, strerror(-ret));
		return ret;
	}
	dev_info(name, "attached to %s", drv);
	return 0;
}

int vdpa_detach(const char *name)
{
	char path[256];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/vdpa/devices/%s", name);
	if (access(path, F_OK))
		return 0;
	ret = vdpa_dev_cmd(name, VDPA_CMD_DEV_DEL);
	if (!ret)
		dev_info(name, "detached");
	return ret;
}

/* Driver currently bound to @name, or "" (not attached / not bound). */
bool vdpa_on_bus(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/bus/vdpa/devices/%s", name);
	return !access(path, F_OK);
}

void vdpa_bound_driver(const char *name, char *buf, size_t len)
{
	char path[256], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/vdpa/devices/%s/driver", name);
	n = readlink(path, link, sizeof(link) - 1);
	buf[0] = 0;
	if (n > 0) {
		link[n] = 0;
		snprintf(buf, len, "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
	}
}
