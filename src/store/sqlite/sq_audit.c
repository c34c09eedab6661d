/* The audit trail on SQLite: append at the chain's head inside one write
 * transaction, and walk records in seq order.
 *
 * BEGIN IMMEDIATE takes SQLite's write lock before the head is read, so
 * two appenders (threads on other connections, or other processes on the
 * same file) can never both read head n and both write n + 1: the second
 * waits (busy timeout) and then reads the first one's record as its head.
 * The hash is made by the caller's callback inside that window, so this
 * file needs no key and no crypto.
 *
 * The statements are prepared per call, not cached with the connection's
 * others: appends are a few per request at most, and a walk prepares once
 * for any number of rows. */
#include "store/sqlite/sq_internal.h"

#include <string.h>

#include "common/err.h"

#define AUDIT_COLUMNS \
	"seq, time_ms, actor_id, tenant_id, actor, roles, address, action, object," \
	" outcome, details, prev_hash, hash"

static const char head_sql[] = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";
static const char insert_sql[] =
	"INSERT INTO audit_log (" AUDIT_COLUMNS ") VALUES"
	" (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
/* The seq bound is a range on the primary key (after_seq 0: from the
 * lowest, also a renumbered seq < 1), so the audit exporter's poll for
 * new records seeks instead of scanning the whole trail. */
static const char list_sql[] =
	"SELECT " AUDIT_COLUMNS " FROM audit_log"
	" WHERE seq >= (CASE WHEN ?1 = 0 THEN -9223372036854775808 ELSE ?1 + 1 END)"
	" AND (?2 = 0 OR time_ms >= ?2) AND (?3 = 0 OR time_ms < ?3)"
	" AND (?4 = 0 OR tenant_id = ?4) AND (?5 IS NULL OR object = ?5)"
	" ORDER BY seq";

/* Read the head: *seq_out 0 and a zero hash for an empty trail. A head
 * whose hash is not 32 bytes (altered) is chained from as far as it goes:
 * refusing to append would let whoever altered it silence the trail, and
 * verify reports it anyway. */
static int head_read(struct sq_conn *c, int64_t *seq_out, unsigned char hash[MG_AUDIT_HASH_BYTES])
{
	sqlite3_stmt *st = NULL;
	int r = 0, rc;
	size_t n;

	*seq_out = 0;
	memset(hash, 0, MG_AUDIT_HASH_BYTES);
	if (sqlite3_prepare_v2(c->db, head_sql, -1, &st, NULL) != SQLITE_OK)
		return MG_ERR_STORE;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq_out = sqlite3_column_int64(st, 0);
		n = (size_t)sqlite3_column_bytes(st, 1);
		if (n > MG_AUDIT_HASH_BYTES)
			n = MG_AUDIT_HASH_BYTES;
		if (n > 0)
			memcpy(hash, sqlite3_column_blob(st, 1), n);
	} else if (rc != SQLITE_DONE) {
		r = sq_step_error(c);
	}
	sqlite3_finalize(st);
	return r;
}

static int record_insert(struct sq_conn *c, const struct mg_audit_record *rec)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (sqlite3_prepare_v2(c->db, insert_sql, -1, &st, NULL) != SQLITE_OK)
		return MG_ERR_STORE;
	r = sq_bind(st, SQ_PARAMS(SQ_INT(rec->seq), SQ_INT(rec->time_ms), SQ_INT(rec->actor_id),
				  SQ_INT(rec->tenant_id), SQ_TEXT(rec->actor), SQ_TEXT(rec->roles),
				  SQ_TEXT(rec->address), SQ_TEXT(rec->action),
				  SQ_TEXT(rec->object), SQ_TEXT(rec->outcome),
				  SQ_TEXT(rec->details),
				  SQ_BLOB(rec->prev_hash, MG_AUDIT_HASH_BYTES),
				  SQ_BLOB(rec->hash, MG_AUDIT_HASH_BYTES)));
	if (r == 0 && sqlite3_step(st) != SQLITE_DONE)
		r = sq_step_error(c);
	sqlite3_finalize(st);
	return r;
}

