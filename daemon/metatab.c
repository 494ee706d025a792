/*
 * metatab.c: the writer's side of the metadata table (metatab.h).
 *
 * In memory, per slot (numbered 1..n; 0 is "none" in every link): the
 * hash of its fields, its last_seq, a link in its hash bucket's chain
 * and links in the list of slots ordered by last_seq, oldest first.  A
 * slot named again goes to the end of the list (seqs only grow), so the
 * head is always the slot to free first, and finding a free slot is a
 * look at the head.  20 bytes a slot: 1.3 MiB for the largest table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metatab.h"
#include "tables.h"

#define PAGE	4096

struct slot {
	uint64_t	 last_seq;	/* newest entry naming it; 0: free */
	uint32_t	 hash;		/* of its fields, if in a chain */
	uint16_t	 gen;		/* its generation on disk */
	uint16_t	 chain;		/* next in its hash bucket */
	uint16_t	 prev, next;	/* the list by last_seq */
	uint8_t		 hashed;	/* holds fields: in a bucket's chain */
};

struct mml_metatab {
	uint8_t		*table;
	uint32_t	 n;
	uint32_t	 seed;
	uint32_t	 mask;		/* buckets - 1 */
	uint16_t	*buckets;
	uint16_t	 head, tail;	/* oldest and newest of the list */
	uint32_t	 dirty_lo, dirty_hi;	/* slots written: [lo, hi] */
	uint64_t	*recount;	/* newest seq naming each slot, 1..n */
	struct mml_metatab_stats st;
	struct slot	 s[];		/* 1..n; s[0] unused */
};

static uint8_t	*slot_at(const struct mml_metatab *, uint16_t);
static void	 list_unlink(struct mml_metatab *, uint16_t);
static void	 list_append(struct mml_metatab *, uint16_t);
static void	 chain_add(struct mml_metatab *, uint16_t, uint32_t);
static void	 chain_del(struct mml_metatab *, uint16_t);
static void	 mark_dirty(struct mml_metatab *, uint16_t);
static int	 by_last_seq(const void *, const void *, void *);
static int	 list_sort(struct mml_metatab *);

static uint8_t *
slot_at(const struct mml_metatab *t, uint16_t i)
{
	return t->table + (size_t)(i - 1) * MML_META_SLOT_SIZE;
}

static void
list_unlink(struct mml_metatab *t, uint16_t i)
{
	struct slot *s = &t->s[i];

	if (s->prev != 0)
		t->s[s->prev].next = s->next;
	else
		t->head = s->next;
	if (s->next != 0)
		t->s[s->next].prev = s->prev;
	else
		t->tail = s->prev;
	s->prev = s->next = 0;
}

static void
list_append(struct mml_metatab *t, uint16_t i)
{
	struct slot *s = &t->s[i];

	s->prev = t->tail;
	s->next = 0;
	if (t->tail != 0)
		t->s[t->tail].next = i;
	else
		t->head = i;
	t->tail = i;
}

static void
chain_add(struct mml_metatab *t, uint16_t i, uint32_t hash)
{
	uint16_t *b = &t->buckets[hash & t->mask];

	t->s[i].hash = hash;
	t->s[i].chain = *b;
	t->s[i].hashed = 1;
	*b = i;
	t->st.used++;
}

static void
chain_del(struct mml_metatab *t, uint16_t i)
{
	uint16_t *p = &t->buckets[t->s[i].hash & t->mask];

	if (!t->s[i].hashed)
		return;
	while (*p != 0 && *p != i)
		p = &t->s[*p].chain;
	if (*p == i)
		*p = t->s[i].chain;
	t->s[i].chain = 0;
	t->s[i].hashed = 0;
	t->st.used--;
}

static void
mark_dirty(struct mml_metatab *t, uint16_t i)
{
	if (t->dirty_hi == 0 || i < t->dirty_lo)
		t->dirty_lo = i;
	if (i > t->dirty_hi)
		t->dirty_hi = i;
}

