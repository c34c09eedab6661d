/* GET /api/v1/advisories: the installed components that a known advisory
 * affects and whether a newer medgate exists (docs/sbom.md). Security
 * officers and administrators (MG_ACTION_SECURITY); no patient data:
 * package names, versions and advisory ids. */
#include "web/advisories.h"

#include "common/err.h"
#include "model/settings.h"
#include "web/api_handlers.h"

static int add_finding(const struct mg_advisory_finding *a, void *arg)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o}", "package", a->package,
			      "source", a->source, "advisory", a->id, "installed", a->installed,
			      "fixed", a->fixed[0] ? json_string(a->fixed) : json_null(), "summary",
			      a->summary, "imported", api_time_json(a->imported_ms));

	return json_array_append_new(arg, o) == 0 ? 0 : MG_ERR_NOMEM;
}

/* A setting that holds a JSON object, or null when never set. */
static int setting_json(struct mg_store *store, const char *name, json_t **out)
{
	char value[MG_SETTING_VALUE_MAX + 1];
	int r = mg_store_setting_get(store, name, value, sizeof(value));

	*out = NULL;
	if (r == MG_ERR_NOT_FOUND) {
		*out = json_null();
		return 0;
	}
	if (r != 0)
		return r;
	*out = json_loads(value, 0, NULL);
	return json_is_object(*out) ? 0 : MG_ERR_STORE;
}

int mg_advisory_report(struct mg_store *store, json_t **out)
{
	json_t *import = NULL, *update = NULL, *affected = json_array();
	int r;

	*out = NULL;
	if (affected == NULL)
		return MG_ERR_NOMEM;
	if ((r = setting_json(store, MG_SETTING_ADVISORIES_IMPORT, &import)) != 0 ||
	    (r = setting_json(store, MG_SETTING_UPDATE_NOTICE, &update)) != 0 ||
	    (r = mg_store_advisory_list(store, add_finding, affected)) != 0) {
		json_decref(import);
		json_decref(update);
		json_decref(affected);
		return r;
	}
	*out =
	    json_pack("{s:o, s:o, s:o}", "import", import, "affected", affected, "update", update);
	return *out != NULL ? 0 : MG_ERR_NOMEM;
}

enum MHD_Result api_advisories_list(struct api_request *rq)
{
	json_t *report;
	int r = mg_advisory_report(rq->web->store, &report);

	return r != 0 ? api_store_error(rq, r) : api_json(rq, MHD_HTTP_OK, report);
}
