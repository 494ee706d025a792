/*
 * check_fields.c: the reader's view of an entry as journald fields
 * (client/ringread/fields.c) and journalctl's matches over them
 * (client/ringread/match.c): the fields in their order, from the record
 * header, its strings, its fields block and the ring's header; names
 * that are not journald's or that would repeat a derived field skipped;
 * and each match form (same field: OR; other fields: AND; "+": OR of
 * groups; clauses ANDed; -u's unit matches with globs; -k).
 */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ringread.h"
#include "wire.h"

/* A record of our own making: header and strings in memory. */
struct fake {
	struct mml_rec	 rec;
	uint8_t		 fields[1024];
	size_t		 fields_len;
};

static void
fake_init(struct fake *f, const char *tag, const char *msg, uint32_t pid)
{
	memset(f, 0, sizeof(*f));
	f->rec.hdr.priority = 4;
	f->rec.hdr.seq = 42;
	f->rec.hdr.realtime_usec = 1700000000123456ULL;
	f->rec.hdr.monotonic_usec = 5000000;
	f->rec.hdr.pid = pid;
	f->rec.hdr.uid = 1000;
	f->rec.hdr.gid = 100;
	f->rec.hdr.comm_len = 4;
	f->rec.comm = (const uint8_t *)"comm";
	f->rec.hdr.tag_len = (uint16_t)strlen(tag);
	f->rec.tag = (const uint8_t *)tag;
	f->rec.hdr.msg_len = (uint32_t)strlen(msg);
	f->rec.msg = (const uint8_t *)msg;
	f->rec.fields = f->fields;
}

/* Appends KEY=VALUE to the fields block without the client's rules. */
static void
fake_field(struct fake *f, const char *kv)
{
	uint32_t n = (uint32_t)strlen(kv);

	memcpy(f->fields + f->fields_len, &n, 4);
	memcpy(f->fields + f->fields_len + 4, kv, n);
	f->fields_len += 4 + n;
	f->rec.hdr.fields_len = (uint32_t)f->fields_len;
}

/* Every field as "K=V\n", in the iterator's order. */
static char *
all_fields(struct mml_rd_ring *ring, const struct mml_rec *rec,
    unsigned flags)
{
	static char out[4096];
	struct mml_rd_fields fi;
	const char *k;
	const uint8_t *v;
	size_t kl, vl, n = 0;

	mml_rd_fields_begin(&fi, ring, rec, flags);
	while (mml_rd_fields_next(&fi, &k, &kl, &v, &vl)) {
		ck_assert_uint_lt(n + kl + vl + 2, sizeof(out));
		memcpy(out + n, k, kl);
		out[n + kl] = '=';
		memcpy(out + n + kl + 1, v, vl);
		n += kl + vl + 1;
		out[n++] = '\n';
	}
	out[n] = '\0';
	return out;
}

START_TEST(fields_order)
{
	struct fake f;

	fake_init(&f, "web", "hello", 77);
	fake_field(&f, "_TRANSPORT=syslog");
	fake_field(&f, "KEY=a");
	fake_field(&f, "KEY=b");
	fake_field(&f, "SYSLOG_FACILITY=3");
	ck_assert_str_eq(all_fields(NULL, &f.rec, 0),
	    "PRIORITY=4\nSYSLOG_IDENTIFIER=web\nMESSAGE=hello\n_PID=77\n"
	    "_UID=1000\n_GID=100\n_COMM=comm\n_TRANSPORT=syslog\nKEY=a\n"
	    "KEY=b\nSYSLOG_FACILITY=3\n");
	ck_assert_str_eq(all_fields(NULL, &f.rec, MML_RD_FIELDS_ADDRESS),
	    "__REALTIME_TIMESTAMP=1700000000123456\n"
	    "__MONOTONIC_TIMESTAMP=5000000\n__SEQNUM=42\n"
	    "PRIORITY=4\nSYSLOG_IDENTIFIER=web\nMESSAGE=hello\n_PID=77\n"
	    "_UID=1000\n_GID=100\n_COMM=comm\n_TRANSPORT=syslog\nKEY=a\n"
	    "KEY=b\nSYSLOG_FACILITY=3\n");
}
END_TEST

/* No tag, no comm, a daemon record: those fields come and go with them. */
START_TEST(fields_optional)
{
	struct fake f;

	fake_init(&f, "", "", 1);
	f.rec.hdr.comm_len = 0;
	f.rec.hdr.flags = MML_REC_F_DAEMON;
	ck_assert_str_eq(all_fields(NULL, &f.rec, 0),
	    "PRIORITY=4\nMESSAGE=\n_PID=1\n_UID=1000\n_GID=100\n"
	    "_MMLOG_DAEMON=1\n");
}
END_TEST

/*
 * Names the daemon never stores are damage or forgery: not journald
 * names, or ones that would repeat a derived field.
 */
