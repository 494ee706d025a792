/*
 * journal_in.h: the intake of journald's native protocol (journal_in.c):
 * sd_journal_send(), sd_journal_print(), `logger --journald`, on the
 * socket such programs know as /run/systemd/journal/socket.  Internal to
 * daemon/.
 */
#ifndef MML_JOURNAL_IN_H
#define MML_JOURNAL_IN_H

#include <ev.h>

struct mml_intake;
struct mml_journal_in;

/*
 * The largest memfd taken (a payload too large for a datagram): a
 * sealed file of more bytes is refused and counted.  Entries are cut to
 * --max-entry anyway; this bounds the time one is parsed for.
 */
#define MML_JOURNAL_MEMFD_MAX	(64 * 1024 * 1024)
/* The largest datagram read whole; a larger one is cut. */
#define MML_JOURNAL_DGRAM_MAX	(8 * 1024 * 1024)

/*
 * Serves the AF_UNIX SOCK_DGRAM socket fd (not owned) on loop with
 * SO_PASSCRED and an 8 MiB receive buffer: a datagram of one or more
 * bytes and no descriptor is a payload; an empty datagram with exactly
 * one descriptor brings the payload in a sealed memfd
 * (mml_journal_fd_check()); anything else is refused and counted, its
 * descriptors closed.  Each entry of a payload (mml_journal_parse(),
 * proto/JOURNAL.md) is submitted through in with _TRANSPORT=journal.
 * NULL only when out of memory.
 */
struct mml_journal_in *mml_journal_in_new(struct ev_loop *loop,
    struct mml_intake *in, int fd);

/* At shutdown: stores what is queued (bounded) and stops watching. */
void	mml_journal_in_drain(struct mml_journal_in *j);

/* Stops and frees; accepts NULL; returns NULL. */
struct mml_journal_in *mml_journal_in_free(struct mml_journal_in *j);

#endif /* MML_JOURNAL_IN_H */
