/*
 * listen.h: the daemon's listening sockets (listen.c): those systemd
 * passes, told apart by FileDescriptorName=, and those it binds itself,
 * each created with its mode from the start.  Internal to daemon/.
 */
#ifndef MML_LISTEN_H
#define MML_LISTEN_H

#include <sys/types.h>

/* What a socket is for; its FileDescriptorName= in systemd's units. */
enum mml_role {
	MML_ROLE_MMLOG = 0,	/* "mmlogd": our SOCK_SEQPACKET protocol */
	MML_ROLE_SYSLOG,	/* "syslog": datagrams, /dev/log or journald's */
	MML_ROLE_JOURNAL,	/* "journal": journald's native protocol */
	MML_ROLE_STDOUT,	/* "stdout": stdout streams */
	MML_ROLE_KMSG,		/* "kmsg": /dev/kmsg, opened by systemd */
	MML_ROLE_MAX
};

/* The name a role goes by: "mmlogd", "syslog", "journal", ... */
const char *mml_role_name(enum mml_role r);

/* Descriptors systemd may pass, at most. */
#define MML_LISTEN_MAX	16

struct mml_listen {
	int		 fd;
	enum mml_role	 role;
};

/* A stream kept in systemd's store (FDNAME=stream-INO), passed back. */
struct mml_listen_stored {
	int		 fd;
	char		 name[32];
};

/*
 * The descriptors systemd passed (sd_listen_fds_with_names()), into
 * ret[0, *ret_n): each by its name, checked to be of its role's kind (a
 * listening SOCK_SEQPACKET or SOCK_STREAM Unix socket, a SOCK_DGRAM Unix
 * socket, a character device), made non-blocking and close-on-exec.  A
 * lone SOCK_SEQPACKET socket without a known name is ours, as before
 * names were used.  Returns the number found (0: not activated), or
 * -EINVAL after logging which descriptor is wrong (a descriptor of
 * unknown name or kind is an error: the units and the daemon disagree).
 * The stdout streams systemd kept for us (stdout_in.h) are not sockets
 * to listen on: they go, non-blocking and close-on-exec too, into
 * *ret_stored[0, *ret_nstored) (to free; NULL if none).
 */
int	mml_listen_activated(struct mml_listen *ret, int cap, int *ret_n,
	    struct mml_listen_stored **ret_stored, int *ret_nstored);

/*
 * Binds a Unix socket of type (SOCK_SEQPACKET, SOCK_STREAM: listening;
 * SOCK_DGRAM) at path with mode, non-blocking and close-on-exec.  The
 * parent directory is created if missing (0755), and refused if another
 * user than root or us owns it, or if anyone may write to it without
 * the sticky bit: whoever controls the directory could replace the
 * socket.  The socket is created with its mode (umask), never changed
 * after bind(), so that no one can connect in between.  A stale socket
 * (nobody answering) is replaced; a live one or a non-socket is left
 * alone.  Returns the descriptor, or -errno after logging why.
 */
int	mml_listen_bind(const char *path, int type, mode_t mode);

#endif /* MML_LISTEN_H */