START_TEST(fields_skipped)
{
	struct fake f;

	fake_init(&f, "t", "m", 5);
	fake_field(&f, "lower=x");
	fake_field(&f, "_PID=9");
	fake_field(&f, "__CURSOR=x");
	fake_field(&f, "MESSAGE=two");
	fake_field(&f, "1DIGIT=ok");
	fake_field(&f, "=empty");
	fake_field(&f, "OK=yes");
	ck_assert_str_eq(all_fields(NULL, &f.rec, 0),
	    "PRIORITY=4\nSYSLOG_IDENTIFIER=t\nMESSAGE=m\n_PID=5\n_UID=1000\n"
	    "_GID=100\n_COMM=comm\nOK=yes\n");
}
END_TEST

/* The ring gives __CURSOR and _BOOT_ID; values stay valid until begin. */
START_TEST(fields_ring)
{
	static uint8_t map[4096];
	struct mml_rd_ring ring;
	struct mml_rd_fields fi;
	struct fake f;
	const char *k, *keys[32];
	const uint8_t *v, *vals[32];
	size_t kl, vl, n = 0, i;

	memset(&ring, 0, sizeof(ring));
	memset(map, 0, sizeof(map));
	memset(ring.ring_id, 0xab, 16);
	memset(map + offsetof(struct mml_disk_header, boot_id), 0x11, 16);
	ring.map = map;
	fake_init(&f, "t", "m", 5);
	mml_rd_fields_begin(&fi, &ring, &f.rec, MML_RD_FIELDS_ADDRESS);
	while (mml_rd_fields_next(&fi, &k, &kl, &v, &vl)) {
		ck_assert_uint_lt(n, 32);
		keys[n] = k;
		vals[n++] = v;
		(void)kl;
		(void)vl;
	}
	ck_assert_uint_eq(n, 12);
	ck_assert(strncmp(keys[0], "__CURSOR", 8) == 0);
	ck_assert(memcmp(vals[0], "s=abababababababababababababababab;i=2a",
	    39) == 0);
	for (i = 0; i < n; i++)
		if (strncmp(keys[i], "_BOOT_ID", 8) == 0)
			break;
	ck_assert_uint_eq(i, 4);
	ck_assert(memcmp(vals[4], "11111111111111111111111111111111", 32) == 0);
	/* Gathered values still hold after the walk. */
	ck_assert(memcmp(vals[5], "4", 1) == 0);
	ck_assert(memcmp(vals[8], "5", 1) == 0);
}
END_TEST

static int
test_words(const char *const *words, const struct mml_rec *rec)
{
	struct mml_rd_match *m = mml_rd_match_new();
	int r;

	ck_assert_ptr_nonnull(m);
	for (; *words != NULL; words++)
		ck_assert_int_eq(mml_rd_match_add_word(m, *words), 0);
	r = mml_rd_match_test(m, NULL, rec);
	(void)mml_rd_match_free(m);
	return r;
}

#define W(...)	((const char *const []){ __VA_ARGS__, NULL })

START_TEST(match_forms)
{
	struct fake f;

	fake_init(&f, "web", "hello", 77);
	fake_field(&f, "KEY=a");
	fake_field(&f, "KEY=b");
	fake_field(&f, "_TRANSPORT=journal");
	ck_assert_int_eq(test_words(W("KEY=a"), &f.rec), 1);
	ck_assert_int_eq(test_words(W("KEY=b"), &f.rec), 1);
	ck_assert_int_eq(test_words(W("KEY=c"), &f.rec), 0);
	ck_assert_int_eq(test_words(W("KEY=ab"), &f.rec), 0);
	ck_assert_int_eq(test_words(W("KEY="), &f.rec), 0);
	/* Same field: either. */
	ck_assert_int_eq(test_words(W("KEY=c", "KEY=a"), &f.rec), 1);
	/* Other fields: both. */
	ck_assert_int_eq(test_words(W("KEY=a", "_PID=77"), &f.rec), 1);
	ck_assert_int_eq(test_words(W("KEY=a", "_PID=78"), &f.rec), 0);
	ck_assert_int_eq(test_words(W("SYSLOG_IDENTIFIER=web", "PRIORITY=4",
	    "MESSAGE=hello", "_UID=1000", "_GID=100", "_COMM=comm",
	    "_TRANSPORT=journal"), &f.rec), 1);
	/* "+": either group. */
	ck_assert_int_eq(test_words(W("_PID=78", "+", "KEY=b"), &f.rec), 1);
	ck_assert_int_eq(test_words(W("_PID=78", "+", "KEY=c"), &f.rec), 0);
	ck_assert_int_eq(test_words(W("KEY=a", "_PID=78", "+",
	    "KEY=c", "_PID=77"), &f.rec), 0);
	ck_assert_int_eq(test_words(W("KEY=a", "_PID=78", "+",
	    "KEY=c", "KEY=b", "_PID=77"), &f.rec), 1);
	/* A number is its decimal text, as journald stores it. */
	ck_assert_int_eq(test_words(W("_PID=077"), &f.rec), 0);
	/* A field the entry lacks. */
	ck_assert_int_eq(test_words(W("_SYSTEMD_UNIT=x.service"), &f.rec), 0);
}
END_TEST

