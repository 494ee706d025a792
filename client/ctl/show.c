/*
 * show.c: mmlogctl show, journalctl's habits on the ring: the entries
 * that match the filters (FIELD=VALUE matches, -u, -k, -p, -t, --pid,
 * --uid, -g, --since, --until), all of them as the walk finds them, or
 * the newest -n, newest first with -r; from or after a cursor; then,
 * with -f, new ones as they come; or, with -F and -N, each value of a
 * field and each field name once.  Every gap is said: entries
 * overwritten before we read them (a marker among the entries), lost to
 * damage or skipped by the writer (on stderr).
 *
 * What a query costs: --since, --cursor, --after-cursor, --cursor-file,
 * -b and -n seek (the ring's seek index, else a bisection of the data,
 * in O(log n); -b finds its boot's first and last seqs in the boot
 * table), then walk forward from there, until --until's time passes or
 * the boot ends.  Every other selection (matches, -u, -k, -p, -t, --pid,
 * --uid, -g) is a test of each entry the walk meets, which looks only
 * where the fields it names can be (a match on SYSLOG_IDENTIFIER reads
 * no metadata slot; one on the slot's fields, -u and -k included, is
 * judged once per slot, not per entry: client/ringread/match.c): with
 * -n they walk from about n entries before the head (or the boot's
 * end), going back further while fewer than n match; without -n they
 * scan the ring, or what the seek left of it.  -F and -N scan the
 * selection.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <inttypes.h>
#include <pcre2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

#define FOLLOW_LINES		10	/* -f without -n first shows these */
#define BARE_LINES		10	/* -n without a number */
#define PAGER_END_LINES		1000	/* -e without -n */
#define POLL_NOTIFY_MS		1000	/* -f: re-walk at least this often */

/* What `show` selects; all conditions must hold, any -t may match. */
struct filter {
	int		 prio_min, prio_max;
	const char	**tags;
	size_t		 n_tags;
	int		 have_pid, have_uid;
	uint32_t	 pid, uid;
	int		 have_since, have_until;
	uint64_t	 since_usec, until_usec;
	uint64_t	 seq_lo, seq_hi;	/* -b: the boot's seqs [lo, hi) */
	struct mml_rd_match *match;	/* FIELD=VALUE, -u, -k */
	struct mml_rd_ring *ring;	/* ... whose fields it reads */
	int		 stale;		/* the entry matched had no metadata */
	pcre2_code	*re;		/* -g */
	pcre2_match_data *md;
	size_t		 hl_from, hl_to;	/* what -g matched last */
};

/* -F and -N: the values, or names, seen so far (a hash set). */
struct uniq {
	struct uniq_item {
		uint64_t	 hash;
		size_t		 len;
		uint8_t		*bytes;
	}		*v;
	size_t		 n, cap;	/* cap: a power of two, or 0 */
	uint64_t	 shown;
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
	const struct mml_ctl_opts *o;
	struct filter	 flt;
	struct mml_rd_ring *ring;
	struct mml_rd_iter it;
	struct mml_rd_fmt fmt;
	struct mml_rd_follow fw;	/* -f */
	enum mml_rd_output mode;
	/* A cursor to start after: --after-cursor, or --cursor-file's. */
	int		 have_cursor;
	uint8_t		 cursor_id[16];
	uint64_t	 cursor_seq;
	const char	*cursor_text;
	char		 cursor_buf[256];	/* --cursor-file's text */
	uint64_t	 want;		/* first seq wanted (after a cursor) */
	int64_t		 lines;		/* -n, or -1 for all */
	int		 oldest;	/* -n +N: counted from the oldest */
	int		 first_n;	/* the first -n: +N, or after a cursor */
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
	uint64_t	 n_shown;	/* entries shown (or values, -F) */
	int		 inclusive;	/* --cursor: from the cursor on */
	int		 reverse;	/* -r, or -g with -n */
	int64_t		 uniq_limit;	/* -F: values to show, -1 all */
	char		**ofields;	/* --output-fields, split at commas */
	size_t		 n_ofields;
	const char	*values;	/* -F FIELD */
	int		 list_fields;	/* -N */
	struct uniq	 uniq;
	uint64_t	 n_stale;	/* entries walked without metadata */
	int		 boot;		/* -b, or -k's implied -b */
	int		 boot_implied;	/* ... by -k alone */
};

static int	 show_args(struct show *);
static int	 show_filter_args(struct show *);
static int	 show_cursor_file(struct show *);
static int	 show_open(struct show *, struct mml_disk_header *);
static int	 show_follow_start(struct show *);
static int	 show_done(struct show *);
static int	 out_ok(struct show *);
static int	 text_mode(enum mml_rd_output);
static int	 filter_match(struct filter *, const struct mml_rec *);
static int	 filter_build(struct show *);
static void	 show_fmt_init(struct show *);
static int	 show_output_fields(struct show *);
static int	 unit_typed(const char *);
static int	 grep_compile(struct show *);
static void	 show_unique(struct show *, const struct mml_rec *);
static uint64_t	 uniq_hash(const uint8_t *, size_t);
static int	 uniq_add(struct uniq *, const uint8_t *, size_t);
static void	 uniq_free(struct uniq *);
static void	 show_entry(struct show *, const struct mml_rec *);
static void	 show_lost(struct show *, uint64_t, uint64_t);
static void	 show_lost_flush(struct show *);
static void	 show_gap(struct show *, enum item_kind, uint64_t, uint64_t,
		    uint64_t, enum mml_disk_reason);
