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
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include <ev.h>

#include "conf.h"
#include "intake.h"
#include "journal_in.h"
#include "kmsg_in.h"
#include "listen.h"
#include "log.h"
#include "macro.h"
#include "resize.h"
#include "ring.h"
#include "ringfile.h"
#include "server.h"
#include "stdout_in.h"
#include "syslog_in.h"
#include "util.h"

#define MMLOGD_VERSION	"0.1.0"

/* Sockets (and /dev/kmsg) the daemon serves, beside its own protocol's. */
#define SOCKS_MAX	(MML_LISTEN_MAX + MML_ROLE_MAX)

/* One of them, and the intake that serves it. */
struct sock {
	int fd;
	enum mml_role role;
	const char *path;	/* what we opened; NULL: systemd's */
	int bound;		/* path is a socket we bound: unlinked at exit */
	void *intake;		/* struct mml_syslog, mml_journal_in, ... */
};

struct daemon_state {
	struct ev_loop *loop;
	struct mml_server *srv;
	struct mml_ring *ring;
	struct sock socks[SOCKS_MAX];
	int n_socks;
	struct mml_conf conf;	/* in effect */
	struct mml_conf next;	/* being read on SIGHUP */
	struct mml_server_opts so;	/* from conf, at start */
	uint64_t min_cap;	/* the smallest ring conf's max-entry allows */
	uid_t run_uid;		/* conf.user's uid and group */
	gid_t run_gid;
	gid_t ring_gid;		/* the ring's group; (gid_t)-1: unchanged */
	int listen_fd;
	int bound;		/* we bound listen_fd (not systemd) */
	/* stdout streams systemd kept for us, until an intake takes them */
	struct mml_listen_stored *stored;
	int n_stored;
	ev_signal sigterm, sigint, sighup;
	ev_timer watchdog;
	ev_timer status;
	uint64_t status_entries;
	ev_tstamp status_at;
};

/*
 * user and group name accounts; a group may also be a number.  Returns
 * 0 or -ENOENT.
 */
static int
lookup_user(const char *name, uid_t *ret_uid, gid_t *ret_gid)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL)
		return -ENOENT;
	*ret_uid = pw->pw_uid;
	*ret_gid = pw->pw_gid;
	return 0;
}

static int
lookup_group(const char *name, gid_t *ret_gid)
{
	struct group *gr;
	uint64_t v;

	errno = 0;
	gr = getgrnam(name);
	if (gr != NULL) {
		*ret_gid = gr->gr_gid;
		return 0;
	}
	/* A number, below (gid_t)-1, which means "unchanged" to chown(2). */
	if (mml_parse_range(name, 0, (uint64_t)(gid_t)-1 - 1, &v) == 0) {
		*ret_gid = (gid_t)v;
		return 0;
	}
	return -ENOENT;
}

/*
 * Gives up root for good: no supplementary groups, then the group,
 * then the user (real, effective and saved, so nothing can be taken
 * back), and no new privileges through exec.  Then checks that root
 * really is out of reach, as OpenBSD's daemons do after setresuid().
 */
static int
drop_privileges(const char *name, uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (setgroups(0, NULL) < 0)
		return mml_log_errno(errno, "setgroups");
	if (setresgid(gid, gid, gid) < 0)
		return mml_log_errno(errno, "setresgid %d", (int)gid);
	if (setresuid(uid, uid, uid) < 0)
		return mml_log_errno(errno, "setresuid %d", (int)uid);
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid || getgroups(0, NULL) != 0) {
		mml_log(LOG_ERR, "dropping privileges to '%s' did not take",
		    name);
		return -EPERM;
	}
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		mml_log(LOG_ERR, "could regain root after dropping to '%s'",
		    name);
		return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return mml_log_errno(errno, "PR_SET_NO_NEW_PRIVS");
	mml_log(LOG_INFO, "running as user '%s' (uid %d, gid %d)", name,
	    (int)uid, (int)gid);
	return 0;
}

/*
 * Adds a socket (or /dev/kmsg) of role: systemd's (path NULL), or what
 * we opened at path (bound: a socket of ours, unlinked at exit).
 */
