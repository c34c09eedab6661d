/* Unit tests of the MLLP sender's contract: what the constructor and
 * submit refuse, freeing with messages in flight, timeouts and wake(), and
 * the pure parts (judging ACKs, making whys). Exchanges with the test
 * server are in test_mllp_sender.c. */
#include "mllp_sender_fixture.h"

/* ---- construction ---- */

static void test_constructor_refusals(void **state)
{
	static const struct {
		const char *address;
		bool tls;
		const char *ca, *cert, *key;
		unsigned connections;
		int r;
		const char *err;
	} cases[] = {
		{ "127.0.0.1:2575", true, "missing.pem", "", "", 1, MG_ERR_NOT_FOUND,
		  "missing.pem: no such file" },
		{ "127.0.0.1:2575", true, "emr-ca.pem", "open.pem", "open.key", 1, MG_ERR_DENIED,
		  "chmod 600" },
		{ "127.0.0.1:2575", true, "emr-ca.pem", "client.pem", "", 1, MG_ERR_INVALID,
		  "go together" },
		{ "127.0.0.1:2575", true, "emr-ca.pem", "client.pem", "missing.key", 1,
		  MG_ERR_NOT_FOUND, "missing.key" },
		{ "127.0.0.1:2575", true, "server.key", "", "", 1, MG_ERR_INVALID, "no PEM" },
		{ "emr.example", false, "", "", "", 1, MG_ERR_CONFIG, "host:port" },
		{ "::1:2575", false, "", "", "", 1, MG_ERR_CONFIG, "brackets" },
		{ "[::1]:", false, "", "", "", 1, MG_ERR_CONFIG, "host:port" },
		{ ":2575", false, "", "", "", 1, MG_ERR_CONFIG, "host:port" },
		{ "emr:0", false, "", "", "", 1, MG_ERR_CONFIG, "port 1 to 65535" },
		{ "emr:65536", false, "", "", "", 1, MG_ERR_CONFIG, "port 1 to 65535" },
		{ "emr:25x", false, "", "", "", 1, MG_ERR_CONFIG, "port 1 to 65535" },
		{ "emr:2575", false, "", "", "", 17, MG_ERR_CONFIG, "connections" },
		{ "emr:2575", false, "", "", "", 0, MG_ERR_CONFIG, "connections" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_sender *s = (struct mg_sender *)&s;
		struct dest dt;
		char err[256];

		dest_init(&dt, "x", NULL, cases[i].tls);
		snprintf(dt.d.address, sizeof(dt.d.address), "%s", cases[i].address);
		snprintf(dt.d.ca_cert, sizeof(dt.d.ca_cert), "%s", cases[i].ca);
		snprintf(dt.d.client_cert, sizeof(dt.d.client_cert), "%s", cases[i].cert);
		snprintf(dt.d.client_key, sizeof(dt.d.client_key), "%s", cases[i].key);
		dt.d.connections = cases[i].connections;
		print_message("case %zu: %s\n", i, cases[i].address);
		assert_int_equal(mg_mllp_sender_new(&dt.cfg, &dt.d, &s, err, sizeof(err)),
				 cases[i].r);
		assert_null(s);
		if (strstr(err, cases[i].err) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].err);
	}
}

static void test_submit_refusals(void **state)
{
	char msg[1024], id[MG_HL7_CONTROL_ID_MAX + 2];
	size_t len = make_message(msg, sizeof(msg), "R-1");
	struct mg_sender *s;
	struct dest dt;

	(void)state;
	dest_init(&dt, "127.0.0.1", NULL, false);
	s = sender_new(&dt);
	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	assert_int_equal(s->ops->submit(s, 1, msg, len, id, NULL), MG_ERR_LIMIT);
	assert_int_equal(s->ops->submit(s, 1, msg, len, "", NULL), MG_ERR_INVALID);
	msg[20] = 0x1c;		/* would end the frame early */
	assert_int_equal(s->ops->submit(s, 1, msg, len, "R-1", NULL), MG_ERR_INVALID);
	assert_int_equal(s->ops->free_slots(s), 1);
	s->ops->free(s);
}

