/*
 * tables.c: the reader's side of the ring's two tables beside its
 * records (proto/FORMAT.md, "Metadata slots" and "Boots"): the trusted
 * metadata of an entry from the slot its header names (mml_rd_meta(),
 * which the field iterator calls), the boot of an entry
 * (mml_rd_boot_of()), the boots that still have entries in the ring
 * (mml_rd_boot_spans(), for --list-boots and -b), and a check of every
 * slot (mml_rd_meta_report(), for status and verify).
 *
 * Like the records, nothing in the tables is trusted: a slot or a boot
 * entry is copied and checked (CRC, its own number, generation) before
 * any of it is used, and the tail is read again after the copy, since
 * the writer reuses a slot only once the tail has passed every entry
 * that named it.  What a check of a slot found is kept while the slot's
 * header stays the same, and given a version, so that a caller may keep
 * what it derived from the fields as long (mml_rd_meta_version(), for
 * the matches).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ringread.h"

/*
 * What the reader found in a slot: its header as it was checked, and
 * whether it held fields then.  While the header in the file stays the
 * same, byte for byte, so do the fields: a writer changes a slot's
 * header (generation, first seq) before its fields, and its CRC, in the
 * header too, last; and it rewrites a slot only once the tail passed
 * every entry that named it.
 */
struct mml_rd_slot_seen {
	struct mml_meta_slot hdr;
	uint64_t	 version;	/* 0: never checked */
	int		 ok;		/* it held fields */
};

/* The fields of a slot verified lately. */
struct mml_rd_meta_slot {
	uint16_t	 slot;		/* 0: empty */
	uint32_t	 len;
	uint64_t	 version;	/* its struct mml_rd_slot_seen's */
	uint8_t		 block[MML_META_SLOT_ROOM];
};

#define META_CACHE	64

/* The last version a check of a slot was given, in any ring. */
static uint64_t slot_versions;

static void	 slot_check(struct mml_rd_ring *, uint16_t,
		    struct mml_rd_slot_seen *, struct mml_rd_meta_slot *);
static int	 slot_look(struct mml_rd_ring *, const struct mml_rec *,
		    uint64_t, uint64_t *, const struct mml_rd_meta_slot **);

/*
 * Copies slot i, checks the copy (mml_meta_slot_check()) and notes what
 * it found in s: a new version if that differs from what s says; the
 * fields, if any, into c.
 */
static void
slot_check(struct mml_rd_ring *r, uint16_t i, struct mml_rd_slot_seen *s,
    struct mml_rd_meta_slot *c)
{
	uint8_t copy[MML_META_SLOT_SIZE];
	struct mml_meta_slot h;
	int ok;

	memcpy(copy, r->meta_table + (size_t)(i - 1) * MML_META_SLOT_SIZE,
	    sizeof(copy));
	ok = !mml_rd_sigbus_hit() && mml_meta_slot_check(copy, i,
	    r->crc_seed) == 1;
	memcpy(&h, copy, sizeof(h));
	if (s->version == 0 || s->ok != ok ||
	    memcmp(&h, &s->hdr, sizeof(h)) != 0) {
		s->hdr = h;
		s->ok = ok;
		s->version = ++slot_versions;
	}
	if (!ok)
		return;
	c->slot = i;
	c->len = h.len;
	c->version = s->version;
	memcpy(c->block, copy + sizeof(h), h.len);
}

/*
 * The slot the entry rec names, checked again if its header changed
 * since the last check (or its fields are wanted, not known, and no
 * longer kept), and whether the entry takes its fields from it: the
 * slot held fields, of the generation rec names, first named no later
 * than rec, and rec still in the ring once the slot was read (the
 * writer rewrites a slot only after the tail passed every entry naming
 * it).  Returns 1 with the slot's version in *ret_version and, if that
 * is not known, its fields in **ret_c; -ESTALE if not.
 */
