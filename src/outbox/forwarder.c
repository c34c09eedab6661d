#include "outbox/forwarder.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/backoff.h"
#include "common/err.h"
#include "access/switches.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "detect/detect.h"
#include "fhir/fhir.h"
#include "hl7/hl7.h"
#include "hl7/pcd01.h"
#include "outbox/outbox.h"
#include "outbox/sender.h"

#define SLOTS_MAX 16
#define IDLE_POLL_MS 1000	/* a look at the outbox at least this often */
/* A failure retrying will not fix is alerted at once, then again at most
 * this often while it lasts (the alert groups the repeats). */
#define PERMANENT_ALERT_EVERY_MS (10 * 60 * 1000)

/* What the forwarder keeps about a message in flight. */
struct flight {
	int64_t item_id;	/* 0 = slot unused */
	int64_t attempts;
	char patient_id[MG_PATIENT_ID_MAX + 1];	/* to scrub from answers */
};

struct mg_forwarder {
	const struct mg_outbox_deps *deps;
	const struct mg_emr_config *d;
	const char *instance_id;
	bool hl7;
	struct mg_sender *sender;
	pthread_t thread;
	atomic_bool stopping;
	int64_t pause_until_ms;		/* the EMR failed: wait before claiming */
	int64_t permanent_alerted_ms;	/* last alert of a permanent failure */
	size_t index;			/* of d in the configuration: metrics */
	unsigned failures_in_row;
	struct flight flights[SLOTS_MAX];
	struct mg_outbox_item items[SLOTS_MAX];
};

int mg_outbound_from_item(struct mg_keyring *keys, const char *instance_id,
			  const struct mg_outbox_item *it, struct mg_outbound *o)
{
	const struct mg_tenant_key *tk;
	struct mg_tenant_key *pk = NULL;
	int r;

	memset(o, 0, sizeof(*o));
	if ((r = mg_outbox_posting_ids(instance_id, it->row.id, it->revision, it->is_void,
				       o->message_id, o->posting_id, sizeof(o->message_id))) != 0)
		return r;
	o->withdrawn = it->is_void;
	o->measurement_id = it->row.id;
	o->measured_ms = it->row.measured_ms;
	o->received_ms = it->row.received_ms;
	o->device_id = it->row.device_id;
	memcpy(o->device_name, it->row.device_name, sizeof(o->device_name));
	memcpy(o->tenant_name, it->tenant_name, sizeof(o->tenant_name));
	/* An EUI-64-shaped equipment id: the first 8 bytes of the device's
	 * certificate fingerprint, stable for the device's certificate. */
	for (size_t i = 0; i < 16 && it->device_fingerprint[i]; i++) {
		char ch = it->device_fingerprint[i];

		o->device_eui64[i] = ch >= 'a' && ch <= 'f' ? (char)(ch - 'a' + 'A') : ch;
	}
	for (size_t i = 0; i < it->row.nvalues; i++) {
		const struct mg_quantity *q = mg_quantity_find(it->row.values[i].quantity);

		if (q == NULL)
			return MG_ERR_INVALID;	/* a quantity this version lost */
		o->values[o->nvalues].quantity = q;
		o->values[o->nvalues].value = it->row.values[i].value;
		o->nvalues++;
	}
	if (it->tampered)
		return MG_ERR_CRYPTO;	/* its values are not there */
	if ((r = mg_keyring_patient(keys, it->row.tenant_id, it->patient_key, it->patient_key_len,
				    &tk, &pk)) == 0)
		r = mg_patient_open(tk, it->sealed_patient, it->sealed_len, o->patient_id,
				    sizeof(o->patient_id));
	mg_tenant_key_free(pk);
	return r;
}

static int encode(struct mg_forwarder *f, const struct mg_outbound *o, char **msg, size_t *len)
{
	if (f->hl7) {
		struct mg_hl7_party party = {
			.sending_application = "MEDGATE",
			.sending_facility = f->d->sending_facility,
			.receiving_application = f->d->receiving_application,
			.receiving_facility = f->d->receiving_facility,
			.patient_id_authority = f->d->patient_id_authority,
			.patient_id_type = "MR",
			.processing_id = 'P',
		};

		return mg_hl7_encode_oru(o, &party, mg_now_ms(), msg, len);
	}
	struct mg_fhir_options opt = { f->d->patient_system, f->d->identifier_system };

	return mg_fhir_bundle(o, &opt, msg, len);
}

static struct flight *flight_of(struct mg_forwarder *f, int64_t item_id)
{
	for (size_t i = 0; i < SLOTS_MAX; i++) {
		if (f->flights[i].item_id == item_id)
			return &f->flights[i];
	}
	return NULL;
}

