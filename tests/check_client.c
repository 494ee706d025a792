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
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

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

/*
 * A listening SEQPACKET socket in a new directory, as the daemon's;
 * its path in path (of size len).
 */
static int
listener(char *path, size_t len)
{
	struct sockaddr_un sa;
	char dir[] = "/tmp/check_client.XXXXXX";
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	(void)snprintf(path, len, "%s/s", dir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

static void
listener_done(int fd, const char *path)
{
	char dir[108];

	(void)close(fd);
	(void)unlink(path);
	(void)snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	(void)rmdir(dir);
}

/* Receives one ENTRIES frame on fd; returns its first entry's length. */
static size_t
recv_entry_len(int fd, size_t *ret_frame_len)
{
	static uint8_t buf[MML_FRAME_MAX + 1];
	struct mml_entry_hdr eh;
	size_t off = sizeof(struct mml_frame_hdr) +
	    sizeof(struct mml_entries_hdr);
	ssize_t n;

	n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
	ck_assert_int_gt(n, (ssize_t)(off + sizeof(eh)));
	ck_assert_int_le(n, MML_FRAME_MAX);
	memcpy(&eh, buf + off, sizeof(eh));
	*ret_frame_len = (size_t)n;
	return eh.len;
}

/*
 * c counted n entries dropped, not yet reported: the next entry's frame,
 * received on sfd, carries the count.
 */
static void
drops_reported(struct mmlog_client *c, int sfd, uint64_t n)
{
	static uint8_t buf[MML_FRAME_MAX];
	struct mmlog_stats st;
	struct mml_frame f;
	ssize_t len;

	mmlog_get_stats(c, &st);
	ck_assert_uint_eq(st.dropped, n);
	ck_assert_uint_eq(st.pending_drops, n);
	ck_assert_int_eq(mmlog_write(c, MMLOG_INFO, NULL, "next", 4), 0);
	ck_assert_int_eq(mmlog_flush(c), 0);
	len = recv(sfd, buf, sizeof(buf), 0);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(mml_wire_decode(buf, (size_t)len, 1, &f, NULL), 0);
	ck_assert_uint_eq(f.n_entries, 1);
	ck_assert_uint_eq(f.dropped, n);
}

/*
 * mmlog_writef() and mmlog_syslog() cut a message longer than a packet
 * may be (mmlog.h) rather than failing with -EMSGSIZE: the tag, the
 * headers and the facility field take their share of the packet.
 */
START_TEST(test_writef_cuts_long_message)
{
	struct mmlog_client *c = NULL;
	char path[108], *big;
	size_t n, flen, big_len = 3 * MML_FRAME_MAX;
	int lfd, sfd;

	big = malloc(big_len + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', big_len);
	big[big_len] = '\0';
	lfd = listener(path, sizeof(path));
	ck_assert_int_eq(mmlog_open(path, "a-long-enough-tag", 0, &c), 0);
	sfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(sfd, 0);
	ck_assert_int_eq(mmlog_writef(c, MMLOG_INFO, NULL, "%s", big), 0);
	n = recv_entry_len(sfd, &flen);
	ck_assert_uint_eq(flen, MML_FRAME_MAX);
	ck_assert_uint_gt(n, MML_FRAME_MAX - 512);
	/* Not a sliver over the limit either. */
	big[MML_FRAME_MAX - 40] = '\0';
	ck_assert_int_eq(mmlog_writef(c, MMLOG_INFO, "t", "%s", big), 0);
	(void)recv_entry_len(sfd, &flen);
	ck_assert_uint_eq(flen, MML_FRAME_MAX);
	big[MML_FRAME_MAX - 40] = 'x';
	c = mmlog_close(c);
	(void)close(sfd);

	/* The syslog-like calls, with a facility field besides. */
	ck_assert_int_eq(setenv("MMLOG_SOCKET", path, 1), 0);
	ck_assert_int_eq(mmlog_openlog("ident", MMLOG_LOG_NDELAY, 3 << 3), 0);
	sfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(sfd, 0);
	ck_assert_int_eq(mmlog_syslog(MMLOG_ERR | (4 << 3), "%s", big), 0);
	(void)recv_entry_len(sfd, &flen);
	ck_assert_uint_eq(flen, MML_FRAME_MAX);
	mmlog_closelog();
	(void)unsetenv("MMLOG_SOCKET");
	(void)close(sfd);
	listener_done(lfd, path);
	free(big);
}
END_TEST

/*
 * A non-blocking handle that dropped entries (the daemon's socket full)
 * and then closes: no later entry carries the count, so mmlog_close()
 * sends it, with one entry of its own, once there is room; the loss is
 * never silent.
 */
START_TEST(test_close_reports_drops)
{
	static uint8_t buf[MML_FRAME_MAX];
	struct mmlog_client *c = NULL;
	struct mmlog_stats st;
	struct mml_entries_hdr eh;
	struct mml_frame f;
	char path[108];
	ssize_t n;
	int lfd, sfd, r, i;

	lfd = listener(path, sizeof(path));
	ck_assert_int_eq(mmlog_open(path, "nb", MMLOG_NONBLOCK, &c), 0);
	sfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(sfd, 0);
	for (i = 0; i < 1000000; i++) {
		r = mmlog_write(c, MMLOG_INFO, NULL, "x", 1);
		if (r < 0)
			break;
	}
	ck_assert_int_eq(r, -EAGAIN);
	(void)mmlog_write(c, MMLOG_INFO, NULL, "y", 1);
	mmlog_get_stats(c, &st);
	ck_assert_uint_eq(st.pending_drops, 2);
	/* The daemon catches up: none of what it read carried a count. */
	while ((n = recv(sfd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		memcpy(&eh, buf + sizeof(struct mml_frame_hdr), sizeof(eh));
		ck_assert_uint_eq(eh.dropped, 0);
	}
	c = mmlog_close(c);
	n = recv(sfd, buf, sizeof(buf), 0);
	ck_assert_int_gt(n, 0);
	/* A frame the daemon takes: every check of its decoder passes. */
	ck_assert_int_eq(mml_wire_decode(buf, (size_t)n, 1, &f, NULL), 0);
	ck_assert_uint_eq(f.hdr.type, MML_FRAME_ENTRIES);
	ck_assert_uint_eq(f.n_entries, 1);
	ck_assert_uint_eq(f.dropped, 2);
	/* Then the end of the connection, nothing more. */
	ck_assert_int_eq(recv(sfd, buf, sizeof(buf), 0), 0);
	(void)close(sfd);
	listener_done(lfd, path);
}
END_TEST

/*
 * A batch the kernel refuses as too large for the socket (its send
 * buffer smaller than a packet may be; net.core.wmem_default can be
 * set so): the entries are lost, so they are counted as dropped and the
 * count rides in the next frame, like any other loss.
 */
START_TEST(test_batch_emsgsize_counted)
{
	struct mmlog_client *c = NULL;
	char path[108], msg[1000];
	int lfd, sfd, i, sz = 4096;

	lfd = listener(path, sizeof(path));
	ck_assert_int_eq(mmlog_open(path, "bt", MMLOG_BATCH, &c), 0);
	sfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(sfd, 0);
	/* White box: the handle's socket, with a small send buffer. */
	ck_assert_int_eq(setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)), 0);
	ck_assert_int_eq(mmlog_set_batch_delay(c, 1000000000U), 0);
	memset(msg, 'm', sizeof(msg));
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(mmlog_write(c, MMLOG_INFO, NULL, msg,
		    sizeof(msg)), 0);
	ck_assert_int_eq(mmlog_flush(c), -EMSGSIZE);
	drops_reported(c, sfd, 20);
	c = mmlog_close(c);
	(void)close(sfd);
	listener_done(lfd, path);
}
END_TEST

/*
 * LOG_PERROR prints on stderr; a stderr that is a pipe nobody reads
 * must not kill the application with SIGPIPE (mmlog(3): no function
 * raises it), and a SIGPIPE of the application's own stays pending.
 */
START_TEST(test_perror_no_sigpipe)
{
	pid_t pid;
	int p[2], st;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		sigset_t set;

		(void)signal(SIGPIPE, SIG_DFL);
		if (pipe(p) < 0 || dup2(p[1], STDERR_FILENO) < 0)
			_exit(10);
		(void)close(p[0]);
		(void)close(p[1]);
		(void)setenv("MMLOG_SOCKET", "/nonexistent/mmlogd.sock", 1);
		if (mmlog_openlog("ident", MMLOG_LOG_PERROR, 0) < 0)
			_exit(11);
		if (mmlog_syslog(MMLOG_ERR, "to a closed pipe") != -ENOENT)
			_exit(12);
		/* One the application raised itself is left to it. */
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		(void)pthread_sigmask(SIG_BLOCK, &set, NULL);
		(void)raise(SIGPIPE);
		(void)mmlog_syslog(MMLOG_ERR, "again");
		if (sigpending(&set) < 0 || !sigismember(&set, SIGPIPE))
			_exit(13);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st), "killed by signal %d",
	    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

/*
 * A handle that mmlog_open() could not make (NULL) has counted nothing:
 * its counters are all 0, and no crash (mmlog.h).
 */
struct locked_write {
	struct mmlog_client	*c;
	int			 r;
};

static void *
locked_write(void *arg)
{
	struct locked_write *w = arg;

	w->r = mmlog_write(w->c, MMLOG_INFO, NULL, "late", 4);
	return NULL;
}

/*
 * A thread that finds the handle's lock held (its holder waiting for a
 * daemon that does not read) waits for it no longer than the handle's
 * timeout: the entry is dropped and counted, and the count rides in the
 * next frame.  Before, it waited for the holder however long that took.
 */
START_TEST(test_lock_wait_bounded)
{
	struct mmlog_client *c = NULL;
	struct locked_write w;
	struct timespec ts;
	pthread_t th;
	char path[108];
	int lfd, sfd;

	lfd = listener(path, sizeof(path));
	ck_assert_int_eq(mmlog_open(path, "lk", 0, &c), 0);
	sfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(sfd, 0);
	ck_assert_int_eq(mmlog_set_timeout(c, 50), 0);
	/* The holder: this thread, for as long as it likes. */
	ck_assert_int_eq(pthread_mutex_lock(&c->mu), 0);
	w.c = c;
	w.r = 1;
	ck_assert_int_eq(pthread_create(&th, NULL, locked_write, &w), 0);
	ck_assert_int_eq(clock_gettime(CLOCK_REALTIME, &ts), 0);
	ts.tv_sec += 20;
	/* A generous bound: only "never returns" fails it. */
	ck_assert_int_eq(pthread_timedjoin_np(th, NULL, &ts), 0);
	ck_assert_int_eq(w.r, -ETIMEDOUT);
	ck_assert_int_eq(pthread_mutex_unlock(&c->mu), 0);
	drops_reported(c, sfd, 1);
	c = mmlog_close(c);
	(void)close(sfd);
	listener_done(lfd, path);
}
END_TEST

START_TEST(test_stats_of_no_handle)
{
	struct mmlog_stats st;

	memset(&st, 0xa5, sizeof(st));
	mmlog_get_stats(NULL, &st);
	ck_assert_uint_eq(st.sent, 0);
	ck_assert_uint_eq(st.dropped, 0);
	mmlog_get_stats(NULL, NULL);
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
	tcase_add_test(tc, test_stats_of_no_handle);
	suite_add_tcase(s, tc);
	tc = tcase_create("socket");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_writef_cuts_long_message);
	tcase_add_test(tc, test_perror_no_sigpipe);
	tcase_add_test(tc, test_close_reports_drops);
	tcase_add_test(tc, test_batch_emsgsize_counted);
	tcase_add_test(tc, test_lock_wait_bounded);
	suite_add_tcase(s, tc);
	return s;
}
