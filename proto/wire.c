/*
 * wire.c: decoding and encoding of protocol frames (proto/PROTOCOL.md).
 *
 * The decoder is the daemon's first line of defence: every length is
 * compared with what remains of the packet, never added to an offset
 * first, so no field can make it read outside the buffer.
 */
#include <errno.h>
#include <string.h>

#include "wire.h"

static int entries_check(struct mml_frame *, enum mml_wire_reason *);
static int body_check(struct mml_frame *, int, enum mml_wire_reason *);

static const char *const reason_str[MML_WIRE_REASON_MAX] = {
	[MML_WIRE_OK] = "ok",
	[MML_WIRE_E_SHORT] = "frame shorter than its header",
	[MML_WIRE_E_MAGIC] = "bad magic (not an mmlog frame)",
	[MML_WIRE_E_VERSION] = "unsupported protocol version",
	[MML_WIRE_E_LENGTH] = "length field does not match bytes received",
	[MML_WIRE_E_TOOBIG] = "frame larger than the protocol maximum",
	[MML_WIRE_E_TYPE] = "unknown or unexpected frame type",
	[MML_WIRE_E_FLAGS] = "unknown flag bits set",
	[MML_WIRE_E_RESERVED] = "reserved field not zero",
	[MML_WIRE_E_BODY] = "body size wrong for the frame type",
	[MML_WIRE_E_NOENTRIES] = "entries frame without an entry",
	[MML_WIRE_E_ENTRY_LEN] = "entry lengths do not add up",
	[MML_WIRE_E_PRIORITY] = "priority out of range 0-7",
	[MML_WIRE_E_TAG] = "tag too long",
	[MML_WIRE_E_FIELD] = "malformed field or invalid field name",
	[MML_WIRE_E_ENTRY_SIZE] = "entry larger than the daemon's --max-entry",
	[MML_WIRE_E_TEXT] = "error text longer than the frame",
	[MML_WIRE_E_FIELD_COUNT] = "more fields than --max-fields allows",
	[MML_WIRE_E_SUPPRESSED] = ("entries suppressed, not stored (rate "
	    "limit or the uid's share of the ring)"),
};

const char *
mml_wire_reason_str(enum mml_wire_reason reason)
{
	if ((unsigned)reason >= MML_WIRE_REASON_MAX)
		return "unknown reason";
	return reason_str[reason];
}

/*
 * journald's rules for field names, minus the leading underscore, which
 * marks fields only the daemon may set; and minus the names that have
 * dedicated slots in an entry.  SYSLOG_PID is one of those: the entry's
 * pid is the kernel's (SO_PEERCRED), and a second, client-chosen pid
 * beside it is only good for impersonating another process.
 */
int
mml_field_key_valid(const uint8_t *key, size_t len)
{
	size_t i;

	if (len == 0 || len > MML_FIELD_KEY_MAX)
		return 0;
	if (key[0] == '_' || (key[0] >= '0' && key[0] <= '9'))
		return 0;
	for (i = 0; i < len; i++) {
		if (!((key[i] >= 'A' && key[i] <= 'Z') ||
		    (key[i] >= '0' && key[i] <= '9') || key[i] == '_'))
			return 0;
	}
	if ((len == 7 && memcmp(key, "MESSAGE", 7) == 0) ||
	    (len == 8 && memcmp(key, "PRIORITY", 8) == 0) ||
	    (len == 17 && memcmp(key, "SYSLOG_IDENTIFIER", 17) == 0) ||
	    (len == 10 && memcmp(key, "SYSLOG_PID", 10) == 0))
		return 0;
	return 1;
}

int
mml_fields_next(const uint8_t *fields, size_t fields_len, size_t *off,
    const uint8_t **ret_item, size_t *ret_len, size_t *ret_key_len)
{
	const uint8_t *item, *eq;
	uint32_t item_len;
	size_t left;

	if (*off >= fields_len)
		return 0;
	left = fields_len - *off;
	if (left < 4)
		return -EBADMSG;
	memcpy(&item_len, fields + *off, 4);
	left -= 4;
	if (item_len > left)
		return -EBADMSG;
	item = fields + *off + 4;
	eq = memchr(item, '=', item_len);
	if (eq == NULL)
		return -EBADMSG;
	*ret_item = item;
	*ret_len = item_len;
	*ret_key_len = (size_t)(eq - item);
	*off += 4 + (size_t)item_len;
	return 1;
}

