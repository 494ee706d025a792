/*
 * fuzz_ring.c: a ring file's bytes, read by mmlogctl's reader
 * (client/ringread/read.c) and recovered by the daemon (daemon/ring.c).
 *
 * Input: one mode byte, the 256-byte ring header, then the data region
 * (the header page's other 3840 bytes are zeros; a short input is
 * padded with zeros).  The file is written to a memfd and opened by
 * path (/proc/self/fd/N), as both programs open a ring.  The mode:
 *
 *   0x01  store the header's static CRC (else the input's is kept)
 *   0x02  store this boot's id in the header (recovery of the same boot)
 *   0x04  the file ends with the input (else it is padded with zeros to
 *         the header's capacity, if that is at most CAP_LIMIT)
 *   0x08  store the CRC of every record met walking the data region
 *   0x30  capacity: as in the header, 64 KiB, 128 KiB or 256 KiB
 *   0xc0  entries the daemon appends after recovery: 0, 3, 40 or 400
 *
 * so that the fuzzer can get past the checksums and reach the logic
 * behind them.  Seeds are real rings (mkseeds.c) in this format.
 *
 * A header with MML_COMPAT_BOOTS takes its boot table from the input
 * too: when the input holds more than the capacity's bytes of data, the
 * next 3072 bytes are the header page's bytes 1024..4096 (the boot
 * table), and what follows them the rest of the file (the seek index,
 * then the metadata table), as the data region's overflow is for any
 * other header.
 *
 * A header with MML_INCOMPAT_KEYED and a key of zeros is keyed by the
 * harness, as mmlogd creates a ring: the key is a hash of the whole
 * input, so the fuzzer cannot learn a CRC it computes and put it in a
 * forged record (that is reading the file, which a client cannot); its
 * CRC is stored with mode 0x01.  The records mode 0x08 stores CRCs for
 * are the writer's; anything else in the data region is a client's
 * bytes (a forgery inside a payload, or damage).
 *
 * What must hold:
 *   1. The reader: a walk from the tail, in each mode, ends (within a
 *      bound that only an endless walk exceeds), gives entries in
 *      increasing seq order, each of which checks; seeks to the newest n
 *      or to a seq land on a record at or below the key; the file is
 *      not "replaced".  The walker under it (proto/walk.c), on its own:
 *      its steps and resyncs from the tail end, take records that check
 *      with seqs that only grow, and the chain proof of what a scan
 *      finds ends on a record that checks.
 *   2. The daemon opens what the reader opens (unless a compatible flag
 *      it would not maintain is set) and refuses what the reader
 *      refuses; once open, its header checks, the chain from its tail
 *      never runs past its head's numbering, and every append works;
 *      after them, its entries lie one after the other from where
 *      recovery left the head, and its tail is before them or exactly
 *      at one of them.
 *   3. After the daemon closed it, the reader sees every entry the
 *      daemon appended and has not evicted since, in order, the newest
 *      last.
 *   4. On a ring the harness keyed, no reader (the iterator in CHECK and
 *      COPY modes, its seeks, the walker's steps and resyncs) ever
 *      yields a record the writer did not write.
 *   5. Metadata and boots: a reader resolves an entry's slot to a well
 *      formed fields block of a slot's room, or says none or stale; its
 *      boot is one of the table's, which are sorted.  The daemon opens
 *      whatever table the file has, and the entries it appends (with 7
 *      senders' metadata in turn, and every 10th a new sender's, so that
 *      slots fill up, entries go inline and slots are reused) show,
 *      after it closed the ring, their own metadata, in a slot or
 *      inline, and this boot.
 */
#include <errno.h>
#include <syslog.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "ringread.h"
#include "walk.h"
#include "../../daemon/log.h"
#include "../../daemon/meta.h"
#include "../../daemon/ring_internal.h"

#define CAP_LIMIT	((uint64_t)512 * 1024)
/* The boot table: header page bytes 1024..4096. */
#define BOOTS_BYTES	((uint64_t)MML_BOOT_MAX * sizeof(struct mml_boot))
#define MAX_ENTRY	4096

/* FUZZ_TRACE=1 in the environment: every step of every walk on stderr. */
static int trace;

static const unsigned appends_by_mode[4] = { 0, 3, 40, 400 };

