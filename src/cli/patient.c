/* medgatectl patient export|erase and tenant export|erase: a patient's rights of
 * access and erasure (GDPR Art. 15 and 17) and the end of a tenant.
 * docs/patient-rights.md is the user's page. The patient identifier is
 * typed by the operator and never written to the audit trail, the log or
 * a file name: the trail names the patient by its row id, the erasure log
 * by its blind index under the tenant key. */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backup/erasures.h"
#include "cli/cli.h"
#include "common/err.h"
#include "common/file.h"
#include "common/timefmt.h"
#include "ingest/patients.h"
#include "outbox/patient_export.h"

static int patient_usage(void)
{
	fprintf(stderr, "usage: medgatectl patient export --tenant NAME --patient ID [--out FILE]\n"
			"       medgatectl patient erase --tenant NAME --patient ID --yes\n");
	return 2;
}

static int tenant_usage(void)
{
	fprintf(stderr, "usage: medgatectl tenant export --tenant NAME --out DIR\n"
			"       medgatectl tenant erase --tenant NAME --yes [--export-to DIR]\n");
	return 2;
}

/* Take a "--yes" out of argv (it is a flag, the others take values). */
static bool take_yes(int *argc, char **argv)
{
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--yes") == 0) {
			memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i - 1) * sizeof(*argv));
			--*argc;
			return true;
		}
	}
	return false;
}

/* The tenant by name and its key; prints why not. */
static int tenant_open(struct cli *cli, const char *name, struct mg_tenant *t,
		       struct mg_tenant_key **tk)
{
	int r;

	if ((r = mg_store_tenant_by_name(cli->store, name, t)) != 0 ||
	    (r = mg_tenant_key_open(cli->master, t->wrapped_key, sizeof(t->wrapped_key), tk)) != 0) {
		fprintf(stderr, "medgatectl: tenant %s: %s\n", name,
			r == MG_ERR_NOT_FOUND ? "no such tenant" : mg_strerror(r));
		return r;
	}
	return 0;
}

/* The patient of pid in the tenant: its blind index and row id. */
static int patient_open(struct cli *cli, const char *tenant, const char *pid,
			struct mg_tenant *t, unsigned char blind[MG_BLIND_INDEX_BYTES],
			int64_t *id)
{
	struct mg_tenant_key *tk = NULL;
	int r;

	if ((r = tenant_open(cli, tenant, t, &tk)) != 0)
		return r;
	mg_patient_blind_index(tk, pid, strlen(pid), blind);
	mg_tenant_key_free(tk);
	if ((r = mg_store_patient_find(cli->store, t->id, blind, id)) != 0)
		fprintf(stderr, "medgatectl: %s\n", r == MG_ERR_NOT_FOUND
			? "no data of this patient in the tenant (unknown or erased)"
			: mg_strerror(r));
	return r;
}

/* Record the export, build it and write it to out (NULL: standard
 * output). */
static int export_one(struct cli *cli, const struct mg_tenant *t, int64_t id, const char *pid,
		      const char *out)
{
	struct mg_patient_export_source src = {
		.store = cli->store, .cfg = &cli->cfg, .tenant_id = t->id, .patient_id = id,
		.pid = pid,
	};
	char *json = NULL;
	size_t len = 0;
	int r;

	if (cli_record(cli, "patient.export", "patient", id, t->id, MG_AUDIT_SUCCESS, NULL) != 0)
		return MG_ERR_DENIED;
	if ((r = mg_patient_export_build(&src, &json, &len)) != 0) {
		fprintf(stderr, "medgatectl: cannot build the export: %s\n", mg_strerror(r));
	} else if (out != NULL) {
		if ((r = mg_file_create(out, json, len, 0600)) != 0)
			fprintf(stderr, "medgatectl: %s: %s\n", out,
				r == MG_ERR_EXISTS ? "exists; give a new file" : strerror(errno));
	} else if (fwrite(json, 1, len, stdout) != len || putchar('\n') == EOF ||
		   fflush(stdout) != 0) {
		fprintf(stderr, "medgatectl: cannot write the export\n");
		r = MG_ERR_IO;
	}
	mg_fhir_free(json, len);
	if (r != 0)
		cli_record(cli, "patient.export", "patient", id, t->id, MG_AUDIT_FAILURE, NULL);
	return r;
}

