/*
 * check_ratelimit.c: daemon/ratelimit.c, what one sender may put in the
 * ring: each uid's share of the ring (a token bucket of bytes), and the
 * drops clients report (bounded, a burst in place, the rest coalesced).
 * The limiter is driven with explicit times; its notes are collected by
 * the test's note function instead of going to a ring.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../daemon/ratelimit.h"
#include "wire.h"

#define SEC		((uint64_t)1000000)
#define T0		((uint64_t)1000 * SEC)
#define OTHER_UID	12345	/* neither root nor the test's own */
#define NOTES_MAX	16

struct note {
	char key[32];
	char msg[300];
	uint64_t value;
	uid_t uid;
};

static struct note notes[NOTES_MAX];
static unsigned n_notes;
static struct mml_ratelimit *rl;

static void
note_cb(const struct mml_rate_sender *who, const char *key, const char *msg,
    size_t msg_len, uint64_t value, void *arg)
{
	struct note *n;

	(void)arg;
	ck_assert_uint_lt(n_notes, NOTES_MAX);
	n = &notes[n_notes++];
	(void)snprintf(n->key, sizeof(n->key), "%s", key);
	(void)snprintf(n->msg, sizeof(n->msg), "%.*s", (int)msg_len, msg);
	n->value = value;
	n->uid = who->uid;
}

static void
setup(void)
{
	n_notes = 0;
	rl = mml_ratelimit_new(note_cb, NULL);
	ck_assert_ptr_nonnull(rl);
}

static void
teardown(void)
{
	rl = mml_ratelimit_free(rl);
}

static struct mml_rate_sender
sender(uid_t uid)
{
	struct mml_rate_sender w;

	w.pid = 4242;
	w.uid = uid;
	w.gid = uid;
	w.comm = "hog";
	w.comm_len = 3;
	return w;
}

/* 10% of 100000 bytes per 10 s: 10000 bytes at once, 1000 a second. */
START_TEST(test_share_bucket)
{
	struct mml_rate_sender w = sender(OTHER_UID);
	unsigned i, passed = 0;

	mml_ratelimit_set_share(rl, 100000, 10, 10);
	for (i = 0; i < 150; i++)
		passed += (unsigned)mml_ratelimit_share(rl, &w, 100, T0);
	ck_assert_uint_eq(passed, 100);
	ck_assert_uint_eq(n_notes, 0);
	/* Half a second later: 500 bytes more, five records. */
	for (i = 0, passed = 0; i < 20; i++)
		passed += (unsigned)mml_ratelimit_share(rl, &w, 100,
		    T0 + SEC / 2);
	ck_assert_uint_eq(passed, 5);
	/* The second is over: one note for the 65 suppressed. */
	mml_ratelimit_sweep(rl, T0 + SEC, 0);
	ck_assert_uint_eq(n_notes, 1);
	ck_assert_str_eq(notes[0].key, "MMLOG_SUPPRESSED");
	ck_assert_uint_eq(notes[0].value, 65);
	ck_assert_uint_eq(notes[0].uid, OTHER_UID);
	ck_assert_str_eq(notes[0].msg, "suppressed 65 entries (6500 bytes) "
	    "from uid 12345, the last from pid 4242 (hog): over its share of "
	    "the ring (10% of 100000 bytes per 10 s)");
	/* Quiet long enough, the uid is forgotten with a full share. */
	mml_ratelimit_sweep(rl, T0 + 30 * SEC, 0);
	ck_assert_uint_eq(mml_ratelimit_uids(rl), 0);
	ck_assert_int_eq(mml_ratelimit_idle(rl), 1);
	for (i = 0, passed = 0; i < 150; i++)
		passed += (unsigned)mml_ratelimit_share(rl, &w, 100,
		    T0 + 31 * SEC);
	ck_assert_uint_eq(passed, 100);
}
END_TEST

/* Root and the daemon's own uid are never charged; 0% means no limit. */
START_TEST(test_share_exempt)
{
	struct mml_rate_sender root = sender(0), self = sender(geteuid());
	struct mml_rate_sender w = sender(OTHER_UID);
	unsigned i;

	mml_ratelimit_set_share(rl, 100000, 1, 60);
	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(mml_ratelimit_share(rl, &root, 4096, T0), 1);
		ck_assert_int_eq(mml_ratelimit_share(rl, &self, 4096, T0), 1);
	}
	ck_assert_uint_eq(mml_ratelimit_uids(rl), 0);
	ck_assert_int_eq(mml_rate_privileged(0), 1);
	ck_assert_int_eq(mml_rate_privileged(geteuid()), 1);
	ck_assert_int_eq(mml_rate_privileged(OTHER_UID), geteuid() ==
	    OTHER_UID);
	mml_ratelimit_set_share(rl, 100000, 0, 60);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(mml_ratelimit_share(rl, &w, 4096, T0), 1);
}
END_TEST

