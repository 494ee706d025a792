/*
 * check_journal.c: journald's native protocol (daemon/journal.c): one
 * table row per quirk of journald's parser, each payload run through
 * journal_one(), which renders every call's result as text; and the
 * memfd checks on real memfds, pipes, sockets and files.
 *
 * Rows marked "captured" are the exact bytes real clients sent on this
 * machine (Debian 12, systemd 252, util-linux 2.38): their sockets
 * /run/systemd/journal/{socket,stdout} were made ours with `unshare -m`
 * and a tmpfs over /run/systemd, as ../shared/recipes/
 * journald-in-a-namespace.md shows, and a receiver wrote down every
 * datagram.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entry.h"
#include "journal.h"
#include "wire.h"

Suite *journal_suite(void);

/* A literal's bytes and length, NULs included. */
#define B(s)	(const uint8_t *)(s), sizeof(s) - 1
/* A 64-bit little-endian length, as a string literal. */
#define LE64(a, b, c, d, e, f, g, h) a b c d e f g h

struct out {
	char	s[8192];
	size_t	len;
};

static void
put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->s + o->len, sizeof(o->s) - o->len, fmt, ap);
	va_end(ap);
	ck_assert(n >= 0 && (size_t)n < sizeof(o->s) - o->len);
	o->len += (size_t)n;
}

/* Bytes as text: printable ASCII but '\\' as is, the rest as \xHH. */
static void
put_bytes(struct out *o, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			put(o, "%c", p[i]);
		else
			put(o, "\\x%02x", p[i]);
	}
}

/*
 * Every call's result, e.g. "1{p4 t=app m=hi CODE_LINE=7} 0{}": the
 * return value; the priority, tag, message and fields of a returned
 * entry, CUT if it was cut; and the info counters that are not zero
 * (_ protected, inv invalid, un unused, over over_max, skip
 * skipped_lines, ign ignored bytes).
 */
static void
render(struct out *o, int r, const struct mml_ent *e,
    const struct mml_journal_info *in)
{
	const uint8_t *item;
	const char *sep;
	size_t off = 0, len, key_len;

	put(o, "%s%s{", o->len > 0 ? " " : "", r == 1 ? "1" : r == 0 ? "0" :
	    r == -EMSGSIZE ? "EMSGSIZE" : "?");
	if (r == 1) {
		put(o, "p%d", e->priority);
		if (e->tag_len > 0) {
			put(o, " t=");
			put_bytes(o, e->tag, e->tag_len);
		}
		if (in->has_message) {
			put(o, " m=");
			put_bytes(o, e->msg, e->msg_len);
		}
		while (mml_fields_next(e->fields, e->fields_len, &off, &item,
		    &len, &key_len) > 0) {
			put(o, " ");
			put_bytes(o, item, len);
		}
		if (e->cut)
			put(o, " CUT");
	}
	sep = r == 1 ? " " : "";
	if (in->protected)
		put(o, "%s_:%u", sep, in->protected), sep = " ";
	if (in->invalid)
		put(o, "%sinv:%u", sep, in->invalid), sep = " ";
	if (in->unused)
		put(o, "%sun:%u", sep, in->unused), sep = " ";
	if (in->over_max)
		put(o, "%sover:%u", sep, in->over_max), sep = " ";
	if (in->skipped_lines)
		put(o, "%sskip:%u", sep, in->skipped_lines), sep = " ";
	if (in->ignored)
		put(o, "%sign:%zu", sep, in->ignored);
	put(o, "}");
}

/*
 * Parses buf[0, len) entry by entry, as the daemon will, and compares
 * the rendering with want.  Checks on the way that every call leaves
 * *off within the payload and moving forward, that the last call ends
 * it, and that the entry's parts lie in the payload or its fields
 * buffer.
 */
