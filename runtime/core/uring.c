// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compiler.h"
#include "uring.h"

static int sys_io_uring_setup(unsigned int entries, struct io_uring_params *p)
{
	return syscall(__NR_io_uring_setup, entries, p);
}

static int sys_io_uring_enter(int fd, unsigned int to_submit,
			      unsigned int min_complete, unsigned int flags)
{
	return syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags,
		       NULL, 0);
}

static int uring_map(struct uring *u, const struct io_uring_params *p)
{
	u->sq_ring_len = p->sq_off.array + p->sq_entries * sizeof(uint32_t);
	u->cq_ring_len = p->cq_off.cqes +
			 p->cq_entries * sizeof(struct io_uring_cqe);
	if (p->features & IORING_FEAT_SINGLE_MMAP)
		u->sq_ring_len = u->cq_ring_len = MAX(u->sq_ring_len,
						      u->cq_ring_len);

	u->sq_ring = mmap(NULL, u->sq_ring_len, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQ_RING);
	if (u->sq_ring == MAP_FAILED)
		return -errno;
	u->cq_ring = u->sq_ring;
	if (!(p->features & IORING_FEAT_SINGLE_MMAP)) {
		u->cq_ring = mmap(NULL, u->cq_ring_len, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_POPULATE, u->fd,
				  IORING_OFF_CQ_RING);
		if (u->cq_ring == MAP_FAILED)
			goto err_unmap_sq;
	}
	u->sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
	u->sqes = mmap(NULL, u->sqes_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQES);
	if (u->sqes == MAP_FAILED)
		goto err_unmap_cq;
	return 0;

err_unmap_cq:
	if (u->cq_ring != u->sq_ring)
		munmap(u->cq_ring, u->cq_ring_len);
err_unmap_sq:
	munmap(u->sq_ring, u->sq_ring_len);
	return -ENOMEM;
}

int uring_init(struct uring *u, unsigned int sq_entries,
	       unsigned int cq_entries)
{
	/*
	 * SUBMIT_ALL: an SQE the kernel rejects still gets a CQE and does not
	 * hold back the ones behind it, so every submitted op completes
	 * through the CQ and nothing is left half-submitted.
	 */
	struct io_uring_params p = {
		.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL,
		.cq_entries = cq_entries,
	};
	uint8_t *sq, *cq;
	uint32_t *array;
	unsigned int i;
	int ret;

	memset(u, 0, sizeof(*u));
	u->fd = sys_io_uring_setup(sq_entries, &p);
	if (u->fd < 0)
		return -errno;
	ret = uring_map(u, &p);
	if (ret)
		goto err_close;

	sq = u->sq_ring;
	cq = u->cq_ring;
	u->sq_khead = (uint32_t *)(sq + p.sq_off.head);
	u->sq_ktail = (uint32_t *)(sq + p.sq_off.tail);
	u->sq_kflags = (uint32_t *)(sq + p.sq_off.flags);
	u->sq_mask = *(uint32_t *)(sq + p.sq_off.ring_mask);
	u->sq_entries = p.sq_entries;
	u->sq_tail = *u->sq_ktail;
	u->cq_khead = (uint32_t *)(cq + p.cq_off.head);
	u->cq_ktail = (uint32_t *)(cq + p.cq_off.tail);
	u->cq_mask = *(uint32_t *)(cq + p.cq_off.ring_mask);
	u->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);

	/* Slot i always holds SQE i: the indirection is never reordered. */
	array = (uint32_t *)(sq + p.sq_off.array);
	for (i = 0; i < p.sq_entries; i++)
		array[i] = i;
	return 0;

err_close:
	close(u->fd);
	u->fd = -1;
	return ret;
}

void uring_exit(struct uring *u)
{
	if (u->fd < 0)
		return;
	munmap(u->sqes, u->sqes_len);
	if (u->cq_ring != u->sq_ring)
		munmap(u->cq_ring, u->cq_ring_len);
	munmap(u->sq_ring, u->sq_ring_len);
	close(u->fd);
	u->fd = -1;
}

int uring_register_eventfd(struct uring *u, int efd)
{
	if (syscall(__NR_io_uring_register, u->fd, IORING_REGISTER_EVENTFD,
		    &efd, 1) < 0)
		return -errno;
	return 0;
}

struct io_uring_sqe *uring_get_sqe(struct uring *u)
{
	struct io_uring_sqe *sqe;
	uint32_t head = __atomic_load_n(u->sq_khead, __ATOMIC_ACQUIRE);

	if (u->sq_tail - head >= u->sq_entries)
		return NULL;
	sqe = &u->sqes[u->sq_tail & u->sq_mask];
	memset(sqe, 0, sizeof(*sqe));
	u->sq_tail++;
	return sqe;
}

unsigned int uring_queued(const struct uring *u)
{
	return u->sq_tail - __atomic_load_n(u->sq_khead, __ATOMIC_ACQUIRE);
}

int uring_submit(struct uring *u)
{
	unsigned int n = uring_queued(u);
	int ret;

	if (!n)
		return 0;
	/* The SQEs must be visible before the tail that publishes them. */
	__atomic_store_n(u->sq_ktail, u->sq_tail, __ATOMIC_RELEASE);
	do {
		ret = sys_io_uring_enter(u->fd, n, 0, 0);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

bool uring_unqueue(struct uring *u, uint64_t *user_data)
{
	if (!uring_queued(u))
		return false;
	u->sq_tail--;
	*user_data = u->sqes[u->sq_tail & u->sq_mask].user_data;
	__atomic_store_n(u->sq_ktail, u->sq_tail, __ATOMIC_RELEASE);
	return true;
}

struct io_uring_cqe *uring_peek_cqe(struct uring *u)
{
	uint32_t head = *u->cq_khead;

	/* Acquire: read the CQE only after the tail that covers it. */
	if (head == __atomic_load_n(u->cq_ktail, __ATOMIC_ACQUIRE))
		return NULL;
	return &u->cqes[head & u->cq_mask];
}

void uring_cqe_seen(struct uring *u)
{
	/* Release: done reading the CQE before the kernel reuses it. */
	__atomic_store_n(u->cq_khead, *u->cq_khead + 1, __ATOMIC_RELEASE);
}

bool uring_flush_overflow(struct uring *u)
{
	if (!(__atomic_load_n(u->sq_kflags, __ATOMIC_ACQUIRE) &
	      IORING_SQ_CQ_OVERFLOW))
		return false;
	/* GETEVENTS with min_complete 0 flushes the backlog without waiting. */
	return sys_io_uring_enter(u->fd, 0, 0, IORING_ENTER_GETEVENTS) >= 0;
}
