/* The store's tenants beyond create and look-up (list, rename, usage,
 * delete and its crypto-erase), moving devices between tenants, and a
 * patient's measurements. Each test gets a fresh database
 * (store_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixture.h"

struct seen {
	size_t n, stop_after;
	int stop_with;
	int64_t ids[16];
	char names[16][MG_NAME_MAX + 1];
};

static int see_tenant(const struct mg_tenant *t, void *arg)
{
	struct seen *s = arg;

	s->ids[s->n] = t->id;
	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", t->name);
	return ++s->n == s->stop_after ? s->stop_with : 0;
}

static void test_tenant_list_rename(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	const char *evil = "t'); DELETE FROM tenants;--";
	char long_name[MG_NAME_MAX + 2];
	struct seen s = { 0 };
	struct mg_tenant t, before;

	assert_int_equal(mg_store_tenant_list(db, see_tenant, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], f->tenant);
	assert_string_equal(s.names[1], "south");
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	s.stop_with = 7;
	assert_int_equal(mg_store_tenant_list(db, see_tenant, &s), 7);
	assert_int_equal(s.n, 1);

	assert_int_equal(mg_store_tenant_by_id(db, f->tenant, &before), 0);
	assert_int_equal(mg_store_tenant_rename(db, f->tenant, "east"), 0);
	assert_int_equal(mg_store_tenant_by_name(db, "east", &t), 0);
	assert_int_equal(t.id, f->tenant);
	assert_memory_equal(t.wrapped_key, before.wrapped_key, sizeof(t.wrapped_key));	/* the key stays */
	assert_int_equal(mg_store_tenant_by_name(db, "north", &t), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_tenant_rename(db, f->tenant2, "east"), MG_ERR_EXISTS);
	assert_int_equal(mg_store_tenant_rename(db, f->tenant, "east"), 0);	/* itself */
	assert_int_equal(mg_store_tenant_rename(db, 999, "west"), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_tenant_rename(db, f->tenant, ""), MG_ERR_INVALID);
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(mg_store_tenant_rename(db, f->tenant, long_name), MG_ERR_LIMIT);
	assert_int_equal(mg_store_tenant_rename(db, f->tenant2, evil), 0);
	assert_int_equal(mg_store_tenant_by_name(db, evil, &t), 0);
	assert_int_equal(t.id, f->tenant2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(mg_store_tenant_list(db, see_tenant, &s), 0);
	assert_int_equal(s.n, 2);
}

static void fill(struct mg_measurement *m, struct mg_measurement_put *p, int64_t device,
		 int64_t tenant, const char *mid, unsigned char patient, int64_t time_ms)
{
	memset(m, 0, sizeof(*m));
	memset(p, 0, sizeof(*p));
	snprintf(m->device_mid, sizeof(m->device_mid), "%s", mid);
	m->time_ms = time_ms;
	m->nvalues = 2;
	m->values[0].quantity = mg_quantity_find("body_weight");
	m->values[0].value = 72.4;
	m->values[1].quantity = mg_quantity_find("body_height");
	m->values[1].value = 180;
	m->device_id = device;
	m->tenant_id = tenant;
	p->m = m;
	memset(p->blind_index, patient, sizeof(p->blind_index));
	memset(p->sealed_patient, patient, 48);
	p->sealed_len = 48;
	p->received_ms = mg_now_ms();
}

static void put_one(struct store_fixture *f, int64_t device, int64_t tenant, const char *mid,
		    unsigned char patient, int64_t time_ms, int64_t *id_out)
{
	struct mg_measurement m;
	struct mg_measurement_put p, *items[1] = { &p };

	fill(&m, &p, device, tenant, mid, patient, time_ms);
	assert_int_equal(mg_store_measurement_put_batch(f->store, items, 1), 0);
	assert_int_equal(p.result, 0);
	if (id_out != NULL)
		*id_out = p.id;
}

static void expect_usage(struct store_fixture *f, int64_t tenant, int64_t devices,
			 int64_t measurements, int64_t patients, int64_t members, int64_t tokens)
{
	struct mg_tenant_usage u;

	assert_int_equal(mg_store_tenant_usage(f->store, tenant, &u), 0);
	assert_int_equal(u.devices, devices);
	assert_int_equal(u.measurements, measurements);
	assert_int_equal(u.patients, patients);
	assert_int_equal(u.members, members);
	assert_int_equal(u.tokens, tokens);
}

