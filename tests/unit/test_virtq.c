// SPDX-License-Identifier: GPL-2.0
/* Split virtqueue engine against the simulated driver. */
#include <endian.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "check.h"
#include "core/compiler.h"
#include "simdrv.h"

CHECK_MAIN_DEFS("test_virtq");

#define F_V1 (1ULL << VIRTIO_F_VERSION_1)
#define F_EVT (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_IND (1ULL << VIRTIO_RING_F_INDIRECT_DESC)

/* One test's world: guest memory, driver queue, device queue. */
static struct sim_mem M;
static struct sim_vq Q;
static struct virtq VQ;
static struct iovec IOV[64];
static struct virtq_elem E;

static int setup_at(uint16_t num, uint64_t features, uint16_t idx)
{
	memset(&VQ, 0, sizeof(VQ));
	if (sim_mem_init(&M, 0, 4))
		return -1;
	if (sim_vq_init(&Q, &M, num, features))
		return -1;
	sim_vq_set_idx(&Q, idx);
	return sim_vq_start(&Q, &VQ);
}

static int setup(uint16_t num, uint64_t features)
{
	return setup_at(num, features, 0);
}

static void teardown(void)
{
	virtq_stop(&VQ);
	sim_vq_free(&Q);
	sim_mem_free(&M);
}

static int pop_max(unsigned int max)
{
	E.iov = IOV;
	E.iov_max = max;
	return virtq_pop(&VQ, &E);
}

static int pop(void)
{
	return pop_max(ARRAY_SIZE(IOV));
}

/* A request of one segment, published. */
static int add1(uint32_t len, bool write)
{
	struct sim_seg s = { .len = len, .write = write };
	int head = sim_vq_add_chain(&Q, &s, 1);

	sim_vq_publish(&Q);
	return head;
}

static uint64_t rstart(unsigned int i)
{
	return M.r[i].iova;
}

static uint64_t rlast(unsigned int i)
{
	return M.r[i].iova + M.r[i].len - 1;
}

/*
 * The queue is broken for a reason mentioning @what, and every engine call
 * is now inert: with all of guest memory inaccessible none of them may
 * fault, and none may interrupt.
 */
static int broken_inert(const char *what)
{
	static uint8_t logbuf[4096];
	unsigned int irqs = Q.irqs;

	CHECK(VQ.broken);
	if (!strstr(VQ.err, what)) {
		snprintf(check_why, sizeof(check_why),
			 "err \"%s\" lacks \"%s\"", VQ.err, what);
		return -1;
	}
	CHECK_EQ(sim_mem_protect(&M, PROT_NONE), 0);
	CHECK_EQ(pop(), -EPROTO);
	virtq_push(&VQ, 0, 0);
	virtq_flush(&VQ);
	virtq_disable_kicks(&VQ);
	CHECK(!virtq_enable_kicks(&VQ));
	CHECK_EQ(virtq_map_head(&VQ, 0, &E), -EPROTO);
	CHECK_EQ(virtq_attach_log(&VQ, (struct virtq_log *)logbuf, true, NULL,
				  0), -EPROTO);
	CHECK_EQ(virtq_attach_log(&VQ, (struct virtq_log *)logbuf, false, NULL,
				  0), -EPROTO);
	CHECK_EQ(sim_mem_protect(&M, PROT_READ | PROT_WRITE), 0);
	CHECK_EQ(Q.irqs, irqs);
	return 0;
}

#define CHECK_BROKEN(what)                                                  \
	do {                                                                \
		if (broken_inert(what))                                     \
			return -1;                                          \
	} while (0)

/* ---- data path ---- */

TEST(single)
{
	static const char msg[16] = "hello, device!!";
	struct sim_seg s = { .len = 16, .data = msg };
	uint16_t h;
	uint32_t len;
	int head;

	CHECK_EQ(setup(8, F_V1), 0);
	CHECK_EQ(pop(), 0);
	head = sim_vq_add_chain(&Q, &s, 1);
	CHECK(head >= 0);
	CHECK(sim_vq_publish(&Q));
	CHECK_EQ(pop(), 1);
	CHECK_EQ(E.head, head);
	CHECK_EQ(E.out_num, 1);
	CHECK_EQ(E.in_num, 0);
	CHECK_EQ(E.out_len, 16);
	CHECK_EQ(E.in_len, 0);
	CHECK(E.in_last == NULL);
	CHECK(memcmp(IOV[0].iov_base, msg, 16) == 0);
	CHECK_EQ(pop(), 0);
	CHECK_EQ(VQ.inflight_nr, 1);

	virtq_push(&VQ, head, 0);
	CHECK_EQ(sim_vq_used(&Q, &h, &len), 0);	/* not published yet */
	virtq_flush(&VQ);
	CHECK_EQ(Q.irqs, 1);
	CHECK_EQ(sim_vq_used(&Q, &h, &len), 1);
	CHECK_EQ(h, head);
	CHECK_EQ(len, 0);
	virtq_flush(&VQ);			/* nothing new: no irq */
	CHECK_EQ(Q.irqs, 1);
	CHECK_EQ(VQ.stats.pops, 1);
	CHECK(!VQ.broken);
	teardown();
	return 0;
}

/* hdr + payload readable, data + status writable, in @direct layout. */
static int check_out_in(uint64_t features, unsigned int direct)
{
	uint8_t hdr[16], payload[600], back[512], st;
	struct sim_seg s[4] = {
		{ .len = 16, .data = hdr },
		{ .len = 600, .data = payload },
		{ .len = 512, .write = true },
		{ .len = 1, .write = true },
	};
	uint16_t h;
	uint32_t len;
	int head;

	memset(hdr, 0x11, sizeof(hdr));
	for (unsigned int i = 0; i < sizeof(payload); i++)
		payload[i] = i * 7;
	CHECK_EQ(setup(8, features), 0);
	head = sim_vq_add(&Q, s, 4, direct);
	CHECK(head >= 0);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(E.head, head);
	CHECK_EQ(E.out_num, 2);
	CHECK_EQ(E.in_num, 2);
	CHECK_EQ(E.out_len, 616);
	CHECK_EQ(E.in_len, 513);
	CHECK(memcmp(IOV[0].iov_base, hdr, 16) == 0);
	CHECK_EQ(IOV[1].iov_len, 600);
	CHECK(memcmp(IOV[1].iov_base, payload, 600) == 0);
	CHECK_EQ(IOV[2].iov_len, 512);
	CHECK_EQ(sim_dev_iova(&M, E.in_last), s[3].iova);

	memset(IOV[2].iov_base, 0xab, 512);
	*E.in_last = 0x5a;
	virtq_push(&VQ, head, 513);
	virtq_flush(&VQ);
	CHECK_EQ(sim_vq_used(&Q, &h, &len), 1);
	CHECK_EQ(h, head);
	CHECK_EQ(len, 513);
	CHECK(sim_read(&M, s[2].iova, back, 512));
	CHECK_EQ(back[0], 0xab);
	CHECK_EQ(back[511], 0xab);
	CHECK(sim_read(&M, s[3].iova, &st, 1));
	CHECK_EQ(st, 0x5a);
	CHECK(!VQ.broken);
	teardown();
	return 0;
}

TEST(chain_out_in)
{
	return check_out_in(F_V1, 4);
}

TEST(indirect)
{
	return check_out_in(F_V1 | F_IND, 0);
}

TEST(mixed_direct_then_indirect)
{
	if (check_out_in(F_V1 | F_IND, 1))
		return -1;
	if (check_out_in(F_V1 | F_IND | F_EVT, 2))
		return -1;
	return check_out_in(F_V1 | F_IND, 3);
}

