/*
 * listen.c: the listening sockets (listen.h).  Runs before READY=1, so
 * every error here is logged and fatal to the start, and nothing runs
 * in another thread yet (the umask is the process's).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "listen.h"
#include "log.h"
#include "ringfile.h"
#include "stdout_in.h"

static const char *const role_names[MML_ROLE_MAX] = {
	"mmlogd", "syslog", "journal", "stdout", "kmsg",
};

static int	role_of(const char *, int, enum mml_role *);
static int	role_check(int, enum mml_role);
static int	stale_check(const char *, const struct sockaddr_un *, int);

const char *
mml_role_name(enum mml_role r)
{
	return (unsigned)r < MML_ROLE_MAX ? role_names[r] : "?";
}

/*
 * The role of the descriptor called name; a single unnamed one (systemd
 * says "unknown", systemd-socket-activate without --fdname) is ours if
 * it is a SOCK_SEQPACKET socket.
 */
static int
role_of(const char *name, int alone, enum mml_role *ret)
{
	int r;

	for (r = 0; r < MML_ROLE_MAX; r++)
		if (name != NULL && strcmp(name, role_names[r]) == 0) {
			*ret = (enum mml_role)r;
			return 0;
		}
	/* "mmlog" too: the transport's name. */
	if (name != NULL && strcmp(name, "mmlog") == 0) {
		*ret = MML_ROLE_MMLOG;
		return 0;
	}
	if (alone && (name == NULL || strcmp(name, "unknown") == 0)) {
		*ret = MML_ROLE_MMLOG;
		return 0;
	}
	return -EINVAL;
}

/* Whether fd is what a socket of role must be. */
static int
role_check(int fd, enum mml_role role)
{
	struct stat st;

	switch (role) {
	case MML_ROLE_MMLOG:
		return sd_is_socket_unix(fd, SOCK_SEQPACKET, 1, NULL, 0) > 0;
	case MML_ROLE_SYSLOG:
	case MML_ROLE_JOURNAL:
		return sd_is_socket_unix(fd, SOCK_DGRAM, -1, NULL, 0) > 0;
	case MML_ROLE_STDOUT:
		return sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0;
	case MML_ROLE_KMSG:
		return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode);
	default:
		return 0;
	}
}

/* Whether name is that of a stream from the service manager's store. */
static int
is_stored(const char *name)
{
	return name != NULL && strncmp(name, MML_STDOUT_STORED_PREFIX,
	    sizeof(MML_STDOUT_STORED_PREFIX) - 1) == 0;
}

int
mml_listen_activated(struct mml_listen *ret, int cap, int *ret_n,
    struct mml_listen_stored **ret_stored, int *ret_nstored)
{
	static const char *const kinds[MML_ROLE_MAX] = {
		"a listening SOCK_SEQPACKET", "a SOCK_DGRAM", "a SOCK_DGRAM",
		"a listening SOCK_STREAM", "a character device (/dev/kmsg)",
	};
	struct mml_listen_stored *stored = NULL;
	char **names = NULL;
	enum mml_role role;
	int n, i, k = 0, ns = 0, nsock, fd, fl, r = 0;

