/*
 * syslog_in.c: syslog datagrams (syslog_in.h), what syslog(3), logger,
 * Python's SysLogHandler and journald's ForwardToSyslog= send.
 *
 * One datagram is one entry.  Its sender is the kernel's SCM_CREDENTIALS,
 * never the header's "[PID]" (kept as SYSLOG_PID beside it); its comm
 * comes from the submit path's small cache.  Datagrams are received in
 * batches and stamped once per batch; everything else, the parse
 * included, is pure (syslog_parse.c), and nothing a sender puts in a
 * datagram can make the loop wait or hold more than one batch of
 * buffers: a datagram larger than a buffer is stored cut, one with
 * descriptors attached is refused (journald ignores those too).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "intake.h"
#include "log.h"
#include "macro.h"
#include "syslog_in.h"
#include "syslog_parse.h"
#include "wire.h"

/* Datagrams per recvmmsg() call, and calls per wakeup. */
#define BATCH		16
#define ROUNDS		4
/* Datagrams stored at shutdown, at most. */
#define DRAIN_MAX	65536
/* A datagram's bytes kept: more is cut (MMLOG_ORIGINAL_SIZE). */
#define DGRAM_MAX	MML_FRAME_MAX
/* Descriptors a datagram may bring before its control data is cut. */
#define FDS_MAX		4

struct mml_syslog {
	struct ev_loop		*loop;
	struct mml_intake	*in;
	int			 fd;
	ev_io			 io;
	struct mmsghdr		 mm[BATCH];
	struct iovec		 iov[BATCH];
	union {
		struct cmsghdr	 align;
		uint8_t		 buf[CMSG_SPACE(sizeof(struct ucred)) +
				    CMSG_SPACE(sizeof(int) * FDS_MAX)];
	} cbuf[BATCH];
	/* Pages are touched only as datagrams need them. */
	uint8_t			 dgram[BATCH][DGRAM_MAX];
	uint8_t			 fields[MML_FRAME_MAX + 1024];
};

static void	syslog_read_cb(struct ev_loop *, ev_io *, int);
static int	syslog_read(struct mml_syslog *, int, int);
static void	datagram(struct mml_syslog *, const uint8_t *, size_t,
		    struct msghdr *);
static int	creds_of(struct msghdr *, struct ucred *);

struct mml_syslog *
mml_syslog_new(struct ev_loop *loop, struct mml_intake *in, int fd)
{
	struct mml_syslog *s;
	int i;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->loop = loop;
	s->in = in;
	s->fd = fd;
	for (i = 0; i < BATCH; i++) {
		s->iov[i].iov_base = s->dgram[i];
		s->iov[i].iov_len = DGRAM_MAX;
		s->mm[i].msg_hdr.msg_iov = &s->iov[i];
		s->mm[i].msg_hdr.msg_iovlen = 1;
		s->mm[i].msg_hdr.msg_control = s->cbuf[i].buf;
	}
	mml_intake_dgram_setup(fd, MML_TRANSPORT_SYSLOG);
	ev_io_init(&s->io, syslog_read_cb, fd, EV_READ);
	ev_io_start(loop, &s->io);
	return s;
}

struct mml_syslog *
mml_syslog_free(struct mml_syslog *s)
{
	if (s == NULL)
		return NULL;
	ev_io_stop(s->loop, &s->io);
	free(s);
	return NULL;
}

void
mml_syslog_drain(struct mml_syslog *s)
{
	ev_io_stop(s->loop, &s->io);
	(void)syslog_read(s, DRAIN_MAX / BATCH, 1);
}

static void
syslog_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mml_syslog *s = container_of(w, struct mml_syslog, io);

	(void)loop;
	(void)revents;
	(void)syslog_read(s, ROUNDS, 0);
}

/*
 * Up to rounds batches of datagrams, until the socket is empty or, unless
 * drain, seems to be.  Returns 1 if it may hold more, 0 once it is (or
 * seems) empty.
 */
