/*
 * verify.c: mmlogctl verify: checks the header and every record of the
 * ring, CRC and sequence, and the seek index: walks the chain from the
 * tail, says what it finds on the way ("problem:" for damage, "note:"
 * for what a live writer or an unclean shutdown explains), checks where
 * the records end against the header, checks every metadata slot and
 * counts the entries whose slot no longer holds their fields (a power
 * loss can leave an entry whose slot did not reach the disk: a note),
 * and sums up.  Exit status 1 if there was a problem.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "wire.h"

/* What the walk found. */
struct verify {
	struct mml_rd_ring *ring;
	struct mml_rd_iter it;
	uint64_t	 entries;
	uint64_t	 first, last;	/* their seqs */
	uint64_t	 overwritten;	/* while we read */
	uint64_t	 problems;
	uint64_t	 meta_stale;	/* entries whose slot lost their fields */
};

static void	 verify_walk(struct verify *);
static void	 verify_gap(struct verify *, int);
static void	 verify_end(struct verify *, const struct mml_disk_header *);
static void	 verify_seqs(struct verify *, const struct mml_disk_header *);
static void	 verify_summary(struct verify *,
		    const struct mml_disk_header *, int,
		    const struct mml_rd_idx_report *);
static const char *verify_payload(const struct mml_rec *);
static void	 verify_idx_bad(void *, uint64_t, uint64_t, const char *);

