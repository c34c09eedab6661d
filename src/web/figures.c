/* The operations figures (web/figures.h). */
#include "web/figures.h"

#include <math.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "model/settings.h"

/* A setting holding a decimal number, or 0 if absent or unreadable. */
static int64_t setting_number(struct mg_store *store, const char *name)
{
	char value[32];
	int64_t n;

	if (mg_store_setting_get(store, name, value, sizeof(value)) != 0 ||
	    mg_setting_seq_parse(value, &n) != 0)
		return 0;
	return n;
}

void web_figures_read(struct mg_web *web, struct web_figures *f)
{
	const struct mg_config *cfg = web->cfg;
	const int64_t warn_ms = (int64_t)MG_CERT_EXPIRY_WARN_DAYS * 86400 * 1000;

	memset(f, 0, sizeof(*f));
	f->now_ms = mg_now_ms();
	f->store_error = mg_store_figures(web->store, f->now_ms, f->now_ms + warn_ms, &f->store);
	for (int i = 0; i < MG_IF_COUNT; i++)
		f->interface_on[i] = mg_interface_on(web->switches, (enum mg_interface)i);
	for (size_t i = 0; i < cfg->nemr && i < MG_EMR_MAX; i++) {
		struct web_destination *d = &f->dest[f->ndest++];

		d->name = cfg->emr[i].name;
		d->protocol = cfg->emr[i].protocol;
		d->enabled = cfg->emr[i].enabled;
		d->have_stats = mg_store_outbox_stats(web->store, d->name, &d->st) == 0;
		mg_metrics_emr_read(web->metrics, i, &d->live);
	}
	f->syslog_backlog = -1;
	if (cfg->syslog_address[0] != '\0' && f->store_error == 0) {
		int64_t sent = setting_number(web->store, MG_SETTING_SYSLOG_SENT_SEQ);

		f->syslog_backlog =
		    f->store.audit_head_seq > sent ? f->store.audit_head_seq - sent : 0;
	}
	mg_store_space(cfg, &f->store_free_bytes, &f->store_total_bytes);
	f->store_free_min_bytes = (double)cfg->detect_store_free_min * 1024.0 * 1024.0;
	f->backup_last_ms = setting_number(web->store, MG_SETTING_BACKUP_LAST_MS);
	f->drill_last_ms = setting_number(web->store, MG_SETTING_DRILL_LAST_MS);
	f->server_cert_not_after_ms = web->server_cert_not_after_ms;
}
