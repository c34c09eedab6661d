/* Changes to review on PostgreSQL: audit records of the change actions
 * (model/review.h) joined with their reviews (0017_change_reviews.sql). */
#include "store/postgres/pg_internal.h"

#include <string.h>

#include "common/err.h"

#define CHANGE_WHERE \
	" a.action IN " MG_CHANGE_ACTIONS_SQL " AND a.outcome = 'success'"

static const char list_sql[] =
	"SELECT a.seq, a.time_ms, a.actor, a.action, a.object, a.details,"
	" (r.seq IS NOT NULL)::int, coalesce(r.reviewed_ms, 0), coalesce(r.reviewer, ''),"
	" coalesce(r.note, '')"
	" FROM audit_log a LEFT JOIN change_reviews r ON r.seq = a.seq"
	" WHERE" CHANGE_WHERE " AND ($1 = 0 OR a.seq < $1)"
	" AND (r.seq IS NOT NULL) = ($2 <> 0)"
	" ORDER BY a.seq DESC LIMIT $3";
static const char count_sql[] =
	"SELECT count(*) FROM audit_log a WHERE" CHANGE_WHERE
	" AND NOT EXISTS (SELECT 1 FROM change_reviews r WHERE r.seq = a.seq)";
static const char review_sql[] =
	"INSERT INTO change_reviews (seq, reviewer, reviewed_ms, note)"
	" SELECT a.seq, $2, $3, $4 FROM audit_log a WHERE a.seq = $1 AND" CHANGE_WHERE;

int pg_change_list(struct mg_store *s, const struct mg_change_filter *f, mg_change_cb cb, void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_change_entry e;
	PGresult *res = NULL;
	int r = pg_run(c, list_sql,
		       PG_PARAMS(PG_INT(f->before_seq), PG_INT(f->state == MG_CHANGES_REVIEWED),
				 PG_INT(f->limit)),
		       &res);

	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		memset(&e, 0, sizeof(e));
		e.seq = pg_col_int(res, i, 0);
		e.time_ms = pg_col_int(res, i, 1);
		/* A text too long for its bound (an audit row altered behind
		 * medgate's back) reads as empty, as on SQLite. */
		pg_col_text(res, i, 2, e.actor, sizeof(e.actor));
		pg_col_text(res, i, 3, e.action, sizeof(e.action));
		pg_col_text(res, i, 4, e.object, sizeof(e.object));
		pg_col_text(res, i, 5, e.details, sizeof(e.details));
		e.reviewed = pg_col_int(res, i, 6) != 0;
		e.reviewed_ms = pg_col_int(res, i, 7);
		pg_col_text(res, i, 8, e.reviewer, sizeof(e.reviewer));
		pg_col_text(res, i, 9, e.note, sizeof(e.note));
		r = cb(&e, arg);
	}
	if (res != NULL)
		PQclear(res);
	pg_release(c);
	return r;
}

int pg_change_count(struct mg_store *s, int64_t *unreviewed_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res = NULL;
	int r = pg_query(c, count_sql, PG_NO_PARAMS, &res);

	if (r == 0) {
		*unreviewed_out = pg_col_int(res, 0, 0);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_change_review(struct mg_store *s, int64_t seq, const char *reviewer, int64_t now_ms,
		     const char *note)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int r = pg_write(c, review_sql,
			 PG_PARAMS(PG_INT(seq), PG_TEXT(reviewer), PG_INT(now_ms), PG_TEXT(note)),
			 true, NULL);

	pg_release(c);
	return r;
}
