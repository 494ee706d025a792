/*
 * status.c: mmlogctl status: the ring's header, what a walk of its end
 * finds, the recent rate of entries, and the daemon's counters.  The
 * facts are gathered first (struct status), then printed as text or as
 * one JSON object.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "util.h"
#include "wire.h"

#define RATE_WINDOW_USEC	(60 * 1000000ULL)	/* rate over */

/* What status shows. */
struct status {
	struct mml_rd_ring *ring;
	struct mml_disk_header h;	/* after the walk */
	uint64_t	 used;		/* bytes from the tail to the head */
	uint64_t	 entries;	/* from the header's seqs */
	int		 have_oldest;	/* the entry at the tail, read */
	uint64_t	 oldest_usec;
	int		 have_newest;	/* the newest entry, found and read */
	uint64_t	 newest_seq;
	uint64_t	 newest_usec;
	uint64_t	 chain_end;	/* the seq the records end before */
	double		 rate;		/* entries/s over rate_s */
	double		 rate_s;	/* 0: no rate */
	const char	*socket;
	int		 daemon_rc;	/* 0: its counters are in body */
	const uint8_t	*body;		/* STATS_REPLY, "key=value\n"... */
	size_t		 body_len;
	char		 why[256];	/* daemon_rc < 0: why not */
};

static void	 status_walk(struct status *);
static double	 recent_rate(struct mml_rd_ring *,
		    const struct mml_disk_header *, int, uint64_t, double *);
