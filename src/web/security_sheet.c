/* The findings of the security overview and the model of the product cyber
 * security sheet (web/security_sheet.h), from the live configuration and
 * store: one piece of code for both, so the sheet's "recommended measures
 * not met" are exactly the overview's findings. */
#include "web/security_sheet.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "access/authz.h"
#include "common/err.h"
#include "common/timefmt.h"
#include "model/device_model.h"
#include "model/roles.h"
#include "model/settings.h"
#include "tls/profile.h"

#define NAMES_SHOWN 20
#define ROWS_MAX 500		/* accounts and devices listed on the sheet */
#define DAY_MS (24LL * 3600 * 1000)

bool mg_every_address(const char *address)
{
	return address[0] == '\0' || strcmp(address, "::") == 0 || strcmp(address, "0.0.0.0") == 0;
}

static int finding(json_t *list, const char *kind, const char *severity, const char *text)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "kind", kind, "severity", severity, "text", text);

	return o != NULL && json_array_append_new(list, o) == 0 ? 0 : MG_ERR_NOMEM;
}

static int listener_findings(const struct mg_config *cfg, json_t *findings)
{
	static const char *const names[] = { "web", "device", "mllp" };
	static const char *const what[] = { "web and API port", "device port", "MLLP port" };
	const struct mg_listener_config *l[] = { &cfg->web, &cfg->device, &cfg->mllp };
	char text[256];

	for (size_t i = 0; i < 3; i++) {
		if (!l[i]->enabled || !mg_every_address(l[i]->address))
			continue;
		snprintf(text, sizeof(text), "The %s (%u) listens on every address of this host: "
			 "name the one address it serves in [%s] address.", what[i], l[i]->port,
			 names[i]);
		if (finding(findings, "listener.all_addresses", "medium", text) != 0)
			return MG_ERR_NOMEM;
	}
	return 0;
}

struct accounts {
	unsigned required;
	size_t without;
};

bool mg_account_lacks_second_factor(const struct mg_user *u, unsigned required)
{
	return !u->disabled && u->totp_len == 0 &&
	       (u->roles & (MG_ROLES_PRIVILEGED | required)) != 0;
}

static int account(const struct mg_user *u, void *arg)
{
	struct accounts *a = arg;

	if (mg_account_lacks_second_factor(u, a->required))
		a->without++;
	return 0;
}

/* The emergency handbook: never printed, or printed from a configuration
 * other than the one running (setting MG_SETTING_HANDBOOK). */
static int handbook_finding(const struct mg_security_input *in, json_t *findings)
{
	char value[MG_SETTING_VALUE_MAX];
	int r = mg_store_setting_get(in->store, MG_SETTING_HANDBOOK, value, sizeof(value));

	if (r == MG_ERR_NOT_FOUND)
		return finding(findings, "handbook.missing", "medium",
			       "No emergency handbook was printed for this instance: medgatectl "
			       "handbook --out FILE.html --pdf FILE.pdf, and keep it beside the host.");
	if (r != 0)
		return r;
	if (strncmp(value, in->cfg->sha256, 64) != 0)
		return finding(findings, "handbook.stale", "medium",
			       "Handbook out of date: the configuration changed since it was "
			       "printed. Print it again (medgatectl handbook).");
	return 0;
}

struct devices {
	struct mg_model_list models;
	size_t active, below;
};

/* The device's firmware against its model's minimum: "ok", "below
 * minimum", "unknown" (the device never said) or "no minimum". */
static const char *firmware_state(const struct mg_model_list *models, const struct mg_device *d)
{
	const struct mg_model_rule *rule = mg_model_list_find(models, d->model);

	if (rule == NULL || rule->min_firmware[0] == '\0')
		return "no minimum";
	if (d->firmware[0] == '\0')
		return "unknown";
	return mg_firmware_compare(d->firmware, rule->min_firmware) < 0 ? "below minimum" : "ok";
}

static int device_count(const struct mg_device *d, void *arg)
{
	struct devices *dv = arg;

	if (d->status != MG_DEVICE_ACTIVE)
		return 0;
	dv->active++;
	if (strcmp(firmware_state(&dv->models, d), "below minimum") == 0)
		dv->below++;
	return 0;
}

static void models_of(const struct mg_config *cfg, struct mg_model_list *out)
{
	char err[128];

	/* The daemon refuses to start with a list that does not parse. */
	if (mg_model_list_parse(cfg->device_models, out, err, sizeof(err)) != 0)
		memset(out, 0, sizeof(*out));
}

