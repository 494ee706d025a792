/*
 * sockhold.c: stands in for systemd's socket unit across restarts of the
 * service (systemd-socket-activate starts its program only once).  Binds
 * and listens on a SOCK_SEQPACKET socket at PATH and keeps it for its
 * whole life; starts CMD with the socket as fd 3 (LISTEN_FDS=1,
 * LISTEN_PID), and each time CMD exits starts it again, like
 * Restart=always, but only once the file GATE does not exist: a test
 * holds the daemon down by creating GATE, while clients queue on the
 * socket.
 *
 * usage: sockhold PATH GATE CMD [ARGS...]
 * Prints "start PID" when it starts CMD and "exit PID STATUS" when CMD
 * ends (STATUS as the shell gives it), one flushed line each.  Ends with
 * 0 on SIGTERM/SIGINT (sending SIGTERM to a running CMD and waiting for
 * it first), 1 on a setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	const struct timespec tick = { 0, 10000000 };
	struct sockaddr_un sa;
	struct sigaction act;
	pid_t pid;
	int fd, st;
	char num[32];

	if (argc < 4) {
		(void)fprintf(stderr,
		    "usage: sockhold PATH GATE CMD [ARGS...]\n");
		return 2;
	}
	if (strlen(argv[1]) >= sizeof(sa.sun_path)) {
		(void)fprintf(stderr, "sockhold: path too long\n");
		return 1;
	}
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;	/* no SA_RESTART: waitpid() returns */
	(void)sigaction(SIGTERM, &act, NULL);
	(void)sigaction(SIGINT, &act, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, argv[1], strlen(argv[1]));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		(void)fprintf(stderr, "sockhold: %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	while (!stop) {
		while (!stop && access(argv[2], F_OK) == 0)
			(void)nanosleep(&tick, NULL);
		if (stop)
			break;
		pid = fork();
		if (pid < 0) {
			(void)fprintf(stderr, "sockhold: fork: %s\n",
			    strerror(errno));
			break;
		}
		if (pid == 0) {
			/*
			 * dup2() clears FD_CLOEXEC on the copy, but does
			 * nothing if the socket is fd 3 already.
			 */
			if (fd == 3 ? fcntl(fd, F_SETFD, 0) < 0 :
			    dup2(fd, 3) < 0)
				_exit(127);
			(void)snprintf(num, sizeof(num), "%d", (int)getpid());
			(void)setenv("LISTEN_PID", num, 1);
			(void)setenv("LISTEN_FDS", "1", 1);
			(void)unsetenv("LISTEN_FDNAMES");
			(void)execvp(argv[3], argv + 3);
			_exit(127);
		}
		(void)printf("start %d\n", (int)pid);
		(void)fflush(stdout);
		while (waitpid(pid, &st, 0) < 0) {
			if (errno != EINTR)
				return 1;
			if (stop)
				(void)kill(pid, SIGTERM);
		}
		(void)printf("exit %d %d\n", (int)pid, WIFEXITED(st) ?
		    WEXITSTATUS(st) : 128 + WTERMSIG(st));
		(void)fflush(stdout);
	}
	(void)close(fd);
	(void)unlink(argv[1]);
	return 0;
}
