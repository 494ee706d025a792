/*
 * out.c: mmlog-forward's transports to the collector: RELP (plain, or
 * over TLS with GnuTLS), plain TCP syslog with RFC 6587 octet counting,
 * and HTTP(S) POSTs of the Journal Export Format to
 * systemd-journal-remote through libcurl.
 *
 * What the collector has is counted per session, from its first
 * message: mml_fwd_out_confirmed().  The caller keeps the ring position
 * of every message past that count and moves its cursor as the count
 * grows.
 *
 * RELP: our own client of the protocol (relp.c has its frames).  A
 * RELP server answers each frame with an "rsp" of the same number,
 * in order (librelp's server, and so rsyslog's imrelp, handles a
 * session's frames one after another): each "200" confirms exactly one
 * more message, anything else is a refusal of exactly that message,
 * and the session ends.  Frames are written in batches of up to
 * RELP_WRITE_CHUNK bytes and the answers taken in paced wake-ups
 * (relp_pace_ms()), so a message costs a fraction of a system call
 * (0.025) and of a wake-up (0.005); at most `window` frames are
 * unanswered.  What is left is the server's: librelp answers every
 * frame on its own, with TCP_CORK set, a send() and TCP_CORK cleared,
 * three system calls (rsyslogd's CPU per entry: 10-13.5 us over RELP
 * against 3.5-5.5 over plain TCP, on this project's 2-core VM).
 * librelp's client, which this replaces, wrote every
 * frame with a send() and tried a recv() before each (two system calls
 * and about 4,900 instructions a frame), told its caller nothing of
 * individual answers (confirmations lagged a whole window behind, and a
 * refusal could not be told from a broken connection, nor be pinned
 * on a message), and after a server's "serverclose" hint could report
 * a session closed cleanly with its last frames unanswered.
 *
 * HTTP: systemd-journal-remote answers a POST to /upload once it has
 * written every entry of its body to the journal (202, or 4xx/5xx with
 * a reason), so an answer in 2xx confirms the whole body.  Entries go
 * in batches of window/2: while one POST is out, the next batch fills,
 * so that the collector and the forwarder work at the same time and at
 * most `window` entries are unconfirmed.  libcurl's multi interface
 * drives the POST out without blocking while the next batch fills; one
 * connection is kept alive between POSTs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "fwd.h"
#include "util.h"

#define TCP_BUF_FLUSH	(64 * 1024)	/* write out when this much waits */
#define RELP_WRITE_CHUNK (64 * 1024)	/* RELP: write out at this much */
#define RELP_READ_MIN	(16 * 1024)	/* room for one read */
#define RELP_CLOSE_MS	2000		/* waiting for "close" answered */
#define RELP_PACE_MIN	64		/* answers awaited to pace the waits */
#define RELP_PACE_MS	1		/* ... the shortest sleep */
#define RELP_PACE_MAX_MS 10		/* ... and the longest */
#define RELP_PACE_IDLE_MS 100		/* no answer for this long: unpaced */
#define HTTP_PUSH_EVERY	64		/* entries between two pushes */

struct mml_fwd_out {
	const struct mml_fwd_dest *d;
	int		*stop;		/* set by a second SIGTERM */
	void		(*on_wait)(void *);	/* before each wait */
	void		*on_wait_arg;
	int		 on_wait_ms;	/* its period while waiting; 0: none */
	char		 err[512];
	int		 connected;
	enum mml_fwd_fail fail;		/* how the last failure happened */
	uint64_t	 sent;		/* messages handed over, this session */
	uint64_t	 confirmed;	/* ... that the collector has */
	/* The stream to the collector (RELP, RELP+TLS, TCP). */
	int		 fd;
	gnutls_session_t tls;
	gnutls_certificate_credentials_t cred;
	size_t		 tls_pending;	/* bytes of a send to finish */
	/* Bytes to write; HTTP: the batch being filled. */
	struct mml_fwd_buf wbuf;
	size_t		 wbuf_off;	/* written so far */
	uint64_t	 wbuf_msgs;	/* TCP, HTTP: messages in wbuf */
	/* RELP */
	struct mml_fwd_buf rbuf;	/* read, not yet parsed */
	uint32_t	 txnr;		/* of the last frame sent */
	uint32_t	 ack_txnr;	/* the next answer's */
	uint32_t	 close_txnr;	/* of "close", once sent */
	int		 closed;	/* "close" was answered */
	uint64_t	 ans_rate;	/* answers a second, paced; 0: unknown */
	/* HTTP */
	CURLM		*multi;
	CURL		*easy;
	struct curl_slist *headers;
	char		*url;
	char		 curl_err[CURL_ERROR_SIZE];
	char		 answer[160];	/* the start of the answer's body */
	size_t		 answer_len;
	struct mml_fwd_buf flight;	/* the body of the POST out */
	uint64_t	 flight_msgs;	/* entries in it; 0: no POST out */
	int		 reached;	/* a POST was answered, this session */
};

