/*
 * check_disk.c: the ring file format (proto/disk.c, proto/FORMAT.md).
 *
 * Headers and records written by the encoder must check and carry every
 * byte where FORMAT.md says; tables of damaged headers and records, each
 * a valid one with one defect, must each be refused with their own
 * reason and errno; torn records must never pass; and a small model of
 * the writer's rules, walked the way FORMAT.md tells readers and
 * recovery to walk, must find exactly the records written.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk.h"

#define CAP		((uint64_t)MML_DISK_CAP_MIN)
#define FILE_SIZE	(MML_DISK_HEADER_SIZE + CAP)
#define NOW_USEC	1700000000123456ULL

/* Header offsets (FORMAT.md). */
#define H_MAGIC		0
#define H_VERSION	8
#define H_HSIZE		12
#define H_COMPAT	16
#define H_INCOMPAT	20
#define H_RING_ID	24
#define H_CAPACITY	40
#define H_CREATED	48
#define H_STATIC_CRC	56
#define H_STATE		60
#define H_DURABLE_OFF	64
#define H_DURABLE_SEQ	72
#define H_TAIL_OFF	80
#define H_TAIL_SEQ	88
#define H_HEAD_OFF	96
#define H_HEAD_SEQ	104
#define H_SEQ_LIMIT	112

/* Record header offsets (FORMAT.md). */
#define R_CRC		0
#define R_LEN		4
#define R_TYPE		8
#define R_PRIO		10
#define R_COMM_LEN	11
#define R_TAG_LEN	12
#define R_FLAGS		14
#define R_MSG_LEN	16
#define R_FIELDS_LEN	20
#define R_SEQ		24
#define R_REALTIME	32
#define R_MONOTONIC	40
#define R_PID		48
#define R_UID		52
#define R_GID		56
#define R_META	60

/* The record the table starts from, written at ROFF with seq RSEQ. */
#define ROFF		128
#define RSEQ		42
#define R_COMM		"sh"
#define R_TAG		"app"
#define R_MSG		"hello world"
#define R_FIELDS	"\x05\0\0\0" "KEY=v"
#define R_REC_LEN	(64 + 2 + 3 + 11 + 9)

/* Special values of struct bad_header.size and bad_rec.at. */
#define SIZE_ZERO	(-1)
#define AT_DEFAULT	0

struct patch {
	size_t off;
	int width;		/* 1, 2, 4 or 8 bytes; 0 ends the list */
	uint64_t value;		/* stored little-endian */
};

struct bad_header {
	const char *name;
	struct patch patch[2];
	int fix_crc;		/* recompute static_crc after patching */
	long long size;		/* 0: header + CAP; SIZE_ZERO: 0 bytes */
	enum mml_disk_reason reason;
	int err;		/* positive errno, 0 if the header is good */
};

struct bad_rec {
	const char *name;
	struct patch patch[4];	/* offsets relative to the record */
	int keep_crc;		/* leave the CRC as written */
	uint64_t at;		/* check here instead of ROFF, if not 0 */
	uint64_t expect;	/* expected seq instead of RSEQ, if not 0 */
	enum mml_disk_reason reason;
};

/* The writer's rules, in miniature, over a region in memory. */
struct model {
	uint8_t *data;
	uint64_t cap;
	uint64_t head_off;
	uint64_t head_seq;
	uint64_t tail_off;
	uint64_t tail_seq;
	uint64_t wraps;
	uint64_t evicted;
};

static void patch_apply(uint8_t *, const struct patch *);
static uint16_t get16(const uint8_t *);
static uint32_t get32(const uint8_t *);
static uint64_t get64(const uint8_t *);
static uint64_t rnd(uint64_t *);
static void header_make(uint8_t *);
static void header_fix_crc(uint8_t *);
static void bad_header_one(const struct bad_header *);
static void rec_hdr_make(struct mml_rec_hdr *, uint64_t);
static uint64_t rec_make(uint8_t *, uint64_t, uint64_t);
static void bad_rec_one(const struct bad_rec *);
static void model_init(struct model *, uint8_t *, uint64_t);
static void model_evict(struct model *, uint64_t, uint64_t);
static uint64_t model_append(struct model *, size_t, uint64_t *);
static void msg_fill(uint8_t *, size_t, uint64_t);
static uint64_t walk(const uint8_t *, uint64_t, uint64_t, uint64_t,
    uint64_t *, uint64_t *);
static void dir_setup(void);
static void dir_teardown(void);

static const uint8_t ring_id[16] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
};

static uint64_t page[MML_DISK_HEADER_SIZE / 8];
static uint64_t region_words[CAP / 8];
static char tmpdir[PATH_MAX];