static void	 show_start_at(struct show *, const struct mml_disk_header *);
static void	 show_start(struct show *, const struct mml_disk_header *);
static int	 show_widen(struct show *);
static int	 seek_newest(struct show *);
static void	 show_stale_note(struct show *);
static int	 debug_has(const char *);
static void	 show_match_debug(const struct show *);
static int	 past_until(const struct show *, const struct mml_rec *);
static int	 show_stream(struct show *);
static int	 show_collect(struct show *);
static int	 items_push(struct items *, const struct item *);
static void	 items_trim(struct items *, int64_t);
static int	 show_follow(struct show *);
static void	 show_switch(struct show *, struct mml_rd_ring *);
static void	 stop_handler(int);

int
mml_ctl_show(const struct mml_ctl_opts *o)
{
	struct show sh;
	struct mml_disk_header h;
	size_t i;
	int rc, status = EXIT_FAILURE;

	if (o->list_boots)
		return mml_ctl_list_boots(o);
	memset(&sh, 0, sizeof(sh));
	sh.o = o;
	sh.lines = -1;
	sh.flt.prio_max = 7;
	sh.flt.seq_hi = UINT64_MAX;
	sh.fw.notify_fd = sh.fw.ino = -1;
	/* Every argument is checked before the file is opened. */
	if ((rc = show_args(&sh)) != 0) {
		status = rc;
		goto out;
	}
	if (show_cursor_file(&sh) < 0 || show_open(&sh, &h) < 0)
		goto out;
	if (o->follow && show_follow_start(&sh) < 0)
		goto out;
	show_start(&sh, &h);
	if ((sh.lines >= 0 && !sh.first_n) || sh.reverse)
		rc = show_collect(&sh);
	else
		rc = show_stream(&sh);
	if (rc == 0 && o->follow && !sh.out_failed)
		rc = show_follow(&sh);
	/* journalctl's remark, where a person reads entries. */
	if (rc == 0 && sh.n_shown == 0 && !o->quiet && !o->follow &&
	    sh.values == NULL && !sh.list_fields && !sh.out_failed &&
	    mml_rd_fmt_is_text(&sh.fmt) && sh.mode != MML_RD_O_VERBOSE)
		(void)fputs("-- No entries --\n", stdout);
	show_stale_note(&sh);
	show_match_debug(&sh);
	if (rc < 0 || show_done(&sh) < 0)
		goto out;
	status = EXIT_SUCCESS;
out:
	mml_ctl_pager_close();
	pcre2_match_data_free(sh.flt.md);
	pcre2_code_free(sh.flt.re);
	sh.flt.match = mml_rd_match_free(sh.flt.match);
	uniq_free(&sh.uniq);
	for (i = 0; i < sh.n_ofields; i++)
		free(sh.ofields[i]);
	free(sh.ofields);
	mml_rd_follow_done(&sh.fw);
	mml_rd_iter_done(&sh.it);
	(void)mml_rd_ring_free(sh.ring);
	return status;
}

/*
 * The filter of -p, -t, --pid, --uid, --since and --until.  Returns 0,
 * or a usage error's exit status.
 */
static int
show_filter_args(struct show *sh)
{
	const struct mml_ctl_opts *o = sh->o;
	uint64_t v;

	if (o->prio != NULL && mml_ctl_parse_prio(o->prio, &sh->flt.prio_min,
	    &sh->flt.prio_max) < 0)
		return mml_ctl_usage_error("invalid priority '%s' (emerg, "
		    "alert, crit, err, warning, notice, info, debug, 0-7, or a "
		    "range such as err..warning)", o->prio);
	sh->flt.tags = o->tags;
	sh->flt.n_tags = o->n_tags;
	if (o->pid != NULL) {
		if (mml_parse_range(o->pid, 0, UINT32_MAX, &v) < 0)
			return mml_ctl_usage_error("invalid pid '%s'", o->pid);
		sh->flt.pid = (uint32_t)v;
		sh->flt.have_pid = 1;
	}
	if (o->uid != NULL) {
		if (mml_parse_range(o->uid, 0, UINT32_MAX, &v) < 0)
			return mml_ctl_usage_error("invalid uid '%s'", o->uid);
		sh->flt.uid = (uint32_t)v;
		sh->flt.have_uid = 1;
	}
	if (o->since != NULL) {
		if (mml_ctl_parse_time(o->since, &sh->flt.since_usec) < 0)
			return mml_ctl_usage_error("invalid time '%s'",
			    o->since);
		sh->flt.have_since = 1;
	}
	if (o->until != NULL) {
		if (mml_ctl_parse_time(o->until, &sh->flt.until_usec) < 0)
			return mml_ctl_usage_error("invalid time '%s'",
			    o->until);
		sh->flt.have_until = 1;
	}
	if (sh->flt.have_since && sh->flt.have_until &&
	    sh->flt.since_usec > sh->flt.until_usec)
		return mml_ctl_usage_error("--since must be before --until");
	return 0;
}

/*
 * Checks the options and fills the filter from them.  Returns 0, or the
 * exit status after saying why not.
 */
