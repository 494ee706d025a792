/*
 * fuzz_opts.c: mmlogctl's command line, and the values of its options:
 * times (--since/--until), priorities and ranges, cursors, numbers and
 * sizes; and mmlogd's options (fuzz_opts_mmlogd.c): the same arguments
 * as its command line, and the whole input as its configuration file.
 *
 * Input: arguments separated by NUL bytes (argv[0] is added).  They go
 * through mmlogctl's own mml_ctl_parse_args() (client/ctl/opts.c, with
 * main.c's table of commands), then through the checks each command
 * makes of its options before it touches a file or a socket (as
 * mml_ctl_show(), mml_ctl_write() and mml_ctl_dump() do; the commands
 * themselves are not run, so the input cannot name files to write).
 * Then every argument is given to every value parser.
 *
 * What must hold: no crash or leak; and what each parser accepts is
 * sound: a priority range is 0 <= min <= max <= 7, "@N" is N seconds
 * exactly, a cursor formats back to one that parses to the same ring
 * and seq, a size is the number times its suffix.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "fuzz.h"
#include "mmlog.h"
#include "util.h"
#include "wire.h"

#define MAX_ARGS	64
#define MAX_INPUT	4096

void fuzz_mmlogd_conf(int argc, char **argv, const uint8_t *file,
    size_t file_len);

/* What the commands check before they open anything. */
static void
command_checks(const struct mml_ctl_opts *o)
{
	struct mml_rd_match *m;
	uint64_t v, t;
	uint8_t id[16];
	size_t i;
	int lo, hi;

	if (o->output != NULL)
		(void)mml_rd_output_parse(o->output);
	if (o->lines != NULL)
		(void)mml_parse_range(o->lines, 0, INT64_MAX, &v);
	if (o->prio != NULL) {
		(void)mml_ctl_parse_prio(o->prio, &lo, &hi);
		(void)mmlog_priority_from_string(o->prio);
	}
	if (o->pid != NULL)
		(void)mml_parse_range(o->pid, 0, UINT32_MAX, &v);
	if (o->uid != NULL)
		(void)mml_parse_range(o->uid, 0, UINT32_MAX, &v);
	if (o->since != NULL)
		(void)mml_ctl_parse_time(o->since, &t);
	if (o->until != NULL)
		(void)mml_ctl_parse_time(o->until, &t);
	if (o->after_cursor != NULL)
		(void)mml_rd_cursor_parse(o->after_cursor, id, &v);
	if (o->cursor != NULL)
		(void)mml_rd_cursor_parse(o->cursor, id, &v);
	if (o->values != NULL)
		(void)mml_rd_field_name_valid((const uint8_t *)o->values,
		    strlen(o->values));
	if (o->level_prefix != NULL)
		(void)mml_ctl_parse_bool(o->level_prefix);
	if (o->prio != NULL)
		(void)mml_ctl_parse_syslog_prio(o->prio, &lo, &hi);
	/* The matches and units, as show builds them. */
	m = mml_rd_match_new();
	for (i = 0; m != NULL && i < o->n_args; i++)
		(void)mml_rd_match_add_word(m, o->args[i]);
	for (i = 0; m != NULL && i < o->n_units; i++)
		(void)mml_rd_match_add_unit(m, o->units[i]);
	m = mml_rd_match_free(m);
	if (o->grep != NULL)
		(void)mml_ctl_pattern_has_upper(o->grep);
	for (i = 0; i < o->n_fields; i++) {
		const char *eq = strchr(o->fields[i], '=');

		if (eq != NULL)
			(void)mml_field_key_valid((const uint8_t *)o->fields[i],
			    (size_t)(eq - o->fields[i]));
	}
}

/* Every parser on one string, with what its success promises. */
static void
parse_one(const char *s)
{
	char cur[MML_RD_CURSOR_MAX];
	uint8_t id[16], id2[16];
	uint64_t v, v2, n, u;
	const char *q;
	int lo, hi, p;

	if (mml_ctl_parse_prio(s, &lo, &hi) == 0)
		FUZZ_CHECK(lo >= 0 && lo <= hi && hi <= 7);
	if (mml_ctl_parse_syslog_prio(s, &lo, &hi) == 0)
		FUZZ_CHECK(lo >= 0 && lo <= 7 && hi >= -1 && hi <= 23 &&
		    hi != 0);
	p = mml_ctl_parse_bool(s);
	FUZZ_CHECK(p == 0 || p == 1 || p == -EINVAL);
	p = mmlog_priority_from_string(s);
	FUZZ_CHECK(p >= -EINVAL && p <= 7);
	if (mml_parse_u64(s, &v) == 0)
		FUZZ_CHECK(*s >= '0' && *s <= '9');
	if (mml_parse_range(s, 0, UINT32_MAX, &u) == 0)
		FUZZ_CHECK(mml_parse_u64(s, &v) == 0 && v == u &&
		    u <= UINT32_MAX);
	if (mml_ctl_parse_time(s, &v) == 0 && s[0] == '@') {
		/* "@N" with digits only is N seconds, exactly. */
		for (n = 0, q = s + 1; *q >= '0' && *q <= '9'; q++)
			n = n * 10 + (uint64_t)(*q - '0');
		if (*q == '\0')
			FUZZ_CHECK(v == n * 1000000);
	}
	if (mml_rd_cursor_parse(s, id, &v) == 0) {
		mml_rd_cursor_format(cur, id, v);
		FUZZ_CHECK(mml_rd_cursor_parse(cur, id2, &v2) == 0);
		FUZZ_CHECK(memcmp(id, id2, 16) == 0 && v == v2);
	}
	if (mml_rd_output_parse(s) >= 0)
		FUZZ_CHECK(mml_rd_output_parse(s) <= MML_RD_O_JSON_SEQ);
	(void)mml_ctl_pattern_has_upper(s);
	/* mmlogd's sizes and counts (its options and configuration file). */
	if (mml_parse_size(s, &v) == 0) {
		/* The number before any suffix, times the suffix. */
		n = strtoull(s, NULL, 10);
		FUZZ_CHECK(v == n || (n != 0 && v % n == 0 && v / n >=
		    1024));
	}
	if (mml_parse_u64(s, &v) == 0)
		FUZZ_CHECK(v == strtoull(s, NULL, 10));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[MAX_INPUT + 1];
	char *argv[MAX_ARGS + 2];
	struct mml_ctl_opts o;
	size_t i;
	int argc = 1, rc;

	if (size > MAX_INPUT)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "mmlogctl";
	argv[argc++] = buf;
	for (i = 0; i < size && argc <= MAX_ARGS; i++)
		if (buf[i] == '\0')
			argv[argc++] = buf + i + 1;
	/* The last one was the terminator's empty string: not an argument. */
	if (size == 0 || buf[size - 1] == '\0' || argc > MAX_ARGS)
		argc--;
	argv[argc] = NULL;

	memset(&o, 0, sizeof(o));
	optind = 0;	/* glibc: start over, forget the last scan */
	/* Checked per command too, unless --help or --version came. */
	rc = mml_ctl_parse_args(argc, argv, &o);
	if (rc == 0)
		command_checks(&o);
	mml_ctl_opts_free(&o);
	for (i = 1; i < (size_t)argc; i++)
		parse_one(argv[i]);
	/* mml_ctl_parse_args() may have permuted argv: mmlogd gets it as it is now. */
	argv[0] = "mmlogd";
	fuzz_mmlogd_conf(argc, argv, data, size);
	return 0;
}
