/* Accounts on PostgreSQL: users with their roles (user_roles, by name) and
 * tenant memberships (user_tenants, active or suspended; changed one at a
 * time in pg_memberships.c), profile, password and lockout state.
 * Reading an account is one snapshot, so its roles and tenants match its
 * row; changing roles and tenants together is one transaction that locks
 * the account's row first. Counters change in one UPDATE each, so
 * gateways sharing the database never lose a failed login. */
#include "store/postgres/pg_internal.h"

#include <sodium.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"

#define USER_COLUMNS \
	"id, name, display_name, email, password_hash, must_change_password, disabled," \
	" failed_logins, lockouts, locked_until_ms, totp_sealed, totp_pending_sealed," \
	" totp_last_step, created_ms, password_changed_ms"

static const char user_insert_sql[] =
	"INSERT INTO users (name, display_name, email, password_hash, must_change_password,"
	" created_ms, password_changed_ms) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
static const char user_by_name_sql[] = "SELECT " USER_COLUMNS " FROM users WHERE name = $1";
static const char user_by_id_sql[] = "SELECT " USER_COLUMNS " FROM users WHERE id = $1";
static const char user_list_sql[] = "SELECT " USER_COLUMNS " FROM users ORDER BY id";
static const char user_lock_sql[] = "SELECT 1 FROM users WHERE id = $1 FOR UPDATE";
static const char user_roles_sql[] = "SELECT role FROM user_roles WHERE user_id = $1";
static const char user_tenants_sql[] =
	"SELECT tenant_id, suspended::int FROM user_tenants WHERE user_id = $1 ORDER BY tenant_id";
static const char user_roles_clear_sql[] = "DELETE FROM user_roles WHERE user_id = $1";
static const char user_tenants_clear_sql[] = "DELETE FROM user_tenants WHERE user_id = $1";
static const char user_role_insert_sql[] =
	"INSERT INTO user_roles (user_id, role) VALUES ($1, $2)";
/* A tenant given twice is one membership; an unknown one fails the
 * foreign key (ON CONFLICT does not cover foreign keys). */
static const char user_tenant_insert_sql[] =
	"INSERT INTO user_tenants (user_id, tenant_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";
static const char user_update_profile_sql[] =
	"UPDATE users SET display_name = $2, email = $3, disabled = $4 WHERE id = $1";
static const char user_set_password_sql[] =
	"UPDATE users SET password_hash = $2, must_change_password = $3, failed_logins = 0,"
	" lockouts = 0, locked_until_ms = 0, password_changed_ms = $4 WHERE id = $1";
static const char user_delete_sql[] = "DELETE FROM users WHERE id = $1";
static const char user_login_failed_sql[] =
	"UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins";
static const char user_set_lock_sql[] =
	"UPDATE users SET locked_until_ms = $2, lockouts = $3 WHERE id = $1";
static const char user_login_succeeded_sql[] =
	"UPDATE users SET failed_logins = 0, lockouts = 0 WHERE id = $1";

static int user_read_access(struct pg_conn *c, struct mg_user *u)
{
	PGresult *res;
	unsigned role;
	int r;

	if ((r = pg_run(c, user_roles_sql, PG_PARAMS(PG_INT(u->id)), &res)) != 0)
		return r;
	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		if (mg_role_parse(PQgetvalue(res, i, 0), &role) != 0)
			r = MG_ERR_STORE;	/* a role this medgate does not know */
		else
			u->roles |= role;
	}
	PQclear(res);
	if (r != 0 || (r = pg_run(c, user_tenants_sql, PG_PARAMS(PG_INT(u->id)), &res)) != 0)
		return r;
	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		bool suspended = pg_col_int(res, i, 1) != 0;

		if (u->ntenants + u->nsuspended == MG_USER_TENANTS_MAX)
			r = MG_ERR_STORE;
		else if (suspended)
			u->suspended[u->nsuspended++] = pg_col_int(res, i, 0);
		else
			u->tenants[u->ntenants++] = pg_col_int(res, i, 0);
	}
	PQclear(res);
	return r;
}

