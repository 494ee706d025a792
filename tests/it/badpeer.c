/*
 * badpeer.c: a hostile client for the end-to-end tests.  It speaks to a
 * real mmlogd over its real socket, sends what no well-behaved client
 * would, and reports, one line per case, what the daemon answered.  It
 * only reports: the expectations live in the test scripts.
 *
 * usage: badpeer -s SOCKET [-r ROUNDS] [-S SEED] [-T TIMEOUT_MS] MODE [N]
 *
 * Modes:
 *   cases     one connection per case (see cases[] below).  Each case
 *             prints
 *               NAME reason=R errno=E id=ok|bad after=alive|closed|noreply
 *             when an ERROR came back (after= says whether the connection
 *             still serves a SYNC afterwards), or "NAME closed" / "NAME
 *             noreply" / "NAME unexpected TYPE" when no ERROR came.  Then
 *               pipelined R1,R2,... after=alive|closed
 *             for every keep-alive case sent back to back on one
 *             connection, and
 *               fuzz errors=K of=N after=alive|closed
 *             for N frames with a valid header and a random body.  The
 *             last line is "errors=TOTAL": ERROR replies received in all.
 *             All of it ROUNDS times (default 1).
 *   fdpass N  sends N valid entries "fdpass I", each with three file
 *             descriptors attached (SCM_RIGHTS), then one entry with 64
 *             descriptors, then a SYNC; prints "fdpass error reason=R
 *             errno=E id=I" for each ERROR and "fdpass acked" at the ACK.
 *   abandon N opens N connections; every even-numbered one sends the
 *             entry "abandon I" (no ACK asked).  With -a, each must answer
 *             a SYNC (a refused one is made again, for up to 10 s).  Prints "opened N", waits
 *             -w SECONDS (default 0), then exits without closing them.
 *   syncgone N  N times: connect, send an entry that asks for an ACK
 *             ("syncgone I") and a SYNC, and close without reading.
 *             Prints "syncgone N".
 *   flood N K opens N connections, then writes K entries "flood C I" on
 *             every one, round-robin (connection C, entry I: the daemon
 *             sees all N at once), then a SYNC on each and waits for its
 *             ACK.  Prints "flood acked A refused R" (R: connections
 *             the daemon refused or closed), then waits -w SECONDS with
 *             every connection still open.
 *   noread N  sends N entries that ask for an ACK ("noread I") and never
 *             reads a reply; prints "noread sent K" (K < N if the daemon
 *             closed the connection), then waits -w SECONDS.
 *   write P N sends N valid entries "write I" at priority P, asking for
 *             nothing (no ACK, no SYNC), and closes.  Messages are padded
 *             with dots to 10 + I % 97 bytes, so records vary in size.
 *   subscribe S  sends SUBSCRIBE and prints "notify next=N durable=D"
 *             for each NOTIFY during S seconds, or "closed" if the daemon
 *             closes the connection; flushes after each line.
 *   stats     prints the daemon's STATS reply body (key=value lines).
 *
 * Every bad frame's messages contain "BAD", so a test can see at once
 * whether any of them reached the ring.  Exit status: 0 when every reply
 * could be read (whatever it said), 1 on a local error, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "wire.h"

#define BIG_PACKET	70000	/* over MML_FRAME_MAX */
#define ALIVE_ID	0x0a11ce
#define FUZZ_FRAMES	200

struct reply {
	int type;		/* frame type, 0 = closed, -1 = timeout/error */
	uint32_t id;
	int32_t error;
	uint16_t reason;
	char text[256];
	uint64_t seq;		/* ACK */
};

struct pkt {
	uint8_t *buf;
	size_t len;
	uint32_t id;		/* what a reply should echo */
};

