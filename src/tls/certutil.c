#include "tls/certutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "common/err.h"
#include "common/file.h"

int tls_map_error(int gnutls_rc, int fallback)
{
	if (gnutls_rc == GNUTLS_E_MEMORY_ERROR)
		return MG_ERR_NOMEM;
	return fallback;
}

int tls_file_write_new(const char *path, const void *data, size_t len, mode_t mode)
{
	const unsigned char *p = data;
	int fd, r = MG_ERR_IO;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return errno == EEXIST ? MG_ERR_EXISTS : MG_ERR_IO;
	/* open() applied the umask; the mode we promise must not depend on it. */
	if (fchmod(fd, mode) != 0)
		goto out;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0)
		goto out;
	r = 0;
out:
	if (close(fd) != 0 && r == 0)
		r = MG_ERR_IO;
	if (r != 0)
		unlink(path);
	return r;
}

int tls_file_read(const char *path, size_t max, int secret, gnutls_datum_t *out)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t got = 0, size;
	int fd, r;

	out->data = NULL;
	out->size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? MG_ERR_NOT_FOUND : MG_ERR_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = MG_ERR_IO;
		goto out;
	}
	if (secret && (r = mg_file_stat_private(&st)) != 0)
		goto out;
	if (st.st_size < 0 || (uint64_t)st.st_size > max) {
		r = MG_ERR_LIMIT;
		goto out;
	}
	size = (size_t)st.st_size;
	if ((buf = gnutls_malloc(size + 1)) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	/* Read one byte more than fstat promised, to notice a growing file. */
	while (got <= size) {
		ssize_t n = read(fd, buf + got, size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = MG_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != size) {
		r = MG_ERR_IO;
		goto out;
	}
	buf[size] = '\0';
	out->data = buf;
	out->size = (unsigned int)size;
	buf = NULL;
	r = 0;
out:
	if (buf != NULL) {
		gnutls_memset(buf, 0, size + 1);
		gnutls_free(buf);
	}
	close(fd);
	return r;
}

int tls_check_common_name(const char *cn)
{
	size_t i, len;

	if (cn == NULL)
		return MG_ERR_INVALID;
	len = strnlen(cn, TLS_CN_MAX + 1);
	if (len == 0 || len > TLS_CN_MAX)
		return MG_ERR_INVALID;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)cn[i];

		if (c < 0x20 || c == 0x7f)
			return MG_ERR_INVALID;
	}
	return 0;
}

int tls_crt_set_common(gnutls_x509_crt_t crt, const char *cn, unsigned days)
{
	unsigned char serial[TLS_SERIAL_LEN];
	time_t now;
	int r;

	if (days == 0 || days > TLS_DAYS_MAX || tls_check_common_name(cn) != 0)
		return MG_ERR_INVALID;
	if ((now = time(NULL)) == (time_t)-1)
		return MG_ERR_TLS;
	if ((r = gnutls_rnd(GNUTLS_RND_RANDOM, serial, sizeof(serial))) < 0)
		return MG_ERR_TLS;
	/* RFC 5280: positive, at most 20 octets; a non-zero first octet keeps
	 * the DER length (and the hex text) at exactly TLS_SERIAL_LEN bytes. */
	serial[0] &= 0x7f;
	if (serial[0] == 0)
		serial[0] = 0x01;
	if ((r = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (r = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
	    (r = gnutls_x509_crt_set_activation_time(crt, now - TLS_BACKDATE_SECONDS)) < 0 ||
	    (r = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)days * 86400)) < 0 ||
	    (r = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
					       cn, (unsigned)strlen(cn))) < 0)
		return tls_map_error(r, MG_ERR_TLS);
	return 0;
}

