/* medgatectl advisories import|list and update-check: what is known
 * about the components medgate is made of, and whether the maker has a
 * newer medgate (docs/sbom.md). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/timefmt.h"
#include "model/settings.h"
#include "sbom/sbom.h"
#include "web/advisories.h"

#define NOTICE_MAX 480 /* of MG_SETTING_VALUE_MAX, with room to spare */

static int advisories_usage(void)
{
	fprintf(stderr, "usage: medgatectl advisories import FILE [--binary PATH ...]\n"
			"       medgatectl advisories list [--json]\n");
	return 2;
}

static int import_record(struct cli *cli, const struct mg_advisory_result *res, size_t npackages,
			 int64_t now)
{
	char details[256], import[MG_SETTING_VALUE_MAX];
	int r;

	snprintf(details, sizeof(details),
		 "{\"format\":\"%s\",\"advisories\":%zu,\"affected\":%zu,\"packages\":%zu}",
		 res->format, res->advisories, res->findings_count, npackages);
	snprintf(import, sizeof(import),
		 "{\"format\":\"%s\",\"advisories\":%zu,\"affected\":%zu,\"packages\":%zu,"
		 "\"imported_ms\":%lld}",
		 res->format, res->advisories, res->findings_count, npackages, (long long)now);
	/* Recorded first: the detector raises the alert from this record. */
	if (cli_record(cli, "advisories.import", NULL, 0, 0, MG_AUDIT_SUCCESS, details) != 0)
		return MG_ERR_STORE;
	for (size_t i = 0; i < res->findings_count; i++)
		res->findings[i].imported_ms = now;
	if ((r = mg_store_advisory_replace(cli->store, res->findings, res->findings_count)) != 0 ||
	    (r = mg_store_setting_set(cli->store, MG_SETTING_ADVISORIES_IMPORT, import)) != 0) {
		fprintf(stderr, "medgatectl: cannot store the advisories: %s\n", mg_strerror(r));
		cli_record(cli, "advisories.import", NULL, 0, 0, MG_AUDIT_FAILURE, details);
		return r;
	}
	return 0;
}

static int advisories_import(struct cli *cli, int argc, char **argv)
{
	struct mg_advisory_result *res = NULL;
	struct mg_sbom *sbom = NULL;
	char *feed = NULL, err[512] = "";
	size_t len;
	int argi = 2, status = 1, r;

	if (argc < 2)
		return advisories_usage();
	/* Read before cli_open: with the caller's rights, not the service's. */
	if (cli_file_read(argv[1], MG_ADVISORY_FEED_MAX, &feed, &len) != 0)
		return 1;
	if (cli_sbom_collect(&argi, argc, argv, &sbom) != 0)
		goto out;
	if (argi != argc) {
		status = advisories_usage();
		goto out;
	}
	if ((r = mg_advisory_match(feed, len, sbom, &res, err, sizeof(err))) != 0) {
		fprintf(stderr, "medgatectl: %s: %s\n", argv[1], err[0] ? err : mg_strerror(r));
		goto out;
	}
	if (cli_open(cli, true) != 0 || import_record(cli, res, sbom->npackages, mg_now_ms()) != 0)
		goto out;
	printf("%s feed: %zu advisories, %zu packages, %zu affected\n", res->format,
	       res->advisories, sbom->npackages, res->findings_count);
	for (size_t i = 0; i < res->findings_count; i++)
		printf("  %s %s (installed %s, fixed in %s)\n", res->findings[i].package,
		       res->findings[i].id, res->findings[i].installed,
		       res->findings[i].fixed[0] ? res->findings[i].fixed : "no release yet");
	status = 0;
out:
	mg_advisory_result_free(res);
	mg_sbom_free(sbom);
	free(feed);
	return status;
}

static int print_row(const struct mg_advisory_finding *a, void *arg)
{
	size_t *n = arg;

	printf("%-24s %-20s %-24s %-24s %s\n", a->package, a->id, a->installed,
	       a->fixed[0] ? a->fixed : "-", a->summary);
	(*n)++;
	return 0;
}

static int advisories_list(struct cli *cli, bool as_json)
{
	char import[MG_SETTING_VALUE_MAX] = "";
	json_t *report;
	size_t n = 0;
	int r;

	if (cli_open(cli, false) != 0)
		return 1;
	if (as_json) {
		if ((r = mg_advisory_report(cli->store, &report)) != 0) {
			fprintf(stderr, "medgatectl: advisories: %s\n", mg_strerror(r));
			return 1;
		}
		json_dumpf(report, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(report);
		return 0;
	}
	r = mg_store_setting_get(cli->store, MG_SETTING_ADVISORIES_IMPORT, import, sizeof(import));
	if (r == MG_ERR_NOT_FOUND) {
		printf("no advisory feed imported yet (medgatectl advisories import FILE)\n");
		return 0;
	}
	printf("last import: %s\n", import);
	printf("%-24s %-20s %-24s %-24s %s\n", "PACKAGE", "ADVISORY", "INSTALLED", "FIXED",
	       "SUMMARY");
	if ((r = mg_store_advisory_list(cli->store, print_row, &n)) != 0) {
		fprintf(stderr, "medgatectl: advisories: %s\n", mg_strerror(r));
		return 1;
	}
	if (n == 0)
		printf("(no installed component is affected)\n");
	return 0;
}

int cli_advisories(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return advisories_import(cli, argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return advisories_list(cli, false);
	if (argc == 3 && strcmp(argv[1], "list") == 0 && strcmp(argv[2], "--json") == 0)
		return advisories_list(cli, true);
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: medgatectl advisories import FILE [--binary PATH ...]\n"
		       "       medgatectl advisories list [--json]\n");
		return 0;
	}
	return advisories_usage();
}

