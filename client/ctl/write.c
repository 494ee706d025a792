/*
 * write.c: mmlogctl write, logger(1) for mmlogd: logs the message of the
 * arguments, or one entry per line of standard input or of -f FILE,
 * through libmmlogclient, with logger's options: -p [facility.]level
 * (PRIORITY, and SYSLOG_FACILITY when a facility is named), -t, -i and
 * --id[=ID], -s, -e, --sd-id and --sd-param (as the fields the syslog
 * intake makes of RFC 5424 structured data); with --sync, waits until
 * the entries are durable and prints the sequence number reached.
 *
 * logger's -i puts the logger's pid in the syslog header, where journald
 * finds SYSLOG_PID.  Our entries always carry the writer's pid as the
 * kernel reported it (_PID), which is that pid, so -i adds nothing;
 * --id=ID, another pid (a script's $$), is kept as the field MMLOG_ID,
 * since SYSLOG_PID is the daemon's to set (our protocol refuses it from
 * a client).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "mmlog.h"
#include "util.h"
#include "wire.h"

/* The structured fields of the command line, each a copy of its own. */
struct fields {
	struct mmlog_field *v;
	char		**keys;
	char		**vals;
	size_t		 n;
};

/* What every entry of this run gets. */
struct wr {
	const struct mml_ctl_opts *o;
	struct mmlog_client *c;
	const char	*tag;
	int		 level;
	int		 facility;	/* -1: none named */
	struct fields	 f;
	size_t		 msg_max;	/* the longest message a frame holds */
	uint64_t	 line;		/* of stdin or -f FILE; 0: arguments */
};

static const char *why(int);
static int	 fields_make(struct wr *);
static int	 field_add(struct fields *, char *, char *, size_t);
static int	 sd_fields(struct wr *);
static void	 fields_free(struct fields *);
static size_t	 msg_room(const struct wr *);
static int	 write_one(struct wr *, const char *, size_t);
static int	 write_args(struct wr *);
static int	 write_lines(struct wr *, FILE *, const char *);

/* Takes ownership of key and val (freed on failure too).  Returns 0, -1. */
static int
field_add(struct fields *f, char *key, char *val, size_t val_len)
{
	if (key == NULL || val == NULL) {
		free(key);
		free(val);
		mml_ctl_msg("%s", strerror(ENOMEM));
		return -1;
	}
	f->keys[f->n] = key;
	f->vals[f->n] = val;
	f->v[f->n].key = key;
	f->v[f->n].value = val;
	f->v[f->n].value_len = val_len;
	f->n++;
	return 0;
}

/* What the daemon meant by an error, where strerror() says too little. */
static const char *
why(int r)
{
	switch (r) {
	case -EBUSY:
		return " (mmlogd suppressed entries: its rate limit, or your "
		    "share of the ring; they are not stored)";
	case -EUSERS:
		return " (mmlogd refused the connection: too many clients)";
	case -EOVERFLOW:
		return " (the ring's sequence numbers are exhausted: see "
		    "mmlogctl rotate-id)";
	default:
		return "";
	}
}

/*
 * Checks and copies the fields of the command line: -F KEY=VALUE,
 * SYSLOG_FACILITY, MMLOG_ID and the structured data.  Returns 0, or the
 * exit status after saying why not.
 */