static int
sock_add(struct daemon_state *d, int fd, enum mml_role role,
    const char *path, int bound)
{
	if (d->n_socks >= SOCKS_MAX) {
		(void)close(fd);
		mml_log(LOG_ERR, "more than %d sockets", SOCKS_MAX);
		return -EINVAL;
	}
	d->socks[d->n_socks].fd = fd;
	d->socks[d->n_socks].role = role;
	d->socks[d->n_socks].path = path;
	d->socks[d->n_socks].bound = bound;
	d->socks[d->n_socks].intake = NULL;
	d->n_socks++;
	return 0;
}

/*
 * The sockets: those systemd passed, told apart by their names; for
 * each role it passed none of, the configured path, bound here.  The
 * kernel log is opened here too, while we may (CAP_SYSLOG).  Returns 0
 * or -errno, logged.
 */
static int
daemon_sockets(struct daemon_state *d)
{
	static const struct {
		enum mml_role role;
		int type;
		size_t off;	/* the path in struct mml_conf */
	} own[] = {
		{ MML_ROLE_SYSLOG, SOCK_DGRAM,
		    offsetof(struct mml_conf, syslog_socket) },
		{ MML_ROLE_JOURNAL, SOCK_DGRAM,
		    offsetof(struct mml_conf, journal_socket) },
		{ MML_ROLE_STDOUT, SOCK_STREAM,
		    offsetof(struct mml_conf, stdout_socket) },
	};
	struct mml_listen act[MML_LISTEN_MAX];
	int have[MML_ROLE_MAX] = { 0 };
	const char *path;
	size_t k;
	int n = 0, i, fd, r;

	r = mml_listen_activated(act, MML_LISTEN_MAX, &n, &d->stored,
	    &d->n_stored);
	if (r < 0)
		return r;
	for (i = 0; i < n; i++) {
		if (act[i].role != MML_ROLE_MMLOG)
			r = sock_add(d, act[i].fd, act[i].role, NULL, 0);
		else if (d->listen_fd < 0)
			d->listen_fd = act[i].fd;
		else {
			mml_log(LOG_ERR, "systemd passed two sockets named "
			    "'mmlogd'");
			r = -EINVAL;
		}
		if (r < 0)
			return r;
		have[act[i].role] = 1;
	}
	if (d->listen_fd < 0) {
		d->listen_fd = mml_listen_bind(d->conf.socket_path,
		    SOCK_SEQPACKET, 0666);
		if (d->listen_fd < 0)
			return d->listen_fd;
		d->bound = 1;
		/* Nobody will accept what waits in our listen queue after us. */
		d->so.drain_backlog = 1;
	}
	for (k = 0; k < sizeof(own) / sizeof(own[0]); k++) {
		path = (const char *)&d->conf + own[k].off;
		if (have[own[k].role] || path[0] == '\0')
			continue;
		/* Anyone may log, as with /dev/log: mode 0666. */
		fd = mml_listen_bind(path, own[k].type, 0666);
		if (fd < 0)
			return fd;
		if ((r = sock_add(d, fd, own[k].role, path, 1)) < 0)
			return r;
	}
	if (!have[MML_ROLE_KMSG] && d->conf.kmsg) {
		fd = mml_kmsg_open();
		if (fd < 0)
			return fd;
		if ((r = sock_add(d, fd, MML_ROLE_KMSG, "/dev/kmsg", 0)) < 0)
			return r;
	}
	return 0;
}

