/* One HL7 ADT message on the MLLP port, from the hospital's interface
 * engine enrolled as a device of the tenant and named in [patients]
 * adt_senders: decoded (hl7/adt.h), sealed (ingest/adt.h) and applied on
 * the writer's thread; the ACK (AA) goes out only once the change is
 * durable. Another device's ADT, or one that is not valid, is refused
 * with AR naming the problem; a failure of ours is AE (send again). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "hl7/adt.h"
#include "ingest/mllp_internal.h"
#include "ingest/pipeline.h"

static void adt_refuse(struct mllp_conn *c, const struct mg_hl7_msg *msg, const char *code,
		       unsigned condition, const char *text)
{
	struct mg_hl7_error e;

	memset(&e, 0, sizeof(e));
	e.code = condition;
	snprintf(e.text, sizeof(e.text), "%s", text);
	mllp_message_answer(c, msg, code, &e);
}

static int adt_apply(struct mg_write_job *wj, struct mg_store *store)
{
	struct mllp_job *job = (struct mllp_job *)wj; /* write is its first member */
	int r = mg_adt_apply(store, &job->adt);

	job->write.put.id = job->adt.patient_id;
	return r;
}

void mllp_adt_handle(struct mllp_conn *c, struct mg_hl7_msg *msg)
{
	struct mg_hl7_error error;
	struct mllp_job *job = NULL;
	struct mg_adt adt;
	int r;

	memset(&error, 0, sizeof(error));
	if (c->l->deps.adt_senders == NULL ||
	    !mg_adt_sender_allowed(c->l->deps.adt_senders, c->device.name)) {
		mg_log_warning("mllp: ADT message from device %lld refused: not an ADT sender "
			       "([patients] adt_senders)",
			       (long long)c->device.id);
		adt_refuse(c, msg, "AR", MG_HL7_UNSUPPORTED_MESSAGE_TYPE,
			   "MSH-9: this sender may not send ADT messages");
		goto out;
	}
	if ((r = mg_hl7_adt_decode(msg, mg_now_ms(), &adt, &error)) != 0) {
		mg_log_warning("mllp: ADT message from device %lld rejected: %u %s: %s",
			       (long long)c->device.id, error.code,
			       mg_hl7_condition_name(error.code), error.text);
		mllp_message_answer(c, msg, "AR", &error);
		goto out;
	}
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		adt_refuse(c, msg, "AE", MG_HL7_APPLICATION_INTERNAL_ERROR,
			   "out of memory, retry later");
		goto out;
	}
	r = mg_adt_prepare(c->l->deps.keys, &c->device, c->peer, &adt, mg_now_ms(), &job->adt);
	sodium_memzero(&adt, sizeof(adt));
	if (r != 0) {
		mg_log_error("mllp: ADT message of device %lld not sealed: %s",
			     (long long)c->device.id, mg_strerror(r));
		adt_refuse(c, msg, "AE", MG_HL7_APPLICATION_INTERNAL_ERROR,
			   "patient not stored, retry later");
		goto out;
	}
	job->write.apply = adt_apply;
	mllp_job_hold(c, job);
	if (mg_ingest_apply(c->l->deps.ingest, &job->write, mllp_job_done, job) != 0) {
		mllp_job_unhold(job);
		adt_refuse(c, msg, "AE", MG_HL7_APPLICATION_INTERNAL_ERROR,
			   "gateway stopping, retry later");
		goto out;
	}
	mllp_message_storing(c, job, msg);
	return;
out:
	mllp_job_free(job);
	mg_hl7_msg_free(msg);
}
