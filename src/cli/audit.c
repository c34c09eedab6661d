/* medgatectl audit: verify the chain (optionally against a signed
 * checkpoint kept elsewhere), make and print checkpoints, print the
 * checkpoint public key, export records (JSON lines, RFC 5424 syslog
 * lines or DICOM audit messages), show how far the syslog export is, and
 * list who accessed one patient's data. docs/audit.md is the user's page. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/atna.h"
#include "audit/audit.h"
#include "audit/exporter.h"
#include "audit/syslog.h"
#include "cli/cli.h"
#include "common/err.h"
#include "common/limits.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/timefmt.h"

/* Exit statuses of audit verify: 0 intact, 1 broken, 2 could not check. */
#define EXIT_BROKEN 1
#define EXIT_TROUBLE 2

static int audit_usage(void)
{
	fprintf(stderr,
		"usage: medgatectl audit verify [--checkpoint FILE] [--public-key HEX]\n"
		"       medgatectl audit checkpoint\n"
		"       medgatectl audit public-key\n"
		"       medgatectl audit export --since TIME [--until TIME] [--out FILE]\n"
		"                                   [--format jsonl|json|syslog|atna]\n"
		"       medgatectl audit status\n"
		"       medgatectl audit patient --tenant NAME --patient ID\n"
		"TIME is RFC 3339, e.g. 2026-01-31T00:00:00Z\n");
	return 2;
}

/* Parse and check a checkpoint read from path (text, len). */
static int checkpoint_parse(const char *path, const char *text, size_t len,
			    const unsigned char *public_key, struct mg_audit_checkpoint *cp)
{
	int r;

	while (len > 0 && text[len - 1] == ' ')
		len--;
	if ((r = mg_audit_checkpoint_parse(text, len, public_key, cp)) != 0)
		fprintf(stderr, "medgatectl: checkpoint %s: %s\n", path,
			r == MG_ERR_CRYPTO ? "signature does not verify with the public key"
					   : "not a medgate audit checkpoint");
	return r;
}

static int audit_verify(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = { "--checkpoint", "--public-key", NULL };
	unsigned char pk[MG_AUDIT_PUBLIC_KEY_BYTES];
	struct mg_audit_checkpoint cp;
	struct mg_audit_verdict v;
	bool bad = false;
	const char *cp_path = cli_option(argc, argv, "--checkpoint", &bad);
	const char *pk_hex = cli_option(argc, argv, "--public-key", &bad);
	char *cp_text = NULL;
	size_t got = 0, cp_len = 0;
	int r, status = EXIT_TROUBLE;

	if (bad || !cli_options_known(argc, argv, names))
		return audit_usage();
	/* Read while still the caller (root may switch accounts in cli_open). */
	if (cp_path != NULL &&
	    cli_file_read(cp_path, MG_AUDIT_CHECKPOINT_TEXT_MAX + 64, &cp_text, &cp_len) != 0)
		return EXIT_TROUBLE;
	if (cli_open(cli, true) != 0)
		goto out;
	/* The auditor's copy of the public key if given, else the instance's. */
	if (pk_hex == NULL)
		mg_audit_public_key(cli->master, pk);
	else if (mg_hex_decode(pk_hex, strlen(pk_hex), pk, sizeof(pk), &got) != 0 ||
		 got != sizeof(pk)) {
		fprintf(stderr, "medgatectl: --public-key wants %zu hex digits\n", 2 * sizeof(pk));
		goto out;
	}
	if (cp_path != NULL && checkpoint_parse(cp_path, cp_text, cp_len, pk, &cp) != 0)
		goto out;
	if ((r = mg_audit_verify(cli->store, cli->master, cp_path ? &cp : NULL, &v)) != 0) {
		fprintf(stderr, "medgatectl: cannot read the audit trail: %s\n", mg_strerror(r));
		goto out;
	}
	if (v.fault == MG_AUDIT_INTACT) {
		printf("audit trail intact: %lld records%s\n", (long long)v.records,
		       cp_path ? ", checkpoint matches" : "");
		status = 0;
	} else {
		printf("audit trail BROKEN: first bad record %lld (%s): %s\n",
		       (long long)v.first_bad, mg_audit_fault_name(v.fault), v.reason);
		status = EXIT_BROKEN;
	}
out:
	free(cp_text);
	return status;
}

