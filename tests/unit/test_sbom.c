/* The SBOM's pure parts as tables: Debian version ordering through
 * libdpkg, OSV range verdicts, Debian tracker statuses, the release
 * feed's newest release, and DT_NEEDED from a hand-made ELF file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/file.h"
#include "sbom/sbom.h"

static void test_version_order(void **state)
{
	static const struct {
		const char *a, *b;
		int sign;
	} cases[] = {
	    {"1.0-1", "1.0-1~1", 1}, /* '~' sorts before the end */
	    {"1.0-1", "1.0-1+1", -1},
	    {"1:0.9", "2.0", 1}, /* the epoch first */
	    {"2.0~rc1", "2.0", -1},
	    {"1.0.18-1+deb12u1", "1.0.18-1", 1},
	    {"3.0.11-1~deb12u2", "3.0.11-1", -1},
	    {"1.10", "1.9", 1}, /* digits as numbers */
	    {"0", "0", 0},
	};
	char err[128];
	int cmp;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    mg_deb_version_compare(cases[i].a, cases[i].b, &cmp, err, sizeof(err)), 0);
		if ((cmp > 0) - (cmp < 0) != cases[i].sign)
			fail_msg("%s vs %s: %d", cases[i].a, cases[i].b, cmp);
	}
	assert_int_equal(mg_deb_version_compare("1 0", "1", &cmp, err, sizeof(err)),
			 MG_ERR_INVALID);
	assert_non_null(strstr(err, "embedded spaces"));
	assert_int_equal(mg_deb_version_compare("", "1", &cmp, err, sizeof(err)), MG_ERR_INVALID);
}

static struct mg_sbom_package pkgs[] = {
    {.name = "libssl3",
     .version = "3.0.11-1~deb12u2",
     .arch = "amd64",
     .source = "openssl",
     .source_version = "3.0.11-1~deb12u2",
     .maintainer = "",
     .license = "",
     .homepage = "",
     .owned = true},
    {.name = "libidn2-0",
     .version = "2.3.3-1+b1",
     .arch = "amd64",
     .source = "libidn2",
     .source_version = "2.3.3-1",
     .maintainer = "",
     .license = "",
     .homepage = "",
     .owned = true},
};

/* The ids of the findings of feed, joined by ' ', or "ERR". */
static void match(const char *feed, char *out, size_t outlen)
{
	struct mg_sbom sbom = {.distro = "debian",
			       .distro_version = "12",
			       .codename = "bookworm",
			       .packages = pkgs,
			       .npackages = 2};
	struct mg_advisory_result *res;
	char err[256];
	size_t n = 0;

	out[0] = '\0';
	if (mg_advisory_match(feed, strlen(feed), &sbom, &res, err, sizeof(err)) != 0) {
		snprintf(out, outlen, "ERR");
		return;
	}
	for (size_t i = 0; i < res->findings_count; i++)
		n += (size_t)snprintf(out + n, outlen - n, "%s%s/%s", i ? " " : "",
				      res->findings[i].id, res->findings[i].fixed);
	mg_advisory_result_free(res);
}

#define OSV(events)                                                                                \
	"{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"Debian:12\","                   \
	"\"name\":\"openssl\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[" events "]}]}]}"
#define TRACKER(rel) "{\"libidn2\":{\"CVE-1\":{\"releases\":{\"bookworm\":" rel "}}}}"

