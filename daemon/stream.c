/*
 * stream.c: journald's stdout stream protocol as a state machine over
 * the bytes the caller feeds (stream.h, proto/JOURNAL.md).
 *
 * It reads what journald's stdout_stream_scan(), stdout_stream_line()
 * and stdout_stream_log() read (systemd v252,
 * src/journal/journald-stream.c), with one difference: journald picks a
 * scan's line limit once per read, so lines that arrive in the same
 * read as the end of the header are cut at the header's 255 bytes
 * instead of LineMax=.  Here the limit is the state's when each line
 * starts, so the entries never depend on how the bytes were chunked.
 *
 * Nothing here does I/O; the only allocation is the stream itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stream.h"

/* syslog.h's LOG_FACMASK and LOG_PRIMASK, without including it. */
#define FACMASK		0x03f8
#define PRIMASK		0x0007

enum state {
	ST_IDENTIFIER = 0,
	ST_UNIT_ID,
	ST_PRIORITY,
	ST_LEVEL_PREFIX,
	ST_FORWARD_SYSLOG,
	ST_FORWARD_KMSG,
	ST_FORWARD_CONSOLE,
	ST_RUNNING,
	ST_FAILED,
};

struct mml_stream {
	enum state		state;
	enum mml_stream_error	err;
	size_t			line_max;
	int			privileged;
	int			priority;	/* 0-999: facility * 8 + level */
	int			level_prefix;
	unsigned		forward;	/* MML_STREAM_FWD_* */
	size_t			ident_len;
	uint8_t			ident[MML_STREAM_HEADER_LINE_MAX];
	int			has_unit;
	char			unit[MML_STREAM_HEADER_LINE_MAX + 1];
};

static int	header_line(struct mml_stream *, const uint8_t *, size_t);
static int	line_entry(struct mml_stream *, const uint8_t *, size_t,
		    enum mml_line_break, struct mml_ent *);
static int	parse_boolean(const char *);
static int	parse_priority(const char *);
static int	level_prefix(const uint8_t *, size_t, int *);
static int	unit_name_valid(const char *);

static const char *const line_break_name[] = {
	[MML_LINE_BREAK_NEWLINE] = NULL,
	[MML_LINE_BREAK_NUL] = "nul",
	[MML_LINE_BREAK_LINE_MAX] = "line-max",
	[MML_LINE_BREAK_EOF] = "eof",
	[MML_LINE_BREAK_PID_CHANGE] = "pid-change",
};

struct mml_stream *
mml_stream_new(size_t line_max, int privileged)
{
	struct mml_stream *s;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->state = ST_IDENTIFIER;
	s->line_max = line_max < MML_STREAM_LINE_MAX_MIN ?
	    MML_STREAM_LINE_MAX_MIN : line_max;
	s->privileged = privileged != 0;
	s->priority = 6;
	return s;
}

struct mml_stream *
mml_stream_free(struct mml_stream *s)
{
	free(s);
	return NULL;
}

size_t
mml_stream_buf_size(const struct mml_stream *s)
{
	return s->line_max > MML_STREAM_HEADER_LINE_MAX ? s->line_max :
	    MML_STREAM_HEADER_LINE_MAX;
}

int
mml_stream_running(const struct mml_stream *s)
{
	return s->state == ST_RUNNING;
}

enum mml_stream_error
mml_stream_errno(const struct mml_stream *s)
{
	return s->err;
}

const char *
mml_stream_strerror(enum mml_stream_error err)
{
	switch (err) {
	case MML_STREAM_OK:
		return "no error";
	case MML_STREAM_E_UNTERMINATED:
		return "header line not ended by a newline within 255 bytes";
	case MML_STREAM_E_PRIORITY:
		return "priority line is not a number from 0 to 999";
	case MML_STREAM_E_LEVEL_PREFIX:
		return "level prefix line is not a boolean";
	case MML_STREAM_E_FORWARD_SYSLOG:
		return "forward to syslog line is not a boolean";
	case MML_STREAM_E_FORWARD_KMSG:
		return "forward to kmsg line is not a boolean";
	case MML_STREAM_E_FORWARD_CONSOLE:
		return "forward to console line is not a boolean";
	}
	return "unknown error";
}

const char *
mml_stream_unit(const struct mml_stream *s)
{
	return s->has_unit ? s->unit : NULL;
}

unsigned
mml_stream_forward(const struct mml_stream *s)
{
	return s->forward;
}

