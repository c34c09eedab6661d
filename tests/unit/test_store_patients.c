/* Patient identity in the store, on both back ends: put (create, update,
 * must_be_new), get, search by token hashes (all must match, only in the
 * tenant), discharge, and the ADT merge that moves measurements. The
 * store only ever holds opaque bytes here: the sealing is the caller's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixture.h"

static void fill_put(struct mg_patient_put *p, int64_t tenant, unsigned char id,
		     const unsigned char *tokens, size_t ntokens)
{
	memset(p, 0, sizeof(*p));
	p->tenant_id = tenant;
	memset(p->blind_index, id, sizeof(p->blind_index));
	memset(p->sealed_id, id, 48);
	p->sealed_id_len = 48;
	memset(p->record, id ^ 0x5a, 100);
	p->record_len = 100;
	for (size_t i = 0; i < ntokens; i++)
		memset(p->tokens[i], tokens[i], MG_BLIND_INDEX_BYTES);
	p->ntokens = ntokens;
	p->now_ms = STORE_T0;
}

static void put_value(struct store_fixture *f, int64_t device, const char *mid,
		      unsigned char patient, double kg)
{
	static const char *const emr[] = { "emr" };
	struct mg_measurement m;
	struct mg_measurement_put p, *items[1] = {&p};

	memset(&m, 0, sizeof(m));
	memset(&p, 0, sizeof(p));
	snprintf(m.device_mid, sizeof(m.device_mid), "%s", mid);
	m.time_ms = STORE_T0;
	m.nvalues = 1;
	m.values[0].quantity = mg_quantity_find("body_weight");
	m.values[0].value = kg;
	m.device_id = device;
	m.tenant_id = f->tenant;
	p.m = &m;
	memset(p.blind_index, patient, sizeof(p.blind_index));
	memset(p.sealed_patient, patient, 48);
	p.sealed_len = 48;
	p.received_ms = STORE_T0;
	p.destinations = emr;
	p.ndestinations = 1;
	assert_int_equal(mg_store_measurement_put_batch(f->store, items, 1), 0);
	assert_int_equal(p.result, 0);
}

static void put_measurement(struct store_fixture *f, int64_t device, const char *mid,
			    unsigned char patient)
{
	put_value(f, device, mid, patient, 70);
}

struct found {
	size_t n;
	int64_t ids[8];
};

static int see_patient(const struct mg_patient_row *row, void *arg)
{
	struct found *fd = arg;

	assert_true(fd->n < 8);
	assert_int_equal(row->record_len, 100);
	fd->ids[fd->n++] = row->id;
	return 0;
}

static int count_measurement(const struct mg_measurement_row *row, void *arg)
{
	(void)row;
	++*(size_t *)arg;
	return 0;
}

struct seen_values {
	size_t n;
	int64_t ids[4];
	double kg[4];
};

static int see_value(const struct mg_measurement_row *row, void *arg)
{
	struct seen_values *sv = arg;

	assert_true(sv->n < 4);
	assert_int_equal(row->nvalues, 1);
	sv->ids[sv->n] = row->id;
	sv->kg[sv->n++] = row->values[0].value;
	return 0;
}

/* Appends each store.tampered alert's subject and a space to arg, a
 * buffer of SUBJECTS_MAX bytes. */
#define SUBJECTS_MAX 256

static int see_tampered(const struct mg_alert *a, void *arg)
{
	char *subjects = arg;
	size_t n = strlen(subjects);

	if (strcmp(a->kind, "store.tampered") == 0) {
		assert_int_equal(a->severity, MG_SEVERITY_HIGH);
		assert_true(snprintf(subjects + n, SUBJECTS_MAX - n, "%s ", a->subject) <
			    (int)(SUBJECTS_MAX - n));
	}
	return 0;
}

/* Values are sealed at rest and bound to their row: one copied from
 * another row, or written in clear, is caught on every read path and
 * raises store.tampered; the untouched row reads as before. */
