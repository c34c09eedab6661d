/* Erasure in the store, on both back ends: one patient (with the patients
 * merged into it, its outbox rows, identity and search tokens; others
 * untouched), its deliveries for the export, measurements past a time in
 * bounded batches, and a whole tenant with its key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixture.h"

static const char *const dests[] = { "emr1" };

static int64_t put_m(struct store_fixture *f, int64_t tenant, int64_t device, const char *mid,
		     unsigned char patient, int64_t received_ms)
{
	struct mg_measurement m;
	struct mg_measurement_put p, *items[1] = { &p };

	memset(&m, 0, sizeof(m));
	memset(&p, 0, sizeof(p));
	snprintf(m.device_mid, sizeof(m.device_mid), "%s", mid);
	m.time_ms = received_ms;
	m.nvalues = 1;
	m.values[0].quantity = mg_quantity_find("body_weight");
	m.values[0].value = 70;
	m.device_id = device;
	m.tenant_id = tenant;
	p.m = &m;
	memset(p.blind_index, patient, sizeof(p.blind_index));
	memset(p.sealed_patient, patient, 48);
	p.sealed_len = 48;
	p.received_ms = received_ms;
	p.destinations = dests;
	p.ndestinations = 1;
	assert_int_equal(mg_store_measurement_put_batch(f->store, items, 1), 0);
	assert_int_equal(p.result, 0);
	return p.id;
}

static void put_identity(struct store_fixture *f, int64_t tenant, unsigned char id,
			 unsigned char token, int64_t *id_out)
{
	struct mg_patient_put p;
	bool created;

	memset(&p, 0, sizeof(p));
	p.tenant_id = tenant;
	memset(p.blind_index, id, sizeof(p.blind_index));
	memset(p.sealed_id, id, 48);
	p.sealed_id_len = 48;
	memset(p.record, id ^ 0x5a, 100);
	p.record_len = 100;
	memset(p.tokens[0], token, MG_BLIND_INDEX_BYTES);
	p.ntokens = 1;
	p.now_ms = STORE_T0;
	assert_int_equal(mg_store_patient_put(f->store, &p, id_out, &created), 0);
}

static int count_row(const struct mg_measurement_row *row, void *arg)
{
	(void)row;
	++*(size_t *)arg;
	return 0;
}

static int count_patient(const struct mg_patient_row *row, void *arg)
{
	(void)row;
	++*(size_t *)arg;
	return 0;
}

struct seen {
	size_t n;
	struct mg_delivery_row last;
};

static int see_delivery(const struct mg_delivery_row *row, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->last = *row;
	return 0;
}

static size_t measurements_of(struct store_fixture *f, int64_t patient)
{
	size_t n = 0;

	assert_int_equal(mg_store_patient_measurements(f->store, patient, 100, count_row, &n), 0);
	return n;
}

static void test_patient_erase(void **state)
{
	struct store_fixture *f = *state;
	unsigned char blind[MG_BLIND_INDEX_BYTES], q[1][MG_BLIND_INDEX_BYTES];
	int64_t device = store_device(f, f->tenant, 1), a, b, prior, found, moved, m1;
	struct mg_erase_counts n;
	struct mg_patient_row row;
	struct mg_outbox_item items[4];
	struct seen seen = { 0 };
	size_t count = 0, claimed;

	m1 = put_m(f, f->tenant, device, "a-1", 0x41, STORE_T0);
	put_m(f, f->tenant, device, "a-2", 0x41, STORE_T0 + 1);
	put_m(f, f->tenant, device, "p-1", 0x43, STORE_T0 + 2);
	put_m(f, f->tenant, device, "b-1", 0x42, STORE_T0 + 3);
	put_identity(f, f->tenant, 0x41, 0xc1, &a);
	put_identity(f, f->tenant, 0x42, 0xc1, &b);
	/* 0x43 merged into a: its outbox row stays under the prior id. */
	memset(blind, 0x43, sizeof(blind));
	assert_int_equal(mg_store_patient_merge(f->store, f->tenant, blind, a, STORE_T0, &prior,
						&moved), 0);
	/* One delivery of a settled, as the export reports it. */
	assert_int_equal(mg_store_outbox_claim(f->store, "emr1", STORE_T0 + 10, 1000, items, 4,
					       &claimed), 0);
	assert_true(claimed >= 1);
	for (size_t i = 0; i < claimed; i++)
		assert_int_equal(mg_store_outbox_delivered(f->store, items[i].id, STORE_T0 + 20), 0);
	assert_int_equal(mg_store_patient_deliveries(f->store, a, see_delivery, &seen), 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.last.destination, "emr1");

	/* Another tenant's id, an unknown id: nothing changes. */
	assert_int_equal(mg_store_patient_erase(f->store, f->tenant2, a, &n), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_patient_erase(f->store, f->tenant, 999999, &n), MG_ERR_NOT_FOUND);
	assert_int_equal(measurements_of(f, a), 3);

	assert_int_equal(mg_store_patient_erase(f->store, f->tenant, a, &n), 0);
	assert_int_equal(n.patients, 2);
	assert_int_equal(n.measurements, 3);
	assert_int_equal(n.deliveries, 3);
	memset(blind, 0x41, sizeof(blind));
	assert_int_equal(mg_store_patient_find(f->store, f->tenant, blind, &found), MG_ERR_NOT_FOUND);
	memset(blind, 0x43, sizeof(blind));
	assert_int_equal(mg_store_patient_find(f->store, f->tenant, blind, &found), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_patient_get(f->store, a, &row), MG_ERR_NOT_FOUND);
	assert_int_equal(measurements_of(f, a), 0);
	seen.n = 0;
	assert_int_equal(mg_store_patient_deliveries(f->store, a, see_delivery, &seen), 0);
	assert_int_equal(seen.n, 0);
	memset(q[0], 0xc1, MG_BLIND_INDEX_BYTES);
	assert_int_equal(mg_store_patient_search(f->store, f->tenant, q, 1, 10, count_patient,
						 &count), 0);
	assert_int_equal(count, 1);	/* b only */
	assert_int_equal(measurements_of(f, b), 1);
	(void)m1;
	/* Erased again: gone. */
	assert_int_equal(mg_store_patient_erase(f->store, f->tenant, a, &n), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_patient_erase(f->store, f->tenant, a, NULL), MG_ERR_INVALID);
}

