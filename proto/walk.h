/*
 * walk.h: the one walk of a ring's record chain (proto/FORMAT.md,
 * "Reading" and "Recovery").
 *
 * The writer (recovery, eviction and resize migration in daemon/) and
 * the readers (iteration, resync and seek in client/ringread/) follow
 * the chain by these rules and no others: which record comes next, what
 * the writer's note of a jump in numbering looks like, how far a record
 * can reach, how damage is stepped over, and when a record found by
 * scanning is proven to be the writer's.  Pure, like disk.c: no I/O, no
 * allocation, no logging; the data region is the caller's (the writer's
 * own map, or a reader's read-only one).
 *
 * Policy stays with the callers.  The writer trusts its own map; a
 * reader copies a record and re-checks the tail before it shows it, and
 * decides what to tell the user.  The walker only says what the bytes
 * are.
 */
#ifndef MML_WALK_H
#define MML_WALK_H

#include <stdint.h>

#include "disk.h"

/*
 * How far one record can reach, in bytes, and so how far anything a
 * client forged inside one message can: a record is its 64-byte header,
 * the sender's comm (at most MML_COMM_MAX, from the kernel) and a tag,
 * message and fields that came in one frame of at most MML_FRAME_MAX
 * bytes, padded to MML_DISK_ALIGN (one more unit, to be safe).
 *
 * Two rules follow.  A record longer than this is damage, whatever its
 * CRC says (and its length must not make a reader copy gigabytes).  And a
 * chain of records, forged ones included, that lies inside one payload
 * spans less than this: a chain that runs on for more than this many
 * bytes has left any payload it began in, and the record it reaches
 * there is one the writer wrote (mml_walk_confirm()).
 */
#define MML_WALK_REACH	((uint64_t)MML_REC_HDR + MML_COMM_MAX + \
			    MML_FRAME_MAX + MML_DISK_ALIGN)

/* An offset no record starts at: "the head is not known". */
#define MML_WALK_NOWHERE	UINT64_MAX

/*
 * The region to walk, and what the caller knows of the writer's head.
 * seq_end bounds the numbering: no record numbered seq_end or above is
 * the writer's (a reader's head_seq; the writer's seq_limit while it
 * looks for its head, its next seq afterwards).  head_off is where the
 * writer's next record goes, numbered seq_end, or MML_WALK_NOWHERE: a
 * chain that reaches it is proven, and a scan stops there.
 */
struct mml_walk {
	const uint8_t	*data;		/* the data region */
	uint64_t	 cap;		/* its capacity, from a checked header */
	uint64_t	 seq_end;	/* first seq that is not the writer's */
	uint64_t	 head_off;	/* the writer's head, or MML_WALK_NOWHERE */
	uint32_t	 seed;		/* CRC seed: 0 unkeyed (legacy), else keyed */
};

/* A place in the chain: a record start and the seq expected there. */
struct mml_walk_pos {
	uint64_t	 off;
	uint64_t	 seq;
};

/* Whether a record follows a place in the chain (mml_walk_follows()). */
enum mml_walk_step {
	MML_WALK_BREAK = 0,	/* it does not: damage, the head, or foreign */
	MML_WALK_NEXT,		/* the entry or WRAP with the expected seq */
	MML_WALK_JUMP,		/* the writer's note of a jump, or its WRAP */
};

/* What the chain from a record found by scanning proves. */
enum mml_walk_proof {
	MML_WALK_BROKEN = 0,	/* it breaks before proving anything */
	MML_WALK_PROVEN,	/* it runs on for more than the reach */
	MML_WALK_AT_HEAD,	/* it reaches the writer's head */
	MML_WALK_PAST,		/* it runs on past seq_end: not the writer's */
};

/* What a resync after a break found (mml_walk_resync()). */
enum mml_walk_resync {
	MML_WALK_RS_NONE = 0,	/* nothing whole up to the head */
	MML_WALK_RS_DAMAGE,	/* seqs lost to damage, then a record */
	MML_WALK_RS_JUMP,	/* no damage: the writer's note of a jump */
};

struct mml_walk_found {
	struct mml_walk_pos at;	/* where the walk goes on */
	uint64_t	 lost;	/* DAMAGE: seqs lost from the break's seq */
	uint64_t	 jump;	/* seqs the writer skipped, announced at `at` */
};