/* Returns the number of items, or -EBADMSG. */
static long
fields_check(const uint8_t *fields, size_t len)
{
	const uint8_t *item;
	size_t off = 0, item_len, key_len;
	long n = 0;
	int r;

	while ((r = mml_fields_next(fields, len, &off, &item, &item_len,
	    &key_len)) > 0) {
		if (!mml_field_key_valid(item, key_len))
			return -EBADMSG;
		n++;
	}
	return r < 0 ? r : n;
}

static int
entries_check(struct mml_frame *f, enum mml_wire_reason *why)
{
	struct mml_entries_hdr eh;
	struct mml_entry_hdr h;
	const uint8_t *p;
	size_t left, payload;
	long n_fields;

	if (f->body_len < sizeof(eh)) {
		*why = MML_WIRE_E_BODY;
		return -EBADMSG;
	}
	memcpy(&eh, f->body, sizeof(eh));
	if (eh.reserved != 0) {
		*why = MML_WIRE_E_RESERVED;
		return -EBADMSG;
	}
	f->dropped = eh.dropped;
	p = f->body + sizeof(eh);
	left = f->body_len - sizeof(eh);
	if (left == 0) {
		*why = MML_WIRE_E_NOENTRIES;
		return -EBADMSG;
	}
	while (left > 0) {
		if (left < sizeof(h)) {
			*why = MML_WIRE_E_ENTRY_LEN;
			return -EBADMSG;
		}
		memcpy(&h, p, sizeof(h));
		/* Compare each part with what remains; never add lengths. */
		if (h.len < sizeof(h) || h.len > left) {
			*why = MML_WIRE_E_ENTRY_LEN;
			return -EBADMSG;
		}
		payload = h.len - sizeof(h);
		if (h.tag_len > payload || h.msg_len > payload - h.tag_len ||
		    h.fields_len != payload - h.tag_len - h.msg_len) {
			*why = MML_WIRE_E_ENTRY_LEN;
			return -EBADMSG;
		}
		if (h.reserved != 0) {
			*why = MML_WIRE_E_RESERVED;
			return -EBADMSG;
		}
		if (h.priority > 7) {
			*why = MML_WIRE_E_PRIORITY;
			return -EBADMSG;
		}
		if (h.tag_len > MML_TAG_MAX) {
			*why = MML_WIRE_E_TAG;
			return -EBADMSG;
		}
		n_fields = fields_check(p + sizeof(h) + h.tag_len + h.msg_len,
		    h.fields_len);
		if (n_fields < 0) {
			*why = MML_WIRE_E_FIELD;
			return -EBADMSG;
		}
		if (payload > f->max_payload)
			f->max_payload = payload;
		if ((unsigned long)n_fields > f->max_fields)
			f->max_fields = (uint32_t)n_fields;
		f->n_entries++;
		p += h.len;
		left -= h.len;
	}
	return 0;
}

static int
body_check(struct mml_frame *f, int from_client, enum mml_wire_reason *why)
{
	struct mml_error_body eb;
	size_t want = 0;

	switch (f->hdr.type) {
	case MML_FRAME_ENTRIES:
		if (!from_client)
			break;
		return entries_check(f, why);
	case MML_FRAME_SYNC:
	case MML_FRAME_STATS:
	case MML_FRAME_SUBSCRIBE:
	case MML_FRAME_CLEAR:
	case MML_FRAME_ROTATE_ID:
	case MML_FRAME_RESET_COUNTERS:
		if (!from_client)
			break;
		want = 0;
		goto fixed;
	case MML_FRAME_ACK:
	case MML_FRAME_NOTIFY:
		if (from_client)
			break;
		want = 16;
		goto fixed;
	case MML_FRAME_STATS_REPLY:
		if (from_client)
			break;
		return 0;
	case MML_FRAME_ERROR:
		if (from_client)
			break;
		if (f->body_len < sizeof(eb)) {
			*why = MML_WIRE_E_BODY;
			return -EBADMSG;
		}
		memcpy(&eb, f->body, sizeof(eb));
		if (eb.text_len != f->body_len - sizeof(eb)) {
			*why = MML_WIRE_E_TEXT;
			return -EBADMSG;
		}
		return 0;
	default:
		break;
	}
	*why = MML_WIRE_E_TYPE;
	return -EBADMSG;
fixed:
	if (f->body_len != want) {
		*why = MML_WIRE_E_BODY;
		return -EBADMSG;
	}
	return 0;
}

