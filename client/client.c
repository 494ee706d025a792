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
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mmlog.h"
#include "sock.h"
#include "wire.h"

#define PUBLIC __attribute__((visibility("default")))

/* Batching holds an entry at most this long unless told otherwise. */
#define MML_BATCH_DELAY_US	10000U

struct mmlog_client {
	pthread_mutex_t mu;
	int fd;
	int flags;
	unsigned timeout_ms;
	unsigned batch_delay_us;
	uint32_t next_id;
	char *path;
	char tag[MML_TAG_MAX + 1];
	size_t tag_len;
	struct mmlog_stats st;
	int deferred_error;	/* an ERROR reply for a frame not waited on */
	size_t batch_len;	/* bytes of the ENTRIES frame in buf; 0: none */
	uint64_t batch_n;	/* entries in it */
	uint64_t batch_t0_ns;	/* when its oldest entry was written */
	struct mmlog_client *reg_prev, *reg_next;	/* the registry */
	uint8_t buf[MML_FRAME_MAX];	/* the frame being built or sent */
	uint8_t rbuf[MML_FRAME_MAX];	/* replies */
};

static int client_connect(struct mmlog_client *);
static int client_send(struct mmlog_client *, size_t, uint64_t);
static int client_wait(struct mmlog_client *, uint32_t, uint64_t *);
static int client_flush(struct mmlog_client *);
static int client_new(const char *, const char *, int,
    struct mmlog_client **);
static void registry_init(void);
static void registry_add(struct mmlog_client *);
static void registry_del(struct mmlog_client *);
static void atfork_prepare(void);
static void atfork_parent(void);
static void atfork_child(void);
static void atexit_flush(void);

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

	return p != NULL && *p != '\0' ? p : MMLOG_SOCKET_DEFAULT;
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
		if (c->fd >= 0)
			(void)close(c->fd);
		c->fd = -1;
		c->batch_len = 0;
		c->batch_n = 0;
		c->st.pending_drops = 0;
		c->deferred_error = 0;
	}
	(void)pthread_mutex_unlock(&registry_mu);
	(void)pthread_rwlock_init(&syslog_lock, NULL);
}

static void
atexit_flush(void)
{
	struct mmlog_client *c;

	(void)pthread_mutex_lock(&registry_mu);
	for (c = registry; c != NULL; c = c->reg_next) {
		(void)pthread_mutex_lock(&c->mu);
		(void)client_flush(c);
		(void)pthread_mutex_unlock(&c->mu);
	}
	(void)pthread_mutex_unlock(&registry_mu);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000U + (uint64_t)ts.tv_nsec;
}

/*
 * (Re)connects.  A non-blocking handle's socket is non-blocking, so that
 * neither connect() nor send() ever waits.
 */
static int
client_connect(struct mmlog_client *c)
{
	int fd;

	if (c->fd >= 0) {
		(void)close(c->fd);
		c->fd = -1;
	}
	fd = mml_sock_connect(c->path, SOCK_SEQPACKET |
	    ((c->flags & MMLOG_NONBLOCK) ? SOCK_NONBLOCK : 0), c->timeout_ms);
	if (fd < 0)
		return fd;
	c->fd = fd;
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
	c->fd = -1;
	c->flags = flags;
	c->batch_delay_us = MML_BATCH_DELAY_US;
	c->path = strdup(path != NULL ? path : mmlog_default_socket());
	if (c->path == NULL) {
		free(c);
		return -ENOMEM;
	}
	c->tag_len = strlen(tag);
	memcpy(c->tag, tag, c->tag_len);
	(void)pthread_mutex_init(&c->mu, NULL);
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
	(void)client_flush(c);
	(void)pthread_mutex_unlock(&c->mu);
	if (c->fd >= 0)
		(void)close(c->fd);
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
	c->timeout_ms = timeout_ms;
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
	(void)pthread_mutex_lock(&c->mu);
	*ret = c->st;
	(void)pthread_mutex_unlock(&c->mu);
}

/*
 * After the daemon closed the connection: if it said why first (an
 * ERROR with id 0, such as EUSERS for --max-clients), that errno, else
 * e.  The reply is still readable on the closed socket.
 */
