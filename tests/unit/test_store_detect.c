/* The store's detection state: alerts (grouping, acknowledgement, lists),
 * incidents (linking alerts, status, timeline), the addresses accounts
 * sign in from, a patient's previous value, and leases. Each test gets a
 * fresh database (store_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>

#include "model/quantity.h"
#include "store_fixture.h"

#define T0 STORE_T0
#define HOUR 3600000LL

static struct mg_alert alert_of(const char *kind, const char *subject,
				enum mg_alert_severity sev, int64_t at)
{
	struct mg_alert a;

	memset(&a, 0, sizeof(a));
	snprintf(a.kind, sizeof(a.kind), "%s", kind);
	snprintf(a.subject, sizeof(a.subject), "%s", subject);
	snprintf(a.summary, sizeof(a.summary), "%s at %lld", kind, (long long)at);
	a.severity = sev;
	a.last_ms = at;
	return a;
}

static int collect_alert(const struct mg_alert *a, void *arg)
{
	struct mg_alert *out = arg;
	size_t i = 0;

	while (out[i].id != 0)
		i++;
	out[i] = *a;
	return 0;
}

/* Same kind and subject within the window: one alert counted up, severity
 * never lowered; another subject, an acknowledged alert or the window's
 * end start a new one. */
static void test_alert_grouping(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	struct mg_alert a, got, list[8];
	int64_t id, id2, id3, id4, count;

	a = alert_of("login.failures.address", "address:127.0.0.2", MG_SEVERITY_HIGH, T0);
	assert_int_equal(mg_store_alert_raise(db, &a, T0 - HOUR, &id, &count), 0);
	assert_int_equal(count, 1);
	a = alert_of("login.failures.address", "address:127.0.0.2", MG_SEVERITY_LOW, T0 + 1000);
	assert_int_equal(mg_store_alert_raise(db, &a, T0 + 1000 - HOUR, &id2, &count), 0);
	assert_int_equal(id2, id);
	assert_int_equal(count, 2);
	assert_int_equal(mg_store_alert_get(db, id, &got), 0);
	assert_int_equal(got.count, 2);
	assert_int_equal(got.first_ms, T0);
	assert_int_equal(got.last_ms, T0 + 1000);
	assert_int_equal(got.severity, MG_SEVERITY_HIGH);
	assert_string_equal(got.summary, a.summary);
	assert_int_equal(got.state, MG_ALERT_OPEN);

	a = alert_of("login.failures.address", "address:127.0.0.3", MG_SEVERITY_HIGH, T0 + 2000);
	assert_int_equal(mg_store_alert_raise(db, &a, T0 - HOUR, &id3, &count), 0);
	assert_true(id3 != id);
	assert_int_equal(count, 1);

	/* Past the window: a new alert. */
	a = alert_of("login.failures.address", "address:127.0.0.2", MG_SEVERITY_HIGH,
		     T0 + 3 * HOUR);
	assert_int_equal(mg_store_alert_raise(db, &a, T0 + 2 * HOUR, &id4, &count), 0);
	assert_true(id4 != id && id4 != id3);

	/* Acknowledged: the next one is new too. */
	assert_int_equal(mg_store_alert_acknowledge(db, id4, 7, T0 + 3 * HOUR + 5), 0);
	assert_int_equal(mg_store_alert_acknowledge(db, id4, 8, T0 + 3 * HOUR + 9), 0);
	assert_int_equal(mg_store_alert_get(db, id4, &got), 0);
	assert_int_equal(got.state, MG_ALERT_ACKNOWLEDGED);
	assert_int_equal(got.acknowledged_by, 7);	/* the first acknowledgement stays */
	assert_int_equal(got.acknowledged_ms, T0 + 3 * HOUR + 5);
	a.last_ms += 10;
	assert_int_equal(mg_store_alert_raise(db, &a, T0 + 2 * HOUR, &id2, &count), 0);
	assert_true(id2 != id4);
	assert_int_equal(mg_store_alert_acknowledge(db, 999, 7, T0), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_alert_get(db, 999, &got), MG_ERR_NOT_FOUND);

	/* Lists: newest first, by state, since, limit. */
	memset(list, 0, sizeof(list));
	assert_int_equal(mg_store_alert_list(db, &(struct mg_alert_filter){ .state = -1 },
					collect_alert, list), 0);
	assert_int_equal(list[0].id, id2);
	assert_int_equal(list[1].id, id4);
	assert_int_equal(list[4].id, 0);
	memset(list, 0, sizeof(list));
	assert_int_equal(mg_store_alert_list(db, &(struct mg_alert_filter){ .state = MG_ALERT_ACKNOWLEDGED },
					collect_alert, list), 0);
	assert_int_equal(list[0].id, id4);
	assert_int_equal(list[1].id, 0);
	memset(list, 0, sizeof(list));
	assert_int_equal(mg_store_alert_list(db, &(struct mg_alert_filter){ .state = MG_ALERT_OPEN,
								   .since_ms = T0 + 1500, .limit = 1 },
					collect_alert, list), 0);
	assert_int_equal(list[0].id, id2);
	assert_int_equal(list[1].id, 0);

	/* Bad input changes nothing. */
	a = alert_of("", "x", MG_SEVERITY_LOW, T0);
	assert_int_equal(mg_store_alert_raise(db, &a, 0, &id, &count), MG_ERR_INVALID);
	a = alert_of("k", "x", (enum mg_alert_severity)9, T0);
	assert_int_equal(mg_store_alert_raise(db, &a, 0, &id, &count), MG_ERR_INVALID);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM alerts", 0), 4);
}

