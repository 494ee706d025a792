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
 *
 * Under systemd, each stream whose header is read is also handed to the
 * service manager's file descriptor store (FDSTORE=1, named
 * "stream-INO" after its socket's inode), and what the header said is
 * kept in a small file of that name in the store directory, so that a
 * restart, or a crash, of mmlogd does not cut the services' stdout:
 * systemd passes the descriptors back to the next mmlogd, which goes on
 * with each stream where the last one left it (journald does the same,
 * with its streams/DEV:INO files).  The file is
 *
 *	mmlogd-stream 1\n
 *	id <_STREAM_ID, 32 hex digits>\n
 *	writer <pid> <uid> <gid>\n
 *	kept <n>\n
 *	<the header, as mml_stream_header() gives it: seven lines>
 *	<n bytes: a line not finished yet>
 *
 * written at once when the header is read (kept 0: a crash loses at most
 * the line in progress) and again at shutdown with the line in progress,
 * which the next mmlogd puts in front of what the stream sends next, so
 * a restart splits no line.  A file without its descriptor (systemd let
 * it go: the unit was stopped, not restarted) has its unfinished line
 * stored (_LINE_BREAK=eof) and is removed.  A stream that ends, or that
 * mmlogd closes, is taken out of the store (FDSTOREREMOVE=1) and its
 * file removed; the service manager drops the descriptors whose peer
 * hung up by itself too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "intake.h"
#include "log.h"
#include "macro.h"
#include "ratelimit.h"
#include "server.h"
#include "stdout_in.h"
#include "stream.h"
#include "util.h"
#include "wire.h"

/* Reads from one stream per wakeup before the next gets a turn. */
#define READS_PER_WAKEUP	16
/* At shutdown, reads per stream at most. */
#define DRAIN_READS		64
/* _STREAM_ID=<32 hex digits>. */
#define TRUSTED_CAP		(4 + 10 + 1 + 32)
/* A stored stream's name and state file: "stream-" and its inode. */
#define STORE_NAME_MAX		(sizeof(MML_STDOUT_STORED_PREFIX) + 20)
/* The state file before the header and the kept bytes. */
#define STATE_HEAD_MAX		128

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
	uint64_t		 ino;		/* the socket's; 0: not stored */
	int			 stored;	/* in the service manager's store */
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
	int			 store_fd;	/* the store directory, or -1 */
	int			 keep_stored;	/* shutting down: leave them */
	/* An entry's own fields: SYSLOG_FACILITY, _LINE_BREAK. */
	uint8_t			 fields[256];
};

static void	accept_cb(struct ev_loop *, ev_io *, int);
static void	accept_retry_cb(struct ev_loop *, ev_timer *, int);
static void	accept_pause(struct mml_stdout *);
static void	sweep_cb(struct ev_loop *, ev_timer *, int);
static const char *admit(const struct mml_stdout *, uid_t, int);
static struct stream_conn *conn_new(struct mml_stdout *, int,
		    const struct ucred *);
static struct stream_conn *conn_free(struct stream_conn *);
static void	conn_read_cb(struct ev_loop *, ev_io *, int);
static int	conn_read(struct stream_conn *);
static int	conn_parse(struct stream_conn *, size_t, size_t *,
		    enum mml_stream_flush);
static void	conn_trusted(struct stream_conn *);
static void	conn_meta(struct stream_conn *);
static int	conn_keep(struct stream_conn *, size_t, size_t);
static int	creds_of(struct msghdr *, struct ucred *);
static void	conn_store(struct stream_conn *);
static int	conn_save(struct stream_conn *, int);
static void	conn_unstore(struct stream_conn *);
static int	state_parse(uint8_t *, size_t, struct stream_conn *,
		    size_t *, size_t *);
static ssize_t	state_read(int, const char *, uint8_t **);
static void	store_name(char *, size_t, uint64_t);
static void	store_remove(const char *);
static void	orphan_flush(struct mml_stdout *, const char *);