static const char *sock_path;
static int timeout_ms = 10000;
static int abandon_accepted;	/* -a */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static unsigned long total_errors;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static int
peer_connect(void)
{
	struct sockaddr_un sa;
	int fd, sz = 512 * 1024;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sock_path) >= sizeof(sa.sun_path)) {
		(void)fprintf(stderr, "badpeer: socket path too long\n");
		exit(1);
	}
	memcpy(sa.sun_path, sock_path, strlen(sock_path));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		(void)fprintf(stderr, "badpeer: connect %s: %s\n", sock_path,
		    strerror(errno));
		exit(1);
	}
	/* Room for a packet over 64 KiB. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return fd;
}

static void
send_all(int fd, const void *buf, size_t len)
{
	ssize_t n;

	n = send(fd, buf, len, MSG_NOSIGNAL);
	if (n < 0 || (size_t)n != len) {
		(void)fprintf(stderr, "badpeer: send %zu bytes: %s\n", len,
		    n < 0 ? strerror(errno) : "short");
		exit(1);
	}
}

/* Reads one reply frame; the daemon's replies are trusted to decode. */
static void
read_reply(int fd, struct reply *r)
{
	static uint8_t buf[MML_FRAME_MAX];
	struct mml_frame_hdr h;
	struct mml_error_body eb;
	struct pollfd pfd;
	ssize_t n;
	size_t tl;

	memset(r, 0, sizeof(*r));
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, timeout_ms) <= 0) {
		r->type = -1;
		return;
	}
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno == ECONNRESET)) {
		r->type = 0;
		return;
	}
	if (n < (ssize_t)sizeof(h)) {
		r->type = -1;
		return;
	}
	memcpy(&h, buf, sizeof(h));
	r->type = h.type;
	r->id = h.id;
	if (h.type == MML_FRAME_ERROR && (size_t)n >= sizeof(h) + sizeof(eb)) {
		memcpy(&eb, buf + sizeof(h), sizeof(eb));
		r->error = eb.error;
		r->reason = eb.reason;
		tl = (size_t)n - sizeof(h) - sizeof(eb);
		if (tl > eb.text_len)
			tl = eb.text_len;
		if (tl >= sizeof(r->text))
			tl = sizeof(r->text) - 1;
		memcpy(r->text, buf + sizeof(h) + sizeof(eb), tl);
		r->text[tl] = '\0';
		total_errors++;
	} else if (h.type == MML_FRAME_ACK && (size_t)n >= sizeof(h) + 16)
		memcpy(&r->seq, buf + sizeof(h), 8);
}

/* Whether the connection still answers a SYNC. */
static const char *
probe_alive(int fd)
{
	uint8_t buf[sizeof(struct mml_frame_hdr)];
	struct reply r;
	ssize_t n;

	mml_wire_hdr_init(buf, MML_FRAME_SYNC, 0, ALIVE_ID);
	mml_wire_finish(buf, sizeof(buf));
	n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
	if (n < 0)
		return errno == EPIPE || errno == ECONNRESET ? "closed" :
		    "senderror";
	read_reply(fd, &r);
	if (r.type == 0)
		return "closed";
	if (r.type < 0)
		return "noreply";
	if (r.type == MML_FRAME_ACK && r.id == ALIVE_ID)
		return "alive";
	return "confused";
}

/* Frame construction, with every field under the caller's control. */
static size_t
put_hdr(uint8_t *buf, uint32_t magic, uint8_t version, uint8_t type,
    uint16_t flags, uint32_t len, uint32_t id)
{
	struct mml_frame_hdr h;

	h.magic = magic;
	h.version = version;
	h.type = type;
	h.flags = flags;
	h.len = len;
	h.id = id;
	memcpy(buf, &h, sizeof(h));
	return sizeof(h);
}

static size_t
put_entries_hdr(uint8_t *buf, size_t off, uint32_t dropped, uint32_t reserved)
{
	struct mml_entries_hdr e;

	e.dropped = dropped;
	e.reserved = reserved;
	memcpy(buf + off, &e, sizeof(e));
	return off + sizeof(e);
}

/*
 * Appends an entry; len_adj is added to the entry's len field and
 * tag_adj to its tag_len, so that the lengths can be made to lie.
 */
static size_t
put_entry(uint8_t *buf, size_t off, uint8_t prio, uint8_t reserved,
    const char *tag, size_t tag_len, const char *msg, size_t msg_len,
    const uint8_t *fields, size_t fields_len, int len_adj, int tag_adj)
{
	struct mml_entry_hdr e;

	e.len = (uint32_t)(sizeof(e) + tag_len + msg_len + fields_len +
	    len_adj);
	e.priority = prio;
	e.reserved = reserved;
	e.tag_len = (uint16_t)(tag_len + tag_adj);
	e.msg_len = (uint32_t)msg_len;
	e.fields_len = (uint32_t)fields_len;
	memcpy(buf + off, &e, sizeof(e));
	off += sizeof(e);
	memcpy(buf + off, tag, tag_len);
	off += tag_len;
	memcpy(buf + off, msg, msg_len);
	off += msg_len;
	if (fields_len)
		memcpy(buf + off, fields, fields_len);
	return off + fields_len;
}

static void
set_len(uint8_t *buf, size_t len)
{
	uint32_t l = (uint32_t)len;

	memcpy(buf + offsetof(struct mml_frame_hdr, len), &l, 4);
}

