/* Unit tests of the MLLP sender (src/outbox/mllp_sender.c, tls_conn.c,
 * mllp_ack.c) against a small MLLP server in a thread on 127.0.0.1, plain
 * and TLS, with certificates made for the test by the device-CA helpers:
 * every verdict, parallel slots answered out of order, keep-alive and
 * reconnects, IPv6, certificate checks. Construction, wake() and the pure
 * parts are in test_mllp_sender_contract.c. */
#include "mllp_sender_fixture.h"

/* ---- every answer an EMR can give ---- */

static const struct verdict_case {
	enum how how;
	unsigned timeout;
	enum mg_send_verdict verdict;
	const char *why;
	int connections;	/* the server saw, after one more message */
} verdict_cases[] = {
	{ ANSWER_AA, 5, MG_SEND_DELIVERED, "accepted (AA)", 1 },
	{ ANSWER_CA, 5, MG_SEND_DELIVERED, "accepted (CA)", 1 },
	{ ANSWER_AE, 5, MG_SEND_RETRY, "error at the EMR (AE): 207 Application internal error", 1 },
	{ ANSWER_AR, 5, MG_SEND_REJECTED,
	  "rejected by the EMR: 204 Unknown patient *** (***, born ***)", 1 },
	{ ANSWER_AR_BARE, 5, MG_SEND_REJECTED, "rejected by the EMR (AR)", 1 },
	{ ANSWER_GARBAGE, 5, MG_SEND_RETRY, "malformed ACK", 2 },
	{ ANSWER_BAD_FRAME, 5, MG_SEND_RETRY, "malformed ACK (bad MLLP framing)", 2 },
	{ ANSWER_WRONG_ID, 5, MG_SEND_RETRY, "ACK for another message", 2 },
	{ ANSWER_NOTHING, 1, MG_SEND_RETRY, "no ACK within 1 s", 2 },
	{ ANSWER_CLOSE, 5, MG_SEND_RETRY, "connection closed by the peer", 2 },
	{ ANSWER_AA_CLOSE, 5, MG_SEND_DELIVERED, "accepted (AA)", 2 },
	{ ANSWER_AA_TRAILING, 5, MG_SEND_DELIVERED, "accepted (AA)", 2 },
};

static void verdicts(bool tls)
{
	for (size_t i = 0; i < sizeof(verdict_cases) / sizeof(verdict_cases[0]); i++) {
		const struct verdict_case *c = &verdict_cases[i];
		struct server *srv = server_start(tls, c->how);
		struct outcome o = { 0 };
		struct mg_sender *s;
		struct dest dt;
		int64_t start = mg_monotonic_ms();

		print_message("case %zu%s\n", i, tls ? " (TLS)" : "");
		dest_init(&dt, "127.0.0.1", srv, tls);
		dt.d.timeout = c->timeout;
		s = sender_new(&dt);
		expect_one(s, c->verdict, c->why, 5000);
		if (c->how == ANSWER_NOTHING)
			assert_true(mg_monotonic_ms() - start >= 900);
		/* Whatever happened, the next message goes through: on the
		 * same connection after a clean answer, on a new one else. */
		submit(s, 42, "MSG-42");
		run_until(s, &o, 1, 5000);
		assert_int_equal(o.r[0].item_id, 42);
		assert_int_equal(o.r[0].verdict, MG_SEND_DELIVERED);
		assert_int_equal(atomic_load(&srv->accepted), c->connections);
		s->ops->free(s);
		server_stop(srv);
	}
}

static void test_verdicts_plain(void **state)
{
	(void)state;
	verdicts(false);
}

static void test_verdicts_tls(void **state)
{
	(void)state;
	verdicts(true);
}

