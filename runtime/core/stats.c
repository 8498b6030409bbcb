// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

#include "stats.h"

void stat_line(int fd, const char *name, uint64_t value)
{
	dprintf(fd, "%s %llu\n", name, (unsigned long long)value);
}
