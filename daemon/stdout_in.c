/*
 * stdout_in.c: stdout streams (stdout_in.h).
 *
 * One read buffer serves every stream: a stream keeps, between reads,
 * only the part of a line it has not finished (at most the parser's
 * buffer size, mml_stream_buf_size()), on the heap and sized to it, so
 * thousands of quiet streams cost little.  A read puts the kept bytes
 * in front of what arrives and hands both to the parser, which never
 * leaves as many bytes as the buffer holds: every read makes progress,
 * and no stream can make the daemon hold more than one line of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "intake.h"
#include "log.h"
#include "macro.h"
#include "ratelimit.h"
#include "server.h"
#include "stdout_in.h"
#include "stream.h"
#include "wire.h"

/* Reads from one stream per wakeup before the next gets a turn. */
#define READS_PER_WAKEUP	16
/* At shutdown, reads per stream at most. */
#define DRAIN_READS		64
/* _STREAM_ID=<32 hex digits>. */
#define TRUSTED_CAP		(4 + 10 + 1 + 32)

struct stream_conn {
	struct mml_stdout	*srv;
	ev_io			 io;
	int			 fd;
	struct mml_stream	*st;
	struct mml_sender	 who;		/* who.meta: held, or NULL */
	uid_t			 peer_uid;	/* SO_PEERCRED's, for the limits */
	int			 unpriv;	/* counted in n_unpriv */
	uint8_t			*kept;		/* a line not finished yet */
	size_t			 kept_len;
	ev_tstamp		 opened;
	ev_tstamp		 comm_at;	/* who.comm read for entries; 0: not */
	char			 id[33];	/* _STREAM_ID, hex */
	uint8_t			 trusted[TRUSTED_CAP];
	size_t			 trusted_len;	/* 0 until the header is read */
	struct stream_conn	*prev, *next;
};

struct mml_stdout {
	struct ev_loop		*loop;
	struct mml_intake	*in;
	int			 listen_fd;
	ev_io			 accept_io;
	ev_timer		 accept_retry;	/* after EMFILE or a refusal */
	ev_timer		 sweep;		/* header timeouts */
	unsigned		 max_streams;
	size_t			 line_max;
	struct stream_conn	*conns;
	unsigned		 n_conns;
	unsigned		 n_unpriv;	/* of uids other than root, ours */
	uint8_t			*rbuf;		/* mml_stream_buf_size() bytes */
	size_t			 rbuf_len;
	/* An entry's own fields: SYSLOG_FACILITY, _LINE_BREAK. */
	uint8_t			 fields[256];
};

static void	accept_cb(struct ev_loop *, ev_io *, int);
static void	accept_retry_cb(struct ev_loop *, ev_timer *, int);
static void	accept_pause(struct mml_stdout *);
static void	sweep_cb(struct ev_loop *, ev_timer *, int);
static const char *admit(const struct mml_stdout *, uid_t, int);
static void	conn_new(struct mml_stdout *, int, const struct ucred *);
static struct stream_conn *conn_free(struct stream_conn *);
static void	conn_read_cb(struct ev_loop *, ev_io *, int);
static int	conn_read(struct stream_conn *);
static int	conn_parse(struct stream_conn *, size_t, size_t *,
		    enum mml_stream_flush);
static void	conn_trusted(struct stream_conn *);
static void	conn_meta(struct stream_conn *);
static int	conn_keep(struct stream_conn *, size_t, size_t);
static int	creds_of(struct msghdr *, struct ucred *);

