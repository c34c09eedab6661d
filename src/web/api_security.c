/* The security overview, for the security officer's regular review: the
 * instance's exposure (each listener, where it listens, switched on or
 * off), accounts with administrative roles and no second factor, open
 * alerts by severity, and the findings: each measure recommended by
 * docs/security.md that is not met now, with what to do. No patient data. */
#include <stdio.h>
#include <string.h>

#include "access/session.h"
#include "access/switches.h"
#include "common/err.h"
#include "model/settings.h"
#include "web/api_handlers.h"

/* Roles whose accounts must have a second factor, whatever the setting. */
#define ROLES_PRIVILEGED (MG_ROLE_ADMIN | MG_ROLE_TENANT_ADMIN | MG_ROLE_DEVICE_ADMIN | \
			  MG_ROLE_SECURITY_OFFICER | MG_ROLE_SERVICE)
#define NAMES_SHOWN 20

static int finding(json_t *list, const char *kind, const char *severity, const char *text)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "kind", kind, "severity", severity, "text", text);

	return o != NULL && json_array_append_new(list, o) == 0 ? 0 : MG_ERR_NOMEM;
}

/* "", "::" and "0.0.0.0" listen on every address of the host. */
static bool every_address(const char *address)
{
	return address[0] == '\0' || strcmp(address, "::") == 0 || strcmp(address, "0.0.0.0") == 0;
}

static int listeners(struct api_request *rq, json_t *out, json_t *findings)
{
	static const char *const names[] = { "web", "device", "mllp" };
	static const char *const what[] = { "web and API port", "device port", "MLLP port" };
	const struct mg_config *cfg = rq->web->cfg;
	const struct mg_listener_config *l[] = { &cfg->web, &cfg->device, &cfg->mllp };
	char text[256];

	for (size_t i = 0; i < 3; i++) {
		bool all = every_address(l[i]->address);
		json_t *o = json_pack("{s:s, s:s, s:I, s:b, s:b}", "name", names[i], "address",
				      l[i]->address[0] ? l[i]->address : "::", "port",
				      (json_int_t)l[i]->port, "enabled", l[i]->enabled,
				      "all_addresses", all);

		if (o == NULL || json_array_append_new(out, o) != 0)
			return MG_ERR_NOMEM;
		if (!l[i]->enabled || !all)
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
	unsigned required;	/* roles the settings require a second factor for */
	size_t without;		/* privileged accounts without one */
	json_t *names;
};

static int account(const struct mg_user *u, void *arg)
{
	struct accounts *a = arg;

	if (u->disabled || u->totp_len > 0 || (u->roles & (ROLES_PRIVILEGED | a->required)) == 0)
		return 0;
	if (a->without++ < NAMES_SHOWN &&
	    json_array_append_new(a->names, json_string(u->name)) != 0)
		return MG_ERR_NOMEM;
	return 0;
}

struct severities {
	json_int_t counts[4];
};

static int open_alert(const struct mg_alert *al, void *arg)
{
	struct severities *s = arg;

	if ((unsigned)al->severity < 4)
		s->counts[al->severity]++;
	return 0;
}

/* The emergency handbook: never printed, or printed from a configuration
 * other than the one running (setting MG_SETTING_HANDBOOK). */
static int handbook_finding(struct api_request *rq, json_t *findings)
{
	char value[MG_SETTING_VALUE_MAX];
	int r = mg_store_setting_get(rq->web->store, MG_SETTING_HANDBOOK, value, sizeof(value));

	if (r == MG_ERR_NOT_FOUND)
		return finding(findings, "handbook.missing", "medium",
			       "No emergency handbook was printed for this instance: medgatectl "
			       "handbook --out FILE.html --pdf FILE.pdf, and keep it beside the host.");
	if (r != 0)
		return r;
	if (strncmp(value, rq->web->cfg->sha256, 64) != 0)
		return finding(findings, "handbook.stale", "medium",
			       "Handbook out of date: the configuration changed since it was "
			       "printed. Print it again (medgatectl handbook).");
	return 0;
}

/* The retention job's figures: keep_days, measurements erased in all,
 * when it last ran (0: never). */
static json_t *retention_json(struct api_request *rq)
{
	char value[32];
	int64_t erased = 0, last = 0;

	if (mg_store_setting_get(rq->web->store, MG_SETTING_RETENTION_ERASED, value,
				 sizeof(value)) == 0)
		mg_setting_seq_parse(value, &erased);
	if (mg_store_setting_get(rq->web->store, MG_SETTING_RETENTION_LAST_MS, value,
				 sizeof(value)) == 0)
		mg_setting_seq_parse(value, &last);
	return json_pack("{s:I, s:I, s:I}", "keep_days", (json_int_t)rq->web->cfg->retention_keep_days,
			 "erased", (json_int_t)erased, "last_run_ms", (json_int_t)last);
}

enum MHD_Result api_security_overview(struct api_request *rq)
{
	struct accounts acc = { mg_totp_required_roles(rq->web->access), 0, json_array() };
	struct mg_alert_filter f = { .state = MG_ALERT_OPEN };
	struct severities sev = { { 0 } };
	json_t *findings = json_array(), *ls = json_array(), *alerts = json_object(), *off = json_array();
	char text[256];
	int r;

	if (acc.names == NULL || findings == NULL || ls == NULL || alerts == NULL || off == NULL ||
	    listeners(rq, ls, findings) != 0) {
		r = MG_ERR_NOMEM;
		goto fail;
	}
	if ((r = mg_store_user_list(rq->web->store, account, &acc)) != 0 ||
	    (r = mg_store_alert_list(rq->web->store, &f, open_alert, &sev)) != 0)
		goto fail;
	if ((r = handbook_finding(rq, findings)) != 0)
		goto fail;
	if (acc.without > 0) {
		snprintf(text, sizeof(text), "%zu account%s with an administrative role sign%s in "
			 "without a second factor: enrol one, or require it for their roles in "
			 "Settings.", acc.without, acc.without == 1 ? "" : "s",
			 acc.without == 1 ? "s" : "");
		if ((r = finding(findings, "account.no_second_factor", "high", text)) != 0)
			goto fail;
	}
	for (unsigned i = 0; i < MG_IF_COUNT; i++) {
		if (!mg_interface_on(rq->web->switches, (enum mg_interface)i))
			json_array_append_new(off, json_string(mg_interface_name((enum mg_interface)i)));
	}
	for (unsigned i = 0; i < 4; i++)
		json_object_set_new(alerts, mg_severity_name((enum mg_alert_severity)i),
				    json_integer(sev.counts[i]));
	return api_json(rq, MHD_HTTP_OK,
			json_pack("{s:o, s:o, s:s, s:{s:I, s:o}, s:o, s:o, s:o}", "findings",
				  findings, "listeners", ls, "tls_profile",
				  rq->web->cfg->tls_profile, "accounts_without_second_factor",
				  "count", (json_int_t)acc.without, "names", acc.names,
				  "open_alerts", alerts, "interfaces_off", off, "retention",
				  retention_json(rq)));
fail:
	json_decref(acc.names);
	json_decref(findings);
	json_decref(ls);
	json_decref(alerts);
	json_decref(off);
	return api_store_error(rq, r);
}
