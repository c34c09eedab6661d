/* Accounts on SQLite: users with their roles (user_roles, by name) and
 * tenant memberships (user_tenants, active or suspended; changed one at a
 * time in sq_memberships.c), profile, password and lockout state.
 * Reading an account is one read transaction, so its roles and tenants
 * match its row; changing roles and tenants together is one write
 * transaction. */
#include "store/sqlite/sq_internal.h"

#include <sodium.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"

/* Copy a blob column (NULL reads as empty) into out. */
static int column_blob(sqlite3_stmt *st, int col, unsigned char *out, size_t outlen,
		       size_t *len_out)
{
	const void *blob = sqlite3_column_blob(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);

	*len_out = 0;
	if (n > outlen)
		return MG_ERR_STORE;
	if (n > 0 && blob != NULL)
		memcpy(out, blob, n);
	*len_out = n;
	return 0;
}

static const struct sq_sql user_roles_sql = {
	"SELECT role FROM user_roles WHERE user_id = ?1"
};

static const struct sq_sql user_tenants_sql = {
	"SELECT tenant_id, suspended FROM user_tenants WHERE user_id = ?1 ORDER BY tenant_id"
};

/* One membership into the active or the suspended list of u. */
static int membership_read(sqlite3_stmt *st, struct mg_user *u)
{
	bool suspended = sqlite3_column_int64(st, 1) != 0;
	size_t *n = suspended ? &u->nsuspended : &u->ntenants;
	int64_t *list = suspended ? u->suspended : u->tenants;

	if (u->ntenants + u->nsuspended == MG_USER_TENANTS_MAX)
		return MG_ERR_STORE;
	list[(*n)++] = sqlite3_column_int64(st, 0);
	return 0;
}

/* The roles and tenant memberships of user u->id, read on c. */
static int user_read_access(struct sq_conn *c, struct mg_user *u)
{
	sqlite3_stmt *st;
	unsigned role;
	int r = 0, rc;

	for (rc = sq_query(c, &user_roles_sql, SQ_PARAMS(SQ_INT(u->id)), &st); rc == 0;
	     rc = sq_next(c, st)) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if (name == NULL || mg_role_parse(name, &role) != 0) {
			r = MG_ERR_STORE;	/* a role this medgate does not know */
			break;
		}
		u->roles |= role;
	}
	sq_done(st);
	if (r != 0 || (rc != 0 && rc != MG_ERR_NOT_FOUND))
		return r != 0 ? r : rc;
	for (rc = sq_query(c, &user_tenants_sql, SQ_PARAMS(SQ_INT(u->id)), &st); rc == 0;
	     rc = sq_next(c, st)) {
		if ((r = membership_read(st, u)) != 0)
			break;
	}
	sq_done(st);
	if (r == 0 && rc != MG_ERR_NOT_FOUND)
		r = rc;
	return r;
}

/* The user on st's current row (USER_COLUMNS), with roles and tenants. */
static int user_read(struct sq_conn *c, sqlite3_stmt *st, struct mg_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(st, 0);
	if (sq_copy_text(st, 1, u->name, sizeof(u->name)) != 0 ||
	    sq_copy_text(st, 2, u->display_name, sizeof(u->display_name)) != 0 ||
	    sq_copy_text(st, 3, u->email, sizeof(u->email)) != 0 ||
	    sq_copy_text(st, 4, u->password_hash, sizeof(u->password_hash)) != 0 ||
	    column_blob(st, 10, u->totp_sealed, sizeof(u->totp_sealed), &u->totp_len) != 0 ||
	    column_blob(st, 11, u->totp_pending, sizeof(u->totp_pending),
			&u->totp_pending_len) != 0)
		return MG_ERR_STORE;
	u->must_change_password = sqlite3_column_int(st, 5) != 0;
	u->disabled = sqlite3_column_int(st, 6) != 0;
	u->failed_logins = sq_column_unsigned(st, 7);
	u->lockouts = sq_column_unsigned(st, 8);
	u->locked_until_ms = sqlite3_column_int64(st, 9);
	u->totp_last_step = sqlite3_column_int64(st, 12);
	u->created_ms = sqlite3_column_int64(st, 13);
	u->password_changed_ms = sqlite3_column_int64(st, 14);
	return user_read_access(c, u);
}

static int user_get(struct mg_store *s, const struct sq_sql *sql, const struct sq_param *key,
		    struct mg_user *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	/* One read transaction: the row, its roles and its tenants agree. */
	if ((r = sq_exec(c, "BEGIN")) != 0)
		goto out;
	if ((r = sq_query(c, sql, key, &st)) == 0) {
		r = user_read(c, st, out);
		sq_done(st);
	}
	sq_exec(c, "ROLLBACK");
out:
	if (r != 0)
		memset(out, 0, sizeof(*out));	/* no half-read account, no hash */
	sq_release(c);
	return r;
}

