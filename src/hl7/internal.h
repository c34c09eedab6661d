/* Shared by the files of src/hl7 only: the message layout, a bounded
 * output buffer, escaping and HL7 date-times. Nothing outside src/hl7
 * includes this header. */
#ifndef MG_HL7_INTERNAL_H
#define MG_HL7_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "hl7/hl7.h"
#include "model/measurement.h"

/* The five encoding characters of a message (MSH-1 and MSH-2). */
struct hl7_delimiters {
	char field, component, repetition, escape, subcomponent;
};

/* The standard set, which every message medgate writes uses. */
extern const struct hl7_delimiters hl7_standard_delimiters;

struct hl7_segment {
	uint32_t offset, length;	/* into text, terminator excluded */
	char id[4];
};

struct mg_hl7_msg {
	char *text;			/* a copy of the message */
	size_t length;
	struct hl7_delimiters delimiters;
	size_t nsegments;
	struct hl7_segment segments[];
};

/* Fill *error (may be NULL) with code, location and a printf-style text. */
__attribute__((format(printf, 6, 7)))
void hl7_error_set(struct mg_hl7_error *error, unsigned code, const char *segment,
		   unsigned sequence, unsigned field, const char *fmt, ...);

/* Decode the escapes of raw[0..len) into out (NUL-terminated). Returns 0,
 * MG_ERR_INVALID or MG_ERR_LIMIT; out is "" on error. */
int hl7_unescape(const struct hl7_delimiters *d, const char *raw, size_t len,
		 char *out, size_t outsize);

/* A growing output buffer with a hard maximum and a sticky error: after a
 * failed append every later append does nothing and hl7_out_finish
 * returns the first error. Contents are wiped when freed. */
struct hl7_out {
	char *buf;
	size_t len, cap, max;
	int error;
};

void hl7_out_init(struct hl7_out *o, size_t max);
void hl7_out_raw(struct hl7_out *o, const char *s, size_t n);
void hl7_out_str(struct hl7_out *o, const char *s);		/* raw, NUL-terminated */
/* Append s with every delimiter and control byte escaped (standard set). */
void hl7_out_text(struct hl7_out *o, const char *s);
__attribute__((format(printf, 2, 3)))
void hl7_out_printf(struct hl7_out *o, const char *fmt, ...);
/* Hand the NUL-terminated text to the caller (mg_hl7_buffer_free) or, on
 * a sticky error, free it and return the error. */
int hl7_out_finish(struct hl7_out *o, char **out, size_t *len);
void hl7_out_discard(struct hl7_out *o);

/* "YYYYMMDDHHMMSS.SSS+0000" plus NUL. */
#define HL7_DTM_LEN 24

/* Format Unix ms as an HL7 DTM in UTC. Returns 0 or MG_ERR_INVALID (year
 * outside 0..9999). */
int hl7_dtm_format(int64_t ms, char buf[HL7_DTM_LEN]);

/* Read an HL7 DTM of at least minute precision with a mandatory UTC
 * offset (YYYYMMDDHHMM[SS[.S[S[S[S]]]]]+/-ZZZZ) into Unix ms. Returns 0
 * or MG_ERR_INVALID. */
int hl7_dtm_parse(const char *text, int64_t *ms);

/* What mg_hl7_oru_to_measurement read from a message, before the
 * measurement rules run on it. */
struct hl7_reading {
	const char *device_mid;		/* decoded MSH-10 */
	const char *patient_id;		/* decoded PID-3.1 */
	int64_t time_ms;
	size_t nvalues;			/* up to MG_VALUES_MAX + 1, so "too many" shows */
	const struct mg_quantity *quantity[MG_VALUES_MAX + 1];
	double value[MG_VALUES_MAX + 1];
};

/* Run the model's rules (mg_measurement_check) on r into *out.
 * Returns 0, MG_ERR_INVALID with err "path: message" in the validator's
 * terms (path "id", "time", "patient.id", "values", "values[i].value",
 * ...), MG_ERR_RANGE for a value out of its range, or MG_ERR_NOMEM. */
int hl7_reading_validate(const struct hl7_reading *r, int64_t now_ms,
			 struct mg_measurement *out, char *err, size_t errlen);


#endif