static int patient_export(struct cli *cli, const char *tenant, const char *pid, const char *out)
{
	unsigned char blind[MG_BLIND_INDEX_BYTES];
	struct mg_tenant t;
	int64_t id = 0;

	if (cli_open(cli, true) != 0 || patient_open(cli, tenant, pid, &t, blind, &id) != 0)
		return 1;
	if (export_one(cli, &t, id, pid, out) != 0)
		return 1;
	if (out != NULL)
		fprintf(stderr, "exported the data of the patient (row %lld) to %s\n",
			(long long)id, out);
	return 0;
}

/* Log the erasure beside the backups, then erase: a failure after the
 * log entry leaves an entry a restore applies again, which is safe. */
static int erase_logged(struct cli *cli, int64_t tenant_id,
			const unsigned char blind[MG_BLIND_INDEX_BYTES], int64_t *seq,
			char *path, size_t pathlen)
{
	struct mg_erasure e = { .time_ms = mg_now_ms(), .tenant_id = tenant_id };
	char err[512];
	int r;

	memcpy(e.patient, blind, sizeof(e.patient));
	if ((r = mg_erasure_log_path(&cli->cfg, path, pathlen, err, sizeof(err))) != 0 ||
	    (r = mg_erasure_log_append(path, cli->master, &e, err, sizeof(err))) != 0) {
		fprintf(stderr, "medgatectl: erasure log: %s; nothing erased\n", err);
		return r;
	}
	*seq = e.seq;
	return 0;
}

static int patient_erase(struct cli *cli, const char *tenant, const char *pid)
{
	unsigned char blind[MG_BLIND_INDEX_BYTES];
	char path[MG_PATH_MAX] = "", details[64];
	struct mg_erase_counts n;
	struct mg_tenant t;
	int64_t id = 0, seq = 0;
	int r;

	if (cli_open(cli, true) != 0 || patient_open(cli, tenant, pid, &t, blind, &id) != 0)
		return 1;
	if (cli_record(cli, "patient.erase", "patient", id, t.id, MG_AUDIT_SUCCESS, NULL) != 0)
		return 1;
	if ((r = erase_logged(cli, t.id, blind, &seq, path, sizeof(path))) == 0 &&
	    (r = mg_store_patient_erase(cli->store, t.id, id, &n)) != 0)
		fprintf(stderr, "medgatectl: cannot erase: %s\n", mg_strerror(r));
	sodium_memzero(blind, sizeof(blind));
	if (r != 0) {
		snprintf(details, sizeof(details), "{\"error\":\"%s\"}", mg_strerror(r));
		cli_record(cli, "patient.erase", "patient", id, t.id, MG_AUDIT_FAILURE, details);
		return 1;
	}
	printf("erased the patient (row %lld) of tenant %s: %lld measurements, %lld outbox"
	       " entries, %lld patient rows\nerasure log entry %lld in %s: a restore of an older"
	       " backup erases the patient again\n",
	       (long long)id, tenant, (long long)n.measurements, (long long)n.deliveries,
	       (long long)n.patients, (long long)seq, path);
	return 0;
}

