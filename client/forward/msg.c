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
#include "wire.h"

static int	 name_ok(const char *, size_t);
static size_t	 put_printusascii(uint8_t *, const uint8_t *, size_t, size_t);
static size_t	 put_time(uint8_t *, uint64_t);

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
	size_t i = 0, o = 0, n;
	uint32_t cp;

	while (i < len) {
		n = mml_rd_utf8_seq(p + i, len - i, &cp);
		if (n == 0) {
			/* U+FFFD REPLACEMENT CHARACTER for each bad byte. */
			out[o++] = 0xef;
			out[o++] = 0xbf;
			out[o++] = 0xbd;
			i++;
			continue;
		}
		if (n == 1 && (p[i] == '"' || p[i] == '\\' || p[i] == ']'))
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

/* RFC 3339 in UTC with microseconds: 27 bytes. */
static size_t
put_time(uint8_t *out, uint64_t usec)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;
	char buf[64];
	int n;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	n = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned)(usec % 1000000));
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	memcpy(out, buf, (size_t)n);
	return (size_t)n;
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
	for (i = 0; i < 16; i++) {
		c->ring_hex[2 * i] = hexdig[ring_id[i] >> 4];
		c->ring_hex[2 * i + 1] = hexdig[ring_id[i] & 15];
	}
	c->ring_hex[32] = '\0';
	c->facility = facility;
	return 0;
}

/* Appends a C string; the caller reserved room. */
#define PUT_STR(b, s) do {						\
	size_t l_ = strlen(s);						\
	memcpy((b)->p + (b)->len, (s), l_);				\
	(b)->len += l_;							\
} while (0)

int
mml_fwd_msg_format(struct mml_fwd_buf *b, const struct mml_fwd_msg_ctx *c,
    const struct mml_rec *rec)
{
	const struct mml_rec_hdr *h = &rec->hdr;
	const uint8_t *item;
	size_t off = 0, item_len, key_len, need;
	char num[256];
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
	(void)snprintf(num, sizeof(num), "<%d>1 ",
	    c->facility * 8 + (h->priority & 7));
	PUT_STR(b, num);
	b->len += put_time(b->p + b->len, h->realtime_usec);
	b->p[b->len++] = ' ';
	PUT_STR(b, c->host);
	b->p[b->len++] = ' ';
	b->len += put_printusascii(b->p + b->len, rec->tag, h->tag_len,
	    MML_FWD_APP_MAX);
	(void)snprintf(num, sizeof(num), " %" PRIu32 " - [", h->pid);
	PUT_STR(b, num);
	PUT_STR(b, c->sd_id);
	(void)snprintf(num, sizeof(num), " seq=\"%" PRIu64 "\" ring=\"%s\" "
	    "pid=\"%" PRIu32 "\" uid=\"%" PRIu32 "\" gid=\"%" PRIu32 "\"%s "
	    "comm=\"", h->seq, c->ring_hex, h->pid, h->uid, h->gid,
	    (h->flags & MML_REC_F_DAEMON) ? " daemon=\"1\"" : "");
	PUT_STR(b, num);
	b->len += mml_fwd_sd_escape(b->p + b->len, rec->comm, h->comm_len);
	b->p[b->len++] = '"';
	while ((r = mml_fields_next(rec->fields, h->fields_len, &off, &item,
	    &item_len, &key_len)) > 0) {
		b->p[b->len++] = ' ';
		if (key_len <= MML_FWD_SD_NAME_MAX) {
			/* Keys are A-Z, 0-9 and '_': valid SD-NAMEs. */
			memcpy(b->p + b->len, item, key_len);
			b->len += key_len;
			PUT_STR(b, "=\"");
			b->len += mml_fwd_sd_escape(b->p + b->len,
			    item + key_len + 1, item_len - key_len - 1);
		} else {
			PUT_STR(b, "field=\"");
			b->len += mml_fwd_sd_escape(b->p + b->len, item,
			    item_len);
		}
		b->p[b->len++] = '"';
	}
	b->p[b->len++] = ']';
	if (h->msg_len > 0) {
		b->p[b->len++] = ' ';
		memcpy(b->p + b->len, rec->msg, h->msg_len);
		b->len += h->msg_len;
	}
	return (int)b->len;
}

int
mml_fwd_msg_lost(struct mml_fwd_buf *b, const struct mml_fwd_msg_ctx *c,
    uint64_t first, uint64_t n, int damaged, uint32_t pid, uint64_t now_usec)
{
	char text[512];
	int len;

	b->len = 0;
	if (mml_fwd_buf_reserve(b, 1024) < 0)
		return -ENOMEM;
	/* Priority warning (4). */
	len = snprintf(text, sizeof(text), "<%d>1 ", c->facility * 8 + 4);
	memcpy(b->p, text, (size_t)len);
	b->len = (size_t)len;
	b->len += put_time(b->p + b->len, now_usec);
	len = snprintf(text, sizeof(text), " %s mmlog-forward %" PRIu32
	    " - [%s ring=\"%s\" first=\"%" PRIu64 "\" count=\"%" PRIu64 "\" "
	    "reason=\"%s\"] %" PRIu64 " entr%s from seq %" PRIu64 " %s",
	    c->host, pid, MML_FWD_SD_LOST_ID, c->ring_hex, first, n,
	    damaged ? "damaged" : "overwritten", n, n == 1 ? "y" : "ies",
	    first, damaged ? "skipped as damaged in the ring" :
	    "overwritten in the ring before they were forwarded");
	if (len < 0 || (size_t)len >= sizeof(text))
		return -ENOMEM;
	memcpy(b->p + b->len, text, (size_t)len);
	b->len += (size_t)len;
	return (int)b->len;
}

int
mml_fwd_dest_parse(const char *url, struct mml_fwd_dest *d)
{
	const char *p, *end, *colon;
	size_t hlen, plen, i;

	if (strncmp(url, "relp://", 7) == 0) {
		d->proto = MML_FWD_RELP;
		p = url + 7;
	} else if (strncmp(url, "relp+tls://", 11) == 0) {
		d->proto = MML_FWD_RELP_TLS;
		p = url + 11;
	} else if (strncmp(url, "tcp://", 6) == 0) {
		d->proto = MML_FWD_TCP;
		p = url + 6;
	} else
		return -EINVAL;
	if (*p == '[') {
		end = strchr(p, ']');
		if (end == NULL || end[1] != ':')
			return -EINVAL;
		p++;
		hlen = (size_t)(end - p);
		colon = end + 1;
	} else {
		colon = strrchr(p, ':');
		if (colon == NULL || memchr(p, ':', (size_t)(colon - p)))
			return -EINVAL;
		hlen = (size_t)(colon - p);
	}
	plen = strlen(colon + 1);
	if (hlen == 0 || hlen >= sizeof(d->host) || plen == 0 || plen > 5)
		return -EINVAL;
	for (i = 0; i < plen; i++)
		if (colon[1 + i] < '0' || colon[1 + i] > '9')
			return -EINVAL;
	if (atoi(colon + 1) < 1 || atoi(colon + 1) > 65535)
		return -EINVAL;
	for (i = 0; i < hlen; i++)
		if (p[i] <= ' ' || p[i] >= 127 || p[i] == '/' || p[i] == '@')
			return -EINVAL;
	memcpy(d->host, p, hlen);
	d->host[hlen] = '\0';
	memcpy(d->port, colon + 1, plen + 1);
	return 0;
}
