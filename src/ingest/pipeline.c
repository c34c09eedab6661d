/* The ingest pipeline (ingest/pipeline.h). */
#include "ingest/pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "detect/detect.h"

struct mg_ingest {
	struct mg_ingest_deps deps;
};

int mg_ingest_new(const struct mg_ingest_deps *deps, struct mg_ingest **out)
{
	struct mg_ingest *in;

	*out = NULL;
	if (deps->keys == NULL || deps->writer == NULL)
		return MG_ERR_INVALID;
	if ((in = calloc(1, sizeof(*in))) == NULL)
		return MG_ERR_NOMEM;
	in->deps = *deps;
	*out = in;
	return 0;
}

void mg_ingest_free(struct mg_ingest *in)
{
	free(in);
}

void mg_ingest_request(struct mg_ingest *in, const struct mg_device *d)
{
	mg_detect_device_request(in->deps.detector, d->id, d->tenant_id, mg_now_ms());
}

void mg_ingest_refused(struct mg_ingest *in, const struct mg_device *d,
		       enum mg_metric_source source, int r, const char *quantity)
{
	mg_metrics_received(in->deps.metrics, source,
			    r == MG_ERR_RANGE ? MG_RESULT_OUT_OF_RANGE
			    : r == MG_ERR_INVALID ? MG_RESULT_INVALID
						  : MG_RESULT_UNAVAILABLE);
	if (r == MG_ERR_RANGE)
		mg_detect_implausible(in->deps.detector, d->id, d->tenant_id,
				      quantity != NULL ? quantity : "");
}

/* Seal the patient identifier under a new patient key (kept only if this
 * measurement makes the patient), with its blind index under the
 * tenant's. Returns 0 or MG_ERR_UNAVAILABLE (logged, without the id). */
static int seal_patient(struct mg_ingest *in, const struct mg_measurement *m,
			struct mg_measurement_put *p)
{
	const struct mg_tenant_key *tk;
	size_t idlen = strlen(m->patient_id);
	int r;

	if ((r = mg_keyring_tenant(in->deps.keys, m->tenant_id, &tk)) != 0) {
		mg_log_error("ingest: key of tenant %lld unavailable: %s", (long long)m->tenant_id,
			     mg_strerror(r));
		return MG_ERR_UNAVAILABLE;
	}
	mg_patient_blind_index(tk, m->patient_id, idlen, p->blind_index);
	if (mg_patient_seal_new_key(tk, m->patient_id, idlen, p->patient_key, p->sealed_patient,
				    sizeof(p->sealed_patient)) != 0) {
		mg_log_error("ingest: cannot seal a patient identifier of device %lld",
			     (long long)m->device_id);
		return MG_ERR_UNAVAILABLE;
	}
	p->patient_key_len = MG_WRAPPED_KEY_BYTES;
	p->sealed_len = idlen + MG_SEAL_OVERHEAD;
	return 0;
}

int mg_ingest_submit(struct mg_ingest *in, const struct mg_device *d, struct mg_write_job *job,
		     mg_write_done_fn done, void *arg, char *err, size_t errlen)
{
	struct mg_measurement *m = &job->measurement;
	struct mg_measurement_put *p = &job->put;
	int64_t now = mg_now_ms();
	int r;

	/* Whatever the transport checked, nothing unchecked reaches the store. */
	if ((r = mg_measurement_check(m, now, err, errlen)) != 0) {
		mg_ingest_refused(in, d, job->source, r, NULL);
		return r;
	}
	m->device_id = d->id;
	m->tenant_id = d->tenant_id;
	memset(p, 0, sizeof(*p));
	p->m = m;
	p->unassigned = m->patient_id[0] == '\0';
	if (!p->unassigned && (r = seal_patient(in, m, p)) != 0) {
		mg_metrics_received(in->deps.metrics, job->source, MG_RESULT_UNAVAILABLE);
		mg_measurement_error(err, errlen, "measurement not stored, retry later");
		return r;
	}
	p->received_ms = now;
	/* One without patient goes to the EMR only if a "measure now" order
	 * takes it (in the store's transaction), else once assigned. */
	p->ndestinations = in->deps.route != NULL
				   ? in->deps.route(in->deps.route_arg, m->tenant_id,
						    job->destinations, MG_EMR_MAX)
				   : 0;
	p->destinations = job->destinations;
	job->done = done;
	job->done_arg = arg;
	if (mg_writer_submit(in->deps.writer, job) != 0) {
		mg_metrics_received(in->deps.metrics, job->source, MG_RESULT_UNAVAILABLE);
		mg_measurement_error(err, errlen, "gateway stopping, retry later");
		return MG_ERR_UNAVAILABLE;
	}
	return 0;
}

void mg_ingest_stored(struct mg_ingest *in, const struct mg_write_job *job)
{
	if (job->apply == NULL && job->put.result == 0 && !job->put.duplicate)
		mg_detect_stored(in->deps.detector, job->put.id, &job->measurement);
}

int mg_ingest_apply(struct mg_ingest *in, struct mg_write_job *job, mg_write_done_fn done,
		    void *arg)
{
	job->done = done;
	job->done_arg = arg;
	return mg_writer_submit(in->deps.writer, job);
}
