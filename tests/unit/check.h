/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal host unit-test harness.  Each test binary defines tests with
 * TEST(name) and runs them from main() with RUN(name).  Every test prints
 * exactly one line, "PASS <binary>.<test>", "FAIL <binary>.<test>: why"
 * or "SKIP <binary>.<test>: why",
 * which tests/unit/run.sh counts.  A failed CHECK ends the current test.
 */
#ifndef VDFW_TESTS_CHECK_H
#define VDFW_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

extern const char *check_prog;
extern int check_failed;	/* tests failed so far */
extern char check_why[512];

#define TEST(name) static int test_##name(void)

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			snprintf(check_why, sizeof(check_why),              \
				 "%s:%d: CHECK(%s)", __FILE__, __LINE__,    \
				 #cond);                                    \
			return -1;                                          \
		}                                                           \
	} while (0)

#define CHECK_EQ(a, b)                                                      \
	do {                                                                \
		long long _a = (long long)(a), _b = (long long)(b);         \
		if (_a != _b) {                                             \
			snprintf(check_why, sizeof(check_why),              \
				 "%s:%d: %s == %lld, expected %s == %lld",  \
				 __FILE__, __LINE__, #a, _a, #b, _b);       \
			return -1;                                          \
		}                                                           \
	} while (0)

/*
 * The environment cannot run this test (no loop devices, no privilege):
 * reported as SKIP, which counts as neither a pass nor a failure.
 */
#define SKIP(why)                                                           \
	do {                                                                \
		snprintf(check_why, sizeof(check_why), "%s", why);          \
		return 1;                                                   \
	} while (0)

#define RUN(name)                                                           \
	do {                                                                \
		int _r;                                                     \
		check_why[0] = 0;                                           \
		_r = test_##name();                                         \
		if (_r > 0) {                                               \
			printf("SKIP %s.%s: %s\n", check_prog, #name,       \
			       check_why);                                  \
		} else if (_r) {                                            \
			check_failed++;                                     \
			printf("FAIL %s.%s: %s\n", check_prog, #name,       \
			       check_why);                                  \
		} else {                                                    \
			printf("PASS %s.%s\n", check_prog, #name);          \
		}                                                           \
		fflush(stdout);                                             \
	} while (0)

/* Put once in each test binary, before main(). */
#define CHECK_MAIN_DEFS(prog)                                               \
	const char *check_prog = prog;                                      \
	int check_failed;                                                   \
	char check_why[512]

#endif
