/*
 * control.c: the requests of the mmlog protocol that are not entries:
 * STATS (the daemon's counters, the ring's state, every transport's
 * counters) and the control operations CLEAR, ROTATE_ID and
 * RESET_COUNTERS, which only uid 0 or the daemon's own uid may ask for.
 * Part of the server (server_internal.h); loop thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>
#include <unistd.h>

#include "intake.h"
#include "log.h"
#include "ring.h"
#include "server_internal.h"
#include "sync.h"

void
mml_srv_stats(struct mml_conn *c, const struct mml_frame *f)
{
	struct mml_server *s = c->srv;
	struct mml_ring_state r;
	uint8_t buf[8192];
	size_t hl = sizeof(struct mml_frame_hdr), len;
	int n;

	struct mml_intake_counts *mc;

	/* This protocol's share of the counters per transport. */
	mc = mml_intake_counts(s->in, MML_TRANSPORT_MMLOG);
	mc->bytes = s->st.bytes;
	mc->errors = s->st.bad_frames;
	mc->lost = s->st.client_drops;
	mml_ring_get_state(s->ring, &r);
	mml_wire_hdr_init(buf, MML_FRAME_STATS_REPLY, 0, f->hdr.id);
	n = snprintf((char *)buf + hl, sizeof(buf) - hl,
	    "pid=%d\nclients=%u\nclients_accepted=%llu\nclients_refused=%llu\n"
	    "frames=%llu\nentries=%llu\nbytes=%llu\nbad_frames=%llu\n"
	    "client_drops=%llu\nsyncs=%llu\nsync_errors=%llu\n"
	    "sync_usec_last=%llu\nsync_usec_avg=%llu\nsync_usec_max=%llu\n"
	    "sync_state=%s\nacks=%llu\nappend_errors=%llu\nnext_seq=%llu\n"
	    "durable_seq=%llu\nsync_interval_ms=%u\nmax_entry=%zu\n"
	    "max_clients=%u\ncorrupt_bytes_skipped=%llu\nbus_errors=%llu\n"
	    "lost_seqs_at_start=%llu\nmax_fields=%u\nmax_pending=%u\n"
	    "idle_timeout_s=%u\nrate_limit_interval_ms=%u\n"
	    "rate_limit_burst=%u\nrate_limit_by=%s\nrate_suppressed=%llu\n"
	    "rate_senders=%u\ncontrol_ops=%llu\ncontrol_denied=%llu\n"
	    "clients_evicted=%llu\nmax_clients_per_uid=%u\n"
	    "reserved_clients=%u\nmax_pending_per_uid=%u\nuid_share=%u\n"
	    "uid_share_interval_s=%u\nshare_suppressed=%llu\nshare_uids=%u\n"
	    "drops_coalesced=%llu\n",
	    (int)getpid(), s->n_conns,
	    (unsigned long long)s->st.clients_accepted,
	    (unsigned long long)s->st.clients_refused,
	    (unsigned long long)s->st.frames,
	    (unsigned long long)mml_intake_total_entries(s->in),
	    (unsigned long long)s->st.bytes,
	    (unsigned long long)s->st.bad_frames,
	    (unsigned long long)s->st.client_drops,
	    (unsigned long long)s->st.syncs,
	    (unsigned long long)s->st.sync_errors,
	    (unsigned long long)s->st.sync_usec_last,
	    (unsigned long long)s->st.sync_usec_avg,
	    (unsigned long long)s->st.sync_usec_max,
	    s->sync_error ? "failing" : "ok",
	    (unsigned long long)s->st.acks,
	    (unsigned long long)s->st.append_errors,
	    (unsigned long long)r.next_seq,
	    (unsigned long long)r.durable_seq, s->opts.sync_interval_ms,
	    s->opts.limits.max_entry, s->opts.limits.max_clients,
	    (unsigned long long)r.corrupt_skips,
	    (unsigned long long)r.bus_errors,
	    (unsigned long long)r.lost_seqs, s->opts.limits.max_fields,
	    s->opts.limits.max_pending, s->opts.limits.idle_timeout_s,
	    s->opts.limits.rate_interval_ms, s->opts.limits.rate_burst,
	    s->opts.limits.rate_key == MML_RATE_BY_PID ? "pid" : "uid",
	    (unsigned long long)(mml_intake_total_suppressed(s->in) -
	    mml_intake_share_suppressed(s->in)),
	    mml_ratelimit_senders(s->rl),
	    (unsigned long long)s->st.control_ops,
	    (unsigned long long)s->st.control_denied,
	    (unsigned long long)s->st.clients_evicted,
	    s->opts.limits.max_clients_per_uid,
	    s->opts.limits.reserved_clients,
	    s->opts.limits.max_pending_per_uid, s->opts.limits.uid_share,
	    s->opts.limits.uid_share_interval_s,
	    (unsigned long long)mml_intake_share_suppressed(s->in),
	    mml_ratelimit_uids(s->rl),
	    (unsigned long long)s->st.drops_coalesced);
	if (n < 0 || (size_t)n >= sizeof(buf) - hl)
		n = 0;
	/* Then every transport's: "<transport>_entries=N", ... */
	len = hl + (size_t)n;
	mml_intake_stats(s->in, (char *)buf, sizeof(buf), &len);
	mml_wire_finish(buf, len);
	mml_srv_send(c, buf, len);
}

