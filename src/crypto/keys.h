/* Keys at rest (libsodium). A master key file wraps one data key per
 * tenant; a tenant key seals patient identifiers (XChaCha20-Poly1305) and
 * makes them findable through a keyed hash (blind index). Erasing a
 * tenant's wrapped key erases its patients' identifiers for good. */
#ifndef MG_CRYPTO_KEYS_H
#define MG_CRYPTO_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define MG_KEY_BYTES		32
#define MG_WRAPPED_KEY_BYTES	(24 + MG_KEY_BYTES + 16)	/* nonce, key, tag */
#define MG_BLIND_INDEX_BYTES	32
#define MG_SEAL_OVERHEAD	(24 + 16)			/* nonce, tag */
#define MG_TOKEN_HASH_BYTES	32
#define MG_TOKEN_TEXT_LEN	43	/* 32 random bytes, base64url, no padding */

/* Initialise libsodium once per process. Returns 0 or MG_ERR_CRYPTO. */
int mg_crypto_init(void);

/* The instance master key, in memory that is locked and wiped on free. */
struct mg_master_key;

/* Create a new random master key file at path (mode 0600, never
 * overwriting). Returns 0, MG_ERR_EXISTS or MG_ERR_IO. */
int mg_master_key_create(const char *path);

/* Key rotation. A master key file holds 32 bytes (the instance key: every
 * key below is derived from it) or, once rotated, 64: the instance key
 * and a separate wrapping key that wraps the tenant keys. Rotation
 * replaces only the wrapping key: what else is derived from the instance
 * key (the audit chain's MAC and checkpoint signing key, token hashes,
 * sealed instance secrets) must stay as it is for the audit trail to
 * verify and sessions, tokens and second factors to keep working.
 * mg_master_key_create_rotated writes to new_path (mode 0600, never
 * overwriting) old_path's instance key and a new random wrapping key.
 * Returns 0, MG_ERR_EXISTS, MG_ERR_IO or MG_ERR_CRYPTO (not a key file). */
int mg_master_key_create_rotated(const char *old_path, const char *new_path);

/* Re-wrap a tenant key made under from so that to opens it, into out.
 * Returns 0 or MG_ERR_CRYPTO (from does not open it). */
int mg_tenant_key_rewrap(const struct mg_master_key *from, const struct mg_master_key *to,
			 const unsigned char *wrapped, size_t wrapped_len,
			 unsigned char out[MG_WRAPPED_KEY_BYTES]);

/* Load the master key from path. Refuses (MG_ERR_DENIED) a file readable
 * by group or others. *out is the caller's (mg_master_key_free). */
int mg_master_key_load(const char *path, struct mg_master_key **out);
void mg_master_key_free(struct mg_master_key *mk);

/* Make a new random tenant data key and wrap it with the master key into
 * wrapped (MG_WRAPPED_KEY_BYTES). Returns 0 or MG_ERR_CRYPTO. */
int mg_tenant_key_new(const struct mg_master_key *mk, unsigned char *wrapped);

/* A tenant's unwrapped keys: one for sealing, one for the blind index. */
struct mg_tenant_key;

/* Unwrap a tenant key. MG_ERR_CRYPTO if it was not made with this master
 * key or was altered. *out is the caller's (mg_tenant_key_free). */
int mg_tenant_key_open(const struct mg_master_key *mk, const unsigned char *wrapped,
		       size_t wrapped_len, struct mg_tenant_key **out);
void mg_tenant_key_free(struct mg_tenant_key *tk);

/* A patient's data key: random, wrapped by the tenant key into wrapped
 * (MG_WRAPPED_KEY_BYTES), stored with the patient (docs/patients.md).
 * What *out holds is used like a tenant key with mg_patient_seal/open
 * and mg_patient_record_seal/open, which then seal under the patient's
 * key; its blind-index and value keys are the tenant's, so search and
 * values stay tenant-wide. Deleting the wrapped key makes what it sealed
 * unreadable. *out is the caller's (mg_tenant_key_free). Returns 0,
 * MG_ERR_NOMEM, or MG_ERR_CRYPTO (open: another tenant's, or altered). */
int mg_patient_key_new(const struct mg_tenant_key *tk, unsigned char *wrapped,
		       struct mg_tenant_key **out);
int mg_patient_key_open(const struct mg_tenant_key *tk, const unsigned char *wrapped,
			size_t wrapped_len, struct mg_tenant_key **out);

/* mg_patient_key_new and mg_patient_seal of id in one step, without the
 * guarded allocation (a few system calls): the ingest pipeline does this
 * for every measurement. Returns 0 or MG_ERR_LIMIT (outlen too small). */
int mg_patient_seal_new_key(const struct mg_tenant_key *tk, const char *id, size_t len,
			    unsigned char *wrapped, unsigned char *out, size_t outlen);

/* Seal a patient identifier of len bytes: out gets len + MG_SEAL_OVERHEAD
 * bytes. Returns 0 or MG_ERR_LIMIT if outlen is too small. */
int mg_patient_seal(const struct mg_tenant_key *tk, const char *id, size_t len,
		    unsigned char *out, size_t outlen);

/* Open a sealed identifier into id (NUL-terminated, at most idlen - 1
 * bytes). Returns 0, MG_ERR_CRYPTO (altered or another tenant's) or
 * MG_ERR_LIMIT. */
