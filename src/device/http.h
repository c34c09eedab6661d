/* HTTPS client for the device agent: one libcurl handle kept across
 * requests so measurements share one TLS connection (keep-alive). Only
 * https, only the given CA, answers capped at MG_DEVICE_ANSWER_MAX. */
#ifndef MG_DEVICE_HTTP_H
#define MG_DEVICE_HTTP_H

#include <stddef.h>

#define MG_DEVICE_ANSWER_MAX		(64 * 1024)	/* answer body, bytes */
#define MG_DEVICE_ANSWER_CEILING	(16 * 1024 * 1024)	/* raised: a firmware image */
#define MG_DEVICE_CONNECT_TIMEOUT_S	10
#define MG_DEVICE_REQUEST_TIMEOUT_S	30
#define MG_DEVICE_CONTENT_TYPE_MAX	128

struct mg_device_http;

/* One HTTP answer. body is NUL-terminated (len excludes the NUL). */
struct mg_device_http_answer {
	long status;
	char content_type[MG_DEVICE_CONTENT_TYPE_MAX];	/* "" if none */
	char *body;
	size_t len;
};

/* Returns non-zero when the request in progress should be given up (a
 * signal asked the agent to stop). */
typedef int (*mg_device_http_stop_fn)(void);

/* Call once per process before anything else here. Returns 0 or < 0. */
int mg_device_http_global_init(void);
void mg_device_http_global_cleanup(void);

/* A client trusting only the PEM certificates in ca_file, presenting
 * cert_file/key_file if both are non-NULL. stop may be NULL. *out is the
 * caller's (mg_device_http_free). Returns 0 or < 0. */
int mg_device_http_new(const char *ca_file, const char *cert_file, const char *key_file,
		       mg_device_http_stop_fn stop, struct mg_device_http **out);

#define MG_DEVICE_HTTP_HEADERS_MAX	4	/* headers sent with every request */

/* Send "name: value" with every later request of h, replacing a header of
 * that name set before. Returns 0, MG_ERR_LIMIT (too many or too long) or
 * MG_ERR_INVALID (a control character). */
int mg_device_http_set_header(struct mg_device_http *h, const char *name, const char *value);

/* Accept answers of up to max bytes on h from now on (MG_DEVICE_ANSWER_MAX
 * to MG_DEVICE_ANSWER_CEILING: a firmware image). Returns 0 or
 * MG_ERR_RANGE. */
int mg_device_http_set_answer_max(struct mg_device_http *h, size_t max);

/* Close the connection and free h; NULL is a no-op. */
void mg_device_http_free(struct mg_device_http *h);

/* POST body (len bytes, content_type) to url, or GET if body is NULL. user
 * and password, if non-NULL, go as HTTP Basic authentication. On 0, *ans
 * holds the answer (whatever its status; mg_device_http_answer_clear).
 * Otherwise no answer came: MG_ERR_UNAVAILABLE (connect, timeout, reset),
 * MG_ERR_TLS (server certificate refused), MG_ERR_CONFIG (our certificate
 * or key unusable), MG_ERR_LIMIT (answer too big), MG_ERR_AGAIN (stopped);
 * err then says why in one line. */
int mg_device_http_request(struct mg_device_http *h, const char *url, const char *content_type,
			   const char *body, size_t len, const char *user,
			   const char *password, struct mg_device_http_answer *ans,
			   char *err, size_t errlen);

/* Free what ans holds and clear it. */
void mg_device_http_answer_clear(struct mg_device_http_answer *ans);

/* A one-line, printable-ASCII description of a non-success answer: the
 * JSON "error" text if the body has one, else "HTTP <status>". */
void mg_device_http_answer_error(const struct mg_device_http_answer *ans, char *buf,
				 size_t buflen);

#endif
