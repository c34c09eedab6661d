/* Enrolment tokens on PostgreSQL: made for a device name in a tenant,
 * and found by the keyed hash of the value the device shows. A token
 * enrols one device: pg_device_enrol (pg_devices.c) marks it used. */
#include "store/postgres/pg_internal.h"

#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"

static const char token_insert_sql[] =
	"INSERT INTO enrol_tokens (tenant_id, device_name, token_hash, created_ms, expires_ms)"
	" VALUES ($1, $2, $3, $4, $5) RETURNING id";
static const char token_find_sql[] =
	"SELECT id, tenant_id, device_name, expires_ms FROM enrol_tokens"
	" WHERE token_hash = $1 AND used_ms IS NULL AND expires_ms > $2";

/* Insert with RETURNING id: *id_out gets it. */
static int insert_id(struct mg_store *s, const char *sql, const struct pg_param *params,
		     int64_t *id_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	*id_out = 0;
	if ((r = pg_query(c, sql, params, &res)) == 0) {
		*id_out = pg_col_int(res, 0, 0);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_token_create(struct mg_store *s, int64_t tenant_id, const char *device_name,
		    const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t expires_ms,
		    int64_t *id_out)
{
	return insert_id(s, token_insert_sql,
			 PG_PARAMS(PG_INT(tenant_id), PG_TEXT(device_name),
				   PG_BLOB(hash, MG_TOKEN_HASH_BYTES), PG_INT(mg_now_ms()),
				   PG_INT(expires_ms)),
			 id_out);
}

int pg_token_find(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms,
		  struct mg_enrol_token *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	memset(out, 0, sizeof(*out));
	r = pg_query(c, token_find_sql,
		     PG_PARAMS(PG_BLOB(hash, MG_TOKEN_HASH_BYTES), PG_INT(now_ms)), &res);
	if (r == 0) {
		out->id = pg_col_int(res, 0, 0);
		out->tenant_id = pg_col_int(res, 0, 1);
		r = pg_col_text(res, 0, 2, out->device_name, sizeof(out->device_name));
		out->expires_ms = pg_col_int(res, 0, 3);
		PQclear(res);
	}
	pg_release(c);
	return r;
}
