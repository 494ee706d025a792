/*
 * ring.h: the mapped circular log file (ring.c, proto/FORMAT.md).
 * Internal to daemon/.
 *
 * struct mml_ring is ring.c's alone: the loop thread's head, tail and
 * cursors, which only ring.c may move, and the map.  Other modules use
 * the functions below; the values they read are the loop thread's, so
 * they are called on the loop thread unless said otherwise.
 */
#ifndef MML_RING_H
#define MML_RING_H

#include <stdint.h>
#include <sys/types.h>

#include "disk.h"

struct mml_ring;
struct mml_meta;
struct mml_boot;

/* One sync: what to make durable, and what it moves once it is. */
struct mml_sync_job {
	struct { uint64_t off, len; } range[2];	/* data-region byte ranges */
	int n_range;
	uint64_t durable_off;	/* head when the job was made */
	uint64_t durable_seq;	/* newest seq the job makes durable */
	uint64_t seq_limit;	/* sequence limit the job persists */
	uint64_t cursor_seq;	/* durable seq in the header the job writes */
	uint64_t repairs;	/* the ring's repairs when the job was made */
	uint64_t restarts;	/* the ring's numbering when the job was made */
	uint64_t meta_off;	/* file range of metadata slots written: */
	uint64_t meta_len;	/* synced before the records naming them */
	int fd;			/* descriptor to sync through; -1: the ring's */
	int unwritten;		/* records it covers are not in the file: fails */
	int result;		/* 0 or -errno, set by mml_ring_sync_run() */
	uint64_t sync_usec;	/* how long fdatasync() took */
};

/* The ring's numbers for STATS and the log, read together. */
struct mml_ring_state {
	uint64_t next_seq;	/* seq the next entry gets */
	uint64_t durable_seq;	/* newest seq known durable */
	uint64_t corrupt_skips;	/* bytes the tail stepped over as damaged */
	uint64_t bus_errors;	/* SIGBUS on the map, recovered */
	uint64_t lost_seqs;	/* seqs lost to an unclean shutdown (at open) */
};

/*
 * How the daemon's records reach the ring file (mmlogd(8), --ring-write;
 * HACKING.md, "Why pwrite").  Both leave the same bytes in the same page
 * cache; readers map the file read-only whichever it is.  The order is
 * the words of the option ("map|pwrite").
 */
enum mml_ring_write {
	/* Stores into the shared map: a write fault per page and sync. */
	MML_RING_WRITE_MAP,
	/*
	 * Records gathered in memory and pwrite() into the file, once per
	 * loop iteration when mml_ring_defer() is on, else once per entry;
	 * the map is only read.
	 */
	MML_RING_WRITE_PWRITE,
};
#define MML_RING_WRITE_DEFAULT	MML_RING_WRITE_PWRITE

/*
 * Opens (creating if absent, with `size` bytes of data region) and locks
 * the ring at path, validates it and recovers the head.  size_explicit
 * says whether the user asked for size; an existing ring of another size
 * is then an error.  min_cap is the smallest capacity the daemon can use
 * (four of the largest records).  Returns 0 and *ret, or -errno after
 * logging why.
 */
int mml_ring_open(const char *path, uint64_t size, int size_explicit,
    uint64_t min_cap, struct mml_ring **ret);
/*
 * Appends one entry record.  hdr gives priority, flags, lengths, times
 * and credentials; seq is assigned.  Returns 0 and the seq in *ret_seq,
 * -EMSGSIZE if the record cannot fit the ring, -EIO if the sequence
 * space could not be reserved on disk, -EOVERFLOW once the numbering
 * is exhausted (the next seq and the reservation ahead of it would pass
 * MML_SEQ_MAX, making the header one no reader accepts): nothing is
 * stored until mml_ring_restart().
 */
int mml_ring_append(struct mml_ring *r, struct mml_rec_hdr *hdr,
    const void *comm, const void *tag, const void *msg, const void *fields,
    uint64_t *ret_seq);
/*
 * mml_ring_append() of an entry whose sender's trusted fields are meta
 * (daemon/meta.h; NULL: none): the record names the metadata slot that
 * holds them (MML_REC_F_META), one written now if none does; when every
 * slot is still named by an entry in the ring, or the ring has no
 * table, the fields go into the entry's own fields block instead, as
 * far as they fit (MML_FRAME_MAX for tag, message and fields).
 */
int mml_ring_append_meta(struct mml_ring *r, struct mml_rec_hdr *hdr,
    const void *comm, const void *tag, const void *msg, const void *fields,
    const struct mml_meta *meta, uint64_t *ret_seq);
