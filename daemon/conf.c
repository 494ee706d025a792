/*
 * conf.c: mmlogd's options.  One table describes every option once: its
 * name (the long option and the configuration key are the same word),
 * type and range, its default, whether it can change while the daemon
 * runs, and its help line.  The command line, the configuration file
 * (/etc/mmlogd.conf, key = value lines), --help, --check-config and the
 * reload on SIGHUP all work from it, so adding an option is one line in
 * the table and one field in struct mml_conf.
 *
 * Precedence: built-in default, then the file, then the command line.
 * The command line's values are kept, so that a reload re-reads the file
 * and the command line still wins.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "disk.h"
#include "log.h"
#include "server.h"
#include "stdout_in.h"
#include "util.h"
#include "wire.h"

enum opt_type {
	OPT_STR,	/* a string, at most the field's size minus one */
	OPT_SIZE,	/* bytes, with K/M/G/T suffixes; aligned down to 8 */
	OPT_UINT,	/* a whole number */
	OPT_BOOL,	/* yes/no; on the command line, a flag */
	OPT_CHOICE,	/* one of the words of arg ("uid|pid"), stored as its
			   index */
};

#define OPT_LIVE	0x1	/* SIGHUP applies a new value */

struct opt {
	const char *key;	/* --key and "key =" */
	enum opt_type type;
	size_t off;		/* field in struct mml_conf */
	size_t len;		/* its size (OPT_STR) */
	uint64_t min, max;	/* OPT_SIZE, OPT_UINT */
	int flags;		/* OPT_LIVE */
	int short_opt;		/* 'v', or 0 */
	const char *arg;	/* name of the argument in --help */
	const char *def;	/* default, parsed as any value */
	const char *help;
};

#define F(field)	offsetof(struct mml_conf, field), \
			sizeof(((struct mml_conf *)0)->field)
#define STR(k, field, fl, arg, def, help) \
	{ k, OPT_STR, F(field), 0, 0, fl, 0, arg, def, help }
#define SIZE(k, field, min, max, fl, arg, def, help) \
	{ k, OPT_SIZE, F(field), min, max, fl, 0, arg, def, help }
#define UINT(k, field, min, max, fl, arg, def, help) \
	{ k, OPT_UINT, F(field), min, max, fl, 0, arg, def, help }
#define BOOL(k, field, fl, sh, def, help) \
	{ k, OPT_BOOL, F(field), 0, 1, fl, sh, NULL, def, help }
#define CHOICE(k, field, fl, arg, def, help) \
	{ k, OPT_CHOICE, F(field), 0, 0, fl, 0, arg, def, help }

/* XSTR: a number macro as a string, for the defaults. */
#define XSTR2(x)	#x
#define XSTR(x)		XSTR2(x)

