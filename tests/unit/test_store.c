/* The store interface, through whatever back end the configuration names
 * (SQLite, or PostgreSQL under MG_TEST_PG_CONNINFO: store_fixture.h): tenants, tokens, devices,
 * the group-commit batch with duplicates, listing; and the writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "ingest/writer.h"
#include "store/store.h"
#include "store_fixture.h"

struct fixture {
	char dir[64];
	struct mg_config cfg;
	struct mg_store *store;
	struct mg_keyring *keys;
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES];	/* the tenant's key */
	int64_t tenant, device;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	unsigned char hash[MG_TOKEN_HASH_BYTES] = { 7 };
	struct mg_enrol_token tok;
	struct mg_device d;
	char err[256];
	int version;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/medgate-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (store_test_config(&f->cfg, f->dir) != 0 ||
	    mg_store_open(&f->cfg, true, &f->store, err, sizeof(err)) != 0 ||
	    mg_store_migrate(f->store, &version) != 0 || version < 1 ||
	    store_test_keyring(f->store, f->dir, &f->keys) != 0 ||
	    mg_keyring_tenant_key_new(f->keys, f->wrapped) != 0 ||
	    mg_store_tenant_create(f->store, "default", f->wrapped, &f->tenant) != 0 ||
	    mg_store_token_create(f->store, f->tenant, "scale", hash, mg_now_ms() + 60000,
				   &tok.id) != 0)
		return -1;
	memset(&d, 0, sizeof(d));
	d.tenant_id = f->tenant;
	snprintf(d.name, sizeof(d.name), "scale");
	snprintf(d.cert_fingerprint, sizeof(d.cert_fingerprint), "%064d", 1);
	snprintf(d.cert_serial, sizeof(d.cert_serial), "01");
	d.cert_not_after_ms = mg_now_ms() + 86400000;
	if (mg_store_device_enrol(f->store, tok.id, mg_now_ms(), &d) != 0)
		return -1;
	f->device = d.id;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	mg_store_close(f->store);
	mg_keyring_free(f->keys);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void test_tenants(void **state)
{
	struct fixture *f = *state;
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES] = { 2 };
	struct mg_tenant t;
	int64_t id;

	assert_int_equal(mg_store_tenant_by_name(f->store, "default", &t), 0);
	assert_int_equal(t.id, f->tenant);
	assert_memory_equal(t.wrapped_key, f->wrapped, sizeof(t.wrapped_key));
	assert_int_equal(mg_store_tenant_create(f->store, "default", wrapped, &id), MG_ERR_EXISTS);
	assert_int_equal(mg_store_tenant_by_name(f->store, "nope", &t), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_tenant_by_id(f->store, 999, &t), MG_ERR_NOT_FOUND);
	/* SQL metacharacters are data, never code. */
	assert_int_equal(mg_store_tenant_create(f->store, "x'); DROP TABLE tenants;--", wrapped, &id), 0);
	assert_int_equal(mg_store_tenant_by_name(f->store, "x'); DROP TABLE tenants;--", &t), 0);
}

static void test_tokens(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[MG_TOKEN_HASH_BYTES] = { 9 }, expired[MG_TOKEN_HASH_BYTES] = { 10 };
	struct mg_enrol_token tok;
	struct mg_device d;
	int64_t now = mg_now_ms(), id;

	memset(&d, 0, sizeof(d));
	d.tenant_id = f->tenant;
	snprintf(d.name, sizeof(d.name), "bp");
	snprintf(d.cert_fingerprint, sizeof(d.cert_fingerprint), "%064d", 2);
	snprintf(d.cert_serial, sizeof(d.cert_serial), "02");
	assert_int_equal(mg_store_token_create(f->store, f->tenant, "bp", hash, now + 60000, &id), 0);
	assert_int_equal(mg_store_token_find(f->store, hash, now, &tok), 0);
	assert_string_equal(tok.device_name, "bp");
	assert_int_equal(mg_store_token_create(f->store, f->tenant, "old", expired, now - 1, &id), 0);
	assert_int_equal(mg_store_token_find(f->store, expired, now, &tok), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_device_enrol(f->store, id, now, &d), MG_ERR_NOT_FOUND);

	assert_int_equal(mg_store_token_find(f->store, hash, now, &tok), 0);
	assert_int_equal(mg_store_device_enrol(f->store, tok.id, now, &d), 0);
	assert_int_equal(d.status, MG_DEVICE_ACTIVE);
	/* Used once: gone for the next one. */
	assert_int_equal(mg_store_token_find(f->store, hash, now, &tok), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_device_enrol(f->store, tok.id, now, &d), MG_ERR_NOT_FOUND);
}

