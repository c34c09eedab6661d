/* Reading HL7 v2 ADT messages into a patient identity (hl7/adt.h). */
#include "hl7/adt.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "hl7/internal.h"
#include "model/measurement.h"

static const struct {
	const char *code;
	enum mg_adt_event event;
} events[] = {
    {"A01", MG_ADT_A01}, {"A03", MG_ADT_A03}, {"A04", MG_ADT_A04}, {"A08", MG_ADT_A08},
    {"A28", MG_ADT_A28}, {"A31", MG_ADT_A31}, {"A40", MG_ADT_A40},
};

const char *mg_adt_event_code(enum mg_adt_event event)
{
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		if (events[i].event == event)
			return events[i].code;
	}
	return "";
}

bool mg_hl7_is_adt(const struct mg_hl7_msg *m)
{
	char type[8];

	return mg_hl7_text(m, 0, 9, 1, type, sizeof(type)) == 0 && strcmp(type, "ADT") == 0;
}

/* The text at seg's field.component.subcomponent (1 = first) into out; a
 * bad escape or a value longer than out is a data type error there. */
static int text(const struct mg_hl7_msg *m, size_t seg, unsigned field, unsigned component,
		unsigned sub, char *out, size_t size, struct mg_hl7_error *error)
{
	const struct mg_hl7_pos pos = {field, 1, component, sub};
	int r = mg_hl7_text_at(m, seg, &pos, out, size);

	if (r == 0)
		return 0;
	hl7_error_set(error, MG_HL7_DATA_TYPE_ERROR, mg_hl7_segment_id(m, seg), 1, field,
		      "%s-%u: %s", mg_hl7_segment_id(m, seg), field,
		      r == MG_ERR_LIMIT ? "value too long" : "bad escape sequence");
	return MG_ERR_INVALID;
}

static int header(const struct mg_hl7_msg *m, struct mg_adt *out, struct mg_hl7_error *error)
{
	char t[16];

	if (text(m, 0, 9, 2, 1, t, sizeof(t), error) != 0)
		return MG_ERR_INVALID;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		if (strcmp(t, events[i].code) == 0)
			out->event = events[i].event;
	}
	if (out->event == MG_ADT_NONE) {
		hl7_error_set(error, MG_HL7_UNSUPPORTED_EVENT_CODE, "MSH", 1, 9,
			      "MSH-9: trigger event not supported (A01 A03 A04 A08 A28 A31 A40)");
		return MG_ERR_INVALID;
	}
	if (text(m, 0, 11, 1, 1, t, sizeof(t), error) != 0)
		return MG_ERR_INVALID;
	if (strcmp(t, "P") != 0) {
		hl7_error_set(error, MG_HL7_UNSUPPORTED_PROCESSING_ID, "MSH", 1, 11,
			      "MSH-11: processing id must be P (production)");
		return MG_ERR_INVALID;
	}
	if (text(m, 0, 12, 1, 1, t, sizeof(t), error) != 0)
		return MG_ERR_INVALID;
	if (strncmp(t, "2.", 2) != 0) {
		hl7_error_set(error, MG_HL7_UNSUPPORTED_VERSION_ID, "MSH", 1, 12,
			      "MSH-12: version must be HL7 2.x");
		return MG_ERR_INVALID;
	}
	return 0;
}

/* An identifier (PID-3.1, MRG-1.1) by the model's rules. */
static int identifier(const struct mg_hl7_msg *m, size_t seg, unsigned field, char *out,
		      size_t size, struct mg_hl7_error *error)
{
	const char *id = mg_hl7_segment_id(m, seg);

	if (text(m, seg, field, 1, 1, out, size, error) != 0)
		return MG_ERR_INVALID;
	if (out[0] == '\0') {
		hl7_error_set(error, MG_HL7_REQUIRED_FIELD_MISSING, id, 1, field,
			      "%s-%u: patient identifier is empty", id, field);
		return MG_ERR_INVALID;
	}
	if (mg_patient_id_check(out, strlen(out), NULL, 0) != 0) {
		hl7_error_set(error, MG_HL7_DATA_TYPE_ERROR, id, 1, field,
			      "%s-%u: patient identifier: 1 to %d of A-Z a-z 0-9 - . _ : /", id,
			      field, MG_PATIENT_ID_MAX);
		return MG_ERR_INVALID;
	}
	return 0;
}

