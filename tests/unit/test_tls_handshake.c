/* Unit tests of src/tls/ TLS profiles and the per-connection peer check,
 * over real GnuTLS handshakes on a socketpair. */
#include "tls_fixture.h"

/* ---- profiles ---- */

static int in_list(const unsigned *list, int n, unsigned v)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i] == v)
			return 1;
	return 0;
}

static void test_profiles_parse(void **state)
{
	static const struct {
		const char *name;
		int chacha, x25519;
	} cases[] = {
		{ "bsi", 0, 0 },
		{ "mozilla-intermediate", 1, 1 },
	};
	const char *const *names = mg_tls_profile_names();
	size_t i;

	(void)state;
	assert_null(mg_tls_priorities("nonsense"));
	assert_null(mg_tls_priorities(""));
	assert_string_equal(mg_tls_priorities(NULL), mg_tls_priorities("bsi"));
	for (i = 0; names[i] != NULL; i++)
		assert_non_null(mg_tls_priorities(names[i]));
	assert_int_equal(i, 2);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gnutls_priority_t prio;
		const char *err = NULL;
		const unsigned *list;
		int n, j;

		if (gnutls_priority_init(&prio, mg_tls_priorities(cases[i].name), &err) != 0)
			fail_msg("%s does not parse at \"%s\"", cases[i].name, err);
		/* Protocols: exactly TLS 1.3 and 1.2. */
		n = gnutls_priority_protocol_list(prio, &list);
		assert_int_equal(n, 2);
		assert_true(in_list(list, n, GNUTLS_TLS1_3) && in_list(list, n, GNUTLS_TLS1_2));
		/* Ciphers: AES-GCM, and ChaCha20 only where the profile says. */
		n = gnutls_priority_cipher_list(prio, &list);
		assert_true(in_list(list, n, GNUTLS_CIPHER_AES_128_GCM));
		assert_true(in_list(list, n, GNUTLS_CIPHER_AES_256_GCM));
		assert_int_equal(in_list(list, n, GNUTLS_CIPHER_CHACHA20_POLY1305), cases[i].chacha);
		assert_int_equal(n, 2 + cases[i].chacha);
		/* Key exchange: ECDHE only. */
		n = gnutls_priority_kx_list(prio, &list);
		for (j = 0; j < n; j++)
			assert_true(list[j] == GNUTLS_KX_ECDHE_ECDSA ||
				    list[j] == GNUTLS_KX_ECDHE_RSA);
		/* Groups: P-256 and P-384, X25519 only where the profile says. */
		n = gnutls_priority_group_list(prio, &list);
		assert_true(in_list(list, n, GNUTLS_GROUP_SECP256R1));
		assert_true(in_list(list, n, GNUTLS_GROUP_SECP384R1));
		assert_int_equal(in_list(list, n, GNUTLS_GROUP_X25519), cases[i].x25519);
		assert_int_equal(n, 2 + cases[i].x25519);
		/* MAC: AEAD only. */
		n = gnutls_priority_mac_list(prio, &list);
		assert_int_equal(n, 1);
		assert_int_equal(list[0], GNUTLS_MAC_AEAD);
		gnutls_priority_deinit(prio);
	}
}

/* What the security sheet says of a profile: the versions and suites as
 * GnuTLS reads them, ChaCha20 only where the profile has it, no CBC. */
struct names {
	char text[2048];
	unsigned versions, suites;
};

static void add_name(struct names *n, const char *name)
{
	size_t len = strlen(n->text);

	snprintf(n->text + len, sizeof(n->text) - len, "%s ", name);
}

static int add_version(const char *name, void *arg)
{
	((struct names *)arg)->versions++;
	add_name(arg, name);
	return 0;
}

static int add_suite(const char *name, void *arg)
{
	((struct names *)arg)->suites++;
	add_name(arg, name);
	return 0;
}

