/* Changes to review on SQLite: audit records of the change actions
 * (model/review.h) joined with their reviews (0017_change_reviews.sql). */
#include "store/sqlite/sq_internal.h"

#include <string.h>

#include "common/err.h"

#define CHANGE_WHERE \
	" a.action IN " MG_CHANGE_ACTIONS_SQL " AND a.outcome = 'success'"

static const char list_sql[] =
	"SELECT a.seq, a.time_ms, a.actor, a.action, a.object, a.details,"
	" r.seq IS NOT NULL, coalesce(r.reviewed_ms, 0), coalesce(r.reviewer, ''),"
	" coalesce(r.note, '')"
	" FROM audit_log a LEFT JOIN change_reviews r ON r.seq = a.seq"
	" WHERE" CHANGE_WHERE " AND (?1 = 0 OR a.seq < ?1)"
	" AND (r.seq IS NOT NULL) = ?2"
	" ORDER BY a.seq DESC LIMIT ?3";
static const char count_sql[] =
	"SELECT count(*) FROM audit_log a WHERE" CHANGE_WHERE
	" AND NOT EXISTS (SELECT 1 FROM change_reviews r WHERE r.seq = a.seq)";
static const char review_sql[] =
	"INSERT INTO change_reviews (seq, reviewer, reviewed_ms, note)"
	" SELECT a.seq, ?2, ?3, ?4 FROM audit_log a WHERE a.seq = ?1 AND" CHANGE_WHERE;

struct walk {
	mg_change_cb cb;
	void *arg;
};

static int change_row(sqlite3_stmt *st, void *arg)
{
	struct walk *w = arg;
	struct mg_change_entry e;

	memset(&e, 0, sizeof(e));
	e.seq = sqlite3_column_int64(st, 0);
	e.time_ms = sqlite3_column_int64(st, 1);
	/* A text too long for its bound (an audit row altered behind
	 * medgate's back) reads as empty rather than hiding the change;
	 * medgatectl audit verify reports the row. */
	sq_copy_text(st, 2, e.actor, sizeof(e.actor));
	sq_copy_text(st, 3, e.action, sizeof(e.action));
	sq_copy_text(st, 4, e.object, sizeof(e.object));
	sq_copy_text(st, 5, e.details, sizeof(e.details));
	e.reviewed = sqlite3_column_int64(st, 6) != 0;
	e.reviewed_ms = sqlite3_column_int64(st, 7);
	sq_copy_text(st, 8, e.reviewer, sizeof(e.reviewer));
	sq_copy_text(st, 9, e.note, sizeof(e.note));
	return w->cb(&e, w->arg);
}

int sq_change_list(struct mg_store *s, const struct mg_change_filter *f, mg_change_cb cb, void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct walk w = { cb, arg };
	int r = sq_run_each(c, list_sql,
			    SQ_PARAMS(SQ_INT(f->before_seq), SQ_INT(f->state == MG_CHANGES_REVIEWED),
				      SQ_INT(f->limit)),
			    change_row, &w);

	sq_release(c);
	return r;
}

static int count_row(sqlite3_stmt *st, void *arg)
{
	*(int64_t *)arg = sqlite3_column_int64(st, 0);
	return 0;
}

int sq_change_count(struct mg_store *s, int64_t *unreviewed_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r = sq_run_each(c, count_sql, SQ_NO_PARAMS, count_row, unreviewed_out);

	sq_release(c);
	return r;
}

int sq_change_review(struct mg_store *s, int64_t seq, const char *reviewer, int64_t now_ms,
		     const char *note)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r = sq_run_write(c, review_sql,
			     SQ_PARAMS(SQ_INT(seq), SQ_TEXT(reviewer), SQ_INT(now_ms), SQ_TEXT(note)),
			     true);

	sq_release(c);
	return r;
}
