// SPDX-License-Identifier: GPL-2.0
/* IOVA translation cache: lookups, spanning, invalidation, eviction, references. */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "core/compiler.h"
#include "simdrv.h"

CHECK_MAIN_DEFS("test_iova");

static struct sim_mem M;

static int setup(unsigned int nr)
{
	return sim_mem_init(&M, 0, nr);
}

static uint64_t rstart(unsigned int i)
{
	return M.r[i].iova;
}

static uint64_t rlast(unsigned int i)
{
	return M.r[i].iova + M.r[i].len - 1;
}

TEST(hit_and_miss)
{
	struct iovec iov[4];

	CHECK_EQ(setup(4), 0);
	CHECK_EQ(iova_translate(&M.iova, rstart(0) + 100, 50, IOVA_PERM_READ,
				iov, 4), 1);
	CHECK_EQ(sim_dev_iova(&M, iov[0].iov_base), rstart(0) + 100);
	CHECK_EQ(iov[0].iov_len, 50);
	CHECK_EQ(M.fetches, 1);
	/* Same region: the last-hit path, no fetch. */
	CHECK_EQ(iova_translate(&M.iova, rstart(0) + 4000, 8, IOVA_PERM_RW,
				iov, 4), 1);
	CHECK_EQ(M.fetches, 1);
	CHECK_EQ(iova_translate(&M.iova, rstart(2), 8, IOVA_PERM_READ, iov, 4),
		 1);
	CHECK_EQ(sim_dev_iova(&M, iov[0].iov_base), rstart(2));
	CHECK_EQ(M.fetches, 2);
	/* Back to region 0: found by bisection, still no fetch. */
	CHECK_EQ(iova_translate(&M.iova, rlast(0), 1, IOVA_PERM_READ, iov, 4),
		 1);
	CHECK_EQ(sim_dev_iova(&M, iov[0].iov_base), rlast(0));
	CHECK_EQ(M.fetches, 2);
	CHECK_EQ(M.iova.nr, 2);
	/* len 0 needs nothing. */
	CHECK_EQ(iova_translate(&M.iova, 0, 0, IOVA_PERM_READ, iov, 4), 0);
	CHECK_EQ(M.fetches, 2);
	sim_mem_free(&M);
	CHECK_EQ(M.live, 0);
	return 0;
}

TEST(span_two_and_three)
{
	struct iovec iov[4];
	uint64_t a;

	CHECK_EQ(setup(4), 0);
	a = rlast(0) - 9;
	CHECK_EQ(iova_translate(&M.iova, a, 30, IOVA_PERM_WRITE, iov, 4), 2);
	CHECK_EQ(sim_dev_iova(&M, iov[0].iov_base), a);
	CHECK_EQ(iov[0].iov_len, 10);
	CHECK_EQ(sim_dev_iova(&M, iov[1].iov_base), rstart(1));
	CHECK_EQ(iov[1].iov_len, 20);
	/* The regions are not adjacent in host memory. */
	CHECK((uint8_t *)iov[0].iov_base + 10 != iov[1].iov_base);

	/* From the last byte of region 0 through all of 1 into 2. */
	CHECK_EQ(iova_translate(&M.iova, rlast(0), M.r[1].len + 2,
				IOVA_PERM_READ, iov, 4), 3);
	CHECK_EQ(iov[0].iov_len, 1);
	CHECK_EQ(iov[1].iov_len, M.r[1].len);
	CHECK_EQ(iov[2].iov_len, 1);
	CHECK_EQ(sim_dev_iova(&M, iov[2].iov_base), rstart(2));

	/* Too few iovecs, and the check-only mode. */
	CHECK_EQ(iova_translate(&M.iova, a, 30, IOVA_PERM_READ, iov, 1),
		 -ENOBUFS);
	CHECK_EQ(iova_translate(&M.iova, a, 30, IOVA_PERM_READ, NULL, 0), 2);
	CHECK_EQ(iova_translate(&M.iova, rstart(0), M.size, IOVA_PERM_READ,
				NULL, 0), 4);
	sim_mem_free(&M);
	return 0;
}

