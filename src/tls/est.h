/* RFC 7030 (EST) message helpers: decoding a simpleenroll request body and
 * encoding the certs-only PKCS#7 that /cacerts and /simpleenroll answer
 * with. The HTTP handlers live in src/web/ and src/ingest/. */
#ifndef MG_TLS_EST_H
#define MG_TLS_EST_H

#include <stddef.h>

#define MG_EST_CERTS_MAX	16		/* certificates in one certs-only reply */
#define MG_EST_CERT_DER_MAX	(16 * 1024)	/* one certificate in it, DER bytes */

/* Decode a simpleenroll body (outside input, at most MG_EST_BODY_MAX bytes):
 * base64 of a DER PKCS#10 request, line breaks and blanks allowed anywhere,
 * optionally inside a PEM "-----BEGIN CERTIFICATE REQUEST-----" (or "NEW
 * CERTIFICATE REQUEST") wrapper. Checks that the result is one complete DER
 * SEQUENCE, not that it is a valid request (mg_ca_sign_client_csr does).
 * On success *der_out is the caller's (free()). Returns 0, MG_ERR_INVALID,
 * MG_ERR_LIMIT or MG_ERR_NOMEM. */
int mg_est_decode_csr(const char *body, size_t len, unsigned char **der_out,
		      size_t *der_len_out);

/* Encode n (1..MG_EST_CERTS_MAX) DER certificates as a degenerate PKCS#7
 * SignedData ("certs-only", RFC 7030 4.1.3 and 4.2.3) in base64 with a LF
 * after every 64 characters. *b64_out is NUL-terminated (*len_out excludes
 * the NUL) and the caller's (free()). Returns 0, MG_ERR_INVALID for a
 * certificate that does not parse, MG_ERR_LIMIT, MG_ERR_NOMEM or MG_ERR_TLS. */
int mg_est_certs_only(const unsigned char *const *ders, const size_t *der_lens, size_t n,
		      char **b64_out, size_t *len_out);

#endif
