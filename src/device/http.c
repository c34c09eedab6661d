#include "device/http.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#ifndef MG_VERSION
#define MG_VERSION "0"
#endif

struct mg_device_http {
	CURL *curl;
	mg_device_http_stop_fn stop;
	char errbuf[CURL_ERROR_SIZE];
	char *buf;		/* answer body being received */
	size_t len, cap;
	int overflow;		/* the answer passed answer_max */
	size_t answer_max;	/* MG_DEVICE_ANSWER_MAX unless raised */
	char headers[MG_DEVICE_HTTP_HEADERS_MAX][160];	/* "Name: value" on every request */
	size_t nheaders;
};

int mg_device_http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : MG_ERR_TLS;
}

void mg_device_http_global_cleanup(void)
{
	curl_global_cleanup();
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct mg_device_http *h = arg;
	size_t n = size * nmemb, ncap;
	char *grown;

	if (n > h->answer_max - h->len) {
		h->overflow = 1;
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (h->len + n + 1 > h->cap) {
		ncap = h->cap == 0 ? 4096 : h->cap;
		while (ncap < h->len + n + 1)
			ncap *= 2;
		if ((grown = realloc(h->buf, ncap)) == NULL)
			return 0;
		h->buf = grown;
		h->cap = ncap;
	}
	memcpy(h->buf + h->len, data, n);
	h->len += n;
	h->buf[h->len] = '\0';
	return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct mg_device_http *h = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return h->stop != NULL && h->stop() ? 1 : 0;
}

/* Options that stay for the handle's life. */
static int http_configure(struct mg_device_http *h, const char *ca_file,
			  const char *cert_file, const char *key_file)
{
	CURL *c = h->curl;
	CURLcode e = CURLE_OK;

#define SET(opt, val) do { if (e == CURLE_OK) e = curl_easy_setopt(c, opt, val); } while (0)
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, h->errbuf);
	SET(CURLOPT_USERAGENT, "medgate-device/" MG_VERSION);
	/* Trust the given CA alone, never the system store. */
	SET(CURLOPT_CAINFO, ca_file);
	SET(CURLOPT_CAPATH, NULL);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (cert_file != NULL && key_file != NULL) {
		SET(CURLOPT_SSLCERT, cert_file);
		SET(CURLOPT_SSLCERTTYPE, "PEM");
		SET(CURLOPT_SSLKEY, key_file);
		SET(CURLOPT_SSLKEYTYPE, "PEM");
	}
	SET(CURLOPT_CONNECTTIMEOUT, (long)MG_DEVICE_CONNECT_TIMEOUT_S);
	SET(CURLOPT_TIMEOUT, (long)MG_DEVICE_REQUEST_TIMEOUT_S);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_TCP_KEEPIDLE, 60L);
	SET(CURLOPT_TCP_KEEPINTVL, 30L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MG_DEVICE_ANSWER_MAX);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, h);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, h);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
#undef SET
	return e == CURLE_OK ? 0 : MG_ERR_CONFIG;
}

int mg_device_http_new(const char *ca_file, const char *cert_file, const char *key_file,
		       mg_device_http_stop_fn stop, struct mg_device_http **out)
{
	struct mg_device_http *h;
	int r;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return MG_ERR_NOMEM;
	h->stop = stop;
	h->answer_max = MG_DEVICE_ANSWER_MAX;
	if ((h->curl = curl_easy_init()) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	if ((r = http_configure(h, ca_file, cert_file, key_file)) != 0)
		goto out;
	*out = h;
	h = NULL;
out:
	mg_device_http_free(h);
	return r;
}

int mg_device_http_set_header(struct mg_device_http *h, const char *name, const char *value)
{
	size_t nlen = strlen(name), i;
	int n;

	for (const char *p = value; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return MG_ERR_INVALID;
	for (i = 0; i < h->nheaders; i++)
		if (strncmp(h->headers[i], name, nlen) == 0 && h->headers[i][nlen] == ':')
			break;
	if (i == MG_DEVICE_HTTP_HEADERS_MAX)
		return MG_ERR_LIMIT;
	n = snprintf(h->headers[i], sizeof(h->headers[i]), "%s: %s", name, value);
	if (n < 0 || (size_t)n >= sizeof(h->headers[i])) {
		h->headers[i][0] = '\0';
		return MG_ERR_LIMIT;
	}
	if (i == h->nheaders)
		h->nheaders++;
	return 0;
}

int mg_device_http_set_answer_max(struct mg_device_http *h, size_t max)
{
	if (max < MG_DEVICE_ANSWER_MAX || max > MG_DEVICE_ANSWER_CEILING)
		return MG_ERR_RANGE;
	h->answer_max = max;
	return curl_easy_setopt(h->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max) == CURLE_OK
		       ? 0
		       : MG_ERR_CONFIG;
}

void mg_device_http_free(struct mg_device_http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h->buf);
	free(h);
}

void mg_device_http_answer_clear(struct mg_device_http_answer *ans)
{
	free(ans->body);
	memset(ans, 0, sizeof(*ans));
}

static int error_of(CURLcode e, const struct mg_device_http *h)
{
	if (h->overflow || e == CURLE_FILESIZE_EXCEEDED)
		return MG_ERR_LIMIT;
	switch (e) {
	case CURLE_ABORTED_BY_CALLBACK:
		return MG_ERR_AGAIN;
	case CURLE_PEER_FAILED_VERIFICATION:
		return MG_ERR_TLS;
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return MG_ERR_CONFIG;
	default:
		return MG_ERR_UNAVAILABLE;
	}
}

/* Options of one request. */
static CURLcode request_setup(struct mg_device_http *h, const char *url,
			      struct curl_slist *headers, const char *body, size_t len,
			      const char *user, const char *password)
{
	CURL *c = h->curl;
	CURLcode e = CURLE_OK;

#define SET(opt, val) do { if (e == CURLE_OK) e = curl_easy_setopt(c, opt, val); } while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_HTTPHEADER, headers);
	if (body != NULL) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		SET(CURLOPT_POSTFIELDS, body);
	} else {
		SET(CURLOPT_HTTPGET, 1L);
	}
	SET(CURLOPT_USERNAME, user);
	SET(CURLOPT_PASSWORD, password);
#undef SET
	return e;
}

