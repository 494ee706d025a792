/*
 * ringfile.c: the ring's file before it is mapped (ringfile.h).
 *
 * A ring file is created whole, under a temporary name, every block
 * allocated (so that a full disk can never SIGBUS the map), and linked
 * into place only then.  Opening one takes its lock, and refuses what
 * this mmlogd does not understand, cannot maintain, or was not asked
 * for: a foreign file is never overwritten.  What ring.c maps has a
 * header that checks and its seek index region.
 *
 * The path itself is not trusted either: it is opened without following
 * a symbolic link and without blocking (a FIFO there would hang us), its
 * type checked on the open file before anything is read or created; a
 * ring another user owns is refused (or, when we are root, taken over,
 * and said so), and one readable or writable beyond its owner and group
 * is made 0640.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "disk.h"
#include "log.h"
#include "ringfile.h"
#include "util.h"

/* Besides our own uid, the owner a ring may have: --user's (or -1). */
static uid_t run_uid = (uid_t)-1;

static int ring_owner_check(int, const char *);
static int ring_file_init(int, const char *, uint64_t, const uint8_t[16],
    uint64_t);
static int ring_create(const char *, uint64_t);
static int ring_open_locked(const char *, uint64_t);
static int ring_read_header(int, const char *, struct mml_disk_header *,
    uint64_t *);
static int ring_size_ok(const char *, const struct mml_disk_header *,
    uint64_t, int, uint64_t);
static int ring_index_prepare(int, const char *, struct mml_disk_header *,
    uint64_t);
static int ring_tables_prepare(int, const char *, struct mml_disk_header *);

int
mml_ringfile_open(const char *path, uint64_t size, int size_explicit,
    uint64_t min_cap, struct mml_disk_header *ret_h)
{
	struct mml_disk_header h;
	uint64_t file_size = 0;
	int e, fd;

	if (size < MML_DISK_CAP_MIN || size > MML_DISK_CAP_MAX ||
	    size % MML_DISK_ALIGN != 0)
		return mml_log_errno(EINVAL, "ring size %llu out of range",
		    (unsigned long long)size);
	fd = ring_open_locked(path, size);
	if (fd < 0)
		return fd;
	e = ring_read_header(fd, path, &h, &file_size);
	if (e < 0)
		goto out;
	/*
	 * Only a file found to be a ring is taken over or narrowed: a wrong
	 * --file (another user's notes) is refused as it is.  Nothing has
	 * been written to it yet.
	 */
	e = ring_owner_check(fd, path);
	if (e < 0)
		goto out;
	e = ring_size_ok(path, &h, size, size_explicit, min_cap);
	if (e < 0)
		goto out;
	e = ring_index_prepare(fd, path, &h, file_size);
	if (e < 0)
		goto out;
	e = ring_tables_prepare(fd, path, &h);
	if (e < 0)
		goto out;
	*ret_h = h;
	e = fd;
	fd = -1;
out:
	if (fd >= 0)
		(void)close(fd);
	return e;
}

void
mml_ringfile_set_owner(uid_t uid)
{
	run_uid = uid;
}

int
mml_ringfile_open_plain(const char *path, int flags)
{
	struct stat st;
	int fd, fl;

	fd = open(path, flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		fl = -errno;
		(void)close(fd);
		return fl;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)close(fd);
		return -EINVAL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

int
mml_dir_prepare(const char *path, const char *what)
{
	struct stat st;
	char *p, *dir;
	int r = 0;

	dir = strdup(path);
	if (dir == NULL)
		return -ENOMEM;
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		goto out;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			r = mml_log_errno(errno, "create directory '%s'", dir);
			goto out;
		}
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		r = mml_log_errno(errno, "create directory '%s'", dir);
		goto out;
	}
	if (stat(dir, &st) < 0) {
		r = mml_log_errno(errno, "directory '%s'", dir);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		mml_log(LOG_ERR, "'%s' is not a directory", dir);
		r = -ENOTDIR;
		goto out;
	}
	/*
	 * Whoever may rename or unlink entries of the directory may put
	 * their own file or socket in our place, between our check and our
	 * use: only root, us, and the uid we are to run as may own it, and
	 * a directory anyone may write to must be sticky (as /tmp is).
	 */
	if (st.st_uid != 0 && st.st_uid != geteuid() && st.st_uid != run_uid) {
		mml_log(LOG_ERR, "%s directory '%s' belongs to uid %d, neither "
		    "root nor mmlogd's: its owner could replace the %s", what,
		    dir, (int)st.st_uid, what);
		r = -EPERM;
		goto out;
	}
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		mml_log(LOG_ERR, "%s directory '%s' is writable by anyone and "
		    "not sticky: anyone could replace the %s", what, dir, what);
		r = -EPERM;
	}