static void test_sealed_values(void **state)
{
	struct store_fixture *f = *state;
	int64_t device = store_device(f, f->tenant, 1), first, second;
	struct seen_values sv = {0};
	struct mg_outbox_item items[2];
	char subjects[SUBJECTS_MAX] = "", want[64];
	double kg;
	int64_t t;
	size_t n;

	put_value(f, device, "v-1", 0x41, 70.5);
	put_value(f, device, "v-2", 0x41, 80.25);
	assert_int_equal(mg_store_measurement_list(f->store, f->tenant, 0, 10, see_value, &sv), 0);
	assert_int_equal(sv.n, 2);
	assert_true(sv.kg[0] == 70.5 && sv.kg[1] == 80.25);
	first = sv.ids[0];
	second = sv.ids[1];
	assert_int_equal(second, first + 1);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM measurement_values"
					 " WHERE value IS NULL AND value_sealed IS NOT NULL", 0), 2);
	assert_int_equal(mg_store_measurement_previous_value(f->store, second, "body_weight",
							     1000, &kg, &t), 0);
	assert_true(kg == 70.5);

	/* The second row's sealed value copied onto the first. */
	assert_int_equal(store_sql_count(f, "UPDATE measurement_values SET value_sealed ="
					 " (SELECT value_sealed FROM measurement_values"
					 "  WHERE measurement_id = ?1 + 1) WHERE measurement_id = ?1",
					 first), 1);
	memset(&sv, 0, sizeof(sv));
	assert_int_equal(mg_store_measurement_list(f->store, f->tenant, 0, 10, see_value, &sv), 0);
	assert_int_equal(sv.n, 1);
	assert_int_equal(sv.ids[0], second);
	assert_true(sv.kg[0] == 80.25);
	memset(&sv, 0, sizeof(sv));
	assert_int_equal(mg_store_patient_measurements(f->store, store_sql_count(f,
			 "SELECT patient_id FROM measurements WHERE id = ?1", first), 10, see_value,
			 &sv), 0);
	assert_int_equal(sv.n, 1);
	assert_int_equal(mg_store_measurement_previous_value(f->store, second, "body_weight",
							     1000, &kg, &t), MG_ERR_CRYPTO);
	/* The forwarder gets the row marked, never its values. */
	assert_int_equal(mg_store_outbox_claim(f->store, "emr", mg_now_ms(), 1000, items, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].row.id, first);
	assert_true(items[0].tampered);
	assert_true(items[0].row.values[0].value == 0);
	assert_int_equal(mg_store_alert_list(f->store, NULL, see_tampered, subjects), 0);
	snprintf(want, sizeof(want), "measurement:%lld ", (long long)first);
	assert_string_equal(subjects, want);

	/* A value written in clear over the sealed one is not taken either. */
	assert_int_equal(store_sql_count(f, "UPDATE measurement_values SET value_sealed = NULL,"
					 " value = 99 WHERE measurement_id = ?1", second), 1);
	memset(&sv, 0, sizeof(sv));
	assert_int_equal(mg_store_measurement_list(f->store, f->tenant, 0, 10, see_value, &sv), 0);
	assert_int_equal(sv.n, 0);
	subjects[0] = '\0';
	assert_int_equal(mg_store_alert_list(f->store, NULL, see_tampered, subjects), 0);
	assert_non_null(strstr(subjects, want));
	snprintf(want, sizeof(want), "measurement:%lld ", (long long)second);
	assert_non_null(strstr(subjects, want));
}

/* The wrapped patient keys go where what they sealed goes: the
 * identifier's with the patient a measurement makes (a later one keeps
 * it), the record's with the identity, through a merge too; the outbox
 * hands the identifier's key to the forwarder. */
