/*
 * kmsg_in.h: the kernel log intake (kmsg_in.c), /dev/kmsg.  Internal to
 * daemon/.
 */
#ifndef MML_KMSG_IN_H
#define MML_KMSG_IN_H

#include <ev.h>

struct mml_intake;
struct mml_kmsg_in;

/* The file beside the socket that remembers the last kernel record. */
#define MML_KMSG_STATE_NAME	"kmsg.seqnum"

/*
 * Opens /dev/kmsg for reading, non-blocking.  Reading it needs
 * CAP_SYSLOG when kernel.dmesg_restrict is 1, checked at this open only:
 * call it before giving up privileges (or take the descriptor systemd
 * opened, ListenSpecial=/dev/kmsg).  Returns the descriptor or -errno,
 * logged.
 */
int	mml_kmsg_open(void);

/*
 * Reads the kernel's records from fd (not owned) on loop and submits
 * each (mml_kmsg_parse(), proto/SYSLOG.md) through in with
 * _TRANSPORT=kernel.  state_path names a small file (created 0600,
 * mapped) holding the boot id and the next sequence number expected:
 * records of this boot numbered below it were stored by an earlier
 * mmlogd and are skipped, so that a restart stores no record twice; a
 * jump in the numbers (the kernel overwrote records before we read
 * them: EPIPE, or while mmlogd was down) is recorded in the ring as a
 * loss note (MMLOG_KMSG_MISSED=N).  Without the file (state_path NULL,
 * or it cannot be made) nothing is remembered, and a restart stores
 * again what the kernel still holds.  NULL only when out of memory.
 */
struct mml_kmsg_in *mml_kmsg_in_new(struct ev_loop *loop,
    struct mml_intake *in, int fd, const char *state_path);

/* At shutdown: stores what the kernel holds unread and stops. */
void	mml_kmsg_in_drain(struct mml_kmsg_in *k);

/* Stops, unmaps the state file and frees; accepts NULL; returns NULL. */
struct mml_kmsg_in *mml_kmsg_in_free(struct mml_kmsg_in *k);

#endif /* MML_KMSG_IN_H */