out:
	free(dir);
	return r;
}

/*
 * Makes fd, a new empty file, a ring of cap bytes with the given id and
 * creation time, keyed (FORMAT.md, Versioning: a random key of its own,
 * which no client can read, seeds every record's CRC): every block
 * allocated first, so that a full disk can never SIGBUS the map (the
 * index region, allocated with the rest, reads as zeros: empty slots),
 * then the header page.  name is for messages.
 */
static int
ring_file_init(int fd, const char *name, uint64_t cap, const uint8_t id[16],
    uint64_t created_usec)
{
	struct mml_disk_header h;
	uint8_t page[MML_DISK_HEADER_SIZE], key[MML_DISK_KEY_LEN];
	int e;

	mml_disk_header_init(&h, cap, id, created_usec);
	/* Metadata slots and boots (sealed with the key below). */
	h.incompat_flags |= MML_INCOMPAT_META;
	h.compat_flags |= MML_COMPAT_BOOTS;
	/* A key whose seed is 0 would key nothing: draw another. */
	do {
		if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
			return mml_log_errno(errno ? errno : EIO,
			    "getrandom for the key of ring '%s'", name);
	} while (mml_disk_header_key(&h, key) < 0);
	e = posix_fallocate(fd, 0, (off_t)mml_disk_file_size(&h));
	if (e != 0)
		return mml_log_errno(e, "allocate %llu bytes for ring '%s'",
		    (unsigned long long)mml_disk_file_size(&h), name);
	memset(page, 0, sizeof(page));
	memcpy(page, &h, sizeof(h));
	if (pwrite(fd, page, sizeof(page), 0) != (ssize_t)sizeof(page))
		return mml_log_errno(errno ? errno : EIO,
		    "write ring header '%s'", name);
	return 0;
}

/*
 * Creates a new ring under a temporary name and links it into place only
 * once it is whole: a crash during creation leaves no half-made ring
 * that a later start would refuse as foreign.
 */
static int
ring_create(const char *path, uint64_t cap)
{
	uint8_t id[16];
	char *tmp = NULL;
	int fd = -1, r, rfd = -1;

	if (asprintf(&tmp, "%s.new-XXXXXX", path) < 0) {
		tmp = NULL;
		r = -ENOMEM;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = mml_log_errno(errno, "create '%s'", tmp);
		goto out;
	}
	(void)fchmod(fd, 0640);
	rfd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (rfd < 0 || read(rfd, id, sizeof(id)) != (ssize_t)sizeof(id)) {
		r = mml_log_errno(errno ? errno : EIO, "read /dev/urandom");
		goto out;
	}
	r = ring_file_init(fd, path, cap, id, mml_now_usec(CLOCK_REALTIME));
	if (r < 0)
		goto out;
	if (fsync(fd) < 0) {
		r = mml_log_errno(errno, "write ring header '%s'", path);
		goto out;
	}
	if (link(tmp, path) < 0) {
		/*
		 * Something appeared there meanwhile: theirs wins, ours
		 * goes, and the open that follows checks what it is.
		 */
		if (errno != EEXIST) {
			r = mml_log_errno(errno, "link '%s'", path);
			goto out;
		}
		mml_log(LOG_DEBUG, "'%s' appeared while the ring was being "
		    "created; opening it instead", path);
	} else
		mml_log(LOG_NOTICE, "created ring '%s' with %llu bytes", path,
		    (unsigned long long)cap);
	r = 0;
out:
	if (tmp != NULL && fd >= 0)
		(void)unlink(tmp);
	if (fd >= 0)
		(void)close(fd);
	if (rfd >= 0)
		(void)close(rfd);
	free(tmp);
	return r;
}

