/* "Who accessed my data" (GDPR Art. 15): every audit record about one
 * patient, oldest first, for the clinician to print and hand to the
 * patient. Each in words a patient can read: when, who (the person's
 * name, or the device's), in what role, what was done, how it ended; the
 * codes stay beside them for an auditor. Never an address: where a
 * request came from is the hospital's network, not the patient's
 * business. Asking is itself recorded. */
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "model/audit_words.h"
#include "web/api_handlers.h"

#define NAMES_CACHED 32

/* Who the records name, looked up once each per answer. */
struct accesses {
	struct mg_store *store;
	json_t *list;
	struct {
		int64_t id;
		bool device;
		char name[MG_AUDIT_ACTOR_MAX + 1];	/* a name, or the actor's text */
	} names[NAMES_CACHED];
	size_t nnames;
};

/* The person or device behind rec, as a name a patient can read. */
static const char *person(struct accesses *a, const struct mg_audit_record *rec, bool device)
{
	struct mg_user u;
	struct mg_device d;
	size_t i;

	if (rec->actor_id <= 0)
		return strcmp(rec->actor, "system") == 0 ? "the gateway" : rec->actor;
	for (i = 0; i < a->nnames; i++)
		if (a->names[i].id == rec->actor_id && a->names[i].device == device)
			return a->names[i].name;
	if (a->nnames == NAMES_CACHED)
		a->nnames = 0;	/* a long list: look up again rather than grow */
	i = a->nnames;
	a->names[i].id = rec->actor_id;
	a->names[i].device = device;
	if (device && mg_store_device_by_id(a->store, rec->actor_id, &d) == 0)
		snprintf(a->names[i].name, sizeof(a->names[i].name), "%s", d.name);
	else if (!device && mg_store_user_by_id(a->store, rec->actor_id, &u) == 0)
		snprintf(a->names[i].name, sizeof(a->names[i].name), "%s",
			 u.display_name[0] ? u.display_name : u.name);
	else
		snprintf(a->names[i].name, sizeof(a->names[i].name), "%s", rec->actor);
	a->nnames++;
	return a->names[i].name;
}

static int add_access(const struct mg_audit_record *rec, void *arg)
{
	struct accesses *a = arg;
	char time[MG_TIME_TEXT_LEN] = "", other[MG_AUDIT_ACTION_MAX + 64];
	bool device = strcmp(rec->roles, "device") == 0;
	const char *what = mg_audit_action_words(rec->action);
	const char *roles = rec->roles[0] ? rec->roles
			    : strcmp(rec->actor, "system") == 0 ? "system" : "";

	if (rec->malformed)
		return 0; /* audit verify reports it */
	if (what == NULL) {
		snprintf(other, sizeof(other), "did something else with the patient's data (%s)",
			 rec->action);
		what = other;
	}
	mg_time_format(rec->time_ms, time, sizeof(time));
	return json_array_append_new(
		       a->list,
		       json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "time", time,
				 "person", person(a, rec, device), "role",
				 mg_audit_role_words(roles), "what", what, "result",
				 mg_audit_outcome_words(rec->outcome), "codes", "actor", rec->actor,
				 "roles", rec->roles, "action", rec->action, "outcome",
				 rec->outcome)) == 0
		       ? 0
		       : MG_ERR_NOMEM;
}

enum MHD_Result api_patient_accesses(struct api_request *rq)
{
	int64_t tenant = 0, patient = api_patient_of_path(rq, MG_ACTION_PATIENT_READ, &tenant);
	struct mg_patient_row row;
	struct accesses *a;
	struct mg_audit_filter f;
	char object[64];
	int r;

	if (patient == 0)
		return MHD_YES;
	if (api_audit_first(rq, "audit.patient_report", "patient", patient, tenant, NULL) != 0)
		return MHD_YES;
	mg_audit_object("patient", patient, object, sizeof(object));
	memset(&f, 0, sizeof(f));
	f.tenant_id = tenant;
	f.object = object;
	/* Row ids of erased patients can come again: records from before
	 * this patient's row was made are another patient's. */
	if (mg_store_patient_get(rq->web->store, patient, &row) == 0)
		f.since_ms = row.created_ms;
	if ((a = calloc(1, sizeof(*a))) == NULL || (a->list = json_array()) == NULL) {
		free(a);
		return MHD_NO;
	}
	a->store = rq->web->store;
	r = mg_store_audit_list(rq->web->store, &f, add_access, a);
	if (r != 0) {
		json_decref(a->list);
		free(a);
		return api_store_error(rq, r);
	}
	r = api_json(rq, MHD_HTTP_OK,
		     json_pack("{s:s, s:o}", "patient", rq->params[0], "accesses", a->list));
	free(a);
	return r;
}
