/* Unit tests of src/tls/ certificates: CAs, issuing server certificates,
 * signing device requests. With MG_TLS_INTEROP_DIR set, one more test
 * writes files for tests/integration/test_tls_interop.sh to check with
 * OpenSSL (that script runs this program, test_tls). EST encoding is in
 * test_tls_est.c, profiles and handshakes in test_tls_handshake.c. */
#include "tls_fixture.h"

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

	/* A key that others may read, or its group write, is refused; its
	 * group may read it only when root owns it (common/file.h). */
	path_in(cert_other, sizeof(cert_other), "open-ca.pem");
	path_in(key_open, sizeof(key_open), "open-ca.key");
	assert_int_equal(mg_ca_save(fx->device_ca, cert_other, key_open), 0);
	assert_int_equal(chmod(key_open, 0604), 0);
	assert_int_equal(mg_ca_load(cert_other, key_open, &ca), MG_ERR_DENIED);
	assert_null(ca);
	assert_int_equal(chmod(key_open, 0660), 0);
	assert_int_equal(mg_ca_load(cert_other, key_open, &ca), MG_ERR_DENIED);
	assert_null(ca);
	assert_int_equal(chmod(key_open, 0640), 0);
	if (geteuid() != 0) {
		assert_int_equal(mg_ca_load(cert_other, key_open, &ca), MG_ERR_DENIED);
		assert_null(ca);
	}

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
		cmocka_unit_test(test_interop_export),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
