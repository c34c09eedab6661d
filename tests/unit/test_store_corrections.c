/* Corrections of a measurement (store.h, measurement_correct), on both
 * back ends: the withdrawal queued behind the posting for each
 * destination that has or will have it (not for a dead letter), the move
 * with its new posting, entered in error, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixture.h"

static const char *const dests[] = { "emr1", "emr2", "emr3" };

static int64_t put_measurement(struct store_fixture *f, int64_t device, const char *mid,
			       unsigned char patient)
{
	struct mg_measurement m;
	struct mg_measurement_put p, *items[1] = {&p};

	memset(&m, 0, sizeof(m));
	memset(&p, 0, sizeof(p));
	snprintf(m.device_mid, sizeof(m.device_mid), "%s", mid);
	m.time_ms = STORE_T0;
	m.nvalues = 1;
	m.values[0].quantity = mg_quantity_find("body_weight");
	m.values[0].value = 70;
	m.device_id = device;
	m.tenant_id = f->tenant;
	p.m = &m;
	memset(p.blind_index, patient, sizeof(p.blind_index));
	memset(p.sealed_patient, patient, 48);
	p.sealed_len = 48;
	p.received_ms = STORE_T0;
	p.destinations = dests;
	p.ndestinations = 3;
	assert_int_equal(mg_store_measurement_put_batch(f->store, items, 1), 0);
	assert_int_equal(p.result, 0);
	return p.id;
}

static int64_t patient_of(struct store_fixture *f, int64_t tenant, unsigned char b)
{
	unsigned char index[MG_BLIND_INDEX_BYTES];
	int64_t id = 0;

	memset(index, b, sizeof(index));
	assert_int_equal(mg_store_patient_find(f->store, tenant, index, &id), 0);
	return id;
}

static int count_measurement(const struct mg_measurement_row *row, void *arg)
{
	(void)row;
	++*(size_t *)arg;
	return 0;
}

static size_t measurements_of(struct store_fixture *f, int64_t patient)
{
	size_t n = 0;

	assert_int_equal(mg_store_patient_measurements(f->store, patient, 10, count_measurement,
						       &n), 0);
	return n;
}

static size_t claim(struct store_fixture *f, const char *dest, struct mg_outbox_item *items)
{
	size_t n = 0;

	assert_int_equal(mg_store_outbox_claim(f->store, dest, STORE_T0 + 10000, 1, items, 8, &n),
			 0);
	return n;
}

static void settle_all(struct store_fixture *f, const struct mg_outbox_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(mg_store_outbox_delivered(f->store, items[i].id, STORE_T0 + 1), 0);
}

static void test_move_then_error(void **state)
{
	struct store_fixture *f = *state;
	struct mg_outbox_item items[8];
	int64_t device = store_device(f, f->tenant, 1), m, p1, p2, rev = 0;
	struct mg_correction c = { 0 };
	size_t n;

	m = put_measurement(f, device, "wrong-1", 0x41);
	put_measurement(f, device, "right-1", 0x42);
	p1 = patient_of(f, f->tenant, 0x41);
	p2 = patient_of(f, f->tenant, 0x42);
	/* emr1 has both postings; emr2 has them still pending; emr3 refused
	 * the wrong one for good. */
	n = claim(f, "emr1", items);
	assert_int_equal(n, 2);
	settle_all(f, items, n);
	n = claim(f, "emr3", items);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		if (items[i].row.id == m)
			assert_int_equal(mg_store_outbox_dead(f->store, items[i].id, STORE_T0, "no"), 0);
		else
			assert_int_equal(mg_store_outbox_delivered(f->store, items[i].id, STORE_T0), 0);

	c.measurement_id = m;
	c.tenant_id = f->tenant;
	c.from_patient_id = p1;
	c.to_patient_id = p2;
	c.reason = "taken on the neighbour's bed";
	c.now_ms = STORE_T0 + 5;
	c.destinations = dests;
	c.ndestinations = 2;
	assert_int_equal(mg_store_measurement_correct(f->store, &c, &rev), 0);
	assert_int_equal(rev, 1);
	assert_int_equal(measurements_of(f, p1), 0);
	assert_int_equal(measurements_of(f, p2), 2);

	/* emr1: the withdrawal for the first patient and the posting of
	 * revision 1 for the second, each with its patient's sealed id. */
	n = claim(f, "emr1", items);
	assert_int_equal(n, 2);
	assert_true(items[0].is_void);
	assert_int_equal(items[0].revision, 0);
	assert_int_equal(items[0].sealed_patient[0], 0x41);
	assert_false(items[1].is_void);
	assert_int_equal(items[1].revision, 1);
	assert_int_equal(items[1].sealed_patient[0], 0x42);
	assert_int_equal(items[1].row.id, m);
	settle_all(f, items, n);
	/* emr2: the withdrawal waits behind the posting it withdraws. */
	n = claim(f, "emr2", items);
	assert_int_equal(n, 2);	/* the first patient's original, the second's original */
	for (size_t i = 0; i < n; i++)
		assert_false(items[i].is_void);
	settle_all(f, items, n);
	n = claim(f, "emr2", items);
	assert_int_equal(n, 2);
	assert_true(items[0].is_void);
	assert_int_equal(items[0].sealed_patient[0], 0x41);
	assert_int_equal(items[1].revision, 1);
	settle_all(f, items, n);
	/* emr3 never had it: no withdrawal, and no posting (not routed). */
	assert_int_equal(claim(f, "emr3", items), 0);

	/* Back to the first patient? Not from there: it is with p2 now. */
	c.to_patient_id = 0;
	assert_int_equal(mg_store_measurement_correct(f->store, &c, &rev), MG_ERR_NOT_FOUND);
	c.from_patient_id = p2;
	c.tenant_id = f->tenant2;
	assert_int_equal(mg_store_measurement_correct(f->store, &c, &rev), MG_ERR_NOT_FOUND);
	c.tenant_id = f->tenant;
	c.to_patient_id = p2;
	assert_int_equal(mg_store_measurement_correct(f->store, &c, &rev), MG_ERR_INVALID);
	/* Entered in error: the posting of revision 1 is withdrawn. */
	c.to_patient_id = 0;
	assert_int_equal(mg_store_measurement_correct(f->store, &c, &rev), 0);
	assert_int_equal(rev, 2);
	assert_int_equal(measurements_of(f, p2), 1);
	n = claim(f, "emr1", items);
	assert_int_equal(n, 1);
	assert_true(items[0].is_void);
	assert_int_equal(items[0].revision, 1);
	assert_int_equal(items[0].sealed_patient[0], 0x42);
	assert_int_equal(mg_store_measurement_correct(f->store, &c, &rev), MG_ERR_CONFLICT);
}

