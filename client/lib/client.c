/*
 * client.c: libmmlogclient, the application side of mmlogd (mmlog.h).
 *
 * Never logs, never exits, never raises SIGPIPE (MSG_NOSIGNAL): errors
 * are returned as negative errno values.  One mutex per handle keeps
 * frames whole and per-thread order intact; it is held across the send,
 * which is the point of ordering, and nothing longer.
 *
 * Every handle is on a process-wide registry, for two reasons.  fork():
 * the child handler gives each handle a fresh mutex (another thread may
 * have held it when the parent forked) and forgets the parent's
 * connection and batch, so the child's first write connects as itself.
 * exit(): an atexit handler flushes the batches still buffered.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client_internal.h"
#include "mmlog.h"
#include "sock.h"
#include "util.h"
#include "wire.h"

#define PUBLIC __attribute__((visibility("default")))

/* Batching holds an entry at most this long unless told otherwise. */
#define MML_BATCH_DELAY_US	10000U

/* Requests a handle keeps unanswered unless mmlog_set_window() says. */
#define MML_WINDOW_DEFAULT	32U

static int client_connect(struct mmlog_client *);
static int client_send(struct mmlog_client *, size_t, uint64_t, uint64_t);
static int client_flush(struct mmlog_client *);
static int client_final(struct mmlog_client *);
static uint64_t coarse_slack(void);
static int batch_due(const struct mmlog_client *);
static void conn_drop(struct mmlog_client *);
static void lock_drops_take(struct mmlog_client *);
static int client_lock(struct mmlog_client *);
static int client_new(const char *, const char *, int,
    struct mmlog_client **);
static void registry_init(void);
static void registry_add(struct mmlog_client *);
static void registry_del(struct mmlog_client *);
static void atfork_prepare(void);
static void atfork_parent(void);
static void atfork_child(void);
static void atexit_flush(void);
static void cond_init(pthread_cond_t *);
static void perror_print(const char *, size_t, const char *, size_t);

static pthread_once_t registry_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct mmlog_client *registry;

/* The handle of mmlog_openlog()/mmlog_syslog(). */
static pthread_rwlock_t syslog_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct mmlog_client *syslog_client;
static int syslog_facility;

PUBLIC const char *
mmlog_default_socket(void)
{
	const char *p = getenv("MMLOG_SOCKET");

	return p != NULL && *p != '\0' ? p : MML_DEFAULT_SOCKET;
}

PUBLIC int
mmlog_priority_from_string(const char *s)
{
	static const struct { const char *name; int prio; } names[] = {
		{ "emerg", 0 }, { "panic", 0 }, { "alert", 1 }, { "crit", 2 },
		{ "err", 3 }, { "error", 3 }, { "warning", 4 }, { "warn", 4 },
		{ "notice", 5 }, { "info", 6 }, { "debug", 7 },
	};
	size_t i;

	if (s == NULL)
		return -EINVAL;
	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].prio;
	return -EINVAL;
}

static void
registry_init(void)
{
	(void)pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	(void)atexit(atexit_flush);
}

static void
registry_add(struct mmlog_client *c)
{
	(void)pthread_once(&registry_once, registry_init);
	(void)pthread_mutex_lock(&registry_mu);
	c->reg_prev = NULL;
	c->reg_next = registry;
	if (registry != NULL)
		registry->reg_prev = c;
	registry = c;
	(void)pthread_mutex_unlock(&registry_mu);
}

static void
registry_del(struct mmlog_client *c)
{
	(void)pthread_mutex_lock(&registry_mu);
	if (c->reg_prev != NULL)
		c->reg_prev->reg_next = c->reg_next;
	else if (registry == c)
		registry = c->reg_next;
	if (c->reg_next != NULL)
		c->reg_next->reg_prev = c->reg_prev;
	c->reg_prev = c->reg_next = NULL;
	(void)pthread_mutex_unlock(&registry_mu);
}

/*
 * Only the registry is locked across fork(), never a handle: a thread
 * blocked in a send must not stall every fork() of the process.
 */
static void
atfork_prepare(void)
{
	(void)pthread_mutex_lock(&registry_mu);
}

static void
atfork_parent(void)
{
	(void)pthread_mutex_unlock(&registry_mu);
}

/*
 * The child has one thread, this one; whatever another thread of the
 * parent held is held forever.  So each handle gets a new mutex, and the
 * parent's connection (its credentials), batch and pending drops stay
 * the parent's business: the parent sends and reports them.
 */
static void
atfork_child(void)
{
	struct mmlog_client *c;

	for (c = registry; c != NULL; c = c->reg_next) {
		(void)pthread_mutex_init(&c->mu, NULL);
		cond_init(&c->cv);
		if (c->fd >= 0)
			(void)close(c->fd);
		if (c->stale_fd >= 0)
			(void)close(c->stale_fd);
		c->fd = c->stale_fd = c->reader_fd = -1;
		c->reading = 0;
		c->batch_len = 0;
		c->batch_n = 0;
		c->st.pending_drops = 0;
		c->deferred_error = 0;
		c->refused = 0;
		/* The parent's requests are the parent's to wait for. */
		c->answered = c->retired = c->tickets;
		c->n_fails = 0;
	}
	(void)pthread_mutex_unlock(&registry_mu);
	(void)pthread_rwlock_init(&syslog_lock, NULL);
}

/* Timed waits on the condition variable count on CLOCK_MONOTONIC. */
static void
cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t a;

	(void)pthread_condattr_init(&a);
	(void)pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	(void)pthread_cond_init(cv, &a);
	(void)pthread_condattr_destroy(&a);
}

static void
atexit_flush(void)
{
	struct mmlog_client *c;

	(void)pthread_mutex_lock(&registry_mu);
	for (c = registry; c != NULL; c = c->reg_next) {
		(void)pthread_mutex_lock(&c->mu);
		(void)client_final(c);
		(void)pthread_mutex_unlock(&c->mu);
	}
	(void)pthread_mutex_unlock(&registry_mu);
}

/*
 * (Re)connects.  A non-blocking handle's socket is non-blocking, so that
 * neither connect() nor send() ever waits.
 */
static int
client_connect(struct mmlog_client *c)
{
	int fd;

	conn_drop(c);
	fd = mml_sock_connect(c->path, SOCK_SEQPACKET |
	    ((c->flags & MMLOG_NONBLOCK) ? SOCK_NONBLOCK : 0), c->timeout_ms);
	if (fd < 0)
		return fd;
	c->fd = fd;
	c->gen = c->gen + 1 ? c->gen + 1 : 1;
	c->refused = 0;
	return 0;
}

