/*
 * meta.h: the trusted metadata of a sender (meta.c): what the daemon
 * itself finds out about whoever sent an entry, never what the sender
 * says about itself.  Internal to daemon/.
 *
 * journald's fields, derived as journald 252 derives them
 * (journald-context.c, src/basic/cgroup-util.c):
 *
 *	_TRANSPORT		how the entry came (the intake says)
 *	_HOSTNAME		gethostname()
 *	_BOOT_ID		the kernel's boot id (the caller says)
 *	_MACHINE_ID		/etc/machine-id, if readable
 *	_SYSTEMD_UNIT		from the cgroup path (mml_meta_cgroup_units())
 *	_SYSTEMD_USER_UNIT	...
 *	_SYSTEMD_SLICE
 *	_SYSTEMD_USER_SLICE
 *	_SYSTEMD_SESSION
 *	_SYSTEMD_OWNER_UID
 *	_EXE			readlink /proc/PID/exe, " (deleted)" cut off
 *	_SYSTEMD_CGROUP		/proc/PID/cgroup, the cgroup2 line
 *	_CMDLINE		/proc/PID/cmdline, NULs as spaces
 *
 * Gathered into one fields block (PROTOCOL.md's encoding) of at most
 * MML_META_MAX bytes, the size of a metadata slot's room in the ring:
 * once per connection for connected transports (held in a struct
 * mml_meta_pool, one copy for the connections that share it), and
 * through a small per-pid cache (struct mml_meta_cache) for datagrams.
 * intake.c keeps both, for every intake.
 *
 * The cgroup derivation and the /proc parsers are pure and tested by
 * tables (tests/check_meta.c); the rest reads /proc.
 */
#ifndef MML_META_H
#define MML_META_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Bytes of one sender's fields block: what a metadata slot of 1024
 * bytes holds after its 32-byte header.  Every field but _EXE,
 * _SYSTEMD_CGROUP and _CMDLINE is stored whole or not at all; those
 * three are cut to what remains, in that order of precedence, so that a
 * long command line never pushes out the unit.
 */
#define MML_META_MAX		992

/* A unit name's bytes with its NUL: systemd's UNIT_NAME_MAX. */
#define MML_META_UNIT_MAX	256

/* Cache tuning: entries, and the ages that make an entry checked again. */
#define MML_META_CACHE_SIZE	512
#define MML_META_RECHECK_MS	1000	/* then the start time is compared */
#define MML_META_MAX_AGE_MS	5000	/* then gathered again (journald's) */

/*
 * What a cgroup path says about its process, derived exactly as
 * systemd 252's cg_path_get_unit(), cg_path_get_user_unit(),
 * cg_path_get_slice(), cg_path_get_user_slice(), cg_path_get_session()
 * and cg_path_get_owner_uid() do.  An empty string: none.
 */
struct mml_meta_units {
	char		 unit[MML_META_UNIT_MAX];
	char		 user_unit[MML_META_UNIT_MAX];
	char		 slice[MML_META_UNIT_MAX];
	char		 user_slice[MML_META_UNIT_MAX];
	char		 session[MML_META_UNIT_MAX];
	uint32_t	 owner_uid;
	int		 has_owner_uid;
};

/*
 * Derives the units of the cgroup path (NUL-terminated, as the cgroup
 * line of /proc/PID/cgroup has it, after mml_meta_cgroup_shift()).
 * Never fails: what the path does not say is left empty.  The cgroup2
 * root "/" gives slice "-.slice" and nothing else, as systemd's
 * functions do (the gatherer then stores none of it, as journald).
 * Example: "/user.slice/user-1000.slice/user@1000.service/app.slice/
 * a.service" gives unit "user@1000.service", user_unit "a.service",
 * slice "user-1000.slice", user_slice "app.slice", owner_uid 1000.
 */
void	mml_meta_cgroup_units(const char *path, struct mml_meta_units *ret);

/*
 * The path journald stores for a process whose cgroup is path when the
 * cgroup root (PID 1's cgroup, its init.scope cut off) is root:
 * systemd's cg_shift_path().  Returns path itself or a pointer into it.
 * Example: ("/lxc/c1/system.slice/a.service", "/lxc/c1") gives
 * "/system.slice/a.service".
 */
const char *mml_meta_cgroup_shift(const char *path, const char *root);

/*
 * Finds the cgroup path in text[0, len), the contents of
 * /proc/PID/cgroup: the cgroup2 line ("0::PATH"), or with legacy set
 * (no cgroup2 hierarchy for systemd: mml_meta_host_init() tells) the
 * "name=systemd" hierarchy's line, as systemd's cg_pid_get_path().
 * Copies it, NUL-terminated, to buf[0, cap).  Returns its length,
 * -ENOENT if there is no such line, -ENAMETOOLONG if it does not fit or
 * the file may have been cut in it.
 * Example: ("1:name=systemd:/\n0::/system.slice/a.service\n", 0) gives
 * "/system.slice/a.service".
 */
int	mml_meta_cgroup_line(const char *text, size_t len, int legacy,
	    char *buf, size_t cap);

/*
 * The process start time (field 22 of /proc/PID/stat, clock ticks since
 * boot) from text[0, len), the file's contents; the command name in
 * parentheses may hold spaces and parentheses.  Returns 0 and
 * *ret_starttime, or -EBADMSG.
 */
int	mml_meta_stat_starttime(const char *text, size_t len,
	    uint64_t *ret_starttime);

/*
 * Turns buf[0, len), the raw contents of /proc/PID/cmdline, into
 * journald's _CMDLINE in place: the NULs between arguments as spaces,
 * trailing NULs and white space removed.  Returns the new length (0:
 * none, e.g. a kernel thread).
 */