struct mml_stdout *
mml_stdout_new(struct ev_loop *loop, struct mml_intake *in, int fd,
    unsigned max_streams)
{
	struct mml_stdout *s;
	struct mml_stream *probe;
	int one = 1;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->loop = loop;
	s->in = in;
	s->listen_fd = fd;
	s->max_streams = max_streams;
	s->line_max = MML_STREAM_LINE_MAX_DEFAULT;
	/* The parser's buffer size, for this line limit. */
	probe = mml_stream_new(s->line_max, 0);
	if (probe != NULL)
		s->rbuf_len = mml_stream_buf_size(probe);
	probe = mml_stream_free(probe);
	s->rbuf = s->rbuf_len > 0 ? malloc(s->rbuf_len) : NULL;
	if (s->rbuf == NULL) {
		free(s);
		return NULL;
	}
	/* Accepted streams inherit it: every read says whose bytes. */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		mml_log(LOG_WARNING, "stdout socket: SO_PASSCRED: %s; a change "
		    "of writer will go unseen", strerror(errno));
	ev_io_init(&s->accept_io, accept_cb, fd, EV_READ);
	ev_io_start(loop, &s->accept_io);
	ev_init(&s->accept_retry, accept_retry_cb);
	ev_timer_init(&s->sweep, sweep_cb, 1., 1.);
	ev_timer_start(loop, &s->sweep);
	return s;
}

unsigned
mml_stdout_streams(const struct mml_stdout *s)
{
	return s->n_conns;
}

struct mml_stdout *
mml_stdout_free(struct mml_stdout *s)
{
	if (s == NULL)
		return NULL;
	ev_io_stop(s->loop, &s->accept_io);
	ev_timer_stop(s->loop, &s->accept_retry);
	ev_timer_stop(s->loop, &s->sweep);
	while (s->conns != NULL)
		(void)conn_free(s->conns);
	free(s->rbuf);
	free(s);
	return NULL;
}

void
mml_stdout_drain(struct mml_stdout *s)
{
	struct stream_conn *c, *next;
	size_t off;
	int i;

	ev_io_stop(s->loop, &s->accept_io);
	ev_timer_stop(s->loop, &s->accept_retry);
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		/* Our own SHUT_RD ends what a writer could keep sending. */
		(void)shutdown(c->fd, SHUT_RD);
		for (i = 0; i < DRAIN_READS; i++)
			if (conn_read(c) <= 0)
				break;
	}
	/* conn_read() closed those that reached their end; the rest: */
	while (s->conns != NULL) {
		c = s->conns;
		if (c->kept_len > 0) {
			memcpy(s->rbuf, c->kept, c->kept_len);
			off = 0;
			(void)conn_parse(c, c->kept_len, &off, MML_STREAM_EOF);
		}
		(void)conn_free(c);
	}
}

static void
accept_pause(struct mml_stdout *s)
{
	ev_io_stop(s->loop, &s->accept_io);
	ev_timer_set(&s->accept_retry, 0.1, 0.);
	ev_timer_start(s->loop, &s->accept_retry);
}

static void
accept_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mml_stdout *s = container_of(w, struct mml_stdout, accept_retry);

	(void)revents;
	ev_io_start(loop, &s->accept_io);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mml_stdout *s = container_of(w, struct mml_stdout, accept_io);
	struct ucred cred;
	socklen_t len;
	const char *why;
	int fd, i, priv;

	(void)loop;
	(void)revents;
	for (i = 0; i < 64; i++) {
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC |
		    SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				if (mml_intake_warn_ok(s->in))
					mml_log(LOG_WARNING, "stdout socket: "
					    "accept: %s, pausing for 100 ms",
					    strerror(errno));
				accept_pause(s);
			}
			return;
		}
		if (s->n_conns >= s->max_streams) {
			mml_intake_counts(s->in, MML_TRANSPORT_STDOUT)->errors++;
			if (mml_intake_warn_ok(s->in))
				mml_log(LOG_WARNING, "stdout socket: %u streams "
				    "connected (--max-streams), refusing one and "
				    "pausing for 100 ms", s->n_conns);
			(void)close(fd);
			/* Who connects in a loop must not keep us busy. */
			accept_pause(s);
			return;
		}
		len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			cred.pid = 0;
			cred.uid = (uid_t)-1;
			cred.gid = (gid_t)-1;
		}
		priv = mml_rate_privileged(cred.uid);
		if ((why = admit(s, cred.uid, priv)) != NULL) {
			/*
			 * No pause here: the streams of others queued behind
			 * this uid's are accepted in their turn.
			 */
			mml_intake_counts(s->in, MML_TRANSPORT_STDOUT)->errors++;
			if (mml_intake_warn_ok(s->in))
				mml_log(LOG_WARNING, "stdout socket: uid %d (pid "
				    "%d) has %s, refusing its stream", (int)cred.uid,
				    (int)cred.pid, why);
			(void)close(fd);
			continue;
		}
		conn_new(s, fd, &cred);
	}
}

