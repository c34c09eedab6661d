/* A FHIR server's answer to a transaction, judged: delivered, try again,
 * or refused for good. The rule of thumb: only the FHIR server's own word
 * about this message (a 4xx with an OperationOutcome) refuses it; anything
 * about the connection, access, the endpoint or load is retried, since
 * every other message would meet it too and a fix by an operator should
 * deliver them all. Resending is safe: every entry is a conditional create.
 *
 * The reason text is for the log: one line, control characters blanked,
 * and the patient id that was sent replaced by "***" wherever the server
 * echoed it, before any cutting to length. */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/hex.h"
#include "fhir/fhir.h"

#define SCRUBBED "***"
#define ISSUES_SHOWN 3	/* OperationOutcome issues in a reason */

struct why {
	char *buf;
	size_t size, pos;
	bool cut;
	const char *scrub;	/* NULL or "" for none */
	char scrub_encoded[3 * MG_PATIENT_ID_MAX + 1];	/* "" if same as scrub */
};

static bool is_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static void why_init(struct why *w, char *buf, size_t size, const char *scrub)
{
	size_t pos = 0;
	bool differs = false;

	w->buf = size > 0 ? buf : NULL;
	w->size = size;
	w->pos = 0;
	w->cut = false;
	w->scrub = scrub != NULL && scrub[0] != '\0' ? scrub : NULL;
	w->scrub_encoded[0] = '\0';
	if (w->buf != NULL)
		w->buf[0] = '\0';
	if (w->scrub == NULL || strlen(scrub) > MG_PATIENT_ID_MAX)
		return;
	for (const unsigned char *p = (const unsigned char *)scrub; *p != '\0'; p++) {
		if (is_unreserved(*p)) {
			w->scrub_encoded[pos++] = (char)*p;
		} else {
			w->scrub_encoded[pos++] = '%';
			mg_hex_byte(*p, MG_HEX_UPPER, w->scrub_encoded + pos);
			pos += 2;
			differs = true;
		}
	}
	w->scrub_encoded[differs ? pos : 0] = '\0';
}

static bool starts_with_nocase(const char *s, const char *prefix)
{
	for (; *prefix != '\0'; s++, prefix++)
		if (*s == '\0' || tolower((unsigned char)*s) != tolower((unsigned char)*prefix))
			return false;
	return true;
}

static void why_putc(struct why *w, char c)
{
	if (w->buf == NULL || w->cut)
		return;
	if (w->pos + 1 >= w->size) {
		w->cut = true;
		return;
	}
	w->buf[w->pos++] = c;
	w->buf[w->pos] = '\0';
}

