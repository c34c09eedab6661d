/* Tenants on PostgreSQL: create, look-up, list, rename, usage and delete.
 *
 * Deleting a tenant is refused while anything refers to it: the tenant's
 * row is locked first (FOR UPDATE), which every insert that refers to it
 * must wait for (its foreign key check takes FOR KEY SHARE), so nothing
 * can start to refer to it between the count and the delete. Its row
 * holds the only copy of its wrapped data key; VACUUM afterwards frees the
 * dead row in the table, but the server's WAL, its standbys and backups
 * keep their copies until they are recycled (docs/postgresql.md). */
#include "store/postgres/pg_internal.h"

#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"

static const char tenant_list_sql[] =
	"SELECT id, name, wrapped_key, created_ms FROM tenants ORDER BY id";
static const char tenant_rename_sql[] = "UPDATE tenants SET name = $2 WHERE id = $1";
static const char tenant_lock_sql[] = "SELECT id FROM tenants WHERE id = $1 FOR UPDATE";
/* Only unused tokens that could still enrol a device count. */
static const char tenant_usage_sql[] =
	"SELECT (SELECT count(*) FROM devices WHERE tenant_id = $1),"
	" (SELECT count(*) FROM measurements WHERE tenant_id = $1),"
	" (SELECT count(*) FROM patients WHERE tenant_id = $1),"
	" (SELECT count(*) FROM user_tenants WHERE tenant_id = $1),"
	" (SELECT count(*) FROM enrol_tokens WHERE tenant_id = $1 AND used_ms IS NULL"
	" AND expires_ms > $2)"
	" FROM tenants WHERE id = $1";
static const char tenant_tokens_delete_sql[] = "DELETE FROM enrol_tokens WHERE tenant_id = $1";
static const char tenant_delete_sql[] = "DELETE FROM tenants WHERE id = $1";
static const char tenant_insert_sql[] =
	"INSERT INTO tenants (name, wrapped_key, created_ms) VALUES ($1, $2, $3) RETURNING id";
static const char tenant_by_name_sql[] =
	"SELECT id, name, wrapped_key, created_ms FROM tenants WHERE name = $1";
static const char tenant_by_id_sql[] =
	"SELECT id, name, wrapped_key, created_ms FROM tenants WHERE id = $1";

int pg_tenant_list(struct mg_store *s, mg_tenant_cb cb, void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_tenant t;
	PGresult *res;
	int r;

	if ((r = pg_run(c, tenant_list_sql, PG_NO_PARAMS, &res)) == 0) {
		for (int i = 0; r == 0 && i < PQntuples(res); i++)
			if ((r = pg_tenant_read(res, i, &t)) == 0)
				r = cb(&t, arg);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_tenant_rename(struct mg_store *s, int64_t id, const char *name)
{
	/* A taken name fails the UNIQUE constraint: MG_ERR_EXISTS. */
	return pg_store_write(s, tenant_rename_sql, PG_PARAMS(PG_INT(id), PG_TEXT(name)), true);
}

static int usage_read(struct pg_conn *c, int64_t id, struct mg_tenant_usage *out)
{
	PGresult *res;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = pg_query(c, tenant_usage_sql, PG_PARAMS(PG_INT(id), PG_INT(mg_now_ms())),
			  &res)) != 0)
		return r;
	out->devices = pg_col_int(res, 0, 0);
	out->measurements = pg_col_int(res, 0, 1);
	out->patients = pg_col_int(res, 0, 2);
	out->members = pg_col_int(res, 0, 3);
	out->tokens = pg_col_int(res, 0, 4);
	PQclear(res);
	return 0;
}

int pg_tenant_usage(struct mg_store *s, int64_t id, struct mg_tenant_usage *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int r = usage_read(c, id, out);

	pg_release(c);
	return r;
}

static bool usage_any(const struct mg_tenant_usage *u)
{
	return u->devices > 0 || u->measurements > 0 || u->patients > 0 || u->members > 0 ||
	       u->tokens > 0;
}

