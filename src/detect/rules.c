/* The rules that read the audit trail. Each record is judged once, by the
 * one gateway holding the "detect" lease, in seq order. Failed logins are
 * counted in fixed windows per account and per address, in memory: a
 * gateway taking the lease over starts counting afresh, which at worst
 * delays an alert by one window. */
#include "detect/internal.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

/* The counter of key, started afresh when its window has passed; a new
 * key takes a free slot or the one with the oldest window. */
static struct counter *count_one(struct counter *tab, const char *key, int64_t now_ms,
				 int64_t window_ms)
{
	struct counter *c = NULL, *oldest = &tab[0];

	for (size_t i = 0; i < COUNTERS; i++) {
		if (strcmp(tab[i].key, key) == 0) {
			c = &tab[i];
			break;
		}
		if (tab[i].start_ms < oldest->start_ms)
			oldest = &tab[i];
	}
	if (c == NULL) {
		c = oldest;
		snprintf(c->key, sizeof(c->key), "%s", key);
		c->count = 0;
		c->start_ms = now_ms;
	}
	if (now_ms - c->start_ms >= window_ms) {
		c->count = 0;
		c->start_ms = now_ms;
	}
	c->count++;
	return c;
}

/* Whether roles ("admin,clinician") holds an administrative role. */
static bool has_admin_role(const char *roles)
{
	char copy[MG_AUDIT_ROLES_MAX + 1], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", roles);
	for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(t);

		if (n >= 5 && strcmp(t + n - 5, "admin") == 0)
			return true;
	}
	return false;
}

/* A string member of the record's details, or "". */
static void detail(const struct mg_audit_record *rec, const char *name, char *out,
		   size_t outlen)
{
	json_t *root = json_loads(rec->details, 0, NULL);
	const char *v = json_string_value(json_object_get(root, name));

	snprintf(out, outlen, "%s", v ? v : "");
	json_decref(root);
}

static void login_failure(struct mg_detector *d, const struct mg_audit_record *rec)
{
	const struct mg_config *cfg = d->cfg;
	const int64_t window = (int64_t)cfg->detect_login_window * 1000;
	char key[COUNTER_KEY_MAX + 16];
	struct counter *c;

	if (strncmp(rec->object, "user:", 5) == 0) {
		c = count_one(d->accounts, rec->object, rec->time_ms, window);
		if (c->count >= cfg->detect_login_failures_account)
			mg_alert_raise(d, "login.failures.account", MG_SEVERITY_HIGH, rec->object, 0,
				       "%u failed logins for account %s within %u s, the latest "
				       "from %s", c->count, rec->object + 5,
				       cfg->detect_login_window, rec->address);
	}
	snprintf(key, sizeof(key), "address:%s", rec->address);
	c = count_one(d->addresses, key, rec->time_ms, window);
	if (c->count >= cfg->detect_login_failures_address)
		mg_alert_raise(d, "login.failures.address", MG_SEVERITY_HIGH, key, 0,
			       "%u failed logins from %s within %u s", c->count, rec->address,
			       cfg->detect_login_window);
}

static void admin_login(struct mg_detector *d, const struct mg_audit_record *rec)
{
	struct mg_store *s = d->store;
	unsigned known = 0;
	bool fresh = false;

	if (mg_store_user_address_seen(s, rec->actor_id, rec->address, rec->time_ms, &fresh, &known) !=
	    0)
		return;
	if (fresh && known > 0)
		mg_alert_raise_by(d, rec->actor_id, "login.new_address", MG_SEVERITY_MEDIUM,
				  rec->object, 0,
			       "administrator account %lld signed in from %s, an address it has "
			       "not used before", (long long)rec->actor_id, rec->address);
}

static void off_hours(struct mg_detector *d, const struct mg_audit_record *rec)
{
	time_t t = (time_t)(rec->time_ms / 1000);
	char subject[32];
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    !mg_detect_outside_hours((unsigned)(tm.tm_hour * 60 + tm.tm_min), d->hours_from,
				     d->hours_to))
		return;
	snprintf(subject, sizeof(subject), "user:%lld", (long long)rec->actor_id);
	mg_alert_raise_by(d, rec->actor_id, "activity.off_hours", MG_SEVERITY_MEDIUM, subject, 0,
		       "administrator account %lld acted (%s) at %02d:%02d, outside %s",
		       (long long)rec->actor_id, rec->action, tm.tm_hour, tm.tm_min,
		       d->cfg->detect_admin_hours);
}

