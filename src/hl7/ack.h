/* HL7 acknowledgements (original mode, as PCD-01 receivers use them):
 * writing the ACK for a message medgate received, and reading the ACK an
 * EMR returns for a message medgate sent. */
#ifndef MG_HL7_ACK_H
#define MG_HL7_ACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hl7/hl7.h"

/* Encode the ACK for received (parsed by mg_hl7_parse or, if that failed,
 * mg_hl7_parse_msh; NULL if not even MSH could be read): MSH with sender
 * and receiver swapped, MSH-9 ACK^<event>^ACK, a new random MSH-10, MSA-1
 * code ("AA", "AE" or "AR"), MSA-2 the received MSH-10 (empty if
 * received is NULL), and for AE and AR an ERR segment from error (ERR-2
 * location, ERR-3 code^name^HL70357, ERR-4 E, ERR-8 error->text). error
 * must be NULL for AA and given otherwise. On success *out
 * (NUL-terminated, *len bytes) is the caller's: mg_hl7_buffer_free.
 * Returns 0, MG_ERR_INVALID (bad code/error pairing), MG_ERR_LIMIT or
 * MG_ERR_NOMEM. */
int mg_hl7_encode_ack(const struct mg_hl7_msg *received, const char *code,
		      const struct mg_hl7_error *error, int64_t now_ms,
		      char **out, size_t *len);

/* What an EMR answered. */
struct mg_hl7_ack {
	char code[3];	/* MSA-1: AA, AE, AR (original mode) or CA, CE, CR (enhanced) */
	char control_id[MG_HL7_CONTROL_ID_MAX + 1];	/* MSA-2: may be "" */
	unsigned error_code;	/* ERR-3.1 (table 0357) of the first ERR, 0 if none */
};

/* Read the ACK in buf[0..len) (MLLP framing removed) into *ack. The
 * caller compares ack->control_id with the MSH-10 it sent. Free text of
 * the answer (MSA-3, ERR-8) is not returned: an EMR may quote patient
 * data in it. Returns 0, or MG_ERR_INVALID / MG_ERR_LIMIT with a message
 * in err (no text from the answer in it; err may be NULL with errlen
 * 0), or MG_ERR_NOMEM. */
int mg_hl7_parse_ack(const char *buf, size_t len, struct mg_hl7_ack *ack,
		     char *err, size_t errlen);

/* True for AA and CA: the receiver took the message. */
bool mg_hl7_ack_accepted(const struct mg_hl7_ack *ack);

#endif