/*
 * Control operations need uid 0 or the daemon's own uid, as the kernel
 * reported the peer at connect time (SO_PEERCRED); nothing in a frame
 * can claim it.
 */
static int
control_allowed(const struct mml_conn *c)
{
	return c->uid == 0 || c->uid == geteuid();
}

/* Writes who did what to the ring, as the daemon's own record. */
static void
control_note(struct mml_conn *c, const char *msg, int n, const char *key,
    uint64_t value)
{
	struct mml_server *s = c->srv;

	if (n < 0)
		return;
	if (mml_ring_append_note(s->ring, (uint32_t)c->pid, (uint32_t)c->uid,
	    (uint32_t)c->gid, c->comm, c->comm_len, msg, (size_t)n, key,
	    value) < 0)
		s->st.append_errors++;
	mml_srv_want_sync(s, 1);
}

/*
 * ROTATE_ID past MML_RING_SEQ_RESTART: everything written is made
 * durable and every waiter answered first (on the loop, as at shutdown:
 * an operator's rare request), then the numbering restarts at 1 under
 * the new id.  Returns 0 or -errno.
 */
static int
restart_numbering(struct mml_server *s, const uint8_t id[16],
    uint64_t *ret_removed)
{
	struct mml_sync_job job;
	int r;

	mml_ring_sync_prepare(s->ring, &job);
	mml_ring_sync_run(s->ring, &job);
	mml_ring_sync_done(s->ring, &job);
	mml_srv_sync_done(NULL, &job, s);
	if (job.result < 0)
		return job.result;
	r = mml_ring_restart(s->ring, id, ret_removed);
	if (r < 0)
		return r;
	/* The server's marks of the old numbering go with it. */
	s->wait_seq = 0;
	s->job_seq = 0;
	return 0;
}

