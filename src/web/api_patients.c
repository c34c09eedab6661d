/* Patients for clinicians: find by name, birth date or identifier in the
 * clinician's own tenants, create, read and change the identity. A
 * patient of another tenant is as unknown as one that does not exist.
 * Names, birth dates and identifiers go into answers only: never into the
 * audit trail's details, the log or an error text. */
#include <sodium.h>
#include <stddef.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "ingest/patients.h"
#include "web/api_handlers.h"

#define SEARCH_RESULTS_MAX 50

/* The identifier of the path, checked by the model's rules (any id a
 * device may send, "/" included). */
static bool patient_id_ok(const char *id)
{
	return mg_patient_id_check(id, strlen(id), NULL, 0) == 0;
}

int64_t api_patient_of_path(struct api_request *rq, enum mg_action action, int64_t *tenant_out)
{
	const char *pid = rq->params[0];
	unsigned char index[MG_BLIND_INDEX_BYTES];
	int64_t patient = 0, tenant = 0;
	int r;

	if (!patient_id_ok(pid))
		return api_not_found(rq), 0;
	for (size_t i = 0; i < rq->who.ntenants && patient == 0; i++) {
		if (!mg_authz_allows(&rq->who, action, rq->who.tenants[i]))
			continue;
		if ((r = mg_patients_index(rq->web->keys, rq->who.tenants[i], pid, index)) != 0)
			return api_store_error(rq, r), 0;
		r = mg_store_patient_find(rq->web->store, rq->who.tenants[i], index, &patient);
		if (r == 0)
			tenant = rq->who.tenants[i];
		else if (r != MG_ERR_NOT_FOUND)
			return api_store_error(rq, r), 0;
	}
	if (patient == 0 || !mg_authz_allows(&rq->who, action, tenant))
		return api_not_found(rq), 0;
	*tenant_out = tenant;
	return patient;
}

json_t *api_patient_json(const struct mg_patient_row *row, const char *pid,
			 const struct mg_patient_identity *p, bool has_identity)
{
	json_t *o = json_pack("{s:s, s:I, s:o}", "id", pid, "tenant", (json_int_t)row->tenant_id,
			      "discharged", api_time_json(row->discharged_ms));

	if (o == NULL)
		return NULL;
	if (!has_identity) {
		json_object_set_new(o, "identity", json_null());
		return o;
	}
	json_object_set_new(o, "identity",
			    json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:o}", "family_name",
				      p->family, "given_name", p->given, "birth_date",
				      p->birth_date[0] ? p->birth_date : NULL, "sex",
				      mg_admin_sex_name(p->sex), "case_number", p->case_number,
				      "ward", p->ward, "updated", api_time_json(row->updated_ms)));
	return o;
}

/* A row as JSON, opened with the tenant key; NULL if it cannot be. */
static json_t *row_json(struct api_request *rq, const struct mg_patient_row *row)
{
	struct mg_patient_identity p;
	char pid[MG_PATIENT_ID_MAX + 1];
	bool has;
	json_t *o;

	if (mg_patients_open(rq->web->keys, row, pid, sizeof(pid), &p, &has) != 0)
		return NULL;
	o = api_patient_json(row, pid, &p, has);
	sodium_memzero(&p, sizeof(p));
	sodium_memzero(pid, sizeof(pid));
	return o;
}

struct search {
	struct api_request *rq;
	json_t *list;
	int64_t seen[SEARCH_RESULTS_MAX];
	size_t nseen;
};

static int search_add(const struct mg_patient_row *row, void *arg)
{
	struct search *s = arg;
	json_t *o;

	for (size_t i = 0; i < s->nseen; i++) {
		if (s->seen[i] == row->id)
			return 0;
	}
	if (s->nseen == SEARCH_RESULTS_MAX)
		return MG_ERR_LIMIT; /* enough: the list says it is cut */
	if ((o = row_json(s->rq, row)) == NULL)
		return MG_ERR_STORE;
	s->seen[s->nseen++] = row->id;
	return json_array_append_new(s->list, o) == 0 ? 0 : MG_ERR_NOMEM;
}

