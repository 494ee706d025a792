/*
 * report.c: the figures of one run, printed as a table and written as a
 * JSON file.
 *
 * A figure is a value, its unit, the baseline it is to be read against
 * (measured in the same run) and their ratio, value / baseline.  For
 * rates a higher ratio is better, for times and costs a lower one.
 * Whether the run checked out (valid), why it was skipped, and the
 * target (HACKING.md) it answers to travel with it.
 */
#include <errno.h>
#include <linux/magic.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define FIGURES_MAX	512

static struct figure figures[FIGURES_MAX];
static int n_figures;

static void json_num(FILE *, double);
static void fmt_value(char *, size_t, double);

struct figure *
fig_add(const char *name, double value, const char *unit,
    const char *base_name, double base_value)
{
	struct figure *f;

	/* A run never has this many; the last slot absorbs any excess. */
	if (n_figures == FIGURES_MAX)
		n_figures--;
	f = &figures[n_figures++];
	memset(f, 0, sizeof(*f));
	(void)snprintf(f->name, sizeof(f->name), "%s", name);
	f->value = value;
	f->unit = unit;
	(void)snprintf(f->base_name, sizeof(f->base_name), "%s",
	    base_name != NULL ? base_name : "");
	f->base_value = base_name != NULL ? base_value : NAN;
	f->valid = 1;
	return f;
}

static void
vnote(struct figure *f, const char *fmt, va_list ap)
{
	size_t n = strlen(f->note);

	if (n > 0 && n + 2 < sizeof(f->note)) {
		f->note[n++] = ';';
		f->note[n++] = ' ';
		f->note[n] = '\0';
	}
	(void)vsnprintf(f->note + n, sizeof(f->note) - n, fmt, ap);
}

void
fig_invalid(struct figure *f, const char *fmt, ...)
{
	va_list ap;

	f->valid = 0;
	va_start(ap, fmt);
	vnote(f, fmt, ap);
	va_end(ap);
}

void
fig_skip(struct figure *f, const char *fmt, ...)
{
	va_list ap;

	f->skipped = 1;
	va_start(ap, fmt);
	vnote(f, fmt, ap);
	va_end(ap);
}

void
fig_note(struct figure *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(f, fmt, ap);
	va_end(ap);
}

void
fig_extra(struct figure *f, const char *key, double value)
{
	if (f->n_extra == (int)(sizeof(f->extra) / sizeof(f->extra[0])))
		return;
	f->extra[f->n_extra].key = key;
	f->extra[f->n_extra].value = value;
	f->n_extra++;
}

void
fig_target(struct figure *f, const char *text, int met)
{
	(void)snprintf(f->target, sizeof(f->target), "%s", text);
	f->met = met;
}

double
fig_ratio(const struct figure *f)
{
	if (isnan(f->value) || isnan(f->base_value) || f->base_value == 0)
		return NAN;
	return f->value / f->base_value;
}

struct figure *
fig_find(const char *name)
{
	int i;

	for (i = 0; i < n_figures; i++)
		if (strcmp(figures[i].name, name) == 0)
			return &figures[i];
	return NULL;
}

int
fig_count(void)
{
	return n_figures;
}

struct figure *
fig_at(int i)
{
	return &figures[i];
}

int
fig_invalid_count(void)
{
	int i, n = 0;

	for (i = 0; i < n_figures; i++)
		if (!figures[i].valid)
			n++;
	return n;
}

/* Four significant digits at most, with k/M/G for large values. */
static void
fmt_value(char *buf, size_t cap, double v)
{
	double a = fabs(v);

	if (isnan(v))
		(void)snprintf(buf, cap, "-");
	else if (a >= 1e9)
		(void)snprintf(buf, cap, "%.3gG", v / 1e9);
	else if (a >= 1e6)
		(void)snprintf(buf, cap, "%.3gM", v / 1e6);
	else if (a >= 1e4)
		(void)snprintf(buf, cap, "%.3gk", v / 1e3);
	else if (a >= 100)
		(void)snprintf(buf, cap, "%.0f", v);
	else
		(void)snprintf(buf, cap, "%.3g", v);
}

