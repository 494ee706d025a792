/*
 * ratelimit.c: per-sender rate limits (ratelimit.h).
 *
 * One window per sender, in a hash table of at most RATE_SENDERS_MAX:
 * `burst` entries pass per `interval`, the rest are counted, and the
 * count is reported (the daemon's own record in the ring) once the
 * window is over: a suppressed entry is never dropped silently.  The
 * caller gives the sender and the time; which intake it came through
 * is not the limiter's concern.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "disk.h"
#include "log.h"
#include "ratelimit.h"

/* Hash chains, and at most this many senders. */
#define RATE_HASH		1024
#define RATE_SENDERS_MAX	16384

struct mml_rate_window {
	struct mml_rate_window *next;
	uint32_t key;
	uint64_t start_usec;	/* CLOCK_MONOTONIC when the window began */
	uint32_t passed;	/* entries let through in this window */
	uint64_t suppressed;	/* entries dropped in this window */
	/* The last sender, named in the record. */
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char comm[MML_COMM_MAX];
	uint8_t comm_len;
};

struct mml_ratelimit {
	unsigned interval_ms;	/* 0: no limit */
	unsigned burst;
	enum mml_rate_key key;
	mml_rate_note_fn note;
	void *arg;
	unsigned n;		/* windows in tab */
	struct mml_rate_window *tab[RATE_HASH];
};

static void window_report(struct mml_ratelimit *, struct mml_rate_window *);
static void window_evict_oldest(struct mml_ratelimit *);

struct mml_ratelimit *
mml_ratelimit_new(mml_rate_note_fn note, void *arg)
{
	struct mml_ratelimit *rl;

	rl = calloc(1, sizeof(*rl));
	if (rl == NULL)
		return NULL;
	rl->note = note;
	rl->arg = arg;
	rl->key = MML_RATE_BY_UID;
	return rl;
}

void
mml_ratelimit_set(struct mml_ratelimit *rl, unsigned interval_ms,
    unsigned burst, enum mml_rate_key key)
{
	/* Counts so far are reported under the old limits' words. */
	mml_ratelimit_sweep(rl, 0, 1);
	rl->interval_ms = interval_ms;
	rl->burst = burst;
	rl->key = key;
}

uint32_t
mml_ratelimit_key(const struct mml_ratelimit *rl,
    const struct mml_rate_sender *who)
{
	return rl->key == MML_RATE_BY_PID ? (uint32_t)who->pid :
	    (uint32_t)who->uid;
}

/* Reports a window's count of suppressed entries, if any. */
static void
window_report(struct mml_ratelimit *rl, struct mml_rate_window *w)
{
	struct mml_rate_sender who;
	char msg[200], comm[4 * MML_COMM_MAX + 6];
	int n;

	if (w->suppressed == 0)
		return;
	(void)mml_log_escape(comm, w->comm, w->comm_len, MML_COMM_MAX);
	if (rl->key == MML_RATE_BY_PID)
		n = snprintf(msg, sizeof(msg), "suppressed %llu entries from pid "
		    "%d (%.*s): more than %u in %u ms (rate limit)",
		    (unsigned long long)w->suppressed, (int)w->pid,
		    (int)w->comm_len, w->comm, rl->burst, rl->interval_ms);
	else
		n = snprintf(msg, sizeof(msg), "suppressed %llu entries from uid "
		    "%d, the last from pid %d (%.*s): more than %u in %u ms "
		    "(rate limit)", (unsigned long long)w->suppressed,
		    (int)w->uid, (int)w->pid, (int)w->comm_len, w->comm,
		    rl->burst, rl->interval_ms);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = (int)strlen(msg);
	who.pid = w->pid;
	who.uid = w->uid;
	who.gid = w->gid;
	who.comm = w->comm;
	who.comm_len = w->comm_len;
	rl->note(&who, msg, (size_t)n, w->suppressed, rl->arg);
	mml_log(LOG_NOTICE, "rate limit: suppressed %llu entries from %s %d "
	    "(%s)", (unsigned long long)w->suppressed,
	    rl->key == MML_RATE_BY_PID ? "pid" : "uid", (int)w->key, comm);
	w->suppressed = 0;
}

void
mml_ratelimit_sweep(struct mml_ratelimit *rl, uint64_t now_usec, int all)
{
	struct mml_rate_window **pp, *w;
	uint64_t iv = (uint64_t)rl->interval_ms * 1000;
	unsigned i;

	for (i = 0; i < RATE_HASH && rl->n > 0; i++) {
		for (pp = &rl->tab[i]; (w = *pp) != NULL; ) {
			if (!all && now_usec - w->start_usec < iv) {
				pp = &w->next;
				continue;
			}
			window_report(rl, w);
			*pp = w->next;
			free(w);
			rl->n--;
		}
	}
}

/* At RATE_SENDERS_MAX with none ended: the oldest window goes, reported. */
static void
window_evict_oldest(struct mml_ratelimit *rl)
{
	struct mml_rate_window *w, **pp, **oldest = NULL;
	unsigned i;

	for (i = 0; i < RATE_HASH; i++)
		for (pp = &rl->tab[i]; *pp != NULL; pp = &(*pp)->next)
			if (oldest == NULL ||
			    (*pp)->start_usec < (*oldest)->start_usec)
				oldest = pp;
	w = *oldest;
	window_report(rl, w);
	*oldest = w->next;
	free(w);
	rl->n--;
}

struct mml_rate_window *
mml_ratelimit_window(struct mml_ratelimit *rl, uint32_t key,
    const struct mml_rate_sender *who, uint64_t now_usec)
{
	struct mml_rate_window *w;
	unsigned h;

	h = (key * 2654435761U) >> 22;	/* top 10 bits: RATE_HASH */
	for (w = rl->tab[h]; w != NULL; w = w->next)
		if (w->key == key)
			goto found;
	if (rl->n >= RATE_SENDERS_MAX)
		mml_ratelimit_sweep(rl, now_usec, 0);
	if (rl->n >= RATE_SENDERS_MAX)
		window_evict_oldest(rl);
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->key = key;
	w->start_usec = now_usec;
	w->next = rl->tab[h];
	rl->tab[h] = w;
	rl->n++;
found:
	w->pid = who->pid;
	w->uid = who->uid;
	w->gid = who->gid;
	w->comm_len = (uint8_t)(who->comm_len < MML_COMM_MAX ? who->comm_len :
	    MML_COMM_MAX);
	memcpy(w->comm, who->comm, w->comm_len);
	return w;
}

int
mml_ratelimit_pass(struct mml_ratelimit *rl, struct mml_rate_window *w,
    uint64_t now_usec)
{
	if (now_usec - w->start_usec >= (uint64_t)rl->interval_ms * 1000) {
		window_report(rl, w);
		w->start_usec = now_usec;
		w->passed = 0;
	}
	if (w->passed < rl->burst) {
		w->passed++;
		return 1;
	}
	w->suppressed++;
	return 0;
}

unsigned
mml_ratelimit_senders(const struct mml_ratelimit *rl)
{
	return rl->n;
}

struct mml_ratelimit *
mml_ratelimit_free(struct mml_ratelimit *rl)
{
	struct mml_rate_window *w;
	unsigned i;

	if (rl == NULL)
		return NULL;
	for (i = 0; i < RATE_HASH; i++)
		while ((w = rl->tab[i]) != NULL) {
			rl->tab[i] = w->next;
			free(w);
		}
	free(rl);
	return NULL;
}
