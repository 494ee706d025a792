/*
 * durable.c: acknowledged (durable) entries per second with many
 * clients, each waiting for every entry: the group commit at work.
 *
 * The baseline is what an application gets on its own: write() and
 * fdatasync() per entry to a plain file in the same directory, so on
 * the same disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

/* write()+fdatasync() per line; checks the file holds every line. */
static int
fdatasync_rate(const struct bench_cfg *cfg, size_t entry_size, double seconds,
    double *ret_rate)
{
	char path[400], line[4200];
	uint64_t n = 0;
	struct stat st;
	double t0, t;
	size_t len = entry_size + 1;
	int fd, r = 0;

	if (len > sizeof(line))
		return -EINVAL;
	load_fill_msg(line, entry_size);
	line[entry_size] = '\n';
	(void)snprintf(path, sizeof(path), "%s/fdatasync.log", cfg->tmp);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return -errno;
	t0 = bench_now();
	do {
		if (write(fd, line, len) != (ssize_t)len ||
		    fdatasync(fd) < 0) {
			r = errno ? -errno : -EIO;
			break;
		}
		n++;
		t = bench_now() - t0;
	} while (t < seconds);
	if (r == 0 && (fstat(fd, &st) < 0 || (uint64_t)st.st_size != n * len))
		r = -EIO;
	(void)close(fd);
	(void)unlink(path);
	if (r == 0)
		*ret_rate = (double)n / t;
	return r;
}

/* The figures of one kind of durable client, at each client count. */
struct durable_set {
	enum worker_kind kind;
	const char *name;	/* figure name prefix */
	struct load l[3];
	double rate[3], group[3], sync_us[3];
};

static void
durable_runs(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon,
    struct durable_set *ds, double *base, int *base_err)
{
	uint64_t syncs0 = 0, syncs1 = 0, acks0 = 0, acks1 = 0, v;
	struct load *l;
	double rate = NAN;
	int i, rep, r;

	for (i = 0; i < cfg->n_durable; i++) {
		l = &ds->l[i];
		ds->rate[i] = NAN;
		ds->group[i] = NAN;
		ds->sync_us[i] = NAN;
		for (rep = 0; rep < cfg->reps; rep++) {
			/* Baseline and figure alternate: same disk weather. */
			r = fdatasync_rate(cfg, 128, cfg->run_s / 2, &rate);
			if (r < 0)
				*base_err = r;
			else if (isnan(*base) || rate > *base)
				*base = rate;
			memset(l, 0, sizeof(*l));
			l->kind = ds->kind;
			l->clients = cfg->durable_clients[i];
			l->window = cfg->async_window;
			l->entry_size = 128;
			l->seconds = cfg->run_s;
			l->path = cfg->sock_path;
			l->consumed = consumed_ring;
			l->arg = rv;
			l->cpu_pid = daemon;
			/*
			 * The daemon's own counters say how many entries one
			 * msync served: the group commit at work.
			 */
			if (load_daemon_stat(cfg->sock_path, "syncs",
			    &syncs0) < 0 || load_daemon_stat(cfg->sock_path,
			    "acks", &acks0) < 0)
				syncs0 = acks0 = 0;
			if (load_run(l) < 0)
				break;
			rate = (double)l->sent / l->elapsed_s;
			if (load_daemon_stat(cfg->sock_path, "syncs",
			    &syncs1) == 0 && load_daemon_stat(cfg->sock_path,
			    "acks", &acks1) == 0 && syncs1 > syncs0)
				ds->group[i] = (double)(acks1 - acks0) /
				    (double)(syncs1 - syncs0);
			if (isnan(ds->rate[i]) || rate > ds->rate[i]) {
				ds->rate[i] = rate;
				/*
				 * The disk's sync latency decides these
				 * figures: on this VM it went from 160 to
				 * 550 us between runs of the same build.
				 */
				ds->sync_us[i] = load_daemon_stat(
				    cfg->sock_path, "sync_usec_avg", &v) == 0 ?
				    (double)v : NAN;
			}
		}
		/* Every entry was acked as durable: the header must agree. */
		if (l->ok && ring_durable_seq(rv) + 1 < ring_head_seq(rv)) {
			(void)snprintf(l->why, sizeof(l->why), "all acked, "
			    "but the header's durable_seq %llu is behind "
			    "head_seq %llu",
			    (unsigned long long)ring_durable_seq(rv),
			    (unsigned long long)ring_head_seq(rv));
			l->ok = 0;
		}
		bench_log("%s x%-2d  %.3gk acked entries/s, %.1f per sync, "
		    "syncs %.0f us  (fdatasync %.3gk/s)", ds->name,
		    cfg->durable_clients[i], ds->rate[i] / 1e3, ds->group[i],
		    ds->sync_us[i], *base / 1e3);
	}
}

/*
 * Two kinds of durable client.  durable: mmlog_write_durable(), one
 * entry out per client, so each round trip includes a whole sync.
 * durable_async: mmlog_write_async() with a window of entries out per
 * client, each acknowledged on its own.
 */
void
part_durable(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon)
{
	static struct durable_set sets[2] = {
		{ .kind = W_DURABLE, .name = "durable" },
		{ .kind = W_DURABLE_ASYNC, .name = "durable_async" },
	};
	struct durable_set *ds;
	double base = NAN;
	char name[64];
	struct figure *f;
	int i, k, base_err = 0;

	for (k = 0; k < 2; k++)
		durable_runs(cfg, rv, daemon, &sets[k], &base, &base_err);
	for (k = 0; k < 2; k++) {
		ds = &sets[k];
		for (i = 0; i < cfg->n_durable; i++) {
			(void)snprintf(name, sizeof(name), "%s.c%d", ds->name,
			    cfg->durable_clients[i]);
			f = fig_add(name, ds->rate[i], "entries/s",
			    "fdatasync.c1", base);
			if (!ds->l[i].ok)
				fig_invalid(f, "%s", ds->l[i].why);
			if (base_err)
				fig_invalid(f, "baseline: %s",
				    strerror(-base_err));
			fig_extra(f, "entries", (double)ds->l[i].sent);
			fig_extra(f, "entries_per_sync", ds->group[i]);
			fig_extra(f, "sync_usec_avg", ds->sync_us[i]);
			fig_extra(f, "daemon_cpu_us_per_entry",
			    ds->l[i].cpu_s / (double)ds->l[i].sent * 1e6);
			if (ds->kind == W_DURABLE_ASYNC)
				fig_extra(f, "window", (double)cfg->async_window);
			if (cfg->durable_clients[i] == 32)
				fig_target(f, "> 100k/s", ds->rate[i] > 1e5);
		}
	}
}