static void test_refused(void **state)
{
	struct store_fixture *f = *state;
	int64_t device = store_device(f, f->tenant, 1), m, p1, other, rev = 5;
	struct mg_correction c = { 0 };
	struct mg_measurement mm;
	struct mg_measurement_put p, *items[1] = {&p};
	char reason[MG_CORRECTION_REASON_MAX + 2];

	m = put_measurement(f, device, "x-1", 0x41);
	p1 = patient_of(f, f->tenant, 0x41);
	/* A patient of the other tenant. */
	memset(&mm, 0, sizeof(mm));
	memset(&p, 0, sizeof(p));
	snprintf(mm.device_mid, sizeof(mm.device_mid), "y-1");
	mm.time_ms = STORE_T0;
	mm.nvalues = 1;
	mm.values[0].quantity = mg_quantity_find("body_weight");
	mm.values[0].value = 60;
	mm.device_id = store_device(f, f->tenant2, 2);
	mm.tenant_id = f->tenant2;
	p.m = &mm;
	memset(p.blind_index, 0x43, sizeof(p.blind_index));
	memset(p.sealed_patient, 0x43, 48);
	p.sealed_len = 48;
	p.received_ms = STORE_T0;
	assert_int_equal(mg_store_measurement_put_batch(f->store, items, 1), 0);
	other = patient_of(f, f->tenant2, 0x43);

	c.measurement_id = m;
	c.tenant_id = f->tenant;
	c.from_patient_id = p1;
	c.to_patient_id = other;
	c.reason = "";
	c.now_ms = STORE_T0;
	assert_int_equal(mg_store_measurement_correct(f->store, &c, &rev), MG_ERR_INVALID);
	assert_int_equal(rev, 0);
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	c.reason = reason;
	assert_int_equal(mg_store_measurement_correct(f->store, &c, &rev), MG_ERR_INVALID);
	c.reason = "wrong bed";
	assert_int_equal(mg_store_measurement_correct(f->store, &c, &rev), MG_ERR_INVALID);
	c.measurement_id = 999999;
	c.to_patient_id = 0;
	assert_int_equal(mg_store_measurement_correct(f->store, &c, &rev), MG_ERR_NOT_FOUND);
	/* Nothing changed by the refusals. */
	assert_int_equal(measurements_of(f, p1), 1);
}

