/*
 * check_crc32c.c: CRC32C (proto/crc32c.c), the checksum of every record.
 *
 * Known vectors come from RFC 3720 (iSCSI) appendix B.4 and the usual
 * check value; everything else is compared with a bitwise reference
 * written here from the polynomial, which shares no code or table with
 * the implementation under test.
 *
 * The public mml_crc32c() takes the SSE4.2 path on any x86-64 machine
 * that has it, so the slicing-by-8 software path would never run in
 * these tests.  To reach it, this file compiles a private copy of
 * proto/crc32c.c (see "White box" below) and calls its static functions
 * directly.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/*
 * White box: a private copy of proto/crc32c.c, its public function
 * renamed so that it does not clash with the real one linked from
 * proto/.  Its static crc32c_sw() (and crc32c_hw() on x86-64) become
 * callable from this file only.
 */
#define mml_crc32c crc32c_private_copy
#include "crc32c.c"
#undef mml_crc32c

#define POLY_REFLECTED	0x82F63B78U

enum fill {
	FILL_TEXT,	/* the bytes of text */
	FILL_ZERO,	/* len bytes of 0x00 */
	FILL_FF,	/* len bytes of 0xff */
	FILL_INC,	/* 0, 1, 2, ... */
	FILL_DEC,	/* len - 1, len - 2, ..., 0 */
	FILL_HEX,	/* text is pairs of hex digits */
};

struct vector {
	const char *name;
	enum fill fill;
	const char *text;
	size_t len;		/* for the FILL_ZERO .. FILL_DEC patterns */
	uint32_t crc;
};

static uint32_t crc_ref(uint32_t, const uint8_t *, size_t);
static uint64_t rnd(uint64_t *);
static void rnd_fill(uint64_t *, uint8_t *, size_t);
static size_t vector_bytes(const struct vector *, uint8_t *, size_t);
static void vector_one(const struct vector *);
static void paths_agree_one(uint32_t (*)(uint32_t, const void *, size_t),
    const char *);
static uint32_t sw_path(uint32_t, const void *, size_t);
#if defined(__x86_64__)
static uint32_t hw_path(uint32_t, const void *, size_t);
#endif

static const struct vector vectors[] = {
	{ "empty", FILL_TEXT, "", 0, 0x00000000U },
	{ "a", FILL_TEXT, "a", 0, 0xC1D04330U },
	{ "check value 123456789", FILL_TEXT, "123456789", 0, 0xE3069283U },
	{ "32 zero bytes", FILL_ZERO, NULL, 32, 0x8A9136AAU },
	{ "32 0xff bytes", FILL_FF, NULL, 32, 0x62A8AB43U },
	{ "incrementing 0..31", FILL_INC, NULL, 32, 0x46DD794EU },
	{ "decrementing 31..0", FILL_DEC, NULL, 32, 0x113FDB5CU },
	{ "iSCSI read PDU", FILL_HEX,
	    "01c00000000000000000000000000000"
	    "14000000000004000000001400000018"
	    "28000000000000000200000000000000", 0, 0xD9963A56U },
};

/* The CRC bit by bit, straight from the reflected polynomial. */
static uint32_t
crc_ref(uint32_t crc, const uint8_t *p, size_t len)
{
	int k;

	crc = ~crc;
	while (len-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ POLY_REFLECTED :
			    crc >> 1;
	}
	return ~crc;
}

