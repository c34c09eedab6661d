/* Corrections of a measurement on SQLite (store.h, measurement_correct):
 * the withdrawal of what the EMR has, the move or the mark, and the kept
 * reason, in one transaction. */
#include "store/sqlite/sq_internal.h"

#include <string.h>

#include "common/err.h"

static const struct sq_sql correct_read_sql = {
	"SELECT patient_id, revision, status FROM measurements WHERE id = ?1 AND tenant_id = ?2"
};
static const struct sq_sql correct_target_sql = {
	"SELECT count(*) FROM patients WHERE id = ?1 AND tenant_id = ?2 AND merged_into IS NULL"
};
/* Behind the posting of the same patient: the claim keeps a patient's
 * rows in id order, so the withdrawal never overtakes what it withdraws. */
static const struct sq_sql correct_void_sql = {
	"INSERT INTO outbox (destination, measurement_id, patient_id, next_attempt_ms,"
	" created_ms, kind, revision) SELECT destination, measurement_id, patient_id, ?3, ?3,"
	" 'void', revision FROM outbox WHERE measurement_id = ?1 AND kind = 'post'"
	" AND revision = ?2 AND state <> 'dead'"
};
static const struct sq_sql correct_update_sql = {
	"UPDATE measurements SET revision = ?2, patient_id = ?3, status = ?4 WHERE id = ?1"
};
static const struct sq_sql correct_post_sql = {
	"INSERT INTO outbox (destination, measurement_id, patient_id, next_attempt_ms,"
	" created_ms, kind, revision) VALUES (?1, ?2, ?3, ?4, ?4, 'post', ?5)"
};
static const struct sq_sql correct_keep_sql = {
	"INSERT INTO measurement_corrections (measurement_id, revision, action, from_patient_id,"
	" to_patient_id, reason, user_id, created_ms)"
	" VALUES (?1, ?2, ?3, ?4, nullif(?5, 0), ?6, nullif(?7, 0), ?8)"
};

static int correct_in(struct sq_conn *c, const struct mg_correction *k, int64_t *rev_out)
{
	sqlite3_stmt *st;
	int64_t patient, rev, n = 0, to = k->to_patient_id;
	char status[24];
	int r;

	if ((r = sq_query(c, &correct_read_sql,
			  SQ_PARAMS(SQ_INT(k->measurement_id), SQ_INT(k->tenant_id)), &st)) != 0)
		return r;
	patient = sqlite3_column_int64(st, 0);
	rev = sqlite3_column_int64(st, 1);
	r = sq_copy_text(st, 2, status, sizeof(status));
	sq_done(st);
	if (r != 0)
		return r;
	if (patient != k->from_patient_id)
		return MG_ERR_NOT_FOUND;
	if (strcmp(status, "final") != 0)
		return MG_ERR_CONFLICT;
	if (to != 0) {
		if (to == patient)
			return MG_ERR_INVALID;
		if ((r = sq_query(c, &correct_target_sql,
				  SQ_PARAMS(SQ_INT(to), SQ_INT(k->tenant_id)), &st)) != 0)
			return r;
		n = sqlite3_column_int64(st, 0);
		sq_done(st);
		if (n != 1)
			return MG_ERR_INVALID;
	}
	if ((r = sq_write(c, &correct_void_sql,
			  SQ_PARAMS(SQ_INT(k->measurement_id), SQ_INT(rev), SQ_INT(k->now_ms)),
			  false)) != 0 ||
	    (r = sq_write(c, &correct_update_sql,
			  SQ_PARAMS(SQ_INT(k->measurement_id), SQ_INT(rev + 1),
				    SQ_INT(to != 0 ? to : patient),
				    SQ_TEXT(to != 0 ? "final" : "entered-in-error")),
			  true)) != 0)
		return r;
	for (size_t i = 0; to != 0 && i < k->ndestinations; i++)
		if ((r = sq_write(c, &correct_post_sql,
				  SQ_PARAMS(SQ_TEXT(k->destinations[i]), SQ_INT(k->measurement_id),
					    SQ_INT(to), SQ_INT(k->now_ms), SQ_INT(rev + 1)),
				  false)) != 0)
			return r;
	if ((r = sq_write(c, &correct_keep_sql,
			  SQ_PARAMS(SQ_INT(k->measurement_id), SQ_INT(rev + 1),
				    SQ_TEXT(to != 0 ? "move" : "entered-in-error"), SQ_INT(patient),
				    SQ_INT(to), SQ_TEXT(k->reason), SQ_INT(k->user_id),
				    SQ_INT(k->now_ms)),
			  false)) != 0)
		return r;
	*rev_out = rev + 1;
	return 0;
}

