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

static char	*u64_str(char *, uint64_t, unsigned);
static void	 put_u64(FILE *, uint64_t);
static void	 put_cursor(const struct mml_rd_fmt *, uint64_t);
static void	 put_hex_byte(FILE *, uint8_t);
static int	 key_printable(const uint8_t *, size_t);
static int	 key_reserved(const uint8_t *, size_t);
static int	 text_safe(const uint8_t *, size_t);
static void	 fmt_short(struct mml_rd_fmt *, const struct mml_rec *);
static void	 put_message(FILE *, const struct mml_rec *, const char *);
static void	 fmt_json(struct mml_rd_fmt *, const struct mml_rec *);
static void	 fmt_export(struct mml_rd_fmt *, const struct mml_rec *);
static void	 fmt_raw(struct mml_rd_fmt *, const struct mml_rec *);
static const char *prio_color(unsigned);
static void	 json_key(struct mml_rd_fmt *, int *, const char *,
		    size_t);
static void	 json_pair(struct mml_rd_fmt *, int *, const char *,
		    const uint8_t *, size_t);
static void	 json_pair_u64(struct mml_rd_fmt *, int *, const char *,
		    uint64_t);
static void	 export_pair(FILE *, const char *, size_t, const uint8_t *,
		    size_t);
static void	 export_pair_u64(FILE *, const char *, uint64_t);

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
 * Writes v in decimal (base 10) or lowercase hex (base 16) so that it
 * ends at end; returns where it starts.  Scans of whole rings print
 * several numbers per entry, and printf's machinery costs more than the
 * rest of an entry.
 */
static char *
u64_str(char *end, uint64_t v, unsigned base)
{
	char *p = end;

	do {
		*--p = hexdig[v % base];
		v /= base;
	} while (v != 0);
	return p;
}

static void
put_u64(FILE *out, uint64_t v)
{
	char buf[24], *p;

	p = u64_str(buf + sizeof(buf), v, 10);
	(void)fwrite_unlocked(p, 1, (size_t)(buf + sizeof(buf) - p), out);
}

