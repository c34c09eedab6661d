/* The MLLP/TLS listener against a real store, writer, keyring and device
 * CA, with a GnuTLS client over 127.0.0.1: answers (AA only once stored,
 * AR naming the problem, AE when the store fails), stop-and-wait with
 * pipelined messages, framing and size limits, timeouts, refused
 * certificates and devices, per-address limits, and stopping with a
 * message in flight. */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "common/config.h"
#include "common/err.h"
#include "common/file.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "crypto/keys.h"
#include "ingest/pipeline.h"
#include "common/privileges.h"
#include "hl7/hl7.h"
#include "ingest/mllp_listener.h"
#include "ingest/writer.h"
#include "store/ops.h"
#include "store/store.h"
#include "tls/ca.h"
#include "tls/profile.h"

#define TIMEOUT_S	2	/* [mllp] connection_timeout and request_timeout in these tests */
#define CLIENT_WAIT_MS	5000	/* longest a client waits for an answer */

/* A client identity: key and certificate. */
struct identity {
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	char fingerprint[MG_CERT_FINGERPRINT_LEN];
	int64_t device_id;
};

struct fixture {
	char dir[64];
	struct mg_config cfg;
	struct {	/* what the daemon would hand the listener */
		const struct mg_config *cfg;
		struct mg_store *store;
		struct mg_keyring *keys;
		struct mg_writer *writer;
		struct mg_ingest *ingest;
		char *server_cert_pem, *server_key_pem, *device_ca_pem;
		const char *tls_priorities;
	} gw;
	struct mg_ca *device_ca, *instance_ca, *foreign_ca;
	gnutls_x509_crt_t instance_crt;
	int64_t tenant;
	struct identity good, other, revoked, foreign;
	struct mg_mllp_listener *listener;
	unsigned port;
	int (*real_put)(struct mg_store *s, struct mg_measurement_put *const *items, size_t n);
	const struct mg_store_ops *real_ops;
	struct mg_store_ops faulty_ops;	/* the real table with another put */
};

static struct fixture *fx;

/* Fault injection: the store's ops table with put instead of its
 * measurement_put_batch (the real table is const), or the real one. */
static void store_put_with(int (*put)(struct mg_store *s, struct mg_measurement_put *const *items,
				      size_t n))
{
	fx->faulty_ops = *fx->real_ops;
	fx->faulty_ops.measurement_put_batch = put;
	fx->gw.store->ops = put == fx->real_put ? fx->real_ops : &fx->faulty_ops;
}

/* ---- set-up ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void identity_make(struct mg_ca *ca, const char *cn, struct identity *id)
{
	gnutls_x509_crq_t crq;
	gnutls_datum_t der = { NULL, 0 };
	struct mg_issued_cert issued;
	gnutls_datum_t crt = { NULL, 0 };

	assert_int_equal(gnutls_x509_privkey_init(&id->key), 0);
	assert_int_equal(gnutls_x509_privkey_generate2(id->key, GNUTLS_PK_ECDSA,
			 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0), 0);
	assert_int_equal(gnutls_x509_crq_init(&crq), 0);
	assert_int_equal(gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
						       (unsigned)strlen(cn)), 0);
	assert_int_equal(gnutls_x509_crq_set_key(crq, id->key), 0);
	assert_int_equal(gnutls_x509_crq_sign2(crq, id->key, GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, &der), 0);
	gnutls_x509_crq_deinit(crq);
	memset(&issued, 0, sizeof(issued));
	assert_int_equal(mg_ca_sign_client_csr(ca, der.data, der.size, cn, 30, &issued), 0);
	gnutls_free(der.data);
	crt.data = issued.der;
	crt.size = (unsigned)issued.der_len;
	assert_int_equal(gnutls_x509_crt_init(&id->crt), 0);
	assert_int_equal(gnutls_x509_crt_import(id->crt, &crt, GNUTLS_X509_FMT_DER), 0);
	memcpy(id->fingerprint, issued.fingerprint, sizeof(id->fingerprint));
	mg_issued_cert_clear(&issued);
}

/* Enrol id as a device of the tenant, as EST would. */
static void identity_enrol(struct identity *id, const char *name, unsigned number)
{
	struct mg_store *s = fx->gw.store;
	unsigned char hash[MG_TOKEN_HASH_BYTES];
	struct mg_device d;
	int64_t token;

	memset(hash, (int)number, sizeof(hash));
	assert_int_equal(mg_store_token_create(s, fx->tenant, name, hash, mg_now_ms() + 60000, &token),
			 0);
	memset(&d, 0, sizeof(d));
	d.tenant_id = fx->tenant;
	snprintf(d.name, sizeof(d.name), "%s", name);
	memcpy(d.cert_fingerprint, id->fingerprint, sizeof(d.cert_fingerprint));
	snprintf(d.cert_serial, sizeof(d.cert_serial), "%02x", number);
	d.cert_not_after_ms = mg_now_ms() + 86400000;
	assert_int_equal(mg_store_device_enrol(s, token, mg_now_ms(), &d), 0);
	id->device_id = d.id;
}