/*
 * With on set, the caller promises that no metadata block it passes to
 * mml_ring_append_meta() changes until it calls this again with on 0
 * (the entries of one client's frame): a record whose metadata is at
 * the same address as the record's before it names the same slot
 * without a lookup.
 */
void mml_ring_meta_hold(struct mml_ring *r, int on);
/*
 * The trusted fields of the entry rec of r (a record of r's data, as
 * the walk found it) into *ret: its slot's, if it names one that still
 * holds them (CRC, generation, first seq); else none (len 0).  For
 * resize.c, which carries them into another ring.
 */
void mml_ring_meta_of(const struct mml_ring *r, const struct mml_rec *rec,
    struct mml_meta *ret);
/*
 * The boot table of another ring (resize.c's copy) into r's, and no
 * boot entry of r's own until mml_ring_boots_release(): the entries
 * copied meanwhile keep the boots they had.
 */
void mml_ring_boots_take(struct mml_ring *r, const struct mml_ring *old);
void mml_ring_boots_release(struct mml_ring *r);
/*
 * Appends a note of the daemon's own (flag MML_REC_F_DAEMON, tag
 * "mmlogd", priority warning) carrying one field key=value, on behalf of
 * the process pid/uid/gid/comm it concerns.  Returns as mml_ring_append().
 */
int mml_ring_append_note(struct mml_ring *r, uint32_t pid, uint32_t uid,
    uint32_t gid, const char *comm, size_t comm_len, const char *msg,
    size_t msg_len, const char *key, uint64_t value);
/*
 * The same, stamped rt/mono (CLOCK_REALTIME/CLOCK_MONOTONIC µs) instead
 * of now: the time of the entries it comes among, so that monotonic
 * times never go back from the note to them.
 */
int mml_ring_append_note_at(struct mml_ring *r, uint64_t rt, uint64_t mono,
    uint32_t pid, uint32_t uid, uint32_t gid, const char *comm,
    size_t comm_len, const char *msg, size_t msg_len, const char *key,
    uint64_t value);
/*
 * Numbering continues at seq, if that is above the next one: for a
 * migration into a new ring, which keeps the numbers of the entries it
 * copies (resize.c).  Readers see the jump as the start of the ring, or
 * as entries lost where the old ring had them damaged.
 */
void mml_ring_skip_to(struct mml_ring *r, uint64_t seq);
/*
 * The running kernel's boot id, 16 bytes (zeros if unknown); a test may
 * set another with MMLOGD_TEST_BOOT_ID=32 hex digits (mmlogd(8),
 * TESTING).
 */
void mml_boot_id(uint8_t id[16]);
/*
 * Control operations (loop thread), each synced before it returns:
 * mml_ring_clear() empties the ring for readers, keeping the numbering
 * (*ret_removed: entries it held); mml_ring_rotate_id() gives the ring
 * a new ring_id.  Return 0 or -errno.
 */
int mml_ring_clear(struct mml_ring *r, uint64_t *ret_removed);
int mml_ring_rotate_id(struct mml_ring *r, const uint8_t id[16]);
/*
 * A rotate-id at or above this next seq also restarts the numbering
 * (mml_ring_restart()): half the format's sequence space, reached only
 * by a damaged or crafted header, never by use.
 */
#define MML_RING_SEQ_RESTART	((uint64_t)1 << 62)
/*
 * Gives the ring the new ring_id id and restarts the numbering at 1: the
 * ring is emptied as by mml_ring_clear() (*ret_removed: the entries it
 * held), the seek index cleared, the durable cursor and the sequence
 * reservation start over.  Safe because no (ring_id, seq) pair is ever
 * used twice: cursors of the old id no longer apply.  Everything written
 * must be durable first (the caller syncs); a sync job made before
 * moves nothing when it ends (mml_ring_sync_done()).  Synced before it
 * returns; 0 or -errno.
 */
int mml_ring_restart(struct mml_ring *r, const uint8_t id[16],
    uint64_t *ret_removed);
/*
 * Chooses how records reach the file from now on (MML_RING_WRITE_DEFAULT
 * after mml_ring_open()).  Returns 0, or -ENOMEM, or -EIO if records
 * waiting to be written cannot be (mml_ring_flush()), the method
 * unchanged.
 */
