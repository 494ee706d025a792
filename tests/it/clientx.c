/*
 * clientx.c: exercises libmmlogclient for the t_client_*.sh tests.
 *
 * usage: clientx [-s SOCKET] MODE [ARGS]
 *   threads T N     T threads write N entries "tK I" each through one
 *                   handle, then sync
 *   fork N          parent and child write N entries each ("parent I",
 *                   "child I") through one handle, while a third thread
 *                   of the parent keeps the handle busy across fork();
 *                   prints "parent PID" and "child PID"
 *   stream N US     blocking writes of "r I" every US microseconds;
 *                   counts failures; prints "sent S dropped D pending P
 *                   failed F" at the end (after a final successful write)
 *   nonblock N      non-blocking writes of "nb I" as fast as it can (the
 *                   daemon is stopped); prints "wrote N eagain E maxus M",
 *                   then retries an entry "nb final" every 10 ms until it
 *                   gets through and prints "sent S dropped D pending P
 *                   eagain E" (E counting the retries too)
 *   batch-exit N    MMLOG_BATCH, N entries "b I", then exit() without
 *                   flush or close
 *   batch-close N   the same, then mmlog_close() and _exit()
 *   batch-delay US  MMLOG_BATCH with delay US: "early", a sleep of
 *                   2*US, "later", prints "written", sleeps 3 s, _exit()
 *   batch-stamp US  MMLOG_BATCH with delay US: writes "st USEC" (the
 *                   realtime clock in us) every ms for 300 ms, then closes
 *   syslog          the mmlog_openlog()/mmlog_syslog() calls
 *   dthreads T N    T threads make N durable writes "dK I" each through
 *                   one handle; prints "durable T*N" once all returned
 *                   with distinct sequence numbers
 *   async N W [MS]  window W, N mmlog_write_async() "a I", printing
 *                   "sent I" after each; then mmlog_wait(0) twice,
 *                   printing "wait ERR seq S" and "wait2 ERR" (ERR: 0 or
 *                   the errno's name).  With MS, the first wait has a
 *                   timeout of MS ms, the second none.
 *   async-nb N W    the same on a non-blocking handle, without the
 *                   "sent" lines: prints "sent S eagain E dropped D",
 *                   then "wait ERR seq S"
 *   steps STEP...   one handle driven step by step, each step one
 *                   argument, printing one line per step that has a
 *                   result (ERR: 0 or the errno's name), flushed:
 *                     open[:nb|:batch]  opens the handle (first step)
 *                     window:N timeout:MS delay:US   the setters
 *                     write:MSG  async:MSG  durable:MSG
 *                                "write ERR", "async ERR TICKET",
 *                                "durable ERR"
 *                     big:N      a plain write of N bytes, "big ERR"
 *                     fields:N   a plain write with N fields K=v,
 *                                "fields ERR"
 *                     wait:T     mmlog_wait(T), "wait ERR"
 *                     sync       mmlog_sync(), "sync ERR"
 *                     bgsync     mmlog_sync() in another thread, which
 *                                prints "bgsync ERR" when it returns
 *                     join       waits for that thread
 *                     sleep:MS   sleeps
 *                     gone:PATH  waits (up to 30 s) until PATH is gone
 *                     say:TEXT   prints TEXT
 *                     stats      "sent S dropped D pending P"
 *                   and closes the handle at the end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "mmlog.h"

static const char *sock;
static struct mmlog_client *shared;
static long n_each;
static volatile int stop_busy;

static void
die(const char *what, int r)
{
	(void)fprintf(stderr, "clientx: %s: %s\n", what, strerror(-r));
	exit(1);
}

static long
now_us(clockid_t id)
{
	struct timespec ts;

	(void)clock_gettime(id, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static void
sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	(void)nanosleep(&ts, NULL);
}

static void
print_stats(struct mmlog_client *c, const char *extra)
{
	struct mmlog_stats st;

	mmlog_get_stats(c, &st);
	(void)printf("sent %llu dropped %llu pending %llu%s\n",
	    (unsigned long long)st.sent, (unsigned long long)st.dropped,
	    (unsigned long long)st.pending_drops, extra);
	(void)fflush(stdout);
}

static void *
thread_main(void *arg)
{
	long k = (long)arg, i;
	int r;

	for (i = 1; i <= n_each; i++) {
		r = mmlog_writef(shared, MMLOG_INFO, NULL, "t%ld %ld", k, i);
		if (r < 0)
			die("write", r);
	}
	return NULL;
}

/* Entries the busy thread writes: 2 MiB or so of an 8 MiB ring. */
#define BUSY_MAX	20000