int
mml_wire_decode(const void *buf, size_t len, int from_client,
    struct mml_frame *ret, enum mml_wire_reason *ret_reason)
{
	struct mml_frame f;
	enum mml_wire_reason why = MML_WIRE_OK;
	uint16_t known;
	int r;

	memset(&f, 0, sizeof(f));
	if (len < sizeof(f.hdr)) {
		why = MML_WIRE_E_SHORT;
		r = -EBADMSG;
		goto out;
	}
	memcpy(&f.hdr, buf, sizeof(f.hdr));
	if (f.hdr.magic != MML_WIRE_MAGIC) {
		why = MML_WIRE_E_MAGIC;
		r = -EPROTO;
		goto out;
	}
	if (f.hdr.version != MML_WIRE_VERSION) {
		why = MML_WIRE_E_VERSION;
		r = -EPROTO;
		goto out;
	}
	if (len > MML_FRAME_MAX) {
		why = MML_WIRE_E_TOOBIG;
		r = -EBADMSG;
		goto out;
	}
	if (f.hdr.len != len) {
		why = MML_WIRE_E_LENGTH;
		r = -EBADMSG;
		goto out;
	}
	known = f.hdr.type == MML_FRAME_ENTRIES ? MML_FRAME_F_MASK :
	    f.hdr.type == MML_FRAME_ACK ? MML_FRAME_F_ACK_MASK : 0;
	if ((f.hdr.flags & ~known) != 0) {
		why = MML_WIRE_E_FLAGS;
		r = -EBADMSG;
		goto out;
	}
	f.body = (const uint8_t *)buf + sizeof(f.hdr);
	f.body_len = len - sizeof(f.hdr);
	r = body_check(&f, from_client, &why);
	if (r < 0)
		goto out;
	*ret = f;
out:
	if (ret_reason != NULL)
		*ret_reason = why;
	return r;
}

int
mml_wire_entry_next(const struct mml_frame *f, size_t *off,
    struct mml_entry *ret)
{
	struct mml_entry_hdr h;
	const uint8_t *p;

	if (*off == 0)
		*off = sizeof(struct mml_entries_hdr);
	if (*off >= f->body_len)
		return 0;
	p = f->body + *off;
	memcpy(&h, p, sizeof(h));
	ret->priority = h.priority;
	ret->tag = p + sizeof(h);
	ret->tag_len = h.tag_len;
	ret->msg = ret->tag + h.tag_len;
	ret->msg_len = h.msg_len;
	ret->fields = ret->msg + h.msg_len;
	ret->fields_len = h.fields_len;
	*off += h.len;
	return 1;
}

void
mml_wire_hdr_init(void *buf, uint8_t type, uint16_t flags, uint32_t id)
{
	struct mml_frame_hdr h;

	h.magic = MML_WIRE_MAGIC;
	h.version = MML_WIRE_VERSION;
	h.type = type;
	h.flags = flags;
	h.len = sizeof(h);
	h.id = id;
	memcpy(buf, &h, sizeof(h));
}

void
mml_wire_finish(void *buf, size_t len)
{
	uint32_t l = (uint32_t)len;

	memcpy((uint8_t *)buf + offsetof(struct mml_frame_hdr, len), &l, 4);
}

size_t
mml_wire_entries_init(void *buf, uint16_t flags, uint32_t id,
    uint32_t dropped)
{
	struct mml_entries_hdr eh = { .dropped = dropped, .reserved = 0 };

	mml_wire_hdr_init(buf, MML_FRAME_ENTRIES, flags, id);
	memcpy((uint8_t *)buf + sizeof(struct mml_frame_hdr), &eh, sizeof(eh));
	return sizeof(struct mml_frame_hdr) + sizeof(eh);
}

