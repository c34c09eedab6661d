/* TOTP (RFC 6238 test vectors, the window of one step either side),
 * base32 (RFC 4648 vectors), the otpauth:// URI, the QR code's SVG drawn
 * back into modules, recovery codes and their hashes.
 *
 * With arguments it is the medgate side of tests/integration/
 * test_totp_otplib.sh:
 *   test_totp enrol ACCOUNT SVG_PATH   print a new secret's base32 and URI,
 *                                      write the QR code to SVG_PATH
 *   test_totp check BASE32 CODE        exit 0 if mg_totp_check accepts CODE now */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <liboath/oath.h>
#include <qrencode.h>

#include "access/totp.h"
#include "common/err.h"
#include "crypto/keys.h"

/* RFC 6238 Appendix B: the SHA-1 key and the 8-digit codes at T. */
static const char rfc_secret[] = "12345678901234567890";
static const struct {
	int64_t t;
	const char *code;
} rfc_vectors[] = {
	{ 59, "94287082" },	    { 1111111109, "07081804" }, { 1111111111, "14050471" },
	{ 1234567890, "89005924" }, { 2000000000, "69279037" }, { 20000000000, "65353130" },
};

static void test_rfc6238_vectors(void **state)
{
	char otp[9];
	size_t i;

	(void)state;
	assert_int_equal(oath_init(), OATH_OK);
	for (i = 0; i < sizeof(rfc_vectors) / sizeof(rfc_vectors[0]); i++) {
		assert_int_equal(oath_totp_generate(rfc_secret, 20, (time_t)rfc_vectors[i].t, 30, 0,
						    8, otp),
				 OATH_OK);
		assert_string_equal(otp, rfc_vectors[i].code);
	}
}

/* The same vectors through mg_totp_check: 6-digit codes are the last six. */
static void test_check_vectors(void **state)
{
	const unsigned char *secret = (const unsigned char *)rfc_secret;
	int64_t step;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rfc_vectors) / sizeof(rfc_vectors[0]); i++) {
		const char *code = rfc_vectors[i].code + 2;
		int64_t t = rfc_vectors[i].t;

		assert_int_equal(mg_totp_check(secret, 20, code, t, &step), 0);
		assert_int_equal(step, t / 30);
	}
}

static void test_check_window(void **state)
{
	const unsigned char *secret = (const unsigned char *)rfc_secret;
	const int64_t t = 1111111109;	/* code 081804, step 37037036 */
	int64_t step;

	(void)state;
	assert_int_equal(mg_totp_check(secret, 20, "081804", t, &step), 0);
	assert_int_equal(step, 37037036);
	/* One step late or early is accepted, and says which step it was. */
	assert_int_equal(mg_totp_check(secret, 20, "081804", t + 30, &step), 0);
	assert_int_equal(step, 37037036);
	assert_int_equal(mg_totp_check(secret, 20, "081804", t - 30, &step), 0);
	assert_int_equal(step, 37037036);
	/* Two steps away is not. */
	assert_int_equal(mg_totp_check(secret, 20, "081804", t + 60, &step), MG_ERR_DENIED);
	assert_int_equal(step, 0);
	assert_int_equal(mg_totp_check(secret, 20, "081804", t - 60, &step), MG_ERR_DENIED);
	/* Spaces are allowed anywhere; nothing else. */
	assert_int_equal(mg_totp_check(secret, 20, "081 804", t, &step), 0);
	assert_int_equal(mg_totp_check(secret, 20, " 0 8 1 8 0 4 ", t, &step), 0);
	assert_int_equal(mg_totp_check(secret, 20, "081-804", t, &step), MG_ERR_DENIED);
	assert_int_equal(mg_totp_check(secret, 20, "081805", t, &step), MG_ERR_DENIED);
	assert_int_equal(mg_totp_check(secret, 20, "81804", t, &step), MG_ERR_DENIED);
	assert_int_equal(mg_totp_check(secret, 20, "0818040", t, &step), MG_ERR_DENIED);
	assert_int_equal(mg_totp_check(secret, 20, "07081804", t, &step), MG_ERR_DENIED);
	assert_int_equal(mg_totp_check(secret, 20, "", t, &step), MG_ERR_DENIED);
	assert_int_equal(mg_totp_check(secret, 20, "abcdef", t, &step), MG_ERR_DENIED);
	assert_int_equal(mg_totp_check(secret, 20, "081804                                   ", t,
				       &step),
			 MG_ERR_DENIED);	/* longer than any typed code */
	/* Another secret, no secret, a bad clock. */
	assert_int_equal(mg_totp_check((const unsigned char *)"12345678901234567891", 20,
				       "081804", t, &step),
			 MG_ERR_DENIED);
	assert_int_equal(mg_totp_check(secret, 0, "081804", t, &step), MG_ERR_DENIED);
	assert_int_equal(mg_totp_check(secret, MG_TOTP_SECRET_MAX + 1, "081804", t, &step),
			 MG_ERR_DENIED);
	assert_int_equal(mg_totp_check(secret, 20, "081804", -1, &step), MG_ERR_DENIED);
	assert_int_equal(mg_totp_check(secret, 20, "081804", INT64_MAX, &step), MG_ERR_DENIED);
	/* At the epoch there is no step before the first. */
	assert_int_equal(mg_totp_check(secret, 20, "287082", 0, &step), 0);
	assert_int_equal(step, 1);
}