static void device_refused(struct mg_detector *d, const struct mg_audit_record *rec)
{
	char reason[96], subject[MG_AUDIT_ADDRESS_MAX + 16];

	detail(rec, "reason", reason, sizeof(reason));
	if (strncmp(rec->object, "device:", 7) == 0) {
		bool revoked = strcmp(reason, "revoked") == 0;

		mg_alert_raise(d, revoked ? "device.revoked" : "device.blocked", MG_SEVERITY_HIGH,
			       rec->object, rec->tenant_id,
			       "%s device %s tried to connect from %s", revoked ? "revoked"
									: "blocked",
			       rec->object + 7, rec->address);
		return;
	}
	snprintf(subject, sizeof(subject), "address:%s", rec->address);
	mg_alert_raise(d, "device.certificate", MG_SEVERITY_HIGH, subject, 0,
		       "device port refused a client from %s: %s", rec->address,
		       reason[0] ? reason : "certificate not accepted");
}

static void role_change(struct mg_detector *d, const struct mg_audit_record *rec)
{
	char from[MG_AUDIT_ROLES_MAX + 1], to[MG_AUDIT_ROLES_MAX + 1];

	detail(rec, "roles_to", to, sizeof(to));
	if (to[0] == '\0')
		return;		/* no role changed */
	detail(rec, "roles_from", from, sizeof(from));
	if (strcmp(rec->action, "user.create") == 0 && !has_admin_role(to))
		return;		/* a new account without privileges */
	mg_alert_raise_by(d, rec->actor_id, "role.change", MG_SEVERITY_MEDIUM, rec->object, 0,
		       "roles of account %s set to %s%s%s by account %lld from %s",
		       rec->object + 5, to[0] ? to : "none", from[0] ? " (were " : "",
		       from[0] ? from : "", (long long)rec->actor_id, rec->address);
}

/* Patient access is granted in two steps by two people (an admin gives the
 * clinician role, a tenant admin the membership): every step that grants,
 * removes, suspends or confirms a membership is told to the security
 * contacts. The texts name accounts and tenants by id, never a patient. */
static void membership_change(struct mg_detector *d, const struct mg_audit_record *rec)
{
	static const struct {
		const char *action, *what;
	} kinds[] = {
		{ "tenant.member_add", "made a member of tenant %lld" },
		{ "tenant.member_remove", "removed from tenant %lld" },
		{ "tenant.member_suspend", "suspended as a member of tenant %lld (password or second "
					   "factor reset by an administrator)" },
		{ "tenant.member_confirm", "confirmed again as a member of tenant %lld" },
	};
	char what[96];

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(rec->action, kinds[i].action) != 0)
			continue;
		snprintf(what, sizeof(what), kinds[i].what, (long long)rec->tenant_id);
		mg_alert_raise_by(d, rec->actor_id, "access.membership", MG_SEVERITY_MEDIUM,
				  rec->object, rec->tenant_id, "account %s was %s by account %lld "
				  "from %s", rec->object + (strncmp(rec->object, "user:", 5) == 0 ? 5 : 0),
				  what, (long long)rec->actor_id, rec->address);
		return;
	}
}

/* Remote maintenance: each request, grant, refusal, end and a device's
 * consent is a notice to the security contacts (the actions done inside a
 * grant are on the trail, with the grant's id, and not alerted one by
 * one). */
static void maintenance_step(struct mg_detector *d, const struct mg_audit_record *rec)
{
	const char *step = rec->action + strlen("maintenance.");
	bool device = strcmp(rec->roles, "device") == 0;

	if (strcmp(step, "action") == 0 || strcmp(rec->outcome, "success") != 0)
		return;
	mg_alert_raise_by(d, device ? 0 : rec->actor_id, "maintenance", MG_SEVERITY_LOW,
			  rec->object[0] ? rec->object : "maintenance", 0,
			  "remote maintenance: %s%s%s by %s %lld from %s", step,
			  rec->object[0] ? " of " : "", rec->object, device ? "device" : "account",
			  (long long)rec->actor_id, rec->address);
}

