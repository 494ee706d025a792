/*
 * sync.h: the threads that run the ring's sync jobs off the event loop
 * (sync.c).  Internal to daemon/.
 */
#ifndef MML_SYNC_H
#define MML_SYNC_H

#include <ev.h>

struct mml_ring;
struct mml_sync_job;
struct mml_syncer;

/* Called on the loop thread for each finished job, oldest first. */
typedef void (*mml_sync_done_fn)(struct mml_syncer *, struct mml_sync_job *,
    void *);

/*
 * Starts the sync threads for r on loop; done(s, job, arg) is called
 * after mml_ring_sync_done() has taken each job back.  Returns NULL when
 * out of memory or when no thread could start (logged).
 */
struct mml_syncer *mml_syncer_new(struct ev_loop *loop, struct mml_ring *r,
    mml_sync_done_fn done, void *arg);
/* Starts a job on an idle thread; returns 1 if started, 0 if all are busy. */
int mml_syncer_start(struct mml_syncer *s);
/* Whether every thread has a job. */
int mml_syncer_busy(const struct mml_syncer *s);
/* Jobs out (0 when idle). */
int mml_syncer_running(const struct mml_syncer *s);
/* Waits for running jobs and stops the threads; accepts NULL. */
struct mml_syncer *mml_syncer_free(struct mml_syncer *s);

#endif /* MML_SYNC_H */
