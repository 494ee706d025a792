/*
 * check_stream.c: journald's stdout stream protocol (daemon/stream.c):
 * one table row per quirk of the header and the lines, each fed by
 * stream_one() whole and in chunks of many sizes through a buffer of
 * mml_stream_buf_size() bytes, as the daemon will feed it, and the
 * entries rendered as text, which must not depend on the chunking.
 *
 * Rows marked "captured" are the exact bytes systemd-cat (systemd 252)
 * wrote on this machine to /run/systemd/journal/stdout, made ours with
 * `unshare -m` and a tmpfs over /run/systemd (see check_journal.c).
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "stream.h"
#include "wire.h"

Suite *stream_suite(void);

#define B(s)	(const uint8_t *)(s), sizeof(s) - 1
/* A header with a tag "t", priority 6, level prefixes on. */
#define HDR	"t\n\n6\n1\n0\n0\n0\n"
#define A10	"aaaaaaaaaa"
#define A79	A10 A10 A10 A10 A10 A10 A10 "aaaaaaaaa"
#define A100	A10 A10 A10 A10 A10 A10 A10 A10 A10 A10

enum { MORE = 0, EOF_ = 1 };

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

/*
 * Bytes as text: printable ASCII but '\\' as is, the rest as \xHH; a
 * run of more than 60 bytes as its length and first byte ("[79 a]").
 */
static void
put_bytes(struct out *o, const uint8_t *p, size_t len)
{
	size_t i;

	if (len > 60) {
		put(o, "[%zu %c]", len, p[0]);
		return;
	}
	for (i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			put(o, "%c", p[i]);
		else
			put(o, "\\x%02x", p[i]);
	}
}

static void
render_ent(struct out *o, const struct mml_ent *e)
{
	const uint8_t *item;
	size_t off = 0, len, key_len;

	put(o, "%s{p%d", o->len > 0 ? " " : "", e->priority);
	if (e->tag_len > 0) {
		put(o, " t=");
		put_bytes(o, e->tag, e->tag_len);
	}
	put(o, " m=");
	put_bytes(o, e->msg, e->msg_len);
	while (mml_fields_next(e->fields, e->fields_len, &off, &item, &len,
	    &key_len) > 0) {
		put(o, " ");
		put_bytes(o, item, len);
	}
	put(o, "}");
}

static const char *const err_name[] = {
	[MML_STREAM_OK] = "ok",
	[MML_STREAM_E_UNTERMINATED] = "unterminated",
	[MML_STREAM_E_PRIORITY] = "priority",
	[MML_STREAM_E_LEVEL_PREFIX] = "level-prefix",
	[MML_STREAM_E_FORWARD_SYSLOG] = "forward-syslog",
	[MML_STREAM_E_FORWARD_KMSG] = "forward-kmsg",
	[MML_STREAM_E_FORWARD_CONSOLE] = "forward-console",
};

/*
 * Feeds in[0, len) to a new stream in chunks of chunk bytes, through a
 * buffer of exactly mml_stream_buf_size() bytes that keeps what each
 * call left, as the daemon does; the last chunk with eof ?
 * MML_STREAM_EOF : MML_STREAM_MORE.  Renders the entries, then "hdr"
 * if the header is not complete, "ERR(why)" for a refused header,
 * "unit=" and "fwd=" when set, "rest=N" for bytes kept at the end.
 */
