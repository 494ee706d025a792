/*
 * out.c: mmlog-forward's transports to the collector: RELP through
 * librelp (plain or TLS), and plain TCP syslog with RFC 6587 octet
 * counting.
 *
 * What the collector has is counted per session, from its first
 * message: mml_fwd_out_confirmed().  The caller keeps the ring position
 * of every message past that count and moves its cursor as the count
 * grows.
 *
 * librelp tells its caller nothing about individual answers ("rsp"
 * frames): relpCltSendSyslog() returns once the frame is written and
 * in librelp's list of unanswered frames.  What it does guarantee is
 * the window: before writing a frame it reads the answers that arrived
 * and, while `window` frames are unanswered, waits for more (up to the
 * session timeout, after which the session is broken).  A frame is
 * taken off the list by its answer; an answer other than "200" calls
 * the error callback.  So when relpCltSendSyslog() returned success for
 * the k-th frame of a session and no error callback ran, at most
 * `window` frames were unanswered, and, as a RELP server answers a
 * session's frames in order (librelp's server, and so rsyslog's imrelp,
 * processes them one after another), frames 1..k-window were answered
 * "200".  The newest `window` frames are confirmed by closing the
 * session: the server answers "close" after every frame before it, and
 * librelp waits for that answer, calling the error callback if it does
 * not come.  Hence at-least-once with at most `window` messages sent
 * again after a failure, and one session per burst: the forwarder
 * closes the session when it has caught up.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <librelp.h>

#include "fwd.h"

#define TCP_BUF_FLUSH	(64 * 1024)	/* write out when this much waits */

struct mml_fwd_out {
	const struct mml_fwd_dest *d;
	int		*stop;		/* set by a second SIGTERM */
	char		 err[512];
	int		 connected;
	uint64_t	 sent;		/* messages handed over, this session */
	uint64_t	 confirmed;	/* ... that the collector has */
	/* RELP */
	relpEngine_t	*engine;
	relpClt_t	*clt;
	int		 failed;	/* librelp reported an error */
	/* TCP */
	int		 fd;
	struct mml_fwd_buf wbuf;
	uint64_t	 wbuf_msgs;	/* messages in wbuf */
};

