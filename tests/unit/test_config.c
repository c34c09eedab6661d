/* Configuration parsing: defaults, every kind of key, and refusals that
 * name the line and key. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/err.h"

static void test_defaults(void **state)
{
	struct mg_config cfg;

	(void)state;
	mg_config_defaults(&cfg);
	assert_int_equal(cfg.web.port, 8443);
	assert_int_equal(cfg.device.port, 8444);
	assert_int_equal(cfg.mllp.port, 2575);
	assert_true(cfg.web.enabled);
	assert_int_equal(cfg.device_body_max, 65536);
	assert_string_equal(cfg.tls_profile, "bsi");
	assert_string_equal(cfg.storage_backend, "sqlite");
	assert_int_equal(cfg.log_level, MG_LOG_INFO);
}

static const struct {
	const char *text;
	int ok;
	const char *error;	/* expected message prefix when refused */
} cases[] = {
	{ "[device]\nport = 9000\n", 1, NULL },
	{ "[device]\nport=9000", 1, NULL },
	{ "; comment\n# comment\n\n[web]\nenabled = off\n", 1, NULL },
	{ "[web]\nenabled = yes\n", 1, NULL },
	{ "[instance]\nlog_level = debug\n", 1, NULL },
	{ "[storage]\nbackend = postgresql\n", 1, NULL },
	{ "[tls]\nprofile = mozilla-intermediate\n", 1, NULL },
	{ "[device]\nport = 0\n", 0, "line 2: [device] port: expected a whole number from 1 to 65535" },
	{ "[device]\nport = 65536\n", 0, "line 2: [device] port: expected" },
	{ "[device]\nport = -1\n", 0, "line 2: [device] port" },
	{ "[device]\nport = 12ab\n", 0, "line 2: [device] port" },
	{ "[device]\nport = \n", 0, "line 2: [device] port" },
	{ "[device]\nbody_max = 100\n", 0, "line 2: [device] body_max: expected a whole number from 256" },
	{ "[web]\nenabled = maybe\n", 0, "line 2: [web] enabled: expected on or off" },
	{ "[instance]\nlog_level = loud\n", 0, "line 2: [instance] log_level: expected one of" },
	{ "[storage]\nbackend = mysql\n", 0, "line 2: [storage] backend: expected one of sqlite|postgresql" },
	{ "[tls]\nprofile = weak\n", 0, "line 2: [tls] profile" },
	{ "[web]\nport = 1\n[nosuch]\nkey = 1\n", 0, "line 4: unknown key [nosuch] key" },
	{ "[web]\nprot = 1\n", 0, "line 2: unknown key [web] prot" },
	{ "[syslog]\naddress = 127.0.0.1:6514\nca = ca.pem\nfacility = local4\n", 1, NULL },
	{ "[syslog]\naddress = [::1]:6514\ntls = off\n", 1, NULL },
	{ "[syslog]\naddress = collector\n", 0, "[syslog] address: host:port required" },
	{ "[syslog]\nfacility = kern\n", 0, "line 2: [syslog] facility: expected one of" },
	{ "[syslog]\ncert = c.pem\n", 0, "[syslog] cert and key go together" },
	{ "key = 1\n", 0, "line 1: unknown key [] key" },
	{ "[web\n", 0, "line 1: syntax error" },
	{ "[web]\njust words\n", 0, "line 2: syntax error" },
	{ "[emr.main]\naddress = 127.0.0.1:2576\n", 1, NULL },
	{ "[emr.f]\nprotocol = fhir\nurl = https://x/fhir\n", 1, NULL },
	{ "[emr.f]\nprotocol = fhir\nurl = http://x/fhir\ntls = off\n", 1, NULL },
	{ "[emr.main]\nprotocol = hl7-mllp\n", 0, "[emr.main] address: host:port required" },
	{ "[emr.f]\nprotocol = fhir\nurl = http://x/fhir\n", 0, "[emr.f] url: an https:// URL" },
	{ "[emr.Main]\naddress = h:1\n", 0, "line 2: [emr.Main]: names are 1 to 32" },
	{ "[emr.m]\nprotocol = ftp\n", 0, "line 2: [emr.m] protocol: expected one of" },
	{ "[emr.m]\nconnections = 17\n", 0, "line 2: [emr.m] connections: expected a whole" },
	{ "[emr.m]\nbogus = 1\n", 0, "line 2: unknown key [emr.m] bogus" },
	{ "[emr.a]\naddress=h:1\n[emr.b]\naddress=h:1\n[emr.c]\naddress=h:1\n"
	  "[emr.d]\naddress=h:1\n[emr.e]\naddress=h:1\n[emr.f]\naddress=h:1\n"
	  "[emr.g]\naddress=h:1\n[emr.h]\naddress=h:1\n[emr.i]\naddress=h:1\n", 0,
	  "line 18: [emr.i]: more than 8" },
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_config cfg;
		char err[256] = "";
		int r;

		mg_config_defaults(&cfg);
		r = mg_config_parse(cases[i].text, strlen(cases[i].text), &cfg, err, sizeof(err));
		if (cases[i].ok) {
			if (r != 0)
				fail_msg("case %zu refused: %s", i, err);
		} else {
			assert_int_equal(r, MG_ERR_CONFIG);
			if (strncmp(err, cases[i].error, strlen(cases[i].error)) != 0)
				fail_msg("case %zu: expected '%s', got '%s'", i, cases[i].error, err);
		}
	}
}

