/*
 * forward.c: mmlog-forward's rate to its two kinds of collector, each
 * beside a baseline of the same run.
 *
 * forward.relp.128: to a local rsyslogd over RELP, beside rsyslogd's
 * own intake of the same messages over plain TCP.  rsyslogd runs in the
 * foreground on a private configuration: imrelp and imtcp on free
 * ports of 127.0.0.1, both into one ruleset with a Direct queue (so that
 * imrelp acknowledges a message once omfile wrote it, which is what
 * at-least-once needs) and omfile into a file.  We append N fresh
 * entries of 128 bytes to the ring; then, from a cursor just before
 * them:
 *
 *  - forward.relp: `mmlog-forward --once` over RELP, timed from fork to
 *    its exit (every entry acknowledged, cursor written);
 *  - the baseline: the same program over tcp:// (RFC 6587 octet
 *    counting, 64 KiB writes, no acknowledgement), a sender far faster
 *    than rsyslogd's intake, timed from fork to the N-th new line in
 *    rsyslogd's file.  The bytes of each message are the same.
 *
 * Both runs check that rsyslogd's file gained exactly N lines.  The
 * two alternate, 3 times or more, and the figures are the medians (the
 * note has the spread: this machine is shared).  Each figure also
 * carries the CPU that rsyslogd and the forwarder spent per entry:
 * what bounds RELP here is rsyslogd's RELP server, which answers every
 * frame with three system calls of its own (TCP_CORK on, send, off),
 * so collector_bound_ratio, rsyslogd's CPU per entry over TCP against
 * over RELP, is the ratio a forwarder that cost nothing would reach.
 *
 * forward.journal_remote.128: the same entries to a local
 * systemd-journal-remote over HTTP (`mmlog-forward --once`, to its
 * exit), beside systemd-journal-upload sending the same entries from a
 * journal (built from `mmlogctl show -o export`, as a user would) to a
 * fresh journal-remote, to its exit, alternating, medians again.  Each
 * run checks that the journal gained N entries, and notes
 * journal-remote's CPU per entry.
 *
 * Without rsyslogd and its imrelp module (rsyslog-relp), or without
 * systemd-journal-remote, a part says so and is skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "sock.h"

#define FWD_ENTRY_SIZE	128
#define JOURNAL_REMOTE	"/lib/systemd/systemd-journal-remote"
#define JOURNAL_UPLOAD	"/lib/systemd/systemd-journal-upload"
#define JOURNALCTL	"/usr/bin/journalctl"

static int	 have_imrelp(void);
static int	 free_port(void);
static int	 port_up(int);
static int	 write_conf(const struct bench_cfg *, const char *, int, int,
		    const char *);
static int	 append_entries(struct bench_cfg *, struct ring_view *,
		    uint64_t, uint64_t *, uint64_t *);
static int	 write_cursor(const char *, const struct ring_view *, uint64_t);
static double	 run_one(struct bench_cfg *, const char *, const char *,
		    struct line_counter *, uint64_t, const char *, double *,
		    char *, size_t);
static int	 wait_rusage(pid_t, double, int *, double *);
static int	 jr_start(struct bench_cfg *, int, const char *, pid_t *);
static void	 jr_stop(pid_t);
static int	 jr_entries(struct bench_cfg *, const char *, uint64_t *);
static void	 part_journal(struct bench_cfg *, struct ring_view *,
		    const char *, uint64_t, uint64_t);
static int	 fwd_reps(const struct bench_cfg *);
static int	 cmp_double(const void *, const void *);
static double	 median(const double *, int);
static double	 lowest(const double *, int);
static double	 highest(const double *, int);

/*
 * Runs of each side, alternating: a median of 3 or more (best-of, as
 * elsewhere in the bench, picks the run that met the quietest moment
 * of a shared machine, and the two sides need not meet the same one).
 */
