/* Dropping the whole database at the end of an instance's life
 * (medgatectl decommission). Not a store operation: the store is closed by
 * then, and DROP DATABASE runs from another database of the server. */
#include "store/postgres/postgres.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

/* Connect as conninfo says, to the database dbname if not NULL. */
static PGconn *connect_to(const char *conninfo, const char *dbname, char *err, size_t errlen)
{
	/* The second "dbname" overrides the database the expanded first one
	 * names, and keeps its host, user and TLS settings. */
	const char *keys[] = { "connect_timeout", "application_name", "dbname", "dbname", NULL };
	const char *values[] = { "10", "medgatectl", conninfo, dbname, NULL };
	PGconn *db;

	if (dbname == NULL)
		keys[3] = NULL;
	db = PQconnectdbParams(keys, values, 1);
	if (db == NULL || PQstatus(db) != CONNECTION_OK) {
		snprintf(err, errlen, "postgresql: %s", db ? PQerrorMessage(db) : "out of memory");
		err[strcspn(err, "\n")] = '\0';
		PQfinish(db);
		return NULL;
	}
	return db;
}

/* The one-row, one-column answer of sql with one parameter, or "". */
static int answer(PGconn *db, const char *sql, const char *param, char *out, size_t outlen,
		  char *err, size_t errlen)
{
	PGresult *res = PQexecParams(db, sql, param ? 1 : 0, NULL, &param, NULL, NULL, 0);
	int r = 0;

	out[0] = '\0';
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "postgresql: %s", PQresultErrorMessage(res));
		err[strcspn(err, "\n")] = '\0';
		r = MG_ERR_STORE;
	} else if (PQntuples(res) == 1) {
		snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return r;
}

int mg_store_postgres_drop(const char *conninfo, char *what, size_t whatlen, char *err,
			   size_t errlen)
{
	char name[256], left[8], server[300], stmt[600];
	PGconn *db;
	PGresult *res;
	char *ident;
	int r;

	what[0] = '\0';
	if ((db = connect_to(conninfo, NULL, err, errlen)) == NULL)
		return MG_ERR_UNAVAILABLE;
	snprintf(server, sizeof(server), "%s:%s", PQhost(db), PQport(db));
	r = answer(db, "SELECT current_database()", NULL, name, sizeof(name), err, errlen);
	PQfinish(db);
	if (r != 0)
		return r;
	snprintf(what, whatlen, "database %s on %s", name, server);
	/* The maintenance database every server has. */
	if ((db = connect_to(conninfo, "postgres", err, errlen)) == NULL)
		return MG_ERR_UNAVAILABLE;
	if ((ident = PQescapeIdentifier(db, name, strlen(name))) == NULL) {
		PQfinish(db);
		return MG_ERR_NOMEM;
	}
	/* Not WITH (FORCE): a gateway still connected, here or on another
	 * host, must be stopped by its operator, not cut off by us. */
	snprintf(stmt, sizeof(stmt), "DROP DATABASE %s", ident);
	PQfreemem(ident);
	res = PQexec(db, stmt);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "cannot drop %s: %s", what, PQresultErrorMessage(res));
		err[strcspn(err, "\n")] = '\0';
		PQclear(res);
		PQfinish(db);
		return MG_ERR_STORE;
	}
	PQclear(res);
	/* Checked, not assumed: the catalogue no longer names it. */
	r = answer(db, "SELECT count(*) FROM pg_database WHERE datname = $1", name, left,
		   sizeof(left), err, errlen);
	PQfinish(db);
	if (r == 0 && strcmp(left, "0") != 0) {
		snprintf(err, errlen, "%s is still in the server's catalogue", what);
		r = MG_ERR_STORE;
	}
	return r;
}

int mg_store_postgres_sessions(const char *conninfo, int *others, char *err, size_t errlen)
{
	char count[16];
	PGconn *db;
	int r;

	*others = 0;
	if ((db = connect_to(conninfo, NULL, err, errlen)) == NULL)
		return MG_ERR_UNAVAILABLE;
	r = answer(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
		       " AND pid <> pg_backend_pid()", NULL, count, sizeof(count), err, errlen);
	PQfinish(db);
	if (r == 0)
		*others = (int)strtol(count, NULL, 10);
	return r;
}