/* Replace the patient's id in why by "[patient]": an EMR may quote it. */
static void scrub(char *why, size_t whylen, const char *patient_id)
{
	size_t n = strlen(patient_id);
	char *hit;

	while (n > 0 && (hit = strstr(why, patient_id)) != NULL) {
		char rest[MG_OUTBOX_ERROR_MAX];

		snprintf(rest, sizeof(rest), "%s", hit + n);
		snprintf(hit, whylen - (size_t)(hit - why), "[patient]%s", rest);
	}
}

/* The EMR fails in a way only a person can fix (its certificate, its
 * name, its TLS): an alert with the reason, within a minute. */
static void permanent_failure(struct mg_forwarder *f, const char *why, int64_t now)
{
	char subject[MG_EMR_NAME_MAX + 8];

	if (f->permanent_alerted_ms != 0 && now - f->permanent_alerted_ms < PERMANENT_ALERT_EVERY_MS)
		return;
	f->permanent_alerted_ms = now;
	snprintf(subject, sizeof(subject), "emr:%s", f->d->name);
	mg_alert_raise(f->deps->detector, "emr.connection_refused", MG_SEVERITY_HIGH, subject, 0,
		       "EMR %s cannot be reached in a way retrying will not fix: %s", f->d->name,
		       why);
}

static void send_done(void *arg, const struct mg_send_result *res)
{
	struct mg_forwarder *f = arg;
	struct mg_store *store = f->deps->store;
	struct flight *fl = flight_of(f, res->item_id);
	char why[MG_OUTBOX_ERROR_MAX];
	int64_t now = mg_now_ms(), attempts = fl ? fl->attempts : 0;
	int64_t retry_max_ms = (int64_t)f->d->retry_max * 1000;
	int r = 0;

	snprintf(why, sizeof(why), "%s", res->why);
	if (fl != NULL)
		scrub(why, sizeof(why), fl->patient_id);
	mg_metrics_delivery(f->deps->metrics, f->index,
			    res->verdict == MG_SEND_DELIVERED ? MG_DELIVERY_DELIVERED
			    : res->verdict == MG_SEND_RETRY   ? MG_DELIVERY_RETRY
							      : MG_DELIVERY_REJECTED,
			    now, why, res->permanent);
	if (res->permanent)
		permanent_failure(f, why, now);
	switch (res->verdict) {
	case MG_SEND_DELIVERED:
		r = mg_store_outbox_delivered(store, res->item_id, now);
		f->failures_in_row = 0;
		f->pause_until_ms = 0;
		f->permanent_alerted_ms = 0;
		break;
	case MG_SEND_RETRY:
		r = mg_store_outbox_retry(store, res->item_id,
					  now + mg_backoff_ms(attempts, retry_max_ms), why);
		/* The EMR is down or unwell: slow down for every message. */
		f->pause_until_ms = now + mg_backoff_ms(f->failures_in_row++, retry_max_ms);
		mg_log_warning("outbox: [emr.%s] outbox row %lld not delivered, will retry: %s",
			       f->d->name, (long long)res->item_id, why);
		break;
	case MG_SEND_REJECTED:
		r = mg_store_outbox_dead(store, res->item_id, now, why);
		mg_log_error("outbox: [emr.%s] outbox row %lld rejected for good, kept as a dead "
			     "letter: %s", f->d->name, (long long)res->item_id, why);
		break;
	}
	if (r != 0)
		mg_log_error("outbox: [emr.%s] cannot settle outbox row %lld: %s (its lease "
			     "runs out and it is sent again)", f->d->name, (long long)res->item_id,
			     mg_strerror(r));
	if (fl != NULL)
		sodium_memzero(fl, sizeof(*fl));
}

