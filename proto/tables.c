/*
 * tables.c: the metadata slots and the boot table of a ring (tables.h,
 * proto/FORMAT.md).  Pure: geometry, encoding and checks of copies.
 */
#include <string.h>

#include "tables.h"

/* The CRC of a slot whose header and block are at s, len bytes of block. */
static uint32_t
slot_crc(const uint8_t *s, uint32_t len, uint32_t seed)
{
	return mml_crc32c(seed, s + 4, sizeof(struct mml_meta_slot) - 4 + len);
}

void
mml_meta_slot_write(uint8_t *dst, uint16_t slot, uint16_t gen,
    uint64_t first_seq, uint64_t last_seq, const void *block, uint32_t len,
    uint32_t seed)
{
	struct mml_meta_slot h;
	uint32_t crc;

	memset(&h, 0, sizeof(h));
	h.len = len;
	h.gen = gen;
	h.slot = slot;
	h.first_seq = first_seq;
	h.last_seq = last_seq;
	memcpy(dst, &h, sizeof(h));
	if (len > 0)
		memcpy(dst + sizeof(h), block, len);
	memset(dst + sizeof(h) + len, 0, MML_META_SLOT_ROOM - len);
	crc = slot_crc(dst, len, seed);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n((uint32_t *)(void *)dst, crc, __ATOMIC_RELAXED);
}

void
mml_meta_slot_seal(uint8_t *dst, uint64_t last_seq, uint32_t seed)
{
	struct mml_meta_slot h;

	memcpy(&h, dst, sizeof(h));
	h.crc = 0;
	h.last_seq = last_seq;
	memcpy(dst, &h, sizeof(h));
	h.crc = slot_crc(dst, h.len, seed);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n((uint32_t *)(void *)dst, h.crc, __ATOMIC_RELAXED);
}

int
mml_meta_slot_check(const uint8_t *copy, uint16_t slot, uint32_t seed)
{
	static const struct mml_meta_slot zero;
	struct mml_meta_slot h;
	const uint8_t *item;
	size_t off = 0, len, kl;
	int r;

	memcpy(&h, copy, sizeof(h));
	if (memcmp(&h, &zero, sizeof(h)) == 0)
		return 0;
	if (h.len > MML_META_SLOT_ROOM || h.gen == 0 || h.slot != slot ||
	    h.reserved != 0 || slot_crc(copy, h.len, seed) != h.crc)
		return -1;
	while ((r = mml_fields_next(copy + sizeof(h), h.len, &off, &item, &len,
	    &kl)) > 0)
		;
	return r == 0 ? 1 : -1;
}

void
mml_boot_make(struct mml_boot *b, const uint8_t boot_id[16],
    uint64_t first_seq, uint64_t first_realtime, uint64_t first_monotonic,
    uint32_t seed)
{
	memset(b, 0, sizeof(*b));
	memcpy(b->boot_id, boot_id, 16);
	b->first_seq = first_seq;
	b->first_realtime = first_realtime;
	b->first_monotonic = first_monotonic;
	b->crc = mml_crc32c(seed, b, offsetof(struct mml_boot, crc));
}

int
mml_boot_check(const struct mml_boot *b, uint32_t seed)
{
	static const struct mml_boot zero;

	if (memcmp(b, &zero, sizeof(zero)) == 0)
		return 0;
	if (b->reserved != 0 || b->first_seq == 0 ||
	    mml_crc32c(seed, b, offsetof(struct mml_boot, crc)) != b->crc)
		return -1;
	return 1;
}

size_t
mml_boots_sorted(const struct mml_boot *table, uint32_t seed,
    struct mml_boot ret[MML_BOOT_MAX], unsigned ret_pos[MML_BOOT_MAX])
{
	struct mml_boot b;
	size_t n = 0, i, j;
	unsigned pos[MML_BOOT_MAX];

	for (i = 0; i < MML_BOOT_MAX; i++) {
		memcpy(&b, &table[i], sizeof(b));
		if (mml_boot_check(&b, seed) != 1)
			continue;
		/* Insertion by first_seq; a repeated first_seq is dropped. */
		for (j = n; j > 0 && ret[j - 1].first_seq > b.first_seq; j--)
			;
		if (j > 0 && ret[j - 1].first_seq == b.first_seq)
			continue;
		memmove(&ret[j + 1], &ret[j], (n - j) * sizeof(ret[0]));
		memmove(&pos[j + 1], &pos[j], (n - j) * sizeof(pos[0]));
		ret[j] = b;
		pos[j] = (unsigned)i;
		n++;
	}
	if (ret_pos != NULL)
		memcpy(ret_pos, pos, n * sizeof(pos[0]));
	return n;
}

int
mml_boots_find(const struct mml_boot *boots, size_t n, uint64_t seq)
{
	size_t lo = 0, hi = n;

	/* The first whose first_seq > seq; the one before it holds seq. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (boots[mid].first_seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int)lo - 1;
}
