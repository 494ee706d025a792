/*
 * clientmix.c: many threads of one libmmlogclient handle, each making a
 * random mix of the handle's calls for some seconds, for
 * t_client_mixed.sh.  The daemon may be killed and started again
 * meanwhile.
 *
 * usage: clientmix [-s SOCKET] [-t THREADS] [-d SECONDS] [-T TIMEOUT_MS]
 *                  [-w WINDOW] [-r SEED] [-o FILE] [-N]
 *   -t THREADS     threads sharing the one handle (default 8, at most 64)
 *   -d SECONDS     how long each thread goes on (default 4)
 *   -T TIMEOUT_MS  mmlog_set_timeout() (default 5000): a call that waits
 *                  that long fails with ETIMEDOUT, which ends the run
 *   -w WINDOW      mmlog_set_window() (default 16)
 *   -r SEED        the random mix (default: from the clock; printed)
 *   -o FILE        writes there, one per line, "SEQ<TAB>MESSAGE" for each
 *                  entry believed durable: a mmlog_write_durable() that
 *                  returned 0 (SEQ is the sequence number it gave), or a
 *                  mmlog_write_async() that a later mmlog_wait() or
 *                  mmlog_sync() of the same thread covered and that
 *                  returned 0 (SEQ is 0: not known)
 *   -N             the daemon stays up: every call must return 0
 *
 * Thread K writes messages "tK I", I counting up from 1 over every entry
 * it writes, whatever the call.  Each turn it picks one of: mmlog_write,
 * mmlog_write_durable, 1 to 4 mmlog_write_async, mmlog_wait on its
 * newest ticket or on 0, mmlog_sync.  Every call must return 0 or, the
 * daemon being killed and restarted, -EPIPE, -ECONNREFUSED, -ENOENT or
 * -ECONNRESET (counted per kind); anything else ends the run, and so
 * does a durable write that returns 0 with sequence number 0, a
 * sequence number returned twice (across all threads), or a ticket that
 * does not count up.
 *
 * An async entry is believed durable once a wait (or sync) of its
 * thread that covers it returns 0, except where the library may have
 * reported its loss to another call: mmlog_wait() and mmlog_sync()
 * report a failure once, to whichever call covers it first.  So an
 * async entry is not claimed if a sync, a wait on 0, or a wait on a
 * ticket at least its own returned an error (in any thread) at a time
 * that overlaps the entry's life, from its write to the wait that
 * covered it.  A wait on an older ticket that returned an error does not
 * cover it, and does not cancel the claim.
 *
 * Prints a line per thread, then
 *   "total plain P durable D async A wait W sync S errors EPIPE E
 *   ECONNREFUSED E ENOENT E ECONNRESET E believed B (durable D, async A)
 *   unsure U seed S"
 * where plain..sync count the calls that returned 0.  Exits 0, or 1
 * (with the reason on stderr) on a failure, or on a thread stuck in a
 * call well past the timeout, or 2 on a usage error.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mmlog.h"

#define MAX_THREADS	64

enum op { OP_NONE, OP_PLAIN, OP_DURABLE, OP_ASYNC, OP_WAIT, OP_SYNC, OP_N };

static const char *op_names[OP_N] = {
	"none", "plain", "durable", "async", "wait", "sync"
};

/* The errors a daemon restart may cause, in the order they are printed. */
static const int ok_errnos[] = { EPIPE, ECONNREFUSED, ENOENT, ECONNRESET };
#define N_OK_ERRNOS	(sizeof(ok_errnos) / sizeof(ok_errnos[0]))

/* An async entry sent, not yet covered by a wait. */
struct pending {
	uint64_t ticket;
	uint64_t index;		/* I of "tK I" */
	uint64_t t_write;	/* ns, before the write */
};

/* An entry believed durable. */
struct belief {
	uint64_t seq;		/* 0 for an async entry */
	uint64_t index;
	uint64_t ticket;	/* async */
	uint64_t t_write, t_covered;	/* async: its life, in ns */
};

/* A wait or sync that returned an error: it may have taken others' news. */
struct report {
	uint64_t t_start, t_end;	/* ns */
	uint64_t cover;		/* the ticket waited on; 0: unknown, any */
};

