/*
 * syslog_parse.c: syslog datagrams parsed into entries (syslog_parse.h):
 * RFC 3164 as glibc's syslog(3), logger, Python's SysLogHandler, rsyslog
 * and journald's ForwardToSyslog write it, and RFC 5424
 * (proto/SYSLOG.md).  The header is not called syslog.h: under -Idaemon
 * that name would hide the system's <syslog.h>.
 *
 * journald's parser (systemd 252, journald-syslog.c) is the reference:
 * the same PRI, timestamp and identifier rules, the same trimming, the
 * same cases that keep SYSLOG_RAW, so that an entry here has the fields
 * it would have in the journal.  Beyond it: RFC 5424, a hostname after
 * the timestamp (logger --rfc3164, rsyslog's forwarding format) and an
 * RFC 3339 timestamp where RFC 3164 has its own.
 *
 * A datagram is untrusted bytes: everything here is a byte range checked
 * against its end, never a C string.  The header is first gathered into
 * a struct hdr, reading only; the entry is then built from it in one
 * place (build()).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "entry.h"
#include "syslog_parse.h"
#include "wire.h"

/* journald's priority for a datagram without PRI: user.info. */
#define PRI_DEFAULT	((1 << 3) | 6)
/*
 * "Mmm dd hh:mm:ss ": RFC 3164's timestamp, as journald matches it (in
 * match()'s terms "aaa _d _d:_d:_d "; ts3164() checks it).
 */
#define TS3164_LEN	16
/* RFC 3339's, before the fraction and the offset. */
#define TS3339		"dddd-dd-ddTdd:dd:dd"
/* Digits of a fraction of a second taken (RFC 5424 allows 6). */
#define FRAC_MAX	9
/* The prefix of the fields made of RFC 5424 structured data. */
#define SD_PREFIX	"SD_"
/* RFC 5424's byte order mark before a UTF-8 MSG. */
#define BOM		"\xef\xbb\xbf"

/* A part of the datagram; p is NULL when the part is absent. */
struct span {
	const uint8_t	*p;
	size_t		 len;
};

/* What the header says, before any of it reaches the entry. */
struct hdr {
	int		 pri;		/* facility * 8 + level */
	int		 raw;		/* keep the datagram as SYSLOG_RAW */
	struct span	 ts;		/* SYSLOG_TIMESTAMP */
	struct span	 host;		/* SYSLOG_HOSTNAME */
	struct span	 tag;		/* SYSLOG_IDENTIFIER */
	struct span	 pid;		/* SYSLOG_PID */
	struct span	 msgid;		/* SYSLOG_MSGID */
	struct span	 sd;		/* RFC 5424 STRUCTURED-DATA, checked */
	struct span	 msg;		/* MESSAGE */
};

static int		 is_ws(uint8_t);
static int		 is_alpha(uint8_t);
static int		 is_digit(uint8_t);
static int		 match(const uint8_t *, const uint8_t *, const char *,
			    size_t);
static int		 ts3164(const uint8_t *, const uint8_t *);
static size_t		 ts3339(const uint8_t *, const uint8_t *);
static const uint8_t	*parse_pri(const uint8_t *, const uint8_t *, int *);
static const uint8_t	*parse_ident(const uint8_t *, const uint8_t *,
			    struct hdr *);
static const uint8_t	*parse_host(const uint8_t *, const uint8_t *,
			    struct hdr *);
static void		 parse_3164(const uint8_t *, const uint8_t *,
			    struct hdr *);
static int		 token(const uint8_t **, const uint8_t *, struct span *);
static int		 parse_5424(const uint8_t *, const uint8_t *,
			    struct hdr *);
static struct span	 sd_name(const uint8_t **, const uint8_t *);
static int		 sd_walk(const uint8_t *, const uint8_t *,
			    struct mml_ent *, const uint8_t **);
static void		 sd_add(struct mml_ent *, struct span, struct span,
			    struct span);
static size_t		 sd_unescape(uint8_t *, size_t);
static void		 add(struct mml_ent *, const char *, size_t,
			    struct span);
static void		 build(struct mml_ent *, const uint8_t *, size_t,
			    const struct hdr *);

/* match() of a string literal: its length is known here. */
#define MATCH(p, end, t)	match((p), (end), (t), sizeof(t) - 1)
/* add() of a literal key. */
#define ADD(e, key, s)		add((e), (key), sizeof(key) - 1, (s))

