/*
 * dump.c: mmlogctl dump, the buffer_dump of the seeds: every field of
 * the ring's header, then each record from the tail with a hexdump of
 * its first bytes (-n BYTES, 0 for all), and each gap the walk finds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

#define DUMP_BYTES	64

static void	 dump_header(const struct mml_disk_header *);
static int	 dump_records(struct mml_rd_ring *, uint64_t);

int
mml_ctl_dump(const struct mml_ctl_opts *o)
{
	struct mml_rd_ring *r;
	struct mml_disk_header h;
	uint64_t bytes = DUMP_BYTES;
	int rc;

	if (o->lines_bare)
		return mml_ctl_usage_error("dump -n needs a byte count");
	if (o->lines != NULL && mml_parse_u64(o->lines, &bytes) < 0)
		return mml_ctl_usage_error("invalid byte count '%s'", o->lines);
	r = mml_ctl_open_ring(o->file);
	if (r == NULL)
		return EXIT_FAILURE;
	if (!(o->seen & MML_CTL_BIT(MML_CTL_OPT_NO_PAGER)) &&
	    (rc = mml_ctl_pager_open(0)) < 0)
		mml_ctl_msg("cannot start a pager (%s); writing to the terminal",
		    strerror(-rc));
	mml_rd_ring_header(r, &h);
	dump_header(&h);
	rc = dump_records(r, bytes) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	(void)mml_rd_ring_free(r);
	if (mml_ctl_out_done() < 0)
		rc = EXIT_FAILURE;
	mml_ctl_pager_close();
	return rc;
}

static void
dump_header(const struct mml_disk_header *h)
{
	char s[64];
	int i;

	printf("=== RING HEADER ===\n");
	(void)fputs("magic:               ", stdout);
	mml_rd_put_escaped(stdout, h->magic, sizeof(h->magic));
	printf("\nversion:             %" PRIu32 "\n", h->version);
	printf("header_size:         %" PRIu32 "\n", h->header_size);
	printf("compat_flags:        0x%" PRIx32 "\n", h->compat_flags);
	printf("incompat_flags:      0x%" PRIx32 "\n", h->incompat_flags);
	mml_rd_hex128(s, h->ring_id);
	printf("ring_id:             %s\n", s);
	printf("capacity:            %" PRIu64 "\n", h->capacity);
	mml_rd_time_iso(s, sizeof(s), h->created_usec);
	printf("created_usec:        %" PRIu64 " (%s)\n", h->created_usec, s);
	printf("static_crc:          0x%08" PRIx32 "\n", h->static_crc);
	printf("state:               %" PRIu32 " (%s)\n", h->state,
	    h->state == MML_STATE_CLEAN ? "clean" :
	    h->state == MML_STATE_DIRTY ? "dirty" : "unknown");
	printf("durable_off:         0x%" PRIx64 "\n", h->durable_off);
	printf("durable_seq:         %" PRIu64 "\n", h->durable_seq);
	printf("tail_off:            0x%" PRIx64 "\n", h->tail_off);
	printf("tail_seq:            %" PRIu64 "\n", h->tail_seq);
	printf("head_off:            0x%" PRIx64 "\n", h->head_off);
	printf("head_seq:            %" PRIu64 "\n", h->head_seq);
	printf("seq_limit:           %" PRIu64 "\n", h->seq_limit);
	mml_rd_time_iso(s, sizeof(s), h->durable_usec);
	printf("durable_usec:        %" PRIu64 " (%s)\n", h->durable_usec, s);
	mml_rd_hex128(s, h->boot_id);
	printf("boot_id:             %s\n", s);
	printf("entries_written:     %" PRIu64 "\n", h->entries_written);
	printf("entries_overwritten: %" PRIu64 "\n", h->entries_overwritten);
	printf("wraps:               %" PRIu64 "\n", h->wraps);
	printf("bytes_written:       %" PRIu64 "\n", h->bytes_written);
	printf("opens:               %" PRIu64 "\n", h->opens);
	printf("dirty_opens:         %" PRIu64 "\n", h->dirty_opens);
	for (i = 0; i < (int)sizeof(h->reserved); i++)
		if (h->reserved[i] != 0)
			break;
	if (i < (int)sizeof(h->reserved))
		printf("reserved:            not zero (byte %d)\n", i);
	printf("===================\n\nrecords from the tail:\n\n");
}

/*
 * Each record from the tail, WRAP markers included, with up to bytes of
 * it in hex (0: all), and each gap.  Returns 0, or -1 after an error.
 */
static int
dump_records(struct mml_rd_ring *r, uint64_t bytes)
{
	struct mml_rd_iter it;
	struct mml_rec rec;
	uint64_t n;
	char sr[64];
	int step, rc = -1;

	mml_rd_iter_init(&it, r, MML_RD_CHECK);
	it.report_wraps = 1;
	mml_rd_iter_tail(&it);
	while (!mml_ctl_stop && !ferror(stdout)) {
		step = mml_rd_iter_next(&it, &rec);
		if (step == MML_RD_END)
			break;
		switch (step) {
		case MML_RD_ENTRY:
		case MML_RD_WRAP:
			printf("rec seq=%" PRIu64 " off=0x%08" PRIx64 " len=%"
			    PRIu32 " type=%s", rec.hdr.seq, rec.off,
			    rec.hdr.len, step == MML_RD_WRAP ? "wrap" :
			    "entry");
			if (step == MML_RD_ENTRY)
				printf(" prio=%u", (unsigned)rec.hdr.priority);
			if (rec.hdr.flags & MML_REC_F_DAEMON)
				(void)fputs(" flags=daemon", stdout);
			(void)putchar('\n');
			n = bytes == 0 || bytes > rec.hdr.len ? rec.hdr.len :
			    bytes;
			mml_rd_hexdump(stdout, "  ", r->data + rec.off,
			    (size_t)n);
			(void)putchar('\n');
			break;
		case MML_RD_LOST:
			printf("-- %s overwritten while we read --\n\n",
			    mml_ctl_seq_range(sr, sizeof(sr), it.gap_seq,
			    it.gap));
			break;
		case MML_RD_JUMP:
			printf("-- sequence numbers jump: %s skipped after an "
			    "unclean shutdown, as the daemon noted at "
			    "off=0x%08" PRIx64 " --\n\n", mml_ctl_seq_range(sr,
			    sizeof(sr), it.gap_seq, it.gap), it.gap_off);
			break;
		case MML_RD_CORRUPT:
			if (it.gap == 0)
				(void)snprintf(sr, sizeof(sr), "no entry");
			else
				(void)mml_ctl_seq_range(sr, sizeof(sr),
				    it.gap_seq, it.gap);
			printf("-- damaged record at off=0x%08" PRIx64 " (%s): "
			    "%s lost --\n", it.gap_off,
			    mml_disk_reason_str(it.gap_reason), sr);
			n = bytes == 0 || bytes > MML_REC_HDR ? MML_REC_HDR :
			    bytes;
			mml_rd_hexdump(stdout, "  ", r->data + it.gap_off,
			    (size_t)n);
			(void)putchar('\n');
			break;
		default:
			mml_ctl_msg("%s", strerror(-step));
			goto out;
		}
	}
	printf("end of records at off=0x%08" PRIx64 " seq=%" PRIu64 " (%s)\n",
	    it.off, it.seq, mml_disk_reason_str(it.end_reason));
	rc = 0;
out:
	mml_rd_iter_done(&it);
	return rc;
}
