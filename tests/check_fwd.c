/*
 * check_fwd.c: mmlog-forward's RFC 5424 formatter and URL parser
 * (client/forward/msg.c) and its RELP frames (client/forward/relp.c).
 *
 * The escapes of SD-PARAM values, from a table; whole messages compared
 * byte for byte with what RFC 5424 says they must be; the time across
 * seconds; loss notices, as messages and as journal entries; a table of
 * destinations, good and bad; names the formatter must refuse; a table
 * of RELP frames a server may send, whole, cut short and malformed.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fwd.h"

struct esc_case {
	const char *in;
	size_t in_len;
	const char *out;
};

#define S(s)	s, sizeof(s) - 1

static const struct esc_case esc_cases[] = {
	{ S(""), "" },
	{ S("plain"), "plain" },
	{ S("a\"b"), "a\\\"b" },
	{ S("]"), "\\]" },
	{ S("\\"), "\\\\" },
	{ S("x=[y]"), "x=[y\\]" },		/* '[' and '=' stay */
	{ S("\xc3\xa9t\xc3\xa9"), "\xc3\xa9t\xc3\xa9" },	/* UTF-8 stays */
	{ S("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80" },	/* 4 bytes */
	{ S("\xff"), "\xef\xbf\xbd" },		/* never UTF-8 */
	{ S("\xc0\x80"), "\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong NUL */
	{ S("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ S("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd" },	/* cut short */
	{ S("\xf4\x90\x80\x80"),			/* above U+10FFFF */
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	{ S("a\0b"), "a\0b" },			/* NUL is UTF-8 */
};

START_TEST(test_sd_escape)
{
	const struct esc_case *c = &esc_cases[_i];
	uint8_t out[64];
	size_t n, want = strlen(c->out);

	/* "a\0b": strlen stops at the NUL. */
	if (c->in_len == 3 && c->in[1] == '\0')
		want = 3;
	n = mml_fwd_sd_escape(out, (const uint8_t *)c->in, c->in_len);
	ck_assert_uint_le(n, 3 * c->in_len);
	ck_assert_uint_eq(n, want);
	ck_assert(memcmp(out, c->out, n) == 0);
}
END_TEST

/* A record as the iterator hands it out, pointing into buf. */
static void
make_rec(struct mml_rec *rec, uint8_t *buf, const char *comm,
    const char *tag, size_t tag_len, const char *msg, const uint8_t *fields,
    size_t fields_len)
{
	size_t off = 0;

	memset(rec, 0, sizeof(*rec));
	rec->hdr.type = MML_REC_ENTRY;
	rec->hdr.priority = 3;
	rec->hdr.seq = 42;
	/* 2026-11-22T22:55:33.000123Z */
	rec->hdr.realtime_usec = UINT64_C(1795388133) * 1000000 + 123;
	rec->hdr.pid = 4711;
	rec->hdr.uid = 1000;
	rec->hdr.gid = 100;
	rec->hdr.comm_len = (uint8_t)strlen(comm);
	rec->hdr.tag_len = (uint16_t)tag_len;
	rec->hdr.msg_len = (uint32_t)strlen(msg);
	rec->hdr.fields_len = (uint32_t)fields_len;
	rec->comm = buf + off;
	memcpy(buf + off, comm, strlen(comm));
	off += strlen(comm);
	rec->tag = buf + off;
	memcpy(buf + off, tag, tag_len);
	off += tag_len;
	rec->msg = buf + off;
	memcpy(buf + off, msg, strlen(msg));
	off += strlen(msg);
	rec->fields = buf + off;
	if (fields_len > 0)
		memcpy(buf + off, fields, fields_len);
}

static const uint8_t ring_id[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
    0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 };

START_TEST(test_format)
{
	static const uint8_t fields[] =
	    "\x0a\0\0\0" "KEY=v\"a]l\\"
	    "\x2a\0\0\0" "A_KEY_OF_FORTY_BYTES_WHICH_IS_TOO_LONG_X=1"
	    "\x04\0\0\0" "E=x=";
	static const char want[] =
	    "<11>1 2026-11-22T22:55:33.000123Z host.example app 4711 - "
	    "[mmlog@32473 seq=\"42\" ring=\"0123456789abcdeffedcba9876543210\""
	    " pid=\"4711\" uid=\"1000\" gid=\"100\" comm=\"my\\\"prog\""
	    " KEY=\"v\\\"a\\]l\\\\\""
	    " field=\"A_KEY_OF_FORTY_BYTES_WHICH_IS_TOO_LONG_X=1\""
	    " E=\"x=\"] hello world";
	struct mml_fwd_msg_ctx ctx;
	struct mml_fwd_buf b = { NULL, 0, 0 };
	struct mml_rec rec;
	uint8_t buf[512];
	int n;

	ck_assert_int_eq(mml_fwd_msg_ctx_init(&ctx, "host.example", NULL,
	    ring_id, 1), 0);
	make_rec(&rec, buf, "my\"prog", "app", 3, "hello world", fields,
	    sizeof(fields) - 1);
	n = mml_fwd_msg_format(&b, &ctx, &rec);
	ck_assert_int_eq(n, (int)sizeof(want) - 1);
	ck_assert_int_eq((int)b.len, n);
	ck_assert(memcmp(b.p, want, b.len) == 0);
	mml_fwd_buf_free(&b);
}
END_TEST

/* HEADER fields: APP-NAME made of PRINTUSASCII, nil when empty. */
START_TEST(test_format_header)
{
	static const char want_sp[] = "<11>1 2026-11-22T22:55:33.000123Z h "
	    "a_b_c 4711 - [mmlog@32473 seq=\"42\" ring=\""
	    "0123456789abcdeffedcba9876543210\" pid=\"4711\" uid=\"1000\" "
	    "gid=\"100\" daemon=\"1\" comm=\"\"]";
	struct mml_fwd_msg_ctx ctx;
	struct mml_fwd_buf b = { NULL, 0, 0 };
	struct mml_rec rec;
	uint8_t buf[512];
	char tag[100];
	int n;

	ck_assert_int_eq(mml_fwd_msg_ctx_init(&ctx, "h", NULL, ring_id, 1),
	    0);
	/* Space and a control byte in the tag; no message: no MSG. */
	make_rec(&rec, buf, "", "a b\nc", 5, "", NULL, 0);
	rec.hdr.flags = MML_REC_F_DAEMON;
	n = mml_fwd_msg_format(&b, &ctx, &rec);
	ck_assert_int_eq(n, (int)sizeof(want_sp) - 1);
	ck_assert(memcmp(b.p, want_sp, b.len) == 0);
	/* Empty tag: the NILVALUE. */
	make_rec(&rec, buf, "", "", 0, "m", NULL, 0);
	(void)mml_fwd_msg_format(&b, &ctx, &rec);
	ck_assert(memmem(b.p, b.len, " h - 4711 - [", 13) != NULL);
	/* A long tag is cut at 48 bytes. */
	memset(tag, 'x', sizeof(tag));
	make_rec(&rec, buf, "", tag, sizeof(tag), "m", NULL, 0);
	(void)mml_fwd_msg_format(&b, &ctx, &rec);
	ck_assert(memmem(b.p, b.len, " h xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
	    "4711 ", 56) != NULL);
	/* Facility local3, priority debug: 19 * 8 + 7. */
	ck_assert_int_eq(mml_fwd_msg_ctx_init(&ctx, "h", "x@1", ring_id,
	    19), 0);
	rec.hdr.priority = 7;
	(void)mml_fwd_msg_format(&b, &ctx, &rec);
	ck_assert(memcmp(b.p, "<159>1 ", 7) == 0);
	ck_assert(memmem(b.p, b.len, "[x@1 seq=", 9) != NULL);
	mml_fwd_buf_free(&b);
}
END_TEST

START_TEST(test_lost)
{
	static const char want[] = "<12>1 2026-11-22T22:55:33.000123Z h "
	    "mmlog-forward 99 - [mmlogLost@32473 ring=\""
	    "0123456789abcdeffedcba9876543210\" first=\"7\" count=\"3\" "
	    "reason=\"overwritten\"] 3 entries from seq 7 overwritten in the "
	    "ring before they were forwarded";
	struct mml_fwd_msg_ctx ctx;
	struct mml_fwd_buf b = { NULL, 0, 0 };
	int n;

	ck_assert_int_eq(mml_fwd_msg_ctx_init(&ctx, "h", NULL, ring_id, 1),
	    0);
	n = mml_fwd_msg_lost(&b, &ctx, 7, 3, 0, 99,
	    UINT64_C(1795388133) * 1000000 + 123);
	ck_assert_int_eq(n, (int)sizeof(want) - 1);
	ck_assert(memcmp(b.p, want, b.len) == 0);
	(void)mml_fwd_msg_lost(&b, &ctx, 1, 1, 1, 99, 0);
	ck_assert(memmem(b.p, b.len, "reason=\"damaged\"] 1 entry from "
	    "seq 1 skipped", 41) != NULL);
	mml_fwd_buf_free(&b);
}
END_TEST

/* Names RFC 5424 would not accept are refused. */
START_TEST(test_ctx_refused)
{
	struct mml_fwd_msg_ctx ctx;

	ck_assert_int_eq(mml_fwd_msg_ctx_init(&ctx, "a b", NULL, ring_id, 1),
	    -EINVAL);
	ck_assert_int_eq(mml_fwd_msg_ctx_init(&ctx, "", NULL, ring_id, 1),
	    -EINVAL);
	ck_assert_int_eq(mml_fwd_msg_ctx_init(&ctx, "h", "noat", ring_id, 1),
	    -EINVAL);
	ck_assert_int_eq(mml_fwd_msg_ctx_init(&ctx, "h", "a b@1", ring_id,
	    1), -EINVAL);
	ck_assert_int_eq(mml_fwd_msg_ctx_init(&ctx, "h",
	    "x@1234567890123456789012345678901", ring_id, 1), -EINVAL);
	ck_assert_int_eq(mml_fwd_msg_ctx_init(&ctx, "h", NULL, ring_id, 24),
	    -EINVAL);
	ck_assert_int_eq(mml_fwd_msg_ctx_init(&ctx, NULL, NULL, ring_id, 1),
	    0);
	ck_assert(ctx.host[0] != '\0');
	ck_assert(strchr(ctx.host, ' ') == NULL);
}
END_TEST

struct url_case {
	const char *url;
	int ok;
	enum mml_fwd_proto proto;
	const char *host;
	const char *port;
};

static const struct url_case url_cases[] = {
	{ "relp://collector.example:2514", 1, MML_FWD_RELP,
	    "collector.example", "2514" },
	{ "relp+tls://10.0.0.1:6514", 1, MML_FWD_RELP_TLS, "10.0.0.1",
	    "6514" },
	{ "tcp://[::1]:514", 1, MML_FWD_TCP, "::1", "514" },
	{ "tcp://h:65535", 1, MML_FWD_TCP, "h", "65535" },
	{ "udp://h:514", 0, 0, NULL, NULL },
	{ "relp://h", 0, 0, NULL, NULL },
	{ "relp://:514", 0, 0, NULL, NULL },
	{ "relp://h:", 0, 0, NULL, NULL },
	{ "relp://h:0", 0, 0, NULL, NULL },
	{ "relp://h:65536", 0, 0, NULL, NULL },
	{ "relp://h:123456", 0, 0, NULL, NULL },
	{ "relp://h:5x", 0, 0, NULL, NULL },
	{ "relp://h:-1", 0, 0, NULL, NULL },
	{ "relp://a:b:1", 0, 0, NULL, NULL },
	{ "relp://::1:514", 0, 0, NULL, NULL },
	{ "relp://[::1]514", 0, 0, NULL, NULL },
	{ "relp://h h:514", 0, 0, NULL, NULL },
	{ "relp://u@h:514", 0, 0, NULL, NULL },
	{ "relp://h/x:514", 0, 0, NULL, NULL },
	{ "relp://h:514/upload", 0, 0, NULL, NULL },
	{ "RELP://h:514", 0, 0, NULL, NULL },
	{ "", 0, 0, NULL, NULL },
	/* HTTP: journal-remote's port and /upload unless given. */
	{ "http://logs.example", 1, MML_FWD_HTTP, "logs.example", "19532" },
	{ "https://logs.example:443", 1, MML_FWD_HTTPS, "logs.example",
	    "443" },
	{ "http://[::1]", 1, MML_FWD_HTTP, "::1", "19532" },
	{ "http://[::1]:8080/in/upload", 1, MML_FWD_HTTP, "::1", "8080" },
	{ "http://h/", 1, MML_FWD_HTTP, "h", "19532" },
	{ "http://:80", 0, 0, NULL, NULL },
	{ "http://h:/upload", 0, 0, NULL, NULL },
	{ "http://h:0", 0, 0, NULL, NULL },
	{ "http://u@h", 0, 0, NULL, NULL },
	{ "http://h/a b", 0, 0, NULL, NULL },
	{ "http://h/a#b", 0, 0, NULL, NULL },
	{ "http://a:b:1", 0, 0, NULL, NULL },
	{ "http://[::1", 0, 0, NULL, NULL },
	{ "http://", 0, 0, NULL, NULL },
};

/* The path of each good HTTP case above. */
static const struct {
	const char *url;
	const char *path;
} http_paths[] = {
	{ "http://logs.example", "/upload" },
	{ "http://[::1]:8080/in/upload", "/in/upload" },
	{ "http://h/", "/" },
};

START_TEST(test_dest_parse)
{
	const struct url_case *c = &url_cases[_i];
	struct mml_fwd_dest d;

	memset(&d, 0x5a, sizeof(d));
	if (!c->ok) {
		ck_assert_msg(mml_fwd_dest_parse(c->url, &d) == -EINVAL,
		    "accepted '%s'", c->url);
		return;
	}
	ck_assert_msg(mml_fwd_dest_parse(c->url, &d) == 0, "refused '%s'",
	    c->url);
	ck_assert_int_eq(d.proto, c->proto);
	ck_assert_str_eq(d.host, c->host);
	ck_assert_str_eq(d.port, c->port);
	ck_assert_int_eq(mml_fwd_dest_acked(&d), c->proto != MML_FWD_TCP);
}
END_TEST

START_TEST(test_dest_path)
{
	struct mml_fwd_dest d;
	size_t i;

	for (i = 0; i < sizeof(http_paths) / sizeof(http_paths[0]); i++) {
		ck_assert_int_eq(mml_fwd_dest_parse(http_paths[i].url, &d), 0);
		ck_assert_str_eq(d.path, http_paths[i].path);
	}
}
END_TEST

/* The time of consecutive messages: the cached second must not stick. */
START_TEST(test_format_time)
{
	static const struct {
		uint64_t usec;
		const char *want;
	} times[] = {
		{ UINT64_C(1795388133) * 1000000 + 123,
		    "2026-11-22T22:55:33.000123Z" },
		{ UINT64_C(1795388133) * 1000000 + 999999,
		    "2026-11-22T22:55:33.999999Z" },
		{ UINT64_C(1795388134) * 1000000,
		    "2026-11-22T22:55:34.000000Z" },
		{ UINT64_C(1795388133) * 1000000 + 5,
		    "2026-11-22T22:55:33.000005Z" },
		{ UINT64_C(951782400) * 1000000 + 7,
		    "2000-02-29T00:00:00.000007Z" },
		{ 0, "1970-01-01T00:00:00.000000Z" },
	};
	struct mml_fwd_msg_ctx ctx;
	struct mml_fwd_buf b = { NULL, 0, 0 };
	struct mml_rec rec;
	uint8_t buf[512];
	size_t i;

	ck_assert_int_eq(mml_fwd_msg_ctx_init(&ctx, "h", NULL, ring_id, 1),
	    0);
	make_rec(&rec, buf, "c", "t", 1, "m", NULL, 0);
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		rec.hdr.realtime_usec = times[i].usec;
		ck_assert_int_gt(mml_fwd_msg_format(&b, &ctx, &rec), 0);
		/* After "<11>1 ". */
		ck_assert_msg(b.len > 33 && memcmp(b.p + 6, times[i].want,
		    27) == 0, "case %zu: %.27s", i, (const char *)b.p + 6);
	}
	mml_fwd_buf_free(&b);
}
END_TEST

/* A notice as a journal entry: the fields a reader looks for. */
START_TEST(test_lost_rec)
{
	static const char want_fields[] =
	    "\x13\0\0\0" "MMLOG_LOST_FIRST=17"
	    "\x14\0\0\0" "MMLOG_LOST_COUNT=250"
	    "\x19\0\0\0" "MMLOG_LOST_REASON=refused"
	    "\x2b\0\0\0" "MMLOG_RING=0123456789abcdeffedcba9876543210";
	static const char want_msg[] = "250 entries from seq 17 skipped, "
	    "refused by the collector again and again";
	struct mml_fwd_msg_ctx ctx;
	struct mml_rec rec;
	uint8_t buf[MML_FWD_LOST_REC_MAX];

	ck_assert_int_eq(mml_fwd_msg_ctx_init(&ctx, "h", NULL, ring_id, 1),
	    0);
	ck_assert_int_eq(mml_fwd_msg_lost_rec(&rec, buf, sizeof(buf), &ctx,
	    17, 250, MML_FWD_LOSS_REFUSED, 5, 6), 0);
	ck_assert_int_eq(rec.hdr.priority, 4);
	ck_assert_int_eq(rec.hdr.seq, 17);
	ck_assert_int_eq(rec.hdr.realtime_usec, 5);
	ck_assert_int_eq(rec.hdr.monotonic_usec, 6);
	ck_assert_int_eq(rec.hdr.tag_len, 13);
	ck_assert(memcmp(rec.tag, "mmlog-forward", 13) == 0);
	ck_assert_int_eq(rec.hdr.comm_len, 13);
	ck_assert_int_eq(rec.hdr.msg_len, sizeof(want_msg) - 1);
	ck_assert(memcmp(rec.msg, want_msg, rec.hdr.msg_len) == 0);
	ck_assert_int_eq(rec.hdr.fields_len, sizeof(want_fields) - 1);
	ck_assert(memcmp(rec.fields, want_fields, rec.hdr.fields_len) == 0);
	/* A small buffer or an unknown reason is refused. */
	ck_assert_int_eq(mml_fwd_msg_lost_rec(&rec, buf, 100, &ctx, 1, 1,
	    MML_FWD_LOSS_OVERWRITTEN, 0, 0), -EINVAL);
	ck_assert_int_eq(mml_fwd_msg_lost_rec(&rec, buf, sizeof(buf), &ctx, 1,
	    1, (enum mml_fwd_loss)3, 0, 0), -EINVAL);
}
END_TEST

/* RELP frames as a server sends them, whole and broken. */
struct relp_case {
	const char *in;
	size_t in_len;
	int want;		/* bytes taken, 0 (more needed), -EBADMSG */
	uint32_t txnr;
	const char *cmd;
	const char *data;
	int code;		/* rsp: the status, -1 not an rsp */
	const char *text;
};

static const struct relp_case relp_cases[] = {
	{ S("2 rsp 6 200 OK\n"), 15, 2, "rsp", "200 OK", 200, "OK" },
	{ S("999999999 rsp 6 200 OK\nmore"), 23, 999999999, "rsp",
	    "200 OK", 200, "OK" },
	{ S("3 rsp 15 500 not written\n"), 25, 3, "rsp", "500 not written",
	    500, "not written" },
	{ S("1 rsp 37 200 OK\nrelp_version=0\ncommands=syslog\n"), 47, 1,
	    "rsp", "200 OK\nrelp_version=0\ncommands=syslog", 200, "OK" },
	{ S("0 serverclose 0\n"), 16, 0, "serverclose", "", -1, NULL },
	{ S("4 rsp 3 200\n"), 12, 4, "rsp", "200", 200, "" },
	{ S("5 rsp 0 \n"), 9, 5, "rsp", "", -1, NULL },
	/* Data may hold any byte, LF and NUL included. */
	{ S("6 rsp 8 200 a\n\0b\n"), 17, 6, "rsp", "200 a\n\0b", 200,
	    "a" },
	/* Cut short anywhere: more is needed. */
	{ S(""), 0, 0, NULL, NULL, 0, NULL },
	{ S("2"), 0, 0, NULL, NULL, 0, NULL },
	{ S("2 "), 0, 0, NULL, NULL, 0, NULL },
	{ S("2 rs"), 0, 0, NULL, NULL, 0, NULL },
	{ S("2 rsp "), 0, 0, NULL, NULL, 0, NULL },
	{ S("2 rsp 6"), 0, 0, NULL, NULL, 0, NULL },
	{ S("2 rsp 6 200 O"), 0, 0, NULL, NULL, 0, NULL },
	{ S("2 rsp 6 200 OK"), 0, 0, NULL, NULL, 0, NULL },
	/* Not RELP. */
	{ S("x rsp 6 200 OK\n"), -EBADMSG, 0, NULL, NULL, 0, NULL },
	{ S("2  rsp 6 200 OK\n"), -EBADMSG, 0, NULL, NULL, 0, NULL },
	{ S("2 rsp1 6 200 OK\n"), -EBADMSG, 0, NULL, NULL, 0, NULL },
	{ S("2 rsp x\n"), -EBADMSG, 0, NULL, NULL, 0, NULL },
	{ S("2 rsp 6 200 OKX"), -EBADMSG, 0, NULL, NULL, 0, NULL },
	{ S("2 rsp 6\n200 OK\n"), -EBADMSG, 0, NULL, NULL, 0, NULL },
	{ S("1234567890 rsp 6 200 OK\n"), -EBADMSG, 0, NULL, NULL, 0,
	    NULL },
	{ S("2 rsp 1234567890 x"), -EBADMSG, 0, NULL, NULL, 0, NULL },
	{ S("2 rsp 131073 x"), -EBADMSG, 0, NULL, NULL, 0, NULL },
	{ S("2 abcdefghijklmnopqrstuvwxyzabcdefg 0\n"), -EBADMSG, 0, NULL,
	    NULL, 0, NULL },
	{ S(" rsp 6 200 OK\n"), -EBADMSG, 0, NULL, NULL, 0, NULL },
	{ S("2 rsp 2 OK\n"), 11, 2, "rsp", "OK", -EBADMSG, NULL },
	{ S("2 rsp 6 2000OK\n"), 15, 2, "rsp", "2000OK", -EBADMSG, NULL },
};

START_TEST(test_relp_parse)
{
	const struct relp_case *c = &relp_cases[_i];
	struct mml_fwd_relp_frame f;
	const uint8_t *text;
	size_t text_len;
	uint8_t *in;
	int r, code;

	/* Exactly the input's bytes, so that ASan sees a read past them. */
	in = malloc(c->in_len + 1);
	ck_assert_ptr_nonnull(in);
	memcpy(in, c->in, c->in_len);
	r = mml_fwd_relp_parse(in, c->in_len, &f);
	ck_assert_msg(r == c->want, "case %d: %d, not %d", _i, r, c->want);
	if (r > 0) {
		ck_assert_int_eq(f.txnr, c->txnr);
		ck_assert_str_eq(f.cmd, c->cmd);
		/* Case 6's data holds a NUL: 8 bytes. */
		ck_assert_int_eq(f.data_len, c->txnr == 6 ? 8 :
		    strlen(c->data));
		ck_assert(memcmp(f.data, c->data, f.data_len) == 0);
		ck_assert(f.data >= in && f.data + f.data_len <= in + r);
		if (c->code != -1) {
			code = mml_fwd_relp_rsp_code(&f, &text, &text_len);
			ck_assert_int_eq(code, c->code);
			if (code >= 0) {
				ck_assert_int_eq(text_len, strlen(c->text));
				ck_assert(memcmp(text, c->text, text_len) == 0);
			}
		}
	}
	free(in);
}
END_TEST

START_TEST(test_relp_hdr)
{
	char buf[MML_FWD_RELP_HDR_MAX];
	size_t n;

	n = mml_fwd_relp_hdr(buf, 2, "syslog", 5);
	ck_assert_int_eq(n, 11);
	ck_assert(memcmp(buf, "2 syslog 5 ", n) == 0);
	n = mml_fwd_relp_hdr(buf, 999999999, "close", 0);
	ck_assert_int_eq(n, 17);
	ck_assert(memcmp(buf, "999999999 close 0", n) == 0);
	ck_assert_int_eq(mml_fwd_relp_txnr_next(1), 2);
	ck_assert_int_eq(mml_fwd_relp_txnr_next(999999998), 999999999);
	ck_assert_int_eq(mml_fwd_relp_txnr_next(999999999), 1);
}
END_TEST

/* The answer to "open" must offer the "syslog" command. */
START_TEST(test_relp_offers)
{
	static const struct {
		const char *data;
		int want;
	} cases[] = {
		{ "200 OK\nrelp_version=0\ncommands=syslog", 1 },
		{ "200 OK\ncommands=syslog\nrelp_version=0\n", 1 },
		{ "200 OK\ncommands=open,syslog,close", 1 },
		{ "200 OK\ncommands=syslogx", 0 },
		{ "200 OK\ncommands=xsyslog,", 0 },
		{ "200 OK\ncommands=", 0 },
		{ "200 OK\nrelp_version=0", 0 },
		{ "200 OK commands=syslog", 0 },
		{ "", 0 },
	};
	struct mml_fwd_relp_frame f;
	size_t i;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f.data = (const uint8_t *)cases[i].data;
		f.data_len = strlen(cases[i].data);
		ck_assert_msg(mml_fwd_relp_offers_syslog(&f) == cases[i].want,
		    "case %zu", i);
	}
}
END_TEST

Suite *
fwd_suite(void)
{
	Suite *s = suite_create("fwd");
	TCase *tc;

	tc = tcase_create("sd_escape");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_sd_escape, 0,
	    (int)(sizeof(esc_cases) / sizeof(esc_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);

	tc = tcase_create("format_header");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_format_header);
	suite_add_tcase(s, tc);

	tc = tcase_create("lost");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_lost);
	suite_add_tcase(s, tc);

	tc = tcase_create("ctx_refused");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_ctx_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("dest_parse");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_dest_parse, 0,
	    (int)(sizeof(url_cases) / sizeof(url_cases[0])));
	tcase_add_test(tc, test_dest_path);
	suite_add_tcase(s, tc);

	tc = tcase_create("format_time");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_format_time);
	suite_add_tcase(s, tc);

	tc = tcase_create("lost_rec");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_lost_rec);
	suite_add_tcase(s, tc);

	tc = tcase_create("relp_parse");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_relp_parse, 0,
	    (int)(sizeof(relp_cases) / sizeof(relp_cases[0])));
	tcase_add_test(tc, test_relp_hdr);
	tcase_add_test(tc, test_relp_offers);
	suite_add_tcase(s, tc);
	return s;
}
