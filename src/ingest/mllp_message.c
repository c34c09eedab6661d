/* One HL7 message on the MLLP port: the device is checked again, the
 * message parsed and read as a PCD-01 ORU^R01, the patient identifier
 * sealed, and the measurement handed to the writer; or it is refused
 * with an ACK naming the problem and nothing is stored. The answers:
 *   AA  stored and durable (also for a resend of a stored message);
 *   AR  can never be accepted as sent (content, type, structure): the
 *       sender must not send it again unchanged;
 *   AE  could not be stored now (store, keys, stopping): send it again.
 * The writer's answer comes back on its thread through the completion
 * queue at the end of this file. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "audit/audit.h"
#include "crypto/keyring.h"
#include "hl7/ack.h"
#include "hl7/hl7.h"
#include "hl7/pcd01.h"
#include "ingest/mllp_internal.h"

#define TEXT_RETRY_STORE	"measurement not stored, retry later"
#define TEXT_RETRY_MEMORY	"out of memory, retry later"

static void error_set(struct mg_hl7_error *e, unsigned code, const char *text)
{
	memset(e, 0, sizeof(*e));
	e->code = code;
	/* Our own fixed texts: they fit. */
	memcpy(e->text, text, strlen(text) + 1);
}

/* Queue the ACK with code for received (NULL: empty MSA-2). */
void mllp_message_answer(struct mllp_conn *c, const struct mg_hl7_msg *received,
			 const char *code, const struct mg_hl7_error *error)
{
	char *ack = NULL;
	size_t len = 0;
	int r;

	r = mg_hl7_encode_ack(received, code, error, mg_now_ms(), &ack, &len);
	if (r != 0) {
		mg_log_error("mllp: cannot encode the %s for %s: %s", code, c->peer,
			     mg_strerror(r));
		mllp_conn_close(c);
		return;
	}
	mllp_conn_answer(c, ack, len);
}

/* Refuse with AR and say why in the log: what and where, never a value
 * from the message (the HL7 module's texts hold none). */
static void message_reject(struct mllp_conn *c, const struct mg_hl7_msg *received,
			   const struct mg_hl7_error *error)
{
	mg_log_warning("mllp: message from %s (device %lld) rejected: %u %s: %s", c->peer,
		       (long long)c->device.id, error->code, mg_hl7_condition_name(error->code),
		       error->text);
	mllp_message_answer(c, received, "AR", error);
}

/* Ask for a resend with AE (a failure of ours, not of the message). */
static void message_retry(struct mllp_conn *c, const struct mg_hl7_msg *received,
			  const char *text)
{
	struct mg_hl7_error error;

	error_set(&error, MG_HL7_APPLICATION_INTERNAL_ERROR, text);
	mllp_message_answer(c, received, "AE", &error);
}

/* The message did not parse: answer AR naming the first problem, with
 * MSA-2 from its MSH if at least that reads, else empty. */
static void message_unparsed(struct mllp_conn *c, const char *buf, size_t len, int r,
			     const struct mg_hl7_error *error)
{
	struct mg_hl7_msg *msh = NULL;

	if (r == MG_ERR_NOMEM) {
		(void)mg_hl7_parse_msh(buf, len, &msh, NULL);
		message_retry(c, msh, TEXT_RETRY_MEMORY);
	} else {
		(void)mg_hl7_parse_msh(buf, len, &msh, NULL);
		message_reject(c, msh, error);
	}
	mg_hl7_msg_free(msh);
}

