/* Remote maintenance in the store, on both back ends (store_fixture.h):
 * a request is granted or refused once, a grant is active until it ends
 * by itself or is ended, only the moves the rules allow are made
 * (MG_ERR_CONFLICT otherwise), and the front refuses what no back end
 * should see; a device's maintenance takes the device out of service from
 * its consent until the grant ends or is ended. Also the scope and state
 * names of src/model/maintenance.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "store_fixture.h"

#define T0 1700000000000LL
#define MINUTE 60000LL

static struct mg_maintenance asked(int64_t user, unsigned scope, unsigned minutes)
{
	struct mg_maintenance m;

	memset(&m, 0, sizeof(m));
	m.user_id = user;
	m.scope = scope;
	snprintf(m.reason, sizeof(m.reason), "EMR queue stuck, ticket 4711");
	m.minutes = minutes;
	m.state = MG_MAINT_REQUESTED;
	m.requested_ms = T0;
	return m;
}

static void test_scope_names(void **state)
{
	unsigned scope;
	char text[64];

	(void)state;
	assert_int_equal(mg_maintenance_scope_parse("diagnostics,devices", &scope), 0);
	assert_int_equal(scope, MG_MAINT_DIAGNOSTICS | MG_MAINT_DEVICES);
	assert_int_equal(mg_maintenance_scope_parse("devices", &scope), 0);
	assert_int_equal(scope, MG_MAINT_DEVICES);
	for (const char *const *bad = (const char *const[]){ "", ",", "devices,", "patients",
							     "diagnostics,,devices", "Device",
							     NULL };
	     *bad != NULL; bad++) {
		assert_int_equal(mg_maintenance_scope_parse(*bad, &scope), MG_ERR_INVALID);
		assert_int_equal(scope, 0);
	}
	assert_int_equal(mg_maintenance_scope_parse("device", &scope), 0);
	assert_int_equal(scope, MG_MAINT_DEVICE);
	mg_maintenance_scope_text(MG_MAINT_SCOPE_ALL, text, sizeof(text));
	assert_string_equal(text, "diagnostics,devices,device,log,self-test,firmware");
	assert_null(mg_maintenance_scope_name(MG_MAINT_SCOPE_ALL));
}

static void test_grant_and_end(void **state)
{
	struct store_fixture *f = *state;
	int64_t svc = store_user(f, "svc", MG_ROLE_SERVICE, NULL, 0), id = 0, other = 0;
	struct mg_maintenance m = asked(svc, MG_MAINT_DIAGNOSTICS, 30), got;

	assert_int_equal(mg_store_maintenance_request(f->store, &m, &id), 0);
	assert_true(id > 0);
	assert_int_equal(mg_store_maintenance_active(f->store, svc, T0, &got), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_maintenance_get(f->store, id, &got), 0);
	assert_string_equal(mg_maintenance_state_name(&got, T0), "requested");
	assert_string_equal(got.reason, "EMR queue stuck, ticket 4711");

	/* Granted for 30 minutes: active until then, expired after. */
	assert_int_equal(mg_store_maintenance_decide(f->store, id, MG_MAINT_GRANTED, 1, T0 + 1000,
						     T0 + 1000 + 30 * MINUTE), 0);
	assert_int_equal(mg_store_maintenance_decide(f->store, id, MG_MAINT_REFUSED, 1, T0 + 2000, 0),
			 MG_ERR_CONFLICT);
	assert_int_equal(mg_store_maintenance_active(f->store, svc, T0 + 2000, &got), 0);
	assert_int_equal(got.id, id);
	assert_int_equal(got.decided_by, 1);
	assert_int_equal(got.scope, MG_MAINT_DIAGNOSTICS);
	assert_true(mg_maintenance_active(&got, T0 + 2000));
	assert_string_equal(mg_maintenance_state_name(&got, T0 + 31 * MINUTE), "expired");
	assert_int_equal(mg_store_maintenance_active(f->store, svc, T0 + 31 * MINUTE, &got),
			 MG_ERR_NOT_FOUND);

	/* Ended at once: no longer active, and cannot end twice. */
	assert_int_equal(mg_store_maintenance_decide(f->store, id, MG_MAINT_ENDED, 1, T0 + 5 * MINUTE,
						     0), 0);
	assert_int_equal(mg_store_maintenance_active(f->store, svc, T0 + 5 * MINUTE + 1, &got),
			 MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_maintenance_get(f->store, id, &got), 0);
	assert_string_equal(mg_maintenance_state_name(&got, T0 + 6 * MINUTE), "ended");
	assert_int_equal(got.ends_ms, T0 + 5 * MINUTE);
	assert_int_equal(mg_store_maintenance_decide(f->store, id, MG_MAINT_ENDED, 1, T0 + 6 * MINUTE,
						     0), MG_ERR_CONFLICT);
	assert_int_equal(mg_store_maintenance_decide(f->store, 999999, MG_MAINT_ENDED, 1, T0, 0),
			 MG_ERR_NOT_FOUND);

	/* A refused request never becomes active; a direct grant is. */
	m = asked(svc, MG_MAINT_DIAGNOSTICS | MG_MAINT_DEVICES, 10);
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &other), 0);
	assert_int_equal(mg_store_maintenance_decide(f->store, other, MG_MAINT_REFUSED, 1, T0, 0), 0);
	assert_int_equal(mg_store_maintenance_decide(f->store, other, MG_MAINT_GRANTED, 1, T0,
						     T0 + MINUTE), MG_ERR_CONFLICT);
	m.state = MG_MAINT_GRANTED;
	m.decided_by = 0;
	m.decided_ms = T0;
	m.ends_ms = T0 + 10 * MINUTE;
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &other), 0);
	assert_int_equal(mg_store_maintenance_active(f->store, svc, T0 + MINUTE, &got), 0);
	assert_int_equal(got.id, other);
	assert_int_equal(got.scope, MG_MAINT_DIAGNOSTICS | MG_MAINT_DEVICES);
}

