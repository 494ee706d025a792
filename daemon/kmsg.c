/*
 * kmsg.c: records of the kernel log (/dev/kmsg) parsed into entries
 * (kmsg.h, proto/SYSLOG.md), with the fields journald (systemd 252,
 * journald-kmsg.c) gives them.
 *
 * A record is what one read() returns: the kernel writes it, but any
 * root process can write a line into it, and this parser must not trust
 * it further than the syslog one trusts a datagram.  Everything is a byte
 * range checked against the record's end; the header is parsed whole
 * before the entry is touched.  Escapes are decoded in place, which only
 * shortens a range, so no copy is needed.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "entry.h"
#include "kmsg.h"
#include "syslog_parse.h"
#include "util.h"
#include "wire.h"

/* The kernel keeps a record's facility in a byte: 255 * 8 + 7. */
#define KMSG_PRI_MAX		2047
/* Continuation lines taken, as journald (N_IOVEC_KERNEL_FIELDS). */
#define KMSG_LINES_MAX		64
/* What journald puts before the key of a continuation line. */
#define KERNEL_PREFIX		"_KERNEL_"

/* The record's header: "PRI,SEQ,TS_USEC[,FLAGS,...];". */
struct kmsg_hdr {
	uint64_t	 pri;
	uint64_t	 seq;
	uint64_t	 usec;
};

static int	 num(const uint8_t *, const uint8_t *, uint64_t, uint64_t *);
static int	 parse_hdr(const uint8_t *, const uint8_t *, struct kmsg_hdr *);
static size_t	 unescape(uint8_t *, size_t);
static void	 add_line(struct mml_ent *, uint8_t *, size_t);

/* A decimal number filling [p, end), at most max, by mml_parse_range(). */
static int
num(const uint8_t *p, const uint8_t *end, uint64_t max, uint64_t *ret)
{
	char s[24];
	size_t n = (size_t)(end - p), i;

	if (n == 0 || n >= sizeof(s))
		return -EBADMSG;
	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return -EBADMSG;
	memcpy(s, p, n);
	s[n] = '\0';
	return mml_parse_range(s, 0, max, ret) < 0 ? -EBADMSG : 0;
}

/*
 * The header [p, semi): PRI and SEQ end at a ',', TS_USEC at the next
 * ',' or at the end (kernels before 3.6 have no FLAGS); what follows,
 * FLAGS and any later field ("caller=T42" with CONFIG_PRINTK_CALLER),
 * is not needed.
 */
static int
parse_hdr(const uint8_t *p, const uint8_t *semi, struct kmsg_hdr *h)
{
	const uint8_t *c;

	c = memchr(p, ',', (size_t)(semi - p));
	if (c == NULL || num(p, c, KMSG_PRI_MAX, &h->pri) < 0)
		return -EBADMSG;
	p = c + 1;
	c = memchr(p, ',', (size_t)(semi - p));
	if (c == NULL || num(p, c, UINT64_MAX, &h->seq) < 0)
		return -EBADMSG;
	p = c + 1;
	c = memchr(p, ',', (size_t)(semi - p));
	if (c == NULL)
		c = semi;
	return num(p, c, UINT64_MAX, &h->usec);
}

/*
 * Decodes the kernel's escapes in place and returns the new length.  The
 * kernel writes every byte below 0x20, from 0x7f up, and '\' itself as
 * \xNN, so "\xNN" is the only escape a record holds; any other backslash
 * is kept, and so is \x00 (journald refuses to decode a NUL).
 */
static size_t
unescape(uint8_t *s, size_t len)
{
	size_t r = 0, w = 0;
	int hi, lo;

	while (r < len) {
		if (s[r] == '\\' && len - r >= 4 && s[r + 1] == 'x' &&
		    (hi = mml_hexval(s[r + 2])) >= 0 &&
		    (lo = mml_hexval(s[r + 3])) >= 0 && (hi | lo) != 0) {
			s[w++] = (uint8_t)(hi << 4 | lo);
			r += 4;
			continue;
		}
		s[w++] = s[r++];
	}
	return w;
}