static const struct opt opts[] = {
	STR("socket", socket_path, 0, "PATH", MML_DEFAULT_SOCKET,
	    "listening socket, if systemd passes none"),
	STR("file", file_path, 0, "PATH", MML_DEFAULT_FILE, "the ring file"),
	SIZE("size", size, MML_DISK_CAP_MIN, MML_DISK_CAP_MAX, 0, "SIZE",
	    "64M", "ring data size, K/M/G/T suffixes"),
	BOOL("resize", resize, 0, 0, "no",
	    "a smaller size may discard old entries"),
	UINT("max-entry", max_entry, 1, MML_FRAME_MAX - 64, OPT_LIVE,
	    "BYTES", XSTR(MML_DEFAULT_MAX_ENTRY),
	    "largest tag+message+fields accepted"),
	UINT("sync-interval", sync_interval_ms, 1, 3600000, OPT_LIVE, "MS",
	    XSTR(MML_DEFAULT_SYNC_MS), "sync unasked data this often"),
	UINT("max-clients", max_clients, 1, 1000000, OPT_LIVE, "N",
	    XSTR(MML_DEFAULT_MAX_CLIENTS), "concurrent clients"),
	UINT("max-clients-per-uid", max_clients_per_uid, 1, 1000000, OPT_LIVE,
	    "N", XSTR(MML_DEFAULT_MAX_CLIENTS_PER_UID),
	    "concurrent clients (and stdout streams) of one uid, not root's "
	    "or mmlogd's"),
	UINT("reserved-clients", reserved_clients, 0, 1000000, OPT_LIVE, "N",
	    XSTR(MML_DEFAULT_RESERVED_CLIENTS),
	    "of max-clients (and max-streams), kept for root and mmlogd's "
	    "uid"),
	UINT("idle-timeout", idle_timeout_s, 0, 86400 * 365, OPT_LIVE, "S",
	    XSTR(MML_DEFAULT_IDLE_S), "close clients idle this long, 0 never"),
	UINT("max-fields", max_fields, 0, 65535, OPT_LIVE, "N",
	    XSTR(MML_DEFAULT_MAX_FIELDS), "fields per entry"),
	UINT("max-pending", max_pending, 1, MML_MAX_PENDING_MAX, OPT_LIVE, "N",
	    XSTR(MML_DEFAULT_MAX_PENDING),
	    "sync requests awaiting ACK, per client"),
	UINT("max-pending-per-uid", max_pending_per_uid, 1, 1000000000,
	    OPT_LIVE, "N", XSTR(MML_DEFAULT_MAX_PENDING_PER_UID),
	    "sync requests awaiting ACK, per uid (not root's or mmlogd's)"),
	UINT("uid-share", uid_share, 0, 100, OPT_LIVE, "PERCENT",
	    XSTR(MML_DEFAULT_UID_SHARE),
	    "of the ring one uid may write per uid-share-interval, 0 off"),
	UINT("uid-share-interval", uid_share_interval_s, 1, 86400, OPT_LIVE,
	    "S", XSTR(MML_DEFAULT_UID_SHARE_S), "the uid-share period"),
	UINT("rate-limit-interval", rate_limit_interval_ms, 0, 86400000,
	    OPT_LIVE, "MS", "0", "per-sender rate limit window, 0 off"),
	UINT("rate-limit-burst", rate_limit_burst, 1, 100000000, OPT_LIVE,
	    "N", XSTR(MML_DEFAULT_RATE_BURST),
	    "entries per sender per window"),
	CHOICE("rate-limit-by", rate_limit_by, OPT_LIVE, "uid|pid", "uid",
	    "what one sender is"),
	/* Empty by default: no change of user, the ring's group as made. */
	STR("user", user, 0, "NAME", "",
	    "started as root: run as NAME once socket and ring are open"),
	STR("group", group, 0, "NAME", "",
	    "the ring's group, who may read it (mode 0640)"),
	BOOL("verbose", verbose, OPT_LIVE, 'v', "no", "debug diagnostics"),
	/* Empty by default: no such intake unless systemd passes its socket. */
	STR("syslog-socket", syslog_socket, 0, "PATH", "",
	    "syslog datagrams (/dev/log), SOCK_DGRAM"),
	STR("journal-socket", journal_socket, 0, "PATH", "",
	    "journald's native protocol, SOCK_DGRAM"),
	STR("stdout-socket", stdout_socket, 0, "PATH", "",
	    "stdout streams (systemd-cat), SOCK_STREAM"),
	BOOL("kmsg", kmsg, 0, 0, "no", "read the kernel log, /dev/kmsg"),
	UINT("max-streams", max_streams, 1, 1000000, 0, "N",
	    XSTR(MML_DEFAULT_MAX_STREAMS), "stdout streams at once"),
	/* The words in enum mml_ring_write's order (ring.h). */
	CHOICE("ring-write", ring_write, 0, "map|pwrite", "pwrite",
	    "how records reach the ring file"),
};
#define N_OPTS	(sizeof(opts) / sizeof(opts[0]))
_Static_assert(N_OPTS <= MML_CONF_MAX, "raise MML_CONF_MAX");

/* Options of the command line only, after the table's in getopt's list. */
enum {
	LOPT_CONFIG = 1000,
	LOPT_CHECK,
};

static int parse_value(const struct opt *, const char *, struct mml_conf *,
    char *, size_t);

static void *
field(struct mml_conf *c, const struct opt *o)
{
	return (char *)c + o->off;
}

static const void *
cfield(const struct mml_conf *c, const struct opt *o)
{
	return (const char *)c + o->off;
}

static int
parse_bool(const char *s, uint64_t *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*ret = 1;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*ret = 0;
			return 0;
		}
	}
	return -EINVAL;
}

