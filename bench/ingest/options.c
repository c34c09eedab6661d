/* bench-ingest: command-line options, and the loopback-only target they name. */
#include "bench.h"

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

void options_parse(struct options *o, int argc, char **argv)
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
void target_resolve(struct bench *b)
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
