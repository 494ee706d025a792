/*
 * disk.c: checking and writing ring-file headers and records
 * (proto/FORMAT.md).
 *
 * Readers map the file while the daemon writes it, and the file may be
 * damaged or hostile, so every check works on a copy of the bytes it
 * judges and compares lengths with what remains of the region.
 */
#include <errno.h>
#include <string.h>

#include "disk.h"

static const char *const reason_str[MML_DISK_REASON_MAX] = {
	[MML_DISK_OK] = "ok",
	[MML_DISK_E_SHORT] = "file is smaller than a ring header",
	[MML_DISK_E_MAGIC] = "not an mmlog ring file (bad magic)",
	[MML_DISK_E_VERSION] = "unsupported ring format version",
	[MML_DISK_E_HSIZE] = "unsupported header size",
	[MML_DISK_E_INCOMPAT] = "ring uses an unknown incompatible feature",
	[MML_DISK_E_CRC] = "header checksum mismatch (damaged header)",
	[MML_DISK_E_CAPACITY] = "capacity in header out of range",
	[MML_DISK_E_TRUNCATED] = "file is shorter than its header says",
	[MML_DISK_E_CURSOR] = "cursor in header out of range",
	[MML_DISK_E_REC_BOUNDS] = "record crosses the end of the ring",
	[MML_DISK_E_REC_LEN] = "record lengths do not add up",
	[MML_DISK_E_REC_TYPE] = "unknown record type or flags",
	[MML_DISK_E_REC_CRC] = "record checksum mismatch",
	[MML_DISK_E_REC_SEQ] = "unexpected sequence number",
	[MML_DISK_E_KEY] = "ring key checksum mismatch (damaged header)",
	[MML_DISK_E_SPARSE] = "ring file has holes (not fully allocated)",
};

const char *
mml_disk_reason_str(enum mml_disk_reason reason)
{
	if ((unsigned)reason >= MML_DISK_REASON_MAX)
		return "unknown reason";
	return reason_str[reason];
}

static int
off_valid(uint64_t off, uint64_t capacity)
{
	return off % MML_DISK_ALIGN == 0 && off < capacity &&
	    capacity - off >= MML_REC_HDR;
}

int
mml_disk_header_check(const void *buf, uint64_t file_size,
    enum mml_disk_reason *ret_reason)
{
	struct mml_disk_header h;
	enum mml_disk_reason why = MML_DISK_OK;
	int r = -EBADMSG;

	if (file_size < MML_DISK_HEADER_SIZE) {
		why = MML_DISK_E_SHORT;
		goto out;
	}
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, MML_DISK_MAGIC, sizeof(h.magic)) != 0) {
		why = MML_DISK_E_MAGIC;
		goto out;
	}
	if (h.version != MML_DISK_VERSION) {
		why = MML_DISK_E_VERSION;
		r = -EPROTONOSUPPORT;
		goto out;
	}
	if (h.header_size != MML_DISK_HEADER_SIZE) {
		why = MML_DISK_E_HSIZE;
		goto out;
	}
	if (mml_crc32c(0, &h, offsetof(struct mml_disk_header, static_crc)) !=
	    h.static_crc) {
		why = MML_DISK_E_CRC;
		goto out;
	}
	if ((h.incompat_flags & ~MML_INCOMPAT_KNOWN) != 0) {
		why = MML_DISK_E_INCOMPAT;
		r = -EPROTONOSUPPORT;
		goto out;
	}
	/*
	 * A damaged key would make every record fail its CRC: the header is
	 * damaged, not the records.  A key whose seed is 0 keys nothing.
	 */
	if ((h.incompat_flags & MML_INCOMPAT_KEYED) &&
	    (mml_crc32c(0, h.crc_key, sizeof(h.crc_key)) != h.key_crc ||
	    mml_disk_crc_seed(&h) == 0)) {
		why = MML_DISK_E_KEY;
		goto out;
	}
	if (h.capacity < MML_DISK_CAP_MIN || h.capacity > MML_DISK_CAP_MAX ||
	    h.capacity % MML_DISK_ALIGN != 0) {
		why = MML_DISK_E_CAPACITY;
		goto out;
	}
	if (file_size - MML_DISK_HEADER_SIZE < h.capacity) {
		why = MML_DISK_E_TRUNCATED;
		r = -ENOSPC;
		goto out;
	}
	if (!off_valid(h.durable_off, h.capacity) ||
	    !off_valid(h.tail_off, h.capacity) ||
	    !off_valid(h.head_off, h.capacity) ||
	    h.tail_seq == 0 || h.durable_seq >= h.seq_limit ||
	    h.seq_limit > MML_SEQ_MAX) {
		why = MML_DISK_E_CURSOR;
		goto out;
	}
	r = 0;
