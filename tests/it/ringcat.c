/*
 * ringcat.c: an independent reader of a ring file for the end-to-end
 * tests, so that they can cross-check what mmlogctl shows.  It trusts
 * nothing but proto/disk.c: the static header is checked, then the chain
 * of records is followed from the header's tail, each record checked
 * (CRC and the expected sequence number), until the first one that does
 * not check.  Meant for a ring no writer is changing.
 *
 * usage: ringcat [-H] FILE
 *   prints one line per entry: SEQ TAB PRIORITY TAB TAG TAB PID TAB MESSAGE
 *   (daemon records have their tag prefixed with '!')
 *   -H  prints the header instead, as key=value lines
 * Exit status: 0, 1 if the file is not a ring or cannot be read, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk.h"

static void
print_header(const struct mml_disk_header *h)
{
	(void)printf("capacity=%" PRIu64 "\nstate=%s\ndurable_off=%" PRIu64
	    "\ndurable_seq=%" PRIu64 "\ntail_off=%" PRIu64 "\ntail_seq=%"
	    PRIu64 "\nhead_off=%" PRIu64 "\nhead_seq=%" PRIu64 "\nseq_limit=%"
	    PRIu64 "\nentries_written=%" PRIu64 "\nentries_overwritten=%"
	    PRIu64 "\nwraps=%" PRIu64 "\nopens=%" PRIu64 "\ndirty_opens=%"
	    PRIu64 "\n", h->capacity,
	    h->state == MML_STATE_CLEAN ? "clean" : "dirty", h->durable_off,
	    h->durable_seq, h->tail_off, h->tail_seq, h->head_off, h->head_seq,
	    h->seq_limit, h->entries_written, h->entries_overwritten,
	    h->wraps, h->opens, h->dirty_opens);
}

/*
 * The chain broke below the head: damaged bytes, or the jump in numbering
 * after a power loss.  As proto/FORMAT.md says, scan on from off (off
 * included) in steps of 8, at most once round, for a record that checks
 * with a seq in [*seq, head_seq); report the gap and go on from there.
 */
static int
jump(const uint8_t *data, const struct mml_disk_header *h, uint64_t *off,
    uint64_t *seq, struct mml_rec *rec)
{
	uint64_t o = *off, n;

	for (n = 0; n < h->capacity; n += MML_DISK_ALIGN) {
		if (mml_disk_rec_check(data, h->capacity, o, 0, 1, mml_disk_crc_seed(h), rec,
		    NULL) == 0 && rec->hdr.type == MML_REC_ENTRY &&
		    rec->hdr.seq >= *seq && rec->hdr.seq < h->head_seq) {
			(void)fprintf(stderr, "ringcat: gap of %" PRIu64
			    " seqs at offset %" PRIu64 "\n",
			    rec->hdr.seq - *seq, *off);
			*off = o;
			*seq = rec->hdr.seq;
			return 0;
		}
		o += MML_DISK_ALIGN;
		if (h->capacity - o < MML_REC_HDR)
			o = 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct mml_disk_header h;
	enum mml_disk_reason why;
	struct mml_rec rec;
	struct stat st;
	const uint8_t *data;
	uint8_t *map;
	uint64_t off, seq, walked = 0;
	int fd, header = 0, ch;

	while ((ch = getopt(argc, argv, "H")) != -1) {
		switch (ch) {
		case 'H':
			header = 1;
			break;
		default:
			(void)fprintf(stderr, "usage: ringcat [-H] FILE\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		(void)fprintf(stderr, "usage: ringcat [-H] FILE\n");
		return 2;
	}
	fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		(void)fprintf(stderr, "ringcat: %s: %s\n", argv[optind],
		    strerror(errno));
		return 1;
	}
	if ((uint64_t)st.st_size < MML_DISK_HEADER_SIZE) {
		(void)fprintf(stderr, "ringcat: %s: too short\n", argv[optind]);
		return 1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		(void)fprintf(stderr, "ringcat: mmap: %s\n", strerror(errno));
		return 1;
	}
	if (mml_disk_header_check(map, (uint64_t)st.st_size, &why) < 0) {
		(void)fprintf(stderr, "ringcat: %s: %s\n", argv[optind],
		    mml_disk_reason_str(why));
		return 1;
	}
	memcpy(&h, map, sizeof(h));
	if (header) {
		print_header(&h);
		return 0;
	}
	data = map + MML_DISK_HEADER_SIZE;
	off = h.tail_off;
	seq = h.tail_seq;
	while (seq < h.head_seq && walked <= 2 * h.capacity) {
		if (mml_disk_rec_check(data, h.capacity, off, seq, 1, mml_disk_crc_seed(&h), &rec,
		    &why) < 0 && jump(data, &h, &off, &seq, &rec) < 0) {
			(void)fprintf(stderr, "ringcat: seq %" PRIu64 " at %"
			    PRIu64 ": %s\n", seq, off, mml_disk_reason_str(why));
			return 1;
		}
		walked += rec.size;
		if (rec.hdr.type == MML_REC_WRAP) {
			walked += h.capacity - off - rec.size;
			off = 0;
			continue;
		}
		(void)printf("%" PRIu64 "\t%u\t%s%.*s\t%u\t%.*s\n", rec.hdr.seq,
		    rec.hdr.priority,
		    (rec.hdr.flags & MML_REC_F_DAEMON) ? "!" : "",
		    (int)rec.hdr.tag_len, (const char *)rec.tag, rec.hdr.pid,
		    (int)rec.hdr.msg_len, (const char *)rec.msg);
		seq++;
		off = mml_disk_next_off(h.capacity, off, rec.size);
	}
	return 0;
}
