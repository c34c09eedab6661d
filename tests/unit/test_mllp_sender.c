/* Unit tests of the MLLP sender (src/outbox/mllp_sender.c, tls_conn.c,
 * mllp_ack.c) against a small MLLP server in a thread on 127.0.0.1, plain
 * and TLS, with certificates made for the test by the device-CA helpers:
 * every verdict, parallel slots answered out of order, keep-alive and
 * reconnects, certificate checks, timeouts and wake(). */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "hl7/hl7.h"
#include "outbox/mllp_ack.h"
#include "outbox/sender.h"
#include "tls/ca.h"
#include "tls/profile.h"

#define PATIENT_ID	"PAT4711"
#define PATIENT_NAME	"Doe"

/* ---- fixture: CAs and certificates in a temp dir ---- */

struct fixture {
	char dir[64];
	char ca[128];			/* trusted by the sender */
	char server_cert[128], server_key[128];		/* from ca: localhost, 127.0.0.1, ::1 */
	char rogue_cert[128], rogue_key[128];		/* same names, another CA */
	char other_cert[128], other_key[128];		/* from ca, for emr.example only */
	char client_cert[128], client_key[128];		/* from ca, key 0600 */
	char open_cert[128], open_key[128];		/* from ca, key 0644 */
};

static struct fixture *fx;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void in_dir(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", fx->dir, name);
}

static int issue(const struct mg_ca *ca, const char *name, const char *ip, const char *cert,
		 const char *key)
{
	const char *ips[] = { ip, "::1" };

	return mg_ca_issue_server(ca, &name, 1, ips, ip != NULL ? 2 : 0, 2, cert, key);
}

static int group_setup(void **state)
{
	struct mg_ca *ca = NULL, *rogue = NULL;
	char key[128];
	int r = -1;

	(void)state;
	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/mg-test-mllp-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	in_dir(fx->ca, sizeof(fx->ca), "emr-ca.pem");
	in_dir(key, sizeof(key), "emr-ca.key");
	in_dir(fx->server_cert, sizeof(fx->server_cert), "server.pem");
	in_dir(fx->server_key, sizeof(fx->server_key), "server.key");
	in_dir(fx->rogue_cert, sizeof(fx->rogue_cert), "rogue.pem");
	in_dir(fx->rogue_key, sizeof(fx->rogue_key), "rogue.key");
	in_dir(fx->other_cert, sizeof(fx->other_cert), "other.pem");
	in_dir(fx->other_key, sizeof(fx->other_key), "other.key");
	in_dir(fx->client_cert, sizeof(fx->client_cert), "client.pem");
	in_dir(fx->client_key, sizeof(fx->client_key), "client.key");
	in_dir(fx->open_cert, sizeof(fx->open_cert), "open.pem");
	in_dir(fx->open_key, sizeof(fx->open_key), "open.key");
	if (mg_ca_create("test EMR CA", 2, &ca) == 0 && mg_ca_create("rogue CA", 2, &rogue) == 0 &&
	    mg_ca_save(ca, fx->ca, key) == 0 &&
	    issue(ca, "localhost", "127.0.0.1", fx->server_cert, fx->server_key) == 0 &&
	    issue(rogue, "localhost", "127.0.0.1", fx->rogue_cert, fx->rogue_key) == 0 &&
	    issue(ca, "emr.example", NULL, fx->other_cert, fx->other_key) == 0 &&
	    issue(ca, "gateway.example", NULL, fx->client_cert, fx->client_key) == 0 &&
	    issue(ca, "gateway.example", NULL, fx->open_cert, fx->open_key) == 0 &&
	    chmod(fx->open_key, 0644) == 0)
		r = 0;
	mg_ca_free(ca);
	mg_ca_free(rogue);
	return r;
}

