/*
 * util.c: what several of mmlogctl's commands share: saying things on
 * stderr, opening the ring with a reason when it cannot be, one request
 * to the daemon, and finishing the output.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "sock.h"
#include "util.h"
#include "wire.h"

#define REPLY_TIMEOUT_MS	2000	/* wait for the daemon's answer */

volatile sig_atomic_t mml_ctl_stop;

/* What SIGPIPE did when we started, for the program `run` executes. */
static struct sigaction sigpipe_orig;
static int sigpipe_saved;

void
mml_ctl_msg(const char *fmt, ...)
{
	va_list ap;

	(void)fflush(stdout);
	va_start(ap, fmt);
	(void)fputs("mmlogctl: ", stderr);
	(void)vfprintf(stderr, fmt, ap);
	(void)fputc('\n', stderr);
	va_end(ap);
}

int
mml_ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)fputs("mmlogctl: ", stderr);
	(void)vfprintf(stderr, fmt, ap);
	(void)fputs("\nTry 'mmlogctl --help' for more information.\n",
	    stderr);
	va_end(ap);
	return MML_CTL_EXIT_USAGE;
}

void
mml_ctl_sigpipe_ignore(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, &sigpipe_orig) == 0)
		sigpipe_saved = 1;
}

void
mml_ctl_sigpipe_restore(void)
{
	if (sigpipe_saved)
		(void)sigaction(SIGPIPE, &sigpipe_orig, NULL);
}

struct mml_rd_ring *
mml_ctl_open_ring(const char *path)
{
	struct mml_rd_ring *r = NULL;
	enum mml_disk_reason why;
	int rc, tries;

	/* -EAGAIN: replaced between two looks; look again. */
	for (tries = 0; tries < 3; tries++) {
		rc = mml_rd_ring_open(path, &r, &why);
		if (rc != -EAGAIN)
			break;
	}
	if (rc == 0)
		return r;
	if (why != MML_DISK_OK)
		mml_ctl_msg("%s: %s", path, mml_disk_reason_str(why));
	else if (rc == -ENOENT)
		mml_ctl_msg("%s: %s (is mmlogd running? use --file)", path,
		    strerror(-rc));
	else if (rc == -EACCES)
		mml_ctl_msg("%s: %s (reading the ring needs read permission "
		    "on it, usually through its group)", path, strerror(-rc));
	else if (rc == -ENODEV)
		mml_ctl_msg("%s: not a regular file", path);
	else
		mml_ctl_msg("%s: %s", path, strerror(-rc));
	return NULL;
}

int
mml_ctl_daemon_request(const char *path, uint8_t type, uint8_t *buf,
    size_t cap, const uint8_t **ret_body, size_t *ret_len, char *why,
    size_t why_cap)
{
	uint8_t want = type == MML_FRAME_STATS ? MML_FRAME_STATS_REPLY :
	    MML_FRAME_ACK;
	struct mml_error_body eb;
	struct mml_frame f;
	struct pollfd pfd;
	enum mml_wire_reason wr;
	uint64_t deadline;
	ssize_t n;
	int fd, rc, left;

	/* A daemon whose backlog is full must not hang us for ever. */
	fd = mml_sock_connect(path, SOCK_SEQPACKET, 1000);
	if (fd < 0) {
		(void)snprintf(why, why_cap, "%s", strerror(-fd));
		return fd;
	}
	mml_wire_hdr_init(buf, type, 0, 1);
	if (send(fd, buf, sizeof(struct mml_frame_hdr), MSG_NOSIGNAL) < 0) {
		rc = -errno;
		(void)snprintf(why, why_cap, "send: %s", strerror(-rc));
		goto out;
	}
	deadline = mml_now_usec(CLOCK_MONOTONIC) / 1000 + REPLY_TIMEOUT_MS;
	for (;;) {
		left = (int)(deadline - mml_now_usec(CLOCK_MONOTONIC) / 1000);
		if (left <= 0) {
			rc = -ETIMEDOUT;
			(void)snprintf(why, why_cap, "no reply from the daemon");
			goto out;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left) < 0 && errno != EINTR) {
			rc = -errno;
			(void)snprintf(why, why_cap, "poll: %s", strerror(-rc));
			goto out;
		}
		n = recv(fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			rc = n == 0 ? -ECONNRESET : -errno;
			(void)snprintf(why, why_cap, "%s", n == 0 ?
			    "the daemon closed the connection" :
			    strerror(-rc));
			goto out;
		}
		if ((size_t)n > cap ||
		    mml_wire_decode(buf, (size_t)n, 0, &f, &wr) < 0) {
			rc = -EBADMSG;
			(void)snprintf(why, why_cap, "bad reply: %s",
			    (size_t)n > cap ? "too large" :
			    mml_wire_reason_str(wr));
			goto out;
		}
		if (f.hdr.type == MML_FRAME_ERROR && f.hdr.id == 1) {
			memcpy(&eb, f.body, sizeof(eb));
			rc = eb.error > 0 ? -eb.error : -EPROTO;
			(void)snprintf(why, why_cap, "refused: %.*s",
			    (int)eb.text_len, (const char *)f.body +
			    sizeof(eb));
			goto out;
		}
		if (f.hdr.type == want && f.hdr.id == 1)
			break;
		/* Anything else (NOTIFY, a stray ACK) is not our answer. */
	}
	*ret_body = f.body;
	*ret_len = f.body_len;
	rc = 0;
out:
	(void)close(fd);
	return rc;
}

const char *
mml_ctl_seq_range(char *buf, size_t cap, uint64_t first, uint64_t n)
{
	if (n <= 1)
		(void)snprintf(buf, cap, "seq %" PRIu64, first);
	else
		(void)snprintf(buf, cap, "seq %" PRIu64 "..%" PRIu64, first,
		    first + n - 1);
	return buf;
}

int
mml_ctl_out_done(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	if (errno == EPIPE)
		return 0;
	mml_ctl_msg("writing output: %s", strerror(errno));
	return -1;
}