TEST(buffer_spanning_regions)
{
	uint8_t data[100], got[100];
	struct sim_seg s[2] = {
		{ .len = 100, .data = data },
		{ .len = 64, .write = true },
	};
	unsigned int i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = i;
	CHECK_EQ(setup(8, F_V1), 0);
	s[0].iova = sim_alloc_span(&M, 100);
	s[1].iova = sim_alloc_span(&M, 64);
	CHECK(sim_vq_add_chain(&Q, s, 2) >= 0);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(E.out_num, 2);
	CHECK_EQ(E.in_num, 2);
	CHECK_EQ(IOV[0].iov_len + IOV[1].iov_len, 100);
	memcpy(got, IOV[0].iov_base, IOV[0].iov_len);
	memcpy(got + IOV[0].iov_len, IOV[1].iov_base, IOV[1].iov_len);
	CHECK(memcmp(got, data, 100) == 0);
	CHECK_EQ(sim_dev_iova(&M, E.in_last), s[1].iova + 63);
	CHECK_EQ(sim_region_of(&M, s[1].iova + 63),
		 sim_region_of(&M, s[1].iova) + 1);
	teardown();
	return 0;
}

TEST(enospc)
{
	struct sim_seg s[5] = {
		{ .len = 8 }, { .len = 8 }, { .len = 8 }, { .len = 8 },
		{ .len = 1, .write = true },
	};
	struct sim_seg sp[2] = { { .len = 32 }, { .len = 16, .write = true } };
	uint16_t h;
	uint32_t len;
	uint8_t st;
	int head;

	CHECK_EQ(setup(16, F_V1 | F_IND), 0);
	head = sim_vq_add_chain(&Q, s, 5);
	sim_vq_publish(&Q);
	CHECK_EQ(pop_max(3), -ENOSPC);
	CHECK_EQ(E.head, head);
	CHECK_EQ(E.out_num, 0);
	CHECK_EQ(E.in_num, 0);
	CHECK_EQ(E.out_len, 32);
	CHECK_EQ(E.in_len, 1);
	CHECK_EQ(sim_dev_iova(&M, E.in_last), s[4].iova);
	CHECK(!VQ.broken);
	*E.in_last = 0xee;
	virtq_push(&VQ, E.head, 1);
	virtq_flush(&VQ);
	CHECK_EQ(sim_vq_used(&Q, &h, &len), 1);
	CHECK_EQ(h, head);
	CHECK(sim_read(&M, s[4].iova, &st, 1));
	CHECK_EQ(st, 0xee);

	/* Spanning buffers need two iovecs each; the status spans too. */
	sp[0].iova = sim_alloc_span(&M, 32);
	sp[1].iova = sim_alloc_span(&M, 16);
	head = sim_vq_add_indirect(&Q, sp, 2);
	sim_vq_publish(&Q);
	CHECK_EQ(pop_max(1), -ENOSPC);
	CHECK_EQ(E.head, head);
	CHECK_EQ(sim_dev_iova(&M, E.in_last), sp[1].iova + 15);
	virtq_push(&VQ, E.head, 0);

	/* No iovecs at all, and the queue still works afterwards. */
	head = add1(4, true);
	CHECK_EQ(pop_max(0), -ENOSPC);
	CHECK_EQ(sim_dev_iova(&M, E.in_last), Q.desc[head].addr + 3);
	virtq_push(&VQ, E.head, 0);
	add1(4, true);
	CHECK_EQ(pop_max(1), 1);
	virtq_push(&VQ, E.head, 4);
	virtq_flush(&VQ);
	CHECK(!VQ.broken);
	teardown();
	return 0;
}

TEST(zero_length_buffers)
{
	struct sim_seg s[3] = {
		{ .len = 0 }, { .len = 4, .write = true },
		{ .len = 0, .write = true },
	};

	CHECK_EQ(setup(8, F_V1), 0);
	CHECK(sim_vq_add_chain(&Q, s, 3) >= 0);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(E.out_num, 0);
	CHECK_EQ(E.in_num, 1);
	CHECK_EQ(sim_dev_iova(&M, E.in_last), s[1].iova + 3);
	teardown();
	return 0;
}

TEST(batching_one_irq)
{
	uint16_t heads[8], h;
	uint32_t len;
	int i;

	CHECK_EQ(setup(16, F_V1), 0);
	for (i = 0; i < 8; i++) {
		struct sim_seg s = { .len = 4, .write = true };

		CHECK(sim_vq_add_chain(&Q, &s, 1) >= 0);
	}
	sim_vq_publish(&Q);
	for (i = 0; i < 8; i++) {
		CHECK_EQ(pop(), 1);
		heads[i] = E.head;
	}
	CHECK_EQ(pop(), 0);
	for (i = 7; i >= 0; i--)
		virtq_push(&VQ, heads[i], 4);
	CHECK_EQ(le16toh(Q.used->idx), 0);
	CHECK_EQ(Q.irqs, 0);
	virtq_flush(&VQ);
	CHECK_EQ(le16toh(Q.used->idx), 8);
	CHECK_EQ(Q.irqs, 1);
	CHECK_EQ(VQ.stats.notifies, 1);
	for (i = 7; i >= 0; i--) {
		CHECK_EQ(sim_vq_used(&Q, &h, &len), 1);
		CHECK_EQ(h, heads[i]);
		CHECK_EQ(len, 4);
	}
	CHECK_EQ(sim_vq_used(&Q, &h, &len), 0);
	teardown();
	return 0;
}

/* Complete @n single requests at once; returns irqs after the flush. */
static unsigned int complete_batch(unsigned int n)
{
	uint16_t heads[64], h;
	uint32_t len;
	unsigned int i;

	for (i = 0; i < n; i++)
		add1(4, true);
	for (i = 0; i < n; i++) {
		pop();
		heads[i] = E.head;
	}
	for (i = 0; i < n; i++)
		virtq_push(&VQ, heads[i], 4);
	virtq_flush(&VQ);
	while (sim_vq_used(&Q, &h, &len) == 1)
		;
	return Q.irqs;
}

TEST(event_idx_interrupts)
{
	CHECK_EQ(setup(8, F_V1 | F_EVT), 0);
	/* "Interrupt me when used entry 2 is there." */
	sim_vq_set_used_event(&Q, 2);
	CHECK_EQ(complete_batch(1), 0);
	CHECK_EQ(complete_batch(1), 0);
	CHECK_EQ(complete_batch(1), 1);
	CHECK_EQ(complete_batch(1), 1);
	CHECK_EQ(complete_batch(1), 1);
	/* used idx is 5: asking for entry 5 means "the next one". */
	sim_vq_set_used_event(&Q, 5);
	CHECK_EQ(complete_batch(1), 2);
	/* A batch covering the event index: one irq for the batch. */
	sim_vq_set_used_event(&Q, 7);
	CHECK_EQ(complete_batch(3), 3);
	/* Event index ahead of the batch: none. */
	sim_vq_set_used_event(&Q, 20);
	CHECK_EQ(complete_batch(2), 3);
	CHECK_EQ(VQ.stats.notifies, 3);
	CHECK_EQ(VQ.stats.notifies_suppressed, 5);
	/* NO_INTERRUPT is not the mechanism under EVENT_IDX. */
	sim_vq_set_avail_flags(&Q, VRING_AVAIL_F_NO_INTERRUPT);
	sim_vq_set_used_event(&Q, 11);
	CHECK_EQ(complete_batch(1), 4);
	teardown();
	return 0;
}

