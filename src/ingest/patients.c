/* Sealing and opening patient identities, and search tokens. */
#include "ingest/patients.h"

#include <sodium.h>
#include <string.h>

#include "common/err.h"
#include "model/measurement.h"

#define QUERY_WORDS_MAX 16

int mg_patients_index(struct mg_keyring *keys, int64_t tenant_id, const char *pid,
		      unsigned char out[MG_BLIND_INDEX_BYTES])
{
	const struct mg_tenant_key *tk;
	int r;

	if (mg_patient_id_check(pid, strlen(pid), NULL, 0) != 0)
		return MG_ERR_INVALID;
	if ((r = mg_keyring_tenant(keys, tenant_id, &tk)) != 0)
		return r;
	mg_patient_blind_index(tk, pid, strlen(pid), out);
	return 0;
}

/* Add the hash of (kind, text) to tokens unless it is there already. */
static void token_add(const struct mg_tenant_key *tk, enum mg_search_kind kind, const char *text,
		      unsigned char (*tokens)[MG_BLIND_INDEX_BYTES], size_t *n, size_t max,
		      bool *over)
{
	unsigned char h[MG_BLIND_INDEX_BYTES];

	mg_patient_search_token(tk, kind, text, strlen(text), h);
	for (size_t i = 0; i < *n; i++) {
		if (memcmp(tokens[i], h, sizeof(h)) == 0)
			return;
	}
	if (*n == max) {
		*over = true;
		return;
	}
	memcpy(tokens[(*n)++], h, sizeof(h));
}

int mg_patients_seal(struct mg_keyring *keys, int64_t tenant_id, const char *pid,
		     const struct mg_patient_identity *p, int64_t now_ms,
		     struct mg_patient_put *out)
{
	char rec[MG_PATIENT_RECORD_MAX + 1];
	char names[2 * MG_PATIENT_NAME_MAX + 2];
	char words[MG_PATIENT_TOKENS_MAX][MG_PATIENT_TOKEN_MAX + 1];
	const struct mg_tenant_key *tk;
	struct mg_tenant_key *pk = NULL;
	size_t len, nwords;
	bool over = false;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = mg_patients_index(keys, tenant_id, pid, out->blind_index)) != 0 ||
	    (r = mg_keyring_tenant(keys, tenant_id, &tk)) != 0)
		return r;
	out->tenant_id = tenant_id;
	out->now_ms = now_ms;
	out->sealed_id_len = strlen(pid) + MG_SEAL_OVERHEAD;
	/* A new patient key each time: it seals this record (and the
	 * identifier if this makes the patient) and goes with them, so no
	 * look-up of the patient's key can race with another writer. */
	if ((r = mg_patient_key_new(tk, out->key, &pk)) != 0)
		goto out;
	out->key_len = MG_WRAPPED_KEY_BYTES;
	if ((r = mg_patient_seal(pk, pid, strlen(pid), out->sealed_id, sizeof(out->sealed_id))) !=
		0 ||
	    (r = mg_patient_identity_encode(p, rec, sizeof(rec), &len)) != 0)
		goto out;
	out->record_len = len + MG_SEAL_OVERHEAD;
	if ((r = mg_patient_record_seal(pk, rec, len, out->record, sizeof(out->record))) != 0)
		goto out;
	/* Family names first, so a long given name cannot crowd them out. */
	memcpy(names, p->family, strlen(p->family) + 1);
	len = strlen(names);
	names[len] = ' ';
	memcpy(names + len + 1, p->given, strlen(p->given) + 1);
	nwords = mg_name_tokens(names, words, MG_PATIENT_TOKENS_MAX);
	for (size_t i = 0; i < nwords; i++)
		token_add(tk, MG_SEARCH_NAME, words[i], out->tokens, &out->ntokens,
			  MG_PATIENT_PUT_TOKENS_MAX, &over);
	if (p->birth_date[0] != '\0')
		token_add(tk, MG_SEARCH_BIRTH_DATE, p->birth_date, out->tokens, &out->ntokens,
			  MG_PATIENT_PUT_TOKENS_MAX, &over);
out:
	mg_tenant_key_free(pk);
	sodium_memzero(rec, sizeof(rec));
	sodium_memzero(names, sizeof(names));
	sodium_memzero(words, sizeof(words));
	return r;
}

int mg_patients_open(struct mg_keyring *keys, const struct mg_patient_row *row, char *pid,
		     size_t pidlen, struct mg_patient_identity *p, bool *has_identity)
{
	char rec[MG_PATIENT_RECORD_MAX + 1];
	const struct mg_tenant_key *tk;
	struct mg_tenant_key *pk = NULL;
	size_t len;
	int r;

	*has_identity = false;
	memset(p, 0, sizeof(*p));
	/* The identifier and the record each under the key stored with it
	 * (an HL7 merge may have moved the record from another patient). */
	r = mg_keyring_patient(keys, row->tenant_id, row->id_key, row->id_key_len, &tk, &pk);
	if (r == 0)
		r = mg_patient_open(tk, row->sealed_id, row->sealed_id_len, pid, pidlen);
	mg_tenant_key_free(pk);
	pk = NULL;
	if (r != 0 || row->record_len == 0)
		return r;
	r = mg_keyring_patient(keys, row->tenant_id, row->record_key, row->record_key_len, &tk,
			       &pk);
	if (r == 0 && (r = mg_patient_record_open(tk, row->record, row->record_len, rec,
						  sizeof(rec), &len)) == 0) {
		r = mg_patient_identity_parse(rec, len, p) == 0 ? 0 : MG_ERR_STORE;
		*has_identity = r == 0;
	}
	mg_tenant_key_free(pk);
	sodium_memzero(rec, sizeof(rec));
	return r;
}

int mg_patients_query(struct mg_keyring *keys, int64_t tenant_id, const char *text,
		      unsigned char (*tokens)[MG_BLIND_INDEX_BYTES], size_t *n)
{
	char words[QUERY_WORDS_MAX][MG_PATIENT_TOKEN_MAX + 1];
	char part[MG_PATIENT_TOKEN_MAX + 1], date[MG_BIRTH_DATE_LEN + 1];
	const struct mg_tenant_key *tk;
	const char *s = text;
	size_t nwords;
	bool over = false;
	int r;

	*n = 0;
	if ((r = mg_keyring_tenant(keys, tenant_id, &tk)) != 0)
		return r;
	/* Dates first: whitespace-separated words that read as a date. */
	while (*s != '\0') {
		size_t w = strcspn(s, " \t");

		if (w == MG_BIRTH_DATE_LEN) {
			memcpy(part, s, w);
			part[w] = '\0';
			if (mg_date_normalise(part, date) == 0)
				token_add(tk, MG_SEARCH_BIRTH_DATE, date, tokens, n,
					  MG_PATIENT_QUERY_TOKENS_MAX, &over);
		}
		s += w;
		s += strspn(s, " \t");
	}
	/* The rest as names: a date's digits make one-character or number
	 * tokens, which names never hold, so they are skipped. */
	nwords = mg_name_tokens(text, words, QUERY_WORDS_MAX);
	for (size_t i = 0; i < nwords; i++) {
		if (strspn(words[i], "0123456789") == strlen(words[i]))
			continue;
		token_add(tk, MG_SEARCH_NAME, words[i], tokens, n, MG_PATIENT_QUERY_TOKENS_MAX,
			  &over);
	}
	sodium_memzero(words, sizeof(words));
	return over ? MG_ERR_LIMIT : 0;
}
