/*
 * mmlog.h: libmmlogclient, the application side of mmlogd.
 *
 * An application opens a handle, writes entries and closes it.  Each
 * entry is one SOCK_SEQPACKET packet to the daemon (see mmlog(3) and
 * proto/PROTOCOL.md).  Every function that can fail returns a negative
 * errno value; none prints, exits or raises SIGPIPE.
 *
 * When an entry is in the daemon: mmlog_write() returns once the kernel
 * has queued the packet on the daemon's socket.  A crash of the
 * application after that does not lose it; a crash of the daemon before
 * it read the packet does.  mmlog_sync() (or MMLOG_WRITE_SYNC) returns
 * only once the entries are durable on disk.
 *
 * A handle may be used by several threads at once; entries written by
 * one thread arrive in the order it wrote them.  After fork() the child's
 * first write opens a connection of its own, so the daemon records the
 * child's own pid.
 */
#ifndef MMLOG_H
#define MMLOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where clients connect unless MMLOG_SOCKET or an explicit path says. */
#define MMLOG_SOCKET_DEFAULT	"/run/mmlogd/mmlogd.sock"

/* Syslog priorities, as in <syslog.h>. */
#define MMLOG_EMERG	0
#define MMLOG_ALERT	1
#define MMLOG_CRIT	2
#define MMLOG_ERR	3
#define MMLOG_WARNING	4
#define MMLOG_NOTICE	5
#define MMLOG_INFO	6
#define MMLOG_DEBUG	7

/* mmlog_open() flags. */
#define MMLOG_NONBLOCK	0x0001	/* never wait: drop and count instead */

/* mmlog_write*() flags. */
#define MMLOG_WRITE_SYNC 0x0001	/* return only when the entry is durable */

struct mmlog_client;

/* A structured field, KEY=VALUE; the key follows journald's rules. */
struct mmlog_field {
	const char *key;	/* [A-Z0-9_], not starting with _ or a digit */
	const void *value;
	size_t value_len;
};

/* Counters of a handle, for the application to read. */
struct mmlog_stats {
	uint64_t sent;		/* entries handed to the kernel */
	uint64_t dropped;	/* entries dropped (non-blocking, or no daemon) */
	uint64_t reconnects;	/* connections re-opened */
	uint64_t pending_drops;	/* drops not yet reported to the daemon */
};

/*
 * Opens a handle connected to the daemon at path, or, if path is NULL, at
 * $MMLOG_SOCKET or MMLOG_SOCKET_DEFAULT.  tag is the default
 * SYSLOG_IDENTIFIER (NULL: the program's name).  Returns 0 and stores the
 * handle in *ret, or a negative errno (-ENOENT: no socket there,
 * -ECONNREFUSED: no daemon listening, -ENOMEM).
 */
int mmlog_open(const char *path, const char *tag, int flags,
    struct mmlog_client **ret);

/*
 * Closes the handle and frees it; accepts NULL.  Returns NULL so that
 * callers can write c = mmlog_close(c).
 */
struct mmlog_client *mmlog_close(struct mmlog_client *c);

/*
 * Sends one entry.  tag NULL means the handle's default tag.  msg need
 * not be NUL-terminated.  Returns 0, or -EINVAL (bad priority, tag or
 * field), -EMSGSIZE (larger than a packet may be, or the daemon's
 * --max-entry, reported by a later call), -EAGAIN (non-blocking handle:
 * dropped and counted), -EPIPE/-ECONNREFUSED (no daemon, after one
 * reconnect attempt; the entry is counted as dropped).
 */
int mmlog_write(struct mmlog_client *c, int priority, const char *tag,
    const void *msg, size_t msg_len);

/* As mmlog_write() with fields and flags (MMLOG_WRITE_SYNC). */
int mmlog_writev(struct mmlog_client *c, int priority, const char *tag,
    const void *msg, size_t msg_len, const struct mmlog_field *fields,
    size_t n_fields, int flags);

/*
 * Sends one entry and waits until it is durable; stores its sequence
 * number in *ret_seq (may be NULL).  Same errors as mmlog_sync().
 */
int mmlog_write_durable(struct mmlog_client *c, int priority, const char *tag,
    const void *msg, size_t msg_len, uint64_t *ret_seq);

/* printf-style; the message is cut at the packet limit. */
int mmlog_writef(struct mmlog_client *c, int priority, const char *tag,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int mmlog_vwritef(struct mmlog_client *c, int priority, const char *tag,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/*
 * Waits until every entry this handle sent is durable.  Stores the
 * newest durable sequence number in *ret_seq (may be NULL).  Returns 0,
 * -EIO if the daemon cannot make data durable, -ETIMEDOUT, or the error
 * the daemon sent back for an earlier entry of this handle.
 */
int mmlog_sync(struct mmlog_client *c, uint64_t *ret_seq);

/* Copies the handle's counters. */
void mmlog_get_stats(struct mmlog_client *c, struct mmlog_stats *ret);

/* Sets how long a blocking call may wait, in ms (0: forever). */
int mmlog_set_timeout(struct mmlog_client *c, unsigned timeout_ms);

/*
 * Parses a priority name ("err", "warning", "info", ...) or a digit.
 * Returns 0..7, or -EINVAL.
 */
int mmlog_priority_from_string(const char *s);

/* The socket path a NULL path means: $MMLOG_SOCKET or the default. */
const char *mmlog_default_socket(void);

#ifdef __cplusplus
}
#endif

#endif /* MMLOG_H */
