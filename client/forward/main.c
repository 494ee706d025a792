/*
 * main.c: mmlog-forward: forwards the ring to a central syslog collector,
 * at least once.
 *
 *	mmlog-forward --to relp://HOST:PORT --cursor-file FILE [options]
 *
 * It reads the ring as mmlogctl does (client/ringread/: a read-only map
 * and its iterator), follows it with the daemon's NOTIFY frames (as
 * `mmlogctl show -f`, ringread's follow.c), sends each entry as an RFC
 * 5424 message (msg.c) over RELP or TCP, or in the Journal Export
 * Format (ringread's format.c, as `mmlogctl show -o export`) over HTTP
 * to systemd-journal-remote (out.c), and remembers in its cursor file
 * the newest entry the collector is known to have: the file is replaced
 * atomically (temporary file, fsync, rename, fsync of the directory),
 * and only with positions the transport confirmed.  After any crash or
 * restart, of the forwarder or of the collector, it starts again from
 * the confirmed position; what it sends twice is at most the
 * unconfirmed window, and each copy carries the same seq.
 *
 * An entry the collector refuses again and again (an answer other than
 * yes, or the session dropped, with that entry alone in flight) is
 * skipped after --max-tries such refusals: counted, logged and
 * announced to the collector in its place, so that one bad entry cannot
 * stop the forwarding for good.  To know which entry a refusal was
 * for, the forwarder sends the messages that were in flight when a
 * session failed that way one at a time, each confirmed before the
 * next ("careful" mode), until it is past them.
 *
 * A separate program rather than `mmlogctl forward`: it is a service
 * with its own unit, user and state, and links GnuTLS and libcurl,
 * which mmlogctl, a small tool that must work anywhere, has no reason
 * to load.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "ringread.h"
#include "fwd.h"
#include "util.h"
#include "wire.h"

#define EXIT_USAGE		2
#define FWD_VERSION		"0.1.0"
#define BACKOFF_MIN_MS		100
#define POLL_NOTIFY_MS		1000	/* re-walk at least this often */
#define REOPEN_CHECK_MS		1000	/* look for a new ring this often */
#define WINDOW_RELP		1024	/* --window's default per transport */
/*
 * POSTs of 2048: each costs a round trip in which journal-remote waits
 * for the next body, and libcurl's set-up (measured against POSTs of
 * 512: 4 of 5 alternating runs faster, medians 56.7k against 54.6k
 * entries/s, the forwarder 1.43 against 1.53 us an entry).
 */
#define WINDOW_HTTP		4096
#define MAX_TRIES		10	/* --max-tries' default */

struct opts {
	const char	*to;
	const char	*file;
	const char	*socket;
	const char	*cursor_file;
	const char	*stats_file;
	const char	*hostname;
	const char	*sd_id;
	int		 facility;
	uint64_t	 max_backoff_ms;
	uint64_t	 checkpoint_ms;
	uint64_t	 idle_ms;
	uint64_t	 max_tries;
	int		 seq_fields;
	int		 start_head;
	int		 once;
	struct mml_fwd_dest dest;
};

/* Seqs [lo, hi). */
struct span {
	uint64_t	 lo;
	uint64_t	 hi;
};

/* A message sent but not yet confirmed: the position after it. */
struct pend {
	uint64_t	 off;
	uint64_t	 seq;
	uint64_t	 first;		/* the entry's seq, a notice's first */
	int		 entry;		/* an entry, not a loss notice */
};

struct fwd {
	const struct opts *o;
	struct mml_rd_ring *ring;
	struct mml_rd_iter it;
	struct mml_rd_follow fw;	/* NOTIFY, the daemon's restarts */
	struct mml_fwd_out *out;
	struct mml_fwd_msg_ctx ctx;
	struct mml_fwd_buf msg;
	/* HTTP: entries in the Journal Export Format, through a stream. */
	int		 export;
	struct mml_rd_fmt exp;
	FILE		*exp_f;
	char		*exp_buf;
	size_t		 exp_len;
	/* Every entry before (conf_off, conf_seq) is with the collector. */
	uint64_t	 conf_off;
	uint64_t	 conf_seq;
	/* Entries below this were forwarded before we started. */
	uint64_t	 skip_below;
	/* Unconfirmed messages of this session, oldest first. */
	struct pend	*pend;
	size_t		 pend_cap;	/* a power of two */
	size_t		 pend_head;
	size_t		 pend_n;
	uint64_t	 pend_first;	/* session index of pend[pend_head] */
	/*
	 * Losses are counted once, even if a retry walks them again: the
	 * seqs counted, as sorted disjoint spans, those below conf_seq
	 * pruned (a walk starts at conf_seq, so no gap reaches below).
	 */
	struct span	*lost;
	size_t		 lost_n;
	uint64_t	 refused_upto;
	/*
	 * Below this position, messages go one at a time, each confirmed
	 * before the next, to find the one the collector refuses.
	 */
	uint64_t	 careful_until;
	/* The entry refused alone, and how often; skipped at max_tries. */
	uint64_t	 poison_seq;
	uint64_t	 poison_tries;
	uint64_t	 last_reopen_ms;
	/* The cursor file and the counters. */
	uint64_t	 saved_seq;	/* newest seq in the cursor file */
	int		 cursor_stale;	/* the file names a replaced ring */
	uint64_t	 last_ckpt_ms;
	uint64_t	 last_stats_ms;
	int		 ckpt_err;	/* the last cursor write's -errno */
	int		 stats_err;	/* the last stats write's -errno */
	uint64_t	 backoff_ms;
	uint64_t	 next_try_ms;
	int		 failing;	/* the last attempt failed */
	uint64_t	 n_sent;	/* messages sent, resends included */
	uint64_t	 n_confirmed;	/* entries confirmed, resends included */
	uint64_t	 n_lost;	/* entries overwritten before sending */
	uint64_t	 n_damaged;	/* entries skipped as damaged */
	uint64_t	 n_refused;	/* entries skipped, refused max_tries */
	uint64_t	 n_failures;	/* sessions that failed */
	uint64_t	 n_sessions;	/* sessions opened */
	char		 last_stats[1024]; /* what the stats file holds */
};