static int device_findings(const struct mg_security_input *in, json_t *findings)
{
	struct devices dv = { .active = 0 };
	char text[256];
	int r;

	models_of(in->cfg, &dv.models);
	if ((r = mg_store_device_list(in->store, 0, device_count, &dv)) != 0)
		return r;
	if (dv.below > 0) {
		snprintf(text, sizeof(text), "%zu active device%s run%s firmware below its model's "
			 "minimum ([devices] models): update %s or block %s.", dv.below,
			 dv.below == 1 ? "" : "s", dv.below == 1 ? "s" : "",
			 dv.below == 1 ? "it" : "them", dv.below == 1 ? "it" : "them");
		if ((r = finding(findings, "device.firmware_below_minimum", "high", text)) != 0)
			return r;
	}
	/* A port that serves devices while none is enrolled serves nobody. */
	if (dv.active == 0 && in->cfg->device.enabled &&
	    mg_interface_on(in->switches, MG_IF_DEVICE) &&
	    (r = finding(findings, "interface.unused", "low",
			 "The device port is on, but no device is enrolled: switch it off "
			 "([device] enabled = off) until devices are enrolled.")) != 0)
		return r;
	if (dv.active == 0 && in->cfg->mllp.enabled && mg_interface_on(in->switches, MG_IF_MLLP) &&
	    (r = finding(findings, "interface.unused", "low",
			 "The MLLP port is on, but no device is enrolled to send over it: switch "
			 "it off ([mllp] enabled = off) until one is.")) != 0)
		return r;
	return 0;
}

/* A time setting (ms) older than days, or missing. */
static int age_finding(const struct mg_security_input *in, const char *setting,
		       const char *kind, const char *what, const char *how, json_t *findings)
{
	char value[MG_SETTING_VALUE_MAX], k[48], text[256];
	unsigned days = in->cfg->backup_review_days;
	int64_t ms = 0;
	int r;

	if (days == 0)
		return 0;
	r = mg_store_setting_get(in->store, setting, value, sizeof(value));
	if (r != 0 && r != MG_ERR_NOT_FOUND)
		return r;
	if (r == 0 && mg_setting_seq_parse(value, &ms) == 0 && in->now_ms - ms <= days * DAY_MS)
		return 0;
	snprintf(k, sizeof(k), "%s.%s", kind, ms == 0 ? "missing" : "old");
	snprintf(text, sizeof(text), "%s within the last %u days ([backup] review_days): %s.",
		 ms == 0 ? (strcmp(kind, "backup") == 0 ? "No backup was ever made, none"
							: "No restore drill ever passed, none")
			 : what, days, how);
	return finding(findings, k, "medium", text);
}

int mg_security_findings(const struct mg_security_input *in, json_t *findings)
{
	struct accounts acc = { .required = in->totp_roles };
	int64_t unreviewed = 0;
	char text[256];
	int r;

	if ((r = listener_findings(in->cfg, findings)) != 0 ||
	    (r = mg_store_user_list(in->store, account, &acc)) != 0 ||
	    (r = handbook_finding(in, findings)) != 0)
		return r;
	if (acc.without > 0) {
		snprintf(text, sizeof(text), "%zu account%s with an administrative role sign%s in "
			 "without a second factor: enrol one, or require it for their roles in "
			 "Settings.", acc.without, acc.without == 1 ? "" : "s",
			 acc.without == 1 ? "s" : "");
		if ((r = finding(findings, "account.no_second_factor", "high", text)) != 0)
			return r;
	}
	if ((r = mg_store_change_count(in->store, &unreviewed)) != 0)
		return r;
	if (unreviewed > 0) {
		snprintf(text, sizeof(text), "%lld change%s to review (devices, interfaces, "
			 "accounts, settings, medgate.conf): a security officer reviews each on "
			 "the Changes page.", (long long)unreviewed, unreviewed == 1 ? "" : "s");
		if ((r = finding(findings, "changes.unreviewed", "medium", text)) != 0)
			return r;
	}
	if ((r = device_findings(in, findings)) != 0 ||
	    (r = age_finding(in, MG_SETTING_BACKUP_LAST_MS, "backup", "No backup",
			     "make one (medgatectl backup create) or set [backup] schedule",
			     findings)) != 0 ||
	    (r = age_finding(in, MG_SETTING_DRILL_LAST_MS, "drill", "No restore drill passed",
			     "run one (medgatectl backup drill)", findings)) != 0)
		return r;
	return 0;
}

/* The sheet's model. */

struct tls_names {
	json_t *versions, *suites;
};

static int add_version(const char *name, void *arg)
{
	return json_array_append_new(((struct tls_names *)arg)->versions, json_string(name));
}

