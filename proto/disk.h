/*
 * disk.h: the ring file, a header page followed by a circular data
 * region of records.  Documented byte by byte in proto/FORMAT.md.
 *
 * The file is mapped by one writer (mmlogd) and any number of read-only
 * readers.  The functions here are pure: they check and encode records
 * in memory the caller owns or has mapped, and never trust what they
 * read.  Everything is little-endian (see wire.h).
 */
#ifndef MML_DISK_H
#define MML_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* The ring mmlogd keeps unless told otherwise (--file, $MMLOG_FILE). */
#define MML_DEFAULT_FILE	"/var/lib/mmlogd/mmlogd.ring"
#define MML_DISK_MAGIC		"MMLOGRNG"
#define MML_DISK_VERSION	1
#define MML_DISK_HEADER_SIZE	4096	/* data region starts here */
#define MML_DISK_ALIGN		8
#define MML_DISK_CAP_MIN	(64 * 1024)
#define MML_DISK_CAP_MAX	((uint64_t)1 << 40)
/*
 * No sequence number reaches this (2^63; at ten million entries a second
 * that is 29,000 years away).  A header whose seq_limit is above it is
 * damaged: a writer continuing from it would overflow its reservation
 * ahead (seq_limit + a block) and wrap the numbering round to small
 * values, making a ring that no reader or writer accepts again.
 */
#define MML_SEQ_MAX		((uint64_t)1 << 63)

/* state */
#define MML_STATE_CLEAN		0	/* closed in order; all synced */
#define MML_STATE_DIRTY		1	/* open by a writer, or it crashed */

/* Features (FORMAT.md, "Versioning"). */
#define MML_COMPAT_INDEX	0x1U	/* a seek index follows the data region */
#define MML_COMPAT_BOOTS	0x2U	/* a boot table in the header page */
#define MML_COMPAT_KNOWN	(MML_COMPAT_INDEX | MML_COMPAT_BOOTS)
#define MML_INCOMPAT_KEYED	0x1U	/* record and slot CRCs keyed (crc_key) */
#define MML_INCOMPAT_META	0x2U	/* metadata slots after the index */
#define MML_INCOMPAT_KNOWN	(MML_INCOMPAT_KEYED | MML_INCOMPAT_META)
#define MML_DISK_KEY_LEN	16

