/*
 * metapeer.c: a sender on mmlogd's syslog, journal and stdout sockets
 * for the trusted metadata tests (t_meta_*), which run it in a cgroup
 * named like a unit, as root or not.  Each entry also tries to name its
 * own trusted fields, which the daemon must not take: the journal
 * datagram carries _SYSTEMD_UNIT, _EXE, _CMDLINE, _TRANSPORT, _HOSTNAME,
 * _BOOT_ID and _SYSTEMD_CGROUP of its own, the syslog datagram an
 * RFC 5424 structured data element named like _SYSTEMD_UNIT, the stream
 * a unit in its header.  After sending it stays -w seconds, so that the
 * daemon finds it in /proc.
 *
 * usage: metapeer [-d USEC] [-n N] [-w SECONDS] MODE SOCKET MESSAGE [UNIT]
 *   -d       a pause between two entries
 *   syslog   N datagrams "<14>1 - - metapeer - - [_SYSTEMD_UNIT@1
 *            u=\"forged.service\"] MESSAGE" (RFC 5424), " I" after
 *            MESSAGE when N > 1
 *   journal  N datagrams of journald's native protocol, MESSAGE and the
 *            forged fields above, SYSLOG_IDENTIFIER=metapeer
 *   stream   one stream: a header naming UNIT (default empty), then N
 *            lines MESSAGE
 * Exit status: 0, 1 on a local error, 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char forged[] =
    "_SYSTEMD_UNIT=forged.service\n"
    "_EXE=/usr/sbin/forged\n"
    "_CMDLINE=forged --as-root\n"
    "_TRANSPORT=kernel\n"
    "_HOSTNAME=forged-host\n"
    "_BOOT_ID=00000000000000000000000000000001\n"
    "_SYSTEMD_CGROUP=/system.slice/forged.service\n";

static int
peer(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("metapeer: connect");
		exit(1);
	}
	return fd;
}

static void
send_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN ||
		    errno == ENOBUFS)) {
			(void)usleep(1000);
			continue;
		}
		if (n < 0) {
			perror("metapeer: send");
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
}

int
main(int argc, char **argv)
{
	static char buf[8192];
	const char *mode, *path, *msg, *unit = "";
	long i, n = 1, wait_s = 0, delay = 0;
	char num[24];
	int ch, fd, len;

	while ((ch = getopt(argc, argv, "d:n:w:")) != -1) {
		switch (ch) {
		case 'd': delay = atol(optarg); break;
		case 'n': n = atol(optarg); break;
		case 'w': wait_s = atol(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind < 3 || argc - optind > 4)
		return 2;
	mode = argv[optind];
	path = argv[optind + 1];
	msg = argv[optind + 2];
	if (argc - optind == 4)
		unit = argv[optind + 3];

	if (strcmp(mode, "stream") == 0) {
		fd = peer(path, SOCK_STREAM);
		len = snprintf(buf, sizeof(buf), "metapeer\n%s\n6\n0\n0\n0\n0\n",
		    unit);
		send_all(fd, buf, (size_t)len);
		for (i = 1; i <= n; i++) {
			len = snprintf(buf, sizeof(buf), "%s\n", msg);
			send_all(fd, buf, (size_t)len);
			if (delay > 0)
				(void)usleep((useconds_t)delay);
		}
	} else if (strcmp(mode, "syslog") == 0 ||
	    strcmp(mode, "journal") == 0) {
		fd = peer(path, SOCK_DGRAM);
		for (i = 1; i <= n; i++) {
			num[0] = '\0';
			if (n > 1)
				(void)snprintf(num, sizeof(num), " %ld", i);
			if (mode[0] == 's')
				len = snprintf(buf, sizeof(buf), "<14>1 - - "
				    "metapeer - - [_SYSTEMD_UNIT@1 u=\""
				    "forged.service\"] %s%s", msg, num);
			else
				len = snprintf(buf, sizeof(buf), "MESSAGE=%s%s\n"
				    "SYSLOG_IDENTIFIER=metapeer\n%s", msg, num,
				    forged);
			send_all(fd, buf, (size_t)len);
			if (delay > 0)
				(void)usleep((useconds_t)delay);
		}
	} else
		return 2;
	if (wait_s > 0)
		(void)sleep((unsigned)wait_s);
	(void)close(fd);
	return 0;
}