static char *read_text_file(const char *path)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(mg_file_read(path, 64 * 1024, &text, &len), 0);
	return text;
}

static int group_setup(void **state)
{
	static const char *const dns[] = { "localhost" };
	static const char *const ips[] = { "127.0.0.1" };
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES];
	struct mg_master_key *mk = NULL;
	char path[128], cert[128], key[128], err[256];
	unsigned char *der = NULL;
	size_t len = 0;
	gnutls_datum_t d;
	int version;

	(void)state;
	if ((fx = calloc(1, sizeof(*fx))) == NULL || mg_crypto_init() != 0 ||
	    gnutls_global_init() < 0)
		return -1;
	mg_log_open("test_mllp_listener", NULL, getenv("MG_TEST_DEBUG") ? MG_LOG_DEBUG
									: MG_LOG_ERROR);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/mg-test-mllp-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	mg_config_defaults(&fx->cfg);
	snprintf(fx->cfg.dir, sizeof(fx->cfg.dir), "%s", fx->dir);
	snprintf(fx->cfg.storage_path, sizeof(fx->cfg.storage_path), "test.db");
	fx->cfg.mllp.enabled = true;
	fx->cfg.mllp.connection_timeout = TIMEOUT_S;
	fx->cfg.mllp.request_timeout = TIMEOUT_S;
	fx->gw.cfg = &fx->cfg;
	fx->gw.tls_priorities = mg_tls_priorities(NULL);
	if (mg_store_open(&fx->cfg, true, &fx->gw.store, err, sizeof(err)) != 0 ||
	    mg_store_migrate(fx->gw.store, &version) != 0)
		return -1;
	fx->real_ops = fx->gw.store->ops;
	fx->real_put = fx->real_ops->measurement_put_batch;
	snprintf(path, sizeof(path), "%s/master.key", fx->dir);
	if (mg_master_key_create(path) != 0 || mg_master_key_load(path, &mk) != 0 ||
	    mg_keyring_new(mk, &fx->gw.keys) != 0 ||
	    mg_tenant_key_new(mg_keyring_master(fx->gw.keys), wrapped) != 0 ||
	    mg_store_tenant_create(fx->gw.store, "default", wrapped, &fx->tenant) != 0 ||
	    mg_writer_new(fx->gw.store, &fx->gw.writer) != 0)
		return -1;
	mg_store_set_keyring(fx->gw.store, fx->gw.keys);
	const struct mg_ingest_deps ingest = { .keys = fx->gw.keys, .writer = fx->gw.writer };
	if (mg_ingest_new(&ingest, &fx->gw.ingest) != 0)
		return -1;
	/* The device CA, an instance CA with its server certificate, and a
	 * CA nobody trusts. */
	snprintf(cert, sizeof(cert), "%s/server.pem", fx->dir);
	snprintf(key, sizeof(key), "%s/server.key", fx->dir);
	if (mg_ca_create("test device CA", 30, &fx->device_ca) != 0 ||
	    mg_ca_create("test instance CA", 30, &fx->instance_ca) != 0 ||
	    mg_ca_create("foreign CA", 30, &fx->foreign_ca) != 0 ||
	    mg_ca_issue_server(fx->instance_ca, dns, 1, ips, 1, 30, cert, key) != 0 ||
	    mg_ca_cert_pem(fx->device_ca, &fx->gw.device_ca_pem, &len) != 0 ||
	    mg_ca_cert_der(fx->instance_ca, &der, &len) != 0)
		return -1;
	fx->gw.server_cert_pem = read_text_file(cert);
	fx->gw.server_key_pem = read_text_file(key);
	d.data = der;
	d.size = (unsigned)len;
	if (gnutls_x509_crt_init(&fx->instance_crt) < 0 ||
	    gnutls_x509_crt_import(fx->instance_crt, &d, GNUTLS_X509_FMT_DER) < 0)
		return -1;
	free(der);
	identity_make(fx->device_ca, "scale", &fx->good);
	identity_make(fx->device_ca, "monitor", &fx->other);
	identity_make(fx->device_ca, "stolen", &fx->revoked);
	identity_make(fx->foreign_ca, "intruder", &fx->foreign);
	identity_enrol(&fx->good, "scale", 1);
	identity_enrol(&fx->other, "monitor", 2);
	identity_enrol(&fx->revoked, "stolen", 3);
	assert_int_equal(mg_store_device_set_status(fx->gw.store, fx->revoked.device_id,
							 MG_DEVICE_REVOKED), 0);
	return 0;
}