/* The index of word in words ("uid|pid"); -EINVAL if absent. */
static int
choice_index(const char *words, const char *word, uint64_t *ret)
{
	size_t n = strlen(word);
	uint64_t i = 0;
	const char *p = words, *e;

	for (;;) {
		e = strchr(p, '|');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == n && n > 0 && memcmp(p, word, n) == 0) {
			*ret = i;
			return 0;
		}
		if (*e == '\0')
			return -EINVAL;
		p = e + 1;
		i++;
	}
}

/* The word at index i of words, into buf. */
static void
choice_word(const char *words, uint64_t i, char *buf, size_t len)
{
	const char *p = words, *e;

	for (;;) {
		e = strchr(p, '|');
		if (e == NULL)
			e = p + strlen(p);
		if (i == 0 || *e == '\0') {
			(void)snprintf(buf, len, "%.*s", (int)(e - p), p);
			return;
		}
		p = e + 1;
		i--;
	}
}

/*
 * Checks value for option o and stores it in c.  On error returns
 * -EINVAL with what was expected in why.
 */
static int
parse_value(const struct opt *o, const char *value, struct mml_conf *c,
    char *why, size_t why_len)
{
	uint64_t v;
	size_t i, n;

	switch (o->type) {
	case OPT_STR:
		n = strlen(value);
		if (n == 0) {
			(void)snprintf(why, why_len, "expected a %s, not "
			    "nothing", o->arg);
			return -EINVAL;
		}
		if (n >= o->len) {
			(void)snprintf(why, why_len, "too long: more than "
			    "%zu bytes", o->len - 1);
			return -EINVAL;
		}
		for (i = 0; i < n; i++)
			if (iscntrl((unsigned char)value[i])) {
				(void)snprintf(why, why_len, "control "
				    "character in the %s", o->arg);
				return -EINVAL;
			}
		memcpy(field(c, o), value, n + 1);
		return 0;
	case OPT_SIZE:
		if (mml_parse_size(value, &v) < 0 || v < o->min || v > o->max) {
			(void)snprintf(why, why_len, "expected a size from "
			    "64K to 1T, such as 64M");
			return -EINVAL;
		}
		v &= ~(uint64_t)(MML_DISK_ALIGN - 1);
		break;
	case OPT_UINT:
		if (mml_parse_range(value, o->min, o->max, &v) < 0) {
			(void)snprintf(why, why_len, "expected a whole number "
			    "from %llu to %llu (%s)",
			    (unsigned long long)o->min,
			    (unsigned long long)o->max, o->arg);
			return -EINVAL;
		}
		break;
	case OPT_BOOL:
		if (parse_bool(value, &v) < 0) {
			(void)snprintf(why, why_len, "expected yes or no");
			return -EINVAL;
		}
		break;
	case OPT_CHOICE:
		if (choice_index(o->arg, value, &v) < 0) {
			(void)snprintf(why, why_len, "expected one of %s",
			    o->arg);
			return -EINVAL;
		}
		break;
	default:
		return -EINVAL;
	}
	memcpy(field(c, o), &v, sizeof(v));
	return 0;
}

static const struct opt *
find_key(const char *key)
{
	size_t i;

	for (i = 0; i < N_OPTS; i++)
		if (strcmp(opts[i].key, key) == 0)
			return &opts[i];
	return NULL;
}

void
mml_conf_usage(FILE *f)
{
	char left[64];
	size_t i;

	(void)fprintf(f, "usage: mmlogd [options]\n");
	for (i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];

		if (o->short_opt)
			(void)snprintf(left, sizeof(left), "-%c, --%s",
			    o->short_opt, o->key);
		else if (o->arg != NULL)
			(void)snprintf(left, sizeof(left), "--%s %s", o->key,
			    o->arg);
		else
			(void)snprintf(left, sizeof(left), "--%s", o->key);
		(void)fprintf(f, "  %-24s %s (default %s)\n", left, o->help,
		    o->def[0] != '\0' ? o->def : "none");
	}
	(void)fprintf(f,
	    "  %-24s read FILE instead of %s\n"
	    "  %-24s check the configuration, print it, and exit\n"
	    "  %-24s print the version\n"
	    "  %-24s this text\n"
	    "Every option but the last four is also a key of the configuration "
	    "file\n(\"key = value\"); the command line overrides the file.\n",
	    "--config FILE", MML_DEFAULT_CONFIG, "--check-config",
	    "-V, --version", "-h, --help");
}

