/*
 * ring.c: the memory-mapped circular log file (proto/FORMAT.md).
 *
 * One writer, the event-loop thread, puts records into the file (by
 * pwrite() of records gathered over a loop iteration, or by stores into
 * the map: mml_ring_set_write(), "The write layer" below); the sync
 * thread makes ranges durable and only then moves the durable cursor in
 * the header (the seed's rule: the cursor never runs ahead of what is
 * durable).  Readers map the file read-only and follow the tail, which
 * the writer advances record by record before it overwrites anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <limits.h>
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
 * MML_RING_WRITE_PWRITE gathers up to this many bytes of records before
 * it writes them (a quarter of a smaller ring), and holds one record of
 * any size.
 */
#define STAGE_BYTES	((size_t)256 << 10)
#define STAGE_ALLOC	(STAGE_BYTES + MML_FRAME_MAX + 4096)

/*
 * Set while the loop thread touches the map: a SIGBUS there (the file
 * was truncated under us) jumps back instead of killing the daemon.
 * Always through ring_map_guard(): the handler reads map_jmp between
 * any two instructions, so the compiler must neither drop the store (it is
 * overwritten a few lines later, and nothing it can see reads it) nor
 * move accesses to the map across it.  It did both at -O2.
 */
static __thread sigjmp_buf *volatile map_jmp;

void
ring_map_guard(sigjmp_buf *jb)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	map_jmp = jb;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* The guard in force (to restore after one of one's own), or NULL. */
sigjmp_buf *
ring_map_guarded(void)
{
	return map_jmp;
}

static void ring_make_room(struct mml_ring *, uint64_t);
static void ring_evict_one(struct mml_ring *);
static inline void ring_tail_prefetch(const struct mml_ring *, uint64_t,
    uint64_t);
static int ring_reserve_seqs(struct mml_ring *);

static uint8_t *ring_reserve(struct mml_ring *, uint64_t, uint64_t);
static int ring_stage_write(struct mml_ring *);
static int ring_probe(struct mml_ring *, uint64_t, uint64_t);
static int ring_store_map(struct mml_ring *, uint64_t, const void *, size_t);
static void ring_publish_head(struct mml_ring *);
static void ring_publish_tail(struct mml_ring *);
static uint64_t ring_page(void);

static void ring_mark_gap(struct mml_ring *);
static int ring_map(int, const char *, const struct mml_disk_header *,
    struct mml_ring **);
static void sigbus_install(void);
static int ring_open_recover(struct mml_ring *);

static void ring_index_store_pending(struct mml_ring *);
static void ring_index_note(struct mml_ring *, uint64_t,
    const struct mml_rec_hdr *);

static void
sigbus_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)si;
	(void)ctx;
	if (map_jmp != NULL)
		siglongjmp(*map_jmp, 1);
	/* Not ours: die of it as we would have without a handler. */
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
}

/*
 * Writes the loop thread's tail, and the head as last published (what
 * is in the file), into the header.
 */
void
ring_publish(struct mml_ring *r)
{
	r->hdr->tail_off = r->tail_off;
	r->hdr->tail_seq = r->tail_seq;
	r->hdr->entries_overwritten += r->pend_overwritten;
	r->pend_overwritten = 0;
	r->tail_unpub = 0;
	r->hdr->head_off = r->pub_off;
	r->hdr->head_seq = r->pub_seq;
}

/*
 * Readers may follow the chain up to the head from now on: everything
 * before it is in the file (ring_stage_write() returned, or was not
 * needed).  Under the caller's map guard.
 */
static void
ring_publish_head(struct mml_ring *r)
{
	struct mml_disk_header *h = r->hdr;

	/* The counters count what readers can see, as the head does. */
	h->entries_written += r->pend_entries;
	h->bytes_written += r->pend_bytes;
	h->wraps += r->pend_wraps;
	r->pend_entries = r->pend_bytes = r->pend_wraps = 0;
	r->pub_off = r->head_off;
	r->pub_seq = r->next_seq;
	__atomic_store_n(&r->hdr->head_off, r->head_off, __ATOMIC_RELAXED);
	__atomic_store_n(&r->hdr->head_seq, r->next_seq, __ATOMIC_RELEASE);
}

/*
 * The write layer.  Every byte the writer puts in the data region goes
 * through ring_reserve(), every other byte outside the header's fields
 * (seek index slots, boot entries) through ring_store(), so that how
 * bytes reach the file is decided here and only here
 * (mml_ring_set_write(); HACKING.md, "Why pwrite"):
 *
 * - MML_RING_WRITE_MAP: the caller builds the bytes in the map.  A page
 *   that a sync (or the kernel's writeback) has cleaned is
 *   write-protected again, so the first store into it after a sync
 *   takes a fault, and cleaning a page the loop thread mapped writable
 *   costs a TLB shootdown on its core.  (Making the pages ahead of the
 *   head writable first, by a thread of its own as seed 001 pre-faults
 *   its standby segments, or in bulk by the loop, was measured and lost:
 *   ext4 still does its work per page and folio, and the shootdowns
 *   stay.  HACKING.md, "Why pwrite".)
 * - MML_RING_WRITE_PWRITE: the caller builds the bytes in the stage, a
 *   buffer of the records since the last write, which pwrite() copies
 *   into the same page cache: no page of the data region is ever mapped
 *   writable, so no fault and no shootdown.  One pwrite() per record
 *   would cost more than the faults (a system call is some microseconds
 *   on a virtual machine), so with mml_ring_defer() the stage is written
 *   once per loop iteration; the header's head moves only then.
 *
 * The header's own fields (cursors, counters) are stored in place in
 * every mode: one page, rewritten with every entry, where one fault per
 * sync costs less than a system call per entry.
 */

