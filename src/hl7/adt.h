/* HL7 v2 ADT (admit, discharge, transfer) from the hospital: the patient
 * identity a feed sends, read into model types (model/patient.h). The
 * events medgate takes: A01 admit, A04 register, A08 update, A28 add
 * person, A31 update person (create or update the identity), A03
 * discharge, A40 merge patient identifiers (PID-3 survives, MRG-1 goes).
 * Errors name the place and the rule, never a value (docs/hl7.md). */
#ifndef MG_HL7_ADT_H
#define MG_HL7_ADT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/limits.h"
#include "hl7/hl7.h"
#include "model/patient.h"

enum mg_adt_event {
	MG_ADT_NONE = 0,
	MG_ADT_A01,
	MG_ADT_A03,
	MG_ADT_A04,
	MG_ADT_A08,
	MG_ADT_A28,
	MG_ADT_A31,
	MG_ADT_A40,
};

struct mg_adt {
	enum mg_adt_event event;
	char patient_id[MG_PATIENT_ID_MAX + 1]; /* PID-3.1 */
	char prior_id[MG_PATIENT_ID_MAX + 1];   /* MRG-1.1, A40 only */
	bool has_identity;                      /* PID-5 holds a family name */
	struct mg_patient_identity identity;    /* PID-5, -7, -8, PV1-3, PV1-19 */
	int64_t event_ms;                       /* PV1-45 (A03), else EVN-2; 0 if none */
};

/* Whether m's MSH-9 names message type ADT. */
bool mg_hl7_is_adt(const struct mg_hl7_msg *m);

/* "A01" ... for event; "" for MG_ADT_NONE. */
const char *mg_adt_event_code(enum mg_adt_event event);

/* Read an ADT message into *out: MSH (ADT, one of the events above,
 * processing id P, version 2.x, a control id), PID-3 an identifier by the
 * model's rules, PID-5 family name required except for A03, MRG-1 for
 * A40, the identity by mg_patient_identity_check with now_ms. Returns 0,
 * MG_ERR_INVALID with *error set (the AR to send), or MG_ERR_NOMEM. */
int mg_hl7_adt_decode(const struct mg_hl7_msg *m, int64_t now_ms, struct mg_adt *out,
		      struct mg_hl7_error *error);

#endif