static void	 logmsg(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 usage(FILE *);
static int	 parse_args(int, char **, struct opts *);
static int	 set_opt(struct opts *, int, const char *);
static int	 check_opts(struct opts *);
static int	 parse_facility(const char *);
static void	 on_signal(int);
static int	 cursor_read(const char *, uint8_t *, uint64_t *);
static void	 checkpoint(struct fwd *, int);
static void	 stats_write(struct fwd *, const char *);
static void	 stats_load(struct fwd *);
static int	 pend_push(struct fwd *, int, uint64_t);
static void	 pend_confirm(struct fwd *);
static void	 note_refusal(struct fwd *);
static void	 session_failed(struct fwd *, const char *);
static int	 ensure_session(struct fwd *);
static int	 send_msg(struct fwd *, const uint8_t *, size_t, int,
		    uint64_t);
static int	 export_init(struct fwd *);
static int	 format_entry(struct fwd *, const struct mml_rec *, int,
		    const uint8_t **, size_t *);
static size_t	 export_trim(char *, size_t);
static int	 format_notice(struct fwd *, uint64_t, uint64_t,
		    enum mml_fwd_loss, const uint8_t **, size_t *);
static void	 send_notice(struct fwd *, uint64_t, uint64_t,
		    enum mml_fwd_loss);
static uint64_t	 lost_add(struct fwd *, uint64_t, uint64_t);
static void	 note_gap(struct fwd *, int);
static void	 place(struct fwd *, uint64_t);
static int	 wait_ring(struct fwd *, uint64_t);
static void	 reopen(struct fwd *, struct mml_rd_ring *);
static void	 forward_entry(struct fwd *, const struct mml_rec *);
static int	 caught_up(struct fwd *, int *);
static int	 run(struct fwd *);
static uint64_t	 now_ms(void);

/*
 * The loop's own clock, in ms: for checkpoints, retries and looks at
 * the ring, read once or twice an entry.  The coarse clock is a load
 * from the vDSO page; CLOCK_MONOTONIC reads the hypervisor's clock
 * source, which took a tenth of the forwarder's time (a VM, 2 reads an
 * entry).  A tick (1-10 ms) late at most, which none of them minds.
 */
static uint64_t
now_ms(void)
{
	return mml_now_usec(CLOCK_MONOTONIC_COARSE) / 1000;
}

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t stats_flag;
static int hurry_flag;			/* second signal: stop waiting */
static int verbose;

static void
logmsg(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (prio == LOG_DEBUG && !verbose)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	(void)fprintf(stderr, "<%d>mmlog-forward: %s\n", prio, line);
}

static void
usage(FILE *out)
{
	fprintf(out,
"usage: mmlog-forward --to URL --cursor-file FILE [options]\n"
"\n"
"Forwards mmlogd's ring to a syslog collector as RFC 5424 messages, at\n"
"least once: the cursor file moves only past what the collector confirmed.\n"
"\n"
"  --to URL              relp://HOST:PORT (acknowledged, the reliable one),\n"
"                        relp+tls://HOST:PORT, tcp://HOST:PORT (RFC 6587\n"
"                        octet counting; no acknowledgement), or\n"
"                        http[s]://HOST[:PORT][/PATH]: systemd-journal-remote\n"
"                        (default port 19532, path /upload)\n"
"  --cursor-file FILE    the newest entry forwarded (mmlogctl cursor syntax)\n"
"  --file PATH           the ring (default $MMLOG_FILE, else %s)\n"
"  --socket PATH         mmlogd's socket, for wake-ups (default $MMLOG_SOCKET,\n"
"                        else %s)\n"
"  --stats-file FILE     counters as key=value lines, kept up to date\n"
"  --start tail|head     without a cursor: from the oldest entry (default) or\n"
"                        only entries written from now on\n"
"  --once                exit 0 once everything there is was forwarded\n"
"  --window N            messages unconfirmed at most: RELP frames in flight\n"
"                        (default 1024), HTTP entries in the two POSTs\n"
"                        out and filling (default 4096); at least 2\n"
"  --max-tries N         skip an entry the collector refused N times, alone\n"
"                        (default 10; 0: never)\n"
"  --seq-fields          HTTP: _MMLOG_SEQ and _MMLOG_RING in every entry\n"
"  --timeout S           seconds to wait for an answer (default 30)\n"
"  --connect-timeout S   seconds to wait for a connection (default 10)\n"
"  --max-backoff MS      longest wait between retries (default 30000)\n"
"  --checkpoint MS       write the cursor at most this often while busy\n"
"                        (default 1000; always when caught up and at exit)\n"
"  --idle MS             caught up this long: confirm and close the session\n"
"                        (default 100)\n"
"  --hostname NAME       HOSTNAME of the messages (default: gethostname())\n"
"  --facility NAME       syslog facility (default user)\n"
"  --sd-id ID            SD-ID of the entry element (default %s)\n"
"  --ca FILE --cert FILE --key FILE\n"
"                        TLS (relp+tls, https): CA certificate, our\n"
"                        certificate and key\n"
"  --tls-auth MODE       relp+tls: how to check the collector: name (the\n"
"                        default), fingerprint, certvalid\n"
"  --permitted-peer NAME relp+tls: the collector's name (default: the URL's\n"
"                        host) or fingerprint (SHA1:XX:...)\n"
"  -v, --verbose         debug messages; twice: libcurl's too\n"
"  -h, --help            this text\n"
"  --version             the version\n"
"\n"
"SIGUSR1 logs the counters; SIGTERM confirms what was sent, writes the\n"
"cursor and exits (a second SIGTERM stops waiting for the collector).\n",
	    MML_DEFAULT_FILE, MML_DEFAULT_SOCKET, MML_FWD_SD_ID);
}

static int
parse_facility(const char *s)
{
	static const char *const names[] = { "kern", "user", "mail",
	    "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
	    "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	    "local0", "local1", "local2", "local3", "local4", "local5",
	    "local6", "local7" };
	uint64_t v;
	int i;

	for (i = 0; i < 24; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	if (mml_parse_range(s, 0, 23, &v) == 0)
		return (int)v;
	return -EINVAL;
}

enum {
	O_TO = 256, O_FILE, O_SOCKET, O_CURSOR, O_STATS, O_START, O_ONCE,
	O_WINDOW, O_TIMEOUT, O_CTIMEOUT, O_BACKOFF, O_CHECKPOINT, O_IDLE,
	O_HOSTNAME, O_FACILITY, O_SDID, O_CA, O_CERT, O_KEY, O_AUTH, O_PEER,
	O_TRIES, O_SEQF, O_VERSION,
};

/* In the order of the enum above, which names them in messages. */
static const struct option long_opts[] = {
	{ "to", required_argument, NULL, O_TO },
	{ "file", required_argument, NULL, O_FILE },
	{ "socket", required_argument, NULL, O_SOCKET },
	{ "cursor-file", required_argument, NULL, O_CURSOR },
	{ "stats-file", required_argument, NULL, O_STATS },
	{ "start", required_argument, NULL, O_START },
	{ "once", no_argument, NULL, O_ONCE },
	{ "window", required_argument, NULL, O_WINDOW },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "connect-timeout", required_argument, NULL, O_CTIMEOUT },
	{ "max-backoff", required_argument, NULL, O_BACKOFF },
	{ "checkpoint", required_argument, NULL, O_CHECKPOINT },
	{ "idle", required_argument, NULL, O_IDLE },
	{ "hostname", required_argument, NULL, O_HOSTNAME },
	{ "facility", required_argument, NULL, O_FACILITY },
	{ "sd-id", required_argument, NULL, O_SDID },
	{ "ca", required_argument, NULL, O_CA },
	{ "cert", required_argument, NULL, O_CERT },
	{ "key", required_argument, NULL, O_KEY },
	{ "tls-auth", required_argument, NULL, O_AUTH },
	{ "permitted-peer", required_argument, NULL, O_PEER },
	{ "max-tries", required_argument, NULL, O_TRIES },
	{ "seq-fields", no_argument, NULL, O_SEQF },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

static int
parse_args(int argc, char **argv, struct opts *o)
{
	struct mml_fwd_dest *d = &o->dest;
	int c;

	d->window = 0;			/* the transport's default */
	d->timeout_s = 30;
	d->conn_timeout_s = 10;
	o->max_backoff_ms = 30000;
	o->checkpoint_ms = 1000;
	o->idle_ms = 100;
	o->facility = 1;
	o->max_tries = MAX_TRIES;
	while ((c = mml_getopt_long(argc, argv, "vh", long_opts, NULL)) !=
	    -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		case O_VERSION:
			printf("mmlog-forward %s\n", FWD_VERSION);
			exit(EXIT_SUCCESS);
		case '?':
			goto usage;
		}
		if (set_opt(o, c, optarg) < 0) {
			logmsg(LOG_ERR, "invalid value '%s' for --%s", optarg,
			    long_opts[c - O_TO].name);
			goto usage;
		}
	}
	if (optind < argc) {
		logmsg(LOG_ERR, "unexpected argument '%s'", argv[optind]);
		goto usage;
	}
	if (check_opts(o) < 0)
		goto usage;
	return 0;
usage:
	fprintf(stderr, "Try 'mmlog-forward --help'.\n");
	return -EINVAL;
}

/* Notes option c with its argument arg.  Returns 0, or -EINVAL. */
static int
set_opt(struct opts *o, int c, const char *arg)
{
	struct mml_fwd_dest *d = &o->dest;
	uint64_t v;

	switch (c) {
	case O_TO:
		o->to = arg;
		break;
	case O_FILE:
		o->file = arg;
		break;
	case O_SOCKET:
		o->socket = arg;
		break;
	case O_CURSOR:
		o->cursor_file = arg;
		break;
	case O_STATS:
		o->stats_file = arg;
		break;
	case O_START:
		if (strcmp(arg, "tail") != 0 && strcmp(arg, "head") != 0)
			return -EINVAL;
		o->start_head = strcmp(arg, "head") == 0;
		break;
	case O_ONCE:
		o->once = 1;
		break;
	case O_WINDOW:
		if (mml_parse_range(arg, 2, 65536, &v) < 0)
			return -EINVAL;
		d->window = (int)v;
		break;
	case O_TIMEOUT:
		if (mml_parse_range(arg, 1, 86400, &v) < 0)
			return -EINVAL;
		d->timeout_s = (unsigned)v;
		break;
	case O_CTIMEOUT:
		if (mml_parse_range(arg, 1, 86400, &v) < 0)
			return -EINVAL;
		d->conn_timeout_s = (unsigned)v;
		break;
	case O_BACKOFF:
		return mml_parse_range(arg, BACKOFF_MIN_MS, 3600000,
		    &o->max_backoff_ms);
	case O_CHECKPOINT:
		return mml_parse_range(arg, 0, 3600000, &o->checkpoint_ms);
	case O_IDLE:
		return mml_parse_range(arg, 0, 60000, &o->idle_ms);
	case O_TRIES:
		return mml_parse_range(arg, 0, 1000000, &o->max_tries);
	case O_SEQF:
		o->seq_fields = 1;
		break;
	case O_HOSTNAME:
		o->hostname = arg;
		break;
	case O_FACILITY:
		if ((o->facility = parse_facility(arg)) < 0)
			return -EINVAL;
		break;
	case O_SDID:
		o->sd_id = arg;
		break;
	case O_CA:
		d->ca = arg;
		break;
	case O_CERT:
		d->cert = arg;
		break;
	case O_KEY:
		d->key = arg;
		break;
	case O_AUTH:
		d->auth = arg;
		break;
	case O_PEER:
		d->peer = arg;
		break;
	case 'v':
		/* -vv: libcurl's own debug output as well. */
		if (verbose++)
			d->debug = 1;
		break;
	}
	return 0;
}

/*
 * What the options say together: the destination and its TLS settings,
 * and the paths' defaults.  Returns 0, or -EINVAL after saying why.
 */
static int
check_opts(struct opts *o)
{
	struct mml_fwd_dest *d = &o->dest;

	if (o->to == NULL || o->cursor_file == NULL) {
		logmsg(LOG_ERR, "--to and --cursor-file are required");
		return -EINVAL;
	}
	if (mml_fwd_dest_parse(o->to, d) < 0) {
		logmsg(LOG_ERR, "invalid destination '%s' (relp://HOST:PORT, "
		    "relp+tls://HOST:PORT, tcp://HOST:PORT or "
		    "http[s]://HOST[:PORT][/PATH])", o->to);
		return -EINVAL;
	}
	if (d->proto != MML_FWD_RELP_TLS && d->proto != MML_FWD_HTTPS &&
	    (d->ca != NULL || d->cert != NULL || d->key != NULL)) {
		logmsg(LOG_ERR, "--ca, --cert and --key need a relp+tls:// or "
		    "https:// destination");
		return -EINVAL;
	}
	if (d->proto != MML_FWD_RELP_TLS && (d->auth != NULL ||
	    d->peer != NULL)) {
		logmsg(LOG_ERR, "--tls-auth and --permitted-peer are for a "
		    "relp+tls:// destination (https:// checks the URL's "
		    "host against the certificate, always)");
		return -EINVAL;
	}
	if (o->seq_fields && d->proto != MML_FWD_HTTP &&
	    d->proto != MML_FWD_HTTPS) {
		logmsg(LOG_ERR, "--seq-fields is for an http:// or https:// "
		    "destination (RFC 5424 messages always carry seq and "
		    "ring)");
		return -EINVAL;
	}
	if (d->window == 0)
		d->window = d->proto == MML_FWD_HTTP ||
		    d->proto == MML_FWD_HTTPS ? WINDOW_HTTP : WINDOW_RELP;
	if (d->auth != NULL && strcmp(d->auth, "name") != 0 &&
	    strcmp(d->auth, "fingerprint") != 0 &&
	    strcmp(d->auth, "certvalid") != 0) {
		logmsg(LOG_ERR, "invalid --tls-auth '%s' (name, fingerprint or "
		    "certvalid)", d->auth);
		return -EINVAL;
	}
	if (d->auth != NULL && strcmp(d->auth, "fingerprint") == 0 &&
	    d->peer == NULL) {
		logmsg(LOG_ERR, "--tls-auth fingerprint needs the collector's "
		    "fingerprint in --permitted-peer (SHA1:...)");
		return -EINVAL;
	}
	/*
	 * TLS without saying how to check the collector: check its name,
	 * the URL's host, against its certificate (and the chain against
	 * --ca, as always but with fingerprints).  Nothing weaker by
	 * default.
	 */
	if (d->proto == MML_FWD_RELP_TLS && d->auth == NULL) {
		d->auth = "name";
		if (d->peer == NULL)
			d->peer = d->host;
	}
	if (o->file == NULL)
		o->file = getenv("MMLOG_FILE");
	if (o->file == NULL || *o->file == '\0')
		o->file = MML_DEFAULT_FILE;
	if (o->socket == NULL)
		o->socket = getenv("MMLOG_SOCKET");
	if (o->socket == NULL || *o->socket == '\0')
		o->socket = MML_DEFAULT_SOCKET;
	return 0;
}

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		stats_flag = 1;
	else {
		if (stop_flag)
			hurry_flag = 1;
		stop_flag = 1;
	}
	mml_rd_follow_wake();
}

