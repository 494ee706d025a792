/*
 * match.c: journalctl's matches over the fields of an entry (ringread.h
 * says the shape: clauses ANDed, groups ORed, terms on different fields
 * ANDed, a term's values ORed, as sd_journal's levels are).  An entry is
 * tested by walking its fields once with the field iterator (fields.c):
 * each term its field meets is marked, then the clauses are judged.
 *
 * Most of what a match on trusted metadata asks (_SYSTEMD_UNIT, _EXE,
 * _TRANSPORT...; -u and -k) is in the metadata slot an entry names,
 * which the entries of one sender share: the slot's part is judged once
 * per slot and remembered while the slot stays as it was (the version
 * of its content: mml_rd_meta_version()), not once per entry.  For an
 * entry that names a slot, each term is then known to hit (the slot has
 * it), or, if the entry has no fields block, known to miss unless it is
 * on a field derived from the record (PRIORITY, _PID...); the clauses
 * are judged in three values (hit, miss, unknown: Kleene's logic), once
 * per slot for an entry with a fields block and once for one without.
 * Only an entry the slot alone does not decide has its own fields
 * walked, without the slot's.  The answer, and whether the entry was
 * judged without its metadata (mml_rd_match_stale()), are the same as
 * the walk of every field gives, which still judges the entries that
 * carry their metadata inline or none.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "ringread.h"

/* A value a term accepts. */
struct value {
	char		*s;		/* NUL-terminated, for fnmatch() */
	size_t		 len;
	int		 glob;
	const char	*suffix;	/* the field must also end with it */
};

/* FIELD=any of its values, in group `group` of clause `clause`. */
struct term {
	unsigned	 clause, group;
	char		*field;
	size_t		 field_len;
	struct value	*vals;
	size_t		 n_vals;
	int		 hit;		/* during a test: MISS, HIT, UNKNOWN */
};

/* A term's or a clause's value: Kleene's three. */
#define MISS		0
#define HIT		1
#define UNKNOWN		2

/* What the match found in one metadata slot (per_slot()). */
struct slot {
	uint64_t	 version;	/* of the slot's content; 0 none yet */
	uint64_t	 hits;		/* the terms its fields hit */
	uint8_t		 judged[2];	/* the match, for an entry without or
					   with a fields block of its own */
};

struct mml_rd_match {
	struct term	*terms;
	size_t		 n_terms;
	unsigned	 clause;	/* where the next term goes */
	unsigned	 group;
	char		*buf;		/* a value, NUL-terminated, for globs */
	size_t		 buf_cap;
	int		 stale;		/* the last entry had no metadata */
	unsigned	 sources;	/* where the terms' fields can be */
	/* Judging per slot: set up for the terms as they are. */
	int		 ready;
	int		 by_slot;	/* this match is judged per slot */
	int		 each;		/* never per slot (the tests') */
	uint64_t	 stored;	/* terms on fields an entry stores */
	uint8_t		 judged_none[2];	/* with no slot fields */
	struct slot	*slots;		/* one per slot number */
	uint32_t	 n_slots;
	struct mml_rd_match_stats st;
};

static int	 value_matches(struct mml_rd_match *, const struct value *,
		    const uint8_t *, size_t);
static int	 is_glob(const char *);
static int	 term_hit(struct mml_rd_match *, struct term *, const uint8_t *,
		    size_t);
static void	 mark(struct mml_rd_match *, struct mml_rd_fields *);
static int	 judge(const struct mml_rd_match *);
static int	 judge_known(struct mml_rd_match *, uint64_t, int);
static void	 prepare(struct mml_rd_match *);
static void	 slot_derive(struct mml_rd_match *, struct slot *,
		    const uint8_t *, size_t);
static int	 per_slot(struct mml_rd_match *, struct mml_rd_ring *,
		    const struct mml_rec *);
static int	 per_entry(struct mml_rd_match *, struct mml_rd_ring *,
		    const struct mml_rec *);

struct mml_rd_match *
mml_rd_match_new(void)
{
	return calloc(1, sizeof(struct mml_rd_match));
}

struct mml_rd_match *
mml_rd_match_free(struct mml_rd_match *m)
{
	size_t i, j;

	if (m == NULL)
		return NULL;
	for (i = 0; i < m->n_terms; i++) {
		for (j = 0; j < m->terms[i].n_vals; j++)
			free(m->terms[i].vals[j].s);
		free(m->terms[i].vals);
		free(m->terms[i].field);
	}
	free(m->terms);
	free(m->buf);
	free(m->slots);
	free(m);
	return NULL;
}

int
mml_rd_match_empty(const struct mml_rd_match *m)
{
	return m->n_terms == 0;
}

