/* ACK messages (HL7 v2.6 chapter 2, "Acknowledgment messages"; ERR per
 * chapter 2.15.5; condition codes from table 0357). */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"
#include "hl7/ack.h"
#include "hl7/internal.h"
#include "hl7/pcd01.h"

#define ACK_DEFAULT_VERSION	"2.6"
#define ACK_ID_RANDOM_BYTES	9	/* "MG" + 18 hex digits: 20 characters */
#define HD_PART_MAX		256	/* one component of MSH-3..6 we echo */

/* Copy the received MSH field (an HD: up to 3 components) into the ACK,
 * decoded with the sender's delimiters and escaped with ours. */
static void put_hd(struct hl7_out *out, const struct mg_hl7_msg *m, unsigned field)
{
	char part[HD_PART_MAX];
	unsigned last = 0;

	/* Components after the last non-empty one are left out. */
	for (unsigned c = 1; c <= 3; c++)
		if (mg_hl7_text(m, 0, field, c, part, sizeof(part)) == 0 && part[0] != '\0')
			last = c;
	for (unsigned c = 1; c <= last; c++) {
		if (c > 1)
			hl7_out_str(out, "^");
		if (mg_hl7_text(m, 0, field, c, part, sizeof(part)) == 0)
			hl7_out_text(out, part);
	}
}

/* A received value we repeat only if it has the expected plain shape. */
static void received_token(const struct mg_hl7_msg *m, unsigned field, unsigned component,
			   const char *allowed, size_t maxlen, const char *fallback,
			   char *out, size_t outsize)
{
	size_t n;

	(void)snprintf(out, outsize, "%s", fallback);
	if (m == NULL || mg_hl7_text(m, 0, field, component, out, outsize) != 0)
		goto fallback;
	n = strlen(out);
	if (n == 0 || n > maxlen || strspn(out, allowed) != n)
		goto fallback;
	return;
fallback:
	(void)snprintf(out, outsize, "%s", fallback);
}

static void put_msh(struct hl7_out *out, const struct mg_hl7_msg *m, const char *now)
{
	unsigned char random[ACK_ID_RANDOM_BYTES];
	char id[MG_HEX_TEXT_LEN(ACK_ID_RANDOM_BYTES)], event[8], processing[4], version[16];

	hl7_out_str(out, "MSH|^~\\&|");
	if (m != NULL) {
		put_hd(out, m, 5);	/* we answer as whom they addressed */
		hl7_out_str(out, "|");
		put_hd(out, m, 6);
		hl7_out_str(out, "|");
		put_hd(out, m, 3);
		hl7_out_str(out, "|");
		put_hd(out, m, 4);
	} else {
		hl7_out_str(out, MG_HL7_SENDING_APPLICATION "|||");
	}
	received_token(m, 9, 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 3, "", event,
		       sizeof(event));
	received_token(m, 11, 1, "PTD", 1, "P", processing, sizeof(processing));
	received_token(m, 12, 1, "0123456789.", 8, ACK_DEFAULT_VERSION, version,
		       sizeof(version));
	if (strncmp(version, "2.", 2) != 0)
		(void)snprintf(version, sizeof(version), "%s", ACK_DEFAULT_VERSION);
	hl7_out_printf(out, "|%s||ACK%s%s%s|MG", now, event[0] ? "^" : "", event,
		       event[0] ? "^ACK" : "");
	randombytes_buf(random, sizeof(random));
	(void)mg_hex_encode(random, sizeof(random), MG_HEX_UPPER, id, sizeof(id));
	hl7_out_str(out, id);
	hl7_out_printf(out, "|%s|%s\r", processing, version);
}

static void put_err(struct hl7_out *out, const struct mg_hl7_error *e)
{
	/* ERR-2 (ERL): segment id ^ sequence ^ field position */
	hl7_out_str(out, "ERR||");
	if (e->segment[0] != '\0') {
		hl7_out_text(out, e->segment);
		hl7_out_printf(out, "^%u", e->sequence > 0 ? e->sequence : 1);
		if (e->field > 0)
			hl7_out_printf(out, "^%u", e->field);
	}
	hl7_out_printf(out, "|%u^", e->code);
	hl7_out_text(out, mg_hl7_condition_name(e->code));
	hl7_out_str(out, "^HL70357|E||||");
	hl7_out_text(out, e->text);
	hl7_out_str(out, "\r");
}