static void identity_free(struct identity *id)
{
	gnutls_x509_crt_deinit(id->crt);
	gnutls_x509_privkey_deinit(id->key);
}

static int group_teardown(void **state)
{
	(void)state;
	mg_writer_free(fx->gw.writer);
	mg_ingest_free(fx->gw.ingest);
	mg_keyring_free(fx->gw.keys);
	mg_store_close(fx->gw.store);
	identity_free(&fx->good);
	identity_free(&fx->other);
	identity_free(&fx->revoked);
	identity_free(&fx->foreign);
	gnutls_x509_crt_deinit(fx->instance_crt);
	mg_ca_free(fx->device_ca);
	mg_ca_free(fx->instance_ca);
	mg_ca_free(fx->foreign_ca);
	free(fx->gw.server_cert_pem);
	free(fx->gw.server_key_pem);
	free(fx->gw.device_ca_pem);
	nftw(fx->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	fx = NULL;
	gnutls_global_deinit();
	return 0;
}

static void listener_start(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char err[256];
	int fd;

	assert_int_equal(mg_listen_tcp("127.0.0.1", 0, &fd, err, sizeof(err)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	fx->port = ntohs(sin.sin_port);
	const struct mg_mllp_deps deps = {
		.limits = &fx->cfg.mllp, .store = fx->gw.store, .keys = fx->gw.keys,
		.ingest = fx->gw.ingest, .cert_pem = fx->gw.server_cert_pem,
		.key_pem = fx->gw.server_key_pem, .ca_pem = fx->gw.device_ca_pem,
		.priorities = fx->gw.tls_priorities,
	};

	assert_int_equal(mg_mllp_listener_start(&deps, fd, &fx->listener), 0);
}

static int test_setup(void **state)
{
	(void)state;
	fx->cfg.mllp.connections_per_address = 256;
	fx->cfg.mllp.max_connections = 1000;
	listener_start();
	return 0;
}

static int test_teardown(void **state)
{
	(void)state;
	mg_mllp_listener_stop(fx->listener);
	fx->listener = NULL;
	store_put_with(fx->real_put);
	return 0;
}

/* ---- a GnuTLS client ---- */

struct client {
	int fd;
	gnutls_session_t session;
	gnutls_certificate_credentials_t creds;
	char buf[4096];		/* bytes of answers not yet returned */
	size_t len;
};

/* Connect and shake hands as id (NULL: no certificate). Returns the
 * handshake's GnuTLS result. */
static int client_open(struct client *c, const struct identity *id)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	gnutls_x509_crt_t crt;
	int r;

	memset(c, 0, sizeof(*c));
	sin.sin_port = htons((uint16_t)fx->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(gnutls_certificate_allocate_credentials(&c->creds), 0);
	crt = fx->instance_crt;
	assert_int_equal(gnutls_certificate_set_x509_trust(c->creds, &crt, 1), 1);
	if (id != NULL) {
		crt = id->crt;
		assert_int_equal(gnutls_certificate_set_x509_key(c->creds, &crt, 1, id->key), 0);
	}
	assert_int_equal(gnutls_init(&c->session, GNUTLS_CLIENT), 0);
	assert_int_equal(gnutls_set_default_priority(c->session), 0);
	assert_int_equal(gnutls_credentials_set(c->session, GNUTLS_CRD_CERTIFICATE, c->creds), 0);
	gnutls_session_set_verify_cert(c->session, "localhost", 0);
	gnutls_transport_set_int(c->session, c->fd);
	gnutls_handshake_set_timeout(c->session, CLIENT_WAIT_MS);
	gnutls_record_set_timeout(c->session, CLIENT_WAIT_MS);
	do
		r = gnutls_handshake(c->session);
	while (r < 0 && !gnutls_error_is_fatal(r));
	return r;
}

static void client_close(struct client *c)
{
	if (c->session != NULL)
		gnutls_deinit(c->session);
	if (c->creds != NULL)
		gnutls_certificate_free_credentials(c->creds);
	if (c->fd >= 0)
		close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void client_send(struct client *c, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = gnutls_record_send(c->session, data, len);

		assert_true(n > 0);
		data += n;
		len -= (size_t)n;
	}
}

/* Send msg in an MLLP frame. */
static void client_send_framed(struct client *c, const char *msg)
{
	size_t len = strlen(msg);
	char *frame = malloc(len + 3);

	assert_non_null(frame);
	frame[0] = 0x0b;
	memcpy(frame + 1, msg, len);
	frame[len + 1] = 0x1c;
	frame[len + 2] = 0x0d;
	client_send(c, frame, len + 3);
	free(frame);
}

/* The next framed answer into ack (NUL-terminated, framing removed).
 * Returns 0, or -1 if the connection ended (or nothing came in time). */
static int client_answer(struct client *c, char *ack, size_t acklen)
{
	for (;;) {
		char *end = memchr(c->buf, 0x1c, c->len);

		if (end != NULL && (size_t)(end - c->buf) + 2 <= c->len) {
			size_t n = (size_t)(end - c->buf);

			assert_int_equal(c->buf[0], 0x0b);
			assert_int_equal(end[1], 0x0d);
			assert_true(n - 1 < acklen);
			memcpy(ack, c->buf + 1, n - 1);
			ack[n - 1] = '\0';
			memmove(c->buf, end + 2, c->len - n - 2);
			c->len -= n + 2;
			return 0;
		}
		ssize_t r = gnutls_record_recv(c->session, c->buf + c->len, sizeof(c->buf) - c->len);

		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r <= 0)
			return -1;
		c->len += (size_t)r;
	}
}

/* True if the server ends the connection without answering. */
static bool client_sees_close(struct client *c)
{
	char ack[1024];

	return client_answer(c, ack, sizeof(ack)) != 0;
}

/* Field `field` of the first segment seg of an ACK (MSA-1 is field 1). */
static void ack_field(const char *ack, const char *seg, unsigned field, char *out, size_t outlen)
{
	const char *p = ack, *end;

	out[0] = '\0';
	while (p != NULL && strncmp(p, seg, 3) != 0) {
		p = strchr(p, '\r');
		p = p != NULL ? p + 1 : NULL;
	}
	if (p == NULL)
		return;
	for (unsigned i = 0; i < field && p != NULL; i++) {
		p = strpbrk(p, "|\r");
		p = p != NULL && *p == '|' ? p + 1 : NULL;
	}
	if (p == NULL)
		return;
	end = p + strcspn(p, "|\r");
	snprintf(out, outlen, "%.*s", (int)(end - p), p);
}

/* Send msg and check the answer: code (MSA-1), control id (MSA-2) and
 * ERR-3: none if err3 is NULL, else one starting with err3 (maybe ""). */
static void exchange(struct client *c, const char *msg, const char *code, const char *control,
		     const char *err3)
{
	char ack[4096], field[512];

	client_send_framed(c, msg);
	assert_int_equal(client_answer(c, ack, sizeof(ack)), 0);
	ack_field(ack, "MSA", 1, field, sizeof(field));
	assert_string_equal(field, code);
	ack_field(ack, "MSA", 2, field, sizeof(field));
	assert_string_equal(field, control);
	ack_field(ack, "ERR", 3, field, sizeof(field));
	if (err3 == NULL) {
		assert_string_equal(field, "");
	} else {
		assert_true(field[0] != '\0');
		assert_true(strncmp(field, err3, strlen(err3)) == 0);
	}
	/* Never a patient identifier in an answer. */
	assert_null(strstr(ack, "MRN-"));
}

static int64_t stored_count(void)
{
	int64_t n = -1;

	assert_int_equal(mg_store_measurement_count(fx->gw.store, 0, &n), 0);
	return n;
}

/* ---- messages ---- */

#define MSH_HEAD "MSH|^~\\&|SCALE^0012345678ABCDEF^EUI-64|WARD|MEDGATE|HOSP|20261122100000+0000||"
#define DEVICE_OBX "OBX|1||528399^MDC_DEV_SPEC_PROFILE_SCALE^MDC|1|||||||X|||||||" \
	"0012345678ABCDEF^^0012345678ABCDEF^EUI-64\r"

/* A PCD-01 ORU^R01 with control id mid, weight and height. */
static char *oru(const char *mid, const char *weight_code, const char *weight)
{
	static char text[2048];

	snprintf(text, sizeof(text),
		 MSH_HEAD "ORU^R01^ORU_R01|%s|P|2.6|||NE|AL\r"
		 "PID|||MRN-0001^^^HOSP^MR||Doe^Jo\r"
		 "OBR|1|||182777000^monitoring of patient^SNOMED-CT|||20261122100000+0000\r"
		 DEVICE_OBX
		 "OBX|2|NM|%s^MDC_MASS_BODY_ACTUAL^MDC|1.0.0.1|%s|263875^MDC_DIM_KILO_G^MDC|||||R"
		 "|||20261122100000+0000\r"
		 "OBX|3|NM|188740^MDC_LEN_BODY_ACTUAL^MDC|1.0.0.2|180.0|263441^MDC_DIM_CENTI_M^MDC"
		 "|||||R|||20261122100000+0000\r",
		 mid, weight_code, weight);
	return text;
}

/* ---- tests ---- */

static void test_stored_then_duplicate(void **state)
{
	struct client c;
	int64_t before = stored_count();

	(void)state;
	assert_int_equal(client_open(&c, &fx->good), 0);
	exchange(&c, oru("U-1", "188736", "72.4"), "AA", "U-1", NULL);
	assert_int_equal(stored_count(), before + 1);
	exchange(&c, oru("U-1", "188736", "72.4"), "AA", "U-1", NULL);
	assert_int_equal(stored_count(), before + 1);
	client_close(&c);
}

/* Three messages in one write: each gets its own answer, in order, and
 * each answer waits for its own message's commit. */
static void test_pipelined_messages_answered_in_order(void **state)
{
	static const char *const mids[] = { "P-1", "P-2", "P-3" };
	char all[8192] = "", ack[4096], field[64];
	struct client c;
	int64_t before = stored_count();
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		const char *m = oru(mids[i], "188736", "70.0");

		all[len++] = 0x0b;
		memcpy(all + len, m, strlen(m));
		len += strlen(m);
		all[len++] = 0x1c;
		all[len++] = 0x0d;
	}
	assert_int_equal(client_open(&c, &fx->good), 0);
	client_send(&c, all, len);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(client_answer(&c, ack, sizeof(ack)), 0);
		ack_field(ack, "MSA", 1, field, sizeof(field));
		assert_string_equal(field, "AA");
		ack_field(ack, "MSA", 2, field, sizeof(field));
		assert_string_equal(field, mids[i]);
	}
	assert_int_equal(stored_count(), before + 3);
	client_close(&c);
}

