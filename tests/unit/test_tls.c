/* Unit tests of src/tls/: CAs, issuing, EST encoding, TLS profiles and the
 * per-connection peer check, the last two over real GnuTLS handshakes on a
 * socketpair. With MG_TLS_INTEROP_DIR set, one more test writes files for
 * tests/integration/test_tls_interop.sh to check with OpenSSL. */
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>

#include "common/err.h"
#include "common/limits.h"
#include "tls/ca.h"
#include "tls/est.h"
#include "tls/peer.h"
#include "tls/profile.h"

/* ---- fixture: one temp dir, a device CA, an instance CA, a server cert ---- */

struct fixture {
	char dir[64];
	struct mg_ca *device_ca;
	struct mg_ca *instance_ca;
	char device_ca_cert[128], device_ca_key[128];
	char server_cert[128], server_key[128];
};

static struct fixture *fx;

static void path_in(char *out, size_t outlen, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", fx->dir, name);

	assert_true(n > 0 && (size_t)n < outlen);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_setup(void **state)
{
	static const char *const dns[] = { "localhost" };
	static const char *const ips[] = { "127.0.0.1", "::1" };

	(void)state;
	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/mg-test-tls-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->device_ca_cert, sizeof(fx->device_ca_cert), "%s/device-ca.pem", fx->dir);
	snprintf(fx->device_ca_key, sizeof(fx->device_ca_key), "%s/device-ca.key", fx->dir);
	snprintf(fx->server_cert, sizeof(fx->server_cert), "%s/server.pem", fx->dir);
	snprintf(fx->server_key, sizeof(fx->server_key), "%s/server.key", fx->dir);
	if (mg_ca_create("medgate test device CA", 30, &fx->device_ca) != 0 ||
	    mg_ca_create("medgate test instance CA", 30, &fx->instance_ca) != 0 ||
	    mg_ca_save(fx->device_ca, fx->device_ca_cert, fx->device_ca_key) != 0 ||
	    mg_ca_issue_server(fx->instance_ca, dns, 1, ips, 2, 30, fx->server_cert,
			       fx->server_key) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	mg_ca_free(fx->device_ca);
	mg_ca_free(fx->instance_ca);
	nftw(fx->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	fx = NULL;
	return 0;
}

/* ---- helpers ---- */

static gnutls_x509_crt_t crt_from_der(const unsigned char *der, size_t len)
{
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)der, (unsigned)len };
	gnutls_x509_crt_t crt;

	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER), 0);
	return crt;
}

static gnutls_x509_crt_t crt_from_ca(const struct mg_ca *ca)
{
	unsigned char *der = NULL;
	size_t len = 0;
	gnutls_x509_crt_t crt;

	assert_int_equal(mg_ca_cert_der(ca, &der, &len), 0);
	crt = crt_from_der(der, len);
	free(der);
	return crt;
}

static gnutls_x509_crt_t crt_from_file(const char *path)
{
	gnutls_datum_t d = { NULL, 0 };
	gnutls_x509_crt_t crt;

	assert_int_equal(gnutls_load_file(path, &d), 0);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
	gnutls_free(d.data);
	return crt;
}

/* 0 if crt verifies against ca alone, else the GnuTLS status bits. */
static unsigned verify_against(gnutls_x509_crt_t crt, gnutls_x509_crt_t ca)
{
	unsigned status = 0;

	assert_int_equal(gnutls_x509_crt_verify(crt, &ca, 1, 0, &status), 0);
	return status;
}

static void assert_eku(gnutls_x509_crt_t crt, const char *want)
{
	char oid[128];
	size_t len = sizeof(oid);
	unsigned critical = 0;

	assert_int_equal(gnutls_x509_crt_get_key_purpose_oid(crt, 0, oid, &len, &critical), 0);
	assert_string_equal(oid, want);
	len = sizeof(oid);
	assert_int_equal(gnutls_x509_crt_get_key_purpose_oid(crt, 1, oid, &len, &critical),
			 GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE);
}

static void assert_cn(gnutls_x509_crt_t crt, const char *want)
{
	char cn[128];
	size_t len = sizeof(cn);

	assert_int_equal(gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
						       cn, &len), 0);
	assert_string_equal(cn, want);
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static int file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* A PKCS#10 request made with GnuTLS; *key_out (if not NULL) gets its key. */
static unsigned char *make_csr(gnutls_pk_algorithm_t pk, unsigned bits, const char *cn,
			       size_t *len_out, gnutls_x509_privkey_t *key_out)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crq_t crq;
	gnutls_datum_t d = { NULL, 0 };
	unsigned char *der;

	assert_int_equal(gnutls_x509_privkey_init(&key), 0);
	assert_int_equal(gnutls_x509_privkey_generate2(key, pk, bits, 0, NULL, 0), 0);
	assert_int_equal(gnutls_x509_crq_init(&crq), 0);
	assert_int_equal(gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
						       (unsigned)strlen(cn)), 0);
	assert_int_equal(gnutls_x509_crq_set_key(crq, key), 0);
	/* Asks for a CA certificate: the CA must ignore requested extensions. */
	assert_int_equal(gnutls_x509_crq_set_basic_constraints(crq, 1, -1), 0);
	assert_int_equal(gnutls_x509_crq_sign2(crq, key,
		pk == GNUTLS_PK_EDDSA_ED25519 ? 0 : GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, &d), 0);
	der = malloc(d.size);
	assert_non_null(der);
	memcpy(der, d.data, d.size);
	*len_out = d.size;
	gnutls_free(d.data);
	gnutls_x509_crq_deinit(crq);
	if (key_out != NULL)
		*key_out = key;
	else
		gnutls_x509_privkey_deinit(key);
	return der;
}

static char *base64_of(const unsigned char *data, size_t len)
{
	gnutls_datum_t in = { (unsigned char *)(uintptr_t)data, (unsigned)len }, out;
	char *s;

	assert_int_equal(gnutls_base64_encode2(&in, &out), 0);
	s = malloc(out.size + 1);
	assert_non_null(s);
	memcpy(s, out.data, out.size);
	s[out.size] = '\0';
	gnutls_free(out.data);
	return s;
}

/* ---- CA ---- */