TEST(event_idx_interrupts_wrap)
{
	CHECK_EQ(setup_at(8, F_V1 | F_EVT, 65530), 0);
	sim_vq_set_used_event(&Q, 65534);
	CHECK_EQ(complete_batch(4), 0);		/* 65530..65533 */
	CHECK_EQ(complete_batch(1), 1);		/* 65534 */
	sim_vq_set_used_event(&Q, 1);
	CHECK_EQ(complete_batch(1), 1);		/* 65535 */
	CHECK_EQ(complete_batch(1), 1);		/* 0 */
	CHECK_EQ(complete_batch(1), 2);		/* 1 */
	CHECK_EQ(le16toh(Q.used->idx), 2);
	teardown();
	return 0;
}

TEST(event_idx_kicks)
{
	CHECK_EQ(setup(8, F_V1 | F_EVT), 0);
	CHECK_EQ(sim_vq_avail_event(&Q), 0);
	add1(4, true);
	CHECK_EQ(Q.kicks, 1);

	/* Processing: the driver's next additions do not kick. */
	virtq_disable_kicks(&VQ);
	CHECK_EQ(pop(), 1);
	add1(4, true);
	CHECK_EQ(Q.kicks, 1);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(pop(), 0);
	CHECK(!virtq_enable_kicks(&VQ));
	CHECK_EQ(sim_vq_avail_event(&Q), 2);
	add1(4, true);
	CHECK_EQ(Q.kicks, 2);

	/* Work races in between the last pop and re-arming. */
	virtq_disable_kicks(&VQ);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(pop(), 0);
	add1(4, true);
	CHECK_EQ(Q.kicks, 2);
	CHECK(virtq_enable_kicks(&VQ));
	CHECK_EQ(pop(), 1);
	CHECK(!virtq_enable_kicks(&VQ));
	CHECK_EQ(sim_vq_avail_event(&Q), 4);
	CHECK_EQ(le16toh(Q.used->flags), 0);
	teardown();
	return 0;
}

TEST(flags_kicks_and_interrupts)
{
	CHECK_EQ(setup(8, F_V1), 0);
	CHECK_EQ(le16toh(Q.used->flags), 0);
	add1(4, true);
	CHECK_EQ(Q.kicks, 1);
	virtq_disable_kicks(&VQ);
	CHECK_EQ(le16toh(Q.used->flags), VRING_USED_F_NO_NOTIFY);
	add1(4, true);
	CHECK_EQ(Q.kicks, 1);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(pop(), 1);
	CHECK(!virtq_enable_kicks(&VQ));
	CHECK_EQ(le16toh(Q.used->flags), 0);
	add1(4, true);
	CHECK_EQ(Q.kicks, 2);

	virtq_disable_kicks(&VQ);
	CHECK_EQ(pop(), 1);
	add1(4, true);
	CHECK(virtq_enable_kicks(&VQ));
	CHECK_EQ(pop(), 1);

	/* Driver polling: no interrupts wanted. */
	virtq_push(&VQ, 0, 4);
	virtq_push(&VQ, 1, 4);
	sim_vq_set_avail_flags(&Q, VRING_AVAIL_F_NO_INTERRUPT);
	virtq_flush(&VQ);
	CHECK_EQ(Q.irqs, 0);
	CHECK_EQ(VQ.stats.notifies_suppressed, 1);
	sim_vq_set_avail_flags(&Q, 0);
	virtq_push(&VQ, 2, 4);
	virtq_push(&VQ, 3, 4);
	virtq_flush(&VQ);
	CHECK_EQ(Q.irqs, 1);
	/* used_event is ignored without EVENT_IDX. */
	sim_vq_set_used_event(&Q, 100);
	CHECK_EQ(complete_batch(1), 2);
	teardown();
	return 0;
}

TEST(index_wraparound)
{
	uint16_t heads[8], h;
	uint32_t len, got;
	unsigned int round, i, k, total = 0;

	CHECK_EQ(setup_at(16, F_V1 | F_EVT | F_IND, 65530), 0);
	for (round = 0; round < 20; round++) {
		k = round % 5 + 1;
		for (i = 0; i < k; i++) {
			uint32_t tag = total + i;
			struct sim_seg s[2] = {
				{ .len = 4, .data = &tag },
				{ .len = 4, .write = true },
			};

			CHECK(sim_vq_add(&Q, s, 2, (round + i) % 3) >= 0);
		}
		sim_vq_publish(&Q);
		for (i = 0; i < k; i++) {
			CHECK_EQ(pop(), 1);
			heads[i] = E.head;
			memcpy(&got, IOV[0].iov_base, 4);
			CHECK_EQ(got, total + i);
			got = ~got;
			memcpy(IOV[1].iov_base, &got, 4);
		}
		CHECK_EQ(pop(), 0);
		/* Complete in a different order each round. */
		for (i = 0; i < k; i++)
			virtq_push(&VQ, heads[(i + round) % k], 4);
		virtq_flush(&VQ);
		for (i = 0; i < k; i++) {
			CHECK_EQ(sim_vq_used(&Q, &h, &len), 1);
			CHECK_EQ(h, heads[(i + round) % k]);
		}
		CHECK_EQ(sim_vq_used(&Q, &h, &len), 0);
		total += k;
	}
	CHECK_EQ(VQ.last_avail, (uint16_t)(65530 + total));
	CHECK_EQ(le16toh(Q.used->idx), (uint16_t)(65530 + total));
	CHECK(VQ.last_avail < 100);
	CHECK(!VQ.broken);
	teardown();
	return 0;
}

/* ---- hostile driver ---- */

TEST(bad_head)
{
	CHECK_EQ(setup(256, F_V1), 0);
	sim_vq_offer(&Q, 300);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("vq0: descriptor 300 >= queue size 256");
	teardown();
	return 0;
}

TEST(bad_next)
{
	struct sim_seg s[2] = { { .len = 8 }, { .len = 8 } };
	int head;

	CHECK_EQ(setup(8, F_V1), 0);
	head = sim_vq_add_chain(&Q, s, 2);
	Q.desc[head].next = htole16(11);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("next 11 >= queue size 8");
	teardown();
	return 0;
}

TEST(descriptor_loops)
{
	struct sim_seg s[2] = { { .len = 8 }, { .len = 8 } };
	uint16_t second;
	int head;

	CHECK_EQ(setup(8, F_V1), 0);
	head = sim_vq_add_chain(&Q, s, 2);
	second = le16toh(Q.desc[head].next);
	Q.desc[second].flags |= htole16(VRING_DESC_F_NEXT);
	Q.desc[second].next = htole16(head);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("longer than the queue size 8");
	teardown();

	/* A descriptor pointing at itself. */
	CHECK_EQ(setup(8, F_V1), 0);
	head = add1(8, false);
	Q.desc[head].flags |= htole16(VRING_DESC_F_NEXT);
	Q.desc[head].next = htole16(head);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("longer than the queue size");
	teardown();
	return 0;
}

TEST(chain_length_counts_indirect)
{
	struct sim_seg s[9];
	struct vring_desc *tab;
	int head;

	memset(s, 0, sizeof(s));
	for (int i = 0; i < 9; i++)
		s[i].len = 8;
	CHECK_EQ(setup(8, F_V1 | F_IND), 0);
	/* 3 direct + 5 indirect = 8 buffers: fine. */
	CHECK(sim_vq_add(&Q, s, 8, 3) >= 0);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(E.out_num, 8);
	memset(s, 0, sizeof(s));
	for (int i = 0; i < 9; i++)
		s[i].len = 8;
	/* 3 direct + 6 indirect = 9 > 8. */
	CHECK(sim_vq_add(&Q, s, 9, 3) >= 0);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("longer than the queue size 8");
	teardown();

	/* A loop inside an indirect table. */
	CHECK_EQ(setup(8, F_V1 | F_IND), 0);
	memset(s, 0, sizeof(s));
	s[0].len = s[1].len = 8;
	head = sim_vq_add_indirect(&Q, s, 2);
	tab = sim_host(&M, le64toh(Q.desc[head].addr), 32);
	tab[1].flags = htole16(VRING_DESC_F_NEXT);
	tab[1].next = 0;
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("longer than the queue size");
	teardown();
	return 0;
}