int
mml_ctl_verify(const struct mml_ctl_opts *o)
{
	struct verify v;
	struct mml_disk_header h, h2;
	struct mml_rd_idx_report ir;
	char id[33];
	int idx_rc;

	memset(&v, 0, sizeof(v));
	v.ring = mml_ctl_open_ring(o->file);
	if (v.ring == NULL)
		return EXIT_FAILURE;
	mml_rd_ring_header(v.ring, &h);
	mml_rd_hex128(id, h.ring_id);
	printf("verifying %s: ring %s, capacity %" PRIu64 ", %s; header: "
	    "tail seq %" PRIu64 ", head seq %" PRIu64 ", durable seq %" PRIu64
	    "\n", v.ring->path, id, h.capacity, h.state == MML_STATE_CLEAN ?
	    "clean" : "dirty", h.tail_seq, h.head_seq, h.durable_seq);
	verify_walk(&v);
	mml_rd_ring_header(v.ring, &h2);
	verify_seqs(&v, &h2);
	verify_end(&v, &h2);
	idx_rc = mml_rd_index_check(v.ring, &ir, verify_idx_bad, &v.problems);
	if (idx_rc < 0) {
		v.problems++;
		printf("problem: the header announces a seek index, but the "
		    "file ends before it\n");
	}
	verify_summary(&v, &h2, idx_rc, &ir);
	mml_rd_iter_done(&v.it);
	(void)mml_rd_ring_free(v.ring);
	if (mml_ctl_out_done() < 0)
		return EXIT_FAILURE;
	return v.problems > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Every record from the tail, checked, and each gap said. */
static void
verify_walk(struct verify *v)
{
	struct mml_rd_iter *it = &v->it;
	struct mml_rec rec;
	const uint8_t *meta;
	const char *bad;
	size_t meta_len;
	int step;

	mml_rd_iter_init(it, v->ring, MML_RD_CHECK);
	mml_rd_iter_tail(it);
	while (!mml_ctl_stop) {
		step = mml_rd_iter_next(it, &rec);
		if (step == MML_RD_END)
			break;
		if (step == MML_RD_LOST || step == MML_RD_JUMP ||
		    step == MML_RD_CORRUPT) {
			verify_gap(v, step);
			continue;
		}
		if (step != MML_RD_ENTRY) {
			mml_ctl_msg("%s", strerror(-step));
			v->problems++;
			break;
		}
		if (v->entries++ == 0)
			v->first = rec.hdr.seq;
		v->last = rec.hdr.seq;
		if ((rec.hdr.flags & MML_REC_F_META) &&
		    mml_rd_meta(v->ring, &rec, &meta, &meta_len) < 0)
			v->meta_stale++;
		bad = verify_payload(&rec);
		if (bad != NULL) {
			v->problems++;
			printf("problem: record at offset 0x%" PRIx64 " (seq %"
			    PRIu64 "): %s\n", rec.off, rec.hdr.seq, bad);
		}
	}
}

/* A step of the walk that is not an entry. */
static void
verify_gap(struct verify *v, int step)
{
	const struct mml_rd_iter *it = &v->it;
	char sr[64];

	if (step == MML_RD_LOST) {
		v->overwritten += it->gap;
		printf("note: %s overwritten by the writer while we read\n",
		    mml_ctl_seq_range(sr, sizeof(sr), it->gap_seq, it->gap));
	} else if (step == MML_RD_JUMP) {
		/* Recovery after a power loss numbers on from the
		 * persisted limit and says so in the ring: a gap, but no
		 * damage. */
		printf("note: sequence numbers jump from %" PRIu64 " to %"
		    PRIu64 " at offset 0x%" PRIx64 ", as the daemon noted "
		    "there (entries lost in an unclean shutdown)\n",
		    it->gap_seq - 1, it->seq, it->gap_off);
	} else if (step == MML_RD_CORRUPT && it->gap == 0) {
		v->problems++;
		printf("problem: damaged record at offset 0x%" PRIx64 " (%s): "
		    "it held no entry (as a WRAP marker); the chain resumes "
		    "at offset 0x%" PRIx64 " with seq %" PRIu64 "\n",
		    it->gap_off, mml_disk_reason_str(it->gap_reason), it->off,
		    it->seq);
	} else if (step == MML_RD_CORRUPT && it->gap_off == it->off) {
		/* A whole record, but not the one expected. */
		v->problems++;
		printf("problem: sequence numbers jump from %" PRIu64 " to %"
		    PRIu64 " at offset 0x%" PRIx64 " with no note of the "
		    "daemon's: %s missing\n", it->gap_seq - 1, it->seq,
		    it->off, mml_ctl_seq_range(sr, sizeof(sr), it->gap_seq,
		    it->gap));
	} else {
		v->problems++;
		printf("problem: damaged record at offset 0x%" PRIx64 " (%s): "
		    "%s lost; the chain resumes at offset 0x%" PRIx64 " with "
		    "seq %" PRIu64 "\n", it->gap_off,
		    mml_disk_reason_str(it->gap_reason),
		    mml_ctl_seq_range(sr, sizeof(sr), it->gap_seq, it->gap),
		    it->off, it->seq);
	}
}

/*
 * The header's numbering: tail seq <= head seq <= seq limit, however
 * the writer left it, clean or dirty (it raises the limit before it
 * assigns a seq, and the tail never passes the head).  A header that
 * says otherwise sends the walk nowhere ("no entries, 0 problems" for a
 * tail past the head), so it is a problem of its own; a writer moving
 * the fields between two loads is ruled out by a second look.
 */
static void
verify_seqs(struct verify *v, const struct mml_disk_header *h)
{
	struct mml_disk_header again;

	if (h->tail_seq <= h->head_seq && h->head_seq <= h->seq_limit)
		return;
	mml_rd_ring_header(v->ring, &again);
	if (again.tail_seq <= again.head_seq &&
	    again.head_seq <= again.seq_limit)
		return;
	v->problems++;
	printf("problem: the header's sequence numbers contradict each "
	    "other: tail seq %" PRIu64 ", head seq %" PRIu64 ", seq limit %"
	    PRIu64 " (tail <= head <= limit)\n", again.tail_seq,
	    again.head_seq, again.seq_limit);
}

/* Where the records end, against the header h read after the walk. */
static void
verify_end(struct verify *v, const struct mml_disk_header *h)
{
	const struct mml_rd_iter *it = &v->it;
	int clean = h->state == MML_STATE_CLEAN;

	if (it->seq < h->head_seq) {
		if (clean) {
			v->problems++;
			printf("problem: the records end at offset 0x%" PRIx64
			    " (%s) before seq %" PRIu64 ", but the clean "
			    "header's head is seq %" PRIu64 ": seq %" PRIu64
			    "..%" PRIu64 " missing\n", it->off,
			    mml_disk_reason_str(it->end_reason), it->seq,
			    h->head_seq, it->seq, h->head_seq - 1);
		} else
			printf("note: the records end before seq %" PRIu64
			    "; the header's head is seq %" PRIu64 " (dirty: "
			    "recovery decides)\n", it->seq, h->head_seq);
	} else if (it->seq > h->head_seq && clean) {
		v->problems++;
		printf("problem: records continue past the clean header's "
		    "head (seq %" PRIu64 ") up to seq %" PRIu64 "\n",
		    h->head_seq, it->seq - 1);
	} else if (clean && it->off != h->head_off) {
		v->problems++;
		printf("problem: the records end at offset 0x%" PRIx64 ", "
		    "the clean header's head is at 0x%" PRIx64 "\n", it->off,
		    h->head_off);
	}
	if (h->durable_seq >= it->seq && h->durable_seq >= h->tail_seq) {
		v->problems++;
		printf("problem: durable seq %" PRIu64 " is not in the ring: "
		    "the records end before seq %" PRIu64 "\n",
		    h->durable_seq, it->seq);
	}
}

/* The last line: what was checked, and how many problems. */
static void
verify_summary(struct verify *v, const struct mml_disk_header *h,
    int idx_rc, const struct mml_rd_idx_report *ir)
{
	const struct mml_rd_iter *it = &v->it;
	struct mml_rd_meta_report mr;

	mml_rd_meta_report(v->ring, &mr);
	if (mr.damaged > 0)
		printf("note: %" PRIu32 " metadata slots damaged (their entries "
		    "are shown without their trusted metadata)\n", mr.damaged);
	if (v->meta_stale > 0)
		printf("note: %" PRIu64 " entries name a metadata slot that no "
		    "longer holds their fields (shown without them; a power "
		    "loss can leave such entries)\n", v->meta_stale);
	if (v->entries > 0 && v->last >= h->seq_limit) {
		v->problems++;
		printf("problem: seq %" PRIu64 " is at or above the header's "
		    "seq limit %" PRIu64 "\n", v->last, h->seq_limit);
	}
	if (v->entries > 0)
		printf("%" PRIu64 " records checked: %" PRIu64 " entries (seq %"
		    PRIu64 "..%" PRIu64 "), %" PRIu64 " wrap markers; ",
		    it->records, v->entries, v->first, v->last, it->wraps);
	else
		printf("%" PRIu64 " records checked: no entries, %" PRIu64
		    " wrap markers; ", it->records, it->wraps);
	if (h->durable_seq == 0)
		(void)fputs("nothing durable yet; ", stdout);
	else if (h->durable_seq < it->seq)
		printf("durable seq %" PRIu64 " reached; ", h->durable_seq);
	else
		printf("durable seq %" PRIu64 " NOT reached; ", h->durable_seq);
	if (v->overwritten > 0)
		printf("%" PRIu64 " overwritten while reading; ",
		    v->overwritten);
	if (idx_rc < 0)
		printf("seek index missing from the file; ");
	else if (ir->slots > 0)
		printf("seek index: %" PRIu64 " slots, %" PRIu64 " in use, %"
		    PRIu64 " damaged; ", ir->slots, ir->used, ir->damaged);
	else
		printf("no seek index; ");
	if (mr.slots > 0)
		printf("metadata: %" PRIu32 " slots, %" PRIu32 " in use, %"
		    PRIu64 " entries without theirs; ", mr.slots, mr.written,
		    v->meta_stale);
	printf("%" PRIu64 " problem%s\n", v->problems,
	    v->problems == 1 ? "" : "s");
}

/* Checks an entry's payload beyond what mml_disk_rec_check() does. */
static const char *
verify_payload(const struct mml_rec *rec)
{
	const uint8_t *item;
	size_t off = 0, len, klen;
	int r;

	if (rec->hdr.tag_len > MML_TAG_MAX)
		return "tag longer than the protocol allows";
	while ((r = mml_fields_next(rec->fields, rec->hdr.fields_len, &off,
	    &item, &len, &klen)) > 0) {
		if (klen == 0 || klen > MML_FIELD_KEY_MAX)
			return "field with an invalid name";
		/* Names with '_' first are the daemon's own. */
		if (!(rec->hdr.flags & MML_REC_F_DAEMON) && item[0] != '_' &&
		    !mml_field_key_valid(item, klen))
			return "field with an invalid name";
	}
	if (r < 0)
		return "malformed fields block";
	return NULL;
}

static void
verify_idx_bad(void *arg, uint64_t slot, uint64_t off, const char *why)
{
	uint64_t *problems = arg;

	(*problems)++;
	printf("problem: seek index slot %" PRIu64 " at file offset 0x%"
	    PRIx64 " %s (readers search without it)\n", slot, off, why);
}
