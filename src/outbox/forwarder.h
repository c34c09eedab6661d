/* One destination's forwarder: a thread that claims outbox rows, encodes
 * them (HL7 v2 PCD-01 or FHIR), hands them to the destination's sender and
 * settles them by the answer. */
#ifndef MG_OUTBOX_FORWARDER_H
#define MG_OUTBOX_FORWARDER_H

#include "common/config.h"
#include "outbox/outbox.h"
#include "model/outbound.h"
#include "store/store.h"

struct mg_forwarder;

/* Start forwarding to d with deps (which must outlive the forwarder).
 * *out is the caller's (mg_forwarder_stop). */
int mg_forwarder_start(const struct mg_outbox_deps *deps, const struct mg_emr_config *d,
		       const char *instance_id, struct mg_forwarder **out);
void mg_forwarder_wake(struct mg_forwarder *f);
void mg_forwarder_stop(struct mg_forwarder *f);

/* Fill o from a claimed item: open the patient id with the tenant key,
 * look the quantities up. Returns 0, or MG_ERR_* (the item cannot ever be
 * sent: a dead letter). */
int mg_outbound_from_item(struct mg_keyring *keys, const char *instance_id,
			  const struct mg_outbox_item *it, struct mg_outbound *o);

#endif
