/* EMR forwarding: which destinations a tenant's measurements go to, and
 * one forwarder thread per enabled destination that delivers the outbox
 * rows in order per patient, with retries and dead letters. */
#ifndef MG_OUTBOX_OUTBOX_H
#define MG_OUTBOX_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access/switches.h"
#include "common/config.h"
#include "common/metrics.h"
#include "crypto/keyring.h"
#include "store/store.h"

struct mg_outbox;
struct mg_detector;

/* What forwarding needs; every member must outlive the outbox. */
struct mg_outbox_deps {
	const struct mg_config *cfg;	/* the [emr.NAME] sections */
	struct mg_store *store;
	struct mg_keyring *keys;	/* tenant keys open the patient ids */
	struct mg_switches *switches;	/* may be NULL: always on */
	struct mg_metrics *metrics;	/* may be NULL: nothing counted */
	struct mg_detector *detector;	/* may be NULL: failures only logged */
};

/* Resolve each destination's tenants (names, at start) and start the
 * forwarders of the enabled ones (deps copied). Returns 0 or < 0 (logged). */
int mg_outbox_start(const struct mg_outbox_deps *deps, struct mg_outbox **out);

/* The destinations a measurement of tenant_id goes to: names (pointing
 * into the configuration, valid for the daemon's life) into names. */
size_t mg_outbox_destinations(const struct mg_outbox *ob, int64_t tenant_id,
			      const char **names, size_t max);

/* New rows were committed: wake the forwarders. Thread-safe. */
void mg_outbox_wake(struct mg_outbox *ob);

/* Stop the forwarders (in-flight sends are abandoned; their rows stay
 * pending and are sent again, with the same message id) and free. */
void mg_outbox_stop(struct mg_outbox *ob);

/* Stable message id of measurement_id for this instance: HL7 MSH-10 and
 * the FHIR identifier. */
void mg_outbox_message_id(const char *instance_id, int64_t measurement_id, char *out,
			  size_t outlen);

/* The ids of an outbox row's message: the posting of revision N of
 * measurement_id is "MG<instance>-<id>" for N 0 (the original, as
 * mg_outbox_message_id) and "MG<instance>-<id>-R<N>" after a move; its
 * withdrawal (is_void) has message id "<posting>-W". Both buffers len
 * bytes. 0 or MG_ERR_INVALID if they do not fit. */
int mg_outbox_posting_ids(const char *instance_id, int64_t measurement_id, int64_t revision,
			  bool is_void, char *message_id, char *posting_id, size_t len);

#endif
