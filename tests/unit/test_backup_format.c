/* The backup format: part names, manifest, header prefix, the recovery
 * key's text form, and a whole file written, checked and decrypted, and
 * refused when changed, truncated or opened with another key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/archive.h"
#include "backup/format.h"
#include "backup/recovery.h"
#include "common/err.h"
#include "crypto/keys.h"

static char dir[] = "/tmp/medgate-backup-fmt-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) != NULL && mg_crypto_init() == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_part_names(void **state)
{
	static const struct { const char *name; bool ok; } cases[] = {
		{ "medgate.conf", true }, { "keys/master.key", true }, { "certs/ca.pem", true },
		{ "store.sqlite", true }, { "", false }, { "/etc/passwd", false },
		{ "../x", false }, { "keys/../x", false }, { "a/b/c", false }, { ".hidden", false },
		{ "keys/.x", false }, { "keys/", false }, { "keys//x", false }, { "a b", false },
		{ "a\\b", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(mg_backup_part_name_ok(cases[i].name), cases[i].ok);
}

static void sample(struct mg_backup_manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->format = MG_BACKUP_FORMAT;
	memcpy(m->instance_id, "0123456789abcdef", 17);
	m->schema_version = 7;
	m->seq = 42;
	m->created_ms = 1796683463427;
	snprintf(m->storage, sizeof(m->storage), "sqlite");
	m->nparts = 2;
	snprintf(m->parts[0].name, sizeof(m->parts[0].name), "medgate.conf");
	snprintf(m->parts[1].name, sizeof(m->parts[1].name), "keys/master.key");
}

static void test_manifest_round_trip(void **state)
{
	struct mg_backup_manifest m, back;
	unsigned char prefix[MG_BACKUP_PREFIX_BYTES];
	char *json, err[256];
	size_t len, mlen;

	(void)state;
	sample(&m);
	m.parts[0].size = 5;
	m.parts[1].sha256[3] = 0xab;
	assert_int_equal(mg_backup_manifest_encode(&m, &json, &len), 0);
	assert_int_equal(mg_backup_manifest_parse(json, len, &back, err, sizeof(err)), 0);
	assert_memory_equal(&m, &back, sizeof(m));
	/* A name that climbs out is refused, and says why. */
	char *bad = strstr(json, "keys/master.key");
	memcpy(bad, "..//master.key", 14);
	assert_int_equal(mg_backup_manifest_parse(json, len, &back, err, sizeof(err)),
			 MG_ERR_INVALID);
	assert_non_null(strstr(err, "name"));
	free(json);
	assert_int_equal(mg_backup_manifest_parse("[]", 2, &back, err, sizeof(err)), MG_ERR_INVALID);
	mg_backup_prefix_encode(100, prefix);
	assert_int_equal(mg_backup_prefix_parse(prefix, sizeof(prefix), &mlen, err, sizeof(err)), 0);
	assert_int_equal(mlen, 100);
	prefix[9] = 2;
	assert_int_equal(mg_backup_prefix_parse(prefix, sizeof(prefix), &mlen, err, sizeof(err)),
			 MG_ERR_INVALID);
	mg_backup_prefix_encode(MG_BACKUP_MANIFEST_MAX + 1, prefix);
	assert_int_equal(mg_backup_prefix_parse(prefix, sizeof(prefix), &mlen, err, sizeof(err)),
			 MG_ERR_INVALID);
	assert_int_equal(mg_backup_prefix_parse(prefix, 5, &mlen, err, sizeof(err)), MG_ERR_INVALID);
}

static void test_recovery_key_text(void **state)
{
	unsigned char key[32], back[32];
	char text[MG_RECOVERY_TEXT_MAX], typed[160];

	(void)state;
	randombytes_buf(key, sizeof(key));
	assert_int_equal(mg_recovery_key_format(true, key, text, sizeof(text)), 0);
	assert_int_equal(strncmp(text, "MGRK1-", 6), 0);
	assert_int_equal(mg_recovery_key_parse(true, text, strlen(text), back), 0);
	assert_memory_equal(key, back, 32);
	/* Typed from paper: lower case, spaces, a comment, a line break. */
	snprintf(typed, sizeof(typed), "# mine\n%s", text);
	for (char *p = typed; *p; p++)
		*p = (char)(*p == '-' ? ' ' : *p >= 'A' && *p <= 'F' ? *p + 32 : *p);
	typed[42] = '\n';	/* where a dash was */
	assert_int_equal(mg_recovery_key_parse(true, typed, strlen(typed), back), 0);
	assert_memory_equal(key, back, 32);
	/* One digit mistyped: the check catches it. */
	text[11] = text[11] == '0' ? '1' : '0';
	assert_int_equal(mg_recovery_key_parse(true, text, strlen(text), back), MG_ERR_CRYPTO);
	/* The public kind is not a secret key, and a short key is nothing. */
	assert_int_equal(mg_recovery_key_format(false, key, text, sizeof(text)), 0);
	assert_int_equal(mg_recovery_key_parse(true, text, strlen(text), back), MG_ERR_INVALID);
	assert_int_equal(mg_recovery_key_parse(false, "MGRP1-0000", 10, back), MG_ERR_INVALID);
}

