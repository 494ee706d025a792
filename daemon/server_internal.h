/*
 * server_internal.h: what server.c shares with the files that take
 * parts of the mmlog protocol's server off it: control.c (STATS and the
 * control operations) and uids.c (connections counted per uid, who may
 * come in, who makes room).  Internal to those three; the rest of the
 * daemon sees server.h.
 */
#ifndef MML_SERVER_INTERNAL_H
#define MML_SERVER_INTERNAL_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <ev.h>

#include "disk.h"
#include "ratelimit.h"
#include "server.h"
#include "wire.h"

struct mml_meta;
struct mml_intake;
struct mml_syncer;
struct mml_sync_job;

/* Packets per recvmmsg() call. */
#define RECV_BATCH		8
/* Hash chains of the per-uid table. */
#define UID_HASH		256

struct pending_ack {
	uint32_t id;
	uint16_t flags;		/* of the ACK: MML_FRAME_F_TRUNCATED */
	uint64_t seq;
};

/*
 * What one uid holds: its connections (linked by uprev/unext) and the
 * ACKs they wait for.  An entry lives as long as the uid has a
 * connection.
 */
struct uid_use {
	struct uid_use *next;
	uid_t uid;
	int priv;		/* root or mmlogd's uid: mml_rate_privileged() */
	unsigned n_conns;
	unsigned n_pending;
	struct mml_conn *conns;
};

struct mml_conn {
	struct mml_server *srv;
	ev_io io;
	int fd;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char comm[MML_COMM_MAX];
	uint8_t comm_len;
	const struct mml_meta *meta;	/* trusted metadata, held (intake.h) */
	int subscribed;
	int closing;		/* close once the current frame is done */
	int rd_shut;		/* shutdown(SHUT_RD) done: the queue is all */
	ev_tstamp last_active;
	struct mml_conn *prev, *next;
	struct uid_use *uu;
	struct mml_conn *uprev, *unext;
	struct pending_ack *acks;
	unsigned n_acks, cap_acks;
	/*
	 * Entries of frames that asked for no answer, suppressed since
	 * the last SYNC answered: that SYNC is refused (E_SUPPRESSED), for
	 * they were sent before it and are not stored.
	 */
	uint64_t suppressed;
	uint64_t frames, entries, bad;
	/*
	 * Entries of this connection stored cut to --max-entry since its
	 * last request for an ACK: the next ACK says so.
	 */
	uint64_t cut;
};

struct mml_server {
	struct ev_loop *loop;
	struct mml_ring *ring;
	struct mml_syncer *syncer;
	struct mml_server_opts opts;
	int listen_fd;
	ev_io accept_io;
	ev_timer accept_retry;	/* after EMFILE or a refusal, not spinning */
	ev_timer sync_timer;	/* --sync-interval */
	ev_timer idle_timer;	/* sweeps idle clients */
	ev_timer rate_timer;	/* records and frees ended rate windows */
	struct mml_ratelimit *rl;
	struct mml_intake *in;	/* the submit path, shared with the intakes */
	ev_prepare prepare;	/* once per loop iteration, before sleeping */
	ev_timer gather_timer;	/* bounds waiting for a fuller group commit */
	unsigned gather_target;	/* requests served by the last group commit,
				   and those that came meanwhile */
	uint64_t wait_seq;	/* newest seq a client waits for */
	uint64_t job_seq;	/* newest seq the last job started covers */
	int gather_expired;
	struct mml_conn *conns;
	unsigned n_conns;
	unsigned n_unpriv;	/* ... of uids other than root and ours */
	struct uid_use *uids[UID_HASH];
	unsigned n_waiting;	/* clients with pending ACKs */
	unsigned n_pending;	/* pending ACKs, of all clients */
	int sync_now;		/* a sync is wanted as soon as possible */
	int sync_error;		/* last sync failed: -errno */
	uint64_t notified_seq;	/* next_seq in the last NOTIFY */
	int shutting_down;
	ev_tstamp warn_window;
	unsigned warn_count;
	uint64_t warn_muted;
	struct mml_server_stats st;
	/*
	 * One set of receive buffers serves every client: the loop reads
	 * one client at a time.  Pages are touched only as packets need
	 * them, so small entries cost little resident memory.
	 */
	struct mmsghdr mmsg[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int) * 16)];
	} cbuf[RECV_BATCH];
	uint8_t rbuf[RECV_BATCH][MML_FRAME_MAX];
};

/* server.c */
/* Whether a warning a peer caused may be logged now (10 a second). */
int	mml_srv_warn_ok(struct mml_server *s);
/* Sends buf to c; a client that cannot take it is closed. */
void	mml_srv_send(struct mml_conn *c, const void *buf, size_t len);
/* Sends an ERROR for request id: errno value, reason, text. */
void	mml_srv_error(struct mml_conn *c, uint32_t id, int err,
	    enum mml_wire_reason reason, const char *text);
/* Sends an ACK for request id: flags, the durable seq. */
void	mml_srv_ack(struct mml_conn *c, uint32_t id, uint16_t flags,
	    uint64_t seq);
/* Asks for a sync; now: as soon as possible. */
void	mml_srv_want_sync(struct mml_server *s, int now);
/* A sync job is done: the waiters it covers are answered. */
void	mml_srv_sync_done(struct mml_syncer *sy, struct mml_sync_job *job,
	    void *arg);
/* Reads and handles what c sent; returns -1 if c was closed. */
int	mml_srv_read(struct mml_conn *c, int budget);
/* Starts the limiter's timer if it has counts to write. */
void	mml_srv_rate_timer_want(struct mml_server *s);

/* control.c: STATS, and CLEAR, ROTATE_ID, RESET_COUNTERS. */
void	mml_srv_stats(struct mml_conn *c, const struct mml_frame *f);
void	mml_srv_control(struct mml_conn *c, const struct mml_frame *f);

/* uids.c */
/* The uid's entry, made if new; NULL only when out of memory. */
struct uid_use *mml_srv_uid_get(struct mml_server *s, uid_t uid);
/* Forgets a uid whose last connection went. */
void	mml_srv_uid_put(struct mml_server *s, struct uid_use *u);
/*
 * Whether a client of uid may come in now, after making room if the
 * table is full.  Returns 0, or -EUSERS with why in why.
 */
int	mml_srv_admit(struct mml_server *s, uid_t uid, char *why,
	    size_t why_len);
/* Refuses the client at fd (ERROR EUSERS, what it queued counted). */
void	mml_srv_refuse(struct mml_server *s, int fd, const struct ucred *cred,
	    const char *why);

#endif /* MML_SERVER_INTERNAL_H */
