/*
 * mkseeds.c: writes the seed corpora of the fuzz harnesses.
 *
 *	mkseeds DIR
 *
 * makes DIR/wire, DIR/server, DIR/ring, DIR/opts, DIR/syslog,
 * DIR/kmsg, DIR/journal, DIR/stream and DIR/relp, one file per seed.
 * Seeds are made by the project's own code, so they follow the formats
 * as they are today: frames by the client's encoder (proto/wire.c),
 * rings by the daemon's writer (daemon/ring.c: created, appended to,
 * closed, or copied while still open as after a crash, reopened by
 * recovery from another boot so that it notes a jump in numbering,
 * wrapped, and one with a flipped bit; metadata slots filled, full,
 * reused and after a crash; several boots).  A ring seed is in
 * fuzz_ring's input format: a mode byte, the 256-byte header, and the
 * data region without its trailing zeros; for a ring of 64 KiB with
 * boots, the data region whole, the boot table, then the rest of the
 * file (the seek index and the metadata table) without its trailing
 * zeros.  Nothing here is random: the same build
 * makes the same seeds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../daemon/log.h"
#include "../../daemon/meta.h"
#include "../../daemon/ring.h"
#include "tables.h"

#define MAX_ENTRY	4096

static const char *out_dir;
static char tmp_dir[1024];

static void
die(const char *what)
{
	fprintf(stderr, "mkseeds: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
put(const char *kind, const char *name, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", out_dir, kind);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die(path);
	(void)snprintf(path, sizeof(path), "%s/%s/%s", out_dir, kind, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		die(path);
}

/* ---- frames ---- */

static size_t
entries_frame(uint8_t *buf, uint16_t flags, uint32_t dropped, int n,
    size_t msg_len, int with_fields)
{
	static char msg[MML_FRAME_MAX];
	uint8_t fields[128];
	size_t len, flen = 0;
	int i;

	memset(msg, 'm', sizeof(msg));
	if (with_fields) {
		(void)mml_fields_append(fields, sizeof(fields), &flen, "CODE_LINE",
		    9, "42", 2);
		(void)mml_fields_append(fields, sizeof(fields), &flen, "ERRNO", 5,
		    "2", 1);
	}
	len = mml_wire_entries_init(buf, flags, 7, dropped);
	for (i = 0; i < n; i++)
		if (mml_wire_entry_append(buf, MML_FRAME_MAX, &len, i % 8, "app",
		    3, msg, msg_len, fields, flen) < 0)
			die("entry_append");
	return len;
}

static size_t
bare_frame(uint8_t *buf, uint8_t type, const void *body, size_t body_len)
{
	mml_wire_hdr_init(buf, type, 0, 9);
	if (body_len)
		memcpy(buf + sizeof(struct mml_frame_hdr), body, body_len);
	mml_wire_finish(buf, sizeof(struct mml_frame_hdr) + body_len);
	return sizeof(struct mml_frame_hdr) + body_len;
}

/* Appends one packet to a server seed: 2-byte length, then the bytes. */
static void
seq_add(uint8_t *seq, size_t *len, const uint8_t *frame, size_t flen)
{
	seq[(*len)++] = (uint8_t)(flen & 0xff);
	seq[(*len)++] = (uint8_t)(flen >> 8);
	memcpy(seq + *len, frame, flen);
	*len += flen;
}

