/*
 * opts.c: mmlogctl's command line: every option, read with getopt in
 * one pass whether it comes before or after the command, then checked
 * against what the command takes (main.c's table); and the values of
 * options that are more than a number: priorities and their ranges, times
 * in journalctl's spellings, and -g's case rule.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>
#include <wctype.h>

#include "ctl.h"
#include "mmlog.h"
#include "util.h"

#define BIT(o)		MML_CTL_BIT(o)

static int	 set_cmd(struct mml_ctl_opts *, const char *);
static int	 set_opt(struct mml_ctl_opts *, int);
static int	 check_opts(struct mml_ctl_opts *);
static int	 tm_to_usec(struct tm *, uint64_t *);
static int	 midnight(int, uint64_t *);
static int	 parse_relative(const char *, uint64_t *);
static int	 parse_epoch(const char *, uint64_t *);
static int	 parse_clock(const char *, struct tm *);

static const struct option long_opts[] = {
	{ "file",		required_argument, NULL, 256 + MML_CTL_OPT_FILE },
	{ "socket",		required_argument, NULL,
	    256 + MML_CTL_OPT_SOCKET },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL,
	    256 + MML_CTL_OPT_VERSION },
	{ "priority",		required_argument, NULL, 'p' },
	{ "tag",		required_argument, NULL, 't' },
	{ "identifier",		required_argument, NULL, 't' },
	{ "sync",		no_argument,	   NULL, 256 + MML_CTL_OPT_SYNC },
	{ "field",		required_argument, NULL, 'F' },
	{ "lines",		required_argument, NULL, 'n' },
	{ "follow",		no_argument,	   NULL, 'f' },
	{ "since",		required_argument, NULL, 'S' },
	{ "until",		required_argument, NULL, 'U' },
	{ "pid",		required_argument, NULL, 256 + MML_CTL_OPT_PID },
	{ "uid",		required_argument, NULL, 256 + MML_CTL_OPT_UID },
	{ "grep",		required_argument, NULL, 'g' },
	{ "after-cursor",	required_argument, NULL,
	    256 + MML_CTL_OPT_AFTER_CURSOR },
	{ "cursor-file",	required_argument, NULL,
	    256 + MML_CTL_OPT_CURSOR_FILE },
	{ "show-cursor",	no_argument,	   NULL,
	    256 + MML_CTL_OPT_SHOW_CURSOR },
	{ "reverse",		no_argument,	   NULL, 'r' },
	{ "output",		required_argument, NULL, 'o' },
	{ "no-pager",		no_argument,	   NULL,
	    256 + MML_CTL_OPT_NO_PAGER },
	{ NULL, 0, NULL, 0 },
};

/*
 * Options may come before or after the command: getopt's "-" mode hands
 * us every other argument in order, the first of which names the
 * command.
 */
int
mml_ctl_parse_args(int argc, char **argv, struct mml_ctl_opts *o)
{
	int c, rc;

	o->tags = calloc((size_t)argc + 1, sizeof(*o->tags));
	o->fields = calloc((size_t)argc + 1, sizeof(*o->fields));
	o->args = calloc((size_t)argc + 1, sizeof(*o->args));
	if (o->tags == NULL || o->fields == NULL || o->args == NULL) {
		mml_ctl_msg("out of memory");
		return EXIT_FAILURE;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, "-:hp:t:F:n:fS:U:g:ro:", long_opts,
	    NULL)) != -1) {
		switch (c) {
		case 1:
			if (o->cmd_named)
				o->args[o->n_args++] = optarg;
			else if ((rc = set_cmd(o, optarg)) != 0)
				return rc;
			continue;
		case '?':
			if (optopt != 0)
				return mml_ctl_usage_error("unknown option "
				    "'-%c'", optopt);
			return mml_ctl_usage_error("unknown option '%s'",
			    argv[optind - 1]);
		case ':':
			if (optopt > 0 && optopt < 256)
				return mml_ctl_usage_error("option '-%c' needs "
				    "an argument", optopt);
			return mml_ctl_usage_error("option '%s' needs an "
			    "argument", argv[optind - 1]);
		default:
			o->seen |= BIT(set_opt(o, c));
			break;
		}
	}
	/* After "--", the rest are arguments. */
	for (; optind < argc; optind++) {
		if (o->cmd_named)
			o->args[o->n_args++] = argv[optind];
		else if ((rc = set_cmd(o, argv[optind])) != 0)
			return rc;
	}
	if (!o->cmd_named)
		o->cmd = &mml_ctl_cmds[0];
	if (o->seen & (BIT(MML_CTL_OPT_HELP) | BIT(MML_CTL_OPT_VERSION)))
		return 0;
	return check_opts(o);
}