static const struct bad_header bad_headers[] = {
	/* In the order mml_disk_header_check() checks. */
	{ "file of 0 bytes", .size = SIZE_ZERO,
	    .reason = MML_DISK_E_SHORT, .err = EBADMSG },
	{ "file of 4095 bytes", .size = MML_DISK_HEADER_SIZE - 1,
	    .reason = MML_DISK_E_SHORT, .err = EBADMSG },
	{ "wrong magic", .patch = { { H_MAGIC, 1, 'X' } },
	    .reason = MML_DISK_E_MAGIC, .err = EBADMSG },
	{ "last magic byte wrong", .patch = { { H_MAGIC + 7, 1, 'g' } },
	    .reason = MML_DISK_E_MAGIC, .err = EBADMSG },
	{ "version 2", .patch = { { H_VERSION, 4, 2 } },
	    .reason = MML_DISK_E_VERSION, .err = EPROTONOSUPPORT },
	{ "version 2, CRC fixed", .patch = { { H_VERSION, 4, 2 } },
	    .fix_crc = 1,
	    .reason = MML_DISK_E_VERSION, .err = EPROTONOSUPPORT },
	{ "version 0", .patch = { { H_VERSION, 4, 0 } }, .fix_crc = 1,
	    .reason = MML_DISK_E_VERSION, .err = EPROTONOSUPPORT },
	{ "header_size 256", .patch = { { H_HSIZE, 4, 256 } }, .fix_crc = 1,
	    .reason = MML_DISK_E_HSIZE, .err = EBADMSG },
	{ "header_size 8192", .patch = { { H_HSIZE, 4, 8192 } },
	    .fix_crc = 1, .reason = MML_DISK_E_HSIZE, .err = EBADMSG },
	{ "ring_id byte flipped", .patch = { { H_RING_ID + 5, 1, 0x54 } },
	    .reason = MML_DISK_E_CRC, .err = EBADMSG },
	{ "created_usec changed", .patch = { { H_CREATED, 8, 1 } },
	    .reason = MML_DISK_E_CRC, .err = EBADMSG },
	{ "capacity changed, CRC not", .patch = { { H_CAPACITY, 8, CAP * 2 } },
	    .reason = MML_DISK_E_CRC, .err = EBADMSG },
	{ "static_crc changed", .patch = { { H_STATIC_CRC, 4, 0 } },
	    .reason = MML_DISK_E_CRC, .err = EBADMSG },
	{ "unknown incompat flag", .patch = { { H_INCOMPAT, 4, 4 } },
	    .fix_crc = 1,
	    .reason = MML_DISK_E_INCOMPAT, .err = EPROTONOSUPPORT },
	/* Keyed, with a zero key and key_crc 0: the key's CRC is wrong. */
	{ "keyed, the key's CRC wrong", .patch = { { H_INCOMPAT, 4, 1 } },
	    .fix_crc = 1, .reason = MML_DISK_E_KEY, .err = EBADMSG },
	{ "unknown incompat flag bit 31",
	    .patch = { { H_INCOMPAT, 4, 0x80000000U } }, .fix_crc = 1,
	    .reason = MML_DISK_E_INCOMPAT, .err = EPROTONOSUPPORT },
	{ "capacity 0", .patch = { { H_CAPACITY, 8, 0 } }, .fix_crc = 1,
	    .reason = MML_DISK_E_CAPACITY, .err = EBADMSG },
	{ "capacity below MML_DISK_CAP_MIN",
	    .patch = { { H_CAPACITY, 8, MML_DISK_CAP_MIN - 8 } },
	    .fix_crc = 1, .reason = MML_DISK_E_CAPACITY, .err = EBADMSG },
	{ "capacity not 8-aligned",
	    .patch = { { H_CAPACITY, 8, MML_DISK_CAP_MIN + 4 } },
	    .fix_crc = 1, .reason = MML_DISK_E_CAPACITY, .err = EBADMSG },
	{ "capacity above MML_DISK_CAP_MAX",
	    .patch = { { H_CAPACITY, 8, MML_DISK_CAP_MAX + 8 } },
	    .fix_crc = 1, .reason = MML_DISK_E_CAPACITY, .err = EBADMSG },
	{ "capacity UINT64_MAX", .patch = { { H_CAPACITY, 8, UINT64_MAX } },
	    .fix_crc = 1, .reason = MML_DISK_E_CAPACITY, .err = EBADMSG },
	{ "file one byte short", .size = FILE_SIZE - 1,
	    .reason = MML_DISK_E_TRUNCATED, .err = ENOSPC },
	{ "file of the header page only", .size = MML_DISK_HEADER_SIZE,
	    .reason = MML_DISK_E_TRUNCATED, .err = ENOSPC },
	{ "capacity lies: 1 GiB in a 68 KiB file",
	    .patch = { { H_CAPACITY, 8, (uint64_t)1 << 30 } }, .fix_crc = 1,
	    .reason = MML_DISK_E_TRUNCATED, .err = ENOSPC },
	{ "capacity lies: MML_DISK_CAP_MAX",
	    .patch = { { H_CAPACITY, 8, MML_DISK_CAP_MAX } }, .fix_crc = 1,
	    .reason = MML_DISK_E_TRUNCATED, .err = ENOSPC },
	{ "tail_off not 8-aligned", .patch = { { H_TAIL_OFF, 8, 4 } },
	    .reason = MML_DISK_E_CURSOR, .err = EBADMSG },
	{ "tail_off at capacity", .patch = { { H_TAIL_OFF, 8, CAP } },
	    .reason = MML_DISK_E_CURSOR, .err = EBADMSG },
	{ "tail_off beyond capacity",
	    .patch = { { H_TAIL_OFF, 8, CAP + 4096 } },
	    .reason = MML_DISK_E_CURSOR, .err = EBADMSG },
	{ "tail_off UINT64_MAX - 7",
	    .patch = { { H_TAIL_OFF, 8, UINT64_MAX - 7 } },
	    .reason = MML_DISK_E_CURSOR, .err = EBADMSG },
	{ "tail_off in the last 63 bytes",
	    .patch = { { H_TAIL_OFF, 8, CAP - 56 } },
	    .reason = MML_DISK_E_CURSOR, .err = EBADMSG },
	{ "head_off not 8-aligned", .patch = { { H_HEAD_OFF, 8, 12 } },
	    .reason = MML_DISK_E_CURSOR, .err = EBADMSG },
	{ "head_off beyond capacity", .patch = { { H_HEAD_OFF, 8, CAP } },
	    .reason = MML_DISK_E_CURSOR, .err = EBADMSG },
	{ "durable_off not 8-aligned", .patch = { { H_DURABLE_OFF, 8, 1 } },
	    .reason = MML_DISK_E_CURSOR, .err = EBADMSG },
	{ "durable_off beyond capacity",
	    .patch = { { H_DURABLE_OFF, 8, CAP + 8 } },
	    .reason = MML_DISK_E_CURSOR, .err = EBADMSG },
	{ "tail_seq 0", .patch = { { H_TAIL_SEQ, 8, 0 } },
	    .reason = MML_DISK_E_CURSOR, .err = EBADMSG },
	{ "durable_seq equal to seq_limit",
	    .patch = { { H_DURABLE_SEQ, 8, 1 } },
	    .reason = MML_DISK_E_CURSOR, .err = EBADMSG },
	{ "durable_seq beyond seq_limit",
	    .patch = { { H_DURABLE_SEQ, 8, 100 }, { H_SEQ_LIMIT, 8, 50 } },
	    .reason = MML_DISK_E_CURSOR, .err = EBADMSG },
	/*
	 * Found by fuzz_ring: the daemon continued from such a header,
	 * its reservation ahead overflowed, and the ring it closed had
	 * seq_limit 11 under a durable_seq near 2^64.
	 */
	{ "seq_limit above MML_SEQ_MAX",
	    .patch = { { H_SEQ_LIMIT, 8, MML_SEQ_MAX + 1 } },
	    .reason = MML_DISK_E_CURSOR, .err = EBADMSG },
	{ "seq_limit UINT64_MAX",
	    .patch = { { H_SEQ_LIMIT, 8, UINT64_MAX } },
	    .reason = MML_DISK_E_CURSOR, .err = EBADMSG },

	/* Two defects: the earlier check wins. */
	{ "bad magic in a short file", .size = 100,
	    .patch = { { H_MAGIC, 1, 'X' } },
	    .reason = MML_DISK_E_SHORT, .err = EBADMSG },
	{ "bad magic and version 2",
	    .patch = { { H_MAGIC, 1, 'X' }, { H_VERSION, 4, 2 } },
	    .reason = MML_DISK_E_MAGIC, .err = EBADMSG },
	{ "header_size wrong and CRC wrong",
	    .patch = { { H_HSIZE, 4, 512 } },
	    .reason = MML_DISK_E_HSIZE, .err = EBADMSG },
	{ "unknown incompat flag, CRC not fixed",
	    .patch = { { H_INCOMPAT, 4, 1 } },
	    .reason = MML_DISK_E_CRC, .err = EBADMSG },
	{ "unknown incompat flag and capacity 0",
	    .patch = { { H_INCOMPAT, 4, 4 }, { H_CAPACITY, 8, 0 } },
	    .fix_crc = 1,
	    .reason = MML_DISK_E_INCOMPAT, .err = EPROTONOSUPPORT },
	{ "capacity unaligned in a short file",
	    .patch = { { H_CAPACITY, 8, CAP + 1 } }, .fix_crc = 1,
	    .size = MML_DISK_HEADER_SIZE,
	    .reason = MML_DISK_E_CAPACITY, .err = EBADMSG },
	{ "truncated file and bad cursor", .size = FILE_SIZE - 8,
	    .patch = { { H_TAIL_SEQ, 8, 0 } },
	    .reason = MML_DISK_E_TRUNCATED, .err = ENOSPC },

	/* Not defects. */
	{ "fresh header", .reason = MML_DISK_OK },
	{ "unknown compat flag", .patch = { { H_COMPAT, 4, 0x80000001U } },
	    .fix_crc = 1, .reason = MML_DISK_OK },
	{ "state dirty", .patch = { { H_STATE, 4, MML_STATE_DIRTY } },
	    .reason = MML_DISK_OK },
	{ "file larger than needed", .size = FILE_SIZE + 12345,
	    .reason = MML_DISK_OK },
	{ "cursors at the last record slot",
	    .patch = { { H_TAIL_OFF, 8, CAP - 64 }, { H_HEAD_OFF, 8, 0 } },
	    .reason = MML_DISK_OK },
	{ "capacity MML_DISK_CAP_MAX in a file that big",
	    .patch = { { H_CAPACITY, 8, MML_DISK_CAP_MAX } }, .fix_crc = 1,
	    .size = (long long)(MML_DISK_HEADER_SIZE + MML_DISK_CAP_MAX),
	    .reason = MML_DISK_OK },
};

