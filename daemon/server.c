/*
 * server.c: accepting clients, receiving and validating their frames,
 * copying entries into the ring and acknowledging durability.
 *
 * Everything here runs on the event-loop thread.  A peer is untrusted:
 * its identity comes from SO_PEERCRED, each frame is checked whole by
 * mml_wire_decode() before any byte reaches the ring, and nothing a peer
 * sends can end the daemon or make it hold unbounded memory (clients
 * are limited in number, each has a bounded queue of pending ACKs, and
 * one receive buffer serves everyone).  No uid can crowd out the others
 * either: connections and pending ACKs are counted per uid, and when
 * the table is full the uid that holds the most makes room (see
 * mml_server_add_client(), uids.c); what each uid may write is the
 * rate limiter's (ratelimit.h).  STATS and the control operations are
 * control.c's.  What the three share is server_internal.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "intake.h"
#include "log.h"
#include "macro.h"
#include "ratelimit.h"
#include "ring.h"
#include "server.h"
#include "server_internal.h"
#include "sync.h"
#include "util.h"
#include "wire.h"

/* Frames read from one client per wakeup before the next gets a turn. */
#define FRAMES_PER_WAKEUP	64
/*
 * Longest a group commit waits for the clients of the last one to ask
 * again (seconds).  libev's epoll backend sleeps in whole milliseconds.
 */
#define GATHER_MAX		0.001
/* ACKs per sendmmsg() call. */
#define ACK_BATCH		32
/*
 * The bound on draining one connection, in recvmmsg() calls.  A closing
 * one, and every one at shutdown, is shut for reading first: the queue
 * is all there is, at most what the client's send buffer held.
 */
#define DRAIN_ROUNDS_MAX	16384
/* Peer-triggered warnings allowed per second before they are muted. */
#define WARN_BURST		10
/* The longest a limiter's count waits to be noted (s); see rate_timer. */
#define RATE_SWEEP_MAX		0.5

static void conn_read_cb(struct ev_loop *, ev_io *, int);
static struct mml_conn *conn_free(struct mml_conn *);
static void server_urgent(void *);
static unsigned ack_waiters(struct mml_server *, uint64_t, int);
static void rate_note(const struct mml_rate_sender *, const char *,
    const char *, size_t, uint64_t, void *);
static void limits_apply(struct mml_server *);
static void accept_resume(struct mml_server *);
static int conn_add(struct mml_server *, int, const struct ucred *);

void
mml_limits_default(struct mml_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->max_entry = MML_DEFAULT_MAX_ENTRY;
	l->max_fields = MML_DEFAULT_MAX_FIELDS;
	l->max_clients = MML_DEFAULT_MAX_CLIENTS;
	l->max_clients_per_uid = MML_DEFAULT_MAX_CLIENTS_PER_UID;
	l->reserved_clients = MML_DEFAULT_RESERVED_CLIENTS;
	l->idle_timeout_s = MML_DEFAULT_IDLE_S;
	l->max_pending = MML_DEFAULT_MAX_PENDING;
	l->max_pending_per_uid = MML_DEFAULT_MAX_PENDING_PER_UID;
	l->uid_share = MML_DEFAULT_UID_SHARE;
	l->uid_share_interval_s = MML_DEFAULT_UID_SHARE_S;
	l->rate_interval_ms = 0;
	l->rate_burst = MML_DEFAULT_RATE_BURST;
	l->rate_key = MML_RATE_BY_UID;
}

/*
 * Rate-limited warnings for anything a peer can trigger: a flood of bad
 * frames must not become a flood of log lines.
 */
int
mml_srv_warn_ok(struct mml_server *s)
{
	ev_tstamp now = ev_now(s->loop);

	if (now - s->warn_window >= 1.0) {
		if (s->warn_muted)
			mml_log(LOG_WARNING, "%llu more client warnings "
			    "suppressed", (unsigned long long)s->warn_muted);
		s->warn_window = now;
		s->warn_count = 0;
		s->warn_muted = 0;
	}
	if (s->warn_count++ < WARN_BURST)
		return 1;
	s->warn_muted++;
	return 0;
}

static void
read_comm(struct mml_conn *c)
{
	struct mml_sender who;

	memset(&who, 0, sizeof(who));
	who.pid = c->pid;
	mml_sender_read_comm(&who);
	memcpy(c->comm, who.comm, who.comm_len);
	c->comm_len = who.comm_len;
}

/* Adds the connected socket fd of the peer cred as a client. */
static int
conn_add(struct mml_server *s, int fd, const struct ucred *cred)
{
	struct mml_conn *c;
	struct uid_use *u;

	c = calloc(1, sizeof(*c));
	u = mml_srv_uid_get(s, cred->uid);
	if (c == NULL || u == NULL) {
		free(c);
		if (u != NULL)
			mml_srv_uid_put(s, u);
		(void)close(fd);
		return -ENOMEM;
	}
	c->srv = s;
	c->fd = fd;
	c->pid = cred->pid;
	c->uid = cred->uid;
	c->gid = cred->gid;
	read_comm(c);
	/* Gathered once, at connect: what the kernel named is the peer. */
	c->meta = mml_intake_meta_get(s->in, MML_TRANSPORT_MMLOG, c->pid,
	    NULL);
	c->last_active = ev_now(s->loop);
	ev_io_init(&c->io, conn_read_cb, fd, EV_READ);
	ev_io_start(s->loop, &c->io);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	c->uu = u;
	c->unext = u->conns;
	if (u->conns != NULL)
		u->conns->uprev = c;
	u->conns = c;
	u->n_conns++;
	if (!u->priv)
		s->n_unpriv++;
	s->st.clients_accepted++;
	mml_log(LOG_DEBUG, "client fd %d pid %d uid %d connected", fd,
	    (int)c->pid, (int)c->uid);
	return 0;
}

