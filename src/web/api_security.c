/* The security overview, for the security officer's regular review: the
 * instance's exposure (each listener, where it listens, switched on or
 * off), accounts with administrative roles and no second factor, open
 * alerts by severity, changes to review, the last backup and restore
 * drill, and the findings (web/security_sheet.c): each measure recommended
 * by docs/security.md that is not met now, with what to do. Also the
 * product cyber security sheet as JSON. No patient data. */
#include <stdio.h>
#include <string.h>

#include "access/session.h"
#include "access/switches.h"
#include "common/err.h"
#include "common/timefmt.h"
#include "model/settings.h"
#include "web/api_handlers.h"
#include "web/security_sheet.h"

#define NAMES_SHOWN 20

static int listeners(struct api_request *rq, json_t *out)
{
	static const char *const names[] = { "web", "device", "mllp" };
	const struct mg_config *cfg = rq->web->cfg;
	const struct mg_listener_config *l[] = { &cfg->web, &cfg->device, &cfg->mllp };

	for (size_t i = 0; i < 3; i++) {
		json_t *o = json_pack("{s:s, s:s, s:I, s:b, s:b}", "name", names[i], "address",
				      l[i]->address[0] ? l[i]->address : "::", "port",
				      (json_int_t)l[i]->port, "enabled", l[i]->enabled,
				      "all_addresses", mg_every_address(l[i]->address));

		if (o == NULL || json_array_append_new(out, o) != 0)
			return MG_ERR_NOMEM;
	}
	return 0;
}

struct accounts {
	unsigned required;
	size_t without;
	json_t *names;
};

static int account(const struct mg_user *u, void *arg)
{
	struct accounts *a = arg;

	if (!mg_account_lacks_second_factor(u, a->required))
		return 0;
	if (a->without++ < NAMES_SHOWN &&
	    json_array_append_new(a->names, json_string(u->name)) != 0)
		return MG_ERR_NOMEM;
	return 0;
}

/* The last backup and restore drill (settings the backup commands write),
 * for the review: {"last_backup", "drill": {"time", "passed", "restore_ms"}
 * or null}. */
static json_t *backups_json(struct mg_store *store)
{
	char value[MG_SETTING_VALUE_MAX];
	int64_t ms = 0, drill_ms, restore_ms;
	json_t *drill = json_null();
	int passed;

	if (mg_store_setting_get(store, MG_SETTING_BACKUP_LAST_MS, value, sizeof(value)) != 0 ||
	    mg_setting_seq_parse(value, &ms) != 0)
		ms = 0;
	if (mg_store_setting_get(store, MG_SETTING_BACKUP_DRILL, value, sizeof(value)) == 0 &&
	    mg_setting_drill_parse(value, &drill_ms, &passed, &restore_ms) == 0) {
		json_decref(drill);
		drill = json_pack("{s:o, s:b, s:I}", "time", api_time_json(drill_ms), "passed",
				  passed != 0, "restore_ms", (json_int_t)restore_ms);
	}
	return json_pack("{s:o, s:o}", "last_backup", api_time_json(ms), "drill", drill);
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
	struct mg_security_input in = { rq->web->cfg, rq->web->store, rq->web->switches,
					mg_totp_required_roles(rq->web->access), mg_now_ms() };
	struct accounts acc = { in.totp_roles, 0, json_array() };
	struct mg_alert_filter f = { .state = MG_ALERT_OPEN };
	struct severities sev = { { 0 } };
	json_t *findings = json_array(), *ls = json_array(), *alerts = json_object(), *off = json_array();
	int64_t unreviewed = 0;
	int r;

	if (acc.names == NULL || findings == NULL || ls == NULL || alerts == NULL || off == NULL ||
	    listeners(rq, ls) != 0) {
		r = MG_ERR_NOMEM;
		goto fail;
	}
	if ((r = mg_store_user_list(rq->web->store, account, &acc)) != 0 ||
	    (r = mg_store_alert_list(rq->web->store, &f, open_alert, &sev)) != 0)
		goto fail;
	if ((r = mg_security_findings(&in, findings)) != 0 ||
	    (r = mg_store_change_count(rq->web->store, &unreviewed)) != 0)
		goto fail;
	for (unsigned i = 0; i < MG_IF_COUNT; i++) {
		if (!mg_interface_on(rq->web->switches, (enum mg_interface)i))
			json_array_append_new(off, json_string(mg_interface_name((enum mg_interface)i)));
	}
	for (unsigned i = 0; i < 4; i++)
		json_object_set_new(alerts, mg_severity_name((enum mg_alert_severity)i),
				    json_integer(sev.counts[i]));
	return api_json(rq, MHD_HTTP_OK,
			json_pack("{s:o, s:o, s:s, s:{s:I, s:o}, s:o, s:o, s:I, s:o, s:o}", "findings",
				  findings, "listeners", ls, "tls_profile", rq->web->cfg->tls_profile,
				  "accounts_without_second_factor", "count",
				  (json_int_t)acc.without, "names", acc.names, "open_alerts",
				  alerts, "interfaces_off", off, "unreviewed_changes",
				  (json_int_t)unreviewed, "backups", backups_json(rq->web->store),
				  "retention", retention_json(rq)));
fail:
	json_decref(acc.names);
	json_decref(findings);
	json_decref(ls);
	json_decref(alerts);
	json_decref(off);
	return api_store_error(rq, r);
}

enum MHD_Result api_security_sheet(struct api_request *rq)
{
	struct mg_security_input in = { rq->web->cfg, rq->web->store, rq->web->switches,
					mg_totp_required_roles(rq->web->access), mg_now_ms() };
	json_t *sheet = NULL;
	int r = mg_security_sheet(&in, &sheet);

	return r != 0 ? api_store_error(rq, r) : api_json(rq, MHD_HTTP_OK, sheet);
}
