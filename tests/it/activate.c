/*
 * activate.c: stands in for systemd's socket units that pass mmlogd
 * several descriptors, each with its FileDescriptorName= (what
 * systemd-socket-activate cannot do: it takes one type for all).
 *
 * usage: activate [NAME:TYPE:PATH | NAME:kmsg]... -- CMD [ARGS...]
 *   TYPE is seqpacket, stream (both listening) or dgram; PATH is bound
 *   with mode 0666 (replacing a stale file); NAME:kmsg opens /dev/kmsg
 *   as systemd's ListenSpecial= does.  The descriptors become 3, 4, ...
 *   in order, LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID are set, and
 *   CMD is exec'd (so LISTEN_PID is its pid).
 * Exit status: 1 on a setup error, 2 usage; else CMD's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS	16

static int
open_one(const char *spec, char *name, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *c1 = strchr(spec, ':'), *c2;
	int type, fd;
	mode_t old;

	if (c1 == NULL || (size_t)(c1 - spec) >= cap)
		return -1;
	memcpy(name, spec, (size_t)(c1 - spec));
	name[c1 - spec] = '\0';
	if (strcmp(c1 + 1, "kmsg") == 0)
		return open("/dev/kmsg", O_RDWR | O_NOCTTY | O_NONBLOCK);
	c2 = strchr(c1 + 1, ':');
	if (c2 == NULL)
		return -1;
	if (strncmp(c1 + 1, "seqpacket:", 10) == 0)
		type = SOCK_SEQPACKET;
	else if (strncmp(c1 + 1, "stream:", 7) == 0)
		type = SOCK_STREAM;
	else if (strncmp(c1 + 1, "dgram:", 6) == 0)
		type = SOCK_DGRAM;
	else
		return -1;
	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c2 + 1);
	(void)unlink(sa.sun_path);
	fd = socket(AF_UNIX, type, 0);
	if (fd < 0)
		return -1;
	old = umask(0);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type != SOCK_DGRAM && listen(fd, 128) < 0)) {
		(void)umask(old);
		return -1;
	}
	(void)umask(old);
	return fd;
}

int
main(int argc, char **argv)
{
	char names[1024] = "", name[64], num[32];
	int fds[MAX_FDS], n = 0, i, fd;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (n == MAX_FDS)
			return 2;
		fds[n] = open_one(argv[i], name, sizeof(name));
		if (fds[n] < 0) {
			(void)fprintf(stderr, "activate: %s: %s\n", argv[i],
			    strerror(errno));
			return 1;
		}
		if (n > 0)
			(void)strncat(names, ":", sizeof(names) - strlen(names) - 1);
		(void)strncat(names, name, sizeof(names) - strlen(names) - 1);
		n++;
	}
	if (i + 1 >= argc)
		return 2;
	/* Into place, 3 upwards, above every descriptor used meanwhile. */
	for (fd = 0; fd < n; fd++)
		fds[fd] = fcntl(fds[fd], F_DUPFD, 3 + MAX_FDS);
	for (fd = 0; fd < n; fd++) {
		if (fds[fd] < 0 || dup2(fds[fd], 3 + fd) < 0)
			return 1;
		(void)close(fds[fd]);
	}
	(void)snprintf(num, sizeof(num), "%d", n);
	(void)setenv("LISTEN_FDS", num, 1);
	(void)setenv("LISTEN_FDNAMES", names, 1);
	(void)snprintf(num, sizeof(num), "%d", (int)getpid());
	(void)setenv("LISTEN_PID", num, 1);
	execvp(argv[i + 1], argv + i + 1);
	(void)fprintf(stderr, "activate: %s: %s\n", argv[i + 1],
	    strerror(errno));
	return 1;
}