static void
journal_one(const char *name, const uint8_t *buf, size_t len,
    unsigned max_fields, const char *want)
{
	static uint8_t fb[MML_FRAME_MAX];
	struct mml_journal_info in;
	struct mml_ent e;
	struct out o;
	size_t off = 0, prev;
	int r, calls = 0;

	o.len = 0;
	o.s[0] = '\0';
	do {
		prev = off;
		mml_ent_init(&e, fb, sizeof(fb));
		memset(&in, 0xa5, sizeof(in));
		r = mml_journal_parse(buf, len, &off, max_fields, &e, &in);
		render(&o, r, &e, &in);
		ck_assert_msg(off <= len && (off > prev || r != 1),
		    "%s: off %zu after %zu", name, off, prev);
		if (r == 1) {
			ck_assert_msg(e.msg_len == 0 || (e.msg >= buf &&
			    e.msg_len <= len && (size_t)(e.msg - buf) <=
			    len - e.msg_len), "%s: message outside", name);
			ck_assert_msg(e.tag_len <= MML_TAG_MAX, "%s: tag", name);
		} else
			ck_assert_msg(off == len, "%s: end at %zu", name, off);
		ck_assert_msg(++calls < 100, "%s: no end", name);
	} while (r == 1);
	ck_assert_msg(strcmp(o.s, want) == 0, "%s:\n got  %s\n want %s", name,
	    o.s, want);
}