static const struct bad_rec bad_recs[] = {
	{ "payload byte flipped", .patch = { { 64 + 7, 1, 'X' } },
	    .keep_crc = 1, .reason = MML_DISK_E_REC_CRC },
	{ "last payload byte flipped", .patch = { { R_REC_LEN - 1, 1, 'w' } },
	    .keep_crc = 1, .reason = MML_DISK_E_REC_CRC },
	{ "pid changed", .patch = { { R_PID, 4, 4321 } }, .keep_crc = 1,
	    .reason = MML_DISK_E_REC_CRC },
	{ "seq changed, CRC kept", .patch = { { R_SEQ, 8, RSEQ + 1 } },
	    .keep_crc = 1, .expect = RSEQ + 1,
	    .reason = MML_DISK_E_REC_CRC },
	{ "CRC field zero", .patch = { { R_CRC, 4, 0 } }, .keep_crc = 1,
	    .reason = MML_DISK_E_REC_CRC },
	{ "len 63", .patch = { { R_LEN, 4, 63 } },
	    .reason = MML_DISK_E_REC_BOUNDS },
	{ "len 0", .patch = { { R_LEN, 4, 0 } },
	    .reason = MML_DISK_E_REC_BOUNDS },
	{ "len beyond capacity", .patch = { { R_LEN, 4, CAP - ROFF + 1 } },
	    .reason = MML_DISK_E_REC_BOUNDS },
	{ "len 0xffffffff", .patch = { { R_LEN, 4, 0xffffffffU } },
	    .reason = MML_DISK_E_REC_BOUNDS },
	{ "len one more than the parts", .patch = { { R_LEN, 4,
	    R_REC_LEN + 1 } }, .reason = MML_DISK_E_REC_LEN },
	{ "len one less than the parts", .patch = { { R_LEN, 4,
	    R_REC_LEN - 1 } }, .reason = MML_DISK_E_REC_LEN },
	{ "comm_len 17, lengths adding up",
	    .patch = { { R_COMM_LEN, 1, 17 }, { R_TAG_LEN, 2, 0 },
		{ R_MSG_LEN, 4, 0 }, { R_FIELDS_LEN, 4, 8 } },
	    .reason = MML_DISK_E_REC_LEN },
	{ "comm_len 255", .patch = { { R_COMM_LEN, 1, 255 } },
	    .reason = MML_DISK_E_REC_LEN },
	{ "tag_len 0xffff", .patch = { { R_TAG_LEN, 2, 0xffff } },
	    .reason = MML_DISK_E_REC_LEN },
	{ "msg_len one more", .patch = { { R_MSG_LEN, 4, 12 } },
	    .reason = MML_DISK_E_REC_LEN },
	{ "msg_len 0xffffffff", .patch = { { R_MSG_LEN, 4, 0xffffffffU } },
	    .reason = MML_DISK_E_REC_LEN },
	{ "fields_len one less", .patch = { { R_FIELDS_LEN, 4, 8 } },
	    .reason = MML_DISK_E_REC_LEN },
	{ "fields_len 0xffffffff",
	    .patch = { { R_FIELDS_LEN, 4, 0xffffffffU } },
	    .reason = MML_DISK_E_REC_LEN },
	{ "type 0", .patch = { { R_TYPE, 2, 0 } },
	    .reason = MML_DISK_E_REC_TYPE },
	{ "type 3", .patch = { { R_TYPE, 2, 3 } },
	    .reason = MML_DISK_E_REC_TYPE },
	{ "type 0x0101", .patch = { { R_TYPE, 2, 0x0101 } },
	    .reason = MML_DISK_E_REC_TYPE },
	{ "WRAP longer than its header", .patch = { { R_TYPE, 2,
	    MML_REC_WRAP } }, .reason = MML_DISK_E_REC_LEN },
	{ "unknown flag 0x0004", .patch = { { R_FLAGS, 2, 0x0004 } },
	    .reason = MML_DISK_E_REC_TYPE },
	{ "F_META naming nothing (meta 0)",
	    .patch = { { R_FLAGS, 2, MML_REC_F_META } },
	    .reason = MML_DISK_E_REC_TYPE },
	{ "F_META naming slot 0",
	    .patch = { { R_FLAGS, 2, MML_REC_F_META },
		{ R_META, 4, 0x00010000 } },
	    .reason = MML_DISK_E_REC_TYPE },
	{ "F_META naming generation 0",
	    .patch = { { R_FLAGS, 2, MML_REC_F_META }, { R_META, 4, 5 } },
	    .reason = MML_DISK_E_REC_TYPE },
	{ "unknown flag 0x8000 with F_DAEMON",
	    .patch = { { R_FLAGS, 2, 0x8001 } },
	    .reason = MML_DISK_E_REC_TYPE },
	{ "priority 8", .patch = { { R_PRIO, 1, 8 } },
	    .reason = MML_DISK_E_REC_TYPE },
	{ "meta not 0 without F_META", .patch = { { R_META, 4, 1 } },
	    .reason = MML_DISK_E_REC_TYPE },
	{ "meta not 0 without F_META, with F_DAEMON",
	    .patch = { { R_FLAGS, 2, MML_REC_F_DAEMON },
		{ R_META, 4, 0x00010001 } },
	    .reason = MML_DISK_E_REC_TYPE },
	{ "seq one ahead of expected", .expect = RSEQ + 1,
	    .reason = MML_DISK_E_REC_SEQ },
	{ "seq one behind expected", .expect = RSEQ - 1,
	    .reason = MML_DISK_E_REC_SEQ },
	{ "offset not 8-aligned", .at = ROFF + 4,
	    .reason = MML_DISK_E_REC_BOUNDS },
	{ "offset odd", .at = ROFF + 1, .reason = MML_DISK_E_REC_BOUNDS },
	{ "offset in the last 63 bytes", .at = CAP - 56,
	    .reason = MML_DISK_E_REC_BOUNDS },
	{ "offset at capacity", .at = CAP,
	    .reason = MML_DISK_E_REC_BOUNDS },
	{ "offset far beyond capacity", .at = UINT64_MAX - 7,
	    .reason = MML_DISK_E_REC_BOUNDS },

	/* Two defects: the earlier check wins. */
	{ "type 3 and len 63",
	    .patch = { { R_TYPE, 2, 3 }, { R_LEN, 4, 63 } },
	    .reason = MML_DISK_E_REC_TYPE },
	{ "len 63 and comm_len 255",
	    .patch = { { R_LEN, 4, 63 }, { R_COMM_LEN, 1, 255 } },
	    .reason = MML_DISK_E_REC_BOUNDS },
	{ "lengths and priority 8",
	    .patch = { { R_MSG_LEN, 4, 12 }, { R_PRIO, 1, 8 } },
	    .reason = MML_DISK_E_REC_LEN },
	{ "priority 8 and wrong seq", .patch = { { R_PRIO, 1, 8 } },
	    .expect = RSEQ + 1, .reason = MML_DISK_E_REC_TYPE },
	{ "wrong seq and bad CRC", .patch = { { 64, 1, 'X' } },
	    .keep_crc = 1, .expect = RSEQ + 1,
	    .reason = MML_DISK_E_REC_SEQ },
};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
patch_apply(uint8_t *buf, const struct patch *p)
{
	uint8_t v8 = (uint8_t)p->value;
	uint16_t v16 = (uint16_t)p->value;
	uint32_t v32 = (uint32_t)p->value;
	uint64_t v64 = p->value;

	switch (p->width) {
	case 1:
		memcpy(buf + p->off, &v8, 1);
		break;
	case 2:
		memcpy(buf + p->off, &v16, 2);
		break;
	case 4:
		memcpy(buf + p->off, &v32, 4);
		break;
	case 8:
		memcpy(buf + p->off, &v64, 8);
		break;
	default:
		ck_abort_msg("bad patch width %d", p->width);
	}
}

/* A fresh header page for a ring of CAP bytes. */
static void
header_make(uint8_t *buf)
{
	struct mml_disk_header h;

	memset(buf, 0, MML_DISK_HEADER_SIZE);
	mml_disk_header_init(&h, CAP, ring_id, NOW_USEC);
	memcpy(buf, &h, sizeof(h));
}

static void
header_fix_crc(uint8_t *buf)
{
	uint32_t crc = mml_crc32c(0, buf, H_STATIC_CRC);

	memcpy(buf + H_STATIC_CRC, &crc, 4);
}

static void
bad_header_one(const struct bad_header *t)
{
	uint8_t *buf = (uint8_t *)page;
	enum mml_disk_reason why = MML_DISK_REASON_MAX;
	uint64_t size = FILE_SIZE;
	size_t i;
	int r;

	header_make(buf);
	for (i = 0; i < 2 && t->patch[i].width != 0; i++)
		patch_apply(buf, &t->patch[i]);
	if (t->fix_crc)
		header_fix_crc(buf);
	if (t->size == SIZE_ZERO)
		size = 0;
	else if (t->size != 0)
		size = (uint64_t)t->size;

	r = mml_disk_header_check(buf, size, &why);
	ck_assert_msg(r == -t->err, "%s: returned %d, want %d", t->name, r,
	    -t->err);
	ck_assert_msg(why == t->reason, "%s: reason %d (%s), want %d (%s)",
	    t->name, (int)why, mml_disk_reason_str(why), (int)t->reason,
	    mml_disk_reason_str(t->reason));
	ck_assert_int_eq(mml_disk_header_check(buf, size, NULL), -t->err);
}

