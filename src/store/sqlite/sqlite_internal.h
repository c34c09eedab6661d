/* Shared by the files of the SQLite back end only. */
#ifndef MG_STORE_SQLITE_INTERNAL_H
#define MG_STORE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/sqlite/sqlite.h"
#include "store/store.h"

#define SQ_CONNS 8

#define DEVICE_COLUMNS \
	"id, tenant_id, name, cert_fingerprint, cert_serial, cert_not_after_ms, status," \
	" created_ms, coalesce(last_seen_ms, 0), firmware"

#define TENANT_COLUMNS "id, name, wrapped_key, created_ms"

#define USER_COLUMNS \
	"id, name, display_name, email, password_hash, must_change_password, disabled," \
	" failed_logins, lockouts, locked_until_ms, totp_sealed, totp_pending_sealed," \
	" totp_last_step, created_ms, password_changed_ms"

enum stmt_id {
	STMT_TENANT_INSERT,
	STMT_TENANT_BY_NAME,
	STMT_TENANT_BY_ID,
	STMT_TOKEN_INSERT,
	STMT_TOKEN_FIND,
	STMT_TOKEN_USE,
	STMT_DEVICE_INSERT,
	STMT_DEVICE_BY_FINGERPRINT,
	STMT_DEVICE_BY_ID,
	STMT_DEVICE_SET_STATUS,
	STMT_DEVICE_LIST,
	STMT_DEVICE_TOUCH,
	STMT_MEASUREMENT_FIND,
	STMT_PATIENT_UPSERT,
	STMT_PATIENT_FIND,
	STMT_MEASUREMENT_INSERT,
	STMT_VALUE_INSERT,
	STMT_OUTBOX_INSERT,
	STMT_MEASUREMENT_LIST,
	STMT_VALUE_LIST,
	STMT_MEASUREMENT_COUNT,
	/* sqlite_tenants.c */
	STMT_TENANT_LIST,
	STMT_TENANT_RENAME,
	STMT_TENANT_USAGE,
	STMT_TENANT_TOKENS_DELETE,
	STMT_TENANT_DELETE,
	STMT_DEVICE_SET_TENANT,
	STMT_PATIENT_MEASUREMENTS,
	/* sqlite_users.c */
	STMT_USER_INSERT,
	STMT_USER_BY_NAME,
	STMT_USER_BY_ID,
	STMT_USER_LIST,
	STMT_USER_EXISTS,
	STMT_USER_ROLES,
	STMT_USER_TENANTS,
	STMT_USER_ROLES_CLEAR,
	STMT_USER_TENANTS_CLEAR,
	STMT_USER_ROLE_INSERT,
	STMT_USER_TENANT_INSERT,
	STMT_USER_UPDATE_PROFILE,
	STMT_USER_SET_PASSWORD,
	STMT_USER_DELETE,
	STMT_USER_LOGIN_FAILED,
	STMT_USER_SET_LOCK,
	STMT_USER_LOGIN_SUCCEEDED,
	/* sqlite_second_factor.c */
	STMT_TOTP_SET_PENDING,
	STMT_TOTP_ACTIVATE,
	STMT_TOTP_CLEAR,
	STMT_TOTP_USE_STEP,
	STMT_RECOVERY_CLEAR,
	STMT_RECOVERY_INSERT,
	STMT_RECOVERY_USE,
	STMT_RECOVERY_LEFT,
	/* sqlite_sessions.c */
	STMT_SESSION_PRUNE_USER,
	STMT_SESSION_INSERT,
	STMT_SESSION_TOUCH,
	STMT_SESSION_EXPIRE,
	STMT_SESSION_DELETE,
	STMT_SESSION_DELETE_USER,
	STMT_ADDRESS_PRUNE,
	STMT_ADDRESS_FAILED,
	STMT_ADDRESS_FAILURES,
	STMT_RESET_PRUNE_USER,
	STMT_RESET_INSERT,
	STMT_RESET_CONSUME,
	STMT_SETTING_GET,
	STMT_SETTING_SET,
	STMT_COUNT
};

struct sq_conn {
	pthread_mutex_t lock;
	sqlite3 *db;
	sqlite3_stmt *stmts[STMT_COUNT];
};

struct sq_store {
	struct mg_store base;	/* first: the store interface */
	atomic_uint next;
	struct sq_conn conns[SQ_CONNS];
};

/* Take a free connection (waiting if all are busy) / give it back. */
struct sq_conn *sq_acquire(struct sq_store *s);
#define SQ_ACQUIRE(store) sq_acquire((struct sq_store *)(store))
void sq_release(struct sq_conn *c);

/* The prepared statement id on c (prepared on first use), or NULL. Reset it
 * with sq_done after use. */
sqlite3_stmt *sq_stmt(struct sq_conn *c, enum stmt_id id);
void sq_done(sqlite3_stmt *st);

/* Run sql without results. Returns 0 or MG_ERR_STORE. */
int sq_exec(struct sq_conn *c, const char *sql);

/* Copy a text column into out. Returns 0 or MG_ERR_LIMIT. */
int sq_copy_text(sqlite3_stmt *st, int col, char *out, size_t outlen);

/* Whether text is at most max bytes long (without its NUL). */
bool sq_text_fits(const char *text, size_t max);

/* An integer column as unsigned, clamped to 0..UINT_MAX. */
unsigned sq_column_unsigned(sqlite3_stmt *st, int col);

