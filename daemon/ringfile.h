/*
 * ringfile.h: the ring's file before it is mapped (ringfile.c): created
 * whole, locked, with a header this mmlogd understands and may write,
 * of the size asked for, and its seek index.  Internal to daemon/, for
 * ring.c, which maps what these open (resize.c peeks at a ring through
 * mml_ringfile_open_plain(), main.c names --user's uid).
 */
#ifndef MML_RINGFILE_H
#define MML_RINGFILE_H

#include <stdint.h>
#include <sys/types.h>

#include "disk.h"

/*
 * Opens path with flags (O_RDONLY or O_RDWR; O_CLOEXEC is added) if it
 * is a regular file: never through a symbolic link (-ELOOP, dangling or
 * not), never blocking (a FIFO is opened O_NONBLOCK, then refused),
 * the type checked on the open file (-EINVAL if not a regular file).
 * Returns the descriptor, blocking again, or -errno; logs nothing.
 */
int mml_ringfile_open_plain(const char *path, int flags);
/*
 * The uid the daemon will run as (--user), which may own the ring as
 * well as the daemon's own uid; (uid_t)-1: none.  Call before opening.
 */
void mml_ringfile_set_owner(uid_t uid);
/*
 * The directory path is in (what: "ring", "socket", for messages),
 * created with its parents if missing (0755), then refused (-EPERM,
 * logged) if a user other than root, us or mml_ringfile_set_owner()'s
 * uid owns it, or anyone may write to it and it is not sticky: such a
 * user could replace the file between our check and our use.  Returns
 * 0 or -errno after logging why.
 */
int mml_dir_prepare(const char *path, const char *what);

/*
 * Opens and locks the ring file at path, creating it (size bytes of data
 * region, parent directories too) if there is none, and checks it: a
 * regular file, not a symbolic link (mml_ringfile_open_plain()), ours
 * (or taken over when we are root), mode 0640 at most (narrowed if
 * not), a header that checks, no features of a newer mmlogd, a capacity
 * of size if size_explicit, of min_cap at least; a seek index region,
 * added if missing.  Returns the descriptor (the caller closes it) and
 * the header in *ret_h, or -errno after logging why.
 */
int mml_ringfile_open(const char *path, uint64_t size, int size_explicit,
    uint64_t min_cap, struct mml_disk_header *ret_h);
/*
 * For a resize: makes an empty ring file of cap bytes at path with the
 * ring id and creation time of the header like (readers that follow the
 * path see the same ring go on, and cursors stay valid), and the owner
 * and mode of the file like_fd.  A leftover of an earlier attempt is
 * removed first: the lock of like_fd, held by the caller, is what keeps
 * any other mmlogd away from path.  Returns 0 or -errno, logged.
 */
int mml_ringfile_create_like(const char *path, uint64_t cap, int like_fd,
    const struct mml_disk_header *like);

#endif /* MML_RINGFILE_H */
