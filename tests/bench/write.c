/*
 * write.c: the A/B behind the daemon's way of writing its ring
 * (mmlogd --ring-write; HACKING.md, "Why pwrite").
 *
 * One mmlogd per method, each on a ring of its own filled once (warm,
 * full, evicting as it goes, as a running daemon's is).  Each cell
 * (entry size, clients) runs the raw SOCK_SEQPACKET baseline and then
 * unbatched ingest into every daemon, back to back, write_reps times,
 * the methods in a rotating order; the median of each counts, so that
 * the noise of a shared machine lands on a method and its baseline
 * alike.  Besides entries/s the rows give the daemon's CPU per entry
 * (against the bare receiver's per packet) and its page faults per
 * entry, which is what the methods differ in.  Library-batched 128-byte
 * entries (MMLOG_BATCH) are measured per method too.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bench.h"

#define METHODS_MAX	4
#define REPS_MAX	15

struct method {
	char name[16];
	struct bench_cfg cfg;		/* its socket and ring */
	struct ring_view rv;
	pid_t pid;
	int up;
};

/* The runs of one figure; the median counts. */
struct runs {
	double rate[REPS_MAX], cpu_ns[REPS_MAX], flt[REPS_MAX];
	int n;
	int ok;
	char why[200];
};

static int cmp_double(const void *, const void *);
static double median_of(const double *, int);
static void runs_take(struct runs *, const struct load *);
static int method_start(struct bench_cfg *, struct method *, const char *,
    int);
static void method_stop(struct bench_cfg *, struct method *);
static void run_one(struct bench_cfg *, struct method *, enum worker_kind,
    size_t, int, struct runs *);
static void add_rows(const char *, const char *, size_t, int,
    const struct runs *, const struct runs *);

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median_of(const double *v, int n)
{
	double s[REPS_MAX];

	if (n == 0)
		return NAN;
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void
runs_take(struct runs *r, const struct load *l)
{
	if (!l->ok) {
		r->ok = 0;
		(void)snprintf(r->why, sizeof(r->why), "%s", l->why);
		return;
	}
	if (r->n == REPS_MAX)
		return;
	r->rate[r->n] = (double)l->sent / l->elapsed_s;
	r->cpu_ns[r->n] = l->cpu_s / (double)l->sent * 1e9;
	r->flt[r->n] = (double)l->faults / (double)l->sent;
	r->n++;
}

/*
 * Starts the daemon of one method (k-th) on its own socket and ring,
 * and fills the ring once.  Returns 0 or -errno.
 */
static int
method_start(struct bench_cfg *cfg, struct method *m, const char *name,
    int k)
{
	const char *extra[] = { "--ring-write", m->name, NULL };
	double t;
	int r;

	memset(m, 0, sizeof(*m));
	m->rv.fd = -1;
	m->pid = -1;
	(void)snprintf(m->name, sizeof(m->name), "%s", name);
	m->cfg = *cfg;
	(void)snprintf(m->cfg.sock_path, sizeof(m->cfg.sock_path),
	    "%s/w%d.sock", cfg->tmp, k);
	(void)snprintf(m->cfg.ring_path, sizeof(m->cfg.ring_path),
	    "%s/w%d.ring", cfg->tmp, k);
	m->cfg.syslog_path[0] = '\0';
	r = daemon_start(&m->cfg, extra, &m->pid, &t);
	if (r < 0)
		return r;
	r = ring_view_open(m->cfg.ring_path, &m->rv);
	if (r < 0)
		return r;
	r = part_fill(&m->cfg, &m->rv, m->pid);
	if (r < 0)
		return r;
	m->up = 1;
	return 0;
}

static void
method_stop(struct bench_cfg *cfg, struct method *m)
{
	int st;

	if (m->pid > 0) {
		st = daemon_stop(cfg, m->pid, SIGTERM, 300);
		if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			struct figure *f = fig_add("write.shutdown", NAN, "-",
			    NULL, NAN);

			fig_invalid(f, "mmlogd --ring-write %s did not stop "
			    "cleanly", m->name);
		}
	}
	m->pid = -1;
	ring_view_close(&m->rv);
	(void)unlink(m->cfg.ring_path);
}

/* One run of kind into m's daemon (m NULL: the raw baseline). */
static void
run_one(struct bench_cfg *cfg, struct method *m, enum worker_kind kind,
    size_t size, int clients, struct runs *out)
{
	struct load l;

	memset(&l, 0, sizeof(l));
	l.kind = m == NULL ? W_RAW : kind;
	l.clients = clients;
	l.entry_size = size;
	l.seconds = cfg->run_s;
	if (m != NULL) {
		l.final_sync = 1;
		l.path = m->cfg.sock_path;
		l.consumed = consumed_ring;
		l.arg = &m->rv;
		l.cpu_pid = m->pid;
	}
	(void)load_run(&l);
	runs_take(out, &l);
}

