/* Compatible products only on the device port: the model a device names in
 * X-Device-Model is checked against [devices] models at enrolment, and a
 * device that later reports another model than it enrolled with is
 * flagged in the inventory and alerted (model/device_model.h). */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "detect/detect.h"
#include "ingest/device_internal.h"

int device_model_of(struct device_request *rq, char model[MG_MODEL_MAX + 1])
{
	const char *v =
	    MHD_lookup_connection_value(rq->connection, MHD_HEADER_KIND, "X-Device-Model");

	model[0] = '\0';
	if (v == NULL)
		return 0;
	if (!mg_model_name_valid(v))
		return MG_ERR_INVALID;
	memcpy(model, v, strlen(v) + 1);
	return 0;
}

int device_model_admit(struct mg_device_port *dp, const char *model, char *why, size_t whylen)
{
	if (dp->models.n == 0 || mg_model_list_find(&dp->models, model) != NULL)
		return 0;
	if (model[0] == '\0')
		snprintf(why, whylen,
			 "this gateway accepts only the device models it lists: "
			 "name the model in X-Device-Model");
	else
		snprintf(why, whylen,
			 "device model %s is not accepted by this gateway "
			 "(not in its list of compatible models)",
			 model);
	return MG_ERR_DENIED;
}

void device_model_note(struct device_request *rq, const char *model)
{
	const struct mg_device *d = &rq->device;
	const char *now = strcmp(model, d->model) == 0 ? "" : model;
	char subject[32];
	int r;

	/* Nothing said, nothing known to compare with, or nothing new. */
	if (model[0] == '\0' || d->model[0] == '\0' || strcmp(now, d->reported_model) == 0)
		return;
	if ((r = mg_store_device_set_reported_model(rq->dp->deps.store, d->id, now)) != 0) {
		mg_log_error("device port: cannot record the model of device %lld: %s",
			     (long long)d->id, mg_strerror(r));
		return;
	}
	if (now[0] == '\0') {
		mg_log_info("device %lld reports its enrolled model %s again", (long long)d->id,
			    d->model);
		return;
	}
	mg_log_warning("device %lld enrolled as model %s reports model %s", (long long)d->id,
		       d->model, model);
	snprintf(subject, sizeof(subject), "device:%lld", (long long)d->id);
	mg_alert_raise(rq->dp->deps.detector, "device.model_mismatch", MG_SEVERITY_HIGH, subject,
		       d->tenant_id,
		       "device %lld enrolled as model %s reports model %s: replaced "
		       "or tampered with? Check it before trusting its measurements",
		       (long long)d->id, d->model, model);
}