size_t
mml_stream_header(const struct mml_stream *s, uint8_t *buf, size_t cap)
{
	size_t unit_len = s->has_unit ? strlen(s->unit) : 0;
	size_t n = s->ident_len + unit_len;
	char tail[32];
	int k;

	if (s->state != ST_RUNNING)
		return 0;
	k = snprintf(tail, sizeof(tail), "%d\n%d\n%d\n%d\n%d\n", s->priority,
	    s->level_prefix, (s->forward & MML_STREAM_FWD_SYSLOG) != 0,
	    (s->forward & MML_STREAM_FWD_KMSG) != 0,
	    (s->forward & MML_STREAM_FWD_CONSOLE) != 0);
	if (k < 0 || n + 2 + (size_t)k > cap)
		return 0;
	memcpy(buf, s->ident, s->ident_len);
	buf[s->ident_len] = '\n';
	memcpy(buf + s->ident_len + 1, s->unit, unit_len);
	buf[n + 1] = '\n';
	memcpy(buf + n + 2, tail, (size_t)k);
	return n + 2 + (size_t)k;
}

int
mml_stream_next(struct mml_stream *s, const uint8_t *buf, size_t len,
    size_t *off, enum mml_stream_flush flush, struct mml_ent *e)
{
	const uint8_t *p, *nl, *nul;
	enum mml_line_break brk;
	size_t left, limit, look, found, skip;

	if (s->state == ST_FAILED)
		return -EBADMSG;
	while (*off < len) {
		p = buf + *off;
		left = len - *off;
		limit = s->state == ST_RUNNING ? s->line_max :
		    MML_STREAM_HEADER_LINE_MAX;
		look = left < limit ? left : limit;
		/* journald's stdout_stream_scan(): NUL, '\n', the limit. */
		nl = memchr(p, '\n', look);
		nul = memchr(p, '\0', nl != NULL ? (size_t)(nl - p) : look);
		if (nul != NULL) {
			found = (size_t)(nul - p);
			skip = found + 1;
			brk = MML_LINE_BREAK_NUL;
		} else if (nl != NULL) {
			found = (size_t)(nl - p);
			skip = found + 1;
			brk = MML_LINE_BREAK_NEWLINE;
		} else if (left >= limit) {
			found = skip = limit;
			brk = MML_LINE_BREAK_LINE_MAX;
		} else if (flush != MML_STREAM_MORE) {
			found = skip = left;
			brk = flush == MML_STREAM_EOF ? MML_LINE_BREAK_EOF :
			    MML_LINE_BREAK_PID_CHANGE;
		} else
			return 0;
		*off += skip;
		if (s->state != ST_RUNNING) {
			/*
			 * "Control protocol line not properly terminated":
			 * a header line must end with '\n'.
			 */
			if (brk != MML_LINE_BREAK_NEWLINE) {
				s->err = MML_STREAM_E_UNTERMINATED;
				s->state = ST_FAILED;
				return -EBADMSG;
			}
			if (header_line(s, p, found) < 0) {
				s->state = ST_FAILED;
				return -EBADMSG;
			}
			continue;
		}
		if (line_entry(s, p, found, brk, e))
			return 1;
	}
	return 0;
}

/*
 * One header line, stripped as journald's strstrip() does, checked as
 * stdout_stream_line() checks it.  Returns 0 or -EBADMSG with s->err.
 */
static int
header_line(struct mml_stream *s, const uint8_t *p, size_t n)
{
	static const char ws[] = " \t\n\r";
	char line[MML_STREAM_HEADER_LINE_MAX];
	int r;

	while (n > 0 && memchr(ws, p[0], sizeof(ws) - 1) != NULL) {
		p++;
		n--;
	}
	while (n > 0 && memchr(ws, p[n - 1], sizeof(ws) - 1) != NULL)
		n--;
	/* A header line is shorter than the limit and holds no NUL. */
	memcpy(line, p, n);
	line[n] = '\0';

	switch (s->state) {
	case ST_IDENTIFIER:
		memcpy(s->ident, line, n);
		s->ident_len = n;
		break;
	case ST_UNIT_ID:
		if (s->privileged && unit_name_valid(line)) {
			memcpy(s->unit, line, n + 1);
			s->has_unit = 1;
		}
		break;
	case ST_PRIORITY:
		if ((r = parse_priority(line)) < 0) {
			s->err = MML_STREAM_E_PRIORITY;
			return -EBADMSG;
		}
		s->priority = r;
		break;
	case ST_LEVEL_PREFIX:
		if ((r = parse_boolean(line)) < 0) {
			s->err = MML_STREAM_E_LEVEL_PREFIX;
			return -EBADMSG;
		}
		s->level_prefix = r;
		break;
	case ST_FORWARD_SYSLOG:
		if ((r = parse_boolean(line)) < 0) {
			s->err = MML_STREAM_E_FORWARD_SYSLOG;
			return -EBADMSG;
		}
		s->forward |= r ? MML_STREAM_FWD_SYSLOG : 0;
		break;
	case ST_FORWARD_KMSG:
		if ((r = parse_boolean(line)) < 0) {
			s->err = MML_STREAM_E_FORWARD_KMSG;
			return -EBADMSG;
		}
		s->forward |= r ? MML_STREAM_FWD_KMSG : 0;
		break;
	case ST_FORWARD_CONSOLE:
		if ((r = parse_boolean(line)) < 0) {
			s->err = MML_STREAM_E_FORWARD_CONSOLE;
			return -EBADMSG;
		}
		s->forward |= r ? MML_STREAM_FWD_CONSOLE : 0;
		break;
	case ST_RUNNING:
	case ST_FAILED:
		return -EBADMSG;
	}
	s->state++;
	return 0;
}

