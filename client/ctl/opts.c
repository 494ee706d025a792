/*
 * opts.c: mmlogctl's command line: every option, read with getopt in
 * one pass whether it comes before or after the command (each command
 * reading its own meaning of a letter), long options by their whole name
 * only, then checked against what the command takes (main.c's table);
 * and the values of options that are more than a number: priorities and
 * their ranges, logger's facility.level, times in journalctl's
 * spellings (systemd.time(7)), booleans, and -g's case rule.
 */
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctl.h"
#include "mmlog.h"
#include "util.h"

/* One meaning of an option: its letter and long name, and its argument. */
struct opt {
	enum mml_ctl_opt id;
	const char	*name;		/* long name, or NULL */
	int		 letter;	/* short option, or 0 */
	int		 has_arg;	/* getopt's */
};

/*
 * Every option.  A letter or a name may stand in several rows, for
 * different commands (-f is show's --follow and write's --file); the
 * command being parsed picks its own row (parser_build()).
 */
static const struct opt opts[] = {
	{ MML_CTL_OPT_FILE, "file", 0, required_argument },
	{ MML_CTL_OPT_SOCKET, "socket", 0, required_argument },
	{ MML_CTL_OPT_HELP, "help", 'h', no_argument },
	{ MML_CTL_OPT_VERSION, "version", 0, no_argument },
	{ MML_CTL_OPT_PRIO, "priority", 'p', required_argument },
	{ MML_CTL_OPT_TAG, "identifier", 't', required_argument },
	{ MML_CTL_OPT_TAG, "tag", 0, required_argument },
	{ MML_CTL_OPT_SYNC, "sync", 0, no_argument },
	{ MML_CTL_OPT_FIELD, "field", 'F', required_argument },
	{ MML_CTL_OPT_LINES, "lines", 'n', optional_argument },
	{ MML_CTL_OPT_FOLLOW, "follow", 'f', no_argument },
	{ MML_CTL_OPT_SINCE, "since", 'S', required_argument },
	{ MML_CTL_OPT_UNTIL, "until", 'U', required_argument },
	{ MML_CTL_OPT_PID, "pid", 0, required_argument },
	{ MML_CTL_OPT_UID, "uid", 0, required_argument },
	{ MML_CTL_OPT_GREP, "grep", 'g', required_argument },
	{ MML_CTL_OPT_AFTER_CURSOR, "after-cursor", 0, required_argument },
	{ MML_CTL_OPT_CURSOR_FILE, "cursor-file", 0, required_argument },
	{ MML_CTL_OPT_SHOW_CURSOR, "show-cursor", 0, no_argument },
	{ MML_CTL_OPT_REVERSE, "reverse", 'r', no_argument },
	{ MML_CTL_OPT_OUTPUT, "output", 'o', required_argument },
	{ MML_CTL_OPT_NO_PAGER, "no-pager", 0, no_argument },
	{ MML_CTL_OPT_CURSOR, "cursor", 'c', required_argument },
	{ MML_CTL_OPT_UNIT, "unit", 'u', required_argument },
	{ MML_CTL_OPT_BOOT, "boot", 'b', optional_argument },
	{ MML_CTL_OPT_LIST_BOOTS, "list-boots", 0, no_argument },
	{ MML_CTL_OPT_DMESG, "dmesg", 'k', no_argument },
	{ MML_CTL_OPT_VALUES, "field", 'F', required_argument },
	{ MML_CTL_OPT_FIELDS, "fields", 'N', no_argument },
	{ MML_CTL_OPT_OUTPUT_FIELDS, "output-fields", 0, required_argument },
	{ MML_CTL_OPT_PAGER_END, "pager-end", 'e', no_argument },
	{ MML_CTL_OPT_QUIET, "quiet", 'q', no_argument },
	{ MML_CTL_OPT_UTC, "utc", 0, no_argument },
	{ MML_CTL_OPT_NO_HOSTNAME, "no-hostname", 0, no_argument },
	{ MML_CTL_OPT_CATALOG, "catalog", 'x', no_argument },
	{ MML_CTL_OPT_CASE_SENSITIVE, "case-sensitive", 0, optional_argument },
	{ MML_CTL_OPT_LOG_PID, NULL, 'i', no_argument },
	{ MML_CTL_OPT_ID, "id", 0, optional_argument },
	{ MML_CTL_OPT_STDERR, "stderr", 's', no_argument },
	{ MML_CTL_OPT_SKIP_EMPTY, "skip-empty", 'e', no_argument },
	{ MML_CTL_OPT_INPUT, "file", 'f', required_argument },
	{ MML_CTL_OPT_SD_ID, "sd-id", 0, required_argument },
	{ MML_CTL_OPT_SD_PARAM, "sd-param", 0, required_argument },
	{ MML_CTL_OPT_TIMEOUT, "timeout", 0, required_argument },
	{ MML_CTL_OPT_STDOUT_SOCKET, "stdout-socket", 0, required_argument },
	{ MML_CTL_OPT_LEVEL_PREFIX, "level-prefix", 0, required_argument },
};
#define N_OPTS		(sizeof(opts) / sizeof(opts[0]))