static void test_patient_keys_stored(void **state)
{
	static const char *const emr[] = { "emr" };
	struct store_fixture *f = *state;
	int64_t device = store_device(f, f->tenant, 1), id, into, from, moved;
	struct mg_measurement m;
	struct mg_measurement_put mp, *items[1] = {&mp};
	struct mg_patient_put p;
	struct mg_patient_row row;
	struct mg_outbox_item it[1];
	unsigned char prior[MG_BLIND_INDEX_BYTES];
	size_t n;
	bool created;

	memset(&m, 0, sizeof(m));
	memset(&mp, 0, sizeof(mp));
	snprintf(m.device_mid, sizeof(m.device_mid), "k-1");
	m.time_ms = STORE_T0;
	m.nvalues = 1;
	m.values[0].quantity = mg_quantity_find("body_weight");
	m.values[0].value = 70;
	m.device_id = device;
	m.tenant_id = f->tenant;
	mp.m = &m;
	memset(mp.blind_index, 0x51, sizeof(mp.blind_index));
	memset(mp.sealed_patient, 0x51, 48);
	mp.sealed_len = 48;
	memset(mp.patient_key, 0xa1, sizeof(mp.patient_key));
	mp.patient_key_len = MG_WRAPPED_KEY_BYTES;
	mp.received_ms = STORE_T0;
	mp.destinations = emr;
	mp.ndestinations = 1;
	assert_int_equal(mg_store_measurement_put_batch(f->store, items, 1), 0);
	/* The same patient again with another key: the first one stays. */
	snprintf(m.device_mid, sizeof(m.device_mid), "k-2");
	memset(mp.patient_key, 0xa2, sizeof(mp.patient_key));
	assert_int_equal(mg_store_measurement_put_batch(f->store, items, 1), 0);
	assert_int_equal(mg_store_patient_find(f->store, f->tenant, mp.blind_index, &id), 0);
	assert_int_equal(mg_store_patient_get(f->store, id, &row), 0);
	assert_int_equal(row.id_key_len, MG_WRAPPED_KEY_BYTES);
	assert_int_equal(row.id_key[0], 0xa1);
	assert_int_equal(row.record_key_len, 0);
	assert_int_equal(mg_store_outbox_claim(f->store, "emr", mg_now_ms(), 1000, it, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(it[0].patient_key_len, MG_WRAPPED_KEY_BYTES);
	assert_int_equal(it[0].patient_key[71], 0xa1);
	/* An identity with its own key; the identifier's stays. */
	fill_put(&p, f->tenant, 0x51, NULL, 0);
	memset(p.key, 0xb1, sizeof(p.key));
	p.key_len = MG_WRAPPED_KEY_BYTES;
	assert_int_equal(mg_store_patient_put(f->store, &p, &id, &created), 0);
	assert_int_equal(mg_store_patient_get(f->store, id, &row), 0);
	assert_int_equal(row.id_key[0], 0xa1);
	assert_int_equal(row.record_key_len, MG_WRAPPED_KEY_BYTES);
	assert_int_equal(row.record_key[0], 0xb1);
	/* A patient made by its identity has its key on both. */
	fill_put(&p, f->tenant, 0x52, NULL, 0);
	memset(p.key, 0xb2, sizeof(p.key));
	p.key_len = MG_WRAPPED_KEY_BYTES;
	assert_int_equal(mg_store_patient_put(f->store, &p, &into, &created), 0);
	assert_int_equal(mg_store_patient_get(f->store, into, &row), 0);
	assert_true(row.id_key[0] == 0xb2 && row.record_key[0] == 0xb2);
	/* Merged into a patient without identity: the record moves with its key. */
	fill_put(&p, f->tenant, 0x53, NULL, 0);
	p.key_len = 0;	/* a row from before patient keys */
	assert_int_equal(mg_store_patient_put(f->store, &p, &into, &created), 0);
	assert_int_equal(store_sql_count(f, "DELETE FROM patient_identities WHERE patient_id = ?1",
					 into), 1);
	assert_int_equal(mg_store_patient_get(f->store, into, &row), 0);
	assert_int_equal(row.id_key_len, 0);
	memset(prior, 0x51, sizeof(prior));
	assert_int_equal(mg_store_patient_merge(f->store, f->tenant, prior, into, STORE_T0, &from,
						&moved), 0);
	assert_int_equal(mg_store_patient_get(f->store, into, &row), 0);
	assert_int_equal(row.record_key_len, MG_WRAPPED_KEY_BYTES);
	assert_int_equal(row.record_key[0], 0xb1);
	assert_int_equal(row.id_key_len, 0);
	/* Key lengths other than a wrapped key's are refused. */
	p.key_len = 5;
	assert_int_equal(mg_store_patient_put(f->store, &p, &into, &created), MG_ERR_INVALID);
	mp.patient_key_len = 5;
	assert_int_equal(mg_store_measurement_put_batch(f->store, items, 1), MG_ERR_INVALID);
}

/* Values stored in clear before migration 0014 are sealed once, up to the
 * migration's mark; a value written in clear afterwards is not. */
static void test_values_seal_clear(void **state)
{
	struct store_fixture *f = *state;
	int64_t device = store_device(f, f->tenant, 1), sealed;
	struct seen_values sv = {0};

	put_value(f, device, "c-1", 0x41, 60.5);
	put_value(f, device, "c-2", 0x42, 61.5);
	put_value(f, device, "c-3", 0x43, 62.5);
	assert_int_equal(mg_store_measurement_list(f->store, f->tenant, 0, 10, see_value, &sv), 0);
	assert_int_equal(sv.n, 3);
	/* As an older medgate left them: c-1 and c-2 in clear, marked. */
	assert_int_equal(store_sql_count(f, "UPDATE measurement_values SET value_sealed = NULL,"
					 " value = 60.5 + measurement_id - ?1 WHERE measurement_id <= ?1 + 1",
					 sv.ids[0]), 2);
	assert_int_equal(store_sql_count(f, "INSERT INTO settings (name, value)"
					 " VALUES ('values.clear_until', CAST(?1 AS TEXT))",
					 sv.ids[0] + 1), 1);
	assert_int_equal(mg_store_values_seal_clear(f->store, &sealed), 0);
	assert_int_equal(sealed, 2);
	memset(&sv, 0, sizeof(sv));
	assert_int_equal(mg_store_measurement_list(f->store, f->tenant, 0, 10, see_value, &sv), 0);
	assert_int_equal(sv.n, 3);
	assert_true(sv.kg[0] == 60.5 && sv.kg[1] == 61.5 && sv.kg[2] == 62.5);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM measurement_values"
					 " WHERE value IS NOT NULL OR value_sealed IS NULL", 0), 0);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM settings"
					 " WHERE name = 'values.clear_until'", 0), 0);
	/* Once only: a value written in clear now stays refused. */
	assert_int_equal(store_sql_count(f, "UPDATE measurement_values SET value_sealed = NULL,"
					 " value = 99 WHERE measurement_id = ?1", sv.ids[2]), 1);
	assert_int_equal(mg_store_values_seal_clear(f->store, &sealed), 0);
	assert_int_equal(sealed, 0);
	memset(&sv, 0, sizeof(sv));
	assert_int_equal(mg_store_measurement_list(f->store, f->tenant, 0, 10, see_value, &sv), 0);
	assert_int_equal(sv.n, 2);
}