static int
show_args(struct show *sh)
{
	const struct mml_ctl_opts *o = sh->o;
	uint64_t v;
	int rc, mode = MML_RD_O_SHORT;

	/*
	 * -b [ID|±N], "all" for every boot; -k alone means the current
	 * boot too, as in journalctl.
	 */
	if (o->seen & MML_CTL_BIT(MML_CTL_OPT_BOOT))
		sh->boot = o->boot == NULL || strcmp(o->boot, "all") != 0;
	else if (o->dmesg)
		sh->boot = sh->boot_implied = 1;
	if (o->output != NULL && (mode = mml_rd_output_parse(o->output)) < 0)
		return mml_ctl_usage_error("unknown output format '%s' (short, "
		    "short-precise, short-iso, short-iso-precise, short-full, "
		    "short-monotonic, short-unix, with-unit, verbose, json, "
		    "json-pretty, json-seq, export, cat, raw)", o->output);
	sh->mode = (enum mml_rd_output)mode;
	if (sh->mode == MML_RD_O_RAW && o->show_cursor)
		return mml_ctl_usage_error("--show-cursor would put text among "
		    "the records of -o raw");
	if (o->values != NULL && o->list_fields)
		return mml_ctl_usage_error("-F and -N do not go together");
	if (o->values != NULL && !mml_rd_field_name_valid((const uint8_t *)
	    o->values, strlen(o->values)))
		return mml_ctl_usage_error("invalid field name '%s'", o->values);
	sh->values = o->values;
	sh->list_fields = o->list_fields;
	if ((sh->values != NULL || sh->list_fields) && o->follow)
		return mml_ctl_usage_error("-F and -N do not go with --follow");
	if (sh->mode == MML_RD_O_RAW && isatty(STDOUT_FILENO) &&
	    sh->values == NULL && !sh->list_fields) {
		mml_ctl_msg("-o raw writes binary records: send them to a file "
		    "or a pipe, not to a terminal");
		return EXIT_FAILURE;
	}
	/* Its values are the bytes a client sent, controls and all. */
	if (sh->mode == MML_RD_O_EXPORT && isatty(STDOUT_FILENO)) {
		mml_ctl_msg("-o export writes values as they are, binary "
		    "included: send it to a file or a pipe, not to a terminal "
		    "(-o json escapes them)");
		return EXIT_FAILURE;
	}
	if (o->lines != NULL && strcmp(o->lines, "all") != 0) {
		if (mml_parse_range(o->lines + (o->lines[0] == '+'), 0,
		    INT64_MAX, &v) < 0)
			return mml_ctl_usage_error("invalid number of lines "
			    "'%s'", o->lines);
		sh->lines = (int64_t)v;
		sh->oldest = o->lines[0] == '+';
	} else if (o->lines_bare)
		sh->lines = BARE_LINES;
	else if (o->pager_end && o->lines == NULL)
		sh->lines = PAGER_END_LINES;
	if ((rc = show_filter_args(sh)) != 0)
		return rc;
	if (o->reverse && o->follow)
		return mml_ctl_usage_error("--reverse and --follow do not go "
		    "together");
	if ((o->after_cursor != NULL) + (o->cursor_file != NULL) +
	    (o->cursor != NULL) > 1)
		return mml_ctl_usage_error("--cursor, --after-cursor and "
		    "--cursor-file do not go together");
	if (o->after_cursor != NULL || o->cursor != NULL) {
		sh->cursor_text = o->cursor != NULL ? o->cursor :
		    o->after_cursor;
		if (mml_rd_cursor_parse(sh->cursor_text, sh->cursor_id,
		    &sh->cursor_seq) < 0)
			return mml_ctl_usage_error("invalid cursor '%s' "
			    "(expected s=<ring id>;i=<seq>)", sh->cursor_text);
		sh->have_cursor = 1;
		sh->inclusive = o->cursor != NULL;
	}
	if ((rc = filter_build(sh)) != 0 || (rc = show_output_fields(sh)) != 0)
		return rc;
	if (o->grep != NULL && (rc = grep_compile(sh)) != 0)
		return rc;
	/*
	 * journalctl: "When used with --lines=, --reverse is implied" for
	 * -g (it walks back from the end for the newest matches).
	 */
	if (o->grep != NULL && sh->lines >= 0 && !sh->oldest && !o->follow &&
	    sh->values == NULL && !sh->list_fields)
		sh->reverse = 1;
	sh->reverse |= o->reverse;
	/* -F and -N look at every entry selected: -n counts values. */
	if (sh->values != NULL || sh->list_fields) {
		sh->uniq_limit = sh->values != NULL ? sh->lines : -1;
		sh->lines = -1;
		sh->reverse = 0;
	}
	return 0;
}

/*
 * The matches: the FIELD=VALUE words ("+" between groups), then -u's
 * units and -k, each a clause of its own, as journalctl adds them.
 * Returns 0, or a usage error's exit status.
 */
static int
filter_build(struct show *sh)
{
	const struct mml_ctl_opts *o = sh->o;
	struct mml_rd_match *m;
	char unit[512];
	size_t i, n;
	int r;

	m = sh->flt.match = mml_rd_match_new();
	if (m == NULL) {
		mml_ctl_msg("%s", strerror(ENOMEM));
		return EXIT_FAILURE;
	}
	for (i = 0; i < o->n_args; i++) {
		if (strcmp(o->args[i], "+") == 0 && (i == 0 ||
		    i + 1 == o->n_args || strcmp(o->args[i - 1], "+") == 0))
			return mml_ctl_usage_error("\"+\" can only be used "
			    "between terms");
		r = mml_rd_match_add_word(m, o->args[i]);
		if (r == -ENOMEM) {
			mml_ctl_msg("%s", strerror(ENOMEM));
			return EXIT_FAILURE;
		}
		if (r < 0)
			return mml_ctl_usage_error("invalid match '%s' "
			    "(FIELD=VALUE, FIELD of A-Z, 0-9 and _, or +)",
			    o->args[i]);
	}
	(void)mml_rd_match_and(m);
	for (i = 0; i < o->n_units; i++) {
		/*
		 * journalctl's unit_name_mangle_with_suffix(), in short: a
		 * name without a unit type is a service; a glob is taken as
		 * it is.
		 */
		n = strlen(o->units[i]);
		if (n == 0 || n + 9 > sizeof(unit))
			return mml_ctl_usage_error("invalid unit '%s'",
			    o->units[i]);
		memcpy(unit, o->units[i], n + 1);
		if (strpbrk(unit, "*?[") == NULL && !unit_typed(unit))
			memcpy(unit + n, ".service", 9);
		if (mml_rd_match_add_unit(m, unit) < 0) {
			mml_ctl_msg("%s", strerror(ENOMEM));
			return EXIT_FAILURE;
		}
	}
	(void)mml_rd_match_and(m);
	if (o->dmesg && (mml_rd_match_add(m, "_TRANSPORT", 10, "kernel", 6, 0,
	    NULL) < 0 || mml_rd_match_and(m) < 0)) {
		mml_ctl_msg("%s", strerror(ENOMEM));
		return EXIT_FAILURE;
	}
	if (mml_rd_match_empty(m))
		sh->flt.match = mml_rd_match_free(m);
	else if (debug_has("match-each"))
		mml_rd_match_per_entry(m, 1);
	return 0;
}

