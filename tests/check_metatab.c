/*
 * check_metatab.c: the writer's metadata table (daemon/metatab.c) on a
 * table in memory: the same fields share a slot, a slot is reused only
 * once the tail passed every entry naming it, the generation moves on,
 * what a clean close stores and what a crash makes it assume.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/metatab.h"
#include "tables.h"

Suite *metatab_suite(void);

#define SEED	0x12345678U
#define N	64

static uint8_t *table;

static void
setup(void)
{
	table = calloc(N, MML_META_SLOT_SIZE);
	ck_assert_ptr_nonnull(table);
}

static void
teardown(void)
{
	free(table);
}

/* Fields "_CMDLINE=cmd <k>", as a sender's; returns the ref. */
static uint32_t
ref_k(struct mml_metatab *t, unsigned k, uint64_t seq, uint64_t tail)
{
	uint8_t b[64];
	char v[32];
	size_t len = 0;
	int n;

	n = snprintf(v, sizeof(v), "cmd %u", k);
	ck_assert_int_eq(mml_fields_put(b, sizeof(b), &len, "_CMDLINE", 8, v,
	    (size_t)n), 0);
	return mml_metatab_ref(t, b, (uint32_t)len, mml_crc32c(0, b, len), seq,
	    tail);
}

/* The fields in the slot a ref names, as "cmd <k>": returns k. */
static unsigned
slot_k(uint32_t ref)
{
	const uint8_t *p = table + (size_t)(mml_meta_ref_slot(ref) - 1) *
	    MML_META_SLOT_SIZE;
	struct mml_meta_slot h;
	unsigned k;

	ck_assert_int_eq(mml_meta_slot_check(p, mml_meta_ref_slot(ref), SEED),
	    1);
	memcpy(&h, p, sizeof(h));
	ck_assert_uint_eq(h.gen, mml_meta_ref_gen(ref));
	ck_assert_int_eq(sscanf((const char *)p + 32 + 4, "_CMDLINE=cmd %u",
	    &k), 1);
	return k;
}

START_TEST(test_share)
{
	struct mml_metatab_stats st;
	struct mml_metatab *t;
	uint32_t a, b, c;
	uint64_t off, len;

	t = mml_metatab_open(table, N, SEED, 1, 1);
	ck_assert_ptr_nonnull(t);
	a = ref_k(t, 1, 1, 1);
	b = ref_k(t, 2, 2, 1);
	c = ref_k(t, 1, 3, 1);
	ck_assert_uint_ne(a, 0);
	ck_assert_uint_ne(b, 0);
	ck_assert_uint_eq(a, c);
	ck_assert_uint_ne(mml_meta_ref_slot(a), mml_meta_ref_slot(b));
	ck_assert_uint_eq(mml_meta_ref_gen(a), 1);
	ck_assert_uint_eq(slot_k(a), 1);
	ck_assert_uint_eq(slot_k(b), 2);
	mml_metatab_stats(t, &st);
	ck_assert_uint_eq(st.slots, N);
	ck_assert_uint_eq(st.used, 2);
	ck_assert_uint_eq(st.written, 2);

	/* Written pages: both slots in the first page. */
	mml_metatab_take_dirty(t, &off, &len);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(len, 4096);
	mml_metatab_take_dirty(t, &off, &len);
	ck_assert_uint_eq(len, 0);
	/* Naming a slot again writes nothing. */
	(void)ref_k(t, 2, 4, 1);
	mml_metatab_take_dirty(t, &off, &len);
	ck_assert_uint_eq(len, 0);
	t = mml_metatab_free(t);
}
END_TEST

/*
 * Naming a slot again by its word (the next entry of the same frame)
 * keeps it live as a lookup does, and fails once the slot holds other
 * fields, or none.
 */