static int user_read(struct pg_conn *c, const PGresult *res, int i, struct mg_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = pg_col_int(res, i, 0);
	if (pg_col_text(res, i, 1, u->name, sizeof(u->name)) != 0 ||
	    pg_col_text(res, i, 2, u->display_name, sizeof(u->display_name)) != 0 ||
	    pg_col_text(res, i, 3, u->email, sizeof(u->email)) != 0 ||
	    pg_col_text(res, i, 4, u->password_hash, sizeof(u->password_hash)) != 0 ||
	    pg_col_blob(res, i, 10, u->totp_sealed, sizeof(u->totp_sealed), &u->totp_len) != 0 ||
	    pg_col_blob(res, i, 11, u->totp_pending, sizeof(u->totp_pending),
			&u->totp_pending_len) != 0)
		return MG_ERR_STORE;
	u->must_change_password = pg_col_int(res, i, 5) != 0;
	u->disabled = pg_col_int(res, i, 6) != 0;
	u->failed_logins = pg_col_unsigned(res, i, 7);
	u->lockouts = pg_col_unsigned(res, i, 8);
	u->locked_until_ms = pg_col_int(res, i, 9);
	u->totp_last_step = pg_col_int(res, i, 12);
	u->created_ms = pg_col_int(res, i, 13);
	u->password_changed_ms = pg_col_int(res, i, 14);
	return user_read_access(c, u);
}

/* Walk the users sql gives (one snapshot); stop after the first if one. */
static int users_walk(struct mg_store *s, const char *sql, const struct pg_param *params,
		      bool one, struct mg_user *u, mg_user_cb cb, void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res = NULL;
	int r;

	if ((r = pg_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")) != 0)
		goto out;
	r = one ? pg_query(c, sql, params, &res) : pg_run(c, sql, params, &res);
	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		if ((r = user_read(c, res, i, u)) == 0 && !one)
			r = cb(u, arg);
	}
	PQclear(res);
	pg_exec(c, "ROLLBACK");
out:
	pg_release(c);
	return r;
}

int pg_user_by_name(struct mg_store *s, const char *name, struct mg_user *out)
{
	int r;

	if ((r = users_walk(s, user_by_name_sql, PG_PARAMS(PG_TEXT(name)), true, out, NULL,
			    NULL)) != 0)
		memset(out, 0, sizeof(*out));	/* no half-read account, no hash */
	return r;
}

int pg_user_by_id(struct mg_store *s, int64_t id, struct mg_user *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = users_walk(s, user_by_id_sql, PG_PARAMS(PG_INT(id)), true, out, NULL, NULL)) != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

int pg_user_list(struct mg_store *s, mg_user_cb cb, void *arg)
{
	struct mg_user u;
	int r = users_walk(s, user_list_sql, PG_NO_PARAMS, false, &u, cb, arg);

	sodium_memzero(&u, sizeof(u));	/* it held a password hash */
	return r;
}

static int roles_write(struct pg_conn *c, int64_t id, unsigned roles)
{
	int r = pg_write(c, user_roles_clear_sql, PG_PARAMS(PG_INT(id)), false, NULL);

	for (unsigned i = 0; r == 0 && i < MG_ROLE_COUNT; i++) {
		if (roles & mg_role_at(i))
			r = pg_write(c, user_role_insert_sql,
				     PG_PARAMS(PG_INT(id), PG_TEXT(mg_role_name(mg_role_at(i)))),
				     false, NULL);
	}
	return r;
}

/* The tenants listed become active memberships, all others go. */
static int access_write(struct pg_conn *c, int64_t id, unsigned roles, const int64_t *tenants,
			size_t ntenants)
{
	int r;

	if ((r = roles_write(c, id, roles)) != 0 ||
	    (r = pg_write(c, user_tenants_clear_sql, PG_PARAMS(PG_INT(id)), false, NULL)) != 0)
		return r;
	/* An unknown tenant fails its foreign key: MG_ERR_NOT_FOUND. */
	for (size_t i = 0; r == 0 && i < ntenants; i++)
		r = pg_write(c, user_tenant_insert_sql, PG_PARAMS(PG_INT(id), PG_INT(tenants[i])),
			     false, NULL);
	return r;
}

int pg_user_create(struct mg_store *s, const struct mg_user_new *u, int64_t *id_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int64_t id = 0;
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	/* A taken name (in any case) fails a unique index: MG_ERR_EXISTS. */
	r = pg_query(c, user_insert_sql,
		     PG_PARAMS(PG_TEXT(u->name), PG_TEXT(u->display_name), PG_TEXT(u->email),
			       PG_TEXT(u->password_hash), PG_INT(u->must_change_password),
			       PG_INT(mg_now_ms())),
		     &res);
	if (r == 0) {
		id = pg_col_int(res, 0, 0);
		PQclear(res);
		r = access_write(c, id, u->roles, u->tenants, u->ntenants);
	}
	if ((r = pg_end(c, r)) == 0)
		*id_out = id;
out:
	pg_release(c);
	return r;
}

int pg_user_update_profile(struct mg_store *s, int64_t id, const char *display_name,
			   const char *email, bool disabled)
{
	return pg_store_write(s, user_update_profile_sql,
			      PG_PARAMS(PG_INT(id), PG_TEXT(display_name), PG_TEXT(email),
					PG_INT(disabled)),
			      true);
}

int pg_user_set_access(struct mg_store *s, int64_t id, unsigned roles, const int64_t *tenants,
		       size_t ntenants)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	/* The row lock orders concurrent changes of one account. */
	if ((r = pg_write(c, user_lock_sql, PG_PARAMS(PG_INT(id)), true, NULL)) == 0)
		r = access_write(c, id, roles, tenants, ntenants);
	r = pg_end(c, r);	/* an unknown tenant leaves everything as it was */
out:
	pg_release(c);
	return r;
}

