/*
 * intake.h: the one path by which the entries of every transport reach
 * the ring (intake.c).  Internal to daemon/.
 *
 * Each intake (server.c for the mmlog protocol, syslog.c, journal_in.c,
 * stdout.c, kmsg_in.c) receives and parses in its own way, then hands
 * the sender's kernel identity, its transport and one struct mml_ent to
 * mml_intake_submit(), which applies the same rules to all of them:
 * --max-entry (an oversized entry is stored cut, with
 * MMLOG_ORIGINAL_SIZE, and counted), the rate limit, the daemon's own
 * fields, the sender's trusted metadata (meta.h: _TRANSPORT, _HOSTNAME,
 * _BOOT_ID, _EXE, _CMDLINE, _SYSTEMD_UNIT...: in a metadata slot of the
 * ring, which the record names), the ring append, the sync urgency of
 * priority CRIT and worse, and the counters per transport that STATS
 * shows.
 *
 * The metadata is the intake's too: gathered once per connection by the
 * connected transports (mml_intake_meta_get() at accept, held until the
 * connection ends), through a per-pid cache by the datagram ones
 * (mml_intake_sender()), and the host's alone for the kernel.
 */
#ifndef MML_INTAKE_H
#define MML_INTAKE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "disk.h"
#include "entry.h"

struct mml_ring;
struct mml_ratelimit;
struct mml_limits;
struct mml_entry;
struct mml_meta;
struct mml_meta_cache_stats;

/* Where an entry came from: journald's _TRANSPORT, and ours. */
enum mml_transport {
	MML_TRANSPORT_MMLOG = 0,	/* our SOCK_SEQPACKET protocol */
	MML_TRANSPORT_SYSLOG,		/* syslog datagrams (/dev/log) */
	MML_TRANSPORT_JOURNAL,		/* journald's native protocol */
	MML_TRANSPORT_STDOUT,		/* stdout streams */
	MML_TRANSPORT_KERNEL,		/* /dev/kmsg */
	MML_TRANSPORT_MAX
};

/* "mmlog", "syslog", "journal", "stdout", "kernel". */
const char *mml_transport_name(enum mml_transport t);

/*
 * Who sent an entry, as the kernel said (SO_PEERCRED, SCM_CREDENTIALS);
 * pid 0 and uid/gid (uid_t)-1 when it could not say.  comm is
 * /proc/PID/comm, not terminated.  meta is its trusted metadata, as the
 * daemon gathered it (mml_intake_meta_get(), mml_intake_sender()), not
 * owned; NULL: the host's alone (_TRANSPORT, _HOSTNAME, _BOOT_ID).
 */
struct mml_sender {
	pid_t	 pid;
	uid_t	 uid;
	gid_t	 gid;
	uint8_t	 comm_len;
	char	 comm[MML_COMM_MAX];
	const struct mml_meta *meta;
};

/* Fills s->comm from /proc/PID/comm (empty if it cannot be read). */
void	mml_sender_read_comm(struct mml_sender *s);

/* The counters of one transport (STATS_REPLY: "<transport>_<name>"). */
struct mml_intake_counts {
	uint64_t entries;	/* stored */
	uint64_t bytes;		/* bytes received: datagrams, stream bytes */
	uint64_t truncated;	/* stored cut to --max-entry */
	uint64_t suppressed;	/* dropped by the rate limit, and recorded */
	uint64_t errors;	/* input refused: malformed, too many, ... */
	uint64_t lost;		/* known lost before we saw it (kmsg overrun) */
	uint64_t append_errors;	/* the ring refused the record */
};

/* What mml_intake_submit() did with an entry. */
#define MML_INTAKE_STORED	0	/* stored whole */
#define MML_INTAKE_CUT		1	/* stored cut to --max-entry */
#define MML_INTAKE_SUPPRESSED	2	/* rate-limited: counted, not stored */

/*
 * Room each transport's trusted fields may take in a record beyond
 * --max-entry (callers' own trusted fields, mml_intake_submit()'s
 * trusted, included).  A record's tag, message and fields never exceed
 * MML_FRAME_MAX, whatever --max-entry says: readers rely on it.
 */
