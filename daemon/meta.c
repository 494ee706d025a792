/*
 * meta.c: the trusted metadata of a sender (meta.h).
 *
 * Four parts, top to bottom: the cgroup path's units, derived as
 * systemd 252's src/basic/cgroup-util.c derives them (the rules are
 * restated here from its behaviour, one function each: a unit name's
 * validity, the slices, the user manager, the session); the /proc
 * readers and the fields block of one sender; the per-pid cache for
 * datagram senders; the pool of what connections hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "meta.h"
#include "tables.h"
#include "wire.h"

_Static_assert(MML_META_MAX == MML_META_SLOT_ROOM, "a sender's fields fill a slot");

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC	0x63677270
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC		0x01021994
#endif

/* unit_name_is_valid()'s flags: a plain name, an instance of a template. */
#define NAME_PLAIN		0x1
#define NAME_INSTANCE		0x2

/* A cgroup path, as /proc/PID/cgroup has it, and its line. */
#define CGROUP_PATH_MAX		4096
#define CGROUP_FILE_MAX		16384

/* Entries a pid may go in, from its hash on. */
#define CACHE_WAYS		8

/* Hash buckets of a pool. */
#define POOL_BUCKETS		256

struct cache_ent {
	pid_t			 pid;		/* 0: unused */
	uid_t			 uid;
	gid_t			 gid;
	uint64_t		 starttime;	/* 0: unknown (gone) */
	uint64_t		 gathered_ms;
	uint64_t		 checked_ms;
	uint64_t		 used_ms;
	struct mml_meta		*m;
};

struct mml_meta_cache {
	const struct mml_meta_host *h;
	const char		*transport;
	unsigned		 size;
	struct mml_meta_cache_stats st;
	struct mml_meta		 scratch;	/* for pid 0, no memory */
	struct cache_ent	 ent[];
};

/* A block held by connections; m first, so that m's address is the entry's. */
struct pool_ent {
	struct mml_meta		 m;
	struct pool_ent		*next;		/* in its bucket */
	unsigned long		 refs;
};

struct mml_meta_pool {
	size_t			 count;
	struct pool_ent		*bucket[POOL_BUCKETS];
};

struct field {
	const char		*key;
	const char		*val;
	size_t			 len;
	int			 cut;		/* may be cut to fit */
};

static int	unit_type_valid(const char *, size_t);
static int	name_valid(const char *, size_t, int);
static int	slice_name_valid(const char *, size_t);
static const char *skip_slices(const char *);
static int	decode_unit(const char *, char *);
static int	get_unit(const char *, char *);
static int	parse_uid(const char *, size_t, uint32_t *);
static const char *skip_session(const char *);
static const char *skip_user_manager(const char *);
static const char *skip_user_prefix(const char *);
static void	get_slice(const char *, char *);
static int	ends_with(const char *, size_t, const char *);
static ssize_t	read_at(int, const char *, char *, size_t);
static int	read_starttime(int, uint64_t *);
static size_t	utf8_cut(const char *, size_t);
static void	block_build(struct mml_meta *, struct field *, size_t);
static int	host_cgroup_legacy(void);
static struct cache_ent *cache_find(struct mml_meta_cache *, pid_t);
static const struct mml_meta *cache_fill(struct mml_meta_cache *,
		    struct cache_ent *, pid_t, uid_t, gid_t, uint64_t);

/*
 * The unit types systemd 252 knows (unit_type_from_string()); a name's
 * suffix after its last dot must be one of them.
 */
static const char *const unit_types[] = {
	"service", "mount", "swap", "socket", "target", "device",
	"automount", "timer", "path", "slice", "scope",
};

static int
unit_type_valid(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(unit_types) / sizeof(unit_types[0]); i++)
		if (strlen(unit_types[i]) == len &&
		    memcmp(unit_types[i], s, len) == 0)
			return 1;
	return 0;
}

/*
 * systemd's unit_name_is_valid() on n[0, len): shorter than
 * UNIT_NAME_MAX; a known type after the last dot, which is not the
 * first byte; before it only [0-9A-Za-z:_.\-] and '@', the first '@'
 * not first.  Plain: no '@'.  Instance: an '@' with something between
 * it and the dot.
 */
