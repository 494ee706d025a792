/*
 * check_tables.c: the metadata slots and the boot table (proto/tables.c):
 * their geometry, each byte a CRC covers, and the sorted boot list.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "tables.h"

Suite *tables_suite(void);

#define SEED	0x5eedf00dU

START_TEST(test_geometry)
{
	ck_assert_uint_eq(mml_meta_slots(MML_DISK_CAP_MIN), 64);
	ck_assert_uint_eq(mml_meta_slots((uint64_t)4 << 20), 64);
	ck_assert_uint_eq(mml_meta_slots((uint64_t)64 << 20), 1024);
	ck_assert_uint_eq(mml_meta_slots((uint64_t)1 << 30), 16384);
	ck_assert_uint_eq(mml_meta_slots((uint64_t)4 << 30), 65535);
	ck_assert_uint_eq(mml_meta_slots(MML_DISK_CAP_MAX), 65535);
	ck_assert_uint_eq(mml_meta_size((uint64_t)64 << 20), 1 << 20);
	ck_assert_uint_eq(mml_meta_size(MML_DISK_CAP_MAX),
	    (uint64_t)65536 * 1024);
	ck_assert_uint_eq(mml_meta_size(MML_DISK_CAP_MIN), 64 * 1024);
	ck_assert_uint_eq(mml_meta_file_off((uint64_t)64 << 20),
	    mml_idx_file_off((uint64_t)64 << 20) +
	    mml_idx_size((uint64_t)64 << 20));
	ck_assert_uint_eq(mml_meta_file_off(MML_DISK_CAP_MIN) % 4096, 0);
	ck_assert_uint_eq(MML_META_SLOT_ROOM, 992);
}
END_TEST

START_TEST(test_ref)
{
	uint32_t r = mml_meta_ref(65535, 7);

	ck_assert_uint_eq(mml_meta_ref_slot(r), 65535);
	ck_assert_uint_eq(mml_meta_ref_gen(r), 7);
	ck_assert_uint_eq(mml_meta_ref(0, 0), 0);
}
END_TEST

/* A fields block of two items, for the slots. */
static size_t
block(uint8_t *b, size_t cap)
{
	size_t len = 0;

	ck_assert_int_eq(mml_fields_put(b, cap, &len, "_EXE", 4, "/bin/sh",
	    7), 0);
	ck_assert_int_eq(mml_fields_put(b, cap, &len, "_SYSTEMD_UNIT", 13,
	    "a.service", 9), 0);
	return len;
}

START_TEST(test_slot)
{
	uint8_t s[MML_META_SLOT_SIZE], c[MML_META_SLOT_SIZE], b[256];
	uint8_t big[MML_META_SLOT_ROOM];
	struct mml_meta_slot h;
	size_t len = block(b, sizeof(b)), i;

	memset(s, 0, sizeof(s));
	ck_assert_int_eq(mml_meta_slot_check(s, 3, SEED), 0);
	memset(s, 0xAA, sizeof(s));	/* written over: the rest is zeroed */
	mml_meta_slot_write(s, 3, 9, 100, 0, b, (uint32_t)len, SEED);
	ck_assert_int_eq(mml_meta_slot_check(s, 3, SEED), 1);
	memcpy(&h, s, sizeof(h));
	ck_assert_uint_eq(h.len, len);
	ck_assert_uint_eq(h.gen, 9);
	ck_assert_uint_eq(h.slot, 3);
	ck_assert_uint_eq(h.first_seq, 100);
	ck_assert_uint_eq(h.last_seq, 0);
	ck_assert(memcmp(s + 32, b, len) == 0);
	for (i = 32 + len; i < sizeof(s); i++)
		ck_assert_uint_eq(s[i], 0);
	/* Another slot's number, another ring's seed. */
	ck_assert_int_eq(mml_meta_slot_check(s, 4, SEED), -1);
	ck_assert_int_eq(mml_meta_slot_check(s, 3, 0), -1);

	/* Every covered byte counts. */
	for (i = 0; i < 32 + len; i++) {
		memcpy(c, s, sizeof(c));
		c[i] ^= 0x10;
		ck_assert_msg(mml_meta_slot_check(c, 3, SEED) == -1,
		    "byte %zu", i);
	}

	mml_meta_slot_seal(s, 12345, SEED);
	ck_assert_int_eq(mml_meta_slot_check(s, 3, SEED), 1);
	memcpy(&h, s, sizeof(h));
	ck_assert_uint_eq(h.last_seq, 12345);
	ck_assert_uint_eq(h.first_seq, 100);

	/* Generation 0, reserved bits, a length past the room. */
	mml_meta_slot_write(s, 3, 0, 100, 0, b, (uint32_t)len, SEED);
	ck_assert_int_eq(mml_meta_slot_check(s, 3, SEED), -1);
	memset(big, 0, sizeof(big));
	mml_meta_slot_write(s, 3, 1, 100, 0, big, sizeof(big), SEED);
	ck_assert_int_eq(mml_meta_slot_check(s, 3, SEED), -1);	/* block */
	memset(s, 0, sizeof(s));
	mml_meta_slot_write(s, 3, 1, 100, 0, NULL, 0, SEED);
	ck_assert_int_eq(mml_meta_slot_check(s, 3, SEED), 1);
	h.len = MML_META_SLOT_ROOM + 1;
	h.gen = 1;
	h.slot = 3;
	h.reserved = 0;
	memcpy(s, &h, sizeof(h));
	ck_assert_int_eq(mml_meta_slot_check(s, 3, SEED), -1);
}
END_TEST

