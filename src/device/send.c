/* `send` and `flush`: queue measurements first, then deliver the queue.
 * SIGINT and SIGTERM are blocked while these run and polled instead, so a
 * stop request ends a transfer cleanly (the measurement stays queued) and
 * cannot get lost between checking and sleeping. */
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/backoff.h"
#include "common/err.h"
#include "common/timefmt.h"
#include "device/agent.h"
#include "device/device.h"
#include "device/measure.h"
#include "device/options.h"

#define DELIVERY_LOCK_WAIT_MS	5000
#define BACKOFF_MAX_MS		60000

/* What the queue's body builder needs. */
struct body_args {
	const struct mg_device_reading *reading;
	const char *prefix;
	char mid[MG_DEVICE_MID_MAX + 1];	/* out: the id it got */
};

static int build_body(uint64_t seq, void *arg, char **body, size_t *len)
{
	struct body_args *b = arg;
	int r;

	if ((r = mg_device_measurement_id(b->prefix, seq, b->mid, sizeof(b->mid))) != 0)
		return r;
	return mg_device_measurement_json(b->reading, b->mid, body, len);
}

static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

/* Non-zero once SIGINT or SIGTERM is waiting (they are blocked). */
static int stop_requested(void)
{
	sigset_t pending;

	if (sigpending(&pending) != 0)
		return 0;
	return sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1;
}

/* Sleep ms or until a stop signal; 1 if one came. */
static int sleep_or_stop(int64_t ms)
{
	struct timespec ts;
	sigset_t set;
	int r;

	if (stop_requested())
		return 1;
	if (ms <= 0)
		return 0;
	stop_signals(&set);
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	do {
		r = sigtimedwait(&set, NULL, &ts);
	} while (r < 0 && errno == EINTR);
	return r > 0;
}

static int enqueue_one(struct mg_device_agent *a, const struct mg_device_send_options *o,
		       struct mg_device_scale *scale, long long i)
{
	struct mg_device_reading reading;
	struct body_args b;
	uint64_t seq;
	int64_t step;
	int r;

	mg_device_scale_next(scale, &o->base, (size_t)i, &reading);
	if (o->time_ms != 0) {
		step = o->interval_ms > 0 ? o->interval_ms : MG_DEVICE_TIME_STEP_MS;
		reading.time_ms = o->time_ms + i * step;
	} else {
		reading.time_ms = mg_now_ms();
	}
	memset(&b, 0, sizeof(b));
	b.reading = &reading;
	b.prefix = a->state.id_prefix;
	r = mg_device_queue_add(&a->queue, mg_now_ms(), build_body, &b, &seq);
	if (r == 0)
		printf("queued %s\n", b.mid);
	else if (r == MG_ERR_LIMIT)
		fprintf(stderr, MG_DEVICE_PROGRAM ": queue full (%d measurements) or measurement "
			"too big; not measured\n", MG_DEVICE_QUEUE_MAX);
	else if (r == MG_ERR_INVALID)
		fprintf(stderr, MG_DEVICE_PROGRAM ": cannot encode the measurement (patient id "
			"must be UTF-8)\n");
	else
		fprintf(stderr, MG_DEVICE_PROGRAM ": cannot queue the measurement: %s\n",
			mg_strerror(r));
	fflush(stdout);
	return r;
}

/* One pass; prints why delivery has to wait. Adds rejections to *rejected. */
static int deliver_pass(struct mg_device_agent *a, size_t *rejected, size_t *left)
{
	struct mg_device_delivery res;
	int r;

	r = mg_device_agent_deliver(a, DELIVERY_LOCK_WAIT_MS, &res);
	*rejected += res.rejected;
	*left = res.left;
	if (r != 0)
		fprintf(stderr, MG_DEVICE_PROGRAM ": delivery failed: %s\n", res.reason);
	else if (res.left > 0)
		fprintf(stderr, MG_DEVICE_PROGRAM ": not delivered: %s; %zu queued\n",
			res.reason, res.left);
	return r;
}

static int exit_status(size_t left, size_t rejected)
{
	if (left > 0)
		return MG_DEVICE_EXIT_QUEUED;
	return rejected > 0 ? MG_DEVICE_EXIT_REJECTED : MG_DEVICE_EXIT_OK;
}

/* Without --interval: queue every measurement, deliver once, exit. */
static int send_once(struct mg_device_agent *a, const struct mg_device_send_options *o,
		     struct mg_device_scale *scale)
{
	size_t rejected = 0, left = 0;
	long long i;

	for (i = 0; i < o->count && !stop_requested(); i++)
		if (enqueue_one(a, o, scale, i) != 0)
			return MG_DEVICE_EXIT_ERROR;
	if (deliver_pass(a, &rejected, &left) != 0)
		return MG_DEVICE_EXIT_ERROR;
	return exit_status(left, rejected);
}