/* A handle, connected if it can be; lazy handles connect on first use. */
static int
client_new(const char *path, const char *tag, int flags,
    struct mmlog_client **ret)
{
	struct mmlog_client *c;

	if (tag == NULL)
		tag = program_invocation_short_name;
	if (strlen(tag) > MML_TAG_MAX)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->fd = c->stale_fd = c->reader_fd = -1;
	c->flags = flags;
	c->batch_delay_us = MML_BATCH_DELAY_US;
	c->coarse_slack_ns = coarse_slack();
	c->window = MML_WINDOW_DEFAULT;
	c->path = strdup(path != NULL ? path : mmlog_default_socket());
	if (c->path == NULL) {
		free(c);
		return -ENOMEM;
	}
	c->tag_len = strlen(tag);
	memcpy(c->tag, tag, c->tag_len);
	(void)pthread_mutex_init(&c->mu, NULL);
	cond_init(&c->cv);
	registry_add(c);
	*ret = c;
	return 0;
}

PUBLIC int
mmlog_open(const char *path, const char *tag, int flags,
    struct mmlog_client **ret)
{
	struct mmlog_client *c = NULL;
	int r;

	if (ret == NULL || (flags & ~(MMLOG_NONBLOCK | MMLOG_BATCH)) != 0)
		return -EINVAL;
	r = client_new(path, tag, flags, &c);
	if (r < 0)
		return r;
	r = client_connect(c);
	if (r < 0) {
		(void)mmlog_close(c);
		return r;
	}
	*ret = c;
	return 0;
}

PUBLIC struct mmlog_client *
mmlog_close(struct mmlog_client *c)
{
	if (c == NULL)
		return NULL;
	registry_del(c);
	(void)pthread_mutex_lock(&c->mu);
	(void)client_final(c);
	(void)pthread_mutex_unlock(&c->mu);
	if (c->fd >= 0)
		(void)close(c->fd);
	if (c->stale_fd >= 0)
		(void)close(c->stale_fd);
	(void)pthread_cond_destroy(&c->cv);
	(void)pthread_mutex_destroy(&c->mu);
	free(c->path);
	free(c);
	return NULL;
}

PUBLIC int
mmlog_set_timeout(struct mmlog_client *c, unsigned timeout_ms)
{
	if (c == NULL)
		return -EINVAL;
	(void)pthread_mutex_lock(&c->mu);
	/* Read without the lock by client_lock(). */
	__atomic_store_n(&c->timeout_ms, timeout_ms, __ATOMIC_RELAXED);
	if (c->fd >= 0)
		mml_sock_sndtimeo(c->fd, timeout_ms);
	(void)pthread_mutex_unlock(&c->mu);
	return 0;
}

PUBLIC int
mmlog_set_batch_delay(struct mmlog_client *c, unsigned delay_us)
{
	if (c == NULL)
		return -EINVAL;
	(void)pthread_mutex_lock(&c->mu);
	c->batch_delay_us = delay_us;
	(void)pthread_mutex_unlock(&c->mu);
	return 0;
}

PUBLIC void
mmlog_get_stats(struct mmlog_client *c, struct mmlog_stats *ret)
{
	/* No handle (mmlog_open() failed): nothing was counted. */
	if (ret == NULL)
		return;
	if (c == NULL) {
		memset(ret, 0, sizeof(*ret));
		return;
	}
	(void)pthread_mutex_lock(&c->mu);
	lock_drops_take(c);
	*ret = c->st;
	(void)pthread_mutex_unlock(&c->mu);
}

/* Moves answered and retired past the tickets that allow it. */
void
mml_client_tickets_advance(struct mmlog_client *c)
{
	uint64_t t;

	while (c->answered < c->tickets) {
		t = c->answered + 1;
		if (mml_client_ticket_real(t) &&
		    !mml_client_slot_of(c, t)->done)
			break;
		c->answered = t;
	}
	while (c->retired < c->answered) {
		t = c->retired + 1;
		if (mml_client_ticket_real(t) &&
		    mml_client_slot_of(c, t)->waited)
			break;
		c->retired = t;
	}
}

/* Keeps a failure for the waits that cover its ticket. */
void
mml_client_failure_note(struct mmlog_client *c, uint64_t t, int err)
{
	unsigned i, n = c->n_fails;

	/* They come nearly in order: look from the end. */
	for (i = n; i > 0 && c->fails[i - 1].lo > t; i--)
		;
	if (i > 0 && t <= c->fails[i - 1].hi)
		return;
	if (i > 0 && t == c->fails[i - 1].hi + 1) {
		c->fails[i - 1].hi = t;
		return;
	}
	if (n == MML_FAILS) {
		/* Full: merge the last two runs to make room. */
		c->fails[n - 2].hi = c->fails[n - 1].hi;
		c->n_fails = --n;
		/* At or past the merged run: it now covers t as well. */
		if (i >= n) {
			c->fails[n - 1].hi = t > c->fails[n - 1].hi ? t :
			    c->fails[n - 1].hi;
			return;
		}
	}
	memmove(&c->fails[i + 1], &c->fails[i], (n - i) * sizeof(c->fails[0]));
	c->fails[i].lo = c->fails[i].hi = t;
	c->fails[i].err = err;
	c->n_fails++;
}

/*
 * After a wait for every answer up to t: the oldest failure among them
 * not reported yet; every failure up to t counts as reported now, and
 * those after t stay for later waits.
 */
int
mml_client_failure_take(struct mmlog_client *c, uint64_t t)
{
	unsigned i, k;
	int e;

	if (c->n_fails == 0 || c->fails[0].lo > t)
		return 0;
	e = c->fails[0].err;
	for (k = 0; k < c->n_fails && c->fails[k].hi <= t; k++)
		;
	for (i = k; i < c->n_fails; i++)
		c->fails[i - k] = c->fails[i];
	c->n_fails -= k;
	if (c->n_fails > 0 && c->fails[0].lo <= t)
		c->fails[0].lo = t + 1;
	return -e;
}

/*
 * Records the answer for ticket t.  A failure that no blocking call
 * takes is kept for the next mmlog_wait() or mmlog_sync() to report.
 */