static int
name_valid(const char *n, size_t len, int flags)
{
	const char *e, *at = NULL;
	size_t i;

	if (len == 0 || len >= MML_META_UNIT_MAX)
		return 0;
	e = memrchr(n, '.', len);
	if (e == NULL || e == n)
		return 0;
	if (!unit_type_valid(e + 1, (size_t)(n + len - (e + 1))))
		return 0;
	for (i = 0; n + i < e; i++) {
		char c = n[i];

		if (c == '@' && at == NULL)
			at = n + i;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == ':' || c == '-' ||
		    c == '_' || c == '.' || c == '\\' || c == '@'))
			return 0;
	}
	if (at == n)
		return 0;
	if ((flags & NAME_PLAIN) && at == NULL)
		return 1;
	if ((flags & NAME_INSTANCE) && at != NULL && e > at + 1)
		return 1;
	return 0;
}

/* Whether s[0, len) ends with the NUL-terminated suffix. */
static int
ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/*
 * systemd's valid_slice_name(): at least "x.slice", ending in ".slice",
 * and, its escape undone (cg_unescape(): one leading '_' dropped), a
 * valid plain name.
 */
static int
slice_name_valid(const char *p, size_t n)
{
	if (n < strlen("x.slice") || !ends_with(p, n, ".slice"))
		return 0;
	if (p[0] == '_') {
		p++;
		n--;
	}
	return name_valid(p, n, NAME_PLAIN);
}

/* systemd's skip_slices(): past every leading slice component. */
static const char *
skip_slices(const char *p)
{
	size_t n;

	for (;;) {
		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (!slice_name_valid(p, n))
			return p;
		p += n;
	}
}

/*
 * systemd's cg_path_decode_unit(): the first component of p, at least 3
 * bytes, unescaped, if it is a valid plain or instance name.  Returns 1
 * with it in unit[MML_META_UNIT_MAX], else 0.
 */
static int
decode_unit(const char *p, char *unit)
{
	size_t n;

	n = strcspn(p, "/");
	if (n < 3)
		return 0;
	if (p[0] == '_') {
		p++;
		n--;
	}
	if (!name_valid(p, n, NAME_PLAIN | NAME_INSTANCE))
		return 0;
	memcpy(unit, p, n);
	unit[n] = '\0';
	return 1;
}

/*
 * systemd's cg_path_get_unit(): past the slices, the first component,
 * if it is a unit and not a slice.  Returns 1 with it in unit, else 0
 * (unit then "").
 */
static int
get_unit(const char *path, char *unit)
{
	if (!decode_unit(skip_slices(path), unit) ||
	    ends_with(unit, strlen(unit), ".slice")) {
		unit[0] = '\0';
		return 0;
	}
	return 1;
}

/*
 * systemd's parse_uid(): decimal digits only, no sign, no white space,
 * no leading zero (but "0"), at most 2^32 - 1, and neither (uid_t)-1
 * nor the 16-bit -1, 65535.
 */
static int
parse_uid(const char *s, size_t len, uint32_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || (s[0] == '0' && len > 1))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	if (v == UINT32_MAX || v == 0xFFFF)
		return -ENXIO;
	*ret = (uint32_t)v;
	return 0;
}

/*
 * systemd's skip_session(): p must begin (after slashes) with
 * "session-ID.scope", ID letters and digits; returns what follows it
 * and its slashes, or NULL.
 */
