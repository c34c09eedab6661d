/* A sender reaches one EMR destination with up to a fixed number of
 * messages in flight (one per connection). The destination's forwarder
 * thread drives it: submit when a slot is free, poll for progress, and
 * hear of each finished send through a callback. Senders are
 * event-driven: one thread, many connections, no blocking call. */
#ifndef MG_OUTBOX_SENDER_H
#define MG_OUTBOX_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "store/store.h"

enum mg_send_verdict {
	MG_SEND_DELIVERED,	/* the EMR took it (HL7 AA; FHIR 2xx per entry) */
	MG_SEND_RETRY,		/* try again later (down, slow, AE, 5xx, garbage) */
	MG_SEND_REJECTED,	/* refused for good (HL7 AR; FHIR 4xx + OperationOutcome) */
};

struct mg_send_result {
	int64_t item_id;		/* as given to submit */
	enum mg_send_verdict verdict;
	char why[MG_OUTBOX_ERROR_MAX];	/* for the outbox row and the log; no patient data */
	/* A failure retrying will not fix without an operator: the EMR's
	 * certificate not trusted or for another host name, the TLS
	 * handshake or protocol refused. Still MG_SEND_RETRY (it may be
	 * fixed on the other side), but alerted at once. */
	bool permanent;
};

typedef void (*mg_send_done_fn)(void *arg, const struct mg_send_result *result);

struct mg_sender;

struct mg_sender_ops {
	/* Slots free for a new message now. */
	size_t (*free_slots)(struct mg_sender *s);
	/* Start sending message (len bytes, copied) for item_id on a free
	 * slot. The forwarder never has two messages of one patient in
	 * flight, so slots may finish in any order. control_id is what the
	 * answer must acknowledge (HL7 MSH-10). scrub (or NULL) is the
	 * patient id: a receiver may quote it in an error, and no why may
	 * carry it, in any case or encoding.
	 * Returns 0, or MG_ERR_BUSY if no slot is free. */
	int (*submit)(struct mg_sender *s, int64_t item_id, const char *message, size_t len,
		      const char *control_id, const char *scrub);
	/* Make progress for at most timeout_ms (less if woken), calling done
	 * for each send that finished. Returns 0 or < 0 on a fatal error. */
	int (*poll)(struct mg_sender *s, int timeout_ms, mg_send_done_fn done, void *arg);
	/* Interrupt a poll from another thread (new work, stopping). */
	void (*wake)(struct mg_sender *s);
	/* Abort what is in flight (no done calls) and free. */
	void (*free)(struct mg_sender *s);
};

struct mg_sender {
	const struct mg_sender_ops *ops;
};

/* HL7 v2 over MLLP (plain or TLS) to d->address, d->connections slots;
 * paths in d are resolved against cfg. On failure err says why. */
int mg_mllp_sender_new(const struct mg_config *cfg, const struct mg_emr_config *d,
		       struct mg_sender **out, char *err, size_t errlen);

/* FHIR R4 transaction Bundles over HTTPS (libcurl) to d->url. */
int mg_fhir_sender_new(const struct mg_config *cfg, const struct mg_emr_config *d,
		       struct mg_sender **out, char *err, size_t errlen);

#endif