static void test_secret_and_base32(void **state)
{
	static const struct {
		const char *in, *out;
	} rfc4648[] = {
		{ "", "" },	      { "f", "MY" },	     { "fo", "MZXQ" },
		{ "foo", "MZXW6" },   { "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" },
		{ "foobar", "MZXW6YTBOI" },
	};
	unsigned char a[MG_TOTP_SECRET_BYTES], b[MG_TOTP_SECRET_BYTES];
	char text[MG_TOTP_BASE32_MAX], *decoded = NULL;
	size_t i, len = 0;

	(void)state;
	for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		assert_int_equal(mg_totp_base32((const unsigned char *)rfc4648[i].in,
						strlen(rfc4648[i].in), text, sizeof(text)),
				 0);
		assert_string_equal(text, rfc4648[i].out);
	}
	assert_int_equal(mg_totp_secret_new(a), 0);
	assert_int_equal(mg_totp_secret_new(b), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(mg_totp_base32(a, sizeof(a), text, sizeof(text)), 0);
	assert_int_equal(strlen(text), 32);	/* 160 bits, no padding */
	assert_int_equal(strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 32);
	assert_int_equal(oath_base32_decode(text, strlen(text), &decoded, &len), OATH_OK);
	assert_int_equal(len, sizeof(a));
	assert_memory_equal(decoded, a, sizeof(a));
	free(decoded);
	assert_int_equal(mg_totp_base32(a, sizeof(a), text, 32), MG_ERR_LIMIT);
	assert_string_equal(text, "");
	assert_int_equal(mg_totp_base32(a, sizeof(a), text, 33), 0);
}

static void test_uri(void **state)
{
	char uri[MG_TOTP_URI_MAX];

	(void)state;
	assert_int_equal(mg_totp_uri("medgate", "anna.berg@klinik.example", "JBSWY3DPEHPK3PXP",
				     uri, sizeof(uri)),
			 0);
	assert_string_equal(uri, "otpauth://totp/medgate:anna.berg%40klinik.example"
				 "?secret=JBSWY3DPEHPK3PXP&issuer=medgate"
				 "&algorithm=SHA1&digits=6&period=30");
	assert_int_equal(mg_totp_uri("St. Georg Klinik", "Jörg Müller", "JBSWY3DPEHPK3PXP", uri,
				     sizeof(uri)),
			 0);
	assert_string_equal(uri, "otpauth://totp/St.%20Georg%20Klinik:J%C3%B6rg%20M%C3%BCller"
				 "?secret=JBSWY3DPEHPK3PXP&issuer=St.%20Georg%20Klinik"
				 "&algorithm=SHA1&digits=6&period=30");
	assert_int_equal(mg_totp_uri("", "anna&co?x=1#y", "JBSWY3DPEHPK3PXP", uri, sizeof(uri)), 0);
	assert_string_equal(uri, "otpauth://totp/anna%26co%3Fx%3D1%23y?secret=JBSWY3DPEHPK3PXP"
				 "&algorithm=SHA1&digits=6&period=30");
	/* A colon would split the label; control characters have no place. */
	assert_int_equal(mg_totp_uri("medgate", "a:b", "JBSWY3DP", uri, sizeof(uri)),
			 MG_ERR_INVALID);
	assert_int_equal(mg_totp_uri("med:gate", "ab", "JBSWY3DP", uri, sizeof(uri)),
			 MG_ERR_INVALID);
	assert_int_equal(mg_totp_uri("medgate", "a\nb", "JBSWY3DP", uri, sizeof(uri)),
			 MG_ERR_INVALID);
	assert_int_equal(mg_totp_uri("medgate", "", "JBSWY3DP", uri, sizeof(uri)), MG_ERR_INVALID);
	assert_int_equal(mg_totp_uri("medgate", "ab", "jbswy3dp", uri, sizeof(uri)),
			 MG_ERR_INVALID);
	assert_int_equal(mg_totp_uri("medgate", "ab", "JBSWY3DP=", uri, sizeof(uri)),
			 MG_ERR_INVALID);
	assert_int_equal(mg_totp_uri("medgate", "ab", "", uri, sizeof(uri)), MG_ERR_INVALID);
	assert_int_equal(mg_totp_uri("medgate", "ab", "JBSWY3DP", uri, 40), MG_ERR_LIMIT);
	assert_string_equal(uri, "");
}

