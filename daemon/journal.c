/*
 * journal.c: journald's native protocol (journal.h, proto/JOURNAL.md).
 *
 * mml_journal_parse() reads one entry of a datagram or memfd payload
 * the way journald's server_process_entry() does (systemd v252,
 * src/journal/journald-native.c): where journald stops, ignores a field
 * or ignores an entry, so does this, and the places are named below.
 * It differs where mmlogd's entry differs: MESSAGE, PRIORITY and
 * SYSLOG_IDENTIFIER have one slot each, and --max-fields cuts an entry
 * (recorded in it) where journald's limit of 1024 drops it silently.
 *
 * Pure but for mml_journal_fd_check(), which checks and maps a memfd
 * passed with SCM_RIGHTS.  Lengths from the payload are compared with
 * what remains of it, never added to anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"

/* The seals libsystemd's memfd_set_sealed() adds and journald wants. */
#define SEALS_REQUIRED	(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | \
			 F_SEAL_SEAL)

/* Where a field ended up, for the caller of one_field(). */
struct parse {
	struct mml_ent		*e;
	struct mml_journal_info	*info;
	unsigned		 max_fields;
	unsigned		 n_valid;	/* validly named fields seen */
	unsigned		 n_kept;	/* fields in e's block */
	int			 has_priority;
	/* The last SYSLOG_IDENTIFIER, set once the entry is read. */
	const uint8_t		*tag;
	size_t			 tag_len;
};

static int	key_is(const uint8_t *, size_t, const char *);
static int	key_valid(const uint8_t *, size_t);
static void	one_field(struct parse *, const uint8_t *, size_t,
		    const uint8_t *, size_t);
static uint64_t	le64(const uint8_t *);

static int
key_is(const uint8_t *key, size_t len, const char *name)
{
	return len == strlen(name) && memcmp(key, name, len) == 0;
}

/*
 * journald's journal_field_valid(p, l, false) (sd-journal/journal-file.c):
 * 1 to 64 bytes of A-Z, 0-9 and '_', not starting with a digit, nor
 * with '_' (a trusted field).
 */
static int
key_valid(const uint8_t *key, size_t len)
{
	size_t i;

	if (len == 0 || len > 64 || key[0] == '_' ||
	    (key[0] >= '0' && key[0] <= '9'))
		return 0;
	for (i = 0; i < len; i++)
		if (!((key[i] >= 'A' && key[i] <= 'Z') ||
		    (key[i] >= '0' && key[i] <= '9') || key[i] == '_'))
			return 0;
	return 1;
}

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * One field, as server_process_entry() and server_process_entry_meta()
 * take it: an invalid name is skipped (the entry goes on); the slots
 * take what journald's own variables take (PRIORITY= exactly one digit,
 * SYSLOG_IDENTIFIER= non-empty, MESSAGE= anything, the last one
 * winning); everything else is stored as it came.
 */
static void
one_field(struct parse *ps, const uint8_t *key, size_t key_len,
    const uint8_t *val, size_t val_len)
{
	struct mml_ent *e = ps->e;

	if (!key_valid(key, key_len)) {
		if (key_len > 0 && key[0] == '_')
			ps->info->protected++;
		else
			ps->info->invalid++;
		return;
	}
	ps->n_valid++;
	if (key_is(key, key_len, "MESSAGE")) {
		if (ps->info->has_message)
			ps->info->unused++;
		mml_ent_set_msg(e, val, val_len);
		ps->info->has_message = 1;
		return;
	}
	if (key_is(key, key_len, "PRIORITY")) {
		/*
		 * journald takes "PRIORITY=" and one digit 0-9; its level
		 * checks read the low three bits (LOG_PRI), so 8 and 9 act
		 * as 0 and 1.  Anything else leaves the priority alone.
		 */
		if (val_len == 1 && val[0] >= '0' && val[0] <= '9') {
			if (ps->has_priority)
				ps->info->unused++;
			e->priority = (val[0] - '0') & 7;
			ps->has_priority = 1;
		} else
			ps->info->unused++;
		return;
	}
	if (key_is(key, key_len, "SYSLOG_IDENTIFIER")) {
		if (val_len > 0) {
			if (ps->tag != NULL)
				ps->info->unused++;
			ps->tag = val;
			ps->tag_len = val_len;
		} else
			ps->info->unused++;
		return;
	}
	if (ps->n_kept >= ps->max_fields) {
		/*
		 * Past --max-fields: not stored, but counted, and the
		 * entry marked cut so that its original size is recorded.
		 * (mml_ent_add() stores nothing after a cut either.)
		 */
		ps->info->over_max++;
		e->orig_size += 4 + (uint64_t)key_len + 1 + val_len;
		e->cut = 1;
		return;
	}
	(void)mml_ent_add(e, (const char *)key, key_len, val, val_len);
	ps->n_kept++;
}