static const struct {
	const char	*name;
	const uint8_t	*buf;
	size_t		 len;
	unsigned	 max_fields;
	const char	*want;
} rows[] = {
	/*
	 * Captured: sd_journal_send("MESSAGE=hello from sd_journal_send",
	 * "PRIORITY=%i", LOG_WARNING, "CUSTOM_FIELD=value",
	 * "SYSLOG_IDENTIFIER=capture", NULL) from a C program (send.c)
	 * linked with libsystemd 252; CODE_* come from its macros.
	 */
	{ "captured sd_journal_send", B("CODE_FILE=send.c\nCODE_LINE=7\n"
	    "CODE_FUNC=main\nMESSAGE=hello from sd_journal_send\n"
	    "PRIORITY=4\nCUSTOM_FIELD=value\nSYSLOG_IDENTIFIER=capture\n"),
	    256, "1{p4 t=capture m=hello from sd_journal_send "
	    "CODE_FILE=send.c CODE_LINE=7 CODE_FUNC=main CUSTOM_FIELD=value} "
	    "0{}" },
	/* Captured: sd_journal_print(LOG_ERR, "printed %d", 42). */
	{ "captured sd_journal_print", B("MESSAGE=printed 42\nPRIORITY=3\n"
	    "CODE_FILE=send.c\nCODE_LINE=9\nCODE_FUNC=main\n"
	    "SYSLOG_IDENTIFIER=send\n"), 256,
	    "1{p3 t=send m=printed 42 CODE_FILE=send.c CODE_LINE=9 "
	    "CODE_FUNC=main} 0{}" },
	/*
	 * Captured: sd_journal_send("MESSAGE=multi\nline", "BIN=a\nb",
	 * NULL): libsystemd sends values holding '\n' binary-safe.
	 */
	{ "captured binary-safe", B("CODE_FILE=send.c\nCODE_LINE=10\n"
	    "CODE_FUNC=main\nMESSAGE\n"
	    LE64("\x0a", "\0", "\0", "\0", "\0", "\0", "\0", "\0")
	    "multi\nline\nBIN\n"
	    LE64("\x03", "\0", "\0", "\0", "\0", "\0", "\0", "\0")
	    "a\nb\nSYSLOG_IDENTIFIER=send\n"), 256,
	    "1{p6 t=send m=multi\\x0aline CODE_FILE=send.c CODE_LINE=10 "
	    "CODE_FUNC=main BIN=a\\x0ab} 0{}" },
	/*
	 * Captured: printf 'MESSAGE=hi\nSYSLOG_IDENTIFIER=demo2\nFOO=bar\n'
	 * | logger --journald (util-linux 2.38: the lines as given).
	 */
	{ "captured logger --journald", B("MESSAGE=hi\n"
	    "SYSLOG_IDENTIFIER=demo2\nFOO=bar\n"), 256,
	    "1{p6 t=demo2 m=hi FOO=bar} 0{}" },
	/*
	 * Captured: logger -t ltag --journald with "MESSAGE=from logger\n
	 * PRIORITY=5\n" on stdin: logger appends SYSLOG_IDENTIFIER=logger
	 * (its -t does not apply to --journald).
	 */
	{ "captured logger --journald, no identifier",
	    B("MESSAGE=from logger\nPRIORITY=5\nSYSLOG_IDENTIFIER=logger\n"),
	    256, "1{p5 t=logger m=from logger} 0{}" },

	/* Empty and trivial payloads. */
	{ "empty", B(""), 256, "0{}" },
	{ "only a newline", B("\n"), 256, "0{}" },
	/* No MESSAGE: journald stores the entry all the same. */
	{ "no MESSAGE", B("FOO=bar\nSYSLOG_PID=42\n"), 256,
	    "1{p6 FOO=bar SYSLOG_PID=42} 0{}" },
	{ "empty MESSAGE", B("MESSAGE=\n"), 256, "1{p6 m=} 0{}" },
	{ "only PRIORITY", B("PRIORITY=2\n"), 256, "1{p2} 0{}" },
	/* Fields a syslog header would give are plain fields here. */
	{ "syslog fields kept", B("SYSLOG_FACILITY=3\nSYSLOG_PID=7\n"
	    "SYSLOG_TIMESTAMP=Dec  7 08:57:00\nMESSAGE=m\n"), 256,
	    "1{p6 m=m SYSLOG_FACILITY=3 SYSLOG_PID=7 "
	    "SYSLOG_TIMESTAMP=Dec  7 08:57:00} 0{}" },
	{ "value holds = and NUL", B("A=b=c\nMESSAGE=x\0y\n"), 256,
	    "1{p6 m=x\\x00y A=b=c} 0{}" },
	{ "CR kept in value", B("MESSAGE=a\r\n"), 256, "1{p6 m=a\\x0d} 0{}" },

	/* Trusted and invalid names: skipped, the entry goes on. */
	{ "_ fields", B("_PID=1\nMESSAGE=x\n_UID=0\n__REALTIME_TIMESTAMP=0\n"
	    "_TRANSPORT=kernel\n_x=1\n"), 256, "1{p6 m=x _:5} 0{}" },
	{ "only _ fields", B("_PID=1\n_COMM=x\n"), 256, "0{_:2}" },
	{ "invalid names", B("foo=bar\n1ABC=x\nA-B=x\n=x\nA B=x\n"
	    "\xc3\x84" "B=x\nMESSAGE=m\n"), 256, "1{p6 m=m inv:6} 0{}" },
	{ "64-byte name ok, 65 not",
	    B("A234567890123456789012345678901234567890123456789012345678901234"
	    "=64\nA2345678901234567890123456789012345678901234567890123456789012345"
	    "=65\n"), 256, "1{p6 A234567890123456789012345678901234567890123456"
	    "789012345678901234=64 inv:1} 0{}" },

	/* Duplicates: kept, but the slots hold one value, the last. */
	{ "duplicate keys", B("A=1\nA=2\nMESSAGE=m1\nA=3\nMESSAGE=m2\n"), 256,
	    "1{p6 m=m2 A=1 A=2 A=3 un:1} 0{}" },
	{ "duplicate SYSLOG_IDENTIFIER", B("SYSLOG_IDENTIFIER=a\n"
	    "SYSLOG_IDENTIFIER=b\n"), 256, "1{p6 t=b un:1} 0{}" },
	{ "empty SYSLOG_IDENTIFIER unused", B("SYSLOG_IDENTIFIER=a\n"
	    "SYSLOG_IDENTIFIER=\n"), 256, "1{p6 t=a un:1} 0{}" },

	/* PRIORITY: exactly one digit, as journald. */
	{ "PRIORITY 0", B("PRIORITY=0\n"), 256, "1{p0} 0{}" },
	{ "PRIORITY 7", B("PRIORITY=7\n"), 256, "1{p7} 0{}" },
	{ "PRIORITY 8 acts as 0", B("PRIORITY=8\n"), 256, "1{p0} 0{}" },
	{ "PRIORITY 9 acts as 1", B("PRIORITY=9\n"), 256, "1{p1} 0{}" },
	{ "PRIORITY two digits", B("PRIORITY=10\n"), 256, "1{p6 un:1} 0{}" },
	{ "PRIORITY 03", B("PRIORITY=03\n"), 256, "1{p6 un:1} 0{}" },
	{ "PRIORITY empty", B("PRIORITY=\n"), 256, "1{p6 un:1} 0{}" },
	{ "PRIORITY with space", B("PRIORITY= 3\n"), 256, "1{p6 un:1} 0{}" },
	{ "PRIORITY name", B("PRIORITY=err\n"), 256, "1{p6 un:1} 0{}" },
	{ "PRIORITY bad after good", B("PRIORITY=3\nPRIORITY=x\n"), 256,
	    "1{p3 un:1} 0{}" },
	{ "PRIORITY twice", B("PRIORITY=3\nPRIORITY=5\n"), 256,
	    "1{p5 un:1} 0{}" },
	{ "binary PRIORITY", B("PRIORITY\n"
	    LE64("\x01", "\0", "\0", "\0", "\0", "\0", "\0", "\0") "2\n"),
	    256, "1{p2} 0{}" },

	/* A trailing field without '\n': ignored, the rest stored. */
	{ "trailing field without newline", B("MESSAGE=a\nFOO=bar"), 256,
	    "1{p6 m=a ign:7} 0{}" },
	{ "only a field without newline", B("MESSAGE=a"), 256, "0{ign:9}" },

	/* Missing '=': the line is taken as a binary-safe name. */
	{ "missing = at the end", B("MESSAGE=a\nFOO\n"), 256,
	    "1{p6 m=a ign:4} 0{}" },
	/* ...whose "length" is then the next field's first 8 bytes. */
	{ "missing = before a field", B("FOO\nMESSAGE=hello\n"), 256,
	    "EMSGSIZE{ign:18}" },
	{ "missing = after a field", B("MESSAGE=a\nFOO\nMESSAGE=hello\n"), 256,
	    "EMSGSIZE{ign:18}" },

	/* Binary-safe lengths. */
	{ "binary zero length", B("BIN\n"
	    LE64("\0", "\0", "\0", "\0", "\0", "\0", "\0", "\0") "\n"), 256,
	    "1{p6 BIN=} 0{}" },
	{ "binary value with NUL, = and newlines", B("BIN\n"
	    LE64("\x05", "\0", "\0", "\0", "\0", "\0", "\0", "\0")
	    "\0=\n\n\n\nMESSAGE=m\n"), 256,
	    "1{p6 m=m BIN=\\x00=\\x0a\\x0a\\x0a} 0{}" },
	{ "binary length longer than the payload", B("MESSAGE=a\nBIN\n"
	    LE64("\x64", "\0", "\0", "\0", "\0", "\0", "\0", "\0") "abc\n"),
	    256, "1{p6 m=a ign:16} 0{}" },
	{ "binary length one short", B("MESSAGE=a\nBIN\n"
	    LE64("\x02", "\0", "\0", "\0", "\0", "\0", "\0", "\0") "abc\n"),
	    256, "1{p6 m=a ign:16} 0{}" },
	{ "binary length one long", B("MESSAGE=a\nBIN\n"
	    LE64("\x04", "\0", "\0", "\0", "\0", "\0", "\0", "\0") "abc\n"),
	    256, "1{p6 m=a ign:16} 0{}" },
	{ "binary value without final newline", B("MESSAGE=a\nBIN\n"
	    LE64("\x03", "\0", "\0", "\0", "\0", "\0", "\0", "\0") "abc"),
	    256, "1{p6 m=a ign:15} 0{}" },
	{ "binary length cut short", B("MESSAGE=a\nBIN\n"
	    LE64("\x03", "\0", "\0", "\0", "\0", "\0", "\0", "")), 256,
	    "1{p6 m=a ign:11} 0{}" },
	/* Lengths that would overflow if added: above journald's limit. */
	{ "binary length 2^64-1", B("MESSAGE=a\nBIN\n"
	    LE64("\xff", "\xff", "\xff", "\xff", "\xff", "\xff", "\xff",
	    "\xff") "abc\n"), 256, "EMSGSIZE{ign:16}" },
	{ "binary length 2^64-9", B("BIN\n"
	    LE64("\xf7", "\xff", "\xff", "\xff", "\xff", "\xff", "\xff",
	    "\xff") "abc\n"), 256, "EMSGSIZE{ign:16}" },
	{ "binary length 2^63", B("BIN\n"
	    LE64("\0", "\0", "\0", "\0", "\0", "\0", "\0", "\x80") "abc\n"),
	    256, "EMSGSIZE{ign:16}" },
	/* Exactly DATA_SIZE_MAX (768 MiB) is a lie, not a refusal. */
	{ "binary length 768 MiB", B("MESSAGE=a\nBIN\n"
	    LE64("\0", "\0", "\0", "\x30", "\0", "\0", "\0", "\0") "abc\n"),
	    256, "1{p6 m=a ign:16} 0{}" },
	{ "binary length 768 MiB + 1", B("MESSAGE=a\nBIN\n"
	    LE64("\x01", "\0", "\0", "\x30", "\0", "\0", "\0", "\0") "abc\n"),
	    256, "EMSGSIZE{ign:16}" },
	{ "binary invalid name", B("bin\n"
	    LE64("\x02", "\0", "\0", "\0", "\0", "\0", "\0", "\0") "xy\n"
	    "MESSAGE=m\n"), 256, "1{p6 m=m inv:1} 0{}" },
	{ "binary _ name", B("_PID\n"
	    LE64("\x01", "\0", "\0", "\0", "\0", "\0", "\0", "\0") "1\n"
	    "MESSAGE=m\n"), 256, "1{p6 m=m _:1} 0{}" },

	/* Several entries in one payload, an empty line between. */
	{ "two entries", B("MESSAGE=a\n\nMESSAGE=b\nPRIORITY=1\n"), 256,
	    "1{p6 m=a} 1{p1 m=b} 0{}" },
	{ "two entries, separator last", B("MESSAGE=a\n\nMESSAGE=b\n\n"), 256,
	    "1{p6 m=a} 1{p6 m=b} 0{}" },
	/* An entry without a valid field ends the payload, as in journald. */
	{ "empty entry between", B("MESSAGE=a\n\n\nMESSAGE=b\n"), 256,
	    "1{p6 m=a} 0{ign:10}" },
	{ "leading empty line", B("\nMESSAGE=a\n"), 256, "0{ign:10}" },
	{ "entry of _ fields between", B("MESSAGE=a\n\n_PID=1\n\nMESSAGE=b\n"),
	    256, "1{p6 m=a} 0{_:1 ign:10}" },
	{ "malformed ends the payload", B("MESSAGE=a\nBIN\n"
	    LE64("\x64", "\0", "\0", "\0", "\0", "\0", "\0", "\0") "abc\n"
	    "\nMESSAGE=b\n"), 256, "1{p6 m=a ign:27} 0{}" },

	/* journald's control lines and comments are skipped. */
	{ "comments and commands", B("#c\n.cmd\nMESSAGE=a\n# x=y\n"), 256,
	    "1{p6 m=a skip:3} 0{}" },
	{ "only a command", B(".\n"), 256, "0{skip:1}" },

	/* --max-fields: the entry is kept, cut, the rest counted. */
	{ "max fields", B("A=1\nB=2\nC=3\nMESSAGE=m\nD=4\nPRIORITY=2\n"), 2,
	    "1{p2 m=m A=1 B=2 CUT over:2} 0{}" },
	{ "max fields 0", B("A=1\nMESSAGE=m\n"), 0,
	    "1{p6 m=m CUT over:1} 0{}" },
	{ "max fields not reached by slots", B("MESSAGE=m\nPRIORITY=1\n"
	    "SYSLOG_IDENTIFIER=t\nA=1\n"), 1, "1{p1 t=t m=m A=1} 0{}" },
};

