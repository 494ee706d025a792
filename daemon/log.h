/*
 * log.h: the daemon's own diagnostics, one line each on stderr with the
 * sd-daemon level prefix (STYLE.md, Diagnostics).  Internal to daemon/.
 */
#ifndef MML_LOG_H
#define MML_LOG_H

#include <stddef.h>

/* Lines above this priority (LOG_INFO, or LOG_DEBUG with -v) are dropped. */
extern int mml_log_level;

/*
 * One line at priority prio (LOG_ERR...), prefixed "<prio>mmlogd: ".
 * Example: mml_log(LOG_NOTICE, "ring '%s' created", path);
 */
void mml_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * One LOG_ERR line ending in ": strerror(err)"; err may be an errno or
 * its negation.  Returns -err, for "return mml_log_errno(r, ...);".
 */
int mml_log_errno(int err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Quotes at most max bytes of peer data into out, which must hold
 * 4 * max + 6 bytes: printable ASCII as is, the rest as \xNN, ".." after
 * the quote if len > max.  Returns out.
 */
const char *mml_log_escape(char *out, const void *data, size_t len,
    size_t max);

#endif /* MML_LOG_H */
