/*
 * proc.c: what the bench needs from the system: clocks, child processes,
 * mmlogd started and stopped the way systemd would (a notification
 * socket of ours, READY=1), CPU time and memory from /proc, and a
 * read-only view of the ring header.
 *
 * Every child gets PR_SET_PDEATHSIG: an interrupted bench leaves no
 * daemon or client behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static void child_setup(int out_fd, int err_fd);

double
bench_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
bench_sleep(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void
bench_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)fputs("bench: ", stderr);
	(void)vfprintf(stderr, fmt, ap);
	(void)fputc('\n', stderr);
	va_end(ap);
}

int
ring_view_open(const char *path, struct ring_view *ret)
{
	struct stat st;
	void *map;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size < MML_DISK_HEADER_SIZE) {
		e = errno ? -errno : -EBADMSG;
		(void)close(fd);
		return e;
	}
	/* The header page is all we read: the live cursors are there. */
	map = mmap(NULL, MML_DISK_HEADER_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		e = -errno;
		(void)close(fd);
		return e;
	}
	ret->fd = fd;
	ret->hdr = map;
	ret->dev = st.st_dev;
	ret->ino = st.st_ino;
	ret->file_size = (uint64_t)st.st_size;
	return 0;
}

void
ring_view_close(struct ring_view *rv)
{
	if (rv->hdr != NULL)
		(void)munmap((void *)(uintptr_t)rv->hdr, MML_DISK_HEADER_SIZE);
	if (rv->fd >= 0)
		(void)close(rv->fd);
	rv->hdr = NULL;
	rv->fd = -1;
}

/* The writer publishes head_seq with a release store after the record. */
uint64_t
ring_head_seq(const struct ring_view *rv)
{
	return __atomic_load_n(&rv->hdr->head_seq, __ATOMIC_ACQUIRE);
}

uint64_t
ring_tail_seq(const struct ring_view *rv)
{
	return __atomic_load_n(&rv->hdr->tail_seq, __ATOMIC_ACQUIRE);
}

uint64_t
ring_durable_seq(const struct ring_view *rv)
{
	return __atomic_load_n(&rv->hdr->durable_seq, __ATOMIC_ACQUIRE);
}

uint64_t
ring_wraps(const struct ring_view *rv)
{
	return __atomic_load_n(&rv->hdr->wraps, __ATOMIC_RELAXED);
}

uint64_t
consumed_ring(void *arg)
{
	return ring_head_seq(arg);
}

/*
 * In a child before exec: die with the bench, default SIGPIPE (we
 * ignore it), stdin from /dev/null, stdout and stderr where asked.
 */
static void
child_setup(int out_fd, int err_fd)
{
	int nul;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)signal(SIGPIPE, SIG_DFL);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul >= 0)
		(void)dup2(nul, 0);
	if (out_fd < 0)
		out_fd = nul;
	if (out_fd >= 0 && out_fd != 1)
		(void)dup2(out_fd, 1);
	if (err_fd >= 0 && err_fd != 2)
		(void)dup2(err_fd, 2);
}

static int
open_log(const struct bench_cfg *cfg, const char *name)
{
	char path[400];

	(void)snprintf(path, sizeof(path), "%s/%s", cfg->tmp, name);
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

int
wait_child(pid_t pid, double timeout_s)
{
	double end = bench_now() + timeout_s, nap = 1e-4;
	pid_t r;
	int status;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (bench_now() > end)
			break;
		bench_sleep(nap);
		if (nap < 0.01)
			nap *= 2;
	}
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return -ETIMEDOUT;
}

/* A datagram from the daemon: one assignment per line. */
static int
has_ready(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl - p == 7 && memcmp(p, "READY=1", 7) == 0)
			return 1;
		p = nl + 1;
	}
	return 0;
}

