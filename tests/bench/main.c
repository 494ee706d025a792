/*
 * main.c: mmlog-bench, the numbers that tell whether mmlogd is fast.
 *
 * usage: mmlog-bench [--build DIR] [--smoke|--quick|--full] [--peers]
 *                    [--only PARTS] [--dir DIR] [--json FILE] [--keep]
 *
 * Starts mmlogd from the build directory on a socket and ring in a
 * fresh temporary directory, measures every part beside its baseline,
 * prints one table row per figure and the targets (HACKING.md), and writes
 * every figure to DIR/bench.json.  $BENCH (smoke, quick, full, peers;
 * comma-separated) chooses as the options do.  Exit status: 0, 1 if a
 * run did not check out or something did not work, 2 usage.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <linux/magic.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "mmlog.h"

static const struct {
	const char *name;
	unsigned bit;
} part_names[] = {
	{ "raw", PART_RAW }, { "ingest", PART_INGEST },
	{ "latency", PART_LATENCY }, { "durable", PART_DURABLE },
	{ "query", PART_QUERY }, { "recovery", PART_RECOVERY },
	{ "memory", PART_MEMORY }, { "peers", PART_PEERS },
	{ "forward", PART_FORWARD }, { "syslog", PART_SYSLOG },
	{ "write", PART_WRITE },
};

static void
usage(FILE *f)
{
	(void)fprintf(f,
	    "usage: mmlog-bench [options]\n"
	    "  --build DIR   where mmlogd and mmlogctl are, and bench.json "
	    "goes (default build)\n"
	    "  --smoke       a tiny run of every part (seconds; make test)\n"
	    "  --quick       the default: a few minutes\n"
	    "  --full        longer runs, a 1 GiB ring, best of 3\n"
	    "  --peers       also compare with rsyslogd, if installed\n"
	    "  --only LIST   parts: raw,ingest,latency,durable,query,recovery,"
	    "memory,peers,forward,syslog,write\n"
	    "  --dir DIR     parent of the temporary directory (default "
	    "$TMPDIR or /var/tmp)\n"
	    "  --json FILE   the JSON file (default BUILD/bench.json)\n"
	    "  --keep        keep the temporary directory\n"
	    "  --sizes LIST  ingest entry sizes, e.g. 128,4096 (at most 4)\n"
	    "  --clients LIST  ingest client counts, e.g. 4 (at most 3)\n"
	    "  --durable LIST  durable client counts, e.g. 32 (at most 3)\n"
	    "  --window N    entries each durable_async client keeps out "
	    "(default 16)\n"
	    "  --seconds S   length of each run (to profile one: perf record "
	    "-p PID)\n"
	    "  --write-sizes LIST    write A/B entry sizes (at most 8)\n"
	    "  --write-clients LIST  write A/B client counts (at most 2)\n"
	    "  --write-reps N        write A/B runs per cell, the median "
	    "counts\n"
	    "  --write-methods LIST  mmlogd --ring-write values to compare "
	    "(default map,pwrite)\n"
	    "$BENCH may hold smoke, quick, full and peers, comma-separated.\n");
}

static void
set_mode(struct bench_cfg *cfg, const char *mode)
{
	static const size_t all_sizes[4] = { 64, 128, 1024, 4096 };
	static const int all_clients[3] = { 1, 4, 16 };
	static const int all_durable[3] = { 1, 8, 32 };
	static const size_t write_sizes[7] = { 64, 128, 256, 512, 1024, 2048,
	    4096 };

	cfg->mode = mode;
	memcpy(cfg->sizes, all_sizes, sizeof(all_sizes));
	cfg->n_sizes = 4;
	memcpy(cfg->clients, all_clients, sizeof(all_clients));
	cfg->n_clients = 3;
	memcpy(cfg->durable_clients, all_durable, sizeof(all_durable));
	cfg->n_durable = 3;
	cfg->async_window = 16;
	cfg->lat_period_s = 100e-6;
	cfg->lat_load = 4;
	cfg->idle_clients = 1000;
	memcpy(cfg->write_sizes, write_sizes, sizeof(write_sizes));
	cfg->n_write_sizes = 7;
	cfg->write_clients[0] = 1;
	cfg->write_clients[1] = 4;
	cfg->n_write_clients = 2;
	(void)snprintf(cfg->write_methods, sizeof(cfg->write_methods), "%s",
	    "map,pwrite");
	if (strcmp(mode, "smoke") == 0) {
		/* Every part runs, each for a moment: does it still work? */
		cfg->ring_size = (uint64_t)16 << 20;
		cfg->run_s = 0.05;
		cfg->reps = 1;
		cfg->sizes[0] = 128;
		cfg->sizes[1] = 4096;
		cfg->n_sizes = 2;
		cfg->n_clients = 2;
		cfg->n_durable = 2;
		cfg->lat_samples = 300;
		cfg->lat_load = 2;
		cfg->query_reps = 2;
		cfg->burst_s = 0.1;
		cfg->write_sizes[0] = 128;
		cfg->write_sizes[1] = 4096;
		cfg->n_write_sizes = 2;
		cfg->n_write_clients = 1;
	} else if (strcmp(mode, "full") == 0) {
		cfg->ring_size = (uint64_t)1 << 30;
		cfg->run_s = 2;
		cfg->reps = 3;
		cfg->lat_samples = 50000;
		cfg->query_reps = 11;
		cfg->burst_s = 2;
	} else {
		/* Best of two: one run in two meets a noisy neighbour. */
		cfg->ring_size = (uint64_t)256 << 20;
		cfg->run_s = 0.4;
		cfg->reps = 2;
		cfg->lat_samples = 5000;
		cfg->query_reps = 5;
		cfg->burst_s = 0.5;
	}
}

