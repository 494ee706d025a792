/*
 * macro.h: the daemon's one small macro, for libev callbacks: from a
 * watcher embedded in a struct back to the struct (STYLE.md: watchers
 * live inside their owning struct).
 */
#ifndef MML_MACRO_H
#define MML_MACRO_H

#include <stddef.h>

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

#endif /* MML_MACRO_H */
