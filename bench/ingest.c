/* bench-ingest: a light mutual-TLS load generator for the device ingest
 * path, so medgated can be compared with nginx on the same machine.
 *
 * Why it looks like this: client and server share two cores, so every
 * microsecond the client spends is taken from the server. Each thread owns
 * one epoll set and a slice of the connections; every socket is
 * non-blocking and every GnuTLS session is driven by GNUTLS_E_AGAIN plus
 * gnutls_record_get_direction(). A request is one TLS record and one
 * write; a response is read until it is complete and never copied more
 * than once. No libcurl: its per-request bookkeeping would cost more than
 * the server under test.
 *
 * It only ever talks to the loopback interface (127.0.0.0/8, ::1): test
 * traffic must never leave this machine.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <gnutls/gnutls.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The BSI TR-02102-2 profile medgated serves by default (DESIGN.md §5),
 * and the nginx reference is configured to match: TLS 1.2/1.3, ECDHE,
 * AES-GCM, P-256/P-384. Listing P-256 first makes the first key share
 * acceptable to both servers, so neither pays for a HelloRetryRequest. */
#define DEFAULT_PRIORITY "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:" \
	"-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:-GROUP-ALL:+GROUP-SECP256R1:" \
	"+GROUP-SECP384R1:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"

/* The measurement the brief describes; placeholders are filled per
 * request so that every id is unique (the gateway deduplicates on
 * (device, id)). */
#define DEFAULT_TEMPLATE "{\"id\": \"{{id}}\", \"time\": \"{{time}}\", " \
	"\"patient\": {\"id\": \"{{patient}}\"}, \"values\": [" \
	"{\"type\": \"body_weight\", \"value\": 72.4, \"unit\": \"kg\"}, " \
	"{\"type\": \"body_height\", \"value\": 180.0, \"unit\": \"cm\"}]}"

#define BODY_TEMPLATE_MAX	4096	/* bytes of --body-template */
#define TEMPLATE_SEGMENTS_MAX	64
#define REQ_MAX			(BODY_TEMPLATE_MAX + 1024)
#define RESP_MAX		4096	/* response head, or a whole chunked body */
#define READ_AHEAD		2048	/* one recv() brings a whole small response */
#define SCRATCH_MAX		16384	/* one TLS record of body to discard */
#define EVENTS_MAX		256
#define LOOP_TICK_MS		100	/* how often a thread looks at the stop flag */
#define RETRY_BACKOFF_NS	(10 * 1000 * 1000LL) /* after an error, so a dead server is not spun on */
#define IDLE_IN_FLIGHT		64	/* concurrent handshakes per thread in --idle */
#define ESTABLISH_MAX_S		180	/* longest wait for every connection to be up */
#define ESTABLISH_STALL_S	10	/* ... or for one more to come up */
#define CONNECTIONS_MAX		100000
#define THREADS_MAX		4
#define SERVER_PIDS_MAX		16
#define HIST_SUB_BITS		6	/* 64 sub-buckets per power of two: < 1.6 % error */
#define HIST_SUB		(1u << HIST_SUB_BITS)
#define HIST_BUCKETS		((64 - HIST_SUB_BITS + 1) * HIST_SUB)
#define NS_PER_S		1000000000LL

enum field { FIELD_TEXT, FIELD_ID, FIELD_TIME, FIELD_PATIENT };

struct segment {
	enum field field;
	const char *text;	/* FIELD_TEXT only; points into template */
	size_t len;
};

enum err_kind { ERR_CONNECT, ERR_HANDSHAKE, ERR_SEND, ERR_RECV, ERR_EOF,
	ERR_HTTP, ERR_STATUS, ERR_KINDS };

static const char *const err_names[ERR_KINDS] = {
	"connect", "handshake", "send", "recv", "eof", "http", "status",
};

enum conn_state {
	CS_CLOSED,	/* no socket; may sleep until wake_ns, then connects */
	CS_CONNECTING,
	CS_HANDSHAKE,
	CS_READY,	/* connected; may sleep until wake_ns, then sends */
	CS_SENDING,
	CS_RECEIVING,
	CS_HELD,	/* --idle: handshake done, kept open and silent */
};

/* A log-bucket latency histogram in nanoseconds, in the spirit of HDR. */
struct hist {
	uint64_t count[HIST_BUCKETS];
	uint64_t n;
	uint64_t max;
};

struct options {
	const char *host;
	const char *path;
	const char *ca;
	const char *cert;
	const char *key;
	const char *body_template;
	const char *name;
	const char *priority;
	long port;
	long connections;
	long duration;
	long warmup;
	long threads;
	long idle;
	long sources;
	double rate;
	bool newconn;
	long server_pid[SERVER_PIDS_MAX];
	size_t nserver_pids;
};

struct bench;
struct worker;

struct conn {
	struct worker *w;
	unsigned index;		/* global; part of every measurement id */
	int fd;
	gnutls_session_t tls;
	enum conn_state state;
	uint32_t events;	/* what epoll watches now; 0: not registered */
	int64_t wake_ns;	/* 0: not sleeping */
	int64_t sched_ns;	/* --rate: when the next request is due */
	int64_t connect_ns;
	int64_t send_ns;
	int64_t slot_ns;	/* --rate: the slot this request is for */
	uint64_t seq;
	bool was_established;	/* has completed a handshake once */
	char *buf;		/* REQ_MAX request, then RESP_MAX response */
	size_t ra_off;		/* read-ahead: ra[ra_off..ra_len) not yet */
	size_t ra_len;		/* handed to GnuTLS */
	size_t req_len;
	size_t resp_len;
	size_t head_len;	/* 0 until the response head is complete */
	int status;
	bool chunked;
	bool until_eof;
	bool close_after;
	uint64_t body_left;
	char ra[READ_AHEAD];
};

