/*
 * ingest.c: the raw ceilings, ingest throughput and write latency.
 *
 * raw.seqpacket: mmlog_write()'s very packet sent over a socketpair to a
 * receiver that only counts it: what one-entry-per-packet ingest could
 * reach on this machine with the same number of client processes.
 * raw.memcpy: copying records of the same size into a mapped file: what
 * the daemon's copy could reach once the kernel is out of the way.
 *
 * Each (size, clients) cell runs raw, unbatched and batched back to
 * back, so that the noise of a shared machine lands on a figure and its
 * baseline alike; with reps > 1 the best run of each counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

#define MEMCPY_REGION_MAX	((uint64_t)1 << 30)

struct best {
	double rate;		/* entries/s of the best run */
	double cpu_ns;		/* the sink's CPU per entry in that run */
	uint64_t entries;
	double secs;
	int runs;
	int ok;
	char why[200];
};

struct cell {
	struct best raw, unb, bat, lib;
};

static void
best_init(struct best *b)
{
	memset(b, 0, sizeof(*b));
	b->rate = NAN;
	b->cpu_ns = NAN;
	b->ok = 1;
}

static void
best_take(struct best *b, const struct load *l)
{
	double rate;

	b->runs++;
	if (!l->ok) {
		b->ok = 0;
		(void)snprintf(b->why, sizeof(b->why), "%s", l->why);
		return;
	}
	rate = (double)l->sent / l->elapsed_s;
	if (isnan(b->rate) || rate > b->rate) {
		b->rate = rate;
		b->cpu_ns = l->cpu_s / (double)l->sent * 1e9;
		b->entries = l->sent;
		b->secs = l->elapsed_s;
	}
}

/*
 * The memcpy ceiling: records copied one after another into a mapped
 * file as large as the ring (so no cache holds it), wrapping at the end,
 * as the daemon fills its ring.  The region is written once first, so
 * page faults and block allocation are not in the figure: the ring of
 * a running daemon is warm too.
 */
struct region {
	char path[400];
	int fd;
	uint8_t *map;
	uint64_t size;
};

