// SPDX-License-Identifier: GPL-2.0
/*
 * blkverify DEV SECONDS JOBS [BYTES]
 *
 * Verifying random I/O on a block device for the in-guest crash tests:
 * JOBS processes, each on its own slice of DEV (of its first BYTES, if
 * given), write 4 KiB blocks with O_DIRECT and read them back at random
 * for SECONDS, then read every block they wrote once more.  Every 512-byte
 * sector of a block carries its offset, the write's generation and a
 * pattern derived from both, so a block that comes back stale, torn,
 * from another offset or zeroed is a verify error.  A failed or short
 * read or write is an I/O error (and the block it wrote is unknown from
 * then on).  Each job prints one line; the
 * exit status is 0 only if no job saw a single error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#define BS 4096u
#define SECT 512u
#define MAX_BLOCKS 4096u	/* per job: the generations fit in memory */
#define MAGIC 0x76646677u	/* "vdfw" */
#define GEN_UNKNOWN UINT32_MAX

struct job {
	int fd;
	uint64_t first;		/* byte offset of the slice */
	uint32_t nblocks;
	uint32_t gen[MAX_BLOCKS]; /* last generation written OK; 0: never */
	uint64_t rng;
	unsigned long reads, writes, verify_errors, io_errors;
};

static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* What block @off holds after its write of generation @gen. */
static void fill(uint8_t *buf, uint64_t off, uint32_t gen)
{
	unsigned int s, i;

	for (s = 0; s < BS / SECT; s++) {
		uint64_t seed = (off + s * SECT) * 0x9e3779b97f4a7c15ull ^ gen;
		uint32_t *w = (uint32_t *)(buf + s * SECT);

		w[0] = MAGIC;
		w[1] = gen;
		memcpy(&w[2], &(uint64_t){ off + s * SECT }, 8);
		for (i = 4; i < SECT / 4; i++)
			w[i] = (uint32_t)next_rand(&(uint64_t){ seed + i });
	}
}

/* A read or write that did not move the whole block (@n: its result). */
static void io_failed(struct job *j, const char *op, uint64_t off, ssize_t n)
{
	fprintf(stderr, "blkverify: %s at %" PRIu64 ": %s\n", op, off,
		n < 0 ? strerror(errno) : "short");
	j->io_errors++;
}

static void verify(struct job *j, uint8_t *buf, uint8_t *want, uint32_t b)
{
	uint64_t off = j->first + (uint64_t)b * BS;
	ssize_t n;

	if (!j->gen[b] || j->gen[b] == GEN_UNKNOWN)
		return;
	j->reads++;
	n = pread(j->fd, buf, BS, off);
	if (n != BS) {
		io_failed(j, "read", off, n);
		return;
	}
	fill(want, off, j->gen[b]);
	if (memcmp(buf, want, BS)) {
		uint32_t *w = (uint32_t *)buf;

		fprintf(stderr, "blkverify: block at %" PRIu64 ": want gen %u, "
			"got magic %#x gen %u\n", off, j->gen[b], w[0], w[1]);
		j->verify_errors++;
	}
}

static void write_one(struct job *j, uint8_t *buf, uint32_t b)
{
	uint64_t off = j->first + (uint64_t)b * BS;
	uint32_t gen = j->gen[b] == GEN_UNKNOWN ? 1 : j->gen[b] + 1;
	ssize_t n;

	fill(buf, off, gen);
	j->writes++;
	n = pwrite(j->fd, buf, BS, off);
	if (n != BS) {
		io_failed(j, "write", off, n);
		j->gen[b] = GEN_UNKNOWN;
		return;
	}
	j->gen[b] = gen;
}

static int run_job(struct job *j, const char *dev, int idx, time_t end)
{
	uint8_t *buf, *want;
	uint32_t b;

	if (posix_memalign((void **)&buf, BS, BS) ||
	    posix_memalign((void **)&want, BS, BS))
		return 1;
	while (time(NULL) < end) {
		b = next_rand(&j->rng) % j->nblocks;
		if (next_rand(&j->rng) % 3)
			write_one(j, buf, b);
		else
			verify(j, buf, want, b);
	}
	for (b = 0; b < j->nblocks; b++)
		verify(j, buf, want, b);
	printf("blkverify: %s job %d: %lu writes %lu reads %lu verify_errors "
	       "%lu io_errors\n", dev, idx, j->writes, j->reads,
	       j->verify_errors, j->io_errors);
	return j->verify_errors || j->io_errors;
}

int main(int argc, char **argv)
{
	static struct job j;
	uint64_t size, slice;
	int jobs, i, st, bad = 0;
	time_t end;

	if (argc < 4 || argc > 5 || (jobs = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: blkverify DEV SECONDS JOBS [BYTES]\n");
		return 2;
	}
	j.fd = open(argv[1], O_RDWR | O_DIRECT);
	if (j.fd < 0 || ioctl(j.fd, BLKGETSIZE64, &size)) {
		perror(argv[1]);
		return 2;
	}
	if (argc == 5 && strtoull(argv[4], NULL, 0) < size)
		size = strtoull(argv[4], NULL, 0);
	slice = size / jobs / BS * BS;
	if (slice < BS) {
		fprintf(stderr, "blkverify: %s too small for %d jobs\n",
			argv[1], jobs);
		return 2;
	}
	j.nblocks = slice / BS < MAX_BLOCKS ? slice / BS : MAX_BLOCKS;
	end = time(NULL) + atoi(argv[2]);
	fflush(stdout);
	for (i = 0; i < jobs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (!pid) {
			j.first = i * slice;
			j.rng = (uint64_t)getpid() * 0x2545f4914f6cdd1dull | 1;
			exit(run_job(&j, argv[1], i, end));
		}
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			bad = 1;
	return bad;
}
