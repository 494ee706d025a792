/*
 * ringmeta.c: the ring's tables beside the records (proto/FORMAT.md):
 * the boot table, one entry per boot with entries in the ring, and the
 * metadata slots that hold each sender's trusted fields once for all
 * its records (meta.h, metatab.h).  Loop thread only, as ring.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "meta.h"
#include "ring_internal.h"
#include "util.h"
#include "walk.h"
#include "wire.h"

static void ring_boot_plan(struct mml_ring *);
static void ring_meta_recount(struct mml_ring *);
static uint32_t meta_inline(struct mml_ring *, const struct mml_rec_hdr *,
    const void *, const struct mml_meta *);

/* The value of a lowercase hex digit, or -1. */
static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void
mml_boot_id(uint8_t id[16])
{
	const char *hook;
	char buf[64];
	ssize_t n;
	int fd, i, j;

	memset(id, 0, 16);
	/* Test hook (mmlogd(8), TESTING): another boot, as a reboot would. */
	hook = getenv("MMLOGD_TEST_BOOT_ID");
	if (hook != NULL && strlen(hook) == 32) {
		for (i = 0; i < 32; i++) {
			int v = hex_val(hook[i]);

			if (v < 0)
				break;
			id[i / 2] = (uint8_t)(id[i / 2] << 4 | v);
		}
		if (i == 32)
			return;
		memset(id, 0, 16);
	}
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* "xxxxxxxx-xxxx-...": the hex digits, the dashes skipped. */
	for (i = 0, j = 0; buf[i] != '\0' && j < 32; i++) {
		int v = hex_val(buf[i]);

		if (v < 0)
			continue;
		id[j / 2] = (uint8_t)(id[j / 2] << 4 | v);
		j++;
	}
}

/*
 * Where this boot's entry goes in the boot table, and whether it is
 * needed: not if the newest entry is this boot's.  Entries whose first
 * entry never came (numbered at or after the next seq: a daemon that
 * stopped before it, or damage) name no entry of the ring: they are
 * cleared, and the new entry goes after the newest that remains.
 */
static void
ring_boot_plan(struct mml_ring *r)
{
	static const uint8_t zero_id[16];
	struct mml_boot sorted[MML_BOOT_MAX];
	unsigned pos[MML_BOOT_MAX];
	size_t n;

	r->boot_pending = 0;
	if (r->boots == NULL || memcmp(r->boot_id, zero_id, 16) == 0)
		return;
	n = mml_boots_sorted(r->boots, r->crc_seed, sorted, pos);
	while (n > 0 && sorted[n - 1].first_seq >= r->next_seq) {
		memset(&r->boots[pos[n - 1]], 0, sizeof(struct mml_boot));
		n--;
	}
	if (n > 0 && memcmp(sorted[n - 1].boot_id, r->boot_id, 16) == 0)
		return;
	r->boot_pending = 1;
	r->boot_pos = n == 0 ? 0 : (pos[n - 1] + 1) % MML_BOOT_MAX;
}

/*
 * At open, after recovery: the keeper of the metadata table, which
 * reads every slot once, the buffer for entries that carry their
 * metadata inline, and the plan for this boot's entry.  -ENOMEM.
 */
int
ring_tables_open(struct mml_ring *r)
{
	struct mml_metatab_stats st;

	r->inline_buf = malloc(MML_FRAME_MAX);
	if (r->inline_buf == NULL)
		return -ENOMEM;
	if (r->meta_table != NULL) {
		r->metatab = mml_metatab_open(r->meta_table, r->meta_slots,
		    r->crc_seed, !r->was_dirty, r->next_seq);
		if (r->metatab == NULL)
			return -ENOMEM;
		if (r->was_dirty)
			ring_meta_recount(r);
		mml_metatab_stats(r->metatab, &st);
		if (st.damaged > 0)
			mml_log(LOG_WARNING, "ring '%s': %u of %u metadata "
			    "slots are damaged; entries naming them show no "
			    "metadata", r->path, st.damaged, st.slots);
	}
	ring_boot_plan(r);
	return 0;
}

/*
 * After a crash, which slots the entries in the ring still name: every
 * entry from the tail to the head says (mml_metatab_recount()).  One
 * walk of the ring, with CRCs, at an open after a crash only; if it
 * breaks, every slot stays named by every entry before this open.
 */
static void
ring_meta_recount(struct mml_ring *r)
{
	struct mml_walk w;
	struct mml_walk_pos pos;
	struct mml_rec rec;

	if (mml_metatab_recount_begin(r->metatab) < 0)
		return;
	mml_walk_init(&w, r->data, r->cap, r->next_seq, r->head_off,
	    r->crc_seed);
	pos.off = r->tail_off;
	pos.seq = r->tail_seq;
	while (pos.off != r->head_off || pos.seq < r->next_seq) {
		if (mml_walk_next(&w, &pos, &rec) == MML_WALK_BREAK)
			break;
		if (rec.hdr.type == MML_REC_ENTRY &&
		    (rec.hdr.flags & MML_REC_F_META))
			mml_metatab_recount(r->metatab, rec.hdr.meta,
			    rec.hdr.seq);
	}
	mml_metatab_recount_end(r->metatab, pos.off == r->head_off);
}

/*
 * Writes this boot's entry in the boot table, for the entry hdr about
 * to be written: CRC zero first, then the rest, then the CRC, so that a
 * reader copying it meanwhile finds it damaged and reads it again.
 */
