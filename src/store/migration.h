/* Schema migrations compiled into the binary, applied in version order. */
#ifndef MG_STORE_MIGRATION_H
#define MG_STORE_MIGRATION_H

struct mg_migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct mg_migration mg_sqlite_migrations[];
extern const unsigned mg_sqlite_migrations_count;
extern const struct mg_migration mg_postgres_migrations[];
extern const unsigned mg_postgres_migrations_count;

#endif
