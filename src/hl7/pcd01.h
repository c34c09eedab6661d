/* IHE PCD-01 "Communicate PCD Data": HL7 v2.6 ORU^R01 observation reports
 * with IEEE 11073 MDC codes, outbound (a stored measurement for an EMR)
 * and inbound (a device's report into a struct mg_measurement). The exact
 * segments are in docs/hl7.md. */
#ifndef MG_HL7_PCD01_H
#define MG_HL7_PCD01_H

#include <stddef.h>
#include <stdint.h>

#include "hl7/hl7.h"
#include "model/measurement.h"
#include "model/outbound.h"

#define MG_HL7_SENDING_APPLICATION	"MEDGATE"

/* Who sends and who receives, as configured per destination. Every
 * member may be NULL (or 0): the default is given beside it. */
struct mg_hl7_party {
	const char *sending_application;	/* MSH-3, OBR-3 namespace: "MEDGATE" */
	const char *sending_facility;		/* MSH-4: empty */
	const char *receiving_application;	/* MSH-5: empty */
	const char *receiving_facility;		/* MSH-6: empty */
	const char *patient_id_authority;	/* PID-3.4 assigning authority: empty */
	const char *patient_id_type;		/* PID-3.5 identifier type ("MR"): empty */
	char processing_id;			/* MSH-11 'P', 'T' or 'D': 'P' */
};

/* Encode o as a PCD-01 ORU^R01 (MSH, PID, OBR, one device OBX, one NM OBX
 * per value), segments ending in CR, with now_ms as MSH-7. party may be
 * NULL. On success *out (NUL-terminated, *len bytes without the NUL) is
 * the caller's: mg_hl7_buffer_free. Returns 0, MG_ERR_INVALID (o breaks
 * the outbound contract: empty ids, a bad EUI-64, no values, a value
 * without quantity or not finite, a time outside years 0..9999),
 * MG_ERR_LIMIT or MG_ERR_NOMEM. */
int mg_hl7_encode_oru(const struct mg_outbound *o, const struct mg_hl7_party *party,
		      int64_t now_ms, char **out, size_t *len);

/* Read a parsed PCD-01 ORU^R01 from a device into *out, with now_ms for
 * the future-skew check. device_mid is MSH-10 (stable across resends, so
 * the gateway de-duplicates on it), patient_id is PID-3.1, time_ms the
 * one observation time of the values (OBX-14, else OBR-7), and each NM
 * OBX whose OBX-3 is a known MDC code with a matching unit in OBX-6 gives
 * a value; rows without OBX-2 (the device hierarchy) and of other value
 * types are skipped. The result passes the same rules as
 * mg_measurement_check. Returns 0, MG_ERR_INVALID with *error saying what
 * and where (whether that is answered AE or AR is the caller's policy), or
 * MG_ERR_NOMEM. On error *out is all zero. device_id and tenant_id are
 * left 0 for the caller. */
int mg_hl7_oru_to_measurement(const struct mg_hl7_msg *m, int64_t now_ms,
			      struct mg_measurement *out, struct mg_hl7_error *error);

#endif
