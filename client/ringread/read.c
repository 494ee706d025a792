/*
 * read.c: the ring reader of mmlogctl and mmlog-forward.
 *
 * The ring file is mapped read-only and shared while mmlogd, the single
 * writer, appends to it, moves its tail and overwrites the oldest
 * records.  Nothing in the file is trusted: the static header is checked
 * once, every record is checked by mml_walk_check() before any of its
 * lengths is used, and the dynamic header fields are re-read atomically
 * and used only as hints that a record must confirm.
 *
 * A walk follows the chain from the tail: each entry is followed by the
 * entry with the next sequence number, a WRAP marker sends the walk back
 * to offset 0, and the first record that does not check is the head.
 * Three things can interrupt a walk, and each is reported rather than
 * hidden: the writer overwrote what we were about to read (the tail has
 * moved past it), a record in the middle is damaged while the header
 * says that newer entries exist (we scan for the next good record), or
 * the file shrank underneath the mapping (SIGBUS, absorbed below).
 */
#include <errno.h>
#include <libgen.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "ringread.h"
#include "walk.h"

#define TAIL_TRIES	5	/* reads of a moving tail before we give up */
#define HEAD_TRIES	3	/* re-looks at a record below the head hint */
#define SIGBUS_MAPS	8
#define ANCHOR_TRIES	8	/* chains broken by damage before a seek gives up */
#define PAUSES_MAX	64	/* pauses of 1 ms an iterator takes, at most */
#define WRITER_RECHECK_MS 100	/* how long mml_rd_ring_writer() trusts itself */

/* The live part of the ring, from the header's hints. */
struct span {
	uint64_t	 tail_off;
	uint64_t	 tail_seq;
	uint64_t	 head_seq;
	uint64_t	 used;		/* bytes from tail to head, round */
};

static void	 sigbus_handler(int, siginfo_t *, void *);
static void	 sigbus_register(uint8_t *, size_t);
static void	 sigbus_unregister(uint8_t *);
static void	 pause_ms(long);
static int	 may_pause(struct mml_rd_iter *);
static int	 proc_locks_writer(dev_t, ino_t);
static int	 unproven(struct mml_rd_iter *, const struct mml_rec *);
static int	 to_head(struct mml_rd_iter *, uint64_t, enum mml_disk_reason);
static uint64_t	 load64(const struct mml_rd_ring *, size_t);
static int	 look(struct mml_rd_iter *, enum mml_rd_mode, uint64_t,
		    uint64_t, struct mml_rec *, enum mml_disk_reason *);
static int	 rec_check(const struct mml_rd_ring *, uint64_t, uint64_t, int,
		    struct mml_rec *, enum mml_disk_reason *);
static void	 gap_report(struct mml_rd_iter *, uint64_t,
		    enum mml_disk_reason);
static int	 resync(struct mml_rd_iter *, uint64_t, enum mml_disk_reason);
static int	 span_get(const struct mml_rd_ring *, struct span *);
static uint64_t	 span_phys(const struct mml_rd_ring *, const struct span *,
		    uint64_t);
static uint64_t	 span_logical(const struct mml_rd_ring *,
		    const struct span *, uint64_t);
static int	 probe(const struct mml_rd_ring *, const struct span *,
		    uint64_t, struct mml_rec *);
static int	 anchor(const struct mml_rd_ring *, const struct span *,
		    uint64_t, struct mml_rec *);
static int	 seek_end(struct mml_rd_iter *, const struct mml_rec *);

/*
 * The mappings the SIGBUS handler may repair.  Written only outside the
 * handler, before a mapping is used and after it is no longer used.
 */
static struct {
	uint8_t	*volatile addr;
	volatile size_t len;
} sigbus_maps[SIGBUS_MAPS];
static volatile sig_atomic_t sigbus_flag;
static long page_size = 4096;

void
mml_rd_sigbus_install(void)
{
	struct sigaction sa;
	long ps;

	ps = sysconf(_SC_PAGESIZE);
	if (ps > 0)
		page_size = ps;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigbus_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGBUS, &sa, NULL);
}

int
mml_rd_sigbus_hit(void)
{
	int hit = sigbus_flag != 0;

	sigbus_flag = 0;
	return hit;
}

/*
 * A read beyond the end of a file that shrank: map a page of zeros over
 * the faulting page and return, so the read is retried and sees bytes
 * that no check accepts.  systemd's journal reader does the same.  A
 * fault anywhere else is a bug: restore the default action, so that
 * returning faults again and dumps core.
 */
static void
sigbus_handler(int sig, siginfo_t *si, void *uctx)
{
	uintptr_t a = (uintptr_t)si->si_addr, page;
	size_t i;

	(void)uctx;
	for (i = 0; i < SIGBUS_MAPS; i++) {
		uintptr_t start = (uintptr_t)sigbus_maps[i].addr;

		if (start == 0 || a < start || a - start >= sigbus_maps[i].len)
			continue;
		page = a & ~(uintptr_t)(page_size - 1);
		if (mmap((void *)page, (size_t)page_size, PROT_READ,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    MAP_FAILED)
			break;
		sigbus_flag = 1;
		return;
	}
	(void)signal(sig, SIG_DFL);
}

static void
sigbus_register(uint8_t *addr, size_t len)
{
	size_t i;

	for (i = 0; i < SIGBUS_MAPS; i++) {
		if (sigbus_maps[i].addr == NULL) {
			sigbus_maps[i].len = len;
			sigbus_maps[i].addr = addr;
			return;
		}
	}
}

static void
sigbus_unregister(uint8_t *addr)
{
	size_t i;

	for (i = 0; i < SIGBUS_MAPS; i++) {
		if (sigbus_maps[i].addr == addr) {
			sigbus_maps[i].addr = NULL;
			sigbus_maps[i].len = 0;
		}
	}
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Whether /proc/locks lists an exclusive flock(2) on the file dev:ino:
 * 1, 0, or -1 if it cannot be read.  Its lines read "N: FLOCK ADVISORY
 * WRITE PID MAJ:MIN:INO START END", major and minor in hex; a waiter's
 * line has "->" after the number.
 */
static int
proc_locks_writer(dev_t dev, ino_t ino)
{
	char line[256], type[16], mode[16];
	unsigned maj, min;
	unsigned long long i;
	FILE *f;
	int found = 0;

	f = fopen("/proc/locks", "re");
	if (f == NULL)
		return -1;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "->") != NULL)
			continue;
		if (sscanf(line, "%*d: %15s %*s %15s %*d %x:%x:%llu", type, mode,
		    &maj, &min, &i) != 5)
			continue;
		found = strcmp(type, "FLOCK") == 0 &&
		    strcmp(mode, "WRITE") == 0 && maj == major(dev) &&
		    min == minor(dev) && i == (unsigned long long)ino;
	}
	(void)fclose(f);
	return found;
}

