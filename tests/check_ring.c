/*
 * check_ring.c: the mapped circular log file (daemon/ring.c).
 *
 * Every test works on a real ring file in its own mkdtemp directory and
 * reads it back the way a reader (mmlogctl) does: through a separate
 * read-only mapping of the file, walking from the header's tail to its
 * head with mml_disk_rec_check(), following WRAP records and the
 * implicit wrap of mml_disk_next_off().  Every entry's bytes are derived
 * from its sequence number, so the walk checks each one exactly.
 *
 * A crash is simulated in-process: the ring is unmapped and its fd closed
 * behind its back, without the final sync and clean state of
 * mml_ring_close(); the page cache keeps every byte, as it does when the
 * daemon dies (and records still in the pwrite stage are lost, as they
 * are then).  Tests run with the default way of writing (--ring-write);
 * the "write" cases repeat the crash cases and a long workload under
 * every way, and check that all of them leave the same bytes.  A power loss is simulated by rewriting the header of a
 * closed ring as a writer of another boot would have left it.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "../daemon/log.h"
#include "../daemon/meta.h"
#include "walk.h"
#include "../daemon/ring_internal.h"

#define CAP		((uint64_t)MML_DISK_CAP_MIN)
/* Header, data, then the seek index (a page for a small ring). */
/* Header, data, the seek index (a page) and the metadata table. */
#define FILE_SIZE	(MML_DISK_HEADER_SIZE + CAP + MML_IDX_PAGE + \
			    MML_META_SLOTS_MIN * MML_META_SLOT_SIZE)
#define T0		((uint64_t)1700000000000000)	/* realtime of seq 0 */
#define M0		((uint64_t)5000000000)		/* monotonic of seq 0 */
#define SENT_MAX	65536	/* entries remembered, by seq modulo */
#define VARIED_MAX	1664	/* largest record append_varied() makes */

/* What was appended with a given seq; the bytes follow from the seq. */
struct sent {
	uint64_t seq;
	uint8_t comm_len;
	uint16_t tag_len;
	uint32_t msg_len;
	uint32_t fields_len;
};

/* What a reader found walking the ring from tail to head. */
struct walk {
	uint64_t tail_off, tail_seq;	/* the header's, when the walk began */
	uint64_t head_off, head_seq;
	uint64_t first, last;		/* oldest and newest entry seen */
	uint64_t n;			/* entries */
	uint64_t wrap_recs;		/* WRAP records followed */
	uint64_t implicit;		/* implicit wraps followed */
	uint64_t gap;			/* sequence numbers missing */
	int tail_on_wrap;		/* the tail was a WRAP record */
};

/* A record a torn write left after the head (see torn_cases). */
enum torn_kind {
	TORN_BAD_CRC,		/* whole but for one CRC bit */
	TORN_HALF,		/* header written, payload half zeros */
	TORN_CRC_ZERO,		/* the CRC, written last, never came */
	TORN_STALE_SEQ,		/* valid, but an older sequence number */
	TORN_TYPE,		/* valid CRC, unknown type */
	TORN_RESERVED,		/* valid CRC, reserved field set */
	TORN_LEN,		/* len reaches past the region */
	TORN_ZEROS,		/* nothing written at all */
};

struct torn_case {
	const char *name;
	enum torn_kind kind;
};

/* A ring file that mml_ring_open() must refuse without touching it. */
enum refuse_kind {
	REF_PATCH,		/* a header field patched in a real ring */
	REF_TRUNCATE,		/* the file truncated to .len bytes */
	REF_TEXT,		/* a text file of .len bytes */
};

struct refuse_case {
	const char *name;
	enum refuse_kind kind;
	size_t off;		/* REF_PATCH: byte offset in the header */
	int width;		/* REF_PATCH: 1, 4 or 8 bytes */
	uint64_t value;		/* REF_PATCH: stored little-endian */
	int fix_crc;		/* REF_PATCH: recompute static_crc */
	uint64_t len;		/* REF_TRUNCATE, REF_TEXT */
	uint64_t size;		/* passed to mml_ring_open(), 0: CAP */
	int size_explicit;
	uint64_t min_cap;	/* 0: CAP */
	int err;		/* the negative errno expected */
};

/* Record sizes that put the head at the interesting places at the end. */
struct layout_case {
	const char *name;
	uint32_t sizes[20];	/* padded record sizes; 0 ends */
	uint64_t head_off;	/* head after them */
	uint64_t wraps;		/* hdr->wraps after them */
	uint64_t wrap_recs;	/* WRAP records a reader meets */
	uint64_t implicit;	/* implicit wraps a reader follows */
};

/* A crash after some synced and some unsynced appends. */
struct crash_case {
	const char *name;
	unsigned synced;	/* entries appended, then synced */
	unsigned unsynced;	/* entries appended after, never synced */
	uint64_t size;		/* 0: varied sizes, else this padded size */
};

static void rm_tree(const char *);
static uint8_t pat(uint64_t, unsigned, size_t);
static uint64_t append_lens(struct mml_ring *, size_t, size_t, size_t,
    size_t);
static int append_try(struct mml_ring *, size_t, size_t, size_t, size_t,
    uint64_t *);
static uint64_t append_varied(struct mml_ring *);
static uint64_t append_size(struct mml_ring *, uint64_t);
static void verify_rec(const struct mml_rec *);
static void walk_data(const uint8_t *, uint64_t,
    const struct mml_disk_header *, struct walk *);
static void walk_file(const char *, struct walk *);
static void check_suffix(const struct mml_ring *, struct walk *);
static void ring_crash(struct mml_ring **);
static void ring_sync(struct mml_ring *);
static void ring_open_ok(uint64_t, int);
static void read_header(struct mml_disk_header *);
static void write_header(const struct mml_disk_header *);
static uint8_t *slurp(const char *, size_t *);
static int dir_entries(const char *);
static void assert_unlocked(void);
static void torn_write(uint8_t *, enum torn_kind, uint64_t);
static void torn_one(const struct torn_case *);
static void refuse_one(const struct refuse_case *);
static void layout_one(const struct layout_case *);
static void crash_one(const struct crash_case *);
static void method_apply(struct mml_ring *);
static void mark(uint8_t *, uint64_t, uint64_t);
static void assert_covered(const uint8_t *, const struct mml_sync_job *);
static void append_marked(uint8_t *);

static char tmpdir[256];
static char path[400];
static struct mml_ring *ring;
static struct sent *sent;
static uint64_t max_size;	/* largest record appended in this test */
/* How ring_open_ok() makes the ring write; -1: the default. */
static int test_wmethod = -1;
static int test_defer;

/* The ways of writing a "write" loop test runs under, by index. */
static const struct {
	const char *name;
	enum mml_ring_write how;
	int defer;
} wmethods[] = {
	{ "map", MML_RING_WRITE_MAP, 0 },
	{ "pwrite", MML_RING_WRITE_PWRITE, 0 },
	{ "pwrite, deferred", MML_RING_WRITE_PWRITE, 1 },
};
#define N_WMETHODS	(sizeof(wmethods) / sizeof(wmethods[0]))
static uint8_t part[4][CAP / 4];

static const struct torn_case torn_cases[] = {
	{ "CRC off by one bit", TORN_BAD_CRC },
	{ "payload half written", TORN_HALF },
	{ "CRC never written", TORN_CRC_ZERO },
	{ "stale record of an older lap", TORN_STALE_SEQ },
	{ "unknown record type", TORN_TYPE },
	{ "reserved field set", TORN_RESERVED },
	{ "length past the region", TORN_LEN },
	{ "zeros", TORN_ZEROS },
};

#define HOFF(f)		offsetof(struct mml_disk_header, f)

static const struct refuse_case refuse_cases[] = {
	{ "wrong magic", REF_PATCH, HOFF(magic), 1, 'X', 0, .err = -EBADMSG },
	{ "version 2", REF_PATCH, HOFF(version), 4, 2, 1,
	    .err = -EPROTONOSUPPORT },
	{ "version 2, CRC not updated", REF_PATCH, HOFF(version), 4, 2, 0,
	    .err = -EPROTONOSUPPORT },
	{ "version 0", REF_PATCH, HOFF(version), 4, 0, 1,
	    .err = -EPROTONOSUPPORT },
	{ "header_size 8192", REF_PATCH, HOFF(header_size), 4, 8192, 1,
	    .err = -EBADMSG },
	/* (Not a byte of the random ring_id: it may hold that value.) */
	{ "static CRC mismatch", REF_PATCH, HOFF(created_usec), 8, 12345, 0,
	    .err = -EBADMSG },
	{ "unknown incompatible feature", REF_PATCH, HOFF(incompat_flags),
	    4, MML_INCOMPAT_KEYED | MML_INCOMPAT_META | 4, 1,
	    .err = -EPROTONOSUPPORT },
	{ "damaged CRC key", REF_PATCH, HOFF(key_crc), 4, 0, 0,
	    .err = -EBADMSG },
	{ "unknown compatible feature (a writer would not keep it)",
	    REF_PATCH, HOFF(compat_flags), 4, MML_COMPAT_KNOWN | 4, 1,
	    .err = -EPROTONOSUPPORT },
	{ "capacity larger than the file", REF_PATCH, HOFF(capacity), 8,
	    4 * CAP, 1, .err = -ENOSPC },
	{ "capacity of 1 TiB", REF_PATCH, HOFF(capacity), 8,
	    MML_DISK_CAP_MAX, 1, .err = -ENOSPC },
	{ "capacity below the minimum", REF_PATCH, HOFF(capacity), 8,
	    CAP - 8, 1, .err = -EBADMSG },
	{ "capacity not 8-aligned", REF_PATCH, HOFF(capacity), 8, CAP + 4, 1,
	    .err = -EBADMSG },
	{ "capacity 0", REF_PATCH, HOFF(capacity), 8, 0, 1, .err = -EBADMSG },
	{ "head_off at the capacity", REF_PATCH, HOFF(head_off), 8, CAP, 0,
	    .err = -EBADMSG },
	{ "head_off within 64 bytes of the end", REF_PATCH, HOFF(head_off), 8,
	    CAP - 56, 0, .err = -EBADMSG },
	{ "tail_off not aligned", REF_PATCH, HOFF(tail_off), 8, 4, 0,
	    .err = -EBADMSG },
	{ "durable_off huge", REF_PATCH, HOFF(durable_off), 8, UINT64_MAX, 0,
	    .err = -EBADMSG },
	{ "tail_seq 0", REF_PATCH, HOFF(tail_seq), 8, 0, 0, .err = -EBADMSG },
	{ "durable_seq at seq_limit", REF_PATCH, HOFF(seq_limit), 8, 5, 0,
	    .err = -EBADMSG },
	{ "file truncated to half its data", REF_TRUNCATE,
	    .len = MML_DISK_HEADER_SIZE + CAP / 2, .err = -ENOSPC },
	{ "file truncated to the header", REF_TRUNCATE,
	    .len = MML_DISK_HEADER_SIZE, .err = -ENOSPC },
	{ "file shorter than a header", REF_TRUNCATE, .len = 100,
	    .err = -EBADMSG },
	{ "zero-size file", REF_TRUNCATE, .len = 0, .err = -EBADMSG },
	{ "a text file", REF_TEXT, .len = FILE_SIZE, .err = -EBADMSG },
	{ "explicit size differs", REF_PATCH, .size = 2 * CAP,
	    .size_explicit = 1, .err = -EEXIST },
	{ "smaller than min_cap", REF_PATCH, .min_cap = 2 * CAP,
	    .err = -EINVAL },
};

/*
 * A: 4096-byte records.  The region is 16 of them.  "left" is what
 * remains after the last record but one.
 */
#define A	4096
static const struct layout_case layout_cases[] = {
	{ "record ends exactly at the end",
	    { A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A },
	    .head_off = 0, .wraps = 1, .wrap_recs = 0, .implicit = 1 },
	{ "56 bytes left: implicit wrap",
	    { A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A - 56 },
	    .head_off = 0, .wraps = 1, .wrap_recs = 0, .implicit = 1 },
	{ "8 bytes left: implicit wrap",
	    { A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A - 8 },
	    .head_off = 0, .wraps = 1, .wrap_recs = 0, .implicit = 1 },
	{ "64 bytes left, a 64-byte record fills them",
	    { A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A - 64, 64 },
	    .head_off = 0, .wraps = 1, .wrap_recs = 0, .implicit = 1 },
	{ "64 bytes left, a 72-byte record: WRAP of 64 bytes",
	    { A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A - 64, 72 },
	    .head_off = 72, .wraps = 1, .wrap_recs = 1, .implicit = 0 },
	{ "1000 bytes left, a 2000-byte record: WRAP",
	    { A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, A - 1000, 2000 },
	    .head_off = 2000, .wraps = 1, .wrap_recs = 1, .implicit = 0 },
	{ "largest record (cap/4) after an odd offset",
	    { 72, 16384, 16384, 16384, 16384 },
	    .head_off = 16384, .wraps = 1, .wrap_recs = 1, .implicit = 0 },
};
#undef A

static const struct crash_case crash_cases[] = {
	{ "crash right after open", 0, 0, 0 },
	{ "nothing synced", 0, 30, 0 },
	{ "synced, then more", 20, 20, 0 },
	{ "nothing synced, several laps", 0, 400, 0 },
	{ "synced mid-ring, less than a lap after", 20, 25, 0 },
	{ "synced at a record start of the next laps", 10, 300, 1024 },
	{ "synced mid-ring, more than a lap after", 7, 400, 0 },
};

static uint8_t
pat(uint64_t seq, unsigned which, size_t i)
{
	return (uint8_t)(seq * 131 + which * 29 + i * 7 + (i >> 8));
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(p);
	return 0;
}