struct worker {
	struct bench *b;
	pthread_t thread;
	int epfd;
	struct conn *conns;
	size_t nconns;
	size_t sleeping;
	int64_t next_wake_ns;
	size_t idle_next;
	size_t in_flight;
	atomic_size_t established;
	atomic_size_t failed;
	uint64_t ok;
	uint64_t conns_done;
	uint64_t closed_by_server;
	uint64_t errors[ERR_KINDS];
	uint64_t status_count[600];
	char first_error[ERR_KINDS][120];
	struct hist latency;
	struct hist handshake;
	time_t time_sec;
	char time_text[32];
	char scratch[SCRATCH_MAX];
};

struct bench {
	struct options o;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char host_header[80];
	char run_id[16];
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	struct segment seg[TEMPLATE_SEGMENTS_MAX];
	size_t nseg;
	char template_text[BODY_TEMPLATE_MAX + 1];
	int64_t period_ns;	/* --rate: 0 when unlimited */
	int64_t start_ns;
	_Atomic int64_t warm_end_ns;	/* the measured window; moved by */
	_Atomic int64_t end_ns;		/* the main thread, read by workers */
	atomic_bool stop;
	atomic_flag desc_taken;
	char tls_desc[128];
	struct conn *conns;
	struct worker *workers;
};

/* Set from the signal handler; everything else is passed down. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static _Noreturn void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench-ingest: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	exit(2);
}

/* ---- histogram ---- */

static unsigned hist_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < HIST_SUB)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - HIST_SUB_BITS;
	return ((msb - HIST_SUB_BITS + 1) << HIST_SUB_BITS) +
		(unsigned)((v >> shift) & (HIST_SUB - 1));
}

/* The middle of bucket i, so a percentile is off by at most half a bucket. */
static uint64_t hist_value(unsigned i)
{
	unsigned msb, shift;
	uint64_t low;

	if (i < HIST_SUB)
		return i;
	msb = (i >> HIST_SUB_BITS) + HIST_SUB_BITS - 1;
	shift = msb - HIST_SUB_BITS;
	low = (uint64_t)(HIST_SUB + (i & (HIST_SUB - 1))) << shift;
	return low + ((1ull << shift) >> 1);
}

static void hist_add(struct hist *h, int64_t ns)
{
	uint64_t v = ns > 0 ? (uint64_t)ns : 0;

	h->count[hist_index(v)]++;
	h->n++;
	if (v > h->max)
		h->max = v;
}

static void hist_merge(struct hist *into, const struct hist *from)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		into->count[i] += from->count[i];
	into->n += from->n;
	if (from->max > into->max)
		into->max = from->max;
}

static double hist_ms(const struct hist *h, double q)
{
	uint64_t want, seen = 0;

	if (h->n == 0)
		return 0.0;
	want = (uint64_t)(q * (double)h->n + 0.999999);
	if (want == 0)
		want = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= want) {
			uint64_t v = hist_value(i);

			return (double)(v < h->max ? v : h->max) / 1e6;
		}
	}
	return (double)h->max / 1e6;
}

/* ---- options ---- */

static long parse_long(const char *name, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "bench-ingest: --%s wants an integer from %ld to %ld, not '%s'\n",
			name, min, max, s);
		exit(2);
	}
	return v;
}

static double parse_rate(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0.001) || v > 1e6)
		die("--rate wants requests per second per connection, 0.001 to 1e6", s);
	return v;
}

static void usage(FILE *f)
{
	fputs("usage: bench-ingest --port N --ca CA.pem [--cert C.pem --key K.pem]\n"
	      "  [--host 127.0.0.1] [--path /device/v1/measurements]\n"
	      "  [--connections 64] [--duration 10] [--warmup 2]\n"
	      "  [--mode keepalive|newconn] [--rate R] [--threads 1|2]\n"
	      "  [--body-template FILE] [--sources K] [--priority STRING]\n"
	      "  [--name LABEL] [--server-pid PID[,PID...]]\n"
	      "  | --idle N (hold N idle connections --duration s)\n"
	      "Loopback only. Prints requests/s, latency percentiles, errors and\n"
	      "a 'RESULT ...' line for scripts.\n", f);
}

enum { OPT_HOST = 256, OPT_PORT, OPT_PATH, OPT_CA, OPT_CERT, OPT_KEY,
	OPT_CONNECTIONS, OPT_DURATION, OPT_WARMUP, OPT_MODE, OPT_RATE,
	OPT_THREADS, OPT_BODY, OPT_IDLE, OPT_NAME, OPT_SOURCES, OPT_PRIORITY,
	OPT_SERVER_PID, OPT_HELP };

static const struct option long_options[] = {
	{ "host", required_argument, NULL, OPT_HOST },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "connections", required_argument, NULL, OPT_CONNECTIONS },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "body-template", required_argument, NULL, OPT_BODY },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "sources", required_argument, NULL, OPT_SOURCES },
	{ "priority", required_argument, NULL, OPT_PRIORITY },
	{ "server-pid", required_argument, NULL, OPT_SERVER_PID },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* "123,456": the server's processes (nginx: master and workers), whose
 * CPU time is sampled over the measured window. */
