/*
 * run.c: mmlogctl run, systemd-cat for mmlogd: connects to the daemon's
 * stdout stream socket, sends journald's stream header (daemon/stream.h,
 * proto/JOURNAL.md), makes the connection the program's standard output
 * and error, and executes the program, which so is itself the sender
 * the daemon sees (SO_PEERCRED: its pid, uid, gid).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

#define STREAM_NAME		"stdout"	/* beside the daemon's socket */
#define HEADER_LINE_MAX		255	/* journald's, '\n' included */
#define SNDBUF_SIZE		(8 * 1024 * 1024)	/* sd_journal_stream_fd()'s */

static int	 stream_path(const struct mml_ctl_opts *, char *, size_t);
static int	 stream_connect(const char *, int *);

/*
 * The stream socket: --stdout-socket, else $MMLOG_STDOUT_SOCKET, else
 * "stdout" in the directory of the daemon's socket.  Returns 0, or a
 * usage error's exit status.
 */
static int
stream_path(const struct mml_ctl_opts *o, char *buf, size_t cap)
{
	const char *env = getenv("MMLOG_STDOUT_SOCKET"), *slash;
	int n;

	if (o->stdout_socket != NULL)
		n = snprintf(buf, cap, "%s", o->stdout_socket);
	else if (env != NULL && *env != '\0')
		n = snprintf(buf, cap, "%s", env);
	else {
		slash = strrchr(o->socket, '/');
		n = slash == NULL ? snprintf(buf, cap, "%s", STREAM_NAME) :
		    snprintf(buf, cap, "%.*s/%s", (int)(slash - o->socket),
		    o->socket, STREAM_NAME);
	}
	if (n <= 0 || (size_t)n >= cap ||
	    (size_t)n >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		return mml_ctl_usage_error("--stdout-socket needs a path of at "
		    "most %zu bytes", sizeof(((struct sockaddr_un *)NULL)->sun_path) -
		    1);
	return 0;
}

/* Connects to path, write-only.  Returns 0 with the socket, or -errno. */
static int
stream_connect(const char *path, int *ret_fd)
{
	struct sockaddr_un sa;
	int fd, sz = SNDBUF_SIZE, e;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		(void)close(fd);
		return -e;
	}
	/* We never read; a large buffer spares the program a wait. */
	(void)shutdown(fd, SHUT_RD);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	*ret_fd = fd;
	return 0;
}

int
mml_ctl_run(const struct mml_ctl_opts *o)
{
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path) + 1];
	char header[HEADER_LINE_MAX + 64];
	const char *tag = o->n_tags > 0 ? o->tags[o->n_tags - 1] : "";
	int level = 6, fac = -1, prefix = 1, fd = -1, err_fd = -1, n, rc, e;
	size_t off;
	ssize_t w;

	if (o->n_args == 0)
		return mml_ctl_usage_error("run needs a command: mmlogctl run "
		    "[-t TAG] [-p PRIO] [--] COMMAND [ARGS...]");
	/*
	 * Without -t, the command's name: the daemon could only take it
	 * from /proc, where a program that ends at once is gone before its
	 * first line is read.
	 */
	if (o->n_tags == 0) {
		tag = strrchr(o->args[0], '/');
		tag = tag != NULL ? tag + 1 : o->args[0];
		if (strlen(tag) >= HEADER_LINE_MAX || strchr(tag, '\n') != NULL)
			tag = "";
	}
	if (o->prio != NULL &&
	    mml_ctl_parse_syslog_prio(o->prio, &level, &fac) < 0)
		return mml_ctl_usage_error("invalid priority '%s' "
		    "([facility.]level: info, local3.warning, 4...)", o->prio);
	if (o->level_prefix != NULL &&
	    (prefix = mml_ctl_parse_bool(o->level_prefix)) < 0)
		return mml_ctl_usage_error("invalid --level-prefix '%s' (a "
		    "boolean: yes, no, 1, 0...)", o->level_prefix);
	if (strlen(tag) >= HEADER_LINE_MAX || strchr(tag, '\n') != NULL)
		return mml_ctl_usage_error("identifier longer than %d bytes, or "
		    "with a newline", HEADER_LINE_MAX - 1);
	if ((rc = stream_path(o, path, sizeof(path))) != 0)
		return rc;
	/*
	 * The header, one line each: identifier, unit id (ours is not
	 * privileged: empty), priority (facility * 8 + level), level
	 * prefix, then forward to syslog, kmsg, console: off.
	 */
	n = snprintf(header, sizeof(header), "%s\n\n%d\n%d\n0\n0\n0\n", tag,
	    (fac < 0 ? 0 : fac) * 8 + level, prefix);
	if (n < 0 || (size_t)n >= sizeof(header))
		return mml_ctl_usage_error("identifier too long");
	if ((rc = stream_connect(path, &fd)) < 0) {
		mml_ctl_msg("%s: %s%s", path, strerror(-rc), rc == -ENOENT ||
		    rc == -ECONNREFUSED ? " (is mmlogd taking stdout streams? "
		    "use --stdout-socket)" : "");
		return EXIT_FAILURE;
	}
	for (off = 0; off < (size_t)n; off += (size_t)w) {
		w = write(fd, header + off, (size_t)n - off);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0) {
			mml_ctl_msg("%s: %s", path, w < 0 ? strerror(errno) :
			    "short write");
			(void)close(fd);
			return EXIT_FAILURE;
		}
	}
	/*
	 * Our own stderr, kept aside (close-on-exec) to say why the program
	 * could not be executed: its stderr is the stream by then.
	 */
	err_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	(void)fflush(stdout);
	if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
		e = errno;
		if (err_fd >= 0)
			(void)dup2(err_fd, STDERR_FILENO);
		mml_ctl_msg("dup2: %s", strerror(e));
		return EXIT_FAILURE;
	}
	(void)close(fd);
	/* The program gets SIGPIPE as our parent left it, not ignored. */
	mml_ctl_sigpipe_restore();
	execvp(o->args[0], o->args);
	e = errno;
	mml_ctl_sigpipe_ignore();
	if (err_fd >= 0)
		(void)dup2(err_fd, STDERR_FILENO);
	mml_ctl_msg("%s: %s", o->args[0], strerror(e));
	/* As env(1) and the shells: 127 not found, 126 not runnable. */
	return e == ENOENT ? 127 : 126;
}
