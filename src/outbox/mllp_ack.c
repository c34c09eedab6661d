/* What an EMR's ACK means for the outbox row, and a why that is safe to
 * store and log. The EMR's free text may repeat what it did not like,
 * patient identifiers included; we cannot know every identifier, so the
 * text is cut short and every word that looks like one (4 digits or
 * more) or occurs in the PID segment we sent is blanked out. */
#include "outbox/mllp_ack.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "hl7/ack.h"
#include "hl7/hl7.h"

#define WHY_INPUT_MAX	512	/* of the EMR's text looked at, before cutting */

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The PID segment of sent, without its id: [*pid, *pid + *len). */
static void pid_segment(const char *sent, size_t sent_len, const char **pid, size_t *len)
{
	*pid = NULL;
	*len = 0;
	for (size_t i = 0; sent != NULL && i + 4 <= sent_len; i++) {
		if ((sent[i] == '\r' || sent[i] == '\n') && memcmp(sent + i + 1, "PID", 3) == 0) {
			size_t start = i + 4, end = start;

			while (end < sent_len && sent[end] != '\r' && sent[end] != '\n')
				end++;
			*pid = sent + start;
			*len = end - start;
			return;
		}
	}
}

/* Is w[0..n) a whole word of seg (ignoring case)? */
static bool word_in(const char *w, size_t n, const char *seg, size_t seglen)
{
	size_t i = 0;

	while (i < seglen) {
		size_t start;

		while (i < seglen && !is_word_char(seg[i]))
			i++;
		start = i;
		while (i < seglen && is_word_char(seg[i]))
			i++;
		if (i - start == n && n > 0 && strncasecmp(seg + start, w, n) == 0)
			return true;
	}
	return false;
}

static bool word_secret(const char *w, size_t n, const char *pid, size_t pidlen)
{
	size_t ndigits = 0;

	for (size_t i = 0; i < n; i++)
		ndigits += w[i] >= '0' && w[i] <= '9';
	return ndigits >= 4 || word_in(w, n, pid, pidlen);
}

/* Append n bytes to out (size outlen, length *len), cutting at max. */
static void put(char *out, size_t outlen, size_t max, size_t *len, const char *s, size_t n)
{
	if (max > outlen - 1)
		max = outlen - 1;
	if (*len >= max)
		return;
	if (n > max - *len)
		n = max - *len;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
}