/* A scan over damage, from off, in steps of MML_DISK_ALIGN. */
struct mml_walk_scan {
	uint64_t	 off;	/* the next offset to look at */
	uint64_t	 left;	/* offsets still to look at */
	uint64_t	 seq_lo;	/* seqs wanted: [seq_lo, seq_hi) */
	uint64_t	 seq_hi;
};

/*
 * Fills *w; the region must stay mapped while w is used.  seed is the
 * ring's mml_disk_crc_seed(): every CRC is checked with it, and it
 * decides the resync rule (mml_walk_resync()).
 */
static inline void
mml_walk_init(struct mml_walk *w, const uint8_t *data, uint64_t cap,
    uint64_t seq_end, uint64_t head_off, uint32_t seed)
{
	w->data = data;
	w->cap = cap;
	w->seq_end = seq_end;
	w->head_off = head_off;
	w->seed = seed;
}

/*
 * mml_disk_rec_check() of the record at off (expecting seq unless 0,
 * with its CRC, seeded with w->seed, if verify_crc), and no longer than
 * MML_WALK_REACH.
 * Returns 0 and fills *ret, or -EBADMSG with *ret_reason set (if not
 * NULL).  Example: mml_walk_check(&w, off, seq, 1, &rec, &why).
 */
int mml_walk_check(const struct mml_walk *w, uint64_t off, uint64_t seq,
    int verify_crc, struct mml_rec *ret, enum mml_disk_reason *ret_reason);

/*
 * Whether the checked record rec is the writer's note of a jump in
 * numbering (FORMAT.md, Writing, rule 4): an ENTRY flagged
 * MML_REC_F_DAEMON, tag "mmlogd", whose field MMLOG_SEQ_GAP holds N as
 * the writer prints it: 1 to 20 decimal digits, no sign, no leading
 * zero, at most UINT64_MAX.  Returns 1 and stores N in *ret_n, or 0.
 */
int mml_walk_gap_note(const struct mml_rec *rec, uint64_t *ret_n);

/*
 * Whether rec, checked at pos->off, follows pos: MML_WALK_NEXT if it
 * carries pos->seq (a WRAP at offset 0 never does: it would lead back to
 * itself); MML_WALK_JUMP if it carries a seq above pos->seq and below
 * seq_end and is the writer's note of exactly that jump, or a WRAP
 * carrying that seq with the note at offset 0 after it; otherwise
 * MML_WALK_BREAK.
 */
enum mml_walk_step mml_walk_follows(const struct mml_walk *w,
    const struct mml_walk_pos *pos, const struct mml_rec *rec);

/*
 * Moves *pos past rec, which follows it: after a WRAP to offset 0 with
 * the WRAP's seq, after an entry to mml_disk_next_off() with the next
 * seq.  (Inline, as mml_walk_init(): the writer's tail takes this step
 * for every record it evicts.)
 */
static inline void
mml_walk_advance(const struct mml_walk *w, struct mml_walk_pos *pos,
    const struct mml_rec *rec)
{
	if (rec->hdr.type == MML_REC_WRAP) {
		pos->off = 0;
		pos->seq = rec->hdr.seq;
		return;
	}
	pos->off = mml_disk_next_off(w->cap, rec->off, rec->size);
	pos->seq = rec->hdr.seq + 1;
}

/*
 * One step on a map that holds still (the writer's, or a check's):
 * checks the record at *pos with its CRC, and if it follows, fills *ret
 * and advances *pos.  Returns what mml_walk_follows() says.  Example:
 *
 *	while (mml_walk_next(&w, &pos, &rec) != MML_WALK_BREAK)
 *		if (rec.hdr.type == MML_REC_ENTRY)
 *			use(&rec);
 */
enum mml_walk_step mml_walk_next(const struct mml_walk *w,
    struct mml_walk_pos *pos, struct mml_rec *ret);

/*
 * Follows the chain from *pos while records follow, at most once round
 * (a WRAP counts the rest of the region), and leaves *pos where it
 * broke: at the head, if nothing is damaged.  Returns the entries taken.
 */
uint64_t mml_walk_follow(const struct mml_walk *w, struct mml_walk_pos *pos);