size_t	mml_meta_cmdline(char *buf, size_t len);

/*
 * The facts of this machine, the same for every sender: read once at
 * start by mml_meta_host_init().
 */
struct mml_meta_host {
	char		 boot_id[33];	/* 32 lowercase hex digits */
	char		 machine_id[33];/* 32 lowercase hex digits, or "" */
	char		 cgroup_root[256]; /* PID 1's cgroup, "/" for none */
	int		 cgroup_legacy;	/* no cgroup2 hierarchy for systemd */
	const char	*proc;		/* "/proc"; tests give another */
};

/*
 * Fills h: boot_id from the 16 bytes given (the kernel's, or a test's:
 * the daemon's one notion of the boot), machine_id from
 * /etc/machine-id (if readable and valid), cgroup_root from
 * /proc/1/cgroup (if readable) with a trailing "/init.scope" cut off,
 * as systemd's cg_get_root_path(), and cgroup_legacy from what is
 * mounted on /sys/fs/cgroup (cg_unified_cached()); proc "/proc".
 * Never fails.
 */
void	mml_meta_host_init(struct mml_meta_host *h, const uint8_t boot_id[16]);

/* One sender's trusted fields: a fields block and its CRC32C. */
struct mml_meta {
	uint32_t	 hash;		/* mml_crc32c(0, block, len) */
	uint32_t	 len;		/* bytes of block */
	uint8_t		 block[MML_META_MAX];
};

/*
 * Gathers the metadata of process pid (0: none, e.g. the kernel: the
 * host's fields and _TRANSPORT only) into *ret, from h->proc; transport
 * is _TRANSPORT's value.  unit_fallback (may be NULL) is the unit a
 * trusted source named (a stdout stream of uid 0's header), used as
 * journald uses it: only when the cgroup cannot be read or is the root.
 * Every /proc file is read relative to one open /proc/PID, so that all
 * of them describe the same process, and *ret_starttime (may be NULL) is
 * that process's start time (0 if unknown).  Returns 0, or -ESRCH when
 * the process is gone (*ret then has the host's fields and _TRANSPORT).
 */
int	mml_meta_gather(const struct mml_meta_host *h, pid_t pid,
	    const char *transport, const char *unit_fallback,
	    struct mml_meta *ret, uint64_t *ret_starttime);

/*
 * The metadata of datagram senders, by pid.  At most `size` entries;
 * a pid's entry is used as it is for MML_META_RECHECK_MS while the
 * kernel reports the same uid and gid for it; after that its start time
 * is read again, and a different one (the pid was reused) or an age of
 * MML_META_MAX_AGE_MS (the process may have exec'd or moved) means it
 * is gathered again.  A new pid takes the least recently used of the
 * few entries it may go in.  Memory: at most size * (MML_META_MAX + 64)
 * bytes, allocated as senders come.
 */
struct mml_meta_cache;

struct mml_meta_cache_stats {
	uint64_t	 hits;		/* used as cached */
	uint64_t	 checks;	/* start time read again */
	uint64_t	 gathers;	/* gathered: new pid, reuse, age */
	uint64_t	 reused;	/* of which: the pid was reused */
	uint64_t	 evictions;	/* another pid's entry replaced */
};

/*
 * A cache for transport (_TRANSPORT's value, kept as a pointer: a
 * string constant) over the host h (kept as a pointer; it must outlive
 * the cache).  size 0 means MML_META_CACHE_SIZE.  NULL only when out of
 * memory.
 */
struct mml_meta_cache *mml_meta_cache_new(const struct mml_meta_host *h,
	    const char *transport, unsigned size);
struct mml_meta_cache *mml_meta_cache_free(struct mml_meta_cache *c);

/*
 * The metadata of the sender the kernel named pid, uid, gid, at now_ms
 * (CLOCK_MONOTONIC): cached, checked or gathered as above.  The result
 * stays valid until the next call on c.  Never NULL: when memory runs
 * out, or pid is 0, a result gathered for this call alone is returned.
 */
const struct mml_meta *mml_meta_cache_get(struct mml_meta_cache *c,
	    pid_t pid, uid_t uid, gid_t gid, uint64_t now_ms);

/* The cache's counters. */
void	mml_meta_cache_stats(const struct mml_meta_cache *c,
	    struct mml_meta_cache_stats *ret);

/*
 * The metadata connections hold (struct mml_meta_pool): one copy of each
 * distinct fields block, however many connections hold it (a process
 * that opens two thousand connections costs one), freed when the last
 * lets go.  Memory: about MML_META_MAX bytes per distinct block held.
 */
struct mml_meta_pool;

/* An empty pool; NULL only when out of memory. */
struct mml_meta_pool *mml_meta_pool_new(void);
/* Frees the pool and whatever is still held in it; accepts NULL. */
struct mml_meta_pool *mml_meta_pool_free(struct mml_meta_pool *p);

/*
 * A copy of m held once more: the pool's copy of the same fields if it
 * has one, else a new one.  Valid until as many mml_meta_pool_drop()
 * calls as holds.  NULL only when out of memory.
 * Example: c->meta = mml_meta_pool_hold(p, &gathered);
 */
const struct mml_meta *mml_meta_pool_hold(struct mml_meta_pool *p,
	    const struct mml_meta *m);
/* Lets go of m, a result of mml_meta_pool_hold(); accepts NULL. */
void	mml_meta_pool_drop(struct mml_meta_pool *p, const struct mml_meta *m);
/* Distinct blocks held. */
size_t	mml_meta_pool_count(const struct mml_meta_pool *p);

#endif /* MML_META_H */