/* The appended entries' metadata: sender k's fields, k in the message. */
static void
sender_meta(struct mml_meta *m, unsigned k)
{
	char v[48];
	size_t len = 0;
	int n;

	n = snprintf(v, sizeof(v), "/usr/bin/fuzz%u", k);
	(void)mml_fields_put(m->block, sizeof(m->block), &len, "_EXE", 4, v,
	    (size_t)n);
	n = snprintf(v, sizeof(v), "f%u.service", k % 11);
	(void)mml_fields_put(m->block, sizeof(m->block), &len, "_SYSTEMD_UNIT",
	    13, v, (size_t)n);
	m->len = (uint32_t)len;
	m->hash = mml_crc32c(0, m->block, len);
}

/*
 * Invariant 5 for one entry a reader showed: its metadata, if it names
 * a slot, resolves to a well formed block or is stale; its boot, if the
 * ring has a table, is in it.  With check_k, the entry is one the
 * daemon appended: its sender's fields must be the ones shown, in the
 * slot or inline, and its boot this one.
 */
static void
check_entry_meta(struct mml_rd_ring *r, const struct mml_rec *rec,
    int check_k)
{
	static const uint8_t zero_id[16];
	struct mml_meta want;
	const uint8_t *b, *item;
	uint8_t boot[16];
	size_t len = 0, off = 0, il, kl, j;
	unsigned k;
	char msg[24];
	int m, i;

	m = mml_rd_meta(r, rec, &b, &len);
	FUZZ_CHECK(m == 0 || m == 1 || m == -ESTALE);
	FUZZ_CHECK(m == 0 || (rec->hdr.flags & MML_REC_F_META));
	if (m == 1) {
		FUZZ_CHECK(len <= MML_META_SLOT_ROOM);
		while ((i = mml_fields_next(b, len, &off, &item, &il, &kl)) > 0)
			;
		FUZZ_CHECK(i == 0);
	}
	i = mml_rd_boot_of(r, rec->hdr.seq);
	FUZZ_CHECK(i >= -1 && i < (int)r->n_boots);
	for (j = 1; j < r->n_boots; j++)
		FUZZ_CHECK(r->boots[j - 1].first_seq < r->boots[j].first_seq);
	if (!check_k || rec->hdr.msg_len < 8 || rec->hdr.msg_len >= sizeof(msg) ||
	    memcmp(rec->msg, "sender ", 7) != 0 || rec->hdr.tag_len != 4 ||
	    memcmp(rec->tag, "fuzz", 4) != 0)
		return;
	memcpy(msg, rec->msg, rec->hdr.msg_len);
	msg[rec->hdr.msg_len] = '\0';
	FUZZ_CHECK(sscanf(msg + 7, "%u", &k) == 1);
	sender_meta(&want, k);
	if (rec->hdr.flags & MML_REC_F_META) {
		FUZZ_CHECK(m == 1 && len == want.len &&
		    memcmp(b, want.block, len) == 0);
	} else {
		FUZZ_CHECK(rec->hdr.fields_len == want.len &&
		    memcmp(rec->fields, want.block, want.len) == 0);
	}
	mml_boot_id(boot);
	if (r->has_boots && memcmp(boot, zero_id, 16) != 0) {
		FUZZ_CHECK(i >= 0);
		FUZZ_CHECK(memcmp(r->boots[i].boot_id, boot, 16) == 0);
	}
}

static uint64_t walk_meta(struct mml_rd_iter *, uint64_t, uint64_t,
    uint64_t *, int);

/* Invariant 4: the harness keyed the ring; the writer's record starts. */
static int harness_keyed;
static uint8_t writer_recs[CAP_LIMIT / MML_DISK_ALIGN / 8];

static int
by_writer(uint64_t off)
{
	uint64_t i = off / MML_DISK_ALIGN;

	return i / 8 < sizeof(writer_recs) &&
	    (writer_recs[i / 8] & (1U << (i % 8))) != 0;
}
static const uint64_t cap_by_mode[4] = { 0, 64 * 1024, 128 * 1024,
    256 * 1024 };

/*
 * Stores the CRC of each record found walking the data region, seeded
 * with seed, and marks it the writer's.
 */