static int
region_open(const struct bench_cfg *cfg, struct region *g)
{
	int r;

	g->size = cfg->ring_size < MEMCPY_REGION_MAX ? cfg->ring_size :
	    MEMCPY_REGION_MAX;
	g->map = MAP_FAILED;
	(void)snprintf(g->path, sizeof(g->path), "%s/memcpy.map", cfg->tmp);
	g->fd = open(g->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (g->fd < 0)
		return -errno;
	r = posix_fallocate(g->fd, 0, (off_t)g->size);
	if (r != 0)
		return -r;
	g->map = mmap(NULL, g->size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    g->fd, 0);
	if (g->map == MAP_FAILED)
		return -errno;
	memset(g->map, 0, g->size);
	return 0;
}

static void
region_close(struct region *g)
{
	if (g->map != MAP_FAILED)
		(void)munmap(g->map, g->size);
	if (g->fd >= 0) {
		(void)close(g->fd);
		(void)unlink(g->path);
	}
	g->map = MAP_FAILED;
	g->fd = -1;
}

static double
memcpy_rate(struct region *g, uint64_t rec, double seconds)
{
	uint8_t src[8192];
	uint64_t off = 0, n = 0;
	double t0, t;
	int k;

	load_fill_msg((char *)src, sizeof(src));
	t0 = bench_now();
	do {
		for (k = 0; k < 1024; k++) {
			if (g->size - off < rec)
				off = 0;
			memcpy(g->map + off, src, rec);
			off += rec;
			n++;
		}
		t = bench_now() - t0;
	} while (t < seconds);
	/* The stores are the point: keep the compiler from dropping them. */
	__asm__ __volatile__("" : : "r"(g->map) : "memory");
	return (double)n / t;
}

static void
cell_run(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon,
    size_t size, int clients, struct cell *c)
{
	struct load l;
	int rep;

	best_init(&c->raw);
	best_init(&c->unb);
	best_init(&c->bat);
	best_init(&c->lib);
	for (rep = 0; rep < cfg->reps; rep++) {
		memset(&l, 0, sizeof(l));
		l.kind = W_RAW;
		l.clients = clients;
		l.entry_size = size;
		l.seconds = cfg->run_s;
		(void)load_run(&l);
		best_take(&c->raw, &l);
		if (!(cfg->parts & PART_INGEST))
			continue;

		memset(&l, 0, sizeof(l));
		l.kind = W_MMLOG;
		l.clients = clients;
		l.entry_size = size;
		l.seconds = cfg->run_s;
		l.final_sync = 1;
		l.path = cfg->sock_path;
		l.consumed = consumed_ring;
		l.arg = rv;
		l.cpu_pid = daemon;
		(void)load_run(&l);
		best_take(&c->unb, &l);

		l.kind = W_BATCH;
		(void)load_run(&l);
		best_take(&c->bat, &l);

		l.kind = W_LIBBATCH;
		(void)load_run(&l);
		best_take(&c->lib, &l);
	}
}

/* "kind.SIZE.cN", or "kind.SIZE" when clients is 0; name has 64 bytes. */
static void
row_name(char *name, const char *kind, size_t size, int clients)
{
	if (clients > 0)
		(void)snprintf(name, 64, "%s.%zu.c%d", kind, size, clients);
	else
		(void)snprintf(name, 64, "%s.%zu", kind, size);
}

static void
check(struct figure *f, const struct best *b)
{
	if (!b->ok)
		fig_invalid(f, "%s", b->why);
	fig_extra(f, "entries", (double)b->entries);
	fig_extra(f, "seconds", b->secs);
	fig_extra(f, "runs", b->runs);
}

void
part_ingest(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon)
{
	struct cell cells[4][3];
	struct region g = { .fd = -1, .map = MAP_FAILED };
	double mc[4], rate;
	char name[64], base[64];
	struct figure *f;
	struct cell *x;
	int s, c, k, nc, nk = cfg->n_sizes * cfg->n_clients, rep, r;
	size_t size;

	r = region_open(cfg, &g);
	if (r < 0)
		bench_log("memcpy baseline: %s", strerror(-r));
	for (s = 0; s < cfg->n_sizes; s++) {
		size = cfg->sizes[s];
		mc[s] = NAN;
		for (rep = 0; r == 0 && rep < cfg->reps; rep++) {
			rate = memcpy_rate(&g, bench_rec_size(size),
			    cfg->run_s / 2);
			if (isnan(mc[s]) || rate > mc[s])
				mc[s] = rate;
		}
		for (c = 0; c < cfg->n_clients; c++) {
			cell_run(cfg, rv, daemon, size, cfg->clients[c],
			    &cells[s][c]);
			x = &cells[s][c];
			if (cfg->parts & PART_INGEST)
				bench_log("ingest %4zu B x%-2d  raw %.3gM/s  "
				    "unbatched %.3gM/s  batched %.3gM/s  "
				    "library-batched %.3gM/s  (memcpy %.3gM/s)",
				    size, cfg->clients[c], x->raw.rate / 1e6,
				    x->unb.rate / 1e6, x->bat.rate / 1e6,
				    x->lib.rate / 1e6, mc[s] / 1e6);
			else
				bench_log("raw %4zu B x%-2d  seqpacket "
				    "%.3gM/s  memcpy %.3gM/s", size,
				    cfg->clients[c], x->raw.rate / 1e6,
				    mc[s] / 1e6);
		}
	}

	region_close(&g);

	/*
	 * Rows grouped by kind, whatever order they were measured in; k
	 * walks the (size, clients) matrix.
	 */
	for (s = 0; s < cfg->n_sizes; s++) {
		row_name(name, "raw.memcpy", cfg->sizes[s], 0);
		f = fig_add(name, mc[s], "entries/s", NULL, NAN);
		fig_extra(f, "record_bytes",
		    (double)bench_rec_size(cfg->sizes[s]));
		fig_extra(f, "MiB_per_s", mc[s] *
		    (double)bench_rec_size(cfg->sizes[s]) / 1048576);
		if (isnan(mc[s]))
			fig_invalid(f, "memcpy into a mapped file failed");
	}
	for (k = 0; k < nk; k++) {
		s = k / cfg->n_clients;
		x = &cells[s][k % cfg->n_clients];
		nc = cfg->clients[k % cfg->n_clients];
		row_name(name, "raw.seqpacket", cfg->sizes[s], nc);
		f = fig_add(name, x->raw.rate, "pkt/s", NULL, NAN);
		check(f, &x->raw);
		fig_extra(f, "packet_bytes",
		    (double)load_packet_size(cfg->sizes[s]));
		fig_extra(f, "rx_cpu_ns_per_pkt", x->raw.cpu_ns);
	}
	if (!(cfg->parts & PART_INGEST))
		return;
	for (k = 0; k < nk; k++) {
		s = k / cfg->n_clients;
		x = &cells[s][k % cfg->n_clients];
		nc = cfg->clients[k % cfg->n_clients];
		row_name(name, "ingest.unbatched", cfg->sizes[s], nc);
		row_name(base, "raw.seqpacket", cfg->sizes[s], nc);
		f = fig_add(name, x->unb.rate, "entries/s", base, x->raw.rate);
		check(f, &x->unb);
		fig_target(f, ">= 0.8 x raw", fig_ratio(f) >= 0.8);
	}
	for (k = 0; k < nk; k++) {
		s = k / cfg->n_clients;
		x = &cells[s][k % cfg->n_clients];
		nc = cfg->clients[k % cfg->n_clients];
		row_name(name, "ingest.batched", cfg->sizes[s], nc);
		row_name(base, "raw.memcpy", cfg->sizes[s], 0);
		f = fig_add(name, x->bat.rate, "entries/s", base, mc[s]);
		check(f, &x->bat);
		fig_extra(f, "entries_per_frame",
		    load_batch_entries(cfg->sizes[s]));
		if (cfg->sizes[s] == 128)
			fig_target(f, "> 5M/s", x->bat.rate > 5e6);
	}
	/*
	 * Batched by the library itself (MMLOG_BATCH, one mmlog_write() per
	 * entry), beside the hand-made frames of the same entries.
	 */
	for (k = 0; k < nk; k++) {
		s = k / cfg->n_clients;
		x = &cells[s][k % cfg->n_clients];
		nc = cfg->clients[k % cfg->n_clients];
		row_name(name, "ingest.libbatch", cfg->sizes[s], nc);
		row_name(base, "ingest.batched", cfg->sizes[s], nc);
		f = fig_add(name, x->lib.rate, "entries/s", base, x->bat.rate);
		check(f, &x->lib);
		fig_extra(f, "cpu_ns_per_entry", x->lib.cpu_ns);
		if (cfg->sizes[s] == 128)
			fig_target(f, "> 5M/s", x->lib.rate > 5e6);
	}
	/*
	 * The daemon's CPU per entry, beside what the bare receiver spends
	 * per packet (unbatched) or what the copy alone costs (batched).
	 */
	for (k = 0; k < nk; k++) {
		s = k / cfg->n_clients;
		x = &cells[s][k % cfg->n_clients];
		nc = cfg->clients[k % cfg->n_clients];
		row_name(name, "cpu.unbatched", cfg->sizes[s], nc);
		row_name(base, "raw.rx_cpu", cfg->sizes[s], nc);
		f = fig_add(name, x->unb.cpu_ns, "ns/entry", base,
		    x->raw.cpu_ns);
		if (!x->unb.ok || !x->raw.ok)
			fig_invalid(f, "its run failed");
		fig_target(f, "<= 1.2 x raw", fig_ratio(f) <= 1.2);
	}
	for (k = 0; k < nk; k++) {
		s = k / cfg->n_clients;
		x = &cells[s][k % cfg->n_clients];
		nc = cfg->clients[k % cfg->n_clients];
		row_name(name, "cpu.batched", cfg->sizes[s], nc);
		row_name(base, "raw.memcpy_ns", cfg->sizes[s], 0);
		f = fig_add(name, x->bat.cpu_ns, "ns/entry", base,
		    1e9 / mc[s]);
		if (!x->bat.ok)
			fig_invalid(f, "its run failed");
	}
}

void
part_latency(struct bench_cfg *cfg, struct ring_view *rv, pid_t daemon)
{
	static const char *pct[4] = { "p50", "p99", "p99.9", "max" };
	struct load raw[2], mm[2];
	char name[64], base[64];
	struct figure *f;
	int loaded, i;

	for (loaded = 0; loaded < 2; loaded++) {
		memset(&raw[loaded], 0, sizeof(raw[loaded]));
		raw[loaded].kind = W_RAW;
		raw[loaded].clients = loaded ? cfg->lat_load : 0;
		raw[loaded].entry_size = 128;
		raw[loaded].seconds = 600;
		raw[loaded].probe = 1;
		raw[loaded].probe_samples = cfg->lat_samples;
		raw[loaded].probe_period_s = cfg->lat_period_s;
		(void)load_run(&raw[loaded]);

		mm[loaded] = raw[loaded];
		mm[loaded].kind = W_MMLOG;
		mm[loaded].final_sync = 1;
		mm[loaded].path = cfg->sock_path;
		mm[loaded].consumed = consumed_ring;
		mm[loaded].arg = rv;
		mm[loaded].cpu_pid = daemon;
		(void)load_run(&mm[loaded]);
		bench_log("latency %s: mmlog_write p50 %.1f us p99 %.1f us, "
		    "raw send p50 %.1f us p99 %.1f us", loaded ? "loaded" :
		    "idle", mm[loaded].lat[0] * 1e6, mm[loaded].lat[1] * 1e6,
		    raw[loaded].lat[0] * 1e6, raw[loaded].lat[1] * 1e6);
	}
	for (loaded = 0; loaded < 2; loaded++)
		for (i = 0; i < 4; i++) {
			(void)snprintf(name, sizeof(name), "latency.%s.%s",
			    loaded ? "loaded" : "idle", pct[i]);
			(void)snprintf(base, sizeof(base), "raw.send.%s.%s",
			    loaded ? "loaded" : "idle", pct[i]);
			f = fig_add(name, mm[loaded].lat[i] * 1e6, "us", base,
			    raw[loaded].lat[i] * 1e6);
			if (!mm[loaded].ok)
				fig_invalid(f, "%s", mm[loaded].why);
			else if (!raw[loaded].ok)
				fig_invalid(f, "baseline: %s", raw[loaded].why);
			if (i > 0)
				continue;
			fig_extra(f, "samples", (double)mm[loaded].lat_n);
			fig_extra(f, "load_clients",
			    loaded ? cfg->lat_load : 0);
			fig_extra(f, "period_us", cfg->lat_period_s * 1e6);
		}
}
