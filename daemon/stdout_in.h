/*
 * stdout_in.h: the stdout stream intake (stdout_in.c): systemd-cat,
 * services' StandardOutput=journal (PID 1 connects for them), `mmlogctl
 * run`, on the socket they know as /run/systemd/journal/stdout.
 * Internal to daemon/.
 */
#ifndef MML_STDOUT_IN_H
#define MML_STDOUT_IN_H

#include <ev.h>

struct mml_intake;
struct mml_stdout;

/* Streams at once by default (journald's STDOUT_STREAMS_MAX). */
#define MML_DEFAULT_MAX_STREAMS	4096

/*
 * Accepts streams on the listening AF_UNIX SOCK_STREAM socket fd (not
 * owned) on loop, at most max_streams at once (more are refused, counted
 * and closed at once); a uid other than root's and mmlogd's holds at
 * most the limits' max_clients_per_uid of them, and those uids together
 * all but reserved_clients (at most half), as the server's clients.
 * Each stream's identity is its SO_PEERCRED, and its SCM_CREDENTIALS
 * when another process writes to it (a child that
 * inherited it): the bytes kept so far are then flushed first as a line
 * of their own (_LINE_BREAK=pid-change), as journald does.  Each stream
 * is a struct mml_stream (stream.c, proto/JOURNAL.md): its header, then
 * one entry per line, submitted through in with _TRANSPORT=stdout, a
 * _STREAM_ID of its own and, from a privileged peer naming one, its
 * header's unit as _SYSTEMD_UNIT.  A stream that has not finished its
 * header within --idle-timeout is closed; a running one never is for
 * being quiet (a service may be silent for days, and a closed stdout
 * would fail its next write).
 *
 * With store_dir (under systemd: $NOTIFY_SOCKET is set), each stream
 * whose header is read is handed to the service manager's file
 * descriptor store (FDSTORE=1, FDNAME=stream-INO; the unit needs
 * FileDescriptorStoreMax=), its state kept in a file of that name in
 * store_dir (made 0700 if missing), so that a restart of mmlogd does
 * not cut it: mml_stdout_restore() takes it back.  NULL only when out
 * of memory.
 */
struct mml_stdout *mml_stdout_new(struct ev_loop *loop, struct mml_intake *in,
    int fd, unsigned max_streams, const char *store_dir);

/* The FDNAME= prefix of the streams in the service manager's store. */
#define MML_STDOUT_STORED_PREFIX	"stream-"

/*
 * Goes on with a stream the service manager passed back, fd (taken)
 * named name ("stream-INO"), from its state file in store_dir: its
 * header, _STREAM_ID, last writer and the line it had in progress.  A
 * descriptor that is not that socket, has no readable state, or would
 * pass --max-streams is closed and taken out of the store (the writer
 * sees its end).  Returns 0, or -EINVAL after logging why.
 */
int	mml_stdout_restore(struct mml_stdout *s, int fd, const char *name);

/*
 * After the last mml_stdout_restore(): a state file whose descriptor
 * did not come back (the unit was stopped, or its writer hung up) has
 * the line it had in progress stored (_LINE_BREAK=eof) and is removed.
 */
void	mml_stdout_restore_end(struct mml_stdout *s);

/*
 * A stored stream passed back when no stdout intake runs: closed, and
 * out of the service manager's store.
 */
void	mml_stdout_forget(int fd, const char *name);

/* Streams connected now. */
unsigned mml_stdout_streams(const struct mml_stdout *s);

/*
 * At shutdown: stops accepting, stores what each stream has queued
 * (bounded), and closes every stream.  A stream in the service
 * manager's store keeps the line it holds in its state file for the
 * next mmlogd, and stays in the store; any other stores it
 * (_LINE_BREAK=eof).
 */
void	mml_stdout_drain(struct mml_stdout *s);

/* Stops, closes every stream and frees; accepts NULL; returns NULL. */
struct mml_stdout *mml_stdout_free(struct mml_stdout *s);

#endif /* MML_STDOUT_IN_H */