/* One tenant's matches: by identifier, then by name and birth date. */
static int search_tenant(struct search *s, int64_t tenant, const char *q)
{
	unsigned char tokens[MG_PATIENT_QUERY_TOKENS_MAX][MG_BLIND_INDEX_BYTES];
	unsigned char index[MG_BLIND_INDEX_BYTES];
	struct mg_patient_row row;
	int64_t id;
	size_t n;
	int r;

	if (patient_id_ok(q)) {
		if ((r = mg_patients_index(s->rq->web->keys, tenant, q, index)) != 0)
			return r;
		r = mg_store_patient_find(s->rq->web->store, tenant, index, &id);
		if (r == 0 && (r = mg_store_patient_get(s->rq->web->store, id, &row)) == 0)
			r = search_add(&row, s);
		if (r != 0 && r != MG_ERR_NOT_FOUND)
			return r;
	}
	if ((r = mg_patients_query(s->rq->web->keys, tenant, q, tokens, &n)) != 0 || n == 0)
		return r;
	return mg_store_patient_search(s->rq->web->store, tenant,
				       (const unsigned char(*)[MG_BLIND_INDEX_BYTES])tokens, n,
				       SEARCH_RESULTS_MAX, search_add, s);
}

enum MHD_Result api_patients_search(struct api_request *rq)
{
	const char *q = api_query(rq, "q");
	struct search s = {.rq = rq};
	bool cut = false;
	int r = 0;

	if (q == NULL || q[0] == '\0' || strlen(q) > 200)
		return api_field_error(rq, "q",
				       "a name, a birth date or an identifier (1 to 200 "
				       "bytes)");
	/* Searching reads names: on the trail first (without the search text). */
	if (api_audit_first(rq, "patient.search", NULL, 0, 0, NULL) != 0)
		return MHD_YES;
	if ((s.list = json_array()) == NULL)
		return MHD_NO;
	for (size_t i = 0; i < rq->who.ntenants && r == 0; i++) {
		if (mg_authz_allows(&rq->who, MG_ACTION_PATIENT_READ, rq->who.tenants[i]))
			r = search_tenant(&s, rq->who.tenants[i], q);
	}
	if (r == MG_ERR_LIMIT && s.nseen == SEARCH_RESULTS_MAX) {
		cut = true;
		r = 0;
	}
	if (r == MG_ERR_LIMIT) {
		json_decref(s.list);
		return api_field_error(rq, "q", "at most 4 words (names and a birth date)");
	}
	if (r != 0) {
		json_decref(s.list);
		return api_store_error(rq, r);
	}
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:o, s:b}", "patients", s.list, "more", cut));
}

/* The identity fields of the body into *p (over what it holds: PATCH
 * changes only the fields given). Returns 0 or -1 after queuing a 400. */
static int identity_from_body(struct api_request *rq, struct mg_patient_identity *p)
{
	static const struct {
		const char *field;
		size_t off, size;
	} texts[] = {
	    {"family_name", offsetof(struct mg_patient_identity, family), MG_PATIENT_NAME_MAX},
	    {"given_name", offsetof(struct mg_patient_identity, given), MG_PATIENT_NAME_MAX},
	    {"birth_date", offsetof(struct mg_patient_identity, birth_date), MG_BIRTH_DATE_LEN},
	    {"case_number", offsetof(struct mg_patient_identity, case_number), MG_PATIENT_CASE_MAX},
	    {"ward", offsetof(struct mg_patient_identity, ward), MG_PATIENT_WARD_MAX},
	};
	const char *v = NULL, *sex = NULL;
	char err[160];
	int r;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if ((r = api_string(rq, texts[i].field, false, 0, texts[i].size, &v)) < 0)
			return -1;
		if (r == 0)
			memcpy((char *)p + texts[i].off, v, strlen(v) + 1);
	}
	if ((r = api_string(rq, "sex", false, 1, 16, &sex)) < 0)
		return -1;
	if (r == 0 && mg_admin_sex_parse(sex, &p->sex) != 0)
		return api_field_error(rq, "sex", "one of female, male, other, unknown"), -1;
	if (mg_patient_identity_check(p, mg_now_ms(), err, sizeof(err)) != 0) {
		size_t n = strcspn(err, ":");

		err[n] = '\0';
		return api_field_error(rq, err, err + (err[n + 1] == ' ' ? n + 2 : n + 1)), -1;
	}
	return 0;
}

/* Seal and store; answer 201/200 with the patient. The action is on the
 * trail before it is done (patient, the row id when known: 0 for a new
 * one), and a failure record follows if it fails. */
