/*
 * check_intake.c: the shared submit path (daemon/intake.c) and the four
 * intakes around it (syslog_in.c, journal_in.c, stdout_in.c, kmsg_in.c),
 * with the trusted metadata each entry gets from its sender.
 *
 * Each test runs over a real ring in its own mkdtemp directory, with a
 * private libev loop and an intake whose "sync now" requests are only
 * counted.  The intakes get their descriptors from the test: a
 * socketpair(AF_UNIX, SOCK_DGRAM) for the datagram sockets and for a
 * stand-in /dev/kmsg (one datagram per read, as the device gives one
 * record per read), a listening socket in the directory for the
 * streams.  The entries are read back from the ring as a reader would.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../daemon/intake.h"
#include "../daemon/journal_in.h"
#include "../daemon/kmsg_in.h"
#include "../daemon/log.h"
#include "../daemon/meta.h"
#include "../daemon/ratelimit.h"
#include "../daemon/ring.h"
#include "../daemon/server.h"
#include "../daemon/stdout_in.h"
#include "../daemon/syslog_in.h"
#include "util.h"
#include "wire.h"

#define CAP		((uint64_t)1024 * 1024)
#define WAIT_MS		10000

static char tmpdir[80], path[100];
static struct mml_ring *ring;
static struct mml_ratelimit *rl;
static struct mml_intake *in;
static struct ev_loop *loop;
static struct mml_limits lim;
static unsigned urgent_calls;
static int sv[2] = { -1, -1 };

static uint64_t
now_ms(void)
{
	return mml_now_usec(CLOCK_MONOTONIC) / 1000;
}

#define RUN_UNTIL(cond) do {						\
	uint64_t deadline_ = now_ms() + WAIT_MS;			\
	while (!(cond)) {						\
		if (now_ms() > deadline_)				\
			ck_abort_msg("timed out waiting for " #cond);	\
		ev_run(loop, EVRUN_NOWAIT);				\
		(void)usleep(200);					\
	}								\
} while (0)

/* The loop a while, for what must not happen. */
static void
pump(unsigned ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end) {
		ev_run(loop, EVRUN_NOWAIT);
		(void)usleep(500);
	}
}

static void
urgent(void *arg)
{
	(void)arg;
	urgent_calls++;
}

