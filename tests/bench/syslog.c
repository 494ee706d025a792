/*
 * syslog.c: syslog datagram intake, beside its ceiling (BENCH part
 * "syslog").
 *
 * ingest.syslog.S.cN: N client processes send what glibc's syslog(3)
 * sends, "<14>Mmm dd hh:mm:ss bench[PID]: MESSAGE" (S bytes of tag and
 * message), one datagram each send, to the daemon's --syslog-socket;
 * an entry is consumed when the ring's head has it.  raw.dgram.S.cN: the
 * same datagrams from as many processes to one SOCK_DGRAM socket read
 * by a process that receives them as the daemon does (16 per recvmmsg())
 * and only counts them: the machine's ceiling.  raw.dgram_path.S.cN:
 * the same receiver on a socket bound to a path, with SO_PASSCRED, each
 * sender connect()ed to it as syslog(3) connects to /dev/log: the
 * ceiling of any syslog daemon.  It differs from the socketpair because
 * the kernel lets a receiver's own peer (the socketpair) fill its queue
 * to the send buffer, while other senders wait when it holds
 * net.unix.max_dgram_qlen datagrams and are woken one per datagram
 * received.  All three back to back per cell, best of the repetitions,
 * and the CPU each receiver spent per datagram.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

struct syslog_cell {
	struct load raw, sl;
	double raw_rate, sl_rate;	/* best */
	double raw_cpu, sl_cpu;		/* ns per datagram in that run */
	double path_rate, path_cpu;	/* raw.dgram_path; NAN: failed */
	int raw_ok, sl_ok;
	char why[200];
};

/* What the path receiver and its senders share. */
struct path_shared {
	uint64_t	 rx;
	uint32_t	 stop;
};

static long	dgram_qlen(void);
static int	path_receiver(int, struct path_shared *);
static int	path_sender(const char *, size_t, struct path_shared *);
static void	path_run(struct bench_cfg *, size_t, int, double *, double *);

/*
 * net.unix.max_dgram_qlen, or -1: the datagrams a bound socket queues
 * before its senders wait (10 by default; systemd raises it to 512 at
 * boot).  Below it the receiver of raw.dgram_path and mmlogd wake one
 * waiting sender per datagram they take; the figures depend on it.
 */
static long
dgram_qlen(void)
{
	long v = -1;
	FILE *f;

	f = fopen("/proc/sys/net/unix/max_dgram_qlen", "re");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	(void)fclose(f);
	return v;
}

/* Receives as the daemon does (its batch, SO_PASSCRED) and counts. */
static int
path_receiver(int fd, struct path_shared *sh)
{
	static uint8_t buf[16][MML_FRAME_MAX];
	static uint8_t cbuf[16][CMSG_SPACE(sizeof(struct ucred)) + 64];
	struct mmsghdr mm[16];
	struct iovec iov[16];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t total = 0;
	int i, n;

	for (;;) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		do {
			for (i = 0; i < 16; i++) {
				iov[i].iov_base = buf[i];
				iov[i].iov_len = sizeof(buf[i]);
				memset(&mm[i], 0, sizeof(mm[i]));
				mm[i].msg_hdr.msg_iov = &iov[i];
				mm[i].msg_hdr.msg_iovlen = 1;
				mm[i].msg_hdr.msg_control = cbuf[i];
				mm[i].msg_hdr.msg_controllen = sizeof(cbuf[i]);
			}
			n = recvmmsg(fd, mm, 16, MSG_DONTWAIT, NULL);
			if (n > 0) {
				total += (uint64_t)n;
				__atomic_store_n(&sh->rx, total,
				    __ATOMIC_RELEASE);
			}
		} while (n > 0);
	}
	return 0;
}

/* Sends glibc's datagrams to path until told to stop. */
static int
path_sender(const char *path, size_t size, struct path_shared *sh)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char frame[MML_FRAME_MAX];
	size_t len;
	int fd, k;

	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 1;
	len = load_syslog_datagram(frame, sizeof(frame), size, getpid());
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE))
		for (k = 0; k < 16; k++)
			if (send(fd, frame, len, 0) < 0 && errno != EINTR)
				return 1;
	return 0;
}