static int
fields_make(struct wr *w)
{
	const struct mml_ctl_opts *o = w->o;
	struct fields *f = &w->f;
	const char *eq;
	char num[24];
	uint64_t v;
	size_t i, cap = o->n_fields + o->n_sd + 3;
	int rc;

	f->v = calloc(cap, sizeof(*f->v));
	f->keys = calloc(cap, sizeof(*f->keys));
	f->vals = calloc(cap, sizeof(*f->vals));
	if (f->v == NULL || f->keys == NULL || f->vals == NULL) {
		mml_ctl_msg("%s", strerror(ENOMEM));
		return EXIT_FAILURE;
	}
	for (i = 0; i < o->n_fields; i++) {
		eq = strchr(o->fields[i], '=');
		if (eq == NULL || !mml_field_key_valid((const uint8_t *)
		    o->fields[i], (size_t)(eq - o->fields[i])))
			return mml_ctl_usage_error("invalid field '%s' "
			    "(KEY=VALUE; KEY of A-Z, 0-9 and _, not starting "
			    "with _ or a digit, at most 64 bytes, and not "
			    "MESSAGE, PRIORITY, SYSLOG_IDENTIFIER or "
			    "SYSLOG_PID)", o->fields[i]);
		if (field_add(f, strndup(o->fields[i], (size_t)(eq -
		    o->fields[i])), strdup(eq + 1), strlen(eq + 1)) < 0)
			return EXIT_FAILURE;
	}
	if (w->facility >= 0) {
		(void)snprintf(num, sizeof(num), "%d", w->facility);
		if (field_add(f, strdup("SYSLOG_FACILITY"), strdup(num),
		    strlen(num)) < 0)
			return EXIT_FAILURE;
	}
	if (o->id != NULL) {
		if (mml_parse_range(o->id, 0, INT32_MAX, &v) < 0)
			return mml_ctl_usage_error("invalid --id '%s' (a pid)",
			    o->id);
		if (field_add(f, strdup("MMLOG_ID"), strdup(o->id),
		    strlen(o->id)) < 0)
			return EXIT_FAILURE;
	}
	if ((rc = sd_fields(w)) != 0)
		return rc;
	return 0;
}

/*
 * --sd-id NAME[@DIGITS] then --sd-param NAME="VALUE"..., as logger takes
 * them, each parameter stored as the field the syslog intake makes of it
 * (proto/SYSLOG.md): SD_<ID>_<NAME>, uppercased, every byte but A-Z and
 * 0-9 made '_', cut to 64 bytes; the value with \", \\ and \] decoded.
 * Returns 0, or the exit status after saying why not.
 */
static int
sd_fields(struct wr *w)
{
	const struct mml_ctl_opts *o = w->o;
	const char *id = NULL, *arg, *eq, *p, *end;
	char key[MML_FIELD_KEY_MAX + 1], *val;
	size_t i, k, n, j;
	unsigned char c;

	for (i = 0; i < o->n_sd; i++) {
		arg = o->sd[i].arg;
		if (!o->sd[i].is_param) {
			for (p = arg; *p != '\0'; p++)
				if (*p <= ' ' || *p >= 0x7f || *p == '=' ||
				    *p == ']' || *p == '"')
					break;
			if (*arg == '\0' || *p != '\0' || p - arg > 32)
				return mml_ctl_usage_error("invalid structured "
				    "data ID '%s'", arg);
			id = arg;
			continue;
		}
		if (id == NULL)
			return mml_ctl_usage_error("--sd-id was not specified "
			    "for --sd-param %s", arg);
		eq = strchr(arg, '=');
		n = strlen(arg);
		if (eq == NULL || eq == arg || eq[1] != '"' || n < (size_t)(eq -
		    arg) + 3 || arg[n - 1] != '"')
			return mml_ctl_usage_error("invalid structured data "
			    "parameter '%s' (NAME=\"VALUE\")", arg);
		for (p = arg; p < eq; p++)
			if (*p <= ' ' || *p >= 0x7f || *p == ']' || *p == '"')
				return mml_ctl_usage_error("invalid structured "
				    "data parameter '%s'", arg);
		k = 0;
		memcpy(key, "SD_", 3);
		k = 3;
		for (j = 0; j < strlen(id) + 1 + (size_t)(eq - arg) &&
		    k < MML_FIELD_KEY_MAX; j++) {
			c = (unsigned char)(j < strlen(id) ? id[j] :
			    j == strlen(id) ? '_' : arg[j - strlen(id) - 1]);
			if (c >= 'a' && c <= 'z')
				c -= 'a' - 'A';
			else if (!(c >= 'A' && c <= 'Z') &&
			    !(c >= '0' && c <= '9'))
				c = '_';
			key[k++] = (char)c;
		}
		key[k] = '\0';
		val = malloc(n);
		if (val == NULL) {
			mml_ctl_msg("%s", strerror(ENOMEM));
			return EXIT_FAILURE;
		}
		end = arg + n - 1;
		for (j = 0, p = eq + 2; p < end; p++) {
			if (*p == '\\' && p + 1 < end && (p[1] == '"' ||
			    p[1] == '\\' || p[1] == ']'))
				p++;
			else if (*p == '"' || *p == ']') {
				free(val);
				return mml_ctl_usage_error("invalid structured "
				    "data parameter '%s' (escape \", \\ and ] "
				    "with a backslash)", arg);
			}
			val[j++] = *p;
		}
		val[j] = '\0';
		if (field_add(&w->f, strdup(key), val, j) < 0)
			return EXIT_FAILURE;
	}
	return 0;
}

