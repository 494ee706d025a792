/*
 * peers.c: the same unbatched ingest into rsyslogd, for comparison
 * (BENCH=peers): rsyslogd's imuxsock against mmlogd's own protocol
 * (peers.mmlogd), and against mmlogd's syslog socket on the very same
 * datagrams (peers.syslog).
 *
 * rsyslogd runs in the foreground on a private configuration: imuxsock
 * on a socket in our temporary directory with rate limiting off (so it
 * drops nothing on purpose), omfile into a file there.  Clients send
 * what syslog(3) sends to /dev/log, one datagram per entry; an entry is
 * consumed when its line is in the file.  The bench installs nothing:
 * without rsyslogd (apt-get install rsyslog) it says so and skips.
 * $RSYSLOGD names another binary, $RSYSLOG_MODDIR its module directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

uint64_t
consumed_lines(void *arg)
{
	struct line_counter *lc = arg;
	static char buf[1 << 16];
	const char *p, *end;
	ssize_t n;

	if (lc->fd < 0) {
		lc->fd = open(lc->path, O_RDONLY | O_CLOEXEC);
		if (lc->fd < 0)
			return lc->lines;
	}
	while ((n = pread(lc->fd, buf, sizeof(buf), lc->off)) > 0) {
		lc->off += n;
		for (p = buf, end = buf + n;
		    (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
			lc->lines++;
	}
	return lc->lines;
}

int
find_rsyslogd(char *out, size_t cap)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin",
	    "/usr/local/sbin", "/usr/bin", "/bin" };
	const char *env = getenv("RSYSLOGD");
	size_t i;

	if (env != NULL && *env != '\0') {
		(void)snprintf(out, cap, "%s", env);
		return access(out, X_OK) == 0 ? 0 : -ENOENT;
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		(void)snprintf(out, cap, "%s/rsyslogd", dirs[i]);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

static int
write_conf(const struct bench_cfg *cfg, const char *conf, const char *sock,
    const char *out)
{
	char work[400];
	FILE *f;

	(void)snprintf(work, sizeof(work), "%s/rsyslog.work", cfg->tmp);
	if (mkdir(work, 0700) < 0 && errno != EEXIST)
		return -errno;
	f = fopen(conf, "we");
	if (f == NULL)
		return -errno;
	(void)fprintf(f,
	    "global(workDirectory=\"%s\")\n"
	    "module(load=\"imuxsock\" SysSock.Use=\"off\")\n"
	    "input(type=\"imuxsock\" Socket=\"%s\" RateLimit.Interval=\"0\")\n"
	    "*.* action(type=\"omfile\" file=\"%s\")\n", work, sock, out);
	return fclose(f) == 0 ? 0 : -errno;
}

/* rsyslogd is up once its socket takes a connection. */
static int
wait_socket(const char *path, pid_t pid, double timeout_s)
{
	struct sockaddr_un sa;
	double end = bench_now() + timeout_s;
	int fd, st, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	while (bench_now() < end) {
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		(void)close(fd);
		if (r == 0)
			return 0;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return -ECHILD;
		bench_sleep(0.01);
	}
	return -ETIMEDOUT;
}

