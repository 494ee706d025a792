/*
 * ring_internal.h: struct mml_ring, for ring.c and for the white-box
 * tests of the ring (tests/check_ring.c, tests/fuzz/fuzz_ring.c), which
 * read the map, the header and the loop thread's cursors directly and
 * simulate crashes, and the functions the ring's own files share.  No
 * other file of daemon/ includes it: the others see the ring through
 * ring.h alone.
 */
#ifndef MML_RING_INTERNAL_H
#define MML_RING_INTERNAL_H

#include <setjmp.h>
#include <stdint.h>

#include "disk.h"
#include "metatab.h"
#include "ring.h"
#include "tables.h"
#include "walk.h"

struct mml_ring {
	int fd;
	char *path;
	uint8_t *map;
	size_t map_len;
	struct mml_disk_header *hdr;
	uint8_t *data;
	uint64_t cap;
	uint32_t crc_seed;	/* mml_disk_crc_seed() of the header */
	uint8_t boot_id[16];
	struct mml_idx_slot *idx;	/* the seek index in the map */
	uint64_t idx_slots;
	unsigned idx_shift;
	uint64_t idx_bucket;	/* bucket of the last slot written this lap */
	/*
	 * MML_RING_WRITE_PWRITE: slots naming staged records, stored once
	 * the stage is in the file (mml_ring_flush()).  A stage (256 KiB)
	 * crosses at most 4 bucket boundaries (64 KiB at least,
	 * MML_IDX_SHIFT_MIN); should its first record start a bucket too,
	 * the fifth slot has the stage written first (ring_index_note()).
	 */
	struct {
		uint64_t b;
		struct mml_idx_slot slot;
	} idx_pend[4];
	unsigned n_idx_pend;
	uint64_t idx_damaged;	/* slots found damaged at open, cleared */
	/* The metadata table (MML_INCOMPAT_META) in the map, and its keeper. */
	uint8_t *meta_table;
	uint32_t meta_slots;
	struct mml_metatab *metatab;
	uint8_t *inline_buf;	/* fields + metadata, when no slot is free */
	uint64_t meta_inline;	/* entries that carried their metadata inline */
	/*
	 * mml_ring_meta_hold(): the metadata of the last record, while the
	 * caller holds it unchanged, and the slot that names it.
	 */
	int meta_hold;
	int meta_busy;		/* in the table: a fault there is no loss */
	const struct mml_meta *memo_meta;
	uint32_t memo_ref;
	/* The boot table (MML_COMPAT_BOOTS): where this boot's entry goes. */
	struct mml_boot *boots;	/* the table in the header page, or NULL */
	unsigned boot_pos;
	int boot_pending;	/* write it before the next entry */
	int boot_hold;		/* not yet: copying another ring's entries */

	/* Owned by the loop thread. */
	uint64_t head_off;	/* where the next record goes */
	uint64_t next_seq;	/* seq of the next entry */
	uint64_t tail_off, tail_seq;
	uint64_t seq_limit;	/* persisted: no seq >= this may be used */
	uint64_t synced_off;	/* head when the last sync job was made */
	uint64_t unsynced;	/* bytes written since */
	int wrapped;		/* head wrapped since */
	uint64_t durable_seq;	/* newest seq known durable */
	uint64_t durable_off;	/* ... and where the record after it goes */
	int cursor_unflushed;	/* the header's cursor is newer than on disk */
	struct mml_disk_header static_hdr;	/* to rebuild a lost header */
	uint64_t corrupt_skips;	/* bytes skipped over damaged records */
	int tail_damaged;	/* the tail is stepping over damaged bytes */
	uint64_t start_seq;	/* first seq this open numbers (recovery's head) */
	uint64_t start_off;	/* ... and where it went */
	uint64_t own_bytes;	/* bytes the head covered since, up to cap */

	/* What recovery found, for the log and status. */
	uint64_t recovered_entries;
	uint64_t lost_seqs;	/* sequence numbers skipped after power loss */
	int was_dirty;
	int recovered;		/* open finished: close may sync and mark clean */
	uint64_t bus_errors;	/* SIGBUS on the map, recovered */
	uint64_t repairs;	/* times ring_repair() restored the file */
	uint64_t restarts;	/* times the numbering restarted at 1 */

