#include "device/est.h"

#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define PEM_OUT_MAX	(256 * 1024)

int mg_device_est_request_new(const char *name, gnutls_x509_privkey_t *key, char **csr_b64)
{
	gnutls_x509_privkey_t k = NULL;
	gnutls_x509_crq_t crq = NULL;
	gnutls_datum_t der = { NULL, 0 }, b64 = { NULL, 0 };
	int r;

	*key = NULL;
	*csr_b64 = NULL;
	r = MG_ERR_CRYPTO;
	if (gnutls_x509_privkey_init(&k) < 0) {
		k = NULL;
		goto out;
	}
	if (gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA,
					 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0)
		goto out;
	if (gnutls_x509_crq_init(&crq) < 0) {
		crq = NULL;
		goto out;
	}
	if (gnutls_x509_crq_set_version(crq, 1) < 0 ||
	    gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME, 0, name,
					  (unsigned)strlen(name)) < 0 ||
	    gnutls_x509_crq_set_key(crq, k) < 0 ||
	    gnutls_x509_crq_set_key_usage(crq, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
	    gnutls_x509_crq_sign2(crq, k, GNUTLS_DIG_SHA256, 0) < 0 ||
	    gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, &der) < 0 ||
	    gnutls_base64_encode2(&der, &b64) < 0)
		goto out;
	if ((*csr_b64 = malloc(b64.size + 1)) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	memcpy(*csr_b64, b64.data, b64.size);
	(*csr_b64)[b64.size] = '\0';
	*key = k;
	k = NULL;
	r = 0;
out:
	gnutls_free(der.data);
	gnutls_free(b64.data);
	if (crq != NULL)
		gnutls_x509_crq_deinit(crq);
	if (k != NULL)
		gnutls_x509_privkey_deinit(k);
	return r;
}

void mg_device_est_secret_free(char *p, size_t len)
{
	if (p == NULL)
		return;
	gnutls_memset(p, 0, len);
	free(p);
}

int mg_device_est_key_pem(gnutls_x509_privkey_t key, char **pem, size_t *len)
{
	gnutls_datum_t out = { NULL, 0 };
	int r = 0;

	*pem = NULL;
	*len = 0;
	if (gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
					      GNUTLS_PKCS_PLAIN, &out) < 0)
		return MG_ERR_CRYPTO;
	if ((*pem = malloc(out.size + 1)) == NULL) {
		r = MG_ERR_NOMEM;
	} else {
		memcpy(*pem, out.data, out.size);
		(*pem)[out.size] = '\0';
		*len = out.size;
	}
	gnutls_memset(out.data, 0, out.size);
	gnutls_free(out.data);
	return r;
}

/* Append PEM of DER certificate crt to the growing buffer *buf. */
static int pem_append(const gnutls_datum_t *crt, char **buf, size_t *len)
{
	gnutls_datum_t pem = { NULL, 0 };
	char *grown;
	int r = 0;

	if (gnutls_pem_base64_encode2("CERTIFICATE", crt, &pem) < 0)
		return MG_ERR_CRYPTO;
	if (*len + pem.size + 1 > PEM_OUT_MAX) {
		r = MG_ERR_LIMIT;
		goto out;
	}
	if ((grown = realloc(*buf, *len + pem.size + 1)) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	memcpy(grown + *len, pem.data, pem.size);
	*len += pem.size;
	grown[*len] = '\0';
	*buf = grown;
out:
	gnutls_free(pem.data);
	return r;
}

/* 1 if DER certificate crt carries key's public key. */
static int cert_has_key(const gnutls_datum_t *crt, gnutls_x509_privkey_t key)
{
	unsigned char want[64], have[64];
	size_t wlen = sizeof(want), hlen = sizeof(have);
	gnutls_x509_crt_t c = NULL;
	int match = 0;

	if (gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, want, &wlen) < 0)
		return 0;
	if (gnutls_x509_crt_init(&c) < 0)
		return 0;
	if (gnutls_x509_crt_import(c, crt, GNUTLS_X509_FMT_DER) == 0 &&
	    gnutls_x509_crt_get_key_id(c, GNUTLS_KEYID_USE_SHA256, have, &hlen) == 0)
		match = hlen == wlen && memcmp(have, want, wlen) == 0;
	gnutls_x509_crt_deinit(c);
	return match;
}

