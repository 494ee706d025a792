/*
 * syslogc.c: a program that logs through glibc's syslog(3), as any
 * program on the machine does, to /dev/log (the test points /dev/log at
 * mmlogd's syslog socket in a mount namespace of its own).
 *
 * usage: syslogc TAG N
 * openlog(TAG, LOG_PID, LOG_LOCAL2), then N messages "syslog(3) I from
 * PID" at LOG_WARNING, one at LOG_CRIT; prints its pid, and lives on a
 * second (its comm is read from /proc when its datagrams are).
 */
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	long i, n;

	if (argc != 3)
		return 2;
	n = atol(argv[2]);
	openlog(argv[1], LOG_PID, LOG_LOCAL2);
	for (i = 1; i <= n; i++)
		syslog(LOG_WARNING, "syslog(3) %ld from %ld", i, (long)getpid());
	syslog(LOG_CRIT, "critical from %ld", (long)getpid());
	closelog();
	(void)printf("%ld\n", (long)getpid());
	(void)fflush(stdout);
	(void)sleep(1);
	return 0;
}
