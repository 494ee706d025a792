/*
 * fuzz_stream.c: the stdout stream state machine (daemon/stream.c), fed
 * as the daemon feeds it: through a buffer of mml_stream_buf_size()
 * bytes that keeps what each call leaves.
 *
 * Input: a mode byte, four bytes seeding the chunk sizes, then the
 * bytes of the connection.  The mode's low three bits pick line_max
 * (79, 80, 100, 254, 255, 256, 1000, journald's 48 KiB), bit 3 makes
 * the peer privileged, bit 4 ends the stream with EOF (else the last
 * bytes stay kept), bits 5-7 place a pid change (flushed with
 * MML_STREAM_PID_CHANGE) at that eighth of the input, none for 0.
 *
 * The same bytes are fed twice, in chunks as large as the buffer takes
 * and in pseudo-random chunks of 1 byte and up, and must give the same
 * entries, the same end (running, header refused and why, bytes kept).
 * On the way: the bytes kept after a call are fewer than the buffer
 * holds, so the buffer is bounded whatever the chunking; every entry's
 * message lies in the buffer, is 1 to line_max bytes without '\n' or
 * NUL, its tag is the header's (at most 254 bytes), its priority 0-7,
 * and its fields are only SYSLOG_FACILITY (0-124) and _LINE_BREAK with
 * one of journald's values; an entry cut at line_max is exactly
 * line_max bytes of line.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "fuzz.h"
#include "stream.h"
#include "wire.h"

static const size_t line_maxes[] = { 79, 80, 100, 254, 255, 256, 1000,
    MML_STREAM_LINE_MAX_DEFAULT };

struct log {
	uint8_t	*p;
	size_t	 len, cap;
};

static void
log_put(struct log *l, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (l->cap - l->len < n) {
		while (l->cap - l->len < n)
			l->cap = l->cap ? l->cap * 2 : 4096;
		l->p = realloc(l->p, l->cap);
		FUZZ_CHECK(l->p != NULL);
	}
	memcpy(l->p + l->len, p, n);
	l->len += n;
}

static void
check_entry(const struct mml_ent *e, const uint8_t *buf, size_t blen,
    size_t line_max, struct log *l)
{
	const uint8_t *item;
	size_t off = 0, len, klen, v, k;
	int line_max_break = 0;

	FUZZ_CHECK(e->priority >= 0 && e->priority <= 7);
	FUZZ_CHECK(e->msg_len > 0 && e->msg_len <= line_max);
	FUZZ_CHECK(e->msg >= buf && e->msg_len <= blen &&
	    (size_t)(e->msg - buf) <= blen - e->msg_len);
	FUZZ_CHECK(memchr(e->msg, '\n', e->msg_len) == NULL);
	FUZZ_CHECK(memchr(e->msg, '\0', e->msg_len) == NULL);
	FUZZ_CHECK(e->tag_len < MML_STREAM_HEADER_LINE_MAX);
	FUZZ_CHECK(!e->cut);
	while (mml_fields_next(e->fields, e->fields_len, &off, &item, &len,
	    &klen) > 0) {
		if (klen == 15 && memcmp(item, "SYSLOG_FACILITY", 15) == 0) {
			FUZZ_CHECK(len - klen - 1 >= 1 && len - klen - 1 <= 3);
			for (v = 0, k = klen + 1; k < len; k++) {
				FUZZ_CHECK(item[k] >= '0' && item[k] <= '9');
				v = v * 10 + (size_t)(item[k] - '0');
			}
			FUZZ_CHECK(v >= 1 && v <= 124);
			continue;
		}
		FUZZ_CHECK(klen == 11 && memcmp(item, "_LINE_BREAK", 11) == 0);
		len -= klen + 1;
		item += klen + 1;
		FUZZ_CHECK((len == 3 && memcmp(item, "nul", 3) == 0) ||
		    (len == 3 && memcmp(item, "eof", 3) == 0) ||
		    (len == 10 && memcmp(item, "pid-change", 10) == 0) ||
		    (len == 8 && memcmp(item, "line-max", 8) == 0));
		if (len == 8)
			line_max_break = 1;
	}
	/* A cut line is line_max bytes, a level prefix of 3-5 included. */
	if (line_max_break && e->msg_len != line_max) {
		k = line_max - e->msg_len;
		FUZZ_CHECK(k >= 3 && k <= 5 && (size_t)(e->msg - buf) >= k);
		FUZZ_CHECK(e->msg[-(ptrdiff_t)k] == '<' && e->msg[-1] == '>');
	}
	log_put(l, &e->priority, sizeof(e->priority));
	log_put(l, &e->tag_len, sizeof(e->tag_len));
	log_put(l, e->tag, e->tag_len);
	log_put(l, &e->msg_len, sizeof(e->msg_len));
	log_put(l, e->msg, e->msg_len);
	log_put(l, &e->fields_len, sizeof(e->fields_len));
	log_put(l, e->fields, e->fields_len);
}

