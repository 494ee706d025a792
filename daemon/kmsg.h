/*
 * kmsg.h: one record read from /dev/kmsg, parsed into an entry.
 *
 * Pure: no I/O, no allocation, no logging.  The record format and how
 * each part maps to fields are in proto/SYSLOG.md.
 */
#ifndef MML_KMSG_H
#define MML_KMSG_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"

/*
 * A fields buffer this large never cuts a record of len bytes: each of
 * at most 64 continuation lines grows by "_KERNEL_" (fuzz_kmsg checks).
 */
#define MML_KMSG_FIELDS_CAP(len)	(2 * (size_t)(len) + 1024)

/*
 * Parses one record as one read() of /dev/kmsg returns it,
 *
 *	PRI,SEQ,TS_USEC,FLAGS[,...];MESSAGE\n
 *	 KEY=VALUE\n	(zero or more continuation lines)
 *
 * into e, which the caller has set up with mml_ent_init(), the way
 * journald does (systemd 252, journald-kmsg.c):
 *
 *   - e->priority (PRI & 7), and the fields SYSLOG_FACILITY (PRI >> 3),
 *     _SOURCE_MONOTONIC_TIMESTAMP (TS_USEC) and _KERNEL_KEY=VALUE per
 *     continuation line (the kernel writes SUBSYSTEM and DEVICE);
 *   - e->tag: "kernel" for facility 0 (kern); for a record user space
 *     wrote with another facility, the identifier and SYSLOG_PID taken
 *     from the message as in a syslog datagram (mml_syslog_ident());
 *   - e->msg: the message, the kernel's \xNN escapes decoded.
 *
 * The record is decoded in place: rec must be writable, and e->tag and
 * e->msg point into it (or to a constant "kernel"), so it must outlive
 * the entry.  Fields are copied into e's fields buffer: one of
 * MML_KMSG_FIELDS_CAP(len) bytes holds them all, a smaller one cuts
 * them rather than overrun (mml_ent_add()).  The daemon adds
 * _TRANSPORT=kernel itself.
 *
 * The kernel's sequence number and timestamp (microseconds since boot)
 * go to *ret_seq and *ret_usec, for the caller to drop records it has
 * stored before a restart and to notice a gap (an overrun).
 *
 * Returns 0, or -EBADMSG (e, *ret_seq and *ret_usec untouched) when the
 * header is not "PRI,SEQ,TS...;" with decimal numbers and PRI at most
 * 2047 (the kernel's facility is a byte).  Example: the record
 *
 *	"6,194,217664,-;acpi PNP0A08:00: _OSC: OS supports\n"
 *	" SUBSYSTEM=acpi\n DEVICE=+acpi:PNP0A08:00\n"
 *
 * gives priority 6, tag "kernel", the message "acpi PNP0A08:00: _OSC: OS
 * supports", SYSLOG_FACILITY=0, _SOURCE_MONOTONIC_TIMESTAMP=217664,
 * _KERNEL_SUBSYSTEM=acpi, _KERNEL_DEVICE=+acpi:PNP0A08:00, seq 194 and
 * usec 217664.
 */
int	mml_kmsg_parse(uint8_t *rec, size_t len, struct mml_ent *e,
	    uint64_t *ret_seq, uint64_t *ret_usec);

#endif /* MML_KMSG_H */