static void server_pids_parse(struct options *o, const char *arg)
{
	char copy[256], *p, *comma;
	int n = snprintf(copy, sizeof(copy), "%s", arg);

	if (n < 0 || (size_t)n >= sizeof(copy))
		die("--server-pid list too long", NULL);
	for (p = copy; p != NULL; p = comma) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma++ = '\0';
		if (o->nserver_pids == SERVER_PIDS_MAX)
			die("--server-pid takes at most 16 processes", NULL);
		o->server_pid[o->nserver_pids++] = parse_long("server-pid", p, 1, INT32_MAX);
	}
}

static void options_set(struct options *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_HOST: o->host = arg; break;
	case OPT_PORT: o->port = parse_long("port", arg, 1, 65535); break;
	case OPT_PATH: o->path = arg; break;
	case OPT_CA: o->ca = arg; break;
	case OPT_CERT: o->cert = arg; break;
	case OPT_KEY: o->key = arg; break;
	case OPT_CONNECTIONS:
		o->connections = parse_long("connections", arg, 1, CONNECTIONS_MAX);
		break;
	case OPT_DURATION: o->duration = parse_long("duration", arg, 1, 3600); break;
	case OPT_WARMUP: o->warmup = parse_long("warmup", arg, 0, 600); break;
	case OPT_MODE:
		if (strcmp(arg, "keepalive") == 0)
			o->newconn = false;
		else if (strcmp(arg, "newconn") == 0)
			o->newconn = true;
		else
			die("--mode is keepalive or newconn", arg);
		break;
	case OPT_RATE: o->rate = parse_rate(arg); break;
	case OPT_THREADS: o->threads = parse_long("threads", arg, 1, THREADS_MAX); break;
	case OPT_BODY: o->body_template = arg; break;
	case OPT_IDLE: o->idle = parse_long("idle", arg, 1, CONNECTIONS_MAX); break;
	case OPT_NAME: o->name = arg; break;
	case OPT_SOURCES: o->sources = parse_long("sources", arg, 1, 65000); break;
	case OPT_PRIORITY: o->priority = arg; break;
	case OPT_SERVER_PID: server_pids_parse(o, arg); break;
	case OPT_HELP: usage(stdout); exit(0);
	default: usage(stderr); exit(2);
	}
}

static void options_parse(struct options *o, int argc, char **argv)
{
	int opt;

	*o = (struct options){
		.host = "127.0.0.1", .path = "/device/v1/measurements",
		.name = "ingest", .priority = DEFAULT_PRIORITY,
		.connections = 64, .duration = 10, .warmup = 2, .threads = 1,
		.sources = 1,
	};
	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1)
		options_set(o, opt, optarg);
	if (optind != argc)
		die("unexpected argument", argv[optind]);
	if (o->port == 0 || o->ca == NULL) {
		usage(stderr);
		exit(2);
	}
	if ((o->cert == NULL) != (o->key == NULL))
		die("--cert and --key go together", NULL);
	if (o->path[0] != '/' || strpbrk(o->path, " \r\n") != NULL)
		die("--path must start with / and hold no spaces", o->path);
}

/* Refuses anything but the loopback interface: this tool must never send
 * test traffic to another machine, whatever it is given. */
static void target_resolve(struct bench *b)
{
	const struct options *o = &b->o;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&b->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&b->addr;
	const char *host = strcmp(o->host, "localhost") == 0 ? "127.0.0.1" : o->host;
	int n;

	memset(&b->addr, 0, sizeof(b->addr));
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127)
			die("refusing a non-loopback host (127.0.0.0/8, ::1, localhost only)", o->host);
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)o->port);
		b->addrlen = sizeof(*v4);
		n = snprintf(b->host_header, sizeof(b->host_header), "%s:%ld", host, o->port);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr))
			die("refusing a non-loopback host (127.0.0.0/8, ::1, localhost only)", o->host);
		if (o->sources > 1)
			die("--sources needs an IPv4 loopback target", NULL);
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)o->port);
		b->addrlen = sizeof(*v6);
		n = snprintf(b->host_header, sizeof(b->host_header), "[%s]:%ld", host, o->port);
	} else {
		die("refusing a host that is not a loopback address or localhost", o->host);
	}
	if (n < 0 || (size_t)n >= sizeof(b->host_header))
		die("host name too long", o->host);
}

/* ---- body template ---- */

static void template_add(struct bench *b, enum field f, const char *text, size_t len)
{
	if (b->nseg == TEMPLATE_SEGMENTS_MAX)
		die("body template has too many placeholders", NULL);
	b->seg[b->nseg++] = (struct segment){ .field = f, .text = text, .len = len };
}

/* Splits the template at {{id}}, {{time}} and {{patient}}. */
static void template_compile(struct bench *b)
{
	static const struct { const char *tag; enum field f; } tags[] = {
		{ "{{id}}", FIELD_ID }, { "{{time}}", FIELD_TIME },
		{ "{{patient}}", FIELD_PATIENT },
	};
	const char *p = b->template_text, *lit = p;

	while (*p != '\0') {
		size_t i;

		for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
			if (strncmp(p, tags[i].tag, strlen(tags[i].tag)) == 0)
				break;
		if (i == sizeof(tags) / sizeof(tags[0])) {
			p++;
			continue;
		}
		if (p > lit)
			template_add(b, FIELD_TEXT, lit, (size_t)(p - lit));
		template_add(b, tags[i].f, NULL, 0);
		p += strlen(tags[i].tag);
		lit = p;
	}
	if (p > lit)
		template_add(b, FIELD_TEXT, lit, (size_t)(p - lit));
}

