/* Corrections of a measurement on PostgreSQL (store.h,
 * measurement_correct); see sq_corrections.c. The measurement's row is
 * locked, so two clinicians correcting it at once queue. */
#include "store/postgres/pg_internal.h"

#include <string.h>

#include "common/err.h"

static const char correct_read_sql[] =
	"SELECT patient_id, revision, status FROM measurements WHERE id = $1 AND tenant_id = $2"
	" FOR UPDATE";
static const char correct_target_sql[] =
	"SELECT count(*) FROM patients WHERE id = $1 AND tenant_id = $2 AND merged_into IS NULL";
static const char correct_void_sql[] =
	"INSERT INTO outbox (destination, measurement_id, patient_id, next_attempt_ms,"
	" created_ms, kind, revision) SELECT destination, measurement_id, patient_id, $3, $3,"
	" 'void', revision FROM outbox WHERE measurement_id = $1 AND kind = 'post'"
	" AND revision = $2 AND state <> 'dead' ORDER BY id";
static const char correct_update_sql[] =
	"UPDATE measurements SET revision = $2, patient_id = $3, status = $4 WHERE id = $1";
static const char correct_post_sql[] =
	"INSERT INTO outbox (destination, measurement_id, patient_id, next_attempt_ms,"
	" created_ms, kind, revision) VALUES ($1, $2, $3, $4, $4, 'post', $5)";
static const char correct_keep_sql[] =
	"INSERT INTO measurement_corrections (measurement_id, revision, action, from_patient_id,"
	" to_patient_id, reason, user_id, created_ms)"
	" VALUES ($1, $2, $3, $4, nullif($5, 0), $6, nullif($7, 0), $8)";

static int correct_in(struct pg_conn *c, const struct mg_correction *k, int64_t *rev_out)
{
	PGresult *res;
	int64_t patient, rev, n, to = k->to_patient_id;
	char status[24];
	int r;

	if ((r = pg_query(c, correct_read_sql,
			  PG_PARAMS(PG_INT(k->measurement_id), PG_INT(k->tenant_id)), &res)) != 0)
		return r;
	patient = pg_col_int(res, 0, 0);
	rev = pg_col_int(res, 0, 1);
	r = pg_col_text(res, 0, 2, status, sizeof(status));
	PQclear(res);
	if (r != 0)
		return MG_ERR_STORE;
	if (patient != k->from_patient_id)
		return MG_ERR_NOT_FOUND;
	if (strcmp(status, "final") != 0)
		return MG_ERR_CONFLICT;
	if (to != 0) {
		if (to == patient)
			return MG_ERR_INVALID;
		if ((r = pg_query(c, correct_target_sql,
				  PG_PARAMS(PG_INT(to), PG_INT(k->tenant_id)), &res)) != 0)
			return r;
		n = pg_col_int(res, 0, 0);
		PQclear(res);
		if (n != 1)
			return MG_ERR_INVALID;
	}
	if ((r = pg_write(c, correct_void_sql,
			  PG_PARAMS(PG_INT(k->measurement_id), PG_INT(rev), PG_INT(k->now_ms)),
			  false, NULL)) != 0 ||
	    (r = pg_write(c, correct_update_sql,
			  PG_PARAMS(PG_INT(k->measurement_id), PG_INT(rev + 1),
				    PG_INT(to != 0 ? to : patient),
				    PG_TEXT(to != 0 ? "final" : "entered-in-error")),
			  true, NULL)) != 0)
		return r;
	for (size_t i = 0; to != 0 && i < k->ndestinations; i++)
		if ((r = pg_write(c, correct_post_sql,
				  PG_PARAMS(PG_TEXT(k->destinations[i]), PG_INT(k->measurement_id),
					    PG_INT(to), PG_INT(k->now_ms), PG_INT(rev + 1)),
				  false, NULL)) != 0)
			return r;
	if ((r = pg_write(c, correct_keep_sql,
			  PG_PARAMS(PG_INT(k->measurement_id), PG_INT(rev + 1),
				    PG_TEXT(to != 0 ? "move" : "entered-in-error"), PG_INT(patient),
				    PG_INT(to), PG_TEXT(k->reason), PG_INT(k->user_id),
				    PG_INT(k->now_ms)),
			  false, NULL)) != 0)
		return r;
	*rev_out = rev + 1;
	return 0;
}