static void
ticket_answer(struct mmlog_client *c, uint64_t t, int err, uint64_t seq)
{
	struct mml_client_slot *sl = mml_client_slot_of(c, t);

	if (sl->done)
		return;
	sl->done = 1;
	sl->err = err;
	sl->seq = seq;
	if (err == 0 && seq > c->durable_seq)
		c->durable_seq = seq;
	if (err != 0 && !sl->waited)
		mml_client_failure_note(c, t, err);
}

/* When a wait that starts now must end (CLOCK_MONOTONIC ns; 0: never). */
static uint64_t
wait_deadline(const struct mmlog_client *c)
{
	unsigned ms = __atomic_load_n(&c->timeout_ms, __ATOMIC_RELAXED);

	if (ms == 0)
		return 0;
	return mml_now_nsec(CLOCK_MONOTONIC) + (uint64_t)ms * 1000000U;
}

/* The drops of threads that gave up on the lock, into the counters. */
static void
lock_drops_take(struct mmlog_client *c)
{
	uint64_t n;

	/* A plain load on the hot path; the exchange only when needed. */
	if (__atomic_load_n(&c->lock_drops, __ATOMIC_RELAXED) == 0)
		return;
	n = __atomic_exchange_n(&c->lock_drops, 0, __ATOMIC_RELAXED);
	c->st.dropped += n;
	c->st.pending_drops += n;
}

/*
 * Takes c's lock for a call that may wait.  A blocking handle with a
 * timeout waits for it at most that long: the thread holding it may be
 * waiting that long itself (a send to a daemon that does not read), and
 * threads queued behind one another must not wait a timeout each.
 * Returns 0, or -ETIMEDOUT without the lock.
 */
static int
client_lock(struct mmlog_client *c)
{
	struct timespec ts;
	uint64_t deadline;

	if (pthread_mutex_trylock(&c->mu) != 0) {
		deadline = (c->flags & MMLOG_NONBLOCK) ? 0 : wait_deadline(c);
		if (deadline == 0)
			(void)pthread_mutex_lock(&c->mu);
		else {
			ts.tv_sec = (time_t)(deadline / 1000000000U);
			ts.tv_nsec = (long)(deadline % 1000000000U);
			if (pthread_mutex_clocklock(&c->mu, CLOCK_MONOTONIC,
			    &ts) != 0)
				return -ETIMEDOUT;
		}
	}
	lock_drops_take(c);
	return 0;
}

/* Sleeps (handle locked) until another thread has news, or deadline. */
static int
cv_wait(struct mmlog_client *c, uint64_t deadline)
{
	struct timespec ts;

	if (deadline == 0) {
		(void)pthread_cond_wait(&c->cv, &c->mu);
		return 0;
	}
	ts.tv_sec = (time_t)(deadline / 1000000000U);
	ts.tv_nsec = (long)(deadline % 1000000000U);
	return pthread_cond_timedwait(&c->cv, &c->mu, &ts) == ETIMEDOUT ?
	    -ETIMEDOUT : 0;
}

static int reply_wait(struct mmlog_client *, uint64_t, int, uint64_t);
static int reply_drain(struct mmlog_client *, int, uint32_t);

/*
 * A new ticket, once the window has room.  If it has none, waits for the
 * oldest answer first (the handle's timeout applies), or, if may_wait is
 * 0, fails with -EAGAIN.  Returns the ticket, or 0 with *ret_err set.
 * The ticket's frame must go out before the lock is next dropped.
 */
uint64_t
mml_client_ticket_new(struct mmlog_client *c, int waited, int may_wait,
    int *ret_err)
{
	struct mml_client_slot *sl;
	uint64_t deadline = wait_deadline(c);
	int r;

	while (c->tickets - c->retired >= c->window) {
		/* Answers may be waiting in the socket, unread. */
		if (!c->reading && c->fd >= 0) {
			if (reply_drain(c, c->fd, c->gen))
				mml_client_conn_end(c, c->gen, c->refused ?
				    c->refused : EPIPE);
			mml_client_tickets_advance(c);
			if (c->tickets - c->retired < c->window)
				break;
		}
		if (!may_wait) {
			*ret_err = -EAGAIN;
			return 0;
		}
		/*
		 * The oldest is answered but its blocking caller has not
		 * taken the answer yet: it will, and say so.
		 */
		if (mml_client_slot_of(c, c->retired + 1)->done)
			r = cv_wait(c, deadline);
		else
			r = reply_wait(c, c->retired + 1, 0, deadline);
		if (r < 0) {
			*ret_err = r;
			return 0;
		}
		mml_client_tickets_advance(c);
	}
	do
		c->tickets++;
	while (!mml_client_ticket_real(c->tickets));
	sl = mml_client_slot_of(c, c->tickets);
	memset(sl, 0, sizeof(*sl));
	sl->waited = (uint8_t)waited;
	return c->tickets;
}

/* A ticket whose frame never left: no answer will come, nobody waits. */
static void
ticket_cancel(struct mmlog_client *c, uint64_t t)
{
	struct mml_client_slot *sl = mml_client_slot_of(c, t);

	sl->done = 1;
	sl->waited = 0;
	sl->err = 0;
	mml_client_tickets_advance(c);
}

/*
 * Takes the answer of a ticket waited on; retires it.  Returns -errno,
 * MMLOG_TRUNCATED if the ACK said an entry it covers was stored cut,
 * else 0.
 */
static int
ticket_take(struct mmlog_client *c, uint64_t t, uint64_t *ret_seq)
{
	struct mml_client_slot *sl = mml_client_slot_of(c, t);
	int err = sl->err, cut = sl->cut;

	if (err == 0 && ret_seq != NULL)
		*ret_seq = sl->seq;
	sl->waited = 0;
	mml_client_tickets_advance(c);
	(void)pthread_cond_broadcast(&c->cv);
	return err ? -err : cut ? MMLOG_TRUNCATED : 0;
}

/*
 * A blocking call that waited for t in vain (timeout): it no longer
 * takes the answer, which, if it is a failure, the next mmlog_wait() or
 * mmlog_sync() reports.  If the answer came after all, it is taken.
 */
static int
ticket_abandon(struct mmlog_client *c, uint64_t t, int r, uint64_t *ret_seq)
{
	struct mml_client_slot *sl = mml_client_slot_of(c, t);

	if (t > c->answered && !sl->done) {
		sl->waited = 0;
		mml_client_tickets_advance(c);
		(void)pthread_cond_broadcast(&c->cv);
		return r;
	}
	return ticket_take(c, t, ret_seq);
}

