/* The firmware releases devices update to (docs/device-api.md, "Firmware"):
 * for device administrators, and for a service technician watching a
 * rollout inside a grant of scope firmware. Import stays on the host
 * (medgatectl firmware import): it checks the maker's signature with keys
 * only root may change. No patient data here. */
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "web/api_handlers.h"

#define LIST_MAX 500

struct listing {
	json_t *list;
	int64_t now;
	char model[MG_MODEL_MAX + 1];	/* the model of the row before */
};

static int add(const struct mg_firmware_release *rel, void *arg)
{
	struct listing *l = arg;
	/* Rows come by model, newest first: the first of a model is what
	 * its devices are offered, unless it has expired. */
	bool newest = strcmp(l->model, rel->model) != 0;

	snprintf(l->model, sizeof(l->model), "%s", rel->model);
	return json_array_append_new(
		       l->list,
		       json_pack("{s:s, s:s, s:I, s:I, s:s, s:o, s:o, s:b, s:b}", "model", rel->model,
				 "version", rel->version, "sequence", (json_int_t)rel->sequence,
				 "size", (json_int_t)rel->size, "sha256", rel->sha256, "expires",
				 api_time_json(rel->expires_ms), "imported",
				 api_time_json(rel->imported_ms), "newest", newest, "offered",
				 newest && rel->expires_ms > l->now)) == 0
		       ? 0
		       : MG_ERR_NOMEM;
}

enum MHD_Result api_firmware_list(struct api_request *rq)
{
	struct listing l = { json_array(), mg_now_ms(), "" };
	int r;

	if (l.list == NULL)
		return MHD_NO;
	if ((r = mg_store_firmware_list(rq->web->store, LIST_MAX, add, &l)) != 0) {
		json_decref(l.list);
		return api_store_error(rq, r);
	}
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "releases", l.list));
}