/*
 * Reads the cursor file.  Returns 1 with the cursor, 0 if there is none
 * (no file, or an empty one), or -1 after saying why it is unusable.
 */
static int
cursor_read(const char *path, uint8_t *ret_id, uint64_t *ret_seq)
{
	char buf[256];
	int r;

	r = mml_rd_cursor_file_read(path, buf, sizeof(buf));
	if (r < 0) {
		logmsg(LOG_ERR, "cursor file '%s': %s", path, strerror(-r));
		return -1;
	}
	if (r == 0)
		return 0;
	if (mml_rd_cursor_parse(buf, ret_id, ret_seq) < 0) {
		logmsg(LOG_ERR, "cursor file '%s' holds no cursor (expected "
		    "s=<ring id>;i=<seq>)", path);
		return -1;
	}
	return 1;
}

/*
 * The counters of the last run, from --stats-file when it names the same
 * destination: they count since the first start, so that a restart does
 * not make entries lost or refused look forgotten.  A file that cannot
 * be read, or holds anything else, starts them from 0.
 */
static void
stats_load(struct fwd *f)
{
	static const struct {
		const char	*key;
		size_t		 off;
	} keys[] = {
		{ "sent", offsetof(struct fwd, n_sent) },
		{ "confirmed", offsetof(struct fwd, n_confirmed) },
		{ "lost", offsetof(struct fwd, n_lost) },
		{ "damaged", offsetof(struct fwd, n_damaged) },
		{ "refused", offsetof(struct fwd, n_refused) },
		{ "sessions", offsetof(struct fwd, n_sessions) },
		{ "failures", offsetof(struct fwd, n_failures) },
	};
	uint64_t vals[sizeof(keys) / sizeof(keys[0])] = { 0 };
	char text[1024], *line, *next, *eq;
	size_t i;
	int same = 0;

	if (f->o->stats_file == NULL ||
	    mml_rd_cursor_file_read(f->o->stats_file, text, sizeof(text)) <= 0)
		return;
	for (line = text; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq++ = '\0';
		if (strcmp(line, "destination") == 0)
			same = strcmp(eq, f->o->to) == 0;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(line, keys[i].key) == 0 &&
			    mml_parse_u64(eq, &vals[i]) < 0)
				return;
	}
	if (!same)
		return;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		memcpy((char *)f + keys[i].off, &vals[i], sizeof(vals[i]));
}