static void
fix_records(uint8_t *data, uint64_t cap, uint64_t len, uint32_t seed)
{
	struct mml_rec_hdr h;
	uint64_t off = 0, end = len < cap ? len : cap;
	uint32_t crc;

	while (off + MML_REC_HDR <= end) {
		memcpy(&h, data + off, sizeof(h));
		if ((h.type == MML_REC_ENTRY || h.type == MML_REC_WRAP) &&
		    h.len >= MML_REC_HDR && h.len <= end - off) {
			crc = mml_crc32c(seed, data + off + 4, h.len - 4);
			memcpy(data + off, &crc, 4);
			if (off / MML_DISK_ALIGN / 8 < sizeof(writer_recs))
				writer_recs[off / MML_DISK_ALIGN / 8] |=
				    (uint8_t)(1U << (off / MML_DISK_ALIGN % 8));
			off += (h.len + MML_DISK_ALIGN - 1) &
			    ~(uint64_t)(MML_DISK_ALIGN - 1);
		} else
			off += MML_DISK_ALIGN;
	}
}

/*
 * The key of a ring the harness keys: FNV-1a of the whole input, twice
 * (64 bits each, other offsets), so that changing any byte, a forged
 * CRC included, changes the key.
 */
static void
harness_key(const uint8_t *p, size_t len, uint8_t key[16])
{
	uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		a = (a ^ p[i]) * 0x100000001b3ULL;
		b = (b ^ p[i] ^ 0x5a) * 0x100000001b3ULL;
	}
	memcpy(key, &a, 8);
	memcpy(key + 8, &b, 8);
}

/* How many of [lo, hi) lie in [a, a + n). */
static uint64_t
overlap(uint64_t a, uint64_t n, uint64_t lo, uint64_t hi)
{
	uint64_t b = n > UINT64_MAX - a ? UINT64_MAX : a + n;

	if (a < lo)
		a = lo;
	if (b > hi)
		b = hi;
	return b > a ? b - a : 0;
}

/*
 * Walks from wherever the iterator is to the end.  Returns the seq of
 * the newest entry seen (0 if none); counts in *ret_n the seqs of
 * [lo, hi) that it showed or reported as a gap (lost, damaged or
 * skipped).
 */
static uint64_t
walk(struct mml_rd_iter *it, uint64_t lo, uint64_t hi, uint64_t *ret_n)
{
	return walk_meta(it, lo, hi, ret_n, 0);
}

/* walk(), checking metadata and boots too (check_entry_meta()). */
static uint64_t
walk_meta(struct mml_rd_iter *it, uint64_t lo, uint64_t hi, uint64_t *ret_n,
    int check_k)
{
	struct mml_rec rec, again;
	uint64_t steps, max_steps, last = 0, n = 0;
	int step;

	/* Every step takes a record or skips bytes: a ring's worth ends it. */
	max_steps = 2 * (it->ring->capacity / MML_DISK_ALIGN) + 16;
	for (steps = 0;; steps++) {
		FUZZ_CHECK(steps < max_steps);
		step = mml_rd_iter_next(it, &rec);
		FUZZ_CHECK(step >= 0);
		if (trace)
			fprintf(stderr, "  step %d: off %llu seq %llu, gap %llu+%llu "
			    "at %llu, entry seq %llu at %llu\n", step,
			    (unsigned long long)it->off,
			    (unsigned long long)it->seq,
			    (unsigned long long)it->gap_seq,
			    (unsigned long long)it->gap,
			    (unsigned long long)it->gap_off,
			    step == MML_RD_ENTRY ? (unsigned long long)rec.hdr.seq : 0ULL,
			    step == MML_RD_ENTRY ? (unsigned long long)rec.off : 0ULL);
		if (step == MML_RD_END)
			break;
		if (step == MML_RD_LOST || step == MML_RD_CORRUPT ||
		    step == MML_RD_JUMP)
			n += overlap(it->gap_seq, it->gap, lo, hi);
		if (step != MML_RD_ENTRY)
			continue;
		FUZZ_CHECK(rec.hdr.type == MML_REC_ENTRY);
		FUZZ_CHECK(rec.hdr.seq > last);
		/* Quick walks check no CRC, and are never shown. */
		FUZZ_CHECK(!harness_keyed || it->mode == MML_RD_QUICK ||
		    by_writer(rec.off));
		FUZZ_CHECK(rec.off < it->ring->capacity);
		FUZZ_CHECK(mml_disk_rec_check(it->ring->data,
		    it->ring->capacity, rec.off, rec.hdr.seq, 0, it->ring->crc_seed,
		    &again,
		    NULL) == 0);
		if (it->mode != MML_RD_QUICK)
			check_entry_meta(it->ring, &rec, check_k &&
			    rec.hdr.seq >= lo && rec.hdr.seq < hi);
		last = rec.hdr.seq;
		n += overlap(last, 1, lo, hi);
	}
	if (ret_n != NULL)
		*ret_n = n;
	return last;
}

