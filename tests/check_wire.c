/*
 * check_wire.c: the client protocol (proto/wire.c, proto/PROTOCOL.md).
 *
 * Frames built with the encoder must decode to exactly what went in; a
 * table of malformed frames, each a valid frame with one defect, must
 * each be refused with its own reason and errno and leave the caller's
 * frame untouched; and random damage must never make the decoder accept
 * a frame whose entries reach outside the packet.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmlog.h"
#include "util.h"
#include "wire.h"

/* Offsets in the frames the table starts from (see PROTOCOL.md). */
#define OFF_MAGIC		0
#define OFF_VERSION		4
#define OFF_TYPE		5
#define OFF_FLAGS		6
#define OFF_LEN			8
#define OFF_ID			12
#define OFF_EH_DROPPED		16
#define OFF_EH_RESERVED		20
#define OFF_E			24	/* the first entry */
#define OFF_E_LEN		(OFF_E + 0)
#define OFF_E_PRIO		(OFF_E + 4)
#define OFF_E_RESERVED		(OFF_E + 5)
#define OFF_E_TAG_LEN		(OFF_E + 6)
#define OFF_E_MSG_LEN		(OFF_E + 8)
#define OFF_E_FIELDS_LEN	(OFF_E + 12)
#define OFF_ERR_TEXT_LEN	22

/* The default entry: tag "app", message "hello", fields "KEY=v". */
#define DEF_TAG			"app"
#define DEF_MSG			"hello"
#define DEF_FIELDS		"\x05\0\0\0" "KEY=v"
#define DEF_ENTRY_LEN		(16 + 3 + 5 + 9)
#define DEF_FRAME_LEN		(OFF_E + DEF_ENTRY_LEN)

/* A raw fields block from a string literal that may hold NULs. */
#define FIELDS(s)		.fields = (s), .fields_len = sizeof(s) - 1

#define A16			"AAAAAAAAAAAAAAAA"

/* The valid frame a malformed one is made from. */
enum base {
	BASE_ENTRIES,		/* one default entry, or .fields */
	BASE_LONG,		/* tag "app", 300-byte message, no fields */
	BASE_SYNC,
	BASE_STATS,
	BASE_SUBSCRIBE,
	BASE_ACK,
	BASE_NOTIFY,
	BASE_STATS_REPLY,	/* "a=1\n" */
	BASE_ERROR,		/* EINVAL, MML_WIRE_E_TAG, "bad" */
};

struct patch {
	size_t off;
	int width;		/* 1, 2, 4 or 8 bytes; 0 ends the list */
	uint64_t value;		/* stored little-endian */
};

struct bad_frame {
	const char *name;
	enum base base;
	const char *fields;	/* BASE_ENTRIES: raw fields block */
	size_t fields_len;
	struct patch patch[3];
	long size;		/* bytes received: 0 as built, -1 none */
	int fix_len;		/* store the bytes received in hdr.len */
	int from_server;	/* decode with from_client == 0 */
	enum mml_wire_reason reason;
	int err;		/* positive errno */
};

struct key_case {
	const char *key;
	int valid;
};

static size_t frame_base(uint8_t *, size_t, const struct bad_frame *);
static void patch_apply(uint8_t *, const struct patch *);
static void bad_frame_one(const struct bad_frame *);
static void key_one(const struct key_case *);
static uint64_t rnd(uint64_t *);
static uint32_t get32(const uint8_t *);
static uint16_t get16(const uint8_t *);
static uint64_t get64(const uint8_t *);
static size_t gen_entry(unsigned int, uint8_t *, size_t, int *,
    size_t *, size_t *, size_t *);
static void accepted_frame_sane(const uint8_t *, size_t,
    const struct mml_frame *);

static uint8_t fbuf[MML_FRAME_MAX + 256];