/*
 * Connection gen is over: its requests still unanswered fail with err.
 * (A ticket not sent yet has no connection, and is not touched.)
 */
void
mml_client_conn_end(struct mmlog_client *c, uint32_t gen, int err)
{
	struct mml_client_slot *sl;
	uint64_t t;

	for (t = c->answered + 1; t <= c->tickets; t++) {
		sl = mml_client_slot_of(c, t);
		if (mml_client_ticket_real(t) && !sl->done && sl->gen == gen)
			ticket_answer(c, t, err, 0);
	}
	mml_client_tickets_advance(c);
	(void)pthread_cond_broadcast(&c->cv);
}

/*
 * Lets go of the connection (to replace it).  The answers that came
 * before its end still count: they are read first, by this thread, or,
 * if a reader is in the socket, by that reader once the socket is shut
 * down.  What is still unanswered then fails with EPIPE.
 */
static void
conn_drop(struct mmlog_client *c)
{
	if (c->fd < 0)
		return;
	if (c->reading && c->reader_fd == c->fd) {
		(void)shutdown(c->fd, SHUT_RDWR);
		c->stale_fd = c->fd;
		c->stale_gen = c->gen;
	} else {
		(void)reply_drain(c, c->fd, c->gen);
		mml_client_conn_end(c, c->gen, c->refused ? c->refused : EPIPE);
		(void)close(c->fd);
	}
	c->fd = -1;
}

/*
 * One reply of connection gen (handle locked).  ACK and ERROR answer the
 * ticket their id names, if it went out on that connection.  An ERROR
 * with id 0 refuses a frame that wanted no answer, or, with EUSERS
 * (--max-clients), the connection itself.  Returns -EPROTO if the reply
 * is not one: the connection cannot be trusted to answer any more.
 */
int
mml_client_reply_one(struct mmlog_client *c, uint32_t gen,
    const uint8_t *buf, size_t n)
{
	struct mml_frame f;
	struct mml_ack_body ack;
	struct mml_error_body eb;
	struct mml_client_slot *sl;
	uint64_t base, t, seq = 0;
	int err;

	if (mml_wire_decode(buf, n, 0, &f, NULL) < 0)
		return -EPROTO;
	if (f.hdr.type == MML_FRAME_ERROR) {
		memcpy(&eb, f.body, sizeof(eb));
		err = eb.error > 0 ? eb.error : EIO;
		if (f.hdr.id == 0) {
			if (err == EUSERS)
				c->refused = err;
			c->deferred_error = err;
			return 0;
		}
	} else if (f.hdr.type == MML_FRAME_ACK) {
		memcpy(&ack, f.body, sizeof(ack));
		err = 0;
		seq = ack.seq;
		if (f.hdr.id == 0)
			return 0;
	} else
		return 0;
	base = c->answered + 1;
	t = base + (uint32_t)(f.hdr.id - (uint32_t)base);
	if (t > c->tickets)
		return 0;
	sl = mml_client_slot_of(c, t);
	if (sl->gen == gen) {
		if (!sl->done && (f.hdr.flags & MML_FRAME_F_TRUNCATED))
			sl->cut = 1;
		ticket_answer(c, t, err, seq);
	}
	return 0;
}

/*
 * Reads the replies waiting on fd (connection gen), if any, without
 * blocking (handle locked, no reader in fd).  Returns 1 if the
 * connection has ended (or spoke nonsense), else 0.
 */
static int
reply_drain(struct mmlog_client *c, int fd, uint32_t gen)
{
	uint8_t buf[MML_RX_SLOT];
	ssize_t n;
	int lost = 0;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			if (mml_client_reply_one(c, gen, buf, (size_t)n) < 0)
				lost = 1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/*
		 * The daemon closed with our frames unread: the error comes
		 * first, once, and what it sent before (an ERROR saying
		 * why) is still there to read.
		 */
		if (n < 0 && errno == ECONNRESET && !lost) {
			lost = 1;
			continue;
		}
		if (n == 0 || errno != EAGAIN)
			lost = 1;
		break;
	}
	(void)pthread_cond_broadcast(&c->cv);
	return lost;
}

/*
 * Reads replies as the handle's reader: the lock is dropped while it
 * waits, and taken again to record what came.  Returns 0, or -ETIMEDOUT
 * once deadline (CLOCK_MONOTONIC ns; 0: none) has passed.
 */
static int
reply_read(struct mmlog_client *c, uint64_t deadline)
{
	struct mmsghdr mm[MML_RX_BATCH];
	struct iovec iov[MML_RX_BATCH];
	struct pollfd pfd;
	uint64_t now, ms;
	uint32_t gen = c->gen;
	int fd = c->fd, i, n, timeout = -1, lost = 0;

	if (deadline) {
		now = mml_now_nsec(CLOCK_MONOTONIC);
		if (now >= deadline)
			return -ETIMEDOUT;
		ms = (deadline - now + 999999U) / 1000000U;
		timeout = ms > INT_MAX ? INT_MAX : (int)ms;
	}
	for (i = 0; i < MML_RX_BATCH; i++) {
		iov[i].iov_base = c->rbuf[i];
		iov[i].iov_len = sizeof(c->rbuf[i]);
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	c->reading = 1;
	c->reader_fd = fd;
	(void)pthread_mutex_unlock(&c->mu);
	if (timeout < 0 && !(c->flags & MMLOG_NONBLOCK)) {
		/* No deadline: one call that blocks, not poll() then recv(). */
		n = recvmmsg(fd, mm, MML_RX_BATCH, MSG_WAITFORONE, NULL);
		if (n < 0 && errno != EINTR)
			lost = errno == ECONNRESET ? 2 : 1;
	} else {
		pfd.fd = fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, timeout);
		if (n > 0) {
			n = recvmmsg(fd, mm, MML_RX_BATCH, MSG_DONTWAIT, NULL);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				lost = errno == ECONNRESET ? 2 : 1;
		} else if (n == 0)
			n = -2;
		else if (errno != EINTR)
			lost = 1;
	}
	(void)pthread_mutex_lock(&c->mu);
	c->reading = 0;
	c->reader_fd = -1;
	/* A datagram of 0 bytes is the end of the connection. */
	for (i = 0; i < n; i++)
		if (mm[i].msg_len == 0 ||
		    mml_client_reply_one(c, gen, c->rbuf[i], mm[i].msg_len) < 0)
			lost = 1;
	/*
	 * ECONNRESET (the daemon closed with our frames unread) comes
	 * before the replies it sent: those are read now, an ERROR saying
	 * why among them.
	 */
	if (lost == 2 && c->stale_fd != fd)
		(void)reply_drain(c, fd, gen);
	if (c->stale_fd == fd) {
		/*
		 * Replaced while we read, and shut down: the rest of its
		 * answers, then its end.
		 */
		if (!lost)
			(void)reply_drain(c, fd, gen);
		mml_client_conn_end(c, gen, c->refused ? c->refused : EPIPE);
		(void)close(fd);
		c->stale_fd = -1;
	} else if (lost)
		mml_client_conn_end(c, gen, c->refused ? c->refused : EPIPE);
	(void)pthread_cond_broadcast(&c->cv);
	return n == -2 ? -ETIMEDOUT : 0;
}

