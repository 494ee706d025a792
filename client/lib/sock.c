/*
 * sock.c: the one place that connects to mmlogd's socket, for the
 * library, mmlogctl and the tests.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "mmlog.h"
#include "sock.h"

void
mml_sock_sndtimeo(int fd, unsigned timeout_ms)
{
	struct timeval tv;

	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int
mml_sock_connect(const char *path, int type, unsigned sndtimeo_ms)
{
	struct sockaddr_un sa;
	size_t len = strlen(path);
	int fd, e;

	if (len >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, len);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * For a Unix socket, SO_SNDTIMEO is also how long connect() waits
	 * for room in the listener's queue: never without a bound.
	 */
	if (!(type & SOCK_NONBLOCK))
		mml_sock_sndtimeo(fd, sndtimeo_ms ? sndtimeo_ms :
		    MMLOG_CONNECT_TIMEOUT_MS);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		(void)close(fd);
		if (e == EAGAIN && !(type & SOCK_NONBLOCK))
			e = ETIMEDOUT;
		return -e;
	}
	if (!(type & SOCK_NONBLOCK) && sndtimeo_ms == 0)
		mml_sock_sndtimeo(fd, 0);
	return fd;
}
