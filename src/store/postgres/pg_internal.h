/* Shared by the files of the PostgreSQL back end only.
 *
 * Every statement goes through pg_run: values are bound as parameters,
 * never spliced into SQL; each connection prepares a statement once, on
 * first use, and finds it again by the address of its SQL text, so every
 * statement must be a string constant. Results come back as text and are
 * read with the pg_col_* functions below. */
#ifndef MG_STORE_PG_INTERNAL_H
#define MG_STORE_PG_INTERNAL_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/postgres/postgres.h"
#include "store/store.h"

#define PG_CONNS	8	/* connections per gateway (opened when first needed) */
#define PG_PREPARED_MAX	192	/* statements prepared per connection */

struct pg_conn {
	pthread_mutex_t lock;
	PGconn *db;		/* NULL until first use or after a broken link */
	const char *prepared[PG_PREPARED_MAX];	/* SQL of statement "mg<i>" */
	unsigned nprepared;
};

struct pg_store {
	struct mg_store base;	/* first: the store interface */
	atomic_uint next;
	char *conninfo;
	struct pg_conn conns[PG_CONNS];
};

/* Take a free connection (waiting if all are busy), connected if the
 * database can be reached / give it back (rolling back a transaction a
 * failed path left open). */
struct pg_conn *pg_acquire(struct pg_store *s);
#define PG_ACQUIRE(store) pg_acquire((struct pg_store *)(store))
void pg_release(struct pg_conn *c);

/* Connect c->db (libpq defaults first, then the configured conninfo).
 * Returns 0, or MG_ERR_UNAVAILABLE with the reason in err. */
int pg_connect(struct pg_store *s, struct pg_conn *c, char *err, size_t errlen);

/* Parameters as data: PG_PARAMS(PG_INT(id), PG_TEXT(name)) binds id to $1
 * (bigint) and name to $2 (text). PG_TEXT(NULL) binds SQL NULL. */
enum pg_param_type { PG_PARAM_END, PG_PARAM_INT, PG_PARAM_TEXT, PG_PARAM_BLOB, PG_PARAM_REAL };

struct pg_param {
	enum pg_param_type type;
	int64_t i;
	double d;
	const void *p;
	size_t len;
};

#define PG_INT(v) { .type = PG_PARAM_INT, .i = (int64_t)(v) }
#define PG_REAL(v) { .type = PG_PARAM_REAL, .d = (v) }
#define PG_TEXT(s) { .type = PG_PARAM_TEXT, .p = (s) }
#define PG_BLOB(b, n) { .type = PG_PARAM_BLOB, .p = (b), .len = (n) }
#define PG_PARAMS(...) ((const struct pg_param[]){ __VA_ARGS__, { .type = PG_PARAM_END } })
#define PG_NO_PARAMS ((const struct pg_param[]){ { .type = PG_PARAM_END } })

#define PG_PARAMS_MAX 16

/* Run sql (a string constant) with params. On success *res_out, if not
 * NULL, holds the result (PQclear it); returns 0 or the MG_ERR_* that the
 * failure's SQLSTATE means: MG_ERR_EXISTS for a unique violation,
 * MG_ERR_NOT_FOUND for a foreign key, MG_ERR_BUSY for a deadlock or
 * serialization failure, MG_ERR_LIMIT for a value too long, else
 * MG_ERR_STORE. */
int pg_run(struct pg_conn *c, const char *sql, const struct pg_param *params,
	   PGresult **res_out);

/* pg_run for a statement that returns rows: MG_ERR_NOT_FOUND (and no
 * result) if it returned none. */
int pg_query(struct pg_conn *c, const char *sql, const struct pg_param *params,
	     PGresult **res_out);

/* pg_run without rows; MG_ERR_NOT_FOUND if must_change and no row changed.
 * *changed_out (may be NULL) gets the count. */
int pg_write(struct pg_conn *c, const char *sql, const struct pg_param *params,
	     bool must_change, int64_t *changed_out);

/* pg_write on a connection of the pool for the time of one statement. */
int pg_store_write(struct mg_store *s, const char *sql, const struct pg_param *params,
		   bool must_change);

/* A statement without parameters, not prepared (BEGIN, SAVEPOINT, DDL). */
int pg_exec(struct pg_conn *c, const char *sql);

/* BEGIN / COMMIT if r is 0, else ROLLBACK. pg_end returns r or the error
 * of a COMMIT that failed. */
int pg_begin(struct pg_conn *c);
int pg_end(struct pg_conn *c, int r);

/* Columns of a text-format result. pg_col_text copies (MG_ERR_STORE if
 * too long: a row longer than its limit is not this medgate's), and a
 * NULL reads as "". pg_col_blob decodes bytea into out (NULL: length 0). */
int64_t pg_col_int(const PGresult *res, int row, int col);
unsigned pg_col_unsigned(const PGresult *res, int row, int col);
double pg_col_real(const PGresult *res, int row, int col);
bool pg_col_null(const PGresult *res, int row, int col);
int pg_col_text(const PGresult *res, int row, int col, char *out, size_t outlen);
int pg_col_blob(const PGresult *res, int row, int col, unsigned char *out, size_t outlen,
		size_t *len_out);

/* Whether text is at most max bytes long (without its NUL). */
bool pg_text_fits(const char *text, size_t max);

/* Fill in each file's operations; pg_ops_init calls the others. */
void pg_ops_init(struct mg_store *base);
void pg_measurement_ops_init(struct mg_store *base);	/* pg_measurements.c */
void pg_tenant_ops_init(struct mg_store *base);		/* pg_tenants.c */
void pg_user_ops_init(struct mg_store *base);		/* pg_users.c */
void pg_second_factor_ops_init(struct mg_store *base);	/* pg_second_factor.c */
void pg_session_ops_init(struct mg_store *base);	/* pg_sessions.c */
void pg_outbox_ops_init(struct mg_store *base);		/* pg_outbox.c */
void pg_audit_ops_init(struct mg_store *base);		/* pg_audit.c */
void pg_alert_ops_init(struct mg_store *base);		/* pg_alerts.c */
void pg_incident_ops_init(struct mg_store *base);	/* pg_incidents.c */
void pg_detect_ops_init(struct mg_store *base);		/* pg_detect.c */

/* The tenant on row of res (id, name, wrapped_key, created_ms). */
int pg_tenant_read(const PGresult *res, int row, struct mg_tenant *out);

/* The measurement's values (row->id set), in their order, on c. */
int pg_row_values(struct pg_conn *c, struct mg_measurement_row *row);

/* The measurement on row i of res (id, tenant_id, device_id, device name,
 * device_mid, measured_ms, received_ms) with its values. */
int pg_row_read(struct pg_conn *c, const PGresult *res, int i, struct mg_measurement_row *row);

/* Run sql and call cb for each measurement row it gives, all read in one
 * snapshot. A non-zero cb stops the walk and is returned. */
int pg_rows_walk(struct pg_conn *c, const char *sql, const struct pg_param *params,
		 mg_measurement_cb cb, void *arg);

/* Bring the schema up to date under an advisory lock (pg_migrate.c). */
int pg_migrate(struct mg_store *base, int *version_out);

#endif