static void template_load(struct bench *b)
{
	FILE *f;
	size_t n;

	if (b->o.body_template == NULL) {
		n = strlen(DEFAULT_TEMPLATE);
		memcpy(b->template_text, DEFAULT_TEMPLATE, n + 1);
	} else {
		if ((f = fopen(b->o.body_template, "r")) == NULL)
			die("cannot open --body-template", strerror(errno));
		n = fread(b->template_text, 1, BODY_TEMPLATE_MAX + 1, f);
		if (ferror(f) || n > BODY_TEMPLATE_MAX)
			die("--body-template unreadable or over 4096 bytes", b->o.body_template);
		fclose(f);
		b->template_text[n] = '\0';
		if (strlen(b->template_text) != n)
			die("--body-template holds a NUL byte", b->o.body_template);
	}
	template_compile(b);
}

/* ---- TLS set-up ---- */

static void tls_setup(struct bench *b)
{
	const char *errpos = NULL;
	int r;

	if ((r = gnutls_certificate_allocate_credentials(&b->cred)) < 0)
		die("gnutls credentials", gnutls_strerror(r));
	r = gnutls_certificate_set_x509_trust_file(b->cred, b->o.ca, GNUTLS_X509_FMT_PEM);
	if (r <= 0)
		die("no CA certificate read from --ca", r < 0 ? gnutls_strerror(r) : b->o.ca);
	if (b->o.cert != NULL) {
		r = gnutls_certificate_set_x509_key_file(b->cred, b->o.cert, b->o.key,
							  GNUTLS_X509_FMT_PEM);
		if (r < 0)
			die("cannot load --cert/--key", gnutls_strerror(r));
	}
	if ((r = gnutls_priority_init(&b->prio, b->o.priority, &errpos)) < 0)
		die("bad --priority near", errpos ? errpos : gnutls_strerror(r));
}

/* Room for every connection, its epoll and a margin; more than the soft
 * limit is normal for --idle 10000. */
static void nofile_raise(size_t conns)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)conns + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit", strerror(errno));
	if (rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;	/* works as root */
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("cannot raise RLIMIT_NOFILE for that many connections", strerror(errno));
}

/* ---- per-connection machinery ---- */

static void conn_sleep(struct conn *c, int64_t until)
{
	struct worker *w = c->w;

	if (c->wake_ns == 0)
		w->sleeping++;
	c->wake_ns = until;
	if (until < w->next_wake_ns)
		w->next_wake_ns = until;
}

static bool in_window(const struct bench *b, int64_t t)
{
	return t >= atomic_load_explicit(&b->warm_end_ns, memory_order_relaxed) &&
	       t < atomic_load_explicit(&b->end_ns, memory_order_relaxed);
}

static void conn_watch(struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->events == events)
		return;
	if (epoll_ctl(c->w->epfd, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) != 0)
		die("epoll_ctl", strerror(errno));
	c->events = events;
}

/* After GNUTLS_E_AGAIN: false if read-ahead bytes are waiting, so the
 * caller must call GnuTLS again at once (it returns GNUTLS_E_AGAIN after
 * handling a TLS 1.3 session ticket even when the next record is already
 * here, and epoll knows nothing of our buffer). Otherwise waits for the
 * direction GnuTLS was blocked on and returns true. */
static bool conn_wait_tls(struct conn *c)
{
	bool writing = gnutls_record_get_direction(c->tls) == 1;

	if (!writing && c->ra_off < c->ra_len)
		return false;
	conn_watch(c, writing ? EPOLLOUT : EPOLLIN);
	return true;
}

static void conn_close(struct conn *c, bool abort_tcp)
{
	if (c->tls != NULL) {
		gnutls_deinit(c->tls);
		c->tls = NULL;
	}
	if (c->fd >= 0) {
		/* A reset instead of FIN: a new connection per request would
		 * otherwise leave tens of thousands of TIME_WAIT sockets and
		 * run the loopback port range dry. Only done once the whole
		 * response has been read. */
		if (abort_tcp) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(c->fd);
		c->fd = -1;
	}
	c->events = 0;
	c->state = CS_CLOSED;
}

static void conn_error(struct conn *c, enum err_kind kind, const char *msg)
{
	struct worker *w = c->w;
	bool idle = w->b->o.idle > 0;

	w->errors[kind]++;
	if (w->first_error[kind][0] == '\0')
		snprintf(w->first_error[kind], sizeof(w->first_error[kind]), "%s", msg);
	conn_close(c, false);
	if (idle) {
		atomic_fetch_add_explicit(&w->failed, 1, memory_order_relaxed);
		w->in_flight--;
		return;
	}
	conn_sleep(c, now_ns() + RETRY_BACKOFF_NS);
}

static void conn_tls_error(struct conn *c, enum err_kind kind, int r)
{
	char msg[120];

	if (r == GNUTLS_E_FATAL_ALERT_RECEIVED || r == GNUTLS_E_WARNING_ALERT_RECEIVED)
		snprintf(msg, sizeof(msg), "%s (%s)", gnutls_strerror(r),
			 gnutls_alert_get_name(gnutls_alert_get(c->tls)));
	else
		snprintf(msg, sizeof(msg), "%s", gnutls_strerror(r));
	conn_error(c, kind, msg);
}

/* Spreads connections over 127.1.x.y source addresses, as if they came
 * from K devices: a server limiting connections per address would
 * otherwise see one huge device. */
static int conn_bind_source(struct conn *c, int fd)
{
	const struct bench *b = c->w->b;
	struct sockaddr_in src = { .sin_family = AF_INET };
	uint32_t host = 0x7f010001u + (uint32_t)(c->index % (unsigned long)b->o.sources);
	int one = 1;

	if (b->o.sources <= 1)
		return 0;
	src.sin_addr.s_addr = htonl(host);
	/* The port is chosen at connect() time, per destination, instead of
	 * reserving one of the 28,000 ephemeral ports for every source. */
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	return bind(fd, (const struct sockaddr *)&src, sizeof(src));
}