/* A device enrolled with the token whose hash is given. */
static int64_t enrol(struct store_fixture *f, const unsigned char *hash, unsigned number)
{
	struct mg_enrol_token tok;
	struct mg_device d;

	assert_int_equal(mg_store_token_find(f->store, hash, mg_now_ms(), &tok), 0);
	memset(&d, 0, sizeof(d));
	d.tenant_id = tok.tenant_id;
	snprintf(d.name, sizeof(d.name), "%s", tok.device_name);
	snprintf(d.cert_fingerprint, sizeof(d.cert_fingerprint), "%064u", number);
	snprintf(d.cert_serial, sizeof(d.cert_serial), "%02x", number);
	assert_int_equal(mg_store_device_enrol(f->store, tok.id, mg_now_ms(), &d), 0);
	return d.id;
}

/* Whatever still refers to a tenant keeps it; once nothing does, it goes. */
static void test_tenant_delete(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES] = { 3 }, hash[MG_TOKEN_HASH_BYTES];
	struct mg_tenant_usage usage;
	struct mg_tenant t;
	int64_t west, token, device, device2, user;

	assert_int_equal(mg_store_tenant_usage(db, 999, &usage), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_tenant_delete(db, 999), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_tenant_create(db, "west", wrapped, &west), 0);
	expect_usage(f, west, 0, 0, 0, 0, 0);

	/* An unused token waits to enrol a device; an expired one never will. */
	store_hash(hash, 1);
	assert_int_equal(mg_store_token_create(db, west, "bp", hash, mg_now_ms() + 60000, &token), 0);
	store_hash(hash, 2);
	assert_int_equal(mg_store_token_create(db, west, "old", hash, mg_now_ms() - 1, &token), 0);
	expect_usage(f, west, 0, 0, 0, 0, 1);
	assert_int_equal(mg_store_tenant_delete(db, west), MG_ERR_BUSY);

	device = store_device(f, west, 1);	/* uses a token of its own */
	user = store_user(f, "quinn", MG_ROLE_CLINICIAN, &west, 1);
	expect_usage(f, west, 1, 0, 0, 1, 1);
	assert_int_equal(mg_store_tenant_delete(db, west), MG_ERR_BUSY);
	assert_int_equal(mg_store_device_set_tenant(db, device, f->tenant), 0);
	assert_int_equal(mg_store_user_set_access(db, user, MG_ROLE_CLINICIAN, NULL, 0), 0);
	expect_usage(f, west, 0, 0, 0, 0, 1);
	assert_int_equal(mg_store_tenant_delete(db, west), MG_ERR_BUSY);
	store_hash(hash, 1);
	device2 = enrol(f, hash, 77);
	assert_int_equal(mg_store_device_set_tenant(db, device2, f->tenant2), 0);
	/* Only used and expired tokens are left: they go with the tenant. */
	expect_usage(f, west, 0, 0, 0, 0, 0);
	assert_int_equal(mg_store_tenant_delete(db, west), 0);
	assert_int_equal(mg_store_tenant_by_id(db, west, &t), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_tenant_delete(db, west), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_device_by_id(db, device, &(struct mg_device){ 0 }), 0);

	/* Measurements and patients stay with the tenant they were taken in. */
	device = store_device(f, f->tenant2, 2);
	put_one(f, device, f->tenant2, "m-1", 9, 1700000000000, NULL);
	assert_int_equal(mg_store_device_set_tenant(db, device, f->tenant), 0);
	expect_usage(f, f->tenant2, 1, 1, 1, 0, 0);	/* device2 is there now */
	assert_int_equal(mg_store_tenant_delete(db, f->tenant2), MG_ERR_BUSY);
	assert_int_equal(mg_store_tenant_by_id(db, f->tenant2, &t), 0);
}

