/* End of life (backup/sanitize.h): files overwritten, read back and
 * removed, links removed but never followed, trees cleared; the
 * certificate signed and every change to it, or another key, refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/sanitize.h"
#include "common/err.h"
#include "common/hex.h"
#include "crypto/keys.h"

static char dir[] = "/tmp/medgate-sanitize-XXXXXX";

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

static void put(const char *path, const char *text, size_t copies)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (size_t i = 0; i < copies; i++)
		fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void test_file_and_link(void **state)
{
	struct mg_sanitize_tally t = { 0 };
	char file[256], target[256], link[256];

	(void)state;
	snprintf(file, sizeof(file), "%s/secret", dir);
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	put(file, "P-SECRET-4711 ", 10000);	/* larger than one 64 KiB chunk */
	put(target, "keep me", 1);
	assert_int_equal(symlink(target, link), 0);

	mg_sanitize_file(file, &t);
	mg_sanitize_file(link, &t);
	mg_sanitize_file("/nonexistent/never/there", &t);
	assert_false(exists(file));
	assert_false(exists(link));
	assert_true(exists(target));	/* the link was removed, not followed */
	assert_int_equal(t.files, 1);
	assert_int_equal(t.bytes, 14 * 10000);
	assert_int_equal(t.links, 1);
	assert_int_equal(t.failures, 0);
	assert_string_equal(t.first_failure, "");
}

static void test_tree(void **state)
{
	struct mg_sanitize_tally t = { 0 };
	char root[256], sub[300], path[400];

	(void)state;
	snprintf(root, sizeof(root), "%s/instance", dir);
	snprintf(sub, sizeof(sub), "%s/keys", root);
	assert_int_equal(mkdir(root, 0700), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/master.key", sub);
	put(path, "k", 32);
	snprintf(path, sizeof(path), "%s/medgate.conf", root);
	put(path, "[web]\n", 1);
	snprintf(path, sizeof(path), "%s/fifo", root);
	assert_int_equal(mkfifo(path, 0600), 0);

	mg_sanitize_tree(root, &t);
	assert_int_equal(t.files, 2);
	assert_int_equal(t.bytes, 32 + 6);
	/* A FIFO is not ours to open: counted, named, left; so its folder
	 * stays too and that is the second failure. */
	assert_int_equal(t.failures, 2);
	assert_non_null(strstr(t.first_failure, "fifo: not a regular file"));
	assert_true(exists(path));
	assert_false(exists(sub));
}

static struct mg_master_key *master(void)
{
	struct mg_master_key *mk = NULL;
	char path[256];

	snprintf(path, sizeof(path), "%s/master.key", dir);
	unlink(path);
	assert_int_equal(mg_master_key_create(path), 0);
	assert_int_equal(mg_master_key_load(path, &mk), 0);
	return mk;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *text = calloc(1, MG_CERTIFICATE_MAX);

	assert_non_null(f);
	assert_non_null(text);
	*len = fread(text, 1, MG_CERTIFICATE_MAX - 1, f);
	fclose(f);
	return text;
}

static void test_certificate(void **state)
{
	struct mg_master_key *mk = master(), *other = master();
	unsigned char pk[MG_AUDIT_PUBLIC_KEY_BYTES];
	char path[256], key[MG_HEX_TEXT_LEN(sizeof(pk))], result[32], err[512], *text, *at;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/certificate.json", dir);
	assert_int_equal(mg_certificate_write(mk, "not json", path), MG_ERR_INVALID);
	assert_int_equal(mg_certificate_write(mk, "{\"signature\":1}", path), MG_ERR_INVALID);
	assert_int_equal(mg_certificate_write(mk, "{\"who\":\"Erika\",\"verification\":"
						  "{\"result\":\"passed\"},\"n\":[1,2]}", path), 0);
	assert_int_equal(mg_certificate_write(mk, "{\"a\":1}", path), MG_ERR_EXISTS);

	text = slurp(path, &len);
	mg_audit_public_key(mk, pk);
	mg_hex_encode(pk, sizeof(pk), MG_HEX_LOWER, key, sizeof(key));
	assert_int_equal(mg_certificate_verify(text, len, key, result, sizeof(result), err,
					       sizeof(err)), 0);
	assert_string_equal(result, "passed");
	assert_int_equal(mg_certificate_verify(text, len, NULL, result, sizeof(result), err,
					       sizeof(err)), 0);

	/* Another instance's key is not this one. */
	mg_audit_public_key(other, pk);
	mg_hex_encode(pk, sizeof(pk), MG_HEX_LOWER, key, sizeof(key));
	assert_int_equal(mg_certificate_verify(text, len, key, result, sizeof(result), err,
					       sizeof(err)), MG_ERR_CRYPTO);
	assert_non_null(strstr(err, "not by the expected instance key"));

	/* One letter changed: refused. */
	at = strstr(text, "Erika");
	assert_non_null(at);
	at[0] = 'U';
	assert_int_equal(mg_certificate_verify(text, len, NULL, result, sizeof(result), err,
					       sizeof(err)), MG_ERR_CRYPTO);
	assert_string_equal(result, "");
	at[0] = 'E';
	/* Not a certificate, or signed some other way. */
	assert_int_equal(mg_certificate_verify("[]", 2, NULL, result, sizeof(result), err,
					       sizeof(err)), MG_ERR_INVALID);
	assert_int_equal(mg_certificate_verify("{\"signature\":{\"algorithm\":\"RSA\"}}", 34,
					       NULL, result, sizeof(result), err, sizeof(err)),
			 MG_ERR_INVALID);
	free(text);
	mg_master_key_free(mk);
	mg_master_key_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_and_link),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_certificate),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
