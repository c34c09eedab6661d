/* What the src/tls/ suites share (test_tls.c, test_tls_est.c,
 * test_tls_handshake.c): the group fixture, one temp dir with a device
 * CA, an instance CA and a server certificate, and the certificate
 * helpers. tls_fixture.c is linked into each (tests/tests.cmake). */
#ifndef MG_TEST_TLS_FIXTURE_H
#define MG_TEST_TLS_FIXTURE_H

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

struct fixture {
	char dir[64];
	struct mg_ca *device_ca;
	struct mg_ca *instance_ca;
	char device_ca_cert[128], device_ca_key[128];
	char server_cert[128], server_key[128];
};

/* Set by group_setup for the whole program, freed by group_teardown. */
extern struct fixture *fx;

int group_setup(void **state);
int group_teardown(void **state);

/* out = the fixture's temp dir / name; fails the test if it does not fit. */
void path_in(char *out, size_t outlen, const char *name);

/* Certificates read from DER, a CA or a PEM file; the caller deinits. */
gnutls_x509_crt_t crt_from_der(const unsigned char *der, size_t len);
gnutls_x509_crt_t crt_from_ca(const struct mg_ca *ca);
gnutls_x509_crt_t crt_from_file(const char *path);
/* 0 if crt verifies against ca alone, else the GnuTLS status bits. */
unsigned verify_against(gnutls_x509_crt_t crt, gnutls_x509_crt_t ca);
/* Fail the test unless crt has exactly this EKU / this common name. */
void assert_eku(gnutls_x509_crt_t crt, const char *want);
void assert_cn(gnutls_x509_crt_t crt, const char *want);
mode_t file_mode(const char *path);	/* permission bits */
int file_exists(const char *path);
/* A PKCS#10 request made with GnuTLS (DER, the caller frees); *key_out
 * (if not NULL) gets its key. */
unsigned char *make_csr(gnutls_pk_algorithm_t pk, unsigned bits, const char *cn,
			size_t *len_out, gnutls_x509_privkey_t *key_out);
char *base64_of(const unsigned char *data, size_t len);	/* caller frees */

#endif
