/* Verifying the audit trail: one walk in seq order that recomputes every
 * record's keyed hash and checks every link, stopping at the first record
 * that is wrong, and, given a checkpoint, checks that the trail still
 * holds the checkpoint's record with the checkpoint's hash. */
#include "audit/audit.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

/* A callback result that stops the walk without being an error. */
#define WALK_STOP 1

struct walk {
	const struct mg_master_key *mk;
	const struct mg_audit_checkpoint *cp;
	struct mg_audit_verdict *v;
	int64_t expected;			/* seq the next record must have */
	unsigned char prev[MG_AUDIT_HASH_BYTES];	/* hash of the record before */
	bool cp_seen;
};

const char *mg_audit_fault_name(enum mg_audit_fault fault)
{
	switch (fault) {
	case MG_AUDIT_INTACT:
		return "intact";
	case MG_AUDIT_CHANGED:
		return "changed";
	case MG_AUDIT_MISSING:
		return "missing";
	case MG_AUDIT_OUT_OF_ORDER:
		return "out-of-order";
	case MG_AUDIT_BROKEN_LINK:
		return "broken-link";
	case MG_AUDIT_CHECKPOINT_MISMATCH:
		return "checkpoint-mismatch";
	case MG_AUDIT_TRUNCATED:
		return "truncated";
	}
	return "unknown";
}

__attribute__((format(printf, 4, 5)))
static int fault(struct walk *w, enum mg_audit_fault kind, int64_t seq, const char *fmt, ...)
{
	va_list ap;

	w->v->fault = kind;
	w->v->first_bad = seq;
	va_start(ap, fmt);
	vsnprintf(w->v->reason, sizeof(w->v->reason), fmt, ap);
	va_end(ap);
	return WALK_STOP;
}

/* A seq other than the expected one: a gap means records were deleted; a
 * seq that comes again or too early means one was inserted or moved. */
static int seq_fault(struct walk *w, const struct mg_audit_record *rec)
{
	if (rec->seq > w->expected)
		return fault(w, MG_AUDIT_MISSING, w->expected,
			     "record %lld is missing (deleted); the next one is %lld",
			     (long long)w->expected, (long long)rec->seq);
	/* Numbers below 1 sort first: the record itself is the first bad one. */
	if (rec->seq < 1)
		return fault(w, MG_AUDIT_OUT_OF_ORDER, rec->seq,
			     "a record numbered %lld stands before record %lld (inserted or moved)",
			     (long long)rec->seq, (long long)w->expected);
	return fault(w, MG_AUDIT_OUT_OF_ORDER, rec->seq,
		     "record %lld appears again after record %lld (inserted or reordered)",
		     (long long)rec->seq, (long long)w->expected - 1);
}

static int walk_record(const struct mg_audit_record *rec, void *arg)
{
	struct walk *w = arg;
	unsigned char hash[MG_AUDIT_HASH_BYTES];

	w->v->records++;
	w->v->head_seq = rec->seq;
	if (rec->seq != w->expected)
		return seq_fault(w, rec);
	if (rec->malformed || mg_audit_record_hash(w->mk, rec, hash) != 0 ||
	    sodium_memcmp(hash, rec->hash, MG_AUDIT_HASH_BYTES) != 0)
		return fault(w, MG_AUDIT_CHANGED, rec->seq,
			     "record %lld does not match its hash (changed)", (long long)rec->seq);
	if (sodium_memcmp(rec->prev_hash, w->prev, MG_AUDIT_HASH_BYTES) != 0)
		return fault(w, MG_AUDIT_BROKEN_LINK, rec->seq,
			     "record %lld does not link to record %lld (replaced with the key?)",
			     (long long)rec->seq, (long long)rec->seq - 1);
	if (w->cp != NULL && rec->seq == w->cp->seq) {
		w->cp_seen = true;
		if (sodium_memcmp(rec->hash, w->cp->hash, MG_AUDIT_HASH_BYTES) != 0)
			return fault(w, MG_AUDIT_CHECKPOINT_MISMATCH, rec->seq,
				     "record %lld is not the one the checkpoint signed: the"
				     " trail was rewritten at or before it", (long long)rec->seq);
	}
	memcpy(w->prev, rec->hash, MG_AUDIT_HASH_BYTES);
	w->expected++;
	return 0;
}

int mg_audit_verify(struct mg_store *s, const struct mg_master_key *mk,
		    const struct mg_audit_checkpoint *cp, struct mg_audit_verdict *out)
{
	struct walk w = { .mk = mk, .cp = cp, .v = out, .expected = 1 };
	int r;

	memset(out, 0, sizeof(*out));
	memset(w.prev, 0, sizeof(w.prev));	/* the first record links to zeros */
	r = mg_store_audit_list(s, NULL, walk_record, &w);
	if (r == WALK_STOP)
		return 0;
	if (r != 0) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	if (cp != NULL && !w.cp_seen)
		fault(&w, MG_AUDIT_TRUNCATED, w.expected,
		      "the trail ends at record %lld, before the checkpoint's record %lld"
		      " (records deleted from the end)",
		      (long long)w.expected - 1, (long long)cp->seq);
	else
		snprintf(out->reason, sizeof(out->reason), "%lld records, chain intact",
			 (long long)out->records);
	return 0;
}
