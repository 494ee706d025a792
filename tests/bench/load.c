/*
 * load.c: client processes driving a sink (mmlogd, a bare receiver on a
 * socketpair, or rsyslogd), and the clock around them.
 *
 * One run: every client connects and reports ready; the parent takes the
 * sink's count and the clock, and releases them all at once by closing
 * the "go" pipe.  Clients send until the parent raises the stop flag
 * (after the run's seconds, or when a latency probe has its samples),
 * publish their counts, and end with a SYNC barrier if asked.  The clock
 * stops when the sink has consumed every entry the clients sent (for
 * mmlogd: the ring header's head_seq, read through our own read-only
 * map), so a run measures ingestion, not the msync that the SYNC barrier
 * then waits for.  Afterwards the sink's gain must equal what was sent,
 * or the run is not ok.
 *
 * Every client is a process, as in real life: a thread per client would
 * measure our own lock contention in one address space instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "mmlog.h"
#include "sock.h"

/* Each client's counters on a cache line of their own. */
struct slot {
	uint64_t count;		/* entries sent (acked, for W_DURABLE*) */
	uint32_t done;		/* count is final */
	int32_t err;		/* 0, or -errno of the failure */
	uint8_t pad[48];
};

/* Shared by the parent and every process of one run. */
struct shared {
	uint32_t stop;		/* parent or probe: stop sending */
	uint8_t pad0[60];
	uint64_t rx;		/* raw receiver: packets received */
	uint32_t rx_quit;	/* W_RAW_DGRAM: the receiver may stop */
	uint8_t pad1[52];
	double lat[4];		/* probe: p50, p99, p99.9, max */
	uint64_t lat_n;
	struct slot slot[BENCH_CLIENTS_MAX + 1];
};

/* What a client sends: a ready-made packet, or a message for libmmlogclient. */
struct payload {
	uint8_t frame[MML_FRAME_MAX];
	size_t frame_len;
	int per_frame;		/* entries per send */
	char msg[MML_FRAME_MAX];
	size_t msg_len;
};

static int connect_unix(const char *, int, int *);
static int batch_sync(int);
static int send_one(const struct load *, struct mmlog_client *, int,
    const struct payload *);
static int worker(const struct load *, struct shared *, int, int, int,
    int, int);
static int raw_receiver(int *, int, struct shared *);
static int raw_dgram_receiver(int, struct shared *);
static int cmp_double(const void *, const void *);

void
load_fill_msg(char *msg, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		msg[i] = (char)('a' + i % 26);
}

size_t
load_syslog_datagram(char *buf, size_t cap, size_t entry_size, pid_t pid)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	time_t now = time(NULL);
	size_t n, msg_len = entry_size - BENCH_TAG_LEN;

	(void)localtime_r(&now, &tm);
	/* As glibc's vsyslog() writes it, with LOG_PID. */
	n = (size_t)snprintf(buf, cap, "<14>%s %2d %02d:%02d:%02d %s[%d]: ",
	    mon[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    BENCH_TAG, (int)pid);
	if (n + msg_len > cap)
		msg_len = cap - n;
	load_fill_msg(buf + n, msg_len);
	return n + msg_len;
}

size_t
load_packet_size(size_t entry_size)
{
	return sizeof(struct mml_frame_hdr) + sizeof(struct mml_entries_hdr) +
	    sizeof(struct mml_entry_hdr) + entry_size;
}

int
load_batch_entries(size_t entry_size)
{
	return (int)((BENCH_BATCH_BYTES - sizeof(struct mml_frame_hdr) -
	    sizeof(struct mml_entries_hdr)) /
	    (sizeof(struct mml_entry_hdr) + entry_size));
}

uint64_t
bench_rec_size(size_t entry_size)
{
	char comm[64];
	ssize_t n;
	int fd;

	/* The daemon stores the sender's comm: ours, as clients fork. */
	n = 0;
	fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, comm, sizeof(comm));
		(void)close(fd);
	}
	if (n > 0 && comm[n - 1] == '\n')
		n--;
	if (n < 0)
		n = 0;
	if (n > MML_COMM_MAX)
		n = MML_COMM_MAX;
	return mml_disk_rec_size((size_t)n, 0, entry_size, 0);
}

static int
connect_unix(const char *path, int type, int *ret_fd)
{
	int fd = mml_sock_connect(path, type, 0);

	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}