	/*
	 * How records reach the file (ring_reserve(), ring_store()).
	 * MML_RING_WRITE_PWRITE: stage holds the bytes of the data region
	 * [stage_off, stage_off + stage_len) not yet in the file; the
	 * header's head says pub_off and pub_seq until they are, and its
	 * tail stays where it was (tail_unpub) until they are written: the
	 * records they overwrite are whole until then, and a kill before
	 * the write must not lose them.
	 */
	enum mml_ring_write wmethod;
	uint8_t *stage;
	size_t stage_cap;
	size_t stage_len;
	uint64_t stage_off;
	int defer;		/* hold staged bytes until mml_ring_flush() */
	uint64_t pub_off, pub_seq;
	int tail_unpub;		/* tail_off, tail_seq not yet in the header */
	uint64_t pend_overwritten;	/* ... nor the entries it passed */
	uint64_t pend_entries, pend_bytes, pend_wraps;	/* not yet in the header */
	uint64_t write_errors;	/* pwrite() failures, the map used instead */
	uint64_t flushes;	/* pwrite() calls of the stage */

	/* Test hooks, from the environment (mmlogd(8), TESTING). */
	const char *test_stall_file;
	const char *test_fail_file;
};


/*
 * The functions the files of the ring share (ring.c, recover.c,
 * ringsync.c, ringctl.c); loop thread only, but for what sync.c runs.
 */
/*
 * How many sequence numbers are reserved on disk ahead of use.  After a
 * power loss the daemon restarts numbering at the reserved limit, so
 * this bounds the gap; it must cover what can be ingested between two
 * syncs, or the loop has to persist the limit itself (rare, counted).
 */
#define SEQ_RESERVE	((uint64_t)1 << 24)

/*
 * The limit a reservation ahead of next writes: never above MML_SEQ_MAX,
 * which no header may pass (a header over it is one no reader accepts).
 */
static inline uint64_t
seq_limit_ahead(uint64_t next)
{
	return next < MML_SEQ_MAX - SEQ_RESERVE ? next + SEQ_RESERVE :
	    MML_SEQ_MAX;
}

/*
 * The record at off, if it checks (with its CRC if crc is set) and is
 * not older than min_seq: mml_walk_check() without a walk to set up
 * and the record copied once less, inline, for the tail calls this for
 * every record it evicts.
 */
static inline int
ring_rec_at(const struct mml_ring *r, uint64_t off, uint64_t min_seq, int crc,
    struct mml_rec *rec)
{
	if (mml_disk_rec_check(r->data, r->cap, off, 0, crc, r->crc_seed, rec,
	    NULL) < 0 || rec->hdr.len > MML_WALK_REACH)
		return 0;
	return rec->hdr.seq >= min_seq;
}

/* ring.c */
/*
 * Sets the jump a SIGBUS in the map takes (NULL: none); and the one in
 * force.  The caller sigsetjmp()s in its own frame.
 */
void	ring_map_guard(sigjmp_buf *jb);
sigjmp_buf *ring_map_guarded(void);
int	ring_bus_error(struct mml_ring *r);
int	ring_repair(struct mml_ring *r);
void	ring_publish(struct mml_ring *r);
void	ring_index_check(struct mml_ring *r, uint64_t durable_seq);
void	ring_store(struct mml_ring *r, uint64_t off, const void *src,
	    size_t len);
int	ring_append(struct mml_ring *r, struct mml_rec_hdr *hdr,
	    const void *comm, const void *tag, const void *msg,
	    const void *fields, const struct mml_meta *meta, uint64_t *ret_seq);

/* ringmeta.c: the boot table and the metadata slots */
int	ring_tables_open(struct mml_ring *r);
void	ring_boot_note(struct mml_ring *r, const struct mml_rec_hdr *hdr);
void	ring_meta_attach(struct mml_ring *r, struct mml_rec_hdr *hdr,
	    const void **fields, const struct mml_meta *meta);

/* recover.c: what the open finds of the last run (recovery) */
int	ring_recover(struct mml_ring *r);
uint64_t	ring_recover_head(struct mml_ring *r);
void	ring_recover_tail(struct mml_ring *r);
void	ring_recover_tail_search(struct mml_ring *r);
int	ring_recover_commit(struct mml_ring *r, uint64_t n);

/* ringsync.c: making the ring durable */
void	ring_cursor_store(struct mml_ring *r, uint64_t off, uint64_t seq);
void	ring_redirty(struct mml_ring *r);
void	ring_redirty_range(struct mml_ring *r, uint64_t end, uint64_t pg);

#endif /* MML_RING_INTERNAL_H */
