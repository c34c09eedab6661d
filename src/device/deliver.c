#include "device/deliver.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/limits.h"

static const struct {
	long status;
	enum mg_device_outcome outcome;
} outcome_table[] = {
	{ 201, MG_DEVICE_STORED },	/* stored now */
	{ 200, MG_DEVICE_STORED },	/* stored before; its answer got lost */
	{ 400, MG_DEVICE_REJECTED },	/* malformed or implausible */
	{ 413, MG_DEVICE_REJECTED },	/* too big */
	{ 415, MG_DEVICE_REJECTED },	/* not JSON */
};

enum mg_device_outcome mg_device_outcome_of(long status)
{
	size_t i;

	for (i = 0; i < sizeof(outcome_table) / sizeof(outcome_table[0]); i++)
		if (outcome_table[i].status == status)
			return outcome_table[i].outcome;
	/* 401/403 (certificate refused, device blocked), 429, 5xx, and
	 * anything unexpected: never lose the measurement. */
	return MG_DEVICE_RETRY;
}

/* Replace every occurrence of secret in text with a placeholder, in place,
 * so that a server echoing the patient id cannot make us print it. */
static void redact(char *text, size_t size, const char *secret)
{
	static const char mark[] = "[patient]";
	const size_t mlen = sizeof(mark) - 1;
	size_t slen = strlen(secret), tail;
	char *from = text, *p;

	if (slen == 0)
		return;
	while ((p = strstr(from, secret)) != NULL) {
		tail = strlen(p + slen);
		if (slen >= mlen || (size_t)(p - text) + mlen + tail + 1 <= size) {
			memmove(p + mlen, p + slen, tail + 1);
			memcpy(p, mark, mlen);
			from = p + mlen;
		} else {
			memset(p, '*', slen);
			from = p + slen;
		}
	}
}

/* What a queued file says about itself: its id (for output) and patient id
 * (for redaction). A file that is no measurement gives MG_ERR_INVALID. */
static int queued_identity(const char *body, size_t len, char *mid, size_t midlen,
			   char *patient, size_t patientlen)
{
	json_t *root, *id, *pid;
	const char *s;
	size_t i, n;
	int r = MG_ERR_INVALID;

	mid[0] = '\0';
	patient[0] = '\0';
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root))
		goto out;
	id = json_object_get(root, "id");
	pid = json_object_get(json_object_get(root, "patient"), "id");
	if (!json_is_string(id) || (s = json_string_value(id)) == NULL)
		goto out;
	n = json_string_length(id);
	if (n == 0 || n > MG_DEVICE_MID_MAX || n >= midlen)
		goto out;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			goto out;
	memcpy(mid, s, n + 1);
	if (json_is_string(pid) && json_string_length(pid) < patientlen)
		memcpy(patient, json_string_value(pid), json_string_length(pid) + 1);
	r = 0;
out:
	json_decref(root);
	return r;
}

/* The gateway's id for the stored measurement as text, and whether it was
 * a duplicate. */
static void stored_answer(const struct mg_device_http_answer *ans, char *gid, size_t gidlen,
			  int *duplicate)
{
	json_t *root, *id;

	snprintf(gid, gidlen, "?");
	*duplicate = ans->status == 200;
	root = json_loadb(ans->body, ans->len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root))
		goto out;
	id = json_object_get(root, "id");
	if (json_is_integer(id))
		snprintf(gid, gidlen, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
	if (json_is_boolean(json_object_get(root, "duplicate")))
		*duplicate = json_is_true(json_object_get(root, "duplicate"));
out:
	json_decref(root);
}

/* Why delivery has to wait, for people. */
static void retry_reason(const struct mg_device_http_answer *ans, const char *patient,
			 char *buf, size_t buflen)
{
	char text[MG_DEVICE_DELIVERY_REASON_MAX];
	const char *what;

	mg_device_http_answer_error(ans, text, sizeof(text));
	redact(text, sizeof(text), patient);
	if (ans->status == 401 || ans->status == 403)
		what = "certificate refused or device blocked";
	else if (ans->status == 429)
		what = "gateway busy";
	else if (ans->status == 503 && ans->body != NULL && strstr(ans->body, "maintenance_until"))
		what = "out of service for maintenance";
	else if (ans->status >= 500)
		what = "gateway error";
	else
		what = "unexpected answer";
	snprintf(buf, buflen, "%s (%.400s)", what, text);
}

