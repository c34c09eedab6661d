/* A stored measurement on its way to an EMR: everything an encoder (HL7
 * v2 or FHIR) needs, with the patient identifier opened for sending. It
 * lives in memory only and is wiped after use. */
#ifndef MG_MODEL_OUTBOUND_H
#define MG_MODEL_OUTBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"
#include "model/measurement.h"

#define MG_MESSAGE_ID_MAX 64

struct mg_outbound {
	/* Stable for this measurement and destination, the same on every
	 * resend, so a receiver can drop duplicates: HL7 MSH-10, FHIR
	 * Observation.identifier / Bundle.identifier. */
	char message_id[MG_MESSAGE_ID_MAX + 1];
	int64_t measurement_id;		/* the gateway's id */
	/* The posting this message is about: HL7 OBR-2 (placer order number)
	 * and the base of each FHIR Observation.identifier. Equal to
	 * message_id for a posting; a withdrawal names the posting it
	 * withdraws. "" is taken as message_id. */
	char posting_id[MG_MESSAGE_ID_MAX + 1];
	/* A withdrawal of posting_id (taken for the wrong patient or entered
	 * in error, docs/ward.md): HL7 OBX-11 W, FHIR status
	 * entered-in-error by a conditional update of the same identifiers. */
	bool withdrawn;
	char patient_id[MG_PATIENT_ID_MAX + 1];	/* clear text: PID-3 / subject */
	int64_t measured_ms;		/* OBX-14 / effectiveDateTime */
	int64_t received_ms;
	int64_t device_id;
	char device_name[MG_NAME_MAX + 1];
	char device_eui64[17];		/* 16 upper-case hex digits: OBX-18 */
	char tenant_name[MG_NAME_MAX + 1];
	size_t nvalues;
	struct mg_value values[MG_VALUES_MAX];	/* quantity points into the table */
};

#endif
