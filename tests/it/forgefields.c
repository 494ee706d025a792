/*
 * forgefields.c: a client that tries to make its entries claim another
 * identity, for t_forge_fields.  Over one raw connection (no library,
 * which would refuse to encode these) it sends one ENTRIES frame with
 * F_SYNC per case and prints what the daemon answered:
 *
 *   pid PID                          first line: its own kernel pid
 *   NAME acked SEQ                   stored as entry SEQ
 *   NAME error reason=R errno=E      refused
 *   NAME sendmsg errno=E             the kernel refused to send it
 *
 * Each entry's message is "forge NAME".  Cases: fields named _PID, _UID,
 * _COMM, _SYSTEMD_UNIT, _EXE (after a valid one), __REALTIME_TIMESTAMP,
 * SYSLOG_PID, a lower-case _pid, a field PID (no underscore: an ordinary
 * field), a second item hiding "_PID" after a valid one, and
 * SCM_CREDENTIALS claiming pid 1, uid 0 (which the kernel refuses unless
 * we are root, and the daemon never reads).
 *
 * usage: forgefields SOCKET
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "wire.h"

struct fcase {
	const char *name;
	const char *items[2];	/* raw "KEY=VALUE" items */
	int creds;		/* attach SCM_CREDENTIALS pid 1 uid 0 */
};

static const struct fcase cases[] = {
	{ "pid_field", { "_PID=1", NULL }, 0 },
	{ "uid_field", { "_UID=0", NULL }, 0 },
	{ "comm_field", { "_COMM=sshd", NULL }, 0 },
	{ "unit_field", { "_SYSTEMD_UNIT=sshd.service", NULL }, 0 },
	{ "exe_field", { "GOOD=1", "_EXE=/usr/sbin/sshd" }, 0 },
	{ "realtime_field", { "__REALTIME_TIMESTAMP=0", NULL }, 0 },
	{ "syslog_pid", { "SYSLOG_PID=1", NULL }, 0 },
	{ "lower_pid", { "_pid=1", NULL }, 0 },
	{ "second_item", { "GOOD=1", "_PID=1" }, 0 },
	{ "plain_pid", { "PID=1", NULL }, 0 },
	{ "scm_creds", { "GOOD=1", NULL }, 1 },
	{ "clean", { NULL, NULL }, 0 },
};

/* Appends one raw item, whatever its key. */
static size_t
item_put(uint8_t *p, const char *item)
{
	uint32_t n = (uint32_t)strlen(item);

	memcpy(p, &n, 4);
	memcpy(p + 4, item, n);
	return 4 + n;
}

static int
one(int fd, const struct fcase *c, uint32_t id)
{
	uint8_t buf[1024], reply[512], fields[256];
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct ucred))];
	} cb;
	struct mml_entry_hdr eh;
	struct mml_error_body err;
	struct mml_ack_body ack;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cm;
	struct ucred uc;
	char msg[64];
	size_t len, flen = 0;
	ssize_t n;
	int i;

	for (i = 0; i < 2 && c->items[i] != NULL; i++)
		flen += item_put(fields + flen, c->items[i]);
	(void)snprintf(msg, sizeof(msg), "forge %s", c->name);
	len = mml_wire_entries_init(buf, MML_FRAME_F_SYNC, id, 0);
	memset(&eh, 0, sizeof(eh));
	eh.priority = 6;
	eh.tag_len = 4;
	eh.msg_len = (uint32_t)strlen(msg);
	eh.fields_len = (uint32_t)flen;
	eh.len = (uint32_t)(sizeof(eh) + 4 + strlen(msg) + flen);
	memcpy(buf + len, &eh, sizeof(eh));
	len += sizeof(eh);
	memcpy(buf + len, "sshd", 4);
	len += 4;
	memcpy(buf + len, msg, strlen(msg));
	len += strlen(msg);
	memcpy(buf + len, fields, flen);
	len += flen;
	mml_wire_finish(buf, len);

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (c->creds) {
		memset(&cb, 0, sizeof(cb));
		mh.msg_control = cb.b;
		mh.msg_controllen = sizeof(cb.b);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_CREDENTIALS;
		cm->cmsg_len = CMSG_LEN(sizeof(uc));
		uc.pid = 1;
		uc.uid = 0;
		uc.gid = 0;
		memcpy(CMSG_DATA(cm), &uc, sizeof(uc));
	}
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0) {
		printf("%s sendmsg errno=%d\n", c->name, errno);
		/* Without the credentials, the same entry. */
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0) {
			perror("sendmsg");
			return -1;
		}
	}
	n = recv(fd, reply, sizeof(reply), 0);
	if (n < (ssize_t)sizeof(struct mml_frame_hdr)) {
		fprintf(stderr, "%s: no reply (%zd)\n", c->name, n);
		return -1;
	}
	if (reply[5] == MML_FRAME_ACK && n >= 32) {
		memcpy(&ack, reply + 16, sizeof(ack));
		printf("%s acked %llu\n", c->name, (unsigned long long)ack.seq);
	} else if (reply[5] == MML_FRAME_ERROR && n >= 24) {
		memcpy(&err, reply + 16, sizeof(err));
		printf("%s error reason=%u errno=%d\n", c->name, err.reason,
		    err.error);
	} else {
		fprintf(stderr, "%s: reply type 0x%02x\n", c->name, reply[5]);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sa;
	size_t i;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: forgefields SOCKET\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("connect");
		return 1;
	}
	printf("pid %d\n", (int)getpid());
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (one(fd, &cases[i], (uint32_t)i + 1) < 0)
			return 1;
	(void)close(fd);
	return 0;
}
