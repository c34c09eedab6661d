/* The store front's sealing of measurement values (docs/keys.md): sealed
 * before a back end sees them, opened after it read them, and a value
 * that does not open raises store.tampered. */
#include "store/ops.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"

#define TAMPERED_GROUP_MS (24LL * 3600 * 1000)	/* one alert per row a day */

/* The keyring reads wrapped tenant keys from the store (crypto/ is below
 * store/ and never includes it). */
static int wrapped_key(void *arg, int64_t tenant_id, unsigned char *wrapped, size_t len)
{
	struct mg_tenant t;
	int r;

	if (len != sizeof(t.wrapped_key))
		return MG_ERR_INVALID;
	if ((r = mg_store_tenant_by_id(arg, tenant_id, &t)) == 0)
		memcpy(wrapped, t.wrapped_key, len);
	return r;
}

void mg_store_set_keyring(struct mg_store *s, struct mg_keyring *kr)
{
	s->keys = kr;
	if (kr != NULL)
		mg_keyring_set_source(kr, wrapped_key, s);
}

int mg_store_values_seal(struct mg_store *s, struct mg_measurement_put *p)
{
	const struct mg_measurement *m = p->m;
	const struct mg_tenant_key *tk;
	int r;

	if (s->keys == NULL)
		return MG_ERR_CRYPTO;
	if ((r = mg_keyring_tenant(s->keys, m->tenant_id, &tk)) != 0)
		return r;
	for (size_t i = 0; i < m->nvalues; i++) {
		struct mg_value_site site = {
			.tenant_id = m->tenant_id, .device_id = m->device_id,
			.device_mid = m->device_mid, .position = (int64_t)i,
			.quantity = m->values[i].quantity->name,
			.unit = m->values[i].quantity->ucum,
		};

		if ((r = mg_value_seal(tk, &site, m->values[i].value, p->sealed_values[i])) != 0)
			return r;
	}
	return 0;
}

/* Raise store.tampered for row: its id only, nothing of its values or
 * its patient. A failure to raise is logged, the row stays hidden. */
static void raise_tampered(struct mg_store *s, const struct mg_measurement_row *row)
{
	struct mg_alert a;
	int64_t id, count, now = mg_now_ms();

	memset(&a, 0, sizeof(a));
	snprintf(a.kind, sizeof(a.kind), "store.tampered");
	a.severity = MG_SEVERITY_HIGH;
	snprintf(a.subject, sizeof(a.subject), "measurement:%lld", (long long)row->id);
	snprintf(a.summary, sizeof(a.summary),
		 "measurement %lld: a sealed value does not open (changed in the database, or"
		 " moved from another row); it is not shown and not forwarded",
		 (long long)row->id);
	a.tenant_id = row->tenant_id;
	a.first_ms = a.last_ms = now;
	if (s->ops->alert_raise(s, &a, now - TAMPERED_GROUP_MS, &id, &count) != 0)
		mg_store_fault(s, "alert", "cannot raise store.tampered for measurement %lld",
			       (long long)row->id);
}

int mg_store_values_open(struct mg_store *s, struct mg_measurement_row *row, bool *tampered)
{
	const struct mg_tenant_key *tk;
	int r;

	*tampered = false;
	if (s->keys == NULL)
		return MG_ERR_CRYPTO;
	if ((r = mg_keyring_tenant(s->keys, row->tenant_id, &tk)) != 0)
		return r;
	for (size_t i = 0; i < row->nvalues; i++) {
		struct mg_value_site site = {
			.tenant_id = row->tenant_id, .device_id = row->device_id,
			.device_mid = row->device_mid, .position = row->values[i].position,
			.quantity = row->values[i].quantity, .unit = row->values[i].unit,
		};

		if (mg_value_open(tk, &site, row->values[i].sealed, row->values[i].sealed_len,
				  &row->values[i].value) != 0) {
			for (size_t j = 0; j < row->nvalues; j++)
				row->values[j].value = 0;
			raise_tampered(s, row);
			*tampered = true;
			return 0;
		}
	}
	return 0;
}

static int seal_clear_one(void *arg, const struct mg_value_site *site, double value,
			  unsigned char out[MG_VALUE_SEALED_BYTES])
{
	struct mg_store *s = arg;
	const struct mg_tenant_key *tk;
	int r;

	if ((r = mg_keyring_tenant(s->keys, site->tenant_id, &tk)) != 0)
		return r;
	return mg_value_seal(tk, site, value, out);
}

int mg_store_values_seal_clear(struct mg_store *s, int64_t *sealed_out)
{
	*sealed_out = 0;
	if (s->keys == NULL)
		return MG_ERR_CRYPTO;
	return s->ops->values_seal_clear(s, seal_clear_one, s, sealed_out);
}