/* An alert names the account whose own action it is about; a grouped
 * repeat keeps the first account named, or takes one if it had none. */
static void test_alert_caused_by(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	struct mg_alert a, got, list[4];
	int64_t id, id2, other, count;

	/* Repeats by the same account group; another account's action is
	 * another alert, so each reviewer sees whose action it was. */
	a = alert_of("user.admin.self", "user:7", MG_SEVERITY_HIGH, T0);
	a.caused_by = 7;
	assert_int_equal(mg_store_alert_raise(db, &a, T0 - HOUR, &id, &count), 0);
	assert_int_equal(mg_store_alert_get(db, id, &got), 0);
	assert_int_equal(got.caused_by, 7);
	a.last_ms = T0 + 1;
	assert_int_equal(mg_store_alert_raise(db, &a, T0 - HOUR, &id2, &count), 0);
	assert_int_equal(id2, id);
	assert_int_equal(count, 2);
	a.caused_by = 8;
	a.last_ms = T0 + 2;
	assert_int_equal(mg_store_alert_raise(db, &a, T0 - HOUR, &other, &count), 0);
	assert_true(other != id);
	assert_int_equal(count, 1);
	assert_int_equal(mg_store_alert_get(db, other, &got), 0);
	assert_int_equal(got.caused_by, 8);
	assert_int_equal(mg_store_alert_get(db, id, &got), 0);
	assert_int_equal(got.caused_by, 7);
	assert_int_equal(got.count, 2);

	/* Lists carry it too. */
	memset(list, 0, sizeof(list));
	assert_int_equal(mg_store_alert_list(db, NULL, collect_alert, list), 0);
	assert_int_equal(list[0].id, other);	/* newest first */
	assert_int_equal(list[0].caused_by, 8);
	assert_int_equal(list[1].id, id);
	assert_int_equal(list[1].caused_by, 7);
	assert_int_equal(list[2].id, 0);
}

struct raiser {
	struct mg_store *db;
	int failures;
};

static void *raise_many(void *arg)
{
	struct raiser *r = arg;
	struct mg_alert a = alert_of("device.rate", "device:1", MG_SEVERITY_MEDIUM, T0);
	int64_t id, count;

	for (int i = 0; i < 50; i++)
		if (mg_store_alert_raise(r->db, &a, T0 - HOUR, &id, &count) != 0)
			r->failures++;
	return NULL;
}