void
mml_ctl_opts_free(struct mml_ctl_opts *o)
{
	free(o->tags);
	free(o->fields);
	free(o->args);
	o->tags = o->fields = NULL;
	o->args = NULL;
}

/* The command named name.  Returns 0, or a usage error's exit status. */
static int
set_cmd(struct mml_ctl_opts *o, const char *name)
{
	size_t i;

	for (i = 0; i < mml_ctl_n_cmds; i++)
		if (strcmp(name, mml_ctl_cmds[i].name) == 0)
			break;
	if (i == mml_ctl_n_cmds)
		return mml_ctl_usage_error("unknown command '%s'", name);
	o->cmd = &mml_ctl_cmds[i];
	o->cmd_named = 1;
	return 0;
}

/* Notes getopt's option c and its argument; returns its enum mml_ctl_opt. */
static int
set_opt(struct mml_ctl_opts *o, int c)
{
	int id;

	switch (c) {
	case 'h':
		return MML_CTL_OPT_HELP;
	case 'p':
		o->prio = optarg;
		return MML_CTL_OPT_PRIO;
	case 't':
		o->tags[o->n_tags++] = optarg;
		return MML_CTL_OPT_TAG;
	case 'F':
		o->fields[o->n_fields++] = optarg;
		return MML_CTL_OPT_FIELD;
	case 'n':
		o->lines = optarg;
		return MML_CTL_OPT_LINES;
	case 'f':
		o->follow = 1;
		return MML_CTL_OPT_FOLLOW;
	case 'S':
		o->since = optarg;
		return MML_CTL_OPT_SINCE;
	case 'U':
		o->until = optarg;
		return MML_CTL_OPT_UNTIL;
	case 'g':
		o->grep = optarg;
		return MML_CTL_OPT_GREP;
	case 'r':
		o->reverse = 1;
		return MML_CTL_OPT_REVERSE;
	case 'o':
		o->output = optarg;
		return MML_CTL_OPT_OUTPUT;
	}
	id = c - 256;
	if (id == MML_CTL_OPT_FILE)
		o->file = optarg;
	else if (id == MML_CTL_OPT_SOCKET)
		o->socket = optarg;
	else if (id == MML_CTL_OPT_SYNC)
		o->sync = 1;
	else if (id == MML_CTL_OPT_PID)
		o->pid = optarg;
	else if (id == MML_CTL_OPT_UID)
		o->uid = optarg;
	else if (id == MML_CTL_OPT_AFTER_CURSOR)
		o->after_cursor = optarg;
	else if (id == MML_CTL_OPT_CURSOR_FILE)
		o->cursor_file = optarg;
	else if (id == MML_CTL_OPT_SHOW_CURSOR)
		o->show_cursor = 1;
	return id;
}

