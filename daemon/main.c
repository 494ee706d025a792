/*
 * main.c: mmlogd's options, socket activation, signals and event loop.
 *
 * Fatal errors exist only before READY=1: a bad option, a ring that
 * cannot be opened, a socket that cannot be bound.  After that nothing a
 * peer sends and no I/O error ends the daemon; SIGTERM and SIGINT stop
 * it in order (everything synced, the ring marked clean).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "mmlogd.h"

#define MMLOGD_VERSION	"0.1.0"

struct daemon_state {
	struct ev_loop *loop;
	struct mml_server *srv;
	struct mml_ring *ring;
	ev_signal sigterm, sigint, sighup;
	ev_timer watchdog;
	ev_timer status;
	uint64_t status_entries;
	ev_tstamp status_at;
};

static void
usage(FILE *f)
{
	(void)fprintf(f,
	    "usage: mmlogd [options]\n"
	    "  --socket PATH        listening socket (default %s)\n"
	    "  --file PATH          ring file (default %s)\n"
	    "  --size SIZE          ring data size for a new ring, K/M/G "
	    "suffixes (default 64M)\n"
	    "  --max-entry BYTES    largest tag+message+fields accepted "
	    "(default %d)\n"
	    "  --sync-interval MS   sync unasked data this often (default %d)\n"
	    "  --max-clients N      concurrent clients (default %d)\n"
	    "  --idle-timeout S     close clients idle this long, 0 never "
	    "(default %d)\n"
	    "  -v, --verbose        debug diagnostics\n"
	    "  -V, --version        print the version\n"
	    "  -h, --help           this text\n",
	    MML_DEFAULT_SOCKET, MML_DEFAULT_FILE, MML_DEFAULT_MAX_ENTRY,
	    MML_DEFAULT_SYNC_MS, MML_DEFAULT_MAX_CLIENTS, MML_DEFAULT_IDLE_S);
}

/* Parses "64M", "1G", "65536"; returns 0, or -EINVAL / -ERANGE. */
static int
parse_size(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (*s == '\0' || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -ERANGE;
	if (*end != '\0') {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: return -EINVAL;
		}
		end++;
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
		if (*end != '\0')
			return -EINVAL;
	}
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret = (uint64_t)v << shift;
	return 0;
}

static int
parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	if (*s == '\0' || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

/*
 * Binds the socket ourselves: parent directory created, a stale socket
 * (nobody listening) replaced, a live one or a non-socket left alone.
 * Anyone may log, as with /dev/log: mode 0666.
 */
static int
bind_socket(const char *path)
{
	struct sockaddr_un sa;
	struct stat st;
	char *dir = NULL, *p;
	int fd = -1, probe, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		mml_log(LOG_ERR, "socket path '%s' is too long", path);
		return -ENAMETOOLONG;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	dir = strdup(path);
	if (dir == NULL)
		return -ENOMEM;
	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			r = mml_log_errno(errno, "create directory '%s'", dir);
			goto out;
		}
		*p = '/';
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			mml_log(LOG_ERR, "'%s' exists and is not a socket; "
			    "refusing to replace it", path);
			r = -EEXIST;
			goto out;
		}
		probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa,
		    sizeof(sa)) == 0) {
			(void)close(probe);
			mml_log(LOG_ERR, "another mmlogd listens on '%s'", path);
			r = -EADDRINUSE;
			goto out;
		}
		if (probe >= 0)
			(void)close(probe);
		(void)unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = mml_log_errno(errno, "socket");
		goto out;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = mml_log_errno(errno, "bind '%s'", path);
		goto out;
	}
	if (chmod(path, 0666) < 0) {
		r = mml_log_errno(errno, "chmod '%s'", path);
		goto out;
	}
	if (listen(fd, SOMAXCONN) < 0) {
		r = mml_log_errno(errno, "listen '%s'", path);
		goto out;
	}
	r = fd;
	fd = -1;
out:
	if (fd >= 0)
		(void)close(fd);
	free(dir);
	return r;
}