static void
rm_tree(const char *p)
{
	(void)nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
setup(void)
{
	const char *t = getenv("TMPDIR");

	mml_log_level = getenv("MML_TEST_LOG") != NULL ? LOG_DEBUG : -1;
	(void)snprintf(tmpdir, sizeof(tmpdir), "%s/check_ring.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	(void)snprintf(path, sizeof(path), "%s/ring", tmpdir);
	sent = calloc(SENT_MAX, sizeof(*sent));
	ck_assert_ptr_nonnull(sent);
	ring = NULL;
	max_size = 0;
	test_wmethod = -1;
	test_defer = 0;
}

static void
teardown(void)
{
	ring = mml_ring_close(ring);
	free(sent);
	sent = NULL;
	rm_tree(tmpdir);
}

/*
 * Appends an entry with these part lengths; its header fields and bytes
 * follow from its seq.  Returns the record's padded size.
 */
static uint64_t
append_lens(struct mml_ring *r, size_t comm_len, size_t tag_len,
    size_t msg_len, size_t fields_len)
{
	uint64_t seq = r->next_seq, got = 0;
	int e;

	e = append_try(r, comm_len, tag_len, msg_len, fields_len, &got);
	if (e != 0 || got != seq || r->next_seq != seq + 1)
		ck_abort_msg("append seq %llu: %d, got seq %llu",
		    (unsigned long long)seq, e, (unsigned long long)got);
	return mml_disk_rec_size(comm_len, tag_len, msg_len, fields_len);
}

/*
 * append_lens(), but the ring may refuse: returns what
 * mml_ring_append() did, the entry remembered only if it was taken.
 */
static int
append_try(struct mml_ring *r, size_t comm_len, size_t tag_len,
    size_t msg_len, size_t fields_len, uint64_t *ret_seq)
{
	struct mml_rec_hdr h;
	struct sent *s;
	uint64_t seq = r->next_seq, got = 0;
	size_t i;
	int e;

	for (i = 0; i < comm_len; i++)
		part[0][i] = pat(seq, 0, i);
	for (i = 0; i < tag_len; i++)
		part[1][i] = pat(seq, 1, i);
	for (i = 0; i < msg_len; i++)
		part[2][i] = pat(seq, 2, i);
	for (i = 0; i < fields_len; i++)
		part[3][i] = pat(seq, 3, i);
	memset(&h, 0xee, sizeof(h));	/* the ring must set what it owns */
	h.priority = (uint8_t)(seq % 8);
	h.flags = seq % 3 == 0 ? MML_REC_F_DAEMON : 0;
	h.comm_len = (uint8_t)comm_len;
	h.tag_len = (uint16_t)tag_len;
	h.msg_len = (uint32_t)msg_len;
	h.fields_len = (uint32_t)fields_len;
	h.realtime_usec = T0 + seq;
	h.monotonic_usec = M0 + 7 * seq;
	h.pid = (uint32_t)(1000 + seq % 30000);
	h.uid = (uint32_t)(seq % 7);
	h.gid = (uint32_t)(seq % 11);
	e = mml_ring_append(r, &h, part[0], part[1], part[2], part[3], &got);
	if (e != 0)
		return e;
	/* The reserved limit on disk always lies above every seq handed out. */
	if (r->hdr->seq_limit <= seq)
		ck_abort_msg("seq %llu handed out at limit %llu",
		    (unsigned long long)seq,
		    (unsigned long long)r->hdr->seq_limit);
	s = &sent[seq % SENT_MAX];
	s->seq = seq;
	s->comm_len = (uint8_t)comm_len;
	s->tag_len = (uint16_t)tag_len;
	s->msg_len = (uint32_t)msg_len;
	s->fields_len = (uint32_t)fields_len;
	if (mml_disk_rec_size(comm_len, tag_len, msg_len, fields_len) > max_size)
		max_size = mml_disk_rec_size(comm_len, tag_len, msg_len,
		    fields_len);
	*ret_seq = got;
	return 0;
}

/* Sizes vary with the seq, from 64 bytes to VARIED_MAX. */
static uint64_t
append_varied(struct mml_ring *r)
{
	uint64_t seq = r->next_seq;

	return append_lens(r, seq % 17, (seq * 5) % 40, (seq * 37) % 1500,
	    (seq % 4) * 9);
}

/* An entry whose record is exactly size bytes (>= 64, 8-aligned). */
static uint64_t
append_size(struct mml_ring *r, uint64_t size)
{
	ck_assert_uint_ge(size, MML_REC_HDR);
	ck_assert_uint_eq(size % MML_DISK_ALIGN, 0);
	ck_assert_uint_eq(append_lens(r, 0, 0, size - MML_REC_HDR, 0), size);
	return size;
}

/*
 * The record must be exactly the entry appended with its seq.  Walks
 * call this for every record, so it calls into Check only on failure
 * (each passing ck_assert costs a write to the runner's pipe).
 */
static void
verify_rec(const struct mml_rec *rec)
{
	const struct mml_rec_hdr *h = &rec->hdr;
	const struct sent *s = &sent[h->seq % SENT_MAX];
	const uint8_t *p[4] = { rec->comm, rec->tag, rec->msg, rec->fields };
	size_t len[4], i;
	unsigned k;

	/* The daemon's own notes (a jump in numbering) are not the test's. */
	if (h->flags & MML_REC_F_DAEMON)
		return;
	if (s->seq != h->seq)
		ck_abort_msg("seq %llu was never appended",
		    (unsigned long long)h->seq);
	if (h->type != MML_REC_ENTRY || h->comm_len != s->comm_len ||
	    h->tag_len != s->tag_len || h->msg_len != s->msg_len ||
	    h->fields_len != s->fields_len || h->priority != h->seq % 8 ||
	    h->flags != (h->seq % 3 == 0 ? MML_REC_F_DAEMON : 0) ||
	    h->realtime_usec != T0 + h->seq ||
	    h->monotonic_usec != M0 + 7 * h->seq ||
	    h->pid != 1000 + h->seq % 30000 || h->uid != h->seq % 7 ||
	    h->gid != h->seq % 11 || h->meta != 0)
		ck_abort_msg("seq %llu: header differs from what was appended",
		    (unsigned long long)h->seq);
	len[0] = s->comm_len;
	len[1] = s->tag_len;
	len[2] = s->msg_len;
	len[3] = s->fields_len;
	for (k = 0; k < 4; k++)
		for (i = 0; i < len[k]; i++)
			if (p[k][i] != pat(h->seq, k, i))
				ck_abort_msg("seq %llu part %u byte %zu differs",
				    (unsigned long long)h->seq, k, i);
}

/*
 * Walks data[0, cap) from the header's tail to its head as a reader
 * does, checking every record against the expected seq and every entry
 * against what was appended.  A jump forward in sequence numbers (after
 * a power loss) is counted in w->gap; anything else that does not check
 * fails the test.
 */
static void
walk_data(const uint8_t *data, uint64_t cap, const struct mml_disk_header *h,
    struct walk *w)
{
	enum mml_disk_reason why;
	struct mml_rec rec;
	uint64_t off, seq, next, steps;
	int e;

	memset(w, 0, sizeof(*w));
	w->tail_off = h->tail_off;
	w->tail_seq = h->tail_seq;
	w->head_off = h->head_off;
	w->head_seq = h->head_seq;
	off = w->tail_off;
	seq = w->tail_seq;
	for (steps = 0; seq != w->head_seq; steps++) {
		if (steps > cap / MML_REC_HDR + 2 || seq > w->head_seq)
			ck_abort_msg("walk from seq %llu does not reach the head",
			    (unsigned long long)w->tail_seq);
		if (steps > 0 && off == w->head_off) {
			/* Numbers skipped after the newest entry. */
			w->gap += w->head_seq - seq;
			seq = w->head_seq;
			break;
		}
		e = mml_disk_rec_check(data, cap, off, seq, 1, mml_disk_crc_seed(h), &rec, &why);
		if (e < 0 && why == MML_DISK_E_REC_SEQ &&
		    mml_disk_rec_check(data, cap, off, 0, 1, mml_disk_crc_seed(h), &rec, NULL) == 0 &&
		    rec.hdr.seq > seq && rec.hdr.seq <= w->head_seq) {
			w->gap += rec.hdr.seq - seq;
			seq = rec.hdr.seq;
			e = 0;
			if (seq == w->head_seq)
				break;
		}
		if (e != 0)
			ck_abort_msg("record at %llu, expected seq %llu: %s",
			    (unsigned long long)off, (unsigned long long)seq,
			    mml_disk_reason_str(why));
		if (rec.hdr.type == MML_REC_WRAP) {
			if (off == 0)
				ck_abort_msg("WRAP record at offset 0");
			if (steps == 0)
				w->tail_on_wrap = 1;
			w->wrap_recs++;
			off = 0;
			continue;
		}
		verify_rec(&rec);
		if (w->n == 0)
			w->first = seq;
		w->last = seq;
		w->n++;
		seq++;
		next = mml_disk_next_off(cap, off, rec.size);
		if (next == 0)
			w->implicit++;
		off = next;
	}
	if (off != w->head_off)
		ck_abort_msg("walk ends at %llu, head is at %llu",
		    (unsigned long long)off, (unsigned long long)w->head_off);
}

/* Maps the file read-only, as mmlogctl does, and walks it. */
static void
walk_file(const char *p, struct walk *w)
{
	enum mml_disk_reason why;
	struct stat st;
	void *map;
	int fd;

	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		ck_abort_msg("open '%s': %s", p, strerror(errno));
	ck_assert_int_eq(fstat(fd, &st), 0);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	if (mml_disk_header_check(map, (uint64_t)st.st_size, &why) != 0)
		ck_abort_msg("header: %s", mml_disk_reason_str(why));
	walk_data((const uint8_t *)map + MML_DISK_HEADER_SIZE,
	    ((const struct mml_disk_header *)map)->capacity, map, w);
	ck_assert_int_eq(munmap(map, (size_t)st.st_size), 0);
	(void)close(fd);
}

/*
 * The ring holds a contiguous run of entries ending at the newest, its
 * counters agree with it, and eviction freed no more than it had to:
 * less than one evicted record beyond what the last append needed, plus
 * what a wrap leaves unused at the end.
 */
static void
check_suffix(const struct mml_ring *r, struct walk *w)
{
	const struct mml_disk_header *h = r->hdr;
	uint64_t span;

	walk_file(r->path, w);
	ck_assert_uint_eq(w->gap, 0);
	ck_assert_uint_eq(w->head_seq, r->next_seq);
	ck_assert_uint_eq(w->head_off, r->head_off);
	ck_assert_uint_eq(w->tail_seq, r->tail_seq);
	ck_assert_uint_eq(w->tail_off, r->tail_off);
	ck_assert_uint_eq(w->n, w->head_seq - w->tail_seq);
	if (w->n > 0) {
		ck_assert_uint_eq(w->first, w->tail_seq);
		ck_assert_uint_eq(w->last, r->next_seq - 1);
	}
	ck_assert_uint_eq(h->entries_overwritten + w->n, h->entries_written);
	if (h->wraps > 0) {
		span = w->head_off > w->tail_off ?
		    w->head_off - w->tail_off :
		    r->cap - w->tail_off + w->head_off;
		if (w->n == 0)
			span = 0;
		ck_assert_msg(r->cap - span < 2 * max_size + MML_REC_HDR,
		    "ring of %llu bytes holds only %llu",
		    (unsigned long long)r->cap, (unsigned long long)span);
	}
}

/*
 * Ends the ring as a crash of the daemon would: no final sync, no clean
 * state, no unlock but the one closing the fd does.
 */
static void
ring_crash(struct mml_ring **rp)
{
	struct mml_ring *r = *rp;

	/* (The pwrite stage is lost, as it is when the daemon dies.) */
	ck_assert_int_eq(munmap(r->map, r->map_len), 0);
	ck_assert_int_eq(close(r->fd), 0);
	(void)mml_metatab_free(r->metatab);
	free(r->stage);
	free(r->inline_buf);
	free(r->path);
	free(r);
	*rp = NULL;
}

/* One sync job, run in this thread as the sync thread would. */
static void
ring_sync(struct mml_ring *r)
{
	struct mml_sync_job job;

	mml_ring_sync_prepare(r, &job);
	mml_ring_sync_run(r, &job);
	ck_assert_int_eq(job.result, 0);
	mml_ring_sync_done(r, &job);
}

static void
ring_open_ok(uint64_t size, int size_explicit)
{
	int e;

	ck_assert_ptr_null(ring);
	e = mml_ring_open(path, size, size_explicit, CAP, &ring);
	ck_assert_msg(e == 0, "mml_ring_open: %s", strerror(-e));
	ck_assert_ptr_nonnull(ring);
	method_apply(ring);
}

/* The way of writing the test asked for (test_wmethod, test_defer). */
static void
method_apply(struct mml_ring *r)
{
	if (test_wmethod >= 0)
		ck_assert_int_eq(mml_ring_set_write(r,
		    (enum mml_ring_write)test_wmethod), 0);
	ck_assert_int_eq(mml_ring_get_write(r), test_wmethod >= 0 ?
	    (enum mml_ring_write)test_wmethod : MML_RING_WRITE_DEFAULT);
	mml_ring_defer(r, test_defer);
}

/* The header as a reader sees it in the file. */
static void
read_header(struct mml_disk_header *h)
{
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, h, sizeof(*h), 0), (ssize_t)sizeof(*h));
	(void)close(fd);
}

static void
write_header(const struct mml_disk_header *h)
{
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, h, sizeof(*h), 0), (ssize_t)sizeof(*h));
	(void)close(fd);
}

