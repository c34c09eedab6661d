/* Firmware releases in the store, on both back ends (store_fixture.h): a
 * model's sequence only grows (MG_ERR_CONFLICT naming the highest), the
 * latest release and an image come back as stored, the front refuses
 * what no back end should see. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "store_fixture.h"

static struct mg_firmware_release release(const char *model, const char *version, int64_t seq,
					  const unsigned char *image, size_t len)
{
	struct mg_firmware_release r;

	memset(&r, 0, sizeof(r));
	snprintf(r.model, sizeof(r.model), "%s", model);
	snprintf(r.version, sizeof(r.version), "%s", version);
	r.sequence = seq;
	r.size = (int64_t)len;
	r.expires_ms = STORE_T0 + 86400000;
	r.imported_ms = STORE_T0;
	mg_firmware_sha256_hex(image, len, r.sha256);
	snprintf(r.manifest, sizeof(r.manifest), "manifest of %s %s\n", model, version);
	return r;
}

struct listed {
	struct mg_firmware_release rel[4];
	size_t n;
};

static int listed(const struct mg_firmware_release *rel, void *arg)
{
	struct listed *l = arg;

	if (l->n < 4)
		l->rel[l->n++] = *rel;
	return 0;
}

static void test_firmware_rollback(void **state)
{
	struct store_fixture *f = *state;
	static unsigned char a[3000], b[5000], out[8000];
	struct mg_firmware_release r, got;
	int64_t highest = -1;
	size_t len;

	memset(a, 0xa5, sizeof(a));
	memset(b, 0x5a, sizeof(b));
	assert_int_equal(mg_store_firmware_latest(f->store, "acme-s100", &got), MG_ERR_NOT_FOUND);
	r = release("acme-s100", "2.2", 5, a, sizeof(a));
	assert_int_equal(mg_store_firmware_put(f->store, &r, a, &highest), 0);
	assert_int_equal(highest, 0);
	/* The same or a lower sequence: a rollback, nothing stored. */
	r = release("acme-s100", "2.1", 5, b, sizeof(b));
	assert_int_equal(mg_store_firmware_put(f->store, &r, b, &highest), MG_ERR_CONFLICT);
	assert_int_equal(highest, 5);
	r.sequence = 4;
	assert_int_equal(mg_store_firmware_put(f->store, &r, b, &highest), MG_ERR_CONFLICT);
	/* Another model has its own order. */
	r = release("acme-rod", "1.0", 1, b, sizeof(b));
	assert_int_equal(mg_store_firmware_put(f->store, &r, b, &highest), 0);
	r = release("acme-s100", "2.3", 6, b, sizeof(b));
	assert_int_equal(mg_store_firmware_put(f->store, &r, b, &highest), 0);
	assert_int_equal(highest, 5);

	assert_int_equal(mg_store_firmware_latest(f->store, "acme-s100", &got), 0);
	assert_string_equal(got.version, "2.3");
	assert_int_equal(got.sequence, 6);
	assert_int_equal(got.size, sizeof(b));
	assert_int_equal(got.expires_ms, STORE_T0 + 86400000);
	assert_string_equal(got.sha256, r.sha256);
	assert_string_equal(got.manifest, "manifest of acme-s100 2.3\n");

	assert_int_equal(mg_store_firmware_image(f->store, "acme-s100", got.sha256, out, sizeof(out),
						 &len), 0);
	assert_int_equal(len, sizeof(b));
	assert_memory_equal(out, b, sizeof(b));
	/* An image only for its own model, and only if it fits. */
	r = release("acme-s100", "x", 1, a, sizeof(a));
	assert_int_equal(mg_store_firmware_image(f->store, "acme-rod", r.sha256, out, sizeof(out),
						 &len), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_firmware_image(f->store, "acme-s100", got.sha256, out, 100, &len),
			 MG_ERR_LIMIT);
	assert_int_equal(len, sizeof(b));
	/* Asking for the size alone. */
	len = 0;
	assert_int_equal(mg_store_firmware_image(f->store, "acme-s100", got.sha256, NULL, 0, &len),
			 MG_ERR_LIMIT);
	assert_int_equal(len, sizeof(b));

	/* The list: by model, newest first, without manifests; bounded. */
	struct listed seen = { 0 };

	assert_int_equal(mg_store_firmware_list(f->store, 10, listed, &seen), 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.rel[0].model, "acme-rod");
	assert_string_equal(seen.rel[1].version, "2.3");
	assert_string_equal(seen.rel[2].version, "2.2");
	assert_int_equal(seen.rel[2].sequence, 5);
	assert_string_equal(seen.rel[1].manifest, "");
	seen.n = 0;
	assert_int_equal(mg_store_firmware_list(f->store, 1, listed, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(mg_store_firmware_list(f->store, 0, listed, &seen), MG_ERR_INVALID);
	assert_int_equal(mg_store_firmware_list(f->store, MG_FIRMWARE_LIST_MAX + 1, listed, &seen),
			 MG_ERR_LIMIT);
}

static void test_firmware_front(void **state)
{
	struct store_fixture *f = *state;
	static unsigned char a[16];
	struct mg_firmware_release r = release("acme-s100", "2.2", 5, a, sizeof(a)), bad;
	int64_t highest;
	size_t len;

	bad = r;
	bad.sequence = 0;
	assert_int_equal(mg_store_firmware_put(f->store, &bad, a, &highest), MG_ERR_INVALID);
	bad = r;
	bad.model[0] = '\0';
	assert_int_equal(mg_store_firmware_put(f->store, &bad, a, &highest), MG_ERR_INVALID);
	bad = r;
	bad.sha256[10] = '\0';
	assert_int_equal(mg_store_firmware_put(f->store, &bad, a, &highest), MG_ERR_INVALID);
	bad = r;
	bad.size = MG_FIRMWARE_IMAGE_MAX + 1;
	assert_int_equal(mg_store_firmware_put(f->store, &bad, a, &highest), MG_ERR_LIMIT);
	assert_int_equal(mg_store_firmware_put(f->store, &r, NULL, &highest), MG_ERR_INVALID);
	assert_int_equal(mg_store_firmware_image(f->store, "acme-s100", r.sha256, NULL, 10, &len),
			 MG_ERR_INVALID);
	assert_int_equal(mg_store_firmware_image(f->store, "acme-s100", r.sha256, a, 0, NULL),
			 MG_ERR_INVALID);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM firmware_releases", 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, store_fixture_setup, store_fixture_teardown)
		T(test_firmware_rollback),
		T(test_firmware_front),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
