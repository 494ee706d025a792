/*
 * main.c: the command-line tool for mmlogd, with journalctl's habits.
 *
 *	mmlogctl [show] [-n N] [-f] [--since T] [--until T] [-p PRIO] ...
 *	mmlogctl write [-p PRIO] [-t TAG] [--sync] [-F KEY=VALUE] [MESSAGE...]
 *	mmlogctl status [-o json]
 *	mmlogctl verify
 *	mmlogctl dump [-n BYTES]
 *
 * Reading commands map the ring file read-only (ctl_read.c) and work
 * whether or not the daemon runs; `write` goes through libmmlogclient;
 * `show -f` and `status` also talk to the daemon's socket directly, for
 * NOTIFY frames and counters.  Exit status: 0 ok, 1 failure, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <locale.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include "ctl.h"
#include "ringread.h"
#include "mmlog.h"
#include "sock.h"
#include "wire.h"

#define EXIT_USAGE		2
#define MMLOGCTL_VERSION	"0.1.0"
#define FOLLOW_LINES		10	/* -f without -n first shows these */
#define REPLY_TIMEOUT_MS	2000	/* wait for a STATS reply */
#define POLL_NOTIFY_MS		1000	/* re-walk at least this often */
#define POLL_NOSOCKET_MS	250	/* re-walk interval without NOTIFY */
#define RECONNECT_MS		1000	/* retry the socket this often */
#define RECONNECT_QUICK_MS	20	/* ... just after it appeared */
#define RECONNECT_QUICK		50	/* ... this many times */
#define DUMP_BYTES		64
#define RATE_WINDOW_USEC	(60 * 1000000ULL)	/* status: rate over */

enum cmd {
	CMD_SHOW,
	CMD_WRITE,
	CMD_STATUS,
	CMD_VERIFY,
	CMD_DUMP,
	CMD_CLEAR,
	CMD_ROTATE_ID,
	CMD_RESET_COUNTERS,
};

/* Every option, for checking which command may take which. */
enum opt_id {
	OPT_FILE, OPT_SOCKET, OPT_HELP, OPT_VERSION,
	OPT_PRIO, OPT_TAG, OPT_SYNC, OPT_FIELD,
	OPT_LINES, OPT_FOLLOW, OPT_SINCE, OPT_UNTIL, OPT_PID, OPT_UID, OPT_GREP,
	OPT_AFTER_CURSOR, OPT_CURSOR_FILE, OPT_SHOW_CURSOR, OPT_REVERSE,
	OPT_OUTPUT,
	OPT_NO_PAGER,
	OPT__MAX
};

#define BIT(o)		(1U << (o))
#define GLOBAL_OPTS	(BIT(OPT_FILE) | BIT(OPT_SOCKET) | BIT(OPT_HELP) | \
			    BIT(OPT_VERSION))

static const struct {
	const char	*name;
	enum cmd	 cmd;
	unsigned	 opts;
} cmds[] = {
	{ "show", CMD_SHOW, BIT(OPT_LINES) | BIT(OPT_FOLLOW) | BIT(OPT_SINCE) |
	    BIT(OPT_UNTIL) | BIT(OPT_PRIO) | BIT(OPT_TAG) | BIT(OPT_PID) |
	    BIT(OPT_UID) |
	    BIT(OPT_GREP) | BIT(OPT_AFTER_CURSOR) | BIT(OPT_CURSOR_FILE) |
	    BIT(OPT_SHOW_CURSOR) | BIT(OPT_REVERSE) | BIT(OPT_OUTPUT) |
	    BIT(OPT_NO_PAGER) },
	{ "write", CMD_WRITE, BIT(OPT_PRIO) | BIT(OPT_TAG) | BIT(OPT_SYNC) |
	    BIT(OPT_FIELD) },
	{ "status", CMD_STATUS, BIT(OPT_OUTPUT) },
	{ "verify", CMD_VERIFY, 0 },
	{ "dump", CMD_DUMP, BIT(OPT_LINES) | BIT(OPT_NO_PAGER) },
	{ "clear", CMD_CLEAR, 0 },
	{ "rotate-id", CMD_ROTATE_ID, 0 },
	{ "reset-counters", CMD_RESET_COUNTERS, 0 },
};

static const struct option long_opts[] = {
	{ "file",		required_argument, NULL, 256 + OPT_FILE },
	{ "socket",		required_argument, NULL, 256 + OPT_SOCKET },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, 256 + OPT_VERSION },
	{ "priority",		required_argument, NULL, 'p' },
	{ "tag",		required_argument, NULL, 't' },
	{ "identifier",		required_argument, NULL, 't' },
	{ "sync",		no_argument,	   NULL, 256 + OPT_SYNC },
	{ "field",		required_argument, NULL, 'F' },
	{ "lines",		required_argument, NULL, 'n' },
	{ "follow",		no_argument,	   NULL, 'f' },
	{ "since",		required_argument, NULL, 'S' },
	{ "until",		required_argument, NULL, 'U' },
	{ "pid",		required_argument, NULL, 256 + OPT_PID },
	{ "uid",		required_argument, NULL, 256 + OPT_UID },
	{ "grep",		required_argument, NULL, 'g' },
	{ "after-cursor",	required_argument, NULL,
	    256 + OPT_AFTER_CURSOR },
	{ "cursor-file",	required_argument, NULL,
	    256 + OPT_CURSOR_FILE },
	{ "show-cursor",	no_argument,	   NULL,
	    256 + OPT_SHOW_CURSOR },
	{ "reverse",		no_argument,	   NULL, 'r' },
	{ "output",		required_argument, NULL, 'o' },
	{ "no-pager",		no_argument,	   NULL, 256 + OPT_NO_PAGER },
	{ NULL, 0, NULL, 0 },
};

/* The command line, as given; checked per command once it is known. */
struct opts {
	enum cmd	 cmd;
	const char	*cmd_name;
	unsigned	 seen;		/* BIT(enum opt_id) */
	const char	*file;
	const char	*socket;
	const char	*prio;
	const char	**tags;
	size_t		 n_tags;
	int		 sync;
	const char	**fields;
	size_t		 n_fields;
	const char	*lines;
	int		 follow;
	const char	*since;
	const char	*until;
	const char	*pid;
	const char	*uid;
	const char	*grep;
	const char	*after_cursor;
	const char	*cursor_file;
	int		 show_cursor;
	int		 reverse;
	const char	*output;
	char		**args;
	size_t		 n_args;
};

/* What `show` selects; all conditions must hold, any -t may match. */
struct filter {
	int		 prio_min, prio_max;
	const char	**tags;
	size_t		 n_tags;
	int		 have_pid, have_uid;
	uint32_t	 pid, uid;
	int		 have_since, have_until;
	uint64_t	 since_usec, until_usec;
	int		 have_grep;
	regex_t		 re;
	char		*re_buf;	/* the message, NUL-terminated */
	size_t		 re_cap;
};

/* What an item of a window stands for. */
enum item_kind {
	ITEM_ENTRY,		/* an entry, at off with seq */
	ITEM_LOST,		/* seqs [seq, seq + n) overwritten */
	ITEM_CORRUPT,		/* seqs [seq, seq + n) lost to damage at off */
	ITEM_JUMP,		/* seqs [seq, seq + n) skipped, at off */
};

/* One remembered entry, or a marker of a gap before the next. */
struct item {
	enum item_kind	 kind;
	enum mml_disk_reason why;	/* ITEM_CORRUPT */
	uint64_t	 off;
	uint64_t	 seq;
	uint64_t	 n;
};

/* A window of items: the newest -n entries, or all of them for -r. */
struct items {
	struct item	*v;
	size_t		 start, len, cap;
	uint64_t	 n_entries;
};

struct show {
	const struct opts *o;
	struct filter	 flt;
	struct mml_rd_ring *ring;
	struct mml_rd_iter it;
	struct mml_rd_fmt fmt;
	enum mml_rd_output mode;
	uint64_t	 want;		/* first seq wanted (after a cursor) */
	int64_t		 lines;		/* -n, or -1 for all */
	int		 seeked_last;	/* placed by mml_rd_iter_seek_last() */
	int		 idx_warned;	/* said the seek index is damaged */
	uint64_t	 start_off;	/* ... at this record */
	uint64_t	 start_seq;
	uint64_t	 seek_n;	/* ... for this many entries */
	uint64_t	 lost_first;	/* seqs lost before the walk began */
	uint64_t	 lost;
	uint64_t	 pend_lost;	/* lost since the last entry shown */
	int		 have_last;	/* an entry was shown */
	uint64_t	 last_seq;	/* the newest shown */
	uint8_t		 last_ring[16];
	int		 out_failed;	/* stdout failed; stop */
	int		 epipe;		/* ... because the reader went away */
};

static void	 msg(const char *, ...) __attribute__((format(printf, 1, 2)));
static int	 usage_error(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	 usage(FILE *, const struct opts *);
static int	 parse_args(int, char **, struct opts *);
static int	 check_opts(struct opts *);
static int	 parse_u32(const char *, uint32_t *);
static int	 parse_u64(const char *, uint64_t *);
static int	 parse_prio_range(const char *, int *, int *);
static int	 parse_time(const char *, uint64_t *);
static uint64_t	 now_usec(clockid_t);
static int	 pattern_has_upper(const char *);
static struct mml_rd_ring *open_ring(const char *);
static int	 daemon_request(const char *, uint8_t, uint8_t *, size_t,
		    const uint8_t **, size_t *, char *, size_t);
static int	 cmd_control(const struct opts *);
static int	 daemon_stats(const char *, uint8_t *, size_t,
		    const uint8_t **, size_t *, char *, size_t);
static int	 out_ok(struct show *);
static int	 text_mode(enum mml_rd_output);
static int	 filter_match(struct filter *, const struct mml_rec *);
static void	 show_entry(struct show *, const struct mml_rec *);
static void	 show_lost(struct show *, uint64_t, uint64_t);
static void	 show_lost_flush(struct show *);
static void	 show_gap(struct show *, enum item_kind, uint64_t, uint64_t,
		    uint64_t, enum mml_disk_reason);
static void	 show_start(struct show *, const struct mml_disk_header *);
static int	 show_widen(struct show *);
static int	 past_until(const struct show *, const struct mml_rec *);
static int	 show_stream(struct show *);
static int	 show_collect(struct show *);
static int	 items_push(struct items *, const struct item *);
static void	 items_trim(struct items *, int64_t);
static int	 follow(struct show *);
static int	 follow_read(int *, int *);
static int	 follow_reopen(struct show *);
static int	 follow_watch(const struct show *);
static int	 follow_watch_read(int, const struct show *);
static int	 watch_dir_of(int, const char *);
static const char *base_name(const char *);
static int	 cursor_file_read(const char *, char *, size_t);
static int	 cursor_file_write(const char *, const char *);
static int	 cmd_show(const struct opts *);
static int	 cmd_write(const struct opts *);
static int	 cmd_status(const struct opts *);
static int	 cmd_verify(const struct opts *);
static int	 cmd_dump(const struct opts *);
static const char *seq_range(char *, size_t, uint64_t, uint64_t);

static volatile sig_atomic_t stop_flag;
static int stop_pipe[2] = { -1, -1 };	/* wakes poll() on a signal */

static void
msg(const char *fmt, ...)
{
	va_list ap;

	(void)fflush(stdout);
	va_start(ap, fmt);
	(void)fputs("mmlogctl: ", stderr);
	(void)vfprintf(stderr, fmt, ap);
	(void)fputc('\n', stderr);
	va_end(ap);
}

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)fputs("mmlogctl: ", stderr);
	(void)vfprintf(stderr, fmt, ap);
	(void)fputs("\nTry 'mmlogctl --help' for more information.\n",
	    stderr);
	va_end(ap);
	return EXIT_USAGE;
}

