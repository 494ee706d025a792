/*
 * check_fields.c: the reader's view of an entry as journald fields
 * (client/ringread/fields.c) and journalctl's matches over them
 * (client/ringread/match.c): the fields in their order, from the record
 * header, its strings, its fields block and the ring's header; names
 * that are not journald's or that would repeat a derived field skipped;
 * and each match form (same field: OR; other fields: AND; "+": OR of
 * groups; clauses ANDed; -u's unit matches with globs; -k).
 *
 * Then rings the daemon's own writer made (daemon/ring.c's
 * mml_ring_append_meta(), with the boot id of the test hook), read back
 * as mmlogctl reads them: each entry's trusted metadata from the slot it
 * names or inline, the same either way, exactly once; an entry whose
 * slot no longer holds its fields shown without them, and said so;
 * _BOOT_ID from the boot table, else from the metadata; the boots a
 * reader lists and -b selects.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meta.h"
#include "ring.h"
#include "ringread.h"
#include "tables.h"
#include "wire.h"

/* A record of our own making: header and strings in memory. */
struct fake {
	struct mml_rec	 rec;
	uint8_t		 fields[1024];
	size_t		 fields_len;
};

static void
fake_init(struct fake *f, const char *tag, const char *msg, uint32_t pid)
{
	memset(f, 0, sizeof(*f));
	f->rec.hdr.priority = 4;
	f->rec.hdr.seq = 42;
	f->rec.hdr.realtime_usec = 1700000000123456ULL;
	f->rec.hdr.monotonic_usec = 5000000;
	f->rec.hdr.pid = pid;
	f->rec.hdr.uid = 1000;
	f->rec.hdr.gid = 100;
	f->rec.hdr.comm_len = 4;
	f->rec.comm = (const uint8_t *)"comm";
	f->rec.hdr.tag_len = (uint16_t)strlen(tag);
	f->rec.tag = (const uint8_t *)tag;
	f->rec.hdr.msg_len = (uint32_t)strlen(msg);
	f->rec.msg = (const uint8_t *)msg;
	f->rec.fields = f->fields;
}

/* Appends KEY=VALUE to the fields block without the client's rules. */
static void
fake_field(struct fake *f, const char *kv)
{
	uint32_t n = (uint32_t)strlen(kv);

	memcpy(f->fields + f->fields_len, &n, 4);
	memcpy(f->fields + f->fields_len + 4, kv, n);
	f->fields_len += 4 + n;
	f->rec.hdr.fields_len = (uint32_t)f->fields_len;
}

/* Every field as "K=V\n", in the iterator's order. */
static char *
all_fields(struct mml_rd_ring *ring, const struct mml_rec *rec,
    unsigned flags)
{
	static char out[4096];
	struct mml_rd_fields fi;
	const char *k;
	const uint8_t *v;
	size_t kl, vl, n = 0;

	mml_rd_fields_begin(&fi, ring, rec, flags);
	while (mml_rd_fields_next(&fi, &k, &kl, &v, &vl)) {
		ck_assert_uint_lt(n + kl + vl + 2, sizeof(out));
		memcpy(out + n, k, kl);
		out[n + kl] = '=';
		memcpy(out + n + kl + 1, v, vl);
		n += kl + vl + 1;
		out[n++] = '\n';
	}
	out[n] = '\0';
	return out;
}

START_TEST(fields_order)
{
	struct fake f;

	fake_init(&f, "web", "hello", 77);
	fake_field(&f, "_TRANSPORT=syslog");
	fake_field(&f, "KEY=a");
	fake_field(&f, "KEY=b");
	fake_field(&f, "SYSLOG_FACILITY=3");
	ck_assert_str_eq(all_fields(NULL, &f.rec, 0),
	    "PRIORITY=4\nSYSLOG_IDENTIFIER=web\nMESSAGE=hello\n_PID=77\n"
	    "_UID=1000\n_GID=100\n_COMM=comm\n_TRANSPORT=syslog\nKEY=a\n"
	    "KEY=b\nSYSLOG_FACILITY=3\n");
	ck_assert_str_eq(all_fields(NULL, &f.rec, MML_RD_FIELDS_ADDRESS),
	    "__REALTIME_TIMESTAMP=1700000000123456\n"
	    "__MONOTONIC_TIMESTAMP=5000000\n__SEQNUM=42\n"
	    "PRIORITY=4\nSYSLOG_IDENTIFIER=web\nMESSAGE=hello\n_PID=77\n"
	    "_UID=1000\n_GID=100\n_COMM=comm\n_TRANSPORT=syslog\nKEY=a\n"
	    "KEY=b\nSYSLOG_FACILITY=3\n");
}
END_TEST

/* No tag, no comm, a daemon record: those fields come and go with them. */
START_TEST(fields_optional)
{
	struct fake f;

	fake_init(&f, "", "", 1);
	f.rec.hdr.comm_len = 0;
	f.rec.hdr.flags = MML_REC_F_DAEMON;
	ck_assert_str_eq(all_fields(NULL, &f.rec, 0),
	    "PRIORITY=4\nMESSAGE=\n_PID=1\n_UID=1000\n_GID=100\n"
	    "_MMLOG_DAEMON=1\n");
}
END_TEST

/*
 * Names the daemon never stores are damage or forgery: not journald
 * names, or ones that would repeat a derived field.
 */
START_TEST(fields_skipped)
{
	struct fake f;

	fake_init(&f, "t", "m", 5);
	fake_field(&f, "lower=x");
	fake_field(&f, "_PID=9");
	fake_field(&f, "__CURSOR=x");
	fake_field(&f, "MESSAGE=two");
	fake_field(&f, "1DIGIT=ok");
	fake_field(&f, "=empty");
	fake_field(&f, "OK=yes");
	ck_assert_str_eq(all_fields(NULL, &f.rec, 0),
	    "PRIORITY=4\nSYSLOG_IDENTIFIER=t\nMESSAGE=m\n_PID=5\n_UID=1000\n"
	    "_GID=100\n_COMM=comm\nOK=yes\n");
}
END_TEST