START_TEST(test_parse)
{
	journal_one(rows[_i].name, rows[_i].buf, rows[_i].len,
	    rows[_i].max_fields, rows[_i].want);
}
END_TEST

/* A tag longer than MML_TAG_MAX is cut, and the entry marked so. */
START_TEST(test_long_tag)
{
	static uint8_t fb[1024];
	char buf[400];
	struct mml_ent e;
	size_t off = 0;
	int n;

	n = snprintf(buf, sizeof(buf), "SYSLOG_IDENTIFIER=%0300d\n", 0);
	mml_ent_init(&e, fb, sizeof(fb));
	ck_assert_int_eq(mml_journal_parse((uint8_t *)buf, (size_t)n, &off,
	    256, &e, NULL), 1);
	ck_assert_uint_eq(e.tag_len, MML_TAG_MAX);
	ck_assert_int_eq(e.cut, 1);
	ck_assert_uint_eq(e.orig_size, 300);
	ck_assert_int_eq(mml_ent_fit(&e, 4096), 1);

	/* Replaced by a short one: nothing was cut. */
	n = snprintf(buf, sizeof(buf), "SYSLOG_IDENTIFIER=%0300d\n"
	    "SYSLOG_IDENTIFIER=short\n", 0);
	mml_ent_init(&e, fb, sizeof(fb));
	off = 0;
	ck_assert_int_eq(mml_journal_parse((uint8_t *)buf, (size_t)n, &off,
	    256, &e, NULL), 1);
	ck_assert_uint_eq(e.tag_len, 5);
	ck_assert_int_eq(e.cut, 0);
	ck_assert_uint_eq(e.orig_size, 5);
}
END_TEST

