/* FHIR sender: transaction Bundles POSTed to the server's base URL with
 * libcurl's multi interface, one easy handle per slot, all driven by the
 * forwarder's thread. The answer is judged by mg_fhir_judge(). */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/file.h"
#include "common/log.h"
#include "fhir/fhir.h"
#include "outbox/sender.h"

#define FHIR_SLOTS_MAX 16
#define BEARER_MAX 4096

struct fhir_slot {
	CURL *easy;
	int64_t item_id;		/* 0 = free */
	char *body;			/* the Bundle we send */
	size_t body_len;
	char *answer;			/* the server's answer, bounded */
	char scrub[MG_PATIENT_ID_MAX + 1];	/* the patient id, kept out of why */
	size_t answer_len;
	bool answer_too_large;
	char error[CURL_ERROR_SIZE];
};

struct fhir_sender {
	struct mg_sender base;
	CURLM *multi;
	struct curl_slist *headers;
	char url[600];
	char ca[MG_PATH_MAX], cert[MG_PATH_MAX], key[MG_PATH_MAX];
	long timeout;
	size_t nslots;
	struct fhir_slot slots[FHIR_SLOTS_MAX];
};

static size_t on_answer(char *data, size_t size, size_t n, void *arg)
{
	struct fhir_slot *sl = arg;
	size_t len = size * n;
	char *grown;

	if (sl->answer_len + len > MG_FHIR_RESPONSE_MAX) {
		sl->answer_too_large = true;
		return len;	/* keep reading; judge it as garbage */
	}
	if ((grown = realloc(sl->answer, sl->answer_len + len + 1)) == NULL)
		return 0;
	sl->answer = grown;
	memcpy(sl->answer + sl->answer_len, data, len);
	sl->answer_len += len;
	sl->answer[sl->answer_len] = '\0';
	return len;
}

static size_t fhir_free_slots(struct mg_sender *base)
{
	struct fhir_sender *s = (struct fhir_sender *)base;
	size_t n = 0;

	for (size_t i = 0; i < s->nslots; i++)
		n += s->slots[i].item_id == 0;
	return n;
}

static void slot_clear(struct fhir_slot *sl)
{
	if (sl->body != NULL) {
		sodium_memzero(sl->body, sl->body_len);
		free(sl->body);
	}
	if (sl->answer != NULL) {
		sodium_memzero(sl->answer, sl->answer_len);
		free(sl->answer);
	}
	sl->body = sl->answer = NULL;
	sl->body_len = sl->answer_len = 0;
	sl->answer_too_large = false;
	sodium_memzero(sl->scrub, sizeof(sl->scrub));
	sl->item_id = 0;
	sl->error[0] = '\0';
}

static int fhir_submit(struct mg_sender *base, int64_t item_id, const char *message, size_t len,
		       const char *control_id, const char *scrub)
{
	struct fhir_sender *s = (struct fhir_sender *)base;
	struct fhir_slot *sl = NULL;

	(void)control_id;	/* the Bundle carries its identifier itself */
	for (size_t i = 0; i < s->nslots && sl == NULL; i++)
		if (s->slots[i].item_id == 0)
			sl = &s->slots[i];
	if (sl == NULL)
		return MG_ERR_BUSY;
	if ((sl->body = malloc(len)) == NULL)
		return MG_ERR_NOMEM;
	memcpy(sl->body, message, len);
	sl->body_len = len;
	snprintf(sl->scrub, sizeof(sl->scrub), "%s", scrub ? scrub : "");
	sl->item_id = item_id;
	curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDS, sl->body);
	curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	if (curl_multi_add_handle(s->multi, sl->easy) != CURLM_OK) {
		slot_clear(sl);
		return MG_ERR_UNAVAILABLE;
	}
	return 0;
}

