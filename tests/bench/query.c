/*
 * query.c: filling the ring, and the queries users run on a full one.
 *
 * Queries are timed the way a user meets them: from fork to exit of
 * mmlogctl.  The ring is filled from a cgroup named like a unit
 * (BENCH_UNIT, where the machine lets us make one), so that every entry
 * has that _SYSTEMD_UNIT in its metadata slot, as a busy service's
 * entries have: `show -u UNIT -n 100` then costs what a unit's newest
 * entries cost, and `show FIELD=VALUE` with one entry matching is the
 * full scan (we have no index of values; journalctl has one).  `show -n 100` is read against the cost of starting any
 * program at all (/bin/true); a full scan against reading the same file
 * with read() into nothing, the memory-speed ceiling (the ring was just
 * written, so it is in the page cache).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define QUERY_REPS_MAX	64
#define JOURNAL_REMOTE	"/lib/systemd/systemd-journal-remote"
#define JOURNALCTL	"/usr/bin/journalctl"
#define BENCH_UNIT	"mmlog-bench-fill.service"
#define MARKER_TAG	"bench-marker"
#define NO_UNIT		"mmlog-bench-none.service"

static void	 part_query_seek(struct bench_cfg *, struct ring_view *, int);
static int	 unit_enter(void);
static void	 unit_leave(void);
static int	 cg_write_pid(const char *);

static uint64_t fill_wraps0;
/* The fill ran in BENCH_UNIT's cgroup (fill_cg), from old_cg. */
static int fill_unit;
static char fill_cg[512], old_cg[512];

/* Moves this process into the cgroup whose directory is dir. */
static int
cg_write_pid(const char *dir)
{
	char p[600], pid[24];
	int fd, n;
	ssize_t w;

	(void)snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	w = write(fd, pid, (size_t)n);
	n = w < 0 ? -errno : 0;
	(void)close(fd);
	return n;
}

/*
 * Puts this process, and so the fill's clients it forks, in the cgroup
 * system.slice/BENCH_UNIT of the cgroup2 hierarchy, where mmlogd derives
 * _SYSTEMD_UNIT=BENCH_UNIT from (PID 1 in the hierarchy's root, as on a
 * host).  Returns 0, or -errno (not root, no cgroup2, a container).
 */
static int
unit_enter(void)
{
	char line[600], mnt[256] = "", self[256] = "", one[256] = "";
	FILE *f;
	int r;

	f = fopen("/proc/mounts", "re");
	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*s %255s cgroup2", mnt) == 1 &&
		    strstr(line, " cgroup2 ") != NULL)
			break;
		else
			mnt[0] = '\0';
	(void)fclose(f);
	f = fopen("/proc/self/cgroup", "re");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "0::", 3) == 0)
			(void)sscanf(line + 3, "%255s", self);
	if (f != NULL)
		(void)fclose(f);
	f = fopen("/proc/1/cgroup", "re");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "0::", 3) == 0)
			(void)sscanf(line + 3, "%255s", one);
	if (f != NULL)
		(void)fclose(f);
	if (mnt[0] == '\0' || self[0] == '\0' || strcmp(one, "/") != 0)
		return -ENOENT;
	(void)snprintf(old_cg, sizeof(old_cg), "%s%s", mnt, self);
	(void)snprintf(fill_cg, sizeof(fill_cg), "%s/system.slice", mnt);
	if (mkdir(fill_cg, 0755) < 0 && errno != EEXIST)
		return -errno;
	(void)snprintf(fill_cg, sizeof(fill_cg), "%s/system.slice/%s", mnt,
	    BENCH_UNIT);
	if (mkdir(fill_cg, 0755) < 0 && errno != EEXIST)
		return -errno;
	r = cg_write_pid(fill_cg);
	if (r < 0)
		(void)rmdir(fill_cg);
	return r;
}

/* Back where it was, and the unit's cgroup removed. */
static void
unit_leave(void)
{
	(void)cg_write_pid(old_cg);
	(void)rmdir(fill_cg);
}

static int
ring_went_round(void *arg)
{
	return ring_wraps(arg) > fill_wraps0;
}