static void test_ca_create_properties(void **state)
{
	gnutls_x509_crt_t crt;
	unsigned char serial[32];
	size_t serial_len = sizeof(serial);
	unsigned critical = 0, ca = 0, usage = 0, bits = 0;
	int pathlen = -1;
	char fp1[MG_CERT_FINGERPRINT_LEN], fp2[MG_CERT_FINGERPRINT_LEN];
	unsigned char *der = NULL;
	size_t der_len = 0;
	char *pem = NULL;
	size_t pem_len = 0;

	(void)state;
	crt = crt_from_ca(fx->device_ca);
	assert_int_equal(gnutls_x509_crt_get_basic_constraints(crt, &critical, &ca, &pathlen), 1);
	assert_true(critical);
	assert_true(ca);
	assert_int_equal(pathlen, 0);
	assert_true(gnutls_x509_crt_get_key_usage(crt, &usage, &critical) >= 0);
	assert_int_equal(usage, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN);
	assert_int_equal(gnutls_x509_crt_get_serial(crt, serial, &serial_len), 0);
	assert_int_equal(serial_len, 16);
	assert_true(serial[0] != 0 && serial[0] < 0x80);
	assert_int_equal(gnutls_x509_crt_get_pk_algorithm(crt, &bits), GNUTLS_PK_ECDSA);
	assert_int_equal(bits, 256);
	assert_int_equal(gnutls_x509_crt_get_signature_algorithm(crt), GNUTLS_SIGN_ECDSA_SHA256);
	assert_int_equal(gnutls_x509_crt_get_version(crt), 3);
	assert_cn(crt, "medgate test device CA");
	assert_int_equal(verify_against(crt, crt), 0);	/* self-signed */
	gnutls_x509_crt_deinit(crt);

	/* PEM and DER are the same certificate; the fingerprint is of the DER. */
	assert_int_equal(mg_ca_cert_pem(fx->device_ca, &pem, &pem_len), 0);
	assert_int_equal(strlen(pem), pem_len);
	assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----"));
	assert_int_equal(mg_ca_cert_der(fx->device_ca, &der, &der_len), 0);
	assert_int_equal(mg_cert_fingerprint_der(der, der_len, fp1), 0);
	assert_int_equal(mg_ca_fingerprint(fx->device_ca, fp2), 0);
	assert_string_equal(fp1, fp2);
	assert_int_equal(strlen(fp1), 64);
	free(pem);
	free(der);
}

static void test_ca_create_rejects(void **state)
{
	static const struct {
		const char *cn;
		unsigned days;
	} cases[] = {
		{ "", 30 }, { NULL, 30 }, { "ok", 0 }, { "ok", 100000 },
		{ "bad\nname", 30 },
		{ "0123456789012345678901234567890123456789012345678901234567890123456789", 30 },
	};
	struct mg_ca *ca = (struct mg_ca *)1;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(mg_ca_create(cases[i].cn, cases[i].days, &ca), MG_ERR_INVALID);
		assert_null(ca);
	}
	mg_ca_free(NULL);
	mg_issued_cert_clear(NULL);
}

static void test_ca_save_modes_and_load(void **state)
{
	char cert[128], key[128], fp1[MG_CERT_FINGERPRINT_LEN], fp2[MG_CERT_FINGERPRINT_LEN];
	struct mg_ca *loaded = NULL;
	mode_t old;

	(void)state;
	path_in(cert, sizeof(cert), "umask0-ca.pem");
	path_in(key, sizeof(key), "umask0-ca.key");
	/* The promised modes must not depend on the umask, in either direction. */
	old = umask(0);
	assert_int_equal(mg_ca_save(fx->device_ca, cert, key), 0);
	umask(077);
	assert_int_equal(file_mode(key), 0600);
	assert_int_equal(file_mode(cert), 0644);
	assert_int_equal(file_mode(fx->device_ca_key), 0600);
	assert_int_equal(file_mode(fx->device_ca_cert), 0644);
	umask(old);

	assert_int_equal(mg_ca_load(cert, key, &loaded), 0);
	assert_int_equal(mg_ca_fingerprint(loaded, fp1), 0);
	assert_int_equal(mg_ca_fingerprint(fx->device_ca, fp2), 0);
	assert_string_equal(fp1, fp2);
	mg_ca_free(loaded);
}

static void test_ca_save_refuses_overwrite(void **state)
{
	char cert[128], key[128], fp[MG_CERT_FINGERPRINT_LEN], fp_before[MG_CERT_FINGERPRINT_LEN];
	struct mg_ca *loaded = NULL;
	int fd;

	(void)state;
	assert_int_equal(mg_ca_fingerprint(fx->device_ca, fp_before), 0);
	/* Both exist: refused, and the files still hold the device CA. */
	assert_int_equal(mg_ca_save(fx->instance_ca, fx->device_ca_cert, fx->device_ca_key),
			 MG_ERR_EXISTS);
	assert_int_equal(mg_ca_load(fx->device_ca_cert, fx->device_ca_key, &loaded), 0);
	assert_int_equal(mg_ca_fingerprint(loaded, fp), 0);
	assert_string_equal(fp, fp_before);
	mg_ca_free(loaded);

	/* Only the certificate exists: refused, and no key is left behind. */
	path_in(cert, sizeof(cert), "only-cert.pem");
	path_in(key, sizeof(key), "only-cert.key");
	fd = open(cert, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mg_ca_save(fx->instance_ca, cert, key), MG_ERR_EXISTS);
	assert_false(file_exists(key));

	/* A symlink in the key's place is never followed. */
	path_in(cert, sizeof(cert), "link-ca.pem");
	path_in(key, sizeof(key), "link-ca.key");
	assert_int_equal(symlink("/nonexistent/target", key), 0);
	assert_int_equal(mg_ca_save(fx->instance_ca, cert, key), MG_ERR_EXISTS);
	assert_false(file_exists(cert));
}

static void test_ca_load_failures(void **state)
{
	char path[128], key_open[128], cert_other[128], key_other[128];
	struct mg_ca *ca = (struct mg_ca *)1;
	FILE *f;

	(void)state;
	path_in(path, sizeof(path), "missing.pem");
	assert_int_equal(mg_ca_load(path, fx->device_ca_key, &ca), MG_ERR_NOT_FOUND);
	assert_null(ca);
	assert_int_equal(mg_ca_load(fx->device_ca_cert, path, &ca), MG_ERR_NOT_FOUND);

	/* A key that group or others may read is refused. */
	path_in(cert_other, sizeof(cert_other), "open-ca.pem");
	path_in(key_open, sizeof(key_open), "open-ca.key");
	assert_int_equal(mg_ca_save(fx->device_ca, cert_other, key_open), 0);
	assert_int_equal(chmod(key_open, 0640), 0);
	assert_int_equal(mg_ca_load(cert_other, key_open, &ca), MG_ERR_DENIED);
	assert_null(ca);

	/* The certificate and key must belong together. */
	path_in(cert_other, sizeof(cert_other), "instance-ca.pem");
	path_in(key_other, sizeof(key_other), "instance-ca.key");
	assert_int_equal(mg_ca_save(fx->instance_ca, cert_other, key_other), 0);
	assert_int_equal(mg_ca_load(fx->device_ca_cert, key_other, &ca), MG_ERR_INVALID);
	assert_null(ca);

	/* A server certificate is not a CA, even with its own key. */
	assert_int_equal(mg_ca_load(fx->server_cert, fx->server_key, &ca), MG_ERR_INVALID);

	/* Garbage where PEM should be. */
	path_in(path, sizeof(path), "garbage.pem");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	assert_int_equal(mg_ca_load(path, fx->device_ca_key, &ca), MG_ERR_TLS);
	assert_null(ca);
}

/* ---- server certificate ---- */

