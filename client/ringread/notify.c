/*
 * notify.c: following the ring's growth through the daemon's socket
 * (SUBSCRIBE, then a NOTIFY frame whenever entries were added), for
 * mmlogctl -f and mmlog-forward.  Not in the library.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock.h"
#include "ringread.h"
#include "wire.h"

int
mml_rd_subscribe(const char *path, unsigned id)
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

int
mml_rd_notify_drain(int fd, char *why, size_t why_cap)
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
		if (why_cap > 0) {
			memcpy(why, f.body + sizeof(eb), tl);
			why[tl] = '\0';
		}
		return -EPERM;
	}
}