/* systemd's WHITESPACE: what separates the words of a header. */
static int
is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ASCII letters and digits, as the patterns of match() mean them. */
static int
is_alpha(uint8_t c)
{
	return (uint8_t)((c | 0x20) - 'a') < 26;
}

static int
is_digit(uint8_t c)
{
	return (uint8_t)(c - '0') < 10;
}

/*
 * Whether p starts with the pattern t of n bytes, within end: 'a' is a
 * letter, 'd' a digit, '_' a space or a digit, 'T' a T or t, anything
 * else itself.
 */
static int
match(const uint8_t *p, const uint8_t *end, const char *t, size_t n)
{
	size_t i;
	uint8_t c;

	if ((size_t)(end - p) < n)
		return 0;
	for (i = 0; i < n; i++) {
		c = p[i];
		switch (t[i]) {
		case 'a':
			if (!is_alpha(c))
				return 0;
			break;
		case '_':
			if (c == ' ')
				break;
			/* FALLTHROUGH */
		case 'd':
			if (!is_digit(c))
				return 0;
			break;
		case 'T':
			if (c != 'T' && c != 't')
				return 0;
			break;
		default:
			if (c != (uint8_t)t[i])
				return 0;
		}
	}
	return 1;
}

/*
 * Whether p starts with RFC 3164's timestamp (TS3164_LEN bytes), as
 * match() would find "aaa _d _d:_d:_d ", position by position: nearly
 * every datagram starts with one, and the pattern's loop was a fifth of
 * the parse.
 */
static int
ts3164(const uint8_t *p, const uint8_t *end)
{
	if ((size_t)(end - p) < TS3164_LEN)
		return 0;
	return is_alpha(p[0]) && is_alpha(p[1]) && is_alpha(p[2]) &&
	    p[3] == ' ' && (p[4] == ' ' || is_digit(p[4])) && is_digit(p[5]) &&
	    p[6] == ' ' && (p[7] == ' ' || is_digit(p[7])) && is_digit(p[8]) &&
	    p[9] == ':' && (p[10] == ' ' || is_digit(p[10])) &&
	    is_digit(p[11]) && p[12] == ':' &&
	    (p[13] == ' ' || is_digit(p[13])) && is_digit(p[14]) &&
	    p[15] == ' ';
}

/*
 * The length of the RFC 3339 timestamp at p (RFC 5424's TIMESTAMP, with
 * up to FRAC_MAX digits of fraction), or 0 if there is none.
 */
static size_t
ts3339(const uint8_t *p, const uint8_t *end)
{
	size_t n = strlen(TS3339), f;

	if (!MATCH(p, end, TS3339))
		return 0;
	if (n < (size_t)(end - p) && p[n] == '.') {
		for (f = 0; n + 1 + f < (size_t)(end - p) && f <= FRAC_MAX &&
		    p[n + 1 + f] >= '0' && p[n + 1 + f] <= '9'; f++)
			;
		if (f == 0 || f > FRAC_MAX)
			return 0;
		n += 1 + f;
	}
	if (n < (size_t)(end - p) && (p[n] == 'Z' || p[n] == 'z'))
		return n + 1;
	if (MATCH(p + n, end, "+dd:dd") || MATCH(p + n, end, "-dd:dd"))
		return n + 6;
	return 0;
}

/*
 * journald's PRI: '<', one to three digits, '>' (so 0 to 999, leading
 * zeros allowed).  Returns where the header goes on, with *ret_pri, or
 * NULL if there is no such PRI.
 */
static const uint8_t *
parse_pri(const uint8_t *p, const uint8_t *end, int *ret_pri)
{
	size_t i;
	int v = 0;

	if (p == end || *p != '<')
		return NULL;
	for (i = 1; i < 5 && p + i < end; i++) {
		if (p[i] == '>') {
			if (i == 1)
				return NULL;
			*ret_pri = v;
			return p + i + 1;
		}
		if (i == 4 || p[i] < '0' || p[i] > '9')
			return NULL;
		v = v * 10 + (p[i] - '0');
	}
	return NULL;
}

