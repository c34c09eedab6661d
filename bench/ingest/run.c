/* bench-ingest's run: workers started and stopped, the measured window,
 * CPU samples, and the report with its RESULT line. */
#include "bench.h"

static const char *const err_names[ERR_KINDS] = {
	"connect", "handshake", "send", "recv", "eof", "http", "status",
};

void bench_setup(struct bench *b)
{
	size_t total = (size_t)(b->o.idle > 0 ? b->o.idle : b->o.connections);
	size_t threads = (size_t)b->o.threads;
	struct timespec ts;
	int n;

	if (threads > total)
		threads = total;
	b->o.threads = (long)threads;
	b->o.connections = (long)total;
	b->conns = calloc(total, sizeof(*b->conns));
	b->workers = calloc(threads, sizeof(*b->workers));
	if (b->conns == NULL || b->workers == NULL)
		die("out of memory", NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	/* Ids stay unique across runs against the same gateway instance. */
	n = snprintf(b->run_id, sizeof(b->run_id), "%08lx",
		     (unsigned long)((ts.tv_sec ^ ((long)getpid() << 16) ^ ts.tv_nsec) & 0xffffffffL));
	if (n < 0 || (size_t)n >= sizeof(b->run_id))
		die("run id", NULL);
	if (b->o.rate > 0)
		b->period_ns = (int64_t)((double)NS_PER_S / b->o.rate);
	for (size_t t = 0; t < threads; t++) {
		struct worker *w = &b->workers[t];
		size_t lo = t * total / threads, hi = (t + 1) * total / threads;

		w->b = b;
		w->conns = b->conns + lo;
		w->nconns = hi - lo;
		w->next_wake_ns = INT64_MAX;
		if ((w->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
			die("epoll_create1", strerror(errno));
		for (size_t i = lo; i < hi; i++)
			b->conns[i] = (struct conn){ .w = w, .index = (unsigned)i, .fd = -1 };
	}
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* User plus system CPU seconds of the --server-pid processes, read from
 * /proc/PID/stat (fields 14 and 15, counted after the ')' that ends the
 * command name). A process that is gone counts as 0. */
static double server_cpu_seconds(const struct options *o)
{
	static long hz;
	double total = 0.0;

	if (hz == 0 && (hz = sysconf(_SC_CLK_TCK)) <= 0)
		hz = 100;
	for (size_t i = 0; i < o->nserver_pids; i++) {
		char path[64], line[1024], *p;
		unsigned long long utime, stime;
		FILE *f;

		if (snprintf(path, sizeof(path), "/proc/%ld/stat", o->server_pid[i]) >=
		    (int)sizeof(path) || (f = fopen(path, "r")) == NULL)
			continue;
		p = fgets(line, sizeof(line), f);
		fclose(f);
		if (p == NULL || (p = strrchr(line, ')')) == NULL)
			continue;
		if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			   &utime, &stime) == 2)
			total += (double)(utime + stime) / (double)hz;
	}
	return total;
}

/* CPU seconds the whole machine has been busy (all cores), from the
 * first line of /proc/stat: everything but idle and iowait. With the
 * client's and the server's own time it shows what other processes took
 * from the run. */
static double machine_busy_seconds(void)
{
	unsigned long long v[8] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (f == NULL)
		return 0.0;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8 || hz <= 0)
		return 0.0;
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)hz;
}

/* Sleeps until t (monotonic), or until a signal asks to stop. */
static bool sleep_until(int64_t t)
{
	struct timespec ts = { .tv_sec = t / NS_PER_S, .tv_nsec = t % NS_PER_S };

	while (!interrupted) {
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == 0)
			return true;
	}
	return false;
}

/* Workers start with SIGINT and SIGTERM blocked, so a signal always
 * interrupts the main thread's sleep and the run ends promptly. */
