/*
 * fuzz_syslog.c: the syslog datagram parser (daemon/syslog_parse.c).
 *
 * Input: one datagram, as recvmsg() would hand it over.  It is parsed
 * into an entry whose fields buffer is large enough for anything the
 * parser can make of it (16 bytes per input byte and 1 KiB: a structured
 * data parameter of 5 bytes, ' k=""', becomes at most a 69-byte field),
 * and again into a buffer of a size taken from the input.  What must
 * hold:
 *
 *   - -ENODATA for the empty datagram and only then, else MML_SYSLOG_*;
 *   - priority 0..7; the tag (at most MML_TAG_MAX) and the message lie
 *     inside the input; the message holds no NUL;
 *   - the fields block walks to its end; every key is a valid journald
 *     field name, either one of the parser's own or SD_*;
 *     SYSLOG_FACILITY is a number from 1 to 124; SYSLOG_RAW is the
 *     input, and is there whenever the input holds a NUL or starts or
 *     ends with whitespace;
 *   - in the large buffer nothing is cut but a tag past MML_TAG_MAX,
 *     and orig_size is the entry's size; the same input gives the same
 *     entry twice;
 *   - in the small buffer the block stays inside it (a canary after it
 *     is intact), orig_size is the same as in the large one, the entry
 *     is cut when the large one's fields do not fit, and when it is not
 *     cut its fields are the large one's (a structured-data value is
 *     stored escaped before it is decoded, so one that would fit only
 *     decoded is cut too);
 *   - mml_ent_fit() brings either entry within its limit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "fuzz.h"
#include "syslog_parse.h"
#include "wire.h"

#define CANARY		0xa5
#define SMALL_MAX	256

static const char *const own_keys[] = {
	"SYSLOG_FACILITY", "SYSLOG_PID", "SYSLOG_TIMESTAMP", "SYSLOG_HOSTNAME",
	"SYSLOG_MSGID", "SYSLOG_RAW",
};

static int
inside(const uint8_t *p, size_t len, const uint8_t *data, size_t size)
{
	return len == 0 || (p >= data && p <= data + size &&
	    len <= (size_t)(data + size - p));
}

/* Checks the entry; returns whether it holds SYSLOG_RAW. */
static int
check_entry(const struct mml_ent *e, const uint8_t *data, size_t size)
{
	const uint8_t *item;
	size_t off = 0, len, key_len, i, n = 0;
	uint64_t v;
	int r, raw = 0, known;

	FUZZ_CHECK(e->priority >= 0 && e->priority <= 7);
	FUZZ_CHECK(e->tag_len <= MML_TAG_MAX);
	FUZZ_CHECK(inside(e->tag, e->tag_len, data, size));
	FUZZ_CHECK(inside(e->msg, e->msg_len, data, size));
	FUZZ_CHECK(e->msg_len == 0 || memchr(e->msg, '\0', e->msg_len) ==
	    NULL);
	FUZZ_CHECK(e->fields_len <= e->fields_cap);
	while ((r = mml_fields_next(e->fields, e->fields_len, &off, &item,
	    &len, &key_len)) > 0) {
		n++;
		FUZZ_CHECK(mml_field_key_valid(item, key_len) ||
		    (key_len == 10 && memcmp(item, "SYSLOG_PID", 10) == 0));
		known = 0;
		for (i = 0; i < sizeof(own_keys) / sizeof(own_keys[0]); i++)
			if (key_len == strlen(own_keys[i]) &&
			    memcmp(item, own_keys[i], key_len) == 0)
				known = 1;
		FUZZ_CHECK(known || (key_len > 3 && memcmp(item, "SD_", 3) ==
		    0));
		if (key_len == 15 && memcmp(item, "SYSLOG_FACILITY", 15) == 0) {
			FUZZ_CHECK(len - 16 >= 1 && len - 16 <= 3);
			for (i = 16, v = 0; i < len; i++) {
				FUZZ_CHECK(item[i] >= '0' && item[i] <= '9');
				v = v * 10 + (uint64_t)(item[i] - '0');
			}
			FUZZ_CHECK(v >= 1 && v <= 124);
		}
		if (key_len == 10 && memcmp(item, "SYSLOG_RAW", 10) == 0) {
			raw = 1;
			FUZZ_CHECK(len - 11 <= size);
			FUZZ_CHECK(memcmp(item + 11, data, len - 11) == 0);
			if (!e->cut)
				FUZZ_CHECK(len - 11 == size);
		}
	}
	FUZZ_CHECK(r == 0 && off == e->fields_len && n == e->n_fields);
	return raw;
}

static int
is_trimmed(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t small[SMALL_MAX + 1];
	uint8_t *big = NULL, *big2 = NULL;
	struct mml_ent e, e2, s;
	size_t cap, small_cap, max;
	int r, raw, cut;

	if (size > 16 * 1024 * 1024)
		return 0;
	cap = MML_SYSLOG_FIELDS_CAP(size);
	big = malloc(cap);
	big2 = malloc(cap);
	FUZZ_CHECK(big != NULL && big2 != NULL);

	mml_ent_init(&e, big, cap);
	r = mml_syslog_parse(data, size, &e);
	if (size == 0) {
		FUZZ_CHECK(r == -ENODATA);
		FUZZ_CHECK(e.fields_len == 0 && e.msg_len == 0 &&
		    e.tag_len == 0 && e.orig_size == 0);
		goto out;
	}
	FUZZ_CHECK(r == MML_SYSLOG_3164 || r == MML_SYSLOG_5424);
	raw = check_entry(&e, data, size);
	FUZZ_CHECK(e.cut == (e.tag_len == MML_TAG_MAX && e.orig_size >
	    mml_ent_size(&e)));
	if (!e.cut)
		FUZZ_CHECK(e.orig_size == mml_ent_size(&e));
	if (memchr(data, '\0', size) != NULL || (data[0] != '\0' &&
	    is_trimmed(data[0])) || is_trimmed(data[size - 1]))
		FUZZ_CHECK(raw);

	/* The same again: the parser keeps no state. */
	mml_ent_init(&e2, big2, cap);
	FUZZ_CHECK(mml_syslog_parse(data, size, &e2) == r);
	FUZZ_CHECK(e2.priority == e.priority && e2.tag == e.tag &&
	    e2.tag_len == e.tag_len && e2.msg == e.msg &&
	    e2.msg_len == e.msg_len && e2.fields_len == e.fields_len &&
	    memcmp(big2, big, e.fields_len) == 0);

	/* A buffer too small. */
	small_cap = data[size - 1] % (SMALL_MAX + 1);
	memset(small, CANARY, sizeof(small));
	mml_ent_init(&s, small, small_cap);
	FUZZ_CHECK(mml_syslog_parse(data, size, &s) == r);
	FUZZ_CHECK(small[small_cap] == CANARY);
	(void)check_entry(&s, data, size);
	FUZZ_CHECK(s.orig_size == e.orig_size);
	if (e.cut || e.fields_len > small_cap)
		FUZZ_CHECK(s.cut);
	if (!s.cut)
		FUZZ_CHECK(s.fields_len == e.fields_len &&
		    memcmp(small, big, e.fields_len) == 0);

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
	free(big);
	free(big2);
	return 0;
}
