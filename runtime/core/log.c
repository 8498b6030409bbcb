// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int log_verbose;

static void log_vline(const char *dev, const char *fmt, va_list ap)
{
	char line[512];
	int n;

	/* Build the whole line first: one write() keeps lines from interleaving. */
	n = snprintf(line, sizeof(line), "vdused: %s%s", dev ? dev : "", dev ? ": " : "");
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nowhere left to report a logging failure. */
	}
}

void log_msg(const char *dev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(dev, fmt, ap);
	va_end(ap);
}

void log_dbg(const char *dev, const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vline(dev, fmt, ap);
	va_end(ap);
}
