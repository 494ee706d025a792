/*
 * check_meta.c: the trusted metadata of a sender (daemon/meta.c).
 *
 * The cgroup rows give, for each path, what systemd 252's
 * cg_path_get_unit(), _user_unit(), _slice(), _user_slice(),
 * _session() and _owner_uid() give for it (worked out from their
 * source, src/basic/cgroup-util.c, rule by rule; the row says which
 * rule it is about).  Every row that names a cgroup one can make was
 * also checked once against the installed libsystemd 252.39, on this
 * project's VM: a child moved into a cgroup of that path at the cgroup2
 * root, then sd_pid_get_unit(), _user_unit(), _slice(), _user_slice(),
 * _session() and _owner_uid() asked; they agreed on every row.  (Not
 * repeated here: it makes cgroups like /system.slice at the root.)  The /proc readers run on a fake /proc in the
 * test's own directory, so every file a process shows can be chosen;
 * the cache tests move the clock by hand.  Two tests use the real
 * kernel: this process's own metadata, and (as root, with a cgroup2
 * hierarchy mounted) a child moved into a cgroup named like a unit.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <mntent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../daemon/meta.h"
#include "wire.h"

Suite *meta_suite(void);

#define FIELDS_MAX	16
#define BOOT_HEX	"00112233445566778899aabbccddeeff"
#define MACHINE_HEX	"0123456789abcdef0123456789abcdef"

/* A cgroup path and its units; NULL for none, -1 for no owner uid. */
struct cg_row {
	const char	*what;
	const char	*path;
	const char	*unit, *user_unit, *slice, *user_slice, *session;
	long long	 owner_uid;
};

static const struct cg_row cg_rows[] = {
	{ "system service", "/system.slice/nginx.service",
	    "nginx.service", NULL, "system.slice", NULL, NULL, -1 },
	{ "instance of a template", "/system.slice/getty@tty1.service",
	    "getty@tty1.service", NULL, "system.slice", NULL, NULL, -1 },
	{ "instance in its template's slice",
	    "/system.slice/system-getty.slice/getty@tty1.service",
	    "getty@tty1.service", NULL, "system-getty.slice", NULL, NULL,
	    -1 },
	{ "instance holding '@' and ':'",
	    "/system.slice/a@b@c:d.service",
	    "a@b@c:d.service", NULL, "system.slice", NULL, NULL, -1 },
	{ "a template is no unit", "/system.slice/foo@.service",
	    NULL, NULL, "system.slice", NULL, NULL, -1 },
	{ "'@' first is no unit", "/system.slice/@x.service",
	    NULL, NULL, "system.slice", NULL, NULL, -1 },
	{ "a process of the unit's sub-cgroup",
	    "/system.slice/foo.service/worker/deeper",
	    "foo.service", NULL, "system.slice", NULL, NULL, -1 },
	{ "init.scope under the root", "/init.scope",
	    "init.scope", NULL, "-.slice", NULL, NULL, -1 },
	{ "a unit right under the root", "/foo.service",
	    "foo.service", NULL, "-.slice", NULL, NULL, -1 },
	{ "the cgroup2 root", "/",
	    NULL, NULL, "-.slice", NULL, NULL, -1 },
	{ "the empty path", "",
	    NULL, NULL, "-.slice", NULL, NULL, -1 },
	{ "a slice alone", "/system.slice",
	    NULL, NULL, "system.slice", NULL, NULL, -1 },
	{ "nested slices: the last one", "/a.slice/a-b.slice/a-b-c.slice/x.scope",
	    "x.scope", NULL, "a-b-c.slice", NULL, NULL, -1 },
	{ "the root slice named", "/-.slice/foo.service",
	    "foo.service", NULL, "-.slice", NULL, NULL, -1 },
	{ "slashes folded", "//system.slice///foo.service//",
	    "foo.service", NULL, "system.slice", NULL, NULL, -1 },
	{ "container scope, the guest's units are not ours",
	    "/machine.slice/machine-c1.scope/system.slice/x.service",
	    "machine-c1.scope", NULL, "machine.slice", NULL, NULL, -1 },
	{ "session scope", "/user.slice/user-1000.slice/session-2.scope",
	    "session-2.scope", NULL, "user-1000.slice", "-.slice", "2",
	    1000 },
	{ "session id of letters", "/user.slice/user-1000.slice/session-c1.scope",
	    "session-c1.scope", NULL, "user-1000.slice", "-.slice", "c1",
	    1000 },
	{ "session id with '_' is no session",
	    "/user.slice/user-1000.slice/session-a_b.scope",
	    "session-a_b.scope", NULL, "user-1000.slice", NULL, NULL, 1000 },
	{ "session scope at the root", "/session-1.scope",
	    "session-1.scope", NULL, "-.slice", "-.slice", "1", -1 },
	{ "user unit",
	    "/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service",
	    "user@1000.service", "foo.service", "user-1000.slice",
	    "app.slice", NULL, 1000 },
	{ "user unit in nested user slices",
	    "/user.slice/user-1000.slice/user@1000.service/app.slice/"
	    "app-gnome.slice/app-gnome-firefox-123.scope",
	    "user@1000.service", "app-gnome-firefox-123.scope",
	    "user-1000.slice", "app-gnome.slice", NULL, 1000 },
	{ "the user manager's own init.scope",
	    "/user.slice/user-1000.slice/user@1000.service/init.scope",
	    "user@1000.service", "init.scope", "user-1000.slice", "-.slice",
	    NULL, 1000 },
	{ "the user manager itself",
	    "/user.slice/user-1000.slice/user@1000.service",
	    "user@1000.service", NULL, "user-1000.slice", "-.slice", NULL,
	    1000 },
	{ "root's user manager, uid 0",
	    "/user.slice/user-0.slice/user@0.service/x.service",
	    "user@0.service", "x.service", "user-0.slice", "-.slice", NULL,
	    0 },
	{ "user manager uid with a leading zero is none",
	    "/user.slice/user-1000.slice/user@01.service/x.service",
	    "user@01.service", NULL, "user-1000.slice", NULL, NULL, 1000 },
	{ "owner uid with a leading zero is none",
	    "/user.slice/user-01000.slice/session-1.scope",
	    "session-1.scope", NULL, "user-01000.slice", "-.slice", "1", -1 },
	{ "owner uid 65535 is none (16-bit -1)",
	    "/user.slice/user-65535.slice/x.scope",
	    "x.scope", NULL, "user-65535.slice", NULL, NULL, -1 },
	{ "owner uid 4294967295 is none",
	    "/user.slice/user-4294967295.slice/x.scope",
	    "x.scope", NULL, "user-4294967295.slice", NULL, NULL, -1 },
	{ "owner uid above 32 bits is none",
	    "/user.slice/user-4294967296.slice/x.scope",
	    "x.scope", NULL, "user-4294967296.slice", NULL, NULL, -1 },
	{ "owner uid 4294967294", "/user.slice/user-4294967294.slice/x.scope",
	    "x.scope", NULL, "user-4294967294.slice", NULL, NULL,
	    4294967294LL },
	{ "escape: a controller's name", "/system.slice/_cpu.service",
	    "cpu.service", NULL, "system.slice", NULL, NULL, -1 },
	{ "escape: one '_' dropped, the next kept",
	    "/system.slice/__x.service",
	    "_x.service", NULL, "system.slice", NULL, NULL, -1 },
	{ "escape: a slice", "/_foo.slice/bar.service",
	    "bar.service", NULL, "foo.slice", NULL, NULL, -1 },
	{ "escape: the owner's slice", "/_user-7.slice/x.scope",
	    "x.scope", NULL, "user-7.slice", NULL, NULL, 7 },
	{ "unit escapes kept as they are",
	    "/system.slice/systemd-fsck@dev-disk-by\\x2dlabel-root.service",
	    "systemd-fsck@dev-disk-by\\x2dlabel-root.service", NULL,
	    "system.slice", NULL, NULL, -1 },
	{ "garbage: no type", "/system.slice/foo",
	    NULL, NULL, "system.slice", NULL, NULL, -1 },
	{ "garbage: unknown type", "/system.slice/foo.bogus",
	    NULL, NULL, "system.slice", NULL, NULL, -1 },
	{ "garbage: nothing before the dot", "/system.slice/.service",
	    NULL, NULL, "system.slice", NULL, NULL, -1 },
	{ "garbage: a bad byte", "/system.slice/f!o.service",
	    NULL, NULL, "system.slice", NULL, NULL, -1 },
	{ "garbage: a space", "/system.slice/a b.service",
	    NULL, NULL, "system.slice", NULL, NULL, -1 },
	{ "garbage: too short", "/ab",
	    NULL, NULL, "-.slice", NULL, NULL, -1 },
	{ "garbage: a slice with '@' is no slice and no unit",
	    "/system.slice/a@b.slice/x.service",
	    NULL, NULL, "system.slice", NULL, NULL, -1 },
	{ "garbage: a non-unit stops the slices",
	    "/docker/abc/system.slice/x.service",
	    NULL, NULL, "-.slice", NULL, NULL, -1 },
	{ "garbage: upper-case type", "/system.slice/x.SERVICE",
	    NULL, NULL, "system.slice", NULL, NULL, -1 },
};