static void test_put_get_update(void **state)
{
	struct store_fixture *f = *state;
	const unsigned char tokens[2] = {0xa1, 0xa2};
	struct mg_patient_put p;
	struct mg_patient_row row;
	int64_t id = 0, again = 0, device = store_device(f, f->tenant, 1), found;
	bool created = false;

	/* A patient measurements made first gets its identity later. */
	put_measurement(f, device, "m-1", 0x11);
	fill_put(&p, f->tenant, 0x11, tokens, 2);
	assert_int_equal(mg_store_patient_put(f->store, &p, &id, &created), 0);
	assert_true(created);
	assert_int_equal(mg_store_patient_find(f->store, f->tenant, p.blind_index, &found), 0);
	assert_int_equal(found, id);
	assert_int_equal(mg_store_patient_get(f->store, id, &row), 0);
	assert_int_equal(row.tenant_id, f->tenant);
	assert_int_equal(row.record_len, 100);
	assert_int_equal(row.record[0], 0x11 ^ 0x5a);
	assert_int_equal(row.sealed_id_len, 48);
	assert_int_equal(row.updated_ms, STORE_T0);
	assert_int_equal(row.discharged_ms, 0);

	/* Create-only is refused once there is an identity; update is not. */
	p.must_be_new = true;
	assert_int_equal(mg_store_patient_put(f->store, &p, &again, &created), MG_ERR_EXISTS);
	p.must_be_new = false;
	memset(p.record, 0x77, 200);
	p.record_len = 200;
	p.now_ms = STORE_T0 + 5;
	assert_int_equal(mg_store_patient_put(f->store, &p, &again, &created), 0);
	assert_false(created);
	assert_int_equal(again, id);
	assert_int_equal(mg_store_patient_get(f->store, id, &row), 0);
	assert_int_equal(row.record_len, 200);
	assert_int_equal(row.record[199], 0x77);
	assert_int_equal(row.updated_ms, STORE_T0 + 5);

	/* A patient without identity reads with record_len 0. */
	put_measurement(f, device, "m-2", 0x12);
	memset(p.blind_index, 0x12, sizeof(p.blind_index));
	assert_int_equal(mg_store_patient_find(f->store, f->tenant, p.blind_index, &found), 0);
	assert_int_equal(mg_store_patient_get(f->store, found, &row), 0);
	assert_int_equal(row.record_len, 0);
	assert_int_equal(mg_store_patient_get(f->store, 999999, &row), MG_ERR_NOT_FOUND);

	/* Bad calls, same answer on both back ends (the front). */
	p.record_len = 0;
	assert_int_equal(mg_store_patient_put(f->store, &p, &again, &created), MG_ERR_INVALID);
	p.record_len = 100;
	p.ntokens = MG_PATIENT_PUT_TOKENS_MAX + 1;
	assert_int_equal(mg_store_patient_put(f->store, &p, &again, &created), MG_ERR_LIMIT);
	p.ntokens = 0;
	p.tenant_id = 424242;
	assert_int_equal(mg_store_patient_put(f->store, &p, &again, &created), MG_ERR_NOT_FOUND);
}