/* The ring gives __CURSOR and _BOOT_ID; values stay valid until begin. */
START_TEST(fields_ring)
{
	static uint8_t map[4096];
	struct mml_rd_ring ring;
	struct mml_rd_fields fi;
	struct fake f;
	const char *k, *keys[32];
	const uint8_t *v, *vals[32];
	size_t kl, vl, n = 0, i;

	memset(&ring, 0, sizeof(ring));
	memset(map, 0, sizeof(map));
	memset(ring.ring_id, 0xab, 16);
	memset(map + offsetof(struct mml_disk_header, boot_id), 0x11, 16);
	ring.map = map;
	fake_init(&f, "t", "m", 5);
	mml_rd_fields_begin(&fi, &ring, &f.rec, MML_RD_FIELDS_ADDRESS);
	while (mml_rd_fields_next(&fi, &k, &kl, &v, &vl)) {
		ck_assert_uint_lt(n, 32);
		keys[n] = k;
		vals[n++] = v;
		(void)kl;
		(void)vl;
	}
	ck_assert_uint_eq(n, 12);
	ck_assert(strncmp(keys[0], "__CURSOR", 8) == 0);
	ck_assert(memcmp(vals[0], "s=abababababababababababababababab;i=2a",
	    39) == 0);
	for (i = 0; i < n; i++)
		if (strncmp(keys[i], "_BOOT_ID", 8) == 0)
			break;
	ck_assert_uint_eq(i, 4);
	ck_assert(memcmp(vals[4], "11111111111111111111111111111111", 32) == 0);
	/* Gathered values still hold after the walk. */
	ck_assert(memcmp(vals[5], "4", 1) == 0);
	ck_assert(memcmp(vals[8], "5", 1) == 0);
}
END_TEST

static int
test_words(const char *const *words, const struct mml_rec *rec)
{
	struct mml_rd_match *m = mml_rd_match_new();
	int r;

	ck_assert_ptr_nonnull(m);
	for (; *words != NULL; words++)
		ck_assert_int_eq(mml_rd_match_add_word(m, *words), 0);
	r = mml_rd_match_test(m, NULL, rec);
	(void)mml_rd_match_free(m);
	return r;
}

#define W(...)	((const char *const []){ __VA_ARGS__, NULL })

START_TEST(match_forms)
{
	struct fake f;

	fake_init(&f, "web", "hello", 77);
	fake_field(&f, "KEY=a");
	fake_field(&f, "KEY=b");
	fake_field(&f, "_TRANSPORT=journal");
	ck_assert_int_eq(test_words(W("KEY=a"), &f.rec), 1);
	ck_assert_int_eq(test_words(W("KEY=b"), &f.rec), 1);
	ck_assert_int_eq(test_words(W("KEY=c"), &f.rec), 0);
	ck_assert_int_eq(test_words(W("KEY=ab"), &f.rec), 0);
	ck_assert_int_eq(test_words(W("KEY="), &f.rec), 0);
	/* Same field: either. */
	ck_assert_int_eq(test_words(W("KEY=c", "KEY=a"), &f.rec), 1);
	/* Other fields: both. */
	ck_assert_int_eq(test_words(W("KEY=a", "_PID=77"), &f.rec), 1);
	ck_assert_int_eq(test_words(W("KEY=a", "_PID=78"), &f.rec), 0);
	ck_assert_int_eq(test_words(W("SYSLOG_IDENTIFIER=web", "PRIORITY=4",
	    "MESSAGE=hello", "_UID=1000", "_GID=100", "_COMM=comm",
	    "_TRANSPORT=journal"), &f.rec), 1);
	/* "+": either group. */
	ck_assert_int_eq(test_words(W("_PID=78", "+", "KEY=b"), &f.rec), 1);
	ck_assert_int_eq(test_words(W("_PID=78", "+", "KEY=c"), &f.rec), 0);
	ck_assert_int_eq(test_words(W("KEY=a", "_PID=78", "+",
	    "KEY=c", "_PID=77"), &f.rec), 0);
	ck_assert_int_eq(test_words(W("KEY=a", "_PID=78", "+",
	    "KEY=c", "KEY=b", "_PID=77"), &f.rec), 1);
	/* A number is its decimal text, as journald stores it. */
	ck_assert_int_eq(test_words(W("_PID=077"), &f.rec), 0);
	/* A field the entry lacks. */
	ck_assert_int_eq(test_words(W("_SYSTEMD_UNIT=x.service"), &f.rec), 0);
}
END_TEST

START_TEST(match_invalid)
{
	struct mml_rd_match *m = mml_rd_match_new();

	ck_assert_int_eq(mml_rd_match_add_word(m, "lower=x"), -EINVAL);
	ck_assert_int_eq(mml_rd_match_add_word(m, "=x"), -EINVAL);
	ck_assert_int_eq(mml_rd_match_add_word(m, "NOEQUALS"), -EINVAL);
	ck_assert_int_eq(mml_rd_match_add_word(m, "__CURSOR=x"), -EINVAL);
	ck_assert_int_eq(mml_rd_match_add_word(m, "1A=x"), 0);
	(void)mml_rd_match_free(m);
}
END_TEST

/* Clauses: each must hold (FIELD=VALUE words AND -k). */
START_TEST(match_clauses)
{
	struct mml_rd_match *m = mml_rd_match_new();
	struct fake f;

	fake_init(&f, "kernel", "oops", 0);
	fake_field(&f, "_TRANSPORT=kernel");
	ck_assert_int_eq(mml_rd_match_add_word(m, "PRIORITY=4"), 0);
	ck_assert_int_eq(mml_rd_match_add_word(m, "+"), 0);
	ck_assert_int_eq(mml_rd_match_add_word(m, "PRIORITY=3"), 0);
	ck_assert_int_eq(mml_rd_match_and(m), 0);
	ck_assert_int_eq(mml_rd_match_add(m, "_TRANSPORT", 10, "kernel", 6, 0,
	    NULL), 0);
	ck_assert_int_eq(mml_rd_match_test(m, NULL, &f.rec), 1);
	f.rec.hdr.priority = 5;
	ck_assert_int_eq(mml_rd_match_test(m, NULL, &f.rec), 0);
	f.rec.hdr.priority = 3;
	ck_assert_int_eq(mml_rd_match_test(m, NULL, &f.rec), 1);
	f.fields_len = 0;
	fake_field(&f, "_TRANSPORT=syslog");
	ck_assert_int_eq(mml_rd_match_test(m, NULL, &f.rec), 0);
	(void)mml_rd_match_free(m);
}
END_TEST

