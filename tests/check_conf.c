/*
 * check_conf.c: daemon/conf.c, the option table.  The file's values over
 * the defaults and the command line's over the file's; every malformed
 * line refused (a table, through conf_bad_one()); a reload copies only
 * the settings that can change live.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../daemon/conf.h"
#include "../daemon/server.h"

static char dir[] = "/tmp/check_conf.XXXXXX";
static char path[64];

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/mmlogd.conf", dir);
	/* The tests name their file; the environment must not. */
	(void)unsetenv("MMLOGD_CONFIG");
}

static void
teardown(void)
{
	(void)unlink(path);
	(void)rmdir(dir);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

static void
write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* Parses argv (NULL-terminated, argv[0] included) into c. */
static int
args(struct mml_conf *c, const char **argv)
{
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	optind = 0;	/* GNU getopt: start over */
	return mml_conf_args(c, argc, (char **)argv);
}

START_TEST(test_precedence)
{
	struct mml_conf c;
	const char *argv[] = { "mmlogd", "--config", path, "--sync-interval",
	    "250", "-v", NULL };

	write_file("# comment\n\n  sync-interval =  5000 \nsize = 1M\n"
	    "verbose = no\nsocket = /tmp/x y.sock\n");
	ck_assert_int_eq(args(&c, argv), MML_CONF_RUN);
	ck_assert_int_eq(mml_conf_load(&c), 0);
	ck_assert_uint_eq(c.sync_interval_ms, 250);	/* command line */
	ck_assert_uint_eq(c.verbose, 1);		/* command line */
	ck_assert_uint_eq(c.size, 1 << 20);		/* file */
	ck_assert_str_eq(c.socket_path, "/tmp/x y.sock");
	ck_assert_uint_eq(c.max_entry, MML_DEFAULT_MAX_ENTRY);	/* default */
	ck_assert_int_eq(mml_conf_is_set(&c, "size"), 1);
	ck_assert_int_eq(mml_conf_is_set(&c, "sync-interval"), 1);
	ck_assert_int_eq(mml_conf_is_set(&c, "max-entry"), 0);
	ck_assert_uint_eq(c.line[0], 6);	/* socket, on line 6 */
}
END_TEST

/* The intakes: unset by default, set by the file or the command line. */
START_TEST(test_intakes)
{
	struct mml_conf c;
	const char *argv[] = { "mmlogd", "--config", path, "--kmsg",
	    "--stdout-socket", "/run/x/stdout", NULL };
	const char *none[] = { "mmlogd", "--config", path, NULL };

	write_file("");
	ck_assert_int_eq(args(&c, none), MML_CONF_RUN);
	ck_assert_int_eq(mml_conf_load(&c), 0);
	ck_assert_str_eq(c.syslog_socket, "");
	ck_assert_str_eq(c.journal_socket, "");
	ck_assert_str_eq(c.stdout_socket, "");
	ck_assert_uint_eq(c.kmsg, 0);
	ck_assert_uint_eq(c.max_streams, 4096);
	write_file("syslog-socket = /dev/log\njournal-socket = /run/j\n"
	    "stdout-socket = /run/s\nmax-streams = 10\n");
	ck_assert_int_eq(args(&c, argv), MML_CONF_RUN);
	ck_assert_int_eq(mml_conf_load(&c), 0);
	ck_assert_str_eq(c.syslog_socket, "/dev/log");
	ck_assert_str_eq(c.journal_socket, "/run/j");
	ck_assert_str_eq(c.stdout_socket, "/run/x/stdout");	/* command line */
	ck_assert_uint_eq(c.kmsg, 1);
	ck_assert_uint_eq(c.max_streams, 10);
}
END_TEST

START_TEST(test_missing)
{
	struct mml_conf c;
	const char *named[] = { "mmlogd", "--config", path, NULL };

	/* Named and missing: an error. */
	ck_assert_int_eq(args(&c, named), MML_CONF_RUN);
	ck_assert_int_eq(mml_conf_load(&c), -ENOENT);
}
END_TEST

/*
 * A configuration path that is no file of settings: a FIFO nobody
 * writes to is refused at once (the open waited for a writer forever
 * before, and a SIGHUP would have stalled the daemon), /dev/zero after
 * a bounded read, a line longer than 8 KiB is an error of its own line;
 * /dev/null is an empty file.
 */
START_TEST(test_not_a_file)
{
	struct mml_conf c;
	char fifo[80], text[9100];
	const char *argv[] = { "mmlogd", "--config", fifo, NULL };

	(void)snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(args(&c, argv), MML_CONF_RUN);
	ck_assert_int_eq(mml_conf_load(&c), -EINVAL);
	(void)unlink(fifo);

	(void)snprintf(fifo, sizeof(fifo), "/dev/zero");
	ck_assert_int_eq(args(&c, argv), MML_CONF_RUN);
	ck_assert_int_eq(mml_conf_load(&c), -EINVAL);

	(void)snprintf(fifo, sizeof(fifo), "/dev/null");
	ck_assert_int_eq(args(&c, argv), MML_CONF_RUN);
	ck_assert_int_eq(mml_conf_load(&c), 0);

	memset(text, 'x', sizeof(text));
	memcpy(text, "# ", 2);
	text[sizeof(text) - 1] = '\0';
	write_file(text);
	(void)snprintf(fifo, sizeof(fifo), "%s", path);
	ck_assert_int_eq(args(&c, argv), MML_CONF_RUN);
	ck_assert_int_eq(mml_conf_load(&c), -EINVAL);
}
END_TEST

static void
conf_bad_one(const char *line)
{
	struct mml_conf c;
	const char *argv[] = { "mmlogd", "--config", path, NULL };
	char text[512];

	(void)snprintf(text, sizeof(text), "max-clients = 9\n%s\n", line);
	write_file(text);
	ck_assert_int_eq(args(&c, argv), MML_CONF_RUN);
	ck_assert_msg(mml_conf_load(&c) == -EINVAL, "accepted: %s", line);
}

START_TEST(test_bad_lines)
{
	static const char *const bad[] = {
		"nokey", "= 5", "colour = red", "max-clients = 10",
		"size = 1", "size = 2T", "size = 1X", "size = -64M", "size =",
		"max-entry = 0", "max-entry = 65473", "sync-interval = 0",
		"sync-interval = 10ms", "idle-timeout = 31536001",
		"verbose = 2", "resize = y", "socket =", "file = a\001b",
		"syslog-socket =", "journal-socket = a\001b", "kmsg = maybe",
		"max-streams = 0", "max-streams = 1000001",
		"stdout-socket = /a/path/that/is/longer/than/a/unix/socket/"
		    "path/may/be/which/is/one/hundred/and/seven/bytes/so/this/"
		    "is/too/long.sock",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		conf_bad_one(bad[i]);
}
END_TEST

START_TEST(test_bad_args)
{
	struct mml_conf c;
	const char *a1[] = { "mmlogd", "--size", "1Q", NULL };
	const char *a2[] = { "mmlogd", "--resize=yes", NULL };
	const char *a3[] = { "mmlogd", "extra", NULL };
	const char *a4[] = { "mmlogd", "--check-config", NULL };
	/* Long options by their whole name only (getopt took prefixes). */
	const char *a5[] = { "mmlogd", "--check", NULL };
	const char *a6[] = { "mmlogd", "--si", "1M", NULL };
	const char *a7[] = { "mmlogd", "--socke=/x", NULL };
	const char *a8[] = { "mmlogd", "--size=1M", "--socket", "/x", NULL };

	ck_assert_int_eq(args(&c, a1), -EINVAL);
	ck_assert_int_eq(args(&c, a2), -EINVAL);	/* a flag */
	ck_assert_int_eq(args(&c, a3), -EINVAL);
	ck_assert_int_eq(args(&c, a4), MML_CONF_CHECK);
	opterr = 0;
	ck_assert_int_eq(args(&c, a5), -EINVAL);
	ck_assert_int_eq(args(&c, a6), -EINVAL);
	ck_assert_int_eq(args(&c, a7), -EINVAL);
	opterr = 1;
	ck_assert_int_eq(args(&c, a8), MML_CONF_RUN);
}
END_TEST

START_TEST(test_update_live_only)
{
	struct mml_conf cur, next;
	const char *argv[] = { "mmlogd", "--config", path, NULL };

	write_file("sync-interval = 100\nfile = /tmp/a.ring\n");
	ck_assert_int_eq(args(&cur, argv), MML_CONF_RUN);
	ck_assert_int_eq(mml_conf_load(&cur), 0);
	write_file("sync-interval = 200\nfile = /tmp/b.ring\nmax-clients = 3\n");
	next = cur;
	ck_assert_int_eq(mml_conf_load(&next), 0);
	ck_assert_int_eq(mml_conf_update(&cur, &next), 2);
	ck_assert_uint_eq(cur.sync_interval_ms, 200);
	ck_assert_uint_eq(cur.max_clients, 3);
	ck_assert_str_eq(cur.file_path, "/tmp/a.ring");	/* needs a restart */
	ck_assert_int_eq(mml_conf_update(&cur, &next), 0);
}
END_TEST

Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("precedence");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_precedence);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_intakes);
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);
	tc = tcase_create("bad_input");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bad_lines);
	tcase_add_test(tc, test_bad_args);
	tcase_add_test(tc, test_not_a_file);
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);
	tc = tcase_create("reload");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_update_live_only);
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);
	return s;
}