struct mml_disk_header {
	/* Static part, written once at creation, covered by static_crc. */
	uint8_t  magic[8];		/*   0: "MMLOGRNG" */
	uint32_t version;		/*   8: MML_DISK_VERSION */
	uint32_t header_size;		/*  12: offset of the data region */
	uint32_t compat_flags;		/*  16: readers may ignore unknown */
	uint32_t incompat_flags;	/*  20: readers must refuse unknown */
	uint8_t  ring_id[16];		/*  24: random, names this ring */
	uint64_t capacity;		/*  40: bytes of data region, 8-aligned */
	uint64_t created_usec;		/*  48: CLOCK_REALTIME at creation */
	uint32_t static_crc;		/*  56: CRC32C of bytes [0, 56) */
	/* Dynamic part, maintained by the writer. */
	uint32_t state;			/*  60: MML_STATE_* */
	uint64_t durable_off;		/*  64: data offset after the newest durable record */
	uint64_t durable_seq;		/*  72: newest durable seq, 0 if none */
	uint64_t tail_off;		/*  80: data offset of the oldest record */
	uint64_t tail_seq;		/*  88: its seq (== head_seq when empty) */
	uint64_t head_off;		/*  96: live: where the next record goes */
	uint64_t head_seq;		/* 104: live: the next seq to assign */
	uint64_t seq_limit;		/* 112: no seq >= this was ever assigned */
	uint64_t durable_usec;		/* 120: CLOCK_REALTIME of the last sync */
	uint8_t  boot_id[16];		/* 128: kernel boot of the last writer */
	uint64_t entries_written;	/* 144: entries ever appended */
	uint64_t entries_overwritten;	/* 152: entries evicted by wrapping */
	uint64_t wraps;			/* 160: times the head went round */
	uint64_t bytes_written;		/* 168: record bytes ever appended */
	uint64_t opens;			/* 176: times a writer opened the ring */
	uint64_t dirty_opens;		/* 184: ... and found it dirty */
	/* MML_INCOMPAT_KEYED: written once at creation, like the static part. */
	uint8_t  crc_key[16];		/* 192: random; seeds record CRCs */
	uint32_t key_crc;		/* 208: CRC32C of crc_key, unkeyed */
	uint8_t  reserved[44];		/* 212: 0 */
};
_Static_assert(sizeof(struct mml_disk_header) == 256, "disk header size");
_Static_assert(offsetof(struct mml_disk_header, version) == 8, "version");
_Static_assert(offsetof(struct mml_disk_header, header_size) == 12, "hsize");
_Static_assert(offsetof(struct mml_disk_header, ring_id) == 24, "ring_id");
_Static_assert(offsetof(struct mml_disk_header, capacity) == 40, "cap");
_Static_assert(offsetof(struct mml_disk_header, static_crc) == 56, "crc");
_Static_assert(offsetof(struct mml_disk_header, state) == 60, "state");
_Static_assert(offsetof(struct mml_disk_header, durable_off) == 64, "doff");
_Static_assert(offsetof(struct mml_disk_header, durable_seq) == 72, "dseq");
_Static_assert(offsetof(struct mml_disk_header, tail_off) == 80, "toff");
_Static_assert(offsetof(struct mml_disk_header, tail_seq) == 88, "tseq");
_Static_assert(offsetof(struct mml_disk_header, head_off) == 96, "hoff");
_Static_assert(offsetof(struct mml_disk_header, head_seq) == 104, "hseq");
_Static_assert(offsetof(struct mml_disk_header, seq_limit) == 112, "slim");
_Static_assert(offsetof(struct mml_disk_header, boot_id) == 128, "boot");
_Static_assert(offsetof(struct mml_disk_header, entries_written) == 144, "w");
_Static_assert(offsetof(struct mml_disk_header, opens) == 176, "opens");
_Static_assert(offsetof(struct mml_disk_header, crc_key) == 192, "key");
_Static_assert(offsetof(struct mml_disk_header, key_crc) == 208, "key_crc");
_Static_assert(offsetof(struct mml_disk_header, reserved) == 212, "res");

/* Record types. */
#define MML_REC_ENTRY		1	/* a log entry */
#define MML_REC_WRAP		2	/* the rest of the region is unused */

/* Record flags. */
#define MML_REC_F_DAEMON	0x0001U	/* written by mmlogd itself */
#define MML_REC_F_META		0x0002U	/* meta names a metadata slot */
#define MML_REC_F_MASK		0x0003U

/*
 * Record header, 64 bytes, 8-aligned in the data region; the payload
 * (comm, tag, message, fields) follows it and the next record starts at
 * the next multiple of 8.  crc is written last, after a release fence,
 * so a record whose CRC matches was written whole.
 */