int
mml_conf_args(struct mml_conf *c, int argc, char **argv)
{
	struct option longopts[N_OPTS + 5];
	struct mml_conf scratch;
	char shorts[2 * N_OPTS + 4], why[160];
	const char *env;
	size_t i, ns = 0;
	int ch, action = MML_CONF_RUN;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < N_OPTS; i++) {
		longopts[i].name = opts[i].key;
		longopts[i].has_arg = opts[i].type == OPT_BOOL ?
		    no_argument : required_argument;
		longopts[i].flag = NULL;
		longopts[i].val = opts[i].short_opt ? opts[i].short_opt :
		    (int)(256 + i);
		if (opts[i].short_opt)
			shorts[ns++] = (char)opts[i].short_opt;
	}
	longopts[i++] = (struct option){ "config", required_argument, NULL,
	    LOPT_CONFIG };
	longopts[i++] = (struct option){ "check-config", no_argument, NULL,
	    LOPT_CHECK };
	longopts[i++] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[i++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[i] = (struct option){ NULL, 0, NULL, 0 };
	memcpy(shorts + ns, "Vh", 3);

	env = getenv("MMLOGD_CONFIG");
	if (env != NULL && *env != '\0') {
		c->config_path = env;
		c->config_explicit = 1;
	} else
		c->config_path = MML_DEFAULT_CONFIG;
	while ((ch = mml_getopt_long(argc, argv, shorts, longopts, NULL)) !=
	    -1) {
		const struct opt *o = NULL;

		switch (ch) {
		case LOPT_CONFIG:
			c->config_path = optarg;
			c->config_explicit = 1;
			continue;
		case LOPT_CHECK:
			action = MML_CONF_CHECK;
			continue;
		case 'V':
			return MML_CONF_VERSION;
		case 'h':
			return MML_CONF_HELP;
		case '?':
			return -EINVAL;
		}
		if (ch >= 256 && ch < 256 + (int)N_OPTS)
			o = &opts[ch - 256];
		for (i = 0; o == NULL && i < N_OPTS; i++)
			if (opts[i].short_opt == ch)
				o = &opts[i];
		if (o == NULL)
			return -EINVAL;
		/* Checked now, applied over the file's values by load. */
		if (o->type == OPT_BOOL)
			optarg = (char *)"yes";
		if (parse_value(o, optarg, &scratch, why, sizeof(why)) < 0) {
			(void)fprintf(stderr, "mmlogd: --%s '%s': %s\n", o->key,
			    optarg, why);
			return -EINVAL;
		}
		c->cmdline[o - opts] = optarg;
	}
	if (optind < argc) {
		(void)fprintf(stderr, "mmlogd: unexpected argument '%s'\n",
		    argv[optind]);
		return -EINVAL;
	}
	return action;
}

/* Strips leading and trailing blanks in place. */
static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * A configuration file is small: a line longer than this is refused, and
 * reading stops after CONF_FILE_MAX bytes, so that a wrong path (a
 * device, /dev/zero) cannot make the daemon read without end.
 */
#define CONF_LINE_MAX	8192
#define CONF_FILE_MAX	(1024 * 1024)

/*
 * The next line of f into buf (NUL-terminated, without its newline);
 * total counts the bytes read so far.  Returns 1, 0 at the end of the file, -E2BIG
 * for a line longer than CONF_LINE_MAX (the rest of it is skipped),
 * -EFBIG past CONF_FILE_MAX bytes, -EILSEQ for a NUL byte in the line.
 */
static int
conf_line(FILE *f, char *buf, size_t *total)
{
	size_t n = 0;
	int ch, r = 1;

	while ((ch = getc(f)) != EOF) {
		if (++*total > CONF_FILE_MAX)
			return -EFBIG;
		if (ch == '\n')
			break;
		if (ch == '\0')
			r = -EILSEQ;
		else if (n < CONF_LINE_MAX)
			buf[n++] = (char)ch;
		else if (r == 1)
			r = -E2BIG;
	}
	if (ch == EOF && n == 0 && r == 1)
		return 0;
	buf[n] = '\0';
	return r;
}

