#include "crypto/keys.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/file.h"

/* Context strings of crypto_kdf: exactly 8 bytes each. */
#define KDF_CONTEXT_MASTER	"mgmaster"
#define KDF_CONTEXT_TENANT	"mgtenant"
#define KDF_CONTEXT_PATIENT	"mgpatien"
enum { SUBKEY_WRAP = 1, SUBKEY_TOKEN = 2, SUBKEY_SECRET = 3, SUBKEY_SEAL = 1, SUBKEY_BLIND = 2,
       SUBKEY_VALUE = 3, SUBKEY_PATIENT_WRAP = 4 };
/* The audit trail's keys (src/audit/): a MAC key chaining its records and
 * the seed of the Ed25519 key signing its checkpoints. */
enum { SUBKEY_AUDIT_MAC = 4, SUBKEY_AUDIT_SIGN = 5 };

static const unsigned char wrap_ad[] = "medgate tenant key v1";
static const unsigned char seal_ad[] = "medgate patient identifier v1";
static const unsigned char record_ad[] = "medgate patient record v1";
static const unsigned char value_ad[] = "medgate measurement value v1";
static const unsigned char patient_key_ad[] = "medgate patient key v1";

struct mg_master_key {
	unsigned char wrap[MG_KEY_BYTES];	/* wraps tenant keys */
	unsigned char token[MG_KEY_BYTES];	/* keys token hashes */
	unsigned char secret[MG_KEY_BYTES];	/* seals instance secrets */
	unsigned char audit[MG_KEY_BYTES];	/* keys the audit chain's hashes */
	unsigned char audit_sign[crypto_sign_SECRETKEYBYTES];	/* signs checkpoints */
};

struct mg_tenant_key {
	unsigned char seal[MG_KEY_BYTES];
	unsigned char blind[MG_KEY_BYTES];
	unsigned char value[MG_KEY_BYTES];	/* seals measurement values */
	unsigned char patient_wrap[MG_KEY_BYTES];	/* wraps patient keys */
};

int mg_crypto_init(void)
{
	return sodium_init() < 0 ? MG_ERR_CRYPTO : 0;
}

int mg_master_key_create(const char *path)
{
	unsigned char key[MG_KEY_BYTES];
	int r;

	randombytes_buf(key, sizeof(key));
	r = mg_file_create(path, key, sizeof(key), 0600);
	sodium_memzero(key, sizeof(key));
	return r;
}

/* The audit keys come from the master key, so no further key file is
 * needed: the signing key is the same on every start, and its public half
 * can be handed to an auditor once. */
static int audit_keys_derive(struct mg_master_key *mk, const unsigned char *raw)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	int rc;

	crypto_kdf_derive_from_key(mk->audit, sizeof(mk->audit), SUBKEY_AUDIT_MAC,
				   KDF_CONTEXT_MASTER, raw);
	crypto_kdf_derive_from_key(seed, sizeof(seed), SUBKEY_AUDIT_SIGN, KDF_CONTEXT_MASTER, raw);
	rc = crypto_sign_seed_keypair(pk, mk->audit_sign, seed);
	sodium_memzero(seed, sizeof(seed));
	return rc == 0 ? 0 : MG_ERR_CRYPTO;
}