/* The rows of one (method or raw) cell: rate, CPU, faults. */
static void
add_rows(const char *what, const char *kind, size_t size, int clients,
    const struct runs *x, const struct runs *raw)
{
	char name[64], base[64];
	struct figure *f;
	double lo, hi;
	int i;

	(void)snprintf(name, sizeof(name), "write.%.15s.%.15s.%zu.c%d", what, kind,
	    size, clients);
	(void)snprintf(base, sizeof(base), "write.raw.%zu.c%d", size,
	    clients);
	f = fig_add(name, median_of(x->rate, x->n), "entries/s",
	    raw != NULL ? base : NULL, raw != NULL ?
	    median_of(raw->rate, raw->n) : NAN);
	if (!x->ok)
		fig_invalid(f, "%s", x->why);
	lo = hi = x->n > 0 ? x->rate[0] : NAN;
	for (i = 1; i < x->n; i++) {
		lo = x->rate[i] < lo ? x->rate[i] : lo;
		hi = x->rate[i] > hi ? x->rate[i] : hi;
	}
	fig_extra(f, "runs", x->n);
	fig_extra(f, "min", lo);
	fig_extra(f, "max", hi);
	if (raw != NULL) {
		fig_extra(f, "faults_per_entry", median_of(x->flt, x->n));
		if (strcmp(kind, "unbatched") == 0)
			fig_target(f, ">= 0.8 x raw", fig_ratio(f) >= 0.8);
	}
	(void)snprintf(name, sizeof(name), "write.%.15s.cpu.%.15s.%zu.c%d", what,
	    kind, size, clients);
	(void)snprintf(base, sizeof(base), "write.raw.cpu.%zu.c%d", size,
	    clients);
	f = fig_add(name, median_of(x->cpu_ns, x->n), "ns/entry",
	    raw != NULL ? base : NULL, raw != NULL ?
	    median_of(raw->cpu_ns, raw->n) : NAN);
	if (!x->ok)
		fig_invalid(f, "its run failed");
	if (raw != NULL && strcmp(kind, "unbatched") == 0)
		fig_target(f, "<= 1.2 x raw", fig_ratio(f) <= 1.2);
}

void
write_summary(const struct bench_cfg *cfg, FILE *out)
{
	char list[64], *tok, *save = NULL, pre[48], cpre[48];
	const struct figure *f, *g;
	double worst, cworst, rsum, csum;
	int i, n, met, cmet, nr;

	(void)snprintf(list, sizeof(list), "%s", cfg->write_methods);
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		(void)snprintf(pre, sizeof(pre), "write.%.15s.unbatched.", tok);
		(void)snprintf(cpre, sizeof(cpre), "write.%.15s.cpu.unbatched.",
		    tok);
		worst = cworst = NAN;
		rsum = csum = 0;
		n = met = cmet = nr = 0;
		for (i = 0; i < fig_count(); i++) {
			f = fig_at(i);
			if (strncmp(f->name, pre, strlen(pre)) == 0 &&
			    !isnan(fig_ratio(f))) {
				n++;
				rsum += log(fig_ratio(f));
				met += fig_ratio(f) >= 0.8;
				if (isnan(worst) || fig_ratio(f) < worst)
					worst = fig_ratio(f);
			}
			if (strncmp(f->name, cpre, strlen(cpre)) == 0 &&
			    !isnan(fig_ratio(f))) {
				nr++;
				csum += log(fig_ratio(f));
				cmet += fig_ratio(f) <= 1.2;
				if (isnan(cworst) || fig_ratio(f) > cworst)
					cworst = fig_ratio(f);
			}
		}
		if (n == 0)
			continue;
		(void)snprintf(pre, sizeof(pre), "write.%.15s.libbatch.128.c1",
		    tok);
		g = fig_find(pre);
		if (out != NULL)
			(void)fprintf(out, "  --ring-write %-9s unbatched x raw: "
			    "geomean %.2f, worst %.2f, %d/%d >= 0.8; CPU x raw: "
			    "geomean %.2f, worst %.2f, %d/%d <= 1.2; "
			    "MMLOG_BATCH 128 B %.3gM/s\n", tok,
			    exp(rsum / n), worst, met, n, nr ? exp(csum / nr) :
			    NAN, cworst, cmet, nr, g != NULL ? g->value / 1e6 :
			    NAN);
	}
}