static void	 set_err(struct mml_fwd_out *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static uint64_t	 now_ms(void);
static int	 tcp_connect(struct mml_fwd_out *);
static int	 tcp_write_all(struct mml_fwd_out *);
static int	 tls_start(struct mml_fwd_out *);
static int	 tls_verify(struct mml_fwd_out *);
static int	 stream_write(struct mml_fwd_out *);
static int	 stream_read(struct mml_fwd_out *);
static int	 relp_answers(struct mml_fwd_out *);
static int	 relp_read(struct mml_fwd_out *);
static int	 relp_wait(struct mml_fwd_out *, uint64_t, int);
static uint64_t	 relp_pace_ms(const struct mml_fwd_out *, uint64_t, uint64_t);
static int	 relp_frame(struct mml_fwd_out *, const char *,
		    const uint8_t *, size_t);
static int	 relp_connect(struct mml_fwd_out *);
static int	 relp_close(struct mml_fwd_out *);
static size_t	 http_answer_cb(char *, size_t, size_t, void *);
static int	 http_setup(struct mml_fwd_out *);
static int	 http_start(struct mml_fwd_out *);
static int	 http_done(struct mml_fwd_out *, CURLcode);
static int	 http_progress(struct mml_fwd_out *, int);
static int	 http_send(struct mml_fwd_out *, const uint8_t *, size_t);
static int	 http_flush(struct mml_fwd_out *);

static void
set_err(struct mml_fwd_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(o->err, sizeof(o->err), fmt, ap);
	va_end(ap);
}

static uint64_t
now_ms(void)
{
	return mml_now_usec(CLOCK_MONOTONIC) / 1000;
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

void
mml_fwd_out_on_wait(struct mml_fwd_out *o, void (*fn)(void *), void *arg,
    int period_ms)
{
	o->on_wait = fn;
	o->on_wait_arg = arg;
	o->on_wait_ms = period_ms;
}

/*
 * About to wait for the collector: the caller's hook, and the longest
 * the wait may last before the hook runs again.
 */
static int
wait_hook(struct mml_fwd_out *o, int ms)
{
	if (o->on_wait == NULL)
		return ms;
	o->on_wait(o->on_wait_arg);
	return o->on_wait_ms > 0 && o->on_wait_ms < ms ? o->on_wait_ms : ms;
}

struct mml_fwd_out *
mml_fwd_out_free(struct mml_fwd_out *o)
{
	if (o == NULL)
		return NULL;
	mml_fwd_out_abort(o);
	if (o->cred != NULL)
		gnutls_certificate_free_credentials(o->cred);
	if (o->easy != NULL)
		curl_easy_cleanup(o->easy);
	if (o->multi != NULL)
		(void)curl_multi_cleanup(o->multi);
	curl_slist_free_all(o->headers);
	free(o->url);
	mml_fwd_buf_free(&o->wbuf);
	mml_fwd_buf_free(&o->rbuf);
	mml_fwd_buf_free(&o->flight);
	free(o);
	return NULL;
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
	/* Writes are batched here; what is written must go at once. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
	    sizeof(int));
	o->fd = fd;
	return 0;
}

/*
 * The TLS session on the connected o->fd, its handshake bounded by
 * conn_timeout_s, then the collector's certificate checked.  Returns 0
 * or -errno with the reason in o->err.
 */
static int
tls_start(struct mml_fwd_out *o)
{
	const struct mml_fwd_dest *d = o->d;
	struct pollfd pfd;
	uint64_t end = now_ms() + (uint64_t)d->conn_timeout_s * 1000, now;
	struct in6_addr a6;
	int r;

	if (o->cred == NULL) {
		if (gnutls_certificate_allocate_credentials(&o->cred) < 0) {
			o->cred = NULL;
			set_err(o, "%s", strerror(ENOMEM));
			return -ENOMEM;
		}
		r = d->ca != NULL ? gnutls_certificate_set_x509_trust_file(
		    o->cred, d->ca, GNUTLS_X509_FMT_PEM) :
		    gnutls_certificate_set_x509_system_trust(o->cred);
		if (r < 0 || (r == 0 && d->ca != NULL)) {
			set_err(o, "TLS: CA certificates from '%s': %s",
			    d->ca != NULL ? d->ca : "the system", r < 0 ?
			    gnutls_strerror(r) : "none found");
			goto bad_cred;
		}
		if (d->cert != NULL && (r = gnutls_certificate_set_x509_key_file(
		    o->cred, d->cert, d->key != NULL ? d->key : d->cert,
		    GNUTLS_X509_FMT_PEM)) < 0) {
			set_err(o, "TLS: certificate '%s' and key '%s': %s",
			    d->cert, d->key != NULL ? d->key : d->cert,
			    gnutls_strerror(r));
			goto bad_cred;
		}
	}
	if ((r = gnutls_init(&o->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0) {
		o->tls = NULL;
		set_err(o, "TLS: %s", gnutls_strerror(r));
		return -ENOMEM;
	}
	(void)gnutls_set_default_priority(o->tls);
	(void)gnutls_credentials_set(o->tls, GNUTLS_CRD_CERTIFICATE, o->cred);
	/* SNI names a host, never an address. */
	if (inet_pton(AF_INET6, d->host, &a6) != 1 &&
	    inet_pton(AF_INET, d->host, &a6) != 1)
		(void)gnutls_server_name_set(o->tls, GNUTLS_NAME_DNS, d->host,
		    strlen(d->host));
	gnutls_transport_set_int(o->tls, o->fd);
	while ((r = gnutls_handshake(o->tls)) < 0) {
		if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED) {
			set_err(o, "TLS handshake with %s:%s failed: %s",
			    d->host, d->port, gnutls_strerror(r));
			return -ECONNREFUSED;
		}
		now = now_ms();
		if (now >= end || (o->stop != NULL && *o->stop)) {
			set_err(o, "TLS handshake with %s:%s: %s", d->host,
			    d->port, strerror(ETIMEDOUT));
			return -ETIMEDOUT;
		}
		pfd.fd = o->fd;
		pfd.events = gnutls_record_get_direction(o->tls) ? POLLOUT :
		    POLLIN;
		(void)poll(&pfd, 1, (int)(end - now));
	}
	return tls_verify(o);
bad_cred:
	gnutls_certificate_free_credentials(o->cred);
	o->cred = NULL;
	return -EINVAL;
}

/*
 * Checks the collector's certificate as librelp's auth modes do:
 * "name", the chain against the CA and a name in the certificate
 * against the permitted peer (gnutls_x509_crt_check_hostname(): DNS
 * names, wildcards, IP addresses); "fingerprint", the SHA1 fingerprint
 * ("SHA1:" and colon-separated hex) against it; "certvalid", the chain
 * only.  Returns 0 or -EPERM with the reason in o->err.
 */
static int
tls_verify(struct mml_fwd_out *o)
{
	const struct mml_fwd_dest *d = o->d;
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t txt;
	unsigned n = 0, status = 0, i;
	uint8_t fp[20];
	size_t fp_len = sizeof(fp);
	char fps[5 + 3 * 20 + 1];
	int r = -EPERM;

	certs = gnutls_certificate_get_peers(o->tls, &n);
	if (certs == NULL || n == 0) {
		set_err(o, "TLS: %s:%s showed no certificate", d->host,
		    d->port);
		return -EPERM;
	}
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0) {
		set_err(o, "TLS: %s:%s showed an unreadable certificate",
		    d->host, d->port);
		goto out;
	}
	if (strcmp(d->auth, "fingerprint") == 0) {
		if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA1, fp,
		    &fp_len) < 0 || fp_len != sizeof(fp))
			goto out;
		(void)memcpy(fps, "SHA1", 4);
		for (i = 0; i < 20; i++)
			(void)snprintf(fps + 4 + 3 * i, 4, ":%02X", fp[i]);
		if (d->peer == NULL || strcasecmp(d->peer, fps) != 0) {
			set_err(o, "TLS authentication of %s:%s: its "
			    "certificate's fingerprint is %s, not %s", d->host,
			    d->port, fps, d->peer != NULL ? d->peer : "given");
			goto out;
		}
		r = 0;
		goto out;
	}
	if (gnutls_certificate_verify_peers2(o->tls, &status) < 0 ||
	    status != 0) {
		txt.data = NULL;
		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &txt, 0) < 0)
			txt.data = NULL;
		set_err(o, "TLS authentication of %s:%s: %s", d->host, d->port,
		    txt.data != NULL ? (char *)txt.data :
		    "its certificate does not check");
		gnutls_free(txt.data);
		goto out;
	}
	if (strcmp(d->auth, "name") == 0 && (d->peer == NULL ||
	    !gnutls_x509_crt_check_hostname(crt, d->peer))) {
		set_err(o, "TLS authentication of %s:%s: its certificate does "
		    "not name '%s'", d->host, d->port, d->peer != NULL ?
		    d->peer : "");
		goto out;
	}
	r = 0;
