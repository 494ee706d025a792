/*
 * sock.h: connecting to mmlogd's Unix socket; internal to client/ (and
 * the tests), not part of libmmlogclient's ABI.
 */
#ifndef MML_SOCK_H
#define MML_SOCK_H

#include <stddef.h>

/*
 * Connects a new AF_UNIX socket of type (SOCK_SEQPACKET or SOCK_DGRAM,
 * optionally | SOCK_NONBLOCK; SOCK_CLOEXEC is always added) to path.
 * sndtimeo_ms, if not 0, bounds blocking sends.  A blocking connect()
 * waits at most sndtimeo_ms, or MMLOG_CONNECT_TIMEOUT_MS (mmlog.h) if
 * that is 0, for room in a full listen queue (anyone may keep the
 * daemon's full): -ETIMEDOUT after that; a non-blocking one fails at
 * once with -EAGAIN.
 * Returns the descriptor, or -errno (-ENAMETOOLONG for a path that does
 * not fit sun_path).
 */
int mml_sock_connect(const char *path, int type, unsigned sndtimeo_ms);

/* Sets (0: clears) the send timeout of fd, in ms. */
void mml_sock_sndtimeo(int fd, unsigned timeout_ms);

#endif /* MML_SOCK_H */