static void
feed(struct out *o, const uint8_t *in, size_t len, size_t line_max,
    int privileged, int eof, size_t chunk)
{
	static uint8_t fb[1024];
	struct mml_stream *s;
	struct mml_ent e;
	uint8_t *buf;
	size_t cap, kept = 0, pos = 0, n, blen, off;
	int r = 0, last;

	s = mml_stream_new(line_max, privileged);
	ck_assert_ptr_nonnull(s);
	cap = mml_stream_buf_size(s);
	buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	o->len = 0;
	o->s[0] = '\0';
	for (;;) {
		/* The contract: the buffer always has room for a byte. */
		ck_assert_uint_lt(kept, cap);
		n = chunk;
		if (n > cap - kept)
			n = cap - kept;
		if (n > len - pos)
			n = len - pos;
		memcpy(buf + kept, in + pos, n);
		pos += n;
		blen = kept + n;
		last = pos == len;
		off = 0;
		for (;;) {
			mml_ent_init(&e, fb, sizeof(fb));
			r = mml_stream_next(s, buf, blen, &off, last && eof ?
			    MML_STREAM_EOF : MML_STREAM_MORE, &e);
			ck_assert_uint_le(off, blen);
			if (r != 1)
				break;
			ck_assert(e.msg >= buf && e.msg_len <= blen &&
			    (size_t)(e.msg - buf) <= blen - e.msg_len);
			ck_assert_uint_gt(e.msg_len, 0);
			render_ent(o, &e);
		}
		if (r < 0) {
			ck_assert_int_eq(r, -EBADMSG);
			put(o, "%sERR(%s)", o->len > 0 ? " " : "",
			    err_name[mml_stream_errno(s)]);
			break;
		}
		ck_assert_int_eq(r, 0);
		memmove(buf, buf + off, blen - off);
		kept = blen - off;
		if (last)
			break;
	}
	if (r == 0 && last && eof)
		ck_assert_uint_eq(kept, 0);
	if (r == 0 && !mml_stream_running(s))
		put(o, "%shdr", o->len > 0 ? " " : "");
	if (mml_stream_unit(s) != NULL)
		put(o, "%sunit=%s", o->len > 0 ? " " : "", mml_stream_unit(s));
	if (mml_stream_forward(s) != 0)
		put(o, "%sfwd=%u", o->len > 0 ? " " : "", mml_stream_forward(s));
	if (r == 0 && kept > 0)
		put(o, "%srest=%zu", o->len > 0 ? " " : "", kept);
	free(buf);
	s = mml_stream_free(s);
	ck_assert_ptr_null(s);
}

/*
 * One row: the whole input at once must render as want, and so must
 * every chunking of it.
 */
static void
stream_one(const char *name, const uint8_t *in, size_t len, size_t line_max,
    int privileged, int eof, const char *want)
{
	static const size_t chunks[] = { 1, 2, 3, 5, 7, 64, 256, 4093 };
	struct out whole, o;
	size_t i;

	feed(&whole, in, len, line_max, privileged, eof, len > 0 ? len : 1);
	ck_assert_msg(strcmp(whole.s, want) == 0, "%s:\n got  %s\n want %s",
	    name, whole.s, want);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		feed(&o, in, len, line_max, privileged, eof, chunks[i]);
		ck_assert_msg(strcmp(o.s, whole.s) == 0,
		    "%s, chunks of %zu:\n got  %s\n want %s", name, chunks[i],
		    o.s, whole.s);
	}
}

#define LM	MML_STREAM_LINE_MAX_DEFAULT