/* Whether MMLOGCTL_DEBUG names what (for the tests). */
static int
debug_has(const char *what)
{
	const char *dbg = getenv("MMLOGCTL_DEBUG");

	return dbg != NULL && strstr(dbg, what) != NULL;
}

/*
 * With MMLOGCTL_DEBUG=match, says how the matches judged the entries:
 * by what they found in the entries' metadata slots, or by the entries'
 * own fields (client/ringread/match.c).
 */
static void
show_match_debug(const struct show *sh)
{
	struct mml_rd_match_stats st;

	if (sh->flt.match == NULL || !debug_has("match"))
		return;
	mml_rd_match_stats(sh->flt.match, &st);
	mml_ctl_msg("match: %" PRIu64 " entries judged by their slot, %"
	    PRIu64 " by their slot and fields, %" PRIu64 " by all their "
	    "fields; %" PRIu64 " slot contents judged", st.by_slot,
	    st.by_fields, st.per_entry, st.slot_versions);
}

/*
 * -g: a PCRE2 pattern, as journalctl compiles it: no UTF mode (a byte is
 * a character, so any message can be searched), caseless unless the
 * pattern has an ASCII capital or --case-sensitive says otherwise.
 */
static int
grep_compile(struct show *sh)
{
	const struct mml_ctl_opts *o = sh->o;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE where;
	uint32_t flags = 0;
	int err, cs = o->case_sensitive;

	if (cs < 0)
		cs = mml_ctl_pattern_has_upper(o->grep);
	if (!cs)
		flags |= PCRE2_CASELESS;
	sh->flt.re = pcre2_compile((PCRE2_SPTR)o->grep, PCRE2_ZERO_TERMINATED,
	    flags, &err, &where, NULL);
	if (sh->flt.re == NULL) {
		(void)pcre2_get_error_message(err, msg, sizeof(msg));
		return mml_ctl_usage_error("invalid pattern '%s': %s at "
		    "offset %zu", o->grep, (const char *)msg, (size_t)where);
	}
	sh->flt.md = pcre2_match_data_create_from_pattern(sh->flt.re, NULL);
	if (sh->flt.md == NULL) {
		mml_ctl_msg("%s", strerror(ENOMEM));
		return EXIT_FAILURE;
	}
	return 0;
}

/*
 * --cursor-file: the cursor it holds, if any, to start after.  Returns
 * 0, or -1 after saying why it cannot be used.
 */
static int
show_cursor_file(struct show *sh)
{
	const char *path = sh->o->cursor_file;
	int rc;

	if (path != NULL) {
		rc = mml_rd_cursor_file_read(path, sh->cursor_buf,
		    sizeof(sh->cursor_buf));
		if (rc < 0) {
			mml_ctl_msg("%s: %s", path, strerror(-rc));
			return -1;
		}
		if (rc > 0) {
			if (mml_rd_cursor_parse(sh->cursor_buf, sh->cursor_id,
			    &sh->cursor_seq) < 0) {
				mml_ctl_msg("%s: not a valid cursor", path);
				return -1;
			}
			sh->have_cursor = 1;
			sh->cursor_text = sh->cursor_buf;
		}
	}
	if (sh->o->follow && sh->lines < 0 && !sh->have_cursor &&
	    sh->o->since == NULL)
		sh->lines = FOLLOW_LINES;
	/*
	 * -n +N, and -n after a cursor, count from the start on, as in
	 * journalctl: the first N entries (after the cursor), so that runs
	 * of --cursor-file -n N take every entry in turn.  (-r still shows
	 * the newest.)
	 */
	sh->first_n = (sh->have_cursor || sh->oldest) && sh->lines >= 0 &&
	    !sh->reverse;
	return 0;
}

/*
 * Opens the ring, checks the cursor against it, prepares the output and
 * the iterator.  Returns 0, or -1 after saying why not.
 */