static int audit_checkpoint(struct cli *cli)
{
	struct mg_audit_event e;
	struct mg_audit_checkpoint cp;
	char text[MG_AUDIT_CHECKPOINT_TEXT_MAX], buf[MG_AUDIT_DETAILS_MAX + 1];
	int r;

	if (cli_open(cli, true) != 0)
		return 1;
	if ((r = cli_event(cli, &e, "audit.checkpoint", "audit", NULL, buf, sizeof(buf))) != 0 ||
	    (r = mg_audit_checkpoint_make(cli->store, cli->master, &e, &cp)) != 0 ||
	    (r = mg_audit_checkpoint_format(&cp, text, sizeof(text))) != 0) {
		fprintf(stderr, "medgatectl: checkpoint: %s\n", mg_strerror(r));
		return 1;
	}
	printf("%s\n", text);
	return 0;
}

static int audit_public_key(struct cli *cli)
{
	unsigned char pk[MG_AUDIT_PUBLIC_KEY_BYTES];
	char text[MG_HEX_TEXT_LEN(MG_AUDIT_PUBLIC_KEY_BYTES)];

	if (cli_open(cli, true) != 0)
		return 1;
	mg_audit_public_key(cli->master, pk);
	(void)mg_hex_encode(pk, sizeof(pk), MG_HEX_LOWER, text, sizeof(text));
	printf("%s\n", text);
	return 0;
}

/* jsonl (the default): one JSON object a line; json: one JSON document,
 * an array of them; syslog and atna: one message a line. */
enum export_format { EXPORT_JSONL, EXPORT_JSON, EXPORT_SYSLOG, EXPORT_ATNA };

struct export_walk {
	FILE *out;
	int64_t count;
	enum export_format format;
	struct mg_syslog_origin origin;	/* syslog and atna */
};

/* One record per line in every format: JSON, an RFC 5424 message as the
 * exporter sends it (without the RFC 5425 length), or a DICOM audit
 * message (the XML is written on one line). */
static int export_record(const struct mg_audit_record *rec, void *arg)
{
	static char line[MG_SYSLOG_MESSAGE_MAX + 1];
	struct export_walk *w = arg;
	struct mg_atna_source src = { w->origin.hostname, w->origin.site_id };
	size_t len;
	int r;

	switch (w->format) {
	case EXPORT_JSONL:
	case EXPORT_JSON:
		r = mg_audit_record_json(rec, line, sizeof(line));
		break;
	case EXPORT_SYSLOG:
		r = mg_syslog_format(rec, &w->origin, line, sizeof(line), &len);
		break;
	case EXPORT_ATNA:
		r = mg_atna_format(rec, &src, true, line, sizeof(line), &len);
		break;
	default:
		r = MG_ERR_INVALID;
		break;
	}
	if (r != 0)
		return r;
	if (fprintf(w->out, "%s%s\n", w->format == EXPORT_JSON && w->count > 0 ? "," : "",
		    line) < 0)
		return MG_ERR_IO;
	w->count++;
	return 0;
}

static int export_format_parse(const char *text, enum export_format *out)
{
	static const char *const names[] = { "jsonl", "json", "syslog", "atna" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(text, names[i]) == 0) {
			*out = (enum export_format)i;
			return 0;
		}
	}
	return MG_ERR_INVALID;
}

/* Out file: created new, 0600 (the trail names accounts and addresses). */
static FILE *export_open(const char *path)
{
	int fd;
	FILE *f;

	if (path == NULL)
		return stdout;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return NULL;
	if ((f = fdopen(fd, "w")) == NULL)
		close(fd);
	return f;
}

/* Close and remove an export file nothing was written to. */
static void export_abandon(FILE *out, const char *path)
{
	if (out != stdout) {
		fclose(out);
		unlink(path);
	}
}