static void why_words(const char *text, const char *pid, size_t pidlen, char *out, size_t outlen)
{
	char clean[WHY_INPUT_MAX + 1];
	size_t n = 0, len = 0;

	out[0] = '\0';
	if (outlen == 0)
		return;
	/* One line of printable ASCII, blanks collapsed. */
	for (size_t i = 0; text[i] != '\0' && n < WHY_INPUT_MAX; i++) {
		char c = text[i] >= 0x21 && text[i] <= 0x7e ? text[i] : ' ';

		if (c == ' ' && (n == 0 || clean[n - 1] == ' '))
			continue;
		clean[n++] = c;
	}
	while (n > 0 && clean[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < n;) {
		size_t start = i;

		if (!is_word_char(clean[i])) {
			put(out, outlen, MG_MLLP_WHY_TEXT_MAX, &len, clean + i, 1);
			i++;
			continue;
		}
		while (i < n && is_word_char(clean[i]))
			i++;
		if (word_secret(clean + start, i - start, pid, pidlen))
			put(out, outlen, MG_MLLP_WHY_TEXT_MAX, &len, "***", 3);
		else
			put(out, outlen, MG_MLLP_WHY_TEXT_MAX, &len, clean + start, i - start);
	}
	while (len > 0 && out[len - 1] == ' ')	/* cut after a blank */
		out[--len] = '\0';
}

void mg_mllp_why_text(const char *text, const char *sent, size_t sent_len, char *out,
		      size_t outlen)
{
	const char *pid;
	size_t pidlen;

	pid_segment(sent, sent_len, &pid, &pidlen);
	why_words(text, pid, pidlen, out, outlen);
}

/* The EMR's own words, if any: ERR-8 (user message), else ERR-3.2
 * (the code's text), else MSA-3 (text message, gone from v2.6 but still
 * sent by older systems). "" if there are none or the ACK is odd. */
static void ack_text(const char *ack, size_t len, char *text, size_t textlen)
{
	struct mg_hl7_msg *m = NULL;
	size_t seg;

	text[0] = '\0';
	if (mg_hl7_parse(ack, len, &m, NULL) != 0)
		return;
	if (mg_hl7_segment_find(m, "ERR", 1, &seg) == 0 &&
	    (mg_hl7_text(m, seg, 8, 1, text, textlen) != 0 || text[0] == '\0') &&
	    mg_hl7_text(m, seg, 3, 2, text, textlen) != 0)
		text[0] = '\0';
	if (text[0] == '\0' && mg_hl7_segment_find(m, "MSA", 1, &seg) == 0 &&
	    mg_hl7_text(m, seg, 3, 1, text, textlen) != 0)
		text[0] = '\0';
	mg_hl7_msg_free(m);
}

/* The name table 0357 gives code, or NULL if the HL7 module does not know
 * it (it names every unknown code "Application internal error", 207). */
static const char *condition_name(unsigned code)
{
	const char *name = mg_hl7_condition_name(code);
	const char *fallback = mg_hl7_condition_name(MG_HL7_APPLICATION_INTERNAL_ERROR);

	if (code == 0 || (code != MG_HL7_APPLICATION_INTERNAL_ERROR && strcmp(name, fallback) == 0))
		return NULL;
	return name;
}

/* "<ERR-3 code> <text>", the text made safe; "" if the EMR said nothing. */
static void ack_details(const struct mg_hl7_ack *a, const char *ack, size_t len,
			const char *sent, size_t sent_len, char *out, size_t outlen)
{
	char raw[WHY_INPUT_MAX + 1], text[MG_MLLP_WHY_TEXT_MAX + 1], code[16] = "";
	const char *name = condition_name(a->error_code);

	ack_text(ack, len, raw, sizeof(raw));
	mg_mllp_why_text(raw, sent, sent_len, text, sizeof(text));
	sodium_memzero(raw, sizeof(raw));
	if (text[0] == '\0' && name != NULL)
		snprintf(text, sizeof(text), "%s", name);
	if (a->error_code != 0)
		snprintf(code, sizeof(code), "%u", a->error_code);
	snprintf(out, outlen, "%s%s%s", code, code[0] && text[0] ? " " : "", text);
}

int mg_mllp_ack_judge(const char *ack, size_t len, const char *control_id, const char *sent,
		      size_t sent_len, enum mg_send_verdict *verdict, char *why, size_t whylen)
{
	struct mg_hl7_ack a;
	char details[16 + MG_MLLP_WHY_TEXT_MAX + 2], err[128];

	*verdict = MG_SEND_RETRY;
	if (mg_hl7_parse_ack(ack, len, &a, err, sizeof(err)) != 0) {
		snprintf(why, whylen, "malformed ACK");
		return MG_ERR_INVALID;
	}
	if (strcmp(a.control_id, control_id) != 0) {
		snprintf(why, whylen, "ACK for another message");
		return MG_ERR_NOT_FOUND;
	}
	if (mg_hl7_ack_accepted(&a)) {
		*verdict = MG_SEND_DELIVERED;
		snprintf(why, whylen, "accepted (%s)", a.code);
		return 0;
	}
	ack_details(&a, ack, len, sent, sent_len, details, sizeof(details));
	if (a.code[1] == 'E') {
		snprintf(why, whylen, "error at the EMR (%s)%s%s", a.code, details[0] ? ": " : "",
			 details);
	} else {
		*verdict = MG_SEND_REJECTED;
		if (details[0] != '\0')
			snprintf(why, whylen, "rejected by the EMR: %s", details);
		else
			snprintf(why, whylen, "rejected by the EMR (%s)", a.code);
	}
	return 0;
}
