/*
 * match.c: journalctl's matches over the fields of an entry (ringread.h
 * says the shape: clauses ANDed, groups ORed, terms on different fields
 * ANDed, a term's values ORed, as sd_journal's levels are).  An entry is
 * tested by walking its fields once with the field iterator (fields.c):
 * each term its field meets is marked, then the clauses are judged.
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
	int		 hit;		/* during a test */
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
};

static int	 value_matches(struct mml_rd_match *, const struct value *,
		    const uint8_t *, size_t);
static int	 is_glob(const char *);

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

int
mml_rd_match_test(struct mml_rd_match *m, struct mml_rd_ring *ring,
    const struct mml_rec *rec)
{
	struct mml_rd_fields fi;
	struct term *t;
	const char *k;
	const uint8_t *v;
	size_t kl, vl, i, j, g_start;
	unsigned c, g;
	int clause_ok, group_ok;

	m->stale = 0;
	if (m->n_terms == 0)
		return 1;
	for (i = 0; i < m->n_terms; i++)
		m->terms[i].hit = 0;
	mml_rd_fields_begin(&fi, ring, rec, 0);
	mml_rd_fields_only(&fi, m->sources);
	while (mml_rd_fields_next(&fi, &k, &kl, &v, &vl)) {
		for (i = 0; i < m->n_terms; i++) {
			t = &m->terms[i];
			if (t->hit || t->field_len != kl ||
			    memcmp(t->field, k, kl) != 0)
				continue;
			for (j = 0; j < t->n_vals && !t->hit; j++)
				t->hit = value_matches(m, &t->vals[j], v, vl);
		}
	}
	m->stale = mml_rd_fields_meta_stale(&fi);
	/*
	 * Terms are stored clause by clause, group by group: each clause
	 * needs one group whose terms all hit.
	 */
	for (i = 0; i < m->n_terms;) {
		c = m->terms[i].clause;
		clause_ok = 0;
		while (i < m->n_terms && m->terms[i].clause == c) {
			g = m->terms[i].group;
			g_start = i;
			group_ok = 1;
			for (; i < m->n_terms && m->terms[i].clause == c &&
			    m->terms[i].group == g; i++)
				group_ok &= m->terms[i].hit;
			clause_ok |= group_ok && i > g_start;
		}
		if (!clause_ok)
			return 0;
	}
	return 1;
}