void
part_peers(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon)
{
	char bin[400], conf[400], sock[400], pidf[400], name[64], base[64];
	char *argv[12];
	const char *moddir = getenv("RSYSLOG_MODDIR");
	struct line_counter lc;
	struct load ls, lm, ly;
	struct figure *f;
	double rs, rm, ry;
	double rs_cpu = NAN, ry_cpu = NAN;
	pid_t pid = -1;
	int c, rep, argc = 0, r;

	if (find_rsyslogd(bin, sizeof(bin)) < 0) {
		bench_log("peers: rsyslogd not found; skipping the comparison "
		    "(apt-get install rsyslog, then BENCH=peers make bench)");
		f = fig_add("peers.rsyslogd", NAN, "entries/s", NULL, NAN);
		fig_skip(f, "rsyslogd not installed (apt-get install rsyslog)");
		return;
	}
	(void)snprintf(conf, sizeof(conf), "%s/rsyslog.conf", cfg->tmp);
	(void)snprintf(sock, sizeof(sock), "%s/rsyslog.sock", cfg->tmp);
	(void)snprintf(pidf, sizeof(pidf), "%s/rsyslog.pid", cfg->tmp);
	memset(&lc, 0, sizeof(lc));
	lc.fd = -1;
	(void)snprintf(lc.path, sizeof(lc.path), "%s/rsyslog.out", cfg->tmp);
	r = write_conf(cfg, conf, sock, lc.path);
	argv[argc++] = bin;
	argv[argc++] = "-n";
	argv[argc++] = "-f";
	argv[argc++] = conf;
	argv[argc++] = "-i";
	argv[argc++] = pidf;
	if (moddir != NULL && *moddir != '\0') {
		argv[argc++] = "-M";
		argv[argc++] = (char *)(uintptr_t)moddir;
	}
	argv[argc] = NULL;
	if (r == 0)
		r = spawn_bg(cfg, argv, "rsyslogd.log", &pid);
	if (r == 0) {
		r = wait_socket(sock, pid, 10);
		if (r < 0)
			pid = -1;
	}
	if (r < 0) {
		bench_log("peers: rsyslogd did not start (%s); see "
		    "%s/rsyslogd.log", strerror(-r), cfg->tmp);
		f = fig_add("peers.rsyslogd", NAN, "entries/s", NULL, NAN);
		fig_invalid(f, "rsyslogd did not start: %s", strerror(-r));
		cfg->keep = 1;
		return;
	}
	for (c = 0; c < cfg->n_clients; c++) {
		rs = rm = ry = NAN;
		memset(&ls, 0, sizeof(ls));
		memset(&lm, 0, sizeof(lm));
		memset(&ly, 0, sizeof(ly));
		for (rep = 0; rep < cfg->reps; rep++) {
			memset(&ls, 0, sizeof(ls));
			ls.kind = W_DGRAM;
			ls.clients = cfg->clients[c];
			ls.entry_size = 128;
			ls.seconds = cfg->run_s;
			ls.path = sock;
			ls.consumed = consumed_lines;
			ls.arg = &lc;
			ls.cpu_pid = pid;
			if (load_run(&ls) == 0 && (isnan(rs) ||
			    ls.sent / ls.elapsed_s > rs)) {
				rs = ls.sent / ls.elapsed_s;
				rs_cpu = ls.cpu_s / (double)ls.sent * 1e9;
			}

			/* The same datagrams into mmlogd's syslog socket. */
			ly = ls;
			ly.path = cfg->syslog_path;
			ly.consumed = consumed_ring;
			ly.arg = rv;
			ly.cpu_pid = daemon;
			if (load_run(&ly) == 0 && (isnan(ry) ||
			    ly.sent / ly.elapsed_s > ry)) {
				ry = ly.sent / ly.elapsed_s;
				ry_cpu = ly.cpu_s / (double)ly.sent * 1e9;
			}

			lm = ls;
			lm.kind = W_MMLOG;
			lm.final_sync = 1;
			lm.path = cfg->sock_path;
			lm.consumed = consumed_ring;
			lm.arg = rv;
			lm.cpu_pid = daemon;
			if (load_run(&lm) == 0 && (isnan(rm) ||
			    lm.sent / lm.elapsed_s > rm))
				rm = lm.sent / lm.elapsed_s;
		}
		bench_log("peers x%-2d  mmlogd %.3gk/s  mmlogd syslog %.3gk/s  "
		    "rsyslogd %.3gk/s", cfg->clients[c], rm / 1e3, ry / 1e3,
		    rs / 1e3);
		(void)snprintf(name, sizeof(name), "peers.mmlogd.128.c%d",
		    cfg->clients[c]);
		(void)snprintf(base, sizeof(base), "rsyslogd.128.c%d",
		    cfg->clients[c]);
		f = fig_add(name, rm, "entries/s", base, rs);
		if (!lm.ok)
			fig_invalid(f, "%s", lm.why);
		if (!ls.ok)
			fig_invalid(f, "rsyslogd: %s", ls.why);
		fig_extra(f, "rsyslogd_cpu_ns_per_entry",
		    ls.cpu_s / (double)ls.sent * 1e9);
		fig_extra(f, "mmlogd_cpu_ns_per_entry",
		    lm.cpu_s / (double)lm.sent * 1e9);

		(void)snprintf(name, sizeof(name), "peers.syslog.128.c%d",
		    cfg->clients[c]);
		f = fig_add(name, ry, "entries/s", base, rs);
		if (!ly.ok)
			fig_invalid(f, "%s", ly.why);
		if (!ls.ok)
			fig_invalid(f, "rsyslogd: %s", ls.why);
		fig_extra(f, "rsyslogd_cpu_ns_per_entry", rs_cpu);
		fig_extra(f, "mmlogd_cpu_ns_per_entry", ry_cpu);
		fig_target(f, ">= 3 x rsyslogd", fig_ratio(f) >= 3);
	}
	(void)kill(pid, SIGTERM);
	(void)wait_child(pid, 30);
	if (lc.fd >= 0)
		(void)close(lc.fd);
}