/* Append text, scrubbed and on one line. */
static void why_puts(struct why *w, const char *text)
{
	const char *s = text;

	while (*s != '\0' && !w->cut && w->buf != NULL) {
		size_t skip = 0;

		if (w->scrub != NULL && starts_with_nocase(s, w->scrub))
			skip = strlen(w->scrub);
		else if (w->scrub_encoded[0] != '\0' && starts_with_nocase(s, w->scrub_encoded))
			skip = strlen(w->scrub_encoded);
		if (skip > 0) {
			for (const char *r = SCRUBBED; *r != '\0'; r++)
				why_putc(w, *r);
			s += skip;
			continue;
		}
		why_putc(w, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
		s++;
	}
}

static void why_printf(struct why *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void why_printf(struct why *w, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	why_puts(w, text);
}

/* If the text was cut inside a UTF-8 sequence, drop the partial sequence. */
static void why_finish(struct why *w)
{
	size_t j, need;
	unsigned char lead;

	if (w->buf == NULL || !w->cut || w->pos == 0)
		return;
	j = w->pos - 1;
	while (j > 0 && ((unsigned char)w->buf[j] & 0xc0) == 0x80 && w->pos - j < 4)
		j--;
	lead = (unsigned char)w->buf[j];
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	if (w->pos - j < need) {
		w->pos = j;
		w->buf[j] = '\0';
	}
}

/* The three-digit code at the start of an entry's response.status
 * ("201 Created"), or -1. */
static long status_code(const char *s)
{
	if (s == NULL || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]) || isdigit((unsigned char)s[3]))
		return -1;
	return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

static bool is_resource(json_t *j, const char *type)
{
	const char *t = json_string_value(json_object_get(j, "resourceType"));

	return t != NULL && strcmp(t, type) == 0;
}

static void why_issue(struct why *w, json_t *issue)
{
	json_t *details = json_object_get(issue, "details");
	json_t *coding = json_array_get(json_object_get(details, "coding"), 0);
	const char *severity = json_string_value(json_object_get(issue, "severity"));
	const char *code = json_string_value(json_object_get(issue, "code"));
	const char *text = json_string_value(json_object_get(issue, "diagnostics"));
	json_t *expression = json_object_get(issue, "expression");
	const char *where = json_string_value(json_array_get(expression, 0));

	if (text == NULL)
		text = json_string_value(json_object_get(details, "text"));
	if (text == NULL)
		text = json_string_value(json_object_get(coding, "display"));
	if (text == NULL)
		text = json_string_value(json_object_get(coding, "code"));
	if (where == NULL)
		where = json_string_value(json_array_get(json_object_get(issue, "location"), 0));
	why_puts(w, severity != NULL ? severity : "issue");
	if (code != NULL) {
		why_puts(w, " ");
		why_puts(w, code);
	}
	if (text != NULL) {
		why_puts(w, ": ");
		why_puts(w, text);
	}
	if (where != NULL) {
		why_puts(w, " (at ");
		why_puts(w, where);
		why_puts(w, ")");
	}
}

static bool is_error_issue(json_t *issue)
{
	const char *severity = json_string_value(json_object_get(issue, "severity"));

	return severity != NULL &&
	       (strcmp(severity, "error") == 0 || strcmp(severity, "fatal") == 0);
}

/* ": <issue>; <issue>" from an OperationOutcome: its errors first, the
 * other issues only if it has no error. */
static void why_outcome(struct why *w, json_t *outcome)
{
	json_t *issues = json_object_get(outcome, "issue"), *issue;
	size_t i, shown = 0, errors = 0;

	if (!is_resource(outcome, "OperationOutcome") || !json_is_array(issues))
		return;
	json_array_foreach(issues, i, issue)
		if (is_error_issue(issue))
			errors++;
	json_array_foreach(issues, i, issue) {
		if (!json_is_object(issue) || (errors > 0 && !is_error_issue(issue)))
			continue;
		if (shown == ISSUES_SHOWN) {
			why_puts(w, "; ...");
			break;
		}
		why_puts(w, shown == 0 ? ": " : "; ");
		why_issue(w, issue);
		shown++;
	}
}

/* 4xx statuses about the connection, access, the endpoint, negotiation or
 * load rather than this message's content: retried. */
static bool is_retryable_4xx(long status)
{
	static const long retryable[] = {
		401,	/* Unauthorized: token missing or expired */
		403,	/* Forbidden: token scope or server access rules */
		404,	/* Not Found: wrong base URL */
		405,	/* Method Not Allowed: base URL takes no transactions */
		406,	/* Not Acceptable: content negotiation */
		407,	/* Proxy Authentication Required */
		408,	/* Request Timeout */
		409,	/* Conflict: concurrent update on the server */
		415,	/* Unsupported Media Type: server's configuration */
		421,	/* Misdirected Request */
		423,	/* Locked */
		425,	/* Too Early */
		429,	/* Too Many Requests */
	};

	for (size_t i = 0; i < sizeof(retryable) / sizeof(retryable[0]); i++)
		if (retryable[i] == status)
			return true;
	return false;
}

/* A 2xx answer: delivered only if it is a transaction-response whose every
 * entry succeeded; an entry refused with a final 4xx refuses the message. */
static enum mg_fhir_verdict judge_success(long status, json_t *root, struct why *w)
{
	json_t *entries = json_object_get(root, "entry"), *entry;
	const char *type = json_string_value(json_object_get(root, "type"));
	size_t i, created = 0, existing = 0;

	if (!is_resource(root, "Bundle") || type == NULL ||
	    strcmp(type, "transaction-response") != 0 || json_array_size(entries) == 0) {
		why_printf(w, "HTTP %ld without a transaction-response Bundle", status);
		return MG_FHIR_RETRY;
	}
	json_array_foreach(entries, i, entry) {
		json_t *response = json_object_get(entry, "response");
		long code = status_code(json_string_value(json_object_get(response, "status")));

		if (code >= 200 && code <= 299) {
			if (code == 201)
				created++;
			else
				existing++;
			continue;
		}
		if (code >= 400 && code <= 499 && !is_retryable_4xx(code)) {
			why_printf(w, "HTTP %ld, entry %zu refused with %ld", status, i, code);
			why_outcome(w, json_object_get(response, "outcome"));
			return MG_FHIR_REJECTED;
		}
		if (code < 0)
			why_printf(w, "HTTP %ld, entry %zu without a response status", status, i);
		else
			why_printf(w, "HTTP %ld, entry %zu answered %ld", status, i, code);
		why_outcome(w, json_object_get(response, "outcome"));
		return MG_FHIR_RETRY;
	}
	why_printf(w, "HTTP %ld: %zu entries, %zu created, %zu already there", status,
		   json_array_size(entries), created, existing);
	return MG_FHIR_DELIVERED;
}

static enum mg_fhir_verdict judge(long status, json_t *root, struct why *w)
{
	bool outcome = is_resource(root, "OperationOutcome");

	if (status < 100 || status > 599) {
		if (status <= 0)
			why_puts(w, "no HTTP answer");
		else
			why_printf(w, "HTTP status %ld is not valid", status);
		return MG_FHIR_RETRY;
	}
	if (status >= 200 && status <= 299)
		return judge_success(status, root, w);
	why_printf(w, "HTTP %ld", status);
	if (status >= 400 && status <= 499 && !is_retryable_4xx(status)) {
		if (outcome) {
			why_outcome(w, root);
			return MG_FHIR_REJECTED;
		}
		/* Not the FHIR server's own word: a proxy or gateway in between. */
		why_puts(w, " without an OperationOutcome");
		return MG_FHIR_RETRY;
	}
	if (status >= 300 && status <= 399)
		why_puts(w, " (redirects are not followed: check the URL)");
	if (outcome)
		why_outcome(w, root);
	return MG_FHIR_RETRY;
}

enum mg_fhir_verdict mg_fhir_judge(long http_status, const char *body, size_t len,
				   const char *scrub, char *why, size_t whylen)
{
	enum mg_fhir_verdict v;
	struct why w;
	json_t *root = NULL;

	why_init(&w, why, whylen, scrub);
	if (body != NULL && len > 0 && len <= MG_FHIR_RESPONSE_MAX)
		root = json_loadb(body, len, 0, NULL);
	v = judge(http_status, root, &w);
	if (body != NULL && len > MG_FHIR_RESPONSE_MAX)
		why_printf(&w, " (answer longer than %d bytes not read)", MG_FHIR_RESPONSE_MAX);
	why_finish(&w);
	json_decref(root);
	return v;
}

const char *mg_fhir_verdict_name(enum mg_fhir_verdict v)
{
	switch (v) {
	case MG_FHIR_DELIVERED:
		return "delivered";
	case MG_FHIR_RETRY:
		return "retry";
	case MG_FHIR_REJECTED:
		return "rejected";
	}
	return "unknown";
}