static int group_teardown(void **state)
{
	(void)state;
	nftw(fx->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	fx = NULL;
	return 0;
}

/* ---- the test MLLP server ---- */

enum how {
	ANSWER_AA,
	ANSWER_CA,
	ANSWER_AE,
	ANSWER_AR,		/* with an ERR that repeats the patient's id and name */
	ANSWER_AR_BARE,		/* no ERR, no MSA-3 */
	ANSWER_GARBAGE,		/* framed, but not HL7 */
	ANSWER_BAD_FRAME,	/* not MLLP */
	ANSWER_WRONG_ID,
	ANSWER_NOTHING,		/* read, never answer */
	ANSWER_CLOSE,		/* read, close without a word */
	ANSWER_AA_CLOSE,	/* answer, then close */
	ANSWER_AA_TRAILING,	/* answer plus stray bytes */
	ANSWER_AA_JUNK_LATER,	/* answer; a little later, bytes nobody asked for */
};

struct server {
	int lfd, stop_fd;
	char port[8];
	bool tls, require_cert;
	const char *cert, *key;
	enum how script[4];	/* for the first messages; later ones get AA */
	size_t reverse;		/* > 0: that many connections, one message each, answers reversed */
	pthread_t thread;
	atomic_int accepted, messages, handshakes_failed;
};

struct peer {
	int fd;
	gnutls_session_t session;
};

static ssize_t peer_recv(struct peer *p, char *buf, size_t len)
{
	ssize_t n;

	if (p->session == NULL)
		return recv(p->fd, buf, len, 0);
	do
		n = gnutls_record_recv(p->session, buf, len);
	while (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED);
	return n;
}

static void peer_send(struct peer *p, const char *buf, size_t len)
{
	if (p->session != NULL)
		gnutls_record_send(p->session, buf, len);
	else
		(void)!send(p->fd, buf, len, MSG_NOSIGNAL);
}

static void peer_close(struct peer *p)
{
	if (p->session != NULL)
		gnutls_deinit(p->session);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->session = NULL;
}

static int peer_accept(struct server *srv, gnutls_certificate_credentials_t creds,
		       struct peer *p)
{
	struct timeval tv = { .tv_sec = 5 };
	int r;

	p->session = NULL;
	if ((p->fd = accept(srv->lfd, NULL, NULL)) < 0)
		return -1;
	atomic_fetch_add(&srv->accepted, 1);
	setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!srv->tls)
		return 0;
	gnutls_init(&p->session, GNUTLS_SERVER | GNUTLS_NO_SIGNAL);
	gnutls_priority_set_direct(p->session, mg_tls_priorities(NULL), NULL);
	gnutls_credentials_set(p->session, GNUTLS_CRD_CERTIFICATE, creds);
	if (srv->require_cert) {
		gnutls_certificate_server_set_request(p->session, GNUTLS_CERT_REQUIRE);
		gnutls_session_set_verify_cert(p->session, NULL, 0);
	}
	gnutls_transport_set_int(p->session, p->fd);
	do
		r = gnutls_handshake(p->session);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r < 0) {
		char buf[256];

		/* Say why, as a real server does, and let the client read it
		 * before closing (closing on unread bytes would reset). */
		atomic_fetch_add(&srv->handshakes_failed, 1);
		gnutls_alert_send_appropriate(p->session, r);
		shutdown(p->fd, SHUT_WR);
		while (recv(p->fd, buf, sizeof(buf), 0) > 0)
			;
		return -1;
	}
	return 0;
}

/* Read one framed message into buf; its MSH-10 into id. 0 or -1 (closed). */
static int read_message(struct peer *p, char *buf, size_t size, char *id, size_t idlen)
{
	size_t len = 0;
	const char *f;

	while (len < 2 || buf[len - 2] != 0x1c || buf[len - 1] != 0x0d) {
		ssize_t n = peer_recv(p, buf + len, size - 1 - len);

		if (n <= 0 || len + (size_t)n >= size - 1)
			return -1;
		len += (size_t)n;
	}
	buf[len] = '\0';
	/* MSH-10 is after the ninth field separator. */
	f = buf;
	for (int i = 0; i < 9 && f != NULL; i++)
		f = strchr(f + 1, '|');
	if (f == NULL)
		return -1;
	snprintf(id, idlen, "%.*s", (int)strcspn(f + 1, "|"), f + 1);
	return 0;
}

/* An ACK with extra segments, and tail bytes sent in the same write. */
static void send_ack(struct peer *p, const char *code, const char *id, const char *extra,
		     const char *tail)
{
	char ack[1024];
	int n = snprintf(ack, sizeof(ack),
			 "\x0bMSH|^~\\&|EMR|HOSP|MEDGATE||20240101120000||ACK^R01^ACK|A-%s|P|2.6\r"
			 "MSA|%s|%s\r%s\x1c\x0d%s", id, code, id, extra, tail);

	peer_send(p, ack, (size_t)n);
}