static void test_device_status(void **state)
{
	struct fixture *f = *state;
	struct mg_device d;
	char fp[65];

	snprintf(fp, sizeof(fp), "%064d", 1);
	assert_int_equal(mg_store_device_by_fingerprint(f->store, fp, &d), 0);
	assert_int_equal(d.id, f->device);
	assert_int_equal(mg_store_device_set_status(f->store, d.id, MG_DEVICE_BLOCKED), 0);
	assert_int_equal(mg_store_device_by_id(f->store, d.id, &d), 0);
	assert_int_equal(d.status, MG_DEVICE_BLOCKED);
	assert_int_equal(mg_store_device_set_status(f->store, d.id, MG_DEVICE_ACTIVE), 0);
	assert_int_equal(mg_store_device_set_status(f->store, 999, MG_DEVICE_ACTIVE), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_device_by_fingerprint(f->store, "00", &d), MG_ERR_NOT_FOUND);
}

/* Renewal swaps the certificate of the same device: the old fingerprint
 * names nothing from then on; a stale, wrong or revoked one changes nothing. */
static void test_device_renew(void **state)
{
	struct fixture *f = *state;
	int64_t until = mg_now_ms() + 2 * 86400000LL;
	struct mg_device d;
	char old[65], fresh[65], other[65];

	snprintf(old, sizeof(old), "%064d", 1);
	snprintf(fresh, sizeof(fresh), "%064d", 7);
	snprintf(other, sizeof(other), "%064d", 8);
	assert_int_equal(mg_store_device_renew(f->store, f->device, old, fresh, "0a", until), 0);
	assert_int_equal(mg_store_device_by_fingerprint(f->store, old, &d), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_device_by_fingerprint(f->store, fresh, &d), 0);
	assert_int_equal(d.id, f->device);
	assert_string_equal(d.cert_serial, "0a");
	assert_true(d.cert_not_after_ms == until);
	/* The old certificate cannot renew again (it names no device now). */
	assert_int_equal(mg_store_device_renew(f->store, f->device, old, other, "0b", until),
			 MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_device_renew(f->store, 999, fresh, other, "0b", until),
			 MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_device_renew(f->store, f->device, fresh, "", "0b", until),
			 MG_ERR_INVALID);
	assert_int_equal(mg_store_device_renew(f->store, f->device, fresh, other, "0b", 0),
			 MG_ERR_INVALID);
	assert_int_equal(mg_store_device_set_status(f->store, f->device, MG_DEVICE_REVOKED), 0);
	assert_int_equal(mg_store_device_renew(f->store, f->device, fresh, other, "0b", until),
			 MG_ERR_NOT_FOUND);
}

/* The model named at enrolment is kept; another one reported later is
 * recorded beside it (and cleared again). */
static void test_device_model(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[MG_TOKEN_HASH_BYTES] = { 11 };
	struct mg_enrol_token tok;
	struct mg_device d;
	int64_t now = mg_now_ms();

	memset(&d, 0, sizeof(d));
	d.tenant_id = f->tenant;
	snprintf(d.name, sizeof(d.name), "rod");
	snprintf(d.cert_fingerprint, sizeof(d.cert_fingerprint), "%064d", 3);
	snprintf(d.cert_serial, sizeof(d.cert_serial), "03");
	snprintf(d.model, sizeof(d.model), "acme-rod");
	d.cert_not_after_ms = now + 86400000;
	assert_int_equal(mg_store_token_create(f->store, f->tenant, "rod", hash, now + 60000,
					       &tok.id), 0);
	assert_int_equal(mg_store_device_enrol(f->store, tok.id, now, &d), 0);
	assert_int_equal(mg_store_device_by_id(f->store, d.id, &d), 0);
	assert_string_equal(d.model, "acme-rod");
	assert_string_equal(d.reported_model, "");
	assert_int_equal(mg_store_device_set_reported_model(f->store, d.id, "acme-s100"), 0);
	assert_int_equal(mg_store_device_by_id(f->store, d.id, &d), 0);
	assert_string_equal(d.model, "acme-rod");
	assert_string_equal(d.reported_model, "acme-s100");
	assert_int_equal(mg_store_device_set_reported_model(f->store, d.id, ""), 0);
	assert_int_equal(mg_store_device_by_id(f->store, d.id, &d), 0);
	assert_string_equal(d.reported_model, "");
	assert_int_equal(mg_store_device_set_reported_model(f->store, 999, "x"), MG_ERR_NOT_FOUND);
}