/* Claim what free slots can take and submit it. Returns how many. */
static size_t fill_slots(struct mg_forwarder *f)
{
	struct mg_store *store = f->deps->store;
	size_t free_slots = f->sender->ops->free_slots(f->sender), n = 0, sent = 0;
	int64_t now = mg_now_ms(), lease = ((int64_t)f->d->timeout + 5) * 1000;
	struct mg_outbound o;
	int r;

	if (free_slots == 0 || now < f->pause_until_ms ||
	    !mg_interface_on(f->deps->switches, MG_IF_EMR) ||
	    !mg_destination_on(f->deps->switches, f->d->name))
		return 0;	/* switched off: the queue waits, nothing is lost */
	if (free_slots > SLOTS_MAX)
		free_slots = SLOTS_MAX;
	if ((r = mg_store_outbox_claim(store, f->d->name, now, lease, f->items, free_slots, &n)) != 0) {
		mg_log_error("outbox: [emr.%s] cannot claim rows: %s", f->d->name, mg_strerror(r));
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		const struct mg_outbox_item *it = &f->items[i];
		struct flight *fl = flight_of(f, 0);
		char *msg = NULL;
		size_t len = 0;

		if (it->tampered) {
			/* Changed behind the gateway's back (the store raised
			 * store.tampered): never sent, kept as dead for review. */
			mg_log_error("outbox: [emr.%s] outbox row %lld refused: measurement %lld"
				     " was altered in the database", f->d->name, (long long)it->id,
				     (long long)it->row.id);
			mg_store_outbox_dead(store, it->id, now,
					     "refused: a sealed value was altered in the database");
		} else if ((r = mg_outbound_from_item(f->deps->keys, f->instance_id, it, &o)) != 0 ||
			   (r = encode(f, &o, &msg, &len)) != 0) {
			mg_log_error("outbox: [emr.%s] outbox row %lld cannot be encoded: %s",
				     f->d->name, (long long)it->id, mg_strerror(r));
			mg_store_outbox_dead(store, it->id, now, "cannot be encoded");
		} else if (fl == NULL ||
			   f->sender->ops->submit(f->sender, it->id, msg, len, o.message_id,
						  o.patient_id) != 0) {
			/* No slot after all: the lease runs out, it comes again. */
			mg_store_outbox_retry(store, it->id, now, "no free connection");
		} else {
			fl->item_id = it->id;
			fl->attempts = it->attempts;
			memcpy(fl->patient_id, o.patient_id, sizeof(fl->patient_id));
			sent++;
		}
		if (msg != NULL && f->hl7)
			mg_hl7_buffer_free(msg, len);	/* both wipe the patient id */
		else if (msg != NULL)
			mg_fhir_free(msg, len);
		sodium_memzero(&o, sizeof(o));
	}
	sodium_memzero(f->items, n * sizeof(f->items[0]));
	return sent;
}

static void *forwarder_main(void *arg)
{
	struct mg_forwarder *f = arg;

	mg_log_info("outbox: forwarding to [emr.%s] (%s, %u connections)", f->d->name,
		    f->d->protocol, f->d->connections);
	while (!atomic_load(&f->stopping)) {
		size_t sent = fill_slots(f);
		int wait = sent > 0 ? 0 : IDLE_POLL_MS;
		int64_t now = mg_now_ms();

		if (f->pause_until_ms > now && f->pause_until_ms - now < wait)
			wait = (int)(f->pause_until_ms - now);
		if (f->sender->ops->poll(f->sender, wait, send_done, f) != 0) {
			mg_log_error("outbox: [emr.%s] sender failed; forwarder stops", f->d->name);
			break;
		}
	}
	return NULL;
}

int mg_forwarder_start(const struct mg_outbox_deps *deps, const struct mg_emr_config *d,
		       const char *instance_id, struct mg_forwarder **out)
{
	struct mg_forwarder *f;
	char err[256];
	int r;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return MG_ERR_NOMEM;
	f->deps = deps;
	f->d = d;
	f->index = (size_t)(d - deps->cfg->emr);
	f->instance_id = instance_id;
	f->hl7 = strcmp(d->protocol, "hl7-mllp") == 0;
	if (!f->hl7) {
		struct mg_fhir_options opt = { d->patient_system, d->identifier_system };

		if ((r = mg_fhir_options_check(&opt, err, sizeof(err))) != 0) {
			mg_log_error("outbox: [emr.%s]: %s", d->name, err);
			free(f);
			return MG_ERR_CONFIG;
		}
	}
	r = f->hl7 ? mg_mllp_sender_new(deps->cfg, d, &f->sender, err, sizeof(err))
		   : mg_fhir_sender_new(deps->cfg, d, &f->sender, err, sizeof(err));
	if (r != 0) {
		mg_log_error("outbox: [emr.%s]: %s", d->name, err);
		free(f);
		return r;
	}
	if (pthread_create(&f->thread, NULL, forwarder_main, f) != 0) {
		f->sender->ops->free(f->sender);
		free(f);
		return MG_ERR_NOMEM;
	}
	*out = f;
	return 0;
}

void mg_forwarder_wake(struct mg_forwarder *f)
{
	f->sender->ops->wake(f->sender);
}

void mg_forwarder_stop(struct mg_forwarder *f)
{
	if (f == NULL)
		return;
	atomic_store(&f->stopping, true);
	f->sender->ops->wake(f->sender);
	pthread_join(f->thread, NULL);
	f->sender->ops->free(f->sender);
	/* What was in flight goes back to the queue at once, not when its
	 * lease runs out; it is sent again with the same message id. */
	for (size_t i = 0; i < SLOTS_MAX; i++) {
		if (f->flights[i].item_id != 0)
			mg_store_outbox_retry(f->deps->store, f->flights[i].item_id, mg_now_ms(),
						   "interrupted by a stop");
	}
	sodium_memzero(f->flights, sizeof(f->flights));
	free(f);
}