static int add_suite(const char *name, void *arg)
{
	return json_array_append_new(((struct tls_names *)arg)->suites, json_string(name));
}

static json_t *tls_json(const struct mg_config *cfg)
{
	struct tls_names t = { json_array(), json_array() };

	if (t.versions != NULL && t.suites != NULL)
		mg_tls_profile_describe(cfg->tls_profile, add_version, add_suite, &t);
	return json_pack("{s:s, s:o, s:o}", "profile", cfg->tls_profile, "versions", t.versions,
			 "suites", t.suites);
}

static json_t *listener_json(const char *name, const char *partner,
			     const struct mg_listener_config *l, bool switched_on, const char *auth)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:s, s:I, s:b, s:b, s:s}", "name", name,
			 "direction", "inbound", "partner", partner, "on", l->enabled && switched_on,
			 "configured", l->enabled, "switched_on", switched_on, "address",
			 l->address[0] ? l->address : "::", "port", (json_int_t)l->port,
			 "all_addresses", mg_every_address(l->address), "tls", true,
			 "authentication", auth);
}

static json_t *outbound_json(const char *name, const char *partner, const char *address,
			     bool on, bool tls, const char *auth)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:s, s:n, s:b, s:b, s:s}", "name", name,
			 "direction", "outbound", "partner", partner, "on", on, "configured", on,
			 "switched_on", on, "address", address, "port", "all_addresses", false,
			 "tls", tls, "authentication", auth);
}

static int interfaces(const struct mg_security_input *in, json_t *list)
{
	const struct mg_config *cfg = in->cfg;
	char auth[512], name[64];
	int r = 0;

	snprintf(auth, sizeof(auth), "server certificate; accounts sign in with a password "
		 "(at least %u characters) and a second factor (TOTP) where required; sessions "
		 "end after %u s idle", cfg->password_min_length, cfg->session_idle_timeout);
	r |= json_array_append_new(list, listener_json("web", "browsers of users, API clients", &cfg->web,
				   mg_interface_on(in->switches, MG_IF_WEB), auth));
	r |= json_array_append_new(list, listener_json(
			"device", "enrolled measuring devices (HTTPS, EST)", &cfg->device,
			mg_interface_on(in->switches, MG_IF_DEVICE),
			"mutual TLS: a client certificate of this instance's device CA, of an "
			"enrolled device neither blocked nor revoked"));
	r |= json_array_append_new(list, listener_json(
			"enrolment", "new devices with a one-time token (EST on the device port)",
			&cfg->device, mg_interface_on(in->switches, MG_IF_ENROLMENT),
			"one-time enrolment token, then a device certificate"));
	r |= json_array_append_new(list, listener_json(
			"mllp", "enrolled devices sending HL7 v2 over MLLP/TLS", &cfg->mllp,
			mg_interface_on(in->switches, MG_IF_MLLP),
			"mutual TLS: a device certificate, as on the device port"));
	for (size_t i = 0; i < cfg->nemr; i++) {
		const struct mg_emr_config *e = &cfg->emr[i];
		bool on = e->enabled && mg_interface_on(in->switches, MG_IF_EMR) &&
			  mg_destination_on(in->switches, e->name);

		snprintf(name, sizeof(name), "emr.%s", e->name);
		snprintf(auth, sizeof(auth), "%s%s%s", e->tls ? "TLS, the server's certificate checked" : "none (no TLS)",
			 e->client_cert[0] ? "; client certificate" : "",
			 e->bearer_token_file[0] ? "; bearer token" : "");
		r |= json_array_append_new(list, outbound_json(name, strcmp(e->protocol, "fhir") == 0
						? "EMR (FHIR R4)" : "EMR (HL7 v2 over MLLP)",
						e->url[0] ? e->url : e->address, on, e->tls, auth));
	}
	if (cfg->syslog_address[0])
		r |= json_array_append_new(list, outbound_json("syslog", "audit collector (RFC 5424)",
					   cfg->syslog_address, true, cfg->syslog_tls,
					   cfg->syslog_tls ? "TLS, mutual certificates" : "none (no TLS)"));
	if (cfg->smtp_url[0])
		r |= json_array_append_new(list, outbound_json("smtp", "mail server (resets, alerts)",
					   cfg->smtp_url, true, strncmp(cfg->smtp_url, "smtps:", 6) == 0,
					   cfg->smtp_username[0] ? "user name and password" : "none"));
	return r == 0 ? 0 : MG_ERR_NOMEM;
}

