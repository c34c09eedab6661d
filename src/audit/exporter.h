/* The audit export: a thread of medgated that follows the trail and sends
 * every record, in seq order, to the [syslog] collector (RFC 5424 over
 * RFC 5425). Its position is kept in the store, so an outage or a restart
 * catches up from where it stopped. Delivery is at-least-once: after a
 * broken connection the records not known to have arrived are sent again
 * with the same seq. docs/internals/audit.md says how. */
#ifndef MG_AUDIT_EXPORTER_H
#define MG_AUDIT_EXPORTER_H

#include <stdint.h>

#include "audit/syslog.h"
#include "common/config.h"
#include "store/store.h"

struct mg_audit_exporter;

/* The lease that lets one gateway of several export (the position it keeps
 * is the setting MG_SETTING_SYSLOG_SENT_SEQ). */
#define MG_AUDIT_EXPORT_LEASE	"audit.syslog"

/* The origin of this instance's messages: facility from cfg, the host
 * name, this process, the instance id kept in the store (if any). */
void mg_audit_export_origin(const struct mg_config *cfg, struct mg_store *s,
			    struct mg_syslog_origin *o);

/* The exported position (0 if nothing was ever sent). Returns 0 or the
 * store's error. */
int mg_audit_export_position(struct mg_store *s, int64_t *seq_out);

/* Start exporting if [syslog] address is set (*out stays NULL if not).
 * Returns 0, or MG_ERR_CONFIG / the TLS client's error, logged with the
 * reason (a CA file that cannot be read, a bad address). cfg's [syslog]
 * and store must outlive the exporter; tls_priorities is the TLS
 * profile's GnuTLS string. *out is the caller's (mg_audit_exporter_stop). */
int mg_audit_exporter_start(const struct mg_config *cfg, struct mg_store *store,
			    const char *tls_priorities, struct mg_audit_exporter **out);

/* Stop the thread and free x; NULL is a no-op. */
void mg_audit_exporter_stop(struct mg_audit_exporter *x);

#endif
