/*
 * journal.h: journald's native protocol (sd_journal_send(), `logger
 * --journald`, systemd-cat's library calls), as mmlogd's journal socket
 * takes it in: the parser of one datagram or memfd payload into
 * entries, and the check of a memfd passed with SCM_RIGHTS.  The socket
 * I/O, credentials and trusted metadata are the caller's.
 *
 * The payload is a sequence of fields, each either
 *
 *	KEY=VALUE\n				(VALUE without '\n')
 *	KEY\n <u64 little-endian length> VALUE \n	(binary-safe)
 *
 * and an empty line ends an entry, so that one payload may carry
 * several.  journald (systemd v252, src/journal/journald-native.c) is
 * the reference for every rule; proto/JOURNAL.md states them field by
 * field.
 */
#ifndef MML_JOURNAL_H
#define MML_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"

/*
 * journald's limits (src/shared/journal-importer.h): a field value
 * larger than DATA_SIZE_MAX makes it ignore the whole entry; a memfd
 * larger than ENTRY_SIZE_MAX is refused.  The daemon passes its own,
 * smaller, limit to mml_journal_fd_check().
 */
#define MML_JOURNAL_DATA_MAX	(768ULL * 1024 * 1024)
#define MML_JOURNAL_ENTRY_MAX	(770ULL * 1024 * 1024)

/*
 * What mml_journal_parse() left out of one entry, for the daemon's
 * counters and debug log.  Nothing here is stored.
 */
struct mml_journal_info {
	unsigned	protected;	/* fields named _*: trusted, dropped */
	unsigned	invalid;	/* other invalid names, dropped */
	/*
	 * Fields journald stores but that have no place here: a PRIORITY
	 * that is not one digit, an empty SYSLOG_IDENTIFIER, and every
	 * MESSAGE, PRIORITY or SYSLOG_IDENTIFIER replaced by a later one
	 * (the entry has one slot for each).
	 */
	unsigned	unused;
	unsigned	over_max;	/* fields past max_fields: the entry is cut */
	unsigned	skipped_lines;	/* lines starting '.' or '#' (journald) */
	int		has_message;	/* a MESSAGE field was seen */
	/*
	 * Bytes after the entry that are not parsed and will not be:
	 * trailing bytes without '\n', a binary field whose length or end
	 * does not check, everything after an entry with no valid field.
	 */
	size_t		ignored;
};

/*
 * Parses the next entry of the payload buf[*off, len) into e, which the
 * caller has just initialised with mml_ent_init() (its fields buffer
 * receives the entry's fields).  MESSAGE, PRIORITY and
 * SYSLOG_IDENTIFIER go into the entry's slots (the last value of each
 * wins; PRIORITY only when it is one digit, as journald reads it, 8 and
 * 9 taken as LOG_PRI(), i.e. 0 and 1); every other validly named field
 * is appended to e's fields block, in order, duplicates included, up to
 * max_fields of them (the daemon's --max-fields): past that, fields are
 * counted in orig_size and e->cut is set, so that mml_ent_fit() records
 * the entry's original size.  Field names follow journald's rules
 * (1-64 bytes of A-Z, 0-9, _, not starting with a digit); names
 * starting with '_' are trusted and always dropped.
 *
 * Returns:
 *   1		an entry to store in e; *off is past it.  Call again for
 *		the next entry of the same payload (with e initialised
 *		anew) until 0.
 *   0		nothing more to store; *off == len.  info->ignored says
 *		whether bytes were left unparsed.
 *   -EMSGSIZE	a field declares a value larger than
 *		MML_JOURNAL_DATA_MAX: journald ignores the whole entry, so
 *		e must not be stored (count it); *off == len.
 * *ret_info is always filled (ret_info may be NULL).
 *
 * Example, one datagram:
 *
 *	uint8_t fb[MML_FRAME_MAX];
 *	struct mml_ent e;
 *	size_t off = 0;
 *	int r;
 *
 *	for (;;) {
 *		mml_ent_init(&e, fb, sizeof(fb));
 *		if ((r = mml_journal_parse(pkt, n, &off, 256, &e, &info)) <= 0)
 *			break;
 *		(void)mml_ent_fit(&e, max_entry);
 *		store(&e);
 *	}
 */
int	mml_journal_parse(const uint8_t *buf, size_t len, size_t *off,
	    unsigned max_fields, struct mml_ent *e,
	    struct mml_journal_info *ret_info);

/*
 * Checks a file descriptor a client passed with SCM_RIGHTS (an empty
 * datagram carrying exactly one fd: a payload too large for a
 * datagram) and maps it read-only for mml_journal_parse().  It must be
 * a regular file sealed with F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE
 * and F_SEAL_SEAL (what libsystemd's memfd_set_sealed() adds; further
 * seals are allowed), so that it can neither shrink under the mapping
 * (SIGBUS) nor change while it is parsed, and hold 1 to max bytes.
 * journald also reads unsealed files from root or from /dev/shm, /tmp
 * and /var/tmp; mmlogd does not (proto/JOURNAL.md says why).  The fd
 * stays the caller's to close, before or after the release.
 *
 * Returns 0 with the payload in *ret_data and *ret_len, to be given
 * back with mml_journal_fd_release(); -EBADFD if it is not a regular
 * file, -EPERM if it lacks one of the seals (not a memfd, or not
 * sealed), -ENODATA if it is empty, -EMSGSIZE if larger than max, or
 * the -errno of a failed fstat() or mmap().
 */
int	mml_journal_fd_check(int fd, size_t max, const uint8_t **ret_data,
	    size_t *ret_len);
void	mml_journal_fd_release(const uint8_t *data, size_t len);

#endif /* MML_JOURNAL_H */