/* Four threads raising the same alert at once make one alert of 200. */
static void test_alert_concurrent(void **state)
{
	struct store_fixture *f = *state;
	struct raiser r[4];
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		r[i] = (struct raiser){ .db = f->store };
		assert_int_equal(pthread_create(&t[i], NULL, raise_many, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(r[i].failures, 0);
	}
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM alerts", 0), 1);
	assert_int_equal(store_sql_count(f, "SELECT count FROM alerts", 0), 200);
}

static int collect_entry(const struct mg_incident_entry *e, void *arg)
{
	struct mg_incident_entry *out = arg;
	size_t i = 0;

	while (out[i].id != 0)
		i++;
	out[i] = *e;
	return 0;
}

static int count_incident(const struct mg_incident *inc, void *arg)
{
	(void)inc;
	(*(int *)arg)++;
	return 0;
}

static void test_incidents(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	struct mg_alert a = alert_of("device.certificate", "address:10.0.0.9", MG_SEVERITY_HIGH, T0);
	struct mg_alert got;
	struct mg_incident inc;
	struct mg_incident_entry entries[8];
	int64_t a1, a2, id, id2, count;
	int n = 0;

	assert_int_equal(mg_store_alert_raise(db, &a, 0, &a1, &count), 0);
	a = alert_of("device.rate", "device:4", MG_SEVERITY_MEDIUM, T0);
	assert_int_equal(mg_store_alert_raise(db, &a, 0, &a2, &count), 0);

	/* An unknown alert: nothing is made. */
	assert_int_equal(mg_store_incident_create(db, "Probe", MG_SEVERITY_HIGH, 3, T0,
					     (int64_t[]){ a1, 999 }, 2, &id),
			 MG_ERR_NOT_FOUND);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM incidents", 0), 0);
	assert_int_equal(mg_store_alert_get(db, a1, &got), 0);
	assert_int_equal(got.incident_id, 0);

	assert_int_equal(mg_store_incident_create(db, "Probe from 10.0.0.9", MG_SEVERITY_HIGH, 3, T0,
					     (int64_t[]){ a1 }, 1, &id), 0);
	assert_int_equal(mg_store_incident_get(db, id, &inc), 0);
	assert_string_equal(inc.title, "Probe from 10.0.0.9");
	assert_int_equal(inc.status, MG_INCIDENT_OPEN);
	assert_int_equal(inc.opened_by, 3);
	assert_int_equal(mg_store_alert_get(db, a1, &got), 0);
	assert_int_equal(got.incident_id, id);

	/* An alert belongs to one incident. */
	assert_int_equal(mg_store_incident_create(db, "Other", MG_SEVERITY_LOW, 3, T0,
					     (int64_t[]){ a1 }, 1, &id2), MG_ERR_EXISTS);
	assert_int_equal(mg_store_incident_link_alert(db, id, a2, 3, T0 + 10), 0);
	assert_int_equal(mg_store_incident_link_alert(db, 999, a2, 3, T0 + 10), MG_ERR_NOT_FOUND);

	assert_int_equal(mg_store_incident_add_entry(db, id, 3, T0 + 20, "action",
						"device 4 blocked"), 0);
	assert_int_equal(mg_store_incident_add_entry(db, 999, 3, T0 + 20, "note", "x"),
			 MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_incident_set_status(db, id, MG_INCIDENT_CLOSED, 3, T0 + 30,
						 "contained"), 0);
	assert_int_equal(mg_store_incident_get(db, id, &inc), 0);
	assert_int_equal(inc.status, MG_INCIDENT_CLOSED);
	assert_int_equal(inc.closed_ms, T0 + 30);
	assert_int_equal(inc.updated_ms, T0 + 30);
	assert_int_equal(mg_store_incident_set_status(db, id, MG_INCIDENT_RESPONDING, 3, T0 + 40,
						 "reopened"), 0);
	assert_int_equal(mg_store_incident_get(db, id, &inc), 0);
	assert_int_equal(inc.closed_ms, 0);
	assert_int_equal(mg_store_incident_set_status(db, 999, MG_INCIDENT_CLOSED, 3, T0, "x"),
			 MG_ERR_NOT_FOUND);

	memset(entries, 0, sizeof(entries));
	assert_int_equal(mg_store_incident_entries(db, id, collect_entry, entries), 0);
	assert_string_equal(entries[0].kind, "opened");
	assert_string_equal(entries[1].kind, "alert");
	assert_string_equal(entries[2].kind, "action");
	assert_string_equal(entries[2].text, "device 4 blocked");
	assert_string_equal(entries[3].kind, "status");
	assert_string_equal(entries[4].text, "reopened");
	assert_int_equal(entries[5].id, 0);

	assert_int_equal(mg_store_incident_list(db, count_incident, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(mg_store_incident_create(db, "", MG_SEVERITY_LOW, 3, T0, NULL, 0, &id2),
			 MG_ERR_INVALID);
}

static void test_user_addresses(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	int64_t user = store_user(f, "root", 1, NULL, 0);
	unsigned known;
	bool fresh;

	assert_int_equal(mg_store_user_address_seen(db, user, "127.0.0.1", T0, &fresh, &known), 0);
	assert_true(fresh);
	assert_int_equal(known, 0);
	assert_int_equal(mg_store_user_address_seen(db, user, "127.0.0.1", T0 + 1, &fresh, &known), 0);
	assert_false(fresh);
	assert_int_equal(known, 0);
	assert_int_equal(mg_store_user_address_seen(db, user, "::1", T0 + 2, &fresh, &known), 0);
	assert_true(fresh);
	assert_int_equal(known, 1);
	assert_int_equal(mg_store_user_address_seen(db, user, "127.0.0.1", T0 + 3, &fresh, &known), 0);
	assert_false(fresh);
	assert_int_equal(known, 1);
}

static int64_t put_weight(struct store_fixture *f, int64_t device, const char *mid,
			  const char *patient, int64_t at, double kg)
{
	struct mg_measurement m;
	struct mg_measurement_put p, *items[1] = { &p };

	memset(&m, 0, sizeof(m));
	memset(&p, 0, sizeof(p));
	snprintf(m.device_mid, sizeof(m.device_mid), "%s", mid);
	m.time_ms = at;
	m.nvalues = 1;
	m.values[0].quantity = mg_quantity_find("body_weight");
	m.values[0].value = kg;
	m.device_id = device;
	m.tenant_id = f->tenant;
	p.m = &m;
	memset(p.blind_index, patient[0], sizeof(p.blind_index));
	p.sealed_len = 8;
	p.received_ms = at;
	assert_int_equal(mg_store_measurement_put_batch(f->store, items, 1), 0);
	assert_int_equal(p.result, 0);
	return p.id;
}

static void test_previous_value(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	int64_t device = store_device(f, f->tenant, 1);
	int64_t first, second, other, late, at;
	double v;

	first = put_weight(f, device, "m1", "A", T0, 70.0);
	other = put_weight(f, device, "m2", "B", T0 + 1000, 50.0);
	second = put_weight(f, device, "m3", "A", T0 + 2000, 91.0);
	late = put_weight(f, device, "m4", "A", T0 + 30 * HOUR, 90.0);

	assert_int_equal(mg_store_measurement_previous_value(db, second, "body_weight", 24 * HOUR,
							&v, &at), 0);
	assert_true(v == 70.0);
	assert_int_equal(at, T0);
	assert_int_equal(mg_store_measurement_previous_value(db, first, "body_weight", 24 * HOUR,
							&v, &at), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_measurement_previous_value(db, other, "body_weight", 24 * HOUR,
							&v, &at), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_measurement_previous_value(db, late, "body_weight", 24 * HOUR,
							&v, &at), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_measurement_previous_value(db, second, "body_height", 24 * HOUR,
							&v, &at), MG_ERR_NOT_FOUND);
}

static void test_leases(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;

	assert_int_equal(mg_store_lease_acquire(db, "audit.syslog", "gw-a", T0, 10000), 0);
	assert_int_equal(mg_store_lease_acquire(db, "audit.syslog", "gw-b", T0 + 5000, 10000),
			 MG_ERR_BUSY);
	assert_int_equal(mg_store_lease_acquire(db, "audit.syslog", "gw-a", T0 + 5000, 10000), 0);
	assert_int_equal(mg_store_lease_acquire(db, "detect.scan", "gw-b", T0 + 5000, 10000), 0);
	/* gw-a renewed until T0 + 15000. */
	assert_int_equal(mg_store_lease_acquire(db, "audit.syslog", "gw-b", T0 + 14000, 10000),
			 MG_ERR_BUSY);
	assert_int_equal(mg_store_lease_acquire(db, "audit.syslog", "gw-b", T0 + 15001, 10000), 0);
	assert_int_equal(mg_store_lease_acquire(db, "audit.syslog", "gw-a", T0 + 15002, 10000),
			 MG_ERR_BUSY);
	assert_int_equal(mg_store_lease_acquire(db, "x", "gw-a", T0, 0), MG_ERR_INVALID);
}

static struct mg_advisory_finding finding_of(const char *id, const char *package,
					     const char *fixed)
{
	struct mg_advisory_finding a;

	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "%s", id);
	snprintf(a.package, sizeof(a.package), "%s", package);
	snprintf(a.source, sizeof(a.source), "src-%s", package);
	snprintf(a.installed, sizeof(a.installed), "1:2.0-1~deb12u1");
	snprintf(a.fixed, sizeof(a.fixed), "%s", fixed);
	snprintf(a.summary, sizeof(a.summary), "flaw in %s", package);
	a.imported_ms = T0;
	return a;
}

static int collect_advisory(const struct mg_advisory_finding *a, void *arg)
{
	struct mg_advisory_finding *out = arg;
	size_t i = 0;

	while (out[i].id[0] != '\0')
		i++;
	out[i] = *a;
	return 0;
}

/* An import replaces the whole list, in one transaction; a refused row
 * leaves the previous import as it was. */
static void test_advisories(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	struct mg_advisory_finding rows[3], got[4];

	rows[0] = finding_of("CVE-2024-2", "libzlib", "");
	rows[1] = finding_of("CVE-2024-1", "libabc", "2.0-2");
	rows[2] = finding_of("DSA-5000-1", "libabc", "2.0-3");
	assert_int_equal(mg_store_advisory_replace(db, rows, 3), 0);
	memset(got, 0, sizeof(got));
	assert_int_equal(mg_store_advisory_list(db, collect_advisory, got), 0);
	assert_string_equal(got[0].id, "CVE-2024-1");
	assert_string_equal(got[0].package, "libabc");
	assert_string_equal(got[0].source, "src-libabc");
	assert_string_equal(got[0].installed, "1:2.0-1~deb12u1");
	assert_string_equal(got[0].fixed, "2.0-2");
	assert_int_equal(got[0].imported_ms, T0);
	assert_string_equal(got[1].id, "DSA-5000-1");
	assert_string_equal(got[2].package, "libzlib");
	assert_string_equal(got[2].fixed, "");
	assert_string_equal(got[3].id, "");

	/* The same pair twice: refused whole, the earlier list stays. */
	rows[1] = rows[0];
	assert_int_equal(mg_store_advisory_replace(db, rows, 2), MG_ERR_EXISTS);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM advisories", 0), 3);
	rows[0].installed[0] = '\0';
	assert_int_equal(mg_store_advisory_replace(db, rows, 1), MG_ERR_INVALID);
	assert_int_equal(mg_store_advisory_replace(db, NULL, 1), MG_ERR_INVALID);
	assert_int_equal(mg_store_advisory_replace(db, rows, MG_ADVISORY_FINDINGS_MAX + 1),
			 MG_ERR_LIMIT);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM advisories", 0), 3);

	/* An import that found nothing empties the list. */
	assert_int_equal(mg_store_advisory_replace(db, NULL, 0), 0);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM advisories", 0), 0);
}

/* A device of the fixture's first tenant whose certificate ends at
 * not_after, with status st. */
static void device_with(struct store_fixture *f, const char *name, int64_t not_after,
			enum mg_device_status st)
{
	unsigned char hash[MG_TOKEN_HASH_BYTES] = { 0 };
	struct mg_device d;
	int64_t token;

	memcpy(hash, name, strlen(name) < sizeof(hash) ? strlen(name) : sizeof(hash));
	assert_int_equal(mg_store_token_create(f->store, f->tenant, name, hash, T0 + HOUR, &token),
			 0);
	memset(&d, 0, sizeof(d));
	d.tenant_id = f->tenant;
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.cert_fingerprint, sizeof(d.cert_fingerprint), "%064zu", strlen(name));
	snprintf(d.cert_serial, sizeof(d.cert_serial), "0%zu", strlen(name));
	d.cert_not_after_ms = not_after;
	assert_int_equal(mg_store_device_enrol(f->store, token, T0, &d), 0);
	if (st != MG_DEVICE_ACTIVE)
		assert_int_equal(mg_store_device_set_status(f->store, d.id, st), 0);
}

/* The figures /metrics and the health page read: devices by state,
 * certificates ending before a time, open alerts by severity, sessions
 * not expired, the audit trail's head. */
static void test_figures(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	struct mg_store_figures fig;
	struct mg_session sess;
	unsigned char hash[MG_TOKEN_HASH_BYTES] = { 1 };
	struct mg_alert a;
	int64_t id, count, user;
	struct mg_user_new u = { .name = "nurse", .password_hash = "$argon2id$x", .roles = 0 };

	assert_int_equal(mg_store_figures(db, T0, T0 + HOUR, &fig), 0);
	assert_int_equal(fig.devices[MG_DEVICE_ACTIVE], 0);
	assert_int_equal(fig.audit_head_seq, 0);
	assert_int_equal(fig.sessions_active, 0);

	device_with(f, "scale-a", T0 + 2 * HOUR, MG_DEVICE_ACTIVE);
	device_with(f, "scale-bb", T0 + 30 * 60000, MG_DEVICE_ACTIVE);	/* ends soon */
	device_with(f, "scale-ccc", T0 + 60000, MG_DEVICE_BLOCKED);	/* ends soon, blocked */
	a = alert_of("emr.connection_refused", "emr:ehr", MG_SEVERITY_HIGH, T0);
	assert_int_equal(mg_store_alert_raise(db, &a, T0 - HOUR, &id, &count), 0);
	a = alert_of("device.silent", "device:1", MG_SEVERITY_LOW, T0);
	assert_int_equal(mg_store_alert_raise(db, &a, T0 - HOUR, &id, &count), 0);
	a = alert_of("store.free_space", "store", MG_SEVERITY_HIGH, T0);
	assert_int_equal(mg_store_alert_raise(db, &a, T0 - HOUR, &id, &count), 0);
	assert_int_equal(mg_store_alert_acknowledge(db, id, 7, T0 + 1), 0);
	assert_int_equal(mg_store_user_create(db, &u, &user), 0);
	memset(&sess, 0, sizeof(sess));
	sess.user_id = user;
	snprintf(sess.csrf, sizeof(sess.csrf), "%043d", 0);
	snprintf(sess.address, sizeof(sess.address), "127.0.0.1");
	sess.created_ms = sess.last_seen_ms = T0;
	sess.expires_ms = T0 + HOUR;
	assert_int_equal(mg_store_session_create(db, hash, &sess, 0), 0);

	assert_int_equal(mg_store_figures(db, T0, T0 + HOUR, &fig), 0);
	assert_int_equal(fig.devices[MG_DEVICE_ACTIVE], 2);
	assert_int_equal(fig.devices[MG_DEVICE_BLOCKED], 1);
	assert_int_equal(fig.devices[MG_DEVICE_REVOKED], 0);
	assert_int_equal(fig.device_certs_expiring, 1);	/* active ones only */
	assert_int_equal(fig.alerts_open[MG_SEVERITY_HIGH], 1);
	assert_int_equal(fig.alerts_open[MG_SEVERITY_LOW], 1);
	assert_int_equal(fig.alerts_open[MG_SEVERITY_CRITICAL], 0);
	assert_int_equal(fig.sessions_active, 1);
	/* An hour later the session has ended. */
	assert_int_equal(mg_store_figures(db, T0 + 2 * HOUR, T0 + 3 * HOUR, &fig), 0);
	assert_int_equal(fig.sessions_active, 0);
	assert_int_equal(fig.device_certs_expiring, 2);
	assert_int_equal(mg_store_figures(db, -1, T0, &fig), MG_ERR_INVALID);
	assert_int_equal(fig.devices[MG_DEVICE_ACTIVE], 0);	/* outputs cleared */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alert_grouping, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_alert_caused_by, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_alert_concurrent, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_incidents, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_user_addresses, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_previous_value, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_figures, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_leases, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_advisories, store_fixture_setup,
						store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