int cli_patient(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = { "--tenant", "--patient", "--out", NULL };
	bool bad = false, yes;
	const char *tenant, *pid, *out;
	size_t len;

	if (argc < 2)
		return patient_usage();
	yes = take_yes(&argc, argv);
	tenant = cli_option(argc - 1, argv + 1, "--tenant", &bad);
	pid = cli_option(argc - 1, argv + 1, "--patient", &bad);
	out = cli_option(argc - 1, argv + 1, "--out", &bad);
	if (bad || tenant == NULL || pid == NULL || !cli_options_known(argc - 1, argv + 1, names))
		return patient_usage();
	len = strnlen(pid, MG_PATIENT_ID_MAX + 1);
	if (len == 0 || len > MG_PATIENT_ID_MAX) {
		fprintf(stderr, "medgatectl: a patient id has 1 to %d characters\n", MG_PATIENT_ID_MAX);
		return 2;
	}
	if (strcmp(argv[1], "export") == 0 && !yes)
		return patient_export(cli, tenant, pid, out);
	if (strcmp(argv[1], "erase") == 0 && out == NULL) {
		if (!yes) {
			fprintf(stderr, "medgatectl: patient erase destroys the patient's data for"
					" good (also in older backups, once restored): add --yes\n");
			return 2;
		}
		return patient_erase(cli, tenant, pid);
	}
	return patient_usage();
}

struct tenant_export {
	struct cli *cli;
	const struct mg_tenant *t;
	const char *dir;
	int64_t last;
	size_t count;
};

static int export_row(const struct mg_patient_row *row, void *arg)
{
	struct tenant_export *x = arg;
	char pid[MG_PATIENT_ID_MAX + 1], path[MG_PATH_MAX];
	struct mg_patient_identity who;
	bool has_identity;
	int r;

	x->last = row->id;
	/* The tenant's placeholder of measurements without patient (nothing
	 * sealed, docs/ward.md) is nobody's data to export. */
	if (row->sealed_id_len == 0)
		return 0;
	/* Through the keyring: the identifier may be sealed under the
	 * patient's own key (docs/keys.md). */
	r = mg_patients_open(x->cli->keys, row, pid, sizeof(pid), &who, &has_identity);
	sodium_memzero(&who, sizeof(who));
	if (r != 0) {
		fprintf(stderr, "medgatectl: patient row %lld: cannot open its identifier: %s\n",
			(long long)row->id, mg_strerror(r));
		return r;
	}
	/* Files by row id: no identifier in a file name. */
	if (snprintf(path, sizeof(path), "%s/patient-%lld.json", x->dir, (long long)row->id) >=
	    (int)sizeof(path))
		r = MG_ERR_LIMIT;
	else
		r = export_one(x->cli, x->t, row->id, pid, path);
	sodium_memzero(pid, sizeof(pid));
	x->count += r == 0;
	return r;
}

static int tenant_export_all(struct cli *cli, const struct mg_tenant *t, const char *dir,
			     size_t *count)
{
	struct tenant_export x = { .cli = cli, .t = t, .dir = dir };
	int64_t before;
	int r;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "medgatectl: %s: %s\n", dir, strerror(errno));
		return MG_ERR_IO;
	}
	do {
		before = x.last;
		r = mg_store_patient_list(cli->store, t->id, x.last, MG_PATIENT_SEARCH_MAX, export_row,
					  &x);
	} while (r == 0 && x.last != before);
	*count = x.count;
	return r;
}

static int last_patient(const struct mg_patient_row *row, void *arg)
{
	*(int64_t *)arg = row->id;
	return 0;
}

static int last_measurement(const struct mg_measurement_row *row, void *arg)
{
	*(int64_t *)arg = row->id;
	return 0;
}

#define HEADS_PAGE 1000

/* The tenant's highest patient and measurement row ids after the given
 * ones (0: from the start); they stay as given when there is none. */
static int tenant_heads(struct cli *cli, int64_t tenant, int64_t *patient, int64_t *measurement)
{
	int64_t before;
	int r;

	do {
		before = *patient;
		r = mg_store_patient_list(cli->store, tenant, *patient, MG_PATIENT_SEARCH_MAX,
					  last_patient, patient);
	} while (r == 0 && *patient != before);
	while (r == 0) {
		before = *measurement;
		r = mg_store_measurement_list(cli->store, tenant, *measurement, HEADS_PAGE,
					      last_measurement, measurement);
		if (*measurement == before)
			break;
	}
	return r;
}

