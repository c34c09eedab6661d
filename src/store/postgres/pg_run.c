/* Running statements on one connection of the PostgreSQL back end:
 * parameters given as data and bound (ints and doubles as text, byte
 * strings in binary, each with its type), statements prepared once per
 * connection, SQLSTATEs mapped to MG_ERR_*, and text results read back
 * within bounds. Error texts are logged by SQLSTATE and constraint name
 * only: a server message can quote the values of a row. */
#include "store/postgres/pg_internal.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"
#include "common/log.h"

#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25
#define OID_FLOAT8 701

/* A broken link (server restart, fail-over): drop the connection so the
 * next pg_acquire makes a new one, with its statements prepared again. */
static void conn_check(struct pg_conn *c)
{
	if (c->db != NULL && PQstatus(c->db) == CONNECTION_BAD) {
		mg_log_warning("postgresql: connection lost; reconnecting at next use");
		PQfinish(c->db);
		c->db = NULL;
		c->nprepared = 0;
	}
}

static int result_error(struct pg_conn *c, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	int r = MG_ERR_STORE;

	if (state == NULL) {
		conn_check(c);
		mg_store_fault(c->owner, "no answer", "PostgreSQL: no answer from the server");
		return MG_ERR_STORE;
	}
	if (strcmp(state, "23505") == 0)
		return MG_ERR_EXISTS;
	if (strcmp(state, "23503") == 0)
		return MG_ERR_NOT_FOUND;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		r = MG_ERR_BUSY;
	else if (strcmp(state, "22001") == 0 || strcmp(state, "54000") == 0)
		r = MG_ERR_LIMIT;
	/* Resources (53: disk full, out of memory), the system (58), an
	 * operator (57), the connection (08), internal (XX): the server's own
	 * words name the cause. Other classes may quote values: only the
	 * SQLSTATE. */
	if (strchr("5X0", state[0]) != NULL &&
	    (strncmp(state, "53", 2) == 0 || strncmp(state, "58", 2) == 0 ||
	     strncmp(state, "57", 2) == 0 || strncmp(state, "08", 2) == 0 ||
	     strncmp(state, "XX", 2) == 0))
		mg_store_fault(c->owner, state, "PostgreSQL: SQLSTATE %s: %s", state,
			       PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
				       ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
				       : "");
	else
		mg_store_fault(c->owner, state, "PostgreSQL: statement failed with SQLSTATE %s%s%s",
			       state, constraint ? " on " : "", constraint ? constraint : "");
	conn_check(c);
	return r;
}

/* The statement name of sql on c ("mg<i>"), preparing it first if
 * needed; false if it cannot be (then run it unprepared). */
static bool prepared_name(struct pg_conn *c, const char *sql, int nparams, const Oid *types,
			  char name[16])
{
	PGresult *res;
	unsigned i;

	for (i = 0; i < c->nprepared; i++)
		if (c->prepared[i] == sql)
			break;
	snprintf(name, 16, "mg%u", i);
	if (i < c->nprepared)
		return true;
	if (i == PG_PREPARED_MAX)
		return false;
	res = PQprepare(c->db, name, sql, nparams, types);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		return false;	/* running it says why */
	}
	PQclear(res);
	c->prepared[c->nprepared++] = sql;
	return true;
}