static uint8_t *
slurp(const char *p, size_t *ret_len)
{
	struct stat st;
	uint8_t *buf;
	int fd;

	fd = open(p, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, (size_t)st.st_size, 0),
	    (ssize_t)st.st_size);
	(void)close(fd);
	*ret_len = (size_t)st.st_size;
	return buf;
}

/* Entries of a directory, "." and ".." excluded. */
static int
dir_entries(const char *p)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir(p);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	(void)closedir(d);
	return n;
}

/* Nobody holds the ring's lock. */
static void
assert_unlocked(void)
{
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	(void)close(fd);
}

/* A new ring: created whole, fully allocated, locked, empty, dirty. */
START_TEST(test_create)
{
	struct mml_disk_header h;
	struct walk w;
	struct stat st;
	char sub[400];

	(void)snprintf(sub, sizeof(sub), "%s/a/b/ring", tmpdir);
	ck_assert_int_eq(mml_ring_open(sub, CAP, 1, CAP, &ring), 0);
	ck_assert_int_eq(stat(sub, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0640);
	ck_assert_uint_eq((uint64_t)st.st_size, FILE_SIZE);
	ck_assert_uint_eq(FILE_SIZE, mml_meta_file_off(CAP) + mml_meta_size(CAP));
	ck_assert_uint_eq(mml_meta_file_off(CAP),
	    mml_idx_file_off(CAP) + mml_idx_size(CAP));
	/* posix_fallocate: every block is there before the map is used. */
	ck_assert_uint_ge((uint64_t)st.st_blocks * 512, FILE_SIZE);
	/* Created under a temporary name: nothing else is left beside it. */
	(void)snprintf(sub, sizeof(sub), "%s/a/b", tmpdir);
	ck_assert_int_eq(dir_entries(sub), 1);

	ck_assert_uint_eq(ring->cap, CAP);
	ck_assert_uint_eq(ring->next_seq, 1);
	ck_assert_int_eq(ring->was_dirty, 0);
	ck_assert_uint_eq(ring->lost_seqs, 0);
	ck_assert_uint_eq(ring->recovered_entries, 0);
	h = *ring->hdr;
	ck_assert_mem_eq(h.magic, MML_DISK_MAGIC, 8);
	ck_assert_uint_eq(h.version, MML_DISK_VERSION);
	ck_assert_uint_eq(h.header_size, MML_DISK_HEADER_SIZE);
	ck_assert_uint_eq(h.capacity, CAP);
	ck_assert_uint_eq(h.state, MML_STATE_DIRTY);
	ck_assert_uint_eq(h.head_off, 0);
	ck_assert_uint_eq(h.head_seq, 1);
	ck_assert_uint_eq(h.tail_off, 0);
	ck_assert_uint_eq(h.tail_seq, 1);
	ck_assert_uint_eq(h.durable_off, 0);
	ck_assert_uint_eq(h.durable_seq, 0);
	ck_assert_uint_gt(h.seq_limit, 1);
	ck_assert_uint_eq(h.opens, 1);
	ck_assert_uint_eq(h.dirty_opens, 0);
	ck_assert_uint_eq(h.entries_written, 0);
	ck_assert_mem_eq(h.boot_id, ring->boot_id, 16);
	walk_data(ring->data, ring->cap, ring->hdr, &w);
	ck_assert_uint_eq(w.n, 0);

	ring = mml_ring_close(ring);
	(void)snprintf(path, sizeof(path), "%s/a/b/ring", tmpdir);
	read_header(&h);
	ck_assert_uint_eq(h.state, MML_STATE_CLEAN);
	assert_unlocked();
	ck_assert_ptr_null(mml_ring_close(NULL));
}
END_TEST

/* Sizes out of range are refused before anything is created. */
START_TEST(test_bad_size)
{
	static const uint64_t sizes[] = { 0, CAP - 8, CAP + 4,
	    MML_DISK_CAP_MAX + 8 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ck_assert_int_eq(mml_ring_open(path, sizes[i], 1, CAP, &ring),
		    -EINVAL);
		ck_assert_ptr_null(ring);
	}
	ck_assert_int_eq(dir_entries(tmpdir), 0);
}
END_TEST

/* Entries come back exactly, numbered 1..N, with counters to match. */
START_TEST(test_append_read)
{
	struct walk w;
	uint64_t bytes = 0;
	unsigned i;

	ring_open_ok(CAP, 1);
	for (i = 0; i < 30; i++)
		bytes += append_varied(ring);
	ck_assert_uint_lt(bytes, CAP);
	walk_file(path, &w);
	ck_assert_uint_eq(w.n, 30);
	ck_assert_uint_eq(w.first, 1);
	ck_assert_uint_eq(w.last, 30);
	ck_assert_uint_eq(w.wrap_recs, 0);
	ck_assert_uint_eq(w.gap, 0);
	ck_assert_uint_eq(ring->hdr->head_off, bytes);
	ck_assert_uint_eq(ring->hdr->head_seq, 31);
	ck_assert_uint_eq(ring->hdr->tail_seq, 1);
	ck_assert_uint_eq(ring->hdr->entries_written, 30);
	ck_assert_uint_eq(ring->hdr->bytes_written, bytes);
	ck_assert_uint_eq(ring->hdr->entries_overwritten, 0);
	ck_assert_uint_eq(ring->hdr->wraps, 0);
	/* The walk over the writer's own map agrees. */
	walk_data(ring->data, ring->cap, ring->hdr, &w);
	ck_assert_uint_eq(w.n, 30);
}
END_TEST

/* Many laps: always the newest entries, contiguous, none lost unevicted. */
START_TEST(test_wrap_many)
{
	struct walk w;
	unsigned i;

	ring_open_ok(CAP, 1);
	for (i = 0; i < 6000; i++) {
		(void)append_varied(ring);
		if (i % 97 == 0)
			check_suffix(ring, &w);
	}
	check_suffix(ring, &w);
	ck_assert_uint_gt(w.n, 40);
	ck_assert_uint_eq(ring->hdr->entries_written, 6000);
	ck_assert_uint_ge(ring->hdr->wraps, ring->hdr->bytes_written / CAP - 1);
	ck_assert_uint_ge(ring->hdr->wraps, 50);
	/* Reopened, the same entries are there. */
	ring = mml_ring_close(ring);
	ring_open_ok(CAP, 1);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.last, 6000);
	ck_assert_uint_eq(ring->recovered_entries, 0);
	(void)append_varied(ring);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.last, 6001);
}
END_TEST

static void
layout_one(const struct layout_case *c)
{
	struct walk w;
	uint64_t seen_tail_wrap = 0, last;
	unsigned i;

	ring_open_ok(CAP, 1);
	for (i = 0; i < 20 && c->sizes[i] != 0; i++)
		(void)append_size(ring, c->sizes[i]);
	ck_assert_uint_eq(ring->head_off, c->head_off);
	ck_assert_uint_eq(ring->hdr->head_off, c->head_off);
	ck_assert_uint_eq(ring->hdr->wraps, c->wraps);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.wrap_recs, c->wrap_recs);
	ck_assert_uint_eq(w.implicit, c->implicit);
	ck_assert_uint_eq(w.last, i);

	/* Go round three more times in small steps, past every odd spot. */
	for (i = 0; i < 400; i++) {
		(void)append_size(ring, 520);
		check_suffix(ring, &w);
		seen_tail_wrap += w.tail_on_wrap;
	}
	/* A tail on a WRAP record (all of its lap evicted) reads fine. */
	if (c->wrap_recs > 0)
		ck_assert_uint_gt(seen_tail_wrap, 0);
	last = w.last;

	/* Recovery finds the same after a clean close and after a crash. */
	ring = mml_ring_close(ring);
	ring_open_ok(CAP, 1);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.last, last);
	ring_crash(&ring);
	ring_open_ok(CAP, 1);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.last, last);
	ck_assert_uint_eq(ring->next_seq, last + 1);
}

START_TEST(test_layout)
{
	layout_one(&layout_cases[_i]);
}
END_TEST

/* A record larger than a quarter of the ring is refused, changing nothing. */
START_TEST(test_too_large)
{
	struct mml_disk_header before;
	struct mml_rec_hdr h;
	uint64_t seq = 77;
	struct walk w;

	ring_open_ok(CAP, 1);
	(void)append_varied(ring);
	before = *ring->hdr;
	memset(&h, 0, sizeof(h));
	h.msg_len = (uint32_t)(CAP / 4 - MML_REC_HDR + 1);
	ck_assert_int_eq(mml_ring_append(ring, &h, NULL, NULL, part[2], NULL,
	    &seq), -EMSGSIZE);
	ck_assert_uint_eq(seq, 77);
	h.msg_len = UINT32_MAX;
	h.fields_len = UINT32_MAX;
	ck_assert_int_eq(mml_ring_append(ring, &h, NULL, NULL, part[2], NULL,
	    &seq), -EMSGSIZE);
	ck_assert_uint_eq(ring->next_seq, 2);
	ck_assert_mem_eq(ring->hdr, &before, sizeof(before));
	/* Exactly a quarter fits. */
	(void)append_size(ring, CAP / 4);
	walk_file(path, &w);
	ck_assert_uint_eq(w.n, 2);
}
END_TEST

/* Clean close and reopen: sequence numbers go on, the entries stay. */
START_TEST(test_reopen)
{
	struct mml_disk_header h;
	struct walk w;
	unsigned i;

	ring_open_ok(CAP, 1);
	for (i = 0; i < 40; i++)
		(void)append_varied(ring);
	ck_assert_uint_eq(ring->hdr->state, MML_STATE_DIRTY);
	ring = mml_ring_close(ring);
	read_header(&h);
	ck_assert_uint_eq(h.state, MML_STATE_CLEAN);
	ck_assert_uint_eq(h.durable_seq, 40);
	ck_assert_uint_eq(h.durable_off, h.head_off);
	ck_assert_uint_eq(h.head_seq, 41);
	ck_assert_uint_gt(h.seq_limit, 40);
	assert_unlocked();

	ring_open_ok(CAP, 1);
	ck_assert_int_eq(ring->was_dirty, 0);
	ck_assert_uint_eq(ring->lost_seqs, 0);
	ck_assert_uint_eq(ring->recovered_entries, 0);
	ck_assert_uint_eq(ring->next_seq, 41);
	ck_assert_uint_eq(ring->hdr->state, MML_STATE_DIRTY);
	ck_assert_uint_eq(ring->hdr->opens, 2);
	ck_assert_uint_eq(ring->hdr->dirty_opens, 0);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.first, 1);
	ck_assert_uint_eq(w.last, 40);
	for (i = 0; i < 5; i++)
		(void)append_varied(ring);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.first, 1);
	ck_assert_uint_eq(w.last, 45);
	ring = mml_ring_close(ring);
	read_header(&h);
	ck_assert_uint_eq(h.state, MML_STATE_CLEAN);
	ck_assert_uint_eq(h.entries_written, 45);
}
END_TEST

/* Without an explicit size, an existing ring keeps its own capacity. */
/*
 * Control operations: clear empties the ring for readers and recovery
 * (durably: a reopen does not bring the entries back) and numbering goes
 * on; rotate-id changes the id, the header still checks, and the new id
 * survives a reopen.
 */
START_TEST(test_control)
{
	struct mml_disk_header h;
	enum mml_disk_reason why;
	uint8_t id[16];
	uint64_t removed = 0;
	struct walk w;
	unsigned i;

	ring_open_ok(CAP, 1);
	for (i = 0; i < 40; i++)
		(void)append_varied(ring);
	ck_assert_int_eq(mml_ring_clear(ring, &removed), 0);
	ck_assert_uint_eq(removed, 40);
	read_header(&h);
	ck_assert_uint_eq(h.tail_off, h.head_off);
	ck_assert_uint_eq(h.tail_seq, 41);
	ck_assert_uint_eq(ring->next_seq, 41);
	for (i = 0; i < 5; i++)
		(void)append_varied(ring);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.first, 41);
	ck_assert_uint_eq(w.last, 45);

	memset(id, 0x5a, sizeof(id));
	ck_assert_int_eq(mml_ring_rotate_id(ring, id), 0);
	read_header(&h);
	ck_assert_mem_eq(h.ring_id, id, 16);
	ck_assert_int_eq(mml_disk_header_check(&h, MML_DISK_HEADER_SIZE + CAP,
	    &why), 0);
	ring = mml_ring_close(ring);

	ring_open_ok(CAP, 1);
	ck_assert_mem_eq(ring->hdr->ring_id, id, 16);
	ck_assert_uint_eq(ring->next_seq, 46);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.first, 41);
	ck_assert_uint_eq(w.last, 45);
	/* An empty ring clears to empty. */
	ck_assert_int_eq(mml_ring_clear(ring, &removed), 0);
	ck_assert_int_eq(mml_ring_clear(ring, &removed), 0);
	ck_assert_uint_eq(removed, 0);
}
END_TEST

START_TEST(test_reopen_implicit_size)
{
	struct walk w;
	struct stat st;

	ring_open_ok(CAP, 1);
	(void)append_varied(ring);
	ring = mml_ring_close(ring);
	ring_open_ok(4 * CAP, 0);
	ck_assert_uint_eq(ring->cap, CAP);
	ck_assert_uint_eq(ring->hdr->capacity, CAP);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, FILE_SIZE);
	(void)append_varied(ring);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.n, 2);
}
END_TEST