static void test_search(void **state)
{
	struct store_fixture *f = *state;
	struct mg_patient_put p;
	unsigned char q[3][MG_BLIND_INDEX_BYTES];
	struct found fd = {0};
	int64_t a, b, c;
	bool created;

	fill_put(&p, f->tenant, 0x21, (const unsigned char[]){0xb1, 0xb2, 0xd1}, 3);
	assert_int_equal(mg_store_patient_put(f->store, &p, &a, &created), 0);
	fill_put(&p, f->tenant, 0x22, (const unsigned char[]){0xb1, 0xb3, 0xd2}, 3);
	assert_int_equal(mg_store_patient_put(f->store, &p, &b, &created), 0);
	/* The same tokens in the other tenant are never found from this one. */
	fill_put(&p, f->tenant2, 0x23, (const unsigned char[]){0xb1, 0xb2, 0xd1}, 3);
	assert_int_equal(mg_store_patient_put(f->store, &p, &c, &created), 0);

	memset(q[0], 0xb1, MG_BLIND_INDEX_BYTES);
	assert_int_equal(mg_store_patient_search(f->store, f->tenant, q, 1, 10, see_patient, &fd),
			 0);
	assert_int_equal(fd.n, 2);
	assert_int_equal(fd.ids[0], a);
	assert_int_equal(fd.ids[1], b);
	/* Every token must match. */
	memset(&fd, 0, sizeof(fd));
	memset(q[1], 0xb2, MG_BLIND_INDEX_BYTES);
	assert_int_equal(mg_store_patient_search(f->store, f->tenant, q, 2, 10, see_patient, &fd),
			 0);
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.ids[0], a);
	memset(&fd, 0, sizeof(fd));
	memset(q[2], 0xd2, MG_BLIND_INDEX_BYTES);
	assert_int_equal(mg_store_patient_search(f->store, f->tenant, q, 3, 10, see_patient, &fd),
			 0);
	assert_int_equal(fd.n, 0);
	/* The limit holds. */
	memset(&fd, 0, sizeof(fd));
	assert_int_equal(mg_store_patient_search(f->store, f->tenant, q, 1, 1, see_patient, &fd),
			 0);
	assert_int_equal(fd.n, 1);
	memset(&fd, 0, sizeof(fd));
	assert_int_equal(mg_store_patient_search(f->store, f->tenant2, q, 2, 10, see_patient, &fd),
			 0);
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.ids[0], c);

	/* An update replaces the tokens. */
	fill_put(&p, f->tenant, 0x21, (const unsigned char[]){0xb9}, 1);
	assert_int_equal(mg_store_patient_put(f->store, &p, &a, &created), 0);
	memset(&fd, 0, sizeof(fd));
	assert_int_equal(mg_store_patient_search(f->store, f->tenant, q, 2, 10, see_patient, &fd),
			 0);
	assert_int_equal(fd.n, 0);

	/* Repeated tokens, too many, a limit out of range. */
	memcpy(q[1], q[0], MG_BLIND_INDEX_BYTES);
	assert_int_equal(mg_store_patient_search(f->store, f->tenant, q, 2, 10, see_patient, &fd),
			 MG_ERR_INVALID);
	assert_int_equal(mg_store_patient_search(f->store, f->tenant, q, 1, 0, see_patient, &fd),
			 MG_ERR_INVALID);
	assert_int_equal(mg_store_patient_search(f->store, f->tenant, q, 1,
						 MG_PATIENT_SEARCH_MAX + 1, see_patient, &fd),
			 MG_ERR_LIMIT);
}