static uint64_t	 used_bytes(const struct mml_disk_header *);
static void	 print_json(const struct status *);
static void	 print_text(const struct status *);
static void	 status_line(const char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 size_str(char *, size_t, uint64_t);
static void	 stats_print(const uint8_t *, size_t, int);
static int	 stats_value(const uint8_t *, size_t, const char *, uint64_t *);
static int	 transport_key(const uint8_t *, size_t);
static void	 transports_print(const uint8_t *, size_t);
static void	 json_rec(const char *, int, uint64_t, uint64_t);

int
mml_ctl_status(const struct mml_ctl_opts *o)
{
	static uint8_t buf[MML_FRAME_MAX];
	struct status st;
	int json = 0;

	if (o->output != NULL) {
		if (strcmp(o->output, "json") == 0)
			json = 1;
		else if (strcmp(o->output, "short") != 0)
			return mml_ctl_usage_error("status knows -o json only");
	}
	memset(&st, 0, sizeof(st));
	st.ring = mml_ctl_open_ring(o->file);
	if (st.ring == NULL)
		return EXIT_FAILURE;
	status_walk(&st);
	st.socket = o->socket;
	st.daemon_rc = mml_ctl_daemon_request(o->socket, MML_FRAME_STATS, buf,
	    sizeof(buf), &st.body, &st.body_len, st.why, sizeof(st.why));
	if (json)
		print_json(&st);
	else
		print_text(&st);
	(void)mml_rd_ring_free(st.ring);
	return mml_ctl_out_done() < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * The ring's facts: the newest entry (the ring keeps no pointer to it:
 * a walk from near the head finds it), the oldest, where the chain of
 * records ends, the header as it is after that walk, and the rate.
 */
static void
status_walk(struct status *st)
{
	struct mml_rd_iter it;
	struct mml_disk_header *h = &st->h;
	struct mml_rec rec;
	uint64_t newest_off = 0;
	int step;

	mml_rd_iter_init(&it, st->ring, MML_RD_QUICK);
	(void)mml_rd_iter_seek_last(&it, 1);
	while ((step = mml_rd_iter_next(&it, &rec)) != MML_RD_END) {
		if (step < 0)
			break;
		if (step == MML_RD_ENTRY) {
			st->have_newest = 1;
			newest_off = rec.off;
			st->newest_seq = rec.hdr.seq;
		}
	}
	st->chain_end = it.seq;
	mml_rd_ring_header(st->ring, h);
	if (st->have_newest && mml_rd_iter_read_at(&it, newest_off,
	    st->newest_seq, &rec) == MML_RD_ENTRY)
		st->newest_usec = rec.hdr.realtime_usec;
	else
		st->have_newest = 0;
	if (h->tail_seq < h->head_seq && mml_rd_iter_read_at(&it, h->tail_off,
	    h->tail_seq, &rec) == MML_RD_ENTRY) {
		st->have_oldest = 1;
		st->oldest_usec = rec.hdr.realtime_usec;
	}
	mml_rd_iter_done(&it);
	st->rate_s = recent_rate(st->ring, h, st->have_oldest,
	    st->oldest_usec, &st->rate);
	st->used = used_bytes(h);
	st->entries = h->head_seq >= h->tail_seq ? h->head_seq - h->tail_seq :
	    0;
}

/*
 * Entries per second written in the last minute, or since the oldest
 * entry if the ring holds less: the seqs from the first entry of the
 * window to the head, found by the seek on time, so that a busy ring
 * costs no more than an idle one.  Returns the window in seconds, with
 * the rate in *ret_rate, or 0 if there is no window (an empty ring, or
 * nothing written in the last minute gives a rate of 0 over 60 s).
 */
static double
recent_rate(struct mml_rd_ring *r, const struct mml_disk_header *h,
    int have_oldest, uint64_t oldest_usec, double *ret_rate)
{
	struct mml_rd_iter it;
	struct mml_rec rec;
	uint64_t now = mml_now_usec(CLOCK_REALTIME), from;
	uint64_t first = h->head_seq;
	int step;

	if (!have_oldest || oldest_usec >= now)
		return 0;
	from = now - oldest_usec < RATE_WINDOW_USEC ? oldest_usec :
	    now - RATE_WINDOW_USEC;
	mml_rd_iter_init(&it, r, MML_RD_QUICK);
	(void)mml_rd_iter_seek_key(&it, 1, from);
	while ((step = mml_rd_iter_next(&it, &rec)) != MML_RD_END) {
		if (step < 0)
			break;
		if (step == MML_RD_ENTRY && rec.hdr.realtime_usec >= from) {
			first = rec.hdr.seq;
			break;
		}
	}
	mml_rd_iter_done(&it);
	if (first > h->head_seq)
		first = h->head_seq;
	*ret_rate = (double)(h->head_seq - first) * 1e6 / (double)(now - from);
	return (double)(now - from) / 1e6;
}

/* Bytes from the tail to the head, round the ring. */
static uint64_t
used_bytes(const struct mml_disk_header *h)
{
	if (h->tail_off < h->head_off)
		return h->head_off - h->tail_off;
	if (h->tail_off > h->head_off)
		return h->capacity - h->tail_off + h->head_off;
	return h->tail_seq == h->head_seq ? 0 : h->capacity;
}

static void
print_json(const struct status *st)
{
	const struct mml_disk_header *h = &st->h;
	char id[33], boot[33];

	mml_rd_hex128(id, h->ring_id);
	mml_rd_hex128(boot, h->boot_id);
	(void)fputs("{\"path\":", stdout);
	mml_rd_put_json_str(stdout, st->ring->path);
	printf(",\"ring_id\":\"%s\",\"version\":%" PRIu32
	    ",\"header_size\":%" PRIu32 ",\"compat_flags\":%" PRIu32
	    ",\"incompat_flags\":%" PRIu32 ",\"created_usec\":%" PRIu64
	    ",\"capacity\":%" PRIu64 ",\"used_bytes\":%" PRIu64
	    ",\"entries\":%" PRIu64 ",\"tail_seq\":%" PRIu64
	    ",\"tail_off\":%" PRIu64 ",\"head_seq\":%" PRIu64
	    ",\"head_off\":%" PRIu64, id, h->version, h->header_size,
	    h->compat_flags, h->incompat_flags, h->created_usec,
	    h->capacity, st->used, st->entries, h->tail_seq, h->tail_off,
	    h->head_seq, h->head_off);
	json_rec("oldest", st->have_oldest, h->tail_seq, st->oldest_usec);
	json_rec("newest", st->have_newest, st->newest_seq, st->newest_usec);
	if (st->rate_s > 0)
		printf(",\"rate\":{\"entries_per_s\":%.1f,\"window_s\":%.1f}",
		    st->rate, st->rate_s);
	else
		(void)fputs(",\"rate\":null", stdout);
	printf(",\"chain_end_seq\":%" PRIu64 ",\"durable_seq\":%" PRIu64
	    ",\"durable_off\":%" PRIu64 ",\"durable_usec\":%" PRIu64
	    ",\"state\":\"%s\",\"boot_id\":", st->chain_end, h->durable_seq,
	    h->durable_off, h->durable_usec,
	    h->state == MML_STATE_CLEAN ? "clean" : "dirty");
	printf("\"%s\",\"seq_limit\":%" PRIu64 ",\"entries_written\":%"
	    PRIu64 ",\"entries_overwritten\":%" PRIu64 ",\"wraps\":%"
	    PRIu64 ",\"bytes_written\":%" PRIu64 ",\"opens\":%" PRIu64
	    ",\"dirty_opens\":%" PRIu64 ",\"daemon\":{\"socket\":", boot,
	    h->seq_limit, h->entries_written, h->entries_overwritten,
	    h->wraps, h->bytes_written, h->opens, h->dirty_opens);
	mml_rd_put_json_str(stdout, st->socket);
	if (st->daemon_rc == 0) {
		(void)fputs(",\"reachable\":true,\"stats\":{", stdout);
		stats_print(st->body, st->body_len, 1);
		(void)fputs("}}}\n", stdout);
	} else {
		(void)fputs(",\"reachable\":false,\"error\":", stdout);
		mml_rd_put_json_str(stdout, st->why);
		(void)fputs("}}\n", stdout);
	}
}

static void
print_text(const struct status *st)
{
	const struct mml_disk_header *h = &st->h;
	char s1[64], t1[64], id[33];

	(void)fputs("path:          ", stdout);
	mml_rd_put_escaped(stdout, (const uint8_t *)st->ring->path,
	    strlen(st->ring->path));
	(void)putchar('\n');
	mml_rd_hex128(id, h->ring_id);
	status_line("ring id:", "%s", id);
	status_line("format:", "version %" PRIu32 ", header %" PRIu32
	    " bytes, compat 0x%" PRIx32 ", incompat 0x%" PRIx32, h->version,
	    h->header_size, h->compat_flags, h->incompat_flags);
	mml_rd_time_iso(t1, sizeof(t1), h->created_usec);
	status_line("created:", "%s", t1);
	size_str(s1, sizeof(s1), h->capacity);
	status_line("capacity:", "%" PRIu64 " bytes (%s)", h->capacity, s1);
	size_str(s1, sizeof(s1), st->used);
	status_line("used:", "%" PRIu64 " bytes (%s, %.1f%%)", st->used, s1,
	    h->capacity ? 100.0 * (double)st->used / (double)h->capacity :
	    0.0);
	if (st->entries == 0)
		status_line("entries:", "0 (next seq %" PRIu64 ")",
		    h->head_seq);
	else
		status_line("entries:", "%" PRIu64 " (seq %" PRIu64 "..%"
		    PRIu64 ")", st->entries, h->tail_seq, h->head_seq - 1);
	if (st->have_oldest) {
		mml_rd_time_iso(t1, sizeof(t1), st->oldest_usec);
		status_line("oldest:", "seq %" PRIu64 " at %s", h->tail_seq,
		    t1);
	}
	if (st->have_newest) {
		mml_rd_time_iso(t1, sizeof(t1), st->newest_usec);
		status_line("newest:", "seq %" PRIu64 " at %s",
		    st->newest_seq, t1);
	}
	if (st->rate_s > 0)
		status_line("rate:", "%.1f entries/s over the last %.0f s",
		    st->rate, st->rate_s);
	if (st->chain_end != h->head_seq)
		status_line("chain:", "records end before seq %" PRIu64
		    ", the header's head is seq %" PRIu64 " (run mmlogctl "
		    "verify)", st->chain_end, h->head_seq);
	if (h->durable_seq == 0)
		status_line("durable:", "none yet (offset 0x%" PRIx64 ")",
		    h->durable_off);
	else {
		mml_rd_time_iso(t1, sizeof(t1), h->durable_usec);
		status_line("durable:", "up to seq %" PRIu64 " (offset 0x%"
		    PRIx64 "), synced %s", h->durable_seq, h->durable_off, t1);
	}
	status_line("state:", "%s", h->state == MML_STATE_CLEAN ?
	    "clean (closed in order)" :
	    "dirty (a daemon has it open, or one crashed)");
	mml_rd_hex128(s1, h->boot_id);
	status_line("boot id:", "%s (of the last writer)", s1);
	status_line("seq limit:", "%" PRIu64, h->seq_limit);
	size_str(s1, sizeof(s1), h->bytes_written);
	status_line("written:", "%" PRIu64 " entries, %" PRIu64 " bytes (%s)",
	    h->entries_written, h->bytes_written, s1);
	status_line("overwritten:", "%" PRIu64 " entries",
	    h->entries_overwritten);
	status_line("wraps:", "%" PRIu64, h->wraps);
	status_line("opens:", "%" PRIu64 " (%" PRIu64 " found it dirty)",
	    h->opens, h->dirty_opens);
	(void)fputs("daemon:        ", stdout);
	mml_rd_put_escaped(stdout, (const uint8_t *)st->socket,
	    strlen(st->socket));
	if (st->daemon_rc == 0) {
		(void)putchar('\n');
		stats_print(st->body, st->body_len, 0);
		transports_print(st->body, st->body_len);
	} else {
		(void)fputs(": not reachable (", stdout);
		mml_rd_put_escaped(stdout, (const uint8_t *)st->why,
		    strlen(st->why));
		(void)fputs(")\n", stdout);
	}
}

/* A status line: label, then the value printf'd. */
static void
status_line(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("%-14s ", label);
	va_start(ap, fmt);
	(void)vprintf(fmt, ap);
	va_end(ap);
	(void)putchar('\n');
}

/* Human-readable size. */
static void
size_str(char *buf, size_t cap, uint64_t v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB",
	    "TiB" };
	double d = (double)v;
	size_t u = 0;

	while (d >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		(void)snprintf(buf, cap, "%" PRIu64 " B", v);
	else
		(void)snprintf(buf, cap, "%.1f %s", d, units[u]);
}

/* Writes a "key=value\n" body as JSON members or indented lines. */
static void
stats_print(const uint8_t *body, size_t len, int json)
{
	const uint8_t *p = body, *end = body + len, *nl, *eq;
	size_t i;
	int first = 1, numeric;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		eq = memchr(p, '=', (size_t)(nl - p));
		if (eq == NULL || eq == p) {
			p = nl + 1;
			continue;
		}
		if (!json) {
			/* Those go into the table per transport. */
			if (transport_key(p, (size_t)(eq - p))) {
				p = nl + 1;
				continue;
			}
			(void)fputs("  ", stdout);
			mml_rd_put_escaped(stdout, p, (size_t)(eq - p));
			(void)fputs(": ", stdout);
			mml_rd_put_escaped(stdout, eq + 1,
			    (size_t)(nl - eq - 1));
			(void)putchar('\n');
		} else {
			numeric = nl - eq - 1 > 0 && nl - eq - 1 <= 18;
			for (i = 1; numeric && eq + i < nl; i++)
				numeric = eq[i] >= '0' && eq[i] <= '9';
			if (!first)
				(void)putchar(',');
			first = 0;
			mml_rd_put_json(stdout, p, (size_t)(eq - p));
			(void)putchar(':');
			if (numeric)
				(void)fwrite(eq + 1, 1, (size_t)(nl - eq - 1),
				    stdout);
			else
				mml_rd_put_json(stdout, eq + 1,
				    (size_t)(nl - eq - 1));
		}
		p = nl + 1;
	}
}

