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
 * SYSLOG_PID, _LINE_BREAK, MMLOG_ORIGINAL_SIZE...).  Two places beside
 * the record complete it (proto/FORMAT.md): the metadata slot its header
 * names (mml_rd_meta(): the sender's trusted fields, _TRANSPORT, _EXE,
 * _CMDLINE, _SYSTEMD_UNIT..., kept once for every entry of the same
 * sender), yielded last, by STAGE_META; and the boot table, which says
 * which boot the entry belongs to (_BOOT_ID; its __MONOTONIC_TIMESTAMP
 * is of that boot's clock, as the daemon stamped it).  An entry the
 * daemon could give no slot carries the same fields inline, in its
 * fields block, and is shown the same.  A caller that looks for some
 * fields only (a match) skips the sources of the others
 * (mml_rd_fields_only()).
 *
 * _BOOT_ID is yielded once, from the first of: the boot table; the
 * slot's _BOOT_ID (an entry older than every boot the table still
 * names); an inline _BOOT_ID; and, on a ring without a boot table (an
 * older format), the ring header's boot id, which is its last writer's.
 * A slot that no longer holds the entry's fields (rewritten since, or
 * not made durable before a power loss) yields nothing: the entry is
 * shown without its trusted metadata, never with another sender's, and
 * mml_rd_fields_meta_stale() says so.
 *
 * A trusted field (a name starting with "_") that the entry already
 * gave with the same value is not yielded again: an inline copy of the
 * metadata may repeat the _TRANSPORT the intake stored, as journald
 * keeps one copy of a field and value in an entry.
 *
 * Names in the fields block that are not journald names, or that would
 * stand for a field we derive ourselves (MESSAGE, _PID, __CURSOR...), are
 * skipped: the daemon never stores them, so they can only be damage, and
 * a reader must not show two _PIDs.
 */
#include <stddef.h>
#include <string.h>

#include "ringread.h"
#include "util.h"

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

static size_t	 cursor_fmt(char *, const uint8_t *, uint64_t);
static const struct derived *derived_find(const uint8_t *, size_t);
static int	 key_reserved(const uint8_t *, size_t);
static int	 key_is(const uint8_t *, size_t, const char *);
static void	 meta_load(struct mml_rd_fields *);
static int	 block_find(const uint8_t *, size_t, const char *,
		    const uint8_t **, size_t *);
static int	 block_has(const uint8_t *, size_t, size_t, const uint8_t *,
		    size_t);
static int	 id128_text(const uint8_t *, size_t);
static size_t	 boot_id(struct mml_rd_fields *, char *);

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

/* The fields the stages before STAGE_BLOCK yield, and their stages. */
static const struct derived {
	const char	*name;
	size_t		 len;
	unsigned	 stage;
} derived[] = {
#define D(n, st)	{ n, sizeof(n) - 1, st }
	D("__CURSOR", STAGE_CURSOR),
	D("__REALTIME_TIMESTAMP", STAGE_REALTIME),
	D("__MONOTONIC_TIMESTAMP", STAGE_MONOTONIC),
	D("__SEQNUM", STAGE_SEQNUM),
	D("_BOOT_ID", STAGE_BOOT_ID),
	D("PRIORITY", STAGE_PRIORITY),
	D("SYSLOG_IDENTIFIER", STAGE_IDENTIFIER),
	D("MESSAGE", STAGE_MESSAGE),
	D("_PID", STAGE_PID),
	D("_UID", STAGE_UID),
	D("_GID", STAGE_GID),
	D("_COMM", STAGE_COMM),
	D("_MMLOG_DAEMON", STAGE_DAEMON),
#undef D
};

/*
 * The derived field named k[0, len), or NULL.  Its first byte and
 * length decide most names at once: this runs for every item of every
 * entry a match or a format walks.
 */
static const struct derived *
derived_find(const uint8_t *k, size_t len)
{
	size_t i;

	if (k[0] != '_' && k[0] != 'M' && k[0] != 'P' && k[0] != 'S')
		return NULL;
	for (i = 0; i < sizeof(derived) / sizeof(derived[0]); i++)
		if (derived[i].len == len && derived[i].name[0] == k[0] &&
		    memcmp(derived[i].name, k, len) == 0)
			return &derived[i];
	return NULL;
}

/* Names the stages before STAGE_BLOCK yield; the block may not repeat them. */
static int
key_reserved(const uint8_t *k, size_t len)
{
	if (len >= 2 && k[0] == '_' && k[1] == '_')
		return 1;
	return derived_find(k, len) != NULL;
}