int
mml_ringfile_create_like(const char *path, uint64_t cap, int like_fd,
    const struct mml_disk_header *like)
{
	struct stat st;
	int fd, r;

	if (unlink(path) < 0 && errno != ENOENT)
		return mml_log_errno(errno, "remove '%s'", path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0)
		return mml_log_errno(errno, "create '%s'", path);
	if (fstat(like_fd, &st) == 0) {
		(void)fchmod(fd, st.st_mode & 07777);
		/*
		 * Only root may give it away; as the owner this is a no-op,
		 * and under the unit's syscall filter it fails with EPERM.
		 */
		if (fchown(fd, st.st_uid, st.st_gid) < 0)
			mml_log(LOG_DEBUG, "chown '%s': %s", path,
			    strerror(errno));
	}
	r = ring_file_init(fd, path, cap, like->ring_id, like->created_usec);
	(void)close(fd);
	if (r < 0)
		(void)unlink(path);
	return r;
}

/*
 * Makes sure the file has its seek index before it is mapped: a ring
 * made before the index existed gets one (the compatible flag, so older
 * readers still read it, and the region after the data, zero = empty);
 * a file cut short of its index gets the region back.  Both are our own
 * file's layout, under our lock, so neither discards anything.
 */
static int
ring_index_prepare(int fd, const char *path, struct mml_disk_header *h,
    uint64_t file_size)
{
	int e;

	if (!(h->compat_flags & MML_COMPAT_INDEX)) {
		h->compat_flags |= MML_COMPAT_INDEX;
		e = posix_fallocate(fd, 0, (off_t)mml_disk_file_size(h));
		if (e != 0)
			return mml_log_errno(e, "add a seek index to '%s'",
			    path);
		h->static_crc = mml_crc32c(0, h,
		    offsetof(struct mml_disk_header, static_crc));
		if (pwrite(fd, h, offsetof(struct mml_disk_header, state), 0) !=
		    (ssize_t)offsetof(struct mml_disk_header, state) ||
		    fdatasync(fd) < 0)
			return mml_log_errno(errno ? errno : EIO,
			    "write header of '%s'", path);
		mml_log(LOG_NOTICE, "ring '%s': added a seek index (%llu "
		    "bytes after the data)", path,
		    (unsigned long long)mml_idx_size(h->capacity));
		return 0;
	}
	if (file_size < mml_disk_file_size(h)) {
		mml_log(LOG_WARNING, "ring '%s' is shorter than its seek index; "
		    "restoring the index region", path);
		e = posix_fallocate(fd, 0, (off_t)mml_disk_file_size(h));
		if (e != 0)
			return mml_log_errno(e, "restore size of '%s'", path);
	}
	return 0;
}

/*
 * Gives a ring made before them the metadata table and the boot table
 * (FORMAT.md, Versioning): the table's region after the index, zero =
 * every slot unused, then the flags in the header's static part; the
 * boot table's bytes in the header page are zero already.  Nothing is
 * copied: records without a slot are as valid with the flag as
 * without.  A crash in between leaves a longer file of the old format.
 * If the disk has no room, the ring stays as it is, and entries carry
 * their metadata inline.  Returns 0, or -errno if the header could not
 * be written (logged).
 */