/* ---- update-check ---- */

static int update_usage(void)
{
	fprintf(stderr, "usage: medgatectl update-check --feed FILE [--signature FILE]\n");
	return 2;
}

/* A detached Ed25519 signature: 64 raw bytes, or as hex or base64 text. */
static int signature_read(const char *file, unsigned char sig[64])
{
	char *text = NULL;
	size_t len, n = 0;
	int r = MG_ERR_INVALID;

	if (mg_file_read(file, 1024, &text, &len) != 0) {
		fprintf(stderr, "medgatectl: %s: cannot read the signature\n", file);
		return MG_ERR_IO;
	}
	if (len == 64) {
		memcpy(sig, text, 64);
		r = 0;
	} else {
		while (len > 0 &&
		       (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
			text[--len] = '\0';
		if ((len == 128 && mg_hex_decode(text, len, sig, 64, &n) == 0 && n == 64) ||
		    (sodium_base642bin(sig, 64, text, len, NULL, &n, NULL,
				       sodium_base64_VARIANT_ORIGINAL) == 0 &&
		     n == 64))
			r = 0;
	}
	if (r != 0)
		fprintf(stderr,
			"medgatectl: %s: not an Ed25519 signature (64 bytes, hex or base64)\n",
			file);
	free(text);
	return r;
}

static void notice_make(const struct mg_release *rel, bool found, int64_t now, char *out,
			size_t outlen)
{
	json_t *o = json_pack("{s:s, s:s, s:b, s:s, s:[], s:I}", "current", MG_VERSION, "latest",
			      found ? rel->version : "", "security", found && rel->security, "date",
			      found ? rel->date : "", "fixes", "checked_ms", (json_int_t)now);
	json_t *fixes = json_object_get(o, "fixes");
	char *text;

	out[0] = '\0';
	for (size_t i = 0; o != NULL && found && i < rel->nfixes; i++) {
		json_array_append_new(fixes, json_string(rel->fixes[i]));
		text = json_dumps(o, JSON_COMPACT);
		if (text == NULL || strlen(text) > NOTICE_MAX) {
			/* The first fixes only: update-check prints them all. */
			json_array_remove(fixes, json_array_size(fixes) - 1);
			free(text);
			break;
		}
		free(text);
	}
	if (o != NULL && (text = json_dumps(o, JSON_COMPACT)) != NULL) {
		if (strlen(text) < outlen)
			snprintf(out, outlen, "%s", text);
		free(text);
	}
	json_decref(o);
}

int cli_update_check(struct cli *cli, int argc, char **argv)
{
	const char *feed_file = NULL, *sig_file = NULL;
	char sig_default[MG_PATH_MAX], err[256] = "", notice[MG_SETTING_VALUE_MAX];
	unsigned char sig[64], pk[32];
	struct mg_release rel;
	char *feed = NULL;
	size_t len, n = 0;
	bool found;
	int r, status = 1;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--feed") == 0)
			feed_file = argv[i + 1];
		else if (strcmp(argv[i], "--signature") == 0)
			sig_file = argv[i + 1];
		else
			return update_usage();
	}
	if (feed_file == NULL || argc % 2 == 0)
		return update_usage();
	if (sig_file == NULL) {
		snprintf(sig_default, sizeof(sig_default), "%s.sig", feed_file);
		sig_file = sig_default;
	}
	if (mg_file_read(feed_file, MG_RELEASE_FEED_MAX, &feed, &len) != 0) {
		fprintf(stderr, "medgatectl: %s: cannot read the release feed (at most %u bytes)\n",
			feed_file, MG_RELEASE_FEED_MAX);
		return 1;
	}
	if (signature_read(sig_file, sig) != 0 || cli_open(cli, true) != 0)
		goto out;
	if (strlen(cli->cfg.updates_release_key) != 64 ||
	    mg_hex_decode(cli->cfg.updates_release_key, 64, pk, sizeof(pk), &n) != 0 || n != 32) {
		fprintf(stderr,
			"medgatectl: [updates] release_key must be the maker's Ed25519 public "
			"key, 64 hex digits\n");
		goto out;
	}
	r = mg_release_check((const unsigned char *)feed, len, sig, pk, MG_VERSION, &rel, &found,
			     err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, "medgatectl: %s: %s\n", feed_file, err);
		cli_record(cli, "update.check", NULL, 0, 0, MG_AUDIT_FAILURE,
			   r == MG_ERR_DENIED ? "{\"reason\":\"bad signature\"}"
					      : "{\"reason\":\"bad feed\"}");
		goto out;
	}
	notice_make(&rel, found, mg_now_ms(), notice, sizeof(notice));
	if (cli_record(cli, "update.check", NULL, 0, 0, MG_AUDIT_SUCCESS, notice) != 0)
		goto out;
	if ((r = mg_store_setting_set(cli->store, MG_SETTING_UPDATE_NOTICE, notice)) != 0) {
		fprintf(stderr, "medgatectl: cannot store the notice: %s\n", mg_strerror(r));
		goto out;
	}
	if (!found) {
		printf("medgate %s is the newest release in the feed\n", MG_VERSION);
	} else {
		printf("medgate %s%s%s%s is available; this is %s%s\n", rel.version,
		       rel.date[0] ? " (" : "", rel.date, rel.date[0] ? ")" : "", MG_VERSION,
		       rel.security ? "; it is a security update" : "");
		for (size_t i = 0; i < rel.nfixes; i++)
			printf("  fixes: %s\n", rel.fixes[i]);
	}
	status = 0;
out:
	free(feed);
	return status;
}