/*
 * Whether a stream of uid (priv: root's or mmlogd's, which PID 1's
 * streams for services are) may come in, as the server admits its
 * clients (uids.c): any other uid holds at most --max-clients-per-uid
 * streams, and those uids together all but a reserve of the table
 * (--reserved-clients, at most half of it), so that no user can take
 * the slots of the services' output.  NULL if it may, else why not.
 */
static const char *
admit(const struct mml_stdout *s, uid_t uid, int priv)
{
	const struct mml_limits *l = mml_intake_limits(s->in);
	const struct stream_conn *c;
	unsigned reserve, mine = 0;

	if (priv)
		return NULL;
	reserve = l->reserved_clients < s->max_streams / 2 ?
	    l->reserved_clients : s->max_streams / 2;
	if (s->n_unpriv >= s->max_streams - reserve)
		return "no stream left of those open to uids other than root "
		    "and mmlogd's (--max-streams less --reserved-clients)";
	for (c = s->conns; c != NULL; c = c->next)
		if (c->unpriv && c->peer_uid == uid &&
		    ++mine >= l->max_clients_per_uid)
			return "as many streams as it may "
			    "(--max-clients-per-uid)";
	return NULL;
}

/* A stream on fd (taken) from the peer cred (SO_PEERCRED). */
static void
conn_new(struct mml_stdout *s, int fd, const struct ucred *cred)
{
	struct stream_conn *c;
	uint8_t id[16];
	int i;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		(void)close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->who.pid = cred->pid;
	c->who.uid = cred->uid;
	c->who.gid = cred->gid;
	c->peer_uid = cred->uid;
	mml_sender_read_comm(&c->who);
	/* Only from root is the header's unit name believed. */
	c->st = mml_stream_new(s->line_max, cred->uid == 0);
	if (c->st == NULL) {
		(void)close(fd);
		free(c);
		return;
	}
	if (getrandom(id, sizeof(id), GRND_NONBLOCK) != (ssize_t)sizeof(id))
		memset(id, 0, sizeof(id));
	for (i = 0; i < 16; i++)
		(void)snprintf(c->id + 2 * i, 3, "%02x", id[i]);
	c->opened = ev_now(s->loop);
	ev_io_init(&c->io, conn_read_cb, fd, EV_READ);
	ev_io_start(s->loop, &c->io);
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->n_conns++;
	c->unpriv = !mml_rate_privileged(cred->uid);
	s->n_unpriv += c->unpriv ? 1 : 0;
	mml_log(LOG_DEBUG, "stdout stream fd %d pid %d connected", fd,
	    (int)c->who.pid);
}

static struct stream_conn *
conn_free(struct stream_conn *c)
{
	struct mml_stdout *s;

	if (c == NULL)
		return NULL;
	s = c->srv;
	ev_io_stop(s->loop, &c->io);
	(void)close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->n_conns--;
	s->n_unpriv -= c->unpriv ? 1 : 0;
	c->st = mml_stream_free(c->st);
	mml_intake_meta_put(s->in, c->who.meta);
	free(c->kept);
	free(c);
	return NULL;
}