static void test_values_land(void **state)
{
	static const char text[] = "[device]\nport = 9000\nconnection_timeout = 5\n"
				   "[web]\nenabled = off\naddress = 127.0.0.1\n"
				   "[instance]\nuser = medgate\n";
	struct mg_config cfg;
	char err[256];

	(void)state;
	mg_config_defaults(&cfg);
	assert_int_equal(mg_config_parse(text, strlen(text), &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.device.port, 9000);
	assert_int_equal(cfg.device.connection_timeout, 5);
	assert_false(cfg.web.enabled);
	assert_string_equal(cfg.web.address, "127.0.0.1");
	assert_string_equal(cfg.user, "medgate");
}

static void test_limits(void **state)
{
	char line[300], err[256];
	struct mg_config cfg;
	char *big;

	(void)state;
	mg_config_defaults(&cfg);
	memset(line, 'a', sizeof(line));
	memcpy(line, "[web]\nuser=", 11);
	line[sizeof(line) - 1] = '\n';
	assert_int_equal(mg_config_parse(line, sizeof(line), &cfg, err, sizeof(err)), MG_ERR_CONFIG);
	assert_string_equal(err, "line 2: longer than 198 bytes");
	assert_int_equal(mg_config_parse("[web]\0port=1\n", 13, &cfg, err, sizeof(err)), MG_ERR_CONFIG);
	assert_string_equal(err, "line 1: NUL byte");
	big = calloc(1, MG_CONFIG_FILE_MAX + 2);
	assert_non_null(big);
	memset(big, '\n', MG_CONFIG_FILE_MAX + 1);
	assert_int_equal(mg_config_parse(big, MG_CONFIG_FILE_MAX + 1, &cfg, err, sizeof(err)),
			 MG_ERR_CONFIG);
	free(big);
	/* A string one byte too long for its field. */
	static const char long_user[] =
		"[instance]\nuser = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
	assert_int_equal(mg_config_parse(long_user, strlen(long_user), &cfg, err, sizeof(err)),
			 MG_ERR_CONFIG);
	assert_string_equal(err, "line 2: [instance] user: longer than 63 bytes");
}

/* What mg_config_write produces is read back to the same values. */
static void test_round_trip(void **state)
{
	struct mg_config a, b;
	char *text = NULL, err[256];
	size_t len = 0;
	FILE *f;

	(void)state;
	mg_config_defaults(&a);
	a.device.port = 12345;
	a.mllp.enabled = false;
	snprintf(a.user, sizeof(a.user), "medgate");
	static const char emr[] = "[emr.main]\nprotocol = fhir\nurl = https://emr.example/fhir\n"
				  "connections = 3\n";
	assert_int_equal(mg_config_parse(emr, strlen(emr), &a, err, sizeof(err)), 0);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(mg_config_write(&a, f), 0);
	fclose(f);
	mg_config_defaults(&b);
	if (mg_config_parse(text, len, &b, err, sizeof(err)) != 0)
		fail_msg("written configuration refused: %s", err);
	assert_int_equal(b.device.port, 12345);
	assert_false(b.mllp.enabled);
	assert_string_equal(b.user, "medgate");
	assert_memory_equal(&a.web, &b.web, sizeof(a.web));
	assert_int_equal(b.nemr, 1);
	assert_string_equal(b.emr[0].url, "https://emr.example/fhir");
	assert_int_equal(b.emr[0].connections, 3);
	free(text);
}

static void test_paths(void **state)
{
	struct mg_config cfg;
	char out[MG_PATH_MAX];

	(void)state;
	mg_config_defaults(&cfg);
	snprintf(cfg.dir, sizeof(cfg.dir), "/srv/medgate");
	assert_int_equal(mg_config_path(&cfg, "keys/master.key", out, sizeof(out)), 0);
	assert_string_equal(out, "/srv/medgate/keys/master.key");
	assert_int_equal(mg_config_path(&cfg, "/etc/x", out, sizeof(out)), 0);
	assert_string_equal(out, "/etc/x");
	assert_int_equal(mg_config_path(&cfg, "keys/master.key", out, 10), MG_ERR_LIMIT);
}

static void test_load_missing(void **state)
{
	struct mg_config cfg;
	char err[512];

	(void)state;
	assert_int_equal(mg_config_load("/nonexistent/medgate.conf", &cfg, err, sizeof(err)),
			 MG_ERR_IO);
	assert_non_null(strstr(err, "/nonexistent/medgate.conf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),    cmocka_unit_test(test_cases),
		cmocka_unit_test(test_values_land), cmocka_unit_test(test_limits),
		cmocka_unit_test(test_round_trip),  cmocka_unit_test(test_paths),
		cmocka_unit_test(test_load_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
