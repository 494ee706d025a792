/*
 * check_entry.c: the entries the intakes build (daemon/entry.c): fields
 * appended and cut at the buffer's end, and an oversized entry cut to
 * --max-entry with its original size recorded.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "entry.h"
#include "wire.h"

Suite *entry_suite(void);

/* The value of field key in e, or NULL; its length in *ret_len. */
static const uint8_t *
field(const struct mml_ent *e, const char *key, size_t *ret_len)
{
	const uint8_t *item;
	size_t off = 0, len, key_len;

	while (mml_fields_next(e->fields, e->fields_len, &off, &item, &len,
	    &key_len) > 0) {
		if (key_len == strlen(key) && memcmp(item, key, key_len) == 0) {
			*ret_len = len - key_len - 1;
			return item + key_len + 1;
		}
	}
	return NULL;
}

START_TEST(test_add)
{
	uint8_t buf[256];
	struct mml_ent e;
	const uint8_t *v;
	size_t len;

	mml_ent_init(&e, buf, sizeof(buf));
	ck_assert_int_eq(e.priority, 6);
	mml_ent_set_tag(&e, "app", 3);
	mml_ent_set_msg(&e, "hello", 5);
	ck_assert_int_eq(mml_ent_add_str(&e, "SYSLOG_PID", "42", 2), 0);
	ck_assert_int_eq(mml_ent_add_u64(&e, "SYSLOG_FACILITY", 3), 0);
	ck_assert_uint_eq(e.n_fields, 2);
	v = field(&e, "SYSLOG_FACILITY", &len);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(v[0], '3');
	ck_assert_uint_eq(mml_ent_size(&e), 3 + 5 + (4 + 13) + (4 + 17));
	ck_assert_uint_eq(e.orig_size, mml_ent_size(&e));
	ck_assert_int_eq(e.cut, 0);
	ck_assert_int_eq(mml_ent_fit(&e, 4096), 0);
	ck_assert_int_eq(mml_ent_add(&e, "", 0, "x", 1), -EINVAL);
}
END_TEST

/* A field larger than the room left is cut, and nothing follows it. */
START_TEST(test_add_cut)
{
	uint8_t buf[64], big[100];
	struct mml_ent e;
	const uint8_t *v;
	size_t len;

	memset(big, 'b', sizeof(big));
	mml_ent_init(&e, buf, sizeof(buf));
	ck_assert_int_eq(mml_ent_add_str(&e, "A", "1", 1), 0);
	ck_assert_int_eq(mml_ent_add_str(&e, "BIG", big, sizeof(big)),
	    -ENOBUFS);
	ck_assert_int_eq(e.cut, 1);
	v = field(&e, "BIG", &len);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(len, sizeof(buf) - 7 - 8);
	ck_assert_int_eq(mml_ent_add_str(&e, "C", "1", 1), -ENOBUFS);
	ck_assert_ptr_null(field(&e, "C", &len));
	ck_assert_uint_eq(e.orig_size, 7 + (4 + 4 + 100) + 7);
}
END_TEST

/*
 * mml_ent_fit() on a table of entries: message and fields of given
 * sizes, the limit, and what must stay.
 */
START_TEST(test_fit)
{
	static const struct {
		size_t msg, f1, f2, max;
		int cut;
		size_t msg_kept;	/* bytes of message left */
		int f1_kept, f2_kept;	/* -1 gone, 0 cut, 1 whole */
	} t[] = {
		{ 100, 0, 0, 4096, 0, 100, -1, -1 },
		{ 6000, 0, 0, 4096, 1, 4096 - 3 - 28, -1, -1 },
		{ 4096, 0, 0, 4096, 1, 4096 - 3 - 28, -1, -1 },
		{ 1000, 100, 5000, 4096, 1, 1000, 1, 0 },
		{ 1000, 5000, 100, 4096, 1, 1000, 0, -1 },
		{ 100, 10, 10, 512, 0, 100, 1, 1 },
		{ 600, 10, 10, 512, 1, 512 - 3 - 27, -1, -1 },
		/* The note MMLOG_ORIGINAL_SIZE=N takes 24 + digits of N. */
		/* Below the smallest limit, the smallest is used. */
		{ 600, 0, 0, 100, 1, 512 - 3 - 27, -1, -1 },
	};
	static uint8_t msg[8192], val[8192];
	uint8_t buf[MML_FRAME_MAX];
	struct mml_ent e;
	const uint8_t *v;
	char want[32];
	size_t i, len, orig;

	memset(msg, 'm', sizeof(msg));
	memset(val, 'v', sizeof(val));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mml_ent_init(&e, buf, sizeof(buf));
		mml_ent_set_tag(&e, "tag", 3);
		mml_ent_set_msg(&e, msg, t[i].msg);
		if (t[i].f1)
			(void)mml_ent_add_str(&e, "F1", val, t[i].f1);
		if (t[i].f2)
			(void)mml_ent_add_str(&e, "F2", val, t[i].f2);
		orig = e.orig_size;
		ck_assert_msg(mml_ent_fit(&e, t[i].max) == t[i].cut,
		    "row %zu: cut", i);
		ck_assert_msg(mml_ent_size(&e) <= (t[i].max < MML_ENT_FIT_MIN ?
		    MML_ENT_FIT_MIN : t[i].max), "row %zu: size %zu", i,
		    mml_ent_size(&e));
		ck_assert_msg(e.tag_len == 3, "row %zu: tag", i);
		ck_assert_msg(e.msg_len == t[i].msg_kept, "row %zu: msg %zu",
		    i, e.msg_len);
		v = field(&e, "F1", &len);
		ck_assert_msg(t[i].f1_kept < 0 ? v == NULL : t[i].f1_kept ?
		    v != NULL && len == t[i].f1 : v != NULL && len < t[i].f1,
		    "row %zu: F1", i);
		v = field(&e, "F2", &len);
		ck_assert_msg(t[i].f2_kept < 0 ? v == NULL : t[i].f2_kept ?
		    v != NULL && len == t[i].f2 : v != NULL && len < t[i].f2,
		    "row %zu: F2", i);
		v = field(&e, MML_ENT_ORIG_SIZE_KEY, &len);
		if (!t[i].cut) {
			ck_assert_msg(v == NULL, "row %zu: size noted", i);
			continue;
		}
		(void)snprintf(want, sizeof(want), "%zu", orig);
		ck_assert_msg(v != NULL && len == strlen(want) &&
		    memcmp(v, want, len) == 0, "row %zu: original size", i);
	}
}
END_TEST

Suite *
entry_suite(void)
{
	Suite *s = suite_create("entry");
	TCase *tc;

	tc = tcase_create("add");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_add);
	tcase_add_test(tc, test_add_cut);
	suite_add_tcase(s, tc);

	tc = tcase_create("fit");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_fit);
	suite_add_tcase(s, tc);
	return s;
}
