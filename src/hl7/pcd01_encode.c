/* The PCD-01 ORU^R01 medgate sends to an EMR (docs/hl7.md shows a whole
 * message and cites the sources for each convention).
 *
 * Every value that comes from configuration or from the measurement goes
 * through hl7_out_text, which escapes the delimiters, so a patient id or
 * facility name can never add a field or a segment. Codes come from the
 * quantity table (src/ingest/quantity.c), the one place they live. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "hl7/internal.h"
#include "hl7/pcd01.h"

#define ORU_MESSAGE_TYPE	"ORU^R01^ORU_R01"
#define ORU_VERSION		"2.6"
/* Enhanced mode as PCD-01 asks: an accept ACK always, no application ACK. */
#define ORU_ACK_TYPES		"AL|NE"
#define ORU_CHARSET		"UNICODE UTF-8"
#define PCD01_PROFILE		"IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO"
/* OBR-4: SNOMED CT 182777000 "monitoring of patient", as in PCD-01. */
#define PCD01_SERVICE		"182777000^monitoring of patient^SCT"
/* The device as a whole: IEEE 11073 MDC_MOC_VMS_MDS_SIMP (1::37), the
 * medical device system of a personal health device. */
#define DEVICE_MDS_CODE		"65573^MDC_MOC_VMS_MDS_SIMP^MDC"
/* OBX-11 of a measured value: R, "results entered, not verified" (HL7
 * table 0085): a device reading nobody has validated yet. */
#define VALUE_RESULT_STATUS	"R"
/* OBX-11 of a value withdrawn (docs/ward.md): W, "post original as
 * wrong, e.g. transmitted for wrong patient" (HL7 v2.6 table 0085), in a
 * message whose OBR-2 names the posting withdrawn. */
#define WITHDRAWN_RESULT_STATUS	"W"
#define NUMBER_TEXT_MAX		40

static const char *or_default(const char *s, const char *fallback)
{
	return s != NULL ? s : fallback;
}