int tls_crt_set_key_ids(gnutls_x509_crt_t crt, gnutls_x509_crt_t issuer)
{
	unsigned char id[64];
	size_t idlen = sizeof(id);
	unsigned int critical = 0;
	int r;

	/* RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
	if ((r = gnutls_x509_crt_get_key_id(crt, 0, id, &idlen)) < 0 ||
	    (r = gnutls_x509_crt_set_subject_key_id(crt, id, idlen)) < 0)
		return tls_map_error(r, MG_ERR_TLS);
	if (issuer == NULL)
		return 0;
	idlen = sizeof(id);
	if ((r = gnutls_x509_crt_get_subject_key_id(issuer, id, &idlen, &critical)) < 0) {
		/* A foreign CA without the extension: derive it the same way. */
		idlen = sizeof(id);
		if ((r = gnutls_x509_crt_get_key_id(issuer, 0, id, &idlen)) < 0)
			return tls_map_error(r, MG_ERR_TLS);
	}
	if ((r = gnutls_x509_crt_set_authority_key_id(crt, id, idlen)) < 0)
		return tls_map_error(r, MG_ERR_TLS);
	return 0;
}

int tls_key_new_p256(gnutls_x509_privkey_t *out)
{
	gnutls_x509_privkey_t key = NULL;
	int r;

	*out = NULL;
	if ((r = gnutls_x509_privkey_init(&key)) < 0)
		return tls_map_error(r, MG_ERR_TLS);
	r = gnutls_x509_privkey_generate2(key, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0);
	if (r < 0) {
		gnutls_x509_privkey_deinit(key);
		return tls_map_error(r, MG_ERR_TLS);
	}
	*out = key;
	return 0;
}

int tls_crt_export(gnutls_x509_crt_t crt, gnutls_x509_crt_fmt_t fmt,
		   unsigned char **out, size_t *len_out)
{
	gnutls_datum_t d = { NULL, 0 };
	unsigned char *buf;
	int r;

	*out = NULL;
	*len_out = 0;
	if ((r = gnutls_x509_crt_export2(crt, fmt, &d)) < 0)
		return tls_map_error(r, MG_ERR_TLS);
	/* Our callers free with free(); never hand out gnutls_malloc memory. */
	if ((buf = malloc((size_t)d.size + 1)) == NULL) {
		gnutls_free(d.data);
		return MG_ERR_NOMEM;
	}
	memcpy(buf, d.data, d.size);
	buf[d.size] = '\0';
	*out = buf;
	*len_out = d.size;
	gnutls_free(d.data);
	return 0;
}

int tls_write_pair(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key,
		   const char *cert_path, const char *key_path)
{
	gnutls_datum_t keypem = { NULL, 0 }, certpem = { NULL, 0 };
	int r;

	if ((r = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
						   GNUTLS_PKCS_PLAIN, &keypem)) < 0 ||
	    (r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &certpem)) < 0) {
		r = tls_map_error(r, MG_ERR_TLS);
		goto out;
	}
	/* The key first: a certificate without its key is useless, and a key
	 * file we created ourselves is safe to remove again. */
	if ((r = tls_file_write_new(key_path, keypem.data, keypem.size, 0600)) != 0)
		goto out;
	if ((r = tls_file_write_new(cert_path, certpem.data, certpem.size, 0644)) != 0) {
		unlink(key_path);
		goto out;
	}
out:
	if (keypem.data != NULL) {
		gnutls_memset(keypem.data, 0, keypem.size);
		gnutls_free(keypem.data);
	}
	gnutls_free(certpem.data);
	return r;
}

int tls_crt_reimport(gnutls_x509_crt_t *crt)
{
	gnutls_datum_t der = { NULL, 0 };
	gnutls_x509_crt_t fresh = NULL;
	int r;

	if ((r = gnutls_x509_crt_export2(*crt, GNUTLS_X509_FMT_DER, &der)) < 0 ||
	    (r = gnutls_x509_crt_init(&fresh)) < 0 ||
	    (r = gnutls_x509_crt_import(fresh, &der, GNUTLS_X509_FMT_DER)) < 0) {
		r = tls_map_error(r, MG_ERR_TLS);
		goto out;
	}
	gnutls_x509_crt_deinit(*crt);
	*crt = fresh;
	fresh = NULL;
	r = 0;
out:
	if (fresh != NULL)
		gnutls_x509_crt_deinit(fresh);
	gnutls_free(der.data);
	return r;
}