int mml_ring_set_write(struct mml_ring *r, enum mml_ring_write how);
enum mml_ring_write mml_ring_get_write(const struct mml_ring *r);
/*
 * With on set, records written with MML_RING_WRITE_PWRITE wait in memory
 * until mml_ring_flush() (or until their buffer is full, or anything
 * needs them in the file: a sync job, a control operation, STATS), and
 * readers see them, in the header's head, only then.  The loop thread
 * must call mml_ring_flush() before it sleeps and after each round of
 * callbacks: the sync threads' loop hooks do (sync.c), so that an entry
 * is in the page cache before the loop does anything else, as Redis's
 * beforeSleep writes its AOF.  Off (the default, and for a ring without a
 * loop: tests, resize.c) every append reaches the file before it returns.
 */
void mml_ring_defer(struct mml_ring *r, int on);
/*
 * Writes the records held by mml_ring_defer() into the file and
 * publishes the head that covers them.  Returns 0, or -EIO if they could
 * reach the file neither by pwrite() nor through the map (logged): they
 * wait for the next flush, the head does not cover them, a sync job
 * made meanwhile fails, and appends are refused once no more fit.
 */
int mml_ring_flush(struct mml_ring *r);

/* Sets the counters STATS reports (corrupt_skips, bus_errors) to zero. */
void mml_ring_reset_counters(struct mml_ring *r);

/* Whether data was written since the last sync job was made. */
int mml_ring_dirty(const struct mml_ring *r);
/* Fills a job for everything written so far (loop thread). */
void mml_ring_sync_prepare(struct mml_ring *r, struct mml_sync_job *job);
/* msyncs the job's data, then moves and syncs the durable cursor (any thread). */
void mml_ring_sync_run(struct mml_ring *r, struct mml_sync_job *job);
/* Takes a finished job's result into the loop thread's state. */
void mml_ring_sync_done(struct mml_ring *r, struct mml_sync_job *job);
/*
 * Another open file of the ring, read-write, for a sync thread: the
 * kernel reports a write error once per open file (mml_ring_sync_run()).
 * Returns the descriptor (the caller closes it) or -1 with errno set.
 */
int mml_ring_reopen(const struct mml_ring *r);
/* Syncs everything, marks the ring clean and unmaps it; accepts NULL. */
struct mml_ring *mml_ring_close(struct mml_ring *r);

/*
 * The ring file belongs to uid (unchanged if (uid_t)-1) and gid, mode
 * 0640: readers need only be in the group.  Returns 0 or -errno, logged.
 */
int mml_ring_set_owner(struct mml_ring *r, uid_t uid, gid_t gid);

/*
 * For resize.c.  mml_ring_create_like() makes an empty ring file of cap
 * bytes at path with like's ring id, creation time, owner and mode,
 * replacing a leftover file there; returns 0 or -errno, logged.
 * mml_ring_take_history() gives r the counters of old's header (entries
 * written and overwritten, wraps, opens), discarded more entries
 * overwritten.
 */
int mml_ring_create_like(const char *path, uint64_t cap,
    const struct mml_ring *like);
void mml_ring_take_history(struct mml_ring *r, const struct mml_ring *old,
    uint64_t discarded);

/*
 * What the ring holds, for the other modules: one value each, or the
 * numbers STATS shows together (mml_ring_get_state()).  next_seq is the
 * seq the next entry gets; durable_seq the newest known durable; the
 * tail is the oldest record (tail_seq == next_seq: empty), the head
 * where the next record goes.  unsynced counts the bytes written since
 * the last sync job was made; cursor_unflushed says whether the durable
 * cursor moved after the last job's header was written.
 */
const char *mml_ring_path(const struct mml_ring *r);
uint64_t mml_ring_capacity(const struct mml_ring *r);
/* The seed of the ring's record CRCs (mml_disk_crc_seed()): 0 unkeyed. */
uint32_t mml_ring_crc_seed(const struct mml_ring *r);
uint64_t mml_ring_next_seq(const struct mml_ring *r);
uint64_t mml_ring_durable_seq(const struct mml_ring *r);
uint64_t mml_ring_tail_seq(const struct mml_ring *r);
uint64_t mml_ring_tail_off(const struct mml_ring *r);
uint64_t mml_ring_head_off(const struct mml_ring *r);
uint64_t mml_ring_unsynced(const struct mml_ring *r);
int mml_ring_cursor_unflushed(const struct mml_ring *r);
/* (Flushes first: what STATS counts is in the file.) */
void mml_ring_get_state(struct mml_ring *r, struct mml_ring_state *ret);
/*
 * The map as readers see it, read-only: the header (FORMAT.md) and the
 * data region of mml_ring_capacity() bytes, for walking records.  Both
 * flush first (mml_ring_flush()): a reader in this process sees every
 * entry appended.
 */
const struct mml_disk_header *mml_ring_header(struct mml_ring *r);
const uint8_t *mml_ring_data(struct mml_ring *r);

#endif /* MML_RING_H */