/* Build an indirect request of two segments and return its table. */
static struct vring_desc *indirect_req(int *head)
{
	struct sim_seg s[2] = { { .len = 8 }, { .len = 8, .write = true } };

	*head = sim_vq_add_indirect(&Q, s, 2);
	return sim_host(&M, le64toh(Q.desc[*head].addr), 32);
}

TEST(indirect_violations)
{
	struct vring_desc *tab;
	int head;

	CHECK_EQ(setup(8, F_V1 | F_IND), 0);
	tab = indirect_req(&head);
	tab[0].flags |= htole16(VRING_DESC_F_INDIRECT);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("indirect descriptor 0 inside an indirect table");
	teardown();

	CHECK_EQ(setup(8, F_V1 | F_IND), 0);
	indirect_req(&head);
	Q.desc[head].flags |= htole16(VRING_DESC_F_NEXT);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("both INDIRECT and NEXT");
	teardown();

	CHECK_EQ(setup(8, F_V1), 0);
	indirect_req(&head);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("INDIRECT_DESC was not negotiated");
	teardown();

	CHECK_EQ(setup(8, F_V1 | F_IND), 0);
	indirect_req(&head);
	Q.desc[head].len = 0;
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("indirect table length 0 is not");
	teardown();

	CHECK_EQ(setup(8, F_V1 | F_IND), 0);
	indirect_req(&head);
	Q.desc[head].len = htole32(17);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("indirect table length 17 is not");
	teardown();

	CHECK_EQ(setup(8, F_V1 | F_IND), 0);
	tab = indirect_req(&head);
	tab[0].next = htole16(5);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("indirect descriptor 0: next 5 >= table size 2");
	teardown();

	CHECK_EQ(setup(8, F_V1 | F_IND), 0);
	indirect_req(&head);
	Q.desc[head].addr = htole64(0x1000);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("indirect table [0x1000, +32) is not mapped");
	teardown();

	/* Table in a write-only region. */
	CHECK_EQ(setup(8, F_V1 | F_IND), 0);
	tab = indirect_req(&head);
	CHECK(sim_write(&M, rstart(2), tab, 32));
	Q.desc[head].addr = htole64(rstart(2));
	sim_region_set(&M, 2, IOVA_PERM_WRITE, true);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("is not device-readable");
	teardown();
	return 0;
}

TEST(indirect_table_split_or_misaligned)
{
	struct vring_desc *tab;
	uint64_t t;
	uint8_t buf[64];
	int head;

	/* A table straddling two regions is legal: read it piecewise. */
	CHECK_EQ(setup(8, F_V1 | F_IND), 0);
	tab = indirect_req(&head);
	memcpy(buf, tab, 32);
	t = sim_alloc_span(&M, 40);		/* 20 bytes each side */
	CHECK(sim_write(&M, t, buf, 32));
	Q.desc[head].addr = htole64(t);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(E.out_num, 1);
	CHECK_EQ(E.in_num, 1);
	virtq_push(&VQ, E.head, 8);

	/* Misaligned in memory: also legal, also the slow path. */
	tab = indirect_req(&head);
	memcpy(buf, tab, 32);
	t = sim_alloc(&M, 64, 16) + 4;
	CHECK(sim_write(&M, t, buf, 32));
	Q.desc[head].addr = htole64(t);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(E.in_len, 8);
	CHECK(!VQ.broken);
	teardown();
	return 0;
}

TEST(buffer_not_mapped)
{
	struct sim_seg s[2] = {
		{ .len = 8 }, { .len = 8, .write = true, .iova = 0x1000 },
	};
	struct sim_seg o = { .len = 100, .iova = UINT64_MAX - 8 };

	CHECK_EQ(setup(8, F_V1), 0);
	CHECK(sim_vq_add_chain(&Q, s, 2) >= 0);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("buffer [0x1000, +8) is not mapped");
	teardown();

	/* iova + len overflows 64 bits. */
	CHECK_EQ(setup(8, F_V1), 0);
	CHECK(sim_vq_add_chain(&Q, &o, 1) >= 0);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("is not mapped");
	teardown();

	/* Unmapped region, and a buffer running into it, in -ENOSPC mode. */
	CHECK_EQ(setup(8, F_V1), 0);
	s[1].iova = rlast(1) - 3;
	sim_region_set(&M, 2, IOVA_PERM_RW, false);
	CHECK(sim_vq_add_chain(&Q, s, 2) >= 0);
	sim_vq_publish(&Q);
	CHECK_EQ(pop_max(1), -EPROTO);
	CHECK_BROKEN("descriptor");
	teardown();
	return 0;
}

TEST(buffer_permissions)
{
	struct sim_seg w = { .len = 8, .write = true };
	struct sim_seg r = { .len = 8 };

	CHECK_EQ(setup(8, F_V1 | F_IND), 0);
	sim_region_set(&M, 2, IOVA_PERM_READ, true);
	w.iova = rstart(2) + 64;
	CHECK(sim_vq_add_chain(&Q, &w, 1) >= 0);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("is not device-writable");
	teardown();

	CHECK_EQ(setup(8, F_V1 | F_IND), 0);
	sim_region_set(&M, 2, IOVA_PERM_WRITE, true);
	r.iova = rstart(2) + 64;
	CHECK(sim_vq_add_indirect(&Q, &r, 1) >= 0);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("indirect descriptor 0: buffer");
	CHECK(strstr(VQ.err, "is not device-readable"));
	teardown();
	return 0;
}

TEST(readable_after_writable)
{
	struct sim_seg s[3] = {
		{ .len = 8 }, { .len = 8, .write = true }, { .len = 8 },
	};

	CHECK_EQ(setup(8, F_V1 | F_IND), 0);
	CHECK(sim_vq_add(&Q, s, 3, 2) >= 0);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("indirect descriptor 0 is device-readable after a "
		     "writable one");
	teardown();
	return 0;
}

TEST(avail_index_jump)
{
	int i;

	CHECK_EQ(setup(8, F_V1), 0);
	/* Exactly a full ring ahead is fine. */
	for (i = 0; i < 8; i++)
		CHECK(add1(8, false) >= 0);
	for (i = 0; i < 8; i++)
		CHECK_EQ(pop(), 1);
	CHECK_EQ(pop(), 0);
	Q.avail->idx = htole16(8 + 9);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("avail idx 17 is 9 ahead of last_avail 8 (queue size 8)");
	teardown();

	/* Going backwards is a huge jump forwards. */
	CHECK_EQ(setup(8, F_V1), 0);
	add1(8, false);
	CHECK_EQ(pop(), 1);
	Q.avail->idx = htole16(0);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("avail idx 0 is 65535 ahead");
	teardown();
	return 0;
}

TEST(head_offered_twice)
{
	int head;

	CHECK_EQ(setup(8, F_V1), 0);
	head = add1(8, false);
	CHECK_EQ(pop(), 1);
	sim_vq_offer(&Q, head);
	sim_vq_publish(&Q);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("offered again while in flight");
	teardown();
	return 0;
}

TEST(push_not_in_flight)
{
	int head;

	CHECK_EQ(setup(8, F_V1), 0);
	virtq_push(&VQ, 3, 0);
	CHECK_BROKEN("completed head 3 which is not in flight");
	teardown();

	CHECK_EQ(setup(8, F_V1), 0);
	head = add1(8, false);
	CHECK_EQ(pop(), 1);
	virtq_push(&VQ, head, 0);
	virtq_push(&VQ, head, 0);
	CHECK_BROKEN("not in flight");
	CHECK_EQ(le16toh(Q.used->idx), 0);	/* never published */
	teardown();

	CHECK_EQ(setup(8, F_V1), 0);
	virtq_push(&VQ, 9, 0);
	CHECK_BROKEN("head 9");
	CHECK_EQ(virtq_map_head(&VQ, 1, &E), -EPROTO);
	teardown();
	return 0;
}

