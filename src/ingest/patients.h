/* Patient identity between the clear world and the store: sealing an
 * identity and its search tokens under the tenant's key for the store
 * (mg_store_patient_put), opening a stored row again, and turning a
 * search text into token hashes. One path for every source: the web
 * interface and the HL7 ADT feed both come through here. Nothing here
 * logs a name, a birth date or an identifier. */
#ifndef MG_INGEST_PATIENTS_H
#define MG_INGEST_PATIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/keyring.h"
#include "model/patient.h"
#include "store/store.h"

/* Fill out for mg_store_patient_put: pid (checked by the model's rules)
 * sealed with its blind index, p sealed as the record, and the hashes of
 * its name tokens and birth date. p must have passed
 * mg_patient_identity_check. Returns 0, MG_ERR_INVALID (pid), MG_ERR_LIMIT
 * or the keyring's error (MG_ERR_NOT_FOUND: no such tenant). */
int mg_patients_seal(struct mg_keyring *keys, int64_t tenant_id, const char *pid,
		     const struct mg_patient_identity *p, int64_t now_ms,
		     struct mg_patient_put *out);

/* The blind index of pid in tenant_id. Returns 0, MG_ERR_INVALID (not a
 * patient identifier) or the keyring's error. */
int mg_patients_index(struct mg_keyring *keys, int64_t tenant_id, const char *pid,
		      unsigned char out[MG_BLIND_INDEX_BYTES]);

/* Open a stored row: its identifier into pid (MG_PATIENT_ID_MAX + 1
 * bytes) and, if it has one, its identity into *p (*has_identity).
 * Returns 0 or MG_ERR_CRYPTO / MG_ERR_STORE. */
int mg_patients_open(struct mg_keyring *keys, const struct mg_patient_row *row, char *pid,
		     size_t pidlen, struct mg_patient_identity *p, bool *has_identity);

/* A search text as token hashes of tenant_id: words that are dates
 * ("2019-03-14", "14.03.2019") search the birth date, the others the
 * name tokens (mg_name_tokens). At most MG_PATIENT_QUERY_TOKENS_MAX
 * distinct tokens; *n gets the count (0: nothing searchable). Returns 0,
 * MG_ERR_LIMIT (too many words) or the keyring's error. */
int mg_patients_query(struct mg_keyring *keys, int64_t tenant_id, const char *text,
		      unsigned char (*tokens)[MG_BLIND_INDEX_BYTES], size_t *n);

#endif
