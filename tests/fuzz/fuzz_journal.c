/*
 * fuzz_journal.c: the parser of journald's native protocol
 * (daemon/journal.c), on a payload as a datagram brings it and, through
 * a sealed memfd and mml_journal_fd_check(), as a large one comes.
 *
 * Input: a mode byte, then the payload.  The mode's low five bits are
 * --max-fields (31 means 256), its top bits pick the size of the
 * caller's fields buffer (64, 512, 4096 or MML_FRAME_MAX bytes).
 *
 * For every entry the parser returns:
 *   - *off moves forward and stays within the payload; 0 and -EMSGSIZE
 *     end it (*off == len), and nothing but 1, 0 and -EMSGSIZE comes;
 *   - the priority is 0-7, the tag at most MML_TAG_MAX bytes, and tag
 *     and message lie inside the payload;
 *   - the fields block walks to its end within the buffer; every key is
 *     a valid client name (never starting with '_', never a slot's
 *     name; SYSLOG_PID allowed), at most max_fields of them, and each
 *     whole field is found in the payload as KEY=VALUE\n or in the
 *     binary-safe form, so no byte is invented;
 *   - an entry with fields past max_fields, or one that lost bytes,
 *     is marked cut, and mml_ent_fit() then makes it fit;
 * and the payload read back from a sealed memfd parses the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "entry.h"
#include "fuzz.h"
#include "journal.h"
#include "wire.h"

static uint8_t fields_buf[MML_FRAME_MAX];
static uint8_t needle[MML_FRAME_MAX + 80];

/* Whether KEY=VALUE of item was in the payload, in either form. */
static int
in_payload(const uint8_t *p, size_t len, const uint8_t *item,
    size_t item_len, size_t key_len)
{
	size_t val_len = item_len - key_len - 1, n;
	uint64_t v = val_len;
	int i;

	memcpy(needle, item, item_len);
	needle[item_len] = '\n';
	if (memmem(p, len, needle, item_len + 1) != NULL)
		return 1;
	memcpy(needle, item, key_len);
	needle[key_len] = '\n';
	for (i = 0; i < 8; i++)
		needle[key_len + 1 + i] = (uint8_t)(v >> (8 * i));
	n = key_len + 9;
	memcpy(needle + n, item + key_len + 1, val_len);
	needle[n + val_len] = '\n';
	return memmem(p, len, needle, n + val_len + 1) != NULL;
}

/* Appends a summary of one call to log, for comparing two parses. */
static size_t
summary(uint8_t *log, size_t cap, size_t at, int r, const struct mml_ent *e,
    const uint8_t *base)
{
	size_t need = 64 + e->fields_len;

	if (at > cap || cap - at < need)
		return at;
	memcpy(log + at, &r, sizeof(r));
	at += sizeof(r);
	if (r != 1)
		return at;
	memcpy(log + at, &e->priority, sizeof(e->priority));
	at += sizeof(e->priority);
	memcpy(log + at, &e->tag_len, sizeof(e->tag_len));
	at += sizeof(e->tag_len);
	memcpy(log + at, &e->msg_len, sizeof(e->msg_len));
	at += sizeof(e->msg_len);
	/* Offsets, not pointers: the two payloads live apart. */
	{
		size_t t = e->tag_len ? (size_t)(e->tag - base) : 0;
		size_t m = e->msg_len ? (size_t)(e->msg - base) : 0;

		memcpy(log + at, &t, sizeof(t));
		at += sizeof(t);
		memcpy(log + at, &m, sizeof(m));
		at += sizeof(m);
	}
	memcpy(log + at, e->fields, e->fields_len);
	at += e->fields_len;
	return at;
}

