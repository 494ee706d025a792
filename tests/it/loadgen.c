/*
 * loadgen.c: a test client.  Writes COUNT entries "TAG SEQ" through
 * libmmlogclient, optionally each acknowledged as durable, and prints
 * every acknowledged sequence number with its message (for the crash
 * tests) on stdout.
 *
 * usage: loadgen [-s SOCKET] [-t TAG] [-n COUNT] [-p PRIO] [-a] [-z SIZE]
 *   -a       ask for an ACK for every entry (MMLOG_WRITE_SYNC) and print
 *            "SEQ MESSAGE" for each
 *   -z SIZE  pad each message to SIZE bytes
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmlog.h"

int
main(int argc, char **argv)
{
	struct mmlog_client *c = NULL;
	const char *sock = NULL, *tag = "loadgen";
	char msg[70000];
	long i, count = 1000, size = 0;
	int ch, prio = MMLOG_INFO, ack = 0, r, len;
	uint64_t seq;

	while ((ch = getopt(argc, argv, "s:t:n:p:az:")) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 't': tag = optarg; break;
		case 'n': count = atol(optarg); break;
		case 'p': prio = atoi(optarg); break;
		case 'a': ack = 1; break;
		case 'z': size = atol(optarg); break;
		default:
			(void)fprintf(stderr, "usage: loadgen [-s SOCKET] [-t TAG] "
			    "[-n COUNT] [-p PRIO] [-a] [-z SIZE]\n");
			return 2;
		}
	}
	if (size < 0 || size > 65000)
		return 2;
	r = mmlog_open(sock, tag, 0, &c);
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
			}
		} else
			r = mmlog_write(c, prio, NULL, msg, (size_t)len);
		if (r < 0) {
			(void)fprintf(stderr, "loadgen: write %ld: %s\n", i,
			    strerror(-r));
			c = mmlog_close(c);
			return 1;
		}
	}
	r = mmlog_sync(c, &seq);
	c = mmlog_close(c);
	if (r < 0) {
		(void)fprintf(stderr, "loadgen: sync: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