static void test_discharge(void **state)
{
	struct store_fixture *f = *state;
	struct mg_patient_put p;
	struct mg_patient_row row;
	int64_t id;
	bool created;

	fill_put(&p, f->tenant, 0x31, NULL, 0);
	assert_int_equal(mg_store_patient_put(f->store, &p, &id, &created), 0);
	assert_int_equal(mg_store_patient_discharge(f->store, id, STORE_T0 + 9), 0);
	assert_int_equal(mg_store_patient_get(f->store, id, &row), 0);
	assert_int_equal(row.discharged_ms, STORE_T0 + 9);
	/* An update of the identity keeps the discharge; 0 admits again. */
	assert_int_equal(mg_store_patient_put(f->store, &p, &id, &created), 0);
	assert_int_equal(mg_store_patient_get(f->store, id, &row), 0);
	assert_int_equal(row.discharged_ms, STORE_T0 + 9);
	assert_int_equal(mg_store_patient_discharge(f->store, id, 0), 0);
	assert_int_equal(mg_store_patient_get(f->store, id, &row), 0);
	assert_int_equal(row.discharged_ms, 0);
	assert_int_equal(mg_store_patient_discharge(f->store, 999999, 1), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_patient_discharge(f->store, id, -1), MG_ERR_INVALID);
}