/*
 * The fields buffer is the caller's: a field that does not fit is cut
 * (entry.c), later ones are left out, and the entry still parses to
 * its end with MESSAGE in its slot.
 */
START_TEST(test_small_fields_buffer)
{
	static const uint8_t in[] = "A=0123456789\nB=0123456789\nMESSAGE=m\n";
	uint8_t fb[24];
	struct mml_journal_info info;
	struct mml_ent e;
	size_t off = 0;

	mml_ent_init(&e, fb, sizeof(fb));
	ck_assert_int_eq(mml_journal_parse(in, sizeof(in) - 1, &off, 256, &e,
	    &info), 1);
	ck_assert_uint_eq(off, sizeof(in) - 1);
	ck_assert_int_eq(e.cut, 1);
	/* A=... whole (16 bytes), B=01 cut to the 8 left, and no more. */
	ck_assert_uint_eq(e.n_fields, 2);
	ck_assert_uint_eq(e.fields_len, sizeof(fb));
	ck_assert_mem_eq(e.fields + 16 + 4, "B=01", 4);
	ck_assert_uint_eq(e.msg_len, 1);
	ck_assert_uint_eq(e.orig_size, 2 * (4 + 12) + 1);
}
END_TEST

/* ---- mml_journal_fd_check() ---- */