int mg_master_key_load(const char *path, struct mg_master_key **out)
{
	struct mg_master_key *mk = NULL;
	char *raw = NULL;
	size_t len = 0;
	mode_t mode;
	int r;

	*out = NULL;
	if ((r = mg_file_check_private(path, &mode)) != 0)
		return r;
	if ((r = mg_file_read(path, 4096, &raw, &len)) != 0)
		return r;
	if (len != MG_KEY_BYTES && len != 2 * MG_KEY_BYTES) {
		r = MG_ERR_CRYPTO;
		goto out;
	}
	if ((mk = sodium_malloc(sizeof(*mk))) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	/* A rotated file's wrapping key is its second half. */
	crypto_kdf_derive_from_key(mk->wrap, sizeof(mk->wrap), SUBKEY_WRAP, KDF_CONTEXT_MASTER,
				   (const unsigned char *)raw + (len - MG_KEY_BYTES));
	crypto_kdf_derive_from_key(mk->token, sizeof(mk->token), SUBKEY_TOKEN,
				   KDF_CONTEXT_MASTER, (const unsigned char *)raw);
	crypto_kdf_derive_from_key(mk->secret, sizeof(mk->secret), SUBKEY_SECRET,
				   KDF_CONTEXT_MASTER, (const unsigned char *)raw);
	if ((r = audit_keys_derive(mk, (const unsigned char *)raw)) != 0) {
		sodium_free(mk);
		mk = NULL;
		goto out;
	}
	sodium_mprotect_readonly(mk);
	*out = mk;
	r = 0;
out:
	if (raw != NULL) {
		sodium_memzero(raw, len);
		free(raw);
	}
	return r;
}

int mg_master_key_create_rotated(const char *old_path, const char *new_path)
{
	unsigned char key[2 * MG_KEY_BYTES];
	char *raw = NULL;
	size_t len = 0;
	int r;

	if ((r = mg_file_read(old_path, 4096, &raw, &len)) != 0)
		return r;
	if (len == MG_KEY_BYTES || len == 2 * MG_KEY_BYTES) {
		memcpy(key, raw, MG_KEY_BYTES);
		randombytes_buf(key + MG_KEY_BYTES, MG_KEY_BYTES);
		r = mg_file_create(new_path, key, sizeof(key), 0600);
		sodium_memzero(key, sizeof(key));
	} else {
		r = MG_ERR_CRYPTO;
	}
	sodium_memzero(raw, len);
	free(raw);
	return r;
}

void mg_master_key_free(struct mg_master_key *mk)
{
	if (mk != NULL)
		sodium_free(mk);	/* wipes */
}

/* Unwrap a tenant data key into key (MG_KEY_BYTES). */
static int tenant_key_unwrap(const struct mg_master_key *mk, const unsigned char *wrapped,
			     size_t wrapped_len, unsigned char *key)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

	if (wrapped_len != MG_WRAPPED_KEY_BYTES)
		return MG_ERR_CRYPTO;
	return crypto_aead_xchacha20poly1305_ietf_decrypt(key, NULL, NULL, wrapped + nb,
							  wrapped_len - nb, wrap_ad,
							  sizeof(wrap_ad) - 1, wrapped,
							  mk->wrap) == 0 ? 0 : MG_ERR_CRYPTO;
}

static void tenant_key_wrap(const struct mg_master_key *mk, const unsigned char *key,
			    unsigned char *wrapped)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

	randombytes_buf(wrapped, nb);
	crypto_aead_xchacha20poly1305_ietf_encrypt(wrapped + nb, NULL, key, MG_KEY_BYTES,
						   wrap_ad, sizeof(wrap_ad) - 1, NULL, wrapped,
						   mk->wrap);
}

int mg_tenant_key_rewrap(const struct mg_master_key *from, const struct mg_master_key *to,
			 const unsigned char *wrapped, size_t wrapped_len,
			 unsigned char out[MG_WRAPPED_KEY_BYTES])
{
	unsigned char key[MG_KEY_BYTES];
	int r;

	if ((r = tenant_key_unwrap(from, wrapped, wrapped_len, key)) == 0)
		tenant_key_wrap(to, key, out);
	sodium_memzero(key, sizeof(key));
	return r;
}

int mg_tenant_key_new(const struct mg_master_key *mk, unsigned char *wrapped)
{
	unsigned char key[MG_KEY_BYTES];

	randombytes_buf(key, sizeof(key));
	tenant_key_wrap(mk, key, wrapped);
	sodium_memzero(key, sizeof(key));
	return 0;
}

int mg_tenant_key_open(const struct mg_master_key *mk, const unsigned char *wrapped,
		       size_t wrapped_len, struct mg_tenant_key **out)
{
	unsigned char key[MG_KEY_BYTES];
	struct mg_tenant_key *tk;

	*out = NULL;
	if (tenant_key_unwrap(mk, wrapped, wrapped_len, key) != 0)
		return MG_ERR_CRYPTO;
	if ((tk = sodium_malloc(sizeof(*tk))) == NULL) {
		sodium_memzero(key, sizeof(key));
		return MG_ERR_NOMEM;
	}
	crypto_kdf_derive_from_key(tk->seal, sizeof(tk->seal), SUBKEY_SEAL,
				   KDF_CONTEXT_TENANT, key);
	crypto_kdf_derive_from_key(tk->blind, sizeof(tk->blind), SUBKEY_BLIND,
				   KDF_CONTEXT_TENANT, key);
	crypto_kdf_derive_from_key(tk->value, sizeof(tk->value), SUBKEY_VALUE,
				   KDF_CONTEXT_TENANT, key);
	crypto_kdf_derive_from_key(tk->patient_wrap, sizeof(tk->patient_wrap), SUBKEY_PATIENT_WRAP,
				   KDF_CONTEXT_TENANT, key);
	sodium_memzero(key, sizeof(key));
	sodium_mprotect_readonly(tk);
	*out = tk;
	return 0;
}

