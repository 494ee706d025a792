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
	/* The metadata slots, checked each; the boots with entries. */
	struct mml_rd_meta_report meta;
	struct mml_rd_boot_span boots[MML_BOOT_MAX];
	size_t		 n_boots;
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
static void	 print_json_tables(const struct status *);
static void	 print_text(const struct status *);
static void	 status_line(const char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 size_str(char *, size_t, uint64_t);
static void	 stats_print(const uint8_t *, size_t, int);
static int	 stats_value(const uint8_t *, size_t, const char *, uint64_t *);
static int	 transport_key(const uint8_t *, size_t);
static void	 transports_print(const uint8_t *, size_t);
static void	 json_rec(const char *, int, uint64_t, uint64_t);
static void	 print_prometheus(const struct status *);
static void	 prom(const char *, const char *, const char *, double);
static void	 prom_label_value(const uint8_t *, size_t);
static int	 prom_stat(const struct status *, const char *, double *);

int
mml_ctl_status(const struct mml_ctl_opts *o)
{
	static uint8_t buf[MML_FRAME_MAX];
	struct status st;
	int json = 0;

	if (o->output != NULL) {
		if (strcmp(o->output, "json") == 0)
			json = 1;
		else if (strcmp(o->output, "prometheus") == 0)
			json = 2;
		else if (strcmp(o->output, "short") != 0)
			return mml_ctl_usage_error("status knows -o json and -o "
			    "prometheus");
	}
	memset(&st, 0, sizeof(st));
	st.ring = mml_ctl_open_ring(o->file);
	if (st.ring == NULL)
		return EXIT_FAILURE;
	status_walk(&st);
	st.socket = o->socket;
	st.daemon_rc = mml_ctl_daemon_request(o->socket, MML_FRAME_STATS, buf,
	    sizeof(buf), &st.body, &st.body_len, st.why, sizeof(st.why));
	if (json == 2)
		print_prometheus(&st);
	else if (json)
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
	mml_rd_meta_report(st->ring, &st->meta);
	st->n_boots = mml_rd_boot_spans(st->ring, st->boots);
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
	    ",\"dirty_opens\":%" PRIu64, boot,
	    h->seq_limit, h->entries_written, h->entries_overwritten,
	    h->wraps, h->bytes_written, h->opens, h->dirty_opens);
	print_json_tables(st);
	(void)fputs(",\"daemon\":{\"socket\":", stdout);
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

/*
 * The metadata table ("metadata": null without one) and the boots that
 * have entries, oldest first, as --list-boots numbers them.
 */
static void
print_json_tables(const struct status *st)
{
	char id[33];
	size_t i;

	if (st->meta.slots == 0)
		(void)fputs(",\"metadata\":null", stdout);
	else
		printf(",\"metadata\":{\"slots\":%" PRIu32 ",\"written\":%"
		    PRIu32 ",\"damaged\":%" PRIu32 "}", st->meta.slots,
		    st->meta.written, st->meta.damaged);
	(void)fputs(",\"boots\":[", stdout);
	for (i = 0; i < st->n_boots; i++) {
		mml_rd_hex128(id, st->boots[i].boot_id);
		printf("%s{\"index\":%d,\"boot_id\":\"%s\",\"first_seq\":%"
		    PRIu64 "}", i > 0 ? "," : "", (int)i - (int)(st->n_boots -
		    1), id, st->boots[i].first_seq);
	}
	(void)putchar(']');
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
	if (st->ring->has_boots)
		status_line("boots:", "%zu with entries in the ring "
		    "(mmlogctl show --list-boots)", st->n_boots);
	if (st->meta.slots == 0)
		status_line("metadata:", "no slots (a ring of an older format: "
		    "entries carry what they have inline)");
	else
		status_line("metadata:", "%" PRIu32 " of %" PRIu32 " slots "
		    "hold senders' fields%s", st->meta.written, st->meta.slots,
		    st->meta.damaged > 0 ? "" : ", none damaged");
	if (st->meta.damaged > 0)
		status_line("", "%" PRIu32 " slots damaged: the entries naming "
		    "them show no trusted metadata (mmlogctl verify counts "
		    "them)", st->meta.damaged);
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

/*
 * The daemon's counters, known by name: their metric (mmlogd_ and this;
 * a counter's name ends in _total), type, help, and the factor from the
 * daemon's unit to the metric's (seconds, not microseconds).  Names are
 * stable: dashboards and alerts are written against them.
 */
static const struct prom_stat {
	const char	*key;
	const char	*name;
	const char	*type;
	double		 scale;
	const char	*help;
} prom_stats[] = {
	{ "clients", "clients", "gauge", 1, "Clients connected now." },
	{ "clients_accepted", "clients_accepted_total", "counter", 1,
	    "Client connections accepted." },
	{ "clients_refused", "clients_refused_total", "counter", 1,
	    "Client connections refused (--max-clients)." },
	{ "frames", "frames_total", "counter", 1, "Frames received." },
	{ "entries", "entries_total", "counter", 1,
	    "Entries received over mmlogd's own protocol." },
	{ "bytes", "bytes_total", "counter", 1, "Frame bytes received." },
	{ "bad_frames", "bad_frames_total", "counter", 1,
	    "Frames refused as malformed." },
	{ "client_drops", "client_drops_total", "counter", 1,
	    "Entries clients reported they dropped." },
	{ "syncs", "syncs_total", "counter", 1, "Syncs of the ring." },
	{ "sync_errors", "sync_errors_total", "counter", 1,
	    "Syncs that failed." },
	{ "sync_usec_last", "sync_last_seconds", "gauge", 1e-6,
	    "Duration of the last sync." },
	{ "sync_usec_avg", "sync_average_seconds", "gauge", 1e-6,
	    "Moving average of the sync duration (weight 1/16)." },
	{ "sync_usec_max", "sync_max_seconds", "gauge", 1e-6,
	    "Longest sync since the counters were reset." },
	{ "acks", "acks_total", "counter", 1,
	    "Acknowledgements of durable entries sent." },
	{ "append_errors", "append_errors_total", "counter", 1,
	    "Entries the ring could not take." },
	{ "next_seq", "next_seq", "gauge", 1,
	    "The sequence number the next entry gets." },
	{ "durable_seq", "durable_seq", "gauge", 1,
	    "The newest sequence number known durable." },
	{ "sync_interval_ms", "sync_interval_seconds", "gauge", 1e-3,
	    "--sync-interval." },
	{ "max_entry", "max_entry_bytes", "gauge", 1, "--max-entry." },
	{ "max_clients", "max_clients", "gauge", 1, "--max-clients." },
	{ "corrupt_bytes_skipped", "corrupt_bytes_skipped_total", "counter",
	    1, "Damaged ring bytes skipped at start." },
	{ "bus_errors", "bus_errors_total", "counter", 1,
	    "SIGBUS faults absorbed on the ring's map." },
	{ "lost_seqs_at_start", "lost_seqs_at_start", "gauge", 1,
	    "Sequence numbers lost to an unclean shutdown at start." },
	{ "max_fields", "max_fields", "gauge", 1, "--max-fields." },
	{ "max_pending", "max_pending", "gauge", 1, "--max-pending." },
	{ "idle_timeout_s", "idle_timeout_seconds", "gauge", 1,
	    "--idle-timeout." },
	{ "rate_limit_interval_ms", "rate_limit_interval_seconds", "gauge",
	    1e-3, "--rate-limit-interval." },
	{ "rate_limit_burst", "rate_limit_burst", "gauge", 1,
	    "--rate-limit-burst." },
	{ "rate_suppressed", "rate_suppressed_total", "counter", 1,
	    "Entries suppressed by the rate limit." },
	{ "rate_senders", "rate_senders", "gauge", 1,
	    "Senders the rate limit tracks now." },
	{ "control_ops", "control_ops_total", "counter", 1,
	    "Control operations done (clear, rotate-id, reset-counters)." },
	{ "control_denied", "control_denied_total", "counter", 1,
	    "Control operations refused for want of privilege." },
};

/* Per transport, "<transport>_<what>" (daemon/intake.c). */
static const struct prom_stat prom_transport_stats[] = {
	{ "entries", "transport_entries_total", "counter", 1,
	    "Entries taken in, by transport." },
	{ "bytes", "transport_bytes_total", "counter", 1,
	    "Bytes taken in, by transport." },
	{ "truncated", "transport_truncated_total", "counter", 1,
	    "Entries stored cut to --max-entry, by transport." },
	{ "suppressed", "transport_suppressed_total", "counter", 1,
	    "Entries suppressed by the rate limit, by transport." },
	{ "errors", "transport_errors_total", "counter", 1,
	    "Input refused as malformed, by transport." },
	{ "lost", "transport_lost_total", "counter", 1,
	    "Entries known lost before mmlogd could take them, by transport." },
	{ "append_errors", "transport_append_errors_total", "counter", 1,
	    "Entries the ring could not take, by transport." },
};

static const char *const prom_transports[] = {
	"mmlog", "syslog", "journal", "stdout", "kernel",
};

/* One sample, with its HELP and TYPE lines before it. */
static void
prom(const char *name, const char *type, const char *help, double v)
{
	printf("# HELP mmlogd_%s %s\n# TYPE mmlogd_%s %s\nmmlogd_%s %.17g\n",
	    name, help, name, type, name, v);
}

/* A label's value, escaped as the text format wants (\\, \", \n). */
static void
prom_label_value(const uint8_t *p, size_t len)
{
	size_t i;

	(void)putchar('"');
	for (i = 0; i < len; i++) {
		if (p[i] == '\\' || p[i] == '"')
			(void)putchar('\\');
		if (p[i] == '\n') {
			(void)fputs("\\n", stdout);
			continue;
		}
		(void)putchar(p[i]);
	}
	(void)putchar('"');
}

/* The value of the daemon's counter key, if it has one that is a number. */
static int
prom_stat(const struct status *st, const char *key, double *ret)
{
	const uint8_t *p = st->body, *end = st->body + st->body_len, *nl;
	size_t kl = strlen(key);
	uint64_t v;
	char num[32];

	if (st->daemon_rc != 0)
		return 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) > kl && memcmp(p, key, kl) == 0 &&
		    p[kl] == '=' && (size_t)(nl - p - kl - 1) < sizeof(num)) {
			memcpy(num, p + kl + 1, (size_t)(nl - p - kl - 1));
			num[nl - p - kl - 1] = '\0';
			if (mml_parse_u64(num, &v) < 0)
				return 0;
			*ret = (double)v;
			return 1;
		}
		p = nl + 1;
	}
	return 0;
}