static int
ring_tables_prepare(int fd, const char *path, struct mml_disk_header *h)
{
	struct mml_disk_header n = *h;
	int e;

	if ((h->incompat_flags & MML_INCOMPAT_META) &&
	    (h->compat_flags & MML_COMPAT_BOOTS))
		return 0;
	n.incompat_flags |= MML_INCOMPAT_META;
	n.compat_flags |= MML_COMPAT_BOOTS;
	e = posix_fallocate(fd, 0, (off_t)mml_disk_file_size(&n));
	if (e != 0) {
		mml_log(LOG_WARNING, "ring '%s': no room for a metadata table "
		    "(%s); entries carry their metadata inline", path,
		    strerror(e));
		return 0;
	}
	n.static_crc = mml_crc32c(0, &n,
	    offsetof(struct mml_disk_header, static_crc));
	if (pwrite(fd, &n, offsetof(struct mml_disk_header, state), 0) !=
	    (ssize_t)offsetof(struct mml_disk_header, state) ||
	    fdatasync(fd) < 0)
		return mml_log_errno(errno ? errno : EIO,
		    "write header of '%s'", path);
	*h = n;
	mml_log(LOG_NOTICE, "ring '%s': added a metadata table (%u slots, "
	    "%llu bytes after the index) and a boot table", path,
	    mml_meta_slots(h->capacity),
	    (unsigned long long)mml_meta_size(h->capacity));
	return 0;
}

/*
 * Opens the ring at path, creating it (size bytes) if there is none, and
 * takes its lock.  Returns the descriptor, or -errno after logging why.
 */
static int
ring_open_locked(const char *path, uint64_t size)
{
	int e, fd;

	e = mml_dir_prepare(path, "ring");
	if (e < 0)
		return e;
	fd = mml_ringfile_open_plain(path, O_RDWR);
	if (fd == -ENOENT) {
		e = ring_create(path, size);
		if (e < 0)
			return e;
		fd = mml_ringfile_open_plain(path, O_RDWR);
	}
	if (fd == -ELOOP) {
		/* Dangling or not: nothing is created through it. */
		mml_log(LOG_ERR, "ring '%s' is a symbolic link; refusing it "
		    "(name the file itself)", path);
		return -ELOOP;
	}
	if (fd == -EINVAL) {
		mml_log(LOG_ERR, "ring '%s' is not a regular file", path);
		return -EINVAL;
	}
	if (fd < 0)
		return mml_log_errno(-fd, "open ring '%s'", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		e = errno == EWOULDBLOCK ? EBUSY : errno;
		mml_log(LOG_ERR, "ring '%s' is locked: another mmlogd uses it",
		    path);
		(void)close(fd);
		return -e;
	}
	return fd;
}

/*
 * Whoever owns the ring file may rewrite the log under us: it must be
 * ours (or --user's).  Another user's is refused; when we are root it
 * is taken over instead, and the log says so.  A mode that lets others
 * than the owner and the group read, or others than the owner write,
 * is narrowed to 0640 (readers need only be in the group), logged.
 */
static int
ring_owner_check(int fd, const char *path)
{
	struct stat st;
	mode_t mode;

	if (fstat(fd, &st) < 0)
		return mml_log_errno(errno, "stat '%s'", path);
	if (st.st_uid != geteuid() && st.st_uid != run_uid) {
		if (geteuid() != 0) {
			mml_log(LOG_ERR, "ring '%s' belongs to uid %d, not to "
			    "mmlogd's uid %d, and its owner could rewrite the "
			    "log: refusing it (chown it to uid %d, or move it "
			    "aside to start a new ring)", path, (int)st.st_uid,
			    (int)geteuid(), (int)geteuid());
			return -EPERM;
		}
		/* Its group too: it was the other user's choice. */
		if (fchown(fd, 0, getegid()) < 0)
			return mml_log_errno(errno, "ring '%s' belongs to uid "
			    "%d; taking it over", path, (int)st.st_uid);
		mml_log(LOG_WARNING, "ring '%s' belonged to uid %d gid %d, "
		    "who could rewrite the log; it is uid 0 gid %d's now", path,
		    (int)st.st_uid, (int)st.st_gid, (int)getegid());
	}
	mode = st.st_mode & 07777;
	if ((mode & ~(mode_t)0640) != 0) {
		if (fchmod(fd, (mode & 0040) | 0600) < 0)
			return mml_log_errno(errno, "chmod ring '%s'", path);
		mml_log(LOG_WARNING, "ring '%s' had mode %04o; it is %04o now "
		    "(read and write for its owner, read for its group)", path,
		    (unsigned)mode, (unsigned)((mode & 0040) | 0600));
	}
	return 0;
}