static void test_issue_server(void **state)
{
	gnutls_x509_crt_t crt, ca;
	unsigned critical = 0, is_ca = 1, usage = 0;
	int pathlen = 0;

	(void)state;
	assert_int_equal(file_mode(fx->server_key), 0600);
	assert_int_equal(file_mode(fx->server_cert), 0644);
	crt = crt_from_file(fx->server_cert);
	ca = crt_from_ca(fx->instance_ca);
	assert_int_equal(verify_against(crt, ca), 0);
	gnutls_x509_crt_deinit(ca);
	ca = crt_from_ca(fx->device_ca);
	assert_true(verify_against(crt, ca) & GNUTLS_CERT_SIGNER_NOT_FOUND);
	assert_eku(crt, GNUTLS_KP_TLS_WWW_SERVER);
	assert_int_equal(gnutls_x509_crt_get_basic_constraints(crt, &critical, &is_ca, &pathlen), 0);
	assert_false(is_ca);
	assert_true(gnutls_x509_crt_get_key_usage(crt, &usage, &critical) >= 0);
	assert_int_equal(usage, GNUTLS_KEY_DIGITAL_SIGNATURE);
	assert_cn(crt, "localhost");
	assert_true(gnutls_x509_crt_check_hostname(crt, "localhost"));
	assert_true(gnutls_x509_crt_check_hostname(crt, "127.0.0.1"));
	assert_true(gnutls_x509_crt_check_hostname(crt, "::1"));
	assert_false(gnutls_x509_crt_check_hostname(crt, "example.org"));
	assert_false(gnutls_x509_crt_check_hostname(crt, "127.0.0.2"));
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_crt_deinit(ca);
}

static void test_issue_server_rejects(void **state)
{
	static const char *const good[] = { "localhost" };
	static const char *const bad_ip[] = { "300.1.1.1" };
	static const char *const bad_dns[] = { "local host" };
	char cert[128], key[128];

	(void)state;
	path_in(cert, sizeof(cert), "srv-bad.pem");
	path_in(key, sizeof(key), "srv-bad.key");
	assert_int_equal(mg_ca_issue_server(fx->instance_ca, good, 1, bad_ip, 1, 30, cert, key),
			 MG_ERR_INVALID);
	assert_int_equal(mg_ca_issue_server(fx->instance_ca, bad_dns, 1, NULL, 0, 30, cert, key),
			 MG_ERR_INVALID);
	assert_int_equal(mg_ca_issue_server(fx->instance_ca, NULL, 0, NULL, 0, 30, cert, key),
			 MG_ERR_INVALID);
	assert_int_equal(mg_ca_issue_server(fx->instance_ca, good, 1, NULL, 0, 0, cert, key),
			 MG_ERR_INVALID);
	assert_false(file_exists(cert));
	assert_false(file_exists(key));
	/* Never replaces an existing certificate or key. */
	assert_int_equal(mg_ca_issue_server(fx->instance_ca, good, 1, NULL, 0, 30,
					    fx->server_cert, key), MG_ERR_EXISTS);
	assert_false(file_exists(key));
	assert_int_equal(mg_ca_issue_server(fx->instance_ca, good, 1, NULL, 0, 30, cert,
					    fx->server_key), MG_ERR_EXISTS);
	assert_false(file_exists(cert));
}

/* A name too long for a CN (64 bytes) still goes into the subjectAltName. */
static void test_issue_server_long_name(void **state)
{
	static const char *const names[] = {
		"a-rather-long-host-name-for-a-gateway.ward-7.east-wing.example-hospital.org",
	};
	char cert[128], key[128];
	gnutls_x509_crt_t crt;

	(void)state;
	path_in(cert, sizeof(cert), "srv-long.pem");
	path_in(key, sizeof(key), "srv-long.key");
	assert_int_equal(mg_ca_issue_server(fx->instance_ca, names, 1, NULL, 0, 30, cert, key), 0);
	crt = crt_from_file(cert);
	assert_cn(crt, "medgate server");
	assert_true(gnutls_x509_crt_check_hostname(crt, names[0]));
	gnutls_x509_crt_deinit(crt);
}

/* ---- signing device requests ---- */

static void test_sign_csr_accepts(void **state)
{
	static const struct {
		gnutls_pk_algorithm_t pk;
		unsigned bits;
	} keys[] = {
		{ GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1) },
		{ GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1) },
		{ GNUTLS_PK_RSA, 2048 },
	};
	gnutls_x509_crt_t ca = crt_from_ca(fx->device_ca);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct mg_issued_cert out;
		gnutls_x509_crt_t crt;
		unsigned char *csr;
		size_t csr_len = 0;
		unsigned critical = 0, is_ca = 1, usage = 0;
		int pathlen = 0;
		char fp[MG_CERT_FINGERPRINT_LEN];
		time_t now = time(NULL);

		csr = make_csr(keys[i].pk, keys[i].bits, "requested-name", &csr_len, NULL);
		assert_int_equal(mg_ca_sign_client_csr(fx->device_ca, csr, csr_len, "scale-0042",
						       365, &out), 0);
		crt = crt_from_der(out.der, out.der_len);
		assert_int_equal(verify_against(crt, ca), 0);
		assert_cn(crt, "scale-0042");
		assert_eku(crt, GNUTLS_KP_TLS_WWW_CLIENT);
		assert_int_equal(gnutls_x509_crt_get_basic_constraints(crt, &critical, &is_ca,
								       &pathlen), 0);
		assert_false(is_ca);
		assert_true(gnutls_x509_crt_get_key_usage(crt, &usage, &critical) >= 0);
		assert_int_equal(usage, GNUTLS_KEY_DIGITAL_SIGNATURE);
		assert_int_equal(mg_cert_fingerprint_der(out.der, out.der_len, fp), 0);
		assert_string_equal(out.fingerprint, fp);
		assert_int_equal(strlen(out.serial), 32);
		assert_int_equal(out.not_after_ms,
				 (int64_t)gnutls_x509_crt_get_expiration_time(crt) * 1000);
		assert_true(llabs((long long)(gnutls_x509_crt_get_expiration_time(crt) - now) -
				  365LL * 86400) < 60);
		assert_true(llabs((long long)(now - gnutls_x509_crt_get_activation_time(crt)) -
				  300) < 60);
		gnutls_x509_crt_deinit(crt);
		mg_issued_cert_clear(&out);
		assert_null(out.der);
		free(csr);
	}
	gnutls_x509_crt_deinit(ca);
}