static void test_profiles_describe(void **state)
{
	struct names bsi = { "", 0, 0 }, moz = { "", 0, 0 }, none = { "", 0, 0 };

	(void)state;
	assert_int_equal(mg_tls_profile_describe("bsi", add_version, add_suite, &bsi), 0);
	assert_int_equal(mg_tls_profile_describe("mozilla-intermediate", add_version, add_suite,
						 &moz), 0);
	assert_int_equal(mg_tls_profile_describe("nonsense", add_version, add_suite, &none), -1);
	assert_int_equal(none.versions + none.suites, 0);
	assert_int_equal(bsi.versions, 2);
	assert_non_null(strstr(bsi.text, "TLS1.3 "));
	assert_non_null(strstr(bsi.text, "TLS1.2 "));
	assert_non_null(strstr(bsi.text, "TLS_ECDHE_ECDSA_AES_128_GCM_SHA256 "));
	assert_null(strstr(bsi.text, "CHACHA20"));
	assert_null(strstr(bsi.text, "CBC"));
	assert_non_null(strstr(moz.text, "CHACHA20"));
	assert_true(moz.suites > bsi.suites);
}

/* ---- handshakes over a socketpair ---- */

struct client_side {
	int fd;
	const char *priorities;
	gnutls_certificate_credentials_t cred;
	int rc;
};

static void *client_run(void *arg)
{
	struct client_side *c = arg;
	gnutls_session_t s;
	int r;

	c->rc = -1;
	if (gnutls_init(&s, GNUTLS_CLIENT) != 0)
		return NULL;
	if (gnutls_priority_set_direct(s, c->priorities, NULL) == 0 &&
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c->cred) == 0) {
		gnutls_transport_set_int(s, c->fd);
		gnutls_handshake_set_timeout(s, 10000);
		do {
			r = gnutls_handshake(s);
		} while (r < 0 && !gnutls_error_is_fatal(r));
		c->rc = r;
	}
	gnutls_deinit(s);
	close(c->fd);
	return NULL;
}

struct handshake {
	int server_rc, client_rc, verify_rc;
	char fingerprint[MG_CERT_FINGERPRINT_LEN];
	char reason[128];
	int64_t not_after_ms;
	gnutls_protocol_t version;
	gnutls_group_t group;
	gnutls_cipher_algorithm_t cipher;
};

/* Run one handshake: the server as the daemon runs it (profile, server
 * certificate, device CA as trust, certificate requested), the client with
 * its own priorities and optional certificate. */