static void
stats_write(struct fwd *f, const char *state)
{
	struct mml_disk_header h;
	char text[1024], cur[MML_RD_CURSOR_MAX];
	uint64_t behind = 0;
	int r;

	mml_rd_ring_header(f->ring, &h);
	if (h.head_seq > f->conf_seq)
		behind = h.head_seq - f->conf_seq;
	mml_rd_cursor_format(cur, f->ring->ring_id, f->conf_seq - 1);
	(void)snprintf(text, sizeof(text),
	    "state=%s\ndestination=%s\ncursor=%s\nconfirmed_seq=%" PRIu64 "\n"
	    "behind=%" PRIu64 "\nsent=%" PRIu64 "\nconfirmed=%" PRIu64 "\n"
	    "lost=%" PRIu64 "\ndamaged=%" PRIu64 "\nrefused=%" PRIu64 "\n"
	    "sessions=%" PRIu64 "\nfailures=%" PRIu64 "\n", state, f->o->to,
	    f->conf_seq > 1 ? cur : "", f->conf_seq - 1, behind, f->n_sent,
	    f->n_confirmed, f->n_lost, f->n_damaged, f->n_refused,
	    f->n_sessions, f->n_failures);
	if (stats_flag) {
		stats_flag = 0;
		logmsg(LOG_INFO, "%s: confirmed up to seq %" PRIu64 ", %"
		    PRIu64 " behind, sent %" PRIu64 ", confirmed %" PRIu64
		    ", lost %" PRIu64 ", damaged %" PRIu64 ", refused %" PRIu64
		    ", sessions %" PRIu64 ", failures %" PRIu64, state,
		    f->conf_seq - 1, behind, f->n_sent, f->n_confirmed,
		    f->n_lost, f->n_damaged, f->n_refused, f->n_sessions,
		    f->n_failures);
	}
	/* Idle, the forwarder looks every second: pass on only news. */
	if (strcmp(text, f->last_stats) == 0)
		return;
	(void)snprintf(f->last_stats, sizeof(f->last_stats), "%s", text);
	(void)sd_notifyf(0, "STATUS=%s; confirmed up to seq %" PRIu64 ", %"
	    PRIu64 " behind; %" PRIu64 " lost, %" PRIu64 " refused, %" PRIu64
	    " failures", state, f->conf_seq - 1, behind, f->n_lost,
	    f->n_refused, f->n_failures);
	if (f->o->stats_file == NULL)
		return;
	r = mml_rd_write_atomic(f->o->stats_file, text, 0644, 0);
	if (r < 0) {
		/* Said once, not at every try. */
		if (r != f->stats_err)
			logmsg(LOG_WARNING, "stats file '%s': %s; trying again "
			    "at each checkpoint", f->o->stats_file,
			    strerror(-r));
		f->last_stats[0] = '\0';	/* try again next time */
	}
	f->stats_err = r < 0 ? r : 0;
}

/*
 * Writes the cursor if it moved and (force, or the interval passed).
 * A failure is logged and retried at the next checkpoint: the cursor on
 * disk only lags, which costs duplicates, never entries.
 */
static void
checkpoint(struct fwd *f, int force)
{
	uint64_t now = now_ms(), seq = f->conf_seq > 0 ? f->conf_seq - 1 : 0;
	int r;

	/*
	 * Placed by a cursor, the walk may start a little before it and
	 * skip what was forwarded: never write the cursor back.  But a
	 * file that names a ring replaced since must name the new one
	 * at once, even before anything of it is confirmed (seq 0 if it
	 * starts at 1): a forwarder started again refuses another ring's
	 * cursor.
	 */
	if (!f->cursor_stale && (f->conf_seq - 1 <= f->saved_seq ||
	    f->conf_seq <= 1))
		goto stats;
	if (!force && now - f->last_ckpt_ms < f->o->checkpoint_ms)
		return;
	r = mml_rd_cursor_file_write(f->o->cursor_file, f->ring->ring_id,
	    seq, 0644);
	/*
	 * A failure (a full or read-only file system) is said once and
	 * tried again at the next checkpoint, not at the next entry.
	 */
	f->last_ckpt_ms = now;
	if (r < 0) {
		if (r != f->ckpt_err)
			logmsg(LOG_ERR, "cursor file '%s': %s; keeping the old "
			    "one, trying again at each checkpoint",
			    f->o->cursor_file, strerror(-r));
		f->ckpt_err = r;
		goto stats;
	}
	if (f->ckpt_err != 0)
		logmsg(LOG_NOTICE, "cursor file '%s' written again",
		    f->o->cursor_file);
	f->ckpt_err = 0;
	f->saved_seq = seq;
	f->cursor_stale = 0;
stats:
	/*
	 * On a clock of their own: a cursor that cannot move (nothing
	 * confirmed) must not make every entry sent a rewrite.
	 */
	if (force || stats_flag ||
	    now - f->last_stats_ms >= f->o->checkpoint_ms) {
		f->last_stats_ms = now;
		stats_write(f, mml_fwd_out_connected(f->out) ? "sending" :
		    f->failing ? "retrying" : "idle");
	}
}

/*
 * The transport waits for answers: take those that came and write the
 * cursor when it is due, as the loop would between two entries.
 */
