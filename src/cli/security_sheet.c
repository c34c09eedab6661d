/* medgatectl security-sheet [--format text|html] [--out FILE] [--pdf FILE]:
 * the product cyber security sheet of this instance (docs/security-sheet.md),
 * rendered as text or HTML (and an A4 PDF through chromium) from the model
 * web/security_sheet.c makes, the same one GET /api/v1/security-sheet
 * answers. Never over a file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "access/session.h"
#include "access/switches.h"
#include "cli/cli.h"
#include "cli/handbook.h"
#include "common/err.h"
#include "common/timefmt.h"
#include "web/security_sheet.h"

static int usage(void)
{
	fprintf(stderr, "usage: medgatectl security-sheet [--format text|html] [--out FILE "
			"[--pdf FILE]]\n");
	return 2;
}

static const char *s_of(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "";
}

static bool b_of(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

/* The names of a JSON array of strings, joined by ", ". */
static void joined(FILE *f, const json_t *a, bool html)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		if (i > 0)
			fputs(", ", f);
		if (html)
			cli_html_text(f, json_string_value(v));
		else
			fputs(json_string_value(v), f);
	}
	if (json_array_size(a) == 0)
		fputs("none", f);
}

static void address_port(const json_t *it, char *out, size_t outlen)
{
	if (json_is_integer(json_object_get(it, "port")))
		snprintf(out, outlen, "%s port %lld", s_of(it, "address"),
			 (long long)json_integer_value(json_object_get(it, "port")));
	else
		snprintf(out, outlen, "%s", s_of(it, "address"));
}

static int write_text(FILE *f, const json_t *sheet)
{
	const json_t *tls = json_object_get(sheet, "tls"), *v;
	char where[600];
	size_t i;

	fprintf(f, "Product cyber security sheet\nmedgate %s, configuration %s (SHA-256 %.16s...)\n"
		   "generated %s\n\n", s_of(sheet, "version"), s_of(sheet, "config"),
		s_of(sheet, "config_sha256"), s_of(sheet, "generated"));
	fputs("Recommended measures not met\n", f);
	json_array_foreach(json_object_get(sheet, "measures_not_met"), i, v)
		fprintf(f, "  [%s] %s: %s\n", s_of(v, "severity"), s_of(v, "kind"), s_of(v, "text"));
	if (json_array_size(json_object_get(sheet, "measures_not_met")) == 0)
		fputs("  none\n", f);
	fprintf(f, "\nTLS profile %s\n  versions: ", s_of(tls, "profile"));
	joined(f, json_object_get(tls, "versions"), false);
	fputs("\n  suites: ", f);
	joined(f, json_object_get(tls, "suites"), false);
	fputs("\n\nInterfaces (connectivity capabilities)\n", f);
	json_array_foreach(json_object_get(sheet, "interfaces"), i, v) {
		address_port(v, where, sizeof(where));
		fprintf(f, "  %s (%s): %s, %s, %s; partner: %s; TLS: %s; authentication: %s\n",
			s_of(v, "name"), s_of(v, "direction"), b_of(v, "on") ? "on" : "off", where,
			b_of(v, "all_addresses") ? "every address" : "one address",
			s_of(v, "partner"), b_of(v, "tls") ? "yes" : "no", s_of(v, "authentication"));
	}
	fputs("\nUser groups and their rights (authorization)\n", f);
	json_array_foreach(json_object_get(sheet, "roles"), i, v) {
		fprintf(f, "  %s: ", s_of(v, "role"));
		joined(f, json_object_get(v, "rights"), false);
		fputc('\n', f);
	}
	fputs("\nAccounts (person authentication)\n", f);
	json_array_foreach(json_object_get(sheet, "accounts"), i, v) {
		fprintf(f, "  %s: ", s_of(v, "name"));
		joined(f, json_object_get(v, "roles"), false);
		fprintf(f, "; second factor %s%s\n", b_of(v, "second_factor") ? "yes" : "no",
			b_of(v, "disabled") ? "; disabled" : "");
	}
	fputs("\nDevices (node authentication)\n", f);
	json_array_foreach(json_object_get(sheet, "devices"), i, v)
		fprintf(f, "  %lld %s: %s, model %s, firmware %s (%s), certificate until %s%s\n",
			(long long)json_integer_value(json_object_get(v, "id")), s_of(v, "name"),
			s_of(v, "status"), s_of(v, "model")[0] ? s_of(v, "model") : "unknown",
			s_of(v, "firmware")[0] ? s_of(v, "firmware") : "unknown",
			s_of(v, "firmware_state"), s_of(v, "certificate_until"),
			b_of(v, "certificate_expired") ? " (expired)" : "");
	fputs("\nMDS2 topics\n", f);
	json_array_foreach(json_object_get(sheet, "sections"), i, v)
		fprintf(f, "  %s: %s\n", s_of(v, "topic"), s_of(v, "text"));
	return ferror(f) ? MG_ERR_IO : 0;
}

