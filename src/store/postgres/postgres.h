/* The PostgreSQL back end of the store (libpq). */
#ifndef MG_STORE_POSTGRES_H
#define MG_STORE_POSTGRES_H

#include <stddef.h>

struct mg_store;

/* Connect to the database that conninfo (a libpq connection string or
 * URI: host, port, dbname, user, sslmode, passfile, ...) names. Returns 0
 * or < 0 with the reason in err (never the password). */
int mg_store_postgres_open(const char *conninfo, struct mg_store **out, char *err,
			   size_t errlen);

#endif
