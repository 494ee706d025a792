/*
 * resize.c: migrating a ring to another capacity, at start, when the
 * configured size differs from the existing ring's; and converting a
 * ring with unkeyed record CRCs (an older mmlogd's) to a keyed one of
 * the same size, the same way (proto/FORMAT.md, Versioning).
 *
 * The old ring is opened (locked and recovered) as usual.  A new ring of
 * the wanted size is built beside it, under PATH.resize, with the old
 * ring's id and creation time: every entry is appended, oldest first,
 * through the ring's own append, keeping its sequence number, times,
 * credentials and flags; the ring's own eviction makes room, so what
 * remains is exactly the newest entries a ring of that size holds.  The
 * new ring is synced and closed clean, fsync'd, and only then renamed
 * over PATH; the directory is fsync'd before anything is written to it.
 *
 * Crash safety: until rename(2), PATH is the old ring, untouched but for
 * what any open does (recovery, the header's counters); a half-built
 * PATH.resize is removed by the next attempt.  After rename(2) PATH is the
 * new ring, complete and durable.  The old file is not kept: rename(2)
 * replaces it, so there is never a moment without a usable ring at PATH.
 *
 * Growing keeps every entry.  Shrinking may not: discarding entries needs
 * consent (resize = yes, --resize); without it the old ring stays and the
 * daemon refuses to start, saying how many entries would go.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "meta.h"
#include "resize.h"
#include "ring.h"
#include "ringfile.h"
#include "util.h"
#include "walk.h"

/*
 * A resize runs before READY=1, and copying a ring of gigabytes, then
 * syncing the new one, can outlast the unit's start timeout: each step
 * asks systemd for this much more time, and at least once a second.
 */
#define RESIZE_EXTEND_USEC	(30ULL * 1000000)

struct migration {
	uint64_t copied;	/* entries appended to the new ring */
	uint64_t too_big;	/* entries larger than the new ring takes */
	uint64_t damaged;	/* bytes of the old ring stepped over */
};

static int peek_ring(const char *, uint64_t *, int *);
static int convert(const char *, uint64_t, uint64_t, int, uint64_t,
    struct mml_ring **);
static int migrate(struct mml_ring *, struct mml_ring *, struct migration *);
static int sync_file(const char *, int);
static void test_crash(const char *);
static void progress(const char *, uint64_t, uint64_t, int);

/*
 * Test hook (mmlogd(8), TESTING): MMLOGD_TEST_RESIZE_EXIT=STAGE ends the
 * daemon at once, as a crash would, at that stage of a resize: "built"
 * (new ring durable under PATH.resize, old ring still at PATH) or
 * "renamed" (the new ring just took the name).
 */
static void
test_crash(const char *stage)
{
	const char *want = getenv("MMLOGD_TEST_RESIZE_EXIT");

	if (want != NULL && strcmp(want, stage) == 0) {
		mml_log(LOG_WARNING, "resize: exiting at '%s' (test hook)",
		    stage);
		_exit(3);
	}
}

/*
 * Tells systemd (if it listens: sd_notify() does nothing without
 * NOTIFY_SOCKET) that the resize is alive, what it does, and how far it
 * got: when force is set, else at most once a second.
 */
static void
progress(const char *what, uint64_t done, uint64_t total, int force)
{
	static uint64_t last;
	uint64_t now = mml_now_usec(CLOCK_MONOTONIC);

	if (!force && now - last < 1000000U)
		return;
	last = now;
	if (done > total)
		done = total;
	(void)sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%llu\nSTATUS=resizing the "
	    "ring: %s, %llu%%", (unsigned long long)RESIZE_EXTEND_USEC, what,
	    (unsigned long long)(total ? done * 100 / total : 100));
}

/*
 * The capacity of the ring at path, and whether its CRCs are keyed, if
 * it is one we could open; 0 if there is no such ring (mml_ring_open()
 * then creates it, or refuses it and says why).
 */