/* getopt's view of the options, for the command being parsed. */
struct parser {
	char		 shorts[3 * N_OPTS + 4];
	struct option	 longs[N_OPTS + 1];
	short		 row[256];	/* a letter's row, or -1 */
};

static void	 parser_build(struct parser *, const struct mml_ctl_cmd *);
static const struct mml_ctl_cmd *find_cmd(const char *);
static int	 is_match(const char *);
static int	 opt_error(int, const char *);
static int	 set_opt(struct mml_ctl_opts *, const struct opt *, int,
		    char **);
static const char *opt_name(enum mml_ctl_opt, char *, size_t);
static int	 check_opts(struct mml_ctl_opts *);
static int	 lines_arg(const char *);
static int	 boot_arg(const char *);
static int	 parse_span(const char *, size_t, uint64_t *);
static int	 parse_frac(const char **, uint64_t *);
static int	 parse_absolute(const char *, uint64_t *);

/*
 * The rows getopt sees while cmd's options are read: cmd's own first,
 * then the global ones, then every other (so that a command given
 * another's option is told which), a letter or name taken by an
 * earlier row being left out.  The val of each is 256 + its row.
 */
static void
parser_build(struct parser *p, const struct mml_ctl_cmd *cmd)
{
	size_t i, k, nl = 0, ns = 0;
	int pass, take;

	for (i = 0; i < 256; i++)
		p->row[i] = -1;
	p->shorts[ns++] = '-';
	p->shorts[ns++] = ':';
	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < N_OPTS; i++) {
			take = pass == 0 ? (cmd->opts & MML_CTL_BIT(opts[i].id)) != 0 :
			    pass == 1 ? (MML_CTL_GLOBAL_OPTS &
			    MML_CTL_BIT(opts[i].id)) != 0 :
			    ((cmd->opts | MML_CTL_GLOBAL_OPTS) &
			    MML_CTL_BIT(opts[i].id)) == 0;
			if (!take)
				continue;
			if (opts[i].letter != 0 && p->row[opts[i].letter] < 0) {
				p->row[opts[i].letter] = (short)i;
				p->shorts[ns++] = (char)opts[i].letter;
				if (opts[i].has_arg != no_argument)
					p->shorts[ns++] = ':';
				if (opts[i].has_arg == optional_argument)
					p->shorts[ns++] = ':';
			}
			if (opts[i].name == NULL)
				continue;
			for (k = 0; k < nl; k++)
				if (strcmp(p->longs[k].name, opts[i].name) == 0)
					break;
			if (k < nl)
				continue;
			p->longs[nl++] = (struct option){ opts[i].name,
			    opts[i].has_arg, NULL, 256 + (int)i };
		}
	}
	p->shorts[ns] = '\0';
	p->longs[nl] = (struct option){ NULL, 0, NULL, 0 };
}

static const struct mml_ctl_cmd *
find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < mml_ctl_n_cmds; i++)
		if (strcmp(name, mml_ctl_cmds[i].name) == 0)
			return &mml_ctl_cmds[i];
	return NULL;
}

/* A word of journalctl's match syntax: FIELD=VALUE, or "+". */
static int
is_match(const char *s)
{
	return strcmp(s, "+") == 0 || strchr(s, '=') != NULL;
}

/*
 * getopt's complaint c ('?' or ':') about the element given, said as a
 * usage error.  optopt is the letter of a short option; for a long one,
 * its val (256 + its row) if getopt matched it, only by a prefix perhaps
 * (an option given "=VALUE" that takes none, or one that needs an
 * argument given last), else 0.
 */
