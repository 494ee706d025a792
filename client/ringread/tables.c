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
 * that named it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ringread.h"

/* A slot verified once, kept for the entries that name it after. */
struct mml_rd_meta_slot {
	uint16_t	 slot;		/* 0: empty */
	uint16_t	 gen;
	uint32_t	 len;
	uint64_t	 first_seq;
	uint8_t		 block[MML_META_SLOT_ROOM];
};

#define META_CACHE	64

static int	 slot_copy(struct mml_rd_ring *, uint16_t, uint8_t *);
static int	 slot_names(struct mml_rd_ring *, uint16_t, uint64_t,
		    const struct mml_rec *);
static struct mml_rd_meta_slot *slot_keep(struct mml_rd_ring *, uint16_t,
		    const uint8_t *);

/*
 * Copies slot i (1 .. r->meta_slots) into copy (MML_META_SLOT_SIZE
 * bytes) and checks the copy: 1 if it holds fields, 0 if it was never
 * written, -EBADMSG if it is damaged or could not be read (SIGBUS).
 */
static int
slot_copy(struct mml_rd_ring *r, uint16_t i, uint8_t *copy)
{
	int c;

	memcpy(copy, r->meta_table + (size_t)(i - 1) * MML_META_SLOT_SIZE,
	    MML_META_SLOT_SIZE);
	if (mml_rd_sigbus_hit())
		return -EBADMSG;
	c = mml_meta_slot_check(copy, i, r->crc_seed);
	return c == 1 ? 1 : c == 0 ? 0 : -EBADMSG;
}

/*
 * Whether rec takes its fields from a slot that checked with generation
 * gen and first seq first_seq: the generation rec names, first named no
 * later than rec, and rec still in the ring once the slot was read (the
 * writer rewrites a slot only after the tail passed every entry naming
 * it).  1 or 0.
 */
static int
slot_names(struct mml_rd_ring *r, uint16_t gen, uint64_t first_seq,
    const struct mml_rec *rec)
{
	if (gen != mml_meta_ref_gen(rec->hdr.meta) || first_seq > rec->hdr.seq)
		return 0;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return mml_rd_ring_tail_seq(r) <= rec->hdr.seq;
}

/*
 * Keeps the checked copy of slot i among the slots verified lately;
 * returns where, or NULL (no memory).
 */
static struct mml_rd_meta_slot *
slot_keep(struct mml_rd_ring *r, uint16_t i, const uint8_t *copy)
{
	struct mml_meta_slot h;
	struct mml_rd_meta_slot *c;

	if (r->meta_cache == NULL) {
		r->meta_cache = calloc(META_CACHE, sizeof(*r->meta_cache));
		if (r->meta_cache == NULL)
			return NULL;
	}
	memcpy(&h, copy, sizeof(h));
	c = &r->meta_cache[i % META_CACHE];
	c->slot = i;
	c->gen = h.gen;
	c->len = h.len;
	c->first_seq = h.first_seq;
	memcpy(c->block, copy + sizeof(h), h.len);
	return c;
}

int
mml_rd_meta(struct mml_rd_ring *r, const struct mml_rec *rec,
    const uint8_t **ret_block, size_t *ret_len)
{
	uint8_t copy[MML_META_SLOT_SIZE];
	struct mml_meta_slot h;
	struct mml_rd_meta_slot *c;
	uint16_t i = mml_meta_ref_slot(rec->hdr.meta);
	uint16_t g = mml_meta_ref_gen(rec->hdr.meta);

	if (!(rec->hdr.flags & MML_REC_F_META))
		return 0;
	if (r->meta_table == NULL || i == 0 || i > r->meta_slots)
		goto stale;
	/*
	 * A slot's generation is written before the entries that name it,
	 * and changes only once the tail passed them all: the header still
	 * showing the generation and first seq we verified means the same
	 * fields (a rewrite under way changes them first).
	 */
	memcpy(&h, r->meta_table + (size_t)(i - 1) * MML_META_SLOT_SIZE,
	    sizeof(h));
	c = r->meta_cache != NULL ? &r->meta_cache[i % META_CACHE] : NULL;
	if (c != NULL && c->slot == i && c->gen == g && h.gen == g &&
	    h.first_seq == c->first_seq && c->first_seq <= rec->hdr.seq)
		goto tail;
	if (slot_copy(r, i, copy) != 1)
		goto stale;
	memcpy(&h, copy, sizeof(h));
	if (h.gen != g || h.first_seq > rec->hdr.seq ||
	    (c = slot_keep(r, i, copy)) == NULL)
		goto stale;
tail:
	/* The entry itself may have gone while we looked. */
	if (!slot_names(r, c->gen, c->first_seq, rec))
		goto stale;
	*ret_block = c->block;
	*ret_len = c->len;
	return 1;
stale:
	r->meta_unavailable++;
	return -ESTALE;
}

int
mml_rd_meta_seen(struct mml_rd_ring *r, const struct mml_rec *rec,
    struct mml_rd_meta_seen *seen, const uint8_t **ret_block,
    size_t *ret_len)
{
	uint8_t copy[MML_META_SLOT_SIZE];
	struct mml_meta_slot h;
	struct mml_rd_meta_slot *c;
	uint16_t i = mml_meta_ref_slot(rec->hdr.meta);
	int f = 0, k;

	if (r->meta_table == NULL || i == 0 || i > r->meta_slots)
		goto stale;
	memcpy(&h, r->meta_table + (size_t)(i - 1) * MML_META_SLOT_SIZE,
	    sizeof(h));
	if (seen->state == 0 || memcmp(&h, &seen->hdr, sizeof(h)) != 0) {
		/* New to us, or changed since: what mml_rd_meta() checks. */
		k = slot_copy(r, i, copy);
		memcpy(&seen->hdr, copy, sizeof(seen->hdr));
		seen->state = -1;
		f = MML_RD_SEEN_NEW;
		if (k == 1 && (c = slot_keep(r, i, copy)) != NULL) {
			seen->state = 1;
			*ret_block = c->block;
			*ret_len = c->len;
		}
	}
	if (seen->state != 1 || !slot_names(r, seen->hdr.gen,
	    seen->hdr.first_seq, rec))
		goto stale;
	return f | MML_RD_SEEN_FIELDS;
stale:
	r->meta_unavailable++;
	return f;
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