static const struct {
	char hl7;
	enum mg_admin_sex sex;
} sexes[] = {
    {'F', MG_ADMIN_SEX_FEMALE}, {'M', MG_ADMIN_SEX_MALE},    {'O', MG_ADMIN_SEX_OTHER},
    {'A', MG_ADMIN_SEX_OTHER},  {'N', MG_ADMIN_SEX_UNKNOWN}, {'U', MG_ADMIN_SEX_UNKNOWN},
};

/* Latin-1 text (MSH-18 8859/1) as UTF-8, in place within size bytes.
 * Returns 0 or MG_ERR_LIMIT. */
static int latin1_to_utf8(char *s, size_t size)
{
	size_t n = strlen(s), extra = 0;

	for (size_t i = 0; i < n; i++)
		extra += (unsigned char)s[i] >= 0x80;
	if (n + extra + 1 > size)
		return MG_ERR_LIMIT;
	s[n + extra] = '\0';
	for (size_t i = n; i-- > 0;) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x80) {
			s[i + extra] = (char)ch;
			continue;
		}
		s[i + extra] = (char)(0x80 | (ch & 0x3f));
		extra--;
		s[i + extra] = (char)(0xc0 | (ch >> 6));
	}
	return 0;
}

/* The character set MSH-18 names: UTF-8 (also when empty, as medgate's
 * own messages are), or ISO 8859-1, converted; anything else AR. */
static int charset(const struct mg_hl7_msg *m, bool *latin1, struct mg_hl7_error *error)
{
	char cs[32];

	*latin1 = false;
	if (text(m, 0, 18, 1, 1, cs, sizeof(cs), error) != 0)
		return MG_ERR_INVALID;
	if (strcmp(cs, "8859/1") == 0)
		*latin1 = true;
	else if (cs[0] != '\0' && strcmp(cs, "UNICODE UTF-8") != 0 && strcmp(cs, "ASCII") != 0) {
		hl7_error_set(error, MG_HL7_TABLE_VALUE_NOT_FOUND, "MSH", 1, 18,
			      "MSH-18: character set not supported (UNICODE UTF-8, 8859/1, ASCII)");
		return MG_ERR_INVALID;
	}
	return 0;
}

static int identity(const struct mg_hl7_msg *m, size_t pid, int64_t now_ms, struct mg_adt *out,
		    struct mg_hl7_error *error)
{
	struct mg_patient_identity *p = &out->identity;
	char dtm[32], sex[4], why[160];
	size_t pv1;
	bool known = false, latin1;

