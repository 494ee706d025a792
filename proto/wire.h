/*
 * wire.h: the mmlogd client protocol, one frame per SOCK_SEQPACKET packet.
 *
 * Every multi-byte field is little-endian; the layout of every byte is
 * documented in proto/PROTOCOL.md and pinned down here by static
 * assertions.  This module is pure: it encodes into and decodes from
 * caller-supplied memory and does no I/O, allocation or logging.
 */
#ifndef MML_WIRE_H
#define MML_WIRE_H

#include <stddef.h>
#include <stdint.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "mmlogd's wire and disk formats are little-endian; port the accessors"
#endif

#define MML_WIRE_MAGIC		0x474c4d4dU	/* "MMLG" in file order */
#define MML_WIRE_VERSION	1

/* Largest frame either side sends or accepts, header included. */
/*
 * Where mmlogd listens unless told otherwise (--socket, $MMLOG_SOCKET).
 * mmlog.h repeats it as MMLOG_SOCKET_DEFAULT, for applications, which
 * cannot include this header; check_wire holds the two equal.
 */
#define MML_DEFAULT_SOCKET	"/run/mmlogd/mmlogd.sock"
#define MML_FRAME_MAX		(64 * 1024)

/* Frame types.  Requests have the top bit clear, replies have it set. */
enum mml_frame_type {
	MML_FRAME_ENTRIES	= 0x01,	/* one or more log entries */
	MML_FRAME_SYNC		= 0x02,	/* barrier: ACK once all before is durable */
	MML_FRAME_STATS		= 0x03,	/* ask for the daemon's counters */
	MML_FRAME_SUBSCRIBE	= 0x04,	/* ask for NOTIFY frames as the ring grows */
	/* Control operations: uid 0 or the daemon's uid only. */
	MML_FRAME_CLEAR		= 0x05,	/* empty the ring, keep the numbering */
	MML_FRAME_ROTATE_ID	= 0x06,	/* give the ring a new ring_id */
	MML_FRAME_RESET_COUNTERS = 0x07, /* zero the daemon's live counters */
	MML_FRAME_ACK		= 0x81,	/* durable up to a sequence number */
	MML_FRAME_ERROR		= 0x82,	/* a request was refused, and why */
	MML_FRAME_STATS_REPLY	= 0x83,	/* "key=value\n" lines */
	MML_FRAME_NOTIFY	= 0x84,	/* the ring has new entries */
};

/*
 * Frame flags, each defined for one type; a bit not defined for the
 * frame's type is refused (E_FLAGS).
 */
#define MML_FRAME_F_SYNC	0x0001U	/* ENTRIES: ACK when they are durable */
#define MML_FRAME_F_MASK	0x0001U	/* the flags of ENTRIES */
/*
 * ACK: an entry the request covers was stored cut to the daemon's
 * --max-entry (with MMLOG_ORIGINAL_SIZE), not whole.
 */
#define MML_FRAME_F_TRUNCATED	0x0002U
#define MML_FRAME_F_ACK_MASK	0x0002U	/* the flags of ACK */

/* Fixed frame header, 16 bytes, at offset 0 of every packet. */
struct mml_frame_hdr {
	uint32_t magic;		/* MML_WIRE_MAGIC */
	uint8_t  version;	/* MML_WIRE_VERSION */
	uint8_t  type;		/* enum mml_frame_type */
	uint16_t flags;		/* MML_FRAME_F_*, unknown bits must be 0 */
	uint32_t len;		/* bytes in the packet, this header included */
	uint32_t id;		/* chosen by the requester, echoed in replies */
};
_Static_assert(sizeof(struct mml_frame_hdr) == 16, "frame header size");
_Static_assert(offsetof(struct mml_frame_hdr, magic) == 0, "magic");
_Static_assert(offsetof(struct mml_frame_hdr, version) == 4, "version");
_Static_assert(offsetof(struct mml_frame_hdr, type) == 5, "type");
_Static_assert(offsetof(struct mml_frame_hdr, flags) == 6, "flags");
_Static_assert(offsetof(struct mml_frame_hdr, len) == 8, "len");
_Static_assert(offsetof(struct mml_frame_hdr, id) == 12, "id");

/*
 * The most drops one ENTRIES frame reports: the daemon counts no more
 * per frame (a client cannot fill the log's loss counts with any number
 * it likes), and libmmlogclient sends no more, keeping the rest for its
 * next frames.
 */
#define MML_WIRE_DROPPED_MAX	10000000U

