/* The security officer's view: alerts (list, acknowledge) and the audit
 * trail with filters. Administrators only (MG_ACTION_SECURITY); neither
 * carries patient identifiers: a patient appears as "patient:<row id>". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "web/api_handlers.h"

#define LIST_DEFAULT	100
#define LIST_MAX	1000

json_t *api_alert_json(const struct mg_alert *a)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:I, s:s, s:o, s:o, s:o, s:o}",
			 "id", (json_int_t)a->id, "kind", a->kind, "severity",
			 mg_severity_name(a->severity), "subject", a->subject, "summary",
			 a->summary, "tenant", (json_int_t)a->tenant_id, "first",
			 api_time_json(a->first_ms), "last", api_time_json(a->last_ms), "count",
			 (json_int_t)a->count, "state", mg_alert_state_name(a->state),
			 "acknowledged", api_time_json(a->acknowledged_ms), "acknowledged_by",
			 a->acknowledged_by ? json_integer(a->acknowledged_by) : json_null(),
			 "incident", a->incident_id ? json_integer(a->incident_id) : json_null(),
			 "caused_by", a->caused_by ? json_integer(a->caused_by) : json_null());
}

static int add_alert(const struct mg_alert *a, void *arg)
{
	return json_array_append_new(arg, api_alert_json(a)) == 0 ? 0 : MG_ERR_NOMEM;
}

/* ?name= as a count in 1..LIST_MAX (default LIST_DEFAULT); -1 after a 400. */
static long query_limit(struct api_request *rq)
{
	const char *text = api_query(rq, "limit");
	char *end;
	long v;

	if (text == NULL)
		return LIST_DEFAULT;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || end == text || v < 1 || v > LIST_MAX) {
		api_field_error(rq, "limit", "a number from 1 to 1000");
		return -1;
	}
	return v;
}

/* ?name= as an RFC 3339 time into *ms (unchanged if absent); -1 after a 400. */
static int query_time(struct api_request *rq, const char *name, int64_t *ms)
{
	const char *text = api_query(rq, name);

	if (text == NULL)
		return 0;
	if (mg_time_parse(text, ms) != 0) {
		api_field_error(rq, name, "an RFC 3339 time such as 2026-11-25T08:00:00Z");
		return -1;
	}
	return 0;
}

enum MHD_Result api_alerts_list(struct api_request *rq)
{
	struct mg_alert_filter f = { .state = -1 };
	const char *state = api_query(rq, "state");
	long limit;
	json_t *list;
	int r;

	if ((limit = query_limit(rq)) < 0 || query_time(rq, "since", &f.since_ms) < 0)
		return MHD_YES;
	f.limit = (size_t)limit;
	if (state != NULL) {
		if (strcmp(state, "open") == 0)
			f.state = MG_ALERT_OPEN;
		else if (strcmp(state, "acknowledged") == 0)
			f.state = MG_ALERT_ACKNOWLEDGED;
		else
			return api_field_error(rq, "state", "open or acknowledged");
	}
	list = json_array();
	if ((r = mg_store_alert_list(rq->web->store, &f, add_alert, list)) != 0) {
		json_decref(list);
		return api_store_error(rq, r);
	}
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "alerts", list));
}

enum MHD_Result api_alerts_acknowledge(struct api_request *rq)
{
	int64_t id = api_param_id(rq, 0);
	struct mg_alert a;
	int r;