TEST(reoffer_before_publish)
{
	uint16_t h;
	uint32_t len;
	int head, i;

	/*
	 * A driver re-offering a completed head before used->idx says so is
	 * out of spec but harmless; a ring's worth of unpublished entries is
	 * published rather than overwritten.
	 */
	CHECK_EQ(setup(2, F_V1), 0);
	head = add1(8, true);
	for (i = 0; i < 3; i++) {
		if (i) {
			sim_vq_offer(&Q, head);
			sim_vq_publish(&Q);
		}
		CHECK_EQ(pop(), 1);
		CHECK_EQ(E.head, head);
		virtq_push(&VQ, head, i);
	}
	CHECK_EQ(le16toh(Q.used->idx), 2);
	CHECK_EQ(Q.irqs, 1);
	virtq_flush(&VQ);
	CHECK_EQ(le16toh(Q.used->idx), 3);
	/* What the driver finds in slots it never consumed is its problem. */
	CHECK_EQ(sim_vq_used(&Q, &h, &len), 1);
	CHECK_EQ(h, head);
	CHECK(!VQ.broken);
	teardown();
	return 0;
}

TEST(map_head_not_in_flight)
{
	CHECK_EQ(setup(8, F_V1), 0);
	E.iov = IOV;
	E.iov_max = 4;
	CHECK_EQ(virtq_map_head(&VQ, 2, &E), -EINVAL);
	CHECK_EQ(virtq_map_head(&VQ, 200, &E), -EINVAL);
	CHECK(!VQ.broken);
	teardown();
	return 0;
}

/* virtq_start on a queue with the given geometry; returns its result. */
static int try_start(uint16_t num, uint64_t d, uint64_t a, uint64_t u,
		     uint64_t features)
{
	memset(&VQ, 0, sizeof(VQ));
	VQ.iova = &M.iova;
	return virtq_start(&VQ, num, d, a, u, 0, features);
}

#define CHECK_START(expect, what, ...)                                      \
	do {                                                                \
		CHECK_EQ(try_start(__VA_ARGS__), expect);                   \
		CHECK_BROKEN(what);                                         \
		CHECK_EQ(VQ.num, 0);                                        \
	} while (0)

TEST(ring_checks)
{
	uint64_t d, a, u;

	CHECK_EQ(sim_mem_init(&M, 0, 4), 0);
	CHECK_EQ(sim_vq_init(&Q, &M, 8, F_V1), 0);
	d = Q.desc_iova;
	a = Q.avail_iova;
	u = Q.used_iova;
	CHECK_EQ(try_start(8, d, a, u, F_V1), 0);
	virtq_stop(&VQ);

	CHECK_START(-EINVAL, "VERSION_1", 8, d, a, u, 0);
	CHECK_START(-EINVAL, "queue size 0 is not a power of two", 0, d, a, u,
		    F_V1);
	CHECK_START(-EINVAL, "queue size 12 is not", 12, d, a, u, F_V1);
	CHECK_START(-EINVAL, "misaligned", 8, d + 8, a, u, F_V1);
	CHECK_START(-EINVAL, "misaligned", 8, d, a + 1, u, F_V1);
	CHECK_START(-EINVAL, "misaligned", 8, d, a, u + 2, F_V1);
	CHECK_START(-EFAULT, "descriptor table [0x1000, +128) is not mapped",
		    8, 0x1000, a, u, F_V1);
	CHECK_START(-EFAULT, "used ring", 8, d, a, rlast(3) - 3, F_V1);
	CHECK_START(-EFAULT, "avail ring", 8, d, rlast(0) - 7, u, F_V1);
	CHECK(strstr(VQ.err, "spans 2 mappings"));
	sim_region_set(&M, 2, IOVA_PERM_READ, true);
	CHECK_START(-EACCES, "used ring", 8, d, a, rstart(2), F_V1);
	CHECK(strstr(VQ.err, "is not device-writable"));
	sim_region_set(&M, 2, IOVA_PERM_WRITE, true);
	CHECK_START(-EACCES, "descriptor table", 8, rstart(2), a, u, F_V1);
	CHECK(strstr(VQ.err, "is not device-readable"));
	/* Larger than the mapping around it. */
	CHECK_START(-EFAULT, "descriptor table", 32768, rlast(3) - 4095, a, u,
		    F_V1);

	/* Failed starts leave no references behind. */
	iova_reset(&M.iova);
	CHECK_EQ(M.live, 0);
	CHECK_EQ(M.iova.nr_dead, 0);
	sim_vq_free(&Q);
	sim_mem_free(&M);
	return 0;
}

TEST(restart_and_stop)
{
	CHECK_EQ(setup(8, F_V1), 0);
	add1(8, false);
	CHECK_EQ(pop(), 1);
	/* Starting again (reset + re-enable) forgets in-flight state. */
	CHECK_EQ(sim_vq_start(&Q, &VQ), 0);
	CHECK_EQ(VQ.inflight_nr, 0);
	CHECK_EQ(VQ.last_avail, 1);
	virtq_stop(&VQ);
	CHECK_EQ(pop(), 0);
	virtq_push(&VQ, 0, 0);
	virtq_flush(&VQ);
	CHECK(!virtq_enable_kicks(&VQ));
	CHECK(!VQ.broken);
	iova_reset(&M.iova);
	CHECK_EQ(M.live, 0);
	sim_vq_free(&Q);
	sim_mem_free(&M);
	return 0;
}

/* ---- persistent log ---- */

static struct virtq_log *log_new(uint16_t num)
{
	return calloc(1, virtq_log_size(num));
}

/*
 * The process died: a new one starts the queue from scratch (fresh IOVA
 * cache, avail index 0 as a stale kernel would report) and, in restart(),
 * recovers from the log.
 */
static int restart_unlogged(void)
{
	virtq_stop(&VQ);
	iova_reset(&M.iova);
	memset(&VQ, 0, sizeof(VQ));
	VQ.iova = &M.iova;
	VQ.notify = sim_vq_notify;
	VQ.priv = &Q;
	return virtq_start(&VQ, Q.num, Q.desc_iova, Q.avail_iova, Q.used_iova,
			   0, Q.features);
}

static int restart(struct virtq_log *log, uint16_t *heads, unsigned int max)
{
	if (restart_unlogged())
		return -1000;
	return virtq_attach_log(&VQ, log, true, heads, max);
}

/* Tagged request: 8 readable bytes holding @tag, 8 writable. */
static int add_tagged(uint64_t tag)
{
	struct sim_seg s[2] = {
		{ .len = 8, .data = &tag }, { .len = 8, .write = true },
	};
	int head = sim_vq_add_chain(&Q, s, 2);

	sim_vq_publish(&Q);
	return head;
}

static uint64_t elem_tag(void)
{
	uint64_t t;

	memcpy(&t, IOV[0].iov_base, 8);
	return t;
}

/* Driver side: collect all used entries, each head at most once. */
static int drain(uint16_t *heads, unsigned int max)
{
	unsigned int n = 0;
	uint16_t h;
	uint32_t len;
	int r;

	while ((r = sim_vq_used(&Q, &h, &len)) == 1) {
		if (n < max)
			heads[n] = h;
		n++;
	}
	return r < 0 ? -1 : (int)n;
}

static bool log_clean(const struct virtq_log *log)
{
	for (unsigned int h = 0; h < log->num; h++)
		if (log->inflight[h])
			return false;
	return true;
}

