/*
 * ctl.h: interfaces private to mmlogctl: the command line (opts.c), the
 * command table (main.c), what several commands share (util.c), the
 * commands (one file each) and the terminal's manners (pager.c).  What
 * mmlogctl shares with mmlog-forward is in ringread.h.
 */
#ifndef MML_CTL_H
#define MML_CTL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ringread.h"

#define MML_CTL_EXIT_USAGE	2

/*
 * Every option, for checking which command may take which.  A letter or
 * a long name may mean one thing to one command and another to another
 * (-f follows in show and names a file in write, as in journalctl and
 * logger): each meaning is an option of its own (opts.c's table).
 */
enum mml_ctl_opt {
	MML_CTL_OPT_FILE, MML_CTL_OPT_SOCKET, MML_CTL_OPT_HELP,
	MML_CTL_OPT_VERSION,
	MML_CTL_OPT_PRIO, MML_CTL_OPT_TAG, MML_CTL_OPT_SYNC, MML_CTL_OPT_FIELD,
	MML_CTL_OPT_LINES, MML_CTL_OPT_FOLLOW, MML_CTL_OPT_SINCE,
	MML_CTL_OPT_UNTIL, MML_CTL_OPT_PID, MML_CTL_OPT_UID, MML_CTL_OPT_GREP,
	MML_CTL_OPT_AFTER_CURSOR, MML_CTL_OPT_CURSOR_FILE,
	MML_CTL_OPT_SHOW_CURSOR, MML_CTL_OPT_REVERSE, MML_CTL_OPT_OUTPUT,
	MML_CTL_OPT_NO_PAGER,
	/* show, with journalctl's spelling */
	MML_CTL_OPT_CURSOR, MML_CTL_OPT_UNIT, MML_CTL_OPT_BOOT,
	MML_CTL_OPT_LIST_BOOTS, MML_CTL_OPT_DMESG, MML_CTL_OPT_VALUES,
	MML_CTL_OPT_FIELDS, MML_CTL_OPT_OUTPUT_FIELDS, MML_CTL_OPT_PAGER_END,
	MML_CTL_OPT_QUIET, MML_CTL_OPT_UTC, MML_CTL_OPT_NO_HOSTNAME,
	MML_CTL_OPT_CATALOG, MML_CTL_OPT_CASE_SENSITIVE,
	/* write, with logger's */
	MML_CTL_OPT_LOG_PID, MML_CTL_OPT_ID, MML_CTL_OPT_STDERR,
	MML_CTL_OPT_SKIP_EMPTY, MML_CTL_OPT_INPUT, MML_CTL_OPT_SD_ID,
	MML_CTL_OPT_SD_PARAM, MML_CTL_OPT_TIMEOUT,
	/* run, with systemd-cat's */
	MML_CTL_OPT_STDOUT_SOCKET, MML_CTL_OPT_LEVEL_PREFIX,
	MML_CTL_OPT__MAX
};

#define MML_CTL_BIT(o)		((uint64_t)1 << (o))
/* What every command takes. */
#define MML_CTL_GLOBAL_OPTS	(MML_CTL_BIT(MML_CTL_OPT_FILE) | \
				    MML_CTL_BIT(MML_CTL_OPT_SOCKET) | \
				    MML_CTL_BIT(MML_CTL_OPT_HELP) | \
				    MML_CTL_BIT(MML_CTL_OPT_VERSION))

struct mml_ctl_opts;

/*
 * A command: its name, the function that runs it (returning the exit
 * status), the options it takes besides the global ones (MML_CTL_BIT()s),
 * whether it takes arguments, and its part of the help.
 */
struct mml_ctl_cmd {
	const char	*name;
	int		(*fn)(const struct mml_ctl_opts *);
	uint64_t	 opts;
	int		 takes_args;
	const char	*help;
};

/* The commands, the first of which runs when none is named (main.c). */
extern const struct mml_ctl_cmd mml_ctl_cmds[];
extern const size_t mml_ctl_n_cmds;

/* write's --sd-id and --sd-param, in the order given. */
struct mml_ctl_sd {
	int		 is_param;
	const char	*arg;
};