TEST(permissions)
{
	struct iovec iov[4];

	CHECK_EQ(setup(4), 0);
	sim_region_set(&M, 1, IOVA_PERM_READ, true);
	sim_region_set(&M, 2, IOVA_PERM_WRITE, true);
	CHECK_EQ(iova_translate(&M.iova, rstart(1), 8, IOVA_PERM_WRITE, iov, 4),
		 -EACCES);
	CHECK_EQ(iova_translate(&M.iova, rstart(1), 8, IOVA_PERM_READ, iov, 4),
		 1);
	CHECK_EQ(iova_translate(&M.iova, rstart(2), 8, IOVA_PERM_READ, iov, 4),
		 -EACCES);
	CHECK_EQ(iova_translate(&M.iova, rstart(2), 8, IOVA_PERM_RW, iov, 4),
		 -EACCES);
	CHECK_EQ(iova_translate(&M.iova, rstart(2), 8, IOVA_PERM_WRITE, iov, 4),
		 1);
	/* Writable region 0 spilling into read-only region 1. */
	CHECK_EQ(iova_translate(&M.iova, rlast(0) - 3, 8, IOVA_PERM_WRITE,
				iov, 4), -EACCES);
	/* The fast path must check permission too. */
	CHECK_EQ(iova_translate(&M.iova, rstart(1) + 64, 8, IOVA_PERM_READ,
				iov, 4), 1);
	CHECK_EQ(iova_translate(&M.iova, rstart(1) + 64, 8, IOVA_PERM_WRITE,
				iov, 4), -EACCES);
	sim_mem_free(&M);
	return 0;
}

TEST(unmapped_and_overflow)
{
	struct iovec iov[4];

	CHECK_EQ(setup(4), 0);
	CHECK_EQ(iova_translate(&M.iova, 0x1000, 8, IOVA_PERM_READ, iov, 4),
		 -EFAULT);
	CHECK_EQ(iova_translate(&M.iova, rstart(0) + M.size, 8, IOVA_PERM_READ,
				iov, 4), -EFAULT);
	/* Running off the end of guest memory. */
	CHECK_EQ(iova_translate(&M.iova, rlast(3) - 3, 8, IOVA_PERM_READ,
				iov, 4), -EFAULT);
	sim_region_set(&M, 2, IOVA_PERM_RW, false);
	CHECK_EQ(iova_translate(&M.iova, rstart(2), 8, IOVA_PERM_READ, iov, 4),
		 -EFAULT);
	CHECK_EQ(iova_translate(&M.iova, rlast(1), 8, IOVA_PERM_READ, iov, 4),
		 -EFAULT);
	/* iova + len wraps. */
	CHECK_EQ(iova_translate(&M.iova, UINT64_MAX - 5, 10, IOVA_PERM_READ,
				iov, 4), -EFAULT);
	CHECK_EQ(iova_translate(&M.iova, rstart(0), UINT64_MAX, IOVA_PERM_READ,
				iov, 4), -EFAULT);
	/* Same through the fast path: hint is region 0 now. */
	CHECK_EQ(iova_translate(&M.iova, rstart(0), 8, IOVA_PERM_READ, iov, 4),
		 1);
	CHECK_EQ(iova_translate(&M.iova, rstart(0) + 8, UINT64_MAX - 2,
				IOVA_PERM_READ, iov, 4), -EFAULT);
	sim_mem_free(&M);
	return 0;
}

/* A source mapping the very top of the IOVA space. */
static uint8_t top_buf[4096];
static int top_releases;

static int top_fetch(struct iova_space *s, uint64_t iova, struct iova_map *m)
{
	(void)s;
	if (iova < UINT64_MAX - 4095)
		return -EFAULT;
	m->start = UINT64_MAX - 4095;
	m->last = UINT64_MAX;
	m->host = top_buf;
	m->perm = IOVA_PERM_RW;
	return 0;
}

/* A broken source: answers with a region that misses the IOVA. */
static int bad_fetch(struct iova_space *s, uint64_t iova, struct iova_map *m)
{
	(void)s;
	m->start = iova + 1;
	m->last = iova + 100;
	m->host = top_buf;
	m->perm = IOVA_PERM_RW;
	return 0;
}

static void top_release(struct iova_space *s, struct iova_map *m)
{
	(void)s;
	(void)m;
	top_releases++;
}