/*
 * Waits (handle locked) until ticket t is answered, and with prefix
 * until every ticket before it is too.  One waiter reads the socket;
 * the others sleep until it has news.  deadline as reply_read().
 */
static int
reply_wait(struct mmlog_client *c, uint64_t t, int prefix, uint64_t deadline)
{
	int r;

	for (;;) {
		mml_client_tickets_advance(c);
		if (t <= c->answered || (mml_client_slot_of(c, t)->done &&
		    (!prefix || c->answered + 1 >= t)))
			return 0;
		if (c->reading) {
			r = cv_wait(c, deadline);
			if (r < 0)
				return r;
			continue;
		}
		if (c->fd < 0) {
			/*
			 * Cannot happen: every ticket sent went out on a
			 * connection whose end answers it.
			 */
			ticket_answer(c, c->answered + 1, EPIPE, 0);
			continue;
		}
		r = reply_read(c, deadline);
		if (r < 0)
			return r;
	}
}

/*
 * After the daemon closed the connection: if it said why first (an
 * ERROR with id 0 and EUSERS for --max-clients), that errno, else e.
 * The reply is still readable on the closed socket.  Reported here, it
 * is not reported again by mmlog_sync().
 */
static int
refusal_reason(struct mmlog_client *c, int e)
{
	if (c->fd >= 0 && !c->reading && (e == EPIPE || e == ECONNRESET) &&
	    reply_drain(c, c->fd, c->gen))
		mml_client_conn_end(c, c->gen, c->refused ? c->refused : EPIPE);
	if (c->refused == 0)
		return e;
	if (c->deferred_error == c->refused)
		c->deferred_error = 0;
	return c->refused;
}

static int
reconnectable(int e)
{
	return e == EPIPE || e == ECONNRESET || e == ENOTCONN ||
	    e == ECONNREFUSED || e == ENOENT || e == EBADF;
}

/*
 * Sends the frame in c->buf, which holds n_entries entries (0 for other
 * frames) and, if ticket is not 0, asks for that ticket's answer.  An
 * ENTRIES frame gets the count of drops not yet reported just before it
 * leaves.  A connection the daemon closed (restart, idle timeout) is
 * re-opened once; the requests still unanswered on it fail with EPIPE.
 * Entries that cannot be sent count as dropped, and the count rides in
 * the next ENTRIES frame that gets through.
 */
static int
client_send(struct mmlog_client *c, size_t len, uint64_t n_entries,
    uint64_t ticket)
{
	struct mml_entries_hdr eh = { 0, 0 };
	uint64_t d = c->st.pending_drops;
	ssize_t n;
	int e, r, tries;

	if (n_entries) {
		/* The daemon counts no more per frame: the rest waits. */
		eh.dropped = d > MML_WIRE_DROPPED_MAX ? MML_WIRE_DROPPED_MAX :
		    (uint32_t)d;
		eh.reserved = 0;
		memcpy(c->buf + sizeof(struct mml_frame_hdr), &eh, sizeof(eh));
	}
	if (c->fd < 0) {
		r = client_connect(c);
		if (r < 0) {
			e = -r;
			goto dropped;
		}
		c->st.reconnects++;
	}
	for (tries = 0; tries < 2; tries++) {
		n = send(c->fd, c->buf, len, MSG_NOSIGNAL);
		if (n >= 0) {
			if (ticket)
				mml_client_slot_of(c, ticket)->gen = c->gen;
			c->hung_up = 0;
			c->st.sent += n_entries;
			if (n_entries)
				c->st.pending_drops -= eh.dropped;
			return 0;
		}
		e = errno;
		if (e == EINTR) {
			tries--;
			continue;
		}
		/*
		 * EMSGSIZE: the frame fits the protocol (checked before) but
		 * not the socket's send buffer (a small wmem_default): lost,
		 * so dropped and counted like any other entry not sent.
		 */
		if (!reconnectable(e))
			break;
		if (tries == 1) {
			e = refusal_reason(c, e);
			c->hung_up = 1;
			break;
		}
		r = client_connect(c);
		if (r < 0) {
			e = -r;
			break;
		}
		c->st.reconnects++;
	}
dropped:
	if (e == EWOULDBLOCK)
		e = (c->flags & MMLOG_NONBLOCK) ? EAGAIN : ETIMEDOUT;
	c->st.dropped += n_entries;
	c->st.pending_drops += n_entries;
	return -e;
}

/*
 * The last word of a handle that goes away (mmlog_close, exit): its
 * batch, then the drops not yet reported, which no later entry of the
 * application will carry.  The protocol has no frame for a count alone
 * (an ENTRIES frame needs an entry), so one entry of the library's says
 * the handle closes, and its frame carries the count for the daemon to
 * record (MMLOG_DROPPED).  Tried once: a non-blocking handle still does
 * not wait; and not at all after the daemon refused the connection
 * (--max-clients) or closed a new one at once (a refusal whose reason
 * was not read): another connection would only be refused again, and
 * counted as such.  Handle locked.
 */
static int
client_final(struct mmlog_client *c)
{
	char msg[96];
	size_t len;
	int r, n;

	lock_drops_take(c);
	r = client_flush(c);
	if (r < 0 || c->st.pending_drops == 0 || c->refused || c->hung_up)
		return r;
	n = snprintf(msg, sizeof(msg), "closing, %llu entries dropped since "
	    "the last that got through", (unsigned long long)c->st.pending_drops);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = (int)strlen(msg);
	len = mml_wire_entries_init(c->buf, 0, 0, 0);
	r = mml_wire_entry_append(c->buf, sizeof(c->buf), &len, MMLOG_NOTICE,
	    c->tag, c->tag_len, msg, (size_t)n, NULL, 0);
	if (r < 0)
		return r;
	return client_send(c, len, 1, 0);
}

