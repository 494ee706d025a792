/*
 * ratelimit.c: what one sender may put in the ring (ratelimit.h).
 *
 * Two hash tables of at most RATE_SENDERS_MAX entries each.  Windows,
 * one per sender under the rate limit's key: `burst` entries pass per
 * `interval`, the rest are counted, and the count is reported (the
 * daemon's own record in the ring) once the window is over.  Accounts,
 * one per uid: the uid's share of the ring as a token bucket of bytes,
 * the entries suppressed for it, and the drops its clients reported,
 * noted in place up to a burst a second and coalesced beyond.  A
 * suppressed entry or a reported drop is never lost silently: every
 * count ends up in a note.  The caller gives the sender and the time;
 * which intake it came through is not the limiter's concern.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "disk.h"
#include "log.h"
#include "ratelimit.h"
#include "wire.h"

/* Hash chains, and at most this many senders (and as many uids). */
#define RATE_HASH		1024
#define RATE_SENDERS_MAX	16384
#define NOTE_USEC		((uint64_t)MML_RATE_NOTE_MS * 1000)

/* The last sender of a window or account, named in its notes. */
struct last_sender {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	char comm[MML_COMM_MAX];
	uint8_t comm_len;
};

struct mml_rate_window {
	struct mml_rate_window *next;
	uint32_t key;
	uint64_t start_usec;	/* CLOCK_MONOTONIC when the window began */
	uint32_t passed;	/* entries let through in this window */
	uint64_t suppressed;	/* entries dropped in this window */
	struct last_sender last;
};

/* One uid's share of the ring and its clients' drop reports. */
struct rate_account {
	struct rate_account *next;
	uid_t uid;
	double tokens;		/* bytes it may write now; below 0: in debt */
	uint64_t refill_usec;	/* when tokens were last brought up to date */
	uint64_t period_usec;	/* when the current second began */
	uint64_t share_entries;	/* suppressed for the share this second */
	uint64_t share_bytes;
	uint64_t drops;		/* drops reported and not noted yet */
	unsigned drop_notes;	/* drop notes written in place this second */
	struct last_sender last;
};

struct mml_ratelimit {
	unsigned interval_ms;	/* 0: no limit */
	unsigned burst;
	enum mml_rate_key key;
	/* The share: burst_bytes per interval_s; 0 bytes: no share limit. */
	uint64_t share_bytes;
	unsigned share_percent;
	unsigned share_interval_s;
	uint64_t ring_bytes;
	double share_per_usec;
	mml_rate_note_fn note;
	void *arg;
	unsigned n;		/* windows in tab */
	unsigned n_acct;	/* accounts in acct */
	struct mml_rate_window *tab[RATE_HASH];
	struct rate_account *acct[RATE_HASH];
};

static void sender_keep(struct last_sender *, const struct mml_rate_sender *);
static void sender_give(const struct last_sender *, struct mml_rate_sender *);
static void window_report(struct mml_ratelimit *, struct mml_rate_window *);
static void window_evict_oldest(struct mml_ratelimit *);
static struct rate_account *account_get(struct mml_ratelimit *,
    const struct mml_rate_sender *, uint64_t);
static void account_refill(struct mml_ratelimit *, struct rate_account *,
    uint64_t);
static void account_period(struct mml_ratelimit *, struct rate_account *,
    uint64_t);
static void account_report(struct mml_ratelimit *, struct rate_account *);
static int account_idle(struct mml_ratelimit *, struct rate_account *,
    uint64_t);
static void account_evict_oldest(struct mml_ratelimit *);
static void accounts_sweep(struct mml_ratelimit *, uint64_t, int);

static unsigned
hash(uint32_t key)
{
	return (key * 2654435761U) >> 22;	/* top 10 bits: RATE_HASH */
}

int
mml_rate_privileged(uid_t uid)
{
	static uid_t self = (uid_t)-1;

	if (self == (uid_t)-1)
		self = geteuid();
	return uid == 0 || uid == self;
}

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

void
mml_ratelimit_set_share(struct mml_ratelimit *rl, uint64_t ring_bytes,
    unsigned percent, unsigned interval_s)
{
	accounts_sweep(rl, 0, 1);
	if (percent > 100)
		percent = 100;
	rl->ring_bytes = ring_bytes;
	rl->share_percent = percent;
	rl->share_interval_s = interval_s;
	rl->share_bytes = interval_s > 0 ? ring_bytes / 100 * percent +
	    ring_bytes % 100 * percent / 100 : 0;
	rl->share_per_usec = rl->share_bytes > 0 ?
	    (double)rl->share_bytes / ((double)interval_s * 1e6) : 0;
}

