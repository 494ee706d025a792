/*
 * fields.c: every field of an entry, one at a time, the one way every
 * reader sees an entry as journalctl's fields: matches (FIELD=VALUE, -u,
 * -k), -F, -N, -o json, export and verbose all walk an entry with
 * mml_rd_fields_begin() and mml_rd_fields_next(), so where a field is
 * kept is known here only.
 *
 * A record keeps its fields in three places: its header (seq, times,
 * priority, the sender's pid, uid and gid, all of which the daemon set),
 * its strings (comm, tag, message) and its fields block (the client's
 * KEY=VALUE items, and the daemon's own: _TRANSPORT, SYSLOG_FACILITY,
 * SYSLOG_PID, _LINE_BREAK, MMLOG_ORIGINAL_SIZE...).  The ring's header
 * adds the boot id of its last writer.  Trusted metadata the daemon will
 * keep in a table of its own (_EXE, _CMDLINE, _SYSTEMD_UNIT, a boot id
 * per entry) comes from one more stage, STAGE_META, which yields nothing
 * yet: only it changes when that table exists.
 *
 * Names in the fields block that are not journald names, or that would
 * stand for a field we derive ourselves (MESSAGE, _PID, __CURSOR...), are
 * skipped: the daemon never stores them, so they can only be damage, and
 * a reader must not show two _PIDs.
 */
#include <stddef.h>
#include <string.h>

#include "ringread.h"

/* Where the next field comes from, in the order fields are yielded. */
enum stage {
	STAGE_CURSOR,
	STAGE_REALTIME,
	STAGE_MONOTONIC,
	STAGE_SEQNUM,
	STAGE_BOOT_ID,
	STAGE_PRIORITY,
	STAGE_IDENTIFIER,
	STAGE_MESSAGE,
	STAGE_PID,
	STAGE_UID,
	STAGE_GID,
	STAGE_COMM,
	STAGE_DAEMON,
	STAGE_BLOCK,
	STAGE_META,
	STAGE_END,
};

static size_t	 u64_dec(char *, uint64_t);
static size_t	 cursor_fmt(char *, const uint8_t *, uint64_t);
static int	 key_reserved(const uint8_t *, size_t);

/* Writes v in decimal at buf (24 bytes); returns its length. */
static size_t
u64_dec(char *buf, uint64_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

/*
 * mml_rd_cursor_format()'s text, "s=<ring id>;i=<seq in hex>", without
 * printf, which costs more than the rest of an entry in a scan; returns
 * its length.
 */
static size_t
cursor_fmt(char *buf, const uint8_t *ring_id, uint64_t seq)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[16];
	size_t n = 0, k = 0;

	buf[n++] = 's';
	buf[n++] = '=';
	mml_rd_hex128(buf + n, ring_id);
	n += 32;
	memcpy(buf + n, ";i=", 3);
	n += 3;
	do {
		tmp[k++] = hex[seq & 15];
		seq >>= 4;
	} while (seq != 0);
	while (k > 0)
		buf[n++] = tmp[--k];
	buf[n] = '\0';
	return n;
}

int
mml_rd_fields_unique(const struct mml_rd_fields *fi)
{
	return fi->last < STAGE_BLOCK;
}