/*
 * One continuation line, its leading space gone: KEY=VALUE becomes the
 * field _KERNEL_KEY=VALUE, the value decoded.  A line whose KEY is not
 * 1 or more of A-Z, 0-9 and '_' (short enough for the prefix to fit
 * MML_FIELD_KEY_MAX) is skipped: journald would have made an invalid
 * field name of it.
 */
static void
add_line(struct mml_ent *e, uint8_t *line, size_t len)
{
	char key[MML_FIELD_KEY_MAX];
	const uint8_t *eq;
	size_t key_len, pre = strlen(KERNEL_PREFIX), i;

	eq = memchr(line, '=', len);
	if (eq == NULL)
		return;
	key_len = (size_t)(eq - line);
	if (key_len == 0 || key_len > sizeof(key) - pre)
		return;
	for (i = 0; i < key_len; i++)
		if (!((line[i] >= 'A' && line[i] <= 'Z') ||
		    (line[i] >= '0' && line[i] <= '9') || line[i] == '_'))
			return;
	memcpy(key, KERNEL_PREFIX, pre);
	memcpy(key + pre, line, key_len);
	(void)mml_ent_add(e, key, pre + key_len, eq + 1,
	    unescape(line + key_len + 1, len - key_len - 1));
}

int
mml_kmsg_parse(uint8_t *rec, size_t len, struct mml_ent *e,
    uint64_t *ret_seq, uint64_t *ret_usec)
{
	static const char kernel[] = "kernel";
	struct kmsg_hdr h;
	struct mml_syslog_id id;
	uint8_t *end = rec + len, *line_end, *semi, *msg, *p, *nl;
	size_t msg_len;
	unsigned n;
	int has_id = 0;

	line_end = memchr(rec, '\n', len);
	if (line_end == NULL)
		line_end = end;
	semi = memchr(rec, ';', (size_t)(line_end - rec));
	if (semi == NULL || parse_hdr(rec, semi, &h) < 0)
		return -EBADMSG;

	msg = semi + 1;
	msg_len = (size_t)(line_end - msg);
	e->priority = (int)(h.pri & 7);
	(void)mml_ent_add_u64(e, "SYSLOG_FACILITY", h.pri >> 3);
	/*
	 * Facility kern is the kernel's own; any other was written by a
	 * process into /dev/kmsg, in syslog's "TAG[PID]: " form, which
	 * journald parses as it parses a datagram (on the escaped text,
	 * whose \xNN cannot be whitespace).
	 */
	if (h.pri >> 3 != 0 && mml_syslog_ident(msg, msg_len, &id)) {
		has_id = 1;
		if (id.has_pid)
			(void)mml_ent_add_str(e, "SYSLOG_PID", msg + id.pid_off,
			    unescape(msg + id.pid_off, id.pid_len));
	}
	(void)mml_ent_add_u64(e, "_SOURCE_MONOTONIC_TIMESTAMP", h.usec);

	/*
	 * Continuation lines, each " KEY=VALUE\n"; the first line without
	 * the leading space ends them, as in journald.  The last may lack
	 * its newline (journald drops such a record; it has lost nothing
	 * but the newline).
	 */
	p = line_end < end ? line_end + 1 : end;
	for (n = 0; p < end && *p == ' ' && n < KMSG_LINES_MAX; n++) {
		p++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		add_line(e, p, (size_t)(nl - p));
		p = nl < end ? nl + 1 : end;
	}

	if (h.pri >> 3 == 0)
		mml_ent_set_tag(e, kernel, strlen(kernel));
	else if (has_id) {
		mml_ent_set_tag(e, msg + id.tag_off,
		    unescape(msg + id.tag_off, id.tag_len));
		msg += id.msg_off;
		msg_len -= id.msg_off;
	}
	mml_ent_set_msg(e, msg, unescape(msg, msg_len));
	*ret_seq = h.seq;
	*ret_usec = h.usec;
	return 0;
}
