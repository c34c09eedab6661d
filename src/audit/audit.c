/* Appending to the audit trail: check the event against its bounds, make
 * the record, and let the store chain it at the head inside its write
 * transaction with our keyed hash. */
#include "audit/audit.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/roles.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"

/* The canonical encoding: a version tag, the four integers, prev_hash and
 * the seven texts, each text preceded by its length. Bounded by the
 * record's limits. */
static const char encoding_tag[] = "medgate audit record v1";
#define ENCODING_MAX                                                                        \
	(sizeof(encoding_tag) + 4 * 8 + MG_AUDIT_HASH_BYTES + 7 * 4 + MG_AUDIT_ACTOR_MAX +  \
	 MG_AUDIT_ROLES_MAX + MG_AUDIT_ADDRESS_MAX + MG_AUDIT_ACTION_MAX +                 \
	 MG_AUDIT_OBJECT_MAX + MG_AUDIT_OUTCOME_MAX + MG_AUDIT_DETAILS_MAX)

struct encoder {
	unsigned char buf[ENCODING_MAX];
	size_t len;
	int error;
};

static void put_bytes(struct encoder *enc, const void *p, size_t n)
{
	if (enc->error != 0 || n > sizeof(enc->buf) - enc->len) {
		enc->error = MG_ERR_LIMIT;
		return;
	}
	memcpy(enc->buf + enc->len, p, n);
	enc->len += n;
}

static void put_u64(struct encoder *enc, uint64_t v)
{
	unsigned char b[8];

	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)(v & 0xff);
	put_bytes(enc, b, sizeof(b));
}

static void put_text(struct encoder *enc, const char *text, size_t max)
{
	size_t n = strnlen(text, max + 1);
	unsigned char b[4];

	if (n > max) {
		enc->error = MG_ERR_LIMIT;
		return;
	}
	b[0] = (unsigned char)(n >> 24);
	b[1] = (unsigned char)(n >> 16);
	b[2] = (unsigned char)(n >> 8);
	b[3] = (unsigned char)n;
	put_bytes(enc, b, sizeof(b));
	put_bytes(enc, text, n);
}

int mg_audit_record_hash(const struct mg_master_key *mk, const struct mg_audit_record *rec,
			 unsigned char hash[MG_AUDIT_HASH_BYTES])
{
	struct encoder enc = { .len = 0, .error = 0 };

	memset(hash, 0, MG_AUDIT_HASH_BYTES);
	put_text(&enc, encoding_tag, sizeof(encoding_tag) - 1);
	put_u64(&enc, (uint64_t)rec->seq);
	put_u64(&enc, (uint64_t)rec->time_ms);
	put_u64(&enc, (uint64_t)rec->actor_id);
	put_u64(&enc, (uint64_t)rec->tenant_id);
	put_bytes(&enc, rec->prev_hash, MG_AUDIT_HASH_BYTES);
	put_text(&enc, rec->actor, MG_AUDIT_ACTOR_MAX);
	put_text(&enc, rec->roles, MG_AUDIT_ROLES_MAX);
	put_text(&enc, rec->address, MG_AUDIT_ADDRESS_MAX);
	put_text(&enc, rec->action, MG_AUDIT_ACTION_MAX);
	put_text(&enc, rec->object, MG_AUDIT_OBJECT_MAX);
	put_text(&enc, rec->outcome, MG_AUDIT_OUTCOME_MAX);
	put_text(&enc, rec->details, MG_AUDIT_DETAILS_MAX);
	if (enc.error == 0)
		mg_audit_mac(mk, enc.buf, enc.len, hash);
	return enc.error;
}

const char *mg_audit_outcome_name(enum mg_audit_outcome outcome)
{
	switch (outcome) {
	case MG_AUDIT_SUCCESS:
		return "success";
	case MG_AUDIT_FAILURE:
		return "failure";
	case MG_AUDIT_DENIED:
		return "denied";
	}
	return NULL;
}

/* Copy text (NULL: fallback) into out of max + 1 bytes: MG_ERR_LIMIT if
 * longer, MG_ERR_INVALID for control characters (records are printed on
 * terminals and in syslog lines). */
static int field_set(char *out, size_t max, const char *text, const char *fallback)
{
	size_t n;

	if (text == NULL)
		text = fallback;
	if ((n = strnlen(text, max + 1)) > max)
		return MG_ERR_LIMIT;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			return MG_ERR_INVALID;
	}
	memcpy(out, text, n);
	out[n] = '\0';
	return 0;
}

/* Actions are short stable codes a rule or report can match on. */
static bool action_valid(const char *action)
{
	if (action == NULL || action[0] == '\0')
		return false;
	for (const char *p = action; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '_' || *p == '-'))
			return false;
	}
	return true;
}

