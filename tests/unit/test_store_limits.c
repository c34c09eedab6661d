/* One answer for bad input on both back ends: the front (src/store/
 * front.c) checks arguments and limits once, so an over-long text is
 * MG_ERR_LIMIT, a missing or malformed one MG_ERR_INVALID, and a look-up
 * by a key longer than any stored one MG_ERR_NOT_FOUND, whichever back
 * end runs (store_fixture.h runs this suite on each). Before the front,
 * an over-long incident title was MG_ERR_LIMIT on PostgreSQL and
 * MG_ERR_INVALID on SQLite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixture.h"

/* Longer than every limit of store.h. */
static char too_long[MG_INCIDENT_TEXT_MAX + 2];

/* A text of exactly max + 1 bytes: one byte over. */
static const char *over(size_t max)
{
	static char text[MG_INCIDENT_TEXT_MAX + 2];

	memset(text, 'x', max + 1);
	text[max + 1] = '\0';
	return text;
}

struct bad_call {
	const char *what;
	int (*call)(struct store_fixture *f);
	int want;
};

static int snapshot_path_long(struct store_fixture *f)
{
	char err[128];

	return mg_store_snapshot(f->store, over(MG_PATH_MAX), NULL, NULL, err, sizeof(err));
}

static int snapshot_path_empty(struct store_fixture *f)
{
	char err[128];

	return mg_store_snapshot(f->store, "", NULL, NULL, err, sizeof(err));
}

static int incident_title_long(struct store_fixture *f)
{
	int64_t id;

	return mg_store_incident_create(f->store, over(MG_INCIDENT_TITLE_MAX), MG_SEVERITY_LOW, 1,
					STORE_T0, NULL, 0, &id);
}

static int incident_title_empty(struct store_fixture *f)
{
	int64_t id;

	return mg_store_incident_create(f->store, "", MG_SEVERITY_LOW, 1, STORE_T0, NULL, 0, &id);
}

static int incident_severity_bad(struct store_fixture *f)
{
	int64_t id;

	return mg_store_incident_create(f->store, "t", (enum mg_alert_severity)9, 1, STORE_T0, NULL,
					0, &id);
}

static int incident_alerts_null(struct store_fixture *f)
{
	int64_t id;

	return mg_store_incident_create(f->store, "t", MG_SEVERITY_LOW, 1, STORE_T0, NULL, 2, &id);
}

static int incident_text_long(struct store_fixture *f)
{
	return mg_store_incident_add_entry(f->store, 1, 1, STORE_T0, "note",
					   over(MG_INCIDENT_TEXT_MAX));
}

static int incident_kind_long(struct store_fixture *f)
{
	return mg_store_incident_add_entry(f->store, 1, 1, STORE_T0, over(MG_INCIDENT_KIND_MAX),
					   "text");
}

static int incident_kind_empty(struct store_fixture *f)
{
	return mg_store_incident_add_entry(f->store, 1, 1, STORE_T0, "", "text");
}

static int incident_status_text_long(struct store_fixture *f)
{
	return mg_store_incident_set_status(f->store, 1, MG_INCIDENT_CLOSED, 1, STORE_T0,
					    over(MG_INCIDENT_TEXT_MAX));
}

static int incident_status_bad(struct store_fixture *f)
{
	return mg_store_incident_set_status(f->store, 1, (enum mg_incident_status)7, 1, STORE_T0,
					    "x");
}

static int tenant_name_long(struct store_fixture *f)
{
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES] = {0};
	int64_t id;

	return mg_store_tenant_create(f->store, over(MG_NAME_MAX), wrapped, &id);
}

static int tenant_rename_long(struct store_fixture *f)
{
	return mg_store_tenant_rename(f->store, f->tenant, over(MG_NAME_MAX));
}

static int tenant_by_name_long(struct store_fixture *f)
{
	struct mg_tenant t;

	return mg_store_tenant_by_name(f->store, too_long, &t);
}

static int user_name_long(struct store_fixture *f)
{
	const struct mg_user_new u = {.name = over(MG_NAME_MAX), .password_hash = "$h"};
	int64_t id;

	return mg_store_user_create(f->store, &u, &id);
}

static int user_by_name_long(struct store_fixture *f)
{
	struct mg_user u;

	return mg_store_user_by_name(f->store, too_long, &u);
}

static int token_device_name_long(struct store_fixture *f)
{
	unsigned char hash[MG_TOKEN_HASH_BYTES];
	int64_t id;

	store_hash(hash, 1);
	return mg_store_token_create(f->store, f->tenant, over(MG_NAME_MAX), hash, STORE_T0, &id);
}

