/*
 * fuzz_opts_mmlogd.c: mmlogd's options for fuzz_opts: the command line
 * and the configuration file (daemon/conf.c), and its value parsers.
 *
 * The option table is static in daemon/conf.c, which is included here
 * whole (and so not linked a second time) rather than split up for the
 * harness's sake; this file exports what fuzz_opts.c calls.  The number
 * and size parsers are proto/util.c's, which conf.c uses.
 */
#include "../../daemon/conf.c"

#include "fuzz.h"

int fuzz_mmlogd_parse_size(const char *s, uint64_t *ret);
int fuzz_mmlogd_parse_uint(const char *s, uint64_t *ret);
void fuzz_mmlogd_conf(int argc, char **argv, const uint8_t *file,
    size_t file_len);

int
fuzz_mmlogd_parse_size(const char *s, uint64_t *ret)
{
	return mml_parse_size(s, ret);
}

int
fuzz_mmlogd_parse_uint(const char *s, uint64_t *ret)
{
	return mml_parse_u64(s, ret);
}

/*
 * The arguments as mmlogd's command line, then file[0, file_len) as its
 * configuration file (a memfd, never a file of the machine).  What
 * loads must be within the table's ranges.
 */
void
fuzz_mmlogd_conf(int argc, char **argv, const uint8_t *file,
    size_t file_len)
{
	static char *none[] = { "mmlogd", NULL };
	struct mml_conf c;
	char path[64];
	size_t i;
	uint64_t v;
	int fd, r;

	mml_log_level = -1;
	optind = 0;
	r = mml_conf_args(&c, argc, argv);
	if (r < 0) {
		optind = 0;
		FUZZ_CHECK(mml_conf_args(&c, 1, none) == MML_CONF_RUN);
	}
	fd = fuzz_memfd(file, file_len, file_len, path);
	c.config_path = path;
	c.config_explicit = 1;
	if (mml_conf_load(&c) == 0) {
		for (i = 0; i < N_OPTS; i++) {
			if (opts[i].type == OPT_STR) {
				FUZZ_CHECK(memchr(cfield(&c, &opts[i]), '\0',
				    opts[i].len) != NULL);
				continue;
			}
			memcpy(&v, cfield(&c, &opts[i]), sizeof(v));
			if (opts[i].type == OPT_SIZE)
				FUZZ_CHECK(v % MML_DISK_ALIGN == 0);
			if (opts[i].type == OPT_UINT)
				FUZZ_CHECK(v >= opts[i].min &&
				    v <= opts[i].max);
		}
		(void)mml_conf_min_cap(&c);
	}
	(void)close(fd);
}
