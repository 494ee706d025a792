/*
 * forward.c: mmlog-forward's rate to a local rsyslogd over RELP, beside
 * rsyslogd's own intake of the same messages over plain TCP.
 *
 * rsyslogd runs in the foreground on a private configuration: imrelp
 * and imtcp on free ports of 127.0.0.1, both into one ruleset with a
 * Direct queue (so that imrelp acknowledges a message once omfile wrote
 * it, which is what at-least-once needs) and omfile into a file.  We
 * append N fresh entries of 128 bytes to the ring; then, from a cursor
 * just before them:
 *
 *  - forward.relp: `mmlog-forward --once` over RELP, timed from fork to
 *    its exit (every entry acknowledged, cursor written);
 *  - the baseline: the same program over tcp:// (RFC 6587 octet
 *    counting, 64 KiB writes, no acknowledgement), a sender far faster
 *    than rsyslogd's intake, timed from fork to the N-th new line in
 *    rsyslogd's file.  The bytes of each message are the same.
 *
 * Both runs check that rsyslogd's file gained exactly N lines.  Without
 * rsyslogd, or without its imrelp module (rsyslog-relp), the part says
 * so and is skipped.
 */
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "sock.h"

#define FWD_ENTRY_SIZE	128

static int	 have_imrelp(void);
static int	 free_port(void);
static int	 port_up(int);
static int	 write_conf(const struct bench_cfg *, const char *, int, int,
		    const char *);
static int	 append_entries(struct bench_cfg *, struct ring_view *,
		    uint64_t, uint64_t *, uint64_t *);
static int	 write_cursor(const char *, const struct ring_view *, uint64_t);
static double	 run_one(struct bench_cfg *, const char *, const char *,
		    struct line_counter *, uint64_t, const char *, char *,
		    size_t);

static int
have_imrelp(void)
{
	const char *dir = getenv("RSYSLOG_MODDIR");
	char path[400];
	glob_t g;
	int found;

	if (dir != NULL && *dir != '\0') {
		(void)snprintf(path, sizeof(path), "%s/imrelp.so", dir);
		return access(path, R_OK) == 0;
	}
	if (glob("/usr/lib/*/rsyslog/imrelp.so", 0, NULL, &g) == 0) {
		globfree(&g);
		return 1;
	}
	found = access("/usr/lib/rsyslog/imrelp.so", R_OK) == 0 ||
	    access("/usr/lib64/rsyslog/imrelp.so", R_OK) == 0;
	return found;
}

/* A port nobody listens on now: the kernel's pick for port 0. */
static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, port = -1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	(void)close(fd);
	return port;
}

static int
port_up(int port)
{
	struct sockaddr_in sa;
	int fd, r;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	(void)close(fd);
	return r == 0;
}

static int
write_conf(const struct bench_cfg *cfg, const char *conf, int relp_port,
    int tcp_port, const char *out)
{
	char work[400];
	FILE *f;

	(void)snprintf(work, sizeof(work), "%s/rsyslog-fwd.work", cfg->tmp);
	if (mkdir(work, 0700) < 0 && errno != EEXIST)
		return -errno;
	f = fopen(conf, "we");
	if (f == NULL)
		return -errno;
	(void)fprintf(f,
	    "global(workDirectory=\"%s\" maxMessageSize=\"64k\")\n"
	    "module(load=\"imrelp\")\n"
	    "module(load=\"imtcp\")\n"
	    "input(type=\"imrelp\" address=\"127.0.0.1\" port=\"%d\" "
	    "ruleset=\"fwd\")\n"
	    "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"%d\" "
	    "ruleset=\"fwd\")\n"
	    "ruleset(name=\"fwd\" queue.type=\"Direct\") {\n"
	    "  action(type=\"omfile\" file=\"%s\" "
	    "template=\"RSYSLOG_SyslogProtocol23Format\")\n"
	    "}\n", work, relp_port, tcp_port, out);
	return fclose(f) == 0 ? 0 : -errno;
}

/*
 * Appends about n entries of FWD_ENTRY_SIZE bytes in client-side
 * batches and waits until the ring has them all; stores the seq of the
 * first and how many.  Returns 0 or -errno.
 */
