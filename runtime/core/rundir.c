// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "kconfig.h"
#include "rundir.h"

const char *run_dir(void)
{
	const char *dir = getenv("VDUSED_RUN_DIR");

	return dir && dir[0] ? dir : CONFIG_VDUSED_RUN_DIR;
}

void run_path(char *buf, size_t len, const char *name, const char *suffix)
{
	mkdir(run_dir(), 0755);
	snprintf(buf, len, "%s/%s%s", run_dir(), name, suffix);
}
