/*
 * ringhack.c: damages a ring file on purpose, for the end-to-end tests
 * of torn writes and bit rot, and says exactly what it damaged, so that
 * a test can compare what mmlogctl and mmlogd report with an
 * independent account.  Like ringcat it trusts nothing but proto/disk.c;
 * it is meant for a ring no writer is changing.
 *
 * usage:
 *   ringhack recs FILE
 *       walks the chain from the header's tail, every record checked
 *       (CRC and the expected seq), and prints one line per record:
 *       "SEQ OFF LEN SIZE TYPE" (TYPE entry or wrap; a WRAP carries the
 *       seq of the entry after it).  Exit 1 if the chain breaks before
 *       the header's head_seq.
 *   ringhack scan FILE
 *       every record in the data region that checks (CRC included), by
 *       scanning in steps of 8 (a record found is stepped over whole),
 *       in offset order, as "SEQ OFF LEN SIZE TYPE".  The chain is not
 *       followed, so damage does not stop it.
 *   ringhack flip FILE SEED N
 *       flips N distinct bytes (each XORed with a random non-zero
 *       value), chosen uniformly among the bytes [off, off + len) of the
 *       entries on that chain, with a xorshift generator seeded with
 *       SEED.  Prints "flip FILEOFF OLD NEW" to stderr per byte and, on
 *       stdout, one line "SEQ OFF" per damaged entry, in seq order.
 *   ringhack xor FILE FILEOFF MASK
 *       XORs the byte at file offset FILEOFF with MASK (1..255).
 *   ringhack poke64 FILE FILEOFF VALUE
 *       stores VALUE as a little-endian u64 at file offset FILEOFF.
 *   ringhack poke32 FILE FILEOFF VALUE
 *       the same, a u32.
 *   ringhack seal FILE
 *       recomputes the header's static CRC (after a poke of the static
 *       part, to make a hostile header that checks).
 *   ringhack unkey FILE
 *       makes a keyed ring what an older mmlogd wrote: every record
 *       found by a scan and every index slot that checks with the key
 *       gets its CRC unkeyed; the flag, the key and its CRC are cleared.
 *   ringhack slots FILE
 *       the metadata slots that entries on the chain name, one line
 *       each, in slot order: "N FILEOFF GEN ENTRIES", its number, the
 *       file offset of its header, the generation the newest of those
 *       entries names, and how many entries name it (any generation).
 *   ringhack gaps FILE N
 *       fills the data region with N small entries numbered from 1, each
 *       followed by 8 zero bytes (a break in the chain per entry), and
 *       sets the header's tail and head around them, state clean.
 * Exit status: 0, 1 on an error, 2 usage.
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
#include "tables.h"

struct rec_pos {
	uint64_t seq, off, len, size;
	int type;
	int hit;
};

static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void
usage(void)
{
	(void)fprintf(stderr, "usage: ringhack recs FILE | scan FILE | "
	    "flip FILE SEED N | "
	    "xor FILE FILEOFF MASK | poke64|poke32 FILE FILEOFF VALUE | "
	    "seal FILE | unkey FILE | slots FILE | gaps FILE N\n");
	exit(2);
}

static uint8_t *
map_file(const char *path, int rw, uint64_t *ret_size)
{
	struct stat st;
	void *m;
	int fd;

	fd = open(path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		(void)fprintf(stderr, "ringhack: %s: %s\n", path,
		    strerror(errno));
		exit(1);
	}
	if (st.st_size < MML_DISK_HEADER_SIZE) {
		(void)fprintf(stderr, "ringhack: %s: too short\n", path);
		exit(1);
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | (rw ? PROT_WRITE : 0),
	    MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		(void)fprintf(stderr, "ringhack: mmap: %s\n", strerror(errno));
		exit(1);
	}
	(void)close(fd);
	*ret_size = (uint64_t)st.st_size;
	return m;
}

/* The chain from the tail to the head; exits if it breaks. */
static struct rec_pos *
walk(const uint8_t *map, uint64_t size, struct mml_disk_header *h,
    size_t *ret_n)
{
	enum mml_disk_reason why;
	struct mml_rec rec;
	struct rec_pos *v = NULL;
	const uint8_t *data;
	uint64_t off, seq, walked = 0;
	size_t n = 0, cap = 0;

	if (mml_disk_header_check(map, size, &why) < 0) {
		(void)fprintf(stderr, "ringhack: %s\n", mml_disk_reason_str(why));
		exit(1);
	}
	memcpy(h, map, sizeof(*h));
	data = map + MML_DISK_HEADER_SIZE;
	off = h->tail_off;
	seq = h->tail_seq;
	while (seq < h->head_seq && walked <= 2 * h->capacity) {
		if (mml_disk_rec_check(data, h->capacity, off, seq, 1, mml_disk_crc_seed(h), &rec,
		    &why) < 0) {
			(void)fprintf(stderr, "ringhack: chain breaks at seq %"
			    PRIu64 " offset %" PRIu64 ": %s\n", seq, off,
			    mml_disk_reason_str(why));
			exit(1);
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			v = realloc(v, cap * sizeof(*v));
			if (v == NULL)
				exit(1);
		}
		v[n].seq = rec.hdr.seq;
		v[n].off = off;
		v[n].len = rec.hdr.len;
		v[n].size = rec.size;
		v[n].type = rec.hdr.type;
		v[n].hit = 0;
		n++;
		walked += rec.size;
		if (rec.hdr.type == MML_REC_WRAP) {
			walked += h->capacity - off - rec.size;
			off = 0;
			continue;
		}
		seq++;
		off = mml_disk_next_off(h->capacity, off, rec.size);
	}
	*ret_n = n;
	return v;
}