/* The daemon's transports and their counters, as STATS_REPLY names them. */
static const char *const transports[] = {
	"mmlog", "syslog", "journal", "stdout", "kernel",
};
static const char *const transport_counters[] = {
	"entries", "bytes", "truncated", "suppressed", "errors", "lost",
	"append_errors",
};

/* Whether key[0, len) is "<transport>_<counter>". */
static int
transport_key(const uint8_t *key, size_t len)
{
	size_t i, j, n, m;

	for (i = 0; i < sizeof(transports) / sizeof(transports[0]); i++) {
		n = strlen(transports[i]);
		if (len <= n + 1 || memcmp(key, transports[i], n) != 0 ||
		    key[n] != '_')
			continue;
		for (j = 0; j < sizeof(transport_counters) /
		    sizeof(transport_counters[0]); j++) {
			m = strlen(transport_counters[j]);
			if (len == n + 1 + m &&
			    memcmp(key + n + 1, transport_counters[j], m) == 0)
				return 1;
		}
	}
	return 0;
}

/* The number at key in a "key=value\n" body.  Returns 0, or -1. */
static int
stats_value(const uint8_t *body, size_t len, const char *key, uint64_t *ret)
{
	const uint8_t *p = body, *end = body + len, *nl;
	size_t k = strlen(key);
	char num[24];

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) <= k || memcmp(p, key, k) != 0 ||
		    p[k] != '=' || (size_t)(nl - p) - k - 1 >= sizeof(num))
			continue;
		memcpy(num, p + k + 1, (size_t)(nl - p) - k - 1);
		num[(size_t)(nl - p) - k - 1] = '\0';
		*ret = strtoull(num, NULL, 10);
		return 0;
	}
	return -1;
}