TEST(top_of_space_and_bad_source)
{
	static const struct iova_source_ops top = {
		.fetch = top_fetch, .release = top_release,
	};
	static const struct iova_source_ops bad = {
		.fetch = bad_fetch, .release = top_release,
	};
	struct iova_space s;
	struct iovec iov[2];

	iova_init(&s, &top, NULL);
	CHECK_EQ(iova_translate(&s, UINT64_MAX - 5, 6, IOVA_PERM_READ, iov, 2),
		 1);
	CHECK(iov[0].iov_base == top_buf + 4090);
	CHECK_EQ(iova_translate(&s, UINT64_MAX, 1, IOVA_PERM_READ, iov, 2), 1);
	CHECK_EQ(iova_translate(&s, UINT64_MAX - 5, 7, IOVA_PERM_READ, iov, 2),
		 -EFAULT);
	CHECK_EQ(iova_translate(&s, UINT64_MAX - 4096, 2, IOVA_PERM_READ,
				iov, 2), -EFAULT);
	CHECK(iova_ptr(&s, UINT64_MAX - 15, 16, IOVA_PERM_RW) == top_buf + 4080);
	CHECK(iova_ptr(&s, UINT64_MAX - 15, 17, IOVA_PERM_RW) == NULL);
	top_releases = 0;
	iova_fini(&s);
	CHECK_EQ(top_releases, 1);

	iova_init(&s, &bad, NULL);
	top_releases = 0;
	CHECK_EQ(iova_translate(&s, 0x5000, 8, IOVA_PERM_READ, iov, 2),
		 -EFAULT);
	CHECK_EQ(top_releases, 1);
	CHECK_EQ(s.nr, 0);
	iova_fini(&s);
	return 0;
}

TEST(invalidate_precision)
{
	struct iovec iov[2];
	unsigned int i;

	CHECK_EQ(setup(4), 0);
	for (i = 0; i < 4; i++)
		CHECK_EQ(iova_translate(&M.iova, rstart(i), 1, IOVA_PERM_READ,
					iov, 2), 1);
	CHECK_EQ(M.fetches, 4);

	/* Outside everything: nothing goes. */
	iova_invalidate(&M.iova, 0, rstart(0) - 1);
	iova_invalidate(&M.iova, rlast(3) + 1, UINT64_MAX);
	CHECK_EQ(M.releases, 0);
	CHECK_EQ(M.iova.nr, 4);

	/* Two bytes across the 1|2 boundary: exactly regions 1 and 2. */
	iova_invalidate(&M.iova, rlast(1), rstart(2));
	CHECK_EQ(M.releases, 2);
	CHECK_EQ(M.iova.nr, 2);
	CHECK_EQ(iova_translate(&M.iova, rlast(0), 1, IOVA_PERM_READ, iov, 2),
		 1);
	CHECK_EQ(iova_translate(&M.iova, rstart(3), 1, IOVA_PERM_READ, iov, 2),
		 1);
	CHECK_EQ(M.fetches, 4);
	CHECK_EQ(iova_translate(&M.iova, rstart(1), 1, IOVA_PERM_READ, iov, 2),
		 1);
	CHECK_EQ(M.fetches, 5);

	/* One byte, the first of region 3. */
	iova_invalidate(&M.iova, rstart(3), rstart(3));
	CHECK_EQ(M.releases, 3);
	CHECK_EQ(M.iova.nr, 2);
	iova_reset(&M.iova);
	CHECK_EQ(M.live, 0);
	CHECK_EQ(M.iova.nr, 0);
	sim_mem_free(&M);
	return 0;
}

TEST(stale_hint)
{
	struct iovec iov[2];

	CHECK_EQ(setup(4), 0);
	CHECK_EQ(iova_translate(&M.iova, rstart(0), 8, IOVA_PERM_READ, iov, 2),
		 1);
	/* Unmapping region 0 must defeat the last-hit path. */
	sim_region_set(&M, 0, IOVA_PERM_RW, false);
	CHECK_EQ(iova_translate(&M.iova, rstart(0), 8, IOVA_PERM_READ, iov, 2),
		 -EFAULT);
	sim_region_set(&M, 0, IOVA_PERM_READ, true);
	CHECK_EQ(iova_translate(&M.iova, rstart(0), 8, IOVA_PERM_WRITE, iov, 2),
		 -EACCES);
	sim_mem_free(&M);
	return 0;
}

