/* Who a patient is: name, birth date, administrative sex, case number and
 * ward, as one record that is sealed under the tenant's key before it
 * reaches the store (never logged, never in alerts or metrics); the rules
 * every such record passes, whatever brought it (the web interface, an
 * HL7 ADT feed); and the normalised search tokens whose keyed hashes make
 * patients findable without names in clear (docs/patients.md). */
#ifndef MG_MODEL_PATIENT_H
#define MG_MODEL_PATIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/growth.h"

#define MG_PATIENT_NAME_MAX   100  /* family or given name, UTF-8 bytes */
#define MG_PATIENT_CASE_MAX   32   /* case (visit) number */
#define MG_PATIENT_WARD_MAX   64   /* ward or location */
#define MG_PATIENT_RECORD_MAX 1024 /* the record as JSON, before sealing */
#define MG_PATIENT_TOKENS_MAX 12   /* search tokens kept per patient */
#define MG_PATIENT_TOKEN_MAX  40   /* bytes of one normalised token */
#define MG_BIRTH_DATE_LEN     10   /* "YYYY-MM-DD" */

/* Administrative sex as HL7 table 0001 and FHIR know it. */
enum mg_admin_sex {
	MG_ADMIN_SEX_UNKNOWN = 0,
	MG_ADMIN_SEX_FEMALE,
	MG_ADMIN_SEX_MALE,
	MG_ADMIN_SEX_OTHER,
};

struct mg_patient_identity {
	char family[MG_PATIENT_NAME_MAX + 1];
	char given[MG_PATIENT_NAME_MAX + 1];    /* may be "" */
	char birth_date[MG_BIRTH_DATE_LEN + 1]; /* "YYYY-MM-DD" or "" unknown */
	enum mg_admin_sex sex;
	char case_number[MG_PATIENT_CASE_MAX + 1]; /* may be "" */
	char ward[MG_PATIENT_WARD_MAX + 1];        /* may be "" */
};

/* "female", "male", "other", "unknown"; parse answers MG_ERR_INVALID for
 * anything else. The sex the growth references need: MG_SEX_UNKNOWN
 * unless female or male. */
const char *mg_admin_sex_name(enum mg_admin_sex sex);
int mg_admin_sex_parse(const char *text, enum mg_admin_sex *out);
enum mg_sex mg_admin_sex_growth(enum mg_admin_sex sex);

/* Check p, with now_ms for "born in the future": a family name of 1 to
 * MG_PATIENT_NAME_MAX bytes, names, case number and ward well-formed
 * UTF-8 without control characters, a birth date that is "" or a real
 * calendar date between 1880-01-01 and today. Returns 0 or MG_ERR_INVALID
 * with a message naming the field in err (never its value). */
int mg_patient_identity_check(const struct mg_patient_identity *p, int64_t now_ms, char *err,
			      size_t errlen);

/* A birth date "YYYY-MM-DD" as Unix ms at 00:00 UTC; MG_TIME_UNKNOWN
 * for "". Returns 0 or MG_ERR_INVALID. */
int mg_birth_date_ms(const char *date, int64_t *ms_out);

/* A date as a person may type it ("2019-03-14", "14.03.2019") as
 * "YYYY-MM-DD" into out (MG_BIRTH_DATE_LEN + 1 bytes). Returns 0 or
 * MG_ERR_INVALID if text is not a real date in either form. */
int mg_date_normalise(const char *text, char out[MG_BIRTH_DATE_LEN + 1]);

/* The record as compact JSON into buf (at most MG_PATIENT_RECORD_MAX
 * bytes); *len gets its length. Returns 0, MG_ERR_LIMIT or MG_ERR_NOMEM.
 * parse reads it back (MG_ERR_INVALID for anything else). */
int mg_patient_identity_encode(const struct mg_patient_identity *p, char *buf, size_t size,
			       size_t *len);
int mg_patient_identity_parse(const char *buf, size_t len, struct mg_patient_identity *out);

/* The name tokens of text, normalised the same way for storing and for
 * searching: split at anything that is not a letter or digit, lower-case,
 * Latin letters with diacritics folded to their base letters ("Müller",
 * "MUELLER" -> "muller", "mueller"; "ß" -> "ss"), tokens of one character
 * dropped, duplicates dropped, at most max, each cut to
 * MG_PATIENT_TOKEN_MAX bytes. Returns the count. */
size_t mg_name_tokens(const char *text, char (*tokens)[MG_PATIENT_TOKEN_MAX + 1], size_t max);

#endif