#define MML_INTAKE_TRUSTED_MAX	512

struct mml_intake;

/*
 * The submit path for the ring r, rate-limited by rl (both stay the
 * caller's).  urgent(arg) asks for a sync as soon as possible (priority
 * CRIT or worse, half the ring unsynced).  NULL only when out of memory.
 */
struct mml_intake *mml_intake_new(struct mml_ring *r, struct mml_ratelimit *rl,
    void (*urgent)(void *), void *arg);
struct mml_intake *mml_intake_free(struct mml_intake *in);

/* The limits in effect (a copy is kept); the initial ones too. */
void	mml_intake_set_limits(struct mml_intake *in, const struct mml_limits *l);
const struct mml_limits *mml_intake_limits(const struct mml_intake *in);

/*
 * Reads the clocks once for what arrived together (one receive batch):
 * the entries submitted until the next call carry these times.
 */
void	mml_intake_clock(struct mml_intake *in);

/*
 * Stores e, which sender who sent by transport t:
 *   - cut to --max-entry (mml_ent_fit(): MMLOG_ORIGINAL_SIZE added) if
 *     it is larger or was cut while parsing;
 *   - suppressed if the sender is over its rate limit or its uid over
 *     its share of the ring (counted; the limiter records the count in
 *     the ring within a second);
 *   - given the daemon's own fields: trusted[0, trusted_len), a fields
 *     block of trusted fields the intake itself vouches for (e.g.
 *     _STREAM_ID), or NULL; at most MML_INTAKE_TRUSTED_MAX - 32 bytes
 *     (more are left out);
 *   - appended to the ring with who->meta (mml_ring_append_meta(): the
 *     record names the slot that holds it, or carries it inline when no
 *     slot is free; NULL: the host's metadata for t), stamped with the
 *     last mml_intake_clock(); a sync is asked for at once for priority
 *     CRIT or worse.
 * The rate limit and the share are charged the record as stored: with
 * its trusted fields, and the metadata when it went inline.
 * e's fields buffer is written to (it is the caller's, writable); when
 * it has too little room for the cut or the trusted fields they are
 * copied first into the intake's own buffer, so any buffer works.  tag
 * and msg are only read.
 *
 * Returns MML_INTAKE_STORED, MML_INTAKE_CUT or MML_INTAKE_SUPPRESSED,
 * with the entry's seq in *ret_seq (may be NULL) when stored; or
 * -EMSGSIZE / -EIO when the ring refused it (counted).  Every outcome
 * is counted in the transport's counters.
 */
int	mml_intake_submit(struct mml_intake *in, enum mml_transport t,
	    const struct mml_sender *who, struct mml_ent *e,
	    const uint8_t *trusted, size_t trusted_len, uint64_t *ret_seq);

/* What mml_intake_submit_frame() did with a frame's entries. */
struct mml_intake_frame {
	uint64_t	 stored;	/* entries stored, cut ones included */
	uint64_t	 cut;		/* of them, stored cut */
	uint64_t	 suppressed;	/* not stored: rate limit or share */
	uint64_t	 last_seq;	/* seq of the last stored; 0: none */
	size_t		 cut_size;	/* the last cut entry's size as sent */
};

/*
 * mml_intake_submit() of each entry of the mmlog ENTRIES frame f (which
 * stays read-only: an entry's fields are copied when something must be
 * added), from who, in order, until the ring refuses one.  The frame's
 * entries are one sender's, so the ring finds the slot of its metadata
 * once, not for each (mml_ring_meta_hold()).  Fills *ret, and returns
 * 0, or the refusal's -errno (-EMSGSIZE, -EIO, -EOVERFLOW): the entries
 * before it are stored, those after it not submitted.
 */
int	mml_intake_submit_frame(struct mml_intake *in,
	    const struct mml_sender *who, const struct mml_frame *f,
	    struct mml_intake_frame *ret);

/*
 * A note of the daemon's own (mml_ring_append_note(): tag "mmlogd",
 * priority warning, one field key=value) about transport t, on behalf
 * of who (may be NULL: nobody), stamped with the time of the batch
 * (mml_intake_clock()) like the entries around it; asks for a sync.
 * Returns as mml_ring_append().
 */