static uint64_t
ring_page(void)
{
	static uint64_t pg;
	long v;

	if (pg == 0) {
		v = sysconf(_SC_PAGESIZE);
		pg = v > 0 ? (uint64_t)v : 4096;
	}
	return pg;
}

/*
 * Where to build the len bytes that go at data offset off: the map, or
 * the stage.  Nothing else may be written into the ring until they are
 * built (a flush in between would write the stage without them).  NULL
 * if the stage is full and cannot be written (mml_ring_flush()): the
 * entry is refused, as a store through the map that faults is.  Under
 * the caller's map guard.
 */
static uint8_t *
ring_reserve(struct mml_ring *r, uint64_t off, uint64_t len)
{
	uint64_t end;

	if (r->wmethod == MML_RING_WRITE_MAP)
		return r->data + off;
	/*
	 * The stage is one run of the data region; a reservation continues
	 * it (or rewrites its end: the cleared slot after the last record),
	 * or the stage goes to the file first.
	 */
	if (r->stage_len > 0 && (off < r->stage_off ||
	    off > r->stage_off + r->stage_len ||
	    off - r->stage_off + len > r->stage_cap) &&
	    mml_ring_flush(r) < 0)
		return NULL;
	if (r->stage_len == 0)
		r->stage_off = off;
	end = off - r->stage_off + len;
	if (end > r->stage_len)
		r->stage_len = (size_t)end;
	return r->stage + (off - r->stage_off);
}

/*
 * Stores len bytes at file offset off, outside the data region (the
 * seek index, the boot table), after every record reserved before: the
 * stage is written first.  Under the caller's map guard.
 */
void
ring_store(struct mml_ring *r, uint64_t off, const void *src, size_t len)
{
	if (r->stage_len > 0)
		(void)mml_ring_flush(r);
	memcpy(r->map + off, src, len);
}

/*
 * Reads a byte of each page of [off, off + len) of the data region
 * through the map, as a store there would touch it: a file cut short
 * under us faults here as it does for MML_RING_WRITE_MAP (SIGBUS,
 * counted, the size given back) instead of growing again under a
 * pwrite() past its end.  The pages stay mapped read-only, which costs
 * no fault and no shootdown when a sync cleans them.
 * Returns 0, or -EIO after a repair.
 */
static int
ring_probe(struct mml_ring *r, uint64_t off, uint64_t len)
{
	sigjmp_buf *volatile outer = map_jmp;
	sigjmp_buf jb;
	volatile uint64_t p, end, pg = ring_page();

	p = (MML_DISK_HEADER_SIZE + off) & ~(pg - 1);
	end = MML_DISK_HEADER_SIZE + off + len;
	if (sigsetjmp(jb, 0) != 0) {
		ring_map_guard(outer);
		r->bus_errors++;
		(void)ring_repair(r);
		return -EIO;
	}
	ring_map_guard(&jb);
	for (; p < end; p += pg)
		(void)*(volatile const uint8_t *)(r->map + p);
	ring_map_guard(outer);
	return 0;
}

/*
 * Stores len bytes of src at data offset off through the map.  Returns
 * 0, or -EIO after a SIGBUS (counted, the file repaired).
 */
static int
ring_store_map(struct mml_ring *r, uint64_t off, const void *src,
    size_t len)
{
	sigjmp_buf *volatile outer = map_jmp;
	sigjmp_buf jb;

	if (sigsetjmp(jb, 0) != 0) {
		ring_map_guard(outer);
		r->bus_errors++;
		(void)ring_repair(r);
		return -EIO;
	}
	ring_map_guard(&jb);
	memcpy(r->data + off, src, len);
	ring_map_guard(outer);
	return 0;
}

/*
 * Writes the stage into the file.  Should pwrite() fail (an I/O error
 * the map may not meet: this is a preallocated file), the bytes are
 * stored through the map instead.  If that faults too, the stage is
 * kept, to be written by a later flush: until then the head does not
 * cover it, no sync job does (mml_ring_sync_prepare()) and no more
 * entries than it holds are taken.  Returns 0 or -EIO.
 */