/* Answer as told; false when the connection is to be closed. */
static bool answer(struct peer *p, enum how how, const char *id)
{
	static const char err_patient[] =
		"ERR||PID^1^3|204^Unknown key identifier^HL70357|E||||Unknown patient " PATIENT_ID
		" (" PATIENT_NAME ", born 19700101)\r";
	char buf[256];

	switch (how) {
	case ANSWER_AA:
		send_ack(p, "AA", id, "", "");
		return true;
	case ANSWER_CA:
		send_ack(p, "CA", id, "", "");
		return true;
	case ANSWER_AE:
		send_ack(p, "AE", id, "ERR|||207^Application internal error^HL70357|E\r", "");
		return true;
	case ANSWER_AR:
		send_ack(p, "AR", id, err_patient, "");
		return true;
	case ANSWER_AR_BARE:
		send_ack(p, "AR", id, "", "");
		return true;
	case ANSWER_GARBAGE:
		peer_send(p, "\x0bhello, world\x1c\x0d", 16);
		return true;
	case ANSWER_BAD_FRAME:
		peer_send(p, "HTTP/1.1 400 Bad Request\r\n\r\n", 28);
		return true;
	case ANSWER_WRONG_ID:
		send_ack(p, "AA", "SOMEONE-ELSE", "", "");
		return true;
	case ANSWER_NOTHING:
		while (peer_recv(p, buf, sizeof(buf)) > 0)
			;
		return false;
	case ANSWER_CLOSE:
		return false;
	case ANSWER_AA_CLOSE:
		send_ack(p, "AA", id, "", "");
		return false;
	case ANSWER_AA_TRAILING:
		send_ack(p, "AA", id, "", "\x0b");
		return true;
	case ANSWER_AA_JUNK_LATER:
		send_ack(p, "AA", id, "", "");
		usleep(50 * 1000);
		peer_send(p, "junk", 4);
		return true;
	}
	return false;
}

static void serve(struct server *srv, struct peer *p)
{
	char buf[128 * 1024], id[64];

	while (read_message(p, buf, sizeof(buf), id, sizeof(id)) == 0) {
		int k = atomic_fetch_add(&srv->messages, 1);

		if (!answer(p, k < 4 ? srv->script[k] : ANSWER_AA, id))
			break;
	}
}

static void serve_reverse(struct server *srv, gnutls_certificate_credentials_t creds)
{
	struct peer peers[16];
	char buf[4096], ids[16][64];
	size_t n = 0;

	while (n < srv->reverse && peer_accept(srv, creds, &peers[n]) == 0 &&
	       read_message(&peers[n], buf, sizeof(buf), ids[n], sizeof(ids[n])) == 0) {
		atomic_fetch_add(&srv->messages, 1);
		n++;
	}
	for (size_t i = n; i-- > 0;) {
		send_ack(&peers[i], "AA", ids[i], "", "");
		usleep(20 * 1000);	/* let each answer arrive on its own */
	}
	for (size_t i = 0; i < n; i++)
		peer_close(&peers[i]);
}

static void *server_main(void *arg)
{
	struct server *srv = arg;
	gnutls_certificate_credentials_t creds = NULL;

	if (srv->tls) {
		gnutls_certificate_allocate_credentials(&creds);
		gnutls_certificate_set_x509_key_file(creds, srv->cert, srv->key,
						     GNUTLS_X509_FMT_PEM);
		gnutls_certificate_set_x509_trust_file(creds, fx->ca, GNUTLS_X509_FMT_PEM);
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = srv->lfd, .events = POLLIN },
				       { .fd = srv->stop_fd, .events = POLLIN } };
		struct peer peer;

		if (poll(p, 2, 20000) <= 0 || p[1].revents != 0)
			break;
		if (srv->reverse > 0) {
			serve_reverse(srv, creds);
			continue;
		}
		if (peer_accept(srv, creds, &peer) == 0)
			serve(srv, &peer);
		peer_close(&peer);
	}
	if (creds != NULL)
		gnutls_certificate_free_credentials(creds);
	return NULL;
}

/* Listen on an ephemeral port of address and serve in a thread. */
static struct server *server_start_at(const char *address, bool tls, enum how first)
{
	struct server *srv = calloc(1, sizeof(*srv));
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;

	assert_non_null(srv);
	if (inet_pton(AF_INET, address, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		len = sizeof(*in4);
	} else {
		assert_int_equal(inet_pton(AF_INET6, address, &in6->sin6_addr), 1);
		in6->sin6_family = AF_INET6;
		len = sizeof(*in6);
	}
	srv->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv->lfd < 0 || bind(srv->lfd, (struct sockaddr *)&ss, len) != 0) {
		if (srv->lfd >= 0)
			close(srv->lfd);
		free(srv);
		return NULL;
	}
	assert_int_equal(listen(srv->lfd, 16), 0);
	assert_int_equal(getsockname(srv->lfd, (struct sockaddr *)&ss, &len), 0);
	snprintf(srv->port, sizeof(srv->port), "%u",
		 ntohs(ss.ss_family == AF_INET ? in4->sin_port : in6->sin6_port));
	srv->stop_fd = eventfd(0, EFD_CLOEXEC);
	srv->tls = tls;
	srv->cert = fx->server_cert;
	srv->key = fx->server_key;
	srv->script[0] = first;
	return srv;
}

static void server_run(struct server *srv)
{
	assert_int_equal(pthread_create(&srv->thread, NULL, server_main, srv), 0);
}

static struct server *server_start(bool tls, enum how first)
{
	struct server *srv = server_start_at("127.0.0.1", tls, first);

