/*
 * journal_in.c: journald's native protocol (journal_in.h).
 *
 * Datagrams here can be large (libsystemd sends an entry of 300 KB as
 * one datagram), so each is read whole, one at a time, into a buffer
 * sized from the queue (SIOCINQ gives the next datagram's length) and
 * given back once a large one is done; larger payloads come as a sealed
 * memfd, which is mapped, never copied.  The parse is pure (journal.c);
 * the sender is the kernel's SCM_CREDENTIALS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "intake.h"
#include "journal.h"
#include "journal_in.h"
#include "log.h"
#include "macro.h"
#include "server.h"
#include "wire.h"

/* Datagrams per wakeup, and at shutdown. */
#define PER_WAKEUP	64
#define DRAIN_MAX	65536
/* The buffer kept between datagrams; a larger one is given back. */
#define BUF_KEEP	(64 * 1024)
/* Descriptors read from one datagram; more cut its control data. */
#define FDS_MAX		4

struct mml_journal_in {
	struct ev_loop		*loop;
	struct mml_intake	*in;
	int			 fd;
	ev_io			 io;
	uint8_t			*buf;
	size_t			 cap;
	uint8_t			 fields[MML_FRAME_MAX + 1024];
	/*
	 * Last: clang takes CMSG_SPACE() of a struct for a size it folds
	 * as an extension, which it allows only at a struct's end.
	 */
	union {
		struct cmsghdr	 align;
		uint8_t		 buf[CMSG_SPACE(sizeof(struct ucred)) +
				    CMSG_SPACE(sizeof(int) * FDS_MAX)];
	} cbuf;
};

/* What came with a datagram besides its bytes. */
struct ancillary {
	struct ucred	 cred;
	int		 fds[FDS_MAX];
	int		 n_fds;		/* received, all closed by the caller */
	int		 cut;		/* more descriptors than we take */
};

static void	journal_read_cb(struct ev_loop *, ev_io *, int);
static int	journal_read(struct mml_journal_in *, int);
static int	buf_reserve(struct mml_journal_in *, size_t);
static void	ancillary_of(struct msghdr *, struct ancillary *);
static void	datagram(struct mml_journal_in *, size_t, struct ancillary *);
static void	payload(struct mml_journal_in *, const struct mml_sender *,
		    const uint8_t *, size_t);
static void	refuse(struct mml_journal_in *, pid_t, const char *);

struct mml_journal_in *
mml_journal_in_new(struct ev_loop *loop, struct mml_intake *in, int fd)
{
	struct mml_journal_in *j;

	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return NULL;
	j->loop = loop;
	j->in = in;
	j->fd = fd;
	if (buf_reserve(j, BUF_KEEP) < 0) {
		free(j);
		return NULL;
	}
	mml_intake_dgram_setup(fd, MML_TRANSPORT_JOURNAL);
	ev_io_init(&j->io, journal_read_cb, fd, EV_READ);
	ev_io_start(loop, &j->io);
	return j;
}

struct mml_journal_in *
mml_journal_in_free(struct mml_journal_in *j)
{
	if (j == NULL)
		return NULL;
	ev_io_stop(j->loop, &j->io);
	free(j->buf);
	free(j);
	return NULL;
}

void
mml_journal_in_drain(struct mml_journal_in *j)
{
	ev_io_stop(j->loop, &j->io);
	(void)journal_read(j, DRAIN_MAX);
}

static void
journal_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mml_journal_in *j = container_of(w, struct mml_journal_in, io);

	(void)loop;
	(void)revents;
	(void)journal_read(j, PER_WAKEUP);
}

/* Makes the buffer hold at least len bytes.  Returns 0 or -ENOMEM. */
static int
buf_reserve(struct mml_journal_in *j, size_t len)
{
	uint8_t *p;

	if (len <= j->cap)
		return 0;
	p = realloc(j->buf, len);
	if (p == NULL)
		return -ENOMEM;
	j->buf = p;
	j->cap = len;
	return 0;
}

/*
 * Up to max datagrams.  Returns 1 if the socket may hold more, 0 once
 * it is empty.
 */
static int
journal_read(struct mml_journal_in *j, int max)
{
	struct mml_intake_counts *c = mml_intake_counts(j->in,
	    MML_TRANSPORT_JOURNAL);
	struct ancillary anc;
	struct msghdr mh;
	struct iovec iov;
	ssize_t n;
	int next, i;

	for (i = 0; i < max; i++) {
		/* The next datagram's size: read it whole, within reason. */
		if (ioctl(j->fd, SIOCINQ, &next) < 0 || next < 0)
			next = 0;
		if ((size_t)next <= MML_JOURNAL_DGRAM_MAX)
			(void)buf_reserve(j, (size_t)next);
		iov.iov_base = j->buf;
		iov.iov_len = j->cap;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = j->cbuf.buf;
		mh.msg_controllen = sizeof(j->cbuf.buf);
		n = recvmsg(j->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC |
		    MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			c->errors++;
			if (mml_intake_warn_ok(j->in))
				mml_log(LOG_WARNING, "journal socket: recv: %s; "
				    "trying again at the next wakeup",
				    strerror(errno));
			return 0;
		}
		mml_intake_clock(j->in);
		ancillary_of(&mh, &anc);
		if ((size_t)n > j->cap)
			refuse(j, anc.cred.pid, "a datagram larger than 8 MiB");
		else
			datagram(j, (size_t)n, &anc);
		while (anc.n_fds > 0)
			(void)close(anc.fds[--anc.n_fds]);
		/* Memory goes back once a large datagram is stored. */
		if (j->cap > BUF_KEEP) {
			free(j->buf);
			j->buf = NULL;
			j->cap = 0;
			if (buf_reserve(j, BUF_KEEP) < 0)
				return 0;
		}
	}
	return 1;
}