static int
check_opts(struct mml_ctl_opts *o)
{
	static const char *const names[MML_CTL_OPT__MAX] = {
		[MML_CTL_OPT_FILE] = "--file",
		[MML_CTL_OPT_SOCKET] = "--socket",
		[MML_CTL_OPT_HELP] = "--help",
		[MML_CTL_OPT_VERSION] = "--version",
		[MML_CTL_OPT_PRIO] = "--priority",
		[MML_CTL_OPT_TAG] = "--tag/--identifier",
		[MML_CTL_OPT_SYNC] = "--sync",
		[MML_CTL_OPT_FIELD] = "--field",
		[MML_CTL_OPT_LINES] = "--lines",
		[MML_CTL_OPT_FOLLOW] = "--follow",
		[MML_CTL_OPT_SINCE] = "--since",
		[MML_CTL_OPT_UNTIL] = "--until",
		[MML_CTL_OPT_PID] = "--pid",
		[MML_CTL_OPT_UID] = "--uid",
		[MML_CTL_OPT_GREP] = "--grep",
		[MML_CTL_OPT_AFTER_CURSOR] = "--after-cursor",
		[MML_CTL_OPT_CURSOR_FILE] = "--cursor-file",
		[MML_CTL_OPT_SHOW_CURSOR] = "--show-cursor",
		[MML_CTL_OPT_REVERSE] = "--reverse",
		[MML_CTL_OPT_OUTPUT] = "--output",
		[MML_CTL_OPT_NO_PAGER] = "--no-pager",
	};
	const char *env;
	unsigned bad;
	int id;

	bad = o->seen & ~(MML_CTL_GLOBAL_OPTS | o->cmd->opts);
	if (bad != 0) {
		for (id = 0; id < MML_CTL_OPT__MAX; id++)
			if (bad & BIT(id))
				break;
		return mml_ctl_usage_error("option %s is not valid for '%s'",
		    names[id], o->cmd->name);
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

/* Local broken-down time (DST decided by mktime) to microseconds. */
static int
tm_to_usec(struct tm *tm, uint64_t *ret)
{
	time_t t;

	tm->tm_isdst = -1;
	t = mktime(tm);
	if (t == (time_t)-1 || t < 0)
		return -EINVAL;
	*ret = (uint64_t)t * 1000000;
	return 0;
}

/* Local midnight, days away from today. */
static int
midnight(int days, uint64_t *ret)
{
	struct tm tm;
	time_t t = time(NULL);

	if (localtime_r(&t, &tm) == NULL)
		return -EINVAL;
	tm.tm_mday += days;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return tm_to_usec(&tm, ret);
}

/*
 * A relative time: one or more "N unit" (units s, sec, m, min, h, d, w
 * and their long forms), either after '-' or '+' or before "ago".
 */
static int
parse_relative(const char *s, uint64_t *ret)
{
	static const struct {
		const char *name;
		uint64_t usec;
	} units[] = {
		{ "us", 1 }, { "usec", 1 }, { "ms", 1000 }, { "msec", 1000 },
		{ "s", 1000000 }, { "sec", 1000000 }, { "second", 1000000 },
		{ "seconds", 1000000 }, { "m", 60000000 }, { "min", 60000000 },
		{ "minute", 60000000 }, { "minutes", 60000000 },
		{ "h", 3600000000ULL }, { "hour", 3600000000ULL },
		{ "hours", 3600000000ULL }, { "d", 86400000000ULL },
		{ "day", 86400000000ULL }, { "days", 86400000000ULL },
		{ "w", 604800000000ULL }, { "week", 604800000000ULL },
		{ "weeks", 604800000000ULL },
	};
	const char *p = s;
	uint64_t total = 0, n, now = mml_now_usec(CLOCK_REALTIME);
	size_t len, i;
	int sign = 0, ago = 0, parts = 0;
	char *end;

	if (*p == '-' || *p == '+')
		sign = *p++ == '-' ? -1 : 1;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (strcmp(p, "ago") == 0 && sign == 0 && parts > 0) {
			ago = 1;
			break;
		}
		if (*p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		n = strtoull(p, &end, 10);
		if (errno != 0)
			return -EINVAL;
		p = end;
		while (*p == ' ')
			p++;
		for (len = 0; p[len] >= 'a' && p[len] <= 'z'; len++)
			;
		if (len == 3 && strncmp(p, "ago", 3) == 0)
			len = 0;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].name) == len &&
			    strncmp(p, units[i].name, len) == 0)
				break;
		/* A bare number is seconds, as in systemd. */
		if (len == 0)
			i = 4;
		else if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		if (n > UINT64_MAX / units[i].usec ||
		    total > UINT64_MAX - n * units[i].usec)
			return -EINVAL;
		total += n * units[i].usec;
		p += len;
		parts++;
	}
	if (parts == 0 || (sign == 0 && !ago))
		return -EINVAL;
	if (sign > 0) {
		if (total > UINT64_MAX - now)
			return -EINVAL;
		*ret = now + total;
	} else
		*ret = total > now ? 0 : now - total;
	return 0;
}

