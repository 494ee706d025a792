/*
 * walk.c: the one walk of a ring's record chain (walk.h, and
 * proto/FORMAT.md, "Reading" and "Recovery").
 *
 * Every function reads the region through mml_disk_rec_check(), which
 * copies a header before judging it, so a writer changing the bytes
 * underneath can make a record fail, never make it read out of bounds.
 */
#include <errno.h>
#include <string.h>

#include "walk.h"

static uint64_t jump_of(const struct mml_walk *, const struct mml_rec *);
static int resync_adopt(const struct mml_walk *, const struct mml_rec *);

int
mml_walk_check(const struct mml_walk *w, uint64_t off, uint64_t seq,
    int verify_crc, struct mml_rec *ret, enum mml_disk_reason *ret_reason)
{
	struct mml_rec rec;
	int r;

	r = mml_disk_rec_check(w->data, w->cap, off, seq, verify_crc, w->seed,
	    &rec, ret_reason);
	if (r < 0)
		return r;
	if (rec.hdr.len > MML_WALK_REACH) {
		if (ret_reason != NULL)
			*ret_reason = MML_DISK_E_REC_LEN;
		return -EBADMSG;
	}
	*ret = rec;
	return 0;
}

int
mml_walk_gap_note(const struct mml_rec *rec, uint64_t *ret_n)
{
	static const char key[] = "MMLOG_SEQ_GAP";
	const uint8_t *item;
	size_t off = 0, len, klen, i;
	uint64_t n = 0, d;

	if (rec->hdr.type != MML_REC_ENTRY ||
	    !(rec->hdr.flags & MML_REC_F_DAEMON) || rec->hdr.tag_len != 6 ||
	    memcmp(rec->tag, "mmlogd", 6) != 0)
		return 0;
	while (mml_fields_next(rec->fields, rec->hdr.fields_len, &off, &item,
	    &len, &klen) > 0) {
		if (klen != sizeof(key) - 1 || memcmp(item, key, klen) != 0)
			continue;
		/* As "%llu" prints it: 1 to 20 digits, the first not 0. */
		if (len - klen < 2 || len - klen > 21 || item[klen + 1] == '0')
			return 0;
		for (i = klen + 1; i < len; i++) {
			if (item[i] < '0' || item[i] > '9')
				return 0;
			d = (uint64_t)(item[i] - '0');
			if (n > (UINT64_MAX - d) / 10)
				return 0;
			n = n * 10 + d;
		}
		*ret_n = n;
		return 1;
	}
	return 0;
}

/*
 * The jump the checked record rec announces: N if it is the writer's
 * note, or a WRAP (not at 0) carrying the seq of the note at 0; else 0.
 * The writer writes such a WRAP when the note does not fit before the
 * end of the region, and a WRAP carries the seq of what follows it.
 */
static uint64_t
jump_of(const struct mml_walk *w, const struct mml_rec *rec)
{
	struct mml_rec note;
	uint64_t n;

	if (rec->hdr.type == MML_REC_WRAP) {
		if (rec->off == 0 || mml_walk_check(w, 0, rec->hdr.seq, 1,
		    &note, NULL) < 0)
			return 0;
		rec = &note;
	}
	return mml_walk_gap_note(rec, &n) ? n : 0;
}

enum mml_walk_step
mml_walk_follows(const struct mml_walk *w, const struct mml_walk_pos *pos,
    const struct mml_rec *rec)
{
	uint64_t s = rec->hdr.seq;

	if (rec->hdr.type == MML_REC_WRAP && rec->off == 0)
		return MML_WALK_BREAK;
	if (s == pos->seq)
		return MML_WALK_NEXT;
	if (s > pos->seq && s < w->seq_end && jump_of(w, rec) == s - pos->seq)
		return MML_WALK_JUMP;
	return MML_WALK_BREAK;
}

enum mml_walk_step
mml_walk_next(const struct mml_walk *w, struct mml_walk_pos *pos,
    struct mml_rec *ret)
{
	struct mml_rec rec;
	enum mml_walk_step k;