/* The socket from systemd, if it passed exactly one of the right kind. */
static int
activated_socket(int *ret_fd)
{
	int n, fd;

	n = sd_listen_fds(1);
	if (n < 0)
		return mml_log_errno(n, "sd_listen_fds");
	if (n == 0)
		return 0;
	if (n > 1) {
		mml_log(LOG_ERR, "systemd passed %d sockets, expected one", n);
		return -EINVAL;
	}
	fd = SD_LISTEN_FDS_START;
	if (sd_is_socket_unix(fd, SOCK_SEQPACKET, 1, NULL, 0) <= 0) {
		mml_log(LOG_ERR, "the socket systemd passed is not a listening "
		    "SOCK_SEQPACKET Unix socket");
		return -EINVAL;
	}
	/* The loop must never block on it. */
	{
		int fl = fcntl(fd, F_GETFL);

		if (fl >= 0)
			(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	*ret_fd = fd;
	return 1;
}

static void
stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	mml_log(LOG_NOTICE, "signal %d, shutting down", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void
hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	mml_log(LOG_INFO, "SIGHUP: no configuration to reload");
}

static void
watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	(void)sd_notify(0, "WATCHDOG=1");
}

static void
status_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon_state *d = container_of(w, struct daemon_state, status);
	const struct mml_server_stats *st = mml_server_get_stats(d->srv);
	ev_tstamp now = ev_now(loop), dt = now - d->status_at;
	double rate = dt > 0 ? (st->entries - d->status_entries) / dt : 0;

	(void)revents;
	(void)sd_notifyf(0, "STATUS=%u clients, %llu entries, %.0f entries/s, "
	    "durable up to seq %llu", mml_server_clients(d->srv),
	    (unsigned long long)st->entries, rate,
	    (unsigned long long)d->ring->durable_seq);
	d->status_entries = st->entries;
	d->status_at = now;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "file", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 'S' },
		{ "max-entry", required_argument, NULL, 'm' },
		{ "sync-interval", required_argument, NULL, 'i' },
		{ "max-clients", required_argument, NULL, 'c' },
		{ "idle-timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon_state d;
	struct mml_server_opts so = {
		.max_entry = MML_DEFAULT_MAX_ENTRY,
		.sync_interval_ms = MML_DEFAULT_SYNC_MS,
		.max_clients = MML_DEFAULT_MAX_CLIENTS,
		.idle_timeout_s = MML_DEFAULT_IDLE_S,
	};
	const char *socket_path = MML_DEFAULT_SOCKET;
	const char *file_path = MML_DEFAULT_FILE;
	uint64_t size = MML_DEFAULT_SIZE, wd_usec = 0, min_cap;
	unsigned long v;
	int ch, r, size_explicit = 0, listen_fd = -1, bound = 0, ret = 1;

	memset(&d, 0, sizeof(d));
	while ((ch = getopt_long(argc, argv, "vVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			socket_path = optarg;
			break;
		case 'f':
			file_path = optarg;
			break;
		case 'S':
			r = parse_size(optarg, &size);
			if (r < 0 || size < MML_DISK_CAP_MIN ||
			    size > MML_DISK_CAP_MAX) {
				(void)fprintf(stderr, "mmlogd: --size '%s': "
				    "expected 64K..1T, e.g. 64M\n", optarg);
				return 2;
			}
			size &= ~(uint64_t)(MML_DISK_ALIGN - 1);
			size_explicit = 1;
			break;
		case 'm':
			if (parse_uint(optarg, MML_FRAME_MAX - 64, &v) < 0 ||
			    v < 1) {
				(void)fprintf(stderr, "mmlogd: --max-entry '%s': "
				    "expected 1..%d bytes\n", optarg,
				    MML_FRAME_MAX - 64);
				return 2;
			}
			so.max_entry = v;
			break;
		case 'i':
			if (parse_uint(optarg, 3600000, &v) < 0 || v < 1) {
				(void)fprintf(stderr, "mmlogd: --sync-interval "
				    "'%s': expected 1..3600000 ms\n", optarg);
				return 2;
			}
			so.sync_interval_ms = (unsigned)v;
			break;
		case 'c':
			if (parse_uint(optarg, 1000000, &v) < 0 || v < 1) {
				(void)fprintf(stderr, "mmlogd: --max-clients "
				    "'%s': expected 1..1000000\n", optarg);
				return 2;
			}
			so.max_clients = (unsigned)v;
			break;
		case 't':
			if (parse_uint(optarg, 86400 * 365, &v) < 0) {
				(void)fprintf(stderr, "mmlogd: --idle-timeout "
				    "'%s': expected seconds, 0 for never\n",
				    optarg);
				return 2;
			}
			so.idle_timeout_s = (unsigned)v;
			break;
		case 'v':
			mml_log_level = LOG_DEBUG;
			break;
		case 'V':
			(void)printf("mmlogd %s\n", MMLOGD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		(void)fprintf(stderr, "mmlogd: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	/* One line per write, even when stderr is a pipe to journald. */
	setvbuf(stderr, NULL, _IOLBF, 0);
	(void)signal(SIGPIPE, SIG_IGN);
	/* A file size limit must be an error we report (EFBIG), not death. */
	(void)signal(SIGXFSZ, SIG_IGN);

	/* Room for four of the largest records, so eviction always works. */
	min_cap = 4 * mml_disk_rec_size(MML_COMM_MAX, 0, so.max_entry, 0);
	if (min_cap < MML_DISK_CAP_MIN)
		min_cap = MML_DISK_CAP_MIN;
	if (size < min_cap) {
		(void)fprintf(stderr, "mmlogd: --size %llu is too small for "
		    "--max-entry %zu (need %llu)\n", (unsigned long long)size,
		    so.max_entry, (unsigned long long)min_cap);
		return 2;
	}
	r = mml_ring_open(file_path, size, size_explicit, min_cap, &d.ring);
	if (r < 0)
		goto out;
	r = activated_socket(&listen_fd);
	if (r < 0)
		goto out;
	if (r == 0) {
		listen_fd = bind_socket(socket_path);
		if (listen_fd < 0)
			goto out;
		bound = 1;
		/* Nobody will accept what waits in our listen queue after us. */
		so.drain_backlog = 1;
	}
	d.loop = ev_default_loop(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
	if (d.loop == NULL) {
		mml_log(LOG_ERR, "cannot initialise the event loop");
		goto out;
	}
	d.srv = mml_server_new(d.loop, d.ring, listen_fd, &so);
	if (d.srv == NULL) {
		mml_log(LOG_ERR, "cannot create the server: out of memory");
		goto out;
	}
	ev_signal_init(&d.sigterm, stop_cb, SIGTERM);
	ev_signal_start(d.loop, &d.sigterm);
	ev_signal_init(&d.sigint, stop_cb, SIGINT);
	ev_signal_start(d.loop, &d.sigint);
	ev_signal_init(&d.sighup, hup_cb, SIGHUP);
	ev_signal_start(d.loop, &d.sighup);
	ev_unref(d.loop);
	ev_unref(d.loop);
	ev_unref(d.loop);
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
		/* Twice per period, as sd_watchdog_enabled(3) advises. */
		ev_timer_init(&d.watchdog, watchdog_cb, wd_usec / 2e6,
		    wd_usec / 2e6);
		ev_timer_start(d.loop, &d.watchdog);
	}
	d.status_at = ev_now(d.loop);
	ev_timer_init(&d.status, status_cb, 5., 5.);
	ev_timer_start(d.loop, &d.status);

	mml_log(LOG_NOTICE, "mmlogd %s ready: socket '%s'%s, ring '%s', "
	    "next seq %llu", MMLOGD_VERSION, socket_path,
	    bound ? "" : " (from systemd)", file_path,
	    (unsigned long long)d.ring->next_seq);
	(void)sd_notifyf(0, "READY=1\nSTATUS=ready, ring %s, next seq %llu\n"
	    "MAINPID=%d", file_path, (unsigned long long)d.ring->next_seq,
	    (int)getpid());
	if (d.ring->lost_seqs)
		mml_log(LOG_WARNING, "entries numbered before %llu that were "
		    "not yet durable at the earlier crash are lost",
		    (unsigned long long)d.ring->next_seq);

	ev_run(d.loop, 0);

	(void)sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	mml_server_shutdown(d.srv);
	ret = 0;
out:
	if (d.srv != NULL)
		d.srv = mml_server_free(d.srv);
	if (d.loop != NULL) {
		ev_timer_stop(d.loop, &d.watchdog);
		ev_timer_stop(d.loop, &d.status);
	}
	if (bound && listen_fd >= 0)
		(void)unlink(socket_path);
	if (listen_fd >= 0)
		(void)close(listen_fd);
	d.ring = mml_ring_close(d.ring);
	if (ret == 0)
		mml_log(LOG_NOTICE, "stopped; ring closed clean");
	return ret;
}
