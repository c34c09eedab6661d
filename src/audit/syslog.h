/* Audit records as syslog messages: RFC 5424 with the DICOM audit
 * message (atna.h) as MSG, framed for RFC 5425 (TLS) by octet counting.
 * docs/audit.md ("Export to syslog") shows a message. */
#ifndef MG_AUDIT_SYSLOG_H
#define MG_AUDIT_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "model/audit_record.h"

/* RFC 5424 field bounds (section 6) and ours. */
#define MG_SYSLOG_HOSTNAME_MAX	255
#define MG_SYSLOG_MSGID_MAX	32
#define MG_SYSLOG_SITE_ID_MAX	64
/* A whole message, framing excluded: RFC 5425 receivers SHOULD take 8192
 * octets (rsyslog's default limit is 8096 before its own header); every
 * valid record fits, its details left out if need be (a unit test checks
 * the worst case). */
#define MG_SYSLOG_MESSAGE_MAX	8000
/* "LEN SP" in front of a message. */
#define MG_SYSLOG_FRAME_PREFIX_MAX 8

/* The sending side, the same for every message. */
struct mg_syslog_origin {
	int facility;					/* 0 to 23 */
	char hostname[MG_SYSLOG_HOSTNAME_MAX + 1];	/* printable ASCII, or "-" */
	char procid[16];
	char site_id[MG_SYSLOG_SITE_ID_MAX + 1];	/* instance id, "" = none */
};

/* Fill o with facility, this machine's host name (characters RFC 5424
 * does not allow become '_'; cut at 255) and process id, and site_id
 * (may be NULL; longer ones are cut). */
void mg_syslog_origin_init(struct mg_syslog_origin *o, int facility, const char *site_id);

/* The facility code of a name: "authpriv" 10, "auth" 4, "audit" 13,
 * "local0".."local7" 16..23. Returns 0 or MG_ERR_INVALID. */
int mg_syslog_facility(const char *name, int *code_out);

/* The severity of rec: an "alert.*" record's details "severity" critical
 * 2, high 3, medium 4, low 5 (4 if missing or unknown); any other record
 * 6 (informational) on success, 5 (notice) otherwise. */
int mg_syslog_severity(const struct mg_audit_record *rec);

/* in as an RFC 5424 PARAM-VALUE (section 6.3.3: '"', '\' and ']' get a
 * backslash) into out. Returns 0 or MG_ERR_LIMIT (out is then ""). */
int mg_syslog_param_escape(const char *in, char *out, size_t outlen);

/* rec as one RFC 5424 message (no framing, no newline) into buf of at
 * least MG_SYSLOG_MESSAGE_MAX + 1 bytes:
 *   <PRI>1 TIMESTAMP HOSTNAME medgate PROCID MSGID [medgate@32473 seq=".."
 *   hash=".."][origin ...] BOM <AuditMessage>...
 * MSGID is the action, cut to 32 characters; when the details do not fit
 * the XML goes without them and the structured data says
 * truncated="details". Returns 0, or MG_ERR_LIMIT if buflen is smaller. */
int mg_syslog_format(const struct mg_audit_record *rec, const struct mg_syslog_origin *o,
		     char *buf, size_t buflen, size_t *len_out);

/* The RFC 5425 frame prefix "LEN " for a message of len bytes into
 * prefix (MG_SYSLOG_FRAME_PREFIX_MAX bytes); returns its length. */
size_t mg_syslog_frame_prefix(size_t len, char prefix[MG_SYSLOG_FRAME_PREFIX_MAX]);

#endif