static int
opt_error(int c, const char *given)
{
	const char *name;
	size_t len;

	if (optopt > 0 && optopt < 256)
		return mml_ctl_usage_error(c == ':' ? "option '-%c' needs an "
		    "argument" : "unknown option '-%c'", optopt);
	len = strcspn(given, "=");
	if (optopt >= 256 && optopt - 256 < (int)N_OPTS) {
		name = opts[optopt - 256].name;
		if (name != NULL && len == strlen(name) + 2 &&
		    strncmp(given + 2, name, len - 2) == 0)
			return mml_ctl_usage_error(c == ':' ? "option '--%s' "
			    "needs an argument" : "option '--%s' takes no "
			    "argument", name);
	}
	return mml_ctl_usage_error("unknown option '%.*s'", (int)len, given);
}

/*
 * Options may come before or after the command: getopt's "-" mode hands
 * us every other argument in order, the first of which names the
 * command.  Until it is named, show's options are read (it is the
 * default); from then on, the command's.
 */
int
mml_ctl_parse_args(int argc, char **argv, struct mml_ctl_opts *o)
{
	const struct mml_ctl_cmd *cmd;
	struct parser p;
	int c, rc;

	o->tags = calloc((size_t)argc + 1, sizeof(*o->tags));
	o->fields = calloc((size_t)argc + 1, sizeof(*o->fields));
	o->units = calloc((size_t)argc + 1, sizeof(*o->units));
	o->output_fields = calloc((size_t)argc + 1,
	    sizeof(*o->output_fields));
	o->sd = calloc((size_t)argc + 1, sizeof(*o->sd));
	o->args = calloc((size_t)argc + 1, sizeof(*o->args));
	if (o->tags == NULL || o->fields == NULL || o->units == NULL ||
	    o->output_fields == NULL || o->sd == NULL || o->args == NULL) {
		mml_ctl_msg("out of memory");
		return EXIT_FAILURE;
	}
	o->cmd = &mml_ctl_cmds[0];
	o->case_sensitive = -1;
	parser_build(&p, o->cmd);
	opterr = 0;
	while ((c = mml_getopt_long(argc, argv, p.shorts, p.longs, NULL)) !=
	    -1) {
		switch (c) {
		case 1:
			if (!o->cmd_named && o->n_args == 0 &&
			    (cmd = find_cmd(optarg)) != NULL) {
				o->cmd = cmd;
				o->cmd_named = 1;
				parser_build(&p, o->cmd);
				continue;
			}
			if (!o->cmd_named && o->n_args == 0 && !is_match(optarg))
				return mml_ctl_usage_error("unknown command "
				    "'%s'", optarg);
			o->args[o->n_args++] = optarg;
			/* run: the rest is the program's command line. */
			if (o->cmd->fn == mml_ctl_run)
				while (optind < argc)
					o->args[o->n_args++] = argv[optind++];
			continue;
		case '?':
		case ':':
			return opt_error(c, argv[optind - 1]);
		}
		rc = c >= 256 ? c - 256 : c > 0 ? p.row[c] : -1;
		if (rc < 0 || rc >= (int)N_OPTS)
			return mml_ctl_usage_error("unknown option '%s'",
			    argv[optind - 1]);
		if ((rc = set_opt(o, &opts[rc], argc, argv)) != 0)
			return rc;
	}
	/* After "--", the rest are arguments. */
	for (; optind < argc; optind++) {
		if (!o->cmd_named && o->n_args == 0 &&
		    (cmd = find_cmd(argv[optind])) != NULL) {
			o->cmd = cmd;
			o->cmd_named = 1;
			continue;
		}
		o->args[o->n_args++] = argv[optind];
	}
	if (o->seen & (MML_CTL_BIT(MML_CTL_OPT_HELP) |
	    MML_CTL_BIT(MML_CTL_OPT_VERSION)))
		return 0;
	return check_opts(o);
}

void
mml_ctl_opts_free(struct mml_ctl_opts *o)
{
	free(o->tags);
	free(o->fields);
	free(o->units);
	free(o->output_fields);
	free(o->sd);
	free(o->args);
	o->tags = o->fields = o->units = o->output_fields = NULL;
	o->sd = NULL;
	o->args = NULL;
}