/* A component medgate links is affected by a known advisory (medgatectl
 * advisories import), or the maker released a newer medgate (update-check):
 * package names, versions and counts only. */
static void components_known(struct mg_detector *d, const struct mg_audit_record *rec)
{
	json_t *root = json_loads(rec->details, 0, NULL);
	json_int_t affected = json_integer_value(json_object_get(root, "affected"));
	const char *latest = json_string_value(json_object_get(root, "latest"));
	const char *format = json_string_value(json_object_get(root, "format"));

	if (strcmp(rec->action, "advisories.import") == 0 && affected > 0)
		mg_alert_raise(d, "sbom.advisory", MG_SEVERITY_HIGH, "components", 0,
			       "known advisories affect installed components (%lld findings, %s "
			       "feed); see medgatectl advisories list", (long long)affected,
			       format != NULL && strcmp(format, "osv") == 0 ? "OSV" : "Debian tracker");
	else if (strcmp(rec->action, "update.check") == 0 && latest != NULL && latest[0] != '\0')
		mg_alert_raise(d, "sbom.update", json_is_true(json_object_get(root, "security"))
				   ? MG_SEVERITY_HIGH : MG_SEVERITY_LOW, "medgate", 0,
			       "a newer medgate is released; see medgatectl update-check");
	json_decref(root);
}

/* An erasure cannot be undone: each one made by a person (not the
 * retention job) is told to the security contacts, a tenant's as high.
 * The subject is the row id the trail names, never the patient. */
static void erasure(struct mg_detector *d, const struct mg_audit_record *rec)
{
	bool tenant = strcmp(rec->action, "tenant.erase") == 0;

	mg_alert_raise_by(d, rec->actor_id, "data.erase",
			  tenant ? MG_SEVERITY_HIGH : MG_SEVERITY_MEDIUM, rec->object, rec->tenant_id,
			  "%s erased for good by %s from %s", tenant ? "a tenant and all its data"
								    : "a patient's data",
			  rec->actor, rec->address);
}

void detect_record(struct mg_detector *d, const struct mg_audit_record *rec)
{
	const char *a = rec->action;

	if (rec->malformed || strncmp(a, "alert.", 6) == 0)
		return;
	if (strcmp(a, "login.failure") == 0 || strcmp(a, "login.lockout") == 0) {
		login_failure(d, rec);
		return;
	}
	if (strcmp(a, "device.refused") == 0) {
		device_refused(d, rec);
		return;
	}
	if (rec->actor_id > 0 && strncmp(rec->actor, "device:", 7) != 0 &&
	    has_admin_role(rec->roles)) {
		if (strcmp(a, "login.success") == 0)
			admin_login(d, rec);
		if (d->hours_from != d->hours_to)
			off_hours(d, rec);
	}
	if (strcmp(a, "config.change") == 0 || strcmp(a, "interface.switch") == 0)
		mg_alert_raise_by(d, rec->actor_id, "config.change", MG_SEVERITY_MEDIUM, "config", 0,
			       "configuration changed by account %lld from %s",
			       (long long)rec->actor_id, rec->address);
	else if ((strcmp(a, "user.update") == 0 || strcmp(a, "user.create") == 0) &&
		 strncmp(rec->object, "user:", 5) == 0)
		role_change(d, rec);
	else if (strncmp(a, "tenant.member_", 14) == 0 && strcmp(rec->outcome, "success") == 0)
		membership_change(d, rec);
	else if (strncmp(a, "maintenance.", 12) == 0)
		maintenance_step(d, rec);
	else if ((strcmp(a, "patient.erase") == 0 || strcmp(a, "tenant.erase") == 0) &&
		 strcmp(rec->outcome, "success") == 0)
		erasure(d, rec);
	else if ((strcmp(a, "advisories.import") == 0 || strcmp(a, "update.check") == 0) &&
		 strcmp(rec->outcome, "success") == 0)
		components_known(d, rec);
}