/* The order of the list at open: by last_seq, then by number. */
static int
by_last_seq(const void *a, const void *b, void *arg)
{
	const struct mml_metatab *t = arg;
	uint16_t i = *(const uint16_t *)a, j = *(const uint16_t *)b;
	uint64_t x = t->s[i].last_seq, y = t->s[j].last_seq;

	if (x != y)
		return x < y ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* Puts every slot in the list, by last_seq.  Returns 0 or -ENOMEM. */
static int
list_sort(struct mml_metatab *t)
{
	uint16_t *order;
	uint32_t i;

	order = malloc((size_t)t->n * sizeof(*order));
	if (order == NULL)
		return -ENOMEM;
	for (i = 0; i < t->n; i++)
		order[i] = (uint16_t)(i + 1);
	qsort_r(order, t->n, sizeof(*order), by_last_seq, t);
	t->head = t->tail = 0;
	for (i = 0; i < t->n; i++)
		list_append(t, order[i]);
	free(order);
	return 0;
}

struct mml_metatab *
mml_metatab_open(uint8_t *table, uint32_t n, uint32_t seed, int clean,
    uint64_t start_seq)
{
	struct mml_meta_slot h;
	struct mml_metatab *t;
	uint32_t buckets = 1, i;
	int st;

	if (n == 0 || n > MML_META_SLOTS_MAX)
		return NULL;
	while (buckets < n)
		buckets <<= 1;
	t = calloc(1, sizeof(*t) + ((size_t)n + 1) * sizeof(t->s[0]));
	if (t == NULL ||
	    (t->buckets = calloc(buckets, sizeof(uint16_t))) == NULL) {
		free(t);
		return NULL;
	}
	t->table = table;
	t->n = n;
	t->seed = seed;
	t->mask = buckets - 1;
	t->st.slots = n;

	for (i = 1; i <= n; i++) {
		const uint8_t *p = slot_at(t, (uint16_t)i);

		memcpy(&h, p, sizeof(h));
		st = mml_meta_slot_check(p, (uint16_t)i, seed);
		if (st == 1) {
			t->s[i].gen = h.gen;
			chain_add(t, (uint16_t)i, mml_crc32c(0, p + sizeof(h),
			    h.len));
			/*
			 * A clean close stored last_seq; anything else, or a
			 * value no entry can have, counts as every entry
			 * before this open.
			 */
			t->s[i].last_seq = clean && h.last_seq != 0 &&
			    h.last_seq < start_seq && h.last_seq >= h.first_seq ?
			    h.last_seq : start_seq - 1;
		} else if (st < 0) {
			/* Its generation is unknown: a new one after reuse. */
			t->s[i].gen = h.gen;
			t->s[i].last_seq = start_seq - 1;
			t->st.damaged++;
		}
	}
	if (list_sort(t) < 0) {
		free(t->buckets);
		free(t);
		return NULL;
	}
	return t;
}

int
mml_metatab_recount_begin(struct mml_metatab *t)
{
	free(t->recount);
	t->recount = calloc((size_t)t->n + 1, sizeof(*t->recount));
	return t->recount != NULL ? 0 : -ENOMEM;
}

void
mml_metatab_recount(struct mml_metatab *t, uint32_t ref, uint64_t seq)
{
	uint16_t i = mml_meta_ref_slot(ref);

	/*
	 * Any generation: an entry naming an older one has lost its
	 * metadata already, and keeping the slot a while longer is safe.
	 */
	if (t->recount == NULL || i == 0 || i > t->n)
		return;
	if (seq > t->recount[i])
		t->recount[i] = seq;
}

void
mml_metatab_recount_end(struct mml_metatab *t, int complete)
{
	uint64_t *count = t->recount;
	uint32_t i;

	t->recount = NULL;
	if (count == NULL)
		return;
	if (complete) {
		/*
		 * Only ever lower: what the open assumed (every entry before
		 * it) is the most an entry in the ring can name.
		 */
		for (i = 1; i <= t->n; i++)
			if (count[i] < t->s[i].last_seq)
				t->s[i].last_seq = count[i];
		/*
		 * Without memory to sort, the list stays as it was: a slot
		 * lowered behind the head is freed later than it could be,
		 * never sooner.
		 */
		(void)list_sort(t);
	}
	free(count);
}

struct mml_metatab *
mml_metatab_free(struct mml_metatab *t)
{
	if (t == NULL)
		return NULL;
	free(t->recount);
	free(t->buckets);
	free(t);
	return NULL;
}

uint32_t
mml_metatab_ref(struct mml_metatab *t, const uint8_t *block, uint32_t len,
    uint32_t hash, uint64_t seq, uint64_t tail_seq)
{
	struct mml_meta_slot h;
	struct slot *s;
	uint16_t i;

	for (i = t->buckets[hash & t->mask]; i != 0; i = t->s[i].chain) {
		const uint8_t *p = slot_at(t, i);

		if (t->s[i].hash != hash)
			continue;
		memcpy(&h, p, sizeof(h));
		if (h.len == len && h.gen == t->s[i].gen &&
		    memcmp(p + sizeof(h), block, len) == 0)
			break;
	}
	if (i == 0) {
		/* New fields: the least recently named slot, if it is free. */
		i = t->head;
		s = &t->s[i];
		if (s->last_seq >= tail_seq && s->last_seq != 0) {
			t->st.full++;
			return 0;
		}
		chain_del(t, i);
		/* A new generation, never 0; the old one named no live entry. */
		s->gen = (uint16_t)(s->gen == UINT16_MAX ? 1 : s->gen + 1);
		mml_meta_slot_write(slot_at(t, i), i, s->gen, seq, 0, block,
		    len, t->seed);
		chain_add(t, i, hash);
		mark_dirty(t, i);
		t->st.written++;
	}
	s = &t->s[i];
	s->last_seq = seq;
	if (t->tail != i) {
		list_unlink(t, i);
		list_append(t, i);
	}
	return mml_meta_ref(i, s->gen);
}

uint32_t
mml_metatab_again(struct mml_metatab *t, uint32_t ref, uint64_t seq)
{
	uint16_t i = mml_meta_ref_slot(ref);
	struct slot *s;

	if (i == 0 || i > t->n)
		return 0;
	s = &t->s[i];
	if (!s->hashed || s->gen != mml_meta_ref_gen(ref))
		return 0;
	/*
	 * The file must still hold the slot, as the lookup's read of it
	 * makes sure: a file cut short under the writer faults here (the
	 * caller repairs it), and the zeros a repair leaves have
	 * generation 0, which no slot is given.  One load of a line the
	 * slot's last use left in the cache.
	 */
	if (*(volatile const uint16_t *)(slot_at(t, i) +
	    offsetof(struct mml_meta_slot, gen)) != s->gen)
		return 0;
	s->last_seq = seq;
	if (t->tail != i) {
		list_unlink(t, i);
		list_append(t, i);
	}
	return ref;
}

void
mml_metatab_take_dirty(struct mml_metatab *t, uint64_t *ret_off,
    uint64_t *ret_len)
{
	uint64_t lo, hi;

	if (t->dirty_hi == 0) {
		*ret_off = *ret_len = 0;
		return;
	}
	lo = (uint64_t)(t->dirty_lo - 1) * MML_META_SLOT_SIZE / PAGE * PAGE;
	hi = ((uint64_t)t->dirty_hi * MML_META_SLOT_SIZE + PAGE - 1) / PAGE *
	    PAGE;
	*ret_off = lo;
	*ret_len = hi - lo;
	t->dirty_lo = t->dirty_hi = 0;
}

void
mml_metatab_dirty_all(struct mml_metatab *t)
{
	mark_dirty(t, 1);
	mark_dirty(t, (uint16_t)t->n);
}

void
mml_metatab_seal(struct mml_metatab *t)
{
	struct mml_meta_slot h;
	uint32_t i;

	/*
	 * Every slot whose stored last_seq is not the one in memory: also
	 * those not named since this open, which a crash before it may have
	 * left with an older value than the entries that name them.
	 */
	for (i = 1; i <= t->n; i++) {
		uint8_t *p = slot_at(t, (uint16_t)i);

		if (!t->s[i].hashed)
			continue;
		memcpy(&h, p, sizeof(h));
		if (h.last_seq == t->s[i].last_seq)
			continue;
		mml_meta_slot_seal(p, t->s[i].last_seq, t->seed);
		mark_dirty(t, (uint16_t)i);
	}
}

void
mml_metatab_reset(struct mml_metatab *t)
{
	uint32_t i;

	memset(t->table, 0, (size_t)t->n * MML_META_SLOT_SIZE);
	memset(t->buckets, 0, ((size_t)t->mask + 1) * sizeof(uint16_t));
	memset(&t->s[0], 0, ((size_t)t->n + 1) * sizeof(t->s[0]));
	t->head = t->tail = 0;
	for (i = 1; i <= t->n; i++)
		list_append(t, (uint16_t)i);
	t->st.used = 0;
	t->st.damaged = 0;
	mark_dirty(t, 1);
	mark_dirty(t, (uint16_t)t->n);
}

void
mml_metatab_stats(const struct mml_metatab *t, struct mml_metatab_stats *ret)
{
	*ret = t->st;
}