static int
ring_stage_write(struct mml_ring *r)
{
	size_t len = r->stage_len, done = 0;
	uint64_t off = r->stage_off;
	ssize_t n;
	int e = 0;

	if (len == 0)
		return 0;
	r->stage_len = 0;
	r->flushes++;
	/* A file cut short is given back its size (counted) first. */
	(void)ring_probe(r, off, len);
	while (done < len) {
		n = pwrite(r->fd, r->stage + done, len - done,
		    (off_t)(MML_DISK_HEADER_SIZE + off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			break;
		}
		done += (size_t)n;
	}
	if (done == len)
		return 0;
	r->write_errors++;
	if (r->write_errors == 1 || r->write_errors % 1000 == 0)
		mml_log(LOG_ERR, "ring '%s': pwrite: %s (%llu times); storing "
		    "through the map", r->path, strerror(e),
		    (unsigned long long)r->write_errors);
	if (ring_store_map(r, off + done, r->stage + done, len - done) < 0) {
		if (r->write_errors == 1 || r->write_errors % 1000 == 0)
			mml_log(LOG_ERR, "ring '%s': I/O error (SIGBUS) on the "
			    "map too; %zu bytes of entries wait", r->path, len);
		r->stage_len = len;
		return -EIO;
	}
	return 0;
}

int
mml_ring_flush(struct mml_ring *r)
{
	sigjmp_buf *volatile outer = map_jmp;
	sigjmp_buf jb;
	int e;

	if (r->stage_len == 0 && r->pub_off == r->head_off &&
	    r->pub_seq == r->next_seq && !r->tail_unpub &&
	    r->n_idx_pend == 0)
		return 0;
	if (sigsetjmp(jb, 0) != 0) {
		/* The header page went: ring_repair() wrote it again. */
		ring_map_guard(outer);
		r->bus_errors++;
		(void)ring_repair(r);
		return -EIO;
	}
	ring_map_guard(&jb);
	ring_publish_tail(r);
	ring_map_guard(outer);
	e = ring_stage_write(r);
	if (e < 0)
		return e;
	ring_map_guard(&jb);
	ring_publish_head(r);
	ring_map_guard(outer);
	ring_index_store_pending(r);
	return 0;
}

void
mml_ring_defer(struct mml_ring *r, int on)
{
	if (!on)
		(void)mml_ring_flush(r);
	r->defer = on;
}

int
mml_ring_set_write(struct mml_ring *r, enum mml_ring_write how)
{
	if (how == r->wmethod)
		return 0;
	if (how == MML_RING_WRITE_PWRITE && r->stage == NULL) {
		r->stage = malloc(STAGE_ALLOC);
		if (r->stage == NULL)
			return -ENOMEM;
		r->stage_cap = r->cap / 4 < STAGE_BYTES ? (size_t)(r->cap / 4) :
		    STAGE_BYTES;
	}
	/* Leaving MML_RING_WRITE_PWRITE: what is staged goes first. */
	if (mml_ring_flush(r) < 0)
		return -EIO;
	r->wmethod = how;
	return 0;
}

enum mml_ring_write
mml_ring_get_write(const struct mml_ring *r)
{
	return r->wmethod;
}

/*
 * The file lost its backing under the map (truncated by someone): give
 * it back its size, so that the map is usable again.  What the
 * truncation destroyed is gone; readers and the tail step over it as
 * damage.  Returns 0, or -errno if the size could not be restored.
 */
int
ring_repair(struct mml_ring *r)
{
	struct mml_disk_header *h = r->hdr;
	struct stat st;
	int e;

	if (fstat(r->fd, &st) < 0 || (uint64_t)st.st_size >= r->map_len)
		return 0;
	mml_log(LOG_ERR, "ring '%s' was truncated to %lld bytes under "
	    "mmlogd; restoring its size, entries in the lost part are gone",
	    r->path, (long long)st.st_size);
	/* Jobs out now may have synced a file without the lost pages. */
	r->repairs++;
	/* Metadata slots too: the next entry looks its own up, reading it. */
	r->memo_meta = NULL;
	e = posix_fallocate(r->fd, 0, (off_t)r->map_len);
	if (e != 0)
		return mml_log_errno(e, "restore size of '%s'", r->path);
	if (memcmp(h, &r->static_hdr, offsetof(struct mml_disk_header,
	    state)) != 0) {
		/*
		 * The header went too: write it again from what we know, so
		 * the ring stays a ring (its counters restart).
		 */
		mml_log(LOG_ERR, "ring '%s': rewriting its lost header",
		    r->path);
		memcpy(h, &r->static_hdr, sizeof(*h));
		h->state = MML_STATE_DIRTY;
		h->durable_off = r->durable_off;
		h->durable_seq = r->durable_seq;
		ring_publish(r);
		h->seq_limit = seq_limit_ahead(r->next_seq) > r->seq_limit ?
		    seq_limit_ahead(r->next_seq) : r->seq_limit;
		memcpy(h->boot_id, r->boot_id, 16);
		if (msync(r->map, MML_DISK_HEADER_SIZE, MS_SYNC) < 0)
			return mml_log_errno(errno, "msync '%s'", r->path);
		r->seq_limit = h->seq_limit;
	}
	/* What was lost must be synced again once it is rewritten. */
	r->unsynced = r->cap;
	return 0;
}

/* A SIGBUS on the map: counted, the file repaired; -EIO for the write. */
int
ring_bus_error(struct mml_ring *r)
{
	r->bus_errors++;
	if (ring_repair(r) == 0)
		mml_log(LOG_ERR, "ring '%s': I/O error (SIGBUS) on the map, "
		    "entry dropped", r->path);
	return -EIO;
}

/*
 * Records that the entry hdr now at data offset off starts a bucket on
 * this lap.  The record is whole (its CRC stored) before the slot names
 * it; a reader that copies a slot while it changes sees a CRC mismatch.
 * A staged record (MML_RING_WRITE_PWRITE) is whole in the file once the
 * stage is written: its slot waits for that in idx_pend, rather than
 * have the stage written for it (a pwrite() of 64 KiB, not 256).
 */
static void
ring_index_note(struct mml_ring *r, uint64_t off,
    const struct mml_rec_hdr *hdr)
{
	struct mml_idx_slot slot;
	uint64_t b = off >> r->idx_shift;

	sigjmp_buf *volatile outer = map_jmp;
	sigjmp_buf jb;

	if (b == r->idx_bucket)
		return;
	r->idx_bucket = b;
	mml_idx_slot_make(&slot, hdr->seq, hdr->realtime_usec, off, r->crc_seed);
	if (r->stage_len > 0) {
		if (r->n_idx_pend == sizeof(r->idx_pend) / sizeof(r->idx_pend[0]))
			(void)mml_ring_flush(r);
		/* Still full (an I/O error): left out, as if it faulted. */
		if (r->n_idx_pend == sizeof(r->idx_pend) / sizeof(r->idx_pend[0]))
			return;
		if (r->stage_len > 0) {
			r->idx_pend[r->n_idx_pend].b = b;
			r->idx_pend[r->n_idx_pend].slot = slot;
			r->n_idx_pend++;
			return;
		}
	}
	/*
	 * The entry is whole and visible already: a fault on the index page
	 * (the file cut to the end of the data) must not fail it, or its seq
	 * would be handed out again.  The slot is skipped; the size restored.
	 */
	if (sigsetjmp(jb, 0) != 0) {
		ring_map_guard(outer);
		(void)ring_repair(r);
		return;
	}
	ring_map_guard(&jb);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	ring_store(r, (uint64_t)((uint8_t *)&r->idx[b] - r->map), &slot,
	    sizeof(slot));
	ring_map_guard(outer);
}

/*
 * The slots ring_index_note() kept, once the stage is in the file
 * (mml_ring_flush()); a fault on the index page skips them.
 */
static void
ring_index_store_pending(struct mml_ring *r)
{
	sigjmp_buf *volatile outer = map_jmp;
	sigjmp_buf jb;
	volatile unsigned i;

	if (r->n_idx_pend == 0)
		return;
	if (sigsetjmp(jb, 0) != 0) {
		ring_map_guard(outer);
		r->n_idx_pend = 0;
		(void)ring_repair(r);
		return;
	}
	ring_map_guard(&jb);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (i = 0; i < r->n_idx_pend; i++)
		ring_store(r, (uint64_t)((uint8_t *)&r->idx[r->idx_pend[i].b] -
		    r->map), &r->idx_pend[i].slot, sizeof(r->idx_pend[i].slot));
	r->n_idx_pend = 0;
	ring_map_guard(outer);
}

/*
 * At open, before anything is appended: slots that are damaged, or name
 * a seq the recovered ring does not have, are cleared and counted.  The
 * records named are read only for slots the last writer may have left
 * ahead of the disk (a dirty ring, seqs past the durable cursor at
 * open): reading one record per bucket of a cold ring would cost a
 * second per GiB at every start, and readers prove every slot they use
 * anyway.  Slots of evicted records are left: readers skip them.
 */
void
ring_index_check(struct mml_ring *r, uint64_t durable_seq)
{
	struct mml_idx_slot slot;
	struct mml_rec rec;
	uint64_t b, end = r->next_seq - r->lost_seqs;
	int st;

	r->idx_damaged = 0;
	for (b = 0; b < r->idx_slots; b++) {
		memcpy(&slot, &r->idx[b], sizeof(slot));
		st = mml_idx_slot_check(&slot, r->cap, b, r->crc_seed);
		if (st == 0)
			continue;
		if (st == 1 && slot.seq < end) {
			if (slot.seq < r->tail_seq || !r->was_dirty ||
			    slot.seq <= durable_seq)
				continue;
			if (ring_rec_at(r, slot.off, slot.seq, 1, &rec) &&
			    rec.hdr.type == MML_REC_ENTRY &&
			    rec.hdr.seq == slot.seq &&
			    rec.hdr.realtime_usec == slot.realtime_usec)
				continue;
		}
		memset(&r->idx[b], 0, sizeof(slot));
		r->idx_damaged++;
	}
	if (r->idx_damaged > 0)
		mml_log(LOG_WARNING, "ring '%s': %llu of %llu seek index slots "
		    "did not match their records; cleared", r->path,
		    (unsigned long long)r->idx_damaged,
		    (unsigned long long)r->idx_slots);
}

/*
 * Maps the ring open at fd, whose header is h, and makes its struct.
 * Returns 0 and *ret, which then owns fd, or -errno after logging why.
 */
static int
ring_map(int fd, const char *path, const struct mml_disk_header *h,
    struct mml_ring **ret)
{
	struct mml_ring *r;
	size_t map_len;
	void *map;

	if (mml_disk_file_size(h) > SIZE_MAX)
		return mml_log_errno(EFBIG, "ring '%s' is too large to map here",
		    path);
	map_len = (size_t)mml_disk_file_size(h);
	map = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return mml_log_errno(errno, "mmap '%s'", path);
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->path = strdup(path)) == NULL) {
		(void)munmap(map, map_len);
		free(r);
		return -ENOMEM;
	}
	r->fd = fd;
	r->map = map;
	r->map_len = map_len;
	r->hdr = map;
	r->data = r->map + MML_DISK_HEADER_SIZE;
	r->cap = h->capacity;
	r->crc_seed = mml_disk_crc_seed(h);
	r->idx = (struct mml_idx_slot *)(void *)(r->map +
	    mml_idx_file_off(h->capacity));
	r->idx_slots = mml_idx_slots(h->capacity);
	r->idx_shift = mml_idx_shift(h->capacity);
	r->idx_bucket = UINT64_MAX;
	if (h->incompat_flags & MML_INCOMPAT_META) {
		r->meta_table = r->map + mml_meta_file_off(h->capacity);
		r->meta_slots = mml_meta_slots(h->capacity);
	}
	if (h->compat_flags & MML_COMPAT_BOOTS)
		r->boots = (struct mml_boot *)(void *)(r->map +
		    MML_BOOT_TABLE_OFF);
	mml_boot_id(r->boot_id);
	/* Test hooks (mmlogd(8), TESTING). */
	r->test_stall_file = getenv("MMLOGD_TEST_SYNC_STALL_FILE");
	r->test_fail_file = getenv("MMLOGD_TEST_SYNC_FAIL_FILE");
	*ret = r;
	return 0;
}

