/* Signed checkpoints of the audit trail, and records as JSON lines.
 *
 * A checkpoint is the head of the chain (seq, hash) at a time, signed with
 * an Ed25519 key derived from the master key. The chain's hashes are keyed
 * too, but whoever holds the master key could rewrite the whole trail and
 * chain it anew; a checkpoint kept off the machine (printed, mailed, sent
 * to syslog) and checked with a public key kept off the machine catches
 * that: the rewritten trail no longer has the signed hash at that seq. */
#include "audit/audit.h"

#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"
#include "common/timefmt.h"

static const char signed_tag[] = "medgate audit checkpoint v1";
#define SIGNED_LEN (sizeof(signed_tag) - 1 + 8 + 8 + MG_AUDIT_HASH_BYTES)

static void be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

/* What the signature covers: tag, seq, time, hash. */
static void signed_message(const struct mg_audit_checkpoint *cp, unsigned char msg[SIGNED_LEN])
{
	size_t n = sizeof(signed_tag) - 1;

	memcpy(msg, signed_tag, n);
	be64(msg + n, (uint64_t)cp->seq);
	be64(msg + n + 8, (uint64_t)cp->time_ms);
	memcpy(msg + n + 16, cp->hash, MG_AUDIT_HASH_BYTES);
}

int mg_audit_checkpoint_make(struct mg_store *s, const struct mg_master_key *mk,
			     const struct mg_audit_event *e, struct mg_audit_checkpoint *out)
{
	struct mg_audit_event ev = *e;
	struct mg_audit_record rec;
	unsigned char msg[SIGNED_LEN];
	int r;

	memset(out, 0, sizeof(*out));
	ev.action = "audit.checkpoint";
	ev.object = "audit";
	ev.tenant_id = 0;
	ev.outcome = MG_AUDIT_SUCCESS;
	if ((r = mg_audit_append_record(s, mk, &ev, &rec)) != 0)
		return r;
	out->seq = rec.seq;
	out->time_ms = rec.time_ms;
	memcpy(out->hash, rec.hash, MG_AUDIT_HASH_BYTES);
	mg_audit_public_key(mk, out->public_key);
	signed_message(out, msg);
	mg_audit_sign(mk, msg, sizeof(msg), out->signature);
	return 0;
}

/* bin as lowercase hex in buf, for json_pack; NULL (which json_pack
 * refuses) if buf is too small. */
static const char *hex(char *buf, size_t buflen, const unsigned char *bin, size_t len)
{
	return mg_hex_encode(bin, len, MG_HEX_LOWER, buf, buflen) == 0 ? buf : NULL;
}