struct mml_stdout *
mml_stdout_new(struct ev_loop *loop, struct mml_intake *in, int fd,
    unsigned max_streams, const char *store_dir)
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
	s->store_fd = -1;
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
	if (store_dir != NULL) {
		if (mkdir(store_dir, 0700) < 0 && errno != EEXIST)
			mml_log(LOG_WARNING, "stdout streams: cannot make '%s': "
			    "%s; a restart will cut them", store_dir,
			    strerror(errno));
		else if ((s->store_fd = open(store_dir, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) < 0)
			mml_log(LOG_WARNING, "stdout streams: cannot open '%s': "
			    "%s; a restart will cut them", store_dir,
			    strerror(errno));
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
	/* We are going: the next mmlogd goes on with the stored streams. */
	s->keep_stored = 1;
	while (s->conns != NULL)
		(void)conn_free(s->conns);
	if (s->store_fd >= 0)
		(void)close(s->store_fd);
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
		/*
		 * Our own SHUT_RD ends what a writer could keep sending; not
		 * for a stream the service manager keeps for our next start,
		 * whose writer must see nothing.
		 */
		if (!c->stored)
			(void)shutdown(c->fd, SHUT_RD);
		for (i = 0; i < DRAIN_READS; i++)
			if (conn_read(c) <= 0)
				break;
	}
	/* conn_read() closed those that reached their end; the rest: */
	s->keep_stored = 1;
	while (s->conns != NULL) {
		c = s->conns;
		/* Its line in progress goes on after the restart. */
		if (c->stored && conn_save(c, 1) == 0) {
			(void)conn_free(c);
			continue;
		}
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
		(void)conn_new(s, fd, &cred);
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

/*
 * A stream on fd (taken) from the peer cred (SO_PEERCRED), or NULL with
 * fd closed when out of memory.
 */
static struct stream_conn *
conn_new(struct mml_stdout *s, int fd, const struct ucred *cred)
{
	struct stream_conn *c;
	uint8_t id[16];
	int i;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		(void)close(fd);
		return NULL;
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
		return NULL;
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
	return c;
}

static struct stream_conn *
conn_free(struct stream_conn *c)
{
	struct mml_stdout *s;

	if (c == NULL)
		return NULL;
	s = c->srv;
	ev_io_stop(s->loop, &c->io);
	if (c->stored && !s->keep_stored)
		conn_unstore(c);
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
	if (c->ino == 0 && s->store_fd >= 0 && mml_stream_running(c->st))
		conn_store(c);
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

/* "stream-INO": the stream's name in the store, and its file's. */
static void
store_name(char *buf, size_t len, uint64_t ino)
{
	(void)snprintf(buf, len, "%s%" PRIu64, MML_STDOUT_STORED_PREFIX, ino);
}

/*
 * Hands c, whose header was just read, to the service manager's store
 * with its state file written first (the next mmlogd must find the file
 * of every descriptor it gets).  Without a service manager to take it
 * ($NOTIFY_SOCKET unset), no stream is stored.  sd_pid_notify_with_fds()
 * may block while systemd reads its notification socket; systemd's own
 * log writes to us time out after 10 ms, so the two cannot deadlock.
 */
static void
conn_store(struct stream_conn *c)
{
	struct mml_stdout *s = c->srv;
	char msg[64], name[STORE_NAME_MAX];
	struct stat st;
	int r;

	if (fstat(c->fd, &st) < 0 || st.st_ino == 0)
		return;
	c->ino = (uint64_t)st.st_ino;
	if (conn_save(c, 0) < 0)
		return;
	store_name(name, sizeof(name), c->ino);
	(void)snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	r = sd_pid_notify_with_fds(0, 0, msg, &c->fd, 1);
	if (r > 0) {
		c->stored = 1;
		return;
	}
	(void)unlinkat(s->store_fd, name, 0);
	if (r == 0) {
		/* Nobody to keep them: no stream is stored. */
		(void)close(s->store_fd);
		s->store_fd = -1;
	} else if (mml_intake_warn_ok(s->in))
		mml_log(LOG_WARNING, "stdout stream of pid %d: cannot hand it "
		    "to the service manager: %s; a restart will cut it",
		    (int)c->who.pid, strerror(-r));
}

/*
 * Writes c's state file (the header, and with kept the line in
 * progress), replacing the last one at once.  Returns 0, or -1 after
 * saying why.
 */
static int
conn_save(struct stream_conn *c, int kept)
{
	struct mml_stdout *s = c->srv;
	uint8_t head[STATE_HEAD_MAX + MML_STREAM_HEADER_SAVE_MAX];
	char name[STORE_NAME_MAX], tmp[STORE_NAME_MAX + 8];
	struct iovec iov[2];
	size_t n, hn;
	int fd, k, ok;

	k = snprintf((char *)head, STATE_HEAD_MAX, "mmlogd-stream 1\nid %s\n"
	    "writer %d %u %u\nkept %zu\n", c->id, (int)c->who.pid,
	    (unsigned)c->who.uid, (unsigned)c->who.gid, kept ? c->kept_len : 0);
	if (k < 0 || k >= STATE_HEAD_MAX)
		return -1;
	n = (size_t)k;
	hn = mml_stream_header(c->st, head + n, sizeof(head) - n);
	if (hn == 0)
		return -1;
	n += hn;
	store_name(name, sizeof(name), c->ino);
	(void)snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(s->store_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	iov[0].iov_base = head;
	iov[0].iov_len = n;
	iov[1].iov_base = c->kept;
	iov[1].iov_len = kept ? c->kept_len : 0;
	/* A regular file: all of it, or an error (ENOSPC). */
	ok = fd >= 0 && writev(fd, iov, 2) == (ssize_t)(n + iov[1].iov_len);
	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	if (ok && renameat(s->store_fd, tmp, s->store_fd, name) == 0)
		return 0;
	if (mml_intake_warn_ok(s->in))
		mml_log(LOG_WARNING, "stdout stream of pid %d: cannot write its "
		    "state '%s': %s; a restart will cut it", (int)c->who.pid,
		    name, strerror(errno));
	(void)unlinkat(s->store_fd, tmp, 0);
	return -1;
}

/* c is over: out of the service manager's store, its file removed. */
static void
conn_unstore(struct stream_conn *c)
{
	char name[STORE_NAME_MAX];

	store_name(name, sizeof(name), c->ino);
	if (c->srv->store_fd >= 0)
		(void)unlinkat(c->srv->store_fd, name, 0);
	store_remove(name);
	c->stored = 0;
}

/*
 * Tells the service manager to let go of its copy of the stream called
 * name: once we close ours, the writer must see its end, not fill a
 * socket nobody reads.
 */
static void
store_remove(const char *name)
{
	char msg[80];

	(void)snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%.48s", name);
	(void)sd_notify(0, msg);
}

void
mml_stdout_forget(int fd, const char *name)
{
	store_remove(name);
	(void)close(fd);
}

/*
 * The state file name in s's store directory, whole, into *ret (to
 * free).  Returns its length, or -1 (missing, unreadable, too large).
 */
static ssize_t
state_read(int dirfd, const char *name, uint8_t **ret)
{
	size_t cap = STATE_HEAD_MAX + MML_STREAM_HEADER_SAVE_MAX +
	    MML_STREAM_LINE_MAX_DEFAULT + 1, len = 0;
	uint8_t *buf;
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	buf = malloc(cap);
	while (buf != NULL && len < cap &&
	    ((n = read(fd, buf + len, cap - len)) > 0 ||
	    (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	(void)close(fd);
	if (buf == NULL || len == cap) {
		free(buf);
		return -1;
	}
	*ret = buf;
	return (ssize_t)len;
}

/*
 * A state file buf[0, len) into c (id, writer, c->st fed the header):
 * the kept bytes are buf[*ret_off, *ret_off + *ret_kept).  Returns 0,
 * or -1 if it is not one mmlogd wrote.
 */
static int
state_parse(uint8_t *buf, size_t len, struct stream_conn *c,
    size_t *ret_off, size_t *ret_kept)
{
	uint8_t fb[64];
	struct mml_ent e;
	char id[33];
	int pid, used = 0;
	unsigned uid, gid;
	size_t kept, off;

	/*
	 * Four lines, then the header: sscanf() sees no further, and must
	 * consume all four (a NUL in them ends it short: refused).
	 */
	for (off = 0; off < len && used < 4; off++)
		if (buf[off] == '\n' && ++used == 4)
			break;
	if (used != 4 || off >= STATE_HEAD_MAX)
		return -1;
	buf[off] = '\0';
	used = 0;
	if (sscanf((char *)buf, "mmlogd-stream 1\nid %32[0-9a-f]\nwriter %d %u "
	    "%u\nkept %zu%n", id, &pid, &uid, &gid, &kept, &used) != 5 ||
	    (size_t)used != off || strlen(id) != 32 || pid <= 0)
		return -1;
	off++;
	if (kept > len - off || kept >= MML_STREAM_LINE_MAX_DEFAULT)
		return -1;
	/* The header: every line of it, to the last byte before the kept. */
	mml_ent_init(&e, fb, sizeof(fb));
	if (mml_stream_next(c->st, buf, len - kept, &off, MML_STREAM_MORE,
	    &e) != 0 || !mml_stream_running(c->st) || off != len - kept)
		return -1;
	memcpy(c->id, id, sizeof(id));
	c->who.pid = (pid_t)pid;
	c->who.uid = (uid_t)uid;
	c->who.gid = (gid_t)gid;
	*ret_off = off;
	*ret_kept = kept;
	return 0;
}

int
mml_stdout_restore(struct mml_stdout *s, int fd, const char *name)
{
	const char *why = NULL;
	struct stream_conn *c = NULL;
	struct ucred cred;
	struct stat st;
	socklen_t clen = sizeof(cred);
	uint8_t *buf = NULL;
	ssize_t len = -1;
	size_t off = 0, kept = 0;
	uint64_t ino = 0;

	if (strncmp(name, MML_STDOUT_STORED_PREFIX,
	    sizeof(MML_STDOUT_STORED_PREFIX) - 1) != 0 ||
	    mml_parse_u64(name + sizeof(MML_STDOUT_STORED_PREFIX) - 1,
	    &ino) < 0 || ino == 0)
		why = "not a stream's name";
	else if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    (uint64_t)st.st_ino != ino)
		why = "not the socket of that name";
	else if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
		why = "no peer";
	else if (s->store_fd < 0 ||
	    (len = state_read(s->store_fd, name, &buf)) < 0)
		why = "its state file is missing";
	else if (s->n_conns >= s->max_streams)
		why = "--max-streams streams are connected";
	if (why == NULL && (c = conn_new(s, fd, &cred)) == NULL) {
		/* conn_new() closed fd. */
		fd = -1;
		why = "out of memory";
	}
	if (why == NULL && state_parse(buf, (size_t)len, c, &off, &kept) < 0)
		why = "its state file is damaged";
	if (why == NULL && kept > 0) {
		c->kept = malloc(kept);
		if (c->kept == NULL)
			why = "out of memory";
		else {
			memcpy(c->kept, buf + off, kept);
			c->kept_len = kept;
		}
	}
	free(buf);
	if (why != NULL) {
		mml_log(LOG_WARNING, "stdout stream '%s' from the service "
		    "manager: %s; closing it", name, why);
		if (c != NULL) {
			/* Closed and taken out of the store by conn_free(). */
			c->ino = ino;
			c->stored = 1;
			(void)conn_free(c);
		} else if (fd >= 0)
			mml_stdout_forget(fd, name);
		else
			store_remove(name);
		return -EINVAL;
	}
	c->ino = ino;
	c->stored = 1;
	/*
	 * The line in progress is ours now, in memory: a crash before the
	 * next shutdown must not bring it back a second time.
	 */
	if (kept > 0)
		(void)conn_save(c, 0);
	mml_log(LOG_DEBUG, "stdout stream '%s' of pid %d restored", name,
	    (int)c->who.pid);
	return 0;
}

/*
 * A state file whose descriptor did not come back (systemd dropped it,
 * the unit having been stopped, or its peer having hung up): the line it
 * had in progress is stored (_LINE_BREAK=eof), and the file removed.
 */
static void
orphan_flush(struct mml_stdout *s, const char *name)
{
	struct stream_conn c;
	uint8_t *buf = NULL;
	ssize_t len;
	size_t off = 0, kept = 0;

	memset(&c, 0, sizeof(c));
	c.srv = s;
	len = state_read(s->store_fd, name, &buf);
	/* Ours: the unit it names came from a privileged peer. */
	c.st = len >= 0 ? mml_stream_new(s->line_max, 1) : NULL;
	if (c.st != NULL && state_parse(buf, (size_t)len, &c, &off,
	    &kept) == 0 && kept > 0) {
		memcpy(s->rbuf, buf + off, kept);
		off = 0;
		mml_intake_clock(s->in);
		(void)conn_parse(&c, kept, &off, MML_STREAM_EOF);
		mml_intake_meta_put(s->in, c.who.meta);
	}
	c.st = mml_stream_free(c.st);
	free(buf);
	(void)unlinkat(s->store_fd, name, 0);
}

void
mml_stdout_restore_end(struct mml_stdout *s)
{
	const struct stream_conn *c;
	char name[STORE_NAME_MAX];
	struct dirent *de;
	DIR *d;
	int fd;

	if (s->store_fd < 0 || (fd = dup(s->store_fd)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp") != NULL) {
			(void)unlinkat(s->store_fd, de->d_name, 0);
			continue;
		}
		if (strncmp(de->d_name, MML_STDOUT_STORED_PREFIX,
		    sizeof(MML_STDOUT_STORED_PREFIX) - 1) != 0)
			continue;
		for (c = s->conns; c != NULL; c = c->next) {
			store_name(name, sizeof(name), c->ino);
			if (c->stored && strcmp(name, de->d_name) == 0)
				break;
		}
		if (c == NULL)
			orphan_flush(s, de->d_name);
	}
	(void)closedir(d);
}