/* Draw the SVG back into modules: every <rect x y width height="1"/> in
 * the black group. */
static int svg_modules(const char *svg, int width, unsigned char *grid)
{
	const char *p = strstr(svg, "<g fill=\"#000\">");
	int x, y, w, n, rects = 0;

	assert_non_null(p);
	memset(grid, 0, (size_t)width * (size_t)width);
	while ((p = strstr(p, "<rect ")) != NULL) {
		assert_int_equal(sscanf(p, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"1\"/>%n", &x,
					&y, &w, &n),
				 3);
		x -= 4, y -= 4;	/* quiet zone */
		assert_true(x >= 0 && y >= 0 && w > 0 && x + w <= width && y < width);
		while (w-- > 0)
			grid[y * width + x++] = 1;
		p += n;
		rects++;
	}
	return rects;
}

static void test_qr_svg(void **state)
{
	const char *uri = "otpauth://totp/medgate:anna.berg%40klinik.example"
			  "?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=medgate"
			  "&algorithm=SHA1&digits=6&period=30";
	unsigned char grid[177 * 177];
	char *svg = NULL, big[MG_QR_TEXT_MAX + 2];
	QRcode *qr;
	int i, size;

	(void)state;
	assert_int_equal(mg_qr_svg(uri, &svg), 0);
	qr = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	assert_non_null(qr);
	size = qr->width + 8;
	/* One document, sized with its quiet zone, nothing active in it. */
	{
		const char *head = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ";

		assert_int_equal(strncmp(svg, head, strlen(head)), 0);
	}
	assert_int_equal(strcmp(svg + strlen(svg) - 10, "</g></svg>"), 0);
	assert_null(strstr(svg, "script"));
	assert_null(strstr(svg, "href"));
	assert_null(strstr(svg, " on"));	/* no event handler attributes */
	assert_null(strstr(strstr(svg, "http") + 4, "http"));	/* only the namespace */
	{
		char expected[64];

		snprintf(expected, sizeof(expected), "viewBox=\"0 0 %d %d\"", size, size);
		assert_non_null(strstr(svg, expected));
	}
	/* The rectangles are exactly the dark modules of the code. */
	assert_true(svg_modules(svg, qr->width, grid) > 0);
	for (i = 0; i < qr->width * qr->width; i++)
		if ((qr->data[i] & 1) != grid[i])
			fail_msg("module %d differs", i);
	QRcode_free(qr);
	free(svg);

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mg_qr_svg(big, &svg), MG_ERR_LIMIT);
	assert_null(svg);
	big[MG_QR_TEXT_MAX] = '\0';
	assert_int_equal(mg_qr_svg(big, &svg), 0);	/* the largest text still fits */
	free(svg);
}

static char keydir[] = "/tmp/medgate-totp-XXXXXX";

static struct mg_master_key *master(const char *name)
{
	struct mg_master_key *mk = NULL;
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", keydir, name);
	assert_int_equal(mg_master_key_create(path), 0);
	assert_int_equal(mg_master_key_load(path, &mk), 0);
	return mk;
}

