/*
 * fuzz_kmsg.c: the kernel log record parser (daemon/kmsg.c).
 *
 * Input: one record, as one read() of /dev/kmsg would hand it over.  It
 * is copied into a buffer of exactly its size (the parser decodes in
 * place; ASan sees any byte beyond) and parsed into an entry whose
 * fields buffer is large enough for anything the parser can make of it,
 * then, from a fresh copy, into a buffer of a size taken from the input.
 * What must hold:
 *
 *   - 0 or -EBADMSG; on -EBADMSG nothing is written (neither the entry
 *     nor the sequence number nor the timestamp) and the record is not
 *     rewritten either;
 *   - on 0: the record starts with "PRI,SEQ," in decimal, as returned;
 *     priority 0..7; the tag is "kernel" exactly for facility 0, else
 *     lies inside the record; the message lies inside the record; both
 *     no longer than their escaped text;
 *   - the fields block walks to its end; its keys are SYSLOG_FACILITY
 *     (PRI >> 3, first), SYSLOG_PID, _SOURCE_MONOTONIC_TIMESTAMP (the
 *     returned timestamp) and _KERNEL_ followed by A-Z, 0-9 and '_', at
 *     most 64 of those; every key valid for mml_fields_put();
 *   - in the large buffer nothing is cut but a tag past MML_TAG_MAX, and
 *     orig_size is the entry's size; in the small one the block stays
 *     inside it (a canary after it is intact), orig_size is the same,
 *     and the entry is cut when the large one's fields do not fit;
 *   - mml_ent_fit() brings either entry within its limit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "fuzz.h"
#include "kmsg.h"
#include "wire.h"

#define CANARY		0xa5
#define SMALL_MAX	256
#define LINES_MAX	64

static int
inside(const uint8_t *p, size_t len, const uint8_t *buf, size_t size)
{
	return len == 0 || (p >= buf && p <= buf + size &&
	    len <= (size_t)(buf + size - p));
}

/* The decimal number at *p up to the next ',', if all digits. */
static int
number(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
	uint64_t v = 0;
	const uint8_t *q = *p;

	if (q == end || *q == ',')
		return 0;
	for (; q < end && *q != ','; q++) {
		if (*q < '0' || *q > '9' || v > UINT64_MAX / 10 ||
		    (v == UINT64_MAX / 10 && (uint64_t)(*q - '0') >
		    UINT64_MAX % 10))
			return 0;
		v = v * 10 + (uint64_t)(*q - '0');
	}
	if (q == end)
		return 0;
	*p = q + 1;
	*ret = v;
	return 1;
}