static void
stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	mml_log(LOG_NOTICE, "signal %d, shutting down", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void
server_opts(const struct mml_conf *c, struct mml_server_opts *so)
{
	memset(so, 0, sizeof(*so));
	so->sync_interval_ms = (unsigned)c->sync_interval_ms;
	mml_limits_default(&so->limits);
	so->limits.max_entry = c->max_entry;
	so->limits.max_clients = (unsigned)c->max_clients;
	so->limits.max_clients_per_uid = (unsigned)c->max_clients_per_uid;
	so->limits.reserved_clients = (unsigned)c->reserved_clients;
	so->limits.idle_timeout_s = (unsigned)c->idle_timeout_s;
	so->limits.max_fields = (unsigned)c->max_fields;
	so->limits.max_pending = (unsigned)c->max_pending;
	so->limits.max_pending_per_uid = (unsigned)c->max_pending_per_uid;
	so->limits.uid_share = (unsigned)c->uid_share;
	so->limits.uid_share_interval_s = (unsigned)c->uid_share_interval_s;
	so->limits.rate_interval_ms = (unsigned)c->rate_limit_interval_ms;
	so->limits.rate_burst = (unsigned)c->rate_limit_burst;
	so->limits.rate_key = c->rate_limit_by == MML_RATE_BY_PID ?
	    MML_RATE_BY_PID : MML_RATE_BY_UID;
}

/*
 * SIGHUP: the file is read again (the command line still overrides it).
 * A file with errors changes nothing.  Limits, the sync interval and
 * verbosity apply at once; the rest is reported as needing a restart.
 */
static void
hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon_state *d = container_of(w, struct daemon_state, sighup);
	struct mml_server_opts so;
	struct mml_conf *next = &d->next;
	int n;

	(void)loop;
	(void)revents;
	*next = d->conf;
	if (mml_conf_load(next) < 0) {
		mml_log(LOG_ERR, "SIGHUP: configuration '%s' has errors; "
		    "nothing changed", next->config_path);
		return;
	}
	if (mml_conf_min_cap(next) > mml_ring_capacity(d->ring)) {
		mml_log(LOG_ERR, "SIGHUP: max-entry = %llu does not fit the "
		    "ring (%llu bytes hold four of at most %llu); keeping %llu",
		    (unsigned long long)next->max_entry,
		    (unsigned long long)mml_ring_capacity(d->ring),
		    (unsigned long long)(mml_ring_capacity(d->ring) / 4),
		    (unsigned long long)d->conf.max_entry);
		next->max_entry = d->conf.max_entry;
	}
	n = mml_conf_update(&d->conf, next);
	if (n == 0) {
		mml_log(LOG_INFO, "SIGHUP: configuration '%s' read; nothing "
		    "to change", next->config_path);
		return;
	}
	mml_log_level = d->conf.verbose ? LOG_DEBUG : LOG_INFO;
	server_opts(&d->conf, &so);
	mml_server_set_opts(d->srv, &so);
	mml_log(LOG_NOTICE, "SIGHUP: %d setting%s applied", n,
	    n == 1 ? "" : "s");
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
	uint64_t entries = mml_intake_total_entries(mml_server_intake(d->srv));
	ev_tstamp now = ev_now(loop), dt = now - d->status_at;
	double rate = dt > 0 ? (entries - d->status_entries) / dt : 0;

	(void)revents;
	(void)sd_notifyf(0, "STATUS=%u clients, %llu entries, %.0f entries/s, "
	    "durable up to seq %llu", mml_server_clients(d->srv),
	    (unsigned long long)entries, rate,
	    (unsigned long long)mml_ring_durable_seq(d->ring));
	d->status_entries = entries;
	d->status_at = now;
}

/*
 * Checks what the configuration names outside itself, before anything is
 * created: that the ring can hold an entry of max-entry, and that the
 * user and group exist (and that only root asks to change user).
 * Returns 0, or the exit code after logging why.
 */
static int
conf_check(struct daemon_state *d, int action)
{
	const struct mml_conf *c = &d->conf;

	d->min_cap = mml_conf_min_cap(c);
	if (c->size < d->min_cap) {
		mml_log(LOG_ERR, "size %llu is too small for max-entry %llu "
		    "(need %llu)", (unsigned long long)c->size,
		    (unsigned long long)c->max_entry,
		    (unsigned long long)d->min_cap);
		return action == MML_CONF_CHECK ? 1 : 2;
	}
	d->ring_gid = (gid_t)-1;
	if (c->user[0] != '\0') {
		if (lookup_user(c->user, &d->run_uid, &d->run_gid) < 0) {
			mml_log(LOG_ERR, "user '%s': no such user", c->user);
			return 2;
		}
		if (geteuid() != 0 && action == MML_CONF_RUN) {
			mml_log(LOG_ERR, "user '%s': only root can change user "
			    "(running as uid %d)", c->user, (int)geteuid());
			return 2;
		}
		d->ring_gid = d->run_gid;
	}
	if (c->group[0] != '\0' && lookup_group(c->group, &d->ring_gid) < 0) {
		mml_log(LOG_ERR, "group '%s': no such group", c->group);
		return 2;
	}
	return 0;
}

