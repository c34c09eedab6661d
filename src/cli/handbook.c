/* medgatectl handbook --out FILE.html [--pdf FILE.pdf]: the emergency
 * handbook of this instance (docs/handbook.md). Contacts and the reporting
 * chain from [handbook], immediate actions, a playbook per alert kind,
 * restart and restore with this instance's paths, the inventory, and the
 * fingerprint of the configuration it was made from. The store remembers
 * that fingerprint, so the security overview can say when the running
 * configuration no longer matches the printed handbook. No patient data:
 * devices, accounts and destinations only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/handbook.h"
#include "audit/audit.h"
#include "common/err.h"
#include "common/timefmt.h"
#include "model/settings.h"

#define CHROMIUM_SECONDS 60

static int usage(void)
{
	fprintf(stderr, "usage: medgatectl handbook --out FILE.html [--pdf FILE.pdf]\n");
	return 2;
}

/* Text as HTML; "{ctl}" becomes ctl. */
static void html(FILE *f, const char *s, const char *ctl)
{
	for (; *s != '\0'; s++) {
		if (ctl != NULL && strncmp(s, "{ctl}", 5) == 0) {
			html(f, ctl, NULL);
			s += 4;
			continue;
		}
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

void cli_html_text(FILE *f, const char *s)
{
	html(f, s, NULL);
}

/* <tag>text</tag>, text escaped; "(not configured)" for an empty text. */
static void element(FILE *f, const char *tag, const char *text)
{
	fprintf(f, "<%s>", tag);
	html(f, text[0] ? text : "(not configured: [handbook] in medgate.conf)", NULL);
	fprintf(f, "</%s>\n", tag);
}

static void contacts(FILE *f, const struct mg_config *cfg)
{
	const char *chain = cfg->handbook_reporting;

	fputs("<section><h2>1. Who to call</h2>\n<table><tbody>\n", f);
	fputs("<tr><th>Security incident</th>", f);
	element(f, "td", cfg->handbook_security_contact);
	fputs("</tr><tr><th>IT service desk</th>", f);
	element(f, "td", cfg->handbook_it_contact);
	fputs("</tr><tr><th>Maker / integrator</th>", f);
	element(f, "td", cfg->handbook_vendor_contact);
	fputs("</tr></tbody></table>\n<h3>Reporting chain</h3>\n", f);
	if (chain[0] == '\0') {
		element(f, "p", "");
	} else {
		fputs("<ol>\n", f);
		while (*chain != '\0') {
			size_t n = strcspn(chain, ";");
			char step[512];

			snprintf(step, sizeof(step), "%.*s", (int)n, chain);
			fputs("<li>", f);
			html(f, step + strspn(step, " "), NULL);
			fputs("</li>\n", f);
			chain += n + (chain[n] == ';');
		}
		fputs("</ol>\n", f);
	}
	fputs("</section>\n", f);
}

static void immediate(FILE *f, const char *ctl)
{
	static const char *const steps[] = {
		"Keep calm and write down the time, what you saw and who you told.",
		"Call the security contact above; follow the reporting chain.",
		"Contain, as the playbook below says for the alert: disable an account "
		"({ctl} user disable NAME), block a device ({ctl} device block ID), end "
		"remote maintenance ({ctl} maintenance revoke --grant ID), or switch an "
		"interface off (web interface, Settings).",
		"Do not delete, restart or restore anything before the security contact "
		"agrees: the audit trail and the logs are the evidence.",
		"Check the audit trail: {ctl} audit verify.",
		"Measurements keep their place in the EMR queue while the EMR is unreachable; "
		"see {ctl} outbox status.",
	};

	fputs("<section><h2>2. Immediate actions</h2>\n<ol>\n", f);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		fputs("<li>", f);
		html(f, steps[i], ctl);
		fputs("</li>\n", f);
	}
	fputs("</ol>\n</section>\n", f);
}

static void playbook(FILE *f, const char *ctl)
{
	size_t n;
	const struct handbook_play *p = handbook_plays(&n);

	fputs("<section class=\"break\"><h2>3. Playbook per alert</h2>\n"
	      "<table><thead><tr><th>Alert</th><th>Severity</th><th>What it means</th>"
	      "<th>What to do</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < n; i++) {
		fputs("<tr><td><code>", f);
		html(f, p[i].kind, NULL);
		fprintf(f, "</code></td><td>%s</td><td>", p[i].severity);
		html(f, p[i].meaning, NULL);
		fputs("</td><td>", f);
		html(f, p[i].actions, ctl);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n</section>\n", f);
}

static void recovery(FILE *f, const struct mg_config *cfg, const char *ctl)
{
	char store[MG_PATH_MAX + 16], log[MG_PATH_MAX + 16];

	if (strcmp(cfg->storage_backend, "sqlite") != 0 ||
	    mg_config_path(cfg, cfg->storage_path, store, sizeof(store)) != 0)
		snprintf(store, sizeof(store), "PostgreSQL (see [storage] conninfo)");
	if (cfg->log_file[0] == '\0' || mg_config_path(cfg, cfg->log_file, log, sizeof(log)) != 0)
		snprintf(log, sizeof(log), "standard error (the service manager's journal)");
	fputs("<section class=\"break\"><h2>4. Restart and restore</h2>\n<table><tbody>\n", f);
	fputs("<tr><th>Configuration</th>", f);
	element(f, "td", cfg->path);
	fputs("</tr><tr><th>Store</th>", f);
	element(f, "td", store);
	fputs("</tr><tr><th>Log</th>", f);
	element(f, "td", log);
	fputs("</tr></tbody></table>\n<h3>Restart</h3>\n<ol>\n"
	      "<li>Under systemd: <code>systemctl restart medgated</code> (an instance NAME: "
	      "<code>medgated@NAME</code>); by hand: <code>", f);
	html(f, "medgated -c ", NULL);
	html(f, cfg->path, NULL);
	fputs("</code>.</li>\n<li>Check it answers: <code>", f);
	html(f, ctl, NULL);
	fputs(" audit verify</code>, and the web interface's Health page.</li>\n</ol>\n"
	      "<h3>Restore from a backup</h3>\n<ol>\n"
	      "<li>Fetch the newest backup file, the erasure log <code>erasures.log</code> "
	      "kept with it, and the recovery key sheet from the safe.</li>\n"
	      "<li>Stop the daemon; restore into an empty folder: <code>", f);
	html(f, ctl, NULL);
	fputs(" backup restore FILE --key KEYFILE --into DIR --erasures erasures.log</code>; "
	      "it erases again the patients erased since the backup.</li>\n"
	      "<li>Start the restored instance, run <code>audit verify</code> on it, then let "
	      "devices send again.</li>\n<li>Print this handbook again if anything changed.</li>\n"
	      "</ol>\n</section>\n", f);
}

static int device_row(const struct mg_device *d, void *arg)
{
	FILE *f = arg;
	char until[MG_TIME_TEXT_LEN] = "", seen[MG_TIME_TEXT_LEN] = "never";

	if (d->cert_not_after_ms)
		mg_time_format(d->cert_not_after_ms, until, sizeof(until));
	if (d->last_seen_ms)
		mg_time_format(d->last_seen_ms, seen, sizeof(seen));
	fprintf(f, "<tr><td>%lld</td><td>", (long long)d->id);
	html(f, d->name, NULL);
	fprintf(f, "</td><td>%lld</td><td>%s</td><td>", (long long)d->tenant_id,
		mg_device_status_name(d->status));
	html(f, d->firmware[0] ? d->firmware : "unknown", NULL);
	fprintf(f, "</td><td>%s</td><td>%s</td></tr>\n", until, seen);
	return 0;
}

static int account_row(const struct mg_user *u, void *arg)
{
	FILE *f = arg;
	char roles[96] = "";

	mg_audit_roles_text(u->roles, roles, sizeof(roles));
	fputs("<tr><td>", f);
	html(f, u->name, NULL);
	fputs("</td><td>", f);
	html(f, roles, NULL);
	fprintf(f, "</td><td>%s</td><td>%s</td></tr>\n", u->totp_len ? "yes" : "no",
		u->disabled ? "disabled" : "active");
	return 0;
}

static int inventory(FILE *f, struct cli *cli)
{
	const struct mg_config *c = &cli->cfg;
	const struct mg_listener_config *l[] = { &c->web, &c->device, &c->mllp };
	static const char *const names[] = { "web and API", "devices (HTTPS, EST)", "MLLP" };
	int r;

	fputs("<section class=\"break\"><h2>5. Inventory</h2>\n<h3>Interfaces</h3>\n"
	      "<table><thead><tr><th>Interface</th><th>Address</th><th>Port</th><th>On</th>"
	      "</tr></thead><tbody>\n", f);
	for (size_t i = 0; i < 3; i++) {
		fprintf(f, "<tr><td>%s</td><td>", names[i]);
		html(f, l[i]->address[0] ? l[i]->address : "::", NULL);
		fprintf(f, "</td><td>%u</td><td>%s</td></tr>\n", l[i]->port,
			l[i]->enabled ? "yes" : "no");
	}
	for (size_t i = 0; i < c->nemr; i++) {
		fputs("<tr><td>EMR ", f);
		html(f, c->emr[i].name, NULL);
		fputs(" (", f);
		html(f, c->emr[i].protocol, NULL);
		fputs(")</td><td>", f);
		html(f, c->emr[i].url[0] ? c->emr[i].url : c->emr[i].address, NULL);
		fprintf(f, "</td><td></td><td>%s</td></tr>\n", c->emr[i].enabled ? "yes" : "no");
	}
	fputs("</tbody></table>\n<h3>Devices</h3>\n<table><thead><tr><th>Id</th><th>Name</th>"
	      "<th>Tenant</th><th>State</th><th>Firmware</th><th>Certificate until</th>"
	      "<th>Last seen</th></tr></thead><tbody>\n", f);
	if ((r = mg_store_device_list(cli->store, 0, device_row, f)) != 0)
		return r;
	fputs("</tbody></table>\n<h3>Accounts</h3>\n<table><thead><tr><th>Account</th>"
	      "<th>Roles</th><th>Second factor</th><th>State</th></tr></thead><tbody>\n", f);
	if ((r = mg_store_user_list(cli->store, account_row, f)) != 0)
		return r;
	fputs("</tbody></table>\n</section>\n", f);
	return 0;
}

static const char style[] =
	"<style>\n"
	"@page { size: A4; margin: 18mm 16mm; }\n"
	"body { font: 10.5pt/1.4 'DejaVu Sans', sans-serif; color: #111; max-width: 60em; "
	"margin: 0 auto; }\n"
	"h1 { font-size: 20pt; margin: 0 0 .2em; } h2 { font-size: 14pt; margin: 1.2em 0 .4em; "
	"border-bottom: 1.5pt solid #333; } h3 { font-size: 11.5pt; margin: 1em 0 .3em; }\n"
	"table { border-collapse: collapse; width: 100%; margin: .4em 0; } "
	"th, td { border: .5pt solid #888; padding: 3pt 5pt; text-align: left; "
	"vertical-align: top; } thead th { background: #e8e8e8; }\n"
	"tr { page-break-inside: avoid; } code { font-size: 9pt; overflow-wrap: anywhere; }\n"
	"td:first-child { width: 11em; }\n"
	".meta { color: #444; } .break { page-break-before: always; }\n"
	"</style>\n";

static int write_page(FILE *f, struct cli *cli, const char *ctl, const char *when)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<title>medgate emergency handbook</title>\n", f);
	fputs(style, f);
	fputs("</head><body>\n<h1>medgate emergency handbook</h1>\n<p class=\"meta\">", f);
	html(f, cli->cfg.handbook_organisation[0] ? cli->cfg.handbook_organisation
						  : "(organisation not configured)", NULL);
	fprintf(f, "<br>Made %s from configuration ", when);
	html(f, cli->cfg.path, NULL);
	fprintf(f, " (SHA-256 %.16s&hellip;). Print it again whenever the configuration "
		"changes; the security overview says when it is out of date.</p>\n",
		cli->cfg.sha256);
	contacts(f, &cli->cfg);
	immediate(f, ctl);
	playbook(f, ctl);
	recovery(f, &cli->cfg, ctl);
	if (inventory(f, cli) != 0)
		return MG_ERR_STORE;
	fputs("</body></html>\n", f);
	return 0;
}

int cli_unlink_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 ? 0 : -1;
}