int pg_user_set_roles(struct mg_store *s, int64_t id, unsigned roles)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	if ((r = pg_write(c, user_lock_sql, PG_PARAMS(PG_INT(id)), true, NULL)) == 0)
		r = roles_write(c, id, roles);
	r = pg_end(c, r);
out:
	pg_release(c);
	return r;
}

/* The trigger of 0002_access.sql voids the account's reset links. */
int pg_user_set_password(struct mg_store *s, int64_t id, const char *hash, bool must_change,
			 int64_t now_ms)
{
	return pg_store_write(s, user_set_password_sql,
			      PG_PARAMS(PG_INT(id), PG_TEXT(hash), PG_INT(must_change),
					PG_INT(now_ms)),
			      true);
}

/* Roles, memberships, sessions, recovery codes and reset links go with the
 * row: their foreign keys cascade. */
int pg_user_delete(struct mg_store *s, int64_t id)
{
	return pg_store_write(s, user_delete_sql, PG_PARAMS(PG_INT(id)), true);
}

int pg_user_login_failed(struct mg_store *s, int64_t id, unsigned *failures_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	*failures_out = 0;
	if ((r = pg_query(c, user_login_failed_sql, PG_PARAMS(PG_INT(id)), &res)) == 0) {
		*failures_out = pg_col_unsigned(res, 0, 0);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_user_set_lock(struct mg_store *s, int64_t id, int64_t locked_until_ms, unsigned lockouts)
{
	return pg_store_write(s, user_set_lock_sql,
			      PG_PARAMS(PG_INT(id), PG_INT(locked_until_ms), PG_INT(lockouts)), true);
}

int pg_user_login_succeeded(struct mg_store *s, int64_t id)
{
	return pg_store_write(s, user_login_succeeded_sql, PG_PARAMS(PG_INT(id)), true);
}