/* The peer of fd as the kernel says; a peer it cannot name is nobody's. */
static void
peer_cred(int fd, struct ucred *ret)
{
	socklen_t len = sizeof(*ret);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, ret, &len) < 0) {
		/* Not a Unix socket peer we can identify: say so, never guess. */
		ret->pid = 0;
		ret->uid = (uid_t)-1;
		ret->gid = (gid_t)-1;
	}
}

int
mml_server_add_client(struct mml_server *s, int fd)
{
	struct ucred cred;
	char why[200];

	peer_cred(fd, &cred);
	if (mml_srv_admit(s, cred.uid, why, sizeof(why)) < 0) {
		mml_srv_refuse(s, fd, &cred, why);
		return -EUSERS;
	}
	return conn_add(s, fd, &cred);
}

static struct mml_conn *
conn_free(struct mml_conn *c)
{
	struct mml_server *s;
	struct uid_use *u;

	if (c == NULL)
		return NULL;
	s = c->srv;
	u = c->uu;
	mml_log(LOG_DEBUG, "client fd %d pid %d gone", c->fd, (int)c->pid);
	ev_io_stop(s->loop, &c->io);
	(void)close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	if (c->uprev)
		c->uprev->unext = c->unext;
	else
		u->conns = c->unext;
	if (c->unext)
		c->unext->uprev = c->uprev;
	u->n_conns--;
	u->n_pending -= c->n_acks;
	if (!u->priv)
		s->n_unpriv--;
	mml_srv_uid_put(s, u);
	if (c->n_acks)
		s->n_waiting--;
	s->n_pending -= c->n_acks;
	mml_intake_meta_put(s->in, c->meta);
	free(c->acks);
	free(c);
	/* A slot (and a descriptor) is free again. */
	accept_resume(s);
	return NULL;
}

/*
 * Accepting resumes at once if it was paused (for want of a slot or a
 * descriptor) and a slot is free.
 */
static void
accept_resume(struct mml_server *s)
{
	if (s->listen_fd >= 0 && !s->shutting_down &&
	    !ev_is_active(&s->accept_io) &&
	    s->n_conns < s->opts.limits.max_clients) {
		ev_timer_stop(s->loop, &s->accept_retry);
		ev_io_start(s->loop, &s->accept_io);
	}
}

/*
 * Replies never block the loop.  A client whose socket is full is not
 * reading its replies: NOTIFY is simply skipped, an ACK or ERROR it
 * would never see closes the connection (its pending sync then fails
 * with EPIPE on its side rather than hanging).  What it had already
 * sent is still read and stored first (see mml_srv_read()).
 */
static void
conn_send_failed(struct mml_conn *c)
{
	if (errno == EAGAIN && mml_srv_warn_ok(c->srv))
		mml_log(LOG_WARNING, "client pid %d does not read its replies, "
		    "closing the connection", (int)c->pid);
	c->closing = 1;
}

void
mml_srv_send(struct mml_conn *c, const void *buf, size_t len)
{
	ssize_t n;

	if (c->closing)
		return;
	n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n >= 0)
		return;
	conn_send_failed(c);
}

void
mml_srv_error(struct mml_conn *c, uint32_t id, int error,
    enum mml_wire_reason reason, const char *text)
{
	uint8_t buf[512];
	size_t n;

	n = mml_wire_error(buf, sizeof(buf), id, error, reason, text);
	mml_srv_send(c, buf, n);
}

static int
queue_ack(struct mml_conn *c, uint32_t id, uint16_t flags, uint64_t seq)
{
	struct mml_server *s = c->srv;
	struct pending_ack *a;
	unsigned ncap;

	if (c->n_acks >= s->opts.limits.max_pending)
		return -ENOBUFS;
	if (!c->uu->priv &&
	    c->uu->n_pending >= s->opts.limits.max_pending_per_uid)
		return -ENOBUFS;
	if (c->n_acks == c->cap_acks) {
		ncap = c->cap_acks ? c->cap_acks * 2 : 4;
		a = realloc(c->acks, ncap * sizeof(*a));
		if (a == NULL)
			return -ENOMEM;
		c->acks = a;
		c->cap_acks = ncap;
	}
	if (c->n_acks == 0)
		s->n_waiting++;
	if (seq > s->wait_seq)
		s->wait_seq = seq;
	c->acks[c->n_acks].id = id;
	c->acks[c->n_acks].flags = flags;
	c->acks[c->n_acks].seq = seq;
	c->n_acks++;
	c->uu->n_pending++;
	s->n_pending++;
	return 0;
}

/* seq: the newest entry the request covers, now durable. */
void
mml_srv_ack(struct mml_conn *c, uint32_t id, uint16_t flags, uint64_t seq)
{
	uint8_t buf[MML_ACK_FRAME_SIZE];

	mml_wire_ack(buf, id, flags, seq, mml_ring_next_seq(c->srv->ring));
	mml_srv_send(c, buf, sizeof(buf));
	c->srv->st.acks++;
	mml_log(LOG_DEBUG, "ack id %u seq %llu to pid %d", id,
	    (unsigned long long)seq, (int)c->pid);
}

/*
 * ACKs due to one connection, in order, ACK_BATCH at most, in one
 * sendmmsg(): a client that keeps many entries out (mmlog_write_async())
 * has dozens due after one sync, and a syscall each was a good part of
 * the loop's time per entry.
 */
