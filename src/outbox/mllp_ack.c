/* What an EMR's ACK means for the outbox row, and a why that is safe to
 * store and log. The EMR's free text may repeat what it did not like,
 * patient identifiers included; we cannot know every identifier, so the
 * text is cut short and every word that looks like one (4 digits or
 * more) or occurs in the PID segment we sent is blanked out. */
#include "outbox/mllp_ack.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "hl7/hl7.h"

#define WHY_INPUT_MAX	512	/* of the EMR's text looked at, before cutting */
#define ERR_CODE_MAX	16	/* an ERR-3 identifier we repeat */

/* What we read from an ACK. */
struct ack_fields {
	char code[3];				/* MSA-1 */
	char control_id[MG_HL7_CONTROL_ID_MAX + 1];	/* MSA-2 */
	char err_code[ERR_CODE_MAX + 1];	/* ERR-3.1 */
	char text[WHY_INPUT_MAX + 1];		/* ERR-8, else ERR-3.2, else MSA-3 */
};

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

static bool word_secret(const char *w, size_t n, const char *pid, size_t pidlen, bool digits)
{
	size_t ndigits = 0;

	for (size_t i = 0; i < n; i++)
		ndigits += w[i] >= '0' && w[i] <= '9';
	return (digits && ndigits >= 4) || word_in(w, n, pid, pidlen);
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

static void why_words(const char *text, const char *pid, size_t pidlen, bool digits, char *out,
		      size_t outlen)
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
		if (word_secret(clean + start, i - start, pid, pidlen, digits))
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
	why_words(text, pid, pidlen, true, out, outlen);
}

/* Read MSA and the first ERR of an ACK. Returns 0 or MG_ERR_INVALID. */
static int ack_read(const char *ack, size_t len, struct ack_fields *f)
{
	struct mg_hl7_msg *m = NULL;
	size_t msa, err;
	int r;

	memset(f, 0, sizeof(*f));
	if ((r = mg_hl7_parse(ack, len, &m, NULL)) != 0)
		return MG_ERR_INVALID;
	if (mg_hl7_segment_find(m, "MSA", 1, &msa) != 0 ||
	    mg_hl7_text(m, msa, 1, 1, f->code, sizeof(f->code)) != 0 ||
	    mg_hl7_text(m, msa, 2, 1, f->control_id, sizeof(f->control_id)) != 0) {
		r = MG_ERR_INVALID;
		goto out;
	}
	if (mg_hl7_segment_find(m, "ERR", 1, &err) == 0) {
		if (mg_hl7_text(m, err, 3, 1, f->err_code, sizeof(f->err_code)) != 0)
			f->err_code[0] = '\0';
		if (mg_hl7_text(m, err, 8, 1, f->text, sizeof(f->text)) != 0 || f->text[0] == '\0')
			if (mg_hl7_text(m, err, 3, 2, f->text, sizeof(f->text)) != 0)
				f->text[0] = '\0';
	}
	/* MSA-3 is gone from v2.6 (ERR replaced it) but older systems send it. */
	if (f->text[0] == '\0' && mg_hl7_text(m, msa, 3, 1, f->text, sizeof(f->text)) != 0)
		f->text[0] = '\0';
	r = 0;
out:
	mg_hl7_msg_free(m);
	return r;
}

/* "<ERR-3 code> <text>", both made safe; "" if the EMR said nothing. */
static void ack_details(const struct ack_fields *f, const char *sent, size_t sent_len, char *out,
			size_t outlen)
{
	char code[ERR_CODE_MAX + 1], text[MG_MLLP_WHY_TEXT_MAX + 1];
	const char *pid;
	size_t pidlen;

	pid_segment(sent, sent_len, &pid, &pidlen);
	/* A code is short and often numeric (table 0357): keep its digits. */
	why_words(f->err_code, pid, pidlen, false, code, sizeof(code));
	if (strchr(code, ' ') != NULL)
		code[0] = '\0';
	why_words(f->text, pid, pidlen, true, text, sizeof(text));
	snprintf(out, outlen, "%s%s%s", code, code[0] && text[0] ? " " : "", text);
}

int mg_mllp_ack_judge(const char *ack, size_t len, const char *control_id, const char *sent,
		      size_t sent_len, enum mg_send_verdict *verdict, char *why, size_t whylen)
{
	struct ack_fields f;
	char details[ERR_CODE_MAX + MG_MLLP_WHY_TEXT_MAX + 2];
	char kind;

	*verdict = MG_SEND_RETRY;
	if (ack_read(ack, len, &f) != 0 || (f.code[0] != 'A' && f.code[0] != 'C') ||
	    strchr("AER", f.code[1]) == NULL || f.code[1] == '\0' || f.code[2] != '\0') {
		snprintf(why, whylen, "malformed ACK");
		return MG_ERR_INVALID;
	}
	if (strcmp(f.control_id, control_id) != 0) {
		snprintf(why, whylen, "ACK for another message");
		return MG_ERR_NOT_FOUND;
	}
	ack_details(&f, sent, sent_len, details, sizeof(details));
	kind = f.code[1];
	if (kind == 'A') {
		*verdict = MG_SEND_DELIVERED;
		snprintf(why, whylen, "accepted (%s)", f.code);
	} else if (kind == 'E') {
		snprintf(why, whylen, "error at the EMR (%s)%s%s", f.code, details[0] ? ": " : "",
			 details);
	} else {
		*verdict = MG_SEND_REJECTED;
		if (details[0] != '\0')
			snprintf(why, whylen, "rejected by the EMR: %s", details);
		else
			snprintf(why, whylen, "rejected by the EMR (%s)", f.code);
	}
	return 0;
}
