/* The PostgreSQL back end of the store (libpq). */
#ifndef MG_STORE_POSTGRES_H
#define MG_STORE_POSTGRES_H

#include <stdbool.h>
#include <stddef.h>

struct mg_store;

/* Connect to the database that conninfo (a libpq connection string or
 * URI: host, port, dbname, user, sslmode, passfile, ...) names. Returns 0
 * or < 0 with the reason in err (never the password). */
int mg_store_postgres_open(const char *conninfo, struct mg_store **out, char *err,
			   size_t errlen);

/* Drop the database conninfo names, connecting to the server's
 * "postgres" database to do it (medgatectl decommission; the store is
 * closed). Refuses while others are connected to it. what gets "database
 * NAME on HOST:PORT"; returns 0 once the catalogue no longer names it, or
 * < 0 with the reason in err. */
int mg_store_postgres_drop(const char *conninfo, char *what, size_t whatlen, char *err,
			   size_t errlen);

/* How many other sessions are connected to the database conninfo names
 * (gateways here or on other hosts, psql, backups). Returns 0 or < 0. */
int mg_store_postgres_sessions(const char *conninfo, int *others, char *err, size_t errlen);

/* Whether conninfo parses and names a password (which then sits in the
 * configuration file; libpq's passfile keeps it out). */
bool mg_conninfo_has_password(const char *conninfo);

#endif
