/*
 * hog.c: one user trying to crowd the others out, for the end-to-end
 * tests of the per-uid limits (run as an unprivileged uid with setpriv),
 * and the probe that measures what another user gets meanwhile.  It
 * speaks the protocol itself (the attacker does not use the library),
 * except `lat`, which is an ordinary client through libmmlogclient.
 * It only reports; the expectations live in the test scripts.
 *
 * usage: hog -s SOCKET [-w SECONDS] MODE [ARGS]
 *
 * Modes:
 *   hold N I      opens up to N connections, keeps every one alive with
 *                 a SYNC every I seconds (read back, so the daemon never
 *                 closes it as a slow reader), and makes a connection the
 *                 daemon closed again, for -w SECONDS (default 10).
 *                 Prints "held K" once the first round is done (K
 *                 connections the daemon answered), then "end held K
 *                 closed C" (C: connections the daemon closed or
 *                 refused in all).  SIGUSR1 ends the wait early.
 *   connect T S   T threads connect in a loop for S seconds (or until
 *                 SIGUSR1), each connection closed at once, to keep the
 *                 listen queue full; prints "connects N".
 *   fill PATH     connects to PATH without blocking until the listen
 *                 queue is full (EAGAIN), prints "filled N" and keeps
 *                 the connections for -w SECONDS.
 *   listen PATH B binds PATH with a listen queue of B and never accepts,
 *                 for -w SECONDS; prints "listening".
 *   dropflood S   for S seconds sends ENTRIES frames that claim
 *                 4294967295 dropped entries, one of two also refused
 *                 (an entry over --max-entry 4096); prints "sent N".
 *   flood S Z     for S seconds sends entries of Z bytes, no ACK asked,
 *                 tag "hog"; prints "sent N bytes B".
 *   lat N         N durable writes (mmlog_write_durable(), each on a
 *                 handle of its own, connect included, tag "victim"),
 *                 and prints "lat n=N ok=K p50=A p99=B max=C" in
 *                 microseconds, then "open p50=A p99=B" for the
 *                 connects alone, then one "err E" line per failure.
 *
 * Exit status: 0 once it has reported, 1 on a local error, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mmlog.h"
#include "util.h"
#include "wire.h"

static const char *sock_path;
static unsigned wait_s = 10;
/*
 * SIGUSR1: the test has seen what it wanted while the attack lasted.
 * (A wait scaled for a sanitizer build would otherwise be sat out whole.)
 */
static volatile sig_atomic_t stop;

static void
on_usr1(int sig)
{
	(void)sig;
	stop = 1;
}