static void fill(struct mg_measurement *m, struct mg_measurement_put *p, int64_t device,
		 int64_t tenant, const char *mid, unsigned char patient)
{
	memset(m, 0, sizeof(*m));
	memset(p, 0, sizeof(*p));
	snprintf(m->device_mid, sizeof(m->device_mid), "%s", mid);
	m->time_ms = 1700000000000;
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

struct collect {
	size_t n;
	int64_t ids[16];
	char mids[16][MG_DEVICE_MID_MAX + 1];
};

static int collect_row(const struct mg_measurement_row *row, void *arg)
{
	struct collect *c = arg;

	assert_int_equal(row->nvalues, 2);
	assert_string_equal(row->values[0].quantity, "body_weight");
	assert_string_equal(row->values[0].unit, "kg");
	c->ids[c->n] = row->id;
	snprintf(c->mids[c->n], sizeof(c->mids[0]), "%s", row->device_mid);
	c->n++;
	return 0;
}

static void test_batch(void **state)
{
	struct fixture *f = *state;
	struct mg_measurement m[4];
	struct mg_measurement_put p[4], *items[4] = { &p[0], &p[1], &p[2], &p[3] };
	struct collect c = { 0 };
	int64_t count;

	fill(&m[0], &p[0], f->device, f->tenant, "b-1", 1);
	fill(&m[1], &p[1], f->device, f->tenant, "b-2", 1);
	fill(&m[2], &p[2], f->device, f->tenant, "b-1", 2);	/* same id in one batch */
	fill(&m[3], &p[3], 999, f->tenant, "b-3", 1);		/* no such device */
	assert_int_equal(mg_store_measurement_put_batch(f->store, items, 4), 0);
	assert_int_equal(p[0].result, 0);
	assert_false(p[0].duplicate);
	assert_int_equal(p[1].result, 0);
	assert_int_equal(p[2].result, 0);
	assert_true(p[2].duplicate);
	assert_int_equal(p[2].id, p[0].id);
	/* A bad item fails alone; the rest of the batch is stored. */
	assert_int_not_equal(p[3].result, 0);
	assert_int_equal(mg_store_measurement_count(f->store, f->tenant, &count), 0);
	assert_int_equal(count, 2);
	/* Resent later: same id, nothing new. */
	fill(&m[0], &p[0], f->device, f->tenant, "b-2", 1);
	assert_int_equal(mg_store_measurement_put_batch(f->store, items, 1), 0);
	assert_true(p[0].duplicate);
	assert_int_equal(p[0].id, p[1].id);
	assert_int_equal(mg_store_measurement_list(f->store, f->tenant, 0, 10, collect_row, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.mids[0], "b-1");
	assert_string_equal(c.mids[1], "b-2");
	c.n = 0;
	assert_int_equal(mg_store_measurement_list(f->store, f->tenant, c.ids[0] ? p[1].id - 1 : 0,
						    1, collect_row, &c), 0);
	assert_int_equal(c.n, 1);
	c.n = 0;
	assert_int_equal(mg_store_measurement_list(f->store, 999, 0, 10, collect_row, &c), 0);
	assert_int_equal(c.n, 0);
}

/* Several threads submit to the writer at once: every job is answered,
 * stored once, and batches form (fewer batches than measurements). */
#define WRITER_THREADS 4
#define WRITER_EACH 200

struct submitter {
	struct fixture *f;
	struct mg_writer *w;
	int index;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int answered, failed;
};

static void job_done(struct mg_write_job *job, void *arg)
{
	struct submitter *s = arg;

	pthread_mutex_lock(&s->lock);
	s->answered++;
	if (job->put.result != 0 || job->put.duplicate)
		s->failed++;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void *submit_many(void *arg)
{
	struct submitter *s = arg;
	struct mg_write_job *jobs = calloc(WRITER_EACH, sizeof(*jobs));
	char mid[32];

	assert_non_null(jobs);
	for (int i = 0; i < WRITER_EACH; i++) {
		snprintf(mid, sizeof(mid), "w-%d-%d", s->index, i);
		fill(&jobs[i].measurement, &jobs[i].put, s->f->device, s->f->tenant, mid,
		     (unsigned char)(i % 7));
		jobs[i].done = job_done;
		jobs[i].done_arg = s;
		assert_int_equal(mg_writer_submit(s->w, &jobs[i]), 0);
	}
	pthread_mutex_lock(&s->lock);
	while (s->answered < WRITER_EACH)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	free(jobs);
	return NULL;
}

static void test_writer_group_commit(void **state)
{
	struct fixture *f = *state;
	struct submitter s[WRITER_THREADS];
	pthread_t threads[WRITER_THREADS];
	struct mg_writer_stats stats;
	struct mg_writer *w = NULL;
	int64_t before, after;

	assert_int_equal(mg_store_measurement_count(f->store, 0, &before), 0);
	assert_int_equal(mg_writer_new(f->store, &w), 0);
	for (int i = 0; i < WRITER_THREADS; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].f = f;
		s[i].w = w;
		s[i].index = i;
		pthread_mutex_init(&s[i].lock, NULL);
		pthread_cond_init(&s[i].cond, NULL);
		assert_int_equal(pthread_create(&threads[i], NULL, submit_many, &s[i]), 0);
	}
	for (int i = 0; i < WRITER_THREADS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(s[i].failed, 0);
	}
	mg_writer_stats(w, &stats);
	mg_writer_free(w);
	assert_int_equal(mg_store_measurement_count(f->store, 0, &after), 0);
	assert_int_equal(after - before, WRITER_THREADS * WRITER_EACH);
	assert_int_equal(stats.measurements, WRITER_THREADS * WRITER_EACH);
	assert_true(stats.batches < stats.measurements);
	print_message("writer: %llu measurements in %llu batches, largest %llu\n",
		      (unsigned long long)stats.measurements, (unsigned long long)stats.batches,
		      (unsigned long long)stats.largest_batch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tenants),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_device_status),
		cmocka_unit_test_setup_teardown(test_device_renew, setup, teardown),
		cmocka_unit_test(test_device_model),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_writer_group_commit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