static void *
busy_main(void *arg)
{
	struct mmlog_stats st;
	long i = 0;

	(void)arg;
	/*
	 * Entries up to a bound, then the handle's lock alone: unbounded,
	 * on a slow machine (slow forks), they went round the test's ring
	 * and took the children's probes with them.
	 */
	while (!stop_busy) {
		if (i < BUSY_MAX)
			(void)mmlog_writef(shared, MMLOG_DEBUG, "busy",
			    "busy %ld", ++i);
		else
			mmlog_get_stats(shared, &st);
	}
	return NULL;
}

static int
do_threads(int nt, long n)
{
	pthread_t th[64];
	long k;
	int r;

	if (nt < 1 || nt > 64)
		return 2;
	n_each = n;
	r = mmlog_open(sock, "thr", 0, &shared);
	if (r < 0)
		die("open", r);
	for (k = 0; k < nt; k++)
		if (pthread_create(&th[k], NULL, thread_main, (void *)k) != 0)
			return 1;
	for (k = 0; k < nt; k++)
		(void)pthread_join(th[k], NULL);
	r = mmlog_sync(shared, NULL);
	if (r < 0)
		die("sync", r);
	shared = mmlog_close(shared);
	return 0;
}

static int
write_n(const char *who, long n)
{
	long i;
	int r;

	for (i = 1; i <= n; i++) {
		r = mmlog_writef(shared, MMLOG_INFO, NULL, "%s %ld", who, i);
		if (r < 0)
			die("write", r);
	}
	r = mmlog_sync(shared, NULL);
	if (r < 0)
		die("sync", r);
	return 0;
}

static const char *
errname(int r)
{
	const char *s = r < 0 ? strerrorname_np(-r) : NULL;

	return r == 0 ? "0" : r == MMLOG_TRUNCATED ? "TRUNCATED" :
	    s != NULL ? s : "?";
}