static int
show_open(struct show *sh, struct mml_disk_header *h)
{
	const struct mml_ctl_opts *o = sh->o;
	char idhex[33];
	int rc;

	sh->ring = mml_ctl_open_ring(o->file);
	if (sh->ring == NULL)
		return -1;
	mml_rd_ring_header(sh->ring, h);
	if (sh->have_cursor &&
	    memcmp(sh->cursor_id, sh->ring->ring_id, 16) != 0) {
		mml_rd_hex128(idhex, sh->ring->ring_id);
		if (o->cursor_file == NULL) {
			mml_ctl_msg("cursor '%s' is from another ring (this one "
			    "is s=%s)", sh->cursor_text, idhex);
			return -1;
		}
		/*
		 * The ring was re-created or renumbered since the last run
		 * (rotate-id): all of it is new to whoever keeps the file,
		 * which must not be stuck on a cursor no ring will have
		 * again.  Everything is shown, at least once, as
		 * mmlog-forward does.
		 */
		mml_ctl_msg("%s: cursor '%s' is from another ring (this one is "
		    "s=%s, re-created or renumbered since?); starting from its "
		    "oldest entry", o->cursor_file, sh->cursor_text, idhex);
		sh->cursor_seq = 0;
	}
	if (sh->have_cursor) {
		sh->want = sh->cursor_seq == UINT64_MAX || sh->inclusive ?
		    sh->cursor_seq : sh->cursor_seq + 1;
		/* Seq 0 is never written: from it on is from the start. */
		if (sh->want == 0)
			sh->want = 1;
	}
	sh->flt.ring = sh->ring;
	if (sh->boot && mml_ctl_boot_range(sh->ring, o->boot, sh->boot_implied,
	    &sh->flt.seq_lo, &sh->flt.seq_hi) < 0)
		return -1;
	show_fmt_init(sh);
	if (!o->follow && !(o->seen & MML_CTL_BIT(MML_CTL_OPT_NO_PAGER)) &&
	    (rc = mml_ctl_pager_open(o->pager_end)) < 0)
		mml_ctl_msg("cannot start a pager (%s); writing to the terminal",
		    strerror(-rc));
	mml_rd_iter_init(&sh->it, sh->ring, (sh->lines >= 0 && !sh->first_n) ||
	    sh->reverse ? MML_RD_CHECK : MML_RD_COPY);
	return 0;
}

/* The format of every entry shown, and the options that shape it. */
static void
show_fmt_init(struct show *sh)
{
	const struct mml_ctl_opts *o = sh->o;

	mml_rd_fmt_init(&sh->fmt, stdout, sh->mode, sh->ring);
	sh->fmt.color = text_mode(sh->mode) &&
	    mml_ctl_color_wanted(STDOUT_FILENO);
	sh->fmt.utc = o->utc;
	sh->fmt.no_hostname = o->no_hostname;
	if (sh->ofields != NULL) {
		sh->fmt.fields = (const char *const *)sh->ofields;
		sh->fmt.n_fields = sh->n_ofields;
	}
}

/*
 * --output-fields: the names, split at commas, each a field name.
 * Returns 0, or a usage error's exit status.
 */
static int
show_output_fields(struct show *sh)
{
	const struct mml_ctl_opts *o = sh->o;
	const char *p, *comma;
	size_t i, n = 0, len;

	if (o->n_output_fields == 0)
		return 0;
	for (i = 0; i < o->n_output_fields; i++)
		for (p = o->output_fields[i]; p != NULL; n++) {
			comma = strchr(p, ',');
			p = comma != NULL ? comma + 1 : NULL;
		}
	sh->ofields = calloc(n + 1, sizeof(*sh->ofields));
	if (sh->ofields == NULL) {
		mml_ctl_msg("%s", strerror(ENOMEM));
		return EXIT_FAILURE;
	}
	for (i = 0; i < o->n_output_fields; i++)
		for (p = o->output_fields[i]; p != NULL;) {
			comma = strchr(p, ',');
			len = comma != NULL ? (size_t)(comma - p) : strlen(p);
			if (len > 0 && !mml_rd_field_name_valid((const uint8_t *)p,
			    len))
				return mml_ctl_usage_error("invalid field name "
				    "'%.*s' in --output-fields", (int)len, p);
			if (len > 0 && (sh->ofields[sh->n_ofields++] =
			    strndup(p, len)) == NULL) {
				mml_ctl_msg("%s", strerror(ENOMEM));
				return EXIT_FAILURE;
			}
			p = comma != NULL ? comma + 1 : NULL;
		}
	return 0;
}