static void
note(const struct mml_rate_sender *who, const char *key, const char *msg,
    size_t len, uint64_t n, void *arg)
{
	(void)who;
	(void)arg;
	(void)mml_ring_append_note(ring, 0, 0, 0, "", 0, msg, len, key, n);
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
setup(void)
{
	const char *t = getenv("TMPDIR");
	int e;

	mml_log_level = getenv("MML_TEST_LOG") != NULL ? LOG_DEBUG : -1;
	(void)snprintf(tmpdir, sizeof(tmpdir), "%s/check_intake.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	(void)snprintf(path, sizeof(path), "%s/ring", tmpdir);
	e = mml_ring_open(path, CAP, 1, MML_DISK_CAP_MIN, &ring);
	ck_assert_msg(e == 0, "mml_ring_open: %s", strerror(-e));
	loop = ev_loop_new(0);
	ck_assert_ptr_nonnull(loop);
	rl = mml_ratelimit_new(note, NULL);
	ck_assert_ptr_nonnull(rl);
	in = mml_intake_new(ring, rl, urgent, NULL);
	ck_assert_ptr_nonnull(in);
	mml_limits_default(&lim);
	mml_intake_set_limits(in, &lim);
	urgent_calls = 0;
	sv[0] = sv[1] = -1;
}

static void
teardown(void)
{
	if (sv[0] >= 0)
		(void)close(sv[0]);
	if (sv[1] >= 0)
		(void)close(sv[1]);
	in = mml_intake_free(in);
	rl = mml_ratelimit_free(rl);
	ev_loop_destroy(loop);
	ring = mml_ring_close(ring);
	(void)nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The record of seq, as a reader checks it. */
static void
ring_get(uint64_t seq, struct mml_rec *ret)
{
	const struct mml_disk_header *h = mml_ring_header(ring);
	enum mml_disk_reason why;
	uint64_t off = h->tail_off, s = h->tail_seq;

	for (; s < h->head_seq; s++) {
		if (mml_disk_rec_check(mml_ring_data(ring), CAP, off, s, 1,
		    mml_ring_crc_seed(ring), ret, &why) < 0)
			ck_abort_msg("record seq %llu: %s",
			    (unsigned long long)s, mml_disk_reason_str(why));
		if (s == seq)
			return;
		off = mml_disk_next_off(CAP, off, ret->size);
	}
	ck_abort_msg("no record with seq %llu", (unsigned long long)seq);
}

/* Field key of block[0, block_len), NUL-terminated into out; 0 if absent. */
static int
block_field(const uint8_t *block, size_t block_len, const char *key,
    char *out, size_t cap)
{
	const uint8_t *item;
	size_t off = 0, len, klen;

	while (mml_fields_next(block, block_len, &off, &item, &len,
	    &klen) > 0) {
		if (klen != strlen(key) || memcmp(item, key, klen) != 0)
			continue;
		ck_assert_uint_lt(len - klen - 1, cap);
		memcpy(out, item + klen + 1, len - klen - 1);
		out[len - klen - 1] = '\0';
		return 1;
	}
	return 0;
}

/*
 * Field key of the record of seq, NUL-terminated into out; 0 if absent:
 * in its fields block, or in the metadata slot it names.
 */
static int
field(uint64_t seq, const char *key, char *out, size_t cap)
{
	static struct mml_meta m;
	struct mml_rec d;

	ring_get(seq, &d);
	if (block_field(d.fields, d.hdr.fields_len, key, out, cap))
		return 1;
	mml_ring_meta_of(ring, &d, &m);
	return block_field(m.block, m.len, key, out, cap);
}

/* How many times key is in the record of seq, block and slot together. */
static unsigned
field_count(uint64_t seq, const char *key)
{
	static struct mml_meta m;
	const uint8_t *item;
	struct mml_rec d;
	size_t off = 0, len, klen;
	unsigned n = 0;

	ring_get(seq, &d);
	while (mml_fields_next(d.fields, d.hdr.fields_len, &off, &item, &len,
	    &klen) > 0)
		n += klen == strlen(key) && memcmp(item, key, klen) == 0;
	mml_ring_meta_of(ring, &d, &m);
	off = 0;
	while (mml_fields_next(m.block, m.len, &off, &item, &len, &klen) > 0)
		n += klen == strlen(key) && memcmp(item, key, klen) == 0;
	return n;
}

static void
expect_field(uint64_t seq, const char *key, const char *want)
{
	char v[4096];

	ck_assert_msg(field(seq, key, v, sizeof(v)), "seq %llu has no %s",
	    (unsigned long long)seq, key);
	ck_assert_str_eq(v, want);
}

static void
expect_msg(uint64_t seq, const char *msg)
{
	struct mml_rec d;

	ring_get(seq, &d);
	ck_assert_uint_eq(d.hdr.msg_len, strlen(msg));
	ck_assert_mem_eq(d.msg, msg, strlen(msg));
}

static void
expect_tag(uint64_t seq, const char *tag)
{
	struct mml_rec d;

	ring_get(seq, &d);
	ck_assert_uint_eq(d.hdr.tag_len, strlen(tag));
	ck_assert_mem_eq(d.tag, tag, strlen(tag));
}

static uint64_t
stored(void)
{
	return mml_ring_next_seq(ring) - 1;
}

/*
 * What the daemon gathers about this process for transport t (the
 * derivation itself is check_meta's): the fields each entry of ours
 * must carry from its slot.
 */
static void
self_meta(const char *transport, const char *fallback, struct mml_meta *ret)
{
	struct mml_meta_host h;
	uint8_t boot[16];

	mml_boot_id(boot);
	mml_meta_host_init(&h, boot);
	ck_assert_int_eq(mml_meta_gather(&h, getpid(), transport, fallback,
	    ret, NULL), 0);
}

/*
 * Each of this process's trusted fields is in the entry of seq once,
 * with the value gathered for it (and none that it has not).
 */
static void
expect_self_meta(uint64_t seq, const char *transport, const char *fallback)
{
	static const char *const keys[] = { "_TRANSPORT", "_HOSTNAME",
	    "_BOOT_ID", "_MACHINE_ID", "_SYSTEMD_UNIT", "_SYSTEMD_SLICE",
	    "_EXE", "_SYSTEMD_CGROUP", "_CMDLINE" };
	static struct mml_meta m;
	static char want[MML_META_MAX + 1], got[MML_META_MAX + 1];
	struct mml_rec d;
	size_t i;

	self_meta(transport, fallback, &m);
	ring_get(seq, &d);
	ck_assert(d.hdr.flags & MML_REC_F_META);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!block_field(m.block, m.len, keys[i], want, sizeof(want))) {
			ck_assert_msg(field_count(seq, keys[i]) == 0,
			    "seq %llu has %s", (unsigned long long)seq, keys[i]);
			continue;
		}
		ck_assert_uint_eq(field_count(seq, keys[i]), 1);
		ck_assert_int_eq(field(seq, keys[i], got, sizeof(got)), 1);
		ck_assert_str_eq(got, want);
	}
}

static struct mml_intake_counts *
counts(enum mml_transport t)
{
	return mml_intake_counts(in, t);
}

static void
pair(int type)
{
	int size = 1 << 20;

	ck_assert_int_eq(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static void
send_str(int fd, const char *s)
{
	ck_assert_int_eq(send(fd, s, strlen(s), 0), (ssize_t)strlen(s));
}

/* --- The submit path. --- */

/*
 * An entry over --max-entry is cut, marked and counted; the trusted
 * fields come after every field of the sender's; a crit entry asks for
 * a sync at once.
 */
START_TEST(test_submit)
{
	static char msg[6000];
	uint8_t fb[256], trusted[64];
	struct mml_sender who = { 42, 7, 8, 4, "comm", NULL };
	struct mml_ent e;
	struct mml_rec d;
	size_t tl = 0;
	uint64_t seq;
	char v[64];

	memset(msg, 'm', sizeof(msg));
	(void)mml_fields_put(trusted, sizeof(trusted), &tl, "_STREAM_ID", 10,
	    "abc", 3);
	mml_ent_init(&e, fb, sizeof(fb));
	mml_ent_set_tag(&e, "tag", 3);
	mml_ent_set_msg(&e, msg, sizeof(msg));
	ck_assert_int_eq(mml_ent_add_str(&e, "K", "v", 1), 0);
	e.priority = 2;
	mml_intake_clock(in);
	ck_assert_int_eq(mml_intake_submit(in, MML_TRANSPORT_STDOUT, &who, &e,
	    trusted, tl, &seq), MML_INTAKE_CUT);
	ck_assert_uint_eq(seq, 1);
	ring_get(1, &d);
	ck_assert_uint_eq(d.hdr.pid, 42);
	ck_assert_uint_eq(d.hdr.uid, 7);
	ck_assert_uint_eq(d.hdr.gid, 8);
	ck_assert_uint_eq(d.hdr.priority, 2);
	ck_assert_mem_eq(d.comm, "comm", 4);
	/* The sender's part within --max-entry, the trusted beyond. */
	ck_assert_uint_le(d.hdr.tag_len + d.hdr.msg_len, lim.max_entry);
	ck_assert_int_eq(field(1, "MMLOG_ORIGINAL_SIZE", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "6010");
	expect_field(1, "_TRANSPORT", "stdout");
	expect_field(1, "_STREAM_ID", "abc");
	ck_assert_uint_eq(counts(MML_TRANSPORT_STDOUT)->truncated, 1);
	ck_assert_uint_eq(counts(MML_TRANSPORT_STDOUT)->entries, 1);
	ck_assert_uint_eq(urgent_calls, 1);

	/* Whole, and not urgent. */
	mml_ent_init(&e, fb, sizeof(fb));
	mml_ent_set_msg(&e, "small", 5);
	ck_assert_int_eq(mml_intake_submit(in, MML_TRANSPORT_SYSLOG, &who, &e,
	    NULL, 0, NULL), MML_INTAKE_STORED);
	expect_msg(2, "small");
	expect_field(2, "_TRANSPORT", "syslog");
	ck_assert_int_eq(field(2, "MMLOG_ORIGINAL_SIZE", v, sizeof(v)), 0);
	ck_assert_uint_eq(urgent_calls, 1);
}
END_TEST

/*
 * A fields buffer without room for the trusted fields or the cut is
 * copied first: the caller's bytes stay as they were.
 */
START_TEST(test_submit_small_buffer)
{
	static char msg[5000];
	uint8_t fb[16], copy[16];
	struct mml_sender who = { 1, 0, 0, 0, "", NULL };
	struct mml_ent e;

	memset(msg, 'x', sizeof(msg));
	mml_ent_init(&e, fb, sizeof(fb));
	mml_ent_set_msg(&e, "m", 1);
	ck_assert_int_eq(mml_ent_add_str(&e, "A", "0123456", 7), 0);
	ck_assert_uint_eq(e.fields_len, 13);
	memcpy(copy, fb, sizeof(fb));
	ck_assert_int_eq(mml_intake_submit(in, MML_TRANSPORT_JOURNAL, &who, &e,
	    NULL, 0, NULL), MML_INTAKE_STORED);
	ck_assert_mem_eq(fb, copy, sizeof(fb));
	expect_field(1, "A", "0123456");
	expect_field(1, "_TRANSPORT", "journal");

	mml_ent_init(&e, fb, 13);
	mml_ent_set_msg(&e, msg, sizeof(msg));
	ck_assert_int_eq(mml_ent_add_str(&e, "A", "0123456", 7), 0);
	memcpy(copy, fb, 13);
	ck_assert_int_eq(mml_intake_submit(in, MML_TRANSPORT_JOURNAL, &who, &e,
	    NULL, 0, NULL), MML_INTAKE_CUT);
	ck_assert_mem_eq(fb, copy, 13);
	expect_field(2, "MMLOG_ORIGINAL_SIZE", "5013");
}
END_TEST

/*
 * Our own protocol: the frame is never written to, an entry over the
 * limit is cut from a copy, and each gets _TRANSPORT=mmlog once, from
 * its metadata slot (DESIGN.md, Field names).
 */
START_TEST(test_submit_wire)
{
	static uint8_t frame[MML_FRAME_MAX], copy[MML_FRAME_MAX];
	static char msg[8000];
	struct mml_sender who = { 5, 0, 0, 0, "", NULL };
	struct mml_intake_frame fr;
	struct mml_frame f;
	size_t len;
	char v[32];

	memset(msg, 'w', sizeof(msg));
	len = mml_wire_entries_init(frame, 0, 1, 0);
	ck_assert_int_eq(mml_wire_entry_append(frame, sizeof(frame), &len, 6,
	    "t", 1, msg, 100, "\x03\0\0\0A=1", 7), 0);
	ck_assert_int_eq(mml_wire_entry_append(frame, sizeof(frame), &len, 6,
	    "t", 1, msg, sizeof(msg), "\x03\0\0\0B=2", 7), 0);
	ck_assert_int_eq(mml_wire_decode(frame, len, 1, &f, NULL), 0);
	memcpy(copy, frame, len);
	ck_assert_int_eq(mml_intake_submit_frame(in, &who, &f, &fr), 0);
	ck_assert_mem_eq(frame, copy, len);
	ck_assert_uint_eq(fr.stored, 2);
	ck_assert_uint_eq(fr.cut, 1);
	ck_assert_uint_eq(fr.cut_size, 1 + sizeof(msg) + 7);
	ck_assert_uint_eq(fr.suppressed, 0);
	ck_assert_uint_eq(fr.last_seq, 2);
	expect_field(1, "A", "1");
	expect_field(1, "_TRANSPORT", "mmlog");
	ck_assert_uint_eq(field_count(1, "_TRANSPORT"), 1);
	expect_field(2, "_TRANSPORT", "mmlog");
	ck_assert_int_eq(field(2, "_TRANSPORT", v, sizeof(v)), 1);
	expect_field(2, "MMLOG_ORIGINAL_SIZE", "8008");
	ck_assert_uint_eq(counts(MML_TRANSPORT_MMLOG)->truncated, 1);
}
END_TEST

/* The rate limit holds for every transport but the kernel's. */
START_TEST(test_submit_rate_limit)
{
	uint8_t fb[64];
	struct mml_sender who = { 9, 1000, 1000, 0, "", NULL };
	struct mml_ent e;
	int i, r;

	lim.rate_interval_ms = 60000;
	lim.rate_burst = 2;
	mml_ratelimit_set(rl, lim.rate_interval_ms, lim.rate_burst,
	    MML_RATE_BY_UID);
	mml_intake_set_limits(in, &lim);
	for (i = 0; i < 5; i++) {
		mml_ent_init(&e, fb, sizeof(fb));
		mml_ent_set_msg(&e, "x", 1);
		r = mml_intake_submit(in, i < 3 ? MML_TRANSPORT_SYSLOG :
		    MML_TRANSPORT_JOURNAL, &who, &e, NULL, 0, NULL);
		ck_assert_int_eq(r, i < 2 ? MML_INTAKE_STORED :
		    MML_INTAKE_SUPPRESSED);
	}
	ck_assert_uint_eq(counts(MML_TRANSPORT_SYSLOG)->suppressed, 1);
	ck_assert_uint_eq(counts(MML_TRANSPORT_JOURNAL)->suppressed, 2);
	ck_assert_uint_eq(mml_intake_total_suppressed(in), 3);
	for (i = 0; i < 5; i++) {
		mml_ent_init(&e, fb, sizeof(fb));
		mml_ent_set_msg(&e, "k", 1);
		ck_assert_int_eq(mml_intake_submit(in, MML_TRANSPORT_KERNEL,
		    &who, &e, NULL, 0, NULL), MML_INTAKE_STORED);
	}
	ck_assert_uint_eq(stored(), 7);
}
END_TEST

/* The counters as STATS_REPLY lines, every transport's. */
START_TEST(test_stats)
{
	char buf[4096];
	size_t len = 0;

	counts(MML_TRANSPORT_KERNEL)->lost = 3;
	mml_intake_stats(in, buf, sizeof(buf), &len);
	buf[len] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "\nkernel_lost=3\n"));
	ck_assert_ptr_nonnull(strstr(buf, "mmlog_entries=0\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\nsyslog_truncated=0\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\njournal_errors=0\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\nstdout_suppressed=0\n"));
	/* Never a partial line when full. */
	len = 0;
	mml_intake_stats(in, buf, 300, &len);
	ck_assert_uint_gt(len, 0);
	ck_assert_uint_lt(len, 300);
	ck_assert_int_eq(buf[len - 1], '\n');
	mml_intake_reset_counters(in);
	ck_assert_uint_eq(counts(MML_TRANSPORT_KERNEL)->lost, 0);
}
END_TEST

/* --- syslog datagrams. --- */

START_TEST(test_syslog)
{
	static uint8_t big[70000];
	struct mml_syslog *s;
	struct mml_rec d;
	struct msghdr mh;
	struct iovec iov;
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int))];
	} cb;
	struct cmsghdr *cm;
	int p[2];
	char v[64];

	pair(SOCK_DGRAM);
	s = mml_syslog_new(loop, in, sv[1]);
	ck_assert_ptr_nonnull(s);
	send_str(sv[0], "<155>Dec  7 08:55:12 captest[4259]: with LOG_PID");
	RUN_UNTIL(stored() == 1);
	ring_get(1, &d);
	ck_assert_uint_eq(d.hdr.pid, (uint32_t)getpid());
	ck_assert_uint_eq(d.hdr.uid, (uint32_t)getuid());
	ck_assert_uint_eq(d.hdr.priority, 3);
	ck_assert_uint_gt(d.hdr.comm_len, 0);
	expect_tag(1, "captest");
	expect_msg(1, "with LOG_PID");
	expect_field(1, "SYSLOG_PID", "4259");
	expect_field(1, "SYSLOG_FACILITY", "19");
	expect_field(1, "_TRANSPORT", "syslog");

	/* Empty: nothing, as journald. */
	ck_assert_int_eq(send(sv[0], "", 0, 0), 0);
	/* With a descriptor: refused, and the descriptor closed. */
	ck_assert_int_eq(pipe(p), 0);
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = "<14>fd: BAD";
	iov.iov_len = 11;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cb.buf;
	mh.msg_controllen = sizeof(cb.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
	ck_assert_int_eq(sendmsg(sv[0], &mh, 0), 11);
	(void)close(p[1]);
	RUN_UNTIL(counts(MML_TRANSPORT_SYSLOG)->errors == 1);
	/* Every write end is closed, the daemon's copy too: the end. */
	ck_assert_int_eq(read(p[0], v, 1), 0);
	(void)close(p[0]);

	/* Larger than a buffer: stored cut, its size recorded. */
	memcpy(big, "<13>Dec  7 08:55:12 big: ", 25);
	memset(big + 25, 'b', sizeof(big) - 25);
	ck_assert_int_eq(send(sv[0], big, sizeof(big), 0),
	    (ssize_t)sizeof(big));
	RUN_UNTIL(stored() == 2);
	expect_tag(2, "big");
	ck_assert_int_eq(field(2, "MMLOG_ORIGINAL_SIZE", v, sizeof(v)), 1);
	ck_assert_uint_ge(strtoull(v, NULL, 10), sizeof(big) - 25);
	ck_assert_uint_eq(counts(MML_TRANSPORT_SYSLOG)->truncated, 1);
	ck_assert_uint_eq(counts(MML_TRANSPORT_SYSLOG)->entries, 2);
	ck_assert_uint_eq(counts(MML_TRANSPORT_SYSLOG)->bytes,
	    48 + 11 + sizeof(big));

	/* What is queued at shutdown is stored. */
	send_str(sv[0], "<14>last: queued");
	mml_syslog_drain(s);
	ck_assert_uint_eq(stored(), 3);
	expect_msg(3, "queued");
	s = mml_syslog_free(s);
}
END_TEST