int pg_tenant_delete(struct mg_store *s, int64_t id)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_tenant_usage usage;
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	if ((r = pg_write(c, tenant_lock_sql, PG_PARAMS(PG_INT(id)), true, NULL)) == 0 &&
	    (r = usage_read(c, id, &usage)) == 0 && usage_any(&usage))
		r = MG_ERR_BUSY;
	if (r == 0)
		r = pg_write(c, tenant_tokens_delete_sql, PG_PARAMS(PG_INT(id)), false, NULL);
	if (r == 0)
		r = pg_write(c, tenant_delete_sql, PG_PARAMS(PG_INT(id)), true, NULL);
	if ((r = pg_end(c, r)) != 0)
		goto out;
	/* Outside the transaction: free the dead row holding the key. */
	if (pg_exec(c, "VACUUM tenants") != 0)
		mg_log_warning("tenant %lld deleted, but VACUUM of tenants failed: its wrapped"
			       " key stays in a dead row until autovacuum", (long long)id);
out:
	pg_release(c);
	return r;
}

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

int pg_tenant_create(struct mg_store *s, const char *name, const unsigned char *wrapped_key,
		     int64_t *id_out)
{
	return insert_id(s, tenant_insert_sql,
			 PG_PARAMS(PG_TEXT(name), PG_BLOB(wrapped_key, MG_WRAPPED_KEY_BYTES),
				   PG_INT(mg_now_ms())),
			 id_out);
}

int pg_tenant_read(const PGresult *res, int row, struct mg_tenant *out)
{
	size_t n;

	memset(out, 0, sizeof(*out));
	out->id = pg_col_int(res, row, 0);
	if (pg_col_text(res, row, 1, out->name, sizeof(out->name)) != 0 ||
	    pg_col_blob(res, row, 2, out->wrapped_key, sizeof(out->wrapped_key), &n) != 0 ||
	    n != MG_WRAPPED_KEY_BYTES)
		return MG_ERR_STORE;
	out->created_ms = pg_col_int(res, row, 3);
	return 0;
}

static int tenant_get(struct mg_store *s, const char *sql, const struct pg_param *key,
		      struct mg_tenant *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = pg_query(c, sql, key, &res)) == 0) {
		r = pg_tenant_read(res, 0, out);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_tenant_by_name(struct mg_store *s, const char *name, struct mg_tenant *out)
{
	return tenant_get(s, tenant_by_name_sql, PG_PARAMS(PG_TEXT(name)), out);
}

int pg_tenant_by_id(struct mg_store *s, int64_t id, struct mg_tenant *out)
{
	return tenant_get(s, tenant_by_id_sql, PG_PARAMS(PG_INT(id)), out);
}

static const char tenant_key_replace_sql[] =
	"UPDATE tenants SET wrapped_key = $3 WHERE id = $1 AND wrapped_key = $2";
/* Locks out tenant_create until the transaction ends, so none is made
 * under the old master key while the keys are being replaced. */
static const char tenants_lock_sql[] = "LOCK TABLE tenants IN SHARE ROW EXCLUSIVE MODE";
static const char tenant_count_sql[] = "SELECT count(*) FROM tenants WHERE id > $1";

int pg_tenant_keys_replace(struct mg_store *s, const struct mg_tenant_key_change *ch, size_t n)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	r = pg_exec(c, tenants_lock_sql);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = pg_write(c, tenant_key_replace_sql,
			     PG_PARAMS(PG_INT(ch[i].tenant_id),
				       PG_BLOB(ch[i].from, MG_WRAPPED_KEY_BYTES),
				       PG_BLOB(ch[i].to, MG_WRAPPED_KEY_BYTES)), true, NULL);
	if (r == MG_ERR_NOT_FOUND)
		r = MG_ERR_CONFLICT;
	if (r == 0 && (r = pg_query(c, tenant_count_sql, PG_PARAMS(PG_INT(0)), &res)) == 0) {
		if (pg_col_int(res, 0, 0) != (int64_t)n)
			r = MG_ERR_CONFLICT;
		PQclear(res);
	}
	r = pg_end(c, r);
out:
	pg_release(c);
	return r;
}