static void
frames(void)
{
	static uint8_t f[8][MML_FRAME_MAX], seq[4 * MML_FRAME_MAX];
	struct mml_ack_body ack = { 5, 6 };
	struct mml_notify_body nb = { 6, 5 };
	static const char stats[] = "pid=1\nentries=3\n";
	size_t n[8], len;

	n[0] = entries_frame(f[0], 0, 0, 1, 5, 0);
	n[1] = entries_frame(f[1], MML_FRAME_F_SYNC, 2, 3, 20, 1);
	n[2] = bare_frame(f[2], MML_FRAME_SYNC, NULL, 0);
	n[3] = bare_frame(f[3], MML_FRAME_STATS, NULL, 0);
	n[4] = bare_frame(f[4], MML_FRAME_SUBSCRIBE, NULL, 0);
	n[5] = entries_frame(f[5], 0, 0, 1, MAX_ENTRY + 1, 0);
	put("wire", "entries-1", f[0], n[0]);
	put("wire", "entries-3-sync-dropped-fields", f[1], n[1]);
	put("wire", "sync", f[2], n[2]);
	put("wire", "stats", f[3], n[3]);
	put("wire", "subscribe", f[4], n[4]);
	put("wire", "entries-too-large", f[5], n[5]);
	len = bare_frame(f[6], MML_FRAME_ACK, &ack, sizeof(ack));
	put("wire", "ack", f[6], len);
	len = bare_frame(f[6], MML_FRAME_NOTIFY, &nb, sizeof(nb));
	put("wire", "notify", f[6], len);
	len = bare_frame(f[6], MML_FRAME_STATS_REPLY, stats,
	    sizeof(stats) - 1);
	put("wire", "stats-reply", f[6], len);
	len = mml_wire_error(f[6], MML_FRAME_MAX, 9, EBADMSG,
	    MML_WIRE_E_FIELD, mml_wire_reason_str(MML_WIRE_E_FIELD));
	put("wire", "error", f[6], len);

	len = 0;
	seq_add(seq, &len, f[0], n[0]);
	seq_add(seq, &len, f[2], n[2]);
	put("server", "entries-sync", seq, len);
	len = 0;
	seq_add(seq, &len, f[4], n[4]);
	seq_add(seq, &len, f[1], n[1]);
	seq_add(seq, &len, f[3], n[3]);
	put("server", "subscribe-entries-stats", seq, len);
	len = 0;
	seq_add(seq, &len, f[5], n[5]);
	seq_add(seq, &len, f[0], n[0]);
	seq_add(seq, &len, f[2], n[2]);
	put("server", "too-large-then-ok", seq, len);
}

/* ---- rings ---- */

static void
ring_path(char *buf, size_t cap, const char *name)
{
	(void)snprintf(buf, cap, "%s/%s", tmp_dir, name);
}

static struct mml_ring *
ring_new(const char *name, uint64_t cap)
{
	struct mml_ring *r;
	char path[4096];

	ring_path(path, sizeof(path), name);
	if (mml_ring_open(path, cap, 1, 4 * mml_disk_rec_size(MML_COMM_MAX, 0,
	    MAX_ENTRY, 0), &r) < 0) {
		fprintf(stderr, "mkseeds: cannot create ring %s\n", path);
		exit(1);
	}
	return r;
}

static void
append(struct mml_ring *r, unsigned n, size_t msg_len)
{
	static char msg[MAX_ENTRY];
	uint8_t fields[64];
	struct mml_rec_hdr h;
	size_t flen = 0;
	uint64_t seq;
	unsigned i;

	memset(msg, 'x', sizeof(msg));
	(void)mml_fields_append(fields, sizeof(fields), &flen, "UNIT", 4,
	    "seed.service", 12);
	for (i = 0; i < n; i++) {
		memset(&h, 0, sizeof(h));
		h.priority = (uint8_t)(i % 8);
		h.comm_len = 6;
		h.tag_len = 4;
		h.msg_len = (uint32_t)(msg_len + i % 13);
		h.fields_len = i % 3 == 0 ? (uint32_t)flen : 0;
		h.realtime_usec = 1700000000000000ULL + (uint64_t)i * 1000;
		h.monotonic_usec = (uint64_t)i * 1000;
		h.pid = 100 + i % 5;
		h.uid = 1000;
		h.gid = 1000;
		if (mml_ring_append(r, &h, "seeder", "seed", msg, fields,
		    &seq) < 0) {
			fprintf(stderr, "mkseeds: append failed\n");
			exit(1);
		}
	}
}

