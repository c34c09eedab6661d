/* A patient's data export (outbox/patient_export.h). */
#include "outbox/patient_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/err.h"
#include "model/quantity.h"
#include "model/settings.h"
#include "outbox/outbox.h"

struct walk {
	const struct mg_patient_export_source *src;
	struct mg_fhir_export *x;
	char instance_id[MG_SETTING_INSTANCE_ID_LEN + 1];
	size_t count;
	size_t ndevices;
	struct mg_device devices[MG_EXPORT_DEVICES_MAX];
};

void mg_patient_export_options(const struct mg_config *cfg, struct mg_fhir_options *opt)
{
	opt->patient_system = "urn:medgate:patient-id";
	opt->identifier_system = "urn:medgate:message-id";
	for (size_t i = 0; i < cfg->nemr; i++) {
		if (strcmp(cfg->emr[i].protocol, "fhir") == 0) {
			opt->patient_system = cfg->emr[i].patient_system;
			opt->identifier_system = cfg->emr[i].identifier_system;
			return;
		}
	}
}

/* The device of id among those looked up; NULL if not there. */
static const struct mg_device *device_of(struct walk *w, int64_t id)
{
	for (size_t i = 0; i < w->ndevices; i++) {
		if (w->devices[i].id == id)
			return &w->devices[i];
	}
	return NULL;
}

/* First pass: note the devices (ids only: a walk's callback makes no
 * store call, which could wait for a connection the walk holds). */
static int device_seen(const struct mg_measurement_row *row, void *arg)
{
	struct walk *w = arg;

	if (device_of(w, row->device_id) == NULL && w->ndevices < MG_EXPORT_DEVICES_MAX)
		w->devices[w->ndevices++].id = row->device_id;
	return 0;
}

/* Look the noted devices up; one that is gone keeps only its id. */
static void devices_lookup(struct walk *w)
{
	for (size_t i = 0; i < w->ndevices; i++) {
		int64_t id = w->devices[i].id;

		if (mg_store_device_by_id(w->src->store, id, &w->devices[i]) != 0) {
			memset(&w->devices[i], 0, sizeof(w->devices[i]));
			w->devices[i].id = id;
		}
	}
}

static int measurement(const struct mg_measurement_row *row, void *arg)
{
	struct walk *w = arg;
	const struct mg_device *d = device_of(w, row->device_id);
	struct mg_outbound o;
	int r;

	memset(&o, 0, sizeof(o));
	mg_outbox_message_id(w->instance_id, row->id, o.message_id, sizeof(o.message_id));
	o.measurement_id = row->id;
	o.measured_ms = row->measured_ms;
	o.received_ms = row->received_ms;
	o.device_id = row->device_id;
	memcpy(o.device_name, row->device_name, sizeof(o.device_name));
	snprintf(o.patient_id, sizeof(o.patient_id), "%s", w->src->pid);
	/* The EUI-64 the forwarder sends: the fingerprint's first 8 bytes. */
	if (d != NULL && strlen(d->cert_fingerprint) >= 16)
		memcpy(o.device_eui64, d->cert_fingerprint, 16);
	for (size_t i = 0; i < row->nvalues; i++) {
		const struct mg_quantity *q = mg_quantity_find(row->values[i].quantity);

		if (q == NULL)
			continue;	/* a quantity this version no longer knows */
		o.values[o.nvalues].quantity = q;
		o.values[o.nvalues].value = row->values[i].value;
		o.nvalues++;
	}
	r = o.nvalues > 0 ? mg_fhir_export_measurement(w->x, &o) : 0;
	explicit_bzero(o.patient_id, sizeof(o.patient_id));
	return r != 0 ? r : ++w->count > MG_EXPORT_MEASUREMENTS_MAX ? MG_ERR_LIMIT : 0;
}

static int delivery(const struct mg_delivery_row *row, void *arg)
{
	struct walk *w = arg;

	return mg_fhir_export_delivery(w->x, row->destination, row->state, row->created_ms,
				       row->delivered_ms);
}

static int access(const struct mg_audit_record *rec, void *arg)
{
	struct walk *w = arg;

	return mg_fhir_export_access(w->x, rec->time_ms, rec->actor, rec->action,
				     strcmp(rec->outcome, "success") == 0);
}

static int devices(struct walk *w)
{
	char eui[17];
	int r;

	for (size_t i = 0; i < w->ndevices; i++) {
		const struct mg_device *d = &w->devices[i];

		snprintf(eui, sizeof(eui), "%.16s", d->cert_fingerprint);
		if (d->name[0] == '\0' && eui[0] == '\0')
			continue;	/* gone since: nothing to say of it */
		if ((r = mg_fhir_export_device(w->x, d->name, strlen(eui) == 16 ? eui : "")) != 0)
			return r;
	}
	return 0;
}

int mg_patient_export_build(const struct mg_patient_export_source *src, char **json_out,
			    size_t *len_out)
{
	struct mg_fhir_options opt;
	struct mg_audit_filter f = { 0 };
	struct mg_patient_row row;
	char object[MG_AUDIT_OBJECT_MAX + 1], retention[256];
	struct walk *w;
	int r;

	*json_out = NULL;
	*len_out = 0;
	if ((r = mg_store_patient_get(src->store, src->patient_id, &row)) != 0)
		return r;
	if (row.tenant_id != src->tenant_id)
		return MG_ERR_NOT_FOUND;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return MG_ERR_NOMEM;
	w->src = src;
	mg_patient_export_options(src->cfg, &opt);
	if (mg_store_setting_get(src->store, MG_SETTING_INSTANCE_ID, w->instance_id,
				 sizeof(w->instance_id)) != 0)
		snprintf(w->instance_id, sizeof(w->instance_id), "0000000000000000");
	if ((r = mg_fhir_export_new(&opt, src->pid, &w->x)) != 0)
		goto out;
	if ((r = mg_store_patient_measurements(src->store, src->patient_id,
					       MG_EXPORT_MEASUREMENTS_MAX + 1, device_seen, w)) != 0)
		goto out;
	devices_lookup(w);
	if ((r = mg_store_patient_measurements(src->store, src->patient_id,
					       MG_EXPORT_MEASUREMENTS_MAX + 1, measurement, w)) != 0 ||
	    (r = devices(w)) != 0 ||
	    (r = mg_store_patient_deliveries(src->store, src->patient_id, delivery, w)) != 0 ||
	    (r = mg_audit_object("patient", src->patient_id, object, sizeof(object))) != 0)
		goto out;
	/* Row ids of erased patients can come again: records from before
	 * this patient's row was made are another patient's. */
	f.object = object;
	f.tenant_id = src->tenant_id;
	f.since_ms = row.created_ms;
	if ((r = mg_store_audit_list(src->store, &f, access, w)) != 0)
		goto out;
	if (src->cfg->retention_keep_days > 0)
		snprintf(retention, sizeof(retention),
			 "Measurements are kept %u days after they reach the gateway, then erased."
			 " All of this patient's data can be erased earlier on request.",
			 src->cfg->retention_keep_days);
	else
		snprintf(retention, sizeof(retention),
			 "Measurements are kept until they are erased on request; no automatic"
			 " retention period is set.");
	r = mg_fhir_export_finish(w->x, retention, json_out, len_out);
	w->x = NULL;
out:
	mg_fhir_export_free(w->x);
	explicit_bzero(w, sizeof(*w));
	free(w);
	return r;
}
