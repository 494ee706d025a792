/*
 * follow.c: keeping up with a ring as it grows, for `mmlogctl show -f`
 * and mmlog-forward.  The reader's loop is its own (what to do with the
 * entries, the losses, when to stop); what it calls here is the waiting
 * between two walks and the events that change what it reads:
 *
 *	for (;;) {
 *		walk the ring to its end (mml_rd_iter_next);
 *		if (mml_rd_follow_reopen(ring, &nr)) {
 *			finish the old ring;
 *			same = mml_rd_follow_switch(&it, &ring, nr);
 *			place the iterator in the new one;
 *			continue;
 *		}
 *		ev = mml_rd_follow_wait(&fw, timeout_ms);
 *	}
 *
 * The wait subscribes to the daemon's NOTIFY frames (SUBSCRIBE, then a
 * NOTIFY whenever entries were added), and when the daemon goes away
 * it polls the ring instead and tries the socket again every second,
 * and at once when the socket (or ring) reappears in its directory, as
 * when the daemon restarts.  Not in the library.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ringread.h"
#include "sock.h"
#include "util.h"
#include "wire.h"

#define POLL_NOTIFY_MS		1000	/* re-walk at least this often */
#define POLL_NOSOCKET_MS	250	/* re-walk interval without NOTIFY */
#define RECONNECT_MS		1000	/* retry the socket this often */
#define RECONNECT_QUICK_MS	20	/* ... just after it appeared */
#define RECONNECT_QUICK		50	/* ... this many times */

static int	 subscribe(const char *, unsigned);
static int	 notify_drain(int, char *, size_t);
static void	 connect_maybe(struct mml_rd_follow *);
static int	 poll_timeout(const struct mml_rd_follow *, int);
static void	 watch_start(struct mml_rd_follow *);
static int	 watch_dir_of(int, const char *);
static int	 watch_read(const struct mml_rd_follow *);
static const char *base_name(const char *);

/* The wake-up pipe: a signal handler writes, the wait reads. */
static int wake_pipe[2] = { -1, -1 };

int
mml_rd_follow_init(struct mml_rd_follow *fw, const char *socket,
    const char *ring_path, unsigned id, int out_fd)
{
	memset(fw, 0, sizeof(*fw));
	fw->socket = socket;
	fw->ring_path = ring_path;
	fw->sub_id = id;
	fw->out_fd = out_fd;
	fw->notify_fd = -1;
	fw->ino = -1;
	if (wake_pipe[0] < 0 && pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

void
mml_rd_follow_done(struct mml_rd_follow *fw)
{
	if (fw->notify_fd >= 0)
		(void)close(fw->notify_fd);
	if (fw->ino >= 0)
		(void)close(fw->ino);
	fw->notify_fd = fw->ino = -1;
}

void
mml_rd_follow_wake(void)
{
	int e = errno;
	ssize_t n;

	/* A full pipe already holds a wake-up (n is only for fortify). */
	if (wake_pipe[1] >= 0) {
		n = write(wake_pipe[1], "", 1);
		(void)n;
	}
	errno = e;
}

int
mml_rd_follow_reopen(struct mml_rd_ring *r, struct mml_rd_ring **ret)
{
	enum mml_disk_reason why;

	if (!mml_rd_sigbus_hit() && !mml_rd_ring_replaced(r))
		return 0;
	/* None yet (the daemon re-creating it): the next look tries again. */
	if (mml_rd_ring_open(r->path, ret, &why) < 0)
		return 0;
	return 1;
}

int
mml_rd_follow_switch(struct mml_rd_iter *it, struct mml_rd_ring **ring,
    struct mml_rd_ring *nr)
{
	int same = memcmp(nr->ring_id, (*ring)->ring_id, 16) == 0;

	mml_rd_iter_done(it);
	(void)mml_rd_ring_free(*ring);
	*ring = nr;
	mml_rd_iter_init(it, nr, MML_RD_COPY);
	return same;
}

/*
 * Connects to path and asks for NOTIFY frames (SUBSCRIBE, frame id id);
 * the socket is left non-blocking.  Returns it, or -errno.
 */
static int
subscribe(const char *path, unsigned id)
{
	uint8_t buf[sizeof(struct mml_frame_hdr)];
	int fd, e;

	fd = mml_sock_connect(path, SOCK_SEQPACKET, 1000);
	if (fd < 0)
		return fd;
	mml_wire_hdr_init(buf, MML_FRAME_SUBSCRIBE, 0, id);
	if (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) < 0 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		e = errno;
		(void)close(fd);
		return -e;
	}
	return fd;
}

/*
 * Reads every frame waiting on a subscribed socket: each only says "look
 * at the ring again".  Returns 0 while the connection is good, -EPIPE
 * once it is gone, -EPERM if the daemon refused to notify us (its reason
 * in why, cut to why_cap bytes).
 */
static int
notify_drain(int fd, char *why, size_t why_cap)
{
	uint8_t buf[1024];	/* NOTIFY and ERROR frames are small */
	struct mml_error_body eb;
	struct mml_frame f;
	size_t tl;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -EPIPE;
		if (mml_wire_decode(buf, (size_t)n, 0, &f, NULL) < 0 ||
		    f.hdr.type != MML_FRAME_ERROR)
			continue;
		memcpy(&eb, f.body, sizeof(eb));
		tl = eb.text_len < why_cap ? eb.text_len : why_cap - 1;
		memcpy(why, f.body + sizeof(eb), tl);
		why[tl] = '\0';
		return -EPERM;
	}
}

