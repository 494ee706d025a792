/*
 * entry.c: building the entries the intakes hand to the ring, and
 * cutting an oversized one to --max-entry so that it is stored, marked,
 * rather than lost (entry.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "entry.h"
#include "util.h"
#include "wire.h"

static void	trim(struct mml_ent *, size_t);

int
mml_ent_add(struct mml_ent *e, const char *key, size_t key_len,
    const void *val, size_t val_len)
{
	size_t room;

	if (key_len == 0 || key_len > MML_FIELD_KEY_MAX)
		return -EINVAL;
	e->orig_size += 4 + key_len + 1 + (uint64_t)val_len;
	room = e->fields_cap - e->fields_len;
	if (!e->cut && room >= 4 + key_len + 1 && val_len <= room -
	    (4 + key_len + 1)) {
		(void)mml_fields_put(e->fields, e->fields_cap, &e->fields_len,
		    key, key_len, val, val_len);
		e->n_fields++;
		return 0;
	}
	/*
	 * Once something is cut, nothing after it is stored: a later
	 * small field must not make the cut look like a gap in the middle.
	 */
	if (!e->cut && room >= 4 + key_len + 2) {
		(void)mml_fields_put(e->fields, e->fields_cap, &e->fields_len,
		    key, key_len, val, room - (4 + key_len + 1));
		e->n_fields++;
	}
	e->cut = 1;
	return -ENOBUFS;
}

int
mml_ent_add_str(struct mml_ent *e, const char *key, const void *val,
    size_t val_len)
{
	return mml_ent_add(e, key, strlen(key), val, val_len);
}

int
mml_ent_add_u64(struct mml_ent *e, const char *key, uint64_t v)
{
	char buf[MML_DEC_MAX];
	size_t n;

	/* Not snprintf(): it was a tenth of a syslog datagram's parse. */
	n = mml_put_dec(buf, v);
	return mml_ent_add(e, key, strlen(key), buf, n);
}

/*
 * Cuts the entry to at most max bytes: the message keeps its first
 * bytes, then the fields that fit whole stay, the first that does not
 * is cut to the room left (if its key and a byte of value fit) and the
 * rest go.
 */
static void
trim(struct mml_ent *e, size_t max)
{
	const uint8_t *item;
	size_t off = 0, kept = 0, len, key_len, left;
	uint32_t item_len;
	unsigned n = 0;

	left = max - e->tag_len;
	if (e->msg_len >= left) {
		e->msg_len = left;
		e->fields_len = 0;
		e->n_fields = 0;
		return;
	}
	left -= e->msg_len;
	while (mml_fields_next(e->fields, e->fields_len, &off, &item, &len,
	    &key_len) > 0) {
		if (4 + len <= left) {
			left -= 4 + len;
			kept = off;
			n++;
			continue;
		}
		if (left >= 4 + key_len + 2) {
			item_len = (uint32_t)(left - 4);
			memcpy(e->fields + kept, &item_len, 4);
			kept += left;
			n++;
		}
		break;
	}
	e->fields_len = kept;
	e->n_fields = n;
}

int
mml_ent_fit(struct mml_ent *e, size_t max)
{
	char num[24];
	size_t note;
	int n;

	if (!e->cut && mml_ent_size(e) <= max)
		return 0;
	if (max < MML_ENT_FIT_MIN)
		max = MML_ENT_FIT_MIN;
	n = snprintf(num, sizeof(num), "%llu",
	    (unsigned long long)e->orig_size);
	note = 4 + strlen(MML_ENT_ORIG_SIZE_KEY) + 1 + (size_t)n;
	if (mml_ent_size(e) + note > max)
		trim(e, max - note);
	if (e->fields_cap - e->fields_len >= note) {
		(void)mml_fields_put(e->fields, e->fields_cap, &e->fields_len,
		    MML_ENT_ORIG_SIZE_KEY, strlen(MML_ENT_ORIG_SIZE_KEY), num,
		    (size_t)n);
		e->n_fields++;
	}
	e->cut = 1;
	return 1;
}