static const char *
skip_session(const char *p)
{
	size_t n, i;

	if (p == NULL || *p == '\0')
		return NULL;
	p += strspn(p, "/");
	n = strcspn(p, "/");
	if (n < strlen("session-x.scope"))
		return NULL;
	if (memcmp(p, "session-", 8) != 0 || !ends_with(p, n, ".scope"))
		return NULL;
	for (i = 8; i < n - 6; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z')))
			return NULL;
	p += n;
	return p + strspn(p, "/");
}

/*
 * systemd's skip_user_manager(): p must begin (after slashes) with
 * "user@UID.service", UID as parse_uid() takes it; returns what follows
 * it and its slashes, or NULL.
 */
static const char *
skip_user_manager(const char *p)
{
	uint32_t uid;
	size_t n;

	if (p == NULL || *p == '\0')
		return NULL;
	p += strspn(p, "/");
	n = strcspn(p, "/");
	if (n < strlen("user@x.service"))
		return NULL;
	if (memcmp(p, "user@", 5) != 0 || !ends_with(p, n, ".service"))
		return NULL;
	if (parse_uid(p + 5, n - 5 - 8, &uid) < 0)
		return NULL;
	p += n;
	return p + strspn(p, "/");
}

/*
 * systemd's skip_user_prefix(): past the slices, then past the user
 * manager, or else past a session scope; NULL if neither is there.
 */
static const char *
skip_user_prefix(const char *path)
{
	const char *e, *t;

	e = skip_slices(path);
	t = skip_user_manager(e);
	if (t != NULL)
		return t;
	return skip_session(e);
}

/*
 * systemd's cg_path_get_slice(): the last of the leading slice
 * components, or "-.slice" (the root slice) if there is none.
 */
static void
get_slice(const char *p, char *slice)
{
	const char *e = NULL;
	size_t n;

	for (;;) {
		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (!slice_name_valid(p, n))
			break;
		e = p;
		p += n;
	}
	if (e == NULL || !decode_unit(e, slice))
		(void)strcpy(slice, "-.slice");
}

void
mml_meta_cgroup_units(const char *path, struct mml_meta_units *ret)
{
	const char *t;
	size_t n;

	memset(ret, 0, sizeof(*ret));

	(void)get_unit(path, ret->unit);
	t = skip_user_prefix(path);
	if (t != NULL) {
		(void)get_unit(t, ret->user_unit);
		get_slice(t, ret->user_slice);
	}
	get_slice(path, ret->slice);

	/* cg_path_get_session(): the unit is "session-ID.scope". */
	n = strlen(ret->unit);
	if (n > 8 + 6 && memcmp(ret->unit, "session-", 8) == 0 &&
	    ends_with(ret->unit, n, ".scope") &&
	    skip_session(ret->unit) != NULL) {
		memcpy(ret->session, ret->unit + 8, n - 8 - 6);
		ret->session[n - 8 - 6] = '\0';
	}

	/* cg_path_get_owner_uid(): the slice is "user-UID.slice". */
	n = strlen(ret->slice);
	if (n > 5 + 6 && memcmp(ret->slice, "user-", 5) == 0 &&
	    ends_with(ret->slice, n, ".slice") &&
	    parse_uid(ret->slice + 5, n - 5 - 6, &ret->owner_uid) == 0)
		ret->has_owner_uid = 1;
}

const char *
mml_meta_cgroup_shift(const char *path, const char *root)
{
	const char *p = path, *q = root;
	size_t np, nq;

	/* systemd's path_startswith(): whole components, slashes folded. */
	if (root == NULL || path[0] != '/' || root[0] != '/')
		return path;
	for (;;) {
		q += strspn(q, "/");
		nq = strcspn(q, "/");
		if (nq == 0)
			break;
		p += strspn(p, "/");
		np = strcspn(p, "/");
		if (np != nq || memcmp(p, q, np) != 0)
			return path;
		p += np;
		q += nq;
	}
	if (p == path)
		return path;	/* the root is "/": nothing to cut */
	/*
	 * The rest, from the slash just before its first component.
	 * systemd would give the root's last byte when the path is the
	 * root itself: that is the container's root cgroup, "/" here.
	 */
	p += strspn(p, "/");
	if (*p == '\0')
		return "/";
	return p - 1;
}

int
mml_meta_cgroup_line(const char *text, size_t len, int legacy, char *buf,
    size_t cap)
{
	const char *line = text, *end = text + len, *nl, *c1, *c2;
	size_t n;

	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		/* "ID:CONTROLLERS:PATH" */
		c1 = memchr(line, ':', (size_t)(nl - line));
		c2 = c1 == NULL ? NULL :
		    memchr(c1 + 1, ':', (size_t)(nl - c1 - 1));
		if (c2 != NULL && (legacy ?
		    (c2 - c1 - 1 == 12 && memcmp(c1 + 1, "name=systemd",
		    12) == 0) :
		    (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1))) {
			if (nl == end && len > 0 && text[len - 1] != '\n')
				return -ENAMETOOLONG;	/* may be cut */
			n = (size_t)(nl - c2 - 1);
			if (n + 1 > cap || memchr(c2 + 1, '\0', n) != NULL)
				return -ENAMETOOLONG;
			memcpy(buf, c2 + 1, n);
			buf[n] = '\0';
			return (int)n;
		}
		line = nl + 1;
	}
	return -ENOENT;
}