int mg_device_http_request(struct mg_device_http *h, const char *url, const char *content_type,
			   const char *body, size_t len, const char *user,
			   const char *password, struct mg_device_http_answer *ans,
			   char *err, size_t errlen)
{
	struct curl_slist *headers = NULL, *more;
	char line[MG_DEVICE_CONTENT_TYPE_MAX + 32];
	const char *ctype = NULL;
	CURLcode e;
	int r, n;

	memset(ans, 0, sizeof(*ans));
	if (errlen > 0)
		err[0] = '\0';
	h->len = 0;
	h->overflow = 0;
	h->errbuf[0] = '\0';
	if (body != NULL && content_type != NULL) {
		n = snprintf(line, sizeof(line), "Content-Type: %s", content_type);
		if (n < 0 || (size_t)n >= sizeof(line))
			return MG_ERR_LIMIT;
		if ((headers = curl_slist_append(NULL, line)) == NULL)
			return MG_ERR_NOMEM;
	}
	/* Small bodies: no "Expect: 100-continue" round trip. */
	if ((more = curl_slist_append(headers, "Expect:")) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	headers = more;
	for (size_t i = 0; i < h->nheaders; i++) {
		if ((more = curl_slist_append(headers, h->headers[i])) == NULL) {
			r = MG_ERR_NOMEM;
			goto out;
		}
		headers = more;
	}
	if ((e = request_setup(h, url, headers, body, len, user, password)) == CURLE_OK)
		e = curl_easy_perform(h->curl);
	if (e != CURLE_OK) {
		r = error_of(e, h);
		snprintf(err, errlen, "%s%s%s", r == MG_ERR_LIMIT ? "answer too big" :
			 curl_easy_strerror(e), h->errbuf[0] ? ": " : "", h->errbuf);
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &ans->status);
	if (curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK &&
	    ctype != NULL && strlen(ctype) < sizeof(ans->content_type))
		memcpy(ans->content_type, ctype, strlen(ctype) + 1);
	if ((ans->body = malloc(h->len + 1)) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	if (h->len > 0)
		memcpy(ans->body, h->buf, h->len);
	ans->body[h->len] = '\0';
	ans->len = h->len;
	r = 0;
out:
	/* Credentials and the header list must not outlive this request. */
	curl_easy_setopt(h->curl, CURLOPT_USERNAME, NULL);
	curl_easy_setopt(h->curl, CURLOPT_PASSWORD, NULL);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	if (r != 0)
		mg_device_http_answer_clear(ans);
	return r;
}

void mg_device_http_answer_error(const struct mg_device_http_answer *ans, char *buf,
				 size_t buflen)
{
	const char *text = NULL;
	json_t *root = NULL;
	size_t i, o = 0;
	int n;

	if (buflen == 0)
		return;
	buf[0] = '\0';
	if (ans->body != NULL && ans->len > 0)
		root = json_loadb(ans->body, ans->len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(root))
		text = json_string_value(json_object_get(root, "error"));
	if (text != NULL) {
		/* Printable ASCII only: the text goes to a terminal or log. */
		for (i = 0; text[i] != '\0' && o + 1 < buflen && o < 300; i++) {
			unsigned char c = (unsigned char)text[i];

			buf[o++] = (c >= 0x20 && c <= 0x7e) ? (char)c : '?';
		}
		buf[o] = '\0';
	}
	n = snprintf(buf + o, buflen - o, "%sHTTP %ld", o > 0 ? " - " : "", ans->status);
	if (n < 0 || (size_t)n >= buflen - o)
		buf[o] = '\0';
	json_decref(root);
}
