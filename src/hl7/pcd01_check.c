/* The measurement rules for an inbound PCD-01 report: what the HL7 reader
 * found goes into a struct mg_measurement, field by field, and the model's
 * rules (model/measurement.c) judge it, as they judge every transport's. */
#include <string.h>

#include "common/err.h"
#include "hl7/internal.h"
#include "model/measurement.h"

int hl7_reading_validate(const struct hl7_reading *r, int64_t now_ms,
			 struct mg_measurement *out, char *err, size_t errlen)
{
	size_t mid_len = strlen(r->device_mid), patient_len = strlen(r->patient_id);
	int rc;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	/* The identifiers are checked before they are copied: they come from
	 * the message with any length. */
	if ((rc = mg_device_mid_check(r->device_mid, mid_len, err, errlen)) != 0 ||
	    (rc = mg_measurement_time_check(r->time_ms, now_ms, err, errlen)) != 0 ||
	    (rc = mg_patient_id_check(r->patient_id, patient_len, err, errlen)) != 0)
		return rc;
	if (r->nvalues > MG_VALUES_MAX) {
		mg_measurement_error(err, errlen, "values: more than %d entries", MG_VALUES_MAX);
		return MG_ERR_INVALID;
	}
	memcpy(out->device_mid, r->device_mid, mid_len);
	memcpy(out->patient_id, r->patient_id, patient_len);
	out->time_ms = r->time_ms;
	out->nvalues = r->nvalues;
	for (size_t i = 0; i < r->nvalues; i++) {
		out->values[i].quantity = r->quantity[i];
		out->values[i].value = r->value[i];
	}
	if ((rc = mg_measurement_check(out, now_ms, err, errlen)) != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