static void
send_acks(struct mml_conn *c, const struct pending_ack *a, unsigned n)
{
	uint8_t buf[ACK_BATCH][MML_ACK_FRAME_SIZE];
	struct mmsghdr mm[ACK_BATCH];
	struct iovec iov[ACK_BATCH];
	unsigned i, k;
	int sent;

	while (n > 0 && !c->closing) {
		k = n < ACK_BATCH ? n : ACK_BATCH;
		memset(mm, 0, k * sizeof(mm[0]));
		for (i = 0; i < k; i++) {
			mml_wire_ack(buf[i], a[i].id, a[i].flags, a[i].seq,
			    mml_ring_next_seq(c->srv->ring));
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		sent = sendmmsg(c->fd, mm, k, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent <= 0) {
			conn_send_failed(c);
			return;
		}
		for (i = 0; i < (unsigned)sent; i++)
			mml_log(LOG_DEBUG, "ack id %u seq %llu to pid %d",
			    a[i].id, (unsigned long long)a[i].seq,
			    (int)c->pid);
		c->srv->st.acks += (uint64_t)sent;
		/* A short count: the next call says why (EAGAIN: full). */
		a += sent;
		n -= (unsigned)sent;
	}
}

/*
 * Serves waiters whose entries are durable; with error set (a failed
 * msync), refuses them all instead: durability is never claimed for
 * data that may not be on disk.
 */
static unsigned
ack_waiters(struct mml_server *s, uint64_t durable, int error)
{
	struct pending_ack due[ACK_BATCH];
	struct mml_conn *c, *next;
	unsigned i, j, nd, served = 0;

	for (c = s->conns; c != NULL && s->n_waiting; c = next) {
		next = c->next;
		if (c->n_acks == 0)
			continue;
		/* Those not due yet move to the front, in their order. */
		for (i = 0, j = 0, nd = 0; i < c->n_acks; i++) {
			if (error)
				mml_srv_error(c, c->acks[i].id, -error, 0,
				    error == -ESTALE ? "entries could not be "
				    "made durable (the ring file was removed "
				    "or replaced under mmlogd)" : "entries "
				    "could not be made durable (msync failed); "
				    "see mmlogctl status");
			else if (c->acks[i].seq <= durable) {
				due[nd++] = c->acks[i];
				if (nd == ACK_BATCH) {
					send_acks(c, due, nd);
					nd = 0;
				}
			} else
				c->acks[j++] = c->acks[i];
		}
		if (nd > 0)
			send_acks(c, due, nd);
		served += c->n_acks - j;
		s->n_pending -= c->n_acks - j;
		c->uu->n_pending -= c->n_acks - j;
		c->n_acks = j;
		if (j == 0)
			s->n_waiting--;
		if (c->closing)
			(void)mml_srv_read(c, 0);
	}
	return served;
}

void
mml_srv_sync_done(struct mml_syncer *sy, struct mml_sync_job *job, void *arg)
{
	struct mml_server *s = arg;
	unsigned served;

	(void)sy;
	s->st.syncs++;
	s->st.sync_usec_last = job->sync_usec;
	s->st.sync_usec_avg = s->st.syncs == 1 ? job->sync_usec :
	    (s->st.sync_usec_avg * 15 + job->sync_usec) / 16;
	if (job->sync_usec > s->st.sync_usec_max)
		s->st.sync_usec_max = job->sync_usec;
	if (job->result < 0) {
		s->st.sync_errors++;
		if (s->sync_error == 0 && job->result == -ESTALE)
			mml_log(LOG_ERR, "ring '%s' was removed or replaced "
			    "under mmlogd: entries go on into the file it has "
			    "open, which nobody will read, and none is "
			    "acknowledged as durable; restart mmlogd to open "
			    "the ring at that path", mml_ring_path(s->ring));
		else if (s->sync_error == 0)
			(void)mml_log_errno(job->result, "msync of ring '%s' "
			    "failed; durability is not acknowledged until a "
			    "sync succeeds", mml_ring_path(s->ring));
		s->sync_error = job->result;
		ack_waiters(s, 0, job->result);
		return;
	}
	if (s->sync_error != 0)
		mml_log(LOG_NOTICE, "ring '%s' syncs again", mml_ring_path(s->ring));
	s->sync_error = 0;
	served = ack_waiters(s, mml_ring_durable_seq(s->ring), 0);
	/*
	 * More requests came while this job ran: the next job serves them.
	 * The clients just served usually ask again within microseconds;
	 * starting at once would leave them to the job after, and the
	 * clients would settle into two cohorts that each get half the
	 * syncs.  So the next job waits until as many requests wait as
	 * were served now or are waiting already, or GATHER_MAX at most
	 * (see prepare_cb()).  Requests, not clients: one that keeps a
	 * window of entries out (mmlog_write_async()) sends them back to
	 * back, and the job should take them all.
	 */
	s->gather_target = served + s->n_pending;
	s->gather_expired = 0;
}

/* Whether a client waits for an entry no job out covers. */
static int
uncovered_waiters(const struct mml_server *s)
{
	return s->n_waiting > 0 && s->wait_seq > s->job_seq &&
	    !s->shutting_down;
}

void
mml_srv_want_sync(struct mml_server *s, int now)
{
	if (now)
		s->sync_now = 1;
}

/* The submit path asks for a sync at once (CRIT, half a ring unsynced). */
static void
server_urgent(void *arg)
{
	mml_srv_want_sync(arg, 1);
}

/* Who sent c's entries, for the rate limiter. */
static void
conn_rate_sender(const struct mml_conn *c, struct mml_rate_sender *ret)
{
	ret->pid = c->pid;
	ret->uid = c->uid;
	ret->gid = c->gid;
	ret->comm = c->comm;
	ret->comm_len = c->comm_len;
}

/*
 * Records a client's own count of entries it had to drop, bounded
 * (MML_WIRE_DROPPED_MAX), just before its entries; or, when its uid had
 * its notes this second or is over its share or rate window, adds it
 * to one note at the end of the second (mml_ratelimit_drops()).  Either
 * way the note counts against the sender, so no flood of frames that
 * claim drops, refused or not, puts more in the ring than it may.
 */
static void
record_client_drops(struct mml_conn *c, const struct mml_rate_sender *who,
    uint32_t dropped)
{
	struct mml_server *s = c->srv;
	uint64_t n = dropped > MML_WIRE_DROPPED_MAX ? MML_WIRE_DROPPED_MAX :
	    dropped;
	char msg[200];
	int len;

	s->st.client_drops += n;
	if (dropped > n)
		len = snprintf(msg, sizeof(msg), "client pid %d dropped %llu "
		    "entries before this point (it claimed %u; no more than "
		    "%u are counted per frame)", (int)c->pid,
		    (unsigned long long)n, dropped, MML_WIRE_DROPPED_MAX);
	else
		len = snprintf(msg, sizeof(msg), "client pid %d dropped %llu "
		    "entries before this point (its socket was full or mmlogd "
		    "was unreachable)", (int)c->pid, (unsigned long long)n);
	if (len < 0 || (size_t)len >= sizeof(msg))
		len = (int)strlen(msg);
	if (mml_ratelimit_drops(s->rl, who, n, mml_disk_rec_size(c->comm_len,
	    6, (size_t)len, 32), mml_now_usec(CLOCK_MONOTONIC)) == 0) {
		s->st.drops_coalesced++;
		mml_srv_rate_timer_want(s);
		return;
	}
	if (mml_ring_append_note(s->ring, (uint32_t)c->pid, (uint32_t)c->uid,
	    (uint32_t)c->gid, c->comm, c->comm_len, msg, (size_t)len,
	    "MMLOG_DROPPED", n) < 0)
		s->st.append_errors++;
}

/* The limiter's report of a count, into the ring. */
static void
rate_note(const struct mml_rate_sender *who, const char *key,
    const char *msg, size_t msg_len, uint64_t value, void *arg)
{
	struct mml_server *s = arg;

	if (mml_ring_append_note(s->ring, (uint32_t)who->pid, (uint32_t)who->uid,
	    (uint32_t)who->gid, who->comm, who->comm_len, msg, msg_len,
	    key, value) < 0)
		s->st.append_errors++;
}

/*
 * Sweeps the limiter while it holds anything, so that counts are noted
 * within RATE_SWEEP_MAX (or half a rate window) of their end, also for a
 * sender that went quiet; it stops when there is nothing left.
 */
static void
rate_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mml_server *s = container_of(w, struct mml_server, rate_timer);

	(void)revents;
	mml_ratelimit_sweep(s->rl, mml_now_usec(CLOCK_MONOTONIC), 0);
	if (mml_ratelimit_idle(s->rl))
		ev_timer_stop(loop, &s->rate_timer);
}

