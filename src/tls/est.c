/* EST (RFC 7030) message encoding. The request body is outside input from
 * devices that have no certificate yet: every step is bounded, and the
 * decoding itself is GnuTLS's; we only strip the framing around it. */
#include "tls/est.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>

#include "common/err.h"
#include "common/limits.h"
#include "tls/certutil.h"

#define EST_LINE_LEN	64	/* base64 characters per output line */

static int est_is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int est_is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

static const char *est_skip_blanks(const char *p, const char *end)
{
	while (p < end && est_is_blank((unsigned char)*p))
		p++;
	return p;
}

/* If [*start, *end) holds a PEM request, narrow it to the base64 between the
 * BEGIN and END lines. Input without a PEM header is left as it is. */
static int est_unwrap_pem(const char **start, const char **end)
{
	static const char *const labels[] = { "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST" };
	const char *p = est_skip_blanks(*start, *end);
	char begin[64], finish[64];
	size_t i, avail = (size_t)(*end - p);

	if (avail < 11 || memcmp(p, "-----BEGIN ", 11) != 0)
		return 0;
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		int blen = snprintf(begin, sizeof(begin), "-----BEGIN %s-----", labels[i]);
		int flen = snprintf(finish, sizeof(finish), "-----END %s-----", labels[i]);
		const char *body, *stop;

		if (blen < 0 || (size_t)blen >= sizeof(begin) ||
		    flen < 0 || (size_t)flen >= sizeof(finish))
			return MG_ERR_INVALID;
		if (avail < (size_t)blen || memcmp(p, begin, (size_t)blen) != 0)
			continue;
		body = p + blen;
		stop = memmem(body, (size_t)(*end - body), finish, (size_t)flen);
		if (stop == NULL)
			return MG_ERR_INVALID;
		/* Nothing but blanks may follow the END line. */
		if (est_skip_blanks(stop + flen, *end) != *end)
			return MG_ERR_INVALID;
		*start = body;
		*end = stop;
		return 0;
	}
	return MG_ERR_INVALID;
}

/* Copy the base64 characters of [p, end) into out (room for end - p bytes),
 * dropping blanks and refusing anything else, including misplaced padding. */
static int est_compact_b64(const char *p, const char *end, char *out, size_t *out_len)
{
	size_t n = 0, pad = 0;

	*out_len = 0;
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (est_is_blank(c))
			continue;
		if (c == '=') {
			if (++pad > 2)
				return MG_ERR_INVALID;
		} else if (!est_is_b64(c) || pad > 0) {
			return MG_ERR_INVALID;
		}
		out[n++] = (char)c;
	}
	if (n == 0 || n % 4 != 0)
		return MG_ERR_INVALID;
	*out_len = n;
	return 0;
}

/* The decoded bytes must be exactly one DER SEQUENCE (definite, minimal
 * length), as a PKCS#10 CertificationRequest is. */
static int est_check_der_sequence(const unsigned char *d, size_t len)
{
	size_t body = 0, hdr, i, n;

	if (len < 2 || d[0] != 0x30)
		return MG_ERR_INVALID;
	if (d[1] < 0x80) {
		body = d[1];
		hdr = 2;
	} else {
		n = d[1] & 0x7f;
		if (n == 0 || n > 3 || len < 2 + n || d[2] == 0)
			return MG_ERR_INVALID;
		for (i = 0; i < n; i++)
			body = (body << 8) | d[2 + i];
		if (body < 0x80)
			return MG_ERR_INVALID;
		hdr = 2 + n;
	}
	return body == len - hdr ? 0 : MG_ERR_INVALID;
}

