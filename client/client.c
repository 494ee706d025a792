/*
 * client.c: libmmlogclient, the application side of mmlogd (mmlog.h).
 *
 * Never logs, never exits, never raises SIGPIPE (MSG_NOSIGNAL): errors
 * are returned as negative errno values.  One mutex per handle keeps
 * frames whole and per-thread order intact; it is held across the send,
 * which is the point of ordering, and nothing longer.
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
#include "wire.h"

#define PUBLIC __attribute__((visibility("default")))

struct mmlog_client {
	pthread_mutex_t mu;
	int fd;
	pid_t pid;		/* process that made fd; another after fork() */
	int flags;
	unsigned timeout_ms;
	uint32_t next_id;
	char *path;
	char tag[MML_TAG_MAX + 1];
	size_t tag_len;
	struct mmlog_stats st;
	int deferred_error;	/* an ERROR reply for a frame not waited on */
	uint8_t buf[MML_FRAME_MAX];
};

static int client_connect(struct mmlog_client *);
static int client_send(struct mmlog_client *, size_t);
static int client_wait(struct mmlog_client *, uint32_t, uint64_t *);

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

static int
client_connect(struct mmlog_client *c)
{
	struct sockaddr_un sa;
	struct timeval tv;
	size_t len = strlen(c->path);
	int fd, e;

	if (c->fd >= 0) {
		(void)close(c->fd);
		c->fd = -1;
	}
	if (len >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, c->path, len);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		(void)close(fd);
		return -e;
	}
	if (c->timeout_ms) {
		tv.tv_sec = c->timeout_ms / 1000;
		tv.tv_usec = (c->timeout_ms % 1000) * 1000;
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	c->fd = fd;
	c->pid = getpid();
	return 0;
}

PUBLIC int
mmlog_open(const char *path, const char *tag, int flags,
    struct mmlog_client **ret)
{
	struct mmlog_client *c;
	int r;

	if (ret == NULL || (flags & ~MMLOG_NONBLOCK) != 0)
		return -EINVAL;
	if (tag == NULL)
		tag = program_invocation_short_name;
	if (strlen(tag) > MML_TAG_MAX)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->fd = -1;
	c->flags = flags;
	c->path = strdup(path != NULL ? path : mmlog_default_socket());
	if (c->path == NULL) {
		free(c);
		return -ENOMEM;
	}
	c->tag_len = strlen(tag);
	memcpy(c->tag, tag, c->tag_len);
	(void)pthread_mutex_init(&c->mu, NULL);
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
	struct timeval tv;

	(void)pthread_mutex_lock(&c->mu);
	c->timeout_ms = timeout_ms;
	if (c->fd >= 0) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv));
	}
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

static int
reconnectable(int e)
{
	return e == EPIPE || e == ECONNRESET || e == ENOTCONN ||
	    e == ECONNREFUSED || e == ENOENT || e == EBADF;
}

/*
 * Sends the frame in c->buf.  A connection the daemon closed (restart,
 * idle timeout) is re-opened once; after fork() the child gets its own.
 * A frame that cannot be sent counts as dropped, and the count rides in
 * the next frame that gets through.
 */
static int
client_send(struct mmlog_client *c, size_t len)
{
	ssize_t n;
	int e, r, tries;

	if (c->fd < 0 || c->pid != getpid()) {
		r = client_connect(c);
		if (r < 0) {
			e = -r;
			goto dropped;
		}
		c->st.reconnects++;
	}
	for (tries = 0; tries < 2; tries++) {
		n = send(c->fd, c->buf, len, MSG_NOSIGNAL |
		    ((c->flags & MMLOG_NONBLOCK) ? MSG_DONTWAIT : 0));
		if (n >= 0) {
			c->st.sent++;
			c->st.pending_drops = 0;
			return 0;
		}
		e = errno;
		if (e == EINTR) {
			tries--;
			continue;
		}
		if (e == EMSGSIZE)
			return -EMSGSIZE;
		if (!reconnectable(e) || tries == 1)
			break;
		r = client_connect(c);
		if (r < 0) {
			e = -r;
			break;
		}
		c->st.reconnects++;
	}
dropped:
	if (e == EWOULDBLOCK)
		e = EAGAIN;
	c->st.dropped++;
	c->st.pending_drops++;
	return -e;
}

/* The frame header of a new ENTRIES frame, carrying pending drops. */
static size_t
begin_entries(struct mmlog_client *c, uint16_t flags, uint32_t id)
{
	uint64_t d = c->st.pending_drops;

	return mml_wire_entries_init(c->buf, flags, id,
	    d > UINT32_MAX ? UINT32_MAX : (uint32_t)d);
}

/*
 * Reads replies until the one for id arrives.  ERRORs for other frames
 * are remembered and returned by the next mmlog_sync().
 */
static int
client_wait(struct mmlog_client *c, uint32_t id, uint64_t *ret_seq)
{
	struct mml_frame f;
	struct mml_ack_body ack;
	struct mml_error_body eb;
	struct pollfd pfd;
	ssize_t n;
	int r;

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
		n = recv(c->fd, c->buf, sizeof(c->buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		if (mml_wire_decode(c->buf, (size_t)n, 0, &f, NULL) < 0)
			return -EPROTO;
		if (f.hdr.type == MML_FRAME_ERROR) {
			memcpy(&eb, f.body, sizeof(eb));
			if (f.hdr.id == id)
				return eb.error > 0 ? -eb.error : -EIO;
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
		r = mml_fields_append(fbuf, sizeof(fbuf), &flen, fields[i].key,
		    strlen(fields[i].key), fields[i].value,
		    fields[i].value_len);
		if (r < 0)
			return r;
	}
	(void)pthread_mutex_lock(&c->mu);
	if (flags & MMLOG_WRITE_SYNC)
		id = ++c->next_id ? c->next_id : ++c->next_id;
	len = begin_entries(c, (flags & MMLOG_WRITE_SYNC) ? MML_FRAME_F_SYNC :
	    0, id);
	r = mml_wire_entry_append(c->buf, sizeof(c->buf), &len, priority,
	    tag != NULL ? tag : c->tag, tag != NULL ? tl : c->tag_len, msg,
	    msg_len, fbuf, flen);
	if (r < 0)
		goto out;
	r = client_send(c, len);
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
	return mmlog_writev(c, priority, tag, msg, msg_len, NULL, 0, 0);
}

PUBLIC int
mmlog_vwritef(struct mmlog_client *c, int priority, const char *tag,
    const char *fmt, va_list ap)
{
	char small[1024], *big = NULL;
	va_list aq;
	int n, r;

	va_copy(aq, ap);
	n = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return mmlog_write(c, priority, tag, small, (size_t)n);
	/* Longer than the packet may be: cut there, the daemon would refuse it. */
	if (n > MML_FRAME_MAX)
		n = MML_FRAME_MAX;
	big = malloc((size_t)n + 1);
	if (big == NULL)
		return -ENOMEM;
	(void)vsnprintf(big, (size_t)n + 1, fmt, ap);
	r = mmlog_write(c, priority, tag, big, (size_t)n);
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
mmlog_sync(struct mmlog_client *c, uint64_t *ret_seq)
{
	uint32_t id;
	size_t len;
	int r;

	if (c == NULL)
		return -EINVAL;
	(void)pthread_mutex_lock(&c->mu);
	id = ++c->next_id ? c->next_id : ++c->next_id;
	mml_wire_hdr_init(c->buf, MML_FRAME_SYNC, 0, id);
	len = sizeof(struct mml_frame_hdr);
	r = client_send(c, len);
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