static void
on_wait(void *arg)
{
	struct fwd *f = arg;

	pend_confirm(f);
	checkpoint(f, 0);
}

/*
 * Remembers the position after a message just sent: an entry (its seq
 * first) or a notice (about entries from first).
 */
static int
pend_push(struct fwd *f, int entry, uint64_t first)
{
	struct pend *np;
	size_t cap, i;

	if (f->pend_n == f->pend_cap) {
		cap = f->pend_cap ? f->pend_cap * 2 : 256;
		np = calloc(cap, sizeof(*np));
		if (np == NULL)
			return -ENOMEM;
		for (i = 0; i < f->pend_n; i++)
			np[i] = f->pend[(f->pend_head + i) & (f->pend_cap - 1)];
		free(f->pend);
		f->pend = np;
		f->pend_cap = cap;
		f->pend_head = 0;
	}
	i = (f->pend_head + f->pend_n) & (f->pend_cap - 1);
	f->pend[i].off = f->it.off;
	f->pend[i].seq = f->it.seq;
	f->pend[i].first = first;
	f->pend[i].entry = entry;
	f->pend_n++;
	return 0;
}

/* Moves the confirmed position past what the transport confirmed. */
static void
pend_confirm(struct fwd *f)
{
	uint64_t c = mml_fwd_out_confirmed(f->out);
	struct pend *p;

	while (f->pend_n > 0 && f->pend_first < c) {
		p = &f->pend[f->pend_head];
		f->conf_off = p->off;
		f->conf_seq = p->seq;
		if (p->entry)
			f->n_confirmed++;
		f->pend_head = (f->pend_head + 1) & (f->pend_cap - 1);
		f->pend_n--;
		f->pend_first++;
		f->backoff_ms = 0;
		f->failing = 0;
	}
	/* Past the refused entry (sent at last, or skipped): forget it. */
	if (f->poison_tries > 0 && f->conf_seq > f->poison_seq)
		f->poison_tries = 0;
}

/*
 * The session failed after the collector took the connection, with
 * messages unconfirmed: one of them may be why.  Alone in flight, the
 * entry gets the blame (a try more); with others, they are sent again
 * one at a time to find out which.
 */
static void
note_refusal(struct fwd *f)
{
	enum mml_fwd_fail why = mml_fwd_out_failure(f->out);
	const struct pend *p, *last;

	if (f->pend_n == 0 || (why != MML_FWD_FAIL_REFUSED &&
	    why != MML_FWD_FAIL_DROPPED))
		return;
	last = &f->pend[(f->pend_head + f->pend_n - 1) & (f->pend_cap - 1)];
	if (last->seq > f->careful_until) {
		f->careful_until = last->seq;
		if (f->pend_n > 1)
			logmsg(LOG_NOTICE, "%s %s: sending the %zu unconfirmed "
			    "messages one at a time, to find the one refused",
			    f->o->to, why == MML_FWD_FAIL_REFUSED ? "refused "
			    "a message" : "dropped the session", f->pend_n);
	}
	p = &f->pend[f->pend_head];
	/* Notices are never skipped: a collector refusing them refuses all. */
	if (f->pend_n != 1 || !p->entry || f->o->max_tries == 0)
		return;
	if (f->poison_tries == 0 || f->poison_seq != p->first) {
		f->poison_seq = p->first;
		f->poison_tries = 0;
	}
	f->poison_tries++;
	logmsg(LOG_WARNING, "%s %s seq %" PRIu64 " (%" PRIu64 " of %" PRIu64
	    " tries before it is skipped)", f->o->to, why ==
	    MML_FWD_FAIL_REFUSED ? "refused" : "dropped the session at",
	    p->first, f->poison_tries, f->o->max_tries);
}

/*
 * The session failed: forget what it did not confirm, go back to the
 * confirmed position, and wait before the next attempt.
 */
static void
session_failed(struct fwd *f, const char *what)
{
	uint64_t resend;

	pend_confirm(f);
	resend = f->pend_n;
	if (mml_fwd_dest_acked(&f->o->dest))
		note_refusal(f);
	mml_fwd_out_abort(f->out);
	f->pend_n = 0;
	f->n_failures++;
	f->backoff_ms = f->backoff_ms == 0 ? BACKOFF_MIN_MS :
	    f->backoff_ms * 2;
	if (f->backoff_ms > f->o->max_backoff_ms)
		f->backoff_ms = f->o->max_backoff_ms;
	f->next_try_ms = now_ms() + f->backoff_ms;
	if (resend > 0)
		logmsg(f->failing ? LOG_NOTICE : LOG_WARNING, "%s %s: %s; %"
		    PRIu64 " unconfirmed message%s will be sent again from "
		    "seq %" PRIu64 "; retrying in %" PRIu64 " ms", what,
		    f->o->to, mml_fwd_out_error(f->out), resend,
		    resend == 1 ? "" : "s", f->conf_seq, f->backoff_ms);
	else
		logmsg(f->failing ? LOG_NOTICE : LOG_WARNING, "%s %s: %s; "
		    "retrying in %" PRIu64 " ms", what, f->o->to,
		    mml_fwd_out_error(f->out), f->backoff_ms);
	f->failing = 1;
	mml_rd_iter_seek(&f->it, f->conf_off, f->conf_seq);
	checkpoint(f, 1);
}

/* Opens a session if none is open.  Returns 0, or -1 after a failure. */
static int
ensure_session(struct fwd *f)
{
	if (mml_fwd_out_connected(f->out))
		return 0;
	if (now_ms() < f->next_try_ms) {
		/* Not yet: go back and wait. */
		mml_rd_iter_seek(&f->it, f->conf_off, f->conf_seq);
		return -1;
	}
	if (mml_fwd_out_connect(f->out) < 0) {
		session_failed(f, "cannot connect to");
		return -1;
	}
	f->n_sessions++;
	f->pend_n = 0;
	f->pend_first = 0;
	if (f->failing)
		logmsg(LOG_NOTICE, "%s %s again; sending from seq %" PRIu64,
		    f->export ? "trying" : "connected to", f->o->to,
		    f->conf_seq);
	else
		logmsg(LOG_DEBUG, "session to %s opened at seq %" PRIu64,
		    f->o->to, f->conf_seq);
	return 0;
}

/*
 * Sends a message, an entry (whose seq is first) or a notice (about
 * entries from first); in careful mode it is confirmed before the
 * next.  Returns 0, or -1 after a failure.
 */
static int
send_msg(struct fwd *f, const uint8_t *p, size_t len, int entry,
    uint64_t first)
{
	if (pend_push(f, entry, first) < 0) {
		logmsg(LOG_ERR, "%s", strerror(ENOMEM));
		session_failed(f, "out of memory sending to");
		return -1;
	}
	if (mml_fwd_out_send(f->out, p, len) < 0) {
		session_failed(f, "lost the session to");
		return -1;
	}
	f->n_sent++;
	if (f->conf_seq < f->careful_until && mml_fwd_out_flush(f->out) < 0) {
		session_failed(f, "lost the session to");
		return -1;
	}
	pend_confirm(f);
	return 0;
}

/*
 * HTTP: a stream over a memory buffer for the Journal Export Format
 * writer of client/ringread/format.c, set for the ring in f->ring.
 * Returns 0 or -ENOMEM.
 */
