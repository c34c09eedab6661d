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
 *
 * The files of bench/ingest/, built into the one program bench-ingest:
 *   main.c     signals, the clock, main()
 *   options.c  command line; the target, refused unless loopback
 *   setup.c    body template, TLS credentials, file limit
 *   conn.c     connect, GnuTLS transport, handshake, --rate slots
 *   http.c     request out, response in, epoll events
 *   worker.c   one thread: an epoll loop over a slice of the connections
 *   run.c      workers started and stopped, measured window, report
 *   hist.c     latency histogram
 * This header holds what they share: limits, the three structs
 * (bench > worker > conn) and the functions one file calls in another.
 */
#ifndef BENCH_INGEST_H
#define BENCH_INGEST_H

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

/* main.c */
extern volatile sig_atomic_t interrupted;	/* set by SIGINT, SIGTERM */
int64_t now_ns(void);
_Noreturn void die(const char *what, const char *detail);

/* hist.c */
void hist_add(struct hist *h, int64_t ns);
void hist_merge(struct hist *into, const struct hist *from);
double hist_ms(const struct hist *h, double q);	/* quantile q, in ms */

/* options.c: both exit(2) with a message on bad input. */
void options_parse(struct options *o, int argc, char **argv);
void target_resolve(struct bench *b);

/* setup.c: each dies on failure. */
void template_load(struct bench *b);
void tls_setup(struct bench *b);
void nofile_raise(size_t conns);

/* conn.c: a connection up to its completed handshake. */
void conn_sleep(struct conn *c, int64_t until);
bool in_window(const struct bench *b, int64_t t);
void conn_watch(struct conn *c, uint32_t events);
bool conn_wait_tls(struct conn *c);
void conn_close(struct conn *c, bool abort_tcp);
void conn_error(struct conn *c, enum err_kind kind, const char *msg);
void conn_tls_error(struct conn *c, enum err_kind kind, int r);
void conn_open(struct conn *c);
void conn_connected(struct conn *c);
void conn_handshake(struct conn *c);
void conn_schedule_next(struct conn *c, int64_t now);

/* http.c: requests and responses on an established connection. */
void conn_ready(struct conn *c);
void conn_on_event(struct conn *c);
void conn_wake(struct conn *c);

/* worker.c */
void *worker_run(void *arg);	/* the thread's function; arg is its worker */

/* run.c: the run returns the exit status (0 if anything succeeded). */
void bench_setup(struct bench *b);
int run_load(struct bench *b);
int run_idle(struct bench *b);

#endif