/* A full share lets one record larger than the share through, once. */
START_TEST(test_share_large_record)
{
	struct mml_rate_sender w = sender(OTHER_UID);

	mml_ratelimit_set_share(rl, 10000, 1, 60);	/* 100 bytes */
	ck_assert_int_eq(mml_ratelimit_share(rl, &w, 4000, T0), 1);
	ck_assert_int_eq(mml_ratelimit_share(rl, &w, 50, T0 + SEC), 0);
	/* The debt is paid back at 100 bytes a minute. */
	ck_assert_int_eq(mml_ratelimit_share(rl, &w, 50, T0 + 30 * 60 * SEC),
	    0);
	ck_assert_int_eq(mml_ratelimit_share(rl, &w, 50, T0 + 41 * 60 * SEC),
	    1);
}
END_TEST

/*
 * Drop reports: bounded to MML_WIRE_DROPPED_MAX each; 100 a second in
 * place, the rest coalesced into one note (bounded again) when the
 * second is over.
 */
START_TEST(test_drops_coalesced)
{
	struct mml_rate_sender root = sender(0);
	uint64_t n, sum = 0;
	unsigned i, in_place = 0;

	ck_assert_uint_eq(mml_ratelimit_drops(rl, &root, UINT32_MAX, 200, T0),
	    MML_WIRE_DROPPED_MAX);
	for (i = 1; i < 150; i++) {
		n = mml_ratelimit_drops(rl, &root, 2, 200, T0 + i);
		if (n > 0) {
			ck_assert_uint_eq(n, 2);
			in_place++;
		}
	}
	ck_assert_uint_eq(in_place, MML_DROP_NOTES_BURST - 1);
	ck_assert_uint_eq(n_notes, 0);
	mml_ratelimit_sweep(rl, T0 + SEC, 0);
	ck_assert_uint_eq(n_notes, 1);
	ck_assert_str_eq(notes[0].key, "MMLOG_DROPPED");
	ck_assert_uint_eq(notes[0].value, 50 * 2);
	ck_assert_msg(strstr(notes[0].msg, "dropped 100 entries before this "
	    "point (reports coalesced") != NULL, "%s", notes[0].msg);
	/* A new second: in place again; a flood of claims stays bounded. */
	ck_assert_uint_eq(mml_ratelimit_drops(rl, &root, 7, 200, T0 + SEC + 1),
	    7);
	for (i = 0; i < 1000; i++)
		sum += mml_ratelimit_drops(rl, &root, UINT32_MAX, 200,
		    T0 + SEC + 2);
	ck_assert_uint_eq(sum, (uint64_t)(MML_DROP_NOTES_BURST - 1) *
	    MML_WIRE_DROPPED_MAX);
	mml_ratelimit_sweep(rl, 0, 1);
	ck_assert_uint_eq(n_notes, 2);
	ck_assert_uint_eq(notes[1].value, MML_WIRE_DROPPED_MAX);
}
END_TEST

/* A drop note counts against the sender: its share and its rate window. */
START_TEST(test_drops_charged)
{
	struct mml_rate_sender w = sender(OTHER_UID), root = sender(0);

	mml_ratelimit_set_share(rl, 100000, 1, 60);	/* 1000 bytes */
	ck_assert_uint_eq(mml_ratelimit_drops(rl, &w, 1, 600, T0), 1);
	/* 400 bytes left: the next note would not fit. */
	ck_assert_uint_eq(mml_ratelimit_drops(rl, &w, 1, 600, T0), 0);
	ck_assert_int_eq(mml_ratelimit_share(rl, &w, 400, T0), 1);
	ck_assert_int_eq(mml_ratelimit_share(rl, &w, 1, T0), 0);
	/* The rate window: one entry of burst 2 left after a note. */
	mml_ratelimit_set(rl, 1000, 2, MML_RATE_BY_UID);
	ck_assert_uint_eq(mml_ratelimit_drops(rl, &root, 3, 600, T0), 3);
	ck_assert_uint_eq(mml_ratelimit_drops(rl, &root, 3, 600, T0), 3);
	ck_assert_uint_eq(mml_ratelimit_drops(rl, &root, 3, 600, T0), 0);
	mml_ratelimit_sweep(rl, 0, 1);
}
END_TEST

Suite *
ratelimit_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("ratelimit");
	tc = tcase_create("share");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_share_bucket);
	tcase_add_test(tc, test_share_exempt);
	tcase_add_test(tc, test_share_large_record);
	suite_add_tcase(s, tc);
	tc = tcase_create("drops");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_drops_coalesced);
	tcase_add_test(tc, test_drops_charged);
	suite_add_tcase(s, tc);
	return s;
}