int
mml_meta_stat_starttime(const char *text, size_t len, uint64_t *ret_starttime)
{
	const char *p, *end = text + len;
	uint64_t v = 0;
	int field;

	/* The command name ends at the last ')'; field 3 follows it. */
	p = memrchr(text, ')', len);
	if (p == NULL)
		return -EBADMSG;
	p++;
	for (field = 3; field <= 22; field++) {
		if (p >= end || *p != ' ')
			return -EBADMSG;
		p++;
		if (field < 22) {
			while (p < end && *p != ' ')
				p++;
			continue;
		}
		if (p >= end || *p < '0' || *p > '9')
			return -EBADMSG;
		while (p < end && *p >= '0' && *p <= '9') {
			uint64_t d = (uint64_t)(*p - '0');

			if (v > (UINT64_MAX - d) / 10)
				return -EBADMSG;
			v = v * 10 + d;
			p++;
		}
		if (p < end && *p != ' ' && *p != '\n')
			return -EBADMSG;
	}
	*ret_starttime = v;
	return 0;
}

size_t
mml_meta_cmdline(char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	/* delete_trailing_chars(WHITESPACE): " \t\n\r". */
	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t' ||
	    buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	return len;
}

/*
 * Whether /sys/fs/cgroup is the legacy layout, where systemd's own
 * hierarchy is "name=systemd" (cg_unified_cached(): a tmpfs without
 * cgroup2 at unified/ or systemd/).  Anything else, also nothing
 * mounted, reads the cgroup2 line.
 */
static int
host_cgroup_legacy(void)
{
	struct statfs fs;

	if (statfs("/sys/fs/cgroup/", &fs) < 0 ||
	    (unsigned long)fs.f_type != TMPFS_MAGIC)
		return 0;
	if (statfs("/sys/fs/cgroup/unified/", &fs) == 0 &&
	    (unsigned long)fs.f_type == CGROUP2_SUPER_MAGIC)
		return 0;
	if (statfs("/sys/fs/cgroup/systemd/", &fs) == 0 &&
	    (unsigned long)fs.f_type == CGROUP2_SUPER_MAGIC)
		return 0;
	return 1;
}

