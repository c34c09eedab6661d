/* Unit tests of src/tls/est.c: decoding EST requests (base64 PKCS#10, line
 * breaks and all) and encoding certs-only replies. */
#include "tls_fixture.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_est_decode_accepts),
		cmocka_unit_test(test_est_decode_rejects),
		cmocka_unit_test(test_est_certs_only),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