/* Reads a ring file into a fuzz_ring input with the given mode. */
static void
put_ring(const char *file, const char *name, uint8_t mode, long flip_at)
{
	struct mml_disk_header h;
	char path[4096];
	uint8_t *buf, *in, *p;
	struct stat st;
	size_t len, data_len, boots, i;
	int fd;

	ring_path(path, sizeof(path), file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		die(path);
	len = (size_t)st.st_size;
	buf = malloc(len);
	if (buf == NULL || pread(fd, buf, len, 0) != (ssize_t)len)
		die(path);
	(void)close(fd);
	if (flip_at >= 0)
		buf[MML_DISK_HEADER_SIZE + flip_at] ^= 0x10;
	data_len = len - MML_DISK_HEADER_SIZE;
	while (data_len > 0 && buf[MML_DISK_HEADER_SIZE + data_len - 1] == 0)
		data_len--;
	memcpy(&h, buf, sizeof(h));
	boots = 0;
	if ((h.compat_flags & MML_COMPAT_BOOTS) &&
	    h.capacity == MML_DISK_CAP_MIN)
		for (i = MML_BOOT_TABLE_OFF; i < MML_DISK_HEADER_SIZE; i++)
			if (buf[i] != 0)
				boots = MML_DISK_HEADER_SIZE - MML_BOOT_TABLE_OFF;
	if (boots > 0 && data_len <= h.capacity)
		data_len = h.capacity;
	in = malloc(1 + sizeof(struct mml_disk_header) + data_len + boots);
	if (in == NULL)
		die("malloc");
	in[0] = mode;
	memcpy(in + 1, buf, sizeof(struct mml_disk_header));
	p = in + 1 + sizeof(struct mml_disk_header);
	if (boots == 0)
		memcpy(p, buf + MML_DISK_HEADER_SIZE, data_len);
	else {
		/* fuzz_ring: the boot table after the capacity's bytes. */
		memcpy(p, buf + MML_DISK_HEADER_SIZE, h.capacity);
		memcpy(p + h.capacity, buf + MML_BOOT_TABLE_OFF, boots);
		memcpy(p + h.capacity + boots,
		    buf + MML_DISK_HEADER_SIZE + h.capacity,
		    data_len - h.capacity);
	}
	put("ring", name, in, 1 + sizeof(struct mml_disk_header) + data_len +
	    boots);
	free(in);
	free(buf);
}

static void snapshot(const char *, const char *);

/*
 * Appends n entries of senders from..from+senders-1 in turn, each with
 * its metadata (an executable, a unit, a command line of some length).
 */
static void
append_meta(struct mml_ring *r, unsigned n, unsigned from, unsigned senders)
{
	struct mml_rec_hdr h;
	struct mml_meta m;
	char v[128], msg[32];
	size_t len;
	uint64_t seq;
	unsigned i, k;
	int nv, nm;

	for (i = 0; i < n; i++) {
		k = from + i % senders;
		len = 0;
		(void)mml_fields_put(m.block, sizeof(m.block), &len,
		    "_TRANSPORT", 10, "syslog", 6);
		nv = snprintf(v, sizeof(v), "/usr/bin/seed%u", k);
		(void)mml_fields_put(m.block, sizeof(m.block), &len, "_EXE", 4,
		    v, (size_t)nv);
		nv = snprintf(v, sizeof(v), "seed%u.service", k % 5);
		(void)mml_fields_put(m.block, sizeof(m.block), &len,
		    "_SYSTEMD_UNIT", 13, v, (size_t)nv);
		nv = snprintf(v, sizeof(v), "seed%u --option=%0*u", k,
		    (int)(k % 60), k);
		(void)mml_fields_put(m.block, sizeof(m.block), &len,
		    "_CMDLINE", 8, v, (size_t)nv);
		m.len = (uint32_t)len;
		m.hash = mml_crc32c(0, m.block, len);
		nm = snprintf(msg, sizeof(msg), "sender %u", k);
		memset(&h, 0, sizeof(h));
		h.priority = 6;
		h.comm_len = 6;
		h.tag_len = 4;
		h.msg_len = (uint32_t)nm;
		h.realtime_usec = 1700000000000000ULL + (uint64_t)i * 1000;
		h.monotonic_usec = (uint64_t)i * 1000;
		h.pid = 200 + k;
		h.uid = 1000;
		h.gid = 1000;
		if (mml_ring_append_meta(r, &h, "seeder", "seed", msg, NULL, &m,
		    &seq) < 0)
			die("append");
	}
}

/*
 * Rings with metadata slots (used, all taken so that entries carry
 * theirs inline, reused over wraps, after a crash) and boots (three,
 * and more than the table holds).
 */
static void
meta_rings(void)
{
	struct mml_ring *r;
	char id[33];
	unsigned i;

	r = ring_new("meta", MML_DISK_CAP_MIN);
	append_meta(r, 120, 0, 30);
	append(r, 5, 30);
	r = mml_ring_close(r);
	put_ring("meta", "meta", 0, -1);
	put_ring("meta", "meta-append400", 0xc0, -1);

	r = ring_new("meta-full", MML_DISK_CAP_MIN);
	append_meta(r, 100, 0, 100);
	r = mml_ring_close(r);
	put_ring("meta-full", "meta-full", 0, -1);
	put_ring("meta-full", "meta-full-append40", 0x80, -1);

	r = ring_new("meta-wrapped", MML_DISK_CAP_MIN);
	append_meta(r, 3000, 0, 90);
	append_meta(r, 500, 200, 20);
	snapshot("meta-wrapped", "meta-crashed");
	r = mml_ring_close(r);
	put_ring("meta-wrapped", "meta-wrapped", 0, -1);
	put_ring("meta-crashed", "meta-crashed", 0x40, -1);
	put_ring("meta-crashed", "meta-crashed-same-boot", 0x03 | 0x80, -1);

	for (i = 0; i < 70; i++) {
		(void)snprintf(id, sizeof(id), "%032x", 0xb007 + i);
		if (setenv("MMLOGD_TEST_BOOT_ID", id, 1) < 0)
			die("setenv");
		r = ring_new("boots", MML_DISK_CAP_MIN);
		append_meta(r, 4, i, 3);
		r = mml_ring_close(r);
		if (i == 2)
			put_ring("boots", "boots-3", 0x40, -1);
	}
	put_ring("boots", "boots-70", 0x40, -1);
	(void)unsetenv("MMLOGD_TEST_BOOT_ID");
}

/*
 * The seeds of invariant 4 of fuzz_ring: the ring "forged", whose entry
 * 3 holds in its message records a client shaped (CRC and all, unkeyed,
 * numbered 4..6, sshd, pid 1), with that entry's priority damaged (so
 * that readers resync from it, and mode 0x08 still steps over it whole).
 * Keyed by the harness (the key zeroed, the flag kept), and unkeyed (the
 * flag cleared: only the chain proof keeps the forgeries out); and after
 * a power loss (dirty, another boot, the record after entry 3 zeroed,
 * the durable cursor at entry 3).
 */
static void
forged(void)
{
	struct mml_disk_header h;
	struct mml_rec_hdr fh;
	struct mml_ring *r;
	uint8_t msg[1024], zero[512];
	char path[4096];
	uint64_t at = 2, seq, off3, off4;
	unsigned i;
	int fd, keyed;

	r = ring_new("forged", MML_DISK_CAP_MIN);
	append(r, 2, 20);
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < 3; i++) {
		memset(&fh, 0, sizeof(fh));
		fh.type = MML_REC_ENTRY;
		fh.priority = 2;
		fh.comm_len = 4;
		fh.tag_len = 4;
		fh.msg_len = 10;
		fh.seq = 4 + i;
		fh.pid = 1;
		at += mml_disk_rec_write(msg + at, &fh, "sshd", "sshd",
		    "FORGED ...", NULL, 0);
	}
	memset(&fh, 0, sizeof(fh));
	fh.priority = 5;
	fh.comm_len = 5;
	fh.tag_len = 1;
	fh.msg_len = (uint32_t)at;
	fh.realtime_usec = 1700000000000000ULL;
	off3 = mml_ring_head_off(r);
	if (mml_ring_append(r, &fh, "forge", "t", msg, NULL, &seq) < 0)
		die("append");
	off4 = mml_ring_head_off(r);
	append(r, 60, 100);
	r = mml_ring_close(r);
	ring_path(path, sizeof(path), "forged");
	for (keyed = 1; keyed >= 0; keyed--) {
		snapshot("forged", "forged-copy");
		ring_path(path, sizeof(path), "forged-copy");
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 || pread(fd, &h, sizeof(h), 0) != sizeof(h))
			die(path);
		memset(h.crc_key, 0, sizeof(h.crc_key));
		h.key_crc = 0;
		if (!keyed)
			h.incompat_flags &= ~MML_INCOMPAT_KEYED;
		if (pwrite(fd, &h, sizeof(h), 0) != sizeof(h) ||
		    pwrite(fd, "\x0f", 1, (off_t)(MML_DISK_HEADER_SIZE + off3 +
		    10)) != 1)
			die(path);
		(void)close(fd);
		put_ring("forged-copy", keyed ? "forged-keyed" :
		    "forged-unkeyed", 0x09, -1);
		/* The power loss, from the undamaged ring. */
		snapshot("forged", "forged-copy");
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 || pread(fd, &h, sizeof(h), 0) != sizeof(h))
			die(path);
		memset(h.crc_key, 0, sizeof(h.crc_key));
		h.key_crc = 0;
		if (!keyed)
			h.incompat_flags &= ~MML_INCOMPAT_KEYED;
		h.state = MML_STATE_DIRTY;
		memset(h.boot_id, 0, sizeof(h.boot_id));
		h.durable_off = off4;
		h.durable_seq = seq;
		memset(zero, 0, sizeof(zero));
		if (pwrite(fd, &h, sizeof(h), 0) != sizeof(h) ||
		    pwrite(fd, zero, 64, (off_t)(MML_DISK_HEADER_SIZE + off4)) !=
		    64)
			die(path);
		(void)close(fd);
		put_ring("forged-copy", keyed ? "forged-keyed-powerloss" :
		    "forged-unkeyed-powerloss", 0x09, -1);
	}
}