/*
 * From now on a SIGBUS on the map (the file truncated under us) jumps
 * back to the guard set by ring_map_guard() instead of killing the daemon.
 */
static void
sigbus_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigbus_handler;
	/*
	 * SA_NODEFER: we leave the handler by siglongjmp() without
	 * restoring the mask, and a second SIGBUS must find it open.
	 */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGBUS, &sa, NULL);
}

/*
 * Recovers the freshly mapped ring (ring_recover()) under the SIGBUS
 * guard, and keeps its static header to rebuild a lost one.  Returns 0,
 * or -errno after logging why.
 */
static int
ring_open_recover(struct mml_ring *r)
{
	sigjmp_buf jb;
	int e;

	if (sigsetjmp(jb, 0) != 0) {
		ring_map_guard(NULL);
		mml_log(LOG_ERR, "ring '%s' changed size while it was being "
		    "opened", r->path);
		return -EIO;
	}
	ring_map_guard(&jb);
	e = ring_recover(r);
	/*
	 * A ring numbered within a reservation of MML_SEQ_MAX (only a
	 * crafted or damaged header gets there) must not keep a limit above
	 * it: no reader would accept the header.  It takes no entry anyway
	 * (ring_append()) until a rotate-id restarts the numbering.
	 */
	if (e == 0 && r->hdr->seq_limit > MML_SEQ_MAX &&
	    r->next_seq <= MML_SEQ_MAX) {
		r->hdr->seq_limit = MML_SEQ_MAX;
		r->seq_limit = MML_SEQ_MAX;
		if (msync(r->map, MML_DISK_HEADER_SIZE, MS_SYNC) < 0)
			e = mml_log_errno(errno, "msync '%s' header", r->path);
	}
	if (e == 0) {
		memcpy(&r->static_hdr, r->hdr, sizeof(r->static_hdr));
		r->recovered = 1;
	}
	ring_map_guard(NULL);
	return e;
}