void
mml_meta_host_init(struct mml_meta_host *h, const uint8_t boot_id[16])
{
	static const char hex[] = "0123456789abcdef";
	char buf[CGROUP_FILE_MAX], path[CGROUP_PATH_MAX];
	ssize_t n;
	size_t i, plen;
	int fd, r;

	memset(h, 0, sizeof(*h));
	h->proc = "/proc";
	for (i = 0; i < 16; i++) {
		h->boot_id[2 * i] = hex[boot_id[i] >> 4];
		h->boot_id[2 * i + 1] = hex[boot_id[i] & 0xf];
	}

	fd = open("/etc/machine-id", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		n = read(fd, buf, 64);
		(void)close(fd);
		if (n >= 32 && (n == 32 || buf[32] == '\n')) {
			for (i = 0; i < 32; i++)
				if (!((buf[i] >= '0' && buf[i] <= '9') ||
				    (buf[i] >= 'a' && buf[i] <= 'f')))
					break;
			if (i == 32)
				memcpy(h->machine_id, buf, 32);
		}
	}

	h->cgroup_legacy = host_cgroup_legacy();
	(void)strcpy(h->cgroup_root, "/");
	fd = open("/proc/1/cgroup", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	(void)close(fd);
	if (n <= 0)
		return;
	r = mml_meta_cgroup_line(buf, (size_t)n, h->cgroup_legacy, path,
	    sizeof(path));
	if (r <= 0)
		return;
	/* cg_get_root_path(): PID 1's cgroup, its own scope cut off. */
	plen = (size_t)r;
	if (ends_with(path, plen, "/init.scope"))
		plen -= strlen("/init.scope");
	else if (ends_with(path, plen, "/system.slice"))
		plen -= strlen("/system.slice");
	else if (ends_with(path, plen, "/system"))
		plen -= strlen("/system");
	if (plen == 0 || plen >= sizeof(h->cgroup_root))
		return;
	memcpy(h->cgroup_root, path, plen);
	h->cgroup_root[plen] = '\0';
}

/* Reads the file name under dir into buf[0, cap); returns bytes, -errno. */
static ssize_t
read_at(int dir, const char *name, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (len < cap) {
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			(void)close(fd);
			return len > 0 ? (ssize_t)len : n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	(void)close(fd);
	return (ssize_t)len;
}

/* The start time of the process whose /proc directory is dir. */
static int
read_starttime(int dir, uint64_t *ret)
{
	char buf[1024];
	ssize_t n;

	n = read_at(dir, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return mml_meta_stat_starttime(buf, (size_t)n, ret);
}

/* At most len bytes of s, not ending inside a UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t len)
{
	size_t n = len, back = 0;

	/* Back over continuation bytes to the sequence's lead byte... */
	while (n > 0 && back < 4 && ((unsigned char)s[n - 1] & 0xC0) == 0x80) {
		n--;
		back++;
	}
	if (n == 0 || back == 4)
		return len;
	{
		unsigned char c = (unsigned char)s[n - 1];
		size_t need;

		if (c < 0x80)
			return len;
		need = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
		/* ...and drop the sequence if it is not complete. */
		return back >= need ? len : n - 1;
	}
}

/*
 * Encodes the fields f[0, n) in that order into m: each whole or not at
 * all, but those marked cut, which take what room remains (at least a
 * byte).  Fields with no value are left out.
 */
static void
block_build(struct mml_meta *m, struct field *f, size_t n)
{
	size_t i, len = 0, kl, room, vl;

	for (i = 0; i < n; i++) {
		if (f[i].val == NULL || f[i].len == 0)
			continue;
		kl = strlen(f[i].key);
		if (MML_META_MAX - len < 4 + kl + 2)
			continue;
		room = MML_META_MAX - len - 4 - kl - 1;
		vl = f[i].len;
		if (vl > room) {
			if (!f[i].cut)
				continue;
			vl = utf8_cut(f[i].val, room);
			if (vl == 0)
				continue;
		}
		(void)mml_fields_put(m->block, MML_META_MAX, &len, f[i].key, kl,
		    f[i].val, vl);
	}
	m->len = (uint32_t)len;
	m->hash = mml_crc32c(0, m->block, len);
}

int
mml_meta_gather(const struct mml_meta_host *h, pid_t pid,
    const char *transport, const char *unit_fallback, struct mml_meta *ret,
    uint64_t *ret_starttime)
{
	char host[HOST_NAME_MAX + 1], dir[64], exe[PATH_MAX];
	char cgfile[CGROUP_FILE_MAX], cgpath[CGROUP_PATH_MAX];
	char cmd[MML_META_MAX], owner[16] = "";
	struct mml_meta_units u;
	struct field f[13];
	const char *cg = NULL;
	uint64_t start = 0;
	ssize_t n;
	size_t nf = 0, exe_len = 0, cmd_len = 0;
	int dfd = -1, r = 0;

	memset(&u, 0, sizeof(u));
	host[0] = '\0';
	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';

	if (pid > 0) {
		(void)snprintf(dir, sizeof(dir), "%s/%d", h->proc, (int)pid);
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || read_starttime(dfd, &start) < 0) {
			start = 0;
			r = -ESRCH;
		}
	}
	if (dfd >= 0 && r == 0) {
		n = readlinkat(dfd, "exe", exe, sizeof(exe) - 1);
		if (n > 0) {
			exe_len = (size_t)n;
			if (ends_with(exe, exe_len, " (deleted)"))
				exe_len -= strlen(" (deleted)");
		}
		n = read_at(dfd, "cmdline", cmd, sizeof(cmd));
		if (n > 0)
			cmd_len = mml_meta_cmdline(cmd, (size_t)n);
		n = read_at(dfd, "cgroup", cgfile, sizeof(cgfile));
		if (n > 0 && mml_meta_cgroup_line(cgfile, (size_t)n,
		    h->cgroup_legacy, cgpath, sizeof(cgpath)) >= 0) {
			cg = mml_meta_cgroup_shift(cgpath, h->cgroup_root);
			/* journald: the root cgroup says nothing (a zombie's). */
			if (cg[0] == '\0' || strcmp(cg, "/") == 0)
				cg = NULL;
		}
	}
	if (cg != NULL)
		mml_meta_cgroup_units(cg, &u);
	else if (unit_fallback != NULL &&
	    strlen(unit_fallback) < sizeof(u.unit))
		(void)strcpy(u.unit, unit_fallback);
	if (u.has_owner_uid)
		(void)snprintf(owner, sizeof(owner), "%u", u.owner_uid);

#define F(k, v, l, c)	do { f[nf].key = (k); f[nf].val = (v); \
	f[nf].len = (l); f[nf].cut = (c); nf++; } while (0)
#define FS(k, v)	F(k, v, strlen(v), 0)
	FS("_TRANSPORT", transport);
	FS("_HOSTNAME", host);
	FS("_BOOT_ID", h->boot_id);
	FS("_MACHINE_ID", h->machine_id);
	FS("_SYSTEMD_UNIT", u.unit);
	FS("_SYSTEMD_USER_UNIT", u.user_unit);
	FS("_SYSTEMD_SLICE", u.slice);
	FS("_SYSTEMD_USER_SLICE", u.user_slice);
	FS("_SYSTEMD_SESSION", u.session);
	F("_SYSTEMD_OWNER_UID", owner, u.has_owner_uid ? strlen(owner) : 0,
	    0);
	F("_EXE", exe, exe_len, 1);
	F("_SYSTEMD_CGROUP", cg, cg != NULL ? strlen(cg) : 0, 1);
	F("_CMDLINE", cmd, cmd_len, 1);
#undef FS
#undef F
	block_build(ret, f, nf);

	if (dfd >= 0)
		(void)close(dfd);
	if (ret_starttime != NULL)
		*ret_starttime = start;
	return r;
}

