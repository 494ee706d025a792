/*
 * uids.c: the server's connections counted per uid, so that no uid can
 * crowd out the others: at most --max-clients-per-uid each, a reserve
 * of the table for root and mmlogd's uid, and when the table is full
 * the uid that holds the most makes room (its least recently active
 * connection is closed, after what it sent is stored).  A client
 * refused is told why, and what it had queued is counted as lost.
 * Part of the server (server_internal.h); loop thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ratelimit.h"
#include "ring.h"
#include "server_internal.h"
#include "util.h"

static int conn_evict(struct mml_server *, struct uid_use *, uid_t);

/* The uid's entry in the table, or NULL if it has no connection. */
static struct uid_use *
uid_find(const struct mml_server *s, uid_t uid)
{
	struct uid_use *u;

	for (u = s->uids[(uint32_t)uid % UID_HASH]; u != NULL; u = u->next)
		if (u->uid == uid)
			return u;
	return NULL;
}

/* The uid's entry, made if new; NULL only when out of memory. */
struct uid_use *
mml_srv_uid_get(struct mml_server *s, uid_t uid)
{
	struct uid_use *u = uid_find(s, uid);
	unsigned h = (uint32_t)uid % UID_HASH;

	if (u != NULL)
		return u;
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return NULL;
	u->uid = uid;
	u->priv = mml_rate_privileged(uid);
	u->next = s->uids[h];
	s->uids[h] = u;
	return u;
}

/* Forgets a uid whose last connection went. */
void
mml_srv_uid_put(struct mml_server *s, struct uid_use *u)
{
	struct uid_use **pp;

	if (u->n_conns > 0)
		return;
	for (pp = &s->uids[(uint32_t)u->uid % UID_HASH]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			break;
		}
	free(u);
}

/*
 * Connections uids other than root and ours may hold together: all but
 * the reserve, which is at most half the table.
 */
static unsigned
unpriv_cap(const struct mml_limits *l)
{
	unsigned reserve = l->reserved_clients < l->max_clients / 2 ?
	    l->reserved_clients : l->max_clients / 2;

	return l->max_clients - reserve;
}

/*
 * The uid whose connection makes room for one of uid (which holds mine
 * now): the one that holds the most, if it would still hold at least
 * as many as uid after the move.  An unprivileged uid may only displace
 * another unprivileged one; root or mmlogd's uid displaces an
 * unprivileged uid first.
 */
static struct uid_use *
evict_victim(const struct mml_server *s, uid_t uid, int priv, unsigned mine)
{
	struct uid_use *u, *best = NULL;
	unsigned h;

	for (h = 0; h < UID_HASH; h++)
		for (u = s->uids[h]; u != NULL; u = u->next) {
			if (u->uid == uid || (u->priv && !priv))
				continue;
			if (best == NULL || (best->priv && !u->priv) ||
			    (best->priv == u->priv &&
			    u->n_conns > best->n_conns))
				best = u;
		}
	if (best == NULL || best->n_conns < mine + 2)
		return NULL;
	return best;
}

/*
 * Whether a client of uid may come in now (mml_server_add_client()),
 * after making room if the table is full.  Returns 0, or -EUSERS with
 * why the client is refused in why.
 */
int
mml_srv_admit(struct mml_server *s, uid_t uid, char *why, size_t why_len)
{
	const struct mml_limits *l = &s->opts.limits;
	struct uid_use *u = uid_find(s, uid), *v;
	int priv = mml_rate_privileged(uid);
	unsigned mine = u != NULL ? u->n_conns : 0;

	if (!priv && mine >= l->max_clients_per_uid) {
		(void)snprintf(why, why_len, "too many clients: uid %d has %u "
		    "connections (--max-clients-per-uid)", (int)uid, mine);
		return -EUSERS;
	}
	if (s->n_conns < l->max_clients &&
	    (priv || s->n_unpriv < unpriv_cap(l)))
		return 0;
	v = evict_victim(s, uid, priv, mine);
	if (v == NULL && s->n_conns < l->max_clients) {
		(void)snprintf(why, why_len, "too many clients (%u of uids "
		    "other than root and mmlogd's, --max-clients %u with "
		    "--reserved-clients %u); try again later", s->n_unpriv,
		    l->max_clients, l->max_clients - unpriv_cap(l));
		return -EUSERS;
	}
	if (v == NULL || conn_evict(s, v, uid) < 0) {
		(void)snprintf(why, why_len, "too many clients (%u connected, "
		    "--max-clients %u); try again later", s->n_conns,
		    l->max_clients);
		return -EUSERS;
	}
	return 0;
}

/*
 * Closes the least recently active connection of v, preferably one no
 * ACK is due on, to make room for one of uid: it is told why, and what
 * it had sent is read and stored first (mml_srv_read()).  Returns 0, or
 * -ENOENT if v has none to close.
 */