unsigned
mml_rd_fields_sources(const char *k, size_t len)
{
	const struct derived *d;

	if (len == 0)
		return 0;
	d = derived_find((const uint8_t *)k, len);
	if (d != NULL)
		return 1U << d->stage;
	/* The address is only the derived fields above. */
	if (len >= 2 && k[0] == '_' && k[1] == '_')
		return 0;
	/* The daemon's trusted fields may be in the slot as well. */
	return 1U << STAGE_BLOCK | (k[0] == '_' ? 1U << STAGE_META : 0);
}

unsigned
mml_rd_fields_src_block(void)
{
	return 1U << STAGE_BLOCK;
}

unsigned
mml_rd_fields_src_slot(void)
{
	return 1U << STAGE_META;
}

/* Whether k[0, len) is name. */
static int
key_is(const uint8_t *k, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(name, k, len) == 0;
}

/* The entry's metadata slot, looked up once per entry, when first needed. */
static void
meta_load(struct mml_rd_fields *fi)
{
	const uint8_t *b;
	size_t len;
	int r;

	if (fi->meta_state != MML_RD_META_UNKNOWN)
		return;
	fi->meta_state = MML_RD_META_NONE;
	if (fi->ring == NULL || !(fi->rec->hdr.flags & MML_REC_F_META))
		return;
	r = mml_rd_meta(fi->ring, fi->rec, &b, &len);
	if (r == 1) {
		fi->meta = b;
		fi->meta_len = len;
		fi->meta_state = MML_RD_META_SLOT;
	} else if (r < 0)
		fi->meta_state = MML_RD_META_STALE;
}

/*
 * The value of the first item named name in the fields block b[0, len):
 * 1 with it in *ret_val, *ret_len; 0 if there is none.
 */
static int
block_find(const uint8_t *b, size_t len, const char *name,
    const uint8_t **ret_val, size_t *ret_len)
{
	const uint8_t *item;
	size_t off = 0, il, kl;

	while (mml_fields_next(b, len, &off, &item, &il, &kl) > 0)
		if (key_is(item, kl, name)) {
			*ret_val = item + kl + 1;
			*ret_len = il - kl - 1;
			return 1;
		}
	return 0;
}

/*
 * Whether the items of the fields block b that start before end hold
 * one of exactly the bytes x[0, xl) ("KEY=VALUE").
 */
static int
block_has(const uint8_t *b, size_t len, size_t end, const uint8_t *x,
    size_t xl)
{
	const uint8_t *item;
	size_t off = 0, il, kl;

	while (off < end && mml_fields_next(b, len, &off, &item, &il, &kl) > 0)
		if (il == xl && memcmp(item, x, xl) == 0)
			return 1;
	return 0;
}