static void run_handshake(const char *profile, const char *client_prio, gnutls_x509_crt_t cert,
			  gnutls_x509_privkey_t key, struct handshake *h)
{
	gnutls_certificate_credentials_t scred, ccred;
	struct client_side client;
	gnutls_session_t s;
	pthread_t thread;
	char *ca_pem = NULL;
	size_t ca_pem_len = 0;
	gnutls_datum_t trust;
	struct timeval tv = { 10, 0 };
	int fds[2], r;

	memset(h, 0, sizeof(*h));
	assert_int_equal(gnutls_certificate_allocate_credentials(&scred), 0);
	assert_int_equal(gnutls_certificate_set_x509_key_file(scred, fx->server_cert,
		fx->server_key, GNUTLS_X509_FMT_PEM), 0);
	assert_int_equal(mg_ca_cert_pem(fx->device_ca, &ca_pem, &ca_pem_len), 0);
	trust.data = (unsigned char *)ca_pem;
	trust.size = (unsigned)ca_pem_len;
	assert_int_equal(gnutls_certificate_set_x509_trust_mem(scred, &trust,
		GNUTLS_X509_FMT_PEM), 1);
	free(ca_pem);
	assert_int_equal(gnutls_certificate_allocate_credentials(&ccred), 0);
	if (cert != NULL)
		assert_int_equal(gnutls_certificate_set_x509_key(ccred, &cert, 1, key), 0);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	setsockopt(fds[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fds[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	client.fd = fds[1];
	client.priorities = client_prio;
	client.cred = ccred;
	assert_int_equal(pthread_create(&thread, NULL, client_run, &client), 0);

	assert_int_equal(gnutls_init(&s, GNUTLS_SERVER), 0);
	assert_int_equal(gnutls_priority_set_direct(s, mg_tls_priorities(profile), NULL), 0);
	assert_int_equal(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, scred), 0);
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
	/* No CA names in the request, so the client always sends what it has
	 * (a GnuTLS client would otherwise withhold a foreign certificate). */
	gnutls_certificate_send_x509_rdn_sequence(s, 1);
	gnutls_transport_set_int(s, fds[0]);
	gnutls_handshake_set_timeout(s, 10000);
	do {
		r = gnutls_handshake(s);
	} while (r < 0 && !gnutls_error_is_fatal(r));
	h->server_rc = r;
	if (r == 0) {
		h->version = gnutls_protocol_get_version(s);
		h->group = gnutls_group_get(s);
		h->cipher = gnutls_cipher_get(s);
		h->verify_rc = mg_tls_peer_verify(s, h->fingerprint, &h->not_after_ms, h->reason,
						  sizeof(h->reason));
	}
	gnutls_deinit(s);
	close(fds[0]);
	assert_int_equal(pthread_join(thread, NULL), 0);
	h->client_rc = client.rc;
	gnutls_certificate_free_credentials(scred);
	gnutls_certificate_free_credentials(ccred);
}

/* A device: key, request, certificate from the given CA. */
struct device {
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	struct mg_issued_cert issued;
};

static void device_enrol(struct device *d, const struct mg_ca *ca)
{
	unsigned char *csr;
	size_t csr_len = 0;

	csr = make_csr(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), "dev",
		       &csr_len, &d->key);
	assert_int_equal(mg_ca_sign_client_csr(ca, csr, csr_len, "device-1", 30, &d->issued), 0);
	d->crt = crt_from_der(d->issued.der, d->issued.der_len);
	free(csr);
}

static void device_free(struct device *d)
{
	gnutls_x509_crt_deinit(d->crt);
	gnutls_x509_privkey_deinit(d->key);
	mg_issued_cert_clear(&d->issued);
}

static void test_profiles_negotiate(void **state)
{
	static const struct {
		const char *profile;
		const char *client;	/* client priorities */
		int ok;			/* handshake expected to succeed */
		gnutls_group_t group;	/* expected group when it does (0: any) */
	} cases[] = {
		{ "bsi", "NORMAL", 1, GNUTLS_GROUP_SECP256R1 },
		{ "bsi", "NORMAL:-VERS-ALL:+VERS-TLS1.2", 1, GNUTLS_GROUP_SECP256R1 },
		{ "bsi", "NORMAL:-GROUP-ALL:+GROUP-SECP384R1", 1, GNUTLS_GROUP_SECP384R1 },
		{ "bsi", "NORMAL:-GROUP-ALL:+GROUP-X25519", 0, 0 },
		{ "bsi", "NORMAL:-GROUP-ALL:+GROUP-SECP521R1", 0, 0 },
		{ "bsi", "NORMAL:-CIPHER-ALL:+CHACHA20-POLY1305", 0, 0 },
		{ "bsi", "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0", 0, 0 },
		{ "bsi", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:+AES-256-CBC", 0, 0 },
		{ "bsi", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA:+DHE-RSA", 0, 0 },
		{ "mozilla-intermediate", "NORMAL:-GROUP-ALL:+GROUP-X25519", 1, GNUTLS_GROUP_X25519 },
		{ "mozilla-intermediate", "NORMAL:-CIPHER-ALL:+CHACHA20-POLY1305", 1, 0 },
		{ "mozilla-intermediate", "NORMAL:-VERS-ALL:+VERS-TLS1.1", 0, 0 },
	};
	struct device dev;
	size_t i;

	(void)state;
	memset(&dev, 0, sizeof(dev));
	device_enrol(&dev, fx->device_ca);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct handshake h;

		run_handshake(cases[i].profile, cases[i].client, dev.crt, dev.key, &h);
		if (cases[i].ok != (h.server_rc == 0 && h.client_rc == 0))
			fail_msg("case %zu (%s vs %s): server %s, client %s", i, cases[i].profile,
				 cases[i].client, gnutls_strerror(h.server_rc),
				 gnutls_strerror(h.client_rc));
		if (!cases[i].ok)
			continue;
		if (cases[i].group != 0 && h.group != cases[i].group)
			fail_msg("case %zu: group %s", i, gnutls_group_get_name(h.group));
		assert_int_equal(h.verify_rc, 0);
		assert_string_equal(h.fingerprint, dev.issued.fingerprint);
		assert_int_equal(h.not_after_ms, dev.issued.not_after_ms);
	}
	device_free(&dev);
}

/* A client certificate made here rather than by the CA module, for the
 * cases the module refuses to make: already expired. */
static void make_expired_device(struct device *d)
{
	gnutls_datum_t pem = { NULL, 0 };
	gnutls_x509_crt_t ca_crt;
	gnutls_x509_privkey_t ca_key;
	unsigned char serial[] = { 0x42 };
	time_t now = time(NULL);

	memset(d, 0, sizeof(*d));
	ca_crt = crt_from_file(fx->device_ca_cert);
	assert_int_equal(gnutls_load_file(fx->device_ca_key, &pem), 0);
	assert_int_equal(gnutls_x509_privkey_init(&ca_key), 0);
	assert_int_equal(gnutls_x509_privkey_import2(ca_key, &pem, GNUTLS_X509_FMT_PEM, NULL, 0),
			 0);
	gnutls_free(pem.data);
	assert_int_equal(gnutls_x509_privkey_init(&d->key), 0);
	assert_int_equal(gnutls_x509_privkey_generate2(d->key, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0), 0);
	assert_int_equal(gnutls_x509_crt_init(&d->crt), 0);
	assert_int_equal(gnutls_x509_crt_set_version(d->crt, 3), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(d->crt, serial, sizeof(serial)), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(d->crt, now - 10 * 86400), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(d->crt, now - 86400), 0);
	assert_int_equal(gnutls_x509_crt_set_dn_by_oid(d->crt, GNUTLS_OID_X520_COMMON_NAME, 0,
						       "old", 3), 0);
	assert_int_equal(gnutls_x509_crt_set_key(d->crt, d->key), 0);
	assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(d->crt, GNUTLS_KP_TLS_WWW_CLIENT, 0),
			 0);
	assert_int_equal(gnutls_x509_crt_sign2(d->crt, ca_crt, ca_key, GNUTLS_DIG_SHA256, 0), 0);
	gnutls_x509_crt_deinit(ca_crt);
	gnutls_x509_privkey_deinit(ca_key);
}

static void test_peer_verify_refusals(void **state)
{
	struct device foreign, expired;
	struct mg_ca *other = NULL;
	gnutls_x509_crt_t server_crt;
	gnutls_x509_privkey_t server_key;
	gnutls_datum_t pem = { NULL, 0 };
	struct handshake h;
	char fp[MG_CERT_FINGERPRINT_LEN];
	int64_t na;

	(void)state;
	/* No certificate at all. */
	run_handshake("bsi", "NORMAL", NULL, NULL, &h);
	assert_int_equal(h.server_rc, 0);
	assert_int_equal(h.verify_rc, MG_ERR_DENIED);
	assert_string_equal(h.reason, "no client certificate");
	assert_string_equal(h.fingerprint, "");

	/* A certificate from another CA. */
	memset(&foreign, 0, sizeof(foreign));
	assert_int_equal(mg_ca_create("someone else's CA", 30, &other), 0);
	device_enrol(&foreign, other);
	run_handshake("bsi", "NORMAL", foreign.crt, foreign.key, &h);
	assert_int_equal(h.server_rc, 0);
	assert_int_equal(h.verify_rc, MG_ERR_DENIED);
	assert_string_equal(h.reason, "certificate not signed by the device CA");
	assert_string_equal(h.fingerprint, "");
	device_free(&foreign);
	mg_ca_free(other);

	/* Expired, from the right CA. */
	make_expired_device(&expired);
	run_handshake("bsi", "NORMAL", expired.crt, expired.key, &h);
	assert_int_equal(h.server_rc, 0);
	assert_int_equal(h.verify_rc, MG_ERR_EXPIRED);
	assert_string_equal(h.reason, "certificate expired");
	gnutls_x509_crt_deinit(expired.crt);
	gnutls_x509_privkey_deinit(expired.key);

	/* The instance's own server certificate presented as a client
	 * certificate: issued by the instance CA, which devices never use. */
	server_crt = crt_from_file(fx->server_cert);
	assert_int_equal(gnutls_load_file(fx->server_key, &pem), 0);
	assert_int_equal(gnutls_x509_privkey_init(&server_key), 0);
	assert_int_equal(gnutls_x509_privkey_import2(server_key, &pem, GNUTLS_X509_FMT_PEM, NULL,
						     0), 0);
	gnutls_memset(pem.data, 0, pem.size);
	gnutls_free(pem.data);
	run_handshake("bsi", "NORMAL", server_crt, server_key, &h);
	assert_int_equal(h.server_rc, 0);
	assert_int_equal(h.verify_rc, MG_ERR_DENIED);
	assert_string_equal(h.reason, "certificate not signed by the device CA");
	gnutls_x509_crt_deinit(server_crt);
	gnutls_x509_privkey_deinit(server_key);

	/* TLS 1.2 without the extended master secret. */
	memset(&foreign, 0, sizeof(foreign));
	device_enrol(&foreign, fx->device_ca);
	run_handshake("bsi", "NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_SESSION_HASH", foreign.crt,
		      foreign.key, &h);
	assert_int_equal(h.server_rc, 0);
	assert_int_equal(h.version, GNUTLS_TLS1_2);
	assert_int_equal(h.verify_rc, MG_ERR_DENIED);
	assert_string_equal(h.reason, "TLS 1.2 without extended master secret");
	device_free(&foreign);

	/* No session at all; reason may be NULL. */
	assert_int_equal(mg_tls_peer_verify(NULL, fp, &na, NULL, 0), MG_ERR_TLS);
}

/* Same as the device CA but made for servers: the chain is valid, the
 * purpose is not. */
static void test_peer_verify_wrong_purpose(void **state)
{
	static const char *const dns[] = { "device.invalid" };
	char cert[128], key[128];
	gnutls_x509_crt_t crt;
	gnutls_x509_privkey_t pkey;
	gnutls_datum_t pem = { NULL, 0 };
	struct handshake h;

	(void)state;
	path_in(cert, sizeof(cert), "purpose.pem");
	path_in(key, sizeof(key), "purpose.key");
	assert_int_equal(mg_ca_issue_server(fx->device_ca, dns, 1, NULL, 0, 30, cert, key), 0);
	crt = crt_from_file(cert);
	assert_int_equal(gnutls_load_file(key, &pem), 0);
	assert_int_equal(gnutls_x509_privkey_init(&pkey), 0);
	assert_int_equal(gnutls_x509_privkey_import2(pkey, &pem, GNUTLS_X509_FMT_PEM, NULL, 0), 0);
	gnutls_free(pem.data);
	run_handshake("bsi", "NORMAL", crt, pkey, &h);
	assert_int_equal(h.server_rc, 0);
	assert_int_equal(h.verify_rc, MG_ERR_DENIED);
	assert_string_equal(h.reason, "certificate not issued for client authentication");
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(pkey);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profiles_parse),
		cmocka_unit_test(test_profiles_describe),
		cmocka_unit_test(test_profiles_negotiate),
		cmocka_unit_test(test_peer_verify_refusals),
		cmocka_unit_test(test_peer_verify_wrong_purpose),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