out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (r < 0 && o->err[0] == '\0')
		set_err(o, "TLS authentication of %s:%s failed", d->host,
		    d->port);
	return r;
}

/*
 * Writes what the socket takes of wbuf, without blocking.  Returns the
 * bytes written (0 if it took none), or -errno.
 */
static int
stream_write(struct mml_fwd_out *o)
{
	size_t left, chunk, done = 0;
	ssize_t n;

	while (o->wbuf_off < o->wbuf.len) {
		left = o->wbuf.len - o->wbuf_off;
		if (o->tls != NULL) {
			/*
			 * A send GnuTLS could not finish is finished with
			 * (NULL, 0); it took its bytes already.
			 */
			chunk = o->tls_pending > 0 ? o->tls_pending :
			    left > 16384 ? 16384 : left;
			n = gnutls_record_send(o->tls, o->tls_pending > 0 ?
			    NULL : o->wbuf.p + o->wbuf_off, o->tls_pending > 0 ?
			    0 : chunk);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
				o->tls_pending = chunk;
				break;
			}
			if (n < 0) {
				set_err(o, "sending to %s:%s: %s", o->d->host,
				    o->d->port, gnutls_strerror((int)n));
				return -EPIPE;
			}
			n = (ssize_t)chunk;
			o->tls_pending = 0;
		} else {
			n = send(o->fd, o->wbuf.p + o->wbuf_off, left,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n < 0) {
				set_err(o, "sending to %s:%s: %s", o->d->host,
				    o->d->port, strerror(errno));
				return -errno;
			}
		}
		o->wbuf_off += (size_t)n;
		done += (size_t)n;
	}
	if (o->wbuf_off == o->wbuf.len)
		o->wbuf.len = o->wbuf_off = 0;
	return done > INT32_MAX ? INT32_MAX : (int)done;
}

/*
 * Reads what there is into rbuf, without blocking.  Returns the bytes
 * read (> 0), 0 at the end of the stream, -EAGAIN if there is nothing,
 * or -errno.
 */