static void test_sign_csr_rejects(void **state)
{
	struct mg_issued_cert out;
	unsigned char *csr, *tampered, *p;
	size_t csr_len = 0, i;
	static const unsigned char garbage[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	struct {
		const char *what;
		gnutls_pk_algorithm_t pk;
		unsigned bits;
	} weak[] = {
		{ "RSA 1024", GNUTLS_PK_RSA, 1024 },
		{ "P-521", GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP521R1) },
		{ "Ed25519", GNUTLS_PK_EDDSA_ED25519, 0 },
	};

	(void)state;
	csr = make_csr(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
		       "device-name", &csr_len, NULL);

	/* A request whose subject was changed after signing. */
	tampered = malloc(csr_len);
	assert_non_null(tampered);
	memcpy(tampered, csr, csr_len);
	p = memmem(tampered, csr_len, "device-name", 11);
	assert_non_null(p);
	p[0] = 'D';
	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(mg_ca_sign_client_csr(fx->device_ca, tampered, csr_len, "x", 30, &out),
			 MG_ERR_INVALID);
	assert_null(out.der);
	assert_int_equal(out.fingerprint[0], '\0');
	/* A damaged signature. */
	memcpy(tampered, csr, csr_len);
	tampered[csr_len - 1] ^= 0x01;
	assert_int_equal(mg_ca_sign_client_csr(fx->device_ca, tampered, csr_len, "x", 30, &out),
			 MG_ERR_INVALID);
	/* Truncated, garbage, empty, too long. */
	for (i = 1; i < csr_len; i += 37)
		assert_int_equal(mg_ca_sign_client_csr(fx->device_ca, csr, i, "x", 30, &out),
				 MG_ERR_INVALID);
	assert_int_equal(mg_ca_sign_client_csr(fx->device_ca, garbage, sizeof(garbage), "x", 30,
					       &out), MG_ERR_INVALID);
	assert_int_equal(mg_ca_sign_client_csr(fx->device_ca, csr, 0, "x", 30, &out),
			 MG_ERR_INVALID);
	assert_int_equal(mg_ca_sign_client_csr(fx->device_ca, NULL, 10, "x", 30, &out),
			 MG_ERR_INVALID);
	assert_int_equal(mg_ca_sign_client_csr(fx->device_ca, csr, MG_EST_BODY_MAX + 1, "x", 30,
					       &out), MG_ERR_LIMIT);
	/* Bad subject names and validity. */
	assert_int_equal(mg_ca_sign_client_csr(fx->device_ca, csr, csr_len, "", 30, &out),
			 MG_ERR_INVALID);
	assert_int_equal(mg_ca_sign_client_csr(fx->device_ca, csr, csr_len, "a\tb", 30, &out),
			 MG_ERR_INVALID);
	assert_int_equal(mg_ca_sign_client_csr(fx->device_ca, csr, csr_len, "x", 0, &out),
			 MG_ERR_INVALID);
	/* The untouched request still works (the failures were not the CA). */
	assert_int_equal(mg_ca_sign_client_csr(fx->device_ca, csr, csr_len, "x", 30, &out), 0);
	mg_issued_cert_clear(&out);
	free(tampered);
	free(csr);

	/* Key types the gateway does not accept. */
	for (i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
		csr = make_csr(weak[i].pk, weak[i].bits, "weak", &csr_len, NULL);
		if (mg_ca_sign_client_csr(fx->device_ca, csr, csr_len, "x", 30, &out) !=
		    MG_ERR_INVALID)
			fail_msg("%s key accepted", weak[i].what);
		assert_null(out.der);
		free(csr);
	}
}

/* EST requests arrive on several threads; they share one device CA. */
struct signer {
	const unsigned char *csr;
	size_t csr_len;
	int failures;
};

static void *signer_run(void *arg)
{
	struct signer *sg = arg;
	int i;

	for (i = 0; i < 8; i++) {
		struct mg_issued_cert out;
		char fp[MG_CERT_FINGERPRINT_LEN];

		if (mg_ca_sign_client_csr(fx->device_ca, sg->csr, sg->csr_len, "threaded", 1,
					  &out) != 0 || mg_ca_fingerprint(fx->device_ca, fp) != 0)
			sg->failures++;
		mg_issued_cert_clear(&out);
	}
	return NULL;
}

static void test_sign_csr_threads(void **state)
{
	struct signer sg[4];
	pthread_t threads[4];
	unsigned char *csr;
	size_t csr_len = 0, i;

	(void)state;
	csr = make_csr(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), "t",
		       &csr_len, NULL);
	for (i = 0; i < 4; i++) {
		sg[i].csr = csr;
		sg[i].csr_len = csr_len;
		sg[i].failures = 0;
		assert_int_equal(pthread_create(&threads[i], NULL, signer_run, &sg[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		assert_int_equal(sg[i].failures, 0);
	}
	free(csr);
}

static void test_fingerprint_der(void **state)
{
	char hex[MG_CERT_FINGERPRINT_LEN];

	(void)state;
	/* FIPS 180-2 test vector: SHA-256("abc"). */
	assert_int_equal(mg_cert_fingerprint_der((const unsigned char *)"abc", 3, hex), 0);
	assert_string_equal(hex,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(mg_cert_fingerprint_der(NULL, 0, hex), MG_ERR_INVALID);
	assert_string_equal(hex, "");
}

/* ---- EST ---- */

static char *with_line_breaks(const char *b64, size_t every, const char *brk)
{
	size_t len = strlen(b64), n = 0, i;
	char *out = malloc(len + (len / every + 2) * strlen(brk) + 1);

	assert_non_null(out);
	for (i = 0; i < len; i++) {
		out[n++] = b64[i];
		if ((i + 1) % every == 0) {
			memcpy(out + n, brk, strlen(brk));
			n += strlen(brk);
		}
	}
	out[n] = '\0';
	return out;
}

static void test_est_decode_accepts(void **state)
{
	unsigned char *csr, *der = NULL;
	size_t csr_len = 0, der_len = 0, i;
	char *b64, *crlf, *lf, *pem, *pem_new, *ws;
	const char *bodies[6];
	size_t size;

	(void)state;
	csr = make_csr(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), "est",
		       &csr_len, NULL);
	b64 = base64_of(csr, csr_len);
	crlf = with_line_breaks(b64, 64, "\r\n");
	lf = with_line_breaks(b64, 76, "\n");
	ws = with_line_breaks(b64, 7, " \t");
	size = strlen(lf) + 128;
	pem = malloc(size);
	pem_new = malloc(size);
	assert_non_null(pem);
	assert_non_null(pem_new);
	snprintf(pem, size, "\n-----BEGIN CERTIFICATE REQUEST-----\n%s\n"
		 "-----END CERTIFICATE REQUEST-----\n", lf);
	snprintf(pem_new, size, "-----BEGIN NEW CERTIFICATE REQUEST-----\r\n%s"
		 "-----END NEW CERTIFICATE REQUEST-----", crlf);
	bodies[0] = b64;
	bodies[1] = crlf;
	bodies[2] = lf;
	bodies[3] = ws;
	bodies[4] = pem;
	bodies[5] = pem_new;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct mg_issued_cert out;

		if (mg_est_decode_csr(bodies[i], strlen(bodies[i]), &der, &der_len) != 0)
			fail_msg("body %zu refused", i);
		assert_int_equal(der_len, csr_len);
		assert_memory_equal(der, csr, csr_len);
		assert_int_equal(mg_ca_sign_client_csr(fx->device_ca, der, der_len, "est", 1,
						       &out), 0);
		mg_issued_cert_clear(&out);
		free(der);
	}
	free(b64);
	free(crlf);
	free(lf);
	free(ws);
	free(pem);
	free(pem_new);
	free(csr);
}

static void test_est_decode_rejects(void **state)
{
	static const struct {
		const char *body;
		int want;
	} cases[] = {
		{ "", MG_ERR_INVALID },
		{ " \r\n\t ", MG_ERR_INVALID },
		{ "MAMCAQE", MG_ERR_INVALID },			/* length not a multiple of 4 */
		{ "MAMCAQE!", MG_ERR_INVALID },			/* not base64 */
		{ "MA==MAMC", MG_ERR_INVALID },			/* padding in the middle */
		{ "MAM===", MG_ERR_INVALID },			/* too much padding */
		{ "AgEB", MG_ERR_INVALID },			/* INTEGER, not SEQUENCE */
		{ "MAMCAQEA", MG_ERR_INVALID },			/* SEQUENCE plus a trailing byte */
		{ "MAQCAQE=", MG_ERR_INVALID },			/* SEQUENCE longer than the data */
		{ "MIEDAgEB", MG_ERR_INVALID },			/* non-minimal length */
		{ "-----BEGIN CERTIFICATE REQUEST-----\nMAMCAQE=\n", MG_ERR_INVALID },
		{ "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n",
		  MG_ERR_INVALID },
		{ "-----BEGIN CERTIFICATE REQUEST-----\nMAMCAQE=\n"
		  "-----END NEW CERTIFICATE REQUEST-----\n", MG_ERR_INVALID },
		{ "-----BEGIN CERTIFICATE REQUEST-----\nMAMCAQE=\n"
		  "-----END CERTIFICATE REQUEST-----\ntrailing", MG_ERR_INVALID },
		{ "-----BEGIN CERTIFICATE REQUEST-----\nProc-Type: 4,ENCRYPTED\nMAMCAQE=\n"
		  "-----END CERTIFICATE REQUEST-----\n", MG_ERR_INVALID },
		{ "MAMCAQE=", 0 },	/* the smallest SEQUENCE passes framing checks */
	};
	unsigned char *der = (unsigned char *)1;
	size_t der_len = 7, i;
	char *huge;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = mg_est_decode_csr(cases[i].body, strlen(cases[i].body), &der, &der_len);

		if (r != cases[i].want)
			fail_msg("case %zu: got %d, want %d", i, r, cases[i].want);
		if (r != 0) {
			assert_null(der);
			assert_int_equal(der_len, 0);
		}
		free(der);
	}
	/* Embedded NUL bytes are not base64. */
	assert_int_equal(mg_est_decode_csr("MAMC\0QE=", 8, &der, &der_len), MG_ERR_INVALID);
	assert_int_equal(mg_est_decode_csr(NULL, 4, &der, &der_len), MG_ERR_INVALID);
	/* The limit applies before anything is looked at. */
	huge = malloc(MG_EST_BODY_MAX + 1);
	assert_non_null(huge);
	memset(huge, 'A', MG_EST_BODY_MAX + 1);
	assert_int_equal(mg_est_decode_csr(huge, MG_EST_BODY_MAX + 1, &der, &der_len),
			 MG_ERR_LIMIT);
	free(huge);
}