static size_t
field_item(uint8_t *out, const char *item, uint32_t len_field)
{
	memcpy(out, &len_field, 4);
	memcpy(out + 4, item, strlen(item));
	return 4 + strlen(item);
}

/* A valid ENTRIES frame with one entry, as a base to break. */
static size_t
good_frame(uint8_t *buf, uint32_t id, const char *msg)
{
	size_t off;

	off = put_hdr(buf, MML_WIRE_MAGIC, MML_WIRE_VERSION, MML_FRAME_ENTRIES,
	    0, 0, id);
	off = put_entries_hdr(buf, off, 0, 0);
	off = put_entry(buf, off, 6, 0, "badpeer", 7, msg, strlen(msg), NULL,
	    0, 0, 0);
	set_len(buf, off);
	return off;
}

/*
 * The cases.  build() fills p (buf has BIG_PACKET + 1024 bytes) and
 * returns 0; keep says whether the daemon is expected to keep the
 * connection, which only decides whether the case joins the pipelined
 * run (the test script asserts the outcome).
 */
struct bcase {
	const char *name;
	int keep;
	void (*build)(struct pkt *);
};

static void
b_random(struct pkt *p)
{
	size_t i;

	p->len = 200;
	for (i = 0; i < p->len; i++)
		p->buf[i] = (uint8_t)rng();
	/* Random, but never by chance our magic. */
	if (memcmp(p->buf, "MMLG", 4) == 0)
		p->buf[0] ^= 0xff;
	memcpy(&p->id, p->buf + 12, 4);
}

static void
b_short(struct pkt *p)
{
	good_frame(p->buf, 0, "BAD short");
	p->len = 10;
	p->id = 0;
}

static void
b_header_only_entries(struct pkt *p)
{
	p->len = put_hdr(p->buf, MML_WIRE_MAGIC, MML_WIRE_VERSION,
	    MML_FRAME_ENTRIES, 0, 16, p->id);
}

static void
b_truncated(struct pkt *p)
{
	/* A whole frame cut short: its len field says more was sent. */
	size_t n = good_frame(p->buf, p->id, "BAD truncated frame");

	p->len = n - 7;
}

static void
b_len_lies_more(struct pkt *p)
{
	p->len = good_frame(p->buf, p->id, "BAD len says more");
	set_len(p->buf, p->len + 8);
}

static void
b_len_lies_less(struct pkt *p)
{
	p->len = good_frame(p->buf, p->id, "BAD len says less");
	set_len(p->buf, 16);
}

static void
b_len_lies_huge(struct pkt *p)
{
	p->len = good_frame(p->buf, p->id, "BAD len says 4G");
	set_len(p->buf, 0xffffffffU);
}

static void
b_entry_len_lies(struct pkt *p)
{
	size_t off;

	off = put_hdr(p->buf, MML_WIRE_MAGIC, MML_WIRE_VERSION,
	    MML_FRAME_ENTRIES, 0, 0, p->id);
	off = put_entries_hdr(p->buf, off, 0, 0);
	off = put_entry(p->buf, off, 6, 0, "t", 1, "BAD entry len", 13, NULL,
	    0, 100, 0);
	set_len(p->buf, off);
	p->len = off;
}

static void
b_entry_len_overflow(struct pkt *p)
{
	size_t off;

	/* tag_len larger than the entry: sums that would wrap if added. */
	off = put_hdr(p->buf, MML_WIRE_MAGIC, MML_WIRE_VERSION,
	    MML_FRAME_ENTRIES, 0, 0, p->id);
	off = put_entries_hdr(p->buf, off, 0, 0);
	off = put_entry(p->buf, off, 6, 0, "t", 1, "BAD tag_len", 11, NULL, 0,
	    0, 200);
	set_len(p->buf, off);
	p->len = off;
}

static void
b_entry_tail_garbage(struct pkt *p)
{
	size_t off;

	/* A good entry, then 9 bytes that are not one: all refused. */
	off = put_hdr(p->buf, MML_WIRE_MAGIC, MML_WIRE_VERSION,
	    MML_FRAME_ENTRIES, 0, 0, p->id);
	off = put_entries_hdr(p->buf, off, 0, 0);
	off = put_entry(p->buf, off, 6, 0, "t", 1, "BAD first of two", 16,
	    NULL, 0, 0, 0);
	memset(p->buf + off, 0x41, 9);
	off += 9;
	set_len(p->buf, off);
	p->len = off;
}

static void
b_empty(struct pkt *p)
{
	p->len = 0;
	p->id = 0;
}