	if (mml_walk_check(w, pos->off, 0, 1, &rec, NULL) < 0)
		return MML_WALK_BREAK;
	k = mml_walk_follows(w, pos, &rec);
	if (k == MML_WALK_BREAK)
		return k;
	mml_walk_advance(w, pos, &rec);
	*ret = rec;
	return k;
}

uint64_t
mml_walk_follow(const struct mml_walk *w, struct mml_walk_pos *pos)
{
	struct mml_rec rec;
	uint64_t walked = 0, n = 0;

	while (walked < w->cap && mml_walk_next(w, pos, &rec) !=
	    MML_WALK_BREAK) {
		if (rec.hdr.type == MML_REC_WRAP) {
			walked += w->cap - rec.off;
			continue;
		}
		walked += rec.size;
		n++;
	}
	return n;
}

uint64_t
mml_walk_span(uint64_t cap, uint64_t from, uint64_t to)
{
	uint64_t last = cap - MML_REC_HDR;	/* the last record start */

	if (to > from)
		return (to - from) / MML_DISK_ALIGN;
	return (last - from) / MML_DISK_ALIGN + 1 + to / MML_DISK_ALIGN;
}

void
mml_walk_scan_init(struct mml_walk_scan *sc, const struct mml_walk *w,
    uint64_t off, uint64_t seq_lo, uint64_t seq_hi)
{
	off &= ~(uint64_t)(MML_DISK_ALIGN - 1);
	if (off >= w->cap || w->cap - off < MML_REC_HDR)
		off = 0;
	sc->off = off;
	sc->seq_lo = seq_lo;
	sc->seq_hi = seq_hi;
	if (w->head_off < w->cap && w->head_off % MML_DISK_ALIGN == 0 &&
	    w->cap - w->head_off >= MML_REC_HDR)
		sc->left = mml_walk_span(w->cap, off, w->head_off);
	else
		sc->left = mml_walk_span(w->cap, off, off);
}

int
mml_walk_scan(const struct mml_walk *w, struct mml_walk_scan *sc,
    struct mml_rec *ret)
{
	struct mml_rec_hdr h;
	struct mml_rec rec;
	uint64_t off;

	while (sc->left > 0) {
		off = sc->off;
		sc->off = mml_walk_skip(w->cap, off);
		sc->left--;
		/* The numbering first: most of what a scan meets is not. */
		memcpy(&h, w->data + off, sizeof(h));
		if (h.seq < sc->seq_lo || h.seq >= sc->seq_hi ||
		    (h.type != MML_REC_ENTRY && (h.type != MML_REC_WRAP ||
		    off == 0)))
			continue;
		/* (Seq 0 asks for any: the range again, on the copy checked.) */
		if (mml_walk_check(w, off, h.seq, 1, &rec, NULL) == 0 &&
		    rec.hdr.seq >= sc->seq_lo && rec.hdr.seq < sc->seq_hi) {
			*ret = rec;
			return 1;
		}
	}
	return 0;
}

enum mml_walk_proof
mml_walk_confirm(const struct mml_walk *w, const struct mml_rec *first,
    uint64_t reach, struct mml_walk_pos *ret_end, struct mml_rec *ret)
{
	struct mml_walk_pos pos = { first->off, first->hdr.seq };
	struct mml_rec rec = *first;
	uint64_t walked = 0;
	enum mml_walk_proof p;

	/* Records never repeat on a chain: a round is the most it runs. */
	if (reach > w->cap)
		reach = w->cap;
	for (;;) {
		if (rec.hdr.seq >= w->seq_end) {
			p = MML_WALK_PAST;
			break;
		}
		if (rec.hdr.type == MML_REC_ENTRY && walked > reach) {
			*ret = rec;
			p = MML_WALK_PROVEN;
			break;
		}
		walked += rec.size;
		mml_walk_advance(w, &pos, &rec);
		if (pos.off == w->head_off && pos.seq == w->seq_end) {
			p = MML_WALK_AT_HEAD;
			break;
		}
		if (mml_walk_check(w, pos.off, 0, 1, &rec, NULL) < 0 ||
		    mml_walk_follows(w, &pos, &rec) == MML_WALK_BREAK) {
			p = MML_WALK_BROKEN;
			break;
		}
		pos.seq = rec.hdr.seq;
	}
	*ret_end = pos;
	return p;
}