TEST(log_recover_popped)
{
	struct virtq_log *log;
	uint16_t h[4], rec[16], used[8];
	int i, n;

	CHECK_EQ(setup(16, F_V1 | F_EVT), 0);
	log = log_new(16);
	CHECK_EQ(virtq_attach_log(&VQ, log, false, NULL, 0), 0);
	CHECK_EQ(log->version, VIRTQ_LOG_VERSION);
	for (i = 0; i < 4; i++)
		add_tagged(100 + i);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(pop(), 1);
		h[i] = E.head;
	}
	virtq_push(&VQ, h[1], 8);
	virtq_flush(&VQ);
	CHECK_EQ(Q.irqs, 1);

	n = restart(log, rec, 16);
	CHECK_EQ(n, 2);
	CHECK((rec[0] == h[0] && rec[1] == h[2]) ||
	      (rec[0] == h[2] && rec[1] == h[0]));
	CHECK_EQ(VQ.last_avail, 3);
	CHECK_EQ(VQ.used_idx, 1);
	CHECK_EQ(VQ.inflight_nr, 2);
	CHECK_EQ(Q.irqs, 2);			/* recovery interrupts once */
	E.iov = IOV;
	E.iov_max = 4;
	CHECK_EQ(virtq_map_head(&VQ, h[0], &E), 1);
	CHECK_EQ(elem_tag(), 100);
	CHECK_EQ(virtq_map_head(&VQ, h[2], &E), 1);
	CHECK_EQ(elem_tag(), 102);
	virtq_push(&VQ, h[2], 8);
	virtq_push(&VQ, h[0], 8);
	virtq_flush(&VQ);

	/* The fourth request was never consumed: it comes next. */
	CHECK_EQ(pop(), 1);
	CHECK_EQ(elem_tag(), 103);
	h[3] = E.head;
	virtq_push(&VQ, h[3], 8);
	virtq_flush(&VQ);
	CHECK_EQ(drain(used, 8), 4);
	CHECK_EQ(used[0], h[1]);
	CHECK_EQ(used[1], h[2]);
	CHECK_EQ(used[2], h[0]);
	CHECK_EQ(used[3], h[3]);
	CHECK_EQ(le16toh(Q.used->idx), 4);
	CHECK_EQ(log->used_idx, 4);
	CHECK_EQ(log->last_avail, 4);
	CHECK(log_clean(log));
	CHECK(!VQ.broken);
	free(log);
	teardown();
	return 0;
}

TEST(log_crash_in_flush)
{
	struct virtq_log *log, *snap;
	uint16_t rec[8], used[8], heads[3];
	size_t sz = virtq_log_size(8);
	unsigned int cleared, i;

	CHECK_EQ(setup(8, F_V1), 0);
	log = log_new(8);
	snap = log_new(8);
	CHECK_EQ(virtq_attach_log(&VQ, log, false, NULL, 0), 0);
	/*
	 * Killed after the used->idx store and after @cleared of the three
	 * inflight[] clears, before log->used_idx.
	 */
	for (cleared = 0; cleared <= 3; cleared++) {
		for (i = 0; i < 3; i++)
			CHECK(add_tagged(cleared * 10 + i) >= 0);
		for (i = 0; i < 3; i++) {
			CHECK_EQ(pop(), 1);
			heads[i] = E.head;
			virtq_push(&VQ, E.head, 8);
		}
		memcpy(snap, log, sz);
		virtq_flush(&VQ);
		memcpy(log, snap, sz);
		for (i = 0; i < cleared; i++)
			log->inflight[heads[i]] = 0;
		CHECK_EQ(restart(log, rec, 8), 0);
		CHECK_EQ(VQ.used_idx, 3 * (cleared + 1));
		CHECK_EQ(VQ.last_avail, 3 * (cleared + 1));
		CHECK_EQ(log->used_idx, 3 * (cleared + 1));
		CHECK(log_clean(log));
		CHECK_EQ(drain(used, 8), 3);
	}

	/* Heads given back are offered again without tripping anything. */
	for (i = 0; i < 4; i++)
		CHECK(add_tagged(20 + i) >= 0);
	for (i = 0; i < 4; i++) {
		CHECK_EQ(pop(), 1);
		CHECK_EQ(elem_tag(), 20 + i);
		virtq_push(&VQ, E.head, 8);
	}
	virtq_flush(&VQ);
	CHECK_EQ(drain(used, 8), 4);
	CHECK(!VQ.broken);
	free(log);
	free(snap);
	teardown();
	return 0;
}

TEST(log_torn_pop)
{
	struct virtq_log *log, *snap;
	size_t sz = virtq_log_size(8);
	uint16_t rec[8], used[8], h0, h1;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		CHECK_EQ(setup(8, F_V1), 0);
		log = log_new(8);
		snap = log_new(8);
		CHECK_EQ(virtq_attach_log(&VQ, log, false, NULL, 0), 0);
		add_tagged(1);
		add_tagged(2);
		CHECK_EQ(pop(), 1);
		h0 = E.head;
		memcpy(snap, log, sz);
		CHECK_EQ(pop(), 1);
		h1 = E.head;
		memcpy(log, snap, sz);
		if (pass == 0) {
			/* Killed between marking h1 and advancing. */
			log->inflight[h1] = 1;
			CHECK_EQ(restart(log, rec, 8), 2);
			CHECK_EQ(VQ.last_avail, 2);
			CHECK_EQ(log->last_avail, 2);
		} else {
			/* Killed before marking: h1 is consumed again. */
			CHECK_EQ(restart(log, rec, 8), 1);
			CHECK_EQ(rec[0], h0);
			CHECK_EQ(VQ.last_avail, 1);
			CHECK_EQ(pop(), 1);
			CHECK_EQ(E.head, h1);
			CHECK_EQ(elem_tag(), 2);
		}
		virtq_push(&VQ, h1, 8);
		virtq_push(&VQ, h0, 8);
		virtq_flush(&VQ);
		CHECK_EQ(drain(used, 8), 2);
		CHECK_EQ(pop(), 0);
		CHECK(log_clean(log));
		CHECK(!VQ.broken);
		free(log);
		free(snap);
		teardown();
	}
	return 0;
}

TEST(log_pushed_not_flushed)
{
	struct virtq_log *log;
	uint16_t rec[8], used[8], h0, h1;

	CHECK_EQ(setup(8, F_V1 | F_IND), 0);
	log = log_new(8);
	CHECK_EQ(virtq_attach_log(&VQ, log, false, NULL, 0), 0);
	add_tagged(1);
	add_tagged(2);
	CHECK_EQ(pop(), 1);
	h0 = E.head;
	CHECK_EQ(pop(), 1);
	h1 = E.head;
	virtq_push(&VQ, h0, 8);
	CHECK_EQ(restart(log, rec, 8), 2);
	CHECK_EQ(le16toh(Q.used->idx), 0);
	CHECK_EQ(VQ.used_idx, 0);
	virtq_push(&VQ, h1, 8);
	virtq_push(&VQ, h0, 8);
	virtq_flush(&VQ);
	CHECK_EQ(drain(used, 8), 2);
	CHECK_EQ(used[0], h1);
	free(log);
	teardown();
	return 0;
}