static int
peek_ring(const char *path, uint64_t *ret_cap, int *ret_keyed)
{
	struct mml_disk_header h;
	struct stat st;
	int fd, ok = 0;

	/* Never through a link, never blocking on a FIFO: see ringfile.h. */
	fd = mml_ringfile_open_plain(path, O_RDONLY);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size >= (off_t)sizeof(h) &&
	    pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
	    mml_disk_header_check(&h, (uint64_t)st.st_size, NULL) == 0) {
		*ret_cap = h.capacity;
		*ret_keyed = (h.incompat_flags & MML_INCOMPAT_KEYED) != 0;
		ok = 1;
	}
	(void)close(fd);
	return ok;
}

/*
 * Copies every entry of old, oldest first, into nr.  Old's records are
 * followed from its tail to its head as a reader follows them
 * (mml_walk_next()); where the chain breaks, the walk goes on where a
 * reader's resync would (mml_walk_resync(), up to the head), and the
 * bytes stepped over are counted.
 */
static int
migrate(struct mml_ring *old, struct mml_ring *nr, struct migration *m)
{
	struct mml_walk w;
	struct mml_walk_pos pos = { mml_ring_tail_off(old),
	    mml_ring_tail_seq(old) };
	struct mml_walk_found f;
	struct mml_rec rec;
	struct mml_rec_hdr h;
	struct mml_meta meta;
	uint64_t cap = mml_ring_capacity(old), head = mml_ring_head_off(old);
	uint64_t walked = 0, skip, s;
	int e;

	mml_ring_skip_to(nr, pos.seq);
	mml_walk_init(&w, mml_ring_data(old), cap, mml_ring_next_seq(old),
	    head, mml_ring_crc_seed(old));
	/* The records from tail to head are contiguous: head ends the walk. */
	while ((pos.off != head || walked == 0) &&
	    mml_ring_tail_seq(old) != mml_ring_next_seq(old) &&
	    walked < 2 * cap) {
		if (mml_walk_next(&w, &pos, &rec) == MML_WALK_BREAK) {
			if (mml_walk_resync(&w, &pos, &f) == MML_WALK_RS_NONE)
				break;
			skip = mml_walk_span(cap, pos.off, f.at.off);
			if (f.at.off == pos.off)
				skip = 0;
			m->damaged += skip * MML_DISK_ALIGN;
			walked += skip * MML_DISK_ALIGN + MML_DISK_ALIGN;
			pos = f.at;
			continue;
		}
		walked += rec.size;
		if ((m->copied & 4095) == 0)
			progress("copying entries", walked, cap, 0);
		if (rec.hdr.type == MML_REC_WRAP)
			continue;
		/*
		 * A jump is either the old ring's own note of one (copied
		 * along, so readers find it explained) or entries lost to
		 * damage, which readers report as lost in the new ring too.
		 */
		mml_ring_skip_to(nr, rec.hdr.seq);
		h = rec.hdr;
		/* Its trusted fields go along, into a slot of the new ring. */
		mml_ring_meta_of(old, &rec, &meta);
		e = mml_ring_append_meta(nr, &h, rec.comm, rec.tag, rec.msg,
		    rec.fields, &meta, &s);
		if (e == -EMSGSIZE) {
			/* Larger than a quarter of the new ring. */
			m->too_big++;
			mml_ring_skip_to(nr, rec.hdr.seq + 1);
		} else if (e < 0)
			return mml_log_errno(e, "copy entry %llu into '%s'",
			    (unsigned long long)rec.hdr.seq,
			    mml_ring_path(nr));
		else
			m->copied++;
	}
	/* Numbers are never used twice: continue where the old ring did. */
	mml_ring_skip_to(nr, mml_ring_next_seq(old));
	return 0;
}

/* fsync of a file (or, dir = 1, a directory) by name. */
static int
sync_file(const char *path, int dir)
{
	int fd, r = 0;

	fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mml_log_errno(errno, "open '%s'", path);
	if (fsync(fd) < 0)
		r = mml_log_errno(errno, "fsync '%s'", path);
	(void)close(fd);
	return r;
}