/*
 * The one place that decides whether a record a resync found by
 * scanning may be taken as the writer's (FORMAT.md, walk rule 6).  On a
 * keyed ring, any record that checks, CRC included, is: no client can
 * make a CRC check without the ring's key (it would have to guess 32
 * bits), and the seq rules reject the writer's records of older laps.
 * On an unkeyed (legacy) ring a client can shape a record that checks
 * inside its message, so it is taken only if its chain proves it
 * (mml_walk_confirm(): proven, or reaching the head).  That loses the
 * whole entries between two damaged records less than MML_WALK_REACH
 * apart, which a legacy ring with scattered damage has; mmlogd converts
 * a legacy ring to a keyed one when it opens it.
 */
static int
resync_adopt(const struct mml_walk *w, const struct mml_rec *rec)
{
	struct mml_walk_pos end;
	struct mml_rec far;
	enum mml_walk_proof p;

	if (w->seed != 0)
		return 1;
	p = mml_walk_confirm(w, rec, MML_WALK_REACH, &end, &far);
	return p == MML_WALK_PROVEN || p == MML_WALK_AT_HEAD;
}

enum mml_walk_resync
mml_walk_resync(const struct mml_walk *w, const struct mml_walk_pos *brk,
    struct mml_walk_found *ret)
{
	struct mml_walk_scan sc;
	struct mml_rec rec;
	uint64_t s, jump, next, gap;

	/*
	 * Damage in a payload under an intact header: going where the
	 * header says, rather than scanning, also never looks inside that
	 * payload, which may hold something that checks as records.  The
	 * newest entry has no successor to confirm the way.
	 */
	if (mml_walk_check(w, brk->off, brk->seq, 0, &rec, NULL) == 0 &&
	    rec.hdr.type == MML_REC_ENTRY) {
		next = mml_disk_next_off(w->cap, brk->off, rec.size);
		if (brk->seq + 1 == w->seq_end || (mml_walk_check(w, next,
		    brk->seq + 1, 1, &rec, NULL) == 0 && (next != 0 ||
		    rec.hdr.type == MML_REC_ENTRY))) {
			ret->at.off = next;
			ret->at.seq = brk->seq + 1;
			ret->lost = 1;
			ret->jump = 0;
			return MML_WALK_RS_DAMAGE;
		}
	}
	mml_walk_scan_init(&sc, w, brk->off, brk->seq, w->seq_end);
	while (mml_walk_scan(w, &sc, &rec)) {
		s = rec.hdr.seq;
		gap = s - brk->seq;
		/* Our own seq elsewhere: only after a damaged WRAP, at 0. */
		if (gap == 0 && (rec.off != 0 || brk->off == 0 ||
		    rec.hdr.type != MML_REC_ENTRY))
			continue;
		if (!resync_adopt(w, &rec))
			continue;
		/*
		 * A note at the break must account for the whole gap; one
		 * further on, after damaged bytes that held the rest.
		 */
		jump = jump_of(w, &rec);
		if (jump > gap || (rec.off == brk->off && jump != gap))
			jump = 0;
		if (rec.off == brk->off && jump == gap) {
			ret->at.off = brk->off;
			ret->at.seq = s;
			ret->lost = 0;
			ret->jump = jump;
			return MML_WALK_RS_JUMP;
		}
		ret->at.off = rec.off;
		ret->at.seq = s - jump;
		ret->lost = gap - jump;
		ret->jump = jump;
		return MML_WALK_RS_DAMAGE;
	}
	return MML_WALK_RS_NONE;
}