static void
fields_free(struct fields *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->keys[i]);
		free(f->vals[i]);
	}
	free(f->keys);
	free(f->vals);
	free(f->v);
}

/*
 * The longest message that fits in one ENTRIES frame with this run's
 * tag and fields, as libmmlogclient builds it; SIZE_MAX if the tag and
 * fields alone do not fit (the library then says so for each entry).
 */
static size_t
msg_room(const struct wr *w)
{
	static uint8_t fbuf[MML_FRAME_MAX];
	size_t flen = 0, over, i;

	for (i = 0; i < w->f.n; i++)
		if (mml_fields_append(fbuf, sizeof(fbuf), &flen, w->f.v[i].key,
		    strlen(w->f.v[i].key), w->f.v[i].value,
		    w->f.v[i].value_len) < 0)
			return SIZE_MAX;
	over = sizeof(struct mml_frame_hdr) + sizeof(struct mml_entries_hdr) +
	    sizeof(struct mml_entry_hdr) + strlen(w->tag) + flen;
	return over < MML_FRAME_MAX ? MML_FRAME_MAX - over : SIZE_MAX;
}

/*
 * Logs one message; with -s, also writes it to stderr as logger does
 * (its local syslog line: "<PRI>Mmm dd hh:mm:ss TAG[PID]: MESSAGE").
 * Returns 0 or -1.
 */
static int
write_one(struct wr *w, const char *msg, size_t len)
{
	struct tm tm;
	time_t now = time(NULL);
	char when[32];
	int rc;

	/*
	 * A message larger than a packet may be is cut to what fits, as
	 * logger(1) cuts a line at its --size, rather than failing and
	 * losing every line after it; the daemon cuts it further to its
	 * --max-entry (MMLOG_ORIGINAL_SIZE).
	 */
	if (len > w->msg_max) {
		if (w->line > 0)
			mml_ctl_msg("warning: line %" PRIu64 ": %zu bytes, cut "
			    "to %zu (the most one entry carries)", w->line, len,
			    w->msg_max);
		else
			mml_ctl_msg("warning: message of %zu bytes cut to %zu "
			    "(the most one entry carries)", len, w->msg_max);
		len = w->msg_max;
	}
	rc = mmlog_writev(w->c, w->level, NULL, msg, len, w->f.v, w->f.n, 0);
	if (rc < 0) {
		mml_ctl_msg("write: %s%s", strerror(-rc), why(rc));
		return -1;
	}
	if (!w->o->to_stderr)
		return 0;
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof(when), "%b %e %H:%M:%S", &tm) == 0)
		when[0] = '\0';
	fprintf(stderr, "<%d>%s %s", (w->facility < 0 ? 1 : w->facility) * 8 +
	    w->level, when, w->tag);
	if (w->o->id != NULL)
		fprintf(stderr, "[%s]", w->o->id);
	else if (w->o->log_pid)
		fprintf(stderr, "[%d]", (int)getpid());
	fprintf(stderr, ": %.*s\n", (int)len, msg);
	return 0;
}

/* The arguments, joined by spaces, as one entry.  Returns 0 or -1. */
static int
write_args(struct wr *w)
{
	const struct mml_ctl_opts *o = w->o;
	char *joined;
	size_t i, n, len;
	int rc;

	for (len = 0, i = 0; i < o->n_args; i++)
		len += strlen(o->args[i]) + 1;
	joined = malloc(len);
	if (joined == NULL) {
		mml_ctl_msg("%s", strerror(ENOMEM));
		return -1;
	}
	for (n = 0, i = 0; i < o->n_args; i++) {
		if (i > 0)
			joined[n++] = ' ';
		len = strlen(o->args[i]);
		memcpy(joined + n, o->args[i], len);
		n += len;
	}
	rc = write_one(w, joined, n);
	free(joined);
	return rc;
}

/*
 * One entry per line of in (named name), as logger(1) does; with -e,
 * none for an empty line.  Returns 0 or -1.
 */