static void
refuse_one(const struct refuse_case *c)
{
	struct mml_disk_header h;
	uint8_t *before, *after;
	size_t blen, alen, i;
	int fd, e;

	ring_open_ok(CAP, 1);
	for (i = 0; i < 5; i++)
		(void)append_varied(ring);
	ring = mml_ring_close(ring);

	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	switch (c->kind) {
	case REF_PATCH:
		if (c->width == 0)
			break;
		ck_assert_int_eq(pread(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
		memcpy((uint8_t *)&h + c->off, &c->value, (size_t)c->width);
		if (c->fix_crc)
			h.static_crc = mml_crc32c(0, &h,
			    offsetof(struct mml_disk_header, static_crc));
		ck_assert_int_eq(pwrite(fd, &h, sizeof(h), 0),
		    (ssize_t)sizeof(h));
		break;
	case REF_TRUNCATE:
		ck_assert_int_eq(ftruncate(fd, (off_t)c->len), 0);
		break;
	case REF_TEXT:
		ck_assert_int_eq(ftruncate(fd, 0), 0);
		for (i = 0; i < c->len; i += 8)
			ck_assert_int_eq(pwrite(fd, "a line\n\n", 8, (off_t)i), 8);
		break;
	}
	(void)close(fd);

	before = slurp(path, &blen);
	e = mml_ring_open(path, c->size ? c->size : CAP, c->size_explicit,
	    c->min_cap ? c->min_cap : CAP, &ring);
	ck_assert_msg(e == c->err, "%s: got %d (%s), want %d (%s)", c->name,
	    e, strerror(-e), c->err, strerror(-c->err));
	ck_assert_ptr_null(ring);
	/* Never overwrite what we do not understand. */
	after = slurp(path, &alen);
	ck_assert_uint_eq(alen, blen);
	ck_assert_msg(memcmp(before, after, blen) == 0, "%s: file changed",
	    c->name);
	ck_assert_int_eq(dir_entries(tmpdir), 1);
	assert_unlocked();
	free(before);
	free(after);
}

START_TEST(test_refuse)
{
	refuse_one(&refuse_cases[_i]);
}
END_TEST

/* One writer: a second open of the same file is refused while it lives. */
START_TEST(test_lock)
{
	struct mml_ring *other = NULL;
	uint8_t *before, *after;
	size_t blen, alen;
	struct walk w;

	ring_open_ok(CAP, 1);
	(void)append_varied(ring);
	before = slurp(path, &blen);
	ck_assert_int_eq(mml_ring_open(path, CAP, 1, CAP, &other), -EBUSY);
	ck_assert_int_eq(mml_ring_open(path, CAP, 0, CAP, &other), -EBUSY);
	ck_assert_ptr_null(other);
	after = slurp(path, &alen);
	ck_assert_uint_eq(alen, blen);
	ck_assert(memcmp(before, after, blen) == 0);
	ck_assert_uint_eq(ring->hdr->opens, 1);
	/* The first writer is unaffected. */
	(void)append_varied(ring);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.n, 2);
	ring = mml_ring_close(ring);
	ck_assert_int_eq(mml_ring_open(path, CAP, 1, CAP, &other), 0);
	other = mml_ring_close(other);
	free(before);
	free(after);
}
END_TEST

/* Marks [off, off + len) of the data region as written. */
static void
mark(uint8_t *map, uint64_t off, uint64_t len)
{
	memset(map + off, 1, len);
}

/* Every byte marked written lies in one of the job's ranges. */
static void
assert_covered(const uint8_t *map, const struct mml_sync_job *job)
{
	uint64_t i;
	int k, in;

	ck_assert_int_le(job->n_range, 2);
	for (k = 0; k < job->n_range; k++)
		ck_assert_uint_le(job->range[k].off + job->range[k].len, CAP);
	for (i = 0; i < CAP; i++) {
		if (!map[i])
			continue;
		for (k = 0, in = 0; k < job->n_range; k++)
			in |= i >= job->range[k].off &&
			    i - job->range[k].off < job->range[k].len;
		ck_assert_msg(in, "written byte %llu not synced",
		    (unsigned long long)i);
	}
}

/* Appends one varied entry and marks the bytes it wrote. */
static void
append_marked(uint8_t *map)
{
	uint64_t before = ring->head_off, size;

	size = append_varied(ring);
	if (CAP - before < size) {
		mark(map, before, CAP - before);	/* the WRAP record */
		before = 0;
	}
	mark(map, before, size);
}

/* A sync job covers what was written and moves the durable cursor. */
START_TEST(test_sync)
{
	struct mml_sync_job job;
	struct mml_disk_header h;
	uint8_t *written;
	uint64_t off;
	unsigned i;

	written = calloc(1, CAP);
	ck_assert_ptr_nonnull(written);
	ring_open_ok(CAP, 1);

	/* Nothing written: nothing to sync, the cursor stays at the head. */
	ck_assert_int_eq(mml_ring_dirty(ring), 0);
	mml_ring_sync_prepare(ring, &job);
	ck_assert_int_eq(job.n_range, 0);
	ck_assert_uint_eq(job.durable_off, 0);
	ck_assert_uint_eq(job.durable_seq, 0);
	mml_ring_sync_run(ring, &job);
	ck_assert_int_eq(job.result, 0);
	mml_ring_sync_done(ring, &job);

	/* Within a lap: one range. */
	for (i = 0; i < 10; i++)
		append_marked(written);
	ck_assert_int_ne(mml_ring_dirty(ring), 0);
	mml_ring_sync_prepare(ring, &job);
	ck_assert_int_eq(mml_ring_dirty(ring), 0);
	ck_assert_int_eq(job.n_range, 1);
	assert_covered(written, &job);
	ck_assert_uint_eq(job.durable_off, ring->head_off);
	ck_assert_uint_eq(job.durable_seq, 10);
	ck_assert_uint_gt(job.seq_limit, 10);
	ck_assert_uint_eq(ring->hdr->seq_limit, job.seq_limit);
	/* The cursor does not move before the data is synced. */
	ck_assert_uint_eq(ring->hdr->durable_seq, 0);
	ck_assert_uint_eq(ring->durable_seq, 0);
	mml_ring_sync_run(ring, &job);
	ck_assert_int_eq(job.result, 0);
	/* Only the loop thread moves it, once the job is back. */
	ck_assert_uint_eq(ring->hdr->durable_seq, 0);
	mml_ring_sync_done(ring, &job);
	read_header(&h);
	ck_assert_uint_eq(h.durable_off, ring->head_off);
	ck_assert_uint_eq(h.durable_seq, 10);
	ck_assert_uint_ne(h.durable_usec, 0);
	ck_assert_uint_eq(ring->durable_seq, 10);
	ck_assert_int_eq(ring->cursor_unflushed, 1);
	/* A job with nothing new writes the header: the cursor is on disk. */
	mml_ring_sync_prepare(ring, &job);
	ck_assert_int_eq(job.n_range, 0);
	mml_ring_sync_run(ring, &job);
	ck_assert_int_eq(job.result, 0);
	mml_ring_sync_done(ring, &job);
	ck_assert_int_eq(ring->cursor_unflushed, 0);
	ck_assert_uint_eq(ring->seq_limit, job.seq_limit);
	memset(written, 0, CAP);

	/* Across the end of the region: two ranges. */
	while (ring->head_off < CAP - 3 * VARIED_MAX)
		append_marked(written);
	ring_sync(ring);
	memset(written, 0, CAP);
	off = ring->head_off;
	while (ring->head_off >= off)
		append_marked(written);
	for (i = 0; i < 3; i++)
		append_marked(written);
	mml_ring_sync_prepare(ring, &job);
	ck_assert_int_eq(job.n_range, 2);
	assert_covered(written, &job);
	ck_assert_uint_eq(job.durable_seq, ring->next_seq - 1);
	mml_ring_sync_run(ring, &job);
	ck_assert_int_eq(job.result, 0);
	mml_ring_sync_done(ring, &job);
	ck_assert_uint_eq(ring->hdr->durable_off, ring->head_off);
	ck_assert_uint_eq(ring->hdr->durable_seq, ring->next_seq - 1);
	memset(written, 0, CAP);

	/* More than a lap since the last sync: the whole region. */
	for (i = 0; i < 200; i++)
		append_marked(written);
	mml_ring_sync_prepare(ring, &job);
	ck_assert_int_ge(job.n_range, 1);
	assert_covered(written, &job);
	mml_ring_sync_run(ring, &job);
	ck_assert_int_eq(job.result, 0);
	mml_ring_sync_done(ring, &job);
	ck_assert_uint_eq(ring->hdr->durable_off, ring->head_off);
	ck_assert_uint_eq(ring->hdr->durable_seq, ring->next_seq - 1);
	ck_assert_uint_eq(ring->durable_seq, ring->next_seq - 1);
	free(written);
}
END_TEST

/*
 * The loop used every sequence number reserved on disk before a sync
 * moved the limit: the next append persists a new limit first.
 */
START_TEST(test_seq_reserve)
{
	struct mml_disk_header h;
	unsigned i;

	ring_open_ok(CAP, 1);
	(void)append_varied(ring);
	ring->seq_limit = ring->next_seq;
	ring->hdr->seq_limit = ring->next_seq;
	for (i = 0; i < 3; i++)
		(void)append_varied(ring);
	read_header(&h);
	ck_assert_uint_gt(h.seq_limit, 4);
	ck_assert_uint_gt(ring->seq_limit, 4);
}
END_TEST

static void
crash_one(const struct crash_case *c)
{
	struct mml_disk_header h;
	struct walk w;
	uint64_t durable, total = (uint64_t)c->synced + c->unsynced;
	unsigned i;

	ring_open_ok(CAP, 1);
	for (i = 0; i < c->synced; i++)
		(void)(c->size ? append_size(ring, c->size) :
		    append_varied(ring));
	if (c->synced > 0)
		ring_sync(ring);
	durable = ring->hdr->durable_seq;
	ck_assert_uint_eq(durable, c->synced);
	for (i = 0; i < c->unsynced; i++)
		(void)(c->size ? append_size(ring, c->size) :
		    append_varied(ring));
	/* The crash comes after the loop's iteration ended (mml_ring_defer()). */
	ck_assert_int_eq(mml_ring_flush(ring), 0);
	ring_crash(&ring);

	read_header(&h);
	ck_assert_uint_eq(h.state, MML_STATE_DIRTY);
	ck_assert_uint_eq(h.durable_seq, durable);
	assert_unlocked();

	ring_open_ok(CAP, 1);
	ck_assert_int_eq(ring->was_dirty, 1);
	ck_assert_uint_eq(ring->lost_seqs, 0);
	ck_assert_msg(ring->next_seq == total + 1, "%s: next seq %llu after "
	    "%llu entries", c->name, (unsigned long long)ring->next_seq,
	    (unsigned long long)total);
	ck_assert_uint_eq(ring->hdr->dirty_opens, 1);
	ck_assert_uint_eq(ring->hdr->opens, 2);
	check_suffix(ring, &w);
	if (total > 0)
		ck_assert_uint_eq(w.last, total);
	if (ring->hdr->wraps == 0)
		ck_assert_uint_eq(ring->recovered_entries, c->unsynced);
	else
		ck_assert_uint_le(ring->recovered_entries, w.n);
	/* Recovery made what it found durable before going on. */
	ck_assert_uint_eq(ring->hdr->durable_seq, total);
	ck_assert_uint_eq(ring->hdr->durable_off, ring->head_off);
	(void)append_varied(ring);
	/*
	 * Deferred, the entry is in the file once the loop's iteration
	 * ends (it used to get there with the stage written for its seek
	 * index slot, which now waits for the stage instead).
	 */
	ck_assert_int_eq(mml_ring_flush(ring), 0);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.last, total + 1);
	ring = mml_ring_close(ring);
	ring_open_ok(CAP, 1);
	ck_assert_int_eq(ring->was_dirty, 0);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.last, total + 1);
}

START_TEST(test_crash)
{
	crash_one(&crash_cases[_i]);
}
END_TEST

/*
 * Writes at dst what a torn or stale write could leave where the record
 * with sequence number seq was going to be.
 */
static void
torn_write(uint8_t *dst, enum torn_kind kind, uint64_t seq)
{
	struct mml_rec_hdr h;
	uint8_t msg[200];
	uint32_t crc;

	memset(msg, 'm', sizeof(msg));
	memset(&h, 0, sizeof(h));
	h.type = MML_REC_ENTRY;
	h.priority = 6;
	h.msg_len = sizeof(msg);
	h.seq = seq;
	h.realtime_usec = T0 + seq;
	switch (kind) {
	case TORN_STALE_SEQ:
		h.seq = seq - 3;
		break;
	case TORN_TYPE:
		h.type = 9;
		break;
	case TORN_RESERVED:
		h.meta = 1;
		break;
	default:
		break;
	}
	if (kind == TORN_ZEROS) {
		memset(dst, 0, MML_REC_HDR + sizeof(msg));
		return;
	}
	(void)mml_disk_rec_write(dst, &h, NULL, NULL, msg, NULL, ring->crc_seed);
	switch (kind) {
	case TORN_BAD_CRC:
		memcpy(&crc, dst, 4);
		crc ^= 0x10;
		memcpy(dst, &crc, 4);
		break;
	case TORN_HALF:
		memset(dst + MML_REC_HDR + sizeof(msg) / 2, 0, sizeof(msg) / 2);
		break;
	case TORN_CRC_ZERO:
		memset(dst, 0, 4);
		break;
	case TORN_LEN:
		h.len = (uint32_t)(2 * CAP);
		memcpy(dst + 4, &h.len, 4);
		crc = mml_crc32c(ring->crc_seed, dst + 4, MML_REC_HDR + sizeof(msg) - 4);
		memcpy(dst, &crc, 4);
		break;
	default:
		break;
	}
}