int
mml_rd_match_add(struct mml_rd_match *m, const char *field, size_t field_len,
    const char *value, size_t value_len, int glob, const char *suffix)
{
	struct term *t = NULL, *nt;
	struct value *nv;
	size_t i;

	/*
	 * sd_journal_add_match()'s rule: A-Z, 0-9 and _, not "__" first (a
	 * leading digit is allowed, though no field can have it).
	 */
	if (field_len == 0 || field_len > MML_FIELD_KEY_MAX ||
	    (field_len >= 2 && field[0] == '_' && field[1] == '_'))
		return -EINVAL;
	for (i = 0; i < field_len; i++)
		if (!((field[i] >= 'A' && field[i] <= 'Z') ||
		    (field[i] >= '0' && field[i] <= '9') || field[i] == '_'))
			return -EINVAL;
	for (i = 0; i < m->n_terms; i++) {
		t = &m->terms[i];
		if (t->clause == m->clause && t->group == m->group &&
		    t->field_len == field_len &&
		    memcmp(t->field, field, field_len) == 0)
			break;
	}
	if (i == m->n_terms) {
		nt = reallocarray(m->terms, m->n_terms + 1, sizeof(*nt));
		if (nt == NULL)
			return -ENOMEM;
		m->terms = nt;
		t = &m->terms[m->n_terms];
		memset(t, 0, sizeof(*t));
		t->clause = m->clause;
		t->group = m->group;
		t->field = strndup(field, field_len);
		if (t->field == NULL)
			return -ENOMEM;
		t->field_len = field_len;
		m->n_terms++;
		m->sources |= mml_rd_fields_sources(field, field_len);
	}
	m->ready = 0;
	nv = reallocarray(t->vals, t->n_vals + 1, sizeof(*nv));
	if (nv == NULL)
		return -ENOMEM;
	t->vals = nv;
	nv = &t->vals[t->n_vals];
	nv->s = malloc(value_len + 1);
	if (nv->s == NULL)
		return -ENOMEM;
	memcpy(nv->s, value, value_len);
	nv->s[value_len] = '\0';
	nv->len = value_len;
	nv->glob = glob;
	nv->suffix = suffix;
	t->n_vals++;
	return 0;
}

int
mml_rd_match_add_word(struct mml_rd_match *m, const char *word)
{
	const char *eq;

	if (strcmp(word, "+") == 0)
		return mml_rd_match_or(m);
	eq = strchr(word, '=');
	if (eq == NULL)
		return -EINVAL;
	return mml_rd_match_add(m, word, (size_t)(eq - word), eq + 1,
	    strlen(eq + 1), 0, NULL);
}

int
mml_rd_match_or(struct mml_rd_match *m)
{
	if (m->n_terms > 0 && m->terms[m->n_terms - 1].clause == m->clause &&
	    m->terms[m->n_terms - 1].group == m->group)
		m->group++;
	return 0;
}

int
mml_rd_match_and(struct mml_rd_match *m)
{
	if (m->n_terms > 0 && m->terms[m->n_terms - 1].clause == m->clause) {
		m->clause++;
		m->group = 0;
	}
	return 0;
}

static int
is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

int
mml_rd_match_add_unit(struct mml_rd_match *m, const char *unit)
{
	static const char coredump[] = "fc2e22bc6ee647b6b90729ab34a250b1";
	size_t n = strlen(unit);
	int glob = is_glob(unit), r;

#define ADD(f, v, vl, g, sfx) do {					\
	if ((r = mml_rd_match_add(m, f, strlen(f), v, vl, g, sfx)) < 0)	\
		return r;						\
} while (0)
	/* The unit's own entries. */
	ADD("_SYSTEMD_UNIT", unit, n, glob, NULL);
	/* Coredumps of the unit. */
	(void)mml_rd_match_or(m);
	ADD("MESSAGE_ID", coredump, sizeof(coredump) - 1, 0, NULL);
	ADD("_UID", "0", 1, 0, NULL);
	ADD("COREDUMP_UNIT", unit, n, glob, NULL);
	/* What systemd (pid 1) says about it. */
	(void)mml_rd_match_or(m);
	ADD("_PID", "1", 1, 0, NULL);
	ADD("UNIT", unit, n, glob, NULL);
	/* What privileged daemons say about it. */
	(void)mml_rd_match_or(m);
	ADD("_UID", "0", 1, 0, NULL);
	ADD("OBJECT_SYSTEMD_UNIT", unit, n, glob, NULL);
	/* A slice: everything in it. */
	if (glob || (n > 6 && strcmp(unit + n - 6, ".slice") == 0)) {
		(void)mml_rd_match_or(m);
		ADD("_SYSTEMD_SLICE", unit, n, glob, glob ? ".slice" : NULL);
	}
#undef ADD
	return mml_rd_match_or(m);
}