/* --- journald's native protocol. --- */

/* A sealed memfd holding data, as libsystemd makes one. */
static int
memfd_with(const char *data, size_t len, int seal)
{
	int fd = memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	if (seal)
		ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK |
		    F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL), 0);
	return fd;
}

/* Sends len bytes with the descriptors fds[0, n). */
static void
send_fds(int sock, const void *buf, size_t len, const int *fds, int n)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int) * 4)];
	} cb;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cm;

	memset(&mh, 0, sizeof(mh));
	memset(&cb, 0, sizeof(cb));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cb.buf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
	ck_assert_int_eq(sendmsg(sock, &mh, 0), (ssize_t)len);
}

START_TEST(test_journal)
{
	static const char two[] = "MESSAGE=first\nPRIORITY=3\n_PID=1\n"
	    "SYSLOG_IDENTIFIER=app\nCODE_LINE=7\n\nMESSAGE=second\n";
	static const char big_payload[] = "MESSAGE=from a memfd\n"
	    "SYSLOG_IDENTIFIER=memfd\n";
	struct mml_journal_in *j;
	struct mml_rec d;
	int fds[2];
	char v[64];

	pair(SOCK_DGRAM);
	j = mml_journal_in_new(loop, in, sv[1]);
	ck_assert_ptr_nonnull(j);
	send_str(sv[0], two);
	RUN_UNTIL(stored() == 2);
	ring_get(1, &d);
	ck_assert_uint_eq(d.hdr.pid, (uint32_t)getpid());
	ck_assert_uint_eq(d.hdr.priority, 3);
	expect_tag(1, "app");
	expect_msg(1, "first");
	expect_field(1, "CODE_LINE", "7");
	expect_field(1, "_TRANSPORT", "journal");
	/* The client's _PID is dropped: the only _PID is the kernel's. */
	ck_assert_int_eq(field(1, "_PID", v, sizeof(v)), 0);
	expect_msg(2, "second");

	/* An empty datagram with a sealed memfd: its payload. */
	fds[0] = memfd_with(big_payload, sizeof(big_payload) - 1, 1);
	send_fds(sv[0], "", 0, fds, 1);
	(void)close(fds[0]);
	RUN_UNTIL(stored() == 3);
	expect_tag(3, "memfd");
	expect_msg(3, "from a memfd");

	/* Refused: unsealed, with a payload, two descriptors. */
	fds[0] = memfd_with(big_payload, sizeof(big_payload) - 1, 0);
	send_fds(sv[0], "", 0, fds, 1);
	send_fds(sv[0], "MESSAGE=BAD\n", 12, fds, 1);
	fds[1] = fds[0];
	send_fds(sv[0], "", 0, fds, 2);
	(void)close(fds[0]);
	/* A length of 2^64 - 1: the entry and the rest, as journald. */
	ck_assert_int_eq(send(sv[0], "MESSAGE\n\xff\xff\xff\xff\xff\xff\xff"
	    "\xff" "x\n", 18, 0), 18);
	RUN_UNTIL(counts(MML_TRANSPORT_JOURNAL)->errors == 4);
	send_str(sv[0], "MESSAGE=after\n");
	RUN_UNTIL(stored() == 4);
	expect_msg(4, "after");
	j = mml_journal_in_free(j);
}
END_TEST

