/*
 * intake.c: the one submit path of every transport (intake.h).  An
 * intake parses what its peer sent into a struct mml_ent; from there on
 * every entry meets the same rules, in this order: cut to --max-entry,
 * the rate limit, the daemon's own fields, the ring, the counters.
 *
 * Loop thread only.  Nothing here trusts the entry: its sizes are
 * checked against the limits, and the fields the daemon adds (whose
 * names start with '_') are written here and nowhere else, after every
 * byte the sender chose, or kept in the sender's metadata (meta.h),
 * which the ring stores once in a slot that the record names.
 *
 * The metadata is kept here too, for every intake: the host's facts
 * (read once), the metadata of each transport with no sender (pid 0),
 * a per-pid cache for each datagram transport, and the pool of what
 * connections hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "intake.h"
#include "log.h"
#include "meta.h"
#include "ratelimit.h"
#include "ring.h"
#include "server.h"
#include "util.h"
#include "wire.h"

/* Peer-triggered warnings allowed per second before they are muted. */
#define WARN_BURST	10
/*
 * Senders whose comm is cached, in sets of COMM_WAYS (a pid may be in
 * any slot of its set: senders whose pids share a set do not evict each
 * other, which would read /proc for every datagram), and how long a
 * cached comm is trusted.
 */
#define COMM_CACHE	256
#define COMM_WAYS	4
#define COMM_TTL_USEC	1000000
/* A datagram socket's receive buffer (systemd's ReceiveBuffer=8M). */
#define DGRAM_RCVBUF	(8 * 1024 * 1024)

struct comm_slot {
	pid_t		 pid;
	uid_t		 uid;
	gid_t		 gid;
	uint8_t		 comm_len;
	char		 comm[MML_COMM_MAX];
	uint64_t	 read_usec;	/* CLOCK_MONOTONIC; 0: empty */
};

struct mml_intake {
	struct mml_ring		*ring;
	struct mml_ratelimit	*rl;
	void			(*urgent)(void *);
	void			*arg;
	struct mml_limits	 limits;
	uint64_t		 rt;		/* mml_intake_clock() */
	uint64_t		 mono;
	uint64_t		 share_suppressed; /* of all suppressed */
	struct mml_intake_counts count[MML_TRANSPORT_MAX];
	uint64_t		 warn_window;	/* CLOCK_MONOTONIC usec */
	unsigned		 warn_count;
	uint64_t		 warn_muted;
	struct comm_slot	 comm[COMM_CACHE];
	/* The metadata (intake.h): host, per transport, held. */
	struct mml_meta_host	 host;
	struct mml_meta		 bare[MML_TRANSPORT_MAX];
	struct mml_meta_cache	*cache[MML_TRANSPORT_MAX];
	struct mml_meta_pool	*pool;
	struct mml_meta		 scratch;	/* gathered, before the pool */
	/*
	 * The fields of an entry whose own buffer cannot take what must be
	 * written (an mmlog frame, read-only; a small buffer to be cut):
	 * any entry's fields once cut, and the trusted fields after them.
	 */
	uint8_t			 fields[MML_FRAME_MAX + MML_INTAKE_TRUSTED_MAX];
};

static const char *const transport_names[MML_TRANSPORT_MAX] = {
	"mmlog", "syslog", "journal", "stdout", "kernel",
};

static size_t	entry_max(const struct mml_intake *);
static void	own_fields(struct mml_intake *, struct mml_ent *);
static void	rate_sender(const struct mml_sender *,
		    struct mml_rate_sender *);
static int	admit(struct mml_intake *, enum mml_transport,
		    const struct mml_sender *, uint64_t);
static struct mml_meta_cache *cache_of(struct mml_intake *,
		    enum mml_transport);
static int	trusted_fields(struct mml_intake *, struct mml_ent *,
		    const uint8_t *, size_t);
static struct comm_slot *comm_find(struct mml_intake *, pid_t);