static void
torn_one(const struct torn_case *c)
{
	struct walk w;
	uint64_t off;
	unsigned i;

	ring_open_ok(CAP, 1);
	for (i = 0; i < 5; i++)
		(void)append_varied(ring);
	ring_sync(ring);
	for (i = 0; i < 5; i++)
		(void)append_varied(ring);
	/* After a crash: never presented, and the next entry replaces it. */
	off = ring->head_off;
	torn_write(ring->data + off, c->kind, 11);
	ring_crash(&ring);
	ring_open_ok(CAP, 1);
	ck_assert_msg(ring->next_seq == 11, "%s: next seq %llu", c->name,
	    (unsigned long long)ring->next_seq);
	ck_assert_uint_eq(ring->head_off, off);
	ck_assert_uint_eq(ring->recovered_entries, 5);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.n, 10);
	(void)append_varied(ring);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.n, 11);
	ck_assert_uint_eq(w.last, 11);

	/* After a clean close, the same. */
	off = ring->head_off;
	torn_write(ring->data + off, c->kind, 12);
	ring = mml_ring_close(ring);
	ring_open_ok(CAP, 1);
	ck_assert_uint_eq(ring->next_seq, 12);
	ck_assert_uint_eq(ring->head_off, off);
	(void)append_varied(ring);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.n, 12);
}

START_TEST(test_torn)
{
	torn_one(&torn_cases[_i]);
}
END_TEST

/*
 * A power loss: the ring was left dirty by a writer of another boot, so
 * numbers handed out then may be lost with their entries.  Numbering
 * continues above the persisted limit, and the gap is reported.
 */
START_TEST(test_power_loss)
{
	struct mml_disk_header h;
	struct walk w;
	uint64_t limit, seq;
	uint32_t state = MML_STATE_DIRTY;
	uint8_t other[16];
	unsigned i;
	int fd;

	ring_open_ok(CAP, 1);
	for (i = 0; i < 20; i++)
		(void)append_varied(ring);
	ring = mml_ring_close(ring);
	read_header(&h);
	limit = h.seq_limit;
	ck_assert_uint_gt(limit, 21);

	memset(other, 0x5a, sizeof(other));
	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, other, 16, HOFF(boot_id)), 16);
	ck_assert_int_eq(pwrite(fd, &state, 4, HOFF(state)), 4);
	(void)close(fd);

	ring_open_ok(CAP, 1);
	ck_assert_int_eq(ring->was_dirty, 1);
	/* The first record after the jump is the daemon's note of it. */
	ck_assert_uint_eq(ring->next_seq, limit + 1);
	ck_assert_uint_eq(ring->lost_seqs, limit - 21);
	ck_assert_mem_eq(ring->hdr->boot_id, ring->boot_id, 16);
	ck_assert_uint_gt(ring->hdr->seq_limit, limit);
	ck_assert_uint_eq(ring->hdr->head_seq, limit + 1);
	ck_assert_uint_eq(ring->hdr->dirty_opens, 1);
	/* The entries that survived are all there. */
	walk_file(path, &w);
	ck_assert_uint_eq(w.n, 21);
	ck_assert_uint_eq(w.last, limit);
	ck_assert_uint_eq(w.gap, limit - 21);
	seq = ring->next_seq;
	(void)append_varied(ring);
	ck_assert_uint_eq(seq, limit + 1);
	walk_file(path, &w);
	ck_assert_uint_eq(w.n, 22);
	ck_assert_uint_eq(w.first, 1);
	ck_assert_uint_eq(w.last, limit + 1);
	ck_assert_uint_eq(w.gap, limit - 21);
	ck_assert_uint_eq(ring->hdr->entries_overwritten + w.n,
	    ring->hdr->entries_written);

	/* A clean close in this boot: no further jump. */
	ring = mml_ring_close(ring);
	ring_open_ok(CAP, 1);
	ck_assert_uint_eq(ring->next_seq, limit + 2);
	ck_assert_uint_eq(ring->lost_seqs, 0);
}
END_TEST


/*
 * The seek index names, for every bucket the ring's live part entered
 * after its oldest record, the first record the writer put there on its
 * lap: computed here by walking the chain from the tail.
 */
static void
check_index(const struct mml_ring *r, uint64_t *ret_used)
{
	const struct mml_disk_header *h = r->hdr;
	struct mml_idx_slot slot;
	struct mml_rec rec;
	uint64_t *want, off = h->tail_off, seq = h->tail_seq, b, prev, used = 0;
	int first = 1;

	want = calloc(r->idx_slots, sizeof(*want));
	ck_assert_ptr_nonnull(want);
	prev = UINT64_MAX;
	while (seq < r->next_seq) {
		ck_assert_int_eq(mml_disk_rec_check(r->data, r->cap, off, seq, 1, r->crc_seed,
		    &rec, NULL), 0);
		if (rec.hdr.type == MML_REC_WRAP) {
			off = 0;
			prev = UINT64_MAX;
			continue;
		}
		b = off >> r->idx_shift;
		/* The oldest record's bucket may have lost its first one. */
		if (b != prev && !first)
			want[b] = seq;
		first = 0;
		prev = b;
		seq++;
		off = mml_disk_next_off(r->cap, off, rec.size);
		if (off == 0)
			prev = UINT64_MAX;
	}
	for (b = 0; b < r->idx_slots; b++) {
		memcpy(&slot, &r->idx[b], sizeof(slot));
		if (want[b] == 0)
			continue;
		ck_assert_int_eq(mml_idx_slot_check(&slot, r->cap, b, r->crc_seed), 1);
		ck_assert_msg(slot.seq == want[b], "slot %llu names seq %llu, "
		    "want %llu", (unsigned long long)b,
		    (unsigned long long)slot.seq, (unsigned long long)want[b]);
		ck_assert_int_eq(mml_disk_rec_check(r->data, r->cap, slot.off,
		    slot.seq, 1, r->crc_seed, &rec, NULL), 0);
		ck_assert_uint_eq(rec.hdr.realtime_usec, slot.realtime_usec);
		used++;
	}
	free(want);
	if (ret_used != NULL)
		*ret_used = used;
}

START_TEST(test_index)
{
	struct walk w;
	uint64_t used, big = 16 * CAP;
	unsigned i;

	ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
	ck_assert_uint_eq(ring->idx_slots, 16);
	ck_assert(ring->hdr->compat_flags & MML_COMPAT_INDEX);
	for (i = 0; i < 6000; i++) {
		(void)append_varied(ring);
		if (i % 500 == 0)
			check_index(ring, NULL);
	}
	ck_assert_uint_ge(ring->hdr->wraps, 3);
	check_index(ring, &used);
	ck_assert_uint_ge(used, 14);
	/* A clean reopen and a crash keep every slot: all still match. */
	ring = mml_ring_close(ring);
	ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
	ck_assert_uint_eq(ring->idx_damaged, 0);
	check_index(ring, NULL);
	ring_crash(&ring);
	ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
	ck_assert_uint_eq(ring->idx_damaged, 0);
	check_index(ring, NULL);
	check_suffix(ring, &w);
}
END_TEST

/*
 * Deferred pwrite(): the slot of a bucket's first record waits for the
 * stage that holds the record, so no slot in the file names a record
 * that is not; after each flush every slot checks, as after a crash.
 */
START_TEST(test_index_deferred)
{
	struct mml_idx_slot slot;
	struct walk w;
	uint64_t used, b, big = 16 * CAP;
	unsigned i, named = 0;

	ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
	ck_assert_int_eq(mml_ring_set_write(ring, MML_RING_WRITE_PWRITE), 0);
	mml_ring_defer(ring, 1);
	for (i = 0; i < 6000; i++) {
		b = ring->idx_bucket;
		(void)append_varied(ring);
		if (ring->idx_bucket != b && ring->idx_bucket != UINT64_MAX) {
			ck_assert_uint_gt(ring->stage_len, 0);
			ck_assert_uint_gt(ring->n_idx_pend, 0);
			memcpy(&slot, &ring->idx[ring->idx_bucket], sizeof(slot));
			ck_assert_uint_ne(slot.seq, ring->next_seq - 1);
			named++;
		}
		if (i % 7 == 0) {
			ck_assert_int_eq(mml_ring_flush(ring), 0);
			ck_assert_uint_eq(ring->n_idx_pend, 0);
			check_index(ring, NULL);
		}
	}
	ck_assert_uint_ge(named, 14);
	ck_assert_int_eq(mml_ring_flush(ring), 0);
	check_index(ring, &used);
	ck_assert_uint_ge(used, 14);
	ring_crash(&ring);
	ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
	ck_assert_uint_eq(ring->idx_damaged, 0);
	check_index(ring, NULL);
	check_suffix(ring, &w);
}
END_TEST

/*
 * The stage cannot be written (pwrite() and the map both fail, as in
 * test_write_failing) while it fills, over as many buckets as slots can
 * wait: they wait, none is stored while its record is not in the file,
 * and once the stage is written every slot names its record.
 */
START_TEST(test_index_failing)
{
	struct walk w;
	uint64_t big = 16 * CAP, got;
	unsigned i, refused = 0;
	int rw, ro, fd, e;

	ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
	ck_assert_int_eq(mml_ring_set_write(ring, MML_RING_WRITE_PWRITE), 0);
	mml_ring_defer(ring, 1);
	for (i = 0; i < 20; i++)
		(void)append_varied(ring);
	ring_sync(ring);
	rw = ring->fd;
	ro = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(ro, 0);
	ring->fd = ro;
	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(MML_DISK_HEADER_SIZE +
	    ((ring->head_off + 4095) & ~(uint64_t)4095))), 0);
	(void)close(fd);
	for (i = 0; i < 400; i++) {
		e = append_try(ring, 0, 0, 1000, 0, &got);
		if (e == 0)
			continue;
		ck_assert_int_eq(e, -EIO);
		refused++;
	}
	ck_assert_uint_gt(refused, 0);
	ck_assert_uint_gt(ring->stage_len, 3 << ring->idx_shift);
	ck_assert_uint_eq(ring->n_idx_pend,
	    sizeof(ring->idx_pend) / sizeof(ring->idx_pend[0]));
	ring->fd = rw;
	(void)close(ro);
	ck_assert_int_eq(mml_ring_flush(ring), 0);
	ck_assert_uint_eq(ring->n_idx_pend, 0);
	check_index(ring, NULL);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.gap, 0);
}
END_TEST

/*
 * A cursor whose halves come from two moments (offset of one sync, seq
 * of another) must not cost the entries after it: recovery follows the
 * chain from the tail when the cursor's chain ends short of the
 * header's head.
 */
START_TEST(test_mixed_cursor)
{
	struct mml_disk_header h;
	struct walk w;
	uint64_t last, big = 16 * CAP;
	unsigned i;

	ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
	for (i = 0; i < 200; i++)
		(void)append_varied(ring);
	ring_sync(ring);
	for (i = 0; i < 50; i++)
		(void)append_varied(ring);
	last = ring->next_seq - 1;
	ring_crash(&ring);
	read_header(&h);
	ck_assert_uint_eq(h.durable_seq, 200);
	ck_assert_uint_eq(h.head_seq, last + 1);
	h.durable_seq -= 7;
	write_header(&h);
	ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
	ck_assert_uint_eq(ring->next_seq, last + 1);
	ck_assert_uint_eq(ring->lost_seqs, 0);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.last, last);
	ck_assert_uint_eq(w.first, 1);
}
END_TEST

/*
 * The other mix: the offset of an older sync (after 150 entries) with
 * the seq of the last (200), and after entries more written since.
 * Returns the head offset of the last sync; the ring is open again.
 */
static uint64_t
mixed_cursor_old_off(uint64_t big, unsigned after)
{
	struct mml_disk_header h;
	uint64_t off150, head;
	unsigned i;

	ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
	for (i = 0; i < 150; i++)
		(void)append_varied(ring);
	ring_sync(ring);
	off150 = ring->head_off;
	for (i = 0; i < 50; i++)
		(void)append_varied(ring);
	ring_sync(ring);
	head = ring->head_off;
	for (i = 0; i < after; i++)
		(void)append_varied(ring);
	ring_crash(&ring);
	read_header(&h);
	ck_assert_uint_eq(h.durable_seq, 200);
	h.durable_off = off150;
	write_header(&h);
	ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
	return head;
}

/*
 * Run 0: 50 entries written after the last sync.  Run 1: none; then the
 * chain from the record at the old offset ends exactly at the cursor's
 * seq, at another offset, the real head.  Recovery took the old offset
 * for the head there, and the next appends overwrote seqs 151..200,
 * which were durable (and acknowledged).  Either way the head is after
 * the newest record and appends go there, not over seq 151.
 */
START_TEST(test_mixed_cursor_old_off)
{
	struct walk w;
	unsigned after = _i == 0 ? 50 : 0;
	uint64_t head, last = 200 + after;

	head = mixed_cursor_old_off(16 * CAP, after);
	ck_assert_uint_eq(ring->next_seq, last + 1);
	if (after == 0)
		ck_assert_uint_eq(ring->head_off, head);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.first, 1);
	ck_assert_uint_eq(w.last, last);
	(void)append_varied(ring);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.first, 1);
	ck_assert_uint_eq(w.last, last + 1);
}
END_TEST

/*
 * A header whose tail seq is past the head (damage in a field no CRC
 * covers) is searched for the oldest record, as a tail that does not
 * check is; it was taken for an empty ring before, and every entry was
 * dropped without a word.  Clean and dirty alike.
 */