static const struct sq_sql user_by_name_sql = {
	"SELECT " USER_COLUMNS " FROM users WHERE name = ?1"
};

int sq_user_by_name(struct mg_store *s, const char *name, struct mg_user *out)
{
	return user_get(s, &user_by_name_sql, SQ_PARAMS(SQ_TEXT(name)), out);
}

static const struct sq_sql user_by_id_sql = {
	"SELECT " USER_COLUMNS " FROM users WHERE id = ?1"
};

int sq_user_by_id(struct mg_store *s, int64_t id, struct mg_user *out)
{
	return user_get(s, &user_by_id_sql, SQ_PARAMS(SQ_INT(id)), out);
}

static const struct sq_sql user_list_sql = {
	"SELECT " USER_COLUMNS " FROM users ORDER BY id"
};

int sq_user_list(struct mg_store *s, mg_user_cb cb, void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct mg_user u;
	sqlite3_stmt *st;
	int r = 0, rc;

	if ((r = sq_exec(c, "BEGIN")) != 0)
		goto out;
	for (rc = sq_query(c, &user_list_sql, SQ_NO_PARAMS, &st); rc == 0; rc = sq_next(c, st)) {
		if ((r = user_read(c, st, &u)) != 0 || (r = cb(&u, arg)) != 0)
			break;
	}
	sq_done(st);
	if (r == 0 && rc != MG_ERR_NOT_FOUND)
		r = rc;
	sq_exec(c, "ROLLBACK");
	sodium_memzero(&u, sizeof(u));	/* it held a password hash */
out:
	sq_release(c);
	return r;
}

static const struct sq_sql user_roles_clear_sql = {
	"DELETE FROM user_roles WHERE user_id = ?1"
};

static const struct sq_sql user_tenants_clear_sql = {
	"DELETE FROM user_tenants WHERE user_id = ?1"
};

static const struct sq_sql user_role_insert_sql = {
	"INSERT INTO user_roles (user_id, role) VALUES (?1, ?2)"
};

/* A tenant given twice is one membership; an unknown one fails the
 * foreign key (ON CONFLICT does not cover foreign keys). */
static const struct sq_sql user_tenant_insert_sql = {
	"INSERT INTO user_tenants (user_id, tenant_id) VALUES (?1, ?2)"
	" ON CONFLICT DO NOTHING"
};

/* Replace the roles of user id, inside a transaction on c. */
static int roles_write(struct sq_conn *c, int64_t id, unsigned roles)
{
	int r = sq_write(c, &user_roles_clear_sql, SQ_PARAMS(SQ_INT(id)), false);

	for (unsigned i = 0; r == 0 && i < MG_ROLE_COUNT; i++) {
		if (roles & mg_role_at(i))
			r = sq_write(c, &user_role_insert_sql,
				     SQ_PARAMS(SQ_INT(id), SQ_TEXT(mg_role_name(mg_role_at(i)))),
				     false);
	}
	return r;
}

/* Replace the roles and tenants of user id, inside a transaction on c:
 * the tenants listed become active memberships, all others go. */
static int access_write(struct sq_conn *c, int64_t id, unsigned roles,
			const int64_t *tenants, size_t ntenants)
{
	int r;

	if ((r = roles_write(c, id, roles)) != 0 ||
	    (r = sq_write(c, &user_tenants_clear_sql, SQ_PARAMS(SQ_INT(id)), false)) != 0)
		return r;
	/* An unknown tenant fails its foreign key: MG_ERR_NOT_FOUND. */
	for (size_t i = 0; r == 0 && i < ntenants; i++)
		r = sq_write(c, &user_tenant_insert_sql,
			     SQ_PARAMS(SQ_INT(id), SQ_INT(tenants[i])), false);
	return r;
}

static const struct sq_sql user_insert_sql = {
	"INSERT INTO users (name, display_name, email, password_hash,"
	" must_change_password, created_ms, password_changed_ms)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)"
};