/* free() with messages in flight: no done calls, nothing leaks (ASan). */
static void test_free_in_flight(void **state)
{
	struct server *srv = server_start(true, ANSWER_NOTHING);
	struct outcome o = { 0 };
	struct mg_sender *s;
	struct dest dt;

	(void)state;
	dest_init(&dt, "127.0.0.1", srv, true);
	dt.d.connections = 2;
	s = sender_new(&dt);
	submit(s, 1, "F-1");
	submit(s, 2, "F-2");
	assert_int_equal(s->ops->poll(s, 200, on_done, &o), 0);
	assert_int_equal(o.n, 0);
	s->ops->free(s);
	server_stop(srv);
}

/* ---- wake ---- */

static void *wake_later(void *arg)
{
	struct mg_sender *s = arg;

	usleep(100 * 1000);
	s->ops->wake(s);
	return NULL;
}

static void test_wake(void **state)
{
	struct server *srv = server_start(false, ANSWER_NOTHING);
	struct outcome o = { 0 };
	struct mg_sender *s;
	struct dest dt;
	pthread_t t;
	int64_t start;

	(void)state;
	dest_init(&dt, "127.0.0.1", srv, false);
	s = sender_new(&dt);
	/* Idle, then with a message waiting for its answer. */
	for (int round = 0; round < 2; round++) {
		if (round == 1)
			submit(s, 1, "W-1");
		start = mg_monotonic_ms();
		assert_int_equal(pthread_create(&t, NULL, wake_later, s), 0);
		assert_int_equal(s->ops->poll(s, 4000, on_done, &o), 0);
		assert_true(mg_monotonic_ms() - start < 1000);
		assert_true(mg_monotonic_ms() - start >= 50);
		pthread_join(t, NULL);
	}
	/* A wake before the poll is not lost. */
	s->ops->wake(s);
	start = mg_monotonic_ms();
	assert_int_equal(s->ops->poll(s, 4000, on_done, &o), 0);
	assert_true(mg_monotonic_ms() - start < 500);
	/* poll(0) returns at once. */
	start = mg_monotonic_ms();
	assert_int_equal(s->ops->poll(s, 0, on_done, &o), 0);
	assert_true(mg_monotonic_ms() - start < 100);
	assert_int_equal(o.n, 0);
	s->ops->free(s);
	server_stop(srv);
}

/* ---- the pure parts: judging ACKs, making whys ---- */

