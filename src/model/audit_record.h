/* One record of the audit trail as the store keeps it. Shared by the audit
 * module (src/audit/audit.h) and the store back ends, which copy records
 * in and out without knowing how their hashes are made. */
#ifndef MG_MODEL_AUDIT_RECORD_H
#define MG_MODEL_AUDIT_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#define MG_AUDIT_HASH_BYTES	32
#define MG_AUDIT_ACTOR_MAX	160	/* user name, "device:<id>", "system" */
#define MG_AUDIT_ROLES_MAX	128	/* "admin,clinician" */
#define MG_AUDIT_ADDRESS_MAX	64	/* IPv6 text with zone, or "local" */
#define MG_AUDIT_ACTION_MAX	48	/* "login.failure" */
#define MG_AUDIT_OBJECT_MAX	160	/* "patient:42", "user:7", "config" */
#define MG_AUDIT_OUTCOME_MAX	16	/* "success", "failure", "denied" */
#define MG_AUDIT_DETAILS_MAX	1024	/* a JSON object, no patient data */

struct mg_audit_record {
	int64_t seq;		/* 1, 2, ... without gaps */
	int64_t time_ms;	/* Unix ms */
	int64_t actor_id;	/* user or device id, 0 for the system */
	int64_t tenant_id;	/* the tenant the object belongs to, 0 if none */
	char actor[MG_AUDIT_ACTOR_MAX + 1];
	char roles[MG_AUDIT_ROLES_MAX + 1];
	char address[MG_AUDIT_ADDRESS_MAX + 1];
	char action[MG_AUDIT_ACTION_MAX + 1];
	char object[MG_AUDIT_OBJECT_MAX + 1];
	char outcome[MG_AUDIT_OUTCOME_MAX + 1];
	char details[MG_AUDIT_DETAILS_MAX + 1];
	unsigned char prev_hash[MG_AUDIT_HASH_BYTES];	/* the previous record's hash */
	unsigned char hash[MG_AUDIT_HASH_BYTES];	/* keyed hash over all the above */
	/* Set by a store reading a row whose columns do not fit the bounds or
	 * types above (altered behind medgate's back); verify counts the
	 * record as changed. */
	bool malformed;
};

/* Which records a store's audit_list walks (all in seq order); zero
 * fields do not filter. */
struct mg_audit_filter {
	int64_t after_seq;	/* only seq > after_seq (0: every seq, also < 1) */
	int64_t since_ms;	/* only time_ms >= since_ms */
	int64_t until_ms;	/* only time_ms < until_ms */
	int64_t tenant_id;	/* only this tenant */
	const char *object;	/* only this exact object; NULL for any */
};

/* Called by the store's audit_append inside its write transaction, after
 * it has set rec->seq and rec->prev_hash from the chain's head: fills
 * rec->hash. Must not call back into the store. Returns 0 or < 0 (the
 * append is then rolled back and fails with it). */
typedef int (*mg_audit_hash_fn)(void *arg, struct mg_audit_record *rec);

/* Called for each record of a walk; non-zero stops it and is returned. */
typedef int (*mg_audit_record_cb)(const struct mg_audit_record *rec, void *arg);

#endif