static int
slot_look(struct mml_rd_ring *r, const struct mml_rec *rec, uint64_t known,
    uint64_t *ret_version, const struct mml_rd_meta_slot **ret_c)
{
	struct mml_meta_slot h;
	struct mml_rd_slot_seen *s;
	struct mml_rd_meta_slot *c;
	uint16_t i = mml_meta_ref_slot(rec->hdr.meta);

	if (r->meta_table == NULL || i == 0 || i > r->meta_slots)
		return -ESTALE;
	if (r->meta_seen == NULL &&
	    (r->meta_seen = calloc(r->meta_slots, sizeof(*s))) == NULL)
		return -ESTALE;
	if (r->meta_cache == NULL &&
	    (r->meta_cache = calloc(META_CACHE, sizeof(*c))) == NULL)
		return -ESTALE;
	s = &r->meta_seen[i - 1];
	c = &r->meta_cache[i % META_CACHE];
	memcpy(&h, r->meta_table + (size_t)(i - 1) * MML_META_SLOT_SIZE,
	    sizeof(h));
	if (s->version == 0 || memcmp(&h, &s->hdr, sizeof(h)) != 0 ||
	    (s->ok && s->version != known && (c->slot != i ||
	    c->version != s->version)))
		slot_check(r, i, s, c);
	if (!s->ok || s->hdr.gen != mml_meta_ref_gen(rec->hdr.meta) ||
	    s->hdr.first_seq > rec->hdr.seq)
		return -ESTALE;
	/* The entry itself may have gone while we looked. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (mml_rd_ring_tail_seq(r) > rec->hdr.seq)
		return -ESTALE;
	*ret_version = s->version;
	*ret_c = c;
	return 1;
}

int
mml_rd_meta(struct mml_rd_ring *r, const struct mml_rec *rec,
    const uint8_t **ret_block, size_t *ret_len)
{
	const struct mml_rd_meta_slot *c;
	uint64_t v;

	if (!(rec->hdr.flags & MML_REC_F_META))
		return 0;
	if (slot_look(r, rec, 0, &v, &c) < 0) {
		r->meta_unavailable++;
		return -ESTALE;
	}
	*ret_block = c->block;
	*ret_len = c->len;
	return 1;
}

int
mml_rd_meta_version(struct mml_rd_ring *r, const struct mml_rec *rec,
    uint64_t known, uint64_t *ret_version, const uint8_t **ret_block,
    size_t *ret_len)
{
	const struct mml_rd_meta_slot *c;
	uint64_t v;

	if (!(rec->hdr.flags & MML_REC_F_META))
		return -EINVAL;
	if (slot_look(r, rec, known, &v, &c) < 0) {
		r->meta_unavailable++;
		return -ESTALE;
	}
	if (v != known) {
		*ret_block = c->block;
		*ret_len = c->len;
	}
	*ret_version = v;
	return 1;
}

size_t
mml_rd_boots_load(struct mml_rd_ring *r)
{
	struct mml_boot table[MML_BOOT_MAX];

	r->n_boots = 0;
	if (!r->has_boots)
		return 0;
	/* Entries numbered below this head have their boot in the copy. */
	r->boots_head = mml_rd_ring_head_seq(r);
	memcpy(table, r->map + MML_BOOT_TABLE_OFF, sizeof(table));
	if (mml_rd_sigbus_hit())
		return 0;
	r->n_boots = mml_boots_sorted(table, r->crc_seed, r->boots, NULL);
	return r->n_boots;
}

int
mml_rd_boot_of(struct mml_rd_ring *r, uint64_t seq)
{
	if (!r->has_boots)
		return -1;
	if (r->boots_head == 0 || seq >= r->boots_head)
		(void)mml_rd_boots_load(r);
	return mml_boots_find(r->boots, r->n_boots, seq);
}

size_t
mml_rd_boot_spans(struct mml_rd_ring *r,
    struct mml_rd_boot_span ret[MML_BOOT_MAX])
{
	uint64_t tail, head, start, end;
	size_t n, i, k = 0;

	n = mml_rd_boots_load(r);
	/* Loaded before the table: every entry below it has its boot. */
	head = r->boots_head;
	tail = mml_rd_ring_tail_seq(r);
	for (i = 0; i < n; i++) {
		start = r->boots[i].first_seq;
		end = i + 1 < n ? r->boots[i + 1].first_seq : UINT64_MAX;
		/* Overwritten, or no entry of it written yet. */
		if (end <= tail || start >= head || tail >= head)
			continue;
		memcpy(ret[k].boot_id, r->boots[i].boot_id, 16);
		ret[k].whole = start >= tail;
		ret[k].first_seq = ret[k].whole ? start : tail;
		ret[k].end_seq = end;
		ret[k].first_realtime = r->boots[i].first_realtime;
		ret[k].first_monotonic = r->boots[i].first_monotonic;
		k++;
	}
	return k;
}

void
mml_rd_meta_report(struct mml_rd_ring *r, struct mml_rd_meta_report *ret)
{
	uint8_t copy[MML_META_SLOT_SIZE];
	uint32_t i;

	memset(ret, 0, sizeof(*ret));
	if (r->meta_table == NULL)
		return;
	ret->slots = r->meta_slots;
	for (i = 1; i <= r->meta_slots; i++) {
		memcpy(copy, r->meta_table + (size_t)(i - 1) *
		    MML_META_SLOT_SIZE, sizeof(copy));
		if (mml_rd_sigbus_hit()) {
			ret->damaged += r->meta_slots - i + 1;
			break;
		}
		switch (mml_meta_slot_check(copy, (uint16_t)i, r->crc_seed)) {
		case 1:
			ret->written++;
			break;
		case 0:
			break;
		default:
			ret->damaged++;
			break;
		}
	}
}