/*
 * The step over damage: the next offset a record could start at after
 * the record start off, or 0 when fewer than a header's bytes would
 * remain (the implicit wrap).
 */
static inline uint64_t
mml_walk_skip(uint64_t cap, uint64_t off)
{
	off += MML_DISK_ALIGN;
	if (cap - off < MML_REC_HDR)
		return 0;
	return off;
}

/*
 * How many offsets a scan looks at from the record start `from` before
 * it reaches the record start `to`: every record start once if they are
 * the same.
 */
uint64_t mml_walk_span(uint64_t cap, uint64_t from, uint64_t to);

/*
 * Prepares a scan from off (rounded down to a record start; 0 past the
 * last) for records numbered in [seq_lo, seq_hi): once round, or up to
 * the writer's head if w knows it.  A caller may lower sc->left.
 */
void mml_walk_scan_init(struct mml_walk_scan *sc, const struct mml_walk *w,
    uint64_t off, uint64_t seq_lo, uint64_t seq_hi);

/*
 * The next record the scan meets that checks, CRC included, is an ENTRY
 * or a WRAP not at offset 0, and is numbered as wanted.  Returns 1 and
 * fills *ret (ret->off is where; the scan goes on after it), or 0 when
 * the scan is over.  Anything found this way may be a forgery inside a
 * payload: mml_walk_confirm() tells.  Example, the first entry numbered
 * from lo to hi after off:
 *
 *	mml_walk_scan_init(&sc, &w, off, lo, hi);
 *	while (mml_walk_scan(&w, &sc, &rec))
 *		if (rec.hdr.type == MML_REC_ENTRY)
 *			break;
 */
int mml_walk_scan(const struct mml_walk *w, struct mml_walk_scan *sc,
    struct mml_rec *ret);

/*
 * Follows the chain from first, a record found by scanning, to prove it
 * the writer's.  MML_WALK_PROVEN: the chain runs on, record after record
 * (CRC, seq, the writer's notes of jumps), for more than reach bytes
 * (MML_WALK_REACH; at most the capacity, so UINT64_MAX asks only that it
 * does not run past the head) and *ret is the entry it reached there.
 * MML_WALK_AT_HEAD: it reached (head_off, seq_end).  MML_WALK_PAST: a
 * record on it is numbered seq_end or above.  MML_WALK_BROKEN: it broke
 * first.  *ret_end is where it ended, always.  Example:
 *
 *	if (mml_walk_confirm(&w, &rec, MML_WALK_REACH, &end, &far) ==
 *	    MML_WALK_PROVEN)
 *		start_at(&far);
 */
enum mml_walk_proof mml_walk_confirm(const struct mml_walk *w,
    const struct mml_rec *first, uint64_t reach, struct mml_walk_pos *ret_end,
    struct mml_rec *ret);

/*
 * The chain broke at *brk (nothing there follows it) below seq_end: where
 * does it go on?  First, damage in a payload under an intact header:
 * the header still says where the next record is (if that one checks,
 * or the broken one was the last below seq_end), and the payload, which
 * a client wrote, is never looked into.  Otherwise a scan from brk->off
 * for a record numbered from brk->seq up: brk->seq itself only at offset
 * 0 (what a damaged WRAP hid).  On a keyed ring (w->seed not 0) what the
 * scan finds is the writer's, since no client can make a CRC check; on
 * an unkeyed ring only if its chain proves it (mml_walk_confirm():
 * proven, or reaching the head), which loses the entries between two
 * damaged records closer than MML_WALK_REACH.  A record found at the break that is the
 * writer's note of exactly the jump is MML_WALK_RS_JUMP; anything else is
 * damage (MML_WALK_RS_DAMAGE), and a note found after damage announces
 * the part of the gap it accounts for in ret->jump.  Returns
 * MML_WALK_RS_NONE, or the kind with *ret filled.  Example:
 *
 *	if (mml_walk_resync(&w, &pos, &f) != MML_WALK_RS_NONE) {
 *		report_lost(pos.seq, f.lost);
 *		pos = f.at;
 *	}
 */
enum mml_walk_resync mml_walk_resync(const struct mml_walk *w,
    const struct mml_walk_pos *brk, struct mml_walk_found *ret);

#endif /* MML_WALK_H */