#define FWD_REPS_MAX	5
static int
fwd_reps(const struct bench_cfg *cfg)
{
	if (strcmp(cfg->mode, "smoke") == 0)
		return 1;
	return cfg->reps < 3 ? 3 : cfg->reps > FWD_REPS_MAX ? FWD_REPS_MAX :
	    cfg->reps;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of v[0, n), n >= 1, without reordering v. */
static double
median(const double *v, int n)
{
	double t[FWD_REPS_MAX];

	memcpy(t, v, (size_t)n * sizeof(*t));
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static double
lowest(const double *v, int n)
{
	double m = v[0];
	int i;

	for (i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static double
highest(const double *v, int n)
{
	double m = v[0];
	int i;

	for (i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

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
 * Waits up to timeout_s for pid, SIGKILL after.  Returns 1 with its
 * wait status and the CPU seconds it spent; 0 if it has not exited yet
 * (timeout_s 0); or -errno.
 */
static int
wait_rusage(pid_t pid, double timeout_s, int *ret_st, double *ret_cpu)
{
	double end = bench_now() + timeout_s;
	struct rusage ru;
	pid_t r;

	for (;;) {
		r = wait4(pid, ret_st, WNOHANG, &ru);
		if (r == pid) {
			*ret_cpu = (double)ru.ru_utime.tv_sec +
			    ru.ru_utime.tv_usec / 1e6 +
			    (double)ru.ru_stime.tv_sec +
			    ru.ru_stime.tv_usec / 1e6;
			return 1;
		}
		if (r < 0 && errno != EINTR)
			return -errno;
		if (timeout_s == 0)
			return 0;
		if (bench_now() > end)
			break;
		bench_sleep(0.0005);
	}
	(void)kill(pid, SIGKILL);
	(void)wait_child(pid, 10);
	return -ETIMEDOUT;
}

/*
 * One run of mmlog-forward --once to url, from the cursor: the seconds
 * from fork until it exited 0 and rsyslogd's file (lc, if not NULL)
 * gained want lines, or NAN with the reason in why; its CPU seconds in
 * *ret_cpu.
 */
static double
run_one(struct bench_cfg *cfg, const char *fwd, const char *url,
    struct line_counter *lc, uint64_t want, const char *cursor,
    double *ret_cpu, char *why, size_t why_cap)
{
	char *argv[16];
	uint64_t base = lc != NULL ? consumed_lines(lc) : 0;
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
		if (!done && wait_rusage(pid, 0, &st, ret_cpu) == 1)
			done = 1;
		if (lc == NULL && done) {
			t = bench_now() - t0;
			break;
		}
		if (lc != NULL && consumed_lines(lc) - base >= want) {
			t = bench_now() - t0;
			break;
		}
		if (done && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
			break;
		bench_sleep(0.0005);
	}
	if (!done) {
		if (wait_rusage(pid, 60, &st, ret_cpu) != 1) {
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
	if (lc == NULL)
		return t;
	if (isnan(t) || consumed_lines(lc) - base != want) {
		(void)snprintf(why, why_cap, "rsyslogd's file gained %" PRIu64
		    " lines, not %" PRIu64, consumed_lines(lc) - base, want);
		return NAN;
	}
	return t;
}

/*
 * The RELP figure: rsyslogd's imrelp against its own imtcp, from the
 * cursor before first (n entries).
 */
static void
part_relp(struct bench_cfg *cfg, struct ring_view *rv, const char *fwd,
    uint64_t first, uint64_t n)
{
	char bin[400], conf[400], pidf[400];
	char relp_url[64], tcp_url[64], cursor[400], why[200] = "";
	char *argv[12];
	const char *moddir = getenv("RSYSLOG_MODDIR");
	struct line_counter lc;
	struct figure *f;
	double tr, tt, c0, c1, fc;
	double v_r[FWD_REPS_MAX], v_t[FWD_REPS_MAX], rs_r[FWD_REPS_MAX];
	double rs_t[FWD_REPS_MAX], fw_r[FWD_REPS_MAX], fw_t[FWD_REPS_MAX];
	double m_rs_r = NAN, m_rs_t = NAN, m_fw_r = NAN, m_fw_t = NAN;
	int relp_port, tcp_port, argc = 0, r, rep, reps = fwd_reps(cfg);
	int ok = 1, done = 0;
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
	for (rep = 0; rep < reps && ok; rep++) {
		if (write_cursor(cursor, rv, first - 1) < 0) {
			(void)snprintf(why, sizeof(why), "cannot write the "
			    "cursor file");
			ok = 0;
			break;
		}
		c0 = c1 = NAN;
		(void)proc_cpu(pid, &c0);
		tr = run_one(cfg, fwd, relp_url, &lc, n, cursor, &fc, why,
		    sizeof(why));
		(void)proc_cpu(pid, &c1);
		if (isnan(tr)) {
			ok = 0;
			break;
		}
		v_r[rep] = (double)n / tr;
		rs_r[rep] = (c1 - c0) / n * 1e6;
		fw_r[rep] = fc / n * 1e6;
		if (write_cursor(cursor, rv, first - 1) < 0) {
			(void)snprintf(why, sizeof(why), "cannot write the "
			    "cursor file");
			ok = 0;
			break;
		}
		(void)proc_cpu(pid, &c0);
		tt = run_one(cfg, fwd, tcp_url, &lc, n, cursor, &fc, why,
		    sizeof(why));
		(void)proc_cpu(pid, &c1);
		if (isnan(tt)) {
			ok = 0;
			break;
		}
		v_t[rep] = (double)n / tt;
		rs_t[rep] = (c1 - c0) / n * 1e6;
		fw_t[rep] = fc / n * 1e6;
		done = rep + 1;
	}
	if (done > 0) {
		f->value = median(v_r, done);
		f->base_value = median(v_t, done);
		m_rs_r = median(rs_r, done);
		m_rs_t = median(rs_t, done);
		m_fw_r = median(fw_r, done);
		m_fw_t = median(fw_t, done);
		fig_extra(f, "min", lowest(v_r, done));
		fig_extra(f, "max", highest(v_r, done));
		fig_extra(f, "base_min", lowest(v_t, done));
		fig_extra(f, "base_max", highest(v_t, done));
	}
	if (!ok) {
		fig_invalid(f, "%s", why);
		cfg->keep = 1;
	}
	fig_extra(f, "entries", (double)n);
	fig_extra(f, "collector_cpu_us", m_rs_r);
	fig_extra(f, "base_collector_cpu_us", m_rs_t);
	fig_extra(f, "forwarder_cpu_us", m_fw_r);
	fig_extra(f, "base_forwarder_cpu_us", m_fw_t);
	/*
	 * The ratio a forwarder that cost nothing would reach, rsyslogd
	 * bound by its CPU per entry on both sides.
	 */
	fig_extra(f, "collector_bound_ratio", m_rs_t / m_rs_r);
	fig_note(f, "median of %d alternating runs, RELP %.3g-%.3gk/s, TCP "
	    "%.3g-%.3gk/s; rsyslogd queue Direct; CPU us/entry: rsyslogd "
	    "%.1f vs %.1f, forwarder %.1f vs %.1f", done, done > 0 ?
	    lowest(v_r, done) / 1e3 : NAN, done > 0 ? highest(v_r, done) /
	    1e3 : NAN, done > 0 ? lowest(v_t, done) / 1e3 : NAN, done > 0 ?
	    highest(v_t, done) / 1e3 : NAN, m_rs_r, m_rs_t, m_fw_r, m_fw_t);
	bench_log("forward  relp %.3gk/s  rsyslogd tcp intake %.3gk/s (median "
	    "of %d; %" PRIu64 " entries; rsyslogd %.1f vs %.1f us/entry, "
	    "forwarder %.1f vs %.1f; bound by rsyslogd's CPU alone: %.2f)",
	    f->value / 1e3, f->base_value / 1e3, done, n, m_rs_r, m_rs_t,
	    m_fw_r, m_fw_t, m_rs_t / m_rs_r);
	(void)kill(pid, SIGTERM);
	(void)wait_child(pid, 30);
	if (lc.fd >= 0)
		(void)close(lc.fd);
}

/*
 * systemd-journal-remote on a free port of 127.0.0.1, writing a journal
 * in dir (made anew).  Returns the port, or -errno.
 */
static int
jr_start(struct bench_cfg *cfg, int k, const char *dir, pid_t *ret_pid)
{
	char listen[64], out[500], log[64];
	char *argv[] = { JOURNAL_REMOTE, listen, out, "--split-mode=none",
	    NULL };
	double end;
	int port, r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	port = free_port();
	if (port < 0)
		return -EADDRNOTAVAIL;
	(void)snprintf(listen, sizeof(listen), "--listen-http=127.0.0.1:%d",
	    port);
	(void)snprintf(out, sizeof(out), "--output=%s/x.journal", dir);
	(void)snprintf(log, sizeof(log), "journal-remote.%d.log", k);
	if ((r = spawn_bg(cfg, argv, log, ret_pid)) < 0)
		return r;
	end = bench_now() + 10;
	while (!port_up(port) && bench_now() < end &&
	    waitpid(*ret_pid, NULL, WNOHANG) == 0)
		bench_sleep(0.01);
	if (!port_up(port)) {
		jr_stop(*ret_pid);
		return -ETIMEDOUT;
	}
	return port;
}

static void
jr_stop(pid_t pid)
{
	(void)kill(pid, SIGTERM);
	(void)wait_child(pid, 30);
}

/* The entries in the journals of dir, counted by journalctl. */
static int
jr_entries(struct bench_cfg *cfg, const char *dir, uint64_t *ret)
{
	char *argv[] = { JOURNALCTL, "-D", (char *)(uintptr_t)dir, "-o",
	    "cat", "--no-pager", NULL };
	double t;
	int st;

	st = run_count_lines(cfg, argv, ret, &t);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/*
 * The journal-remote figure: mmlog-forward over HTTP against
 * systemd-journal-upload of the same n entries (from the cursor before
 * first) from a journal.
 */
static void
part_journal(struct bench_cfg *cfg, struct ring_view *rv, const char *fwd,
    uint64_t first, uint64_t n)
{
	char cursor[400], after[80], src[400], xpath[400], dir[400];
	char url[64], state[400], why[200] = "", srcopt[420], stateopt[420];
	char hex[33];
	char *exp_argv[] = { (char *)cfg->mmlogctl, "--file",
	    (char *)cfg->ring_path, "show", "-o", "export", "--after-cursor",
	    after, NULL };
	char *imp_argv[] = { JOURNAL_REMOTE, "-o", src, xpath, NULL };
	char *up_argv[] = { JOURNAL_UPLOAD, "--url", url, srcopt, stateopt,
	    "--follow=no", NULL };
	struct figure *f;
	uint64_t got;
	double t, tf, tu, c0, c1, fc;
	double v_f[FWD_REPS_MAX], v_u[FWD_REPS_MAX], jr_f[FWD_REPS_MAX];
	double jr_u[FWD_REPS_MAX], fw_f[FWD_REPS_MAX];
	double m_jr_f = NAN, m_jr_u = NAN, m_fw_f = NAN;
	pid_t jr = -1;
	int fd, st, port, rep, ok = 0, k = 0, i, reps = fwd_reps(cfg);
	int done = 0;

	if (access(JOURNAL_REMOTE, X_OK) < 0 ||
	    access(JOURNAL_UPLOAD, X_OK) < 0 || access(JOURNALCTL, X_OK) < 0) {
		f = fig_add("forward.journal_remote.128", NAN, "entries/s",
		    NULL, NAN);
		fig_skip(f, "systemd-journal-remote not installed "
		    "(apt-get install systemd-journal-remote)");
		return;
	}
	f = fig_add("forward.journal_remote.128", NAN, "entries/s",
	    "journal_upload.128", NAN);
	/* The journal journal-upload sends: the same entries. */
	for (i = 0; i < 16; i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", rv->hdr->ring_id[i]);
	(void)snprintf(after, sizeof(after), "s=%s;i=%" PRIx64, hex,
	    first - 1);
	(void)snprintf(xpath, sizeof(xpath), "%s/fwd.export", cfg->tmp);
	(void)snprintf(src, sizeof(src), "%s/fwd-src.journal", cfg->tmp);
	(void)snprintf(srcopt, sizeof(srcopt), "--file=%s", src);
	(void)snprintf(state, sizeof(state), "%s/upload.state", cfg->tmp);
	/* Its argument is optional: it must be in the same word. */
	(void)snprintf(stateopt, sizeof(stateopt), "--save-state=%s", state);
	(void)snprintf(cursor, sizeof(cursor), "%s/fwd-jr.cursor", cfg->tmp);
	fd = open(xpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fig_invalid(f, "%s: %s", xpath, strerror(errno));
		return;
	}
	st = run_timed(cfg, exp_argv, fd, &t);
	(void)close(fd);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		st = run_timed(cfg, imp_argv, -1, &t);
	(void)unlink(xpath);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fig_invalid(f, "building the journal to upload failed");
		cfg->keep = 1;
		return;
	}
	for (rep = 0; rep < reps; rep++) {
		/* mmlog-forward over HTTP. */
		(void)snprintf(dir, sizeof(dir), "%s/jr.%d", cfg->tmp, ++k);
		if ((port = jr_start(cfg, k, dir, &jr)) < 0) {
			(void)snprintf(why, sizeof(why), "systemd-journal-"
			    "remote did not start: %s", strerror(-port));
			goto out;
		}
		(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
		if (write_cursor(cursor, rv, first - 1) < 0) {
			(void)snprintf(why, sizeof(why), "cannot write the "
			    "cursor file");
			goto out;
		}
		c0 = c1 = NAN;
		(void)proc_cpu(jr, &c0);
		tf = run_one(cfg, fwd, url, NULL, n, cursor, &fc, why,
		    sizeof(why));
		(void)proc_cpu(jr, &c1);
		jr_stop(jr);
		jr = -1;
		if (isnan(tf))
			goto out;
		if (jr_entries(cfg, dir, &got) < 0 || got != n) {
			(void)snprintf(why, sizeof(why), "the journal holds %"
			    PRIu64 " entries, not %" PRIu64, got, n);
			goto out;
		}
		v_f[rep] = (double)n / tf;
		jr_f[rep] = (c1 - c0) / n * 1e6;
		fw_f[rep] = fc / n * 1e6;
		/* systemd-journal-upload of the same entries. */
		(void)snprintf(dir, sizeof(dir), "%s/jr.%d", cfg->tmp, ++k);
		if ((port = jr_start(cfg, k, dir, &jr)) < 0) {
			(void)snprintf(why, sizeof(why), "systemd-journal-"
			    "remote did not start: %s", strerror(-port));
			goto out;
		}
		(void)snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
		(void)unlink(state);
		(void)proc_cpu(jr, &c0);
		st = run_timed(cfg, up_argv, -1, &tu);
		(void)proc_cpu(jr, &c1);
		jr_stop(jr);
		jr = -1;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			(void)snprintf(why, sizeof(why), "systemd-journal-upload "
			    "failed (status 0x%x)", st);
			goto out;
		}
		if (jr_entries(cfg, dir, &got) < 0 || got != n) {
			(void)snprintf(why, sizeof(why), "journal-upload: the "
			    "journal holds %" PRIu64 " entries, not %" PRIu64,
			    got, n);
			goto out;
		}
		v_u[rep] = (double)n / tu;
		jr_u[rep] = (c1 - c0) / n * 1e6;
		done = rep + 1;
	}
	ok = 1;
out:
	if (jr > 0)
		jr_stop(jr);
	if (done > 0) {
		f->value = median(v_f, done);
		f->base_value = median(v_u, done);
		m_jr_f = median(jr_f, done);
		m_jr_u = median(jr_u, done);
		m_fw_f = median(fw_f, done);
		fig_extra(f, "min", lowest(v_f, done));
		fig_extra(f, "max", highest(v_f, done));
		fig_extra(f, "base_min", lowest(v_u, done));
		fig_extra(f, "base_max", highest(v_u, done));
	}
	if (!ok) {
		fig_invalid(f, "%s", why);
		cfg->keep = 1;
	}
	fig_extra(f, "entries", (double)n);
	fig_extra(f, "collector_cpu_us", m_jr_f);
	fig_extra(f, "base_collector_cpu_us", m_jr_u);
	fig_extra(f, "forwarder_cpu_us", m_fw_f);
	fig_note(f, "median of %d alternating runs, HTTP %.3g-%.3gk/s, "
	    "journal-upload %.3g-%.3gk/s; journal-remote CPU us/entry %.1f vs "
	    "%.1f", done, done > 0 ? lowest(v_f, done) / 1e3 : NAN, done > 0 ?
	    highest(v_f, done) / 1e3 : NAN, done > 0 ? lowest(v_u, done) /
	    1e3 : NAN, done > 0 ? highest(v_u, done) / 1e3 : NAN, m_jr_f,
	    m_jr_u);
	bench_log("forward  journal-remote %.3gk/s  journal-upload %.3gk/s "
	    "(median of %d; %" PRIu64 " entries; journal-remote %.1f vs %.1f "
	    "us/entry, forwarder %.1f)", f->value / 1e3, f->base_value / 1e3,
	    done, n, m_jr_f, m_jr_u, m_fw_f);
}

void
part_forward(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon)
{
	char fwd[PATH_MAX + 32], *slash;
	struct figure *f;
	uint64_t first = 0, n = 0, want;
	int r;

	if (daemon <= 0) {
		f = fig_add("forward.relp.128", NAN, "entries/s",
		    "rsyslogd.tcp.128", NAN);
		fig_invalid(f, "no mmlogd");
		return;
	}
	(void)snprintf(fwd, sizeof(fwd), "%s", cfg->mmlogd);
	slash = strrchr(fwd, '/');
	(void)snprintf(slash + 1, sizeof(fwd) - (size_t)(slash + 1 - fwd),
	    "mmlog-forward");
	if (access(fwd, X_OK) < 0) {
		f = fig_add("forward.relp.128", NAN, "entries/s",
		    "rsyslogd.tcp.128", NAN);
		fig_invalid(f, "%s not built", fwd);
		return;
	}
	want = strcmp(cfg->mode, "smoke") == 0 ? 2000 :
	    strcmp(cfg->mode, "full") == 0 ? 300000 : 100000;
	r = append_entries(cfg, rv, want, &first, &n);
	if (r < 0) {
		f = fig_add("forward.relp.128", NAN, "entries/s",
		    "rsyslogd.tcp.128", NAN);
		fig_invalid(f, "appending entries: %s", strerror(-r));
		return;
	}
	part_relp(cfg, rv, fwd, first, n);
	part_journal(cfg, rv, fwd, first, n);
}
