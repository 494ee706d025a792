/*
 * fuzz_wire.c: the frame decoder (proto/wire.c), as both sides use it.
 *
 * Input: one packet, as recvmsg() would hand it over.  It is decoded as
 * the daemon does (from_client = 1) and as the client library does with
 * a reply (from_client = 0).  For every frame the decoder accepts:
 *
 *   - the body is exactly the packet after the header;
 *   - ENTRIES: walking the entries (mml_wire_entry_next(), what
 *     daemon/server.c does on receipt) yields n_entries entries whose
 *     parts lie inside the body, priority <= 7, tag <= MML_TAG_MAX, the
 *     largest payload is max_payload, and every fields block walks
 *     (mml_fields_next()) to its end with valid keys only;
 *   - encoding those entries again with the client's encoder gives the
 *     packet back byte for byte, so decoder and encoder agree;
 *   - ERROR: its text fits the body exactly.
 *
 * A refused packet has a reason with a text, and -EPROTO only for magic
 * or version.  The input is also walked as a bare fields block.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "wire.h"

static uint8_t reenc[MML_FRAME_MAX];

static void
check_fields(const uint8_t *fields, size_t len, int must_be_valid)
{
	const uint8_t *item;
	size_t off = 0, item_len, key_len, prev = 0;
	int r;

	while ((r = mml_fields_next(fields, len, &off, &item, &item_len,
	    &key_len)) > 0) {
		FUZZ_CHECK(off > prev && off <= len);
		FUZZ_CHECK(item >= fields && item_len <= len &&
		    (size_t)(item - fields) <= len - item_len);
		FUZZ_CHECK(key_len < item_len && item[key_len] == '=');
		FUZZ_CHECK(memchr(item, '=', key_len) == NULL);
		if (must_be_valid)
			FUZZ_CHECK(mml_field_key_valid(item, key_len));
		prev = off;
	}
	FUZZ_CHECK(r == 0 || r == -EBADMSG);
	if (must_be_valid)
		FUZZ_CHECK(r == 0);
}

static void
check_entries(const uint8_t *data, size_t size, const struct mml_frame *f)
{
	const uint8_t *end = f->body + f->body_len;
	struct mml_entry e;
	size_t off = 0, n = 0, max_payload = 0, len, payload;

	FUZZ_CHECK(f->n_entries > 0);
	len = mml_wire_entries_init(reenc, f->hdr.flags, f->hdr.id,
	    f->dropped);
	while (mml_wire_entry_next(f, &off, &e) > 0) {
		n++;
		FUZZ_CHECK(n <= f->n_entries);
		FUZZ_CHECK(e.priority <= 7 && e.tag_len <= MML_TAG_MAX);
		FUZZ_CHECK(e.tag >= f->body && e.tag <= end);
		FUZZ_CHECK(e.tag_len <= (size_t)(end - e.tag));
		FUZZ_CHECK(e.msg == e.tag + e.tag_len);
		FUZZ_CHECK(e.msg_len <= (size_t)(end - e.msg));
		FUZZ_CHECK(e.fields == e.msg + e.msg_len);
		FUZZ_CHECK(e.fields_len <= (size_t)(end - e.fields));
		payload = e.tag_len + e.msg_len + e.fields_len;
		if (payload > max_payload)
			max_payload = payload;
		check_fields(e.fields, e.fields_len, 1);
		FUZZ_CHECK(mml_wire_entry_append(reenc, sizeof(reenc), &len,
		    e.priority, e.tag, e.tag_len, e.msg, e.msg_len, e.fields,
		    e.fields_len) == 0);
	}
	FUZZ_CHECK(n == f->n_entries);
	FUZZ_CHECK(max_payload == f->max_payload);
	FUZZ_CHECK(len == size && memcmp(reenc, data, size) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mml_frame f;
	struct mml_error_body eb;
	enum mml_wire_reason why;
	int r, from_client;

	for (from_client = 0; from_client <= 1; from_client++) {
		memset(&f, 0, sizeof(f));
		why = MML_WIRE_REASON_MAX;
		r = mml_wire_decode(data, size, from_client, &f, &why);
		if (r < 0) {
			FUZZ_CHECK(r == -EBADMSG || r == -EPROTO);
			FUZZ_CHECK(why > MML_WIRE_OK &&
			    why < MML_WIRE_REASON_MAX);
			FUZZ_CHECK((r == -EPROTO) == (why == MML_WIRE_E_MAGIC ||
			    why == MML_WIRE_E_VERSION));
			FUZZ_CHECK(strcmp(mml_wire_reason_str(why),
			    "unknown reason") != 0);
			continue;
		}
		FUZZ_CHECK(r == 0 && why == MML_WIRE_OK);
		FUZZ_CHECK(size >= sizeof(struct mml_frame_hdr) &&
		    size <= MML_FRAME_MAX && f.hdr.len == size);
		FUZZ_CHECK(f.body == data + sizeof(struct mml_frame_hdr) &&
		    f.body_len == size - sizeof(struct mml_frame_hdr));
		FUZZ_CHECK(((f.hdr.type & 0x80) != 0) == !from_client);
		switch (f.hdr.type) {
		case MML_FRAME_ENTRIES:
			check_entries(data, size, &f);
			break;
		case MML_FRAME_ERROR:
			FUZZ_CHECK(f.body_len >= sizeof(eb));
			memcpy(&eb, f.body, sizeof(eb));
			FUZZ_CHECK(eb.text_len == f.body_len - sizeof(eb));
			break;
		case MML_FRAME_ACK:
		case MML_FRAME_NOTIFY:
			FUZZ_CHECK(f.body_len == 16);
			break;
		case MML_FRAME_SYNC:
		case MML_FRAME_STATS:
		case MML_FRAME_SUBSCRIBE:
		case MML_FRAME_CLEAR:
		case MML_FRAME_ROTATE_ID:
		case MML_FRAME_RESET_COUNTERS:
			FUZZ_CHECK(f.body_len == 0);
			break;
		case MML_FRAME_STATS_REPLY:
			break;
		default:
			FUZZ_CHECK(!"decoder accepted an unknown type");
		}
	}
	/* The same bytes as a bare fields block, as mmlogctl walks them. */
	check_fields(data, size, 0);
	return 0;
}
