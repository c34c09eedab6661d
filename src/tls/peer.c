#include "tls/peer.h"

#include <stdio.h>

#include <gnutls/x509.h>

#include "common/err.h"

static int peer_fail(int err, const char *why, char *reason, size_t reasonlen)
{
	if (reason != NULL && reasonlen > 0)
		snprintf(reason, reasonlen, "%s", why);	/* truncation is fine here */
	return err;
}

/* Name the most useful reason when GnuTLS reports several at once: an
 * unknown issuer matters more than an expired date on a foreign cert. */
static int peer_status_error(unsigned int status, char *reason, size_t reasonlen)
{
	static const struct {
		unsigned int flag;
		int err;
		const char *why;
	} reasons[] = {
		{ GNUTLS_CERT_SIGNER_NOT_FOUND, MG_ERR_DENIED,
		  "certificate not signed by the device CA" },
		{ GNUTLS_CERT_SIGNATURE_FAILURE, MG_ERR_DENIED, "certificate signature invalid" },
		{ GNUTLS_CERT_SIGNER_NOT_CA, MG_ERR_DENIED, "certificate signer is not a CA" },
		{ GNUTLS_CERT_REVOKED, MG_ERR_DENIED, "certificate revoked" },
		{ GNUTLS_CERT_EXPIRED, MG_ERR_EXPIRED, "certificate expired" },
		{ GNUTLS_CERT_NOT_ACTIVATED, MG_ERR_DENIED, "certificate not yet valid" },
		{ GNUTLS_CERT_PURPOSE_MISMATCH, MG_ERR_DENIED,
		  "certificate not issued for client authentication" },
		{ GNUTLS_CERT_INSECURE_ALGORITHM, MG_ERR_DENIED,
		  "certificate uses an insecure algorithm" },
	};
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (status & reasons[i].flag)
			return peer_fail(reasons[i].err, reasons[i].why, reason, reasonlen);
	return peer_fail(MG_ERR_DENIED, "certificate invalid", reason, reasonlen);
}

int mg_tls_peer_verify(gnutls_session_t session, char fingerprint[MG_CERT_FINGERPRINT_LEN],
		       int64_t *not_after_ms, char *reason, size_t reasonlen)
{
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
		.size = 0,
	};
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt = NULL;
	unsigned int n = 0, status = 0;
	time_t not_after;
	int r;

	fingerprint[0] = '\0';
	*not_after_ms = 0;
	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	if (session == NULL)
		return peer_fail(MG_ERR_TLS, "no TLS session", reason, reasonlen);
	certs = gnutls_certificate_get_peers(session, &n);
	if (certs == NULL || n == 0)
		return peer_fail(MG_ERR_DENIED, "no client certificate", reason, reasonlen);
	/* RFC 7627: without it a TLS 1.2 client certificate can be replayed
	 * into another session (triple handshake). TLS 1.3 always has it. */
	if (gnutls_protocol_get_version(session) == GNUTLS_TLS1_2 &&
	    !gnutls_session_ext_master_secret_status(session))
		return peer_fail(MG_ERR_DENIED, "TLS 1.2 without extended master secret",
				 reason, reasonlen);
	r = gnutls_certificate_verify_peers(session, &purpose, 1, &status);
	if (r < 0)
		return peer_fail(MG_ERR_TLS, "certificate verification failed", reason, reasonlen);
	if (status != 0)
		return peer_status_error(status, reason, reasonlen);
	if (mg_cert_fingerprint_der(certs[0].data, certs[0].size, fingerprint) != 0)
		return peer_fail(MG_ERR_TLS, "certificate fingerprint failed", reason, reasonlen);
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0 ||
	    (not_after = gnutls_x509_crt_get_expiration_time(crt)) == (time_t)-1) {
		r = peer_fail(MG_ERR_TLS, "certificate unreadable", reason, reasonlen);
		fingerprint[0] = '\0';
		goto out;
	}
	*not_after_ms = (int64_t)not_after * 1000;
	r = 0;
out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return r;
}