START_TEST(test_bad_header)
{
	bad_header_one(&bad_headers[_i]);
}
END_TEST

/*
 * A keyed header (FORMAT.md, Versioning): the flag, the key at 192 and
 * its CRC at 208, the seed; a damaged key or key CRC is header damage,
 * and the static CRC covers the flag.
 */
START_TEST(test_header_key)
{
	static const uint8_t key[16] = "0123456789abcdef";
	struct mml_disk_header h;
	uint8_t *buf = (uint8_t *)page;
	enum mml_disk_reason why = MML_DISK_REASON_MAX;
	uint32_t seed;
	uint8_t rec[MML_REC_HDR + 8];
	struct mml_rec_hdr rh;
	struct mml_rec out;
	size_t i;

	memset(buf, 0, MML_DISK_HEADER_SIZE);
	mml_disk_header_init(&h, CAP, ring_id, NOW_USEC);
	ck_assert_uint_eq(mml_disk_crc_seed(&h), 0);
	ck_assert_int_eq(mml_disk_header_key(&h, key), 0);
	memcpy(buf, &h, sizeof(h));
	ck_assert_uint_eq(get32(buf + H_INCOMPAT), MML_INCOMPAT_KEYED);
	ck_assert_mem_eq(buf + 192, key, 16);
	ck_assert_uint_eq(get32(buf + 208), mml_crc32c(0, key, 16));
	seed = mml_disk_crc_seed(&h);
	ck_assert_uint_eq(seed, mml_crc32c(0, key, 16));
	ck_assert_int_eq(mml_disk_header_check(buf, FILE_SIZE, &why), 0);
	for (i = 192; i < 212; i++) {
		buf[i] ^= 0x08;
		ck_assert_int_eq(mml_disk_header_check(buf, FILE_SIZE, &why),
		    -EBADMSG);
		ck_assert_int_eq(why, MML_DISK_E_KEY);
		buf[i] ^= 0x08;
	}
	/* Dropping the flag is caught by the static CRC. */
	buf[H_INCOMPAT] = 0;
	ck_assert_int_eq(mml_disk_header_check(buf, FILE_SIZE, &why), -EBADMSG);
	ck_assert_int_eq(why, MML_DISK_E_CRC);

	/*
	 * A record's CRC is seeded: CRC32C of the key, then the record's
	 * bytes [4, len).  One written unkeyed does not check keyed, and
	 * the other way round.
	 */
	memset(&rh, 0, sizeof(rh));
	rh.type = MML_REC_ENTRY;
	rh.msg_len = 8;
	rh.seq = 7;
	(void)mml_disk_rec_write(rec, &rh, NULL, NULL, "abcdefgh", NULL, seed);
	ck_assert_uint_eq(get32(rec), mml_crc32c(seed, rec + 4, sizeof(rec) -
	    4));
	{
		uint8_t cat[16 + sizeof(rec) - 4];

		memcpy(cat, key, 16);
		memcpy(cat + 16, rec + 4, sizeof(rec) - 4);
		ck_assert_uint_eq(get32(rec), mml_crc32c(0, cat, sizeof(cat)));
	}
	ck_assert_int_eq(mml_disk_rec_check(rec, sizeof(rec), 0, 7, 1, seed,
	    &out, &why), 0);
	ck_assert_int_eq(mml_disk_rec_check(rec, sizeof(rec), 0, 7, 1, 0,
	    &out, &why), -EBADMSG);
	ck_assert_int_eq(why, MML_DISK_E_REC_CRC);
	(void)mml_disk_rec_write(rec, &rh, NULL, NULL, "abcdefgh", NULL, 0);
	ck_assert_int_eq(mml_disk_rec_check(rec, sizeof(rec), 0, 7, 1, seed,
	    &out, &why), -EBADMSG);
	ck_assert_int_eq(why, MML_DISK_E_REC_CRC);
	ck_assert_int_eq(mml_disk_rec_check(rec, sizeof(rec), 0, 7, 1, 0,
	    &out, &why), 0);
}
END_TEST

/* Every field of a fresh header, at the offset FORMAT.md gives. */
START_TEST(test_header_init)
{
	uint8_t *buf = (uint8_t *)page;
	enum mml_disk_reason why = MML_DISK_REASON_MAX;
	size_t i;

	memset(buf, 0xaa, MML_DISK_HEADER_SIZE);
	{
		struct mml_disk_header h;

		memset(&h, 0xaa, sizeof(h));
		mml_disk_header_init(&h, CAP, ring_id, NOW_USEC);
		memcpy(buf, &h, sizeof(h));
	}
	ck_assert_mem_eq(buf + H_MAGIC, "MMLOGRNG", 8);
	ck_assert_uint_eq(get32(buf + H_VERSION), 1);
	ck_assert_uint_eq(get32(buf + H_HSIZE), 4096);
	/* New rings have the seek index. */
	ck_assert_uint_eq(get32(buf + H_COMPAT), MML_COMPAT_INDEX);
	ck_assert_uint_eq(get32(buf + H_INCOMPAT), 0);
	ck_assert_mem_eq(buf + H_RING_ID, ring_id, 16);
	ck_assert_uint_eq(get64(buf + H_CAPACITY), CAP);
	ck_assert_uint_eq(get64(buf + H_CREATED), NOW_USEC);
	ck_assert_uint_eq(get32(buf + H_STATIC_CRC),
	    mml_crc32c(0, buf, H_STATIC_CRC));
	ck_assert_uint_eq(get32(buf + H_STATE), MML_STATE_CLEAN);
	ck_assert_uint_eq(get64(buf + H_DURABLE_OFF), 0);
	ck_assert_uint_eq(get64(buf + H_DURABLE_SEQ), 0);
	ck_assert_uint_eq(get64(buf + H_TAIL_OFF), 0);
	ck_assert_uint_eq(get64(buf + H_TAIL_SEQ), 1);
	ck_assert_uint_eq(get64(buf + H_HEAD_OFF), 0);
	ck_assert_uint_eq(get64(buf + H_HEAD_SEQ), 1);
	ck_assert_uint_eq(get64(buf + H_SEQ_LIMIT), 1);
	/* Times, boot id, counters and reserved bytes all start at 0. */
	for (i = 120; i < 256; i++)
		ck_assert_msg(buf[i] == 0, "header byte %zu is 0x%02x", i,
		    buf[i]);
	ck_assert_int_eq(mml_disk_header_check(buf, FILE_SIZE, &why), 0);
	ck_assert_int_eq(why, MML_DISK_OK);

	/* The static CRC covers [0, 56) and nothing after it. */
	buf[H_STATIC_CRC + 4] ^= 1;
	buf[200] ^= 1;
	ck_assert_int_eq(mml_disk_header_check(buf, FILE_SIZE, &why), 0);
	for (i = 0; i < H_STATIC_CRC; i++) {
		buf[i] ^= 0x10;
		ck_assert_int_lt(mml_disk_header_check(buf, FILE_SIZE, &why),
		    0);
		buf[i] ^= 0x10;
	}
}
END_TEST

/*
 * A real ring file: created with posix_fallocate() in the fixture's
 * directory, mapped shared, a header and records written through the
 * map, read back through a second read-only map, then truncated.
 */