static int
conn_evict(struct mml_server *s, struct uid_use *v, uid_t uid)
{
	struct mml_conn *c, *lru = NULL;
	char text[200];

	for (c = v->conns; c != NULL; c = c->unext) {
		if (c->closing)
			continue;
		if (lru == NULL || (lru->n_acks > 0 && c->n_acks == 0) ||
		    ((lru->n_acks > 0) == (c->n_acks > 0) &&
		    c->last_active < lru->last_active))
			lru = c;
	}
	if (lru == NULL)
		return -ENOENT;
	s->st.clients_evicted++;
	if (mml_srv_warn_ok(s))
		mml_log(LOG_WARNING, "client table full: closing the least "
		    "recently active connection of uid %d (pid %d), which holds "
		    "the most (%u), to let uid %d in", (int)v->uid,
		    (int)lru->pid, v->n_conns, (int)uid);
	(void)snprintf(text, sizeof(text), "connection closed to make room "
	    "for another user: uid %d holds the most connections (%u); too "
	    "many clients", (int)v->uid, v->n_conns);
	mml_srv_error(lru, 0, EUSERS, 0, text);
	lru->closing = 1;
	(void)mml_srv_read(lru, 0);
	return 0;
}

/*
 * A refused client may have sent entries before we got to it: they
 * would vanish with the connection.  Count the ones already queued and
 * record the count, so the loss is not silent.  (Later sends fail with
 * EPIPE, and the client library counts those itself.)  The count goes
 * through the uid's drop notes, as a client's own would.
 */
static void
refuse_count_lost(struct mml_server *s, int fd, const struct ucred *cred)
{
	struct mml_rate_sender who;
	struct mml_frame f;
	uint64_t lost = 0;
	char msg[160];
	ssize_t n;
	int i, m;

	/*
	 * Bounded by the client's send buffer (no more can come: SHUT_RD),
	 * a few hundred small frames at most; 1024 reads is the cap.
	 */
	for (i = 0; i < 1024; i++) {
		n = recv(fd, s->rbuf[0], MML_FRAME_MAX, MSG_DONTWAIT);
		/*
		 * ECONNRESET: the client left with our ERROR unread; the
		 * kernel says so once, before the frames still queued.
		 */
		if (n < 0 && (errno == ECONNRESET || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		if (mml_wire_decode(s->rbuf[0], (size_t)n, 1, &f, NULL) == 0 &&
		    f.hdr.type == MML_FRAME_ENTRIES)
			lost += f.n_entries + (f.dropped > MML_WIRE_DROPPED_MAX ?
			    MML_WIRE_DROPPED_MAX : f.dropped);
	}
	if (lost == 0)
		return;
	s->st.client_drops += lost;
	who.pid = cred->pid;
	who.uid = cred->uid;
	who.gid = cred->gid;
	who.comm = "";
	who.comm_len = 0;
	m = snprintf(msg, sizeof(msg), "client pid %d was refused (too many "
	    "clients); %llu entries it had sent are lost", (int)cred->pid,
	    (unsigned long long)lost);
	lost = mml_ratelimit_drops(s->rl, &who, lost,
	    mml_disk_rec_size(0, 6, (size_t)m, 32), mml_now_usec(CLOCK_MONOTONIC));
	if (lost == 0) {
		s->st.drops_coalesced++;
		mml_srv_rate_timer_want(s);
		return;
	}
	if (mml_ring_append_note(s->ring, (uint32_t)cred->pid,
	    (uint32_t)cred->uid, (uint32_t)cred->gid, "", 0, msg, (size_t)m,
	    "MMLOG_DROPPED", lost) < 0)
		s->st.append_errors++;
}

/*
 * Refuses the client at fd: it is told why (ERROR, EUSERS, id 0), what
 * it had queued is counted, and the connection is closed.  Accepting
 * goes on: a uid refused for holding too much must not keep the listen
 * queue full for everyone else, and accept_cb() takes at most 64 per
 * turn, so the loop still serves the other clients.
 */
void
mml_srv_refuse(struct mml_server *s, int fd, const struct ucred *cred,
    const char *why)
{
	uint8_t buf[512];
	size_t n;

	s->st.clients_refused++;
	n = mml_wire_error(buf, sizeof(buf), 0, EUSERS, 0, why);
	(void)send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	/*
	 * Nothing more may come in (the client's sends fail with EPIPE),
	 * so what is queued is all read below: a Unix socket closed with
	 * unread data gives its peer ECONNRESET, which its next read
	 * returns before our ERROR, and the client would never learn why.
	 */
	(void)shutdown(fd, SHUT_RD);
	refuse_count_lost(s, fd, cred);
	(void)close(fd);
	if (mml_srv_warn_ok(s))
		mml_log(LOG_WARNING, "refusing a client of uid %d pid %d: %s",
		    (int)cred->uid, (int)cred->pid, why);
}