static void
conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct stream_conn *c = container_of(w, struct stream_conn, io);
	int i;

	(void)loop;
	(void)revents;
	for (i = 0; i < READS_PER_WAKEUP; i++)
		if (conn_read(c) <= 0)
			return;
}

/*
 * The SCM_CREDENTIALS of a read into *ret: 1, or 0 if it had none.
 * Closes the descriptors it brought (nothing here takes any).
 */
static int
creds_of(struct msghdr *mh, struct ucred *ret)
{
	struct cmsghdr *cm;
	size_t i, n;
	int found = 0;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_CREDENTIALS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(*ret))) {
			memcpy(ret, CMSG_DATA(cm), sizeof(*ret));
			found = 1;
		} else if (cm->cmsg_type == SCM_RIGHTS) {
			n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < n; i++)
				(void)close(((int *)(void *)CMSG_DATA(cm))[i]);
		}
	}
	return found;
}

/*
 * One read of c.  Returns 1 if more may be waiting, 0 if not, -1 once
 * the stream is closed (its end, an error, a refused header).
 */
static int
conn_read(struct stream_conn *c)
{
	struct mml_stdout *s = c->srv;
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct ucred)) +
		    CMSG_SPACE(sizeof(int) * 4)];
	} cbuf;
	struct msghdr mh;
	struct iovec iov;
	struct ucred cred;
	size_t len, off = 0;
	ssize_t n;

	if (c->kept_len > 0)
		memcpy(s->rbuf, c->kept, c->kept_len);
	iov.iov_base = s->rbuf + c->kept_len;
	iov.iov_len = s->rbuf_len - c->kept_len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);
	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		if (errno == EAGAIN)
			return 0;
		if (errno == EINTR)
			return 1;
		/* ECONNRESET and the like: the end, as far as we can tell. */
		n = 0;
	}
	mml_intake_clock(s->in);
	mml_intake_counts(s->in, MML_TRANSPORT_STDOUT)->bytes += (size_t)n;
	/*
	 * Another writer (a child that inherited the stream; the service
	 * whose stdout PID 1 connected): the bytes are its own, and what
	 * the previous writer left is a line of its own.
	 */
	if (n > 0 && creds_of(&mh, &cred) && cred.pid > 0 &&
	    cred.pid != c->who.pid) {
		if (c->kept_len > 0 && conn_parse(c, c->kept_len, &off,
		    MML_STREAM_PID_CHANGE) < 0)
			return -1;
		c->who.pid = cred.pid;
		c->who.uid = cred.uid;
		c->who.gid = cred.gid;
		c->comm_at = 0;
		/* Its own metadata, gathered with its first line. */
		mml_intake_meta_put(s->in, c->who.meta);
		c->who.meta = NULL;
	}
	len = c->kept_len + (size_t)n;
	if (conn_parse(c, len, &off, n == 0 ? MML_STREAM_EOF :
	    MML_STREAM_MORE) < 0)
		return -1;
	if (n == 0) {
		mml_log(LOG_DEBUG, "stdout stream pid %d gone", (int)c->who.pid);
		(void)conn_free(c);
		return -1;
	}
	if (conn_keep(c, off, len) < 0)
		return -1;
	return 1;
}

/*
 * The entries of s->rbuf[*off, len), submitted.  Returns 0, or -1 once
 * the stream is closed for a refused header.
 */
static int
conn_parse(struct stream_conn *c, size_t len, size_t *off,
    enum mml_stream_flush flush)
{
	struct mml_stdout *s = c->srv;
	struct mml_ent e;
	uint8_t comm_len;
	char comm[MML_COMM_MAX];
	int r;