/* xorshift64: deterministic, so a failure reproduces. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
rnd_fill(uint64_t *s, uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)rnd(s);
}

static size_t
vector_bytes(const struct vector *v, uint8_t *buf, size_t cap)
{
	size_t i, n = v->len;
	unsigned int x;

	switch (v->fill) {
	case FILL_TEXT:
		n = strlen(v->text);
		ck_assert_uint_le(n, cap);
		memcpy(buf, v->text, n);
		break;
	case FILL_HEX:
		n = strlen(v->text) / 2;
		ck_assert_uint_le(n, cap);
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(sscanf(v->text + 2 * i, "%2x", &x), 1);
			buf[i] = (uint8_t)x;
		}
		break;
	case FILL_ZERO:
		ck_assert_uint_le(n, cap);
		memset(buf, 0, n);
		break;
	case FILL_FF:
		ck_assert_uint_le(n, cap);
		memset(buf, 0xff, n);
		break;
	case FILL_INC:
		ck_assert_uint_le(n, cap);
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)i;
		break;
	case FILL_DEC:
		ck_assert_uint_le(n, cap);
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)(n - 1 - i);
		break;
	}
	return n;
}

static void
vector_one(const struct vector *v)
{
	uint8_t buf[128];
	size_t n;

	n = vector_bytes(v, buf, sizeof(buf));
	ck_assert_msg(mml_crc32c(0, buf, n) == v->crc,
	    "%s: mml_crc32c 0x%08x, want 0x%08x", v->name,
	    mml_crc32c(0, buf, n), v->crc);
	/* The vectors also vouch for the reference used below. */
	ck_assert_msg(crc_ref(0, buf, n) == v->crc,
	    "%s: reference 0x%08x, want 0x%08x", v->name,
	    crc_ref(0, buf, n), v->crc);
	ck_assert_msg(sw_path(0, buf, n) == v->crc,
	    "%s: software path 0x%08x, want 0x%08x", v->name,
	    sw_path(0, buf, n), v->crc);
}

START_TEST(test_vectors)
{
	vector_one(&vectors[_i]);
}
END_TEST

/* The inversions mml_crc32c() applies around the static functions. */
static uint32_t
sw_path(uint32_t crc, const void *buf, size_t len)
{
	return ~crc32c_sw(~crc, buf, len);
}

#if defined(__x86_64__)
static uint32_t
hw_path(uint32_t crc, const void *buf, size_t len)
{
	return ~crc32c_hw(~crc, buf, len);
}
#endif

/*
 * Every length from 0 to 800 at every alignment modulo 16 (the hardware
 * path's three streams of 64 bytes start at 192 and take up to three
 * rounds, with every tail after them, before those of 256 bytes start
 * at 768), then long random lengths, each continuing from a random
 * earlier CRC.
 */
static void
paths_agree_one(uint32_t (*fn)(uint32_t, const void *, size_t),
    const char *what)
{
	static uint64_t words[(70000 + 16) / 8 + 1];
	uint8_t *buf = (uint8_t *)words;
	uint64_t s = 0x9E3779B97F4A7C15ULL;
	uint32_t seed, got, want;
	size_t len, align;
	int i;

	rnd_fill(&s, buf, sizeof(words));
	for (align = 0; align < 16; align++) {
		for (len = 0; len <= 800; len++) {
			seed = (uint32_t)rnd(&s);
			got = fn(seed, buf + align, len);
			want = crc_ref(seed, buf + align, len);
			ck_assert_msg(got == want,
			    "%s: len %zu align %zu seed 0x%08x: 0x%08x != "
			    "0x%08x", what, len, align, seed, got, want);
		}
	}
	/*
	 * Around the lengths where the hardware path starts running three
	 * streams (3 * 256 and 3 * 8192 bytes) and takes more rounds.
	 */
	for (len = 760; len <= 1545; len += len < 776 || len > 1530 ? 1 : 9)
		for (align = 0; align < 16; align += 5) {
			seed = (uint32_t)rnd(&s);
			ck_assert_msg(fn(seed, buf + align, len) ==
			    crc_ref(seed, buf + align, len),
			    "%s: len %zu align %zu", what, len, align);
		}
	for (len = 24570; len <= 24590; len++) {
		seed = (uint32_t)rnd(&s);
		ck_assert_msg(fn(seed, buf + 3, len) == crc_ref(seed, buf + 3,
		    len), "%s: len %zu", what, len);
	}
	for (i = 0; i < 200; i++) {
		align = (size_t)(rnd(&s) % 16);
		len = (size_t)(rnd(&s) % 70000);
		seed = i % 2 ? (uint32_t)rnd(&s) : 0;
		got = fn(seed, buf + align, len);
		want = crc_ref(seed, buf + align, len);
		ck_assert_msg(got == want,
		    "%s: len %zu align %zu seed 0x%08x: 0x%08x != 0x%08x",
		    what, len, align, seed, got, want);
	}
}

