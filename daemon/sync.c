/*
 * sync.c: the sync threads.
 *
 * fdatasync() can take as long as the disk wants; on the event loop it
 * would stop ingestion.  Each thread runs one job at a time: the loop
 * prepares a job (which ranges, which cursor) and hands it to an idle
 * thread; the thread syncs, and wakes the loop with ev_async.  Every
 * client waiting when the job was prepared is served by it: that is the
 * group commit.
 *
 * Several jobs may be out at once.  A disk flush takes the same time for
 * one waiter or many, and the kernel lets concurrent fdatasync() calls
 * share a journal commit and a flush: measured here, one thread syncing
 * back to back managed 4.4k syncs/s, four threads 20k.  So while one job
 * waits for the disk, the clients it does not cover are gathered into
 * the next instead of waiting for it to return.  Each thread syncs
 * through its own open file of the ring (see mml_ring_sync_run() for
 * why); without /proc to reopen it by, there is one thread.
 *
 * The syncer also keeps the ring's loop hooks: with mml_ring_defer() on,
 * records written by pwrite() wait in memory until mml_ring_flush(),
 * which an ev_check runs after every round of callbacks (the lowest
 * priority, so after all of them) and an ev_prepare before the loop
 * sleeps (the highest, so before the server's, which tells followers
 * about new entries).  Entries taken in one iteration reach the page
 * cache in one system call before the loop does anything else.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "ring.h"
#include "sync.h"

#define SYNC_THREADS	4

struct worker {
	struct mml_syncer *s;
	pthread_t thread;
	int started;
	int fd;			/* the thread's own open file of the ring */
	pthread_cond_t cv;	/* wakes this thread only */
	int have_job;		/* a job waits for the thread (under mu) */
	int job_done;		/* the thread finished it (under mu) */
	int busy;		/* loop thread: a job is out */
	uint64_t id;		/* loop thread: order of the job */
	struct mml_sync_job job;
};

struct mml_syncer {
	struct ev_loop *loop;
	struct mml_ring *ring;
	mml_sync_done_fn done;
	void *arg;
	ev_async async;
	ev_check flush_check;
	ev_prepare flush_prepare;
	pthread_mutex_t mu;
	int quit;		/* under mu */
	int n;			/* threads */
	int running;		/* loop thread: jobs out */
	uint64_t next_id;
	struct worker w[SYNC_THREADS];
};

static void *
sync_thread(void *arg)
{
	struct worker *w = arg;
	struct mml_syncer *s = w->s;

	(void)pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!w->have_job && !s->quit)
			(void)pthread_cond_wait(&w->cv, &s->mu);
		if (w->have_job) {
			w->have_job = 0;
			(void)pthread_mutex_unlock(&s->mu);
			mml_ring_sync_run(s->ring, &w->job);
			(void)pthread_mutex_lock(&s->mu);
			w->job_done = 1;
			ev_async_send(s->loop, &s->async);
			continue;
		}
		if (s->quit)
			break;
	}
	(void)pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Takes a finished job back into the loop thread. */
static void
worker_finish(struct mml_syncer *s, struct worker *w)
{
	w->busy = 0;
	s->running--;
	mml_ring_sync_done(s->ring, &w->job);
	s->done(s, &w->job, s->arg);
}

/*
 * The worker with the oldest job out, finished ones only if done_only
 * (under mu when threads run).  Jobs are taken back oldest first, so
 * acknowledgements go out in the order of the jobs.
 */
static struct worker *
oldest_job(struct mml_syncer *s, int done_only)
{
	struct worker *w, *first = NULL;
	int i;

	for (i = 0; i < SYNC_THREADS; i++) {
		w = &s->w[i];
		if (w->busy && (w->job_done || !done_only) &&
		    (first == NULL || w->id < first->id))
			first = w;
	}
	return first;
}

static void
syncer_flush_check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct mml_syncer *s = container_of(w, struct mml_syncer, flush_check);

	(void)loop;
	(void)revents;
	(void)mml_ring_flush(s->ring);
}

static void
syncer_flush_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct mml_syncer *s = container_of(w, struct mml_syncer,
	    flush_prepare);

	(void)loop;
	(void)revents;
	(void)mml_ring_flush(s->ring);
}

static void
syncer_async_cb(struct ev_loop *loop, ev_async *ev, int revents)
{
	struct mml_syncer *s = container_of(ev, struct mml_syncer, async);
	struct worker *w;

	(void)loop;
	(void)revents;
	for (;;) {
		(void)pthread_mutex_lock(&s->mu);
		w = oldest_job(s, 1);
		if (w != NULL)
			w->job_done = 0;
		(void)pthread_mutex_unlock(&s->mu);
		if (w == NULL)
			break;
		worker_finish(s, w);
	}
}