struct mml_meta_cache *
mml_meta_cache_new(const struct mml_meta_host *h, const char *transport,
    unsigned size)
{
	struct mml_meta_cache *c;

	if (size == 0)
		size = MML_META_CACHE_SIZE;
	c = calloc(1, sizeof(*c) + (size_t)size * sizeof(c->ent[0]));
	if (c == NULL)
		return NULL;
	c->h = h;
	c->transport = transport;
	c->size = size;
	return c;
}

struct mml_meta_cache *
mml_meta_cache_free(struct mml_meta_cache *c)
{
	unsigned i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < c->size; i++)
		free(c->ent[i].m);
	free(c);
	return NULL;
}

/*
 * The entry of pid if it has one; else the one it should take: an
 * unused one of its ways, or the least recently used.
 */
static struct cache_ent *
cache_find(struct mml_meta_cache *c, pid_t pid)
{
	struct cache_ent *e, *victim = NULL;
	unsigned i, ways, start;

	ways = c->size < CACHE_WAYS ? c->size : CACHE_WAYS;
	start = (unsigned)(((uint32_t)pid * 2654435761u) % c->size);
	for (i = 0; i < ways; i++) {
		e = &c->ent[(start + i) % c->size];
		if (e->pid == pid)
			return e;
		if (victim == NULL || (victim->pid != 0 &&
		    (e->pid == 0 || e->used_ms < victim->used_ms)))
			victim = e;
	}
	return victim;
}

