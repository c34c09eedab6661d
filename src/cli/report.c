/* medgatectl report --tenant NAME --patient ID --pdf FILE [--clinician
 * NAME]: the report for the patient file (docs/web.md) printed to an A4
 * PDF without a browser session: the same page the clinician prints
 * (web/js/pages/patient_report.js with print.css, from the files compiled
 * into this program) filled with what GET /api/v1/patients/{patient}/report
 * answers (the newest 200 times of measurement), printed by chromium. The
 * read is on the audit trail first (patient.report_print). The page, its
 * data and the profile live in a private scratch folder, removed after. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/handbook.h"
#include "common/err.h"
#include "common/utf8.h"
#include "crypto/keyring.h"
#include "ingest/patients.h"
#include "web/api_patient_rows.h"
#include "web/assets.h"

static int usage(void)
{
	fprintf(stderr, "usage: medgatectl report --tenant NAME --patient ID --pdf FILE.pdf "
			"[--clinician NAME]\n");
	return 2;
}

static int wrapped_key(void *arg, int64_t tenant_id, unsigned char *wrapped, size_t len)
{
	struct mg_tenant t;
	int r;

	if (len != sizeof(t.wrapped_key))
		return MG_ERR_INVALID;
	if ((r = mg_store_tenant_by_id(arg, tenant_id, &t)) == 0)
		memcpy(wrapped, t.wrapped_key, len);
	return r;
}

/* The interface's scripts and style sheets into dir (js/, css/). */
static int write_assets(const char *dir)
{
	char path[MG_PATH_MAX + 64];

	for (size_t i = 0; i < mg_web_assets_count; i++) {
		const struct mg_web_asset *a = &mg_web_assets[i];
		FILE *f;

		if (strncmp(a->path, "/js/", 4) != 0 && strncmp(a->path, "/css/", 5) != 0)
			continue;
		/* the folders on the way (the table's paths are ours, no "..") */
		for (const char *p = strchr(a->path + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
			snprintf(path, sizeof(path), "%s%.*s", dir, (int)(p - a->path), a->path);
			if (mkdir(path, 0700) != 0 && errno != EEXIST)
				return MG_ERR_IO;
		}
		snprintf(path, sizeof(path), "%s%s", dir, a->path);
		if ((f = fopen(path, "wx")) == NULL)
			return MG_ERR_IO;
		if (fwrite(a->data, 1, a->len, f) != a->len) {
			fclose(f);
			return MG_ERR_IO;
		}
		if (fclose(f) != 0)
			return MG_ERR_IO;
	}
	return 0;
}

/* The page: the interface's style sheets, the data as JSON in a script
 * element ('<' escaped, so no text closes it) and the report's script. */
static int write_page(const char *html, json_t *data)
{
	char *text = json_dumps(data, JSON_COMPACT | JSON_ESCAPE_SLASH);
	FILE *f;
	int r = MG_ERR_IO;

	if (text == NULL)
		return MG_ERR_NOMEM;
	if ((f = fopen(html, "wx")) != NULL) {
		fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		      "<title>Measurement report</title>\n"
		      "<link rel=\"stylesheet\" href=\"css/app.css\">\n"
		      "<link rel=\"stylesheet\" href=\"css/print.css\" media=\"print\">\n"
		      "</head><body><main id=\"main\"><div class=\"patient-report\"></div></main>\n"
		      "<script type=\"application/json\" id=\"report-data\">", f);
		for (const char *p = text; *p; p++) {
			if (*p == '<')
				fputs("\\u003c", f);
			else
				fputc(*p, f);
		}
		fputs("</script>\n<script type=\"module\" src=\"js/print_report.js\"></script>\n"
		      "</body></html>\n", f);
		r = fclose(f) == 0 ? 0 : MG_ERR_IO;
	}
	sodium_memzero(text, strlen(text));
	free(text);
	return r;
}

/* Build the page of patient in a scratch folder, print it, copy the PDF
 * into pdf_fd. */
static int make(struct cli *cli, struct mg_keyring *keys, int64_t patient, const char *clinician,
		int pdf_fd)
{
	const struct api_patient_page pg = { 0, ROWS_PAGE_MAX };
	char dir[] = "/tmp/medgate-report-XXXXXX", html[64], pdf[64];
	json_t *data = NULL;
	int r;

	if ((r = api_patient_page_json(&cli->cfg, cli->store, keys, patient, &pg, &data)) != 0)
		return r;
	json_object_set_new(data, "clinician", json_string(clinician));
	if (mkdtemp(dir) == NULL) {
		json_decref(data);
		return MG_ERR_IO;
	}
	snprintf(html, sizeof(html), "%s/report.html", dir);
	snprintf(pdf, sizeof(pdf), "%s/report.pdf", dir);
	if ((r = write_assets(dir)) == 0 && (r = write_page(html, data)) == 0 &&
	    (r = cli_chromium_pdf(dir, html, pdf)) == 0)
		r = cli_copy_into(pdf, pdf_fd);
	json_decref(data);
	nftw(dir, cli_unlink_one, 8, FTW_DEPTH | FTW_PHYS);
	return r;
}