/*
 * Opens what needs privileges: the ring (resized if asked), the
 * listening socket (systemd's, or bound here), the ring's owner; then
 * gives them up.  Returns 0, or -errno after logging why.
 */
static int
daemon_open(struct daemon_state *d)
{
	const struct mml_conf *c = &d->conf;
	int r;

	/* The ring may be --user's already, from an earlier start. */
	if (c->user[0] != '\0')
		mml_ringfile_set_owner(d->run_uid);
	r = mml_resize_open(c->file_path, c->size, mml_conf_is_set(c, "size"),
	    (int)c->resize, d->min_cap, &d->ring);
	if (r < 0)
		return r;
	r = mml_ring_set_write(d->ring, (enum mml_ring_write)c->ring_write);
	if (r < 0)
		return mml_log_errno(-r, "ring-write");
	r = daemon_sockets(d);
	if (r < 0)
		return r;
	/*
	 * Ownership only when asked for: under systemd (User=, Group=) the
	 * ring is created right, and the unit's syscall filter has no chown.
	 */
	if (c->user[0] != '\0' || c->group[0] != '\0') {
		r = mml_ring_set_owner(d->ring, c->user[0] != '\0' ?
		    d->run_uid : (uid_t)-1, d->ring_gid);
		if (r < 0)
			return r;
	}
	if (c->user[0] != '\0')
		return drop_privileges(c->user, d->run_uid, d->run_gid);
	return 0;
}

/*
 * name in the directory of our own socket, the runtime directory
 * (/run/mmlogd under systemd, ./var with make run), into buf: the
 * kernel log's state file, the stored streams' directory.
 */
static const char *
beside_socket(const struct daemon_state *d, const char *name, char *buf,
    size_t len)
{
	const char *p = d->conf.socket_path, *slash = strrchr(p, '/');

	if (slash == NULL)
		(void)snprintf(buf, len, "%s", name);
	else
		(void)snprintf(buf, len, "%.*s/%s", (int)(slash - p), p, name);
	return buf;
}

/*
 * Where the state of the stdout streams handed to systemd's store lives
 * (/run/mmlogd/streams).  Only under a service manager ($NOTIFY_SOCKET),
 * which alone keeps them; NULL otherwise.
 */
static const char *
stream_store_dir(const struct daemon_state *d, char *buf, size_t len)
{
	if (getenv("NOTIFY_SOCKET") == NULL)
		return NULL;
	return beside_socket(d, "streams", buf, len);
}

/*
 * The stdout streams systemd passed back go on in the first stdout
 * intake; with none (the configuration changed), each is closed and
 * taken out of systemd's store, so its writer sees its end.
 */
static void
streams_restore(struct daemon_state *d)
{
	struct mml_stdout *so = NULL;
	int i, n = 0;

	for (i = 0; i < d->n_socks && so == NULL; i++)
		if (d->socks[i].role == MML_ROLE_STDOUT)
			so = d->socks[i].intake;
	for (i = 0; i < d->n_stored; i++) {
		if (so == NULL) {
			mml_log(LOG_WARNING, "stdout stream '%s' from systemd: no "
			    "stdout intake runs; closing it", d->stored[i].name);
			mml_stdout_forget(d->stored[i].fd, d->stored[i].name);
		} else if (mml_stdout_restore(so, d->stored[i].fd,
		    d->stored[i].name) == 0)
			n++;
	}
	if (so != NULL)
		mml_stdout_restore_end(so);
	if (d->n_stored > 0)
		mml_log(LOG_NOTICE, "%d of %d stdout streams kept by systemd "
		    "taken back", n, d->n_stored);
	free(d->stored);
	d->stored = NULL;
	d->n_stored = 0;
}