static json_t *roles_json(void)
{
	json_t *list = json_array();

	for (unsigned i = 0; list != NULL && i < MG_ROLE_COUNT; i++) {
		struct mg_principal p = { .user_id = 1, .roles = mg_role_at(i) };
		json_t *rights = json_array();

		for (unsigned a = MG_ACTION_SELF + 1; a < MG_ACTION_COUNT; a++) {
			if (mg_authz_allows(&p, (enum mg_action)a, 0))
				json_array_append_new(rights, json_string(mg_action_name((enum mg_action)a)));
		}
		json_array_append_new(list, json_pack("{s:s, s:o}", "role", mg_role_name(p.roles),
						      "rights", rights));
	}
	return list;
}

struct rows {
	json_t *list;
	size_t more;
	struct mg_model_list models;
	int64_t now_ms;
};

static int account_row(const struct mg_user *u, void *arg)
{
	struct rows *w = arg;
	json_t *roles = json_array();

	if (json_array_size(w->list) >= ROWS_MAX) {
		w->more++;
		json_decref(roles);
		return 0;
	}
	for (unsigned i = 0; i < MG_ROLE_COUNT; i++) {
		if (u->roles & mg_role_at(i))
			json_array_append_new(roles, json_string(mg_role_name(mg_role_at(i))));
	}
	return json_array_append_new(w->list, json_pack("{s:s, s:o, s:b, s:b}", "name", u->name,
					"roles", roles, "second_factor", u->totp_len > 0,
					"disabled", u->disabled)) == 0 ? 0 : MG_ERR_NOMEM;
}

static int device_row(const struct mg_device *d, void *arg)
{
	struct rows *w = arg;
	char until[MG_TIME_TEXT_LEN] = "";

	if (d->status == MG_DEVICE_REVOKED)
		return 0;
	if (json_array_size(w->list) >= ROWS_MAX) {
		w->more++;
		return 0;
	}
	if (d->cert_not_after_ms)
		mg_time_format(d->cert_not_after_ms, until, sizeof(until));
	return json_array_append_new(w->list, json_pack(
			"{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "id", (json_int_t)d->id,
			"name", d->name, "status", mg_device_status_name(d->status), "model",
			d->model, "firmware", d->firmware, "firmware_state",
			firmware_state(&w->models, d), "certificate_until", until,
			"certificate_expired", d->cert_not_after_ms && d->cert_not_after_ms < w->now_ms))
		       == 0 ? 0 : MG_ERR_NOMEM;
}