static void
b_big_packet(struct pkt *p)
{
	struct mml_entry_hdr e;
	size_t msg_len = BIG_PACKET - 16 - 8 - 16 - 1;
	size_t off;

	/* A well-formed frame, only too big: the daemon sees it cut. */
	off = put_hdr(p->buf, MML_WIRE_MAGIC, MML_WIRE_VERSION,
	    MML_FRAME_ENTRIES, 0, BIG_PACKET, 0);
	off = put_entries_hdr(p->buf, off, 0, 0);
	memset(&e, 0, sizeof(e));
	e.len = (uint32_t)(sizeof(e) + 1 + msg_len);
	e.priority = 6;
	e.tag_len = 1;
	e.msg_len = (uint32_t)msg_len;
	memcpy(p->buf + off, &e, sizeof(e));
	off += sizeof(e);
	p->buf[off++] = 't';
	memset(p->buf + off, 'B', msg_len);
	memcpy(p->buf + off, "BAD big packet", 14);
	p->len = off + msg_len;
	p->id = 0;
}

static void
b_bad_magic(struct pkt *p)
{
	p->len = good_frame(p->buf, p->id, "BAD magic");
	p->buf[0] ^= 0x20;
}

static void
b_version2(struct pkt *p)
{
	p->len = good_frame(p->buf, p->id, "BAD version 2");
	p->buf[4] = 2;
}

static void
b_version0(struct pkt *p)
{
	p->len = good_frame(p->buf, p->id, "BAD version 0");
	p->buf[4] = 0;
}

static void
b_type_unknown(struct pkt *p)
{
	p->len = good_frame(p->buf, p->id, "BAD type 0x7f");
	p->buf[5] = 0x7f;
}

static void
b_type_reply(struct pkt *p)
{
	/* An ACK is a reply: a client may not send one. */
	uint8_t body[16] = { 0 };

	p->len = put_hdr(p->buf, MML_WIRE_MAGIC, MML_WIRE_VERSION,
	    MML_FRAME_ACK, 0, 32, p->id);
	memcpy(p->buf + 16, body, sizeof(body));
	p->len = 32;
}

static void
b_flags_unknown(struct pkt *p)
{
	p->len = good_frame(p->buf, p->id, "BAD flags 0x8000");
	p->buf[7] = 0x80;
}

static void
b_flags_on_sync(struct pkt *p)
{
	p->len = put_hdr(p->buf, MML_WIRE_MAGIC, MML_WIRE_VERSION,
	    MML_FRAME_SYNC, MML_FRAME_F_SYNC, 16, p->id);
}

static void
b_reserved_entries(struct pkt *p)
{
	p->len = good_frame(p->buf, p->id, "BAD entries reserved");
	(void)put_entries_hdr(p->buf, 16, 0, 1);
}

static void
b_reserved_entry(struct pkt *p)
{
	p->len = good_frame(p->buf, p->id, "BAD entry reserved");
	p->buf[16 + 8 + 5] = 0x01;
}

static void
b_sync_body(struct pkt *p)
{
	p->len = put_hdr(p->buf, MML_WIRE_MAGIC, MML_WIRE_VERSION,
	    MML_FRAME_SYNC, 0, 20, p->id);
	memcpy(p->buf + 16, "BAD!", 4);
	p->len = 20;
}

static void
b_no_entries(struct pkt *p)
{
	size_t off;

	off = put_hdr(p->buf, MML_WIRE_MAGIC, MML_WIRE_VERSION,
	    MML_FRAME_ENTRIES, 0, 0, p->id);
	off = put_entries_hdr(p->buf, off, 0, 0);
	set_len(p->buf, off);
	p->len = off;
}

static void
b_priority(struct pkt *p)
{
	p->len = good_frame(p->buf, p->id, "BAD priority 9");
	p->buf[16 + 8 + 4] = 9;
}

static void
b_tag_long(struct pkt *p)
{
	char tag[300];
	size_t off;

	memset(tag, 'T', sizeof(tag));
	off = put_hdr(p->buf, MML_WIRE_MAGIC, MML_WIRE_VERSION,
	    MML_FRAME_ENTRIES, 0, 0, p->id);
	off = put_entries_hdr(p->buf, off, 0, 0);
	off = put_entry(p->buf, off, 6, 0, tag, sizeof(tag), "BAD tag 300",
	    11, NULL, 0, 0, 0);
	set_len(p->buf, off);
	p->len = off;
}

