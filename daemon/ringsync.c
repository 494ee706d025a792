/*
 * ringsync.c: making the ring durable.  The loop thread prepares a sync
 * job (what to flush, and the cursor it may then persist), the sync
 * thread runs it (sync.c: msync/fdatasync, then the header), and the
 * loop applies it when done: the durable cursor moves only past data
 * that is on disk.  Part of the ring (ring_internal.h).
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

int
mml_ring_dirty(const struct mml_ring *r)
{
	return r->unsynced != 0;
}

static void
add_range(struct mml_sync_job *job, uint64_t off, uint64_t end)
{
	if (end <= off)
		return;
	job->range[job->n_range].off = off;
	job->range[job->n_range].len = end - off;
	job->n_range++;
}

void
mml_ring_sync_prepare(struct mml_ring *r, struct mml_sync_job *job)
{
	sigjmp_buf jb;
	int e;

	/* What the job covers must be in the file; else it fails. */
	e = mml_ring_flush(r);
	memset(job, 0, sizeof(*job));
	job->unwritten = e < 0;
	if (r->unsynced >= r->cap) {
		add_range(job, 0, r->cap);
	} else if (!r->wrapped) {
		add_range(job, r->synced_off, r->head_off);
	} else {
		add_range(job, r->synced_off, r->cap);
		add_range(job, 0, r->head_off);
	}
	job->fd = -1;
	job->cursor_seq = r->durable_seq;
	job->repairs = r->repairs;
	job->restarts = r->restarts;
	job->durable_off = r->head_off;
	job->durable_seq = r->next_seq - 1;
	/* Slots written since: durable before the records naming them. */
	if (r->metatab != NULL) {
		mml_metatab_take_dirty(r->metatab, &job->meta_off,
		    &job->meta_len);
		if (job->meta_len > 0)
			job->meta_off += (uint64_t)(r->meta_table - r->map);
	}
	r->synced_off = r->head_off;
	r->unsynced = 0;
	r->wrapped = 0;
	/*
	 * Reserve sequence numbers ahead: the msync of this job persists
	 * the new limit, and the loop uses it once the job is done.
	 */
	job->seq_limit = seq_limit_ahead(r->next_seq);
	if (sigsetjmp(jb, 0) == 0) {
		ring_map_guard(&jb);
		r->hdr->seq_limit = job->seq_limit;
	} else
		job->seq_limit = r->seq_limit;
	ring_map_guard(NULL);
}

/*
 * Whether the file at the ring's path is no longer the one open as fd:
 * removed (rm), or replaced (mv over it, a restored copy).  What is
 * written to fd then goes where neither a reader nor the next start
 * looks, and is lost when the daemon closes it.  A path that cannot be
 * looked at (EACCES) proves nothing and counts as the ring's.
 */
static int
ring_file_gone(const struct mml_ring *r, int fd)
{
	struct stat fst, pst;

	if (fstat(fd, &fst) < 0)
		return 0;
	if (fst.st_nlink == 0)
		return 1;
	if (stat(r->path, &pst) < 0)
		return errno == ENOENT || errno == ENOTDIR;
	return pst.st_dev != fst.st_dev || pst.st_ino != fst.st_ino;
}

/*
 * Runs on a sync thread.  One fdatasync() writes the job's data and the
 * header page, which carries this job's sequence limit and the cursor
 * of the jobs done before it: one flush of the disk per job.  (For a
 * shared mapping it is what msync() does: the kernel writes the file's
 * dirty pages, whether dirtied through the map or not.)  Each thread
 * syncs through a descriptor of its own: the kernel reports a write
 * error once per open file, and several jobs may be out at once, so a
 * shared one could tell the error to one job while another, whose data
 * the failed pages held, returned success.  With one file per thread,
 * every job that waited on the failed pages sees the error.
 *
 * Only once a job returned does the loop move the cursor (see
 * mml_ring_sync_done()); the new cursor reaches the disk with a later
 * job or at close.  So the cursor on disk never runs ahead of durable
 * data, and recovery scans forward from it over whole, CRC-checked
 * records.
 */