int
mml_wire_entry_append(void *buf, size_t cap, size_t *len, int priority,
    const void *tag, size_t tag_len, const void *msg, size_t msg_len,
    const void *fields, size_t fields_len)
{
	struct mml_entry_hdr h;
	uint8_t *p;
	size_t need;

	if (priority < 0 || priority > 7 || tag_len > MML_TAG_MAX)
		return -EINVAL;
	if (*len > cap || msg_len > MML_FRAME_MAX ||
	    fields_len > MML_FRAME_MAX)
		return -EMSGSIZE;
	need = sizeof(h) + tag_len + msg_len + fields_len;
	if (need > cap - *len)
		return -EMSGSIZE;
	h.len = (uint32_t)need;
	h.priority = (uint8_t)priority;
	h.reserved = 0;
	h.tag_len = (uint16_t)tag_len;
	h.msg_len = (uint32_t)msg_len;
	h.fields_len = (uint32_t)fields_len;
	p = (uint8_t *)buf + *len;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	if (tag_len)
		memcpy(p, tag, tag_len);
	p += tag_len;
	if (msg_len)
		memcpy(p, msg, msg_len);
	p += msg_len;
	if (fields_len)
		memcpy(p, fields, fields_len);
	*len += need;
	mml_wire_finish(buf, *len);
	return 0;
}

int
mml_fields_append(void *buf, size_t cap, size_t *len, const char *key,
    size_t key_len, const void *value, size_t value_len)
{
	if (!mml_field_key_valid((const uint8_t *)key, key_len))
		return -EINVAL;
	return mml_fields_put(buf, cap, len, key, key_len, value, value_len);
}

int
mml_fields_put(void *buf, size_t cap, size_t *len, const char *key,
    size_t key_len, const void *value, size_t value_len)
{
	uint8_t *p;
	uint32_t item_len;

	if (key_len == 0 || key_len > MML_FIELD_KEY_MAX)
		return -EINVAL;
	if (*len > cap || value_len > MML_FRAME_MAX ||
	    4 + key_len + 1 + value_len > cap - *len)
		return -EMSGSIZE;
	item_len = (uint32_t)(key_len + 1 + value_len);
	p = (uint8_t *)buf + *len;
	memcpy(p, &item_len, 4);
	memcpy(p + 4, key, key_len);
	p[4 + key_len] = '=';
	if (value_len)
		memcpy(p + 5 + key_len, value, value_len);
	*len += 4 + item_len;
	return 0;
}

size_t
mml_wire_error(void *buf, size_t cap, uint32_t id, int error,
    enum mml_wire_reason reason, const char *text)
{
	struct mml_error_body eb;
	size_t tl = strlen(text), hl = sizeof(struct mml_frame_hdr);

	if (cap < hl + sizeof(eb))
		return 0;
	if (tl > cap - hl - sizeof(eb))
		tl = cap - hl - sizeof(eb);
	/* The reply must itself be a frame a client accepts. */
	if (tl > MML_FRAME_MAX - hl - sizeof(eb))
		tl = MML_FRAME_MAX - hl - sizeof(eb);
	if (tl > UINT16_MAX)
		tl = UINT16_MAX;
	mml_wire_hdr_init(buf, MML_FRAME_ERROR, 0, id);
	eb.error = error;
	eb.reason = (uint16_t)reason;
	eb.text_len = (uint16_t)tl;
	memcpy((uint8_t *)buf + hl, &eb, sizeof(eb));
	memcpy((uint8_t *)buf + hl + sizeof(eb), text, tl);
	mml_wire_finish(buf, hl + sizeof(eb) + tl);
	return hl + sizeof(eb) + tl;
}

void
mml_wire_ack(void *buf, uint32_t id, uint16_t flags, uint64_t seq,
    uint64_t next_seq)
{
	struct mml_ack_body b;

	mml_wire_hdr_init(buf, MML_FRAME_ACK, flags, id);
	b.seq = seq;
	b.next_seq = next_seq;
	memcpy((uint8_t *)buf + sizeof(struct mml_frame_hdr), &b, sizeof(b));
	mml_wire_finish(buf, MML_ACK_FRAME_SIZE);
}