static void *
dthread_main(void *arg)
{
	long k = (long)arg, i;
	uint64_t *seq = calloc((size_t)n_each, sizeof(*seq));
	char msg[64];
	int r, len;

	if (seq == NULL)
		die("calloc", -ENOMEM);
	for (i = 0; i < n_each; i++) {
		len = snprintf(msg, sizeof(msg), "d%ld %ld", k, i + 1);
		r = mmlog_write_durable(shared, MMLOG_INFO, NULL, msg,
		    (size_t)len, &seq[i]);
		if (r < 0)
			die("write_durable", r);
	}
	return seq;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Durable writes from many threads on one handle: all may be out at
 * once (t_client_async.sh holds the sync to see it).
 */
static int
do_dthreads(int nt, long n)
{
	pthread_t th[64];
	uint64_t *all, *seq;
	long k, i;
	int r;

	if (nt < 1 || nt > 64 || n < 1)
		return 2;
	n_each = n;
	all = calloc((size_t)(nt * n), sizeof(*all));
	if (all == NULL)
		return 1;
	r = mmlog_open(sock, "dthr", 0, &shared);
	if (r < 0)
		die("open", r);
	for (k = 0; k < nt; k++)
		if (pthread_create(&th[k], NULL, dthread_main, (void *)k) != 0)
			return 1;
	for (k = 0; k < nt; k++) {
		(void)pthread_join(th[k], (void **)&seq);
		memcpy(all + k * n, seq, (size_t)n * sizeof(*seq));
		free(seq);
	}
	qsort(all, (size_t)(nt * n), sizeof(*all), cmp_u64);
	for (i = 0; i < nt * n; i++)
		if (all[i] == 0 || (i > 0 && all[i] == all[i - 1])) {
			(void)fprintf(stderr, "clientx: seq %llu returned "
			    "twice or 0\n", (unsigned long long)all[i]);
			return 1;
		}
	(void)printf("durable %ld\n", nt * n);
	free(all);
	shared = mmlog_close(shared);
	return 0;
}

static int
do_async(long n, unsigned window, long first_ms, int nonblock)
{
	uint64_t t, last = 0, seq = 0;
	struct mmlog_stats st;
	char msg[64];
	long i, eagain = 0;
	int r, len;

	r = mmlog_open(sock, "as", nonblock ? MMLOG_NONBLOCK : 0, &shared);
	if (r < 0)
		die("open", r);
	r = mmlog_set_window(shared, window);
	if (r < 0)
		die("set_window", r);
	for (i = 1; i <= n; i++) {
		len = snprintf(msg, sizeof(msg), "a %ld", i);
		r = mmlog_write_async(shared, MMLOG_INFO, NULL, msg,
		    (size_t)len, NULL, 0, &t);
		if (r == -EAGAIN && nonblock) {
			eagain++;
			continue;
		}
		if (r < 0)
			die("write_async", r);
		if (t <= last) {
			(void)fprintf(stderr, "clientx: ticket %llu after "
			    "%llu\n", (unsigned long long)t,
			    (unsigned long long)last);
			return 1;
		}
		last = t;
		if (!nonblock) {
			(void)printf("sent %ld\n", i);
			(void)fflush(stdout);
		}
	}
	if (nonblock) {
		mmlog_get_stats(shared, &st);
		(void)printf("sent %llu eagain %ld dropped %llu\n",
		    (unsigned long long)st.sent, eagain,
		    (unsigned long long)st.dropped);
		(void)fflush(stdout);
	}
	if (first_ms > 0)
		(void)mmlog_set_timeout(shared, (unsigned)first_ms);
	r = mmlog_wait(shared, 0, &seq);
	(void)printf("wait %s seq %llu\n", errname(r),
	    (unsigned long long)seq);
	(void)fflush(stdout);
	if (nonblock)
		goto out;
	(void)mmlog_set_timeout(shared, 0);
	r = mmlog_wait(shared, last, NULL);
	(void)printf("wait2 %s\n", errname(r));
out:
	shared = mmlog_close(shared);
	return 0;
}

static void *
bgsync_main(void *arg)
{
	int r;

	(void)arg;
	r = mmlog_sync(shared, NULL);
	(void)printf("bgsync %s\n", errname(r));
	(void)fflush(stdout);
	return NULL;
}

/* One step of "steps"; returns 0, or 2 for a step it does not know. */
static int
do_step(const char *st, pthread_t *bg, int *have_bg)
{
	const char *arg = strchr(st, ':');
	size_t len = arg != NULL ? (size_t)(arg - st) : strlen(st);
	struct mmlog_field *fl;
	uint64_t t = 0;
	char *big;
	long v;
	int r, flags = 0;

	arg = arg != NULL ? arg + 1 : "";
	v = atol(arg);
#define IS(name) (len == strlen(name) && strncmp(st, name, len) == 0)
	if (IS("open")) {
		if (strcmp(arg, "nb") == 0)
			flags = MMLOG_NONBLOCK;
		else if (strcmp(arg, "batch") == 0)
			flags = MMLOG_BATCH;
		r = mmlog_open(sock, "st", flags, &shared);
		if (r < 0)
			die("open", r);
	} else if (IS("window")) {
		if ((r = mmlog_set_window(shared, (unsigned)v)) < 0)
			die("set_window", r);
	} else if (IS("timeout")) {
		(void)mmlog_set_timeout(shared, (unsigned)v);
	} else if (IS("delay")) {
		(void)mmlog_set_batch_delay(shared, (unsigned)v);
	} else if (IS("write")) {
		r = mmlog_write(shared, MMLOG_INFO, NULL, arg, strlen(arg));
		(void)printf("write %s\n", errname(r));
	} else if (IS("async")) {
		r = mmlog_write_async(shared, MMLOG_INFO, NULL, arg,
		    strlen(arg), NULL, 0, &t);
		(void)printf("async %s %llu\n", errname(r),
		    (unsigned long long)t);
	} else if (IS("durable")) {
		r = mmlog_write_durable(shared, MMLOG_INFO, NULL, arg,
		    strlen(arg), NULL);
		(void)printf("durable %s\n", errname(r));
	} else if (IS("big")) {
		big = malloc((size_t)v);
		if (big == NULL)
			die("malloc", -ENOMEM);
		memset(big, 'x', (size_t)v);
		r = mmlog_write(shared, MMLOG_INFO, NULL, big, (size_t)v);
		free(big);
		(void)printf("big %s\n", errname(r));
	} else if (IS("fields")) {
		fl = calloc((size_t)v + 1, sizeof(*fl));
		if (fl == NULL)
			die("calloc", -ENOMEM);
		for (r = 0; r < v; r++) {
			fl[r].key = "K";
			fl[r].value = "v";
			fl[r].value_len = 1;
		}
		r = mmlog_writev(shared, MMLOG_INFO, NULL, "fields", 6, fl,
		    (size_t)v, 0);
		free(fl);
		(void)printf("fields %s\n", errname(r));
	} else if (IS("wait")) {
		r = mmlog_wait(shared, (uint64_t)v, NULL);
		(void)printf("wait %s\n", errname(r));
	} else if (IS("sync")) {
		r = mmlog_sync(shared, NULL);
		(void)printf("sync %s\n", errname(r));
	} else if (IS("bgsync")) {
		if (pthread_create(bg, NULL, bgsync_main, NULL) != 0)
			return 1;
		*have_bg = 1;
	} else if (IS("join")) {
		if (*have_bg)
			(void)pthread_join(*bg, NULL);
		*have_bg = 0;
	} else if (IS("sleep")) {
		sleep_us(v * 1000);
	} else if (IS("gone")) {
		for (r = 0; r < 3000 && access(arg, F_OK) == 0; r++)
			sleep_us(10000);
	} else if (IS("say")) {
		(void)printf("%s\n", arg);
	} else if (IS("stats")) {
		print_stats(shared, "");
	} else
		return 2;
#undef IS
	(void)fflush(stdout);
	return 0;
}

static int
do_steps(int n, char **steps)
{
	pthread_t bg;
	int i, r, have_bg = 0;

	for (i = 0; i < n; i++) {
		r = do_step(steps[i], &bg, &have_bg);
		if (r != 0) {
			(void)fprintf(stderr, "clientx: step '%s'?\n",
			    steps[i]);
			return r;
		}
	}
	if (have_bg)
		(void)pthread_join(bg, NULL);
	shared = mmlog_close(shared);
	return 0;
}

static int
do_fork(long n)
{
	pthread_t busy;
	pid_t child;
	int r, status, k;

	r = mmlog_open(sock, "fk", 0, &shared);
	if (r < 0)
		die("open", r);
	(void)write_n("pre", 1);
	if (pthread_create(&busy, NULL, busy_main, NULL) != 0)
		return 1;
	/* Fork a few times while the busy thread hammers the handle. */
	for (k = 0; k < 20; k++) {
		child = fork();
		if (child < 0)
			return 1;
		if (child == 0) {
			if (k < 19)
				_exit(mmlog_write(shared, MMLOG_INFO, NULL,
				    "probe", 5) == 0 ? 0 : 1);
			(void)write_n("child", n);
			shared = mmlog_close(shared);
			_exit(0);
		}
		if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			(void)fprintf(stderr, "clientx: child failed\n");
			return 1;
		}
	}
	stop_busy = 1;
	(void)pthread_join(busy, NULL);
	(void)write_n("parent", n);
	(void)printf("parent %ld\nchild %ld\n", (long)getpid(), (long)child);
	shared = mmlog_close(shared);
	return 0;
}