/* Gathers pid into e (or, without memory, the scratch entry). */
static const struct mml_meta *
cache_fill(struct mml_meta_cache *c, struct cache_ent *e, pid_t pid,
    uid_t uid, gid_t gid, uint64_t now_ms)
{
	uint64_t start;

	if (e->m == NULL) {
		e->m = malloc(sizeof(*e->m));
		if (e->m == NULL) {
			e->pid = 0;
			(void)mml_meta_gather(c->h, pid, c->transport, NULL,
			    &c->scratch, NULL);
			return &c->scratch;
		}
	}
	c->st.gathers++;
	(void)mml_meta_gather(c->h, pid, c->transport, NULL, e->m, &start);
	if (e->pid == pid && e->starttime != 0 && start != 0 &&
	    start != e->starttime)
		c->st.reused++;
	e->pid = pid;
	e->uid = uid;
	e->gid = gid;
	e->starttime = start;
	e->gathered_ms = e->checked_ms = e->used_ms = now_ms;
	return e->m;
}

const struct mml_meta *
mml_meta_cache_get(struct mml_meta_cache *c, pid_t pid, uid_t uid, gid_t gid,
    uint64_t now_ms)
{
	struct cache_ent *e;
	char dir[64];
	uint64_t start;
	int dfd, r;

	if (pid <= 0) {
		(void)mml_meta_gather(c->h, 0, c->transport, NULL, &c->scratch,
		    NULL);
		return &c->scratch;
	}
	e = cache_find(c, pid);
	if (e->pid != pid) {
		if (e->pid != 0)
			c->st.evictions++;
		e->pid = 0;
		return cache_fill(c, e, pid, uid, gid, now_ms);
	}
	e->used_ms = now_ms;
	if (e->uid != uid || e->gid != gid)
		return cache_fill(c, e, pid, uid, gid, now_ms);
	if (now_ms - e->gathered_ms >= MML_META_MAX_AGE_MS)
		return cache_fill(c, e, pid, uid, gid, now_ms);
	if (now_ms - e->checked_ms < MML_META_RECHECK_MS) {
		c->st.hits++;
		return e->m;
	}

	/* Is it still the process we gathered? */
	c->st.checks++;
	(void)snprintf(dir, sizeof(dir), "%s/%d", c->h->proc, (int)pid);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = dfd < 0 ? -errno : read_starttime(dfd, &start);
	if (dfd >= 0)
		(void)close(dfd);
	if (r < 0)
		start = 0;
	if (start == e->starttime && start != 0) {
		e->checked_ms = now_ms;
		c->st.hits++;
		return e->m;
	}
	return cache_fill(c, e, pid, uid, gid, now_ms);
}

void
mml_meta_cache_stats(const struct mml_meta_cache *c,
    struct mml_meta_cache_stats *ret)
{
	*ret = c->st;
}

struct mml_meta_pool *
mml_meta_pool_new(void)
{
	return calloc(1, sizeof(struct mml_meta_pool));
}

struct mml_meta_pool *
mml_meta_pool_free(struct mml_meta_pool *p)
{
	struct pool_ent *e, *next;
	size_t i;

	if (p == NULL)
		return NULL;
	for (i = 0; i < POOL_BUCKETS; i++)
		for (e = p->bucket[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(p);
	return NULL;
}

const struct mml_meta *
mml_meta_pool_hold(struct mml_meta_pool *p, const struct mml_meta *m)
{
	struct pool_ent **b = &p->bucket[m->hash % POOL_BUCKETS], *e;

	for (e = *b; e != NULL; e = e->next)
		if (e->m.hash == m->hash && e->m.len == m->len &&
		    memcmp(e->m.block, m->block, m->len) == 0) {
			e->refs++;
			return &e->m;
		}
	e = malloc(sizeof(*e));
	if (e == NULL)
		return NULL;
	e->m.hash = m->hash;
	e->m.len = m->len;
	memcpy(e->m.block, m->block, m->len);
	e->refs = 1;
	e->next = *b;
	*b = e;
	p->count++;
	return &e->m;
}

void
mml_meta_pool_drop(struct mml_meta_pool *p, const struct mml_meta *m)
{
	struct pool_ent **pp, *e;

	if (m == NULL)
		return;
	for (pp = &p->bucket[m->hash % POOL_BUCKETS]; *pp != NULL;
	    pp = &(*pp)->next) {
		e = *pp;
		if (&e->m != m)
			continue;
		if (--e->refs == 0) {
			*pp = e->next;
			free(e);
			p->count--;
		}
		return;
	}
}

size_t
mml_meta_pool_count(const struct mml_meta_pool *p)
{
	return p->count;
}