int
mml_rd_ring_writer(struct mml_rd_ring *r)
{
	struct timespec ts;
	uint64_t now;
	int w;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (r->writer_ms != 0 && now - r->writer_ms < WRITER_RECHECK_MS)
		return r->writer;
	/*
	 * Asking /proc takes no lock: a shared lock taken to test, even for
	 * a moment, could make a starting mmlogd find the ring locked and
	 * refuse it.  Without /proc a writer is assumed; pauses stay bounded
	 * (PAUSES_MAX).
	 */
	w = proc_locks_writer(r->dev, r->ino);
	r->writer = w != 0;
	r->writer_ms = now;
	return r->writer;
}

/*
 * Whether the iterator may pause 1 ms for a writer caught between two
 * stores: only if one holds the ring, and PAUSES_MAX times at most, so
 * that no damage makes a command sleep per break.
 */
static int
may_pause(struct mml_rd_iter *it)
{
	if (it->pauses >= PAUSES_MAX || !mml_rd_ring_writer(it->ring))
		return 0;
	it->pauses++;
	return 1;
}

/*
 * Opens path (*ret_fd, -1 if it could not), a regular file, and reads
 * its header page into page (zeros past what the file has) and its
 * status into *st; a file that shrank meanwhile is judged by what was
 * read.  Returns 0 or -errno (-EISDIR, -ENODEV for another type).
 */
static int
header_read(const char *path, int *ret_fd, uint8_t page[MML_DISK_HEADER_SIZE],
    struct stat *st)
{
	size_t got;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: opening a FIFO given by mistake must not hang. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	*ret_fd = fd;
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0)
		return -errno;
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode))
		return -ENODEV;
	memset(page, 0, MML_DISK_HEADER_SIZE);
	for (got = 0; got < MML_DISK_HEADER_SIZE; got += (size_t)n) {
		n = pread(fd, page + got, MML_DISK_HEADER_SIZE - got,
		    (off_t)got);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
	}
	/* A file that shrank since fstat() is judged by what we read. */
	if (got < MML_DISK_HEADER_SIZE && (uint64_t)st->st_size > got)
		st->st_size = (off_t)got;
	return 0;
}

int
mml_rd_ring_open(const char *path, struct mml_rd_ring **ret,
    enum mml_disk_reason *ret_reason)
{
	struct mml_rd_ring *r = NULL;
	struct mml_disk_header h;
	enum mml_disk_reason why = MML_DISK_OK;
	uint8_t page[MML_DISK_HEADER_SIZE];
	struct stat st;
	void *map = MAP_FAILED;
	uint64_t idx_end, meta_end;
	size_t map_len = 0;
	int fd = -1, rc;

	rc = header_read(path, &fd, page, &st);
	if (rc < 0)
		goto out;
	rc = mml_disk_header_check(page, (uint64_t)st.st_size, &why);
	if (rc < 0)
		goto out;
	memcpy(&h, page, sizeof(h));
	/*
	 * mmlogd creates a ring with every block allocated: a hole means a
	 * file it did not make, or one damaged.  Refused rather than read: a
	 * header may claim a terabyte over a file of a few pages, and every
	 * walk would read zero pages for as long as the claim.
	 */
	if ((uint64_t)st.st_blocks * 512 < MML_DISK_HEADER_SIZE + h.capacity) {
		why = MML_DISK_E_SPARSE;
		rc = -EBADMSG;
		goto out;
	}
	if (h.capacity > SIZE_MAX - MML_DISK_HEADER_SIZE) {
		why = MML_DISK_E_CAPACITY;
		rc = -EFBIG;
		goto out;
	}
	map_len = MML_DISK_HEADER_SIZE + (size_t)h.capacity;
	/* The index, then the metadata table, only if the file has it whole. */
	idx_end = mml_idx_file_off(h.capacity) + mml_idx_size(h.capacity);
	meta_end = mml_meta_file_off(h.capacity) + mml_meta_size(h.capacity);
	if ((h.compat_flags & MML_COMPAT_INDEX) &&
	    (uint64_t)st.st_size >= idx_end && idx_end <= SIZE_MAX) {
		map_len = (size_t)idx_end;
		if ((h.incompat_flags & MML_INCOMPAT_META) &&
		    (uint64_t)st.st_size >= meta_end && meta_end <= SIZE_MAX)
			map_len = (size_t)meta_end;
	}
	map = mmap(NULL, map_len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		rc = -errno;
		goto out;
	}
	sigbus_register(map, map_len);
	/*
	 * The file may have been replaced in place between pread() and
	 * mmap(): judge the mapping itself, and insist on the same ring.
	 */
	rc = mml_disk_header_check(map, (uint64_t)st.st_size, &why);
	if (rc == 0 && (memcmp(map, &h, offsetof(struct mml_disk_header,
	    static_crc) + 4) != 0 || mml_rd_sigbus_hit())) {
		why = MML_DISK_E_CRC;
		rc = -EAGAIN;
	}
	if (rc < 0)
		goto out;
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->path = strdup(path)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	r->map = map;
	r->map_len = map_len;
	r->data = r->map + MML_DISK_HEADER_SIZE;
	r->capacity = h.capacity;
	r->crc_seed = mml_disk_crc_seed(&h);
	if (map_len > MML_DISK_HEADER_SIZE + (size_t)h.capacity) {
		r->idx = (const struct mml_idx_slot *)(const void *)(r->map +
		    mml_idx_file_off(h.capacity));
		r->idx_slots = mml_idx_slots(h.capacity);
		r->idx_shift = mml_idx_shift(h.capacity);
	} else
		r->idx_missing = (h.compat_flags & MML_COMPAT_INDEX) != 0;
	if (map_len == meta_end && (h.incompat_flags & MML_INCOMPAT_META)) {
		r->meta_table = r->map + mml_meta_file_off(h.capacity);
		r->meta_slots = mml_meta_slots(h.capacity);
	}
	r->has_boots = (h.compat_flags & MML_COMPAT_BOOTS) != 0;
	memcpy(r->ring_id, h.ring_id, sizeof(r->ring_id));
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	map = MAP_FAILED;
	*ret = r;
	r = NULL;
	rc = 0;
out:
	if (r != NULL) {
		free(r->path);
		free(r);
	}
	if (map != MAP_FAILED) {
		sigbus_unregister(map);
		(void)munmap(map, map_len);
	}
	if (fd >= 0)
		(void)close(fd);
	if (ret_reason != NULL)
		*ret_reason = rc < 0 ? why : MML_DISK_OK;
	return rc;
}