/* Refusals: each answered, nothing stored, the connection still serves. */
static void test_refusals_answered_and_nothing_stored(void **state)
{
	static char segment_too_long[MG_HL7_SEGMENT_MAX + 512];
	const struct {
		const char *name;
		const char *msg;
		const char *code, *control, *err3;
	} cases[] = {
		{ "unknown OBX code", NULL, "AR", "R-1", "103^" },
		{ "value out of range", NULL, "AR", "R-2", "102^" },
		{ "missing PID", MSH_HEAD "ORU^R01^ORU_R01|R-3|P|2.6\r"
		  "OBR|1|||x|||20261122100000+0000\r", "AR", "R-3", "100^" },
		{ "not ORU^R01", MSH_HEAD "ADT^A01^ADT_A01|R-4|P|2.6\rPID|||MRN-0002\r", "AR", "R-4",
		  "200^" },
		{ "missing MSH", "PID|||MRN-0003\rOBR|1\r", "AR", "", "100^" },
		{ "wrong encoding characters", "MSH|^~|SCALE|WARD\rPID|||MRN-0004\r", "AR", "", "" },
		{ "segment over the limit", segment_too_long, "AR", "R-5", "" },
	};
	char weight_unknown[2048], weight_range[2048];
	struct client c;
	int64_t before = stored_count();

	(void)state;
	snprintf(weight_unknown, sizeof(weight_unknown), "%s", oru("R-1", "999999", "72.4"));
	snprintf(weight_range, sizeof(weight_range), "%s", oru("R-2", "188736", "7200"));
	snprintf(segment_too_long, sizeof(segment_too_long),
		 MSH_HEAD "ORU^R01^ORU_R01|R-5|P|2.6\rNTE|1||%0*d\r", MG_HL7_SEGMENT_MAX, 7);
	assert_int_equal(client_open(&c, &fx->good), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *msg = i == 0 ? weight_unknown : i == 1 ? weight_range : cases[i].msg;

		print_message("  %s\n", cases[i].name);
		exchange(&c, msg, cases[i].code, cases[i].control, cases[i].err3);
		assert_int_equal(stored_count(), before);
	}
	exchange(&c, oru("R-6", "188736", "72.4"), "AA", "R-6", NULL);
	assert_int_equal(stored_count(), before + 1);
	client_close(&c);
}