/* Whether the file at path holds the bytes pat. */
static bool file_holds(const char *path, const unsigned char *pat, size_t patlen)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf = NULL;
	long size;
	size_t len = 0;
	bool found = false;

	if (fp == NULL)
		return false;
	if (fseek(fp, 0, SEEK_END) == 0 && (size = ftell(fp)) > 0 && fseek(fp, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size);
		assert_non_null(buf);
		len = fread(buf, 1, (size_t)size, fp);
	}
	fclose(fp);
	for (size_t i = 0; !found && i + patlen <= len; i++)
		found = memcmp(buf + i, pat, patlen) == 0;
	free(buf);
	return found;
}

static bool store_holds(const struct store_fixture *f, const unsigned char *pat, size_t patlen)
{
	char db[128], wal[128];

	snprintf(db, sizeof(db), "%s/test.db", f->dir);
	snprintf(wal, sizeof(wal), "%s/test.db-wal", f->dir);
	return file_holds(db, pat, patlen) || file_holds(wal, pat, patlen);
}

/* A deleted tenant's wrapped key is gone from the database file and the
 * WAL: what it sealed can no longer be opened. */
static void test_tenant_crypto_erase(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES];
	int64_t id;

	if (!store_on_sqlite(f))
		skip();
	for (size_t i = 0; i < sizeof(wrapped); i++)
		wrapped[i] = (unsigned char)(0xa5 ^ (i * 7));
	assert_int_equal(mg_store_tenant_create(db, "doomed", wrapped, &id), 0);
	assert_int_equal(mg_store_tenant_rename(db, id, "doomed-2"), 0);	/* a 2nd copy */
	assert_true(store_holds(f, wrapped, sizeof(wrapped)));
	assert_int_equal(mg_store_tenant_delete(db, id), 0);
	assert_false(store_holds(f, wrapped, sizeof(wrapped)));
}

static void test_device_set_tenant(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	int64_t device = store_device(f, f->tenant, 1);
	struct mg_device d;

	assert_int_equal(mg_store_device_set_tenant(db, device, f->tenant2), 0);
	assert_int_equal(mg_store_device_by_id(db, device, &d), 0);
	assert_int_equal(d.tenant_id, f->tenant2);
	assert_int_equal(mg_store_device_set_tenant(db, device, 999), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_device_by_id(db, device, &d), 0);
	assert_int_equal(d.tenant_id, f->tenant2);
	assert_int_equal(mg_store_device_set_tenant(db, 999, f->tenant), MG_ERR_NOT_FOUND);
}

struct rows {
	size_t n, stop_after;
	int stop_with;
	int64_t ids[16], measured[16];
};

static int see_row(const struct mg_measurement_row *row, void *arg)
{
	struct rows *r = arg;

	assert_int_equal(row->nvalues, 2);
	assert_string_equal(row->values[0].quantity, "body_weight");
	assert_string_equal(row->values[0].unit, "kg");
	assert_true(row->values[1].value == 180);
	assert_string_equal(row->device_name, "scale-1");
	r->ids[r->n] = row->id;
	r->measured[r->n] = row->measured_ms;
	return ++r->n == r->stop_after ? r->stop_with : 0;
}