struct worker {
	pthread_t th;
	int k;
	uint64_t rng;
	uint64_t next_index;
	uint64_t last_ticket;
	uint64_t ok[OP_N];
	uint64_t errs[N_OK_ERRNOS];
	uint64_t uncertain;	/* async entries a failed wait covered */
	struct pending *pend;
	size_t n_pend, cap_pend;
	struct belief *bel;
	size_t n_bel, cap_bel;
	_Atomic int op;		/* the call it is in, for the watchdog */
	_Atomic uint64_t op_t0;
	_Atomic int done;
};

static struct mmlog_client *shared;
static struct worker workers[MAX_THREADS];
static int n_threads = 8;
static long duration_s = 4;
static unsigned timeout_ms = 5000;
static int strict;
static atomic_int stop;
static atomic_int failed;

static pthread_mutex_t report_mu = PTHREAD_MUTEX_INITIALIZER;
static struct report *reports;
static size_t n_reports, cap_reports;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000U + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: one stream per thread. */
static uint64_t
rnd(struct worker *w)
{
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 2685821657736338717ULL;
}

static const char *
errname(int r)
{
	const char *s = strerrorname_np(r < 0 ? -r : r);

	return s != NULL ? s : "?";
}

static void *
grow(void *p, size_t *cap, size_t n, size_t size)
{
	size_t ncap;

	if (n < *cap)
		return p;
	ncap = *cap ? *cap * 2 : 1024;
	p = realloc(p, ncap * size);
	if (p == NULL) {
		(void)fprintf(stderr, "clientmix: out of memory\n");
		_exit(1);
	}
	*cap = ncap;
	return p;
}