int
mml_ring_open(const char *path, uint64_t size, int size_explicit,
    uint64_t min_cap, struct mml_ring **ret)
{
	struct mml_ring *r = NULL;
	struct mml_disk_header h;
	int e, fd;

	fd = mml_ringfile_open(path, size, size_explicit, min_cap, &h);
	if (fd < 0)
		return fd;
	e = ring_map(fd, path, &h, &r);
	if (e < 0) {
		(void)close(fd);
		return e;
	}
	sigbus_install();
	e = ring_open_recover(r);
	if (e == 0)
		e = mml_ring_set_write(r, MML_RING_WRITE_DEFAULT);
	if (e < 0) {
		r = mml_ring_close(r);
		return e;
	}
	if (r->lost_seqs > 0)
		ring_mark_gap(r);
	*ret = r;
	return 0;
}

/*
 * The first record after a jump in numbering says so, in the ring: a
 * reader tells a legitimate jump (this record, flagged as the daemon's,
 * with MMLOG_SEQ_GAP equal to the jump) from damage (anything else).
 */
static void
ring_mark_gap(struct mml_ring *r)
{
	char msg[200];
	int n;

	n = snprintf(msg, sizeof(msg), "sequence numbers %llu..%llu were "
	    "assigned before an unclean shutdown (power loss or crash of the "
	    "machine) and never became durable; their entries are lost",
	    (unsigned long long)(r->next_seq - r->lost_seqs),
	    (unsigned long long)(r->next_seq - 1));
	if (mml_ring_append_note(r, (uint32_t)getpid(), (uint32_t)getuid(),
	    (uint32_t)getgid(), "mmlogd", 6, msg, (size_t)n, "MMLOG_SEQ_GAP",
	    r->lost_seqs) < 0)
		mml_log(LOG_ERR, "ring '%s': cannot record the gap in sequence "
		    "numbers", r->path);
}

int
mml_ring_append_note(struct mml_ring *r, uint32_t pid, uint32_t uid,
    uint32_t gid, const char *comm, size_t comm_len, const char *msg,
    size_t msg_len, const char *key, uint64_t value)
{
	return mml_ring_append_note_at(r, mml_now_usec(CLOCK_REALTIME),
	    mml_now_usec(CLOCK_MONOTONIC), pid, uid, gid, comm, comm_len, msg,
	    msg_len, key, value);
}

int
mml_ring_append_note_at(struct mml_ring *r, uint64_t rt, uint64_t mono,
    uint32_t pid, uint32_t uid, uint32_t gid, const char *comm,
    size_t comm_len, const char *msg, size_t msg_len, const char *key,
    uint64_t value)
{
	struct mml_rec_hdr h;
	char num[24];
	uint8_t fields[4 + MML_FIELD_KEY_MAX + 1 + sizeof(num)];
	size_t flen = 0;
	uint64_t seq;
	int n;

	n = snprintf(num, sizeof(num), "%llu", (unsigned long long)value);
	(void)mml_fields_append(fields, sizeof(fields), &flen, key,
	    strlen(key), num, (size_t)n);
	memset(&h, 0, sizeof(h));
	h.priority = LOG_WARNING;
	h.flags = MML_REC_F_DAEMON;
	h.comm_len = (uint8_t)(comm_len > MML_COMM_MAX ? MML_COMM_MAX :
	    comm_len);
	h.tag_len = 6;
	h.msg_len = (uint32_t)msg_len;
	h.fields_len = (uint32_t)flen;
	h.realtime_usec = rt;
	h.monotonic_usec = mono;
	h.pid = pid;
	h.uid = uid;
	h.gid = gid;
	return mml_ring_append(r, &h, comm, "mmlogd", msg, fields, &seq);
}

/* Counts bytes the head wrote since the open (ring_evict_one()). */
static void
ring_own(struct mml_ring *r, uint64_t len)
{
	r->own_bytes = len >= r->cap - r->own_bytes ? r->cap :
	    r->own_bytes + len;
}