/* Copies a ring file as it is now (a crash leaves it so). */
static void
snapshot(const char *from, const char *to)
{
	char a[4096], b[4096], cmd[8300];

	ring_path(a, sizeof(a), from);
	ring_path(b, sizeof(b), to);
	(void)snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", a, b);
	if (system(cmd) != 0)
		die("cp");
}

static void
rings(void)
{
	struct mml_ring *r;
	uint8_t zero[16];
	char path[4096];
	int fd;

	r = ring_new("empty", MML_DISK_CAP_MIN);
	r = mml_ring_close(r);
	put_ring("empty", "empty", 0, -1);
	put_ring("empty", "empty-append40", 0x80, -1);

	r = ring_new("few", MML_DISK_CAP_MIN);
	append(r, 6, 20);
	r = mml_ring_close(r);
	put_ring("few", "few", 0, -1);
	put_ring("few", "few-append3", 0x40, -1);
	/* A bit of the fourth record's message. */
	put_ring("few", "few-flipped", 0, 3 * 104 + 80);

	r = ring_new("dirty", MML_DISK_CAP_MIN);
	append(r, 20, 40);
	snapshot("dirty", "crashed");
	r = mml_ring_close(r);
	put_ring("crashed", "crashed", 0, -1);
	put_ring("crashed", "crashed-same-boot", 0x03 | 0x40, -1);

	/* Recovery from an unknown boot notes the jump in numbering. */
	ring_path(path, sizeof(path), "crashed");
	memset(zero, 0, sizeof(zero));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, zero, sizeof(zero),
	    offsetof(struct mml_disk_header, boot_id)) != sizeof(zero))
		die(path);
	(void)close(fd);
	r = ring_new("crashed", MML_DISK_CAP_MIN);
	append(r, 3, 10);
	r = mml_ring_close(r);
	put_ring("crashed", "gap-noted", 0, -1);

	r = ring_new("wrapped", MML_DISK_CAP_MIN);
	append(r, 700, 150);
	r = mml_ring_close(r);
	put_ring("wrapped", "wrapped", 0, -1);
	put_ring("wrapped", "wrapped-append40", 0x80, -1);

	meta_rings();

	/* Enough for the seeks to bisect rather than start at the tail. */
	r = ring_new("seekable", 256 * 1024);
	append(r, 400, 200);
	r = mml_ring_close(r);
	put_ring("seekable", "seekable", 0, -1);

	forged();
}