START_TEST(test_boot)
{
	static const uint8_t id[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
	    12, 13, 14, 15, 16 };
	struct mml_boot b, c, z;
	size_t i;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(mml_boot_check(&z, SEED), 0);
	mml_boot_make(&b, id, 42, 1000, 2000, SEED);
	ck_assert_int_eq(mml_boot_check(&b, SEED), 1);
	ck_assert_int_eq(mml_boot_check(&b, 0), -1);
	for (i = 0; i < sizeof(b); i++) {
		memcpy(&c, &b, sizeof(c));
		((uint8_t *)&c)[i] ^= 0x01;
		ck_assert_msg(mml_boot_check(&c, SEED) == -1, "byte %zu", i);
	}
	/* seq 0 is none: never a boot's first. */
	mml_boot_make(&b, id, 0, 1000, 2000, SEED);
	ck_assert_int_eq(mml_boot_check(&b, SEED), -1);
}
END_TEST

START_TEST(test_boots_sorted)
{
	struct mml_boot table[MML_BOOT_MAX], got[MML_BOOT_MAX];
	unsigned pos[MML_BOOT_MAX];
	uint8_t id[16];
	size_t n;

	memset(table, 0, sizeof(table));
	ck_assert_uint_eq(mml_boots_sorted(table, SEED, got, pos), 0);
	ck_assert_int_eq(mml_boots_find(got, 0, 5), -1);

	/* A ring order that went round: 62, 63, then 0, 1, 2. */
	memset(id, 0, sizeof(id));
	id[0] = 1;
	mml_boot_make(&table[62], id, 100, 1, 1, SEED);
	id[0] = 2;
	mml_boot_make(&table[63], id, 200, 2, 2, SEED);
	id[0] = 3;
	mml_boot_make(&table[0], id, 300, 3, 3, SEED);
	id[0] = 4;
	mml_boot_make(&table[1], id, 400, 4, 4, SEED);
	/* Damaged: left out. */
	id[0] = 5;
	mml_boot_make(&table[2], id, 500, 5, 5, SEED);
	table[2].first_realtime++;
	/* The same first_seq twice (damage): the first in the table kept. */
	id[0] = 6;
	mml_boot_make(&table[30], id, 300, 6, 6, SEED);

	n = mml_boots_sorted(table, SEED, got, pos);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(got[0].first_seq, 100);
	ck_assert_uint_eq(got[0].boot_id[0], 1);
	ck_assert_uint_eq(pos[0], 62);
	ck_assert_uint_eq(got[1].first_seq, 200);
	ck_assert_uint_eq(got[2].first_seq, 300);
	ck_assert_uint_eq(got[2].boot_id[0], 3);
	ck_assert_uint_eq(pos[2], 0);
	ck_assert_uint_eq(got[3].first_seq, 400);
	ck_assert_uint_eq(pos[3], 1);
	ck_assert_uint_eq(mml_boots_sorted(table, SEED, got, NULL), 4);

	ck_assert_int_eq(mml_boots_find(got, n, 99), -1);
	ck_assert_int_eq(mml_boots_find(got, n, 100), 0);
	ck_assert_int_eq(mml_boots_find(got, n, 199), 0);
	ck_assert_int_eq(mml_boots_find(got, n, 200), 1);
	ck_assert_int_eq(mml_boots_find(got, n, 350), 2);
	ck_assert_int_eq(mml_boots_find(got, n, 400), 3);
	ck_assert_int_eq(mml_boots_find(got, n, UINT64_MAX), 3);
}
END_TEST

Suite *
tables_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("tables");
	tc = tcase_create("meta_slots");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_geometry);
	tcase_add_test(tc, test_ref);
	tcase_add_test(tc, test_slot);
	suite_add_tcase(s, tc);
	tc = tcase_create("boots");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_boot);
	tcase_add_test(tc, test_boots_sorted);
	suite_add_tcase(s, tc);
	return s;
}