TEST(eviction_lru)
{
	struct iovec iov[2];
	unsigned int i, f;

	CHECK_EQ(setup(128), 0);
	for (i = 0; i < IOVA_CACHE_MAX; i++)
		CHECK_EQ(iova_translate(&M.iova, rstart(i), 1, IOVA_PERM_READ,
					iov, 2), 1);
	CHECK_EQ(M.iova.nr, IOVA_CACHE_MAX);
	CHECK_EQ(M.releases, 0);
	/* Touch 0 again, then a miss must evict 1, the oldest. */
	CHECK_EQ(iova_translate(&M.iova, rstart(0) + 1, 1, IOVA_PERM_READ,
				iov, 2), 1);
	CHECK_EQ(iova_translate(&M.iova, rstart(64), 1, IOVA_PERM_READ, iov, 2),
		 1);
	CHECK_EQ(M.releases, 1);
	f = M.fetches;
	CHECK_EQ(iova_translate(&M.iova, rstart(0), 1, IOVA_PERM_READ, iov, 2),
		 1);
	CHECK_EQ(M.fetches, f);
	CHECK_EQ(iova_translate(&M.iova, rstart(1), 1, IOVA_PERM_READ, iov, 2),
		 1);
	CHECK_EQ(M.fetches, f + 1);

	/* Walk all 128: the cache stays full and correct. */
	for (i = 0; i < 128; i++) {
		CHECK_EQ(iova_translate(&M.iova, rstart(i) + 5, 3,
					IOVA_PERM_READ, iov, 2), 1);
		CHECK_EQ(sim_dev_iova(&M, iov[0].iov_base), rstart(i) + 5);
	}
	CHECK_EQ(M.iova.nr, IOVA_CACHE_MAX);
	CHECK_EQ(M.live, IOVA_CACHE_MAX);
	for (i = 1; i < M.iova.nr; i++)
		CHECK(M.iova.maps[i - 1]->m.last < M.iova.maps[i]->m.start);
	/* A buffer spanning regions while the cache churns. */
	CHECK_EQ(iova_translate(&M.iova, rlast(10) - 1, 4, IOVA_PERM_READ,
				iov, 2), 2);
	CHECK_EQ(sim_dev_iova(&M, iov[0].iov_base), rlast(10) - 1);
	CHECK_EQ(sim_dev_iova(&M, iov[1].iov_base), rstart(11));
	sim_mem_free(&M);
	CHECK_EQ(M.live, 0);
	return 0;
}

/* A reference keeps a region out of eviction; invalidation revokes it. */
TEST(references)
{
	struct iova_refs a = { 0 }, b = { 0 };
	struct iovec iov[2];
	unsigned int i, f, r;

	CHECK_EQ(setup(128), 0);
	CHECK_EQ(iova_translate_ref(&M.iova, rstart(0) + 64, 128,
				    IOVA_PERM_READ, iov, 2, &a), 1);
	CHECK_EQ(iova_translate_ref(&M.iova, rstart(0) + 512, 16,
				    IOVA_PERM_WRITE, iov, 2, &a), 1);
	/* Two buffers, one region: one reference. */
	CHECK_EQ(a.n, 1);
	CHECK_EQ(M.iova.maps[0]->refs, 1);
	CHECK(iova_refs_ok(&a));

	/* Churn through every region: the referenced one stays. */
	for (i = 1; i < 128; i++)
		CHECK_EQ(iova_translate(&M.iova, rstart(i), 1, IOVA_PERM_READ,
					iov, 2), 1);
	f = M.fetches;
	CHECK_EQ(iova_translate(&M.iova, rstart(0), 1, IOVA_PERM_READ, iov, 2),
		 1);
	CHECK_EQ(M.fetches, f);

	/*
	 * Invalidated while referenced: gone from lookups, revoked (not
	 * released) and the holder is told; released by the last put.
	 */
	r = M.releases;
	CHECK_EQ(iova_translate_ref(&M.iova, rstart(0) + 8, 8, IOVA_PERM_READ,
				    iov, 2, &b), 1);
	*(uint8_t *)sim_host(&M, rstart(0) + 8, 1) = 0x11;
	iova_invalidate(&M.iova, rstart(0), rstart(0));
	CHECK_EQ(M.releases, r);
	CHECK_EQ(M.revokes, 1);
	/* A late write through the revoked pointer reaches nobody. */
	*(uint8_t *)iov[0].iov_base = 0x77;
	CHECK_EQ(*(uint8_t *)sim_host(&M, rstart(0) + 8, 1), 0x11);
	CHECK_EQ(M.iova.nr_dead, 1);
	CHECK(!iova_refs_ok(&a));
	CHECK_EQ(iova_translate(&M.iova, rstart(0), 1, IOVA_PERM_READ, iov, 2),
		 1);
	CHECK_EQ(M.fetches, f + 1);
	iova_refs_put(&M.iova, &a);
	CHECK_EQ(M.releases, r);
	iova_refs_put(&M.iova, &b);
	CHECK_EQ(M.releases, r + 1);
	CHECK_EQ(M.iova.nr_dead, 0);
	/* Putting an empty set is harmless. */
	iova_refs_put(&M.iova, &a);

	/* Reset with a reference held, then put. */
	CHECK_EQ(iova_translate_ref(&M.iova, rstart(5), 16, IOVA_PERM_READ,
				    iov, 2, &a), 1);
	iova_reset(&M.iova);
	CHECK_EQ(M.live, 1);
	iova_refs_fini(&M.iova, &a);
	CHECK_EQ(M.live, 0);
	iova_refs_fini(&M.iova, &b);
	sim_mem_free(&M);
	return 0;
}