/* Ends the run: the first failure says why. */
static void
failure(struct worker *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
failure(struct worker *w, const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	(void)fprintf(stderr, "clientmix: FAIL: thread %d: %s\n", w->k, buf);
	atomic_store(&failed, 1);
	atomic_store(&stop, 1);
}

/*
 * Judges a call's result: 0 and the restart errors are counted (the
 * latter unless -N), and return 1; anything else is a failure.
 */
static int
judge(struct worker *w, enum op op, int r, uint64_t index)
{
	size_t i;

	if (r == 0) {
		w->ok[op]++;
		return 1;
	}
	if (r == -ETIMEDOUT) {
		failure(w, "%s (%s t%d %llu): ETIMEDOUT after %u ms: a hang?",
		    op_names[op], op >= OP_WAIT ? "after entry" : "entry", w->k,
		    (unsigned long long)index, timeout_ms);
		return 0;
	}
	for (i = 0; i < N_OK_ERRNOS && !strict; i++)
		if (r == -ok_errnos[i]) {
			w->errs[i]++;
			return 1;
		}
	failure(w, "%s (%s t%d %llu): unexpected %s (%d)%s", op_names[op],
	    op >= OP_WAIT ? "after entry" : "entry", w->k,
	    (unsigned long long)index, errname(r), r,
	    strict ? ", the daemon was not restarted" : "");
	return 0;
}

static void
op_enter(struct worker *w, enum op op)
{
	atomic_store(&w->op_t0, now_ns());
	atomic_store(&w->op, op);
}

static void
op_leave(struct worker *w)
{
	atomic_store(&w->op, OP_NONE);
}

static void
report_add(uint64_t t_start, uint64_t t_end, uint64_t cover)
{
	(void)pthread_mutex_lock(&report_mu);
	reports = grow(reports, &cap_reports, n_reports, sizeof(*reports));
	reports[n_reports].t_start = t_start;
	reports[n_reports].t_end = t_end;
	reports[n_reports].cover = cover;
	n_reports++;
	(void)pthread_mutex_unlock(&report_mu);
}

static void
belief_add(struct worker *w, uint64_t seq, uint64_t index, uint64_t ticket,
    uint64_t t_write, uint64_t t_covered)
{
	struct belief *b;

	w->bel = grow(w->bel, &w->cap_bel, w->n_bel, sizeof(*w->bel));
	b = &w->bel[w->n_bel++];
	b->seq = seq;
	b->index = index;
	b->ticket = ticket;
	b->t_write = t_write;
	b->t_covered = t_covered;
}

/*
 * A wait or sync covering every pending entry up to ticket (0: all)
 * returned r at t_end: those entries are believed durable (r == 0) or
 * not known (an error).
 */
static void
pending_settle(struct worker *w, uint64_t ticket, int r, uint64_t t_end)
{
	size_t i, j = 0;

	for (i = 0; i < w->n_pend; i++) {
		struct pending *p = &w->pend[i];

		if (ticket != 0 && p->ticket > ticket) {
			w->pend[j++] = *p;
			continue;
		}
		if (r == 0)
			belief_add(w, 0, p->index, p->ticket, p->t_write,
			    t_end);
		else
			w->uncertain++;
	}
	w->n_pend = j;
}

static void
msg_make(struct worker *w, char *buf, size_t len, size_t *ret_len,
    uint64_t *ret_index)
{
	*ret_index = ++w->next_index;
	*ret_len = (size_t)snprintf(buf, len, "t%d %llu", w->k,
	    (unsigned long long)*ret_index);
}

static void
do_plain(struct worker *w)
{
	char msg[64];
	size_t len;
	uint64_t index;
	int r;

	msg_make(w, msg, sizeof(msg), &len, &index);
	op_enter(w, OP_PLAIN);
	r = mmlog_write(shared, MMLOG_INFO, NULL, msg, len);
	op_leave(w);
	(void)judge(w, OP_PLAIN, r, index);
}

static void
do_durable(struct worker *w)
{
	char msg[64];
	size_t len;
	uint64_t index, seq = 0;
	int r;

	msg_make(w, msg, sizeof(msg), &len, &index);
	op_enter(w, OP_DURABLE);
	r = mmlog_write_durable(shared, MMLOG_INFO, NULL, msg, len, &seq);
	op_leave(w);
	if (!judge(w, OP_DURABLE, r, index) || r != 0)
		return;
	if (seq == 0) {
		failure(w, "durable write of \"%s\" returned 0 with seq 0",
		    msg);
		return;
	}
	belief_add(w, seq, index, 0, 0, 0);
}

static void
do_async(struct worker *w)
{
	char msg[64];
	size_t len;
	uint64_t index, ticket = 0, t0;
	int r;

	msg_make(w, msg, sizeof(msg), &len, &index);
	t0 = now_ns();
	op_enter(w, OP_ASYNC);
	r = mmlog_write_async(shared, MMLOG_INFO, NULL, msg, len, NULL, 0,
	    &ticket);
	op_leave(w);
	if (!judge(w, OP_ASYNC, r, index) || r != 0)
		return;
	if (ticket <= w->last_ticket) {
		failure(w, "async write of \"%s\": ticket %llu after %llu",
		    msg, (unsigned long long)ticket,
		    (unsigned long long)w->last_ticket);
		return;
	}
	w->last_ticket = ticket;
	w->pend = grow(w->pend, &w->cap_pend, w->n_pend, sizeof(*w->pend));
	w->pend[w->n_pend].ticket = ticket;
	w->pend[w->n_pend].index = index;
	w->pend[w->n_pend].t_write = t0;
	w->n_pend++;
}

/* Waits on the newest ticket of this thread, or on 0 (every ticket). */
static void
do_wait(struct worker *w, int on_zero)
{
	uint64_t t = on_zero ? 0 : w->last_ticket, t0, t1;
	int r;

	t0 = now_ns();
	op_enter(w, OP_WAIT);
	r = mmlog_wait(shared, t, NULL);
	op_leave(w);
	t1 = now_ns();
	if (!judge(w, OP_WAIT, r, w->next_index))
		return;
	if (r != 0)
		report_add(t0, t1, t);
	pending_settle(w, t, r, t1);
}

static void
do_sync(struct worker *w)
{
	uint64_t t0, t1;
	int r;

	t0 = now_ns();
	op_enter(w, OP_SYNC);
	r = mmlog_sync(shared, NULL);
	op_leave(w);
	t1 = now_ns();
	if (!judge(w, OP_SYNC, r, w->next_index))
		return;
	if (r != 0)
		report_add(t0, t1, 0);
	pending_settle(w, 0, r, t1);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t end = now_ns() + (uint64_t)duration_s * 1000000000U;
	unsigned x, n;

	while (!atomic_load(&stop) && now_ns() < end) {
		x = (unsigned)(rnd(w) % 100);
		if (x < 30)
			do_plain(w);
		else if (x < 50)
			do_durable(w);
		else if (x < 82) {
			for (n = 1 + (unsigned)(rnd(w) % 4); n > 0 &&
			    !atomic_load(&stop); n--)
				do_async(w);
		} else if (x < 94)
			do_wait(w, x >= 88);
		else
			do_sync(w);
	}
	/* What is still pending: settled by one last wait. */
	if (!atomic_load(&failed) && w->n_pend > 0)
		do_wait(w, 0);
	atomic_store(&w->done, 1);
	return NULL;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether an error report may have taken the news of an async entry's loss. */
static int
belief_doubtful(const struct belief *b)
{
	size_t i;

	for (i = 0; i < n_reports; i++)
		if (reports[i].t_start < b->t_covered &&
		    reports[i].t_end > b->t_write &&
		    (reports[i].cover == 0 || reports[i].cover >= b->ticket))
			return 1;
	return 0;
}

/*
 * Sorts every durable write's seq, looking for 0s and twins; writes the
 * beliefs to out (may be NULL).  Returns 0, or 1 on a failure.
 */
static int
finish(FILE *out, uint64_t *ret_durable, uint64_t *ret_async,
    uint64_t *ret_unsure)
{
	uint64_t *seqs = NULL, n = 0, nd = 0, na = 0, nu = 0;
	size_t cap = 0, i;
	int k, rc = 0;

	for (k = 0; k < n_threads; k++) {
		struct worker *w = &workers[k];

		for (i = 0; i < w->n_bel; i++) {
			struct belief *b = &w->bel[i];

			if (b->seq != 0) {
				seqs = grow(seqs, &cap, n, sizeof(*seqs));
				seqs[n++] = b->seq;
				nd++;
			} else if (belief_doubtful(b)) {
				nu++;
				continue;
			} else
				na++;
			if (out != NULL)
				(void)fprintf(out, "%llu\tt%d %llu\n",
				    (unsigned long long)b->seq, k,
				    (unsigned long long)b->index);
		}
	}
	qsort(seqs, n, sizeof(*seqs), cmp_u64);
	for (i = 1; i < n; i++)
		if (seqs[i] == seqs[i - 1]) {
			(void)fprintf(stderr, "clientmix: FAIL: seq %llu "
			    "returned by two durable writes\n",
			    (unsigned long long)seqs[i]);
			rc = 1;
			break;
		}
	free(seqs);
	*ret_durable = nd;
	*ret_async = na;
	*ret_unsure = nu;
	return rc;
}

static void
print_counts(const char *who, const uint64_t ok[OP_N],
    const uint64_t errs[N_OK_ERRNOS])
{
	size_t i;

	(void)printf("%s plain %llu durable %llu async %llu wait %llu "
	    "sync %llu errors", who, (unsigned long long)ok[OP_PLAIN],
	    (unsigned long long)ok[OP_DURABLE],
	    (unsigned long long)ok[OP_ASYNC], (unsigned long long)ok[OP_WAIT],
	    (unsigned long long)ok[OP_SYNC]);
	for (i = 0; i < N_OK_ERRNOS; i++)
		(void)printf(" %s %llu", errname(ok_errnos[i]),
		    (unsigned long long)errs[i]);
}

/*
 * After the run's time, every thread must finish within the time its
 * calls may take: a durable write may wait the timeout twice (for room
 * in the window, then for its answer).  A thread still in a call after
 * that is stuck: say where, and leave without touching the handle.
 */
static void
watchdog(void)
{
	uint64_t end = now_ns() + (uint64_t)duration_s * 1000000000U;
	uint64_t grace = (3 * (uint64_t)timeout_ms + 2000) * 1000000U, t;
	const struct timespec tick = { 0, 10000000 };
	int k, all, op;

	while (!atomic_load(&stop) && now_ns() < end)
		(void)nanosleep(&tick, NULL);
	atomic_store(&stop, 1);
	end = now_ns() + grace;
	for (;;) {
		all = 1;
		for (k = 0; k < n_threads; k++)
			if (!atomic_load(&workers[k].done))
				all = 0;
		if (all)
			return;
		if (now_ns() >= end)
			break;
		(void)nanosleep(&tick, NULL);
	}
	t = now_ns();
	for (k = 0; k < n_threads; k++) {
		if (atomic_load(&workers[k].done))
			continue;
		op = atomic_load(&workers[k].op);
		(void)fprintf(stderr, "clientmix: FAIL: thread %d stuck in %s "
		    "for %llu ms (timeout %u ms): a hang\n", k, op_names[op],
		    op == OP_NONE ? 0ULL : (unsigned long long)
		    ((t - atomic_load(&workers[k].op_t0)) / 1000000U),
		    timeout_ms);
	}
	(void)fflush(stdout);
	_exit(1);
}

static void
usage(void)
{
	(void)fprintf(stderr, "usage: clientmix [-s SOCKET] [-t THREADS] "
	    "[-d SECONDS] [-T TIMEOUT_MS] [-w WINDOW] [-r SEED] [-o FILE] "
	    "[-N]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *out_path = NULL;
	uint64_t ok[OP_N] = { 0 }, errs[N_OK_ERRNOS] = { 0 };
	uint64_t seed, nd, na, nu, uncertain = 0;
	unsigned window = 16;
	FILE *out = NULL;
	char who[32];
	size_t i;
	int ch, k, r, rc = 0;

	seed = now_ns() ^ (uint64_t)getpid();
	while ((ch = getopt(argc, argv, "s:t:d:T:w:r:o:N")) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 't': n_threads = atoi(optarg); break;
		case 'd': duration_s = atol(optarg); break;
		case 'T': timeout_ms = (unsigned)atol(optarg); break;
		case 'w': window = (unsigned)atoi(optarg); break;
		case 'r': seed = strtoull(optarg, NULL, 0); break;
		case 'o': out_path = optarg; break;
		case 'N': strict = 1; break;
		default: usage();
		}
	}
	if (optind != argc || n_threads < 1 || n_threads > MAX_THREADS ||
	    duration_s < 1 || timeout_ms == 0 || window < 1 ||
	    window > MMLOG_WINDOW_MAX)
		usage();
	r = mmlog_open(sock, "mix", 0, &shared);
	if (r < 0) {
		(void)fprintf(stderr, "clientmix: open: %s\n", strerror(-r));
		return 1;
	}
	if ((r = mmlog_set_timeout(shared, timeout_ms)) < 0 ||
	    (r = mmlog_set_window(shared, window)) < 0) {
		(void)fprintf(stderr, "clientmix: set: %s\n", strerror(-r));
		return 1;
	}
	for (k = 0; k < n_threads; k++) {
		workers[k].k = k;
		workers[k].rng = (seed + (uint64_t)k * 0x9e3779b97f4a7c15ULL) |
		    1;
		if (pthread_create(&workers[k].th, NULL, worker_main,
		    &workers[k]) != 0) {
			(void)fprintf(stderr, "clientmix: pthread_create\n");
			return 1;
		}
	}
	watchdog();
	for (k = 0; k < n_threads; k++)
		(void)pthread_join(workers[k].th, NULL);
	for (k = 0; k < n_threads; k++) {
		struct worker *w = &workers[k];

		(void)snprintf(who, sizeof(who), "thread %d", k);
		print_counts(who, w->ok, w->errs);
		(void)printf(" uncertain %llu entries %llu\n",
		    (unsigned long long)w->uncertain,
		    (unsigned long long)w->next_index);
		for (i = 0; i < OP_N; i++)
			ok[i] += w->ok[i];
		for (i = 0; i < N_OK_ERRNOS; i++)
			errs[i] += w->errs[i];
		uncertain += w->uncertain;
	}
	if (out_path != NULL && (out = fopen(out_path, "we")) == NULL) {
		(void)fprintf(stderr, "clientmix: %s: %s\n", out_path,
		    strerror(errno));
		return 1;
	}
	if (finish(out, &nd, &na, &nu) != 0)
		rc = 1;
	if (out != NULL && fclose(out) != 0) {
		(void)fprintf(stderr, "clientmix: %s: %s\n", out_path,
		    strerror(errno));
		rc = 1;
	}
	print_counts("total", ok, errs);
	(void)printf(" believed %llu (durable %llu, async %llu) unsure %llu "
	    "seed %llu\n", (unsigned long long)(nd + na),
	    (unsigned long long)nd, (unsigned long long)na,
	    (unsigned long long)(nu + uncertain), (unsigned long long)seed);
	(void)fflush(stdout);
	if (atomic_load(&failed))
		rc = 1;
	shared = mmlog_close(shared);
	for (k = 0; k < n_threads; k++) {
		free(workers[k].pend);
		free(workers[k].bel);
	}
	free(reports);
	return rc;
}