START_TEST(test_tail_past_head)
{
	struct mml_disk_header h;
	struct walk w;
	uint64_t last, big = 16 * CAP;
	unsigned i, crash;

	for (crash = 0; crash < 2; crash++) {
		ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
		for (i = 0; i < 100; i++)
			(void)append_varied(ring);
		last = ring->next_seq - 1;
		if (crash)
			ring_crash(&ring);
		else
			ring = mml_ring_close(ring);
		read_header(&h);
		h.tail_seq = h.head_seq + 100000;
		write_header(&h);
		ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
		ck_assert_uint_eq(ring->next_seq, last + 1);
		check_suffix(ring, &w);
		ck_assert_uint_eq(w.first, 1);
		ck_assert_uint_eq(w.last, last);
		ring = mml_ring_close(ring);
		ck_assert_int_eq(unlink(path), 0);
	}
}
END_TEST

/* Damaged slots, and slots naming records that are not there, are cleared. */
START_TEST(test_index_damage)
{
	struct mml_idx_slot *s, zero;
	uint64_t big = 16 * CAP;
	unsigned i;

	memset(&zero, 0, sizeof(zero));
	ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
	for (i = 0; i < 3000; i++)
		(void)append_varied(ring);
	s = ring->idx;
	ck_assert_uint_eq(mml_idx_slot_check(&s[3], ring->cap, 3, ring->crc_seed), 1);
	ck_assert_uint_eq(mml_idx_slot_check(&s[5], ring->cap, 5, ring->crc_seed), 1);
	ck_assert_uint_eq(mml_idx_slot_check(&s[7], ring->cap, 7, ring->crc_seed), 1);
	s[3].realtime_usec ^= 1;			/* CRC no longer matches */
	mml_idx_slot_make(&s[5], s[5].seq + 1, s[5].realtime_usec,
	    s[5].off, ring->crc_seed);					/* well formed, wrong seq */
	mml_idx_slot_make(&s[7], s[7].seq, s[7].realtime_usec + 1,
	    s[7].off, ring->crc_seed);					/* wrong time */
	ring_crash(&ring);
	ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
	ck_assert_uint_eq(ring->idx_damaged, 3);
	ck_assert_mem_eq(&ring->idx[3], &zero, sizeof(zero));
	ck_assert_mem_eq(&ring->idx[5], &zero, sizeof(zero));
	ck_assert_mem_eq(&ring->idx[7], &zero, sizeof(zero));
	/* The writer fills them again as it comes round. */
	for (i = 0; i < 3000; i++)
		(void)append_varied(ring);
	check_index(ring, NULL);
}
END_TEST

/* A ring made before the index gets one, and keeps its entries. */
START_TEST(test_index_upgrade)
{
	struct mml_disk_header h;
	struct walk w;
	struct stat st;
	uint64_t last, big = 16 * CAP;
	unsigned i;
	int fd;

	ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
	for (i = 0; i < 100; i++)
		(void)append_varied(ring);
	last = ring->next_seq - 1;
	ring = mml_ring_close(ring);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	h.compat_flags = 0;
	h.static_crc = mml_crc32c(0, &h,
	    offsetof(struct mml_disk_header, static_crc));
	ck_assert_int_eq(pwrite(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	ck_assert_int_eq(ftruncate(fd, (off_t)(MML_DISK_HEADER_SIZE + big)), 0);
	(void)close(fd);

	ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
	read_header(&h);
	/* The tables of this version come with it (FORMAT.md, Versioning). */
	ck_assert_uint_eq(h.compat_flags, MML_COMPAT_INDEX | MML_COMPAT_BOOTS);
	ck_assert_uint_eq(h.incompat_flags,
	    MML_INCOMPAT_KEYED | MML_INCOMPAT_META);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, mml_disk_file_size(&h));
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.last, last);
	for (i = 0; i < 3000; i++)
		(void)append_varied(ring);
	check_index(ring, NULL);
	/* Cut short of its index: the region comes back. */
	ring = mml_ring_close(ring);
	ck_assert_int_eq(truncate(path, (off_t)(MML_DISK_HEADER_SIZE + big)), 0);
	ck_assert_int_eq(mml_ring_open(path, big, 1, CAP, &ring), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, mml_disk_file_size(&h));
	check_suffix(ring, &w);
}
END_TEST


/*
 * Metadata (FORMAT.md, Metadata slots).  A sender's fields here are
 * "_CMDLINE=cmd K" and "_SYSTEMD_UNIT=uK.service", K chosen by the
 * test; entries of the same K share a slot.
 */
static void
meta_k(struct mml_meta *m, unsigned k)
{
	char v[64];
	size_t len = 0;
	int n;

	n = snprintf(v, sizeof(v), "cmd %u", k);
	ck_assert_int_eq(mml_fields_put(m->block, sizeof(m->block), &len,
	    "_CMDLINE", 8, v, (size_t)n), 0);
	n = snprintf(v, sizeof(v), "u%u.service", k);
	ck_assert_int_eq(mml_fields_put(m->block, sizeof(m->block), &len,
	    "_SYSTEMD_UNIT", 13, v, (size_t)n), 0);
	m->len = (uint32_t)len;
	m->hash = mml_crc32c(0, m->block, len);
}

/* The record of seq, walking from the tail: 0, or -1 if not found. */
static int
rec_check_at(const struct mml_ring *r, uint64_t seq, struct mml_rec *ret)
{
	struct mml_walk w;
	struct mml_walk_pos pos = { r->tail_off, r->tail_seq };

	mml_walk_init(&w, r->data, r->cap, r->next_seq, r->head_off,
	    r->crc_seed);
	while (pos.seq < r->next_seq) {
		if (mml_walk_next(&w, &pos, ret) == MML_WALK_BREAK)
			return -1;
		if (ret->hdr.type == MML_REC_ENTRY && ret->hdr.seq == seq)
			return 0;
	}
	return -1;
}

/*
 * Appends a small entry whose message is "K" and whose metadata is
 * *m, which the caller keeps (K's, from meta_k()).
 */
static uint64_t
append_meta_m(struct mml_ring *r, unsigned k, const struct mml_meta *m)
{
	struct mml_rec_hdr h;
	char msg[16];
	uint64_t seq;
	int n;

	n = snprintf(msg, sizeof(msg), "%u", k);
	memset(&h, 0, sizeof(h));
	h.priority = 6;
	h.msg_len = (uint32_t)n;
	h.realtime_usec = T0 + r->next_seq;
	h.monotonic_usec = M0 + r->next_seq;
	ck_assert_int_eq(mml_ring_append_meta(r, &h, NULL, NULL, msg, NULL,
	    m, &seq), 0);
	return seq;
}

/* The same with K's metadata. */
static uint64_t
append_meta_k(struct mml_ring *r, unsigned k)
{
	struct mml_meta m;

	meta_k(&m, k);
	return append_meta_m(r, k, &m);
}

/*
 * Walks the ring from its tail and checks that each entry's metadata,
 * in a slot or inline, is the one of the K in its message.  Returns the
 * entries seen; *ret_inline the ones carrying it inline.
 */
static uint64_t
check_meta_walk(const struct mml_ring *r, uint64_t *ret_inline)
{
	struct mml_walk w;
	struct mml_walk_pos pos = { r->tail_off, r->tail_seq };
	struct mml_rec rec;
	struct mml_meta got, want;
	uint64_t n = 0, inl = 0;
	unsigned k;
	char msg[16];

	mml_walk_init(&w, r->data, r->cap, r->next_seq, r->head_off,
	    r->crc_seed);
	while (pos.seq < r->next_seq) {
		ck_assert_int_ne(mml_walk_next(&w, &pos, &rec), MML_WALK_BREAK);
		if (rec.hdr.type != MML_REC_ENTRY)
			continue;
		ck_assert_uint_lt(rec.hdr.msg_len, sizeof(msg));
		memcpy(msg, rec.msg, rec.hdr.msg_len);
		msg[rec.hdr.msg_len] = '\0';
		if (sscanf(msg, "%u", &k) != 1)
			continue;	/* the daemon's own notes */
		meta_k(&want, k);
		n++;
		if (rec.hdr.flags & MML_REC_F_META) {
			mml_ring_meta_of(r, &rec, &got);
			ck_assert_msg(got.len == want.len && memcmp(got.block,
			    want.block, want.len) == 0, "seq %llu: metadata "
			    "of another", (unsigned long long)rec.hdr.seq);
		} else {
			inl++;
			ck_assert_uint_eq(rec.hdr.fields_len, want.len);
			ck_assert(memcmp(rec.fields, want.block, want.len) == 0);
		}
	}
	if (ret_inline != NULL)
		*ret_inline = inl;
	return n;
}

START_TEST(test_meta_share)
{
	struct mml_metatab_stats st;
	struct mml_sync_job job;
	struct mml_rec rec;
	uint64_t s1, s2, s3;

	ring_open_ok(CAP, 1);
	ck_assert_ptr_nonnull(ring->metatab);
	ck_assert_uint_eq(ring->meta_slots, MML_META_SLOTS_MIN);
	s1 = append_meta_k(ring, 1);
	s2 = append_meta_k(ring, 2);
	s3 = append_meta_k(ring, 1);
	ck_assert_int_eq(rec_check_at(ring, s1, &rec), 0);
	ck_assert(rec.hdr.flags & MML_REC_F_META);
	ck_assert_uint_eq(mml_meta_ref_gen(rec.hdr.meta), 1);
	/* No byte of the entry: the message alone. */
	ck_assert_uint_eq(rec.hdr.fields_len, 0);
	{
		uint32_t m1 = rec.hdr.meta;

		ck_assert_int_eq(rec_check_at(ring, s3, &rec), 0);
		ck_assert_uint_eq(rec.hdr.meta, m1);
		ck_assert_int_eq(rec_check_at(ring, s2, &rec), 0);
		ck_assert_uint_ne(rec.hdr.meta, m1);
	}
	mml_metatab_stats(ring->metatab, &st);
	ck_assert_uint_eq(st.used, 2);
	ck_assert_uint_eq(check_meta_walk(ring, NULL), 3);

	/* The next sync makes the slots durable first. */
	mml_ring_sync_prepare(ring, &job);
	ck_assert_uint_eq(job.meta_off, mml_meta_file_off(CAP));
	ck_assert_uint_eq(job.meta_len, 4096);
	mml_ring_sync_run(ring, &job);
	ck_assert_int_eq(job.result, 0);
	mml_ring_sync_done(ring, &job);
	(void)append_meta_k(ring, 2);
	mml_ring_sync_prepare(ring, &job);
	ck_assert_uint_eq(job.meta_len, 0);
	mml_ring_sync_run(ring, &job);
	mml_ring_sync_done(ring, &job);
}
END_TEST

/*
 * More senders than slots at once: the entries of the newest carry
 * their metadata inline; once wraps evict the older entries, slots are
 * reused and every entry still shows its own, lap after lap, also
 * after a clean close and after a crash.
 */
START_TEST(test_meta_wraps)
{
	uint64_t n, inl, i, wraps;

	ring_open_ok(CAP, 1);
	/* 64 slots; 100 senders in turn, a full ring holds ~1000 entries. */
	for (i = 0; i < 300; i++)
		(void)append_meta_k(ring, (unsigned)(i % 100));
	n = check_meta_walk(ring, &inl);
	ck_assert_uint_eq(n, 300);
	ck_assert_uint_gt(inl, 0);
	for (i = 0; i < 20000; i++)
		(void)append_meta_k(ring, (unsigned)(i * 7 % 100));
	wraps = ring->hdr->wraps;
	ck_assert_uint_gt(wraps, 10);
	n = check_meta_walk(ring, &inl);
	ck_assert_uint_gt(n, 500);

	/* A clean close, then a crash: still resolved, and reused right. */
	ring = mml_ring_close(ring);
	ring_open_ok(CAP, 1);
	(void)check_meta_walk(ring, NULL);
	for (i = 0; i < 5000; i++)
		(void)append_meta_k(ring, (unsigned)(i * 13 % 100));
	ring_crash(&ring);
	ring_open_ok(CAP, 1);
	ck_assert(ring->was_dirty);
	(void)check_meta_walk(ring, NULL);
	for (i = 0; i < 5000; i++)
		(void)append_meta_k(ring, (unsigned)(i * 3 % 100 + 100));
	(void)check_meta_walk(ring, &inl);
	ring = mml_ring_close(ring);
	ring_open_ok(CAP, 1);
	ck_assert(!ring->was_dirty);
	(void)check_meta_walk(ring, NULL);
}
END_TEST

/*
 * Once the stage is written, the entry seq is in the ring and names a
 * metadata slot that holds m (when: where the test is, for the message).
 */
static void
expect_slot_meta(uint64_t seq, const struct mml_meta *m, const char *when)
{
	struct mml_meta got;
	struct mml_rec rec;

	ck_assert_int_eq(mml_ring_flush(ring), 0);
	ck_assert_int_eq(rec_check_at(ring, seq, &rec), 0);
	ck_assert(rec.hdr.flags & MML_REC_F_META);
	mml_ring_meta_of(ring, &rec, &got);
	ck_assert_msg(got.len == m->len && memcmp(got.block, m->block,
	    m->len) == 0, "seq %llu %s: its metadata is lost (%u bytes)",
	    (unsigned long long)seq, when, got.len);
}

/*
 * A frame's entries name their sender's slot without a lookup
 * (mml_ring_meta_hold()).  The file cut short of its index and
 * metadata table under the writer, while such a frame goes on: the
 * entry that faults on the index page is stored and the size given
 * back, but the table's bytes are gone (zeros).  The entries after the
 * repair must not name the lost slot, as a lookup (which reads the
 * slot) would not: they show their sender's fields.  Under each way
 * of writing (the repair comes with the index slot, stored at once or
 * when the stage is written).
 */