void
mml_srv_rate_timer_want(struct mml_server *s)
{
	if (!ev_is_active(&s->rate_timer) && !mml_ratelimit_idle(s->rl))
		ev_timer_again(s->loop, &s->rate_timer);
}

/* Why the ring refused an entry, for the ERROR and the log. */
static const char *
append_error_text(int r)
{
	switch (r) {
	case -EMSGSIZE:
		return "entry too large for this ring";
	case -EOVERFLOW:
		return "the ring's sequence numbers are exhausted (near 2^63): "
		    "entries are refused until mmlogctl rotate-id restarts "
		    "the numbering";
	default:
		return "ring could not reserve sequence numbers";
	}
}

/*
 * Entries suppressed (rate limit, share of the ring) are refused, not
 * acknowledged: the ERROR (EBUSY, E_SUPPRESSED) of an F_SYNC frame
 * that had any, or of the next SYNC after frames that asked for
 * nothing had some.
 */
static void
suppressed_error(struct mml_conn *c, uint32_t id, uint64_t n, uint64_t of)
{
	char text[200];

	if (of > 0)
		(void)snprintf(text, sizeof(text), "%llu of the frame's %llu "
		    "entries suppressed, not stored (rate limit or the uid's "
		    "share of the ring); see the daemon's MMLOG_SUPPRESSED note",
		    (unsigned long long)n, (unsigned long long)of);
	else
		(void)snprintf(text, sizeof(text), "%llu entries sent before "
		    "this sync were suppressed, not stored (rate limit or the "
		    "uid's share of the ring); see the daemon's MMLOG_SUPPRESSED "
		    "note", (unsigned long long)n);
	mml_srv_error(c, id, EBUSY, MML_WIRE_E_SUPPRESSED, text);
}

/* Who the client is, as the kernel said at connect time. */
static void
conn_sender(const struct mml_conn *c, struct mml_sender *ret)
{
	ret->pid = c->pid;
	ret->uid = c->uid;
	ret->gid = c->gid;
	ret->comm_len = c->comm_len;
	memcpy(ret->comm, c->comm, c->comm_len);
	ret->meta = c->meta;
}

/*
 * The entries of a frame go through the submit path every transport
 * shares (intake.c): an entry over --max-entry is stored cut, with
 * MMLOG_ORIGINAL_SIZE, and the ACK that covers it says so
 * (MML_FRAME_F_TRUNCATED); the rate limit; the ring; the counters.
 */