static void test_est_certs_only(void **state)
{
	unsigned char *ca_der = NULL, *csr;
	size_t ca_len = 0, csr_len = 0, b64_len = 0, i, line = 0;
	struct mg_issued_cert dev;
	const unsigned char *ders[2];
	size_t lens[2];
	char *b64 = NULL;
	gnutls_datum_t in, raw = { NULL, 0 };
	gnutls_pkcs7_t p7;
	gnutls_datum_t got;
	static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };

	(void)state;
	assert_int_equal(mg_ca_cert_der(fx->device_ca, &ca_der, &ca_len), 0);
	csr = make_csr(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), "p7",
		       &csr_len, NULL);
	assert_int_equal(mg_ca_sign_client_csr(fx->device_ca, csr, csr_len, "p7", 30, &dev), 0);
	ders[0] = dev.der;
	lens[0] = dev.der_len;
	ders[1] = ca_der;
	lens[1] = ca_len;
	assert_int_equal(mg_est_certs_only(ders, lens, 2, &b64, &b64_len), 0);
	assert_int_equal(strlen(b64), b64_len);
	/* Lines of at most 64 characters, each ended by LF, no CR. */
	for (i = 0; i < b64_len; i++) {
		assert_true(b64[i] != '\r');
		if (b64[i] == '\n') {
			assert_true(line > 0 && line <= 64);
			line = 0;
		} else {
			line++;
		}
	}
	assert_int_equal(line, 0);
	/* Our own decoder reads it back (it is a DER SEQUENCE in base64). */
	assert_int_equal(mg_est_decode_csr(b64, b64_len, &raw.data, &b64_len), 0);
	raw.size = (unsigned)b64_len;
	assert_int_equal(gnutls_pkcs7_init(&p7), 0);
	in = raw;
	assert_int_equal(gnutls_pkcs7_import(p7, &in, GNUTLS_X509_FMT_DER), 0);
	assert_int_equal(gnutls_pkcs7_get_crt_count(p7), 2);
	assert_int_equal(gnutls_pkcs7_get_signature_count(p7), 0);
	/* Both certificates are there; DER sorts a SET OF, so in any order. */
	for (i = 0; i < 2; i++) {
		size_t j, found = 0;

		assert_int_equal(gnutls_pkcs7_get_crt_raw2(p7, (unsigned)i, &got), 0);
		for (j = 0; j < 2; j++)
			found += got.size == lens[j] && memcmp(got.data, ders[j], lens[j]) == 0;
		assert_int_equal(found, 1);
		gnutls_free(got.data);
	}
	assert_int_equal(gnutls_pkcs7_get_crt_raw2(p7, 0, &got), 0);
	assert_int_equal(gnutls_pkcs7_get_crt_raw2(p7, 1, &in), 0);
	assert_false(got.size == in.size && memcmp(got.data, in.data, got.size) == 0);
	gnutls_free(got.data);
	gnutls_free(in.data);
	gnutls_pkcs7_deinit(p7);
	free(raw.data);
	free(b64);

	/* Refusals: nothing, a non-certificate, too many. */
	assert_int_equal(mg_est_certs_only(ders, lens, 0, &b64, &b64_len), MG_ERR_INVALID);
	assert_null(b64);
	ders[1] = junk;
	lens[1] = sizeof(junk);
	assert_int_equal(mg_est_certs_only(ders, lens, 2, &b64, &b64_len), MG_ERR_INVALID);
	assert_null(b64);
	assert_int_equal(mg_est_certs_only(ders, lens, MG_EST_CERTS_MAX + 1, &b64, &b64_len),
			 MG_ERR_LIMIT);
	mg_issued_cert_clear(&dev);
	free(ca_der);
	free(csr);
}

/* ---- profiles ---- */

static int in_list(const unsigned *list, int n, unsigned v)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i] == v)
			return 1;
	return 0;
}