/*
 * One row per transport the daemon counts: what it stored, cut to
 * --max-entry, suppressed by the rate limit, refused, and knows lost.
 */
static void
transports_print(const uint8_t *body, size_t len)
{
	static const char *const cols[] = { "entries", "truncated",
	    "suppressed", "errors", "lost" };
	char key[64];
	uint64_t v;
	size_t i, j;
	int header = 0;

	for (i = 0; i < sizeof(transports) / sizeof(transports[0]); i++) {
		(void)snprintf(key, sizeof(key), "%s_entries", transports[i]);
		if (stats_value(body, len, key, &v) < 0)
			continue;
		if (!header) {
			printf("  %-12s", "transport");
			for (j = 0; j < sizeof(cols) / sizeof(cols[0]); j++)
				printf(" %12s", cols[j]);
			(void)putchar('\n');
			header = 1;
		}
		printf("  %-12s", transports[i]);
		for (j = 0; j < sizeof(cols) / sizeof(cols[0]); j++) {
			(void)snprintf(key, sizeof(key), "%s_%s",
			    transports[i], cols[j]);
			if (stats_value(body, len, key, &v) < 0)
				v = 0;
			printf(" %12" PRIu64, v);
		}
		(void)putchar('\n');
	}
}

static void
json_rec(const char *name, int have, uint64_t seq, uint64_t usec)
{
	printf(",\"%s\":", name);
	if (have)
		printf("{\"seq\":%" PRIu64 ",\"realtime_usec\":%" PRIu64 "}",
		    seq, usec);
	else
		(void)fputs("null", stdout);
}