	for (;;) {
		mml_ent_init(&e, s->fields, sizeof(s->fields));
		r = mml_stream_next(c->st, s->rbuf, len, off, flush, &e);
		if (r == 0)
			return 0;
		if (r < 0) {
			mml_intake_counts(s->in, MML_TRANSPORT_STDOUT)->errors++;
			if (mml_intake_warn_ok(s->in))
				mml_log(LOG_WARNING, "stdout stream of pid %d: "
				    "%s, closing it", (int)c->who.pid,
				    mml_stream_strerror(mml_stream_errno(c->st)));
			(void)conn_free(c);
			return -1;
		}
		if (c->trusted_len == 0)
			conn_trusted(c);
		/*
		 * The comm of who writes the lines: systemd-cat connects, then
		 * execs the program whose output it is; a process may rename
		 * itself.  Read again at most once a second; a new one (an
		 * exec, most likely) means a new _EXE and _CMDLINE too.
		 */
		if (c->comm_at == 0 || ev_now(s->loop) - c->comm_at >= 1.) {
			comm_len = c->who.comm_len;
			memcpy(comm, c->who.comm, comm_len);
			mml_sender_read_comm(&c->who);
			c->comm_at = ev_now(s->loop);
			if (c->who.comm_len != comm_len ||
			    memcmp(comm, c->who.comm, comm_len) != 0)
				conn_meta(c);
		}
		if (c->who.meta == NULL)
			conn_meta(c);
		(void)mml_intake_submit(s->in, MML_TRANSPORT_STDOUT, &c->who,
		    &e, c->trusted, c->trusted_len, NULL);
	}
}

/* The stream's own trusted field, once its header is read: _STREAM_ID. */
static void
conn_trusted(struct stream_conn *c)
{
	(void)mml_fields_put(c->trusted, sizeof(c->trusted), &c->trusted_len,
	    "_STREAM_ID", 10, c->id, 32);
}

/*
 * The writer's metadata, (re)gathered once the header is read (its
 * first line), when another process writes, or when the writer's comm
 * changed.  The unit a privileged peer named in the header
 * (mml_stream_unit(): how PID 1 names the service whose stdout it
 * connects) is _SYSTEMD_UNIT when the writer's cgroup names none, as
 * journald has it.
 */
static void
conn_meta(struct stream_conn *c)
{
	struct mml_intake *in = c->srv->in;

	mml_intake_meta_put(in, c->who.meta);
	c->who.meta = mml_intake_meta_get(in, MML_TRANSPORT_STDOUT,
	    c->who.pid, mml_stream_unit(c->st));
}

/*
 * Keeps s->rbuf[off, len), the line not finished yet, for the next
 * read (fewer than mml_stream_buf_size() bytes: the parser's promise).
 * Returns 0, or -1 once the stream is closed for want of memory.
 */
static int
conn_keep(struct stream_conn *c, size_t off, size_t len)
{
	size_t n = len - off;
	uint8_t *p;

	if (n == 0) {
		free(c->kept);
		c->kept = NULL;
		c->kept_len = 0;
		return 0;
	}
	p = realloc(c->kept, n);
	if (p == NULL) {
		(void)conn_free(c);
		return -1;
	}
	memmove(p, c->srv->rbuf + off, n);
	c->kept = p;
	c->kept_len = n;
	return 0;
}

/*
 * Streams that have not finished their header within --idle-timeout are
 * closed (a peer that never does must not hold a slot); running ones
 * stay, however quiet.
 */
static void
sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mml_stdout *s = container_of(w, struct mml_stdout, sweep);
	struct stream_conn *c, *next;
	unsigned limit = mml_intake_limits(s->in)->idle_timeout_s;
	ev_tstamp now = ev_now(loop);

	(void)revents;
	if (limit == 0)
		return;
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (mml_stream_running(c->st) || now - c->opened < limit)
			continue;
		mml_intake_counts(s->in, MML_TRANSPORT_STDOUT)->errors++;
		if (mml_intake_warn_ok(s->in))
			mml_log(LOG_WARNING, "stdout stream of pid %d sent no "
			    "whole header in %u s (--idle-timeout), closing it",
			    (int)c->who.pid, limit);
		(void)conn_free(c);
	}
}