static void conn_open(struct conn *c)
{
	const struct bench *b = c->w->b;
	int fd, one = 1;

	c->connect_ns = now_ns();
	fd = socket(b->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		conn_error(c, ERR_CONNECT, strerror(errno));
		return;
	}
	c->fd = fd;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (conn_bind_source(c, fd) != 0 ||
	    (connect(fd, (const struct sockaddr *)&b->addr, b->addrlen) != 0 &&
	     errno != EINPROGRESS)) {
		conn_error(c, ERR_CONNECT, strerror(errno));
		return;
	}
	c->state = CS_CONNECTING;
	conn_watch(c, EPOLLOUT);
}

/* GnuTLS reads a record's 5-byte header and its body with two recv()
 * calls; reading ahead into a small buffer makes that one per response.
 * Bytes in this buffer are invisible to epoll: see conn_wait_tls(). */
static ssize_t conn_pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
	struct conn *c = ptr;
	ssize_t n;

	if (c->ra_off == c->ra_len) {
		if (len >= sizeof(c->ra))
			return recv(c->fd, data, len, 0);
		if ((n = recv(c->fd, c->ra, sizeof(c->ra), 0)) <= 0)
			return n;
		c->ra_off = 0;
		c->ra_len = (size_t)n;
	}
	if (len > c->ra_len - c->ra_off)
		len = c->ra_len - c->ra_off;
	memcpy(data, c->ra + c->ra_off, len);
	c->ra_off += len;
	return (ssize_t)len;
}

/* Not called for non-blocking TLS sessions, but the GnuTLS manual asks
 * for one whenever a custom pull function is set. */
static int conn_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	const struct conn *c = ptr;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	if (c->ra_off < c->ra_len)
		return 1;
	return poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

static ssize_t conn_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	const struct conn *c = ptr;
	struct msghdr msg = { .msg_iov = (struct iovec *)(uintptr_t)iov,
		.msg_iovlen = (size_t)iovcnt };

	return sendmsg(c->fd, &msg, MSG_NOSIGNAL);
}

static void conn_handshake(struct conn *c);

static void conn_connected(struct conn *c)
{
	const struct bench *b = c->w->b;
	int err = 0, r;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err != 0) {
		conn_error(c, ERR_CONNECT, strerror(err));
		return;
	}
	if ((r = gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0 ||
	    (r = gnutls_priority_set(c->tls, b->prio)) < 0 ||
	    (r = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, b->cred)) < 0) {
		conn_tls_error(c, ERR_HANDSHAKE, r);
		return;
	}
	/* The server certificate is checked against --ca; no host name, since
	 * the gateway's certificate names "localhost" and we dial an address. */
	gnutls_session_set_verify_cert(c->tls, NULL, 0);
	c->ra_off = c->ra_len = 0;
	gnutls_transport_set_ptr(c->tls, c);
	gnutls_transport_set_pull_function(c->tls, conn_pull);
	gnutls_transport_set_pull_timeout_function(c->tls, conn_pull_timeout);
	gnutls_transport_set_vec_push_function(c->tls, conn_push);
	c->state = CS_HANDSHAKE;
	conn_handshake(c);
}

/* Remembers what the first handshake negotiated, to show both servers
 * were measured with the same protocol, group and cipher. */
static void tls_desc_note(struct bench *b, gnutls_session_t s)
{
	char *desc;

	if (atomic_flag_test_and_set(&b->desc_taken))
		return;
	if ((desc = gnutls_session_get_desc(s)) != NULL) {
		snprintf(b->tls_desc, sizeof(b->tls_desc), "%s", desc);
		gnutls_free(desc);
	}
}

/* --rate: every connection keeps its own clock, one slot per period from
 * its phase, like a device measuring once a second. After a slow answer
 * the latest missed slot is sent at once and older ones are dropped, so
 * there is never a burst to catch up and the devices stay spread out. */
static void conn_schedule_next(struct conn *c, int64_t now)
{
	int64_t period = c->w->b->period_ns;

	if (period == 0)
		return;
	c->sched_ns += period;
	if (now - c->sched_ns > period)
		c->sched_ns += (now - c->sched_ns) / period * period;
}

/* A device that was not connected yet has nothing to catch up: its first
 * request goes in its next slot. */
static void conn_schedule_first(struct conn *c, int64_t now)
{
	int64_t period = c->w->b->period_ns;

	if (period > 0 && c->sched_ns < now)
		c->sched_ns += ((now - c->sched_ns) / period + 1) * period;
}

static void conn_ready(struct conn *c);

static void conn_handshake_done(struct conn *c)
{
	struct worker *w = c->w;
	int64_t now = now_ns();

	tls_desc_note(w->b, c->tls);
	if (in_window(w->b, c->connect_ns) && in_window(w->b, now))
		hist_add(&w->handshake, now - c->connect_ns);
	if (!c->was_established) {
		c->was_established = true;
		atomic_fetch_add_explicit(&w->established, 1, memory_order_relaxed);
		if (!w->b->o.newconn)	/* newconn connects in its slot already */
			conn_schedule_first(c, now);
	}
	if (w->b->o.idle > 0) {
		w->in_flight--;
		c->state = CS_HELD;
		conn_watch(c, EPOLLIN);
		return;
	}
	conn_ready(c);
}

static void conn_handshake(struct conn *c)
{
	int r;

	for (;;) {
		r = gnutls_handshake(c->tls);
		if (r == 0) {
			conn_handshake_done(c);
			return;
		}
		if (r == GNUTLS_E_AGAIN && conn_wait_tls(c))
			return;
		if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED && gnutls_error_is_fatal(r)) {
			conn_tls_error(c, ERR_HANDSHAKE, r);
			return;
		}
	}
}

