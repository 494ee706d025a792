/*
 * ratelimit.h: what one sender may put in the ring (ratelimit.c).
 * Internal to daemon/.
 *
 * Three things, each keyed by the sender's identity and the time, never
 * by a connection or a transport (an intake passes the sender and the
 * time, so every transport can be held to them):
 *
 *   - journald's RateLimitIntervalSec= and RateLimitBurst=: each sender
 *     (a uid or a pid, as the limits say) has a window, `burst` entries
 *     pass per `interval_ms`, the rest are suppressed and counted, and
 *     once the window is over the count is reported;
 *   - each uid's share of the ring: a uid other than root and mmlogd's
 *     own may write at most `percent` of the ring's bytes per
 *     `interval_s` (a token bucket of that many bytes, refilled evenly
 *     over the interval), so that one uid flooding cannot evict the
 *     others' entries faster than that; what is over is suppressed,
 *     counted, and reported once a second;
 *   - the drops clients report (ENTRIES' dropped field): bounded, and
 *     noted in place only as long as the sender has notes left this
 *     second (and its share and rate window allow the note); the rest
 *     are added up into one note a second.
 *
 * Every report goes through the limiter's note function, which writes it
 * to the ring as the daemon's own entry.
 */
#ifndef MML_RATELIMIT_H
#define MML_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Whose entries a rate limit counts together. */
enum mml_rate_key {
	MML_RATE_BY_UID,	/* every process of one user */
	MML_RATE_BY_PID,	/* each process on its own */
};

/* Who sent an entry, as the kernel said; comm need not be terminated. */
struct mml_rate_sender {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	const char *comm;
	size_t comm_len;
};

/*
 * Reports a count: msg (msg_len bytes) says how many, from whom, and
 * why; who is the last sender it concerns; key is the field that
 * carries value ("MMLOG_SUPPRESSED" for suppressed entries,
 * "MMLOG_DROPPED" for drops clients reported).  The daemon writes it to
 * the ring as its own note.
 */
typedef void (*mml_rate_note_fn)(const struct mml_rate_sender *who,
    const char *key, const char *msg, size_t msg_len, uint64_t value,
    void *arg);

/* Drop notes one sender may have written in place per second. */
#define MML_DROP_NOTES_BURST	100
/* How often suppressed bytes and coalesced drops are reported (ms). */
#define MML_RATE_NOTE_MS	1000

struct mml_ratelimit;
struct mml_rate_window;

/*
 * A limiter without limits (interval 0) until mml_ratelimit_set();
 * note(…, arg) reports each window's suppressed entries.  NULL only
 * when out of memory.
 */
struct mml_ratelimit *mml_ratelimit_new(mml_rate_note_fn note, void *arg);
/*
 * New limits: every window's count so far is reported (in the old
 * limits' words) and the windows restart.  interval_ms 0: no limit.
 */
void mml_ratelimit_set(struct mml_ratelimit *rl, unsigned interval_ms,
    unsigned burst, enum mml_rate_key key);
/*
 * Whether uid is exempt from the per-uid limits (share of the ring,
 * connections, pending requests) and may use the connections reserved:
 * root and mmlogd's own effective uid, who could stop the daemon anyway.
 */
int mml_rate_privileged(uid_t uid);
/*
 * Sets each uid's share of the ring: percent (0: no share limit, 1 to
 * 100) of ring_bytes per interval_s seconds (> 0).  Counts so far are
 * reported first, and every uid starts again with a full share.
 */
void mml_ratelimit_set_share(struct mml_ratelimit *rl, uint64_t ring_bytes,
    unsigned percent, unsigned interval_s);
