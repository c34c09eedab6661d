/* MLLP (HL7 Minimal Lower Layer Protocol) framing: each message travels as
 * <VT> message <FS><CR>, that is 0x0B, the message, 0x1C 0x0D. */
#ifndef MG_HL7_MLLP_H
#define MG_HL7_MLLP_H

#include <stddef.h>

#define MG_MLLP_START	0x0b
#define MG_MLLP_END	0x1c
#define MG_MLLP_CR	0x0d

/* Frame len bytes of msg into a new buffer *out of *outlen bytes (the
 * caller's: mg_hl7_buffer_free). Returns 0, MG_ERR_LIMIT (len over
 * MG_HL7_MESSAGE_MAX), MG_ERR_INVALID (msg holds a VT or FS byte, which
 * would end the frame early) or MG_ERR_NOMEM. */
int mg_mllp_wrap(const char *msg, size_t len, char **out, size_t *outlen);

/* An incremental framer for one byte stream (one per connection). It
 * holds at most one message, grown as bytes arrive, never beyond its
 * maximum. */
struct mg_mllp_framer;

/* A framer for messages of at most max bytes (0 or more than
 * MG_HL7_MESSAGE_MAX mean MG_HL7_MESSAGE_MAX). NULL if out of memory. */
struct mg_mllp_framer *mg_mllp_framer_new(size_t max);

/* Wipe and free f. NULL does nothing. */
void mg_mllp_framer_free(struct mg_mllp_framer *f);

/* Consume bytes from data[0..len) until one message is complete or the
 * bytes run out; *used says how many were consumed (call again with the
 * rest). Returns
 *   0              a message is complete: *msg (inside f, valid until the
 *                  next call) and *msglen, framing removed;
 *   MG_ERR_AGAIN   all len bytes consumed, no message complete yet;
 *   MG_ERR_INVALID a byte outside <VT>...<FS><CR>, a VT inside a message,
 *                  or FS not followed by CR;
 *   MG_ERR_LIMIT   a message grew beyond the maximum without its end;
 *   MG_ERR_NOMEM.
 * The errors are final: every later call returns the same one, and the
 * caller closes the connection. */
int mg_mllp_framer_feed(struct mg_mllp_framer *f, const char *data, size_t len,
			size_t *used, const char **msg, size_t *msglen);

/* True if f holds part of a message (bytes after a VT and before its end),
 * for telling a clean close of the stream from a cut one. */
int mg_mllp_framer_pending(const struct mg_mllp_framer *f);

#endif
