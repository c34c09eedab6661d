/* HL7 v2 messages: parsing with the message's own encoding characters,
 * bounded by the limits below, and access to any field, component or
 * subcomponent with HL7 escapes decoded (docs/internals/hl7.md).
 * Encoding and the PCD-01 profile are in hl7/pcd01.h, acknowledgements in
 * hl7/ack.h, MLLP framing in hl7/mllp.h. Pure code: no sockets, no files. */
#ifndef MG_HL7_HL7_H
#define MG_HL7_HL7_H

#include <stddef.h>
#include <stdint.h>

/* Bounds on a received message (docs/limits.md). Each is checked before
 * memory is allocated for what it bounds; exceeding one refuses the
 * message, never truncates it. */
#define MG_HL7_MESSAGE_MAX	(64 * 1024)	/* bytes in one message, MLLP framing excluded */
#define MG_HL7_SEGMENT_MAX	(8 * 1024)	/* bytes in one segment, terminator excluded */
#define MG_HL7_SEGMENTS_MAX	256		/* segments in one message */
#define MG_HL7_FIELDS_MAX	128		/* fields in one segment (MSH-1 counts) */
#define MG_HL7_CONTROL_ID_MAX	199		/* MSH-10 / MSA-2 as HL7 v2.6 bounds it */
#define MG_HL7_ERROR_TEXT_MAX	200		/* ERR-8 text we write */

/* HL7 table 0357, message error condition codes (ERR-3), the ones medgate
 * sends. All were defined in HL7 v2.3.1 and are unchanged in v2.6. */
enum mg_hl7_condition {
	MG_HL7_ACCEPTED = 0,
	MG_HL7_SEGMENT_SEQUENCE_ERROR = 100,
	MG_HL7_REQUIRED_FIELD_MISSING = 101,
	MG_HL7_DATA_TYPE_ERROR = 102,
	MG_HL7_TABLE_VALUE_NOT_FOUND = 103,
	MG_HL7_UNSUPPORTED_MESSAGE_TYPE = 200,
	MG_HL7_UNSUPPORTED_EVENT_CODE = 201,
	MG_HL7_UNSUPPORTED_PROCESSING_ID = 202,
	MG_HL7_UNSUPPORTED_VERSION_ID = 203,
	MG_HL7_APPLICATION_INTERNAL_ERROR = 207,
};

/* Why a message was refused, in the terms an ACK's ERR segment uses.
 * text is printable ASCII built from fixed words, numbers, codes and
 * segment names: never a patient or device identifier, never a copy of
 * free text from the message. */
struct mg_hl7_error {
	unsigned code;		/* enum mg_hl7_condition: ERR-3 */
	char segment[4];	/* ERR-2.1 segment id, "" if not tied to one */
	unsigned sequence;	/* ERR-2.2 1-based occurrence of that segment, 0: none */
	unsigned field;		/* ERR-2.3 field position, 0: none */
	char text[MG_HL7_ERROR_TEXT_MAX + 1];	/* ERR-8, always NUL-terminated */
};

/* The name table 0357 gives code ("Table value not found"); never NULL. */
const char *mg_hl7_condition_name(unsigned code);

struct mg_hl7_msg;

/* Parse one HL7 v2 message of len bytes (not NUL-terminated, MLLP framing
 * removed). MSH must come first and name 4 distinct printable
 * non-alphanumeric encoding characters; segments end in CR (LF and CR LF
 * are accepted too). The message is copied: buf may be freed afterwards.
 * On success *out is the caller's (mg_hl7_msg_free). Returns 0,
 * MG_ERR_INVALID or MG_ERR_LIMIT (a bound above) with *error filled (error
 * may be NULL), or MG_ERR_NOMEM. */
int mg_hl7_parse(const char *buf, size_t len, struct mg_hl7_msg **out,
		 struct mg_hl7_error *error);

/* Like mg_hl7_parse, but reads the MSH segment only and ignores the rest:
 * enough to answer a message that mg_hl7_parse refused with an ACK naming
 * its MSH-10. */
int mg_hl7_parse_msh(const char *buf, size_t len, struct mg_hl7_msg **out,
		     struct mg_hl7_error *error);

/* Wipe (it may hold patient identifiers) and free m. NULL does nothing. */
void mg_hl7_msg_free(struct mg_hl7_msg *m);

/* Number of segments of m. Segments are indexed from 0 (MSH); fields,
 * repetitions, components and subcomponents from 1, as HL7 counts them. */
size_t mg_hl7_segment_count(const struct mg_hl7_msg *m);

/* The id of segment seg ("MSH", "OBX"), or NULL past the end. */
const char *mg_hl7_segment_id(const struct mg_hl7_msg *m, size_t seg);

/* Index of the first segment called id at index from or later in *seg.
 * Returns 0 or MG_ERR_NOT_FOUND. */
int mg_hl7_segment_find(const struct mg_hl7_msg *m, const char *id, size_t from,
			size_t *seg);

/* Highest field number present in segment seg (0 if it has none). */
unsigned mg_hl7_field_count(const struct mg_hl7_msg *m, size_t seg);

/* The raw, still escaped bytes of field `field` of segment seg: *text
 * points into m (not NUL-terminated), *len may be 0. A field past the end
 * is empty. MSH-1 is the field separator, MSH-2 the encoding characters. */
void mg_hl7_field_raw(const struct mg_hl7_msg *m, size_t seg, unsigned field,
		      const char **text, size_t *len);

/* Where a value sits in a segment; 0 in any member means 1. */
struct mg_hl7_pos {
	unsigned field, repetition, component, subcomponent;
};

/* The decoded text at pos in segment seg, NUL-terminated into out of
 * outsize bytes. Absent values are "" (HL7 does not tell absent from
 * empty). Escapes \F\ \S\ \T\ \R\ \E\ \Xhh..\ are decoded, \H\ and \N\
 * dropped, any other escape refused. MSH-1 and MSH-2 are returned as they
 * stand. Returns 0, MG_ERR_INVALID (bad escape, or one decoding to NUL) or
 * MG_ERR_LIMIT (out too small); out is "" on error. */
int mg_hl7_text_at(const struct mg_hl7_msg *m, size_t seg, const struct mg_hl7_pos *pos,
		   char *out, size_t outsize);

/* mg_hl7_text_at for the first repetition and first subcomponent. */
int mg_hl7_text(const struct mg_hl7_msg *m, size_t seg, unsigned field, unsigned component,
		char *out, size_t outsize);

/* Wipe and free a buffer this module returned (encoded messages, ACKs,
 * MLLP frames). NULL does nothing. */
void mg_hl7_buffer_free(char *buf, size_t len);

#endif
