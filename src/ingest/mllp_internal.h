/* Shared by the files of the MLLP listener only: mllp_listener.c (the
 * loop, accepting, limits, timers, stopping), mllp_conn.c (one
 * connection: TLS, authentication, framing, writing) and mllp_message.c
 * (one HL7 message: checks, the writer job, the ACK). Everything here
 * runs on the listener's thread, except mllp_job_done and the completion
 * queue it feeds, which the writer thread calls. */
#ifndef MG_INGEST_MLLP_INTERNAL_H
#define MG_INGEST_MLLP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#include "ingest/adt.h"
#include "ingest/mllp_listener.h"
#include "ingest/writer.h"
#include "store/store.h"
#include "tls/ca.h"

#define MLLP_READ_CHUNK		(16 * 1024)	/* one read from a TLS session */
#define MLLP_ACCEPT_BATCH	64		/* accepts per wake-up, then others get a turn */
#define MLLP_ADDRESS_BUCKETS	1024		/* per-address counts, hashed */
#define MLLP_TICK_MS		250		/* how often deadlines are checked */
#define MLLP_PEER_TEXT		64		/* "[2001:db8::1]:65535" and NUL */

enum mllp_state {
	MLLP_HANDSHAKE,		/* TLS handshake under way */
	MLLP_READING,		/* waiting for, or receiving, a message */
	MLLP_STORING,		/* the message is with the writer */
	MLLP_ANSWERING,		/* writing the ACK */
};

struct mllp_job;
struct mg_mllp_framer;
struct mg_hl7_msg;
struct mg_tls_conn;

/* A client address, IPv4 as IPv4-mapped IPv6, for the per-address limit. */
struct mllp_address {
	unsigned char bytes[16];
};

struct mllp_conn {
	struct mg_mllp_listener *l;
	struct mg_tls_conn *tls;
	enum mllp_state state;
	uint32_t events;		/* epoll interest now registered */
	char peer[MLLP_PEER_TEXT];	/* for logs: address and port */
	struct mllp_address address;
	int64_t deadline_ms;		/* monotonic; 0 = none */
	int64_t message_started_ms;	/* first byte of the message being read */
	struct mg_mllp_framer *framer;	/* while a message is being read */
	char *pending;			/* bytes read past the current message */
	size_t pending_off, pending_len;
	struct mg_device device;	/* the authenticated device */
	char fingerprint[MG_CERT_FINGERPRINT_LEN];
	struct mg_hl7_msg *msg;		/* the message being stored, for its ACK */
	struct mllp_job *job;		/* with the writer, or NULL */
	char *out;			/* the framed ACK being written */
	size_t out_len, out_off;
	bool close_after_answer;	/* no further message on this connection */
	bool closed;			/* waiting to be freed at the end of the turn */
	struct mllp_conn *prev, *next;	/* the open ones, or the closed list */
};

/* A message handed to the writer. The writer's done callback hands it back
 * through the completion queue; the loop then answers conn (NULL if the
 * connection went away meanwhile) and frees the job. */
struct mllp_job {
	struct mg_write_job write;
	struct mllp_conn *conn;			/* the loop thread's */
	struct mllp_completions *queue;
	struct mllp_job *next;			/* queue link */
	struct mg_adt_change adt;		/* an ADT message (write.apply set) */
};

/* Jobs finished by the writer, waiting for the loop. Shared by the two
 * threads; lives until the listener and every job given to the writer
 * have let go of it, so a writer answering after the listener stopped
 * still finds it. */
struct mllp_completions {
	pthread_mutex_t lock;
	int event_fd;			/* readable while jobs wait */
	struct mllp_job *head, *tail;
	unsigned refs;			/* the listener, and each job in the writer */
	bool detached;			/* the listener has gone: jobs are freed */
};

struct mllp_address_count {
	struct mllp_address address;
	unsigned count;
	struct mllp_address_count *next;
};

struct mg_mllp_listener {
	struct mg_mllp_deps deps;
	const struct mg_listener_config *cfg;	/* deps.limits */
	gnutls_certificate_credentials_t credentials;
	gnutls_priority_t priorities;
	int listen_fd, epoll_fd, stop_fd;
	struct mllp_completions *completions;
	pthread_t thread;
	atomic_bool quiescing;		/* stop asked: set by any thread */
	bool stopping;			/* the loop has acted on it */
	int64_t stop_deadline_ms;
	struct mllp_conn *conns;	/* every open connection */
	size_t nconns;
	struct mllp_conn *closed;	/* closed this turn, freed at its end */
	bool accept_paused;		/* out of descriptors: retried each tick */
	bool switched_off;		/* the mllp switch is off: socket closed */
	struct mllp_address_count *addresses[MLLP_ADDRESS_BUCKETS];
	int64_t refusal_logged_ms;	/* limit refusals are logged once a second */
	char read_buffer[MLLP_READ_CHUNK];
};