/* Whether the unit name ends in a unit type (".service", ".socket"...). */
static int
unit_typed(const char *u)
{
	static const char *const types[] = {
		".service", ".socket", ".target", ".device", ".mount",
		".automount", ".swap", ".timer", ".path", ".slice", ".scope",
	};
	size_t i, n = strlen(u), tl;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		tl = strlen(types[i]);
		if (n > tl && strcmp(u + n - tl, types[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * The end: the output flushed, the newest cursor shown stored in
 * --cursor-file and printed for --show-cursor.  Returns 0, or -1 after
 * saying why not.
 */
static int
show_done(struct show *sh)
{
	const struct mml_ctl_opts *o = sh->o;
	char cur[MML_RD_CURSOR_MAX];
	int r;

	if (fflush(stdout) != 0)
		(void)out_ok(sh);
	if (sh->out_failed && !sh->epipe)
		return -1;
	if (!sh->have_last)
		return 0;
	if (o->cursor_file != NULL) {
		r = mml_rd_cursor_file_write(o->cursor_file, sh->last_ring,
		    sh->last_seq, 0600);
		if (r < 0) {
			mml_ctl_msg("%s: %s", o->cursor_file, strerror(-r));
			return -1;
		}
	}
	if (o->show_cursor && !sh->out_failed) {
		mml_rd_cursor_format(cur, sh->last_ring, sh->last_seq);
		printf("-- cursor: %s\n", cur);
	}
	return 0;
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
			mml_ctl_msg("writing output: %s", strerror(errno));
	}
	return 0;
}

/* The formats a person reads, which are highlighted on a terminal. */
static int
text_mode(enum mml_rd_output mode)
{
	switch (mode) {
	case MML_RD_O_JSON:
	case MML_RD_O_JSON_PRETTY:
	case MML_RD_O_JSON_SEQ:
	case MML_RD_O_EXPORT:
	case MML_RD_O_RAW:
		return 0;
	default:
		return 1;
	}
}

static int
filter_match(struct filter *f, const struct mml_rec *rec)
{
	const struct mml_rec_hdr *h = &rec->hdr;
	const uint8_t *name;
	PCRE2_SIZE *ov;
	size_t i, len;

	f->stale = 0;
	if (h->seq < f->seq_lo || h->seq >= f->seq_hi)
		return 0;
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
	if (f->match != NULL) {
		if (!mml_rd_match_test(f->match, f->ring, rec)) {
			f->stale = mml_rd_match_stale(f->match);
			return 0;
		}
		f->stale = mml_rd_match_stale(f->match);
	}
	if (f->re != NULL) {
		/* The message is a byte range, NUL bytes and all. */
		if (pcre2_match(f->re, rec->msg, h->msg_len, 0, 0, f->md,
		    NULL) < 0)
			return 0;
		ov = pcre2_get_ovector_pointer(f->md);
		f->hl_from = ov[0];
		f->hl_to = ov[1];
	}
	return 1;
}

static void
show_entry(struct show *sh, const struct mml_rec *rec)
{
	if (sh->values != NULL || sh->list_fields) {
		show_unique(sh, rec);
		return;
	}
	show_lost_flush(sh);
	sh->fmt.hl_from = sh->flt.hl_from;
	sh->fmt.hl_to = sh->flt.hl_to;
	mml_rd_fmt_entry(&sh->fmt, rec);
	sh->n_shown++;
	if (!sh->have_last || rec->hdr.seq > sh->last_seq) {
		sh->have_last = 1;
		sh->last_seq = rec->hdr.seq;
		memcpy(sh->last_ring, sh->ring->ring_id, 16);
	}
	(void)out_ok(sh);
}

/*
 * -F: each value of the field, and -N: each field name, the first time
 * an entry selected has it, as the walk meets them (journalctl lists
 * them in the order of its file's hash tables, which says nothing).
 */
static void
show_unique(struct show *sh, const struct mml_rec *rec)
{
	struct mml_rd_fields fi;
	const char *k;
	const uint8_t *v;
	size_t kl, vl, nl;
	int r;

	nl = sh->values != NULL ? strlen(sh->values) : 0;
	mml_rd_fields_begin(&fi, sh->ring, rec, 0);
	while (mml_rd_fields_next(&fi, &k, &kl, &v, &vl)) {
		if (sh->uniq_limit >= 0 &&
		    sh->uniq.shown >= (uint64_t)sh->uniq_limit)
			return;
		if (sh->list_fields) {
			v = (const uint8_t *)k;
			vl = kl;
		} else if (kl != nl || memcmp(k, sh->values, nl) != 0)
			continue;
		r = uniq_add(&sh->uniq, v, vl);
		if (r < 0) {
			mml_ctl_msg("%s", strerror(-r));
			sh->out_failed = 1;
			return;
		}
		if (r == 0)
			continue;
		mml_rd_put_escaped(stdout, v, vl);
		(void)putchar('\n');
		sh->uniq.shown++;
		sh->n_shown++;
	}
	(void)out_ok(sh);
}

/* FNV-1a, 64 bits. */
static uint64_t
uniq_hash(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * Adds p[0, len) to the set.  Returns 1 if it is new, 0 if it was
 * there, -ENOMEM.
 */
static int
uniq_add(struct uniq *u, const uint8_t *p, size_t len)
{
	struct uniq_item *nv, *x;
	uint64_t h = uniq_hash(p, len);
	size_t i, ncap;

	if (2 * (u->n + 1) > u->cap) {
		ncap = u->cap ? u->cap * 2 : 64;
		nv = calloc(ncap, sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		for (i = 0; i < u->cap; i++) {
			if (u->v[i].bytes == NULL)
				continue;
			x = &nv[u->v[i].hash & (ncap - 1)];
			while (x->bytes != NULL)
				x = &nv[(size_t)(x - nv + 1) & (ncap - 1)];
			*x = u->v[i];
		}
		free(u->v);
		u->v = nv;
		u->cap = ncap;
	}
	for (i = h & (u->cap - 1); u->v[i].bytes != NULL;
	    i = (i + 1) & (u->cap - 1))
		if (u->v[i].hash == h && u->v[i].len == len &&
		    memcmp(u->v[i].bytes, p, len) == 0)
			return 0;
	/* One byte more, so that an empty value is not a NULL. */
	u->v[i].bytes = malloc(len + 1);
	if (u->v[i].bytes == NULL)
		return -ENOMEM;
	memcpy(u->v[i].bytes, p, len);
	u->v[i].hash = h;
	u->v[i].len = len;
	u->n++;
	return 1;
}

static void
uniq_free(struct uniq *u)
{
	size_t i;

	for (i = 0; i < u->cap; i++)
		free(u->v[i].bytes);
	free(u->v);
	memset(u, 0, sizeof(*u));
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
		mml_ctl_msg("%" PRIu64 " entries lost (sequence numbers jump at offset "
		    "0x%" PRIx64 ", as the daemon noted: an unclean shutdown "
		    "lost them)", n, off);
	else if (n == 0)
		mml_ctl_msg("damaged record at offset 0x%" PRIx64 " (%s) skipped: it "
		    "held no entry (as a WRAP marker)", off,
		    mml_disk_reason_str(why));
	else
		mml_ctl_msg("%" PRIu64 " entries lost (corrupt record at offset 0x%"
		    PRIx64 ": %s)", n, off, mml_disk_reason_str(why));
}

/*
 * Places the iterator where the walk should begin.  The tail is always
 * right; a seek (read.c) saves reading the whole ring when only its
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
			if (sh->lines < 0 || sh->first_n)
				return;
		}
	}
	if (sh->lines >= 0 && !sh->first_n) {
		sh->seek_n = (uint64_t)sh->lines;
		sh->seeked_last = seek_newest(sh);
		return;
	}
	if (sh->want > 0) {
		if (sh->want >= h->head_seq && h->head_seq >= tail)
			mml_rd_iter_seek(it, h->head_off, h->head_seq);
		else
			(void)mml_rd_iter_seek_key(it, 0, sh->want >
			    sh->flt.seq_lo ? sh->want : sh->flt.seq_lo);
		return;
	}
	if (sh->flt.have_since) {
		(void)mml_rd_iter_seek_key(it, 1, sh->flt.since_usec);
		/*
		 * Of the boot's start and --since, the later.  A seek past
		 * the boot's end means --since is after all of it, or the
		 * clock went back in a later boot, whose older times misled
		 * the bisection: the boot is walked from its start then.
		 */
		if (it->seq < sh->flt.seq_lo || it->seq >= sh->flt.seq_hi)
			(void)mml_rd_iter_seek_key(it, 0, sh->flt.seq_lo);
		return;
	}
	if (sh->flt.seq_lo > 0) {
		(void)mml_rd_iter_seek_key(it, 0, sh->flt.seq_lo);
		return;
	}
	mml_rd_iter_tail(it);
}

/*
 * Places the iterator about seek_n entries before the newest wanted:
 * before the head, or before the end of the boot -b chose (by its seq,
 * through the seek index), not before the boot's start.  Returns 1 if
 * it was placed so, 0 if at the tail or the boot's start, where a walk
 * that finds too few cannot start further back.
 */
static int
seek_newest(struct show *sh)
{
	uint64_t lo = sh->flt.seq_lo, hi = sh->flt.seq_hi, key;

	if (hi == UINT64_MAX)
		return mml_rd_iter_seek_last(&sh->it, sh->seek_n);
	key = hi - lo > sh->seek_n ? hi - sh->seek_n : lo;
	return mml_rd_iter_seek_key(&sh->it, 0, key) && key > lo;
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

	show_start_at(sh, h);
	if (r->idx_damaged > damaged && !sh->idx_warned) {
		mml_ctl_msg("warning: the ring's seek index is damaged; searched the "
		    "ring without it (mmlogctl verify tells more)");
		sh->idx_warned = 1;
	}
	if (debug_has("seek"))
		mml_ctl_msg("seek: %s at seq %" PRIu64, r->idx_seeks > seeks ?
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
	if (sh->flt.seq_lo > 0 && sh->start_seq <= sh->flt.seq_lo)
		return 0;
	if (sh->flt.have_since && mml_disk_rec_check(sh->ring->data,
	    sh->ring->capacity, sh->start_off, sh->start_seq, 0, sh->ring->crc_seed, &rec,
	    NULL) == 0 && rec.hdr.realtime_usec < sh->flt.since_usec)
		return 0;
	return 1;
}

/*
 * Whether the walk can end at this entry: it was written after --until,
 * and so, on the assumption --since's seek makes too (the clock did not
 * go back), is every entry after it; or it is of a boot after the one
 * -b chose.  A follower waits for entries rather than ending, and only
 * filters.
 */
static int
past_until(const struct show *sh, const struct mml_rec *rec)
{
	return !sh->o->follow && ((sh->flt.have_until &&
	    rec->hdr.realtime_usec > sh->flt.until_usec) ||
	    rec->hdr.seq >= sh->flt.seq_hi);
}

/*
 * Prints every matching entry as the walk finds it, or the first -n
 * after a cursor.
 */
static int
show_stream(struct show *sh)
{
	struct mml_rec rec;
	int step;

	if (sh->lost > 0) {
		show_lost(sh, sh->lost_first, sh->lost);
		sh->lost = 0;
	}
	while (!mml_ctl_stop && !sh->out_failed && (sh->lines < 0 ||
	    sh->n_shown < (uint64_t)sh->lines)) {
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
			sh->n_stale += sh->flt.stale;
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
			mml_ctl_msg("%s", strerror(-step));
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
	uint64_t stale;
	size_t i, k;
	int step, rc = -1;

	memset(&w, 0, sizeof(w));
again:
	/* Entries judged without metadata, on this walk only. */
	stale = 0;
	sh->start_off = sh->it.off;
	sh->start_seq = sh->it.seq;
	if (sh->lost > 0) {
		memset(&x, 0, sizeof(x));
		x.kind = ITEM_LOST;
		x.seq = sh->lost_first;
		x.n = sh->lost;
		if (items_push(&w, &x) < 0) {
			mml_ctl_msg("%s", strerror(ENOMEM));
			goto out;
		}
		items_trim(&w, sh->lines);
	}
	while (!mml_ctl_stop) {
		step = mml_rd_iter_next(&sh->it, &rec);
		if (step == MML_RD_END ||
		    (step == MML_RD_ENTRY && past_until(sh, &rec)))
			break;
		memset(&x, 0, sizeof(x));
		switch (step) {
		case MML_RD_ENTRY:
			if (rec.hdr.seq < sh->want ||
			    !filter_match(&sh->flt, &rec)) {
				stale += sh->flt.stale;
				continue;
			}
			stale += sh->flt.stale;
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
			mml_ctl_msg("%s", strerror(-step));
			goto out;
		}
		if (items_push(&w, &x) < 0) {
			mml_ctl_msg("%s", strerror(ENOMEM));
			goto out;
		}
		items_trim(&w, sh->lines);
	}
	/*
	 * Placed near the end for the newest -n, but the selection found
	 * fewer: start further back, until we start at the tail.
	 */
	if (w.n_entries < (uint64_t)sh->lines && !mml_ctl_stop &&
	    show_widen(sh)) {
		w.start = w.len = 0;
		w.n_entries = 0;
		sh->seek_n = sh->seek_n > UINT64_MAX / 8 ? UINT64_MAX :
		    sh->seek_n * 8;
		sh->seeked_last = seek_newest(sh);
		goto again;
	}
	sh->lost = 0;
	sh->n_stale += stale;
	for (k = 0; k < w.len && !mml_ctl_stop && !sh->out_failed; k++) {
		i = sh->reverse ? w.start + w.len - 1 - k : w.start + k;
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
			mml_ctl_msg("%s", strerror(-step));
			goto out;
		}
	}
	show_lost_flush(sh);
	rc = 0;
out:
	free(w.v);
	return rc;
}

static void
stop_handler(int sig)
{
	(void)sig;
	mml_ctl_stop = 1;
	mml_rd_follow_wake();
}

/*
 * -f: the follower, and SIGINT and SIGTERM to end it (which wake its
 * wait).  Returns 0, or -1 after saying why not.
 */
static int
show_follow_start(struct show *sh)
{
	struct sigaction sa;
	int r;

	r = mml_rd_follow_init(&sh->fw, sh->o->socket, sh->o->file, 2,
	    STDOUT_FILENO);
	if (r < 0) {
		mml_ctl_msg("pipe: %s", strerror(-r));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_handler;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	return 0;
}

/*
 * Follows the ring: after each NOTIFY from the daemon, or every second
 * anyway, the walk goes on from where it stopped; without the daemon,
 * every 250 ms (client/ringread/follow.c).  Ends on a signal, or when
 * the reader of our output goes away.
 */
static int
show_follow(struct show *sh)
{
	struct mml_rd_ring *nr;
	int ev;

	sh->it.mode = MML_RD_COPY;
	/* -n chose the first entries; from now on every entry counts. */
	sh->lines = -1;
	while (!mml_ctl_stop && !sh->out_failed) {
		if (show_stream(sh) < 0)
			return -1;
		if (fflush(stdout) != 0 || !out_ok(sh))
			break;
		if (mml_rd_follow_reopen(sh->ring, &nr)) {
			show_switch(sh, nr);
			continue;
		}
		ev = mml_rd_follow_wait(&sh->fw, POLL_NOTIFY_MS);
		if (ev < 0) {
			mml_ctl_msg("poll: %s", strerror(-ev));
			return -1;
		}
		if (ev == MML_RD_FOLLOW_OUT_GONE) {
			sh->out_failed = 1;
			sh->epipe = 1;
		} else if (ev == MML_RD_FOLLOW_OUT_BAD) {
			mml_ctl_msg("writing output: %s", strerror(EBADF));
			sh->out_failed = 1;
		} else if (ev == MML_RD_FOLLOW_REFUSED)
			mml_ctl_msg("the daemon refused to notify us (%s); "
			    "polling the ring instead", sh->fw.why);
	}
	return 0;
}

/*
 * The file at the path is another one now, or our mapping no longer
 * holds a ring.  Finish the old ring (its mapping stays valid if the
 * file was replaced), then go on in nr: from the next seq if it is the
 * same ring, else from its tail.
 */
static void
show_switch(struct show *sh, struct mml_rd_ring *nr)
{
	struct mml_disk_header h;
	uint64_t next;
	int same;

	(void)show_stream(sh);
	next = sh->it.seq;
	mml_rd_ring_header(nr, &h);
	same = mml_rd_follow_switch(&sh->it, &sh->ring, nr);
	/*
	 * The old ring is freed: the format and the matches read the new
	 * one (its fields, metadata slots, ring id and boot id) from now on.
	 */
	show_fmt_init(sh);
	sh->flt.ring = sh->ring;
	if (same) {
		/* The same ring, remapped: go on from the next seq. */
		sh->want = next;
		show_start(sh, &h);
		return;
	}
	mml_ctl_msg("%s: the ring was re-created; following the new one",
	    nr->path);
	sh->want = 0;
	/*
	 * -b's boot, found again by its place in the new ring's boot table:
	 * the old ring's seqs mean nothing there.  A boot the new ring does
	 * not have yet lets everything through, as -k alone does: a new
	 * ring only gets entries of the boot running now.
	 */
	if (sh->boot) {
		sh->flt.seq_lo = 0;
		sh->flt.seq_hi = UINT64_MAX;
		(void)mml_ctl_boot_range(sh->ring, sh->o->boot, 1,
		    &sh->flt.seq_lo, &sh->flt.seq_hi);
	}
	mml_rd_iter_tail(&sh->it);
}

/*
 * Entries whose trusted metadata was unavailable when the matches
 * looked at them (their slot rewritten, or lost to a power loss) could
 * not match _SYSTEMD_UNIT, _EXE and the like: say how many, as a note.
 */
static void
show_stale_note(struct show *sh)
{
	uint64_t n = sh->n_stale;

	if (sh->o->quiet)
		return;
	if (n > 0)
		mml_ctl_msg("note: %" PRIu64 " %s had no trusted metadata to "
		    "match (the metadata slot it names no longer holds it)",
		    n, n == 1 ? "entry" : "entries");
}