static void test_profiles_parse(void **state)
{
	static const struct {
		const char *name;
		int chacha, x25519;
	} cases[] = {
		{ "bsi", 0, 0 },
		{ "mozilla-intermediate", 1, 1 },
	};
	const char *const *names = mg_tls_profile_names();
	size_t i;

	(void)state;
	assert_null(mg_tls_priorities("nonsense"));
	assert_null(mg_tls_priorities(""));
	assert_string_equal(mg_tls_priorities(NULL), mg_tls_priorities("bsi"));
	for (i = 0; names[i] != NULL; i++)
		assert_non_null(mg_tls_priorities(names[i]));
	assert_int_equal(i, 2);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gnutls_priority_t prio;
		const char *err = NULL;
		const unsigned *list;
		int n, j;

		if (gnutls_priority_init(&prio, mg_tls_priorities(cases[i].name), &err) != 0)
			fail_msg("%s does not parse at \"%s\"", cases[i].name, err);
		/* Protocols: exactly TLS 1.3 and 1.2. */
		n = gnutls_priority_protocol_list(prio, &list);
		assert_int_equal(n, 2);
		assert_true(in_list(list, n, GNUTLS_TLS1_3) && in_list(list, n, GNUTLS_TLS1_2));
		/* Ciphers: AES-GCM, and ChaCha20 only where the profile says. */
		n = gnutls_priority_cipher_list(prio, &list);
		assert_true(in_list(list, n, GNUTLS_CIPHER_AES_128_GCM));
		assert_true(in_list(list, n, GNUTLS_CIPHER_AES_256_GCM));
		assert_int_equal(in_list(list, n, GNUTLS_CIPHER_CHACHA20_POLY1305), cases[i].chacha);
		assert_int_equal(n, 2 + cases[i].chacha);
		/* Key exchange: ECDHE only. */
		n = gnutls_priority_kx_list(prio, &list);
		for (j = 0; j < n; j++)
			assert_true(list[j] == GNUTLS_KX_ECDHE_ECDSA ||
				    list[j] == GNUTLS_KX_ECDHE_RSA);
		/* Groups: P-256 and P-384, X25519 only where the profile says. */
		n = gnutls_priority_group_list(prio, &list);
		assert_true(in_list(list, n, GNUTLS_GROUP_SECP256R1));
		assert_true(in_list(list, n, GNUTLS_GROUP_SECP384R1));
		assert_int_equal(in_list(list, n, GNUTLS_GROUP_X25519), cases[i].x25519);
		assert_int_equal(n, 2 + cases[i].x25519);
		/* MAC: AEAD only. */
		n = gnutls_priority_mac_list(prio, &list);
		assert_int_equal(n, 1);
		assert_int_equal(list[0], GNUTLS_MAC_AEAD);
		gnutls_priority_deinit(prio);
	}
}

/* ---- handshakes over a socketpair ---- */

struct client_side {
	int fd;
	const char *priorities;
	gnutls_certificate_credentials_t cred;
	int rc;
};

static void *client_run(void *arg)
{
	struct client_side *c = arg;
	gnutls_session_t s;
	int r;

	c->rc = -1;
	if (gnutls_init(&s, GNUTLS_CLIENT) != 0)
		return NULL;
	if (gnutls_priority_set_direct(s, c->priorities, NULL) == 0 &&
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c->cred) == 0) {
		gnutls_transport_set_int(s, c->fd);
		gnutls_handshake_set_timeout(s, 10000);
		do {
			r = gnutls_handshake(s);
		} while (r < 0 && !gnutls_error_is_fatal(r));
		c->rc = r;
	}
	gnutls_deinit(s);
	close(c->fd);
	return NULL;
}

struct handshake {
	int server_rc, client_rc, verify_rc;
	char fingerprint[MG_CERT_FINGERPRINT_LEN];
	char reason[128];
	int64_t not_after_ms;
	gnutls_protocol_t version;
	gnutls_group_t group;
	gnutls_cipher_algorithm_t cipher;
};

/* Run one handshake: the server as the daemon runs it (profile, server
 * certificate, device CA as trust, certificate requested), the client with
 * its own priorities and optional certificate. */