static int
stream_read(struct mml_fwd_out *o)
{
	ssize_t n;

	if (mml_fwd_buf_reserve(&o->rbuf, RELP_READ_MIN) < 0) {
		set_err(o, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (;;) {
		if (o->tls != NULL) {
			n = gnutls_record_recv(o->tls, o->rbuf.p + o->rbuf.len,
			    o->rbuf.cap - o->rbuf.len);
			if (n == GNUTLS_E_AGAIN)
				return -EAGAIN;
			if (n == GNUTLS_E_INTERRUPTED)
				continue;
			if (n == GNUTLS_E_PREMATURE_TERMINATION)
				return 0;
			if (n < 0) {
				set_err(o, "reading from %s:%s: %s",
				    o->d->host, o->d->port,
				    gnutls_strerror((int)n));
				return -EPIPE;
			}
		} else {
			n = recv(o->fd, o->rbuf.p + o->rbuf.len,
			    o->rbuf.cap - o->rbuf.len, MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return -EAGAIN;
			if (n < 0) {
				set_err(o, "reading from %s:%s: %s",
				    o->d->host, o->d->port, strerror(errno));
				return -errno;
			}
		}
		o->rbuf.len += (size_t)n;
		return n > INT32_MAX ? INT32_MAX : (int)n;
	}
}

/*
 * Takes the complete frames in rbuf: each "rsp" to the oldest
 * unanswered frame confirms it (200) or refuses it (anything else),
 * the answer to "close" closes.  Returns 0, or -errno with the session
 * to be dropped.
 */
static int
relp_answers(struct mml_fwd_out *o)
{
	struct mml_fwd_relp_frame f;
	const uint8_t *text;
	size_t off = 0, text_len;
	int n, code, r = 0;

	while ((n = mml_fwd_relp_parse(o->rbuf.p + off, o->rbuf.len - off,
	    &f)) > 0) {
		off += (size_t)n;
		if (strcmp(f.cmd, "serverclose") == 0) {
			set_err(o, "%s:%s ended the session (serverclose)",
			    o->d->host, o->d->port);
			o->fail = MML_FWD_FAIL_DROPPED;
			r = -EPIPE;
			goto out;
		}
		if (strcmp(f.cmd, "rsp") != 0) {
			set_err(o, "%s:%s sent an unexpected '%s' frame",
			    o->d->host, o->d->port, f.cmd);
			o->fail = MML_FWD_FAIL_OTHER;
			r = -EPROTO;
			goto out;
		}
		if (o->close_txnr != 0 && f.txnr == o->close_txnr &&
		    o->confirmed == o->sent) {
			o->closed = 1;
			continue;
		}
		if (o->confirmed == o->sent || f.txnr != o->ack_txnr) {
			set_err(o, "%s:%s answered frame %" PRIu32 ", not %"
			    PRIu32 " as expected", o->d->host, o->d->port,
			    f.txnr, o->ack_txnr);
			o->fail = MML_FWD_FAIL_OTHER;
			r = -EPROTO;
			goto out;
		}
		code = mml_fwd_relp_rsp_code(&f, &text, &text_len);
		if (code != 200) {
			if (code < 0)
				set_err(o, "%s:%s sent an unreadable answer",
				    o->d->host, o->d->port);
			else
				set_err(o, "%s:%s refused a message: %d %.*s",
				    o->d->host, o->d->port, code,
				    (int)(text_len > 80 ? 80 : text_len),
				    (const char *)text);
			o->fail = code < 0 ? MML_FWD_FAIL_OTHER :
			    MML_FWD_FAIL_REFUSED;
			r = -EPROTO;
			goto out;
		}
		o->confirmed++;
		o->ack_txnr = mml_fwd_relp_txnr_next(o->ack_txnr);
	}
	if (n < 0) {
		set_err(o, "%s:%s sent bytes that are not RELP", o->d->host,
		    o->d->port);
		o->fail = MML_FWD_FAIL_OTHER;
		r = -EPROTO;
	}
out:
	if (off > 0) {
		memmove(o->rbuf.p, o->rbuf.p + off, o->rbuf.len - off);
		o->rbuf.len -= off;
	}
	return r;
}

/*
 * Reads and takes every answer there is, without blocking.  Returns
 * the bytes read, or -errno (the end of the stream is a failure unless
 * "close" was answered).
 */
static int
relp_read(struct mml_fwd_out *o)
{
	int n, got = 0, r;

	for (;;) {
		n = stream_read(o);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			o->fail = MML_FWD_FAIL_DROPPED;
			return n;
		}
		if (n == 0) {
			if ((r = relp_answers(o)) < 0)
				return r;
			if (o->closed)
				break;
			set_err(o, "%s:%s closed the connection", o->d->host,
			    o->d->port);
			o->fail = MML_FWD_FAIL_DROPPED;
			return -EPIPE;
		}
		got += n;
		if ((r = relp_answers(o)) < 0)
			return r;
		/* A read that did not fill the room took all there was. */
		if ((size_t)n < RELP_READ_MIN && o->tls == NULL)
			break;
	}
	return got;
}

/*
 * How long relp_wait() sleeps, with more than max_unacked frames
 * unanswered and the last answer idle_ms ago, before it takes the
 * answers that came; 0 to wake at the next segment of answers.
 *
 * Woken by every segment, each of a few answers, both sides spent most
 * of their time switching to the other and in TCP (measured: 11
 * answers a wake-up; the forwarder's CPU 5.5 us an entry, rsyslogd's
 * 12.3).  Asleep, we acknowledge nothing, and librelp's server (Nagle
 * on, TCP_CORK around each answer) holds its answers after the first
 * but goes on with the frames it has: at our next ACK they all come in
 * one segment (0.9 and 10.5 us).  So with many answers to come, sleep
 * until about as many as are awaited should be there, at the rate
 * they came lately: the server then still has the frames sent since,
 * at least as many again when max_unacked is half the window.  The
 * rate kept is the highest of late (it decays by an eighth each
 * time): a collector that was starved of CPU for a moment and is fast
 * again must not be left without frames.  A wake-up for each segment
 * is kept for the last few answers, where the wait is the latency, and
 * once none came for RELP_PACE_IDLE_MS (a collector that stopped
 * answering is not polled every few ms).
 */
static uint64_t
relp_pace_ms(const struct mml_fwd_out *o, uint64_t max_unacked,
    uint64_t idle_ms)
{
	uint64_t need, ms;

	if (idle_ms >= RELP_PACE_IDLE_MS ||
	    o->sent - o->confirmed < max_unacked + RELP_PACE_MIN)
		return 0;
	if (o->ans_rate == 0)
		return RELP_PACE_MS;
	need = o->sent - o->confirmed - max_unacked;
	ms = need * 1000 / o->ans_rate;
	return ms < RELP_PACE_MS ? RELP_PACE_MS : ms > RELP_PACE_MAX_MS ?
	    RELP_PACE_MAX_MS : ms;
}

/*
 * Runs the session until at most max_unacked frames are unanswered and
 * everything is written (or, with closing, "close" is answered): waits
 * for the collector as long as it keeps answering, timeout_s at most
 * between two answers.  Returns 0, or -errno with o->fail set.
 */
static int
relp_wait(struct mml_fwd_out *o, uint64_t max_unacked, int closing)
{
	uint64_t limit = (uint64_t)o->d->timeout_s * 1000;
	uint64_t end = now_ms() + (closing ? RELP_CLOSE_MS : limit), now;
	uint64_t ms = 0, wait_ms, t, t0 = 0, conf0 = 0, rate;
	struct pollfd pfd;
	int w, n;

	for (;;) {
		if ((w = stream_write(o)) < 0) {
			o->fail = MML_FWD_FAIL_DROPPED;
			return w;
		}
		if ((n = relp_read(o)) < 0)
			return n;
		t = mml_now_usec(CLOCK_MONOTONIC);
		if (ms > 0 && o->confirmed > conf0 && t > t0) {
			/* The answers of a paced sleep: their rate. */
			rate = (o->confirmed - conf0) * 1000000 / (t - t0);
			o->ans_rate -= o->ans_rate / 8;
			if (rate > o->ans_rate)
				o->ans_rate = rate;
		}
		if (o->wbuf.len == 0 && (closing ? o->closed :
		    o->sent - o->confirmed <= max_unacked))
			return 0;
		now = t / 1000;
		if (n > 0 || w > 0)
			end = now + (closing ? RELP_CLOSE_MS : limit);
		if (o->stop != NULL && *o->stop) {
			set_err(o, "stopped waiting for %s:%s to answer",
			    o->d->host, o->d->port);
			o->fail = MML_FWD_FAIL_OTHER;
			return -EINTR;
		}
		if (now >= end) {
			set_err(o, "%s:%s did not answer for %u s", o->d->host,
			    o->d->port, closing ? RELP_CLOSE_MS / 1000 :
			    o->d->timeout_s);
			o->fail = MML_FWD_FAIL_OTHER;
			return -ETIMEDOUT;
		}
		ms = 0;
		if (o->tls != NULL && gnutls_record_check_pending(o->tls) > 0)
			continue;
		/*
		 * Waiting, we send nothing that would carry our ACKs, and
		 * the server holds its next answers until the last segment
		 * is acknowledged: a delayed ACK (40 ms) would stall them.
		 * So acknowledge before sleeping (the setting does not
		 * last).
		 */
		(void)setsockopt(o->fd, IPPROTO_TCP, TCP_QUICKACK, &(int){ 1 },
		    sizeof(int));
		pfd.fd = o->fd;
		pfd.events = o->wbuf.len > 0 ? POLLOUT : 0;
		if (!closing)
			ms = relp_pace_ms(o, max_unacked, limit - (end - now));
		if (ms > 0) {
			t0 = t;
			conf0 = o->confirmed;
		} else
			pfd.events |= POLLIN;
		/* A second signal must not wait a whole timeout. */
		wait_ms = ms > 0 ? ms : 1000;
		if (wait_ms > end - now)
			wait_ms = end - now;
		(void)poll(&pfd, 1, wait_hook(o, (int)wait_ms));
	}
}

/* Appends a frame to wbuf, numbered after the last one. */
static int
relp_frame(struct mml_fwd_out *o, const char *cmd, const uint8_t *data,
    size_t len)
{
	struct mml_fwd_buf *b = &o->wbuf;

	if (len > SIZE_MAX - MML_FWD_RELP_HDR_MAX - 1 ||
	    mml_fwd_buf_reserve(b, MML_FWD_RELP_HDR_MAX + len + 1) < 0) {
		set_err(o, "%s", strerror(ENOMEM));
		o->fail = MML_FWD_FAIL_OTHER;
		return -ENOMEM;
	}
	o->txnr = mml_fwd_relp_txnr_next(o->txnr);
	b->len += mml_fwd_relp_hdr((char *)b->p + b->len, o->txnr, cmd, len);
	if (len > 0)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len++] = '\n';
	return 0;
}

/*
 * A RELP session: TCP, TLS if asked, then "open" with our offers, and
 * the answer must be 200 and offer "syslog".
 */
static int
relp_connect(struct mml_fwd_out *o)
{
	static const char offers[] = "relp_version=0\n"
	    "relp_software=mmlog-forward," MML_FWD_VERSION "\n"
	    "commands=syslog";
	struct mml_fwd_relp_frame f;
	const uint8_t *text;
	size_t text_len;
	uint64_t end;
	struct pollfd pfd;
	int r, n, code;

	if ((r = tcp_connect(o)) < 0)
		return r;
	if (o->d->proto == MML_FWD_RELP_TLS && (r = tls_start(o)) < 0)
		return r;
	o->txnr = 0;
	o->close_txnr = 0;
	o->closed = 0;
	o->ans_rate = 0;
	o->rbuf.len = 0;
	if ((r = relp_frame(o, "open", (const uint8_t *)offers,
	    sizeof(offers) - 1)) < 0)
		return r;
	end = now_ms() + (uint64_t)o->d->conn_timeout_s * 1000;
	for (;;) {
		if ((r = stream_write(o)) < 0)
			return r;
		n = stream_read(o);
		if (n == 0 || (n < 0 && n != -EAGAIN)) {
			if (n == 0)
				set_err(o, "%s:%s closed the connection at "
				    "once", o->d->host, o->d->port);
			return -ECONNREFUSED;
		}
		r = mml_fwd_relp_parse(o->rbuf.p, o->rbuf.len, &f);
		if (r < 0 || (r > 0 && (strcmp(f.cmd, "rsp") != 0 ||
		    f.txnr != 1))) {
			set_err(o, "%s:%s does not speak RELP", o->d->host,
			    o->d->port);
			return -EPROTO;
		}
		if (r > 0)
			break;
		if (now_ms() >= end || (o->stop != NULL && *o->stop)) {
			set_err(o, "%s:%s did not answer 'open' in %u s",
			    o->d->host, o->d->port, o->d->conn_timeout_s);
			return -ETIMEDOUT;
		}
		if (o->tls != NULL && gnutls_record_check_pending(o->tls) > 0)
			continue;
		pfd.fd = o->fd;
		pfd.events = POLLIN | (o->wbuf.len > 0 ? POLLOUT : 0);
		(void)poll(&pfd, 1, 100);
	}
	code = mml_fwd_relp_rsp_code(&f, &text, &text_len);
	if (code != 200 || !mml_fwd_relp_offers_syslog(&f)) {
		set_err(o, "%s:%s refused the RELP session: %d %.*s",
		    o->d->host, o->d->port, code, (int)(text_len > 80 ? 80 :
		    text_len), code < 0 ? "" : (const char *)text);
		if (code == 200)
			set_err(o, "%s:%s does not take syslog messages over "
			    "RELP", o->d->host, o->d->port);
		return -EPROTO;
	}
	memmove(o->rbuf.p, o->rbuf.p + r, o->rbuf.len - (size_t)r);
	o->rbuf.len -= (size_t)r;
	o->ack_txnr = mml_fwd_relp_txnr_next(o->txnr);
	return 0;
}

/*
 * Ends a RELP session politely: every frame answered, then "close",
 * whose answer the server sends after all others.
 */
static int
relp_close(struct mml_fwd_out *o)
{
	int r;

	if ((r = relp_wait(o, 0, 0)) < 0)
		return r;
	if ((r = relp_frame(o, "close", NULL, 0)) < 0)
		return r;
	o->close_txnr = o->txnr;
	return relp_wait(o, 0, 1);
}

int
mml_fwd_out_connect(struct mml_fwd_out *o)
{
	int r;

	mml_fwd_out_abort(o);
	o->err[0] = '\0';
	o->fail = MML_FWD_FAIL_NONE;
	switch (o->d->proto) {
	case MML_FWD_TCP:
		r = tcp_connect(o);
		break;
	case MML_FWD_HTTP:
	case MML_FWD_HTTPS:
		r = http_setup(o);
		break;
	default:
		r = relp_connect(o);
		break;
	}
	if (r < 0) {
		o->fail = MML_FWD_FAIL_CONNECT;
		mml_fwd_out_abort(o);
		return r;
	}
	o->connected = 1;
	o->reached = 0;
	o->sent = o->confirmed = 0;
	o->wbuf.len = o->wbuf_off = 0;
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

/* Keeps the start of the answer, journal-remote's reason for a no. */
static size_t
http_answer_cb(char *p, size_t size, size_t n, void *arg)
{
	struct mml_fwd_out *o = arg;
	size_t len = size * n, room = sizeof(o->answer) - 1 - o->answer_len;

	if (room > len)
		room = len;
	memcpy(o->answer + o->answer_len, p, room);
	o->answer_len += room;
	o->answer[o->answer_len] = '\0';
	return len;
}

/*
 * libcurl, once per process: the handles and the request's constant
 * parts.  No network yet: the connection is made by the first POST
 * and kept for the next ones.
 */
static int
http_setup(struct mml_fwd_out *o)
{
	const struct mml_fwd_dest *d = o->d;
	static int curl_ready;
	size_t n;
	int v6;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			set_err(o, "cannot set up libcurl");
			return -ENOMEM;
		}
		curl_ready = 1;
	}
	if (o->multi == NULL && (o->multi = curl_multi_init()) == NULL) {
		set_err(o, "cannot set up libcurl");
		return -ENOMEM;
	}
	if (o->easy == NULL && (o->easy = curl_easy_init()) == NULL) {
		set_err(o, "cannot set up libcurl");
		return -ENOMEM;
	}
	if (o->headers == NULL) {
		/*
		 * No "Expect: 100-continue": journal-remote reads the body
		 * as it comes, and the round trip would only slow us.
		 */
		o->headers = curl_slist_append(NULL,
		    "Content-Type: application/vnd.fdo.journal");
		if (o->headers != NULL &&
		    curl_slist_append(o->headers, "Expect:") == NULL) {
			curl_slist_free_all(o->headers);
			o->headers = NULL;
		}
		if (o->headers == NULL) {
			set_err(o, "%s", strerror(ENOMEM));
			return -ENOMEM;
		}
	}
	if (o->url == NULL) {
		v6 = strchr(d->host, ':') != NULL;
		n = strlen(d->host) + strlen(d->port) + strlen(d->path) + 16;
		o->url = malloc(n);
		if (o->url == NULL) {
			set_err(o, "%s", strerror(ENOMEM));
			return -ENOMEM;
		}
		(void)snprintf(o->url, n, "%s://%s%s%s:%s%s",
		    d->proto == MML_FWD_HTTPS ? "https" : "http", v6 ? "[" : "",
		    d->host, v6 ? "]" : "", d->port, d->path);
	}
	return 0;
}