static void test_broken_framing_closes(void **state)
{
	struct client c;
	int64_t before = stored_count();

	(void)state;
	assert_int_equal(client_open(&c, &fx->good), 0);
	client_send(&c, "MSH|^~\\&|no start block\r", 25);
	assert_true(client_sees_close(&c));
	client_close(&c);
	/* FS not followed by CR */
	assert_int_equal(client_open(&c, &fx->good), 0);
	client_send(&c, "\x0bMSH|^~\\&|x\x1cX", 13);
	assert_true(client_sees_close(&c));
	client_close(&c);
	assert_int_equal(stored_count(), before);
}

static void test_message_over_the_limit_closes(void **state)
{
	size_t len = MG_HL7_MESSAGE_MAX + 100;
	char *big = malloc(len);
	struct client c;

	(void)state;
	assert_non_null(big);
	big[0] = 0x0b;
	memset(big + 1, 'A', len - 1);
	assert_int_equal(client_open(&c, &fx->good), 0);
	client_send(&c, big, len);
	assert_true(client_sees_close(&c));
	client_close(&c);
	free(big);
}

static void test_no_end_block_closed_at_timeout(void **state)
{
	struct client c;
	int64_t started;

	(void)state;
	assert_int_equal(client_open(&c, &fx->good), 0);
	client_send(&c, "\x0bMSH|^~\\&|", 10);
	started = mg_monotonic_ms();
	assert_true(client_sees_close(&c));
	assert_true(mg_monotonic_ms() - started >= TIMEOUT_S * 1000 - 50);
	assert_true(mg_monotonic_ms() - started < CLIENT_WAIT_MS);
	client_close(&c);
}