void
mml_ring_sync_run(struct mml_ring *r, struct mml_sync_job *job)
{
	struct stat st;
	uint64_t t0;
	int fd, e;

	job->result = 0;
	/*
	 * Test hooks (mmlogd(8), TESTING): hold the sync while a file
	 * exists, or fail it as an I/O error would.
	 */
	while (r->test_stall_file != NULL &&
	    access(r->test_stall_file, F_OK) == 0)
		(void)usleep(10000);
	if (r->test_fail_file != NULL && access(r->test_fail_file, F_OK) == 0) {
		job->result = -EIO;
		mml_log(LOG_DEBUG, "sync: failing on purpose (test hook)");
		return;
	}
	/* Records it covers never reached the file (mml_ring_flush()). */
	if (job->unwritten) {
		job->result = -EIO;
		return;
	}
	fd = job->fd >= 0 ? job->fd : r->fd;
	/*
	 * A ring removed or replaced under us: its data is durable in a
	 * file nobody will read again, which is no durability to
	 * acknowledge (-ESTALE, which the server reports as such).
	 */
	if (ring_file_gone(r, fd)) {
		job->result = -ESTALE;
		return;
	}
	t0 = mml_now_nsec(CLOCK_MONOTONIC);
	/*
	 * Metadata slots first, in a flush of their own: a record that
	 * reaches the disk names a slot that is there.  Only for jobs that
	 * follow new slots (a new sender's first entries).
	 */
	e = job->meta_len > 0 && msync(r->map + job->meta_off,
	    (size_t)job->meta_len, MS_SYNC) < 0 ? errno : 0;
	if (e == 0)
		e = fdatasync(fd) < 0 ? errno : 0;
	/* Rounded up: on tmpfs a sync takes under a microsecond, not none. */
	job->sync_usec = (mml_now_nsec(CLOCK_MONOTONIC) - t0 + 999) / 1000;
	if (e != 0) {
		job->result = -e;
		return;
	}
	/*
	 * A file truncated under us syncs fine, without the pages it lost:
	 * that is no durability to acknowledge.  The loop repairs the size.
	 */
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < r->map_len)
		job->result = -EIO;
}

/*
 * Moves the header's cursor to a job's durable data.  Only the loop
 * thread writes it, in one place, so the pair (offset, seq) is never
 * mixed from two jobs.
 */
void
ring_cursor_store(struct mml_ring *r, uint64_t off, uint64_t seq)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 0) != 0) {
		/* The file was truncated: give it back its size and header. */
		ring_map_guard(NULL);
		(void)ring_bus_error(r);
		return;
	}
	ring_map_guard(&jb);
	__atomic_store_n(&r->hdr->durable_off, off, __ATOMIC_RELAXED);
	__atomic_store_n(&r->hdr->durable_seq, seq, __ATOMIC_RELAXED);
	r->hdr->durable_usec = mml_now_usec(CLOCK_REALTIME);
	ring_map_guard(NULL);
}

/*
 * After a failed sync the kernel has marked the pages it could not write
 * clean, and reports the error once per open file: a later sync would
 * succeed without writing them, and we would acknowledge data that is
 * not on disk.  The failed pages may be anywhere a sync wrote (it writes
 * the whole file, also what was appended after the job was made, and
 * another thread's job may have been the one to see the error), so
 * every page of the header and the data is touched, and the next sync
 * writes them all again.  Errors are rare; correctness is not.
 */
void
ring_redirty(struct mml_ring *r)
{
	long pg = sysconf(_SC_PAGESIZE);

	/* The index and the metadata slots too: all of the map. */
	ring_redirty_range(r, r->map_len, pg > 0 ? (uint64_t)pg : 4096);
	if (r->metatab != NULL)
		mml_metatab_dirty_all(r->metatab);
}

void
ring_redirty_range(struct mml_ring *r, uint64_t end, uint64_t pg)
{
	sigjmp_buf *volatile outer = ring_map_guarded();	/* called under a guard too */
	volatile uint64_t o;
	sigjmp_buf jb;

	if (sigsetjmp(jb, 0) != 0) {
		ring_map_guard(outer);
		return;
	}
	ring_map_guard(&jb);
	for (o = 0; o < end; o += pg) {
		volatile uint8_t *p = r->map + o;

		*p = *p;
	}
	ring_map_guard(outer);
}

void
mml_ring_sync_done(struct mml_ring *r, struct mml_sync_job *job)
{
	/*
	 * The file was truncated and restored while the job was out: it may
	 * have synced the file without the pages lost, and fstat() after the
	 * repair cannot tell.
	 */
	if (job->result == 0 && job->repairs != r->repairs)
		job->result = -EIO;
	if (job->result < 0) {
		/* Nothing in this job is known durable: sync it again next time. */
		r->unsynced = r->cap;
		(void)ring_repair(r);
		ring_redirty(r);
		return;
	}
	/*
	 * Made before the numbering restarted: its seqs and limit are the
	 * old numbering's, and the restart made everything durable.
	 */
	if (job->restarts != r->restarts)
		return;
	/* Jobs may finish out of order: the cursor only moves forward. */
	if (job->durable_seq > r->durable_seq) {
		r->durable_seq = job->durable_seq;
		r->durable_off = job->durable_off;
		ring_cursor_store(r, r->durable_off, r->durable_seq);
		mml_log(LOG_DEBUG, "sync: durable up to seq %llu",
		    (unsigned long long)job->durable_seq);
	}
	/* The header this job wrote holds the cursor of its preparation. */
	r->cursor_unflushed = r->durable_seq != job->cursor_seq;
	/* The limit written before the job is on disk now. */
	if (job->seq_limit > r->seq_limit)
		r->seq_limit = job->seq_limit;
}