static void test_erase_before(void **state)
{
	struct store_fixture *f = *state;
	int64_t device = store_device(f, f->tenant, 1), count, total = 0, p;
	unsigned char blind[MG_BLIND_INDEX_BYTES];
	char mid[16];

	for (int i = 0; i < 5; i++) {
		snprintf(mid, sizeof(mid), "old-%d", i);
		put_m(f, f->tenant, device, mid, 0x41, STORE_T0 + i);
	}
	put_m(f, f->tenant, device, "new", 0x41, STORE_T0 + 1000);
	assert_int_equal(mg_store_measurement_erase_before(f->store, STORE_T0 + 500, 0, &count),
			 MG_ERR_INVALID);
	assert_int_equal(mg_store_measurement_erase_before(f->store, -1, 1, &count),
			 MG_ERR_INVALID);
	assert_int_equal(mg_store_measurement_erase_before(f->store, STORE_T0 + 500,
							   MG_ERASE_BATCH_MAX + 1, &count),
			 MG_ERR_LIMIT);
	do {
		assert_int_equal(mg_store_measurement_erase_before(f->store, STORE_T0 + 500, 2,
								   &count), 0);
		assert_true(count <= 2);
		total += count;
	} while (count > 0);
	assert_int_equal(total, 5);
	memset(blind, 0x41, sizeof(blind));
	assert_int_equal(mg_store_patient_find(f->store, f->tenant, blind, &p), 0);
	assert_int_equal(measurements_of(f, p), 1);
}

static void test_tenant_erase(void **state)
{
	struct store_fixture *f = *state;
	int64_t device = store_device(f, f->tenant, 1), other = store_device(f, f->tenant2, 2), a;
	struct mg_erase_counts n;
	struct mg_tenant t;
	unsigned char blind[MG_BLIND_INDEX_BYTES];

	put_m(f, f->tenant, device, "a-1", 0x41, STORE_T0);
	put_m(f, f->tenant, device, "b-1", 0x42, STORE_T0);
	put_m(f, f->tenant2, other, "c-1", 0x41, STORE_T0);
	put_identity(f, f->tenant, 0x41, 0xc1, &a);
	/* The tenant's patients, in row id order, a page at a time. */
	size_t count = 0;
	assert_int_equal(mg_store_patient_list(f->store, f->tenant, 0, 1, count_patient, &count), 0);
	assert_int_equal(count, 1);
	count = 0;
	assert_int_equal(mg_store_patient_list(f->store, f->tenant, 0, 10, count_patient, &count), 0);
	assert_int_equal(count, 2);
	count = 0;
	assert_int_equal(mg_store_patient_list(f->store, f->tenant, a, 10, count_patient, &count), 0);
	assert_int_equal(count, 1);	/* 0x42, made after a */
	assert_int_equal(mg_store_patient_list(f->store, f->tenant, 0, 0, count_patient, &count),
			 MG_ERR_INVALID);
	assert_int_equal(mg_store_tenant_erase(f->store, 999999, &n), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_tenant_erase(f->store, f->tenant, &n), 0);
	assert_int_equal(n.patients, 2);
	assert_int_equal(n.measurements, 2);
	assert_int_equal(n.deliveries, 2);
	assert_int_equal(mg_store_tenant_by_id(f->store, f->tenant, &t), MG_ERR_NOT_FOUND);
	/* The other tenant keeps its patient of the same blind index. */
	memset(blind, 0x41, sizeof(blind));
	assert_int_equal(mg_store_patient_find(f->store, f->tenant2, blind, &a), 0);
	assert_int_equal(measurements_of(f, a), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_patient_erase, store_fixture_setup,
					    store_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_erase_before, store_fixture_setup,
					    store_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_tenant_erase, store_fixture_setup,
					    store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