size_t
load_build_frame(uint8_t *buf, size_t entry_size, int n)
{
	char msg[MML_FRAME_MAX];
	size_t len, msg_len = entry_size - BENCH_TAG_LEN;
	int i;

	load_fill_msg(msg, msg_len);
	len = mml_wire_entries_init(buf, 0, 0, 0);
	for (i = 0; i < n; i++)
		if (mml_wire_entry_append(buf, MML_FRAME_MAX, &len, MMLOG_INFO,
		    BENCH_TAG, BENCH_TAG_LEN, msg, msg_len, NULL, 0) < 0)
			break;
	return len;
}

/*
 * The barrier on a connection of our own: a SYNC frame, then replies
 * until its ACK.  An ERROR means the daemon refused something we sent.
 */
static int
batch_sync(int fd)
{
	static uint8_t buf[MML_FRAME_MAX];
	struct mml_error_body eb;
	struct mml_frame f;
	struct timeval tv = { .tv_sec = 120, .tv_usec = 0 };
	ssize_t n;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	mml_wire_hdr_init(buf, MML_FRAME_SYNC, 0, 1);
	if (send(fd, buf, sizeof(struct mml_frame_hdr), MSG_NOSIGNAL) < 0)
		return -errno;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		if (mml_wire_decode(buf, (size_t)n, 0, &f, NULL) < 0)
			return -EPROTO;
		if (f.hdr.type == MML_FRAME_ERROR) {
			memcpy(&eb, f.body, sizeof(eb));
			return eb.error > 0 ? -eb.error : -EIO;
		}
		if (f.hdr.type == MML_FRAME_ACK && f.hdr.id == 1)
			return 0;
	}
}

int
load_daemon_stat(const char *path, const char *key, uint64_t *ret)
{
	static uint8_t buf[MML_FRAME_MAX];
	struct timeval tv = { .tv_sec = 10, .tv_usec = 0 };
	struct mml_frame f;
	const char *p, *end, *nl;
	size_t klen = strlen(key);
	ssize_t n;
	int fd = -1, r;

	r = connect_unix(path, SOCK_SEQPACKET, &fd);
	if (r < 0)
		return r;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	mml_wire_hdr_init(buf, MML_FRAME_STATS, 0, 7);
	r = -EBADMSG;
	if (send(fd, buf, sizeof(struct mml_frame_hdr), MSG_NOSIGNAL) < 0) {
		r = -errno;
		goto out;
	}
	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0 || mml_wire_decode(buf, (size_t)n, 0, &f, NULL) < 0 ||
	    f.hdr.type != MML_FRAME_STATS_REPLY)
		goto out;
	/* "key=value\n" lines; the body is not NUL-terminated. */
	for (p = (const char *)f.body, end = p + f.body_len; p < end;
	    p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) > klen && memcmp(p, key, klen) == 0 &&
		    p[klen] == '=') {
			*ret = strtoull(p + klen + 1, NULL, 10);
			r = 0;
			break;
		}
	}
out:
	(void)close(fd);
	return r;
}