/* Whether the value v[0, len) is one val accepts. */
static int
value_matches(struct mml_rd_match *m, const struct value *val,
    const uint8_t *v, size_t len)
{
	char *nb;
	size_t sl;

	if (!val->glob)
		return len == val->len && memcmp(v, val->s, len) == 0;
	if (val->suffix != NULL) {
		sl = strlen(val->suffix);
		if (len < sl || memcmp(v + len - sl, val->suffix, sl) != 0)
			return 0;
	}
	/* A NUL inside the value cannot match a pattern of text. */
	if (memchr(v, '\0', len) != NULL)
		return 0;
	if (len + 1 > m->buf_cap) {
		nb = realloc(m->buf, len + 1);
		if (nb == NULL)
			return 0;
		m->buf = nb;
		m->buf_cap = len + 1;
	}
	memcpy(m->buf, v, len);
	m->buf[len] = '\0';
	return fnmatch(val->s, m->buf, 0) == 0;
}

int
mml_rd_match_stale(const struct mml_rd_match *m)
{
	return m->stale;
}

/* Whether t accepts the value v[0, len), its field's. */
static int
term_hit(struct mml_rd_match *m, struct term *t, const uint8_t *v, size_t len)
{
	size_t j;

	for (j = 0; j < t->n_vals; j++)
		if (value_matches(m, &t->vals[j], v, len))
			return 1;
	return 0;
}

/* Marks the terms the fields fi yields hit (the others as they were). */
static void
mark(struct mml_rd_match *m, struct mml_rd_fields *fi)
{
	struct term *t;
	const char *k;
	const uint8_t *v;
	size_t kl, vl, i;

	while (mml_rd_fields_next(fi, &k, &kl, &v, &vl)) {
		for (i = 0; i < m->n_terms; i++) {
			t = &m->terms[i];
			if (t->hit == HIT || t->field_len != kl ||
			    memcmp(t->field, k, kl) != 0)
				continue;
			if (term_hit(m, t, v, vl))
				t->hit = HIT;
		}
	}
}

/*
 * The clauses judged from the terms' values: MISS, HIT or UNKNOWN.
 * Terms are stored clause by clause, group by group: each clause needs
 * one group whose terms all hit.
 */
static int
judge(const struct mml_rd_match *m)
{
	const struct term *t = m->terms, *end = m->terms + m->n_terms;
	int all = HIT, any, each;
	unsigned c, g;

	while (t < end) {
		c = t->clause;
		any = MISS;
		while (t < end && t->clause == c) {
			g = t->group;
			each = HIT;
			for (; t < end && t->clause == c && t->group == g; t++)
				if (t->hit == MISS || each == MISS)
					each = MISS;
				else if (t->hit == UNKNOWN)
					each = UNKNOWN;
			if (each == HIT || any == HIT)
				any = HIT;
			else if (each == UNKNOWN)
				any = UNKNOWN;
		}
		if (any == MISS)
			return MISS;
		if (any == UNKNOWN)
			all = UNKNOWN;
	}
	return all;
}

/*
 * The match for an entry whose slot gave the terms in hits, judged
 * before its own fields are read: a term on a stored field hits if the
 * slot has it, else misses if the entry has no fields block (own set),
 * else is unknown; a term on a field derived from the record is
 * unknown.
 */
static int
judge_known(struct mml_rd_match *m, uint64_t hits, int own)
{
	size_t i;

	for (i = 0; i < m->n_terms; i++)
		if (hits & (1ULL << i))
			m->terms[i].hit = HIT;
		else if ((m->stored & (1ULL << i)) && !own)
			m->terms[i].hit = MISS;
		else
			m->terms[i].hit = UNKNOWN;
	return judge(m);
}

/*
 * Decides, once the terms are all there, whether the match is judged
 * per slot: it has a term on a field the slot can hold, at most 64
 * terms (a bit each), and none on _BOOT_ID, which the field iterator
 * takes from the slot only for entries the boot table does not cover.
 */
static void
prepare(struct mml_rd_match *m)
{
	unsigned src;
	size_t i;

	m->ready = 1;
	m->stored = 0;
	m->by_slot = !m->each && m->n_terms <= 64 &&
	    (m->sources & mml_rd_fields_src_slot()) != 0;
	for (i = 0; i < m->n_terms; i++) {
		src = mml_rd_fields_sources(m->terms[i].field,
		    m->terms[i].field_len);
		if (src & mml_rd_fields_src_block())
			m->stored |= 1ULL << i;
		if (strcmp(m->terms[i].field, "_BOOT_ID") == 0)
			m->by_slot = 0;
	}
	/* What every slot seen so far hit was for other terms. */
	free(m->slots);
	m->slots = NULL;
	m->n_slots = 0;
	if (!m->by_slot)
		return;
	m->judged_none[0] = (uint8_t)judge_known(m, 0, 0);
	m->judged_none[1] = (uint8_t)judge_known(m, 0, 1);
}