static int
test_unit(const char *unit, const struct mml_rec *rec)
{
	struct mml_rd_match *m = mml_rd_match_new();
	int r;

	ck_assert_int_eq(mml_rd_match_add_unit(m, unit), 0);
	ck_assert_int_eq(mml_rd_match_and(m), 0);
	r = mml_rd_match_test(m, NULL, rec);
	(void)mml_rd_match_free(m);
	return r;
}

/* -u: journalctl's add_matches_for_unit(), with globs. */
START_TEST(match_unit)
{
	struct fake own, pid1, other, obj, slice;

	fake_init(&own, "sshd", "x", 500);
	fake_field(&own, "_SYSTEMD_UNIT=ssh.service");
	ck_assert_int_eq(test_unit("ssh.service", &own.rec), 1);
	ck_assert_int_eq(test_unit("ssh*", &own.rec), 1);
	ck_assert_int_eq(test_unit("s?h.service", &own.rec), 1);
	ck_assert_int_eq(test_unit("cron.service", &own.rec), 0);
	ck_assert_int_eq(test_unit("ssh", &own.rec), 0);
	/* systemd's own words about the unit: pid 1 and UNIT=. */
	fake_init(&pid1, "systemd", "Started", 1);
	fake_field(&pid1, "UNIT=ssh.service");
	ck_assert_int_eq(test_unit("ssh.service", &pid1.rec), 1);
	ck_assert_int_eq(test_unit("ssh.*", &pid1.rec), 1);
	fake_init(&other, "liar", "x", 600);
	fake_field(&other, "UNIT=ssh.service");
	ck_assert_int_eq(test_unit("ssh.service", &other.rec), 0);
	/* A privileged daemon's OBJECT_SYSTEMD_UNIT=. */
	fake_init(&obj, "polkit", "x", 700);
	obj.rec.hdr.uid = 0;
	fake_field(&obj, "OBJECT_SYSTEMD_UNIT=ssh.service");
	ck_assert_int_eq(test_unit("ssh.service", &obj.rec), 1);
	obj.rec.hdr.uid = 1;
	ck_assert_int_eq(test_unit("ssh.service", &obj.rec), 0);
	/* A slice: everything in it. */
	fake_init(&slice, "x", "y", 800);
	fake_field(&slice, "_SYSTEMD_SLICE=system.slice");
	ck_assert_int_eq(test_unit("system.slice", &slice.rec), 1);
	ck_assert_int_eq(test_unit("sys*", &slice.rec), 1);
	ck_assert_int_eq(test_unit("system.service", &slice.rec), 0);
}
END_TEST

/*
 * Rings of the daemon's writer.  A sender K's metadata is _TRANSPORT,
 * _SYSTEMD_UNIT=uK.service, _EXE=/bin/pK and _BOOT_ID (what the daemon
 * stores in a slot: meta.c), the boot id of the test hook's boot.
 */
#define CAP		((uint64_t)MML_DISK_CAP_MIN)
#define BOOT_A		"0123456789abcdef0123456789abcdef"
#define BOOT_B		"fedcba9876543210fedcba9876543210"

static char dir[64], path[128];
static struct mml_ring *wr;

static void
rd_setup(void)
{
	(void)strcpy(dir, "/tmp/check_fields.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/ring", dir);
	wr = NULL;
	(void)unsetenv("MMLOGD_TEST_BOOT_ID");
}

static void
rd_teardown(void)
{
	wr = mml_ring_close(wr);
	(void)unlink(path);
	(void)rmdir(dir);
	(void)unsetenv("MMLOGD_TEST_BOOT_ID");
}

/* Opens the writer's ring in the boot given (the test hook). */
static void
wr_open(const char *boot)
{
	ck_assert_int_eq(setenv("MMLOGD_TEST_BOOT_ID", boot, 1), 0);
	ck_assert_int_eq(mml_ring_open(path, CAP, 1, CAP / 4, &wr), 0);
}

static void
wr_close(void)
{
	wr = mml_ring_close(wr);
}

static void
meta_of(struct mml_meta *m, unsigned k, const char *transport,
    const char *boot)
{
	char v[64];
	size_t len = 0;
	int n;

#define PUT(key, val, vl) ck_assert_int_eq(mml_fields_put(m->block,	\
    sizeof(m->block), &len, key, strlen(key), val, vl), 0)
	PUT("_TRANSPORT", transport, strlen(transport));
	PUT("_BOOT_ID", boot, strlen(boot));
	n = snprintf(v, sizeof(v), "u%u.service", k);
	PUT("_SYSTEMD_UNIT", v, (size_t)n);
	n = snprintf(v, sizeof(v), "/bin/p%u", k);
	PUT("_EXE", v, (size_t)n);
#undef PUT
	m->len = (uint32_t)len;
	m->hash = mml_crc32c(0, m->block, len);
}

/*
 * Appends "mN" (N its seq) from sender k, with the fields block
 * fields[0, flen) of its own; returns the seq.
 */
static uint64_t
wr_append(unsigned k, const char *transport, const char *boot,
    const void *fields, size_t flen)
{
	struct mml_rec_hdr h;
	struct mml_meta m;
	char msg[32];
	uint64_t seq;
	int n;

	meta_of(&m, k, transport, boot);
	memset(&h, 0, sizeof(h));
	h.priority = 6;
	n = snprintf(msg, sizeof(msg), "m%u", k);
	h.msg_len = (uint32_t)n;
	h.fields_len = (uint32_t)flen;
	h.realtime_usec = 1700000000000000ULL + k;
	h.monotonic_usec = 7000000ULL + k;
	h.pid = 10 + k;
	ck_assert_int_eq(mml_ring_append_meta(wr, &h, NULL, NULL, msg, fields,
	    &m, &seq), 0);
	return seq;
}

/* The reader's ring, and its entries one by one. */
static struct mml_rd_ring *
rd_open(void)
{
	struct mml_rd_ring *r = NULL;
	enum mml_disk_reason why;

	ck_assert_int_eq(mml_rd_ring_open(path, &r, &why), 0);
	return r;
}

