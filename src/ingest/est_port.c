/* EST (RFC 7030) on the device port: /cacerts hands out the device CA,
 * /simpleenroll turns a PKCS#10 request plus a one-time token (the HTTP
 * Basic password) into a device certificate and an enrolled device, and
 * /simplereenroll, authenticated by the device's current certificate,
 * gives the same device a new one (the old one is refused from then on). */
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "tls/est.h"
#include "http/http.h"
#include "ingest/device_internal.h"

#define EST_REALM "medgate EST"
#define PKCS7_CERTS_ONLY "application/pkcs7-mime; smime-type=certs-only"

int mg_est_prepare(struct mg_device_port *dp)
{
	unsigned char *der = NULL;
	size_t len = 0;
	int r;

	if ((r = mg_ca_cert_der(dp->deps.device_ca, &der, &len)) != 0)
		return r;
	r = mg_est_certs_only((const unsigned char *const *)&der, &len, 1, &dp->est_cacerts,
			      &dp->est_cacerts_len);
	free(der);
	return r;
}

void mg_est_release(struct mg_device_port *dp)
{
	free(dp->est_cacerts);
	dp->est_cacerts = NULL;
}

static enum MHD_Result pkcs7_answer(struct MHD_Connection *c, const char *b64, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)b64, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, PKCS7_CERTS_ONLY);
	MHD_add_response_header(r, "Content-Transfer-Encoding", "base64");
	mg_http_security_headers(r);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result mg_est_cacerts(struct device_request *rq)
{
	return pkcs7_answer(rq->connection, rq->dp->est_cacerts, rq->dp->est_cacerts_len);
}

static enum MHD_Result refuse_token(struct device_request *rq)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	static const char body[] = "{\"error\":\"enrolment token invalid, used or expired\"}";

	mg_log_warning("device port: enrolment refused from %s: token invalid, used or expired",
		       rq->peer);
	device_audit(rq, "device.enrol", NULL, 0, 0, MG_AUDIT_DENIED,
		     "token invalid, used or expired");
	r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)(uintptr_t)body,
					    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	mg_http_security_headers(r);
	ret = MHD_queue_basic_auth_fail_response(rq->connection, EST_REALM, r);
	MHD_destroy_response(r);
	return ret;
}

/* The token from the Basic credentials, hashed; 0 or MG_ERR_DENIED. */
static int token_from_request(struct device_request *rq, unsigned char hash[MG_TOKEN_HASH_BYTES])
{
	char *password = NULL, *user;
	size_t len;
	int r = MG_ERR_DENIED;

	user = MHD_basic_auth_get_username_password(rq->connection, &password);
	if (password != NULL && (len = strlen(password)) > 0 && len <= MG_TOKEN_TEXT_MAX) {
		mg_token_hash(mg_keyring_master(rq->dp->deps.keys), password, len, hash);
		r = 0;
	}
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		MHD_free(password);
	}
	if (user != NULL)
		MHD_free(user);
	return r;
}

enum MHD_Result mg_est_simpleenroll(struct device_request *rq)
{
	const struct mg_device_port_deps *deps = &rq->dp->deps;
	unsigned char hash[MG_TOKEN_HASH_BYTES];
	struct mg_enrol_token token;
	struct mg_issued_cert cert;
	struct mg_device d;
	unsigned char *csr = NULL;
	size_t csr_len = 0;
	char *b64 = NULL, model[MG_MODEL_MAX + 1], why[160];
	size_t b64_len = 0;
	enum MHD_Result ret;
	int64_t now = mg_now_ms();
	int r = 0;

