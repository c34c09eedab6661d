/* Issuing end-entity certificates from a CA: the server certificate of an
 * instance, and device client certificates from PKCS#10 requests. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "common/err.h"
#include "common/hex.h"
#include "common/limits.h"
#include "tls/ca.h"
#include "tls/certutil.h"

#define ISSUE_DNS_NAME_MAX	253	/* RFC 1035 presentation form */
#define ISSUE_NAMES_MAX		64	/* subjectAltName entries per certificate */
#define ISSUE_RSA_BITS_MIN	2048
#define ISSUE_RSA_BITS_MAX	8192	/* bounds the work a request can cause */

static int issue_check_dns_name(const char *name)
{
	size_t i, len;

	if (name == NULL)
		return MG_ERR_INVALID;
	len = strnlen(name, ISSUE_DNS_NAME_MAX + 1);
	if (len == 0 || len > ISSUE_DNS_NAME_MAX)
		return MG_ERR_INVALID;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '*'))
			return MG_ERR_INVALID;
	}
	return 0;
}

static int issue_add_names(gnutls_x509_crt_t crt, const char *const *dns_names, size_t n_dns,
			   const char *const *ip_addresses, size_t n_ip)
{
	unsigned char addr[16];
	size_t i;
	int r;

	for (i = 0; i < n_dns; i++) {
		if (issue_check_dns_name(dns_names[i]) != 0)
			return MG_ERR_INVALID;
		r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, dns_names[i],
			(unsigned)strlen(dns_names[i]), GNUTLS_FSAN_APPEND);
		if (r < 0)
			return tls_map_error(r, MG_ERR_TLS);
	}
	for (i = 0; i < n_ip; i++) {
		unsigned addrlen;

		if (ip_addresses[i] == NULL)
			return MG_ERR_INVALID;
		if (inet_pton(AF_INET, ip_addresses[i], addr) == 1)
			addrlen = 4;
		else if (inet_pton(AF_INET6, ip_addresses[i], addr) == 1)
			addrlen = 16;
		else
			return MG_ERR_INVALID;
		r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, addr,
			addrlen, GNUTLS_FSAN_APPEND);
		if (r < 0)
			return tls_map_error(r, MG_ERR_TLS);
	}
	return 0;
}

/* Sign crt with ca and make it usable (see tls_crt_reimport). */
static int issue_sign(gnutls_x509_crt_t *crt, const struct mg_ca *ca)
{
	int r;

	pthread_mutex_lock(ca->lock);
	if ((r = tls_crt_set_key_ids(*crt, ca->crt)) == 0 &&
	    (r = gnutls_x509_crt_sign2(*crt, ca->crt, ca->key, GNUTLS_DIG_SHA256, 0)) < 0)
		r = tls_map_error(r, MG_ERR_TLS);
	pthread_mutex_unlock(ca->lock);
	if (r != 0)
		return r;
	return tls_crt_reimport(crt);
}

