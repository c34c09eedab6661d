/* What the MLLP sender suites share (test_mllp_sender.c,
 * test_mllp_sender_contract.c): CAs and certificates in a temp dir, a
 * small scripted MLLP server in a thread on 127.0.0.1 (plain or TLS), and
 * the client-side helpers that drive a sender and check its results.
 * mllp_sender_fixture.c is linked into each (tests/tests.cmake). */
#ifndef MG_TEST_MLLP_SENDER_FIXTURE_H
#define MG_TEST_MLLP_SENDER_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>

#include "common/config.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "hl7/hl7.h"
#include "outbox/mllp_ack.h"
#include "outbox/sender.h"
#include "tls/ca.h"
#include "tls/profile.h"

/* The patient in every message, whom no reason (why) may repeat. */
#define PATIENT_ID	"PAT4711"
#define PATIENT_NAME	"Doe"

struct fixture {
	char dir[64];
	char ca[128];			/* trusted by the sender */
	char server_cert[128], server_key[128];		/* from ca: localhost, 127.0.0.1, ::1 */
	char rogue_cert[128], rogue_key[128];		/* same names, another CA */
	char other_cert[128], other_key[128];		/* from ca, for emr.example only */
	char client_cert[128], client_key[128];		/* from ca, key 0600 */
	char open_cert[128], open_key[128];		/* from ca, key 0644 */
};

/* Set by group_setup for the whole program, freed by group_teardown. */
extern struct fixture *fx;

int group_setup(void **state);
int group_teardown(void **state);

/* ---- the test MLLP server ---- */

/* How the server answers a message. */
enum how {
	ANSWER_AA,
	ANSWER_CA,
	ANSWER_AE,
	ANSWER_AR,		/* with an ERR that repeats the patient's id and name */
	ANSWER_AR_BARE,		/* no ERR, no MSA-3 */
	ANSWER_GARBAGE,		/* framed, but not HL7 */
	ANSWER_BAD_FRAME,	/* not MLLP */
	ANSWER_WRONG_ID,
	ANSWER_NOTHING,		/* read, never answer */
	ANSWER_CLOSE,		/* read, close without a word */
	ANSWER_AA_CLOSE,	/* answer, then close */
	ANSWER_AA_TRAILING,	/* answer plus stray bytes */
	ANSWER_AA_JUNK_LATER,	/* answer; a little later, bytes nobody asked for */
};

struct server {
	int lfd, stop_fd;
	char port[8];
	bool tls, require_cert;
	const char *cert, *key;
	enum how script[4];	/* for the first messages; later ones get AA */
	size_t reverse;		/* > 0: that many connections, one message each, answers reversed */
	pthread_t thread;
	atomic_int accepted, messages, handshakes_failed;
};

/* A server bound to an ephemeral port of address (fx's server
 * certificate, answering the first message as first), not yet serving;
 * NULL if the address cannot be bound. server_run starts its thread. */
struct server *server_start_at(const char *address, bool tls, enum how first);
void server_run(struct server *srv);
/* server_start_at("127.0.0.1", ...) and server_run. */
struct server *server_start(bool tls, enum how first);
/* Stop the thread, close, free srv. */
void server_stop(struct server *srv);

/* ---- the client side ---- */

/* Results collected by on_done, the poll callback. */
struct outcome {
	size_t n;
	struct mg_send_result r[16];
};

void on_done(void *arg, const struct mg_send_result *res);
/* Poll until n sends have finished in all, failing after max_ms. */
void run_until(struct mg_sender *s, struct outcome *o, size_t n, int max_ms);

/* A destination: the configuration a sender is made from. */
struct dest {
	struct mg_config cfg;
	struct mg_emr_config d;
};

/* An hl7-mllp destination at host and srv's port (port 9 if srv is NULL),
 * the test CA trusted, one connection, 5 s timeout. */
void dest_init(struct dest *dt, const char *host, const struct server *srv, bool tls);
struct mg_sender *sender_new(struct dest *dt);	/* fails the test if refused */
/* A PCD-01-like message with control id id and a patient the EMR may not
 * repeat; returns its length. */
size_t make_message(char *buf, size_t size, const char *id);
void submit(struct mg_sender *s, int64_t item, const char *id);
/* Send one message, expect (verdict, why); then one more, answered AA. */
void expect_one(struct mg_sender *s, enum mg_send_verdict v, const char *why, int max_ms);

#endif