/* The entry numbered seq, copied, into it's buffer. */
static void
rd_entry(struct mml_rd_iter *it, struct mml_rd_ring *r, uint64_t seq,
    struct mml_rec *rec)
{
	int step;

	mml_rd_iter_init(it, r, MML_RD_COPY);
	mml_rd_iter_tail(it);
	while ((step = mml_rd_iter_next(it, rec)) != MML_RD_END) {
		ck_assert_int_ge(step, 0);
		if (step == MML_RD_ENTRY && rec->hdr.seq == seq)
			return;
	}
	ck_abort_msg("no entry %llu", (unsigned long long)seq);
}

/* How often "KEY=" starts a line of s. */
static int
count_key(const char *s, const char *key)
{
	size_t kl = strlen(key);
	int n = 0;

	for (; s != NULL && *s != '\0'; s = strchr(s, '\n'), s += s != NULL) {
		if (strncmp(s, key, kl) == 0 && s[kl] == '=')
			n++;
		if (strchr(s, '\n') == NULL)
			break;
	}
	return n;
}

/*
 * A slot for each sender, shared by its entries; the fields the entry
 * carries, then the slot's, _BOOT_ID from the boot table first and a
 * _TRANSPORT the entry already has not twice.
 */
START_TEST(rd_meta_slot)
{
	struct mml_rd_ring *r;
	struct mml_rd_iter it;
	struct mml_rec rec;
	uint8_t fb[128];
	size_t flen = 0;
	uint32_t ref1;
	uint64_t s1, s2, s3;

	ck_assert_int_eq(mml_fields_put(fb, sizeof(fb), &flen, "KEY", 3, "v",
	    1), 0);
	ck_assert_int_eq(mml_fields_put(fb, sizeof(fb), &flen, "_TRANSPORT",
	    10, "syslog", 6), 0);
	wr_open(BOOT_A);
	s1 = wr_append(1, "syslog", BOOT_A, NULL, 0);
	s2 = wr_append(2, "syslog", BOOT_A, fb, flen);
	s3 = wr_append(1, "syslog", BOOT_A, NULL, 0);
	wr_close();

	r = rd_open();
	rd_entry(&it, r, s1, &rec);
	ck_assert(rec.hdr.flags & MML_REC_F_META);
	ref1 = rec.hdr.meta;
	ck_assert_str_eq(all_fields(r, &rec, 0),
	    "_BOOT_ID=" BOOT_A "\nPRIORITY=6\nMESSAGE=m1\n_PID=11\n_UID=0\n"
	    "_GID=0\n_TRANSPORT=syslog\n_SYSTEMD_UNIT=u1.service\n"
	    "_EXE=/bin/p1\n");
	mml_rd_iter_done(&it);
	rd_entry(&it, r, s2, &rec);
	ck_assert_uint_ne(rec.hdr.meta, ref1);
	ck_assert(strstr(all_fields(r, &rec, 0), "\n_GID=0\nKEY=v\n"
	    "_TRANSPORT=syslog\n_SYSTEMD_UNIT=u2.service\n_EXE=/bin/p2\n")
	    != NULL);
	ck_assert_int_eq(count_key(all_fields(r, &rec, 0), "_TRANSPORT"), 1);
	ck_assert_int_eq(count_key(all_fields(r, &rec, 0), "_BOOT_ID"), 1);
	mml_rd_iter_done(&it);
	rd_entry(&it, r, s3, &rec);
	ck_assert_uint_eq(rec.hdr.meta, ref1);
	ck_assert(strstr(all_fields(r, &rec, 0), "_SYSTEMD_UNIT=u1.service\n")
	    != NULL);
	ck_assert_uint_eq(r->meta_unavailable, 0);
	mml_rd_iter_done(&it);
	(void)mml_rd_ring_free(r);
}
END_TEST

/* The matches see the slot's fields: FIELD=VALUE and -u. */
START_TEST(rd_meta_match)
{
	struct mml_rd_ring *r;
	struct mml_rd_iter it;
	struct mml_rd_match *m;
	struct mml_rec rec;
	uint64_t s1, s2;

	wr_open(BOOT_A);
	s1 = wr_append(1, "journal", BOOT_A, NULL, 0);
	s2 = wr_append(2, "stdout", BOOT_A, NULL, 0);
	wr_close();
	r = rd_open();
	m = mml_rd_match_new();
	ck_assert_int_eq(mml_rd_match_add_unit(m, "u1.service"), 0);
	ck_assert_int_eq(mml_rd_match_and(m), 0);
	rd_entry(&it, r, s1, &rec);
	ck_assert_int_eq(mml_rd_match_test(m, r, &rec), 1);
	ck_assert_int_eq(mml_rd_match_stale(m), 0);
	mml_rd_iter_done(&it);
	rd_entry(&it, r, s2, &rec);
	ck_assert_int_eq(mml_rd_match_test(m, r, &rec), 0);
	(void)mml_rd_match_free(m);
	m = mml_rd_match_new();
	ck_assert_int_eq(mml_rd_match_add_word(m, "_TRANSPORT=stdout"), 0);
	ck_assert_int_eq(mml_rd_match_add_word(m, "_EXE=/bin/p2"), 0);
	ck_assert_int_eq(mml_rd_match_add_word(m, "_BOOT_ID=" BOOT_A), 0);
	ck_assert_int_eq(mml_rd_match_test(m, r, &rec), 1);
	mml_rd_iter_done(&it);
	rd_entry(&it, r, s1, &rec);
	ck_assert_int_eq(mml_rd_match_test(m, r, &rec), 0);
	(void)mml_rd_match_free(m);
	mml_rd_iter_done(&it);
	(void)mml_rd_ring_free(r);
}
END_TEST

