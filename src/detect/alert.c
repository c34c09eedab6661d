/* Raising an alert: group it in the store, record it in the audit trail
 * (which carries it to syslog), and queue an e-mail for the security
 * contacts on the mailer (notify/mailer.h), so a slow or absent mail
 * server never holds up a request or the detector. */
#include "detect/internal.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "notify/mailer.h"
#include "notify/text.h"

bool detect_count_told(int64_t n)
{
	while (n >= 10 && n % 10 == 0)
		n /= 10;
	return n == 1;
}

static void mail_queue(struct mg_detector *d, const struct mg_alert *a, int64_t id,
		       int64_t count)
{
	const char *to[MG_MAIL_RECIPIENTS_MAX];
	char subject[MG_MAIL_SUBJECT_MAX], body[MAIL_BODY_MAX], when[40] = "";
	char idtext[24], counttext[24];
	const char *lang = d->cfg->mail_language;	/* contacts are addresses, not accounts */
	static const enum mg_text_id severity_text[] = {
		[MG_SEVERITY_LOW] = MG_TEXT_SEVERITY_LOW,
		[MG_SEVERITY_MEDIUM] = MG_TEXT_SEVERITY_MEDIUM,
		[MG_SEVERITY_HIGH] = MG_TEXT_SEVERITY_HIGH,
		[MG_SEVERITY_CRITICAL] = MG_TEXT_SEVERITY_CRITICAL,
	};
	const char *severity;

	if (d->mailer == NULL || d->nrecipients == 0 || d->cfg->smtp_url[0] == '\0')
		return;
	for (size_t i = 0; i < d->nrecipients; i++)
		to[i] = d->recipients[i];
	mg_time_format(a->last_ms, when, sizeof(when));
	severity = (unsigned)a->severity < sizeof(severity_text) / sizeof(severity_text[0])
		? mg_text(lang, severity_text[a->severity]) : mg_severity_name(a->severity);
	snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
	snprintf(counttext, sizeof(counttext), "%lld", (long long)count);
	const struct mg_text_arg args[] = {
		{ "id", idtext }, { "kind", a->kind }, { "severity", severity },
		{ "subject", a->subject }, { "count", counttext }, { "last", when },
		{ "summary", a->summary }, { "url", d->cfg->public_url },
	};
	size_t nargs = sizeof(args) / sizeof(args[0]);

	if (mg_text_fill(subject, sizeof(subject),
			 mg_text(lang, count > 1 ? MG_TEXT_ALERT_SUBJECT_REPEATED : MG_TEXT_ALERT_SUBJECT),
			 args, nargs) != 0 ||
	    mg_text_fill(body, sizeof(body), mg_text(lang, MG_TEXT_ALERT_BODY), args, nargs) != 0) {
		mg_log_warning("alerts: alert %lld not mailed: its text does not fit", (long long)id);
		return;
	}
	if (mg_mailer_queue(d->mailer, "alerts", to, d->nrecipients, subject, body) != 0)
		mg_log_warning("alerts: alert %lld not mailed", (long long)id);
}

static void audit_alert(struct mg_detector *d, const struct mg_alert *a, int64_t id,
			int64_t count)
{
	struct mg_audit_event e;
	char object[48], details[256];
	int r;

	mg_audit_object("alert", id, object, sizeof(object));
	snprintf(details, sizeof(details),
		 "{\"kind\":\"%s\",\"severity\":\"%s\",\"subject\":\"%s\",\"count\":%lld}",
		 a->kind, mg_severity_name(a->severity), a->subject, (long long)count);
	memset(&e, 0, sizeof(e));
	e.time_ms = a->last_ms;
	e.actor = "system";
	e.address = "local";
	e.action = "alert.raised";
	e.object = object;
	e.tenant_id = a->tenant_id;
	e.outcome = MG_AUDIT_SUCCESS;
	e.details = details;
	if ((r = mg_audit_append(d->store, mg_keyring_master(d->keys), &e)) != 0)
		mg_log_error("alerts: cannot record alert %lld: %s", (long long)id, mg_strerror(r));
}

/* Kinds and subjects are made by the rules from fixed words, ids and
 * addresses; anything else (an IPv6 zone, say) becomes '_', so JSON, mail
 * and syslog never need to quote them. */
static void word_clean(char *s)
{
	for (; *s != '\0'; s++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789._-:ABCDEF", *s) == NULL)
			*s = '_';
}

static int alert_raise(struct mg_detector *d, int64_t caused_by, const char *kind,
		       enum mg_alert_severity sev, const char *subject, int64_t tenant_id,
		       const char *summary, va_list ap)
	__attribute__((format(printf, 7, 0)));

static int alert_raise(struct mg_detector *d, int64_t caused_by, const char *kind,
		       enum mg_alert_severity sev, const char *subject, int64_t tenant_id,
		       const char *summary, va_list ap)
{
	struct mg_alert a;
	int64_t id, count;
	int r;

	memset(&a, 0, sizeof(a));
	snprintf(a.kind, sizeof(a.kind), "%s", kind);
	snprintf(a.subject, sizeof(a.subject), "%s", subject);
	vsnprintf(a.summary, sizeof(a.summary), summary, ap);
	a.severity = sev;
	a.caused_by = caused_by > 0 ? caused_by : 0;
	a.tenant_id = tenant_id;
	a.last_ms = mg_now_ms();
	word_clean(a.kind);
	word_clean(a.subject);
	for (char *p = a.summary; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == '"' || *p == '\\')
			*p = ' ';
	if (d == NULL) {
		mg_log_warning("alert %s (%s) on %s: %s", a.kind, mg_severity_name(sev), a.subject,
			       a.summary);
		return 0;
	}
	r = mg_store_alert_raise(d->store, &a,
				      a.last_ms - (int64_t)d->cfg->alerts_group_window * 1000,
				      &id, &count);
	if (r != 0) {
		mg_log_error("alerts: cannot store alert %s on %s: %s", a.kind, a.subject,
			     mg_strerror(r));
		return r;
	}
	if (!detect_count_told(count))
		return 0;
	mg_log_warning("alert %lld: %s (%s) on %s, %lld time%s: %s", (long long)id, a.kind,
		       mg_severity_name(sev), a.subject, (long long)count, count == 1 ? "" : "s",
		       a.summary);
	audit_alert(d, &a, id, count);
	mail_queue(d, &a, id, count);
	return 0;
}

int mg_alert_raise(struct mg_detector *d, const char *kind, enum mg_alert_severity sev,
		   const char *subject, int64_t tenant_id, const char *summary, ...)
{
	va_list ap;
	int r;

	va_start(ap, summary);
	r = alert_raise(d, 0, kind, sev, subject, tenant_id, summary, ap);
	va_end(ap);
	return r;
}

int mg_alert_raise_by(struct mg_detector *d, int64_t caused_by, const char *kind,
		      enum mg_alert_severity sev, const char *subject, int64_t tenant_id,
		      const char *summary, ...)
{
	va_list ap;
	int r;

	va_start(ap, summary);
	r = alert_raise(d, caused_by, kind, sev, subject, tenant_id, summary, ap);
	va_end(ap);
	return r;
}