START_TEST(match_invalid)
{
	struct mml_rd_match *m = mml_rd_match_new();

	ck_assert_int_eq(mml_rd_match_add_word(m, "lower=x"), -EINVAL);
	ck_assert_int_eq(mml_rd_match_add_word(m, "=x"), -EINVAL);
	ck_assert_int_eq(mml_rd_match_add_word(m, "NOEQUALS"), -EINVAL);
	ck_assert_int_eq(mml_rd_match_add_word(m, "__CURSOR=x"), -EINVAL);
	ck_assert_int_eq(mml_rd_match_add_word(m, "1A=x"), 0);
	(void)mml_rd_match_free(m);
}
END_TEST

/* Clauses: each must hold (FIELD=VALUE words AND -k). */
START_TEST(match_clauses)
{
	struct mml_rd_match *m = mml_rd_match_new();
	struct fake f;

	fake_init(&f, "kernel", "oops", 0);
	fake_field(&f, "_TRANSPORT=kernel");
	ck_assert_int_eq(mml_rd_match_add_word(m, "PRIORITY=4"), 0);
	ck_assert_int_eq(mml_rd_match_add_word(m, "+"), 0);
	ck_assert_int_eq(mml_rd_match_add_word(m, "PRIORITY=3"), 0);
	ck_assert_int_eq(mml_rd_match_and(m), 0);
	ck_assert_int_eq(mml_rd_match_add(m, "_TRANSPORT", 10, "kernel", 6, 0,
	    NULL), 0);
	ck_assert_int_eq(mml_rd_match_test(m, NULL, &f.rec), 1);
	f.rec.hdr.priority = 5;
	ck_assert_int_eq(mml_rd_match_test(m, NULL, &f.rec), 0);
	f.rec.hdr.priority = 3;
	ck_assert_int_eq(mml_rd_match_test(m, NULL, &f.rec), 1);
	f.fields_len = 0;
	fake_field(&f, "_TRANSPORT=syslog");
	ck_assert_int_eq(mml_rd_match_test(m, NULL, &f.rec), 0);
	(void)mml_rd_match_free(m);
}
END_TEST

static int
test_unit(const char *unit, const struct mml_rec *rec)
{
	struct mml_rd_match *m = mml_rd_match_new();
	int r;

	ck_assert_int_eq(mml_rd_match_add_unit(m, unit), 0);
	ck_assert_int_eq(mml_rd_match_and(m), 0);
	r = mml_rd_match_test(m, NULL, rec);
	(void)mml_rd_match_free(m);
	return r;
}

/* -u: journalctl's add_matches_for_unit(), with globs. */
START_TEST(match_unit)
{
	struct fake own, pid1, other, obj, slice;

	fake_init(&own, "sshd", "x", 500);
	fake_field(&own, "_SYSTEMD_UNIT=ssh.service");
	ck_assert_int_eq(test_unit("ssh.service", &own.rec), 1);
	ck_assert_int_eq(test_unit("ssh*", &own.rec), 1);
	ck_assert_int_eq(test_unit("s?h.service", &own.rec), 1);
	ck_assert_int_eq(test_unit("cron.service", &own.rec), 0);
	ck_assert_int_eq(test_unit("ssh", &own.rec), 0);
	/* systemd's own words about the unit: pid 1 and UNIT=. */
	fake_init(&pid1, "systemd", "Started", 1);
	fake_field(&pid1, "UNIT=ssh.service");
	ck_assert_int_eq(test_unit("ssh.service", &pid1.rec), 1);
	ck_assert_int_eq(test_unit("ssh.*", &pid1.rec), 1);
	fake_init(&other, "liar", "x", 600);
	fake_field(&other, "UNIT=ssh.service");
	ck_assert_int_eq(test_unit("ssh.service", &other.rec), 0);
	/* A privileged daemon's OBJECT_SYSTEMD_UNIT=. */
	fake_init(&obj, "polkit", "x", 700);
	obj.rec.hdr.uid = 0;
	fake_field(&obj, "OBJECT_SYSTEMD_UNIT=ssh.service");
	ck_assert_int_eq(test_unit("ssh.service", &obj.rec), 1);
	obj.rec.hdr.uid = 1;
	ck_assert_int_eq(test_unit("ssh.service", &obj.rec), 0);
	/* A slice: everything in it. */
	fake_init(&slice, "x", "y", 800);
	fake_field(&slice, "_SYSTEMD_SLICE=system.slice");
	ck_assert_int_eq(test_unit("system.slice", &slice.rec), 1);
	ck_assert_int_eq(test_unit("sys*", &slice.rec), 1);
	ck_assert_int_eq(test_unit("system.service", &slice.rec), 0);
}
END_TEST

Suite *
fields_suite(void)
{
	Suite *s = suite_create("fields");
	TCase *tc;

	tc = tcase_create("iterator");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, fields_order);
	tcase_add_test(tc, fields_optional);
	tcase_add_test(tc, fields_skipped);
	tcase_add_test(tc, fields_ring);
	suite_add_tcase(s, tc);
	tc = tcase_create("match");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, match_forms);
	tcase_add_test(tc, match_invalid);
	tcase_add_test(tc, match_clauses);
	tcase_add_test(tc, match_unit);
	suite_add_tcase(s, tc);
	return s;
}