static int
cmd_recs(const char *path)
{
	struct mml_disk_header h;
	struct rec_pos *v;
	uint64_t size;
	uint8_t *map;
	size_t i, n;

	map = map_file(path, 0, &size);
	v = walk(map, size, &h, &n);
	for (i = 0; i < n; i++)
		(void)printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		    " %s\n", v[i].seq, v[i].off, v[i].len, v[i].size,
		    v[i].type == MML_REC_WRAP ? "wrap" : "entry");
	free(v);
	return 0;
}

static int
cmd_slots(const char *path)
{
	enum mml_disk_reason why;
	struct mml_disk_header h;
	struct mml_rec rec;
	struct rec_pos *v;
	uint64_t size, *named;
	uint16_t *gen;
	uint8_t *map;
	uint32_t slots, k;
	size_t i, n;

	map = map_file(path, 0, &size);
	v = walk(map, size, &h, &n);
	if (!(h.incompat_flags & MML_INCOMPAT_META)) {
		(void)fprintf(stderr, "ringhack: %s has no metadata table\n",
		    path);
		return 1;
	}
	slots = mml_meta_slots(h.capacity);
	named = calloc(slots + 1, sizeof(*named));
	gen = calloc(slots + 1, sizeof(*gen));
	if (named == NULL || gen == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		if (v[i].type != MML_REC_ENTRY ||
		    mml_disk_rec_check(map + MML_DISK_HEADER_SIZE, h.capacity,
		    v[i].off, v[i].seq, 1, mml_disk_crc_seed(&h), &rec,
		    &why) < 0 || !(rec.hdr.flags & MML_REC_F_META))
			continue;
		k = mml_meta_ref_slot(rec.hdr.meta);
		if (k == 0 || k > slots)
			continue;
		named[k]++;
		gen[k] = mml_meta_ref_gen(rec.hdr.meta);
	}
	for (k = 1; k <= slots; k++)
		if (named[k] > 0)
			(void)printf("%u %" PRIu64 " %u %" PRIu64 "\n", k,
			    mml_meta_file_off(h.capacity) + (uint64_t)(k - 1) *
			    MML_META_SLOT_SIZE, gen[k], named[k]);
	free(named);
	free(gen);
	free(v);
	return 0;
}

static int
cmd_scan(const char *path)
{
	enum mml_disk_reason why;
	struct mml_disk_header h;
	struct mml_rec rec;
	const uint8_t *data;
	uint64_t size, off;
	uint8_t *map;

	map = map_file(path, 0, &size);
	if (mml_disk_header_check(map, size, &why) < 0) {
		(void)fprintf(stderr, "ringhack: %s\n", mml_disk_reason_str(why));
		return 1;
	}
	memcpy(&h, map, sizeof(h));
	data = map + MML_DISK_HEADER_SIZE;
	for (off = 0; h.capacity - off >= MML_REC_HDR; ) {
		if (mml_disk_rec_check(data, h.capacity, off, 0, 1, mml_disk_crc_seed(&h), &rec,
		    NULL) < 0) {
			off += MML_DISK_ALIGN;
			continue;
		}
		(void)printf("%" PRIu64 " %" PRIu64 " %u %" PRIu64 " %s\n",
		    rec.hdr.seq, off, rec.hdr.len, rec.size,
		    rec.hdr.type == MML_REC_WRAP ? "wrap" : "entry");
		off += rec.size;
	}
	return 0;
}