static void
usage(FILE *out, const struct opts *o)
{
	static const char *const global =
	    "Global options (before or after the command):\n"
	    "  --file PATH        ring file (default: $MMLOG_FILE, else "
	    MML_DEFAULT_FILE ")\n"
	    "  --socket PATH      daemon socket (default: $MMLOG_SOCKET, else "
	    MML_DEFAULT_SOCKET ")\n"
	    "  -h, --help         this help; COMMAND -h for a command's\n"
	    "  --version          the version\n";
	static const char *const show =
	    "mmlogctl [show] [options]: print entries from the ring\n"
	    "  -n, --lines N      the newest N matching entries ('all': every "
	    "one)\n"
	    "  -f, --follow       keep printing new entries (default -n 10)\n"
	    "  -S, --since T      entries at or after T\n"
	    "  -U, --until T      entries at or before T\n"
	    "      T: 'YYYY-MM-DD HH:MM:SS', 'YYYY-MM-DD', 'HH:MM:SS', "
	    "'@EPOCH', 'now',\n"
	    "         'today', 'yesterday', 'N{s,min,h,d} ago', '-Nh'\n"
	    "  -p, --priority P   P and more urgent, or a range P..Q\n"
	    "  -t, --identifier T entries with tag T (repeatable: any of "
	    "them)\n"
	    "      --pid PID      entries from process PID\n"
	    "      --uid UID      entries from user UID\n"
	    "  -g, --grep RE      message matches the extended regex RE "
	    "(ignoring case\n"
	    "                     unless RE has an uppercase letter)\n"
	    "      --after-cursor C  entries after cursor C\n"
	    "      --cursor-file F   start after the cursor in F; store the "
	    "last in F\n"
	    "      --show-cursor  print the last cursor after the entries\n"
	    "  -r, --reverse      newest first\n"
	    "  -o, --output FMT   short, short-precise, short-iso, json, "
	    "json-pretty,\n"
	    "                     export, cat or raw (the records' bytes)\n"
	    "      --no-pager     do not pipe the output of a terminal into "
	    "a pager\n";
	static const char *const write =
	    "mmlogctl write [options] [MESSAGE...]: log a message (stdin "
	    "lines if none)\n"
	    "  -p, --priority P   emerg alert crit err warning notice info "
	    "debug, or 0-7\n"
	    "                     (default notice)\n"
	    "  -t, --tag TAG      SYSLOG_IDENTIFIER (default $USER or "
	    "mmlogctl)\n"
	    "  -F, --field K=V    add a structured field (repeatable)\n"
	    "      --sync         wait until durable, print the sequence "
	    "number\n";
	static const char *const status =
	    "mmlogctl status [-o json]: the ring's header and the daemon's "
	    "counters\n";
	static const char *const verify =
	    "mmlogctl verify: check the header and every record's CRC and "
	    "sequence\n";
	static const char *const control =
	    "mmlogctl clear: empty the ring (numbering goes on)\n"
	    "mmlogctl rotate-id: give the ring a new id (old cursors no "
	    "longer apply)\n"
	    "mmlogctl reset-counters: zero the daemon's live counters\n"
	    "  (these three ask the daemon: uid 0 or its own uid only)\n";
	static const char *const dump =
	    "mmlogctl dump [-n BYTES]: header fields and a hexdump of each "
	    "record\n"
	    "  -n, --lines BYTES  bytes to dump per record (default 64, 0: "
	    "all)\n"
	    "      --no-pager     do not pipe the output of a terminal into "
	    "a pager\n";

	if (o != NULL && o->cmd_name != NULL) {
		switch (o->cmd) {
		case CMD_SHOW:
			(void)fputs(show, out);
			break;
		case CMD_WRITE:
			(void)fputs(write, out);
			break;
		case CMD_STATUS:
			(void)fputs(status, out);
			break;
		case CMD_VERIFY:
			(void)fputs(verify, out);
			break;
		case CMD_DUMP:
			(void)fputs(dump, out);
			break;
		case CMD_CLEAR:
		case CMD_ROTATE_ID:
		case CMD_RESET_COUNTERS:
			(void)fputs(control, out);
			break;
		}
		(void)fputs(global, out);
		return;
	}
	(void)fputs("usage: mmlogctl [COMMAND] [options]\n"
	    "Commands: show (the default), write, status, verify, dump, "
	    "clear,\nrotate-id, reset-counters.\n\n",
	    out);
	(void)fputs(show, out);
	(void)fputc('\n', out);
	(void)fputs(write, out);
	(void)fputc('\n', out);
	(void)fputs(status, out);
	(void)fputs(verify, out);
	(void)fputs(dump, out);
	(void)fputc('\n', out);
	(void)fputs(control, out);
	(void)fputc('\n', out);
	(void)fputs(global, out);
}

/*
 * Options may come before or after the command: getopt's "-" mode hands
 * us every other argument in order, the first of which names the
 * command.  Returns 0, or an exit status to end with.
 */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	size_t i;
	int c, id, have_cmd = 0;

	o->tags = calloc((size_t)argc + 1, sizeof(*o->tags));
	o->fields = calloc((size_t)argc + 1, sizeof(*o->fields));
	o->args = calloc((size_t)argc + 1, sizeof(*o->args));
	if (o->tags == NULL || o->fields == NULL || o->args == NULL) {
		msg("out of memory");
		return EXIT_FAILURE;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, "-:hp:t:F:n:fS:U:g:ro:", long_opts,
	    NULL)) != -1) {
		switch (c) {
		case 1:
			if (!have_cmd) {
				for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]);
				    i++)
					if (strcmp(optarg, cmds[i].name) == 0)
						break;
				if (i == sizeof(cmds) / sizeof(cmds[0]))
					return usage_error("unknown command "
					    "'%s'", optarg);
				o->cmd = cmds[i].cmd;
				o->cmd_name = cmds[i].name;
				have_cmd = 1;
			} else
				o->args[o->n_args++] = optarg;
			continue;
		case '?':
			if (optopt != 0)
				return usage_error("unknown option '-%c'",
				    optopt);
			return usage_error("unknown option '%s'",
			    argv[optind - 1]);
		case ':':
			if (optopt > 0 && optopt < 256)
				return usage_error("option '-%c' needs an "
				    "argument", optopt);
			return usage_error("option '%s' needs an argument",
			    argv[optind - 1]);
		case 'h':
			id = OPT_HELP;
			break;
		case 'p':
			id = OPT_PRIO;
			o->prio = optarg;
			break;
		case 't':
			id = OPT_TAG;
			o->tags[o->n_tags++] = optarg;
			break;
		case 'F':
			id = OPT_FIELD;
			o->fields[o->n_fields++] = optarg;
			break;
		case 'n':
			id = OPT_LINES;
			o->lines = optarg;
			break;
		case 'f':
			id = OPT_FOLLOW;
			o->follow = 1;
			break;
		case 'S':
			id = OPT_SINCE;
			o->since = optarg;
			break;
		case 'U':
			id = OPT_UNTIL;
			o->until = optarg;
			break;
		case 'g':
			id = OPT_GREP;
			o->grep = optarg;
			break;
		case 'r':
			id = OPT_REVERSE;
			o->reverse = 1;
			break;
		case 'o':
			id = OPT_OUTPUT;
			o->output = optarg;
			break;
		default:
			id = c - 256;
			if (id == OPT_FILE)
				o->file = optarg;
			else if (id == OPT_SOCKET)
				o->socket = optarg;
			else if (id == OPT_SYNC)
				o->sync = 1;
			else if (id == OPT_PID)
				o->pid = optarg;
			else if (id == OPT_UID)
				o->uid = optarg;
			else if (id == OPT_AFTER_CURSOR)
				o->after_cursor = optarg;
			else if (id == OPT_CURSOR_FILE)
				o->cursor_file = optarg;
			else if (id == OPT_SHOW_CURSOR)
				o->show_cursor = 1;
			break;
		}
		o->seen |= BIT(id);
	}
	/* After "--", the rest are arguments. */
	for (; optind < argc; optind++) {
		if (!have_cmd) {
			for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
				if (strcmp(argv[optind], cmds[i].name) == 0)
					break;
			if (i == sizeof(cmds) / sizeof(cmds[0]))
				return usage_error("unknown command '%s'",
				    argv[optind]);
			o->cmd = cmds[i].cmd;
			o->cmd_name = cmds[i].name;
			have_cmd = 1;
			continue;
		}
		o->args[o->n_args++] = argv[optind];
	}
	if (!have_cmd)
		o->cmd = CMD_SHOW;
	return 0;
}

static int
check_opts(struct opts *o)
{
	static const char *const names[OPT__MAX] = {
		[OPT_FILE] = "--file", [OPT_SOCKET] = "--socket",
		[OPT_HELP] = "--help", [OPT_VERSION] = "--version",
		[OPT_PRIO] = "--priority", [OPT_TAG] = "--tag/--identifier",
		[OPT_SYNC] = "--sync", [OPT_FIELD] = "--field",
		[OPT_LINES] = "--lines", [OPT_FOLLOW] = "--follow",
		[OPT_SINCE] = "--since", [OPT_UNTIL] = "--until",
		[OPT_PID] = "--pid", [OPT_UID] = "--uid", [OPT_GREP] = "--grep",
		[OPT_AFTER_CURSOR] = "--after-cursor",
		[OPT_CURSOR_FILE] = "--cursor-file",
		[OPT_SHOW_CURSOR] = "--show-cursor",
		[OPT_REVERSE] = "--reverse",
		[OPT_OUTPUT] = "--output", [OPT_NO_PAGER] = "--no-pager",
	};
	const char *env;
	unsigned allowed = GLOBAL_OPTS, bad;
	size_t i;
	int id;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].cmd == o->cmd)
			allowed |= cmds[i].opts;
	bad = o->seen & ~allowed;
	if (bad != 0) {
		for (id = 0; id < OPT__MAX; id++)
			if (bad & BIT(id))
				break;
		return usage_error("option %s is not valid for '%s'",
		    names[id], cmds[o->cmd].name);
	}
	if (o->n_args > 0 && o->cmd != CMD_WRITE)
		return usage_error("unexpected argument '%s'", o->args[0]);
	if (o->file == NULL) {
		env = getenv("MMLOG_FILE");
		o->file = env != NULL && *env != '\0' ? env :
		    MML_DEFAULT_FILE;
	}
	if (o->socket == NULL)
		o->socket = mmlog_default_socket();
	if (*o->file == '\0')
		return usage_error("--file needs a path");
	if (*o->socket == '\0')
		return usage_error("--socket needs a path");
	return 0;
}