/*
 * Payloads journald would store nothing of, or only a part of: each
 * refused part counted as an error, never dropped without a trace; a
 * well-formed payload after them is stored and counts nothing.
 */
START_TEST(test_journal_unparsed)
{
	static const char *const bad[] = {
		"MESSAGE=no newline",		/* nothing but trailing noise */
		"_PID=1\n",			/* no valid field */
		"\nMESSAGE=after an empty line\n",	/* an empty entry first */
		"MESSAGE=kept\ntrailing",	/* an entry, then noise */
		"MESSAGE=kept too\nFOO\n\x01",	/* a binary field cut short */
	};
	struct mml_journal_in *j;
	size_t i;

	pair(SOCK_DGRAM);
	j = mml_journal_in_new(loop, in, sv[1]);
	ck_assert_ptr_nonnull(j);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		send_str(sv[0], bad[i]);
	RUN_UNTIL(counts(MML_TRANSPORT_JOURNAL)->errors == 5);
	ck_assert_uint_eq(stored(), 2);
	expect_msg(1, "kept");
	expect_msg(2, "kept too");
	send_str(sv[0], "MESSAGE=whole\n\nMESSAGE=two\n\n");
	RUN_UNTIL(stored() == 4);
	expect_msg(4, "two");
	ck_assert_uint_eq(counts(MML_TRANSPORT_JOURNAL)->errors, 5);
	ck_assert_uint_eq(counts(MML_TRANSPORT_JOURNAL)->entries, 4);
	j = mml_journal_in_free(j);
}
END_TEST

