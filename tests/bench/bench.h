/*
 * bench.h: interfaces between the modules of mmlog-bench, the program
 * behind `make bench` (see the "Performance" section of README.md).
 *
 * Every figure is measured next to a baseline taken in the same run on
 * the same machine, so that the ratio between them still means
 * something on a noisy, shared machine.  Every run checks its own
 * result (the ring holds exactly what was sent) or marks the figure
 * invalid; the program fails only when something does not work, never
 * because something is slow.
 */
#ifndef MML_BENCH_H
#define MML_BENCH_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "disk.h"
#include "wire.h"

/* Every client is a process of its own; this bounds one run. */
#define BENCH_CLIENTS_MAX	64
/* The tag our entries carry; part of the "entry size". */
#define BENCH_TAG		"bench"
#define BENCH_TAG_LEN		5
/* Client-side batches stay below the 64 KiB frame limit. */
#define BENCH_BATCH_BYTES	(60 * 1024)

/* Parts of the run, for --only. */
#define PART_RAW	0x001U
#define PART_INGEST	0x002U
#define PART_LATENCY	0x004U
#define PART_DURABLE	0x008U
#define PART_QUERY	0x010U
#define PART_RECOVERY	0x020U
#define PART_MEMORY	0x040U
#define PART_PEERS	0x080U
#define PART_FORWARD	0x100U
#define PART_SYSLOG	0x200U
#define PART_WRITE	0x400U
#define PART_DEFAULT	0x77fU	/* peers only when asked */

/* How much work each part does: smoke, quick (default) or full. */
struct bench_cfg {
	const char *mode;
	const char *build_dir;
	char tmp[256];			/* our mkdtemp directory */
	char ring_path[300];
	char sock_path[300];
	char syslog_path[300];		/* the daemon's --syslog-socket */
	char mmlogd[PATH_MAX + 16];
	char mmlogctl[PATH_MAX + 16];
	uint64_t ring_size;		/* --size of every mmlogd we start */
	double run_s;			/* one throughput run */
	int reps;			/* runs per figure; the best counts */
	size_t sizes[4];		/* entry sizes: tag + message bytes */
	int n_sizes;
	int clients[3];			/* ingest client counts */
	int n_clients;
	int durable_clients[3];
	int n_durable;
	size_t write_sizes[8];		/* write A/B entry sizes */
	int n_write_sizes;
	int write_clients[2];
	int n_write_clients;
	int write_reps;			/* runs per A/B cell; the median counts */
	char write_methods[64];		/* --ring-write values, comma-separated */
	unsigned async_window;	/* mmlog_set_window() of durable_async */
	int lat_samples;		/* calls the latency probe times */
	double lat_period_s;		/* its pacing */
	int lat_load;			/* clients hammering meanwhile */
	int query_reps;
	int idle_clients;		/* for the memory figure */
	double burst_s;			/* burst before SIGKILL, max */
	unsigned parts;
	int keep;			/* keep the temporary directory */
};

/* report.c: figures, the table and the JSON file. */
struct figure {
	char name[64];
	double value;			/* NAN: not measured */
	const char *unit;
	char base_name[64];		/* "" : no baseline */
	double base_value;
	int valid;			/* the run checked its own result */
	int skipped;			/* not measured, on purpose */
	char note[200];
	char target[64];		/* HACKING.md target, "" if none */
	int met;
	struct {
		const char *key;
		double value;
	} extra[10];
	int n_extra;
};

struct figure *fig_add(const char *name, double value, const char *unit,
    const char *base_name, double base_value);
