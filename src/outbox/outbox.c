/* Destinations per tenant, the instance's message ids, and the set of
 * forwarders. */
#include "outbox/outbox.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"
#include "common/log.h"
#include "model/settings.h"
#include "outbox/forwarder.h"


struct route {
	bool all;		/* tenants = "" */
	size_t ntenants;
	int64_t tenants[MG_USER_TENANTS_MAX];
};

struct mg_outbox {
	struct mg_outbox_deps deps;
	char instance_id[MG_SETTING_INSTANCE_ID_LEN + 1];
	struct route routes[MG_EMR_MAX];
	size_t nforwarders;
	struct mg_forwarder *forwarders[MG_EMR_MAX];
};

void mg_outbox_message_id(const char *instance_id, int64_t measurement_id, char *out,
			  size_t outlen)
{
	snprintf(out, outlen, "MG%s-%lld", instance_id, (long long)measurement_id);
}

int mg_outbox_posting_ids(const char *instance_id, int64_t measurement_id, int64_t revision,
			  bool is_void, char *message_id, char *posting_id, size_t len)
{
	int n;

	if (revision == 0)
		n = snprintf(posting_id, len, "MG%s-%lld", instance_id, (long long)measurement_id);
	else
		n = snprintf(posting_id, len, "MG%s-%lld-R%lld", instance_id,
			     (long long)measurement_id, (long long)revision);
	if (n < 0 || (size_t)n + (is_void ? 2 : 0) >= len)
		return MG_ERR_INVALID;
	snprintf(message_id, len, "%s%s", posting_id, is_void ? "-W" : "");
	return 0;
}

/* The instance id, made once and kept in the store, so every gateway of
 * one store (and every restart) gives a measurement the same message id. */
static int instance_id(struct mg_store *store, char out[MG_SETTING_INSTANCE_ID_LEN + 1])
{
	unsigned char raw[MG_SETTING_INSTANCE_ID_LEN / 2];
	const size_t outlen = MG_SETTING_INSTANCE_ID_LEN + 1;
	int r;

	r = mg_store_setting_get(store, MG_SETTING_INSTANCE_ID, out, outlen);
	if (r == 0 && mg_setting_check(MG_SETTING_INSTANCE_ID, out) == 0)
		return 0;
	if (r != 0 && r != MG_ERR_NOT_FOUND)
		return r;
	randombytes_buf(raw, sizeof(raw));
	if ((r = mg_hex_encode(raw, sizeof(raw), MG_HEX_LOWER, out, outlen)) != 0)
		return r;
	if ((r = mg_store_setting_set(store, MG_SETTING_INSTANCE_ID, out)) != 0)
		return r;
	/* Another gateway may have set it first: read back what won. */
	return mg_store_setting_get(store, MG_SETTING_INSTANCE_ID, out, outlen);
}

static int route_resolve(struct mg_store *store, const struct mg_emr_config *d, struct route *rt)
{
	char names[sizeof(d->tenants)], *save = NULL, *name;
	struct mg_tenant t;
	int r;

	memset(rt, 0, sizeof(*rt));
	if (d->tenants[0] == '\0') {
		rt->all = true;
		return 0;
	}
	memcpy(names, d->tenants, sizeof(names));
	for (name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		while (*name == ' ')
			name++;
		for (size_t n = strlen(name); n > 0 && name[n - 1] == ' '; n--)
			name[n - 1] = '\0';
		if ((r = mg_store_tenant_by_name(store, name, &t)) == MG_ERR_NOT_FOUND) {
			mg_log_warning("outbox: [emr.%s] tenants: no tenant %s (names are read at "
				       "start)", d->name, name);
			continue;
		}
		if (r != 0)
			return r;
		if (rt->ntenants < MG_USER_TENANTS_MAX)
			rt->tenants[rt->ntenants++] = t.id;
	}
	return 0;
}

int mg_outbox_start(const struct mg_outbox_deps *deps, struct mg_outbox **out)
{
	const struct mg_config *cfg = deps->cfg;
	struct mg_outbox *ob;
	int r;

	*out = NULL;
	if ((ob = calloc(1, sizeof(*ob))) == NULL)
		return MG_ERR_NOMEM;
	ob->deps = *deps;
	if ((r = instance_id(deps->store, ob->instance_id)) != 0) {
		mg_log_error("outbox: cannot read or make the instance id: %s", mg_strerror(r));
		goto fail;
	}
	for (size_t i = 0; i < cfg->nemr; i++) {
		if ((r = route_resolve(deps->store, &cfg->emr[i], &ob->routes[i])) != 0)
			goto fail;
	}
	for (size_t i = 0; i < cfg->nemr; i++) {
		if (!cfg->emr[i].enabled) {
			mg_log_info("outbox: [emr.%s] is off; its rows wait", cfg->emr[i].name);
			continue;
		}
		if ((r = mg_forwarder_start(&ob->deps, &cfg->emr[i], ob->instance_id,
					    &ob->forwarders[ob->nforwarders])) != 0)
			goto fail;
		ob->nforwarders++;
	}
	*out = ob;
	return 0;
fail:
	mg_outbox_stop(ob);
	return r;
}

size_t mg_outbox_destinations(const struct mg_outbox *ob, int64_t tenant_id, const char **names,
			      size_t max)
{
	const struct mg_config *cfg;
	size_t n = 0;

	if (ob == NULL)
		return 0;
	cfg = ob->deps.cfg;
	for (size_t i = 0; i < cfg->nemr && n < max; i++) {
		const struct route *rt = &ob->routes[i];
		bool match = rt->all;

		for (size_t k = 0; !match && k < rt->ntenants; k++)
			match = rt->tenants[k] == tenant_id;
		if (match)
			names[n++] = cfg->emr[i].name;
	}
	return n;
}

void mg_outbox_wake(struct mg_outbox *ob)
{
	if (ob == NULL)
		return;
	for (size_t i = 0; i < ob->nforwarders; i++)
		mg_forwarder_wake(ob->forwarders[i]);
}

void mg_outbox_stop(struct mg_outbox *ob)
{
	if (ob == NULL)
		return;
	for (size_t i = 0; i < ob->nforwarders; i++)
		mg_forwarder_stop(ob->forwarders[i]);
	free(ob);
}
