/*
 * msg.c: an entry of the ring as an RFC 5424 syslog message, and
 * the destination URL, for mmlog-forward.  Pure: no I/O but
 * gethostname() at set-up.
 *
 * Everything a collector needs to tell entries apart and to find
 * duplicates after a retransmission travels in one structured-data
 * element: the entry's sequence number and the ring's id (together they
 * name the entry, as mmlogctl's cursors do), and the identity the kernel
 * vouched for.  HEADER fields that RFC 5424 restricts to PRINTUSASCII
 * are made to fit; SD-PARAM values are escaped; the message itself goes
 * as it is (MSG-ANY), since RFC 6587 framing and RELP carry any bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ringread.h"
#include "fwd.h"
#include "util.h"
#include "wire.h"

static int	 name_ok(const char *, size_t);
static size_t	 put_printusascii(uint8_t *, const uint8_t *, size_t, size_t);
static size_t	 put_time(uint8_t *, struct mml_fwd_msg_ctx *, uint64_t);

int
mml_fwd_buf_reserve(struct mml_fwd_buf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (b->cap - b->len >= n)
		return 0;
	if (n > SIZE_MAX / 2 - b->len)
		return -ENOMEM;
	cap = b->cap > 0 ? b->cap : 1024;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (p == NULL)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

void
mml_fwd_buf_free(struct mml_fwd_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

size_t
mml_fwd_sd_escape(uint8_t *out, const uint8_t *p, size_t len)
{
	size_t i = 0, o = 0, n, run;
	uint32_t cp;

	while (i < len) {
		/* Plain ASCII, the common case, goes in runs. */
		for (run = i; run < len && p[run] < 0x80 && p[run] != '"' &&
		    p[run] != '\\' && p[run] != ']'; run++)
			;
		if (run > i) {
			memcpy(out + o, p + i, run - i);
			o += run - i;
			i = run;
			continue;
		}
		n = mml_rd_utf8_seq(p + i, len - i, &cp);
		if (n == 0) {
			/* U+FFFD REPLACEMENT CHARACTER for each bad byte. */
			out[o++] = 0xef;
			out[o++] = 0xbf;
			out[o++] = 0xbd;
			i++;
			continue;
		}
		if (n == 1)
			out[o++] = '\\';
		memcpy(out + o, p + i, n);
		o += n;
		i += n;
	}
	return o;
}

/* An SD-NAME: 1 to 32 PRINTUSASCII but '=', ' ', ']' and '"'. */
static int
name_ok(const char *s, size_t max)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] <= 32 || s[i] >= 127 || s[i] == '=' || s[i] == ']' ||
		    s[i] == '"')
			return 0;
	}
	return 1;
}

/*
 * Writes p[0, len) as a HEADER field: at most max bytes, each outside
 * PRINTUSASCII (33..126) replaced by '_'; "-" (the NILVALUE) if empty.
 */
static size_t
put_printusascii(uint8_t *out, const uint8_t *p, size_t len, size_t max)
{
	size_t i;

	if (len == 0) {
		out[0] = '-';
		return 1;
	}
	if (len > max)
		len = max;
	for (i = 0; i < len; i++)
		out[i] = p[i] > 32 && p[i] < 127 ? p[i] : '_';
	return len;
}

/*
 * RFC 3339 in UTC with microseconds: 27 bytes.  The part up to the
 * second is kept in c, as consecutive entries mostly share it.
 */