static void
ancillary_of(struct msghdr *mh, struct ancillary *ret)
{
	struct cmsghdr *cm;
	size_t i, n;
	int *fds;

	memset(ret, 0, sizeof(*ret));
	ret->cred.uid = (uid_t)-1;
	ret->cred.gid = (gid_t)-1;
	ret->cut = (mh->msg_flags & MSG_CTRUNC) != 0;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_CREDENTIALS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(ret->cred))) {
			memcpy(&ret->cred, CMSG_DATA(cm), sizeof(ret->cred));
			continue;
		}
		if (cm->cmsg_type != SCM_RIGHTS)
			continue;
		fds = (int *)(void *)CMSG_DATA(cm);
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			if (ret->n_fds < FDS_MAX)
				ret->fds[ret->n_fds++] = fds[i];
			else {
				(void)close(fds[i]);
				ret->cut = 1;
			}
		}
	}
}

/* Counts and reports a datagram refused whole. */
static void
refuse(struct mml_journal_in *j, pid_t pid, const char *what)
{
	mml_intake_counts(j->in, MML_TRANSPORT_JOURNAL)->errors++;
	if (mml_intake_warn_ok(j->in))
		mml_log(LOG_WARNING, "journal socket: pid %d sent %s, dropping "
		    "it", (int)pid, what);
}

/*
 * One datagram of len bytes in j->buf: a payload, or an empty datagram
 * with one memfd (journald's two forms, proto/JOURNAL.md).
 */
static void
datagram(struct mml_journal_in *j, size_t len, struct ancillary *anc)
{
	const uint8_t *data;
	struct mml_sender who;
	char why[96];
	size_t dlen;
	int r;

	mml_intake_counts(j->in, MML_TRANSPORT_JOURNAL)->bytes += len;
	mml_intake_sender(j->in, MML_TRANSPORT_JOURNAL, anc->cred.pid,
	    anc->cred.uid, anc->cred.gid, &who);
	if (anc->n_fds == 0 && !anc->cut) {
		if (len > 0)
			payload(j, &who, j->buf, len);
		return;
	}
	if (len > 0 || anc->n_fds != 1 || anc->cut) {
		refuse(j, who.pid, "descriptors with a payload, or more than "
		    "one");
		return;
	}
	r = mml_journal_fd_check(anc->fds[0], MML_JOURNAL_MEMFD_MAX, &data,
	    &dlen);
	if (r < 0) {
		(void)snprintf(why, sizeof(why), "a memfd it cannot use (%s)",
		    r == -EBADFD ? "not a regular file" : r == -EPERM ?
		    "not sealed" : r == -ENODATA ? "empty" : r == -EMSGSIZE ?
		    "larger than 64 MiB" : strerror(-r));
		refuse(j, who.pid, why);
		return;
	}
	mml_intake_counts(j->in, MML_TRANSPORT_JOURNAL)->bytes += dlen;
	payload(j, &who, data, dlen);
	mml_journal_fd_release(data, dlen);
}

/*
 * Every entry of one payload.  What journald would ignore of it (bytes
 * that do not parse as fields, or a payload without a valid field) is
 * not stored either, but counted as an error, once per payload.
 */
static void
payload(struct mml_journal_in *j, const struct mml_sender *who,
    const uint8_t *data, size_t len)
{
	const struct mml_limits *lim = mml_intake_limits(j->in);
	struct mml_journal_info info;
	struct mml_ent e;
	size_t off = 0, ignored = 0;
	unsigned n = 0;
	int r;

	for (;;) {
		mml_ent_init(&e, j->fields, sizeof(j->fields));
		r = mml_journal_parse(data, len, &off, lim->max_fields, &e,
		    &info);
		if (r == -EMSGSIZE) {
			refuse(j, who->pid, "a field longer than 768 MiB (as "
			    "journald, the entry and the rest of the payload)");
			break;
		}
		if (info.protected + info.invalid > 0)
			mml_log(LOG_DEBUG, "journal socket: pid %d: %u trusted "
			    "and %u invalid field names dropped",
			    (int)who->pid, info.protected, info.invalid);
		ignored += info.ignored;
		if (r <= 0)
			break;
		(void)mml_intake_submit(j->in, MML_TRANSPORT_JOURNAL, who, &e,
		    NULL, 0, NULL);
		n++;
	}
	if (r == 0 && (ignored > 0 || n == 0)) {
		mml_intake_counts(j->in, MML_TRANSPORT_JOURNAL)->errors++;
		if (mml_intake_warn_ok(j->in))
			mml_log(LOG_WARNING, "journal socket: pid %d sent a "
			    "payload of %zu bytes of which %zu do not parse as "
			    "entries (%u stored), ignoring those", (int)who->pid,
			    len, n == 0 ? len : ignored, n);
	}
}