int pg_measurement_correct(struct mg_store *s, const struct mg_correction *k,
			   int64_t *revision_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int64_t rev = 0;
	int r;

	if ((r = pg_begin(c)) == 0) {
		r = pg_end(c, correct_in(c, k, &rev));
		if (r == 0)
			*revision_out = rev;
	}
	pg_release(c);
	return r;
}

static const char assign_patient_sql[] =
	"INSERT INTO patients (tenant_id, blind_index, identifier_sealed, created_ms)"
	" VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, blind_index) DO NOTHING";
static const char assign_find_sql[] =
	"SELECT coalesce(merged_into, id) FROM patients WHERE tenant_id = $1 AND blind_index = $2";
static const char assign_read_sql[] =
	"SELECT patient_id FROM measurements WHERE id = $1 AND tenant_id = $2"
	" AND status = 'unassigned' FOR UPDATE";
static const char assign_update_sql[] =
	"UPDATE measurements SET patient_id = $2, status = 'final' WHERE id = $1";

static int assign_in(struct pg_conn *c, const struct mg_assignment *a, int64_t *patient_out)
{
	PGresult *res;
	int64_t from, to;
	int r;

	if ((r = pg_query(c, assign_read_sql,
			  PG_PARAMS(PG_INT(a->measurement_id), PG_INT(a->tenant_id)), &res)) != 0)
		return r;
	from = pg_col_int(res, 0, 0);
	PQclear(res);
	if ((r = pg_write(c, assign_patient_sql,
			  PG_PARAMS(PG_INT(a->tenant_id), PG_BLOB(a->blind_index, MG_BLIND_INDEX_BYTES),
				    PG_BLOB(a->sealed_patient, a->sealed_len), PG_INT(a->now_ms)),
			  false, NULL)) != 0 ||
	    (r = pg_query(c, assign_find_sql,
			  PG_PARAMS(PG_INT(a->tenant_id),
				    PG_BLOB(a->blind_index, MG_BLIND_INDEX_BYTES)), &res)) != 0)
		return r;
	to = pg_col_int(res, 0, 0);
	PQclear(res);
	if ((r = pg_write(c, assign_update_sql, PG_PARAMS(PG_INT(a->measurement_id), PG_INT(to)),
			  true, NULL)) != 0)
		return r;
	for (size_t i = 0; i < a->ndestinations; i++)
		if ((r = pg_write(c, correct_post_sql,
				  PG_PARAMS(PG_TEXT(a->destinations[i]), PG_INT(a->measurement_id),
					    PG_INT(to), PG_INT(a->now_ms), PG_INT(0)),
				  false, NULL)) != 0)
			return r;
	if ((r = pg_write(c, correct_keep_sql,
			  PG_PARAMS(PG_INT(a->measurement_id), PG_INT(0), PG_TEXT("assign"),
				    PG_INT(from), PG_INT(to), PG_TEXT("assigned"),
				    PG_INT(a->user_id), PG_INT(a->now_ms)),
			  false, NULL)) != 0)
		return r;
	*patient_out = to;
	return 0;
}

int pg_measurement_assign(struct mg_store *s, const struct mg_assignment *a, int64_t *patient_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int64_t to = 0;
	int r;

	if ((r = pg_begin(c)) == 0) {
		r = pg_end(c, assign_in(c, a, &to));
		if (r == 0)
			*patient_out = to;
	}
	pg_release(c);
	return r;
}