/* Dump j compactly into buf and free it. */
static int json_dump_into(json_t *j, char *buf, size_t buflen)
{
	size_t n;

	if (j == NULL)
		return MG_ERR_NOMEM;
	n = json_dumpb(j, buf, buflen, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (n == 0 || n >= buflen)
		return MG_ERR_LIMIT;
	buf[n] = '\0';
	return 0;
}

int mg_audit_checkpoint_format(const struct mg_audit_checkpoint *cp, char *buf, size_t buflen)
{
	char time[MG_TIME_TEXT_LEN], h[2 * MG_AUDIT_HASH_BYTES + 1];
	char pk[2 * MG_AUDIT_PUBLIC_KEY_BYTES + 1], sig[2 * MG_AUDIT_SIGNATURE_BYTES + 1];

	if (buflen > 0)
		buf[0] = '\0';
	if (mg_time_format(cp->time_ms, time, sizeof(time)) != 0)
		return MG_ERR_INVALID;
	return json_dump_into(
		json_pack("{s:i, s:I, s:s, s:I, s:s, s:s, s:s}", "medgate_audit_checkpoint", 1,
			  "seq", (json_int_t)cp->seq, "time", time, "time_ms",
			  (json_int_t)cp->time_ms,
			  "hash", hex(h, sizeof(h), cp->hash, sizeof(cp->hash)), "public_key",
			  hex(pk, sizeof(pk), cp->public_key, sizeof(cp->public_key)), "signature",
			  hex(sig, sizeof(sig), cp->signature, sizeof(cp->signature))),
		buf, buflen);
}

/* Exactly len bytes of hex text into bin. */
static bool unhex(const char *text, unsigned char *bin, size_t len)
{
	size_t got = 0;

	return text != NULL && mg_hex_decode(text, strlen(text), bin, len, &got) == 0 &&
	       got == len;
}

int mg_audit_checkpoint_parse(const char *text, size_t len, const unsigned char *public_key,
			      struct mg_audit_checkpoint *out)
{
	const char *h = NULL, *pk = NULL, *sig = NULL, *time = NULL;
	json_int_t version = 0, seq = 0, time_ms = 0;
	unsigned char msg[SIGNED_LEN];
	json_t *j;
	int r = MG_ERR_INVALID;

	memset(out, 0, sizeof(*out));
	if (len > MG_AUDIT_CHECKPOINT_TEXT_MAX)
		return MG_ERR_INVALID;
	if ((j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return MG_ERR_INVALID;
	if (json_unpack(j, "{s:I, s:I, s:s, s:I, s:s, s:s, s:s !}", "medgate_audit_checkpoint",
			&version, "seq", &seq, "time", &time, "time_ms", &time_ms, "hash", &h,
			"public_key", &pk, "signature", &sig) != 0 ||
	    version != 1 || seq < 1 || time_ms < 0)
		goto out;
	out->seq = seq;
	out->time_ms = time_ms;
	if (!unhex(h, out->hash, sizeof(out->hash)) ||
	    !unhex(pk, out->public_key, sizeof(out->public_key)) ||
	    !unhex(sig, out->signature, sizeof(out->signature)))
		goto out;
	if (public_key != NULL &&
	    sodium_memcmp(public_key, out->public_key, MG_AUDIT_PUBLIC_KEY_BYTES) != 0) {
		r = MG_ERR_CRYPTO;	/* signed by another key than the auditor's */
		goto out;
	}
	signed_message(out, msg);
	r = crypto_sign_verify_detached(out->signature, msg, sizeof(msg), out->public_key) == 0
		    ? 0
		    : MG_ERR_CRYPTO;
out:
	json_decref(j);
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

/* details is stored as JSON object text; it is embedded as an object, or
 * (if altered into something else) as a string, so the line stays JSON. */
static json_t *details_json(const char *details)
{
	json_t *d;

	if (details[0] == '\0')
		return json_object();
	d = json_loads(details, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(d))
		return d;
	json_decref(d);
	return json_string(details);
}

int mg_audit_record_json(const struct mg_audit_record *rec, char *buf, size_t buflen)
{
	char time[MG_TIME_TEXT_LEN], prev[2 * MG_AUDIT_HASH_BYTES + 1];
	char h[2 * MG_AUDIT_HASH_BYTES + 1];

	if (buflen > 0)
		buf[0] = '\0';
	if (mg_time_format(rec->time_ms, time, sizeof(time)) != 0)
		time[0] = '\0';
	/* json_pack's "s" refuses invalid UTF-8 (NULL result: MG_ERR_NOMEM
	 * here); records are made from the daemon's own validated input. */
	return json_dump_into(
		json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:o, s:s, s:s}",
			  "seq", (json_int_t)rec->seq, "time", time, "actor_id",
			  (json_int_t)rec->actor_id, "actor", rec->actor, "roles", rec->roles,
			  "address", rec->address, "action", rec->action, "object", rec->object,
			  "tenant_id", (json_int_t)rec->tenant_id, "outcome", rec->outcome,
			  "details", details_json(rec->details), "prev_hash",
			  hex(prev, sizeof(prev), rec->prev_hash, sizeof(rec->prev_hash)), "hash",
			  hex(h, sizeof(h), rec->hash, sizeof(rec->hash))),
		buf, buflen);
}