out:
	if (ret_reason != NULL)
		*ret_reason = why;
	return r;
}

void
mml_disk_header_init(struct mml_disk_header *h, uint64_t capacity,
    const uint8_t ring_id[16], uint64_t now_usec)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, MML_DISK_MAGIC, sizeof(h->magic));
	h->version = MML_DISK_VERSION;
	h->header_size = MML_DISK_HEADER_SIZE;
	memcpy(h->ring_id, ring_id, sizeof(h->ring_id));
	h->capacity = capacity;
	h->created_usec = now_usec;
	h->compat_flags = MML_COMPAT_INDEX;
	h->static_crc = mml_crc32c(0, h,
	    offsetof(struct mml_disk_header, static_crc));
	h->state = MML_STATE_CLEAN;
	h->tail_seq = 1;
	h->head_seq = 1;
	h->seq_limit = 1;
}

int
mml_disk_header_key(struct mml_disk_header *h, const uint8_t key[16])
{
	if (mml_crc32c(0, key, MML_DISK_KEY_LEN) == 0)
		return -EINVAL;
	memcpy(h->crc_key, key, sizeof(h->crc_key));
	h->key_crc = mml_crc32c(0, h->crc_key, sizeof(h->crc_key));
	h->incompat_flags |= MML_INCOMPAT_KEYED;
	h->static_crc = mml_crc32c(0, h,
	    offsetof(struct mml_disk_header, static_crc));
	return 0;
}

uint32_t
mml_disk_crc_seed(const struct mml_disk_header *h)
{
	if (!(h->incompat_flags & MML_INCOMPAT_KEYED))
		return 0;
	return mml_crc32c(0, h->crc_key, sizeof(h->crc_key));
}

int
mml_disk_rec_check(const uint8_t *data, uint64_t capacity, uint64_t off,
    uint64_t expect_seq, int verify_crc, uint32_t seed, struct mml_rec *ret,
    enum mml_disk_reason *ret_reason)
{
	struct mml_rec_hdr h;
	enum mml_disk_reason why = MML_DISK_OK;
	uint64_t payload, size;
	int r = -EBADMSG;

	if (!off_valid(off, capacity)) {
		why = MML_DISK_E_REC_BOUNDS;
		goto out;
	}
	memcpy(&h, data + off, sizeof(h));
	if (h.type == MML_REC_WRAP) {
		if (h.len != MML_REC_HDR) {
			why = MML_DISK_E_REC_LEN;
			goto out;
		}
	} else if (h.type != MML_REC_ENTRY) {
		why = MML_DISK_E_REC_TYPE;
		goto out;
	}
	if (h.len < MML_REC_HDR || h.len > capacity - off) {
		why = MML_DISK_E_REC_BOUNDS;
		goto out;
	}
	payload = h.len - MML_REC_HDR;
	if (h.comm_len > MML_COMM_MAX || h.comm_len > payload ||
	    h.tag_len > payload - h.comm_len ||
	    h.msg_len > payload - h.comm_len - h.tag_len ||
	    h.fields_len != payload - h.comm_len - h.tag_len - h.msg_len) {
		why = MML_DISK_E_REC_LEN;
		goto out;
	}
	if ((h.flags & ~MML_REC_F_MASK) != 0 || h.priority > 7 ||
	    ((h.flags & MML_REC_F_META) ? (h.meta & 0xffff) == 0 ||
	    (h.meta >> 16) == 0 : h.meta != 0)) {
		why = MML_DISK_E_REC_TYPE;
		goto out;
	}
	if (expect_seq != 0 && h.seq != expect_seq) {
		why = MML_DISK_E_REC_SEQ;
		goto out;
	}
	/*
	 * The CRC is computed over the live bytes, not the copy, so a
	 * concurrent overwrite shows as a mismatch; callers that print the
	 * payload re-check the header's seq after copying what they print.
	 */
	if (verify_crc && mml_crc32c(seed, data + off + 4, h.len - 4) !=
	    h.crc) {
		why = MML_DISK_E_REC_CRC;
		goto out;
	}
	size = (h.len + MML_DISK_ALIGN - 1) & ~(uint64_t)(MML_DISK_ALIGN - 1);
	if (size > capacity - off) {
		why = MML_DISK_E_REC_BOUNDS;
		goto out;
	}
	ret->hdr = h;
	ret->off = off;
	ret->size = size;
	ret->comm = data + off + MML_REC_HDR;
	ret->tag = ret->comm + h.comm_len;
	ret->msg = ret->tag + h.tag_len;
	ret->fields = ret->msg + h.msg_len;
	r = 0;
out:
	if (ret_reason != NULL)
		*ret_reason = why;
	return r;
}