void
part_write(struct bench_cfg *cfg)
{
	static struct runs raw[8][2], unb[METHODS_MAX][8][2];
	static struct runs lib[METHODS_MAX];
	struct method ms[METHODS_MAX];
	char list[64], *tok, *save = NULL;
	int nm = 0, s, c, rep, i, k, reps = cfg->write_reps;
	size_t size;

	if (reps > REPS_MAX)
		reps = REPS_MAX;
	(void)snprintf(list, sizeof(list), "%s", cfg->write_methods);
	for (tok = strtok_r(list, ",", &save); tok != NULL && nm < METHODS_MAX;
	    tok = strtok_r(NULL, ",", &save)) {
		if (method_start(cfg, &ms[nm], tok, nm) < 0) {
			struct figure *f = fig_add("write.start", NAN, "-",
			    NULL, NAN);

			fig_invalid(f, "mmlogd --ring-write %s did not start",
			    tok);
			method_stop(cfg, &ms[nm]);
			continue;
		}
		nm++;
	}
	memset(raw, 0, sizeof(raw));
	memset(unb, 0, sizeof(unb));
	memset(lib, 0, sizeof(lib));
	for (s = 0; s < cfg->n_write_sizes; s++)
		for (c = 0; c < cfg->n_write_clients; c++) {
			raw[s][c].ok = 1;
			for (i = 0; i < nm; i++)
				unb[i][s][c].ok = 1;
		}
	for (i = 0; i < nm; i++)
		lib[i].ok = 1;

	for (s = 0; s < cfg->n_write_sizes; s++) {
		size = cfg->write_sizes[s];
		for (c = 0; c < cfg->n_write_clients; c++) {
			for (rep = 0; rep < reps; rep++) {
				run_one(cfg, NULL, W_RAW, size,
				    cfg->write_clients[c], &raw[s][c]);
				/* Each method first in turn. */
				for (k = 0; k < nm; k++) {
					i = (k + rep + s) % nm;
					run_one(cfg, &ms[i], W_MMLOG, size,
					    cfg->write_clients[c],
					    &unb[i][s][c]);
				}
			}
			bench_log("write %4zu B x%d: raw %.3gM/s%s", size,
			    cfg->write_clients[c],
			    median_of(raw[s][c].rate, raw[s][c].n) / 1e6, "");
			for (i = 0; i < nm; i++)
				bench_log("  %-9s %.3gM/s (%.2f x raw), %.0f ns "
				    "per entry, %.3f faults per entry",
				    ms[i].name, median_of(unb[i][s][c].rate,
				    unb[i][s][c].n) / 1e6,
				    median_of(unb[i][s][c].rate,
				    unb[i][s][c].n) / median_of(raw[s][c].rate,
				    raw[s][c].n), median_of(unb[i][s][c].cpu_ns,
				    unb[i][s][c].n), median_of(unb[i][s][c].flt,
				    unb[i][s][c].n));
		}
	}
	/* Library-batched 128-byte entries, one client, per method. */
	for (rep = 0; rep < reps; rep++)
		for (k = 0; k < nm; k++) {
			i = (k + rep) % nm;
			run_one(cfg, &ms[i], W_LIBBATCH, 128, 1, &lib[i]);
		}
	for (i = 0; i < nm; i++)
		bench_log("write libbatch 128 B x1: %-9s %.3gM/s, %.0f ns per "
		    "entry", ms[i].name, median_of(lib[i].rate, lib[i].n) / 1e6,
		    median_of(lib[i].cpu_ns, lib[i].n));

	for (s = 0; s < cfg->n_write_sizes; s++)
		for (c = 0; c < cfg->n_write_clients; c++) {
			struct figure *f;
			char name[64];

			(void)snprintf(name, sizeof(name), "write.raw.%zu.c%d",
			    cfg->write_sizes[s], cfg->write_clients[c]);
			f = fig_add(name, median_of(raw[s][c].rate,
			    raw[s][c].n), "pkt/s", NULL, NAN);
			if (!raw[s][c].ok)
				fig_invalid(f, "%s", raw[s][c].why);
			fig_extra(f, "runs", raw[s][c].n);
			(void)snprintf(name, sizeof(name),
			    "write.raw.cpu.%zu.c%d", cfg->write_sizes[s],
			    cfg->write_clients[c]);
			f = fig_add(name, median_of(raw[s][c].cpu_ns,
			    raw[s][c].n), "ns/pkt", NULL, NAN);
			if (!raw[s][c].ok)
				fig_invalid(f, "%s", raw[s][c].why);
		}
	for (i = 0; i < nm; i++)
		for (s = 0; s < cfg->n_write_sizes; s++)
			for (c = 0; c < cfg->n_write_clients; c++)
				add_rows(ms[i].name, "unbatched",
				    cfg->write_sizes[s], cfg->write_clients[c],
				    &unb[i][s][c], &raw[s][c]);
	for (i = 0; i < nm; i++) {
		struct figure *f;
		char name[64];

		(void)snprintf(name, sizeof(name), "write.%.15s.libbatch.128.c1",
		    ms[i].name);
		f = fig_add(name, median_of(lib[i].rate, lib[i].n),
		    "entries/s", NULL, NAN);
		if (!lib[i].ok)
			fig_invalid(f, "%s", lib[i].why);
		fig_extra(f, "runs", lib[i].n);
		fig_extra(f, "cpu_ns_per_entry", median_of(lib[i].cpu_ns,
		    lib[i].n));
		fig_extra(f, "faults_per_entry", median_of(lib[i].flt,
		    lib[i].n));
		fig_target(f, "> 5M/s", f->value > 5e6);
	}
	for (i = 0; i < nm; i++)
		method_stop(cfg, &ms[i]);
}