int
mml_syslog_ident(const uint8_t *buf, size_t len, struct mml_syslog_id *ret)
{
	const uint8_t *end = buf + len, *w, *s;
	size_t l, k;

	for (s = buf; s < end && is_ws(*s); s++)
		;
	for (w = s; s < end && !is_ws(*s); s++)
		;
	l = (size_t)(s - w);
	if (l == 0 || w[l - 1] != ':')
		return 0;
	l--;
	ret->has_pid = 0;
	ret->pid_off = ret->pid_len = 0;
	if (l > 0 && w[l - 1] == ']') {
		for (k = l - 1;; k--) {
			if (w[k] == '[') {
				ret->has_pid = 1;
				ret->pid_off = (size_t)(w - buf) + k + 1;
				ret->pid_len = l - k - 2;
				l = k;
				break;
			}
			if (k == 0)
				break;
		}
	}
	ret->tag_off = (size_t)(w - buf);
	ret->tag_len = l;
	if (s < end && is_ws(*s))
		s++;
	ret->msg_off = (size_t)(s - buf);
	return 1;
}

/*
 * mml_syslog_ident() on [p, end): returns where the message starts,
 * having set h->tag and h->pid, or NULL (h unchanged).
 */
static const uint8_t *
parse_ident(const uint8_t *p, const uint8_t *end, struct hdr *h)
{
	struct mml_syslog_id id;

	if (!mml_syslog_ident(p, (size_t)(end - p), &id))
		return NULL;
	h->tag.p = p + id.tag_off;
	h->tag.len = id.tag_len;
	h->pid.p = id.has_pid ? p + id.pid_off : NULL;
	h->pid.len = id.pid_len;
	return p + id.msg_off;
}

/*
 * A hostname before the identifier, as logger --rfc3164 and rsyslog
 * write it after the timestamp: a word of printable ASCII that is not an
 * identifier itself, one space, then a word that is one.  Returns where
 * the message starts, having set h->host, h->tag and h->pid, or NULL.
 */
static const uint8_t *
parse_host(const uint8_t *p, const uint8_t *end, struct hdr *h)
{
	const uint8_t *w, *s, *q;

	for (s = p; s < end && is_ws(*s); s++)
		;
	for (w = s; s < end && *s > ' ' && *s < 0x7f; s++)
		;
	if (s == w || s - w > 255 || s == end || *s != ' ' || s[-1] == ':')
		return NULL;
	q = parse_ident(s + 1, end, h);
	if (q == NULL)
		return NULL;
	h->host.p = w;
	h->host.len = (size_t)(s - w);
	return q;
}

/*
 * RFC 3164 after the PRI, or a datagram without one: a timestamp (else
 * SYSLOG_RAW is kept, as journald does), perhaps a hostname, an
 * identifier if the first word is one, and the rest is the message.
 */
static void
parse_3164(const uint8_t *p, const uint8_t *end, struct hdr *h)
{
	const uint8_t *q;
	size_t n;

	if (ts3164(p, end)) {
		h->ts.p = p;
		h->ts.len = TS3164_LEN;
		p += h->ts.len;
	} else if ((n = ts3339(p, end)) > 0 && n < (size_t)(end - p) &&
	    p[n] == ' ') {
		h->ts.p = p;
		h->ts.len = n;
		p += n + 1;
	} else
		h->raw = 1;
	q = parse_ident(p, end, h);
	if (q == NULL && h->ts.p != NULL)
		q = parse_host(p, end, h);
	if (q != NULL)
		p = q;
	h->msg.p = p;
	h->msg.len = (size_t)(end - p);
}

/*
 * One RFC 5424 header field and the space after it; "-" (NILVALUE) and
 * an empty field (logger -t '' writes one) are absent.
 */
static int
token(const uint8_t **pp, const uint8_t *end, struct span *ret)
{
	const uint8_t *p = *pp, *sp;

	sp = memchr(p, ' ', (size_t)(end - p));
	if (sp == NULL)
		return -EBADMSG;
	ret->p = p;
	ret->len = (size_t)(sp - p);
	if (ret->len == 0 || (ret->len == 1 && p[0] == '-'))
		ret->p = NULL;
	*pp = sp + 1;
	return 0;
}

/*
 * RFC 5424 after the PRI: "1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
 * STRUCTURED-DATA [MSG]".  Returns 0 having filled h, or -EBADMSG (h
 * unchanged) if this is not such a header.
 */