static int
export_init(struct fwd *f)
{
	if (f->exp_f == NULL) {
		f->exp_f = open_memstream(&f->exp_buf, &f->exp_len);
		if (f->exp_f == NULL)
			return -ENOMEM;
	}
	mml_rd_fmt_init(&f->exp, f->exp_f, MML_RD_O_EXPORT, f->ring);
	return 0;
}

/*
 * The message for an entry: RFC 5424, or for HTTP the Journal Export
 * Format, with its blank line.  With --seq-fields, an entry of the
 * ring (not a notice: named) also gets _MMLOG_SEQ and _MMLOG_RING,
 * which name it as the RFC 5424 message's seq and ring do:
 * journal-remote keeps no __CURSOR, and these let a reader find the
 * copies of an entry sent again.  Names beginning with "_" are the
 * daemon's, so no client's field can pass for them.  Not by default:
 * a field whose value differs in every entry costs journal-remote a
 * data object per entry, about 70% more work (measured: 12-13 against
 * 7.3 us of its CPU per 128-byte entry); the copies can also be told
 * by their identical __MONOTONIC_TIMESTAMP, _BOOT_ID and content.  The
 * bytes stay valid until the next call.  Returns 0 or -ENOMEM.
 */
static int
format_entry(struct fwd *f, const struct mml_rec *rec, int named,
    const uint8_t **ret_p, size_t *ret_len)
{
	size_t off;

	if (!f->export) {
		if (mml_fwd_msg_format(&f->msg, &f->ctx, rec) < 0)
			return -ENOMEM;
		*ret_p = f->msg.p;
		*ret_len = f->msg.len;
		return 0;
	}
	/* The stream's size is its position at the flush. */
	if (fseeko(f->exp_f, 0, SEEK_SET) < 0)
		return -ENOMEM;
	mml_rd_fmt_entry(&f->exp, rec);
	if (fflush(f->exp_f) != 0 || ferror(f->exp_f) || f->exp_buf == NULL)
		return -ENOMEM;
	/* Before the blank line that ends the entry. */
	if (named && f->o->seq_fields && f->exp_len > 0 && f->exp_buf[f->exp_len - 1] == '\n') {
		if (fseeko(f->exp_f, (off_t)f->exp_len - 1, SEEK_SET) < 0)
			return -ENOMEM;
		(void)fprintf(f->exp_f, "_MMLOG_SEQ=%" PRIu64 "\n"
		    "_MMLOG_RING=%s\n\n", rec->hdr.seq, f->ctx.ring_hex);
		if (fflush(f->exp_f) != 0 || ferror(f->exp_f))
			return -ENOMEM;
	}
	off = export_trim(f->exp_buf, f->exp_len);
	*ret_p = (const uint8_t *)f->exp_buf + off;
	*ret_len = f->exp_len - off;
	return 0;
}

/*
 * Leaves out of an entry in the Journal Export Format, p[0, len), the
 * "__" lines journal-remote does not know, and returns where the entry
 * now starts.  It reads __REALTIME_TIMESTAMP and __MONOTONIC_TIMESTAMP,
 * ignores __CURSOR (kept: it names the entry to whoever reads the
 * bodies), and logs a notice for any other: __SEQNUM, which the export
 * writes as journalctl's does, cost it a log line for every entry
 * (measured: a writev an entry, 10 against 7 us of its CPU an entry),
 * and its host's journal as many lines.  These lines come first, and
 * are text; those kept move down over those left out.
 */
static size_t
export_trim(char *p, size_t len)
{
	static const char *const known[] = { "__CURSOR=",
	    "__REALTIME_TIMESTAMP=", "__MONOTONIC_TIMESTAMP=" };
	struct {
		size_t	 off;
		size_t	 len;
	} keep[3];
	const char *nl;
	size_t i = 0, n, k = 0, j, dst;

	while (len - i > 2 && p[i] == '_' && p[i + 1] == '_') {
		nl = memchr(p + i, '\n', len - i);
		if (nl == NULL)
			break;
		n = (size_t)(nl - (p + i)) + 1;
		for (j = 0; j < 3 && k < 3; j++) {
			if (n > strlen(known[j]) && memcmp(p + i, known[j],
			    strlen(known[j])) == 0) {
				keep[k].off = i;
				keep[k++].len = n;
				break;
			}
		}
		i += n;
	}
	/* Each line moves towards the end: the last one first. */
	dst = i;
	while (k > 0) {
		k--;
		dst -= keep[k].len;
		memmove(p + dst, p + keep[k].off, keep[k].len);
	}
	return dst;
}

/* The notice of n entries from first not forwarded, as format_entry(). */
static int
format_notice(struct fwd *f, uint64_t first, uint64_t n,
    enum mml_fwd_loss why, const uint8_t **ret_p, size_t *ret_len)
{
	static uint8_t buf[MML_FWD_LOST_REC_MAX];
	struct mml_rec rec;

	if (!f->export) {
		if (mml_fwd_msg_lost(&f->msg, &f->ctx, first, n, why,
		    (uint32_t)getpid(), mml_now_usec(CLOCK_REALTIME)) < 0)
			return -ENOMEM;
		*ret_p = f->msg.p;
		*ret_len = f->msg.len;
		return 0;
	}
	if (mml_fwd_msg_lost_rec(&rec, buf, sizeof(buf), &f->ctx, first, n,
	    why, mml_now_usec(CLOCK_REALTIME),
	    mml_now_usec(CLOCK_MONOTONIC)) < 0)
		return -ENOMEM;
	return format_entry(f, &rec, 0, ret_p, ret_len);
}

/* Tells the collector that n entries from first were not forwarded. */
static void
send_notice(struct fwd *f, uint64_t first, uint64_t n, enum mml_fwd_loss why)
{
	const uint8_t *p;
	size_t len;

	if (ensure_session(f) < 0)
		return;
	if (format_notice(f, first, n, why, &p, &len) < 0) {
		logmsg(LOG_ERR, "%s", strerror(ENOMEM));
		session_failed(f, "out of memory sending to");
		return;
	}
	(void)send_msg(f, p, len, 0, first);
}

/*
 * Adds seqs [lo, hi) to those counted as lost.  Returns how many of
 * them were not counted yet.  A walk may pass entries that a later walk
 * from the same confirmed position finds overwritten (the collector
 * failed meanwhile), so gaps come in any order and overlap.
 */
static uint64_t
lost_add(struct fwd *f, uint64_t lo, uint64_t hi)
{
	struct span *sp;
	uint64_t n = hi - lo, a, b;
	size_t i, o = 0;

	for (i = 0; i < f->lost_n; i++) {
		a = f->lost[i].lo > lo ? f->lost[i].lo : lo;
		b = f->lost[i].hi < hi ? f->lost[i].hi : hi;
		if (a < b)
			n -= b - a;
	}
	/* Keep the spans above conf_seq that do not touch [lo, hi). */
	for (i = 0; i < f->lost_n; i++) {
		sp = &f->lost[i];
		if (sp->hi <= f->conf_seq)
			continue;
		if (sp->hi < lo || sp->lo > hi) {
			f->lost[o++] = *sp;
			continue;
		}
		if (sp->lo < lo)
			lo = sp->lo;
		if (sp->hi > hi)
			hi = sp->hi;
	}
	sp = realloc(f->lost, (o + 1) * sizeof(*sp));
	if (sp == NULL && f->lost == NULL) {
		f->lost_n = 0;
		return n;
	}
	if (sp == NULL) {
		/* Forget the older ones: a later count may be too high. */
		o = 0;
		sp = f->lost;
	} else
		f->lost = sp;
	for (i = o; i > 0 && sp[i - 1].lo > lo; i--)
		sp[i] = sp[i - 1];
	sp[i].lo = lo;
	sp[i].hi = hi;
	f->lost_n = o + 1;
	return n;
}

