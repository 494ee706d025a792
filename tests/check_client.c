/*
 * check_client.c: libmmlogclient's bookkeeping of requests the daemon
 * answers (client/lib/client.c), white box: the failures kept for
 * mmlog_wait() and how an answer's 32-bit id finds its ticket.
 *
 * The socket side is tested end to end (tests/it/t_client_async.sh,
 * t_client_mixed.sh); what is tested here is what those cannot reach
 * on purpose: more runs of failures than are kept, answers in any
 * order, and ids across the 32-bit wrap.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

/* White box: the handle and its bookkeeping, as client.c has them. */
#include "client_internal.h"
#include "wire.h"

static struct mmlog_client *
blank(void)
{
	static struct mmlog_client c;

	memset(&c, 0, sizeof(c));
	c.fd = c.stale_fd = c.reader_fd = -1;
	c.window = MMLOG_WINDOW_MAX;
	c.gen = 1;
	return &c;
}

/* A run of failures: each wait covering a part reports it, once. */
START_TEST(test_failure_run_reported_by_part)
{
	struct mmlog_client *c = blank();
	uint64_t t;

	for (t = 1; t <= 5; t++)
		mml_client_failure_note(c, t, EPIPE);
	ck_assert_uint_eq(c->n_fails, 1);
	ck_assert_int_eq(mml_client_failure_take(c, 1), -EPIPE);
	ck_assert_int_eq(mml_client_failure_take(c, 1), 0);
	ck_assert_int_eq(mml_client_failure_take(c, 3), -EPIPE);
	ck_assert_int_eq(mml_client_failure_take(c, 5), -EPIPE);
	ck_assert_int_eq(mml_client_failure_take(c, 100), 0);
	ck_assert_uint_eq(c->n_fails, 0);
}
END_TEST

/* Answers out of order; the oldest failure's errno comes first. */
START_TEST(test_failures_out_of_order)
{
	struct mmlog_client *c = blank();

	mml_client_failure_note(c, 10, ENOBUFS);
	mml_client_failure_note(c, 3, EIO);
	mml_client_failure_note(c, 4, EIO);
	mml_client_failure_note(c, 3, EIO);	/* twice: no second report */
	ck_assert_int_eq(mml_client_failure_take(c, 2), 0);
	ck_assert_int_eq(mml_client_failure_take(c, 9), -EIO);
	ck_assert_int_eq(mml_client_failure_take(c, 9), 0);
	ck_assert_int_eq(mml_client_failure_take(c, 10), -ENOBUFS);
	ck_assert_uint_eq(c->n_fails, 0);
}
END_TEST

/*
 * More separate failures than runs are kept: none may go unreported (a
 * success between them may be reported as failed instead).
 */
START_TEST(test_failures_overflow_never_lost)
{
	struct mmlog_client *c = blank();
	uint64_t t;

	for (t = 2; t <= 400; t += 2)
		mml_client_failure_note(c, t, EIO);
	ck_assert_uint_eq(c->n_fails, MML_FAILS);
	for (t = 1; t <= 400; t++)
		if (mml_client_failure_take(c, t) == 0)
			ck_assert_msg(t % 2 == 1, "failed ticket %llu reported "
			    "as durable", (unsigned long long)t);
	ck_assert_uint_eq(c->n_fails, 0);
}
END_TEST

/* An answer for id finds its ticket, also across the 32-bit wrap. */
START_TEST(test_answer_ids_across_wrap)
{
	struct mmlog_client *c = blank();
	uint8_t buf[MML_ACK_FRAME_SIZE];
	uint64_t t, first;
	int e, i;

	/* 8 tickets, and the number skipped (id 0) counts in the window. */
	c->window = 9;
	c->tickets = c->answered = c->retired = 0xfffffffaULL;
	first = 0;
	for (i = 0; i < 8; i++) {
		t = mml_client_ticket_new(c, 0, 0, &e);
		ck_assert_msg(t != 0, "no ticket: %d", e);
		ck_assert_msg((uint32_t)t != 0, "ticket %llu has id 0",
		    (unsigned long long)t);
		mml_client_slot_of(c, t)->gen = c->gen;
		if (first == 0)
			first = t;
	}
	/* Window full: a non-blocking request is refused. */
	ck_assert_uint_eq(mml_client_ticket_new(c, 0, 0, &e), 0);
	ck_assert_int_eq(e, -EAGAIN);
	/* Answer the newest first, then the rest; seq = ticket. */
	for (t = c->tickets; t >= first; t--) {
		if (!mml_client_ticket_real(t))
			continue;
		mml_wire_ack(buf, (uint32_t)t, 0, t, t + 1);
		ck_assert_int_eq(mml_client_reply_one(c, c->gen, buf,
		    sizeof(buf)), 0);
		ck_assert(mml_client_slot_of(c, t)->done);
		ck_assert_uint_eq(mml_client_slot_of(c, t)->seq, t);
	}
	mml_client_tickets_advance(c);
	ck_assert_uint_eq(c->answered, c->tickets);
	ck_assert_uint_eq(c->retired, c->tickets);
	ck_assert_uint_eq(c->durable_seq, c->tickets);
	ck_assert_uint_eq(c->n_fails, 0);
}
END_TEST

/* Answers from a connection a ticket did not go out on do not count. */
START_TEST(test_answer_from_other_connection_ignored)
{
	struct mmlog_client *c = blank();
	uint8_t buf[MML_ACK_FRAME_SIZE];
	uint64_t t;
	int e;

	t = mml_client_ticket_new(c, 0, 0, &e);
	mml_client_slot_of(c, t)->gen = 2;
	mml_wire_ack(buf, (uint32_t)t, 0, 7, 8);
	ck_assert_int_eq(mml_client_reply_one(c, 1, buf, sizeof(buf)), 0);
	ck_assert(!mml_client_slot_of(c, t)->done);
	/* The end of its own connection fails it; the failure is kept. */
	mml_client_conn_end(c, 2, EPIPE);
	ck_assert(mml_client_slot_of(c, t)->done);
	ck_assert_int_eq(mml_client_failure_take(c, t), -EPIPE);
	/* Garbage is no answer. */
	memset(buf, 0xa5, sizeof(buf));
	ck_assert_int_eq(mml_client_reply_one(c, 1, buf, sizeof(buf)),
	    -EPROTO);
}
END_TEST

Suite *
client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("requests");

	tcase_add_test(tc, test_failure_run_reported_by_part);
	tcase_add_test(tc, test_failures_out_of_order);
	tcase_add_test(tc, test_failures_overflow_never_lost);
	tcase_add_test(tc, test_answer_ids_across_wrap);
	tcase_add_test(tc, test_answer_from_other_connection_ignored);
	suite_add_tcase(s, tc);
	return s;
}