static void threads_start(struct bench *b)
{
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (long t = 0; t < b->o.threads; t++)
		if (pthread_create(&b->workers[t].thread, NULL, worker_run, &b->workers[t]) != 0)
			die("pthread_create", NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static size_t established_count(const struct bench *b)
{
	size_t n = 0;

	for (long t = 0; t < b->o.threads; t++)
		n += atomic_load(&b->workers[t].established);
	return n;
}

/* Keep-alive runs measure a steady state: the window (closed until now)
 * opens once every connection has finished its first handshake, --warmup
 * being the least warm-up. Otherwise 1,000 handshakes still in progress
 * would be measured as latency. A server that stops accepting (or is
 * down) ends the wait after ESTABLISH_STALL_S without progress. */
static void window_open_when_established(struct bench *b)
{
	size_t want = (size_t)b->o.connections, have, had = 0;
	int64_t t0 = now_ns(), give_up = t0 + ESTABLISH_MAX_S * NS_PER_S;
	int64_t progress = t0, start;

	while ((have = established_count(b)) < want && !interrupted) {
		int64_t now = now_ns();

		if (have > had) {
			had = have;
			progress = now;
		}
		if (now >= give_up || now - progress >= ESTABLISH_STALL_S * NS_PER_S)
			break;
		sleep_until(now + 20 * 1000 * 1000LL);
	}
	start = now_ns();
	atomic_store(&b->end_ns, start + b->o.duration * NS_PER_S);
	atomic_store(&b->warm_end_ns, start);
	if (start - t0 > 50 * 1000 * 1000LL) {
		printf("warm-up:      extended by %.1f s until %zu of %zu connections were up\n",
		       (double)(start - t0) / 1e9, have, want);
		fflush(stdout);
	}
}

static void threads_stop(struct bench *b)
{
	atomic_store(&b->stop, true);
	for (long t = 0; t < b->o.threads; t++)
		pthread_join(b->workers[t].thread, NULL);
}

struct totals {
	uint64_t ok, conns_done, closed_by_server, errors;
	uint64_t err[ERR_KINDS];
	uint64_t status_count[600];
	const char *first_error[ERR_KINDS];
	size_t established, failed;
	struct hist latency, handshake;
};

static void totals_sum(const struct bench *b, struct totals *s)
{
	memset(s, 0, sizeof(*s));
	for (long t = 0; t < b->o.threads; t++) {
		const struct worker *w = &b->workers[t];

		s->ok += w->ok;
		s->conns_done += w->conns_done;
		s->closed_by_server += w->closed_by_server;
		s->established += atomic_load(&w->established);
		s->failed += atomic_load(&w->failed);
		for (int k = 0; k < ERR_KINDS; k++) {
			s->err[k] += w->errors[k];
			s->errors += w->errors[k];
			if (s->first_error[k] == NULL && w->first_error[k][0] != '\0')
				s->first_error[k] = w->first_error[k];
		}
		for (int i = 0; i < 600; i++)
			s->status_count[i] += w->status_count[i];
		hist_merge(&s->latency, &w->latency);
		hist_merge(&s->handshake, &w->handshake);
	}
}

static void errors_print(const struct totals *s)
{
	if (s->errors == 0) {
		printf("errors:       none\n");
		return;
	}
	printf("errors:       %" PRIu64 " (whole run, warm-up included)\n", s->errors);
	for (int k = 0; k < ERR_KINDS; k++)
		if (s->err[k] > 0)
			printf("  %-10s %" PRIu64 "%s%s\n", err_names[k], s->err[k],
			       s->first_error[k] ? "  first: " : "",
			       s->first_error[k] ? s->first_error[k] : "");
	for (int i = 0; i < 600; i++)
		if (s->status_count[i] > 0 && (i < 200 || i >= 300))
			printf("  HTTP %03d   %" PRIu64 "\n", i, s->status_count[i]);
}

/* Which 2xx the server gave, over the whole run: a gateway answering 200
 * (duplicate) instead of 201 (stored) would show here. */
static void statuses_print(const struct totals *s)
{
	bool any = false;

	printf("2xx answers:  ");
	for (int i = 200; i < 300; i++) {
		if (s->status_count[i] > 0) {
			printf("%d x %" PRIu64 "  ", i, s->status_count[i]);
			any = true;
		}
	}
	printf("%s\n", any ? "(whole run)" : "none");
}

struct cpu_use {
	double client, server, machine;	/* cores over the window */
};

static void report_load(const struct bench *b, const struct totals *s,
			double secs, const struct cpu_use *u)
{
	double other = u->machine - u->client - u->server;
	const struct options *o = &b->o;
	double rps = secs > 0 ? (double)s->ok / secs : 0.0;
	double cps = secs > 0 ? (double)s->conns_done / secs : 0.0;

	printf("tls:          %s\n", b->tls_desc[0] ? b->tls_desc : "(no handshake completed)");
	printf("requests:     %" PRIu64 " ok in %.2f s = %.1f req/s\n", s->ok, secs, rps);
	printf("latency ms:   p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
	       hist_ms(&s->latency, 0.50), hist_ms(&s->latency, 0.90),
	       hist_ms(&s->latency, 0.99), (double)s->latency.max / 1e6);
	if (o->newconn) {
		printf("connections:  %.1f /s (full handshake each, no resumption)\n", cps);
		printf("handshake ms: p50 %.3f  p99 %.3f (connect to handshake done)\n",
		       hist_ms(&s->handshake, 0.50), hist_ms(&s->handshake, 0.99));
	}
	statuses_print(s);
	if (s->closed_by_server > 0)
		printf("idle closes:  %" PRIu64 " connections closed by the server between requests\n",
		       s->closed_by_server);
	errors_print(s);
	printf("client cpu:   %.2f cores over the measured window (%ld thread%s)\n",
	       u->client, o->threads, o->threads > 1 ? "s" : "");
	if (o->nserver_pids > 0) {
		printf("server cpu:   %.2f cores = %.1f us per successful request\n",
		       u->server, s->ok ? u->server * secs * 1e6 / (double)s->ok : 0.0);
		printf("other cpu:    %.2f cores used by other processes meanwhile%s\n",
		       other > 0 ? other : 0.0,
		       other > 0.2 ? " (the figures are depressed)" : "");
	}
	printf("RESULT name=%s mode=%s conns=%ld threads=%ld rate=%g rps=%.1f cps=%.1f "
	       "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%" PRIu64
	       " client_cpu=%.2f server_cpu=%.2f server_us_per_req=%.1f other_cpu=%.2f\n",
	       o->name, o->newconn ? "newconn" : "keepalive", o->connections, o->threads,
	       o->rate, rps, o->newconn ? cps : 0.0, hist_ms(&s->latency, 0.50),
	       hist_ms(&s->latency, 0.90), hist_ms(&s->latency, 0.99),
	       (double)s->latency.max / 1e6, s->errors, u->client,
	       o->nserver_pids ? u->server : 0.0,
	       o->nserver_pids && s->ok ? u->server * secs * 1e6 / (double)s->ok : 0.0,
	       o->nserver_pids && other > 0 ? other : 0.0);
}

/* Sums the workers' counts and prints them for a window of secs seconds
 * during which the CPU clocks moved from u0 to u1 (seconds, not cores).
 * Returns the exit status: 0 if any request succeeded in the window. */
static int load_report(struct bench *b, double secs, const struct cpu_use *u0,
		       const struct cpu_use *u1)
{
	struct cpu_use u = { 0.0, 0.0, 0.0 };
	struct totals *s;
	int status;

	if ((s = malloc(sizeof(*s))) == NULL)
		die("out of memory", NULL);
	totals_sum(b, s);
	if (secs > 0)
		u = (struct cpu_use){ (u1->client - u0->client) / secs,
			(u1->server - u0->server) / secs, (u1->machine - u0->machine) / secs };
	report_load(b, s, secs, &u);
	status = s->ok > 0 ? 0 : 1;
	free(s);
	return status;
}

static void cpu_sample(const struct bench *b, struct cpu_use *u)
{
	u->client = cpu_seconds();
	u->server = server_cpu_seconds(&b->o);
	u->machine = machine_busy_seconds();
}

int run_load(struct bench *b)
{
	struct cpu_use u0, u1;
	int64_t measured_end;

	printf("bench-ingest: %s:%ld %s mode=%s conns=%ld threads=%ld warmup=%lds duration=%lds rate=%s\n",
	       b->o.host, b->o.port, b->o.path, b->o.newconn ? "newconn" : "keepalive",
	       b->o.connections, b->o.threads, b->o.warmup, b->o.duration,
	       b->o.rate > 0 ? "limited" : "unlimited");
	fflush(stdout);
	b->start_ns = now_ns();
	if (b->o.newconn) {
		b->warm_end_ns = b->start_ns + b->o.warmup * NS_PER_S;
		b->end_ns = b->warm_end_ns + b->o.duration * NS_PER_S;
	} else {
		b->warm_end_ns = b->end_ns = INT64_MAX;	/* see window_open_... */
	}
	threads_start(b);
	sleep_until(b->start_ns + b->o.warmup * NS_PER_S);
	if (!b->o.newconn)
		window_open_when_established(b);
	cpu_sample(b, &u0);
	sleep_until(b->end_ns);
	measured_end = now_ns() < b->end_ns ? now_ns() : b->end_ns;
	cpu_sample(b, &u1);
	threads_stop(b);
	return load_report(b, measured_end > b->warm_end_ns ?
			   (double)(measured_end - b->warm_end_ns) / 1e9 : 0.0, &u0, &u1);
}

/* --idle N: opens N connections, then holds them for --duration seconds.
 * The 'IDLE established' line tells a driver script when to read the
 * server's memory. */
int run_idle(struct bench *b)
{
	struct totals *s;
	int status;
	size_t est = 0, failed = 0;
	int64_t t0 = now_ns(), give_up = t0 + ESTABLISH_MAX_S * NS_PER_S;
	double cpu0 = cpu_seconds();

	printf("bench-ingest: %s:%ld idle=%ld threads=%ld hold=%lds\n",
	       b->o.host, b->o.port, b->o.idle, b->o.threads, b->o.duration);
	fflush(stdout);
	b->start_ns = t0;
	b->warm_end_ns = t0;
	b->end_ns = INT64_MAX;
	threads_start(b);
	while (!interrupted && now_ns() < give_up && est + failed < (size_t)b->o.idle) {
		sleep_until(now_ns() + 20 * 1000 * 1000LL);
		est = failed = 0;
		for (long t = 0; t < b->o.threads; t++) {
			est += atomic_load(&b->workers[t].established);
			failed += atomic_load(&b->workers[t].failed);
		}
	}
	printf("IDLE established=%zu failed=%zu seconds=%.2f\n", est, failed,
	       (double)(now_ns() - t0) / 1e9);
	fflush(stdout);
	sleep_until(now_ns() + b->o.duration * NS_PER_S);
	threads_stop(b);
	if ((s = malloc(sizeof(*s))) == NULL)
		die("out of memory", NULL);
	totals_sum(b, s);
	printf("tls:          %s\n", b->tls_desc[0] ? b->tls_desc : "(no handshake completed)");
	printf("held:         %zu connections, %" PRIu64 " closed by the server while idle\n",
	       s->established, s->closed_by_server);
	printf("handshake ms: p50 %.3f  p99 %.3f\n", hist_ms(&s->handshake, 0.50),
	       hist_ms(&s->handshake, 0.99));
	errors_print(s);
	printf("RESULT name=%s mode=idle conns=%ld established=%zu failed=%zu "
	       "closed_by_server=%" PRIu64 " errors=%" PRIu64 " client_cpu_s=%.2f\n",
	       b->o.name, b->o.idle, s->established, s->failed, s->closed_by_server,
	       s->errors, cpu_seconds() - cpu0);
	status = s->established > 0 ? 0 : 1;
	free(s);
	return status;
}