static void test_connection_refused(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct server fake = { 0 };
	struct mg_sender *s;
	struct dest dt;
	int fd;

	(void)state;
	/* A port nobody listens on: bound, never listening. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(fake.port, sizeof(fake.port), "%u", ntohs(sin.sin_port));
	dest_init(&dt, "127.0.0.1", &fake, false);
	s = sender_new(&dt);
	expect_one(s, MG_SEND_RETRY, "connection refused", 3000);
	assert_int_equal(s->ops->free_slots(s), 1);
	s->ops->free(s);
	close(fd);
}

static void test_unresolvable(void **state)
{
	struct mg_sender *s;
	struct dest dt;

	(void)state;
	dest_init(&dt, "no-such-host.invalid", NULL, false);
	s = sender_new(&dt);
	expect_one(s, MG_SEND_RETRY, "cannot resolve no-such-host.invalid", 5000);
	s->ops->free(s);
}

/* Four slots, four messages; the server answers them in reverse order. */
static void test_parallel_reverse(void **state)
{
	static const char *const ids[] = { "P-1", "P-2", "P-3", "P-4" };
	struct server *srv = server_start_at("127.0.0.1", true, ANSWER_AA);
	struct outcome o = { 0 };
	struct mg_sender *s;
	struct dest dt;
	bool seen[4] = { false };

	(void)state;
	srv->reverse = 4;
	server_run(srv);
	dest_init(&dt, "127.0.0.1", srv, true);
	dt.d.connections = 4;
	s = sender_new(&dt);
	assert_int_equal(s->ops->free_slots(s), 4);
	for (int i = 0; i < 4; i++)
		submit(s, 100 + i, ids[i]);
	assert_int_equal(s->ops->free_slots(s), 0);
	assert_int_equal(s->ops->submit(s, 5, "MSH|", 4, "X", NULL), MG_ERR_BUSY);
	run_until(s, &o, 4, 5000);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(o.r[i].verdict, MG_SEND_DELIVERED);
		assert_true(o.r[i].item_id >= 100 && o.r[i].item_id < 104);
		assert_false(seen[o.r[i].item_id - 100]);
		seen[o.r[i].item_id - 100] = true;
	}
	/* The first answer came for the last message sent. */
	assert_int_equal(o.r[0].item_id, 103);
	assert_int_equal(atomic_load(&srv->accepted), 4);
	s->ops->free(s);
	server_stop(srv);
}

/* Keep-alive: one connection for many messages; a new one when the EMR
 * closed the old, whether we noticed while idle or only when sending, or
 * when it sent something between messages. */
static void keepalive(bool tls)
{
	struct server *srv = server_start_at("127.0.0.1", tls, ANSWER_AA_CLOSE);
	struct outcome o = { 0 };
	struct mg_sender *s;
	struct dest dt;

	srv->script[1] = ANSWER_AA_CLOSE;
	srv->script[2] = ANSWER_AA_JUNK_LATER;
	server_run(srv);
	dest_init(&dt, "127.0.0.1", srv, tls);
	s = sender_new(&dt);
	submit(s, 1, "K-1");	/* answered, then the server closes */
	run_until(s, &o, 1, 5000);
	submit(s, 2, "K-2");	/* at once: the close is likely not seen yet */
	run_until(s, &o, 2, 5000);
	/* Answered and closed again: this time the sender sees it idle. */
	assert_int_equal(s->ops->poll(s, 200, on_done, &o), 0);
	submit(s, 3, "K-3");	/* answered; junk follows while idle */
	run_until(s, &o, 3, 5000);
	assert_int_equal(s->ops->poll(s, 200, on_done, &o), 0);
	for (int i = 4; i <= 6; i++) {
		char id[16];

		snprintf(id, sizeof(id), "K-%d", i);
		submit(s, i, id);
		run_until(s, &o, (size_t)i, 5000);
	}
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(o.r[i].item_id, (int64_t)i + 1);
		assert_int_equal(o.r[i].verdict, MG_SEND_DELIVERED);
	}
	assert_int_equal(atomic_load(&srv->accepted), 4);
	assert_int_equal(atomic_load(&srv->messages), 6);
	s->ops->free(s);
	server_stop(srv);
}

static void test_keepalive_plain(void **state)
{
	(void)state;
	keepalive(false);
}

static void test_keepalive_tls(void **state)
{
	(void)state;
	keepalive(true);
}

