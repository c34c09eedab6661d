/* Shared by the files of the SQLite back end only. */
#ifndef MG_STORE_SQLITE_INTERNAL_H
#define MG_STORE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "store/sqlite/sqlite.h"
#include "store/store.h"

#define SQ_CONNS 8

#define DEVICE_COLUMNS \
	"id, tenant_id, name, cert_fingerprint, cert_serial, cert_not_after_ms, status," \
	" created_ms, coalesce(last_seen_ms, 0)"

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
	STMT_MEASUREMENT_LIST,
	STMT_VALUE_LIST,
	STMT_MEASUREMENT_COUNT,
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
void sq_release(struct sq_conn *c);

/* The prepared statement id on c (prepared on first use), or NULL. Reset it
 * with sq_done after use. */
sqlite3_stmt *sq_stmt(struct sq_conn *c, enum stmt_id id);
void sq_done(sqlite3_stmt *st);

/* Run sql without results. Returns 0 or MG_ERR_STORE. */
int sq_exec(struct sq_conn *c, const char *sql);

/* Copy a text column into out. Returns 0 or MG_ERR_LIMIT. */
int sq_copy_text(sqlite3_stmt *st, int col, char *out, size_t outlen);

/* Fill in the operations of sqlite_ops.c and sqlite_measurements.c. */
void sq_ops_init(struct mg_store *base);
void sq_measurement_ops_init(struct mg_store *base);
void sq_access_ops_init(struct mg_store *base);	/* sqlite_access*.c */

/* The MG_ERR_* for the last failed step on c. */
int sq_step_error(struct sq_conn *c);

#endif
