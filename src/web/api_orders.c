/* "Measure now" (docs/ward.md): a clinician orders the next measurement
 * of a device of the tenant for a patient, for a lifetime of 1 to 60
 * minutes (10 by default); the device's next measurement without patient
 * within it goes to the patient (the store does it on ingest). Orders are
 * listed for the tenant's clinicians and can be cancelled. Made and
 * cancelled orders are audited first, without the patient's id. */
#include <sodium.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "ingest/patients.h"
#include "web/api_handlers.h"

#define ORDER_MINUTES_DEFAULT 10
#define ORDER_MINUTES_MAX 60

struct order_walk {
	struct api_request *rq;
	json_t *list;
	int err;
};

static int order_row(const struct mg_order *o, void *arg)
{
	struct order_walk *w = arg;
	struct mg_patient_row row;
	struct mg_patient_identity p;
	struct mg_device d;
	char pid[MG_PATIENT_ID_MAX + 1];
	bool has;
	int r;

	if ((r = mg_store_patient_get(w->rq->web->store, o->patient_id, &row)) != 0 ||
	    (r = mg_patients_open(w->rq->web->keys, &row, pid, sizeof(pid), &p, &has)) != 0 ||
	    (r = mg_store_device_by_id(w->rq->web->store, o->device_id, &d)) != 0)
		return w->err = r;
	sodium_memzero(&p, sizeof(p));
	r = json_array_append_new(w->list, json_pack(
		"{s:I, s:I, s:I, s:s, s:s, s:o, s:o}", "id", (json_int_t)o->id, "tenant",
		(json_int_t)o->tenant_id, "device", (json_int_t)o->device_id, "device_name", d.name,
		"patient", pid, "created", api_time_json(o->created_ms), "expires",
		api_time_json(o->expires_ms)));
	sodium_memzero(pid, sizeof(pid));
	return r == 0 ? 0 : (w->err = MG_ERR_NOMEM);
}

enum MHD_Result api_orders_list(struct api_request *rq)
{
	struct order_walk w = { rq, json_array(), 0 };
	int r;

	if (w.list == NULL)
		return api_store_error(rq, MG_ERR_NOMEM);
	for (size_t i = 0; i < rq->who.ntenants; i++) {
		if (!mg_authz_allows(&rq->who, MG_ACTION_PATIENT_READ, rq->who.tenants[i]))
			continue;
		r = mg_store_order_list(rq->web->store, rq->who.tenants[i], mg_now_ms(), order_row, &w);
		if (r != 0) {
			json_decref(w.list);
			return api_store_error(rq, w.err != 0 ? w.err : r);
		}
	}
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "orders", w.list));
}

enum MHD_Result api_orders_create(struct api_request *rq)
{
	json_t *dv = rq->json ? json_object_get(rq->json, "device") : NULL;
	json_t *mv = rq->json ? json_object_get(rq->json, "minutes") : NULL;
	unsigned char index[MG_BLIND_INDEX_BYTES];
	struct mg_order o = { 0 };
	struct mg_device d;
	const char *pid = NULL;
	int64_t minutes = ORDER_MINUTES_DEFAULT, id = 0;
	int r;

	if (!json_is_integer(dv) || json_integer_value(dv) <= 0)
		return api_field_error(rq, "device", "required: the id of a device of your tenant");
	if (mv != NULL) {
		if (!json_is_integer(mv) || json_integer_value(mv) < 1 ||
		    json_integer_value(mv) > ORDER_MINUTES_MAX)
			return api_field_error(rq, "minutes", "a whole number of minutes, 1 to 60");
		minutes = json_integer_value(mv);
	}
	if (api_string(rq, "patient", true, 1, MG_PATIENT_ID_MAX, &pid) < 0)
		return MHD_YES;
	if (mg_patient_id_check(pid, strlen(pid), NULL, 0) != 0)
		return api_field_error(rq, "patient", "letters, digits and - . _ : / only");
	r = mg_store_device_by_id(rq->web->store, json_integer_value(dv), &d);
	if (r == MG_ERR_NOT_FOUND || (r == 0 && !mg_authz_allows(&rq->who, MG_ACTION_PATIENT_WRITE,
								  d.tenant_id)))
		return api_field_error(rq, "device", "no such device in your tenants");
	if (r != 0)
		return api_store_error(rq, r);
	if ((r = mg_patients_index(rq->web->keys, d.tenant_id, pid, index)) != 0)
		return api_store_error(rq, r);
	r = mg_store_patient_find(rq->web->store, d.tenant_id, index, &o.patient_id);
	sodium_memzero(index, sizeof(index));
	if (r == MG_ERR_NOT_FOUND)
		return api_field_error(rq, "patient", "no such patient in the device's tenant");
	if (r != 0)
		return api_store_error(rq, r);
	o.tenant_id = d.tenant_id;
	o.device_id = d.id;
	o.created_by = rq->who.user_id;
	o.created_ms = mg_now_ms();
	o.expires_ms = o.created_ms + minutes * 60 * 1000;
	if (api_audit_first(rq, "order.create", "device", d.id, d.tenant_id, NULL) != 0)
		return MHD_YES;
	r = mg_store_order_create(rq->web->store, &o, &id);
	if (r != 0)
		api_audit_act_failed(rq, "order.create", "device", d.id, d.tenant_id, r);
	if (r == MG_ERR_EXISTS)
		return api_error(rq, MHD_HTTP_CONFLICT,
				 "the device has an open order: cancel it first");
	if (r == MG_ERR_INVALID)
		return api_field_error(rq, "patient", "not a patient this device can measure");
	if (r != 0)
		return api_store_error(rq, r);
	return api_json(rq, MHD_HTTP_CREATED,
			json_pack("{s:I, s:I, s:o}", "id", (json_int_t)id, "device", (json_int_t)d.id,
				  "expires", api_time_json(o.expires_ms)));
}

enum MHD_Result api_orders_cancel(struct api_request *rq)
{
	int64_t id;
	int r = MG_ERR_NOT_FOUND;

	if ((id = api_param_id(rq, 0)) < 0)
		return MHD_YES;
	for (size_t i = 0; r == MG_ERR_NOT_FOUND && i < rq->who.ntenants; i++) {
		int64_t tenant = rq->who.tenants[i];

		if (!mg_authz_allows(&rq->who, MG_ACTION_PATIENT_WRITE, tenant))
			continue;
		if (api_audit_first(rq, "order.cancel", "order", id, tenant, NULL) != 0)
			return MHD_YES;
		r = mg_store_order_cancel(rq->web->store, id, tenant, mg_now_ms());
		if (r != 0)
			api_audit_act_failed(rq, "order.cancel", "order", id, tenant, r);
	}
	if (r == MG_ERR_NOT_FOUND)
		return api_not_found(rq);
	if (r != 0)
		return api_store_error(rq, r);
	return api_no_content(rq);
}