/* key rotate's op: all tenants re-keyed at once, or none. */
static void test_tenant_keys_replace(void **state)
{
	struct store_fixture *f = *state;
	struct mg_tenant_key_change ch[2];
	struct mg_tenant a, b;

	assert_int_equal(mg_store_tenant_by_id(f->store, f->tenant, &a), 0);
	assert_int_equal(mg_store_tenant_by_id(f->store, f->tenant2, &b), 0);
	memset(ch, 0, sizeof(ch));
	ch[0].tenant_id = f->tenant;
	memcpy(ch[0].from, a.wrapped_key, sizeof(ch[0].from));
	memset(ch[0].to, 7, sizeof(ch[0].to));
	ch[1].tenant_id = f->tenant2;
	memcpy(ch[1].from, b.wrapped_key, sizeof(ch[1].from));
	memset(ch[1].to, 8, sizeof(ch[1].to));
	/* Not every tenant: refused, nothing changed. */
	assert_int_equal(mg_store_tenant_keys_replace(f->store, ch, 1), MG_ERR_CONFLICT);
	assert_int_equal(mg_store_tenant_by_id(f->store, f->tenant, &a), 0);
	assert_memory_equal(a.wrapped_key, ch[0].from, sizeof(a.wrapped_key));
	/* A key that is not the one named (changed meanwhile): refused whole. */
	ch[1].from[0] ^= 1;
	assert_int_equal(mg_store_tenant_keys_replace(f->store, ch, 2), MG_ERR_CONFLICT);
	assert_int_equal(mg_store_tenant_by_id(f->store, f->tenant, &a), 0);
	assert_memory_equal(a.wrapped_key, ch[0].from, sizeof(a.wrapped_key));
	ch[1].from[0] ^= 1;
	assert_int_equal(mg_store_tenant_keys_replace(f->store, ch, 2), 0);
	assert_int_equal(mg_store_tenant_by_id(f->store, f->tenant, &a), 0);
	assert_int_equal(mg_store_tenant_by_id(f->store, f->tenant2, &b), 0);
	assert_memory_equal(a.wrapped_key, ch[0].to, sizeof(a.wrapped_key));
	assert_memory_equal(b.wrapped_key, ch[1].to, sizeof(b.wrapped_key));
	/* Done once: the same changes again no longer match. */
	assert_int_equal(mg_store_tenant_keys_replace(f->store, ch, 2), MG_ERR_CONFLICT);
	assert_int_equal(mg_store_tenant_keys_replace(f->store, NULL, 1), MG_ERR_INVALID);
	assert_int_equal(mg_store_tenant_keys_replace(f->store, ch, MG_TENANT_KEYS_MAX + 1),
			 MG_ERR_LIMIT);
}

static void test_patient_measurements(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	unsigned char blind[MG_BLIND_INDEX_BYTES];
	int64_t device = store_device(f, f->tenant, 1), patient, other, ids[4];
	/* Out of time order, with a tie broken by id. */
	const int64_t times[4] = { 300, 100, 200, 100 };
	const size_t expect[4] = { 1, 3, 2, 0 };
	struct rows r = { 0 };
	char mid[16];

	for (size_t i = 0; i < 4; i++) {
		snprintf(mid, sizeof(mid), "p-%zu", i);
		put_one(f, device, f->tenant, mid, 0x11, times[i], &ids[i]);
	}
	put_one(f, device, f->tenant, "q-1", 0x22, 50, NULL);
	memset(blind, 0x11, sizeof(blind));
	assert_int_equal(mg_store_patient_find(db, f->tenant, blind, &patient), 0);
	assert_int_equal(mg_store_patient_find(db, f->tenant2, blind, &other), MG_ERR_NOT_FOUND);
	assert_int_equal(other, 0);
	memset(blind, 0x22, sizeof(blind));
	assert_int_equal(mg_store_patient_find(db, f->tenant, blind, &other), 0);
	assert_int_not_equal(other, patient);

	assert_int_equal(mg_store_patient_measurements(db, patient, 10, see_row, &r), 0);
	assert_int_equal(r.n, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(r.ids[i], ids[expect[i]]);
		assert_int_equal(r.measured[i], times[expect[i]]);
	}
	memset(&r, 0, sizeof(r));
	assert_int_equal(mg_store_patient_measurements(db, patient, 2, see_row, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ids[1], ids[3]);
	memset(&r, 0, sizeof(r));
	assert_int_equal(mg_store_patient_measurements(db, patient, 0, see_row, &r), 0);
	assert_int_equal(r.n, 0);
	r.stop_after = 3;
	r.stop_with = 5;
	assert_int_equal(mg_store_patient_measurements(db, patient, 10, see_row, &r), 5);
	assert_int_equal(r.n, 3);
	memset(&r, 0, sizeof(r));
	assert_int_equal(mg_store_patient_measurements(db, 999, 10, see_row, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(mg_store_patient_measurements(db, other, SIZE_MAX, see_row, &r), 0);
	assert_int_equal(r.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, store_fixture_setup, store_fixture_teardown)
		T(test_tenant_list_rename),
		T(test_tenant_delete),
		T(test_tenant_crypto_erase),
		T(test_device_set_tenant),
		T(test_tenant_keys_replace),
		T(test_patient_measurements),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