static int
parse_u64(const char *s, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

static int
parse_u32(const char *s, uint32_t *ret)
{
	uint64_t v;

	if (parse_u64(s, &v) < 0 || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

/* "P" means P and more urgent; "P..Q" the range, in either order. */
static int
parse_prio_range(const char *s, int *ret_min, int *ret_max)
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

static uint64_t
now_usec(clockid_t clock)
{
	struct timespec ts;

	(void)clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
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
	uint64_t total = 0, n, now = now_usec(CLOCK_REALTIME);
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

/* Parses a --since/--until argument into CLOCK_REALTIME usec. */
static int
parse_time(const char *s, uint64_t *ret)
{
	struct tm tm, now_tm;
	time_t now = time(NULL);
	uint64_t sec, frac = 0, scale = 100000;
	const char *p;
	int n = 0, y, mo, d, h = 0, mi = 0, se = 0;

	if (strcmp(s, "now") == 0) {
		*ret = now_usec(CLOCK_REALTIME);
		return 0;
	}
	if (strcmp(s, "today") == 0)
		return midnight(0, ret);
	if (strcmp(s, "yesterday") == 0)
		return midnight(-1, ret);
	if (strcmp(s, "tomorrow") == 0)
		return midnight(1, ret);
	if (s[0] == '@') {
		p = s + 1;
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
	if (s[0] == '-' || s[0] == '+' || strstr(s, " ago") != NULL ||
	    strstr(s, "ago") != NULL)
		return parse_relative(s, ret);
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 &&
	    (s[n] == '\0' || s[n] == ' ' || s[n] == 'T')) {
		p = s + n;
		if (*p != '\0') {
			p++;
			n = 0;
			if (sscanf(p, "%2d:%2d:%2d%n", &h, &mi, &se, &n) != 3) {
				n = 0;
				se = 0;
				if (sscanf(p, "%2d:%2d%n", &h, &mi, &n) != 2)
					return -EINVAL;
			}
			if (p[n] != '\0')
				return -EINVAL;
		}
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
	} else {
		n = 0;
		if (sscanf(s, "%2d:%2d:%2d%n", &h, &mi, &se, &n) != 3) {
			n = 0;
			se = 0;
			if (sscanf(s, "%2d:%2d%n", &h, &mi, &n) != 2)
				return -EINVAL;
		}
		if (s[n] != '\0' || localtime_r(&now, &now_tm) == NULL)
			return -EINVAL;
		tm.tm_year = now_tm.tm_year;
		tm.tm_mon = now_tm.tm_mon;
		tm.tm_mday = now_tm.tm_mday;
		d = tm.tm_mday;
		mo = tm.tm_mon + 1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || se < 0 || se > 60)
		return -EINVAL;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return tm_to_usec(&tm, ret);
}

/* journalctl's "smart case": any uppercase letter makes -g exact. */
static int
pattern_has_upper(const char *s)
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

static struct mml_rd_ring *
open_ring(const char *path)
{
	struct mml_rd_ring *r = NULL;
	enum mml_disk_reason why;
	int rc, tries;

	/* -EAGAIN: replaced between two looks; look again. */
	for (tries = 0; tries < 3; tries++) {
		rc = mml_rd_ring_open(path, &r, &why);
		if (rc != -EAGAIN)
			break;
	}
	if (rc == 0)
		return r;
	if (why != MML_DISK_OK)
		msg("%s: %s", path, mml_disk_reason_str(why));
	else if (rc == -ENOENT)
		msg("%s: %s (is mmlogd running? use --file)", path,
		    strerror(-rc));
	else if (rc == -EACCES)
		msg("%s: %s (reading the ring needs read permission on it, "
		    "usually through its group)", path, strerror(-rc));
	else if (rc == -ENODEV)
		msg("%s: not a regular file", path);
	else
		msg("%s: %s", path, strerror(-rc));
	return NULL;
}

/*
 * Asks the daemon at path for its counters.  Returns 0 with the
 * STATS_REPLY body in buf, or -errno with a reason in why.
 */
static int
daemon_stats(const char *path, uint8_t *buf, size_t cap,
    const uint8_t **ret_body, size_t *ret_len, char *why, size_t why_cap)
{
	return daemon_request(path, MML_FRAME_STATS, buf, cap, ret_body,
	    ret_len, why, why_cap);
}

/*
 * Sends the daemon at path one request of an empty body (STATS, or a
 * control operation) and waits for its answer: STATS_REPLY for STATS,
 * ACK for the others.  Returns 0 with the reply's body in buf, or -errno
 * (the daemon's, for an ERROR) with a reason in why.
 */
static int
daemon_request(const char *path, uint8_t type, uint8_t *buf, size_t cap,
    const uint8_t **ret_body, size_t *ret_len, char *why, size_t why_cap)
{
	uint8_t want = type == MML_FRAME_STATS ? MML_FRAME_STATS_REPLY :
	    MML_FRAME_ACK;
	struct mml_error_body eb;
	struct mml_frame f;
	struct pollfd pfd;
	enum mml_wire_reason wr;
	uint64_t deadline;
	ssize_t n;
	int fd, rc, left;

	/* A daemon whose backlog is full must not hang us for ever. */
	fd = mml_sock_connect(path, SOCK_SEQPACKET, 1000);
	if (fd < 0) {
		(void)snprintf(why, why_cap, "%s", strerror(-fd));
		return fd;
	}
	mml_wire_hdr_init(buf, type, 0, 1);
	if (send(fd, buf, sizeof(struct mml_frame_hdr), MSG_NOSIGNAL) < 0) {
		rc = -errno;
		(void)snprintf(why, why_cap, "send: %s", strerror(-rc));
		goto out;
	}
	deadline = now_usec(CLOCK_MONOTONIC) / 1000 + REPLY_TIMEOUT_MS;
	for (;;) {
		left = (int)(deadline - now_usec(CLOCK_MONOTONIC) / 1000);
		if (left <= 0) {
			rc = -ETIMEDOUT;
			(void)snprintf(why, why_cap, "no reply from the daemon");
			goto out;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left) < 0 && errno != EINTR) {
			rc = -errno;
			(void)snprintf(why, why_cap, "poll: %s", strerror(-rc));
			goto out;
		}
		n = recv(fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			rc = n == 0 ? -ECONNRESET : -errno;
			(void)snprintf(why, why_cap, "%s", n == 0 ?
			    "the daemon closed the connection" :
			    strerror(-rc));
			goto out;
		}
		if ((size_t)n > cap ||
		    mml_wire_decode(buf, (size_t)n, 0, &f, &wr) < 0) {
			rc = -EBADMSG;
			(void)snprintf(why, why_cap, "bad reply: %s",
			    (size_t)n > cap ? "too large" :
			    mml_wire_reason_str(wr));
			goto out;
		}
		if (f.hdr.type == MML_FRAME_ERROR && f.hdr.id == 1) {
			memcpy(&eb, f.body, sizeof(eb));
			rc = eb.error > 0 ? -eb.error : -EPROTO;
			(void)snprintf(why, why_cap, "refused: %.*s",
			    (int)eb.text_len, (const char *)f.body +
			    sizeof(eb));
			goto out;
		}
		if (f.hdr.type == want && f.hdr.id == 1)
			break;
		/* Anything else (NOTIFY, a stray ACK) is not our answer. */
	}
	*ret_body = f.body;
	*ret_len = f.body_len;
	rc = 0;
out:
	(void)close(fd);
	return rc;
}

/* Whether stdout still works; a closed pipe ends the output quietly. */
static int
out_ok(struct show *sh)
{
	if (!ferror(stdout))
		return 1;
	if (!sh->out_failed) {
		sh->out_failed = 1;
		sh->epipe = errno == EPIPE;
		if (!sh->epipe)
			msg("writing output: %s", strerror(errno));
	}
	return 0;
}

/* The formats a person reads, which are highlighted on a terminal. */
static int
text_mode(enum mml_rd_output mode)
{
	return mode == MML_RD_O_SHORT || mode == MML_RD_O_SHORT_PRECISE ||
	    mode == MML_RD_O_SHORT_ISO || mode == MML_RD_O_CAT;
}

static int
filter_match(struct filter *f, const struct mml_rec *rec)
{
	const struct mml_rec_hdr *h = &rec->hdr;
	const char *subject;
	char *nbuf;
	const uint8_t *name;
	regmatch_t m;
	size_t i, len;

	if (h->priority < f->prio_min || h->priority > f->prio_max)
		return 0;
	if (f->have_pid && h->pid != f->pid)
		return 0;
	if (f->have_uid && h->uid != f->uid)
		return 0;
	if (f->have_since && h->realtime_usec < f->since_usec)
		return 0;
	if (f->have_until && h->realtime_usec > f->until_usec)
		return 0;
	if (f->n_tags > 0) {
		name = h->tag_len > 0 ? rec->tag : rec->comm;
		len = h->tag_len > 0 ? h->tag_len : h->comm_len;
		for (i = 0; i < f->n_tags; i++)
			if (strlen(f->tags[i]) == len &&
			    memcmp(f->tags[i], name, len) == 0)
				break;
		if (i == f->n_tags)
			return 0;
	}
	if (f->have_grep) {
		/*
		 * REG_STARTEND: the message is a byte range, not a string,
		 * and may hold NUL bytes.  It is still matched in a copy
		 * that ends in a NUL: some regexec()s (and sanitizers'
		 * wrappers of it) look for the end of the string anyway, and
		 * the record in the ring has none.
		 */
		if (h->msg_len >= f->re_cap &&
		    (nbuf = realloc(f->re_buf, (size_t)h->msg_len + 1)) !=
		    NULL) {
			f->re_buf = nbuf;
			f->re_cap = (size_t)h->msg_len + 1;
		}
		subject = (const char *)rec->msg;
		if (h->msg_len < f->re_cap) {
			memcpy(f->re_buf, rec->msg, h->msg_len);
			f->re_buf[h->msg_len] = '\0';
			subject = f->re_buf;
		}
		m.rm_so = 0;
		m.rm_eo = (regoff_t)h->msg_len;
		if (regexec(&f->re, subject, 1, &m, REG_STARTEND) != 0)
			return 0;
	}
	return 1;
}

static void
show_entry(struct show *sh, const struct mml_rec *rec)
{
	show_lost_flush(sh);
	mml_rd_fmt_entry(&sh->fmt, rec);
	if (!sh->have_last || rec->hdr.seq > sh->last_seq) {
		sh->have_last = 1;
		sh->last_seq = rec->hdr.seq;
		memcpy(sh->last_ring, sh->ring->ring_id, 16);
	}
	(void)out_ok(sh);
}

/*
 * Notes seqs [first, first + n) lost, as far as they were wanted.  Gaps
 * with no entry shown between them make one marker, printed before the
 * next entry shown or when the walk ends.
 */
static void
show_lost(struct show *sh, uint64_t first, uint64_t n)
{
	if (first < sh->want) {
		if (sh->want - first >= n)
			return;
		n -= sh->want - first;
	}
	sh->pend_lost += n;
}

static void
show_lost_flush(struct show *sh)
{
	if (sh->pend_lost == 0)
		return;
	mml_rd_fmt_lost(&sh->fmt, sh->pend_lost);
	sh->pend_lost = 0;
	(void)out_ok(sh);
}

/*
 * Reports, on stderr, seqs [first, first + n) lost to damage at off
 * (ITEM_CORRUPT; n is 0 for a damaged WRAP marker, which held no entry)
 * or skipped by the writer after an unclean shutdown (ITEM_JUMP), as far
 * as they were wanted.
 */
static void
show_gap(struct show *sh, enum item_kind kind, uint64_t first, uint64_t n,
    uint64_t off, enum mml_disk_reason why)
{
	if (first < sh->want) {
		if (n == 0 || sh->want - first >= n)
			return;
		n -= sh->want - first;
	}
	if (kind == ITEM_JUMP)
		msg("%" PRIu64 " entries lost (sequence numbers jump at offset "
		    "0x%" PRIx64 ", as the daemon noted: an unclean shutdown "
		    "lost them)", n, off);
	else if (n == 0)
		msg("damaged record at offset 0x%" PRIx64 " (%s) skipped: it "
		    "held no entry (as a WRAP marker)", off,
		    mml_disk_reason_str(why));
	else
		msg("%" PRIu64 " entries lost (corrupt record at offset 0x%"
		    PRIx64 ": %s)", n, off, mml_disk_reason_str(why));
}

/*
 * Places the iterator where the walk should begin.  The tail is always
 * right; a seek (ctl_read.c) saves reading the whole ring when only its
 * end is wanted: after a cursor, after --since, or the newest -n.
 */
static void
show_start_at(struct show *sh, const struct mml_disk_header *h)
{
	struct mml_rd_iter *it = &sh->it;
	uint64_t tail = 0;

	sh->seeked_last = 0;
	if (sh->want > 0) {
		mml_rd_iter_tail(it);
		tail = it->seq;
		if (sh->want < tail) {
			/* The cursor's successors were overwritten before
			 * we came. */
			sh->lost_first = sh->want;
			sh->lost = tail - sh->want;
			if (sh->lines < 0)
				return;
		}
	}
	if (sh->lines >= 0) {
		sh->seek_n = (uint64_t)sh->lines;
		sh->seeked_last = mml_rd_iter_seek_last(it, sh->seek_n);
		return;
	}
	if (sh->want > 0) {
		if (sh->want >= h->head_seq && h->head_seq >= tail)
			mml_rd_iter_seek(it, h->head_off, h->head_seq);
		else
			(void)mml_rd_iter_seek_key(it, 0, sh->want);
		return;
	}
	if (sh->flt.have_since) {
		(void)mml_rd_iter_seek_key(it, 1, sh->flt.since_usec);
		return;
	}
	mml_rd_iter_tail(it);
}

/*
 * The same, and a word when the ring's seek index was found damaged (the
 * seek then bisected the data instead: slower, not wrong).  With
 * MMLOGCTL_DEBUG=seek, says how each seek was answered, for the tests.
 */
static void
show_start(struct show *sh, const struct mml_disk_header *h)
{
	struct mml_rd_ring *r = sh->it.ring;
	uint64_t damaged = r->idx_damaged, seeks = r->idx_seeks;
	uint64_t partial = r->idx_partial;
	const char *dbg = getenv("MMLOGCTL_DEBUG");

	show_start_at(sh, h);
	if (r->idx_damaged > damaged && !sh->idx_warned) {
		msg("warning: the ring's seek index is damaged; searched the "
		    "ring without it (mmlogctl verify tells more)");
		sh->idx_warned = 1;
	}
	if (dbg != NULL && strstr(dbg, "seek") != NULL)
		msg("seek: %s at seq %" PRIu64, r->idx_seeks > seeks ?
		    "index" : r->idx == NULL ? "no index" :
		    r->idx_damaged > damaged ? "index damaged" :
		    r->idx_partial > partial ? "index partial" : "no seek",
		    sh->it.seq);
}

/*
 * Whether a walk from the iterator's place, which found fewer than -n
 * entries, could find more if it began further back: not if it already
 * began at or before the cursor, or before --since.
 */
static int
show_widen(struct show *sh)
{
	struct mml_rec rec;

	if (!sh->seeked_last)
		return 0;
	if (sh->want > 0 && sh->start_seq <= sh->want)
		return 0;
	if (sh->flt.have_since && mml_disk_rec_check(sh->ring->data,
	    sh->ring->capacity, sh->start_off, sh->start_seq, 0, &rec,
	    NULL) == 0 && rec.hdr.realtime_usec < sh->flt.since_usec)
		return 0;
	return 1;
}

/*
 * Whether the walk can end at this entry: it was written after --until,
 * and so, on the assumption --since's seek makes too (the clock did not
 * go back), is every entry after it.  A follower waits for entries
 * rather than ending, and only filters.
 */
static int
past_until(const struct show *sh, const struct mml_rec *rec)
{
	return sh->flt.have_until && !sh->o->follow &&
	    rec->hdr.realtime_usec > sh->flt.until_usec;
}

/* Prints every matching entry as the walk finds it. */
static int
show_stream(struct show *sh)
{
	struct mml_rec rec;
	int step;

	if (sh->lost > 0) {
		show_lost(sh, sh->lost_first, sh->lost);
		sh->lost = 0;
	}
	while (!stop_flag && !sh->out_failed) {
		step = mml_rd_iter_next(&sh->it, &rec);
		switch (step) {
		case MML_RD_END:
			show_lost_flush(sh);
			return 0;
		case MML_RD_ENTRY:
			if (past_until(sh, &rec)) {
				show_lost_flush(sh);
				return 0;
			}
			if (rec.hdr.seq >= sh->want &&
			    filter_match(&sh->flt, &rec))
				show_entry(sh, &rec);
			break;
		case MML_RD_LOST:
			show_lost(sh, sh->it.gap_seq, sh->it.gap);
			break;
		case MML_RD_CORRUPT:
		case MML_RD_JUMP:
			show_gap(sh, step == MML_RD_JUMP ? ITEM_JUMP :
			    ITEM_CORRUPT, sh->it.gap_seq, sh->it.gap,
			    sh->it.gap_off, sh->it.gap_reason);
			break;
		default:
			msg("%s", strerror(-step));
			return -1;
		}
	}
	show_lost_flush(sh);
	return 0;
}

static int
items_push(struct items *w, const struct item *x)
{
	struct item *nv;
	size_t ncap;

	if (w->start + w->len == w->cap) {
		if (w->start > 0 && w->start >= w->len) {
			memmove(w->v, w->v + w->start, w->len * sizeof(*w->v));
			w->start = 0;
		} else {
			ncap = w->cap ? w->cap * 2 : 256;
			nv = reallocarray(w->v, ncap, sizeof(*w->v));
			if (nv == NULL)
				return -ENOMEM;
			w->v = nv;
			w->cap = ncap;
		}
	}
	w->v[w->start + w->len++] = *x;
	if (x->kind == ITEM_ENTRY)
		w->n_entries++;
	return 0;
}

/*
 * Keeps the newest `limit` entries, and the loss markers among them; a
 * marker before the oldest kept entry matters only while fewer than
 * `limit` entries are kept, since the lost ones could have been shown.
 */
static void
items_trim(struct items *w, int64_t limit)
{
	struct item *x;

	if (limit < 0)
		return;
	while (w->len > 0) {
		x = &w->v[w->start];
		if (x->kind == ITEM_ENTRY) {
			if (w->n_entries <= (uint64_t)limit)
				break;
			w->n_entries--;
		} else if (w->n_entries < (uint64_t)limit)
			break;
		w->start++;
		w->len--;
	}
}

/*
 * -n and -r: a walk that checks each record's CRC in place remembers
 * where the whole entries are, and the gaps between them, then each
 * wanted entry is copied, checked again and printed; one overwritten in
 * between is reported as lost.  Damaged entries are found by the walk,
 * so they never count among the newest -n.
 */
static int
show_collect(struct show *sh)
{
	struct items w;
	struct item x, *y;
	struct mml_rec rec;
	size_t i, k;
	int step, rc = -1;

	memset(&w, 0, sizeof(w));
again:
	sh->start_off = sh->it.off;
	sh->start_seq = sh->it.seq;
	if (sh->lost > 0) {
		memset(&x, 0, sizeof(x));
		x.kind = ITEM_LOST;
		x.seq = sh->lost_first;
		x.n = sh->lost;
		if (items_push(&w, &x) < 0) {
			msg("%s", strerror(ENOMEM));
			goto out;
		}
		items_trim(&w, sh->lines);
	}
	while (!stop_flag) {
		step = mml_rd_iter_next(&sh->it, &rec);
		if (step == MML_RD_END ||
		    (step == MML_RD_ENTRY && past_until(sh, &rec)))
			break;
		memset(&x, 0, sizeof(x));
		switch (step) {
		case MML_RD_ENTRY:
			if (rec.hdr.seq < sh->want ||
			    !filter_match(&sh->flt, &rec))
				continue;
			x.kind = ITEM_ENTRY;
			x.off = rec.off;
			x.seq = rec.hdr.seq;
			break;
		case MML_RD_LOST:
		case MML_RD_CORRUPT:
		case MML_RD_JUMP:
			x.kind = step == MML_RD_LOST ? ITEM_LOST :
			    step == MML_RD_JUMP ? ITEM_JUMP : ITEM_CORRUPT;
			x.why = sh->it.gap_reason;
			x.off = sh->it.gap_off;
			x.seq = sh->it.gap_seq;
			x.n = sh->it.gap;
			break;
		default:
			msg("%s", strerror(-step));
			goto out;
		}
		if (items_push(&w, &x) < 0) {
			msg("%s", strerror(ENOMEM));
			goto out;
		}
		items_trim(&w, sh->lines);
	}
	/*
	 * Placed near the end for the newest -n, but the selection found
	 * fewer: start further back, until we start at the tail.
	 */
	if (w.n_entries < (uint64_t)sh->lines && !stop_flag &&
	    show_widen(sh)) {
		w.start = w.len = 0;
		w.n_entries = 0;
		sh->seek_n = sh->seek_n > UINT64_MAX / 8 ? UINT64_MAX :
		    sh->seek_n * 8;
		sh->seeked_last = mml_rd_iter_seek_last(&sh->it, sh->seek_n);
		goto again;
	}
	sh->lost = 0;
	for (k = 0; k < w.len && !stop_flag && !sh->out_failed; k++) {
		i = sh->o->reverse ? w.start + w.len - 1 - k : w.start + k;
		y = &w.v[i];
		if (y->kind == ITEM_LOST) {
			show_lost(sh, y->seq, y->n);
			continue;
		}
		if (y->kind != ITEM_ENTRY) {
			show_gap(sh, y->kind, y->seq, y->n, y->off, y->why);
			continue;
		}
		step = mml_rd_iter_read_at(&sh->it, y->off, y->seq, &rec);
		if (step == MML_RD_LOST) {
			show_lost(sh, y->seq, 1);
			continue;
		}
		if (step == MML_RD_ENTRY) {
			if (filter_match(&sh->flt, &rec))
				show_entry(sh, &rec);
		} else if (step == -EBADMSG) {
			/* Damaged since the walk checked it. */
			show_gap(sh, ITEM_CORRUPT, y->seq, 1, y->off,
			    sh->it.gap_reason);
		} else {
			msg("%s", strerror(-step));
			goto out;
		}
	}
	show_lost_flush(sh);
	rc = 0;
out:
	free(w.v);
	return rc;
}

/*
 * Drains the socket.  Every frame only says "look again", so its
 * content matters little; returns 0 while the connection is good, -1
 * once it is gone (*refused set if the daemon refused to notify us).
 */
static int
follow_read(int *fd, int *refused)
{
	char why[256];
	int r;

	r = mml_rd_notify_drain(*fd, why, sizeof(why));
	if (r == 0)
		return 0;
	if (r == -EPERM) {
		msg("the daemon refused to notify us (%s); polling the ring "
		    "instead", why);
		*refused = 1;
	}
	(void)close(*fd);
	*fd = -1;
	return -1;
}

/*
 * The file at the path is another one now, or our mapping no longer
 * holds a ring.  Finish the old ring (its mapping stays valid if the
 * file was replaced), then follow the new one from its tail.  Returns 1
 * if switched, 0 if not (yet).
 */
static int
follow_reopen(struct show *sh)
{
	struct mml_rd_ring *nr;
	enum mml_disk_reason why;
	struct mml_disk_header h;
	uint64_t next;
	int same;

	if (mml_rd_ring_open(sh->ring->path, &nr, &why) < 0)
		return 0;
	(void)show_stream(sh);
	next = sh->it.seq;
	same = memcmp(nr->ring_id, sh->ring->ring_id, 16) == 0;
	mml_rd_iter_done(&sh->it);
	(void)mml_rd_ring_free(sh->ring);
	sh->ring = nr;
	mml_rd_iter_init(&sh->it, nr, MML_RD_COPY);
	mml_rd_ring_header(nr, &h);
	mml_rd_fmt_init(&sh->fmt, stdout, sh->mode, &h);
	if (same) {
		/* The same ring, remapped: go on from the next seq. */
		sh->want = next;
		show_start(sh, &h);
		return 1;
	}
	msg("%s: the ring was re-created; following the new one",
	    nr->path);
	sh->want = 0;
	mml_rd_iter_tail(&sh->it);
	return 1;
}

static void
stop_handler(int sig)
{
	int e = errno;
	ssize_t n;

	(void)sig;
	stop_flag = 1;
	/* A full pipe already holds a wake-up (n is only for fortify). */
	if (stop_pipe[1] >= 0) {
		n = write(stop_pipe[1], "", 1);
		(void)n;
	}
	errno = e;
}

/* Adds an inotify watch on the directory of path; returns 0 or -errno. */
static int
watch_dir_of(int ino, const char *path)
{
	char *copy, *slash;
	int rc = 0;

	copy = strdup(path);
	if (copy == NULL)
		return -ENOMEM;
	slash = strrchr(copy, '/');
	if (slash == NULL)
		(void)strcpy(copy, ".");
	else if (slash == copy)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (inotify_add_watch(ino, copy, IN_CREATE | IN_MOVED_TO) < 0)
		rc = -errno;
	free(copy);
	return rc;
}

/*
 * An inotify descriptor that wakes the follower when the socket or the
 * ring file appears in its directory: a daemon that comes back binds its
 * socket anew, and we connect at once instead of at the next retry.
 * Returns the descriptor, or -1 if there is none (the timers do then).
 */
static int
follow_watch(const struct show *sh)
{
	int ino;

	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino < 0)
		return -1;
	if (watch_dir_of(ino, sh->o->socket) < 0 &&
	    watch_dir_of(ino, sh->ring->path) < 0) {
		(void)close(ino);
		return -1;
	}
	(void)watch_dir_of(ino, sh->ring->path);
	return ino;
}

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/*
 * Drains the inotify descriptor; returns 2 if the socket appeared (or
 * events were lost), 1 if only the ring file did, 0 if neither.
 */
static int
follow_watch_read(int ino, const struct show *sh)
{
	char buf[4096] __attribute__((aligned(__alignof__(
	    struct inotify_event))));
	const struct inotify_event *ev;
	const char *sock = base_name(sh->o->socket);
	const char *ring = base_name(sh->ring->path);
	ssize_t n, i;
	int hit = 0;

	while ((n = read(ino, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i += (ssize_t)sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(buf + i);
			if ((ev->mask & IN_Q_OVERFLOW) || (ev->len > 0 &&
			    strcmp(ev->name, sock) == 0))
				hit = 2;
			else if (ev->len > 0 && strcmp(ev->name, ring) == 0 &&
			    hit == 0)
				hit = 1;
		}
	}
	return hit;
}

/*
 * Follows the ring: after each NOTIFY from the daemon, or every second
 * anyway, the walk goes on from where it stopped.  Without the daemon
 * the ring is polled every 250 ms and the socket retried every second,
 * and at once when its directory says a socket (or ring) of that name
 * appeared, as when the daemon restarts.
 */
static int
follow(struct show *sh)
{
	struct pollfd pfd[4];
	uint64_t now, next_connect = 0;
	int fd = -1, ino, refused = 0, rc = 0, quick = 0, tmo;

	sh->it.mode = MML_RD_COPY;
	/* -n chose the first entries; from now on every entry counts. */
	sh->lines = -1;
	ino = follow_watch(sh);
	while (!stop_flag && !sh->out_failed) {
		if (show_stream(sh) < 0) {
			rc = -1;
			break;
		}
		if (fflush(stdout) != 0 || !out_ok(sh))
			break;
		if (mml_rd_sigbus_hit() || mml_rd_ring_replaced(sh->ring)) {
			if (follow_reopen(sh))
				continue;
		}
		now = now_usec(CLOCK_MONOTONIC) / 1000;
		if (fd < 0 && !refused && now >= next_connect) {
			fd = mml_rd_subscribe(sh->o->socket, 2);
			if (fd >= 0)
				quick = 0;
			next_connect = now + RECONNECT_MS;
			/* Just bound, perhaps not yet listening: soon again. */
			if (quick > 0) {
				quick--;
				next_connect = now + RECONNECT_QUICK_MS;
			}
		}
		if (fd >= 0)
			tmo = POLL_NOTIFY_MS;
		else if (!refused && next_connect > now &&
		    next_connect - now < POLL_NOSOCKET_MS)
			tmo = (int)(next_connect - now);
		else
			tmo = POLL_NOSOCKET_MS;
		/* A signal after the check above still ends the wait. */
		pfd[0].fd = stop_pipe[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = fd;
		pfd[1].events = POLLIN;
		/* A pipe whose reader went away shows POLLERR: stop then,
		 * not at the next entry, which may be long in coming. */
		pfd[2].fd = STDOUT_FILENO;
		pfd[2].events = 0;
		pfd[3].fd = ino;
		pfd[3].events = POLLIN;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		pfd[3].revents = 0;
		if (poll(pfd, 4, tmo) < 0 && errno != EINTR) {
			msg("poll: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (pfd[2].revents & (POLLERR | POLLHUP)) {
			sh->out_failed = 1;
			sh->epipe = 1;
			break;
		}
		if (pfd[2].revents & POLLNVAL) {
			msg("writing output: %s", strerror(EBADF));
			sh->out_failed = 1;
			break;
		}
		/* A new ring is looked at by the next turn of the loop. */
		if (ino >= 0 && pfd[3].revents != 0 &&
		    follow_watch_read(ino, sh) == 2 && fd < 0) {
			next_connect = 0;
			quick = RECONNECT_QUICK;
			refused = 0;
		}
		if (fd >= 0 && pfd[1].revents != 0 &&
		    follow_read(&fd, &refused) < 0)
			next_connect = now_usec(CLOCK_MONOTONIC) / 1000 +
			    RECONNECT_MS;
	}
	if (fd >= 0)
		(void)close(fd);
	if (ino >= 0)
		(void)close(ino);
	return rc;
}

/*
 * Reads a cursor file into buf.  Returns 1 if it held a cursor, 0 if
 * it does not exist, -1 after reporting an error.
 */
static int
cursor_file_read(const char *path, char *buf, size_t cap)
{
	ssize_t n;
	size_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		msg("%s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, cap - 1);
	if (n < 0) {
		msg("%s: %s", path, strerror(errno));
		(void)close(fd);
		return -1;
	}
	(void)close(fd);
	len = (size_t)n;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' ||
	    buf[len - 1] == '\r' || buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	/* An empty file (created by hand, say) means "from the start". */
	return len > 0;
}

/*
 * Replaces the cursor file atomically and durably: a temporary file,
 * synced, renamed over it, and the directory synced.
 */
static int
cursor_file_write(const char *path, const char *cursor)
{
	char *text = NULL;
	int r;

	if (asprintf(&text, "%s\n", cursor) < 0) {
		msg("%s", strerror(ENOMEM));
		return -1;
	}
	r = mml_rd_write_atomic(path, text, 0600, 1);
	free(text);
	if (r < 0) {
		msg("%s: %s", path, strerror(-r));
		return -1;
	}
	return 0;
}

static int
cmd_show(const struct opts *o)
{
	struct show sh;
	struct mml_disk_header h;
	uint8_t cid[16];
	uint64_t cseq;
	char cursor[256], cur[MML_RD_CURSOR_MAX], idhex[33];
	const char *cursor_text = NULL;
	int rc, mode = MML_RD_O_SHORT, have_cursor = 0, status = EXIT_FAILURE;

	memset(&sh, 0, sizeof(sh));
	sh.o = o;
	sh.lines = -1;
	sh.flt.prio_max = 7;
	/* Every argument is checked before the file is opened. */
	if (o->output != NULL && (mode = mml_rd_output_parse(o->output)) < 0)
		return usage_error("unknown output format '%s' (short, "
		    "short-precise, short-iso, json, json-pretty, export, cat, "
		    "raw)", o->output);
	sh.mode = (enum mml_rd_output)mode;
	if (sh.mode == MML_RD_O_RAW && o->show_cursor)
		return usage_error("--show-cursor would put text among the "
		    "records of -o raw");
	if (sh.mode == MML_RD_O_RAW && isatty(STDOUT_FILENO)) {
		msg("-o raw writes binary records: send them to a file or a "
		    "pipe, not to a terminal");
		return EXIT_FAILURE;
	}
	if (o->lines != NULL && strcmp(o->lines, "all") != 0) {
		if (parse_u64(o->lines, &cseq) < 0 || cseq > INT64_MAX)
			return usage_error("invalid number of lines '%s'",
			    o->lines);
		sh.lines = (int64_t)cseq;
	}
	if (o->prio != NULL && parse_prio_range(o->prio, &sh.flt.prio_min,
	    &sh.flt.prio_max) < 0)
		return usage_error("invalid priority '%s' (emerg, alert, "
		    "crit, err, warning, notice, info, debug, 0-7, or a range "
		    "such as err..warning)", o->prio);
	sh.flt.tags = o->tags;
	sh.flt.n_tags = o->n_tags;
	if (o->pid != NULL) {
		if (parse_u32(o->pid, &sh.flt.pid) < 0)
			return usage_error("invalid pid '%s'", o->pid);
		sh.flt.have_pid = 1;
	}
	if (o->uid != NULL) {
		if (parse_u32(o->uid, &sh.flt.uid) < 0)
			return usage_error("invalid uid '%s'", o->uid);
		sh.flt.have_uid = 1;
	}
	if (o->since != NULL) {
		if (parse_time(o->since, &sh.flt.since_usec) < 0)
			return usage_error("invalid time '%s'", o->since);
		sh.flt.have_since = 1;
	}
	if (o->until != NULL) {
		if (parse_time(o->until, &sh.flt.until_usec) < 0)
			return usage_error("invalid time '%s'", o->until);
		sh.flt.have_until = 1;
	}
	if (o->reverse && o->follow)
		return usage_error("--reverse and --follow do not go "
		    "together");
	if (o->after_cursor != NULL && o->cursor_file != NULL)
		return usage_error("--after-cursor and --cursor-file do not go "
		    "together");
	if (o->after_cursor != NULL) {
		if (mml_rd_cursor_parse(o->after_cursor, cid, &cseq) < 0)
			return usage_error("invalid cursor '%s' (expected "
			    "s=<ring id>;i=<seq>)", o->after_cursor);
		have_cursor = 1;
		cursor_text = o->after_cursor;
	}
	if (o->grep != NULL) {
		rc = regcomp(&sh.flt.re, o->grep, REG_EXTENDED | REG_NOSUB |
		    (pattern_has_upper(o->grep) ? 0 : REG_ICASE));
		if (rc != 0) {
			regerror(rc, &sh.flt.re, cursor, sizeof(cursor));
			return usage_error("invalid pattern '%s': %s", o->grep,
			    cursor);
		}
		sh.flt.have_grep = 1;
	}
	if (o->cursor_file != NULL) {
		rc = cursor_file_read(o->cursor_file, cursor, sizeof(cursor));
		if (rc < 0)
			goto out;
		if (rc > 0) {
			if (mml_rd_cursor_parse(cursor, cid, &cseq) < 0) {
				msg("%s: not a valid cursor", o->cursor_file);
				goto out;
			}
			have_cursor = 1;
			cursor_text = cursor;
		}
	}
	if (o->follow && sh.lines < 0 && !have_cursor && o->since == NULL)
		sh.lines = FOLLOW_LINES;

	sh.ring = open_ring(o->file);
	if (sh.ring == NULL)
		goto out;
	mml_rd_ring_header(sh.ring, &h);
	if (have_cursor) {
		if (memcmp(cid, sh.ring->ring_id, 16) != 0) {
			mml_rd_hex128(idhex, sh.ring->ring_id);
			msg("cursor '%s' is from another ring (this one is "
			    "s=%s)", cursor_text, idhex);
			goto out;
		}
		sh.want = cseq == UINT64_MAX ? cseq : cseq + 1;
	}
	mml_rd_fmt_init(&sh.fmt, stdout, sh.mode, &h);
	sh.fmt.color = text_mode(sh.mode) && mml_ctl_color_wanted(STDOUT_FILENO);
	if (!o->follow && !(o->seen & BIT(OPT_NO_PAGER)) &&
	    (rc = mml_ctl_pager_open()) < 0)
		msg("cannot start a pager (%s); writing to the terminal",
		    strerror(-rc));
	mml_rd_iter_init(&sh.it, sh.ring, sh.lines >= 0 || o->reverse ?
	    MML_RD_CHECK : MML_RD_COPY);
	if (o->follow) {
		struct sigaction sa;

		if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
			msg("pipe: %s", strerror(errno));
			goto out;
		}
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = stop_handler;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGINT, &sa, NULL);
		(void)sigaction(SIGTERM, &sa, NULL);
	}
	show_start(&sh, &h);
	if (sh.lines >= 0 || o->reverse)
		rc = show_collect(&sh);
	else
		rc = show_stream(&sh);
	if (rc == 0 && o->follow && !sh.out_failed)
		rc = follow(&sh);
	if (rc < 0)
		goto out;
	if (fflush(stdout) != 0)
		(void)out_ok(&sh);
	if (sh.out_failed && !sh.epipe)
		goto out;
	if (sh.have_last) {
		mml_rd_cursor_format(cur, sh.last_ring, sh.last_seq);
		if (o->cursor_file != NULL &&
		    cursor_file_write(o->cursor_file, cur) < 0)
			goto out;
		if (o->show_cursor && !sh.out_failed)
			printf("-- cursor: %s\n", cur);
	}
	status = EXIT_SUCCESS;
out:
	mml_ctl_pager_close();
	if (sh.flt.have_grep)
		regfree(&sh.flt.re);
	free(sh.flt.re_buf);
	mml_rd_iter_done(&sh.it);
	(void)mml_rd_ring_free(sh.ring);
	return status;
}

static int
cmd_write(const struct opts *o)
{
	struct mmlog_client *c = NULL;
	struct mmlog_field *fields = NULL;
	const char *tag, *eq, *env;
	char *line = NULL, *joined = NULL, **keys = NULL;
	size_t i, n, cap = 0, len;
	ssize_t got;
	uint64_t seq;
	int prio = MMLOG_NOTICE, rc, status = EXIT_FAILURE;

	if (o->prio != NULL && (prio = mmlog_priority_from_string(o->prio)) < 0)
		return usage_error("invalid priority '%s' (emerg, alert, crit, "
		    "err, warning, notice, info, debug or 0-7)", o->prio);
	if (o->n_tags > 1)
		return usage_error("write takes one tag");
	env = getenv("USER");
	tag = o->n_tags == 1 ? o->tags[0] : env != NULL && *env != '\0' &&
	    strlen(env) <= MML_TAG_MAX ? env : "mmlogctl";
	if (strlen(tag) > MML_TAG_MAX)
		return usage_error("tag longer than %d bytes", MML_TAG_MAX);
	fields = calloc(o->n_fields + 1, sizeof(*fields));
	keys = calloc(o->n_fields + 1, sizeof(*keys));
	if (fields == NULL || keys == NULL) {
		msg("%s", strerror(ENOMEM));
		goto out;
	}
	for (i = 0; i < o->n_fields; i++) {
		eq = strchr(o->fields[i], '=');
		if (eq == NULL || !mml_field_key_valid((const uint8_t *)
		    o->fields[i], (size_t)(eq - o->fields[i]))) {
			status = usage_error("invalid field '%s' (KEY=VALUE; "
			    "KEY of A-Z, 0-9 and _, not starting with _ or a "
			    "digit, at most 64 bytes, and not MESSAGE, "
			    "PRIORITY, SYSLOG_IDENTIFIER or SYSLOG_PID)",
			    o->fields[i]);
			goto out;
		}
		keys[i] = strndup(o->fields[i], (size_t)(eq - o->fields[i]));
		if (keys[i] == NULL) {
			msg("%s", strerror(ENOMEM));
			goto out;
		}
		fields[i].key = keys[i];
		fields[i].value = eq + 1;
		fields[i].value_len = strlen(eq + 1);
	}
	rc = mmlog_open(o->socket, tag, 0, &c);
	if (rc < 0) {
		msg("%s: %s%s", o->socket, strerror(-rc), rc == -ENOENT ||
		    rc == -ECONNREFUSED ? " (is mmlogd running? use --socket)" :
		    "");
		goto out;
	}
	if (o->n_args > 0) {
		for (len = 0, i = 0; i < o->n_args; i++)
			len += strlen(o->args[i]) + 1;
		joined = malloc(len);
		if (joined == NULL) {
			msg("%s", strerror(ENOMEM));
			goto out;
		}
		for (n = 0, i = 0; i < o->n_args; i++) {
			if (i > 0)
				joined[n++] = ' ';
			len = strlen(o->args[i]);
			memcpy(joined + n, o->args[i], len);
			n += len;
		}
		rc = mmlog_writev(c, prio, NULL, joined, n, fields,
		    o->n_fields, 0);
		if (rc < 0) {
			msg("write: %s", strerror(-rc));
			goto out;
		}
	} else {
		/* One entry per line of stdin, as logger(1) does. */
		while ((got = getline(&line, &cap, stdin)) >= 0) {
			n = (size_t)got;
			if (n > 0 && line[n - 1] == '\n')
				n--;
			rc = mmlog_writev(c, prio, NULL, line, n, fields,
			    o->n_fields, 0);
			if (rc < 0) {
				msg("write: %s", strerror(-rc));
				goto out;
			}
		}
		if (ferror(stdin)) {
			msg("reading stdin: %s", strerror(errno));
			goto out;
		}
	}
	if (o->sync) {
		rc = mmlog_sync(c, &seq);
		if (rc < 0) {
			msg("sync: %s", strerror(-rc));
			goto out;
		}
		printf("durable up to seq %" PRIu64 "\n", seq);
		if (fflush(stdout) != 0) {
			msg("writing output: %s", strerror(errno));
			goto out;
		}
	}
	status = EXIT_SUCCESS;
out:
	c = mmlog_close(c);
	if (keys != NULL)
		for (i = 0; i < o->n_fields; i++)
			free(keys[i]);
	free(keys);
	free(fields);
	free(joined);
	free(line);
	return status;
}

/* Human-readable size. */
static void
size_str(char *buf, size_t cap, uint64_t v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB",
	    "TiB" };
	double d = (double)v;
	size_t u = 0;

	while (d >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		(void)snprintf(buf, cap, "%" PRIu64 " B", v);
	else
		(void)snprintf(buf, cap, "%.1f %s", d, units[u]);
}

/* Bytes from the tail to the head, round the ring. */
static uint64_t
used_bytes(const struct mml_disk_header *h)
{
	if (h->tail_off < h->head_off)
		return h->head_off - h->tail_off;
	if (h->tail_off > h->head_off)
		return h->capacity - h->tail_off + h->head_off;
	return h->tail_seq == h->head_seq ? 0 : h->capacity;
}

/* A status line: label, then the value printf'd. */
static void
status_line(const char *label, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
status_line(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("%-14s ", label);
	va_start(ap, fmt);
	(void)vprintf(fmt, ap);
	va_end(ap);
	(void)putchar('\n');
}

/* Writes a "key=value\n" body as JSON members or indented lines. */
static void
stats_print(const uint8_t *body, size_t len, int json)
{
	const uint8_t *p = body, *end = body + len, *nl, *eq;
	size_t i;
	int first = 1, numeric;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		eq = memchr(p, '=', (size_t)(nl - p));
		if (eq == NULL || eq == p) {
			p = nl + 1;
			continue;
		}
		if (!json) {
			(void)fputs("  ", stdout);
			mml_rd_put_escaped(stdout, p, (size_t)(eq - p));
			(void)fputs(": ", stdout);
			mml_rd_put_escaped(stdout, eq + 1,
			    (size_t)(nl - eq - 1));
			(void)putchar('\n');
		} else {
			numeric = nl - eq - 1 > 0 && nl - eq - 1 <= 18;
			for (i = 1; numeric && eq + i < nl; i++)
				numeric = eq[i] >= '0' && eq[i] <= '9';
			if (!first)
				(void)putchar(',');
			first = 0;
			mml_rd_put_json(stdout, p, (size_t)(eq - p));
			(void)putchar(':');
			if (numeric)
				(void)fwrite(eq + 1, 1, (size_t)(nl - eq - 1),
				    stdout);
			else
				mml_rd_put_json(stdout, eq + 1,
				    (size_t)(nl - eq - 1));
		}
		p = nl + 1;
	}
}

static void
json_rec(const char *name, int have, uint64_t seq, uint64_t usec)
{
	printf(",\"%s\":", name);
	if (have)
		printf("{\"seq\":%" PRIu64 ",\"realtime_usec\":%" PRIu64 "}",
		    seq, usec);
	else
		(void)fputs("null", stdout);
}

/*
 * Entries per second written in the last minute, or since the oldest
 * entry if the ring holds less: the seqs from the first entry of the
 * window to the head, found by the seek on time, so that a busy ring
 * costs no more than an idle one.  Returns the window in seconds, with
 * the rate in *ret_rate, or 0 if there is no window (an empty ring, or
 * nothing written in the last minute gives a rate of 0 over 60 s).
 */
static double
recent_rate(struct mml_rd_ring *r, const struct mml_disk_header *h,
    int have_oldest, uint64_t oldest_usec, double *ret_rate)
{
	struct mml_rd_iter it;
	struct mml_rec rec;
	uint64_t now = now_usec(CLOCK_REALTIME), from, first = h->head_seq;
	int step;

	if (!have_oldest || oldest_usec >= now)
		return 0;
	from = now - oldest_usec < RATE_WINDOW_USEC ? oldest_usec :
	    now - RATE_WINDOW_USEC;
	mml_rd_iter_init(&it, r, MML_RD_QUICK);
	(void)mml_rd_iter_seek_key(&it, 1, from);
	while ((step = mml_rd_iter_next(&it, &rec)) != MML_RD_END) {
		if (step < 0)
			break;
		if (step == MML_RD_ENTRY && rec.hdr.realtime_usec >= from) {
			first = rec.hdr.seq;
			break;
		}
	}
	mml_rd_iter_done(&it);
	if (first > h->head_seq)
		first = h->head_seq;
	*ret_rate = (double)(h->head_seq - first) * 1e6 / (double)(now - from);
	return (double)(now - from) / 1e6;
}

static int
cmd_status(const struct opts *o)
{
	static uint8_t buf[MML_FRAME_MAX];
	struct mml_rd_ring *r = NULL;
	struct mml_rd_iter it;
	struct mml_disk_header h;
	struct mml_rec rec;
	const uint8_t *body = NULL;
	uint64_t newest_off = 0, newest_seq = 0, used, oldest_usec = 0,
	    newest_usec = 0, entries;
	size_t body_len = 0;
	char s1[64], s2[64], t1[64], id[33], why[256];
	double rate = 0, rate_s;
	int json = 0, have_newest = 0, have_oldest = 0, step, drc;

	if (o->output != NULL) {
		if (strcmp(o->output, "json") == 0)
			json = 1;
		else if (strcmp(o->output, "short") != 0)
			return usage_error("status knows -o json only");
	}
	memset(&it, 0, sizeof(it));
	r = open_ring(o->file);
	if (r == NULL)
		return EXIT_FAILURE;
	/* Walk to the newest entry: the ring keeps no pointer to it. */
	mml_rd_iter_init(&it, r, MML_RD_QUICK);
	(void)mml_rd_iter_seek_last(&it, 1);
	while ((step = mml_rd_iter_next(&it, &rec)) != MML_RD_END) {
		if (step < 0)
			break;
		if (step == MML_RD_ENTRY) {
			have_newest = 1;
			newest_off = rec.off;
			newest_seq = rec.hdr.seq;
		}
	}
	mml_rd_ring_header(r, &h);
	if (have_newest && mml_rd_iter_read_at(&it, newest_off, newest_seq,
	    &rec) == MML_RD_ENTRY)
		newest_usec = rec.hdr.realtime_usec;
	else
		have_newest = 0;
	if (h.tail_seq < h.head_seq && mml_rd_iter_read_at(&it, h.tail_off,
	    h.tail_seq, &rec) == MML_RD_ENTRY) {
		have_oldest = 1;
		oldest_usec = rec.hdr.realtime_usec;
	}
	rate_s = recent_rate(r, &h, have_oldest, oldest_usec, &rate);
	used = used_bytes(&h);
	entries = h.head_seq >= h.tail_seq ? h.head_seq - h.tail_seq : 0;
	drc = daemon_stats(o->socket, buf, sizeof(buf), &body, &body_len, why,
	    sizeof(why));

	mml_rd_hex128(id, h.ring_id);
	if (json) {
		(void)fputs("{\"path\":", stdout);
		mml_rd_put_json_str(stdout, r->path);
		printf(",\"ring_id\":\"%s\",\"version\":%" PRIu32
		    ",\"header_size\":%" PRIu32 ",\"compat_flags\":%" PRIu32
		    ",\"incompat_flags\":%" PRIu32 ",\"created_usec\":%" PRIu64
		    ",\"capacity\":%" PRIu64 ",\"used_bytes\":%" PRIu64
		    ",\"entries\":%" PRIu64 ",\"tail_seq\":%" PRIu64
		    ",\"tail_off\":%" PRIu64 ",\"head_seq\":%" PRIu64
		    ",\"head_off\":%" PRIu64, id, h.version, h.header_size,
		    h.compat_flags, h.incompat_flags, h.created_usec,
		    h.capacity, used, entries, h.tail_seq, h.tail_off,
		    h.head_seq, h.head_off);
		json_rec("oldest", have_oldest, h.tail_seq, oldest_usec);
		json_rec("newest", have_newest, newest_seq, newest_usec);
		if (rate_s > 0)
			printf(",\"rate\":{\"entries_per_s\":%.1f,\"window_s\":"
			    "%.1f}", rate, rate_s);
		else
			(void)fputs(",\"rate\":null", stdout);
		printf(",\"chain_end_seq\":%" PRIu64 ",\"durable_seq\":%" PRIu64
		    ",\"durable_off\":%" PRIu64 ",\"durable_usec\":%" PRIu64
		    ",\"state\":\"%s\",\"boot_id\":", it.seq, h.durable_seq,
		    h.durable_off, h.durable_usec,
		    h.state == MML_STATE_CLEAN ? "clean" : "dirty");
		mml_rd_hex128(s1, h.boot_id);
		printf("\"%s\",\"seq_limit\":%" PRIu64 ",\"entries_written\":%"
		    PRIu64 ",\"entries_overwritten\":%" PRIu64 ",\"wraps\":%"
		    PRIu64 ",\"bytes_written\":%" PRIu64 ",\"opens\":%" PRIu64
		    ",\"dirty_opens\":%" PRIu64 ",\"daemon\":{\"socket\":", s1,
		    h.seq_limit, h.entries_written, h.entries_overwritten,
		    h.wraps, h.bytes_written, h.opens, h.dirty_opens);
		mml_rd_put_json_str(stdout, o->socket);
		if (drc == 0) {
			(void)fputs(",\"reachable\":true,\"stats\":{", stdout);
			stats_print(body, body_len, 1);
			(void)fputs("}}}\n", stdout);
		} else {
			(void)fputs(",\"reachable\":false,\"error\":", stdout);
			mml_rd_put_json_str(stdout, why);
			(void)fputs("}}\n", stdout);
		}
		goto done;
	}
	(void)fputs("path:          ", stdout);
	mml_rd_put_escaped(stdout, (const uint8_t *)r->path, strlen(r->path));
	(void)putchar('\n');
	status_line("ring id:", "%s", id);
	status_line("format:", "version %" PRIu32 ", header %" PRIu32
	    " bytes, compat 0x%" PRIx32 ", incompat 0x%" PRIx32, h.version,
	    h.header_size, h.compat_flags, h.incompat_flags);
	mml_rd_time_iso(t1, sizeof(t1), h.created_usec);
	status_line("created:", "%s", t1);
	size_str(s1, sizeof(s1), h.capacity);
	status_line("capacity:", "%" PRIu64 " bytes (%s)", h.capacity, s1);
	size_str(s2, sizeof(s2), used);
	status_line("used:", "%" PRIu64 " bytes (%s, %.1f%%)", used, s2,
	    h.capacity ? 100.0 * (double)used / (double)h.capacity : 0.0);
	if (entries == 0)
		status_line("entries:", "0 (next seq %" PRIu64 ")", h.head_seq);
	else
		status_line("entries:", "%" PRIu64 " (seq %" PRIu64 "..%" PRIu64
		    ")", entries, h.tail_seq, h.head_seq - 1);
	if (have_oldest) {
		mml_rd_time_iso(t1, sizeof(t1), oldest_usec);
		status_line("oldest:", "seq %" PRIu64 " at %s", h.tail_seq, t1);
	}
	if (have_newest) {
		mml_rd_time_iso(t1, sizeof(t1), newest_usec);
		status_line("newest:", "seq %" PRIu64 " at %s", newest_seq, t1);
	}
	if (rate_s > 0)
		status_line("rate:", "%.1f entries/s over the last %.0f s",
		    rate, rate_s);
	if (it.seq != h.head_seq)
		status_line("chain:", "records end before seq %" PRIu64
		    ", the header's head is seq %" PRIu64 " (run mmlogctl "
		    "verify)", it.seq, h.head_seq);
	if (h.durable_seq == 0)
		status_line("durable:", "none yet (offset 0x%" PRIx64 ")",
		    h.durable_off);
	else {
		mml_rd_time_iso(t1, sizeof(t1), h.durable_usec);
		status_line("durable:", "up to seq %" PRIu64 " (offset 0x%"
		    PRIx64 "), synced %s", h.durable_seq, h.durable_off, t1);
	}
	status_line("state:", "%s", h.state == MML_STATE_CLEAN ?
	    "clean (closed in order)" :
	    "dirty (a daemon has it open, or one crashed)");
	mml_rd_hex128(s1, h.boot_id);
	status_line("boot id:", "%s (of the last writer)", s1);
	status_line("seq limit:", "%" PRIu64, h.seq_limit);
	size_str(s1, sizeof(s1), h.bytes_written);
	status_line("written:", "%" PRIu64 " entries, %" PRIu64 " bytes (%s)",
	    h.entries_written, h.bytes_written, s1);
	status_line("overwritten:", "%" PRIu64 " entries",
	    h.entries_overwritten);
	status_line("wraps:", "%" PRIu64, h.wraps);
	status_line("opens:", "%" PRIu64 " (%" PRIu64 " found it dirty)",
	    h.opens, h.dirty_opens);
	(void)fputs("daemon:        ", stdout);
	mml_rd_put_escaped(stdout, (const uint8_t *)o->socket,
	    strlen(o->socket));
	if (drc == 0) {
		(void)putchar('\n');
		stats_print(body, body_len, 0);
	} else {
		(void)fputs(": not reachable (", stdout);
		mml_rd_put_escaped(stdout, (const uint8_t *)why, strlen(why));
		(void)fputs(")\n", stdout);
	}
done:
	mml_rd_iter_done(&it);
	(void)mml_rd_ring_free(r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == EPIPE)
			return EXIT_SUCCESS;
		msg("writing output: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/* "seq N" or "seq N..M" for n seqs from first. */
static const char *
seq_range(char *buf, size_t cap, uint64_t first, uint64_t n)
{
	if (n <= 1)
		(void)snprintf(buf, cap, "seq %" PRIu64, first);
	else
		(void)snprintf(buf, cap, "seq %" PRIu64 "..%" PRIu64, first,
		    first + n - 1);
	return buf;
}

/* Checks an entry's payload beyond what mml_disk_rec_check() does. */
static const char *
verify_payload(const struct mml_rec *rec)
{
	const uint8_t *item;
	size_t off = 0, len, klen;
	int r;

	if (rec->hdr.tag_len > MML_TAG_MAX)
		return "tag longer than the protocol allows";
	while ((r = mml_fields_next(rec->fields, rec->hdr.fields_len, &off,
	    &item, &len, &klen)) > 0) {
		if (klen == 0 || klen > MML_FIELD_KEY_MAX)
			return "field with an invalid name";
		/* Names with '_' first are the daemon's own. */
		if (!(rec->hdr.flags & MML_REC_F_DAEMON) && item[0] != '_' &&
		    !mml_field_key_valid(item, klen))
			return "field with an invalid name";
	}
	if (r < 0)
		return "malformed fields block";
	return NULL;
}

static void
verify_idx_bad(void *arg, uint64_t slot, uint64_t off, const char *why)
{
	uint64_t *problems = arg;

	(*problems)++;
	printf("problem: seek index slot %" PRIu64 " at file offset 0x%"
	    PRIx64 " %s (readers search without it)\n", slot, off, why);
}

static int
cmd_verify(const struct opts *o)
{
	struct mml_rd_ring *r;
	struct mml_rd_iter it;
	struct mml_disk_header h, h2;
	struct mml_rec rec;
	const char *bad;
	uint64_t entries = 0, first = 0, last = 0, problems = 0,
	    overwritten = 0, limit;
	struct mml_rd_idx_report ir;
	char id[33], sr[64];
	int step, clean, idx_rc;

	r = open_ring(o->file);
	if (r == NULL)
		return EXIT_FAILURE;
	mml_rd_ring_header(r, &h);
	mml_rd_hex128(id, h.ring_id);
	printf("verifying %s: ring %s, capacity %" PRIu64 ", %s; header: "
	    "tail seq %" PRIu64 ", head seq %" PRIu64 ", durable seq %" PRIu64
	    "\n", r->path, id, h.capacity, h.state == MML_STATE_CLEAN ?
	    "clean" : "dirty", h.tail_seq, h.head_seq, h.durable_seq);
	mml_rd_iter_init(&it, r, MML_RD_CHECK);
	mml_rd_iter_tail(&it);
	if (it.seq != h.tail_seq)
		h.tail_seq = it.seq;
	while (!stop_flag) {
		step = mml_rd_iter_next(&it, &rec);
		if (step == MML_RD_END)
			break;
		if (step == MML_RD_ENTRY) {
			if (entries++ == 0)
				first = rec.hdr.seq;
			last = rec.hdr.seq;
			bad = verify_payload(&rec);
			if (bad != NULL) {
				problems++;
				printf("problem: record at offset 0x%" PRIx64
				    " (seq %" PRIu64 "): %s\n", rec.off,
				    rec.hdr.seq, bad);
			}
		} else if (step == MML_RD_LOST) {
			overwritten += it.gap;
			printf("note: %s overwritten by the writer while we "
			    "read\n", seq_range(sr, sizeof(sr), it.gap_seq,
			    it.gap));
		} else if (step == MML_RD_JUMP) {
			/* Recovery after a power loss numbers on from the
			 * persisted limit and says so in the ring: a gap,
			 * but no damage. */
			printf("note: sequence numbers jump from %" PRIu64
			    " to %" PRIu64 " at offset 0x%" PRIx64 ", as the "
			    "daemon noted there (entries lost in an unclean "
			    "shutdown)\n", it.gap_seq - 1, it.seq, it.gap_off);
		} else if (step == MML_RD_CORRUPT && it.gap == 0) {
			problems++;
			printf("problem: damaged record at offset 0x%" PRIx64
			    " (%s): it held no entry (as a WRAP marker); the "
			    "chain resumes at offset 0x%" PRIx64 " with seq %"
			    PRIu64 "\n", it.gap_off,
			    mml_disk_reason_str(it.gap_reason), it.off, it.seq);
		} else if (step == MML_RD_CORRUPT && it.gap_off == it.off) {
			/* A whole record, but not the one expected. */
			problems++;
			printf("problem: sequence numbers jump from %" PRIu64
			    " to %" PRIu64 " at offset 0x%" PRIx64 " with no "
			    "note of the daemon's: %s missing\n",
			    it.gap_seq - 1, it.seq, it.off,
			    seq_range(sr, sizeof(sr), it.gap_seq, it.gap));
		} else if (step == MML_RD_CORRUPT) {
			problems++;
			printf("problem: damaged record at offset 0x%" PRIx64
			    " (%s): %s lost; the chain resumes at offset 0x%"
			    PRIx64 " with seq %" PRIu64 "\n", it.gap_off,
			    mml_disk_reason_str(it.gap_reason),
			    seq_range(sr, sizeof(sr), it.gap_seq, it.gap),
			    it.off, it.seq);
		} else {
			msg("%s", strerror(-step));
			problems++;
			break;
		}
	}
	mml_rd_ring_header(r, &h2);
	clean = h2.state == MML_STATE_CLEAN;
	if (it.seq < h2.head_seq) {
		if (clean) {
			problems++;
			printf("problem: the records end at offset 0x%" PRIx64
			    " (%s) before seq %" PRIu64 ", but the clean "
			    "header's head is seq %" PRIu64 ": seq %" PRIu64
			    "..%" PRIu64 " missing\n", it.off,
			    mml_disk_reason_str(it.end_reason), it.seq,
			    h2.head_seq, it.seq, h2.head_seq - 1);
		} else
			printf("note: the records end before seq %" PRIu64
			    "; the header's head is seq %" PRIu64 " (dirty: "
			    "recovery decides)\n", it.seq, h2.head_seq);
	} else if (it.seq > h2.head_seq && clean) {
		problems++;
		printf("problem: records continue past the clean header's "
		    "head (seq %" PRIu64 ") up to seq %" PRIu64 "\n",
		    h2.head_seq, it.seq - 1);
	} else if (clean && it.off != h2.head_off) {
		problems++;
		printf("problem: the records end at offset 0x%" PRIx64 ", "
		    "the clean header's head is at 0x%" PRIx64 "\n", it.off,
		    h2.head_off);
	}
	if (h2.durable_seq >= it.seq && h2.durable_seq >= h2.tail_seq) {
		problems++;
		printf("problem: durable seq %" PRIu64 " is not in the ring: "
		    "the records end before seq %" PRIu64 "\n", h2.durable_seq,
		    it.seq);
	}
	idx_rc = mml_rd_index_check(r, &ir, verify_idx_bad, &problems);
	if (idx_rc < 0) {
		problems++;
		printf("problem: the header announces a seek index, but the "
		    "file ends before it\n");
	}
	limit = h2.seq_limit;
	if (entries > 0 && last >= limit) {
		problems++;
		printf("problem: seq %" PRIu64 " is at or above the header's "
		    "seq limit %" PRIu64 "\n", last, limit);
	}
	if (entries > 0)
		printf("%" PRIu64 " records checked: %" PRIu64 " entries (seq %"
		    PRIu64 "..%" PRIu64 "), %" PRIu64 " wrap markers; ",
		    it.records, entries, first, last, it.wraps);
	else
		printf("%" PRIu64 " records checked: no entries, %" PRIu64
		    " wrap markers; ", it.records, it.wraps);
	if (h2.durable_seq == 0)
		(void)fputs("nothing durable yet; ", stdout);
	else if (h2.durable_seq < it.seq)
		printf("durable seq %" PRIu64 " reached; ", h2.durable_seq);
	else
		printf("durable seq %" PRIu64 " NOT reached; ", h2.durable_seq);
	if (overwritten > 0)
		printf("%" PRIu64 " overwritten while reading; ", overwritten);
	if (idx_rc < 0)
		printf("seek index missing from the file; ");
	else if (ir.slots > 0)
		printf("seek index: %" PRIu64 " slots, %" PRIu64 " in use, %"
		    PRIu64 " damaged; ", ir.slots, ir.used, ir.damaged);
	else
		printf("no seek index; ");
	printf("%" PRIu64 " problem%s\n", problems, problems == 1 ? "" : "s");
	mml_rd_iter_done(&it);
	(void)mml_rd_ring_free(r);
	if (fflush(stdout) != 0 && errno != EPIPE) {
		msg("writing output: %s", strerror(errno));
		return EXIT_FAILURE;
	}
	return problems > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int
cmd_dump(const struct opts *o)
{
	struct mml_rd_ring *r;
	struct mml_rd_iter it;
	struct mml_disk_header h;
	struct mml_rec rec;
	uint64_t bytes = DUMP_BYTES, n;
	char s[64], sr[64];
	int step, i, rc;

	if (o->lines != NULL && parse_u64(o->lines, &bytes) < 0)
		return usage_error("invalid byte count '%s'", o->lines);
	r = open_ring(o->file);
	if (r == NULL)
		return EXIT_FAILURE;
	if (!(o->seen & BIT(OPT_NO_PAGER)) && (step = mml_ctl_pager_open()) < 0)
		msg("cannot start a pager (%s); writing to the terminal",
		    strerror(-step));
	mml_rd_ring_header(r, &h);
	printf("=== RING HEADER ===\n");
	(void)fputs("magic:               ", stdout);
	mml_rd_put_escaped(stdout, h.magic, sizeof(h.magic));
	printf("\nversion:             %" PRIu32 "\n", h.version);
	printf("header_size:         %" PRIu32 "\n", h.header_size);
	printf("compat_flags:        0x%" PRIx32 "\n", h.compat_flags);
	printf("incompat_flags:      0x%" PRIx32 "\n", h.incompat_flags);
	mml_rd_hex128(s, h.ring_id);
	printf("ring_id:             %s\n", s);
	printf("capacity:            %" PRIu64 "\n", h.capacity);
	mml_rd_time_iso(s, sizeof(s), h.created_usec);
	printf("created_usec:        %" PRIu64 " (%s)\n", h.created_usec, s);
	printf("static_crc:          0x%08" PRIx32 "\n", h.static_crc);
	printf("state:               %" PRIu32 " (%s)\n", h.state,
	    h.state == MML_STATE_CLEAN ? "clean" : h.state == MML_STATE_DIRTY ?
	    "dirty" : "unknown");
	printf("durable_off:         0x%" PRIx64 "\n", h.durable_off);
	printf("durable_seq:         %" PRIu64 "\n", h.durable_seq);
	printf("tail_off:            0x%" PRIx64 "\n", h.tail_off);
	printf("tail_seq:            %" PRIu64 "\n", h.tail_seq);
	printf("head_off:            0x%" PRIx64 "\n", h.head_off);
	printf("head_seq:            %" PRIu64 "\n", h.head_seq);
	printf("seq_limit:           %" PRIu64 "\n", h.seq_limit);
	mml_rd_time_iso(s, sizeof(s), h.durable_usec);
	printf("durable_usec:        %" PRIu64 " (%s)\n", h.durable_usec, s);
	mml_rd_hex128(s, h.boot_id);
	printf("boot_id:             %s\n", s);
	printf("entries_written:     %" PRIu64 "\n", h.entries_written);
	printf("entries_overwritten: %" PRIu64 "\n", h.entries_overwritten);
	printf("wraps:               %" PRIu64 "\n", h.wraps);
	printf("bytes_written:       %" PRIu64 "\n", h.bytes_written);
	printf("opens:               %" PRIu64 "\n", h.opens);
	printf("dirty_opens:         %" PRIu64 "\n", h.dirty_opens);
	for (i = 0; i < (int)sizeof(h.reserved); i++)
		if (h.reserved[i] != 0)
			break;
	if (i < (int)sizeof(h.reserved))
		printf("reserved:            not zero (byte %d)\n", i);
	printf("===================\n\nrecords from the tail:\n\n");

	mml_rd_iter_init(&it, r, MML_RD_CHECK);
	it.report_wraps = 1;
	mml_rd_iter_tail(&it);
	while (!stop_flag && !ferror(stdout)) {
		step = mml_rd_iter_next(&it, &rec);
		if (step == MML_RD_END)
			break;
		switch (step) {
		case MML_RD_ENTRY:
		case MML_RD_WRAP:
			printf("rec seq=%" PRIu64 " off=0x%08" PRIx64 " len=%"
			    PRIu32 " type=%s", rec.hdr.seq, rec.off,
			    rec.hdr.len, step == MML_RD_WRAP ? "wrap" :
			    "entry");
			if (step == MML_RD_ENTRY)
				printf(" prio=%u", (unsigned)rec.hdr.priority);
			if (rec.hdr.flags & MML_REC_F_DAEMON)
				(void)fputs(" flags=daemon", stdout);
			(void)putchar('\n');
			n = bytes == 0 || bytes > rec.hdr.len ? rec.hdr.len :
			    bytes;
			mml_rd_hexdump(stdout, "  ", r->data + rec.off,
			    (size_t)n);
			(void)putchar('\n');
			break;
		case MML_RD_LOST:
			printf("-- %s overwritten while we read --\n\n",
			    seq_range(sr, sizeof(sr), it.gap_seq, it.gap));
			break;
		case MML_RD_JUMP:
			printf("-- sequence numbers jump: %s skipped after an "
			    "unclean shutdown, as the daemon noted at "
			    "off=0x%08" PRIx64 " --\n\n", seq_range(sr,
			    sizeof(sr), it.gap_seq, it.gap), it.gap_off);
			break;
		case MML_RD_CORRUPT:
			if (it.gap == 0)
				(void)snprintf(sr, sizeof(sr), "no entry");
			else
				(void)seq_range(sr, sizeof(sr), it.gap_seq,
				    it.gap);
			printf("-- damaged record at off=0x%08" PRIx64 " (%s): "
			    "%s lost --\n", it.gap_off,
			    mml_disk_reason_str(it.gap_reason), sr);
			n = bytes == 0 || bytes > MML_REC_HDR ? MML_REC_HDR :
			    bytes;
			mml_rd_hexdump(stdout, "  ", r->data + it.gap_off,
			    (size_t)n);
			(void)putchar('\n');
			break;
		default:
			msg("%s", strerror(-step));
			goto done;
		}
	}
	printf("end of records at off=0x%08" PRIx64 " seq=%" PRIu64 " (%s)\n",
	    it.off, it.seq, mml_disk_reason_str(it.end_reason));
done:
	mml_rd_iter_done(&it);
	(void)mml_rd_ring_free(r);
	rc = EXIT_SUCCESS;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE) {
			msg("writing output: %s", strerror(errno));
			rc = EXIT_FAILURE;
		}
	}
	mml_ctl_pager_close();
	return rc;
}

/*
 * clear, rotate-id, reset-counters: one control request to the daemon,
 * which allows it to uid 0 and its own uid only (SO_PEERCRED).
 */
static int
cmd_control(const struct opts *o)
{
	struct mml_ack_body ack;
	const uint8_t *body;
	uint8_t buf[512], type;
	char why[256], hex[33];
	struct mml_rd_ring *r;
	enum mml_disk_reason dr;
	size_t len;
	int rc;

	type = o->cmd == CMD_CLEAR ? MML_FRAME_CLEAR :
	    o->cmd == CMD_ROTATE_ID ? MML_FRAME_ROTATE_ID :
	    MML_FRAME_RESET_COUNTERS;
	rc = daemon_request(o->socket, type, buf, sizeof(buf), &body, &len,
	    why, sizeof(why));
	if (rc < 0) {
		msg("%s: %s: %s", o->cmd_name, o->socket, why);
		return EXIT_FAILURE;
	}
	memcpy(&ack, body, sizeof(ack));
	switch (o->cmd) {
	case CMD_CLEAR:
		printf("ring cleared; numbering goes on at seq %" PRIu64 "\n",
		    ack.next_seq);
		break;
	case CMD_ROTATE_ID:
		/* The new id, if the ring is ours to read. */
		if (mml_rd_ring_open(o->file, &r, &dr) == 0) {
			mml_rd_hex128(hex, r->ring_id);
			printf("ring id is now %s\n", hex);
			(void)mml_rd_ring_free(r);
		} else
			printf("ring id changed\n");
		break;
	default:
		printf("counters reset\n");
		break;
	}
	return EXIT_SUCCESS;
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
	struct opts o;
	int rc;

	std_fds();
	(void)setlocale(LC_CTYPE, "");
	/* A closed pipe is an EPIPE write error, which ends us quietly. */
	(void)signal(SIGPIPE, SIG_IGN);
	mml_rd_sigbus_install();
	memset(&o, 0, sizeof(o));
	rc = parse_args(argc, argv, &o);
	if (rc != 0)
		goto out;
	if (o.seen & BIT(OPT_HELP)) {
		usage(stdout, &o);
		rc = EXIT_SUCCESS;
		goto out;
	}
	if (o.seen & BIT(OPT_VERSION)) {
		printf("mmlogctl %s\n", MMLOGCTL_VERSION);
		rc = EXIT_SUCCESS;
		goto out;
	}
	rc = check_opts(&o);
	if (rc != 0)
		goto out;
	switch (o.cmd) {
	case CMD_WRITE:
		rc = cmd_write(&o);
		break;
	case CMD_STATUS:
		rc = cmd_status(&o);
		break;
	case CMD_VERIFY:
		rc = cmd_verify(&o);
		break;
	case CMD_DUMP:
		rc = cmd_dump(&o);
		break;
	case CMD_CLEAR:
	case CMD_ROTATE_ID:
	case CMD_RESET_COUNTERS:
		rc = cmd_control(&o);
		break;
	case CMD_SHOW:
	default:
		rc = cmd_show(&o);
		break;
	}
out:
	free(o.tags);
	free(o.fields);
	free(o.args);
	return rc;
}