static void run_handshake(const char *profile, const char *client_prio, gnutls_x509_crt_t cert,
			  gnutls_x509_privkey_t key, struct handshake *h)
{
	gnutls_certificate_credentials_t scred, ccred;
	struct client_side client;
	gnutls_session_t s;
	pthread_t thread;
	char *ca_pem = NULL;
	size_t ca_pem_len = 0;
	gnutls_datum_t trust;
	struct timeval tv = { 10, 0 };
	int fds[2], r;

	memset(h, 0, sizeof(*h));
	assert_int_equal(gnutls_certificate_allocate_credentials(&scred), 0);
	assert_int_equal(gnutls_certificate_set_x509_key_file(scred, fx->server_cert,
		fx->server_key, GNUTLS_X509_FMT_PEM), 0);
	assert_int_equal(mg_ca_cert_pem(fx->device_ca, &ca_pem, &ca_pem_len), 0);
	trust.data = (unsigned char *)ca_pem;
	trust.size = (unsigned)ca_pem_len;
	assert_int_equal(gnutls_certificate_set_x509_trust_mem(scred, &trust,
		GNUTLS_X509_FMT_PEM), 1);
	free(ca_pem);
	assert_int_equal(gnutls_certificate_allocate_credentials(&ccred), 0);
	if (cert != NULL)
		assert_int_equal(gnutls_certificate_set_x509_key(ccred, &cert, 1, key), 0);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	setsockopt(fds[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fds[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	client.fd = fds[1];
	client.priorities = client_prio;
	client.cred = ccred;
	assert_int_equal(pthread_create(&thread, NULL, client_run, &client), 0);

	assert_int_equal(gnutls_init(&s, GNUTLS_SERVER), 0);
	assert_int_equal(gnutls_priority_set_direct(s, mg_tls_priorities(profile), NULL), 0);
	assert_int_equal(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, scred), 0);
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
	/* No CA names in the request, so the client always sends what it has
	 * (a GnuTLS client would otherwise withhold a foreign certificate). */
	gnutls_certificate_send_x509_rdn_sequence(s, 1);
	gnutls_transport_set_int(s, fds[0]);
	gnutls_handshake_set_timeout(s, 10000);
	do {
		r = gnutls_handshake(s);
	} while (r < 0 && !gnutls_error_is_fatal(r));
	h->server_rc = r;
	if (r == 0) {
		h->version = gnutls_protocol_get_version(s);
		h->group = gnutls_group_get(s);
		h->cipher = gnutls_cipher_get(s);
		h->verify_rc = mg_tls_peer_verify(s, h->fingerprint, &h->not_after_ms, h->reason,
						  sizeof(h->reason));
	}
	gnutls_deinit(s);
	close(fds[0]);
	assert_int_equal(pthread_join(thread, NULL), 0);
	h->client_rc = client.rc;
	gnutls_certificate_free_credentials(scred);
	gnutls_certificate_free_credentials(ccred);
}

/* A device: key, request, certificate from the given CA. */
struct device {
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	struct mg_issued_cert issued;
};

static void device_enrol(struct device *d, const struct mg_ca *ca)
{
	unsigned char *csr;
	size_t csr_len = 0;

	csr = make_csr(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), "dev",
		       &csr_len, &d->key);
	assert_int_equal(mg_ca_sign_client_csr(ca, csr, csr_len, "device-1", 30, &d->issued), 0);
	d->crt = crt_from_der(d->issued.der, d->issued.der_len);
	free(csr);
}

static void device_free(struct device *d)
{
	gnutls_x509_crt_deinit(d->crt);
	gnutls_x509_privkey_deinit(d->key);
	mg_issued_cert_clear(&d->issued);
}

static void test_profiles_negotiate(void **state)
{
	static const struct {
		const char *profile;
		const char *client;	/* client priorities */
		int ok;			/* handshake expected to succeed */
		gnutls_group_t group;	/* expected group when it does (0: any) */
	} cases[] = {
		{ "bsi", "NORMAL", 1, GNUTLS_GROUP_SECP256R1 },
		{ "bsi", "NORMAL:-VERS-ALL:+VERS-TLS1.2", 1, GNUTLS_GROUP_SECP256R1 },
		{ "bsi", "NORMAL:-GROUP-ALL:+GROUP-SECP384R1", 1, GNUTLS_GROUP_SECP384R1 },
		{ "bsi", "NORMAL:-GROUP-ALL:+GROUP-X25519", 0, 0 },
		{ "bsi", "NORMAL:-GROUP-ALL:+GROUP-SECP521R1", 0, 0 },
		{ "bsi", "NORMAL:-CIPHER-ALL:+CHACHA20-POLY1305", 0, 0 },
		{ "bsi", "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0", 0, 0 },
		{ "bsi", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:+AES-256-CBC", 0, 0 },
		{ "bsi", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA:+DHE-RSA", 0, 0 },
		{ "mozilla-intermediate", "NORMAL:-GROUP-ALL:+GROUP-X25519", 1, GNUTLS_GROUP_X25519 },
		{ "mozilla-intermediate", "NORMAL:-CIPHER-ALL:+CHACHA20-POLY1305", 1, 0 },
		{ "mozilla-intermediate", "NORMAL:-VERS-ALL:+VERS-TLS1.1", 0, 0 },
	};
	struct device dev;
	size_t i;

	(void)state;
	memset(&dev, 0, sizeof(dev));
	device_enrol(&dev, fx->device_ca);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct handshake h;

		run_handshake(cases[i].profile, cases[i].client, dev.crt, dev.key, &h);
		if (cases[i].ok != (h.server_rc == 0 && h.client_rc == 0))
			fail_msg("case %zu (%s vs %s): server %s, client %s", i, cases[i].profile,
				 cases[i].client, gnutls_strerror(h.server_rc),
				 gnutls_strerror(h.client_rc));
		if (!cases[i].ok)
			continue;
		if (cases[i].group != 0 && h.group != cases[i].group)
			fail_msg("case %zu: group %s", i, gnutls_group_get_name(h.group));
		assert_int_equal(h.verify_rc, 0);
		assert_string_equal(h.fingerprint, dev.issued.fingerprint);
		assert_int_equal(h.not_after_ms, dev.issued.not_after_ms);
	}
	device_free(&dev);
}

/* A client certificate made here rather than by the CA module, for the
 * cases the module refuses to make: already expired. */
static void make_expired_device(struct device *d)
{
	gnutls_datum_t pem = { NULL, 0 };
	gnutls_x509_crt_t ca_crt;
	gnutls_x509_privkey_t ca_key;
	unsigned char serial[] = { 0x42 };
	time_t now = time(NULL);

	memset(d, 0, sizeof(*d));
	ca_crt = crt_from_file(fx->device_ca_cert);
	assert_int_equal(gnutls_load_file(fx->device_ca_key, &pem), 0);
	assert_int_equal(gnutls_x509_privkey_init(&ca_key), 0);
	assert_int_equal(gnutls_x509_privkey_import2(ca_key, &pem, GNUTLS_X509_FMT_PEM, NULL, 0),
			 0);
	gnutls_free(pem.data);
	assert_int_equal(gnutls_x509_privkey_init(&d->key), 0);
	assert_int_equal(gnutls_x509_privkey_generate2(d->key, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0), 0);
	assert_int_equal(gnutls_x509_crt_init(&d->crt), 0);
	assert_int_equal(gnutls_x509_crt_set_version(d->crt, 3), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(d->crt, serial, sizeof(serial)), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(d->crt, now - 10 * 86400), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(d->crt, now - 86400), 0);
	assert_int_equal(gnutls_x509_crt_set_dn_by_oid(d->crt, GNUTLS_OID_X520_COMMON_NAME, 0,
						       "old", 3), 0);
	assert_int_equal(gnutls_x509_crt_set_key(d->crt, d->key), 0);
	assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(d->crt, GNUTLS_KP_TLS_WWW_CLIENT, 0),
			 0);
	assert_int_equal(gnutls_x509_crt_sign2(d->crt, ca_crt, ca_key, GNUTLS_DIG_SHA256, 0), 0);
	gnutls_x509_crt_deinit(ca_crt);
	gnutls_x509_privkey_deinit(ca_key);
}

static void test_peer_verify_refusals(void **state)
{
	struct device foreign, expired;
	struct mg_ca *other = NULL;
	gnutls_x509_crt_t server_crt;
	gnutls_x509_privkey_t server_key;
	gnutls_datum_t pem = { NULL, 0 };
	struct handshake h;
	char fp[MG_CERT_FINGERPRINT_LEN];
	int64_t na;

	(void)state;
	/* No certificate at all. */
	run_handshake("bsi", "NORMAL", NULL, NULL, &h);
	assert_int_equal(h.server_rc, 0);
	assert_int_equal(h.verify_rc, MG_ERR_DENIED);
	assert_string_equal(h.reason, "no client certificate");
	assert_string_equal(h.fingerprint, "");

	/* A certificate from another CA. */
	memset(&foreign, 0, sizeof(foreign));
	assert_int_equal(mg_ca_create("someone else's CA", 30, &other), 0);
	device_enrol(&foreign, other);
	run_handshake("bsi", "NORMAL", foreign.crt, foreign.key, &h);
	assert_int_equal(h.server_rc, 0);
	assert_int_equal(h.verify_rc, MG_ERR_DENIED);
	assert_string_equal(h.reason, "certificate not signed by the device CA");
	assert_string_equal(h.fingerprint, "");
	device_free(&foreign);
	mg_ca_free(other);

	/* Expired, from the right CA. */
	make_expired_device(&expired);
	run_handshake("bsi", "NORMAL", expired.crt, expired.key, &h);
	assert_int_equal(h.server_rc, 0);
	assert_int_equal(h.verify_rc, MG_ERR_EXPIRED);
	assert_string_equal(h.reason, "certificate expired");
	gnutls_x509_crt_deinit(expired.crt);
	gnutls_x509_privkey_deinit(expired.key);

	/* The instance's own server certificate presented as a client
	 * certificate: issued by the instance CA, which devices never use. */
	server_crt = crt_from_file(fx->server_cert);
	assert_int_equal(gnutls_load_file(fx->server_key, &pem), 0);
	assert_int_equal(gnutls_x509_privkey_init(&server_key), 0);
	assert_int_equal(gnutls_x509_privkey_import2(server_key, &pem, GNUTLS_X509_FMT_PEM, NULL,
						     0), 0);
	gnutls_memset(pem.data, 0, pem.size);
	gnutls_free(pem.data);
	run_handshake("bsi", "NORMAL", server_crt, server_key, &h);
	assert_int_equal(h.server_rc, 0);
	assert_int_equal(h.verify_rc, MG_ERR_DENIED);
	assert_string_equal(h.reason, "certificate not signed by the device CA");
	gnutls_x509_crt_deinit(server_crt);
	gnutls_x509_privkey_deinit(server_key);

	/* TLS 1.2 without the extended master secret. */
	memset(&foreign, 0, sizeof(foreign));
	device_enrol(&foreign, fx->device_ca);
	run_handshake("bsi", "NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_SESSION_HASH", foreign.crt,
		      foreign.key, &h);
	assert_int_equal(h.server_rc, 0);
	assert_int_equal(h.version, GNUTLS_TLS1_2);
	assert_int_equal(h.verify_rc, MG_ERR_DENIED);
	assert_string_equal(h.reason, "TLS 1.2 without extended master secret");
	device_free(&foreign);

	/* No session at all; reason may be NULL. */
	assert_int_equal(mg_tls_peer_verify(NULL, fp, &na, NULL, 0), MG_ERR_TLS);
}

/* Same as the device CA but made for servers: the chain is valid, the
 * purpose is not. */
static void test_peer_verify_wrong_purpose(void **state)
{
	static const char *const dns[] = { "device.invalid" };
	char cert[128], key[128];
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t pkey;
	gnutls_datum_t pem = { NULL, 0 };
	struct handshake h;

	(void)state;
	path_in(cert, sizeof(cert), "purpose.pem");
	path_in(key, sizeof(key), "purpose.key");
	assert_int_equal(mg_ca_issue_server(fx->device_ca, dns, 1, NULL, 0, 30, cert, key), 0);
	crt = crt_from_file(cert);
	assert_int_equal(gnutls_load_file(key, &pem), 0);
	assert_int_equal(gnutls_x509_privkey_init(&pkey), 0);
	assert_int_equal(gnutls_x509_privkey_import2(pkey, &pem, GNUTLS_X509_FMT_PEM, NULL, 0), 0);
	gnutls_free(pem.data);
	run_handshake("bsi", "NORMAL", crt, pkey, &h);
	assert_int_equal(h.server_rc, 0);
	assert_int_equal(h.verify_rc, MG_ERR_DENIED);
	assert_string_equal(h.reason, "certificate not issued for client authentication");
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(pkey);
}

/* ---- files for the OpenSSL interoperability script ---- */

static unsigned char *read_all(const char *path, size_t *len)
{
	gnutls_datum_t d = { NULL, 0 };
	unsigned char *p;

	if (gnutls_load_file(path, &d) != 0)
		fail_msg("cannot read %s", path);
	p = malloc(d.size + 1);
	assert_non_null(p);
	memcpy(p, d.data, d.size);
	p[d.size] = '\0';
	*len = d.size;
	gnutls_free(d.data);
	return p;
}

static void write_all(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void interop_path(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < outlen);
}

/* Inputs from OpenSSL: req-ec.der, req-rsa.der, req-ec.b64 (openssl base64
 * output, 64-column lines). Outputs: device-ca.pem, instance-ca.pem,
 * server.pem/.key, client-ec.der, client-rsa.der, client-b64.der,
 * certs-only.b64, prio-<profile>.txt. */
static void test_interop_export(void **state)
{
	static const char *const dns[] = { "localhost" };
	static const char *const ips[] = { "127.0.0.1", "::1" };
	static const char *const reqs[][2] = {
		{ "req-ec.der", "client-ec.der" },
		{ "req-rsa.der", "client-rsa.der" },
	};
	const char *dir = getenv("MG_TLS_INTEROP_DIR");
	const char *const *names;
	char path[512], path2[512], *pem = NULL, *b64 = NULL;
	unsigned char *req, *der = NULL;
	size_t len = 0, pem_len = 0, b64_len = 0, i;
	struct mg_issued_cert out;
	const unsigned char *ders[2];
	size_t lens[2];

	(void)state;
	if (dir == NULL || dir[0] == '\0')
		skip();
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		interop_path(path, sizeof(path), dir, reqs[i][0]);
		req = read_all(path, &len);
		if (mg_ca_sign_client_csr(fx->device_ca, req, len, "interop-device", 30, &out) != 0)
			fail_msg("OpenSSL request %s refused", reqs[i][0]);
		interop_path(path, sizeof(path), dir, reqs[i][1]);
		write_all(path, out.der, out.der_len);
		mg_issued_cert_clear(&out);
		free(req);
	}
	/* The EST body as openssl base64 writes it. */
	interop_path(path, sizeof(path), dir, "req-ec.b64");
	req = read_all(path, &len);
	assert_int_equal(mg_est_decode_csr((const char *)req, len, &der, &len), 0);
	assert_int_equal(mg_ca_sign_client_csr(fx->device_ca, der, len, "interop-b64", 30, &out),
			 0);
	interop_path(path, sizeof(path), dir, "client-b64.der");
	write_all(path, out.der, out.der_len);
	free(req);
	free(der);
	der = NULL;

	assert_int_equal(mg_ca_cert_pem(fx->device_ca, &pem, &pem_len), 0);
	interop_path(path, sizeof(path), dir, "device-ca.pem");
	write_all(path, pem, pem_len);
	free(pem);
	assert_int_equal(mg_ca_cert_pem(fx->instance_ca, &pem, &pem_len), 0);
	interop_path(path, sizeof(path), dir, "instance-ca.pem");
	write_all(path, pem, pem_len);
	free(pem);
	interop_path(path, sizeof(path), dir, "server.pem");
	interop_path(path2, sizeof(path2), dir, "server.key");
	assert_int_equal(mg_ca_issue_server(fx->instance_ca, dns, 1, ips, 2, 30, path, path2), 0);

	assert_int_equal(mg_ca_cert_der(fx->device_ca, &der, &len), 0);
	ders[0] = out.der;
	lens[0] = out.der_len;
	ders[1] = der;
	lens[1] = len;
	assert_int_equal(mg_est_certs_only(ders, lens, 2, &b64, &b64_len), 0);
	interop_path(path, sizeof(path), dir, "certs-only.b64");
	write_all(path, b64, b64_len);
	free(b64);
	free(der);
	mg_issued_cert_clear(&out);

	for (names = mg_tls_profile_names(); *names != NULL; names++) {
		char name[128];
		const char *prio = mg_tls_priorities(*names);

		snprintf(name, sizeof(name), "prio-%s.txt", *names);
		interop_path(path, sizeof(path), dir, name);
		write_all(path, prio, strlen(prio));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ca_create_properties),
		cmocka_unit_test(test_ca_create_rejects),
		cmocka_unit_test(test_ca_save_modes_and_load),
		cmocka_unit_test(test_ca_save_refuses_overwrite),
		cmocka_unit_test(test_ca_load_failures),
		cmocka_unit_test(test_issue_server),
		cmocka_unit_test(test_issue_server_rejects),
		cmocka_unit_test(test_issue_server_long_name),
		cmocka_unit_test(test_sign_csr_accepts),
		cmocka_unit_test(test_sign_csr_rejects),
		cmocka_unit_test(test_sign_csr_threads),
		cmocka_unit_test(test_fingerprint_der),
		cmocka_unit_test(test_est_decode_accepts),
		cmocka_unit_test(test_est_decode_rejects),
		cmocka_unit_test(test_est_certs_only),
		cmocka_unit_test(test_profiles_parse),
		cmocka_unit_test(test_profiles_negotiate),
		cmocka_unit_test(test_peer_verify_refusals),
		cmocka_unit_test(test_peer_verify_wrong_purpose),
		cmocka_unit_test(test_interop_export),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