uint32_t
mml_ratelimit_key(const struct mml_ratelimit *rl,
    const struct mml_rate_sender *who)
{
	return rl->key == MML_RATE_BY_PID ? (uint32_t)who->pid :
	    (uint32_t)who->uid;
}

static void
sender_keep(struct last_sender *l, const struct mml_rate_sender *who)
{
	l->pid = who->pid;
	l->uid = who->uid;
	l->gid = who->gid;
	l->comm_len = (uint8_t)(who->comm_len < MML_COMM_MAX ? who->comm_len :
	    MML_COMM_MAX);
	if (l->comm_len > 0)
		memcpy(l->comm, who->comm, l->comm_len);
}

static void
sender_give(const struct last_sender *l, struct mml_rate_sender *who)
{
	who->pid = l->pid;
	who->uid = l->uid;
	who->gid = l->gid;
	who->comm = l->comm;
	who->comm_len = l->comm_len;
}

/* Reports a window's count of suppressed entries, if any. */
static void
window_report(struct mml_ratelimit *rl, struct mml_rate_window *w)
{
	const struct last_sender *l = &w->last;
	struct mml_rate_sender who;
	char msg[200], comm[4 * MML_COMM_MAX + 6];
	int n;

	if (w->suppressed == 0)
		return;
	(void)mml_log_escape(comm, l->comm, l->comm_len, MML_COMM_MAX);
	if (rl->key == MML_RATE_BY_PID)
		n = snprintf(msg, sizeof(msg), "suppressed %llu entries from pid "
		    "%d (%.*s): more than %u in %u ms (rate limit)",
		    (unsigned long long)w->suppressed, (int)l->pid,
		    (int)l->comm_len, l->comm, rl->burst, rl->interval_ms);
	else
		n = snprintf(msg, sizeof(msg), "suppressed %llu entries from uid "
		    "%d, the last from pid %d (%.*s): more than %u in %u ms "
		    "(rate limit)", (unsigned long long)w->suppressed,
		    (int)l->uid, (int)l->pid, (int)l->comm_len, l->comm,
		    rl->burst, rl->interval_ms);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = (int)strlen(msg);
	sender_give(l, &who);
	rl->note(&who, "MMLOG_SUPPRESSED", msg, (size_t)n, w->suppressed,
	    rl->arg);
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
	accounts_sweep(rl, now_usec, all);
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
	unsigned h = hash(key);

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
	sender_keep(&w->last, who);
	return w;
}

/* A window that is over is reported and starts again. */
static void
window_renew(struct mml_ratelimit *rl, struct mml_rate_window *w,
    uint64_t now_usec)
{
	if (now_usec - w->start_usec >= (uint64_t)rl->interval_ms * 1000) {
		window_report(rl, w);
		w->start_usec = now_usec;
		w->passed = 0;
	}
}

int
mml_ratelimit_pass(struct mml_ratelimit *rl, struct mml_rate_window *w,
    uint64_t now_usec)
{
	window_renew(rl, w, now_usec);
	if (w->passed < rl->burst) {
		w->passed++;
		return 1;
	}
	w->suppressed++;
	return 0;
}

/*
 * The uid's account, created (with a full share) if new.  NULL only
 * when out of memory.  Valid until the next call that may sweep.
 */
static struct rate_account *
account_get(struct mml_ratelimit *rl, const struct mml_rate_sender *who,
    uint64_t now_usec)
{
	struct rate_account *a;
	unsigned h = hash((uint32_t)who->uid);

	for (a = rl->acct[h]; a != NULL; a = a->next)
		if (a->uid == who->uid)
			goto found;
	if (rl->n_acct >= RATE_SENDERS_MAX)
		accounts_sweep(rl, now_usec, 0);
	if (rl->n_acct >= RATE_SENDERS_MAX)
		account_evict_oldest(rl);
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->uid = who->uid;
	a->tokens = (double)rl->share_bytes;
	a->refill_usec = now_usec;
	a->period_usec = now_usec;
	a->next = rl->acct[h];
	rl->acct[h] = a;
	rl->n_acct++;
found:
	sender_keep(&a->last, who);
	return a;
}

/* The share refills evenly: share_bytes per interval, never above. */
static void
account_refill(struct mml_ratelimit *rl, struct rate_account *a,
    uint64_t now_usec)
{
	double t;

	if (now_usec <= a->refill_usec)
		return;
	t = a->tokens + (double)(now_usec - a->refill_usec) *
	    rl->share_per_usec;
	a->tokens = t > (double)rl->share_bytes ? (double)rl->share_bytes : t;
	a->refill_usec = now_usec;
}