void
report_table(FILE *out)
{
	char v[32], b[32], r[32], flag[8];
	const struct figure *f;
	double ratio;
	int i;

	(void)fprintf(out, "%-28s %9s %-10s %-28s %9s %7s  %s\n", "figure",
	    "value", "unit", "baseline", "value", "ratio", "target / notes");
	for (i = 0; i < n_figures; i++) {
		f = &figures[i];
		fmt_value(v, sizeof(v), f->value);
		fmt_value(b, sizeof(b), f->base_value);
		ratio = fig_ratio(f);
		/* Truncated: 0.7995 must not print as 0.800 beside ">= 0.8". */
		if (isnan(ratio))
			(void)snprintf(r, sizeof(r), "-");
		else if (ratio < 1)
			(void)snprintf(r, sizeof(r), "%.3f",
			    floor(ratio * 1000) / 1000);
		else
			(void)snprintf(r, sizeof(r), "%.3g", ratio);
		/* Invalid figures are flagged where the eye lands first. */
		(void)snprintf(flag, sizeof(flag), "%s", !f->valid ? "!" :
		    f->skipped ? "~" : " ");
		(void)fprintf(out, "%s%-27s %9s %-10s %-28s %9s %7s ", flag,
		    f->name, v, f->unit, f->base_name[0] ? f->base_name : "-",
		    b, r);
		/* A target is judged only on a figure that checked out. */
		if (f->target[0])
			(void)fprintf(out, " %s: %s", f->target,
			    !f->valid || isnan(f->value) ? "-" :
			    f->met ? "met" : "NOT MET");
		if (!f->valid)
			(void)fprintf(out, " INVALID");
		if (f->note[0])
			(void)fprintf(out, " (%s)", f->note);
		(void)fputc('\n', out);
	}
}

void
json_str(char *out, size_t cap, const char *s)
{
	size_t n = strlen(out);
	const unsigned char *p;

	if (cap == 0 || n >= cap - 1)
		return;
	for (p = (const unsigned char *)s, out[n++] = '"'; *p != '\0'; p++) {
		if (n + 8 >= cap)
			break;
		if (*p == '"' || *p == '\\') {
			out[n++] = '\\';
			out[n++] = (char)*p;
		} else if (*p < 0x20)
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", *p);
		else
			out[n++] = (char)*p;
	}
	out[n++] = '"';
	out[n] = '\0';
}

/* JSON has no NaN: an unmeasured number is null. */
static void
json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		(void)fputs("null", f);
	else
		(void)fprintf(f, "%.6g", v);
}

static void
read_line(const char *path, const char *prefix, char *out, size_t cap)
{
	char line[512];
	const char *v;
	FILE *f;
	size_t n;

	out[0] = '\0';
	f = fopen(path, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (prefix != NULL &&
		    strncmp(line, prefix, strlen(prefix)) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		v = line;
		/* "model name\t: AMD EPYC": the value after ": ". */
		if (prefix != NULL && (v = strstr(line, ": ")) != NULL)
			v += 2;
		else if (prefix != NULL)
			v = line;
		n = strlen(v) < cap ? strlen(v) : cap - 1;
		memcpy(out, v, n);
		out[n] = '\0';
		break;
	}
	(void)fclose(f);
}

static const char *
fs_name(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) < 0)
		return "unknown";
	switch ((unsigned long)sf.f_type) {
	case EXT4_SUPER_MAGIC: return "ext4";	/* also ext2 and ext3 */
	case TMPFS_MAGIC: return "tmpfs";
	case XFS_SUPER_MAGIC: return "xfs";
	case BTRFS_SUPER_MAGIC: return "btrfs";
	case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
	case FUSE_SUPER_MAGIC: return "fuse";
	default: return "other";
	}
}