static int
do_stream(long n, long us)
{
	long i, failed = 0;
	char extra[64];
	int r, k;

	r = mmlog_open(sock, "rs", 0, &shared);
	if (r < 0)
		die("open", r);
	for (i = 1; i <= n; i++) {
		if (mmlog_writef(shared, MMLOG_INFO, NULL, "r %ld", i) < 0)
			failed++;
		sleep_us(us);
	}
	/* The drops are reported by the next entry that gets through. */
	for (k = 0; k < 1000; k++) {
		if (mmlog_write(shared, MMLOG_INFO, NULL, "r end", 5) == 0)
			break;
		failed++;
		sleep_us(10000);
	}
	r = mmlog_sync(shared, NULL);
	if (r < 0)
		die("sync", r);
	(void)snprintf(extra, sizeof(extra), " failed %ld", failed);
	print_stats(shared, extra);
	shared = mmlog_close(shared);
	return 0;
}

static int
do_nonblock(long n)
{
	long i, eagain = 0, t, maxus = 0;
	char extra[64];
	int r, k;

	r = mmlog_open(sock, "nb", MMLOG_NONBLOCK, &shared);
	if (r < 0)
		die("open", r);
	for (i = 1; i <= n; i++) {
		t = now_us(CLOCK_MONOTONIC);
		r = mmlog_writef(shared, MMLOG_INFO, NULL, "nb %ld", i);
		t = now_us(CLOCK_MONOTONIC) - t;
		if (t > maxus)
			maxus = t;
		if (r == -EAGAIN)
			eagain++;
		else if (r < 0)
			die("write", r);
	}
	(void)printf("wrote %ld eagain %ld maxus %ld\n", n, eagain, maxus);
	(void)fflush(stdout);
	for (k = 0; k < 1000; k++) {
		r = mmlog_write(shared, MMLOG_INFO, NULL, "nb final", 8);
		if (r == 0)
			break;
		if (r != -EAGAIN)
			die("write", r);
		eagain++;
		sleep_us(10000);
	}
	(void)snprintf(extra, sizeof(extra), " eagain %ld", eagain);
	print_stats(shared, extra);
	shared = mmlog_close(shared);
	return r == 0 ? 0 : 1;
}

