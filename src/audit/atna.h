/* Audit records as DICOM audit messages (DICOM PS3.15 Annex A.5, the form
 * IHE ATNA sends to an audit record repository). The mapping table is in
 * atna.c and docs/audit.md. A patient appears only as the gateway's row
 * id "patient:<n>", as in the record: nothing is looked up or added. */
#ifndef MG_AUDIT_ATNA_H
#define MG_AUDIT_ATNA_H

#include <stdbool.h>
#include <stddef.h>

#include "model/audit_record.h"

/* Who sends: AuditSourceID (the host name) and AuditEnterpriseSiteID (the
 * instance id; "" leaves it out). */
struct mg_atna_source {
	const char *source_id;
	const char *site_id;
};

/* What a record maps to (the codes are DICOM "DCM" code values). */
struct mg_atna_event {
	const char *event_id;		/* "110114" */
	const char *event_name;		/* "User Authentication" */
	const char *type_code;		/* "110122", or NULL for none */
	const char *type_name;		/* "Login" */
	char action_code;		/* EventActionCode: C R U D E */
	int outcome;			/* EventOutcomeIndicator: 0 4 8 12 */
};

/* The mapping of rec (by action and outcome). Never fails: an action the
 * table does not know is Application Activity. */
void mg_atna_event_of(const struct mg_audit_record *rec, struct mg_atna_event *out);

/* Largest document mg_atna_format makes for any valid record, details
 * included (a unit test checks the worst case). */
#define MG_ATNA_XML_MAX 7168

/* rec as one XML document on one line (no newline, UTF-8, every text
 * escaped, invalid UTF-8 replaced by U+FFFD) into buf; *len_out its
 * length. with_details false leaves out the record's details (the
 * fallback when a message must be shorter). Returns 0 or MG_ERR_LIMIT
 * if buflen is too small (buf is then ""). */
int mg_atna_format(const struct mg_audit_record *rec, const struct mg_atna_source *src,
		   bool with_details, char *buf, size_t buflen, size_t *len_out);

#endif