/* medgatectl tenant export: every patient's export into dir, recorded
 * first, and recorded again once complete with the highest patient and
 * measurement ids it covers, so that tenant erase can tell later whether
 * anything arrived since. */
static int tenant_export(struct cli *cli, const char *name, const char *dir)
{
	struct mg_tenant t;
	char details[128];
	int64_t patient = 0, measurement = 0;
	size_t count = 0;
	int r;

	if (cli_open(cli, true) != 0 || cli_tenant_id(cli, name, &t.id) != 0 ||
	    mg_store_tenant_by_id(cli->store, t.id, &t) != 0)
		return 1;
	if ((r = tenant_heads(cli, t.id, &patient, &measurement)) != 0) {
		fprintf(stderr, "medgatectl: %s\n", mg_strerror(r));
		return 1;
	}
	if (cli_record(cli, "tenant.export", "tenant", t.id, t.id, MG_AUDIT_SUCCESS, NULL) != 0)
		return 1;
	if (tenant_export_all(cli, &t, dir, &count) != 0) {
		fprintf(stderr, "medgatectl: the export did not finish\n");
		cli_record(cli, "tenant.export", "tenant", t.id, t.id, MG_AUDIT_FAILURE, NULL);
		return 1;
	}
	snprintf(details, sizeof(details),
		 "{\"complete\":true,\"patients\":%zu,\"last_patient\":%lld,"
		 "\"last_measurement\":%lld}", count, (long long)patient, (long long)measurement);
	if (cli_record(cli, "tenant.export", "tenant", t.id, t.id, MG_AUDIT_SUCCESS, details) != 0)
		return 1;
	printf("exported %zu patients of tenant %s to %s\n", count, name, dir);
	return 0;
}

struct recorded {
	bool found;
	int64_t time_ms, patient, measurement;
};

/* The latest complete tenant.export on the tenant's trail. */
static int export_record(const struct mg_audit_record *rec, void *arg)
{
	struct recorded *x = arg;
	json_t *o, *p, *m;

	if (strcmp(rec->action, "tenant.export") != 0 || strcmp(rec->outcome, "success") != 0)
		return 0;
	o = json_loads(rec->details, 0, NULL);
	p = json_object_get(o, "last_patient");
	m = json_object_get(o, "last_measurement");
	if (json_is_true(json_object_get(o, "complete")) && json_is_integer(p) &&
	    json_is_integer(m)) {
		x->found = true;
		x->time_ms = rec->time_ms;
		x->patient = json_integer_value(p);
		x->measurement = json_integer_value(m);
	}
	json_decref(o);
	return 0;
}

/* Whether a recorded tenant export covers every patient and measurement
 * the tenant holds now. Prints why not. */
static bool export_covers(struct cli *cli, const struct mg_tenant *t, const char *name)
{
	struct mg_audit_filter f = { .tenant_id = t->id };
	struct recorded x = { 0 };
	char object[MG_AUDIT_OBJECT_MAX + 1], when[MG_TIME_TEXT_LEN] = "";
	int64_t patient, measurement;
	int r;

	if ((r = mg_audit_object("tenant", t->id, object, sizeof(object))) != 0)
		return false;
	f.object = object;
	if ((r = mg_store_audit_list(cli->store, &f, export_record, &x)) != 0) {
		fprintf(stderr, "medgatectl: cannot read the audit trail: %s\n", mg_strerror(r));
		return false;
	}
	if (!x.found) {
		fprintf(stderr, "medgatectl: tenant %s holds patients and was never exported: export"
				" their data first (tenant export --out DIR, or --export-to DIR here)\n",
			name);
		return false;
	}
	patient = x.patient;
	measurement = x.measurement;
	if ((r = tenant_heads(cli, t->id, &patient, &measurement)) != 0) {
		fprintf(stderr, "medgatectl: %s\n", mg_strerror(r));
		return false;
	}
	if (patient != x.patient || measurement != x.measurement) {
		mg_time_format(x.time_ms, when, sizeof(when));
		fprintf(stderr, "medgatectl: tenant %s: data arrived since its export of %s: export"
				" again first (tenant export --out DIR, or --export-to DIR here)\n",
			name, when);
		return false;
	}
	return true;
}