/*
 * One line p[0, n) of output into e, as stdout_stream_log() builds its
 * entry.  Returns 1 with the entry, 0 for a line that makes none.
 */
static int
line_entry(struct mml_stream *s, const uint8_t *p, size_t n,
    enum mml_line_break brk, struct mml_ent *e)
{
	const char *name;
	int priority = s->priority, k;

	if (s->level_prefix && (k = level_prefix(p, n, &priority)) > 0) {
		p += k;
		n -= (size_t)k;
	}
	if (n == 0)
		return 0;
	e->priority = priority & PRIMASK;
	if (s->ident_len > 0)
		mml_ent_set_tag(e, s->ident, s->ident_len);
	mml_ent_set_msg(e, p, n);
	if (priority & FACMASK)
		(void)mml_ent_add_u64(e, "SYSLOG_FACILITY",
		    (uint64_t)((priority & FACMASK) >> 3));
	name = line_break_name[brk];
	if (name != NULL)
		(void)mml_ent_add_str(e, "_LINE_BREAK", name, strlen(name));
	return 1;
}

/*
 * journald's syslog_parse_priority(&p, &priority, false): "<N>", "<0N>"
 * or "<00N>" with N from 0 to 7, where '>' is the line's first.  Sets
 * the level in *priority, keeping its facility, and returns the
 * prefix's length, or 0 if there is none.
 */
static int
level_prefix(const uint8_t *p, size_t n, int *priority)
{
	const uint8_t *gt;
	size_t k, i;

	if (n == 0 || p[0] != '<')
		return 0;
	gt = memchr(p, '>', n < 5 ? n : 5);
	if (gt == NULL)
		return 0;
	k = (size_t)(gt - p);
	if (k < 2)
		return 0;
	for (i = 1; i < k - 1; i++)
		if (p[i] != '0')
			return 0;
	if (p[k - 1] < '0' || p[k - 1] > '7')
		return 0;
	*priority = (*priority & FACMASK) | (p[k - 1] - '0');
	return (int)k + 1;
}

/* journald's parse_boolean(): 1, 0, or -1 for anything else. */
static int
parse_boolean(const char *v)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	return -1;
}

/*
 * journald's syslog_parse_priority_and_facility(): safe_atoi() (strtol
 * with C's base prefixes, "0x1f" and "017", plus "0b" and "0o"; the
 * whole string must be the number), then 0 to 999.  Returns the value
 * or -1.
 */
static int
parse_priority(const char *v)
{
	const char *q = v;
	char *end = NULL;
	long l;
	int base = 0;

	q += strspn(q, " \t\n\r");
	if (q[0] == '0' && (q[1] == 'b' || q[1] == 'B')) {
		base = 2;
		q += 2;
	} else if (q[0] == '0' && (q[1] == 'o' || q[1] == 'O')) {
		base = 8;
		q += 2;
	}
	errno = 0;
	l = strtol(q, &end, base);
	if (errno != 0 || end == q || *end != '\0')
		return -1;
	if (l < 0 || l > 999)
		return -1;
	return (int)l;
}

/*
 * journald's unit_name_is_valid(n, UNIT_NAME_PLAIN|UNIT_NAME_INSTANCE)
 * (src/basic/unit-name.c): "prefix.type" or "prefix@instance.type",
 * type a known unit type, the rest of [0-9A-Za-z:_.\-] and '@'.
 */
static int
unit_name_valid(const char *n)
{
	static const char *const types[] = {
		"service", "socket", "target", "device", "mount",
		"automount", "swap", "timer", "path", "slice", "scope",
	};
	const char *dot, *at = NULL, *i;
	size_t t;

	if (n[0] == '\0' || strlen(n) >= 256)
		return 0;
	dot = strrchr(n, '.');
	if (dot == NULL || dot == n)
		return 0;
	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
		if (strcmp(dot + 1, types[t]) == 0)
			break;
	if (t == sizeof(types) / sizeof(types[0]))
		return 0;
	for (i = n; i < dot; i++) {
		if (*i == '@' && at == NULL)
			at = i;
		if (!((*i >= '0' && *i <= '9') || (*i >= 'a' && *i <= 'z') ||
		    (*i >= 'A' && *i <= 'Z') || strchr(":-_.\\@", *i) != NULL))
			return 0;
	}
	if (at == n)
		return 0;
	return at == NULL || dot > at + 1;
}