/*
 * The Prometheus text format (version 0.0.4): the ring's state, from its
 * header, whether the daemon answers, and its counters, each metric with
 * its HELP and TYPE lines.  For node_exporter's textfile collector
 * (mmlogctl(1) shows how).
 */
static void
print_prometheus(const struct status *st)
{
	const struct mml_disk_header *h = &st->h;
	const struct prom_stat *ps;
	char id[33], key[64];
	double v;
	size_t i, t;
	int first;

	mml_rd_hex128(id, h->ring_id);
	(void)fputs("# HELP mmlogd_ring_info The ring file: path, id, format "
	    "version.\n# TYPE mmlogd_ring_info gauge\nmmlogd_ring_info{path=",
	    stdout);
	prom_label_value((const uint8_t *)st->ring->path, strlen(st->ring->path));
	printf(",ring_id=\"%s\",version=\"%" PRIu32 "\"} 1\n", id, h->version);
	prom("ring_capacity_bytes", "gauge", "Bytes of the ring's data region.",
	    (double)h->capacity);
	prom("ring_used_bytes", "gauge", "Bytes the ring's records use.",
	    (double)st->used);
	prom("ring_entries", "gauge", "Entries in the ring.",
	    (double)st->entries);
	prom("ring_tail_seq", "gauge", "Sequence number of the oldest entry.",
	    (double)h->tail_seq);
	prom("ring_head_seq", "gauge", "Sequence number the next entry gets.",
	    (double)h->head_seq);
	prom("ring_durable_seq", "gauge", "Newest sequence number durable "
	    "on disk.", (double)h->durable_seq);
	prom("ring_durable_timestamp_seconds", "gauge", "When the ring was "
	    "last synced (Unix time).", (double)h->durable_usec / 1e6);
	if (st->have_oldest)
		prom("ring_oldest_entry_timestamp_seconds", "gauge", "Time of "
		    "the oldest entry (Unix time).",
		    (double)st->oldest_usec / 1e6);
	if (st->have_newest)
		prom("ring_newest_entry_timestamp_seconds", "gauge", "Time of "
		    "the newest entry (Unix time).",
		    (double)st->newest_usec / 1e6);
	prom("ring_entries_per_second", "gauge", "Entries written per second "
	    "over the last minute.", st->rate_s > 0 ? st->rate : 0);
	prom("ring_chain_intact", "gauge", "1 if the records lead to the "
	    "header's head (else run mmlogctl verify).",
	    st->chain_end == h->head_seq);
	prom("ring_clean", "gauge", "1 if the ring was closed in order, 0 "
	    "while a daemon has it open or after a crash.",
	    h->state == MML_STATE_CLEAN);
	prom("ring_entries_written_total", "counter", "Entries ever written "
	    "to the ring.", (double)h->entries_written);
	prom("ring_entries_overwritten_total", "counter", "Entries evicted "
	    "by wrapping.", (double)h->entries_overwritten);
	prom("ring_bytes_written_total", "counter", "Record bytes ever "
	    "written to the ring.", (double)h->bytes_written);
	prom("ring_wraps_total", "counter", "Times the ring's head went "
	    "round.", (double)h->wraps);
	prom("ring_opens_total", "counter", "Times a daemon opened the ring.",
	    (double)h->opens);
	prom("ring_dirty_opens_total", "counter", "Times a daemon found the "
	    "ring not closed in order.", (double)h->dirty_opens);
	prom("ring_boots", "gauge", "Boots that have entries in the ring.",
	    (double)st->n_boots);
	if (st->meta.slots > 0) {
		prom("ring_meta_slots", "gauge", "Metadata slots of the ring.",
		    (double)st->meta.slots);
		prom("ring_meta_slots_written", "gauge", "Metadata slots "
		    "holding a sender's fields.", (double)st->meta.written);
		prom("ring_meta_slots_damaged", "gauge", "Metadata slots that "
		    "do not check: their entries show no trusted metadata.",
		    (double)st->meta.damaged);
	}
	prom("up", "gauge", "1 if the daemon answered on its socket.",
	    st->daemon_rc == 0);
	if (st->daemon_rc != 0)
		return;
	for (i = 0; i < sizeof(prom_stats) / sizeof(prom_stats[0]); i++) {
		ps = &prom_stats[i];
		if (prom_stat(st, ps->key, &v))
			prom(ps->name, ps->type, ps->help, v * ps->scale);
	}
	if (prom_stat(st, "pid", &v))
		prom("process_id", "gauge", "The daemon's pid.", v);
	if (st->body_len > 0)
		prom("sync_failing", "gauge", "1 while syncs of the ring fail.",
		    memmem(st->body, st->body_len, "sync_state=failing\n",
		    19) != NULL);
	for (i = 0; i < sizeof(prom_transport_stats) /
	    sizeof(prom_transport_stats[0]); i++) {
		ps = &prom_transport_stats[i];
		first = 1;
		for (t = 0; t < sizeof(prom_transports) /
		    sizeof(prom_transports[0]); t++) {
			(void)snprintf(key, sizeof(key), "%s_%s",
			    prom_transports[t], ps->key);
			if (!prom_stat(st, key, &v))
				continue;
			if (first)
				printf("# HELP mmlogd_%s %s\n# TYPE mmlogd_%s "
				    "%s\n", ps->name, ps->help, ps->name,
				    ps->type);
			first = 0;
			printf("mmlogd_%s{transport=\"%s\"} %.17g\n", ps->name,
			    prom_transports[t], v);
		}
	}
}
