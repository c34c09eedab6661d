/* Keys at rest: master key files, tenant key wrapping, sealing patient
 * identifiers, blind indexes, one-time tokens, password hashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "crypto/keyring.h"
#include "crypto/keys.h"
#include "crypto/password.h"

static char dir[] = "/tmp/medgate-keys-XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL || mg_crypto_init() != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct mg_master_key *master(const char *name)
{
	struct mg_master_key *mk = NULL;
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(mg_master_key_create(path), 0);
	assert_int_equal(mg_master_key_load(path, &mk), 0);
	return mk;
}

static void test_master_key_file(void **state)
{
	struct mg_master_key *mk = NULL;
	char path[256];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/file.key", dir);
	umask(0);	/* the file must be 0600 whatever the umask */
	assert_int_equal(mg_master_key_create(path), 0);
	umask(077);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, MG_KEY_BYTES);
	assert_int_equal(mg_master_key_create(path), MG_ERR_EXISTS);
	/* Group-readable only when root owns it (root:medgate 0640); never
	 * group-writable, nothing for others. */
	chmod(path, 0640);
	assert_int_equal(mg_master_key_load(path, &mk), geteuid() == 0 ? 0 : MG_ERR_DENIED);
	mg_master_key_free(mk);
	mk = NULL;
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 1, 1), 0);
		assert_int_equal(mg_master_key_load(path, &mk), MG_ERR_DENIED);
		assert_null(mk);
		assert_int_equal(chown(path, 0, 0), 0);
	}
	chmod(path, 0660);
	assert_int_equal(mg_master_key_load(path, &mk), MG_ERR_DENIED);
	chmod(path, 0604);
	assert_int_equal(mg_master_key_load(path, &mk), MG_ERR_DENIED);
	assert_null(mk);
	chmod(path, 0600);
	assert_int_equal(mg_master_key_load(path, &mk), 0);
	mg_master_key_free(mk);
	assert_int_equal(truncate(path, 16), 0);
	assert_int_equal(mg_master_key_load(path, &mk), MG_ERR_CRYPTO);
	mg_master_key_free(NULL);
}

static void test_tenant_keys_and_sealing(void **state)
{
	struct mg_master_key *a = master("a.key"), *b = master("b.key");
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES], wrapped2[MG_WRAPPED_KEY_BYTES];
	struct mg_tenant_key *tk = NULL, *tk2 = NULL, *wrong = NULL;
	unsigned char sealed[64 + MG_SEAL_OVERHEAD], i1[MG_BLIND_INDEX_BYTES], i2[MG_BLIND_INDEX_BYTES];
	char id[65];

	(void)state;
	assert_int_equal(mg_tenant_key_new(a, wrapped), 0);
	assert_int_equal(mg_tenant_key_new(a, wrapped2), 0);
	assert_int_equal(mg_tenant_key_open(a, wrapped, sizeof(wrapped), &tk), 0);
	assert_int_equal(mg_tenant_key_open(a, wrapped2, sizeof(wrapped2), &tk2), 0);
	/* Another master key, or an altered wrapping, opens nothing. */
	assert_int_equal(mg_tenant_key_open(b, wrapped, sizeof(wrapped), &wrong), MG_ERR_CRYPTO);
	wrapped[30] ^= 1;
	assert_int_equal(mg_tenant_key_open(a, wrapped, sizeof(wrapped), &wrong), MG_ERR_CRYPTO);
	assert_int_equal(mg_tenant_key_open(a, wrapped, 10, &wrong), MG_ERR_CRYPTO);
	assert_null(wrong);

	assert_int_equal(mg_patient_seal(tk, "MRN-0001", 8, sealed, sizeof(sealed)), 0);
	assert_null(memmem(sealed, 8 + MG_SEAL_OVERHEAD, "MRN-0001", 8));
	assert_int_equal(mg_patient_open(tk, sealed, 8 + MG_SEAL_OVERHEAD, id, sizeof(id)), 0);
	assert_string_equal(id, "MRN-0001");
	/* Another tenant's key cannot open it; tampering is detected. */
	assert_int_equal(mg_patient_open(tk2, sealed, 8 + MG_SEAL_OVERHEAD, id, sizeof(id)),
			 MG_ERR_CRYPTO);
	sealed[26] ^= 1;
	assert_int_equal(mg_patient_open(tk, sealed, 8 + MG_SEAL_OVERHEAD, id, sizeof(id)),
			 MG_ERR_CRYPTO);
	assert_int_equal(mg_patient_open(tk, sealed, 3, id, sizeof(id)), MG_ERR_CRYPTO);
	assert_int_equal(mg_patient_seal(tk, "MRN-0001", 8, sealed, 20), MG_ERR_LIMIT);

	/* Blind index: stable per tenant, different across tenants and ids. */
	mg_patient_blind_index(tk, "MRN-0001", 8, i1);
	mg_patient_blind_index(tk, "MRN-0001", 8, i2);
	assert_memory_equal(i1, i2, sizeof(i1));
	mg_patient_blind_index(tk2, "MRN-0001", 8, i2);
	assert_memory_not_equal(i1, i2, sizeof(i1));
	mg_patient_blind_index(tk, "MRN-0002", 8, i2);
	assert_memory_not_equal(i1, i2, sizeof(i1));

	mg_tenant_key_free(tk);
	mg_tenant_key_free(tk2);
	mg_master_key_free(a);
	mg_master_key_free(b);
}