/* ---- request ---- */

static int put(char *dst, size_t cap, size_t *len, const char *src, size_t n)
{
	if (n > cap - *len)
		return -1;
	memcpy(dst + *len, src, n);
	*len += n;
	return 0;
}

static const char *time_text(struct worker *w)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != w->time_sec) {
		gmtime_r(&ts.tv_sec, &tm);
		if (strftime(w->time_text, sizeof(w->time_text), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			die("strftime", NULL);
		w->time_sec = ts.tv_sec;
	}
	return w->time_text;
}

/* Fills the body template for this connection's next request into the
 * worker's scratch buffer. Returns its length, or -1 if it does not fit. */
static long body_build(struct conn *c)
{
	struct worker *w = c->w;
	const struct bench *b = w->b;
	char field[64];
	size_t len = 0;
	int n;

	for (size_t i = 0; i < b->nseg; i++) {
		const struct segment *s = &b->seg[i];

		switch (s->field) {
		case FIELD_TEXT:
			if (put(w->scratch, sizeof(w->scratch), &len, s->text, s->len) != 0)
				return -1;
			continue;
		case FIELD_ID:
			n = snprintf(field, sizeof(field), "b-%s-%u-%" PRIu64,
				     b->run_id, c->index, c->seq);
			break;
		case FIELD_TIME:
			n = snprintf(field, sizeof(field), "%s", time_text(w));
			break;
		case FIELD_PATIENT:
			n = snprintf(field, sizeof(field), "P-%u",
				     (unsigned)((c->index * 131u + c->seq) % 1000u));
			break;
		default:
			return -1;
		}
		if (n < 0 || (size_t)n >= sizeof(field) ||
		    put(w->scratch, sizeof(w->scratch), &len, field, (size_t)n) != 0)
			return -1;
	}
	return (long)len;
}

static int request_build(struct conn *c)
{
	const struct bench *b = c->w->b;
	long body = body_build(c);
	int n;

	if (body < 0)
		return -1;
	n = snprintf(c->buf, REQ_MAX,
		     "POST %s HTTP/1.1\r\nHost: %s\r\n"
		     "Content-Type: application/json\r\nContent-Length: %ld\r\n%s\r\n",
		     b->o.path, b->host_header, body,
		     b->o.newconn ? "Connection: close\r\n" : "");
	if (n < 0 || (size_t)n + (size_t)body > REQ_MAX)
		return -1;
	memcpy(c->buf + n, c->w->scratch, (size_t)body);
	c->req_len = (size_t)n + (size_t)body;
	return 0;
}

static void conn_send(struct conn *c)
{
	ssize_t r;

	for (;;) {
		/* After GNUTLS_E_AGAIN GnuTLS holds the encrypted record and
		 * only needs to be called again; the same arguments are fine. */
		r = gnutls_record_send(c->tls, c->buf, c->req_len);
		if (r == (ssize_t)c->req_len) {
			c->state = CS_RECEIVING;
			conn_watch(c, EPOLLIN);
			return;
		}
		if (r == GNUTLS_E_AGAIN && conn_wait_tls(c))
			return;
		if (r >= 0) {	/* only if a request outgrew one record */
			conn_error(c, ERR_SEND, "request larger than one TLS record");
			return;
		}
		if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED) {
			conn_tls_error(c, ERR_SEND, (int)r);
			return;
		}
	}
}

static void conn_send_new(struct conn *c)
{
	if (c->buf == NULL && (c->buf = malloc(REQ_MAX + RESP_MAX)) == NULL)
		die("out of memory", NULL);
	if (request_build(c) != 0)
		die("request does not fit in its buffer (body template too large?)", NULL);
	c->resp_len = 0;
	c->head_len = 0;
	c->status = 0;
	c->chunked = c->until_eof = c->close_after = false;
	c->body_left = 0;
	c->state = CS_SENDING;
	c->send_ns = now_ns();
	c->slot_ns = c->w->b->period_ns > 0 ? c->sched_ns : c->send_ns;
	conn_send(c);
}

/* Sends now, or sleeps until the connection's next slot under --rate. */
static void conn_ready(struct conn *c)
{
	if (c->w->b->period_ns > 0 && c->sched_ns > now_ns()) {
		c->state = CS_READY;
		conn_watch(c, EPOLLIN);	/* notice the server closing meanwhile */
		conn_sleep(c, c->sched_ns);
		return;
	}
	conn_send_new(c);
}

/* ---- response ---- */

enum parse { PARSE_MORE, PARSE_DONE, PARSE_BAD };

static bool header_is(const char *p, const char *eol, const char *name, const char **value)
{
	size_t n = strlen(name);

	if ((size_t)(eol - p) <= n || p[n] != ':' || strncasecmp(p, name, n) != 0)
		return false;
	for (p += n + 1; p < eol && (*p == ' ' || *p == '\t'); p++)
		;
	*value = p;
	return true;
}

static bool value_has(const char *v, const char *eol, const char *token)
{
	size_t n = strlen(token);

	for (; (size_t)(eol - v) >= n; v++)
		if (strncasecmp(v, token, n) == 0)
			return true;
	return false;
}