static int
parse_5424(const uint8_t *p, const uint8_t *end, struct hdr *h)
{
	struct hdr t;
	struct span app;
	const uint8_t *q;

	if (end - p < 2 || p[0] != '1' || p[1] != ' ')
		return -EBADMSG;
	t = *h;
	p += 2;
	if (token(&p, end, &t.ts) < 0 || (t.ts.p != NULL &&
	    ts3339(t.ts.p, t.ts.p + t.ts.len) != t.ts.len))
		return -EBADMSG;
	if (token(&p, end, &t.host) < 0 || token(&p, end, &app) < 0 ||
	    token(&p, end, &t.pid) < 0 || token(&p, end, &t.msgid) < 0)
		return -EBADMSG;
	if (p < end && *p == '-')
		q = p + 1;
	else if (sd_walk(p, end, NULL, &q) < 0)
		return -EBADMSG;
	else {
		t.sd.p = p;
		t.sd.len = (size_t)(q - p);
	}
	p = q;
	if (p < end) {
		if (*p != ' ')
			return -EBADMSG;
		p++;
	}
	if (MATCH(p, end, BOM))
		p += strlen(BOM);
	t.tag = app;
	t.msg.p = p;
	t.msg.len = (size_t)(end - p);
	*h = t;
	return 0;
}

/* An SD-NAME: printable ASCII but '=', ']' and '"'; empty if none. */
static struct span
sd_name(const uint8_t **pp, const uint8_t *end)
{
	struct span s;
	const uint8_t *p = *pp;

	s.p = p;
	while (p < end && *p > ' ' && *p < 0x7f && *p != '=' && *p != ']' &&
	    *p != '"')
		p++;
	s.len = (size_t)(p - s.p);
	*pp = p;
	return s;
}

/*
 * Walks the SD-ELEMENTs at p ("[SD-ID PARAM-NAME="VALUE" ...]..."):
 * returns 0 and where they end in *ret_end, or -EBADMSG.  With e, adds
 * one field per parameter.  A PARAM-VALUE ends at the first '"' not
 * escaped by a backslash; an unescaped ']' inside one is taken.
 */
static int
sd_walk(const uint8_t *p, const uint8_t *end, struct mml_ent *e,
    const uint8_t **ret_end)
{
	struct span id, name, val;

	if (p == end || *p != '[')
		return -EBADMSG;
	while (p < end && *p == '[') {
		p++;
		id = sd_name(&p, end);
		if (id.len == 0)
			return -EBADMSG;
		while (p < end && *p == ' ') {
			p++;
			name = sd_name(&p, end);
			if (name.len == 0 || end - p < 2 || p[0] != '=' ||
			    p[1] != '"')
				return -EBADMSG;
			p += 2;
			val.p = p;
			while (p < end && *p != '"')
				p += (*p == '\\' && end - p >= 2) ? 2 : 1;
			if (p == end)
				return -EBADMSG;
			val.len = (size_t)(p - val.p);
			p++;
			if (e != NULL)
				sd_add(e, id, name, val);
		}
		if (p == end || *p != ']')
			return -EBADMSG;
		p++;
	}
	*ret_end = p;
	return 0;
}

/*
 * Decodes a PARAM-VALUE in place: \" \\ \] stand for the byte after the
 * backslash; any other backslash is itself (RFC 5424, 6.3.3).  Returns
 * the new length.
 */
static size_t
sd_unescape(uint8_t *v, size_t len)
{
	size_t r = 0, w = 0;

	while (r < len) {
		if (v[r] == '\\' && r + 1 < len && (v[r + 1] == '"' ||
		    v[r + 1] == '\\' || v[r + 1] == ']'))
			r++;
		v[w++] = v[r++];
	}
	return w;
}

/*
 * Adds the field SD_<SD-ID>_<PARAM-NAME>=value: the name uppercased,
 * every byte but A-Z and 0-9 made '_', cut to MML_FIELD_KEY_MAX, so
 * always a valid journald field name that no client field and none of
 * the daemon's own can be.  The value is stored escaped, then decoded
 * where it landed in the fields block (decoding only shortens it; the
 * block's items are a u32 length and KEY=VALUE, PROTOCOL.md), so that
 * no copy is needed; a value cut by mml_ent_add() is decoded as far as
 * it was stored.  (So a value with escapes that would fit the buffer
 * only decoded is cut: the buffer's size is the caller's to choose, and
 * a cut is recorded, never silent.)
 */