/*
 * The walker itself, from the header's tail, as the readers use it:
 * mml_walk_next() and, where the chain breaks below head_seq,
 * mml_walk_resync() (a few times: each may scan the ring once); then
 * recovery's mml_walk_follow() and a few scans put to mml_walk_confirm().
 */
static void
walk_direct(const struct mml_rd_ring *r, const struct mml_disk_header *h)
{
	struct mml_walk w;
	struct mml_walk_pos pos = { h->tail_off, h->tail_seq }, was, end;
	struct mml_walk_found f;
	struct mml_walk_scan sc;
	struct mml_rec rec, far, again;
	enum mml_walk_step k;
	enum mml_walk_resync rs;
	uint64_t steps, max_steps, starts, last = 0;
	int resyncs = 0, i;

	mml_walk_init(&w, r->data, r->capacity, h->head_seq,
	    MML_WALK_NOWHERE, r->crc_seed);
	starts = mml_walk_span(r->capacity, 0, 0);
	max_steps = 2 * starts + 16;
	for (steps = 0;; steps++) {
		FUZZ_CHECK(steps < max_steps);
		was = pos;
		k = mml_walk_next(&w, &pos, &rec);
		if (k != MML_WALK_BREAK) {
			FUZZ_CHECK(mml_walk_check(&w, rec.off, rec.hdr.seq, 1,
			    &again, NULL) == 0);
			FUZZ_CHECK(k == MML_WALK_NEXT ? rec.hdr.seq == was.seq :
			    rec.hdr.seq > was.seq);
			FUZZ_CHECK(!harness_keyed || by_writer(rec.off));
			if (rec.hdr.type == MML_REC_ENTRY) {
				FUZZ_CHECK(last == 0 || rec.hdr.seq > last);
				last = rec.hdr.seq;
			}
			continue;
		}
		if (pos.seq >= w.seq_end || resyncs++ >= 8)
			break;
		rs = mml_walk_resync(&w, &pos, &f);
		if (rs == MML_WALK_RS_NONE)
			break;
		FUZZ_CHECK(f.at.seq == pos.seq + f.lost);
		FUZZ_CHECK(f.at.seq + f.jump <= w.seq_end);
		FUZZ_CHECK(rs == MML_WALK_RS_DAMAGE || (f.lost == 0 &&
		    f.jump > 0 && f.at.off == pos.off));
		/* Where a resync goes on, a record that checks is the writer's. */
		FUZZ_CHECK(!harness_keyed || mml_walk_check(&w, f.at.off, 0, 1,
		    &again, NULL) < 0 || by_writer(f.at.off));
		pos = f.at;
	}
	pos.off = h->tail_off;
	pos.seq = h->tail_seq;
	FUZZ_CHECK(mml_walk_follow(&w, &pos) <= starts);
	mml_walk_scan_init(&sc, &w, h->tail_off, h->tail_seq, h->head_seq);
	for (i = 0; i < 4 && mml_walk_scan(&w, &sc, &rec); i++) {
		FUZZ_CHECK(rec.hdr.seq >= h->tail_seq &&
		    rec.hdr.seq < h->head_seq);
		if (mml_walk_confirm(&w, &rec, MML_WALK_REACH, &end, &far) !=
		    MML_WALK_PROVEN)
			continue;
		FUZZ_CHECK(far.hdr.type == MML_REC_ENTRY);
		FUZZ_CHECK(far.hdr.seq > rec.hdr.seq);
		FUZZ_CHECK(mml_walk_check(&w, far.off, far.hdr.seq, 1, &again,
		    NULL) == 0);
		FUZZ_CHECK(!harness_keyed || (by_writer(rec.off) &&
		    by_writer(far.off)));
	}
}

