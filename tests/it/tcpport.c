/*
 * tcpport.c: TCP ports on 127.0.0.1 for the forwarding tests.
 *
 *	tcpport free		prints a port nobody listens on now (the
 *				kernel's choice for a bind to port 0)
 *	tcpport up PORT		exits 0 if something accepts connections
 *				on PORT, 1 if not
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("socket");
		return 2;
	}
	if (argc == 2 && strcmp(argv[1], "free") == 0) {
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
			perror("bind");
			return 2;
		}
		printf("%u\n", (unsigned)ntohs(sa.sin_port));
		(void)close(fd);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "up") == 0) {
		sa.sin_port = htons((uint16_t)atoi(argv[2]));
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		(void)close(fd);
		return r == 0 ? 0 : 1;
	}
	fprintf(stderr, "usage: tcpport free | tcpport up PORT\n");
	return 2;
}