/*
 * The iterator skipped entries: overwritten (LOST) or damaged
 * (CORRUPT).  Says so once, counts them, and tells the collector too.
 */
static void
note_gap(struct fwd *f, int damaged)
{
	uint64_t first = f->it.gap_seq, end = first + f->it.gap, n;

	/* Entries below skip_below were forwarded before. */
	if (first < f->skip_below)
		first = f->skip_below;
	if (end <= first)
		return;
	n = lost_add(f, first, end);
	if (n > 0) {
		if (damaged)
			f->n_damaged += n;
		else
			f->n_lost += n;
		logmsg(LOG_WARNING, "%" PRIu64 " entr%s of seqs %" PRIu64 "..%"
		    PRIu64 " %s; counted (%s=%" PRIu64 ")", n, n == 1 ? "y" :
		    "ies", first, end - 1, damaged ? "skipped as damaged in "
		    "the ring" : "overwritten in the ring before they were "
		    "forwarded", damaged ? "damaged" : "lost",
		    damaged ? f->n_damaged : f->n_lost);
	}
	send_notice(f, first, end - first, damaged ? MML_FWD_LOSS_DAMAGED :
	    MML_FWD_LOSS_OVERWRITTEN);
}

/*
 * Places the iterator before the first entry with seq >= want, as
 * `mmlogctl show --after-cursor` does, and makes that the confirmed
 * position.  If want was overwritten since, the iterator's first step
 * reports the entries lost from want on (the record at the tail does
 * not carry want), and so does every walk again from there.
 */
static void
place(struct fwd *f, uint64_t want)
{
	struct mml_disk_header h;

	mml_rd_ring_header(f->ring, &h);
	mml_rd_iter_tail(&f->it);
	f->skip_below = want;
	if (want < f->it.seq)
		mml_rd_iter_seek(&f->it, f->it.off, want);
	else if (want >= h.head_seq)
		mml_rd_iter_seek(&f->it, h.head_off, h.head_seq);
	else {
		uint64_t damaged = f->ring->idx_damaged;

		(void)mml_rd_iter_seek_key(&f->it, 0, want);
		if (f->ring->idx_damaged > damaged)
			logmsg(LOG_WARNING, "%s: damaged slots in the seek "
			    "index; found seq %" PRIu64 " by bisecting the "
			    "data instead", f->ring->path, want);
	}
	f->conf_off = f->it.off;
	f->conf_seq = f->it.seq;
}

/*
 * Waits until the daemon says the ring grew, a signal comes, or
 * timeout_ms pass (client/ringread/follow.c).  Returns 0, or -1 if
 * poll() failed.
 */
static int
wait_ring(struct fwd *f, uint64_t timeout_ms)
{
	int ev;

	ev = mml_rd_follow_wait(&f->fw, timeout_ms < POLL_NOTIFY_MS ?
	    (int)timeout_ms : POLL_NOTIFY_MS);
	if (ev < 0) {
		logmsg(LOG_ERR, "poll: %s", strerror(-ev));
		return -1;
	}
	if (ev == MML_RD_FOLLOW_REFUSED)
		logmsg(LOG_NOTICE, "mmlogd refused to notify us (%s); polling "
		    "the ring instead", f->fw.why);
	return 0;
}

/*
 * The file at the path is another one now, or our mapping no longer
 * holds a ring.  Confirms what was sent from the old one, then goes on
 * in the new one, nr: from the same place if it is the same ring, else
 * from its tail.
 */
static void
reopen(struct fwd *f, struct mml_rd_ring *nr)
{
	if (f->pend_n > 0) {
		if (mml_fwd_out_flush(f->out) < 0)
			session_failed(f, "lost the session to");
		else
			pend_confirm(f);
	}
	checkpoint(f, 1);
	if (mml_rd_follow_switch(&f->it, &f->ring, nr)) {
		place(f, f->conf_seq);
		return;
	}
	logmsg(LOG_WARNING, "%s: the ring was re-created; forwarding the new "
	    "one from its oldest entry", nr->path);
	(void)mml_fwd_msg_ctx_init(&f->ctx, f->o->hostname, f->o->sd_id,
	    nr->ring_id, f->o->facility);
	if (f->export)
		(void)export_init(f);
	f->lost_n = 0;
	f->refused_upto = 0;
	f->careful_until = 0;
	f->poison_tries = 0;
	f->saved_seq = 0;
	f->cursor_stale = 1;
	mml_rd_iter_tail(&f->it);
	f->skip_below = 0;
	f->conf_off = f->it.off;
	f->conf_seq = f->it.seq;
	checkpoint(f, 1);
}

/*
 * Sends one entry, unless it was forwarded before we started, or the
 * collector refused it max_tries times: then a notice goes in its
 * place.
 */
static void
forward_entry(struct fwd *f, const struct mml_rec *rec)
{
	const uint8_t *p;
	size_t len;

	if (rec->hdr.seq < f->skip_below) {
		if (f->pend_n == 0) {
			f->conf_off = f->it.off;
			f->conf_seq = f->it.seq;
		}
		return;
	}
	if (f->poison_tries > 0 && f->poison_seq == rec->hdr.seq &&
	    f->poison_tries >= f->o->max_tries) {
		if (rec->hdr.seq >= f->refused_upto) {
			f->n_refused++;
			f->refused_upto = rec->hdr.seq + 1;
			logmsg(LOG_WARNING, "%s refused seq %" PRIu64 " %" PRIu64
			    " times; skipping it, and telling the collector "
			    "(refused=%" PRIu64 ")", f->o->to, rec->hdr.seq,
			    f->poison_tries, f->n_refused);
		}
		send_notice(f, rec->hdr.seq, 1, MML_FWD_LOSS_REFUSED);
		checkpoint(f, 0);
		return;
	}
	if (ensure_session(f) < 0)
		return;
	if (format_entry(f, rec, 1, &p, &len) < 0) {
		logmsg(LOG_ERR, "%s", strerror(ENOMEM));
		session_failed(f, "out of memory sending to");
		return;
	}
	(void)send_msg(f, p, len, 1, rec->hdr.seq);
	checkpoint(f, 0);
}

/*
 * The walk reached the head: push out what waits and take the answers
 * that came; after a short wait for more (once, if idle_ms allows),
 * confirm everything and end the session; write the cursor, then wait
 * for the ring to grow.  Returns 0 to go on, 1 to stop (--once), -1 if
 * waiting failed.
 */
