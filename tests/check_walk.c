/*
 * check_walk.c: the one walk of the ring's record chain (proto/walk.c).
 *
 * Each row of walk_cases builds a chain in memory with the writer's own
 * encoders (mml_disk_rec_write(), mml_disk_wrap_write()), damages it,
 * and says what the walker makes of it from a starting place, three
 * ways:
 *   trace   mml_walk_next() step by step, and mml_walk_resync() where the
 *           chain breaks below seq_end, as the readers walk: an entry's
 *           seq ("f" if it is a forgery), "W" for a WRAP, "+N" for a jump
 *           the writer announced, "!N" for N seqs lost to damage, "?" for
 *           nothing found up to the head, then "| OFF:SEQ" where it stops;
 *   follow  mml_walk_follow(), recovery's search for the head: "N@OFF:SEQ",
 *           the entries taken and where it stopped;
 *   proof   a scan from the start (mml_walk_scan()) with every entry it
 *           finds put to mml_walk_confirm(), as recovery's search for the
 *           tail does, until one is proven: its seq and "P" (proven by
 *           length), "H" (reaches the head), "B" (broken) or "X" (runs past
 *           seq_end).
 *
 * Records are 256 bytes (0x100) unless a row says otherwise, so offsets
 * read easily; every message byte is 0xa5, which no record header can
 * start with.
 *
 * Each row runs twice: on a keyed ring (the writer's CRCs seeded with
 * the ring's key, a forged record's with 0, as a client who cannot read
 * the ring must make it), and on an unkeyed (legacy) one, where a forged
 * record checks and only the chain proof keeps resync from taking it;
 * ltrace and lproof say what differs there.
 */
#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "walk.h"

#define CAP		((uint64_t)128 * 1024)
#define MSG		192		/* an entry of 0x100 bytes */
#define FORGED_USEC	0xf0f0		/* the time a forged record carries */
#define MAX_RECS	32

enum op_kind {
	OP_END = 0,
	OP_ENT,		/* an entry numbered a, with a message of b bytes */
	OP_ENTS,	/* b entries numbered from a */
	OP_FILL,	/* an entry numbered a that ends at offset b */
	OP_WRAP,	/* a WRAP numbered a; the cursor goes to 0 */
	OP_NOTE,	/* the writer's note numbered a, MMLOG_SEQ_GAP=s */
	OP_FORGE,	/* an entry numbered a holding a forged record b */
	OP_HEAD,	/* the writer's head is here */
	OP_AT,		/* the cursor goes to offset a */
	OP_FLIP,	/* byte b of record a (in writing order) is flipped */
	OP_LEN,		/* record a says it is b bytes long */
};

struct op {
	enum op_kind k;
	uint64_t a, b, c;
	const char *s;
};

struct walk_case {
	const char *name;
	struct op ops[12];
	uint64_t start_off, start_seq;
	uint64_t seq_end;
	const char *trace;
	const char *follow;
	const char *proof;
	/* On an unkeyed ring, if it differs (NULL: the same). */
	const char *ltrace;
	const char *lproof;
};

#define ENT(seq)		{ OP_ENT, (seq), MSG, 0, NULL }
#define BIG(seq, msg)		{ OP_ENT, (seq), (msg), 0, NULL }
#define ENTS(seq, n)		{ OP_ENTS, (seq), (n), MSG, NULL }
#define BIGS(seq, n, msg)	{ OP_ENTS, (seq), (n), (msg), NULL }
#define FILL(seq, end)		{ OP_FILL, (seq), (end), 0, NULL }
#define WRAP(seq)		{ OP_WRAP, (seq), 0, 0, NULL }
#define NOTE(seq, n)		{ OP_NOTE, (seq), 0, 0, (n) }
#define FORGE(seq, fake)	{ OP_FORGE, (seq), (fake), 0, NULL }
#define HEAD			{ OP_HEAD, 0, 0, 0, NULL }
#define AT(off)			{ OP_AT, (off), 0, 0, NULL }
#define FLIP(rec, byte)		{ OP_FLIP, (rec), (byte), 0, NULL }
#define LEN(rec, len)		{ OP_LEN, (rec), (len), 0, NULL }

/* Near the end of the region: two entries, then the end at 0x1ff00. */
#define END2	0x1fd00

