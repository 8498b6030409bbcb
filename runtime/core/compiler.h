/* SPDX-License-Identifier: GPL-2.0 */
/* Small language helpers shared by every part of vdused. */
#ifndef VDFW_CORE_COMPILER_H
#define VDFW_CORE_COMPILER_H

#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define __printf(a, b) __attribute__((format(printf, a, b)))

/*
 * Ring memory is shared with a driver running on another CPU, so every
 * ordering point is spelled out.  x86 only needs compiler barriers for
 * acquire/release, but the full fence matters for EVENT_IDX re-checks.
 */
#define smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#endif
