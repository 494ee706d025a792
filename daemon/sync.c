/*
 * sync.c: the sync thread.
 *
 * msync() of a large range can take as long as the disk wants; on the
 * event loop it would stop ingestion.  One thread runs one job at a
 * time: the loop prepares a job (which ranges, which cursor) and wakes
 * the thread; the thread msyncs the data, then moves and syncs the
 * cursor, and wakes the loop with ev_async.  Every client waiting when
 * the job was prepared is served by it: that is the group commit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "mmlogd.h"

struct mml_syncer {
	struct ev_loop *loop;
	struct mml_ring *ring;
	mml_sync_done_fn done;
	void *arg;
	ev_async async;
	pthread_t thread;
	int thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int have_job;		/* a job waits for the thread (under mu) */
	int job_done;		/* the thread finished it (under mu) */
	int quit;		/* under mu */
	int busy;		/* loop thread: a job is out */
	struct mml_sync_job job;
};

static void *
sync_thread(void *arg)
{
	struct mml_syncer *s = arg;

	(void)pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->have_job && !s->quit)
			(void)pthread_cond_wait(&s->cv, &s->mu);
		if (s->have_job) {
			s->have_job = 0;
			(void)pthread_mutex_unlock(&s->mu);
			mml_ring_sync_run(s->ring, &s->job);
			(void)pthread_mutex_lock(&s->mu);
			s->job_done = 1;
			(void)pthread_cond_broadcast(&s->cv);
			ev_async_send(s->loop, &s->async);
			continue;
		}
		if (s->quit)
			break;
	}
	(void)pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void
syncer_async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct mml_syncer *s = container_of(w, struct mml_syncer, async);
	int done;

	(void)loop;
	(void)revents;
	(void)pthread_mutex_lock(&s->mu);
	done = s->job_done;
	s->job_done = 0;
	(void)pthread_mutex_unlock(&s->mu);
	if (!done || !s->busy)
		return;
	s->busy = 0;
	mml_ring_sync_done(s->ring, &s->job);
	s->done(s, &s->job, s->arg);
}

struct mml_syncer *
mml_syncer_new(struct ev_loop *loop, struct mml_ring *r, mml_sync_done_fn done,
    void *arg)
{
	struct mml_syncer *s;
	int e;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->loop = loop;
	s->ring = r;
	s->done = done;
	s->arg = arg;
	(void)pthread_mutex_init(&s->mu, NULL);
	(void)pthread_cond_init(&s->cv, NULL);
	ev_async_init(&s->async, syncer_async_cb);
	ev_async_start(loop, &s->async);
	/* The async watcher alone must not keep the loop alive. */
	ev_unref(loop);
	e = pthread_create(&s->thread, NULL, sync_thread, s);
	if (e != 0) {
		(void)mml_log_errno(e, "start sync thread");
		return mml_syncer_free(s);
	}
	s->thread_started = 1;
	return s;
}

int
mml_syncer_start(struct mml_syncer *s)
{
	if (s->busy)
		return 0;
	mml_ring_sync_prepare(s->ring, &s->job);
	s->busy = 1;
	(void)pthread_mutex_lock(&s->mu);
	s->have_job = 1;
	(void)pthread_cond_broadcast(&s->cv);
	(void)pthread_mutex_unlock(&s->mu);
	return 1;
}

int
mml_syncer_busy(const struct mml_syncer *s)
{
	return s->busy;
}

struct mml_syncer *
mml_syncer_free(struct mml_syncer *s)
{
	if (s == NULL)
		return NULL;
	if (s->thread_started) {
		(void)pthread_mutex_lock(&s->mu);
		/* Let a running job finish: its cursor must reach the header. */
		while (s->have_job)
			(void)pthread_cond_wait(&s->cv, &s->mu);
		s->quit = 1;
		(void)pthread_cond_broadcast(&s->cv);
		(void)pthread_mutex_unlock(&s->mu);
		(void)pthread_join(s->thread, NULL);
		if (s->busy) {
			s->busy = 0;
			mml_ring_sync_done(s->ring, &s->job);
			s->done(s, &s->job, s->arg);
		}
	}
	ev_ref(s->loop);
	ev_async_stop(s->loop, &s->async);
	(void)pthread_cond_destroy(&s->cv);
	(void)pthread_mutex_destroy(&s->mu);
	free(s);
	return NULL;
}
