/*
 * boots.c: the boots of the ring, as journalctl knows them: `show
 * --list-boots` lists the boots that still have entries in the ring,
 * and `show -b [ID][±N]` selects one of them, both from the ring's boot
 * table (proto/FORMAT.md, Boots) and its seek index, never by a scan:
 * a boot is the entries from its first seq to the next boot's, so that
 * listing reads two entries per boot (fewer where the table has the
 * time) and selecting reads none.
 *
 * journalctl's numbering: 0 is the newest boot (the current one, or the
 * last), -1 the one before it, 1 the oldest the ring still has, 2 the
 * one after it; an ID names a boot, and ID±N the boot N after or before
 * it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util.h"

/* A boot as --list-boots prints it. */
struct boot_row {
	int		 index;		/* 0 the newest, -1 the one before... */
	uint8_t		 boot_id[16];
	uint64_t	 first_usec;
	uint64_t	 last_usec;
};

static int	 desc_parse(const char *, int *, uint8_t *, int *);
static void	 boot_times(struct mml_rd_ring *,
		    const struct mml_rd_boot_span *, struct boot_row *);
static void	 print_table(const struct boot_row *, size_t, int, int, int);
static void	 print_json(const struct boot_row *, size_t, int, int);

/*
 * Reads -b's descriptor (opts.c checked its shape): NULL for the
 * current boot, "ID", "ID±N", "±N" or "N".  Returns 0 with *ret_has_id,
 * the id in ret_id and the offset in *ret_offset; -EINVAL otherwise.
 */
static int
desc_parse(const char *s, int *ret_has_id, uint8_t *ret_id, int *ret_offset)
{
	uint64_t v;
	int neg = 0, has_id = 0, i;

	if (s == NULL) {
		*ret_has_id = 0;
		*ret_offset = 0;
		return 0;
	}
	if (strlen(s) >= 32) {
		for (i = 0; i < 32 && mml_hexval(s[i]) >= 0; i++)
			;
		if (i == 32) {
			for (i = 0; i < 16; i++)
				ret_id[i] = (uint8_t)(mml_hexval(s[2 * i]) << 4 |
				    mml_hexval(s[2 * i + 1]));
			has_id = 1;
			s += 32;
		}
	}
	if (has_id && *s == '\0') {
		*ret_has_id = 1;
		*ret_offset = 0;
		return 0;
	}
	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		s++;
	} else if (has_id)
		return -EINVAL;
	if (mml_parse_range(s, 0, INT32_MAX, &v) < 0)
		return -EINVAL;
	*ret_has_id = has_id;
	*ret_offset = neg ? -(int)v : (int)v;
	return 0;
}

int
mml_ctl_boot_range(struct mml_rd_ring *r, const char *desc, int implied,
    uint64_t *ret_lo, uint64_t *ret_hi)
{
	static const uint8_t zero[16];
	struct mml_rd_boot_span spans[MML_BOOT_MAX + 1];
	struct mml_disk_header h;
	uint8_t id[16];
	size_t n;
	long i;
	int has_id, offset;

	if (desc_parse(desc, &has_id, id, &offset) < 0) {
		mml_ctl_msg("invalid boot '%s'", desc);
		return -1;
	}
	if (!r->has_boots) {
		if (implied)
			return 0;
		mml_ctl_msg("the ring does not record boots (a ring of an older "
		    "format: mmlogd adds the boot table when it next opens "
		    "it)");
		return -1;
	}
	n = mml_rd_boot_spans(r, spans);
	/*
	 * The writer's boot (the header's, written when mmlogd opened the
	 * ring) with no entry yet, just after a reboot: counted from, it is
	 * boot 0, the current one, whose entries are still to come, and -1
	 * is the last one with entries, as journalctl has them; its id
	 * names it too.  (Only --list-boots, which lists boots with
	 * entries, leaves it out.)
	 */
	mml_rd_ring_header(r, &h);
	if (memcmp(h.boot_id, zero, 16) != 0 &&
	    (n == 0 || memcmp(spans[n - 1].boot_id, h.boot_id, 16) != 0)) {
		if (n > 0 && spans[n - 1].end_seq > h.head_seq)
			spans[n - 1].end_seq = h.head_seq;
		memset(&spans[n], 0, sizeof(spans[n]));
		memcpy(spans[n].boot_id, h.boot_id, 16);
		spans[n].first_seq = h.head_seq;
		spans[n].end_seq = UINT64_MAX;
		n++;
	}
	if (has_id) {
		/* The newest boot of that id (a boot id does not repeat). */
		for (i = (long)n - 1; i >= 0; i--)
			if (memcmp(spans[i].boot_id, id, 16) == 0)
				break;
		if (i >= 0)
			i += offset;
	} else if (offset > 0)
		i = offset - 1;
	else
		i = (long)n - 1 + offset;
	if (i < 0 || (size_t)i >= n) {
		/* -k alone: whatever the ring has, which is of no other boot. */
		if (implied)
			return 0;
		if (desc == NULL)
			mml_ctl_msg("no boot has entries in the ring");
		else
			mml_ctl_msg("data from the specified boot (%s) is not "
			    "available: no such boot in the ring", desc);
		return -1;
	}
	*ret_lo = spans[i].first_seq;
	*ret_hi = spans[i].end_seq;
	return 1;
}

/*
 * The times of a boot's first and last entries: the first from the
 * table when the ring still holds it, else the oldest entry's; the last
 * by a seek to the seq before the next boot's first (to the newest
 * entry for the newest boot), walking to where the boot ends.
 */
static void
boot_times(struct mml_rd_ring *r, const struct mml_rd_boot_span *sp,
    struct boot_row *row)
{
	struct mml_rd_iter it;
	struct mml_rec rec;
	int step, have_first = sp->whole;