/*
 * raw.dgram_path: clients senders for cfg->run_s to a receiver bound
 * to a path in our directory; NAN when it could not run.
 */
static void
path_run(struct bench_cfg *cfg, size_t size, int clients, double *ret_rate,
    double *ret_cpu)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct path_shared *sh;
	pid_t rx = -1, pids[BENCH_CLIENTS_MAX];
	double t0, t1, cpu0 = 0, cpu1 = 0;
	uint64_t n0, n1;
	int fd, one = 1, rcvbuf = 8 * 1024 * 1024, i, started = 0;

	*ret_rate = *ret_cpu = NAN;
	if (strlen(cfg->tmp) + sizeof("/raw-path.sock") > sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, cfg->tmp, strlen(cfg->tmp));
	strcat(sa.sun_path, "/raw-path.sock");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return;
	memset(sh, 0, sizeof(*sh));
	(void)unlink(sa.sun_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	(void)setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	(void)fflush(stdout);
	(void)fflush(stderr);
	rx = fork();
	if (rx == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(path_receiver(fd, sh));
	}
	if (rx < 0)
		goto out;
	for (i = 0; i < clients && i < BENCH_CLIENTS_MAX; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
			(void)close(fd);
			_exit(path_sender(sa.sun_path, size, sh));
		}
		if (pids[i] < 0)
			break;
		started++;
	}
	if (started < clients)
		goto stop;
	/* A moment to connect and fill the queue; then the timed part. */
	bench_sleep(0.2);
	n0 = __atomic_load_n(&sh->rx, __ATOMIC_ACQUIRE);
	(void)proc_cpu(rx, &cpu0);
	t0 = bench_now();
	bench_sleep(cfg->run_s);
	n1 = __atomic_load_n(&sh->rx, __ATOMIC_ACQUIRE);
	(void)proc_cpu(rx, &cpu1);
	t1 = bench_now();
	if (n1 > n0) {
		*ret_rate = (double)(n1 - n0) / (t1 - t0);
		*ret_cpu = (cpu1 - cpu0) / (double)(n1 - n0) * 1e9;
	}
stop:
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < started; i++) {
		(void)kill(pids[i], SIGKILL);
		(void)waitpid(pids[i], NULL, 0);
	}
out:
	if (rx > 0) {
		(void)kill(rx, SIGKILL);
		(void)waitpid(rx, NULL, 0);
	}
	if (fd >= 0)
		(void)close(fd);
	(void)unlink(sa.sun_path);
	(void)munmap(sh, sizeof(*sh));
}

/* One run of kind into the best of c. */
static void
take(const struct load *l, double *rate, double *cpu, int *ok, char *why)
{
	double r;

	if (!l->ok) {
		*ok = 0;
		(void)snprintf(why, 200, "%s", l->why);
		return;
	}
	r = (double)l->sent / l->elapsed_s;
	if (isnan(*rate) || r > *rate) {
		*rate = r;
		*cpu = l->cpu_s / (double)l->sent * 1e9;
	}
}

static void
cell_run(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon,
    size_t size, int clients, struct syslog_cell *c)
{
	struct load l;
	int rep;

	double rate, cpu;

	c->raw_rate = c->sl_rate = c->raw_cpu = c->sl_cpu = NAN;
	c->path_rate = c->path_cpu = NAN;
	c->raw_ok = c->sl_ok = 1;
	c->why[0] = '\0';
	for (rep = 0; rep < cfg->reps; rep++) {
		memset(&l, 0, sizeof(l));
		l.kind = W_RAW_DGRAM;
		l.clients = clients;
		l.entry_size = size;
		l.seconds = cfg->run_s;
		(void)load_run(&l);
		take(&l, &c->raw_rate, &c->raw_cpu, &c->raw_ok, c->why);

		path_run(cfg, size, clients, &rate, &cpu);
		if (!isnan(rate) && (isnan(c->path_rate) ||
		    rate > c->path_rate)) {
			c->path_rate = rate;
			c->path_cpu = cpu;
		}

		l.kind = W_DGRAM;
		l.path = cfg->syslog_path;
		l.consumed = consumed_ring;
		l.arg = rv;
		l.cpu_pid = daemon;
		(void)load_run(&l);
		take(&l, &c->sl_rate, &c->sl_cpu, &c->sl_ok, c->why);
	}
}

