/* RFC 5424 messages carrying DICOM audit messages. The header fields are
 * bounded by the RFC; the XML gets what room is left, and a record too
 * large for it loses its details (said so in the structured data) rather
 * than ever blocking the export. */
#include "audit/syslog.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit/atna.h"
#include "common/err.h"
#include "common/hex.h"
#include "common/textbuf.h"
#include "common/timefmt.h"

/* 32473 is the private enterprise number RFC 5612 reserves for examples;
 * medgate has none of its own, and the SD-ID is documented as ours. */
#define SD_ID "medgate@32473"

static const struct {
	const char *name;
	int code;
} facilities[] = {
	{ "auth", 4 }, { "authpriv", 10 }, { "audit", 13 },
	{ "local0", 16 }, { "local1", 17 }, { "local2", 18 }, { "local3", 19 },
	{ "local4", 20 }, { "local5", 21 }, { "local6", 22 }, { "local7", 23 },
};

int mg_syslog_facility(const char *name, int *code_out)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
		if (strcmp(facilities[i].name, name) == 0) {
			*code_out = facilities[i].code;
			return 0;
		}
	}
	return MG_ERR_INVALID;
}

void mg_syslog_origin_init(struct mg_syslog_origin *o, int facility, const char *site_id)
{
	char host[MG_SYSLOG_HOSTNAME_MAX + 2] = "";

	memset(o, 0, sizeof(*o));
	o->facility = facility >= 0 && facility <= 23 ? facility : 10;
	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	host[MG_SYSLOG_HOSTNAME_MAX] = '\0';
	/* HOSTNAME is 1*255PRINTUSASCII; NILVALUE "-" if unknown. */
	for (size_t i = 0; host[i] != '\0'; i++)
		o->hostname[i] = host[i] > 32 && host[i] < 127 ? host[i] : '_';
	if (o->hostname[0] == '\0')
		o->hostname[0] = '-';
	snprintf(o->procid, sizeof(o->procid), "%ld", (long)getpid());
	if (site_id != NULL)
		snprintf(o->site_id, sizeof(o->site_id), "%s", site_id);
}

int mg_syslog_severity(const struct mg_audit_record *rec)
{
	static const struct {
		const char *name;
		int severity;
	} levels[] = { { "critical", 2 }, { "high", 3 }, { "medium", 4 }, { "low", 5 } };
	int severity = 4;
	json_t *details;
	const char *given;

	if (strncmp(rec->action, "alert.", 6) != 0)
		return strcmp(rec->outcome, "success") == 0 ? 6 : 5;
	details = json_loads(rec->details, JSON_REJECT_DUPLICATES, NULL);
	given = json_string_value(json_object_get(details, "severity"));
	for (size_t i = 0; given != NULL && i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(levels[i].name, given) == 0)
			severity = levels[i].severity;
	}
	json_decref(details);
	return severity;
}

int mg_syslog_param_escape(const char *in, char *out, size_t outlen)
{
	struct mg_textbuf t;
	size_t len;

	mg_textbuf_init(&t, out, outlen);
	for (const char *p = in; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\' || *p == ']')
			mg_textbuf_add(&t, "\\", 1);
		mg_textbuf_add(&t, p, 1);
	}
	return mg_textbuf_finish(&t, &len);
}

/* Everything up to and including the BOM. */
static void header(struct mg_textbuf *t, const struct mg_audit_record *rec,
		   const struct mg_syslog_origin *o, bool truncated)
{
	char time[MG_TIME_TEXT_LEN], hash[MG_HEX_TEXT_LEN(MG_AUDIT_HASH_BYTES)];
	size_t msgid = strnlen(rec->action, MG_SYSLOG_MSGID_MAX);

	if (mg_time_format(rec->time_ms, time, sizeof(time)) != 0)
		memcpy(time, "-", 2);
	(void)mg_hex_encode(rec->hash, sizeof(rec->hash), MG_HEX_LOWER, hash, sizeof(hash));
	mg_textbuf_printf(t, "<%d>1 %s %s medgate %s ", o->facility * 8 + mg_syslog_severity(rec),
			  time, o->hostname, o->procid);
	/* MSGID: the action (a-z 0-9 . _ -), cut to 32 characters. */
	if (msgid == 0)
		mg_textbuf_str(t, "-");
	else
		mg_textbuf_add(t, rec->action, msgid);
	/* seq and hash are digits and hex: nothing to escape. */
	mg_textbuf_printf(t, " [" SD_ID " seq=\"%lld\" hash=\"%s\"%s]", (long long)rec->seq, hash,
			  truncated ? " truncated=\"details\"" : "");
	mg_textbuf_str(t, "[origin software=\"medgate\" swVersion=\"" MG_VERSION "\"] ");
	mg_textbuf_str(t, "\xef\xbb\xbf");	/* MSG is UTF-8 (RFC 5424, 6.4) */
}

static int format_once(const struct mg_audit_record *rec, const struct mg_syslog_origin *o,
		       bool with_details, char *buf, size_t buflen, size_t *len_out)
{
	struct mg_atna_source src = { o->hostname, o->site_id };
	struct mg_textbuf t;
	size_t head, xml;
	int r;

	mg_textbuf_init(&t, buf, buflen);
	header(&t, rec, o, !with_details);
	if ((r = mg_textbuf_finish(&t, &head)) != 0)
		return r;
	if ((r = mg_atna_format(rec, &src, with_details, buf + head, buflen - head, &xml)) != 0) {
		buf[0] = '\0';
		return r;
	}
	*len_out = head + xml;
	return 0;
}

int mg_syslog_format(const struct mg_audit_record *rec, const struct mg_syslog_origin *o,
		     char *buf, size_t buflen, size_t *len_out)
{
	size_t cap = buflen < MG_SYSLOG_MESSAGE_MAX + 1 ? buflen : MG_SYSLOG_MESSAGE_MAX + 1;

	*len_out = 0;
	if (format_once(rec, o, true, buf, cap, len_out) == 0)
		return 0;
	return format_once(rec, o, false, buf, cap, len_out);
}

size_t mg_syslog_frame_prefix(size_t len, char prefix[MG_SYSLOG_FRAME_PREFIX_MAX])
{
	int n = snprintf(prefix, MG_SYSLOG_FRAME_PREFIX_MAX, "%zu ", len);

	return n > 0 && n < MG_SYSLOG_FRAME_PREFIX_MAX ? (size_t)n : 0;
}
