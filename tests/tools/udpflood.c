// SPDX-License-Identifier: GPL-2.0
/*
 * udpflood ADDR PORT COUNT SIZE
 *
 * Sends COUNT UDP datagrams of SIZE bytes to ADDR:PORT as fast as the
 * kernel takes them, for the in-guest flood test.  It never blocks: a
 * datagram the kernel cannot take right now (a full queue or socket
 * buffer: EAGAIN, ENOBUFS) is counted as failed.  Prints "sent N failed M".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[65507];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned long count, sent = 0, failed = 0, i;
	size_t size;
	int fd;

	if (argc != 5 || !inet_aton(argv[1], &sa.sin_addr)) {
		fprintf(stderr, "usage: udpflood ADDR PORT COUNT SIZE\n");
		return 2;
	}
	sa.sin_port = htons(atoi(argv[2]));
	count = strtoul(argv[3], NULL, 0);
	size = strtoul(argv[4], NULL, 0);
	if (size > sizeof(buf))
		size = sizeof(buf);
	memset(buf, 0xa5, size);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	for (i = 0; i < count; i++) {
		if (sendto(fd, buf, size, MSG_DONTWAIT, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			failed++;
		else
			sent++;
	}
	printf("sent %lu failed %lu\n", sent, failed);
	return 0;
}