int mg_ca_issue_server(const struct mg_ca *ca, const char *const *dns_names, size_t n_dns,
		       const char *const *ip_addresses, size_t n_ip, unsigned days,
		       const char *cert_path, const char *key_path)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	const char *cn;
	int r;

	if (ca == NULL || cert_path == NULL || key_path == NULL ||
	    n_dns + n_ip == 0 || n_dns > ISSUE_NAMES_MAX || n_ip > ISSUE_NAMES_MAX ||
	    (n_dns > 0 && dns_names == NULL) || (n_ip > 0 && ip_addresses == NULL))
		return MG_ERR_INVALID;
	/* Clients match the subjectAltName; the CN is for people reading it
	 * (and limited to 64 bytes, shorter than a DNS name may be). */
	cn = n_dns > 0 ? dns_names[0] : ip_addresses[0];
	if (cn == NULL)
		return MG_ERR_INVALID;
	if (tls_check_common_name(cn) != 0)
		cn = "medgate server";
	if ((r = gnutls_x509_crt_init(&crt)) < 0) {
		r = tls_map_error(r, MG_ERR_TLS);
		goto out;
	}
	if ((r = tls_crt_set_common(crt, cn, days)) != 0 ||
	    (r = issue_add_names(crt, dns_names, n_dns, ip_addresses, n_ip)) != 0 ||
	    (r = tls_key_new_p256(&key)) != 0)
		goto out;
	if ((r = gnutls_x509_crt_set_key(crt, key)) < 0 ||
	    (r = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (r = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (r = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0) {
		r = tls_map_error(r, MG_ERR_TLS);
		goto out;
	}
	if ((r = issue_sign(&crt, ca)) != 0)
		goto out;
	r = tls_write_pair(crt, key, cert_path, key_path);
out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return r;
}

/* Accept the key types of section 5 of DESIGN.md: EC P-256/P-384, RSA of
 * 2048 bits or more (up to a bound, so a request cannot make us work hard). */
static int issue_check_key(gnutls_pubkey_t pub)
{
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
	unsigned int bits = 0;
	int pk, r;

	pk = gnutls_pubkey_get_pk_algorithm(pub, &bits);
	if (pk == GNUTLS_PK_RSA)
		return bits >= ISSUE_RSA_BITS_MIN && bits <= ISSUE_RSA_BITS_MAX ? 0 : MG_ERR_INVALID;
	if (pk != GNUTLS_PK_ECDSA)
		return MG_ERR_INVALID;
	if ((r = gnutls_pubkey_export_ecc_raw2(pub, &curve, &x, &y, 0)) < 0)
		return MG_ERR_INVALID;
	gnutls_free(x.data);
	gnutls_free(y.data);
	return curve == GNUTLS_ECC_CURVE_SECP256R1 || curve == GNUTLS_ECC_CURVE_SECP384R1 ?
		0 : MG_ERR_INVALID;
}

/* Parse and check a request; on success *pub_out is its public key. */
static int issue_read_csr(const unsigned char *csr_der, size_t csr_len, gnutls_pubkey_t *pub_out)
{
	gnutls_datum_t d;
	gnutls_x509_crq_t crq = NULL;
	gnutls_pubkey_t pub = NULL;
	int r;

	*pub_out = NULL;
	if (csr_der == NULL || csr_len == 0)
		return MG_ERR_INVALID;
	if (csr_len > MG_EST_BODY_MAX)
		return MG_ERR_LIMIT;
	d.data = (unsigned char *)(uintptr_t)csr_der;	/* GnuTLS only reads it */
	d.size = (unsigned)csr_len;
	if ((r = gnutls_x509_crq_init(&crq)) < 0 || (r = gnutls_pubkey_init(&pub)) < 0) {
		r = tls_map_error(r, MG_ERR_TLS);
		goto out;
	}
	/* Proof of possession: the request is signed by the key it carries. */
	if (gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_crq_verify(crq, 0) < 0 ||
	    gnutls_pubkey_import_x509_crq(pub, crq, 0) < 0) {
		r = MG_ERR_INVALID;
		goto out;
	}
	if ((r = issue_check_key(pub)) != 0)
		goto out;
	*pub_out = pub;
	pub = NULL;
out:
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	if (crq != NULL)
		gnutls_x509_crq_deinit(crq);
	return r;
}

static int issue_describe(gnutls_x509_crt_t crt, struct mg_issued_cert *out)
{
	unsigned char serial[32];
	size_t serial_len = sizeof(serial);
	time_t not_after;
	int r;

	if ((r = tls_crt_export(crt, GNUTLS_X509_FMT_DER, &out->der, &out->der_len)) != 0 ||
	    (r = mg_cert_fingerprint_der(out->der, out->der_len, out->fingerprint)) != 0)
		return r;
	if (gnutls_x509_crt_get_serial(crt, serial, &serial_len) < 0 ||
	    mg_hex_encode(serial, serial_len, MG_HEX_LOWER, out->serial, sizeof(out->serial)) != 0)
		return MG_ERR_TLS;
	if ((not_after = gnutls_x509_crt_get_expiration_time(crt)) == (time_t)-1)
		return MG_ERR_TLS;
	out->not_after_ms = (int64_t)not_after * 1000;
	return 0;
}

int mg_ca_sign_client_csr(const struct mg_ca *ca, const unsigned char *csr_der, size_t csr_len,
			  const char *subject_cn, unsigned days, struct mg_issued_cert *out)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_x509_crt_t crt = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if (ca == NULL || tls_check_common_name(subject_cn) != 0 || days == 0 ||
	    days > TLS_DAYS_MAX)
		return MG_ERR_INVALID;
	if ((r = issue_read_csr(csr_der, csr_len, &pub)) != 0)
		goto out;
	if ((r = gnutls_x509_crt_init(&crt)) < 0) {
		r = tls_map_error(r, MG_ERR_TLS);
		goto out;
	}
	/* Only the key comes from the request: the subject, key usage and any
	 * requested extensions are ours to decide. */
	if ((r = tls_crt_set_common(crt, subject_cn, days)) != 0)
		goto out;
	if ((r = gnutls_x509_crt_set_pubkey(crt, pub)) < 0 ||
	    (r = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (r = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (r = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0) {
		r = tls_map_error(r, MG_ERR_TLS);
		goto out;
	}
	if ((r = issue_sign(&crt, ca)) != 0 || (r = issue_describe(crt, out)) != 0)
		goto out;
out:
	if (r != 0)
		mg_issued_cert_clear(out);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	return r;
}

void mg_issued_cert_clear(struct mg_issued_cert *c)
{
	if (c == NULL)
		return;
	free(c->der);
	memset(c, 0, sizeof(*c));
}