/* Whether s is -n's number: N, +N or "all" (journalctl's parse_lines()). */
static int
lines_arg(const char *s)
{
	uint64_t v;

	if (strcmp(s, "all") == 0)
		return 1;
	if (*s == '+')
		s++;
	return mml_parse_range(s, 0, INT32_MAX, &v) == 0;
}

/*
 * Whether s is -b's descriptor: "all", a boot id of 32 hex digits
 * optionally followed by an offset, or an offset "N", "+N", "-N".
 */
static int
boot_arg(const char *s)
{
	uint64_t v;
	size_t i;

	if (strcmp(s, "all") == 0)
		return 1;
	for (i = 0; i < 32 && ((s[i] >= '0' && s[i] <= '9') ||
	    (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')); i++)
		;
	if (i == 32) {
		s += 32;
		if (*s == '\0')
			return 1;
	}
	if (*s == '+' || *s == '-')
		s++;
	return mml_parse_range(s, 0, INT32_MAX, &v) == 0;
}

/*
 * The options that only store their argument, and those that only
 * set a flag: where in struct mml_ctl_opts.
 */
static const struct {
	enum mml_ctl_opt id;
	size_t		 off;
} str_opts[] = {
	{ MML_CTL_OPT_FILE, offsetof(struct mml_ctl_opts, file) },
	{ MML_CTL_OPT_SOCKET, offsetof(struct mml_ctl_opts, socket) },
	{ MML_CTL_OPT_PRIO, offsetof(struct mml_ctl_opts, prio) },
	{ MML_CTL_OPT_SINCE, offsetof(struct mml_ctl_opts, since) },
	{ MML_CTL_OPT_UNTIL, offsetof(struct mml_ctl_opts, until) },
	{ MML_CTL_OPT_PID, offsetof(struct mml_ctl_opts, pid) },
	{ MML_CTL_OPT_UID, offsetof(struct mml_ctl_opts, uid) },
	{ MML_CTL_OPT_GREP, offsetof(struct mml_ctl_opts, grep) },
	{ MML_CTL_OPT_AFTER_CURSOR, offsetof(struct mml_ctl_opts, after_cursor) },
	{ MML_CTL_OPT_CURSOR_FILE, offsetof(struct mml_ctl_opts, cursor_file) },
	{ MML_CTL_OPT_OUTPUT, offsetof(struct mml_ctl_opts, output) },
	{ MML_CTL_OPT_CURSOR, offsetof(struct mml_ctl_opts, cursor) },
	{ MML_CTL_OPT_VALUES, offsetof(struct mml_ctl_opts, values) },
	{ MML_CTL_OPT_INPUT, offsetof(struct mml_ctl_opts, input) },
	{ MML_CTL_OPT_TIMEOUT, offsetof(struct mml_ctl_opts, timeout) },
	{ MML_CTL_OPT_STDOUT_SOCKET, offsetof(struct mml_ctl_opts, stdout_socket) },
	{ MML_CTL_OPT_LEVEL_PREFIX, offsetof(struct mml_ctl_opts, level_prefix) },
}, flag_opts[] = {
	{ MML_CTL_OPT_SYNC, offsetof(struct mml_ctl_opts, sync) },
	{ MML_CTL_OPT_FOLLOW, offsetof(struct mml_ctl_opts, follow) },
	{ MML_CTL_OPT_SHOW_CURSOR, offsetof(struct mml_ctl_opts, show_cursor) },
	{ MML_CTL_OPT_REVERSE, offsetof(struct mml_ctl_opts, reverse) },
	{ MML_CTL_OPT_LIST_BOOTS, offsetof(struct mml_ctl_opts, list_boots) },
	{ MML_CTL_OPT_DMESG, offsetof(struct mml_ctl_opts, dmesg) },
	{ MML_CTL_OPT_FIELDS, offsetof(struct mml_ctl_opts, list_fields) },
	{ MML_CTL_OPT_PAGER_END, offsetof(struct mml_ctl_opts, pager_end) },
	{ MML_CTL_OPT_QUIET, offsetof(struct mml_ctl_opts, quiet) },
	{ MML_CTL_OPT_UTC, offsetof(struct mml_ctl_opts, utc) },
	{ MML_CTL_OPT_NO_HOSTNAME, offsetof(struct mml_ctl_opts, no_hostname) },
	{ MML_CTL_OPT_LOG_PID, offsetof(struct mml_ctl_opts, log_pid) },
	{ MML_CTL_OPT_STDERR, offsetof(struct mml_ctl_opts, to_stderr) },
	{ MML_CTL_OPT_SKIP_EMPTY, offsetof(struct mml_ctl_opts, skip_empty) },
};

/*
 * Notes option o and its argument (optarg; -n and -b may take the next
 * argument if it is theirs, as journalctl does).  Returns 0, or a usage
 * error's exit status.
 */
static int
set_opt(struct mml_ctl_opts *op, const struct opt *o, int argc, char **argv)
{
	size_t i;

	op->seen |= MML_CTL_BIT(o->id);
	for (i = 0; i < sizeof(str_opts) / sizeof(str_opts[0]); i++)
		if (str_opts[i].id == o->id) {
			*(const char **)(void *)((char *)op + str_opts[i].off) =
			    optarg;
			return 0;
		}
	for (i = 0; i < sizeof(flag_opts) / sizeof(flag_opts[0]); i++)
		if (flag_opts[i].id == o->id) {
			*(int *)(void *)((char *)op + flag_opts[i].off) = 1;
			return 0;
		}
	switch (o->id) {
	case MML_CTL_OPT_HELP:
	case MML_CTL_OPT_VERSION:
	case MML_CTL_OPT_NO_PAGER:
	case MML_CTL_OPT_CATALOG:
		break;
	case MML_CTL_OPT_TAG:
		op->tags[op->n_tags++] = optarg;
		break;
	case MML_CTL_OPT_FIELD:
		op->fields[op->n_fields++] = optarg;
		break;
	case MML_CTL_OPT_LINES:
		op->lines = optarg;
		op->lines_bare = 0;
		if (optarg == NULL && optind < argc && lines_arg(argv[optind]))
			op->lines = argv[optind++];
		else if (optarg == NULL)
			op->lines_bare = 1;
		break;
	case MML_CTL_OPT_UNIT:
		op->units[op->n_units++] = optarg;
		break;
	case MML_CTL_OPT_BOOT:
		op->boot = optarg;
		if (optarg == NULL && optind < argc && boot_arg(argv[optind]))
			op->boot = argv[optind++];
		if (op->boot != NULL && !boot_arg(op->boot))
			return mml_ctl_usage_error("invalid boot '%s' (a boot "
			    "id, an offset such as -1, or all)", op->boot);
		break;
	case MML_CTL_OPT_OUTPUT_FIELDS:
		op->output_fields[op->n_output_fields++] = optarg;
		break;
	case MML_CTL_OPT_CASE_SENSITIVE:
		op->case_sensitive = optarg == NULL ? 1 :
		    mml_ctl_parse_bool(optarg);
		if (op->case_sensitive < 0)
			return mml_ctl_usage_error("invalid --case-sensitive "
			    "'%s' (a boolean: yes, no, 1, 0...)", optarg);
		break;
	case MML_CTL_OPT_ID:
		op->log_pid = 1;
		if (optarg != NULL)
			op->id = optarg;
		break;
	case MML_CTL_OPT_SD_ID:
	case MML_CTL_OPT_SD_PARAM:
		op->sd[op->n_sd].is_param = o->id == MML_CTL_OPT_SD_PARAM;
		op->sd[op->n_sd++].arg = optarg;
		break;
	default:		/* the tables above, and __MAX */
		break;
	}
	return 0;
}

/* How messages name option id: "--name", or "-x" if it has no name. */
static const char *
opt_name(enum mml_ctl_opt id, char *buf, size_t cap)
{
	size_t i;

	if (id == MML_CTL_OPT_TAG)
		return "--tag/--identifier";
	for (i = 0; i < N_OPTS; i++) {
		if (opts[i].id != id)
			continue;
		if (opts[i].name != NULL)
			(void)snprintf(buf, cap, "--%s", opts[i].name);
		else
			(void)snprintf(buf, cap, "-%c", opts[i].letter);
		return buf;
	}
	return "?";
}

static int
check_opts(struct mml_ctl_opts *o)
{
	const char *env;
	char name[64];
	uint64_t bad;
	int id;

	bad = o->seen & ~(MML_CTL_GLOBAL_OPTS | o->cmd->opts);
	if (bad != 0) {
		for (id = 0; id < MML_CTL_OPT__MAX; id++)
			if (bad & MML_CTL_BIT(id))
				break;
		return mml_ctl_usage_error("option %s is not valid for '%s'",
		    opt_name((enum mml_ctl_opt)id, name, sizeof(name)),
		    o->cmd->name);
	}
	if (o->n_args > 0 && !o->cmd->takes_args)
		return mml_ctl_usage_error("unexpected argument '%s'",
		    o->args[0]);
	if (o->file == NULL) {
		env = getenv("MMLOG_FILE");
		o->file = env != NULL && *env != '\0' ? env :
		    MML_DEFAULT_FILE;
	}
	if (o->socket == NULL)
		o->socket = mmlog_default_socket();
	if (*o->file == '\0')
		return mml_ctl_usage_error("--file needs a path");
	if (*o->socket == '\0')
		return mml_ctl_usage_error("--socket needs a path");
	return 0;
}

int
mml_ctl_parse_prio(const char *s, int *ret_min, int *ret_max)
{
	const char *dots = strstr(s, "..");
	char buf[32];
	int a, b;

	if (dots == NULL) {
		a = mmlog_priority_from_string(s);
		if (a < 0)
			return a;
		*ret_min = 0;
		*ret_max = a;
		return 0;
	}
	if ((size_t)(dots - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(dots - s));
	buf[dots - s] = '\0';
	a = mmlog_priority_from_string(buf);
	b = mmlog_priority_from_string(dots + 2);
	if (a < 0 || b < 0)
		return -EINVAL;
	*ret_min = a < b ? a : b;
	*ret_max = a < b ? b : a;
	return 0;
}

int
mml_ctl_parse_syslog_prio(const char *s, int *ret_level, int *ret_facility)
{
	static const char *const levels[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info",
		"debug",
	};
	static const struct {
		const char *name;
		int value;
	} aliases[] = {
		{ "panic", 0 }, { "error", 3 }, { "warn", 4 },
	}, facilities[] = {
		{ "kern", 0 }, { "user", 1 }, { "mail", 2 }, { "daemon", 3 },
		{ "auth", 4 }, { "security", 4 }, { "syslog", 5 }, { "lpr", 6 },
		{ "news", 7 }, { "uucp", 8 }, { "cron", 9 }, { "authpriv", 10 },
		{ "ftp", 11 }, { "local0", 16 }, { "local1", 17 },
		{ "local2", 18 }, { "local3", 19 }, { "local4", 20 },
		{ "local5", 21 }, { "local6", 22 }, { "local7", 23 },
	};
	const char *dot = strchr(s, '.'), *lv = s;
	uint64_t v;
	size_t i, n;
	int level = -1, fac = -1;

	if (dot != NULL) {
		n = (size_t)(dot - s);
		for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
			if (strlen(facilities[i].name) == n &&
			    strncasecmp(s, facilities[i].name, n) == 0)
				fac = facilities[i].value;
		/* A number is the facility as syslog.h has it (LOG_LOCAL0). */
		if (fac < 0 && n > 0 && n < 8) {
			char num[8];

			memcpy(num, s, n);
			num[n] = '\0';
			if (mml_parse_range(num, 0, 23 << 3, &v) == 0 &&
			    v % 8 == 0 && v / 8 <= 23 && (v / 8 <= 11 ||
			    v / 8 >= 16))
				fac = (int)(v / 8);
		}
		if (fac < 0)
			return -EINVAL;
		/* Userspace cannot log as the kernel (logger: kern is user). */
		if (fac == 0)
			fac = 1;
		lv = dot + 1;
	}
	for (i = 0; i < 8; i++)
		if (strcasecmp(lv, levels[i]) == 0)
			level = (int)i;
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcasecmp(lv, aliases[i].name) == 0)
			level = aliases[i].value;
	if (level < 0 && mml_parse_range(lv, 0, 7, &v) == 0)
		level = (int)v;
	if (level < 0)
		return -EINVAL;
	*ret_level = level;
	*ret_facility = fac;
	return 0;
}

int
mml_ctl_parse_bool(const char *s)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };
	size_t i;

	for (i = 0; i < 6; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

/*
 * A time span as systemd's parse_sec() reads it, the first len bytes of
 * s: one or more "NUMBER[.FRACTION] [UNIT]" (spaces allowed between and
 * around them; no unit is seconds), in usec.  Returns 0 or -EINVAL.
 */
static int
parse_span(const char *s, size_t len, uint64_t *ret)
{
	static const struct {
		const char *name;
		uint64_t usec;
	} units[] = {
		/* Longest first where one is a prefix of another. */
		{ "seconds", 1000000 }, { "second", 1000000 },
		{ "sec", 1000000 }, { "s", 1000000 },
		{ "minutes", 60000000 }, { "minute", 60000000 },
		{ "min", 60000000 }, { "months", 2629800000000ULL },
		{ "month", 2629800000000ULL }, { "M", 2629800000000ULL },
		{ "msec", 1000 }, { "ms", 1000 }, { "m", 60000000 },
		{ "hours", 3600000000ULL }, { "hour", 3600000000ULL },
		{ "hr", 3600000000ULL }, { "h", 3600000000ULL },
		{ "days", 86400000000ULL }, { "day", 86400000000ULL },
		{ "d", 86400000000ULL }, { "weeks", 604800000000ULL },
		{ "week", 604800000000ULL }, { "w", 604800000000ULL },
		{ "years", 31557600000000ULL }, { "year", 31557600000000ULL },
		{ "y", 31557600000000ULL }, { "usec", 1 }, { "us", 1 },
		{ "\xce\xbcs", 1 }, { "\xc2\xb5s", 1 },
	};
	const char *p = s, *end = s + len, *frac = NULL;
	uint64_t total = 0, n, mult, k, m;
	size_t i, ul;
	int parts = 0;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			break;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (n = 0; p < end && *p >= '0' && *p <= '9'; p++) {
			if (n > (UINT64_MAX - 9) / 10)
				return -EINVAL;
			n = n * 10 + (uint64_t)(*p - '0');
		}
		frac = NULL;
		if (p < end && *p == '.') {
			frac = ++p;
			while (p < end && *p >= '0' && *p <= '9')
				p++;
			if (p == frac)
				return -EINVAL;
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		mult = 1000000;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			ul = strlen(units[i].name);
			if ((size_t)(end - p) >= ul &&
			    memcmp(p, units[i].name, ul) == 0) {
				mult = units[i].usec;
				p += ul;
				break;
			}
		}
		/* "12.34.56" is not a span; "5s.5" is two. */
		if (i == sizeof(units) / sizeof(units[0]) && p < end &&
		    *p != ' ' && *p != '\t')
			return -EINVAL;
		if (n > UINT64_MAX / mult || n * mult > UINT64_MAX - total)
			return -EINVAL;
		total += n * mult;
		for (m = mult / 10; frac != NULL && *frac >= '0' &&
		    *frac <= '9' && frac < end; frac++, m /= 10) {
			k = (uint64_t)(*frac - '0') * m;
			if (k > UINT64_MAX - total)
				return -EINVAL;
			total += k;
		}
		parts++;
	}
	if (parts == 0)
		return -EINVAL;
	*ret = total;
	return 0;
}

/*
 * A fraction of a second after the '.' at *pp, as systemd reads it: up
 * to six digits, rounded by the seventh, more ignored; at least one.
 */
static int
parse_frac(const char **pp, uint64_t *ret)
{
	const char *p = *pp;
	uint64_t v = 0;
	int n = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++, n++) {
		if (n < 6)
			v = v * 10 + (uint64_t)(*p - '0');
		else if (n == 6 && *p >= '5')
			v++;
	}
	for (; n < 6; n++)
		v *= 10;
	*pp = p;
	*ret = v;
	return 0;
}

/*
 * The absolute forms of systemd's parse_timestamp() (v252): an optional
 * weekday, then a date and time in one of its strptime() formats, tried
 * in its order, in the local zone or UTC.
 */
static int
parse_absolute(const char *s, uint64_t *ret)
{
	static const char *const days[] = {
		"Sunday", "Sun", "Monday", "Mon", "Tuesday", "Tue",
		"Wednesday", "Wed", "Thursday", "Thu", "Friday", "Fri",
		"Saturday", "Sat",
	};
	static const struct {
		const char *fmt;
		int frac;	/* may be followed by .FRACTION */
		int zero;	/* 1: seconds are 0; 2: the time is 00:00:00 */
	} forms[] = {
		{ "%y-%m-%d %H:%M:%S", 1, 0 }, { "%Y-%m-%d %H:%M:%S", 1, 0 },
		{ "%y-%m-%d %H:%M", 0, 1 }, { "%Y-%m-%d %H:%M", 0, 1 },
		{ "%y-%m-%d", 0, 2 }, { "%Y-%m-%d", 0, 2 },
		{ "%H:%M:%S", 1, 0 }, { "%H:%M", 0, 1 },
	};
	char buf[256];
	struct tm tm, now_tm;
	const char *k, *tz = NULL;
	time_t now = time(NULL), t;
	uint64_t usec = 0;
	size_t len = strlen(s), i, n;
	int utc = 0, dst = -1, wday = -1, day = 0;

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len + 1);
	/* " UTC", or the local zone's own name (standard or summer). */
	if (len > 4 && strcasecmp(buf + len - 4, " UTC") == 0) {
		utc = 1;
		buf[len - 4] = '\0';
	} else {
		tzset();
		for (i = 0; i < 2; i++) {
			n = tzname[i] != NULL ? strlen(tzname[i]) : 0;
			if (n == 0 || n + 1 >= len ||
			    strcasecmp(buf + len - n, tzname[i]) != 0 ||
			    buf[len - n - 1] != ' ')
				continue;
			buf[len - n - 1] = '\0';
			dst = (int)i;
			tz = tzname[i];
			break;
		}
	}
	if ((utc ? gmtime_r(&now, &now_tm) : localtime_r(&now, &now_tm)) ==
	    NULL)
		return -EINVAL;
	now_tm.tm_isdst = dst;
	if (strcmp(buf, "today") == 0 || strcmp(buf, "yesterday") == 0 ||
	    strcmp(buf, "tomorrow") == 0) {
		day = buf[0] == 'y' ? -1 : buf[1] == 'o' && buf[2] == 'm' ? 1 :
		    0;
		tm = now_tm;
		tm.tm_mday += day;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		goto out;
	}
	k = buf;
	for (i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
		n = strlen(days[i]);
		if (strncasecmp(buf, days[i], n) == 0 && buf[n] == ' ') {
			wday = (int)i / 2;
			k = buf + n + 1;
			break;
		}
	}
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const char *e;

		tm = now_tm;
		e = strptime(k, forms[i].fmt, &tm);
		if (e == NULL)
			continue;
		if (*e == '.' && forms[i].frac) {
			e++;
			if (parse_frac(&e, &usec) < 0 || *e != '\0')
				return -EINVAL;
		} else if (*e != '\0')
			continue;
		if (forms[i].zero >= 1)
			tm.tm_sec = 0;
		if (forms[i].zero == 2)
			tm.tm_min = tm.tm_hour = 0;
		break;
	}
	if (i == sizeof(forms) / sizeof(forms[0]))
		return -EINVAL;
	if (wday >= 0 && tm.tm_wday != wday)
		return -EINVAL;
