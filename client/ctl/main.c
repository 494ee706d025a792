/*
 * main.c: mmlogctl, the command-line tool for mmlogd, with journalctl's
 * habits: the global options, the table of commands, and main(), which
 * reads the command line (opts.c) and runs the command named.
 *
 *	mmlogctl [show] [-n N] [-f] [--since T] [--until T] [-p PRIO] ...
 *	mmlogctl write [-p PRIO] [-t TAG] [--sync] [-F KEY=VALUE] [MESSAGE...]
 *	mmlogctl run [-t TAG] [-p PRIO] -- COMMAND [ARGS...]
 *	mmlogctl status [-o json|prometheus]
 *	mmlogctl verify
 *	mmlogctl dump [-n BYTES]
 *	mmlogctl clear | rotate-id | reset-counters
 *
 * Each command is a file of its own (show.c, write.c, run.c, status.c,
 * verify.c, dump.c, control.c).  Reading commands map the ring file
 * read-only (client/ringread/) and work whether or not the daemon runs;
 * `write` goes through libmmlogclient; `show -f`, `status` and the
 * control commands also talk to the daemon's socket directly.  Exit
 * status: 0 ok, 1 failure, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "wire.h"

#define BIT(o)			MML_CTL_BIT(o)
#define MMLOGCTL_VERSION	"0.1.0"

static void	 usage(FILE *, const struct mml_ctl_opts *);
static void	 std_fds(void);

static const char help_global[] =
    "Global options (before or after the command):\n"
    "  --file PATH        ring file (default: $MMLOG_FILE, else "
    MML_DEFAULT_FILE ")\n"
    "  --socket PATH      daemon socket (default: $MMLOG_SOCKET, else "
    MML_DEFAULT_SOCKET ")\n"
    "  -h, --help         this help; COMMAND -h for a command's\n"
    "  --version          the version\n";
static const char help_show[] =
    "mmlogctl [show] [options] [FIELD=VALUE... [+ FIELD=VALUE...]]: print "
    "entries\n"
    "  FIELD=VALUE        entries with that field (the same field again: "
    "either\n"
    "                     value; another field: both; '+': either group)\n"
    "  -n, --lines [N]    the newest N matching entries (10; 'all': every "
    "one)\n"
    "  -f, --follow       keep printing new entries (default -n 10)\n"
    "  -S, --since T      entries at or after T\n"
    "  -U, --until T      entries at or before T\n"
    "      T: '[Wed ]YYYY-MM-DD HH:MM:SS[.FRAC][ UTC]', 'HH:MM', '@EPOCH', "
    "'now',\n"
    "         'today', 'yesterday', '3h 5min ago', '-1d', '+10min'\n"
    "  -p, --priority P   P and more urgent, or a range P..Q\n"
    "  -t, --identifier T entries with tag T (repeatable: any of "
    "them)\n"
    "  -u, --unit UNIT    entries of a systemd unit (a glob: any that "
    "matches)\n"
    "  -k, --dmesg        kernel entries (_TRANSPORT=kernel) of the current boot\n"
    "      --pid PID      entries from process PID\n"
    "      --uid UID      entries from user UID\n"
    "  -g, --grep RE      message matches the PCRE2 pattern RE (ignoring "
    "case\n"
    "                     unless RE has a capital; with -n, newest first)\n"
    "      --case-sensitive[=BOOL]  decide -g's case yourself\n"
    "  -c, --cursor C     entries from cursor C on\n"
    "      --after-cursor C  entries after cursor C\n"
    "      --cursor-file F   start after the cursor in F; store the "
    "last in F\n"
    "      --show-cursor  print the last cursor after the entries\n"
    "  -r, --reverse      newest first\n"
    "  -F, --field FIELD  each value of FIELD once, instead of entries\n"
    "  -N, --fields       each field name once, instead of entries\n"
    "  -o, --output FMT   short, short-precise, short-iso, "
    "short-iso-precise,\n"
    "                     short-full, short-monotonic, short-unix, "
    "with-unit, verbose,\n"
    "                     json, json-pretty, json-seq, export, cat or raw\n"
    "      --output-fields=F,G  only these fields (verbose, json, export, "
    "cat)\n"
    "      --utc          times in UTC\n"
    "      --no-hostname  no host name in the short formats\n"
    "  -q, --quiet        no '-- No entries --' when nothing is selected\n"
    "  -e, --pager-end    start the pager at the end (-n 1000 unless -n)\n"
    "      --no-pager     do not pipe the output of a terminal into "
    "a pager\n"
    "  -x, --catalog      accepted (there is no message catalog)\n"
    "  -b, --boot [ID][±N]  one boot's entries: 0 (or none) the current, "
    "-1 the one\n"
    "                     before, 1 the first; ID, ID±N; all\n"
    "      --list-boots   the boots the ring has entries of\n";
static const char help_write[] =
    "mmlogctl write [options] [MESSAGE...]: log a message (stdin "
    "lines if none)\n"
    "  -p, --priority P   [facility.]level: emerg alert crit err warning "
    "notice\n"
    "                     info debug, or 0-7 (default notice); "
    "local3.info...\n"
    "  -t, --tag TAG      SYSLOG_IDENTIFIER (default $USER or "
    "mmlogctl)\n"
    "  -F, --field K=V    add a structured field (repeatable)\n"
    "  -f, --file FILE    log the lines of FILE\n"
    "  -e, --skip-empty   skip empty lines (of stdin or FILE)\n"
    "  -i, --id[=ID]      the pid is in _PID already; --id=ID stores "
    "MMLOG_ID=ID\n"
    "  -s, --stderr       also write each message to stderr, as logger "
    "does\n"
    "      --sd-id ID --sd-param NAME=\"VALUE\"  RFC 5424 structured data, "
    "stored\n"
    "                     as the field SD_ID_NAME (as the syslog intake "
    "does)\n"
    "      --timeout S    give up after S seconds waiting for the "
    "daemon\n"
    "      --sync         wait until durable, print the sequence "
    "number\n";
static const char help_run[] =
    "mmlogctl run [options] [--] COMMAND [ARGS...]: run COMMAND with "
    "its stdout\n"
    "and stderr connected to mmlogd's stdout stream, as systemd-cat does\n"
    "  -t, --identifier T SYSLOG_IDENTIFIER of its lines (default none)\n"
    "  -p, --priority P   [facility.]level of its lines (default info)\n"
    "      --level-prefix=BOOL  lines may start with <N> (default yes)\n"
    "      --stdout-socket PATH  (default: $MMLOG_STDOUT_SOCKET, else "
    "'stdout'\n"
    "                     beside --socket)\n";
static const char help_status[] =
    "mmlogctl status [-o json|prometheus]: the ring's header and the "
    "daemon's\n"
    "counters\n"
    "  -o, --output FMT   json, or prometheus (the text format "
    "node_exporter's\n"
    "                     textfile collector reads); text if none\n";
static const char help_verify[] =
    "mmlogctl verify: check the header and every record's CRC and "
    "sequence\n";
static const char help_dump[] =
    "mmlogctl dump [-n BYTES]: header fields and a hexdump of each "
    "record\n"
    "  -n, --lines BYTES  bytes to dump per record (default 64, 0: "
    "all)\n"
    "      --no-pager     do not pipe the output of a terminal into "
    "a pager\n";
static const char help_control[] =
    "mmlogctl clear: empty the ring (numbering goes on)\n"
    "mmlogctl rotate-id: give the ring a new id (old cursors no "
    "longer apply)\n"
    "mmlogctl reset-counters: zero the daemon's live counters\n"
    "  (these three ask the daemon: uid 0 or its own uid only)\n";

const struct mml_ctl_cmd mml_ctl_cmds[] = {
	{ "show", mml_ctl_show, BIT(MML_CTL_OPT_LINES) |
	    BIT(MML_CTL_OPT_FOLLOW) | BIT(MML_CTL_OPT_SINCE) |
	    BIT(MML_CTL_OPT_UNTIL) | BIT(MML_CTL_OPT_PRIO) |
	    BIT(MML_CTL_OPT_TAG) | BIT(MML_CTL_OPT_PID) | BIT(MML_CTL_OPT_UID) |
	    BIT(MML_CTL_OPT_GREP) | BIT(MML_CTL_OPT_AFTER_CURSOR) |
	    BIT(MML_CTL_OPT_CURSOR_FILE) | BIT(MML_CTL_OPT_SHOW_CURSOR) |
	    BIT(MML_CTL_OPT_REVERSE) | BIT(MML_CTL_OPT_OUTPUT) |
	    BIT(MML_CTL_OPT_NO_PAGER) | BIT(MML_CTL_OPT_CURSOR) |
	    BIT(MML_CTL_OPT_UNIT) | BIT(MML_CTL_OPT_BOOT) |
	    BIT(MML_CTL_OPT_LIST_BOOTS) | BIT(MML_CTL_OPT_DMESG) |
	    BIT(MML_CTL_OPT_VALUES) | BIT(MML_CTL_OPT_FIELDS) |
	    BIT(MML_CTL_OPT_OUTPUT_FIELDS) | BIT(MML_CTL_OPT_PAGER_END) |
	    BIT(MML_CTL_OPT_QUIET) | BIT(MML_CTL_OPT_UTC) |
	    BIT(MML_CTL_OPT_NO_HOSTNAME) | BIT(MML_CTL_OPT_CATALOG) |
	    BIT(MML_CTL_OPT_CASE_SENSITIVE), 1, help_show },
	{ "write", mml_ctl_write, BIT(MML_CTL_OPT_PRIO) | BIT(MML_CTL_OPT_TAG) |
	    BIT(MML_CTL_OPT_SYNC) | BIT(MML_CTL_OPT_FIELD) |
	    BIT(MML_CTL_OPT_LOG_PID) | BIT(MML_CTL_OPT_ID) |
	    BIT(MML_CTL_OPT_STDERR) | BIT(MML_CTL_OPT_SKIP_EMPTY) |
	    BIT(MML_CTL_OPT_INPUT) | BIT(MML_CTL_OPT_SD_ID) |
	    BIT(MML_CTL_OPT_SD_PARAM) | BIT(MML_CTL_OPT_TIMEOUT), 1,
	    help_write },
	{ "run", mml_ctl_run, BIT(MML_CTL_OPT_PRIO) | BIT(MML_CTL_OPT_TAG) |
	    BIT(MML_CTL_OPT_STDOUT_SOCKET) | BIT(MML_CTL_OPT_LEVEL_PREFIX), 1,
	    help_run },
	{ "status", mml_ctl_status, BIT(MML_CTL_OPT_OUTPUT), 0, help_status },
	{ "verify", mml_ctl_verify, 0, 0, help_verify },
	{ "dump", mml_ctl_dump, BIT(MML_CTL_OPT_LINES) |
	    BIT(MML_CTL_OPT_NO_PAGER), 0, help_dump },
	{ "clear", mml_ctl_clear, 0, 0, help_control },
	{ "rotate-id", mml_ctl_rotate_id, 0, 0, help_control },
	{ "reset-counters", mml_ctl_reset_counters, 0, 0, help_control },
};
const size_t mml_ctl_n_cmds = sizeof(mml_ctl_cmds) / sizeof(mml_ctl_cmds[0]);

/* The help of the command named, or of every command. */
static void
usage(FILE *out, const struct mml_ctl_opts *o)
{
	if (o->cmd_named) {
		(void)fputs(o->cmd->help, out);
		(void)fputs(help_global, out);
		return;
	}
	(void)fputs("usage: mmlogctl [COMMAND] [options]\n"
	    "Commands: show (the default), write, run, status, verify, dump, "
	    "clear,\nrotate-id, reset-counters.  Long options are spelled "
	    "out in full.\n\n",
	    out);
	(void)fputs(help_show, out);
	(void)fputc('\n', out);
	(void)fputs(help_write, out);
	(void)fputc('\n', out);
	(void)fputs(help_run, out);
	(void)fputc('\n', out);
	(void)fputs(help_status, out);
	(void)fputs(help_verify, out);
	(void)fputs(help_dump, out);
	(void)fputc('\n', out);
	(void)fputs(help_control, out);
	(void)fputc('\n', out);
	(void)fputs(help_global, out);
}

/*
 * A descriptor 0, 1 or 2 left closed by our parent would be taken by the
 * next file we open, and output would go there: give it /dev/null.
 */
static void
std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", O_RDWR) != fd)
			_exit(EXIT_FAILURE);
	}
}

int
main(int argc, char **argv)
{
	struct mml_ctl_opts o;
	int rc;

	std_fds();
	(void)setlocale(LC_CTYPE, "");
	/* A closed pipe is an EPIPE write error, which ends us quietly. */
	mml_ctl_sigpipe_ignore();
	mml_rd_sigbus_install();
	memset(&o, 0, sizeof(o));
	rc = mml_ctl_parse_args(argc, argv, &o);
	if (rc != 0)
		goto out;
	if (o.seen & BIT(MML_CTL_OPT_HELP)) {
		usage(stdout, &o);
		rc = EXIT_SUCCESS;
		goto out;
	}
	if (o.seen & BIT(MML_CTL_OPT_VERSION)) {
		printf("mmlogctl %s\n", MMLOGCTL_VERSION);
		rc = EXIT_SUCCESS;
		goto out;
	}
	rc = o.cmd->fn(&o);
out:
	mml_ctl_opts_free(&o);
	return rc;
}