static const struct {
	const char	*name;
	const uint8_t	*in;
	size_t		 len;
	size_t		 line_max;
	int		 privileged;
	int		 eof;
	const char	*want;
} rows[] = {
	/* Captured: echo "hello from systemd-cat" | systemd-cat -t catty -p warning */
	{ "captured systemd-cat -t -p", B("catty\n\n4\n1\n0\n0\n0\n"
	    "hello from systemd-cat\n"), LM, 0, EOF_,
	    "{p4 t=catty m=hello from systemd-cat}" },
	/*
	 * Captured: printf "<3>err line\nplain\r\n\n" | systemd-cat
	 * --level-prefix=true (no -t: an empty identifier line).
	 */
	{ "captured systemd-cat level prefix", B("\n\n6\n1\n0\n0\n0\n"
	    "<3>err line\nplain\r\n\n"), LM, 0, EOF_,
	    "{p3 m=err line} {p6 m=plain\\x0d}" },
	/* Captured: systemd-cat -t ctag2 echo via exec */
	{ "captured systemd-cat CMD", B("ctag2\n\n6\n1\n0\n0\n0\nvia exec\n"),
	    LM, 0, EOF_, "{p6 t=ctag2 m=via exec}" },
	/*
	 * Captured: systemd-cat -t t3 -p err --stderr-priority=warning
	 * --level-prefix=false sh -c "echo out; echo err >&2; printf
	 * noeol": two connections, stdout's then stderr's.
	 */
	{ "captured systemd-cat stdout", B("t3\n\n3\n0\n0\n0\n0\nout\nnoeol"),
	    LM, 0, EOF_, "{p3 t=t3 m=out} {p3 t=t3 m=noeol _LINE_BREAK=eof}" },
	{ "captured systemd-cat stderr", B("t3\n\n4\n0\n0\n0\n0\nerr\n"), LM,
	    0, EOF_, "{p4 t=t3 m=err}" },

	/* Short headers. */
	{ "nothing", B(""), LM, 0, EOF_, "hdr" },
	{ "header lines missing", B("t\n\n6\n"), LM, 0, EOF_, "hdr" },
	{ "header line cut by EOF", B("t\n\n6\n1"), LM, 0, EOF_,
	    "ERR(unterminated)" },
	{ "header line to come", B("t\n\n6\n1"), LM, 0, MORE, "hdr rest=1" },
	{ "header only", B(HDR), LM, 0, EOF_, "" },
	{ "header line ended by NUL", B("t\0\n\n6\n1\n0\n0\n0\nx\n"), LM, 0,
	    EOF_, "ERR(unterminated)" },
	{ "header never ends", B(A100 A100 A100), LM, 0, MORE,
	    "ERR(unterminated)" },
	{ "CRLF header", B("t\r\n\r\n6\r\n1\r\n0\r\n0\r\n0\r\nx\r\n"), LM, 0,
	    EOF_, "{p6 t=t m=x\\x0d}" },
	{ "identifier stripped", B(" \tmy app \r\n\n6\n1\n0\n0\n0\nx\n"), LM,
	    0, EOF_, "{p6 t=my app m=x}" },
	{ "identifier of blanks", B(" \t \n\n6\n1\n0\n0\n0\nx\n"), LM, 0,
	    EOF_, "{p6 m=x}" },

	/* The priority line: safe_atoi(), 0 to 999. */
	{ "priority x", B("t\n\nx\n1\n0\n0\n0\n"), LM, 0, EOF_,
	    "ERR(priority)" },
	{ "priority empty", B("t\n\n\n1\n0\n0\n0\n"), LM, 0, EOF_,
	    "ERR(priority)" },
	{ "priority 1000", B("t\n\n1000\n1\n0\n0\n0\n"), LM, 0, EOF_,
	    "ERR(priority)" },
	{ "priority -1", B("t\n\n-1\n1\n0\n0\n0\n"), LM, 0, EOF_,
	    "ERR(priority)" },
	{ "priority 6x", B("t\n\n6x\n1\n0\n0\n0\n"), LM, 0, EOF_,
	    "ERR(priority)" },
	{ "priority 6 6", B("t\n\n6 6\n1\n0\n0\n0\n"), LM, 0, EOF_,
	    "ERR(priority)" },
	{ "priority 0x", B("t\n\n0x\n1\n0\n0\n0\n"), LM, 0, EOF_,
	    "ERR(priority)" },
	{ "priority 2^32+6", B("t\n\n4294967302\n1\n0\n0\n0\n"), LM, 0, EOF_,
	    "ERR(priority)" },
	{ "priority padded", B("t\n\n \t6 \n1\n0\n0\n0\nx\n"), LM, 0, EOF_,
	    "{p6 t=t m=x}" },
	{ "priority +5", B("t\n\n+5\n1\n0\n0\n0\nx\n"), LM, 0, EOF_,
	    "{p5 t=t m=x}" },
	{ "priority -0", B("t\n\n-0\n1\n0\n0\n0\nx\n"), LM, 0, EOF_,
	    "{p0 t=t m=x}" },
	{ "priority hex", B("t\n\n0x10\n1\n0\n0\n0\nx\n"), LM, 0, EOF_,
	    "{p0 t=t m=x SYSLOG_FACILITY=2}" },
	{ "priority octal", B("t\n\n010\n1\n0\n0\n0\nx\n"), LM, 0, EOF_,
	    "{p0 t=t m=x SYSLOG_FACILITY=1}" },
	{ "priority 0b", B("t\n\n0b11\n1\n0\n0\n0\nx\n"), LM, 0, EOF_,
	    "{p3 t=t m=x}" },
	{ "priority 0o", B("t\n\n0o17\n1\n0\n0\n0\nx\n"), LM, 0, EOF_,
	    "{p7 t=t m=x SYSLOG_FACILITY=1}" },
	{ "priority 08", B("t\n\n08\n1\n0\n0\n0\n"), LM, 0, EOF_,
	    "ERR(priority)" },
	/* local0.info: 16 * 8 + 6; a level prefix keeps the facility. */
	{ "priority with facility", B("t\n\n134\n1\n0\n0\n0\n<3>x\ny\n"), LM,
	    0, EOF_, "{p3 t=t m=x SYSLOG_FACILITY=16} "
	    "{p6 t=t m=y SYSLOG_FACILITY=16}" },
	{ "priority 999", B("t\n\n999\n1\n0\n0\n0\nx\n"), LM, 0, EOF_,
	    "{p7 t=t m=x SYSLOG_FACILITY=124}" },

	/* The boolean lines, each bad in turn. */
	{ "level prefix 2", B("t\n\n6\n2\n0\n0\n0\n"), LM, 0, EOF_,
	    "ERR(level-prefix)" },
	{ "level prefix empty", B("t\n\n6\n\n0\n0\n0\n"), LM, 0, EOF_,
	    "ERR(level-prefix)" },
	{ "forward to syslog maybe", B("t\n\n6\n1\nmaybe\n0\n0\n"), LM, 0,
	    EOF_, "ERR(forward-syslog)" },
	{ "forward to kmsg 00", B("t\n\n6\n1\n0\n00\n0\n"), LM, 0, EOF_,
	    "ERR(forward-kmsg)" },
	{ "forward to console yess", B("t\n\n6\n1\n0\n0\nyess\n"), LM, 0,
	    EOF_, "ERR(forward-console)" },
	{ "booleans spelt", B("t\n\n6\nYES\nOn\nt\n y \nx\n"), LM, 0, EOF_,
	    "{p6 t=t m=x} fwd=7" },
	{ "booleans off", B("t\n\n6\nfalse\noff\nN\nf\n<3>x\n"), LM, 0, EOF_,
	    "{p6 t=t m=<3>x}" },

	/* The unit id: only from a privileged peer, only a valid name. */
	{ "unit from root", B("t\nfoo.service\n6\n1\n0\n0\n0\n"), LM, 1, EOF_,
	    "unit=foo.service" },
	{ "unit from a user", B("t\nfoo.service\n6\n1\n0\n0\n0\n"), LM, 0,
	    EOF_, "" },
	{ "unit stripped", B("t\n foo.service \n6\n1\n0\n0\n0\n"), LM, 1,
	    EOF_, "unit=foo.service" },
	{ "unit instance", B("t\nfoo@bar:1.service\n6\n1\n0\n0\n0\n"), LM, 1,
	    EOF_, "unit=foo@bar:1.service" },
	{ "unit two @", B("t\na@b@c.scope\n6\n1\n0\n0\n0\n"), LM, 1,
	    EOF_, "unit=a@b@c.scope" },
	{ "unit dots", B("t\na.b.socket\n6\n1\n0\n0\n0\n"), LM, 1, EOF_,
	    "unit=a.b.socket" },
	{ "unit template", B("t\nfoo@.service\n6\n1\n0\n0\n0\n"), LM, 1,
	    EOF_, "" },
	{ "unit no prefix", B("t\n@bar.service\n6\n1\n0\n0\n0\n"), LM, 1,
	    EOF_, "" },
	{ "unit no type", B("t\nfoo\n6\n1\n0\n0\n0\n"), LM, 1, EOF_, "" },
	{ "unit unknown type", B("t\nfoo.bogus\n6\n1\n0\n0\n0\n"), LM, 1,
	    EOF_, "" },
	{ "unit type only", B("t\n.service\n6\n1\n0\n0\n0\n"), LM, 1, EOF_,
	    "" },
	{ "unit blank inside", B("t\nfoo bar.service\n6\n1\n0\n0\n0\n"), LM, 1,
	    EOF_, "" },
	{ "unit type upper case", B("t\nfoo.SERVICE\n6\n1\n0\n0\n0\n"), LM, 1,
	    EOF_, "" },

	/* Level prefixes: journald's syslog_parse_priority(, false). */
	{ "prefixes", B(HDR "<7>a\n<0>b\n<03>c\n<003>d\n<0003>e\n<8>f\n<13>g\n"
	    "<>h\n< 1>i\n<1 >j\n<3> k\n<3><4>l\n"), LM, 0, EOF_,
	    "{p7 t=t m=a} {p0 t=t m=b} {p3 t=t m=c} {p3 t=t m=d} "
	    "{p6 t=t m=<0003>e} {p6 t=t m=<8>f} {p6 t=t m=<13>g} "
	    "{p6 t=t m=<>h} {p6 t=t m=< 1>i} {p6 t=t m=<1 >j} {p3 t=t m= k} "
	    "{p3 t=t m=<4>l}" },
	{ "prefix alone", B(HDR "<3>\n<3>x\n"), LM, 0, EOF_, "{p3 t=t m=x}" },
	{ "prefix unterminated", B(HDR "<3\n"), LM, 0, EOF_, "{p6 t=t m=<3}" },

	/* Lines. */
	{ "empty lines", B(HDR "\n\n\nx\n\n"), LM, 0, EOF_, "{p6 t=t m=x}" },
	{ "blanks kept", B(HDR "  x \t\n"), LM, 0, EOF_,
	    "{p6 t=t m=  x \\x09}" },
	{ "NUL ends a line", B(HDR "a\0b\n"), LM, 0, EOF_,
	    "{p6 t=t m=a _LINE_BREAK=nul} {p6 t=t m=b}" },
	{ "NULs only", B(HDR "\0\0x\0"), LM, 0, EOF_,
	    "{p6 t=t m=x _LINE_BREAK=nul}" },
	{ "CRLF", B(HDR "a\r\nb\r\n"), LM, 0, EOF_,
	    "{p6 t=t m=a\\x0d} {p6 t=t m=b\\x0d}" },
	{ "bytes as sent", B(HDR "\x1b[1mbold\xff\xfe\n"), LM, 0, EOF_,
	    "{p6 t=t m=\\x1b[1mbold\\xff\\xfe}" },
	{ "last line at EOF", B(HDR "a\nb"), LM, 0, EOF_,
	    "{p6 t=t m=a} {p6 t=t m=b _LINE_BREAK=eof}" },
	{ "last line kept", B(HDR "a\nb"), LM, 0, MORE, "{p6 t=t m=a} rest=1" },
	{ "prefix only at EOF", B(HDR "<3>"), LM, 0, EOF_, "" },

	/* Long lines, at the least LineMax= journald takes (79). */
	{ "line of line_max - 1", B(HDR A79 "\n"), 80, 0, EOF_,
	    "{p6 t=t m=[79 a]}" },
	{ "line of line_max", B(HDR A79 "\n"), 79, 0, EOF_,
	    "{p6 t=t m=[79 a] _LINE_BREAK=line-max}" },
	{ "line split", B(HDR A100 A100 "\n"), 79, 0, EOF_,
	    "{p6 t=t m=[79 a] _LINE_BREAK=line-max} "
	    "{p6 t=t m=[79 a] _LINE_BREAK=line-max} "
	    "{p6 t=t m=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}" },
	{ "line_max below the least", B(HDR A79 "\n"), 10, 0, EOF_,
	    "{p6 t=t m=[79 a] _LINE_BREAK=line-max}" },
	{ "prefix after a split", B(HDR A79 "<3>b\n"), 79, 0, EOF_,
	    "{p6 t=t m=[79 a] _LINE_BREAK=line-max} {p3 t=t m=b}" },
	{ "endless line", B(HDR A79 A79 A79 "aaaaa"), 79, 0, MORE,
	    "{p6 t=t m=[79 a] _LINE_BREAK=line-max} "
	    "{p6 t=t m=[79 a] _LINE_BREAK=line-max} "
	    "{p6 t=t m=[79 a] _LINE_BREAK=line-max} rest=5" },
	{ "endless line, EOF", B(HDR A79 A79 A79 "aaaaa"), 79, 0, EOF_,
	    "{p6 t=t m=[79 a] _LINE_BREAK=line-max} "
	    "{p6 t=t m=[79 a] _LINE_BREAK=line-max} "
	    "{p6 t=t m=[79 a] _LINE_BREAK=line-max} "
	    "{p6 t=t m=aaaaa _LINE_BREAK=eof}" },
	/* The header's limit is 255 whatever line_max is. */
	{ "header line at 79", B(A100 "\n\n6\n1\n0\n0\n0\nx\n"), 79, 0, EOF_,
	    "{p6 t=[100 a] m=x}" },
};