static void
sd_add(struct mml_ent *e, struct span id, struct span name, struct span val)
{
	char key[MML_FIELD_KEY_MAX];
	size_t k = 0, i, before, off, esc = 0;
	uint32_t item_len;
	uint8_t c;

	memcpy(key, SD_PREFIX, strlen(SD_PREFIX));
	k = strlen(SD_PREFIX);
	for (i = 0; i < id.len + 1 + name.len && k < sizeof(key); i++) {
		c = i < id.len ? id.p[i] : i == id.len ? '_' :
		    name.p[i - id.len - 1];
		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		else if (!(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9'))
			c = '_';
		key[k++] = (char)c;
	}
	for (i = 0; i + 1 < val.len; i++)
		if (val.p[i] == '\\' && (val.p[i + 1] == '"' ||
		    val.p[i + 1] == '\\' || val.p[i + 1] == ']')) {
			esc++;
			i++;
		}
	before = e->fields_len;
	(void)mml_ent_add(e, key, k, val.p, val.len);
	e->orig_size -= esc;
	if (esc == 0 || e->fields_len == before)
		return;
	off = before + 4 + k + 1;
	item_len = (uint32_t)(k + 1 + sd_unescape(e->fields + off,
	    e->fields_len - off));
	memcpy(e->fields + before, &item_len, sizeof(item_len));
	e->fields_len = before + 4 + item_len;
}

/* Adds key=span, the key key_len bytes, if the span is there. */
static void
add(struct mml_ent *e, const char *key, size_t key_len, struct span s)
{
	if (s.p != NULL)
		(void)mml_ent_add(e, key, key_len, s.p, s.len);
}

/*
 * The entry from the header.  The tag is set last: a tag cut to
 * MML_TAG_MAX marks the entry cut, after which mml_ent_add() stores
 * nothing more, and SYSLOG_RAW must go in first.
 */
static void
build(struct mml_ent *e, const uint8_t *buf, size_t len, const struct hdr *h)
{
	struct span raw;
	const uint8_t *q;

	e->priority = h->pri & 7;
	if (h->pri >> 3 != 0)
		(void)mml_ent_add_u64(e, "SYSLOG_FACILITY",
		    (uint64_t)(h->pri >> 3));
	ADD(e, "SYSLOG_PID", h->pid);
	ADD(e, "SYSLOG_TIMESTAMP", h->ts);
	ADD(e, "SYSLOG_HOSTNAME", h->host);
	ADD(e, "SYSLOG_MSGID", h->msgid);
	if (h->sd.p != NULL)
		(void)sd_walk(h->sd.p, h->sd.p + h->sd.len, e, &q);
	if (h->raw || h->tag.len > MML_TAG_MAX) {
		raw.p = buf;
		raw.len = len;
		ADD(e, "SYSLOG_RAW", raw);
	}
	mml_ent_set_msg(e, h->msg.p, h->msg.len);
	if (h->tag.p != NULL)
		mml_ent_set_tag(e, h->tag.p, h->tag.len);
}

int
mml_syslog_parse(const uint8_t *buf, size_t len, struct mml_ent *e)
{
	struct hdr h;
	const uint8_t *p, *q, *end, *nul;
	int fmt = MML_SYSLOG_3164;

	if (len == 0)
		return -ENODATA;
	memset(&h, 0, sizeof(h));
	h.pri = PRI_DEFAULT;

	/*
	 * journald's trimming: whitespace and NULs at the end (Python's
	 * SysLogHandler ends each datagram with a NUL, glibc passes on a
	 * newline the caller wrote), whitespace at the start; then the
	 * text stops at the first NUL.  Any of these keeps SYSLOG_RAW.
	 */
	end = buf + len;
	while (end > buf && (is_ws(end[-1]) || end[-1] == '\0'))
		end--;
	for (p = buf; p < end && is_ws(*p); p++)
		;
	nul = memchr(p, '\0', (size_t)(end - p));
	if (nul != NULL)
		end = nul;
	if (p != buf || end != buf + len)
		h.raw = 1;

	q = parse_pri(p, end, &h.pri);
	if (q == NULL)
		h.raw = 1;
	else
		p = q;
	if (q != NULL && parse_5424(p, end, &h) == 0)
		fmt = MML_SYSLOG_5424;
	else
		parse_3164(p, end, &h);
	build(e, buf, len, &h);
	return fmt;
}