void fig_invalid(struct figure *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void fig_skip(struct figure *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void fig_note(struct figure *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void fig_extra(struct figure *f, const char *key, double value);
void fig_target(struct figure *f, const char *text, int met);
/* value / base_value, or NAN. */
double fig_ratio(const struct figure *f);
struct figure *fig_find(const char *name);
int fig_count(void);
struct figure *fig_at(int i);
/* Figures marked invalid so far. */
int fig_invalid_count(void);
void report_table(FILE *out);
/* Writes the JSON file; returns 0 or -errno. */
int report_json(const char *path, const struct bench_cfg *cfg,
    const char *targets_json);
/* Appends s to out[0, cap) as a JSON string, quotes included. */
void json_str(char *out, size_t cap, const char *s);

/* proc.c: processes, clocks, /proc and the ring header. */
double bench_now(void);			/* CLOCK_MONOTONIC, seconds */
void bench_sleep(double s);
void bench_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A read-only view of a ring's header, as any reader would map it. */
struct ring_view {
	int fd;
	const struct mml_disk_header *hdr;
	dev_t dev;
	ino_t ino;
	uint64_t file_size;
};
int ring_view_open(const char *path, struct ring_view *ret);
void ring_view_close(struct ring_view *rv);
uint64_t ring_head_seq(const struct ring_view *rv);
uint64_t ring_tail_seq(const struct ring_view *rv);
uint64_t ring_durable_seq(const struct ring_view *rv);
uint64_t ring_wraps(const struct ring_view *rv);

/*
 * Starts mmlogd on cfg's socket and ring with extra arguments (NULL
 * terminated, may be NULL) and waits for READY=1 on a notification
 * socket of ours.  Returns 0 with the pid and the seconds from fork to
 * READY=1, or -errno after saying why.
 */
int daemon_start(const struct bench_cfg *cfg, const char *const *extra,
    pid_t *ret_pid, double *ret_ready_s);
/*
 * Sends sig and waits (up to timeout_s, then SIGKILL) for the daemon.
 * Returns its wait status, or -errno.
 */
int daemon_stop(const struct bench_cfg *cfg, pid_t pid, int sig,
    double timeout_s);
/* Prints the end of the daemon's stderr log (after a failure). */
void daemon_log_tail(const struct bench_cfg *cfg);

/*
 * The CPU time of a process (all its threads), in seconds: the
 * scheduler's nanoseconds where /proc has them, else utime + stime.
 */
int proc_cpu(pid_t pid, double *ret_s);
/* Minor page faults of a process so far (all its threads). */
int proc_faults(pid_t pid, uint64_t *ret);
/*
 * Sum of Rss over the mappings of pid that are not the file (dev, ino);
 * ino 0 counts everything.  Bytes.
 */
int proc_rss_outside(pid_t pid, dev_t dev, ino_t ino, uint64_t *ret);

/*
 * Runs argv (argv[0] a path) with stdout on out_fd (-1: /dev/null) and
 * stderr on the bench log; stores the seconds from fork to exit.
 * Returns the wait status, or -errno.
 */
int run_timed(const struct bench_cfg *cfg, char *const argv[], int out_fd,
    double *ret_s);
/*
 * As run_timed(), with stdout read through a pipe and its lines counted
 * in *ret_lines (the parent reads on the other core, as a pager would).
 */
int run_count_lines(const struct bench_cfg *cfg, char *const argv[],
    uint64_t *ret_lines, double *ret_s);
/*
 * Starts argv in the background, stdout and stderr appended to
 * log_name in the temporary directory.  Returns 0 and the pid, or -errno.
 */
int spawn_bg(const struct bench_cfg *cfg, char *const argv[],
    const char *log_name, pid_t *ret_pid);
/* Waits up to timeout_s for pid; SIGKILL after.  Returns the status. */
int wait_child(pid_t pid, double timeout_s);

/* load.c: client processes driving a sink. */
enum worker_kind {
	W_MMLOG,	/* mmlog_write(): one entry per packet */
	W_LIBBATCH,	/* mmlog_write() on a MMLOG_BATCH handle */
	W_BATCH,	/* ENTRIES frames of many entries, own connection */
	W_DURABLE,	/* mmlog_write_durable() per entry */
	W_DURABLE_ASYNC,	/* mmlog_write_async(), window entries out */
	W_RAW,		/* mmlog_write()'s packet on a socketpair */
	W_DGRAM,	/* a syslog datagram as syslog(3) sends it */
	W_RAW_DGRAM,	/* the same on a socketpair to a bare receiver */
};

struct load {
	/* What to run. */
	enum worker_kind kind;
	int clients;
	size_t entry_size;		/* tag + message bytes */
	double seconds;			/* how long clients send */
	int final_sync;			/* end with a SYNC barrier */
	unsigned window;		/* W_DURABLE_ASYNC: entries out */
	int probe;			/* one more client times its writes */
	int probe_samples;
	double probe_period_s;
	const char *path;		/* daemon or syslog socket */
	/* How many entries the sink has consumed, from any origin. */
	uint64_t (*consumed)(void *arg);
	void *arg;
	/* Optional: stop sending early once this returns non-zero. */
	int (*until)(void *arg);
	pid_t cpu_pid;			/* whose CPU to measure; 0 none */
	/* What happened. */
	uint64_t sent;			/* entries the clients sent */
	uint64_t got;			/* entries the sink gained */
	double elapsed_s;		/* go to everything consumed */
	double done_s;			/* go to every client finished */
	double cpu_s;			/* cpu_pid's CPU over elapsed_s */
	uint64_t faults;		/* cpu_pid's minor faults meanwhile */
	double lat[4];			/* p50 p99 p99.9 max, seconds */
	uint64_t lat_n;
	int ok;
	char why[200];
};

/*
 * Asks the daemon at path for its counters (a STATS frame) and stores
 * the value of key ("syncs", "acks", ...).  Returns 0 or -errno.
 */
int load_daemon_stat(const char *path, const char *key, uint64_t *ret);
/* Runs one load; returns 0 when it worked and counts match (l->ok). */
int load_run(struct load *l);
/* Bytes of the packet mmlog_write() sends for one entry of that size. */
size_t load_packet_size(size_t entry_size);
/* Entries of that size in one client-side batch. */
int load_batch_entries(size_t entry_size);
/*
 * Builds in buf (MML_FRAME_MAX bytes) an ENTRIES frame of n entries of
 * entry_size bytes, tag included; returns its length.
 */
size_t load_build_frame(uint8_t *buf, size_t entry_size, int n);
/* Fills msg[0, len) with printable bytes (no newline). */
void load_fill_msg(char *msg, size_t len);
/*
 * Into buf (cap bytes) the datagram glibc's syslog(3) sends for an
 * entry of entry_size bytes, tag included, from pid: "<14>Mmm dd
 * hh:mm:ss bench[PID]: MESSAGE".  Returns its length.
 */
size_t load_syslog_datagram(char *buf, size_t cap, size_t entry_size,
    pid_t pid);

/* ring_view consumed() adapter: the ring's head_seq. */
uint64_t consumed_ring(void *arg);

/* The parts, in ingest.c, durable.c, query.c, recovery.c, memory.c, peers.c. */
void part_ingest(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon);
void part_latency(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon);
void part_durable(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon);
int part_fill(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon);
void part_query(struct bench_cfg *cfg, struct ring_view *rv);
void part_memory(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon);
/* Stops *daemon, measures restarts and leaves a new one in *daemon. */
void part_recovery(struct bench_cfg *cfg, struct ring_view *rv,
    pid_t *daemon);
void part_peers(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon);
void part_forward(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon);
void part_syslog(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon);
/* write.c: the A/B of the daemon's ways of writing its ring. */
void part_write(struct bench_cfg *cfg);
/* One line per method of the A/B: its ratios in short. */
void write_summary(const struct bench_cfg *cfg, FILE *out);

/* peers.c: rsyslogd, for peers.c and forward.c. */
/* Lines in a file that another process appends to. */
struct line_counter {
	char path[400];
	int fd;
	off_t off;
	uint64_t lines;
};
/* consumed() adapter: lines in lc->path so far. */
uint64_t consumed_lines(void *arg);
/* $RSYSLOGD, else rsyslogd in the usual places; 0 or -ENOENT. */
int find_rsyslogd(char *out, size_t cap);

/* Record bytes on disk for one entry of this size from our processes. */
uint64_t bench_rec_size(size_t entry_size);

#endif /* MML_BENCH_H */
