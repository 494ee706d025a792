/*
 * client_internal.h: libmmlogclient's handle and its request
 * bookkeeping, for client.c and its white-box test (tests/check_client.c).
 * Not installed and not in the ABI: the functions are hidden, and the
 * version script (libmmlogclient.map) exports mmlog_* only.
 */
#ifndef MML_CLIENT_INTERNAL_H
#define MML_CLIENT_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "mmlog.h"
#include "wire.h"

#define MML_HIDDEN	__attribute__((visibility("hidden")))

/*
 * Replies are read this many at a time, each into a slot this big: an
 * ACK is 32 bytes and the daemon's ERROR texts are far below 1 KiB.
 */
#define MML_RX_BATCH	32
#define MML_RX_SLOT	2048

/* Runs of failed async requests kept until waits report them. */
#define MML_FAILS	32

/*
 * A request that the daemon answers (ENTRIES with F_SYNC, SYNC) has a
 * ticket, counting up per handle, and its frame id is the ticket's low
 * 32 bits (tickets whose low word is 0 are skipped: id 0 means "no
 * answer wanted").  At most window tickets are out at once, so an id
 * names one ticket without doubt.  A ticket's slot holds its answer
 * until it is retired, and the connection it went out on: answers
 * count only from that connection, and when it ends, its requests
 * still unanswered fail.
 */
struct mml_client_slot {
	uint64_t seq;		/* ACK: the newest entry it covers */
	int err;		/* ERROR or lost connection: positive errno */
	uint32_t gen;		/* its connection; 0 while not sent */
	uint8_t done;		/* answered (or given up with the connection) */
	uint8_t waited;		/* a blocking call takes the answer itself */
	uint8_t cut;		/* ACK: an entry it covers was stored cut */
};

struct mmlog_client {
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* answers arrived, or the reader left */
	int fd;
	int flags;
	unsigned timeout_ms;
	unsigned batch_delay_us;
	uint64_t coarse_slack_ns;	/* batch_due(): two coarse clock ticks */
	unsigned window;	/* tickets that may be unretired at once */
	char *path;
	char tag[MML_TAG_MAX + 1];
	size_t tag_len;
	struct mmlog_stats st;
	/*
	 * Entries dropped by threads that gave up waiting for mu (its
	 * holder was itself waiting for the daemon): atomic, added to st
	 * by the next thread that takes mu (client_lock()).
	 */
	uint64_t lock_drops;
	int deferred_error;	/* an ERROR reply for a frame not waited on */
	int refused;		/* the daemon refused this connection (EUSERS) */
	int hung_up;		/* the last send found two connections closed */
	uint32_t gen;		/* the connection's number, from 1 */
	size_t batch_len;	/* bytes of the ENTRIES frame in buf; 0: none */
	uint64_t batch_n;	/* entries in it */
	uint64_t batch_t0_ns;	/* when its oldest entry was written */
	uint64_t batch_t0_coarse;	/* the same, CLOCK_MONOTONIC_COARSE */
	/*
	 * Tickets: handed out up to tickets; answered, every one up to
	 * answered; retired (slot free, nobody waits on it), up to retired.
	 */
	uint64_t tickets, answered, retired;
	uint64_t durable_seq;	/* newest seq an ACK has reported */
	/*
	 * Failures no call has reported yet: runs of tickets lo..hi, in
	 * order, each with the errno of its first.  When there are too
	 * many runs, the last two merge, and the successes between them
	 * count as failed: an error too many, never one too few.
	 */
	struct { uint64_t lo, hi; int err; } fails[MML_FAILS];
	unsigned n_fails;
	/*
	 * One thread at a time reads replies, without the lock, so that
	 * the others can send meanwhile: that is what lets a handle
	 * shared by many threads have many durable writes in flight.  A
	 * connection replaced while it is being read is shut down, and
	 * the reader, when it comes back, reads what is left of it (the
	 * answers that came before its end still count) and closes it.
	 */
	int reading;
	int reader_fd;
	int stale_fd;
	uint32_t stale_gen;
	struct mmlog_client *reg_prev, *reg_next;	/* the registry */
	struct mml_client_slot slots[MMLOG_WINDOW_MAX];
	uint8_t buf[MML_FRAME_MAX];	/* the frame being built or sent */
	uint8_t rbuf[MML_RX_BATCH][MML_RX_SLOT];	/* replies, the reader's */
};

/* The slot of ticket t. */
static inline struct mml_client_slot *
mml_client_slot_of(struct mmlog_client *c, uint64_t t)
{
	return &c->slots[t % MMLOG_WINDOW_MAX];
}

/* Whether t is a ticket in use (not one whose id would be 0). */
static inline int
mml_client_ticket_real(uint64_t t)
{
	return (uint32_t)t != 0;
}

/*
 * The bookkeeping of tickets, every one called with the handle locked.
 *
 * mml_client_ticket_new() hands out a new ticket once the window has
 * room.  If it has none, it waits for the oldest answer first (the
 * handle's timeout applies), or, if may_wait is 0, fails with -EAGAIN.
 * Returns the ticket, or 0 with *ret_err set.  The ticket's frame must
 * go out before the lock is next dropped.
 */
MML_HIDDEN uint64_t mml_client_ticket_new(struct mmlog_client *c, int waited,
    int may_wait, int *ret_err);

/* Moves answered and retired past the tickets that allow it. */
MML_HIDDEN void mml_client_tickets_advance(struct mmlog_client *c);

/* Keeps a failure (positive errno) for the waits that cover ticket t. */
MML_HIDDEN void mml_client_failure_note(struct mmlog_client *c, uint64_t t,
    int err);

/*
 * After a wait for every answer up to t: the oldest failure among them
 * not reported yet (-errno), or 0; every failure up to t counts as
 * reported now, and those after t stay for later waits.
 */
MML_HIDDEN int mml_client_failure_take(struct mmlog_client *c, uint64_t t);

/*
 * Connection gen is over: its requests still unanswered fail with err.
 * (A ticket not sent yet has no connection, and is not touched.)
 */
MML_HIDDEN void mml_client_conn_end(struct mmlog_client *c, uint32_t gen,
    int err);

/*
 * One reply buf[0, n) of connection gen.  ACK and ERROR answer the
 * ticket their id names, if it went out on that connection.  An ERROR
 * with id 0 refuses a frame that wanted no answer, or, with EUSERS
 * (--max-clients), the connection itself.  Returns 0, or -EPROTO if the
 * reply is not one: the connection cannot be trusted to answer any more.
 */
MML_HIDDEN int mml_client_reply_one(struct mmlog_client *c, uint32_t gen,
    const uint8_t *buf, size_t n);

#endif /* MML_CLIENT_INTERNAL_H */
