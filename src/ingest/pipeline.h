/* The one ingest pipeline: every transport (the device port's HTTPS JSON,
 * HL7 over MLLP, and the serial, Bluetooth and FHIR sources to come) turns
 * its input into a struct mg_measurement and calls mg_ingest_submit, which
 * checks it against the model's rules, seals the patient identifier under
 * the tenant's key with its blind index, names the EMR destinations (the
 * routing is handed in, so ingest never calls up into the outbox), and
 * hands the job to the store writer; detection hears of every step. What
 * a transport does itself is only its framing and its answer. */
#ifndef MG_INGEST_PIPELINE_H
#define MG_INGEST_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/writer.h"
#include "model/measurement.h"
#include "store/store.h"

struct mg_detector;
struct mg_ingest;
struct mg_keyring;

/* Where a tenant's measurements go: up to max [emr.NAME] names into out
 * (pointers that stay valid while the pipeline runs); returns the count. */
typedef size_t (*mg_ingest_route_fn)(void *arg, int64_t tenant_id, const char **out,
				     size_t max);

struct mg_ingest_deps {
	struct mg_keyring *keys;	/* tenant keys for sealing */
	struct mg_writer *writer;	/* group commit */
	struct mg_detector *detector;	/* may be NULL */
	mg_ingest_route_fn route;	/* may be NULL: no EMR */
	void *route_arg;
	struct mg_metrics *metrics;	/* may be NULL: nothing counted */
};

/* deps' members must outlive the pipeline. Returns 0 or MG_ERR_NOMEM; *out
 * is the caller's (mg_ingest_free). */
int mg_ingest_new(const struct mg_ingest_deps *deps, struct mg_ingest **out);
void mg_ingest_free(struct mg_ingest *in);

/* A request from device d arrived, before its content is read (the rate
 * rule counts every request, good or bad). Cheap, never blocks. */
void mg_ingest_request(struct mg_ingest *in, const struct mg_device *d);

/* The transport (source) refused a measurement of d with r (an
 * MG_ERR_*): counted, and for MG_ERR_RANGE detection hears of an
 * implausible value of quantity (NULL or "" if the transport cannot say
 * which). */
void mg_ingest_refused(struct mg_ingest *in, const struct mg_device *d,
		       enum mg_metric_source source, int r, const char *quantity);

/* Submit job->measurement, from device d (job->source set by the
 * transport): checked again with the model's
 * rules (err gets the message), stamped with d's id and tenant, sealed,
 * routed and handed to the writer, which calls done(job, arg) on its
 * thread once the transaction is durable or failed (job->put.result says
 * which; job must stay valid until then). Returns 0 (done will be called);
 * MG_ERR_INVALID / MG_ERR_RANGE (the rules; nothing queued);
 * MG_ERR_UNAVAILABLE (tenant key, sealing, or the writer stopping: retry
 * later; done is not called). */
int mg_ingest_submit(struct mg_ingest *in, const struct mg_device *d, struct mg_write_job *job,
		     mg_write_done_fn done, void *arg, char *err, size_t errlen);

/* Hand a job with an apply function (writer.h) to the writer: it runs on
 * the writer's thread, then done(job, arg). Returns 0, or
 * MG_ERR_UNAVAILABLE once the writer is stopping (done not called). */
int mg_ingest_apply(struct mg_ingest *in, struct mg_write_job *job, mg_write_done_fn done,
		    void *arg);

/* After done: a measurement stored for the first time goes to the
 * detection rules that look at what was stored (a weight jump). */
void mg_ingest_stored(struct mg_ingest *in, const struct mg_write_job *job);

#endif
