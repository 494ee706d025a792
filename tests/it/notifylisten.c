/*
 * notifylisten.c: stands in for systemd's notification socket in the
 * end-to-end tests.  Binds an AF_UNIX datagram socket at PATH and, for a
 * bounded time, prints every datagram it receives as one line:
 *
 *   MS TAB PID TAB ASSIGNMENT [TAB ASSIGNMENT...]
 *
 * MS is the time since it started listening, in milliseconds; PID is the
 * sender's, from SCM_CREDENTIALS (0 if unknown); each newline-separated
 * assignment of the datagram (READY=1, STATUS=..., WATCHDOG=1) becomes a
 * tab-separated field.  Output is flushed after each line.
 *
 * usage: notifylisten PATH SECONDS
 * Exits 0 after SECONDS or on SIGTERM/SIGINT, 1 on a setup error.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sa;
	struct sigaction act;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} cbuf;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cm;
	struct ucred cred;
	struct pollfd pfd;
	char buf[4097];
	double start, limit_ms, left;
	ssize_t n, i;
	int fd, one = 1;
	long pid;

	if (argc != 3) {
		(void)fprintf(stderr, "usage: notifylisten PATH SECONDS\n");
		return 2;
	}
	limit_ms = atof(argv[2]) * 1e3;
	if (strlen(argv[1]) >= sizeof(sa.sun_path)) {
		(void)fprintf(stderr, "notifylisten: path too long\n");
		return 1;
	}
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	(void)sigaction(SIGTERM, &act, NULL);
	(void)sigaction(SIGINT, &act, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, argv[1], strlen(argv[1]));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one,
	    sizeof(one)) < 0 || bind(fd, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0) {
		(void)fprintf(stderr, "notifylisten: %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	start = now_ms();
	while (!stop) {
		left = limit_ms - (now_ms() - start);
		if (left <= 0)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left + 1) <= 0)
			continue;
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf) - 1;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = &cbuf;
		mh.msg_controllen = sizeof(cbuf);
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0)
			continue;
		pid = 0;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_CREDENTIALS) {
				memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
				pid = cred.pid;
			}
		}
		/* One line per datagram: newlines become tabs. */
		while (n > 0 && buf[n - 1] == '\n')
			n--;
		for (i = 0; i < n; i++)
			if (buf[i] == '\n')
				buf[i] = '\t';
			else if (buf[i] == '\0' || buf[i] == '\r')
				buf[i] = '?';
		buf[n] = '\0';
		(void)printf("%.0f\t%ld\t%s\n", now_ms() - start, pid, buf);
		(void)fflush(stdout);
	}
	(void)close(fd);
	(void)unlink(argv[1]);
	return 0;
}