struct mml_syncer *
mml_syncer_new(struct ev_loop *loop, struct mml_ring *r, mml_sync_done_fn done,
    void *arg)
{
	struct mml_syncer *s;
	int e, i;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->loop = loop;
	s->ring = r;
	s->done = done;
	s->arg = arg;
	(void)pthread_mutex_init(&s->mu, NULL);
	for (i = 0; i < SYNC_THREADS; i++)
		(void)pthread_cond_init(&s->w[i].cv, NULL);
	ev_async_init(&s->async, syncer_async_cb);
	ev_async_start(loop, &s->async);
	/* The syncer's watchers alone must not keep the loop alive. */
	ev_unref(loop);
	ev_check_init(&s->flush_check, syncer_flush_check_cb);
	ev_set_priority(&s->flush_check, EV_MINPRI);
	ev_check_start(loop, &s->flush_check);
	ev_unref(loop);
	ev_prepare_init(&s->flush_prepare, syncer_flush_prepare_cb);
	ev_set_priority(&s->flush_prepare, EV_MAXPRI);
	ev_prepare_start(loop, &s->flush_prepare);
	ev_unref(loop);
	mml_ring_defer(r, 1);
	for (i = 0; i < SYNC_THREADS; i++)
		s->w[i].fd = -1;
	for (i = 0; i < SYNC_THREADS; i++) {
		struct worker *w = &s->w[i];

		w->s = s;
		w->fd = mml_ring_reopen(r);
		if (w->fd < 0 && i > 0)
			break;
		if (w->fd < 0)
			mml_log(LOG_WARNING, "cannot reopen ring '%s' through "
			    "/proc (%s): one sync thread", mml_ring_path(r),
			    strerror(errno));
		e = pthread_create(&w->thread, NULL, sync_thread, w);
		if (e != 0) {
			(void)mml_log_errno(e, "start sync thread");
			return mml_syncer_free(s);
		}
		w->started = 1;
		s->n++;
		if (w->fd < 0)
			break;
	}
	return s;
}

int
mml_syncer_start(struct mml_syncer *s)
{
	struct worker *w = NULL;
	int i;

	for (i = 0; i < s->n && w == NULL; i++)
		if (!s->w[i].busy)
			w = &s->w[i];
	if (w == NULL)
		return 0;
	mml_ring_sync_prepare(s->ring, &w->job);
	w->job.fd = w->fd;
	w->busy = 1;
	w->id = s->next_id++;
	s->running++;
	(void)pthread_mutex_lock(&s->mu);
	w->have_job = 1;
	(void)pthread_cond_signal(&w->cv);
	(void)pthread_mutex_unlock(&s->mu);
	return 1;
}

int
mml_syncer_busy(const struct mml_syncer *s)
{
	return s->running == s->n;
}

int
mml_syncer_running(const struct mml_syncer *s)
{
	return s->running;
}

struct mml_syncer *
mml_syncer_free(struct mml_syncer *s)
{
	struct worker *w;
	int i;

	if (s == NULL)
		return NULL;
	/* Running jobs finish (their cursors must reach the header), then
	 * each thread sees quit. */
	(void)pthread_mutex_lock(&s->mu);
	s->quit = 1;
	for (i = 0; i < SYNC_THREADS; i++)
		(void)pthread_cond_signal(&s->w[i].cv);
	(void)pthread_mutex_unlock(&s->mu);
	for (i = 0; i < SYNC_THREADS; i++)
		if (s->w[i].started)
			(void)pthread_join(s->w[i].thread, NULL);
	/* The threads are gone: every job out is finished. */
	while ((w = oldest_job(s, 0)) != NULL)
		worker_finish(s, w);
	for (i = 0; i < SYNC_THREADS; i++)
		if (s->w[i].fd >= 0)
			(void)close(s->w[i].fd);
	mml_ring_defer(s->ring, 0);
	ev_ref(s->loop);
	ev_async_stop(s->loop, &s->async);
	ev_ref(s->loop);
	ev_check_stop(s->loop, &s->flush_check);
	ev_ref(s->loop);
	ev_prepare_stop(s->loop, &s->flush_prepare);
	for (i = 0; i < SYNC_THREADS; i++)
		(void)pthread_cond_destroy(&s->w[i].cv);
	(void)pthread_mutex_destroy(&s->mu);
	free(s);
	return NULL;
}