void mg_tenant_key_free(struct mg_tenant_key *tk)
{
	if (tk != NULL)
		sodium_free(tk);
}

/* A patient's key from its raw bytes: its own sealing key, the tenant's
 * blind-index and value keys, no wrapping key (patient keys wrap nothing). */
static int key_seal(const unsigned char *key, const unsigned char *ad, size_t adlen,
		    const char *msg, size_t len, unsigned char *out, size_t outlen);

/* A new random patient key: raw, and wrapped by tk into wrapped. */
static void patient_key_wrap_new(const struct mg_tenant_key *tk, unsigned char *raw,
				 unsigned char *wrapped)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

	randombytes_buf(raw, MG_KEY_BYTES);
	randombytes_buf(wrapped, nb);
	crypto_aead_xchacha20poly1305_ietf_encrypt(wrapped + nb, NULL, raw, MG_KEY_BYTES,
						   patient_key_ad, sizeof(patient_key_ad) - 1,
						   NULL, wrapped, tk->patient_wrap);
}

static int patient_key_make(const struct mg_tenant_key *tk, const unsigned char *raw,
			    struct mg_tenant_key **out)
{
	struct mg_tenant_key *pk;

	if ((pk = sodium_malloc(sizeof(*pk))) == NULL)
		return MG_ERR_NOMEM;
	crypto_kdf_derive_from_key(pk->seal, sizeof(pk->seal), SUBKEY_SEAL, KDF_CONTEXT_PATIENT,
				   raw);
	memcpy(pk->blind, tk->blind, sizeof(pk->blind));
	memcpy(pk->value, tk->value, sizeof(pk->value));
	sodium_memzero(pk->patient_wrap, sizeof(pk->patient_wrap));
	sodium_mprotect_readonly(pk);
	*out = pk;
	return 0;
}

int mg_patient_key_new(const struct mg_tenant_key *tk, unsigned char *wrapped,
		       struct mg_tenant_key **out)
{
	unsigned char raw[MG_KEY_BYTES];
	int r;

	*out = NULL;
	patient_key_wrap_new(tk, raw, wrapped);
	r = patient_key_make(tk, raw, out);
	sodium_memzero(raw, sizeof(raw));
	return r;
}

int mg_patient_seal_new_key(const struct mg_tenant_key *tk, const char *id, size_t len,
			    unsigned char *wrapped, unsigned char *out, size_t outlen)
{
	unsigned char raw[MG_KEY_BYTES], seal[MG_KEY_BYTES];
	int r;

	if (outlen < len + MG_SEAL_OVERHEAD)
		return MG_ERR_LIMIT;
	patient_key_wrap_new(tk, raw, wrapped);
	crypto_kdf_derive_from_key(seal, sizeof(seal), SUBKEY_SEAL, KDF_CONTEXT_PATIENT, raw);
	r = key_seal(seal, seal_ad, sizeof(seal_ad) - 1, id, len, out, outlen);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(seal, sizeof(seal));
	return r;
}

int mg_patient_key_open(const struct mg_tenant_key *tk, const unsigned char *wrapped,
			size_t wrapped_len, struct mg_tenant_key **out)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	unsigned char raw[MG_KEY_BYTES];
	int r;

	*out = NULL;
	if (wrapped == NULL || wrapped_len != MG_WRAPPED_KEY_BYTES ||
	    crypto_aead_xchacha20poly1305_ietf_decrypt(raw, NULL, NULL, wrapped + nb,
						       wrapped_len - nb, patient_key_ad,
						       sizeof(patient_key_ad) - 1, wrapped,
						       tk->patient_wrap) != 0)
		return MG_ERR_CRYPTO;
	r = patient_key_make(tk, raw, out);
	sodium_memzero(raw, sizeof(raw));
	return r;
}

/* Seal len bytes of msg under the tenant's sealing key, bound to ad:
 * nonce, ciphertext, tag into out. */
static int key_seal(const unsigned char *key, const unsigned char *ad, size_t adlen,
		    const char *msg, size_t len, unsigned char *out, size_t outlen)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

	if (outlen < len + MG_SEAL_OVERHEAD)
		return MG_ERR_LIMIT;
	randombytes_buf(out, nb);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + nb, NULL, (const unsigned char *)msg, len,
						   ad, adlen, NULL, out, key);
	return 0;
}

