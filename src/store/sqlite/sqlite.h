/* The SQLite back end of the store (WAL, synchronous=FULL). */
#ifndef MG_STORE_SQLITE_H
#define MG_STORE_SQLITE_H

#include <stdbool.h>
#include <stddef.h>

struct mg_store;

/* Open the database at path (created if create is set and it does not
 * exist). Returns 0 or < 0 with the reason in err. */
int mg_store_sqlite_open(const char *path, bool create, struct mg_store **out,
			 char *err, size_t errlen);

#endif