int mg_device_est_certs_pem(const char *b64, size_t len, gnutls_x509_privkey_t key,
			    char **pem, size_t *pem_len)
{
	gnutls_datum_t text = { (unsigned char *)(uintptr_t)b64, (unsigned)len };
	gnutls_datum_t der = { NULL, 0 }, crt = { NULL, 0 };
	gnutls_pkcs7_t p7 = NULL;
	char *out = NULL;
	size_t out_len = 0;
	int count, i, r;

	*pem = NULL;
	*pem_len = 0;
	if (len == 0 || len > PEM_OUT_MAX)
		return len == 0 ? MG_ERR_INVALID : MG_ERR_LIMIT;
	r = MG_ERR_INVALID;
	if (gnutls_base64_decode2(&text, &der) < 0)
		goto out;
	if (gnutls_pkcs7_init(&p7) < 0) {
		p7 = NULL;
		r = MG_ERR_NOMEM;
		goto out;
	}
	if (gnutls_pkcs7_import(p7, &der, GNUTLS_X509_FMT_DER) < 0)
		goto out;
	count = gnutls_pkcs7_get_crt_count(p7);
	if (count <= 0)
		goto out;
	if (count > MG_DEVICE_EST_CERTS_MAX) {
		r = MG_ERR_LIMIT;
		goto out;
	}
	for (i = 0; i < count && !(key != NULL && out != NULL); i++) {
		if (gnutls_pkcs7_get_crt_raw2(p7, (unsigned)i, &crt) < 0) {
			r = MG_ERR_INVALID;
			goto out;
		}
		if (key == NULL || cert_has_key(&crt, key)) {
			if ((r = pem_append(&crt, &out, &out_len)) != 0)
				goto out;
		}
		gnutls_free(crt.data);
		crt.data = NULL;
	}
	if (out == NULL) {
		r = MG_ERR_NOT_FOUND;
		goto out;
	}
	*pem = out;
	*pem_len = out_len;
	out = NULL;
	r = 0;
out:
	free(out);
	gnutls_free(crt.data);
	gnutls_free(der.data);
	if (p7 != NULL)
		gnutls_pkcs7_deinit(p7);
	return r;
}

int mg_device_est_check_pem_certs(const char *pem, size_t len)
{
	gnutls_datum_t text = { (unsigned char *)(uintptr_t)pem, (unsigned)len };
	gnutls_x509_crt_t *certs = NULL;
	unsigned n = 0, i;

	if (len == 0 || len > PEM_OUT_MAX)
		return MG_ERR_INVALID;
	if (gnutls_x509_crt_list_import2(&certs, &n, &text, GNUTLS_X509_FMT_PEM, 0) < 0)
		return MG_ERR_INVALID;
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(certs[i]);
	gnutls_free(certs);
	return n >= 1 && n <= MG_DEVICE_EST_CERTS_MAX ? 0 : MG_ERR_INVALID;
}

/* Copy datum text into buf, "" if it does not fit. */
static void datum_text(const gnutls_datum_t *d, char *buf, size_t buflen)
{
	if (buflen == 0)
		return;
	buf[0] = '\0';
	if (d->size < buflen) {
		memcpy(buf, d->data, d->size);
		buf[d->size] = '\0';
	}
}

int mg_device_est_cert_info(const char *pem, size_t len, char *subject, size_t subjectlen,
			    char *issuer, size_t issuerlen, long long *expires)
{
	gnutls_datum_t text = { (unsigned char *)(uintptr_t)pem, (unsigned)len };
	gnutls_datum_t dn = { NULL, 0 };
	gnutls_x509_crt_t c = NULL;
	int r = MG_ERR_INVALID;

	if (subjectlen > 0)
		subject[0] = '\0';
	if (issuerlen > 0)
		issuer[0] = '\0';
	*expires = 0;
	if (gnutls_x509_crt_init(&c) < 0)
		return MG_ERR_NOMEM;
	if (gnutls_x509_crt_import(c, &text, GNUTLS_X509_FMT_PEM) < 0)
		goto out;
	if (gnutls_x509_crt_get_dn3(c, &dn, 0) < 0)
		goto out;
	datum_text(&dn, subject, subjectlen);
	gnutls_free(dn.data);
	dn.data = NULL;
	if (gnutls_x509_crt_get_issuer_dn3(c, &dn, 0) < 0)
		goto out;
	datum_text(&dn, issuer, issuerlen);
	*expires = (long long)gnutls_x509_crt_get_expiration_time(c);
	r = 0;
out:
	gnutls_free(dn.data);
	gnutls_x509_crt_deinit(c);
	return r;
}