/* With --interval: measure every interval, deliver after each, back off
 * while the gateway cannot take them. Until --count or a stop signal. */
static int send_every(struct mg_device_agent *a, const struct mg_device_send_options *o,
		      struct mg_device_scale *scale)
{
	int64_t now, next_measure, next_deliver, backoff, failures = 0, wake;
	size_t rejected = 0, left = 0;
	long long made = 0;
	int stop = 0, r;

	next_measure = next_deliver = mg_monotonic_ms();
	while (!stop) {
		now = mg_monotonic_ms();
		if (now >= next_measure) {
			r = enqueue_one(a, o, scale, made);
			if (r != 0 && r != MG_ERR_LIMIT)
				return MG_DEVICE_EXIT_ERROR;
			made++;
			next_measure += o->interval_ms;
			if (next_measure < now)
				next_measure = now + o->interval_ms;
		}
		if (o->count >= 0 && made >= o->count) {
			/* Last measurement made: one more try, then exit. */
			if (deliver_pass(a, &rejected, &left) != 0)
				return MG_DEVICE_EXIT_ERROR;
			return exit_status(left, rejected);
		}
		if (now >= next_deliver) {
			if (deliver_pass(a, &rejected, &left) != 0)
				return MG_DEVICE_EXIT_ERROR;
			if (stop_requested())
				break;
			if (left > 0) {
				backoff = mg_backoff_ms(failures++, BACKOFF_MAX_MS);
				next_deliver = now + backoff;
				fprintf(stderr, MG_DEVICE_PROGRAM ": next try in %lld s\n",
					(long long)(backoff / 1000));
			} else {
				failures = 0;
				next_deliver = next_measure;
			}
		}
		wake = next_measure < next_deliver ? next_measure : next_deliver;
		stop = sleep_or_stop(wake - mg_monotonic_ms());
	}
	/* Stopped by a signal: what is queued stays for the next run. */
	if (o->count < 0)
		return MG_DEVICE_EXIT_OK;
	mg_device_queue_count(&a->queue, &left, NULL);
	return exit_status(left, rejected);
}

static int with_agent(const char *dir, int (*run)(struct mg_device_agent *, void *),
		      void *arg)
{
	struct mg_device_agent a;
	char err[512];
	sigset_t set;
	int status;

	stop_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (mg_device_agent_open(&a, dir, err, sizeof(err)) != 0 ||
	    mg_device_agent_connect(&a, stop_requested, err, sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": %s\n", err);
		status = MG_DEVICE_EXIT_ERROR;
	} else {
		status = run(&a, arg);
	}
	mg_device_agent_close(&a);
	fflush(stdout);
	return status;
}

static int run_send(struct mg_device_agent *a, void *arg)
{
	const struct mg_device_send_options *o = arg;
	struct mg_device_scale scale;
	uint64_t seed = 0;

	if (gnutls_rnd(GNUTLS_RND_NONCE, &seed, sizeof(seed)) < 0)
		seed = (uint64_t)mg_now_ms();
	mg_device_scale_init(&scale, seed);
	/* --firmware: what this device says it runs now. */
	if (o->firmware[0] != '\0' &&
	    mg_device_http_set_header(a->http, MG_DEVICE_FIRMWARE_HEADER, o->firmware) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": --firmware: cannot send it\n");
		return MG_DEVICE_EXIT_ERROR;
	}
	/* --model: what this device says it is now (a swapped device, in tests). */
	if (o->model[0] != '\0' &&
	    mg_device_http_set_header(a->http, MG_DEVICE_MODEL_HEADER, o->model) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": --model: cannot send it\n");
		return MG_DEVICE_EXIT_ERROR;
	}
	return o->interval_ms > 0 ? send_every(a, o, &scale) : send_once(a, o, &scale);
}

int mg_device_cmd_send(int argc, char **argv)
{
	struct mg_device_send_options *o;
	char err[256];
	int status;

	/* The options hold a whole reading: keep them off the stack. */
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return MG_DEVICE_EXIT_ERROR;
	if (mg_device_send_options_parse(argc, argv, o, err, sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM " send: %s\n", err);
		free(o);
		return MG_DEVICE_EXIT_USAGE;
	}
	status = with_agent(o->state_dir, run_send, o);
	free(o);
	return status;
}

static int run_flush(struct mg_device_agent *a, void *arg)
{
	size_t rejected = 0, left = 0;

	(void)arg;
	if (deliver_pass(a, &rejected, &left) != 0)
		return MG_DEVICE_EXIT_ERROR;
	return exit_status(left, rejected);
}

int mg_device_cmd_flush(int argc, char **argv)
{
	char dir[MG_PATH_MAX], err[256];

	if (mg_device_state_option_parse(argc, argv, dir, sizeof(dir), err, sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM " flush: %s\n", err);
		return MG_DEVICE_EXIT_USAGE;
	}
	return with_agent(dir, run_flush, NULL);
}