static int
refusal_reason(struct mmlog_client *c, int e)
{
	struct mml_error_body eb;
	struct mml_frame f;
	ssize_t n;

	if (c->fd < 0 || (e != EPIPE && e != ECONNRESET))
		return e;
	while ((n = recv(c->fd, c->rbuf, sizeof(c->rbuf), MSG_DONTWAIT)) > 0)
		if (mml_wire_decode(c->rbuf, (size_t)n, 0, &f, NULL) == 0 &&
		    f.hdr.type == MML_FRAME_ERROR && f.hdr.id == 0) {
			memcpy(&eb, f.body, sizeof(eb));
			if (eb.error > 0)
				return eb.error;
		}
	return e;
}

static int
reconnectable(int e)
{
	return e == EPIPE || e == ECONNRESET || e == ENOTCONN ||
	    e == ECONNREFUSED || e == ENOENT || e == EBADF;
}

/*
 * Sends the frame in c->buf, which holds n_entries entries (0 for other
 * frames).  An ENTRIES frame gets the count of drops not yet reported
 * just before it leaves.  A connection the daemon closed (restart, idle
 * timeout) is re-opened once.  Entries that cannot be sent count as
 * dropped, and the count rides in the next ENTRIES frame that gets
 * through.
 */
static int
client_send(struct mmlog_client *c, size_t len, uint64_t n_entries)
{
	struct mml_entries_hdr eh = { 0, 0 };
	uint64_t d = c->st.pending_drops;
	ssize_t n;
	int e, r, tries;

	if (n_entries) {
		eh.dropped = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
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
		if (e == EMSGSIZE)
			return -EMSGSIZE;
		if (!reconnectable(e))
			break;
		if (tries == 1) {
			e = refusal_reason(c, e);
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

/* Sends the batch, if any; with the handle locked. */
static int
client_flush(struct mmlog_client *c)
{
	int r;

	if (c->batch_len == 0)
		return 0;
	r = client_send(c, c->batch_len, c->batch_n);
	c->batch_len = 0;
	c->batch_n = 0;
	return r;
}

/*
 * Reads replies until the one for id arrives.  ERRORs for other frames
 * are remembered and returned by the next mmlog_sync().  An ERROR with
 * id 0 followed by the end of the connection is the daemon refusing the
 * connection itself (EUSERS: --max-clients): that, not EPIPE, is the
 * answer.
 */
static int
client_wait(struct mmlog_client *c, uint32_t id, uint64_t *ret_seq)
{
	struct mml_frame f;
	struct mml_ack_body ack;
	struct mml_error_body eb;
	struct pollfd pfd;
	ssize_t n;
	int r, refused = 0;

	for (;;) {
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, c->timeout_ms ? (int)c->timeout_ms : -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(c->fd, c->rbuf, sizeof(c->rbuf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return refused && errno == ECONNRESET ? -refused : -errno;
		}
		if (n == 0)
			return refused ? -refused : -EPIPE;
		if (mml_wire_decode(c->rbuf, (size_t)n, 0, &f, NULL) < 0)
			return -EPROTO;
		if (f.hdr.type == MML_FRAME_ERROR) {
			memcpy(&eb, f.body, sizeof(eb));
			if (f.hdr.id == id)
				return eb.error > 0 ? -eb.error : -EIO;
			if (f.hdr.id == 0)
				refused = eb.error > 0 ? eb.error : EIO;
			c->deferred_error = eb.error > 0 ? eb.error : EIO;
			continue;
		}
		if (f.hdr.type == MML_FRAME_ACK && f.hdr.id == id) {
			memcpy(&ack, f.body, sizeof(ack));
			if (ret_seq != NULL)
				*ret_seq = ack.seq;
			return 0;
		}
	}
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
	uint64_t t;
	int r = 0, r2;

	if (c->batch_len > 0 && c->batch_len + sizeof(struct mml_entry_hdr) +
	    tl + msg_len + flen > sizeof(c->buf))
		r = client_flush(c);
	if (c->batch_len == 0) {
		c->batch_len = mml_wire_entries_init(c->buf, 0, 0, 0);
		c->batch_t0_ns = now_ns();
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
	t = now_ns();
	if (t - c->batch_t0_ns >= (uint64_t)c->batch_delay_us * 1000U) {
		r2 = client_flush(c);
		if (r == 0)
			r = r2;
	}
	return r;
}

static int
client_writev(struct mmlog_client *c, int priority, const char *tag,
    const void *msg, size_t msg_len, const struct mmlog_field *fields,
    size_t n_fields, int flags, uint64_t *ret_seq)
{
	uint8_t fbuf[MML_FRAME_MAX / 2];
	size_t len, flen = 0, tl, i;
	uint32_t id = 0;
	int r;

	if (c == NULL || priority < 0 || priority > 7 ||
	    (flags & ~MMLOG_WRITE_SYNC) != 0 || (msg == NULL && msg_len))
		return -EINVAL;
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
	if (sizeof(struct mml_frame_hdr) + sizeof(struct mml_entries_hdr) +
	    sizeof(struct mml_entry_hdr) + tl + msg_len + flen > MML_FRAME_MAX)
		return -EMSGSIZE;
	(void)pthread_mutex_lock(&c->mu);
	if ((c->flags & MMLOG_BATCH) && !(flags & MMLOG_WRITE_SYNC)) {
		r = batch_add(c, priority, tag, tl, msg, msg_len, fbuf, flen);
		goto out;
	}
	/* The buffered entries go first, so that order is kept. */
	r = client_flush(c);
	if (flags & MMLOG_WRITE_SYNC)
		id = ++c->next_id ? c->next_id : ++c->next_id;
	len = mml_wire_entries_init(c->buf, (flags & MMLOG_WRITE_SYNC) ?
	    MML_FRAME_F_SYNC : 0, id, 0);
	r = mml_wire_entry_append(c->buf, sizeof(c->buf), &len, priority,
	    tag, tl, msg, msg_len, fbuf, flen);
	if (r < 0)
		goto out;
	r = client_send(c, len, 1);
	if (r < 0 || !(flags & MMLOG_WRITE_SYNC))
		goto out;
	r = client_wait(c, id, ret_seq);
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
	/* Longer than the packet may be: cut there, the daemon would refuse it. */
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
	r = mmlog_write(c, priority, tag, m, (size_t)n);
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
	(void)pthread_mutex_lock(&c->mu);
	r = client_flush(c);
	(void)pthread_mutex_unlock(&c->mu);
	return r;
}

PUBLIC int
mmlog_sync(struct mmlog_client *c, uint64_t *ret_seq)
{
	uint32_t id;
	size_t len;
	int r;

	if (c == NULL)
		return -EINVAL;
	(void)pthread_mutex_lock(&c->mu);
	r = client_flush(c);
	if (r < 0)
		goto out;
	id = ++c->next_id ? c->next_id : ++c->next_id;
	mml_wire_hdr_init(c->buf, MML_FRAME_SYNC, 0, id);
	len = sizeof(struct mml_frame_hdr);
	r = client_send(c, len, 0);
	if (r < 0)
		goto out;
	r = client_wait(c, id, ret_seq);
	if (r == 0 && c->deferred_error) {
		r = -c->deferred_error;
		c->deferred_error = 0;
	}
out:
	(void)pthread_mutex_unlock(&c->mu);
	return r;
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
		(void)fprintf(stderr, "%.*s: %.*s\n", (int)syslog_client->tag_len,
		    syslog_client->tag, n, m);
	facility = (priority & ~7) ? (priority & ~7) : syslog_facility;
	if (facility != 0) {
		f.key = "SYSLOG_FACILITY";
		f.value = fac;
		f.value_len = (size_t)snprintf(fac, sizeof(fac), "%d",
		    facility >> 3);
		r = client_writev(syslog_client, priority & 7, NULL, m,
		    (size_t)n, &f, 1, 0, NULL);
	} else
		r = client_writev(syslog_client, priority & 7, NULL, m,
		    (size_t)n, NULL, 0, 0, NULL);
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
