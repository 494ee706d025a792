/*
 * tables.h: the ring's two tables beside its records (tables.c), laid
 * out byte by byte in proto/FORMAT.md ("Metadata slots", "Boots"):
 *
 *   - the metadata table (MML_INCOMPAT_META): slots of 1024 bytes after
 *     the seek index, each holding the trusted fields of a sender (a
 *     fields block: _EXE, _CMDLINE, _SYSTEMD_UNIT, ...) once for all the
 *     entries that name it by the `meta` word of their record header
 *     (slot number and generation);
 *   - the boot table (MML_COMPAT_BOOTS): 64 entries of 48 bytes in the
 *     header page, bytes 1024..4096, one per boot whose entries the ring
 *     may hold: its boot id, first seq and first times.
 *
 * Pure, like disk.h: the functions check and encode copies or maps the
 * caller owns, and trust nothing they read.  CRCs are seeded with the
 * ring's seed (disk.h's mml_disk_crc_seed(): 0 for an unkeyed ring), as
 * every record's.
 */
#ifndef MML_TABLES_H
#define MML_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "disk.h"

/* Metadata slots (the table's geometry is disk.h's: mml_meta_slots()). */
/*
 * The header of a slot; its fields block follows at byte 32, len bytes,
 * then zeros to the end of the slot.
 */
struct mml_meta_slot {
	uint32_t crc;		/*  0: CRC32C (seeded) of bytes [4, 32 + len) */
	uint32_t len;		/*  4: bytes of the fields block */
	uint16_t gen;		/*  8: generation, 1..65535; 0: never written */
	uint16_t slot;		/* 10: its own number, 1..slots */
	uint32_t reserved;	/* 12: 0 */
	uint64_t first_seq;	/* 16: first entry naming this generation */
	uint64_t last_seq;	/* 24: newest entry naming it, at a clean close */
};
_Static_assert(sizeof(struct mml_meta_slot) == 32, "meta slot header");
_Static_assert(offsetof(struct mml_meta_slot, len) == 4, "len");
_Static_assert(offsetof(struct mml_meta_slot, gen) == 8, "gen");
_Static_assert(offsetof(struct mml_meta_slot, slot) == 10, "slot");
_Static_assert(offsetof(struct mml_meta_slot, reserved) == 12, "reserved");
_Static_assert(offsetof(struct mml_meta_slot, first_seq) == 16, "first");
_Static_assert(offsetof(struct mml_meta_slot, last_seq) == 24, "last");

/* Bytes of fields block a slot holds. */
#define MML_META_SLOT_ROOM	(MML_META_SLOT_SIZE - \
				    (uint32_t)sizeof(struct mml_meta_slot))

/*
 * A record's `meta` word (its header's bytes 60..64): the slot number in
 * the low 16 bits, the generation in the high 16; 0: none.
 */
static inline uint32_t
mml_meta_ref(uint16_t slot, uint16_t gen)
{
	return (uint32_t)gen << 16 | slot;
}

static inline uint16_t
mml_meta_ref_slot(uint32_t ref)
{
	return (uint16_t)(ref & 0xffff);
}

static inline uint16_t
mml_meta_ref_gen(uint32_t ref)
{
	return (uint16_t)(ref >> 16);
}

/*
 * Writes slot number `slot` (1-based), generation gen, at dst (a whole
 * slot, MML_META_SLOT_SIZE bytes): the header with its CRC zero, the
 * fields block[0, len) (len <= MML_META_SLOT_ROOM), zeros to the end,
 * then, after a release fence, the CRC seeded with seed.  A reader that
 * copies the slot meanwhile sees a CRC that does not match.
 */
void	mml_meta_slot_write(uint8_t *dst, uint16_t slot, uint16_t gen,
	    uint64_t first_seq, uint64_t last_seq, const void *block,
	    uint32_t len, uint32_t seed);

/*
 * Stores last_seq in the slot at dst, which checked, and seals it
 * again (the CRC last): what a writer does at a clean close.
 */
void	mml_meta_slot_seal(uint8_t *dst, uint64_t last_seq, uint32_t seed);

/*
 * Checks a copy of slot number `slot` (MML_META_SLOT_SIZE bytes):
 * returns 1 if it is written and whole (CRC, its own number, gen not 0,
 * reserved 0, len within the room, the fields block well formed), 0 if
 * it was never written (its header all zero), -1 if damaged.
 */
int	mml_meta_slot_check(const uint8_t *copy, uint16_t slot, uint32_t seed);

/* Boots. */
#define MML_BOOT_TABLE_OFF	1024	/* in the header page */
#define MML_BOOT_MAX		64

struct mml_boot {
	uint8_t  boot_id[16];		/*  0: the kernel's boot id */
	uint64_t first_seq;		/* 16: its first entry in this ring */
	uint64_t first_realtime;	/* 24: that entry's times, µs */
	uint64_t first_monotonic;	/* 32 */
	uint32_t crc;			/* 40: CRC32C (seeded) of [0, 40) */
	uint32_t reserved;		/* 44: 0 */
};
_Static_assert(sizeof(struct mml_boot) == 48, "boot entry");
_Static_assert(offsetof(struct mml_boot, first_seq) == 16, "first_seq");
_Static_assert(offsetof(struct mml_boot, first_realtime) == 24, "rt");
_Static_assert(offsetof(struct mml_boot, first_monotonic) == 32, "mono");
_Static_assert(offsetof(struct mml_boot, crc) == 40, "crc");
_Static_assert(MML_BOOT_TABLE_OFF + MML_BOOT_MAX * sizeof(struct mml_boot) ==
    MML_DISK_HEADER_SIZE, "the boot table ends the header page");

/* Fills *b, its CRC seeded with seed. */
void	mml_boot_make(struct mml_boot *b, const uint8_t boot_id[16],
	    uint64_t first_seq, uint64_t first_realtime,
	    uint64_t first_monotonic, uint32_t seed);

/* Checks a copy of one entry: 1 valid, 0 empty (all zero), -1 damaged. */
int	mml_boot_check(const struct mml_boot *b, uint32_t seed);

/*
 * The valid entries of a copy of the boot table (MML_BOOT_MAX entries,
 * as at header page byte MML_BOOT_TABLE_OFF) in ret[], oldest first
 * (by first_seq; of two with the same first_seq, damage, the first in
 * the table).  Returns how many.  Where each came from in the table is
 * in ret_pos[] (may be NULL).
 */
size_t	mml_boots_sorted(const struct mml_boot *table, uint32_t seed,
	    struct mml_boot ret[MML_BOOT_MAX], unsigned ret_pos[MML_BOOT_MAX]);

/*
 * Of boots[0, n) sorted oldest first, the one entry seq belongs to: the
 * last whose first_seq <= seq.  Returns its index, or -1 if seq is older
 * than every boot listed.
 */
int	mml_boots_find(const struct mml_boot *boots, size_t n, uint64_t seq);

#endif /* MML_TABLES_H */