/* Whether v[0, len) is an id128 as journald writes it: 32 hex digits. */
static int
id128_text(const uint8_t *v, size_t len)
{
	size_t i;

	if (len != 32)
		return 0;
	for (i = 0; i < len; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' &&
		    v[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * The entry's _BOOT_ID into buf (33 bytes): the boot table's, the
 * slot's, an inline one, or (a ring without a boot table) its last
 * writer's.  Returns its length, 32, or 0 if it has none.
 */
static size_t
boot_id(struct mml_rd_fields *fi, char *buf)
{
	static const uint8_t zero[16];
	const struct mml_rec *rec = fi->rec;
	const uint8_t *v;
	size_t vl;
	int i;

	if (fi->ring == NULL)
		return 0;
	i = mml_rd_boot_of(fi->ring, rec->hdr.seq);
	if (i >= 0) {
		mml_rd_hex128(buf, fi->ring->boots[i].boot_id);
		return 32;
	}
	meta_load(fi);
	if ((fi->meta_state == MML_RD_META_SLOT && block_find(fi->meta,
	    fi->meta_len, "_BOOT_ID", &v, &vl) && id128_text(v, vl)) ||
	    (block_find(rec->fields, rec->hdr.fields_len, "_BOOT_ID", &v,
	    &vl) && id128_text(v, vl))) {
		memcpy(buf, v, 32);
		return 32;
	}
	if (fi->ring->has_boots || memcmp(fi->ring->map +
	    offsetof(struct mml_disk_header, boot_id), zero, 16) == 0)
		return 0;
	mml_rd_hex128(buf, fi->ring->map + offsetof(struct mml_disk_header,
	    boot_id));
	return 32;
}

void
mml_rd_fields_begin(struct mml_rd_fields *fi, struct mml_rd_ring *ring,
    const struct mml_rec *rec, unsigned flags)
{
	fi->ring = ring;
	fi->rec = rec;
	fi->flags = flags;
	fi->stage = (flags & MML_RD_FIELDS_ADDRESS) ? STAGE_CURSOR :
	    STAGE_BOOT_ID;
	fi->off = 0;
	fi->want = ~0U;
	fi->meta_state = MML_RD_META_UNKNOWN;
	fi->meta = NULL;
	fi->meta_len = 0;
	fi->meta_off = 0;
}

void
mml_rd_fields_only(struct mml_rd_fields *fi, unsigned sources)
{
	fi->want = sources;
}

int
mml_rd_fields_meta_stale(const struct mml_rd_fields *fi)
{
	return fi->meta_state == MML_RD_META_STALE;
}

/*
 * The next field of the stage st, STAGE_BLOCK (the entry's own fields
 * block) or STAGE_META (the sender's trusted fields, from the slot the
 * entry names, but those the entry itself gave).  Returns 1 with the
 * field, 0 when the stage has no more, -1 for a field not shown (a
 * name invalid or reserved, a trusted one given twice): call again.
 */
static int
stored_next(struct mml_rd_fields *fi, int st, const char **ret_key,
    size_t *ret_key_len, const uint8_t **ret_val, size_t *ret_val_len)
{
	const struct mml_rec *rec = fi->rec;
	const struct mml_rec_hdr *h = &rec->hdr;
	const uint8_t *item;
	size_t len, klen, start = fi->off;

	if (st == STAGE_BLOCK) {
		if (mml_fields_next(rec->fields, h->fields_len, &fi->off,
		    &item, &len, &klen) <= 0)
			return 0;
		if (!mml_rd_field_name_valid(item, klen) ||
		    key_reserved(item, klen) || (item[0] == '_' &&
		    block_has(rec->fields, h->fields_len, start, item, len)))
			return -1;
	} else {
		meta_load(fi);
		if (fi->meta_state != MML_RD_META_SLOT ||
		    mml_fields_next(fi->meta, fi->meta_len, &fi->meta_off,
		    &item, &len, &klen) <= 0)
			return 0;
		if (!mml_rd_field_name_valid(item, klen) ||
		    key_reserved(item, klen) || block_has(rec->fields,
		    h->fields_len, h->fields_len, item, len))
			return -1;
	}
	*ret_key = (const char *)item;
	*ret_key_len = klen;
	*ret_val = item + klen + 1;
	*ret_val_len = len - klen - 1;
	return 1;
}

int
mml_rd_fields_next(struct mml_rd_fields *fi, const char **ret_key,
    size_t *ret_key_len, const uint8_t **ret_val, size_t *ret_val_len)
{
	const struct mml_rec *rec = fi->rec;
	const struct mml_rec_hdr *h = &rec->hdr;
	const char *key = NULL;
	const uint8_t *val = NULL;
	char *buf = fi->buf[0];
	size_t val_len = 0;
	int r;

	_Static_assert(STAGE_BLOCK <= MML_RD_FIELDS_FORMATTED, "buffers");
	_Static_assert(sizeof(derived) / sizeof(derived[0]) == STAGE_BLOCK,
	    "a derived field per stage, in the stages' order");
	while (key == NULL) {
		/* A stage the caller has no use for yields nothing. */
		if (fi->stage < STAGE_END && !(fi->want & 1U << fi->stage)) {
			fi->stage++;
			continue;
		}
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
			val_len = mml_put_dec(buf, h->realtime_usec);
			break;
		case STAGE_MONOTONIC:
			/* The clock of the entry's own boot (STAGE_BOOT_ID). */
			key = "__MONOTONIC_TIMESTAMP";
			val_len = mml_put_dec(buf, h->monotonic_usec);
			break;
		case STAGE_SEQNUM:
			key = "__SEQNUM";
			val_len = mml_put_dec(buf, h->seq);
			break;
		case STAGE_BOOT_ID:
			val_len = boot_id(fi, buf);
			if (val_len > 0)
				key = "_BOOT_ID";
			break;
		case STAGE_PRIORITY:
			key = "PRIORITY";
			val_len = mml_put_dec(buf, h->priority);
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
			val_len = mml_put_dec(buf, h->pid);
			break;
		case STAGE_UID:
			key = "_UID";
			val_len = mml_put_dec(buf, h->uid);
			break;
		case STAGE_GID:
			key = "_GID";
			val_len = mml_put_dec(buf, h->gid);
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
		case STAGE_META:
			r = stored_next(fi, fi->last, ret_key, ret_key_len,
			    ret_val, ret_val_len);
			/* Stay in this stage until its fields end. */
			if (r != 0)
				fi->stage = fi->last;
			if (r > 0)
				return 1;
			break;
		default:
			fi->stage = STAGE_END;
			return 0;
		}
	}
	*ret_key = key;
	*ret_key_len = derived[fi->last].len;
	*ret_val = val;
	*ret_val_len = val_len;
	return 1;
}