static size_t
parse_all(const uint8_t *p, size_t len, unsigned max_fields, size_t cap,
    uint8_t *log, size_t log_cap)
{
	struct mml_journal_info info;
	struct mml_ent e;
	const uint8_t *item;
	size_t off = 0, prev, at = 0, foff, ilen, klen;
	unsigned n;
	int r, calls = 0;

	do {
		prev = off;
		mml_ent_init(&e, fields_buf, cap);
		r = mml_journal_parse(p, len, &off, max_fields, &e, &info);
		FUZZ_CHECK(r == 1 || r == 0 || r == -EMSGSIZE);
		FUZZ_CHECK(off <= len);
		FUZZ_CHECK(info.ignored <= len);
		FUZZ_CHECK(++calls <= (int)(len / 2) + 2);
		at = summary(log, log_cap, at, r, &e, p);
		if (r != 1) {
			FUZZ_CHECK(off == len);
			break;
		}
		FUZZ_CHECK(off > prev);
		FUZZ_CHECK(e.priority >= 0 && e.priority <= 7);
		FUZZ_CHECK(e.tag_len <= MML_TAG_MAX);
		if (e.tag_len > 0)
			FUZZ_CHECK(e.tag >= p + prev && e.tag_len <= len &&
			    (size_t)(e.tag - p) <= off - e.tag_len);
		if (e.msg_len > 0)
			FUZZ_CHECK(e.msg >= p + prev && e.msg_len <= len &&
			    (size_t)(e.msg - p) <= off - e.msg_len);
		FUZZ_CHECK(e.fields_len <= cap);
		foff = 0;
		n = 0;
		while ((r = mml_fields_next(e.fields, e.fields_len, &foff,
		    &item, &ilen, &klen)) > 0) {
			n++;
			FUZZ_CHECK(klen > 0 && item[0] != '_');
			FUZZ_CHECK(mml_field_key_valid(item, klen) ||
			    (klen == 10 && memcmp(item, "SYSLOG_PID", 10) == 0));
			/* The last field of a cut entry may be cut itself. */
			if (!(e.cut && foff == e.fields_len))
				FUZZ_CHECK(in_payload(p + prev, off - prev, item,
				    ilen, klen));
		}
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(n == e.n_fields && n <= max_fields);
		if (info.over_max > 0)
			FUZZ_CHECK(e.cut);
		FUZZ_CHECK(e.orig_size >= mml_ent_size(&e));
		FUZZ_CHECK(e.cut || e.orig_size == mml_ent_size(&e));
		(void)mml_ent_fit(&e, 600);
		FUZZ_CHECK(mml_ent_size(&e) <= 600);
		foff = 0;
		while ((r = mml_fields_next(e.fields, e.fields_len, &foff,
		    &item, &ilen, &klen)) > 0)
			;
		FUZZ_CHECK(r == 0);
		r = 1;
	} while (r == 1);
	return at;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = { 64, 512, 4096, MML_FRAME_MAX };
	static uint8_t log1[1 << 20], log2[1 << 20];
	const uint8_t *p, *map = NULL;
	size_t len, cap, l1, l2, map_len = 0;
	unsigned max_fields;
	int fd, r;

	if (size < 1)
		return 0;
	max_fields = (data[0] & 0x1f) == 0x1f ? 256 : data[0] & 0x1f;
	cap = caps[data[0] >> 6];
	p = data + 1;
	len = size - 1;
	l1 = parse_all(p, len, max_fields, cap, log1, sizeof(log1));

	/* The same payload as a sealed memfd, mapped by the daemon's check. */
	fd = memfd_create("fuzz-journal", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(len == 0 || write(fd, p, len) == (ssize_t)len);
	FUZZ_CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == 0);
	r = mml_journal_fd_check(fd, len > 0 ? len : 1, &map, &map_len);
	(void)close(fd);
	if (len == 0) {
		FUZZ_CHECK(r == -ENODATA);
		return 0;
	}
	FUZZ_CHECK(r == 0 && map_len == len && memcmp(map, p, len) == 0);
	l2 = parse_all(map, map_len, max_fields, cap, log2, sizeof(log2));
	FUZZ_CHECK(l1 == l2 && memcmp(log1, log2, l1) == 0);
	mml_journal_fd_release(map, map_len);
	return 0;
}