int sq_audit_append(struct mg_store *s, struct mg_audit_record *rec, mg_audit_hash_fn hash_fn,
		    void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int64_t head = 0;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0) {
		r = sq_step_error(c) == MG_ERR_BUSY ? MG_ERR_BUSY : r;
		goto out;
	}
	if ((r = head_read(c, &head, rec->prev_hash)) == 0) {
		rec->seq = head + 1;
		if ((r = hash_fn(arg, rec)) == 0)
			r = record_insert(c, rec);
	}
	r = sq_end(c, r);
out:
	sq_release(c);
	return r;
}

/* A text column into out (bounded): false if it is not text or too long. */
static bool text_read(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
	out[0] = '\0';
	if (sqlite3_column_type(st, col) != SQLITE_TEXT)
		return false;
	return sq_copy_text(st, col, out, outlen) == 0 &&
	       strlen(out) == (size_t)sqlite3_column_bytes(st, col);	/* no NUL inside */
}

static bool hash_read(sqlite3_stmt *st, int col, unsigned char out[MG_AUDIT_HASH_BYTES])
{
	memset(out, 0, MG_AUDIT_HASH_BYTES);
	if (sqlite3_column_type(st, col) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, col) != MG_AUDIT_HASH_BYTES)
		return false;
	memcpy(out, sqlite3_column_blob(st, col), MG_AUDIT_HASH_BYTES);
	return true;
}

static void record_read(sqlite3_stmt *st, struct mg_audit_record *rec)
{
	bool ok = true;

	memset(rec, 0, sizeof(*rec));
	for (int col = 0; col < 4; col++)
		ok = ok && sqlite3_column_type(st, col) == SQLITE_INTEGER;
	rec->seq = sqlite3_column_int64(st, 0);
	rec->time_ms = sqlite3_column_int64(st, 1);
	rec->actor_id = sqlite3_column_int64(st, 2);
	rec->tenant_id = sqlite3_column_int64(st, 3);
	ok = text_read(st, 4, rec->actor, sizeof(rec->actor)) && ok;
	ok = text_read(st, 5, rec->roles, sizeof(rec->roles)) && ok;
	ok = text_read(st, 6, rec->address, sizeof(rec->address)) && ok;
	ok = text_read(st, 7, rec->action, sizeof(rec->action)) && ok;
	ok = text_read(st, 8, rec->object, sizeof(rec->object)) && ok;
	ok = text_read(st, 9, rec->outcome, sizeof(rec->outcome)) && ok;
	ok = text_read(st, 10, rec->details, sizeof(rec->details)) && ok;
	ok = hash_read(st, 11, rec->prev_hash) && ok;
	ok = hash_read(st, 12, rec->hash) && ok;
	rec->malformed = !ok;
}

int sq_audit_list(struct mg_store *s, const struct mg_audit_filter *f, mg_audit_record_cb cb,
		  void *arg)
{
	static const struct mg_audit_filter all;
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct mg_audit_record rec;
	sqlite3_stmt *st = NULL;
	int r, rc = SQLITE_DONE;

	if (f == NULL)
		f = &all;
	if (sqlite3_prepare_v2(c->db, list_sql, -1, &st, NULL) != SQLITE_OK) {
		r = MG_ERR_STORE;
		goto out;
	}
	r = sq_bind(st, SQ_PARAMS(SQ_INT(f->after_seq), SQ_INT(f->since_ms), SQ_INT(f->until_ms),
				  SQ_INT(f->tenant_id), SQ_TEXT(f->object)));
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		record_read(st, &rec);
		r = cb(&rec, arg);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = sq_step_error(c);
out:
	sqlite3_finalize(st);
	sq_release(c);
	return r;
}
