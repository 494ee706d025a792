/*
 * fuzz_server.c: frames from a client, through the daemon's own server
 * (daemon/server.c) into a real ring.
 *
 * Input: up to 16 packets, each a 2-byte little-endian length and that
 * many bytes (the last one takes what is left if shorter).  Every input
 * gets a fresh ring in a memfd, a private libev loop, a server with its
 * sync thread, and one client on a socketpair, exactly as the Check
 * suite builds them.  The packets are sent one by one; the loop runs
 * after each, and the client reads what came back.  At the end the
 * server shuts down (which stores, syncs and acknowledges everything),
 * and everything is freed, so that LeakSanitizer sees any leak.
 *
 * What must hold, whatever the packets:
 *   - every reply decodes as a reply (mml_wire_decode, from_client 0);
 *   - the ring holds exactly the entries of the ENTRIES frames the
 *     decoder accepts within --max-fields (those over --max-entry cut,
 *     since issue 17), plus one note per frame that reports drops, and
 *     nothing else;
 *   - each refused packet gets one ERROR, each SYNC and each accepted
 *     ENTRIES frame with F_SYNC gets one ACK (at most one if the
 *     connection ended meanwhile), each STATS one reply;
 *   - an ACK says MML_FRAME_F_TRUNCATED exactly when an entry stored
 *     since the connection's last request for one was cut;
 *   - a bad magic or version, or an empty packet, ends the connection.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "../../daemon/log.h"
#include "../../daemon/ring.h"
#include "../../daemon/server.h"

#define CAP		((uint64_t)64 * 1024)
#define MAX_ENTRY	4096
#define MAX_PACKETS	16

struct expect {
	uint64_t entries, notes;
	uint64_t counted;	/* entries since the last RESET_COUNTERS */
	unsigned errors, acks, stats;
	unsigned cut_acks;	/* ACKs that must say F_TRUNCATED */
	int cut;		/* a cut entry not reported by an ACK yet */
};

struct got {
	unsigned errors, acks, stats, notifies, cut_acks;
};

static uint8_t rbuf[MML_FRAME_MAX + 1];

/* Reads every reply waiting on fd; each must be a valid reply frame. */
static void
read_replies(int fd, struct got *g)
{
	struct mml_frame f;
	enum mml_wire_reason why;
	ssize_t n;

	while ((n = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT)) > 0) {
		FUZZ_CHECK(mml_wire_decode(rbuf, (size_t)n, 0, &f, &why) == 0);
		switch (f.hdr.type) {
		case MML_FRAME_ERROR:
			g->errors++;
			break;
		case MML_FRAME_ACK:
			g->acks++;
			if (f.hdr.flags & MML_FRAME_F_TRUNCATED)
				g->cut_acks++;
			break;
		case MML_FRAME_STATS_REPLY:
			g->stats++;
			break;
		case MML_FRAME_NOTIFY:
			g->notifies++;
			break;
		default:
			FUZZ_CHECK(!"unexpected reply type");
		}
	}
}

/* What the daemon must do with one packet; 0 if the connection ends. */
static int
expect_packet(const uint8_t *p, size_t len, struct expect *e)
{
	struct mml_frame f;
	int r;

	if (len == 0)
		return 0;
	r = mml_wire_decode(p, len, 1, &f, NULL);
	if (r < 0) {
		e->errors++;
		return r != -EPROTO;
	}
	switch (f.hdr.type) {
	case MML_FRAME_ENTRIES:
		if (f.dropped)
			e->notes++;
		if (f.max_fields > MML_DEFAULT_MAX_FIELDS) {
			e->errors++;
			break;
		}
		e->entries += f.n_entries;
		e->counted += f.n_entries;
		if (f.max_payload > MAX_ENTRY)
			e->cut = 1;
		if (f.hdr.flags & MML_FRAME_F_SYNC) {
			e->acks++;
			e->cut_acks += e->cut;
			e->cut = 0;
		}
		break;
	case MML_FRAME_SYNC:
		e->acks++;
		e->cut_acks += e->cut;
		e->cut = 0;
		break;
	/* Control operations: the harness runs as root, so they are allowed. */
	case MML_FRAME_CLEAR:
	case MML_FRAME_ROTATE_ID:
		e->notes++;		/* who did it, in the ring */
		e->acks++;
		break;
	case MML_FRAME_RESET_COUNTERS:
		e->counted = 0;
		e->acks++;
		break;
	case MML_FRAME_STATS:
		e->stats++;
		break;
	default:
		break;
	}
	return 1;
}