int
part_fill(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon)
{
	struct load l;
	int r;

	/*
	 * 128-byte entries, a typical log line, until the head has gone
	 * round once: from then on the ring is full and evicts as it goes.
	 */
	memset(&l, 0, sizeof(l));
	l.kind = W_BATCH;
	l.clients = 2;
	l.entry_size = 128;
	l.seconds = 900;
	l.final_sync = 1;
	l.path = cfg->sock_path;
	l.consumed = consumed_ring;
	l.arg = rv;
	l.until = ring_went_round;
	l.cpu_pid = daemon;
	fill_wraps0 = ring_wraps(rv);
	r = unit_enter();
	fill_unit = r == 0;
	if (r < 0)
		bench_log("the fill runs in no unit (a cgroup of its own: %s); "
		    "no -u query", strerror(-r));
	r = load_run(&l);
	if (fill_unit)
		unit_leave();
	if (r < 0) {
		bench_log("filling the ring failed: %s", l.why);
		return -EIO;
	}
	bench_log("filled a %llu MiB ring: %llu entries in %.2f s (%.3gM/s)",
	    (unsigned long long)(cfg->ring_size >> 20),
	    (unsigned long long)(ring_head_seq(rv) - ring_tail_seq(rv)),
	    l.elapsed_s, (double)l.sent / l.elapsed_s / 1e6);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* read() of the whole file in a child, fork to exit, as a command is. */
static int
read_file_timed(const char *path, uint64_t size, double *ret_s)
{
	static char buf[1 << 20];
	uint64_t total = 0;
	double t0;
	ssize_t n;
	pid_t pid;
	int fd, st;

	(void)fflush(stdout);
	(void)fflush(stderr);
	t0 = bench_now();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(1);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			total += (uint64_t)n;
		_exit(n == 0 && total == size ? 0 : 1);
	}
	st = wait_child(pid, 600);
	*ret_s = bench_now() - t0;
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -EIO;
	return 0;
}

