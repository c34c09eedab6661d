/* CA lifecycle: create, load, save, export. Issuing lives in issue.c. */
#include "tls/ca.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "common/err.h"
#include "common/hex.h"
#include "tls/certutil.h"

static struct mg_ca *ca_new(void)
{
	struct mg_ca *ca;

	if ((ca = calloc(1, sizeof(*ca))) == NULL)
		return NULL;
	if ((ca->lock = malloc(sizeof(*ca->lock))) == NULL) {
		free(ca);
		return NULL;
	}
	if (pthread_mutex_init(ca->lock, NULL) != 0) {
		free(ca->lock);
		free(ca);
		return NULL;
	}
	if (gnutls_x509_crt_init(&ca->crt) < 0) {
		ca->crt = NULL;
		mg_ca_free(ca);
		return NULL;
	}
	return ca;
}

void mg_ca_free(struct mg_ca *ca)
{
	if (ca == NULL)
		return;
	if (ca->crt != NULL)
		gnutls_x509_crt_deinit(ca->crt);
	/* gnutls_x509_privkey_deinit clears the key's numbers before freeing. */
	if (ca->key != NULL)
		gnutls_x509_privkey_deinit(ca->key);
	pthread_mutex_destroy(ca->lock);
	free(ca->lock);
	free(ca);
}

int mg_ca_create(const char *common_name, unsigned days, struct mg_ca **out)
{
	struct mg_ca *ca = NULL;
	int r;

	*out = NULL;
	if (tls_check_common_name(common_name) != 0 || days == 0 || days > TLS_DAYS_MAX)
		return MG_ERR_INVALID;
	if ((ca = ca_new()) == NULL)
		return MG_ERR_NOMEM;
	if ((r = tls_key_new_p256(&ca->key)) != 0 ||
	    (r = tls_crt_set_common(ca->crt, common_name, days)) != 0)
		goto out;
	/* pathlen 0: this CA signs end entities only, never another CA. */
	if ((r = gnutls_x509_crt_set_key(ca->crt, ca->key)) < 0 ||
	    (r = gnutls_x509_crt_set_basic_constraints(ca->crt, 1, 0)) < 0 ||
	    (r = gnutls_x509_crt_set_key_usage(ca->crt,
			GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)) < 0) {
		r = tls_map_error(r, MG_ERR_TLS);
		goto out;
	}
	if ((r = tls_crt_set_key_ids(ca->crt, NULL)) != 0)
		goto out;
	if ((r = gnutls_x509_crt_sign2(ca->crt, ca->crt, ca->key, GNUTLS_DIG_SHA256, 0)) < 0) {
		r = tls_map_error(r, MG_ERR_TLS);
		goto out;
	}
	if ((r = tls_crt_reimport(&ca->crt)) != 0)
		goto out;
	*out = ca;
	ca = NULL;
out:
	mg_ca_free(ca);
	return r;
}

/* The certificate must be a CA and certify exactly this key. */
static int ca_check_pair(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	unsigned char crt_id[64], key_id[64];
	size_t crt_len = sizeof(crt_id), key_len = sizeof(key_id);
	unsigned int critical = 0, is_ca = 0;
	int pathlen = -1;

	if (gnutls_x509_crt_get_basic_constraints(crt, &critical, &is_ca, &pathlen) <= 0 ||
	    !is_ca)
		return MG_ERR_INVALID;
	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, crt_id, &crt_len) < 0 ||
	    gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, key_id, &key_len) < 0)
		return MG_ERR_TLS;
	if (crt_len != key_len || memcmp(crt_id, key_id, crt_len) != 0)
		return MG_ERR_INVALID;
	return 0;
}

int mg_ca_load(const char *cert_path, const char *key_path, struct mg_ca **out)
{
	gnutls_datum_t certpem = { NULL, 0 }, keypem = { NULL, 0 };
	struct mg_ca *ca = NULL;
	int r;

	*out = NULL;
	if ((r = tls_file_read(cert_path, TLS_PEM_FILE_MAX, 0, &certpem)) != 0 ||
	    (r = tls_file_read(key_path, TLS_PEM_FILE_MAX, 1, &keypem)) != 0)
		goto out;
	if ((ca = ca_new()) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	if ((r = gnutls_x509_crt_import(ca->crt, &certpem, GNUTLS_X509_FMT_PEM)) < 0 ||
	    (r = gnutls_x509_privkey_init(&ca->key)) < 0 ||
	    (r = gnutls_x509_privkey_import2(ca->key, &keypem, GNUTLS_X509_FMT_PEM,
					     NULL, 0)) < 0) {
		r = tls_map_error(r, MG_ERR_TLS);
		goto out;
	}
	if ((r = ca_check_pair(ca->crt, ca->key)) != 0)
		goto out;
	*out = ca;
	ca = NULL;
out:
	mg_ca_free(ca);
	gnutls_free(certpem.data);
	if (keypem.data != NULL) {
		gnutls_memset(keypem.data, 0, keypem.size);
		gnutls_free(keypem.data);
	}
	return r;
}

int mg_ca_save(const struct mg_ca *ca, const char *cert_path, const char *key_path)
{
	int r;

	if (ca == NULL || cert_path == NULL || key_path == NULL)
		return MG_ERR_INVALID;
	pthread_mutex_lock(ca->lock);
	r = tls_write_pair(ca->crt, ca->key, cert_path, key_path);
	pthread_mutex_unlock(ca->lock);
	return r;
}

int mg_ca_cert_pem(const struct mg_ca *ca, char **pem_out, size_t *len_out)
{
	unsigned char *pem = NULL;
	int r;

	*pem_out = NULL;
	*len_out = 0;
	pthread_mutex_lock(ca->lock);
	r = tls_crt_export(ca->crt, GNUTLS_X509_FMT_PEM, &pem, len_out);
	pthread_mutex_unlock(ca->lock);
	*pem_out = (char *)pem;
	return r;
}

int mg_ca_cert_der(const struct mg_ca *ca, unsigned char **der_out, size_t *len_out)
{
	int r;

	pthread_mutex_lock(ca->lock);
	r = tls_crt_export(ca->crt, GNUTLS_X509_FMT_DER, der_out, len_out);
	pthread_mutex_unlock(ca->lock);
	return r;
}

int mg_ca_fingerprint(const struct mg_ca *ca, char hex[MG_CERT_FINGERPRINT_LEN])
{
	unsigned char *der = NULL;
	size_t len = 0;
	int r;

	hex[0] = '\0';
	if ((r = mg_ca_cert_der(ca, &der, &len)) != 0)
		return r;
	r = mg_cert_fingerprint_der(der, len, hex);
	free(der);
	return r;
}

int mg_cert_fingerprint_der(const unsigned char *der, size_t len,
			    char hex[MG_CERT_FINGERPRINT_LEN])
{
	unsigned char digest[32];

	hex[0] = '\0';
	if (der == NULL || len == 0)
		return MG_ERR_INVALID;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, digest) < 0)
		return MG_ERR_TLS;
	return mg_hex_encode(digest, sizeof(digest), MG_HEX_LOWER, hex, MG_CERT_FINGERPRINT_LEN);
}