/*
 * Feeds in[0, len) in chunks from next_chunk (0: as large as the buffer
 * takes), with a pid change at pid_at (or none when pid_at > len), and
 * logs every entry and how the stream ended.
 */
static void
feed(const uint8_t *in, size_t len, size_t line_max, int privileged,
    int eof, size_t pid_at, uint32_t seed, struct log *l)
{
	static uint8_t fb[512];
	struct mml_stream *s;
	struct mml_ent e;
	enum mml_stream_flush flush;
	uint8_t *buf;
	size_t cap, kept = 0, pos = 0, n, blen, off, end;
	uint32_t x = seed;
	int r = 0, err;

	s = mml_stream_new(line_max, privileged);
	FUZZ_CHECK(s != NULL);
	cap = mml_stream_buf_size(s);
	FUZZ_CHECK(cap >= line_max && cap >= MML_STREAM_HEADER_LINE_MAX);
	buf = malloc(cap);
	FUZZ_CHECK(buf != NULL);
	for (;;) {
		FUZZ_CHECK(kept < cap);
		/* Up to the pid change, then up to the end. */
		end = pos < pid_at && pid_at <= len ? pid_at : len;
		n = cap - kept;
		if (seed != 0) {
			x = x * 1103515245U + 12345U;
			n = 1 + (x >> 16) % (x & 0x8000 ? 8 : 300);
			if (n > cap - kept)
				n = cap - kept;
		}
		if (n > end - pos)
			n = end - pos;
		memcpy(buf + kept, in + pos, n);
		pos += n;
		blen = kept + n;
		flush = MML_STREAM_MORE;
		if (pos == pid_at && pid_at <= len && pid_at < len)
			flush = MML_STREAM_PID_CHANGE;
		else if (pos == len && eof)
			flush = MML_STREAM_EOF;
		off = 0;
		for (;;) {
			mml_ent_init(&e, fb, sizeof(fb));
			r = mml_stream_next(s, buf, blen, &off, flush, &e);
			FUZZ_CHECK(off <= blen);
			if (r != 1)
				break;
			check_entry(&e, buf, blen, line_max, l);
		}
		if (r < 0) {
			FUZZ_CHECK(r == -EBADMSG);
			FUZZ_CHECK(!mml_stream_running(s));
			break;
		}
		FUZZ_CHECK(r == 0);
		if (flush != MML_STREAM_MORE)
			FUZZ_CHECK(off == blen);
		memmove(buf, buf + off, blen - off);
		kept = blen - off;
		if (pos == len)
			break;
	}
	err = mml_stream_errno(s);
	log_put(l, &r, sizeof(r));
	log_put(l, &err, sizeof(err));
	/* What a refused stream kept is of no account: it is closed. */
	if (r == 0)
		log_put(l, &kept, sizeof(kept));
	r = mml_stream_running(s);
	log_put(l, &r, sizeof(r));
	if (!privileged)
		FUZZ_CHECK(mml_stream_unit(s) == NULL);
	if (mml_stream_unit(s) != NULL)
		log_put(l, mml_stream_unit(s), strlen(mml_stream_unit(s)));
	free(buf);
	s = mml_stream_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct log whole = { NULL, 0, 0 }, chunked = { NULL, 0, 0 };
	size_t line_max, len, pid_at;
	uint32_t seed;
	int privileged, eof;

	if (size < 5)
		return 0;
	line_max = line_maxes[data[0] & 7];
	privileged = (data[0] & 0x08) != 0;
	eof = (data[0] & 0x10) != 0;
	seed = fuzz_u32(data + 1, 4) | 1;
	data += 5;
	len = size - 5;
	pid_at = (data[-5] >> 5) == 0 ? len + 1 : len * (data[-5] >> 5) / 8;
	feed(data, len, line_max, privileged, eof, pid_at, 0, &whole);
	feed(data, len, line_max, privileged, eof, pid_at, seed, &chunked);
	FUZZ_CHECK(whole.len == chunked.len &&
	    memcmp(whole.p, chunked.p, whole.len) == 0);
	free(whole.p);
	free(chunked.p);
	return 0;
}
