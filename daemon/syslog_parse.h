/*
 * syslog_parse.h: one syslog datagram, as it arrives on the syslog socket
 * (/dev/log, or journald's ForwardToSyslog socket), parsed into an entry.
 *
 * Pure: no I/O, no allocation, no logging.  The formats accepted and how
 * each part maps to fields are in proto/SYSLOG.md.
 */
#ifndef MML_SYSLOG_PARSE_H
#define MML_SYSLOG_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"

/*
 * A fields buffer this large never cuts a datagram of len bytes: a
 * structured-data parameter of 5 bytes (' k=""') becomes a field of at
 * most 69 (fuzz_syslog checks the bound).
 */
#define MML_SYSLOG_FIELDS_CAP(len)	(16 * (size_t)(len) + 1024)

/* What mml_syslog_parse() found the datagram to be. */
#define MML_SYSLOG_3164		0	/* BSD syslog, or no header at all */
#define MML_SYSLOG_5424		1	/* RFC 5424, version 1 */

/*
 * Parses the datagram buf[0, len) into e, which the caller has set up
 * with mml_ent_init(); journald's syslog parser (systemd 252) is the
 * reference, extended to RFC 5424 and to a hostname after the timestamp:
 *
 *   - e->priority, and the fields SYSLOG_FACILITY (not for facility 0,
 *     as journald), SYSLOG_PID (as the header claims it, any bytes),
 *     SYSLOG_TIMESTAMP (the header's text), SYSLOG_HOSTNAME,
 *     SYSLOG_MSGID (RFC 5424), one SD_<SD-ID>_<PARAM-NAME> field per
 *     structured-data parameter (RFC 5424), and SYSLOG_RAW, the whole
 *     datagram, when journald would keep it (no PRI or no timestamp
 *     recognised, whitespace or NULs trimmed, a NUL inside) or the tag
 *     had to be cut;
 *   - e->tag (SYSLOG_IDENTIFIER) and e->msg (MESSAGE) point into buf,
 *     which must outlive the entry; field values are copied into e's
 *     fields buffer.
 *
 * Every non-empty datagram gives an entry, however malformed: what could
 * not be parsed stays in the message (and SYSLOG_RAW).  A fields buffer
 * of MML_SYSLOG_FIELDS_CAP(len) bytes holds whatever the datagram gives;
 * a smaller one is never overrun: the fields are cut and e->cut is set
 * (mml_ent_add()), which mml_ent_fit() then records.  The daemon adds
 * _TRANSPORT=syslog and the sender's identity itself.
 *
 * Returns MML_SYSLOG_3164 or MML_SYSLOG_5424, or -ENODATA for an empty
 * datagram (journald ignores those; nothing is added to e).  Example:
 *
 *	static const char d[] = "<155>Dec  7 08:55:12 captest[4259]: hi";
 *	uint8_t fb[1024];
 *	struct mml_ent e;
 *
 *	mml_ent_init(&e, fb, sizeof(fb));
 *	r = mml_syslog_parse((const uint8_t *)d, sizeof(d) - 1, &e);
 *
 * gives r = MML_SYSLOG_3164, e.priority = 3, tag "captest", message
 * "hi" and the fields SYSLOG_FACILITY=19, SYSLOG_PID=4259 and
 * SYSLOG_TIMESTAMP="Dec  7 08:55:12 " (with journald's trailing space).
 */
int	mml_syslog_parse(const uint8_t *buf, size_t len, struct mml_ent *e);

/* Where mml_syslog_ident() found the parts of "TAG[PID]: ", as offsets. */
struct mml_syslog_id {
	size_t		 tag_off, tag_len;	/* SYSLOG_IDENTIFIER */
	int		 has_pid;		/* there was a "[...]" */
	size_t		 pid_off, pid_len;	/* SYSLOG_PID, any bytes */
	size_t		 msg_off;		/* where the message starts */
};

/*
 * journald's identifier rule (syslog_parse_identifier()), which the
 * kernel log applies too: the first word of buf[0, len), after any
 * whitespace (space, tab, CR, LF), is an identifier if it ends with ':';
 * without the ':' and without a "[...]" before it (from the last '['
 * before the final ']'), whose content is the claimed pid, whatever it
 * holds.  One whitespace byte after the ':' separates the message.
 * Returns 1 and fills *ret, or 0 (no identifier; the message is all of
 * buf) leaving *ret alone.  Example: "a[b][12]:  x" gives tag "a[b]",
 * pid "12" and the message " x".
 */
int	mml_syslog_ident(const uint8_t *buf, size_t len,
	    struct mml_syslog_id *ret);

#endif /* MML_SYSLOG_PARSE_H */