struct mml_rd_ring *
mml_rd_ring_free(struct mml_rd_ring *r)
{
	if (r == NULL)
		return NULL;
	if (r->map != NULL) {
		sigbus_unregister(r->map);
		(void)munmap(r->map, r->map_len);
	}
	free(r->meta_seen);
	free(r->meta_cache);
	free(r->path);
	free(r);
	return NULL;
}

static uint64_t
load64(const struct mml_rd_ring *r, size_t field_off)
{
	const uint64_t *p = (const uint64_t *)(const void *)(r->map +
	    field_off);

	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

uint64_t
mml_rd_ring_tail_seq(const struct mml_rd_ring *r)
{
	return load64(r, offsetof(struct mml_disk_header, tail_seq));
}

uint64_t
mml_rd_ring_head_seq(const struct mml_rd_ring *r)
{
	return load64(r, offsetof(struct mml_disk_header, head_seq));
}

void
mml_rd_ring_header(const struct mml_rd_ring *r, struct mml_disk_header *ret)
{
	const uint32_t *state = (const uint32_t *)(const void *)(r->map +
	    offsetof(struct mml_disk_header, state));

#define LOAD(f)	ret->f = load64(r, offsetof(struct mml_disk_header, f))
	memset(ret, 0, sizeof(*ret));
	memcpy(ret, r->map, offsetof(struct mml_disk_header, state));
	ret->state = __atomic_load_n(state, __ATOMIC_ACQUIRE);
	LOAD(durable_off);
	LOAD(durable_seq);
	LOAD(tail_off);
	LOAD(tail_seq);
	LOAD(head_off);
	LOAD(head_seq);
	LOAD(seq_limit);
	LOAD(durable_usec);
	memcpy(ret->boot_id, r->map + offsetof(struct mml_disk_header,
	    boot_id), sizeof(ret->boot_id));
	LOAD(entries_written);
	LOAD(entries_overwritten);
	LOAD(wraps);
	LOAD(bytes_written);
	LOAD(opens);
	LOAD(dirty_opens);
#undef LOAD
}

int
mml_rd_ring_replaced(const struct mml_rd_ring *r)
{
	struct stat st;

	if (stat(r->path, &st) < 0)
		return 0;
	if (st.st_dev != r->dev || st.st_ino != r->ino)
		return 1;
	if ((uint64_t)st.st_size < r->map_len)
		return 1;
	if (mml_disk_header_check(r->map, r->map_len, NULL) < 0 ||
	    memcmp(r->map + offsetof(struct mml_disk_header, ring_id),
	    r->ring_id, sizeof(r->ring_id)) != 0)
		return 1;
	return 0;
}

void
mml_rd_iter_init(struct mml_rd_iter *it, struct mml_rd_ring *r,
    enum mml_rd_mode mode)
{
	memset(it, 0, sizeof(*it));
	it->ring = r;
	it->mode = mode;
	it->seq = 1;
	it->noresync_seq = UINT64_MAX;
}

void
mml_rd_iter_done(struct mml_rd_iter *it)
{
	free(it->buf);
	it->buf = NULL;
	it->buf_cap = 0;
}

void
mml_rd_iter_tail(struct mml_rd_iter *it)
{
	struct mml_rd_ring *r = it->ring;
	struct mml_rec rec;
	uint64_t off, seq;
	int i;

	/*
	 * The writer stores the tail's offset and seq one after the other,
	 * so a pair read while it moves them may not belong together; a
	 * record that carries the seq at the offset proves they do.
	 */
	for (i = 0;; i++) {
		seq = load64(r, offsetof(struct mml_disk_header, tail_seq));
		off = load64(r, offsetof(struct mml_disk_header, tail_off));
		if (rec_check(r, off, seq, 0, &rec, NULL) == 0)
			break;
		if (seq == mml_rd_ring_head_seq(r) || i + 1 >= TAIL_TRIES)
			break;
		/* Again at once, then with pauses if a writer moves it. */
		if (i > 0 && !may_pause(it))
			break;
		if (i > 0)
			pause_ms(1);
	}
	it->off = off;
	it->seq = seq;
	it->pend_jump = 0;
}

void
mml_rd_iter_seek(struct mml_rd_iter *it, uint64_t off, uint64_t seq)
{
	it->off = off;
	it->seq = seq;
	it->pend_jump = 0;
}

/*
 * The walker's check of the record at off (mml_walk_check(): no record
 * is longer than MML_WALK_REACH, so its length cannot make us allocate
 * gigabytes for a copy either).
 */
static int
rec_check(const struct mml_rd_ring *r, uint64_t off, uint64_t seq, int crc,
    struct mml_rec *ret, enum mml_disk_reason *why)
{
	struct mml_walk w;

	mml_walk_init(&w, r->data, r->capacity, UINT64_MAX, MML_WALK_NOWHERE, r->crc_seed);
	return mml_walk_check(&w, off, seq, crc, ret, why);
}

/*
 * Checks the record at off, which must carry seq, the way mode says.
 * In MML_RD_COPY mode an entry is copied first and the copy checked,
 * so that what the caller prints is exactly what the CRC vouched for;
 * then the tail is re-read, because a copy taken while the writer was
 * overwriting the record may be torn.  Returns 0, -EBADMSG with *why
 * set, -ESTALE if the tail moved past seq, or -ENOMEM.
 */
static int
look(struct mml_rd_iter *it, enum mml_rd_mode mode, uint64_t off,
    uint64_t seq, struct mml_rec *ret, enum mml_disk_reason *why)
{
	struct mml_rd_ring *r = it->ring;
	struct mml_rec live;
	uint8_t *nbuf;
	uint64_t rec_off;
	int rc;

	if (mode == MML_RD_QUICK || mode == MML_RD_CHECK)
		return rec_check(r, off, seq, mode == MML_RD_CHECK, ret, why);
	rc = rec_check(r, off, seq, 0, &live, why);
	if (rc < 0)
		return rc;
	if (live.hdr.type != MML_REC_ENTRY)
		return rec_check(r, off, seq, 1, ret, why);
	if (live.size > it->buf_cap) {
		nbuf = realloc(it->buf, (size_t)live.size);
		if (nbuf == NULL)
			return -ENOMEM;
		it->buf = nbuf;
		it->buf_cap = (size_t)live.size;
	}
	rec_off = live.off;
	memcpy(it->buf, r->data + rec_off, (size_t)live.size);
	rc = mml_disk_rec_check(it->buf, live.size, 0, seq, 1, r->crc_seed, ret, why);
	if (rc < 0)
		return rc;
	ret->off = rec_off;
	/*
	 * The writer publishes a new tail before it changes a byte of what
	 * it evicts; the fence keeps our copy's loads before the tail's.
	 */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (mml_rd_ring_tail_seq(r) > seq) {
		*why = MML_DISK_E_REC_SEQ;
		return -ESTALE;
	}
	return 0;
}

/* Reports a gap of n seqs from the walk's place, for reason why. */
static void
gap_report(struct mml_rd_iter *it, uint64_t n, enum mml_disk_reason why)
{
	it->gap_seq = it->seq;
	it->gap_off = it->off;
	it->gap = n;
	it->gap_reason = why;
}

/*
 * The chain broke at it->off although the header's head says newer
 * entries exist: mml_walk_resync() says where it goes on (proto/FORMAT.md,
 * Reading).  What lies between is damage (MML_RD_CORRUPT), unless the
 * record at the break is the writer's note of a jump in numbering after
 * an unclean shutdown (MML_RD_JUMP); when damage ends at such a note, the
 * seqs it announces are still a jump, reported by the next step.  A
 * damaged WRAP costs no seq: the entry it would have led to is found at
 * 0 with the seq we expected, and the loss is 0.
 */
static int
resync(struct mml_rd_iter *it, uint64_t head, enum mml_disk_reason why)
{
	struct mml_rd_ring *r = it->ring;
	struct mml_walk w;
	struct mml_walk_pos brk = { it->off, it->seq };
	struct mml_walk_found f;
	uint64_t cap = r->capacity, hoff;

	if (it->off == it->noresync_off && it->seq == it->noresync_seq &&
	    head == it->noresync_head)
		return MML_RD_END;
	/*
	 * A ring closed in order has its exact head in the header: a chain
	 * that reaches it proves itself (what an unkeyed ring's resync asks).
	 */
	hoff = load64(r, offsetof(struct mml_disk_header, head_off));
	if (__atomic_load_n((const uint32_t *)(const void *)(r->map +
	    offsetof(struct mml_disk_header, state)), __ATOMIC_ACQUIRE) !=
	    MML_STATE_CLEAN || hoff % MML_DISK_ALIGN != 0 || hoff >= cap ||
	    cap - hoff < MML_REC_HDR)
		hoff = MML_WALK_NOWHERE;
	mml_walk_init(&w, r->data, cap, head, hoff, r->crc_seed);
	switch (mml_walk_resync(&w, &brk, &f)) {
	case MML_WALK_RS_JUMP:
		gap_report(it, f.jump, MML_DISK_E_REC_SEQ);
		it->seq = f.at.seq;
		return MML_RD_JUMP;
	case MML_WALK_RS_DAMAGE:
		gap_report(it, f.lost, why);
		it->off = f.at.off;
		it->seq = f.at.seq;
		it->pend_jump = f.jump;
		return MML_RD_CORRUPT;
	case MML_WALK_RS_NONE:
		break;
	}
	/*
	 * Nothing whole up to the head: the newest entries are damaged.
	 * Say so, and wait at the writer's head for what comes next.
	 */
	if (to_head(it, head, why))
		return MML_RD_CORRUPT;
	it->noresync_off = it->off;
	it->noresync_seq = it->seq;
	it->noresync_head = head;
	return MML_RD_END;
}

/*
 * Reports the seqs from the walk's place up to head as lost, for reason
 * why, and moves the walk to the header's head: returns 1; 0 if the
 * header's head_off is no record start.
 */
static int
to_head(struct mml_rd_iter *it, uint64_t head, enum mml_disk_reason why)
{
	uint64_t cap = it->ring->capacity, hoff;

	if (it->seq >= head)
		return 0;
	hoff = load64(it->ring, offsetof(struct mml_disk_header, head_off));
	if (hoff % MML_DISK_ALIGN != 0 || hoff >= cap ||
	    cap - hoff < MML_REC_HDR)
		return 0;
	gap_report(it, head - it->seq, why);
	it->off = hoff;
	it->seq = head;
	return 1;
}

/*
 * Whether the entry rec, which follows the chain, must not be shown as
 * the writer's.  On an unkeyed ring that was not closed cleanly and that
 * no writer holds (a crash, or a power loss), what lies past the durable
 * cursor may be bytes an older lap left where the writer's newest
 * records never reached the disk, and those may be records a client
 * shaped inside a message.  They are taken only with the chain proof
 * (mml_walk_confirm()), as the walker's resync takes what it finds; on a
 * keyed ring a record that checks is the writer's.
 */
static int
unproven(struct mml_rd_iter *it, const struct mml_rec *rec)
{
	struct mml_rd_ring *r = it->ring;
	const uint32_t *state = (const uint32_t *)(const void *)(r->map +
	    offsetof(struct mml_disk_header, state));
	struct mml_walk w;
	struct mml_walk_pos end;
	struct mml_rec far;

	if (r->crc_seed != 0 || rec->hdr.type != MML_REC_ENTRY ||
	    rec->hdr.seq <= it->proven_seq ||
	    rec->hdr.seq <= load64(r, offsetof(struct mml_disk_header,
	    durable_seq)) ||
	    __atomic_load_n(state, __ATOMIC_ACQUIRE) != MML_STATE_DIRTY ||
	    mml_rd_ring_writer(r))
		return 0;
	mml_walk_init(&w, r->data, r->capacity, mml_rd_ring_head_seq(r),
	    MML_WALK_NOWHERE, 0);
	if (mml_walk_confirm(&w, rec, MML_WALK_REACH, &end, &far) !=
	    MML_WALK_PROVEN)
		return 1;
	/* Every record on the chain up to far is the writer's too. */
	it->proven_seq = far.hdr.seq;
	return 0;
}

int
mml_rd_iter_next(struct mml_rd_iter *it, struct mml_rec *ret)
{
	struct mml_rd_ring *r = it->ring;
	struct mml_rec rec;
	enum mml_disk_reason why = MML_DISK_OK;
	struct mml_walk w;
	struct mml_walk_pos pos;
	uint64_t tail, head;
	int tries = 0, rc;

	mml_walk_init(&w, r->data, r->capacity, UINT64_MAX, MML_WALK_NOWHERE, r->crc_seed);
	if (it->pend_jump > 0) {
		/* resync() found damage, then the note of a jump. */
		gap_report(it, it->pend_jump, MML_DISK_E_REC_SEQ);
		it->seq += it->pend_jump;
		it->pend_jump = 0;
		return MML_RD_JUMP;
	}
	for (;;) {
		rc = look(it, it->mode, it->off, it->seq, &rec, &why);
		if (rc == -ENOMEM)
			return rc;
		pos.off = it->off;
		pos.seq = it->seq;
		/* A WRAP at 0 would send us round in place. */
		if (rc == 0 && mml_walk_follows(&w, &pos, &rec) ==
		    MML_WALK_BREAK) {
			why = MML_DISK_E_REC_TYPE;
			rc = -EBADMSG;
		}
		if (rc == 0 && unproven(it, &rec)) {
			head = mml_rd_ring_head_seq(r);
			if (to_head(it, head, MML_DISK_E_REC_SEQ))
				return MML_RD_CORRUPT;
			it->end_reason = MML_DISK_E_REC_SEQ;
			return MML_RD_END;
		}
		if (rc == 0) {
			mml_walk_advance(&w, &pos, &rec);
			it->off = pos.off;
			it->seq = pos.seq;
			it->records++;
			if (rec.hdr.type == MML_REC_ENTRY) {
				*ret = rec;
				return MML_RD_ENTRY;
			}
			it->wraps++;
			tries = 0;
			if (!it->report_wraps)
				continue;
			*ret = rec;
			return MML_RD_WRAP;
		}
		/* Overwritten under us: the tail has moved past it. */
		tail = mml_rd_ring_tail_seq(r);
		if (tail > it->seq) {
			it->gap_seq = it->seq;
			mml_rd_iter_tail(it);
			if (it->seq <= it->gap_seq)
				continue;
			it->gap = it->seq - it->gap_seq;
			return MML_RD_LOST;
		}
		head = mml_rd_ring_head_seq(r);
		/*
		 * A head beyond the header's own sequence limit is not to be
		 * believed.  (Not "more entries than fit": after a power loss
		 * the numbering jumps by up to the reservation, far more.)
		 */
		if (it->seq >= head || head > load64(r,
		    offsetof(struct mml_disk_header, seq_limit))) {
			it->end_reason = why;
			return MML_RD_END;
		}
		/*
		 * Below the head the record should be there.  The head was
		 * loaded after the look, with acquire ordering, and the
		 * writer stores a record's CRC before the head that counts
		 * it: look once more at once.  Then, only if a writer holds
		 * the ring, give it a moment (it may be changing the tail's
		 * pair); then treat the record as damaged.
		 */
		if (tries == 0 || (tries < HEAD_TRIES && may_pause(it))) {
			if (tries++ > 0)
				pause_ms(1);
			continue;
		}
		it->end_reason = why;
		return resync(it, head, why);
	}
}

int
mml_rd_iter_read_at(struct mml_rd_iter *it, uint64_t off, uint64_t seq,
    struct mml_rec *ret)
{
	enum mml_disk_reason why = MML_DISK_OK;
	int rc;

	rc = look(it, MML_RD_COPY, off, seq, ret, &why);
	if (rc == -ENOMEM)
		return rc;
	if (rc == 0 && ret->hdr.type == MML_REC_ENTRY)
		return MML_RD_ENTRY;
	if (rc == 0)
		why = MML_DISK_E_REC_TYPE;
	if (mml_rd_ring_tail_seq(it->ring) > seq) {
		it->gap_seq = seq;
		it->gap = 1;
		return MML_RD_LOST;
	}
	it->gap_seq = seq;
	it->gap = 1;
	it->gap_off = off;
	it->gap_reason = why;
	return -EBADMSG;
}

/*
 * Seeking.  The ring keeps no index, and a walk from the tail reads the
 * whole ring; these find a place near the end, or near a key, by
 * bisection instead.  A probe scans from some offset for a record that
 * checks, but what it finds may be a forgery inside a payload (see
 * MML_WALK_REACH).  So the place we start from is never a probe's find
 * itself: it is the record reached by following the chain from there
 * for more than MML_WALK_REACH bytes (mml_walk_confirm()).  A chain
 * that has left the payload it started in is made of records the
 * daemon wrote; a forged chain that cannot leave it breaks, and we fall
 * back to the tail.
 */
static int
span_get(const struct mml_rd_ring *r, struct span *sp)
{
	uint64_t cap = r->capacity, head_off;

	sp->tail_seq = load64(r, offsetof(struct mml_disk_header, tail_seq));
	sp->tail_off = load64(r, offsetof(struct mml_disk_header, tail_off));
	sp->head_seq = load64(r, offsetof(struct mml_disk_header, head_seq));
	head_off = load64(r, offsetof(struct mml_disk_header, head_off));
	if (sp->tail_seq >= sp->head_seq || sp->tail_off >= cap ||
	    head_off >= cap || sp->tail_off % MML_DISK_ALIGN != 0 ||
	    head_off % MML_DISK_ALIGN != 0)
		return -1;
	if (head_off > sp->tail_off)
		sp->used = head_off - sp->tail_off;
	else
		sp->used = cap - sp->tail_off + head_off;
	return 0;
}

/* The data offset at logical position p (bytes after the tail). */
static uint64_t
span_phys(const struct mml_rd_ring *r, const struct span *sp, uint64_t p)
{
	uint64_t off = sp->tail_off + p % r->capacity;

	if (off >= r->capacity)
		off -= r->capacity;
	return off & ~(uint64_t)(MML_DISK_ALIGN - 1);
}

/* The logical position (bytes after the tail) of data offset off. */
static uint64_t
span_logical(const struct mml_rd_ring *r, const struct span *sp,
    uint64_t off)
{
	if (off >= sp->tail_off)
		return off - sp->tail_off;
	return r->capacity - sp->tail_off + off;
}

/*
 * The first entry at or after off, within MML_WALK_REACH bytes, that
 * checks with its CRC and carries a seq of the live part of the ring.
 */
static int
probe(const struct mml_rd_ring *r, const struct span *sp, uint64_t off,
    struct mml_rec *ret)
{
	struct mml_walk w;
	struct mml_walk_scan sc;
	struct mml_rec rec;

	mml_walk_init(&w, r->data, r->capacity, sp->head_seq, MML_WALK_NOWHERE, r->crc_seed);
	mml_walk_scan_init(&sc, &w, off, sp->tail_seq, sp->head_seq);
	if (sc.left > MML_WALK_REACH / MML_DISK_ALIGN)
		sc.left = MML_WALK_REACH / MML_DISK_ALIGN;
	while (mml_walk_scan(&w, &sc, &rec)) {
		if (rec.hdr.type == MML_REC_ENTRY) {
			*ret = rec;
			return 0;
		}
	}
	return -1;
}

/*
 * A record the daemon certainly wrote, about MML_WALK_REACH bytes after
 * the logical position p: the entry mml_walk_confirm() reaches from a
 * probe's find.  A chain broken by damage proves nothing; the search
 * goes on after the break, a few times.  Nothing is known of the head
 * here: only the length of the chain proves.  Returns 0 and fills *ret,
 * or -1.
 */
static int
anchor(const struct mml_rd_ring *r, const struct span *sp, uint64_t p,
    struct mml_rec *ret)
{
	struct mml_walk w;
	struct mml_walk_pos end;
	struct mml_rec rec, far;
	uint64_t next;
	int tries;

	mml_walk_init(&w, r->data, r->capacity, UINT64_MAX, MML_WALK_NOWHERE, r->crc_seed);
	for (tries = 0; tries < ANCHOR_TRIES; tries++) {
		if (probe(r, sp, span_phys(r, sp, p), &rec) < 0)
			return -1;
		if (mml_walk_confirm(&w, &rec, MML_WALK_REACH, &end, &far) ==
		    MML_WALK_PROVEN)
			goto found;
		/* Broken at end.off: try from just after it, if that is on. */
		next = span_logical(r, sp, end.off) + MML_DISK_ALIGN;
		if (next <= p || next >= sp->used)
			return -1;
		p = next;
	}
	return -1;
found:
	/*
	 * A forged WRAP could lead to real but evicted records at 0; only a
	 * record the tail has not passed is in the ring.
	 */
	if (far.hdr.seq < mml_rd_ring_tail_seq(r))
		return -1;
	*ret = far;
	return 0;
}

/*
 * The seek index.  Slot b names the first record the writer put in
 * bucket b on its lap; taken from the tail's bucket round the ring,
 * the slots still naming live records do so in ring order, so their
 * seqs and times grow.  The tail's bucket appears twice in that order:
 * first for records at or after the tail, last for the newest records
 * when the head has come round to just behind the tail.
 */
#define IDX_RETRIES	3	/* re-reads of a slot the writer may be changing */
#define IDX_PROBES	64	/* unusable slots stepped over per probe */

/* What a slot of the index is worth, judged against the ring. */
enum slot_state {
	SLOT_EMPTY,	/* all zero */
	SLOT_STALE,	/* names no live entry now, or one damaged: no use */
	SLOT_USED,	/* names a live entry, which checks */
	SLOT_BAD,	/* damaged itself: CRC, offset or reserved bytes */
	SLOT_WRONG,	/* a whole record of another seq or time is there */
};

/* Where a slot's record must lie, against the tail's offset (see above). */
enum slot_pos { POS_ANY, POS_FROM_TAIL, POS_BEFORE_TAIL };

/*
 * Judges a copy of slot b: its own checks, a seq in [tail, head) that
 * the writer's tail has not passed, an offset on the required side of
 * the tail, and the record there with the slot's seq and time (copied
 * to *ret).  A record that does not check is damaged data (verify
 * reports it) or one the writer is overwriting: the slot is of no use,
 * but not wrong.
 */
static enum slot_state
slot_judge(const struct mml_rd_ring *r, uint64_t b,
    const struct mml_idx_slot *slot, uint64_t tail, uint64_t head,
    enum slot_pos pos, uint64_t tail_off, struct mml_rec *ret)
{
	int st;

	st = mml_idx_slot_check(slot, r->capacity, b, r->crc_seed);
	if (st == 0)
		return SLOT_EMPTY;
	if (st < 0)
		return SLOT_BAD;
	if (slot->seq < tail || slot->seq >= head ||
	    slot->seq < mml_rd_ring_tail_seq(r))
		return SLOT_STALE;
	if ((pos == POS_FROM_TAIL && slot->off < tail_off) ||
	    (pos == POS_BEFORE_TAIL && slot->off >= tail_off))
		return SLOT_STALE;
	if (rec_check(r, slot->off, 0, 1, ret, NULL) < 0)
		return SLOT_STALE;
	if (ret->hdr.type == MML_REC_ENTRY && ret->hdr.seq == slot->seq &&
	    ret->hdr.realtime_usec == slot->realtime_usec)
		return SLOT_USED;
	/* Overwritten while we looked is not damage. */
	if (slot->seq < mml_rd_ring_tail_seq(r))
		return SLOT_STALE;
	return SLOT_WRONG;
}

/*
 * Slot at position i (0..slots) of the order above.  Returns 1 with the
 * record in *ret if the slot names a live entry that checks, CRC, seq
 * and time; 0 if the slot is empty, stale or at the other end of the
 * order; -1 if it is damaged or names a live seq that is not there.
 */
static int
idx_at(struct mml_rd_ring *r, const struct span *sp, uint64_t i,
    struct mml_rec *ret)
{
	struct mml_idx_slot slot;
	uint64_t bt = sp->tail_off >> r->idx_shift, b;
	enum slot_state st = SLOT_BAD;
	enum slot_pos pos = POS_ANY;
	int tries;

	b = (bt + i) % r->idx_slots;
	if (b == bt)
		pos = i == 0 ? POS_FROM_TAIL : POS_BEFORE_TAIL;
	for (tries = 0; tries < IDX_RETRIES; tries++) {
		/* Only a writer changes a slot while we look. */
		if (tries > 0 && !mml_rd_ring_writer(r))
			break;
		if (tries > 0)
			pause_ms(1);
		memcpy(&slot, &r->idx[b], sizeof(slot));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		st = slot_judge(r, b, &slot, sp->tail_seq, sp->head_seq, pos,
		    sp->tail_off, ret);
		/* The writer may be changing the slot: look again. */
		if (st != SLOT_BAD && st != SLOT_WRONG)
			break;
	}
	return st == SLOT_USED ? 1 : st == SLOT_BAD || st == SLOT_WRONG ?
	    -1 : 0;
}
/*
 * Whether a walk may start at rec for key: every entry the caller wants
 * comes at or after it.  By time, its own time is below key; by seq, its
 * seq is at most key (the caller skips it).
 */
static int
before_key(const struct mml_rec *rec, int by_time, uint64_t key)
{
	return by_time ? rec->hdr.realtime_usec < key : rec->hdr.seq <= key;
}

/*
 * The last record of the index order whose key is below key (by_time)
 * or at most key (by seq), by bisection.  Returns 1 and fills *ret; 0
 * if no slot is (start at the tail); -1 if the ring has no index or a
 * slot met is damaged (r->idx_damaged counts it).
 */
static int
idx_seek(struct mml_rd_ring *r, const struct span *sp, int by_time,
    uint64_t key, struct mml_rec *ret)
{
	struct mml_rec rec;
	uint64_t lo = 0, hi, mid, j, n;
	int found = 0, st;

	if (r->idx == NULL)
		return -1;
	/* Positions lo..hi-1 are open; those below lo hold, hi.. do not. */
	hi = r->idx_slots + 1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		st = 0;
		for (j = mid, n = 0; j < hi && n < IDX_PROBES; j++, n++) {
			st = idx_at(r, sp, j, &rec);
			if (st != 0)
				break;
		}
		if (st < 0) {
			r->idx_damaged++;
			return -1;
		}
		/*
		 * A long run of empty or stale slots: the index is being
		 * filled (its first lap, after a clear or an upgrade).  A
		 * slot found beyond it could be far from the key, and the
		 * walk from it long: bisect the data instead.
		 */
		if (st == 0 && j < hi) {
			r->idx_partial++;
			return -1;
		}
		if (st == 0) {
			/* Nothing usable from mid on. */
			hi = mid;
			continue;
		}
		if (before_key(&rec, by_time, key)) {
			*ret = rec;
			found = 1;
			lo = j + 1;
		} else
			hi = mid;
	}
	if (!found) {
		/*
		 * No slot is below the key.  The tail is the place if the
		 * first slots are in use (the key is within a bucket or two
		 * of it); if they are not, the index does not cover the
		 * oldest part of the ring, and the data is bisected.
		 */
		for (j = 0; j < 3 && j <= r->idx_slots; j++) {
			st = idx_at(r, sp, j, &rec);
			if (st < 0) {
				r->idx_damaged++;
				return -1;
			}
			if (st == 0)
				continue;
			if (before_key(&rec, by_time, key)) {
				*ret = rec;
				found = 1;
			}
			break;
		}
		if (j == 3 || j > r->idx_slots) {
			r->idx_partial++;
			return -1;
		}
	}
	r->idx_seeks++;
	return found;
}

