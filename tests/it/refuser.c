/*
 * refuser.c: a collector for the forwarding tests that refuses one
 * chosen message, again and again, as a collector with a poison entry
 * does.  It speaks just enough RELP, or HTTP/1.1 as systemd-journal-
 * remote's /upload, to mmlog-forward, one connection at a time.
 *
 *	refuser relp|http PORT OUT MARKER
 *
 * It listens on 127.0.0.1:PORT.  A RELP "syslog" frame or an HTTP body
 * holding the bytes MARKER is refused ("500 refused" in RELP, "400 Bad
 * Request" in HTTP) and a line "refused" goes to OUT.refusals; anything
 * else is appended to OUT (RELP: one message a line; HTTP: the body as
 * it came) and confirmed ("200 OK", "202 Accepted").  Runs until
 * killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_MAX		(8u << 20)

static const char *out_path;
static char refusals_path[4096];
static const char *marker;
static char *buf;
static size_t buf_len;

static void
append(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, p, len) != (ssize_t)len) {
		perror(path);
		exit(1);
	}
	(void)close(fd);
}

static int
has_marker(const char *p, size_t len)
{
	return memmem(p, len, marker, strlen(marker)) != NULL;
}

static void
put(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* Reads more into buf; returns 0 at the end of the connection. */
static int
fill(int fd)
{
	ssize_t n;

	if (buf_len == BUF_MAX)
		return 0;
	n = recv(fd, buf + buf_len, BUF_MAX - buf_len, 0);
	if (n <= 0)
		return 0;
	buf_len += (size_t)n;
	return 1;
}

static void
consume(size_t n)
{
	memmove(buf, buf + n, buf_len - n);
	buf_len -= n;
}

/* One RELP session: "TXNR CMD LEN[ DATA]\n" frames. */
static void
relp(int fd)
{
	static const char offers[] = "200 OK\nrelp_version=0\n"
	    "commands=syslog";
	char rsp[256], cmd[40];
	unsigned long txnr, dlen;
	char *sp, *data;
	int n, off;

	for (;;) {
		buf[buf_len] = '\0';
		sp = memchr(buf, '\n', buf_len);
		if (sscanf(buf, "%lu %39[a-z] %lu%n", &txnr, cmd, &dlen, &off)
		    != 3 || (size_t)off >= buf_len) {
			if (buf_len > 100 && sp == NULL)
				return;
			if (!fill(fd))
				return;
			continue;
		}
		data = buf + off + (buf[off] == ' ' ? 1 : 0);
		if ((size_t)(data - buf) + dlen + 1 > buf_len) {
			if (!fill(fd))
				return;
			continue;
		}
		if (strcmp(cmd, "open") == 0)
			n = snprintf(rsp, sizeof(rsp), "%lu rsp %zu %s\n", txnr,
			    sizeof(offers) - 1, offers);
		else if (strcmp(cmd, "syslog") == 0 &&
		    has_marker(data, dlen)) {
			append(refusals_path, "refused\n", 8);
			n = snprintf(rsp, sizeof(rsp), "%lu rsp 11 500 refused\n",
			    txnr);
		} else if (strcmp(cmd, "syslog") == 0) {
			append(out_path, data, dlen);
			append(out_path, "\n", 1);
			n = snprintf(rsp, sizeof(rsp), "%lu rsp 6 200 OK\n",
			    txnr);
		} else {
			n = snprintf(rsp, sizeof(rsp), "%lu rsp 6 200 OK\n",
			    txnr);
			put(fd, rsp, (size_t)n);
			return;		/* close */
		}
		put(fd, rsp, (size_t)n);
		consume((size_t)(data - buf) + dlen + 1);
	}
}

/* HTTP/1.1 requests with a Content-Length, kept alive. */
static void
http(int fd)
{
	static const char yes[] = "HTTP/1.1 202 Accepted\r\n"
	    "Content-Length: 4\r\n\r\nOK.\n";
	static const char no[] = "HTTP/1.1 400 Bad Request\r\n"
	    "Content-Length: 8\r\n\r\nrefused\n";
	char *end, *cl;
	size_t hlen, blen;

	for (;;) {
		buf[buf_len < BUF_MAX ? buf_len : BUF_MAX - 1] = '\0';
		end = memmem(buf, buf_len, "\r\n\r\n", 4);
		if (end == NULL) {
			if (!fill(fd))
				return;
			continue;
		}
		hlen = (size_t)(end - buf) + 4;
		*end = '\0';
		cl = strcasestr(buf, "\r\nContent-Length:");
		blen = cl != NULL ? strtoul(cl + 17, NULL, 10) : 0;
		*end = '\r';
		while (buf_len < hlen + blen)
			if (!fill(fd))
				return;
		if (has_marker(buf + hlen, blen)) {
			append(refusals_path, "refused\n", 8);
			put(fd, no, sizeof(no) - 1);
		} else {
			append(out_path, buf + hlen, blen);
			put(fd, yes, sizeof(yes) - 1);
		}
		consume(hlen + blen);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	int lfd, fd, is_http;

	if (argc != 5 || (strcmp(argv[1], "relp") != 0 &&
	    strcmp(argv[1], "http") != 0)) {
		fprintf(stderr, "usage: refuser relp|http PORT OUT MARKER\n");
		return 2;
	}
	is_http = strcmp(argv[1], "http") == 0;
	out_path = argv[3];
	marker = argv[4];
	(void)snprintf(refusals_path, sizeof(refusals_path), "%s.refusals",
	    out_path);
	buf = malloc(BUF_MAX + 1);
	if (buf == NULL)
		return 1;
	(void)signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 },
	    sizeof(int)) < 0 || bind(lfd, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0 || listen(lfd, 8) < 0) {
		perror("listen");
		return 1;
	}
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("accept");
			return 1;
		}
		buf_len = 0;
		if (is_http)
			http(fd);
		else
			relp(fd);
		(void)close(fd);
	}
}