static int
send_one(const struct load *l, struct mmlog_client *c, int fd,
    const struct payload *p)
{
	ssize_t n;

	switch (l->kind) {
	case W_MMLOG:
	case W_LIBBATCH:
		return mmlog_write(c, MMLOG_INFO, NULL, p->msg, p->msg_len);
	case W_DURABLE:
		return mmlog_write_durable(c, MMLOG_INFO, NULL, p->msg,
		    p->msg_len, NULL);
	case W_DURABLE_ASYNC:
		return mmlog_write_async(c, MMLOG_INFO, NULL, p->msg,
		    p->msg_len, NULL, 0, NULL);
	default:
		do
			n = send(fd, p->frame, p->frame_len, MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		return n < 0 ? -errno : 0;
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample with at least p of them at or below. */
static double
percentile(const double *sorted, uint64_t n, double p)
{
	uint64_t k = (uint64_t)ceil(p * (double)n);

	if (k == 0)
		k = 1;
	return sorted[k - 1];
}

/*
 * The latency probe: one write every period, on a fixed schedule so that
 * a slow call does not make the next one wait less.  Only the call is
 * timed.  It raises the stop flag for everyone when it has its samples.
 */
static int
probe_loop(const struct load *l, struct shared *sh, struct mmlog_client *c,
    int fd, const struct payload *p, uint64_t *ret_n)
{
	struct timespec next, a, b;
	long period_ns = (long)(l->probe_period_s * 1e9);
	double *t;
	uint64_t i, n = (uint64_t)l->probe_samples;
	int r = 0;

	t = calloc(n, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	/* Default timer slack (50 us) would be most of the period. */
	(void)prctl(PR_SET_TIMERSLACK, 1000UL);
	(void)clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 0; i < n; i++) {
		next.tv_nsec += period_ns;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		(void)clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
		    NULL);
		(void)clock_gettime(CLOCK_MONOTONIC, &a);
		r = send_one(l, c, fd, p);
		(void)clock_gettime(CLOCK_MONOTONIC, &b);
		if (r < 0)
			break;
		t[i] = (double)(b.tv_sec - a.tv_sec) +
		    (b.tv_nsec - a.tv_nsec) / 1e9;
		/*
		 * Far behind schedule (descheduled for a while): restart the
		 * schedule from now rather than fire a burst to catch up.
		 */
		if ((double)(b.tv_sec - next.tv_sec) +
		    (b.tv_nsec - next.tv_nsec) / 1e9 > 10 * l->probe_period_s)
			next = b;
	}
	*ret_n = i;
	if (i > 0) {
		qsort(t, i, sizeof(*t), cmp_double);
		sh->lat[0] = percentile(t, i, 0.50);
		sh->lat[1] = percentile(t, i, 0.99);
		sh->lat[2] = percentile(t, i, 0.999);
		sh->lat[3] = t[i - 1];
		sh->lat_n = i;
	}
	free(t);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	return r;
}

/* One client process; returns its exit status. */
static int
worker(const struct load *l, struct shared *sh, int i, int probe,
    int raw_fd, int ready_fd, int go_fd)
{
	static struct payload p;
	struct mmlog_client *c = NULL;
	uint64_t n = 0;
	char byte = 'r';
	int fd = -1, k, burst, r = 0;

	p.msg_len = l->entry_size - BENCH_TAG_LEN;
	load_fill_msg(p.msg, p.msg_len);
	p.per_frame = 1;
	switch (l->kind) {
	case W_MMLOG:
	case W_DURABLE:
		r = mmlog_open(l->path, BENCH_TAG, 0, &c);
		break;
	case W_LIBBATCH:
		r = mmlog_open(l->path, BENCH_TAG, MMLOG_BATCH, &c);
		break;
	case W_DURABLE_ASYNC:
		r = mmlog_open(l->path, BENCH_TAG, 0, &c);
		if (r == 0)
			r = mmlog_set_window(c, l->window);
		break;
	case W_BATCH:
		r = connect_unix(l->path, SOCK_SEQPACKET, &fd);
		p.per_frame = load_batch_entries(l->entry_size);
		p.frame_len = load_build_frame(p.frame, l->entry_size,
		    p.per_frame);
		break;
	case W_RAW:
		fd = raw_fd;
		p.frame_len = load_build_frame(p.frame, l->entry_size, 1);
		break;
	case W_DGRAM:
	case W_RAW_DGRAM:
		if (l->kind == W_DGRAM)
			r = connect_unix(l->path, SOCK_DGRAM, &fd);
		else
			fd = raw_fd;
		/* What syslog(3) sends to /dev/log. */
		p.frame_len = load_syslog_datagram((char *)p.frame,
		    sizeof(p.frame), l->entry_size, getpid());
		break;
	}
	if (r < 0)
		goto out;
	if (write(ready_fd, &byte, 1) != 1) {
		r = -EPIPE;
		goto out;
	}
	(void)close(ready_fd);
	/* Blocks until the parent closes its end: everyone starts at once. */
	while (read(go_fd, &byte, 1) < 0 && errno == EINTR)
		;
	if (probe) {
		r = probe_loop(l, sh, c, fd, &p, &n);
	} else {
		/* Durable writes are slow: look at the flag after each. */
		burst = l->kind == W_DURABLE ? 1 : 16;
		while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
			for (k = 0; k < burst; k++) {
				r = send_one(l, c, fd, &p);
				if (r < 0)
					break;
				n += (uint64_t)p.per_frame;
			}
			if (r < 0)
				break;
		}
	}
	/* Counted only once acked: the clock runs until every client is. */
	if (r == 0 && l->kind == W_DURABLE_ASYNC)
		r = mmlog_wait(c, 0, NULL);
	__atomic_store_n(&sh->slot[i].count, n, __ATOMIC_RELAXED);
	__atomic_store_n(&sh->slot[i].done, 1, __ATOMIC_RELEASE);
	if (r < 0 || !l->final_sync)
		goto out;
	if (l->kind == W_BATCH)
		r = batch_sync(fd);
	else if (c != NULL)
		r = mmlog_sync(c, NULL);
out:
	if (r < 0)
		sh->slot[i].err = r;
	/* A failed client still says it is done, so nobody waits for it. */
	__atomic_store_n(&sh->slot[i].done, 1, __ATOMIC_RELEASE);
	c = mmlog_close(c);
	if (fd >= 0)
		(void)close(fd);
	return r < 0 ? 1 : 0;
}

/*
 * The ceiling for unbatched ingest: a receiver that does nothing with a
 * packet but count it.  Like mmlogd it waits in epoll and drains up to
 * 64 packets from a ready client before it turns to the next one.
 */
static int
raw_receiver(int *fds, int n, struct shared *sh)
{
	static uint8_t buf[MML_FRAME_MAX];
	struct epoll_event ev, evs[BENCH_CLIENTS_MAX + 1];
	uint64_t total = 0;
	ssize_t r;
	int ep, i, j, k, open = n, fd;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return 1;
	for (i = 0; i < n; i++) {
		ev.events = EPOLLIN;
		ev.data.fd = fds[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0)
			return 1;
	}
	while (open > 0) {
		k = epoll_wait(ep, evs, BENCH_CLIENTS_MAX + 1, -1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return 1;
		for (i = 0; i < k; i++) {
			fd = evs[i].data.fd;
			for (j = 0; j < 64; j++) {
				r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
				if (r > 0) {
					total++;
					continue;
				}
				if (r == 0) {
					(void)epoll_ctl(ep, EPOLL_CTL_DEL, fd,
					    NULL);
					(void)close(fd);
					open--;
				}
				break;
			}
		}
		__atomic_store_n(&sh->rx, total, __ATOMIC_RELEASE);
	}
	(void)close(ep);
	return 0;
}

/*
 * The ceiling for syslog datagrams: one SOCK_DGRAM socket that every
 * client sends to, as to the daemon's, read as the daemon reads it (16
 * at a time) and only counted.  Stops when the parent says.
 */
static int
raw_dgram_receiver(int fd, struct shared *sh)
{
	static uint8_t buf[16][MML_FRAME_MAX];
	struct mmsghdr mm[16];
	struct iovec iov[16];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t total = 0;
	int i, n;

	for (i = 0; i < 16; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
	}
	while (!__atomic_load_n(&sh->rx_quit, __ATOMIC_ACQUIRE)) {
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		for (;;) {
			for (i = 0; i < 16; i++) {
				memset(&mm[i], 0, sizeof(mm[i]));
				mm[i].msg_hdr.msg_iov = &iov[i];
				mm[i].msg_hdr.msg_iovlen = 1;
			}
			n = recvmmsg(fd, mm, 16, MSG_DONTWAIT, NULL);
			if (n <= 0)
				break;
			total += (uint64_t)n;
			__atomic_store_n(&sh->rx, total, __ATOMIC_RELEASE);
			if (n < 16)
				break;
		}
	}
	return 0;
}

static uint64_t
consumed_rx(void *arg)
{
	struct shared *sh = arg;

	return __atomic_load_n(&sh->rx, __ATOMIC_ACQUIRE);
}

static void
set_why(struct load *l, const char *what, int err)
{
	if (l->why[0])
		return;
	if (err)
		(void)snprintf(l->why, sizeof(l->why), "%s: %s", what,
		    strerror(err < 0 ? -err : err));
	else
		(void)snprintf(l->why, sizeof(l->why), "%s", what);
}

int
load_run(struct load *l)
{
	struct shared *sh;
	uint64_t (*consumed)(void *) = l->consumed;
	void *carg = l->arg;
	pid_t pids[BENCH_CLIENTS_MAX + 1], rx = -1;
	int sv[BENCH_CLIENTS_MAX + 1][2], rfds[BENCH_CLIENTS_MAX + 1];
	int ready[2] = { -1, -1 }, go[2] = { -1, -1 };
	int nw = l->clients + (l->probe ? 1 : 0), started = 0, i, j, st;
	uint64_t base = 0, sum, flt0 = 0, flt1 = 0;
	double t0, t1, end, cpu0 = 0, cpu1 = 0, nap;
	pid_t cpu_pid = l->cpu_pid;
	char byte;
	ssize_t n;
	uint64_t last, now_got;
	double last_t;
	int all_done, failed, got_ready = 0;

	l->ok = 0;
	l->why[0] = '\0';
	l->sent = l->got = 0;
	l->elapsed_s = l->done_s = l->cpu_s = NAN;
	l->faults = 0;
	l->lat_n = 0;
	for (i = 0; i < 4; i++)
		l->lat[i] = NAN;
	for (i = 0; i < nw; i++)
		pids[i] = -1;
	for (i = 0; i <= BENCH_CLIENTS_MAX; i++)
		sv[i][0] = sv[i][1] = -1;
	if (nw < 1 || nw > BENCH_CLIENTS_MAX + 1) {
		set_why(l, "bad client count", 0);
		return -EINVAL;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		set_why(l, "mmap", errno);
		return -ENOMEM;
	}
	(void)fflush(stdout);
	(void)fflush(stderr);
	if (l->kind == W_RAW_DGRAM) {
		/* One socket for all, as the daemon's syslog socket. */
		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
		    sv[0]) < 0) {
			set_why(l, "socketpair", errno);
			goto out;
		}
		rx = fork();
		if (rx < 0) {
			set_why(l, "fork", errno);
			goto out;
		}
		if (rx == 0) {
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
			(void)close(sv[0][0]);
			_exit(raw_dgram_receiver(sv[0][1], sh));
		}
		(void)close(sv[0][1]);
		sv[0][1] = -1;
		for (i = 1; i < nw; i++)
			sv[i][0] = dup(sv[0][0]);
		consumed = consumed_rx;
		carg = sh;
		cpu_pid = rx;
	}
	if (l->kind == W_RAW) {
		for (i = 0; i < nw; i++) {
			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
			    0, sv[i]) == 0)
				continue;
			set_why(l, "socketpair", errno);
			goto out;
		}
		rx = fork();
		if (rx < 0) {
			set_why(l, "fork", errno);
			goto out;
		}
		if (rx == 0) {
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (i = 0; i < nw; i++) {
				(void)close(sv[i][0]);
				rfds[i] = sv[i][1];
			}
			_exit(raw_receiver(rfds, nw, sh));
		}
		for (i = 0; i < nw; i++) {
			(void)close(sv[i][1]);
			sv[i][1] = -1;
		}
		consumed = consumed_rx;
		carg = sh;
		cpu_pid = rx;
	}
	/* After the receiver's fork, so that it holds no end of these. */
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		set_why(l, "pipe", errno);
		goto out;
	}
	for (i = 0; i < nw; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			set_why(l, "fork", errno);
			break;
		}
		if (pids[i] == 0) {
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
			(void)close(ready[0]);
			(void)close(go[1]);
			for (j = 0; j < nw; j++)
				if (j != i && sv[j][0] >= 0)
					(void)close(sv[j][0]);
			_exit(worker(l, sh, i, l->probe && i == nw - 1,
			    sv[i][0], ready[1], go[0]));
		}
		started++;
	}
	(void)close(ready[1]);
	ready[1] = -1;
	(void)close(go[0]);
	go[0] = -1;
	for (i = 0; i < nw; i++) {
		if (sv[i][0] >= 0)
			(void)close(sv[i][0]);
		sv[i][0] = -1;
	}
	/* Each client writes one byte and closes: EOF means all are in. */
	for (;;) {
		struct pollfd pfd = { .fd = ready[0], .events = POLLIN };

		if (poll(&pfd, 1, 60000) <= 0)
			break;
		n = read(ready[0], &byte, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got_ready++;
	}
	if (got_ready < nw || started < nw) {
		set_why(l, "a client could not connect", 0);
		__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
		(void)close(go[1]);
		go[1] = -1;
		goto reap;
	}
	base = consumed(carg);
	if (cpu_pid > 0) {
		(void)proc_cpu(cpu_pid, &cpu0);
		(void)proc_faults(cpu_pid, &flt0);
	}
	t0 = bench_now();
	(void)close(go[1]);
	go[1] = -1;

	/* Sending: until the time is up, the probe is done, or until(). */
	end = t0 + l->seconds;
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		nap = end - bench_now();
		if (nap <= 0 || (l->until != NULL && l->until(l->arg)))
			break;
		bench_sleep(l->probe || l->until != NULL ?
		    (nap < 1e-3 ? nap : 1e-3) : nap);
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);

	/*
	 * Draining: until every client is done and the sink has it all.
	 * A client that failed, or a sink that stops making progress, ends
	 * the wait early: a refused entry would never arrive.
	 */
	end = bench_now() + 120;
	l->done_s = NAN;
	last = UINT64_MAX;
	last_t = bench_now();
	for (;;) {
		all_done = 1;
		failed = 0;
		sum = 0;
		for (i = 0; i < nw; i++) {
			if (!__atomic_load_n(&sh->slot[i].done,
			    __ATOMIC_ACQUIRE))
				all_done = 0;
			sum += __atomic_load_n(&sh->slot[i].count,
			    __ATOMIC_RELAXED);
			if (failed == 0)
				failed = __atomic_load_n(&sh->slot[i].err,
				    __ATOMIC_RELAXED);
		}
		t1 = bench_now();
		now_got = consumed(carg) - base;
		if (all_done && isnan(l->done_s))
			l->done_s = t1 - t0;
		if (all_done && now_got >= sum)
			break;
		if (now_got != last) {
			last = now_got;
			last_t = t1;
		}
		if (all_done && (failed || t1 - last_t > 5)) {
			(void)snprintf(l->why, sizeof(l->why), "%s%s: the sink "
			    "has %llu of %llu entries", failed ?
			    "a client failed: " : "the sink stalled for 5 s",
			    failed ? strerror(-failed) : "",
			    (unsigned long long)now_got,
			    (unsigned long long)sum);
			break;
		}
		if (t1 > end) {
			set_why(l, "timeout: the sink did not consume "
			    "everything in 120 s", 0);
			break;
		}
		/* Fine-grained at first: most runs drain in a millisecond. */
		bench_sleep(t1 - t0 - l->seconds < 0.05 ? 1e-4 : 1e-3);
	}
	l->elapsed_s = t1 - t0;
	if (cpu_pid > 0 && proc_cpu(cpu_pid, &cpu1) == 0)
		l->cpu_s = cpu1 - cpu0;
	if (cpu_pid > 0 && proc_faults(cpu_pid, &flt1) == 0)
		l->faults = flt1 - flt0;