/* Posts the filled batch: it becomes the POST out. */
static int
http_start(struct mml_fwd_out *o)
{
	const struct mml_fwd_dest *d = o->d;
	struct mml_fwd_buf t;
	CURLMcode mr;
	CURL *e = o->easy;

	t = o->flight;
	o->flight = o->wbuf;
	o->wbuf = t;
	o->wbuf.len = 0;
	o->flight_msgs = o->wbuf_msgs;
	o->wbuf_msgs = 0;
	/*
	 * The options are set anew for each POST: a reset easy handle
	 * keeps its connection, and a failed POST resets it.
	 */
	o->curl_err[0] = '\0';
	o->answer[0] = '\0';
	o->answer_len = 0;
	(void)curl_easy_setopt(e, CURLOPT_URL, o->url);
	(void)curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_answer_cb);
	(void)curl_easy_setopt(e, CURLOPT_WRITEDATA, o);
	(void)curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
	    d->proto == MML_FWD_HTTPS ? "https" : "http");
	(void)curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(e, CURLOPT_ERRORBUFFER, o->curl_err);
	(void)curl_easy_setopt(e, CURLOPT_HTTPHEADER, o->headers);
	(void)curl_easy_setopt(e, CURLOPT_POST, 1L);
	(void)curl_easy_setopt(e, CURLOPT_POSTFIELDS, o->flight.p);
	(void)curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)o->flight.len);
	(void)curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
	    (long)d->conn_timeout_s);
	/* The collector must answer: no progress for timeout_s is an end. */
	(void)curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	(void)curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)d->timeout_s);
	(void)curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	(void)curl_easy_setopt(e, CURLOPT_USERAGENT, "mmlog-forward");
	(void)curl_easy_setopt(e, CURLOPT_VERBOSE, d->debug ? 1L : 0L);
	if (d->proto == MML_FWD_HTTPS) {
		if (d->ca != NULL)
			(void)curl_easy_setopt(e, CURLOPT_CAINFO, d->ca);
		if (d->cert != NULL)
			(void)curl_easy_setopt(e, CURLOPT_SSLCERT, d->cert);
		if (d->key != NULL)
			(void)curl_easy_setopt(e, CURLOPT_SSLKEY, d->key);
	}
	mr = curl_multi_add_handle(o->multi, e);
	if (mr != CURLM_OK) {
		set_err(o, "libcurl: %s", curl_multi_strerror(mr));
		o->fail = MML_FWD_FAIL_OTHER;
		o->flight_msgs = 0;
		return -EIO;
	}
	return http_progress(o, 0);
}