static int
append_entries(struct bench_cfg *cfg, struct ring_view *rv, uint64_t n,
    uint64_t *ret_first, uint64_t *ret_n)
{
	static uint8_t frame[MML_FRAME_MAX];
	uint64_t first, sent = 0;
	size_t len;
	double end;
	int fd, per;

	per = load_batch_entries(FWD_ENTRY_SIZE);
	len = load_build_frame(frame, FWD_ENTRY_SIZE, per);
	fd = mml_sock_connect(cfg->sock_path, SOCK_SEQPACKET, 10000);
	if (fd < 0)
		return fd;
	first = ring_head_seq(rv);
	while (sent < n) {
		if (send(fd, frame, len, MSG_NOSIGNAL) < 0) {
			(void)close(fd);
			return -errno;
		}
		sent += (uint64_t)per;
	}
	(void)close(fd);
	end = bench_now() + 60;
	while (ring_head_seq(rv) < first + sent) {
		if (bench_now() > end)
			return -ETIMEDOUT;
		bench_sleep(0.001);
	}
	*ret_first = first;
	*ret_n = sent;
	return 0;
}

/* An mmlogctl cursor naming seq in the ring. */
static int
write_cursor(const char *path, const struct ring_view *rv, uint64_t seq)
{
	FILE *f;
	int i;

	f = fopen(path, "we");
	if (f == NULL)
		return -errno;
	(void)fprintf(f, "s=");
	for (i = 0; i < 16; i++)
		(void)fprintf(f, "%02x", rv->hdr->ring_id[i]);
	(void)fprintf(f, ";i=%" PRIx64 "\n", seq);
	return fclose(f) == 0 ? 0 : -errno;
}

/*
 * One run of mmlog-forward --once to url, from the cursor: the seconds
 * from fork until it exited 0 and rsyslogd's file gained want lines, or
 * NAN with the reason in why.
 */