START_TEST(test_rows)
{
	stream_one(rows[_i].name, rows[_i].in, rows[_i].len,
	    rows[_i].line_max, rows[_i].privileged, rows[_i].eof,
	    rows[_i].want);
}
END_TEST

/* A header line holds 254 bytes and its '\n'; one more is refused. */
START_TEST(test_header_line_max)
{
	static uint8_t in[600];
	struct out o;
	char want[600];
	size_t n;

	memset(in, 'i', 254);
	n = 254;
	memcpy(in + n, "\n\n6\n1\n0\n0\n0\nx\n", 15);
	(void)snprintf(want, sizeof(want), "{p6 t=[254 i] m=x}");
	stream_one("254", in, n + 15, LM, 0, EOF_, want);

	memset(in, 'i', 255);
	n = 255;
	memcpy(in + n, "\n\n6\n1\n0\n0\n0\nx\n", 15);
	stream_one("255", in, n + 15, LM, 0, EOF_, "ERR(unterminated)");
	feed(&o, in, 255, LM, 0, MORE, 255);
	ck_assert_str_eq(o.s, "ERR(unterminated)");
	feed(&o, in, 254, LM, 0, MORE, 254);
	ck_assert_str_eq(o.s, "hdr rest=254");
}
END_TEST

/* After a refused header, every call refuses, whatever it is given. */
START_TEST(test_error_sticky)
{
	static const uint8_t bad[] = "t\n\nx\n", good[] = "y\n";
	uint8_t fb[256];
	struct mml_stream *s;
	struct mml_ent e;
	size_t off = 0;

	s = mml_stream_new(LM, 0);
	ck_assert_ptr_nonnull(s);
	mml_ent_init(&e, fb, sizeof(fb));
	ck_assert_int_eq(mml_stream_next(s, bad, sizeof(bad) - 1, &off,
	    MML_STREAM_MORE, &e), -EBADMSG);
	ck_assert_int_eq(mml_stream_errno(s), MML_STREAM_E_PRIORITY);
	ck_assert_str_eq(mml_stream_strerror(mml_stream_errno(s)),
	    "priority line is not a number from 0 to 999");
	off = 0;
	ck_assert_int_eq(mml_stream_next(s, good, sizeof(good) - 1, &off,
	    MML_STREAM_EOF, &e), -EBADMSG);
	ck_assert_uint_eq(off, 0);
	ck_assert_int_eq(mml_stream_running(s), 0);
	mml_stream_free(s);
}
END_TEST

