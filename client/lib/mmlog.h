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
 * When an entry may still be in the application's memory: only with
 * MMLOG_BATCH.  A batched entry is copied into the handle's buffer and
 * stays there (and is lost if the process crashes, is killed, calls
 * _exit() or execs) until the first of:
 *   - a write that finds the buffer too full for its entry;
 *   - a write on the handle at least the batch delay (mmlog_set_batch_delay,
 *     default 10 ms) after the oldest buffered entry was written; the
 *     library has no thread of its own, so an application that stops
 *     writing must call mmlog_flush() itself if it cares;
 *   - mmlog_flush(), mmlog_sync(), a MMLOG_WRITE_SYNC write, or
 *     mmlog_close() on the handle;
 *   - exit() or a return from main() (an atexit handler flushes every
 *     handle still open).
 * A flush sends the whole buffer as one packet; after it the entries
 * are in the daemon as above.  Without MMLOG_BATCH no entry outlives the
 * call that wrote it.
 *
 * Threads: a handle may be used by several threads at once; entries
 * written by one thread arrive in the order it wrote them.  The handle's
 * lock is held while a packet is sent (in blocking mode that may wait for
 * the daemon), never while formatting.
 *
 * fork(): the child's first write opens a connection of its own, so the
 * daemon records the child's own pid; the parent's connection is not
 * touched.  Entries the parent had buffered (MMLOG_BATCH) and drops it
 * had not yet reported stay the parent's, so nothing is sent twice.  A
 * fork while another thread holds a handle's lock does not deadlock the
 * child.
 *
 * Loss is never silent: an entry that cannot be sent (non-blocking handle
 * that would wait, timeout, daemon down) is dropped and counted; the next
 * ENTRIES packet that gets through carries the count, and the daemon
 * records it in the log (an entry of its own, field MMLOG_DROPPED=N).
 * When the daemon restarts, the next write reconnects on its own.
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
#define MMLOG_BATCH	0x0002	/* pack entries into few packets (above) */

/* mmlog_openlog() options: <syslog.h>'s LOG_* values, and two more. */
#define MMLOG_LOG_PID		0x01	/* accepted; the pid is always logged */
#define MMLOG_LOG_CONS		0x02	/* accepted, ignored */
#define MMLOG_LOG_ODELAY	0x04	/* connect on first write (default) */
#define MMLOG_LOG_NDELAY	0x08	/* connect at once */
#define MMLOG_LOG_NOWAIT	0x10	/* accepted, ignored */
#define MMLOG_LOG_PERROR	0x20	/* also print "ident: message" on stderr */
#define MMLOG_LOG_NONBLOCK	0x1000	/* as MMLOG_NONBLOCK */
#define MMLOG_LOG_BATCH		0x2000	/* as MMLOG_BATCH */

/* The longest a connect waits when the handle has no timeout (ms). */
#define MMLOG_CONNECT_TIMEOUT_MS	5000

/* mmlog_write*() flags. */
#define MMLOG_WRITE_SYNC 0x0001	/* return only when the entry is durable */

/*
 * Returned (positive) by mmlog_write_durable(), mmlog_writev() with
 * MMLOG_WRITE_SYNC and mmlog_sync() when everything is durable but an
 * entry they cover was larger than the daemon's --max-entry: it was
 * stored cut to that size, with the field MMLOG_ORIGINAL_SIZE giving
 * the size sent.  Not an error: callers that test for < 0 go on.
 */
#define MMLOG_TRUNCATED	1

/*
 * The most requests for an answer (durable writes, syncs) a handle keeps
 * out at once; see mmlog_set_window().  The daemon's default
 * --max-pending is as large.
 */
#define MMLOG_WINDOW_MAX 128

struct mmlog_client;

/* A structured field, KEY=VALUE; the key follows journald's rules. */
struct mmlog_field {
	const char *key;	/* [A-Z0-9_]{1,64}, not starting with _ or a
				   digit; not MESSAGE, PRIORITY,
				   SYSLOG_IDENTIFIER or SYSLOG_PID */
	const void *value;
	size_t value_len;
};