/* ---- command lines: NUL-separated arguments, argv[0] left out ---- */

static void
opt(const char *name, const char *args, size_t len)
{
	put("opts", name, args, len);
}

#define OPT(name, lit)	opt(name, lit, sizeof(lit) - 1)

static void
opts(void)
{
	OPT("show-n", "show\0-n\00020");
	OPT("since-ago", "--since\0001h 30min ago\0--until\0now");
	OPT("since-date", "show\0--since\0002024-02-29 13:45:10\0-p\0err..warning");
	OPT("since-epoch", "--since\0@1700000000.25\0--until\0+2d");
	OPT("since-today", "--since\0today\0--until\0tomorrow\0-r");
	OPT("since-clock", "--since\00023:59\0--until\00012:00:01");
	OPT("cursor", "--after-cursor\0s=0123456789abcdef0123456789abcdef;i=1f\0-o\0json");
	OPT("pid-uid", "show\0--pid\00042\0--uid\0000\0-t\0a\0-t\0b\0-g\0Disk|full");
	OPT("write", "write\0-p\0notice\0-t\0tag\0-F\0KEY=value\0--sync\0hello\0world");
	OPT("dump", "dump\0-n\0004096");
	OPT("status", "status\0-o\0json\0--file\0/nonexistent");
	OPT("sizes", "--size\00064M\0--size\0001GiB\0--max-entry\0004096");
	OPT("prio-num", "-p\0003..7\0--lines\0all\0--output=short-iso");
	OPT("dashdash", "--\0show");
	/* fuzz_opts also reads the whole input as mmlogd's configuration. */
	OPT("config", "# mmlogd.conf\nsize = 64M\nmax-entry = 4096\n"
	    "sync-interval = 250\n  idle-timeout=0\nverbose = yes\n"
	    "socket = /run/x.sock\n");
	OPT("daemon-args", "--size\0001G\0--max-clients\00010\0-v\0"
	    "--config\0/nonexistent\0--check-config");
}