static void
fields_case(struct pkt *p, const char *msg, const uint8_t *f, size_t flen)
{
	size_t off;

	off = put_hdr(p->buf, MML_WIRE_MAGIC, MML_WIRE_VERSION,
	    MML_FRAME_ENTRIES, 0, 0, p->id);
	off = put_entries_hdr(p->buf, off, 0, 0);
	off = put_entry(p->buf, off, 6, 0, "t", 1, msg, strlen(msg), f, flen,
	    0, 0);
	set_len(p->buf, off);
	p->len = off;
}

static void
b_field_lowercase(struct pkt *p)
{
	uint8_t f[64];

	fields_case(p, "BAD field key", f, field_item(f, "lower=1", 7));
}

static void
b_field_underscore(struct pkt *p)
{
	uint8_t f[64];

	/* Trusted fields are the daemon's to set. */
	fields_case(p, "BAD field _PID", f, field_item(f, "_PID=1", 6));
}

static void
b_field_message(struct pkt *p)
{
	uint8_t f[64];

	fields_case(p, "BAD field MESSAGE", f, field_item(f, "MESSAGE=x", 9));
}

static void
b_field_noeq(struct pkt *p)
{
	uint8_t f[64];

	fields_case(p, "BAD field no =", f, field_item(f, "NOEQUALS", 8));
}

static void
b_field_len_lies(struct pkt *p)
{
	uint8_t f[64];

	fields_case(p, "BAD field len", f, field_item(f, "KEY=1", 1000));
}

static void
b_field_short(struct pkt *p)
{
	uint8_t f[8] = { 1, 0 };

	fields_case(p, "BAD field 2 bytes", f, 2);
}

static const struct bcase cases[] = {
	{ "random",		0, b_random },
	{ "short",		1, b_short },
	{ "header_only_entries", 1, b_header_only_entries },
	{ "truncated",		1, b_truncated },
	{ "len_lies_more",	1, b_len_lies_more },
	{ "len_lies_less",	1, b_len_lies_less },
	{ "len_lies_huge",	1, b_len_lies_huge },
	{ "entry_len_lies",	1, b_entry_len_lies },
	{ "entry_len_overflow",	1, b_entry_len_overflow },
	{ "entry_tail_garbage",	1, b_entry_tail_garbage },
	{ "big_packet",		1, b_big_packet },
	{ "type_unknown",	1, b_type_unknown },
	{ "type_reply",		1, b_type_reply },
	{ "flags_unknown",	1, b_flags_unknown },
	{ "flags_on_sync",	1, b_flags_on_sync },
	{ "reserved_entries",	1, b_reserved_entries },
	{ "reserved_entry",	1, b_reserved_entry },
	{ "sync_body",		1, b_sync_body },
	{ "no_entries",		1, b_no_entries },
	{ "priority",		1, b_priority },
	{ "tag_long",		1, b_tag_long },
	{ "field_lowercase",	1, b_field_lowercase },
	{ "field_underscore",	1, b_field_underscore },
	{ "field_message",	1, b_field_message },
	{ "field_noeq",		1, b_field_noeq },
	{ "field_len_lies",	1, b_field_len_lies },
	{ "field_short",	1, b_field_short },
	{ "bad_magic",		0, b_bad_magic },
	{ "version2",		0, b_version2 },
	{ "version0",		0, b_version0 },
	{ "empty",		0, b_empty },
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void
run_case(const struct bcase *bc, struct pkt *p)
{
	struct reply r;
	int fd;

	fd = peer_connect();
	p->id = 0x1000 + (uint32_t)(bc - cases);
	bc->build(p);
	send_all(fd, p->buf, p->len);
	read_reply(fd, &r);
	if (r.type == MML_FRAME_ERROR)
		(void)printf("%s reason=%u errno=%d id=%s after=%s text=\"%s\"\n",
		    bc->name, r.reason, r.error, r.id == p->id ? "ok" : "bad",
		    probe_alive(fd), r.text);
	else if (r.type == 0)
		(void)printf("%s closed\n", bc->name);
	else if (r.type < 0)
		(void)printf("%s noreply\n", bc->name);
	else
		(void)printf("%s unexpected 0x%02x\n", bc->name, r.type);
	(void)fflush(stdout);
	(void)close(fd);
}

static void
run_pipelined(struct pkt *p)
{
	struct reply r;
	size_t i, n = 0;
	int fd;

	fd = peer_connect();
	for (i = 0; i < N_CASES; i++) {
		if (!cases[i].keep)
			continue;
		p->id = 0x2000 + (uint32_t)i;
		cases[i].build(p);
		send_all(fd, p->buf, p->len);
		n++;
	}
	(void)printf("pipelined ");
	for (i = 0; i < n; i++) {
		read_reply(fd, &r);
		if (r.type == MML_FRAME_ERROR)
			(void)printf("%s%u", i ? "," : "", r.reason);
		else
			(void)printf("%s%s", i ? "," : "", r.type == 0 ?
			    "closed" : r.type < 0 ? "noreply" : "unexpected");
		if (r.type <= 0)
			break;
	}
	(void)printf(" after=%s\n", probe_alive(fd));
	(void)fflush(stdout);
	(void)close(fd);
}

static void
run_fuzz(struct pkt *p)
{
	struct reply r;
	unsigned i, errors = 0;
	size_t j, body;
	int fd;

	fd = peer_connect();
	for (i = 0; i < FUZZ_FRAMES; i++) {
		body = (size_t)(rng() % 300);
		(void)put_hdr(p->buf, MML_WIRE_MAGIC, MML_WIRE_VERSION,
		    (uint8_t)(1 + rng() % 4), 0, (uint32_t)(16 + body),
		    0x3000 + i);
		for (j = 0; j < body; j++)
			p->buf[16 + j] = (uint8_t)rng();
		/* An ENTRIES body that decodes by chance would land: no. */
		if (body >= 8 && p->buf[5] == MML_FRAME_ENTRIES)
			p->buf[16 + 4] |= 1;
		/* Bodyless SYNC/STATS/SUBSCRIBE are valid: give them a body. */
		if (body == 0)
			p->buf[5] = MML_FRAME_ENTRIES;
		send_all(fd, p->buf, 16 + body);
		read_reply(fd, &r);
		if (r.type == MML_FRAME_ERROR && r.id == 0x3000 + i)
			errors++;
		else if (r.type <= 0)
			break;
	}
	(void)printf("fuzz errors=%u of=%u after=%s\n", errors, FUZZ_FRAMES,
	    probe_alive(fd));
	(void)fflush(stdout);
	(void)close(fd);
}

static void
send_with_fds(int fd, const void *buf, size_t len, int nfds, int src_fd)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int) * 64)];
	} cbuf;
	struct msghdr mh;
	struct cmsghdr *cm;
	struct iovec iov;
	int fds[64], i;

	for (i = 0; i < nfds; i++)
		fds[i] = src_fd;
	memset(&mh, 0, sizeof(mh));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = &cbuf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)len) {
		(void)fprintf(stderr, "badpeer: sendmsg: %s\n", strerror(errno));
		exit(1);
	}
}

