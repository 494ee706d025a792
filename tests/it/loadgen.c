/*
 * loadgen.c: a test client.  Writes COUNT entries "TAG SEQ" through
 * libmmlogclient, optionally each acknowledged as durable, and prints
 * every acknowledged sequence number with its message (for the crash
 * tests) on stdout.
 *
 * usage: loadgen [-s SOCKET] [-t TAG] [-n COUNT] [-p PRIO] [-a] [-z SIZE]
 *                [-N] [-S]
 *   -a       ask for an ACK for every entry (MMLOG_WRITE_SYNC) and print
 *            "SEQ MESSAGE" for each, "SEQ truncated" for one the daemon
 *            stored cut to its --max-entry (MMLOG_TRUNCATED)
 *   -z SIZE  pad each message to SIZE bytes
 *   -N       non-blocking handle (MMLOG_NONBLOCK): an entry that would
 *            block is dropped and counted, loadgen waits a millisecond
 *            and goes on; before the final sync it prints "sent S
 *            dropped D pending P" on stderr from mmlog_get_stats()
 *   -S       no final sync barrier: exit once every entry was handed to
 *            the kernel (for tests where syncs stall or fail)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mmlog.h"

int
main(int argc, char **argv)
{
	struct mmlog_client *c = NULL;
	const char *sock = NULL, *tag = "loadgen";
	char msg[70000];
	long i, count = 1000, size = 0;
	const struct timespec ms = { 0, 1000000 };
	struct mmlog_stats st;
	int ch, prio = MMLOG_INFO, ack = 0, r, len, nonblock = 0, nosync = 0;
	uint64_t seq;

	while ((ch = getopt(argc, argv, "s:t:n:p:az:NS")) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 't': tag = optarg; break;
		case 'n': count = atol(optarg); break;
		case 'p': prio = atoi(optarg); break;
		case 'a': ack = 1; break;
		case 'z': size = atol(optarg); break;
		case 'N': nonblock = 1; break;
		case 'S': nosync = 1; break;
		default:
			(void)fprintf(stderr, "usage: loadgen [-s SOCKET] [-t TAG] "
			    "[-n COUNT] [-p PRIO] [-a] [-z SIZE] [-N] [-S]\n");
			return 2;
		}
	}
	if (size < 0 || size > 65000)
		return 2;
	r = mmlog_open(sock, tag, nonblock ? MMLOG_NONBLOCK : 0, &c);
	if (r < 0) {
		(void)fprintf(stderr, "loadgen: open: %s\n", strerror(-r));
		return 1;
	}
	for (i = 1; i <= count; i++) {
		len = snprintf(msg, sizeof(msg), "%s %ld", tag, i);
		if (size > len) {
			memset(msg + len, 'x', (size_t)(size - len));
			len = (int)size;
		}
		if (ack) {
			r = mmlog_write_durable(c, prio, NULL, msg, (size_t)len,
			    &seq);
			if (r == 0) {
				(void)printf("%llu %.*s\n",
				    (unsigned long long)seq, len, msg);
				(void)fflush(stdout);
			} else if (r == MMLOG_TRUNCATED) {
				/* Stored cut to the daemon's --max-entry. */
				(void)printf("%llu truncated\n",
				    (unsigned long long)seq);
				(void)fflush(stdout);
			}
		} else
			r = mmlog_write(c, prio, NULL, msg, (size_t)len);
		if (r == -EAGAIN && nonblock) {
			(void)nanosleep(&ms, NULL);
			continue;
		}
		if (r < 0) {
			(void)fprintf(stderr, "loadgen: write %ld: %s\n", i,
			    strerror(-r));
			c = mmlog_close(c);
			return 1;
		}
	}
	if (nonblock) {
		mmlog_get_stats(c, &st);
		(void)fprintf(stderr, "sent %llu dropped %llu pending %llu\n",
		    (unsigned long long)st.sent, (unsigned long long)st.dropped,
		    (unsigned long long)st.pending_drops);
	}
	if (nosync) {
		c = mmlog_close(c);
		return 0;
	}
	r = mmlog_sync(c, &seq);
	/* A non-blocking sync may find the socket still full: try again. */
	for (i = 0; nonblock && r == -EAGAIN && i < 10000; i++) {
		(void)nanosleep(&ms, NULL);
		r = mmlog_sync(c, &seq);
	}
	c = mmlog_close(c);
	if (r < 0) {
		(void)fprintf(stderr, "loadgen: sync: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
