/* Tenant memberships on SQLite, one at a time: a tenant admin adds,
 * removes and confirms them; an admin's reset of an account's password or
 * second factor suspends them all (separation of duties: an admin alone
 * never restores patient access). Each change is one statement, or one
 * BEGIN IMMEDIATE transaction where it must count. */
#include "store/sqlite/sq_internal.h"

#include "common/err.h"

/* A membership held already fails the primary key (MG_ERR_EXISTS), an
 * unknown user or tenant a foreign key (MG_ERR_NOT_FOUND). */
static const struct sq_sql membership_insert_sql = {
	"INSERT INTO user_tenants (user_id, tenant_id, suspended) VALUES (?1, ?2, 0)"
};

static const struct sq_sql membership_count_sql = {
	"SELECT count(*) FROM user_tenants WHERE user_id = ?1"
};

/* Insert first, then count: the insert's own errors come first, and the
 * transaction (a writer at a time) makes the count exact. */
int sq_membership_add(struct mg_store *s, int64_t user_id, int64_t tenant_id)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	r = sq_write(c, &membership_insert_sql, SQ_PARAMS(SQ_INT(user_id), SQ_INT(tenant_id)),
		     false);
	if (r == 0 &&
	    (r = sq_query(c, &membership_count_sql, SQ_PARAMS(SQ_INT(user_id)), &st)) == 0) {
		if (sqlite3_column_int64(st, 0) > MG_USER_TENANTS_MAX)
			r = MG_ERR_LIMIT;
		sq_done(st);
	}
	r = sq_end(c, r);
out:
	sq_release(c);
	return r;
}

static const struct sq_sql membership_remove_sql = {
	"DELETE FROM user_tenants WHERE user_id = ?1 AND tenant_id = ?2"
};

int sq_membership_remove(struct mg_store *s, int64_t user_id, int64_t tenant_id)
{
	return sq_store_write(s, &membership_remove_sql,
			      SQ_PARAMS(SQ_INT(user_id), SQ_INT(tenant_id)), true);
}

static const struct sq_sql membership_suspend_all_sql = {
	"UPDATE user_tenants SET suspended = 1 WHERE user_id = ?1 AND suspended = 0"
};

/* The rows the UPDATE changed are the memberships that were active. */
int sq_membership_suspend_all(struct mg_store *s, int64_t user_id, size_t *count_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r = sq_write(c, &membership_suspend_all_sql, SQ_PARAMS(SQ_INT(user_id)), false);

	if (r == 0)
		*count_out = (size_t)sqlite3_changes64(c->db);
	sq_release(c);
	return r;
}

/* SQLite counts a row the WHERE clause matched as changed even when its
 * value stays, so an active membership confirms with 0. */
static const struct sq_sql membership_confirm_sql = {
	"UPDATE user_tenants SET suspended = 0 WHERE user_id = ?1 AND tenant_id = ?2"
};

int sq_membership_confirm(struct mg_store *s, int64_t user_id, int64_t tenant_id)
{
	return sq_store_write(s, &membership_confirm_sql,
			      SQ_PARAMS(SQ_INT(user_id), SQ_INT(tenant_id)), true);
}

static const struct sq_sql membership_confirm_all_sql = {
	"UPDATE user_tenants SET suspended = 0 WHERE user_id = ?1 AND suspended = 1"
};

int sq_membership_confirm_all(struct mg_store *s, int64_t user_id)
{
	return sq_store_write(s, &membership_confirm_all_sql, SQ_PARAMS(SQ_INT(user_id)), false);
}
