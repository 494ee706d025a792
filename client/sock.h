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
 * sndtimeo_ms, if not 0, bounds blocking sends, and is set before
 * connect() so that a daemon whose backlog is full cannot hang us.
 * Returns the descriptor, or -errno (-ENAMETOOLONG for a path that does
 * not fit sun_path).
 */
int mml_sock_connect(const char *path, int type, unsigned sndtimeo_ms);

/* Sets (0: clears) the send timeout of fd, in ms. */
void mml_sock_sndtimeo(int fd, unsigned timeout_ms);

/*
 * Connects to path and asks for NOTIFY frames (SUBSCRIBE, frame id id);
 * the socket is left non-blocking.  Returns it, or -errno.
 */
int mml_sock_subscribe(const char *path, unsigned id);

/*
 * Reads every frame waiting on a subscribed socket: each only says "look
 * at the ring again".  Returns 0 while the connection is good, -EPIPE
 * once it is gone, -EPERM if the daemon refused to notify us (its reason
 * in why, cut to why_cap bytes).  The caller closes fd on an error.
 */
int mml_sock_notify_drain(int fd, char *why, size_t why_cap);

#endif /* MML_SOCK_H */
