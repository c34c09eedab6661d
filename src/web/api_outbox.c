/* The EMR queues, for administrators: state per destination, and
 * re-sending dead letters. No patient data. */
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "web/api_handlers.h"

enum MHD_Result api_outbox_status(struct api_request *rq)
{
	const struct mg_config *cfg = rq->web->cfg;
	json_t *list = json_array();
	int64_t now = mg_now_ms();

	for (size_t i = 0; i < cfg->nemr; i++) {
		struct mg_outbox_stats st;
		int r = mg_store_outbox_stats(rq->web->store, cfg->emr[i].name, &st);

		if (r != 0) {
			json_decref(list);
			return api_store_error(rq, r);
		}
		json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:o}", "name",
						      cfg->emr[i].name, "protocol",
						      cfg->emr[i].protocol, "enabled",
						      cfg->emr[i].enabled, "pending",
						      (json_int_t)st.pending, "delivered",
						      (json_int_t)st.delivered, "dead",
						      (json_int_t)st.dead, "oldest_pending_seconds",
						      st.oldest_pending_ms
							      ? json_integer((now - st.oldest_pending_ms) / 1000)
							      : json_null()));
	}
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "destinations", list));
}

enum MHD_Result api_outbox_resend(struct api_request *rq)
{
	const struct mg_config *cfg = rq->web->cfg;
	const char *name = rq->params[0];
	json_t *id = rq->json ? json_object_get(rq->json, "id") : NULL;
	char details[MG_ROUTE_PARAM_MAX + 64];	/* the name is a known EMR name, but gcc cannot know */
	int64_t count;
	bool known = false;
	int r;

	for (size_t i = 0; i < cfg->nemr; i++)
		known = known || strcmp(cfg->emr[i].name, name) == 0;
	if (!known)
		return api_not_found(rq);
	if (id != NULL && (!json_is_integer(id) || json_integer_value(id) <= 0))
		return api_field_error(rq, "id", "an outbox row id");
	snprintf(details, sizeof(details), "{\"destination\":\"%s\",\"id\":%lld}", name,
		 (long long)(id ? json_integer_value(id) : 0));
	if (api_audit_first(rq, "outbox.resend", NULL, 0, 0, details) != 0)
		return MHD_YES;
	if ((r = mg_store_outbox_resend(rq->web->store, name, id ? json_integer_value(id) : 0,
					      mg_now_ms(), &count)) != 0) {
		api_audit_act_failed(rq, "outbox.resend", NULL, 0, 0, r);
		return api_store_error(rq, r);
	}
	mg_log_info("outbox: %lld dead letters of [emr.%s] queued again by account %lld",
		    (long long)count, name, (long long)rq->who.user_id);
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:I}", "requeued", (json_int_t)count));
}