static void
handle_entries(struct mml_conn *c, const struct mml_frame *f)
{
	struct mml_server *s = c->srv;
	const struct mml_limits *lim = &s->opts.limits;
	struct mml_rate_sender rs;
	struct mml_intake_frame fr;
	struct mml_sender who;
	uint64_t seq, n_supp;
	uint16_t flags;
	int r;

	conn_sender(c, &who);
	/*
	 * The drop count describes the client, not this frame: record it
	 * even if the frame is refused below, or the loss would go silent
	 * (the client forgets the count once the kernel took the packet).
	 */
	if (f->dropped) {
		conn_rate_sender(c, &rs);
		record_client_drops(c, &rs, f->dropped);
	}
	if (f->max_fields > lim->max_fields) {
		s->st.bad_frames++;
		c->bad++;
		if (mml_srv_warn_ok(s))
			mml_log(LOG_WARNING, "client pid %d sent an entry with "
			    "%u fields (--max-fields %u), dropping frame",
			    (int)c->pid, f->max_fields, lim->max_fields);
		mml_srv_error(c, f->hdr.id, E2BIG, MML_WIRE_E_FIELD_COUNT,
		    mml_wire_reason_str(MML_WIRE_E_FIELD_COUNT));
		return;
	}
	r = mml_intake_submit_frame(s->in, &who, f, &fr);
	n_supp = fr.suppressed;
	s->st.rate_suppressed += fr.suppressed;
	s->st.entries += fr.stored;
	c->entries += fr.stored;
	seq = fr.last_seq;
	if (fr.cut > 0) {
		c->cut += fr.cut;
		mml_log(LOG_DEBUG, "client pid %d: %llu entries stored cut to "
		    "--max-entry %zu (the last of %zu bytes)", (int)c->pid,
		    (unsigned long long)fr.cut, lim->max_entry, fr.cut_size);
	}
	if (r < 0) {
		s->st.append_errors++;
		if (r == -EOVERFLOW && mml_srv_warn_ok(s))
			mml_log(LOG_ERR, "ring '%s': %s; refusing entries of pid "
			    "%d", mml_ring_path(s->ring), append_error_text(r),
			    (int)c->pid);
		mml_srv_error(c, f->hdr.id, -r, 0, append_error_text(r));
		c->suppressed += n_supp;
		mml_srv_rate_timer_want(s);
		return;
	}
	s->st.bytes += f->hdr.len;
	if (n_supp > 0)
		mml_srv_rate_timer_want(s);
	if (f->hdr.flags & MML_FRAME_F_SYNC) {
		flags = c->cut ? MML_FRAME_F_TRUNCATED : 0;
		c->cut = 0;
		/*
		 * An ACK says every entry is stored and durable: with any
		 * suppressed, the answer is the refusal instead.
		 */
		if (n_supp > 0)
			suppressed_error(c, f->hdr.id, n_supp, f->n_entries);
		else {
			if (seq == 0)
				seq = mml_ring_next_seq(s->ring) - 1;
			if (seq <= mml_ring_durable_seq(s->ring))
				mml_srv_ack(c, f->hdr.id, flags,
				    mml_ring_durable_seq(s->ring));
			else if (queue_ack(c, f->hdr.id, flags, seq) < 0)
				mml_srv_error(c, f->hdr.id, ENOBUFS, 0,
				    "too many unacknowledged sync requests "
				    "(--max-pending, or --max-pending-per-uid "
				    "for the uid)");
		}
		mml_srv_want_sync(s, 1);
	} else
		c->suppressed += n_supp;
}

static void
handle_sync(struct mml_conn *c, const struct mml_frame *f)
{
	struct mml_server *s = c->srv;
	uint64_t target = mml_ring_next_seq(s->ring) - 1;
	uint16_t flags = c->cut ? MML_FRAME_F_TRUNCATED : 0;

	/* What this connection sent before is not all stored: say so. */
	if (c->suppressed > 0) {
		suppressed_error(c, f->hdr.id, c->suppressed, 0);
		c->suppressed = 0;
		return;
	}
	/* The SYNC covers this connection's entries: any cut is reported. */
	c->cut = 0;
	if (target <= mml_ring_durable_seq(s->ring)) {
		mml_srv_ack(c, f->hdr.id, flags, mml_ring_durable_seq(s->ring));
		return;
	}
	if (queue_ack(c, f->hdr.id, flags, target) < 0) {
		mml_srv_error(c, f->hdr.id, ENOBUFS, 0,
		    "too many unacknowledged sync requests (--max-pending, "
		    "or --max-pending-per-uid for the uid)");
		return;
	}
	mml_srv_want_sync(s, 1);
}

static void
send_notify(struct mml_conn *c)
{
	uint8_t buf[sizeof(struct mml_frame_hdr) +
	    sizeof(struct mml_notify_body)];
	struct mml_notify_body b;
	ssize_t n;

	mml_wire_hdr_init(buf, MML_FRAME_NOTIFY, 0, 0);
	b.next_seq = mml_ring_next_seq(c->srv->ring);
	b.durable_seq = mml_ring_durable_seq(c->srv->ring);
	memcpy(buf + sizeof(struct mml_frame_hdr), &b, sizeof(b));
	mml_wire_finish(buf, sizeof(buf));
	/* A follower that is behind gets the next one: no need to queue. */
	n = send(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)n;
}

/* Returns 0 to keep the connection, -1 to close it. */
static int
handle_frame(struct mml_conn *c, const uint8_t *buf, size_t len)
{
	struct mml_server *s = c->srv;
	struct mml_frame f;
	enum mml_wire_reason why;
	uint32_t id = 0;
	char text[128];
	int r;

	s->st.frames++;
	c->frames++;
	r = mml_wire_decode(buf, len, 1, &f, &why);
	if (r < 0) {
		s->st.bad_frames++;
		c->bad++;
		if (len >= sizeof(struct mml_frame_hdr))
			memcpy(&id, buf + offsetof(struct mml_frame_hdr, id), 4);
		if (mml_srv_warn_ok(s))
			mml_log(LOG_WARNING, "client pid %d uid %d: %s (%zu "
			    "bytes), %s", (int)c->pid, (int)c->uid,
			    mml_wire_reason_str(why), len, r == -EPROTO ?
			    "closing the connection" : "dropping frame");
		(void)snprintf(text, sizeof(text), "%s", mml_wire_reason_str(why));
		mml_srv_error(c, id, r == -EPROTO ? EPROTO : EBADMSG, why, text);
		return r == -EPROTO ? -1 : 0;
	}
	switch (f.hdr.type) {
	case MML_FRAME_ENTRIES:
		handle_entries(c, &f);
		break;
	case MML_FRAME_SYNC:
		handle_sync(c, &f);
		break;
	case MML_FRAME_STATS:
		mml_srv_stats(c, &f);
		break;
	case MML_FRAME_SUBSCRIBE:
		c->subscribed = 1;
		send_notify(c);
		break;
	case MML_FRAME_CLEAR:
	case MML_FRAME_ROTATE_ID:
	case MML_FRAME_RESET_COUNTERS:
		mml_srv_control(c, &f);
		break;
	default:
		break;
	}
	return 0;
}