	if (charset(m, &latin1, error) != 0)
		return MG_ERR_INVALID;
	if (text(m, pid, 5, 1, 1, p->family, sizeof(p->family), error) != 0 ||
	    text(m, pid, 5, 2, 1, p->given, sizeof(p->given), error) != 0 ||
	    text(m, pid, 7, 1, 1, dtm, sizeof(dtm), error) != 0 ||
	    text(m, pid, 8, 1, 1, sex, sizeof(sex), error) != 0)
		return MG_ERR_INVALID;
	if (latin1 && (latin1_to_utf8(p->family, sizeof(p->family)) != 0 ||
		       latin1_to_utf8(p->given, sizeof(p->given)) != 0)) {
		hl7_error_set(error, MG_HL7_DATA_TYPE_ERROR, "PID", 1, 5, "PID-5: value too long");
		return MG_ERR_INVALID;
	}
	out->has_identity = p->family[0] != '\0';
	if (!out->has_identity && out->event != MG_ADT_A03) {
		hl7_error_set(error, MG_HL7_REQUIRED_FIELD_MISSING, "PID", 1, 5,
			      "PID-5: family name is empty");
		return MG_ERR_INVALID;
	}
	if (dtm[0] != '\0') {
		if (strlen(dtm) < 8) {
			hl7_error_set(error, MG_HL7_DATA_TYPE_ERROR, "PID", 1, 7,
				      "PID-7: birth date must be YYYYMMDD");
			return MG_ERR_INVALID;
		}
		snprintf(p->birth_date, sizeof(p->birth_date), "%.4s-%.2s-%.2s", dtm, dtm + 4,
			 dtm + 6);
	}
	for (size_t i = 0; i < sizeof(sexes) / sizeof(sexes[0]); i++) {
		if (sex[0] == sexes[i].hl7 && sex[1] == '\0') {
			p->sex = sexes[i].sex;
			known = true;
		}
	}
	if (!known && sex[0] != '\0') {
		hl7_error_set(error, MG_HL7_TABLE_VALUE_NOT_FOUND, "PID", 1, 8,
			      "PID-8: administrative sex not in HL7 table 0001 (F M O U A N)");
		return MG_ERR_INVALID;
	}
	if (mg_hl7_segment_find(m, "PV1", 1, &pv1) == 0 &&
	    (text(m, pv1, 3, 1, 1, p->ward, sizeof(p->ward), error) != 0 ||
	     text(m, pv1, 19, 1, 1, p->case_number, sizeof(p->case_number), error) != 0))
		return MG_ERR_INVALID;
	if (latin1 && (latin1_to_utf8(p->ward, sizeof(p->ward)) != 0 ||
		       latin1_to_utf8(p->case_number, sizeof(p->case_number)) != 0)) {
		hl7_error_set(error, MG_HL7_DATA_TYPE_ERROR, "PV1", 1, 3, "PV1: value too long");
		return MG_ERR_INVALID;
	}
	if (out->has_identity && mg_patient_identity_check(p, now_ms, why, sizeof(why)) != 0) {
		/* The model names the field; map it to where it came from. */
		unsigned field = strncmp(why, "birth", 5) == 0 ? 7 : 5;

		hl7_error_set(error, MG_HL7_DATA_TYPE_ERROR, "PID", 1, field, "PID-%u: %s", field,
			      why);
		return MG_ERR_INVALID;
	}
	return 0;
}

/* When it happened: PV1-45 for a discharge, else EVN-2; 0 if neither. */
static void event_time(const struct mg_hl7_msg *m, struct mg_adt *out)
{
	char dtm[40] = "";
	size_t seg;

	if (out->event == MG_ADT_A03 && mg_hl7_segment_find(m, "PV1", 1, &seg) == 0)
		(void)mg_hl7_text(m, seg, 45, 1, dtm, sizeof(dtm));
	if (dtm[0] == '\0' && mg_hl7_segment_find(m, "EVN", 1, &seg) == 0)
		(void)mg_hl7_text(m, seg, 2, 1, dtm, sizeof(dtm));
	if (dtm[0] == '\0' || hl7_dtm_parse(dtm, &out->event_ms) != 0)
		out->event_ms = 0;
}

int mg_hl7_adt_decode(const struct mg_hl7_msg *m, int64_t now_ms, struct mg_adt *out,
		      struct mg_hl7_error *error)
{
	size_t pid, mrg;
	int r;

	memset(out, 0, sizeof(*out));
	if (!mg_hl7_is_adt(m)) {
		hl7_error_set(error, MG_HL7_UNSUPPORTED_MESSAGE_TYPE, "MSH", 1, 9,
			      "MSH-9: not an ADT message");
		return MG_ERR_INVALID;
	}
	if ((r = header(m, out, error)) != 0)
		goto fail;
	if (mg_hl7_segment_find(m, "PID", 1, &pid) != 0) {
		hl7_error_set(error, MG_HL7_SEGMENT_SEQUENCE_ERROR, "PID", 0, 0,
			      "PID segment missing");
		r = MG_ERR_INVALID;
		goto fail;
	}
	if ((r = identifier(m, pid, 3, out->patient_id, sizeof(out->patient_id), error)) != 0 ||
	    (r = identity(m, pid, now_ms, out, error)) != 0)
		goto fail;
	if (out->event == MG_ADT_A40) {
		if (mg_hl7_segment_find(m, "MRG", 1, &mrg) != 0) {
			hl7_error_set(error, MG_HL7_SEGMENT_SEQUENCE_ERROR, "MRG", 0, 0,
				      "MRG segment missing (A40)");
			r = MG_ERR_INVALID;
			goto fail;
		}
		if ((r = identifier(m, mrg, 1, out->prior_id, sizeof(out->prior_id), error)) != 0)
			goto fail;
	}
	event_time(m, out);
	return 0;
fail:
	sodium_memzero(out, sizeof(*out));
	return r;
}