int
mml_rd_field_name_valid(const uint8_t *k, size_t len)
{
	size_t i;

	if (len == 0 || len > MML_FIELD_KEY_MAX || (k[0] >= '0' && k[0] <= '9'))
		return 0;
	for (i = 0; i < len; i++)
		if (!((k[i] >= 'A' && k[i] <= 'Z') ||
		    (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return 0;
	return 1;
}

/* Names the stages before STAGE_BLOCK yield; the block may not repeat them. */
static int
key_reserved(const uint8_t *k, size_t len)
{
	static const char *const names[] = {
		"MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "_PID", "_UID",
		"_GID", "_COMM", "_BOOT_ID", "_MMLOG_DAEMON",
	};
	size_t i;

	if (len >= 2 && k[0] == '_' && k[1] == '_')
		return 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(names[i], k, len) == 0)
			return 1;
	return 0;
}

void
mml_rd_fields_begin(struct mml_rd_fields *fi, const struct mml_rd_ring *ring,
    const struct mml_rec *rec, unsigned flags)
{
	fi->ring = ring;
	fi->rec = rec;
	fi->flags = flags;
	fi->stage = (flags & MML_RD_FIELDS_ADDRESS) ? STAGE_CURSOR :
	    STAGE_BOOT_ID;
	fi->off = 0;
}

int
mml_rd_fields_next(struct mml_rd_fields *fi, const char **ret_key,
    size_t *ret_key_len, const uint8_t **ret_val, size_t *ret_val_len)
{
	static const uint8_t zero[16];
	const struct mml_rec *rec = fi->rec;
	const struct mml_rec_hdr *h = &rec->hdr;
	const uint8_t *item;
	const char *key = NULL;
	const uint8_t *val = NULL;
	char *buf = fi->buf[0];
	size_t val_len = 0, len, klen;
	uint8_t id[16];

	_Static_assert(STAGE_BLOCK <= MML_RD_FIELDS_FORMATTED, "buffers");
	while (key == NULL) {
		fi->last = fi->stage;
		if (fi->stage < STAGE_BLOCK) {
			buf = fi->buf[fi->stage];
			val = (const uint8_t *)buf;
		}
		switch (fi->stage++) {
		case STAGE_CURSOR:
			if (fi->ring == NULL)
				break;
			key = "__CURSOR";
			val_len = cursor_fmt(buf, fi->ring->ring_id, h->seq);
			break;
		case STAGE_REALTIME:
			key = "__REALTIME_TIMESTAMP";
			val_len = u64_dec(buf, h->realtime_usec);
			break;
		case STAGE_MONOTONIC:
			key = "__MONOTONIC_TIMESTAMP";
			val_len = u64_dec(buf, h->monotonic_usec);
			break;
		case STAGE_SEQNUM:
			key = "__SEQNUM";
			val_len = u64_dec(buf, h->seq);
			break;
		case STAGE_BOOT_ID:
			/*
			 * The boot of the ring's last writer, until records
			 * carry their own (STAGE_META will).
			 */
			if (fi->ring == NULL)
				break;
			memcpy(id, fi->ring->map + offsetof(struct mml_disk_header,
			    boot_id), sizeof(id));
			if (memcmp(id, zero, sizeof(id)) == 0)
				break;
			mml_rd_hex128(buf, id);
			key = "_BOOT_ID";
			val_len = 32;
			break;
		case STAGE_PRIORITY:
			key = "PRIORITY";
			val_len = u64_dec(buf, h->priority);
			break;
		case STAGE_IDENTIFIER:
			if (h->tag_len == 0)
				break;
			key = "SYSLOG_IDENTIFIER";
			val = rec->tag;
			val_len = h->tag_len;
			break;
		case STAGE_MESSAGE:
			key = "MESSAGE";
			val = rec->msg;
			val_len = h->msg_len;
			break;
		case STAGE_PID:
			key = "_PID";
			val_len = u64_dec(buf, h->pid);
			break;
		case STAGE_UID:
			key = "_UID";
			val_len = u64_dec(buf, h->uid);
			break;
		case STAGE_GID:
			key = "_GID";
			val_len = u64_dec(buf, h->gid);
			break;
		case STAGE_COMM:
			if (h->comm_len == 0)
				break;
			key = "_COMM";
			val = rec->comm;
			val_len = h->comm_len;
			break;
		case STAGE_DAEMON:
			if (!(h->flags & MML_REC_F_DAEMON))
				break;
			key = "_MMLOG_DAEMON";
			buf[0] = '1';
			val_len = 1;
			break;
		case STAGE_BLOCK:
			if (mml_fields_next(rec->fields, h->fields_len, &fi->off,
			    &item, &len, &klen) <= 0)
				break;
			/* Stay in this stage until the block ends. */
			fi->stage = STAGE_BLOCK;
			if (!mml_rd_field_name_valid(item, klen) ||
			    key_reserved(item, klen))
				break;
			*ret_key = (const char *)item;
			*ret_key_len = klen;
			*ret_val = item + klen + 1;
			*ret_val_len = len - klen - 1;
			return 1;
		case STAGE_META:
			/*
			 * The hook for the ring's metadata table: the fields
			 * of the metadata record the entry refers to, when
			 * records refer to one.
			 */
			break;
		default:
			fi->stage = STAGE_END;
			return 0;
		}
	}
	*ret_key = key;
	*ret_key_len = strlen(key);
	*ret_val = val;
	*ret_val_len = val_len;
	return 1;
}
