/* Judging an EMR's HL7 ACK to a message the MLLP sender sent, and making
 * the "why" the outbox keeps: pure functions, no I/O (used by
 * mllp_sender.c only; tested on their own). */
#ifndef MG_OUTBOX_MLLP_ACK_H
#define MG_OUTBOX_MLLP_ACK_H

#include <stddef.h>

#include "outbox/sender.h"

#define MG_MLLP_WHY_TEXT_MAX 100	/* bytes of the EMR's own error text we keep */

/* Judge ack (len bytes, MLLP framing removed; read by mg_hl7_parse_ack)
 * as the answer to the message with MSH-10 control_id; sent (sent_len
 * bytes, framed or not) is that message, used only to recognise its
 * patient's identifiers and names should the EMR echo them. MSA-1 AA/CA
 * gives MG_SEND_DELIVERED, AE/CE MG_SEND_RETRY, AR/CR MG_SEND_REJECTED;
 * why is one line: the ERR-3 condition code and at most
 * MG_MLLP_WHY_TEXT_MAX bytes of the EMR's text (ERR-8, else ERR-3.2, else
 * MSA-3) made safe by mg_mllp_why_text. Returns 0 for a proper answer to
 * this message; MG_ERR_INVALID ("malformed ACK") or MG_ERR_NOT_FOUND
 * ("ACK for another message") with *verdict MG_SEND_RETRY: the stream is
 * then in doubt and the connection must be closed. */
int mg_mllp_ack_judge(const char *ack, size_t len, const char *control_id, const char *sent,
		      size_t sent_len, enum mg_send_verdict *verdict, char *why, size_t whylen);

/* Make text fit a why: printable ASCII only, blanks collapsed, every word
 * with 4 or more digits and every word that also occurs in the PID
 * segment of sent (sent may be NULL) replaced by "***", then cut to
 * MG_MLLP_WHY_TEXT_MAX bytes. out is always NUL-terminated. */
void mg_mllp_why_text(const char *text, const char *sent, size_t sent_len, char *out,
		      size_t outlen);

#endif