static void finish(struct fhir_sender *s, struct fhir_slot *sl, CURLcode code, mg_send_done_fn done,
		   void *arg)
{
	struct mg_send_result res;
	enum mg_fhir_verdict v;
	long status = 0;

	memset(&res, 0, sizeof(res));
	res.item_id = sl->item_id;
	curl_multi_remove_handle(s->multi, sl->easy);
	if (code != CURLE_OK) {
		res.verdict = MG_SEND_RETRY;
		snprintf(res.why, sizeof(res.why), "FHIR server unreachable: %.200s",
			 sl->error[0] ? sl->error : curl_easy_strerror(code));
		/* Certificate not trusted or for another name, the TLS
		 * handshake refused, a scheme curl will not speak. */
		res.permanent = code == CURLE_PEER_FAILED_VERIFICATION ||
				code == CURLE_SSL_CONNECT_ERROR || code == CURLE_SSL_CERTPROBLEM ||
				code == CURLE_SSL_CACERT_BADFILE || code == CURLE_UNSUPPORTED_PROTOCOL;
	} else {
		curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &status);
		v = sl->answer_too_large
			    ? MG_FHIR_RETRY
			    : mg_fhir_judge(status, sl->answer ? sl->answer : "", sl->answer_len,
					    sl->scrub[0] ? sl->scrub : NULL, res.why, sizeof(res.why));
		if (sl->answer_too_large)
			snprintf(res.why, sizeof(res.why), "answer larger than %d bytes",
				 MG_FHIR_RESPONSE_MAX);
		res.verdict = v == MG_FHIR_DELIVERED ? MG_SEND_DELIVERED
			      : v == MG_FHIR_REJECTED ? MG_SEND_REJECTED : MG_SEND_RETRY;
	}
	slot_clear(sl);
	done(arg, &res);
}

static int fhir_poll(struct mg_sender *base, int timeout_ms, mg_send_done_fn done, void *arg)
{
	struct fhir_sender *s = (struct fhir_sender *)base;
	CURLMsg *msg;
	int running, left;

	if (curl_multi_perform(s->multi, &running) != CURLM_OK ||
	    curl_multi_poll(s->multi, NULL, 0, timeout_ms, NULL) != CURLM_OK ||
	    curl_multi_perform(s->multi, &running) != CURLM_OK)
		return MG_ERR_IO;
	while ((msg = curl_multi_info_read(s->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		for (size_t i = 0; i < s->nslots; i++) {
			if (s->slots[i].easy == msg->easy_handle && s->slots[i].item_id != 0) {
				finish(s, &s->slots[i], msg->data.result, done, arg);
				break;
			}
		}
	}
	return 0;
}

static void fhir_wake(struct mg_sender *base)
{
	curl_multi_wakeup(((struct fhir_sender *)base)->multi);
}

static void fhir_free(struct mg_sender *base)
{
	struct fhir_sender *s = (struct fhir_sender *)base;

	for (size_t i = 0; i < s->nslots; i++) {
		if (s->slots[i].item_id != 0)
			curl_multi_remove_handle(s->multi, s->slots[i].easy);
		slot_clear(&s->slots[i]);
		curl_easy_cleanup(s->slots[i].easy);
	}
	curl_multi_cleanup(s->multi);
	curl_slist_free_all(s->headers);	/* holds the bearer token */
	sodium_memzero(s, sizeof(*s));
	free(s);
}

static const struct mg_sender_ops fhir_ops = {
	fhir_free_slots, fhir_submit, fhir_poll, fhir_wake, fhir_free,
};

/* The Authorization header from the token file (0600). */
static int bearer_header(const struct mg_config *cfg, const struct mg_emr_config *d,
			 struct fhir_sender *s, char *err, size_t errlen)
{
	char path[MG_PATH_MAX], header[BEARER_MAX + 32], *token = NULL;
	struct curl_slist *l;
	size_t len = 0;
	mode_t mode;
	int r;

	if (d->bearer_token_file[0] == '\0')
		return 0;
	if ((r = mg_config_path(cfg, d->bearer_token_file, path, sizeof(path))) != 0 ||
	    (r = mg_file_check_private(path, &mode)) != 0 ||
	    (r = mg_file_read(path, BEARER_MAX, &token, &len)) != 0) {
		snprintf(err, errlen, "bearer_token_file %s: %s", path,
			 r == MG_ERR_DENIED ? "not private (" MG_FILE_PRIVATE_FIX ")"
					    : "cannot read it");
		return r;
	}
	while (len > 0 && (token[len - 1] == '\n' || token[len - 1] == '\r'))
		token[--len] = '\0';
	snprintf(header, sizeof(header), "Authorization: Bearer %s", token);
	sodium_memzero(token, len);
	free(token);
	l = curl_slist_append(s->headers, header);
	sodium_memzero(header, sizeof(header));
	if (l == NULL)
		return MG_ERR_NOMEM;
	s->headers = l;
	return 0;
}

static int slot_setup(struct fhir_sender *s, struct fhir_slot *sl)
{
	CURL *e = curl_easy_init();

	if ((sl->easy = e) == NULL)
		return MG_ERR_NOMEM;
	curl_easy_setopt(e, CURLOPT_URL, s->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_answer);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, sl);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, sl->error);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, s->timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, s->timeout < 10 ? s->timeout : 10L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->ca[0] != '\0')
		curl_easy_setopt(e, CURLOPT_CAINFO, s->ca);
	if (s->cert[0] != '\0') {
		curl_easy_setopt(e, CURLOPT_SSLCERT, s->cert);
		curl_easy_setopt(e, CURLOPT_SSLKEY, s->key);
	}
	return 0;
}

