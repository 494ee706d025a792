/*
 * stream.h: journald's stdout stream protocol (systemd-cat, services'
 * StandardOutput=journal, `mmlogctl run`), as a pure state machine over
 * the bytes a connection delivers: the header, then one entry per line.
 * The socket, SO_PEERCRED, SCM_CREDENTIALS and the buffer are the
 * caller's.  journald (systemd v252, src/journal/journald-stream.c) is
 * the reference; proto/JOURNAL.md states every rule.
 *
 * The header is seven lines, each at most 254 bytes before its '\n',
 * each stripped of leading and trailing " \t\r":
 *
 *	identifier	SYSLOG_IDENTIFIER of every entry; may be empty
 *	unit id		a unit name; kept only from a privileged peer
 *	priority	0-999: priority, plus facility * 8
 *	level prefix	boolean: lines may start "<N>" (N 0-7)
 *	forward to syslog, forward to kmsg, forward to console: booleans
 *
 * Booleans are 1/yes/y/true/t/on or 0/no/n/false/f/off, in any case.
 * The exact bytes a client such as `mmlogctl run -t backup -p warning
 * -- CMD` sends right after connect(), before any output of CMD:
 *
 *	"backup\n"	identifier (-t; empty line if none)
 *	"\n"		unit id: empty (an unprivileged peer's is ignored)
 *	"4\n"		priority: -p as a number, facility * 8 + level,
 *			e.g. local0.info = 16 * 8 + 6 = "134\n"
 *	"1\n"		level prefix on, as systemd-cat: "<3>..." lines
 *			(sd-daemon.h's SD_ERR) get their own level
 *	"0\n" "0\n" "0\n"	forward to syslog, kmsg, console: off
 *
 * that is "backup\n\n4\n1\n0\n0\n0\n", then the program's output, one
 * entry per line.  systemd-cat -t catty -p warning sends exactly
 * "catty\n\n4\n1\n0\n0\n0\n" (captured, tests/check_stream.c).  The
 * daemon writes nothing back; a bad header closes the connection.
 */
#ifndef MML_STREAM_H
#define MML_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"

/* journald's LineMax= default, and the least it accepts. */
#define MML_STREAM_LINE_MAX_DEFAULT	(48 * 1024)
#define MML_STREAM_LINE_MAX_MIN		79
/* Longest header line, '\n' included (journald: UNIT_NAME_MAX - 1). */
#define MML_STREAM_HEADER_LINE_MAX	255

/*
 * How a line ended.  All but NEWLINE are recorded in the entry as the
 * daemon's field _LINE_BREAK= (nul, line-max, eof, pid-change), as
 * journald does.
 */
enum mml_line_break {
	MML_LINE_BREAK_NEWLINE = 0,
	MML_LINE_BREAK_NUL,		/* a NUL byte ended the line */
	MML_LINE_BREAK_LINE_MAX,	/* line_max bytes without an end */
	MML_LINE_BREAK_EOF,		/* the peer closed mid-line */
	MML_LINE_BREAK_PID_CHANGE,	/* another process sent the next bytes */
};

/* What the caller of mml_stream_next() says about the bytes it passes. */
enum mml_stream_flush {
	MML_STREAM_MORE = 0,		/* more may follow: keep a partial line */
	MML_STREAM_EOF,			/* the peer closed: flush it */
	MML_STREAM_PID_CHANGE,		/* the next bytes come from another pid */
};

/* Which header line mml_stream_next() refused, for the daemon's log. */
enum mml_stream_error {
	MML_STREAM_OK = 0,
	MML_STREAM_E_UNTERMINATED,	/* a header line ended by NUL, limit, EOF */
	MML_STREAM_E_PRIORITY,		/* not a number from 0 to 999 */
	MML_STREAM_E_LEVEL_PREFIX,	/* not a boolean */
	MML_STREAM_E_FORWARD_SYSLOG,
	MML_STREAM_E_FORWARD_KMSG,
	MML_STREAM_E_FORWARD_CONSOLE,
};

struct mml_stream;

/*
 * A new stream in its header state.  line_max is the longest line
 * (journald's LineMax=), raised to MML_STREAM_LINE_MAX_MIN if smaller;
 * longer lines are split into entries of line_max bytes.  privileged
 * says whether the peer (SO_PEERCRED) is uid 0: only then is the
 * header's unit id kept.  Returns NULL only when out of memory.
 */
struct mml_stream *mml_stream_new(size_t line_max, int privileged);

/* Frees s (NULL is fine); returns NULL. */
struct mml_stream *mml_stream_free(struct mml_stream *s);

