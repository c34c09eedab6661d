/* The counters (common/metrics.c): no count lost when threads add at
 * once, histograms cumulative in the text, a destination's last error and
 * ACK, the error rate's minutes, NULL as "count nothing". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"
#include "common/timefmt.h"

#define THREADS 4
#define ADDS    20000

static void *adder(void *arg)
{
	struct mg_metrics *m = arg;

	for (int i = 0; i < ADDS; i++) {
		mg_metrics_received(m, MG_SOURCE_MLLP, MG_RESULT_STORED);
		mg_metrics_ack_latency(m, 0.003);
		mg_metrics_connection(m, MG_IFACE_DEVICE, true);
		mg_metrics_connection(m, MG_IFACE_DEVICE, false);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	struct mg_metrics *m;
	pthread_t t[THREADS];

	(void)state;
	assert_int_equal(mg_metrics_new(&m), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, adder, m), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(mg_metrics_received_count(m, MG_SOURCE_MLLP, MG_RESULT_STORED),
			 THREADS * ADDS);
	assert_int_equal(mg_metrics_connections_open(m, MG_IFACE_DEVICE), 0);
	assert_int_equal(mg_metrics_connections_total(m, MG_IFACE_DEVICE), THREADS * ADDS);
	mg_metrics_free(m);
}

static void test_text(void **state)
{
	struct mg_metrics *m;
	struct mg_config cfg;
	struct mg_textbuf t;
	static char buf[64 * 1024];
	size_t len;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.nemr = 1;
	snprintf(cfg.emr[0].name, sizeof(cfg.emr[0].name), "ehr");
	assert_int_equal(mg_metrics_new(&m), 0);
	mg_metrics_ack_latency(m, 0.0005); /* first bucket */
	mg_metrics_ack_latency(m, 0.3);    /* le 0.5 */
	mg_metrics_ack_latency(m, 60);     /* +Inf only */
	mg_metrics_batch(m, 3);
	mg_metrics_refused(m, MG_IFACE_DEVICE, MG_REFUSAL_DEVICE_REVOKED);
	mg_metrics_delivery(m, 0, MG_DELIVERY_RETRY, mg_now_ms(), "certificate not trusted", true);
	mg_textbuf_init(&t, buf, sizeof(buf));
	mg_metrics_write(m, &cfg, &t);
	assert_int_equal(mg_textbuf_finish(&t, &len), 0);
	assert_non_null(strstr(buf, "medgate_ack_latency_seconds_bucket{le=\"0.001\"} 1\n"));
	assert_non_null(strstr(buf, "medgate_ack_latency_seconds_bucket{le=\"0.25\"} 1\n"));
	assert_non_null(strstr(buf, "medgate_ack_latency_seconds_bucket{le=\"0.5\"} 2\n"));
	assert_non_null(strstr(buf, "medgate_ack_latency_seconds_bucket{le=\"10\"} 2\n"));
	assert_non_null(strstr(buf, "medgate_ack_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(buf, "medgate_ack_latency_seconds_count 3\n"));
	assert_non_null(strstr(buf, "medgate_group_commit_batch_size_bucket{le=\"2\"} 0\n"));
	assert_non_null(strstr(buf, "medgate_group_commit_batch_size_bucket{le=\"4\"} 1\n"));
	assert_non_null(strstr(buf, "medgate_refusals_total{interface=\"device\","
				    "reason=\"device_revoked\"} 1\n"));
	assert_non_null(strstr(buf, "medgate_emr_messages_total{destination=\"ehr\","
				    "verdict=\"retry\"} 1\n"));
	mg_metrics_free(m);
}

static void test_destination_and_rate(void **state)
{
	struct mg_metrics *m;
	struct mg_metrics_emr e;
	int64_t now = mg_now_ms();
	uint64_t minute, ten;

	(void)state;
	assert_int_equal(mg_metrics_new(&m), 0);
	mg_metrics_delivery(m, 2, MG_DELIVERY_RETRY, now, "certificate not trusted", true);
	mg_metrics_emr_read(m, 2, &e);
	assert_string_equal(e.last_error, "certificate not trusted");
	assert_true(e.last_error_permanent);
	assert_int_equal(e.last_ack_ms, 0);
	mg_metrics_delivery(m, 2, MG_DELIVERY_DELIVERED, now + 5, NULL, false);
	mg_metrics_emr_read(m, 2, &e);
	assert_int_equal(e.last_ack_ms, now + 5);
	assert_int_equal(e.delivered, 1);
	assert_int_equal(e.retried, 1);
	mg_metrics_delivery(m, MG_EMR_MAX, MG_DELIVERY_RETRY, now, "out of range", false);
	mg_metrics_received(m, MG_SOURCE_DEVICE_HTTPS, MG_RESULT_INVALID);
	mg_metrics_error_rate(m, now, &minute, &ten);
	assert_int_equal(minute, 2); /* the retry and the invalid measurement */
	assert_int_equal(ten, 2);
	mg_metrics_error_rate(m, now + 20 * 60000, &minute, &ten);
	assert_int_equal(minute, 0);
	assert_int_equal(ten, 0);
	mg_metrics_free(m);
	/* NULL counts nothing and reads zero. */
	mg_metrics_received(NULL, MG_SOURCE_MLLP, MG_RESULT_STORED);
	mg_metrics_emr_read(NULL, 0, &e);
	assert_int_equal(e.delivered, 0);
	assert_int_equal(mg_metrics_received_count(NULL, MG_SOURCE_MLLP, MG_RESULT_STORED), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_concurrent),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_destination_and_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