	if (id < 0)
		return MHD_YES;
	if ((r = mg_store_alert_get(rq->web->store, id, &a)) != 0)
		return r == MG_ERR_NOT_FOUND ? api_not_found(rq) : api_store_error(rq, r);
	/* Nobody reviews their own actions. */
	if (a.caused_by != 0 && a.caused_by == rq->who.user_id) {
		api_audit(rq, "alert.acknowledge", "alert", id, a.tenant_id, MG_AUDIT_DENIED,
			  "{\"reason\":\"own action\"}");
		return api_error(rq, MHD_HTTP_FORBIDDEN, "this alert is about your own action: "
				 "another security officer must acknowledge it");
	}
	if (api_audit_first(rq, "alert.acknowledge", "alert", id, a.tenant_id, NULL) != 0)
		return MHD_YES;
	if ((r = mg_store_alert_acknowledge(rq->web->store, id, rq->who.user_id,
						  mg_now_ms())) != 0) {
		api_audit_act_failed(rq, "alert.acknowledge", "alert", id, a.tenant_id, r);
		return r == MG_ERR_NOT_FOUND ? api_not_found(rq) : api_store_error(rq, r);
	}
	if ((r = mg_store_alert_get(rq->web->store, id, &a)) != 0)
		return api_store_error(rq, r);
	return api_json(rq, MHD_HTTP_OK, api_alert_json(&a));
}

/* The newest `limit` matching records, kept in a ring while the trail is
 * walked in seq order, then answered newest first. */
struct audit_walk {
	const char *action, *actor;	/* prefix / exact filters, NULL: any */
	json_t **ring;
	size_t limit, n, next;
};

static int keep_record(const struct mg_audit_record *rec, void *arg)
{
	struct audit_walk *w = arg;
	char line[MG_AUDIT_JSON_MAX];
	json_t *j;

	if (w->action != NULL && strncmp(rec->action, w->action, strlen(w->action)) != 0)
		return 0;
	if (w->actor != NULL && strcmp(rec->actor, w->actor) != 0)
		return 0;
	if (rec->malformed || mg_audit_record_json(rec, line, sizeof(line)) != 0 ||
	    (j = json_loads(line, 0, NULL)) == NULL)
		j = json_pack("{s:I, s:b}", "seq", (json_int_t)rec->seq, "malformed", 1);
	json_decref(w->ring[w->next]);
	w->ring[w->next] = j;
	w->next = (w->next + 1) % w->limit;
	if (w->n < w->limit)
		w->n++;
	return 0;
}

enum MHD_Result api_audit_list(struct api_request *rq)
{
	struct audit_walk w = { .action = api_query(rq, "action"),
				.actor = api_query(rq, "actor") };
	struct mg_audit_filter f;
	json_t *list;
	long limit;
	int r;

	memset(&f, 0, sizeof(f));
	f.object = api_query(rq, "object");
	if ((limit = query_limit(rq)) < 0 || query_time(rq, "since", &f.since_ms) < 0 ||
	    query_time(rq, "until", &f.until_ms) < 0)
		return MHD_YES;
	if ((f.object && strlen(f.object) > MG_AUDIT_OBJECT_MAX) ||
	    (w.action && strlen(w.action) > MG_AUDIT_ACTION_MAX) ||
	    (w.actor && strlen(w.actor) > MG_AUDIT_ACTOR_MAX))
		return api_error(rq, MHD_HTTP_BAD_REQUEST, "a filter is longer than any value");
	w.limit = (size_t)limit;
	if ((w.ring = calloc(w.limit, sizeof(*w.ring))) == NULL)
		return api_store_error(rq, MG_ERR_NOMEM);
	r = mg_store_audit_list(rq->web->store, &f, keep_record, &w);
	list = json_array();
	for (size_t i = 0; i < w.n; i++) {	/* newest first */
		size_t at = (w.next + w.limit - 1 - i) % w.limit;

		json_array_append(list, w.ring[at]);
	}
	for (size_t i = 0; i < w.limit; i++)
		json_decref(w.ring[i]);
	free(w.ring);
	if (r != 0) {
		json_decref(list);
		return api_store_error(rq, r);
	}
	/* Reading the trail is itself on it; no record, no answer. */
	if (api_audit_first(rq, "audit.read", NULL, 0, 0, NULL) != 0) {
		json_decref(list);
		return MHD_YES;
	}
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "records", list));
}
