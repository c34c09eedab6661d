/* Tenant memberships on PostgreSQL, one at a time: a tenant admin adds,
 * removes and confirms them; an admin's reset of an account's password or
 * second factor suspends them all (separation of duties: an admin alone
 * never restores patient access). Each change is one statement, or one
 * transaction holding the account's row lock where it must count, so
 * gateways sharing the database never pass the limit together. */
#include "store/postgres/pg_internal.h"

#include "common/err.h"

static const char user_lock_sql[] = "SELECT 1 FROM users WHERE id = $1 FOR UPDATE";
/* A membership held already fails the primary key (MG_ERR_EXISTS), an
 * unknown tenant a foreign key (MG_ERR_NOT_FOUND). */
static const char membership_insert_sql[] =
	"INSERT INTO user_tenants (user_id, tenant_id, suspended) VALUES ($1, $2, false)";
static const char membership_count_sql[] =
	"SELECT count(*) FROM user_tenants WHERE user_id = $1";
static const char membership_remove_sql[] =
	"DELETE FROM user_tenants WHERE user_id = $1 AND tenant_id = $2";
static const char membership_suspend_all_sql[] =
	"UPDATE user_tenants SET suspended = true WHERE user_id = $1 AND NOT suspended";
/* An active membership matches too, and confirms with 0. */
static const char membership_confirm_sql[] =
	"UPDATE user_tenants SET suspended = false WHERE user_id = $1 AND tenant_id = $2";
static const char membership_confirm_all_sql[] =
	"UPDATE user_tenants SET suspended = false WHERE user_id = $1 AND suspended";

/* The account's row lock orders concurrent adds (an unknown account:
 * MG_ERR_NOT_FOUND); insert first, then count, so the insert's own errors
 * come first. */
int pg_membership_add(struct mg_store *s, int64_t user_id, int64_t tenant_id)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	if ((r = pg_write(c, user_lock_sql, PG_PARAMS(PG_INT(user_id)), true, NULL)) == 0)
		r = pg_write(c, membership_insert_sql, PG_PARAMS(PG_INT(user_id), PG_INT(tenant_id)),
			     false, NULL);
	if (r == 0 &&
	    (r = pg_query(c, membership_count_sql, PG_PARAMS(PG_INT(user_id)), &res)) == 0) {
		if (pg_col_int(res, 0, 0) > MG_USER_TENANTS_MAX)
			r = MG_ERR_LIMIT;
		PQclear(res);
	}
	r = pg_end(c, r);
out:
	pg_release(c);
	return r;
}

int pg_membership_remove(struct mg_store *s, int64_t user_id, int64_t tenant_id)
{
	return pg_store_write(s, membership_remove_sql,
			      PG_PARAMS(PG_INT(user_id), PG_INT(tenant_id)), true);
}

/* The rows the UPDATE changed are the memberships that were active. */
int pg_membership_suspend_all(struct mg_store *s, int64_t user_id, size_t *count_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int64_t changed = 0;
	int r = pg_write(c, membership_suspend_all_sql, PG_PARAMS(PG_INT(user_id)), false,
			 &changed);

	if (r == 0)
		*count_out = (size_t)changed;
	pg_release(c);
	return r;
}

int pg_membership_confirm(struct mg_store *s, int64_t user_id, int64_t tenant_id)
{
	return pg_store_write(s, membership_confirm_sql,
			      PG_PARAMS(PG_INT(user_id), PG_INT(tenant_id)), true);
}

int pg_membership_confirm_all(struct mg_store *s, int64_t user_id)
{
	return pg_store_write(s, membership_confirm_all_sql, PG_PARAMS(PG_INT(user_id)), false);
}