static int
caught_up(struct fwd *f, int *idled)
{
	if (mml_fwd_out_connected(f->out)) {
		if (mml_fwd_out_poll(f->out) < 0) {
			session_failed(f, "lost the session to");
			return 0;
		}
		pend_confirm(f);
		/* More may come at once (not worth waiting for with
		 * --once). */
		if (!*idled && f->o->idle_ms > 0 && !f->o->once) {
			*idled = 1;
			return wait_ring(f, f->o->idle_ms);
		}
		if (mml_fwd_out_close(f->out) < 0) {
			session_failed(f, "lost the session to");
			return 0;
		}
		pend_confirm(f);
		logmsg(LOG_DEBUG, "confirmed up to seq %" PRIu64,
		    f->conf_seq - 1);
	}
	checkpoint(f, 1);
	if (f->o->once)
		return 1;
	*idled = 0;
	return wait_ring(f, POLL_NOTIFY_MS);
}

/* The forwarding loop, until a signal or (--once) until caught up. */
static int
run(struct fwd *f)
{
	struct mml_rd_ring *nr;
	struct mml_rec rec;
	uint64_t now;
	int step, idled = 0, r, look = 1;

	while (!stop_flag) {
		if (stats_flag)
			checkpoint(f, 1);
		now = now_ms();
		/*
		 * Whether the ring was replaced costs a stat(2): look at the
		 * end of each walk, after a SIGBUS, and every second of a
		 * long walk, not at every entry.
		 */
		if (look || mml_rd_sigbus_hit() ||
		    now - f->last_reopen_ms >= REOPEN_CHECK_MS) {
			look = 0;
			f->last_reopen_ms = now;
			if (mml_rd_follow_reopen(f->ring, &nr)) {
				reopen(f, nr);
				continue;
			}
		}
		if (!mml_fwd_out_connected(f->out) && now < f->next_try_ms) {
			if (wait_ring(f, f->next_try_ms - now) < 0)
				return -1;
			continue;
		}
		step = mml_rd_iter_next(&f->it, &rec);
		switch (step) {
		case MML_RD_ENTRY:
			idled = 0;
			forward_entry(f, &rec);
			break;
		case MML_RD_LOST:
		case MML_RD_CORRUPT:
			idled = 0;
			note_gap(f, step == MML_RD_CORRUPT);
			/* After a failure the iterator is back at conf. */
			if (f->pend_n == 0) {
				f->conf_off = f->it.off;
				f->conf_seq = f->it.seq;
			}
			break;
		case MML_RD_JUMP:
			logmsg(LOG_INFO, "the daemon skipped %" PRIu64 " seqs "
			    "from %" PRIu64 " after an unclean shutdown "
			    "(nothing lost)", f->it.gap, f->it.gap_seq);
			if (f->pend_n == 0) {
				f->conf_off = f->it.off;
				f->conf_seq = f->it.seq;
			}
			break;
		case MML_RD_END:
			if ((r = caught_up(f, &idled)) != 0)
				return r < 0 ? -1 : 0;
			look = 1;
			break;
		default:
			logmsg(LOG_ERR, "reading the ring: %s",
			    strerror(-step));
			return -1;
		}
	}
	/* Stopping: confirm what was sent, if the collector lets us. */
	if (mml_fwd_out_connected(f->out)) {
		if (mml_fwd_out_close(f->out) == 0)
			pend_confirm(f);
		else if (f->pend_n > 0) {
			pend_confirm(f);
			logmsg(LOG_WARNING, "stopping: %" PRIu64 " messages not "
			    "confirmed by %s (%s); they will be sent again",
			    (uint64_t)f->pend_n, f->o->to,
			    mml_fwd_out_error(f->out));
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct fwd f;
	struct sigaction sa;
	enum mml_disk_reason why;
	uint8_t cid[16];
	uint64_t cseq = 0;
	char idhex[33];
	int r, have_cursor, rc = EXIT_FAILURE;

	memset(&o, 0, sizeof(o));
	memset(&f, 0, sizeof(f));
	f.fw.notify_fd = f.fw.ino = -1;
	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	f.o = &o;
	(void)signal(SIGPIPE, SIG_IGN);
	mml_rd_sigbus_install();
	r = mml_rd_follow_init(&f.fw, o.socket, o.file, 1, -1);
	if (r < 0) {
		logmsg(LOG_ERR, "pipe: %s", strerror(-r));
		return EXIT_FAILURE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGUSR1, &sa, NULL);

	/* Everything that can be refused is checked before anything moves. */
	have_cursor = cursor_read(o.cursor_file, cid, &cseq);
	if (have_cursor < 0)
		goto out;
	r = mml_rd_ring_open(o.file, &f.ring, &why);
	if (r < 0) {
		if (why != MML_DISK_OK)
			logmsg(LOG_ERR, "%s: %s", o.file,
			    mml_disk_reason_str(why));
		else
			logmsg(LOG_ERR, "%s: %s", o.file, strerror(-r));
		f.ring = NULL;
		goto out;
	}
	if (have_cursor && memcmp(cid, f.ring->ring_id, 16) != 0) {
		mml_rd_hex128(idhex, f.ring->ring_id);
		logmsg(LOG_ERR, "cursor file '%s' is from another ring (this "
		    "one is s=%s); remove it to forward this ring from its "
		    "oldest entry", o.cursor_file, idhex);
		goto out;
	}
	if (mml_fwd_msg_ctx_init(&f.ctx, o.hostname, o.sd_id, f.ring->ring_id,
	    o.facility) < 0) {
		logmsg(LOG_ERR, "invalid --hostname or --sd-id (RFC 5424 "
		    "names: printable ASCII without spaces, '=', ']' or '\"'; "
		    "the SD-ID with an '@')");
		rc = EXIT_USAGE;
		goto out;
	}
	f.out = mml_fwd_out_new(&o.dest, &hurry_flag);
	if (f.out != NULL)
		mml_fwd_out_on_wait(f.out, on_wait, &f,
		    (int)o.checkpoint_ms);	/* at most an hour */
	f.export = o.dest.proto == MML_FWD_HTTP ||
	    o.dest.proto == MML_FWD_HTTPS;
	if (f.out == NULL || (f.export && export_init(&f) < 0)) {
		logmsg(LOG_ERR, "%s", strerror(ENOMEM));
		goto out;
	}
	mml_rd_iter_init(&f.it, f.ring, MML_RD_COPY);
	if (have_cursor) {
		f.saved_seq = cseq;
		place(&f, cseq == UINT64_MAX ? cseq : cseq + 1);
	} else if (o.start_head) {
		struct mml_disk_header h;

		mml_rd_ring_header(f.ring, &h);
		place(&f, h.head_seq);
	} else {
		mml_rd_iter_tail(&f.it);
		f.conf_off = f.it.off;
		f.conf_seq = f.it.seq;
	}
	stats_load(&f);
	logmsg(LOG_INFO, "forwarding %s to %s from seq %" PRIu64, o.file,
	    o.to, f.conf_seq);
	(void)sd_notify(0, "READY=1");
	checkpoint(&f, 1);
	r = run(&f);
	checkpoint(&f, 1);
	stats_flag = 1;
	stats_write(&f, "stopped");
	(void)sd_notify(0, "STOPPING=1");
	rc = r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
out:
	f.out = mml_fwd_out_free(f.out);
	mml_rd_iter_done(&f.it);
	(void)mml_rd_ring_free(f.ring);
	mml_fwd_buf_free(&f.msg);
	if (f.exp_f != NULL)
		(void)fclose(f.exp_f);
	free(f.exp_buf);
	free(f.pend);
	free(f.lost);
	mml_rd_follow_done(&f.fw);
	return rc;
}