/* Sends the batch, if any; with the handle locked. */
static int
client_flush(struct mmlog_client *c)
{
	int r;

	if (c->batch_len == 0)
		return 0;
	r = client_send(c, c->batch_len, c->batch_n, 0);
	c->batch_len = 0;
	c->batch_n = 0;
	return r;
}

/*
 * What batch_due() allows for the coarse clock: it is never ahead of
 * CLOCK_MONOTONIC, and behind it by less than its resolution (one
 * tick); twice that, for the two readings.  Without a coarse clock,
 * UINT64_MAX: only the precise one is read.
 */
static uint64_t
coarse_slack(void)
{
	struct timespec ts;

	if (clock_getres(CLOCK_MONOTONIC_COARSE, &ts) < 0 || ts.tv_sec != 0)
		return UINT64_MAX;
	return 2 * (uint64_t)ts.tv_nsec;
}

/*
 * Whether the batch's oldest entry has waited the batch delay (handle
 * locked).  Reading CLOCK_MONOTONIC for every entry was a third of a
 * batched write's time on a virtual machine (kvm-clock: 30-60 ns, the
 * coarse clock 3 ns).  While the coarse time since the batch began is
 * more than the slack short of the delay, the delay cannot have passed,
 * and only nearer to it is the precise clock read: every write at least
 * the delay after the oldest entry still flushes (mmlog.h).
 */
static int
batch_due(const struct mmlog_client *c)
{
	uint64_t d = (uint64_t)c->batch_delay_us * 1000U;

	if (d > c->coarse_slack_ns && mml_now_nsec(CLOCK_MONOTONIC_COARSE) -
	    c->batch_t0_coarse < d - c->coarse_slack_ns)
		return 0;
	return mml_now_nsec(CLOCK_MONOTONIC) - c->batch_t0_ns >= d;
}

/*
 * Adds one entry to the batch (handle locked): flushes first if it does
 * not fit, and afterwards if the oldest entry has waited long enough.
 * Returns the error of a flush that failed (those entries were dropped
 * and counted); the entry itself is in the batch unless -EMSGSIZE.
 */
static int
batch_add(struct mmlog_client *c, int priority, const char *tag, size_t tl,
    const void *msg, size_t msg_len, const void *fbuf, size_t flen)
{
	int r = 0, r2;

	if (c->batch_len > 0 && c->batch_len + sizeof(struct mml_entry_hdr) +
	    tl + msg_len + flen > sizeof(c->buf))
		r = client_flush(c);
	if (c->batch_len == 0) {
		c->batch_len = mml_wire_entries_init(c->buf, 0, 0, 0);
		/* Coarse first: it is then at or behind the precise one. */
		c->batch_t0_coarse = mml_now_nsec(CLOCK_MONOTONIC_COARSE);
		c->batch_t0_ns = mml_now_nsec(CLOCK_MONOTONIC);
	}
	r2 = mml_wire_entry_append(c->buf, sizeof(c->buf), &c->batch_len,
	    priority, tag, tl, msg, msg_len, fbuf, flen);
	if (r2 < 0) {
		if (c->batch_n == 0)
			c->batch_len = 0;
		return r2;
	}
	c->batch_n++;
	if (c->batch_n == 1 && c->batch_delay_us > 0)
		return r;
	if (batch_due(c)) {
		r2 = client_flush(c);
		if (r == 0)
			r = r2;
	}
	return r;
}

/* An entry that asks for an answer but does not wait (mmlog_write_async). */
#define WRITE_ASYNC	0x10000
/*
 * A formatted message (mmlog_writef, mmlog_syslog): cut to what the
 * packet has room for after the tag and fields, not refused.
 */
#define WRITE_CUT	0x20000

/*
 * A ticket for a frame about to be built (handle locked; this may wait,
 * dropping the lock, so c->buf is only filled afterwards).  An entry
 * that cannot get one is dropped and counted, as one that cannot be
 * sent.  Returns the ticket, or 0 with *ret_err set.
 */
static uint64_t
entry_ticket(struct mmlog_client *c, int waited, int *ret_err)
{
	uint64_t t;

	t = mml_client_ticket_new(c, waited, waited ||
	    !(c->flags & MMLOG_NONBLOCK), ret_err);
	if (t == 0) {
		c->st.dropped++;
		c->st.pending_drops++;
	}
	return t;
}