static void test_refused_certificates(void **state)
{
	struct client c;
	int r;

	(void)state;
	/* No certificate: the handshake fails (TLS 1.2) or the connection
	 * ends right after it (TLS 1.3). */
	r = client_open(&c, NULL);
	assert_true(r < 0 || client_sees_close(&c));
	client_close(&c);
	r = client_open(&c, &fx->foreign);
	assert_true(r < 0 || client_sees_close(&c));
	client_close(&c);
	r = client_open(&c, &fx->revoked);
	if (r == 0) {
		client_send_framed(&c, oru("X-1", "188736", "72.4"));
		assert_true(client_sees_close(&c));
	}
	client_close(&c);
}

/* Blocking a device ends its open connection at its next message. */
static void test_blocked_on_open_connection(void **state)
{
	struct mg_store *s = fx->gw.store;
	struct client c;
	int64_t before;

	(void)state;
	assert_int_equal(client_open(&c, &fx->other), 0);
	exchange(&c, oru("B-1", "188736", "72.4"), "AA", "B-1", NULL);
	before = stored_count();
	assert_int_equal(mg_store_device_set_status(s, fx->other.device_id, MG_DEVICE_BLOCKED), 0);
	client_send_framed(&c, oru("B-2", "188736", "72.4"));
	assert_true(client_sees_close(&c));
	client_close(&c);
	assert_int_equal(stored_count(), before);
	assert_int_equal(mg_store_device_set_status(s, fx->other.device_id, MG_DEVICE_ACTIVE), 0);
}