	server_run(srv);
	return srv;
}

static void server_stop(struct server *srv)
{
	uint64_t one = 1;

	assert_int_equal(write(srv->stop_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	pthread_join(srv->thread, NULL);
	close(srv->lfd);
	close(srv->stop_fd);
	free(srv);
}

/* ---- the client side ---- */

struct outcome {
	size_t n;
	struct mg_send_result r[16];
};

static void on_done(void *arg, const struct mg_send_result *res)
{
	struct outcome *o = arg;

	assert_true(o->n < 16);
	o->r[o->n++] = *res;
}

/* Poll until n sends have finished in all, failing after max_ms. */
static void run_until(struct mg_sender *s, struct outcome *o, size_t n, int max_ms)
{
	int64_t end = mg_monotonic_ms() + max_ms;

	while (o->n < n) {
		assert_true(mg_monotonic_ms() < end);
		assert_int_equal(s->ops->poll(s, 100, on_done, o), 0);
	}
}

struct dest {
	struct mg_config cfg;
	struct mg_emr_config d;
};

static void dest_init(struct dest *dt, const char *host, const struct server *srv, bool tls)
{
	mg_config_defaults(&dt->cfg);
	snprintf(dt->cfg.dir, sizeof(dt->cfg.dir), "%s", fx->dir);
	memset(&dt->d, 0, sizeof(dt->d));
	snprintf(dt->d.name, sizeof(dt->d.name), "test");
	snprintf(dt->d.protocol, sizeof(dt->d.protocol), "hl7-mllp");
	snprintf(dt->d.address, sizeof(dt->d.address), "%s:%s", host, srv ? srv->port : "9");
	dt->d.enabled = true;
	dt->d.tls = tls;
	snprintf(dt->d.ca_cert, sizeof(dt->d.ca_cert), "emr-ca.pem");	/* relative: cfg dir */
	dt->d.connections = 1;
	dt->d.timeout = 5;
	dt->d.retry_max = 60;
}

static struct mg_sender *sender_new(struct dest *dt)
{
	struct mg_sender *s = NULL;
	char err[256];
	int r = mg_mllp_sender_new(&dt->cfg, &dt->d, &s, err, sizeof(err));

	if (r != 0)
		fail_msg("mg_mllp_sender_new: %s", err);
	return s;
}

/* A PCD-01-like message with a patient the EMR may not repeat. */
static size_t make_message(char *buf, size_t size, const char *id)
{
	int n = snprintf(buf, size,
			 "MSH|^~\\&|MEDGATE||EMR|HOSP|20240101120000+0000||ORU^R01^ORU_R01|%s|P|"
			 "2.6\rPID|||" PATIENT_ID "^^^HOSP^MR||" PATIENT_NAME "^Jane||19700101\r"
			 "OBR|1|||188736^MDC_MASS_BODY_ACTUAL^MDC\r"
			 "OBX|1|NM|188736^MDC_MASS_BODY_ACTUAL^MDC|1.0.1.1|72.5|"
			 "263875^MDC_DIM_KILO_G^MDC|||||R\r", id);

	assert_true(n > 0 && (size_t)n < size);
	return (size_t)n;
}

static void submit(struct mg_sender *s, int64_t item, const char *id)
{
	char msg[1024];
	size_t len = make_message(msg, sizeof(msg), id);

	assert_int_equal(s->ops->submit(s, item, msg, len, id, NULL), 0);
}

static void assert_why_clean(const char *why)
{
	assert_null(strstr(why, PATIENT_ID));
	assert_null(strstr(why, PATIENT_NAME));
	assert_null(strstr(why, "19700101"));
	assert_null(strchr(why, '\r'));
	assert_null(strchr(why, '\n'));
}

/* Send one message, expect (verdict, why); then one more, answered AA. */
static void expect_one(struct mg_sender *s, enum mg_send_verdict v, const char *why, int max_ms)
{
	struct outcome o = { 0 };

	submit(s, 41, "MSG-41");
	run_until(s, &o, 1, max_ms);
	assert_int_equal(o.r[0].item_id, 41);
	print_message("  why: %s\n", o.r[0].why);
	if (o.r[0].verdict != v || strstr(o.r[0].why, why) == NULL)
		fail_msg("verdict %d why \"%s\"; expected %d \"%s\"", (int)o.r[0].verdict,
			 o.r[0].why, (int)v, why);
	assert_why_clean(o.r[0].why);
}

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
		cmocka_unit_test(test_free_in_flight),
		cmocka_unit_test(test_wake),
	};

	/* MG_TEST_DEBUG=1 shows the sender's connection log. */
	if (getenv("MG_TEST_DEBUG") != NULL)
		mg_log_open("test_mllp_sender", NULL, MG_LOG_DEBUG);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