/* Values bound to their row: any field of the row changed, another
 * tenant's key, or a flipped byte, and it does not open. */
static void test_values(void **state)
{
	struct mg_master_key *a = master("v.key");
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES], wrapped2[MG_WRAPPED_KEY_BYTES];
	unsigned char sealed[MG_VALUE_SEALED_BYTES], again[MG_VALUE_SEALED_BYTES];
	struct mg_tenant_key *tk = NULL, *tk2 = NULL;
	const struct mg_value_site site = { 1, 2, "m-1", 0, "body_weight", "kg" };
	struct mg_value_site other;
	double v = 0, kg = 72.4;

	(void)state;
	assert_int_equal(mg_tenant_key_new(a, wrapped), 0);
	assert_int_equal(mg_tenant_key_new(a, wrapped2), 0);
	assert_int_equal(mg_tenant_key_open(a, wrapped, sizeof(wrapped), &tk), 0);
	assert_int_equal(mg_tenant_key_open(a, wrapped2, sizeof(wrapped2), &tk2), 0);
	assert_int_equal(mg_value_seal(tk, &site, kg, sealed), 0);
	assert_null(memmem(sealed, sizeof(sealed), &kg, sizeof(kg)));
	assert_int_equal(mg_value_open(tk, &site, sealed, sizeof(sealed), &v), 0);
	assert_true(v == 72.4);
	/* A new nonce each time: equal values do not look equal. */
	assert_int_equal(mg_value_seal(tk, &site, kg, again), 0);
	assert_memory_not_equal(sealed, again, sizeof(sealed));
	assert_int_equal(mg_value_open(tk2, &site, sealed, sizeof(sealed), &v), MG_ERR_CRYPTO);
	assert_true(v == 0);
	for (int field = 0; field < 6; field++) {
		other = site;
		switch (field) {
		case 0: other.tenant_id = 3; break;
		case 1: other.device_id = 3; break;
		case 2: other.device_mid = "m-2"; break;
		case 3: other.position = 1; break;
		case 4: other.quantity = "body_height"; break;
		default: other.unit = "g"; break;
		}
		assert_int_equal(mg_value_open(tk, &other, sealed, sizeof(sealed), &v),
				 MG_ERR_CRYPTO);
	}
	/* Fields do not run into each other: "m-1" + "body_weight" is not
	 * "m-1b" + "ody_weight". */
	other = site;
	other.device_mid = "m-1b";
	other.quantity = "ody_weight";
	assert_int_equal(mg_value_open(tk, &other, sealed, sizeof(sealed), &v), MG_ERR_CRYPTO);
	assert_int_equal(mg_value_open(tk, &site, sealed, sizeof(sealed) - 1, &v), MG_ERR_CRYPTO);
	assert_int_equal(mg_value_open(tk, &site, NULL, 0, &v), MG_ERR_CRYPTO);
	sealed[30] ^= 1;
	assert_int_equal(mg_value_open(tk, &site, sealed, sizeof(sealed), &v), MG_ERR_CRYPTO);
	mg_tenant_key_free(tk);
	mg_tenant_key_free(tk2);
	mg_master_key_free(a);
}