static int
syslog_read(struct mml_syslog *s, int rounds, int drain)
{
	struct mml_intake_counts *c = mml_intake_counts(s->in,
	    MML_TRANSPORT_SYSLOG);
	int i, n, round;

	for (round = 0; round < rounds; round++) {
		/*
		 * The kernel writes back only the control length and the
		 * flags (and the lengths, which are read before use); the
		 * rest was set once (mml_syslog_new()).
		 */
		for (i = 0; i < BATCH; i++) {
			s->mm[i].msg_hdr.msg_controllen = sizeof(s->cbuf[i].buf);
			s->mm[i].msg_hdr.msg_flags = 0;
		}
		n = recvmmsg(s->fd, s->mm, BATCH, MSG_DONTWAIT |
		    MSG_CMSG_CLOEXEC | MSG_TRUNC, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			c->errors++;
			if (mml_intake_warn_ok(s->in))
				mml_log(LOG_WARNING, "syslog socket: recv: %s; "
				    "trying again at the next wakeup",
				    strerror(errno));
			return 0;
		}
		mml_intake_clock(s->in);
		for (i = 0; i < n; i++)
			datagram(s, s->dgram[i], s->mm[i].msg_len,
			    &s->mm[i].msg_hdr);
		/*
		 * A short batch is no sign of an empty socket: senders that
		 * waited for room (net.unix.max_dgram_qlen is 10 without
		 * systemd) have sent more meanwhile.  Reading on until EAGAIN
		 * saves a turn of the loop per batch (measured: 15-30% more
		 * datagrams a second with 4 senders).  A batch of one says
		 * the senders are slower than we are: the socket is almost
		 * surely empty, and looking again would cost a system call
		 * for nothing at every wakeup, one of the four a datagram
		 * then costs (epoll_wait, recvmmsg, pwrite).
		 */
		if (n == 1 && !drain)
			return 0;
	}
	return 1;
}

/*
 * The sender's credentials, if the datagram has them; closes every
 * descriptor it brought.  Returns how many descriptors it brought (or
 * 1 if its control data was cut: more than we take).
 */
static int
creds_of(struct msghdr *mh, struct ucred *ret)
{
	struct cmsghdr *cm;
	int *fds, fdn = 0;
	size_t i, n;

	ret->pid = 0;
	ret->uid = (uid_t)-1;
	ret->gid = (gid_t)-1;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_CREDENTIALS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(*ret))) {
			memcpy(ret, CMSG_DATA(cm), sizeof(*ret));
			continue;
		}
		if (cm->cmsg_type != SCM_RIGHTS)
			continue;
		fds = (int *)(void *)CMSG_DATA(cm);
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++)
			(void)close(fds[i]);
		fdn += (int)n;
	}
	if (mh->msg_flags & MSG_CTRUNC)
		fdn++;
	return fdn;
}

/* One datagram of len bytes (of which buf holds DGRAM_MAX at most). */
static void
datagram(struct mml_syslog *s, const uint8_t *buf, size_t len,
    struct msghdr *mh)
{
	struct mml_intake_counts *c = mml_intake_counts(s->in,
	    MML_TRANSPORT_SYSLOG);
	struct mml_sender who;
	struct mml_ent e;
	struct ucred cred;
	size_t have = len < DGRAM_MAX ? len : DGRAM_MAX;

	c->bytes += len;
	if (creds_of(mh, &cred) > 0) {
		c->errors++;
		if (mml_intake_warn_ok(s->in))
			mml_log(LOG_WARNING, "syslog socket: pid %d sent file "
			    "descriptors with a datagram; closed them, dropping "
			    "the datagram", (int)cred.pid);
		return;
	}
	mml_ent_init(&e, s->fields, sizeof(s->fields));
	if (mml_syslog_parse(buf, have, &e) < 0)
		return;		/* empty: journald ignores those too */
	if (have < len) {
		/* The rest did not fit our buffer: the entry is cut. */
		e.cut = 1;
		e.orig_size += len - have;
	}
	mml_intake_sender(s->in, MML_TRANSPORT_SYSLOG, cred.pid, cred.uid,
	    cred.gid, &who);
	(void)mml_intake_submit(s->in, MML_TRANSPORT_SYSLOG, &who, &e, NULL, 0,
	    NULL);
}
