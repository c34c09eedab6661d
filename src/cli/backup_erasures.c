/* A restore erases again every patient (and tenant) erased after the
 * backup was taken, from the signed erasure log beside the backups
 * (backup/erasures.h, docs/patient-rights.md), so that an erased patient
 * never comes back. Runs on the unpacked copy before it is put in place;
 * a log whose signatures or chain do not hold refuses the restore. */
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backup/erasures.h"
#include "cli/backup_cli.h"
#include "common/err.h"

void cli_backup_erasure_log_default(const char *file, char *out, size_t outlen)
{
	char copy[MG_PATH_MAX];

	snprintf(copy, sizeof(copy), "%s", file);
	snprintf(out, outlen, "%s/%s", dirname(copy), MG_ERASURE_LOG_NAME);
}

struct apply {
	struct cli *cli;
	struct mg_store *store;
	const struct mg_master_key *mk;
	int64_t after_ms;
	size_t later, applied;
	char *err;
	size_t errlen;
};

static bool whole_tenant(const struct mg_erasure *e)
{
	static const unsigned char zeros[MG_BLIND_INDEX_BYTES];

	return memcmp(e->patient, zeros, sizeof(zeros)) == 0;
}

/* Record the erasure on the copy's trail, then make it. */
static int apply_one(const struct mg_erasure *e, void *arg)
{
	struct apply *a = arg;
	char details[96], object[MG_AUDIT_OBJECT_MAX + 1], buf[MG_AUDIT_DETAILS_MAX + 1];
	struct mg_audit_event ev;
	struct mg_erase_counts n;
	int64_t id = e->tenant_id;
	bool tenant = whole_tenant(e);
	int r;

	if (e->time_ms < a->after_ms)
		return 0;
	a->later++;
	if (!tenant) {
		r = mg_store_patient_find(a->store, e->tenant_id, e->patient, &id);
		if (r == MG_ERR_NOT_FOUND)
			return 0;	/* not in this backup (or its tenant is gone) */
	} else {
		struct mg_tenant t;

		r = mg_store_tenant_by_id(a->store, e->tenant_id, &t);
		if (r == MG_ERR_NOT_FOUND)
			return 0;
	}
	snprintf(details, sizeof(details), "{\"erasure_log_seq\":%lld}", (long long)e->seq);
	if (r == 0)
		r = mg_audit_object(tenant ? "tenant" : "patient", id, object, sizeof(object));
	if (r == 0 && (r = cli_event(a->cli, &ev, tenant ? "tenant.erase" : "patient.erase", object,
				     details, buf, sizeof(buf))) == 0) {
		ev.tenant_id = e->tenant_id;
		r = mg_audit_append(a->store, a->mk, &ev);
	}
	if (r == 0)
		r = tenant ? mg_store_tenant_erase(a->store, e->tenant_id, &n)
			   : mg_store_patient_erase(a->store, e->tenant_id, id, &n);
	if (r != 0) {
		snprintf(a->err, a->errlen, "erasure log entry %lld: cannot erase again: %s",
			 (long long)e->seq, mg_strerror(r));
		return r;
	}
	a->applied++;
	return 0;
}

int cli_backup_erasures_apply(struct cli *cli, struct mg_store *store,
			      const struct mg_master_key *mk, const struct mg_backup_manifest *m,
			      const char *log, char *err, size_t errlen)
{
	/* A minute's margin: an erasure made while the snapshot was taken
	 * may or may not be in it; erasing again what is gone does nothing. */
	struct apply a = { .cli = cli, .store = store, .mk = mk,
			   .after_ms = m->created_ms - 60000, .err = err, .errlen = errlen };
	char why[512];
	int r;

	r = mg_erasure_log_walk(log, m->signing_key, apply_one, &a, why, sizeof(why));
	if (r == MG_ERR_NOT_FOUND && access(log, F_OK) != 0) {
		printf("erasures:   no erasure log at %s: none applied (give --erasures FILE if"
		       " patients were erased after this backup)\n", log);
		return 0;
	}
	if (r != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "erasure log %s: %s", log, why);
		return r;
	}
	printf("erasures:   %zu erased again of %zu logged after the backup (%s)\n", a.applied,
	       a.later, log);
	return 0;
}

int cli_backup_erasures_check(const struct mg_backup_manifest *m, const char *file,
			      const char *erasures, char *err, size_t errlen)
{
	char log[MG_PATH_MAX], why[512];
	int r;

	if (erasures != NULL)
		snprintf(log, sizeof(log), "%s", erasures);
	else
		cli_backup_erasure_log_default(file, log, sizeof(log));
	r = mg_erasure_log_walk(log, m->signing_key, NULL, NULL, why, sizeof(why));
	if (r == MG_ERR_NOT_FOUND && access(log, F_OK) != 0)
		return 0;
	if (r != 0)
		snprintf(err, errlen, "erasure log %s: %s", log, why);
	return r;
}
