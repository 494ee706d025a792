/*
 * syslog_in.h: the syslog datagram intake (syslog_in.c): /dev/log, and the
 * socket journald forwards to (ForwardToSyslog=, syslog.socket).
 * Internal to daemon/.
 */
#ifndef MML_SYSLOG_IN_H
#define MML_SYSLOG_IN_H

#include <ev.h>

struct mml_intake;
struct mml_syslog;

/*
 * Serves the AF_UNIX SOCK_DGRAM socket fd (not owned: the caller closes
 * it after mml_syslog_free()) on loop: sets SO_PASSCRED, so that every
 * datagram carries its sender's pid, uid and gid from the kernel (the
 * original sender's, for journald's forwarding), and a receive buffer of
 * 8 MiB (SO_RCVBUFFORCE when privileged, as systemd's socket units do);
 * receives in batches (recvmmsg()), parses each datagram
 * (mml_syslog_parse(), proto/SYSLOG.md) and submits it through in with
 * _TRANSPORT=syslog.  NULL only when out of memory.
 */
struct mml_syslog *mml_syslog_new(struct ev_loop *loop, struct mml_intake *in,
    int fd);

/*
 * At shutdown: stores what is queued on the socket (a bounded number of
 * datagrams: a sender cannot keep it going) and stops watching it.
 */
void	mml_syslog_drain(struct mml_syslog *s);

/* Stops and frees; accepts NULL; returns NULL. */
struct mml_syslog *mml_syslog_free(struct mml_syslog *s);

#endif /* MML_SYSLOG_IN_H */