/* An intake on each socket, all sharing the server's submit path. */
static int
intakes_start(struct daemon_state *d)
{
	struct mml_intake *in = mml_server_intake(d->srv);
	char state[PATH_MAX], store[PATH_MAX];
	struct sock *k;
	int i;

	for (i = 0; i < d->n_socks; i++) {
		k = &d->socks[i];
		switch (k->role) {
		case MML_ROLE_SYSLOG:
			k->intake = mml_syslog_new(d->loop, in, k->fd);
			break;
		case MML_ROLE_JOURNAL:
			k->intake = mml_journal_in_new(d->loop, in, k->fd);
			break;
		case MML_ROLE_STDOUT:
			k->intake = mml_stdout_new(d->loop, in, k->fd,
			    (unsigned)d->conf.max_streams,
			    stream_store_dir(d, store, sizeof(store)));
			break;
		case MML_ROLE_KMSG:
			k->intake = mml_kmsg_in_new(d->loop, in, k->fd,
			    beside_socket(d, MML_KMSG_STATE_NAME, state,
			    sizeof(state)));
			break;
		default:
			break;
		}
		if (k->intake == NULL) {
			mml_log(LOG_ERR, "cannot start the %s intake: out of "
			    "memory", mml_role_name(k->role));
			return -ENOMEM;
		}
	}
	streams_restore(d);
	return 0;
}

/*
 * At shutdown, before the last sync: what the intakes' peers had
 * queued is stored (bounded), as our own protocol's is.
 */
static void
intakes_drain(struct daemon_state *d)
{
	struct sock *k;
	int i;

	for (i = 0; i < d->n_socks; i++) {
		k = &d->socks[i];
		if (k->intake == NULL)
			continue;
		if (k->role == MML_ROLE_SYSLOG)
			mml_syslog_drain(k->intake);
		else if (k->role == MML_ROLE_JOURNAL)
			mml_journal_in_drain(k->intake);
		else if (k->role == MML_ROLE_STDOUT)
			mml_stdout_drain(k->intake);
		else if (k->role == MML_ROLE_KMSG)
			mml_kmsg_in_drain(k->intake);
	}
}

/* Frees the intakes and closes their sockets, unlinking ours. */
static void
intakes_close(struct daemon_state *d)
{
	struct sock *k;
	int i;

	for (i = 0; i < d->n_socks; i++) {
		k = &d->socks[i];
		if (k->role == MML_ROLE_SYSLOG)
			k->intake = mml_syslog_free(k->intake);
		else if (k->role == MML_ROLE_JOURNAL)
			k->intake = mml_journal_in_free(k->intake);
		else if (k->role == MML_ROLE_STDOUT)
			k->intake = mml_stdout_free(k->intake);
		else if (k->role == MML_ROLE_KMSG)
			k->intake = mml_kmsg_in_free(k->intake);
		if (k->bound)
			(void)unlink(k->path);
		(void)close(k->fd);
	}
	d->n_socks = 0;
}

/*
 * The event loop, the server on it, the intakes, and the daemon's own
 * watchers: signals, the watchdog, the status line.  Returns 0 or
 * -errno, logged.
 */
static int
daemon_loop_init(struct daemon_state *d)
{
	uint64_t wd_usec = 0;

	d->loop = ev_default_loop(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
	if (d->loop == NULL) {
		mml_log(LOG_ERR, "cannot initialise the event loop");
		return -ENOMEM;
	}
	d->srv = mml_server_new(d->loop, d->ring, d->listen_fd, &d->so);
	if (d->srv == NULL) {
		mml_log(LOG_ERR, "cannot create the server: out of memory");
		return -ENOMEM;
	}
	if (intakes_start(d) < 0)
		return -ENOMEM;
	ev_signal_init(&d->sigterm, stop_cb, SIGTERM);
	ev_signal_start(d->loop, &d->sigterm);
	ev_signal_init(&d->sigint, stop_cb, SIGINT);
	ev_signal_start(d->loop, &d->sigint);
	ev_signal_init(&d->sighup, hup_cb, SIGHUP);
	ev_signal_start(d->loop, &d->sighup);
	ev_unref(d->loop);
	ev_unref(d->loop);
	ev_unref(d->loop);
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0) {
		/* Twice per period, as sd_watchdog_enabled(3) advises. */
		ev_timer_init(&d->watchdog, watchdog_cb, wd_usec / 2e6,
		    wd_usec / 2e6);
		ev_timer_start(d->loop, &d->watchdog);
	}
	d->status_at = ev_now(d->loop);
	ev_timer_init(&d->status, status_cb, 5., 5.);
	ev_timer_start(d->loop, &d->status);
	return 0;
}