/* Counters of a handle, for the application to read. */
struct mmlog_stats {
	uint64_t sent;		/* entries handed to the kernel */
	uint64_t dropped;	/* entries dropped (would block, timeout, no daemon) */
	uint64_t reconnects;	/* connections re-opened */
	uint64_t pending_drops;	/* drops not yet reported to the daemon */
};

/*
 * Opens a handle connected to the daemon at path, or, if path is NULL, at
 * $MMLOG_SOCKET or MMLOG_SOCKET_DEFAULT.  tag is the default
 * SYSLOG_IDENTIFIER (NULL: the program's name).  Returns 0 and stores the
 * handle in *ret, or a negative errno (-ENOENT: no socket there,
 * -ECONNREFUSED: no daemon listening, -ETIMEDOUT: its listen queue stayed
 * full for MMLOG_CONNECT_TIMEOUT_MS, -EAGAIN: the same for a non-blocking
 * handle, which never waits, -ENOMEM).  Every connect, here and when a
 * write reconnects, waits at most the handle's timeout, or
 * MMLOG_CONNECT_TIMEOUT_MS while it has none: anyone can keep the
 * daemon's listen queue full, and a logging call must not hang.
 */
int mmlog_open(const char *path, const char *tag, int flags,
    struct mmlog_client **ret);

/*
 * Flushes (MMLOG_BATCH), closes the handle and frees it; accepts NULL.
 * Drops not yet reported go out first, with an entry of the library's
 * ("closing, N entries dropped ...") whose frame carries the count;
 * exit() does the same for every handle still open.  Returns NULL so
 * that callers can write c = mmlog_close(c).
 */
struct mmlog_client *mmlog_close(struct mmlog_client *c);

/*
 * Sends one entry.  tag NULL means the handle's default tag.  msg need
 * not be NUL-terminated.  An entry larger than the daemon's --max-entry
 * is stored cut to it (and marked, MMLOG_ORIGINAL_SIZE); a durable write
 * or a later mmlog_sync() says so with MMLOG_TRUNCATED.  Returns 0, or
 * -EINVAL (bad priority, tag or field), -EMSGSIZE (larger than a packet
 * may be; or larger than the socket's send buffer, a system setting:
 * then dropped and counted), -EAGAIN (non-blocking handle:
 * dropped and counted), -ETIMEDOUT (blocking handle with a timeout:
 * dropped and counted), -EPIPE/-ECONNREFUSED/-ENOENT (no daemon, after
 * one reconnect attempt; dropped and counted), -EUSERS (the daemon
 * refused the connection: too many clients of this uid, or in all).
 *
 * With MMLOG_BATCH the entry is buffered and 0 means just that; a
 * negative value other than -EINVAL/-EMSGSIZE is the error of a flush
 * this call made: the entries flushed were dropped and counted, and this
 * call's entry is buffered all the same.
 */
int mmlog_write(struct mmlog_client *c, int priority, const char *tag,
    const void *msg, size_t msg_len);

/* As mmlog_write() with fields and flags (MMLOG_WRITE_SYNC). */
int mmlog_writev(struct mmlog_client *c, int priority, const char *tag,
    const void *msg, size_t msg_len, const struct mmlog_field *fields,
    size_t n_fields, int flags);

/*
 * Sends one entry and waits until it is durable; stores its sequence
 * number in *ret_seq (may be NULL).  Returns 0, or MMLOG_TRUNCATED if
 * the daemon stored it cut to its --max-entry (and durable all the
 * same).  Same errors as mmlog_sync(); after
 * -ETIMEDOUT or -EPIPE the entry was sent, and may or may not be in the
 * log or durable (a later failure to sync it is reported by
 * mmlog_wait() or mmlog_sync()).
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
 * MMLOG_TRUNCATED if an entry this connection sent since its last sync
 * or durable write was stored cut to the daemon's --max-entry, -EIO if
 * the daemon cannot make data durable, -ETIMEDOUT, -EBUSY if entries
 * sent since the last sync were suppressed by the daemon (rate limit, or
 * the uid's share of the ring: not stored, counted in the daemon's own
 * entry), or the error the daemon sent back for an earlier entry of this
 * handle (including a failed mmlog_write_async() entry not yet reported
 * by mmlog_wait(); -EOVERFLOW: the ring's numbering is exhausted,
 * nothing is stored).  An entry suppressed is never reported as
 * durable: -EBUSY is distinct from every other answer, and wins over
 * MMLOG_TRUNCATED.
 */