static int
exited_ok(int st)
{
	return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Lines argv prints, counted through a pipe; 0 on failure. */
static uint64_t
lines_of_seek(const struct bench_cfg *cfg, char *const argv[])
{
	uint64_t lines = 0;
	double t;

	if (!exited_ok(run_count_lines(cfg, argv, &lines, &t)))
		return 0;
	return lines;
}

/*
 * Runs argv with its stdout read into buf[0, cap), NUL-terminated (the
 * rest is read and dropped); stderr goes to /dev/null.  Returns the wait
 * status, or -errno.
 */
static int
run_capture(char *const argv[], char *buf, size_t cap)
{
	char sink[4096];
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	int fds[2], nul;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	(void)fflush(stdout);
	(void)fflush(stderr);
	pid = fork();
	if (pid < 0) {
		n = -errno;
		(void)close(fds[0]);
		(void)close(fds[1]);
		return (int)n;
	}
	if (pid == 0) {
		nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (nul >= 0) {
			(void)dup2(nul, 0);
			(void)dup2(nul, 2);
		}
		(void)dup2(fds[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	(void)close(fds[1]);
	for (;;) {
		if (len + 1 < cap)
			n = read(fds[0], buf + len, cap - 1 - len);
		else
			n = read(fds[0], sink, sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len + 1 < cap)
			len += (size_t)n;
	}
	buf[len] = '\0';
	(void)close(fds[0]);
	return wait_child(pid, 600);
}

/* The number after `key` in s (as in `"realtime_usec":123`), or 0. */
static uint64_t
num_after(const char *s, const char *key)
{
	const char *p = s != NULL ? strstr(s, key) : NULL;

	if (p == NULL)
		return 0;
	p += strlen(key);
	while (*p == ' ' || *p == ':' || *p == '"')
		p++;
	return strtoull(p, NULL, 10);
}

/* The sum of the numbers after every `key` in s. */
static uint64_t
num_sum(const char *s, const char *key)
{
	uint64_t sum = 0;

	while ((s = strstr(s, key)) != NULL) {
		sum += num_after(s, key);
		s += strlen(key);
	}
	return sum;
}

/* The number of files matching pattern. */
static size_t
count_glob(const char *pattern)
{
	glob_t g;
	size_t n;

	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	n = g.gl_pathc;
	globfree(&g);
	return n;
}

/* Removes the files matching pattern. */
static void
unlink_glob(const char *pattern)
{
	glob_t g;
	size_t i;

	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (i = 0; i < g.gl_pathc; i++)
		(void)unlink(g.gl_pathv[i]);
	globfree(&g);
}

static void
at_usec(char *buf, size_t cap, uint64_t usec)
{
	(void)snprintf(buf, cap, "@%llu.%06llu",
	    (unsigned long long)(usec / 1000000),
	    (unsigned long long)(usec % 1000000));
}

/* Median of reps runs of argv to /dev/null, in seconds; -1 on failure. */
static double
median_run(const struct bench_cfg *cfg, char *const argv[], int reps)
{
	double t[QUERY_REPS_MAX];
	int i;

	if (reps > QUERY_REPS_MAX)
		reps = QUERY_REPS_MAX;
	for (i = 0; i < reps; i++)
		if (!exited_ok(run_timed(cfg, argv, -1, &t[i])))
			return -1;
	return median(t, reps);
}

/*
 * The figure name: the median of reps runs of argv, in ms, against
 * jreps of journalctl's jargv; invalid unless both print the same
 * number of lines (what names our command in the reason).
 */
static struct figure *
vs_journalctl_same(const struct bench_cfg *cfg, const char *name,
    char *const argv[], int reps, char *const jargv[], int jreps,
    const char *what)
{
	struct figure *f;
	uint64_t lines = 0, jlines = 0;
	double t, tj;
	int st;

	st = run_count_lines(cfg, argv, &lines, &t);
	st = exited_ok(st) ? run_count_lines(cfg, jargv, &jlines, &tj) : -1;
	t = median_run(cfg, argv, reps);
	tj = median_run(cfg, jargv, jreps);
	f = fig_add(name, t * 1e3, "ms", "journalctl", tj * 1e3);
	if (!exited_ok(st) || lines != jlines || t < 0 || tj < 0)
		fig_invalid(f, "%s printed %llu lines, journalctl %llu", what,
		    (unsigned long long)lines, (unsigned long long)jlines);
	return f;
}

/*
 * Builds a journal of the ring's entries, the way a user would:
 * `mmlogctl show -o export` into systemd-journal-remote, which, as
 * journald does, starts a new file every 128 MiB or so.  Returns 0 with
 * a pattern for all the journal's files in jpath (journalctl --file
 * takes patterns), 1 if systemd-journal-remote is not there, -1 if it
 * failed (why says how).
 */
static int
journal_build(const struct bench_cfg *cfg, uint64_t entries, char *jpath,
    size_t jcap, double *ret_export_s, double *ret_import_s, char *why,
    size_t why_cap)
{
	char xpath[400], opath[400], out[16384];
	char *exp_argv[] = { (char *)cfg->mmlogctl, "--file",
	    (char *)cfg->ring_path, "show", "-o", "export", NULL };
	char *imp_argv[] = { JOURNAL_REMOTE, "-o", opath, xpath, NULL };
	char *hdr_argv[] = { JOURNALCTL, "--file", jpath, "--header", NULL };
	uint64_t n;
	int fd, st;

	if (access(JOURNAL_REMOTE, X_OK) < 0 || access(JOURNALCTL, X_OK) < 0)
		return 1;
	(void)snprintf(xpath, sizeof(xpath), "%s/ring.export", cfg->tmp);
	(void)snprintf(opath, sizeof(opath), "%s/ring.journal", cfg->tmp);
	(void)snprintf(jpath, jcap, "%s/ring*.journal", cfg->tmp);
	fd = open(xpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		(void)snprintf(why, why_cap, "%.150s: %s", xpath,
		    strerror(errno));
		return -1;
	}
	st = run_timed(cfg, exp_argv, fd, ret_export_s);
	(void)close(fd);
	if (!exited_ok(st)) {
		(void)snprintf(why, why_cap, "show -o export failed");
		return -1;
	}
	st = run_timed(cfg, imp_argv, -1, ret_import_s);
	(void)unlink(xpath);
	if (!exited_ok(st)) {
		(void)snprintf(why, why_cap, "systemd-journal-remote failed "
		    "(status 0x%x)", st);
		return -1;
	}
	/*
	 * Every entry made it: the files' headers count them (an entry
	 * that did not fit a file before it was rotated counts there too;
	 * the JSON scan later counts exactly).
	 */
	st = run_capture(hdr_argv, out, sizeof(out));
	n = num_sum(out, "Entry objects:");
	if (!exited_ok(st) || n < entries) {
		(void)snprintf(why, why_cap, "the journal holds %llu entries, "
		    "the ring %llu", (unsigned long long)n,
		    (unsigned long long)entries);
		return -1;
	}
	return 0;
}

/*
 * The seek, the JSON scan, and each query against journalctl on a
 * journal of the same entries (else `show -n 100` against tail(1) of
 * a text file of them).
 */
static void
part_query_seek(struct bench_cfg *cfg, struct ring_view *rv, int reps)
{
	char status[8192], since[48], until[48], jpath[400], why[200] = "";
	char tpath[400], *tp;
	char cursor[80];
	char *st_argv[] = { cfg->mmlogctl, "--file", cfg->ring_path, "status",
	    "-o", "json", NULL };
	char *first_argv[] = { cfg->mmlogctl, "--file", cfg->ring_path, "show",
	    "--after-cursor", cursor, "-o", "json", NULL };
	char *seek_argv[] = { cfg->mmlogctl, "--file", cfg->ring_path, "show",
	    "--since", since, "--until", until, "-o", "cat", NULL };
	char *json_argv[] = { cfg->mmlogctl, "--file", cfg->ring_path, "show",
	    "-o", "json", NULL };
	char *n100_argv[] = { cfg->mmlogctl, "--file", cfg->ring_path, "show",
	    "-n", "100", NULL };
	char *jn100_argv[] = { JOURNALCTL, "--file", jpath, "-n", "100",
	    "--no-pager", NULL };
	char *jseek_argv[] = { JOURNALCTL, "--file", jpath, "--since", since,
	    "--until", until, "-o", "cat", "--no-pager", NULL };
	char *jjson_argv[] = { JOURNALCTL, "--file", jpath, "-o", "json",
	    "--no-pager", NULL };
	char *text_argv[] = { cfg->mmlogctl, "--file", cfg->ring_path, "show",
	    NULL };
	char *tail_argv[] = { "/usr/bin/tail", "-n", "100", tpath, NULL };
	char *true_argv[] = { "/bin/true", NULL };
	char *mark_argv[] = { cfg->mmlogctl, "--socket", cfg->sock_path,
	    "write", "--sync", "-t", MARKER_TAG, "the one entry of its tag",
	    NULL };
	char *un100_argv[] = { cfg->mmlogctl, "--file", cfg->ring_path,
	    "show", "-u", BENCH_UNIT, "-n", "100", NULL };
	char *jun100_argv[] = { JOURNALCTL, "--file", jpath, "-u", BENCH_UNIT,
	    "-n", "100", "--no-pager", NULL };
	char *unone_argv[] = { cfg->mmlogctl, "--file", cfg->ring_path,
	    "show", "-u", NO_UNIT, "-n", "100", NULL };
	char *junone_argv[] = { JOURNALCTL, "--file", jpath, "-u", NO_UNIT,
	    "-n", "100", "--no-pager", NULL };
	char *snone_argv[] = { cfg->mmlogctl, "--file", cfg->ring_path,
	    "show", "_SYSTEMD_UNIT=" NO_UNIT, NULL };
	char *jsnone_argv[] = { JOURNALCTL, "--file", jpath,
	    "_SYSTEMD_UNIT=" NO_UNIT, "--no-pager", NULL };
	char *match_argv[] = { cfg->mmlogctl, "--file", cfg->ring_path,
	    "show", "SYSLOG_IDENTIFIER=" MARKER_TAG, NULL };
	char *jmatch_argv[] = { JOURNALCTL, "--file", jpath,
	    "SYSLOG_IDENTIFIER=" MARKER_TAG, "--no-pager", NULL };
	uint64_t entries, mid, lines = 0, jlines = 0;
	double mib = rv->file_size / 1048576.0, t, tj, tb, export_s = NAN,
	    import_s = NAN;
	struct figure *f;
	size_t files;
	int st, have_journal, fd, scan_reps = (reps + 2) / 3;

	if (access(cfg->mmlogctl, X_OK) < 0) {
		f = fig_add("query.since_seek", NAN, "ms", NULL, NAN);
		fig_skip(f, "mmlogctl not built");
		return;
	}
	/*
	 * One entry of its own tag, for FIELD=VALUE with one match (the
	 * newest: our scan reads the whole ring wherever it is).
	 */
	if (!exited_ok(run_timed(cfg, mark_argv, -1, &t)))
		bench_log("query: writing the marker entry failed");
	entries = ring_head_seq(rv) - ring_tail_seq(rv);
	/*
	 * The time of the entry in the middle, by its cursor: the fill is
	 * bursty, so the middle of the time span may hold no entry.
	 */
	f = fig_add("query.since_seek", NAN, "ms", "exec./bin/true", NAN);
	st = run_capture(st_argv, status, sizeof(status));
	tp = strstr(status, "\"ring_id\":\"");
	mid = ring_tail_seq(rv) + entries / 2;
	if (!exited_ok(st) || tp == NULL || entries < 2) {
		fig_invalid(f, "status -o json failed");
		return;
	}
	(void)snprintf(cursor, sizeof(cursor), "s=%.32s;i=%llx", tp + 11,
	    (unsigned long long)(mid - 1));
	st = run_capture(first_argv, status, sizeof(status));
	mid = num_after(status, "\"__REALTIME_TIMESTAMP\"");
	if (!exited_ok(st) || mid == 0) {
		fig_invalid(f, "no entry after cursor %s", cursor);
		return;
	}
	at_usec(since, sizeof(since), mid);
	/* A window of 10 us: some hundreds of entries at fill speed. */
	at_usec(until, sizeof(until), mid + 10);
	st = run_count_lines(cfg, seek_argv, &lines, &t);
	if (!exited_ok(st) || lines == 0 || lines > entries / 2)
		fig_invalid(f, "--since %s --until %s printed %llu lines", since,
		    until, (unsigned long long)lines);
	t = median_run(cfg, seek_argv, reps);
	tb = median_run(cfg, true_argv, reps);
	f->value = t * 1e3;
	f->base_value = tb * 1e3;
	if (t < 0)
		fig_invalid(f, "mmlogctl show --since failed");
	fig_extra(f, "lines", (double)lines);
	fig_extra(f, "ring_entries", (double)entries);
	fig_target(f, "< 20 ms", t >= 0 && t * 1e3 < 20);
	bench_log("query: --since seek to the middle %.2f ms (%llu lines; "
	    "exec true %.2f ms)", f->value, (unsigned long long)lines,
	    f->base_value);

	/* The JSON scan to /dev/null, and counted once through a pipe. */
	t = median_run(cfg, json_argv, scan_reps);
	tb = NAN;
	if (read_file_timed(cfg->ring_path, rv->file_size, &tb) < 0)
		tb = NAN;
	f = fig_add("query.scan_json", mib / t, "MiB/s", "read.ring",
	    mib / tb);
	st = run_count_lines(cfg, json_argv, &lines, &tj);
	if (t < 0 || !exited_ok(st) || lines != entries)
		fig_invalid(f, "show -o json printed %llu lines; the ring "
		    "holds %llu entries", (unsigned long long)lines,
		    (unsigned long long)entries);
	fig_extra(f, "scan_s", t);
	fig_extra(f, "entries_per_s", (double)entries / t);
	bench_log("query: -o json scan %.3f s, %.0f MiB/s (read() %.0f MiB/s)",
	    t, mib / t, mib / tb);

	have_journal = journal_build(cfg, entries, jpath, sizeof(jpath),
	    &export_s, &import_s, why, sizeof(why));
	if (have_journal != 0) {
		f = fig_add("query.vs_journalctl.n100", NAN, "ms",
		    "journalctl", NAN);
		if (have_journal > 0)
			fig_skip(f, "systemd-journal-remote not installed "
			    "(apt-get install systemd-journal-remote)");
		else
			fig_invalid(f, "%s", why);
		/* A text file of the same entries, and tail(1) of it. */
		(void)snprintf(tpath, sizeof(tpath), "%s/ring.txt", cfg->tmp);
		fd = open(tpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);
		if (fd < 0)
			return;
		st = run_timed(cfg, text_argv, fd, &t);
		(void)close(fd);
		t = median_run(cfg, n100_argv, reps);
		tb = median_run(cfg, tail_argv, reps);
		f = fig_add("query.vs_tail.n100", t * 1e3, "ms",
		    "tail.text", tb * 1e3);
		if (!exited_ok(st) || t < 0 || tb < 0)
			fig_invalid(f, "mmlogctl or tail failed");
		(void)unlink(tpath);
		return;
	}
	bench_log("query: journal of %llu entries built (export %.1f s, "
	    "import %.1f s)", (unsigned long long)entries, export_s,
	    import_s);

	/* -n 100: the same 100 lines, ours and journalctl's. */
	st = run_count_lines(cfg, jn100_argv, &jlines, &tj);
	t = median_run(cfg, n100_argv, reps);
	tj = median_run(cfg, jn100_argv, reps);
	f = fig_add("query.vs_journalctl.n100", t * 1e3, "ms", "journalctl",
	    tj * 1e3);
	if (!exited_ok(st) || jlines < 100 || t < 0 || tj < 0)
		fig_invalid(f, "journalctl -n 100 printed %llu lines",
		    (unsigned long long)jlines);
	fig_extra(f, "journal_import_s", import_s);
	fig_extra(f, "export_s", export_s);
	bench_log("query: show -n 100 %.2f ms, journalctl -n 100 %.2f ms",
	    t * 1e3, tj * 1e3);

	/*
	 * -u UNIT -n 100, every entry the unit's: a seek to the newest, a
	 * walk testing each entry's metadata; journalctl looks the unit
	 * up in its index of values.
	 */
	f = fig_add("query.vs_journalctl.unit_n100", NAN, "ms", "journalctl",
	    NAN);
	if (!fill_unit)
		fig_skip(f, "the fill ran in no unit's cgroup (needs root and "
		    "cgroup2)");
	else {
		st = run_count_lines(cfg, un100_argv, &lines, &t);
		if (!exited_ok(st) || lines != 100)
			fig_invalid(f, "show -u %s -n 100 printed %llu lines",
			    BENCH_UNIT, (unsigned long long)lines);
		st = run_count_lines(cfg, jun100_argv, &jlines, &tj);
		if (!exited_ok(st) || jlines != 100)
			fig_invalid(f, "journalctl -u -n 100 printed %llu lines",
			    (unsigned long long)jlines);
		t = median_run(cfg, un100_argv, reps);
		tj = median_run(cfg, jun100_argv, reps);
		f->value = t * 1e3;
		f->base_value = tj * 1e3;
		if (t < 0 || tj < 0)
			fig_invalid(f, "show -u or journalctl -u failed");
		bench_log("query: show -u UNIT -n 100 %.2f ms, journalctl %.2f "
		    "ms", t * 1e3, tj * 1e3);
	}

	/*
	 * A unit no entry has, with -n 100 (the walk goes back to the
	 * tail), and _SYSTEMD_UNIT= of it (a scan): matches on the
	 * metadata slot, judged once per slot; journalctl finds no value.
	 */
	f = vs_journalctl_same(cfg, "query.vs_journalctl.unit_none_n100",
	    unone_argv, scan_reps, junone_argv, reps, "show -u " NO_UNIT
	    " -n 100");
	fig_extra(f, "entries_walked", (double)entries);
	bench_log("query: show -u NONE -n 100 (a walk of %llu entries) %.2f "
	    "ms, journalctl %.2f ms", (unsigned long long)entries, f->value,
	    f->base_value);
	f = vs_journalctl_same(cfg, "query.vs_journalctl.slot_none",
	    snone_argv, scan_reps, jsnone_argv, reps,
	    "show _SYSTEMD_UNIT=" NO_UNIT);
	fig_extra(f, "entries_scanned", (double)entries);
	fig_extra(f, "entries_per_s", f->value > 0 ?
	    (double)entries / (f->value / 1e3) : NAN);
	bench_log("query: show _SYSTEMD_UNIT=NONE (a scan of %llu entries) "
	    "%.2f ms, journalctl %.2f ms", (unsigned long long)entries,
	    f->value, f->base_value);

	/*
	 * FIELD=VALUE that one entry has: our full scan (every entry's
	 * fields tested) against journalctl's lookup of the value.
	 */
	st = run_count_lines(cfg, match_argv, &lines, &t);
	st = exited_ok(st) && lines == 1 ? run_count_lines(cfg, jmatch_argv,
	    &jlines, &tj) : -1;
	t = median_run(cfg, match_argv, scan_reps);
	tj = median_run(cfg, jmatch_argv, reps);
	f = fig_add("query.vs_journalctl.match_one", t * 1e3, "ms",
	    "journalctl", tj * 1e3);
	if (!exited_ok(st) || lines != 1 || jlines != 1 || t < 0 || tj < 0)
		fig_invalid(f, "show %s printed %llu lines, journalctl %llu",
		    match_argv[4], (unsigned long long)lines,
		    (unsigned long long)jlines);
	fig_extra(f, "entries_scanned", (double)entries);
	fig_extra(f, "entries_per_s", t > 0 ? (double)entries / t : NAN);
	bench_log("query: show FIELD=VALUE (a scan of %llu entries) %.2f ms, "
	    "journalctl %.2f ms", (unsigned long long)entries, t * 1e3,
	    tj * 1e3);

	/* The seek: the same window, and the same number of lines. */
	st = run_count_lines(cfg, jseek_argv, &jlines, &tj);
	t = median_run(cfg, seek_argv, reps);
	tj = median_run(cfg, jseek_argv, reps);
	f = fig_add("query.vs_journalctl.since", t * 1e3, "ms", "journalctl",
	    tj * 1e3);
	if (!exited_ok(st) || jlines != lines_of_seek(cfg, seek_argv) ||
	    t < 0 || tj < 0)
		fig_invalid(f, "journalctl --since/--until printed %llu lines",
		    (unsigned long long)jlines);
	bench_log("query: --since seek %.2f ms, journalctl %.2f ms", t * 1e3,
	    tj * 1e3);

	/*
	 * The JSON scan, both counted through a pipe; once for journalctl,
	 * which is slow at it.
	 */
	st = run_count_lines(cfg, json_argv, &lines, &t);
	if (!exited_ok(st))
		t = -1;
	st = run_count_lines(cfg, jjson_argv, &jlines, &tj);
	f = fig_add("query.vs_journalctl.json_scan", t, "s", "journalctl",
	    tj);
	/*
	 * journalctl shows an entry twice where systemd-journal-remote
	 * rotated its file (seen with systemd 252): at most once per file.
	 */
	files = count_glob(jpath);
	if (!exited_ok(st) || t < 0 || lines != entries || jlines < entries ||
	    jlines > entries + files)
		fig_invalid(f, "-o json printed %llu lines, journalctl %llu; "
		    "%llu entries in %zu journal files",
		    (unsigned long long)lines, (unsigned long long)jlines,
		    (unsigned long long)entries, files);
	else if (jlines > entries)
		fig_note(f, "journalctl showed %llu entries twice, where the "
		    "journal's %zu files meet", (unsigned long long)(jlines -
		    entries), files);
	fig_extra(f, "journal_files", (double)files);
	fig_extra(f, "entries", (double)entries);
	bench_log("query: -o json of %llu entries %.2f s, journalctl %.2f s",
	    (unsigned long long)entries, t, tj);
	unlink_glob(jpath);
}

void
part_query(struct bench_cfg *cfg, struct ring_view *rv)
{
	char *show[] = { cfg->mmlogctl, "--file", cfg->ring_path, "show",
	    "-n", "100", NULL };
	char *scan[] = { cfg->mmlogctl, "--file", cfg->ring_path, "show",
	    "-o", "cat", NULL };
	char *true_argv[] = { "/bin/true", NULL };
	double ts[QUERY_REPS_MAX], tb[QUERY_REPS_MAX], t, scan_s = NAN;
	double read_s = NAN, piped_s = NAN, mib = rv->file_size / 1048576.0;
	uint64_t entries = ring_head_seq(rv) - ring_tail_seq(rv), lines = 0;
	int reps = cfg->query_reps, scan_reps, i, st, ok = 1, scan_ok = 1;
	char why[160] = "", scan_why[160] = "";
	struct figure *f;

	if (reps > QUERY_REPS_MAX)
		reps = QUERY_REPS_MAX;
	scan_reps = (reps + 2) / 3;
	if (access(cfg->mmlogctl, X_OK) < 0) {
		bench_log("query: %s is not built; skipped", cfg->mmlogctl);
		f = fig_add("query.show_n100", NAN, "ms", "exec./bin/true",
		    NAN);
		fig_skip(f, "mmlogctl not built");
		f = fig_add("query.scan", NAN, "MiB/s", "read.ring", NAN);
		fig_skip(f, "mmlogctl not built");
		goto seek;
	}

	/* Check first, untimed: exactly 100 lines. */
	st = run_count_lines(cfg, show, &lines, &t);
	if (!exited_ok(st)) {
		ok = 0;
		(void)snprintf(why, sizeof(why), "mmlogctl show -n 100 failed "
		    "(status 0x%x)", st);
	} else if (lines != 100) {
		ok = 0;
		(void)snprintf(why, sizeof(why), "show -n 100 printed %llu "
		    "lines", (unsigned long long)lines);
	}
	for (i = 0; i < reps; i++) {
		st = run_timed(cfg, show, -1, &ts[i]);
		if (!exited_ok(st) && ok) {
			ok = 0;
			(void)snprintf(why, sizeof(why), "mmlogctl failed");
		}
		(void)run_timed(cfg, true_argv, -1, &tb[i]);
	}
	f = fig_add("query.show_n100", median(ts, reps) * 1e3, "ms",
	    "exec./bin/true", median(tb, reps) * 1e3);
	if (!ok)
		fig_invalid(f, "%s", why);
	fig_extra(f, "runs", reps);
	fig_extra(f, "ring_MiB", mib);
	fig_extra(f, "ring_entries", (double)entries);
	qsort(ts, (size_t)reps, sizeof(ts[0]), cmp_double);
	fig_extra(f, "min_ms", ts[0] * 1e3);
	fig_extra(f, "max_ms", ts[reps - 1] * 1e3);
	fig_target(f, "< 20 ms", ts[reps / 2] * 1e3 < 20);
	if (cfg->ring_size < ((uint64_t)1 << 30))
		fig_note(f, "ring %llu MiB; the target is for 1 GiB "
		    "(BENCH=full)", (unsigned long long)(cfg->ring_size >> 20));
	bench_log("query: show -n 100 %.2f ms (exec true %.2f ms)",
	    f->value, f->base_value);

	/* The full scan, timed to /dev/null, then counted through a pipe. */
	for (i = 0; i < scan_reps; i++) {
		st = run_timed(cfg, scan, -1, &t);
		if (!exited_ok(st)) {
			scan_ok = 0;
			(void)snprintf(scan_why, sizeof(scan_why),
			    "mmlogctl show -o cat failed (status 0x%x)", st);
		} else if (isnan(scan_s) || t < scan_s)
			scan_s = t;
		if (read_file_timed(cfg->ring_path, rv->file_size, &t) < 0) {
			scan_ok = 0;
			(void)snprintf(scan_why, sizeof(scan_why),
			    "baseline: reading the ring file failed");
		} else if (isnan(read_s) || t < read_s)
			read_s = t;
	}
	st = run_count_lines(cfg, scan, &lines, &piped_s);
	if (scan_ok && (!exited_ok(st) || lines != entries)) {
		scan_ok = 0;
		(void)snprintf(scan_why, sizeof(scan_why), "show -o cat "
		    "printed %llu lines; the ring holds %llu entries",
		    (unsigned long long)lines, (unsigned long long)entries);
	}
	f = fig_add("query.scan", mib / scan_s, "MiB/s", "read.ring",
	    mib / read_s);
	if (!scan_ok)
		fig_invalid(f, "%s", scan_why);
	fig_extra(f, "scan_s", scan_s);
	fig_extra(f, "entries", (double)entries);
	fig_extra(f, "entries_per_s", (double)entries / scan_s);
	fig_extra(f, "piped_MiB_per_s", mib / piped_s);
	fig_extra(f, "ring_MiB", mib);
	bench_log("query: full scan %.3f s, %.0f MiB/s (read() %.0f MiB/s)",
	    scan_s, mib / scan_s, mib / read_s);
seek:
	part_query_seek(cfg, rv, reps);
}