int
mml_resize_open(const char *path, uint64_t size, int size_explicit,
    int allow_discard, uint64_t min_cap, struct mml_ring **ret)
{
	uint64_t cap = 0;
	int keyed = 0;

	if (!peek_ring(path, &cap, &keyed))
		return mml_ring_open(path, size, size_explicit, min_cap, ret);
	if (size_explicit && cap != size)
		return convert(path, cap, size, allow_discard, min_cap, ret);
	if (!keyed)
		return convert(path, cap, cap, 1, min_cap, ret);
	return mml_ring_open(path, size, size_explicit, min_cap, ret);
}

/* Says what convert() is about to do to the ring at path, into tmp. */
static void
announce(const char *path, int keying, uint64_t cap, uint64_t size,
    const char *tmp)
{
	if (keying)
		mml_log(LOG_NOTICE, "ring '%s' has unkeyed record checksums (an "
		    "older format): converting it into a keyed ring, '%s'",
		    path, tmp);
	else
		mml_log(LOG_NOTICE, "ring '%s' holds %llu bytes, size asks for "
		    "%llu: migrating its entries into '%s'", path,
		    (unsigned long long)cap, (unsigned long long)size, tmp);
}

/* Makes everything written to r, named path, durable: 0 or -errno. */
static int
sync_ring(struct mml_ring *r, const char *path)
{
	struct mml_sync_job job;

	mml_ring_sync_prepare(r, &job);
	mml_ring_sync_run(r, &job);
	mml_ring_sync_done(r, &job);
	if (job.result < 0)
		return mml_log_errno(job.result, "sync '%s'", path);
	return 0;
}

/*
 * What convert() did to the ring at path (keying: converted to keyed
 * checksums, else resized from cap to size bytes), for the ring's own
 * note, into msg.  Returns snprintf()'s.
 */
static int
report_note(int keying, uint64_t cap, uint64_t size, uint64_t lost,
    char *msg, size_t msg_len)
{
	if (keying)
		return snprintf(msg, msg_len, "ring converted to keyed record "
		    "checksums; %llu oldest entries discarded",
		    (unsigned long long)lost);
	return snprintf(msg, msg_len, "ring resized from %llu to %llu bytes; "
	    "%llu oldest entries discarded", (unsigned long long)cap,
	    (unsigned long long)size, (unsigned long long)lost);
}

/* Logs what convert() did, once the new ring has the name. */
static void
report(const char *path, int keying, uint64_t cap, uint64_t size,
    uint64_t first, uint64_t last, uint64_t lost)
{
	if (keying)
		mml_log(LOG_NOTICE, "ring '%s' converted to keyed record "
		    "checksums: entries %llu..%llu kept, %llu oldest "
		    "discarded", path, (unsigned long long)first,
		    (unsigned long long)last, (unsigned long long)lost);
	else
		mml_log(LOG_NOTICE, "ring '%s' resized from %llu to %llu bytes: "
		    "entries %llu..%llu kept, %llu oldest discarded", path,
		    (unsigned long long)cap, (unsigned long long)size,
		    (unsigned long long)first, (unsigned long long)last,
		    (unsigned long long)lost);
}

/*
 * Migrates the ring at path, of cap bytes, into a new, keyed ring of
 * size bytes, which then takes its name: a resize (size differs), or the
 * conversion of an unkeyed ring of an older mmlogd to keyed record CRCs
 * (FORMAT.md, Versioning), which keeps the size.  A conversion that
 * cannot be done (a full disk) leaves the old ring in use, unkeyed, and
 * says so; a resize that cannot be done fails.
 */