void
part_syslog(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon)
{
	struct syslog_cell cells[4][3], *x;
	char name[64], base[64];
	struct figure *f;
	int s, c;

	if (daemon <= 0)
		return;
	bench_log("syslog: net.unix.max_dgram_qlen is %ld: senders to a "
	    "bound socket wait beyond that many queued datagrams",
	    dgram_qlen());
	for (s = 0; s < cfg->n_sizes; s++)
		for (c = 0; c < cfg->n_clients; c++) {
			x = &cells[s][c];
			cell_run(cfg, rv, daemon, cfg->sizes[s],
			    cfg->clients[c], x);
			bench_log("syslog %4zu B x%-2d  raw dgram %.3gk/s  "
			    "on a path %.3gk/s  mmlogd %.3gk/s  (%.0f, %.0f "
			    "vs %.0f ns/datagram)", cfg->sizes[s],
			    cfg->clients[c], x->raw_rate / 1e3,
			    x->path_rate / 1e3, x->sl_rate / 1e3, x->raw_cpu,
			    x->path_cpu, x->sl_cpu);
		}
	for (s = 0; s < cfg->n_sizes; s++)
		for (c = 0; c < cfg->n_clients; c++) {
			x = &cells[s][c];
			(void)snprintf(name, sizeof(name), "raw.dgram.%zu.c%d",
			    cfg->sizes[s], cfg->clients[c]);
			f = fig_add(name, x->raw_rate, "dgram/s", NULL, NAN);
			fig_extra(f, "rx_cpu_ns_per_dgram", x->raw_cpu);
			if (!x->raw_ok)
				fig_invalid(f, "%s", x->why);
		}
	for (s = 0; s < cfg->n_sizes; s++)
		for (c = 0; c < cfg->n_clients; c++) {
			x = &cells[s][c];
			(void)snprintf(name, sizeof(name),
			    "raw.dgram_path.%zu.c%d", cfg->sizes[s],
			    cfg->clients[c]);
			f = fig_add(name, x->path_rate, "dgram/s", NULL, NAN);
			fig_extra(f, "rx_cpu_ns_per_dgram", x->path_cpu);
			if (isnan(x->path_rate))
				fig_invalid(f, "its run failed");
		}
	for (s = 0; s < cfg->n_sizes; s++)
		for (c = 0; c < cfg->n_clients; c++) {
			x = &cells[s][c];
			(void)snprintf(name, sizeof(name),
			    "ingest.syslog.%zu.c%d", cfg->sizes[s],
			    cfg->clients[c]);
			(void)snprintf(base, sizeof(base), "raw.dgram.%zu.c%d",
			    cfg->sizes[s], cfg->clients[c]);
			f = fig_add(name, x->sl_rate, "entries/s", base,
			    x->raw_rate);
			fig_extra(f, "mmlogd_cpu_ns_per_dgram", x->sl_cpu);
			fig_extra(f, "ratio_to_raw_dgram_path",
			    x->sl_rate / x->path_rate);
			if (!x->sl_ok || !x->raw_ok)
				fig_invalid(f, "%s", x->why);
			fig_target(f, ">= 0.7 x raw", fig_ratio(f) >= 0.7);
		}
	for (s = 0; s < cfg->n_sizes; s++)
		for (c = 0; c < cfg->n_clients; c++) {
			x = &cells[s][c];
			(void)snprintf(name, sizeof(name), "cpu.syslog.%zu.c%d",
			    cfg->sizes[s], cfg->clients[c]);
			(void)snprintf(base, sizeof(base),
			    "raw.dgram_rx_cpu.%zu.c%d", cfg->sizes[s],
			    cfg->clients[c]);
			f = fig_add(name, x->sl_cpu, "ns/dgram", base,
			    x->raw_cpu);
			if (!x->sl_ok || !x->raw_ok)
				fig_invalid(f, "its run failed");
		}
}