static int section(json_t *list, const char *topic, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int section(json_t *list, const char *topic, const char *fmt, ...)
{
	char text[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return json_array_append_new(list, json_pack("{s:s, s:s}", "topic", topic, "text", text));
}

/* The MDS2 form's topics that apply, each answered from the configuration
 * (docs/security-sheet.md names the form's sections). */
static int sections(const struct mg_security_input *in, json_t *list)
{
	const struct mg_config *cfg = in->cfg;
	char required[128] = "";
	int r = 0;

	for (unsigned i = 0; i < MG_ROLE_COUNT; i++) {
		if ((in->totp_roles & mg_role_at(i)) == 0)
			continue;
		if (required[0] != '\0')
			strncat(required, ", ", sizeof(required) - strlen(required) - 1);
		strncat(required, mg_role_name(mg_role_at(i)), sizeof(required) - strlen(required) - 1);
	}
	if (required[0] == '\0')
		snprintf(required, sizeof(required), "none");

	r |= section(list, "Management of private data",
		     "Stores measurements with patient identifiers, sealed per tenant (AEAD under "
		     "the tenant's key, wrapped by the master key); patient look-up by blind index. "
		     "Storage: %s.", cfg->storage_backend);
	r |= section(list, "Automatic logoff",
		     "Web sessions end after %u s without activity and %u s in all.",
		     cfg->session_idle_timeout, cfg->session_lifetime);
	r |= section(list, "Audit controls",
		     "Every operator and device action is on a hash-chained audit trail "
		     "(medgatectl audit verify)%s%s.",
		     cfg->syslog_address[0] ? "; exported to syslog at " : "",
		     cfg->syslog_address);
	r |= section(list, "Authorization",
		     "Six roles with separation of duties (below); only clinicians of a tenant "
		     "see its patients.");
	r |= section(list, "Cyber security product upgrades",
		     "Signed release feed (medgatectl update-check)%s; advisories matched against "
		     "the SBOM (medgatectl advisories).",
		     cfg->updates_release_key[0] ? ", release key configured" : ", no release key set");
	r |= section(list, "Health data de-identification",
		     "Not done by the gateway: measurements are forwarded identified to the EMR.");
	r |= section(list, "Data backup and disaster recovery",
		     "Backups sealed to an offline recovery key%s; schedule: %s; %u kept; a backup "
		     "and a passed restore drill expected within %u days.",
		     cfg->backup_recovery_key[0] ? "" : " (no recovery key configured)",
		     cfg->backup_schedule[0] ? cfg->backup_schedule : "none", cfg->backup_keep,
		     cfg->backup_review_days);
	r |= section(list, "Emergency access",
		     "Host operators use medgatectl (break-glass, audited); the printed emergency "
		     "handbook lists the steps.");
	r |= section(list, "Health data integrity and authenticity",
		     "Measurements arrive over mutual TLS from enrolled devices; the audit trail is "
		     "hash-chained; the store runs with synchronous commits.");
	r |= section(list, "Malware detection/protection",
		     "No malware scanner; the daemon runs as %s%s%s, and detection rules raise "
		     "alerts on anomalies.", cfg->user[0] ? "the unprivileged account \"" : "the account it is started as",
		     cfg->user, cfg->user[0] ? "\"" : "");
	r |= section(list, "Node authentication",
		     "Devices: certificates of this instance's device CA, valid %u days; EMR "
		     "destinations: TLS server certificates.", cfg->device_cert_days);
	r |= section(list, "Connectivity capabilities",
		     "The interfaces below: inbound web, device and MLLP ports; outbound EMR, "
		     "syslog and mail.");
	r |= section(list, "Person authentication",
		     "Passwords of %u to %u characters; lockout after %u failures; a second factor "
		     "(TOTP) required at sign-in for the roles the settings name (now: %s); the security overview "
		     "names administrative accounts without one.",
		     cfg->password_min_length, cfg->password_max_length, cfg->lockout_threshold,
		     required);
	r |= section(list, "Physical locks",
		     "Not provided by the software: the host must stand in a locked room.");
	r |= section(list, "Third-party components in product lifecycle roadmaps",
		     "CycloneDX SBOM of the installed programs and libraries: medgatectl sbom.");
	r |= section(list, "System and application hardening",
		     "TLS profile \"%s\"; one TLS stack (GnuTLS); strict Content-Security-Policy on "
		     "the web port; bounded inputs everywhere.", cfg->tls_profile);
	r |= section(list, "Security guidance",
		     "docs/security.md, the emergency handbook (medgatectl handbook), this sheet.");
	r |= section(list, "Health data storage confidentiality",
		     "Patient identifiers sealed at rest; tenants erased by deleting their key.");
	r |= section(list, "Transmission confidentiality",
		     "TLS on every inbound port; outbound per destination (below).");
	r |= section(list, "Transmission integrity",
		     "AEAD cipher suites only (below); MLLP acknowledgements end to end.");
	r |= section(list, "Remote service",
		     "Service accounts only through a time-limited grant an administrator gives "
		     "(medgatectl maintenance); every step audited.");
	return r == 0 ? 0 : MG_ERR_NOMEM;
}

int mg_security_sheet(const struct mg_security_input *in, json_t **out)
{
	struct rows accounts = { .list = json_array() }, devices = { .list = json_array() };
	json_t *findings = json_array(), *ifs = json_array(), *secs = json_array();
	char when[MG_TIME_TEXT_LEN];
	int r;

	*out = NULL;
	devices.now_ms = in->now_ms;
	models_of(in->cfg, &devices.models);
	if (accounts.list == NULL || devices.list == NULL || findings == NULL || ifs == NULL ||
	    secs == NULL) {
		r = MG_ERR_NOMEM;
		goto fail;
	}
	if ((r = mg_security_findings(in, findings)) != 0 || (r = interfaces(in, ifs)) != 0 ||
	    (r = sections(in, secs)) != 0 ||
	    (r = mg_store_user_list(in->store, account_row, &accounts)) != 0 ||
	    (r = mg_store_device_list(in->store, 0, device_row, &devices)) != 0)
		goto fail;
	mg_time_format(in->now_ms, when, sizeof(when));
	*out = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:I, s:o, s:I, s:o, s:o}",
			 "generated", when, "version", MG_VERSION, "config", in->cfg->path,
			 "config_sha256", in->cfg->sha256, "tls", tls_json(in->cfg), "interfaces",
			 ifs, "roles", roles_json(), "accounts", accounts.list, "accounts_more",
			 (json_int_t)accounts.more, "devices", devices.list, "devices_more",
			 (json_int_t)devices.more, "measures_not_met", findings, "sections", secs);
	return *out != NULL ? 0 : MG_ERR_NOMEM;
fail:
	json_decref(accounts.list);
	json_decref(devices.list);
	json_decref(findings);
	json_decref(ifs);
	json_decref(secs);
	return r;
}