static int audit_export(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = { "--since", "--until", "--out", "--format", NULL };
	struct mg_audit_filter f = { 0 };
	struct export_walk w = { 0 };
	struct mg_audit_event e;
	bool bad = false;
	const char *since = cli_option(argc, argv, "--since", &bad);
	const char *until = cli_option(argc, argv, "--until", &bad);
	const char *path = cli_option(argc, argv, "--out", &bad);
	const char *format = cli_option(argc, argv, "--format", &bad);
	char details[160], buf[MG_AUDIT_DETAILS_MAX + 1];
	int r;

	if (bad || since == NULL || !cli_options_known(argc, argv, names))
		return audit_usage();
	if (format != NULL && export_format_parse(format, &w.format) != 0) {
		fprintf(stderr, "medgatectl: --format is jsonl, json, syslog or atna\n");
		return 2;
	}
	if (mg_time_parse(since, &f.since_ms) != 0 ||
	    (until != NULL && mg_time_parse(until, &f.until_ms) != 0)) {
		fprintf(stderr, "medgatectl: --since and --until want RFC 3339 times\n");
		return 2;
	}
	if (f.since_ms == 0)
		f.since_ms = 1;	/* 0 means "no bound" to the store; the same here */
	/* Created while still the caller (root may switch accounts in
	 * cli_open), removed again if the export cannot be recorded. */
	if ((w.out = export_open(path)) == NULL) {
		fprintf(stderr, "medgatectl: %s: cannot create: %s\n", path, strerror(errno));
		return 1;
	}
	if (cli_open(cli, true) != 0) {
		export_abandon(w.out, path);
		return 1;
	}
	snprintf(details, sizeof(details),
		 "{\"since_ms\":%lld,\"until_ms\":%lld,\"format\":\"%s\"}", (long long)f.since_ms,
		 (long long)f.until_ms, format != NULL ? format : "jsonl");
	mg_audit_export_origin(&cli->cfg, cli->store, &w.origin);
	/* Recorded before anything leaves. */
	if ((r = cli_event(cli, &e, "audit.export", "audit", details, buf, sizeof(buf))) != 0 ||
	    (r = mg_audit_append(cli->store, cli->master, &e)) != 0) {
		fprintf(stderr, "medgatectl: cannot record the export: %s\n", mg_strerror(r));
		export_abandon(w.out, path);
		return 1;
	}
	if (w.format == EXPORT_JSON && fprintf(w.out, "[\n") < 0)
		r = MG_ERR_IO;
	else
		r = mg_store_audit_list(cli->store, &f, export_record, &w);
	if (r == 0 && w.format == EXPORT_JSON && fprintf(w.out, "]\n") < 0)
		r = MG_ERR_IO;
	if ((w.out != stdout && fclose(w.out) != 0) || (w.out == stdout && fflush(stdout) != 0))
		r = r != 0 ? r : MG_ERR_IO;
	if (r != 0) {
		fprintf(stderr, "medgatectl: export: %s\n", mg_strerror(r));
		return 1;
	}
	fprintf(stderr, "%lld audit records exported\n", (long long)w.count);
	return 0;
}

int cli_audit_export_jsonl(struct cli *cli, FILE *f, int64_t *count)
{
	struct mg_audit_filter filter = { 0 };	/* no bounds: every record */
	struct export_walk w = { .out = f, .format = EXPORT_JSONL };
	int r = mg_store_audit_list(cli->store, &filter, export_record, &w);

	*count = w.count;
	return r;
}

struct status_walk {
	int64_t head, after;
};

static int status_record(const struct mg_audit_record *rec, void *arg)
{
	struct status_walk *w = arg;

	w->head = rec->seq;
	w->after++;
	return 0;
}

/* How far the syslog export is: the head of the trail, the position the
 * collector is known to have, and the backlog between them. */
static int audit_status(struct cli *cli)
{
	struct status_walk w = { 0 };
	struct mg_audit_filter f = { 0 };
	int64_t sent = 0;
	int r;

	if (cli_open(cli, false) != 0)
		return 1;
	if ((r = mg_audit_export_position(cli->store, &sent)) != 0) {
		fprintf(stderr, "medgatectl: cannot read the export position: %s\n", mg_strerror(r));
		return 1;
	}
	f.after_seq = sent;
	if ((r = mg_store_audit_list(cli->store, &f, status_record, &w)) != 0) {
		fprintf(stderr, "medgatectl: cannot read the audit trail: %s\n", mg_strerror(r));
		return 1;
	}
	printf("syslog collector: %s\n", cli->cfg.syslog_address[0] != '\0'
						  ? cli->cfg.syslog_address : "none ([syslog] address)");
	printf("exported up to seq: %lld\n", (long long)sent);
	printf("head seq: %lld\n", (long long)(w.after > 0 ? w.head : sent));
	printf("backlog: %lld\n", (long long)w.after);
	return 0;
}