static int count_row(const struct mg_measurement_row *row, void *arg)
{
	assert_int_equal(row->nvalues, 1);
	++*(size_t *)arg;
	return 0;
}

/* A measurement without patient waits, unsent, until a clinician assigns
 * it; then it is an ordinary measurement of that patient, queued. */
static void test_unassigned_then_assigned(void **state)
{
	struct store_fixture *f = *state;
	struct mg_outbox_item items[8];
	int64_t device = store_device(f, f->tenant, 1), patient = 0, other = 0;
	struct mg_measurement m;
	struct mg_measurement_put p, *batch[1] = {&p};
	struct mg_assignment a;
	size_t n = 0;

	memset(&m, 0, sizeof(m));
	memset(&p, 0, sizeof(p));
	snprintf(m.device_mid, sizeof(m.device_mid), "nobody-1");
	m.time_ms = STORE_T0;
	m.nvalues = 1;
	m.values[0].quantity = mg_quantity_find("body_weight");
	m.values[0].value = 81;
	m.device_id = device;
	m.tenant_id = f->tenant;
	p.m = &m;
	p.received_ms = STORE_T0;
	p.destinations = dests;
	p.ndestinations = 3;
	p.unassigned = true;
	p.sealed_len = 1;	/* the placeholder has nothing sealed */
	assert_int_equal(mg_store_measurement_put_batch(f->store, batch, 1), MG_ERR_INVALID);
	p.sealed_len = 0;
	assert_int_equal(mg_store_measurement_put_batch(f->store, batch, 1), 0);
	assert_int_equal(p.result, 0);
	assert_int_equal(claim(f, "emr1", items), 0);
	assert_int_equal(mg_store_unassigned_measurements(f->store, f->tenant, 10, count_row, &n), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(mg_store_unassigned_measurements(f->store, f->tenant2, 10, count_row, &n),
			 0);
	assert_int_equal(n, 0);

	memset(&a, 0, sizeof(a));
	a.measurement_id = p.id;
	a.tenant_id = f->tenant2;
	memset(a.blind_index, 0x44, sizeof(a.blind_index));
	memset(a.sealed_patient, 0x44, 48);
	a.sealed_len = 48;
	a.now_ms = STORE_T0 + 1;
	a.destinations = dests;
	a.ndestinations = 2;
	assert_int_equal(mg_store_measurement_assign(f->store, &a, &patient), MG_ERR_NOT_FOUND);
	a.tenant_id = f->tenant;
	memset(a.blind_index, 0, sizeof(a.blind_index));
	assert_int_equal(mg_store_measurement_assign(f->store, &a, &patient), MG_ERR_INVALID);
	memset(a.blind_index, 0x44, sizeof(a.blind_index));
	assert_int_equal(mg_store_measurement_assign(f->store, &a, &patient), 0);
	assert_int_equal(patient, patient_of(f, f->tenant, 0x44));
	assert_int_equal(measurements_of(f, patient), 1);
	n = 0;
	assert_int_equal(mg_store_unassigned_measurements(f->store, f->tenant, 10, count_row, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(claim(f, "emr1", items), 1);
	assert_false(items[0].is_void);
	assert_int_equal(items[0].revision, 0);
	assert_int_equal(items[0].row.id, p.id);
	assert_int_equal(items[0].sealed_patient[0], 0x44);
	assert_int_equal(claim(f, "emr3", items), 0);
	assert_int_equal(mg_store_measurement_assign(f->store, &a, &other), MG_ERR_NOT_FOUND);
}

static int64_t put_unassigned(struct store_fixture *f, int64_t device, const char *mid,
			      int64_t received_ms, int64_t *ordered)
{
	struct mg_measurement m;
	struct mg_measurement_put p, *batch[1] = {&p};

	memset(&m, 0, sizeof(m));
	memset(&p, 0, sizeof(p));
	snprintf(m.device_mid, sizeof(m.device_mid), "%s", mid);
	m.time_ms = STORE_T0;
	m.nvalues = 1;
	m.values[0].quantity = mg_quantity_find("body_weight");
	m.values[0].value = 90;
	m.device_id = device;
	m.tenant_id = f->tenant;
	p.m = &m;
	p.received_ms = received_ms;
	p.destinations = dests;
	p.ndestinations = 1;
	p.unassigned = true;
	assert_int_equal(mg_store_measurement_put_batch(f->store, batch, 1), 0);
	assert_int_equal(p.result, 0);
	*ordered = p.ordered_patient;
	return p.id;
}

static int count_order(const struct mg_order *o, void *arg)
{
	(void)o;
	++*(size_t *)arg;
	return 0;
}

/* "Measure now": the device's next measurement without patient within
 * the order's lifetime goes to the order's patient and to the EMR; a
 * used, cancelled or expired order takes nothing. */
static void test_orders(void **state)
{
	struct store_fixture *f = *state;
	struct mg_outbox_item items[8];
	int64_t device = store_device(f, f->tenant, 1), other_dev = store_device(f, f->tenant2, 2);
	int64_t patient, id = 0, id2 = 0, ordered = -1, m;
	struct mg_order o = { 0 }, got;
	size_t n = 0;

	put_measurement(f, device, "known-1", 0x45);
	patient = patient_of(f, f->tenant, 0x45);
	assert_int_equal(claim(f, "emr1", items), 1);
	assert_int_equal(mg_store_outbox_delivered(f->store, items[0].id, STORE_T0), 0);
	o.tenant_id = f->tenant;
	o.device_id = device;
	o.patient_id = patient;
	o.created_ms = STORE_T0;
	o.expires_ms = STORE_T0;
	assert_int_equal(mg_store_order_create(f->store, &o, &id), MG_ERR_INVALID);
	o.expires_ms = STORE_T0 + 1000;
	o.device_id = other_dev;
	assert_int_equal(mg_store_order_create(f->store, &o, &id), MG_ERR_INVALID);
	o.device_id = device;
	o.tenant_id = f->tenant2;
	assert_int_equal(mg_store_order_create(f->store, &o, &id), MG_ERR_INVALID);
	o.tenant_id = f->tenant;
	assert_int_equal(mg_store_order_create(f->store, &o, &id), 0);
	assert_int_equal(mg_store_order_create(f->store, &o, &id2), MG_ERR_EXISTS);
	assert_int_equal(mg_store_order_pending(f->store, device, STORE_T0 + 5, &got), 0);
	assert_int_equal(got.id, id);
	assert_int_equal(got.patient_id, patient);
	assert_int_equal(mg_store_order_list(f->store, f->tenant, STORE_T0 + 5, count_order, &n), 0);
	assert_int_equal(n, 1);

	m = put_unassigned(f, device, "now-1", STORE_T0 + 10, &ordered);
	assert_int_equal(ordered, patient);
	assert_int_equal(measurements_of(f, patient), 2);
	assert_int_equal(claim(f, "emr1", items), 1);
	assert_int_equal(items[0].row.id, m);
	assert_int_equal(items[0].sealed_patient[0], 0x45);
	assert_int_equal(mg_store_order_pending(f->store, device, STORE_T0 + 11, &got),
			 MG_ERR_NOT_FOUND);
	/* Used: the next one waits for a clinician. */
	put_unassigned(f, device, "now-2", STORE_T0 + 12, &ordered);
	assert_int_equal(ordered, 0);
	/* Cancelled, then expired: nothing taken. */
	o.created_ms = STORE_T0 + 20;
	o.expires_ms = STORE_T0 + 100;
	assert_int_equal(mg_store_order_create(f->store, &o, &id), 0);
	assert_int_equal(mg_store_order_cancel(f->store, id, f->tenant2, STORE_T0 + 21),
			 MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_order_cancel(f->store, id, f->tenant, STORE_T0 + 21), 0);
	assert_int_equal(mg_store_order_cancel(f->store, id, f->tenant, STORE_T0 + 22),
			 MG_ERR_NOT_FOUND);
	put_unassigned(f, device, "now-3", STORE_T0 + 30, &ordered);
	assert_int_equal(ordered, 0);
	o.created_ms = STORE_T0 + 40;
	assert_int_equal(mg_store_order_create(f->store, &o, &id), 0);
	put_unassigned(f, device, "now-4", STORE_T0 + 100, &ordered);
	assert_int_equal(ordered, 0);
	n = 0;
	assert_int_equal(mg_store_order_list(f->store, f->tenant, STORE_T0 + 100, count_order, &n),
			 0);
	assert_int_equal(n, 0);
	assert_int_equal(mg_store_order_cancel(f->store, id, f->tenant, STORE_T0 + 100),
			 MG_ERR_NOT_FOUND);
	n = 0;
	assert_int_equal(mg_store_unassigned_measurements(f->store, f->tenant, 10, count_row, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(claim(f, "emr1", items), 0);
}

struct ward_seen {
	size_t n;
	int64_t patients[4], counts[4];
};

static int ward_row(int64_t patient, int64_t latest_ms, int64_t count, void *arg)
{
	struct ward_seen *w = arg;

	assert_true(w->n < 4 && latest_ms >= STORE_T0);
	w->patients[w->n] = patient;
	w->counts[w->n++] = count;
	return 0;
}

/* The ward list: patients with final measurements received since, not
 * the placeholder's waiting ones, not another tenant's. */
static void test_ward_recent(void **state)
{
	struct store_fixture *f = *state;
	int64_t device = store_device(f, f->tenant, 1), ordered;
	struct ward_seen w = { 0 };

	put_measurement(f, device, "w-1", 0x46);
	put_measurement(f, device, "w-2", 0x46);
	put_measurement(f, device, "w-3", 0x47);
	put_unassigned(f, device, "w-4", STORE_T0 + 1, &ordered);
	assert_int_equal(mg_store_ward_recent(f->store, f->tenant, STORE_T0, 10, ward_row, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.counts[0] + w.counts[1], 3);
	assert_true(w.patients[0] == patient_of(f, f->tenant, 0x46) ||
		    w.patients[1] == patient_of(f, f->tenant, 0x46));
	memset(&w, 0, sizeof(w));
	assert_int_equal(mg_store_ward_recent(f->store, f->tenant, STORE_T0 + 1, 10, ward_row, &w), 0);
	assert_int_equal(w.n, 0);
	assert_int_equal(mg_store_ward_recent(f->store, f->tenant2, STORE_T0, 10, ward_row, &w), 0);
	assert_int_equal(w.n, 0);
	assert_int_equal(mg_store_ward_recent(f->store, f->tenant, STORE_T0, 501, ward_row, &w),
			 MG_ERR_INVALID);
}

static int view_row(int64_t patient, int64_t viewed_ms, int64_t count, void *arg)
{
	struct ward_seen *w = arg;

	assert_int_equal(count, 0);
	if (w->n < 4) {
		w->patients[w->n] = patient;
		w->counts[w->n] = viewed_ms;
	}
	w->n++;
	return 0;
}

/* Recently viewed: newest first, one row per patient, at most 10. */
static void test_views(void **state)
{
	struct store_fixture *f = *state;
	int64_t device = store_device(f, f->tenant, 1), user, ids[12];
	struct ward_seen w = { 0 };
	char mid[16];

	user = store_user(f, "doc.views", MG_ROLE_CLINICIAN, &f->tenant, 1);
	for (int i = 0; i < 12; i++) {
		snprintf(mid, sizeof(mid), "v-%d", i);
		put_measurement(f, device, mid, (unsigned char)(0x50 + i));
		ids[i] = patient_of(f, f->tenant, (unsigned char)(0x50 + i));
		assert_int_equal(mg_store_view_note(f->store, user, ids[i], STORE_T0 + i), 0);
	}
	assert_int_equal(mg_store_view_note(f->store, user, ids[5], STORE_T0 + 100), 0);
	assert_int_equal(mg_store_views(f->store, user, view_row, &w), 0);
	assert_int_equal(w.n, MG_RECENT_VIEWS_MAX);
	assert_int_equal(w.patients[0], ids[5]);
	assert_int_equal(w.counts[0], STORE_T0 + 100);
	assert_int_equal(w.patients[1], ids[11]);
	assert_int_equal(mg_store_view_note(f->store, user, 0, STORE_T0), MG_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_move_then_error, store_fixture_setup,
					    store_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_refused, store_fixture_setup,
					    store_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_unassigned_then_assigned, store_fixture_setup,
					    store_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_orders, store_fixture_setup,
					    store_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_ward_recent, store_fixture_setup,
					    store_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_views, store_fixture_setup,
					    store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
