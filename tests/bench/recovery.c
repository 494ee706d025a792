/*
 * recovery.c: how long a full ring takes to come back after the daemon
 * was killed, beside a restart after an orderly SIGTERM.
 *
 * The worst case we can make on purpose: a daemon with periodic syncs
 * off (--sync-interval of an hour) takes a burst of entries, 40% of the
 * ring (at half, mmlogd syncs on its own so as not to lap the durable
 * cursor), that are in the map but not yet durable; then SIGKILL.  The
 * next daemon must validate every record past the durable cursor (CRC
 * and sequence) and make it durable before READY=1.  Both restarts are
 * timed from fork to READY=1 on our notification socket.
 *
 * It also checks contract 1 of HACKING.md: an accepted entry survives a
 * crash of the daemon, so the restarted ring ends where the killed one
 * did.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "bench.h"

#define WHY_MAX	200

static uint64_t burst_limit;

static int
burst_enough(void *arg)
{
	return ring_head_seq(arg) >= burst_limit;
}

static int
clean_exit(int st)
{
	return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Records why in why[WHY_MAX] (the first reason wins); returns -1. */
static int
fail(char *why, const char *fmt, ...)
{
	va_list ap;

	if (why[0] != '\0')
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(why, WHY_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * One round: clean stop, a start without periodic syncs, the burst,
 * SIGKILL, the timed restart, a clean stop and the timed restart after
 * it.  *daemon is the running daemon on return, or -1.
 */
static int
one_round(struct bench_cfg *cfg, struct ring_view *rv, pid_t *daemon,
    double *ret_kill, double *ret_term, uint64_t *ret_past, char *why)
{
	static const char *const nosync[] = { "--sync-interval", "3600000",
	    NULL };
	struct load l;
	uint64_t head;
	double t;
	pid_t pid;
	int st;

	st = daemon_stop(cfg, *daemon, SIGTERM, 300);
	*daemon = -1;
	if (!clean_exit(st))
		return fail(why, "mmlogd did not stop cleanly on SIGTERM "
		    "(status %d)", st);
	if (daemon_start(cfg, nosync, &pid, &t) < 0)
		return fail(why, "mmlogd did not start");
	memset(&l, 0, sizeof(l));
	l.kind = W_BATCH;
	l.clients = 2;
	l.entry_size = 128;
	l.seconds = cfg->burst_s;
	l.path = cfg->sock_path;
	l.consumed = consumed_ring;
	l.arg = rv;
	l.until = burst_enough;
	burst_limit = ring_head_seq(rv) +
	    cfg->ring_size * 2 / 5 / bench_rec_size(128);
	if (load_run(&l) < 0) {
		*daemon = pid;
		return fail(why, "burst: %.180s", l.why);
	}
	head = ring_head_seq(rv);
	*ret_past = head - 1 - ring_durable_seq(rv);
	(void)daemon_stop(cfg, pid, SIGKILL, 60);

	if (daemon_start(cfg, NULL, &pid, ret_kill) < 0)
		return fail(why, "mmlogd did not restart after SIGKILL");
	/* Contract 1: what the killed daemon accepted is all there. */
	if (ring_head_seq(rv) != head || ring_durable_seq(rv) != head - 1)
		(void)fail(why, "after SIGKILL the ring ends at seq %llu "
		    "(durable %llu); it held %llu",
		    (unsigned long long)ring_head_seq(rv) - 1,
		    (unsigned long long)ring_durable_seq(rv),
		    (unsigned long long)head - 1);
	st = daemon_stop(cfg, pid, SIGTERM, 300);
	if (!clean_exit(st))
		return fail(why, "mmlogd did not stop cleanly on SIGTERM "
		    "(status %d)", st);
	if (daemon_start(cfg, NULL, daemon, ret_term) < 0)
		return fail(why, "mmlogd did not restart after SIGTERM");
	if (ring_head_seq(rv) != head)
		return fail(why, "after SIGTERM the ring ends at seq %llu; "
		    "it held %llu", (unsigned long long)ring_head_seq(rv) - 1,
		    (unsigned long long)head - 1);
	return why[0] != '\0' ? -1 : 0;
}

void
part_recovery(struct bench_cfg *cfg, struct ring_view *rv, pid_t *daemon)
{
	struct figure *f;
	double t_kill = NAN, t_term = NAN, tk, tt;
	uint64_t past = 0;
	char why[WHY_MAX] = "";
	int rep;

	for (rep = 0; rep < cfg->reps; rep++) {
		if (one_round(cfg, rv, daemon, &tk, &tt, &past, why) < 0)
			break;
		if (isnan(t_kill) || tk < t_kill)
			t_kill = tk;
		if (isnan(t_term) || tt < t_term)
			t_term = tt;
	}
	bench_log("recovery: %.1f ms after SIGKILL (%llu entries past the "
	    "durable cursor), %.1f ms after SIGTERM", t_kill * 1e3,
	    (unsigned long long)past, t_term * 1e3);
	f = fig_add("recovery.sigkill", t_kill * 1e3, "ms", "recovery.sigterm",
	    t_term * 1e3);
	if (why[0] != '\0')
		fig_invalid(f, "%s", why);
	fig_extra(f, "entries_past_durable", (double)past);
	fig_extra(f, "MiB_past_durable",
	    (double)past * (double)bench_rec_size(128) / 1048576);
	fig_extra(f, "ring_MiB", (double)(cfg->ring_size >> 20));
}