/* A memfd holding len bytes of buf with the given seals added. */
static int
memfd_with(const void *buf, size_t len, int seals)
{
	int fd;

	fd = memfd_create("check-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ck_assert_int_ge(fd, 0);
	if (len > 0)
		ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	if (seals != 0)
		ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

#define ALL_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)

/*
 * A payload as libsystemd sends one too large for a datagram: captured
 * from sd_journal_send() of a 10,000,000-byte MESSAGE, an empty
 * datagram with one fd, "/memfd:sd-sendbig (deleted)", F_GET_SEALS 15
 * (all four seals) and these bytes around the message (here 3 x's).
 */
static const char sealed_payload[] = "CODE_FILE=sendbig.c\nCODE_LINE=8\n"
    "CODE_FUNC=main\nMESSAGE=xxx\nSYSLOG_IDENTIFIER=big\n";

START_TEST(test_fd_sealed)
{
	static uint8_t fb[1024];
	const uint8_t *data = NULL;
	struct mml_ent e;
	size_t len = 0, off = 0;
	int fd;

	fd = memfd_with(sealed_payload, sizeof(sealed_payload) - 1, ALL_SEALS);
	ck_assert_int_eq(mml_journal_fd_check(fd, 1 << 20, &data, &len), 0);
	ck_assert_uint_eq(len, sizeof(sealed_payload) - 1);
	ck_assert_mem_eq(data, sealed_payload, len);
	/* The mapping outlives the fd. */
	ck_assert_int_eq(close(fd), 0);
	mml_ent_init(&e, fb, sizeof(fb));
	ck_assert_int_eq(mml_journal_parse(data, len, &off, 256, &e, NULL), 1);
	ck_assert_uint_eq(e.msg_len, 3);
	ck_assert_mem_eq(e.tag, "big", 3);
	mml_journal_fd_release(data, len);
}
END_TEST

/* The size limit is inclusive; one byte over is refused. */
START_TEST(test_fd_size)
{
	const uint8_t *data = NULL;
	size_t len = 0, n = sizeof(sealed_payload) - 1;
	int fd;

	fd = memfd_with(sealed_payload, n, ALL_SEALS);
	ck_assert_int_eq(mml_journal_fd_check(fd, n - 1, &data, &len),
	    -EMSGSIZE);
	ck_assert_ptr_null(data);
	ck_assert_int_eq(mml_journal_fd_check(fd, n, &data, &len), 0);
	mml_journal_fd_release(data, len);
	(void)close(fd);
}
END_TEST

/* Seals missing, or a file that cannot be sealed: refused. */
START_TEST(test_fd_refused)
{
	static const struct {
		const char *name;
		int seals;
		int want;
	} t[] = {
		{ "unsealed", 0, -EPERM },
		{ "shrink only", F_SEAL_SHRINK, -EPERM },
		{ "shrink, grow", F_SEAL_SHRINK | F_SEAL_GROW, -EPERM },
		{ "no write seal", F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL,
		    -EPERM },
		{ "not sealed against sealing", F_SEAL_SHRINK | F_SEAL_GROW |
		    F_SEAL_WRITE, -EPERM },
		{ "no shrink seal", F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL,
		    -EPERM },
		{ "all four", ALL_SEALS, 0 },
		{ "all four and future write", ALL_SEALS | F_SEAL_FUTURE_WRITE,
		    0 },
	};
	const uint8_t *data;
	size_t i, len;
	int fd, r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fd = memfd_with("MESSAGE=m\n", 10, t[i].seals);
		data = NULL;
		r = mml_journal_fd_check(fd, 1 << 20, &data, &len);
		ck_assert_msg(r == t[i].want, "%s: %d", t[i].name, r);
		if (r == 0)
			mml_journal_fd_release(data, len);
		else
			ck_assert_ptr_null(data);
		(void)close(fd);
	}
}
END_TEST

/*
 * fstat() for the whole test binary, as the C library's, except once
 * for shrink_fd: right after its size is read, the file is cut to
 * shrink_len bytes and sealed, as a sender racing the daemon's checks
 * would do (the fd it passed is a copy of its own).
 */
static int shrink_fd = -1;
static off_t shrink_len;

int
fstat(int fd, struct stat *st)
{
	int r;

	r = fstatat(fd, "", st, AT_EMPTY_PATH);
	if (r == 0 && fd == shrink_fd) {
		shrink_fd = -1;
		if (ftruncate(fd, shrink_len) < 0 ||
		    fcntl(fd, F_ADD_SEALS, ALL_SEALS) < 0)
			abort();
	}
	return r;
}

/*
 * A memfd cut and sealed while it is checked: the size taken is the
 * sealed file's, never an earlier one that would map pages past its
 * end (a SIGBUS on the first read of them, which ends the daemon).
 */
START_TEST(test_fd_shrunk_while_checked)
{
	static uint8_t buf[3 * 4096];
	const uint8_t *data = NULL;
	size_t len = 0;
	int fd;

	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "MESSAGE=m\n", 10);
	fd = memfd_with(buf, sizeof(buf), 0);
	shrink_fd = fd;
	shrink_len = 10;
	ck_assert_int_eq(mml_journal_fd_check(fd, 1 << 20, &data, &len), 0);
	ck_assert_int_eq(shrink_fd, -1);
	ck_assert_uint_eq(len, 10);
	ck_assert_mem_eq(data, "MESSAGE=m\n", 10);
	mml_journal_fd_release(data, len);
	(void)close(fd);
}
END_TEST