static int
do_batch(const char *mode, long n)
{
	long i, t0;
	int r;

	r = mmlog_open(sock, "bt", MMLOG_BATCH, &shared);
	if (r < 0)
		die("open", r);
	if (strcmp(mode, "batch-delay") == 0) {
		r = mmlog_set_batch_delay(shared, (unsigned)n);
		if (r == 0)
			r = mmlog_write(shared, MMLOG_INFO, NULL, "early", 5);
		sleep_us(2 * n);
		if (r == 0)
			r = mmlog_write(shared, MMLOG_INFO, NULL, "later", 5);
		if (r < 0)
			die("write", r);
		(void)printf("written\n");
		(void)fflush(stdout);
		sleep_us(3000000);
		_exit(0);
	}
	if (strcmp(mode, "batch-stamp") == 0) {
		r = mmlog_set_batch_delay(shared, (unsigned)n);
		if (r < 0)
			die("delay", r);
		t0 = now_us(CLOCK_MONOTONIC);
		while (now_us(CLOCK_MONOTONIC) - t0 < 300000) {
			r = mmlog_writef(shared, MMLOG_INFO, NULL, "st %ld",
			    now_us(CLOCK_REALTIME));
			if (r < 0)
				die("write", r);
			sleep_us(1000);
		}
		shared = mmlog_close(shared);
		return 0;
	}
	for (i = 1; i <= n; i++) {
		r = mmlog_writef(shared, MMLOG_INFO, NULL, "b %ld", i);
		if (r < 0)
			die("write", r);
	}
	if (strcmp(mode, "batch-close") == 0) {
		shared = mmlog_close(shared);
		_exit(0);
	}
	exit(0);
}

static int
do_syslog(void)
{
	int r;

	r = mmlog_syslog(LOG_NOTICE, "lazy %d", 1);
	if (r < 0)
		die("syslog", r);
	r = mmlog_openlog("sl", LOG_PID | LOG_NDELAY, LOG_LOCAL0);
	if (r < 0)
		die("openlog", r);
	r = mmlog_syslog(LOG_WARNING, "hello %s %d", "world", 42);
	if (r == 0)
		r = mmlog_syslog(LOG_AUTH | LOG_ERR, "auth %d", 2);
	if (r < 0)
		die("syslog", r);
	mmlog_closelog();
	if (mmlog_openlog("sl", 0x400, 0) != -EINVAL)
		die("openlog accepted a bad option", -EINVAL);
	r = mmlog_openlog("sl2", MMLOG_LOG_BATCH, 0);
	if (r == 0)
		r = mmlog_syslog(LOG_DEBUG, "batched %d", 3);
	if (r < 0)
		die("syslog", r);
	mmlog_closelog();
	return 0;
}

int
main(int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "s:")) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		default: return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return 2;
	if (strcmp(argv[0], "threads") == 0 && argc == 3)
		return do_threads(atoi(argv[1]), atol(argv[2]));
	if (strcmp(argv[0], "fork") == 0 && argc == 2)
		return do_fork(atol(argv[1]));
	if (strcmp(argv[0], "stream") == 0 && argc == 3)
		return do_stream(atol(argv[1]), atol(argv[2]));
	if (strcmp(argv[0], "nonblock") == 0 && argc == 2)
		return do_nonblock(atol(argv[1]));
	if (strncmp(argv[0], "batch-", 6) == 0 && argc == 2)
		return do_batch(argv[0], atol(argv[1]));
	if (strcmp(argv[0], "syslog") == 0)
		return do_syslog();
	if (strcmp(argv[0], "dthreads") == 0 && argc == 3)
		return do_dthreads(atoi(argv[1]), atol(argv[2]));
	if (strcmp(argv[0], "async") == 0 && (argc == 3 || argc == 4))
		return do_async(atol(argv[1]), (unsigned)atoi(argv[2]),
		    argc == 4 ? atol(argv[3]) : 0, 0);
	if (strcmp(argv[0], "steps") == 0 && argc >= 2 &&
	    strncmp(argv[1], "open", 4) == 0)
		return do_steps(argc - 1, argv + 1);
	if (strcmp(argv[0], "async-nb") == 0 && argc == 3)
		return do_async(atol(argv[1]), (unsigned)atoi(argv[2]), 0, 1);
	return 2;
}