/* Rotation: the new file re-wraps tenant keys that then open only under
 * it; what else comes from the master key (audit keys, token hashes,
 * instance secrets) stays the same. */
static void test_rotation(void **state)
{
	struct mg_master_key *old = master("r.key"), *rotated = NULL, *again = NULL;
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES], rewrapped[MG_WRAPPED_KEY_BYTES];
	unsigned char h1[MG_TOKEN_HASH_BYTES], h2[MG_TOKEN_HASH_BYTES];
	unsigned char pk1[MG_AUDIT_PUBLIC_KEY_BYTES], pk2[MG_AUDIT_PUBLIC_KEY_BYTES];
	unsigned char sealed[8 + MG_SEAL_OVERHEAD], secret[8];
	struct mg_tenant_key *tk = NULL, *tk2 = NULL;
	char path[256], next[256], third[256];
	size_t len;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/r.key", dir);
	snprintf(next, sizeof(next), "%s/r2.key", dir);
	snprintf(third, sizeof(third), "%s/r3.key", dir);
	assert_int_equal(mg_master_key_create_rotated(path, next), 0);
	assert_int_equal(mg_master_key_create_rotated(path, next), MG_ERR_EXISTS);
	assert_int_equal(stat(next, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 2 * MG_KEY_BYTES);
	assert_int_equal(mg_master_key_load(next, &rotated), 0);

	assert_int_equal(mg_tenant_key_new(old, wrapped), 0);
	assert_int_equal(mg_tenant_key_rewrap(old, rotated, wrapped, sizeof(wrapped), rewrapped), 0);
	assert_int_equal(mg_tenant_key_open(rotated, rewrapped, sizeof(rewrapped), &tk), 0);
	assert_int_equal(mg_tenant_key_open(old, rewrapped, sizeof(rewrapped), &tk2), MG_ERR_CRYPTO);
	assert_int_equal(mg_tenant_key_open(rotated, wrapped, sizeof(wrapped), &tk2), MG_ERR_CRYPTO);
	/* The same tenant key inside: what it sealed before still opens. */
	assert_int_equal(mg_tenant_key_open(old, wrapped, sizeof(wrapped), &tk2), 0);
	{
		const struct mg_value_site site = { 1, 2, "m", 0, "body_weight", "kg" };
		unsigned char v[MG_VALUE_SEALED_BYTES];
		double x = 0;

		assert_int_equal(mg_value_seal(tk2, &site, 61.5, v), 0);
		assert_int_equal(mg_value_open(tk, &site, v, sizeof(v), &x), 0);
		assert_true(x == 61.5);
	}
	assert_int_equal(mg_tenant_key_rewrap(rotated, old, wrapped, sizeof(wrapped), rewrapped),
			 MG_ERR_CRYPTO);

	mg_token_hash(old, "t", 1, h1);
	mg_token_hash(rotated, "t", 1, h2);
	assert_memory_equal(h1, h2, sizeof(h1));
	mg_audit_public_key(old, pk1);
	mg_audit_public_key(rotated, pk2);
	assert_memory_equal(pk1, pk2, sizeof(pk1));
	assert_int_equal(mg_secret_seal(old, "totp:1", (const unsigned char *)"12345678", 8, sealed,
					sizeof(sealed)), 0);
	assert_int_equal(mg_secret_open(rotated, "totp:1", sealed, sizeof(sealed), secret,
					sizeof(secret), &len), 0);

	/* A rotated file rotates again; each time another wrapping key. */
	assert_int_equal(mg_master_key_create_rotated(next, third), 0);
	assert_int_equal(mg_master_key_load(third, &again), 0);
	assert_int_equal(mg_tenant_key_rewrap(rotated, again, rewrapped, sizeof(rewrapped),
					      wrapped), 0);
	mg_tenant_key_free(tk2);
	tk2 = NULL;
	assert_int_equal(mg_tenant_key_open(rotated, wrapped, sizeof(wrapped), &tk2), MG_ERR_CRYPTO);
	assert_int_equal(mg_tenant_key_open(again, wrapped, sizeof(wrapped), &tk2), 0);
	mg_tenant_key_free(tk);
	mg_tenant_key_free(tk2);
	mg_master_key_free(old);
	mg_master_key_free(rotated);
	mg_master_key_free(again);
	assert_int_equal(truncate(third, 40), 0);
	assert_int_equal(mg_master_key_create_rotated(third, path), MG_ERR_CRYPTO);
}

