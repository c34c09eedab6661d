/* Values stored in clear before migration 0014, sealed once (values.c). */
#include "store/sqlite/sq_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define BATCH 256

struct clear_value {
	int64_t measurement_id, position, tenant_id, device_id;
	char device_mid[MG_DEVICE_MID_MAX + 1];
	char quantity[MG_QUANTITY_NAME_MAX + 1];
	char unit[MG_UNIT_MAX + 1];
	double value;
};

static const struct sq_sql clear_list_sql = {
	"SELECT v.measurement_id, v.position, m.tenant_id, m.device_id, m.device_mid, v.quantity,"
	" v.unit, v.value FROM measurement_values v JOIN measurements m ON m.id = v.measurement_id"
	" WHERE v.value_sealed IS NULL AND v.value IS NOT NULL AND v.measurement_id <="
	" (SELECT CAST(value AS INTEGER) FROM settings WHERE name = 'values.clear_until')"
	" ORDER BY v.measurement_id, v.position LIMIT ?1"
};
static const struct sq_sql clear_seal_sql = {
	"UPDATE measurement_values SET value_sealed = ?3, value = NULL"
	" WHERE measurement_id = ?1 AND position = ?2"
};
static const struct sq_sql clear_mark_sql = {
	"DELETE FROM settings WHERE name = 'values.clear_until' AND ?1 = 0"
};

/* Read up to BATCH values in clear into b; *n gets how many. */
static int clear_batch(struct sq_conn *c, struct clear_value *b, size_t *n)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	*n = 0;
	for (rc = sq_query(c, &clear_list_sql, SQ_PARAMS(SQ_INT(BATCH)), &st); rc == 0;
	     rc = sq_next(c, st)) {
		struct clear_value *v = &b[*n];

		v->measurement_id = sqlite3_column_int64(st, 0);
		v->position = sqlite3_column_int64(st, 1);
		v->tenant_id = sqlite3_column_int64(st, 2);
		v->device_id = sqlite3_column_int64(st, 3);
		v->value = sqlite3_column_double(st, 7);
		if ((r = sq_copy_text(st, 4, v->device_mid, sizeof(v->device_mid))) != 0 ||
		    (r = sq_copy_text(st, 5, v->quantity, sizeof(v->quantity))) != 0 ||
		    (r = sq_copy_text(st, 6, v->unit, sizeof(v->unit))) != 0 || ++*n == BATCH)
			break;
	}
	sq_done(st);
	return r != 0 ? r : rc == MG_ERR_NOT_FOUND || rc == 0 ? 0 : rc;
}

int sq_values_seal_clear(struct mg_store *s, mg_value_seal_fn fn, void *arg, int64_t *sealed_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct clear_value *b = calloc(BATCH, sizeof(*b));
	unsigned char sealed[MG_VALUE_SEALED_BYTES];
	size_t n = 0;
	int r;

	if (b == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	do {
		if ((r = clear_batch(c, b, &n)) != 0)
			break;
		for (size_t i = 0; r == 0 && i < n; i++) {
			const struct mg_value_site site = {
				.tenant_id = b[i].tenant_id, .device_id = b[i].device_id,
				.device_mid = b[i].device_mid, .position = b[i].position,
				.quantity = b[i].quantity, .unit = b[i].unit,
			};

			if ((r = fn(arg, &site, b[i].value, sealed)) == 0 &&
			    (r = sq_write(c, &clear_seal_sql,
					  SQ_PARAMS(SQ_INT(b[i].measurement_id),
						    SQ_INT(b[i].position),
						    SQ_BLOB(sealed, sizeof(sealed))), true)) == 0)
				++*sealed_out;
		}
	} while (r == 0 && n == BATCH);
	if (r == 0)
		r = sq_write(c, &clear_mark_sql, SQ_PARAMS(SQ_INT(0)), false);
	r = sq_end(c, r);
out:
	if (b != NULL) {
		memset(b, 0, BATCH * sizeof(*b));
		free(b);
	}
	sq_release(c);
	return r;
}