/* Says so: on stderr, and to systemd (READY=1). */
static void
daemon_ready(const struct daemon_state *d)
{
	struct mml_ring_state rs;

	const struct sock *k;
	int i;

	mml_ring_get_state(d->ring, &rs);
	for (i = 0; i < d->n_socks; i++) {
		k = &d->socks[i];
		mml_log(LOG_INFO, "%s intake on %s%s%s", mml_role_name(k->role),
		    k->path != NULL ? "'" : "", k->path != NULL ? k->path :
		    "a descriptor from systemd", k->path != NULL ? "'" : "");
	}
	mml_log(LOG_NOTICE, "mmlogd %s ready: socket '%s'%s, ring '%s', "
	    "next seq %llu", MMLOGD_VERSION, d->conf.socket_path,
	    d->bound ? "" : " (from systemd)", d->conf.file_path,
	    (unsigned long long)rs.next_seq);
	(void)sd_notifyf(0, "READY=1\nSTATUS=ready, ring %s, next seq %llu\n"
	    "MAINPID=%d", d->conf.file_path, (unsigned long long)rs.next_seq,
	    (int)getpid());
	if (rs.lost_seqs)
		mml_log(LOG_WARNING, "entries numbered before %llu that were "
		    "not yet durable at the earlier crash are lost",
		    (unsigned long long)rs.next_seq);
}

/* Frees what daemon_open() and daemon_loop_init() made, half made too. */
static void
daemon_close(struct daemon_state *d)
{
	intakes_close(d);
	if (d->srv != NULL)
		d->srv = mml_server_free(d->srv);
	if (d->loop != NULL) {
		ev_timer_stop(d->loop, &d->watchdog);
		ev_timer_stop(d->loop, &d->status);
	}
	if (d->bound && d->listen_fd >= 0)
		(void)unlink(d->conf.socket_path);
	if (d->listen_fd >= 0)
		(void)close(d->listen_fd);
	d->listen_fd = -1;
	d->ring = mml_ring_close(d->ring);
}

int
main(int argc, char **argv)
{
	static struct daemon_state d;
	int action, ret;

	d.listen_fd = -1;
	/* One line per write, even when stderr is a pipe to journald. */
	setvbuf(stderr, NULL, _IOLBF, 0);
	action = mml_conf_args(&d.conf, argc, argv);
	switch (action) {
	case MML_CONF_HELP:
		mml_conf_usage(stdout);
		return 0;
	case MML_CONF_VERSION:
		(void)printf("mmlogd %s\n", MMLOGD_VERSION);
		return 0;
	case MML_CONF_RUN:
	case MML_CONF_CHECK:
		break;
	default:
		(void)fprintf(stderr, "see mmlogd --help\n");
		return 2;
	}
	if (mml_conf_load(&d.conf) < 0)
		return 1;
	ret = conf_check(&d, action);
	if (ret != 0)
		return ret;
	if (action == MML_CONF_CHECK) {
		mml_conf_print(&d.conf, stdout);
		return 0;
	}
	mml_log_level = d.conf.verbose ? LOG_DEBUG : LOG_INFO;
	server_opts(&d.conf, &d.so);
	(void)signal(SIGPIPE, SIG_IGN);
	/* A file size limit must be an error we report (EFBIG), not death. */
	(void)signal(SIGXFSZ, SIG_IGN);

	ret = 1;
	if (daemon_open(&d) < 0 || daemon_loop_init(&d) < 0)
		goto out;
	daemon_ready(&d);
	ev_run(d.loop, 0);
	(void)sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	intakes_drain(&d);
	mml_server_shutdown(d.srv);
	ret = 0;
out:
	daemon_close(&d);
	if (ret == 0)
		mml_log(LOG_NOTICE, "stopped; ring closed clean");
	return ret;
}
