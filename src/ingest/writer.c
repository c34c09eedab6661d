#include "ingest/writer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"

struct mg_writer {
	struct mg_store *store;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct mg_write_job *head, *tail;	/* queue, oldest first */
	bool stopping;
	struct mg_writer_stats stats;
	void (*hook)(void *arg);
	void *hook_arg;
	struct mg_metrics *metrics;
};

void mg_writer_set_metrics(struct mg_writer *w, struct mg_metrics *metrics)
{
	w->metrics = metrics;
}

/* The counters for one committed (or failed) job. */
static void job_count(struct mg_writer *w, const struct mg_write_job *job,
		      const struct timespec *now)
{
	enum mg_metric_result res = job->put.result == 0 ? (job->put.duplicate ? MG_RESULT_DUPLICATE
										: MG_RESULT_STORED)
				    : job->put.result == MG_ERR_INVALID || job->put.result == MG_ERR_RANGE
					    ? MG_RESULT_INVALID
					    : MG_RESULT_STORE_FAILED;

	mg_metrics_received(w->metrics, job->source, res);
	if (job->put.result == 0)
		mg_metrics_ack_latency(w->metrics,
				       (double)(now->tv_sec - job->submitted.tv_sec) +
					       (double)(now->tv_nsec - job->submitted.tv_nsec) / 1e9);
}

void mg_writer_set_hook(struct mg_writer *w, void (*hook)(void *arg), void *arg)
{
	w->hook = hook;
	w->hook_arg = arg;
}

/* Commit one batch and answer its jobs; called without the lock held. */
static void writer_commit(struct mg_writer *w, struct mg_write_job *batch)
{
	struct mg_measurement_put *items[MG_WRITER_BATCH_MAX] = { NULL };
	struct mg_write_job *job, *next;
	size_t n = 0;
	int r;

	for (job = batch; job != NULL; job = job->next) {
		if (job->apply != NULL)
			job->put.result = job->apply(job, w->store);	/* its own transaction */
		else
			items[n++] = &job->put;
	}
	r = n == 0 ? 0 : mg_store_measurement_put_batch(w->store, items, n);
	if (r != 0) {
		mg_store_fault(w->store, "measurement batch",
			       "a batch of %zu measurements failed: %s", n, mg_strerror(r));
		/* Whatever the back end left there: none of them is stored. */
		for (job = batch; job != NULL; job = job->next)
			if (job->apply == NULL)
				job->put.result = r;
	}
	pthread_mutex_lock(&w->lock);
	w->stats.batches++;
	w->stats.measurements += n;
	if (r != 0)
		w->stats.failures += n;
	if (n > w->stats.largest_batch)
		w->stats.largest_batch = n;
	pthread_mutex_unlock(&w->lock);
	if (w->metrics != NULL) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		mg_metrics_batch(w->metrics, n);
		if (r != 0)
			mg_metrics_store_error(w->metrics);
		for (job = batch; job != NULL; job = job->next)
			job_count(w, job, &now);
	}
	for (job = batch; job != NULL; job = next) {
		next = job->next;	/* done may free the job */
		job->done(job, job->done_arg);
	}
	if (r == 0 && w->hook != NULL)
		w->hook(w->hook_arg);
}

static void *writer_main(void *arg)
{
	struct mg_writer *w = arg;

	for (;;) {
		struct mg_write_job *batch, *last;
		size_t n = 1;

		pthread_mutex_lock(&w->lock);
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->head == NULL) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		/* Take what is queued, up to the batch limit. */
		batch = last = w->head;
		while (last->next != NULL && n < MG_WRITER_BATCH_MAX) {
			last = last->next;
			n++;
		}
		w->head = last->next;
		if (w->head == NULL)
			w->tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&w->lock);
		writer_commit(w, batch);
	}
}

int mg_writer_new(struct mg_store *store, struct mg_writer **out)
{
	struct mg_writer *w;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return MG_ERR_NOMEM;
	w->store = store;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return MG_ERR_NOMEM;
	}
	*out = w;
	return 0;
}

int mg_writer_submit(struct mg_writer *w, struct mg_write_job *job)
{
	job->put.m = &job->measurement;
	job->next = NULL;
	clock_gettime(CLOCK_MONOTONIC, &job->submitted);
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		return MG_ERR_UNAVAILABLE;
	}
	if (w->tail != NULL)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

void mg_writer_free(struct mg_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void mg_writer_stats(struct mg_writer *w, struct mg_writer_stats *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->stats;
	pthread_mutex_unlock(&w->lock);
}