struct collected {
	unsigned char data[64];
	size_t len;
	size_t parts_done;
};

static int collect(void *arg, const struct mg_backup_part *p, const unsigned char *data,
		   size_t len, bool last)
{
	struct collected *c = arg;

	(void)p;
	if (c->len + len > sizeof(c->data))
		return MG_ERR_LIMIT;
	if (len > 0)
		memcpy(c->data + c->len, data, len);
	c->len += len;
	c->parts_done += last;
	return 0;
}

/* Write a two-part backup sealed to pk; returns its path. */
static const char *write_backup(const char *name, const unsigned char *pk,
				const struct mg_master_key *mk)
{
	static char path[256];
	struct mg_backup_manifest m;
	struct mg_backup_writer *w;
	char err[256];

	sample(&m);
	m.parts[0].size = 5;
	crypto_hash_sha256(m.parts[0].sha256, (const unsigned char *)"hello", 5);
	m.parts[1].size = 3;
	crypto_hash_sha256(m.parts[1].sha256, (const unsigned char *)"key", 3);
	mg_audit_public_key(mk, m.signing_key);
	memcpy(m.recipient, pk, 32);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(mg_backup_writer_open(path, &m, &w, err, sizeof(err)), 0);
	assert_int_equal(mg_backup_writer_put(w, "hel", 3), 0);
	assert_int_equal(mg_backup_writer_put(w, "lokey", 5), 0);
	assert_int_equal(mg_backup_writer_close(w, mk, err, sizeof(err)), 0);
	assert_int_equal(mg_backup_writer_open(path, &m, &w, err, sizeof(err)), MG_ERR_EXISTS);
	return path;
}

static void test_file_round_trip_and_refusals(void **state)
{
	unsigned char pk[32], sk[32], pk2[32], sk2[32];
	struct mg_master_key *mk = NULL;
	struct mg_backup_reader *r;
	struct collected c = { 0 };
	char keyfile[256], cmd[600], err[256];
	const char *path;

	(void)state;
	snprintf(keyfile, sizeof(keyfile), "%s/master.key", dir);
	assert_int_equal(mg_master_key_create(keyfile), 0);
	assert_int_equal(mg_master_key_load(keyfile, &mk), 0);
	crypto_box_keypair(pk, sk);
	crypto_box_keypair(pk2, sk2);
	path = write_backup("a.mgb", pk, mk);
	assert_int_equal(mg_backup_reader_open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(mg_backup_reader_manifest(r)->seq, 42);
	assert_int_equal(mg_backup_reader_decrypt(r, sk2, collect, &c, NULL, err, sizeof(err)),
			 MG_ERR_CRYPTO);
	assert_non_null(strstr(err, "wrong key"));
	assert_int_equal(mg_backup_reader_decrypt(r, sk, collect, &c, NULL, err, sizeof(err)), 0);
	assert_int_equal(c.len, 8);
	assert_memory_equal(c.data, "hellokey", 8);
	assert_int_equal(c.parts_done, 2);
	mg_backup_reader_free(r);

	/* A flipped byte in the payload, then a cut-off end. */
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	snprintf(cmd, sizeof(cmd), "printf '\\377' | dd of=%s bs=1 seek=%lld conv=notrunc "
		 "status=none", path, (long long)st.st_size - 120);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(mg_backup_reader_open(path, &r, err, sizeof(err)), MG_ERR_CRYPTO);
	assert_non_null(strstr(err, "changed"));
	path = write_backup("b.mgb", pk, mk);
	snprintf(cmd, sizeof(cmd), "truncate -s -10 %s", path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(mg_backup_reader_open(path, &r, err, sizeof(err)), MG_ERR_INVALID);
	assert_non_null(strstr(err, "truncated"));
	mg_master_key_free(mk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_part_names),
		cmocka_unit_test(test_manifest_round_trip),
		cmocka_unit_test(test_recovery_key_text),
		cmocka_unit_test(test_file_round_trip_and_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