/* An empty sealed memfd: nothing to parse, and said so. */
START_TEST(test_fd_empty)
{
	const uint8_t *data = NULL;
	size_t len = 0;
	int fd;

	fd = memfd_with(NULL, 0, ALL_SEALS);
	ck_assert_int_eq(mml_journal_fd_check(fd, 1 << 20, &data, &len),
	    -ENODATA);
	(void)close(fd);
}
END_TEST

/* Pipes, sockets and plain files are not memfds. */
START_TEST(test_fd_not_memfd)
{
	char dir[] = "/tmp/check-journal-XXXXXX", path[64];
	const uint8_t *data = NULL;
	size_t len = 0;
	int p[2], sp[2], fd;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(write(p[1], "MESSAGE=m\n", 10), 10);
	ck_assert_int_eq(mml_journal_fd_check(p[0], 1 << 20, &data, &len),
	    -EBADFD);
	ck_assert_int_eq(mml_journal_fd_check(p[1], 1 << 20, &data, &len),
	    -EBADFD);
	(void)close(p[0]);
	(void)close(p[1]);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
	    sp), 0);
	ck_assert_int_eq(mml_journal_fd_check(sp[0], 1 << 20, &data, &len),
	    -EBADFD);
	(void)close(sp[0]);
	(void)close(sp[1]);

	/* journald would read this one from root, or from /tmp. */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/entry", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "MESSAGE=m\n", 10), 10);
	ck_assert_int_eq(mml_journal_fd_check(fd, 1 << 20, &data, &len),
	    -EPERM);
	(void)close(fd);
	(void)unlink(path);
	(void)rmdir(dir);

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(mml_journal_fd_check(fd, 1 << 20, &data, &len),
	    -EBADFD);
	(void)close(fd);

	ck_assert_int_eq(mml_journal_fd_check(-1, 1 << 20, &data, &len),
	    -EBADF);
	ck_assert_ptr_null(data);
}
END_TEST

Suite *
journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_parse, 0, sizeof(rows) / sizeof(rows[0]));
	tcase_add_test(tc, test_long_tag);
	tcase_add_test(tc, test_small_fields_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("fd");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_fd_sealed);
	tcase_add_test(tc, test_fd_size);
	tcase_add_test(tc, test_fd_refused);
	tcase_add_test(tc, test_fd_empty);
	tcase_add_test(tc, test_fd_not_memfd);
	tcase_add_test(tc, test_fd_shrunk_while_checked);
	suite_add_tcase(s, tc);
	return s;
}