static void test_merge(void **state)
{
	struct store_fixture *f = *state;
	struct mg_patient_put p;
	struct mg_patient_row row;
	unsigned char prior[MG_BLIND_INDEX_BYTES], q[1][MG_BLIND_INDEX_BYTES];
	struct found fd = {0};
	int64_t device = store_device(f, f->tenant, 1), into, from, moved, found, other;
	size_t n = 0;
	bool created;

	/* Two measurements under the prior id (with an identity), one under
	 * the surviving id. */
	put_measurement(f, device, "old-1", 0x41);
	put_measurement(f, device, "old-2", 0x41);
	put_measurement(f, device, "new-1", 0x42);
	fill_put(&p, f->tenant, 0x41, (const unsigned char[]){0xc1}, 1);
	assert_int_equal(mg_store_patient_put(f->store, &p, &from, &created), 0);
	fill_put(&p, f->tenant, 0x42, NULL, 0);
	p.record_len = 0;
	assert_int_equal(mg_store_patient_find(f->store, f->tenant, p.blind_index, &into), 0);

	memset(prior, 0x41, sizeof(prior));
	assert_int_equal(
	    mg_store_patient_merge(f->store, f->tenant, prior, into, STORE_T0, &found, &moved), 0);
	assert_int_equal(found, from);
	assert_int_equal(moved, 2);
	assert_int_equal(mg_store_patient_measurements(f->store, into, 10, count_measurement, &n),
			 0);
	assert_int_equal(n, 3);
	n = 0;
	assert_int_equal(mg_store_patient_measurements(f->store, from, 10, count_measurement, &n),
			 0);
	assert_int_equal(n, 0);
	/* The prior id now finds the survivor, which kept the prior identity
	 * (it had none) and its search token. */
	assert_int_equal(mg_store_patient_find(f->store, f->tenant, prior, &other), 0);
	assert_int_equal(other, into);
	assert_int_equal(mg_store_patient_get(f->store, into, &row), 0);
	assert_int_equal(row.record_len, 100);
	memset(q[0], 0xc1, MG_BLIND_INDEX_BYTES);
	assert_int_equal(mg_store_patient_search(f->store, f->tenant, q, 1, 10, see_patient, &fd),
			 0);
	assert_int_equal(fd.n, 1);
	assert_int_equal(fd.ids[0], into);
	/* A later measurement under the prior id goes to the survivor. */
	put_measurement(f, device, "old-3", 0x41);
	n = 0;
	assert_int_equal(mg_store_patient_measurements(f->store, into, 10, count_measurement, &n),
			 0);
	assert_int_equal(n, 4);
	/* Merging again, or into itself, changes nothing. */
	assert_int_equal(
	    mg_store_patient_merge(f->store, f->tenant, prior, into, STORE_T0, &found, &moved), 0);
	assert_int_equal(moved, 0);
	/* Unknown prior id, a survivor of another tenant. */
	memset(prior, 0x49, sizeof(prior));
	assert_int_equal(
	    mg_store_patient_merge(f->store, f->tenant, prior, into, STORE_T0, &found, &moved),
	    MG_ERR_NOT_FOUND);
	memset(prior, 0x41, sizeof(prior));
	assert_int_equal(
	    mg_store_patient_merge(f->store, f->tenant2, prior, into, STORE_T0, &found, &moved),
	    MG_ERR_NOT_FOUND);
	fill_put(&p, f->tenant2, 0x41, NULL, 0);
	p.record_len = 1;
	assert_int_equal(mg_store_patient_put(f->store, &p, &other, &created), 0);
	assert_int_equal(
	    mg_store_patient_merge(f->store, f->tenant2, prior, into, STORE_T0, &found, &moved),
	    MG_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_put_get_update, store_fixture_setup,
					    store_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_search, store_fixture_setup,
					    store_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_discharge, store_fixture_setup,
					    store_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_patient_keys_stored, store_fixture_setup,
					    store_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_values_seal_clear, store_fixture_setup,
					    store_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_sealed_values, store_fixture_setup,
					    store_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_merge, store_fixture_setup,
					    store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
