/*
 * recover.c: what mmlogd finds of its last run when it opens the ring
 * (ring.c's ring_open_recover()): the head the records reach, past the
 * durable cursor if the chain proves them (proto/walk.c), the tail, and
 * the header made to say so before anything new is written.  A ring
 * closed in order needs none of it.  Part of the ring (ring_internal.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "meta.h"
#include "ring_internal.h"
#include "ringfile.h"
#include "util.h"
#include "walk.h"
#include "wire.h"

/*
 * Finds the head: from the durable cursor, every following record that
 * checks (CRC, and the next sequence number or the writer's note of a
 * jump, mml_walk_follows()) is kept.  After a daemon crash that is
 * everything it accepted, since the page cache survived; after a power
 * loss it is what reached the disk whole.  The walk follows records,
 * never zeros or holes, and stops at the first that does not follow, so
 * a torn record is never presented.  Returns the entries it found.
 */
uint64_t
ring_recover_head(struct mml_ring *r)
{
	struct mml_disk_header *h = r->hdr;
	struct mml_walk w;
	struct mml_walk_pos pos, alt;
	struct mml_rec rec;
	uint64_t n, an;
	int from_tail;

	mml_walk_init(&w, r->data, r->cap, h->seq_limit, MML_WALK_NOWHERE, r->crc_seed);
	pos.off = h->durable_off;
	pos.seq = h->durable_seq + 1;
	/*
	 * If the writer lapped the durable cursor (more than a ring's worth
	 * written between two completed syncs), the cursor points into newer
	 * records and the chain starts at the tail, which the writer moved
	 * past it.  The tail is trusted only if its record checks.
	 */
	if (h->tail_seq > pos.seq && ring_rec_at(r, h->tail_off, h->tail_seq, 1,
	    &rec) && rec.hdr.seq == h->tail_seq) {
		pos.off = h->tail_off;
		pos.seq = h->tail_seq;
	}
	from_tail = pos.off == h->tail_off && pos.seq == h->tail_seq;
	n = mml_walk_follow(&w, &pos);
	/*
	 * Nothing follows the cursor, yet a whole record of another seq
	 * starts where it points.  The offset and the seq are two stores,
	 * and the kernel may write the header page between them: a cursor
	 * with one half from each of two syncs points at a real record
	 * start with the wrong seq, and stopping there would lose every
	 * record after it.  So the chain from the record that is there is
	 * taken if it reaches past the cursor's seq, or to exactly the
	 * cursor's seq somewhere else: with nothing written after the last
	 * sync, the offset of an older sync with the seq of the last leads
	 * from the record there to the real head, at the cursor's seq, and
	 * stopping at the offset would overwrite the durable records
	 * between.  A stale record (an older seq, left by a torn write)
	 * leads nowhere, or round the ring back to the offset itself, and
	 * is not taken: seqs never repeat, so no other chain can end at
	 * the cursor's seq.  (At the tail, a full ring with nothing newer
	 * than the cursor: the head is right.)
	 */
	if (!from_tail && n == 0 && pos.off == h->durable_off &&
	    pos.off != h->tail_off && ring_rec_at(r, pos.off, h->tail_seq, 1, &rec) &&
	    rec.hdr.seq != pos.seq && rec.hdr.seq < h->seq_limit) {
		alt.off = pos.off;
		alt.seq = rec.hdr.seq;
		an = mml_walk_follow(&w, &alt);
		if (alt.seq > pos.seq || (alt.seq == pos.seq &&
		    alt.off != pos.off && an > 0)) {
			mml_log(LOG_WARNING, "ring '%s': the durable cursor says "
			    "seq %llu at offset %llu, where seq %llu is; its "
			    "chain leads to seq %llu", r->path,
			    (unsigned long long)pos.seq,
			    (unsigned long long)pos.off,
			    (unsigned long long)rec.hdr.seq,
			    (unsigned long long)(alt.seq - 1));
			pos = alt;
			n = an;
		}
	}
	r->head_off = pos.off;
	r->next_seq = pos.seq;
	r->recovered_entries = n;
	return n;
}

/* The tail: the header's is trusted only if its record checks. */
void
ring_recover_tail(struct mml_ring *r)
{
	struct mml_disk_header *h = r->hdr;
	struct mml_rec rec;

	r->tail_off = h->tail_off;
	r->tail_seq = h->tail_seq;
	/*
	 * Empty: the tail at the head's seq.  One past it is no state a
	 * writer leaves (recovery has already moved the head up to the
	 * header's): it is damage, and the oldest record is searched for
	 * rather than every entry dropped.
	 */
	if (r->tail_seq == r->next_seq) {
		r->tail_off = r->head_off;
		r->tail_seq = r->next_seq;
	} else if (r->tail_seq > r->next_seq ||
	    !ring_rec_at(r, r->tail_off, r->tail_seq, 1, &rec) ||
	    rec.hdr.seq >= r->next_seq) {
		mml_log(LOG_WARNING, "ring '%s': tail in header does not "
		    "check, searching for the oldest record", r->path);
		ring_recover_tail_search(r);
	} else
		r->tail_seq = rec.hdr.seq;
}

/*
 * The header's tail was stale (a power loss between the overwrite and
 * the header update): the oldest surviving record is the first whole
 * entry after the head whose chain proves it the writer's: longer than
 * a message could fake, or reaching the head.  Failing that (damage
 * everywhere), the first whose chain at least does not run on past the
 * head's numbering: its records cannot be the writer's, whose newest
 * entry is next_seq - 1, and readers following it from the tail would
 * show them in place of the entries appended from the head.  If none,
 * the ring is empty.
 */