static int
cmd_flip(const char *path, uint64_t seed, uint64_t count)
{
	struct mml_disk_header h;
	struct rec_pos *v, **ent;
	uint64_t size, total = 0, *pick, *prefix, x, fo;
	uint8_t *map, *data, mask;
	size_t i, j, n, ne = 0, lo, hi, mid;

	map = map_file(path, 1, &size);
	v = walk(map, size, &h, &n);
	ent = calloc(n + 1, sizeof(*ent));
	prefix = calloc(n + 1, sizeof(*prefix));
	pick = calloc(count + 1, sizeof(*pick));
	if (ent == NULL || prefix == NULL || pick == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		if (v[i].type != MML_REC_ENTRY)
			continue;
		ent[ne] = &v[i];
		prefix[ne] = total;
		total += v[i].len;
		ne++;
	}
	if (total < count) {
		(void)fprintf(stderr, "ringhack: only %" PRIu64 " bytes of "
		    "entries\n", total);
		return 1;
	}
	rng_state = seed * 2654435761U + 88172645463325252ULL;
	data = map + MML_DISK_HEADER_SIZE;
	for (i = 0; i < count; i++) {
		/* Distinct bytes: two flips of one byte could cancel out. */
		do {
			x = rng() % total;
			for (j = 0; j < i && pick[j] != x; j++)
				;
		} while (j < i);
		pick[i] = x;
		lo = 0;
		hi = ne;
		while (hi - lo > 1) {
			mid = (lo + hi) / 2;
			if (prefix[mid] <= x)
				lo = mid;
			else
				hi = mid;
		}
		fo = ent[lo]->off + (x - prefix[lo]);
		mask = (uint8_t)(1 + rng() % 255);
		(void)fprintf(stderr, "flip %" PRIu64 " %u %u\n",
		    MML_DISK_HEADER_SIZE + fo, data[fo], data[fo] ^ mask);
		data[fo] ^= mask;
		ent[lo]->hit = 1;
	}
	for (i = 0; i < ne; i++)
		if (ent[i]->hit)
			(void)printf("%" PRIu64 " %" PRIu64 "\n", ent[i]->seq,
			    ent[i]->off);
	if (msync(map, (size_t)size, MS_SYNC) < 0) {
		(void)fprintf(stderr, "ringhack: msync: %s\n", strerror(errno));
		return 1;
	}
	free(v);
	free(ent);
	free(prefix);
	free(pick);
	return 0;
}