int mg_est_decode_csr(const char *body, size_t len, unsigned char **der_out,
		      size_t *der_len_out)
{
	const char *start = body, *end;
	gnutls_datum_t b64 = { NULL, 0 }, der = { NULL, 0 };
	char *compact = NULL;
	unsigned char *copy;
	size_t compact_len = 0;
	int r;

	*der_out = NULL;
	*der_len_out = 0;
	if (body == NULL || len == 0)
		return MG_ERR_INVALID;
	if (len > MG_EST_BODY_MAX)
		return MG_ERR_LIMIT;
	end = body + len;
	if ((r = est_unwrap_pem(&start, &end)) != 0)
		return r;
	if ((compact = malloc((size_t)(end - start) + 1)) == NULL)
		return MG_ERR_NOMEM;
	if ((r = est_compact_b64(start, end, compact, &compact_len)) != 0)
		goto out;
	b64.data = (unsigned char *)compact;
	b64.size = (unsigned)compact_len;
	if ((r = gnutls_base64_decode2(&b64, &der)) < 0) {
		r = r == GNUTLS_E_MEMORY_ERROR ? MG_ERR_NOMEM : MG_ERR_INVALID;
		goto out;
	}
	if ((r = est_check_der_sequence(der.data, der.size)) != 0)
		goto out;
	if ((copy = malloc(der.size)) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	memcpy(copy, der.data, der.size);
	*der_out = copy;
	*der_len_out = der.size;
	r = 0;
out:
	gnutls_free(der.data);
	free(compact);
	return r;
}

/* Copy base64 text into a malloc'd buffer with LF after every line. LF, not
 * CRLF: HTTP is binary-clean and does not use MIME's CRLF rule (RFC 7030
 * errata 5107, RFC 8951), and common decoders such as coreutils
 * "base64 -d" refuse CR. */
static int est_wrap_lines(const unsigned char *b64, size_t len, char **out, size_t *len_out)
{
	size_t lines = (len + EST_LINE_LEN - 1) / EST_LINE_LEN, i, n = 0;
	char *buf;

	if ((buf = malloc(len + lines + 1)) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; i < len; i += EST_LINE_LEN) {
		size_t chunk = len - i < EST_LINE_LEN ? len - i : EST_LINE_LEN;

		memcpy(buf + n, b64 + i, chunk);
		n += chunk;
		buf[n++] = '\n';
	}
	buf[n] = '\0';
	*out = buf;
	*len_out = n;
	return 0;
}

int mg_est_certs_only(const unsigned char *const *ders, const size_t *der_lens, size_t n,
		      char **b64_out, size_t *len_out)
{
	gnutls_pkcs7_t p7 = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t der = { NULL, 0 }, b64 = { NULL, 0 };
	size_t i;
	int r;

	*b64_out = NULL;
	*len_out = 0;
	if (ders == NULL || der_lens == NULL || n == 0)
		return MG_ERR_INVALID;
	if (n > MG_EST_CERTS_MAX)
		return MG_ERR_LIMIT;
	if ((r = gnutls_pkcs7_init(&p7)) < 0) {
		r = tls_map_error(r, MG_ERR_TLS);
		goto out;
	}
	for (i = 0; i < n; i++) {
		gnutls_datum_t d;

		if (ders[i] == NULL || der_lens[i] == 0) {
			r = MG_ERR_INVALID;
			goto out;
		}
		if (der_lens[i] > MG_EST_CERT_DER_MAX) {
			r = MG_ERR_LIMIT;
			goto out;
		}
		d.data = (unsigned char *)(uintptr_t)ders[i];	/* only read */
		d.size = (unsigned)der_lens[i];
		if ((r = gnutls_x509_crt_init(&crt)) < 0) {
			r = tls_map_error(r, MG_ERR_TLS);
			goto out;
		}
		if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
			r = MG_ERR_INVALID;
			goto out;
		}
		if ((r = gnutls_pkcs7_set_crt(p7, crt)) < 0) {
			r = tls_map_error(r, MG_ERR_TLS);
			goto out;
		}
		gnutls_x509_crt_deinit(crt);
		crt = NULL;
	}
	/* With certificates and no signers, GnuTLS encodes exactly the
	 * degenerate SignedData of RFC 5652 5.2 that EST asks for. */
	if ((r = gnutls_pkcs7_export2(p7, GNUTLS_X509_FMT_DER, &der)) < 0 ||
	    (r = gnutls_base64_encode2(&der, &b64)) < 0) {
		r = tls_map_error(r, MG_ERR_TLS);
		goto out;
	}
	r = est_wrap_lines(b64.data, b64.size, b64_out, len_out);
out:
	gnutls_free(b64.data);
	gnutls_free(der.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (p7 != NULL)
		gnutls_pkcs7_deinit(p7);
	return r;
}