/*
 * What the slot's fields hit, as the field iterator yields them (a name
 * that is not journald's is not yielded; one that the iterator derives
 * from the record is never a stored term's; one the entry's own block
 * repeats is yielded from there instead, to the same effect), and the
 * match judged from that.
 */
static void
slot_derive(struct mml_rd_match *m, struct slot *sl, const uint8_t *b,
    size_t len)
{
	const uint8_t *item;
	size_t off = 0, il, kl, i;
	uint64_t hits = 0;
	struct term *t;

	while (mml_fields_next(b, len, &off, &item, &il, &kl) > 0) {
		if (!mml_rd_field_name_valid(item, kl))
			continue;
		for (i = 0; i < m->n_terms; i++) {
			t = &m->terms[i];
			if (!(m->stored & (1ULL << i)) || (hits & (1ULL << i)) ||
			    t->field_len != kl || memcmp(t->field, item, kl) != 0)
				continue;
			if (term_hit(m, t, item + kl + 1, il - kl - 1))
				hits |= 1ULL << i;
		}
	}
	sl->hits = hits;
	sl->judged[0] = (uint8_t)judge_known(m, hits, 0);
	sl->judged[1] = (uint8_t)judge_known(m, hits, 1);
}

/*
 * An entry that names a slot, judged by what the match found in the
 * slot, and by its own fields (without the slot's) only if that does
 * not decide.  Returns 1 or 0; -1 to judge it per entry instead (no
 * memory, or a slot number the ring has no slot for).
 */
static int
per_slot(struct mml_rd_match *m, struct mml_rd_ring *ring,
    const struct mml_rec *rec)
{
	struct mml_rd_fields fi;
	struct slot *sl;
	const uint8_t *b = NULL;
	size_t len = 0, i;
	uint64_t hits = 0, v = 0;
	uint16_t n = mml_meta_ref_slot(rec->hdr.meta);
	int own = rec->hdr.fields_len > 0, j;

	/* Versions are never given twice: a ring of as many slots will do. */
	if (m->n_slots != ring->meta_slots) {
		free(m->slots);
		m->n_slots = 0;
		m->slots = ring->meta_slots > 0 ? calloc(ring->meta_slots,
		    sizeof(*m->slots)) : NULL;
		if (m->slots != NULL)
			m->n_slots = ring->meta_slots;
	}
	if (n == 0 || n > m->n_slots)
		return -1;
	sl = &m->slots[n - 1];
	m->stale = mml_rd_meta_version(ring, rec, sl->version, &v, &b,
	    &len) != 1;
	if (!m->stale && v != sl->version) {
		m->st.slot_versions++;
		slot_derive(m, sl, b, len);
		sl->version = v;
	}
	if (!m->stale)
		hits = sl->hits;
	j = m->stale ? m->judged_none[own] : sl->judged[own];
	if (j != UNKNOWN) {
		m->st.by_slot++;
		return j == HIT;
	}
	/* The entry's own fields decide, with what the slot hit. */
	m->st.by_fields++;
	for (i = 0; i < m->n_terms; i++)
		m->terms[i].hit = (hits & (1ULL << i)) ? HIT : MISS;
	mml_rd_fields_begin(&fi, ring, rec, 0);
	mml_rd_fields_only(&fi, m->sources & ~mml_rd_fields_src_slot());
	mark(m, &fi);
	return judge(m) == HIT;
}

/* An entry judged by every field it has, its slot's included. */
static int
per_entry(struct mml_rd_match *m, struct mml_rd_ring *ring,
    const struct mml_rec *rec)
{
	struct mml_rd_fields fi;
	size_t i;

	m->st.per_entry++;
	for (i = 0; i < m->n_terms; i++)
		m->terms[i].hit = MISS;
	mml_rd_fields_begin(&fi, ring, rec, 0);
	mml_rd_fields_only(&fi, m->sources);
	mark(m, &fi);
	m->stale = mml_rd_fields_meta_stale(&fi);
	return judge(m) == HIT;
}

int
mml_rd_match_test(struct mml_rd_match *m, struct mml_rd_ring *ring,
    const struct mml_rec *rec)
{
	int r;

	m->stale = 0;
	if (m->n_terms == 0)
		return 1;
	if (!m->ready)
		prepare(m);
	if (m->by_slot && ring != NULL && (rec->hdr.flags & MML_REC_F_META)) {
		r = per_slot(m, ring, rec);
		if (r >= 0)
			return r;
	}
	return per_entry(m, ring, rec);
}

void
mml_rd_match_per_entry(struct mml_rd_match *m, int on)
{
	m->each = on != 0;
	m->ready = 0;
}

void
mml_rd_match_stats(const struct mml_rd_match *m,
    struct mml_rd_match_stats *ret)
{
	*ret = m->st;
}