static int
cmd_poke(const char *path, uint64_t off, uint64_t value, int bytes)
{
	uint64_t size;
	uint8_t *map;
	int i;

	map = map_file(path, 1, &size);
	if (off > size || size - off < (uint64_t)bytes) {
		(void)fprintf(stderr, "ringhack: offset %" PRIu64 " beyond the "
		    "file\n", off);
		return 1;
	}
	if (bytes == 1)
		map[off] ^= (uint8_t)value;
	else
		for (i = 0; i < bytes; i++)
			map[off + (uint64_t)i] = (uint8_t)(value >> (8 * i));
	if (msync(map, (size_t)size, MS_SYNC) < 0) {
		(void)fprintf(stderr, "ringhack: msync: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

static void
sync_out(uint8_t *map, uint64_t size)
{
	if (msync(map, (size_t)size, MS_SYNC) < 0) {
		(void)fprintf(stderr, "ringhack: msync: %s\n", strerror(errno));
		exit(1);
	}
}

static void
seal(uint8_t *map)
{
	struct mml_disk_header h;

	memcpy(&h, map, sizeof(h));
	h.static_crc = mml_crc32c(0, &h,
	    offsetof(struct mml_disk_header, static_crc));
	memcpy(map, &h, sizeof(h));
}

static int
cmd_seal(const char *path)
{
	uint64_t size;
	uint8_t *map;

	map = map_file(path, 1, &size);
	seal(map);
	sync_out(map, size);
	return 0;
}

static int
cmd_unkey(const char *path)
{
	enum mml_disk_reason why;
	struct mml_disk_header h;
	struct mml_idx_slot slot;
	struct mml_rec rec;
	uint8_t *map, *data;
	uint64_t size, off, b, n = 0, ns = 0;
	uint32_t seed, crc;

	map = map_file(path, 1, &size);
	if (mml_disk_header_check(map, size, &why) < 0) {
		(void)fprintf(stderr, "ringhack: %s\n", mml_disk_reason_str(why));
		return 1;
	}
	memcpy(&h, map, sizeof(h));
	seed = mml_disk_crc_seed(&h);
	if (seed == 0) {
		(void)fprintf(stderr, "ringhack: %s is not keyed\n", path);
		return 1;
	}
	data = map + MML_DISK_HEADER_SIZE;
	for (off = 0; h.capacity - off >= MML_REC_HDR; ) {
		if (mml_disk_rec_check(data, h.capacity, off, 0, 1, seed, &rec,
		    NULL) < 0) {
			off += MML_DISK_ALIGN;
			continue;
		}
		crc = mml_crc32c(0, data + off + 4, rec.hdr.len - 4);
		memcpy(data + off, &crc, 4);
		n++;
		off += rec.size;
	}
	if (h.compat_flags & MML_COMPAT_INDEX &&
	    size >= mml_disk_file_size(&h)) {
		for (b = 0; b < mml_idx_slots(h.capacity); b++) {
			uint8_t *p = map + mml_idx_file_off(h.capacity) +
			    b * sizeof(slot);

			memcpy(&slot, p, sizeof(slot));
			if (mml_idx_slot_check(&slot, h.capacity, b, seed) != 1)
				continue;
			mml_idx_slot_make(&slot, slot.seq, slot.realtime_usec,
			    slot.off, 0);
			memcpy(p, &slot, sizeof(slot));
			ns++;
		}
	}
	h.incompat_flags &= ~MML_INCOMPAT_KEYED;
	memset(h.crc_key, 0, sizeof(h.crc_key));
	h.key_crc = 0;
	memcpy(map, &h, sizeof(h));
	seal(map);
	sync_out(map, size);
	(void)printf("%" PRIu64 " records, %" PRIu64 " slots unkeyed\n", n,
	    ns);
	return 0;
}

static int
cmd_gaps(const char *path, uint64_t count)
{
	enum mml_disk_reason why;
	struct mml_disk_header h;
	struct mml_rec_hdr rh;
	uint8_t *map, *data;
	uint64_t size, off = 0, i, rs;
	uint32_t seed;

	map = map_file(path, 1, &size);
	if (mml_disk_header_check(map, size, &why) < 0) {
		(void)fprintf(stderr, "ringhack: %s\n", mml_disk_reason_str(why));
		return 1;
	}
	memcpy(&h, map, sizeof(h));
	seed = mml_disk_crc_seed(&h);
	data = map + MML_DISK_HEADER_SIZE;
	rs = mml_disk_rec_size(0, 3, 13, 0);
	if (count == 0 || count > (h.capacity - MML_REC_HDR) / (rs + 8)) {
		(void)fprintf(stderr, "ringhack: %" PRIu64 " entries do not "
		    "fit\n", count);
		return 1;
	}
	memset(data, 0, (size_t)h.capacity);
	for (i = 0; i < count; i++) {
		memset(&rh, 0, sizeof(rh));
		rh.type = MML_REC_ENTRY;
		rh.priority = 6;
		rh.tag_len = 3;
		rh.msg_len = 13;
		rh.seq = i + 1;
		rh.realtime_usec = 1700000000000000ULL + i;
		(void)mml_disk_rec_write(data + off, &rh, NULL, "gap",
		    "entry, a gap.", NULL, seed);
		off += rs + 8;
	}
	h.tail_off = 0;
	h.tail_seq = 1;
	h.head_off = off;
	h.head_seq = count + 1;
	h.durable_off = off;
	h.durable_seq = count;
	h.seq_limit = count + 1000;
	h.state = MML_STATE_CLEAN;
	memcpy(map, &h, sizeof(h));
	/* No index: the slots would name the old records. */
	if (size >= mml_disk_file_size(&h))
		memset(map + mml_idx_file_off(h.capacity), 0,
		    (size_t)mml_idx_size(h.capacity));
	sync_out(map, size);
	return 0;
}

static uint64_t
num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *s == '\0' || *end != '\0')
		usage();
	return (uint64_t)v;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "recs") == 0)
		return cmd_recs(argv[2]);
	if (argc == 3 && strcmp(argv[1], "scan") == 0)
		return cmd_scan(argv[2]);
	if (argc == 5 && strcmp(argv[1], "flip") == 0)
		return cmd_flip(argv[2], num(argv[3]), num(argv[4]));
	if (argc == 5 && strcmp(argv[1], "xor") == 0) {
		uint64_t m = num(argv[4]);

		if (m == 0 || m > 255)
			usage();
		return cmd_poke(argv[2], num(argv[3]), m, 1);
	}
	if (argc == 5 && strcmp(argv[1], "poke64") == 0)
		return cmd_poke(argv[2], num(argv[3]), num(argv[4]), 8);
	if (argc == 5 && strcmp(argv[1], "poke32") == 0)
		return cmd_poke(argv[2], num(argv[3]), num(argv[4]), 4);
	if (argc == 3 && strcmp(argv[1], "seal") == 0)
		return cmd_seal(argv[2]);
	if (argc == 3 && strcmp(argv[1], "unkey") == 0)
		return cmd_unkey(argv[2]);
	if (argc == 3 && strcmp(argv[1], "slots") == 0)
		return cmd_slots(argv[2]);
	if (argc == 4 && strcmp(argv[1], "gaps") == 0)
		return cmd_gaps(argv[2], num(argv[3]));
	usage();
	return 2;
}
