/*
 * format.c: the entry formats of mmlogctl and mmlog-forward.
 *
 * Every byte shown comes from the ring file, which any local process
 * could have filled through the daemon, so nothing reaches a terminal
 * unescaped: text formats escape control bytes, C1 controls, the
 * bidirectional controls, the Unicode line separators and invalid UTF-8
 * as syslogd does with vis(3), and keep one line per entry; JSON
 * escapes what JSON requires (and the controls a terminal acts on), and
 * writes a value that is not UTF-8 as an array of byte values, as
 * journalctl does.  The machine formats use journalctl's field names so
 * that tools written for journalctl read ours.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ringread.h"

/* One field of an entry, gathered before the entry is printed. */
struct field {
	const char	*key;
	size_t		 key_len;
	const uint8_t	*val;
	size_t		 val_len;
	int		 formatted;	/* the iterator's own ASCII */
};

/* An entry's fields, gathered (fields.c's iterator owns the bytes). */
struct gathered {
	struct mml_rd_fields fi;
	struct field	*v;
	size_t		 n, cap;
	size_t		 first_block;	/* the first from the fields block */
};

static void	 put_hex_byte(FILE *, uint8_t);
static int	 text_safe(const uint8_t *, size_t);
static int	 printable(const uint8_t *, size_t);
static int	 gather(struct gathered *, const struct mml_rd_fmt *,
		    const struct mml_rec *);
static int	 key_is(const struct field *, const char *);
static int	 wanted(const struct mml_rd_fmt *, const struct field *);
static int	 address(const struct field *);
static struct tm *when_tm(const struct mml_rd_fmt *, time_t, struct tm *);
static void	 fmt_short(struct mml_rd_fmt *, const struct mml_rec *);
static void	 fmt_cat_fields(struct mml_rd_fmt *, const struct mml_rec *);
static void	 put_message(struct mml_rd_fmt *, const struct mml_rec *,
		    const char *);
static void	 put_host(struct mml_rd_fmt *, const struct mml_rec *);
static void	 fmt_json(struct mml_rd_fmt *, const struct mml_rec *);
static void	 fmt_export(struct mml_rd_fmt *, const struct mml_rec *);
static void	 fmt_verbose(struct mml_rd_fmt *, const struct mml_rec *);
static void	 fmt_raw(struct mml_rd_fmt *, const struct mml_rec *);
static const char *prio_color(unsigned);
static void	 json_key(struct mml_rd_fmt *, int *, const char *,
		    size_t);
static void	 export_pair(FILE *, const char *, size_t, const uint8_t *,
		    size_t);
static void	 format_bytes(char *, size_t, uint64_t);

/* Each entry's fields are gathered here; mmlogctl prints one at a time. */
static struct gathered g;

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static const char hexdig[] = "0123456789abcdef";

/*
 * The letter of a byte's two-character escape, as JSON has them ("\n",
 * "\\"); text formats use those of \n, \r and \t only.
 */
static const char esc_letter[128] = {
	['"'] = '"', ['\\'] = '\\', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
	['\b'] = 'b', ['\f'] = 'f',
};

/*
 * Whether a code point of valid UTF-8 is escaped although printable:
 * C1 controls (terminals act on some, U+009B), the bidirectional
 * embeddings, overrides and isolates (U+202A-202E, U+2066-2069), which
 * make a line display in another order than it reads, and the line and
 * paragraph separators (U+2028, U+2029), which break a line where the
 * format has none.
 */
