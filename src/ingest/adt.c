/* ADT messages applied to the store (ingest/adt.h). */
#include "ingest/adt.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "ingest/patients.h"

bool mg_adt_sender_allowed(const char *senders, const char *device_name)
{
	size_t n = strlen(device_name);

	for (const char *s = senders; *s != '\0';) {
		size_t len;

		s += strspn(s, " ,");
		len = strcspn(s, ",");
		while (len > 0 && s[len - 1] == ' ')
			len--;
		if (len > 0 && len == n && strncmp(s, device_name, n) == 0)
			return true;
		s += strcspn(s, ",");
	}
	return false;
}

int mg_adt_prepare(struct mg_keyring *keys, const struct mg_device *d, const char *address,
		   const struct mg_adt *adt, int64_t now_ms, struct mg_adt_change *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	out->event = adt->event;
	out->tenant_id = d->tenant_id;
	out->device_id = d->id;
	out->has_identity = adt->has_identity;
	out->event_ms = adt->event_ms != 0 ? adt->event_ms : now_ms;
	out->mk = mg_keyring_master(keys);
	snprintf(out->address, sizeof(out->address), "%s", address);
	out->keys = keys;
	memcpy(out->pid, adt->patient_id, sizeof(out->pid));
	out->identity = adt->identity;
	out->put.now_ms = now_ms;
	r = mg_patients_index(keys, d->tenant_id, adt->patient_id, out->put.blind_index);
	if (r == 0 && adt->event == MG_ADT_A40)
		r = mg_patients_index(keys, d->tenant_id, adt->prior_id, out->prior_index);
	return r;
}

static void record(struct mg_store *store, const struct mg_adt_change *c, const char *action,
		   const char *reason)
{
	const struct mg_audit_device_event e = {
	    .device_id = c->device_id,
	    .address = c->address,
	    .action = action,
	    .object_type = "patient",
	    .object_id = c->patient_id,
	    .tenant_id = c->tenant_id,
	    .outcome = MG_AUDIT_SUCCESS,
	    .reason = reason,
	};

	mg_audit_device(store, c->mk, &e);
}

/* The fields the message left empty from the stored identity, if any. */
static int keep_stored(struct mg_store *store, struct mg_adt_change *c)
{
	struct mg_patient_identity old;
	struct mg_patient_row row;
	char pid[MG_PATIENT_ID_MAX + 1];
	struct mg_patient_identity *p = &c->identity;
	int64_t id;
	bool has = false;
	int r;

	r = mg_store_patient_find(store, c->tenant_id, c->put.blind_index, &id);
	if (r == MG_ERR_NOT_FOUND)
		return 0;
	if (r != 0 || (r = mg_store_patient_get(store, id, &row)) != 0 ||
	    (r = mg_patients_open(c->keys, &row, pid, sizeof(pid), &old, &has)) != 0)
		return r;
	if (has) {
		if (p->given[0] == '\0')
			memcpy(p->given, old.given, sizeof(p->given));
		if (p->birth_date[0] == '\0')
			memcpy(p->birth_date, old.birth_date, sizeof(p->birth_date));
		if (p->sex == MG_ADMIN_SEX_UNKNOWN)
			p->sex = old.sex;
		if (p->case_number[0] == '\0')
			memcpy(p->case_number, old.case_number, sizeof(p->case_number));
		if (p->ward[0] == '\0')
			memcpy(p->ward, old.ward, sizeof(p->ward));
	}
	sodium_memzero(&old, sizeof(old));
	return 0;
}

int mg_adt_apply(struct mg_store *store, struct mg_adt_change *c)
{
	char reason[96];
	int64_t from = 0, now = c->put.now_ms;
	bool created = false;
	int r;

	if (c->has_identity) {
		if ((r = keep_stored(store, c)) != 0 ||
		    (r = mg_patients_seal(c->keys, c->tenant_id, c->pid, &c->identity, now,
					  &c->put)) != 0)
			return r;
		r = mg_store_patient_put(store, &c->put, &c->patient_id, &created);
	} else
		r = mg_store_patient_find(store, c->tenant_id, c->put.blind_index, &c->patient_id);
	if (r == MG_ERR_NOT_FOUND && !c->has_identity)
		return 0; /* a discharge of nobody medgate knows */
	if (r != 0)
		return r;
	if (c->event == MG_ADT_A01 || c->event == MG_ADT_A04 || c->event == MG_ADT_A03)
		r = mg_store_patient_discharge(store, c->patient_id,
					       c->event == MG_ADT_A03 ? c->event_ms : 0);
	if (r == MG_ERR_NOT_FOUND)
		r = 0; /* no identity to mark */
	if (r == 0 && c->event == MG_ADT_A40) {
		r = mg_store_patient_merge(store, c->tenant_id, c->prior_index, c->patient_id,
					   mg_now_ms(), &from, &c->moved);
		if (r == MG_ERR_NOT_FOUND)
			r = 0; /* the prior id had nothing here */
	}
	if (r != 0)
		return r;
	snprintf(reason, sizeof(reason), "ADT %s%s", mg_adt_event_code(c->event),
		 created ? ", identity created" : "");
	record(store, c, "patient.adt", reason);
	if (c->event == MG_ADT_A40 && from != 0 && from != c->patient_id) {
		snprintf(reason, sizeof(reason), "merged patient %lld: %lld measurements moved",
			 (long long)from, (long long)c->moved);
		record(store, c, "patient.merge", reason);
	}
	return 0;
}