static void
want_str(size_t i, const char *what, const char *got, const char *want)
{
	if (want == NULL)
		want = "";
	ck_assert_msg(strcmp(got, want) == 0,
	    "row %zu (%s): %s is '%s', not '%s'", i, cg_rows[i].what, what,
	    got, want);
}

START_TEST(test_cgroup_rows)
{
	const struct cg_row *t = &cg_rows[_i];
	struct mml_meta_units u;

	mml_meta_cgroup_units(t->path, &u);
	want_str((size_t)_i, "unit", u.unit, t->unit);
	want_str((size_t)_i, "user unit", u.user_unit, t->user_unit);
	want_str((size_t)_i, "slice", u.slice, t->slice);
	want_str((size_t)_i, "user slice", u.user_slice, t->user_slice);
	want_str((size_t)_i, "session", u.session, t->session);
	if (t->owner_uid < 0)
		ck_assert_msg(!u.has_owner_uid, "row %d (%s): owner uid %u",
		    _i, t->what, u.owner_uid);
	else
		ck_assert_msg(u.has_owner_uid &&
		    u.owner_uid == (uint32_t)t->owner_uid,
		    "row %d (%s): no owner uid %lld", _i, t->what,
		    t->owner_uid);
}
END_TEST

/* A unit name is shorter than 256 bytes (UNIT_NAME_MAX). */
START_TEST(test_cgroup_name_length)
{
	char path[600], name[300];
	struct mml_meta_units u;

	memset(name, 'a', 247);
	(void)strcpy(name + 247, ".service");		/* 255 bytes */
	(void)snprintf(path, sizeof(path), "/system.slice/%s", name);
	mml_meta_cgroup_units(path, &u);
	ck_assert_str_eq(u.unit, name);

	memset(name, 'a', 248);
	(void)strcpy(name + 248, ".service");		/* 256 bytes */
	(void)snprintf(path, sizeof(path), "/system.slice/%s", name);
	mml_meta_cgroup_units(path, &u);
	ck_assert_str_eq(u.unit, "");

	/* The escape's '_' does not count. */
	(void)snprintf(path, sizeof(path), "/system.slice/_%s", name + 1);
	mml_meta_cgroup_units(path, &u);
	ck_assert_uint_eq(strlen(u.unit), 255);

	memset(name, 'b', 249);
	(void)strcpy(name + 249, ".slice");		/* 255 bytes */
	(void)snprintf(path, sizeof(path), "/%s/x.service", name);
	mml_meta_cgroup_units(path, &u);
	ck_assert_str_eq(u.slice, name);
	ck_assert_str_eq(u.unit, "x.service");
}
END_TEST