static int
mode_fdpass(long n)
{
	uint8_t buf[512], sync[16];
	char msg[64];
	struct reply r;
	size_t len;
	long i;
	int fd, pfd[2], nullfd;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return 1;
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nullfd < 0)
		return 1;
	fd = peer_connect();
	for (i = 1; i <= n; i++) {
		(void)snprintf(msg, sizeof(msg), "fdpass %ld", i);
		len = good_frame(buf, 0, msg);
		send_with_fds(fd, buf, len, 3, i % 3 == 0 ? nullfd :
		    pfd[i % 2]);
	}
	len = good_frame(buf, 0x4000, "BAD fdpass 64 fds");
	send_with_fds(fd, buf, len, 64, nullfd);
	mml_wire_hdr_init(sync, MML_FRAME_SYNC, 0, ALIVE_ID);
	mml_wire_finish(sync, sizeof(sync));
	send_all(fd, sync, sizeof(sync));
	for (;;) {
		read_reply(fd, &r);
		if (r.type == MML_FRAME_ERROR)
			(void)printf("fdpass error reason=%u errno=%d id=%u\n",
			    r.reason, r.error, r.id);
		else if (r.type == MML_FRAME_ACK && r.id == ALIVE_ID) {
			(void)printf("fdpass acked\n");
			break;
		} else if (r.type <= 0) {
			(void)printf("fdpass %s\n", r.type == 0 ? "closed" :
			    "noreply");
			break;
		}
	}
	(void)close(fd);
	return 0;
}