static int
write_lines(struct wr *w, FILE *in, const char *name)
{
	char *line = NULL;
	size_t cap = 0, n;
	ssize_t got;
	int rc = -1;

	while ((got = getline(&line, &cap, in)) >= 0) {
		w->line++;
		n = (size_t)got;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (n == 0 && w->o->skip_empty)
			continue;
		if (write_one(w, line, n) < 0)
			goto out;
	}
	if (ferror(in)) {
		mml_ctl_msg("reading %s: %s", name, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(line);
	return rc;
}

int
mml_ctl_write(const struct mml_ctl_opts *o)
{
	struct wr w;
	FILE *in = NULL;
	const char *env;
	uint64_t seq, tmo = 0;
	int rc, status = EXIT_FAILURE;

	memset(&w, 0, sizeof(w));
	w.o = o;
	w.level = MMLOG_NOTICE;
	w.facility = -1;
	if (o->prio != NULL &&
	    mml_ctl_parse_syslog_prio(o->prio, &w.level, &w.facility) < 0)
		return mml_ctl_usage_error("invalid priority '%s' "
		    "([facility.]level: emerg, alert, crit, err, warning, "
		    "notice, info, debug or 0-7; local3.info, daemon.err...)",
		    o->prio);
	if (o->n_tags > 1)
		return mml_ctl_usage_error("write takes one tag");
	env = getenv("USER");
	w.tag = o->n_tags == 1 ? o->tags[0] : env != NULL && *env != '\0' &&
	    strlen(env) <= MML_TAG_MAX ? env : "mmlogctl";
	if (strlen(w.tag) > MML_TAG_MAX)
		return mml_ctl_usage_error("tag longer than %d bytes",
		    MML_TAG_MAX);
	if (o->input != NULL && o->n_args > 0)
		return mml_ctl_usage_error("-f FILE and a message do not go "
		    "together");
	if (o->timeout != NULL &&
	    mml_parse_range(o->timeout, 1, 86400, &tmo) < 0)
		return mml_ctl_usage_error("invalid --timeout '%s' (seconds, 1 "
		    "to 86400)", o->timeout);
	if ((rc = fields_make(&w)) != 0) {
		status = rc;
		goto out;
	}
	w.msg_max = msg_room(&w);
	if (o->input != NULL && strcmp(o->input, "-") != 0 &&
	    (in = fopen(o->input, "re")) == NULL) {
		mml_ctl_msg("%s: %s", o->input, strerror(errno));
		goto out;
	}
	rc = mmlog_open(o->socket, w.tag, 0, &w.c);
	if (rc < 0) {
		mml_ctl_msg("%s: %s%s", o->socket, strerror(-rc), rc ==
		    -ENOENT || rc == -ECONNREFUSED ?
		    " (is mmlogd running? use --socket)" : "");
		goto out;
	}
	/*
	 * Sends, reconnects and the wait for durability give up after the
	 * timeout (-ETIMEDOUT); the first connect waits at most the
	 * library's own bound (mmlog(3)).
	 */
	if (tmo > 0 &&
	    (rc = mmlog_set_timeout(w.c, (unsigned)(tmo * 1000))) < 0) {
		mml_ctl_msg("--timeout: %s", strerror(-rc));
		goto out;
	}
	if ((o->n_args > 0 ? write_args(&w) : write_lines(&w, in != NULL ?
	    in : stdin, in != NULL ? o->input : "stdin")) < 0)
		goto out;
	if (o->sync) {
		rc = mmlog_sync(w.c, &seq);
		if (rc < 0) {
			mml_ctl_msg("sync: %s%s", strerror(-rc), why(rc));
			goto out;
		}
		if (rc == MMLOG_TRUNCATED)
			mml_ctl_msg("warning: an entry was larger than the "
			    "daemon's --max-entry and was stored cut "
			    "(MMLOG_ORIGINAL_SIZE gives its size)");
		printf("durable up to seq %" PRIu64 "\n", seq);
		if (fflush(stdout) != 0) {
			mml_ctl_msg("writing output: %s", strerror(errno));
			goto out;
		}
	}
	status = EXIT_SUCCESS;
out:
	if (in != NULL)
		(void)fclose(in);
	w.c = mmlog_close(w.c);
	fields_free(&w.f);
	return status;
}