/*
 * ---- syslog datagrams and kernel log records, as real senders wrote
 * them (tests/check_syslog.c and check_kmsg.c say where each came from)
 * ----
 */

#define SEED(kind, name, lit)	put(kind, name, lit, sizeof(lit) - 1)

static void
syslogs(void)
{
	SEED("syslog", "glibc-pid", "<155>Dec  7 08:55:12 captest[4259]: "
	    "with LOG_PID: colon: [bracket] 100%");
	SEED("syslog", "glibc-newline", "<30>Dec  7 08:55:12 captest: "
	    "trailing newline\n");
	SEED("syslog", "logger-3164-host", "<28>Dec  7 08:54:56 vm "
	    "mytag[2881]: rfc3164 with pid: colons: and [brackets]");
	SEED("syslog", "logger-5424-sd", "<155>1 2026-12-07T08:54:56.739525"
	    "+00:00 vm mytag 2880 ID47 [timeQuality tzKnown=\"1\" "
	    "isSynced=\"0\"][exampleSDID@32473 iut=\"3\" eventSource="
	    "\"Application\"][other@1 q=\"a \\\"quoted\\\" \\\\ back "
	    "\\] bracket\"] with structured data");
	SEED("syslog", "logger-5424-nil", "<13>1 - - root - - - rfc5424 "
	    "without time and host");
	SEED("syslog", "logger-5424-empty-app", "<8>1 2026-12-07T08:54:56."
	    "788797+00:00 vm  - - [timeQuality tzKnown=\"1\" isSynced=\"0\"]"
	    " empty tag");
	SEED("syslog", "python", "<11>app[5330]: ERROR with a tag formatter: "
	    "colon: [x]\0");
	SEED("syslog", "rsyslog", "<13>Dec  7 08:59:14 vm rstag[23527]: via "
	    "rsyslog omuxsock");
	SEED("syslog", "5424-bom", "<14>1 - host app 77 - - \xef\xbb\xbf"
	    "caf\xc3\xa9");
	SEED("syslog", "3339-host", "<13>2026-12-07T08:54:52.255589+00:00 vm "
	    "tag[1]: m");
	SEED("syslog", "nul-inside", "<13>tag: nul\0inside");
}

