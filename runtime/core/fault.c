// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fault.h"

#define FAULT_RING 32

static volatile sig_atomic_t faults;
static unsigned int taken;
static void *volatile addrs[FAULT_RING];
static uintptr_t page_mask;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	void *page = (void *)((uintptr_t)si->si_addr & page_mask);

	(void)uc;
	/* Only a fault on a mapping can be patched; anything else is fatal. */
	if (si->si_code != BUS_ADRERR ||
	    mmap(page, ~page_mask + 1, PROT_READ | PROT_WRITE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	addrs[faults % FAULT_RING] = si->si_addr;
	faults = faults + 1;
}

int fault_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	page_mask = ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
	return sigaction(SIGBUS, &sa, NULL) ? -errno : 0;
}

unsigned int fault_seq(void)
{
	return faults;
}

bool fault_within(unsigned int since, const void *start, unsigned long len)
{
	unsigned int now = faults, i;

	if (now - since > FAULT_RING)
		return true;	/* too many to tell: assume the worst */
	for (i = since; i != now; i++) {
		uintptr_t a = (uintptr_t)addrs[i % FAULT_RING];

		if (a >= (uintptr_t)start && a - (uintptr_t)start < len)
			return true;
	}
	return false;
}

bool fault_take(void **addr)
{
	unsigned int now = faults;

	/* Faults beyond the ring's reach are lost: report the newest ones. */
	if (now - taken > FAULT_RING)
		taken = now - FAULT_RING;
	if (taken == now)
		return false;
	*addr = addrs[taken++ % FAULT_RING];
	return true;
}