int
mml_journal_parse(const uint8_t *buf, size_t len, size_t *off,
    unsigned max_fields, struct mml_ent *e,
    struct mml_journal_info *ret_info)
{
	struct mml_journal_info info;
	struct parse ps;
	const uint8_t *p, *nl, *eq;
	size_t left, line, rest;
	uint64_t vlen;
	int r;

	memset(&info, 0, sizeof(info));
	memset(&ps, 0, sizeof(ps));
	ps.e = e;
	ps.info = &info;
	ps.max_fields = max_fields;
	if (*off >= len) {
		*off = len;
		r = 0;
		goto out;
	}
	p = buf + *off;
	left = len - *off;
	r = 1;
	while (left > 0) {
		nl = memchr(p, '\n', left);
		if (nl == NULL) {
			/* "Received message with trailing noise, ignoring." */
			info.ignored = left;
			break;
		}
		line = (size_t)(nl - p);
		if (line == 0) {
			/* An empty line ends the entry. */
			p++;
			left--;
			break;
		}
		if (p[0] == '.' || p[0] == '#') {
			/* journald's control commands and comments. */
			info.skipped_lines++;
			p += line + 1;
			left -= line + 1;
			continue;
		}
		eq = memchr(p, '=', line);
		if (eq != NULL) {
			if (line > MML_JOURNAL_DATA_MAX &&
			    key_valid(p, (size_t)(eq - p))) {
				r = -EMSGSIZE;
				break;
			}
			one_field(&ps, p, (size_t)(eq - p), eq + 1,
			    line - (size_t)(eq - p) - 1);
			p += line + 1;
			left -= line + 1;
			continue;
		}
		/*
		 * KEY\n, a 64-bit length, the value, \n.  journald: too few
		 * bytes for the length and the final \n ends the entry
		 * ("Failed to parse message"), and so does a value that runs
		 * past the payload or is not followed by \n; a length above
		 * DATA_SIZE_MAX ignores the whole entry.
		 */
		rest = left - line - 1;
		if (rest < 8 + 1) {
			info.ignored = left;
			break;
		}
		vlen = le64(nl + 1);
		if (vlen > MML_JOURNAL_DATA_MAX) {
			r = -EMSGSIZE;
			break;
		}
		rest -= 8;
		if (vlen >= rest || nl[1 + 8 + vlen] != '\n') {
			info.ignored = left;
			break;
		}
		one_field(&ps, p, line, nl + 1 + 8, (size_t)vlen);
		p += line + 1 + 8 + (size_t)vlen + 1;
		left -= line + 1 + 8 + (size_t)vlen + 1;
	}
	if (r < 0) {
		/* "... is too large, ignoring entry.": and the rest. */
		info.ignored = left;
		*off = len;
	} else if (ps.n_valid == 0) {
		/*
		 * An entry without a valid field ends the payload in
		 * journald (server_process_entry() returns 1): what follows
		 * is not looked at.
		 */
		info.ignored = left;
		*off = len;
		r = 0;
	} else {
		/*
		 * The tag is set once, so that a long identifier replaced
		 * by a later one does not count as cut.
		 */
		if (ps.tag != NULL)
			mml_ent_set_tag(e, ps.tag, ps.tag_len);
		/* After a part that does not parse, nothing more is read. */
		*off = info.ignored > 0 ? len : (size_t)(p - buf);
	}
out:
	if (ret_info != NULL)
		*ret_info = info;
	return r;
}

int
mml_journal_fd_check(int fd, size_t max, const uint8_t **ret_data,
    size_t *ret_len)
{
	struct stat st;
	void *map;
	int seals;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	/*
	 * journald's memfd_get_sealed() wants exactly these four seals;
	 * a further one (F_SEAL_FUTURE_WRITE) only makes the file more
	 * constant, so it is allowed here.  Files that are not memfds
	 * have no seals (EINVAL).
	 */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & SEALS_REQUIRED) != SEALS_REQUIRED)
		return -EPERM;
	/*
	 * The size again, now that it can no longer change: the sender
	 * holds the file too, and may have cut it between the first
	 * fstat() and the seals; a mapping of the earlier size would
	 * reach past its end, and the first read there is a SIGBUS.
	 */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size <= 0)
		return -ENODATA;
	if ((uint64_t)st.st_size > max)
		return -EMSGSIZE;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	*ret_data = map;
	*ret_len = (size_t)st.st_size;
	return 0;
}

void
mml_journal_fd_release(const uint8_t *data, size_t len)
{
	if (data != NULL && len > 0)
		(void)munmap((void *)(uintptr_t)data, len);
}