const char *
mml_transport_name(enum mml_transport t)
{
	return (unsigned)t < MML_TRANSPORT_MAX ? transport_names[t] : "?";
}

void
mml_sender_read_comm(struct mml_sender *s)
{
	char path[64], buf[64];
	ssize_t n;
	int fd;

	s->comm_len = 0;
	if (s->pid <= 0)
		return;
	(void)snprintf(path, sizeof(path), "/proc/%d/comm", (int)s->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	(void)close(fd);
	if (n <= 0)
		return;
	if (buf[n - 1] == '\n')
		n--;
	if (n > MML_COMM_MAX)
		n = MML_COMM_MAX;
	memcpy(s->comm, buf, (size_t)n);
	s->comm_len = (uint8_t)n;
}

struct mml_intake *
mml_intake_new(struct mml_ring *r, struct mml_ratelimit *rl,
    void (*urgent)(void *), void *arg)
{
	struct mml_intake *in;
	uint8_t boot[16];
	int t;

	in = calloc(1, sizeof(*in));
	if (in == NULL)
		return NULL;
	in->pool = mml_meta_pool_new();
	if (in->pool == NULL) {
		free(in);
		return NULL;
	}
	in->ring = r;
	in->rl = rl;
	in->urgent = urgent;
	in->arg = arg;
	mml_limits_default(&in->limits);
	mml_intake_clock(in);
	/* The ring's notion of the boot, the test's too (ring.h). */
	mml_boot_id(boot);
	mml_meta_host_init(&in->host, boot);
	for (t = 0; t < MML_TRANSPORT_MAX; t++)
		(void)mml_meta_gather(&in->host, 0, transport_names[t], NULL,
		    &in->bare[t], NULL);
	return in;
}

struct mml_intake *
mml_intake_free(struct mml_intake *in)
{
	int t;

	if (in == NULL)
		return NULL;
	for (t = 0; t < MML_TRANSPORT_MAX; t++)
		in->cache[t] = mml_meta_cache_free(in->cache[t]);
	in->pool = mml_meta_pool_free(in->pool);
	free(in);
	return NULL;
}

void
mml_intake_set_limits(struct mml_intake *in, const struct mml_limits *l)
{
	in->limits = *l;
}

const struct mml_limits *
mml_intake_limits(const struct mml_intake *in)
{
	return &in->limits;
}

void
mml_intake_clock(struct mml_intake *in)
{
	in->rt = mml_now_usec(CLOCK_REALTIME);
	in->mono = mml_now_usec(CLOCK_MONOTONIC);
}

/*
 * What the sender chose may take --max-entry, and never so much that
 * the record outgrows a frame with the trusted fields.
 */
static size_t
entry_max(const struct mml_intake *in)
{
	if (in->limits.max_entry > MML_FRAME_MAX - MML_INTAKE_TRUSTED_MAX)
		return MML_FRAME_MAX - MML_INTAKE_TRUSTED_MAX;
	return in->limits.max_entry;
}

/*
 * Makes the intake's buffer hold e's fields, with all its room, so that
 * they can be cut in place and have the trusted fields appended.  The
 * fields are at most MML_FRAME_MAX bytes here (mml_intake_submit()).
 */
static void
own_fields(struct mml_intake *in, struct mml_ent *e)
{
	/* Never the case (see the callers): left as it is, refused later. */
	if (e->fields == in->fields || e->fields_len > sizeof(in->fields))
		return;
	if (e->fields_len > 0)
		memcpy(in->fields, e->fields, e->fields_len);
	e->fields = in->fields;
	e->fields_cap = sizeof(in->fields);
}

static void
rate_sender(const struct mml_sender *who, struct mml_rate_sender *ret)
{
	ret->pid = who->pid;
	ret->uid = who->uid;
	ret->gid = who->gid;
	ret->comm = who->comm;
	ret->comm_len = who->comm_len;
}

/*
 * Whether who may store one more entry of `bytes` in the ring now: its
 * rate limit, then its uid's share of the ring (mml_ratelimit_share(),
 * charged the record's size), the same for every transport, so that no
 * transport is a way around them.  The kernel's records have no sender
 * (they would share uid 0's window) and it limits itself, as journald
 * does.
 */
static int
admit(struct mml_intake *in, enum mml_transport t,
    const struct mml_sender *who, uint64_t bytes)
{
	struct mml_rate_sender rs;
	struct mml_rate_window *w;

	if (t == MML_TRANSPORT_KERNEL)
		return 1;
	rate_sender(who, &rs);
	if (in->limits.rate_interval_ms > 0) {
		w = mml_ratelimit_window(in->rl, mml_ratelimit_key(in->rl, &rs),
		    &rs, in->mono);
		/* No memory for a window: unlimited, not silent. */
		if (w != NULL && !mml_ratelimit_pass(in->rl, w, in->mono))
			return 0;
	}
	if (!mml_ratelimit_share(in->rl, &rs, bytes, in->mono)) {
		in->share_suppressed++;
		return 0;
	}
	return 1;
}

/*
 * The intake's own trusted fields (a stream's _STREAM_ID), after
 * everything the sender chose.  The sender's metadata (_TRANSPORT,
 * _EXE, ...) is not among them: the ring keeps it in a slot the record
 * names (mml_intake_submit()).  Returns 0, or -ENOBUFS if they do not
 * fit (they always do within MML_INTAKE_TRUSTED_MAX).
 */
static int
trusted_fields(struct mml_intake *in, struct mml_ent *e,
    const uint8_t *trusted, size_t trusted_len)
{
	if (trusted_len == 0)
		return 0;
	if (e->fields_cap - e->fields_len < trusted_len)
		own_fields(in, e);
	if (e->fields_cap - e->fields_len < trusted_len)
		return -ENOBUFS;
	memcpy(e->fields + e->fields_len, trusted, trusted_len);
	e->fields_len += trusted_len;
	return 0;
}

/*
 * mml_intake_submit(), inline in it and in mml_intake_submit_frame(),
 * where what is the same for a whole frame (the transport, no trusted
 * fields of the intake's own) is then known once.
 */
__attribute__((always_inline))
static inline int
submit(struct mml_intake *in, enum mml_transport t,
    const struct mml_sender *who, struct mml_ent *e,
    const uint8_t *trusted, size_t trusted_len, uint64_t *ret_seq)
{
	struct mml_intake_counts *c = &in->count[t];
	const struct mml_meta *meta;
	struct mml_rate_sender rs;
	struct mml_rec_hdr h;
	uint64_t seq = 0, charged, size;
	size_t max;
	int cut = 0, r;

	if (trusted_len > MML_INTAKE_TRUSTED_MAX - 32)
		trusted_len = 0;
	meta = who->meta != NULL ? who->meta : &in->bare[t];
	max = entry_max(in);
	if (e->cut || mml_ent_size(e) > max) {
		/* Room for the cut's note, whatever the caller's buffer. */
		if (e->fields_cap < max)
			own_fields(in, e);
		cut = mml_ent_fit(e, max);
	}
	/* The record as stored, its metadata in a slot (0 bytes more). */
	charged = mml_disk_rec_size(who->comm_len, e->tag_len, e->msg_len,
	    e->fields_len + trusted_len);
	if (!admit(in, t, who, charged)) {
		c->suppressed++;
		return MML_INTAKE_SUPPRESSED;
	}
	if (trusted_fields(in, e, trusted, trusted_len) < 0) {
		c->append_errors++;
		return -EMSGSIZE;
	}
	memset(&h, 0, sizeof(h));
	h.priority = (uint8_t)(e->priority & 7);
	h.comm_len = who->comm_len;
	h.tag_len = (uint16_t)e->tag_len;
	h.msg_len = (uint32_t)e->msg_len;
	h.fields_len = (uint32_t)e->fields_len;
	h.realtime_usec = in->rt;
	h.monotonic_usec = in->mono;
	h.pid = (uint32_t)who->pid;
	h.uid = (uint32_t)who->uid;
	h.gid = (uint32_t)who->gid;
	r = mml_ring_append_meta(in->ring, &h, who->comm, e->tag, e->msg,
	    e->fields, meta, &seq);
	if (r < 0) {
		c->append_errors++;
		return r;
	}
	/*
	 * Every slot was still named: the metadata went inline, and the
	 * record is larger than admitted.  It is stored: the share is
	 * charged the rest, as a debt if it must be.
	 */
	size = mml_disk_rec_size(h.comm_len, h.tag_len, h.msg_len,
	    h.fields_len);
	if (size > charged && t != MML_TRANSPORT_KERNEL) {
		rate_sender(who, &rs);
		mml_ratelimit_share_charge(in->rl, &rs, size - charged,
		    in->mono);
	}
	c->entries++;
	if (cut)
		c->truncated++;
	/*
	 * CRIT and worse are synced at once (DESIGN.md); so is half a ring
	 * unsynced, lest the writer lap the durable cursor.
	 */
	if (e->priority <= LOG_CRIT || mml_ring_unsynced(in->ring) >=
	    mml_ring_capacity(in->ring) / 2)
		in->urgent(in->arg);
	if (ret_seq != NULL)
		*ret_seq = seq;
	return cut ? MML_INTAKE_CUT : MML_INTAKE_STORED;
}

int
mml_intake_submit(struct mml_intake *in, enum mml_transport t,
    const struct mml_sender *who, struct mml_ent *e,
    const uint8_t *trusted, size_t trusted_len, uint64_t *ret_seq)
{
	return submit(in, t, who, e, trusted, trusted_len, ret_seq);
}

/* submit() of one entry of an mmlog frame (mml_intake_submit_frame()). */
static inline int
submit_wire(struct mml_intake *in, const struct mml_sender *who,
    const struct mml_entry *we, uint64_t *ret_seq)
{
	struct mml_ent e;

	mml_ent_init(&e, in->fields, sizeof(in->fields));
	mml_ent_set_tag(&e, we->tag, we->tag_len);
	mml_ent_set_msg(&e, we->msg, we->msg_len);
	e.priority = we->priority;
	e.fields_len = we->fields_len;
	e.orig_size += we->fields_len;
	/*
	 * The frame is read-only.  An entry to be cut has its fields
	 * copied to our buffer, where they can be (a frame holds at most
	 * MML_FRAME_MAX bytes, so they fit); the others are stored from the
	 * frame as they are, nothing being written to them (no trusted
	 * field of the intake's own for this transport; the sender's
	 * metadata goes into a slot, or the ring's own inline buffer).
	 */
	if (mml_ent_size(&e) > entry_max(in)) {
		if (we->fields_len > 0)
			memcpy(in->fields, we->fields, we->fields_len);
	} else {
		e.fields = (uint8_t *)(uintptr_t)we->fields;
		e.fields_cap = we->fields_len;
	}
	return submit(in, MML_TRANSPORT_MMLOG, who, &e, NULL, 0, ret_seq);
}

int
mml_intake_submit_frame(struct mml_intake *in, const struct mml_sender *who,
    const struct mml_frame *f, struct mml_intake_frame *ret)
{
	struct mml_entry we;
	uint64_t seq = 0;
	size_t off = 0;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	/* who and its metadata stay as they are for the whole frame. */
	mml_ring_meta_hold(in->ring, 1);
	while (mml_wire_entry_next(f, &off, &we) > 0) {
		r = submit_wire(in, who, &we, &seq);
		if (r == MML_INTAKE_SUPPRESSED) {
			ret->suppressed++;
			continue;
		}
		if (r < 0)
			break;
		if (r == MML_INTAKE_CUT) {
			ret->cut++;
			ret->cut_size = we.tag_len + we.msg_len + we.fields_len;
		}
		ret->stored++;
		ret->last_seq = seq;
	}
	mml_ring_meta_hold(in->ring, 0);
	return r < 0 ? r : 0;
}

int
mml_intake_note(struct mml_intake *in, enum mml_transport t,
    const struct mml_sender *who, const char *msg, size_t msg_len,
    const char *key, uint64_t value)
{
	static const struct mml_sender nobody;
	int r;

	if (who == NULL)
		who = &nobody;
	/* The batch's time, as the entries around it have. */
	r = mml_ring_append_note_at(in->ring, in->rt, in->mono,
	    (uint32_t)who->pid, (uint32_t)who->uid, (uint32_t)who->gid,
	    who->comm, who->comm_len, msg, msg_len, key, value);
	if (r < 0)
		in->count[t].append_errors++;
	in->urgent(in->arg);
	return r;
}

struct mml_intake_counts *
mml_intake_counts(struct mml_intake *in, enum mml_transport t)
{
	return &in->count[t];
}

uint64_t
mml_intake_total_entries(const struct mml_intake *in)
{
	uint64_t n = 0;
	int t;

	for (t = 0; t < MML_TRANSPORT_MAX; t++)
		n += in->count[t].entries;
	return n;
}

uint64_t
mml_intake_share_suppressed(const struct mml_intake *in)
{
	return in->share_suppressed;
}

uint64_t
mml_intake_total_suppressed(const struct mml_intake *in)
{
	uint64_t n = 0;
	int t;

	for (t = 0; t < MML_TRANSPORT_MAX; t++)
		n += in->count[t].suppressed;
	return n;
}

void
mml_intake_reset_counters(struct mml_intake *in)
{
	memset(in->count, 0, sizeof(in->count));
	in->share_suppressed = 0;
}

void
mml_intake_stats(const struct mml_intake *in, char *buf, size_t cap,
    size_t *len)
{
	const struct mml_intake_counts *c;
	const char *name;
	int t, n;

	for (t = 0; t < MML_TRANSPORT_MAX; t++) {
		c = &in->count[t];
		name = transport_names[t];
		if (*len >= cap)
			return;
		n = snprintf(buf + *len, cap - *len, "%s_entries=%llu\n"
		    "%s_bytes=%llu\n%s_truncated=%llu\n%s_suppressed=%llu\n"
		    "%s_errors=%llu\n%s_lost=%llu\n%s_append_errors=%llu\n",
		    name, (unsigned long long)c->entries,
		    name, (unsigned long long)c->bytes,
		    name, (unsigned long long)c->truncated,
		    name, (unsigned long long)c->suppressed,
		    name, (unsigned long long)c->errors,
		    name, (unsigned long long)c->lost,
		    name, (unsigned long long)c->append_errors);
		if (n < 0 || (size_t)n >= cap - *len) {
			buf[*len] = '\0';
			return;
		}
		*len += (size_t)n;
	}
}

int
mml_intake_warn_ok(struct mml_intake *in)
{
	uint64_t now = mml_now_usec(CLOCK_MONOTONIC);

	if (now - in->warn_window >= 1000000) {
		if (in->warn_muted)
			mml_log(LOG_WARNING, "%llu more warnings about what "
			    "peers sent suppressed",
			    (unsigned long long)in->warn_muted);
		in->warn_window = now;
		in->warn_count = 0;
		in->warn_muted = 0;
	}
	if (in->warn_count++ < WARN_BURST)
		return 1;
	in->warn_muted++;
	return 0;
}

/* t's cache, made at its first use; NULL if there is no memory for it. */
static struct mml_meta_cache *
cache_of(struct mml_intake *in, enum mml_transport t)
{
	if (in->cache[t] == NULL)
		in->cache[t] = mml_meta_cache_new(&in->host, transport_names[t],
		    0);
	return in->cache[t];
}

/*
 * The comm slot of pid: its own if it has one, else the one it should
 * take, an empty one of its set or the one read longest ago.
 */
static struct comm_slot *
comm_find(struct mml_intake *in, pid_t pid)
{
	struct comm_slot *set, *victim;
	unsigned i;

	set = &in->comm[(((uint32_t)pid * 2654435761U) >> 24) %
	    (COMM_CACHE / COMM_WAYS) * COMM_WAYS];
	victim = &set[0];
	for (i = 0; i < COMM_WAYS; i++) {
		if (set[i].read_usec != 0 && set[i].pid == pid)
			return &set[i];
		if (set[i].read_usec < victim->read_usec)
			victim = &set[i];
	}
	return victim;
}

void
mml_intake_sender(struct mml_intake *in, enum mml_transport t, pid_t pid,
    uid_t uid, gid_t gid, struct mml_sender *ret)
{
	struct mml_meta_cache *mc;
	struct comm_slot *sl;

	ret->pid = pid;
	ret->uid = uid;
	ret->gid = gid;
	ret->comm_len = 0;
	ret->meta = NULL;
	if (pid <= 0)
		return;
	mc = cache_of(in, t);
	if (mc != NULL)
		ret->meta = mml_meta_cache_get(mc, pid, uid, gid,
		    in->mono / 1000);
	sl = comm_find(in, pid);
	if (sl->read_usec == 0 || sl->pid != pid || sl->uid != uid ||
	    sl->gid != gid || in->mono - sl->read_usec >= COMM_TTL_USEC) {
		mml_sender_read_comm(ret);
		sl->pid = pid;
		sl->uid = uid;
		sl->gid = gid;
		sl->comm_len = ret->comm_len;
		memcpy(sl->comm, ret->comm, ret->comm_len);
		sl->read_usec = in->mono ? in->mono : 1;
		return;
	}
	ret->comm_len = sl->comm_len;
	memcpy(ret->comm, sl->comm, sl->comm_len);
}

void
mml_intake_dgram_setup(int fd, enum mml_transport t)
{
	int one = 1, size = DGRAM_RCVBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		mml_log(LOG_WARNING, "%s socket: SO_PASSCRED: %s; senders "
		    "will be unknown", transport_names[t], strerror(errno));
	/* Beyond rmem_max only with CAP_NET_ADMIN; else what we may. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

const struct mml_meta *
mml_intake_meta_get(struct mml_intake *in, enum mml_transport t, pid_t pid,
    const char *unit_fallback)
{
	const struct mml_meta *held;

	if (pid <= 0)
		return &in->bare[t];
	/*
	 * Gathered now, not through the cache: the process that connected
	 * may have exec'd, or its pid been reused, since the cache last
	 * looked, and a connection keeps what it gets for its life.
	 */
	(void)mml_meta_gather(&in->host, pid, transport_names[t],
	    unit_fallback, &in->scratch, NULL);
	held = mml_meta_pool_hold(in->pool, &in->scratch);
	return held != NULL ? held : &in->bare[t];
}

void
mml_intake_meta_put(struct mml_intake *in, const struct mml_meta *m)
{
	int t;

	for (t = 0; t < MML_TRANSPORT_MAX; t++)
		if (m == &in->bare[t])
			return;
	mml_meta_pool_drop(in->pool, m);
}

void
mml_intake_meta_stats(const struct mml_intake *in, enum mml_transport t,
    struct mml_meta_cache_stats *ret)
{
	if (in->cache[t] == NULL)
		memset(ret, 0, sizeof(*ret));
	else
		mml_meta_cache_stats(in->cache[t], ret);
}

size_t
mml_intake_meta_held(const struct mml_intake *in)
{
	return mml_meta_pool_count(in->pool);
}