START_TEST(test_header_file)
{
	char path[PATH_MAX + 16];
	struct mml_disk_header h;
	struct mml_rec_hdr rh;
	struct mml_rec rec;
	enum mml_disk_reason why;
	struct stat st;
	uint8_t *map, *ro;
	uint64_t off = 0, seq;
	int fd, r;

	(void)snprintf(path, sizeof(path), "%s/test.ring", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(posix_fallocate(fd, 0, (off_t)FILE_SIZE), 0);
	map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	mml_disk_header_init(&h, CAP, ring_id, NOW_USEC);
	memcpy(map, &h, sizeof(h));
	for (seq = 1; seq <= 10; seq++) {
		rec_hdr_make(&rh, seq);
		off += mml_disk_rec_write(map + MML_DISK_HEADER_SIZE + off,
		    &rh, R_COMM, R_TAG, R_MSG, R_FIELDS, 0);
	}
	ck_assert_int_eq(msync(map, FILE_SIZE, MS_SYNC), 0);

	ck_assert_int_eq(fstat(fd, &st), 0);
	ro = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(ro, MAP_FAILED);
	ck_assert_int_eq(mml_disk_header_check(ro, (uint64_t)st.st_size,
	    &why), 0);
	off = 0;
	for (seq = 1; seq <= 10; seq++) {
		r = mml_disk_rec_check(ro + MML_DISK_HEADER_SIZE, CAP, off, seq,
		    1, 0, &rec, &why);
		ck_assert_msg(r == 0, "seq %llu: %s", (unsigned long long)seq,
		    mml_disk_reason_str(why));
		off = mml_disk_next_off(CAP, off, rec.size);
	}
	ck_assert_int_eq(mml_disk_rec_check(ro + MML_DISK_HEADER_SIZE, CAP,
	    off, seq, 1, 0, &rec, &why), -EBADMSG);
	ck_assert_int_eq(munmap(ro, (size_t)st.st_size), 0);
	ck_assert_int_eq(munmap(map, FILE_SIZE), 0);

	/* Someone cut the file: the header still says CAP. */
	ck_assert_int_eq(ftruncate(fd, (off_t)(FILE_SIZE - 4096)), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ro = mmap(NULL, MML_DISK_HEADER_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(ro, MAP_FAILED);
	ck_assert_int_eq(mml_disk_header_check(ro, (uint64_t)st.st_size,
	    &why), -ENOSPC);
	ck_assert_int_eq(why, MML_DISK_E_TRUNCATED);
	ck_assert_int_eq(munmap(ro, MML_DISK_HEADER_SIZE), 0);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(unlink(path), 0);
}
END_TEST

static void
rec_hdr_make(struct mml_rec_hdr *h, uint64_t seq)
{
	memset(h, 0, sizeof(*h));
	h->type = MML_REC_ENTRY;
	h->priority = 5;
	h->comm_len = 2;
	h->tag_len = 3;
	h->msg_len = 11;
	h->fields_len = 9;
	h->seq = seq;
	h->realtime_usec = NOW_USEC;
	h->monotonic_usec = 987654321;
	h->pid = 1234;
	h->uid = 1000;
	h->gid = 100;
}

/* Writes the table's base record at off; returns its padded size. */
static uint64_t
rec_make(uint8_t *data, uint64_t off, uint64_t seq)
{
	struct mml_rec_hdr h;

	rec_hdr_make(&h, seq);
	return mml_disk_rec_write(data + off, &h, R_COMM, R_TAG, R_MSG,
	    R_FIELDS, 0);
}

static void
bad_rec_one(const struct bad_rec *t)
{
	uint8_t *data = (uint8_t *)region_words, *rec = data + ROFF;
	struct mml_rec ret, poison;
	enum mml_disk_reason why = MML_DISK_REASON_MAX;
	uint64_t at = t->at != AT_DEFAULT ? t->at : ROFF;
	uint64_t expect = t->expect != 0 ? t->expect : RSEQ;
	uint32_t len, crc;
	size_t i;
	int r;

	memset(data, 0, CAP);
	ck_assert_uint_eq(rec_make(data, ROFF, RSEQ), 96);
	ck_assert_int_eq(mml_disk_rec_check(data, CAP, ROFF, RSEQ, 1, 0, &ret,
	    &why), 0);

	for (i = 0; i < 4 && t->patch[i].width != 0; i++)
		patch_apply(rec, &t->patch[i]);
	len = get32(rec + R_LEN);
	if (!t->keep_crc && len >= 4 && len <= CAP - ROFF) {
		crc = mml_crc32c(0, rec + 4, len - 4);
		memcpy(rec + R_CRC, &crc, 4);
	}

	memset(&poison, 0xa5, sizeof(poison));
	ret = poison;
	r = mml_disk_rec_check(data, CAP, at, expect, 1, 0, &ret, &why);
	ck_assert_msg(r == -EBADMSG, "%s: returned %d", t->name, r);
	ck_assert_msg(why == t->reason, "%s: reason %d (%s), want %d (%s)",
	    t->name, (int)why, mml_disk_reason_str(why), (int)t->reason,
	    mml_disk_reason_str(t->reason));
	ck_assert_msg(memcmp(&ret, &poison, sizeof(ret)) == 0,
	    "%s: *ret written on failure", t->name);
	ck_assert_int_eq(mml_disk_rec_check(data, CAP, at, expect, 1, 0, &ret,
	    NULL), -EBADMSG);
	/* Without the CRC, only a CRC defect goes unnoticed. */
	r = mml_disk_rec_check(data, CAP, at, expect, 0, 0, &ret, &why);
	if (t->reason == MML_DISK_E_REC_CRC)
		ck_assert_msg(r == 0, "%s: quick check %d", t->name, r);
	else
		ck_assert_msg(r == -EBADMSG && why == t->reason,
		    "%s: quick check %d (%s)", t->name, r,
		    mml_disk_reason_str(why));
}

START_TEST(test_bad_rec)
{
	bad_rec_one(&bad_recs[_i]);
}
END_TEST

/*
 * Records whose length leaves every remainder modulo 8: each field at
 * its offset, the CRC over [4, len), padding zeroed, the bytes after
 * the padded size untouched, and mml_disk_rec_check() agreeing.
 */
START_TEST(test_rec_write)
{
	uint8_t *data = (uint8_t *)region_words, *p;
	static const char comm[] = "0123456789abcdef";
	static const uint8_t msg[] = { 'm', 0, 's', 0, 'g', 0xff, '\n' };
	struct mml_rec_hdr h;
	struct mml_rec rec;
	enum mml_disk_reason why;
	uint64_t off = 0, size, seq = 1000;
	size_t comm_len, k;

	memset(data, 0xaa, CAP);
	for (comm_len = 0; comm_len <= MML_COMM_MAX; comm_len++, seq++) {
		memset(&h, 0xcc, sizeof(h));
		h.type = MML_REC_ENTRY;
		h.priority = (uint8_t)(comm_len % 8);
		h.comm_len = (uint8_t)comm_len;
		h.tag_len = 4;
		h.flags = comm_len % 2 ? MML_REC_F_DAEMON : 0;
		h.msg_len = sizeof(msg);
		h.fields_len = 9;
		h.seq = seq;
		h.realtime_usec = NOW_USEC + comm_len;
		h.monotonic_usec = 5000000 + comm_len;
		h.pid = 4242;
		h.uid = 0xfffffffeU;
		h.gid = 7;
		h.meta = 0;
		/* Every third names metadata slot comm_len + 1, generation 7. */
		if (comm_len % 3 == 0) {
			h.flags |= MML_REC_F_META;
			h.meta = (uint32_t)(comm_len + 1) | 7U << 16;
		}
		size = mml_disk_rec_write(data + off, &h, comm, "tag0", msg,
		    R_FIELDS, 0);
		p = data + off;

		ck_assert_uint_eq(size, mml_disk_rec_size(comm_len, 4,
		    sizeof(msg), 9));
		ck_assert_uint_eq(size % MML_DISK_ALIGN, 0);
		ck_assert_uint_eq(get32(p + R_LEN), 64 + comm_len + 4 +
		    sizeof(msg) + 9);
		ck_assert_uint_eq(size - get32(p + R_LEN) < 8, 1);
		ck_assert_uint_eq(get32(p + R_CRC), mml_crc32c(0, p + 4,
		    get32(p + R_LEN) - 4));
		ck_assert_uint_eq(get16(p + R_TYPE), MML_REC_ENTRY);
		ck_assert_uint_eq(p[R_PRIO], comm_len % 8);
		ck_assert_uint_eq(p[R_COMM_LEN], comm_len);
		ck_assert_uint_eq(get16(p + R_TAG_LEN), 4);
		ck_assert_uint_eq(get16(p + R_FLAGS), comm_len % 2 |
		    (comm_len % 3 == 0 ? MML_REC_F_META : 0));
		ck_assert_uint_eq(get32(p + R_MSG_LEN), sizeof(msg));
		ck_assert_uint_eq(get32(p + R_FIELDS_LEN), 9);
		ck_assert_uint_eq(get64(p + R_SEQ), seq);
		ck_assert_uint_eq(get64(p + R_REALTIME), NOW_USEC + comm_len);
		ck_assert_uint_eq(get64(p + R_MONOTONIC), 5000000 + comm_len);
		ck_assert_uint_eq(get32(p + R_PID), 4242);
		ck_assert_uint_eq(get32(p + R_UID), 0xfffffffeU);
		ck_assert_uint_eq(get32(p + R_GID), 7);
		ck_assert_uint_eq(get32(p + R_META), comm_len % 3 == 0 ?
		    (uint32_t)(comm_len + 1) | 7U << 16 : 0);
		ck_assert_mem_eq(p + 64, comm, comm_len);
		ck_assert_mem_eq(p + 64 + comm_len, "tag0", 4);
		ck_assert_mem_eq(p + 64 + comm_len + 4, msg, sizeof(msg));
		ck_assert_mem_eq(p + 64 + comm_len + 4 + sizeof(msg), R_FIELDS,
		    9);
		for (k = get32(p + R_LEN); k < size; k++)
			ck_assert_msg(p[k] == 0, "padding byte %zu not 0", k);
		ck_assert_uint_eq(p[size], 0xaa);

		ck_assert_int_eq(mml_disk_rec_check(data, CAP, off, seq, 1, 0,
		    &rec, &why), 0);
		ck_assert_int_eq(why, MML_DISK_OK);
		ck_assert_uint_eq(rec.off, off);
		ck_assert_uint_eq(rec.size, size);
		ck_assert_int_eq(memcmp(&rec.hdr, p, 64), 0);
		ck_assert_ptr_eq(rec.comm, p + 64);
		ck_assert_ptr_eq(rec.tag, p + 64 + comm_len);
		ck_assert_ptr_eq(rec.msg, p + 64 + comm_len + 4);
		ck_assert_ptr_eq(rec.fields, p + 64 + comm_len + 4 +
		    sizeof(msg));
		/* expect_seq 0 skips the sequence check. */
		ck_assert_int_eq(mml_disk_rec_check(data, CAP, off, 0, 1, 0, &rec,
		    &why), 0);
		/* The padding is not covered by the CRC. */
		if (size > get32(p + R_LEN)) {
			p[size - 1] = 0x55;
			ck_assert_int_eq(mml_disk_rec_check(data, CAP, off, seq,
			    1, 0, &rec, &why), 0);
			p[size - 1] = 0;
		}
		off += size;
	}

	/* An empty entry is just its header; one may end the region. */
	memset(&h, 0, sizeof(h));
	h.type = MML_REC_ENTRY;
	h.seq = 7;
	ck_assert_uint_eq(mml_disk_rec_write(data + CAP - 64, &h, NULL, NULL,
	    NULL, NULL, 0), 64);
	ck_assert_int_eq(mml_disk_rec_check(data, CAP, CAP - 64, 7, 1, 0, &rec,
	    &why), 0);
	ck_assert_uint_eq(rec.size, 64);
	ck_assert_uint_eq(mml_disk_next_off(CAP, CAP - 64, rec.size), 0);

	/* A record a reader copied out checks on its own. */
	{
		uint64_t copy[128 / 8];

		memset(data, 0, CAP);
		size = rec_make(data, ROFF, RSEQ);
		memcpy(copy, data + ROFF, size);
		memset(data + ROFF, 0, size);
		ck_assert_int_eq(mml_disk_rec_check((uint8_t *)copy, size, 0,
		    RSEQ, 1, 0, &rec, &why), 0);
		ck_assert_mem_eq(rec.msg, R_MSG, 11);
	}
}
END_TEST

START_TEST(test_wrap_record)
{
	uint8_t *data = (uint8_t *)region_words, *p;
	struct mml_rec rec;
	enum mml_disk_reason why;
	static const uint64_t at[] = { 0, ROFF, CAP - 128, CAP - 64 };
	size_t i, k;
	uint32_t crc, len;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		memset(data, 0xaa, CAP);
		p = data + at[i];
		mml_disk_wrap_write(p, 77, NOW_USEC, 0);
		ck_assert_uint_eq(get32(p + R_LEN), 64);
		ck_assert_uint_eq(get16(p + R_TYPE), MML_REC_WRAP);
		ck_assert_uint_eq(get64(p + R_SEQ), 77);
		ck_assert_uint_eq(get64(p + R_REALTIME), NOW_USEC);
		ck_assert_uint_eq(get32(p + R_CRC), mml_crc32c(0, p + 4, 60));
		/* Every other field is 0. */
		for (k = R_TYPE + 2; k < R_SEQ; k++)
			ck_assert_uint_eq(p[k], 0);
		for (k = R_MONOTONIC; k < 64; k++)
			ck_assert_uint_eq(p[k], 0);
		if (at[i] + 64 < CAP)
			ck_assert_uint_eq(p[64], 0xaa);

		ck_assert_int_eq(mml_disk_rec_check(data, CAP, at[i], 77, 1, 0,
		    &rec, &why), 0);
		ck_assert_uint_eq(rec.hdr.type, MML_REC_WRAP);
		ck_assert_uint_eq(rec.hdr.seq, 77);
		ck_assert_uint_eq(rec.size, 64);
		ck_assert_int_eq(mml_disk_rec_check(data, CAP, at[i], 78, 1, 0,
		    &rec, &why), -EBADMSG);
		ck_assert_int_eq(why, MML_DISK_E_REC_SEQ);
		ck_assert_int_eq(mml_disk_rec_check(data, CAP, at[i], 76, 1, 0,
		    &rec, &why), -EBADMSG);
		ck_assert_int_eq(why, MML_DISK_E_REC_SEQ);
	}
	/* A WRAP must be exactly its header, CRC or not. */
	p = data + ROFF;
	mml_disk_wrap_write(p, 77, NOW_USEC, 0);
	len = 72;
	memcpy(p + R_LEN, &len, 4);
	crc = mml_crc32c(0, p + 4, len - 4);
	memcpy(p + R_CRC, &crc, 4);
	ck_assert_int_eq(mml_disk_rec_check(data, CAP, ROFF, 77, 1, 0, &rec,
	    &why), -EBADMSG);
	ck_assert_int_eq(why, MML_DISK_E_REC_LEN);
}
END_TEST

START_TEST(test_next_off)
{
	static const struct {
		uint64_t cap, off, size, next;
	} t[] = {
		{ CAP, 0, 64, 64 },
		{ CAP, 0, 96, 96 },
		{ CAP, 1024, 4096, 5120 },
		{ CAP, CAP - 192, 64, CAP - 128 },
		{ CAP, CAP - 192, 128, CAP - 64 },	/* a header fits */
		{ CAP, CAP - 192, 136, 0 },		/* 56 bytes left */
		{ CAP, CAP - 192, 184, 0 },		/* 8 bytes left */
		{ CAP, CAP - 192, 192, 0 },		/* at the end */
		{ CAP, CAP - 64, 64, 0 },
		{ CAP, 0, CAP, 0 },
		{ CAP, 0, CAP - 64, CAP - 64 },
		{ CAP, 0, CAP - 56, 0 },
		{ MML_DISK_CAP_MAX, MML_DISK_CAP_MAX - 128, 64,
		    MML_DISK_CAP_MAX - 64 },
		{ MML_DISK_CAP_MAX, MML_DISK_CAP_MAX - 128, 72, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(mml_disk_next_off(t[i].cap, t[i].off,
		    t[i].size) == t[i].next, "row %zu: %llu, want %llu", i,
		    (unsigned long long)mml_disk_next_off(t[i].cap, t[i].off,
		    t[i].size), (unsigned long long)t[i].next);
	ck_assert_uint_eq(mml_disk_rec_size(0, 0, 0, 0), 64);
	ck_assert_uint_eq(mml_disk_rec_size(1, 0, 0, 0), 72);
	ck_assert_uint_eq(mml_disk_rec_size(2, 3, 11, 9), 96);
	ck_assert_uint_eq(mml_disk_rec_size(16, 255, 4096, 8), 64 + 4376);
}
END_TEST

/*
 * Torn records: what a reader sees if it looks while the writer is in
 * the middle of a record, or after a crash cut one short.
 */
START_TEST(test_torn)
{
	uint8_t *data = (uint8_t *)region_words;
	static uint64_t scratch_words[1024 / 8];
	uint8_t *scratch = (uint8_t *)scratch_words;
	uint8_t old_msg[400], new_msg[400];
	struct mml_rec_hdr h;
	struct mml_rec rec;
	enum mml_disk_reason why;
	uint64_t size, next;
	size_t half;

	memset(old_msg, 'A', sizeof(old_msg));
	memset(new_msg, 'B', sizeof(new_msg));
	memset(data, 0, CAP);

	/* The writer stores the header with crc 0 first: no record yet. */
	rec_hdr_make(&h, RSEQ);
	h.comm_len = 0;
	h.tag_len = 0;
	h.fields_len = 0;
	h.msg_len = sizeof(new_msg);
	size = mml_disk_rec_write(data + ROFF, &h, NULL, NULL, new_msg, NULL, 0);
	memset(data + ROFF, 0, 4);
	ck_assert_int_eq(mml_disk_rec_check(data, CAP, ROFF, RSEQ, 1, 0, &rec,
	    &why), -EBADMSG);
	ck_assert_int_eq(why, MML_DISK_E_REC_CRC);

	/* Half of the new payload over an older record of the same size. */
	h.seq = 10;
	(void)mml_disk_rec_write(data + ROFF, &h, NULL, NULL, old_msg, NULL, 0);
	ck_assert_int_eq(mml_disk_rec_check(data, CAP, ROFF, 10, 1, 0, &rec,
	    &why), 0);
	h.seq = RSEQ;
	ck_assert_uint_eq(mml_disk_rec_write(scratch, &h, NULL, NULL, new_msg,
	    NULL, 0), size);
	half = 64 + sizeof(new_msg) / 2;
	memcpy(data + ROFF, scratch, half);
	ck_assert_int_eq(mml_disk_rec_check(data, CAP, ROFF, RSEQ, 1, 0, &rec,
	    &why), -EBADMSG);
	ck_assert_int_eq(why, MML_DISK_E_REC_CRC);
	/* The quick walk cannot tell: only the CRC vouches for a payload. */
	ck_assert_int_eq(mml_disk_rec_check(data, CAP, ROFF, RSEQ, 0, 0, &rec,
	    &why), 0);
	/* The rest arrives: now it checks. */
	memcpy(data + ROFF + half, scratch + half, size - half);
	ck_assert_int_eq(mml_disk_rec_check(data, CAP, ROFF, RSEQ, 1, 0, &rec,
	    &why), 0);

	/* Only the new header landed, the old payload is still there. */
	h.seq = 10;
	(void)mml_disk_rec_write(data + ROFF, &h, NULL, NULL, old_msg, NULL, 0);
	memcpy(data + ROFF, scratch, 64);
	ck_assert_int_eq(mml_disk_rec_check(data, CAP, ROFF, RSEQ, 1, 0, &rec,
	    &why), -EBADMSG);
	ck_assert_int_eq(why, MML_DISK_E_REC_CRC);

	/*
	 * A short record over a long old one: after it, the reader lands in
	 * the middle of the old payload and must stop there.
	 */
	h.seq = 10;
	(void)mml_disk_rec_write(data + ROFF, &h, NULL, NULL, old_msg, NULL, 0);
	size = rec_make(data, ROFF, RSEQ);
	next = mml_disk_next_off(CAP, ROFF, size);
	ck_assert_int_eq(mml_disk_rec_check(data, CAP, ROFF, RSEQ, 1, 0, &rec,
	    &why), 0);
	ck_assert_int_eq(mml_disk_rec_check(data, CAP, next, RSEQ + 1, 1, 0, &rec,
	    &why), -EBADMSG);
}
END_TEST

static void
model_init(struct model *m, uint8_t *data, uint64_t cap)
{
	memset(m, 0, sizeof(*m));
	m->data = data;
	m->cap = cap;
	m->head_seq = 1;
	m->tail_seq = 1;
}

/*
 * The tail leaves [lo, hi) record by record before the writer overwrites
 * it, as FORMAT.md requires; each record it passes must still check.
 */
static void
model_evict(struct model *m, uint64_t lo, uint64_t hi)
{
	struct mml_rec rec;
	enum mml_disk_reason why;
	int r;

	while (m->tail_seq < m->head_seq && m->tail_off >= lo &&
	    m->tail_off < hi) {
		r = mml_disk_rec_check(m->data, m->cap, m->tail_off,
		    m->tail_seq, 1, 0, &rec, &why);
		ck_assert_msg(r == 0, "tail record seq %llu at %llu: %s",
		    (unsigned long long)m->tail_seq,
		    (unsigned long long)m->tail_off, mml_disk_reason_str(why));
		if (rec.hdr.type == MML_REC_WRAP) {
			m->tail_off = 0;
			continue;
		}
		m->tail_off = mml_disk_next_off(m->cap, m->tail_off, rec.size);
		m->tail_seq++;
		m->evicted++;
	}
}

static void
msg_fill(uint8_t *p, size_t len, uint64_t seq)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 7 + i);
}

/* Appends entry head_seq with a message of msg_len bytes. */
static uint64_t
model_append(struct model *m, size_t msg_len, uint64_t *ret_off)
{
	static uint8_t msg[8192];
	struct mml_rec_hdr h;
	uint64_t size;

	ck_assert_uint_le(msg_len, sizeof(msg));
	size = mml_disk_rec_size(0, 0, msg_len, 0);
	if (size > m->cap - m->head_off) {
		/*
		 * Does not fit before the end: a WRAP, then offset 0.  The
		 * walk never visits [head_off, cap) again after the WRAP, so
		 * the tail must leave all of it first, not just the WRAP's
		 * 64 bytes.
		 */
		model_evict(m, m->head_off, m->cap);
		mml_disk_wrap_write(m->data + m->head_off, m->head_seq,
		    NOW_USEC, 0);
		m->head_off = 0;
		m->wraps++;
	}
	model_evict(m, m->head_off, m->head_off + size);
	memset(&h, 0, sizeof(h));
	h.type = MML_REC_ENTRY;
	h.priority = (uint8_t)(m->head_seq % 8);
	h.msg_len = (uint32_t)msg_len;
	h.seq = m->head_seq;
	msg_fill(msg, msg_len, m->head_seq);
	ck_assert_uint_eq(mml_disk_rec_write(m->data + m->head_off, &h, NULL,
	    NULL, msg, NULL, 0), size);
	*ret_off = m->head_off;
	if (mml_disk_next_off(m->cap, m->head_off, size) == 0)
		m->wraps++;
	m->head_off = mml_disk_next_off(m->cap, m->head_off, size);
	return m->head_seq++;
}

/*
 * Walks from (off, seq) the way FORMAT.md tells readers and recovery:
 * each record must check with the expected seq; a WRAP sends the walk to
 * offset 0 with the same seq; the first record that fails is the head.
 * Returns the number of entries, with the head's offset and seq.
 */
static uint64_t
walk(const uint8_t *data, uint64_t cap, uint64_t off, uint64_t seq,
    uint64_t *ret_head_off, uint64_t *ret_head_seq)
{
	struct mml_rec rec;
	enum mml_disk_reason why;
	uint64_t n = 0, steps;

	for (steps = 0; steps < cap / MML_REC_HDR + 2; steps++) {
		if (mml_disk_rec_check(data, cap, off, seq, 1, 0, &rec, &why) < 0)
			break;
		if (rec.hdr.type == MML_REC_WRAP) {
			off = 0;
			continue;
		}
		ck_assert_uint_eq(rec.hdr.priority, seq % 8);
		n++;
		seq++;
		off = mml_disk_next_off(cap, off, rec.size);
	}
	ck_assert_uint_lt(steps, cap / MML_REC_HDR + 2);
	*ret_head_off = off;
	*ret_head_seq = seq;
	return n;
}

/*
 * Thousands of entries of random sizes through a 64 KiB ring: after
 * every append, a reader starting at the tail finds exactly the entries
 * from tail_seq to head_seq - 1 and stops at the head.
 */
START_TEST(test_ring_walk)
{
	uint8_t *data = (uint8_t *)region_words;
	struct model m;
	uint64_t s = 2024, hoff, hseq, n, off;
	size_t len;
	int i;

	memset(data, 0, CAP);
	model_init(&m, data, CAP);
	n = walk(data, CAP, m.tail_off, m.tail_seq, &hoff, &hseq);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(hoff, 0);

	for (i = 0; i < 6000; i++) {
		switch (rnd(&s) % 4) {
		case 0:
			len = 0;
			break;
		case 1:
			len = (size_t)(rnd(&s) % 64);
			break;
		case 2:
			len = (size_t)(rnd(&s) % 1024);
			break;
		default:
			len = (size_t)(rnd(&s) % 8000);
			break;
		}
		(void)model_append(&m, len, &off);
		n = walk(data, CAP, m.tail_off, m.tail_seq, &hoff, &hseq);
		ck_assert_uint_eq(n, m.head_seq - m.tail_seq);
		ck_assert_uint_eq(hseq, m.head_seq);
		ck_assert_uint_eq(hoff, m.head_off);
	}
	ck_assert_uint_gt(m.wraps, 50);
	ck_assert_uint_gt(m.evicted, 5000);
}
END_TEST

/*
 * Recovery after a crash of the daemon: from durable_off/durable_seq + 1
 * the scan passes every whole record written after the last sync and
 * stops at the first torn one, which is where the head was.
 */
START_TEST(test_recovery_scan)
{
	uint8_t *data = (uint8_t *)region_words;
	struct model m;
	uint64_t s = 77, dur_off = 0, dur_seq = 0, off = 0, seq, hoff, hseq;
	int i, round;

	for (round = 0; round < 200; round++) {
		memset(data, 0, CAP);
		model_init(&m, data, CAP);
		dur_off = 0;
		dur_seq = 0;
		for (i = 0; i < 100 + (int)(rnd(&s) % 400); i++) {
			seq = model_append(&m, (size_t)(rnd(&s) % 2000), &off);
			/* Sometimes a sync: the durable cursor catches up. */
			if (rnd(&s) % 16 == 0) {
				dur_off = m.head_off;
				dur_seq = seq;
			}
		}
		/* A crash while writing the next record: its CRC is 0. */
		seq = model_append(&m, (size_t)(rnd(&s) % 2000), &off);
		memset(data + off, 0, 4);
		/*
		 * The writer never lets the tail pass the durable cursor
		 * (FORMAT.md); this model does not sync, so it moves the
		 * cursor to the tail instead.
		 */
		if (dur_seq + 1 < m.tail_seq) {
			dur_off = m.tail_off;
			dur_seq = m.tail_seq - 1;
		}

		(void)walk(data, CAP, dur_off, dur_seq + 1, &hoff, &hseq);
		ck_assert_uint_eq(hseq, seq);
		ck_assert_uint_eq(hoff, off);
	}
}
END_TEST

START_TEST(test_reason_str)
{
	const char *s[MML_DISK_REASON_MAX];
	int i, j;

	for (i = 0; i < MML_DISK_REASON_MAX; i++) {
		s[i] = mml_disk_reason_str((enum mml_disk_reason)i);
		ck_assert_ptr_nonnull(s[i]);
		ck_assert_str_ne(s[i], "unknown reason");
		for (j = 0; j < i; j++)
			ck_assert_str_ne(s[i], s[j]);
	}
	ck_assert_str_eq(mml_disk_reason_str(MML_DISK_REASON_MAX),
	    "unknown reason");
}
END_TEST

/* Checked fixture: every test of the case gets its own directory. */
static void
dir_setup(void)
{
	const char *base = getenv("TMPDIR");

	(void)snprintf(tmpdir, sizeof(tmpdir), "%s/check_disk.XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/* Removes what a failed test may have left, then the directory. */
static void
dir_teardown(void)
{
	char path[PATH_MAX + 16];

	(void)snprintf(path, sizeof(path), "%s/test.ring", tmpdir);
	(void)unlink(path);
	ck_assert_int_eq(rmdir(tmpdir), 0);
}


/* The index's geometry follows from the capacity alone (FORMAT.md). */
START_TEST(test_idx_geometry)
{
	static const struct {
		uint64_t cap;
		unsigned shift;
		uint64_t slots, file_off, size;
	} c[] = {
		{ 65536, 16, 1, 69632, 4096 },
		{ 65544, 16, 2, 73728, 4096 },
		{ (uint64_t)1 << 30, 16, 16384, 4096 + ((uint64_t)1 << 30),
		    16384 * 32 },
		{ ((uint64_t)1 << 32), 16, 65536, 4096 + ((uint64_t)1 << 32),
		    65536 * 32 },
		{ ((uint64_t)1 << 32) + 8, 17, 32769,
		    8192 + ((uint64_t)1 << 32), 32769 * 32 + 4064 },
		{ (uint64_t)1 << 40, 24, 65536, 4096 + ((uint64_t)1 << 40),
		    65536 * 32 },
	};
	struct mml_disk_header h;
	uint8_t id[16] = { 0 };
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ck_assert_uint_eq(mml_idx_shift(c[i].cap), c[i].shift);
		ck_assert_uint_eq(mml_idx_slots(c[i].cap), c[i].slots);
		ck_assert_uint_eq(mml_idx_file_off(c[i].cap), c[i].file_off);
		ck_assert_uint_eq(mml_idx_size(c[i].cap), c[i].size);
		mml_disk_header_init(&h, c[i].cap, id, 1);
		ck_assert_uint_eq(mml_disk_file_size(&h),
		    c[i].file_off + c[i].size);
		h.compat_flags = 0;
		ck_assert_uint_eq(mml_disk_file_size(&h), 4096 + c[i].cap);
	}
}
END_TEST

/* Slots: empty, whole, and every way one can be damaged. */
START_TEST(test_idx_slot)
{
	const uint64_t cap = (uint64_t)1 << 20;	/* 16 buckets of 64 KiB */
	struct mml_idx_slot s, z;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(mml_idx_slot_check(&z, cap, 0, 0), 0);
	mml_idx_slot_make(&s, 42, 1700000000000000, 3 * 65536 + 64, 0);
	ck_assert_uint_eq(s.reserved, 0);
	ck_assert_int_eq(mml_idx_slot_check(&s, cap, 3, 0), 1);
	ck_assert_int_eq(mml_idx_slot_check(&s, cap, 2, 0), -1);	/* other bucket */
	ck_assert_int_eq(mml_idx_slot_check(&s, cap, 4, 0), -1);
	s.seq++;						/* CRC */
	ck_assert_int_eq(mml_idx_slot_check(&s, cap, 3, 0), -1);
	mml_idx_slot_make(&s, 42, 1, 3 * 65536 + 4, 0);		/* unaligned */
	ck_assert_int_eq(mml_idx_slot_check(&s, cap, 3, 0), -1);
	mml_idx_slot_make(&s, 42, 1, cap - 8, 0);			/* no room */
	ck_assert_int_eq(mml_idx_slot_check(&s, cap, 15, 0), -1);
	mml_idx_slot_make(&s, 0, 1, 0, 0);				/* seq 0 */
	ck_assert_int_eq(mml_idx_slot_check(&s, cap, 0, 0), -1);
	mml_idx_slot_make(&s, 42, 1, 0, 0);
	s.reserved = 1;
	ck_assert_int_eq(mml_idx_slot_check(&s, cap, 0, 0), -1);
	mml_idx_slot_make(&s, 42, 1, cap, 0);			/* beyond */
	ck_assert_int_eq(mml_idx_slot_check(&s, cap, 16, 0), -1);
}
END_TEST

Suite *
disk_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("disk");

	tc = tcase_create("header_init");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_header_init);
	tcase_add_test(tc, test_header_key);
	suite_add_tcase(s, tc);

	tc = tcase_create("header_bad");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_bad_header, 0,
	    (int)(sizeof(bad_headers) / sizeof(bad_headers[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("header_file");
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, test_header_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("rec_write");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_rec_write);
	suite_add_tcase(s, tc);

	tc = tcase_create("rec_bad");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_bad_rec, 0,
	    (int)(sizeof(bad_recs) / sizeof(bad_recs[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("wrap");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_wrap_record);
	tcase_add_test(tc, test_next_off);
	suite_add_tcase(s, tc);

	tc = tcase_create("torn");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_torn);
	suite_add_tcase(s, tc);

	tc = tcase_create("ring_walk");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ring_walk);
	suite_add_tcase(s, tc);

	tc = tcase_create("recovery");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_recovery_scan);
	suite_add_tcase(s, tc);

	tc = tcase_create("index");
	tcase_add_test(tc, test_idx_geometry);
	tcase_add_test(tc, test_idx_slot);
	suite_add_tcase(s, tc);

	tc = tcase_create("reason_str");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_reason_str);
	suite_add_tcase(s, tc);

	return s;
}
