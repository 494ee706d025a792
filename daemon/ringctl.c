/*
 * ringctl.c: the ring's control operations, each made durable before it
 * returns: clear (every entry removed, the numbering kept), a new ring
 * id, and restarting the numbering under a new id near the format's
 * limit.  Loop thread only.  Part of the ring (ring_internal.h).
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

static void	ring_reseal(struct mml_ring *, const uint8_t[16]);
static int	header_sync(struct mml_ring *);

/*
 * Writes a new ring_id into the header and seals its static part again:
 * the CRC of the static part as it is in the file, flags included,
 * stored last with release, so that a reader that sees the new CRC sees
 * the id it covers.  The loop thread's copy of the static part follows.
 * Under the caller's map guard; the caller syncs the header.
 */
static void
ring_reseal(struct mml_ring *r, const uint8_t id[16])
{
	struct mml_disk_header *h = r->hdr;
	uint32_t crc;

	memcpy(h->ring_id, id, 16);
	crc = mml_crc32c(0, h, offsetof(struct mml_disk_header, static_crc));
	__atomic_store_n(&h->static_crc, crc, __ATOMIC_RELEASE);
	memcpy(&r->static_hdr, h, offsetof(struct mml_disk_header, state));
}

/* Makes the header page durable.  Returns 0, or -errno after logging. */
static int
header_sync(struct mml_ring *r)
{
	if (msync(r->map, MML_DISK_HEADER_SIZE, MS_SYNC) < 0)
		return mml_log_errno(errno, "msync '%s' header", r->path);
	return 0;
}

/*
 * Empties the ring for readers: the tail moves to the head, the next
 * entry keeps its sequence number.  The old records stay in the file
 * until the head overwrites them, but no reader or recovery walks them:
 * both start at the tail, and the slot at the head is always cleared
 * (ring_append()).  The header is synced before returning, so a crash
 * cannot bring the entries back.
 */
int
mml_ring_clear(struct mml_ring *r, uint64_t *ret_removed)
{
	sigjmp_buf jb;
	uint64_t removed = r->next_seq - r->tail_seq;
	int rc;

	/* The head the new tail equals must be the header's. */
	if (mml_ring_flush(r) < 0)
		return -EIO;
	if (sigsetjmp(jb, 0) != 0) {
		ring_map_guard(NULL);
		return ring_bus_error(r);
	}
	ring_map_guard(&jb);
	r->tail_off = r->head_off;
	r->tail_seq = r->next_seq;
	r->tail_damaged = 0;
	/* They left the ring: written = overwritten + present still holds. */
	r->hdr->entries_overwritten += removed;
	__atomic_store_n(&r->hdr->tail_off, r->tail_off, __ATOMIC_RELAXED);
	__atomic_store_n(&r->hdr->tail_seq, r->tail_seq, __ATOMIC_RELEASE);
	ring_map_guard(NULL);
	if ((rc = header_sync(r)) < 0)
		return rc;
	*ret_removed = removed;
	return 0;
}

/*
 * Gives the ring a new ring_id (cursors of the old one no longer
 * apply) and re-seals the static part with its CRC; synced before
 * returning.  A reader that reads the header at this very moment may
 * see the two disagree and report a bad header once.
 */
int
mml_ring_rotate_id(struct mml_ring *r, const uint8_t id[16])
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 0) != 0) {
		ring_map_guard(NULL);
		return ring_bus_error(r);
	}
	ring_map_guard(&jb);
	ring_reseal(r, id);
	ring_map_guard(NULL);
	return header_sync(r);
}

int
mml_ring_restart(struct mml_ring *r, const uint8_t id[16],
    uint64_t *ret_removed)
{
	struct mml_disk_header *h = r->hdr;
	uint64_t removed = r->next_seq - r->tail_seq;
	uint64_t idx_off;
	long pg;
	sigjmp_buf jb;

	if (mml_ring_flush(r) < 0)
		return -EIO;
	if (sigsetjmp(jb, 0) != 0) {
		ring_map_guard(NULL);
		return ring_bus_error(r);
	}
	ring_map_guard(&jb);
	/*
	 * The new id first: a reader that sees the numbering go back sees
	 * a new ring, not a ring whose numbers repeat.
	 */
	ring_reseal(r, id);
	/* Emptied as by a clear, at the head, and numbered from 1. */
	r->restarts++;
	r->tail_off = r->head_off;
	r->tail_seq = 1;
	r->tail_damaged = 0;
	r->next_seq = 1;
	r->pub_off = r->head_off;
	r->pub_seq = 1;
	r->durable_seq = 0;
	r->durable_off = r->head_off;
	r->cursor_unflushed = 0;
	r->start_seq = 1;
	r->start_off = r->head_off;
	r->own_bytes = 0;
	r->lost_seqs = 0;
	r->seq_limit = 1 + SEQ_RESERVE;
	r->idx_bucket = UINT64_MAX;
	h->entries_overwritten += removed;
	h->seq_limit = r->seq_limit;
	h->durable_off = r->durable_off;
	h->durable_seq = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	ring_publish(r);
	/* Slots naming the old numbers would mislead a reader's search. */
	memset(r->idx, 0, r->idx_slots * sizeof(*r->idx));
	/*
	 * A metadata slot first named under them would be refused for each
	 * new entry naming it (its first seq is above theirs): none stays.
	 */
	if (r->metatab != NULL)
		mml_metatab_reset(r->metatab);
	r->memo_meta = NULL;
	ring_map_guard(NULL);
	/* msync() wants a page boundary; the index starts at a 4 KiB one. */
	idx_off = mml_idx_file_off(r->cap);
	pg = sysconf(_SC_PAGESIZE);
	if (pg > 0)
		idx_off -= idx_off % (uint64_t)pg;
	if (msync(r->map + idx_off, r->map_len - idx_off, MS_SYNC) < 0 ||
	    msync(r->map, MML_DISK_HEADER_SIZE, MS_SYNC) < 0)
		return mml_log_errno(errno, "msync '%s'", r->path);
	*ret_removed = removed;
	return 0;
}
