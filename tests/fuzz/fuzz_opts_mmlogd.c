/*
 * fuzz_opts_mmlogd.c: mmlogd's own option parsers for fuzz_opts.
 *
 * They are static in daemon/main.c, which is included here whole (its
 * main() renamed and unused) rather than split up for the harness's
 * sake; this file exports them to fuzz_opts.c.
 */
#define main mmlogd_main
#include "../../daemon/main.c"
#undef main

int fuzz_mmlogd_parse_size(const char *s, uint64_t *ret);
int fuzz_mmlogd_parse_uint(const char *s, unsigned long max,
    unsigned long *ret);

int
fuzz_mmlogd_parse_size(const char *s, uint64_t *ret)
{
	return parse_size(s, ret);
}

int
fuzz_mmlogd_parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	return parse_uint(s, max, ret);
}
