/*
 * intakepeer.c: good and hostile peers of mmlogd's other sockets, the
 * syslog and journal datagram sockets and the stdout stream socket, for
 * t_intake_hostile.  It only sends, and says what it sent: the
 * expectations are in the test.
 *
 * usage: intakepeer [-j] [-n] [-w SECONDS] MODE SOCKET [N]
 *   -j  journal format (MESSAGE=...\n) where the mode sends text
 *   -n  random bytes without '\n' (a journal payload that never ends a
 *       field, so that nothing of it is stored)
 *   -w  seconds to keep connections open before closing (default 0)
 *
 * Modes:
 *   good N           N datagrams "<14>good: good I" (with -j,
 *                    "MESSAGE=good I\nSYSLOG_IDENTIFIER=good\n")
 *   random N         N datagrams of 1 to 2048 random bytes ("random
 *                    sent N")
 *   max              the largest datagram the kernel takes on this
 *                    socket, its send buffer raised ("max SIZE")
 *   senders N        N processes, each sending one datagram "<14>sender:
 *                    sender I" and exiting ("senders N")
 *   noheader N       N streams that send part of a header and never end
 *                    it, kept -w seconds ("noheader N")
 *   noline BYTES     a stream with a header, then BYTES bytes without a
 *                    newline, kept -w seconds ("noline BYTES")
 *   streams N        N streams, each a header and the line "stream I",
 *                    kept -w seconds; prints "streams N closed K", K
 *                    those the daemon closed meanwhile (refused)
 * Exit status: 0, 1 on a local error, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *sock_path;
static int journal, nonl;
static unsigned wait_s;
static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static int
peer(int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("intakepeer: connect");
		exit(1);
	}
	return fd;
}

static void
send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("intakepeer: send");
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
text(char *buf, size_t cap, const char *tag, long i)
{
	if (journal)
		(void)snprintf(buf, cap, "MESSAGE=%s %ld\nSYSLOG_IDENTIFIER=%s\n",
		    tag, i, tag);
	else
		(void)snprintf(buf, cap, "<14>%s: %s %ld", tag, tag, i);
}

static int
mode_good(long n)
{
	char buf[128];
	int fd = peer(SOCK_DGRAM);
	long i;

	for (i = 1; i <= n; i++) {
		text(buf, sizeof(buf), "good", i);
		send_all(fd, buf, strlen(buf));
	}
	(void)printf("good %ld\n", n);
	return 0;
}

static int
mode_random(long n)
{
	uint8_t buf[2048];
	size_t len, k;
	int fd = peer(SOCK_DGRAM);
	long i;

	for (i = 0; i < n; i++) {
		len = 1 + rng() % sizeof(buf);
		for (k = 0; k < len; k++) {
			buf[k] = (uint8_t)rng();
			if (nonl && buf[k] == '\n')
				buf[k] = 'x';
		}
		send_all(fd, buf, len);
	}
	(void)printf("random sent %ld\n", n);
	return 0;
}

static int
mode_max(void)
{
	static char buf[16 << 20];
	size_t size = sizeof(buf), head;
	int fd = peer(SOCK_DGRAM), big = 32 << 20;

	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	head = (size_t)snprintf(buf, 64, journal ? "MESSAGE=" :
	    "<14>maxdgram: ");
	for (;;) {
		memset(buf + head, 'M', size - head - 1);
		buf[size - 1] = '\n';
		if (send(fd, buf, size, MSG_NOSIGNAL) >= 0)
			break;
		if ((errno != EMSGSIZE && errno != ENOBUFS) || size < 1024) {
			perror("intakepeer: send");
			return 1;
		}
		size = size * 3 / 4;
	}
	(void)printf("max %zu\n", size);
	return 0;
}

static int
mode_senders(long n)
{
	char buf[128];
	pid_t pid;
	long i;
	int st, bad = 0;

	for (i = 1; i <= n; i++) {
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			int fd = peer(SOCK_DGRAM);

			text(buf, sizeof(buf), "sender", i);
			send_all(fd, buf, strlen(buf));
			_exit(0);
		}
		/* At most 64 at once: thousands, not a fork bomb. */
		if (i % 64 == 0)
			while (waitpid(-1, &st, WNOHANG) > 0)
				bad += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	while (waitpid(-1, &st, 0) > 0)
		bad += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	(void)printf("senders %ld\n", n);
	return bad ? 1 : 0;
}

static int
mode_noheader(long n)
{
	int *fds = calloc((size_t)n, sizeof(int));
	long i;

	if (fds == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		fds[i] = peer(SOCK_STREAM);
		send_all(fds[i], "an identifier without its end", 29);
	}
	(void)printf("noheader %ld\n", n);
	(void)fflush(stdout);
	(void)sleep(wait_s);
	for (i = 0; i < n; i++)
		(void)close(fds[i]);
	free(fds);
	return 0;
}

static int
mode_noline(long bytes)
{
	static const char hdr[] = "noline\n\n6\n0\n0\n0\n0\n";
	char buf[65536];
	int fd = peer(SOCK_STREAM);
	long left = bytes;
	size_t k;

	memset(buf, 'n', sizeof(buf));
	send_all(fd, hdr, sizeof(hdr) - 1);
	while (left > 0) {
		k = left < (long)sizeof(buf) ? (size_t)left : sizeof(buf);
		send_all(fd, buf, k);
		left -= (long)k;
	}
	(void)printf("noline %ld\n", bytes);
	(void)fflush(stdout);
	(void)sleep(wait_s);
	(void)close(fd);
	return 0;
}

static int
mode_streams(long n)
{
	struct pollfd pfd;
	char buf[128], c;
	int *fds = calloc((size_t)n, sizeof(int));
	long i, closed = 0;

	if (fds == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		fds[i] = peer(SOCK_STREAM);
		(void)snprintf(buf, sizeof(buf), "streams\n\n6\n0\n0\n0\n0\n"
		    "stream %ld\n", i + 1);
		/* A refused stream may be closed before it is written to. */
		(void)send(fds[i], buf, strlen(buf), MSG_NOSIGNAL);
	}
	(void)sleep(wait_s);
	for (i = 0; i < n; i++) {
		pfd.fd = fds[i];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) > 0 && recv(fds[i], &c, 1,
		    MSG_DONTWAIT) <= 0)
			closed++;
		(void)close(fds[i]);
	}
	free(fds);
	(void)printf("streams %ld closed %ld\n", n, closed);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *mode;
	long n = 0;
	int ch;

	while ((ch = getopt(argc, argv, "jnw:")) != -1) {
		switch (ch) {
		case 'j':
			journal = 1;
			break;
		case 'n':
			nonl = 1;
			break;
		case 'w':
			wait_s = (unsigned)atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (argc - optind < 2)
		return 2;
	mode = argv[optind];
	sock_path = argv[optind + 1];
	if (argc - optind > 2)
		n = atol(argv[optind + 2]);
	rng_state ^= (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	if (strcmp(mode, "good") == 0)
		return mode_good(n);
	if (strcmp(mode, "random") == 0)
		return mode_random(n);
	if (strcmp(mode, "max") == 0)
		return mode_max();
	if (strcmp(mode, "senders") == 0)
		return mode_senders(n);
	if (strcmp(mode, "noheader") == 0)
		return mode_noheader(n);
	if (strcmp(mode, "noline") == 0)
		return mode_noline(n);
	if (strcmp(mode, "streams") == 0)
		return mode_streams(n);
	return 2;
}