/* Advances the tail past one record (or damaged bytes). */
static void
ring_evict_one(struct mml_ring *r)
{
	struct mml_walk w;
	struct mml_walk_pos pos = { r->tail_off, r->tail_seq };
	struct mml_rec rec;
	int ok;

	/*
	 * A record newer than anything written is not ours: after damage
	 * the tail steps through client bytes, which may imitate a record.
	 */
	ok = ring_rec_at(r, r->tail_off, r->tail_seq, r->tail_damaged, &rec) &&
	    rec.hdr.seq <= r->next_seq;
	/*
	 * Our own record at the tail carries exactly tail_seq.  Any other
	 * seq (a jump after a power loss, or a damaged seq field) is
	 * believed only if the CRC vouches for it.
	 */
	if (ok && rec.hdr.seq != r->tail_seq && !r->tail_damaged)
		ok = ring_rec_at(r, r->tail_off, r->tail_seq, 1, &rec) &&
		    rec.hdr.seq <= r->next_seq;
	/*
	 * Entries numbered since this open are ours, one after the other
	 * from start_off: until the tail reaches there, a record that
	 * claims such a seq elsewhere is another chain's (stale or forged)
	 * and must not become the tail, or readers would start inside our
	 * newest records and miss them.
	 */
	if (ok && rec.hdr.type == MML_REC_ENTRY &&
	    rec.hdr.seq >= r->start_seq && r->tail_seq <= r->start_seq &&
	    r->tail_off != r->start_off && r->own_bytes < r->cap)
		ok = 0;
	/*
	 * Stepping through damage, any record whose CRC checks ends the
	 * steps.  (Demanding a long chain after it, as recovery's search
	 * does, would evict whole runs of good entries in a ring with
	 * scattered damage; a forged record inside a message could end the
	 * steps early, which only moves the tail, never the head.)
	 */
	if (ok && rec.hdr.type == MML_REC_WRAP) {
		/*
		 * The rest of the region goes with it.  The tail keeps its
		 * seq: the entry at 0 vouches for its own, a WRAP for none.
		 */
		r->tail_damaged = 0;
		r->tail_off = 0;
	} else if (ok) {
		r->tail_damaged = 0;
		ring_tail_prefetch(r, rec.off, rec.size);
		mml_walk_init(&w, r->data, r->cap, r->next_seq, r->head_off, r->crc_seed);
		mml_walk_advance(&w, &pos, &rec);
		r->tail_off = pos.off;
		r->tail_seq = pos.seq;
		/* Counted with the tail (ring_publish_tail()). */
		r->pend_overwritten++;
	} else {
		/*
		 * Damaged bytes (bit rot) at the tail: step over them until a
		 * record checks again; readers report the gap.
		 */
		r->tail_off = mml_walk_skip(r->cap, r->tail_off);
		r->corrupt_skips += MML_DISK_ALIGN;
		/*
		 * Until a record checks whole again, CRC included: the steps
		 * go through payload bytes a client chose.
		 */
		r->tail_damaged = 1;
	}
	if (r->tail_off == r->head_off) {
		/* Everything went: the ring is empty. */
		r->tail_seq = r->next_seq;
	}
}

/*
 * The tail's records were written a lap ago, long out of the caches, and
 * each append reads the header of the next one to evict, which only the
 * one before it locates.  So as the tail steps over len bytes at off,
 * the lines starting TAIL_AHEAD further on in its first 256 bytes are
 * asked for, each once (a prefetch past the region never faults).
 */
#define TAIL_AHEAD	4096

static inline void
ring_tail_prefetch(const struct mml_ring *r, uint64_t off, uint64_t len)
{
	uint64_t a, end;

	if (len > 256)
		len = 256;
	a = off + TAIL_AHEAD;
	while (a >= r->cap)
		a -= r->cap;
	end = a + len;
	for (a = (a + 63) & ~(uint64_t)63; a < end; a += 64)
		__builtin_prefetch(r->data + a);
}

/*
 * Moves the tail out of [head_off, head_off + len) before that range is
 * overwritten.  The new tail is published before any byte of the range
 * changes, so a reader that copied an old record and then sees the tail
 * unmoved knows its copy was whole.
 */