/* Handle one queued measurement; *stop set when delivery has to wait. */
static int deliver_one(struct mg_device_queue *q, struct mg_device_http *h, const char *url,
		       uint64_t seq, struct mg_device_delivery *res, int *stop)
{
	char mid[MG_DEVICE_MID_MAX + 1], patient[MG_PATIENT_ID_MAX + 1];
	char err[MG_DEVICE_DELIVERY_REASON_MAX], gid[32];
	struct mg_device_http_answer ans = { 0 };
	char *body = NULL;
	size_t len;
	int duplicate, r;

	*stop = 0;
	r = mg_device_queue_read(q, seq, &body, &len);
	if (r == MG_ERR_NOT_FOUND)
		return 0;	/* another process got it meanwhile */
	if (r == MG_ERR_LIMIT || r == MG_ERR_INVALID ||
	    (r == 0 && queued_identity(body, len, mid, sizeof(mid), patient,
				       sizeof(patient)) != 0)) {
		/* Never send what we did not write whole; keep it for a look. */
		printf("rejected queue file %020" PRIu64 ": damaged, not sent\n", seq);
		res->rejected++;
		r = mg_device_queue_reject(q, seq, "damaged queue file, never sent");
		goto out;
	}
	if (r != 0)
		goto out;
	r = mg_device_http_request(h, url, "application/json", body, len, NULL, NULL, &ans,
				   err, sizeof(err));
	if (r != 0) {
		snprintf(res->reason, sizeof(res->reason), "%s (%.400s)",
			 r == MG_ERR_TLS ? "gateway certificate not trusted" :
			 r == MG_ERR_AGAIN ? "interrupted" :
			 r == MG_ERR_CONFIG ? "device certificate or key unusable" :
			 "gateway unreachable", err);
		*stop = 1;
		r = 0;
		goto out;
	}
	switch (mg_device_outcome_of(ans.status)) {
	case MG_DEVICE_STORED:
		stored_answer(&ans, gid, sizeof(gid), &duplicate);
		if ((r = mg_device_queue_remove(q, seq)) != 0)
			goto out;
		if (duplicate) {
			res->duplicates++;
			printf("duplicate %s: stored before as gateway id %s\n", mid, gid);
		} else {
			res->delivered++;
			printf("delivered %s: gateway id %s\n", mid, gid);
		}
		break;
	case MG_DEVICE_REJECTED:
		mg_device_http_answer_error(&ans, err, sizeof(err));
		redact(err, sizeof(err), patient);
		if ((r = mg_device_queue_reject(q, seq, err)) != 0)
			goto out;
		res->rejected++;
		printf("rejected %s: %s\n", mid, err);
		break;
	case MG_DEVICE_RETRY:
		retry_reason(&ans, patient, res->reason, sizeof(res->reason));
		*stop = 1;
		break;
	}
out:
	mg_device_http_answer_clear(&ans);
	free(body);
	return r;
}

int mg_device_deliver(struct mg_device_queue *q, struct mg_device_http *h, const char *url,
		      struct mg_device_delivery *res)
{
	struct mg_device_queue_list list = { NULL, 0 };
	size_t i = 0;
	int stop = 0, r;

	memset(res, 0, sizeof(*res));
	if ((r = mg_device_queue_list(q, &list)) != 0)
		goto out;
	for (i = 0; i < list.count && !stop; i++)
		if ((r = deliver_one(q, h, url, list.seq[i], res, &stop)) != 0)
			break;
	fflush(stdout);
out:
	if (r != 0 || stop)
		mg_device_queue_count(q, &res->left, NULL);
	if (r != 0 && res->reason[0] == '\0')
		snprintf(res->reason, sizeof(res->reason), "local error: %s", mg_strerror(r));
	mg_device_queue_list_free(&list);
	return r;
}