static void
read_ring(struct mml_rd_ring *r)
{
	static const enum mml_rd_mode modes[] = { MML_RD_QUICK,
	    MML_RD_CHECK, MML_RD_COPY };
	static const uint64_t lasts[] = { 0, 1, 10, 1000 };
	struct mml_disk_header h;
	struct mml_rd_iter it;
	struct mml_rec rec;
	uint64_t key;
	size_t i;

	mml_rd_ring_header(r, &h);
	FUZZ_CHECK(mml_rd_ring_replaced(r) == 0);
	walk_direct(r, &h);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		mml_rd_iter_init(&it, r, modes[i]);
		it.report_wraps = i == 1;
		mml_rd_iter_tail(&it);
		(void)walk(&it, 0, 0, NULL);
		mml_rd_iter_done(&it);
	}
	for (i = 0; i < sizeof(lasts) / sizeof(lasts[0]); i++) {
		mml_rd_iter_init(&it, r, MML_RD_CHECK);
		(void)mml_rd_iter_seek_last(&it, lasts[i]);
		(void)walk(&it, 0, 0, NULL);
		mml_rd_iter_done(&it);
	}
	key = h.tail_seq / 2 + h.head_seq / 2;
	mml_rd_iter_init(&it, r, MML_RD_CHECK);
	if (mml_rd_iter_seek_key(&it, 0, key) == 1) {
		FUZZ_CHECK(it.seq <= key);
		FUZZ_CHECK(mml_disk_rec_check(r->data, r->capacity, it.off,
		    it.seq, 1, r->crc_seed, &rec, NULL) == 0);
		FUZZ_CHECK(!harness_keyed || by_writer(it.off));
	}
	(void)walk(&it, 0, 0, NULL);
	mml_rd_iter_done(&it);
	mml_rd_iter_init(&it, r, MML_RD_COPY);
	(void)mml_rd_iter_seek_key(&it, 1, h.durable_usec);
	(void)walk(&it, 0, 0, NULL);
	(void)mml_rd_iter_read_at(&it, h.durable_off, h.durable_seq, &rec);
	(void)mml_rd_iter_read_at(&it, h.head_off, h.head_seq, &rec);
	mml_rd_iter_done(&it);
}

/*
 * Whether the data region holds a whole record (CRC and all) numbered
 * at or above next_seq, which the writer never assigned: a forgery, as a
 * client can plant in its message, or a copy from elsewhere.
 */
static int
has_foreign(const struct mml_ring *r)
{
	struct mml_rec rec;
	uint64_t off;

	for (off = 0; off + MML_REC_HDR <= r->cap; off += MML_DISK_ALIGN)
		if (mml_disk_rec_check(r->data, r->cap, off, 0, 1, r->crc_seed, &rec,
		    NULL) == 0 && rec.hdr.seq >= r->next_seq)
			return 1;
	return 0;
}

/*
 * Recovery's tail leads to its head: following the chain from the tail
 * (each record the next seq, a WRAP to 0), within a ring's worth of
 * bytes, never meets a record numbered next_seq or above (but the WRAP
 * before a head at 0), which would be another chain's that readers from
 * the tail would show in place of what the daemon appends.  (A chain
 * broken by damage is allowed.)
 */
static void
check_tail_chain(const struct mml_ring *r)
{
	struct mml_rec rec;
	uint64_t off = r->tail_off, seq = r->tail_seq, bytes = 0;

	while (bytes <= r->cap && !(off == r->head_off && seq == r->next_seq)) {
		if (mml_disk_rec_check(r->data, r->cap, off, 0, 1, r->crc_seed, &rec,
		    NULL) < 0 || rec.hdr.seq != seq)
			return;
		bytes += rec.size;
		if (rec.hdr.type == MML_REC_WRAP) {
			if (off == 0)
				return;
			/*
			 * A WRAP carries the seq of the entry at 0 after it:
			 * next_seq itself when the daemon stopped between the
			 * two, with the head at 0.
			 */
			FUZZ_CHECK(rec.hdr.seq < r->next_seq ||
			    (rec.hdr.seq == r->next_seq && r->head_off == 0));
			off = 0;
			continue;
		}
		FUZZ_CHECK(rec.hdr.seq < r->next_seq);
		off = mml_disk_next_off(r->cap, off, rec.size);
		seq++;
	}
}

/*
 * After appends: the entries numbered since the open that the tail has
 * not passed lie one after the other up to the head, from where
 * recovery left the head, or from the tail once it reached them; and
 * the tail is never inside one of them.
 */