static int device_firmware_long(struct store_fixture *f)
{
	return mg_store_device_set_firmware(f->store, 1, over(MG_FIRMWARE_MAX));
}

static int device_status_bad(struct store_fixture *f)
{
	return mg_store_device_set_status(f->store, 1, (enum mg_device_status)5);
}

static int device_by_fingerprint_long(struct store_fixture *f)
{
	struct mg_device d;

	return mg_store_device_by_fingerprint(f->store, too_long, &d);
}

static int setting_name_long(struct store_fixture *f)
{
	return mg_store_setting_set(f->store, over(MG_NAME_MAX), "v");
}

static int setting_value_long(struct store_fixture *f)
{
	return mg_store_setting_set(f->store, "n", over(MG_SETTING_VALUE_MAX));
}

static int setting_get_long(struct store_fixture *f)
{
	char value[8];

	return mg_store_setting_get(f->store, too_long, value, sizeof(value));
}

static int address_long(struct store_fixture *f)
{
	unsigned n;

	return mg_store_address_failed(f->store, over(MG_ADDRESS_TEXT_MAX), STORE_T0, 1000, &n);
}

static int address_seen_long(struct store_fixture *f)
{
	bool fresh;
	unsigned known;

	return mg_store_user_address_seen(f->store, 1, over(MG_ADDRESS_TEXT_MAX), STORE_T0, &fresh,
					  &known);
}

static int previous_quantity_long(struct store_fixture *f)
{
	double v;
	int64_t t;

	return mg_store_measurement_previous_value(f->store, 1, over(MG_QUANTITY_NAME_MAX), 1000,
						   &v, &t);
}

static int previous_window_negative(struct store_fixture *f)
{
	double v;
	int64_t t;

	return mg_store_measurement_previous_value(f->store, 1, "body_weight", -1, &v, &t);
}

static int lease_name_long(struct store_fixture *f)
{
	return mg_store_lease_acquire(f->store, over(MG_NAME_MAX), "gw", STORE_T0, 1000);
}

static int lease_holder_long(struct store_fixture *f)
{
	return mg_store_lease_acquire(f->store, "job", over(MG_NAME_MAX), STORE_T0, 1000);
}

static int lease_ttl_zero(struct store_fixture *f)
{
	return mg_store_lease_acquire(f->store, "job", "gw", STORE_T0, 0);
}

/* A text filling its whole array has no end inside it. */
static int alert_kind_unended(struct store_fixture *f)
{
	struct mg_alert a = {.severity = MG_SEVERITY_LOW, .last_ms = STORE_T0};
	int64_t id, count;

	memset(a.kind, 'k', sizeof(a.kind));
	return mg_store_alert_raise(f->store, &a, 0, &id, &count);
}

static struct mg_advisory_finding advisory_row(void)
{
	struct mg_advisory_finding a = {.imported_ms = STORE_T0};

	snprintf(a.id, sizeof(a.id), "CVE-2024-1");
	snprintf(a.package, sizeof(a.package), "libx1");
	snprintf(a.installed, sizeof(a.installed), "1.0-1");
	return a;
}

static int advisory_package_unended(struct store_fixture *f)
{
	struct mg_advisory_finding a = advisory_row();

	memset(a.package, 'p', sizeof(a.package));
	return mg_store_advisory_replace(f->store, &a, 1);
}

static int advisory_id_empty(struct store_fixture *f)
{
	struct mg_advisory_finding a = advisory_row();

	a.id[0] = '\0';
	return mg_store_advisory_replace(f->store, &a, 1);
}

static int advisory_too_many(struct store_fixture *f)
{
	struct mg_advisory_finding a = advisory_row();

	return mg_store_advisory_replace(f->store, &a, MG_ADVISORY_FINDINGS_MAX + 1);
}

static int change_note_long(struct store_fixture *f)
{
	return mg_store_change_review(f->store, 1, "sec", STORE_T0, over(MG_CHANGE_NOTE_MAX));
}

static int change_reviewer_long(struct store_fixture *f)
{
	return mg_store_change_review(f->store, 1, over(MG_AUDIT_ACTOR_MAX), STORE_T0, "");
}

static int change_reviewer_empty(struct store_fixture *f)
{
	return mg_store_change_review(f->store, 1, "", STORE_T0, "");
}

