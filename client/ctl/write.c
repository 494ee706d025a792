/*
 * write.c: mmlogctl write: logs the message of the arguments, or one
 * entry per line of standard input, as logger(1) does, through
 * libmmlogclient; with --sync, waits until it is durable and prints the
 * sequence number it reached.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "mmlog.h"
#include "wire.h"

/* The structured fields of -F KEY=VALUE, each key a copy of its own. */
struct fields {
	struct mmlog_field *v;
	char		**keys;
	size_t		 n;
};

static int	 fields_make(const struct mml_ctl_opts *, struct fields *);
static void	 fields_free(struct fields *);
static int	 write_args(struct mmlog_client *, int,
		    const struct mml_ctl_opts *, const struct fields *);
static int	 write_lines(struct mmlog_client *, int,
		    const struct fields *);

/*
 * Checks and copies the fields of the command line.  Returns 0, or the
 * exit status after saying why not.
 */
static int
fields_make(const struct mml_ctl_opts *o, struct fields *f)
{
	const char *eq;
	size_t i;

	f->v = calloc(o->n_fields + 1, sizeof(*f->v));
	f->keys = calloc(o->n_fields + 1, sizeof(*f->keys));
	if (f->v == NULL || f->keys == NULL) {
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
		f->keys[i] = strndup(o->fields[i], (size_t)(eq - o->fields[i]));
		if (f->keys[i] == NULL) {
			mml_ctl_msg("%s", strerror(ENOMEM));
			return EXIT_FAILURE;
		}
		f->n = i + 1;
		f->v[i].key = f->keys[i];
		f->v[i].value = eq + 1;
		f->v[i].value_len = strlen(eq + 1);
	}
	return 0;
}

static void
fields_free(struct fields *f)
{
	size_t i;

	if (f->keys != NULL)
		for (i = 0; i < f->n; i++)
			free(f->keys[i]);
	free(f->keys);
	free(f->v);
}

/* The arguments, joined by spaces, as one entry.  Returns 0 or -1. */
static int
write_args(struct mmlog_client *c, int prio, const struct mml_ctl_opts *o,
    const struct fields *f)
{
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
	rc = mmlog_writev(c, prio, NULL, joined, n, f->v, f->n, 0);
	free(joined);
	if (rc < 0) {
		mml_ctl_msg("write: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

/* One entry per line of stdin, as logger(1) does.  Returns 0 or -1. */
static int
write_lines(struct mmlog_client *c, int prio, const struct fields *f)
{
	char *line = NULL;
	size_t cap = 0, n;
	ssize_t got;
	int rc = -1, r;

	while ((got = getline(&line, &cap, stdin)) >= 0) {
		n = (size_t)got;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		r = mmlog_writev(c, prio, NULL, line, n, f->v, f->n, 0);
		if (r < 0) {
			mml_ctl_msg("write: %s", strerror(-r));
			goto out;
		}
	}
	if (ferror(stdin)) {
		mml_ctl_msg("reading stdin: %s", strerror(errno));
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
	struct mmlog_client *c = NULL;
	struct fields f;
	const char *tag, *env;
	uint64_t seq;
	int prio = MMLOG_NOTICE, rc, status = EXIT_FAILURE;

	memset(&f, 0, sizeof(f));
	if (o->prio != NULL && (prio = mmlog_priority_from_string(o->prio)) < 0)
		return mml_ctl_usage_error("invalid priority '%s' (emerg, "
		    "alert, crit, err, warning, notice, info, debug or 0-7)",
		    o->prio);
	if (o->n_tags > 1)
		return mml_ctl_usage_error("write takes one tag");
	env = getenv("USER");
	tag = o->n_tags == 1 ? o->tags[0] : env != NULL && *env != '\0' &&
	    strlen(env) <= MML_TAG_MAX ? env : "mmlogctl";
	if (strlen(tag) > MML_TAG_MAX)
		return mml_ctl_usage_error("tag longer than %d bytes",
		    MML_TAG_MAX);
	if ((rc = fields_make(o, &f)) != 0) {
		status = rc;
		goto out;
	}
	rc = mmlog_open(o->socket, tag, 0, &c);
	if (rc < 0) {
		mml_ctl_msg("%s: %s%s", o->socket, strerror(-rc), rc ==
		    -ENOENT || rc == -ECONNREFUSED ?
		    " (is mmlogd running? use --socket)" : "");
		goto out;
	}
	if ((o->n_args > 0 ? write_args(c, prio, o, &f) :
	    write_lines(c, prio, &f)) < 0)
		goto out;
	if (o->sync) {
		rc = mmlog_sync(c, &seq);
		if (rc < 0) {
			mml_ctl_msg("sync: %s", strerror(-rc));
			goto out;
		}
		printf("durable up to seq %" PRIu64 "\n", seq);
		if (fflush(stdout) != 0) {
			mml_ctl_msg("writing output: %s", strerror(errno));
			goto out;
		}
	}
	status = EXIT_SUCCESS;
out:
	c = mmlog_close(c);
	fields_free(&f);
	return status;
}