/* Rewrites slot n of the file with generation gen (its fields kept). */
static void
slot_rewrite(struct mml_rd_ring *r, uint16_t n, uint16_t gen, int break_crc)
{
	uint8_t slot[MML_META_SLOT_SIZE];
	struct mml_meta_slot h;
	off_t off = (off_t)(mml_meta_file_off(CAP) + (uint64_t)(n - 1) *
	    MML_META_SLOT_SIZE);
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, slot, sizeof(slot), off), sizeof(slot));
	memcpy(&h, slot, sizeof(h));
	if (break_crc)
		slot[40] ^= 0x01;
	else
		mml_meta_slot_write(slot, n, gen, h.first_seq, h.last_seq,
		    slot + sizeof(h), h.len, r->crc_seed);
	ck_assert_int_eq(pwrite(fd, slot, sizeof(slot), off), sizeof(slot));
	ck_assert_int_eq(close(fd), 0);
}

/* Prints the entry in -o verbose into buf. */
static void
verbose_of(struct mml_rd_ring *r, const struct mml_rec *rec, char *buf,
    size_t cap)
{
	struct mml_rd_fmt f;
	FILE *out = fmemopen(buf, cap, "w");

	ck_assert_ptr_nonnull(out);
	mml_rd_fmt_init(&f, out, MML_RD_O_VERBOSE, r);
	mml_rd_fmt_entry(&f, rec);
	ck_assert_int_eq(fclose(out), 0);
}

/*
 * A slot that no longer holds the entry's fields: rewritten (another
 * generation), or damaged.  The entry is shown without them, never with
 * another's, the iterator says so, verbose says so, the match cannot
 * see them, and the ring counts it.
 */
START_TEST(rd_meta_stale)
{
	struct mml_rd_ring *r;
	struct mml_rd_iter it;
	struct mml_rd_fields fi;
	struct mml_rd_match *m;
	struct mml_rec rec;
	const char *k;
	const uint8_t *v;
	char buf[4096];
	size_t kl, vl;
	uint64_t s1;

	wr_open(BOOT_A);
	s1 = wr_append(1, "syslog", BOOT_A, NULL, 0);
	wr_close();
	r = rd_open();
	rd_entry(&it, r, s1, &rec);
	ck_assert(strstr(all_fields(r, &rec, 0), "_SYSTEMD_UNIT") != NULL);
	verbose_of(r, &rec, buf, sizeof(buf));
	ck_assert(strstr(buf, "unavailable") == NULL);
	/* Another generation: the reader's copy no longer counts. */
	slot_rewrite(r, mml_meta_ref_slot(rec.hdr.meta),
	    (uint16_t)(mml_meta_ref_gen(rec.hdr.meta) + 1), 0);
	ck_assert_str_eq(all_fields(r, &rec, 0),
	    "_BOOT_ID=" BOOT_A "\nPRIORITY=6\nMESSAGE=m1\n_PID=11\n_UID=0\n"
	    "_GID=0\n");
	mml_rd_fields_begin(&fi, r, &rec, 0);
	while (mml_rd_fields_next(&fi, &k, &kl, &v, &vl))
		;
	ck_assert_int_eq(mml_rd_fields_meta_stale(&fi), 1);
	ck_assert_uint_ge(r->meta_unavailable, 2);
	verbose_of(r, &rec, buf, sizeof(buf));
	ck_assert(strstr(buf, "    (trusted metadata unavailable") != NULL);
	ck_assert(strstr(buf, "_SYSTEMD_UNIT") == NULL);
	m = mml_rd_match_new();
	ck_assert_int_eq(mml_rd_match_add_word(m, "_SYSTEMD_UNIT=u1.service"),
	    0);
	ck_assert_int_eq(mml_rd_match_test(m, r, &rec), 0);
	ck_assert_int_eq(mml_rd_match_stale(m), 1);
	mml_rd_iter_done(&it);
	(void)mml_rd_ring_free(r);

	/* Its generation again, but damaged: a new reader finds it so. */
	r = rd_open();
	rd_entry(&it, r, s1, &rec);
	slot_rewrite(r, mml_meta_ref_slot(rec.hdr.meta),
	    mml_meta_ref_gen(rec.hdr.meta), 0);
	ck_assert(strstr(all_fields(r, &rec, 0), "_SYSTEMD_UNIT") != NULL);
	(void)mml_rd_ring_free(r);
	mml_rd_iter_done(&it);
	r = rd_open();
	rd_entry(&it, r, s1, &rec);
	slot_rewrite(r, mml_meta_ref_slot(rec.hdr.meta), 0, 1);
	ck_assert_int_eq(mml_rd_match_test(m, r, &rec), 0);
	ck_assert_int_eq(mml_rd_match_stale(m), 1);
	ck_assert_int_eq(count_key(all_fields(r, &rec, 0), "_EXE"), 0);
	ck_assert_int_eq(count_key(all_fields(r, &rec, 0), "_BOOT_ID"), 1);
	{
		struct mml_rd_meta_report mr;

		mml_rd_meta_report(r, &mr);
		ck_assert_uint_eq(mr.slots, MML_META_SLOTS_MIN);
		ck_assert_uint_eq(mr.written, 0);
		ck_assert_uint_eq(mr.damaged, 1);
	}
	(void)mml_rd_match_free(m);
	mml_rd_iter_done(&it);
	(void)mml_rd_ring_free(r);
}
END_TEST

/*
 * More senders than slots: the newest entries carry their metadata
 * inline, and every entry shows its own sender's fields, each once,
 * wherever they are kept, lap after lap.
 */