static double
run_one(struct bench_cfg *cfg, const char *fwd, const char *url,
    struct line_counter *lc, uint64_t want, const char *cursor, char *why,
    size_t why_cap)
{
	char *argv[16];
	uint64_t base = consumed_lines(lc);
	double t0, t = NAN, end;
	pid_t pid;
	int argc = 0, st = 0, done = 0;

	argv[argc++] = (char *)(uintptr_t)fwd;
	argv[argc++] = "--to";
	argv[argc++] = (char *)(uintptr_t)url;
	argv[argc++] = "--cursor-file";
	argv[argc++] = (char *)(uintptr_t)cursor;
	argv[argc++] = "--file";
	argv[argc++] = cfg->ring_path;
	argv[argc++] = "--socket";
	argv[argc++] = cfg->sock_path;
	argv[argc++] = "--hostname";
	argv[argc++] = "bench";
	argv[argc++] = "--once";
	argv[argc] = NULL;
	t0 = bench_now();
	if (spawn_bg(cfg, argv, "mmlog-forward.log", &pid) < 0) {
		(void)snprintf(why, why_cap, "cannot start %s", fwd);
		return NAN;
	}
	end = t0 + 120;
	while (bench_now() < end) {
		if (!done && waitpid(pid, &st, WNOHANG) == pid)
			done = 1;
		if (consumed_lines(lc) - base >= want) {
			t = bench_now() - t0;
			break;
		}
		if (done && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
			break;
		bench_sleep(0.0005);
	}
	if (!done) {
		st = wait_child(pid, 60);
		if (st < 0) {
			(void)snprintf(why, why_cap, "mmlog-forward did not "
			    "finish");
			return NAN;
		}
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		(void)snprintf(why, why_cap, "mmlog-forward failed (see "
		    "mmlog-forward.log)");
		return NAN;
	}
	/* For RELP, done means acknowledged: time to its exit. */
	if (strncmp(url, "relp", 4) == 0 && !isnan(t))
		t = bench_now() - t0 < t ? t : bench_now() - t0;
	if (isnan(t) || consumed_lines(lc) - base != want) {
		(void)snprintf(why, why_cap, "rsyslogd's file gained %" PRIu64
		    " lines, not %" PRIu64, consumed_lines(lc) - base, want);
		return NAN;
	}
	return t;
}

void
part_forward(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon)
{
	char bin[400], conf[400], pidf[400], fwd[PATH_MAX + 32];
	char relp_url[64], tcp_url[64], cursor[400], why[200] = "";
	char *argv[12], *slash;
	const char *moddir = getenv("RSYSLOG_MODDIR");
	struct line_counter lc;
	struct figure *f;
	uint64_t first = 0, n = 0, want;
	double tr, tt, best_r = NAN, best_t = NAN;
	int relp_port, tcp_port, argc = 0, r, rep, ok = 1;
	pid_t pid = -1;

	if (find_rsyslogd(bin, sizeof(bin)) < 0 || !have_imrelp()) {
		bench_log("forward: rsyslogd with imrelp not found; skipping "
		    "(apt-get install rsyslog rsyslog-relp)");
		f = fig_add("forward.relp.128", NAN, "entries/s", NULL, NAN);
		fig_skip(f, "rsyslogd or its imrelp module not installed "
		    "(apt-get install rsyslog rsyslog-relp)");
		return;
	}
	f = fig_add("forward.relp.128", NAN, "entries/s", "rsyslogd.tcp.128",
	    NAN);
	if (daemon <= 0) {
		fig_invalid(f, "no mmlogd");
		return;
	}
	(void)snprintf(fwd, sizeof(fwd), "%s", cfg->mmlogd);
	slash = strrchr(fwd, '/');
	(void)snprintf(slash + 1, sizeof(fwd) - (size_t)(slash + 1 - fwd),
	    "mmlog-forward");
	if (access(fwd, X_OK) < 0) {
		fig_invalid(f, "%s not built", fwd);
		return;
	}
	want = strcmp(cfg->mode, "smoke") == 0 ? 2000 :
	    strcmp(cfg->mode, "full") == 0 ? 300000 : 100000;
	r = append_entries(cfg, rv, want, &first, &n);
	if (r < 0) {
		fig_invalid(f, "appending entries: %s", strerror(-r));
		return;
	}
	relp_port = free_port();
	tcp_port = free_port();
	while (tcp_port == relp_port && tcp_port > 0)
		tcp_port = free_port();
	(void)snprintf(conf, sizeof(conf), "%s/rsyslog-fwd.conf", cfg->tmp);
	(void)snprintf(pidf, sizeof(pidf), "%s/rsyslog-fwd.pid", cfg->tmp);
	(void)snprintf(cursor, sizeof(cursor), "%s/fwd.cursor", cfg->tmp);
	memset(&lc, 0, sizeof(lc));
	lc.fd = -1;
	(void)snprintf(lc.path, sizeof(lc.path), "%s/rsyslog-fwd.out",
	    cfg->tmp);
	r = relp_port < 0 || tcp_port < 0 ? -EADDRNOTAVAIL :
	    write_conf(cfg, conf, relp_port, tcp_port, lc.path);
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
		r = spawn_bg(cfg, argv, "rsyslogd-fwd.log", &pid);
	if (r == 0) {
		double end = bench_now() + 10;

		while (!(port_up(relp_port) && port_up(tcp_port)) &&
		    bench_now() < end && waitpid(pid, NULL, WNOHANG) == 0)
			bench_sleep(0.01);
		if (!(port_up(relp_port) && port_up(tcp_port)))
			r = -ETIMEDOUT;
	}
	if (r < 0) {
		fig_invalid(f, "rsyslogd did not start: %s (see "
		    "rsyslogd-fwd.log)", strerror(-r));
		cfg->keep = 1;
		if (pid > 0) {
			(void)kill(pid, SIGKILL);
			(void)wait_child(pid, 10);
		}
		return;
	}
	(void)snprintf(relp_url, sizeof(relp_url), "relp://127.0.0.1:%d",
	    relp_port);
	(void)snprintf(tcp_url, sizeof(tcp_url), "tcp://127.0.0.1:%d",
	    tcp_port);
	for (rep = 0; rep < cfg->reps && ok; rep++) {
		if (write_cursor(cursor, rv, first - 1) < 0) {
			(void)snprintf(why, sizeof(why), "cannot write the "
			    "cursor file");
			ok = 0;
			break;
		}
		tr = run_one(cfg, fwd, relp_url, &lc, n, cursor, why,
		    sizeof(why));
		if (isnan(tr)) {
			ok = 0;
			break;
		}
		if (write_cursor(cursor, rv, first - 1) < 0) {
			(void)snprintf(why, sizeof(why), "cannot write the "
			    "cursor file");
			ok = 0;
			break;
		}
		tt = run_one(cfg, fwd, tcp_url, &lc, n, cursor, why,
		    sizeof(why));
		if (isnan(tt)) {
			ok = 0;
			break;
		}
		if (isnan(best_r) || n / tr > best_r)
			best_r = (double)n / tr;
		if (isnan(best_t) || n / tt > best_t)
			best_t = (double)n / tt;
	}
	f->value = best_r;
	f->base_value = best_t;
	if (!ok) {
		fig_invalid(f, "%s", why);
		cfg->keep = 1;
	}
	fig_extra(f, "entries", (double)n);
	fig_note(f, "mmlog-forward --once over RELP (window 128) vs the same "
	    "messages over plain TCP; rsyslogd ruleset queue Direct");
	bench_log("forward  relp %.3gk/s  rsyslogd tcp intake %.3gk/s (%"
	    PRIu64 " entries)", best_r / 1e3, best_t / 1e3, n);
	(void)kill(pid, SIGTERM);
	(void)wait_child(pid, 30);
	if (lc.fd >= 0)
		(void)close(lc.fd);
}