/*
 * Another pid's bytes: the caller flushes what it kept first, then
 * goes on with the new bytes; a flush in the header refuses it, as
 * journald's does ("not properly terminated").
 */
START_TEST(test_pid_change)
{
	static const uint8_t in[] = HDR "first part";
	uint8_t fb[256], buf[64];
	struct mml_stream *s;
	struct mml_ent e;
	size_t off = 0, len;

	s = mml_stream_new(LM, 0);
	mml_ent_init(&e, fb, sizeof(fb));
	ck_assert_int_eq(mml_stream_next(s, in, sizeof(in) - 1, &off,
	    MML_STREAM_MORE, &e), 0);
	ck_assert_uint_eq(off, sizeof(HDR) - 1);
	ck_assert_int_eq(mml_stream_next(s, in, sizeof(in) - 1, &off,
	    MML_STREAM_PID_CHANGE, &e), 1);
	ck_assert_uint_eq(off, sizeof(in) - 1);
	ck_assert_uint_eq(e.msg_len, 10);
	ck_assert_mem_eq(e.msg, "first part", 10);
	ck_assert_uint_eq(e.fields_len, 4 + strlen("_LINE_BREAK=pid-change"));
	ck_assert_mem_eq(e.fields + 4, "_LINE_BREAK=pid-change", 22);
	mml_ent_init(&e, fb, sizeof(fb));
	ck_assert_int_eq(mml_stream_next(s, in, sizeof(in) - 1, &off,
	    MML_STREAM_PID_CHANGE, &e), 0);

	/* The tag lives in the stream, not in the caller's buffer. */
	len = (size_t)snprintf((char *)buf, sizeof(buf), "second\n");
	off = 0;
	mml_ent_init(&e, fb, sizeof(fb));
	ck_assert_int_eq(mml_stream_next(s, buf, len, &off, MML_STREAM_MORE,
	    &e), 1);
	ck_assert_uint_eq(e.tag_len, 1);
	ck_assert_mem_eq(e.tag, "t", 1);
	ck_assert_uint_eq(e.fields_len, 0);
	s = mml_stream_free(s);

	s = mml_stream_new(LM, 0);
	off = 0;
	ck_assert_int_eq(mml_stream_next(s, (const uint8_t *)"ta", 2, &off,
	    MML_STREAM_PID_CHANGE, &e), -EBADMSG);
	ck_assert_int_eq(mml_stream_errno(s), MML_STREAM_E_UNTERMINATED);
	s = mml_stream_free(s);
}
END_TEST

