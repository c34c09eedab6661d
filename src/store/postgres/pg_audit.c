/* The audit trail on PostgreSQL: append at the chain's head inside one
 * transaction, and walk records in seq order.
 *
 * LOCK TABLE audit_log IN EXCLUSIVE MODE before the head is read: of two
 * appenders (threads, or gateways sharing the database) the second waits
 * until the first commits, and then (READ COMMITTED takes a new snapshot
 * per statement) reads the first one's record as its head, so the chain
 * never forks. EXCLUSIVE lets readers (verify, export) go on meanwhile.
 * The hash is made by the caller's callback inside that window, so this
 * file needs no key and no crypto. */
#include "store/postgres/pg_internal.h"

#include <string.h>

#include "common/err.h"

#define AUDIT_COLUMNS \
	"seq, time_ms, actor_id, tenant_id, actor, roles, address, action, object," \
	" outcome, details, prev_hash, hash"

static const char head_sql[] = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";
static const char insert_sql[] =
	"INSERT INTO audit_log (" AUDIT_COLUMNS ") VALUES"
	" ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
static const char declare_sql[] =
	"DECLARE audit_walk NO SCROLL CURSOR FOR SELECT " AUDIT_COLUMNS " FROM audit_log WHERE ($1 = 0 OR seq > $1)"
	" AND ($2 = 0 OR time_ms >= $2) AND ($3 = 0 OR time_ms < $3)"
	" AND ($4 = 0 OR tenant_id = $4) AND ($5::text IS NULL OR object = $5)"
	" ORDER BY seq";

#define LIST_BATCH 1000	/* rows fetched per round trip of a walk */

/* The head: *seq_out 0 and a zero hash for an empty trail. A head whose
 * hash is not 32 bytes (altered) is chained from as far as it goes, as on
 * SQLite: verify reports it. */
static int head_read(struct pg_conn *c, int64_t *seq_out, unsigned char hash[MG_AUDIT_HASH_BYTES])
{
	unsigned char buf[MG_AUDIT_HASH_BYTES * 4];
	PGresult *res;
	size_t n = 0;
	int r;

	*seq_out = 0;
	memset(hash, 0, MG_AUDIT_HASH_BYTES);
	if ((r = pg_query(c, head_sql, PG_NO_PARAMS, &res)) != 0)
		return r == MG_ERR_NOT_FOUND ? 0 : r;
	*seq_out = pg_col_int(res, 0, 0);
	if (pg_col_blob(res, 0, 1, buf, sizeof(buf), &n) == 0)
		memcpy(hash, buf, n < MG_AUDIT_HASH_BYTES ? n : MG_AUDIT_HASH_BYTES);
	PQclear(res);
	return 0;
}

int pg_audit_append(struct mg_store *s, struct mg_audit_record *rec, mg_audit_hash_fn hash_fn,
		    void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int64_t head = 0;
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	if ((r = pg_exec(c, "LOCK TABLE audit_log IN EXCLUSIVE MODE")) == 0 &&
	    (r = head_read(c, &head, rec->prev_hash)) == 0) {
		rec->seq = head + 1;
		if ((r = hash_fn(arg, rec)) == 0)
			r = pg_write(c, insert_sql,
				     PG_PARAMS(PG_INT(rec->seq), PG_INT(rec->time_ms),
					       PG_INT(rec->actor_id), PG_INT(rec->tenant_id),
					       PG_TEXT(rec->actor), PG_TEXT(rec->roles),
					       PG_TEXT(rec->address), PG_TEXT(rec->action),
					       PG_TEXT(rec->object), PG_TEXT(rec->outcome),
					       PG_TEXT(rec->details),
					       PG_BLOB(rec->prev_hash, MG_AUDIT_HASH_BYTES),
					       PG_BLOB(rec->hash, MG_AUDIT_HASH_BYTES)),
				     false, NULL);
	}
	r = pg_end(c, r);
out:
	pg_release(c);
	return r;
}

static bool hash_read(const PGresult *res, int i, int col, unsigned char out[MG_AUDIT_HASH_BYTES])
{
	unsigned char buf[MG_AUDIT_HASH_BYTES + 1];
	size_t n;

	memset(out, 0, MG_AUDIT_HASH_BYTES);
	if (pg_col_null(res, i, col) || pg_col_blob(res, i, col, buf, sizeof(buf), &n) != 0 ||
	    n != MG_AUDIT_HASH_BYTES)
		return false;
	memcpy(out, buf, MG_AUDIT_HASH_BYTES);
	return true;
}

/* Columns that do not fit the record's bounds (altered behind medgate's
 * back: the schema's types already rule out the rest) read as malformed. */
static void record_read(const PGresult *res, int i, struct mg_audit_record *rec)
{
	bool ok = true;

	memset(rec, 0, sizeof(*rec));
	rec->seq = pg_col_int(res, i, 0);
	rec->time_ms = pg_col_int(res, i, 1);
	rec->actor_id = pg_col_int(res, i, 2);
	rec->tenant_id = pg_col_int(res, i, 3);
	ok = pg_col_text(res, i, 4, rec->actor, sizeof(rec->actor)) == 0 && ok;
	ok = pg_col_text(res, i, 5, rec->roles, sizeof(rec->roles)) == 0 && ok;
	ok = pg_col_text(res, i, 6, rec->address, sizeof(rec->address)) == 0 && ok;
	ok = pg_col_text(res, i, 7, rec->action, sizeof(rec->action)) == 0 && ok;
	ok = pg_col_text(res, i, 8, rec->object, sizeof(rec->object)) == 0 && ok;
	ok = pg_col_text(res, i, 9, rec->outcome, sizeof(rec->outcome)) == 0 && ok;
	ok = pg_col_text(res, i, 10, rec->details, sizeof(rec->details)) == 0 && ok;
	ok = hash_read(res, i, 11, rec->prev_hash) && ok;
	ok = hash_read(res, i, 12, rec->hash) && ok;
	rec->malformed = !ok;
}

/* A cursor, so a long trail is read in batches rather than all at once. */
int pg_audit_list(struct mg_store *s, const struct mg_audit_filter *f, mg_audit_record_cb cb,
		  void *arg)
{
	static const struct mg_audit_filter all;
	static const char fetch_sql[] = "FETCH 1000 FROM audit_walk";	/* LIST_BATCH */
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_audit_record rec;
	PGresult *res = NULL;
	int r, rows;

	if (f == NULL)
		f = &all;
	if ((r = pg_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")) != 0)
		goto out;
	if ((r = pg_write(c, declare_sql,
			  PG_PARAMS(PG_INT(f->after_seq), PG_INT(f->since_ms), PG_INT(f->until_ms),
				    PG_INT(f->tenant_id), PG_TEXT(f->object)),
			  false, NULL)) != 0)
		goto end;
	do {
		if ((r = pg_run(c, fetch_sql, PG_NO_PARAMS, &res)) != 0)
			break;
		rows = PQntuples(res);
		for (int i = 0; r == 0 && i < rows; i++) {
			record_read(res, i, &rec);
			r = cb(&rec, arg);
		}
		PQclear(res);
	} while (r == 0 && rows == LIST_BATCH);
end:
	pg_exec(c, "ROLLBACK");
out:
	pg_release(c);
	return r;
}
