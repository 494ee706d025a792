/*
 * server.h: the mmlog protocol's intake (server.c): clients, frames,
 * acknowledgements, and the limits every peer is held to.  Internal to
 * daemon/.
 */
#ifndef MML_SERVER_H
#define MML_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "ratelimit.h"

struct mml_ring;

/* The defaults of the limits and options, as documented in mmlogd(8). */
#define MML_DEFAULT_MAX_ENTRY	4096
#define MML_DEFAULT_SYNC_MS	1000
#define MML_DEFAULT_MAX_CLIENTS	4096
#define MML_DEFAULT_IDLE_S	600
#define MML_DEFAULT_MAX_FIELDS	256
/*
 * ACKs one client may have pending: below what its socket can hold
 * (about 270 small packets with the default buffer), so that a burst of
 * ACKs from one group commit never finds the socket full.
 */
#define MML_DEFAULT_MAX_PENDING	128
#define MML_MAX_PENDING_MAX	1024
#define MML_DEFAULT_RATE_BURST	10000
/*
 * Per uid (root and mmlogd's own uid are exempt, see
 * mml_rate_privileged()): connections, sync requests awaiting their
 * ACK, and the share of the ring (percent of its bytes per interval).
 * The connections reserved are for root and mmlogd's uid only.
 */
#define MML_DEFAULT_MAX_CLIENTS_PER_UID	1024
#define MML_DEFAULT_RESERVED_CLIENTS	32
#define MML_DEFAULT_MAX_PENDING_PER_UID	4096
#define MML_DEFAULT_UID_SHARE		25
#define MML_DEFAULT_UID_SHARE_S		60

/*
 * What a peer may use, all in one place so that a reload can replace
 * them while clients are connected (mml_server_set_limits()).  Defaults
 * and meaning: mmlogd(8), LIMITS.
 */
struct mml_limits {
	size_t max_entry;	/* bytes of tag + message + fields per entry */
	unsigned max_fields;	/* fields items per entry */
	unsigned max_clients;	/* connections at once (see mml_server_add_client()) */
	unsigned max_clients_per_uid; /* ... of one uid, but root's and ours */
	unsigned reserved_clients; /* ... of max_clients, for root's and ours */
	unsigned idle_timeout_s; /* close a client silent this long; 0 never */
	unsigned max_pending;	/* sync requests awaiting their ACK, per client */
	unsigned max_pending_per_uid; /* ... of one uid's clients, but ours */
	unsigned uid_share;	/* percent of the ring per uid per interval;
				   0: no share limit */
	unsigned uid_share_interval_s;
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
	uint64_t clients_evicted; /* closed to make room for another uid's */
	uint64_t frames;
	uint64_t entries;
	uint64_t bytes;
	uint64_t bad_frames;
	uint64_t client_drops;	/* drops reported by clients */
	uint64_t rate_suppressed; /* entries suppressed: rate limit, share */
	uint64_t drops_coalesced; /* drop reports added to a later note */
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
/*
 * Adopts a connected socket as a client (takes ownership of fd), if its
 * uid (SO_PEERCRED) may come in: a uid other than root and mmlogd's own
 * holds at most max_clients_per_uid connections, and those uids
 * together at most max_clients - reserved_clients (reserved_clients at
 * most half of max_clients).  When the table (or that part of it) is
 * full, the least recently active connection, preferably one no ACK is
 * due on, of the uid that holds the most is closed to make room (it
 * gets an ERROR, EUSERS, id 0, and what it had sent is stored first),
 * unless that uid would not hold at least as many as the newcomer's
 * after the move; an unprivileged newcomer never displaces root's or
 * mmlogd's connections.  Returns 0, -EUSERS when refused (the peer gets
 * an ERROR, EUSERS, id 0, saying why; entries it had queued are counted
 * in the ring), or -ENOMEM.
 */
int mml_server_add_client(struct mml_server *s, int fd);
unsigned mml_server_clients(const struct mml_server *s);
/*
 * The counters of the mmlog protocol (entries, rate_suppressed: its
 * own); STATS_REPLY adds every transport's (intake.h).
 */
const struct mml_server_stats *mml_server_get_stats(const struct mml_server *s);
/*
 * The submit path the server's entries go through, for the other
 * intakes to share (its rate limiter, limits and counters follow the
 * server's).
 */
struct mml_intake *mml_server_intake(struct mml_server *s);
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
 * above a lowered max_clients (or per-uid limit) stay; new ones are
 * refused, or make room, as mml_server_add_client() says.  Rate-limit
 * windows and every uid's share restart, after the entries suppressed so
 * far are recorded.  max_entry must still fit the ring (the caller
 * checks, as at start).
 */
void mml_server_set_limits(struct mml_server *s, const struct mml_limits *l);
/*
 * Stops accepting, makes everything durable, acknowledges the waiters
 * and closes every client.  Called once, before mml_server_free().
 */
void mml_server_shutdown(struct mml_server *s);
struct mml_server *mml_server_free(struct mml_server *s);

#endif /* MML_SERVER_H */