START_TEST(test_cgroup_shift)
{
	static const struct {
		const char *path, *root, *want;
	} rows[] = {
		{ "/system.slice/a.service", "/", "/system.slice/a.service" },
		{ "/system.slice/a.service", NULL, "/system.slice/a.service" },
		{ "/lxc/c1/system.slice/a.service", "/lxc/c1",
		    "/system.slice/a.service" },
		{ "/lxc/c1/system.slice/a.service", "/lxc/c1/",
		    "/system.slice/a.service" },
		{ "//lxc//c1//a.service", "/lxc/c1", "/a.service" },
		{ "/lxc/c10/a.service", "/lxc/c1", "/lxc/c10/a.service" },
		{ "/lxc/c1", "/lxc/c1", "/" },
		{ "/lxc/c1/", "/lxc/c1", "/" },
		{ "/other/a.service", "/lxc", "/other/a.service" },
		{ "/", "/lxc", "/" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg(strcmp(mml_meta_cgroup_shift(rows[i].path,
		    rows[i].root), rows[i].want) == 0, "row %zu: '%s' in '%s'",
		    i, rows[i].path, rows[i].root ? rows[i].root : "(null)");
}
END_TEST

START_TEST(test_cgroup_line)
{
	static const char hybrid[] = "9:name=systemd:/legacy.slice/l.service\n"
	    "4:memory:/x\n0::/system.slice/a.service\n";
	char buf[64];

	ck_assert_int_eq(mml_meta_cgroup_line(hybrid, strlen(hybrid), 0, buf,
	    sizeof(buf)), 23);
	ck_assert_str_eq(buf, "/system.slice/a.service");
	ck_assert_int_eq(mml_meta_cgroup_line(hybrid, strlen(hybrid), 1, buf,
	    sizeof(buf)), 23);
	ck_assert_str_eq(buf, "/legacy.slice/l.service");

	/* Only "0::" is the cgroup2 line; a ':' in the path is kept. */
	ck_assert_int_eq(mml_meta_cgroup_line("10::/a\n0:cpu:/b\n0::/c:d\n",
	    24, 0, buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "/c:d");
	ck_assert_int_eq(mml_meta_cgroup_line("0::/\n", 5, 0, buf,
	    sizeof(buf)), 1);
	ck_assert_str_eq(buf, "/");

	ck_assert_int_eq(mml_meta_cgroup_line("1:cpu:/a\n", 9, 0, buf,
	    sizeof(buf)), -ENOENT);
	ck_assert_int_eq(mml_meta_cgroup_line("", 0, 0, buf, sizeof(buf)),
	    -ENOENT);
	ck_assert_int_eq(mml_meta_cgroup_line("garbage", 7, 0, buf,
	    sizeof(buf)), -ENOENT);
	/* No newline at the end: the read may have cut the path. */
	ck_assert_int_eq(mml_meta_cgroup_line("0::/a", 5, 0, buf,
	    sizeof(buf)), -ENAMETOOLONG);
	ck_assert_int_eq(mml_meta_cgroup_line("0::/abcdef\n", 11, 0, buf, 7),
	    -ENAMETOOLONG);
	ck_assert_int_eq(mml_meta_cgroup_line("0::/abcde\n", 10, 0, buf, 7),
	    6);
	ck_assert_int_eq(mml_meta_cgroup_line("0::/a\0b\n", 8, 0, buf,
	    sizeof(buf)), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_stat_starttime)
{
	static const struct {
		const char *text;
		int ret;
		uint64_t start;
	} rows[] = {
		{ "1234 (bash) S 1 1234 1234 34816 1234 4194304 1000 0 0 0 "
		    "10 5 0 0 20 0 1 0 98765 10000 200 184467\n", 0, 98765 },
		{ "7 (a) (b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 "
		    "18 4242 x\n", 0, 4242 },
		{ "7 (x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
		    "18446744073709551615\n", 0, UINT64_MAX },
		{ "7 (x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
		    "18446744073709551616\n", -EBADMSG, 0 },
		{ "7 (x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18",
		    -EBADMSG, 0 },
		{ "7 (x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 ",
		    -EBADMSG, 0 },
		{ "7 (x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
		    "-5 0\n", -EBADMSG, 0 },
		{ "7 (x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
		    "5x 0\n", -EBADMSG, 0 },
		{ "7 x R 1", -EBADMSG, 0 },
		{ "", -EBADMSG, 0 },
	};
	uint64_t v;
	size_t i;
	int r;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		v = 1;
		r = mml_meta_stat_starttime(rows[i].text, strlen(rows[i].text),
		    &v);
		ck_assert_msg(r == rows[i].ret, "row %zu: %d", i, r);
		ck_assert_msg(v == (r == 0 ? rows[i].start : 1),
		    "row %zu: %llu", i, (unsigned long long)v);
	}
}
END_TEST

START_TEST(test_cmdline)
{
	char b[32];

	memcpy(b, "a\0b c\0d\0", 8);
	ck_assert_uint_eq(mml_meta_cmdline(b, 8), 7);
	ck_assert(memcmp(b, "a b c d", 7) == 0);
	memcpy(b, "\0\0", 2);
	ck_assert_uint_eq(mml_meta_cmdline(b, 2), 0);
	memcpy(b, "x \t\n\0", 5);
	ck_assert_uint_eq(mml_meta_cmdline(b, 5), 1);
	ck_assert_uint_eq(mml_meta_cmdline(b, 0), 0);
	/* A process that rewrote its title: no NUL at the end. */
	memcpy(b, "sshd: u [priv]", 14);
	ck_assert_uint_eq(mml_meta_cmdline(b, 14), 14);
}
END_TEST

/*
 * The fake /proc: a directory per pid with stat (start time), cmdline,
 * cgroup and an exe link, as the test writes them.
 */
static char tmpdir[PATH_MAX];
static struct mml_meta_host host;
static char hostname[HOST_NAME_MAX + 1];

static void
setup(void)
{
	const char *t = getenv("TMPDIR");

	(void)snprintf(tmpdir, sizeof(tmpdir), "%s/check_meta.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	memset(&host, 0, sizeof(host));
	(void)strcpy(host.boot_id, BOOT_HEX);
	(void)strcpy(host.machine_id, MACHINE_HEX);
	(void)strcpy(host.cgroup_root, "/");
	host.proc = tmpdir;
	ck_assert_int_eq(gethostname(hostname, sizeof(hostname)), 0);
	hostname[sizeof(hostname) - 1] = '\0';
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void
teardown(void)
{
	(void)nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
put_file(pid_t pid, const char *name, const void *data, size_t len)
{
	char p[PATH_MAX + 64];
	int fd;

	(void)snprintf(p, sizeof(p), "%s/%d", tmpdir, (int)pid);
	(void)mkdir(p, 0755);
	(void)snprintf(p, sizeof(p), "%s/%d/%s", tmpdir, (int)pid, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	(void)close(fd);
}

/* A fake process: start time, cgroup path (NULL: no file), cmdline. */
static void
fake_proc(pid_t pid, uint64_t start, const char *cgroup, const char *exe,
    const void *cmdline, size_t cmdline_len)
{
	char b[8192], p[PATH_MAX + 64];
	int n;

	n = snprintf(b, sizeof(b), "%d (fake) S 1 2 3 4 5 6 7 8 9 10 11 12 13 "
	    "14 15 16 17 18 %llu 1 2\n", (int)pid, (unsigned long long)start);
	put_file(pid, "stat", b, (size_t)n);
	put_file(pid, "cmdline", cmdline, cmdline_len);
	if (cgroup != NULL) {
		n = snprintf(b, sizeof(b), "1:name=systemd:/\n0::%s\n",
		    cgroup);
		put_file(pid, "cgroup", b, (size_t)n);
	}
	(void)snprintf(p, sizeof(p), "%s/%d/exe", tmpdir, (int)pid);
	(void)unlink(p);
	if (exe != NULL)
		ck_assert_int_eq(symlink(exe, p), 0);
}

/*
 * Checks that m's block holds exactly the fields want[] (KEY=VALUE,
 * NULL-terminated), in order; "_HOSTNAME" alone stands for this host's.
 */
static void
want_block(const struct mml_meta *m, const char *const *want)
{
	char hn[HOST_NAME_MAX + 16];
	const uint8_t *item;
	size_t off = 0, len, kl, k;
	const char *w;

	ck_assert_uint_le(m->len, MML_META_MAX);
	ck_assert_uint_eq(m->hash, mml_crc32c(0, m->block, m->len));
	(void)snprintf(hn, sizeof(hn), "_HOSTNAME=%s", hostname);
	for (k = 0; want[k] != NULL; k++) {
		w = strcmp(want[k], "_HOSTNAME") == 0 ? hn : want[k];
		ck_assert_msg(mml_fields_next(m->block, m->len, &off, &item,
		    &len, &kl) > 0, "field %zu missing: '%s'", k, w);
		ck_assert_msg(len == strlen(w) && memcmp(item, w, len) == 0,
		    "field %zu is '%.*s', not '%s'", k, (int)len, item, w);
	}
	ck_assert_msg(mml_fields_next(m->block, m->len, &off, &item, &len,
	    &kl) == 0, "extra field '%.*s'", (int)len, item);
}

START_TEST(test_gather_service)
{
	static const char *const want[] = {
		"_TRANSPORT=syslog", "_HOSTNAME", "_BOOT_ID=" BOOT_HEX,
		"_MACHINE_ID=" MACHINE_HEX,
		"_SYSTEMD_UNIT=foo.service", "_SYSTEMD_SLICE=system.slice",
		"_EXE=/usr/bin/foo",
		"_SYSTEMD_CGROUP=/system.slice/foo.service",
		"_CMDLINE=/usr/bin/foo -x --flag=a b", NULL
	};
	struct mml_meta m;
	uint64_t start = 0;

	fake_proc(4242, 777, "/system.slice/foo.service",
	    "/usr/bin/foo (deleted)", "/usr/bin/foo\0-x\0--flag=a b\0", 27);
	ck_assert_int_eq(mml_meta_gather(&host, 4242, "syslog", NULL, &m,
	    &start), 0);
	ck_assert_uint_eq(start, 777);
	want_block(&m, want);

	/* A fallback unit is for the root cgroup only: ignored here. */
	ck_assert_int_eq(mml_meta_gather(&host, 4242, "syslog", "bar.service",
	    &m, NULL), 0);
	want_block(&m, want);
}
END_TEST

START_TEST(test_gather_user)
{
	static const char *const want[] = {
		"_TRANSPORT=stdout", "_HOSTNAME", "_BOOT_ID=" BOOT_HEX,
		"_MACHINE_ID=" MACHINE_HEX,
		"_SYSTEMD_UNIT=user@1000.service",
		"_SYSTEMD_USER_UNIT=app-x.scope",
		"_SYSTEMD_SLICE=user-1000.slice",
		"_SYSTEMD_USER_SLICE=app.slice",
		"_SYSTEMD_OWNER_UID=1000",
		"_SYSTEMD_CGROUP=/user.slice/user-1000.slice/user@1000.service/"
		    "app.slice/app-x.scope", NULL
	};
	struct mml_meta m;

	/* No exe link (another user's process), no command line. */
	fake_proc(17, 5, "/user.slice/user-1000.slice/user@1000.service/"
	    "app.slice/app-x.scope", NULL, "", 0);
	ck_assert_int_eq(mml_meta_gather(&host, 17, "stdout", NULL, &m, NULL),
	    0);
	want_block(&m, want);
}
END_TEST

/*
 * The cgroup root, and a cgroup file that cannot be read: journald
 * stores no cgroup field then, and takes the unit a trusted source
 * named (a stdout stream's header from uid 0), if any.
 */
START_TEST(test_gather_root)
{
	static const char *const want[] = {
		"_TRANSPORT=stdout", "_HOSTNAME", "_BOOT_ID=" BOOT_HEX,
		"_MACHINE_ID=" MACHINE_HEX, "_EXE=/bin/sh",
		"_CMDLINE=sh -c x", NULL
	};
	static const char *const want_fb[] = {
		"_TRANSPORT=stdout", "_HOSTNAME", "_BOOT_ID=" BOOT_HEX,
		"_MACHINE_ID=" MACHINE_HEX, "_SYSTEMD_UNIT=bar.service",
		"_EXE=/bin/sh", "_CMDLINE=sh -c x", NULL
	};
	struct mml_meta m;

	fake_proc(20, 5, "/", "/bin/sh", "sh\0-c\0x\0", 8);
	ck_assert_int_eq(mml_meta_gather(&host, 20, "stdout", NULL, &m, NULL),
	    0);
	want_block(&m, want);
	ck_assert_int_eq(mml_meta_gather(&host, 20, "stdout", "bar.service",
	    &m, NULL), 0);
	want_block(&m, want_fb);

	fake_proc(21, 5, NULL, "/bin/sh", "sh\0-c\0x\0", 8);
	ck_assert_int_eq(mml_meta_gather(&host, 21, "stdout", NULL, &m, NULL),
	    0);
	want_block(&m, want);
	ck_assert_int_eq(mml_meta_gather(&host, 21, "stdout", "bar.service",
	    &m, NULL), 0);
	want_block(&m, want_fb);

	/* The container's own root cgroup, shifted away, is the root. */
	(void)strcpy(host.cgroup_root, "/lxc/c1");
	fake_proc(22, 5, "/lxc/c1", "/bin/sh", "sh\0-c\0x\0", 8);
	ck_assert_int_eq(mml_meta_gather(&host, 22, "stdout", NULL, &m, NULL),
	    0);
	want_block(&m, want);
}
END_TEST

/* A container's root is cut off the path, as journald's cg_shift_path(). */
START_TEST(test_gather_shifted)
{
	static const char *const want[] = {
		"_TRANSPORT=journal", "_HOSTNAME", "_BOOT_ID=" BOOT_HEX,
		"_SYSTEMD_UNIT=x.service", "_SYSTEMD_SLICE=system.slice",
		"_SYSTEMD_CGROUP=/system.slice/x.service", NULL
	};
	struct mml_meta m;

	host.machine_id[0] = '\0';	/* unreadable: left out */
	(void)strcpy(host.cgroup_root, "/lxc/c1");
	fake_proc(30, 5, "/lxc/c1/system.slice/x.service", NULL, "", 0);
	ck_assert_int_eq(mml_meta_gather(&host, 30, "journal", NULL, &m,
	    NULL), 0);
	want_block(&m, want);
}
END_TEST

/* A process gone (or pid 0, the kernel): the host's fields only. */
START_TEST(test_gather_gone)
{
	static const char *const want[] = {
		"_TRANSPORT=kernel", "_HOSTNAME", "_BOOT_ID=" BOOT_HEX,
		"_MACHINE_ID=" MACHINE_HEX, NULL
	};
	struct mml_meta m;
	uint64_t start = 9;

	ck_assert_int_eq(mml_meta_gather(&host, 31337, "kernel", NULL, &m,
	    &start), -ESRCH);
	ck_assert_uint_eq(start, 0);
	want_block(&m, want);
	ck_assert_int_eq(mml_meta_gather(&host, 0, "kernel", NULL, &m,
	    &start), 0);
	want_block(&m, want);
	/* A pid whose stat is garbage is gone too. */
	put_file(40, "stat", "garbage", 7);
	ck_assert_int_eq(mml_meta_gather(&host, 40, "kernel", NULL, &m,
	    NULL), -ESRCH);
	want_block(&m, want);
}
END_TEST

/* Returns the value of key in m's block (length in *ret_len), or NULL. */
static const uint8_t *
field_of(const struct mml_meta *m, const char *key, size_t *ret_len)
{
	const uint8_t *item;
	size_t off = 0, len, kl;

	while (mml_fields_next(m->block, m->len, &off, &item, &len, &kl) > 0)
		if (kl == strlen(key) && memcmp(item, key, kl) == 0) {
			*ret_len = len - kl - 1;
			return item + kl + 1;
		}
	return NULL;
}

/*
 * A command line longer than the slot is cut to what remains, never
 * inside a UTF-8 sequence; a long _EXE and cgroup are cut after it;
 * the units always stay.
 */
START_TEST(test_gather_cut)
{
	static char cmd[4000], exe[1200], cg[1400];
	struct mml_meta m;
	const uint8_t *v;
	size_t i, len;

	for (i = 0; i + 2 <= sizeof(cmd); i += 2)
		memcpy(cmd + i, "\xc3\xa9", 2);		/* U+00E9 */
	fake_proc(50, 5, "/system.slice/foo.service", "/usr/bin/foo", cmd,
	    sizeof(cmd));
	ck_assert_int_eq(mml_meta_gather(&host, 50, "syslog", NULL, &m, NULL),
	    0);
	ck_assert_ptr_nonnull(field_of(&m, "_SYSTEMD_UNIT", &len));
	ck_assert_ptr_nonnull(field_of(&m, "_SYSTEMD_CGROUP", &len));
	v = field_of(&m, "_CMDLINE", &len);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(len % 2, 0);
	ck_assert(memcmp(v, cmd, len) == 0);
	/* Filled up but for less than one more character. */
	ck_assert_uint_ge(m.len, MML_META_MAX - 1);

	/* The exe and the cgroup are cut too, after the command line. */
	memset(exe, 'e', sizeof(exe) - 1);
	exe[0] = '/';
	exe[sizeof(exe) - 1] = '\0';
	(void)strcpy(cg, "/system.slice/foo.service/");
	for (i = strlen(cg); i < sizeof(cg) - 1; i++)
		cg[i] = (i % 8) == 0 ? '/' : 'c';
	cg[sizeof(cg) - 1] = '\0';
	fake_proc(51, 5, cg, exe, cmd, sizeof(cmd));
	ck_assert_int_eq(mml_meta_gather(&host, 51, "syslog", NULL, &m, NULL),
	    0);
	ck_assert_ptr_nonnull(field_of(&m, "_SYSTEMD_UNIT", &len));
	ck_assert_ptr_nonnull(field_of(&m, "_BOOT_ID", &len));
	v = field_of(&m, "_EXE", &len);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_lt(len, strlen(exe));
	ck_assert(memcmp(v, exe, len) == 0);
	ck_assert_ptr_null(field_of(&m, "_SYSTEMD_CGROUP", &len));
	ck_assert_ptr_null(field_of(&m, "_CMDLINE", &len));
	ck_assert_uint_le(m.len, MML_META_MAX);
}
END_TEST

/* The cache: hits, the start time checked, reuse, age, eviction. */
START_TEST(test_cache)
{
	struct mml_meta_cache_stats st;
	struct mml_meta_cache *c;
	const struct mml_meta *m;
	const uint8_t *v;
	size_t len;

	c = mml_meta_cache_new(&host, "syslog", 0);
	ck_assert_ptr_nonnull(c);
	fake_proc(100, 50, "/system.slice/a.service", "/bin/a", "a\0", 2);

	m = mml_meta_cache_get(c, 100, 1000, 1000, 10000);
	v = field_of(m, "_CMDLINE", &len);
	ck_assert(v != NULL && len == 1 && v[0] == 'a');
	/* Changed underneath: within the recheck time, not seen. */
	fake_proc(100, 50, "/system.slice/a.service", "/bin/a", "b\0", 2);
	m = mml_meta_cache_get(c, 100, 1000, 1000, 10000 +
	    MML_META_RECHECK_MS - 1);
	v = field_of(m, "_CMDLINE", &len);
	ck_assert(v != NULL && len == 1 && v[0] == 'a');
	mml_meta_cache_stats(c, &st);
	ck_assert_uint_eq(st.gathers, 1);
	ck_assert_uint_eq(st.hits, 1);
	ck_assert_uint_eq(st.checks, 0);

	/* Then the start time is read: the same process, kept. */
	m = mml_meta_cache_get(c, 100, 1000, 1000, 10000 +
	    MML_META_RECHECK_MS);
	v = field_of(m, "_CMDLINE", &len);
	ck_assert(v != NULL && len == 1 && v[0] == 'a');
	mml_meta_cache_stats(c, &st);
	ck_assert_uint_eq(st.checks, 1);
	ck_assert_uint_eq(st.gathers, 1);

	/* Another uid or gid for the pid: gathered again at once. */
	m = mml_meta_cache_get(c, 100, 1001, 1000, 10000 +
	    MML_META_RECHECK_MS + 1);
	v = field_of(m, "_CMDLINE", &len);
	ck_assert(v != NULL && len == 1 && v[0] == 'b');
	mml_meta_cache_stats(c, &st);
	ck_assert_uint_eq(st.gathers, 2);
	ck_assert_uint_eq(st.reused, 0);

	/* The pid reused by another process (a new start time). */
	fake_proc(100, 51, "/system.slice/c.service", "/bin/c", "c\0", 2);
	m = mml_meta_cache_get(c, 100, 1001, 1000, 20000);
	v = field_of(m, "_SYSTEMD_UNIT", &len);
	ck_assert(v != NULL && len == 9 && memcmp(v, "c.service", 9) == 0);
	mml_meta_cache_stats(c, &st);
	ck_assert_uint_eq(st.reused, 1);
	ck_assert_uint_eq(st.gathers, 3);

	/* The same process, older than the maximum age: gathered again. */
	fake_proc(100, 51, "/system.slice/c.service", "/bin/c", "d\0", 2);
	m = mml_meta_cache_get(c, 100, 1001, 1000, 20000 +
	    MML_META_MAX_AGE_MS - 1);
	v = field_of(m, "_CMDLINE", &len);
	ck_assert(v != NULL && v[0] == 'c');
	m = mml_meta_cache_get(c, 100, 1001, 1000, 20000 +
	    MML_META_MAX_AGE_MS);
	v = field_of(m, "_CMDLINE", &len);
	ck_assert(v != NULL && v[0] == 'd');
	mml_meta_cache_stats(c, &st);
	ck_assert_uint_eq(st.reused, 1);
	ck_assert_uint_eq(st.gathers, 4);

	/* Gone: the host's fields, kept for the recheck time only. */
	m = mml_meta_cache_get(c, 999, 0, 0, 30000);
	ck_assert_ptr_null(field_of(m, "_EXE", &len));
	ck_assert_ptr_nonnull(field_of(m, "_BOOT_ID", &len));
	fake_proc(999, 7, "/system.slice/late.service", "/bin/l", "l\0", 2);
	m = mml_meta_cache_get(c, 999, 0, 0, 30000 + MML_META_RECHECK_MS - 1);
	ck_assert_ptr_null(field_of(m, "_EXE", &len));
	m = mml_meta_cache_get(c, 999, 0, 0, 30000 + MML_META_RECHECK_MS);
	ck_assert_ptr_nonnull(field_of(m, "_EXE", &len));

	/* pid 0: the host's fields, never cached. */
	m = mml_meta_cache_get(c, 0, 0, 0, 40000);
	ck_assert_ptr_null(field_of(m, "_EXE", &len));
	ck_assert_ptr_nonnull(field_of(m, "_TRANSPORT", &len));
	c = mml_meta_cache_free(c);
	ck_assert_ptr_null(c);
}
END_TEST

/* A block of one field "_CMDLINE=cmd K", with its hash. */
static void
pool_block(struct mml_meta *m, unsigned k)
{
	char v[32];
	size_t len = 0;
	int n;

	n = snprintf(v, sizeof(v), "cmd %u", k);
	ck_assert_int_eq(mml_fields_put(m->block, sizeof(m->block), &len,
	    "_CMDLINE", 8, v, (size_t)n), 0);
	m->len = (uint32_t)len;
	m->hash = mml_crc32c(0, m->block, len);
}

/*
 * The pool of held metadata: the same block held twice is one copy,
 * another is another (also when the hashes collide in a bucket), and a
 * copy goes when the last holder lets go; the pool frees what is left.
 */
START_TEST(test_pool)
{
	static struct mml_meta m[600];
	const struct mml_meta *h[600], *again;
	struct mml_meta_pool *p;
	unsigned i;

	p = mml_meta_pool_new();
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < 600; i++) {
		pool_block(&m[i], i);
		h[i] = mml_meta_pool_hold(p, &m[i]);
		ck_assert_ptr_nonnull(h[i]);
		ck_assert_ptr_ne(h[i], &m[i]);
		ck_assert_uint_eq(h[i]->len, m[i].len);
		ck_assert_uint_eq(h[i]->hash, m[i].hash);
		ck_assert_mem_eq(h[i]->block, m[i].block, m[i].len);
	}
	ck_assert_uint_eq(mml_meta_pool_count(p), 600);
	again = mml_meta_pool_hold(p, &m[7]);
	ck_assert_ptr_eq(again, h[7]);
	ck_assert_uint_eq(mml_meta_pool_count(p), 600);
	/* Same hash, other bytes: its own copy. */
	m[599].hash = m[0].hash;
	again = mml_meta_pool_hold(p, &m[599]);
	ck_assert_ptr_ne(again, h[0]);
	ck_assert_uint_eq(mml_meta_pool_count(p), 601);
	mml_meta_pool_drop(p, again);
	ck_assert_uint_eq(mml_meta_pool_count(p), 600);
	mml_meta_pool_drop(p, h[7]);
	ck_assert_uint_eq(mml_meta_pool_count(p), 600);
	mml_meta_pool_drop(p, h[7]);
	ck_assert_uint_eq(mml_meta_pool_count(p), 599);
	mml_meta_pool_drop(p, NULL);
	for (i = 0; i < 300; i++)
		if (i != 7)
			mml_meta_pool_drop(p, h[i]);
	ck_assert_uint_eq(mml_meta_pool_count(p), 300);
	p = mml_meta_pool_free(p);
	ck_assert_ptr_null(p);
}
END_TEST

/* More senders than entries: replaced, least recently used first. */
START_TEST(test_cache_evict)
{
	struct mml_meta_cache_stats st;
	struct mml_meta_cache *c;
	const struct mml_meta *m;
	const uint8_t *v;
	char cmd[16];
	size_t len;
	pid_t pid;
	int round;

	c = mml_meta_cache_new(&host, "journal", 8);
	ck_assert_ptr_nonnull(c);
	for (pid = 200; pid < 240; pid++) {
		(void)snprintf(cmd, sizeof(cmd), "p%d", (int)pid);
		fake_proc(pid, (uint64_t)pid, "/system.slice/e.service",
		    "/bin/e", cmd, strlen(cmd) + 1);
	}
	for (round = 0; round < 3; round++)
		for (pid = 200; pid < 240; pid++) {
			m = mml_meta_cache_get(c, pid, 0, 0,
			    (uint64_t)(round * 40 + pid));
			(void)snprintf(cmd, sizeof(cmd), "p%d", (int)pid);
			v = field_of(m, "_CMDLINE", &len);
			ck_assert(v != NULL && len == strlen(cmd) &&
			    memcmp(v, cmd, len) == 0);
		}
	mml_meta_cache_stats(c, &st);
	ck_assert_uint_eq(st.gathers, 120);
	ck_assert_uint_eq(st.evictions, 120 - 8);

	/* The last 8 are kept: hits. */
	for (pid = 232; pid < 240; pid++)
		(void)mml_meta_cache_get(c, pid, 0, 0, 400);
	mml_meta_cache_stats(c, &st);
	ck_assert_uint_eq(st.hits, 8);
	(void)mml_meta_cache_free(c);
	(void)mml_meta_cache_free(NULL);
}
END_TEST

/* The value of key in m as a string (static buffer), "" if absent. */
static const char *
value_of(const struct mml_meta *m, const char *key)
{
	static char b[MML_META_MAX + 1];
	const uint8_t *v;
	size_t len;

	v = field_of(m, key, &len);
	if (v == NULL)
		return "";
	memcpy(b, v, len);
	b[len] = '\0';
	return b;
}

/* This very process, through the real /proc. */
START_TEST(test_gather_self)
{
	static const uint8_t boot[16] = { 1, 2, 3 };
	struct mml_meta_host h;
	struct mml_meta m;
	char exe[PATH_MAX], cg[4096], file[16384];
	ssize_t n;
	uint64_t start = 0;
	int fd;

	mml_meta_host_init(&h, boot);
	ck_assert_str_eq(h.boot_id, "01020300000000000000000000000000");
	ck_assert_str_eq(h.proc, "/proc");
	ck_assert_int_eq(mml_meta_gather(&h, getpid(), "mmlog", NULL, &m,
	    &start), 0);
	ck_assert_uint_ne(start, 0);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	ck_assert_str_eq(value_of(&m, "_EXE"), exe);
	ck_assert_ptr_nonnull(strstr(value_of(&m, "_CMDLINE"),
	    "check_mmlogd"));
	ck_assert_str_eq(value_of(&m, "_TRANSPORT"), "mmlog");
	ck_assert_str_eq(value_of(&m, "_HOSTNAME"), hostname);
	ck_assert_str_eq(value_of(&m, "_BOOT_ID"), h.boot_id);

	/* The cgroup as the kernel tells it, unless it is the root. */
	fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = read(fd, file, sizeof(file));
	(void)close(fd);
	ck_assert_int_gt(n, 0);
	if (mml_meta_cgroup_line(file, (size_t)n, h.cgroup_legacy, cg,
	    sizeof(cg)) > 0 && strcmp(mml_meta_cgroup_shift(cg,
	    h.cgroup_root), "/") != 0)
		ck_assert_str_eq(value_of(&m, "_SYSTEMD_CGROUP"),
		    mml_meta_cgroup_shift(cg, h.cgroup_root));
	else
		ck_assert_str_eq(value_of(&m, "_SYSTEMD_CGROUP"), "");
}
END_TEST

/*
 * A child moved into a cgroup named like a unit gets that unit: under
 * system.slice, right under the cgroup2 root, and back in the root
 * itself (no unit, no cgroup).  Needs root and a cgroup2 hierarchy
 * (e.g. /sys/fs/cgroup/unified); says so and passes without them.
 */
static int
cgroup2_mount(char *buf, size_t cap)
{
	struct mntent *me;
	FILE *f;
	int found = 0;

	f = setmntent("/proc/self/mounts", "re");
	if (f == NULL)
		return 0;
	while ((me = getmntent(f)) != NULL)
		if (strcmp(me->mnt_type, "cgroup2") == 0 &&
		    strlen(me->mnt_dir) < cap) {
			(void)strcpy(buf, me->mnt_dir);
			found = 1;
			break;
		}
	(void)endmntent(f);
	return found;
}

static int
move_to(const char *dir, pid_t pid)
{
	char p[PATH_MAX + 32], b[32];
	int fd, n, r;

	(void)snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(b, sizeof(b), "%d\n", (int)pid);
	r = write(fd, b, (size_t)n) == n ? 0 : -errno;
	(void)close(fd);
	return r;
}

START_TEST(test_gather_cgroup_real)
{
	static const uint8_t boot[16];
	char mnt[PATH_MAX], slice[PATH_MAX + 32], dir[PATH_MAX + 96];
	char dir2[PATH_MAX + 96], unit[64], want[128], own[4096];
	char file[16384];
	struct mml_meta_host h;
	struct mml_meta m;
	int made_slice = 0, p[2], fd, r;
	ssize_t n;
	pid_t child;
	char c;

	if (geteuid() != 0 || !cgroup2_mount(mnt, sizeof(mnt) - 64)) {
		fprintf(stderr, "check_meta: not root or no cgroup2 mounted: "
		    "the cgroup test is skipped\n");
		return;
	}
	/* Our own cgroup, to go back to. */
	fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = read(fd, file, sizeof(file));
	(void)close(fd);
	ck_assert_int_gt(mml_meta_cgroup_line(file, (size_t)n, 0, own,
	    sizeof(own)), 0);

	(void)snprintf(unit, sizeof(unit), "mmlog-check-%d.service",
	    (int)getpid());
	(void)snprintf(slice, sizeof(slice), "%s/system.slice", mnt);
	if (mkdir(slice, 0755) == 0)
		made_slice = 1;
	else
		ck_assert_int_eq(errno, EEXIST);
	(void)snprintf(dir, sizeof(dir), "%s/%s", slice, unit);
	(void)snprintf(dir2, sizeof(dir2), "%s/%s", mnt, unit);
	if (mkdir(dir, 0755) < 0 || mkdir(dir2, 0755) < 0) {
		fprintf(stderr, "check_meta: cannot make cgroups under '%s' "
		    "(%s): the cgroup test is skipped\n", mnt,
		    strerror(errno));
		(void)rmdir(dir);
		if (made_slice)
			(void)rmdir(slice);
		return;
	}

	ck_assert_int_eq(pipe(p), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		(void)close(p[1]);
		_exit(read(p[0], &c, 1) < 0);
	}
	(void)close(p[0]);
	mml_meta_host_init(&h, boot);

	r = move_to(dir, child);
	if (r == 0) {
		ck_assert_int_eq(mml_meta_gather(&h, child, "syslog", NULL, &m,
		    NULL), 0);
		ck_assert_str_eq(value_of(&m, "_SYSTEMD_UNIT"), unit);
		ck_assert_str_eq(value_of(&m, "_SYSTEMD_SLICE"),
		    "system.slice");
		(void)snprintf(want, sizeof(want), "/system.slice/%s", unit);
		ck_assert_str_eq(value_of(&m, "_SYSTEMD_CGROUP"), want);
		ck_assert_str_eq(value_of(&m, "_SYSTEMD_USER_UNIT"), "");

		/* A unit right under the cgroup2 root. */
		ck_assert_int_eq(move_to(dir2, child), 0);
		ck_assert_int_eq(mml_meta_gather(&h, child, "syslog", NULL,
		    &m, NULL), 0);
		ck_assert_str_eq(value_of(&m, "_SYSTEMD_UNIT"), unit);
		ck_assert_str_eq(value_of(&m, "_SYSTEMD_SLICE"), "-.slice");
		(void)snprintf(want, sizeof(want), "/%s", unit);
		ck_assert_str_eq(value_of(&m, "_SYSTEMD_CGROUP"), want);

		/* The root itself: nothing from the cgroup, as journald. */
		ck_assert_int_eq(move_to(mnt, child), 0);
		ck_assert_int_eq(mml_meta_gather(&h, child, "syslog",
		    "fallback.service", &m, NULL), 0);
		ck_assert_str_eq(value_of(&m, "_SYSTEMD_UNIT"),
		    "fallback.service");
		ck_assert_str_eq(value_of(&m, "_SYSTEMD_SLICE"), "");
		ck_assert_str_eq(value_of(&m, "_SYSTEMD_CGROUP"), "");
	}
	/* Clean up whatever happened: the child back, then the cgroups. */
	(void)snprintf(file, sizeof(file), "%s%s", mnt, own);
	(void)move_to(file, child);
	(void)close(p[1]);
	(void)waitpid(child, NULL, 0);
	(void)rmdir(dir);
	(void)rmdir(dir2);
	if (made_slice)
		(void)rmdir(slice);
	ck_assert_msg(r == 0, "moving the child: %s", strerror(-r));
}
END_TEST

Suite *
meta_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("meta");
	tc = tcase_create("cgroup_rows");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_cgroup_rows, 0,
	    (int)(sizeof(cg_rows) / sizeof(cg_rows[0])));
	tcase_add_test(tc, test_cgroup_name_length);
	tcase_add_test(tc, test_cgroup_shift);
	suite_add_tcase(s, tc);

	tc = tcase_create("proc_files");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_cgroup_line);
	tcase_add_test(tc, test_stat_starttime);
	tcase_add_test(tc, test_cmdline);
	suite_add_tcase(s, tc);

	tc = tcase_create("gather");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_gather_service);
	tcase_add_test(tc, test_gather_user);
	tcase_add_test(tc, test_gather_root);
	tcase_add_test(tc, test_gather_shifted);
	tcase_add_test(tc, test_gather_gone);
	tcase_add_test(tc, test_gather_cut);
	tcase_add_test(tc, test_gather_self);
	suite_add_tcase(s, tc);

	tc = tcase_create("cache");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_cache);
	tcase_add_test(tc, test_cache_evict);
	tcase_add_test(tc, test_pool);
	suite_add_tcase(s, tc);

	tc = tcase_create("cgroup_real");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_gather_cgroup_real);
	suite_add_tcase(s, tc);
	return s;
}