static int content_length(const char *v, const char *eol, uint64_t *out)
{
	uint64_t n = 0;
	const char *start = v;

	for (; v < eol && isdigit((unsigned char)*v); v++) {
		if (n > (1ull << 40))
			return -1;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	while (v < eol && (*v == ' ' || *v == '\t'))
		v++;
	if (v == start || v != eol)
		return -1;
	*out = n;
	return 0;
}

/* Reads the status line and the three headers that frame the body. */
static int head_parse(struct conn *c, const char *head, const char *end)
{
	const char *p, *eol, *v;
	bool have_length = false;

	if (end - head < 12 || memcmp(head, "HTTP/1.", 7) != 0 || head[8] != ' ' ||
	    !isdigit((unsigned char)head[9]) || !isdigit((unsigned char)head[10]) ||
	    !isdigit((unsigned char)head[11]))
		return -1;
	c->status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
	p = memchr(head, '\n', (size_t)(end - head));
	for (p = p ? p + 1 : end; p < end; p = eol + 2) {
		if ((eol = memmem(p, (size_t)(end - p), "\r\n", 2)) == NULL || eol == p)
			break;
		if (header_is(p, eol, "content-length", &v)) {
			if (content_length(v, eol, &c->body_left) != 0)
				return -1;
			have_length = true;
		} else if (header_is(p, eol, "transfer-encoding", &v)) {
			c->chunked = value_has(v, eol, "chunked");
		} else if (header_is(p, eol, "connection", &v)) {
			c->close_after = value_has(v, eol, "close");
		}
	}
	if (c->status == 204 || c->status == 304 || c->status < 200)
		c->body_left = 0;
	else if (!c->chunked && !have_length)
		c->until_eof = c->close_after = true;
	return 0;
}

/* Walks a chunked body held whole in buf[0..len). */
static enum parse chunked_walk(const char *buf, size_t len)
{
	size_t pos = 0;

	for (;;) {
		const char *eol = memmem(buf + pos, len - pos, "\r\n", 2);
		const char *p = buf + pos;
		size_t size = 0;

		if (eol == NULL)
			return PARSE_MORE;
		if (p == eol || !isxdigit((unsigned char)*p))
			return PARSE_BAD;
		for (; p < eol && isxdigit((unsigned char)*p); p++) {
			if (size > (1u << 24))
				return PARSE_BAD;
			size = size * 16 + (size_t)(isdigit((unsigned char)*p) ? *p - '0' :
				(tolower((unsigned char)*p) - 'a' + 10));
		}
		pos = (size_t)(eol - buf) + 2;
		if (size == 0)
			break;
		if (len - pos < size + 2)
			return PARSE_MORE;
		if (memcmp(buf + pos + size, "\r\n", 2) != 0)
			return PARSE_BAD;
		pos += size + 2;
	}
	for (;;) {	/* trailers, up to the empty line */
		const char *eol = memmem(buf + pos, len - pos, "\r\n", 2);

		if (eol == NULL)
			return PARSE_MORE;
		if (eol == buf + pos)
			return pos + 2 == len ? PARSE_DONE : PARSE_BAD;
		pos = (size_t)(eol - buf) + 2;
	}
}

/* Takes n new bytes: appended to c->resp while the head (or a chunked
 * body) is incomplete, otherwise just counted off the body. */
static enum parse response_feed(struct conn *c, size_t n)
{
	char *resp = c->buf + REQ_MAX;
	const char *end;
	size_t from;

	if (c->head_len == 0) {
		from = c->resp_len > 3 ? c->resp_len - 3 : 0;
		c->resp_len += n;
		end = memmem(resp + from, c->resp_len - from, "\r\n\r\n", 4);
		if (end == NULL)
			return c->resp_len == RESP_MAX ? PARSE_BAD : PARSE_MORE;
		c->head_len = (size_t)(end - resp) + 4;
		if (head_parse(c, resp, end + 2) != 0)
			return PARSE_BAD;
		n = c->resp_len - c->head_len;	/* body bytes already here */
	} else if (c->chunked) {
		c->resp_len += n;
	}
	if (c->chunked)
		return chunked_walk(resp + c->head_len, c->resp_len - c->head_len);
	if (c->until_eof)
		return PARSE_MORE;
	if (n > c->body_left)
		return PARSE_BAD;	/* more than announced: we never pipeline */
	c->body_left -= n;
	return c->body_left == 0 ? PARSE_DONE : PARSE_MORE;
}

static void conn_response_done(struct conn *c)
{
	struct worker *w = c->w;
	const struct bench *b = w->b;
	int64_t now = now_ns();

	w->status_count[c->status < 600 ? c->status : 0]++;
	/* Only what was due and answered inside the window counts: a request
	 * started during warm-up would carry warm-up's queueing into the
	 * figures, and under --rate a late request for an earlier slot would
	 * count one slot twice. */
	if (c->status >= 200 && c->status < 300) {
		if (in_window(b, c->slot_ns) && in_window(b, now)) {
			w->ok++;
			hist_add(&w->latency, now - c->send_ns);
			if (b->o.newconn)
				w->conns_done++;
		}
	} else {
		w->errors[ERR_STATUS]++;
	}
	c->seq++;
	conn_schedule_next(c, now);
	if (b->o.newconn || c->close_after) {
		conn_close(c, b->o.newconn);
		if (c->sched_ns > now)
			conn_sleep(c, c->sched_ns);
		else
			conn_open(c);
		return;
	}
	conn_ready(c);
}

static size_t recv_room(struct conn *c, char **at)
{
	if (c->head_len == 0 || c->chunked) {
		*at = c->buf + REQ_MAX + c->resp_len;
		return RESP_MAX - c->resp_len;
	}
	*at = c->w->scratch;
	return sizeof(c->w->scratch);
}

static void conn_receive(struct conn *c)
{
	enum parse p;
	ssize_t r;
	char *at;

	for (;;) {
		size_t room = recv_room(c, &at);

		if (room == 0) {
			conn_error(c, ERR_HTTP, "chunked response larger than 4 KiB");
			return;
		}
		r = gnutls_record_recv(c->tls, at, room);
		if (r > 0) {
			if ((p = response_feed(c, (size_t)r)) == PARSE_MORE)
				continue;
			if (p == PARSE_BAD) {
				conn_error(c, ERR_HTTP, "malformed or oversized response");
			} else if (gnutls_record_check_pending(c->tls) > 0) {
				conn_error(c, ERR_HTTP, "data after the response");
			} else {
				conn_response_done(c);
			}
			return;
		}
		if (r == 0 || r == GNUTLS_E_PREMATURE_TERMINATION) {
			if (c->until_eof && c->head_len > 0)
				conn_response_done(c);
			else
				conn_error(c, ERR_EOF, "server closed the connection mid-request");
			return;
		}
		if (r == GNUTLS_E_AGAIN && conn_wait_tls(c))
			return;
		if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED &&
		    gnutls_error_is_fatal((int)r)) {
			conn_tls_error(c, ERR_RECV, (int)r);
			return;
		}
	}
}

