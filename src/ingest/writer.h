/* The store writer: one thread that commits measurements in groups.
 * Handlers submit a job and return; the writer takes everything queued,
 * commits it in one durable transaction, and calls each job's done
 * callback. Throughput grows with load while every acknowledgement still
 * waits for its own commit. */
#ifndef MG_INGEST_WRITER_H
#define MG_INGEST_WRITER_H

#include <time.h>

#include "common/metrics.h"
#include "model/measurement.h"
#include "store/store.h"

struct mg_write_job;
typedef void (*mg_write_done_fn)(struct mg_write_job *job, void *arg);

struct mg_write_job {
	struct mg_measurement measurement;
	const char *destinations[MG_EMR_MAX];	/* put.destinations points here */
	struct mg_measurement_put put;	/* put.m points at measurement */
	mg_write_done_fn done;		/* called on the writer thread */
	/* Not a measurement but a change of its own (an HL7 ADT message):
	 * run on the writer thread, in queue order, its result in
	 * put.result; NULL for a measurement. */
	int (*apply)(struct mg_write_job *job, struct mg_store *store);
	void *done_arg;
	enum mg_metric_source source;	/* the transport's, for the counters */
	struct timespec submitted;	/* monotonic, set by mg_writer_submit */
	struct mg_write_job *next;	/* queue link, the writer's */
};

struct mg_writer;

/* Start the writer thread on store. *out is the caller's (mg_writer_free). */
int mg_writer_new(struct mg_store *store, struct mg_writer **out);

/* Queue job (its put filled in except results). job->done is called once,
 * from the writer thread, after the job's batch committed or failed; the
 * job must stay valid until then. Returns 0, or MG_ERR_UNAVAILABLE once
 * the writer is stopping (done is not called then). */
int mg_writer_submit(struct mg_writer *w, struct mg_write_job *job);

/* Call hook(arg) on the writer thread after each batch that committed
 * (to wake the EMR forwarders). Set it before the first submit. */
void mg_writer_set_hook(struct mg_writer *w, void (*hook)(void *arg), void *arg);

/* Count each batch's size, each job's result and how long it waited for
 * its commit in metrics (may be NULL). Set it before the first submit. */
void mg_writer_set_metrics(struct mg_writer *w, struct mg_metrics *metrics);

/* Commit everything queued, answer it, then stop the thread and free. */
void mg_writer_free(struct mg_writer *w);

struct mg_writer_stats {
	uint64_t batches, measurements, failures;
	uint64_t largest_batch;
};
void mg_writer_stats(struct mg_writer *w, struct mg_writer_stats *out);

#endif