/* A large datagram is read whole: its fields after the message too. */
START_TEST(test_journal_large)
{
	static char buf[300000];
	struct mml_journal_in *j;
	size_t n;
	int size = 1 << 20;

	pair(SOCK_DGRAM);
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &size,
	    sizeof(size));
	j = mml_journal_in_new(loop, in, sv[1]);
	ck_assert_ptr_nonnull(j);
	memcpy(buf, "MESSAGE=", 8);
	memset(buf + 8, 'L', sizeof(buf) - 100);
	n = 8 + sizeof(buf) - 100;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\nPRIORITY=1\n"
	    "SYSLOG_IDENTIFIER=large\n");
	ck_assert_int_eq(send(sv[0], buf, n, 0), (ssize_t)n);
	RUN_UNTIL(stored() == 1);
	expect_tag(1, "large");
	/* Tag and message as sent; PRIORITY has a slot, no field. */
	expect_field(1, "MMLOG_ORIGINAL_SIZE", "299905");
	ck_assert_uint_eq(counts(MML_TRANSPORT_JOURNAL)->truncated, 1);
	j = mml_journal_in_free(j);
}
END_TEST

/* --- stdout streams. --- */

static int
stream_listen(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/stdout",
	    tmpdir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 64), 0);
	return fd;
}

static int
stream_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/stdout",
	    tmpdir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