/* Between requests (or while --idle holds a connection) the server may
 * still send: TLS 1.3 session tickets, or a close. */
static void conn_drain(struct conn *c)
{
	struct worker *w = c->w;
	ssize_t r;

	for (;;) {
		r = gnutls_record_recv(c->tls, w->scratch, sizeof(w->scratch));
		if (r == GNUTLS_E_AGAIN) {
			if (c->ra_off < c->ra_len)
				continue;
			return;
		}
		if (r == GNUTLS_E_INTERRUPTED || (r < 0 && !gnutls_error_is_fatal((int)r)))
			continue;
		if (r > 0)
			continue;	/* unsolicited bytes: ignored */
		w->closed_by_server++;
		conn_close(c, false);
		if (w->b->o.idle == 0 && c->wake_ns == 0)
			conn_open(c);	/* a sleeping one reconnects when it wakes */
		return;
	}
}

static void conn_on_event(struct conn *c)
{
	switch (c->state) {
	case CS_CONNECTING: conn_connected(c); break;
	case CS_HANDSHAKE: conn_handshake(c); break;
	case CS_SENDING: conn_send(c); break;
	case CS_RECEIVING: conn_receive(c); break;
	case CS_READY: /* fall through */
	case CS_HELD: conn_drain(c); break;
	case CS_CLOSED: break;
	}
}

static void conn_wake(struct conn *c)
{
	if (c->state == CS_CLOSED)
		conn_open(c);
	else if (c->state == CS_READY)
		conn_send_new(c);
}

/* ---- workers ---- */

static void worker_wake_due(struct worker *w, int64_t now)
{
	int64_t next = INT64_MAX;

	for (size_t i = 0; i < w->nconns && w->sleeping > 0; i++) {
		struct conn *c = &w->conns[i];

		if (c->wake_ns == 0)
			continue;
		if (c->wake_ns <= now) {
			c->wake_ns = 0;
			w->sleeping--;
			conn_wake(c);
		}
		if (c->wake_ns != 0 && c->wake_ns < next)
			next = c->wake_ns;
	}
	w->next_wake_ns = next;
}

/* --idle: keeps at most IDLE_IN_FLIGHT handshakes going per thread. */
static void worker_idle_fill(struct worker *w)
{
	while (w->in_flight < IDLE_IN_FLIGHT && w->idle_next < w->nconns) {
		w->in_flight++;
		conn_open(&w->conns[w->idle_next++]);
	}
}

/* Spreads first connections and requests over one period under --rate,
 * so 1,000 devices sending once a second neither connect nor send all in
 * the same millisecond. */
static void worker_start(struct worker *w)
{
	const struct bench *b = w->b;
	size_t total = (size_t)b->o.connections;

	if (b->o.idle > 0) {
		worker_idle_fill(w);
		return;
	}
	for (size_t i = 0; i < w->nconns; i++) {
		struct conn *c = &w->conns[i];

		c->sched_ns = b->start_ns + b->period_ns * (int64_t)c->index / (int64_t)total;
		if (c->sched_ns > b->start_ns)
			conn_sleep(c, c->sched_ns);
		else
			conn_open(c);
	}
}

static int worker_timeout(const struct worker *w, int64_t now)
{
	int64_t ms;

	if (w->sleeping == 0)
		return LOOP_TICK_MS;
	ms = (w->next_wake_ns - now + 999999) / 1000000;
	return ms < 0 ? 0 : ms > LOOP_TICK_MS ? LOOP_TICK_MS : (int)ms;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[EVENTS_MAX];
	int n;

	worker_start(w);
	while (!atomic_load_explicit(&w->b->stop, memory_order_relaxed)) {
		n = epoll_wait(w->epfd, ev, EVENTS_MAX, worker_timeout(w, now_ns()));
		if (n < 0 && errno != EINTR)
			die("epoll_wait", strerror(errno));
		for (int i = 0; i < n; i++)
			conn_on_event(ev[i].data.ptr);
		if (w->sleeping > 0) {
			int64_t now = now_ns();

			if (now >= w->next_wake_ns)
				worker_wake_due(w, now);
		}
		if (w->b->o.idle > 0)
			worker_idle_fill(w);
	}
	for (size_t i = 0; i < w->nconns; i++)
		conn_close(&w->conns[i], false);
	return NULL;
}

/* ---- the run ---- */

static void bench_setup(struct bench *b)
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

static int run_load(struct bench *b)
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
static int run_idle(struct bench *b)
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