static int
addr_of(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

/* A connection to path, or -1; nonblock: never wait for the queue. */
static int
peer_connect(const char *path, int nonblock)
{
	struct sockaddr_un sa;
	struct timeval tv = { 2, 0 };
	int fd;

	if (addr_of(path, &sa) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

static uint64_t
now_ms(void)
{
	return mml_now_usec(CLOCK_MONOTONIC) / 1000;
}

/*
 * One SYNC on fd, its answer read within a second.  Returns 1 if it was
 * acknowledged, 0 if the daemon closed or refused the connection.
 */
static int
sync_one(int fd, uint32_t id)
{
	uint8_t buf[2048];
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t n;

	mml_wire_hdr_init(buf, MML_FRAME_SYNC, 0, id);
	mml_wire_finish(buf, sizeof(struct mml_frame_hdr));
	if (send(fd, buf, sizeof(struct mml_frame_hdr), MSG_NOSIGNAL) < 0)
		return 0;
	for (;;) {
		if (poll(&pfd, 1, 1000) <= 0)
			return 0;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < (ssize_t)sizeof(struct mml_frame_hdr))
			return 0;
		if (buf[5] == MML_FRAME_ACK)
			return 1;
		if (buf[5] == MML_FRAME_ERROR)
			return 0;
	}
}

static int
mode_hold(long n, long interval_s)
{
	int *fds;
	long i, held = 0, closed = 0;
	uint64_t end, next;

	fds = calloc((size_t)n, sizeof(*fds));
	if (fds == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		fds[i] = peer_connect(sock_path, 0);
		if (fds[i] >= 0 && !sync_one(fds[i], (uint32_t)i + 1)) {
			(void)close(fds[i]);
			fds[i] = -1;
			closed++;
		}
		if (fds[i] >= 0)
			held++;
	}
	(void)printf("held %ld\n", held);
	(void)fflush(stdout);
	end = now_ms() + (uint64_t)wait_s * 1000;
	next = now_ms() + (uint64_t)interval_s * 1000;
	while (now_ms() < end && !stop) {
		(void)usleep(20000);
		for (i = 0; i < n; i++) {
			/* The daemon closed it, or refused it: make it again. */
			if (fds[i] < 0) {
				fds[i] = peer_connect(sock_path, 0);
				if (fds[i] >= 0 &&
				    !sync_one(fds[i], (uint32_t)i + 1)) {
					(void)close(fds[i]);
					fds[i] = -1;
					closed++;
				}
				continue;
			}
			if (now_ms() < next)
				continue;
			if (!sync_one(fds[i], (uint32_t)i + 1)) {
				(void)close(fds[i]);
				fds[i] = -1;
				closed++;
			}
		}
		if (now_ms() >= next)
			next = now_ms() + (uint64_t)interval_s * 1000;
	}
	for (held = 0, i = 0; i < n; i++)
		if (fds[i] >= 0 && sync_one(fds[i], 0x10000 + (uint32_t)i))
			held++;
	(void)printf("end held %ld closed %ld\n", held, closed);
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			(void)close(fds[i]);
	free(fds);
	return 0;
}

struct connector {
	pthread_t t;
	long n;
	uint64_t end;
};

static void *
connector_run(void *arg)
{
	struct connector *c = arg;
	int fd;

	while (now_ms() < c->end && !stop) {
		fd = peer_connect(sock_path, 1);
		if (fd >= 0) {
			c->n++;
			(void)close(fd);
		}
	}
	return NULL;
}

static int
mode_connect(long threads, long seconds)
{
	struct connector *c;
	long i, total = 0;

	c = calloc((size_t)threads, sizeof(*c));
	if (c == NULL)
		return 1;
	for (i = 0; i < threads; i++) {
		c[i].end = now_ms() + (uint64_t)seconds * 1000;
		if (pthread_create(&c[i].t, NULL, connector_run, &c[i]) != 0)
			return 1;
	}
	for (i = 0; i < threads; i++) {
		(void)pthread_join(c[i].t, NULL);
		total += c[i].n;
	}
	(void)printf("connects %ld\n", total);
	free(c);
	return 0;
}

static int
mode_fill(const char *path)
{
	long n = 0;

	while (n < 100000 && peer_connect(path, 1) >= 0)
		n++;
	(void)printf("filled %ld\n", n);
	(void)fflush(stdout);
	(void)sleep(wait_s);
	return 0;
}

static int
mode_listen(const char *path, int backlog)
{
	struct sockaddr_un sa;
	int fd;

	if (addr_of(path, &sa) < 0)
		return 1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, backlog) < 0) {
		(void)fprintf(stderr, "hog: listen %s: %s\n", path,
		    strerror(errno));
		return 1;
	}
	(void)printf("listening\n");
	(void)fflush(stdout);
	(void)sleep(wait_s);
	(void)unlink(path);
	return 0;
}

/* An ENTRIES frame with one entry of msg_len bytes, claiming dropped. */
static size_t
entries_frame(uint8_t *buf, size_t cap, uint32_t dropped, size_t msg_len)
{
	static char msg[8192];
	size_t len;

	memset(msg, 'x', sizeof(msg));
	len = mml_wire_entries_init(buf, 0, 0, dropped);
	if (mml_wire_entry_append(buf, cap, &len, 6, "hog", 3, msg, msg_len,
	    NULL, 0) < 0)
		return 0;
	return len;
}

static int
mode_dropflood(long seconds)
{
	static uint8_t ok[MML_FRAME_MAX], big[MML_FRAME_MAX];
	size_t ok_len, big_len;
	uint64_t end = now_ms() + (uint64_t)seconds * 1000;
	uint8_t drain[4096];
	long sent = 0;
	int fd;

	ok_len = entries_frame(ok, sizeof(ok), UINT32_MAX, 20);
	big_len = entries_frame(big, sizeof(big), UINT32_MAX, 5000);
	fd = peer_connect(sock_path, 0);
	if (fd < 0 || ok_len == 0 || big_len == 0)
		return 1;
	while (now_ms() < end) {
		if (send(fd, (sent & 1) ? big : ok, (sent & 1) ? big_len :
		    ok_len, MSG_NOSIGNAL) < 0) {
			(void)close(fd);
			fd = peer_connect(sock_path, 0);
			if (fd < 0)
				break;
			continue;
		}
		sent++;
		/* The refusals come back: read them, or be closed. */
		while (recv(fd, drain, sizeof(drain), MSG_DONTWAIT) > 0)
			;
	}
	(void)printf("sent %ld\n", sent);
	return 0;
}

