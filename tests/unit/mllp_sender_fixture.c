/* The MLLP sender suites' shared fixture, test server and client helpers;
 * see mllp_sender_fixture.h. */
#include "mllp_sender_fixture.h"

struct fixture *fx;

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

int group_setup(void **state)
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

int group_teardown(void **state)
{
	(void)state;
	nftw(fx->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	fx = NULL;
	return 0;
}

/* ---- the test MLLP server ---- */

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
struct server *server_start_at(const char *address, bool tls, enum how first)
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

void server_run(struct server *srv)
{
	assert_int_equal(pthread_create(&srv->thread, NULL, server_main, srv), 0);
}

struct server *server_start(bool tls, enum how first)
{
	struct server *srv = server_start_at("127.0.0.1", tls, first);

	server_run(srv);
	return srv;
}

void server_stop(struct server *srv)
{
	uint64_t one = 1;

	assert_int_equal(write(srv->stop_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	pthread_join(srv->thread, NULL);
	close(srv->lfd);
	close(srv->stop_fd);
	free(srv);
}

/* ---- the client side ---- */

void on_done(void *arg, const struct mg_send_result *res)
{
	struct outcome *o = arg;

	assert_true(o->n < 16);
	o->r[o->n++] = *res;
}

/* Poll until n sends have finished in all, failing after max_ms. */
void run_until(struct mg_sender *s, struct outcome *o, size_t n, int max_ms)
{
	int64_t end = mg_monotonic_ms() + max_ms;

	while (o->n < n) {
		assert_true(mg_monotonic_ms() < end);
		assert_int_equal(s->ops->poll(s, 100, on_done, o), 0);
	}
}

void dest_init(struct dest *dt, const char *host, const struct server *srv, bool tls)
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

struct mg_sender *sender_new(struct dest *dt)
{
	struct mg_sender *s = NULL;
	char err[256];
	int r = mg_mllp_sender_new(&dt->cfg, &dt->d, &s, err, sizeof(err));

	if (r != 0)
		fail_msg("mg_mllp_sender_new: %s", err);
	return s;
}

/* A PCD-01-like message with a patient the EMR may not repeat. */
size_t make_message(char *buf, size_t size, const char *id)
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

void submit(struct mg_sender *s, int64_t item, const char *id)
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
void expect_one(struct mg_sender *s, enum mg_send_verdict v, const char *why, int max_ms)
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