static void test_device_consent(void **state)
{
	struct store_fixture *f = *state;
	int64_t svc = store_user(f, "svc", MG_ROLE_SERVICE, NULL, 0), id = 0, id2 = 0;
	int64_t dev = store_device(f, f->tenant, 1), other = store_device(f, f->tenant, 2);
	struct mg_maintenance m = asked(svc, MG_MAINT_DEVICE, 30), got;
	struct mg_device d;

	/* The scope and the device go together. */
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &id), MG_ERR_INVALID);
	m.device_id = dev;
	m.scope = MG_MAINT_DIAGNOSTICS;
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &id), MG_ERR_INVALID);
	m.scope = MG_MAINT_DEVICE;
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &id), 0);

	/* Asked, not granted: no consent to give. */
	assert_int_equal(mg_store_maintenance_consent(f->store, dev, T0 + 1000, &got),
			 MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_maintenance_decide(f->store, id, MG_MAINT_GRANTED, 1, T0 + 1000,
						     T0 + 30 * MINUTE), 0);
	/* Granted: in service until the device consents; then out of it. */
	assert_int_equal(mg_store_device_by_id(f->store, dev, &d), 0);
	assert_int_equal(d.maintenance_until_ms, 0);
	assert_int_equal(mg_store_maintenance_consent(f->store, other, T0 + 2000, &got),
			 MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_maintenance_consent(f->store, dev, T0 + 2000, &got), 0);
	assert_int_equal(got.id, id);
	assert_int_equal(got.device_id, dev);
	assert_int_equal(got.consent_ms, T0 + 2000);
	assert_int_equal(mg_store_device_by_id(f->store, dev, &d), 0);
	assert_int_equal(d.maintenance_until_ms, T0 + 30 * MINUTE);
	assert_int_equal(mg_store_device_by_id(f->store, other, &d), 0);
	assert_int_equal(d.maintenance_until_ms, 0);
	/* Pressed again: the first consent stands. */
	assert_int_equal(mg_store_maintenance_consent(f->store, dev, T0 + 3000, &got), 0);
	assert_int_equal(got.consent_ms, T0 + 2000);
	assert_int_equal(mg_store_maintenance_get(f->store, id, &got), 0);
	assert_int_equal(got.consent_ms, T0 + 2000);

	/* Ended early: the device is back in service at once. */
	assert_int_equal(mg_store_maintenance_decide(f->store, id, MG_MAINT_ENDED, 1, T0 + MINUTE, 0),
			 0);
	assert_int_equal(mg_store_device_by_id(f->store, dev, &d), 0);
	assert_int_equal(d.maintenance_until_ms, 0);
	assert_int_equal(mg_store_maintenance_consent(f->store, dev, T0 + 2 * MINUTE, &got),
			 MG_ERR_NOT_FOUND);

	/* Expired: no consent after the end; the device never went out. */
	m.device_id = other;
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &id2), 0);
	assert_int_equal(mg_store_maintenance_decide(f->store, id2, MG_MAINT_GRANTED, 1, T0,
						     T0 + MINUTE), 0);
	assert_int_equal(mg_store_maintenance_consent(f->store, other, T0 + MINUTE, &got),
			 MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_maintenance_consent(f->store, 0, T0, &got), MG_ERR_INVALID);
	m.consent_ms = T0;	/* consent is the device's to give, never asked with */
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &id2), MG_ERR_INVALID);
}

