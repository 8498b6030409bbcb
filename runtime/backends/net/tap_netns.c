// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>

#include "tap_netns.h"

static bool same_ns(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* An ioctl socket living in namespace @nsfd (we return to @self). */
static int socket_in(int nsfd, int self)
{
	int s, err;

	if (setns(nsfd, CLONE_NEWNET))
		return -errno;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	err = errno;
	if (setns(self, CLONE_NEWNET)) {
		/* Stranded in the tap's namespace: nothing sane is left. */
		_exit(70);
	}
	return s < 0 ? -err : s;
}

int tap_netns_where(int tapfd, struct tap_where *w)
{
	struct ifreq ifr = { 0 };
	int nsfd, self, s, ret;

	/* Still attached?  A deleted tap answers EBADFD. */
	if (ioctl(tapfd, TUNGETIFF, &ifr))
		return -errno;
	memcpy(w->name, ifr.ifr_name, IFNAMSIZ);
	nsfd = ioctl(tapfd, TUNGETDEVNETNS);
	if (nsfd < 0)
		return -errno;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		ret = -errno;
		goto close_ns;
	}
	w->foreign = !same_ns(nsfd, self);
	s = w->foreign ? socket_in(nsfd, self) :
			 socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		ret = s == -1 ? -errno : s;
		goto close_self;
	}
	/* ifr_ifindex and ifr_flags share a union: one at a time. */
	ret = 0;
	if (ioctl(s, SIOCGIFINDEX, &ifr))
		ret = -errno;
	w->ifindex = ifr.ifr_ifindex;
	if (!ret && ioctl(s, SIOCGIFFLAGS, &ifr))
		ret = -errno;
	w->flags = ifr.ifr_flags;
	close(s);
close_self:
	close(self);
close_ns:
	close(nsfd);
	return ret;
}
