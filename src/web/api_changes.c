/* Changes to review (IEC 80001-1, docs/changes.md): the audit records of
 * changes to what this instance is and whom it trusts, and a security
 * officer's review of each, with a note. No patient data: the actions that
 * are changes (model/review.h) never name a patient. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "web/api_handlers.h"

#define PAGE_DEFAULT 50

static json_t *change_json(const struct mg_change_entry *c)
{
	json_t *details = json_loads(c->details, 0, NULL);

	if (details == NULL)
		details = json_string(c->details);
	return json_pack("{s:I, s:o, s:s, s:s, s:s, s:o, s:b, s:o, s:s?, s:s?}", "id",
			 (json_int_t)c->seq, "time", api_time_json(c->time_ms), "actor", c->actor,
			 "action", c->action, "object", c->object, "details", details, "reviewed",
			 c->reviewed, "reviewed_at", api_time_json(c->reviewed_ms), "reviewer",
			 c->reviewed ? c->reviewer : NULL, "note", c->reviewed ? c->note : NULL);
}

struct page {
	json_t *list;
	int64_t last;
};

static int add_change(const struct mg_change_entry *c, void *arg)
{
	struct page *p = arg;

	p->last = c->seq;
	return json_array_append_new(p->list, change_json(c)) == 0 ? 0 : MG_ERR_NOMEM;
}

/* ?name= as a number in min..max, or def when absent; -1 after a 400. */
static int64_t query_number(struct api_request *rq, const char *name, int64_t def, int64_t min,
			    int64_t max, const char *what)
{
	const char *text = api_query(rq, name);
	char *end;
	long long v;

	if (text == NULL)
		return def;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || end == text || v < min || v > max) {
		api_field_error(rq, name, what);
		return -1;
	}
	return v;
}

enum MHD_Result api_changes_list(struct api_request *rq)
{
	const char *state = api_query(rq, "state");
	struct mg_change_filter f = { .state = MG_CHANGES_UNREVIEWED };
	struct page p = { json_array(), 0 };
	int64_t limit, before, unreviewed = 0;
	int r;

	if (state != NULL && mg_change_state_parse(state, &f.state) != 0) {
		json_decref(p.list);
		return api_field_error(rq, "state", "unreviewed or reviewed");
	}
	if ((limit = query_number(rq, "limit", PAGE_DEFAULT, 1, MG_CHANGE_PAGE_MAX,
				  "a number from 1 to 200")) < 0 ||
	    (before = query_number(rq, "before", 0, 0, INT64_MAX, "a change id")) < 0) {
		json_decref(p.list);
		return MHD_YES;
	}
	f.limit = (unsigned)limit;
	f.before_seq = before;
	if (p.list == NULL)
		return api_store_error(rq, MG_ERR_NOMEM);
	if ((r = mg_store_change_list(rq->web->store, &f, add_change, &p)) != 0 ||
	    (r = mg_store_change_count(rq->web->store, &unreviewed)) != 0) {
		json_decref(p.list);
		return api_store_error(rq, r);
	}
	return api_json(rq, MHD_HTTP_OK,
			json_pack("{s:o, s:I, s:o}", "changes", p.list, "unreviewed",
				  (json_int_t)unreviewed, "next_before",
				  json_array_size(p.list) == f.limit ? json_integer(p.last)
								     : json_null()));
}

/* The audit record seq, if there is one. */
static int record_at(const struct mg_audit_record *rec, void *arg)
{
	*(struct mg_audit_record *)arg = *rec;
	return 1;
}

enum MHD_Result api_changes_review(struct api_request *rq)
{
	int64_t id = api_param_id(rq, 0);
	struct mg_audit_filter af = { .after_seq = id - 1 };
	struct mg_audit_record rec = { 0 };
	const char *note = "";
	char details[64];
	int r;

	if (id < 0 || api_string(rq, "note", false, 0, MG_CHANGE_NOTE_MAX, &note) < 0)
		return MHD_YES;
	r = mg_store_audit_list(rq->web->store, &af, record_at, &rec);
	if (r < 0)
		return api_store_error(rq, r);
	if (rec.seq != id || !mg_change_action(rec.action) || strcmp(rec.outcome, "success") != 0)
		return api_not_found(rq);
	/* Nobody reviews their own changes. */
	if (strcmp(rec.actor, rq->who.name) == 0) {
		api_audit(rq, "change.review", "change", id, rec.tenant_id, MG_AUDIT_DENIED,
			  "{\"reason\":\"own change\"}");
		return api_error(rq, MHD_HTTP_FORBIDDEN, "this is your own change: another "
				 "security officer must review it");
	}
	snprintf(details, sizeof(details), "{\"action\":\"%s\"}", rec.action);
	if (api_audit_first(rq, "change.review", "change", id, rec.tenant_id, details) != 0)
		return MHD_YES;
	r = mg_store_change_review(rq->web->store, id, rq->who.name, mg_now_ms(), note);
	if (r != 0) {
		api_audit_act_failed(rq, "change.review", "change", id, rec.tenant_id, r);
		if (r == MG_ERR_EXISTS)
			return api_error(rq, MHD_HTTP_CONFLICT, "this change is reviewed already");
		return r == MG_ERR_NOT_FOUND ? api_not_found(rq) : api_store_error(rq, r);
	}
	return api_no_content(rq);
}