static int
mode_abandon(long n, unsigned wait_s)
{
	uint8_t buf[256];
	char msg[64];
	size_t len;
	long i;
	int fd, tries = 0;

	for (i = 1; i <= n; i++) {
		fd = peer_connect();
		if (i % 2 == 0) {
			(void)snprintf(msg, sizeof(msg), "abandon %ld", i);
			len = good_frame(buf, 0, msg);
			send_all(fd, buf, len);
		}
		/*
		 * -a: the daemon must have taken this connection (it answers
		 * a SYNC); one refused (it still counted a client that just
		 * left) is made again.
		 */
		while (abandon_accepted && strcmp(probe_alive(fd), "alive") != 0) {
			(void)close(fd);
			if (++tries > 200) {
				(void)fprintf(stderr, "badpeer: connection %ld "
				    "never accepted\n", i);
				exit(1);
			}
			(void)usleep(50000);
			fd = peer_connect();
		}
		/* fd is left open on purpose. */
	}
	(void)printf("opened %ld\n", n);
	(void)fflush(stdout);
	if (wait_s)
		(void)sleep(wait_s);
	_exit(0);
}

static int
mode_syncgone(long n)
{
	uint8_t buf[256], sync[16];
	char msg[64];
	size_t len;
	long i;
	int fd;

	for (i = 1; i <= n; i++) {
		fd = peer_connect();
		(void)snprintf(msg, sizeof(msg), "syncgone %ld", i);
		len = good_frame(buf, (uint32_t)i, msg);
		buf[6] = MML_FRAME_F_SYNC;
		send_all(fd, buf, len);
		mml_wire_hdr_init(sync, MML_FRAME_SYNC, 0, ALIVE_ID);
		mml_wire_finish(sync, sizeof(sync));
		send_all(fd, sync, sizeof(sync));
		(void)close(fd);
	}
	(void)printf("syncgone %ld\n", n);
	return 0;
}

static int
mode_flood(long n, long k, unsigned wait_s)
{
	uint8_t buf[256], sync[16];
	struct reply r;
	char msg[64];
	long c, i, acked = 0, refused = 0;
	int *fds;
	size_t len;

	fds = calloc((size_t)n, sizeof(*fds));
	if (fds == NULL)
		return 1;
	for (c = 0; c < n; c++)
		fds[c] = peer_connect();
	for (i = 1; i <= k; i++)
		for (c = 0; c < n; c++) {
			if (fds[c] < 0)
				continue;
			(void)snprintf(msg, sizeof(msg), "flood %ld %ld", c, i);
			len = good_frame(buf, (uint32_t)i, msg);
			if (send(fds[c], buf, len, MSG_NOSIGNAL) != (ssize_t)len) {
				(void)close(fds[c]);
				fds[c] = -1;
				refused++;
			}
		}
	mml_wire_hdr_init(sync, MML_FRAME_SYNC, 0, ALIVE_ID);
	mml_wire_finish(sync, sizeof(sync));
	for (c = 0; c < n; c++)
		if (fds[c] >= 0 && send(fds[c], sync, sizeof(sync),
		    MSG_NOSIGNAL) != (ssize_t)sizeof(sync)) {
			(void)close(fds[c]);
			fds[c] = -1;
			refused++;
		}
	for (c = 0; c < n; c++) {
		if (fds[c] < 0)
			continue;
		read_reply(fds[c], &r);
		if (r.type == MML_FRAME_ACK && r.id == ALIVE_ID)
			acked++;
		else
			refused++;
	}
	(void)printf("flood acked %ld refused %ld\n", acked, refused);
	(void)fflush(stdout);
	if (wait_s)
		(void)sleep(wait_s);
	_exit(0);
}

static int
mode_noread(long n, unsigned wait_s)
{
	uint8_t buf[256];
	char msg[64];
	size_t len;
	ssize_t r;
	long i;
	int fd;

	fd = peer_connect();
	for (i = 1; i <= n; i++) {
		(void)snprintf(msg, sizeof(msg), "noread %ld", i);
		len = good_frame(buf, (uint32_t)i, msg);
		buf[6] = MML_FRAME_F_SYNC;
		r = send(fd, buf, len, MSG_NOSIGNAL);
		if (r < 0)
			break;
	}
	(void)printf("noread sent %ld\n", i - 1);
	(void)fflush(stdout);
	if (wait_s)
		(void)sleep(wait_s);
	(void)close(fd);
	return 0;
}

static int
mode_write(int prio, long n)
{
	uint8_t buf[256];
	char msg[128];
	size_t len;
	long i;
	int fd;

	fd = peer_connect();
	for (i = 1; i <= n; i++) {
		int m = snprintf(msg, sizeof(msg), "write %ld", i);

		memset(msg + m, '.', sizeof(msg) - (size_t)m);
		msg[10 + i % 97] = '\0';
		len = good_frame(buf, 0, msg);
		buf[16 + 8 + 4] = (uint8_t)prio;
		send_all(fd, buf, len);
	}
	(void)close(fd);
	return 0;
}