/* "@EPOCH" or "@EPOCH.FRACTION", in seconds, to microseconds. */
static int
parse_epoch(const char *p, uint64_t *ret)
{
	uint64_t sec, frac = 0, scale = 100000;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (sec = 0; *p >= '0' && *p <= '9'; p++) {
		if (sec > (UINT64_MAX / 1000000 - 9) / 10)
			return -EINVAL;
		sec = sec * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			frac += (uint64_t)(*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p != '\0')
		return -EINVAL;
	*ret = sec * 1000000 + frac;
	return 0;
}

/*
 * "HH:MM:SS" or "HH:MM", the whole of s, into tm's time of day.
 * Returns 0 or -EINVAL.
 */
static int
parse_clock(const char *s, struct tm *tm)
{
	int n = 0, h, mi, se = 0;

	if (sscanf(s, "%2d:%2d:%2d%n", &h, &mi, &se, &n) != 3) {
		n = 0;
		se = 0;
		if (sscanf(s, "%2d:%2d%n", &h, &mi, &n) != 2)
			return -EINVAL;
	}
	if (s[n] != '\0')
		return -EINVAL;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = se;
	return 0;
}

int
mml_ctl_parse_time(const char *s, uint64_t *ret)
{
	struct tm tm, now_tm;
	time_t now = time(NULL);
	int n = 0, y, mo, d;

	if (strcmp(s, "now") == 0) {
		*ret = mml_now_usec(CLOCK_REALTIME);
		return 0;
	}
	if (strcmp(s, "today") == 0)
		return midnight(0, ret);
	if (strcmp(s, "yesterday") == 0)
		return midnight(-1, ret);
	if (strcmp(s, "tomorrow") == 0)
		return midnight(1, ret);
	if (s[0] == '@')
		return parse_epoch(s + 1, ret);
	if (s[0] == '-' || s[0] == '+' || strstr(s, " ago") != NULL ||
	    strstr(s, "ago") != NULL)
		return parse_relative(s, ret);
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 &&
	    (s[n] == '\0' || s[n] == ' ' || s[n] == 'T')) {
		if (s[n] != '\0' && parse_clock(s + n + 1, &tm) < 0)
			return -EINVAL;
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
	} else {
		if (parse_clock(s, &tm) < 0 ||
		    localtime_r(&now, &now_tm) == NULL)
			return -EINVAL;
		tm.tm_year = now_tm.tm_year;
		tm.tm_mon = now_tm.tm_mon;
		tm.tm_mday = now_tm.tm_mday;
		d = tm.tm_mday;
		mo = tm.tm_mon + 1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || tm.tm_hour < 0 ||
	    tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 ||
	    tm.tm_sec < 0 || tm.tm_sec > 60)
		return -EINVAL;
	return tm_to_usec(&tm, ret);
}

int
mml_ctl_pattern_has_upper(const char *s)
{
	mbstate_t st;
	wchar_t wc;
	size_t n, left = strlen(s);

	memset(&st, 0, sizeof(st));
	while (left > 0) {
		n = mbrtowc(&wc, s, left, &st);
		if (n == (size_t)-1 || n == (size_t)-2) {
			/* Not text in this locale: judge the byte. */
			if (*s >= 'A' && *s <= 'Z')
				return 1;
			memset(&st, 0, sizeof(st));
			n = 1;
		} else if (n == 0)
			break;
		else if (iswupper((wint_t)wc))
			return 1;
		s += n;
		left -= n;
	}
	return 0;
}