/* ENTRIES body prefix, 8 bytes, followed by one or more entries. */
struct mml_entries_hdr {
	uint32_t dropped;	/* entries the client dropped before this one,
				   at most MML_WIRE_DROPPED_MAX counted */
	uint32_t reserved;	/* 0 */
};
_Static_assert(sizeof(struct mml_entries_hdr) == 8, "entries header size");

/*
 * One entry inside an ENTRIES frame: this 16-byte header, then tag_len
 * bytes of tag, msg_len bytes of message and fields_len bytes of fields.
 * Entries are packed back to back with no padding.
 */
struct mml_entry_hdr {
	uint32_t len;		/* bytes of this entry, header included */
	uint8_t  priority;	/* syslog priority, 0 (emerg) to 7 (debug) */
	uint8_t  reserved;	/* 0 */
	uint16_t tag_len;	/* bytes of tag (SYSLOG_IDENTIFIER) */
	uint32_t msg_len;	/* bytes of message */
	uint32_t fields_len;	/* bytes of the fields block */
};
_Static_assert(sizeof(struct mml_entry_hdr) == 16, "entry header size");
_Static_assert(offsetof(struct mml_entry_hdr, priority) == 4, "priority");
_Static_assert(offsetof(struct mml_entry_hdr, tag_len) == 6, "tag_len");
_Static_assert(offsetof(struct mml_entry_hdr, msg_len) == 8, "msg_len");
_Static_assert(offsetof(struct mml_entry_hdr, fields_len) == 12, "fields");

/*
 * The fields block is a sequence of items, each a uint32_t length then
 * that many bytes of "KEY=VALUE".  The same encoding is stored on disk.
 */
#define MML_FIELD_KEY_MAX	64
#define MML_TAG_MAX		255

/* ACK body. */
struct mml_ack_body {
	uint64_t seq;		/* newest entry the request covers; durable */
	uint64_t next_seq;	/* the next sequence number to be assigned */
};
_Static_assert(sizeof(struct mml_ack_body) == 16, "ack body size");

/* ERROR body, followed by text_len bytes of text (not NUL-terminated). */
struct mml_error_body {
	int32_t  error;		/* positive errno value */
	uint16_t reason;	/* enum mml_wire_reason, or 0 */
	uint16_t text_len;	/* bytes of human-readable text */
};
_Static_assert(sizeof(struct mml_error_body) == 8, "error body size");

/* NOTIFY body. */
struct mml_notify_body {
	uint64_t next_seq;	/* the next sequence number to be assigned */
	uint64_t durable_seq;	/* the newest durable sequence number */
};
_Static_assert(sizeof(struct mml_notify_body) == 16, "notify body size");

/* Why mml_wire_decode() refused a frame; each has its own text. */
enum mml_wire_reason {
	MML_WIRE_OK = 0,
	MML_WIRE_E_SHORT,	/* smaller than the frame header */
	MML_WIRE_E_MAGIC,	/* magic is wrong */
	MML_WIRE_E_VERSION,	/* version is not ours */
	MML_WIRE_E_LENGTH,	/* len field differs from bytes received */
	MML_WIRE_E_TOOBIG,	/* larger than MML_FRAME_MAX */
	MML_WIRE_E_TYPE,	/* unknown or unexpected frame type */
	MML_WIRE_E_FLAGS,	/* unknown flag bits set */
	MML_WIRE_E_RESERVED,	/* a reserved field is not zero */
	MML_WIRE_E_BODY,	/* body size wrong for the frame type */
	MML_WIRE_E_NOENTRIES,	/* ENTRIES frame without an entry */
	MML_WIRE_E_ENTRY_LEN,	/* an entry's lengths do not add up */
	MML_WIRE_E_PRIORITY,	/* priority above 7 */
	MML_WIRE_E_TAG,		/* tag longer than MML_TAG_MAX */
	MML_WIRE_E_FIELD,	/* a field is malformed or its key is invalid */
	MML_WIRE_E_ENTRY_SIZE,	/* entry larger than the daemon's --max-entry */
	MML_WIRE_E_TEXT,	/* ERROR text longer than the body */
	MML_WIRE_E_FIELD_COUNT,	/* more fields than the daemon's --max-fields */
	MML_WIRE_E_SUPPRESSED,	/* entries not stored: rate limit or uid share */
	MML_WIRE_REASON_MAX
};

