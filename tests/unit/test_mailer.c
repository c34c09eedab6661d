/* The one mailer (notify/mailer.h): callers never wait, the queue is
 * bounded, refusals say why, and a stop does not wait for the queue. A
 * loopback socket that accepts and never answers stands in for a mail
 * server that hangs, so the thread is provably busy while the queue fills;
 * closing it lets the send fail. The real SMTP exchange is test_mail's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "notify/mailer.h"

static const char *const one[] = { "security@klinik.example" };

static void config_for(struct mg_config *cfg, unsigned port)
{
	mg_config_defaults(cfg);
	snprintf(cfg->smtp_url, sizeof(cfg->smtp_url), "smtp://127.0.0.1:%u", port);
	snprintf(cfg->smtp_from, sizeof(cfg->smtp_from), "medgate@klinik.example");
}

static int listen_loopback(unsigned *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void test_refusals(void **state)
{
	struct mg_mailer *m;
	struct mg_config cfg;

	(void)state;
	mg_config_defaults(&cfg);	/* no [smtp] url */
	assert_int_equal(mg_mailer_new(&cfg, &m), 0);
	assert_int_equal(mg_mailer_queue(m, "test", one, 1, "s", "b"), MG_ERR_CONFIG);
	assert_int_equal(mg_mailer_queue(m, "test", one, 0, "s", "b"), MG_ERR_INVALID);
	assert_int_equal(mg_mailer_queue(m, "test", one, 1, NULL, "b"), MG_ERR_INVALID);
	assert_int_equal(mg_mailer_queue(m, "test", one, MG_MAIL_RECIPIENTS_MAX + 1, "s", "b"),
			 MG_ERR_INVALID);
	mg_mailer_free(m);
	mg_mailer_free(NULL);
}

/* The thread takes the first message and hangs on the silent server; the
 * queue then takes exactly MG_MAILER_QUEUE_MAX more, and refuses the next
 * at once, counted. */
static void test_queue_bounded_and_never_blocks(void **state)
{
	struct mg_mailer_stats st;
	struct mg_mailer *m;
	struct mg_config cfg;
	struct pollfd p;
	unsigned port;
	int lfd, cfd;
	time_t t0;

	(void)state;
	lfd = listen_loopback(&port);
	config_for(&cfg, port);
	assert_int_equal(mg_mailer_new(&cfg, &m), 0);
	assert_int_equal(mg_mailer_queue(m, "test", one, 1, "first", "body"), 0);
	p = (struct pollfd){ .fd = lfd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 10000), 1);	/* the thread is connecting */
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	t0 = time(NULL);
	for (unsigned i = 0; i < MG_MAILER_QUEUE_MAX; i++)
		assert_int_equal(mg_mailer_queue(m, "test", one, 1, "more", "body"), 0);
	assert_int_equal(mg_mailer_queue(m, "test", one, 1, "one too many", "body"),
			 MG_ERR_BUSY);
	assert_true(time(NULL) - t0 <= 1);	/* queueing did not wait for the server */
	mg_mailer_stats(m, &st);
	assert_int_equal(st.queued, MG_MAILER_QUEUE_MAX + 1);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.sent, 0);
	/* The server goes away: the send in progress fails; the stop does not
	 * wait for the queue behind it. */
	close(cfd);
	close(lfd);
	mg_mailer_free(m);
}

/* Messages to a port where nothing listens fail fast and are counted. */
static void test_failures_counted(void **state)
{
	struct mg_mailer_stats st;
	struct mg_mailer *m;
	struct mg_config cfg;
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	unsigned port;
	int lfd;

	(void)state;
	lfd = listen_loopback(&port);
	close(lfd);	/* the port is closed now */
	config_for(&cfg, port);
	assert_int_equal(mg_mailer_new(&cfg, &m), 0);
	assert_int_equal(mg_mailer_queue(m, "test", one, 1, "a", "b"), 0);
	assert_int_equal(mg_mailer_queue(m, "test", one, 1, "c", "d"), 0);
	for (int i = 0; i < 500; i++) {
		mg_mailer_stats(m, &st);
		if (st.failed == 2)
			break;
		nanosleep(&tick, NULL);
	}
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.sent, 0);
	mg_mailer_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_queue_bounded_and_never_blocks),
		cmocka_unit_test(test_failures_counted),
	};
	int r;

	mg_log_open("test_mailer", NULL, MG_LOG_ERROR);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return r;
}