static int tenant_erase(struct cli *cli, const char *name, const char *export_to)
{
	static const unsigned char whole[MG_BLIND_INDEX_BYTES];	/* zeros: the tenant */
	struct mg_tenant_usage use;
	struct mg_erase_counts n;
	struct mg_tenant t;
	char path[MG_PATH_MAX] = "";
	size_t exported = 0;
	int64_t seq = 0;
	int r;

	if (cli_open(cli, true) != 0 || cli_tenant_id(cli, name, &t.id) != 0 ||
	    mg_store_tenant_by_id(cli->store, t.id, &t) != 0)
		return 1;
	if ((r = mg_store_tenant_usage(cli->store, t.id, &use)) != 0) {
		fprintf(stderr, "medgatectl: %s\n", mg_strerror(r));
		return 1;
	}
	if (use.patients > 0 && export_to == NULL && !export_covers(cli, &t, name))
		return 1;
	if (use.patients > 0 && export_to != NULL &&
	    tenant_export_all(cli, &t, export_to, &exported) != 0) {
		fprintf(stderr, "medgatectl: the export did not finish; nothing erased\n");
		return 1;
	}
	if (cli_record(cli, "tenant.erase", "tenant", t.id, t.id, MG_AUDIT_SUCCESS, NULL) != 0)
		return 1;
	if ((r = erase_logged(cli, t.id, whole, &seq, path, sizeof(path))) == 0 &&
	    (r = mg_store_tenant_erase(cli->store, t.id, &n)) != 0)
		fprintf(stderr, "medgatectl: cannot erase: %s\n", mg_strerror(r));
	if (r != 0) {
		cli_record(cli, "tenant.erase", "tenant", t.id, t.id, MG_AUDIT_FAILURE, NULL);
		return 1;
	}
	if (export_to != NULL)
		printf("exported %zu patients to %s\n", exported, export_to);
	printf("erased tenant %s and its key: %lld patients, %lld measurements, %lld outbox"
	       " entries, its devices and memberships\nerasure log entry %lld in %s\n", name,
	       (long long)n.patients, (long long)n.measurements, (long long)n.deliveries,
	       (long long)seq, path);
	return 0;
}

int cli_tenant(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = { "--tenant", "--export-to", "--out", NULL };
	bool bad = false, yes;
	const char *tenant, *export_to, *out;

	if (argc < 2)
		return tenant_usage();
	yes = take_yes(&argc, argv);
	tenant = cli_option(argc - 1, argv + 1, "--tenant", &bad);
	export_to = cli_option(argc - 1, argv + 1, "--export-to", &bad);
	out = cli_option(argc - 1, argv + 1, "--out", &bad);
	if (bad || tenant == NULL || !cli_options_known(argc - 1, argv + 1, names))
		return tenant_usage();
	if (strcmp(argv[1], "export") == 0 && out != NULL && export_to == NULL && !yes)
		return tenant_export(cli, tenant, out);
	if (strcmp(argv[1], "erase") != 0 || out != NULL)
		return tenant_usage();
	if (!yes) {
		fprintf(stderr, "medgatectl: tenant erase destroys the tenant's key and every row"
				" of it for good: add --yes\n");
		return 2;
	}
	return tenant_erase(cli, tenant, export_to);
}