	*ret_stored = NULL;
	*ret_nstored = 0;
	n = sd_listen_fds_with_names(1, &names);
	if (n < 0)
		return mml_log_errno(n, "sd_listen_fds");
	for (i = 0; i < n; i++)
		if (names != NULL && is_stored(names[i]))
			ns++;
	nsock = n - ns;
	if (nsock > cap) {
		mml_log(LOG_ERR, "systemd passed %d sockets, more than the "
		    "%d mmlogd takes", nsock, cap);
		r = -EINVAL;
		goto out;
	}
	if (ns > 0 && (stored = calloc((size_t)ns, sizeof(*stored))) == NULL) {
		r = mml_log_errno(ENOMEM, "the streams systemd kept");
		goto out;
	}
	ns = 0;
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		/* The loop must never block on it. */
		fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		if (names != NULL && is_stored(names[i])) {
			stored[ns].fd = fd;
			(void)snprintf(stored[ns].name, sizeof(stored[ns].name),
			    "%s", names[i]);
			ns++;
			continue;
		}
		if (role_of(names != NULL ? names[i] : NULL, nsock == 1,
		    &role) < 0) {
			mml_log(LOG_ERR, "systemd passed descriptor %d named "
			    "'%s', which mmlogd does not know (FileDescriptor"
			    "Name= mmlogd, syslog, journal, stdout or kmsg)",
			    fd, names != NULL ? names[i] : "");
			r = -EINVAL;
			goto out;
		}
		if (!role_check(fd, role)) {
			mml_log(LOG_ERR, "the descriptor systemd passed as '%s' "
			    "is not %s %s", mml_role_name(role), kinds[role],
			    role == MML_ROLE_KMSG ? "" : "Unix socket");
			r = -EINVAL;
			goto out;
		}
		ret[k].fd = fd;
		ret[k].role = role;
		k++;
	}
	*ret_n = k;
	*ret_stored = stored;
	*ret_nstored = ns;
	stored = NULL;
	r = k;
out:
	free(stored);
	if (names != NULL) {
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	return r;
}

/*
 * A socket file already at sa: replaced if stale (nobody answers), kept
 * if alive (-EADDRINUSE), and anything else is left alone (-EEXIST).
 */
static int
stale_check(const char *path, const struct sockaddr_un *sa, int type)
{
	struct stat st;
	int probe, err;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		mml_log(LOG_ERR, "'%s' exists and is not a socket; refusing to "
		    "replace it", path);
		return -EEXIST;
	}
	probe = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return mml_log_errno(errno, "socket");
	/*
	 * Stale means nobody is bound to it: ECONNREFUSED and nothing
	 * else.  A socket of another type (EPROTOTYPE: another service's,
	 * or one of ours named twice) is alive, as is one we may not
	 * reach (EACCES); either is left alone.
	 */
	err = connect(probe, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ?
	    0 : errno;
	(void)close(probe);
	if (err == 0) {
		mml_log(LOG_ERR, "another process listens on '%s'", path);
		return -EADDRINUSE;
	}
	if (err == EPROTOTYPE) {
		mml_log(LOG_ERR, "'%s' is a socket of another type in use (by "
		    "another service, or named for two of mmlogd's sockets); "
		    "refusing to replace it", path);
		return -EADDRINUSE;
	}
	if (err != ECONNREFUSED) {
		mml_log(LOG_ERR, "'%s' is a socket that cannot be probed (%s); "
		    "refusing to replace it", path, strerror(err));
		return -EEXIST;
	}
	(void)unlink(path);
	return 0;
}

int
mml_listen_bind(const char *path, int type, mode_t mode)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd = -1, r;

	if (strlen(path) >= sizeof(sa.sun_path) || path[0] == '\0') {
		mml_log(LOG_ERR, "socket path '%s' is empty or too long", path);
		return -ENAMETOOLONG;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if ((r = mml_dir_prepare(path, "socket")) < 0)
		goto out;
	if ((r = stale_check(path, &sa, type)) < 0)
		goto out;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = mml_log_errno(errno, "socket");
		goto out;
	}
	/* The mode from the start: nobody can connect before it holds. */
	old = umask(~mode & 0777);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	(void)umask(old);
	if (r < 0) {
		r = mml_log_errno(errno, "bind '%s'", path);
		goto out;
	}
	if (type != SOCK_DGRAM && listen(fd, SOMAXCONN) < 0) {
		r = mml_log_errno(errno, "listen '%s'", path);
		(void)unlink(path);
		goto out;
	}
	r = fd;
	fd = -1;
out:
	if (fd >= 0)
		(void)close(fd);
	return r;
}
