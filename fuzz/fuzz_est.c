/* libFuzzer harness for the EST enrolment input path: the simpleenroll body
 * (mg_est_decode_csr) and the PKCS#10 request it yields, which goes on to
 * mg_ca_sign_client_csr. The raw input is also tried as a DER request, so
 * the request parser is reached without the base64 layer in the way. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tls/ca.h"
#include "tls/est.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mg_ca *fuzz_ca;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mg_ca_create("medgate fuzz CA", 1, &fuzz_ca) != 0)
		abort();
	return 0;
}

static void fuzz_sign(const unsigned char *der, size_t len)
{
	struct mg_issued_cert cert;

	if (mg_ca_sign_client_csr(fuzz_ca, der, len, "fuzz-device", 1, &cert) == 0) {
		/* What we issue must be our own, whatever the request said. */
		if (cert.der == NULL || cert.der_len == 0 || cert.fingerprint[64] != '\0')
			abort();
		mg_issued_cert_clear(&cert);
	} else if (cert.der != NULL) {
		abort();	/* outputs are cleared on failure */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *der = NULL;
	size_t der_len = 0;

	if (mg_est_decode_csr((const char *)data, size, &der, &der_len) == 0) {
		if (der == NULL || der_len == 0 || der_len > size)
			abort();
		fuzz_sign(der, der_len);
		free(der);
	} else if (der != NULL || der_len != 0) {
		abort();
	}
	fuzz_sign(data, size);
	return 0;
}