int sq_user_create(struct mg_store *s, const struct mg_user_new *u, int64_t *id_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int64_t id;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	/* A taken name fails the UNIQUE constraint: MG_ERR_EXISTS. */
	r = sq_write(c, &user_insert_sql,
		     SQ_PARAMS(SQ_TEXT(u->name), SQ_TEXT(u->display_name), SQ_TEXT(u->email),
			       SQ_TEXT(u->password_hash), SQ_INT(u->must_change_password),
			       SQ_INT(mg_now_ms())),
		     false);
	id = sqlite3_last_insert_rowid(c->db);
	if (r == 0)
		r = access_write(c, id, u->roles, u->tenants, u->ntenants);
	if ((r = sq_end(c, r)) == 0)
		*id_out = id;
out:
	sq_release(c);
	return r;
}

static const struct sq_sql user_update_profile_sql = {
	"UPDATE users SET display_name = ?2, email = ?3, disabled = ?4 WHERE id = ?1"
};

int sq_user_update_profile(struct mg_store *s, int64_t id, const char *display_name,
			   const char *email, bool disabled)
{
	return sq_store_write(s, &user_update_profile_sql,
			      SQ_PARAMS(SQ_INT(id), SQ_TEXT(display_name), SQ_TEXT(email),
					SQ_INT(disabled)),
			      true);
}

static const struct sq_sql user_exists_sql = {
	"SELECT 1 FROM users WHERE id = ?1"
};

int sq_user_set_access(struct mg_store *s, int64_t id, unsigned roles, const int64_t *tenants,
		       size_t ntenants)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	if ((r = sq_query(c, &user_exists_sql, SQ_PARAMS(SQ_INT(id)), &st)) == 0)
		r = sq_finish(c, st);
	if (r == 0)
		r = access_write(c, id, roles, tenants, ntenants);
	r = sq_end(c, r);	/* an unknown tenant leaves everything as it was */
out:
	sq_release(c);
	return r;
}

int sq_user_set_roles(struct mg_store *s, int64_t id, unsigned roles)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	if ((r = sq_query(c, &user_exists_sql, SQ_PARAMS(SQ_INT(id)), &st)) == 0)
		r = sq_finish(c, st);
	if (r == 0)
		r = roles_write(c, id, roles);
	r = sq_end(c, r);
out:
	sq_release(c);
	return r;
}

static const struct sq_sql user_set_password_sql = {
	"UPDATE users SET password_hash = ?2, must_change_password = ?3,"
	" failed_logins = 0, lockouts = 0, locked_until_ms = 0,"
	" password_changed_ms = ?4 WHERE id = ?1"
};

int sq_user_set_password(struct mg_store *s, int64_t id, const char *hash, bool must_change,
			 int64_t now_ms)
{
	return sq_store_write(s, &user_set_password_sql,
			      SQ_PARAMS(SQ_INT(id), SQ_TEXT(hash), SQ_INT(must_change),
					SQ_INT(now_ms)),
			      true);
}

static const struct sq_sql user_delete_sql = {
	"DELETE FROM users WHERE id = ?1"
};

/* Roles, memberships, sessions, recovery codes and reset links go with the
 * row: their foreign keys cascade (foreign_keys is on for every
 * connection), and secure_delete overwrites what they held. */
int sq_user_delete(struct mg_store *s, int64_t id)
{
	return sq_store_write(s, &user_delete_sql, SQ_PARAMS(SQ_INT(id)), true);
}

static const struct sq_sql user_login_failed_sql = {
	"UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?1"
	" RETURNING failed_logins"
};

int sq_user_login_failed(struct mg_store *s, int64_t id, unsigned *failures_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	unsigned failures = 0;
	int r;

	*failures_out = 0;
	/* Count and read back in one statement: concurrent failures each
	 * see their own count. */
	if ((r = sq_query(c, &user_login_failed_sql, SQ_PARAMS(SQ_INT(id)), &st)) == 0) {
		failures = sq_column_unsigned(st, 0);
		if ((r = sq_finish(c, st)) == 0)
			*failures_out = failures;
	}
	sq_release(c);
	return r;
}

static const struct sq_sql user_set_lock_sql = {
	"UPDATE users SET locked_until_ms = ?2, lockouts = ?3 WHERE id = ?1"
};

int sq_user_set_lock(struct mg_store *s, int64_t id, int64_t locked_until_ms, unsigned lockouts)
{
	return sq_store_write(s, &user_set_lock_sql,
			      SQ_PARAMS(SQ_INT(id), SQ_INT(locked_until_ms), SQ_INT(lockouts)),
			      true);
}

static const struct sq_sql user_login_succeeded_sql = {
	"UPDATE users SET failed_logins = 0, lockouts = 0 WHERE id = ?1"
};

int sq_user_login_succeeded(struct mg_store *s, int64_t id)
{
	return sq_store_write(s, &user_login_succeeded_sql, SQ_PARAMS(SQ_INT(id)), true);
}