/* The command line, as given; checked per command once it is known. */
struct mml_ctl_opts {
	const struct mml_ctl_cmd *cmd;
	int		 cmd_named;	/* the command line named it */
	uint64_t	 seen;		/* MML_CTL_BIT(enum mml_ctl_opt) */
	const char	*file;
	const char	*socket;
	const char	*prio;
	const char	**tags;
	size_t		 n_tags;
	int		 sync;
	const char	**fields;	/* write -F KEY=VALUE */
	size_t		 n_fields;
	const char	*lines;		/* -n N; NULL with lines_bare: 10 */
	int		 lines_bare;	/* -n without a number */
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
	/* show */
	const char	*cursor;
	const char	**units;
	size_t		 n_units;
	const char	*boot;		/* -b's descriptor; NULL: the current */
	int		 list_boots;
	int		 dmesg;
	const char	*values;	/* -F FIELD */
	int		 list_fields;	/* -N */
	const char	**output_fields;
	size_t		 n_output_fields;
	int		 pager_end;
	int		 quiet;
	int		 utc;
	int		 no_hostname;
	int		 case_sensitive;	/* -1: by the pattern's case */
	/* write */
	int		 log_pid;	/* -i, or --id without a value */
	const char	*id;		/* --id=ID */
	int		 to_stderr;
	int		 skip_empty;
	const char	*input;		/* -f FILE */
	struct mml_ctl_sd *sd;
	size_t		 n_sd;
	const char	*timeout;
	/* run */
	const char	*stdout_socket;
	const char	*level_prefix;
	char		**args;
	size_t		 n_args;
};

/*
 * The command line (opts.c).  mml_ctl_parse_args() reads argv into o
 * (zeroed by the caller): options may come before or after the command,
 * which is the first other argument (mml_ctl_cmds[0] if none, or if the
 * first is a match such as FIELD=VALUE or "+"), and the rest are the
 * command's arguments; for `run`, everything from the first argument
 * after it on is the program's command line, options included.  A long
 * option matches only by its whole name.  Unless --help or --version was
 * given, it then checks that the command takes every option given and
 * sets the ring's and the socket's paths from the environment or the
 * defaults.  Returns 0, or the exit status to end with after saying why
 * (MML_CTL_EXIT_USAGE for a usage error).  mml_ctl_opts_free() frees
 * what it allocated.
 */
int	mml_ctl_parse_args(int argc, char **argv, struct mml_ctl_opts *o);
void	mml_ctl_opts_free(struct mml_ctl_opts *o);

/*
 * Values of options (opts.c).  mml_ctl_parse_prio() reads "P" (P and
 * more urgent: 0..P) or "P..Q" (the range, in either order) into
 * *ret_min <= *ret_max.  mml_ctl_parse_syslog_prio() reads logger's
 * "[FACILITY.]LEVEL" (names, or numbers as syslog.h has them: a level
 * 0-7, a facility as LOG_LOCAL0 is, 128) into *ret_level and
 * *ret_facility (0-23; -1 if none was named; kern is taken as user, as
 * logger does).  mml_ctl_parse_time() reads a --since/--until time as
 * systemd's parse_timestamp() (systemd.time(7)): "[WEEKDAY ]YYYY-MM-DD
 * [HH:MM[:SS[.FRAC]]]" (also YY-MM-DD), "HH:MM[:SS[.FRAC]]" today, "now",
 * "today", "yesterday", "tomorrow", each optionally followed by " UTC"
 * or the local zone's name; "@SPAN" since the epoch; "+SPAN", "-SPAN",
 * "SPAN ago", "SPAN left" from now, where SPAN is "3h 5min", "1.5d", a
 * bare number of seconds...  It writes CLOCK_REALTIME usec.
 * mml_ctl_parse_bool() reads systemd's booleans (1 yes y true t on, 0 no
 * n false f off, any case) into 1 or 0.  All return 0 or -EINVAL.
 * mml_ctl_pattern_has_upper() is journalctl's "smart case": 1 if the
 * pattern has an uppercase ASCII letter (-g is then exact), else 0.
 */
int	mml_ctl_parse_prio(const char *s, int *ret_min, int *ret_max);
int	mml_ctl_parse_syslog_prio(const char *s, int *ret_level,
	    int *ret_facility);
int	mml_ctl_parse_time(const char *s, uint64_t *ret);
int	mml_ctl_parse_bool(const char *s);
int	mml_ctl_pattern_has_upper(const char *s);

/*
 * What several commands share (util.c).  mml_ctl_msg() says one thing
 * on stderr, prefixed "mmlogctl: ", after flushing stdout.
 * mml_ctl_usage_error() does so for a usage error and returns
 * MML_CTL_EXIT_USAGE.
 */