/*
 * Opens the configuration file: a regular file, or a character device
 * (/dev/null, for none); never waiting on a FIFO nobody writes to.
 */
static FILE *
conf_open(const char *path)
{
	struct stat st;
	FILE *f;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) &&
	    !S_ISCHR(st.st_mode))) {
		(void)close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return NULL;
	}
	f = fdopen(fd, "r");
	if (f == NULL)
		(void)close(fd);
	return f;
}

/*
 * Reads the file into c.  Every error names the file and the line; all
 * of them are reported, then -EINVAL.  A missing default file is no
 * error (the defaults apply); a missing file the user named is.
 */
static int
conf_read(struct mml_conf *c)
{
	FILE *f;
	char *line = NULL, *key, *value, *eq, why[160];
	size_t total = 0;
	unsigned lineno = 0;
	int bad = 0, r;

	f = conf_open(c->config_path);
	if (f == NULL) {
		if (errno == ENOENT && !c->config_explicit)
			return 0;
		if (errno == EINVAL) {
			mml_log(LOG_ERR, "configuration '%s': not a regular "
			    "file", c->config_path);
			return -EINVAL;
		}
		return mml_log_errno(errno, "configuration '%s'",
		    c->config_path);
	}
	line = malloc(CONF_LINE_MAX + 1);
	if (line == NULL) {
		(void)fclose(f);
		return mml_log_errno(ENOMEM, "configuration '%s'",
		    c->config_path);
	}
	while ((r = conf_line(f, line, &total)) != 0) {
		const struct opt *o;
		size_t i;

		lineno++;
		if (r == -EFBIG) {
			mml_log(LOG_ERR, "%s:%u: the file is larger than %d "
			    "bytes; not read further", c->config_path, lineno,
			    CONF_FILE_MAX);
			bad = 1;
			break;
		}
		if (r == -EILSEQ) {
			mml_log(LOG_ERR, "%s:%u: NUL byte in the line",
			    c->config_path, lineno);
			bad = 1;
			continue;
		}
		if (r == -E2BIG) {
			mml_log(LOG_ERR, "%s:%u: line longer than %d bytes",
			    c->config_path, lineno, CONF_LINE_MAX);
			bad = 1;
			continue;
		}
		key = trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL) {
			mml_log(LOG_ERR, "%s:%u: expected 'key = value' or a "
			    "# comment", c->config_path, lineno);
			bad = 1;
			continue;
		}
		*eq = '\0';
		key = trim(key);
		value = trim(eq + 1);
		o = find_key(key);
		if (o == NULL) {
			char esc[4 * 40 + 8];

			mml_log(LOG_ERR, "%s:%u: unknown key %s (see mmlogd "
			    "--help)", c->config_path, lineno,
			    mml_log_escape(esc, key, strlen(key), 40));
			bad = 1;
			continue;
		}
		i = (size_t)(o - opts);
		if (c->line[i] != 0) {
			mml_log(LOG_ERR, "%s:%u: %s is already set on line %u",
			    c->config_path, lineno, o->key, c->line[i]);
			bad = 1;
			continue;
		}
		if (parse_value(o, value, c, why, sizeof(why)) < 0) {
			char esc[4 * 80 + 8];

			mml_log(LOG_ERR, "%s:%u: %s = %s: %s", c->config_path,
			    lineno, o->key, mml_log_escape(esc, value,
			    strlen(value), 80), why);
			bad = 1;
			continue;
		}
		c->line[i] = lineno;
	}
	if (ferror(f)) {
		(void)mml_log_errno(errno, "read '%s'", c->config_path);
		bad = 1;
	}
	free(line);
	(void)fclose(f);
	return bad ? -EINVAL : 0;
}

int
mml_conf_load(struct mml_conf *c)
{
	char why[160];
	size_t i;
	int r;

	for (i = 0; i < N_OPTS; i++) {
		c->line[i] = 0;
		/* An empty default (user, group): unset, never a value. */
		if (opts[i].type == OPT_STR && opts[i].def[0] == '\0') {
			memset(field(c, &opts[i]), 0, opts[i].len);
			continue;
		}
		if (parse_value(&opts[i], opts[i].def, c, why, sizeof(why)) < 0)
			abort();	/* a default that does not parse */
	}
	r = conf_read(c);
	if (r < 0)
		return r;
	for (i = 0; i < N_OPTS; i++)
		if (c->cmdline[i] != NULL &&
		    parse_value(&opts[i], c->cmdline[i], c, why,
		    sizeof(why)) < 0)
			return -EINVAL;	/* checked by mml_conf_args() */
	return 0;
}