static const struct bad_frame bad_frames[] = {
	/* The fixed header, in the order the decoder checks it. */
	{ "empty packet", BASE_ENTRIES, .size = -1,
	    .reason = MML_WIRE_E_SHORT, .err = EBADMSG },
	{ "1 byte", BASE_ENTRIES, .size = 1,
	    .reason = MML_WIRE_E_SHORT, .err = EBADMSG },
	{ "15 bytes", BASE_ENTRIES, .size = 15,
	    .reason = MML_WIRE_E_SHORT, .err = EBADMSG },
	{ "bad magic", BASE_ENTRIES,
	    .patch = { { OFF_MAGIC, 4, 0x474c4d4eU } },
	    .reason = MML_WIRE_E_MAGIC, .err = EPROTO },
	{ "magic in the wrong byte order", BASE_ENTRIES,
	    .patch = { { OFF_MAGIC, 4, 0x4d4d4c47U } },
	    .reason = MML_WIRE_E_MAGIC, .err = EPROTO },
	{ "version 2", BASE_ENTRIES, .patch = { { OFF_VERSION, 1, 2 } },
	    .reason = MML_WIRE_E_VERSION, .err = EPROTO },
	{ "version 0", BASE_ENTRIES, .patch = { { OFF_VERSION, 1, 0 } },
	    .reason = MML_WIRE_E_VERSION, .err = EPROTO },
	{ "version 2 from server", BASE_ACK, .from_server = 1,
	    .patch = { { OFF_VERSION, 1, 2 } },
	    .reason = MML_WIRE_E_VERSION, .err = EPROTO },
	{ "larger than MML_FRAME_MAX", BASE_ENTRIES,
	    .size = MML_FRAME_MAX + 1, .fix_len = 1,
	    .reason = MML_WIRE_E_TOOBIG, .err = EBADMSG },
	{ "larger than MML_FRAME_MAX, len field small", BASE_ENTRIES,
	    .size = MML_FRAME_MAX + 8,
	    .reason = MML_WIRE_E_TOOBIG, .err = EBADMSG },
	{ "len field bigger than received", BASE_ENTRIES,
	    .patch = { { OFF_LEN, 4, DEF_FRAME_LEN + 1 } },
	    .reason = MML_WIRE_E_LENGTH, .err = EBADMSG },
	{ "len field smaller than received", BASE_ENTRIES,
	    .patch = { { OFF_LEN, 4, DEF_FRAME_LEN - 1 } },
	    .reason = MML_WIRE_E_LENGTH, .err = EBADMSG },
	{ "len field 0", BASE_SYNC, .patch = { { OFF_LEN, 4, 0 } },
	    .reason = MML_WIRE_E_LENGTH, .err = EBADMSG },
	{ "len field 0xffffffff", BASE_SYNC,
	    .patch = { { OFF_LEN, 4, 0xffffffffU } },
	    .reason = MML_WIRE_E_LENGTH, .err = EBADMSG },
	{ "packet cut short", BASE_ENTRIES, .size = DEF_FRAME_LEN - 7,
	    .reason = MML_WIRE_E_LENGTH, .err = EBADMSG },
	{ "unknown flag 0x0002 on ENTRIES", BASE_ENTRIES,
	    .patch = { { OFF_FLAGS, 2, 0x0002 } },
	    .reason = MML_WIRE_E_FLAGS, .err = EBADMSG },
	{ "unknown flag 0x8000 with F_SYNC", BASE_ENTRIES,
	    .patch = { { OFF_FLAGS, 2, 0x8001 } },
	    .reason = MML_WIRE_E_FLAGS, .err = EBADMSG },
	{ "F_SYNC on SYNC", BASE_SYNC,
	    .patch = { { OFF_FLAGS, 2, MML_FRAME_F_SYNC } },
	    .reason = MML_WIRE_E_FLAGS, .err = EBADMSG },
	{ "F_SYNC on STATS", BASE_STATS,
	    .patch = { { OFF_FLAGS, 2, MML_FRAME_F_SYNC } },
	    .reason = MML_WIRE_E_FLAGS, .err = EBADMSG },
	{ "F_SYNC on ACK", BASE_ACK, .from_server = 1,
	    .patch = { { OFF_FLAGS, 2, MML_FRAME_F_SYNC } },
	    .reason = MML_WIRE_E_FLAGS, .err = EBADMSG },
	{ "unknown type 0x00", BASE_SYNC, .patch = { { OFF_TYPE, 1, 0 } },
	    .reason = MML_WIRE_E_TYPE, .err = EBADMSG },
	{ "unknown type 0x08", BASE_SYNC, .patch = { { OFF_TYPE, 1, 8 } },
	    .reason = MML_WIRE_E_TYPE, .err = EBADMSG },
	{ "unknown type 0x7f", BASE_SYNC, .patch = { { OFF_TYPE, 1, 0x7f } },
	    .reason = MML_WIRE_E_TYPE, .err = EBADMSG },
	{ "unknown reply type 0x85", BASE_ACK, .from_server = 1,
	    .patch = { { OFF_TYPE, 1, 0x85 } },
	    .reason = MML_WIRE_E_TYPE, .err = EBADMSG },
	{ "ACK from client", BASE_ACK,
	    .reason = MML_WIRE_E_TYPE, .err = EBADMSG },
	{ "NOTIFY from client", BASE_NOTIFY,
	    .reason = MML_WIRE_E_TYPE, .err = EBADMSG },
	{ "STATS_REPLY from client", BASE_STATS_REPLY,
	    .reason = MML_WIRE_E_TYPE, .err = EBADMSG },
	{ "ERROR from client", BASE_ERROR,
	    .reason = MML_WIRE_E_TYPE, .err = EBADMSG },
	{ "ENTRIES from server", BASE_ENTRIES, .from_server = 1,
	    .reason = MML_WIRE_E_TYPE, .err = EBADMSG },
	{ "SYNC from server", BASE_SYNC, .from_server = 1,
	    .reason = MML_WIRE_E_TYPE, .err = EBADMSG },

	/* Fixed-size bodies. */
	{ "SYNC with a body", BASE_SYNC, .size = 20, .fix_len = 1,
	    .reason = MML_WIRE_E_BODY, .err = EBADMSG },
	{ "STATS with a body", BASE_STATS, .size = 17, .fix_len = 1,
	    .reason = MML_WIRE_E_BODY, .err = EBADMSG },
	{ "SUBSCRIBE with a body", BASE_SUBSCRIBE, .size = 24, .fix_len = 1,
	    .reason = MML_WIRE_E_BODY, .err = EBADMSG },
	{ "ACK body 15 bytes", BASE_ACK, .from_server = 1, .size = 31,
	    .fix_len = 1, .reason = MML_WIRE_E_BODY, .err = EBADMSG },
	{ "ACK body 17 bytes", BASE_ACK, .from_server = 1, .size = 33,
	    .fix_len = 1, .reason = MML_WIRE_E_BODY, .err = EBADMSG },
	{ "NOTIFY without body", BASE_NOTIFY, .from_server = 1, .size = 16,
	    .fix_len = 1, .reason = MML_WIRE_E_BODY, .err = EBADMSG },
	{ "ERROR body shorter than 8", BASE_ERROR, .from_server = 1,
	    .size = 23, .fix_len = 1,
	    .reason = MML_WIRE_E_BODY, .err = EBADMSG },
	{ "ERROR text_len bigger than text", BASE_ERROR, .from_server = 1,
	    .patch = { { OFF_ERR_TEXT_LEN, 2, 4 } },
	    .reason = MML_WIRE_E_TEXT, .err = EBADMSG },
	{ "ERROR text_len smaller than text", BASE_ERROR, .from_server = 1,
	    .patch = { { OFF_ERR_TEXT_LEN, 2, 2 } },
	    .reason = MML_WIRE_E_TEXT, .err = EBADMSG },
	{ "ERROR text_len 0xffff", BASE_ERROR, .from_server = 1,
	    .patch = { { OFF_ERR_TEXT_LEN, 2, 0xffff } },
	    .reason = MML_WIRE_E_TEXT, .err = EBADMSG },

	/* The ENTRIES body. */
	{ "ENTRIES body shorter than its header", BASE_ENTRIES, .size = 20,
	    .fix_len = 1, .reason = MML_WIRE_E_BODY, .err = EBADMSG },
	{ "ENTRIES without a body", BASE_ENTRIES, .size = 16, .fix_len = 1,
	    .reason = MML_WIRE_E_BODY, .err = EBADMSG },
	{ "entries header reserved not 0", BASE_ENTRIES,
	    .patch = { { OFF_EH_RESERVED, 4, 1 } },
	    .reason = MML_WIRE_E_RESERVED, .err = EBADMSG },
	{ "ENTRIES with no entry", BASE_ENTRIES, .size = 24, .fix_len = 1,
	    .reason = MML_WIRE_E_NOENTRIES, .err = EBADMSG },
	{ "entry len 15", BASE_ENTRIES, .patch = { { OFF_E_LEN, 4, 15 } },
	    .reason = MML_WIRE_E_ENTRY_LEN, .err = EBADMSG },
	{ "entry len 0", BASE_ENTRIES, .patch = { { OFF_E_LEN, 4, 0 } },
	    .reason = MML_WIRE_E_ENTRY_LEN, .err = EBADMSG },
	{ "entry len beyond the frame", BASE_ENTRIES,
	    .patch = { { OFF_E_LEN, 4, DEF_ENTRY_LEN + 1 } },
	    .reason = MML_WIRE_E_ENTRY_LEN, .err = EBADMSG },
	{ "entry len 0xffffffff", BASE_ENTRIES,
	    .patch = { { OFF_E_LEN, 4, 0xffffffffU } },
	    .reason = MML_WIRE_E_ENTRY_LEN, .err = EBADMSG },
	{ "entry header cut short after the first entry", BASE_ENTRIES,
	    .size = DEF_FRAME_LEN + 6, .fix_len = 1,
	    .reason = MML_WIRE_E_ENTRY_LEN, .err = EBADMSG },
	{ "second entry len 0", BASE_ENTRIES,
	    .size = DEF_FRAME_LEN + 16, .fix_len = 1,
	    .reason = MML_WIRE_E_ENTRY_LEN, .err = EBADMSG },
	{ "tag_len beyond the payload", BASE_ENTRIES,
	    .patch = { { OFF_E_TAG_LEN, 2, 18 } },
	    .reason = MML_WIRE_E_ENTRY_LEN, .err = EBADMSG },
	{ "tag_len + msg_len beyond the payload", BASE_ENTRIES,
	    .patch = { { OFF_E_MSG_LEN, 4, 15 } },
	    .reason = MML_WIRE_E_ENTRY_LEN, .err = EBADMSG },
	{ "msg_len 0xffffffff", BASE_ENTRIES,
	    .patch = { { OFF_E_MSG_LEN, 4, 0xffffffffU } },
	    .reason = MML_WIRE_E_ENTRY_LEN, .err = EBADMSG },
	{ "fields_len one short", BASE_ENTRIES,
	    .patch = { { OFF_E_FIELDS_LEN, 4, 8 } },
	    .reason = MML_WIRE_E_ENTRY_LEN, .err = EBADMSG },
	{ "fields_len one long", BASE_ENTRIES,
	    .patch = { { OFF_E_FIELDS_LEN, 4, 10 } },
	    .reason = MML_WIRE_E_ENTRY_LEN, .err = EBADMSG },
	{ "entry header reserved not 0", BASE_ENTRIES,
	    .patch = { { OFF_E_RESERVED, 1, 1 } },
	    .reason = MML_WIRE_E_RESERVED, .err = EBADMSG },
	{ "priority 8", BASE_ENTRIES, .patch = { { OFF_E_PRIO, 1, 8 } },
	    .reason = MML_WIRE_E_PRIORITY, .err = EBADMSG },
	{ "priority 255", BASE_ENTRIES, .patch = { { OFF_E_PRIO, 1, 255 } },
	    .reason = MML_WIRE_E_PRIORITY, .err = EBADMSG },
	{ "tag of 256 bytes", BASE_LONG,
	    .patch = { { OFF_E_TAG_LEN, 2, 256 },
		{ OFF_E_MSG_LEN, 4, 3 + 300 - 256 } },
	    .reason = MML_WIRE_E_TAG, .err = EBADMSG },

	/* Fields. */
	{ "field without '='", BASE_ENTRIES, FIELDS("\x05\0\0\0" "KEYxv"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },
	{ "empty field item", BASE_ENTRIES, FIELDS("\0\0\0\0"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },
	{ "field key empty", BASE_ENTRIES, FIELDS("\x02\0\0\0" "=v"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },
	{ "field key lowercase", BASE_ENTRIES,
	    FIELDS("\x05\0\0\0" "key=v"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },
	{ "field key with '-'", BASE_ENTRIES, FIELDS("\x05\0\0\0" "K-Y=v"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },
	{ "field key with a NUL", BASE_ENTRIES,
	    FIELDS("\x05\0\0\0" "K\0Y=v"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },
	{ "field key starting with '_'", BASE_ENTRIES,
	    FIELDS("\x06\0\0\0" "_KEY=v"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },
	{ "field key starting with a digit", BASE_ENTRIES,
	    FIELDS("\x05\0\0\0" "1EY=v"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },
	{ "field key of 65 bytes", BASE_ENTRIES,
	    FIELDS("\x43\0\0\0" A16 A16 A16 A16 "A" "=v"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },
	{ "field key MESSAGE", BASE_ENTRIES,
	    FIELDS("\x09\0\0\0" "MESSAGE=x"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },
	{ "field key PRIORITY", BASE_ENTRIES,
	    FIELDS("\x0a\0\0\0" "PRIORITY=1"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },
	{ "field key SYSLOG_IDENTIFIER", BASE_ENTRIES,
	    FIELDS("\x13\0\0\0" "SYSLOG_IDENTIFIER=x"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },
	{ "field item_len one beyond the block", BASE_ENTRIES,
	    FIELDS("\x06\0\0\0" "KEY=v"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },
	{ "field item_len 0xffffffff", BASE_ENTRIES,
	    FIELDS("\xff\xff\xff\xff" "KEY=v"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },
	{ "3 bytes after the last field", BASE_ENTRIES,
	    FIELDS("\x05\0\0\0" "KEY=v" "\0\0\0"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },
	{ "second field bad", BASE_ENTRIES,
	    FIELDS("\x05\0\0\0" "KEY=v" "\x05\0\0\0" "kEY=v"),
	    .reason = MML_WIRE_E_FIELD, .err = EBADMSG },

	/* Two defects: the earlier check in the decoder's order wins. */
	{ "bad magic and bad version", BASE_ENTRIES,
	    .patch = { { OFF_MAGIC, 1, 'X' }, { OFF_VERSION, 1, 9 } },
	    .reason = MML_WIRE_E_MAGIC, .err = EPROTO },
	{ "bad version and bad len", BASE_ENTRIES,
	    .patch = { { OFF_VERSION, 1, 9 }, { OFF_LEN, 4, 1 } },
	    .reason = MML_WIRE_E_VERSION, .err = EPROTO },
	{ "too big and unknown type", BASE_ENTRIES,
	    .patch = { { OFF_TYPE, 1, 0x42 } },
	    .size = MML_FRAME_MAX + 1, .fix_len = 1,
	    .reason = MML_WIRE_E_TOOBIG, .err = EBADMSG },
	{ "bad len and unknown flags", BASE_ENTRIES,
	    .patch = { { OFF_LEN, 4, 1 }, { OFF_FLAGS, 2, 0xffff } },
	    .reason = MML_WIRE_E_LENGTH, .err = EBADMSG },
	{ "unknown flags and unknown type", BASE_SYNC,
	    .patch = { { OFF_FLAGS, 2, 1 }, { OFF_TYPE, 1, 0x42 } },
	    .reason = MML_WIRE_E_FLAGS, .err = EBADMSG },
	{ "entry lengths and reserved", BASE_ENTRIES,
	    .patch = { { OFF_E_MSG_LEN, 4, 6 }, { OFF_E_RESERVED, 1, 1 } },
	    .reason = MML_WIRE_E_ENTRY_LEN, .err = EBADMSG },
	{ "entry reserved and priority 8", BASE_ENTRIES,
	    .patch = { { OFF_E_RESERVED, 1, 1 }, { OFF_E_PRIO, 1, 8 } },
	    .reason = MML_WIRE_E_RESERVED, .err = EBADMSG },
	{ "priority 8 and tag of 256 bytes", BASE_LONG,
	    .patch = { { OFF_E_PRIO, 1, 8 }, { OFF_E_TAG_LEN, 2, 256 },
		{ OFF_E_MSG_LEN, 4, 3 + 300 - 256 } },
	    .reason = MML_WIRE_E_PRIORITY, .err = EBADMSG },
	{ "tag of 256 bytes and bad field", BASE_LONG,
	    .patch = { { OFF_E_TAG_LEN, 2, 256 },
		{ OFF_E_MSG_LEN, 4, 3 + 300 - 256 - 5 },
		{ OFF_E_FIELDS_LEN, 4, 5 } },
	    .reason = MML_WIRE_E_TAG, .err = EBADMSG },
};

static const struct key_case key_cases[] = {
	{ "KEY", 1 },
	{ "A", 1 },
	{ "A_B_C", 1 },
	{ "CODE_LINE2", 1 },
	{ "K_", 1 },
	{ "MESSAGE_ID", 1 },
	{ "MESSAGES", 1 },
	{ "PRIORITY_X", 1 },
	{ "SYSLOG_FACILITY", 1 },
	{ A16 A16 A16 A16, 1 },
	{ "", 0 },
	{ A16 A16 A16 A16 "A", 0 },
	{ "key", 0 },
	{ "Key", 0 },
	{ "_KEY", 0 },
	{ "__REALTIME_TIMESTAMP", 0 },
	{ "0KEY", 0 },
	{ "9", 0 },
	{ "K-Y", 0 },
	{ "K Y", 0 },
	{ "K=Y", 0 },
	{ "K.Y", 0 },
	{ "KÉY", 0 },
	{ "MESSAGE", 0 },
	{ "PRIORITY", 0 },
	{ "SYSLOG_IDENTIFIER", 0 },
	{ "SYSLOG_PID", 0 },
	{ "_PID", 0 },
	{ "_UID", 0 },
	{ "SYSLOG_PIDX", 1 },
	{ "SYSLOG_PI", 1 },
};

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Builds the valid frame a table row starts from; returns its size. */
static size_t
frame_base(uint8_t *buf, size_t cap, const struct bad_frame *t)
{
	static const uint8_t body16[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	char msg[300];
	size_t len;

	switch (t->base) {
	case BASE_ENTRIES:
		len = mml_wire_entries_init(buf, 0, 7, 0);
		ck_assert_int_eq(mml_wire_entry_append(buf, cap, &len, 6,
		    DEF_TAG, 3, DEF_MSG, 5,
		    t->fields ? t->fields : DEF_FIELDS,
		    t->fields ? t->fields_len : 9), 0);
		if (t->fields == NULL)
			ck_assert_uint_eq(len, DEF_FRAME_LEN);
		return len;
	case BASE_LONG:
		memset(msg, 'x', sizeof(msg));
		len = mml_wire_entries_init(buf, 0, 7, 0);
		ck_assert_int_eq(mml_wire_entry_append(buf, cap, &len, 6,
		    DEF_TAG, 3, msg, sizeof(msg), NULL, 0), 0);
		return len;
	case BASE_SYNC:
		mml_wire_hdr_init(buf, MML_FRAME_SYNC, 0, 7);
		return 16;
	case BASE_STATS:
		mml_wire_hdr_init(buf, MML_FRAME_STATS, 0, 7);
		return 16;
	case BASE_SUBSCRIBE:
		mml_wire_hdr_init(buf, MML_FRAME_SUBSCRIBE, 0, 7);
		return 16;
	case BASE_ACK:
	case BASE_NOTIFY:
		mml_wire_hdr_init(buf, t->base == BASE_ACK ? MML_FRAME_ACK :
		    MML_FRAME_NOTIFY, 0, 7);
		memcpy(buf + 16, body16, 16);
		mml_wire_finish(buf, 32);
		return 32;
	case BASE_STATS_REPLY:
		mml_wire_hdr_init(buf, MML_FRAME_STATS_REPLY, 0, 7);
		memcpy(buf + 16, "a=1\n", 4);
		mml_wire_finish(buf, 20);
		return 20;
	case BASE_ERROR:
		return mml_wire_error(buf, cap, 7, EINVAL, MML_WIRE_E_TAG,
		    "bad");
	}
	ck_abort_msg("unknown base %d", (int)t->base);
	return 0;
}

static void
patch_apply(uint8_t *buf, const struct patch *p)
{
	uint8_t v8 = (uint8_t)p->value;
	uint16_t v16 = (uint16_t)p->value;
	uint32_t v32 = (uint32_t)p->value;
	uint64_t v64 = p->value;

	switch (p->width) {
	case 1:
		memcpy(buf + p->off, &v8, 1);
		break;
	case 2:
		memcpy(buf + p->off, &v16, 2);
		break;
	case 4:
		memcpy(buf + p->off, &v32, 4);
		break;
	case 8:
		memcpy(buf + p->off, &v64, 8);
		break;
	default:
		ck_abort_msg("bad patch width %d", p->width);
	}
}

static void
bad_frame_one(const struct bad_frame *t)
{
	struct bad_frame base;
	struct mml_frame f, poison;
	enum mml_wire_reason why = MML_WIRE_REASON_MAX;
	size_t len, i;
	int r;

	/*
	 * The starting frame must be valid, from one side or the other, or
	 * the row proves nothing.
	 */
	base = *t;
	base.fields = NULL;
	base.fields_len = 0;
	len = frame_base(fbuf, sizeof(fbuf), &base);
	r = mml_wire_decode(fbuf, len, !t->from_server, &f, &why);
	if (r < 0)
		r = mml_wire_decode(fbuf, len, t->from_server, &f, &why);
	ck_assert_msg(r == 0, "%s: base frame refused: %s", t->name,
	    mml_wire_reason_str(why));

	memset(fbuf, 0, sizeof(fbuf));
	len = frame_base(fbuf, sizeof(fbuf), t);

	for (i = 0; i < 3 && t->patch[i].width != 0; i++)
		patch_apply(fbuf, &t->patch[i]);
	if (t->size == -1)
		len = 0;
	else if (t->size > 0)
		len = (size_t)t->size;
	ck_assert_uint_le(len, sizeof(fbuf));
	if (t->fix_len)
		mml_wire_finish(fbuf, len);

	memset(&poison, 0xa5, sizeof(poison));
	f = poison;
	why = MML_WIRE_REASON_MAX;
	r = mml_wire_decode(fbuf, len, !t->from_server, &f, &why);
	ck_assert_msg(r == -t->err, "%s: returned %d, want %d", t->name, r,
	    -t->err);
	ck_assert_msg(why == t->reason, "%s: reason %d (%s), want %d (%s)",
	    t->name, (int)why, mml_wire_reason_str(why), (int)t->reason,
	    mml_wire_reason_str(t->reason));
	/* ret is written only on success. */
	ck_assert_msg(memcmp(&f, &poison, sizeof(f)) == 0,
	    "%s: *ret written on failure", t->name);
	/* ret_reason is optional and changes nothing. */
	ck_assert_int_eq(mml_wire_decode(fbuf, len, !t->from_server, &f,
	    NULL), -t->err);
}

/* The public header's default socket is the daemon's. */
START_TEST(test_default_socket)
{
	ck_assert_str_eq(MMLOG_SOCKET_DEFAULT, MML_DEFAULT_SOCKET);
}
END_TEST

/* mml_parse_u64() and mml_parse_size(), one row per case. */
START_TEST(test_parse_numbers)
{
	static const struct {
		const char *in;
		int size;		/* 1: mml_parse_size() */
		int rc;
		uint64_t v;
	} t[] = {
		{ "0", 0, 0, 0 },
		{ "4096", 0, 0, 4096 },
		{ "18446744073709551615", 0, 0, UINT64_MAX },
		{ "18446744073709551616", 0, -ERANGE, 0 },
		{ "99999999999999999999", 0, -ERANGE, 0 },
		{ "", 0, -EINVAL, 0 },
		{ "-1", 0, -EINVAL, 0 },
		{ "+1", 0, -EINVAL, 0 },
		{ " 1", 0, -EINVAL, 0 },
		{ "1 ", 0, -EINVAL, 0 },
		{ "0x10", 0, -EINVAL, 0 },
		{ "12a", 0, -EINVAL, 0 },
		{ "64M", 0, -EINVAL, 0 },
		{ "65536", 1, 0, 65536 },
		{ "64M", 1, 0, (uint64_t)64 << 20 },
		{ "64m", 1, 0, (uint64_t)64 << 20 },
		{ "1GiB", 1, 0, (uint64_t)1 << 30 },
		{ "4kb", 1, 0, 4096 },
		{ "2T", 1, 0, (uint64_t)2 << 40 },
		{ "16777216T", 1, -ERANGE, 0 },
		{ "1X", 1, -EINVAL, 0 },
		{ "1Mx", 1, -EINVAL, 0 },
		{ "M", 1, -EINVAL, 0 },
		{ "", 1, -EINVAL, 0 },
	};
	size_t i;
	uint64_t v;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = 12345;
		rc = t[i].size ? mml_parse_size(t[i].in, &v) :
		    mml_parse_u64(t[i].in, &v);
		ck_assert_msg(rc == t[i].rc, "'%s': rc %d, want %d", t[i].in,
		    rc, t[i].rc);
		ck_assert_msg(v == (rc == 0 ? t[i].v : 12345),
		    "'%s': value %llu", t[i].in, (unsigned long long)v);
	}
	ck_assert_int_eq(mml_parse_range("5", 1, 10, &v), 0);
	ck_assert_int_eq(mml_parse_range("11", 1, 10, &v), -ERANGE);
	ck_assert_int_eq(mml_parse_range("0", 1, 10, &v), -ERANGE);
}
END_TEST

/*
 * mml_put_dec(), one row per case: the digits and their count, nothing
 * written past them, and mml_parse_u64() reads the value back.
 */
START_TEST(test_put_dec)
{
	static const struct {
		uint64_t v;
		const char *want;
	} t[] = {
		{ 0, "0" },
		{ 7, "7" },
		{ 9, "9" },
		{ 10, "10" },
		{ 205, "205" },
		{ 1000000, "1000000" },
		{ 999999999, "999999999" },
		{ UINT32_MAX, "4294967295" },
		{ (uint64_t)UINT32_MAX + 1, "4294967296" },
		{ 9999999999999999999u, "9999999999999999999" },
		{ 10000000000000000000u, "10000000000000000000" },
		{ UINT64_MAX, "18446744073709551615" },
	};
	char buf[MML_DEC_MAX + 4], text[MML_DEC_MAX + 1];
	size_t i, n, want_len;
	uint64_t back;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		want_len = strlen(t[i].want);
		memset(buf, 'x', sizeof(buf));
		n = mml_put_dec(buf, t[i].v);
		ck_assert_msg(n == want_len && memcmp(buf, t[i].want, n) == 0,
		    "%s: wrote '%.*s'", t[i].want, (int)n, buf);
		ck_assert_msg(buf[n] == 'x', "%s: a byte past the digits",
		    t[i].want);
		memcpy(text, buf, n);
		text[n] = '\0';
		ck_assert_int_eq(mml_parse_u64(text, &back), 0);
		ck_assert_msg(back == t[i].v, "%s: read back %llu", t[i].want,
		    (unsigned long long)back);
	}
}
END_TEST

START_TEST(test_bad_frame)
{
	bad_frame_one(&bad_frames[_i]);
}
END_TEST

static void
key_one(const struct key_case *k)
{
	size_t len = strlen(k->key);
	uint8_t buf[128];
	size_t blen = 0;

	ck_assert_msg(mml_field_key_valid((const uint8_t *)k->key, len) ==
	    k->valid, "key \"%s\": want %s", k->key,
	    k->valid ? "valid" : "invalid");
	/* The encoder applies the same rule. */
	ck_assert_int_eq(mml_fields_append(buf, sizeof(buf), &blen, k->key,
	    len, "v", 1), k->valid ? 0 : -EINVAL);
	ck_assert_uint_eq(blen, k->valid ? 4 + len + 2 : 0);
}

START_TEST(test_key_valid)
{
	key_one(&key_cases[_i]);
}
END_TEST

/* The bytes at the offsets PROTOCOL.md gives. */
START_TEST(test_layout)
{
	uint8_t buf[256], fields[64];
	size_t len, flen = 0;

	len = mml_wire_entries_init(buf, MML_FRAME_F_SYNC, 0x11223344U,
	    0xaabbccddU);
	ck_assert_uint_eq(len, 24);
	ck_assert_int_eq(mml_fields_append(fields, sizeof(fields), &flen,
	    "K", 1, "vv", 2), 0);
	ck_assert_uint_eq(flen, 8);
	ck_assert_mem_eq(fields, "\x04\0\0\0" "K=vv", 8);
	ck_assert_int_eq(mml_wire_entry_append(buf, sizeof(buf), &len, 3,
	    "tg", 2, "msg", 3, fields, flen), 0);
	ck_assert_uint_eq(len, 24 + 16 + 2 + 3 + 8);

	ck_assert_mem_eq(buf, "MMLG", 4);
	ck_assert_uint_eq(get32(buf + OFF_MAGIC), MML_WIRE_MAGIC);
	ck_assert_uint_eq(buf[OFF_VERSION], 1);
	ck_assert_uint_eq(buf[OFF_TYPE], 0x01);
	ck_assert_uint_eq(get16(buf + OFF_FLAGS), 0x0001);
	ck_assert_uint_eq(get32(buf + OFF_LEN), len);
	ck_assert_uint_eq(get32(buf + OFF_ID), 0x11223344U);
	ck_assert_uint_eq(get32(buf + OFF_EH_DROPPED), 0xaabbccddU);
	ck_assert_uint_eq(get32(buf + OFF_EH_RESERVED), 0);
	ck_assert_uint_eq(get32(buf + OFF_E_LEN), 16 + 2 + 3 + 8);
	ck_assert_uint_eq(buf[OFF_E_PRIO], 3);
	ck_assert_uint_eq(buf[OFF_E_RESERVED], 0);
	ck_assert_uint_eq(get16(buf + OFF_E_TAG_LEN), 2);
	ck_assert_uint_eq(get32(buf + OFF_E_MSG_LEN), 3);
	ck_assert_uint_eq(get32(buf + OFF_E_FIELDS_LEN), 8);
	ck_assert_mem_eq(buf + OFF_E + 16, "tgmsg" "\x04\0\0\0" "K=vv", 13);

	mml_wire_hdr_init(buf, MML_FRAME_SYNC, 0, 5);
	ck_assert_mem_eq(buf, "MMLG\x01\x02\0\0\x10\0\0\0\x05\0\0\0", 16);
	mml_wire_finish(buf, 0x12345);
	ck_assert_uint_eq(get32(buf + OFF_LEN), 0x12345);
}
END_TEST

/* Every priority; a tag; a message and field values with NULs. */
START_TEST(test_roundtrip_one)
{
	static const uint8_t msg[] = { 'a', 0, 'b', 0, 0xff, '\n', 0 };
	static const uint8_t bin[] = { 0, 1, '=', 0xfe, 0 };
	uint8_t buf[512], fields[128];
	const uint8_t *item;
	size_t len, flen = 0, off, ilen, klen;
	struct mml_frame f;
	struct mml_entry e;
	enum mml_wire_reason why;
	int prio;

	ck_assert_int_eq(mml_fields_append(fields, sizeof(fields), &flen,
	    "KEY", 3, "value", 5), 0);
	ck_assert_int_eq(mml_fields_append(fields, sizeof(fields), &flen,
	    "BIN", 3, bin, sizeof(bin)), 0);
	ck_assert_int_eq(mml_fields_append(fields, sizeof(fields), &flen,
	    "EMPTY", 5, NULL, 0), 0);
	for (prio = 0; prio <= 7; prio++) {
		len = mml_wire_entries_init(buf, 0, (uint32_t)prio, 0);
		ck_assert_int_eq(mml_wire_entry_append(buf, sizeof(buf), &len,
		    prio, "myapp", 5, msg, sizeof(msg), fields, flen), 0);
		ck_assert_int_eq(mml_wire_decode(buf, len, 1, &f, &why), 0);
		ck_assert_int_eq(why, MML_WIRE_OK);
		ck_assert_uint_eq(f.hdr.type, MML_FRAME_ENTRIES);
		ck_assert_uint_eq(f.hdr.flags, 0);
		ck_assert_uint_eq(f.hdr.id, (uint32_t)prio);
		ck_assert_uint_eq(f.hdr.len, len);
		ck_assert_ptr_eq(f.body, buf + 16);
		ck_assert_uint_eq(f.body_len, len - 16);
		ck_assert_uint_eq(f.dropped, 0);
		ck_assert_uint_eq(f.n_entries, 1);
		ck_assert_uint_eq(f.max_payload, 5 + sizeof(msg) + flen);
		ck_assert_uint_eq(f.max_fields, 3);

		off = 0;
		ck_assert_int_eq(mml_wire_entry_next(&f, &off, &e), 1);
		ck_assert_uint_eq(e.priority, (unsigned)prio);
		ck_assert_uint_eq(e.tag_len, 5);
		ck_assert_mem_eq(e.tag, "myapp", 5);
		ck_assert_uint_eq(e.msg_len, sizeof(msg));
		ck_assert_mem_eq(e.msg, msg, sizeof(msg));
		ck_assert_uint_eq(e.fields_len, flen);
		ck_assert_mem_eq(e.fields, fields, flen);
		ck_assert_int_eq(mml_wire_entry_next(&f, &off, &e), 0);

		off = 0;
		ck_assert_int_eq(mml_fields_next(e.fields, e.fields_len, &off,
		    &item, &ilen, &klen), 1);
		ck_assert_uint_eq(klen, 3);
		ck_assert_uint_eq(ilen, 9);
		ck_assert_mem_eq(item, "KEY=value", 9);
		ck_assert_int_eq(mml_fields_next(e.fields, e.fields_len, &off,
		    &item, &ilen, &klen), 1);
		ck_assert_uint_eq(klen, 3);
		ck_assert_uint_eq(ilen, 4 + sizeof(bin));
		ck_assert_mem_eq(item, "BIN=", 4);
		ck_assert_mem_eq(item + 4, bin, sizeof(bin));
		ck_assert_int_eq(mml_fields_next(e.fields, e.fields_len, &off,
		    &item, &ilen, &klen), 1);
		ck_assert_uint_eq(klen, 5);
		ck_assert_uint_eq(ilen, 6);
		ck_assert_mem_eq(item, "EMPTY=", 6);
		ck_assert_int_eq(mml_fields_next(e.fields, e.fields_len, &off,
		    &item, &ilen, &klen), 0);
	}
}
END_TEST

/*
 * Entry number i of the "many" frames: priority, tag, message and fields
 * all derived from i, empty tag, message and fields included.  Returns
 * the payload size.
 */
static size_t
gen_entry(unsigned int i, uint8_t *p, size_t cap, int *ret_prio,
    size_t *ret_tag_len, size_t *ret_msg_len, size_t *ret_fields_len)
{
	size_t tag_len = i % 7 == 0 ? 0 : i % 40;
	size_t msg_len = i % 11 == 0 ? 0 : (i * 37) % 300;
	size_t flen = 0, k;
	char val[16];

	memset(val, 'v', sizeof(val));
	ck_assert_uint_le(tag_len + msg_len + 64, cap);
	for (k = 0; k < tag_len; k++)
		p[k] = (uint8_t)('a' + (i + k) % 26);
	for (k = 0; k < msg_len; k++)
		p[tag_len + k] = (uint8_t)(i * 13 + k);
	if (i % 3 == 0) {
		val[0] = (char)i;
		val[1] = 0;
		ck_assert_int_eq(mml_fields_append(p + tag_len + msg_len,
		    cap - tag_len - msg_len, &flen, "N", 1, val,
		    (size_t)(i % 16)), 0);
	}
	*ret_prio = (int)(i % 8);
	*ret_tag_len = tag_len;
	*ret_msg_len = msg_len;
	*ret_fields_len = flen;
	return tag_len + msg_len + flen;
}

/* As many entries as fit in MML_FRAME_MAX, then one that fills it. */
START_TEST(test_roundtrip_many)
{
	static uint8_t buf[MML_FRAME_MAX];
	uint8_t ent[512];
	size_t len, off, before, tl, ml, fl, payload, max = 0, fill;
	unsigned int n = 0, i;
	struct mml_frame f;
	struct mml_entry e;
	enum mml_wire_reason why;
	int prio, r;

	len = mml_wire_entries_init(buf, MML_FRAME_F_SYNC, 0xdeadbeefU,
	    123456789U);
	for (;;) {
		payload = gen_entry(n, ent, sizeof(ent), &prio, &tl, &ml, &fl);
		before = len;
		r = mml_wire_entry_append(buf, sizeof(buf), &len, prio, ent, tl,
		    ent + tl, ml, ent + tl + ml, fl);
		if (r == -EMSGSIZE) {
			ck_assert_uint_eq(len, before);
			break;
		}
		ck_assert_int_eq(r, 0);
		ck_assert_uint_eq(len, before + 16 + payload);
		if (payload > max)
			max = payload;
		n++;
	}
	ck_assert_uint_gt(n, 200);
	/* Fill the frame to exactly MML_FRAME_MAX with one more entry. */
	ck_assert_uint_ge(sizeof(buf) - len, 16);
	fill = sizeof(buf) - len - 16;
	memset(ent, 'z', sizeof(ent));
	ck_assert_uint_le(fill, sizeof(ent));
	ck_assert_int_eq(mml_wire_entry_append(buf, sizeof(buf), &len, 7,
	    NULL, 0, ent, fill, NULL, 0), 0);
	ck_assert_uint_eq(len, MML_FRAME_MAX);
	if (fill > max)
		max = fill;
	ck_assert_int_eq(mml_wire_entry_append(buf, sizeof(buf), &len, 7,
	    NULL, 0, NULL, 0, NULL, 0), -EMSGSIZE);

	ck_assert_int_eq(mml_wire_decode(buf, len, 1, &f, &why), 0);
	ck_assert_int_eq(why, MML_WIRE_OK);
	ck_assert_uint_eq(f.hdr.flags, MML_FRAME_F_SYNC);
	ck_assert_uint_eq(f.hdr.id, 0xdeadbeefU);
	ck_assert_uint_eq(f.dropped, 123456789U);
	ck_assert_uint_eq(f.n_entries, n + 1);
	ck_assert_uint_eq(f.max_payload, max);

	off = 0;
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(mml_wire_entry_next(&f, &off, &e), 1);
		(void)gen_entry(i, ent, sizeof(ent), &prio, &tl, &ml, &fl);
		ck_assert_uint_eq(e.priority, (unsigned)prio);
		ck_assert_uint_eq(e.tag_len, tl);
		ck_assert_uint_eq(e.msg_len, ml);
		ck_assert_uint_eq(e.fields_len, fl);
		ck_assert_int_eq(memcmp(e.tag, ent, tl), 0);
		ck_assert_int_eq(memcmp(e.msg, ent + tl, ml), 0);
		ck_assert_int_eq(memcmp(e.fields, ent + tl + ml, fl), 0);
	}
	ck_assert_int_eq(mml_wire_entry_next(&f, &off, &e), 1);
	ck_assert_uint_eq(e.priority, 7);
	ck_assert_uint_eq(e.tag_len, 0);
	ck_assert_uint_eq(e.msg_len, fill);
	ck_assert_uint_eq(e.fields_len, 0);
	ck_assert_int_eq(mml_wire_entry_next(&f, &off, &e), 0);
	ck_assert_uint_eq(off, f.body_len);
}
END_TEST

/* The encoders refuse what the decoder would refuse, and change nothing. */
START_TEST(test_encode_errors)
{
	uint8_t buf[128], tag[256];
	size_t len, before;

	memset(tag, 't', sizeof(tag));
	len = mml_wire_entries_init(buf, 0, 1, 0);
	before = len;
	ck_assert_int_eq(mml_wire_entry_append(buf, sizeof(buf), &len, -1,
	    NULL, 0, "m", 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(mml_wire_entry_append(buf, sizeof(buf), &len, 8,
	    NULL, 0, "m", 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(mml_wire_entry_append(buf, sizeof(buf), &len, 6,
	    tag, 256, "m", 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(mml_wire_entry_append(buf, sizeof(buf), &len, 6,
	    NULL, 0, tag, sizeof(buf) - 24 - 16 + 1, NULL, 0), -EMSGSIZE);
	ck_assert_int_eq(mml_wire_entry_append(buf, 10, &len, 6,
	    NULL, 0, NULL, 0, NULL, 0), -EMSGSIZE);
	ck_assert_int_eq(mml_wire_entry_append(buf, sizeof(buf), &len, 6,
	    NULL, 0, tag, (size_t)MML_FRAME_MAX + 1, NULL, 0), -EMSGSIZE);
	ck_assert_uint_eq(len, before);
	ck_assert_uint_eq(get32(buf + OFF_LEN), 16);
	ck_assert_int_eq(mml_wire_entry_append(buf, sizeof(buf), &len, 6,
	    NULL, 0, tag, sizeof(buf) - 24 - 16, NULL, 0), 0);
	ck_assert_uint_eq(len, sizeof(buf));
	ck_assert_uint_eq(get32(buf + OFF_LEN), sizeof(buf));

	/* A 255-byte tag is the longest allowed. */
	{
		static uint8_t big[512];
		struct mml_frame f;

		len = mml_wire_entries_init(big, 0, 1, 0);
		ck_assert_int_eq(mml_wire_entry_append(big, sizeof(big), &len,
		    0, tag, MML_TAG_MAX, NULL, 0, NULL, 0), 0);
		ck_assert_int_eq(mml_wire_decode(big, len, 1, &f, NULL), 0);
	}

	len = 0;
	ck_assert_int_eq(mml_fields_append(buf, sizeof(buf), &len, "bad", 3,
	    "v", 1), -EINVAL);
	ck_assert_int_eq(mml_fields_append(buf, 8, &len, "KEY", 3, "v", 1),
	    -EMSGSIZE);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(mml_fields_append(buf, 9, &len, "KEY", 3, "v", 1),
	    0);
	ck_assert_uint_eq(len, 9);
	ck_assert_int_eq(mml_fields_append(buf, 9, &len, "K", 1, NULL, 0),
	    -EMSGSIZE);
	ck_assert_uint_eq(len, 9);
}
END_TEST

/* mml_fields_next() on its own: the walk and its refusals. */
START_TEST(test_fields_next)
{
	static const uint8_t good[] = "\x03\0\0\0" "A=1" "\x04\0\0\0" "BB=="
	    "\x02\0\0\0" "C=";
	static const struct {
		const char *block;
		size_t len;
	} bad[] = {
		{ "\x01\0\0", 3 },
		{ "\x03\0\0\0" "ABC", 7 },
		{ "\x04\0\0\0" "A=1", 7 },
		{ "\x03\0\0\0" "A=1" "\x01", 8 },
	};
	const uint8_t *item;
	size_t off = 0, ilen, klen, i;

	ck_assert_int_eq(mml_fields_next(good, 0, &off, &item, &ilen, &klen),
	    0);
	ck_assert_int_eq(mml_fields_next(good, sizeof(good) - 1, &off, &item,
	    &ilen, &klen), 1);
	ck_assert_uint_eq(ilen, 3);
	ck_assert_uint_eq(klen, 1);
	ck_assert_ptr_eq(item, good + 4);
	ck_assert_int_eq(mml_fields_next(good, sizeof(good) - 1, &off, &item,
	    &ilen, &klen), 1);
	/* The key ends at the first '='; the value may hold more. */
	ck_assert_uint_eq(ilen, 4);
	ck_assert_uint_eq(klen, 2);
	ck_assert_int_eq(mml_fields_next(good, sizeof(good) - 1, &off, &item,
	    &ilen, &klen), 1);
	ck_assert_uint_eq(ilen, 2);
	ck_assert_uint_eq(klen, 1);
	ck_assert_int_eq(mml_fields_next(good, sizeof(good) - 1, &off, &item,
	    &ilen, &klen), 0);
	ck_assert_uint_eq(off, sizeof(good) - 1);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;

		off = 0;
		while ((r = mml_fields_next((const uint8_t *)bad[i].block,
		    bad[i].len, &off, &item, &ilen, &klen)) > 0)
			;
		ck_assert_msg(r == -EBADMSG, "bad block %zu: %d", i, r);
	}
}
END_TEST

/* Valid frames of every type, each accepted from the right side only. */
START_TEST(test_types_accepted)
{
	static const struct {
		enum base base;
		int from_client;
	} ok[] = {
		{ BASE_SYNC, 1 }, { BASE_STATS, 1 }, { BASE_SUBSCRIBE, 1 },
		{ BASE_ENTRIES, 1 }, { BASE_ACK, 0 }, { BASE_NOTIFY, 0 },
		{ BASE_STATS_REPLY, 0 }, { BASE_ERROR, 0 },
	};
	struct bad_frame t;
	struct mml_frame f;
	enum mml_wire_reason why;
	size_t i, len;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		memset(&t, 0, sizeof(t));
		t.base = ok[i].base;
		len = frame_base(fbuf, sizeof(fbuf), &t);
		ck_assert_int_eq(mml_wire_decode(fbuf, len, ok[i].from_client,
		    &f, &why), 0);
		ck_assert_uint_eq(f.body_len, len - 16);
		ck_assert_int_eq(mml_wire_decode(fbuf, len, !ok[i].from_client,
		    &f, &why), -EBADMSG);
		ck_assert_int_eq(why, MML_WIRE_E_TYPE);
	}
	/* An empty STATS_REPLY is valid. */
	mml_wire_hdr_init(fbuf, MML_FRAME_STATS_REPLY, 0, 1);
	ck_assert_int_eq(mml_wire_decode(fbuf, 16, 0, &f, &why), 0);
	/* ACK body as PROTOCOL.md lays it out. */
	memset(&t, 0, sizeof(t));
	t.base = BASE_ACK;
	len = frame_base(fbuf, sizeof(fbuf), &t);
	ck_assert_int_eq(mml_wire_decode(fbuf, len, 0, &f, &why), 0);
	ck_assert_uint_eq(get64(f.body), 0x0807060504030201ULL);
	ck_assert_uint_eq(get64(f.body + 8), 0x09);
}
END_TEST

START_TEST(test_error_roundtrip)
{
	static const char text[] = "entry larger than 4096 bytes";
	uint8_t buf[256];
	struct mml_error_body eb;
	struct mml_frame f;
	enum mml_wire_reason why;
	size_t n;
	int reason;

	for (reason = 0; reason < MML_WIRE_REASON_MAX; reason++) {
		n = mml_wire_error(buf, sizeof(buf), 0x77, EMSGSIZE,
		    (enum mml_wire_reason)reason, text);
		ck_assert_uint_eq(n, 16 + 8 + strlen(text));
		ck_assert_int_eq(mml_wire_decode(buf, n, 0, &f, &why), 0);
		ck_assert_uint_eq(f.hdr.type, MML_FRAME_ERROR);
		ck_assert_uint_eq(f.hdr.flags, 0);
		ck_assert_uint_eq(f.hdr.id, 0x77);
		ck_assert_uint_eq(f.body_len, 8 + strlen(text));
		memcpy(&eb, f.body, sizeof(eb));
		ck_assert_int_eq(eb.error, EMSGSIZE);
		ck_assert_uint_eq(eb.reason, (unsigned)reason);
		ck_assert_uint_eq(eb.text_len, strlen(text));
		ck_assert_mem_eq(f.body + 8, text, strlen(text));
		/* Layout: error at 16, reason at 20, text_len at 22. */
		ck_assert_uint_eq(get32(buf + 16), EMSGSIZE);
		ck_assert_uint_eq(get16(buf + 20), (unsigned)reason);
		ck_assert_uint_eq(get16(buf + 22), strlen(text));
	}

	/* The text is cut to what fits; the frame stays valid. */
	n = mml_wire_error(buf, 30, 1, EINVAL, MML_WIRE_E_TAG, text);
	ck_assert_uint_eq(n, 30);
	ck_assert_int_eq(mml_wire_decode(buf, n, 0, &f, &why), 0);
	ck_assert_uint_eq(get16(buf + 22), 6);
	ck_assert_mem_eq(buf + 24, text, 6);
	n = mml_wire_error(buf, 24, 1, EINVAL, MML_WIRE_E_TAG, text);
	ck_assert_uint_eq(n, 24);
	ck_assert_int_eq(mml_wire_decode(buf, n, 0, &f, &why), 0);
	ck_assert_uint_eq(get16(buf + 22), 0);
	n = mml_wire_error(buf, 23, 1, EINVAL, MML_WIRE_E_TAG, text);
	ck_assert_uint_eq(n, 0);
	n = mml_wire_error(buf, sizeof(buf), 1, EINVAL, MML_WIRE_E_TAG, "");
	ck_assert_uint_eq(n, 24);
	ck_assert_int_eq(mml_wire_decode(buf, n, 0, &f, &why), 0);
}
END_TEST

/*
 * Regression: mml_wire_error() once cut the text to the buffer and to
 * UINT16_MAX bytes but not to MML_FRAME_MAX, building a 65559-byte ERROR
 * frame that mml_wire_decode() itself refuses (MML_WIRE_E_TOOBIG).
 */
START_TEST(test_error_fits_frame_max)
{
	static uint8_t buf[MML_FRAME_MAX + 1024];
	static char text[70000];
	struct mml_frame f;
	enum mml_wire_reason why = MML_WIRE_OK;
	size_t n;
	int r;

	memset(text, 'e', sizeof(text) - 1);
	n = mml_wire_error(buf, sizeof(buf), 1, EINVAL, MML_WIRE_E_TAG, text);
	ck_assert_uint_le(n, MML_FRAME_MAX);
	r = mml_wire_decode(buf, n, 0, &f, &why);
	ck_assert_msg(r == 0, "own ERROR frame refused: %s",
	    mml_wire_reason_str(why));
}
END_TEST

START_TEST(test_reason_str)
{
	const char *s[MML_WIRE_REASON_MAX];
	int i, j;

	for (i = 0; i < MML_WIRE_REASON_MAX; i++) {
		s[i] = mml_wire_reason_str((enum mml_wire_reason)i);
		ck_assert_ptr_nonnull(s[i]);
		ck_assert_str_ne(s[i], "unknown reason");
		for (j = 0; j < i; j++)
			ck_assert_str_ne(s[i], s[j]);
	}
	ck_assert_str_eq(mml_wire_reason_str(MML_WIRE_REASON_MAX),
	    "unknown reason");
	ck_assert_str_eq(mml_wire_reason_str((enum mml_wire_reason)-1),
	    "unknown reason");
	/* Reason numbers are on the wire: PROTOCOL.md lists them. */
	ck_assert_int_eq(MML_WIRE_OK, 0);
	ck_assert_int_eq(MML_WIRE_E_SHORT, 1);
	ck_assert_int_eq(MML_WIRE_E_MAGIC, 2);
	ck_assert_int_eq(MML_WIRE_E_VERSION, 3);
	ck_assert_int_eq(MML_WIRE_E_LENGTH, 4);
	ck_assert_int_eq(MML_WIRE_E_TOOBIG, 5);
	ck_assert_int_eq(MML_WIRE_E_TYPE, 6);
	ck_assert_int_eq(MML_WIRE_E_FLAGS, 7);
	ck_assert_int_eq(MML_WIRE_E_RESERVED, 8);
	ck_assert_int_eq(MML_WIRE_E_BODY, 9);
	ck_assert_int_eq(MML_WIRE_E_NOENTRIES, 10);
	ck_assert_int_eq(MML_WIRE_E_ENTRY_LEN, 11);
	ck_assert_int_eq(MML_WIRE_E_PRIORITY, 12);
	ck_assert_int_eq(MML_WIRE_E_TAG, 13);
	ck_assert_int_eq(MML_WIRE_E_FIELD, 14);
	ck_assert_int_eq(MML_WIRE_E_ENTRY_SIZE, 15);
	ck_assert_int_eq(MML_WIRE_E_TEXT, 16);
	ck_assert_int_eq(MML_WIRE_E_FIELD_COUNT, 17);
	ck_assert_int_eq(MML_WIRE_E_SUPPRESSED, 18);
	ck_assert_int_eq(MML_WIRE_REASON_MAX, 19);
}
END_TEST

/* What an accepted frame promises the daemon. */
static void
accepted_frame_sane(const uint8_t *buf, size_t len, const struct mml_frame *f)
{
	const uint8_t *item;
	size_t off = 0, foff, ilen, klen, total = 0;
	struct mml_entry e;
	uint32_t n = 0;
	int r;

	ck_assert_uint_eq(f->hdr.len, len);
	ck_assert_uint_le(len, MML_FRAME_MAX);
	if (f->hdr.type != MML_FRAME_ENTRIES)
		return;
	while (mml_wire_entry_next(f, &off, &e) == 1) {
		n++;
		ck_assert_uint_le(e.priority, 7);
		ck_assert_uint_le(e.tag_len, MML_TAG_MAX);
		ck_assert(e.tag >= buf + 24 && e.tag + e.tag_len <= buf + len);
		ck_assert(e.msg == e.tag + e.tag_len);
		ck_assert(e.fields == e.msg + e.msg_len);
		ck_assert(e.fields + e.fields_len <= buf + len);
		ck_assert_uint_le(e.tag_len + e.msg_len + e.fields_len,
		    f->max_payload);
		total += 16 + e.tag_len + e.msg_len + e.fields_len;
		foff = 0;
		while ((r = mml_fields_next(e.fields, e.fields_len, &foff,
		    &item, &ilen, &klen)) > 0)
			ck_assert(mml_field_key_valid(item, klen));
		ck_assert_int_eq(r, 0);
	}
	ck_assert_uint_eq(n, f->n_entries);
	ck_assert_uint_eq(total + 24, len);
}

/*
 * Random damage to valid frames: every result is an accepted frame that
 * keeps its promises, or a refusal with a reason.  Under ASan this also
 * proves the decoder reads nothing outside the packet.
 */
START_TEST(test_random_damage)
{
	static uint8_t orig[4096];
	uint8_t fields[64];
	size_t olen, len, flen, k, nflips;
	struct mml_frame f;
	enum mml_wire_reason why;
	uint64_t s = 0x1234567ULL;
	int i, r, accepted = 0;

	flen = 0;
	ck_assert_int_eq(mml_fields_append(fields, sizeof(fields), &flen,
	    "A", 1, "1", 1), 0);
	ck_assert_int_eq(mml_fields_append(fields, sizeof(fields), &flen,
	    "BB", 2, "x=y", 3), 0);
	olen = mml_wire_entries_init(orig, 0, 1, 3);
	for (k = 0; k < 6; k++)
		ck_assert_int_eq(mml_wire_entry_append(orig, sizeof(orig),
		    &olen, (int)k, "tag", k % 4, "message", k + 1, fields,
		    k % 2 ? flen : 0), 0);

	for (i = 0; i < 200000; i++) {
		uint8_t *buf = malloc(olen + 16);

		ck_assert_ptr_nonnull(buf);
		memcpy(buf, orig, olen);
		len = olen;
		nflips = 1 + rnd(&s) % 3;
		for (k = 0; k < nflips; k++) {
			size_t at = 16 + (size_t)(rnd(&s) % (olen - 16));

			buf[at] = (uint8_t)(rnd(&s) % 4 == 0 ?
			    rnd(&s) : buf[at] ^ (1U << (rnd(&s) % 8)));
		}
		if (rnd(&s) % 4 == 0) {
			/* Cut or grow the packet; usually keep len honest. */
			len = 16 + (size_t)(rnd(&s) % (olen - 16 + 16));
			if (len > olen)
				memset(buf + olen, (int)(rnd(&s) & 0xff),
				    len - olen);
			if (rnd(&s) % 8 != 0)
				mml_wire_finish(buf, len);
		}
		why = MML_WIRE_REASON_MAX;
		r = mml_wire_decode(buf, len, 1, &f, &why);
		if (r == 0) {
			ck_assert_int_eq(why, MML_WIRE_OK);
			accepted_frame_sane(buf, len, &f);
			accepted++;
		} else {
			ck_assert_int_eq(r, -EBADMSG);
			ck_assert_int_gt(why, MML_WIRE_OK);
			ck_assert_int_lt(why, MML_WIRE_REASON_MAX);
		}
		free(buf);
	}
	/* Flips in message bytes are harmless: some must get through. */
	ck_assert_int_gt(accepted, 1000);
}
END_TEST

Suite *
wire_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("wire");

	tc = tcase_create("layout");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_layout);
	suite_add_tcase(s, tc);

	tc = tcase_create("roundtrip");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_roundtrip_one);
	tcase_add_test(tc, test_roundtrip_many);
	suite_add_tcase(s, tc);

	tc = tcase_create("types");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_types_accepted);
	suite_add_tcase(s, tc);

	tc = tcase_create("encode_errors");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_encode_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_bad_frame, 0,
	    (int)(sizeof(bad_frames) / sizeof(bad_frames[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("field_key");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_key_valid, 0,
	    (int)(sizeof(key_cases) / sizeof(key_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("fields_next");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_fields_next);
	suite_add_tcase(s, tc);

	tc = tcase_create("error_reply");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_error_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("error_reply_frame_max");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_error_fits_frame_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("reason_str");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_reason_str);
	suite_add_tcase(s, tc);

	tc = tcase_create("defaults");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_default_socket);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse_numbers");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_parse_numbers);
	suite_add_tcase(s, tc);

	tc = tcase_create("put_dec");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_put_dec);
	suite_add_tcase(s, tc);

	tc = tcase_create("random_damage");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_random_damage);
	suite_add_tcase(s, tc);

	return s;
}