static int
cp_escaped(uint32_t cp)
{
	return cp < 0xa0 || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

/*
 * Returns the length of the valid UTF-8 sequence at p and its code point
 * in *ret_cp, or 0 if p does not start one (overlong forms, surrogates
 * and values above U+10FFFF are invalid).
 */
size_t
mml_rd_utf8_seq(const uint8_t *p, size_t left, uint32_t *ret_cp)
{
	uint32_t cp;
	size_t n, i;

	if (p[0] < 0x80) {
		*ret_cp = p[0];
		return 1;
	}
	if (p[0] < 0xc2)
		return 0;
	if (p[0] < 0xe0) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] < 0xf0) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] < 0xf5) {
		n = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

int
mml_rd_utf8_valid(const uint8_t *p, size_t len)
{
	uint32_t cp;
	size_t i = 0, n;

	while (i < len) {
		/* ASCII eight bytes at a time. */
		while (i + 8 <= len) {
			uint64_t w;

			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i == len)
			break;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = mml_rd_utf8_seq(p + i, len - i, &cp);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

static void
put_hex_byte(FILE *out, uint8_t b)
{
	putc_unlocked('\\', out);
	putc_unlocked('x', out);
	putc_unlocked(hexdig[b >> 4], out);
	putc_unlocked(hexdig[b & 15], out);
}

void
mml_rd_put_escaped(FILE *out, const uint8_t *p, size_t len)
{
	uint32_t cp;
	size_t i = 0, run, n;

	while (i < len) {
		for (run = i; run < len && p[run] >= 0x20 && p[run] < 0x7f;
		    run++)
			;
		if (run > i) {
			(void)fwrite_unlocked(p + i, 1, run - i, out);
			i = run;
			continue;
		}
		if (p[i] < 0x80) {
			if (p[i] == '\n' || p[i] == '\r' || p[i] == '\t') {
				putc_unlocked('\\', out);
				putc_unlocked(esc_letter[p[i]], out);
			} else
				put_hex_byte(out, p[i]);
			i++;
			continue;
		}
		n = mml_rd_utf8_seq(p + i, len - i, &cp);
		if (n == 0) {
			put_hex_byte(out, p[i]);
			i++;
		} else if (cp_escaped(cp)) {
			while (n-- > 0)
				put_hex_byte(out, p[i++]);
		} else {
			(void)fwrite_unlocked(p + i, 1, n, out);
			i += n;
		}
	}
}

void
mml_rd_put_json(FILE *out, const uint8_t *p, size_t len)
{
	uint32_t cp;
	size_t i, n;
	int first = 1;

	if (!mml_rd_utf8_valid(p, len)) {
		putc_unlocked('[', out);
		for (i = 0; i < len; i++) {
			fprintf(out, first ? "%u" : ",%u", (unsigned)p[i]);
			first = 0;
		}
		putc_unlocked(']', out);
		return;
	}
	putc_unlocked('"', out);
	for (i = 0; i < len; i += n) {
		/* A run that needs no escape, written at once. */
		for (n = 0; i + n < len && p[i + n] >= 0x20 && p[i + n] < 0x7f &&
		    p[i + n] != '"' && p[i + n] != '\\'; n++)
			;
		if (n > 0) {
			(void)fwrite_unlocked(p + i, 1, n, out);
			continue;
		}
		n = 1;
		if (p[i] < 0x80 && esc_letter[p[i]] != 0) {
			putc_unlocked('\\', out);
			putc_unlocked(esc_letter[p[i]], out);
			continue;
		}
		if (p[i] < 0x20 || p[i] == 0x7f) {
			fprintf(out, "\\u%04x", (unsigned)p[i]);
			continue;
		}
		if (p[i] < 0x80) {
			putc_unlocked(p[i], out);
			continue;
		}
		n = mml_rd_utf8_seq(p + i, len - i, &cp);
		if (cp_escaped(cp))
			fprintf(out, "\\u%04x", (unsigned)cp);
		else
			(void)fwrite_unlocked(p + i, 1, n, out);
	}
	putc_unlocked('"', out);
}

void
mml_rd_put_json_str(FILE *out, const char *s)
{
	mml_rd_put_json(out, (const uint8_t *)s, strlen(s));
}

void
mml_rd_hex128(char *buf, const uint8_t id[16])
{
	size_t i;

	for (i = 0; i < 16; i++) {
		buf[2 * i] = hexdig[id[i] >> 4];
		buf[2 * i + 1] = hexdig[id[i] & 15];
	}
	buf[32] = '\0';
}

void
mml_rd_time_iso(char *buf, size_t cap, uint64_t usec)
{
	struct tm tm;
	time_t t = (time_t)(usec / 1000000);
	char zone[8];
	size_t n;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		(void)snprintf(buf, cap, "@%" PRIu64, usec / 1000000);
		return;
	}
	/* "+0100" as "+01:00", the extended form ISO 8601 prefers. */
	if (strftime(zone, sizeof(zone), "%z", &tm) == 5) {
		n = strlen(buf);
		(void)snprintf(buf + n, cap - n, "%.3s:%.2s", zone, zone + 3);
	}
}

void
mml_rd_time_full(char *buf, size_t cap, uint64_t usec, int utc)
{
	struct tm tm;
	time_t t = (time_t)(usec / 1000000);
	size_t n;

	if ((utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL ||
	    (n = strftime(buf, cap, "%a %Y-%m-%d %H:%M:%S", &tm)) == 0) {
		(void)snprintf(buf, cap, "@%lld", (long long)t);
		return;
	}
	(void)snprintf(buf + n, cap - n, " %s", utc ? "UTC" : tm.tm_zone);
}

void
mml_rd_hexdump(FILE *out, const char *prefix, const uint8_t *p, size_t len)
{
	size_t i, j;

	for (i = 0; i < len; i += 16) {
		fprintf(out, "%s%08zx: ", prefix, i);
		for (j = 0; j < 16; j++) {
			if (i + j < len)
				fprintf(out, "%02x ", (unsigned)p[i + j]);
			else
				(void)fputs_unlocked("   ", out);
		}
		putc_unlocked(' ', out);
		putc_unlocked('|', out);
		for (j = 0; j < 16 && i + j < len; j++)
			putc_unlocked(p[i + j] >= 0x20 && p[i + j] < 0x7f ?
			    p[i + j] : '.', out);
		putc_unlocked('|', out);
		putc_unlocked('\n', out);
	}
}

int
mml_rd_output_parse(const char *s)
{
	static const struct {
		const char *name;
		enum mml_rd_output mode;
	} names[] = {
		{ "short", MML_RD_O_SHORT },
		{ "short-precise", MML_RD_O_SHORT_PRECISE },
		{ "short-iso", MML_RD_O_SHORT_ISO },
		{ "short-iso-precise", MML_RD_O_SHORT_ISO_PRECISE },
		{ "short-full", MML_RD_O_SHORT_FULL },
		{ "short-monotonic", MML_RD_O_SHORT_MONOTONIC },
		{ "short-unix", MML_RD_O_SHORT_UNIX },
		{ "with-unit", MML_RD_O_WITH_UNIT },
		{ "verbose", MML_RD_O_VERBOSE },
		{ "json", MML_RD_O_JSON },
		{ "json-pretty", MML_RD_O_JSON_PRETTY },
		{ "json-seq", MML_RD_O_JSON_SEQ },
		{ "export", MML_RD_O_EXPORT },
		{ "cat", MML_RD_O_CAT },
		{ "raw", MML_RD_O_RAW },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return (int)names[i].mode;
	return -EINVAL;
}

void
mml_rd_fmt_init(struct mml_rd_fmt *f, FILE *out, enum mml_rd_output mode,
    struct mml_rd_ring *ring)
{
	static const uint8_t zero[16];
	struct mml_disk_header h;
	char host[256], buf_id[33];
	FILE *mem;
	char *buf = NULL;
	size_t buf_len = 0;

	memset(f, 0, sizeof(*f));
	f->out = out;
	f->mode = mode;
	f->ring = ring;
	if (ring != NULL) {
		mml_rd_ring_header(ring, &h);
		memcpy(f->ring_id, h.ring_id, sizeof(f->ring_id));
		memcpy(f->boot_id, h.boot_id, sizeof(f->boot_id));
	}
	mml_rd_hex128(buf_id, f->ring_id);
	(void)snprintf(f->cursor_pre, sizeof(f->cursor_pre), "s=%s;i=", buf_id);
	f->have_boot_id = memcmp(f->boot_id, zero, sizeof(zero)) != 0;
	if (gethostname(host, sizeof(host)) < 0)
		(void)strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	/* The host name is the administrator's, but escape it all the same. */
	mem = open_memstream(&buf, &buf_len);
	if (mem != NULL) {
		mml_rd_put_escaped(mem, (const uint8_t *)host, strlen(host));
		if (fclose(mem) == 0 && buf != NULL)
			(void)snprintf(f->host, sizeof(f->host), "%s", buf);
		free(buf);
	}
	if (f->host[0] == '\0')
		(void)strcpy(f->host, "localhost");
}

int
mml_rd_fmt_is_text(const struct mml_rd_fmt *f)
{
	switch (f->mode) {
	case MML_RD_O_JSON:
	case MML_RD_O_JSON_PRETTY:
	case MML_RD_O_JSON_SEQ:
	case MML_RD_O_EXPORT:
	case MML_RD_O_RAW:
		return 0;
	default:
		return 1;
	}
}

void
mml_rd_fmt_lost(struct mml_rd_fmt *f, uint64_t n)
{
	if (!mml_rd_fmt_is_text(f)) {
		fflush(f->out);
		fprintf(stderr, "mmlogctl: -- %" PRIu64 " entries lost "
		    "(overwritten before they were read) --\n", n);
		return;
	}
	fprintf(f->out, "-- %" PRIu64 " entries lost (overwritten "
	    "before they were read) --\n", n);
}

/*
 * The highlight of a message of priority p on a terminal, as journalctl
 * chooses it: red for err and worse, yellow for warning, bold for notice,
 * grey for debug; NULL (plain) for info.
 */
static const char *
prio_color(unsigned p)
{
	if (p <= 3)
		return "\033[0;1;31m";
	if (p == 4)
		return "\033[0;1;33m";
	if (p == 5)
		return "\033[0;1;39m";
	if (p == 7)
		return "\033[0;38;5;245m";
	return NULL;
}

/*
 * Gathers the entry's fields (all of them, address first), so that a
 * format may look at a field more than once.  Returns 0, or -1 if out
 * of memory (the entry is then printed with what was gathered).
 */
static int
gather(struct gathered *gg, const struct mml_rd_fmt *f,
    const struct mml_rec *rec)
{
	struct field *nv, x;
	size_t ncap;

	gg->n = 0;
	gg->first_block = SIZE_MAX;
	mml_rd_fields_begin(&gg->fi, f->ring, rec, MML_RD_FIELDS_ADDRESS);
	while (mml_rd_fields_next(&gg->fi, &x.key, &x.key_len, &x.val,
	    &x.val_len)) {
		/*
		 * Only the fields block (and what follows it) may repeat a
		 * name: the iterator's own fields are each there once.
		 */
		x.formatted = 0;
		if (!mml_rd_fields_unique(&gg->fi)) {
			if (gg->first_block == SIZE_MAX)
				gg->first_block = gg->n;
		} else
			x.formatted = x.val != rec->msg && x.val != rec->tag &&
			    x.val != rec->comm;
		if (gg->n == gg->cap) {
			ncap = gg->cap ? gg->cap * 2 : 32;
			nv = reallocarray(gg->v, ncap, sizeof(*nv));
			if (nv == NULL)
				return -1;
			gg->v = nv;
			gg->cap = ncap;
		}
		gg->v[gg->n++] = x;
	}
	return 0;
}

static int
key_is(const struct field *x, const char *name)
{
	return strlen(name) == x->key_len && memcmp(x->key, name,
	    x->key_len) == 0;
}

/* The entry's address, which journalctl prints whatever --output-fields. */
static int
address(const struct field *x)
{
	return (x->key_len >= 2 && x->key[0] == '_' && x->key[1] == '_') ||
	    key_is(x, "_BOOT_ID");
}

/* Whether --output-fields lets field x through. */
static int
wanted(const struct mml_rd_fmt *f, const struct field *x)
{
	size_t i;

	if (f->fields == NULL)
		return 1;
	for (i = 0; i < f->n_fields; i++)
		if (key_is(x, f->fields[i]))
			return 1;
	return 0;
}

/* Broken-down time of t, local or UTC (--utc). */
static struct tm *
when_tm(const struct mml_rd_fmt *f, time_t t, struct tm *tm)
{
	return f->utc ? gmtime_r(&t, tm) : localtime_r(&t, tm);
}

static void
fmt_short(struct mml_rd_fmt *f, const struct mml_rec *rec)
{
	const struct mml_rec_hdr *h = &rec->hdr;
	FILE *out = f->out;
	time_t t = (time_t)(h->realtime_usec / 1000000);
	unsigned us = (unsigned)(h->realtime_usec % 1000000);
	const char *on = f->color ? prio_color(h->priority) : NULL;
	const struct field *unit = NULL, *uunit = NULL;
	struct tm tm;
	char when[80], zone[8];
	size_t i, n;

	if (f->mode == MML_RD_O_CAT) {
		put_message(f, rec, on);
		return;
	}
	if (f->mode == MML_RD_O_SHORT_MONOTONIC) {
		(void)snprintf(when, sizeof(when), "[%5" PRIu64 ".%06u]",
		    h->monotonic_usec / 1000000,
		    (unsigned)(h->monotonic_usec % 1000000));
	} else if (f->mode == MML_RD_O_SHORT_UNIX) {
		(void)snprintf(when, sizeof(when), "%10" PRIu64 ".%06u",
		    h->realtime_usec / 1000000, us);
	} else if (when_tm(f, t, &tm) == NULL) {
		(void)snprintf(when, sizeof(when), "@%lld", (long long)t);
	} else if (f->mode == MML_RD_O_SHORT_ISO ||
	    f->mode == MML_RD_O_SHORT_ISO_PRECISE) {
		n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		if (f->mode == MML_RD_O_SHORT_ISO_PRECISE)
			n += (size_t)snprintf(when + n, sizeof(when) - n, ".%06u",
			    us);
		/* "+0100" as "+01:00", the extended form ISO 8601 prefers. */
		if (strftime(zone, sizeof(zone), "%z", &tm) == 5)
			(void)snprintf(when + n, sizeof(when) - n, "%.3s:%.2s",
			    zone, zone + 3);
	} else if (f->mode == MML_RD_O_SHORT_FULL ||
	    f->mode == MML_RD_O_WITH_UNIT) {
		mml_rd_time_full(when, sizeof(when), h->realtime_usec, f->utc);
	} else if (f->mode == MML_RD_O_SHORT_PRECISE) {
		(void)snprintf(when, sizeof(when),
		    "%s %02d %02d:%02d:%02d.%06u", months[tm.tm_mon % 12],
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
	} else {
		(void)snprintf(when, sizeof(when), "%s %02d %02d:%02d:%02d",
		    months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
	}
	(void)fputs_unlocked(when, out);
	if (!f->no_hostname) {
		putc_unlocked(' ', out);
		put_host(f, rec);
	}
	putc_unlocked(' ', out);
	if (f->mode == MML_RD_O_WITH_UNIT && gather(&g, f, rec) == 0)
		for (i = 0; i < g.n; i++) {
			if (unit == NULL && key_is(&g.v[i], "_SYSTEMD_UNIT"))
				unit = &g.v[i];
			if (uunit == NULL &&
			    key_is(&g.v[i], "_SYSTEMD_USER_UNIT"))
				uunit = &g.v[i];
		}
	if (unit != NULL || uunit != NULL) {
		if (unit != NULL)
			mml_rd_put_escaped(out, unit->val, unit->val_len);
		if (unit != NULL && uunit != NULL)
			putc_unlocked('/', out);
		if (uunit != NULL)
			mml_rd_put_escaped(out, uunit->val, uunit->val_len);
	} else if (h->tag_len > 0)
		mml_rd_put_escaped(out, rec->tag, h->tag_len);
	else if (h->comm_len > 0)
		mml_rd_put_escaped(out, rec->comm, h->comm_len);
	else
		(void)fputs_unlocked("unknown", out);
	fprintf(out, "[%" PRIu32 "]: ", h->pid);
	put_message(f, rec, on);
}

/*
 * The host of the short formats, as journalctl's: the entry's _HOSTNAME
 * (its sender's metadata), else, for entries that have none (older
 * rings, a slot no longer holding it), this machine's name.
 */
static void
put_host(struct mml_rd_fmt *f, const struct mml_rec *rec)
{
	static unsigned sources;
	struct mml_rd_fields fi;
	const char *k;
	const uint8_t *v;
	size_t kl, vl;

	if (sources == 0)
		sources = mml_rd_fields_sources("_HOSTNAME", 9);
	mml_rd_fields_begin(&fi, f->ring, rec, 0);
	mml_rd_fields_only(&fi, sources);
	while (mml_rd_fields_next(&fi, &k, &kl, &v, &vl))
		if (kl == 9 && memcmp(k, "_HOSTNAME", 9) == 0 && vl > 0) {
			mml_rd_put_escaped(f->out, v, vl);
			return;
		}
	(void)fputs_unlocked(f->host, f->out);
}

/*
 * -o cat with --output-fields: the value of each field named, in the
 * entry's order, one per line, as journalctl does.
 */
static void
fmt_cat_fields(struct mml_rd_fmt *f, const struct mml_rec *rec)
{
	size_t i;

	(void)gather(&g, f, rec);
	for (i = 0; i < g.n; i++) {
		if (address(&g.v[i]) || !wanted(f, &g.v[i]))
			continue;
		mml_rd_put_escaped(f->out, g.v[i].val, g.v[i].val_len);
		putc_unlocked('\n', f->out);
	}
}

/*
 * The message, escaped, highlighted with on unless NULL (and the part
 * -g matched, on a terminal, in bright red as journalctl does); a
 * newline.
 */
static void
put_message(struct mml_rd_fmt *f, const struct mml_rec *rec, const char *on)
{
	FILE *out = f->out;
	size_t len = rec->hdr.msg_len, from = f->hl_from, to = f->hl_to;

	if (on != NULL)
		(void)fputs_unlocked(on, out);
	if (f->color && from < to && to <= len) {
		mml_rd_put_escaped(out, rec->msg, from);
		(void)fputs_unlocked("\033[0;1;31m", out);
		mml_rd_put_escaped(out, rec->msg + from, to - from);
		(void)fputs_unlocked(on != NULL ? on : "\033[0m", out);
		mml_rd_put_escaped(out, rec->msg + to, len - to);
	} else
		mml_rd_put_escaped(out, rec->msg, len);
	if (on != NULL || (f->color && from < to))
		(void)fputs_unlocked("\033[0m", out);
	putc_unlocked('\n', out);
	f->hl_from = f->hl_to = 0;
}

static void
json_key(struct mml_rd_fmt *f, int *first, const char *key, size_t key_len)
{
	int pretty = f->mode == MML_RD_O_JSON_PRETTY;

	if (!*first)
		putc_unlocked(',', f->out);
	if (pretty)
		(void)fputs_unlocked("\n\t", f->out);
	*first = 0;
	putc_unlocked('"', f->out);
	(void)fwrite_unlocked(key, 1, key_len, f->out);
	(void)fputs_unlocked(pretty ? "\" : " : "\":", f->out);
}

/*
 * One JSON object: the address, then every field; a name that occurs
 * more than once becomes one key whose value is an array, as journalctl
 * writes it, so that every object has unique keys.  -o json-seq puts
 * an ASCII RS before it (RFC 7464).
 */
static void
fmt_json(struct mml_rd_fmt *f, const struct mml_rec *rec)
{
	const struct field *x, *y;
	size_t i, j, count;
	int first = 1, dup;

	(void)gather(&g, f, rec);
	if (f->mode == MML_RD_O_JSON_SEQ)
		putc_unlocked(0x1e, f->out);
	putc_unlocked('{', f->out);
	for (i = 0; i < g.n; i++) {
		x = &g.v[i];
		if (f->fields != NULL && !address(x) && !wanted(f, x))
			continue;
		if (i < g.first_block) {
			json_key(f, &first, x->key, x->key_len);
			/* The iterator's numbers and ids need no escaping. */
			if (x->formatted) {
				putc_unlocked('"', f->out);
				(void)fwrite_unlocked(x->val, 1, x->val_len,
				    f->out);
				putc_unlocked('"', f->out);
			} else
				mml_rd_put_json(f->out, x->val, x->val_len);
			continue;
		}
		dup = 0;
		count = 0;
		for (j = g.first_block; j < g.n && !dup; j++) {
			y = &g.v[j];
			if (y->key_len != x->key_len ||
			    memcmp(y->key, x->key, x->key_len) != 0)
				continue;
			if (j < i)
				dup = 1;
			count++;
		}
		if (dup)
			continue;
		json_key(f, &first, x->key, x->key_len);
		if (count == 1) {
			mml_rd_put_json(f->out, x->val, x->val_len);
			continue;
		}
		putc_unlocked('[', f->out);
		for (count = 0, j = i; j < g.n; j++) {
			y = &g.v[j];
			if (y->key_len != x->key_len ||
			    memcmp(y->key, x->key, x->key_len) != 0)
				continue;
			if (count++ > 0)
				putc_unlocked(',', f->out);
			mml_rd_put_json(f->out, y->val, y->val_len);
		}
		putc_unlocked(']', f->out);
	}
	if (f->mode == MML_RD_O_JSON_PRETTY)
		(void)fputs_unlocked("\n}\n", f->out);
	else
		(void)fputs_unlocked("}\n", f->out);
}

/* Whether the export format may write a value as a text line. */
static int
text_safe(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return mml_rd_utf8_valid(p, len);
}

static void
export_pair(FILE *out, const char *key, size_t key_len, const uint8_t *v,
    size_t len)
{
	uint64_t le = (uint64_t)len;

	(void)fwrite_unlocked(key, 1, key_len, out);
	if (text_safe(v, len)) {
		putc_unlocked('=', out);
		(void)fwrite_unlocked(v, 1, len, out);
	} else {
		/* Binary form: name, newline, 64-bit LE length, bytes. */
		putc_unlocked('\n', out);
		(void)fwrite_unlocked(&le, 1, sizeof(le), out);
		(void)fwrite_unlocked(v, 1, len, out);
	}
	putc_unlocked('\n', out);
}

/*
 * The Journal Export Format: the address and _BOOT_ID first (which
 * systemd-journal-remote requires of every entry: a zero id if the ring
 * has none), then every field as often as it occurs.
 */
static void
fmt_export(struct mml_rd_fmt *f, const struct mml_rec *rec)
{
	FILE *out = f->out;
	const struct field *x;
	size_t i;
	int boot = 0;

	(void)gather(&g, f, rec);
	for (i = 0; i < g.n; i++) {
		x = &g.v[i];
		if (x->key_len < 2 || x->key[0] != '_' || x->key[1] != '_')
			continue;
		export_pair(out, x->key, x->key_len, x->val, x->val_len);
	}
	for (i = 0; i < g.n && !boot; i++)
		if (key_is(&g.v[i], "_BOOT_ID")) {
			export_pair(out, "_BOOT_ID", 8, g.v[i].val,
			    g.v[i].val_len);
			boot = 1;
		}
	if (!boot)
		(void)fputs_unlocked("_BOOT_ID=00000000000000000000000000000000\n",
		    out);
	for (i = 0; i < g.n; i++) {
		x = &g.v[i];
		if (address(x) || !wanted(f, x))
			continue;
		export_pair(out, x->key, x->key_len, x->val, x->val_len);
	}
	putc_unlocked('\n', out);
}

/*
 * journalctl's test for a field it may print as text in -o verbose:
 * valid UTF-8 with no control character but tab and newline (no C0
 * but those two, no DEL, no C1).
 */
static int
printable(const uint8_t *p, size_t len)
{
	uint32_t cp;
	size_t i = 0, n;

	while (i < len) {
		n = mml_rd_utf8_seq(p + i, len - i, &cp);
		if (n == 0 || (cp < 0x20 && cp != '\t' && cp != '\n') ||
		    (cp >= 0x7f && cp <= 0x9f))
			return 0;
		i += n;
	}
	return 1;
}

/*
 * systemd's FORMAT_BYTES(): "512B", "3.9K", "1.0M" (powers of 1024, one
 * digit after the point, cut rather than rounded).
 */
static void
format_bytes(char *buf, size_t cap, uint64_t v)
{
	static const char suffix[] = "KMGTPE";
	uint64_t factor = 1024;
	int i = 0;

	if (v < 1024) {
		(void)snprintf(buf, cap, "%" PRIu64 "B", v);
		return;
	}
	while (i < 5 && v / 1024 >= factor) {
		factor *= 1024;
		i++;
	}
	(void)snprintf(buf, cap, "%" PRIu64 ".%" PRIu64 "%c", v / factor,
	    v / (factor / 1024) * 10 / 1024 % 10, suffix[i]);
}

/*
 * -o verbose, as journalctl prints it: the time with microseconds and
 * zone and the cursor, then every field on its own line, indented; a
 * value of several lines continues under itself; a value that is not
 * printable text is shown as its size.  Last, a line of our own if the
 * entry's trusted metadata is unavailable.
 */
static void
fmt_verbose(struct mml_rd_fmt *f, const struct mml_rec *rec)
{
	const struct mml_rec_hdr *h = &rec->hdr;
	FILE *out = f->out;
	time_t t = (time_t)(h->realtime_usec / 1000000);
	const struct field *x, *cursor = NULL;
	const uint8_t *p, *end, *nl;
	const char *on, *off;
	struct tm tm;
	char when[80], size[32];
	size_t i, n, k;

	(void)gather(&g, f, rec);
	for (i = 0; i < g.n; i++)
		if (key_is(&g.v[i], "__CURSOR"))
			cursor = &g.v[i];
	if (when_tm(f, t, &tm) == NULL)
		(void)snprintf(when, sizeof(when), "@%lld", (long long)t);
	else {
		n = strftime(when, sizeof(when), "%a %Y-%m-%d %H:%M:%S", &tm);
		(void)snprintf(when + n, sizeof(when) - n, ".%06u %s",
		    (unsigned)(h->realtime_usec % 1000000), f->utc ? "UTC" :
		    tm.tm_zone);
	}
	fprintf(out, "%s%s%s %s[", f->color ? "\033[4m" : "", when,
	    f->color ? "\033[0m" : "", f->color ? "\033[0;38;5;245m" : "");
	if (cursor != NULL)
		(void)fwrite_unlocked(cursor->val, 1, cursor->val_len, out);
	fprintf(out, "]%s\n", f->color ? "\033[0m" : "");
	for (i = 0; i < g.n; i++) {
		x = &g.v[i];
		if ((x->key_len >= 2 && x->key[0] == '_' && x->key[1] == '_') ||
		    !wanted(f, x))
			continue;
		on = off = "";
		if (f->color && key_is(x, "MESSAGE")) {
			on = "\033[0;1;39m";
			off = "\033[0m";
		} else if (f->color && x->key[0] == '_') {
			on = "\033[0;32m";
			off = "\033[0m";
		}
		fprintf(out, "    %s", on);
		(void)fwrite_unlocked(x->key, 1, x->key_len, out);
		putc_unlocked('=', out);
		if (!printable(x->val, x->val_len)) {
			format_bytes(size, sizeof(size), x->val_len);
			fprintf(out, "[%s blob data]%s\n", size, off);
			continue;
		}
		if (x->val_len == 0)
			putc_unlocked('\n', out);
		p = x->val;
		end = x->val + x->val_len;
		for (k = 0; p < end; k++) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL)
				nl = end;
			if (k > 0)
				fprintf(out, "%*s", (int)(4 + x->key_len + 1), "");
			(void)fwrite_unlocked(p, 1, (size_t)(nl - p), out);
			putc_unlocked('\n', out);
			p = nl + 1;
		}
		(void)fputs_unlocked(off, out);
	}
	/*
	 * Its slot was rewritten or lost (FORMAT.md, Metadata slots): the
	 * fields above are all there is, and a reader should know that
	 * _SYSTEMD_UNIT, _EXE and the like are missing, not absent.
	 */
	if (mml_rd_fields_meta_stale(&g.fi))
		(void)fputs_unlocked("    (trusted metadata unavailable: the "
		    "metadata slot this entry names no longer holds it)\n", out);
}

/*
 * The record as the ring holds it: mml_disk_rec_check() set rec->comm
 * right after the record's header, so the record starts MML_REC_HDR
 * bytes before it.  The padding is written as zeros rather than copied:
 * in the ring it is whatever an older record left there.
 */
static void
fmt_raw(struct mml_rd_fmt *f, const struct mml_rec *rec)
{
	static const uint8_t zeros[MML_DISK_ALIGN];
	const uint8_t *start = rec->comm - MML_REC_HDR;

	(void)fwrite_unlocked(start, 1, rec->hdr.len, f->out);
	(void)fwrite_unlocked(zeros, 1, (size_t)(rec->size - rec->hdr.len),
	    f->out);
}

void
mml_rd_fmt_entry(struct mml_rd_fmt *f, const struct mml_rec *rec)
{
	switch (f->mode) {
	case MML_RD_O_RAW:
		fmt_raw(f, rec);
		break;
	case MML_RD_O_JSON:
	case MML_RD_O_JSON_PRETTY:
	case MML_RD_O_JSON_SEQ:
		fmt_json(f, rec);
		break;
	case MML_RD_O_EXPORT:
		fmt_export(f, rec);
		break;
	case MML_RD_O_VERBOSE:
		fmt_verbose(f, rec);
		break;
	case MML_RD_O_CAT:
		if (f->fields != NULL) {
			fmt_cat_fields(f, rec);
			break;
		}
		/* FALLTHROUGH */
	default:
		fmt_short(f, rec);
		break;
	}
}