static void
check_entry(const struct mml_ent *e, const uint8_t *rec, size_t size,
    uint64_t pri, uint64_t usec)
{
	const uint8_t *item;
	size_t off = 0, len, key_len, i, n = 0, lines = 0;
	char num[32];
	int r, nn;

	FUZZ_CHECK(e->priority == (int)(pri & 7));
	FUZZ_CHECK(e->tag_len <= MML_TAG_MAX);
	if (pri >> 3 == 0)
		FUZZ_CHECK(e->tag_len == 6 && memcmp(e->tag, "kernel", 6) == 0);
	else
		FUZZ_CHECK(inside(e->tag, e->tag_len, rec, size));
	FUZZ_CHECK(inside(e->msg, e->msg_len, rec, size));
	FUZZ_CHECK(e->fields_len <= e->fields_cap);
	while ((r = mml_fields_next(e->fields, e->fields_len, &off, &item,
	    &len, &key_len)) > 0) {
		n++;
		FUZZ_CHECK(key_len >= 1 && key_len <= MML_FIELD_KEY_MAX);
		if (n == 1) {
			nn = snprintf(num, sizeof(num), "SYSLOG_FACILITY=%llu",
			    (unsigned long long)(pri >> 3));
			FUZZ_CHECK(e->cut || (len == (size_t)nn &&
			    memcmp(item, num, len) == 0));
			continue;
		}
		if (key_len == 27 && memcmp(item,
		    "_SOURCE_MONOTONIC_TIMESTAMP", 27) == 0) {
			nn = snprintf(num, sizeof(num), "=%llu",
			    (unsigned long long)usec);
			FUZZ_CHECK(e->cut || (len == 27 + (size_t)nn &&
			    memcmp(item + 27, num, (size_t)nn) == 0));
			continue;
		}
		if (key_len == 10 && memcmp(item, "SYSLOG_PID", 10) == 0) {
			FUZZ_CHECK(pri >> 3 != 0);
			continue;
		}
		FUZZ_CHECK(key_len > 8 && memcmp(item, "_KERNEL_", 8) == 0);
		for (i = 8; i < key_len; i++)
			FUZZ_CHECK((item[i] >= 'A' && item[i] <= 'Z') ||
			    (item[i] >= '0' && item[i] <= '9') ||
			    item[i] == '_');
		lines++;
	}
	FUZZ_CHECK(r == 0 && off == e->fields_len && n == e->n_fields);
	FUZZ_CHECK(lines <= LINES_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t small[SMALL_MAX + 1];
	uint8_t *rec = NULL, *rec2 = NULL, *big = NULL;
	const uint8_t *p = data, *end = data + size;
	struct mml_ent e, s;
	uint64_t seq = 7, usec = 9, pri = 0, want_seq = 0, ts;
	size_t cap, small_cap, max;
	int r, cut, hdr;

	if (size > 1024 * 1024)
		return 0;
	/* Exactly the record's size (malloc(0) may give NULL). */
	rec = malloc(size ? size : 1);
	rec2 = malloc(size ? size : 1);
	cap = MML_KMSG_FIELDS_CAP(size);
	big = malloc(cap);
	FUZZ_CHECK(rec != NULL && rec2 != NULL && big != NULL);
	if (size > 0) {
		memcpy(rec, data, size);
		memcpy(rec2, data, size);
	}

	mml_ent_init(&e, big, cap);
	r = mml_kmsg_parse(rec, size, &e, &seq, &usec);
	hdr = number(&p, end, &pri) && number(&p, end, &want_seq);
	if (r < 0) {
		FUZZ_CHECK(r == -EBADMSG);
		FUZZ_CHECK(seq == 7 && usec == 9);
		FUZZ_CHECK(e.fields_len == 0 && e.msg_len == 0 &&
		    e.tag_len == 0 && e.orig_size == 0 && e.priority == 6);
		FUZZ_CHECK(size == 0 || memcmp(rec, data, size) == 0);
		goto out;
	}
	FUZZ_CHECK(r == 0);
	FUZZ_CHECK(hdr && pri <= 2047 && want_seq == seq);
	check_entry(&e, rec, size, pri, usec);
	FUZZ_CHECK(e.cut == (e.tag_len == MML_TAG_MAX && e.orig_size >
	    mml_ent_size(&e)));
	if (!e.cut)
		FUZZ_CHECK(e.orig_size == mml_ent_size(&e));

	/* A buffer too small, on a fresh copy. */
	small_cap = data[size - 1] % (SMALL_MAX + 1);
	memset(small, CANARY, sizeof(small));
	mml_ent_init(&s, small, small_cap);
	FUZZ_CHECK(mml_kmsg_parse(rec2, size, &s, &seq, &ts) == 0);
	FUZZ_CHECK(ts == usec);
	FUZZ_CHECK(small[small_cap] == CANARY);
	check_entry(&s, rec2, size, pri, usec);
	FUZZ_CHECK(s.orig_size == e.orig_size);
	if (e.cut || e.fields_len > small_cap)
		FUZZ_CHECK(s.cut);
	else
		FUZZ_CHECK(s.fields_len == e.fields_len &&
		    memcmp(small, big, e.fields_len) == 0);
	FUZZ_CHECK(s.msg_len == e.msg_len && memcmp(s.msg, e.msg,
	    e.msg_len) == 0);

	/* Cut to --max-entry. */
	max = MML_ENT_FIT_MIN / 2 + data[0] * 16u;
	cut = e.cut || mml_ent_size(&e) > max;
	FUZZ_CHECK(mml_ent_fit(&e, max) == cut);
	FUZZ_CHECK(mml_ent_size(&e) <= (max < MML_ENT_FIT_MIN ?
	    MML_ENT_FIT_MIN : max));
	(void)mml_ent_fit(&s, max);
	FUZZ_CHECK(mml_ent_size(&s) <= (max < MML_ENT_FIT_MIN ?
	    MML_ENT_FIT_MIN : max));
out:
	free(rec);
	free(rec2);
	free(big);
	return 0;
}