START_TEST(test_stdout)
{
	struct mml_stdout *s;
	struct mml_rec d;
	pid_t child;
	int lfd, c, st;
	char v[64];

	lfd = stream_listen();
	sv[1] = lfd;
	s = mml_stdout_new(loop, in, lfd, 16, NULL);
	ck_assert_ptr_nonnull(s);
	c = stream_connect();
	send_str(c, "catty\n\n4\n1\n0\n0\n0\nhello\n<3>an error\npartial");
	RUN_UNTIL(stored() == 2);
	ring_get(1, &d);
	ck_assert_uint_eq(d.hdr.pid, (uint32_t)getpid());
	ck_assert_uint_eq(d.hdr.priority, 4);
	expect_tag(1, "catty");
	expect_msg(1, "hello");
	expect_field(1, "_TRANSPORT", "stdout");
	ck_assert_int_eq(field(1, "_STREAM_ID", v, sizeof(v)), 1);
	ck_assert_uint_eq(strlen(v), 32);
	/* The unit line was empty: only our cgroup's, if any. */
	expect_self_meta(1, "stdout", NULL);
	ring_get(2, &d);
	ck_assert_uint_eq(d.hdr.priority, 3);
	expect_msg(2, "an error");

	/* Another process writes: "partial" is flushed as its own line. */
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		send_str(c, "from the child\n");
		_exit(0);
	}
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	RUN_UNTIL(stored() == 4);
	expect_msg(3, "partial");
	expect_field(3, "_LINE_BREAK", "pid-change");
	ring_get(3, &d);
	ck_assert_uint_eq(d.hdr.pid, (uint32_t)getpid());
	expect_msg(4, "from the child");
	ring_get(4, &d);
	ck_assert_uint_eq(d.hdr.pid, (uint32_t)child);

	/* The end: what is left is flushed. */
	send_str(c, "no newline");
	(void)close(c);
	RUN_UNTIL(stored() == 5);
	expect_field(5, "_LINE_BREAK", "eof");
	RUN_UNTIL(mml_stdout_streams(s) == 0);
	s = mml_stdout_free(s);
}
END_TEST

/*
 * A header that never ends, one that is refused, and one stream more
 * than allowed: each closed and counted; the others are served.
 */
START_TEST(test_stdout_limits)
{
	struct mml_stdout *s;
	int lfd, a, b, c, d, e;
	char ch;

	lim.idle_timeout_s = 1;
	mml_intake_set_limits(in, &lim);
	lfd = stream_listen();
	sv[1] = lfd;
	s = mml_stdout_new(loop, in, lfd, 3, NULL);
	ck_assert_ptr_nonnull(s);
	a = stream_connect();
	send_str(a, "never ends");
	b = stream_connect();
	send_str(b, "t\n\nnot a priority\n");
	RUN_UNTIL(counts(MML_TRANSPORT_STDOUT)->errors == 1);
	ck_assert_int_eq(read(b, &ch, 1), 0);
	c = stream_connect();
	send_str(c, "t\n\n6\n0\n0\n0\n0\n");
	RUN_UNTIL(mml_stdout_streams(s) == 2);
	/* The third is taken, the fourth refused at once. */
	d = stream_connect();
	e = stream_connect();
	RUN_UNTIL(counts(MML_TRANSPORT_STDOUT)->errors == 2);
	ck_assert_int_eq(read(e, &ch, 1), 0);
	/* The headers that never end are closed after the timeout. */
	RUN_UNTIL(counts(MML_TRANSPORT_STDOUT)->errors == 4);
	ck_assert_int_eq(read(a, &ch, 1), 0);
	ck_assert_int_eq(read(d, &ch, 1), 0);
	/* A running stream stays, however quiet. */
	pump(1500);
	send_str(c, "still here\n");
	RUN_UNTIL(stored() == 1);
	expect_msg(1, "still here");
	(void)close(a);
	(void)close(b);
	(void)close(c);
	(void)close(d);
	(void)close(e);
	s = mml_stdout_free(s);
}
END_TEST

/* --- the kernel log. --- */

static void
kmsg_send(int fd, uint64_t seq, const char *msg)
{
	char rec[256];

	(void)snprintf(rec, sizeof(rec), "6,%llu,%llu,-;%s\n",
	    (unsigned long long)seq, (unsigned long long)seq * 1000, msg);
	send_str(fd, rec);
}

/*
 * Records stored once across a restart (the state file), a jump in the
 * numbers recorded as a loss, a record that does not parse counted.  The
 * kernel numbers from 0 each boot: at the first start in a boot, records
 * it no longer holds are a loss too.
 */