static int tenant_seal(const struct mg_tenant_key *tk, const unsigned char *ad, size_t adlen,
		       const char *msg, size_t len, unsigned char *out, size_t outlen)
{
	return key_seal(tk->seal, ad, adlen, msg, len, out, outlen);
}

/* Open what tenant_seal made with the same ad into msg (NUL-terminated). */
static int tenant_open(const struct mg_tenant_key *tk, const unsigned char *ad, size_t adlen,
		       const unsigned char *sealed, size_t sealed_len, char *msg, size_t msglen,
		       size_t *len_out)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	size_t len;

	*len_out = 0;
	if (sealed_len < MG_SEAL_OVERHEAD)
		return MG_ERR_CRYPTO;
	len = sealed_len - MG_SEAL_OVERHEAD;
	if (len + 1 > msglen)
		return MG_ERR_LIMIT;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)msg, NULL, NULL,
						       sealed + nb, sealed_len - nb, ad, adlen,
						       sealed, tk->seal) != 0)
		return MG_ERR_CRYPTO;
	msg[len] = '\0';
	*len_out = len;
	return 0;
}

int mg_patient_seal(const struct mg_tenant_key *tk, const char *id, size_t len,
		    unsigned char *out, size_t outlen)
{
	return tenant_seal(tk, seal_ad, sizeof(seal_ad) - 1, id, len, out, outlen);
}

int mg_patient_open(const struct mg_tenant_key *tk, const unsigned char *sealed,
		    size_t sealed_len, char *id, size_t idlen)
{
	size_t len;

	return tenant_open(tk, seal_ad, sizeof(seal_ad) - 1, sealed, sealed_len, id, idlen, &len);
}

int mg_patient_record_seal(const struct mg_tenant_key *tk, const char *rec, size_t len,
			   unsigned char *out, size_t outlen)
{
	return tenant_seal(tk, record_ad, sizeof(record_ad) - 1, rec, len, out, outlen);
}

int mg_patient_record_open(const struct mg_tenant_key *tk, const unsigned char *sealed,
			   size_t sealed_len, char *rec, size_t reclen, size_t *len_out)
{
	return tenant_open(tk, record_ad, sizeof(record_ad) - 1, sealed, sealed_len, rec, reclen,
			   len_out);
}

static void put_u64(crypto_generichash_state *st, uint64_t v)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	crypto_generichash_update(st, b, sizeof(b));
}

static void put_text(crypto_generichash_state *st, const char *text)
{
	size_t len = text != NULL ? strlen(text) : 0;

	put_u64(st, len);	/* length first: "ab"+"c" never equals "a"+"bc" */
	crypto_generichash_update(st, (const unsigned char *)(text != NULL ? text : ""), len);
}

/* The associated data of a value: a hash of its purpose and its row's
 * identity, each field length-prefixed. */
static void value_site_hash(const struct mg_value_site *site, unsigned char out[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, value_ad, sizeof(value_ad) - 1);
	put_u64(&st, (uint64_t)site->tenant_id);
	put_u64(&st, (uint64_t)site->device_id);
	put_text(&st, site->device_mid);
	put_u64(&st, (uint64_t)site->position);
	put_text(&st, site->quantity);
	put_text(&st, site->unit);
	crypto_generichash_final(&st, out, 32);
}

int mg_value_seal(const struct mg_tenant_key *tk, const struct mg_value_site *site, double value,
		  unsigned char out[MG_VALUE_SEALED_BYTES])
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	unsigned char ad[32], plain[8];
	uint64_t bits;

	memcpy(&bits, &value, sizeof(bits));
	for (int i = 0; i < 8; i++)
		plain[i] = (unsigned char)(bits >> (8 * i));
	value_site_hash(site, ad);
	randombytes_buf(out, nb);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + nb, NULL, plain, sizeof(plain), ad,
						   sizeof(ad), NULL, out, tk->value);
	sodium_memzero(plain, sizeof(plain));
	return 0;
}