START_TEST(rd_meta_inline)
{
	struct mml_rd_ring *r;
	struct mml_rd_iter it;
	struct mml_rec rec;
	char want[64];
	const char *all;
	uint64_t n = 0, inl = 0, i;
	unsigned k;
	int step;

	wr_open(BOOT_A);
	for (i = 0; i < 3000; i++)
		(void)wr_append((unsigned)(i * 7 % 100), "syslog", BOOT_A,
		    NULL, 0);
	wr_close();
	r = rd_open();
	mml_rd_iter_init(&it, r, MML_RD_COPY);
	mml_rd_iter_tail(&it);
	while ((step = mml_rd_iter_next(&it, &rec)) != MML_RD_END) {
		ck_assert_int_ge(step, 0);
		if (step != MML_RD_ENTRY)
			continue;
		ck_assert_int_eq(sscanf((const char *)rec.msg, "m%u", &k), 1);
		n++;
		inl += !(rec.hdr.flags & MML_REC_F_META);
		all = all_fields(r, &rec, 0);
		(void)snprintf(want, sizeof(want), "\n_SYSTEMD_UNIT=u%u.service\n",
		    k);
		ck_assert_msg(strstr(all, want) != NULL, "seq %llu: %s",
		    (unsigned long long)rec.hdr.seq, all);
		ck_assert_int_eq(count_key(all, "_SYSTEMD_UNIT"), 1);
		ck_assert_int_eq(count_key(all, "_TRANSPORT"), 1);
		ck_assert_int_eq(count_key(all, "_BOOT_ID"), 1);
		ck_assert(strncmp(all, "_BOOT_ID=" BOOT_A "\n", 42) == 0);
	}
	ck_assert_uint_gt(n, 300);
	ck_assert_uint_gt(inl, 0);
	ck_assert_uint_lt(inl, n);
	ck_assert_uint_eq(r->meta_unavailable, 0);
	mml_rd_iter_done(&it);
	(void)mml_rd_ring_free(r);
}
END_TEST

/*
 * Per slot against per entry: the same match judged once per slot
 * (mml_rd_match_test()) and by a walk of every field of each entry
 * (mml_rd_match_per_entry()), each with a reader of its own, must give
 * every entry the same answer and say the same of its metadata, on a
 * ring of many senders: more than its 64 slots at times (entries with
 * their metadata inline), slots reused lap after lap (new generations)
 * while the same readers and matches go on, entries with fields of
 * their own (trusted names among them, and -u's UNIT= from pid 1 and
 * OBJECT_SYSTEMD_UNIT= from uid 0), and slots damaged or rewritten
 * under the readers.
 */
#define SM_SENDERS	80
#define SM_ROUNDS	9
#define SM_PER_ROUND	700

/* A query: match words ("+" between groups), then a unit (-u), or NULL. */
struct sm_query {
	const char *const *words;
	const char	*unit;
};

static const struct sm_query sm_queries[] = {
	{ W("_SYSTEMD_UNIT=u3.service"), NULL },
	{ W("_SYSTEMD_UNIT=u3.service", "_SYSTEMD_UNIT=u77.service"), NULL },
	{ W("_TRANSPORT=syslog"), NULL },
	{ W("_TRANSPORT=journal", "COLOR=red"), NULL },
	{ W("_EXE=/bin/p5", "+", "PRIORITY=3"), NULL },
	{ W("_SYSTEMD_UNIT=nosuch.service"), NULL },
	{ W("COLOR=red", "+", "_EXE=/bin/p8"), NULL },
	{ W("_TRANSPORT=syslog", "_PID=13"), NULL },
	{ W("OBJECT_SYSTEMD_UNIT=u4.service"), NULL },
	{ W("_BOOT_ID=" BOOT_A, "_SYSTEMD_UNIT=u2.service"), NULL },
	{ W("MESSAGE=m7", "_SYSTEMD_UNIT=u7.service"), NULL },
	{ W("_SYSTEMD_UNIT=u1.service", "_EXE=/bin/p1", "SIZE=2"), NULL },
	{ W("_TRANSPORT=kernel"), NULL },
	{ NULL, "u4.service" },
	{ NULL, "u1*" },
	{ NULL, "nosuch.service" },
	{ W("_TRANSPORT=stdout"), "u9.service" },
	{ W("_UID=0", "+", "_SYSTEMD_UNIT=u11.service"), "u1*" },
};
#define SM_QUERIES	(sizeof(sm_queries) / sizeof(sm_queries[0]))

static struct mml_rd_match *
sm_match(const struct sm_query *q, int each)
{
	struct mml_rd_match *m = mml_rd_match_new();
	const char *const *w;

	ck_assert_ptr_nonnull(m);
	for (w = q->words; w != NULL && *w != NULL; w++)
		ck_assert_int_eq(mml_rd_match_add_word(m, *w), 0);
	ck_assert_int_eq(mml_rd_match_and(m), 0);
	if (q->unit != NULL) {
		ck_assert_int_eq(mml_rd_match_add_unit(m, q->unit), 0);
		ck_assert_int_eq(mml_rd_match_and(m), 0);
	}
	mml_rd_match_per_entry(m, each);
	return m;
}

/*
 * Entry i of round rd: its sender (20 of them in most rounds, in a
 * window that moves; all 80 in every third round), pid (1 at times),
 * uid (0 for odd senders), priority and fields of its own.
 */
static void
sm_append(unsigned rd, unsigned i)
{
	static const char *const transports[] = { "syslog", "journal",
	    "stdout" };
	struct mml_rec_hdr h;
	struct mml_meta m;
	uint8_t fb[256];
	char msg[32];
	size_t flen = 0;
	unsigned k;
	uint64_t seq;
	int n;

#define PUT(kv) ck_assert_int_eq(mml_fields_put(fb, sizeof(fb), &flen,	\
    kv, strcspn(kv, "="), strchr(kv, '=') + 1, strlen(strchr(kv, '=') + 1)), 0)
	k = rd % 3 == 2 ? i * 7 % SM_SENDERS : (rd * 13 + i % 20) % SM_SENDERS;
	if (i % 5 == 0)
		PUT("COLOR=red");
	if (i % 5 == 1)
		PUT("OBJECT_SYSTEMD_UNIT=u4.service");
	if (i % 5 == 2) {
		PUT("UNIT=u4.service");
		PUT("SIZE=2");
	}
	if (i % 7 == 3)
		PUT("_TRANSPORT=syslog");
	if (i % 11 == 4)
		PUT("_SYSTEMD_UNIT=u3.service");
#undef PUT
	meta_of(&m, k, transports[k % 3], BOOT_A);
	memset(&h, 0, sizeof(h));
	h.priority = (uint8_t)(i % 8);
	n = snprintf(msg, sizeof(msg), "m%u", k);
	h.msg_len = (uint32_t)n;
	h.fields_len = (uint32_t)flen;
	h.realtime_usec = 1700000000000000ULL + rd * 100000 + i;
	h.monotonic_usec = 7000000ULL + rd * 100000 + i;
	h.pid = i % 17 == 0 ? 1 : 10 + k;
	h.uid = k % 2 ? 0 : 1000;
	ck_assert_int_eq(mml_ring_append_meta(wr, &h, NULL, NULL, msg, fb,
	    &m, &seq), 0);
}

