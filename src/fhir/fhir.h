/* FHIR R4: one measurement as a transaction Bundle of vital-signs
 * Observations, and the verdict on a FHIR server's answer to it.
 * docs/fhir.md shows a complete Bundle; docs/internals/fhir.md says why it
 * looks the way it does. */
#ifndef MG_FHIR_FHIR_H
#define MG_FHIR_FHIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/outbound.h"

/* What the forwarder sends and asks for (POST to the server's base URL). */
#define MG_FHIR_CONTENT_TYPE	"application/fhir+json"
/* Ask for a small answer: judge() needs only each entry's response.status. */
#define MG_FHIR_PREFER		"return=minimal"

/* Longest server answer mg_fhir_judge() reads; a longer body is a retry.
 * A minimal transaction-response for MG_VALUES_MAX entries is a few KiB,
 * one with every Observation echoed back some 30 KiB. */
#define MG_FHIR_RESPONSE_MAX	(1024 * 1024)
/* Longest identifier system (an absolute URI) in mg_fhir_options. */
#define MG_FHIR_SYSTEM_MAX	255

/* Identifier systems the EMR agrees on: absolute URIs (scheme ":" ...),
 * printable ASCII without space, '|' or '\', at most MG_FHIR_SYSTEM_MAX. */
struct mg_fhir_options {
	/* Observation.subject.identifier.system: the EMR's patient numbers,
	 * e.g. "urn:oid:1.2.36.146.595.217.0.1" or "https://hospital.example/mrn". */
	const char *patient_system;
	/* Bundle.identifier.system and Observation.identifier.system: the
	 * namespace of this gateway's message ids, a URL or urn:oid: of the
	 * site's, e.g. "https://medgate.hospital.example/fhir/message-id". */
	const char *identifier_system;
};

/* 0 if opt's systems are acceptable, else MG_ERR_INVALID with a message
 * naming the bad one in err (for checking the configuration at start). */
int mg_fhir_options_check(const struct mg_fhir_options *opt, char *err, size_t errlen);

/* Encode o as a transaction Bundle: one Observation per value (one blood-
 * pressure panel for all bp_* values), each a conditional create
 * (ifNoneExist on its identifier) so a resend creates nothing twice. The
 * text is the same bytes for the same o on every call. On success
 * *json_out (NUL-terminated, *len_out bytes without the NUL) holds the
 * patient id and is the caller's to release with mg_fhir_free(). Returns 0,
 * MG_ERR_INVALID (bad option, no or duplicate values, a value that is not
 * finite, text that is not UTF-8, malformed EUI-64, no patient id) or
 * MG_ERR_NOMEM; outputs are NULL/0 on error. */
int mg_fhir_bundle(const struct mg_outbound *o, const struct mg_fhir_options *opt,
		   char **json_out, size_t *len_out);

/* A report for the patient file: what the DiagnosticReport says besides
 * its Observations. Texts are UTF-8 without controls, "" when unknown. */
struct mg_fhir_report {
	const char *report_id;	/* Bundle and DiagnosticReport identifier value */
	int64_t issued_ms;	/* when the report was made */
	const char *clinician;	/* performer (display) */
	const char *facility;	/* performer (Organization display) */
	const char *conclusion;	/* the interpretation, as text */
};

/* Encode the n measurements ms (one patient's, n >= 1, each as
 * mg_fhir_bundle takes it) and rp as one transaction Bundle: the
 * Observations of every measurement (the same entries, identifiers and
 * conditional creates as mg_fhir_bundle gives, so nothing is created
 * twice), then a DiagnosticReport (LOINC 85353-1, final) whose result
 * references each Observation's fullUrl, with effectivePeriod from the
 * first to the last measurement. Returns 0, MG_ERR_INVALID (as
 * mg_fhir_bundle, another patient among ms, bad text in rp) or
 * MG_ERR_NOMEM; *json_out as mg_fhir_bundle's. */
int mg_fhir_report(const struct mg_outbound *ms, size_t n, const struct mg_fhir_report *rp,
		   const struct mg_fhir_options *opt, char **json_out, size_t *len_out);

/* Wipe and free a Bundle text from mg_fhir_bundle(). NULL does nothing. */
void mg_fhir_free(char *json, size_t len);

enum mg_fhir_verdict {
	MG_FHIR_DELIVERED,	/* every entry created, or found already there */
	MG_FHIR_RETRY,		/* try again later: server, network, access, load */
	MG_FHIR_REJECTED,	/* the server refuses this message for good */
};

/* Judge a server's answer to a transaction: http_status (0 or negative
 * when there was no answer) and body (len bytes, need not be NUL-
 * terminated; NULL if none). scrub is the patient id that was sent (or
 * NULL): it never appears in why, whatever the server wrote (any case,
 * also percent-encoded). why (whylen > 0) always gets a NUL-terminated
 * one-line reason for the log, cut at a UTF-8 boundary if too long. */
enum mg_fhir_verdict mg_fhir_judge(long http_status, const char *body, size_t len,
				   const char *scrub, char *why, size_t whylen);

/* "delivered", "retry" or "rejected"; never NULL. */
const char *mg_fhir_verdict_name(enum mg_fhir_verdict v);

/* A patient's data export (GDPR Art. 15, docs/patient-rights.md): a
 * FHIR R4 Bundle of type "collection" holding the Patient, every
 * measurement as the Observations mg_fhir_bundle makes of it, the Devices
 * that recorded them, one AuditEvent per EMR delivery (DICOM "Export")
 * and per recorded access to the patient's data (DICOM "Patient Record"),
 * and a Basic resource saying how long the data are kept. Build it with
 * _new, the _add calls in any order, then _finish. Each returns 0,
 * MG_ERR_INVALID (text that is not FHIR text, a bad measurement) or
 * MG_ERR_NOMEM. */
struct mg_fhir_export;

int mg_fhir_export_new(const struct mg_fhir_options *opt, const char *patient_id,
		       struct mg_fhir_export **out);
int mg_fhir_export_measurement(struct mg_fhir_export *x, const struct mg_outbound *o);
/* name: left out if it is no FHIR string; eui64: 16 hex digits or "". */
int mg_fhir_export_device(struct mg_fhir_export *x, const char *name, const char *eui64);
/* state: "pending", "delivered" or "dead"; delivered_ms 0 if not. */
int mg_fhir_export_delivery(struct mg_fhir_export *x, const char *destination,
			    const char *state, int64_t created_ms, int64_t delivered_ms);
int mg_fhir_export_access(struct mg_fhir_export *x, int64_t time_ms, const char *actor,
			  const char *action, bool success);
/* retention: a sentence for people ("kept 365 days after receipt"). On
 * success *json_out is the caller's (mg_fhir_free). x is freed either way. */
int mg_fhir_export_finish(struct mg_fhir_export *x, const char *retention, char **json_out,
			  size_t *len_out);
void mg_fhir_export_free(struct mg_fhir_export *x);

#endif