int
report_json(const char *path, const struct bench_cfg *cfg,
    const char *targets_json)
{
	char s[1024], date[64], cpu[256], load[128], qlen[32];
	struct utsname u;
	struct tm tm;
	time_t t = time(NULL);
	const struct figure *fg;
	FILE *f;
	int i, j, e;

	f = fopen(path, "we");
	if (f == NULL)
		return -errno;
	(void)uname(&u);
	(void)gmtime_r(&t, &tm);
	(void)strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	read_line("/proc/cpuinfo", "model name", cpu, sizeof(cpu));
	read_line("/proc/loadavg", NULL, load, sizeof(load));
	/* How many datagrams a bound socket queues before senders wait. */
	read_line("/proc/sys/net/unix/max_dgram_qlen", NULL, qlen,
	    sizeof(qlen));
	(void)fprintf(f, "{\n  \"machine\": {\n    \"nproc\": %ld,\n",
	    sysconf(_SC_NPROCESSORS_ONLN));
	s[0] = '\0';
	json_str(s, sizeof(s), u.release);
	(void)fprintf(f, "    \"kernel\": %s,\n", s);
	s[0] = '\0';
	json_str(s, sizeof(s), u.machine);
	(void)fprintf(f, "    \"arch\": %s,\n", s);
	s[0] = '\0';
	json_str(s, sizeof(s), cpu);
	(void)fprintf(f, "    \"cpu\": %s,\n    \"date\": \"%s\",\n", s, date);
	s[0] = '\0';
	json_str(s, sizeof(s), load);
	(void)fprintf(f, "    \"loadavg_end\": %s,\n", s);
	s[0] = '\0';
	json_str(s, sizeof(s), qlen);
	(void)fprintf(f, "    \"unix_max_dgram_qlen\": %s,\n", s);
	s[0] = '\0';
	json_str(s, sizeof(s), cfg->tmp);
	(void)fprintf(f, "    \"tmpdir\": %s,\n    \"tmpdir_fs\": \"%s\"\n"
	    "  },\n", s, fs_name(cfg->tmp));
	(void)fprintf(f, "  \"mode\": \"%s\",\n  \"ring_bytes\": %llu,\n"
	    "  \"run_seconds\": ", cfg->mode,
	    (unsigned long long)cfg->ring_size);
	json_num(f, cfg->run_s);
	(void)fprintf(f, ",\n  \"reps\": %d,\n  \"write_reps\": %d,\n"
	    "  \"invalid\": %d,\n"
	    "  \"ratio\": \"value / baseline\",\n  \"figures\": [\n",
	    cfg->reps, cfg->write_reps, fig_invalid_count());
	for (i = 0; i < n_figures; i++) {
		fg = &figures[i];
		s[0] = '\0';
		json_str(s, sizeof(s), fg->name);
		(void)fprintf(f, "    {\"name\": %s, \"value\": ", s);
		json_num(f, fg->value);
		(void)fprintf(f, ", \"unit\": \"%s\", \"baseline\": ",
		    fg->unit);
		if (fg->base_name[0]) {
			s[0] = '\0';
			json_str(s, sizeof(s), fg->base_name);
			(void)fprintf(f, "{\"name\": %s, \"value\": ", s);
			json_num(f, fg->base_value);
			(void)fputs("}", f);
		} else
			(void)fputs("null", f);
		(void)fputs(", \"ratio\": ", f);
		json_num(f, fig_ratio(fg));
		(void)fprintf(f, ", \"valid\": %s, \"skipped\": %s",
		    fg->valid ? "true" : "false",
		    fg->skipped ? "true" : "false");
		if (fg->target[0]) {
			s[0] = '\0';
			json_str(s, sizeof(s), fg->target);
			(void)fprintf(f, ", \"target\": {\"text\": %s, "
			    "\"met\": %s}", s, !fg->valid || isnan(fg->value) ?
			    "null" : fg->met ? "true" : "false");
		}
		if (fg->note[0]) {
			s[0] = '\0';
			json_str(s, sizeof(s), fg->note);
			(void)fprintf(f, ", \"note\": %s", s);
		}
		if (fg->n_extra > 0) {
			(void)fputs(", \"detail\": {", f);
			for (j = 0; j < fg->n_extra; j++) {
				(void)fprintf(f, "%s\"%s\": ", j ? ", " : "",
				    fg->extra[j].key);
				json_num(f, fg->extra[j].value);
			}
			(void)fputs("}", f);
		}
		(void)fprintf(f, "}%s\n", i + 1 < n_figures ? "," : "");
	}
	(void)fprintf(f, "  ],\n  \"targets\": %s\n}\n",
	    targets_json != NULL && targets_json[0] ? targets_json : "[]");
	e = ferror(f) ? -EIO : 0;
	if (fclose(f) != 0 && e == 0)
		e = -errno;
	return e;
}