static int details_set(char *out, const char *details)
{
	size_t n;
	json_t *j;
	bool object;

	if (details == NULL || details[0] == '\0') {
		out[0] = '\0';
		return 0;
	}
	if ((n = strnlen(details, MG_AUDIT_DETAILS_MAX + 1)) > MG_AUDIT_DETAILS_MAX)
		return MG_ERR_LIMIT;
	j = json_loadb(details, n, JSON_REJECT_DUPLICATES, NULL);
	object = json_is_object(j);
	json_decref(j);
	if (!object)
		return MG_ERR_INVALID;
	memcpy(out, details, n);
	out[n] = '\0';
	return 0;
}

static int record_from_event(const struct mg_audit_event *e, struct mg_audit_record *rec)
{
	const char *outcome = mg_audit_outcome_name(e->outcome);
	int r;

	memset(rec, 0, sizeof(*rec));
	if (outcome == NULL || !action_valid(e->action))
		return MG_ERR_INVALID;
	rec->time_ms = e->time_ms != 0 ? e->time_ms : mg_now_ms();
	rec->actor_id = e->actor_id;
	rec->tenant_id = e->tenant_id;
	if ((r = field_set(rec->actor, MG_AUDIT_ACTOR_MAX, e->actor, "system")) != 0 ||
	    (r = field_set(rec->roles, MG_AUDIT_ROLES_MAX, e->roles, "")) != 0 ||
	    (r = field_set(rec->address, MG_AUDIT_ADDRESS_MAX, e->address, "")) != 0 ||
	    (r = field_set(rec->action, MG_AUDIT_ACTION_MAX, e->action, "")) != 0 ||
	    (r = field_set(rec->object, MG_AUDIT_OBJECT_MAX, e->object, "")) != 0 ||
	    (r = field_set(rec->outcome, MG_AUDIT_OUTCOME_MAX, outcome, "")) != 0 ||
	    (r = details_set(rec->details, e->details)) != 0)
		return r;
	return 0;
}

/* The store calls this inside its transaction, with seq and prev_hash set. */
static int record_hash_cb(void *arg, struct mg_audit_record *rec)
{
	return mg_audit_record_hash(arg, rec, rec->hash);
}

int mg_audit_append_record(struct mg_store *s, const struct mg_master_key *mk,
			   const struct mg_audit_event *e, struct mg_audit_record *out)
{
	/* The store's callback argument is a plain void *; the key is only
	 * read through it. */
	union {
		const struct mg_master_key *c;
		void *p;
	} key = { .c = mk };
	int r;

	if ((r = record_from_event(e, out)) != 0)
		return r;
	if ((r = mg_store_audit_append(s, out, record_hash_cb, key.p)) != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

int mg_audit_append(struct mg_store *s, const struct mg_master_key *mk,
		    const struct mg_audit_event *e)
{
	struct mg_audit_record rec;

	return mg_audit_append_record(s, mk, e, &rec);
}

int mg_audit_object(const char *type, int64_t id, char *buf, size_t buflen)
{
	int n = snprintf(buf, buflen, "%s:%lld", type, (long long)id);

	return n < 0 || (size_t)n >= buflen ? MG_ERR_LIMIT : 0;
}

int mg_audit_roles_text(unsigned roles, char *buf, size_t buflen)
{
	size_t len = 0;

	if (buflen == 0)
		return MG_ERR_LIMIT;
	buf[0] = '\0';
	for (unsigned i = 0; i < MG_ROLE_COUNT; i++) {
		unsigned role = mg_role_at(i);
		int n;

		if ((roles & role) == 0)
			continue;
		n = snprintf(buf + len, buflen - len, "%s%s", len > 0 ? "," : "",
			     mg_role_name(role));
		if (n < 0 || (size_t)n >= buflen - len)
			return MG_ERR_LIMIT;
		len += (size_t)n;
	}
	return 0;
}

void mg_audit_device(struct mg_store *s, const struct mg_master_key *mk,
		     const struct mg_audit_device_event *de)
{
	char actor[32] = "anonymous", object[64] = "", details[160] = "";
	struct mg_audit_event e;
	int r;

	memset(&e, 0, sizeof(e));
	if (de->device_id != 0)
		snprintf(actor, sizeof(actor), "device:%lld", (long long)de->device_id);
	if (de->object_type != NULL)
		mg_audit_object(de->object_type, de->object_id, object, sizeof(object));
	if (de->reason != NULL) {
		json_t *d = json_pack("{s:s}", "reason", de->reason);
		char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;

		if (text != NULL)
			snprintf(details, sizeof(details), "%s", text);
		free(text);
		json_decref(d);
	}
	e.actor_id = de->device_id;
	e.actor = actor;
	e.roles = "device";
	e.address = de->address;
	e.action = de->action;
	e.object = object;
	e.tenant_id = de->tenant_id;
	e.outcome = de->outcome;
	e.details = details[0] ? details : NULL;
	if ((r = mg_audit_append(s, mk, &e)) != 0)
		mg_log_error("audit: cannot record %s: %s", de->action, mg_strerror(r));
}