START_TEST(test_public_matches_reference)
{
	paths_agree_one(mml_crc32c, "mml_crc32c");
}
END_TEST

START_TEST(test_software_matches_reference)
{
	paths_agree_one(sw_path, "software path");
}
END_TEST

START_TEST(test_hardware_matches_reference)
{
#if defined(__x86_64__)
	if (!__builtin_cpu_supports("sse4.2"))
		return;
	paths_agree_one(hw_path, "hardware path");
#endif
}
END_TEST

/* Both paths straight against each other, on the same random inputs. */
START_TEST(test_hardware_matches_software)
{
#if defined(__x86_64__)
	static uint8_t buf[8192 + 16];
	uint64_t s = 42;
	size_t len, align;
	uint32_t seed;
	int i;

	if (!__builtin_cpu_supports("sse4.2"))
		return;
	rnd_fill(&s, buf, sizeof(buf));
	for (i = 0; i < 5000; i++) {
		align = (size_t)(rnd(&s) % 16);
		len = (size_t)(rnd(&s) % 8192);
		seed = (uint32_t)rnd(&s);
		ck_assert_msg(hw_path(seed, buf + align, len) ==
		    sw_path(seed, buf + align, len),
		    "len %zu align %zu seed 0x%08x", len, align, seed);
	}
#endif
}
END_TEST

/* crc(a + b) == crc(crc(a), b), for every split point. */
START_TEST(test_chaining)
{
	uint8_t buf[512];
	uint64_t s = 7;
	uint32_t whole, crc;
	size_t split, i;

	rnd_fill(&s, buf, sizeof(buf));
	whole = mml_crc32c(0, buf, sizeof(buf));
	ck_assert_uint_eq(whole, crc_ref(0, buf, sizeof(buf)));
	for (split = 0; split <= sizeof(buf); split++) {
		crc = mml_crc32c(0, buf, split);
		crc = mml_crc32c(crc, buf + split, sizeof(buf) - split);
		ck_assert_msg(crc == whole, "split at %zu", split);
	}
	/* One byte at a time, and in pieces of every size up to 17. */
	crc = 0;
	for (i = 0; i < sizeof(buf); i++)
		crc = mml_crc32c(crc, buf + i, 1);
	ck_assert_uint_eq(crc, whole);
	for (split = 2; split <= 17; split++) {
		crc = 0;
		for (i = 0; i < sizeof(buf); i += split)
			crc = mml_crc32c(crc, buf + i,
			    sizeof(buf) - i < split ? sizeof(buf) - i : split);
		ck_assert_msg(crc == whole, "pieces of %zu", split);
	}
	/* A zero-length update changes nothing. */
	ck_assert_uint_eq(mml_crc32c(whole, buf, 0), whole);
	ck_assert_uint_eq(mml_crc32c(0, NULL, 0), 0);
}
END_TEST

/* Every single-bit error in a record-sized buffer changes the CRC. */
START_TEST(test_detects_bit_flips)
{
	uint8_t buf[256];
	uint64_t s = 99;
	uint32_t good;
	size_t i;
	int b;

	rnd_fill(&s, buf, sizeof(buf));
	good = mml_crc32c(0, buf, sizeof(buf));
	for (i = 0; i < sizeof(buf); i++) {
		for (b = 0; b < 8; b++) {
			buf[i] ^= (uint8_t)(1U << b);
			ck_assert_msg(mml_crc32c(0, buf, sizeof(buf)) != good,
			    "flip of byte %zu bit %d undetected", i, b);
			buf[i] ^= (uint8_t)(1U << b);
		}
	}
}
END_TEST

Suite *
crc32c_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("crc32c");

	tc = tcase_create("vectors");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_vectors, 0,
	    (int)(sizeof(vectors) / sizeof(vectors[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("chaining");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_chaining);
	suite_add_tcase(s, tc);

	tc = tcase_create("paths_agree");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_public_matches_reference);
	tcase_add_test(tc, test_software_matches_reference);
	tcase_add_test(tc, test_hardware_matches_reference);
	tcase_add_test(tc, test_hardware_matches_software);
	suite_add_tcase(s, tc);

	tc = tcase_create("bit_flips");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_detects_bit_flips);
	suite_add_tcase(s, tc);

	return s;
}