/*
 * Ends a seek: places the iterator at rec, a proven record, and returns
 * 1; or, rec NULL, at the tail, and returns 0.
 */
static int
seek_end(struct mml_rd_iter *it, const struct mml_rec *rec)
{
	if (rec == NULL) {
		mml_rd_iter_tail(it);
		return 0;
	}
	mml_rd_iter_seek(it, rec->off, rec->hdr.seq);
	return 1;
}

int
mml_rd_iter_seek_last(struct mml_rd_iter *it, uint64_t n)
{
	struct mml_rd_ring *r = it->ring;
	struct mml_rec rec;
	struct span sp;
	uint64_t avg, back;

	if (span_get(r, &sp) < 0)
		goto tail;
	if (n < sp.head_seq - sp.tail_seq) {
		switch (idx_seek(r, &sp, 0, sp.head_seq - 1 - n, &rec)) {
		case 1:
			return seek_end(it, &rec);
		case 0:
			goto tail;
		}
	}
	avg = sp.used / (sp.head_seq - sp.tail_seq);
	if (avg < MML_REC_HDR)
		avg = MML_REC_HDR;
	if (n > (sp.used - avg) / avg)
		goto tail;
	back = (n + 1) * avg;
	if (back > sp.used || sp.used - back < MML_WALK_REACH)
		goto tail;
	if (anchor(r, &sp, sp.used - back - MML_WALK_REACH, &rec) < 0)
		goto tail;
	return seek_end(it, &rec);
tail:
	return seek_end(it, NULL);
}