uint64_t
mml_conf_min_cap(const struct mml_conf *c)
{
	uint64_t min_cap;

	/* Room for four of the largest records, so eviction always works. */
	min_cap = 4 * mml_disk_rec_size(MML_COMM_MAX, 0, c->max_entry, 0);
	return min_cap < MML_DISK_CAP_MIN ? MML_DISK_CAP_MIN : min_cap;
}

/* The option's value as it would be written in the file. */
static void
format_value(const struct mml_conf *c, const struct opt *o, char *buf,
    size_t len)
{
	uint64_t v;

	if (o->type == OPT_STR) {
		(void)snprintf(buf, len, "%s", (const char *)cfield(c, o));
		return;
	}
	memcpy(&v, cfield(c, o), sizeof(v));
	if (o->type == OPT_BOOL)
		(void)snprintf(buf, len, "%s", v ? "yes" : "no");
	else if (o->type == OPT_CHOICE)
		choice_word(o->arg, v, buf, len);
	else
		(void)snprintf(buf, len, "%llu", (unsigned long long)v);
}

void
mml_conf_print(const struct mml_conf *c, FILE *f)
{
	char buf[PATH_MAX];
	size_t i;

	(void)fprintf(f, "# mmlogd: the configuration in effect\n");
	for (i = 0; i < N_OPTS; i++) {
		format_value(c, &opts[i], buf, sizeof(buf));
		/* Unset (user, group): a comment, so the output reads back. */
		if (buf[0] == '\0') {
			(void)fprintf(f, "# %s =\t# not set\n", opts[i].key);
			continue;
		}
		(void)fprintf(f, "%s = %s", opts[i].key, buf);
		if (c->cmdline[i] != NULL)
			(void)fprintf(f, "\t# command line\n");
		else if (c->line[i] != 0)
			(void)fprintf(f, "\t# %s:%u\n", c->config_path,
			    c->line[i]);
		else
			(void)fprintf(f, "\t# default\n");
	}
}

int
mml_conf_update(struct mml_conf *cur, const struct mml_conf *next)
{
	char a[PATH_MAX], b[PATH_MAX];
	size_t i;
	int n = 0;

	for (i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];

		format_value(cur, o, a, sizeof(a));
		format_value(next, o, b, sizeof(b));
		cur->line[i] = next->line[i];
		if (strcmp(a, b) == 0)
			continue;
		if (!(o->flags & OPT_LIVE)) {
			mml_log(LOG_WARNING, "SIGHUP: %s = %s needs a restart; "
			    "keeping %s until then", o->key, b, a);
			continue;
		}
		mml_log(LOG_NOTICE, "SIGHUP: %s changed from %s to %s", o->key,
		    a, b);
		memcpy(field(cur, o), cfield(next, o),
		    o->type == OPT_STR ? o->len : sizeof(uint64_t));
		n++;
	}
	return n;
}

int
mml_conf_is_set(const struct mml_conf *c, const char *key)
{
	const struct opt *o = find_key(key);
	size_t i;

	if (o == NULL)
		return 0;
	i = (size_t)(o - opts);
	return c->cmdline[i] != NULL || c->line[i] != 0;
}

int
mml_conf_check(const struct mml_conf *c)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < N_OPTS; i++) {
		if (opts[i].type == OPT_STR) {
			if (memchr(cfield(c, &opts[i]), '\0', opts[i].len) ==
			    NULL)
				return -ERANGE;
			continue;
		}
		memcpy(&v, cfield(c, &opts[i]), sizeof(v));
		if (opts[i].type == OPT_SIZE && v % MML_DISK_ALIGN != 0)
			return -ERANGE;
		if (opts[i].type == OPT_UINT && (v < opts[i].min ||
		    v > opts[i].max))
			return -ERANGE;
	}
	return 0;
}