int mg_fhir_sender_new(const struct mg_config *cfg, const struct mg_emr_config *d,
		       struct mg_sender **out, char *err, size_t errlen)
{
	struct fhir_sender *s;
	struct curl_slist *l;
	mode_t mode;
	int n, r = MG_ERR_NOMEM;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return MG_ERR_NOMEM;
	s->base.ops = &fhir_ops;
	s->nslots = d->connections < FHIR_SLOTS_MAX ? d->connections : FHIR_SLOTS_MAX;
	s->timeout = (long)d->timeout;
	/* A transaction Bundle goes to the server's base URL itself. */
	n = snprintf(s->url, sizeof(s->url), "%s", d->url);
	if (n < 0 || (size_t)n >= sizeof(s->url) ||
	    (d->ca_cert[0] && mg_config_path(cfg, d->ca_cert, s->ca, sizeof(s->ca)) != 0) ||
	    (d->client_cert[0] && (mg_config_path(cfg, d->client_cert, s->cert, sizeof(s->cert)) != 0 ||
				   mg_config_path(cfg, d->client_key, s->key, sizeof(s->key)) != 0))) {
		snprintf(err, errlen, "a path or the URL is too long");
		r = MG_ERR_CONFIG;
		goto fail;
	}
	if (s->key[0] != '\0' && mg_file_check_private(s->key, &mode) != 0) {
		snprintf(err, errlen, "client_key %s: missing or readable by others", s->key);
		r = MG_ERR_CONFIG;
		goto fail;
	}
	if ((l = curl_slist_append(NULL, "Content-Type: " MG_FHIR_CONTENT_TYPE)) == NULL)
		goto fail;
	s->headers = l;
	if ((l = curl_slist_append(s->headers, "Accept: " MG_FHIR_CONTENT_TYPE)) == NULL)
		goto fail;
	if ((l = curl_slist_append(s->headers, "Prefer: " MG_FHIR_PREFER)) == NULL)
		goto fail;
	/* No "Expect: 100-continue" round trip before each Bundle. */
	if ((l = curl_slist_append(s->headers, "Expect:")) == NULL)
		goto fail;
	if ((r = bearer_header(cfg, d, s, err, errlen)) != 0)
		goto fail;
	if ((s->multi = curl_multi_init()) == NULL) {
		r = MG_ERR_NOMEM;
		goto fail;
	}
	for (size_t i = 0; i < s->nslots; i++) {
		if ((r = slot_setup(s, &s->slots[i])) != 0)
			goto fail;
	}
	*out = &s->base;
	return 0;
fail:
	if (r == MG_ERR_NOMEM)
		snprintf(err, errlen, "out of memory");
	fhir_free(&s->base);
	return r;
}