static int
client_writev(struct mmlog_client *c, int priority, const char *tag,
    const void *msg, size_t msg_len, const struct mmlog_field *fields,
    size_t n_fields, int flags, uint64_t *ret_seq)
{
	uint8_t fbuf[MML_FRAME_MAX / 2];
	size_t len, flen = 0, tl, i;
	uint64_t t = 0;
	int r, sync = (flags & MMLOG_WRITE_SYNC) != 0, cut;

	if (c == NULL || priority < 0 || priority > 7 ||
	    (flags & ~(MMLOG_WRITE_SYNC | WRITE_ASYNC | WRITE_CUT)) != 0 ||
	    (msg == NULL && msg_len))
		return -EINVAL;
	cut = (flags & WRITE_CUT) != 0;
	flags &= ~WRITE_CUT;
	tl = tag != NULL ? strlen(tag) : 0;
	if (tl > MML_TAG_MAX)
		return -EINVAL;
	for (i = 0; i < n_fields; i++) {
		if (fields[i].key == NULL ||
		    (fields[i].value == NULL && fields[i].value_len))
			return -EINVAL;
		r = mml_fields_append(fbuf, sizeof(fbuf), &flen, fields[i].key,
		    strlen(fields[i].key), fields[i].value,
		    fields[i].value_len);
		if (r < 0)
			return r;
	}
	if (tag == NULL) {
		tag = c->tag;
		tl = c->tag_len;
	}
	len = sizeof(struct mml_frame_hdr) + sizeof(struct mml_entries_hdr) +
	    sizeof(struct mml_entry_hdr) + tl + flen;
	if (len > MML_FRAME_MAX || (msg_len > MML_FRAME_MAX - len && !cut))
		return -EMSGSIZE;
	if (msg_len > MML_FRAME_MAX - len)
		msg_len = MML_FRAME_MAX - len;
	if (client_lock(c) < 0) {
		/* Dropped, and counted by whoever takes the lock next. */
		__atomic_add_fetch(&c->lock_drops, 1, __ATOMIC_RELAXED);
		return -ETIMEDOUT;
	}
	if ((c->flags & MMLOG_BATCH) && flags == 0) {
		r = batch_add(c, priority, tag, tl, msg, msg_len, fbuf, flen);
		goto out;
	}
	/*
	 * The ticket first: getting one may wait, and the lock is dropped
	 * meanwhile, so other threads may add to the batch or use c->buf.
	 * Then the buffered entries go out first, so that order is kept.
	 */
	if (flags != 0) {
		t = entry_ticket(c, sync, &r);
		if (t == 0)
			goto out;
	}
	r = client_flush(c);
	len = mml_wire_entries_init(c->buf, t ? MML_FRAME_F_SYNC : 0,
	    (uint32_t)t, 0);
	r = mml_wire_entry_append(c->buf, sizeof(c->buf), &len, priority,
	    tag, tl, msg, msg_len, fbuf, flen);
	if (r == 0)
		r = client_send(c, len, 1, t);
	if (r < 0) {
		if (t)
			ticket_cancel(c, t);
		goto out;
	}
	if (!sync) {
		if (t && ret_seq != NULL)
			*ret_seq = t;	/* WRITE_ASYNC: the ticket */
		goto out;
	}
	/*
	 * The lock is dropped while this thread waits, so other threads'
	 * entries go out meanwhile, and one sync can serve them all.
	 */
	r = reply_wait(c, t, 0, wait_deadline(c));
	r = r < 0 ? ticket_abandon(c, t, r, ret_seq) :
	    ticket_take(c, t, ret_seq);
out:
	(void)pthread_mutex_unlock(&c->mu);
	return r;
}

PUBLIC int
mmlog_writev(struct mmlog_client *c, int priority, const char *tag,
    const void *msg, size_t msg_len, const struct mmlog_field *fields,
    size_t n_fields, int flags)
{
	return client_writev(c, priority, tag, msg, msg_len, fields, n_fields,
	    flags, NULL);
}

PUBLIC int
mmlog_write_durable(struct mmlog_client *c, int priority, const char *tag,
    const void *msg, size_t msg_len, uint64_t *ret_seq)
{
	return client_writev(c, priority, tag, msg, msg_len, NULL, 0,
	    MMLOG_WRITE_SYNC, ret_seq);
}

PUBLIC int
mmlog_write(struct mmlog_client *c, int priority, const char *tag,
    const void *msg, size_t msg_len)
{
	return client_writev(c, priority, tag, msg, msg_len, NULL, 0, 0,
	    NULL);
}

/*
 * Formats into small, or into *ret_big (malloc'ed, the caller frees);
 * cut at the packet limit.  Stores the message in *ret_msg.
 */
static int
format_msg(char *small, size_t small_len, char **ret_big,
    const char **ret_msg, const char *fmt, va_list ap)
{
	char *big;
	va_list aq;
	int n;

	*ret_big = NULL;
	va_copy(aq, ap);
	n = vsnprintf(small, small_len, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < small_len) {
		*ret_msg = small;
		return n;
	}
	/*
	 * Longer than the packet may be: cut there (client_writev() cuts
	 * it further, to the room the tag and fields leave).
	 */
	if (n > MML_FRAME_MAX)
		n = MML_FRAME_MAX;
	big = malloc((size_t)n + 1);
	if (big == NULL)
		return -ENOMEM;
	(void)vsnprintf(big, (size_t)n + 1, fmt, ap);
	*ret_big = big;
	*ret_msg = big;
	return n;
}

PUBLIC int
mmlog_vwritef(struct mmlog_client *c, int priority, const char *tag,
    const char *fmt, va_list ap)
{
	char small[1024], *big = NULL;
	const char *m;
	int n, r;

	n = format_msg(small, sizeof(small), &big, &m, fmt, ap);
	if (n < 0)
		return n;
	r = client_writev(c, priority, tag, m, (size_t)n, NULL, 0, WRITE_CUT,
	    NULL);
	free(big);
	return r;
}

PUBLIC int
mmlog_writef(struct mmlog_client *c, int priority, const char *tag,
    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = mmlog_vwritef(c, priority, tag, fmt, ap);
	va_end(ap);
	return r;
}

PUBLIC int
mmlog_flush(struct mmlog_client *c)
{
	int r;

	if (c == NULL)
		return -EINVAL;
	if ((r = client_lock(c)) < 0)
		return r;
	r = client_flush(c);
	(void)pthread_mutex_unlock(&c->mu);
	return r;
}

PUBLIC int
mmlog_sync(struct mmlog_client *c, uint64_t *ret_seq)
{
	uint64_t t;
	size_t len;
	int r, cut;

	if (c == NULL)
		return -EINVAL;
	if ((r = client_lock(c)) < 0)
		return r;
	/* The ticket before the flush: see client_writev(). */
	t = mml_client_ticket_new(c, 1, 1, &r);
	if (t == 0)
		goto out;
	r = client_flush(c);
	if (r < 0) {
		ticket_cancel(c, t);
		goto out;
	}
	mml_wire_hdr_init(c->buf, MML_FRAME_SYNC, 0, (uint32_t)t);
	len = sizeof(struct mml_frame_hdr);
	r = client_send(c, len, 0, t);
	if (r < 0) {
		ticket_cancel(c, t);
		goto out;
	}
	/*
	 * The daemon answers in order, so once the SYNC is answered, so is
	 * everything before it; waiting for the prefix also covers
	 * answers that went to a connection lost meanwhile.
	 */
	r = reply_wait(c, t, 1, wait_deadline(c));
	r = r < 0 ? ticket_abandon(c, t, r, ret_seq) :
	    ticket_take(c, t, ret_seq);
	if (r >= 0) {
		/* A failure before it outranks a cut entry. */
		cut = r;
		r = mml_client_failure_take(c, t);
		if (r == 0 && c->deferred_error) {
			r = -c->deferred_error;
			c->deferred_error = 0;
		}
		if (r == 0)
			r = cut;
	}
out:
	(void)pthread_mutex_unlock(&c->mu);
	return r;
}