static void test_recovery_codes(void **state)
{
	struct mg_master_key *mk = master("a.key"), *other = master("b.key");
	char codes[10][MG_RECOVERY_CODE_LEN + 1], typed[64];
	unsigned char hashes[10][MG_TOKEN_HASH_BYTES], h[MG_TOKEN_HASH_BYTES];
	static const unsigned char zero[MG_TOKEN_HASH_BYTES];
	size_t i, j;

	(void)state;
	assert_int_equal(mg_recovery_codes_new(mk, 10, codes, hashes), 0);
	for (i = 0; i < 10; i++) {
		assert_int_equal(strlen(codes[i]), MG_RECOVERY_CODE_LEN);
		for (j = 0; j < MG_RECOVERY_CODE_LEN; j++) {
			if (j % 5 == 4)
				assert_int_equal(codes[i][j], '-');
			else
				assert_non_null(strchr("abcdefghjkmnpqrstuvwxyz23456789", codes[i][j]));
		}
		for (j = 0; j < i; j++)
			assert_string_not_equal(codes[i], codes[j]);
		/* As shown, upper-cased, without dashes, with spaces: one hash. */
		assert_int_equal(mg_recovery_code_hash(mk, codes[i], h), 0);
		assert_memory_equal(h, hashes[i], sizeof(h));
		snprintf(typed, sizeof(typed), " %.4s %.4s %.4s ", codes[i], codes[i] + 5,
			 codes[i] + 10);
		for (j = 0; typed[j] != '\0'; j++)
			if (typed[j] >= 'a' && typed[j] <= 'z')
				typed[j] = (char)(typed[j] - 32);
		assert_int_equal(mg_recovery_code_hash(mk, typed, h), 0);
		assert_memory_equal(h, hashes[i], sizeof(h));
		/* Keyed: another instance's key gives another hash. */
		assert_int_equal(mg_recovery_code_hash(other, codes[i], h), 0);
		assert_memory_not_equal(h, hashes[i], sizeof(h));
	}
	/* Not a recovery code: wrong length, look-alikes, other characters. */
	static const char *const bad[] = {
		"", "abcd-efgh-jkm", "abcd-efgh-jkmnp", "abcd-efgh-jkm0", "abcd-efgh-jkm1",
		"abcd-efgh-jkml", "abcd-efgh-jkmo", "abcd-efgh-jkmi", "abcd_efgh_jkmn",
		"abcd-efgh-jkm\xc3\xa4", "123456",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(h, 0xaa, sizeof(h));
		assert_int_equal(mg_recovery_code_hash(mk, bad[i], h), MG_ERR_INVALID);
		assert_memory_equal(h, zero, sizeof(h));
	}
	/* A recovery code's hash is not the plain token hash of the code. */
	mg_token_hash(mk, "abcdefghjkmn", 12, h);
	assert_int_equal(mg_recovery_code_hash(mk, "abcd-efgh-jkmn", hashes[0]), 0);
	assert_memory_not_equal(h, hashes[0], sizeof(h));
	mg_master_key_free(mk);
	mg_master_key_free(other);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(keydir) != NULL && mg_crypto_init() == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", keydir);
	return system(cmd) == 0 ? 0 : -1;
}

/* test_totp enrol ACCOUNT SVG_PATH */
static int enrol(const char *account, const char *svg_path)
{
	unsigned char secret[MG_TOTP_SECRET_BYTES];
	char base32[MG_TOTP_BASE32_MAX], uri[MG_TOTP_URI_MAX], *svg = NULL;
	FILE *f;
	int ok;

	if (mg_totp_secret_new(secret) != 0 ||
	    mg_totp_base32(secret, sizeof(secret), base32, sizeof(base32)) != 0 ||
	    mg_totp_uri("medgate test", account, base32, uri, sizeof(uri)) != 0 ||
	    mg_qr_svg(uri, &svg) != 0 || (f = fopen(svg_path, "w")) == NULL) {
		free(svg);
		return 1;
	}
	ok = fputs(svg, f) >= 0;
	ok = fclose(f) == 0 && ok;
	free(svg);
	printf("%s\n%s\n", base32, uri);
	return ok ? 0 : 1;
}

/* test_totp check BASE32 CODE: 0 if accepted now, 1 if not, 2 on error. */
static int check(const char *base32, const char *code)
{
	char *secret = NULL;
	size_t len = 0;
	int64_t step;
	int r;

	if (oath_init() != OATH_OK || oath_base32_decode(base32, strlen(base32), &secret, &len) != OATH_OK)
		return 2;
	r = mg_totp_check((const unsigned char *)secret, len, code, (int64_t)time(NULL), &step);
	free(secret);
	if (r == 0)
		printf("accepted in step %lld (now %lld)\n", (long long)step,
		       (long long)time(NULL) / 30);
	else
		printf("refused\n");
	return r == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_vectors),
		cmocka_unit_test(test_check_vectors),
		cmocka_unit_test(test_check_window),
		cmocka_unit_test(test_secret_and_base32),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_qr_svg),
		cmocka_unit_test(test_recovery_codes),
	};

	if (argc == 4 && strcmp(argv[1], "enrol") == 0)
		return mg_crypto_init() == 0 ? enrol(argv[2], argv[3]) : 2;
	if (argc == 4 && strcmp(argv[1], "check") == 0)
		return check(argv[2], argv[3]);
	if (argc != 1) {
		fprintf(stderr, "usage: %s [enrol ACCOUNT SVG_PATH | check BASE32 CODE]\n", argv[0]);
		return 2;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