/* Statement parameters as data (sqlite_run.c): SQ_PARAMS(SQ_INT(id),
 * SQ_TEXT(name)) binds id to ?1 and name to ?2. Text and blobs are bound
 * without copying, so they must outlive the statement's use. */
enum sq_param_type { SQ_PARAM_END, SQ_PARAM_INT, SQ_PARAM_TEXT, SQ_PARAM_BLOB };

struct sq_param {
	enum sq_param_type type;
	int64_t i;
	const void *p;
	size_t len;
};

#define SQ_INT(v) { .type = SQ_PARAM_INT, .i = (int64_t)(v) }
#define SQ_TEXT(s) { .type = SQ_PARAM_TEXT, .p = (s) }
#define SQ_BLOB(b, n) { .type = SQ_PARAM_BLOB, .p = (b), .len = (n) }
#define SQ_PARAMS(...) ((const struct sq_param[]){ __VA_ARGS__, { .type = SQ_PARAM_END } })
#define SQ_NO_PARAMS ((const struct sq_param[]){ { .type = SQ_PARAM_END } })

/* Bind params (ending with SQ_PARAM_END) to st's ?1, ?2, ... Returns 0,
 * MG_ERR_LIMIT for a value too long for SQLite, or MG_ERR_STORE. */
int sq_bind(sqlite3_stmt *st, const struct sq_param *params);

/* Run statement id with params and step to its first row. Returns 0 with
 * *st_out on that row (read its columns, then sq_finish), or the statement
 * is reset and the result is MG_ERR_NOT_FOUND if it gave no row, or another
 * MG_ERR_* (and *st_out is NULL). */
int sq_query(struct sq_conn *c, enum stmt_id id, const struct sq_param *params,
	     sqlite3_stmt **st_out);

/* Step st, from sq_query, to its next row. Returns 0 on a row,
 * MG_ERR_NOT_FOUND after the last one, or another MG_ERR_*. Reset it with
 * sq_done after the walk:
 *	for (rc = sq_query(c, id, params, &st); rc == 0; rc = sq_next(c, st))
 *		if ((r = use_row(st)) != 0)
 *			break;
 *	sq_done(st);
 */
int sq_next(struct sq_conn *c, sqlite3_stmt *st);

/* Step st through its remaining rows (a RETURNING statement completes only
 * then) and reset it. Returns 0 or the MG_ERR_* of a failed step. */
int sq_finish(struct sq_conn *c, sqlite3_stmt *st);

/* Run statement id, which gives no rows, with params. Returns 0,
 * MG_ERR_NOT_FOUND if must_change is set and no row changed, or the MG_ERR_*
 * of the failure (sq_step_error). */
int sq_write(struct sq_conn *c, enum stmt_id id, const struct sq_param *params,
	     bool must_change);

/* sq_write on a connection of the pool for the time of one statement. */
int sq_store_write(struct mg_store *s, enum stmt_id id, const struct sq_param *params,
		   bool must_change);

/* End the transaction open on c: COMMIT if r is 0, else ROLLBACK. Returns r,
 * or the error of a COMMIT that failed (the transaction is then rolled back). */
int sq_end(struct sq_conn *c, int r);

/* Fill in each file's operations; sq_ops_init calls the others. */
void sq_ops_init(struct mg_store *base);
void sq_measurement_ops_init(struct mg_store *base);
void sq_access_ops_init(struct mg_store *base);	/* sqlite_users.c; calls the three below */
void sq_tenant_ops_init(struct mg_store *base);	/* sqlite_tenants.c */
void sq_second_factor_ops_init(struct mg_store *base);	/* sqlite_second_factor.c */
void sq_session_ops_init(struct mg_store *base);	/* sqlite_sessions.c */
void sq_outbox_ops_init(struct mg_store *base);	/* sqlite_outbox.c */
void sq_audit_ops_init(struct mg_store *base);	/* sqlite_audit.c */
void sq_detect_ops_init(struct mg_store *base);	/* sqlite_detect.c; calls the one below */
void sq_alert_ops_init(struct mg_store *base);	/* sqlite_alerts.c */

/* For statements run rarely, prepared per call (sqlite_detect.c): like
 * sq_query, on a fresh statement the caller finalizes after reading its
 * row; sq_step_done steps it to the end and finalizes it; sq_run_write
 * runs a write (MG_ERR_NOT_FOUND if must_change and no row changed). */
int sq_run(struct sq_conn *c, const char *sql, const struct sq_param *params,
	   sqlite3_stmt **st_out);
int sq_step_done(struct sq_conn *c, sqlite3_stmt *st);
/* sq_run calling row(st, arg) for each row (0 rows: 0); a non-zero
 * answer from row stops the walk and is returned. */
int sq_run_each(struct sq_conn *c, const char *sql, const struct sq_param *params,
		int (*row)(sqlite3_stmt *st, void *arg), void *arg);
int sq_run_write(struct sq_conn *c, const char *sql, const struct sq_param *params,
		 bool must_change);

/* Insert the outbox rows of a stored measurement (p->id set), inside the
 * caller's transaction. Returns 0 or MG_ERR_*. */
int sq_outbox_insert(struct sq_conn *c, const struct mg_measurement_put *p, int64_t patient_id);

/* The MG_ERR_* for the last failed step on c. */
int sq_step_error(struct sq_conn *c);

#endif