TEST(log_wraparound)
{
	struct virtq_log *log;
	uint16_t rec[8], used[8], h[3];
	int i;

	CHECK_EQ(setup_at(8, F_V1 | F_EVT, 65534), 0);
	log = log_new(8);
	CHECK_EQ(virtq_attach_log(&VQ, log, false, NULL, 0), 0);
	for (i = 0; i < 4; i++)
		add_tagged(i);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(pop(), 1);
		h[i] = E.head;
	}
	virtq_push(&VQ, h[0], 8);
	virtq_push(&VQ, h[1], 8);
	virtq_flush(&VQ);
	CHECK_EQ(le16toh(Q.used->idx), 0);
	CHECK_EQ(restart(log, rec, 8), 1);
	CHECK_EQ(rec[0], h[2]);
	CHECK_EQ(VQ.last_avail, 1);
	CHECK_EQ(VQ.used_idx, 0);
	virtq_push(&VQ, h[2], 8);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(elem_tag(), 3);
	virtq_push(&VQ, E.head, 8);
	virtq_flush(&VQ);
	CHECK_EQ(le16toh(Q.used->idx), 2);
	CHECK_EQ(drain(used, 8), 4);
	CHECK(log_clean(log));
	free(log);
	teardown();
	return 0;
}

TEST(log_attach_late)
{
	struct virtq_log *log;
	uint16_t h0, h1, rec[8];

	CHECK_EQ(setup(8, F_V1), 0);
	log = log_new(8);
	add_tagged(1);
	add_tagged(2);
	CHECK_EQ(pop(), 1);
	h0 = E.head;
	CHECK_EQ(pop(), 1);
	h1 = E.head;
	virtq_push(&VQ, h0, 8);
	CHECK_EQ(virtq_attach_log(&VQ, log, false, NULL, 0), 0);
	CHECK_EQ(le16toh(Q.used->idx), 1);	/* flushed first */
	CHECK_EQ(Q.irqs, 1);
	CHECK_EQ(log->last_avail, 2);
	CHECK_EQ(log->used_idx, 1);
	CHECK_EQ(log->inflight[h0], 0);
	CHECK_EQ(log->inflight[h1], 1);
	CHECK_EQ(restart(log, rec, 8), 1);
	CHECK_EQ(rec[0], h1);
	free(log);
	teardown();
	return 0;
}

TEST(log_rejected)
{
	struct virtq_log *log = log_new(16);
	uint16_t rec[16];

	CHECK_EQ(setup(8, F_V1), 0);
	/* Empty file: not a log.  The queue is fine. */
	CHECK_EQ(virtq_attach_log(&VQ, log, true, rec, 8), -EINVAL);
	CHECK(!VQ.broken);
	/* Log of another queue size. */
	log->version = VIRTQ_LOG_VERSION;
	log->num = 16;
	CHECK_EQ(virtq_attach_log(&VQ, log, true, rec, 8), -EINVAL);
	log->num = 8;
	log->inflight[3] = 7;
	CHECK_EQ(virtq_attach_log(&VQ, log, true, rec, 8), -EINVAL);
	log->inflight[3] = 0;
	log->last_avail = 20;
	CHECK_EQ(virtq_attach_log(&VQ, log, true, rec, 8), -EINVAL);
	CHECK(!VQ.broken);
	CHECK(VQ.log == NULL);

	/* used->idx beyond anything the log consumed. */
	CHECK_EQ(virtq_attach_log(&VQ, log, false, NULL, 0), 0);
	add_tagged(1);
	CHECK_EQ(pop(), 1);
	Q.used->idx = htole16(5);
	CHECK_EQ(restart(log, rec, 8), -EPROTO);
	CHECK_BROKEN("used idx 5 is outside the logged range [0, 1]");
	teardown();

	/* More heads marked than were consumed. */
	CHECK_EQ(setup(8, F_V1), 0);
	CHECK_EQ(virtq_attach_log(&VQ, log, false, NULL, 0), 0);
	add_tagged(1);
	CHECK_EQ(pop(), 1);
	log->inflight[(E.head + 1) % 8] = 1;
	CHECK_EQ(restart(log, rec, 8), -EPROTO);
	CHECK_BROKEN("log has 2 heads in flight but only 1");
	teardown();

	/* The avail index moved too far while the device was down. */
	CHECK_EQ(setup(8, F_V1), 0);
	CHECK_EQ(virtq_attach_log(&VQ, log, false, NULL, 0), 0);
	add_tagged(1);
	CHECK_EQ(pop(), 1);
	Q.avail->idx = htole16(1 + 9);
	CHECK_EQ(restart(log, rec, 8), -EPROTO);
	CHECK_BROKEN("avail idx 10 is 9 ahead of last_avail 1");
	free(log);
	teardown();
	return 0;
}

/*
 * kill -9 at arbitrary instructions: a child process is the device, the
 * parent the driver, guest memory and the log are shared.  The parent
 * kills the child at random moments and starts a new one that recovers
 * from the log; at the end every request must have completed exactly once
 * with the right data.
 */
#define K9_NUM 32
#define K9_REQS 100000
#define K9_ROUNDS 200

static void k9_process(const struct virtq_elem *e)
{
	uint64_t tag;

	if (e->out_num != 1 || e->in_num != 1 || e->iov[0].iov_len != 8 ||
	    e->iov[1].iov_len != 8)
		_exit(30);
	memcpy(&tag, e->iov[0].iov_base, 8);
	tag = ~tag;
	memcpy(e->iov[1].iov_base, &tag, 8);
}


/*
 * A full ring in flight and the driver offers one of them again: that is
 * no torn pop (no head was free to pop), so recovery must not count the
 * slot as consumed, and the log stays one virtq_log_check() accepts.
 */
TEST(log_full_ring_reoffer_is_no_torn_pop)
{
	struct virtq_log *log = log_new(8);
	uint16_t first = 0, rec[8];
	char why[128];
	int i;

	CHECK_EQ(setup(8, F_V1), 0);
	CHECK_EQ(virtq_attach_log(&VQ, log, false, NULL, 0), 0);
	for (i = 0; i < 8; i++) {
		CHECK(add1(8, true) >= 0);
		CHECK_EQ(pop(), 1);
		if (!i)
			first = E.head;
	}
	sim_vq_offer(&Q, first);
	sim_vq_publish(&Q);
	CHECK_EQ(restart(log, rec, 8), 8);
	CHECK_EQ(log->last_avail, 8);
	CHECK_EQ(virtq_log_check(log, 8, why, sizeof(why)), 0);
	CHECK_EQ(pop(), -EPROTO);
	CHECK_BROKEN("offered again while in flight");
	free(log);
	teardown();
	return 0;
}

/*
 * Takeover without a log: only a ring with nothing outstanding is taken,
 * consumption goes on at its index (avail_event too) after one interrupt.
 */
TEST(adopt_idle_only)
{
	uint16_t h[4];
	unsigned int irqs;

	CHECK_EQ(setup(8, F_V1 | F_EVT), 0);
	add_tagged(1);
	add_tagged(2);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(pop(), 1);
	virtq_push(&VQ, E.head, 0);
	virtq_flush(&VQ);
	/* One of two still out: refused, whatever the kernel's index says. */
	CHECK_EQ(restart_unlogged(), 0);
	CHECK_EQ(virtq_adopt(&VQ), -EBUSY);
	CHECK_BROKEN("avail idx 2 != used idx 1: requests may be in flight");
	teardown();

	CHECK_EQ(setup(8, F_V1 | F_EVT), 0);
	add_tagged(1);
	CHECK_EQ(pop(), 1);
	virtq_push(&VQ, E.head, 0);
	virtq_flush(&VQ);
	CHECK_EQ(drain(h, 4), 1);
	CHECK_EQ(restart_unlogged(), 0);
	irqs = Q.irqs;
	CHECK_EQ(virtq_adopt(&VQ), 0);
	CHECK_EQ(Q.irqs, irqs + 1);
	CHECK_EQ(VQ.last_avail, 1);
	CHECK_EQ(sim_vq_avail_event(&Q), 1);
	CHECK_EQ(pop(), 0);
	add_tagged(3);
	CHECK_EQ(pop(), 1);
	CHECK_EQ(elem_tag(), 3);
	teardown();
	return 0;
}
/* Shared with the device children. */
struct k9_stats {
	unsigned int recovered;		/* in-flight heads taken over */
	unsigned int alive;		/* set by each child as it starts */
	unsigned int work;		/* this child's pops and pushes */
};