static size_t
put_time(uint8_t *out, struct mml_fwd_msg_ctx *c, uint64_t usec)
{
	uint64_t sec = usec / 1000000;
	uint32_t frac = (uint32_t)(usec % 1000000);
	time_t t = (time_t)sec;
	struct tm tm;
	int i;

	if (!c->time_ok || c->time_sec != sec) {
		if (gmtime_r(&t, &tm) == NULL)
			memset(&tm, 0, sizeof(tm));
		(void)snprintf(c->time_str, sizeof(c->time_str),
		    "%04u-%02u-%02uT%02u:%02u:%02u",
		    (unsigned)(tm.tm_year + 1900) % 10000u,
		    (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
		    (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
		    (unsigned)tm.tm_sec % 100u);
		c->time_sec = sec;
		c->time_ok = 1;
	}
	memcpy(out, c->time_str, 19);
	out[19] = '.';
	for (i = 25; i >= 20; i--) {
		out[i] = (uint8_t)('0' + frac % 10);
		frac /= 10;
	}
	out[26] = 'Z';
	return 27;
}

int
mml_fwd_msg_ctx_init(struct mml_fwd_msg_ctx *c, const char *host,
    const char *sd_id, const uint8_t ring_id[16], int facility)
{
	static const char hexdig[] = "0123456789abcdef";
	char name[MML_FWD_HOST_MAX + 1];
	size_t n;
	int i;

	memset(c, 0, sizeof(*c));
	if (facility < 0 || facility > 23)
		return -EINVAL;
	if (sd_id == NULL)
		sd_id = MML_FWD_SD_ID;
	/* An SD-ID without '@' is reserved to the IETF. */
	if (!name_ok(sd_id, MML_FWD_SD_NAME_MAX) || strchr(sd_id, '@') == NULL)
		return -EINVAL;
	if (host != NULL) {
		if (!name_ok(host, MML_FWD_HOST_MAX))
			return -EINVAL;
		(void)snprintf(c->host, sizeof(c->host), "%s", host);
	} else {
		if (gethostname(name, sizeof(name)) < 0)
			name[0] = '\0';
		name[sizeof(name) - 1] = '\0';
		n = put_printusascii((uint8_t *)c->host, (const uint8_t *)name,
		    strlen(name), MML_FWD_HOST_MAX);
		c->host[n] = '\0';
	}
	(void)snprintf(c->sd_id, sizeof(c->sd_id), "%s", sd_id);
	c->host_len = strlen(c->host);
	c->sd_id_len = strlen(c->sd_id);
	for (i = 0; i < 16; i++) {
		c->ring_hex[2 * i] = hexdig[ring_id[i] >> 4];
		c->ring_hex[2 * i + 1] = hexdig[ring_id[i] & 15];
	}
	c->ring_hex[32] = '\0';
	c->facility = facility;
	return 0;
}

/* Appends bytes, a C string or a number; the caller reserved room. */
#define PUT_MEM(b, s, n) do {						\
	memcpy((b)->p + (b)->len, (s), (n));				\
	(b)->len += (n);						\
} while (0)
#define PUT_LIT(b, s)	PUT_MEM(b, s, sizeof(s) - 1)
#define PUT_STR(b, s)	PUT_MEM(b, s, strlen(s))
#define PUT_U64(b, v)	((b)->len += mml_put_dec((b)->p + (b)->len, (v)))

/*
 * Formatting runs once per entry at the collector's rate, so it writes
 * bytes directly, without printf(3): that alone took half of the
 * forwarder's instructions per entry.
 */
int
mml_fwd_msg_format(struct mml_fwd_buf *b, struct mml_fwd_msg_ctx *c,
    const struct mml_rec *rec)
{
	const struct mml_rec_hdr *h = &rec->hdr;
	const uint8_t *item;
	size_t off = 0, item_len, key_len, need;
	int r;

	/*
	 * Escaping at most triples a byte; the fixed parts are far below
	 * 1024 bytes, and every field adds at most 10 ("field=\"\" ").
	 */
	need = 1024 + 3 * ((size_t)h->comm_len + h->tag_len + h->msg_len) +
	    4 * (size_t)h->fields_len;
	b->len = 0;
	if (mml_fwd_buf_reserve(b, need) < 0)
		return -ENOMEM;
	PUT_LIT(b, "<");
	PUT_U64(b, (uint64_t)c->facility * 8 + (h->priority & 7));
	PUT_LIT(b, ">1 ");
	b->len += put_time(b->p + b->len, c, h->realtime_usec);
	b->p[b->len++] = ' ';
	PUT_MEM(b, c->host, c->host_len);
	b->p[b->len++] = ' ';
	b->len += put_printusascii(b->p + b->len, rec->tag, h->tag_len,
	    MML_FWD_APP_MAX);
	b->p[b->len++] = ' ';
	PUT_U64(b, h->pid);
	PUT_LIT(b, " - [");
	PUT_MEM(b, c->sd_id, c->sd_id_len);
	PUT_LIT(b, " seq=\"");
	PUT_U64(b, h->seq);
	PUT_LIT(b, "\" ring=\"");
	PUT_MEM(b, c->ring_hex, 32);
	PUT_LIT(b, "\" pid=\"");
	PUT_U64(b, h->pid);
	PUT_LIT(b, "\" uid=\"");
	PUT_U64(b, h->uid);
	PUT_LIT(b, "\" gid=\"");
	PUT_U64(b, h->gid);
	if (h->flags & MML_REC_F_DAEMON)
		PUT_LIT(b, "\" daemon=\"1");
	PUT_LIT(b, "\" comm=\"");
	b->len += mml_fwd_sd_escape(b->p + b->len, rec->comm, h->comm_len);
	b->p[b->len++] = '"';
	while ((r = mml_fields_next(rec->fields, h->fields_len, &off, &item,
	    &item_len, &key_len)) > 0) {
		b->p[b->len++] = ' ';
		if (key_len <= MML_FWD_SD_NAME_MAX) {
			/* Keys are A-Z, 0-9 and '_': valid SD-NAMEs. */
			PUT_MEM(b, item, key_len);
			PUT_LIT(b, "=\"");
			b->len += mml_fwd_sd_escape(b->p + b->len,
			    item + key_len + 1, item_len - key_len - 1);
		} else {
			PUT_LIT(b, "field=\"");
			b->len += mml_fwd_sd_escape(b->p + b->len, item,
			    item_len);
		}
		b->p[b->len++] = '"';
	}
	b->p[b->len++] = ']';
	if (h->msg_len > 0) {
		b->p[b->len++] = ' ';
		PUT_MEM(b, rec->msg, h->msg_len);
	}
	return (int)b->len;
}

int
mml_fwd_msg_lost(struct mml_fwd_buf *b, struct mml_fwd_msg_ctx *c,
    uint64_t first, uint64_t n, enum mml_fwd_loss why, uint32_t pid,
    uint64_t now_usec)
{
	static const char *const reason[] = { "overwritten", "damaged",
	    "refused" };
	static const char *const what[] = {
	    "overwritten in the ring before they were forwarded",
	    "skipped as damaged in the ring",
	    "skipped, refused by the collector again and again" };
	char text[512];
	int len;

	b->len = 0;
	if ((unsigned)why > MML_FWD_LOSS_REFUSED)
		return -EINVAL;
	if (mml_fwd_buf_reserve(b, 1024) < 0)
		return -ENOMEM;
	/* Priority warning (4). */
	PUT_LIT(b, "<");
	PUT_U64(b, (uint64_t)c->facility * 8 + 4);
	PUT_LIT(b, ">1 ");
	b->len += put_time(b->p + b->len, c, now_usec);
	len = snprintf(text, sizeof(text), " %s mmlog-forward %" PRIu32
	    " - [%s ring=\"%s\" first=\"%" PRIu64 "\" count=\"%" PRIu64 "\" "
	    "reason=\"%s\"] %" PRIu64 " entr%s from seq %" PRIu64 " %s",
	    c->host, pid, MML_FWD_SD_LOST_ID, c->ring_hex, first, n,
	    reason[why], n, n == 1 ? "y" : "ies", first, what[why]);
	if (len < 0 || (size_t)len >= sizeof(text))
		return -ENOMEM;
	PUT_MEM(b, text, (size_t)len);
	return (int)b->len;
}

int
mml_fwd_msg_lost_rec(struct mml_rec *ret, uint8_t *buf, size_t cap,
    const struct mml_fwd_msg_ctx *c, uint64_t first, uint64_t n,
    enum mml_fwd_loss why, uint64_t now_usec, uint64_t mono_usec)
{
	static const char *const reason[] = { "overwritten", "damaged",
	    "refused" };
	static const char *const what[] = {
	    "overwritten in the ring before they were forwarded",
	    "skipped as damaged in the ring",
	    "skipped, refused by the collector again and again" };
	static const char tag[] = "mmlog-forward";
	char num[24];
	size_t len = 0, text_len, flen = 0;
	uint8_t *text, *fields;
	int r;

	if ((unsigned)why > MML_FWD_LOSS_REFUSED || cap < MML_FWD_LOST_REC_MAX)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	/* Command and tag share the name; then the message, the fields. */
	memcpy(buf, tag, sizeof(tag) - 1);
	len = sizeof(tag) - 1;
	text = buf + len;
	r = snprintf((char *)text, 300, "%" PRIu64 " entr%s from seq %"
	    PRIu64 " %s", n, n == 1 ? "y" : "ies", first, what[why]);
	if (r < 0 || r >= 300)
		return -EINVAL;
	text_len = (size_t)r;
	fields = text + text_len;
	cap -= len + text_len;
	(void)snprintf(num, sizeof(num), "%" PRIu64, first);
	r = mml_fields_put(fields, cap, &flen, "MMLOG_LOST_FIRST", 16, num,
	    strlen(num));
	(void)snprintf(num, sizeof(num), "%" PRIu64, n);
	if (r == 0)
		r = mml_fields_put(fields, cap, &flen, "MMLOG_LOST_COUNT", 16,
		    num, strlen(num));
	if (r == 0)
		r = mml_fields_put(fields, cap, &flen, "MMLOG_LOST_REASON", 17,
		    reason[why], strlen(reason[why]));
	if (r == 0)
		r = mml_fields_put(fields, cap, &flen, "MMLOG_RING", 10,
		    c->ring_hex, 32);
	if (r < 0)
		return -EINVAL;
	ret->hdr.type = MML_REC_ENTRY;
	ret->hdr.priority = 4;
	ret->hdr.comm_len = (uint8_t)(sizeof(tag) - 1);
	ret->hdr.tag_len = (uint16_t)(sizeof(tag) - 1);
	ret->hdr.msg_len = (uint32_t)text_len;
	ret->hdr.fields_len = (uint32_t)flen;
	ret->hdr.seq = first;
	ret->hdr.realtime_usec = now_usec;
	ret->hdr.monotonic_usec = mono_usec;
	ret->hdr.pid = (uint32_t)getpid();
	ret->hdr.uid = (uint32_t)getuid();
	ret->hdr.gid = (uint32_t)getgid();
	ret->comm = buf;
	ret->tag = buf;
	ret->msg = text;
	ret->fields = fields;
	return 0;
}

int
mml_fwd_dest_parse(const char *url, struct mml_fwd_dest *d)
{
	static const struct {
		const char *scheme;
		enum mml_fwd_proto proto;
	} schemes[] = {
		{ "relp://", MML_FWD_RELP },
		{ "relp+tls://", MML_FWD_RELP_TLS },
		{ "tcp://", MML_FWD_TCP },
		{ "http://", MML_FWD_HTTP },
		{ "https://", MML_FWD_HTTPS },
	};
	const char *p = NULL, *end, *colon, *path;
	size_t hlen, plen, i, n;
	int http;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		n = strlen(schemes[i].scheme);
		if (strncmp(url, schemes[i].scheme, n) == 0) {
			d->proto = schemes[i].proto;
			p = url + n;
			break;
		}
	}
	if (p == NULL)
		return -EINVAL;
	http = d->proto == MML_FWD_HTTP || d->proto == MML_FWD_HTTPS;
	/* Only HTTP has a path; it goes as it is, printable ASCII. */
	path = http ? strchr(p, '/') : NULL;
	if (path == NULL)
		path = p + strlen(p);
	if (*path != '\0') {
		if (strlen(path) >= sizeof(d->path))
			return -EINVAL;
		for (i = 0; path[i] != '\0'; i++)
			if (path[i] <= ' ' || path[i] >= 127 || path[i] == '#')
				return -EINVAL;
		memcpy(d->path, path, strlen(path) + 1);
	} else
		(void)snprintf(d->path, sizeof(d->path), "%s",
		    http ? MML_FWD_HTTP_PATH : "");
	if (*p == '[') {
		end = memchr(p, ']', (size_t)(path - p));
		if (end == NULL || (end[1] != ':' && !(http && end + 1 == path)))
			return -EINVAL;
		p++;
		hlen = (size_t)(end - p);
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(path - p));
		if (colon != NULL && memchr(colon + 1, ':',
		    (size_t)(path - colon - 1)) != NULL)
			return -EINVAL;
		hlen = (size_t)((colon != NULL ? colon : path) - p);
	}
	if (colon == NULL && !http)
		return -EINVAL;
	plen = colon != NULL ? (size_t)(path - colon - 1) : 0;
	if (hlen == 0 || hlen >= sizeof(d->host) || plen > 5 ||
	    (colon != NULL && plen == 0))
		return -EINVAL;
	for (i = 0; i < plen; i++)
		if (colon[1 + i] < '0' || colon[1 + i] > '9')
			return -EINVAL;
	if (colon != NULL && (atoi(colon + 1) < 1 || atoi(colon + 1) > 65535))
		return -EINVAL;
	for (i = 0; i < hlen; i++)
		if (p[i] <= ' ' || p[i] >= 127 || p[i] == '/' || p[i] == '@' ||
		    p[i] == '[' || p[i] == ']')
			return -EINVAL;
	memcpy(d->host, p, hlen);
	d->host[hlen] = '\0';
	if (colon != NULL) {
		memcpy(d->port, colon + 1, plen);
		d->port[plen] = '\0';
	} else
		(void)snprintf(d->port, sizeof(d->port), "%s",
		    MML_FWD_HTTP_PORT);
	return 0;
}

int
mml_fwd_dest_acked(const struct mml_fwd_dest *d)
{
	return d->proto != MML_FWD_TCP;
}