START_TEST(test_kmsg)
{
	struct mml_kmsg_in *k;
	char state[400], v[64];
	struct mml_rec d;
	uint64_t i;

	(void)snprintf(state, sizeof(state), "%s/kmsg.seqnum", tmpdir);
	pair(SOCK_DGRAM);
	k = mml_kmsg_in_new(loop, in, sv[1], state);
	ck_assert_ptr_nonnull(k);
	for (i = 0; i < 3; i++)
		kmsg_send(sv[0], i, "before");
	send_str(sv[0], "garbage without a header\n");
	RUN_UNTIL(stored() == 3 &&
	    counts(MML_TRANSPORT_KERNEL)->errors == 1);
	ring_get(1, &d);
	ck_assert_uint_eq(d.hdr.pid, 0);
	expect_tag(1, "kernel");
	expect_field(1, "_TRANSPORT", "kernel");
	expect_field(2, "_SOURCE_MONOTONIC_TIMESTAMP", "1000");
	k = mml_kmsg_in_free(k);

	/* A restart: the kernel gives everything again, and more. */
	k = mml_kmsg_in_new(loop, in, sv[1], state);
	ck_assert_ptr_nonnull(k);
	for (i = 0; i <= 3; i++)
		kmsg_send(sv[0], i, i < 3 ? "again" : "new");
	kmsg_send(sv[0], 6, "after a gap");
	RUN_UNTIL(stored() == 6);
	expect_msg(4, "new");
	/* Records 4 and 5 are gone: a note, then the next record. */
	ring_get(5, &d);
	ck_assert_uint_eq(d.hdr.flags, MML_REC_F_DAEMON);
	ck_assert_int_eq(field(5, "MMLOG_KMSG_MISSED", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "2");
	expect_msg(6, "after a gap");
	ck_assert_uint_eq(counts(MML_TRANSPORT_KERNEL)->lost, 2);
	ck_assert_uint_eq(counts(MML_TRANSPORT_KERNEL)->entries, 5);
	k = mml_kmsg_in_free(k);

	/* Without a state file a restart stores it all again. */
	k = mml_kmsg_in_new(loop, in, sv[1], NULL);
	ck_assert_ptr_nonnull(k);
	kmsg_send(sv[0], 1, "no state");
	RUN_UNTIL(stored() == 7);
	k = mml_kmsg_in_free(k);

	/*
	 * The first start in this boot (a new state file): the kernel's
	 * oldest record is 10, so 0..9 were overwritten before we came.
	 */
	(void)snprintf(state, sizeof(state), "%s/kmsg2.seqnum", tmpdir);
	k = mml_kmsg_in_new(loop, in, sv[1], state);
	ck_assert_ptr_nonnull(k);
	kmsg_send(sv[0], 10, "oldest left");
	RUN_UNTIL(stored() == 9);
	ck_assert_int_eq(field(8, "MMLOG_KMSG_MISSED", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "10");
	expect_msg(9, "oldest left");
	ck_assert_uint_eq(counts(MML_TRANSPORT_KERNEL)->lost, 12);
	k = mml_kmsg_in_free(k);
}
END_TEST

/* --- Trusted metadata. --- */

/*
 * Datagrams: each entry names a slot with its sender's metadata, found
 * once and then in the transport's cache; what the client says about
 * its own _EXE, _SYSTEMD_UNIT, _TRANSPORT... is not taken.
 */
START_TEST(test_meta_datagrams)
{
	struct mml_meta_cache_stats st;
	struct mml_syslog *s;
	struct mml_journal_in *j;
	int i, jv[2];
	char v[64];

	pair(SOCK_DGRAM);
	s = mml_syslog_new(loop, in, sv[1]);
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < 11; i++)
		send_str(sv[0], "<14>meta: from syslog");
	RUN_UNTIL(stored() == 11);
	for (i = 1; i <= 11; i++)
		expect_self_meta((uint64_t)i, "syslog", NULL);
	mml_intake_meta_stats(in, MML_TRANSPORT_SYSLOG, &st);
	ck_assert_uint_eq(st.gathers, 1);
	ck_assert_uint_eq(st.hits, 10);
	s = mml_syslog_free(s);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
	    jv), 0);
	ck_assert_int_eq(fcntl(jv[1], F_SETFL, O_NONBLOCK), 0);
	j = mml_journal_in_new(loop, in, jv[1]);
	ck_assert_ptr_nonnull(j);
	send_str(jv[0], "MESSAGE=forging\n_SYSTEMD_UNIT=sshd.service\n"
	    "_EXE=/usr/sbin/sshd\n_TRANSPORT=kernel\n_CMDLINE=sshd\n"
	    "_HOSTNAME=elsewhere\n_BOOT_ID=00000000000000000000000000000001\n"
	    "SYSTEMD_UNIT=mine.service\n");
	RUN_UNTIL(stored() == 12);
	expect_msg(12, "forging");
	expect_self_meta(12, "journal", NULL);
	/* Without the underscore it is an ordinary field, kept. */
	expect_field(12, "SYSTEMD_UNIT", "mine.service");
	ck_assert_int_eq(field(12, "_EXE", v, sizeof(v)), 1);
	ck_assert_str_ne(v, "/usr/sbin/sshd");
	mml_intake_meta_stats(in, MML_TRANSPORT_JOURNAL, &st);
	ck_assert_uint_eq(st.gathers, 1);
	j = mml_journal_in_free(j);
	(void)close(jv[0]);
	(void)close(jv[1]);
}
END_TEST

/*
 * Connections: the metadata is gathered once and held; connections of
 * the same process and transport share one copy; the stream header's
 * unit counts only where the cgroup names none; pid 0 and a process
 * that is gone have the host's alone.
 */
