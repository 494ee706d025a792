/*
 * ratelimit.h: per-sender rate limits (ratelimit.c), journald's
 * RateLimitIntervalSec= and RateLimitBurst=.  Internal to daemon/.
 *
 * Each sender (one key: a uid or a pid, as the limits say) has a window:
 * `burst` entries pass per `interval_ms`, the rest are suppressed and
 * counted, and once the window is over the count is reported through
 * the limiter's note function, which writes it to the ring.  Nothing
 * here knows a connection or a transport: an intake passes the sender
 * and the time.
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
 * Reports a window's suppressed entries: msg (msg_len bytes) says how
 * many, from whom, and why; who is the window's last sender.  The
 * daemon writes it to the ring as its own note (MMLOG_SUPPRESSED).
 */
typedef void (*mml_rate_note_fn)(const struct mml_rate_sender *who,
    const char *msg, size_t msg_len, uint64_t suppressed, void *arg);

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
 * Reports and forgets every window over at now_usec (all: every window,
 * for shutdown).  Call it every half interval, so that a sender who went
 * quiet is reported too.
 */
void mml_ratelimit_sweep(struct mml_ratelimit *rl, uint64_t now_usec,
    int all);
/* Senders with a window now. */
unsigned mml_ratelimit_senders(const struct mml_ratelimit *rl);
/* Frees the windows without reporting them; accepts NULL. */
struct mml_ratelimit *mml_ratelimit_free(struct mml_ratelimit *rl);

#endif /* MML_RATELIMIT_H */