int pg_run(struct pg_conn *c, const char *sql, const struct pg_param *params, PGresult **res_out)
{
	char text[PG_PARAMS_MAX][32], name[16];
	const char *values[PG_PARAMS_MAX];
	int lengths[PG_PARAMS_MAX], formats[PG_PARAMS_MAX];
	Oid types[PG_PARAMS_MAX];
	PGresult *res;
	ExecStatusType st;
	int n, r;

	if (res_out != NULL)
		*res_out = NULL;
	if (c->db == NULL)
		return MG_ERR_STORE;
	for (n = 0; params[n].type != PG_PARAM_END; n++) {
		const struct pg_param *p = &params[n];

		if (n == PG_PARAMS_MAX)
			return MG_ERR_STORE;
		lengths[n] = 0;
		formats[n] = 0;
		switch (p->type) {
		case PG_PARAM_INT:
			types[n] = OID_INT8;
			snprintf(text[n], sizeof(text[n]), "%" PRId64, p->i);
			values[n] = text[n];
			break;
		case PG_PARAM_REAL:
			types[n] = OID_FLOAT8;
			snprintf(text[n], sizeof(text[n]), "%.17g", p->d);
			values[n] = text[n];
			break;
		case PG_PARAM_TEXT:
			types[n] = OID_TEXT;
			values[n] = p->p;
			break;
		case PG_PARAM_BLOB:
			if (p->len > INT_MAX)
				return MG_ERR_LIMIT;
			types[n] = OID_BYTEA;
			values[n] = p->p != NULL ? p->p : "";
			lengths[n] = (int)p->len;
			formats[n] = 1;
			break;
		default:
			return MG_ERR_STORE;
		}
	}
	if (prepared_name(c, sql, n, types, name))
		res = PQexecPrepared(c->db, name, n, values, lengths, formats, 0);
	else
		res = PQexecParams(c->db, sql, n, types, values, lengths, formats, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		r = result_error(c, res);
		PQclear(res);
		return r;
	}
	if (res_out != NULL)
		*res_out = res;
	else
		PQclear(res);
	return 0;
}

int pg_query(struct pg_conn *c, const char *sql, const struct pg_param *params, PGresult **res_out)
{
	int r = pg_run(c, sql, params, res_out);

	if (r == 0 && PQntuples(*res_out) == 0) {
		PQclear(*res_out);
		*res_out = NULL;
		r = MG_ERR_NOT_FOUND;
	}
	return r;
}

int pg_write(struct pg_conn *c, const char *sql, const struct pg_param *params, bool must_change,
	     int64_t *changed_out)
{
	PGresult *res;
	int64_t changed;
	int r;

	if (changed_out != NULL)
		*changed_out = 0;
	if ((r = pg_run(c, sql, params, &res)) != 0)
		return r;
	changed = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	if (changed_out != NULL)
		*changed_out = changed;
	return must_change && changed == 0 ? MG_ERR_NOT_FOUND : 0;
}

int pg_store_write(struct mg_store *s, const char *sql, const struct pg_param *params,
		   bool must_change)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int r = pg_write(c, sql, params, must_change, NULL);

	pg_release(c);
	return r;
}

int pg_exec(struct pg_conn *c, const char *sql)
{
	PGresult *res;
	int r = 0;

	if (c->db == NULL)
		return MG_ERR_STORE;
	res = PQexec(c->db, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		r = result_error(c, res);
	PQclear(res);
	return r;
}

int pg_begin(struct pg_conn *c)
{
	return pg_exec(c, "BEGIN");
}

int pg_end(struct pg_conn *c, int r)
{
	if (r == 0 && (r = pg_exec(c, "COMMIT")) == 0)
		return 0;
	if (c->db != NULL && PQtransactionStatus(c->db) != PQTRANS_IDLE)
		pg_exec(c, "ROLLBACK");
	return r;
}

int64_t pg_col_int(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

unsigned pg_col_unsigned(const PGresult *res, int row, int col)
{
	int64_t v = pg_col_int(res, row, col);

	return v < 0 ? 0 : v > UINT_MAX ? UINT_MAX : (unsigned)v;
}

double pg_col_real(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtod(PQgetvalue(res, row, col), NULL);
}

bool pg_col_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) != 0;
}

int pg_col_text(const PGresult *res, int row, int col, char *out, size_t outlen)
{
	size_t n = (size_t)PQgetlength(res, row, col);

	out[0] = '\0';
	if (PQgetisnull(res, row, col))
		return 0;
	if (n >= outlen)
		return MG_ERR_STORE;
	memcpy(out, PQgetvalue(res, row, col), n);
	out[n] = '\0';
	return 0;
}

/* bytea in text results is "\x" and two hex digits per byte (the default
 * bytea_output since PostgreSQL 9.0). */
int pg_col_blob(const PGresult *res, int row, int col, unsigned char *out, size_t outlen,
		size_t *len_out)
{
	const char *v = PQgetvalue(res, row, col);
	size_t n = (size_t)PQgetlength(res, row, col);

	*len_out = 0;
	if (PQgetisnull(res, row, col))
		return 0;
	if (n < 2 || v[0] != '\\' || v[1] != 'x' ||
	    mg_hex_decode(v + 2, n - 2, out, outlen, len_out) != 0)
		return MG_ERR_STORE;
	return 0;
}