static void
close_fds(struct msghdr *mh)
{
	struct cmsghdr *cm;
	int *fds;
	size_t i, n;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		fds = (int *)(void *)CMSG_DATA(cm);
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++)
			(void)close(fds[i]);
	}
}

/*
 * Handles one received packet; returns -1 once the connection is gone,
 * 1 at the end of input during shutdown.
 */
static int
conn_packet(struct mml_conn *c, const uint8_t *buf, size_t n, int flags)
{
	struct mml_server *s = c->srv;

	if (n == 0 && !(flags & MSG_TRUNC)) {
		/*
		 * SEQPACKET: 0 is the end of the connection; an empty packet
		 * reads the same and is equally worthless.  While shutting
		 * down it is our own SHUT_RD: the client still gets its ACKs.
		 */
		if (s->shutting_down)
			return 1;
		(void)conn_free(c);
		return -1;
	}
	c->last_active = ev_now(s->loop);
	if (flags & MSG_CTRUNC) {
		/*
		 * Its descriptors were closed; the frame is refused whole,
		 * answered with its own id so that the client can tell which.
		 */
		uint32_t id = 0;

		if (n >= sizeof(struct mml_frame_hdr))
			memcpy(&id, buf + offsetof(struct mml_frame_hdr, id), 4);
		s->st.frames++;
		s->st.bad_frames++;
		c->bad++;
		mml_srv_error(c, id, EBADMSG, 0, "too many file descriptors "
		    "attached (none are accepted), dropping frame");
	} else if (flags & MSG_TRUNC) {
		s->st.frames++;
		s->st.bad_frames++;
		c->bad++;
		if (mml_srv_warn_ok(s))
			mml_log(LOG_WARNING, "client pid %d sent a frame larger "
			    "than %d bytes, dropping frame", (int)c->pid,
			    MML_FRAME_MAX);
		mml_srv_error(c, 0, EMSGSIZE, MML_WIRE_E_TOOBIG,
		    mml_wire_reason_str(MML_WIRE_E_TOOBIG));
	} else if (handle_frame(c, buf, n) < 0) {
		(void)conn_free(c);
		return -1;
	}
	return 0;
}

/*
 * Reads up to max_rounds * RECV_BATCH packets (max_rounds < 0: until the
 * socket is empty), RECV_BATCH per recvmmsg() call.  A connection marked
 * closing is first drained: every packet the kernel accepted from the
 * client is an entry the client was told was sent, so it is stored
 * before the connection goes.  Descriptors passed with SCM_RIGHTS are
 * closed at once: nothing here wants them, and keeping them would let a
 * peer exhaust our table.  Returns -1 once the connection is gone.
 */
int
mml_srv_read(struct mml_conn *c, int max_rounds)
{
	struct mml_server *s = c->srv;
	struct mmsghdr *mm = s->mmsg;
	int i, n, r = 0, round;

	for (round = 0; round < DRAIN_ROUNDS_MAX; round++) {
		if (max_rounds >= 0 && round >= max_rounds && !c->closing)
			return 0;
		/*
		 * A connection we close is shut for reading first, so that
		 * what is queued is all there is: a packet that came after
		 * the drain would be discarded with the socket, unrecorded,
		 * while the client was told it was sent.  Later sends fail
		 * with EPIPE, which the client library counts as dropped.
		 */
		if (c->closing && !c->rd_shut) {
			(void)shutdown(c->fd, SHUT_RD);
			c->rd_shut = 1;
		}
		for (i = 0; i < RECV_BATCH; i++) {
			s->iov[i].iov_base = s->rbuf[i];
			s->iov[i].iov_len = MML_FRAME_MAX;
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &s->iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = s->cbuf[i].buf;
			mm[i].msg_hdr.msg_controllen = sizeof(s->cbuf[i].buf);
		}
		n = recvmmsg(c->fd, mm, RECV_BATCH,
		    MSG_DONTWAIT | MSG_CMSG_CLOEXEC, NULL);
		if (n < 0) {
			/*
			 * ECONNRESET: the client closed with replies of ours
			 * unread.  The kernel says so once, before the packets
			 * it sent that are still queued here: they are read
			 * next (then the end of the connection), not lost.
			 */
			if (errno == EINTR || errno == ECONNRESET)
				continue;
			if (errno == EAGAIN)
				break;
			mml_log(LOG_DEBUG, "client pid %d: recv: %s", (int)c->pid,
			    strerror(errno));
			(void)conn_free(c);
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (mm[i].msg_hdr.msg_controllen > 0)
				close_fds(&mm[i].msg_hdr);
		}
		/*
		 * One timestamp per receive batch: the packets of one
		 * recvmmsg() call arrived together, and reading the clocks
		 * per packet cost a measurable share of the daemon's time.
		 */
		mml_intake_clock(s->in);
		for (i = 0, r = 0; i < n && r == 0; i++) {
			r = conn_packet(c, s->rbuf[i], mm[i].msg_len,
			    mm[i].msg_hdr.msg_flags);
			if (r < 0)
				return -1;
		}
		if (r > 0 || n < RECV_BATCH)
			break;
	}
	if (c->closing) {
		(void)conn_free(c);
		return -1;
	}
	return 0;
}