static int
convert(const char *path, uint64_t cap, uint64_t size, int allow_discard,
    uint64_t min_cap, struct mml_ring **ret)
{
	struct mml_ring *old = NULL, *nr = NULL;
	struct migration m;
	uint64_t lost, first, last;
	char *tmp = NULL, *dir = NULL, msg[256];
	int e, n, keying = size == cap;

	/* Whatever its size, the old ring is opened as it is. */
	e = mml_ring_open(path, cap, 0, keying ? min_cap : MML_DISK_CAP_MIN,
	    &old);
	if (e < 0)
		return e;
	cap = mml_ring_capacity(old);
	if (asprintf(&tmp, "%s.resize", path) < 0) {
		tmp = NULL;
		e = -ENOMEM;
		goto out_keep;
	}
	announce(path, keying, cap, size, tmp);
	e = mml_ring_create_like(tmp, size, old);
	if (e < 0)
		goto out_keep;
	e = mml_ring_open(tmp, size, 1, MML_DISK_CAP_MIN, &nr);
	if (e < 0)
		goto out_tmp;
	/* Written as the loop writes (ring.h): in large runs. */
	mml_ring_defer(nr, 1);
	memset(&m, 0, sizeof(m));
	progress("copying entries", 0, cap, 1);
	/* The entries keep their boots; this boot's comes after them. */
	mml_ring_boots_take(nr, old);
	e = migrate(old, nr, &m);
	mml_ring_boots_release(nr);
	if (e < 0)
		goto out_tmp;
	lost = mml_ring_header(nr)->entries_overwritten + m.too_big;
	if (lost > 0 && !allow_discard) {
		mml_log(LOG_ERR, "ring '%s': %llu bytes hold only the newest "
		    "%llu of its %llu entries; refusing to discard the %llu "
		    "oldest: set resize = yes (or --resize) to allow it, or "
		    "keep size %llu", path, (unsigned long long)size,
		    (unsigned long long)(m.copied - lost + m.too_big),
		    (unsigned long long)(m.copied + m.too_big),
		    (unsigned long long)lost, (unsigned long long)cap);
		e = -EFBIG;
		goto out_tmp;
	}
	if (m.damaged > 0)
		mml_log(LOG_WARNING, "ring '%s': %llu damaged bytes were "
		    "stepped over; readers of the new ring see the entries "
		    "there as lost", path, (unsigned long long)m.damaged);
	/* The ring's history carries over. */
	mml_ring_take_history(nr, old, lost);
	first = mml_ring_tail_seq(nr);
	last = mml_ring_next_seq(nr) - 1;
	/*
	 * The log itself says so, MMLOG_DISCARDED counting what went: in
	 * the new ring, synced with it, so that the ring that takes the
	 * name always carries the note, whatever crash or power loss comes
	 * after the rename.
	 */
	n = report_note(keying, cap, size, lost, msg, sizeof(msg));
	if (mml_ring_append_note(nr, (uint32_t)getpid(), (uint32_t)getuid(),
	    (uint32_t)getgid(), "mmlogd", 6, msg, (size_t)n,
	    "MMLOG_DISCARDED", lost) < 0)
		mml_log(LOG_WARNING, "ring '%s': cannot record the %s in the "
		    "ring", path, keying ? "conversion" : "resize");

	/* Durable first: only a whole, synced ring may take the name. */
	progress("syncing the new ring", 0, 1, 1);
	if ((e = sync_ring(nr, tmp)) < 0)
		goto out_tmp;
	nr = mml_ring_close(nr);
	e = sync_file(tmp, 0);
	if (e < 0)
		goto out_tmp;
	test_crash("built");
	old = mml_ring_close(old);
	if (rename(tmp, path) < 0) {
		e = mml_log_errno(errno, "rename '%s' to '%s'", tmp, path);
		goto out_tmp;
	}
	dir = strdup(path);
	if (dir == NULL) {
		e = -ENOMEM;
		goto out;
	}
	/* Before anything is written to it, the new name must be durable. */
	e = sync_file(dirname(dir), 1);
	if (e < 0)
		goto out;
	test_crash("renamed");
	report(path, keying, cap, size, first, last, lost);
	e = mml_ring_open(path, size, 1, min_cap, ret);
	goto out;
out_tmp:
	nr = mml_ring_close(nr);
	(void)unlink(tmp);
out_keep:
	/*
	 * An unkeyed ring that cannot be converted (no room for the copy)
	 * stays in use as it is: readers read both formats.
	 */
	if (keying && old != NULL) {
		mml_log(LOG_WARNING, "ring '%s': cannot convert it to keyed "
		    "record checksums (%s); it stays unkeyed, and a client "
		    "could forge records in it after damage: the conversion is "
		    "tried again at the next start", path, strerror(-e));
		*ret = old;
		old = NULL;
		e = 0;
	}
out:
	old = mml_ring_close(old);
	free(tmp);
	free(dir);
	return e;
}