static void
check_own_entries(const struct mml_ring *r, uint64_t start_off,
    uint64_t start_seq)
{
	struct mml_rec rec;
	uint64_t off = start_off, seq = start_seq;

	if (r->tail_seq > start_seq) {
		off = r->tail_off;
		seq = r->tail_seq;
	}
	while (seq < r->next_seq) {
		FUZZ_CHECK(mml_disk_rec_check(r->data, r->cap, off, 0, 1, r->crc_seed, &rec,
		    NULL) == 0);
		if (rec.hdr.type == MML_REC_WRAP) {
			FUZZ_CHECK(off != 0);
			off = 0;
			continue;
		}
		FUZZ_CHECK(rec.hdr.seq == seq);
		FUZZ_CHECK(r->tail_off <= off || r->tail_off >= off + rec.size);
		off = mml_disk_next_off(r->cap, off, rec.size);
		seq++;
	}
	FUZZ_CHECK(off == r->head_off);
}

/* Appends n entries of assorted sizes; all must be accepted. */
static void
append_entries(struct mml_ring *r, unsigned n)
{
	static uint8_t msg[2048];
	struct mml_rec_hdr h;
	struct mml_meta m;
	uint64_t seq, before;
	unsigned i, k;
	int n_msg;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)('a' + i % 26);
	for (i = 0; i < n; i++) {
		memset(&h, 0, sizeof(h));
		h.priority = (uint8_t)(i % 8);
		h.comm_len = 4;
		h.tag_len = 4;
		h.msg_len = (i * 7919u) % sizeof(msg);
		h.realtime_usec = 1700000000000000ULL + i;
		h.monotonic_usec = i;
		h.pid = 1;
		before = r->next_seq;
		/* Every other entry a sender's, with its metadata. */
		if (i % 2 == 1) {
			k = i % 10 == 1 ? 100 + i : i % 7;
			sender_meta(&m, k);
			n_msg = snprintf((char *)msg, sizeof(msg), "sender %u",
			    k);
			h.msg_len = (uint32_t)n_msg;
			FUZZ_CHECK(mml_ring_append_meta(r, &h, "fuzz", "fuzz",
			    msg, NULL, &m, &seq) == 0);
			memset(msg, 'a', 16);
		} else
			FUZZ_CHECK(mml_ring_append(r, &h, "fuzz", "fuzz", msg,
			    NULL, &seq) == 0);
		FUZZ_CHECK(seq == before && r->next_seq == before + 1);
		if (trace)
			fprintf(stderr, "appended %llu: head %llu tail %llu/%llu\n",
			    (unsigned long long)seq,
			    (unsigned long long)r->head_off,
			    (unsigned long long)r->tail_off,
			    (unsigned long long)r->tail_seq);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mml_disk_header h;
	struct mml_rd_ring *cr = NULL;
	struct mml_rd_iter it;
	struct mml_ring *r = NULL;
	enum mml_disk_reason why;
	uint8_t mode = size > 0 ? data[0] : 0, *file;
	const uint8_t *in = size > 0 ? data + 1 : data;
	size_t in_len = size > 0 ? size - 1 : 0, data_len;
	uint64_t cap, file_len, first_new = 0, next = 0, n_new, last;
	uint64_t start_off = 0, boots_len;
	unsigned appends = appends_by_mode[mode >> 6];
	char path[64];
	int fd, ctl_rc, d_rc, foreign = 0;

	trace = getenv("FUZZ_TRACE") != NULL;
	mml_log_level = trace ? LOG_DEBUG : -1;
	memset(&h, 0, sizeof(h));
	memcpy(&h, in, in_len < sizeof(h) ? in_len : sizeof(h));
	memset(writer_recs, 0, sizeof(writer_recs));
	harness_keyed = (h.incompat_flags & MML_INCOMPAT_KEYED) &&
	    memcmp(h.crc_key, writer_recs, sizeof(h.crc_key)) == 0;
	if (harness_keyed) {
		harness_key(in, in_len, h.crc_key);
		if (mode & 0x01)
			h.key_crc = mml_crc32c(0, h.crc_key, sizeof(h.crc_key));
	}
	data_len = in_len > sizeof(h) ? in_len - sizeof(h) : 0;
	if ((mode >> 4 & 3) != 0)
		h.capacity = cap_by_mode[mode >> 4 & 3];
	if (mode & 0x02)
		mml_boot_id(h.boot_id);
	if (mode & 0x01)
		h.static_crc = mml_crc32c(0, &h,
		    offsetof(struct mml_disk_header, static_crc));
	cap = h.capacity;
	/* A boot table in the input, after the data region's bytes. */
	boots_len = 0;
	if ((h.compat_flags & MML_COMPAT_BOOTS) && data_len > cap) {
		boots_len = data_len - cap;
		if (boots_len > BOOTS_BYTES)
			boots_len = BOOTS_BYTES;
	}
	file_len = MML_DISK_HEADER_SIZE + data_len - boots_len;
	if (!(mode & 0x04) && cap <= CAP_LIMIT && data_len < cap)
		file_len = MML_DISK_HEADER_SIZE + cap;
	file = calloc(1, file_len);
	FUZZ_CHECK(file != NULL);
	memcpy(file, &h, sizeof(h));
	if (data_len > 0 && boots_len == 0)
		memcpy(file + MML_DISK_HEADER_SIZE, in + sizeof(h), data_len);
	else if (data_len > 0) {
		memcpy(file + MML_DISK_HEADER_SIZE, in + sizeof(h), cap);
		memcpy(file + MML_BOOT_TABLE_OFF, in + sizeof(h) + cap,
		    boots_len);
		memcpy(file + MML_DISK_HEADER_SIZE + cap,
		    in + sizeof(h) + cap + boots_len,
		    data_len - cap - boots_len);
	}
	if (mode & 0x08)
		fix_records(file + MML_DISK_HEADER_SIZE, cap, data_len,
		    mml_disk_crc_seed(&h));
	fd = fuzz_memfd(file, file_len, file_len, path);
	free(file);

	/* 1. The reader, on the file as given. */
	ctl_rc = mml_rd_ring_open(path, &cr, &why);
	FUZZ_CHECK(ctl_rc == 0 || why != MML_DISK_OK);
	if (ctl_rc == 0)
		read_ring(cr);
	cr = mml_rd_ring_free(cr);

	/* 2. The daemon's recovery, then appends over what it found. */
	d_rc = mml_ring_open(path, MML_DISK_CAP_MIN, 0,
	    4 * mml_disk_rec_size(MML_COMM_MAX, 0, MAX_ENTRY, 0), &r);
	if (ctl_rc < 0)
		FUZZ_CHECK(d_rc < 0);
	else
		FUZZ_CHECK(d_rc == 0 || (h.compat_flags & ~MML_COMPAT_KNOWN));
	if (d_rc == 0) {
		FUZZ_CHECK(mml_disk_header_check(r->map, r->map_len,
		    NULL) == 0);
		first_new = r->next_seq;
		foreign = has_foreign(r);
		check_tail_chain(r);
		start_off = r->head_off;
		if (trace)
			fprintf(stderr, "recovered: tail %llu/%llu head %llu/%llu\n",
			    (unsigned long long)r->tail_off,
			    (unsigned long long)r->tail_seq,
			    (unsigned long long)r->head_off,
			    (unsigned long long)r->next_seq);
		append_entries(r, appends);
		next = r->next_seq;
		check_own_entries(r, start_off, first_new);
		/* Appends may have evicted the first of their own entries. */
		if (r->tail_seq > first_new)
			first_new = r->tail_seq;
		FUZZ_CHECK(mml_disk_header_check(r->map, r->map_len,
		    NULL) == 0);
		r = mml_ring_close(r);

		/* 3. What the daemon wrote, as a reader sees it. */
		harness_keyed = 0;	/* the daemon's records are not marked */
		if (trace)
			fprintf(stderr, "appended seqs %llu..%llu\n",
			    (unsigned long long)first_new,
			    (unsigned long long)(next - 1));
		FUZZ_CHECK(mml_rd_ring_open(path, &cr, &why) == 0);
		mml_rd_iter_init(&it, cr, MML_RD_CHECK);
		mml_rd_iter_tail(&it);
		last = walk_meta(&it, first_new, next, &n_new, 1);
		mml_rd_iter_done(&it);
		cr = mml_rd_ring_free(cr);
		if (appends > 0 && !foreign) {
			FUZZ_CHECK(last == next - 1);
			FUZZ_CHECK(n_new == next - first_new);
		}
	}
	(void)close(fd);
	return 0;
}
