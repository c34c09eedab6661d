/* "Measure now" on the device port (docs/device-api.md, "Orders"): the
 * device asks for its open order and gets the patient's id and initials,
 * so the person at the device sees whom the next measurement goes to. It
 * is the only patient data the device port hands out, and only to the
 * device the clinician chose; the gateway assigns the measurement itself
 * (docs/ward.md), so a device that never asks works the same. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "http/http.h"
#include "ingest/device_internal.h"
#include "ingest/patients.h"

/* "L. M." style: the first letter (a whole UTF-8 character) of the given
 * and the family name; "" for a patient without identity. */
static void initials(const struct mg_patient_identity *p, char *out, size_t outlen)
{
	const char *parts[2] = { p->given, p->family };
	size_t pos = 0;

	out[0] = '\0';
	for (size_t i = 0; i < 2; i++) {
		const unsigned char *s = (const unsigned char *)parts[i];
		size_t n = 1;

		if (s[0] == '\0')
			continue;
		while (n < 4 && (s[n] & 0xc0) == 0x80)
			n++;
		if (pos + n + 3 >= outlen)
			break;
		if (pos > 0)
			out[pos++] = ' ';
		memcpy(out + pos, s, n);
		pos += n;
		out[pos++] = '.';
		out[pos] = '\0';
	}
}

enum MHD_Result device_order(struct device_request *rq)
{
	struct mg_order o;
	struct mg_patient_row row;
	struct mg_patient_identity p;
	char pid[MG_PATIENT_ID_MAX + 1], ini[24], expires[MG_TIME_TEXT_LEN];
	bool has = false;
	json_t *j;
	char *text;
	enum MHD_Result ret;
	json_malloc_t alloc;
	json_free_t release;
	int r;

	r = mg_store_order_pending(rq->dp->deps.store, rq->device.id, mg_now_ms(), &o);
	if (r == MG_ERR_NOT_FOUND)
		return mg_http_bytes(rq->connection, MHD_HTTP_NO_CONTENT, NULL, "", 0);
	if (r == 0 && (r = mg_store_patient_get(rq->dp->deps.store, o.patient_id, &row)) == 0)
		r = mg_patients_open(rq->dp->deps.keys, &row, pid, sizeof(pid), &p, &has);
	if (r != 0)
		return mg_http_error(rq->connection, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "store unavailable, retry later");
	if (has)
		initials(&p, ini, sizeof(ini));
	else
		ini[0] = '\0';
	sodium_memzero(&p, sizeof(p));
	if (mg_time_format(o.expires_ms, expires, sizeof(expires)) != 0)
		expires[0] = '\0';
	j = json_pack("{s:I, s:{s:s, s:s}, s:s}", "order", (json_int_t)o.id, "patient", "id", pid,
		      "initials", ini, "expires", expires);
	sodium_memzero(pid, sizeof(pid));
	text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text == NULL)
		return mg_http_error(rq->connection, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "out of memory, retry later");
	ret = mg_http_bytes(rq->connection, MHD_HTTP_OK, "application/json", text, strlen(text));
	sodium_memzero(text, strlen(text));
	json_get_alloc_funcs(&alloc, &release);
	release(text);
	return ret;
}