struct mml_rec_hdr {
	uint32_t crc;		/*  0: CRC32C of bytes [4, len) */
	uint32_t len;		/*  4: bytes of record, header included */
	uint16_t type;		/*  8: MML_REC_* */
	uint8_t  priority;	/* 10: 0..7 */
	uint8_t  comm_len;	/* 11: bytes of sender's comm, <= 16 */
	uint16_t tag_len;	/* 12: bytes of tag */
	uint16_t flags;		/* 14: MML_REC_F_* */
	uint32_t msg_len;	/* 16: bytes of message */
	uint32_t fields_len;	/* 20: bytes of fields block */
	uint64_t seq;		/* 24: sequence number */
	uint64_t realtime_usec;	/* 32: CLOCK_REALTIME when accepted */
	uint64_t monotonic_usec;/* 40: CLOCK_MONOTONIC when accepted */
	uint32_t pid;		/* 48: sender, from the kernel */
	uint32_t uid;		/* 52 */
	uint32_t gid;		/* 56 */
	uint32_t meta;		/* 60: MML_REC_F_META: slot | gen << 16; else 0 */
};
_Static_assert(sizeof(struct mml_rec_hdr) == 64, "record header size");
_Static_assert(offsetof(struct mml_rec_hdr, len) == 4, "len");
_Static_assert(offsetof(struct mml_rec_hdr, type) == 8, "type");
_Static_assert(offsetof(struct mml_rec_hdr, priority) == 10, "prio");
_Static_assert(offsetof(struct mml_rec_hdr, comm_len) == 11, "comm");
_Static_assert(offsetof(struct mml_rec_hdr, tag_len) == 12, "tag");
_Static_assert(offsetof(struct mml_rec_hdr, flags) == 14, "flags");
_Static_assert(offsetof(struct mml_rec_hdr, msg_len) == 16, "msg");
_Static_assert(offsetof(struct mml_rec_hdr, fields_len) == 20, "fields");
_Static_assert(offsetof(struct mml_rec_hdr, seq) == 24, "seq");
_Static_assert(offsetof(struct mml_rec_hdr, realtime_usec) == 32, "rt");
_Static_assert(offsetof(struct mml_rec_hdr, monotonic_usec) == 40, "mono");
_Static_assert(offsetof(struct mml_rec_hdr, pid) == 48, "pid");
_Static_assert(offsetof(struct mml_rec_hdr, meta) == 60, "meta");

#define MML_REC_HDR		((uint64_t)sizeof(struct mml_rec_hdr))
#define MML_COMM_MAX		16

/* A checked record: a copy of its header and pointers into the data. */
struct mml_rec {
	struct mml_rec_hdr hdr;
	uint64_t off;		/* where it starts in the data region */
	uint64_t size;		/* len rounded up to MML_DISK_ALIGN */
	const uint8_t *comm;
	const uint8_t *tag;
	const uint8_t *msg;
	const uint8_t *fields;
};

/* Why a header or record was refused. */
enum mml_disk_reason {
	MML_DISK_OK = 0,
	MML_DISK_E_SHORT,	/* file smaller than a header */
	MML_DISK_E_MAGIC,	/* not a ring file */
	MML_DISK_E_VERSION,	/* a version we do not know */
	MML_DISK_E_HSIZE,	/* header_size is not ours */
	MML_DISK_E_INCOMPAT,	/* unknown incompatible feature */
	MML_DISK_E_CRC,		/* static header CRC mismatch */
	MML_DISK_E_CAPACITY,	/* capacity out of range or unaligned */
	MML_DISK_E_TRUNCATED,	/* file smaller than header + capacity */
	MML_DISK_E_CURSOR,	/* an offset in the header is out of range */
	MML_DISK_E_REC_BOUNDS,	/* record crosses the end of the region */
	MML_DISK_E_REC_LEN,	/* record lengths do not add up */
	MML_DISK_E_REC_TYPE,	/* unknown record type or flags */
	MML_DISK_E_REC_CRC,	/* record CRC mismatch */
	MML_DISK_E_REC_SEQ,	/* record is not the one expected */
	MML_DISK_E_KEY,		/* the CRC key's own CRC does not match */
	MML_DISK_E_SPARSE,	/* the file has holes: not one mmlogd made */
	MML_DISK_REASON_MAX
};

const char *mml_disk_reason_str(enum mml_disk_reason reason);

/*
 * Checks the header in buf[0, file_size).  Returns 0, or -EBADMSG
 * (not a ring / damaged), -EPROTONOSUPPORT (newer version or feature) or
 * -ENOSPC (file shorter than header + capacity) with *ret_reason set.
 * Dynamic fields are checked for range only; recovery validates them
 * against the records.
 */
int mml_disk_header_check(const void *buf, uint64_t file_size,
    enum mml_disk_reason *ret_reason);

/* Fills a fresh header for a ring of the given capacity (unkeyed). */
void mml_disk_header_init(struct mml_disk_header *h, uint64_t capacity,
    const uint8_t ring_id[16], uint64_t now_usec);