/* Flips a byte of slot n in the file: at off 0 its CRC, at 40 a field. */
static void
sm_slot_flip(uint16_t n, size_t off)
{
	uint8_t b;
	off_t at = (off_t)(mml_meta_file_off(CAP) + (uint64_t)(n - 1) *
	    MML_META_SLOT_SIZE + off);
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, at), 1);
	b ^= 0x01;
	ck_assert_int_eq(pwrite(fd, &b, 1, at), 1);
	ck_assert_int_eq(close(fd), 0);
}

START_TEST(rd_meta_match_per_slot)
{
	struct mml_rd_match *fast[SM_QUERIES], *each[SM_QUERIES];
	struct mml_rd_match_stats st, all;
	struct mml_rd_ring *ra = NULL, *rb = NULL;
	struct mml_rd_iter it;
	struct mml_rec rec;
	uint64_t entries = 0, inl = 0, stale = 0, hits[SM_QUERIES];
	uint16_t head_slot;
	unsigned rd, i, q;
	int step, a, b;

	memset(hits, 0, sizeof(hits));
	memset(&all, 0, sizeof(all));
	for (q = 0; q < SM_QUERIES; q++) {
		fast[q] = sm_match(&sm_queries[q], 0);
		each[q] = sm_match(&sm_queries[q], 1);
	}
	wr_open(BOOT_A);
	for (rd = 0; rd < SM_ROUNDS; rd++) {
		for (i = 0; i < SM_PER_ROUND; i++)
			sm_append(rd, i);
		if (ra == NULL) {
			ra = rd_open();
			rb = rd_open();
		}
		/*
		 * The slot the newest entry names: its fields damaged (a
		 * reader that checked it already keeps what it found), its
		 * CRC damaged, or rewritten as another generation.
		 */
		head_slot = 0;
		mml_rd_iter_init(&it, ra, MML_RD_COPY);
		mml_rd_iter_tail(&it);
		while ((step = mml_rd_iter_next(&it, &rec)) != MML_RD_END)
			if (step == MML_RD_ENTRY &&
			    (rec.hdr.flags & MML_REC_F_META))
				head_slot = mml_meta_ref_slot(rec.hdr.meta);
		mml_rd_iter_done(&it);
		if (head_slot != 0 && rd % 3 == 0)
			sm_slot_flip(head_slot, 40);
		else if (head_slot != 0 && rd % 3 == 1)
			sm_slot_flip(head_slot, 0);
		else if (head_slot != 0)
			slot_rewrite(ra, head_slot, (uint16_t)(rd + 1000), 0);
		/* Every entry, every query, both ways. */
		mml_rd_iter_init(&it, ra, MML_RD_COPY);
		mml_rd_iter_tail(&it);
		while ((step = mml_rd_iter_next(&it, &rec)) != MML_RD_END) {
			ck_assert_int_ge(step, 0);
			if (step != MML_RD_ENTRY)
				continue;
			entries++;
			inl += !(rec.hdr.flags & MML_REC_F_META);
			for (q = 0; q < SM_QUERIES; q++) {
				a = mml_rd_match_test(fast[q], ra, &rec);
				b = mml_rd_match_test(each[q], rb, &rec);
				ck_assert_msg(a == b, "round %u seq %llu query %u: "
				    "per slot %d, per entry %d", rd,
				    (unsigned long long)rec.hdr.seq, q, a, b);
				ck_assert_int_eq(mml_rd_match_stale(fast[q]),
				    mml_rd_match_stale(each[q]));
				hits[q] += (uint64_t)a;
				stale += (uint64_t)mml_rd_match_stale(each[q]);
			}
		}
		mml_rd_iter_done(&it);
	}
	wr_close();
	ck_assert_uint_eq(ra->meta_unavailable, rb->meta_unavailable);
	for (q = 0; q < SM_QUERIES; q++) {
		mml_rd_match_stats(fast[q], &st);
		all.by_slot += st.by_slot;
		all.by_fields += st.by_fields;
		all.per_entry += st.per_entry;
		all.slot_versions += st.slot_versions;
		mml_rd_match_stats(each[q], &st);
		ck_assert_uint_eq(st.by_slot + st.by_fields, 0);
		(void)mml_rd_match_free(fast[q]);
		(void)mml_rd_match_free(each[q]);
	}
	/* Not vacuous: each way was taken, and each case met. */
	ck_assert_uint_gt(entries, 2000);
	ck_assert_uint_gt(inl, 0);
	ck_assert_uint_gt(stale, 0);
	ck_assert_uint_gt(all.by_slot, 10000);
	ck_assert_uint_gt(all.by_fields, 0);
	ck_assert_uint_gt(all.per_entry, 0);
	ck_assert_uint_gt(all.slot_versions, 2 * MML_META_SLOTS_MIN);
	ck_assert_uint_gt(hits[0], 0);
	ck_assert_uint_gt(hits[2], 0);
	ck_assert_uint_gt(hits[13], 0);
	ck_assert_uint_gt(hits[14], 0);
	ck_assert_uint_eq(hits[5], 0);
	(void)mml_rd_ring_free(ra);
	(void)mml_rd_ring_free(rb);
}
END_TEST

/* The _BOOT_ID of each entry, as readers see it. */
static void
boot_of_entry(struct mml_rd_ring *r, uint64_t seq, char *ret)
{
	struct mml_rd_iter it;
	struct mml_rec rec;
	const char *all, *p;

	rd_entry(&it, r, seq, &rec);
	all = all_fields(r, &rec, 0);
	ck_assert_int_le(count_key(all, "_BOOT_ID"), 1);
	p = strstr(all, "_BOOT_ID=");
	if (p == NULL)
		ret[0] = '\0';
	else
		(void)snprintf(ret, 33, "%s", p + 9);
	mml_rd_iter_done(&it);
}

/*
 * Two boots: each entry has its own boot's id from the table (not the
 * ring header's, which is the last writer's, nor what its slot says),
 * and the boots readers list are the table's, with their seqs.
 */