static void
kmsgs(void)
{
	SEED("kmsg", "kernel-dict", "6,194,217664,-;acpi PNP0A08:00: _OSC: OS "
	    "supports [ExtendedConfig ASPM ClockPM Segments MSI HPX-Type3]\n"
	    " SUBSYSTEM=acpi\n DEVICE=+acpi:PNP0A08:00\n");
	SEED("kmsg", "kernel", "4,2,0,-;[Firmware Bug]: TSC doesn't count "
	    "with P0 frequency!\n");
	SEED("kmsg", "user-escapes", "14,341,866025051,-;myprog[4242]: user "
	    "facility, tab\\x09here and a backslash \\x5c and \\xc3\\xa9 "
	    "utf8\n");
	SEED("kmsg", "caller", "6,1,2,-,caller=T1;msg\n");
	SEED("kmsg", "max", "2047,18446744073709551615,18446744073709551615,"
	    "c;m\n");
}

/*
 * What a RELP server sends mmlog-forward: rsyslog 8.2302's imrelp
 * (librelp 1.11) answering "open" and three frames, then "close", as
 * captured in tests/it/t_forward_relp's sessions; an error answer; the
 * hint a server going away sends.
 */
static void
relps(void)
{
	SEED("relp", "imrelp-session", "1 rsp 93 200 OK\nrelp_version=0\n"
	    "relp_software=librelp,1.11.0,http://librelp.adiscon.com\n"
	    "commands=syslog\n2 rsp 6 200 OK\n3 rsp 6 200 OK\n"
	    "4 rsp 6 200 OK\n5 rsp 6 200 OK\n");
	SEED("relp", "refused", "7 rsp 11 500 refused\n");
	SEED("relp", "serverclose", "9 rsp 6 200 OK\n0 serverclose 0\n");
	SEED("relp", "wrap", "999999999 rsp 6 200 OK\n1 rsp 6 200 OK\n");
}

#undef SEED

/* ---- journald's native protocol and stdout streams ---- */

/*
 * One seed: a mode byte (and, for streams, four bytes of chunking seed)
 * before the bytes, as fuzz_journal and fuzz_stream read them.
 */
static void
put_with(const char *kind, const char *name, const char *pre, size_t pre_len,
    const char *in, size_t len)
{
	static uint8_t buf[8192];

	if (pre_len + len > sizeof(buf))
		die("seed too large");
	memcpy(buf, pre, pre_len);
	memcpy(buf + pre_len, in, len);
	put(kind, name, buf, pre_len + len);
}

#define SEED(kind, name, pre, in) \
	put_with(kind, name, pre, sizeof(pre) - 1, in, sizeof(in) - 1)

/*
 * The payloads and streams real clients sent on Debian 12 (systemd 252,
 * util-linux 2.38), captured as tests/check_journal.c and
 * tests/check_stream.c say, and a few of journald's quirks.
 */