/*
 * Keys the fresh header h (FORMAT.md, Versioning): sets
 * MML_INCOMPAT_KEYED, stores key and its CRC, and seals the static part
 * again.  Returns 0, or -EINVAL if the key's seed would be 0 (the seed
 * of an unkeyed ring: the caller draws another key).
 */
int mml_disk_header_key(struct mml_disk_header *h, const uint8_t key[16]);

/*
 * The seed of every record and index slot CRC of the ring whose checked
 * header is h: mml_crc32c(0, crc_key, 16) if it is keyed, else 0.  Never
 * 0 for a keyed ring that checks.  Computed once per open.
 */
uint32_t mml_disk_crc_seed(const struct mml_disk_header *h);

/* Padded size of a record with these payload lengths. */
static inline uint64_t
mml_disk_rec_size(size_t comm_len, size_t tag_len, size_t msg_len,
    size_t fields_len)
{
	uint64_t len = MML_REC_HDR + comm_len + tag_len + msg_len + fields_len;

	return (len + MML_DISK_ALIGN - 1) & ~(uint64_t)(MML_DISK_ALIGN - 1);
}

/*
 * Where a reader goes after a record of padded size `size` at off: the
 * next offset, or 0 when fewer than MML_REC_HDR bytes remain (the
 * implicit wrap at the end of the region).
 */
static inline uint64_t
mml_disk_next_off(uint64_t capacity, uint64_t off, uint64_t size)
{
	off += size;
	if (capacity - off < MML_REC_HDR)
		return 0;
	return off;
}

/*
 * Checks the record at data[off] in a region of capacity bytes: bounds,
 * lengths, type, flags, reserved fields and CRC (seeded with seed, the
 * ring's mml_disk_crc_seed()), and, if expect_seq is non-zero, that its
 * seq equals expect_seq.  The header is copied before it is checked, so
 * a writer changing the bytes underneath cannot make the checks
 * disagree.  Returns 0 and fills *ret, or -EBADMSG with *ret_reason set.
 * verify_crc == 0 skips the CRC (for quick walks).
 */
int mml_disk_rec_check(const uint8_t *data, uint64_t capacity, uint64_t off,
    uint64_t expect_seq, int verify_crc, uint32_t seed, struct mml_rec *ret,
    enum mml_disk_reason *ret_reason);

/*
 * Writes a record at dst, which must have mml_disk_rec_size() bytes.
 * hdr supplies every field but crc and len; the CRC, seeded with seed
 * (mml_disk_crc_seed()), is stored last, after a release fence.  Returns
 * the padded size.
 */
uint64_t mml_disk_rec_write(uint8_t *dst, const struct mml_rec_hdr *hdr,
    const void *comm, const void *tag, const void *msg, const void *fields,
    uint32_t seed);

/*
 * Writes a WRAP record carrying next_seq at dst (>= MML_REC_HDR bytes),
 * its CRC seeded with seed.
 */
void mml_disk_wrap_write(uint8_t *dst, uint64_t next_seq,
    uint64_t realtime_usec, uint32_t seed);

/*
 * The seek index (MML_COMPAT_INDEX): a sparse map of sequence numbers
 * and times to data offsets, after the data region, so that readers
 * find the newest entries, a time or a cursor by bisecting a small
 * array instead of the ring.  The data region is cut into buckets of
 * 2^shift bytes (64 KiB, or more so that there are at most
 * MML_IDX_SLOTS_MAX); slot b names the first record the writer put in
 * bucket b on its current lap.  The writer never trusts the index and
 * neither do readers: a slot is used only if its CRC matches and the
 * record it names checks with the slot's seq and time.
 */
#define MML_IDX_SHIFT_MIN	16
#define MML_IDX_SLOTS_MAX	65536
#define MML_IDX_PAGE		4096