/* Reads up to FRAMES_PER_WAKEUP packets, then yields to the others. */
static void
conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mml_conn *c = container_of(w, struct mml_conn, io);

	(void)loop;
	(void)revents;
	(void)mml_srv_read(c, FRAMES_PER_WAKEUP / RECV_BATCH);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mml_server *s = container_of(w, struct mml_server, accept_io);
	int fd, i;

	(void)revents;
	for (i = 0; i < 64; i++) {
		fd = accept4(s->listen_fd, NULL, NULL,
		    SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Out of descriptors: pause rather than spin. */
				if (mml_srv_warn_ok(s))
					mml_log(LOG_WARNING, "accept: %s, pausing "
					    "for 100 ms", strerror(errno));
				ev_io_stop(loop, &s->accept_io);
				ev_timer_set(&s->accept_retry, 0.1, 0.);
				ev_timer_start(loop, &s->accept_retry);
			}
			return;
		}
		(void)mml_server_add_client(s, fd);
	}
}

static void
accept_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mml_server *s = container_of(w, struct mml_server, accept_retry);

	(void)revents;
	if (!s->shutting_down)
		ev_io_start(loop, &s->accept_io);
}

static void
sync_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mml_server *s = container_of(w, struct mml_server, sync_timer);

	(void)loop;
	(void)revents;
	/* Data to sync, or a cursor to persist once things went quiet. */
	if (mml_ring_dirty(s->ring) || mml_ring_cursor_unflushed(s->ring))
		s->sync_now = 1;
}

static void
idle_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mml_server *s = container_of(w, struct mml_server, idle_timer);
	struct mml_conn *c, *next;
	ev_tstamp now = ev_now(loop);

	(void)revents;
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		/*
		 * Waiters are ours to serve.  Followers are quiet by nature,
		 * but must not hold a slot forever: they get six times the
		 * timeout (mmlogctl -f reconnects by itself).
		 */
		if (c->n_acks)
			continue;
		if (now - c->last_active < (c->subscribed ? 6. : 1.) *
		    s->opts.limits.idle_timeout_s)
			continue;
		/*
		 * libev runs this timer before the read watchers of the
		 * same iteration: a packet may be queued that the loop has
		 * not read yet.  Take it first; the client is then active.
		 */
		if (mml_srv_read(c, FRAMES_PER_WAKEUP / RECV_BATCH) < 0 ||
		    c->last_active == now || c->n_acks)
			continue;
		mml_log(LOG_DEBUG, "client pid %d idle, closing", (int)c->pid);
		/*
		 * Closing drains after SHUT_RD (mml_srv_read()): a packet
		 * sent since is stored, and later sends fail with EPIPE.
		 */
		c->closing = 1;
		(void)mml_srv_read(c, 0);
	}
}

/* Waited long enough for more waiters: the next prepare_cb() starts the job. */
static void
gather_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mml_server *s = container_of(w, struct mml_server, gather_timer);

	(void)loop;
	(void)revents;
	s->gather_expired = 1;
}

/*
 * Runs once per loop iteration, just before the loop sleeps, like
 * Redis's beforeSleep: everything received in this iteration is covered
 * by one sync job and one NOTIFY per follower.
 */
static void
prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct mml_server *s = container_of(w, struct mml_server, prepare);
	struct mml_conn *c;

	(void)revents;
	/*
	 * Any intake may have suppressed entries since: their count is
	 * written within a second by the limiter's timer, which stops when
	 * there is nothing to write.
	 */
	mml_srv_rate_timer_want(s);
	/*
	 * While other jobs are out, a new one starts at once for the
	 * waiters they do not cover.  When none is, the clients just served
	 * usually ask again within microseconds: the job waits until as many
	 * wait as were served, or GATHER_MAX at most, lest the clients split
	 * into cohorts that each get a part of the syncs.
	 */
	if ((s->sync_now || uncovered_waiters(s)) && s->syncer != NULL &&
	    !mml_syncer_busy(s->syncer)) {
		if (mml_syncer_running(s->syncer) == 0 && s->n_waiting > 0 &&
		    s->n_pending < s->gather_target && !s->gather_expired &&
		    !s->shutting_down) {
			if (!ev_is_active(&s->gather_timer)) {
				ev_timer_set(&s->gather_timer, GATHER_MAX, 0.);
				ev_timer_start(loop, &s->gather_timer);
			}
		} else {
			ev_timer_stop(loop, &s->gather_timer);
			s->sync_now = 0;
			s->gather_target = 0;
			s->job_seq = mml_ring_next_seq(s->ring) - 1;
			(void)mml_syncer_start(s->syncer);
		}
	}
	if (s->notified_seq != mml_ring_next_seq(s->ring)) {
		s->notified_seq = mml_ring_next_seq(s->ring);
		for (c = s->conns; c != NULL; c = c->next)
			if (c->subscribed)
				send_notify(c);
	}
}

struct mml_server *
mml_server_new(struct ev_loop *loop, struct mml_ring *r, int listen_fd,
    const struct mml_server_opts *opts)
{
	struct mml_server *s;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->loop = loop;
	s->ring = r;
	s->opts = *opts;
	s->listen_fd = listen_fd;
	s->notified_seq = mml_ring_next_seq(r);
	s->rl = mml_ratelimit_new(rate_note, s);
	s->syncer = mml_syncer_new(loop, r, mml_srv_sync_done, s);
	if (s->rl != NULL)
		s->in = mml_intake_new(r, s->rl, server_urgent, s);
	if (s->rl == NULL || s->syncer == NULL || s->in == NULL) {
		s->in = mml_intake_free(s->in);
		s->syncer = mml_syncer_free(s->syncer);
		s->rl = mml_ratelimit_free(s->rl);
		free(s);
		return NULL;
	}
	ev_init(&s->accept_retry, accept_retry_cb);
	if (listen_fd >= 0) {
		ev_io_init(&s->accept_io, accept_cb, listen_fd, EV_READ);
		ev_io_start(loop, &s->accept_io);
	}
	ev_timer_init(&s->sync_timer, sync_timer_cb,
	    opts->sync_interval_ms / 1000., opts->sync_interval_ms / 1000.);
	ev_timer_start(loop, &s->sync_timer);
	ev_init(&s->idle_timer, idle_timer_cb);
	ev_init(&s->rate_timer, rate_timer_cb);
	limits_apply(s);
	ev_init(&s->gather_timer, gather_timer_cb);
	ev_prepare_init(&s->prepare, prepare_cb);
	ev_prepare_start(loop, &s->prepare);
	return s;
}