PUBLIC int
mmlog_write_async(struct mmlog_client *c, int priority, const char *tag,
    const void *msg, size_t msg_len, const struct mmlog_field *fields,
    size_t n_fields, uint64_t *ret_ticket)
{
	uint64_t t = 0;
	int r;

	r = client_writev(c, priority, tag, msg, msg_len, fields, n_fields,
	    WRITE_ASYNC, &t);
	if (r == 0 && ret_ticket != NULL)
		*ret_ticket = t;
	return r;
}

PUBLIC int
mmlog_wait(struct mmlog_client *c, uint64_t ticket, uint64_t *ret_seq)
{
	int r = 0;

	if (c == NULL)
		return -EINVAL;
	(void)pthread_mutex_lock(&c->mu);
	if (ticket > c->tickets)
		r = -EINVAL;
	if (ticket == 0)
		ticket = c->tickets;
	if (r == 0 && ticket > 0)
		r = reply_wait(c, ticket, 1, wait_deadline(c));
	if (r == 0)
		r = mml_client_failure_take(c, ticket);
	if (r == 0 && ret_seq != NULL)
		*ret_seq = c->durable_seq;
	(void)pthread_mutex_unlock(&c->mu);
	return r;
}

PUBLIC int
mmlog_set_window(struct mmlog_client *c, unsigned n)
{
	if (c == NULL || n == 0 || n > MMLOG_WINDOW_MAX)
		return -EINVAL;
	(void)pthread_mutex_lock(&c->mu);
	c->window = n;
	(void)pthread_cond_broadcast(&c->cv);
	(void)pthread_mutex_unlock(&c->mu);
	return 0;
}

/*
 * The syslog(3)-like calls share one process-wide handle.  Writers hold
 * the lock shared, mmlog_openlog() and mmlog_closelog() exclusively, so
 * a handle is never freed under a writer.
 */
#define MML_LOG_OPTIONS	(MMLOG_LOG_PID | MMLOG_LOG_CONS | MMLOG_LOG_ODELAY | \
    MMLOG_LOG_NDELAY | MMLOG_LOG_NOWAIT | MMLOG_LOG_PERROR | \
    MMLOG_LOG_NONBLOCK | MMLOG_LOG_BATCH)

static int syslog_option;

/* Replaces the process-wide handle, or, if only_if_none, sets it once. */
static int
syslog_open(const char *ident, int option, int facility, int only_if_none)
{
	struct mmlog_client *c = NULL, *old;
	int r, flags = 0;

	if ((option & ~MML_LOG_OPTIONS) != 0 || facility < 0 ||
	    (facility & ~0x3f8) != 0)
		return -EINVAL;
	if (option & MMLOG_LOG_NONBLOCK)
		flags |= MMLOG_NONBLOCK;
	if (option & MMLOG_LOG_BATCH)
		flags |= MMLOG_BATCH;
	r = client_new(NULL, ident, flags, &c);
	if (r < 0)
		return r;
	/* Like openlog(3): no daemon now is no error; writes count drops. */
	if (option & MMLOG_LOG_NDELAY)
		(void)client_connect(c);
	(void)pthread_rwlock_wrlock(&syslog_lock);
	old = syslog_client;
	if (only_if_none && old != NULL) {
		old = c;
	} else {
		syslog_client = c;
		syslog_option = option;
		syslog_facility = facility;
	}
	(void)pthread_rwlock_unlock(&syslog_lock);
	(void)mmlog_close(old);
	return 0;
}

PUBLIC int
mmlog_openlog(const char *ident, int option, int facility)
{
	return syslog_open(ident, option, facility, 0);
}

PUBLIC void
mmlog_closelog(void)
{
	struct mmlog_client *old;

	(void)pthread_rwlock_wrlock(&syslog_lock);
	old = syslog_client;
	syslog_client = NULL;
	syslog_option = 0;
	syslog_facility = 0;
	(void)pthread_rwlock_unlock(&syslog_lock);
	(void)mmlog_close(old);
}

/*
 * LOG_PERROR's copy on stderr, which may be a pipe nobody reads any
 * more: SIGPIPE is blocked in this thread meanwhile, and one the write
 * raised is taken back, so the application is never killed by it (one
 * already pending, the application's own, stays).
 */
static void
perror_print(const char *tag, size_t tag_len, const char *msg, size_t msg_len)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pipe_set, old, pending;
	int was_pending;

	(void)sigemptyset(&pipe_set);
	(void)sigaddset(&pipe_set, SIGPIPE);
	(void)pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	was_pending = sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE);
	(void)fprintf(stderr, "%.*s: %.*s\n", (int)tag_len, tag, (int)msg_len,
	    msg);
	if (!was_pending && sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE))
		(void)sigtimedwait(&pipe_set, NULL, &zero);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
}

PUBLIC int
mmlog_vsyslog(int priority, const char *fmt, va_list ap)
{
	struct mmlog_field f;
	char small[1024], *big = NULL, fac[16];
	const char *m;
	int n, r, facility;

	if (priority < 0 || (priority & ~0x3ff) != 0)
		return -EINVAL;
	(void)pthread_rwlock_rdlock(&syslog_lock);
	while (syslog_client == NULL) {
		(void)pthread_rwlock_unlock(&syslog_lock);
		r = syslog_open(NULL, 0, 0, 1);
		if (r < 0)
			return r;
		(void)pthread_rwlock_rdlock(&syslog_lock);
	}
	n = format_msg(small, sizeof(small), &big, &m, fmt, ap);
	if (n < 0) {
		r = n;
		goto out;
	}
	if (syslog_option & MMLOG_LOG_PERROR)
		perror_print(syslog_client->tag, syslog_client->tag_len, m,
		    (size_t)n);
	facility = (priority & ~7) ? (priority & ~7) : syslog_facility;
	if (facility != 0) {
		f.key = "SYSLOG_FACILITY";
		f.value = fac;
		f.value_len = (size_t)snprintf(fac, sizeof(fac), "%d",
		    facility >> 3);
		r = client_writev(syslog_client, priority & 7, NULL, m,
		    (size_t)n, &f, 1, WRITE_CUT, NULL);
	} else
		r = client_writev(syslog_client, priority & 7, NULL, m,
		    (size_t)n, NULL, 0, WRITE_CUT, NULL);
out:
	(void)pthread_rwlock_unlock(&syslog_lock);
	free(big);
	return r;
}

PUBLIC int
mmlog_syslog(int priority, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = mmlog_vsyslog(priority, fmt, ap);
	va_end(ap);
	return r;
}