START_TEST(test_meta_hold_repair)
{
	struct mml_meta m;
	uint64_t seq;
	unsigned i;

	test_wmethod = (int)wmethods[_i].how;
	test_defer = wmethods[_i].defer;
	ring_open_ok(CAP, 1);
	meta_k(&m, 7);
	mml_ring_meta_hold(ring, 1);
	(void)append_meta_m(ring, 7, &m);
	ck_assert_int_eq(truncate(path, (off_t)mml_idx_file_off(CAP)), 0);
	/* The next lap's first record faults on the index page. */
	for (i = 0; i < 5000 && ring->repairs == 0; i++)
		(void)append_meta_m(ring, 7, &m);
	ck_assert_uint_eq(ring->repairs, 1);
	seq = append_meta_m(ring, 7, &m);
	mml_ring_meta_hold(ring, 0);
	expect_slot_meta(seq, &m, "after the repair");
}
END_TEST

/*
 * The file cut short of its metadata table only (its last pages) while
 * a frame's entries name their sender's slot without a lookup: the
 * header, the data and the index are whole, so nothing else faults.
 * The next entry must notice, as a lookup (which reads the slot) does:
 * the size is given back, and the entry is kept, with its fields in a
 * slot the file holds, not in the one it lost.  Under each way of
 * writing, and for a lookup too (a fault there dropped the entry).
 */
START_TEST(test_meta_hold_cut_table)
{
	struct mml_meta m;
	uint64_t seq;

	test_wmethod = (int)wmethods[_i / 2].how;
	test_defer = wmethods[_i / 2].defer;
	ring_open_ok(CAP, 1);
	meta_k(&m, 7);
	mml_ring_meta_hold(ring, _i % 2);
	(void)append_meta_m(ring, 7, &m);
	(void)append_meta_m(ring, 7, &m);
	ck_assert_int_eq(truncate(path, (off_t)mml_meta_file_off(CAP)), 0);
	seq = append_meta_m(ring, 7, &m);
	ck_assert_uint_eq(ring->repairs, 1);
	ck_assert_uint_eq(ring->bus_errors, 1);
	(void)append_meta_m(ring, 7, &m);
	mml_ring_meta_hold(ring, 0);
	expect_slot_meta(seq, &m, "after the cut");
	ck_assert_uint_eq(ring->repairs, 1);
}
END_TEST

/*
 * A numbering restart (rotate-id near the format's limit) empties the
 * ring and numbers from 1 again: a sender whose fields a slot held
 * before must not have its new entries name that slot, whose first
 * entry is numbered far above them (readers refuse it: the entries would
 * show no trusted fields).
 */
START_TEST(test_meta_restart)
{
	uint64_t removed, inl;
	uint8_t id[16];
	unsigned i;

	ring_open_ok(CAP, 1);
	mml_ring_skip_to(ring, MML_RING_SEQ_RESTART + 100);
	for (i = 0; i < 10; i++)
		(void)append_meta_k(ring, i);
	ring_sync(ring);
	memset(id, 0x6b, sizeof(id));
	ck_assert_int_eq(mml_ring_restart(ring, id, &removed), 0);
	ck_assert_uint_eq(removed, 10);
	for (i = 0; i < 10; i++)
		(void)append_meta_k(ring, i);
	ck_assert_uint_eq(check_meta_walk(ring, &inl), 10);
	ck_assert_uint_eq(inl, 0);
}
END_TEST

/*
 * Deferred pwrite(): the tail moves in memory as records are made, and
 * into the header only when the stage is written.  Until then readers
 * still see the entries it passed (and a crash keeps them): their slot
 * must not be reused for another sender's fields, or they show none.
 * Sender 0 names one slot, with one entry; senders 1-63 fill the other
 * 63 and keep them named; once the tail in memory, not yet in the
 * header, has passed sender 0's entry, a new sender comes.
 */
START_TEST(test_meta_tail_unpublished)
{
	struct mml_meta got, want;
	struct mml_rec rec;
	uint64_t off0, seq0;
	unsigned i, k;

	test_wmethod = MML_RING_WRITE_PWRITE;
	test_defer = 1;
	ring_open_ok(CAP, 1);
	ck_assert_uint_eq(ring->meta_slots, 64);
	for (k = 1; k < 64; k++)
		(void)append_meta_k(ring, k);
	off0 = ring->head_off;
	seq0 = append_meta_k(ring, 0);
	for (i = 0; i < 20000; i++) {
		if (ring->tail_seq > seq0 && ring->hdr->tail_seq <= seq0)
			break;
		(void)append_meta_k(ring, 1 + i % 63);
	}
	ck_assert_uint_lt(i, 20000);
	(void)append_meta_k(ring, 100);
	/* What readers see, as they see it: the header's tail, the file. */
	ck_assert_uint_le(ring->hdr->tail_seq, seq0);
	ck_assert(ring_rec_at(ring, off0, seq0, 1, &rec));
	ck_assert_uint_eq(rec.hdr.seq, seq0);
	meta_k(&want, 0);
	mml_ring_meta_of(ring, &rec, &got);
	ck_assert_msg(got.len == want.len && memcmp(got.block, want.block,
	    want.len) == 0, "seq %llu, still in the ring for readers, lost "
	    "its metadata", (unsigned long long)seq0);
	ck_assert_int_eq(mml_ring_flush(ring), 0);
	(void)check_meta_walk(ring, NULL);
}
END_TEST

/*
 * A daemon that crashes more often than its ring goes round, with new
 * senders each time: the open after each crash finds which slots the
 * entries still name (ring_meta_recount()), so the slots of senders
 * whose entries are gone are reused and no entry goes inline; and the
 * metadata of every entry is still its own.
 */
START_TEST(test_meta_crash_loop)
{
	struct mml_metatab_stats st;
	uint64_t inl, round, i;

	ring_open_ok(CAP, 1);
	/* 64 slots; 8 new senders a round, a ring holds ~4 rounds. */
	for (round = 0; round < 40; round++) {
		for (i = 0; i < 240; i++)
			(void)append_meta_k(ring,
			    (unsigned)(round * 8 + i % 8));
		ring_crash(&ring);
		ring_open_ok(CAP, 1);
		ck_assert(ring->was_dirty);
		(void)check_meta_walk(ring, &inl);
		ck_assert_uint_eq(inl, 0);
	}
	mml_metatab_stats(ring->metatab, &st);
	ck_assert_uint_eq(st.full, 0);
	ck_assert_uint_gt(ring->hdr->wraps, 5);
}
END_TEST

/* The boot table: an entry before the first entry of each boot. */
START_TEST(test_boots)
{
	struct mml_boot b[MML_BOOT_MAX];
	uint64_t s1, s2;
	size_t n;

	(void)unsetenv("MMLOGD_TEST_BOOT_ID");
	ring_open_ok(CAP, 1);
	ck_assert_ptr_nonnull(ring->boots);
	ck_assert(ring->boot_pending);
	s1 = append_meta_k(ring, 1);
	ck_assert(!ring->boot_pending);
	(void)append_meta_k(ring, 2);
	n = mml_boots_sorted(ring->boots, ring->crc_seed, b, NULL);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(b[0].first_seq, s1);
	ck_assert(memcmp(b[0].boot_id, ring->boot_id, 16) == 0);
	ck_assert_uint_eq(b[0].first_realtime, T0 + s1);
	ck_assert_uint_eq(b[0].first_monotonic, M0 + s1);
	/* The same boot again: no new entry. */
	ring = mml_ring_close(ring);
	ring_open_ok(CAP, 1);
	ck_assert(!ring->boot_pending);
	(void)append_meta_k(ring, 3);
	ring = mml_ring_close(ring);

	/* Another boot (the test hook), a clean close before it. */
	ck_assert_int_eq(setenv("MMLOGD_TEST_BOOT_ID",
	    "0123456789abcdef0123456789abcdef", 1), 0);
	ring_open_ok(CAP, 1);
	ck_assert_uint_eq(ring->boot_id[0], 0x01);
	ck_assert_uint_eq(ring->boot_id[15], 0xef);
	ck_assert(ring->boot_pending);
	s2 = append_meta_k(ring, 4);
	n = mml_boots_sorted(ring->boots, ring->crc_seed, b, NULL);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(b[0].first_seq, s1);
	ck_assert_uint_eq(b[1].first_seq, s2);
	ck_assert_uint_eq(b[1].boot_id[0], 0x01);
	ck_assert_int_eq(mml_boots_find(b, n, s2 - 1), 0);
	ck_assert_int_eq(mml_boots_find(b, n, s2), 1);
	(void)unsetenv("MMLOGD_TEST_BOOT_ID");
}
END_TEST

/* More than 64 boots: the table goes round, the newest 64 are kept. */
START_TEST(test_boots_round)
{
	struct mml_boot b[MML_BOOT_MAX];
	char id[33];
	unsigned i;
	size_t n;

	for (i = 0; i < 70; i++) {
		(void)snprintf(id, sizeof(id), "%032x", i + 1);
		ck_assert_int_eq(setenv("MMLOGD_TEST_BOOT_ID", id, 1), 0);
		ring_open_ok(CAP, 1);
		(void)append_meta_k(ring, i);
		/* A boot with no entry leaves no trace. */
		if (i == 30) {
			ring = mml_ring_close(ring);
			(void)snprintf(id, sizeof(id), "%032x", 1000);
			ck_assert_int_eq(setenv("MMLOGD_TEST_BOOT_ID", id, 1),
			    0);
			ring_open_ok(CAP, 1);
		}
		ring = mml_ring_close(ring);
	}
	ring_open_ok(CAP, 1);
	n = mml_boots_sorted(ring->boots, ring->crc_seed, b, NULL);
	ck_assert_uint_eq(n, MML_BOOT_MAX);
	ck_assert_uint_eq(b[MML_BOOT_MAX - 1].boot_id[15], 70);
	ck_assert_uint_eq(b[0].boot_id[15], 70 - MML_BOOT_MAX + 1);
	for (i = 1; i < n; i++)
		ck_assert_uint_lt(b[i - 1].first_seq, b[i].first_seq);
	(void)unsetenv("MMLOGD_TEST_BOOT_ID");
}
END_TEST

/* The crash cases under every way of writing. */
START_TEST(test_write_crash)
{
	unsigned m = (unsigned)_i / (sizeof(crash_cases) /
	    sizeof(crash_cases[0]));

	test_wmethod = (int)wmethods[m].how;
	test_defer = wmethods[m].defer;
	crash_one(&crash_cases[(size_t)_i % (sizeof(crash_cases) /
	    sizeof(crash_cases[0]))]);
}
END_TEST

/*
 * The same appends, syncs and reopens leave the same file, byte for byte
 * (but the time of the last sync), whichever way the records are
 * written: the ways differ in how bytes reach the page cache, never in
 * which bytes.  The rings start as copies of one file, so that their
 * ids and CRC keys are the same.
 */
START_TEST(test_write_same_bytes)
{
	char p[N_WMETHODS][420];
	uint8_t *ref = NULL, *got;
	size_t ref_len = 0, len, i;
	struct walk w;
	unsigned m, k;
	int fd;

	ring_open_ok(CAP, 1);
	ring = mml_ring_close(ring);
	ref = slurp(path, &ref_len);
	for (m = 0; m < N_WMETHODS; m++) {
		(void)snprintf(p[m], sizeof(p[m]), "%s/ring.%u", tmpdir, m);
		fd = open(p[m], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, ref, ref_len), (ssize_t)ref_len);
		(void)close(fd);
	}
	free(ref);
	ref = NULL;
	for (m = 0; m < N_WMETHODS; m++) {
		memset(sent, 0, SENT_MAX * sizeof(*sent));
		ck_assert_int_eq(mml_ring_open(p[m], CAP, 1, CAP, &ring), 0);
		test_wmethod = (int)wmethods[m].how;
		test_defer = wmethods[m].defer;
		method_apply(ring);
		/* Laps of varied records, the layouts of the end, syncs. */
		for (k = 0; k < 1500; k++) {
			if (k % 300 == 299)
				(void)append_size(ring, CAP / 4);
			else if (k % 50 == 49)
				(void)append_size(ring,
				    CAP - ring->head_off - 56 > MML_REC_HDR &&
				    CAP - ring->head_off - 56 <= CAP / 4 ?
				    CAP - ring->head_off - 56 : 4096);
			else
				(void)append_varied(ring);
			if (k % 97 == 0)
				ring_sync(ring);
			if (k % 13 == 0)
				ck_assert_int_eq(mml_ring_flush(ring), 0);
		}
		ck_assert_int_eq(mml_ring_flush(ring), 0);
		check_suffix(ring, &w);
		ring = mml_ring_close(ring);
		/* And once more after a reopen. */
		ck_assert_int_eq(mml_ring_open(p[m], CAP, 1, CAP, &ring), 0);
		method_apply(ring);
		for (k = 0; k < 100; k++)
			(void)append_varied(ring);
		ring = mml_ring_close(ring);
		got = slurp(p[m], &len);
		/* The one field that is a time of day. */
		memset(got + HOFF(durable_usec), 0, 8);
		if (ref == NULL) {
			ref = got;
			ref_len = len;
			continue;
		}
		ck_assert_uint_eq(len, ref_len);
		for (i = 0; i < len && got[i] == ref[i]; i++)
			;
		ck_assert_msg(i == len, "%s: byte %zu differs from %s's",
		    wmethods[m].name, i, wmethods[0].name);
		free(got);
	}
	free(ref);
}
END_TEST

/*
 * Deferred pwrite: the records wait in memory, the header's head (all a
 * reader goes by) stays where the file's records end, until a flush; a
 * full stage, a sync job, a clear, a reader of this process and a
 * change of method flush first; a crash loses what waited, and only
 * that, and never leaves a torn record.
 */
