/* bench-ingest: signals, the clock and main(). See bench.h for the map. */
#include "bench.h"

/* Set from the signal handler; everything else is passed down. */
volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

_Noreturn void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench-ingest: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct bench b;	/* large; and lives as long as the threads */
	struct sigaction sa = { .sa_handler = on_signal };
	int status;

	options_parse(&b.o, argc, argv);
	target_resolve(&b);
	template_load(&b);
	tls_setup(&b);
	atomic_flag_clear(&b.desc_taken);
	nofile_raise((size_t)(b.o.idle > 0 ? b.o.idle : b.o.connections));
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	bench_setup(&b);
	status = b.o.idle > 0 ? run_idle(&b) : run_load(&b);
	gnutls_priority_deinit(b.prio);
	gnutls_certificate_free_credentials(b.cred);
	for (size_t i = 0; i < (size_t)b.o.connections; i++)
		free(b.conns[i].buf);
	free(b.conns);
	free(b.workers);
	return status;
}