int sq_measurement_correct(struct mg_store *s, const struct mg_correction *k,
			   int64_t *revision_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int64_t rev = 0;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) == 0) {
		r = sq_end(c, correct_in(c, k, &rev));
		if (r == 0)
			*revision_out = rev;
	}
	sq_release(c);
	return r;
}

static const struct sq_sql assign_patient_sql = {
	"INSERT INTO patients (tenant_id, blind_index, identifier_sealed, created_ms)"
	" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id, blind_index) DO NOTHING"
};
static const struct sq_sql assign_find_sql = {
	"SELECT coalesce(merged_into, id) FROM patients WHERE tenant_id = ?1 AND blind_index = ?2"
};
static const struct sq_sql assign_read_sql = {
	"SELECT patient_id FROM measurements WHERE id = ?1 AND tenant_id = ?2"
	" AND status = 'unassigned'"
};
static const struct sq_sql assign_update_sql = {
	"UPDATE measurements SET patient_id = ?2, status = 'final' WHERE id = ?1"
};

static int assign_in(struct sq_conn *c, const struct mg_assignment *a, int64_t *patient_out)
{
	sqlite3_stmt *st;
	int64_t from, to;
	int r;

	if ((r = sq_query(c, &assign_read_sql,
			  SQ_PARAMS(SQ_INT(a->measurement_id), SQ_INT(a->tenant_id)), &st)) != 0)
		return r;
	from = sqlite3_column_int64(st, 0);
	sq_done(st);
	if ((r = sq_write(c, &assign_patient_sql,
			  SQ_PARAMS(SQ_INT(a->tenant_id), SQ_BLOB(a->blind_index, MG_BLIND_INDEX_BYTES),
				    SQ_BLOB(a->sealed_patient, a->sealed_len), SQ_INT(a->now_ms)),
			  false)) != 0 ||
	    (r = sq_query(c, &assign_find_sql,
			  SQ_PARAMS(SQ_INT(a->tenant_id),
				    SQ_BLOB(a->blind_index, MG_BLIND_INDEX_BYTES)), &st)) != 0)
		return r;
	to = sqlite3_column_int64(st, 0);
	sq_done(st);
	if ((r = sq_write(c, &assign_update_sql,
			  SQ_PARAMS(SQ_INT(a->measurement_id), SQ_INT(to)), true)) != 0)
		return r;
	for (size_t i = 0; i < a->ndestinations; i++)
		if ((r = sq_write(c, &correct_post_sql,
				  SQ_PARAMS(SQ_TEXT(a->destinations[i]), SQ_INT(a->measurement_id),
					    SQ_INT(to), SQ_INT(a->now_ms), SQ_INT(0)),
				  false)) != 0)
			return r;
	if ((r = sq_write(c, &correct_keep_sql,
			  SQ_PARAMS(SQ_INT(a->measurement_id), SQ_INT(0), SQ_TEXT("assign"),
				    SQ_INT(from), SQ_INT(to), SQ_TEXT("assigned"),
				    SQ_INT(a->user_id), SQ_INT(a->now_ms)),
			  false)) != 0)
		return r;
	*patient_out = to;
	return 0;
}

int sq_measurement_assign(struct mg_store *s, const struct mg_assignment *a, int64_t *patient_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int64_t to = 0;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) == 0) {
		r = sq_end(c, assign_in(c, a, &to));
		if (r == 0)
			*patient_out = to;
	}
	sq_release(c);
	return r;
}