int cli_copy_into(const char *path, int fd)
{
	char buf[65536];
	ssize_t n;
	int in = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (in < 0)
		return MG_ERR_IO;
	while (r == 0 && (n = read(in, buf, sizeof(buf))) > 0)
		r = write(fd, buf, (size_t)n) == n ? 0 : MG_ERR_IO;
	if (n < 0)
		r = MG_ERR_IO;
	close(in);
	return r == 0 && fsync(fd) == 0 ? 0 : MG_ERR_IO;
}

int cli_chromium_pdf(const char *dir, const char *html, const char *pdf)
{
	char arg_pdf[MG_PATH_MAX + 24], arg_dir[MG_PATH_MAX + 24], url[MG_PATH_MAX + 16];
	pid_t pid;
	int status;

	snprintf(arg_pdf, sizeof(arg_pdf), "--print-to-pdf=%s", pdf);
	snprintf(arg_dir, sizeof(arg_dir), "--user-data-dir=%s/profile", dir);
	snprintf(url, sizeof(url), "file://%s", html);
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		setenv("HOME", dir, 1);
		alarm(CHROMIUM_SECONDS);
		execlp("chromium", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
		       "--no-pdf-header-footer", "--allow-file-access-from-files", arg_dir, arg_pdf,
		       url, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return MG_ERR_IO;
	return access(pdf, R_OK) == 0 ? 0 : MG_ERR_IO;
}

int cli_print_page(const char *what, int (*write)(FILE *f, void *arg), void *arg, int fd,
		   int pdf_fd)
{
	char dir[] = "/tmp/medgate-page-XXXXXX", html[64], pdf[64];
	FILE *f;
	int r = MG_ERR_IO;

	if (mkdtemp(dir) == NULL)
		return MG_ERR_IO;
	snprintf(html, sizeof(html), "%s/page.html", dir);
	snprintf(pdf, sizeof(pdf), "%s/page.pdf", dir);
	if ((f = fopen(html, "wx")) != NULL) {
		r = write(f, arg);
		if (fclose(f) != 0 && r == 0)
			r = MG_ERR_IO;
	}
	if (r == 0)
		r = cli_copy_into(html, fd);
	if (r == 0 && pdf_fd >= 0 && (r = cli_chromium_pdf(dir, html, pdf)) == 0)
		r = cli_copy_into(pdf, pdf_fd);
	else if (r != 0)
		fprintf(stderr, "medgatectl: cannot write the %s: %s\n", what, mg_strerror(r));
	if (r != 0 && pdf_fd >= 0)
		fprintf(stderr, "medgatectl: chromium could not print the %s to PDF\n", what);
	nftw(dir, cli_unlink_one, 8, FTW_DEPTH | FTW_PHYS);
	return r;
}

struct handbook_page {
	struct cli *cli;
	const char *ctl, *when;
};

static int handbook_write(FILE *f, void *arg)
{
	struct handbook_page *p = arg;

	return write_page(f, p->cli, p->ctl, p->when);
}

/* Write the page (and its PDF) in a private scratch folder of the service
 * account, then copy them into the files opened before the switch. */
static int make(struct cli *cli, const char *ctl, const char *when, int fd, int pdf_fd)
{
	struct handbook_page p = { cli, ctl, when };

	return cli_print_page("handbook", handbook_write, &p, fd, pdf_fd);
}

int cli_handbook(struct cli *cli, int argc, char **argv)
{
	const char *out = NULL, *pdf = NULL;
	char ctl[MG_PATH_MAX + 32], when[MG_TIME_TEXT_LEN], value[MG_SETTING_VALUE_MAX];
	int fd, pdf_fd = -1, r;
	int64_t now = mg_now_ms();

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--out") == 0 && i + 1 < argc && out == NULL)
			out = argv[++i];
		else if (strcmp(argv[i], "--pdf") == 0 && i + 1 < argc && pdf == NULL)
			pdf = argv[++i];
		else
			return usage();
	}
	if (out == NULL)
		return usage();
	/* Made before the switch to the service account, never over a file. */
	if ((fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0 ||
	    (pdf != NULL && (pdf_fd = open(pdf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)) {
		fprintf(stderr, "medgatectl: %s: %s\n", fd < 0 ? out : pdf,
			errno == EEXIST ? "exists; the handbook never overwrites a file"
					: strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(out);
		}
		return 1;
	}
	r = cli_open(cli, true);
	if (r == 0) {
		/* Printed paths are absolute: the page is read far from this shell. */
		char abs[MG_PATH_MAX];

		if (realpath(cli->cfg.path, abs) != NULL && strlen(abs) < sizeof(cli->cfg.path)) {
			memcpy(cli->cfg.path, abs, strlen(abs) + 1);
			if (realpath(cli->cfg.dir, abs) != NULL && strlen(abs) < sizeof(cli->cfg.dir))
				memcpy(cli->cfg.dir, abs, strlen(abs) + 1);
		}
		snprintf(ctl, sizeof(ctl), "medgatectl -c %s", cli->cfg.path);
		mg_time_format(now, when, sizeof(when));
		r = make(cli, ctl, when, fd, pdf_fd);
	}
	close(fd);
	if (pdf_fd >= 0)
		close(pdf_fd);
	if (r != 0) {
		unlink(out);
		if (pdf != NULL)
			unlink(pdf);
		return 1;
	}
	snprintf(value, sizeof(value), "%s %lld", cli->cfg.sha256, (long long)now);
	if (cli_record(cli, "handbook.print", NULL, 0, 0, MG_AUDIT_SUCCESS, NULL) != 0 ||
	    mg_store_setting_set(cli->store, MG_SETTING_HANDBOOK, value) != 0) {
		fprintf(stderr, "medgatectl: the handbook is written, but could not be recorded\n");
		return 1;
	}
	printf("emergency handbook written to %s%s%s (configuration %.16s)\n", out,
	       pdf ? " and " : "", pdf ? pdf : "", cli->cfg.sha256);
	return 0;
}