/*
 * Charges bytes (the size of a record in the ring) written for who at
 * now_usec (CLOCK_MONOTONIC) to who->uid's share.  Returns 1 if it may
 * be stored, 0 if it is over the share: then it is suppressed and
 * counted, and reported within a second ("suppressed N entries (B
 * bytes) from uid U", MMLOG_SUPPRESSED=N).  Root, mmlogd's own uid, and
 * everyone while no share is set, always get 1.  A uid that has a full
 * share left may write one record larger than the whole share.  For
 * every transport: e.g. for a syslog datagram's entry,
 *     if (!mml_ratelimit_share(rl, &who, mml_disk_rec_size(...), now))
 *             return suppressed;
 */
int mml_ratelimit_share(struct mml_ratelimit *rl,
    const struct mml_rate_sender *who, uint64_t bytes, uint64_t now_usec);
/*
 * Charges bytes more to who->uid's share for a record already stored
 * (one that came out larger than mml_ratelimit_share() was told: its
 * metadata went inline), as a debt if the share has not that much left;
 * nothing is suppressed.  Root, mmlogd's own uid, and everyone while no
 * share is set: nothing.
 */
void mml_ratelimit_share_charge(struct mml_ratelimit *rl,
    const struct mml_rate_sender *who, uint64_t bytes, uint64_t now_usec);
/*
 * A sender says it dropped `dropped` entries (the ENTRIES dropped
 * field); the count is bounded to MML_WIRE_DROPPED_MAX.  Returns the
 * count to note in place, now, just before the sender's entries; or 0
 * if the sender had its MML_DROP_NOTES_BURST notes this second, or its
 * share or rate window has no room for a note of note_bytes: the count
 * is then added (bounded again) to one note written when the second is
 * over ("... dropped N entries ..., coalesced", MMLOG_DROPPED=N).  A
 * note written in place is charged to the sender's share and rate
 * window as an entry of note_bytes.
 */
uint64_t mml_ratelimit_drops(struct mml_ratelimit *rl,
    const struct mml_rate_sender *who, uint64_t dropped, uint64_t note_bytes,
    uint64_t now_usec);
/* The sender's key under the limits: its uid or its pid. */
uint32_t mml_ratelimit_key(const struct mml_ratelimit *rl,
    const struct mml_rate_sender *who);
/*
 * The window of the sender with key, created at now_usec (CLOCK_MONOTONIC)
 * if new, with who as its last sender.  At the most senders the limiter
 * keeps, ended windows go first, then the oldest, its count reported:
 * memory stays bounded and no count is lost.  NULL only when out of
 * memory: the sender then goes unlimited.  The window is valid until the
 * next call into the limiter other than mml_ratelimit_pass().
 */
struct mml_rate_window *mml_ratelimit_window(struct mml_ratelimit *rl,
    uint32_t key, const struct mml_rate_sender *who, uint64_t now_usec);
/*
 * Whether one more entry of w's sender may pass at now_usec: 1, or 0 if
 * it is suppressed (and counted).  A window that is over is reported
 * and starts again first.
 */
int mml_ratelimit_pass(struct mml_ratelimit *rl, struct mml_rate_window *w,
    uint64_t now_usec);
/*
 * Reports and forgets every window over at now_usec, and reports the
 * counts of every uid whose second is over (all: everything, for
 * shutdown).  Call it every half interval and at least every half
 * second while mml_ratelimit_idle() is 0, so that a sender who went
 * quiet is reported too.
 */
void mml_ratelimit_sweep(struct mml_ratelimit *rl, uint64_t now_usec,
    int all);
/* Senders with a window now. */
unsigned mml_ratelimit_senders(const struct mml_ratelimit *rl);
/* Uids with a share or drop count being kept now. */
unsigned mml_ratelimit_uids(const struct mml_ratelimit *rl);
/* Whether the limiter holds nothing a sweep would ever report or free. */
int mml_ratelimit_idle(const struct mml_ratelimit *rl);
/* Frees the windows without reporting them; accepts NULL. */
struct mml_ratelimit *mml_ratelimit_free(struct mml_ratelimit *rl);

#endif /* MML_RATELIMIT_H */