static const struct walk_case walk_cases[] = {
	{ "empty ring", { HEAD }, 0, 1, 1,
	  "| 0x0:1", "0@0x0:1", "", NULL, NULL },
	{ "clean chain", { ENTS(1, 5), HEAD }, 0, 1, 6,
	  "1 2 3 4 5 | 0x500:6", "5@0x500:6", "1H", NULL, NULL },
	{ "torn record at the head", { ENTS(1, 3), HEAD, ENT(4),
	  FLIP(3, 100) }, 0, 1, 4,
	  "1 2 3 | 0x300:4", "3@0x300:4", "1H", NULL, NULL },
	{ "torn newest entry, its seq published", { ENTS(1, 4),
	  FLIP(3, 100), HEAD }, 0, 1, 5,
	  "1 2 3 !1 | 0x400:5", "3@0x300:4", "1B 2B 3B", NULL, NULL },
	{ "flipped byte in a payload mid-chain", { ENTS(1, 6), HEAD,
	  FLIP(2, 100) }, 0, 1, 7,
	  "1 2 !1 4 5 6 | 0x600:7", "2@0x200:3", "1B 2B 4H", NULL, NULL },
	{ "flipped byte in a header mid-chain", { ENTS(1, 6), HEAD,
	  FLIP(2, 8) }, 0, 1, 7,
	  "1 2 !1 4 5 6 | 0x600:7", "2@0x200:3", "1B 2B 4H", NULL, NULL },
	{ "chain through a WRAP", { AT(END2), ENTS(1, 2), WRAP(3),
	  ENTS(3, 2), HEAD }, END2, 1, 5,
	  "1 2 W 3 4 | 0x200:5", "4@0x200:5", "1H", NULL, NULL },
	{ "damaged WRAP", { AT(END2), ENTS(1, 2), WRAP(3), ENTS(3, 2),
	  HEAD, FLIP(2, 8) }, END2, 1, 5,
	  "1 2 !0 3 4 | 0x200:5", "2@0x1ff00:3", "1B 2B 3H", NULL, NULL },
	{ "chain at the implicit wrap", { AT(0x1fe00), ENT(1),
	  FILL(2, CAP - 56), ENTS(3, 2), HEAD }, 0x1fe00, 1, 5,
	  "1 2 3 4 | 0x200:5", "4@0x200:5", "1H", NULL, NULL },
	{ "damage at the implicit wrap", { AT(0x1fe00), ENT(1),
	  FILL(2, CAP - 56), ENTS(3, 2), HEAD, FLIP(1, 8) }, 0x1fe00, 1, 5,
	  "1 !1 3 4 | 0x200:5", "1@0x1ff00:2", "1B 3H", NULL, NULL },
	{ "gap note", { ENTS(1, 2), NOTE(100, "97"), ENT(101), HEAD },
	  0, 1, 102,
	  "1 2 +97 100 101 | 0x400:102", "4@0x400:102", "1H", NULL, NULL },
	{ "gap note behind a WRAP", { AT(END2), ENTS(1, 2), WRAP(100),
	  NOTE(100, "97"), ENT(101), HEAD }, END2, 1, 102,
	  "1 2 +97 W 100 101 | 0x200:102", "4@0x200:102", "1H", NULL, NULL },
	{ "gap note with a leading zero", { ENTS(1, 2), NOTE(100, "097"),
	  ENT(101), HEAD }, 0, 1, 102,
	  "1 2 !97 100 101 | 0x400:102", "2@0x200:3", "1B 2B 100H", NULL, NULL },
	{ "gap note with a sign", { ENTS(1, 2), NOTE(100, "+97"),
	  ENT(101), HEAD }, 0, 1, 102,
	  "1 2 !97 100 101 | 0x400:102", "2@0x200:3", "1B 2B 100H", NULL, NULL },
	{ "gap note of the wrong size", { ENTS(1, 2), NOTE(100, "96"),
	  ENT(101), HEAD }, 0, 1, 102,
	  "1 2 !97 100 101 | 0x400:102", "2@0x200:3", "1B 2B 100H", NULL, NULL },
	{ "gap note past the head's numbering", { ENTS(1, 2),
	  NOTE(100, "97"), ENT(101), HEAD }, 0, 1, 100,
	  "1 2 ? | 0x200:3", "2@0x200:3", "1B 2B", NULL, NULL },
	{ "damage, then a gap note", { ENTS(1, 3), NOTE(100, "96"),
	  ENT(101), HEAD, FLIP(2, 8) }, 0, 1, 102,
	  "1 2 !1 +96 100 101 | 0x500:102", "2@0x200:3", "1B 2B 100H", NULL, NULL },
	{ "a higher seq without a note", { ENTS(1, 2), ENTS(5, 2), HEAD },
	  0, 1, 7,
	  "1 2 !2 5 6 | 0x400:7", "2@0x200:3", "1B 2B 5H", NULL, NULL },
	{ "WRAP with a higher seq, no note at 0", { AT(END2), ENTS(1, 2),
	  WRAP(100), ENTS(100, 2), HEAD }, END2, 1, 102,
	  "1 2 !97 W 100 101 | 0x200:102", "2@0x1ff00:3", "1B 2B 100H", NULL, NULL },
	{ "WRAP at offset 0", { WRAP(1), AT(0x40), ENTS(1, 2), HEAD },
	  0, 1, 3,
	  "!1 2 | 0x240:3", "0@0x0:1", "1H", NULL, NULL },
	{ "forged record inside a payload", { ENTS(1, 2), FORGE(3, 4),
	  ENTS(4, 2), HEAD, FLIP(2, 8) }, 0, 1, 6,
	  "1 2 !1 4 5 | 0x640:6", "2@0x200:3", "1B 2B 4H", NULL,
	  "1B 2B 4fB 4H" },
	{ "damage twice within the reach, head unknown", { ENTS(1, 8),
	  FLIP(2, 8), FLIP(4, 8) }, 0, 1, 9,
	  "1 2 !1 4 !1 6 7 8 | 0x800:9", "2@0x200:3", "1B 2B 4B 6B 7B 8B",
	  "1 2 ? | 0x200:3", NULL },
	{ "record reaching past the end", { AT(END2), ENTS(1, 3),
	  ENTS(4, 2), HEAD, LEN(2, 0x200) }, END2, 1, 6,
	  "1 2 !1 4 5 | 0x200:6", "2@0x1ff00:3", "1B 2B 4H", NULL, NULL },
	{ "record longer than the reach", { ENTS(1, 2), BIG(3, 66000),
	  ENT(4), HEAD }, 0, 1, 5,
	  "1 2 !1 4 | 0x10510:5", "2@0x200:3", "1B 2B 4H", NULL, NULL },
	{ "records numbered past seq_end", { ENTS(1, 4) }, 0, 1, 3,
	  "1 2 3 4 | 0x400:5", "4@0x400:5", "1X 2X", NULL, NULL },
	{ "a chain longer than the reach", { BIGS(1, 10, 8000) }, 0, 1, 11,
	  "1 2 3 4 5 6 7 8 9 10 | 0x13b00:11", "10@0x13b00:11", "1P", NULL, NULL },
};