/*
 * Many small regions (a driver mapping page by page): referenced ones
 * never go; a full table of them is back-pressure (-EBUSY), not a release;
 * one set holds at most IOVA_REFS_MAX regions.
 */
TEST(references_many_regions)
{
	static struct iova_refs sets[IOVA_LIVE_MAX / 256 + 1];
	struct iovec iov[1];
	unsigned int i, r;

	CHECK_EQ(setup(16), 0);
	M.fetch_pages = 1;
	for (i = 0; i < IOVA_LIVE_MAX; i++)
		CHECK_EQ(iova_translate_ref(&M.iova, SIM_IOVA_BASE + i * SIM_PAGE,
					    8, IOVA_PERM_READ, iov, 1,
					    &sets[i / 256]), 1);
	CHECK_EQ(M.iova.nr, IOVA_LIVE_MAX);
	CHECK_EQ(M.releases, 0);
	r = M.fetches;
	CHECK_EQ(iova_translate_ref(&M.iova, SIM_IOVA_BASE + IOVA_LIVE_MAX *
				    SIM_PAGE, 8, IOVA_PERM_READ, iov, 1,
				    &sets[IOVA_LIVE_MAX / 256]), -EBUSY);
	CHECK_EQ(M.releases, 1);	/* just the one fetched for nothing */
	CHECK_EQ(M.fetches, r + 1);
	/* Every referenced page is still the driver's memory. */
	for (i = 0; i < IOVA_LIVE_MAX; i++) {
		uint8_t *p = sim_host(&M, SIM_IOVA_BASE + i * SIM_PAGE, 1);

		*p = (uint8_t)i;
		CHECK_EQ(iova_translate(&M.iova, SIM_IOVA_BASE + i * SIM_PAGE,
					1, IOVA_PERM_READ, iov, 1), 1);
		CHECK_EQ(*(uint8_t *)iov[0].iov_base, (uint8_t)i);
	}
	/* A completion drops references: room again. */
	iova_refs_put(&M.iova, &sets[0]);
	CHECK_EQ(iova_translate_ref(&M.iova, SIM_IOVA_BASE + IOVA_LIVE_MAX *
				    SIM_PAGE, 8, IOVA_PERM_READ, iov, 1,
				    &sets[IOVA_LIVE_MAX / 256]), 1);
	for (i = 0; i < ARRAY_SIZE(sets); i++)
		iova_refs_fini(&M.iova, &sets[i]);

	/* One set: IOVA_REFS_MAX regions, then -ENOBUFS. */
	for (i = 0; i < IOVA_REFS_MAX; i++)
		CHECK_EQ(iova_translate_ref(&M.iova, SIM_IOVA_BASE + i * SIM_PAGE,
					    8, IOVA_PERM_READ, iov, 1,
					    &sets[0]), 1);
	CHECK_EQ(iova_translate_ref(&M.iova, SIM_IOVA_BASE + i * SIM_PAGE, 8,
				    IOVA_PERM_READ, iov, 1, &sets[0]), -ENOBUFS);
	iova_refs_fini(&M.iova, &sets[0]);
	sim_mem_free(&M);
	CHECK_EQ(M.live, 0);
	return 0;
}

/* The oracle itself: a released view really is gone (the child faults). */
TEST(release_is_for_real)
{
	struct iovec iov[1];
	volatile uint8_t *p;
	int status;
	pid_t pid;

	CHECK_EQ(setup(4), 0);
	CHECK_EQ(iova_translate(&M.iova, rstart(1), 8, IOVA_PERM_RW, iov, 1), 1);
	p = iov[0].iov_base;
	*p = 1;
	iova_invalidate(&M.iova, rstart(1), rstart(1));
	CHECK_EQ(M.releases, 1);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		/* The sanitizers' handler would turn the fault into exit(1). */
		signal(SIGSEGV, SIG_DFL);
		*p = 2;
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	sim_mem_free(&M);
	return 0;
}

int main(void)
{
	RUN(hit_and_miss);
	RUN(span_two_and_three);
	RUN(permissions);
	RUN(unmapped_and_overflow);
	RUN(top_of_space_and_bad_source);
	RUN(invalidate_precision);
	RUN(stale_hint);
	RUN(eviction_lru);
	RUN(references);
	RUN(references_many_regions);
	RUN(release_is_for_real);
	return check_failed != 0;
}