/* ---- mllp_conn.c ---- */

/* Take over the accepted socket fd from peer: start the TLS session and
 * register the connection. Returns 0 or < 0 (fd closed either way). */
int mllp_conn_open(struct mg_mllp_listener *l, int fd, const struct mllp_address *address,
		   const char *peer);

/* Make all the progress the connection can make now, then wait for the
 * right epoll events; closes it on error or at the end. */
void mllp_conn_run(struct mllp_conn *c);

/* The epoll events for c arrived: error/hang-up, or readiness. */
void mllp_conn_event(struct mllp_conn *c, uint32_t events);

/* c passed its deadline: log why and close it. */
void mllp_conn_timeout(struct mllp_conn *c);

/* The writer finished c's message: answer it, then go on. */
void mllp_conn_stored(struct mllp_conn *c, const struct mg_measurement_put *put);

/* Close and free c now; a job with the writer is left to be freed when
 * it comes back. */
void mllp_conn_close(struct mllp_conn *c);

/* Queue the framed form of an ACK for c and go on to write it. Takes over
 * ack (mg_hl7_buffer_free); on failure closes c. */
void mllp_conn_answer(struct mllp_conn *c, char *ack, size_t len);

/* ---- mllp_message.c ---- */

/* Handle one complete message of c (framing removed): refuse it with an
 * ACK, close c, or hand it to the writer (c->state MLLP_STORING). */
void mllp_message_handle(struct mllp_conn *c, const char *buf, size_t len);

/* Answer c's message with code and, if not NULL, the error (takes msg
 * only to read it). */
void mllp_message_answer(struct mllp_conn *c, const struct mg_hl7_msg *received,
			 const char *code, const struct mg_hl7_error *error);

/* A job given to the writer holds the completion queue until its done
 * call (hold); unhold if the writer did not take it. storing: c waits for
 * job's answer to msg (kept for the ACK). */
void mllp_job_hold(struct mllp_conn *c, struct mllp_job *job);
void mllp_job_unhold(struct mllp_job *job);
void mllp_message_storing(struct mllp_conn *c, struct mllp_job *job, struct mg_hl7_msg *msg);

/* ---- mllp_adt.c ---- */

/* Handle an ADT message of c (msg taken over): refuse it (AR, not an ADT
 * sender or not valid), or hand it to the writer (c->state MLLP_STORING). */
void mllp_adt_handle(struct mllp_conn *c, struct mg_hl7_msg *msg);

/* Answer c's stored message from the writer's result (AA, or AE). */
void mllp_message_answer_stored(struct mllp_conn *c, const struct mg_measurement_put *put);

/* Check c's device again in the store (its status may have changed since
 * the handshake). Returns 0, MG_ERR_DENIED (logged) or MG_ERR_STORE. */
int mllp_device_check(struct mllp_conn *c);

/* Record a refused device connection in the audit trail (detection
 * reads it there). */
void mllp_refused(struct mllp_conn *c, int64_t device_id, int64_t tenant_id,
		  const char *reason);

/* The completion queue: new (refs 1, the listener's), the writer's done
 * callback, take everything queued, and the listener letting go. */
int mllp_completions_new(struct mllp_completions **out);
void mllp_job_done(struct mg_write_job *job, void *arg);
struct mllp_job *mllp_completions_take(struct mllp_completions *q);
void mllp_completions_detach(struct mllp_completions *q);

/* Wipe and free a job (it holds the patient identifier in clear). */
void mllp_job_free(struct mllp_job *job);

/* ---- mllp_listener.c ---- */

/* Change c's epoll interest to events (0: none, only errors). */
void mllp_listener_watch(struct mllp_conn *c, uint32_t events);

/* Register the new connection c (epoll, list, address count), waiting
 * for input. Returns 0 or < 0 (c untouched). */
int mllp_listener_add(struct mllp_conn *c);

/* Forget c: unregister it, drop its address count, and free it at the end
 * of the loop's turn (c->closed must be set). */
void mllp_listener_forget(struct mllp_conn *c);

/* Monotonic milliseconds. */
int64_t mllp_now(void);

#endif