int mg_patient_open(const struct mg_tenant_key *tk, const unsigned char *sealed,
		    size_t sealed_len, char *id, size_t idlen);

/* The blind index of a patient identifier: equal identifiers of one tenant
 * give equal indexes; nothing about the identifier can be learnt from it
 * without the tenant key. */
void mg_patient_blind_index(const struct mg_tenant_key *tk, const char *id, size_t len,
			    unsigned char out[MG_BLIND_INDEX_BYTES]);

/* A patient's identity record (model/patient.h, as JSON) sealed under the
 * tenant key: out gets len + MG_SEAL_OVERHEAD bytes. Bound to its purpose
 * (it cannot be passed off as a sealed identifier, nor one as it).
 * Returns 0 or MG_ERR_LIMIT. open: 0, MG_ERR_CRYPTO (altered or another
 * tenant's) or MG_ERR_LIMIT; rec gets *len_out bytes, NUL-terminated. */
int mg_patient_record_seal(const struct mg_tenant_key *tk, const char *rec, size_t len,
			   unsigned char *out, size_t outlen);
int mg_patient_record_open(const struct mg_tenant_key *tk, const unsigned char *sealed,
			   size_t sealed_len, char *rec, size_t reclen, size_t *len_out);

/* Measurement values at rest: each value sealed on its own under the
 * tenant's value key (a subkey of the tenant key), bound to the row it
 * belongs to. Changing the sealed bytes, or moving them to another row
 * (another tenant, device, device measurement id, position, quantity or
 * unit), makes the open fail. */
#define MG_VALUE_SEALED_BYTES	(8 + MG_SEAL_OVERHEAD)	/* a double, nonce, tag */

struct mg_value_site {
	int64_t tenant_id;
	int64_t device_id;
	const char *device_mid;
	int64_t position;
	const char *quantity;
	const char *unit;
};

/* Seal value for site into out. Returns 0. */
int mg_value_seal(const struct mg_tenant_key *tk, const struct mg_value_site *site, double value,
		  unsigned char out[MG_VALUE_SEALED_BYTES]);

/* Open what mg_value_seal made for the same site. Returns 0 or
 * MG_ERR_CRYPTO (altered, another row's, or another tenant's). */
int mg_value_open(const struct mg_tenant_key *tk, const struct mg_value_site *site,
		  const unsigned char *sealed, size_t sealed_len, double *value);

/* What patients are searched by, kept as keyed hashes with the tenant's
 * blind-index key, each kind in its own domain (a name token never equals
 * a birth date's or an identifier's index). */
enum mg_search_kind { MG_SEARCH_NAME = 1, MG_SEARCH_BIRTH_DATE = 2 };
void mg_patient_search_token(const struct mg_tenant_key *tk, enum mg_search_kind kind,
			     const char *text, size_t len, unsigned char out[MG_BLIND_INDEX_BYTES]);

/* Make a random one-time token as text (MG_TOKEN_TEXT_LEN chars + NUL in
 * text) and its hash to store. Returns 0 or MG_ERR_LIMIT. */
int mg_token_new(const struct mg_master_key *mk, char *text, size_t textlen,
		 unsigned char hash[MG_TOKEN_HASH_BYTES]);

/* Hash a presented token the way mg_token_new did. Tokens are compared by
 * their keyed hash, so a stolen database gives no usable token. */
void mg_token_hash(const struct mg_master_key *mk, const char *text, size_t len,
		   unsigned char hash[MG_TOKEN_HASH_BYTES]);

/* Seal a small secret of the instance (a TOTP secret) with a key derived
 * from the master key, binding it to context (e.g. "totp:42"). out gets
 * len + MG_SEAL_OVERHEAD bytes. Returns 0 or MG_ERR_LIMIT. */
int mg_secret_seal(const struct mg_master_key *mk, const char *context,
		   const unsigned char *secret, size_t len, unsigned char *out, size_t outlen);

/* Open what mg_secret_seal made with the same context into out (at most
 * outlen bytes; *len_out gets the length). Returns 0, MG_ERR_CRYPTO or
 * MG_ERR_LIMIT. */
int mg_secret_open(const struct mg_master_key *mk, const char *context,
		   const unsigned char *sealed, size_t sealed_len, unsigned char *out,
		   size_t outlen, size_t *len_out);

/* The audit trail's keys, derived from the master key (src/audit/). */
#define MG_AUDIT_MAC_BYTES		32
#define MG_AUDIT_SIGNATURE_BYTES	64	/* Ed25519 */
#define MG_AUDIT_PUBLIC_KEY_BYTES	32

/* The keyed hash (BLAKE2b, audit subkey) of len bytes of data into out. */
void mg_audit_mac(const struct mg_master_key *mk, const unsigned char *data, size_t len,
		  unsigned char out[MG_AUDIT_MAC_BYTES]);

/* Sign msg with the instance's audit checkpoint key (Ed25519, its seed
 * derived from the master key); anyone with the public key can check it. */
void mg_audit_sign(const struct mg_master_key *mk, const unsigned char *msg, size_t len,
		   unsigned char sig[MG_AUDIT_SIGNATURE_BYTES]);

/* The public half of the checkpoint key, for auditors to keep elsewhere. */
void mg_audit_public_key(const struct mg_master_key *mk,
			 unsigned char pk[MG_AUDIT_PUBLIC_KEY_BYTES]);

#endif