int
daemon_start(const struct bench_cfg *cfg, const char *const *extra,
    pid_t *ret_pid, double *ret_ready_s)
{
	struct sockaddr_un sa;
	struct pollfd pfd;
	const char *argv[32];
	char npath[400], size[32], buf[4096];
	double t0, end;
	ssize_t n;
	pid_t pid = -1;
	int nfd = -1, logfd = -1, argc = 0, r, status;

	(void)snprintf(npath, sizeof(npath), "%s/notify", cfg->tmp);
	if (strlen(npath) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	(void)unlink(npath);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, npath, strlen(npath));
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (nfd < 0 || bind(nfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		bench_log("notification socket %s: %s", npath, strerror(-r));
		goto out;
	}
	logfd = open_log(cfg, "mmlogd.log");
	if (logfd < 0) {
		r = -errno;
		goto out;
	}
	(void)snprintf(size, sizeof(size), "%llu",
	    (unsigned long long)cfg->ring_size);
	argv[argc++] = cfg->mmlogd;
	argv[argc++] = "--socket";
	argv[argc++] = cfg->sock_path;
	argv[argc++] = "--file";
	argv[argc++] = cfg->ring_path;
	argv[argc++] = "--size";
	argv[argc++] = size;
	if (cfg->syslog_path[0] != '\0') {
		argv[argc++] = "--syslog-socket";
		argv[argc++] = cfg->syslog_path;
	}
	while (extra != NULL && *extra != NULL && argc < 30)
		argv[argc++] = *extra++;
	argv[argc] = NULL;
	(void)fflush(stdout);
	(void)fflush(stderr);
	t0 = bench_now();
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0) {
		child_setup(logfd, logfd);
		(void)setenv("NOTIFY_SOCKET", npath, 1);
		/* Never mistake our environment for socket activation. */
		(void)unsetenv("LISTEN_FDS");
		(void)unsetenv("LISTEN_PID");
		(void)unsetenv("LISTEN_FDNAMES");
		(void)unsetenv("WATCHDOG_USEC");
		(void)unsetenv("WATCHDOG_PID");
		execv(cfg->mmlogd, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	end = t0 + 300;
	for (;;) {
		pfd.fd = nfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 5) > 0) {
			n = recv(nfd, buf, sizeof(buf), 0);
			if (n > 0 && has_ready(buf, (size_t)n)) {
				*ret_ready_s = bench_now() - t0;
				break;
			}
			continue;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			bench_log("mmlogd exited before READY=1 (status 0x%x)",
			    status);
			daemon_log_tail(cfg);
			pid = -1;
			r = -ECHILD;
			goto out;
		}
		if (bench_now() > end) {
			bench_log("mmlogd sent no READY=1 in 300 s");
			(void)wait_child(pid, 0);
			pid = -1;
			r = -ETIMEDOUT;
			goto out;
		}
	}
	*ret_pid = pid;
	r = 0;
out:
	/*
	 * Closed right away: the daemon's later STATUS= updates must find
	 * nobody listening rather than a full queue.
	 */
	if (nfd >= 0) {
		(void)close(nfd);
		(void)unlink(npath);
	}
	if (logfd >= 0)
		(void)close(logfd);
	return r;
}

int
daemon_stop(const struct bench_cfg *cfg, pid_t pid, int sig, double timeout_s)
{
	int status;

	if (kill(pid, sig) < 0)
		return -errno;
	status = wait_child(pid, timeout_s);
	if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (sig == SIGTERM) {
			bench_log("mmlogd did not stop cleanly on SIGTERM "
			    "(status %d)", status);
			daemon_log_tail(cfg);
		}
	}
	return status;
}

void
daemon_log_tail(const struct bench_cfg *cfg)
{
	char path[400], buf[2048];
	struct stat st;
	ssize_t n;
	off_t off;
	int fd;

	(void)snprintf(path, sizeof(path), "%s/mmlogd.log", cfg->tmp);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off = fstat(fd, &st) == 0 && st.st_size > (off_t)sizeof(buf) - 1 ?
	    st.st_size - (off_t)sizeof(buf) + 1 : 0;
	n = pread(fd, buf, sizeof(buf) - 1, off);
	(void)close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	(void)fprintf(stderr, "--- end of %s ---\n%s---\n", path, buf);
}

/*
 * The CPU time of every thread of pid in nanoseconds, from the
 * scheduler's own count (/proc/PID/task/TID/schedstat): a 0.4-second run
 * is forty clock ticks, too coarse for /proc/PID/stat.  Threads that
 * ended are not counted (the daemon's live as long as it does).
 */