/* A second that is over: its counts are reported, the next begins. */
static void
account_period(struct mml_ratelimit *rl, struct rate_account *a,
    uint64_t now_usec)
{
	if (now_usec - a->period_usec < NOTE_USEC)
		return;
	account_report(rl, a);
	a->period_usec = now_usec;
	a->drop_notes = 0;
}

/* Writes the notes for what the uid has had suppressed or coalesced. */
static void
account_report(struct mml_ratelimit *rl, struct rate_account *a)
{
	const struct last_sender *l = &a->last;
	struct mml_rate_sender who;
	char msg[256], comm[4 * MML_COMM_MAX + 6];
	int n;

	sender_give(l, &who);
	(void)mml_log_escape(comm, l->comm, l->comm_len, MML_COMM_MAX);
	if (a->share_entries > 0) {
		n = snprintf(msg, sizeof(msg), "suppressed %llu entries (%llu "
		    "bytes) from uid %d, the last from pid %d (%.*s): over its "
		    "share of the ring (%u%% of %llu bytes per %u s)",
		    (unsigned long long)a->share_entries,
		    (unsigned long long)a->share_bytes, (int)a->uid,
		    (int)l->pid, (int)l->comm_len, l->comm, rl->share_percent,
		    (unsigned long long)rl->ring_bytes, rl->share_interval_s);
		if (n < 0 || (size_t)n >= sizeof(msg))
			n = (int)strlen(msg);
		rl->note(&who, "MMLOG_SUPPRESSED", msg, (size_t)n,
		    a->share_entries, rl->arg);
		mml_log(LOG_NOTICE, "share: suppressed %llu entries (%llu "
		    "bytes) from uid %d (%s)",
		    (unsigned long long)a->share_entries,
		    (unsigned long long)a->share_bytes, (int)a->uid, comm);
		a->share_entries = 0;
		a->share_bytes = 0;
	}
	if (a->drops > 0) {
		n = snprintf(msg, sizeof(msg), "clients of uid %d, the last pid "
		    "%d (%.*s), dropped %llu entries before this point "
		    "(reports coalesced: more than %u notes a second, or over "
		    "the uid's limits)", (int)a->uid, (int)l->pid,
		    (int)l->comm_len, l->comm, (unsigned long long)a->drops,
		    MML_DROP_NOTES_BURST);
		if (n < 0 || (size_t)n >= sizeof(msg))
			n = (int)strlen(msg);
		rl->note(&who, "MMLOG_DROPPED", msg, (size_t)n, a->drops,
		    rl->arg);
		mml_log(LOG_DEBUG, "drops: %llu reported by uid %d (%s), "
		    "coalesced", (unsigned long long)a->drops, (int)a->uid,
		    comm);
		a->drops = 0;
	}
}

/* Whether forgetting the account now would change nothing. */
static int
account_idle(struct mml_ratelimit *rl, struct rate_account *a,
    uint64_t now_usec)
{
	account_refill(rl, a, now_usec);
	return a->share_entries == 0 && a->drops == 0 && a->drop_notes == 0 &&
	    a->tokens >= (double)rl->share_bytes;
}

/* At RATE_SENDERS_MAX uids with none idle: the oldest goes, reported. */
static void
account_evict_oldest(struct mml_ratelimit *rl)
{
	struct rate_account *a, **pp, **oldest = NULL;
	unsigned i;

	for (i = 0; i < RATE_HASH; i++)
		for (pp = &rl->acct[i]; *pp != NULL; pp = &(*pp)->next)
			if (oldest == NULL ||
			    (*pp)->refill_usec < (*oldest)->refill_usec)
				oldest = pp;
	a = *oldest;
	account_report(rl, a);
	*oldest = a->next;
	free(a);
	rl->n_acct--;
}

/*
 * Reports every account whose second is over, and forgets those left
 * with nothing to report and a full share (all: reports and forgets
 * every one).
 */
static void
accounts_sweep(struct mml_ratelimit *rl, uint64_t now_usec, int all)
{
	struct rate_account **pp, *a;
	unsigned i;

	for (i = 0; i < RATE_HASH && rl->n_acct > 0; i++) {
		for (pp = &rl->acct[i]; (a = *pp) != NULL; ) {
			if (all)
				account_report(rl, a);
			else
				account_period(rl, a, now_usec);
			if (!all && !account_idle(rl, a, now_usec)) {
				pp = &a->next;
				continue;
			}
			*pp = a->next;
			free(a);
			rl->n_acct--;
		}
	}
}