int mg_hl7_encode_ack(const struct mg_hl7_msg *received, const char *code,
		      const struct mg_hl7_error *error, int64_t now_ms,
		      char **out, size_t *len)
{
	char now[HL7_DTM_LEN], control_id[MG_HL7_CONTROL_ID_MAX + 1] = "";
	struct hl7_out b;
	int accept;

	*out = NULL;
	*len = 0;
	if (code == NULL)
		return MG_ERR_INVALID;
	accept = strcmp(code, "AA") == 0;
	if (!accept && strcmp(code, "AE") != 0 && strcmp(code, "AR") != 0)
		return MG_ERR_INVALID;
	if (accept != (error == NULL) || hl7_dtm_format(now_ms, now) != 0)
		return MG_ERR_INVALID;
	if (received != NULL && mg_hl7_text(received, 0, 10, 1, control_id,
					     sizeof(control_id)) != 0)
		control_id[0] = '\0';	/* unreadable: answered with an empty MSA-2 */
	hl7_out_init(&b, MG_HL7_MESSAGE_MAX);
	put_msh(&b, received, now);
	hl7_out_printf(&b, "MSA|%s|", code);
	hl7_out_text(&b, control_id);
	hl7_out_str(&b, "\r");
	if (!accept)
		put_err(&b, error);
	sodium_memzero(control_id, sizeof(control_id));
	return hl7_out_finish(&b, out, len);
}

bool mg_hl7_ack_accepted(const struct mg_hl7_ack *ack)
{
	return strcmp(ack->code, "AA") == 0 || strcmp(ack->code, "CA") == 0;
}

static unsigned read_condition(const struct mg_hl7_msg *m)
{
	struct mg_hl7_pos eld_code = { 1, 1, 4, 1 };	/* v2.3 ERR-1.4.1 */
	char text[16];
	size_t seg;
	unsigned long v = 0;

	if (mg_hl7_segment_find(m, "ERR", 1, &seg) != 0)
		return 0;
	if (mg_hl7_text(m, seg, 3, 1, text, sizeof(text)) != 0 || text[0] == '\0')
		if (mg_hl7_text_at(m, seg, &eld_code, text, sizeof(text)) != 0)
			return 0;
	if (text[0] == '\0' || strlen(text) > 5 || strspn(text, "0123456789") != strlen(text))
		return 0;
	for (const char *p = text; *p != '\0'; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	return (unsigned)v;
}

__attribute__((format(printf, 3, 4)))
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
}

int mg_hl7_parse_ack(const char *buf, size_t len, struct mg_hl7_ack *ack,
		     char *err, size_t errlen)
{
	static const char *const codes[] = { "AA", "AE", "AR", "CA", "CE", "CR", NULL };
	struct mg_hl7_error e;
	struct mg_hl7_msg *m = NULL;
	char text[16];
	size_t msa;
	int r;

	memset(ack, 0, sizeof(*ack));
	set_err(err, errlen, "%s", "");
	if ((r = mg_hl7_parse(buf, len, &m, &e)) != 0) {
		set_err(err, errlen, "%s", e.text);
		return r;
	}
	r = MG_ERR_INVALID;
	if (mg_hl7_text(m, 0, 9, 1, text, sizeof(text)) != 0 || strcmp(text, "ACK") != 0) {
		set_err(err, errlen, "MSH-9: not an ACK");
		goto out;
	}
	if (mg_hl7_segment_find(m, "MSA", 1, &msa) != 0) {
		set_err(err, errlen, "no MSA segment");
		goto out;
	}
	if (mg_hl7_text(m, msa, 1, 1, text, sizeof(text)) != 0)
		text[0] = '\0';
	for (size_t i = 0; codes[i] != NULL; i++)
		if (strcmp(text, codes[i]) == 0)
			memcpy(ack->code, codes[i], 3);
	if (ack->code[0] == '\0') {
		set_err(err, errlen, "MSA-1: not an acknowledgment code (table 0008)");
		goto out;
	}
	if (mg_hl7_text(m, msa, 2, 1, ack->control_id, sizeof(ack->control_id)) != 0) {
		set_err(err, errlen, "MSA-2: unreadable or longer than %d bytes",
			       MG_HL7_CONTROL_ID_MAX);
		goto out;
	}
	ack->error_code = read_condition(m);
	r = 0;
out:
	mg_hl7_msg_free(m);
	if (r != 0) {
		memset(ack, 0, sizeof(*ack));
		if (err != NULL && errlen > 0 && err[0] == '\0')
			set_err(err, errlen, "%s", "invalid ACK");
	}
	return r;
}