void
ring_boot_note(struct mml_ring *r, const struct mml_rec_hdr *hdr)
{
	struct mml_boot b;
	uint64_t off = (uint64_t)((uint8_t *)&r->boots[r->boot_pos] - r->map);
	uint32_t zero = 0;

	mml_boot_make(&b, r->boot_id, hdr->seq, hdr->realtime_usec,
	    hdr->monotonic_usec, r->crc_seed);
	ring_store(r, off + offsetof(struct mml_boot, crc), &zero, 4);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	ring_store(r, off, &b, offsetof(struct mml_boot, crc));
	ring_store(r, off + offsetof(struct mml_boot, reserved), &zero, 4);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	ring_store(r, off + offsetof(struct mml_boot, crc), &b.crc, 4);
	r->boot_pending = 0;
}

void
mml_ring_meta_of(const struct mml_ring *r, const struct mml_rec *rec,
    struct mml_meta *ret)
{
	uint8_t copy[MML_META_SLOT_SIZE];
	struct mml_meta_slot h;
	uint16_t i = mml_meta_ref_slot(rec->hdr.meta);

	ret->len = 0;
	ret->hash = mml_crc32c(0, NULL, 0);
	if (!(rec->hdr.flags & MML_REC_F_META) || r->meta_table == NULL ||
	    i == 0 || i > r->meta_slots)
		return;
	memcpy(copy, r->meta_table + (size_t)(i - 1) * MML_META_SLOT_SIZE,
	    sizeof(copy));
	if (mml_meta_slot_check(copy, i, r->crc_seed) != 1)
		return;
	memcpy(&h, copy, sizeof(h));
	if (h.gen != mml_meta_ref_gen(rec->hdr.meta) ||
	    h.first_seq > rec->hdr.seq)
		return;
	memcpy(ret->block, copy + sizeof(h), h.len);
	ret->len = h.len;
	ret->hash = mml_crc32c(0, ret->block, h.len);
}

void
mml_ring_boots_take(struct mml_ring *r, const struct mml_ring *old)
{
	struct mml_boot sorted[MML_BOOT_MAX];
	size_t n, i;

	r->boot_hold = 1;
	if (r->boots == NULL || old->boots == NULL)
		return;
	n = mml_boots_sorted(old->boots, old->crc_seed, sorted, NULL);
	memset(r->boots, 0, MML_BOOT_MAX * sizeof(struct mml_boot));
	for (i = 0; i < n; i++)
		mml_boot_make(&r->boots[i], sorted[i].boot_id,
		    sorted[i].first_seq, sorted[i].first_realtime,
		    sorted[i].first_monotonic, r->crc_seed);
}

void
mml_ring_boots_release(struct mml_ring *r)
{
	r->boot_hold = 0;
	ring_boot_plan(r);
}

void
mml_ring_meta_hold(struct mml_ring *r, int on)
{
	r->meta_hold = on;
	r->memo_meta = NULL;
}

/*
 * The sender's trusted fields for hdr: the slot that holds them (the
 * last record's while meta is held; else found, or written now), or
 * inline in place of *fields if none is free.  A slot is free once the
 * header's tail, which readers and a crash go by, passed its entries:
 * with pwrite() the loop's may be ahead until the stage is written.
 */
void
ring_meta_attach(struct mml_ring *r, struct mml_rec_hdr *hdr,
    const void **fields, const struct mml_meta *meta)
{
	uint32_t ref = 0;

	if (r->metatab != NULL) {
		r->meta_busy = 1;
		if (meta == r->memo_meta)
			ref = mml_metatab_again(r->metatab, r->memo_ref,
			    r->next_seq);
		if (ref == 0)
			ref = mml_metatab_ref(r->metatab, meta->block,
			    meta->len, meta->hash, r->next_seq,
			    r->hdr->tail_seq);
		r->memo_meta = r->meta_hold && ref != 0 ? meta : NULL;
		r->memo_ref = ref;
		r->meta_busy = 0;
	}
	if (ref != 0) {
		hdr->flags |= MML_REC_F_META;
		hdr->meta = ref;
	} else if (r->inline_buf != NULL) {
		hdr->fields_len = meta_inline(r, hdr, *fields, meta);
		*fields = r->inline_buf;
		r->meta_inline++;
	}
}

/*
 * The entry's fields and, after them, the metadata's fields, as many as
 * fit in MML_FRAME_MAX with the tag and the message, into the ring's
 * inline buffer; returns the new fields length.  The metadata's fields
 * come in order of importance (meta.h), so what is left out is the
 * least of it.
 */
static uint32_t
meta_inline(struct mml_ring *r, const struct mml_rec_hdr *hdr,
    const void *fields, const struct mml_meta *meta)
{
	const uint8_t *item;
	size_t len = hdr->fields_len, off = 0, il, kl, room;

	room = MML_FRAME_MAX - hdr->tag_len - hdr->msg_len;
	if (len > 0)
		memcpy(r->inline_buf, fields, len);
	while (mml_fields_next(meta->block, meta->len, &off, &item, &il,
	    &kl) > 0)
		if (4 + il <= room - len) {
			memcpy(r->inline_buf + len, item - 4, 4 + il);
			len += 4 + il;
		}
	return (uint32_t)len;
}