/* Takes bytes from the account's share if it has them. */
static int
share_take(struct mml_ratelimit *rl, struct rate_account *a, uint64_t bytes,
    uint64_t now_usec)
{
	account_refill(rl, a, now_usec);
	/*
	 * A full share lets one record larger than the share through (in
	 * debt): a small ring must not refuse a long entry for ever.
	 */
	if (a->tokens < (double)bytes &&
	    a->tokens < (double)rl->share_bytes)
		return 0;
	a->tokens -= (double)bytes;
	return 1;
}

int
mml_ratelimit_share(struct mml_ratelimit *rl,
    const struct mml_rate_sender *who, uint64_t bytes, uint64_t now_usec)
{
	struct rate_account *a;

	if (rl->share_bytes == 0 || mml_rate_privileged(who->uid))
		return 1;
	a = account_get(rl, who, now_usec);
	if (a == NULL)
		return 1;
	account_period(rl, a, now_usec);
	if (share_take(rl, a, bytes, now_usec))
		return 1;
	a->share_entries++;
	a->share_bytes += bytes;
	return 0;
}

void
mml_ratelimit_share_charge(struct mml_ratelimit *rl,
    const struct mml_rate_sender *who, uint64_t bytes, uint64_t now_usec)
{
	struct rate_account *a;

	if (bytes == 0 || rl->share_bytes == 0 || mml_rate_privileged(who->uid))
		return;
	a = account_get(rl, who, now_usec);
	if (a == NULL)
		return;
	account_period(rl, a, now_usec);
	account_refill(rl, a, now_usec);
	a->tokens -= (double)bytes;
}

/* Takes one entry from the sender's rate window, if it has room. */
static int
window_take(struct mml_ratelimit *rl, const struct mml_rate_sender *who,
    uint64_t now_usec)
{
	struct mml_rate_window *w;

	if (rl->interval_ms == 0)
		return 1;
	w = mml_ratelimit_window(rl, mml_ratelimit_key(rl, who), who,
	    now_usec);
	if (w == NULL)
		return 1;
	window_renew(rl, w, now_usec);
	if (w->passed >= rl->burst)
		return 0;
	w->passed++;
	return 1;
}

uint64_t
mml_ratelimit_drops(struct mml_ratelimit *rl,
    const struct mml_rate_sender *who, uint64_t dropped, uint64_t note_bytes,
    uint64_t now_usec)
{
	struct rate_account *a;
	int ok, taken = 0;

	if (dropped > MML_WIRE_DROPPED_MAX)
		dropped = MML_WIRE_DROPPED_MAX;
	if (dropped == 0)
		return 0;
	a = account_get(rl, who, now_usec);
	if (a == NULL)
		return dropped;	/* noted in place rather than lost */
	account_period(rl, a, now_usec);
	ok = a->drop_notes < MML_DROP_NOTES_BURST;
	if (ok && rl->share_bytes > 0 && !mml_rate_privileged(who->uid))
		ok = taken = share_take(rl, a, note_bytes, now_usec);
	if (ok)
		ok = window_take(rl, who, now_usec);
	/* The window's lookup may have swept the accounts: look again. */
	a = account_get(rl, who, now_usec);
	if (a == NULL)
		return dropped;
	if (ok) {
		a->drop_notes++;
		return dropped;
	}
	if (taken) {
		a->tokens += (double)note_bytes;
		if (a->tokens > (double)rl->share_bytes)
			a->tokens = (double)rl->share_bytes;
	}
	a->drops = a->drops + dropped > MML_WIRE_DROPPED_MAX ?
	    MML_WIRE_DROPPED_MAX : a->drops + dropped;
	return 0;
}

unsigned
mml_ratelimit_senders(const struct mml_ratelimit *rl)
{
	return rl->n;
}

unsigned
mml_ratelimit_uids(const struct mml_ratelimit *rl)
{
	return rl->n_acct;
}

int
mml_ratelimit_idle(const struct mml_ratelimit *rl)
{
	return rl->n == 0 && rl->n_acct == 0;
}

struct mml_ratelimit *
mml_ratelimit_free(struct mml_ratelimit *rl)
{
	struct mml_rate_window *w;
	struct rate_account *a;
	unsigned i;

	if (rl == NULL)
		return NULL;
	for (i = 0; i < RATE_HASH; i++) {
		while ((w = rl->tab[i]) != NULL) {
			rl->tab[i] = w->next;
			free(w);
		}
		while ((a = rl->acct[i]) != NULL) {
			rl->acct[i] = a->next;
			free(a);
		}
	}
	free(rl);
	return NULL;
}