/* The patient id of tenant as its row, through the blind index. */
static int find(struct cli *cli, struct mg_keyring *keys, const char *tenant_name,
		const char *pid, int64_t *tenant, int64_t *patient)
{
	unsigned char index[MG_BLIND_INDEX_BYTES];
	struct mg_tenant t;
	int r;

	if ((r = mg_store_tenant_by_name(cli->store, tenant_name, &t)) != 0) {
		fprintf(stderr, "medgatectl: no tenant %s\n", tenant_name);
		return r;
	}
	*tenant = t.id;
	if ((r = mg_patients_index(keys, t.id, pid, index)) != 0 ||
	    (r = mg_store_patient_find(cli->store, t.id, index, patient)) != 0)
		fprintf(stderr, "medgatectl: no such patient in tenant %s\n", tenant_name);
	return r;
}

int cli_report(struct cli *cli, int argc, char **argv)
{
	const char *tenant_name = NULL, *pid = NULL, *pdf = NULL, *clinician = "";
	char key[MG_PATH_MAX];
	struct mg_master_key *mk = NULL;
	struct mg_keyring *keys = NULL;
	int64_t tenant = 0, patient = 0;
	int fd, r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tenant") == 0 && i + 1 < argc && tenant_name == NULL)
			tenant_name = argv[++i];
		else if (strcmp(argv[i], "--patient") == 0 && i + 1 < argc && pid == NULL)
			pid = argv[++i];
		else if (strcmp(argv[i], "--pdf") == 0 && i + 1 < argc && pdf == NULL)
			pdf = argv[++i];
		else if (strcmp(argv[i], "--clinician") == 0 && i + 1 < argc && clinician[0] == '\0')
			clinician = argv[++i];
		else
			return usage();
	}
	if (tenant_name == NULL || pid == NULL || pdf == NULL)
		return usage();
	if (strlen(pid) > MG_PATIENT_ID_MAX || strlen(clinician) > MG_NAME_MAX ||
	    !mg_utf8_valid(clinician, strlen(clinician))) {
		fprintf(stderr, "medgatectl: the patient id or the clinician's name is too long "
				"or not UTF-8\n");
		return 2;
	}
	/* Made before the switch to the service account, never over a file. */
	if ((fd = open(pdf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		fprintf(stderr, "medgatectl: %s: %s\n", pdf,
			errno == EEXIST ? "exists; the report never overwrites a file"
					: strerror(errno));
		return 1;
	}
	r = cli_open(cli, true);
	if (r == 0 && ((r = mg_config_path(&cli->cfg, cli->cfg.master_key, key, sizeof(key))) != 0 ||
		       (r = mg_master_key_load(key, &mk)) != 0 ||
		       (r = mg_keyring_new(mk, &keys)) != 0)) {
		fprintf(stderr, "medgatectl: cannot load the master key: %s\n", mg_strerror(r));
		if (keys == NULL)
			mg_master_key_free(mk);
	}
	if (r == 0) {
		mg_keyring_set_source(keys, wrapped_key, cli->store);
		r = find(cli, keys, tenant_name, pid, &tenant, &patient);
	}
	/* On the trail first: who printed which patient's report. */
	if (r == 0 && (r = cli_record(cli, "patient.report_print", "patient", patient, tenant,
				      MG_AUDIT_SUCCESS, NULL)) == 0 &&
	    (r = make(cli, keys, patient, clinician, fd)) != 0) {
		fprintf(stderr, "medgatectl: the report could not be printed: %s\n",
			mg_strerror(r));
		cli_record(cli, "patient.report_print", "patient", patient, tenant,
			   MG_AUDIT_FAILURE, NULL);
	}
	if (keys != NULL)
		mg_keyring_free(keys);
	if (r != 0 && ftruncate(fd, 0) != 0)
		r = MG_ERR_IO;
	close(fd);
	if (r != 0) {
		/* After the switch to the service account the folder may not be
		 * ours to change: then the empty file stays, and we say so. */
		if (unlink(pdf) != 0)
			fprintf(stderr, "medgatectl: %s is empty; remove it\n", pdf);
		return 1;
	}
	printf("report written to %s\n", pdf);
	return 0;
}