static void
ring_make_room(struct mml_ring *r, uint64_t len)
{
	int moved = 0;

	while (r->tail_seq != r->next_seq && r->tail_off >= r->head_off &&
	    r->tail_off - r->head_off < len) {
		ring_evict_one(r);
		moved = 1;
	}
	if (!moved)
		return;
	/*
	 * With pwrite() the range is overwritten only when the stage is
	 * written (mml_ring_flush()): the tail goes into the header then,
	 * so that a kill before leaves the records of the range in the
	 * ring, as they still are in the file.  Through the map, the
	 * stores that overwrite the range follow at once: the tail goes
	 * now, and the full fence drains the store buffer before them.
	 */
	r->tail_unpub = 1;
	if (r->wmethod == MML_RING_WRITE_PWRITE)
		return;
	ring_publish_tail(r);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * The tail moved by ring_make_room() goes into the header, before the
 * stage that overwrites what it left is written: the pwrite() comes
 * from the kernel on this thread, so ordering stores before stores is
 * enough (free on x86).  Under the caller's map guard.
 */
static void
ring_publish_tail(struct mml_ring *r)
{
	if (!r->tail_unpub)
		return;
	r->tail_unpub = 0;
	r->hdr->entries_overwritten += r->pend_overwritten;
	r->pend_overwritten = 0;
	__atomic_store_n(&r->hdr->tail_off, r->tail_off, __ATOMIC_RELAXED);
	__atomic_store_n(&r->hdr->tail_seq, r->tail_seq, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

/*
 * The loop ran out of sequence numbers reserved on disk before a sync
 * job could move the limit: persist a new limit here.  This blocks the
 * loop for one header msync; with SEQ_RESERVE it needs over 16 million
 * entries between two syncs.
 */
static int
ring_reserve_seqs(struct mml_ring *r)
{
	uint64_t limit = seq_limit_ahead(r->next_seq);
	int e;

	r->hdr->seq_limit = limit;
	if (msync(r->map, MML_DISK_HEADER_SIZE, MS_SYNC) < 0) {
		/* It took the write error from the ring's own file. */
		e = mml_log_errno(errno, "msync '%s' header", r->path);
		r->unsynced = r->cap;
		ring_redirty(r);
		return e;
	}
	r->seq_limit = limit;
	return 0;
}

int
mml_ring_append(struct mml_ring *r, struct mml_rec_hdr *hdr,
    const void *comm, const void *tag, const void *msg, const void *fields,
    uint64_t *ret_seq)
{
	return mml_ring_append_meta(r, hdr, comm, tag, msg, fields, NULL,
	    ret_seq);
}

int
mml_ring_append_meta(struct mml_ring *r, struct mml_rec_hdr *hdr,
    const void *comm, const void *tag, const void *msg, const void *fields,
    const struct mml_meta *meta, uint64_t *ret_seq)
{
	sigjmp_buf jb;
	volatile int again = 1;
	int e;

	if (sigsetjmp(jb, 0) != 0) {
		ring_map_guard(NULL);
		if (!r->meta_busy || !again)
			return ring_bus_error(r);
		/*
		 * The metadata table's pages went (the file cut short under
		 * us; they are its last): nothing of the entry is written
		 * yet, so once the size is back it goes in, its fields
		 * found again in the table the repair left (zeros), not lost.
		 */
		r->meta_busy = 0;
		again = 0;
		r->bus_errors++;
		if (ring_repair(r) < 0)
			return -EIO;
	}
	ring_map_guard(&jb);
	e = ring_append(r, hdr, comm, tag, msg, fields, meta, ret_seq);
	ring_map_guard(NULL);
	return e;
}

/*
 * A record does not fit before the end of the data region: the rest is
 * marked unused (a WRAP record, if it has room for one) and the head
 * goes round to 0.  Returns 0, or -EIO if the WRAP could not be staged.
 */
static int
ring_go_round(struct mml_ring *r, uint64_t realtime_usec)
{
	uint64_t rest = r->cap - r->head_off;
	uint8_t *dst;

	ring_make_room(r, rest);
	if (rest >= MML_REC_HDR) {
		dst = ring_reserve(r, r->head_off, MML_REC_HDR);
		if (dst == NULL)
			return -EIO;
		mml_disk_wrap_write(dst, r->next_seq, realtime_usec,
		    r->crc_seed);
	}
	r->unsynced += rest;
	ring_own(r, rest);
	r->head_off = 0;
	r->wrapped = 1;
	r->idx_bucket = UINT64_MAX;
	r->pend_wraps++;
	return 0;
}

int
ring_append(struct mml_ring *r, struct mml_rec_hdr *hdr,
    const void *comm, const void *tag, const void *msg, const void *fields,
    const struct mml_meta *meta, uint64_t *ret_seq)
{
	struct mml_disk_header *h = r->hdr;
	uint64_t size, seq, guard, off;
	uint8_t *dst;
	int e;

	hdr->flags &= (uint16_t)~MML_REC_F_META;
	hdr->meta = 0;
	size = mml_disk_rec_size(hdr->comm_len, hdr->tag_len, hdr->msg_len,
	    hdr->fields_len);
	if (size > r->cap / 4)
		return -EMSGSIZE;
	/*
	 * The reservation ahead (seq_limit, next_seq + SEQ_RESERVE) must
	 * stay within MML_SEQ_MAX, or the header becomes one that neither
	 * readers nor the next open accept, and the entries acknowledged
	 * now would be unreadable: past that, refuse.
	 */
	if (r->next_seq >= MML_SEQ_MAX - SEQ_RESERVE)
		return -EOVERFLOW;
	if (r->next_seq >= r->seq_limit) {
		e = ring_reserve_seqs(r);
		if (e < 0)
			return e;
	}
	/*
	 * Staged records touch no page of the map: a header page lost to
	 * truncation must fault here, before anything changes, as a store
	 * into the map does in the other modes, not in the counters below.
	 */
	if (r->wmethod == MML_RING_WRITE_PWRITE)
		(void)*(volatile const uint64_t *)&h->entries_written;
	if (meta != NULL && meta->len > 0) {
		ring_meta_attach(r, hdr, &fields, meta);
		size = mml_disk_rec_size(hdr->comm_len, hdr->tag_len,
		    hdr->msg_len, hdr->fields_len);
		if (size > r->cap / 4)
			return -EMSGSIZE;
	}
	/* A new boot's entry comes before its first record. */
	if (r->boot_pending && !r->boot_hold) {
		hdr->seq = r->next_seq;
		ring_boot_note(r, hdr);
	}
	if (r->cap - r->head_off < size && (e = ring_go_round(r,
	    hdr->realtime_usec)) < 0)
		return e;
	/*
	 * The slot after the new record, where the head will be, is cleared
	 * first: what an older lap left there may be message bytes a client
	 * shaped like a record, and readers and recovery look there for the
	 * next record.  (At the implicit wrap the head goes to 0, which is
	 * always a record's start.)
	 */
	guard = r->cap - r->head_off - size >= MML_REC_HDR ? MML_REC_HDR : 0;
	ring_make_room(r, size + guard);
	off = r->head_off;
	dst = ring_reserve(r, off, size + guard);
	if (dst == NULL)
		return -EIO;
	if (guard)
		memset(dst + size, 0, guard);
	seq = r->next_seq;
	hdr->type = MML_REC_ENTRY;
	hdr->seq = seq;
	(void)mml_disk_rec_write(dst, hdr, comm, tag, msg, fields,
	    r->crc_seed);
	r->next_seq++;
	r->unsynced += size;
	ring_own(r, size);
	r->head_off = mml_disk_next_off(r->cap, off, size);
	if (r->head_off == 0) {
		r->wrapped = 1;
		r->pend_wraps++;
	}
	r->pend_entries++;
	r->pend_bytes += size;
	/*
	 * The record is whole: the index may name it (with
	 * MML_RING_WRITE_PWRITE, once the stage is written), and readers
	 * may see it, now or when the stage is written (mml_ring_defer()).
	 */
	ring_index_note(r, off, hdr);
	if (r->head_off == 0)
		r->idx_bucket = UINT64_MAX;
	if (r->wmethod != MML_RING_WRITE_PWRITE)
		ring_publish_head(r);
	else if (!r->defer)
		(void)mml_ring_flush(r);
	*ret_seq = seq;
	return 0;
}

struct mml_ring *
mml_ring_close(struct mml_ring *r)
{
	struct mml_sync_job job;

	if (r == NULL)
		return NULL;
	if (r->map != NULL && r->recovered) {
		sigjmp_buf jb;

		/* Each slot's last entry, for the next open to know. */
		if (r->metatab != NULL) {
			if (sigsetjmp(jb, 0) == 0) {
				ring_map_guard(&jb);
				mml_metatab_seal(r->metatab);
			}
			ring_map_guard(NULL);
		}
		mml_ring_sync_prepare(r, &job);
		mml_ring_sync_run(r, &job);
		if (job.result == 0)
			ring_cursor_store(r, job.durable_off, job.durable_seq);
		if (job.result == 0 && sigsetjmp(jb, 0) != 0) {
			ring_map_guard(NULL);
			job.result = -EIO;
		} else if (job.result == 0) {
			/* Clean only if everything is durable. */
			ring_map_guard(&jb);
			r->hdr->state = MML_STATE_CLEAN;
			ring_map_guard(NULL);
			if (msync(r->map, MML_DISK_HEADER_SIZE, MS_SYNC) < 0)
				(void)mml_log_errno(errno, "msync '%s'",
				    r->path);
		}
		if (job.result != 0)
			(void)mml_log_errno(job.result, "final sync of '%s'",
			    r->path);
	}
	if (r->map != NULL)
		(void)munmap(r->map, r->map_len);
	if (r->fd >= 0)
		(void)close(r->fd);
	(void)mml_metatab_free(r->metatab);
	free(r->stage);
	free(r->inline_buf);
	free(r->path);
	free(r);
	return NULL;
}

void
mml_ring_skip_to(struct mml_ring *r, uint64_t seq)
{
	if (seq <= r->next_seq)
		return;
	(void)mml_ring_flush(r);
	if (r->tail_seq == r->next_seq)
		r->tail_seq = seq;	/* empty: the tail waits there too */
	r->next_seq = seq;
	r->pub_seq = seq;
	ring_publish(r);
}

int
mml_ring_create_like(const char *path, uint64_t cap,
    const struct mml_ring *like)
{
	return mml_ringfile_create_like(path, cap, like->fd, like->hdr);
}

void
mml_ring_take_history(struct mml_ring *r, const struct mml_ring *old,
    uint64_t discarded)
{
	const struct mml_disk_header *o = old->hdr;

	r->hdr->entries_written = o->entries_written;
	r->hdr->entries_overwritten = o->entries_overwritten + discarded;
	r->hdr->wraps = o->wraps;
	r->hdr->bytes_written = o->bytes_written;
	r->hdr->opens = o->opens;
	r->hdr->dirty_opens = o->dirty_opens;
}

int
mml_ring_set_owner(struct mml_ring *r, uid_t uid, gid_t gid)
{
	if (fchown(r->fd, uid, gid) < 0)
		return mml_log_errno(errno, "chown ring '%s' to %d:%d", r->path,
		    (int)uid, (int)gid);
	if (fchmod(r->fd, 0640) < 0)
		return mml_log_errno(errno, "chmod ring '%s'", r->path);
	return 0;
}

int
mml_ring_reopen(const struct mml_ring *r)
{
	char p[64];

	(void)snprintf(p, sizeof(p), "/proc/self/fd/%d", r->fd);
	return open(p, O_RDWR | O_CLOEXEC);
}

void
mml_ring_reset_counters(struct mml_ring *r)
{
	r->corrupt_skips = 0;
	r->bus_errors = 0;
}

void
mml_ring_get_state(struct mml_ring *r, struct mml_ring_state *ret)
{
	(void)mml_ring_flush(r);
	ret->next_seq = r->next_seq;
	ret->durable_seq = r->durable_seq;
	ret->corrupt_skips = r->corrupt_skips;
	ret->bus_errors = r->bus_errors;
	ret->lost_seqs = r->lost_seqs;
}

const char *
mml_ring_path(const struct mml_ring *r)
{
	return r->path;
}

uint64_t
mml_ring_capacity(const struct mml_ring *r)
{
	return r->cap;
}

uint32_t
mml_ring_crc_seed(const struct mml_ring *r)
{
	return r->crc_seed;
}

uint64_t
mml_ring_next_seq(const struct mml_ring *r)
{
	return r->next_seq;
}

uint64_t
mml_ring_durable_seq(const struct mml_ring *r)
{
	return r->durable_seq;
}

uint64_t
mml_ring_tail_seq(const struct mml_ring *r)
{
	return r->tail_seq;
}

uint64_t
mml_ring_tail_off(const struct mml_ring *r)
{
	return r->tail_off;
}

uint64_t
mml_ring_head_off(const struct mml_ring *r)
{
	return r->head_off;
}

uint64_t
mml_ring_unsynced(const struct mml_ring *r)
{
	return r->unsynced;
}

int
mml_ring_cursor_unflushed(const struct mml_ring *r)
{
	return r->cursor_unflushed;
}

const struct mml_disk_header *
mml_ring_header(struct mml_ring *r)
{
	(void)mml_ring_flush(r);
	return r->hdr;
}

const uint8_t *
mml_ring_data(struct mml_ring *r)
{
	(void)mml_ring_flush(r);
	return r->data;
}