static struct k9_stats *k9_stats;

static void __attribute__((noreturn))
k9_device(struct virtq_log *log, unsigned int seed)
{
	static struct virtq vq;
	struct virtq_elem e = { 0 };
	struct iovec iov[4];
	uint16_t heads[K9_NUM], pend[K9_NUM];
	unsigned int npend = 0;
	int n, i;
	long r;

	k9_stats->work = 0;
	WRITE_ONCE(k9_stats->alive, seed + 1);
	memset(&vq, 0, sizeof(vq));
	vq.iova = &M.iova;
	if (virtq_start(&vq, K9_NUM, Q.desc_iova, Q.avail_iova, Q.used_iova, 0,
			Q.features))
		_exit(20);
	n = virtq_attach_log(&vq, log, true, heads, K9_NUM);
	k9_stats->recovered += n > 0 ? n : 0;
	if (n < 0) {
		fprintf(stderr, "k9: recovery: %d %s\n", n, vq.err);
		_exit(21);
	}
	e.iov = iov;
	e.iov_max = ARRAY_SIZE(iov);
	for (i = 0; i < n; i++) {
		if (virtq_map_head(&vq, heads[i], &e) != 1)
			_exit(22);
		k9_process(&e);
		pend[npend++] = heads[i];
	}
	srand(seed);
	for (;;) {
		int ret = npend < K9_NUM ? virtq_pop(&vq, &e) : 0;

		if (ret < 0) {
			fprintf(stderr, "k9: pop %d %s\n", ret, vq.err);
			_exit(23);
		}
		if (ret) {
			k9_process(&e);
			pend[npend++] = e.head;
			k9_stats->work++;
		}
		/*
		 * Complete at random, but while idle only rarely: requests
		 * stay in flight for a while, so kills find some.
		 */
		r = rand();
		if (!ret && r % 1024)
			continue;
		if (npend && (r & 0x30000) == 0x30000) {
			unsigned int k = rand() % npend + 1;

			while (k--) {
				unsigned int j = rand() % npend;

				virtq_push(&vq, pend[j], 8);
				pend[j] = pend[--npend];
				k9_stats->work++;
			}
		}
		if (r & 0x40000)
			virtq_flush(&vq);
		if (vq.broken) {
			fprintf(stderr, "k9: %s\n", vq.err);
			_exit(24);
		}
	}
}

struct k9_driver {
	uint64_t tag_of[K9_NUM];
	uint64_t in_of[K9_NUM];
	uint8_t done[K9_REQS];
	unsigned int submitted, completed;
};

/* One driver step: submit some, reap all.  -1 on a bad completion. */
static int k9_drive(struct k9_driver *d, bool submit)
{
	uint16_t h;
	uint32_t len;
	uint64_t v;
	int r;

	while (submit && d->submitted < K9_REQS && Q.nr_free >= 2 &&
	       rand() % 8) {
		uint64_t tag = d->submitted;
		struct sim_seg s[2] = {
			{ .len = 8, .data = &tag }, { .len = 8, .write = true },
		};
		int head = sim_vq_add(&Q, s, 2, rand() % 3);

		d->tag_of[head] = tag;
		d->in_of[head] = s[1].iova;
		d->submitted++;
	}
	sim_vq_publish(&Q);
	while ((r = sim_vq_used(&Q, &h, &len)) == 1) {
		sim_read(&M, d->in_of[h], &v, 8);
		if (len != 8 || v != ~d->tag_of[h] || d->done[d->tag_of[h]]++)
			return -1;
		d->completed++;
	}
	return r;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Run the device in a child until it did @work steps, then kill it; with
 * @work 0, until every request completed.  Progress is counted by the
 * child rather than by time because the two processes may share a CPU.
 */
static int k9_round(struct k9_driver *d, struct virtq_log *log,
		    unsigned int seed, unsigned int work)
{
	double end = now_ms() + 20000;
	int st, bad = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		k9_device(log, seed);
	while (READ_ONCE(k9_stats->alive) != seed + 1 && now_ms() < end)
		sched_yield();
	while (now_ms() < end && !bad) {
		bad = k9_drive(d, work != 0) < 0;
		if (work && READ_ONCE(k9_stats->work) >= work)
			break;
		if (!work && d->completed == d->submitted)
			break;
		sched_yield();
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	if (!WIFSIGNALED(st)) {
		snprintf(check_why, sizeof(check_why),
			 "device child exited with %d", WEXITSTATUS(st));
		return -1;
	}
	if (bad)
		snprintf(check_why, sizeof(check_why), "bad completion");
	return bad ? -1 : 0;
}

TEST(log_kill9)
{
	static struct k9_driver d;
	struct virtq_log *log;
	unsigned int round, t;

	memset(&d, 0, sizeof(d));
	log = mmap(NULL, virtq_log_size(K9_NUM), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(log != MAP_FAILED);
	k9_stats = mmap(NULL, sizeof(*k9_stats), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(k9_stats != MAP_FAILED);
	memset(k9_stats, 0, sizeof(*k9_stats));
	CHECK_EQ(setup(K9_NUM, F_V1 | F_IND), 0);
	CHECK_EQ(virtq_attach_log(&VQ, log, false, NULL, 0), 0);
	virtq_stop(&VQ);
	iova_reset(&M.iova);
	srand(1);

	for (round = 0; round < K9_ROUNDS; round++)
		if (k9_round(&d, log, round, 1 + rand() % 400))
			return -1;
	if (k9_round(&d, log, round, 0))
		return -1;
	/* The kills must have hit work in progress (about 5 heads a round). */
	CHECK(k9_stats->recovered > K9_ROUNDS / 4);
	CHECK(d.submitted > 1000);
	CHECK_EQ(d.completed, d.submitted);
	for (t = 0; t < d.submitted; t++)
		CHECK_EQ(d.done[t], 1);
	munmap(log, virtq_log_size(K9_NUM));
	sim_vq_free(&Q);
	sim_mem_free(&M);
	return 0;
}

int main(void)
{
	RUN(single);
	RUN(chain_out_in);
	RUN(indirect);
	RUN(mixed_direct_then_indirect);
	RUN(buffer_spanning_regions);
	RUN(enospc);
	RUN(zero_length_buffers);
	RUN(batching_one_irq);
	RUN(event_idx_interrupts);
	RUN(event_idx_interrupts_wrap);
	RUN(event_idx_kicks);
	RUN(flags_kicks_and_interrupts);
	RUN(index_wraparound);
	RUN(bad_head);
	RUN(bad_next);
	RUN(descriptor_loops);
	RUN(chain_length_counts_indirect);
	RUN(indirect_violations);
	RUN(indirect_table_split_or_misaligned);
	RUN(buffer_not_mapped);
	RUN(buffer_permissions);
	RUN(readable_after_writable);
	RUN(avail_index_jump);
	RUN(head_offered_twice);
	RUN(push_not_in_flight);
	RUN(reoffer_before_publish);
	RUN(map_head_not_in_flight);
	RUN(ring_checks);
	RUN(restart_and_stop);
	RUN(log_recover_popped);
	RUN(log_crash_in_flush);
	RUN(log_torn_pop);
	RUN(log_pushed_not_flushed);
	RUN(log_wraparound);
	RUN(log_attach_late);
	RUN(log_rejected);
	RUN(log_full_ring_reoffer_is_no_torn_pop);
	RUN(adopt_idle_only);
	RUN(log_kill9);
	return check_failed != 0;
}