START_TEST(rd_boots)
{
	struct mml_rd_boot_span sp[MML_BOOT_MAX];
	struct mml_rd_ring *r;
	char id[33];
	uint64_t a1, a2, b1, b2;

	wr_open(BOOT_A);
	a1 = wr_append(1, "syslog", BOOT_B, NULL, 0);
	a2 = wr_append(2, "syslog", BOOT_B, NULL, 0);
	wr_close();
	wr_open(BOOT_B);
	b1 = wr_append(1, "syslog", BOOT_A, NULL, 0);
	b2 = wr_append(3, "syslog", BOOT_A, NULL, 0);
	wr_close();
	r = rd_open();
	boot_of_entry(r, a1, id);
	ck_assert_str_eq(id, BOOT_A);
	boot_of_entry(r, a2, id);
	ck_assert_str_eq(id, BOOT_A);
	boot_of_entry(r, b1, id);
	ck_assert_str_eq(id, BOOT_B);
	boot_of_entry(r, b2, id);
	ck_assert_str_eq(id, BOOT_B);
	ck_assert_uint_eq(mml_rd_boot_spans(r, sp), 2);
	mml_rd_hex128(id, sp[0].boot_id);
	ck_assert_str_eq(id, BOOT_A);
	ck_assert_uint_eq(sp[0].first_seq, a1);
	ck_assert_uint_eq(sp[0].end_seq, b1);
	ck_assert_int_eq(sp[0].whole, 1);
	ck_assert_uint_eq(sp[0].first_realtime, 1700000000000001ULL);
	ck_assert_uint_eq(sp[0].first_monotonic, 7000001ULL);
	ck_assert_uint_eq(sp[1].first_seq, b1);
	ck_assert_uint_eq(sp[1].end_seq, UINT64_MAX);
	ck_assert_int_eq(mml_rd_boot_of(r, a2), 0);
	ck_assert_int_eq(mml_rd_boot_of(r, b2), 1);
	(void)mml_rd_ring_free(r);
}
END_TEST

/*
 * A boot whose first entries were overwritten is listed from the tail;
 * one overwritten entirely is not listed at all.
 */
START_TEST(rd_boots_tail)
{
	struct mml_rd_boot_span sp[MML_BOOT_MAX];
	struct mml_rd_ring *r;
	uint64_t i, b1 = 0, c1;

	wr_open(BOOT_A);
	(void)wr_append(1, "syslog", BOOT_A, NULL, 0);
	wr_close();
	wr_open(BOOT_B);
	for (i = 0; i < 100; i++) {
		c1 = wr_append(1, "syslog", BOOT_B, NULL, 0);
		if (i == 0)
			b1 = c1;
	}
	wr_close();
	r = rd_open();
	ck_assert_uint_eq(mml_rd_boot_spans(r, sp), 2);
	ck_assert_uint_eq(sp[1].first_seq, b1);
	/* Boot C, until the tail is a few entries into boot B. */
	wr_open("00000000000000000000000000000003");
	for (i = 0; i < 2000 && mml_rd_ring_tail_seq(r) < b1 + 10; i++)
		c1 = wr_append(1, "syslog", "00000000000000000000000000000003",
		    NULL, 0);
	wr_close();
	/* Boot A is gone; B's first entries too. */
	ck_assert_uint_eq(mml_rd_boot_spans(r, sp), 2);
	ck_assert_int_eq(sp[0].whole, 0);
	ck_assert_uint_eq(sp[0].first_seq, mml_rd_ring_tail_seq(r));
	ck_assert_uint_gt(sp[0].first_seq, b1);
	ck_assert_uint_eq(sp[0].end_seq, sp[1].first_seq);
	ck_assert_uint_eq(sp[1].end_seq, UINT64_MAX);
	ck_assert_uint_le(sp[1].first_seq, c1);
	(void)mml_rd_ring_free(r);
}
END_TEST

/*
 * More boots than the table holds: the oldest entries, of boots it
 * forgot, take their _BOOT_ID from their metadata; the others from the
 * table.
 */
START_TEST(rd_boots_forgotten)
{
	struct mml_rd_boot_span sp[MML_BOOT_MAX];
	struct mml_rd_ring *r;
	char id[33], got[33];
	uint64_t seqs[MML_BOOT_MAX + 2];
	unsigned i;

	for (i = 0; i < MML_BOOT_MAX + 2; i++) {
		(void)snprintf(id, sizeof(id), "%032x", i + 1);
		wr_open(id);
		seqs[i] = wr_append(i, "syslog", id, NULL, 0);
		wr_close();
	}
	r = rd_open();
	ck_assert_uint_eq(mml_rd_boot_spans(r, sp), MML_BOOT_MAX);
	ck_assert_int_eq(mml_rd_boot_of(r, seqs[0]), -1);
	for (i = 0; i < MML_BOOT_MAX + 2; i++) {
		(void)snprintf(id, sizeof(id), "%032x", i + 1);
		boot_of_entry(r, seqs[i], got);
		ck_assert_str_eq(got, id);
	}
	(void)mml_rd_ring_free(r);
}
END_TEST

Suite *
fields_suite(void)
{
	Suite *s = suite_create("fields");
	TCase *tc;

	tc = tcase_create("iterator");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, fields_order);
	tcase_add_test(tc, fields_optional);
	tcase_add_test(tc, fields_skipped);
	tcase_add_test(tc, fields_ring);
	suite_add_tcase(s, tc);
	tc = tcase_create("match");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, match_forms);
	tcase_add_test(tc, match_invalid);
	tcase_add_test(tc, match_clauses);
	tcase_add_test(tc, match_unit);
	suite_add_tcase(s, tc);
	tc = tcase_create("daemon_rings");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, rd_setup, rd_teardown);
	tcase_add_test(tc, rd_meta_slot);
	tcase_add_test(tc, rd_meta_match);
	tcase_add_test(tc, rd_meta_stale);
	tcase_add_test(tc, rd_meta_inline);
	tcase_add_test(tc, rd_meta_match_per_slot);
	tcase_add_test(tc, rd_boots);
	tcase_add_test(tc, rd_boots_tail);
	tcase_add_test(tc, rd_boots_forgotten);
	suite_add_tcase(s, tc);
	return s;
}