static int
mode_flood(long seconds, long size)
{
	static uint8_t buf[MML_FRAME_MAX];
	uint64_t end = now_ms() + (uint64_t)seconds * 1000;
	size_t len;
	long sent = 0;
	int fd;

	if (size < 1 || size > 4000)
		return 2;
	len = entries_frame(buf, sizeof(buf), 0, (size_t)size);
	fd = peer_connect(sock_path, 0);
	if (fd < 0 || len == 0)
		return 1;
	while (now_ms() < end) {
		if (send(fd, buf, len, MSG_NOSIGNAL) < 0) {
			(void)close(fd);
			fd = peer_connect(sock_path, 0);
			if (fd < 0)
				break;
			continue;
		}
		sent++;
	}
	(void)printf("sent %ld bytes %ld\n", sent, sent * size);
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
mode_lat(long n)
{
	struct mmlog_client *c;
	uint64_t *t, *to, t0, seq;
	int *errs, r;
	long i, ok = 0, nerr = 0, nopen = 0;

	t = calloc((size_t)n, sizeof(*t));
	to = calloc((size_t)n, sizeof(*to));
	errs = calloc((size_t)n, sizeof(*errs));
	if (t == NULL || to == NULL || errs == NULL || n < 1)
		return 1;
	for (i = 0; i < n; i++) {
		t0 = mml_now_usec(CLOCK_MONOTONIC);
		c = NULL;
		r = mmlog_open(sock_path, "victim", 0, &c);
		if (r == 0)
			to[nopen++] = mml_now_usec(CLOCK_MONOTONIC) - t0;
		if (r == 0) {
			(void)mmlog_set_timeout(c, 10000);
			r = mmlog_write_durable(c, MMLOG_INFO, NULL, "victim", 6,
			    &seq);
		}
		c = mmlog_close(c);
		if (r == 0)
			t[ok++] = mml_now_usec(CLOCK_MONOTONIC) - t0;
		else
			errs[nerr++] = -r;
		(void)usleep(10000);
	}
	qsort(t, (size_t)ok, sizeof(*t), cmp_u64);
	(void)printf("lat n=%ld ok=%ld p50=%llu p99=%llu max=%llu\n", n, ok,
	    ok ? (unsigned long long)t[ok / 2] : 0ULL,
	    ok ? (unsigned long long)t[(ok * 99) / 100 < ok ? (ok * 99) / 100 :
	    ok - 1] : 0ULL, ok ? (unsigned long long)t[ok - 1] : 0ULL);
	qsort(to, (size_t)nopen, sizeof(*to), cmp_u64);
	(void)printf("open p50=%llu p99=%llu\n",
	    nopen ? (unsigned long long)to[nopen / 2] : 0ULL,
	    nopen ? (unsigned long long)to[(nopen * 99) / 100] : 0ULL);
	for (i = 0; i < nerr; i++)
		(void)printf("err %s\n", strerror(errs[i]));
	free(to);
	free(t);
	free(errs);
	return 0;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	const char *mode;
	int ch;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGUSR1, &sa, NULL);
	while ((ch = getopt(argc, argv, "s:w:")) != -1) {
		switch (ch) {
		case 's': sock_path = optarg; break;
		case 'w': wait_s = (unsigned)atoi(optarg); break;
		default: goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	mode = argv[optind];
	if (strcmp(mode, "listen") == 0 && optind + 2 < argc)
		return mode_listen(argv[optind + 1], atoi(argv[optind + 2]));
	if (strcmp(mode, "fill") == 0 && optind + 1 < argc)
		return mode_fill(argv[optind + 1]);
	if (sock_path == NULL)
		goto usage;
	if (strcmp(mode, "hold") == 0 && optind + 2 < argc)
		return mode_hold(atol(argv[optind + 1]), atol(argv[optind + 2]));
	if (strcmp(mode, "connect") == 0 && optind + 2 < argc)
		return mode_connect(atol(argv[optind + 1]),
		    atol(argv[optind + 2]));
	if (strcmp(mode, "dropflood") == 0 && optind + 1 < argc)
		return mode_dropflood(atol(argv[optind + 1]));
	if (strcmp(mode, "flood") == 0 && optind + 2 < argc)
		return mode_flood(atol(argv[optind + 1]), atol(argv[optind + 2]));
	if (strcmp(mode, "lat") == 0 && optind + 1 < argc)
		return mode_lat(atol(argv[optind + 1]));
usage:
	(void)fprintf(stderr, "usage: hog -s SOCKET [-w S] hold N I | connect T S "
	    "| dropflood S | flood S Z | lat N | fill PATH | listen PATH B\n");
	return 2;
}