void mllp_refused(struct mllp_conn *c, int64_t device_id, int64_t tenant_id,
		  const char *reason)
{
	const struct mg_audit_device_event e = {
		.address = c->peer, .action = "device.refused",
		.object_type = device_id ? "device" : NULL, .object_id = device_id,
		.tenant_id = tenant_id, .outcome = MG_AUDIT_DENIED, .reason = reason,
	};
	enum mg_refusal why = device_id != 0
				      ? (strcmp(reason, "revoked") == 0 ? MG_REFUSAL_DEVICE_REVOKED
									: MG_REFUSAL_DEVICE_BLOCKED)
			      : strcmp(reason, "certificate of no enrolled device") == 0
				      ? MG_REFUSAL_DEVICE_UNKNOWN
			      : strcmp(reason, "no client certificate") == 0 ? MG_REFUSAL_NO_CERTIFICATE
									     : MG_REFUSAL_CERTIFICATE_INVALID;

	mg_metrics_refused(c->l->deps.metrics, MG_IFACE_MLLP, why);
	mg_audit_device(c->l->deps.store, mg_keyring_master(c->l->deps.keys), &e);
}

int mllp_device_check(struct mllp_conn *c)
{
	struct mg_store *store = c->l->deps.store;
	struct mg_device d;
	int r;

	r = mg_store_device_by_fingerprint(store, c->fingerprint, &d);
	if (r == MG_ERR_NOT_FOUND) {
		mg_log_warning("mllp: refused connection from %s: certificate %.16s... belongs "
			       "to no enrolled device", c->peer, c->fingerprint);
		mllp_refused(c, 0, 0, "certificate of no enrolled device");
		return MG_ERR_DENIED;
	}
	if (r != 0) {
		mg_log_error("mllp: device lookup for %s failed: %s", c->peer, mg_strerror(r));
		return MG_ERR_STORE;
	}
	if (d.status != MG_DEVICE_ACTIVE) {
		mg_log_warning("mllp: refused connection from %s: device %lld is %s", c->peer,
			       (long long)d.id, mg_device_status_name(d.status));
		mllp_refused(c, d.id, d.tenant_id, mg_device_status_name(d.status));
		return MG_ERR_DENIED;
	}
	c->device = d;
	return 0;
}

void mllp_job_hold(struct mllp_conn *c, struct mllp_job *job)
{
	struct mllp_completions *q = c->l->completions;

	job->queue = q;
	job->conn = c;
	job->write.source = MG_SOURCE_MLLP;
	pthread_mutex_lock(&q->lock);
	q->refs++;		/* the job's, until its done call */
	pthread_mutex_unlock(&q->lock);
}

void mllp_job_unhold(struct mllp_job *job)
{
	pthread_mutex_lock(&job->queue->lock);
	job->queue->refs--;	/* never the last: the listener holds one */
	pthread_mutex_unlock(&job->queue->lock);
}

void mllp_message_storing(struct mllp_conn *c, struct mllp_job *job, struct mg_hl7_msg *msg)
{
	c->job = job;
	c->msg = msg;
	c->state = MLLP_STORING;
	c->deadline_ms = 0;
}

/* Hand the measurement to the ingest pipeline, which answers on the
 * writer's thread through mllp_job_done. Returns 0 (the writer has it), or
 * < 0 with the text of an AE in why. */
static int message_submit(struct mllp_conn *c, struct mllp_job *job, char *why, size_t whylen)
{
	int r;

	mllp_job_hold(c, job);
	r = mg_ingest_submit(c->l->deps.ingest, &c->device, &job->write, mllp_job_done, job, why,
			     whylen);
	if (r != 0)
		mllp_job_unhold(job);
	return r;
}

