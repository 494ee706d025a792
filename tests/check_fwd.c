/*
 * check_fwd.c: mmlog-forward's RFC 5424 formatter and URL parser
 * (client/forward/msg.c).
 *
 * The escapes of SD-PARAM values, from a table; whole messages compared
 * byte for byte with what RFC 5424 says they must be; a table of
 * destinations, good and bad; names the formatter must refuse.
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
	{ "RELP://h:514", 0, 0, NULL, NULL },
	{ "", 0, 0, NULL, NULL },
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
	suite_add_tcase(s, tc);
	return s;
}