	memset(&cert, 0, sizeof(cert));
	if (device_model_of(rq, model) != 0)
		return mg_http_error(rq->connection, MHD_HTTP_BAD_REQUEST,
				     "X-Device-Model: 1 to 64 characters of A-Z a-z 0-9 . _ + -");
	/* Compatible products only, before the token is looked at (a refused
	 * model does not use up the token). */
	if (device_model_admit(rq->dp, model, why, sizeof(why)) != 0) {
		mg_log_warning("device port: enrolment refused from %s: model %s not accepted",
			       rq->peer, model[0] ? model : "(none named)");
		device_audit(rq, "device.enrol", NULL, 0, 0, MG_AUDIT_DENIED,
			     "device model not accepted");
		return mg_http_error(rq->connection, MHD_HTTP_FORBIDDEN, why);
	}
	if (token_from_request(rq, hash) != 0 ||
	    (r = mg_store_token_find(deps->store, hash, now, &token)) == MG_ERR_NOT_FOUND)
		return refuse_token(rq);
	if (r != 0)
		return mg_http_error(rq->connection, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "store unavailable, retry later");
	if (mg_est_decode_csr(rq->body ? rq->body : "", rq->len, &csr, &csr_len) != 0) {
		ret = mg_http_error(rq->connection, MHD_HTTP_BAD_REQUEST,
				    "body is not a base64 PKCS#10 certificate request");
		goto out;
	}
	if ((r = mg_ca_sign_client_csr(deps->device_ca, csr, csr_len, token.device_name,
				       deps->cfg->device_cert_days, &cert)) != 0) {
		ret = mg_http_error(rq->connection, MHD_HTTP_BAD_REQUEST,
				    r == MG_ERR_INVALID
					    ? "certificate request invalid: bad signature or key type"
					    : "cannot issue a certificate for this request");
		goto out;
	}
	memset(&d, 0, sizeof(d));
	d.tenant_id = token.tenant_id;
	memcpy(d.name, token.device_name, sizeof(d.name));
	memcpy(d.cert_fingerprint, cert.fingerprint, sizeof(d.cert_fingerprint));
	memcpy(d.cert_serial, cert.serial, sizeof(d.cert_serial));
	d.cert_not_after_ms = cert.not_after_ms;
	memcpy(d.model, model, sizeof(d.model));
	if ((r = mg_store_device_enrol(deps->store, token.id, now, &d)) == MG_ERR_NOT_FOUND) {
		ret = refuse_token(rq);	/* used by a concurrent request */
		goto out;
	}
	if (r != 0 || (r = mg_est_certs_only((const unsigned char *const *)&cert.der,
					     &cert.der_len, 1, &b64, &b64_len)) != 0) {
		mg_log_error("device port: enrolment failed: %s", mg_strerror(r));
		ret = mg_http_error(rq->connection, MHD_HTTP_SERVICE_UNAVAILABLE,
				    "enrolment failed, retry later");
		goto out;
	}
	mg_log_info("device port: device %lld enrolled in tenant %lld from %s, certificate %.16s...",
		    (long long)d.id, (long long)d.tenant_id, rq->peer, d.cert_fingerprint);
	device_audit(rq, "device.enrol", "device", d.id, d.tenant_id, MG_AUDIT_SUCCESS, NULL);
	ret = pkcs7_answer(rq->connection, b64, b64_len);
out:
	free(b64);
	free(csr);
	mg_issued_cert_clear(&cert);
	return ret;
}

enum MHD_Result mg_est_simplereenroll(struct device_request *rq)
{
	const struct mg_device_port_deps *deps = &rq->dp->deps;
	const struct mg_device *d = &rq->device;
	struct mg_issued_cert cert;
	unsigned char *csr = NULL;
	size_t csr_len = 0, b64_len = 0;
	char *b64 = NULL;
	enum MHD_Result ret;
	int r;

	memset(&cert, 0, sizeof(cert));
	if (mg_est_decode_csr(rq->body ? rq->body : "", rq->len, &csr, &csr_len) != 0) {
		ret = mg_http_error(rq->connection, MHD_HTTP_BAD_REQUEST,
				    "body is not a base64 PKCS#10 certificate request");
		goto out;
	}
	/* The subject stays the device's name, whatever the request says. */
	if ((r = mg_ca_sign_client_csr(deps->device_ca, csr, csr_len, d->name,
				       deps->cfg->device_cert_days, &cert)) != 0) {
		ret = mg_http_error(rq->connection, MHD_HTTP_BAD_REQUEST,
				    r == MG_ERR_INVALID
					    ? "certificate request invalid: bad signature or key type"
					    : "cannot issue a certificate for this request");
		goto out;
	}
	r = mg_store_device_renew(deps->store, d->id, d->cert_fingerprint, cert.fingerprint,
				  cert.serial, cert.not_after_ms);
	if (r == MG_ERR_NOT_FOUND) {
		/* Renewed or revoked meanwhile by another request. */
		device_audit(rq, "device.reenrol", "device", d->id, d->tenant_id, MG_AUDIT_DENIED,
			     "certificate replaced or device revoked meanwhile");
		ret = mg_http_error(rq->connection, MHD_HTTP_CONFLICT,
				    "this certificate was replaced or revoked meanwhile");
		goto out;
	}
	if (r != 0 || (r = mg_est_certs_only((const unsigned char *const *)&cert.der,
					     &cert.der_len, 1, &b64, &b64_len)) != 0) {
		mg_log_error("device port: renewal of device %lld failed: %s", (long long)d->id,
			     mg_strerror(r));
		ret = mg_http_error(rq->connection, MHD_HTTP_SERVICE_UNAVAILABLE,
				    "renewal failed, retry later");
		goto out;
	}
	mg_log_info("device port: device %lld renewed its certificate from %s: %.16s... replaces "
		    "%.16s...", (long long)d->id, rq->peer, cert.fingerprint, d->cert_fingerprint);
	device_audit(rq, "device.reenrol", "device", d->id, d->tenant_id, MG_AUDIT_SUCCESS, NULL);
	ret = pkcs7_answer(rq->connection, b64, b64_len);
out:
	free(b64);
	free(csr);
	mg_issued_cert_clear(&cert);
	return ret;
}