static void test_ack_judge(void **state)
{
	static const struct {
		const char *ack;
		int r;
		enum mg_send_verdict v;
		const char *why;
	} cases[] = {
		{ "MSH|^~\\&|E||M||1||ACK|1|P|2.6\rMSA|AA|ID-1\r", 0, MG_SEND_DELIVERED,
		  "accepted (AA)" },
		{ "MSH|^~\\&|E||M||1||ACK|1|P|2.6\nMSA|CA|ID-1\n", 0, MG_SEND_DELIVERED,
		  "accepted (CA)" },
		{ "MSH|^~\\&|E||M||1||ACK|1|P|2.6\rMSA|CE|ID-1|busy\r", 0, MG_SEND_RETRY,
		  "error at the EMR (CE): busy" },
		{ "MSH|^~\\&|E||M||1||ACK|1|P|2.6\rMSA|CR|ID-1\r", 0, MG_SEND_REJECTED,
		  "rejected by the EMR (CR)" },
		{ "MSH|^~\\&|E||M||1||ACK|1|P|2.6\rMSA|AR|ID-1|old text\rERR|||101^Required "
		  "field missing^HL70357|E||||PID-3 is empty\r", 0, MG_SEND_REJECTED,
		  "rejected by the EMR: 101 PID-3 is empty" },
		{ "MSH|^~\\&|E||M||1||ACK|1|P|2.6\rMSA|AR|ID-1\rERR|||103^Table value not "
		  "found\r", 0, MG_SEND_REJECTED,
		  "rejected by the EMR: 103 Table value not found" },
		{ "MSH|^~\\&|E||M||1||ACK|1|P|2.6\rMSA|AR|ID-1|patient Roe Richard\\T\\x\r",
		  0, MG_SEND_REJECTED, "rejected by the EMR: patient *** ***&x" },
		{ "MSH|^~\\&|E||M||1||ACK|1|P|2.6\rMSA|AA|ID-2\r", MG_ERR_NOT_FOUND,
		  MG_SEND_RETRY, "ACK for another message" },
		{ "MSH|^~\\&|E||M||1||ACK|1|P|2.6\rMSA|AA|\r", MG_ERR_NOT_FOUND, MG_SEND_RETRY,
		  "ACK for another message" },
		{ "MSH|^~\\&|E||M||1||ACK|1|P|2.6\rMSA|AX|ID-1\r", MG_ERR_INVALID, MG_SEND_RETRY,
		  "malformed ACK" },
		{ "MSH|^~\\&|E||M||1||ACK|1|P|2.6\rMSA|AAA|ID-1\r", MG_ERR_INVALID,
		  MG_SEND_RETRY, "malformed ACK" },
		{ "MSH|^~\\&|E||M||1||ACK|1|P|2.6\rMSA|AR|ID-1\rERR|||999\r", 0,
		  MG_SEND_REJECTED, "rejected by the EMR: 999" },
		{ "MSH|^~\\&|E||M||1||ACK|1|P|2.6\rMSA|AE|ID-1\rERR|||101\r", 0, MG_SEND_RETRY,
		  "error at the EMR (AE): 101 Required field missing" },
		{ "MSH|^~\\&|E||M||1||ACK|1|P|2.6\rMSA|AR|ID-1\rERR|||E17^No such ward\r", 0,
		  MG_SEND_REJECTED, "rejected by the EMR: No such ward" },
		{ "MSH|^~\\&|E||M||1||ACK|1|P|2.6\r", MG_ERR_INVALID, MG_SEND_RETRY,
		  "malformed ACK" },
		{ "MSH|^~\\&|E||M||1||ORU^R01|1|P|2.6\rMSA|AA|ID-1\r", MG_ERR_INVALID,
		  MG_SEND_RETRY, "malformed ACK" },
		{ "MSA|AA|ID-1\r", MG_ERR_INVALID, MG_SEND_RETRY, "malformed ACK" },
		{ "", MG_ERR_INVALID, MG_SEND_RETRY, "malformed ACK" },
	};
	const char sent[] = "MSH|^~\\&|M||E||1||ORU^R01|ID-1|P|2.6\rPID|||X1^^^H||Roe^Richard\r";

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum mg_send_verdict v = MG_SEND_DELIVERED;
		char why[MG_OUTBOX_ERROR_MAX];
		int r = mg_mllp_ack_judge(cases[i].ack, strlen(cases[i].ack), "ID-1", sent,
					  sizeof(sent) - 1, &v, why, sizeof(why));

		if (r != cases[i].r || v != cases[i].v || strcmp(why, cases[i].why) != 0)
			fail_msg("case %zu: %d %d \"%s\"", i, r, (int)v, why);
	}
}

static void test_why_text(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" },
		{ "plain words", "plain words" },
		{ "  tabs\tand\r\nnew\x01lines  ", "tabs and new lines" },
		{ "MRN 1234567 unknown", "MRN *** unknown" },
		{ "code 123 fine", "code 123 fine" },
		{ "id A12B34 x", "id *** x" },
		{ "patient doe, JANE", "patient ***, ***" },	/* PID words, any case */
		{ "PID-3 bad", "PID-3 bad" },			/* the segment id is not one */
		{ "caf\xc3\xa9", "caf" },
		{ "0123456789012345678901234567890123456789012345678901234567890123456789"
		  "0123456789012345678901234567890123456789", "***" },
		{ "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m "
		  "n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w x y z",
		  "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m "
		  "n o p q r s t u v w x" },
	};
	const char sent[] = "MSH|^~\\&|M||E||1||ORU^R01|ID-1|P|2.6\rPID|||X1^^^HOSP||Doe^Jane\r"
			    "OBX|1|NM|unknown\r";

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[MG_OUTBOX_ERROR_MAX];

		mg_mllp_why_text(cases[i].in, sent, sizeof(sent) - 1, out, sizeof(out));
		if (strcmp(out, cases[i].out) != 0)
			fail_msg("case %zu: \"%s\"", i, out);
		assert_true(strlen(out) <= MG_MLLP_WHY_TEXT_MAX);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_judge),
		cmocka_unit_test(test_why_text),
		cmocka_unit_test(test_constructor_refusals),
		cmocka_unit_test(test_submit_refusals),
		cmocka_unit_test(test_free_in_flight),
		cmocka_unit_test(test_wake),
	};

	/* MG_TEST_DEBUG=1 shows the sender's connection log. */
	if (getenv("MG_TEST_DEBUG") != NULL)
		mg_log_open("test_mllp_sender_contract", NULL, MG_LOG_DEBUG);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