	row->first_usec = sp->first_realtime;
	row->last_usec = 0;
	mml_rd_iter_init(&it, r, MML_RD_CHECK);
	if (!have_first) {
		(void)mml_rd_iter_seek_key(&it, 0, sp->first_seq);
		while ((step = mml_rd_iter_next(&it, &rec)) != MML_RD_END &&
		    step >= 0)
			if (step == MML_RD_ENTRY && rec.hdr.seq >= sp->first_seq) {
				if (rec.hdr.seq < sp->end_seq) {
					row->first_usec = rec.hdr.realtime_usec;
					have_first = 1;
				}
				break;
			}
	}
	if (sp->end_seq == UINT64_MAX)
		(void)mml_rd_iter_seek_last(&it, 1);
	else
		(void)mml_rd_iter_seek_key(&it, 0, sp->end_seq - 1);
	while ((step = mml_rd_iter_next(&it, &rec)) != MML_RD_END && step >= 0) {
		if (step != MML_RD_ENTRY)
			continue;
		if (rec.hdr.seq >= sp->end_seq)
			break;
		if (rec.hdr.seq >= sp->first_seq)
			row->last_usec = rec.hdr.realtime_usec;
	}
	mml_rd_iter_done(&it);
	if (!have_first)
		row->first_usec = row->last_usec;
	if (row->last_usec == 0)
		row->last_usec = row->first_usec;
}

/*
 * journalctl's table: IDX right-aligned, each column as wide as its
 * widest cell (the header's included unless quiet), one space between
 * them, the last not padded.
 */
static void
print_table(const struct boot_row *rows, size_t n, int legend, int utc,
    int reverse)
{
	char first[80], idx[16], id[33];
	size_t i, k, wi = legend ? 3 : 0, wf = legend ? 11 : 0, len;

	for (i = 0; i < n; i++) {
		len = (size_t)snprintf(idx, sizeof(idx), "%d", rows[i].index);
		if (len > wi)
			wi = len;
		mml_rd_time_full(first, sizeof(first), rows[i].first_usec, utc);
		if (strlen(first) > wf)
			wf = strlen(first);
	}
	if (legend)
		printf("%*s %-32s %-*s %s\n", (int)wi, "IDX", "BOOT ID",
		    (int)wf, "FIRST ENTRY", "LAST ENTRY");
	for (k = 0; k < n; k++) {
		i = reverse ? n - 1 - k : k;
		mml_rd_hex128(id, rows[i].boot_id);
		mml_rd_time_full(first, sizeof(first), rows[i].first_usec, utc);
		printf("%*d %s %-*s ", (int)wi, rows[i].index, id, (int)wf,
		    first);
		mml_rd_time_full(first, sizeof(first), rows[i].last_usec, utc);
		printf("%s\n", first);
	}
}

/* journalctl's -o json of --list-boots: one array. */
static void
print_json(const struct boot_row *rows, size_t n, int pretty, int reverse)
{
	char id[33];
	size_t i, k;

	(void)fputs(pretty ? "[\n" : "[", stdout);
	for (k = 0; k < n; k++) {
		i = reverse ? n - 1 - k : k;
		mml_rd_hex128(id, rows[i].boot_id);
		if (pretty)
			printf("\t{\n\t\t\"index\" : %d,\n\t\t\"boot_id\" : "
			    "\"%s\",\n\t\t\"first_entry\" : %" PRIu64 ",\n\t\t"
			    "\"last_entry\" : %" PRIu64 "\n\t}%s\n",
			    rows[i].index, id, rows[i].first_usec,
			    rows[i].last_usec, k + 1 < n ? "," : "");
		else
			printf("%s{\"index\":%d,\"boot_id\":\"%s\",\"first_entry\""
			    ":%" PRIu64 ",\"last_entry\":%" PRIu64 "}", k > 0 ?
			    "," : "", rows[i].index, id, rows[i].first_usec,
			    rows[i].last_usec);
	}
	(void)fputs("]\n", stdout);
}

int
mml_ctl_list_boots(const struct mml_ctl_opts *o)
{
	struct mml_rd_boot_span spans[MML_BOOT_MAX];
	struct boot_row rows[MML_BOOT_MAX];
	struct mml_rd_ring *r;
	size_t n, i;
	int json = 0, status = EXIT_FAILURE;

	if (o->output != NULL) {
		if (strcmp(o->output, "json") == 0 ||
		    strcmp(o->output, "json-seq") == 0)
			json = 1;
		else if (strcmp(o->output, "json-pretty") == 0)
			json = 2;
		else if (mml_rd_output_parse(o->output) < 0)
			return mml_ctl_usage_error("unknown output format '%s'",
			    o->output);
	}
	r = mml_ctl_open_ring(o->file);
	if (r == NULL)
		return EXIT_FAILURE;
	if (!r->has_boots) {
		mml_ctl_msg("the ring does not record boots (a ring of an older "
		    "format: mmlogd adds the boot table when it next opens "
		    "it)");
		goto out;
	}
	n = mml_rd_boot_spans(r, spans);
	for (i = 0; i < n; i++) {
		rows[i].index = (int)i - (int)(n - 1);
		memcpy(rows[i].boot_id, spans[i].boot_id, 16);
		boot_times(r, &spans[i], &rows[i]);
	}
	if (json)
		print_json(rows, n, json == 2, o->reverse);
	else
		print_table(rows, n, !o->quiet, o->utc, o->reverse);
	if (mml_ctl_out_done() == 0)
		status = EXIT_SUCCESS;
out:
	(void)mml_rd_ring_free(r);
	return status;
}