static int patient_record(const struct mg_audit_record *rec, void *arg)
{
	char time[MG_TIME_TEXT_LEN];

	(void)arg;
	if (mg_time_format(rec->time_ms, time, sizeof(time)) != 0)
		time[0] = '\0';
	printf("%-24s %-24s %-24s %-22s %-24s %s\n", time, rec->actor,
	       rec->roles[0] ? rec->roles : "-", rec->address[0] ? rec->address : "-",
	       rec->action, rec->outcome);
	return 0;
}

/* "Who accessed my data": the patient is found by its blind index under
 * the tenant key, the records by the patient's row id; the identifier is
 * printed only as the operator typed it. The report is recorded first. */
static int audit_patient(struct cli *cli, const char *tenant, const char *patient)
{
	unsigned char blind[MG_BLIND_INDEX_BYTES];
	struct mg_tenant_key *tk = NULL;
	struct mg_audit_filter f = { 0 };
	char object[MG_AUDIT_OBJECT_MAX + 1], buf[MG_AUDIT_DETAILS_MAX + 1];
	struct mg_patient_row row;
	struct mg_audit_event e;
	struct mg_tenant t;
	int64_t id = 0;
	size_t len = strnlen(patient, MG_PATIENT_ID_MAX + 1);
	int r;

	if (len == 0 || len > MG_PATIENT_ID_MAX) {
		fprintf(stderr, "medgatectl: a patient id has 1 to %d characters\n", MG_PATIENT_ID_MAX);
		return 2;
	}
	if (cli_open(cli, true) != 0)
		return 1;
	if ((r = mg_store_tenant_by_name(cli->store, tenant, &t)) != 0 ||
	    (r = mg_tenant_key_open(cli->master, t.wrapped_key, sizeof(t.wrapped_key), &tk)) != 0) {
		fprintf(stderr, "medgatectl: tenant %s: %s\n", tenant,
			r == MG_ERR_NOT_FOUND ? "no such tenant" : mg_strerror(r));
		return 1;
	}
	mg_patient_blind_index(tk, patient, len, blind);
	mg_tenant_key_free(tk);
	r = mg_store_patient_find(cli->store, t.id, blind, &id);
	sodium_memzero(blind, sizeof(blind));
	if (r == MG_ERR_NOT_FOUND) {
		printf("patient %s: no data in tenant %s, so no accesses\n", patient, tenant);
		return 0;
	}
	if (r != 0 || (r = mg_audit_object("patient", id, object, sizeof(object))) != 0) {
		fprintf(stderr, "medgatectl: %s\n", mg_strerror(r));
		return 1;
	}
	if ((r = cli_event(cli, &e, "audit.patient_report", object, NULL, buf, sizeof(buf))) == 0) {
		e.tenant_id = t.id;
		r = mg_audit_append(cli->store, cli->master, &e);
	}
	if (r != 0) {
		fprintf(stderr, "medgatectl: cannot record the report: %s\n", mg_strerror(r));
		return 1;
	}
	printf("accesses to the data of patient %s in tenant %s:\n", patient, tenant);
	printf("%-24s %-24s %-24s %-22s %-24s %s\n", "TIME", "ACTOR", "ROLES", "ADDRESS",
	       "ACTION", "OUTCOME");
	f.object = object;
	f.tenant_id = t.id;
	/* Row ids of erased patients can come again: records from before
	 * this patient's row was made are another patient's. */
	if (mg_store_patient_get(cli->store, id, &row) == 0)
		f.since_ms = row.created_ms;
	if ((r = mg_store_audit_list(cli->store, &f, patient_record, NULL)) != 0) {
		fprintf(stderr, "medgatectl: %s\n", mg_strerror(r));
		return 1;
	}
	return 0;
}

int cli_audit(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return audit_verify(cli, argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "checkpoint") == 0)
		return audit_checkpoint(cli);
	if (argc == 2 && strcmp(argv[1], "public-key") == 0)
		return audit_public_key(cli);
	if (argc == 2 && strcmp(argv[1], "status") == 0)
		return audit_status(cli);
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return audit_export(cli, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "patient") == 0) {
		static const char *const names[] = { "--tenant", "--patient", NULL };
		bool bad = false;
		const char *tenant = cli_option(argc - 1, argv + 1, "--tenant", &bad);
		const char *patient = cli_option(argc - 1, argv + 1, "--patient", &bad);

		if (bad || tenant == NULL || patient == NULL ||
		    !cli_options_known(argc - 1, argv + 1, names))
			return audit_usage();
		return audit_patient(cli, tenant, patient);
	}
	return audit_usage();
}