/* A decoded frame: pointers into the caller's buffer. */
struct mml_frame {
	struct mml_frame_hdr hdr;
	const uint8_t *body;	/* hdr.len - 16 bytes */
	size_t body_len;
	/* ENTRIES only */
	uint32_t dropped;
	uint32_t n_entries;
	size_t max_payload;	/* largest tag+msg+fields of its entries */
	uint32_t max_fields;	/* most fields items in one of its entries */
};

/* One entry, as walked by mml_wire_entry_next(). */
struct mml_entry {
	uint8_t priority;
	const uint8_t *tag;
	size_t tag_len;
	const uint8_t *msg;
	size_t msg_len;
	const uint8_t *fields;
	size_t fields_len;
};

/*
 * Validates the packet buf[0, len) completely: header, body size for its
 * type and, for ENTRIES, every entry and field.  Request types only when
 * from_client is non-zero, reply types only otherwise.  Returns 0 and
 * fills *ret, or -EBADMSG (-EPROTO for magic or version, after which the
 * peer should be disconnected) with *ret_reason saying why.
 */
int mml_wire_decode(const void *buf, size_t len, int from_client,
    struct mml_frame *ret, enum mml_wire_reason *ret_reason);

/*
 * Walks the entries of a decoded ENTRIES frame.  *off starts at 0.
 * Returns 1 and fills *ret while entries remain, 0 at the end.  Only
 * valid on a frame mml_wire_decode() accepted.
 */
int mml_wire_entry_next(const struct mml_frame *f, size_t *off,
    struct mml_entry *ret);

/*
 * Walks a fields block: returns 1 with the item in *ret_item and *ret_len and
 * the '=' position in *ret_key_len, 0 at the end, -EBADMSG on a malformed
 * block.  *off starts at 0.
 */
int mml_fields_next(const uint8_t *fields, size_t fields_len, size_t *off,
    const uint8_t **ret_item, size_t *ret_len, size_t *ret_key_len);

/* Returns 1 if key[0, len) is a valid client field name, else 0. */
int mml_field_key_valid(const uint8_t *key, size_t len);

/* A fixed English text for a reason; never NULL. */
const char *mml_wire_reason_str(enum mml_wire_reason reason);

/*
 * Encoding.  mml_wire_hdr_init() writes a 16-byte header whose len is
 * fixed up by mml_wire_finish().  mml_wire_entry_append() appends one
 * entry to an ENTRIES frame of buf[0, *len) (which must start with the
 * frame and entries headers); returns 0, -EINVAL for a bad priority or
 * tag, -EMSGSIZE if it does not fit in cap.
 */
void mml_wire_hdr_init(void *buf, uint8_t type, uint16_t flags, uint32_t id);
void mml_wire_finish(void *buf, size_t len);
size_t mml_wire_entries_init(void *buf, uint16_t flags, uint32_t id,
    uint32_t dropped);
int mml_wire_entry_append(void *buf, size_t cap, size_t *len, int priority,
    const void *tag, size_t tag_len, const void *msg, size_t msg_len,
    const void *fields, size_t fields_len);
/* Appends one "KEY=VALUE" item to a fields block; same return values. */
int mml_fields_append(void *buf, size_t cap, size_t *len, const char *key,
    size_t key_len, const void *value, size_t value_len);
/*
 * The same without the client's rules for the key (only its length, 1
 * to MML_FIELD_KEY_MAX, is checked): for the daemon's own fields, such
 * as SYSLOG_PID from a syslog header or _LINE_BREAK.
 */
int mml_fields_put(void *buf, size_t cap, size_t *len, const char *key,
    size_t key_len, const void *value, size_t value_len);
/* Encodes an ERROR reply into buf (>= 24 + text_len); returns its size. */
size_t mml_wire_error(void *buf, size_t cap, uint32_t id, int error,
    enum mml_wire_reason reason, const char *text);

/*
 * Encodes an ACK reply (seq durable, next_seq the next to be assigned,
 * flags MML_FRAME_F_TRUNCATED or 0) into buf, which holds
 * MML_ACK_FRAME_SIZE bytes.
 */
#define MML_ACK_FRAME_SIZE 32
_Static_assert(MML_ACK_FRAME_SIZE == sizeof(struct mml_frame_hdr) +
    sizeof(struct mml_ack_body), "ack frame size");
void mml_wire_ack(void *buf, uint32_t id, uint16_t flags, uint64_t seq,
    uint64_t next_seq);

/* CRC32C (Castagnoli), as used by iSCSI and ext4; crc starts at 0. */
uint32_t mml_crc32c(uint32_t crc, const void *buf, size_t len);

#endif /* MML_WIRE_H */