int
mml_rd_iter_seek_key(struct mml_rd_iter *it, int by_time, uint64_t key)
{
	struct mml_rd_ring *r = it->ring;
	struct mml_rec rec;
	struct span sp;
	uint64_t lo = 0, hi, mid, k;

	if (span_get(r, &sp) < 0)
		goto tail;
	switch (idx_seek(r, &sp, by_time, key, &rec)) {
	case 1:
		return seek_end(it, &rec);
	case 0:
		goto tail;
	}
	/* Keys grow along the ring: find where they reach key. */
	hi = sp.used;
	while (hi - lo > MML_WALK_REACH) {
		mid = lo + (hi - lo) / 2;
		if (probe(r, &sp, span_phys(r, &sp, mid), &rec) < 0) {
			hi = mid;
			continue;
		}
		k = by_time ? rec.hdr.realtime_usec : rec.hdr.seq;
		if (k < key)
			lo = mid;
		else
			hi = mid;
	}
	/* Every entry before the place must be one the caller skips. */
	if (lo < MML_WALK_REACH ||
	    anchor(r, &sp, lo - MML_WALK_REACH, &rec) < 0 ||
	    !before_key(&rec, by_time, key))
		goto tail;
	return seek_end(it, &rec);
tail:
	return seek_end(it, NULL);
}