static enum MHD_Result identity_store(struct api_request *rq, int64_t tenant, int64_t known,
				      const char *pid, const struct mg_patient_identity *p,
				      bool must_be_new, const char *action)
{
	struct mg_patient_put put;
	struct mg_patient_row row;
	int64_t id = 0;
	bool created = false;
	int r;

	if (api_audit_first(rq, action, "patient", known, tenant, NULL) != 0)
		return MHD_YES;
	r = mg_patients_seal(rq->web->keys, tenant, pid, p, mg_now_ms(), &put);
	if (r == 0) {
		put.must_be_new = must_be_new;
		r = mg_store_patient_put(rq->web->store, &put, &id, &created);
	}
	sodium_memzero(&put, sizeof(put));
	if (r != 0)
		api_audit_act_failed(rq, action, "patient", known, tenant, r);
	if (r == MG_ERR_EXISTS)
		return api_error(rq, MHD_HTTP_CONFLICT,
				 "a patient with this id exists in the tenant");
	if (r != 0)
		return api_store_error(rq, r);
	/* A new patient's row id, for "who accessed my data". */
	if (known == 0 &&
	    api_audit(rq, "patient.created", "patient", id, tenant, MG_AUDIT_SUCCESS, NULL) != 0)
		mg_log_error("api: patient %lld created, its record not written", (long long)id);
	if ((r = mg_store_patient_get(rq->web->store, id, &row)) != 0)
		return api_store_error(rq, r);
	return api_json(rq, must_be_new ? MHD_HTTP_CREATED : MHD_HTTP_OK,
			api_patient_json(&row, pid, p, true));
}

enum MHD_Result api_patients_create(struct api_request *rq)
{
	struct mg_patient_identity p;
	const char *pid = NULL;
	json_t *t = rq->json ? json_object_get(rq->json, "tenant") : NULL;
	int64_t tenant;
	char err[160];

	memset(&p, 0, sizeof(p));
	if (api_string(rq, "id", true, 1, MG_PATIENT_ID_MAX, &pid) < 0)
		return MHD_YES;
	if (mg_patient_id_check(pid, strlen(pid), err, sizeof(err)) != 0)
		return api_field_error(rq, "id", "letters, digits and - . _ : / only");
	if (t == NULL && rq->who.ntenants == 1)
		tenant = rq->who.tenants[0];
	else if (json_is_integer(t))
		tenant = json_integer_value(t);
	else
		return api_field_error(rq, "tenant", "required: the id of one of your tenants");
	if (!mg_authz_allows(&rq->who, MG_ACTION_PATIENT_WRITE, tenant))
		return api_field_error(rq, "tenant", "not one of your tenants");
	if (identity_from_body(rq, &p) != 0)
		return MHD_YES;
	return identity_store(rq, tenant, 0, pid, &p, true, "patient.create");
}

enum MHD_Result api_patient_get(struct api_request *rq)
{
	int64_t tenant = 0, patient = api_patient_of_path(rq, MG_ACTION_PATIENT_READ, &tenant);
	struct mg_patient_row row;
	json_t *o;
	int r;

	if (patient == 0)
		return MHD_YES;
	if (api_audit_first(rq, "patient.read", "patient", patient, tenant, NULL) != 0)
		return MHD_YES;
	if ((r = mg_store_patient_get(rq->web->store, patient, &row)) != 0)
		return api_store_error(rq, r);
	if ((o = row_json(rq, &row)) == NULL)
		return api_store_error(rq, MG_ERR_STORE);
	return api_json(rq, MHD_HTTP_OK, o);
}

enum MHD_Result api_patient_update(struct api_request *rq)
{
	int64_t tenant = 0, patient = api_patient_of_path(rq, MG_ACTION_PATIENT_WRITE, &tenant);
	struct mg_patient_identity p;
	struct mg_patient_row row;
	char pid[MG_PATIENT_ID_MAX + 1];
	bool has;
	int r;

	if (patient == 0)
		return MHD_YES;
	if ((r = mg_store_patient_get(rq->web->store, patient, &row)) != 0 ||
	    (r = mg_patients_open(rq->web->keys, &row, pid, sizeof(pid), &p, &has)) != 0)
		return api_store_error(rq, r);
	/* A patient a device made, without identity yet: the family name is
	 * then required like on create. */
	if (identity_from_body(rq, &p) != 0)
		return MHD_YES;
	/* The identifier as stored (a merged id finds its survivor). */
	return identity_store(rq, tenant, patient, pid, &p, false, "patient.update");
}
