/* The clinician's ward list (docs/ward.md): the patients of the own
 * tenants with measurements received in the last 24 hours, with name and
 * id, and whether one of those measurements jumped implausibly
 * (model/jump.h); and what waits: measurements without patient and open
 * measure-now orders. Clinicians only; never a patient name to others. */
#include <sodium.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "ingest/patients.h"
#include "model/change.h"
#include "model/jump.h"
#include "web/api_handlers.h"

#define WARD_WINDOW_MS (24 * 60 * 60 * 1000LL)
#define WARD_PATIENTS_MAX 100
#define WARD_MEASUREMENTS_MAX 10000
#define JUMP_QUANTITIES_MAX 32

/* Walking one patient's measurements: the previous value per quantity. */
struct jump_walk {
	int64_t since_ms;
	bool jump;
	size_t n;
	struct {
		const char *quantity;	/* the quantity table's name */
		double value;
		int64_t measured_ms;
	} prev[JUMP_QUANTITIES_MAX];
};

static int jump_row(const struct mg_measurement_row *row, void *arg)
{
	struct jump_walk *w = arg;

	for (size_t i = 0; i < row->nvalues; i++) {
		const struct mg_quantity *q = mg_quantity_find(row->values[i].quantity);
		struct mg_change c;
		size_t k;

		if (q == NULL)
			continue;
		for (k = 0; k < w->n && w->prev[k].quantity != q->name; k++)
			;
		if (k < w->n && row->received_ms >= w->since_ms &&
		    mg_change_compute(row->values[i].value, true, w->prev[k].value, &c) == 0 &&
		    c.has_percent && mg_jump_is(q->name, c.percent, w->prev[k].measured_ms,
						 row->measured_ms))
			w->jump = true;
		if (k == w->n) {
			if (w->n == JUMP_QUANTITIES_MAX)
				continue;
			w->n++;
		}
		w->prev[k].quantity = q->name;
		w->prev[k].value = row->values[i].value;
		w->prev[k].measured_ms = row->measured_ms;
	}
	return 0;
}

struct ward_walk {
	struct api_request *rq;
	json_t *list;
	int64_t since_ms;
	int err;
};

static int ward_patient(int64_t patient_id, int64_t latest_ms, int64_t count, void *arg)
{
	struct ward_walk *w = arg;
	struct jump_walk jw = { .since_ms = w->since_ms };
	struct mg_patient_row row;
	struct mg_patient_identity p;
	char pid[MG_PATIENT_ID_MAX + 1];
	bool has = false;
	json_t *o;
	int r;

	if ((r = mg_store_patient_get(w->rq->web->store, patient_id, &row)) != 0 ||
	    (r = mg_patients_open(w->rq->web->keys, &row, pid, sizeof(pid), &p, &has)) != 0 ||
	    (r = mg_store_patient_measurements(w->rq->web->store, patient_id,
					       WARD_MEASUREMENTS_MAX, jump_row, &jw)) != 0)
		return w->err = r;
	o = api_patient_json(&row, pid, &p, has);
	sodium_memzero(&p, sizeof(p));
	sodium_memzero(pid, sizeof(pid));
	if (o == NULL)
		return w->err = MG_ERR_NOMEM;
	json_object_set_new(o, "latest", api_time_json(latest_ms));
	json_object_set_new(o, "measurements_today", json_integer(count));
	json_object_set_new(o, "jump", json_boolean(jw.jump));
	return json_array_append_new(w->list, o) == 0 ? 0 : (w->err = MG_ERR_NOMEM);
}

/* A recently viewed patient, if the clinician may still read it. */
static int recent_patient(int64_t patient_id, int64_t viewed_ms, int64_t count, void *arg)
{
	struct ward_walk *w = arg;
	struct mg_patient_row row;
	struct mg_patient_identity p;
	char pid[MG_PATIENT_ID_MAX + 1];
	bool has = false;
	json_t *o;
	int r;

	(void)count;
	if ((r = mg_store_patient_get(w->rq->web->store, patient_id, &row)) == MG_ERR_NOT_FOUND ||
	    (r == 0 && !mg_authz_allows(&w->rq->who, MG_ACTION_PATIENT_READ, row.tenant_id)))
		return 0;
	if (r != 0 || (r = mg_patients_open(w->rq->web->keys, &row, pid, sizeof(pid), &p, &has)) != 0)
		return w->err = r;
	o = api_patient_json(&row, pid, &p, has);
	sodium_memzero(&p, sizeof(p));
	sodium_memzero(pid, sizeof(pid));
	if (o == NULL)
		return w->err = MG_ERR_NOMEM;
	json_object_set_new(o, "viewed", api_time_json(viewed_ms));
	return json_array_append_new(w->list, o) == 0 ? 0 : (w->err = MG_ERR_NOMEM);
}

static int count_row(const struct mg_measurement_row *row, void *arg)
{
	(void)row;
	++*(int64_t *)arg;
	return 0;
}

static int count_order(const struct mg_order *o, void *arg)
{
	(void)o;
	++*(int64_t *)arg;
	return 0;
}

enum MHD_Result api_ward(struct api_request *rq)
{
	int64_t now = mg_now_ms(), waiting = 0, orders = 0;
	struct ward_walk w = { rq, json_array(), now - WARD_WINDOW_MS, 0 };
	struct ward_walk recent = { rq, NULL, 0, 0 };
	int r = 0;

	if (w.list == NULL)
		return api_store_error(rq, MG_ERR_NOMEM);
	for (size_t i = 0; r == 0 && i < rq->who.ntenants; i++) {
		int64_t t = rq->who.tenants[i];

		if (!mg_authz_allows(&rq->who, MG_ACTION_PATIENT_READ, t))
			continue;
		if ((r = mg_store_ward_recent(rq->web->store, t, w.since_ms, WARD_PATIENTS_MAX,
					      ward_patient, &w)) == 0 &&
		    (r = mg_store_unassigned_measurements(rq->web->store, t, 1000, count_row,
							  &waiting)) == 0)
			r = mg_store_order_list(rq->web->store, t, now, count_order, &orders);
	}
	if (r == 0 && (recent.list = json_array()) == NULL)
		r = MG_ERR_NOMEM;
	if (r == 0)
		r = mg_store_views(rq->web->store, rq->who.user_id, recent_patient, &recent);
	if (r != 0) {
		json_decref(w.list);
		json_decref(recent.list);
		return api_store_error(rq, w.err != 0 ? w.err : recent.err != 0 ? recent.err : r);
	}
	return api_json(rq, MHD_HTTP_OK,
			json_pack("{s:o, s:o, s:o, s:{s:I, s:I}}", "since", api_time_json(w.since_ms),
				  "patients", w.list, "recent", recent.list, "waiting",
				  "without_patient", (json_int_t)waiting, "open_orders",
				  (json_int_t)orders));
}