int
mml_rd_index_check(struct mml_rd_ring *r, struct mml_rd_idx_report *rep,
    void (*bad)(void *, uint64_t, uint64_t, const char *), void *arg)
{
	struct mml_idx_slot slot;
	struct mml_rec rec;
	uint64_t b;

	memset(rep, 0, sizeof(*rep));
	if (r->idx == NULL)
		return r->idx_missing ? -1 : 0;
	rep->slots = r->idx_slots;
	for (b = 0; b < r->idx_slots; b++) {
		memcpy(&slot, &r->idx[b], sizeof(slot));
		switch (slot_judge(r, b, &slot, mml_rd_ring_tail_seq(r),
		    mml_rd_ring_head_seq(r), POS_ANY, 0, &rec)) {
		case SLOT_EMPTY:
			break;
		case SLOT_STALE:
			rep->stale++;
			break;
		case SLOT_USED:
			rep->used++;
			break;
		case SLOT_BAD:
			rep->damaged++;
			bad(arg, b, mml_idx_file_off(r->capacity) +
			    b * sizeof(slot), "damaged (CRC, offset or "
			    "reserved bytes)");
			break;
		case SLOT_WRONG:
			rep->damaged++;
			bad(arg, b, mml_idx_file_off(r->capacity) +
			    b * sizeof(slot), "names a record that is not there");
			break;
		}
	}
	return 0;
}