static void cell(FILE *f, const char *text)
{
	fputs("<td>", f);
	cli_html_text(f, text);
	fputs("</td>", f);
}

static int write_html(FILE *f, void *arg)
{
	const json_t *sheet = arg, *tls = json_object_get(sheet, "tls"), *v;
	char where[600];
	size_t i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<title>Product cyber security sheet</title>\n<style>\n"
	      "@page { size: A4; margin: 16mm; }\n"
	      "body { font: 10pt sans-serif; } table { border-collapse: collapse; width: 100%; }\n"
	      "td, th { border: 1px solid #888; padding: 2px 4px; text-align: left; "
	      "vertical-align: top; }\n</style></head><body>\n"
	      "<h1>Product cyber security sheet</h1>\n<p>medgate ", f);
	cli_html_text(f, s_of(sheet, "version"));
	fputs(", configuration <code>", f);
	cli_html_text(f, s_of(sheet, "config"));
	fprintf(f, "</code> (SHA-256 <code>%.64s</code>), generated ", s_of(sheet, "config_sha256"));
	cli_html_text(f, s_of(sheet, "generated"));
	fputs("</p>\n<h2>Recommended measures not met</h2>\n<ul>\n", f);
	json_array_foreach(json_object_get(sheet, "measures_not_met"), i, v) {
		fprintf(f, "<li><b>%s</b> <code>%s</code>: ", s_of(v, "severity"), s_of(v, "kind"));
		cli_html_text(f, s_of(v, "text"));
		fputs("</li>\n", f);
	}
	if (json_array_size(json_object_get(sheet, "measures_not_met")) == 0)
		fputs("<li>none</li>\n", f);
	fputs("</ul>\n<h2>Connectivity capabilities: interfaces</h2>\n<p>TLS profile <code>", f);
	cli_html_text(f, s_of(tls, "profile"));
	fputs("</code>: ", f);
	joined(f, json_object_get(tls, "versions"), true);
	fputs("; cipher suites: ", f);
	joined(f, json_object_get(tls, "suites"), true);
	fputs("</p>\n<table><tr><th>Interface</th><th>Direction</th><th>On</th><th>Address and "
	      "port</th><th>Partner</th><th>TLS</th><th>Authentication</th></tr>\n", f);
	json_array_foreach(json_object_get(sheet, "interfaces"), i, v) {
		address_port(v, where, sizeof(where));
		fputs("<tr>", f);
		cell(f, s_of(v, "name"));
		cell(f, s_of(v, "direction"));
		cell(f, b_of(v, "on") ? "on" : "off");
		cell(f, where);
		cell(f, s_of(v, "partner"));
		cell(f, b_of(v, "tls") ? "yes" : "no");
		cell(f, s_of(v, "authentication"));
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<h2>Authorization: user groups and their rights</h2>\n<table>\n", f);
	json_array_foreach(json_object_get(sheet, "roles"), i, v) {
		fputs("<tr>", f);
		cell(f, s_of(v, "role"));
		fputs("<td>", f);
		joined(f, json_object_get(v, "rights"), true);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n<h2>Person authentication: accounts</h2>\n<table><tr><th>Account</th>"
	      "<th>Roles</th><th>Second factor</th></tr>\n", f);
	json_array_foreach(json_object_get(sheet, "accounts"), i, v) {
		fputs("<tr>", f);
		cell(f, s_of(v, "name"));
		fputs("<td>", f);
		joined(f, json_object_get(v, "roles"), true);
		fputs("</td>", f);
		cell(f, b_of(v, "second_factor") ? "yes" : "no");
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<h2>Node authentication: devices</h2>\n<table><tr><th>Device</th>"
	      "<th>Status</th><th>Model</th><th>Firmware</th><th>Certificate until</th></tr>\n", f);
	json_array_foreach(json_object_get(sheet, "devices"), i, v) {
		fputs("<tr>", f);
		cell(f, s_of(v, "name"));
		cell(f, s_of(v, "status"));
		cell(f, s_of(v, "model"));
		snprintf(where, sizeof(where), "%s (%s)", s_of(v, "firmware"), s_of(v, "firmware_state"));
		cell(f, where);
		cell(f, s_of(v, "certificate_until"));
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<h2>MDS2 topics</h2>\n<dl>\n", f);
	json_array_foreach(json_object_get(sheet, "sections"), i, v) {
		fputs("<dt>", f);
		cli_html_text(f, s_of(v, "topic"));
		fputs("</dt><dd>", f);
		cli_html_text(f, s_of(v, "text"));
		fputs("</dd>\n", f);
	}
	fputs("</dl>\n</body></html>\n", f);
	return ferror(f) ? MG_ERR_IO : 0;
}

static int sheet_of(struct cli *cli, json_t **out)
{
	struct mg_security_input in = { &cli->cfg, cli->store, NULL, 0, mg_now_ms() };
	int r;

	if ((r = mg_switches_new(cli->store, &in.switches)) != 0)
		return r;
	in.totp_roles = mg_totp_roles_of(cli->store);
	r = mg_security_sheet(&in, out);
	mg_switches_free(in.switches);
	return r;
}

int cli_security_sheet(struct cli *cli, int argc, char **argv)
{
	const char *format = "text", *out = NULL, *pdf = NULL;
	int fd = -1, pdf_fd = -1, r;
	json_t *sheet = NULL;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			format = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc && out == NULL)
			out = argv[++i];
		else if (strcmp(argv[i], "--pdf") == 0 && i + 1 < argc && pdf == NULL)
			pdf = argv[++i];
		else
			return usage();
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "html") != 0)
		return usage();
	if (pdf != NULL && out == NULL)
		return usage();	/* the PDF comes with its HTML, as the handbook's */
	if (pdf != NULL)
		format = "html";
	/* Made before the switch to the service account, never over a file. */
	if ((out != NULL && (fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) ||
	    (pdf != NULL && (pdf_fd = open(pdf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)) {
		fprintf(stderr, "medgatectl: %s: %s\n", fd < 0 && out != NULL ? out : pdf,
			errno == EEXIST ? "exists; the sheet never overwrites a file" : strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(out);
		}
		return 1;
	}
	if ((r = cli_open(cli, false)) == 0 && (r = sheet_of(cli, &sheet)) != 0)
		fprintf(stderr, "medgatectl: security sheet: %s\n", mg_strerror(r));
	if (r == 0 && strcmp(format, "text") == 0) {
		f = fd >= 0 ? fdopen(dup(fd), "w") : stdout;
		r = f != NULL ? write_text(f, sheet) : MG_ERR_IO;
		if (f != NULL && f != stdout && fclose(f) != 0)
			r = MG_ERR_IO;
	} else if (r == 0 && fd < 0 && pdf_fd < 0) {
		r = write_html(stdout, sheet);
	} else if (r == 0) {
		r = cli_print_page("security sheet", write_html, sheet, fd, pdf_fd);
	}
	json_decref(sheet);
	if (fd >= 0)
		close(fd);
	if (pdf_fd >= 0)
		close(pdf_fd);
	if (r != 0) {
		if (out != NULL)
			unlink(out);
		if (pdf != NULL)
			unlink(pdf);
		return 1;
	}
	return 0;
}