reap:
	__atomic_store_n(&sh->rx_quit, 1, __ATOMIC_RELEASE);
	for (i = 0; i < nw; i++) {
		if (pids[i] <= 0)
			continue;
		st = wait_child(pids[i], 180);
		if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			set_why(l, sh->slot[i].err ? "a client failed" :
			    "a client died", sh->slot[i].err);
		pids[i] = -1;
	}
	if (rx > 0) {
		st = wait_child(rx, 30);
		if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			set_why(l, "the raw receiver failed", 0);
		rx = -1;
	}
	for (i = 0, sum = 0; i < nw; i++)
		sum += sh->slot[i].count;
	l->sent = sum;
	if (got_ready == nw)
		l->got = consumed(carg) - base;
	if (l->probe) {
		memcpy(l->lat, sh->lat, sizeof(l->lat));
		l->lat_n = sh->lat_n;
	}
	if (l->why[0] == '\0' && l->got != l->sent)
		(void)snprintf(l->why, sizeof(l->why), "count mismatch: "
		    "clients sent %llu entries, the sink gained %llu",
		    (unsigned long long)l->sent, (unsigned long long)l->got);
	l->ok = l->why[0] == '\0';
out:
	for (i = 0; i < nw; i++) {
		if (pids[i] > 0)
			(void)wait_child(pids[i], 0);
		if (sv[i][0] >= 0)
			(void)close(sv[i][0]);
		if (sv[i][1] >= 0)
			(void)close(sv[i][1]);
	}
	if (rx > 0)
		(void)wait_child(rx, 0);
	for (i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			(void)close(ready[i]);
		if (go[i] >= 0)
			(void)close(go[i]);
	}
	(void)munmap(sh, sizeof(*sh));
	return l->ok ? 0 : -EIO;
}