static void	 set_err(struct mml_fwd_out *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 add_err(struct mml_fwd_out *, const char *, const char *,
		    relpRetVal);
static void	 relp_on_err(void *, char *, char *, relpRetVal);
static void	 relp_on_auth_err(void *, char *, char *, relpRetVal);
static void	 relp_on_generic_err(char *, char *, relpRetVal);
static void	 relp_dbgprint(char *, ...)
		    __attribute__((format(printf, 1, 2)));
static int	 relp_connect(struct mml_fwd_out *);
static int	 tcp_connect(struct mml_fwd_out *);
static int	 tcp_write_all(struct mml_fwd_out *);

/* librelp's generic error callback has no user pointer. */
static struct mml_fwd_out *generic_err_out;

static void
set_err(struct mml_fwd_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(o->err, sizeof(o->err), fmt, ap);
	va_end(ap);
}

/*
 * librelp's callbacks: the first one of an attempt usually says what
 * went wrong ("TLS handshake failed [...]"), later ones what it broke
 * ("error opening connection"); keep both.
 */
static void
add_err(struct mml_fwd_out *o, const char *objinfo, const char *errmsg,
    relpRetVal code)
{
	size_t len = strlen(o->err);

	o->failed = 1;
	if (len > 0 && len + 3 < sizeof(o->err))
		(void)snprintf(o->err + len, sizeof(o->err) - len, "; %s: %s "
		    "(librelp error %d)", objinfo, errmsg, (int)code);
	else if (len == 0)
		set_err(o, "%s: %s (librelp error %d)", objinfo, errmsg,
		    (int)code);
}

static void
relp_on_err(void *usr, char *objinfo, char *errmsg, relpRetVal code)
{
	struct mml_fwd_out *o = usr;

	if (o != NULL)
		add_err(o, objinfo, errmsg, code);
}

static void
relp_on_auth_err(void *usr, char *authinfo, char *errmsg, relpRetVal code)
{
	struct mml_fwd_out *o = usr;

	char what[300];

	if (o == NULL)
		return;
	(void)snprintf(what, sizeof(what), "TLS authentication of %s",
	    authinfo);
	add_err(o, what, errmsg, code);
}

static void
relp_on_generic_err(char *objinfo, char *errmsg, relpRetVal code)
{
	struct mml_fwd_out *o = generic_err_out;

	if (o != NULL)
		add_err(o, objinfo, errmsg, code);
}

/*
 * librelp calls its debug hook unconditionally; it has no default.
 * With -vv (dest->debug) its lines go to stderr, at debug level.
 */
static int relp_debug;

static void
relp_dbgprint(char *fmt, ...)
{
	va_list ap;

	if (!relp_debug)
		return;
	(void)fputs("<7>mmlog-forward: librelp: ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
}

struct mml_fwd_out *
mml_fwd_out_new(const struct mml_fwd_dest *d, int *stop)
{
	struct mml_fwd_out *o;

	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->d = d;
	o->stop = stop;
	o->fd = -1;
	return o;
}

struct mml_fwd_out *
mml_fwd_out_free(struct mml_fwd_out *o)
{
	if (o == NULL)
		return NULL;
	mml_fwd_out_abort(o);
	if (o->engine != NULL)
		(void)relpEngineDestruct(&o->engine);
	if (generic_err_out == o)
		generic_err_out = NULL;
	mml_fwd_buf_free(&o->wbuf);
	free(o);
	return NULL;
}

static int
relp_connect(struct mml_fwd_out *o)
{
	const struct mml_fwd_dest *d = o->d;
	relpRetVal r;

	if (o->engine == NULL) {
		if (relpEngineConstruct(&o->engine) != RELP_RET_OK) {
			o->engine = NULL;
			set_err(o, "cannot set up librelp");
			return -ENOMEM;
		}
		relp_debug = d->debug;
		(void)relpEngineSetDbgprint(o->engine, relp_dbgprint);
		(void)relpEngineSetEnableCmd(o->engine,
		    (unsigned char *)"syslog", eRelpCmdState_Required);
		(void)relpEngineSetOnErr(o->engine, relp_on_err);
		(void)relpEngineSetOnAuthErr(o->engine, relp_on_auth_err);
		(void)relpEngineSetOnGenericErr(o->engine,
		    relp_on_generic_err);
		if (o->stop != NULL)
			relpEngineSetShutdownImmdtPtr(o->engine, o->stop);
		generic_err_out = o;
	}
	o->failed = 0;
	if (relpEngineCltConstruct(o->engine, &o->clt) != RELP_RET_OK) {
		o->clt = NULL;
		set_err(o, "cannot set up a librelp client");
		return -ENOMEM;
	}
	/* The session takes the user pointer when it is made, at connect. */
	(void)relpCltSetUsrPtr(o->clt, o);
	(void)relpCltSetTimeout(o->clt, d->timeout_s);
	(void)relpCltSetConnTimeout(o->clt, (int)d->conn_timeout_s);
	(void)relpCltSetWindowSize(o->clt, d->window);
	if (d->proto == MML_FWD_RELP_TLS) {
		r = relpCltEnableTLS(o->clt);
		if (r == RELP_RET_OK && d->ca != NULL)
			r = relpCltSetCACert(o->clt, (char *)d->ca);
		if (r == RELP_RET_OK && d->cert != NULL)
			r = relpCltSetOwnCert(o->clt, (char *)d->cert);
		if (r == RELP_RET_OK && d->key != NULL)
			r = relpCltSetPrivKey(o->clt, (char *)d->key);
		if (r == RELP_RET_OK && d->auth != NULL)
			r = relpCltSetAuthMode(o->clt, (char *)d->auth);
		if (r == RELP_RET_OK && d->peer != NULL)
			r = relpCltAddPermittedPeer(o->clt, (char *)d->peer);
		if (r != RELP_RET_OK) {
			set_err(o, "TLS settings refused by librelp (error "
			    "%d)", (int)r);
			(void)relpEngineCltDestruct(o->engine, &o->clt);
			o->clt = NULL;
			return -EINVAL;
		}
	}
	o->err[0] = '\0';
	r = relpCltConnect(o->clt, AF_UNSPEC, (unsigned char *)d->port,
	    (unsigned char *)d->host);
	if (r != RELP_RET_OK || o->failed) {
		if (o->err[0] == '\0')
			set_err(o, "RELP session to %s:%s not opened (librelp "
			    "error %d)", d->host, d->port, (int)r);
		(void)relpEngineCltDestruct(o->engine, &o->clt);
		o->clt = NULL;
		return -ECONNREFUSED;
	}
	return 0;
}

/* Connects with a bounded wait; the socket stays non-blocking. */
static int
tcp_connect(struct mml_fwd_out *o)
{
	const struct mml_fwd_dest *d = o->d;
	struct addrinfo hints, *res = NULL, *ai;
	struct pollfd pfd;
	socklen_t sl;
	int fd = -1, r, e = ECONNREFUSED, soerr;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(d->host, d->port, &hints, &res);
	if (r != 0) {
		set_err(o, "%s:%s: %s", d->host, d->port, gai_strerror(r));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		if (e == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			r = poll(&pfd, 1, (int)d->conn_timeout_s * 1000);
			sl = sizeof(soerr);
			if (r == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR,
			    &soerr, &sl) == 0 && soerr == 0)
				break;
			e = r == 0 ? ETIMEDOUT : r < 0 ? errno : soerr;
		}
		(void)close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		set_err(o, "connecting to %s:%s: %s", d->host, d->port,
		    strerror(e));
		return -e;
	}
	o->fd = fd;
	return 0;
}

int
mml_fwd_out_connect(struct mml_fwd_out *o)
{
	int r;

	mml_fwd_out_abort(o);
	o->err[0] = '\0';
	r = o->d->proto == MML_FWD_TCP ? tcp_connect(o) : relp_connect(o);
	if (r < 0)
		return r;
	o->connected = 1;
	o->sent = o->confirmed = 0;
	o->wbuf.len = 0;
	o->wbuf_msgs = 0;
	return 0;
}

int
mml_fwd_out_connected(const struct mml_fwd_out *o)
{
	return o->connected;
}

/* Writes out the buffer, waiting at most timeout_s for room. */
static int
tcp_write_all(struct mml_fwd_out *o)
{
	struct pollfd pfd;
	size_t done = 0;
	ssize_t n;
	int r;

	while (done < o->wbuf.len) {
		n = send(o->fd, o->wbuf.p + done, o->wbuf.len - done,
		    MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) {
			set_err(o, "sending to %s:%s: %s", o->d->host,
			    o->d->port, strerror(errno));
			return -errno;
		}
		pfd.fd = o->fd;
		pfd.events = POLLOUT;
		r = poll(&pfd, 1, (int)o->d->timeout_s * 1000);
		if (r == 0 || (o->stop != NULL && *o->stop)) {
			set_err(o, "sending to %s:%s: %s", o->d->host,
			    o->d->port, strerror(ETIMEDOUT));
			return -ETIMEDOUT;
		}
	}
	o->wbuf.len = 0;
	o->confirmed += o->wbuf_msgs;
	o->wbuf_msgs = 0;
	return 0;
}

int
mml_fwd_out_send(struct mml_fwd_out *o, const uint8_t *msg, size_t len)
{
	char pre[32];
	relpRetVal rr;
	int n, r;

	if (!o->connected) {
		set_err(o, "not connected");
		return -ENOTCONN;
	}
	if (o->d->proto == MML_FWD_TCP) {
		/* RFC 6587 3.4.1: MSG-LEN SP SYSLOG-MSG. */
		n = snprintf(pre, sizeof(pre), "%zu ", len);
		if (mml_fwd_buf_reserve(&o->wbuf, (size_t)n + len) < 0) {
			set_err(o, "%s", strerror(ENOMEM));
			mml_fwd_out_abort(o);
			return -ENOMEM;
		}
		memcpy(o->wbuf.p + o->wbuf.len, pre, (size_t)n);
		memcpy(o->wbuf.p + o->wbuf.len + n, msg, len);
		o->wbuf.len += (size_t)n + len;
		o->wbuf_msgs++;
		o->sent++;
		if (o->wbuf.len >= TCP_BUF_FLUSH) {
			r = tcp_write_all(o);
			if (r < 0) {
				mml_fwd_out_abort(o);
				return r;
			}
		}
		return 0;
	}
	rr = relpCltSendSyslog(o->clt, (unsigned char *)msg, len);
	if (rr != RELP_RET_OK || o->failed) {
		if (o->err[0] == '\0' || !o->failed)
			set_err(o, "RELP send to %s:%s failed (librelp error "
			    "%d)", o->d->host, o->d->port, (int)rr);
		mml_fwd_out_abort(o);
		return -EPIPE;
	}
	o->sent++;
	if (o->sent > (uint64_t)o->d->window)
		o->confirmed = o->sent - (uint64_t)o->d->window;
	return 0;
}

int
mml_fwd_out_flush(struct mml_fwd_out *o)
{
	char c;
	ssize_t n;
	int r;

	if (!o->connected)
		return o->sent == o->confirmed ? 0 : -ENOTCONN;
	if (o->d->proto == MML_FWD_TCP) {
		/* A collector that closed its end shows as EOF here. */
		n = recv(o->fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			set_err(o, "%s:%s closed the connection", o->d->host,
			    o->d->port);
			mml_fwd_out_abort(o);
			return -EPIPE;
		}
		r = tcp_write_all(o);
		if (r < 0)
			mml_fwd_out_abort(o);
		return r;
	}
	/*
	 * librelp sends "close" and waits for its answer, which the server
	 * sends after the answers to every frame before it; any failure on
	 * the way (timeout, broken session, an error answer) goes through
	 * the error callback.
	 */
	(void)relpEngineCltDestruct(o->engine, &o->clt);
	o->clt = NULL;
	o->connected = 0;
	if (o->failed) {
		if (o->err[0] == '\0')
			set_err(o, "closing the RELP session failed");
		return -EPIPE;
	}
	o->confirmed = o->sent;
	return 0;
}

uint64_t
mml_fwd_out_confirmed(const struct mml_fwd_out *o)
{
	return o->confirmed;
}

void
mml_fwd_out_abort(struct mml_fwd_out *o)
{
	if (o->clt != NULL) {
		/*
		 * After an error the session is broken and destroying it
		 * sends nothing; otherwise librelp tries a polite close.
		 * Either way nothing more counts as confirmed.
		 */
		o->failed = 1;
		(void)relpEngineCltDestruct(o->engine, &o->clt);
		o->clt = NULL;
	}
	if (o->fd >= 0) {
		(void)close(o->fd);
		o->fd = -1;
	}
	o->wbuf.len = 0;
	o->wbuf_msgs = 0;
	o->connected = 0;
}

const char *
mml_fwd_out_error(const struct mml_fwd_out *o)
{
	return o->err;
}