static uint8_t data[CAP];
static uint8_t payload[CAP];
static uint32_t seed;		/* the row's ring: keyed, or 0 */

static void put(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends to the string in buf[0, len). */
static void
put(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* Writes an entry numbered seq at off; returns its padded size. */
static uint64_t
put_entry(uint64_t off, uint64_t seq, uint64_t msg_len, uint16_t flags,
    const char *tag, const uint8_t *fields, size_t fields_len)
{
	struct mml_rec_hdr h;

	ck_assert_uint_le(mml_disk_rec_size(0, tag ? strlen(tag) : 0, msg_len,
	    fields_len), CAP - off);
	memset(&h, 0, sizeof(h));
	h.priority = 6;
	h.flags = flags;
	h.tag_len = (uint16_t)(tag ? strlen(tag) : 0);
	h.msg_len = (uint32_t)msg_len;
	h.fields_len = (uint32_t)fields_len;
	h.seq = seq;
	h.realtime_usec = seq;
	h.type = MML_REC_ENTRY;
	memset(payload, 0xa5, msg_len);
	return mml_disk_rec_write(data + off, &h, NULL, tag, payload, fields,
	    seed);
}

/*
 * The writer's note of a jump (FORMAT.md, Writing, rule 4) with the
 * digits given, padded to 0x100 bytes.
 */
static uint64_t
put_note(uint64_t off, uint64_t seq, const char *digits)
{
	uint8_t fields[64];
	size_t flen = 0;

	ck_assert_int_eq(mml_fields_append(fields, sizeof(fields), &flen,
	    "MMLOG_SEQ_GAP", 13, digits, strlen(digits)), 0);
	return put_entry(off, seq, 0x100 - MML_REC_HDR - 6 - flen,
	    MML_REC_F_DAEMON, "mmlogd", fields, flen);
}

/*
 * An entry numbered seq whose 512-byte message a client shaped: a
 * record numbered fake, CRC and all, 64 bytes into it.
 */
static uint64_t
put_forge(uint64_t off, uint64_t seq, uint64_t fake)
{
	static const char text[] = "Accepted password for root";
	struct mml_rec_hdr h, f;
	uint8_t msg[512];

	memset(msg, 0xa5, sizeof(msg));
	memset(&f, 0, sizeof(f));
	f.type = MML_REC_ENTRY;
	f.priority = 6;
	f.comm_len = 4;
	f.tag_len = 4;
	f.msg_len = sizeof(text) - 1;
	f.seq = fake;
	f.realtime_usec = FORGED_USEC;
	/* The client does not know the key: its CRC is unkeyed. */
	(void)mml_disk_rec_write(msg + 64, &f, "sshd", "sshd", text, NULL, 0);
	memset(&h, 0, sizeof(h));
	h.type = MML_REC_ENTRY;
	h.priority = 6;
	h.msg_len = sizeof(msg);
	h.seq = seq;
	h.realtime_usec = seq;
	return mml_disk_rec_write(data + off, &h, NULL, NULL, msg, NULL, seed);
}

/* Builds the row's ring in data; returns the head's offset, if marked. */
static uint64_t
build(const struct walk_case *c)
{
	uint64_t recs[MAX_RECS], off = 0, head = MML_WALK_NOWHERE, size, i;
	uint32_t len;
	size_t n = 0;
	const struct op *o;

	memset(data, 0, sizeof(data));
	for (o = c->ops; o->k != OP_END; o++) {
		size = 0;
		switch (o->k) {
		case OP_ENT:
			size = put_entry(off, o->a, o->b, 0, NULL, NULL, 0);
			break;
		case OP_ENTS:
			for (i = 0; i < o->b; i++) {
				ck_assert_uint_lt(n, MAX_RECS);
				recs[n++] = off;
				size = put_entry(off, o->a + i, o->c, 0, NULL,
				    NULL, 0);
				off = mml_disk_next_off(CAP, off, size);
			}
			continue;
		case OP_FILL:
			size = put_entry(off, o->a, o->b - off - MML_REC_HDR, 0,
			    NULL, NULL, 0);
			break;
		case OP_WRAP:
			recs[n++] = off;
			mml_disk_wrap_write(data + off, o->a, o->a, seed);
			off = 0;
			continue;
		case OP_NOTE:
			size = put_note(off, o->a, o->s);
			break;
		case OP_FORGE:
			size = put_forge(off, o->a, o->b);
			break;
		case OP_HEAD:
			head = off;
			continue;
		case OP_AT:
			off = o->a;
			continue;
		case OP_FLIP:
			ck_assert_uint_lt(o->a, n);
			data[recs[o->a] + o->b] ^= 0x40;
			continue;
		case OP_LEN:
			ck_assert_uint_lt(o->a, n);
			len = (uint32_t)o->b;
			memcpy(data + recs[o->a] + 4, &len, 4);
			continue;
		case OP_END:
			break;
		}
		ck_assert_uint_lt(n, MAX_RECS);
		recs[n++] = off;
		off = mml_disk_next_off(CAP, off, size);
	}
	return head;
}

static const char *
forged(const struct mml_rec *rec)
{
	return rec->hdr.realtime_usec == FORGED_USEC ? "f" : "";
}

/* mml_walk_next() and, where the chain breaks, mml_walk_resync(). */
static void
trace(const struct mml_walk *w, struct mml_walk_pos pos, char *buf,
    size_t len)
{
	struct mml_walk_found f;
	struct mml_walk_pos was;
	struct mml_rec rec;
	enum mml_walk_step k;
	int steps;

	buf[0] = '\0';
	for (steps = 0; steps < 64; steps++) {
		was = pos;
		k = mml_walk_next(w, &pos, &rec);
		if (k == MML_WALK_JUMP)
			put(buf, len, "+%llu ",
			    (unsigned long long)(rec.hdr.seq - was.seq));
		if (k != MML_WALK_BREAK && rec.hdr.type == MML_REC_WRAP)
			put(buf, len, "W ");
		else if (k != MML_WALK_BREAK)
			put(buf, len, "%llu%s ", (unsigned long long)rec.hdr.seq,
			    forged(&rec));
		if (k != MML_WALK_BREAK)
			continue;
		if (pos.seq >= w->seq_end)
			break;
		switch (mml_walk_resync(w, &pos, &f)) {
		case MML_WALK_RS_NONE:
			put(buf, len, "? ");
			steps = 64;
			continue;
		case MML_WALK_RS_JUMP:
			put(buf, len, "+%llu ", (unsigned long long)f.jump);
			break;
		case MML_WALK_RS_DAMAGE:
			put(buf, len, "!%llu ", (unsigned long long)f.lost);
			break;
		}
		pos = f.at;
	}
	put(buf, len, "| 0x%llx:%llu", (unsigned long long)pos.off,
	    (unsigned long long)pos.seq);
}

/* A scan with every entry it finds put to mml_walk_confirm(). */
static void
proof(const struct mml_walk *w, uint64_t off, char *buf, size_t len)
{
	static const char verdict[] = "BPHX";
	struct mml_walk_scan sc;
	struct mml_walk_pos end;
	struct mml_rec rec, far;
	enum mml_walk_proof p;

	buf[0] = '\0';
	mml_walk_scan_init(&sc, w, off, 1, w->seq_end);
	while (mml_walk_scan(w, &sc, &rec)) {
		if (rec.hdr.type != MML_REC_ENTRY)
			continue;
		p = mml_walk_confirm(w, &rec, MML_WALK_REACH, &end, &far);
		put(buf, len, "%s%llu%s%c", buf[0] != '\0' ? " " : "",
		    (unsigned long long)rec.hdr.seq, forged(&rec), verdict[p]);
		if (p == MML_WALK_PROVEN || p == MML_WALK_AT_HEAD)
			break;
	}
}

static void
walk_one(const struct walk_case *c, int keyed)
{
	struct mml_walk w;
	struct mml_walk_pos pos = { c->start_off, c->start_seq };
	const char *want, *how = keyed ? "keyed" : "unkeyed";
	char got[512];
	uint64_t n;

	seed = keyed ? mml_crc32c(0, "0123456789abcdef", 16) : 0;
	mml_walk_init(&w, data, CAP, c->seq_end, build(c), seed);
	trace(&w, pos, got, sizeof(got));
	want = !keyed && c->ltrace != NULL ? c->ltrace : c->trace;
	ck_assert_msg(strcmp(got, want) == 0, "%s, %s: trace \"%s\", want "
	    "\"%s\"", c->name, how, got, want);
	n = mml_walk_follow(&w, &pos);
	got[0] = '\0';
	put(got, sizeof(got), "%llu@0x%llx:%llu", (unsigned long long)n,
	    (unsigned long long)pos.off, (unsigned long long)pos.seq);
	ck_assert_msg(strcmp(got, c->follow) == 0, "%s, %s: follow \"%s\", "
	    "want \"%s\"", c->name, how, got, c->follow);
	proof(&w, c->start_off, got, sizeof(got));
	want = !keyed && c->lproof != NULL ? c->lproof : c->proof;
	ck_assert_msg(strcmp(got, want) == 0, "%s, %s: proof \"%s\", want "
	    "\"%s\"", c->name, how, got, want);
}

START_TEST(test_walk)
{
	walk_one(&walk_cases[_i], 1);
}
END_TEST

START_TEST(test_walk_legacy)
{
	walk_one(&walk_cases[_i], 0);
}
END_TEST

/* The writer's note of a jump, and what is not one (mml_walk_gap_note()). */
struct note_case {
	const char *digits;	/* MMLOG_SEQ_GAP's value */
	uint16_t flags;
	const char *tag;
	int ok;			/* a note */
	uint64_t n;		/* ... of this jump */
};

static const struct note_case note_cases[] = {
	{ "97", MML_REC_F_DAEMON, "mmlogd", 1, 97 },
	{ "1", MML_REC_F_DAEMON, "mmlogd", 1, 1 },
	{ "1234567890123456789", MML_REC_F_DAEMON, "mmlogd", 1,
	  1234567890123456789ULL },
	/* 20 digits, as "%llu" prints UINT64_MAX. */
	{ "18446744073709551615", MML_REC_F_DAEMON, "mmlogd", 1, UINT64_MAX },
	{ "18446744073709551616", MML_REC_F_DAEMON, "mmlogd", 0, 0 },
	{ "99999999999999999999", MML_REC_F_DAEMON, "mmlogd", 0, 0 },
	{ "100000000000000000000", MML_REC_F_DAEMON, "mmlogd", 0, 0 },
	/* The writer never prints a leading zero, a sign or a space. */
	{ "097", MML_REC_F_DAEMON, "mmlogd", 0, 0 },
	{ "0", MML_REC_F_DAEMON, "mmlogd", 0, 0 },
	{ "00000000000000000097", MML_REC_F_DAEMON, "mmlogd", 0, 0 },
	{ "+97", MML_REC_F_DAEMON, "mmlogd", 0, 0 },
	{ "-97", MML_REC_F_DAEMON, "mmlogd", 0, 0 },
	{ " 97", MML_REC_F_DAEMON, "mmlogd", 0, 0 },
	{ "97 ", MML_REC_F_DAEMON, "mmlogd", 0, 0 },
	{ "9a", MML_REC_F_DAEMON, "mmlogd", 0, 0 },
	{ "", MML_REC_F_DAEMON, "mmlogd", 0, 0 },
	/* Only the writer's own entry is its note. */
	{ "97", 0, "mmlogd", 0, 0 },
	{ "97", MML_REC_F_DAEMON, "mmlogD", 0, 0 },
	{ "97", MML_REC_F_DAEMON, "mml", 0, 0 },
};

static void
note_one(const struct note_case *c)
{
	struct mml_walk w;
	struct mml_rec rec;
	uint8_t fields[64];
	size_t flen = 0;
	uint64_t n = 0;

	memset(data, 0, sizeof(data));
	ck_assert_int_eq(mml_fields_append(fields, sizeof(fields), &flen,
	    "MMLOG_SEQ_GAP", 13, c->digits, strlen(c->digits)), 0);
	(void)put_entry(0, 100, 16, c->flags, c->tag, fields, flen);
	mml_walk_init(&w, data, CAP, UINT64_MAX, MML_WALK_NOWHERE, seed);
	ck_assert_int_eq(mml_walk_check(&w, 0, 100, 1, &rec, NULL), 0);
	ck_assert_msg(mml_walk_gap_note(&rec, &n) == c->ok, "\"%s\": %s",
	    c->digits, c->ok ? "not taken" : "taken");
	if (c->ok)
		ck_assert_uint_eq(n, c->n);
}

START_TEST(test_note)
{
	note_one(&note_cases[_i]);
}
END_TEST

/* The step over damage, and how far a scan goes. */
START_TEST(test_steps)
{
	uint64_t last = CAP - MML_REC_HDR, starts = last / MML_DISK_ALIGN + 1;
	struct mml_walk w;
	struct mml_walk_scan sc;

	ck_assert_uint_eq(mml_walk_skip(CAP, 0), 8);
	ck_assert_uint_eq(mml_walk_skip(CAP, last - 8), last);
	ck_assert_uint_eq(mml_walk_skip(CAP, last), 0);
	ck_assert_uint_eq(mml_walk_span(CAP, 0, 0), starts);
	ck_assert_uint_eq(mml_walk_span(CAP, 64, 64), starts);
	ck_assert_uint_eq(mml_walk_span(CAP, 0, 64), 8);
	ck_assert_uint_eq(mml_walk_span(CAP, last, 0), 1);
	ck_assert_uint_eq(mml_walk_span(CAP, last, 8), 2);
	ck_assert_uint_eq(mml_walk_span(CAP, 64, 0), starts - 8);
	/* A scan starts at a record start, and ends at the head if known. */
	mml_walk_init(&w, data, CAP, 10, MML_WALK_NOWHERE, 0);
	mml_walk_scan_init(&sc, &w, 13, 1, 10);
	ck_assert_uint_eq(sc.off, 8);
	ck_assert_uint_eq(sc.left, starts);
	mml_walk_scan_init(&sc, &w, CAP - 8, 1, 10);
	ck_assert_uint_eq(sc.off, 0);
	mml_walk_init(&w, data, CAP, 10, 0x100, 0);
	mml_walk_scan_init(&sc, &w, 0x80, 1, 10);
	ck_assert_uint_eq(sc.left, 0x10);
}
END_TEST

Suite *
walk_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("walk");
	tc = tcase_create("chains");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_walk, 0,
	    sizeof(walk_cases) / sizeof(walk_cases[0]));
	tcase_add_loop_test(tc, test_walk_legacy, 0,
	    sizeof(walk_cases) / sizeof(walk_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("gap notes");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_note, 0,
	    sizeof(note_cases) / sizeof(note_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("steps");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_steps);
	suite_add_tcase(s, tc);
	return s;
}
