/*
 * resize.h: migrating a ring to another size at start (resize.c).
 * Internal to daemon/.
 */
#ifndef MML_RESIZE_H
#define MML_RESIZE_H

#include <stdint.h>

struct mml_ring;

/*
 * Opens the ring at path as mml_ring_open() does.  If size_explicit and
 * an existing ring has another capacity, its entries are first copied,
 * with their sequence numbers, into a new ring of size bytes, which then
 * replaces it (rename(2), once the new ring is durable).  When the new
 * ring cannot hold them all, the oldest are discarded if allow_discard,
 * else the ring is left as it was and -EFBIG returned.  An existing ring
 * with unkeyed record CRCs (an older mmlogd's) is converted the same way
 * into a keyed ring of its own size; if that cannot be done (a full
 * disk), the old ring is opened as it is, with a warning.  Returns 0 and
 * *ret, or -errno after logging why.
 */
int mml_resize_open(const char *path, uint64_t size, int size_explicit,
    int allow_discard, uint64_t min_cap, struct mml_ring **ret);

#endif /* MML_RESIZE_H */