static struct mml_ring *
fresh_ring(void)
{
	struct mml_disk_header h;
	uint8_t page[MML_DISK_HEADER_SIZE], id[16];
	struct mml_ring *r = NULL;
	char path[64];
	int fd;

	memset(id, 0x5a, sizeof(id));
	memset(page, 0, sizeof(page));
	mml_disk_header_init(&h, CAP, id, 1700000000000000ULL);
	memcpy(page, &h, sizeof(h));
	fd = fuzz_memfd(page, sizeof(page), MML_DISK_HEADER_SIZE + CAP, path);
	FUZZ_CHECK(mml_ring_open(path, CAP, 1,
	    4 * mml_disk_rec_size(MML_COMM_MAX, 0, MAX_ENTRY, 0), &r) == 0);
	(void)close(fd);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mml_server_opts opts = {
		.sync_interval_ms = 1000,
		.drain_backlog = 0,
	};
	struct expect e;
	struct got g;
	struct ev_loop *loop;
	struct mml_ring *ring;
	struct mml_server *s;
	const uint8_t *p = data;
	size_t left = size, len;
	int sv[2], i, alive = 1;
	ssize_t n;

	mml_log_level = -1;
	memset(&e, 0, sizeof(e));
	memset(&g, 0, sizeof(g));
	ring = fresh_ring();
	mml_limits_default(&opts.limits);
	opts.limits.max_entry = MAX_ENTRY;
	opts.limits.max_clients = 4;
	opts.limits.idle_timeout_s = 0;
	loop = ev_loop_new(EVFLAG_AUTO);
	FUZZ_CHECK(loop != NULL);
	s = mml_server_new(loop, ring, -1, &opts);
	FUZZ_CHECK(s != NULL);
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0, sv) == 0);
	FUZZ_CHECK(mml_server_add_client(s, sv[0]) == 0);

	for (i = 0; i < MAX_PACKETS && left >= 2 && alive; i++) {
		len = (size_t)p[0] | (size_t)p[1] << 8;
		p += 2;
		left -= 2;
		if (len > left)
			len = left;
		/* The socket has room: the loop drains it after each send. */
		n = send(sv[1], p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		FUZZ_CHECK(n == (ssize_t)len);
		alive = expect_packet(p, len, &e);
		p += len;
		left -= len;
		(void)ev_run(loop, EVRUN_NOWAIT);
		read_replies(sv[1], &g);
	}
	mml_server_shutdown(s);
	read_replies(sv[1], &g);

	FUZZ_CHECK(mml_server_get_stats(s)->entries == e.counted);
	FUZZ_CHECK(mml_ring_next_seq(ring) == 1 + e.entries + e.notes);
	FUZZ_CHECK(g.errors == e.errors);
	/*
	 * A connection cut for a bad magic or version, or ended by the
	 * client, takes with it the ACKs that were not due yet: whether a
	 * sync finished before the cut is a matter of thread timing.
	 */
	if (alive) {
		FUZZ_CHECK(g.acks == e.acks);
		FUZZ_CHECK(g.cut_acks == e.cut_acks);
	} else
		FUZZ_CHECK(g.acks <= e.acks);
	FUZZ_CHECK(g.stats == e.stats);
	FUZZ_CHECK(mml_server_clients(s) == 0);
	/* The connection is gone: our end reads its end. */
	FUZZ_CHECK(recv(sv[1], rbuf, sizeof(rbuf), MSG_DONTWAIT) == 0);

	s = mml_server_free(s);
	ev_loop_destroy(loop);
	ring = mml_ring_close(ring);
	(void)close(sv[1]);
	return 0;
}