void
ring_recover_tail_search(struct mml_ring *r)
{
	struct mml_walk w;
	struct mml_walk_scan sc;
	struct mml_walk_pos end;
	struct mml_rec rec, far;
	enum mml_walk_proof p;
	int pass;

	r->tail_off = r->head_off;
	r->tail_seq = r->next_seq;
	mml_walk_init(&w, r->data, r->cap, r->next_seq, r->head_off, r->crc_seed);
	for (pass = 0; pass < 2; pass++) {
		mml_walk_scan_init(&sc, &w, mml_walk_skip(r->cap, r->head_off),
		    1, r->next_seq);
		while (mml_walk_scan(&w, &sc, &rec)) {
			if (rec.hdr.type != MML_REC_ENTRY)
				continue;
			p = mml_walk_confirm(&w, &rec, pass == 0 ?
			    MML_WALK_REACH : UINT64_MAX, &end, &far);
			if (p == MML_WALK_PROVEN || p == MML_WALK_AT_HEAD ||
			    (pass == 1 && p == MML_WALK_BROKEN)) {
				r->tail_off = rec.off;
				r->tail_seq = rec.hdr.seq;
				return;
			}
		}
	}
}

/*
 * Recovers the ring's cursors from its records (ring_recover_head(),
 * ring_recover_tail()), continues the numbering above every number that may
 * have been handed out, and makes the result durable.
 */
int
ring_recover(struct mml_ring *r)
{
	struct mml_disk_header *h = r->hdr;
	static const uint8_t zero_id[16];
	uint64_t n;
	int same_boot;

	r->was_dirty = h->state == MML_STATE_DIRTY;
	/* An unknown boot (no /proc) must count as another: never reuse seqs. */
	same_boot = memcmp(h->boot_id, r->boot_id, 16) == 0 &&
	    memcmp(r->boot_id, zero_id, 16) != 0;
	n = ring_recover_head(r);
	/*
	 * A dirty ring from an earlier boot may have lost entries that were
	 * numbered but never durable: continue above every number that may
	 * have been handed out, so none is ever used twice.
	 */
	if (r->was_dirty && !same_boot && h->seq_limit > r->next_seq) {
		r->lost_seqs = h->seq_limit - r->next_seq;
		r->next_seq = h->seq_limit;
	}
	/*
	 * The header's live head may be ahead of what the scan found: a
	 * damaged record or cursor cut the scan short.  Numbers up to it
	 * were handed out, so continue above them; readers see the gap.
	 */
	if (r->next_seq < h->head_seq && h->head_seq < h->seq_limit) {
		mml_log(LOG_WARNING, "ring '%s': records end at seq %llu but "
		    "seqs up to %llu were assigned; continuing above them",
		    r->path, (unsigned long long)r->next_seq,
		    (unsigned long long)(h->head_seq - 1));
		r->lost_seqs += h->head_seq - r->next_seq;
		r->next_seq = h->head_seq;
	}
	ring_recover_tail(r);
	return ring_recover_commit(r, n);
}

/*
 * Sets the loop's state from what recovery found, and makes it durable
 * (records, cursors, a raised seq_limit) before anything is accepted.
 * n: the entries found past the durable cursor, for the log.
 */
int
ring_recover_commit(struct mml_ring *r, uint64_t n)
{
	struct mml_disk_header *h = r->hdr;

	r->start_seq = r->next_seq;
	r->start_off = r->head_off;
	r->own_bytes = 0;
	r->synced_off = r->head_off;
	r->unsynced = 0;
	r->wrapped = 0;
	r->durable_seq = r->next_seq - 1;
	r->durable_off = r->head_off;
	r->seq_limit = h->seq_limit;
	ring_index_check(r, h->durable_seq);
	if (ring_tables_open(r) < 0)
		return mml_log_errno(ENOMEM, "ring '%s': metadata table",
		    r->path);

	r->pub_off = r->head_off;
	r->pub_seq = r->next_seq;
	ring_publish(r);
	memcpy(h->boot_id, r->boot_id, 16);
	h->opens++;
	if (r->was_dirty)
		h->dirty_opens++;
	/*
	 * Everything recovered is made durable and the cursor moved to it
	 * before we accept anything, so the next recovery starts here.
	 */
	if (msync(r->map, r->map_len, MS_SYNC) < 0)
		return mml_log_errno(errno, "msync '%s'", r->path);
	h->durable_off = r->head_off;
	h->durable_seq = r->next_seq - 1;
	h->durable_usec = mml_now_usec(CLOCK_REALTIME);
	h->state = MML_STATE_DIRTY;
	if (r->next_seq + SEQ_RESERVE > h->seq_limit)
		h->seq_limit = r->next_seq + SEQ_RESERVE;
	if (msync(r->map, MML_DISK_HEADER_SIZE, MS_SYNC) < 0)
		return mml_log_errno(errno, "msync '%s' header", r->path);
	r->seq_limit = h->seq_limit;
	mml_log(LOG_INFO, "ring '%s': %s, %llu bytes, entries %llu..%llu, "
	    "%llu recovered past the durable cursor", r->path,
	    r->was_dirty ? "was not closed cleanly" : "clean",
	    (unsigned long long)r->cap, (unsigned long long)r->tail_seq,
	    (unsigned long long)(r->next_seq - 1 - r->lost_seqs),
	    (unsigned long long)n);
	if (r->lost_seqs)
		mml_log(LOG_WARNING, "ring '%s': unclean shutdown in an earlier "
		    "boot; sequence numbers %llu..%llu may have been lost",
		    r->path, (unsigned long long)(r->next_seq - r->lost_seqs),
		    (unsigned long long)(r->next_seq - 1));
	return 0;
}