/* A patient's own key: seals the identifier and record so that only it
 * opens them (not the tenant key, not another patient's), is opened only
 * by its tenant's key, and leaves search and values tenant-wide. */
static void test_patient_keys(void **state)
{
	struct mg_master_key *a = master("p.key");
	unsigned char wt[MG_WRAPPED_KEY_BYTES], wt2[MG_WRAPPED_KEY_BYTES];
	unsigned char wp[MG_WRAPPED_KEY_BYTES], wq[MG_WRAPPED_KEY_BYTES];
	unsigned char sealed[8 + MG_SEAL_OVERHEAD], rec[16 + MG_SEAL_OVERHEAD];
	unsigned char i1[MG_BLIND_INDEX_BYTES], i2[MG_BLIND_INDEX_BYTES];
	unsigned char v[MG_VALUE_SEALED_BYTES];
	struct mg_tenant_key *tk = NULL, *tk2 = NULL, *pk = NULL, *again = NULL, *qk = NULL;
	struct mg_tenant_key *none = NULL;
	const struct mg_value_site site = { 1, 2, "m", 0, "body_weight", "kg" };
	char id[32], text[32];
	size_t len;
	double x;

	(void)state;
	assert_int_equal(mg_tenant_key_new(a, wt), 0);
	assert_int_equal(mg_tenant_key_new(a, wt2), 0);
	assert_int_equal(mg_tenant_key_open(a, wt, sizeof(wt), &tk), 0);
	assert_int_equal(mg_tenant_key_open(a, wt2, sizeof(wt2), &tk2), 0);
	assert_int_equal(mg_patient_key_new(tk, wp, &pk), 0);
	assert_int_equal(mg_patient_key_new(tk, wq, &qk), 0);
	assert_memory_not_equal(wp, wq, sizeof(wp));
	assert_int_equal(mg_patient_seal(pk, "MRN-0001", 8, sealed, sizeof(sealed)), 0);
	assert_int_equal(mg_patient_record_seal(pk, "{\"family\":\"X\"}", 14, rec, sizeof(rec)), 0);
	/* Opened again from the wrapped bytes, it opens both. */
	assert_int_equal(mg_patient_key_open(tk, wp, sizeof(wp), &again), 0);
	assert_int_equal(mg_patient_open(again, sealed, sizeof(sealed), id, sizeof(id)), 0);
	assert_string_equal(id, "MRN-0001");
	assert_int_equal(mg_patient_record_open(again, rec, 14 + MG_SEAL_OVERHEAD, text,
						sizeof(text), &len), 0);
	assert_int_equal(len, 14);
	/* Neither the tenant key nor another patient's key opens them. */
	assert_int_equal(mg_patient_open(tk, sealed, sizeof(sealed), id, sizeof(id)), MG_ERR_CRYPTO);
	assert_int_equal(mg_patient_open(qk, sealed, sizeof(sealed), id, sizeof(id)), MG_ERR_CRYPTO);
	assert_int_equal(mg_patient_record_open(tk, rec, 14 + MG_SEAL_OVERHEAD, text, sizeof(text),
						&len), MG_ERR_CRYPTO);
	/* Only its tenant's key unwraps it; altered, it does not open. */
	assert_int_equal(mg_patient_key_open(tk2, wp, sizeof(wp), &none), MG_ERR_CRYPTO);
	assert_int_equal(mg_patient_key_open(tk, wp, sizeof(wp) - 1, &none), MG_ERR_CRYPTO);
	assert_int_equal(mg_patient_key_open(tk, NULL, 0, &none), MG_ERR_CRYPTO);
	wp[40] ^= 1;
	assert_int_equal(mg_patient_key_open(tk, wp, sizeof(wp), &none), MG_ERR_CRYPTO);
	assert_null(none);
	/* A tenant key's wrapping is not a patient key's, nor one as it. */
	assert_int_equal(mg_patient_key_open(tk, wt, sizeof(wt), &none), MG_ERR_CRYPTO);
	assert_int_equal(mg_tenant_key_open(a, wq, sizeof(wq), &none), MG_ERR_CRYPTO);
	/* In one step, as the ingest pipeline does: the same as key + seal. */
	assert_int_equal(mg_patient_seal_new_key(tk, "MRN-0002", 8, wq, sealed, sizeof(sealed)), 0);
	mg_tenant_key_free(again);
	assert_int_equal(mg_patient_key_open(tk, wq, sizeof(wq), &again), 0);
	assert_int_equal(mg_patient_open(again, sealed, sizeof(sealed), id, sizeof(id)), 0);
	assert_string_equal(id, "MRN-0002");
	assert_int_equal(mg_patient_open(tk, sealed, sizeof(sealed), id, sizeof(id)), MG_ERR_CRYPTO);
	assert_int_equal(mg_patient_seal_new_key(tk, "MRN-0002", 8, wq, sealed, 20), MG_ERR_LIMIT);
	/* Search and values stay the tenant's. */
	mg_patient_blind_index(tk, "MRN-0001", 8, i1);
	mg_patient_blind_index(pk, "MRN-0001", 8, i2);
	assert_memory_equal(i1, i2, sizeof(i1));
	assert_int_equal(mg_value_seal(pk, &site, 70, v), 0);
	assert_int_equal(mg_value_open(tk, &site, v, sizeof(v), &x), 0);
	assert_true(x == 70);
	mg_tenant_key_free(again);
	mg_tenant_key_free(pk);
	mg_tenant_key_free(qk);
	mg_tenant_key_free(tk);
	mg_tenant_key_free(tk2);
	mg_master_key_free(a);
}

