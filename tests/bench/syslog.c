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
 * and only counts them: the machine's ceiling.  Both back to back per
 * cell, best of the repetitions, and the CPU each receiver spent per
 * datagram.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

struct syslog_cell {
	struct load raw, sl;
	double raw_rate, sl_rate;	/* best */
	double raw_cpu, sl_cpu;		/* ns per datagram in that run */
	int raw_ok, sl_ok;
	char why[200];
};

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

	c->raw_rate = c->sl_rate = c->raw_cpu = c->sl_cpu = NAN;
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
	for (s = 0; s < cfg->n_sizes; s++)
		for (c = 0; c < cfg->n_clients; c++) {
			x = &cells[s][c];
			cell_run(cfg, rv, daemon, cfg->sizes[s],
			    cfg->clients[c], x);
			bench_log("syslog %4zu B x%-2d  raw dgram %.3gk/s  "
			    "mmlogd %.3gk/s  (%.0f vs %.0f ns/datagram)",
			    cfg->sizes[s], cfg->clients[c], x->raw_rate / 1e3,
			    x->sl_rate / 1e3, x->raw_cpu, x->sl_cpu);
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
			    "ingest.syslog.%zu.c%d", cfg->sizes[s],
			    cfg->clients[c]);
			(void)snprintf(base, sizeof(base), "raw.dgram.%zu.c%d",
			    cfg->sizes[s], cfg->clients[c]);
			f = fig_add(name, x->sl_rate, "entries/s", base,
			    x->raw_rate);
			fig_extra(f, "mmlogd_cpu_ns_per_dgram", x->sl_cpu);
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
