/* Helpers shared by the files of src/tls/ only (not a public interface):
 * the CA's inner layout, exclusive file creation, bounded file reading,
 * random serials and the common parts of every certificate we issue. */
#ifndef MG_TLS_CERTUTIL_H
#define MG_TLS_CERTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

/* A certificate authority: its certificate and its private key. GnuTLS
 * objects may not be used by two threads at once, and EST requests are
 * handled on several, so every use of crt or key holds *lock (a pointer,
 * so that functions taking a const struct mg_ca can still lock it). */
struct mg_ca {
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t key;
	pthread_mutex_t *lock;
};

#define TLS_PEM_FILE_MAX	(64 * 1024)	/* one PEM certificate or key file */
#define TLS_CN_MAX		64		/* X.520 ub-common-name */
#define TLS_DAYS_MAX		(100 * 366)	/* longest validity we sign */
#define TLS_SERIAL_LEN		16		/* bytes of randomness in a serial */
#define TLS_BACKDATE_SECONDS	(5 * 60)	/* tolerate slow device clocks */

/* Map a negative GnuTLS return code to MG_ERR_NOMEM or fallback. */
int tls_map_error(int gnutls_rc, int fallback);

/* Create path exclusively (never follows or replaces anything), force its
 * mode with fchmod whatever the umask, write len bytes and fsync. Returns 0,
 * MG_ERR_EXISTS if path exists, or MG_ERR_IO (the partial file is removed). */
int tls_file_write_new(const char *path, const void *data, size_t len, mode_t mode);

/* Read a regular file of at most max bytes into out (gnutls_malloc'd,
 * free with gnutls_free, after gnutls_memset for secrets). With secret set,
 * a file that group or others may access is refused with MG_ERR_DENIED.
 * Returns 0, MG_ERR_NOT_FOUND, MG_ERR_LIMIT, MG_ERR_IO or MG_ERR_NOMEM. */
int tls_file_read(const char *path, size_t max, int secret, gnutls_datum_t *out);

/* Check a subject common name we are asked to put into a certificate:
 * 1..TLS_CN_MAX bytes, no control characters. Returns 0 or MG_ERR_INVALID. */
int tls_check_common_name(const char *cn);

/* Fill the fields every certificate we sign shares: version 3, a random
 * positive TLS_SERIAL_LEN-byte serial, validity from now minus
 * TLS_BACKDATE_SECONDS to now plus days (1..TLS_DAYS_MAX), subject CN.
 * Returns 0, MG_ERR_INVALID for bad days or cn, or MG_ERR_TLS. */
int tls_crt_set_common(gnutls_x509_crt_t crt, const char *cn, unsigned days);

/* Set the subject key identifier from crt's own public key, and when
 * issuer is not NULL the authority key identifier from the issuer's
 * subject key identifier. Returns 0 or MG_ERR_TLS. */
int tls_crt_set_key_ids(gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer);

/* Generate a new ECDSA P-256 private key into *out (caller deinits).
 * Returns 0 or MG_ERR_TLS. */
int tls_key_new_p256(gnutls_x509_privkey_t *out);

/* Export crt as PEM or DER into a malloc'd buffer the caller frees with
 * free(); PEM is NUL-terminated (not counted in *len_out). */
int tls_crt_export(gnutls_x509_crt_t crt, gnutls_x509_crt_fmt_t fmt,
		   unsigned char **out, size_t *len_out);

/* Replace *crt by a fresh parse of its own DER encoding. GnuTLS documents
 * that a certificate it has just signed is not fully usable (for example as
 * an issuer) until exported and imported again. Returns 0 or MG_ERR_TLS;
 * on failure *crt is unchanged. */
int tls_crt_reimport(gnutls_x509_crt_t *crt);

/* Write key as unencrypted PKCS#8 PEM to key_path (0600), then crt as PEM to
 * cert_path (0644), both exclusively; if the second fails the first is
 * removed again. Returns 0, MG_ERR_EXISTS, MG_ERR_IO or MG_ERR_TLS. */
int tls_write_pair(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key,
		   const char *cert_path, const char *key_path);

#endif
