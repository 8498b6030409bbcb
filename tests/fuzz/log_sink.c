// SPDX-License-Identifier: GPL-2.0
/* The fuzz targets' log and counter sink; see log_sink.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "log_sink.h"
#include "fuzz_input.h"

int log_verbose;

static int log_wanted = -1;

static void sink_vline(const char *dev, const char *fmt, va_list ap)
{
	if (log_wanted < 0)
		log_wanted = getenv("VDFW_FUZZ_LOG") != NULL;
	if (!log_wanted)
		return;
	fprintf(stderr, "vdused: %s%s", dev ? dev : "", dev ? ": " : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_msg(const char *dev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sink_vline(dev, fmt, ap);
	va_end(ap);
}

void log_dbg(const char *dev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sink_vline(dev, fmt, ap);
	va_end(ap);
}

/* The snapshot being taken, if any, and the name being looked for. */
static struct stat_snap *snap;
static const char *wanted;
static unsigned int found;

void __real_stat_line(int fd, const char *name, uint64_t value);
void __wrap_stat_line(int fd, const char *name, uint64_t value);

void __wrap_stat_line(int fd, const char *name, uint64_t value)
{
	if (!snap) {
		__real_stat_line(fd, name, value);
		return;
	}
	/* A model with more counters than room: make the room bigger. */
	must(snap->n < STAT_SNAP_MAX);
	if (wanted && found == UINT32_MAX && !strcmp(name, wanted))
		found = snap->n;
	snap->v[snap->n++] = value;
}

void stat_snap(const struct vdev *d, struct stat_snap *s)
{
	s->n = 0;
	snap = s;
	d->ops->dump_stats(d, -1);
	snap = NULL;
}

unsigned int stat_index(const struct vdev *d, const char *name)
{
	struct stat_snap s;

	wanted = name;
	found = UINT32_MAX;
	stat_snap(d, &s);
	wanted = NULL;
	must(found != UINT32_MAX);
	return found;
}
