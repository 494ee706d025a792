/*
 * memory.c: the daemon's resident memory outside the ring mapping, with
 * one client and with many idle ones.
 *
 * The ring's pages are the page cache's business and scale with --size;
 * what a user budgets for is everything else: the sum of Rss over every
 * other mapping in /proc/PID/smaps (shared libraries included, as top(1)
 * would count them).  The baseline is the same sum for sleep(1), the
 * smallest dynamically linked C program at hand.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench.h"

/* Rss of a freshly exec'd sleep(1), bytes. */
static int
sleep_rss(uint64_t *ret)
{
	char path[64], comm[32];
	double end;
	ssize_t n;
	pid_t pid;
	int fd, r = -ETIMEDOUT;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	/* Wait until the exec has happened: comm changes to "sleep". */
	(void)snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (end = bench_now() + 5; bench_now() < end; bench_sleep(1e-3)) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		n = read(fd, comm, sizeof(comm) - 1);
		(void)close(fd);
		if (n > 0 && strncmp(comm, "sleep", 5) == 0) {
			/* Let it reach nanosleep(), past the loader. */
			bench_sleep(0.02);
			r = proc_rss_outside(pid, 0, 0, ret);
			break;
		}
	}
	(void)kill(pid, SIGKILL);
	(void)wait_child(pid, 5);
	return r < 0 ? r : 0;
}

static int
wait_head(const struct ring_view *rv, uint64_t target, double timeout_s)
{
	double end = bench_now() + timeout_s;

	while (ring_head_seq(rv) < target) {
		if (bench_now() > end)
			return -ETIMEDOUT;
		bench_sleep(1e-3);
	}
	return ring_head_seq(rv) == target ? 0 : -EBADMSG;
}

void
part_memory(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon)
{
	static uint8_t frame[MML_FRAME_MAX];
	struct sockaddr_un sa;
	struct rlimit rl;
	struct figure *f;
	uint64_t base, rss1 = 0, rssn = 0, floor_rss = 0;
	size_t flen;
	int *fds, n = cfg->idle_clients, i, r, ok = 1, opened = 0;
	char why[160] = "";
	char name[64];

	/*
	 * main() raised the limit before starting the daemon, which
	 * inherited it; this is only for a hard limit that said no.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = (rlim_t)n + 64;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		if ((rlim_t)n + 64 > rl.rlim_cur)
			n = (int)rl.rlim_cur - 64;
	}
	fds = calloc((size_t)n, sizeof(*fds));
	if (fds == NULL)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, cfg->sock_path, strlen(cfg->sock_path));
	/* Each client sends one entry, so each is known to be accepted. */
	flen = load_build_frame(frame, 128, 1);
	base = ring_head_seq(rv);
	for (i = 0; i < n; i++) {
		fds[i] = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sa,
		    sizeof(sa)) < 0 || send(fds[i], frame, flen,
		    MSG_NOSIGNAL) != (ssize_t)flen) {
			ok = 0;
			(void)snprintf(why, sizeof(why), "client %d: %s", i + 1,
			    strerror(errno));
			if (fds[i] >= 0)
				(void)close(fds[i]);
			break;
		}
		opened++;
		if (i == 0) {
			r = wait_head(rv, base + 1, 10);
			if (r == 0)
				r = proc_rss_outside(daemon, rv->dev, rv->ino,
				    &rss1);
			if (r <= 0) {
				ok = 0;
				(void)snprintf(why, sizeof(why), "%s",
				    r == 0 ? "the ring is not mapped in the "
				    "daemon's smaps" : strerror(-r));
			}
		}
	}
	if (ok) {
		r = wait_head(rv, base + (uint64_t)n, 30);
		if (r == 0)
			r = proc_rss_outside(daemon, rv->dev, rv->ino, &rssn);
		if (r <= 0) {
			ok = 0;
			(void)snprintf(why, sizeof(why), "%d clients: %s", n,
			    r == 0 ? "ring not found in smaps" : strerror(-r));
		}
	}
	for (i = 0; i < opened; i++)
		(void)close(fds[i]);
	free(fds);
	if (sleep_rss(&floor_rss) < 0)
		floor_rss = 0;
	bench_log("memory: %.2f MiB with 1 client, %.2f MiB with %d (sleep(1) "
	    "%.2f MiB)", rss1 / 1048576.0, rssn / 1048576.0, n,
	    floor_rss / 1048576.0);

	f = fig_add("memory.c1", rss1 / 1048576.0, "MiB", "rss.sleep",
	    floor_rss ? floor_rss / 1048576.0 : NAN);
	if (!ok)
		fig_invalid(f, "%s", why);
	(void)snprintf(name, sizeof(name), "memory.c%d", n);
	f = fig_add(name, rssn / 1048576.0, "MiB", "memory.c1",
	    rss1 / 1048576.0);
	if (!ok)
		fig_invalid(f, "%s", why);
	fig_extra(f, "clients", n);
	fig_extra(f, "bytes_per_client", n > 1 ?
	    ((double)rssn - (double)rss1) / (n - 1) : NAN);
	/* "A few MiB": we read it as under 5 MiB, libraries included. */
	fig_target(f, "< 5 MiB", ok && rssn < ((uint64_t)5 << 20));
	if (n < cfg->idle_clients)
		fig_note(f, "RLIMIT_NOFILE allowed only %d clients", n);
}