static int valid_eui64(const char *s)
{
	if (strnlen(s, 17) != 16)
		return 0;
	for (int i = 0; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

static int check_outbound(const struct mg_outbound *o, const struct mg_hl7_party *p)
{
	if (strnlen(o->message_id, sizeof(o->message_id)) == 0 ||
	    strnlen(o->message_id, sizeof(o->message_id)) > MG_MESSAGE_ID_MAX ||
	    strnlen(o->patient_id, sizeof(o->patient_id)) == 0 ||
	    strnlen(o->patient_id, sizeof(o->patient_id)) > MG_PATIENT_ID_MAX ||
	    strnlen(o->posting_id, sizeof(o->posting_id)) > MG_MESSAGE_ID_MAX)
		return MG_ERR_INVALID;
	if (strnlen(o->device_eui64, sizeof(o->device_eui64)) > 0 && !valid_eui64(o->device_eui64))
		return MG_ERR_INVALID;
	if (o->nvalues == 0 || o->nvalues > MG_VALUES_MAX)
		return MG_ERR_INVALID;
	for (size_t i = 0; i < o->nvalues; i++)
		if (o->values[i].quantity == NULL || !isfinite(o->values[i].value))
			return MG_ERR_INVALID;
	if (p != NULL && p->processing_id != 0 && p->processing_id != 'P' &&
	    p->processing_id != 'T' && p->processing_id != 'D')
		return MG_ERR_INVALID;
	return 0;
}

/* The shortest decimal text that reads back as d, without an exponent
 * (HL7 NM is [+|-]digits[.digits]) and with '.' whatever the locale. */
static int format_nm(double d, char *buf, size_t buflen)
{
	int r = -1;

	for (int precision = 1; precision <= 17; precision++) {
		r = snprintf(buf, buflen, "%.*g", precision, d);
		if (r > 0 && (size_t)r < buflen && strtod(buf, NULL) == d)
			break;
	}
	if (r <= 0 || (size_t)r >= buflen)
		return MG_ERR_INVALID;
	if (strpbrk(buf, "eE") != NULL) {
		/* Far outside every quantity's range; still never an exponent. */
		r = snprintf(buf, buflen, "%.*f", fabs(d) < 1 ? 20 : 0, d);
		if (r <= 0 || (size_t)r >= buflen)
			return MG_ERR_INVALID;
		if (strchr(buf, '.') != NULL) {
			size_t n = (size_t)r;

			while (n > 0 && buf[n - 1] == '0')
				buf[--n] = '\0';
			if (n > 0 && buf[n - 1] == '.')
				buf[--n] = '\0';
		}
	}
	for (const char *p = buf; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			return MG_ERR_INVALID;
	return 0;
}

static void put_msh(struct hl7_out *out, const struct mg_outbound *o,
		    const struct mg_hl7_party *p, const char *now)
{
	char processing[2] = { p->processing_id ? p->processing_id : 'P', '\0' };

	hl7_out_str(out, "MSH|^~\\&|");
	hl7_out_text(out, or_default(p->sending_application, MG_HL7_SENDING_APPLICATION));
	hl7_out_str(out, "|");
	hl7_out_text(out, or_default(p->sending_facility, ""));
	hl7_out_str(out, "|");
	hl7_out_text(out, or_default(p->receiving_application, ""));
	hl7_out_str(out, "|");
	hl7_out_text(out, or_default(p->receiving_facility, ""));
	hl7_out_printf(out, "|%s||" ORU_MESSAGE_TYPE "|", now);
	hl7_out_text(out, o->message_id);
	hl7_out_printf(out, "|%s|" ORU_VERSION "|||" ORU_ACK_TYPES "||" ORU_CHARSET "|||"
		       PCD01_PROFILE "\r", processing);
}

/* PID-3 is the patient id (a CX); PID-5 is required by HL7 but medgate
 * holds no names: an empty name of type U, "unspecified" (table 0200). */
static void put_pid(struct hl7_out *out, const struct mg_outbound *o,
		    const struct mg_hl7_party *p)
{
	const char *authority = or_default(p->patient_id_authority, "");
	const char *type = or_default(p->patient_id_type, "");

	hl7_out_str(out, "PID|||");
	hl7_out_text(out, o->patient_id);
	if (authority[0] != '\0' || type[0] != '\0') {
		hl7_out_str(out, "^^^");
		hl7_out_text(out, authority);
		if (type[0] != '\0') {
			hl7_out_str(out, "^");
			hl7_out_text(out, type);
		}
	}
	hl7_out_str(out, "||^^^^^^U\r");
}

static void put_obr(struct hl7_out *out, const struct mg_outbound *o,
		    const struct mg_hl7_party *p, const char *measured)
{
	hl7_out_str(out, "OBR|1||");
	hl7_out_text(out, o->posting_id[0] != '\0' ? o->posting_id : o->message_id);
	hl7_out_str(out, "^");
	hl7_out_text(out, or_default(p->sending_application, MG_HL7_SENDING_APPLICATION));
	hl7_out_printf(out, "|" PCD01_SERVICE "|||%s\r", measured);
}

/* OBX-18, the equipment instance identifier (EI): entity id, namespace,
 * universal id, universal id type. Called with OBX-14 just written. */
static void put_equipment(struct hl7_out *out, const struct mg_outbound *o)
{
	if (o->device_eui64[0] == '\0')
		return;
	hl7_out_printf(out, "||||%s^^%s^EUI-64", o->device_eui64, o->device_eui64);
}

static int put_values(struct hl7_out *out, const struct mg_outbound *o, const char *measured)
{
	char number[NUMBER_TEXT_MAX];
	int r;

	/* OBX-4 is <MDS>.<VMD>.<CHAN>.<METRIC>: one device (1), no VMD or
	 * channel level (0), metrics numbered from 1. */
	hl7_out_str(out, "OBX|1||" DEVICE_MDS_CODE "|1.0.0.0|||||||X");
	if (o->device_eui64[0] != '\0') {
		hl7_out_str(out, "|||");	/* OBX-12..14 empty */
		put_equipment(out, o);
	}
	hl7_out_str(out, "\r");
	for (size_t i = 0; i < o->nvalues; i++) {
		const struct mg_quantity *q = o->values[i].quantity;

		if ((r = format_nm(o->values[i].value, number, sizeof(number))) != 0)
			return r;
		hl7_out_printf(out, "OBX|%zu|NM|%lu^", i + 2, (unsigned long)q->mdc_code);
		hl7_out_text(out, q->mdc_name);
		hl7_out_printf(out, "^MDC|1.0.0.%zu|%s|%lu^", i + 1, number,
			       (unsigned long)q->mdc_unit_code);
		hl7_out_text(out, q->mdc_unit_name);
		hl7_out_printf(out, "^MDC|||||%s|||%s",
			       o->withdrawn ? WITHDRAWN_RESULT_STATUS : VALUE_RESULT_STATUS,
			       measured);
		put_equipment(out, o);
		hl7_out_str(out, "\r");
	}
	return 0;
}

int mg_hl7_encode_oru(const struct mg_outbound *o, const struct mg_hl7_party *party,
		      int64_t now_ms, char **out, size_t *len)
{
	static const struct mg_hl7_party defaults;
	const struct mg_hl7_party *p = party != NULL ? party : &defaults;
	char now[HL7_DTM_LEN], measured[HL7_DTM_LEN];
	struct hl7_out b;
	int r;

	*out = NULL;
	*len = 0;
	if ((r = check_outbound(o, party)) != 0 ||
	    (r = hl7_dtm_format(now_ms, now)) != 0 ||
	    (r = hl7_dtm_format(o->measured_ms, measured)) != 0)
		return r;
	hl7_out_init(&b, MG_HL7_MESSAGE_MAX);
	put_msh(&b, o, p, now);
	put_pid(&b, o, p);
	put_obr(&b, o, p, measured);
	if ((r = put_values(&b, o, measured)) != 0) {
		hl7_out_discard(&b);
		return r;
	}
	return hl7_out_finish(&b, out, len);
}