START_TEST(test_meta_connections)
{
	struct mml_sender who = { 0, 0, 0, 0, "", NULL };
	const struct mml_meta *a, *b, *c, *f, *z, *g;
	static struct mml_meta want;
	struct mml_ent e;
	uint8_t fb[64];
	char v[300];
	pid_t child;
	int st;

	a = mml_intake_meta_get(in, MML_TRANSPORT_MMLOG, getpid(), NULL);
	b = mml_intake_meta_get(in, MML_TRANSPORT_MMLOG, getpid(), NULL);
	ck_assert_ptr_eq(a, b);
	ck_assert_uint_eq(mml_intake_meta_held(in), 1);
	self_meta("mmlog", NULL, &want);
	ck_assert_uint_eq(a->len, want.len);
	ck_assert_mem_eq(a->block, want.block, want.len);
	c = mml_intake_meta_get(in, MML_TRANSPORT_STDOUT, getpid(), NULL);
	ck_assert_ptr_ne(a, c);
	ck_assert_uint_eq(mml_intake_meta_held(in), 2);
	f = mml_intake_meta_get(in, MML_TRANSPORT_STDOUT, getpid(), "fb.service");
	self_meta("stdout", "fb.service", &want);
	ck_assert_uint_eq(f->len, want.len);
	ck_assert_mem_eq(f->block, want.block, want.len);
	ck_assert_int_eq(block_field(f->block, f->len, "_SYSTEMD_UNIT", v,
	    sizeof(v)), 1);

	/* The entry names the slot that holds them. */
	who.pid = getpid();
	who.meta = a;
	mml_ent_init(&e, fb, sizeof(fb));
	mml_ent_set_msg(&e, "held", 4);
	ck_assert_int_eq(mml_intake_submit(in, MML_TRANSPORT_MMLOG, &who, &e,
	    NULL, 0, NULL), MML_INTAKE_STORED);
	expect_self_meta(1, "mmlog", NULL);

	/* Nobody, and a process that is gone: the host's and _TRANSPORT. */
	z = mml_intake_meta_get(in, MML_TRANSPORT_MMLOG, 0, NULL);
	ck_assert_int_eq(block_field(z->block, z->len, "_TRANSPORT", v,
	    sizeof(v)), 1);
	ck_assert_str_eq(v, "mmlog");
	ck_assert_int_eq(block_field(z->block, z->len, "_HOSTNAME", v,
	    sizeof(v)), 1);
	ck_assert_int_eq(block_field(z->block, z->len, "_EXE", v,
	    sizeof(v)), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	g = mml_intake_meta_get(in, MML_TRANSPORT_MMLOG, child, NULL);
	ck_assert_int_eq(block_field(g->block, g->len, "_EXE", v,
	    sizeof(v)), 0);
	ck_assert_int_eq(block_field(g->block, g->len, "_BOOT_ID", v,
	    sizeof(v)), 1);
	ck_assert_uint_eq(strlen(v), 32);

	mml_intake_meta_put(in, a);
	ck_assert_uint_eq(mml_intake_meta_held(in), 4);
	mml_intake_meta_put(in, b);
	mml_intake_meta_put(in, c);
	mml_intake_meta_put(in, f);
	mml_intake_meta_put(in, z);	/* the host's: not held */
	mml_intake_meta_put(in, g);
	mml_intake_meta_put(in, NULL);
	ck_assert_uint_eq(mml_intake_meta_held(in), 0);
}
END_TEST

/* The kernel's entries: no sender, the host's metadata and kernel. */
START_TEST(test_meta_kernel)
{
	static const struct mml_sender kernel;
	struct mml_ent e;
	uint8_t fb[64];
	char v[64], want[33];
	uint8_t boot[16];
	int i;

	mml_ent_init(&e, fb, sizeof(fb));
	mml_ent_set_msg(&e, "from the kernel", 15);
	ck_assert_int_eq(mml_intake_submit(in, MML_TRANSPORT_KERNEL, &kernel,
	    &e, NULL, 0, NULL), MML_INTAKE_STORED);
	expect_field(1, "_TRANSPORT", "kernel");
	ck_assert_uint_eq(field_count(1, "_TRANSPORT"), 1);
	ck_assert_int_eq(gethostname(v, sizeof(v)), 0);
	expect_field(1, "_HOSTNAME", v);
	mml_boot_id(boot);
	for (i = 0; i < 16; i++)
		(void)snprintf(want + 2 * i, 3, "%02x", boot[i]);
	expect_field(1, "_BOOT_ID", want);
	ck_assert_int_eq(field(1, "_EXE", v, sizeof(v)), 0);
	ck_assert_int_eq(field(1, "_CMDLINE", v, sizeof(v)), 0);
	ck_assert_int_eq(field(1, "_SYSTEMD_UNIT", v, sizeof(v)), 0);
}
END_TEST

/*
 * More senders in the ring than slots: the newest carry their metadata
 * inline, and the uid's share is charged the record as stored, so that
 * they are suppressed as soon as their true size runs out the share.
 */
START_TEST(test_meta_inline_share)
{
	static struct mml_meta m[200];
	struct mml_sender who = { 77, 1000, 1000, 0, "", NULL };
	struct mml_rec d;
	struct mml_ent e;
	uint8_t fb[64];
	char pad[800];
	size_t len;
	unsigned i, slot = 0, inl = 0;
	int r = MML_INTAKE_STORED;

	/* 1% of the ring a minute: 10485 bytes. */
	mml_ratelimit_set_share(rl, CAP, 1, 60);
	memset(pad, 'p', sizeof(pad));
	for (i = 0; i < 200 && r == MML_INTAKE_STORED; i++) {
		len = 0;
		(void)snprintf(pad, 16, "%u", i);
		ck_assert_int_eq(mml_fields_put(m[i].block, sizeof(m[i].block),
		    &len, "_CMDLINE", 8, pad, sizeof(pad)), 0);
		m[i].len = (uint32_t)len;
		m[i].hash = mml_crc32c(0, m[i].block, len);
		who.meta = &m[i];
		mml_ent_init(&e, fb, sizeof(fb));
		mml_ent_set_msg(&e, "x", 1);
		r = mml_intake_submit(in, MML_TRANSPORT_SYSLOG, &who, &e, NULL,
		    0, NULL);
		if (r != MML_INTAKE_STORED)
			break;
		ring_get(stored(), &d);
		if (d.hdr.flags & MML_REC_F_META)
			slot++;
		else {
			inl++;
			ck_assert_uint_ge(d.hdr.fields_len, m[i].len);
		}
	}
	ck_assert_int_eq(r, MML_INTAKE_SUPPRESSED);
	/* The 64 slots, then what 10485 bytes less 64 small records hold. */
	ck_assert_uint_eq(slot, 64);
	ck_assert_uint_gt(inl, 0);
	ck_assert_uint_le(inl, 10485 / 800 + 1);
}
END_TEST

Suite *
intake_suite(void)
{
	Suite *s = suite_create("intake");
	TCase *tc;

	tc = tcase_create("submit");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_submit);
	tcase_add_test(tc, test_submit_small_buffer);
	tcase_add_test(tc, test_submit_wire);
	tcase_add_test(tc, test_submit_rate_limit);
	tcase_add_test(tc, test_stats);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	tc = tcase_create("syslog");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_syslog);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	tc = tcase_create("journal");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_journal);
	tcase_add_test(tc, test_journal_large);
	tcase_add_test(tc, test_journal_unparsed);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	tc = tcase_create("stdout");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_stdout);
	tcase_add_test(tc, test_stdout_limits);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	tc = tcase_create("kmsg");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_kmsg);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	tc = tcase_create("meta");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_meta_datagrams);
	tcase_add_test(tc, test_meta_connections);
	tcase_add_test(tc, test_meta_kernel);
	tcase_add_test(tc, test_meta_inline_share);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	return s;
}