static void
journal_streams(void)
{
	/* Mode: --max-fields 256, a fields buffer of MML_FRAME_MAX. */
	SEED("journal", "sd_journal_send", "\xdf", "CODE_FILE=send.c\n"
	    "CODE_LINE=7\nCODE_FUNC=main\nMESSAGE=hello from sd_journal_send\n"
	    "PRIORITY=4\nCUSTOM_FIELD=value\nSYSLOG_IDENTIFIER=capture\n");
	SEED("journal", "sd_journal_print", "\xdf", "MESSAGE=printed 42\n"
	    "PRIORITY=3\nCODE_FILE=send.c\nCODE_LINE=9\nCODE_FUNC=main\n"
	    "SYSLOG_IDENTIFIER=send\n");
	SEED("journal", "binary-safe", "\xdf", "CODE_FILE=send.c\n"
	    "CODE_LINE=10\nCODE_FUNC=main\nMESSAGE\n\n\0\0\0\0\0\0\0"
	    "multi\nline\nBIN\n\x03\0\0\0\0\0\0\0a\nb\n"
	    "SYSLOG_IDENTIFIER=send\n");
	SEED("journal", "logger-journald", "\xdf", "MESSAGE=hi\n"
	    "SYSLOG_IDENTIFIER=demo2\nFOO=bar\n");
	SEED("journal", "logger-journald-2", "\xdf", "MESSAGE=from logger\n"
	    "PRIORITY=5\nSYSLOG_IDENTIFIER=logger\n");
	/* Two fields allowed, a small fields buffer. */
	SEED("journal", "quirks", "\x42", "#c\n.x\n_PID=1\nfoo=x\nA=1\nA=2\n"
	    "B=3\nPRIORITY=9\nMESSAGE=a\n\nMESSAGE=b\nBIN\n"
	    "\x64\0\0\0\0\0\0\0abc\n");
	SEED("journal", "lie", "\xdf", "MESSAGE=a\nX\nMESSAGE=b\n");

	/* Mode: journald's LineMax=, EOF at the end; chunking seed. */
	SEED("stream", "systemd-cat", "\x17\x01\x02\x03\x04",
	    "catty\n\n4\n1\n0\n0\n0\nhello from systemd-cat\n");
	SEED("stream", "systemd-cat-level-prefix", "\x17\x05\x06\x07\x08",
	    "\n\n6\n1\n0\n0\n0\n<3>err line\nplain\r\n\n");
	SEED("stream", "systemd-cat-cmd", "\x17\x09\x0a\x0b\x0c",
	    "ctag2\n\n6\n1\n0\n0\n0\nvia exec\n");
	SEED("stream", "systemd-cat-stdout", "\x17\x0d\x0e\x0f\x10",
	    "t3\n\n3\n0\n0\n0\n0\nout\nnoeol");
	SEED("stream", "systemd-cat-stderr", "\x17\x11\x12\x13\x14",
	    "t3\n\n4\n0\n0\n0\n0\nerr\n");
	/* LineMax= 79, privileged, a pid change half-way, EOF. */
	SEED("stream", "quirks", "\x98\x15\x16\x17\x18",
	    "t\nfoo@bar.service\n134\nyes\n0\n0\n0\n<3>a\0b\r\n<8>c\n"
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "456789012345678901234567890\n<0003>x\n\n\npartial");
	SEED("stream", "bad-priority", "\x10\x01\x01\x01\x01",
	    "t\n\n0x3e8\n1\n0\n0\n0\nx\n");
}

int
main(int argc, char **argv)
{
	char cmd[4200];

	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	out_dir = argv[1];
	if (strlen(out_dir) > 900) {
		fprintf(stderr, "mkseeds: directory name too long\n");
		return 2;
	}
	if (mkdir(out_dir, 0755) < 0 && errno != EEXIST)
		die(out_dir);
	(void)snprintf(tmp_dir, sizeof(tmp_dir), "%s/.rings-XXXXXX", out_dir);
	if (mkdtemp(tmp_dir) == NULL)
		die("mkdtemp");
	mml_log_level = -1;
	frames();
	rings();
	opts();
	syslogs();
	kmsgs();
	relps();

	journal_streams();
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
	if (system(cmd) != 0)
		die("rm");
	return 0;
}