out:
	(void)tz;
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1 || t < 0 || (uint64_t)t > UINT64_MAX / 1000000 -
	    1)
		return -EINVAL;
	*ret = (uint64_t)t * 1000000 + usec;
	return 0;
}

int
mml_ctl_parse_time(const char *s, uint64_t *ret)
{
	uint64_t now = mml_now_usec(CLOCK_REALTIME), span;
	size_t len = strlen(s);

	if (strcmp(s, "now") == 0) {
		*ret = now;
		return 0;
	}
	if (s[0] == '+' || s[0] == '-') {
		if (parse_span(s + 1, len - 1, &span) < 0)
			return -EINVAL;
		if (s[0] == '-')
			*ret = span > now ? 0 : now - span;
		else if (span > UINT64_MAX - now)
			return -EINVAL;
		else
			*ret = now + span;
		return 0;
	}
	if (len > 4 && strcmp(s + len - 4, " ago") == 0) {
		if (parse_span(s, len - 4, &span) < 0)
			return -EINVAL;
		*ret = span > now ? 0 : now - span;
		return 0;
	}
	if (len > 5 && strcmp(s + len - 5, " left") == 0) {
		if (parse_span(s, len - 5, &span) < 0 ||
		    span > UINT64_MAX - now)
			return -EINVAL;
		*ret = now + span;
		return 0;
	}
	if (s[0] == '@')
		return parse_span(s + 1, len - 1, ret);
	return parse_absolute(s, ret);
}

int
mml_ctl_pattern_has_upper(const char *s)
{
	/*
	 * journalctl asks PCRE2 whether the pattern matches [[:upper:]]
	 * with its default (C locale) tables: an ASCII capital, wherever
	 * it is, "\D" and "\S" included.
	 */
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			return 1;
	return 0;
}