/*
 * Gives the rate limiter its limits, (re)starts the timers whose period
 * comes from them, and resumes accepting if max_clients now allows it.
 */
static void
limits_apply(struct mml_server *s)
{
	const struct mml_limits *l = &s->opts.limits;
	double t;

	mml_ratelimit_set(s->rl, l->rate_interval_ms, l->rate_burst,
	    l->rate_key);
	mml_ratelimit_set_share(s->rl, mml_ring_capacity(s->ring),
	    l->uid_share, l->uid_share_interval_s);
	mml_intake_set_limits(s->in, l);
	ev_timer_stop(s->loop, &s->idle_timer);
	if (l->idle_timeout_s > 0) {
		t = l->idle_timeout_s / 4. + 0.25;
		ev_timer_set(&s->idle_timer, t, t);
		ev_timer_start(s->loop, &s->idle_timer);
	}
	/*
	 * Ended windows are recorded within half an interval of their end,
	 * and the per-uid counts within RATE_SWEEP_MAX, also for a sender
	 * that went quiet; the timer runs while the limiter holds anything.
	 */
	ev_timer_stop(s->loop, &s->rate_timer);
	t = RATE_SWEEP_MAX;
	if (l->rate_interval_ms > 0 && l->rate_interval_ms / 2000. < t)
		t = l->rate_interval_ms / 2000.;
	ev_timer_set(&s->rate_timer, t, t);
	mml_srv_rate_timer_want(s);
	accept_resume(s);
}

void
mml_server_set_limits(struct mml_server *s, const struct mml_limits *l)
{
	/* The limiter records the counts so far in the old limits' words. */
	s->opts.limits = *l;
	limits_apply(s);
}

unsigned
mml_server_clients(const struct mml_server *s)
{
	return s->n_conns;
}

const struct mml_server_stats *
mml_server_get_stats(const struct mml_server *s)
{
	return &s->st;
}

struct mml_intake *
mml_server_intake(struct mml_server *s)
{
	return s->in;
}

void
mml_server_set_sync_interval(struct mml_server *s, unsigned ms)
{
	s->opts.sync_interval_ms = ms;
	ev_timer_stop(s->loop, &s->sync_timer);
	ev_timer_set(&s->sync_timer, ms / 1000., ms / 1000.);
	ev_timer_start(s->loop, &s->sync_timer);
}

void
mml_server_set_opts(struct mml_server *s, const struct mml_server_opts *opts)
{
	if (opts->sync_interval_ms != s->opts.sync_interval_ms)
		mml_server_set_sync_interval(s, opts->sync_interval_ms);
	/*
	 * Fewer clients than are connected: nobody is closed, new ones are
	 * refused until the count drops.  A smaller max_entry applies to
	 * the next frame.
	 */
	mml_server_set_limits(s, &opts->limits);
}

void
mml_server_shutdown(struct mml_server *s)
{
	struct mml_sync_job job;

	s->shutting_down = 1;
	if (s->listen_fd >= 0)
		ev_io_stop(s->loop, &s->accept_io);
	ev_timer_stop(s->loop, &s->accept_retry);
	/*
	 * Everything clients already queued was accepted by the kernel on
	 * our behalf: store it.  Connections still waiting in the listen
	 * queue may have sent entries too; when the socket is ours alone
	 * (not systemd's, which keeps them for the next instance) they are
	 * accepted and drained as well.  SHUT_RD first, so that a client
	 * cannot keep the drain going: its later sends fail with EPIPE and
	 * its library counts them as dropped.
	 */
	if (s->listen_fd >= 0 && s->opts.drain_backlog) {
		int fd;

		unsigned n = 0;

		/*
		 * Bounded: a client connecting in a loop must not hold us.
		 * Every one is drained, whatever the limits of its uid.
		 */
		while (n++ < s->opts.limits.max_clients &&
		    (fd = accept4(s->listen_fd,
		    NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
			struct ucred cred;

			peer_cred(fd, &cred);
			(void)conn_add(s, fd, &cred);
		}
	}
	{
		struct mml_conn *c, *next;

		for (c = s->conns; c != NULL; c = next) {
			next = c->next;
			(void)shutdown(c->fd, SHUT_RD);
			(void)mml_srv_read(c, -1);
		}
	}
	/* What the rate limit held back is recorded before the last sync. */
	mml_ratelimit_sweep(s->rl, mml_now_usec(CLOCK_MONOTONIC), 1);
	/* Finish a running job, then one last sync covers the rest. */
	s->syncer = mml_syncer_free(s->syncer);
	mml_ring_sync_prepare(s->ring, &job);
	mml_ring_sync_run(s->ring, &job);
	mml_ring_sync_done(s->ring, &job);
	mml_srv_sync_done(NULL, &job, s);
	while (s->conns != NULL)
		(void)conn_free(s->conns);
}

struct mml_server *
mml_server_free(struct mml_server *s)
{
	if (s == NULL)
		return NULL;
	while (s->conns != NULL)
		(void)conn_free(s->conns);
	s->syncer = mml_syncer_free(s->syncer);
	if (s->listen_fd >= 0)
		ev_io_stop(s->loop, &s->accept_io);
	ev_timer_stop(s->loop, &s->accept_retry);
	ev_timer_stop(s->loop, &s->sync_timer);
	ev_timer_stop(s->loop, &s->idle_timer);
	ev_timer_stop(s->loop, &s->rate_timer);
	s->in = mml_intake_free(s->in);
	s->rl = mml_ratelimit_free(s->rl);
	ev_prepare_stop(s->loop, &s->prepare);
	ev_timer_stop(s->loop, &s->gather_timer);
	free(s);
	return NULL;
}
