/* The device side of EST (RFC 7030) enrolment with GnuTLS: a new ECDSA
 * P-256 key and its PKCS#10 request, and reading the certs-only PKCS#7 the
 * server answers with. */
#ifndef MG_DEVICE_EST_H
#define MG_DEVICE_EST_H

#include <stddef.h>

#include <gnutls/x509.h>

#define MG_DEVICE_EST_ENROLL_PATH	"/.well-known/est/simpleenroll"
#define MG_DEVICE_EST_REENROLL_PATH	"/.well-known/est/simplereenroll"
#define MG_DEVICE_EST_CACERTS_PATH	"/.well-known/est/cacerts"
#define MG_DEVICE_EST_CERTS_MAX		16	/* certificates we accept in one answer */

/* A new ECDSA P-256 key into *key (the caller's: gnutls_x509_privkey_deinit)
 * and a PKCS#10 request for it with CN = name, signed with SHA-256, as
 * base64 of its DER without line breaks into *csr_b64 (NUL-terminated; the
 * caller's, free). Returns 0 or MG_ERR_CRYPTO / MG_ERR_NOMEM. */
int mg_device_est_request_new(const char *name, gnutls_x509_privkey_t *key, char **csr_b64);

/* key as unencrypted PKCS#8 PEM into *pem (the caller's: wipe and free with
 * mg_device_est_secret_free). Returns 0 or MG_ERR_CRYPTO. */
int mg_device_est_key_pem(gnutls_x509_privkey_t key, char **pem, size_t *len);

/* Wipe len bytes of p and free it; NULL is a no-op. */
void mg_device_est_secret_free(char *p, size_t len);

/* From a base64 (line breaks allowed) DER certs-only PKCS#7 body of len
 * bytes, the PEM of every certificate (*pem, NUL-terminated, the caller's:
 * free), or, if key is non-NULL, of the one certificate whose public key is
 * key's. Returns 0, MG_ERR_INVALID (not a certs-only PKCS#7),
 * MG_ERR_NOT_FOUND (no certificate for key), MG_ERR_LIMIT or
 * MG_ERR_NOMEM. */
int mg_device_est_certs_pem(const char *b64, size_t len, gnutls_x509_privkey_t key,
			    char **pem, size_t *pem_len);

/* Check that the PEM text holds 1..MG_DEVICE_EST_CERTS_MAX X.509
 * certificates. Returns 0 or MG_ERR_INVALID. */
int mg_device_est_check_pem_certs(const char *pem, size_t len);

/* Describe the PEM certificate: its subject (RFC 4514) and expiry as Unix
 * seconds. Returns 0 or MG_ERR_INVALID. */
int mg_device_est_cert_info(const char *pem, size_t len, char *subject, size_t subjectlen,
			    char *issuer, size_t issuerlen, long long *expires);

#endif