/* The wrapped tenant keys a keyring reads, as the store would give them. */
static unsigned char source_keys[3][MG_WRAPPED_KEY_BYTES];

static int source(void *arg, int64_t tenant_id, unsigned char *wrapped, size_t len)
{
	(void)arg;
	if (tenant_id < 1 || tenant_id > 2 || len != MG_WRAPPED_KEY_BYTES)
		return MG_ERR_NOT_FOUND;
	memcpy(wrapped, source_keys[tenant_id], len);
	return 0;
}

/* A running daemon's keyring follows key rotate: the keys it opened keep
 * working, a tenant key re-wrapped meanwhile opens once the file is
 * replaced, and new tenant keys are wrapped by the new file. */
static void test_keyring_follows_rotation(void **state)
{
	struct mg_master_key *mk = NULL, *fresh = NULL, *old = NULL;
	struct mg_keyring *kr = NULL;
	const struct mg_tenant_key *t1 = NULL, *t2 = NULL, *t1again = NULL;
	struct mg_tenant_key *check = NULL;
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES], pk1[MG_AUDIT_PUBLIC_KEY_BYTES],
		pk2[MG_AUDIT_PUBLIC_KEY_BYTES];
	char path[256], next[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/kr.key", dir);
	snprintf(next, sizeof(next), "%s/kr.key.new", dir);
	assert_int_equal(mg_master_key_create(path), 0);
	assert_int_equal(mg_master_key_load(path, &mk), 0);
	assert_int_equal(mg_master_key_load(path, &old), 0);
	assert_int_equal(mg_keyring_new(mk, &kr), 0);
	mg_keyring_watch(kr, path);
	mg_keyring_set_source(kr, source, NULL);
	assert_int_equal(mg_keyring_tenant_key_new(kr, source_keys[1]), 0);
	assert_int_equal(mg_keyring_tenant_key_new(kr, source_keys[2]), 0);
	assert_int_equal(mg_keyring_tenant(kr, 1, &t1), 0);
	mg_audit_public_key(mg_keyring_master(kr), pk1);

	/* key rotate: the new file, the keys re-wrapped, then the rename. */
	assert_int_equal(mg_master_key_create_rotated(path, next), 0);
	assert_int_equal(mg_master_key_load(next, &fresh), 0);
	for (int t = 1; t <= 2; t++) {
		assert_int_equal(mg_tenant_key_rewrap(old, fresh, source_keys[t],
						      MG_WRAPPED_KEY_BYTES, wrapped), 0);
		memcpy(source_keys[t], wrapped, sizeof(wrapped));
	}
	/* Between the commit and the rename: tenant 2 does not open yet. */
	assert_int_equal(mg_keyring_tenant(kr, 2, &t2), MG_ERR_CRYPTO);
	assert_int_equal(rename(next, path), 0);
	assert_int_equal(mg_keyring_tenant(kr, 2, &t2), 0);
	assert_int_equal(mg_keyring_tenant(kr, 1, &t1again), 0);
	assert_ptr_equal(t1, t1again);	/* the opened key was kept */
	/* New tenant keys: wrapped by the new file, the old one opens none. */
	assert_int_equal(mg_keyring_tenant_key_new(kr, wrapped), 0);
	assert_int_equal(mg_tenant_key_open(fresh, wrapped, sizeof(wrapped), &check), 0);
	mg_tenant_key_free(check);
	check = NULL;
	assert_int_equal(mg_tenant_key_open(old, wrapped, sizeof(wrapped), &check), MG_ERR_CRYPTO);
	/* What the master key derives besides stays. */
	mg_audit_public_key(mg_keyring_master(kr), pk2);
	assert_memory_equal(pk1, pk2, sizeof(pk1));
	assert_int_equal(mg_keyring_tenant(kr, 3, &t2), MG_ERR_NOT_FOUND);
	mg_keyring_free(kr);
	mg_master_key_free(fresh);
	mg_master_key_free(old);
}

