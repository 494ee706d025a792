/*
 * entry.h: one log entry as every intake hands it to the ring, whatever
 * transport it came by.  The parsers of syslog datagrams, journald's
 * native protocol, stdout streams and the kernel log each fill one; the
 * writer then stamps it with its sequence number, times, the sender's
 * kernel identity and trusted metadata, none of which is here: nothing
 * in an entry is trusted.
 *
 * Pure: tag and message point into the caller's packet or line buffer,
 * fields are appended to a buffer the caller owns, and nothing here
 * allocates, logs or does I/O.
 */
#ifndef MML_ENTRY_H
#define MML_ENTRY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire.h"

/* Field added to an entry cut to --max-entry: its size as sent, bytes. */
#define MML_ENT_ORIG_SIZE_KEY	"MMLOG_ORIGINAL_SIZE"

struct mml_ent {
	int		 priority;	/* 0 (emerg) .. 7 (debug) */
	const uint8_t	*tag;		/* SYSLOG_IDENTIFIER; may be empty */
	size_t		 tag_len;	/* <= MML_TAG_MAX */
	const uint8_t	*msg;		/* MESSAGE, any bytes */
	size_t		 msg_len;
	uint8_t		*fields;	/* a fields block (PROTOCOL.md) */
	size_t		 fields_len;
	size_t		 fields_cap;
	unsigned	 n_fields;	/* items in fields */
	/*
	 * Bytes the sender sent for tag, message and fields, counted as
	 * the wire counts them (4 + KEY=VALUE per field), including what
	 * did not fit; above mml_ent_size() when something was cut.
	 */
	uint64_t	 orig_size;
	int		 cut;		/* something did not fit and was cut */
};

/*
 * Starts an empty entry (priority 6, info) whose fields go into
 * buf[0, cap).  Example:
 *
 *	uint8_t fb[MML_FRAME_MAX];
 *	struct mml_ent e;
 *	mml_ent_init(&e, fb, sizeof(fb));
 */
static inline void
mml_ent_init(struct mml_ent *e, uint8_t *buf, size_t cap)
{
	memset(e, 0, sizeof(*e));
	e->priority = 6;
	e->fields = buf;
	e->fields_cap = cap;
}

/*
 * Sets the tag (cut to MML_TAG_MAX) and the message, counting both.
 * (Inline, as mml_ent_init() and mml_ent_size(): an mmlog frame makes
 * an entry of each of its hundreds of entries, and the calls were a
 * tenth of what the daemon spent on one besides the ring.)
 */
static inline void
mml_ent_set_tag(struct mml_ent *e, const void *tag, size_t len)
{
	e->orig_size -= e->tag_len;
	e->orig_size += len;
	if (len > MML_TAG_MAX) {
		len = MML_TAG_MAX;
		e->cut = 1;
	}
	e->tag = tag;
	e->tag_len = len;
}

static inline void
mml_ent_set_msg(struct mml_ent *e, const void *msg, size_t len)
{
	e->orig_size -= e->msg_len;
	e->orig_size += len;
	e->msg = msg;
	e->msg_len = len;
}

/*
 * Appends the field key=value.  key is 1 to MML_FIELD_KEY_MAX bytes
 * (the caller vouches for its alphabet; the daemon may add names a
 * client may not send, e.g. SYSLOG_PID).  A field that does not fit the
 * buffer whole is cut to what fits, if its key and at least one byte of
 * value do, else left out; either way e->cut is set and orig_size
 * counts it whole.  Returns 0, or -ENOBUFS when the field was cut or
 * left out, -EINVAL for a bad key length.
 */
int	mml_ent_add(struct mml_ent *e, const char *key, size_t key_len,
	    const void *val, size_t val_len);

/* mml_ent_add() of a NUL-terminated key, and of a decimal number. */
int	mml_ent_add_str(struct mml_ent *e, const char *key, const void *val,
	    size_t val_len);
int	mml_ent_add_u64(struct mml_ent *e, const char *key, uint64_t v);

/* Bytes of tag, message and fields as stored now. */
static inline size_t
mml_ent_size(const struct mml_ent *e)
{
	return e->tag_len + e->msg_len + e->fields_len;
}

/*
 * Makes the entry fit max bytes of tag, message and fields (the daemon's
 * --max-entry; at least MML_ENT_FIT_MIN), cutting it if it is larger or
 * was cut already: the tag stays; the message keeps its first bytes;
 * fields that no longer fit are cut or left out, last first; and the
 * field MMLOG_ORIGINAL_SIZE=orig_size is added, so the loss is recorded
 * in the entry itself.  Returns 0 if the entry was whole, 1 if it was
 * cut (the caller counts it).
 */
#define MML_ENT_FIT_MIN		512
int	mml_ent_fit(struct mml_ent *e, size_t max);

#endif /* MML_ENTRY_H */
