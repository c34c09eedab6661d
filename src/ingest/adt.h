/* An HL7 ADT message from the hospital applied to the store: prepared
 * (sealed under the tenant's key) on the listener's thread, applied on the
 * writer's thread in queue order, and recorded in the audit trail, so the
 * ACK goes out only once the change is durable. The sender is a device of
 * the tenant named in [patients] adt_senders. */
#ifndef MG_INGEST_ADT_H
#define MG_INGEST_ADT_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/keyring.h"
#include "hl7/adt.h"
#include "store/store.h"

struct mg_adt_change {
	enum mg_adt_event event;
	int64_t tenant_id, device_id;
	bool has_identity;
	struct mg_keyring *keys;             /* sealing, on the writer's thread */
	char pid[MG_PATIENT_ID_MAX + 1];     /* clear, memory only */
	struct mg_patient_identity identity; /* clear, memory only */
	struct mg_patient_put put;           /* sealed for the store; blind_index always set */
	unsigned char prior_index[MG_BLIND_INDEX_BYTES]; /* A40 */
	int64_t event_ms;                                /* discharge time (A03) */
	const struct mg_master_key *mk;                  /* the audit trail */
	char address[64];                                /* the sender, for the trail */
	int64_t patient_id;                              /* result: the patient's row */
	int64_t moved;                                   /* result: measurements moved (A40) */
};

/* Whether device_name is one of the comma-separated names in senders. */
bool mg_adt_sender_allowed(const char *senders, const char *device_name);

/* Seal a decoded message of device d for the store into *out. Returns 0
 * or the keyring's error (retry later). */
int mg_adt_prepare(struct mg_keyring *keys, const struct mg_device *d, const char *address,
		   const struct mg_adt *adt, int64_t now_ms, struct mg_adt_change *out);

/* Apply c: create or update the identity (fields the message leaves
 * empty keep their stored value, as HL7 v2 reads an empty field: no
 * change); admit (A01, A04) clears a
 * discharge, A03 sets it; A40 moves the prior id's measurements to the
 * patient. A discharge or merge of a patient medgate does not know
 * changes nothing and succeeds. Records "patient.adt" or "patient.merge"
 * in the audit trail (no identity in it). Returns 0 or the store's
 * error (then nothing of it is stored: send it again). */
int mg_adt_apply(struct mg_store *store, struct mg_adt_change *c);

#endif