START_TEST(test_again)
{
	struct mml_metatab *t;
	uint32_t a, r;
	unsigned k;

	t = mml_metatab_open(table, N, SEED, 1, 1);
	a = ref_k(t, 1, 1, 1);
	for (k = 2; k <= N; k++)
		ck_assert_uint_ne(ref_k(t, k, k, 1), 0);
	/* k 1's slot is the oldest; named again at 100, it stays. */
	ck_assert_uint_eq(mml_metatab_again(t, a, 100), a);
	r = ref_k(t, 5000, 101, 3);
	ck_assert_uint_ne(r, 0);
	ck_assert_uint_ne(mml_meta_ref_slot(r), mml_meta_ref_slot(a));
	ck_assert_uint_eq(ref_k(t, 1, 102, 3), a);
	/* Its slot reused for other fields: the old word names nothing. */
	for (k = 0; k < N; k++)
		(void)ref_k(t, 6000 + k, 200 + k, 200);
	ck_assert_uint_eq(mml_metatab_again(t, a, 300), 0);
	ck_assert_uint_eq(mml_metatab_again(t, 0, 300), 0);
	ck_assert_uint_eq(mml_metatab_again(t, mml_meta_ref(N + 1, 1), 300),
	    0);
	/* A slot of live fields, then the table reset: none. */
	r = ref_k(t, 6000, 400, 200);
	ck_assert_uint_eq(mml_metatab_again(t, r, 401), r);
	mml_metatab_reset(t);
	ck_assert_uint_eq(mml_metatab_again(t, r, 402), 0);
	(void)mml_metatab_free(t);
}
END_TEST

/*
 * Every slot named by a live entry: the next new fields go inline (0).
 * Once the tail passes the oldest slot's entries it is reused, with the
 * next generation.
 */
START_TEST(test_full_reuse)
{
	struct mml_metatab_stats st;
	struct mml_metatab *t;
	uint32_t r, first = 0;
	uint64_t off, len;
	unsigned k;

	t = mml_metatab_open(table, N, SEED, 1, 1);
	for (k = 0; k < N; k++) {
		r = ref_k(t, k, 100 + k, 100);
		ck_assert_uint_ne(r, 0);
		if (k == 0)
			first = r;
	}
	mml_metatab_take_dirty(t, &off, &len);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(len, (uint64_t)N * MML_META_SLOT_SIZE);
	ck_assert_uint_eq(ref_k(t, 1000, 200, 100), 0);
	ck_assert_uint_eq(ref_k(t, 1000, 201, 100 + 0), 0);
	mml_metatab_stats(t, &st);
	ck_assert_uint_eq(st.full, 2);
	/* Known fields are still found. */
	ck_assert_uint_eq(ref_k(t, 0, 202, 100), first);

	/* The tail passed 101 (k 1's only entry): slot of k 1 goes. */
	r = ref_k(t, 1000, 203, 102);
	ck_assert_uint_ne(r, 0);
	ck_assert_uint_eq(mml_meta_ref_gen(r), 2);
	ck_assert_uint_eq(slot_k(r), 1000);
	/* k 0 was named at 202: still live; k 2 at 102 is not. */
	r = ref_k(t, 1001, 204, 103);
	ck_assert_uint_ne(r, 0);
	ck_assert_uint_eq(slot_k(r), 1001);
	ck_assert_uint_eq(ref_k(t, 1002, 205, 103), 0);
	ck_assert_uint_eq(slot_k(first), 0);

	/* Dirty: from the first slot rewritten to the last. */
	mml_metatab_take_dirty(t, &off, &len);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(len, 4096);
	(void)mml_metatab_free(t);
}
END_TEST