void
mml_srv_control(struct mml_conn *c, const struct mml_frame *f)
{
	struct mml_server *s = c->srv;
	struct mml_ring *ring = s->ring;
	char text[400], comm[4 * MML_COMM_MAX + 6], hex[33];
	const char *what;
	uint64_t removed = 0, last;
	uint8_t id[16];
	int r = 0, n, i;

	what = f->hdr.type == MML_FRAME_CLEAR ? "clear" :
	    f->hdr.type == MML_FRAME_ROTATE_ID ? "rotate-id" : "reset-counters";
	(void)mml_log_escape(comm, c->comm, c->comm_len, MML_COMM_MAX);
	if (!control_allowed(c)) {
		s->st.control_denied++;
		if (mml_srv_warn_ok(s))
			mml_log(LOG_WARNING, "client pid %d uid %d %s asked for "
			    "%s: not uid 0 or %d, refused", (int)c->pid,
			    (int)c->uid, comm, what, (int)geteuid());
		(void)snprintf(text, sizeof(text), "%s needs uid 0 or mmlogd's "
		    "uid %d; you are uid %d", what, (int)geteuid(),
		    (int)c->uid);
		mml_srv_error(c, f->hdr.id, EPERM, 0, text);
		return;
	}
	switch (f->hdr.type) {
	case MML_FRAME_CLEAR:
		last = mml_ring_next_seq(ring) - 1;
		r = mml_ring_clear(ring, &removed);
		if (r < 0)
			break;
		n = snprintf(text, sizeof(text), "ring cleared by uid %d pid %d "
		    "(%.*s): %llu entries up to seq %llu removed", (int)c->uid,
		    (int)c->pid, (int)c->comm_len, c->comm,
		    (unsigned long long)removed, (unsigned long long)last);
		control_note(c, text, n, "MMLOG_CLEARED", removed);
		mml_log(LOG_NOTICE, "ring cleared by uid %d pid %d %s: %llu "
		    "entries removed", (int)c->uid, (int)c->pid, comm,
		    (unsigned long long)removed);
		break;
	case MML_FRAME_ROTATE_ID:
		if (getrandom(id, sizeof(id), 0) != (ssize_t)sizeof(id)) {
			r = -(errno ? errno : EIO);
			break;
		}
		last = mml_ring_next_seq(ring) - 1;
		if (last + 1 >= MML_RING_SEQ_RESTART)
			r = restart_numbering(s, id, &removed);
		else
			r = mml_ring_rotate_id(ring, id);
		if (r < 0)
			break;
		for (i = 0; i < 16; i++)
			(void)snprintf(hex + 2 * i, 3, "%02x", id[i]);
		if (last + 1 >= MML_RING_SEQ_RESTART) {
			n = snprintf(text, sizeof(text), "ring id changed to %s "
			    "by uid %d pid %d (%.*s); its sequence numbers had "
			    "reached %llu, near the format's limit of 2^63: "
			    "numbering restarts at 1, and the %llu entries "
			    "before are no longer shown; cursors of the old id "
			    "no longer apply", hex, (int)c->uid, (int)c->pid,
			    (int)c->comm_len, c->comm, (unsigned long long)last,
			    (unsigned long long)removed);
			mml_log(LOG_NOTICE, "ring id changed to %s by uid %d pid "
			    "%d %s; numbering restarted at 1 after seq %llu (%llu "
			    "entries no longer shown)", hex, (int)c->uid,
			    (int)c->pid, comm, (unsigned long long)last,
			    (unsigned long long)removed);
		} else {
			n = snprintf(text, sizeof(text), "ring id changed to %s "
			    "by uid %d pid %d (%.*s); cursors of the old id no "
			    "longer apply", hex, (int)c->uid, (int)c->pid,
			    (int)c->comm_len, c->comm);
			mml_log(LOG_NOTICE, "ring id changed to %s by uid %d pid "
			    "%d %s", hex, (int)c->uid, (int)c->pid, comm);
		}
		control_note(c, text, n, "MMLOG_CONTROL_UID", (uint64_t)c->uid);
		break;
	default:
		memset(&s->st, 0, sizeof(s->st));
		mml_intake_reset_counters(s->in);
		mml_ring_reset_counters(ring);
		mml_log(LOG_NOTICE, "counters reset by uid %d pid %d %s",
		    (int)c->uid, (int)c->pid, comm);
		break;
	}
	if (r < 0) {
		(void)snprintf(text, sizeof(text), "%s failed: %s", what,
		    strerror(-r));
		mml_srv_error(c, f->hdr.id, -r, 0, text);
		return;
	}
	s->st.control_ops++;
	/* Done (and synced); seq is what is durable now, as for SYNC. */
	mml_srv_ack(c, f->hdr.id, 0, mml_ring_durable_seq(ring));
}
