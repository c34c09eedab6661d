/* Accounts on SQLite: users, their roles and tenants. */
#include "store/sqlite/sqlite_internal.h"

#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"

static int exec_bound(struct sq_conn *c, const char *sql, int64_t a, const char *text)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return MG_ERR_STORE;
	sqlite3_bind_int64(st, 1, a);
	if (text != NULL)
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : sq_step_error(c);
	sqlite3_finalize(st);
	return r;
}

static int sq_user_create(struct mg_store *s, const struct mg_user_new *u, int64_t *id_out)
{
	struct sq_conn *c = sq_acquire((struct sq_store *)s);
	sqlite3_stmt *st = NULL;
	int64_t id = 0;
	int r;

	*id_out = 0;
	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	if (sqlite3_prepare_v2(c->db,
			       "INSERT INTO users (name, display_name, email, password_hash,"
			       " must_change_password, created_ms, password_changed_ms)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?6)", -1, &st, NULL) != SQLITE_OK) {
		r = MG_ERR_STORE;
		goto rollback;
	}
	sqlite3_bind_text(st, 1, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, u->display_name ? u->display_name : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, u->email ? u->email : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, u->password_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, u->must_change_password);
	sqlite3_bind_int64(st, 6, mg_now_ms());
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : sq_step_error(c);
	sqlite3_finalize(st);
	id = sqlite3_last_insert_rowid(c->db);
	for (unsigned i = 0; r == 0 && i < MG_ROLE_COUNT; i++) {
		if (u->roles & mg_role_at(i))
			r = exec_bound(c, "INSERT INTO user_roles (user_id, role) VALUES (?, ?)", id,
				       mg_role_name(mg_role_at(i)));
	}
	for (size_t i = 0; r == 0 && i < u->ntenants; i++) {
		char tenant[24];

		snprintf(tenant, sizeof(tenant), "%lld", (long long)u->tenants[i]);
		r = exec_bound(c, "INSERT INTO user_tenants (user_id, tenant_id) VALUES (?, ?)", id,
			       tenant);
	}
	if (r == 0 && (r = sq_exec(c, "COMMIT")) == 0) {
		*id_out = id;
		goto out;
	}
rollback:
	sq_exec(c, "ROLLBACK");
out:
	sq_release(c);
	return r;
}

void sq_access_ops_init(struct mg_store *base)
{
	base->user_create = sq_user_create;
}