/* The entry's cursor, as mml_rd_cursor_format() writes it. */
static void
put_cursor(const struct mml_rd_fmt *f, uint64_t seq)
{
	char buf[24], *p;

	(void)fputs_unlocked(f->cursor_pre, f->out);
	p = u64_str(buf + sizeof(buf), seq, 16);
	(void)fwrite_unlocked(p, 1, (size_t)(buf + sizeof(buf) - p), f->out);
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
		{ "json", MML_RD_O_JSON },
		{ "json-pretty", MML_RD_O_JSON_PRETTY },
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
    const struct mml_disk_header *h)
{
	static const uint8_t zero[16];
	char host[256], buf_id[33];
	FILE *mem;
	char *buf = NULL;
	size_t buf_len = 0;

	memset(f, 0, sizeof(*f));
	f->out = out;
	f->mode = mode;
	memcpy(f->ring_id, h->ring_id, sizeof(f->ring_id));
	memcpy(f->boot_id, h->boot_id, sizeof(f->boot_id));
	mml_rd_hex128(buf_id, h->ring_id);
	(void)snprintf(f->cursor_pre, sizeof(f->cursor_pre), "s=%s;i=", buf_id);
	f->have_boot_id = memcmp(h->boot_id, zero, sizeof(zero)) != 0;
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

void
mml_rd_fmt_lost(struct mml_rd_fmt *f, uint64_t n)
{
	switch (f->mode) {
	case MML_RD_O_JSON:
	case MML_RD_O_JSON_PRETTY:
	case MML_RD_O_EXPORT:
	case MML_RD_O_RAW:
		fflush(f->out);
		fprintf(stderr, "mmlogctl: -- %" PRIu64 " entries lost "
		    "(overwritten before they were read) --\n", n);
		break;
	default:
		fprintf(f->out, "-- %" PRIu64 " entries lost (overwritten "
		    "before they were read) --\n", n);
		break;
	}
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

static void
fmt_short(struct mml_rd_fmt *f, const struct mml_rec *rec)
{
	const struct mml_rec_hdr *h = &rec->hdr;
	FILE *out = f->out;
	time_t t = (time_t)(h->realtime_usec / 1000000);
	const char *on = f->color ? prio_color(h->priority) : NULL;
	struct tm tm;
	char when[64];

	if (f->mode == MML_RD_O_CAT) {
		put_message(out, rec, on);
		return;
	}
	if (f->mode == MML_RD_O_SHORT_ISO) {
		mml_rd_time_iso(when, sizeof(when), h->realtime_usec);
	} else if (localtime_r(&t, &tm) == NULL) {
		(void)snprintf(when, sizeof(when), "@%lld", (long long)t);
	} else if (f->mode == MML_RD_O_SHORT_PRECISE) {
		(void)snprintf(when, sizeof(when),
		    "%s %02d %02d:%02d:%02d.%06u", months[tm.tm_mon % 12],
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		    (unsigned)(h->realtime_usec % 1000000));
	} else {
		(void)snprintf(when, sizeof(when), "%s %02d %02d:%02d:%02d",
		    months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
	}
	fprintf(out, "%s %s ", when, f->host);
	if (h->tag_len > 0)
		mml_rd_put_escaped(out, rec->tag, h->tag_len);
	else if (h->comm_len > 0)
		mml_rd_put_escaped(out, rec->comm, h->comm_len);
	else
		(void)fputs_unlocked("unknown", out);
	fprintf(out, "[%" PRIu32 "]: ", h->pid);
	put_message(out, rec, on);
}

/* The message, escaped, highlighted with on unless NULL; a newline. */
static void
put_message(FILE *out, const struct mml_rec *rec, const char *on)
{
	if (on != NULL)
		(void)fputs_unlocked(on, out);
	mml_rd_put_escaped(out, rec->msg, rec->hdr.msg_len);
	if (on != NULL)
		(void)fputs_unlocked("\033[0m", out);
	putc_unlocked('\n', out);
}

/* A field name we can print: journald's alphabet, 1 to 64 bytes. */
static int
key_printable(const uint8_t *k, size_t len)
{
	size_t i;

	if (len == 0 || len > MML_FIELD_KEY_MAX || (k[0] >= '0' && k[0] <= '9'))
		return 0;
	for (i = 0; i < len; i++)
		if (!((k[i] >= 'A' && k[i] <= 'Z') ||
		    (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return 0;
	return 1;
}

/* Names we write ourselves; a field of the same name is not repeated. */
static int
key_reserved(const uint8_t *k, size_t len)
{
	static const char *const names[] = {
		"MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "_PID", "_UID",
		"_GID", "_COMM", "_BOOT_ID", "_MMLOG_DAEMON",
	};
	size_t i;

	if (len >= 2 && k[0] == '_' && k[1] == '_')
		return 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(names[i], k, len) == 0)
			return 1;
	return 0;
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

static void
json_pair(struct mml_rd_fmt *f, int *first, const char *key,
    const uint8_t *v, size_t len)
{
	json_key(f, first, key, strlen(key));
	mml_rd_put_json(f->out, v, len);
}

static void
json_pair_u64(struct mml_rd_fmt *f, int *first, const char *key, uint64_t v)
{
	json_key(f, first, key, strlen(key));
	putc_unlocked('"', f->out);
	put_u64(f->out, v);
	putc_unlocked('"', f->out);
}

static void
fmt_json(struct mml_rd_fmt *f, const struct mml_rec *rec)
{
	const struct mml_rec_hdr *h = &rec->hdr;
	const uint8_t *item, *item2;
	size_t off, off2, len, len2, klen, klen2, count;
	char buf[MML_RD_CURSOR_MAX];
	int first = 1, r, dup;

	putc_unlocked('{', f->out);
	json_key(f, &first, "__CURSOR", 8);
	putc_unlocked('"', f->out);
	put_cursor(f, h->seq);
	putc_unlocked('"', f->out);
	json_pair_u64(f, &first, "__REALTIME_TIMESTAMP", h->realtime_usec);
	json_pair_u64(f, &first, "__MONOTONIC_TIMESTAMP", h->monotonic_usec);
	json_pair_u64(f, &first, "__SEQNUM", h->seq);
	if (f->have_boot_id) {
		mml_rd_hex128(buf, f->boot_id);
		json_pair(f, &first, "_BOOT_ID", (const uint8_t *)buf, 32);
	}
	json_pair_u64(f, &first, "PRIORITY", h->priority);
	if (h->tag_len > 0)
		json_pair(f, &first, "SYSLOG_IDENTIFIER", rec->tag, h->tag_len);
	json_pair(f, &first, "MESSAGE", rec->msg, h->msg_len);
	json_pair_u64(f, &first, "_PID", h->pid);
	json_pair_u64(f, &first, "_UID", h->uid);
	json_pair_u64(f, &first, "_GID", h->gid);
	if (h->comm_len > 0)
		json_pair(f, &first, "_COMM", rec->comm, h->comm_len);
	if (h->flags & MML_REC_F_DAEMON)
		json_pair(f, &first, "_MMLOG_DAEMON", (const uint8_t *)"1", 1);
	/*
	 * A name that occurs more than once becomes one key whose value is
	 * an array, as journalctl writes it, so that every object has
	 * unique keys.
	 */
	off = 0;
	while ((r = mml_fields_next(rec->fields, h->fields_len, &off, &item,
	    &len, &klen)) > 0) {
		if (!key_printable(item, klen) || key_reserved(item, klen))
			continue;
		dup = 0;
		count = 0;
		off2 = 0;
		while (mml_fields_next(rec->fields, h->fields_len, &off2,
		    &item2, &len2, &klen2) > 0) {
			if (klen2 != klen || memcmp(item2, item, klen) != 0)
				continue;
			if (item2 < item) {
				dup = 1;
				break;
			}
			count++;
		}
		if (dup)
			continue;
		json_key(f, &first, (const char *)item, klen);
		if (count == 1) {
			mml_rd_put_json(f->out, item + klen + 1,
			    len - klen - 1);
			continue;
		}
		putc_unlocked('[', f->out);
		off2 = 0;
		count = 0;
		while (mml_fields_next(rec->fields, h->fields_len, &off2,
		    &item2, &len2, &klen2) > 0) {
			if (klen2 != klen || memcmp(item2, item, klen) != 0)
				continue;
			if (count++ > 0)
				putc_unlocked(',', f->out);
			mml_rd_put_json(f->out, item2 + klen2 + 1,
			    len2 - klen2 - 1);
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

static void
export_pair_u64(FILE *out, const char *key, uint64_t v)
{
	(void)fputs_unlocked(key, out);
	putc_unlocked('=', out);
	put_u64(out, v);
	putc_unlocked('\n', out);
}

static void
fmt_export(struct mml_rd_fmt *f, const struct mml_rec *rec)
{
	const struct mml_rec_hdr *h = &rec->hdr;
	FILE *out = f->out;
	const uint8_t *item;
	size_t off, len, klen;
	char buf[MML_RD_CURSOR_MAX];

	(void)fputs_unlocked("__CURSOR=", out);
	put_cursor(f, h->seq);
	putc_unlocked('\n', out);
	export_pair_u64(out, "__REALTIME_TIMESTAMP", h->realtime_usec);
	export_pair_u64(out, "__MONOTONIC_TIMESTAMP", h->monotonic_usec);
	/* systemd-journal-remote requires a boot id with every entry. */
	mml_rd_hex128(buf, f->boot_id);
	fprintf(out, "_BOOT_ID=%s\n", buf);
	export_pair_u64(out, "PRIORITY", h->priority);
	if (h->tag_len > 0)
		export_pair(out, "SYSLOG_IDENTIFIER", 17, rec->tag, h->tag_len);
	export_pair(out, "MESSAGE", 7, rec->msg, h->msg_len);
	export_pair_u64(out, "_PID", h->pid);
	export_pair_u64(out, "_UID", h->uid);
	export_pair_u64(out, "_GID", h->gid);
	if (h->comm_len > 0)
		export_pair(out, "_COMM", 5, rec->comm, h->comm_len);
	if (h->flags & MML_REC_F_DAEMON)
		(void)fputs_unlocked("_MMLOG_DAEMON=1\n", out);
	off = 0;
	while (mml_fields_next(rec->fields, h->fields_len, &off, &item, &len,
	    &klen) > 0) {
		if (!key_printable(item, klen) || key_reserved(item, klen))
			continue;
		export_pair(out, (const char *)item, klen, item + klen + 1,
		    len - klen - 1);
	}
	putc_unlocked('\n', out);
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
		fmt_json(f, rec);
		break;
	case MML_RD_O_EXPORT:
		fmt_export(f, rec);
		break;
	default:
		fmt_short(f, rec);
		break;
	}
}