uint64_t
mml_disk_rec_write(uint8_t *dst, const struct mml_rec_hdr *hdr,
    const void *comm, const void *tag, const void *msg, const void *fields,
    uint32_t seed)
{
	uint8_t *p = dst + MML_REC_HDR;
	uint32_t crc = 0, len32;
	uint64_t len, size;

	len = MML_REC_HDR + hdr->comm_len + hdr->tag_len +
	    (uint64_t)hdr->msg_len + hdr->fields_len;
	size = (len + MML_DISK_ALIGN - 1) & ~(uint64_t)(MML_DISK_ALIGN - 1);
	/*
	 * Zero the padding so the file's bytes are deterministic: the last
	 * word first (the record is at least a header long), the record's
	 * bytes over it.
	 */
	memset(dst + size - MML_DISK_ALIGN, 0, MML_DISK_ALIGN);
	memcpy(dst, hdr, sizeof(*hdr));
	len32 = (uint32_t)len;
	memcpy(dst + offsetof(struct mml_rec_hdr, len), &len32, 4);
	memcpy(dst, &crc, 4);
	if (hdr->comm_len)
		memcpy(p, comm, hdr->comm_len);
	p += hdr->comm_len;
	if (hdr->tag_len)
		memcpy(p, tag, hdr->tag_len);
	p += hdr->tag_len;
	if (hdr->msg_len)
		memcpy(p, msg, hdr->msg_len);
	p += hdr->msg_len;
	if (hdr->fields_len)
		memcpy(p, fields, hdr->fields_len);
	crc = mml_crc32c(seed, dst + 4, len - 4);
	/* Everything above must be visible before the CRC that vouches for it. */
	__atomic_store_n((uint32_t *)(void *)dst, crc, __ATOMIC_RELEASE);
	return size;
}

void
mml_disk_wrap_write(uint8_t *dst, uint64_t next_seq, uint64_t realtime_usec,
    uint32_t seed)
{
	struct mml_rec_hdr h;

	memset(&h, 0, sizeof(h));
	h.type = MML_REC_WRAP;
	h.seq = next_seq;
	h.realtime_usec = realtime_usec;
	(void)mml_disk_rec_write(dst, &h, NULL, NULL, NULL, NULL, seed);
}

uint64_t
mml_disk_file_size(const struct mml_disk_header *h)
{
	if (h->incompat_flags & MML_INCOMPAT_META)
		return mml_meta_file_off(h->capacity) +
		    mml_meta_size(h->capacity);
	if (h->compat_flags & MML_COMPAT_INDEX)
		return mml_idx_file_off(h->capacity) +
		    mml_idx_size(h->capacity);
	return MML_DISK_HEADER_SIZE + h->capacity;
}

void
mml_idx_slot_make(struct mml_idx_slot *slot, uint64_t seq,
    uint64_t realtime_usec, uint64_t off, uint32_t seed)
{
	slot->seq = seq;
	slot->realtime_usec = realtime_usec;
	slot->off = off;
	slot->reserved = 0;
	slot->crc = mml_crc32c(seed, slot, offsetof(struct mml_idx_slot, crc));
}

int
mml_idx_slot_check(const struct mml_idx_slot *slot, uint64_t capacity,
    uint64_t bucket, uint32_t seed)
{
	static const struct mml_idx_slot zero;

	if (memcmp(slot, &zero, sizeof(zero)) == 0)
		return 0;
	if (slot->reserved != 0 || slot->seq == 0 ||
	    mml_crc32c(seed, slot, offsetof(struct mml_idx_slot, crc)) !=
	    slot->crc || !off_valid(slot->off, capacity) ||
	    slot->off >> mml_idx_shift(capacity) != bucket)
		return -1;
	return 1;
}