/*
 * What the daemon keeps of a stream for after a restart: for every row
 * whose header completes, its saved header (mml_stream_header()) in
 * place of the header sent must give the same entries, unit and flags.
 */
START_TEST(test_header_saved)
{
	uint8_t fb[256], saved[MML_STREAM_HEADER_SAVE_MAX], *in2;
	struct out a, b;
	struct mml_stream *s;
	struct mml_ent e;
	size_t hend = 0, off = 0, n, len = rows[_i].len;
	int lines = 0;

	while (hend < len && lines < 7)
		if (rows[_i].in[hend++] == '\n')
			lines++;
	s = mml_stream_new(rows[_i].line_max, rows[_i].privileged);
	mml_ent_init(&e, fb, sizeof(fb));
	if (lines < 7 || mml_stream_next(s, rows[_i].in, hend, &off,
	    MML_STREAM_MORE, &e) != 0 || !mml_stream_running(s)) {
		ck_assert_uint_eq(mml_stream_header(s, saved, sizeof(saved)), 0);
		s = mml_stream_free(s);
		return;
	}
	n = mml_stream_header(s, saved, sizeof(saved));
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(mml_stream_header(s, saved, n - 1), 0);
	s = mml_stream_free(s);
	in2 = malloc(n + len - hend + 1);
	ck_assert_ptr_nonnull(in2);
	memcpy(in2, saved, n);
	memcpy(in2 + n, rows[_i].in + hend, len - hend);
	feed(&a, rows[_i].in, len, rows[_i].line_max, rows[_i].privileged,
	    rows[_i].eof, len > 0 ? len : 1);
	feed(&b, in2, n + len - hend, rows[_i].line_max, rows[_i].privileged,
	    rows[_i].eof, n + len - hend);
	ck_assert_msg(strcmp(a.s, b.s) == 0, "%s:\n saved %s\n sent  %s",
	    rows[_i].name, b.s, a.s);
	free(in2);
}
END_TEST