int	mml_intake_note(struct mml_intake *in, enum mml_transport t,
	    const struct mml_sender *who, const char *msg, size_t msg_len,
	    const char *key, uint64_t value);

/* The counters of transport t, which its intake adds to. */
struct mml_intake_counts *mml_intake_counts(struct mml_intake *in,
	    enum mml_transport t);
/* Sums of one counter over every transport. */
uint64_t mml_intake_total_entries(const struct mml_intake *in);
uint64_t mml_intake_total_suppressed(const struct mml_intake *in);
/* Of those, the entries over their uid's share of the ring. */
uint64_t mml_intake_share_suppressed(const struct mml_intake *in);
void	mml_intake_reset_counters(struct mml_intake *in);
/*
 * Appends the counters as STATS_REPLY lines "<transport>_<counter>=N\n"
 * to buf[*len, cap); stops, without a partial line, when full.
 */
void	mml_intake_stats(const struct mml_intake *in, char *buf, size_t cap,
	    size_t *len);

/*
 * Whether a warning a peer caused may be logged now: at most 10 a
 * second for all the intakes of this file together, and a count of the
 * rest once a second.  Every such warning says what happens next.
 */
int	mml_intake_warn_ok(struct mml_intake *in);

/*
 * The sender of a datagram of transport t whose SCM_CREDENTIALS said
 * pid/uid/gid, with its comm from a small cache: read from /proc once,
 * again when the pid comes back with another uid or gid (the pid was
 * reused) or after a second (the process may have exec'd or renamed
 * itself); and its metadata from t's cache (meta.h,
 * mml_meta_cache_get(): checked again when the pid's start time, uid or
 * gid changes, gathered again after MML_META_MAX_AGE_MS), valid until
 * the next call for t.
 */
void	mml_intake_sender(struct mml_intake *in, enum mml_transport t,
	    pid_t pid, uid_t uid, gid_t gid, struct mml_sender *ret);

/*
 * Prepares the datagram socket fd of transport t (syslog, journal) as
 * every datagram intake wants it: SO_PASSCRED, so that each datagram
 * carries its sender's pid, uid and gid from the kernel (a warning if
 * it cannot be set: the senders will be unknown), and a receive buffer
 * of 8 MiB, as systemd's syslog.socket asks (ReceiveBuffer=8M):
 * SO_RCVBUFFORCE when privileged, as systemd's socket units do, else
 * SO_RCVBUF, which the kernel caps at rmem_max.  Never fails: the
 * socket works either way.
 * Example: mml_intake_dgram_setup(fd, MML_TRANSPORT_SYSLOG);
 */
void	mml_intake_dgram_setup(int fd, enum mml_transport t);

/*
 * The trusted metadata of a connection's peer pid (SO_PEERCRED) for
 * transport t, gathered now (never from the datagrams' cache: it is
 * kept for the connection's life) and held until mml_intake_meta_put();
 * unit_fallback is the unit a trusted stream header named, or NULL
 * (mml_meta_gather()).  Connections with the same metadata share one
 * copy.  Never NULL: when memory runs out, the host's metadata for t
 * (which mml_intake_meta_put() ignores).
 * Example: c->meta = mml_intake_meta_get(in, MML_TRANSPORT_MMLOG,
 *     cred.pid, NULL);
 */
const struct mml_meta *mml_intake_meta_get(struct mml_intake *in,
	    enum mml_transport t, pid_t pid, const char *unit_fallback);
/* Lets go of a result of mml_intake_meta_get(); accepts NULL. */
void	mml_intake_meta_put(struct mml_intake *in, const struct mml_meta *m);

/*
 * For tests and measurements: t's cache counters (zeros if it has none:
 * the connected transports never do), and how many distinct metadata
 * connections hold.
 */
void	mml_intake_meta_stats(const struct mml_intake *in,
	    enum mml_transport t, struct mml_meta_cache_stats *ret);
size_t	mml_intake_meta_held(const struct mml_intake *in);

#endif /* MML_INTAKE_H */