/* A clean close stores last_seq; the next clean open keeps them. */
START_TEST(test_clean_reopen)
{
	struct mml_metatab *t;
	uint32_t a, b, r;

	t = mml_metatab_open(table, N, SEED, 1, 1);
	a = ref_k(t, 1, 10, 1);
	b = ref_k(t, 2, 20, 1);
	mml_metatab_seal(t);
	t = mml_metatab_free(t);

	t = mml_metatab_open(table, N, SEED, 1, 21);
	/* The same fields, the same slot and generation. */
	ck_assert_uint_eq(ref_k(t, 1, 21, 5), a);
	/* Fill the rest; slot of k 2 (last 20) is then the oldest. */
	for (r = 3; r < N + 1; r++)
		ck_assert_uint_ne(ref_k(t, r, 21 + r, 5), 0);
	ck_assert_uint_eq(ref_k(t, 999, 100, 20), 0);
	r = ref_k(t, 999, 101, 21);
	ck_assert_uint_eq(mml_meta_ref_slot(r), mml_meta_ref_slot(b));
	ck_assert_uint_eq(mml_meta_ref_gen(r), 2);
	(void)mml_metatab_free(t);
}
END_TEST

/*
 * After a crash nothing is known of last_seq: every slot that holds
 * fields counts as named up to the open, also after a later clean close
 * (which stores that), and a damaged slot too.
 */
START_TEST(test_dirty_reopen)
{
	struct mml_metatab_stats st;
	struct mml_metatab *t;
	uint32_t a, r;
	unsigned k;

	t = mml_metatab_open(table, N, SEED, 1, 1);
	a = ref_k(t, 1, 10, 1);
	for (k = 2; k <= N; k++)
		(void)ref_k(t, k, 10 + k, 1);
	mml_metatab_seal(t);
	t = mml_metatab_free(t);
	/* Damage slot of k 1. */
	table[(size_t)(mml_meta_ref_slot(a) - 1) * MML_META_SLOT_SIZE + 40] ^= 1;

	/* Dirty: stored last_seqs ignored; named until 999. */
	t = mml_metatab_open(table, N, SEED, 0, 1000);
	mml_metatab_stats(t, &st);
	ck_assert_uint_eq(st.damaged, 1);
	ck_assert_uint_eq(st.used, N - 1);
	ck_assert_uint_eq(ref_k(t, 5000, 1000, 999), 0);
	/* The damaged slot is not found by its fields. */
	ck_assert_uint_eq(ref_k(t, 1, 1001, 999), 0);
	/* A clean close now stores 999 for the slots not named since. */
	mml_metatab_seal(t);
	t = mml_metatab_free(t);
	t = mml_metatab_open(table, N, SEED, 1, 1002);
	ck_assert_uint_eq(ref_k(t, 5000, 1002, 999), 0);
	r = ref_k(t, 5000, 1003, 1000);
	ck_assert_uint_ne(r, 0);
	(void)mml_metatab_free(t);

	/* The damaged slot, reused, with a generation after its own. */
	t = mml_metatab_open(table, N, SEED, 0, 2000);
	for (k = 0; k < N; k++)
		(void)ref_k(t, 6000 + k, 2000 + k, 2000);
	for (k = 0; k < N; k++)
		ck_assert_uint_eq(slot_k(ref_k(t, 6000 + k, 3000 + k, 2000)),
		    6000 + k);
	(void)mml_metatab_free(t);
}
END_TEST

/*
 * After a crash, a walk of the ring's entries says which slots they
 * still name: the others are free at once, those named keep their
 * newest entry; a walk that broke changes nothing.
 */