static int no_change(const struct mg_change_entry *c, void *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

static int change_page_too_big(struct store_fixture *f)
{
	const struct mg_change_filter flt = {.limit = MG_CHANGE_PAGE_MAX + 1};

	return mg_store_change_list(f->store, &flt, no_change, NULL);
}

static int change_page_empty(struct store_fixture *f)
{
	const struct mg_change_filter flt = {.limit = 0};

	return mg_store_change_list(f->store, &flt, no_change, NULL);
}

static int outbox_destination_long(struct store_fixture *f)
{
	struct mg_outbox_item items[1];
	size_t n;

	return mg_store_outbox_claim(f->store, over(MG_EMR_NAME_MAX), STORE_T0, 1000, items, 1, &n);
}

static int outbox_destination_null(struct store_fixture *f)
{
	struct mg_outbox_stats st;

	return mg_store_outbox_stats(f->store, NULL, &st);
}

static int user_roles_conflict(struct store_fixture *f)
{
	const struct mg_user_new u = {.name = "u", .password_hash = "$h",
				      .roles = MG_ROLE_CLINICIAN | MG_ROLE_SERVICE};
	int64_t id;

	return mg_store_user_create(f->store, &u, &id);
}

static int user_set_roles_conflict(struct store_fixture *f)
{
	return mg_store_user_set_roles(f->store, 1, MG_ROLE_ADMIN | MG_ROLE_TENANT_ADMIN);
}

static int user_set_roles_unknown(struct store_fixture *f)
{
	return mg_store_user_set_roles(f->store, 1, MG_ROLE_CLINICIAN | MG_ROLE_ADMIN | 1u << 9);
}

static int user_set_access_conflict(struct store_fixture *f)
{
	return mg_store_user_set_access(f->store, 1, MG_ROLE_CLINICIAN | MG_ROLE_SECURITY_OFFICER,
					&f->tenant, 1);
}

/* Too many tenants and conflicting roles: the limit is named first. */
static int user_set_access_many_conflict(struct store_fixture *f)
{
	static const int64_t many[MG_USER_TENANTS_MAX + 1];

	return mg_store_user_set_access(f->store, 1, MG_ROLE_CLINICIAN | MG_ROLE_ADMIN, many,
					MG_USER_TENANTS_MAX + 1);
}

static int erase_batch_large(struct store_fixture *f)
{
	int64_t n;

	return mg_store_measurement_erase_before(f->store, STORE_T0, MG_ERASE_BATCH_MAX + 1, &n);
}

static int erase_batch_zero(struct store_fixture *f)
{
	int64_t n;

	return mg_store_measurement_erase_before(f->store, STORE_T0, 0, &n);
}

static int no_row(const struct mg_patient_row *row, void *arg)
{
	(void)row;
	(void)arg;
	return 0;
}

static int patient_list_large(struct store_fixture *f)
{
	return mg_store_patient_list(f->store, f->tenant, 0, MG_PATIENT_SEARCH_MAX + 1, no_row, NULL);
}

static int patient_erase_no_counts(struct store_fixture *f)
{
	return mg_store_patient_erase(f->store, f->tenant, 1, NULL);
}

static const struct bad_call bad_calls[] = {
    {"retention batch too large", erase_batch_large, MG_ERR_LIMIT},
    {"retention batch of none", erase_batch_zero, MG_ERR_INVALID},
    {"patient list page too large", patient_list_large, MG_ERR_LIMIT},
    {"patient erase without counts", patient_erase_no_counts, MG_ERR_INVALID},
    {"incident title too long", incident_title_long, MG_ERR_LIMIT},
    {"incident title empty", incident_title_empty, MG_ERR_INVALID},
    {"incident severity out of range", incident_severity_bad, MG_ERR_INVALID},
    {"incident alerts NULL with a count", incident_alerts_null, MG_ERR_INVALID},
    {"incident entry text too long", incident_text_long, MG_ERR_LIMIT},
    {"incident entry kind too long", incident_kind_long, MG_ERR_LIMIT},
    {"incident entry kind empty", incident_kind_empty, MG_ERR_INVALID},
    {"incident status text too long", incident_status_text_long, MG_ERR_LIMIT},
    {"incident status out of range", incident_status_bad, MG_ERR_INVALID},
    {"tenant name too long", tenant_name_long, MG_ERR_LIMIT},
    {"tenant rename too long", tenant_rename_long, MG_ERR_LIMIT},
    {"tenant look-up by too long a name", tenant_by_name_long, MG_ERR_NOT_FOUND},
    {"user name too long", user_name_long, MG_ERR_LIMIT},
    {"user look-up by too long a name", user_by_name_long, MG_ERR_NOT_FOUND},
    {"user created with conflicting roles", user_roles_conflict, MG_ERR_CONFLICT},
    {"user roles in conflict", user_set_roles_conflict, MG_ERR_CONFLICT},
    {"user roles in conflict with an unknown bit", user_set_roles_unknown, MG_ERR_INVALID},
    {"user access with conflicting roles", user_set_access_conflict, MG_ERR_CONFLICT},
    {"user access: too many tenants, conflicting roles", user_set_access_many_conflict,
     MG_ERR_LIMIT},
    {"token device name too long", token_device_name_long, MG_ERR_LIMIT},
    {"device firmware too long", device_firmware_long, MG_ERR_LIMIT},
    {"device status out of range", device_status_bad, MG_ERR_INVALID},
    {"device look-up by too long a fingerprint", device_by_fingerprint_long, MG_ERR_NOT_FOUND},
    {"setting name too long", setting_name_long, MG_ERR_LIMIT},
    {"setting value too long", setting_value_long, MG_ERR_LIMIT},
    {"setting look-up by too long a name", setting_get_long, MG_ERR_NOT_FOUND},
    {"failed-login address too long", address_long, MG_ERR_LIMIT},
    {"sign-in address too long", address_seen_long, MG_ERR_LIMIT},
    {"previous value quantity too long", previous_quantity_long, MG_ERR_LIMIT},
    {"previous value window negative", previous_window_negative, MG_ERR_INVALID},
    {"snapshot path too long", snapshot_path_long, MG_ERR_LIMIT},
    {"snapshot path empty", snapshot_path_empty, MG_ERR_INVALID},
    {"lease name too long", lease_name_long, MG_ERR_LIMIT},
    {"lease holder too long", lease_holder_long, MG_ERR_LIMIT},
    {"lease without time to run", lease_ttl_zero, MG_ERR_INVALID},
    {"alert kind not ended in its array", alert_kind_unended, MG_ERR_INVALID},
    {"advisory package not ended in its array", advisory_package_unended, MG_ERR_INVALID},
    {"advisory id empty", advisory_id_empty, MG_ERR_INVALID},
    {"advisories more than the findings limit", advisory_too_many, MG_ERR_LIMIT},
    {"change review note too long", change_note_long, MG_ERR_LIMIT},
    {"change reviewer too long", change_reviewer_long, MG_ERR_LIMIT},
    {"change reviewer empty", change_reviewer_empty, MG_ERR_INVALID},
    {"change page above its maximum", change_page_too_big, MG_ERR_LIMIT},
    {"change page of no rows", change_page_empty, MG_ERR_INVALID},
    {"outbox destination too long", outbox_destination_long, MG_ERR_LIMIT},
    {"outbox destination NULL", outbox_destination_null, MG_ERR_INVALID},
};

static void test_bad_input_same_answer(void **state)
{
	struct store_fixture *f = *state;

	memset(too_long, 'y', sizeof(too_long) - 1);
	for (size_t i = 0; i < sizeof(bad_calls) / sizeof(bad_calls[0]); i++) {
		int r = bad_calls[i].call(f);

		if (r != bad_calls[i].want)
			fail_msg("%s on %s: %s, expected %s", bad_calls[i].what,
				 mg_store_name(f->store), mg_strerror(r),
				 mg_strerror(bad_calls[i].want));
	}
	/* Refused calls change nothing. */
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM incidents", 0), 0);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM tenants", 0), 2);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM users", 0), 0);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM enrol_tokens", 0), 0);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM settings", 0), 0);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM leases", 0), 0);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM alerts", 0), 0);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM advisories", 0), 0);
}

/* At the limit itself, texts are taken, on both back ends. */
static void test_at_limit_accepted(void **state)
{
	struct store_fixture *f = *state;
	char title[MG_INCIDENT_TITLE_MAX + 1], text[MG_INCIDENT_TEXT_MAX + 1];
	struct mg_incident inc;
	int64_t id;

	memset(title, 't', sizeof(title) - 1);
	title[sizeof(title) - 1] = '\0';
	memset(text, 'e', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(
	    mg_store_incident_create(f->store, title, MG_SEVERITY_HIGH, 1, STORE_T0, NULL, 0, &id),
	    0);
	assert_int_equal(mg_store_incident_add_entry(f->store, id, 1, STORE_T0, "note", text), 0);
	assert_int_equal(mg_store_incident_get(f->store, id, &inc), 0);
	assert_string_equal(inc.title, title);
	assert_int_equal(mg_store_tenant_rename(f->store, f->tenant, over(MG_NAME_MAX - 1)), 0);
	assert_int_equal(mg_store_setting_set(f->store, "n", over(MG_SETTING_VALUE_MAX - 1)), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, store_fixture_setup, store_fixture_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_bad_input_same_answer),
	    T(test_at_limit_accepted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