struct mml_idx_slot {
	uint64_t seq;		/*  0: the record's seq; 0: empty slot */
	uint64_t realtime_usec;	/*  8: its realtime_usec */
	uint64_t off;		/* 16: its data offset, inside bucket b */
	uint32_t crc;		/* 24: CRC32C of bytes [0, 24) */
	uint32_t reserved;	/* 28: 0 */
};
_Static_assert(sizeof(struct mml_idx_slot) == 32, "index slot size");
_Static_assert(offsetof(struct mml_idx_slot, crc) == 24, "slot crc");

/* Bucket size of a ring of capacity bytes, as a shift. */
static inline unsigned
mml_idx_shift(uint64_t capacity)
{
	unsigned s = MML_IDX_SHIFT_MIN;

	while (((capacity - 1) >> s) + 1 > MML_IDX_SLOTS_MAX)
		s++;
	return s;
}

/* Number of slots (buckets). */
static inline uint64_t
mml_idx_slots(uint64_t capacity)
{
	return ((capacity - 1) >> mml_idx_shift(capacity)) + 1;
}

/* File offset of the index: the first page boundary after the data. */
static inline uint64_t
mml_idx_file_off(uint64_t capacity)
{
	uint64_t end = MML_DISK_HEADER_SIZE + capacity;

	return (end + MML_IDX_PAGE - 1) & ~(uint64_t)(MML_IDX_PAGE - 1);
}

/* Bytes of the index, whole pages. */
static inline uint64_t
mml_idx_size(uint64_t capacity)
{
	uint64_t n = mml_idx_slots(capacity) * sizeof(struct mml_idx_slot);

	return (n + MML_IDX_PAGE - 1) & ~(uint64_t)(MML_IDX_PAGE - 1);
}

/*
 * The metadata table (MML_INCOMPAT_META; its slots are tables.h's): one
 * slot of MML_META_SLOT_SIZE bytes per 64 KiB of data region, at least
 * MML_META_SLOTS_MIN and at most MML_META_SLOTS_MAX (mml_meta_slots()),
 * from the first page after the seek index (mml_meta_file_off()), in
 * whole pages (mml_meta_size()).  Examples: a 64 MiB ring has 1024
 * slots (1 MiB), a 64 KiB ring 64.
 */
#define MML_META_SLOT_SIZE	1024
#define MML_META_SLOTS_MIN	64
#define MML_META_SLOTS_MAX	65535	/* numbered 1..65535 in a record */

static inline uint32_t
mml_meta_slots(uint64_t capacity)
{
	uint64_t n = capacity >> 16;

	if (n < MML_META_SLOTS_MIN)
		return MML_META_SLOTS_MIN;
	return n > MML_META_SLOTS_MAX ? MML_META_SLOTS_MAX : (uint32_t)n;
}

static inline uint64_t
mml_meta_file_off(uint64_t capacity)
{
	return mml_idx_file_off(capacity) + mml_idx_size(capacity);
}

static inline uint64_t
mml_meta_size(uint64_t capacity)
{
	uint64_t n = (uint64_t)mml_meta_slots(capacity) * MML_META_SLOT_SIZE;

	return (n + MML_IDX_PAGE - 1) & ~(uint64_t)(MML_IDX_PAGE - 1);
}

/*
 * Bytes the file must have for a ring with this header: header, data,
 * the index if the header says there is one, and the metadata table
 * after it if the header says there is one.
 */
uint64_t mml_disk_file_size(const struct mml_disk_header *h);

/*
 * Fills *slot for a record with this seq and time at data offset off,
 * its CRC seeded with seed (mml_disk_crc_seed()).
 */
void mml_idx_slot_make(struct mml_idx_slot *slot, uint64_t seq,
    uint64_t realtime_usec, uint64_t off, uint32_t seed);

/*
 * Checks a copy of slot `bucket` of a ring of capacity bytes whose CRC
 * seed is seed: returns 1 if it is in use and well formed (CRC,
 * reserved, its offset a record start inside the bucket), 0 if it is
 * empty (all zero), -1 if damaged.  Whether the record it names is there
 * is for the caller to check.
 */
int mml_idx_slot_check(const struct mml_idx_slot *slot, uint64_t capacity,
    uint64_t bucket, uint32_t seed);

#endif /* MML_DISK_H */