/* A store whose transaction fails, as a back end reports it. */
static int put_fails(struct mg_store *s, struct mg_measurement_put *const *items, size_t n)
{
	(void)s;
	for (size_t i = 0; i < n; i++)
		items[i]->result = MG_ERR_STORE;
	return MG_ERR_STORE;
}

static void test_store_failure_answers_ae(void **state)
{
	struct client c;
	int64_t before = stored_count();

	(void)state;
	store_put_with(put_fails);
	assert_int_equal(client_open(&c, &fx->good), 0);
	exchange(&c, oru("E-1", "188736", "72.4"), "AE", "E-1", "207^");
	store_put_with(fx->real_put);
	exchange(&c, oru("E-1", "188736", "72.4"), "AA", "E-1", NULL);
	assert_int_equal(stored_count(), before + 1);
	client_close(&c);
}

static void test_connections_per_address(void **state)
{
	struct client a, b, c;

	(void)state;
	mg_mllp_listener_stop(fx->listener);
	fx->cfg.mllp.connections_per_address = 2;
	listener_start();
	assert_int_equal(client_open(&a, &fx->good), 0);
	assert_int_equal(client_open(&b, &fx->good), 0);
	exchange(&b, oru("L-1", "188736", "72.4"), "AA", "L-1", NULL);
	assert_true(client_open(&c, &fx->good) < 0 || client_sees_close(&c));
	client_close(&c);
	client_close(&a);
	/* A slot that frees up can be used again (once the close is seen). */
	for (int i = 0; i < 50; i++) {
		if (client_open(&c, &fx->good) == 0) {
			client_send_framed(&c, oru("L-2", "188736", "72.4"));
			char ack[4096];

			if (client_answer(&c, ack, sizeof(ack)) == 0)
				break;
		}
		client_close(&c);
		usleep(20000);
	}
	assert_true(c.session != NULL);
	client_close(&c);
	client_close(&b);
}

/* A message with the writer when the listener stops still gets its AA. */
static atomic_int slow_puts;

static int put_slowly(struct mg_store *s, struct mg_measurement_put *const *items, size_t n)
{
	struct timespec pause = { 0, 300 * 1000 * 1000 };

	atomic_fetch_add(&slow_puts, 1);
	nanosleep(&pause, NULL);
	return fx->real_put(s, items, n);
}

static void test_stop_answers_in_flight(void **state)
{
	struct timespec tick = { 0, 5 * 1000 * 1000 };
	char ack[4096], field[64];
	struct client c, idle;
	int64_t before = stored_count(), started;

	(void)state;
	assert_int_equal(client_open(&idle, &fx->good), 0);
	assert_int_equal(client_open(&c, &fx->good), 0);
	atomic_store(&slow_puts, 0);
	store_put_with(put_slowly);
	client_send_framed(&c, oru("S-1", "188736", "72.4"));
	/* Stop once the writer is committing the message. */
	for (int i = 0; i < CLIENT_WAIT_MS / 5 && atomic_load(&slow_puts) == 0; i++)
		nanosleep(&tick, NULL);
	assert_int_equal(atomic_load(&slow_puts), 1);
	started = mg_monotonic_ms();
	mg_mllp_listener_stop(fx->listener);
	fx->listener = NULL;
	assert_true(mg_monotonic_ms() - started < MG_MLLP_STOP_GRACE_MS);
	assert_int_equal(client_answer(&c, ack, sizeof(ack)), 0);
	ack_field(ack, "MSA", 1, field, sizeof(field));
	assert_string_equal(field, "AA");
	assert_true(client_sees_close(&c));
	assert_true(client_sees_close(&idle));
	assert_int_equal(stored_count(), before + 1);
	client_close(&c);
	client_close(&idle);
	listener_start();	/* for the teardown */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stored_then_duplicate, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_messages_answered_in_order,
						test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_refusals_answered_and_nothing_stored,
						test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_broken_framing_closes, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_message_over_the_limit_closes, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_no_end_block_closed_at_timeout, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_refused_certificates, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_blocked_on_open_connection, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_store_failure_answers_ae, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_connections_per_address, test_setup,
						test_teardown),
		cmocka_unit_test_setup_teardown(test_stop_answers_in_flight, test_setup,
						test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