static void test_tokens(void **state)
{
	struct mg_master_key *a = master("t1.key"), *b = master("t2.key");
	unsigned char h1[MG_TOKEN_HASH_BYTES], h2[MG_TOKEN_HASH_BYTES];
	char t1[MG_TOKEN_TEXT_LEN + 1], t2[MG_TOKEN_TEXT_LEN + 1];

	(void)state;
	assert_int_equal(mg_token_new(a, t1, sizeof(t1), h1), 0);
	assert_int_equal(mg_token_new(a, t2, sizeof(t2), h2), 0);
	assert_int_equal(strlen(t1), MG_TOKEN_TEXT_LEN);
	assert_string_not_equal(t1, t2);
	assert_memory_not_equal(h1, h2, sizeof(h1));
	for (size_t i = 0; i < strlen(t1); i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
				       t1[i]));
	mg_token_hash(a, t1, strlen(t1), h2);
	assert_memory_equal(h1, h2, sizeof(h1));
	/* The hash is keyed: another instance's key gives another hash. */
	mg_token_hash(b, t1, strlen(t1), h2);
	assert_memory_not_equal(h1, h2, sizeof(h1));
	assert_int_equal(mg_token_new(a, t1, 10, h1), MG_ERR_LIMIT);
	mg_master_key_free(a);
	mg_master_key_free(b);
}

static void test_passwords(void **state)
{
	char hash[MG_PASSWORD_HASH_MAX], pw[32];

	(void)state;
	assert_int_equal(mg_password_hash("correct horse battery", 21, hash, sizeof(hash)), 0);
	assert_non_null(strstr(hash, "$argon2id$"));
	assert_int_equal(mg_password_verify(hash, "correct horse battery", 21), 0);
	assert_int_equal(mg_password_verify(hash, "correct horse batterY", 21), MG_ERR_DENIED);
	assert_int_equal(mg_password_verify("garbage", "x", 1), MG_ERR_DENIED);
	assert_int_equal(mg_password_random(pw, sizeof(pw)), 0);
	assert_int_equal(strlen(pw), 20);
	assert_int_equal(mg_password_random(pw, 5), MG_ERR_LIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_master_key_file),
		cmocka_unit_test(test_tenant_keys_and_sealing),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_patient_keys),
		cmocka_unit_test(test_keyring_follows_rotation),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_passwords),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
