/*
 * metatab.h: the writer's side of the metadata table (metatab.c,
 * proto/tables.h, proto/FORMAT.md "Metadata slots").  Internal to
 * daemon/; ring.c owns one per ring and calls it under its SIGBUS guard.
 *
 * Content-addressed: the same trusted fields (every invocation of the
 * same command in the same unit, from one transport and boot) always
 * get the same slot, so they are stored once however many entries name
 * them.  A slot is given new fields only when no entry still in the ring
 * names it: in memory, each slot's last_seq is the newest entry that
 * named it, and the slot is free once the ring's tail has passed it.
 * The least recently named slot is the one to free first, kept at the
 * head of a list ordered by last_seq.
 */
#ifndef MML_METATAB_H
#define MML_METATAB_H

#include <stdint.h>

struct mml_metatab;

/* What the table holds and did, for STATS. */
struct mml_metatab_stats {
	uint32_t	 slots;		/* in the table */
	uint32_t	 used;		/* holding fields */
	uint64_t	 written;	/* fields written to a slot */
	uint64_t	 full;		/* no slot free: stored inline */
	uint32_t	 damaged;	/* slots found damaged at open */
};

/*
 * The table of n slots at `table` (in the ring's map; n as
 * mml_meta_slots() says), CRCs seeded with seed.  Every slot is read
 * once.  clean: the ring was closed in order, so a slot's stored
 * last_seq says until which entry it is named; otherwise (a crash, or
 * a slot that does not check) a slot that holds anything counts as
 * named by every entry before start_seq, the first this open numbers,
 * and is not reused before the tail passes them.  NULL only when out
 * of memory.
 */
struct mml_metatab *mml_metatab_open(uint8_t *table, uint32_t n,
	    uint32_t seed, int clean, uint64_t start_seq);
/*
 * After a crash, what the entries still in the ring name, found by
 * walking them (ring.c), instead of every slot counting as named by
 * every entry before the open: begin, then each entry's meta word and
 * seq, oldest first, then end with complete 1 if the walk went from the
 * tail to the head (the count is adopted: a slot no entry names is free
 * at once), 0 if it broke (the count is dropped).  Without a count a
 * daemon that crashes more often than its ring goes round would never
 * free a slot, and its entries would all carry their metadata inline.
 * begin returns 0, or -ENOMEM (then the others do nothing).
 */
int	mml_metatab_recount_begin(struct mml_metatab *t);
void	mml_metatab_recount(struct mml_metatab *t, uint32_t ref, uint64_t seq);
void	mml_metatab_recount_end(struct mml_metatab *t, int complete);
/* Frees the memory (not the table); accepts NULL. */
struct mml_metatab *mml_metatab_free(struct mml_metatab *t);

/*
 * The `meta` word for the entry numbered seq whose trusted fields are
 * block[0, len) (len <= MML_META_SLOT_ROOM; hash is mml_crc32c(0,
 * block, len)), with the ring's tail at tail_seq: the slot that holds
 * these fields, or else the least recently named slot, if no entry
 * from tail_seq on names it, written now with its next generation and
 * first_seq seq.  Returns 0 when every slot is named by an entry in the
 * ring: the caller stores the fields inline in the entry.  The tail must
 * already be published (a reader that copies the slot while it is
 * rewritten finds the tail past the entries that named it).
 * Example: ref = mml_metatab_ref(t, m->block, m->len, m->hash, seq, tail);
 */
uint32_t mml_metatab_ref(struct mml_metatab *t, const uint8_t *block,
	    uint32_t len, uint32_t hash, uint64_t seq, uint64_t tail_seq);

/*
 * mml_metatab_ref() for an entry numbered seq whose fields are those
 * that ref, the word the last call of mml_metatab_ref() returned, names,
 * with no call of it since: the slot is named again without a lookup.
 * Returns ref, or 0 if the slot no longer holds them, in the table or in
 * the file (the caller then looks them up with mml_metatab_ref()).
 * Reads the slot through the map: a file cut short faults, as a lookup
 * does.
 */
uint32_t mml_metatab_again(struct mml_metatab *t, uint32_t ref,
	    uint64_t seq);

/*
 * The bytes of the table written since the last call, as an offset
 * from `table` and a length, both multiples of 4096 (0, 0 if none):
 * what a sync job makes durable before the records that name them.
 */
void	mml_metatab_take_dirty(struct mml_metatab *t, uint64_t *ret_off,
	    uint64_t *ret_len);

/* Everything counts as written again (a sync failed: mml_ring_sync_done()). */
void	mml_metatab_dirty_all(struct mml_metatab *t);

/*
 * Stores each slot's last_seq in it (a clean close, before the final
 * sync), so that the next open knows them.  Marks what it wrote dirty.
 */
void	mml_metatab_seal(struct mml_metatab *t);

/*
 * Forgets every slot and zeroes the table: the ring is empty and its
 * numbering restarts (ROTATE_ID past 2^62), so no entry names any.
 */
void	mml_metatab_reset(struct mml_metatab *t);

void	mml_metatab_stats(const struct mml_metatab *t,
	    struct mml_metatab_stats *ret);

#endif /* MML_METATAB_H */