int mg_value_open(const struct mg_tenant_key *tk, const struct mg_value_site *site,
		  const unsigned char *sealed, size_t sealed_len, double *value)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	unsigned char ad[32], plain[8];
	uint64_t bits = 0;

	*value = 0;
	if (sealed == NULL || sealed_len != MG_VALUE_SEALED_BYTES)
		return MG_ERR_CRYPTO;
	value_site_hash(site, ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, sealed + nb,
						       sealed_len - nb, ad, sizeof(ad), sealed,
						       tk->value) != 0)
		return MG_ERR_CRYPTO;
	for (int i = 0; i < 8; i++)
		bits |= (uint64_t)plain[i] << (8 * i);
	memcpy(value, &bits, sizeof(*value));
	sodium_memzero(plain, sizeof(plain));
	return 0;
}

void mg_patient_blind_index(const struct mg_tenant_key *tk, const char *id, size_t len,
			    unsigned char out[MG_BLIND_INDEX_BYTES])
{
	crypto_generichash(out, MG_BLIND_INDEX_BYTES, (const unsigned char *)id, len,
			   tk->blind, sizeof(tk->blind));
}

void mg_patient_search_token(const struct mg_tenant_key *tk, enum mg_search_kind kind,
			     const char *text, size_t len, unsigned char out[MG_BLIND_INDEX_BYTES])
{
	crypto_generichash_state st;
	/* A NUL and the kind first: identifiers never hold a NUL, so no
	 * identifier's index can equal a token's. */
	const unsigned char domain[2] = { 0, (unsigned char)kind };

	crypto_generichash_init(&st, tk->blind, sizeof(tk->blind), MG_BLIND_INDEX_BYTES);
	crypto_generichash_update(&st, domain, sizeof(domain));
	crypto_generichash_update(&st, (const unsigned char *)text, len);
	crypto_generichash_final(&st, out, MG_BLIND_INDEX_BYTES);
	sodium_memzero(&st, sizeof(st));
}

int mg_token_new(const struct mg_master_key *mk, char *text, size_t textlen,
		 unsigned char hash[MG_TOKEN_HASH_BYTES])
{
	unsigned char raw[32];

	if (textlen < MG_TOKEN_TEXT_LEN + 1)
		return MG_ERR_LIMIT;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(text, textlen, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	mg_token_hash(mk, text, strlen(text), hash);
	return 0;
}

void mg_token_hash(const struct mg_master_key *mk, const char *text, size_t len,
		   unsigned char hash[MG_TOKEN_HASH_BYTES])
{
	crypto_generichash(hash, MG_TOKEN_HASH_BYTES, (const unsigned char *)text, len,
			   mk->token, sizeof(mk->token));
}

int mg_secret_seal(const struct mg_master_key *mk, const char *context,
		   const unsigned char *secret, size_t len, unsigned char *out, size_t outlen)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

	if (outlen < len + MG_SEAL_OVERHEAD)
		return MG_ERR_LIMIT;
	randombytes_buf(out, nb);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + nb, NULL, secret, len,
						   (const unsigned char *)context, strlen(context),
						   NULL, out, mk->secret);
	return 0;
}

int mg_secret_open(const struct mg_master_key *mk, const char *context,
		   const unsigned char *sealed, size_t sealed_len, unsigned char *out,
		   size_t outlen, size_t *len_out)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

	*len_out = 0;
	if (sealed_len < MG_SEAL_OVERHEAD)
		return MG_ERR_CRYPTO;
	if (sealed_len - MG_SEAL_OVERHEAD > outlen)
		return MG_ERR_LIMIT;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, sealed + nb,
						       sealed_len - nb,
						       (const unsigned char *)context, strlen(context),
						       sealed, mk->secret) != 0)
		return MG_ERR_CRYPTO;
	*len_out = sealed_len - MG_SEAL_OVERHEAD;
	return 0;
}

void mg_audit_mac(const struct mg_master_key *mk, const unsigned char *data, size_t len,
		  unsigned char out[MG_AUDIT_MAC_BYTES])
{
	crypto_generichash(out, MG_AUDIT_MAC_BYTES, data, len, mk->audit, sizeof(mk->audit));
}

void mg_audit_sign(const struct mg_master_key *mk, const unsigned char *msg, size_t len,
		   unsigned char sig[MG_AUDIT_SIGNATURE_BYTES])
{
	crypto_sign_detached(sig, NULL, msg, len, mk->audit_sign);
}

void mg_audit_public_key(const struct mg_master_key *mk,
			 unsigned char pk[MG_AUDIT_PUBLIC_KEY_BYTES])
{
	crypto_sign_ed25519_sk_to_pk(pk, mk->audit_sign);
}