void mllp_message_handle(struct mllp_conn *c, const char *buf, size_t len)
{
	struct mg_hl7_error error;
	struct mg_hl7_msg *msg = NULL;
	struct mllp_job *job = NULL;
	char retry[256];
	int device, r;

	memset(&error, 0, sizeof(error));
	/* Blocked or revoked since the handshake: the connection ends. */
	if ((device = mllp_device_check(c)) == MG_ERR_DENIED) {
		mllp_conn_close(c);
		return;
	}
	if ((r = mg_hl7_parse(buf, len, &msg, &error)) != 0) {
		message_unparsed(c, buf, len, r, &error);
		return;
	}
	if (device != 0) {	/* the store could not say */
		message_retry(c, msg, TEXT_RETRY_STORE);
		goto out;
	}
	if (mg_hl7_is_adt(msg)) {
		mllp_adt_handle(c, msg);	/* the hospital's patient feed */
		return;
	}
	if ((job = calloc(1, sizeof(*job))) == NULL) {
		message_retry(c, msg, TEXT_RETRY_MEMORY);
		goto out;
	}
	mg_ingest_request(c->l->deps.ingest, &c->device);
	r = mg_hl7_oru_to_measurement(msg, mg_now_ms(), &job->write.measurement, &error);
	if (r == MG_ERR_NOMEM) {
		message_retry(c, msg, TEXT_RETRY_MEMORY);
		goto out;
	}
	if (r != 0) {
		mg_ingest_refused(c->l->deps.ingest, &c->device, MG_SOURCE_MLLP, r, NULL);
		message_reject(c, msg, &error);
		goto out;
	}
	if (message_submit(c, job, retry, sizeof(retry)) != 0) {
		message_retry(c, msg, retry);
		goto out;
	}
	/* The writer has the job; keep the message for its ACK. */
	mllp_message_storing(c, job, msg);
	return;
out:
	mllp_job_free(job);
	mg_hl7_msg_free(msg);
}

void mllp_message_answer_stored(struct mllp_conn *c, const struct mg_measurement_put *put)
{
	struct mg_hl7_msg *msg = c->msg;

	c->msg = NULL;
	if (put->result != 0) {
		mg_log_error("mllp: message of device %lld not stored: %s",
			     (long long)c->device.id, mg_strerror(put->result));
		message_retry(c, msg, TEXT_RETRY_STORE);
	} else {
		mg_log_debug("mllp: message %lld of device %lld %s", (long long)put->id,
			     (long long)c->device.id, put->duplicate ? "was stored before" : "stored");
		mllp_message_answer(c, msg, "AA", NULL);
	}
	mg_hl7_msg_free(msg);
}

/* ---- the completion queue ---- */

void mllp_job_free(struct mllp_job *job)
{
	if (job == NULL)
		return;
	sodium_memzero(job, sizeof(*job));
	free(job);
}

int mllp_completions_new(struct mllp_completions **out)
{
	struct mllp_completions *q;

	*out = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return MG_ERR_NOMEM;
	if ((q->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		free(q);
		return MG_ERR_IO;
	}
	pthread_mutex_init(&q->lock, NULL);
	q->refs = 1;
	*out = q;
	return 0;
}

static void completions_free(struct mllp_completions *q)
{
	close(q->event_fd);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

void mllp_job_done(struct mg_write_job *wj, void *arg)
{
	struct mllp_job *job = arg;
	struct mllp_completions *q = job->queue;
	uint64_t one = 1;
	bool last;

	(void)wj;
	pthread_mutex_lock(&q->lock);
	if (q->detached) {
		mllp_job_free(job);	/* nobody is left to answer */
	} else {
		job->next = NULL;
		if (q->tail != NULL)
			q->tail->next = job;
		else
			q->head = job;
		q->tail = job;
		if (write(q->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			mg_log_error("mllp: completion event: %s", strerror(errno));
	}
	last = --q->refs == 0;
	pthread_mutex_unlock(&q->lock);
	if (last)
		completions_free(q);
}

struct mllp_job *mllp_completions_take(struct mllp_completions *q)
{
	struct mllp_job *head;

	pthread_mutex_lock(&q->lock);
	head = q->head;
	q->head = q->tail = NULL;
	pthread_mutex_unlock(&q->lock);
	return head;
}

void mllp_completions_detach(struct mllp_completions *q)
{
	struct mllp_job *job, *next;
	bool last;

	pthread_mutex_lock(&q->lock);
	q->detached = true;
	job = q->head;
	q->head = q->tail = NULL;
	last = --q->refs == 0;
	pthread_mutex_unlock(&q->lock);
	for (; job != NULL; job = next) {
		next = job->next;
		mllp_job_free(job);
	}
	if (last)
		completions_free(q);
}