/*
 * An open file in the directory of path, for its next contents: an
 * unnamed one (O_TMPFILE) where the file system has them, so that a
 * writer killed before its rename leaves nothing behind (a forwarder
 * in a crash loop would otherwise leave a file per crash), else one
 * named path.XXXXXX.  Returns the descriptor and the directory's name
 * in *ret_dir (to free), or -errno.
 */
static int
tmp_open(const char *path, char **ret_dir)
{
	char *dirc;
	int fd;

	/* dirname() may return a string of its own ("."). */
	dirc = strdup(path);
	if (dirc == NULL)
		return -ENOMEM;
	*ret_dir = strdup(dirname(dirc));
	free(dirc);
	if (*ret_dir == NULL)
		return -ENOMEM;
	fd = open(*ret_dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

/*
 * Gives the unnamed file fd a name beside path (*ret_tmp, to free), to
 * be renamed over it; the window a kill leaves a file in is now these
 * two system calls.  Returns 0 or -errno.
 */
static int
tmp_link(int fd, const char *path, char **ret_tmp)
{
	static unsigned serial;
	char proc[64];
	int i, r;

	(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	for (i = 0; i < 100; i++) {
		if (asprintf(ret_tmp, "%s.%d.%u", path, (int)getpid(),
		    serial++) < 0) {
			*ret_tmp = NULL;
			return -ENOMEM;
		}
		if (linkat(AT_FDCWD, proc, AT_FDCWD, *ret_tmp,
		    AT_SYMLINK_FOLLOW) == 0)
			return 0;
		r = -errno;
		free(*ret_tmp);
		*ret_tmp = NULL;
		if (r != -EEXIST)
			return r;
	}
	return -EEXIST;
}

/*
 * Writes len bytes of text into the new file fd, with mode, and syncs
 * it if durable is set.  Returns 0 or -errno.
 */
static int
tmp_fill(int fd, const char *text, size_t len, mode_t mode, int durable)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	if ((durable && fsync(fd) < 0) || fchmod(fd, mode) < 0)
		return -errno;
	return 0;
}

/*
 * Replaces path with text: a temporary file beside it (given mode),
 * then rename.
 * With durable set, the file is fsync'ed before the rename and the
 * directory after it, so that after a crash the file holds either the
 * old cursor or the new one, never nothing.  Returns 0 or -errno.
 */
int
mml_rd_write_atomic(const char *path, const char *text, mode_t mode,
    int durable)
{
	char *tmp = NULL, *dirc = NULL;
	size_t len = strlen(text);
	int fd, dfd, r;

	fd = tmp_open(path, &dirc);
	if (dirc == NULL)
		return -ENOMEM;
	if (fd >= 0) {
		r = tmp_fill(fd, text, len, mode, durable);
		if (r == 0)
			r = tmp_link(fd, path, &tmp);
		(void)close(fd);
		fd = -1;
		if (r < 0 && r != -ENOENT && r != -EPERM && r != -EXDEV)
			goto out;
	}
	/*
	 * No O_TMPFILE here (EOPNOTSUPP, or EISDIR on old kernels), or no
	 * /proc to name it by: a named temporary file.
	 */
	if (tmp == NULL) {
		if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
			tmp = NULL;
			r = -ENOMEM;
			goto out;
		}
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			free(tmp);
			tmp = NULL;
			goto out;
		}
		r = tmp_fill(fd, text, len, mode, durable);
		if (close(fd) < 0 && r == 0)
			r = -errno;
		if (r < 0)
			goto out;
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto out;
	}
	free(tmp);
	tmp = NULL;
	r = 0;
	if (durable) {
		dfd = open(dirc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) < 0)
			r = -errno;
		if (dfd >= 0)
			(void)close(dfd);
	}
out:
	if (tmp != NULL) {
		(void)unlink(tmp);
		free(tmp);
	}
	free(dirc);
	return r;
}