static int
parse_parts(const char *list, unsigned *ret)
{
	char buf[256], *tok, *save = NULL;
	unsigned bits = 0;
	size_t i;

	(void)snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		for (i = 0; i < sizeof(part_names) / sizeof(part_names[0]); i++)
			if (strcmp(tok, part_names[i].name) == 0)
				break;
		if (i == sizeof(part_names) / sizeof(part_names[0]))
			return -EINVAL;
		bits |= part_names[i].bit;
	}
	*ret = bits;
	return 0;
}

/* "128,4096" into at most max numbers in [lo, hi]; returns the count. */
static int
parse_list(const char *list, long lo, long hi, long *out, int max)
{
	char buf[128], *tok, *save = NULL, *end;
	int n = 0;
	long v;

	(void)snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		errno = 0;
		v = strtol(tok, &end, 10);
		if (errno != 0 || *end != '\0' || v < lo || v > hi || n == max)
			return -EINVAL;
		out[n++] = v;
	}
	return n > 0 ? n : -EINVAL;
}

/* A client count option: up to 3 counts into out; complains if bad. */
static int
parse_counts(const char *opt, const char *list, int *out, int *ret_n)
{
	long v[3];
	int i, n;

	n = parse_list(list, 1, BENCH_CLIENTS_MAX, v, 3);
	if (n < 0) {
		(void)fprintf(stderr, "mmlog-bench: %s '%s': up to 3 counts "
		    "in 1..%d\n", opt, list, BENCH_CLIENTS_MAX);
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		out[i] = (int)v[i];
	*ret_n = n;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

/* Appends one target to the JSON array and prints its line. */
static void
target_line(char *json, size_t cap, const char *text, const struct figure *f,
    const char *value, int met, const char *note)
{
	char s[512] = "";
	size_t n = strlen(json);

	(void)printf("  %-46s %-30s %s%s%s\n", text, value,
	    f == NULL || isnan(f->value) ? "not measured" :
	    !f->valid ? "INVALID" : met ? "met" : "NOT MET",
	    note[0] ? "  " : "", note);
	if (n + 600 > cap)
		return;
	(void)snprintf(json + n, cap - n, "%s\n    {\"target\": ",
	    n > 1 ? "," : "");
	json_str(json, cap, text);
	n = strlen(json);
	(void)snprintf(json + n, cap - n, ", \"figure\": ");
	json_str(json, cap, f != NULL ? f->name : "");
	n = strlen(json);
	(void)snprintf(json + n, cap - n, ", \"value\": ");
	json_str(json, cap, value);
	n = strlen(json);
	(void)snprintf(json + n, cap - n, ", \"met\": %s",
	    f == NULL || isnan(f->value) || !f->valid ? "null" :
	    met ? "true" : "false");
	if (note[0]) {
		n = strlen(json);
		(void)snprintf(json + n, cap - n, ", \"note\": ");
		json_str(s, sizeof(s), note);
		n = strlen(json);
		(void)snprintf(json + n, cap - n, "%s", s);
	}
	n = strlen(json);
	(void)snprintf(json + n, cap - n, "}");
}

/* The targets (HACKING.md), each beside the figure that answers it. */
static void
print_targets(const struct bench_cfg *cfg, char *json, size_t cap)
{
	const struct figure *f, *worst = NULL, *best = NULL, *one;
	char v[96], note[160];
	int i, n = 0, met = 0;
	double r;

	(void)snprintf(json, cap, "[");
	(void)printf("\nTargets (HACKING.md), read from this run:\n");
	for (i = 0; i < fig_count(); i++) {
		f = fig_at(i);
		if (strncmp(f->name, "ingest.unbatched.", 17) != 0 ||
		    isnan(fig_ratio(f)))
			continue;
		n++;
		met += fig_ratio(f) >= 0.8;
		if (worst == NULL || fig_ratio(f) < fig_ratio(worst))
			worst = f;
	}
	if (worst != NULL) {
		r = fig_ratio(worst);
		(void)snprintf(v, sizeof(v), "worst %.2f x raw", r);
		(void)snprintf(note, sizeof(note), "%s; %d of %d rows met",
		    worst->name, met, n);
	} else {
		(void)snprintf(v, sizeof(v), "-");
		note[0] = '\0';
	}
	target_line(json, cap, "ingest unbatched >= 80% of raw seqpacket",
	    worst, v, n > 0 && met == n, note);

	/* The daemon's CPU per unbatched entry, against the bare receiver's. */
	worst = NULL;
	n = met = 0;
	for (i = 0; i < fig_count(); i++) {
		f = fig_at(i);
		if (strncmp(f->name, "cpu.unbatched.", 14) != 0 ||
		    isnan(fig_ratio(f)))
			continue;
		n++;
		met += fig_ratio(f) <= 1.2;
		if (worst == NULL || fig_ratio(f) > fig_ratio(worst))
			worst = f;
	}
	(void)snprintf(v, sizeof(v), "worst %.2f x raw",
	    worst != NULL ? fig_ratio(worst) : NAN);
	(void)snprintf(note, sizeof(note), "%s; %d of %d rows met",
	    worst != NULL ? worst->name : "-", met, n);
	target_line(json, cap, "daemon CPU/entry <= 1.2 x bare receiver",
	    worst, v, n > 0 && met == n, note);

	/* Batched by the library (MMLOG_BATCH), not by hand-made frames. */
	for (i = 0; i < fig_count(); i++) {
		f = fig_at(i);
		if (strncmp(f->name, "ingest.libbatch.128.", 20) != 0 ||
		    isnan(f->value))
			continue;
		if (best == NULL || f->value > best->value)
			best = f;
	}
	one = fig_find("ingest.batched.128.c1");
	(void)snprintf(v, sizeof(v), "best %.3gM/s",
	    best != NULL ? best->value / 1e6 : NAN);
	(void)snprintf(note, sizeof(note), "%s; hand-made frames %.3gM/s",
	    best != NULL ? best->name : "-", one != NULL ? one->value / 1e6 :
	    NAN);
	target_line(json, cap, "MMLOG_BATCH 128-byte entries > 5M/s", best, v,
	    best != NULL && best->value > 5e6, note);

	/*
	 * Each entry acknowledged on its own once durable, 32 clients: the
	 * clients that keep a window of entries out (durable_async) are the
	 * figure; the note says what one entry out per client gets.
	 */
	f = fig_find("durable_async.c32");
	one = fig_find("durable.c32");
	(void)snprintf(v, sizeof(v), "%.3gk/s", f != NULL ? f->value / 1e3 :
	    NAN);
	(void)snprintf(note, sizeof(note), "durable_async.c32, window %u; "
	    "one entry out per client (durable.c32): %.3gk/s",
	    cfg->async_window, one != NULL ? one->value / 1e3 : NAN);
	target_line(json, cap, "acked entries, 32 clients > 100k/s", f, v,
	    f != NULL && f->value > 1e5, note);

	f = fig_find("query.show_n100");
	(void)snprintf(v, sizeof(v), "%.3g ms", f != NULL ? f->value : NAN);
	note[0] = '\0';
	if (cfg->ring_size < ((uint64_t)1 << 30))
		(void)snprintf(note, sizeof(note), "on a %llu MiB ring; "
		    "BENCH=full for 1 GiB",
		    (unsigned long long)(cfg->ring_size >> 20));
	target_line(json, cap, "show -n 100, full 1 GiB ring < 20 ms", f, v,
	    f != NULL && f->value < 20, note);

	f = NULL;
	for (i = 0; i < fig_count(); i++)
		if (strncmp(fig_at(i)->name, "memory.c", 8) == 0 &&
		    strcmp(fig_at(i)->name, "memory.c1") != 0)
			f = fig_at(i);
	(void)snprintf(v, sizeof(v), "%.3g MiB", f != NULL ? f->value : NAN);
	target_line(json, cap, "memory outside map, 1000 clients < 5 MiB", f,
	    v, f != NULL && f->value < 5,
	    f != NULL ? f->name : "");

	f = fig_find("query.since_seek");
	(void)snprintf(v, sizeof(v), "%.3g ms", f != NULL ? f->value : NAN);
	target_line(json, cap, "--since seek to the middle < 20 ms", f, v,
	    f != NULL && f->value < 20, note);
	(void)snprintf(json + strlen(json), cap - strlen(json), "\n  ]");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "build", required_argument, NULL, 'b' },
		{ "smoke", no_argument, NULL, 's' },
		{ "quick", no_argument, NULL, 'q' },
		{ "full", no_argument, NULL, 'F' },
		{ "peers", no_argument, NULL, 'p' },
		{ "only", required_argument, NULL, 'o' },
		{ "dir", required_argument, NULL, 'd' },
		{ "json", required_argument, NULL, 'j' },
		{ "keep", no_argument, NULL, 'k' },
		{ "sizes", required_argument, NULL, 'S' },
		{ "clients", required_argument, NULL, 'C' },
		{ "durable", required_argument, NULL, 'D' },
		{ "window", required_argument, NULL, 'W' },
		{ "seconds", required_argument, NULL, 'T' },
		{ "write-sizes", required_argument, NULL, 'X' },
		{ "write-clients", required_argument, NULL, 'Y' },
		{ "write-reps", required_argument, NULL, 'R' },
		{ "write-methods", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct bench_cfg cfg;
	static char targets[8192];
	struct ring_view rv = { .fd = -1, .hdr = NULL };
	const char *mode = "quick", *parent, *env = getenv("BENCH");
	char json[400] = "", buf[256], *tok, *save = NULL, abs_build[PATH_MAX];
	const char *sizes = NULL, *clients = NULL, *durable = NULL;
	const char *seconds = NULL, *window = NULL;
	const char *wsizes = NULL, *wclients = NULL, *wreps = NULL;
	const char *wmethods = NULL;
	long wv[8];
	unsigned only = 0;
	long v[4];
	int ch, peers = 0, r, ret = 1, st, i, n;
	struct statfs sf;
	struct rlimit rl;
	pid_t daemon = -1;
	double t;

	/* $BENCH first, so that options can override it. */
	if (env != NULL) {
		(void)snprintf(buf, sizeof(buf), "%s", env);
		for (tok = strtok_r(buf, ", ", &save); tok != NULL;
		    tok = strtok_r(NULL, ", ", &save)) {
			if (strcmp(tok, "smoke") == 0)
				mode = "smoke";
			else if (strcmp(tok, "full") == 0)
				mode = "full";
			else if (strcmp(tok, "quick") == 0)
				mode = "quick";
			else if (strcmp(tok, "peers") == 0)
				peers = 1;
			else {
				(void)fprintf(stderr, "mmlog-bench: "
				    "BENCH='%s': expected smoke, quick, full "
				    "or peers\n", env);
				return 2;
			}
		}
	}
	cfg.build_dir = "build";
	parent = getenv("TMPDIR");
	if (parent == NULL || *parent == '\0')
		parent = "/var/tmp";
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b': cfg.build_dir = optarg; break;
		case 's': mode = "smoke"; break;
		case 'q': mode = "quick"; break;
		case 'F': mode = "full"; break;
		case 'p': peers = 1; break;
		case 'd': parent = optarg; break;
		case 'j':
			(void)snprintf(json, sizeof(json), "%s", optarg);
			break;
		case 'k': cfg.keep = 1; break;
		case 'S': sizes = optarg; break;
		case 'C': clients = optarg; break;
		case 'D': durable = optarg; break;
		case 'W': window = optarg; break;
		case 'T': seconds = optarg; break;
		case 'X': wsizes = optarg; break;
		case 'Y': wclients = optarg; break;
		case 'R': wreps = optarg; break;
		case 'M': wmethods = optarg; break;
		case 'o':
			if (parse_parts(optarg, &only) < 0) {
				(void)fprintf(stderr, "mmlog-bench: --only "
				    "'%s': unknown part\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	set_mode(&cfg, mode);
	cfg.write_reps = cfg.reps;
	if (wsizes != NULL) {
		n = parse_list(wsizes, BENCH_TAG_LEN + 1, 4096, wv, 8);
		if (n < 0) {
			(void)fprintf(stderr, "mmlog-bench: --write-sizes '%s': "
			    "up to 8 sizes in %d..4096\n", wsizes,
			    BENCH_TAG_LEN + 1);
			return 2;
		}
		for (i = 0; i < n; i++)
			cfg.write_sizes[i] = (size_t)wv[i];
		cfg.n_write_sizes = n;
	}
	if (wclients != NULL) {
		n = parse_list(wclients, 1, BENCH_CLIENTS_MAX, wv, 2);
		if (n < 0) {
			(void)fprintf(stderr, "mmlog-bench: --write-clients "
			    "'%s': up to 2 counts in 1..%d\n", wclients,
			    BENCH_CLIENTS_MAX);
			return 2;
		}
		for (i = 0; i < n; i++)
			cfg.write_clients[i] = (int)wv[i];
		cfg.n_write_clients = n;
	}
	if (wreps != NULL) {
		if (parse_list(wreps, 1, 15, wv, 1) != 1) {
			(void)fprintf(stderr, "mmlog-bench: --write-reps '%s': "
			    "expected 1..15\n", wreps);
			return 2;
		}
		cfg.write_reps = (int)wv[0];
	}
	if (wmethods != NULL)
		(void)snprintf(cfg.write_methods, sizeof(cfg.write_methods),
		    "%s", wmethods);
	/* The tag takes BENCH_TAG_LEN bytes; the daemon's default limit. */
	if (sizes != NULL) {
		n = parse_list(sizes, BENCH_TAG_LEN + 1, 4096, v, 4);
		if (n < 0) {
			(void)fprintf(stderr, "mmlog-bench: --sizes '%s': up "
			    "to 4 sizes in %d..4096\n", sizes,
			    BENCH_TAG_LEN + 1);
			return 2;
		}
		for (i = 0; i < n; i++)
			cfg.sizes[i] = (size_t)v[i];
		cfg.n_sizes = n;
	}
	if ((clients != NULL && parse_counts("--clients", clients, cfg.clients,
	    &cfg.n_clients) < 0) || (durable != NULL && parse_counts(
	    "--durable", durable, cfg.durable_clients, &cfg.n_durable) < 0))
		return 2;
	if (window != NULL) {
		if (parse_list(window, 1, MMLOG_WINDOW_MAX, v, 1) != 1) {
			(void)fprintf(stderr, "mmlog-bench: --window '%s': "
			    "expected 1..%d\n", window, MMLOG_WINDOW_MAX);
			return 2;
		}
		cfg.async_window = (unsigned)v[0];
	}
	if (seconds != NULL) {
		cfg.run_s = strtod(seconds, NULL);
		if (!(cfg.run_s > 0 && cfg.run_s <= 3600)) {
			(void)fprintf(stderr, "mmlog-bench: --seconds '%s': "
			    "expected 0 < S <= 3600\n", seconds);
			return 2;
		}
	}
	cfg.parts = only ? only : PART_DEFAULT | (peers ? PART_PEERS : 0);
	if (json[0] == '\0')
		(void)snprintf(json, sizeof(json), "%s/bench.json",
		    cfg.build_dir);
	/* Children chdir nowhere, but paths must survive our own cwd. */
	if (realpath(cfg.build_dir, abs_build) == NULL) {
		(void)fprintf(stderr, "mmlog-bench: build directory '%s': %s\n",
		    cfg.build_dir, strerror(errno));
		return 1;
	}
	(void)snprintf(cfg.mmlogd, sizeof(cfg.mmlogd), "%s/mmlogd", abs_build);
	(void)snprintf(cfg.mmlogctl, sizeof(cfg.mmlogctl), "%s/mmlogctl",
	    abs_build);
	if (access(cfg.mmlogd, X_OK) < 0) {
		(void)fprintf(stderr, "mmlog-bench: %s: %s (make %s first)\n",
		    cfg.mmlogd, strerror(errno), cfg.mmlogd);
		return 1;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	/*
	 * 1000 idle clients need descriptors on both sides; the daemon
	 * inherits the soft limit raised here.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4200) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		    rl.rlim_max > 4200 ? 4200 : rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	(void)snprintf(cfg.tmp, sizeof(cfg.tmp), "%s/mmlog-bench.XXXXXX",
	    parent);
	if (mkdtemp(cfg.tmp) == NULL) {
		(void)fprintf(stderr, "mmlog-bench: mkdtemp in '%s': %s\n",
		    parent, strerror(errno));
		return 1;
	}
	(void)snprintf(cfg.ring_path, sizeof(cfg.ring_path), "%s/ring",
	    cfg.tmp);
	(void)snprintf(cfg.sock_path, sizeof(cfg.sock_path), "%s/mmlogd.sock",
	    cfg.tmp);
	(void)snprintf(cfg.syslog_path, sizeof(cfg.syslog_path),
	    "%s/syslog.sock", cfg.tmp);
	if (statfs(cfg.tmp, &sf) == 0 &&
	    (unsigned long)sf.f_type == TMPFS_MAGIC)
		bench_log("warning: %s is on tmpfs: fdatasync and msync cost "
		    "nothing there, so the durable figures say little "
		    "(use --dir on a disk)", cfg.tmp);
	bench_log("%s run, %ld CPUs, ring %llu MiB, %.2f s per run, best of "
	    "%d, in %s", cfg.mode, sysconf(_SC_NPROCESSORS_ONLN),
	    (unsigned long long)(cfg.ring_size >> 20), cfg.run_s, cfg.reps,
	    cfg.tmp);

	if (cfg.parts & ~PART_RAW) {
		r = daemon_start(&cfg, NULL, &daemon, &t);
		if (r < 0) {
			bench_log("cannot start %s", cfg.mmlogd);
			cfg.keep = 1;
			goto out;
		}
		r = ring_view_open(cfg.ring_path, &rv);
		if (r < 0) {
			bench_log("cannot map %s: %s", cfg.ring_path,
			    strerror(-r));
			goto out;
		}
	}
	/*
	 * Fill the ring first whatever runs: the queries want a full ring,
	 * and ingest into a warm ring is what a running daemon does (the
	 * first pass over a new ring also pays for page-cache misses on
	 * its fallocated, never written blocks).
	 */
	if (daemon > 0) {
		if (part_fill(&cfg, &rv, daemon) < 0) {
			struct figure *f = fig_add("fill", NAN, "entries/s",
			    NULL, NAN);

			fig_invalid(f, "filling the ring failed");
		} else if (cfg.parts & PART_QUERY)
			part_query(&cfg, &rv);
	}
	/*
	 * Durable before ingest: gigabytes just written make the disk's
	 * flushes slower for a while, which is not what we measure here.
	 */
	if (cfg.parts & PART_DURABLE)
		part_durable(&cfg, &rv, daemon);
	if (cfg.parts & (PART_RAW | PART_INGEST))
		part_ingest(&cfg, &rv, daemon);
	if (cfg.parts & PART_WRITE)
		part_write(&cfg);
	if (cfg.parts & PART_SYSLOG)
		part_syslog(&cfg, &rv, daemon);
	if (cfg.parts & PART_LATENCY)
		part_latency(&cfg, &rv, daemon);
	if (cfg.parts & PART_MEMORY)
		part_memory(&cfg, &rv, daemon);
	if (cfg.parts & PART_RECOVERY)
		part_recovery(&cfg, &rv, &daemon);
	if (cfg.parts & PART_PEERS) {
		if (daemon < 0 && daemon_start(&cfg, NULL, &daemon, &t) < 0)
			daemon = -1;
		part_peers(&cfg, &rv, daemon);
	}
	if (cfg.parts & PART_FORWARD) {
		if (daemon < 0 && daemon_start(&cfg, NULL, &daemon, &t) < 0)
			daemon = -1;
		part_forward(&cfg, &rv, daemon);
	}
	if (daemon > 0) {
		st = daemon_stop(&cfg, daemon, SIGTERM, 300);
		daemon = -1;
		if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			struct figure *f = fig_add("shutdown", NAN, "-", NULL,
			    NAN);

			fig_invalid(f, "mmlogd did not stop cleanly");
		}
	}

	(void)printf("\nmmlog-bench, %s mode, %ld CPUs; ratio = value / "
	    "baseline (rates: higher is better; times, costs: lower)\n\n",
	    cfg.mode, sysconf(_SC_NPROCESSORS_ONLN));
	report_table(stdout);
	print_targets(&cfg, targets, sizeof(targets));
	if (cfg.parts & PART_WRITE) {
		(void)printf("\nThe write A/B (mmlogd --ring-write), medians of "
		    "%d runs per cell:\n", cfg.write_reps);
		write_summary(&cfg, stdout);
	}
	r = report_json(json, &cfg, targets);
	if (r < 0)
		bench_log("cannot write %s: %s", json, strerror(-r));
	else
		(void)printf("\nEvery figure: %s\n", json);
	(void)fflush(stdout);
	if (fig_invalid_count() > 0) {
		bench_log("%d figure(s) did not check out (marked !); see "
		    "their notes and %s", fig_invalid_count(), cfg.tmp);
		cfg.keep = 1;
	} else if (r == 0)
		ret = 0;
out:
	if (daemon > 0)
		(void)daemon_stop(&cfg, daemon, SIGKILL, 10);
	ring_view_close(&rv);
	if (cfg.keep)
		bench_log("kept %s", cfg.tmp);
	else
		(void)nftw(cfg.tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return ret;
}