START_TEST(test_recount)
{
	struct mml_metatab *t;
	uint32_t ref[N + 1], r;
	unsigned k;

	t = mml_metatab_open(table, N, SEED, 1, 1);
	for (k = 1; k <= N; k++)
		ref[k] = ref_k(t, k, k, 1);
	t = mml_metatab_free(t);

	/* A walk that broke: every slot still named up to the open. */
	t = mml_metatab_open(table, N, SEED, 0, 1000);
	ck_assert_int_eq(mml_metatab_recount_begin(t), 0);
	mml_metatab_recount(t, ref[3], 3);
	mml_metatab_recount_end(t, 0);
	ck_assert_uint_eq(ref_k(t, 5000, 1000, 999), 0);
	t = mml_metatab_free(t);

	/*
	 * The tail at seq 40: entries 40..64 are in the ring, and entry
	 * 900 names k 3's slot, one of an older generation names k 10's.
	 */
	t = mml_metatab_open(table, N, SEED, 0, 1000);
	ck_assert_int_eq(mml_metatab_recount_begin(t), 0);
	for (k = 40; k <= N; k++)
		mml_metatab_recount(t, ref[k], k);
	mml_metatab_recount(t, ref[3], 900);
	mml_metatab_recount(t, mml_meta_ref(mml_meta_ref_slot(ref[10]),
	    (uint16_t)(mml_meta_ref_gen(ref[10]) + 7)), 901);
	mml_metatab_recount(t, 0, 902);		/* none: ignored */
	mml_metatab_recount_end(t, 1);
	/* Slots of k 1..39 but 3 and 10 are free: 37 new senders fit. */
	for (k = 0; k < 37; k++) {
		r = ref_k(t, 6000 + k, 1000 + k, 40);
		ck_assert_uint_ne(r, 0);
		ck_assert_uint_eq(slot_k(r), 6000 + k);
	}
	ck_assert_uint_eq(ref_k(t, 7000, 1100, 40), 0);
	/* The named ones kept their fields, found by them. */
	ck_assert_uint_eq(ref_k(t, 3, 1101, 40), ref[3]);
	ck_assert_uint_eq(ref_k(t, 10, 1102, 40), ref[10]);
	ck_assert_uint_eq(ref_k(t, 50, 1103, 40), ref[50]);
	/* The tail past the walked entries: their slots are free again. */
	r = ref_k(t, 7001, 1104, 1000);
	ck_assert_uint_ne(r, 0);
	ck_assert_uint_eq(slot_k(r), 7001);
	(void)mml_metatab_free(t);
}
END_TEST

/* The generation wraps from 65535 to 1, never 0 (a table of one slot). */
START_TEST(test_gen_wrap)
{
	struct mml_metatab *t;
	uint64_t seq;
	uint32_t r = 0;

	t = mml_metatab_open(table, 1, SEED, 1, 1);
	for (seq = 1; seq <= 65537; seq++) {
		r = ref_k(t, (unsigned)seq, seq, seq);
		ck_assert_uint_eq(mml_meta_ref_slot(r), 1);
		ck_assert_uint_eq(mml_meta_ref_gen(r),
		    seq <= 65535 ? seq : seq - 65535);
	}
	ck_assert_uint_eq(mml_meta_ref_gen(r), 2);
	(void)mml_metatab_free(t);
}
END_TEST

START_TEST(test_reset)
{
	struct mml_metatab_stats st;
	struct mml_metatab *t;
	uint64_t off, len;
	unsigned k;
	uint32_t r;

	t = mml_metatab_open(table, N, SEED, 1, 1);
	for (k = 0; k < N; k++)
		(void)ref_k(t, k, 100 + k, 100);
	mml_metatab_take_dirty(t, &off, &len);
	mml_metatab_reset(t);
	mml_metatab_stats(t, &st);
	ck_assert_uint_eq(st.used, 0);
	mml_metatab_take_dirty(t, &off, &len);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(len, (uint64_t)N * MML_META_SLOT_SIZE);
	for (k = 0; k < (size_t)N * MML_META_SLOT_SIZE; k++)
		ck_assert_uint_eq(table[k], 0);
	r = ref_k(t, 7, 1, 1);
	ck_assert_uint_eq(mml_meta_ref_gen(r), 1);
	(void)mml_metatab_free(t);
}
END_TEST

Suite *
metatab_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("metatab");
	tc = tcase_create("slots");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_share);
	tcase_add_test(tc, test_again);
	tcase_add_test(tc, test_full_reuse);
	tcase_add_test(tc, test_clean_reopen);
	tcase_add_test(tc, test_dirty_reopen);
	tcase_add_test(tc, test_recount);
	tcase_add_test(tc, test_gen_wrap);
	tcase_add_test(tc, test_reset);
	suite_add_tcase(s, tc);
	return s;
}
