/* Patient identity rules (model/patient.c): name tokens as the search
 * normalises them, dates in both forms a person types, the record's
 * checks and its JSON form; and its sealing under the tenant key
 * (crypto/keys.c): bound to its purpose, search tokens in their own
 * domain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "crypto/keys.h"
#include "model/patient.h"

#define NOW_MS 1795341900000LL /* 2026-11-22T10:05:00Z */

static void test_tokens(void **state)
{
	char t[8][MG_PATIENT_TOKEN_MAX + 1];
	static const struct {
		const char *text;
		const char *expect; /* tokens joined by spaces */
	} cases[] = {
	    {"Müller", "muller"},
	    {"MUELLER", "muller"},
	    {"Mueller-Lüdenscheidt, Hans-Jürgen", "muller ludenscheidt hans jurgen"},
	    {"Strauß", "strauss"},
	    {"Ærø Ôlé", "aro ole"},
	    {"O'Brien  J.", "brien"},    /* one-letter tokens dropped */
	    {"Anna anna ANNA", "anna"},  /* duplicates once */
	    {"Łukasz", "\xc5\x81ukasz"}, /* outside Latin-1: kept as typed, case too */
	    {"\xff\xfe bad", "bad"},     /* not UTF-8: a separator */
	    {"", ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char joined[256] = "";
		size_t n = mg_name_tokens(cases[i].text, t, 8), used = 0;

		for (size_t j = 0; j < n; j++)
			used += (size_t)snprintf(joined + used, sizeof(joined) - used, "%s%s",
						 j > 0 ? " " : "", t[j]);
		assert_string_equal(joined, cases[i].expect);
	}
	/* At most max tokens; each at most MG_PATIENT_TOKEN_MAX bytes. */
	assert_int_equal(mg_name_tokens("aa bb cc dd ee ff gg hh ii", t, 3), 3);
	assert_int_equal(
	    mg_name_tokens("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz", t, 1), 1);
	assert_int_equal(strlen(t[0]), MG_PATIENT_TOKEN_MAX);
}

static void test_dates(void **state)
{
	char out[MG_BIRTH_DATE_LEN + 1];
	int64_t ms;

	(void)state;
	assert_int_equal(mg_date_normalise("2019-03-14", out), 0);
	assert_string_equal(out, "2019-03-14");
	assert_int_equal(mg_date_normalise("14.03.2019", out), 0);
	assert_string_equal(out, "2019-03-14");
	assert_int_equal(mg_date_normalise("29.02.2020", out), 0);
	assert_int_equal(mg_date_normalise("29.02.2019", out), MG_ERR_INVALID);
	assert_int_equal(mg_date_normalise("2019-02-30", out), MG_ERR_INVALID);
	assert_int_equal(mg_date_normalise("2019-13-01", out), MG_ERR_INVALID);
	assert_int_equal(mg_date_normalise("2019/03/14", out), MG_ERR_INVALID);
	assert_int_equal(mg_date_normalise("2019-03-1", out), MG_ERR_INVALID);
	assert_int_equal(mg_birth_date_ms("1970-01-01", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(mg_birth_date_ms("1961-07-01", &ms), 0);
	assert_int_equal(ms, -268358400000LL);
	assert_int_equal(mg_birth_date_ms("2000-03-01", &ms), 0);
	assert_int_equal(ms, 951868800000LL);
	assert_int_equal(mg_birth_date_ms("", &ms), 0);
	assert_true(ms == MG_TIME_UNKNOWN);
}

static void test_identity_check(void **state)
{
	struct mg_patient_identity p, back;
	char buf[MG_PATIENT_RECORD_MAX], err[160];
	size_t len;

	(void)state;
	memset(&p, 0, sizeof(p));
	snprintf(p.family, sizeof(p.family), "%s", "Müller");
	snprintf(p.given, sizeof(p.given), "%s", "Lena");
	snprintf(p.birth_date, sizeof(p.birth_date), "%s", "2019-03-14");
	p.sex = MG_ADMIN_SEX_FEMALE;
	snprintf(p.ward, sizeof(p.ward), "%s", "Kinder 2");
	assert_int_equal(mg_patient_identity_check(&p, NOW_MS, err, sizeof(err)), 0);
	assert_int_equal(mg_patient_identity_encode(&p, buf, sizeof(buf), &len), 0);
	assert_int_equal(mg_patient_identity_parse(buf, len, &back), 0);
	assert_memory_equal(&p, &back, sizeof(p));
	assert_int_equal(mg_admin_sex_growth(back.sex), MG_SEX_FEMALE);

	back.family[0] = '\0';
	assert_int_equal(mg_patient_identity_check(&back, NOW_MS, err, sizeof(err)),
			 MG_ERR_INVALID);
	assert_string_equal(err, "family_name: required");
	snprintf(back.family, sizeof(back.family), "%s", "X\tY");
	assert_int_equal(mg_patient_identity_check(&back, NOW_MS, err, sizeof(err)),
			 MG_ERR_INVALID);
	assert_non_null(strstr(err, "family_name"));
	snprintf(back.family, sizeof(back.family), "%s", "X");
	snprintf(back.birth_date, sizeof(back.birth_date), "%s", "2027-01-01"); /* after now */
	assert_int_equal(mg_patient_identity_check(&back, NOW_MS, err, sizeof(err)),
			 MG_ERR_INVALID);
	assert_non_null(strstr(err, "birth_date"));
	snprintf(back.birth_date, sizeof(back.birth_date), "%s", "1879-12-31");
	assert_int_equal(mg_patient_identity_check(&back, NOW_MS, err, sizeof(err)),
			 MG_ERR_INVALID);
	snprintf(back.birth_date, sizeof(back.birth_date), "%s", "");
	assert_int_equal(mg_patient_identity_check(&back, NOW_MS, NULL, 0), 0);
	assert_int_equal(mg_patient_identity_parse("{\"family\": 1}", 13, &back), MG_ERR_INVALID);
	assert_int_equal(mg_patient_identity_parse("not json", 8, &back), MG_ERR_INVALID);
}

static void test_sealing(void **state)
{
	char dir[] = "/tmp/medgate-patient-XXXXXX", path[64], out[MG_PATIENT_RECORD_MAX + 1];
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES], sealed[256], a[32], b[32], c[32];
	struct mg_master_key *mk = NULL;
	struct mg_tenant_key *tk = NULL, *tk2 = NULL;
	const char *rec = "{\"family\":\"M\\u00fcller\"}";
	size_t len;

	(void)state;
	assert_int_equal(mg_crypto_init(), 0);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/master.key", dir);
	assert_int_equal(mg_master_key_create(path), 0);
	assert_int_equal(mg_master_key_load(path, &mk), 0);
	assert_int_equal(mg_tenant_key_new(mk, wrapped), 0);
	assert_int_equal(mg_tenant_key_open(mk, wrapped, sizeof(wrapped), &tk), 0);
	assert_int_equal(mg_tenant_key_new(mk, wrapped), 0);
	assert_int_equal(mg_tenant_key_open(mk, wrapped, sizeof(wrapped), &tk2), 0);

	assert_int_equal(mg_patient_record_seal(tk, rec, strlen(rec), sealed, sizeof(sealed)), 0);
	assert_int_equal(mg_patient_record_open(tk, sealed, strlen(rec) + MG_SEAL_OVERHEAD, out,
						sizeof(out), &len),
			 0);
	assert_string_equal(out, rec);
	/* Another tenant's key, or opened as an identifier: refused. */
	assert_int_equal(mg_patient_record_open(tk2, sealed, strlen(rec) + MG_SEAL_OVERHEAD, out,
						sizeof(out), &len),
			 MG_ERR_CRYPTO);
	assert_int_equal(
	    mg_patient_open(tk, sealed, strlen(rec) + MG_SEAL_OVERHEAD, out, sizeof(out)),
	    MG_ERR_CRYPTO);
	/* Tokens: one per kind, per tenant; never an identifier's index. */
	mg_patient_search_token(tk, MG_SEARCH_NAME, "muller", 6, a);
	mg_patient_search_token(tk, MG_SEARCH_BIRTH_DATE, "muller", 6, b);
	assert_memory_not_equal(a, b, 32);
	mg_patient_search_token(tk2, MG_SEARCH_NAME, "muller", 6, b);
	assert_memory_not_equal(a, b, 32);
	mg_patient_blind_index(tk, "muller", 6, c);
	assert_memory_not_equal(a, c, 32);
	mg_patient_search_token(tk, MG_SEARCH_NAME, "muller", 6, b);
	assert_memory_equal(a, b, 32);

	mg_tenant_key_free(tk);
	mg_tenant_key_free(tk2);
	mg_master_key_free(mk);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_identity_check),
	    cmocka_unit_test(test_sealing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
