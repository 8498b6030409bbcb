/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every fuzz target shares: the input read as a stream of
 * little-endian numbers (past its end, zeroes, so any input is a complete
 * run), and must(), which traps so libFuzzer keeps the input.
 */
#ifndef VDFW_TESTS_FUZZ_INPUT_H
#define VDFW_TESTS_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

#define must(x) do { if (!(x)) __builtin_trap(); } while (0)

struct input {
	const uint8_t *p;
	size_t left;
};

/* The next @bytes (at most 8) of the input as a little-endian number. */
static inline uint64_t take(struct input *in, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		v |= (uint64_t)(in->left ? *in->p : 0) << (8 * i);
		if (in->left) {
			in->p++;
			in->left--;
		}
	}
	return v;
}

#endif
