/* The src/tls/ suites' shared fixture and certificate helpers; see
 * tls_fixture.h. */
#include "tls_fixture.h"

struct fixture *fx;

void path_in(char *out, size_t outlen, const char *name)
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

int group_setup(void **state)
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

int group_teardown(void **state)
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

gnutls_x509_crt_t crt_from_der(const unsigned char *der, size_t len)
{
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)der, (unsigned)len };
	gnutls_x509_crt_t crt;

	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER), 0);
	return crt;
}

gnutls_x509_crt_t crt_from_ca(const struct mg_ca *ca)
{
	unsigned char *der = NULL;
	size_t len = 0;
	gnutls_x509_crt_t crt;

	assert_int_equal(mg_ca_cert_der(ca, &der, &len), 0);
	crt = crt_from_der(der, len);
	free(der);
	return crt;
}

gnutls_x509_crt_t crt_from_file(const char *path)
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
unsigned verify_against(gnutls_x509_crt_t crt, gnutls_x509_crt_t ca)
{
	unsigned status = 0;

	assert_int_equal(gnutls_x509_crt_verify(crt, &ca, 1, 0, &status), 0);
	return status;
}

void assert_eku(gnutls_x509_crt_t crt, const char *want)
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

void assert_cn(gnutls_x509_crt_t crt, const char *want)
{
	char cn[128];
	size_t len = sizeof(cn);

	assert_int_equal(gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
						       cn, &len), 0);
	assert_string_equal(cn, want);
}

mode_t file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

int file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* A PKCS#10 request made with GnuTLS; *key_out (if not NULL) gets its key. */
unsigned char *make_csr(gnutls_pk_algorithm_t pk, unsigned bits, const char *cn,
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

char *base64_of(const unsigned char *data, size_t len)
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
