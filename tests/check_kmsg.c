/*
 * check_kmsg.c: the kernel log record parser (daemon/kmsg.c), one table
 * row per quirk, run through kmsg_one().
 *
 * Rows marked "captured" are records exactly as read() returned them
 * from /dev/kmsg on this project's Debian 12 VM (kernel 6.18): records of
 * the kernel's own, and lines a test wrote into /dev/kmsg (what it wrote
 * is quoted).  The others are made by hand.  The expected fields are
 * those journald 252 (journald-kmsg.c) derives, except where a row says
 * otherwise (proto/SYSLOG.md lists the differences).
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "entry.h"
#include "kmsg.h"
#include "wire.h"

Suite *kmsg_suite(void);

#define IN(s)		s, sizeof(s) - 1
#define FIELDS_MAX	8
#define REC_MAX		1024

struct row {
	const char	*what;
	const char	*in;
	size_t		 in_len;
	int		 ret;		/* 0 or -errno */
	int		 prio;
	uint64_t	 seq, usec;
	const char	*tag;		/* "" for none */
	const char	*msg;
	/* Every field, KEY=VALUE, in the order the parser adds them. */
	const char	*fields[FIELDS_MAX];
};

static const struct row rows[] = {
	/* Captured: the kernel's own records. */
	{ "captured: the first record of the boot",
	    IN("5,0,0,-;Linux version 6.18.44-fc-v1300 (builder@sandboxing) "
	    "(gcc (GCC) 16.2.0, GNU ld (GNU Binutils) 2.46) #1 SMP "
	    "PREEMPT_DYNAMIC @0\n"),
	    0, 5, 0, 0, "kernel",
	    "Linux version 6.18.44-fc-v1300 (builder@sandboxing) (gcc (GCC) "
	    "16.2.0, GNU ld (GNU Binutils) 2.46) #1 SMP PREEMPT_DYNAMIC @0",
	    { "SYSLOG_FACILITY=0", "_SOURCE_MONOTONIC_TIMESTAMP=0" } },
	{ "captured: facility kern, a TAG: look-alike is no tag",
	    IN("4,2,0,-;[Firmware Bug]: TSC doesn't count with P0 "
	    "frequency!\n"),
	    0, 4, 2, 0, "kernel",
	    "[Firmware Bug]: TSC doesn't count with P0 frequency!",
	    { "SYSLOG_FACILITY=0", "_SOURCE_MONOTONIC_TIMESTAMP=0" } },
	{ "captured: continuation lines SUBSYSTEM and DEVICE",
	    IN("6,194,217664,-;acpi PNP0A08:00: _OSC: OS supports "
	    "[ExtendedConfig ASPM ClockPM Segments MSI HPX-Type3]\n"
	    " SUBSYSTEM=acpi\n DEVICE=+acpi:PNP0A08:00\n"),
	    0, 6, 194, 217664, "kernel",
	    "acpi PNP0A08:00: _OSC: OS supports [ExtendedConfig ASPM ClockPM"
	    " Segments MSI HPX-Type3]",
	    { "SYSLOG_FACILITY=0", "_SOURCE_MONOTONIC_TIMESTAMP=217664",
	    "_KERNEL_SUBSYSTEM=acpi", "_KERNEL_DEVICE=+acpi:PNP0A08:00" } },
	{ "captured: two spaces inside the message",
	    IN("6,223,237669,-;NetLabel:  unlabeled traffic allowed by "
	    "default\n"),
	    0, 6, 223, 237669, "kernel",
	    "NetLabel:  unlabeled traffic allowed by default",
	    { "SYSLOG_FACILITY=0", "_SOURCE_MONOTONIC_TIMESTAMP=237669" } },

	/* Captured: lines a process wrote into /dev/kmsg. */
	{ "captured: 'mmlog-cap plain kernel-facility line\\n', no <N>: "
	    "user.warning",
	    IN("12,340,866025041,-;mmlog-cap plain kernel-facility line\n"),
	    0, 4, 340, 866025041, "", "mmlog-cap plain kernel-facility line",
	    { "SYSLOG_FACILITY=1",
	    "_SOURCE_MONOTONIC_TIMESTAMP=866025041" } },
	{ "captured: '<14>myprog[4242]: ...': tag, pid, escapes decoded",
	    IN("14,341,866025051,-;myprog[4242]: user facility, tab\\x09here "
	    "and a backslash \\x5c and \\xc3\\xa9 utf8\n"),
	    0, 6, 341, 866025051, "myprog",
	    "user facility, tab\there and a backslash \\ and \xc3\xa9 utf8",
	    { "SYSLOG_FACILITY=1", "SYSLOG_PID=4242",
	    "_SOURCE_MONOTONIC_TIMESTAMP=866025051" } },
	{ "captured: '<31>daemon-no-pid: ...'",
	    IN("31,342,866025054,-;daemon-no-pid: level 7 facility daemon\n"),
	    0, 7, 342, 866025054, "daemon-no-pid", "level 7 facility daemon",
	    { "SYSLOG_FACILITY=3", "_SOURCE_MONOTONIC_TIMESTAMP=866025054" } },
	{ "captured: '<3>multi\\nline message\\n': the kernel made it user",
	    IN("11,343,866025060,-;multi\\x0aline message\n"),
	    0, 3, 343, 866025060, "", "multi\nline message",
	    { "SYSLOG_FACILITY=1", "_SOURCE_MONOTONIC_TIMESTAMP=866025060" } },
	{ "captured: '<2047>...': facility 255 (journald drops PRI > 999)",
	    IN("2047,344,866026059,-;max facility\n"),
	    0, 7, 344, 866026059, "", "max facility",
	    { "SYSLOG_FACILITY=255",
	    "_SOURCE_MONOTONIC_TIMESTAMP=866026059" } },
	{ "captured: '<165>local4: with \\x01 control\\n'",
	    IN("165,346,866026068,-;local4: with \\x01 control\n"),
	    0, 5, 346, 866026068, "local4", "with \x01 control",
	    { "SYSLOG_FACILITY=20",
	    "_SOURCE_MONOTONIC_TIMESTAMP=866026068" } },

	/* Made by hand. */
	{ "CONFIG_PRINTK_CALLER: a field after FLAGS",
	    IN("6,1,2,-,caller=T1;msg\n"),
	    0, 6, 1, 2, "kernel", "msg",
	    { "SYSLOG_FACILITY=0", "_SOURCE_MONOTONIC_TIMESTAMP=2" } },
	{ "Linux 3.5: no FLAGS",
	    IN("6,1,2;msg\n"),
	    0, 6, 1, 2, "kernel", "msg",
	    { "SYSLOG_FACILITY=0", "_SOURCE_MONOTONIC_TIMESTAMP=2" } },
	{ "no newline at the end (journald: dropped)",
	    IN("6,1,2,-;msg"),
	    0, 6, 1, 2, "kernel", "msg",
	    { "SYSLOG_FACILITY=0", "_SOURCE_MONOTONIC_TIMESTAMP=2" } },
	{ "a continuation line without its newline (journald: dropped)",
	    IN("6,1,2,-;msg\n SUBSYSTEM=pci"),
	    0, 6, 1, 2, "kernel", "msg",
	    { "SYSLOG_FACILITY=0", "_SOURCE_MONOTONIC_TIMESTAMP=2",
	    "_KERNEL_SUBSYSTEM=pci" } },
	{ "continuation lines: bad keys skipped, escapes decoded, the "
	    "first line without a space ends them",
	    IN("6,1,2,-;msg\n lower=x\n =x\n NOEQ\n DEVICE=a\\x5cb\\x0a\n"
	    " A=1=2\nX=no\n B=3\n"),
	    0, 6, 1, 2, "kernel", "msg",
	    { "SYSLOG_FACILITY=0", "_SOURCE_MONOTONIC_TIMESTAMP=2",
	    "_KERNEL_DEVICE=a\\b\n", "_KERNEL_A=1=2" } },
	{ "a key too long for _KERNEL_ and MML_FIELD_KEY_MAX",
	    IN("6,1,2,-;m\n AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "=long\n BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
	    "B=longer\n"),
	    0, 6, 1, 2, "kernel", "m",
	    { "SYSLOG_FACILITY=0", "_SOURCE_MONOTONIC_TIMESTAMP=2",
	    "_KERNEL_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "=long" } },
	{ "escapes: \\x00 and broken ones kept, hex of either case",
	    IN("6,1,2,-;a\\x00b\\xZZc\\x4\\xAa\\xaA\\q\\\n"),
	    0, 6, 1, 2, "kernel", "a\\x00b\\xZZc\\x4\xaa\xaa\\q\\",
	    { "SYSLOG_FACILITY=0", "_SOURCE_MONOTONIC_TIMESTAMP=2" } },
	{ "facility user, an escaped tag and pid",
	    IN("14,1,2,-;caf\\xc3\\xa9[\\x31]: m\n"),
	    0, 6, 1, 2, "caf\xc3\xa9", "m",
	    { "SYSLOG_FACILITY=1", "SYSLOG_PID=1",
	    "_SOURCE_MONOTONIC_TIMESTAMP=2" } },
	{ "an empty message",
	    IN("6,1,2,-;\n"),
	    0, 6, 1, 2, "kernel", "",
	    { "SYSLOG_FACILITY=0", "_SOURCE_MONOTONIC_TIMESTAMP=2" } },
	{ "the largest numbers",
	    IN("2047,18446744073709551615,18446744073709551615,c;m\n"),
	    0, 7, UINT64_MAX, UINT64_MAX, "", "m",
	    { "SYSLOG_FACILITY=255",
	    "_SOURCE_MONOTONIC_TIMESTAMP=18446744073709551615" } },

	/* Garbage: refused, nothing stored. */
	{ "empty", IN(""), -EBADMSG, 0, 0, 0, NULL, NULL, { NULL } },
	{ "no header", IN("hello\n"), -EBADMSG, 0, 0, 0, NULL, NULL,
	    { NULL } },
	{ "no ';'", IN("6,1,2,-\n"), -EBADMSG, 0, 0, 0, NULL, NULL,
	    { NULL } },
	{ "the ';' only on a continuation line", IN("6,1,2,-\n ;x\n"),
	    -EBADMSG, 0, 0, 0, NULL, NULL, { NULL } },
	{ "no TS", IN("6,1;x\n"), -EBADMSG, 0, 0, 0, NULL, NULL, { NULL } },
	{ "an empty SEQ", IN("6,,2,-;x\n"), -EBADMSG, 0, 0, 0, NULL, NULL,
	    { NULL } },
	{ "an empty TS", IN("6,1,,-;x\n"), -EBADMSG, 0, 0, 0, NULL, NULL,
	    { NULL } },
	{ "a negative PRI", IN("-1,1,2,-;x\n"), -EBADMSG, 0, 0, 0, NULL,
	    NULL, { NULL } },
	{ "PRI 2048", IN("2048,1,2,-;x\n"), -EBADMSG, 0, 0, 0, NULL, NULL,
	    { NULL } },
	{ "SEQ past 2^64", IN("6,18446744073709551616,2,-;x\n"), -EBADMSG,
	    0, 0, 0, NULL, NULL, { NULL } },
	{ "TS with a sign", IN("6,1,+2,-;x\n"), -EBADMSG, 0, 0, 0, NULL,
	    NULL, { NULL } },
	{ "a NUL in a number", IN("6,1\0,2,-;x\n"), -EBADMSG, 0, 0, 0, NULL,
	    NULL, { NULL } },
	{ "spaces in the header", IN("6, 1,2,-;x\n"), -EBADMSG, 0, 0, 0,
	    NULL, NULL, { NULL } },
};

static void
kmsg_one(size_t i)
{
	static uint8_t fb[MML_FRAME_MAX];
	const struct row *t = &rows[i];
	uint8_t rec[REC_MAX];
	const uint8_t *item;
	struct mml_ent e;
	uint64_t seq = 12345, usec = 54321;
	size_t off = 0, len, key_len, k;
	const char *want;
	int r;

	ck_assert(t->in_len <= sizeof(rec));
	memcpy(rec, t->in, t->in_len);
	mml_ent_init(&e, fb, sizeof(fb));
	r = mml_kmsg_parse(rec, t->in_len, &e, &seq, &usec);
	ck_assert_msg(r == t->ret, "row %zu (%s): returned %d", i, t->what, r);
	if (r < 0) {
		ck_assert_msg(seq == 12345 && usec == 54321 &&
		    e.fields_len == 0 && e.msg_len == 0 && e.tag_len == 0 &&
		    e.priority == 6, "row %zu (%s): touched", i, t->what);
		return;
	}
	ck_assert_msg(seq == t->seq && usec == t->usec,
	    "row %zu (%s): seq %llu usec %llu", i, t->what,
	    (unsigned long long)seq, (unsigned long long)usec);
	ck_assert_msg(e.priority == t->prio, "row %zu (%s): priority %d", i,
	    t->what, e.priority);
	ck_assert_msg(e.tag_len == strlen(t->tag) &&
	    (e.tag_len == 0 || memcmp(e.tag, t->tag, e.tag_len) == 0),
	    "row %zu (%s): tag '%.*s'", i, t->what, (int)e.tag_len, e.tag);
	ck_assert_msg(e.msg_len == strlen(t->msg) &&
	    (e.msg_len == 0 || memcmp(e.msg, t->msg, e.msg_len) == 0),
	    "row %zu (%s): message '%.*s'", i, t->what, (int)e.msg_len,
	    e.msg);
	ck_assert_msg(e.cut == 0, "row %zu (%s): cut", i, t->what);
	for (k = 0; k < FIELDS_MAX && t->fields[k] != NULL; k++) {
		want = t->fields[k];
		ck_assert_msg(mml_fields_next(e.fields, e.fields_len, &off,
		    &item, &len, &key_len) > 0 && len == strlen(want) &&
		    memcmp(item, want, len) == 0,
		    "row %zu (%s): field %zu is not '%s'", i, t->what, k, want);
	}
	ck_assert_msg(off == e.fields_len, "row %zu (%s): extra fields", i,
	    t->what);
	ck_assert_uint_eq(e.n_fields, k);
}

START_TEST(test_rows)
{
	kmsg_one((size_t)_i);
}
END_TEST

/*
 * journald takes at most 64 continuation lines; so does this parser, and
 * a tag past MML_TAG_MAX is cut (mml_ent_fit() records it).
 */
START_TEST(test_limits)
{
	static uint8_t fb[MML_FRAME_MAX], rec[8192];
	struct mml_ent e;
	uint64_t seq, usec;
	size_t n, i;

	n = (size_t)snprintf((char *)rec, sizeof(rec), "6,1,2,-;m\n");
	for (i = 0; i < 70; i++)
		n += (size_t)snprintf((char *)rec + n, sizeof(rec) - n,
		    " K%zu=v\n", i);
	mml_ent_init(&e, fb, sizeof(fb));
	ck_assert_int_eq(mml_kmsg_parse(rec, n, &e, &seq, &usec), 0);
	ck_assert_uint_eq(e.n_fields, 2 + 64);

	n = (size_t)snprintf((char *)rec, sizeof(rec), "14,1,2,-;");
	memset(rec + n, 't', 300);
	n += 300;
	n += (size_t)snprintf((char *)rec + n, sizeof(rec) - n, ": m\n");
	mml_ent_init(&e, fb, sizeof(fb));
	ck_assert_int_eq(mml_kmsg_parse(rec, n, &e, &seq, &usec), 0);
	ck_assert_uint_eq(e.tag_len, MML_TAG_MAX);
	ck_assert_int_eq(e.cut, 1);
	ck_assert_uint_eq(e.msg_len, 1);
	ck_assert_int_eq(mml_ent_fit(&e, 4096), 1);
}
END_TEST

Suite *
kmsg_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("kmsg");
	tc = tcase_create("rows");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_rows, 0, (int)(sizeof(rows) /
	    sizeof(rows[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}
