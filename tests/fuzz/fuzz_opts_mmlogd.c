/*
 * fuzz_opts_mmlogd.c: mmlogd's options for fuzz_opts: the command line
 * and the configuration file (daemon/conf.c, linked as it is).
 */
#include <getopt.h>
#include <unistd.h>

#include "fuzz.h"
#include "conf.h"
#include "log.h"

void fuzz_mmlogd_conf(int argc, char **argv, const uint8_t *file,
    size_t file_len);

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
		FUZZ_CHECK(mml_conf_check(&c) == 0);
		(void)mml_conf_min_cap(&c);
	}
	(void)close(fd);
}