/*
 * The POST out ended with rc: confirms its entries on a 2xx answer, or
 * says why not.  Returns 0 or -errno.
 */
static int
http_done(struct mml_fwd_out *o, CURLcode rc)
{
	long code = 0, conns = 0;
	size_t i;

	(void)curl_easy_getinfo(o->easy, CURLINFO_RESPONSE_CODE, &code);
	(void)curl_easy_getinfo(o->easy, CURLINFO_NUM_CONNECTS, &conns);
	(void)curl_multi_remove_handle(o->multi, o->easy);
	if (rc == CURLE_OK && code >= 200 && code < 300) {
		o->confirmed += o->flight_msgs;
		o->flight_msgs = 0;
		o->flight.len = 0;
		o->reached = 1;
		curl_easy_reset(o->easy);
		return 0;
	}
	o->flight_msgs = 0;
	if (rc == CURLE_OK) {
		/*
		 * An answer, but not a yes: the content's fault, unless the
		 * collector says it is busy.
		 */
		for (i = 0; i < o->answer_len; i++)
			if ((unsigned char)o->answer[i] < ' ' ||
			    (unsigned char)o->answer[i] >= 127)
				o->answer[i] = ' ';
		set_err(o, "%s answered HTTP %ld \"%s\"", o->url, code,
		    o->answer);
		o->fail = code == 408 || code == 429 || code == 503 ?
		    MML_FWD_FAIL_OTHER : MML_FWD_FAIL_REFUSED;
		return -EPROTO;
	}
	set_err(o, "POST to %s: %s", o->url, o->curl_err[0] != '\0' ?
	    o->curl_err : curl_easy_strerror(rc));
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		o->fail = MML_FWD_FAIL_CONNECT;
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		/* Reached, then dropped: what we sent may be why. */
		o->fail = o->reached || conns > 0 ? MML_FWD_FAIL_DROPPED :
		    MML_FWD_FAIL_CONNECT;
		break;
	default:
		o->fail = MML_FWD_FAIL_OTHER;
		break;
	}
	return -EIO;
}