struct seen {
	int64_t ids[8];
	size_t n;
};

static int seen(const struct mg_maintenance *m, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8)
		s->ids[s->n++] = m->id;
	return 0;
}

static void test_list_and_limits(void **state)
{
	struct store_fixture *f = *state;
	int64_t a = store_user(f, "svc-a", MG_ROLE_SERVICE, NULL, 0);
	int64_t b = store_user(f, "svc-b", MG_ROLE_SERVICE, NULL, 0), ids[3];
	struct mg_maintenance m = asked(a, MG_MAINT_DEVICES, 5);
	struct seen s = { { 0 }, 0 };

	assert_int_equal(mg_store_maintenance_request(f->store, &m, &ids[0]), 0);
	m.user_id = b;
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &ids[1]), 0);
	m.user_id = a;
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &ids[2]), 0);
	assert_int_equal(mg_store_maintenance_list(f->store, a, 10, seen, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], ids[2]);	/* newest first */
	assert_int_equal(s.ids[1], ids[0]);
	s.n = 0;
	assert_int_equal(mg_store_maintenance_list(f->store, 0, 2, seen, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(mg_store_maintenance_list(f->store, 0, 0, seen, &s), MG_ERR_INVALID);
	assert_int_equal(mg_store_maintenance_list(f->store, 0, MG_MAINT_LIST_MAX + 1, seen, &s),
			 MG_ERR_LIMIT);

	/* What the front refuses before any back end sees it. */
	m = asked(a, 0, 5);
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &ids[0]), MG_ERR_INVALID);
	m = asked(a, 1u << 7, 5);
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &ids[0]), MG_ERR_INVALID);
	m = asked(a, MG_MAINT_DEVICES, 0);
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &ids[0]), MG_ERR_INVALID);
	m = asked(a, MG_MAINT_DEVICES, MG_MAINT_MINUTES_MAX + 1);
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &ids[0]), MG_ERR_LIMIT);
	m = asked(a, MG_MAINT_DEVICES, 5);
	m.reason[0] = '\0';
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &ids[0]), MG_ERR_INVALID);
	m = asked(a, MG_MAINT_DEVICES, 5);
	m.state = MG_MAINT_GRANTED;	/* a grant without its end */
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &ids[0]), MG_ERR_INVALID);
	m = asked(987654, MG_MAINT_DEVICES, 5);
	assert_int_equal(mg_store_maintenance_request(f->store, &m, &ids[0]), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_maintenance_decide(f->store, ids[2], MG_MAINT_GRANTED, 1, T0, T0),
			 MG_ERR_INVALID);
	assert_int_equal(mg_store_maintenance_decide(f->store, ids[2], MG_MAINT_REQUESTED, 1, T0, 0),
			 MG_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, store_fixture_setup, store_fixture_teardown)
		cmocka_unit_test(test_scope_names),
		T(test_grant_and_end),
		T(test_list_and_limits),
		T(test_device_consent),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