int mmlog_sync(struct mmlog_client *c, uint64_t *ret_seq);

/*
 * Durable writes without a round trip each.  mmlog_write_async() sends
 * one entry (fields as mmlog_writev()) that the daemon acknowledges once
 * it is durable, but returns as soon as it is sent: it stores the
 * entry's ticket in *ret_ticket (may be NULL).  Tickets increase per
 * handle in the order the entries went out (not always by one).  At
 * most the handle's window of requests are out at once: a write beyond
 * it first waits for the oldest answer (the timeout applies; a
 * non-blocking handle fails with -EAGAIN instead); the entry is then
 * dropped and counted.  Other errors as mmlog_write().
 *
 * mmlog_wait() waits until the daemon has answered every request of
 * the handle up to ticket (0: every one sent so far), the durable
 * writes and syncs of other threads included.  Returns 0 if none of
 * them failed, else the oldest failure not reported yet (-EIO: the
 * daemon could not make data durable; -EPIPE: the connection was lost
 * before the answer, so the entry may or may not be in the log;
 * -ENOBUFS: more requests out than the daemon's --max-pending (or
 * --max-pending-per-uid), the entry is logged but not acknowledged;
 * -EBUSY: the daemon suppressed the entry, it is not in the log); a
 * failure is reported once,
 * by the first wait (or mmlog_sync()) that covers it; -ETIMEDOUT;
 * -EINVAL for a ticket not handed out.  Stores in *ret_seq (may be NULL)
 * the newest sequence number the daemon has said is durable.
 */
int mmlog_write_async(struct mmlog_client *c, int priority, const char *tag,
    const void *msg, size_t msg_len, const struct mmlog_field *fields,
    size_t n_fields, uint64_t *ret_ticket);
int mmlog_wait(struct mmlog_client *c, uint64_t ticket, uint64_t *ret_seq);

/*
 * Sets how many requests for an answer may be out at once, 1 to
 * MMLOG_WINDOW_MAX (default 32): async entries, and the durable writes
 * and syncs of all threads sharing the handle.  Keep it at most the
 * daemon's --max-pending.
 */
int mmlog_set_window(struct mmlog_client *c, unsigned n);

/*
 * Sends the entries buffered by MMLOG_BATCH as one packet, if any.
 * Returns 0, or an error as mmlog_write() (the entries were dropped and
 * counted).
 */
int mmlog_flush(struct mmlog_client *c);

/* Copies the handle's counters; all 0 for a NULL handle. */
void mmlog_get_stats(struct mmlog_client *c, struct mmlog_stats *ret);

/*
 * Sets how long a blocking call may wait, in ms (0: forever); an entry
 * that waited that long is dropped and counted (-ETIMEDOUT).  The wait
 * for another thread using the handle counts too: threads queued behind
 * a write that waits do not wait a timeout each.
 */
int mmlog_set_timeout(struct mmlog_client *c, unsigned timeout_ms);

/*
 * MMLOG_BATCH: the longest a buffered entry waits while the application
 * keeps writing, in microseconds (default 10000; 0: every write flushes).
 */
int mmlog_set_batch_delay(struct mmlog_client *c, unsigned delay_us);

/*
 * syslog(3)-like calls on one process-wide handle, for easy porting.
 * mmlog_openlog() (re)opens it: ident is the tag (NULL: the program's
 * name), option MMLOG_LOG_* (syslog's LOG_* values are the same),
 * facility syslog's (LOG_USER is 8, already shifted; 0: none), recorded
 * as the field SYSLOG_FACILITY.  No daemon is no error: writes count
 * drops and the handle connects when it can.  mmlog_syslog() opens the
 * handle if needed; priority is 0..7, optionally ORed with a facility.
 * They return 0 or a negative errno, as mmlog_write().  mmlog_closelog()
 * flushes and closes the handle; mmlog_syslog() may run in many threads
 * at once, also while another thread calls mmlog_closelog().
 */
int mmlog_openlog(const char *ident, int option, int facility);
int mmlog_syslog(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int mmlog_vsyslog(int priority, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void mmlog_closelog(void);

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
