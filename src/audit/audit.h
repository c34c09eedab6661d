/* The audit trail: every security-relevant event, recorded before the
 * action's answer is sent, in a chain of keyed hashes that `medgatectl
 * audit verify` checks, with signed checkpoints that catch even a rewrite
 * made with the key. How it works: docs/internals/audit.md. */
#ifndef MG_AUDIT_AUDIT_H
#define MG_AUDIT_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/audit_record.h"
#include "crypto/keys.h"
#include "store/store.h"

enum mg_audit_outcome { MG_AUDIT_SUCCESS, MG_AUDIT_FAILURE, MG_AUDIT_DENIED };

/* What a handler records. Text fields may be NULL (then ""; actor then
 * "system"). Never put a patient identifier in any of them: a patient is
 * object "patient:<row id>" with its tenant_id (mg_audit_object). */
struct mg_audit_event {
	int64_t time_ms;	/* 0: now */
	int64_t actor_id;	/* user or device id; 0 for the system */
	const char *actor;	/* "alice", "device:7", "system" */
	const char *roles;	/* "admin,clinician" (mg_audit_roles_text) */
	const char *address;	/* the peer's address, "local" for the CLI */
	const char *action;	/* required: "login.failure", "patient.read", ... */
	const char *object;	/* "user:7", "device:3", "patient:42", "config" */
	int64_t tenant_id;	/* the object's tenant, 0 if none */
	enum mg_audit_outcome outcome;
	const char *details;	/* a JSON object, at most MG_AUDIT_DETAILS_MAX */
};

/* "success", "failure" or "denied". */
const char *mg_audit_outcome_name(enum mg_audit_outcome outcome);

/* Append e at the head of the trail, chained to the record before it
 * (one write transaction: safe from any thread or gateway). Returns 0 once
 * the record is durable, MG_ERR_INVALID or MG_ERR_LIMIT for a field that
 * breaks its rule or bound (an action other than [a-z0-9._-], details that
 * are not a JSON object), or the store's error. */
int mg_audit_append(struct mg_store *s, const struct mg_master_key *mk,
		    const struct mg_audit_event *e);

/* mg_audit_append that also gives the stored record (seq and hash). */
int mg_audit_append_record(struct mg_store *s, const struct mg_master_key *mk,
			   const struct mg_audit_event *e, struct mg_audit_record *out);

/* What a device did or was refused: actor "device:<id>" (or "anonymous"
 * for device_id 0), role "device", details {"reason": reason} if given. */
struct mg_audit_device_event {
	int64_t device_id;	/* the authenticated device, 0 if none */
	const char *address;
	const char *action;	/* "device.refused", "device.enrol" */
	const char *object_type;	/* "device" or NULL */
	int64_t object_id;
	int64_t tenant_id;
	enum mg_audit_outcome outcome;
	const char *reason;	/* may be NULL */
};

/* Record e (errors are logged; the caller goes on either way). */
void mg_audit_device(struct mg_store *s, const struct mg_master_key *mk,
		     const struct mg_audit_device_event *e);

/* The object text "type:id" into buf. Returns 0 or MG_ERR_LIMIT. */
int mg_audit_object(const char *type, int64_t id, char *buf, size_t buflen);

/* roles (enum mg_role bits) as "admin,clinician" into buf ("" for none).
 * Returns 0 or MG_ERR_LIMIT. */
int mg_audit_roles_text(unsigned roles, char *buf, size_t buflen);

/* The keyed hash of rec over a canonical encoding of seq, prev_hash and
 * every field (length-prefixed, so no two records encode alike) into
 * hash. Returns 0 or MG_ERR_LIMIT for a field past its bound. */
int mg_audit_record_hash(const struct mg_master_key *mk, const struct mg_audit_record *rec,
			 unsigned char hash[MG_AUDIT_HASH_BYTES]);

/* A signed checkpoint: the head of the chain at a time, signed with the
 * instance's Ed25519 checkpoint key (derived from the master key). */
struct mg_audit_checkpoint {
	int64_t seq;
	int64_t time_ms;
	unsigned char hash[MG_AUDIT_HASH_BYTES];
	unsigned char public_key[MG_AUDIT_PUBLIC_KEY_BYTES];
	unsigned char signature[MG_AUDIT_SIGNATURE_BYTES];
};

#define MG_AUDIT_CHECKPOINT_TEXT_MAX 512

/* Append an "audit.checkpoint" record (actor as in e; action, object and
 * outcome are set here) and sign the head it makes into *out. Returns 0 or
 * the error of the append. */
int mg_audit_checkpoint_make(struct mg_store *s, const struct mg_master_key *mk,
			     const struct mg_audit_event *e, struct mg_audit_checkpoint *out);

/* The checkpoint as one line of JSON (no newline) into buf of at least
 * MG_AUDIT_CHECKPOINT_TEXT_MAX bytes. Returns 0 or MG_ERR_LIMIT. */
int mg_audit_checkpoint_format(const struct mg_audit_checkpoint *cp, char *buf,
			       size_t buflen);

/* Parse what mg_audit_checkpoint_format made and check its signature with
 * public_key (the auditor's copy; NULL: the key the text names). Returns
 * 0, MG_ERR_INVALID for text that is not a checkpoint, or MG_ERR_CRYPTO
 * for a signature that does not verify. */
int mg_audit_checkpoint_parse(const char *text, size_t len,
			      const unsigned char *public_key, struct mg_audit_checkpoint *out);

/* What verify found wrong first. */
enum mg_audit_fault {
	MG_AUDIT_INTACT,		/* the chain holds */
	MG_AUDIT_CHANGED,		/* content does not match its hash */
	MG_AUDIT_MISSING,		/* a seq is missing: deleted */
	MG_AUDIT_OUT_OF_ORDER,		/* a seq repeats or comes early: inserted, moved */
	MG_AUDIT_BROKEN_LINK,		/* prev_hash is not the previous record's hash */
	MG_AUDIT_CHECKPOINT_MISMATCH,	/* the checkpoint's record has another hash */
	MG_AUDIT_TRUNCATED,		/* the trail ends before the checkpoint's record */
};

/* A short name of fault: "intact", "changed", "missing", ... */
const char *mg_audit_fault_name(enum mg_audit_fault fault);

struct mg_audit_verdict {
	int64_t records;		/* records read */
	int64_t head_seq;		/* seq of the last record read */
	enum mg_audit_fault fault;	/* of the first bad record */
	/* The seq of the first bad record in seq order (a missing one's for
	 * MG_AUDIT_MISSING and MG_AUDIT_TRUNCATED; may be <= 0 for a record
	 * renumbered below 1); 0 if intact. */
	int64_t first_bad;
	char reason[160];		/* for people; no record content */
};

/* Walk the whole trail in seq order and recompute every hash and link;
 * with cp (NULL: none; its signature checked by the caller), also check
 * that the trail still holds the checkpoint's record with its hash.
 * Returns 0 when the walk ran (out says whether the chain holds) or the
 * store's error. Memory does not grow with the trail's length. */
int mg_audit_verify(struct mg_store *s, const struct mg_master_key *mk,
		    const struct mg_audit_checkpoint *cp, struct mg_audit_verdict *out);

/* A record as one line of JSON (the export format, docs/audit.md), no
 * newline, into buf. Returns 0 or MG_ERR_LIMIT. */
#define MG_AUDIT_JSON_MAX 4096
int mg_audit_record_json(const struct mg_audit_record *rec, char *buf, size_t buflen);

#endif
