// SPDX-License-Identifier: GPL-2.0
/*
 * tcprr: TCP request/response rate, for make bench.
 *
 *   tcprr -s [-p PORT]                      serve: echo every byte back
 *   tcprr -c ADDR [-p PORT] [-t SECONDS]    one connection, a 1-byte request
 *                                           and its 1-byte answer at a time
 *
 * The client prints "transactions N seconds S rate R" (R per second).
 * TCP_NODELAY on both ends, so each transaction is one segment each way:
 * the rate is the round-trip rate of the path, not of a batching stack.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int serve(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, ls;

	signal(SIGPIPE, SIG_IGN);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0) {
		perror("socket");
		return 1;
	}
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 4)) {
		perror("bind/listen");
		return 1;
	}
	for (;;) {
		char buf[64];
		ssize_t n;
		int c = accept(ls, NULL, NULL);

		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("accept");
			return 1;
		}
		nodelay(c);
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, n) != n)
				break;
		close(c);
	}
}

static int client(const char *addr, int port, double seconds)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	unsigned long long count = 0;
	double start, end, t;
	char b = 'x';
	int fd;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "tcprr: bad address %s\n", addr);
		return 2;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("connect");
		return 1;
	}
	nodelay(fd);
	start = now();
	end = start + seconds;
	do {
		/* Check the clock every 64 transactions: cheap, and fine-grained. */
		for (int i = 0; i < 64; i++) {
			if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1) {
				perror("tcprr: transaction");
				return 1;
			}
		}
		count += 64;
		t = now();
	} while (t < end);
	close(fd);
	printf("transactions %llu seconds %.3f rate %.1f\n", count, t - start,
	       count / (t - start));
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: tcprr -s [-p PORT] | tcprr -c ADDR [-p PORT] [-t SECONDS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *addr = NULL;
	double seconds = 4;
	int opt, port = 5299, server = 0;

	while ((opt = getopt(argc, argv, "sc:p:t:")) != -1) {
		switch (opt) {
		case 's':
			server = 1;
			break;
		case 'c':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 't':
			seconds = atof(optarg);
			break;
		default:
			usage();
		}
	}
	if (server == !!addr || port <= 0 || port > 65535 || seconds <= 0)
		usage();
	return server ? serve(port) : client(addr, port, seconds);
}