START_TEST(test_write_deferred)
{
	struct mml_sync_job job;
	struct mml_disk_header h;
	struct walk w;
	uint64_t seq, removed, flushes;
	unsigned i;

	test_wmethod = MML_RING_WRITE_PWRITE;
	test_defer = 1;
	ring_open_ok(CAP, 1);
	/* (The first of a lap is written for the index slot naming it.) */
	(void)append_lens(ring, 5, 3, 100, 0);
	ck_assert_int_eq(mml_ring_flush(ring), 0);
	for (i = 0; i < 10; i++)
		(void)append_lens(ring, 5, 3, 100, 0);
	ck_assert_uint_eq(ring->next_seq, 12);
	read_header(&h);
	ck_assert_uint_eq(h.head_seq, 2);
	walk_file(path, &w);
	ck_assert_uint_eq(w.n, 1);
	ck_assert_int_eq(mml_ring_flush(ring), 0);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.n, 11);
	ck_assert_uint_eq(ring->stage_len, 0);

	/* A full stage goes to the file by itself, whole records only. */
	seq = ring->next_seq;
	while (ring->flushes < 3)
		(void)append_lens(ring, 5, 3, 1000, 0);
	read_header(&h);
	ck_assert_uint_gt(h.head_seq, seq);
	ck_assert_uint_lt(h.head_seq, ring->next_seq);
	walk_file(path, &w);
	ck_assert_uint_eq(w.last, h.head_seq - 1);

	/* A sync job covers what it flushed, all of it. */
	(void)append_varied(ring);
	mml_ring_sync_prepare(ring, &job);
	ck_assert_uint_eq(job.durable_seq, ring->next_seq - 1);
	ck_assert_uint_eq(job.durable_off, ring->head_off);
	ck_assert_uint_eq(ring->hdr->head_seq, ring->next_seq);
	mml_ring_sync_run(ring, &job);
	ck_assert_int_eq(job.result, 0);
	mml_ring_sync_done(ring, &job);

	/* A reader in this process (mml_ring_header()) sees every entry. */
	(void)append_varied(ring);
	ck_assert_uint_eq(mml_ring_header(ring)->head_seq, ring->next_seq);
	/* So does STATS. */
	(void)append_varied(ring);
	{
		struct mml_ring_state st;

		mml_ring_get_state(ring, &st);
		ck_assert_uint_eq(ring->hdr->head_seq, st.next_seq);
	}
	/* A clear empties what the header shows: the staged entries too. */
	(void)append_varied(ring);
	ck_assert_int_eq(mml_ring_clear(ring, &removed), 0);
	read_header(&h);
	ck_assert_uint_eq(h.tail_seq, h.head_seq);
	ck_assert_uint_eq(h.head_seq, ring->next_seq);
	/* Leaving pwrite flushes. */
	(void)append_varied(ring);
	ck_assert_int_eq(mml_ring_set_write(ring, MML_RING_WRITE_MAP), 0);
	ck_assert_uint_eq(ring->hdr->head_seq, ring->next_seq);
	ck_assert_int_eq(mml_ring_set_write(ring, MML_RING_WRITE_PWRITE), 0);

	/* A crash: what was flushed survives, what waited does not. */
	for (i = 0; i < 30; i++)
		(void)append_varied(ring);
	ck_assert_int_eq(mml_ring_flush(ring), 0);
	seq = ring->next_seq;
	for (i = 0; i < 5; i++)
		(void)append_varied(ring);
	ck_assert_uint_gt(ring->stage_len, 0);
	ring_crash(&ring);
	test_defer = 0;
	ring_open_ok(CAP, 1);
	ck_assert_uint_eq(ring->next_seq, seq);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.last, seq - 1);
	ring = mml_ring_close(ring);

	/*
	 * A crash in a full ring: the tail moves past what the staged
	 * records overwrite only when they are written, so the oldest
	 * entries they would have replaced are all still there.
	 */
	test_defer = 1;
	ring_open_ok(CAP, 1);
	while (ring->hdr->wraps < 2)
		(void)append_varied(ring);
	ck_assert_int_eq(mml_ring_flush(ring), 0);
	read_header(&h);
	flushes = ring->flushes;
	seq = ring->next_seq;
	for (i = 0; i < 5; i++)
		(void)append_lens(ring, 5, 3, 1000, 0);
	ck_assert_uint_eq(ring->flushes, flushes);
	ck_assert_uint_gt(ring->tail_seq, h.tail_seq);
	{
		struct mml_disk_header now;

		read_header(&now);
		ck_assert_uint_eq(now.tail_seq, h.tail_seq);
		ck_assert_uint_eq(now.tail_off, h.tail_off);
	}
	ring_crash(&ring);
	test_defer = 0;
	ring_open_ok(CAP, 1);
	ck_assert_uint_eq(ring->next_seq, seq);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.first, h.tail_seq);
	ck_assert_uint_eq(w.last, seq - 1);
	/* Written, the stage's records replace them, the tail first. */
	test_defer = 1;
	method_apply(ring);
	for (i = 0; i < 20; i++)
		(void)append_lens(ring, 5, 3, 1000, 0);
	ck_assert_int_eq(mml_ring_flush(ring), 0);
	read_header(&h);
	ck_assert_uint_eq(h.tail_seq, ring->tail_seq);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.first, ring->tail_seq);
	ck_assert_uint_eq(w.last, ring->next_seq - 1);
}
END_TEST

/*
 * pwrite() failing: the records are stored through the map instead.
 * Failing through the map as well (here the file cut short and its size
 * not given back, the ring's descriptor being read-only): they wait,
 * unseen by readers and covered by no sync (a job made meanwhile fails),
 * until a flush can write them; appends are refused once the stage is
 * full.  Nothing is lost, nothing is acknowledged that is not there.
 */
START_TEST(test_write_failing)
{
	struct mml_sync_job job;
	struct mml_disk_header h;
	struct walk w;
	uint64_t seq, head, durable, got;
	int rw, ro, fd, e;
	unsigned i, refused = 0;

	test_wmethod = MML_RING_WRITE_PWRITE;
	test_defer = 1;
	ring_open_ok(CAP, 1);
	for (i = 0; i < 20; i++)
		(void)append_varied(ring);
	ring_sync(ring);
	rw = ring->fd;
	ro = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(ro, 0);

	/* pwrite() fails (a read-only descriptor): the map takes them. */
	ring->fd = ro;
	for (i = 0; i < 5; i++)
		(void)append_varied(ring);
	ck_assert_int_eq(mml_ring_flush(ring), 0);
	ck_assert_uint_ge(ring->write_errors, 1);
	check_suffix(ring, &w);
	ck_assert_uint_eq(w.last, ring->next_seq - 1);

	/*
	 * Neither way: the file cut short after the head's page (nothing
	 * live lost), its size not given back.
	 */
	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(MML_DISK_HEADER_SIZE +
	    ((ring->head_off + 4095) & ~(uint64_t)4095))), 0);
	(void)close(fd);
	read_header(&h);
	head = h.head_seq;
	durable = ring->durable_seq;
	seq = ring->next_seq;
	for (i = 0; i < 5; i++)
		(void)append_lens(ring, 0, 0, 2000, 0);
	ck_assert_int_eq(mml_ring_flush(ring), -EIO);
	ck_assert_uint_gt(ring->stage_len, 0);
	ck_assert_uint_eq(ring->hdr->head_seq, head);
	mml_ring_sync_prepare(ring, &job);
	ck_assert_int_eq(job.unwritten, 1);
	mml_ring_sync_run(ring, &job);
	ck_assert_int_eq(job.result, -EIO);
	mml_ring_sync_done(ring, &job);
	ck_assert_uint_eq(ring->durable_seq, durable);
	/* Taken while they fit, refused after, none lost or renumbered. */
	for (i = 0; i < 200; i++) {
		e = append_try(ring, 0, 0, 1000, 0, &got);
		if (e == 0)
			continue;
		ck_assert_int_eq(e, -EIO);
		refused++;
	}
	ck_assert_uint_gt(refused, 0);
	ck_assert_uint_eq(ring->hdr->head_seq, head);
	ck_assert_int_eq(mml_ring_set_write(ring, MML_RING_WRITE_MAP), -EIO);

	/* The descriptor back: the size is restored, everything written. */
	ring->fd = rw;
	(void)close(ro);
	ck_assert_int_eq(mml_ring_flush(ring), 0);
	ring_sync(ring);
	ck_assert_uint_eq(ring->durable_seq, ring->next_seq - 1);
	walk_file(path, &w);
	ck_assert_uint_eq(w.head_seq, ring->next_seq);
	ck_assert_uint_eq(w.last, ring->next_seq - 1);
	ck_assert_uint_le(w.first, seq);
	ck_assert_uint_eq(w.gap, 0);
}
END_TEST

/*
 * The file cut short under the writer, the head's next record reaching
 * into the lost part: every way of writing notices (a SIGBUS, counted)
 * and gives the file its size back.  Through the map the entry is
 * dropped (the store faulted); pwrite() would have grown the file
 * again, so the lost part is probed through the map first, and then the
 * entry is written whole.  Nothing live was lost: the ring is whole.
 */
START_TEST(test_write_truncated)
{
	struct stat st;
	struct walk w;
	uint64_t seq, got = 0, pg = 4096;
	int e;

	test_wmethod = (int)wmethods[_i].how;
	test_defer = wmethods[_i].defer;
	ring_open_ok(CAP, 1);
	while (ring->head_off < 3 * pg + 100)
		(void)append_lens(ring, 0, 0, 300, 0);
	ck_assert_int_eq(mml_ring_flush(ring), 0);
	ring_sync(ring);
	ck_assert_int_eq(truncate(path, (off_t)(MML_DISK_HEADER_SIZE +
	    ((ring->head_off + pg - 1) & ~(pg - 1)))), 0);
	seq = ring->next_seq;
	e = append_try(ring, 0, 0, 5000, 0, &got);
	if (test_defer && e == 0)
		e = mml_ring_flush(ring);
	ck_assert_uint_ge(ring->bus_errors, 1);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, ring->map_len);
	if (wmethods[_i].how == MML_RING_WRITE_PWRITE) {
		ck_assert_int_eq(e, 0);
		ck_assert_uint_eq(got, seq);
	} else {
		ck_assert_int_eq(e, -EIO);
		ck_assert_uint_eq(ring->next_seq, seq);
	}
	/* Whatever was said, the ring goes on whole. */
	seq = ring->next_seq;
	(void)append_lens(ring, 0, 0, 300, 0);
	ck_assert_int_eq(mml_ring_flush(ring), 0);
	ring_sync(ring);
	walk_file(path, &w);
	ck_assert_uint_eq(w.gap, 0);
	ck_assert_uint_eq(w.first, 1);
	ck_assert_uint_eq(w.last, seq);
	ck_assert_uint_eq(w.head_seq, ring->next_seq);
}
END_TEST

Suite *
ring_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("ring");

	tc = tcase_create("create");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_create);
	tcase_add_test(tc, test_bad_size);
	suite_add_tcase(s, tc);

	tc = tcase_create("append_read");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_append_read);
	suite_add_tcase(s, tc);

	tc = tcase_create("wrap_many");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_wrap_many);
	suite_add_tcase(s, tc);

	tc = tcase_create("layout");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_layout, 0,
	    (int)(sizeof(layout_cases) / sizeof(layout_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("too_large");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_too_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("reopen");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_reopen);
	tcase_add_test(tc, test_reopen_implicit_size);
	tcase_add_test(tc, test_control);
	suite_add_tcase(s, tc);

	tc = tcase_create("refuse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_refuse, 0,
	    (int)(sizeof(refuse_cases) / sizeof(refuse_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("lock");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_lock);
	suite_add_tcase(s, tc);

	tc = tcase_create("sync");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sync);
	tcase_add_test(tc, test_seq_reserve);
	suite_add_tcase(s, tc);

	tc = tcase_create("crash");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_crash, 0,
	    (int)(sizeof(crash_cases) / sizeof(crash_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("torn");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_torn, 0,
	    (int)(sizeof(torn_cases) / sizeof(torn_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("power_loss");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_power_loss);
	suite_add_tcase(s, tc);

	tc = tcase_create("meta");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_meta_share);
	tcase_add_test(tc, test_meta_wraps);
	tcase_add_loop_test(tc, test_meta_hold_repair, 0, (int)N_WMETHODS);
	tcase_add_loop_test(tc, test_meta_hold_cut_table, 0,
	    2 * (int)N_WMETHODS);
	tcase_add_test(tc, test_meta_restart);
	tcase_add_test(tc, test_meta_tail_unpublished);
	tcase_add_test(tc, test_meta_crash_loop);
	tcase_add_test(tc, test_boots);
	tcase_add_test(tc, test_boots_round);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_write_crash, 0, (int)(N_WMETHODS *
	    (sizeof(crash_cases) / sizeof(crash_cases[0]))));
	tcase_add_test(tc, test_write_same_bytes);
	tcase_add_test(tc, test_write_deferred);
	tcase_add_test(tc, test_write_failing);
	tcase_add_loop_test(tc, test_write_truncated, 0, (int)N_WMETHODS);
	suite_add_tcase(s, tc);

	tc = tcase_create("index");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_index);
	tcase_add_test(tc, test_index_deferred);
	tcase_add_test(tc, test_index_failing);
	tcase_add_test(tc, test_index_damage);
	tcase_add_test(tc, test_index_upgrade);
	tcase_add_test(tc, test_mixed_cursor);
	tcase_add_loop_test(tc, test_mixed_cursor_old_off, 0, 2);
	tcase_add_test(tc, test_tail_past_head);
	suite_add_tcase(s, tc);

	return s;
}