/*
 * Reads the header of the ring open at fd into *ret_h and the file's size
 * into *ret_size, and checks that it is a ring this mmlogd may write.
 * Returns 0, or -errno after logging why.
 */
static int
ring_read_header(int fd, const char *path, struct mml_disk_header *ret_h,
    uint64_t *ret_size)
{
	struct mml_disk_header h;
	enum mml_disk_reason why;
	struct stat st;
	int e;

	if (fstat(fd, &st) < 0)
		return mml_log_errno(errno, "stat '%s'", path);
	if (!S_ISREG(st.st_mode)) {
		mml_log(LOG_ERR, "ring '%s' is not a regular file", path);
		return -EINVAL;
	}
	memset(&h, 0, sizeof(h));
	if (st.st_size >= (off_t)sizeof(h) &&
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return mml_log_errno(errno ? errno : EIO, "read '%s'", path);
	e = mml_disk_header_check(&h, (uint64_t)st.st_size, &why);
	if (e < 0) {
		/*
		 * Never overwrite what we do not understand: it may be
		 * another program's file, or a ring someone wants to inspect.
		 */
		mml_log(LOG_ERR, "refusing ring '%s': %s; move it aside to "
		    "start a new ring", path, mml_disk_reason_str(why));
		return e;
	}
	/*
	 * Every block of a ring we make is allocated: holes mean a file we
	 * did not make, or one damaged, whose header may claim a terabyte
	 * over a few pages.  Refused before anything reads (or allocates)
	 * what it claims.
	 */
	if ((uint64_t)st.st_blocks * 512 < MML_DISK_HEADER_SIZE + h.capacity) {
		mml_log(LOG_ERR, "refusing ring '%s': %s; move it aside to "
		    "start a new ring", path,
		    mml_disk_reason_str(MML_DISK_E_SPARSE));
		return -EBADMSG;
	}
	if ((h.compat_flags & ~MML_COMPAT_KNOWN) != 0) {
		/* Readers may ignore them; a writer would not maintain them. */
		mml_log(LOG_ERR, "ring '%s' uses features of a newer mmlogd "
		    "(compatible flags 0x%x); refusing to write it", path,
		    h.compat_flags);
		return -EPROTONOSUPPORT;
	}
	*ret_h = h;
	*ret_size = (uint64_t)st.st_size;
	return 0;
}

/*
 * Whether the ring of header h is the size asked for (if size_explicit)
 * and large enough for min_cap.  Returns 0, or -errno after logging why.
 */
static int
ring_size_ok(const char *path, const struct mml_disk_header *h,
    uint64_t size, int size_explicit, uint64_t min_cap)
{
	if (size_explicit && h->capacity != size) {
		mml_log(LOG_ERR, "ring '%s' holds %llu bytes but --size asks for "
		    "%llu; refusing to discard its entries: use --size %llu, or "
		    "move the file aside to start a new ring", path,
		    (unsigned long long)h->capacity, (unsigned long long)size,
		    (unsigned long long)h->capacity);
		return -EEXIST;
	}
	if (h->capacity < min_cap) {
		mml_log(LOG_ERR, "ring '%s' (%llu bytes) is too small for "
		    "--max-entry: it needs at least %llu", path,
		    (unsigned long long)h->capacity, (unsigned long long)min_cap);
		return -EINVAL;
	}
	return 0;
}