/*
 * Moves the POST out along; with wait, until it is answered.  Returns
 * 0 (still out, or confirmed) or -errno (it failed; the session is
 * closed).
 */
static int
http_progress(struct mml_fwd_out *o, int wait)
{
	struct CURLMsg *m;
	CURLMcode mr;
	int running, left, r;

	while (o->flight_msgs > 0) {
		mr = curl_multi_perform(o->multi, &running);
		if (mr != CURLM_OK) {
			set_err(o, "libcurl: %s", curl_multi_strerror(mr));
			o->fail = MML_FWD_FAIL_OTHER;
			mml_fwd_out_abort(o);
			return -EIO;
		}
		while ((m = curl_multi_info_read(o->multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			r = http_done(o, m->data.result);
			if (r < 0) {
				mml_fwd_out_abort(o);
				return r;
			}
		}
		if (o->flight_msgs == 0 || !wait)
			break;
		if (o->stop != NULL && *o->stop) {
			set_err(o, "POST to %s: stopped before an answer",
			    o->url);
			o->fail = MML_FWD_FAIL_OTHER;
			mml_fwd_out_abort(o);
			return -EINTR;
		}
		/* curl times the transfer out (LOW_SPEED_TIME). */
		(void)curl_multi_poll(o->multi, NULL, 0, wait_hook(o, 1000),
		    NULL);
	}
	return 0;
}

/* Adds an entry to the batch; a full batch goes once the last is in. */
static int
http_send(struct mml_fwd_out *o, const uint8_t *msg, size_t len)
{
	uint64_t batch = (uint64_t)(o->d->window / 2);
	int r;

	if (o->wbuf.len > 0 && o->wbuf.len + len > MML_FWD_HTTP_BODY_MAX) {
		/* Full by size: it goes first. */
		if ((r = http_progress(o, 1)) < 0 || (r = http_start(o)) < 0)
			return r;
	}
	if (mml_fwd_buf_reserve(&o->wbuf, len) < 0) {
		set_err(o, "%s", strerror(ENOMEM));
		o->fail = MML_FWD_FAIL_OTHER;
		mml_fwd_out_abort(o);
		return -ENOMEM;
	}
	memcpy(o->wbuf.p + o->wbuf.len, msg, len);
	o->wbuf.len += len;
	o->wbuf_msgs++;
	o->sent++;
	if (o->wbuf_msgs >= batch) {
		/* The one out must be answered before the next goes. */
		if ((r = http_progress(o, 1)) < 0)
			return r;
		return http_start(o);
	}
	if (o->flight_msgs > 0 && o->wbuf_msgs % HTTP_PUSH_EVERY == 0)
		return http_progress(o, 0);
	return 0;
}

/* Posts what is waiting and waits for every answer. */
static int
http_flush(struct mml_fwd_out *o)
{
	int r;

	if ((r = http_progress(o, 1)) < 0)
		return r;
	if (o->wbuf_msgs > 0) {
		if ((r = http_start(o)) < 0 || (r = http_progress(o, 1)) < 0)
			return r;
	}
	return 0;
}

int
mml_fwd_out_send(struct mml_fwd_out *o, const uint8_t *msg, size_t len)
{
	char pre[24];
	uint64_t w = (uint64_t)o->d->window;
	size_t n;
	int r;

	if (!o->connected) {
		set_err(o, "not connected");
		return -ENOTCONN;
	}
	switch (o->d->proto) {
	case MML_FWD_HTTP:
	case MML_FWD_HTTPS:
		return http_send(o, msg, len);
	case MML_FWD_TCP:
		/* RFC 6587 3.4.1: MSG-LEN SP SYSLOG-MSG. */
		n = mml_put_dec(pre, len);
		pre[n++] = ' ';
		if (mml_fwd_buf_reserve(&o->wbuf, n + len) < 0) {
			set_err(o, "%s", strerror(ENOMEM));
			o->fail = MML_FWD_FAIL_OTHER;
			mml_fwd_out_abort(o);
			return -ENOMEM;
		}
		memcpy(o->wbuf.p + o->wbuf.len, pre, n);
		memcpy(o->wbuf.p + o->wbuf.len + n, msg, len);
		o->wbuf.len += n + len;
		o->wbuf_msgs++;
		o->sent++;
		if (o->wbuf.len >= TCP_BUF_FLUSH) {
			r = tcp_write_all(o);
			if (r < 0) {
				o->fail = MML_FWD_FAIL_DROPPED;
				mml_fwd_out_abort(o);
				return r;
			}
		}
		return 0;
	default:
		break;
	}
	if ((r = relp_frame(o, "syslog", msg, len)) < 0) {
		mml_fwd_out_abort(o);
		return r;
	}
	o->sent++;
	/*
	 * Write out in chunks, and take the answers that came meanwhile;
	 * with the window full, wait until half of it is answered, so
	 * that one wake-up takes many answers.
	 */
	r = 0;
	if (o->sent - o->confirmed >= w)
		r = relp_wait(o, w / 2, 0);
	else if (o->wbuf.len - o->wbuf_off >= RELP_WRITE_CHUNK) {
		r = stream_write(o);
		if (r >= 0)
			r = relp_read(o);
		else
			o->fail = MML_FWD_FAIL_DROPPED;
	}
	if (r < 0) {
		mml_fwd_out_abort(o);
		return r;
	}
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
	switch (o->d->proto) {
	case MML_FWD_HTTP:
	case MML_FWD_HTTPS:
		return http_flush(o);
	case MML_FWD_TCP:
		/* A collector that closed its end shows as EOF here. */
		n = recv(o->fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			set_err(o, "%s:%s closed the connection", o->d->host,
			    o->d->port);
			o->fail = MML_FWD_FAIL_DROPPED;
			mml_fwd_out_abort(o);
			return -EPIPE;
		}
		r = tcp_write_all(o);
		if (r < 0) {
			o->fail = MML_FWD_FAIL_DROPPED;
			mml_fwd_out_abort(o);
		}
		return r;
	default:
		break;
	}
	if ((r = relp_wait(o, 0, 0)) < 0)
		mml_fwd_out_abort(o);
	return r;
}

int
mml_fwd_out_poll(struct mml_fwd_out *o)
{
	int r;

	if (!o->connected)
		return 0;
	switch (o->d->proto) {
	case MML_FWD_HTTP:
	case MML_FWD_HTTPS:
		if (o->flight_msgs == 0 && o->wbuf_msgs > 0)
			return http_start(o);
		return http_progress(o, 0);
	case MML_FWD_TCP:
		if ((r = tcp_write_all(o)) < 0) {
			o->fail = MML_FWD_FAIL_DROPPED;
			mml_fwd_out_abort(o);
		}
		return r;
	default:
		break;
	}
	r = stream_write(o);
	if (r < 0)
		o->fail = MML_FWD_FAIL_DROPPED;
	else
		r = relp_read(o);
	if (r < 0) {
		mml_fwd_out_abort(o);
		return r;
	}
	return 0;
}

int
mml_fwd_out_close(struct mml_fwd_out *o)
{
	int r;

	if (!o->connected)
		return o->sent == o->confirmed ? 0 : -ENOTCONN;
	if (o->d->proto != MML_FWD_RELP && o->d->proto != MML_FWD_RELP_TLS)
		return mml_fwd_out_flush(o);
	r = relp_close(o);
	/* Everything was answered before "close": only its answer failed. */
	if (r < 0 && o->confirmed == o->sent)
		r = 0;
	mml_fwd_out_abort(o);
	return r;
}

uint64_t
mml_fwd_out_confirmed(const struct mml_fwd_out *o)
{
	return o->confirmed;
}

enum mml_fwd_fail
mml_fwd_out_failure(const struct mml_fwd_out *o)
{
	return o->fail;
}

void
mml_fwd_out_abort(struct mml_fwd_out *o)
{
	if (o->tls != NULL) {
		/* No close_notify: the session ends without a goodbye. */
		gnutls_deinit(o->tls);
		o->tls = NULL;
	}
	o->tls_pending = 0;
	if (o->fd >= 0) {
		(void)close(o->fd);
		o->fd = -1;
	}
	if (o->flight_msgs > 0) {
		/* The POST out is dropped with its connection. */
		(void)curl_multi_remove_handle(o->multi, o->easy);
		curl_easy_reset(o->easy);
		o->flight_msgs = 0;
	}
	o->flight.len = 0;
	o->wbuf.len = o->wbuf_off = 0;
	o->wbuf_msgs = 0;
	o->rbuf.len = 0;
	o->connected = 0;
}

const char *
mml_fwd_out_error(const struct mml_fwd_out *o)
{
	return o->err;
}