static int
mode_subscribe(long seconds)
{
	uint8_t req[16];
	struct mml_notify_body nb;
	static uint8_t buf[MML_FRAME_MAX];
	struct pollfd pfd;
	struct timespec now, end;
	ssize_t n;
	long left_ms;
	int fd;

	fd = peer_connect();
	mml_wire_hdr_init(req, MML_FRAME_SUBSCRIBE, 0, 9);
	mml_wire_finish(req, sizeof(req));
	send_all(fd, req, sizeof(req));
	(void)clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += seconds;
	for (;;) {
		(void)clock_gettime(CLOCK_MONOTONIC, &now);
		left_ms = (end.tv_sec - now.tv_sec) * 1000 +
		    (end.tv_nsec - now.tv_nsec) / 1000000;
		if (left_ms <= 0)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left_ms) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0) {
			(void)printf("closed\n");
			(void)fflush(stdout);
			break;
		}
		if (n == 32 && buf[5] == MML_FRAME_NOTIFY) {
			memcpy(&nb, buf + 16, sizeof(nb));
			(void)printf("notify next=%llu durable=%llu\n",
			    (unsigned long long)nb.next_seq,
			    (unsigned long long)nb.durable_seq);
		} else
			(void)printf("frame type 0x%02x\n", buf[5]);
		(void)fflush(stdout);
	}
	(void)close(fd);
	return 0;
}

static int
mode_stats(void)
{
	static uint8_t buf[MML_FRAME_MAX];
	uint8_t req[16];
	struct pollfd pfd;
	ssize_t n;
	int fd;

	fd = peer_connect();
	mml_wire_hdr_init(req, MML_FRAME_STATS, 0, 7);
	mml_wire_finish(req, sizeof(req));
	send_all(fd, req, sizeof(req));
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 1;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 16 || buf[5] != MML_FRAME_STATS_REPLY)
		return 1;
	(void)fwrite(buf + 16, 1, (size_t)n - 16, stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	struct pkt p;
	const char *mode;
	long rounds = 1, n = 0, i;
	unsigned wait_s = 0;
	size_t k;
	int ch;

	while ((ch = getopt(argc, argv, "as:r:S:T:w:")) != -1) {
		switch (ch) {
		case 's': sock_path = optarg; break;
		case 'r': rounds = atol(optarg); break;
		case 'S': rng_state = strtoull(optarg, NULL, 0) | 1; break;
		case 'T': timeout_ms = atoi(optarg); break;
		case 'w': wait_s = (unsigned)atoi(optarg); break;
		case 'a': abandon_accepted = 1; break;
		default: goto usage;
		}
	}
	if (sock_path == NULL || optind >= argc)
		goto usage;
	mode = argv[optind];
	if (optind + 1 < argc)
		n = atol(argv[optind + 1]);
	if (strcmp(mode, "stats") == 0)
		return mode_stats();
	if (strcmp(mode, "fdpass") == 0)
		return mode_fdpass(n);
	if (strcmp(mode, "abandon") == 0)
		return mode_abandon(n, wait_s);
	if (strcmp(mode, "write") == 0 && optind + 2 < argc)
		return mode_write(atoi(argv[optind + 1]),
		    atol(argv[optind + 2]));
	if (strcmp(mode, "subscribe") == 0)
		return mode_subscribe(n);
	if (strcmp(mode, "syncgone") == 0)
		return mode_syncgone(n);
	if (strcmp(mode, "noread") == 0)
		return mode_noread(n, wait_s);
	if (strcmp(mode, "flood") == 0 && optind + 2 < argc)
		return mode_flood(n, atol(argv[optind + 2]), wait_s);
	if (strcmp(mode, "cases") != 0)
		goto usage;
	p.buf = calloc(1, BIG_PACKET + 1024);
	if (p.buf == NULL)
		return 1;
	for (i = 0; i < rounds; i++) {
		for (k = 0; k < N_CASES; k++)
			run_case(&cases[k], &p);
		run_pipelined(&p);
		run_fuzz(&p);
	}
	(void)printf("errors=%lu\n", total_errors);
	free(p.buf);
	return 0;
usage:
	(void)fprintf(stderr, "usage: badpeer [-a] -s SOCKET [-r ROUNDS] [-S SEED] "
	    "[-T TIMEOUT_MS] [-w SECONDS] cases|fdpass N|abandon N|syncgone N|\n"
	    "noread N|flood N K|write PRIO N|subscribe S|stats\n");
	return 2;
}
