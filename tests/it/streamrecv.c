/*
 * streamrecv.c: a stand-in for mmlogd's stdout stream socket, for
 * `mmlogctl run` (t_ctl_run): binds and listens on a SOCK_STREAM socket
 * at PATH, takes one connection, writes the peer's pid as the kernel
 * gives it (SO_PEERCRED) to PIDFILE and every byte it sends, until it
 * closes, to OUT.  Ends with 0 then; 1 on an error; 2 for usage.
 *
 * usage: streamrecv PATH OUT PIDFILE
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sa;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	char buf[65536];
	FILE *pf;
	ssize_t n;
	int lfd, cfd, ofd;

	if (argc != 4 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: streamrecv PATH OUT PIDFILE\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, argv[1], strlen(argv[1]));
	(void)unlink(argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 4) < 0) {
		perror("streamrecv: socket");
		return 1;
	}
	cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0 || getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred,
	    &cl) < 0) {
		perror("streamrecv: accept");
		return 1;
	}
	pf = fopen(argv[3], "w");
	if (pf == NULL || fprintf(pf, "%d\n", (int)cred.pid) < 0 ||
	    fclose(pf) != 0) {
		perror("streamrecv: pid file");
		return 1;
	}
	ofd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (ofd < 0) {
		perror("streamrecv: out");
		return 1;
	}
	while ((n = read(cfd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(ofd, buf, (size_t)n) != n) {
			perror("streamrecv: copy");
			return 1;
		}
	}
	(void)close(ofd);
	(void)close(cfd);
	(void)close(lfd);
	(void)unlink(argv[1]);
	return 0;
}