static void test_feeds(void **state)
{
	static const struct {
		const char *feed, *want;
	} cases[] = {
	    {OSV("{\"introduced\":\"0\"},{\"fixed\":\"3.0.13-1~deb12u1\"}"), "X/3.0.13-1~deb12u1"},
	    {OSV("{\"introduced\":\"0\"},{\"fixed\":\"3.0.11-1~deb12u1\"}"), ""},
	    {OSV("{\"introduced\":\"0\"},{\"fixed\":\"3.0.11-1~deb12u2\"}"), ""}, /* fixed in it */
	    {OSV("{\"introduced\":\"3.0.11-1~deb12u3\"}"), ""}, /* introduced later */
	    {OSV("{\"introduced\":\"0\"},{\"last_affected\":\"3.0.11-1~deb12u2\"}"), "X/"},
	    {OSV("{\"introduced\":\"0\"},{\"last_affected\":\"3.0.11-1~deb12u1\"}"), ""},
	    {OSV("{\"introduced\":\"0\"},{\"fixed\":\"1.0\"},{\"introduced\":\"3.0\"}"), "X/"},
	    {OSV("{\"fixed\":\"no good\"}"), "ERR"},
	    {"{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"Debian:11\",\"name\":"
	     "\"openssl\"},\"versions\":[\"3.0.11-1~deb12u2\"]}]}",
	     ""}, /* another release */
	    {"{\"id\":\"X\",\"affected\":[{\"package\":{\"ecosystem\":\"Debian\",\"name\":"
	     "\"openssl\"},\"versions\":[\"3.0.11-1~deb12u2\"]}]}",
	     "X/"},
	    {"[{\"id\":\"\",\"affected\":[]}]", "ERR"},
	    {TRACKER("{\"status\":\"resolved\",\"fixed_version\":\"2.3.3-2\"}"), "CVE-1/2.3.3-2"},
	    /* The source version decides, not the binNMU's +b1. */
	    {TRACKER("{\"status\":\"resolved\",\"fixed_version\":\"2.3.3-1+b1\"}"),
	     "CVE-1/2.3.3-1+b1"},
	    {TRACKER("{\"status\":\"resolved\",\"fixed_version\":\"2.3.3-1\"}"), ""},
	    {TRACKER("{\"status\":\"resolved\",\"fixed_version\":\"0\"}"), ""},
	    {TRACKER("{\"status\":\"open\"}"), "CVE-1/"},
	    {TRACKER("{\"status\":\"not-affected\"}"), ""},
	    {"{\"libidn2\":{\"CVE-1\":{\"releases\":{\"trixie\":{\"status\":\"open\"}}}}}", ""},
	    {"not json", "ERR"},
	};
	char got[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		match(cases[i].feed, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, got, cases[i].want);
	}
}

static void test_release(void **state)
{
	const char *feed = "{\"product\":\"medgate\",\"releases\":[{\"version\":\"0.2.0\"},"
			   "{\"version\":\"0.10.0\",\"security\":true,\"fixes\":[\"a\",\"b\"]},"
			   "{\"version\":\"0.0.9\"}]}";
	struct mg_release rel;
	char err[128];
	bool found;

	(void)state;
	assert_int_equal(
	    mg_release_parse(feed, strlen(feed), "0.1.0", &rel, &found, err, sizeof(err)), 0);
	assert_true(found);
	assert_string_equal(rel.version, "0.10.0"); /* not 0.2.0: dpkg's ordering */
	assert_true(rel.security);
	assert_int_equal(rel.nfixes, 2);
	assert_int_equal(
	    mg_release_parse(feed, strlen(feed), "1.0", &rel, &found, err, sizeof(err)), 0);
	assert_false(found);
	assert_int_equal(mg_release_parse("{\"product\":\"x\",\"releases\":[]}", 30, "1.0", &rel,
					  &found, err, sizeof(err)),
			 MG_ERR_INVALID);
}

static int collect(const char *name, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 256 - n, "%s%s", n ? " " : "", name);
	return 0;
}

static void test_elf(void **state)
{
	char path[1024], *buf, names[256] = "";
	size_t len;
	unsigned machine;

	(void)state;
	snprintf(path, sizeof(path), "%s/fuzz/corpora/elf/needed2.so", getenv("MG_SOURCE_DIR"));
	assert_int_equal(mg_file_read(path, 4096, &buf, &len), 0);
	assert_int_equal(mg_elf_needed((unsigned char *)buf, len, &machine, collect, names), 0);
	assert_string_equal(names, "libc.so.6 libsodium.so.23");
	assert_int_equal(machine, 62);
	/* Cut anywhere, it is refused or read short, never overrun. */
	for (size_t n = 0; n < len; n++) {
		names[0] = '\0';
		assert_int_not_equal(
		    mg_elf_needed((unsigned char *)buf, n, &machine, collect, names), 0);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version_order),
	    cmocka_unit_test(test_feeds),
	    cmocka_unit_test(test_release),
	    cmocka_unit_test(test_elf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