void	mml_ctl_msg(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
int	mml_ctl_usage_error(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/*
 * mml_ctl_sigpipe_ignore() ignores SIGPIPE (a closed pipe is then an
 * EPIPE write error, which ends us quietly), keeping what it did before;
 * mml_ctl_sigpipe_restore() puts that back, for the program `run`
 * executes: an ignored signal stays ignored across execve(), and a
 * program that expects SIGPIPE (`yes | head`) would instead see write
 * errors.
 */
void	mml_ctl_sigpipe_ignore(void);
void	mml_ctl_sigpipe_restore(void);

/* Opens the ring at path, or says why not and returns NULL. */
struct mml_rd_ring *mml_ctl_open_ring(const char *path);

/*
 * Sends the daemon at path one request of an empty body (STATS, or a
 * control operation) and waits for its answer: STATS_REPLY for STATS,
 * ACK for the others.  Returns 0 with the reply's body in buf (cap
 * bytes) at *ret_body, *ret_len bytes; or -errno (the daemon's, for an
 * ERROR) with a reason in why.
 */
int	mml_ctl_daemon_request(const char *path, uint8_t type, uint8_t *buf,
	    size_t cap, const uint8_t **ret_body, size_t *ret_len, char *why,
	    size_t why_cap);

/* "seq N" or "seq N..M" for n seqs from first, in buf. */
const char *mml_ctl_seq_range(char *buf, size_t cap, uint64_t first,
	    uint64_t n);

/*
 * Flushes stdout and says if writing it failed, but for EPIPE (the
 * reader went away, which ends the output quietly).  Returns 0 if it
 * was written or the reader left, -1 after saying why not.
 */
int	mml_ctl_out_done(void);

/*
 * Boots (boots.c).  mml_ctl_boot_range() finds the boot that -b's
 * descriptor desc names (NULL: the newest; "ID", "ID±N", "±N", "N", as
 * journalctl reads them) among those with entries in ring r: returns 1
 * with its entries' seqs [*ret_lo, *ret_hi) (*ret_hi UINT64_MAX for the
 * newest boot); with implied set (-k without -b), 0 if the ring has no
 * such boot or no boot table, meaning every entry; otherwise -1 after
 * saying why.  mml_ctl_list_boots() is `show --list-boots`.
 */
int	mml_ctl_boot_range(struct mml_rd_ring *r, const char *desc,
	    int implied, uint64_t *ret_lo, uint64_t *ret_hi);
int	mml_ctl_list_boots(const struct mml_ctl_opts *o);

/* Set by SIGINT or SIGTERM while `show -f` follows the ring. */
extern volatile sig_atomic_t mml_ctl_stop;

/* The commands, each in its file. */
int	mml_ctl_show(const struct mml_ctl_opts *o);
int	mml_ctl_write(const struct mml_ctl_opts *o);
int	mml_ctl_status(const struct mml_ctl_opts *o);
int	mml_ctl_verify(const struct mml_ctl_opts *o);
int	mml_ctl_dump(const struct mml_ctl_opts *o);
int	mml_ctl_clear(const struct mml_ctl_opts *o);
int	mml_ctl_rotate_id(const struct mml_ctl_opts *o);
int	mml_ctl_reset_counters(const struct mml_ctl_opts *o);
int	mml_ctl_run(const struct mml_ctl_opts *o);

/*
 * Terminal manners (pager.c).  mml_ctl_color_wanted() says whether
 * output on fd should be highlighted: fd is a terminal, $TERM is set and
 * not "dumb", and $NO_COLOR is not set.
 */
int	mml_ctl_color_wanted(int fd);

/*
 * Starts a pager on standard output if it is a terminal, as journalctl
 * does: $MMLOG_PAGER, else $PAGER, else less(1) (with LESS=FRSXMK
 * unless $LESS is set), else more(1), else a plain copy.  An empty
 * value or "cat" means no pager.  With end set (-e), less starts at the
 * end ("+G" added to $LESS, as journalctl does).  Returns 1 if a pager now reads our
 * standard output, 0 if none was started, -errno on failure (nothing
 * changed then).
 */
int	mml_ctl_pager_open(int end);

/*
 * Flushes and closes standard output, then waits for the pager to exit,
 * so that the shell prompt does not come back while it still shows.
 * Does nothing if no pager was started.
 */
void	mml_ctl_pager_close(void);

#endif /* MML_CTL_H */
