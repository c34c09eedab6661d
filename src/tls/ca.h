/* Certificate authorities of an instance (the device CA that signs device
 * client certificates, and the instance CA that signs the server
 * certificate), built on GnuTLS. docs/internals/tls.md says why. */
#ifndef MG_TLS_CA_H
#define MG_TLS_CA_H

#include <stddef.h>
#include <stdint.h>

/* A CA certificate and its private key. One mg_ca may be used by several
 * threads at once (it serializes its own use of GnuTLS). */
struct mg_ca;

#define MG_CERT_FINGERPRINT_LEN	65	/* lowercase hex SHA-256 plus NUL */
#define MG_CERT_SERIAL_LEN	41	/* lowercase hex of up to 20 octets plus NUL */

/* Make a new self-signed CA: ECDSA P-256 key, SHA-256, random positive
 * 16-byte serial, basicConstraints CA:TRUE pathlen 0 (critical), keyUsage
 * keyCertSign and cRLSign, valid for days (1..36600). On success *out is the
 * caller's (mg_ca_free). Returns 0, MG_ERR_INVALID or MG_ERR_TLS. */
int mg_ca_create(const char *common_name, unsigned days, struct mg_ca **out);

/* Load a CA from PEM files (key unencrypted, PKCS#8 or SEC1). The key file
 * must not be accessible to group or others (MG_ERR_DENIED), the
 * certificate must be a CA and match the key (MG_ERR_INVALID). On success
 * *out is the caller's. Returns 0 or MG_ERR_NOT_FOUND / IO / LIMIT / TLS. */
int mg_ca_load(const char *cert_path, const char *key_path, struct mg_ca **out);

/* Write ca as PEM: the key (PKCS#8) with mode 0600, the certificate 0644,
 * whatever the umask. Never replaces a file: MG_ERR_EXISTS if either path
 * exists (nothing is left behind then). Returns 0 or MG_ERR_IO / MG_ERR_TLS. */
int mg_ca_save(const struct mg_ca *ca, const char *cert_path, const char *key_path);

/* Free ca and wipe its key. NULL is a no-op. */
void mg_ca_free(struct mg_ca *ca);

/* The CA certificate as NUL-terminated PEM (*len_out excludes the NUL) or as
 * DER. The buffer is the caller's (free()). Returns 0, MG_ERR_NOMEM or
 * MG_ERR_TLS. */
int mg_ca_cert_pem(const struct mg_ca *ca, char **pem_out, size_t *len_out);
int mg_ca_cert_der(const struct mg_ca *ca, unsigned char **der_out, size_t *len_out);

/* SHA-256 fingerprint of the CA certificate as lowercase hex.
 * Returns 0 or MG_ERR_TLS. */
int mg_ca_fingerprint(const struct mg_ca *ca, char hex[MG_CERT_FINGERPRINT_LEN]);

/* Make a new P-256 key and a server certificate signed by ca (serverAuth
 * EKU, digitalSignature, CA:FALSE, subjectAltName with the DNS names and the
 * IPv4/IPv6 address texts, CN = the first name or "medgate server" if it is
 * longer than 64 bytes), valid for days. Writes PEM
 * to cert_path (0644) and key_path (0600), never replacing a file
 * (MG_ERR_EXISTS). At least one name is needed. Returns 0, MG_ERR_INVALID
 * for a bad name or address, MG_ERR_IO or MG_ERR_TLS. */
int mg_ca_issue_server(const struct mg_ca *ca, const char *const *dns_names, size_t n_dns,
		       const char *const *ip_addresses, size_t n_ip, unsigned days,
		       const char *cert_path, const char *key_path);

/* A certificate we issued, with what the caller stores about it. */
struct mg_issued_cert {
	unsigned char *der;	/* the certificate, DER; mg_issued_cert_clear frees */
	size_t der_len;
	char fingerprint[MG_CERT_FINGERPRINT_LEN];	/* lowercase hex SHA-256 of der */
	char serial[MG_CERT_SERIAL_LEN];		/* lowercase hex serial */
	int64_t not_after_ms;				/* Unix ms */
};

/* Check a PKCS#10 request (DER, outside input): its self-signature must
 * verify and its key must be EC P-256/P-384 or RSA 2048..8192 bits, else
 * MG_ERR_INVALID. Then issue a TLS client certificate signed by ca:
 * clientAuth EKU, digitalSignature, CA:FALSE, subject CN = subject_cn (the
 * request's subject and extensions are ignored), random serial, valid from
 * now - 5 min for days. On success *out holds it (mg_issued_cert_clear).
 * Returns 0, MG_ERR_INVALID, MG_ERR_LIMIT (request > MG_EST_BODY_MAX) or
 * MG_ERR_TLS. */
int mg_ca_sign_client_csr(const struct mg_ca *ca, const unsigned char *csr_der, size_t csr_len,
			  const char *subject_cn, unsigned days, struct mg_issued_cert *out);

/* Free c's DER and clear all its fields. NULL is a no-op. */
void mg_issued_cert_clear(struct mg_issued_cert *c);

/* SHA-256 of len bytes of der as lowercase hex (no parsing: the caller
 * decides what the bytes are). Returns 0, MG_ERR_INVALID if there are no
 * bytes, or MG_ERR_TLS. */
int mg_cert_fingerprint_der(const unsigned char *der, size_t len,
			    char hex[MG_CERT_FINGERPRINT_LEN]);

#endif