START_TEST(test_buf_size)
{
	struct mml_stream *s;

	s = mml_stream_new(79, 0);
	ck_assert_uint_eq(mml_stream_buf_size(s), MML_STREAM_HEADER_LINE_MAX);
	s = mml_stream_free(s);
	s = mml_stream_new(0, 0);
	ck_assert_uint_eq(mml_stream_buf_size(s), MML_STREAM_HEADER_LINE_MAX);
	s = mml_stream_free(s);
	s = mml_stream_new(LM, 1);
	ck_assert_uint_eq(mml_stream_buf_size(s), LM);
	ck_assert_ptr_null(mml_stream_unit(s));
	s = mml_stream_free(s);
	ck_assert_ptr_null(mml_stream_free(NULL));
}
END_TEST

Suite *
stream_suite(void)
{
	Suite *s = suite_create("stream");
	TCase *tc;

	tc = tcase_create("rows");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_rows, 0, sizeof(rows) / sizeof(rows[0]));
	tcase_add_loop_test(tc, test_header_saved, 0,
	    sizeof(rows) / sizeof(rows[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("state");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_header_line_max);
	tcase_add_test(tc, test_error_sticky);
	tcase_add_test(tc, test_pid_change);
	tcase_add_test(tc, test_buf_size);
	suite_add_tcase(s, tc);
	return s;
}