static int
proc_cpu_sched(pid_t pid, double *ret_s)
{
	char path[300], buf[128];
	unsigned long long ns, sum = 0;
	struct dirent *de;
	ssize_t n;
	DIR *d;
	int fd, found = 0;

	(void)snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat",
		    (int)pid, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		(void)close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (sscanf(buf, "%llu", &ns) != 1)
			continue;
		sum += ns;
		found = 1;
	}
	(void)closedir(d);
	if (!found)
		return -ENOENT;
	*ret_s = (double)sum / 1e9;
	return 0;
}

int
proc_cpu(pid_t pid, double *ret_s)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	ssize_t n;
	int fd;

	if (proc_cpu_sched(pid, ret_s) == 0)
		return 0;
	(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields follow the last ')'. */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u "
	    "%*u %*u %lu %lu", &ut, &st) != 2)
		return -EBADMSG;
	*ret_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

int
proc_faults(pid_t pid, uint64_t *ret)
{
	char path[64], buf[1024], *p;
	unsigned long long minflt;
	ssize_t n;
	int fd;

	(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %llu",
	    &minflt) != 1)
		return -EBADMSG;
	*ret = minflt;
	return 0;
}

int
proc_rss_outside(pid_t pid, dev_t dev, ino_t ino, uint64_t *ret)
{
	char path[64], line[512], perms[8];
	unsigned long a, b, off, kb, inode;
	unsigned maj, mnr;
	uint64_t sum = 0;
	int skip = 0, matched = 0;
	FILE *f;

	(void)snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &a, &b, perms,
		    &off, &maj, &mnr, &inode) == 7) {
			skip = ino != 0 && inode == (unsigned long)ino &&
			    makedev(maj, mnr) == dev;
			matched += skip;
			continue;
		}
		if (!skip && sscanf(line, "Rss: %lu kB", &kb) == 1)
			sum += (uint64_t)kb * 1024;
	}
	(void)fclose(f);
	*ret = sum;
	/* Callers check that the ring was found: a wrong dev would hide it. */
	return matched;
}

int
run_timed(const struct bench_cfg *cfg, char *const argv[], int out_fd,
    double *ret_s)
{
	double t0;
	pid_t pid;
	int logfd, status, e;

	logfd = open_log(cfg, "commands.log");
	(void)fflush(stdout);
	(void)fflush(stderr);
	t0 = bench_now();
	pid = fork();
	if (pid < 0) {
		e = -errno;
		if (logfd >= 0)
			(void)close(logfd);
		return e;
	}
	if (pid == 0) {
		child_setup(out_fd, logfd);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -errno;
			break;
		}
	*ret_s = bench_now() - t0;
	if (logfd >= 0)
		(void)close(logfd);
	return status;
}

int
spawn_bg(const struct bench_cfg *cfg, char *const argv[], const char *log_name,
    pid_t *ret_pid)
{
	pid_t pid;
	int logfd, e;

	logfd = open_log(cfg, log_name);
	(void)fflush(stdout);
	(void)fflush(stderr);
	pid = fork();
	if (pid < 0) {
		e = -errno;
		if (logfd >= 0)
			(void)close(logfd);
		return e;
	}
	if (pid == 0) {
		child_setup(logfd, logfd);
		execv(argv[0], argv);
		_exit(127);
	}
	if (logfd >= 0)
		(void)close(logfd);
	*ret_pid = pid;
	return 0;
}

int
run_count_lines(const struct bench_cfg *cfg, char *const argv[],
    uint64_t *ret_lines, double *ret_s)
{
	static char buf[1 << 20];
	uint64_t lines = 0;
	double t0;
	ssize_t n;
	const char *p, *end;
	pid_t pid;
	int fds[2], logfd, status, e;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	logfd = open_log(cfg, "commands.log");
	(void)fflush(stdout);
	(void)fflush(stderr);
	t0 = bench_now();
	pid = fork();
	if (pid < 0) {
		e = -errno;
		(void)close(fds[0]);
		(void)close(fds[1]);
		if (logfd >= 0)
			(void)close(logfd);
		return e;
	}
	if (pid == 0) {
		child_setup(fds[1], logfd);
		execv(argv[0], argv);
		_exit(127);
	}
	(void)close(fds[1]);
	for (;;) {
		n = read(fds[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (p = buf, end = buf + n;
		    (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
			lines++;
	}
	(void)close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -errno;
			break;
		}
	*ret_s = bench_now() - t0;
	*ret_lines = lines;
	if (logfd >= 0)
		(void)close(logfd);
	return status;
}