/*
 * The bytes the caller's buffer must hold: mml_stream_next() never
 * leaves as many unconsumed, so a buffer this large always has room
 * for at least one more byte, and any feed makes progress.
 */
size_t	mml_stream_buf_size(const struct mml_stream *s);

/*
 * Reads buf[*off, len), the bytes the connection delivered and the
 * caller kept, and returns the next entry.  e must have been
 * initialised by the caller (mml_ent_init(), with its own fields
 * buffer) just before; its tag points into s (valid while s lives),
 * its message into buf (valid until the caller moves those bytes).
 *
 * Header lines are consumed without an entry.  Each following line
 * (ended by '\n', by NUL, or cut at line_max bytes) becomes one entry:
 * priority from the header, or the line's "<N>" prefix when the header
 * enabled level prefixes (stripped from the message); SYSLOG_FACILITY
 * when the priority carries a facility; _LINE_BREAK when the line did
 * not end with '\n'; the message is the rest of the line, bytes as
 * sent ('\r' included).  Empty lines make no entry.
 *
 * Returns:
 *   1		an entry in e; *off is past its line.  Call again.
 *   0		no whole line is left: keep buf[*off, len) (fewer than
 *		mml_stream_buf_size() bytes), append what the connection
 *		delivers next and call again.  With flush != MORE the
 *		partial line was returned as an entry first (_LINE_BREAK=eof
 *		or pid-change), and *off == len.
 *   -EBADMSG	the header is malformed (mml_stream_errno() says which
 *		line): close the connection.  Every later call says the
 *		same.
 *
 * Example, a connection's read callback:
 *
 *	n = recv(fd, buf + kept, mml_stream_buf_size(s) - kept, 0);
 *	len = kept + n;
 *	off = 0;
 *	for (;;) {
 *		mml_ent_init(&e, fb, sizeof(fb));
 *		if ((r = mml_stream_next(s, buf, len, &off,
 *		    n == 0 ? MML_STREAM_EOF : MML_STREAM_MORE, &e)) <= 0)
 *			break;
 *		store(&e);
 *	}
 *	memmove(buf, buf + off, len - off);
 *	kept = len - off;
 *
 * When SCM_CREDENTIALS shows another pid than the previous bytes', the
 * caller flushes what it kept (MML_STREAM_PID_CHANGE, with the old
 * credentials) before it appends the new bytes, as journald does.
 */
int	mml_stream_next(struct mml_stream *s, const uint8_t *buf, size_t len,
	    size_t *off, enum mml_stream_flush flush, struct mml_ent *e);

/* 1 once the whole header has been read. */
int	mml_stream_running(const struct mml_stream *s);

/* Why mml_stream_next() refused the header, and a text for it. */
enum mml_stream_error mml_stream_errno(const struct mml_stream *s);
const char *mml_stream_strerror(enum mml_stream_error err);

/*
 * The header's unit id, NUL-terminated, or NULL: kept only when the
 * peer is privileged and the name is a valid unit name (plain or
 * instance, as journald's unit_name_is_valid()).  Like journald, which
 * uses it only when the sender's cgroup names no unit (the stream of a
 * service that PID 1 connects for it), the daemon may take it for
 * _SYSTEMD_UNIT; from anyone else it is ignored, so no client can name
 * its own trusted unit.
 */
const char *mml_stream_unit(const struct mml_stream *s);

/*
 * The header of a running stream as the seven lines that bring a new
 * stream of the same peer to the same state when fed to
 * mml_stream_next(): its identifier, its unit as kept (an empty line
 * if none), its priority, level prefix and forward flags as numbers.
 * This is what the daemon keeps of a stream it hands to the service
 * manager's file descriptor store, to go on with it after a restart.
 * Writes at most cap bytes (MML_STREAM_HEADER_SAVE_MAX always do) and
 * returns their length, or 0 if s is not running or cap is too small.
 */
#define MML_STREAM_HEADER_SAVE_MAX \
	(2 * MML_STREAM_HEADER_LINE_MAX + 16)
size_t	mml_stream_header(const struct mml_stream *s, uint8_t *buf,
	    size_t cap);

/* The header's forward flags, parsed but not acted on by mmlogd. */
#define MML_STREAM_FWD_SYSLOG	0x1
#define MML_STREAM_FWD_KMSG	0x2
#define MML_STREAM_FWD_CONSOLE	0x4
unsigned mml_stream_forward(const struct mml_stream *s);

#endif /* MML_STREAM_H */
