/*
 * log.c: the daemon's own diagnostics.
 *
 * One line per event on stderr, prefixed with the sd-daemon level
 * ("<3>"), so that journald keeps the priority when mmlogd runs under
 * systemd.  Never into our own ring, never through syslog(3).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

int mml_log_level = LOG_INFO;

static void
vlog(int prio, const char *fmt, va_list ap, const char *suffix)
{
	char line[1024];
	int n;

	if (prio > mml_log_level)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	/* One write per line, so lines from a crash-looping daemon do not interleave. */
	(void)fprintf(stderr, "<%d>mmlogd: %s%s%s\n", prio, line,
	    suffix ? ": " : "", suffix ? suffix : "");
}

void
mml_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(prio, fmt, ap, NULL);
	va_end(ap);
}

int
mml_log_errno(int err, const char *fmt, ...)
{
	va_list ap;

	if (err < 0)
		err = -err;
	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap, strerror(err));
	va_end(ap);
	return -err;
}

const char *
mml_log_escape(char *out, const void *data, size_t len, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = data;
	char *o = out;
	size_t i;

	*o++ = '"';
	for (i = 0; i < len && i < max; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') {
			*o++ = (char)p[i];
			continue;
		}
		*o++ = '\\';
		*o++ = 'x';
		*o++ = hex[p[i] >> 4];
		*o++ = hex[p[i] & 15];
	}
	*o++ = '"';
	if (len > max) {
		*o++ = '.';
		*o++ = '.';
	}
	*o = '\0';
	return out;
}
