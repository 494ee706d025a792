/*
 * mmlogd.h: interfaces between the daemon's modules; internal to daemon/.
 */
#ifndef MMLOGD_H
#define MMLOGD_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <ev.h>

#include "disk.h"
#include "wire.h"

#define MML_DEFAULT_SIZE	((uint64_t)64 << 20)
#define MML_DEFAULT_MAX_ENTRY	4096
#define MML_DEFAULT_SYNC_MS	1000
#define MML_DEFAULT_MAX_CLIENTS	4096
#define MML_DEFAULT_IDLE_S	600
#define MML_DEFAULT_CONFIG	"/etc/mmlogd.conf"
#define MML_DEFAULT_MAX_FIELDS	256
/*
 * ACKs one client may have pending: below what its socket can hold
 * (about 270 small packets with the default buffer), so that a burst of
 * ACKs from one group commit never finds the socket full.
 */
#define MML_DEFAULT_MAX_PENDING	128
#define MML_MAX_PENDING_MAX	1024
#define MML_DEFAULT_RATE_BURST	10000

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

/* log.c: the daemon's own diagnostics, one line each on stderr. */
extern int mml_log_level;
void mml_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int mml_log_errno(int err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Quotes at most max bytes of peer data into out (>= 4 * max + 6). */
const char *mml_log_escape(char *out, const void *data, size_t len,
    size_t max);
uint64_t mml_now_usec(clockid_t clock);

/* conf.c: options, from one table for the command line and the file. */
#define MML_CONF_MAX	32	/* options in the table, at most */

struct mml_conf {
	char socket_path[108];	/* sizeof(sun_path) */
	char file_path[PATH_MAX];
	uint64_t size;
	uint64_t resize;
	uint64_t max_entry;
	uint64_t sync_interval_ms;
	uint64_t max_clients;
	uint64_t idle_timeout_s;
	uint64_t max_fields;
	uint64_t max_pending;
	uint64_t rate_limit_interval_ms;
	uint64_t rate_limit_burst;
	uint64_t rate_limit_by;	/* enum mml_rate_key */
	char user[64];
	char group[64];
	uint64_t verbose;

	/* Where the values came from: the file's line, the command line. */
	unsigned line[MML_CONF_MAX];
	const char *cmdline[MML_CONF_MAX];	/* in argv; kept for reloads */
	const char *config_path;
	int config_explicit;	/* named by --config or $MMLOGD_CONFIG */
};

enum {
	MML_CONF_RUN,
	MML_CONF_CHECK,		/* --check-config */
	MML_CONF_HELP,
	MML_CONF_VERSION,
};

/*
 * Parses the command line into c (which it clears): checks every value,
 * keeps them to override the file, notes --config.  Returns MML_CONF_*,
 * or -EINVAL after printing why (a usage error).
 */
int mml_conf_args(struct mml_conf *c, int argc, char **argv);
/*
 * Sets every option of c to its default, then to the file's value, then
 * to the command line's.  Returns 0, or -errno after logging each error
 * with the file's name and line.
 */
int mml_conf_load(struct mml_conf *c);
/* Whether the file or the command line set the option named key. */
int mml_conf_is_set(const struct mml_conf *c, const char *key);
/* The smallest ring the daemon can use with c's max-entry. */
uint64_t mml_conf_min_cap(const struct mml_conf *c);
/*
 * Whether every value of c is one the table allows, as mml_conf_load()
 * leaves them: strings end within their fields, sizes are aligned,
 * numbers within their ranges.  Returns 0, or -ERANGE.
 */
int mml_conf_check(const struct mml_conf *c);
void mml_conf_usage(FILE *f);
/* Prints every option as "key = value  # where from". */
void mml_conf_print(const struct mml_conf *c, FILE *f);
/*
 * For SIGHUP: logs every option whose value differs in next, copies the
 * ones that can change live into cur, and says which need a restart.
 * Returns how many changed.
 */
int mml_conf_update(struct mml_conf *cur, const struct mml_conf *next);

/* ring.c: the mapped circular file. */
struct mml_sync_job {
	struct { uint64_t off, len; } range[2];	/* data-region byte ranges */
	int n_range;
	uint64_t durable_off;	/* head when the job was made */
	uint64_t durable_seq;	/* newest seq the job makes durable */
	uint64_t seq_limit;	/* sequence limit the job persists */
	uint64_t cursor_seq;	/* durable seq in the header the job writes */
	uint64_t repairs;	/* the ring's repairs when the job was made */
	int fd;			/* descriptor to sync through; -1: the ring's */
	int result;		/* 0 or -errno, set by mml_ring_sync_run() */
	uint64_t sync_usec;	/* how long fdatasync() took */
};

struct mml_ring {
	int fd;
	char *path;
	uint8_t *map;
	size_t map_len;
	struct mml_disk_header *hdr;
	uint8_t *data;
	uint64_t cap;
	uint8_t boot_id[16];
	struct mml_idx_slot *idx;	/* the seek index in the map */
	uint64_t idx_slots;
	unsigned idx_shift;
	uint64_t idx_bucket;	/* bucket of the last slot written this lap */
	uint64_t idx_damaged;	/* slots found damaged at open, cleared */

	/* Owned by the loop thread. */
	uint64_t head_off;	/* where the next record goes */
	uint64_t next_seq;	/* seq of the next entry */
	uint64_t tail_off, tail_seq;
	uint64_t seq_limit;	/* persisted: no seq >= this may be used */
	uint64_t synced_off;	/* head when the last sync job was made */
	uint64_t unsynced;	/* bytes written since */
	int wrapped;		/* head wrapped since */
	uint64_t durable_seq;	/* newest seq known durable */
	uint64_t durable_off;	/* ... and where the record after it goes */
	int cursor_unflushed;	/* the header's cursor is newer than on disk */
	struct mml_disk_header static_hdr;	/* to rebuild a lost header */
	uint64_t corrupt_skips;	/* bytes skipped over damaged records */
	int tail_damaged;	/* the tail is stepping over damaged bytes */
	uint64_t start_seq;	/* first seq this open numbers (recovery's head) */
	uint64_t start_off;	/* ... and where it went */
	uint64_t own_bytes;	/* bytes the head covered since, up to cap */

	/* What recovery found, for the log and status. */
	uint64_t recovered_entries;
	uint64_t lost_seqs;	/* sequence numbers skipped after power loss */
	int was_dirty;
	int recovered;		/* open finished: close may sync and mark clean */
	uint64_t bus_errors;	/* SIGBUS on the map, recovered */
	uint64_t repairs;	/* times ring_repair() restored the file */

	/* Test hooks, from the environment (mmlogd(8), TESTING). */
	const char *test_stall_file;
	const char *test_fail_file;
};

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
 * space could not be reserved on disk.
 */
int mml_ring_append(struct mml_ring *r, struct mml_rec_hdr *hdr,
    const void *comm, const void *tag, const void *msg, const void *fields,
    uint64_t *ret_seq);
/*
 * Appends a note of the daemon's own (flag MML_REC_F_DAEMON, tag
 * "mmlogd", priority warning) carrying one field key=value, on behalf of
 * the process pid/uid/gid/comm it concerns.  Returns as mml_ring_append().
 */
int mml_ring_append_note(struct mml_ring *r, uint32_t pid, uint32_t uid,
    uint32_t gid, const char *comm, size_t comm_len, const char *msg,
    size_t msg_len, const char *key, uint64_t value);
/*
 * Numbering continues at seq, if that is above the next one: for a
 * migration into a new ring, which keeps the numbers of the entries it
 * copies (resize.c).  Readers see the jump as the start of the ring, or
 * as entries lost where the old ring had them damaged.
 */
void mml_ring_skip_to(struct mml_ring *r, uint64_t seq);
/* The running kernel's boot id, 16 bytes (zeros if unknown). */
void mml_boot_id(uint8_t id[16]);
/*
 * Control operations (loop thread), each synced before it returns:
 * mml_ring_clear() empties the ring for readers, keeping the numbering
 * (*ret_removed: entries it held); mml_ring_rotate_id() gives the ring
 * a new ring_id.  Return 0 or -errno.
 */
int mml_ring_clear(struct mml_ring *r, uint64_t *ret_removed);
int mml_ring_rotate_id(struct mml_ring *r, const uint8_t id[16]);
/* Whether data was written since the last sync job was made. */
int mml_ring_dirty(const struct mml_ring *r);
/* Fills a job for everything written so far (loop thread). */
void mml_ring_sync_prepare(struct mml_ring *r, struct mml_sync_job *job);
/* msyncs the job's data, then moves and syncs the durable cursor (any thread). */
void mml_ring_sync_run(struct mml_ring *r, struct mml_sync_job *job);
/* Takes a finished job's result into the loop thread's state. */
void mml_ring_sync_done(struct mml_ring *r, struct mml_sync_job *job);
/* Syncs everything, marks the ring clean and unmaps it; accepts NULL. */
struct mml_ring *mml_ring_close(struct mml_ring *r);

/* resize.c: migrating a ring to another size. */
/*
 * Opens the ring at path as mml_ring_open() does.  If size_explicit and
 * an existing ring has another capacity, its entries are first copied,
 * with their sequence numbers, into a new ring of size bytes, which then
 * replaces it (rename(2), once the new ring is durable).  When the new
 * ring cannot hold them all, the oldest are discarded if allow_discard,
 * else the ring is left as it was and -EFBIG returned.  Returns 0 and
 * *ret, or -errno after logging why.
 */
int mml_resize_open(const char *path, uint64_t size, int size_explicit,
    int allow_discard, uint64_t min_cap, struct mml_ring **ret);

/* sync.c: the thread that runs sync jobs off the event loop. */
struct mml_syncer;
typedef void (*mml_sync_done_fn)(struct mml_syncer *, struct mml_sync_job *,
    void *);
struct mml_syncer *mml_syncer_new(struct ev_loop *loop, struct mml_ring *r,
    mml_sync_done_fn done, void *arg);
/* Starts a job on an idle thread; returns 1 if started, 0 if all are busy. */
int mml_syncer_start(struct mml_syncer *s);
/* Whether every thread has a job. */
int mml_syncer_busy(const struct mml_syncer *s);
/* Jobs out (0 when idle). */
int mml_syncer_running(const struct mml_syncer *s);
/* Waits for running jobs and stops the threads; accepts NULL. */
struct mml_syncer *mml_syncer_free(struct mml_syncer *s);

/* server.c: clients, frames, acknowledgements. */

/* Whose entries a rate limit counts together. */
enum mml_rate_key {
	MML_RATE_BY_UID,	/* every process of one user */
	MML_RATE_BY_PID,	/* each process on its own */
};

/*
 * What a peer may use, all in one place so that a reload can replace
 * them while clients are connected (mml_server_set_limits()).  Defaults
 * and meaning: mmlogd(8), LIMITS.
 */
struct mml_limits {
	size_t max_entry;	/* bytes of tag + message + fields per entry */
	unsigned max_fields;	/* fields items per entry */
	unsigned max_clients;	/* connections at once; more are refused */
	unsigned idle_timeout_s; /* close a client silent this long; 0 never */
	unsigned max_pending;	/* sync requests awaiting their ACK, per client */
	unsigned rate_interval_ms; /* rate limit window; 0: no rate limit */
	unsigned rate_burst;	/* entries per sender per window */
	enum mml_rate_key rate_key;
};

/* The defaults, as documented in mmlogd(8). */
void mml_limits_default(struct mml_limits *l);

struct mml_server_opts {
	unsigned sync_interval_ms;
	int drain_backlog;	/* at shutdown, accept and drain queued connections */
	struct mml_limits limits;
};

struct mml_server_stats {
	uint64_t clients_accepted;
	uint64_t clients_refused;
	uint64_t frames;
	uint64_t entries;
	uint64_t bytes;
	uint64_t bad_frames;
	uint64_t client_drops;	/* drops reported by clients */
	uint64_t rate_suppressed; /* entries dropped by the rate limit */
	uint64_t control_ops;	/* CLEAR, ROTATE_ID, RESET_COUNTERS done */
	uint64_t control_denied; /* ... refused for want of privilege */
	uint64_t syncs;
	uint64_t sync_errors;
	uint64_t sync_usec_last;	/* the last fdatasync() */
	uint64_t sync_usec_avg;		/* moving average, weight 1/16 */
	uint64_t sync_usec_max;
	uint64_t acks;
	uint64_t append_errors;
};

struct mml_server;
/*
 * Creates the server on loop over the listening socket listen_fd (not
 * owned; -1 for none, as in tests that use mml_server_add_client()).
 */
struct mml_server *mml_server_new(struct ev_loop *loop, struct mml_ring *r,
    int listen_fd, const struct mml_server_opts *opts);
/* Adopts a connected socket as a client (takes ownership of fd). */
int mml_server_add_client(struct mml_server *s, int fd);
unsigned mml_server_clients(const struct mml_server *s);
const struct mml_server_stats *mml_server_get_stats(const struct mml_server *s);
/* Sets the sync interval (ms, >0). */
void mml_server_set_sync_interval(struct mml_server *s, unsigned ms);
/*
 * Applies new options to a running server: the sync interval and the
 * limits, as mml_server_set_limits() (drain_backlog is kept).
 */
void mml_server_set_opts(struct mml_server *s,
    const struct mml_server_opts *opts);
/*
 * Replaces the limits while clients are connected.  Connected clients
 * above a lowered max_clients stay (new ones are refused until the count
 * is below it); rate-limit windows restart, after the entries suppressed
 * so far are recorded.  max_entry must still fit the ring (the caller
 * checks, as at start).
 */
void mml_server_set_limits(struct mml_server *s, const struct mml_limits *l);
/*
 * Stops accepting, makes everything durable, acknowledges the waiters
 * and closes every client.  Called once, before mml_server_free().
 */
void mml_server_shutdown(struct mml_server *s);
struct mml_server *mml_server_free(struct mml_server *s);

#endif /* MMLOGD_H */