/* Subscribes if there is no subscription and it is time to try. */
static void
connect_maybe(struct mml_rd_follow *fw)
{
	uint64_t now = mml_now_usec(CLOCK_MONOTONIC) / 1000;

	if (fw->notify_fd >= 0 || fw->refused || now < fw->next_connect_ms)
		return;
	fw->notify_fd = subscribe(fw->socket, fw->sub_id);
	if (fw->notify_fd >= 0)
		fw->quick = 0;
	fw->next_connect_ms = now + RECONNECT_MS;
	/* Just bound, perhaps not yet listening: soon again. */
	if (fw->quick > 0) {
		fw->quick--;
		fw->next_connect_ms = now + RECONNECT_QUICK_MS;
	}
}

/* How long to wait: until a NOTIFY is due, or the next try to connect. */
static int
poll_timeout(const struct mml_rd_follow *fw, int max_ms)
{
	uint64_t now = mml_now_usec(CLOCK_MONOTONIC) / 1000;
	int tmo;

	if (fw->notify_fd >= 0)
		tmo = POLL_NOTIFY_MS;
	else if (!fw->refused && fw->next_connect_ms > now &&
	    fw->next_connect_ms - now < POLL_NOSOCKET_MS)
		tmo = (int)(fw->next_connect_ms - now);
	else
		tmo = POLL_NOSOCKET_MS;
	return max_ms < tmo ? max_ms : tmo;
}

/*
 * An inotify descriptor that wakes the follower when the socket or the
 * ring file appears in its directory: a daemon that comes back binds its
 * socket anew, and we connect at once instead of at the next retry.
 * None if inotify cannot watch either directory (the timers do then).
 */
static void
watch_start(struct mml_rd_follow *fw)
{
	fw->watch_tried = 1;
	fw->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fw->ino < 0)
		return;
	if (watch_dir_of(fw->ino, fw->socket) < 0 &&
	    watch_dir_of(fw->ino, fw->ring_path) < 0) {
		(void)close(fw->ino);
		fw->ino = -1;
		return;
	}
	(void)watch_dir_of(fw->ino, fw->ring_path);
}

/* Adds an inotify watch on the directory of path; returns 0 or -errno. */
static int
watch_dir_of(int ino, const char *path)
{
	char *copy, *slash;
	int rc = 0;

	copy = strdup(path);
	if (copy == NULL)
		return -ENOMEM;
	slash = strrchr(copy, '/');
	if (slash == NULL)
		(void)strcpy(copy, ".");
	else if (slash == copy)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (inotify_add_watch(ino, copy, IN_CREATE | IN_MOVED_TO) < 0)
		rc = -errno;
	free(copy);
	return rc;
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/*
 * Drains the inotify descriptor; returns 2 if the socket appeared (or
 * events were lost), 1 if only the ring file did, 0 if neither.
 */
static int
watch_read(const struct mml_rd_follow *fw)
{
	char buf[4096] __attribute__((aligned(__alignof__(
	    struct inotify_event))));
	const struct inotify_event *ev;
	const char *sock = base_name(fw->socket);
	const char *ring = base_name(fw->ring_path);
	ssize_t n, i;
	int hit = 0;

	while ((n = read(fw->ino, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i += (ssize_t)sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(buf + i);
			if ((ev->mask & IN_Q_OVERFLOW) || (ev->len > 0 &&
			    strcmp(ev->name, sock) == 0))
				hit = 2;
			else if (ev->len > 0 && strcmp(ev->name, ring) == 0 &&
			    hit == 0)
				hit = 1;
		}
	}
	return hit;
}

int
mml_rd_follow_wait(struct mml_rd_follow *fw, int max_ms)
{
	uint8_t buf[256];
	struct pollfd pfd[4];
	int r;

	if (!fw->watch_tried)
		watch_start(fw);
	connect_maybe(fw);
	/* A signal after the caller's last look still ends the wait. */
	pfd[0].fd = wake_pipe[0];
	pfd[0].events = POLLIN;
	pfd[1].fd = fw->notify_fd;
	pfd[1].events = POLLIN;
	/* A pipe whose reader went away shows POLLERR. */
	pfd[2].fd = fw->out_fd;
	pfd[2].events = 0;
	pfd[3].fd = fw->ino;
	pfd[3].events = POLLIN;
	pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
	pfd[3].revents = 0;
	if (poll(pfd, 4, poll_timeout(fw, max_ms)) < 0 && errno != EINTR)
		return -errno;
	if (pfd[2].revents & (POLLERR | POLLHUP))
		return MML_RD_FOLLOW_OUT_GONE;
	if (pfd[2].revents & POLLNVAL)
		return MML_RD_FOLLOW_OUT_BAD;
	if (pfd[0].revents != 0)
		while (read(wake_pipe[0], buf, sizeof(buf)) > 0)
			;
	if (fw->ino >= 0 && pfd[3].revents != 0 && watch_read(fw) == 2 &&
	    fw->notify_fd < 0) {
		fw->next_connect_ms = 0;
		fw->quick = RECONNECT_QUICK;
		fw->refused = 0;
	}
	if (fw->notify_fd < 0 || pfd[1].revents == 0)
		return MML_RD_FOLLOW_LOOK;
	r = notify_drain(fw->notify_fd, fw->why, sizeof(fw->why));
	if (r == 0)
		return MML_RD_FOLLOW_LOOK;
	(void)close(fw->notify_fd);
	fw->notify_fd = -1;
	fw->next_connect_ms = mml_now_usec(CLOCK_MONOTONIC) / 1000 +
	    RECONNECT_MS;
	if (r == -EPERM) {
		fw->refused = 1;
		return MML_RD_FOLLOW_REFUSED;
	}
	return MML_RD_FOLLOW_LOOK;
}