/* A message larger than a TLS record and the socket buffers take at once. */
static void test_large_message(void **state)
{
	struct server *srv = server_start(true, ANSWER_AA);
	size_t len = 60 * 1024;
	char *msg = malloc(len);
	struct outcome o = { 0 };
	struct mg_sender *s;
	struct dest dt;

	(void)state;
	assert_non_null(msg);
	make_message(msg, len, "BIG-1");
	for (size_t i = strlen(msg); i < len - 1; i++)
		msg[i] = i % 80 == 79 ? '\r' : 'x';
	msg[len - 1] = '\r';
	dest_init(&dt, "localhost", srv, true);	/* a name: SNI and DNS SAN */
	s = sender_new(&dt);
	assert_int_equal(s->ops->submit(s, 7, msg, len, "BIG-1", NULL), 0);
	run_until(s, &o, 1, 5000);
	assert_int_equal(o.r[0].verdict, MG_SEND_DELIVERED);
	s->ops->free(s);
	server_stop(srv);
	free(msg);
}

static void test_ipv6(void **state)
{
	struct server *srv = server_start_at("::1", true, ANSWER_AA);
	struct mg_sender *s;
	struct dest dt;

	(void)state;
	if (srv == NULL)
		skip();		/* no IPv6 loopback here */
	server_run(srv);
	dest_init(&dt, "[::1]", srv, true);	/* certificate has IP SAN ::1 */
	s = sender_new(&dt);
	expect_one(s, MG_SEND_DELIVERED, "accepted", 5000);
	s->ops->free(s);
	server_stop(srv);
}

/* ---- certificates ---- */

static void tls_refused(const char *cert, const char *key, const char *host, const char *why)
{
	struct server *srv = server_start_at("127.0.0.1", true, ANSWER_AA);
	struct mg_sender *s;
	struct dest dt;

	srv->cert = cert;
	srv->key = key;
	server_run(srv);
	dest_init(&dt, host, srv, true);
	s = sender_new(&dt);
	expect_one(s, MG_SEND_RETRY, why, 5000);
	assert_int_equal(atomic_load(&srv->messages), 0);
	s->ops->free(s);
	server_stop(srv);
}

static void test_tls_untrusted(void **state)
{
	(void)state;
	tls_refused(fx->rogue_cert, fx->rogue_key, "127.0.0.1",
		    "certificate not trusted: issuer not among the trusted CAs");
}

static void test_tls_wrong_name(void **state)
{
	(void)state;
	/* Trusted CA, but issued for emr.example: neither 127.0.0.1 nor
	 * localhost may use it. */
	tls_refused(fx->other_cert, fx->other_key, "127.0.0.1",
		    "certificate not trusted: not issued for 127.0.0.1");
	tls_refused(fx->other_cert, fx->other_key, "localhost",
		    "certificate not trusted: not issued for localhost");
}

static void test_tls_client_certificate(void **state)
{
	struct server *srv = server_start_at("127.0.0.1", true, ANSWER_AA);
	struct mg_sender *s;
	struct dest dt;

	(void)state;
	srv->require_cert = true;
	server_run(srv);
	dest_init(&dt, "127.0.0.1", srv, true);
	s = sender_new(&dt);	/* no client certificate: the server says no */
	expect_one(s, MG_SEND_RETRY, "alert", 5000);
	s->ops->free(s);
	snprintf(dt.d.client_cert, sizeof(dt.d.client_cert), "client.pem");
	/* A relative and an absolute path. */
	snprintf(dt.d.client_key, sizeof(dt.d.client_key), "%s", fx->client_key);
	s = sender_new(&dt);
	expect_one(s, MG_SEND_DELIVERED, "accepted", 5000);
	s->ops->free(s);
	server_stop(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts_plain),
		cmocka_unit_test(test_verdicts_tls),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_unresolvable),
		cmocka_unit_test(test_parallel_reverse),
		cmocka_unit_test(test_keepalive_plain),
		cmocka_unit_test(test_keepalive_tls),
		cmocka_unit_test(test_large_message),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_tls_untrusted),
		cmocka_unit_test(test_tls_wrong_name),
		cmocka_unit_test(test_tls_client_certificate),
	};

	/* MG_TEST_DEBUG=1 shows the sender's connection log. */
	if (getenv("MG_TEST_DEBUG") != NULL)
		mg_log_open("test_mllp_sender", NULL, MG_LOG_DEBUG);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
