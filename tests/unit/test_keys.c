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
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_passwords),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
