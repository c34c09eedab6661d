/* Error descriptions for ACKs: HL7 table 0357 names and struct
 * mg_hl7_error. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hl7/internal.h"

const char *mg_hl7_condition_name(unsigned code)
{
	switch (code) {
	case MG_HL7_ACCEPTED: return "Message accepted";
	case MG_HL7_SEGMENT_SEQUENCE_ERROR: return "Segment sequence error";
	case MG_HL7_REQUIRED_FIELD_MISSING: return "Required field missing";
	case MG_HL7_DATA_TYPE_ERROR: return "Data type error";
	case MG_HL7_TABLE_VALUE_NOT_FOUND: return "Table value not found";
	case MG_HL7_UNSUPPORTED_MESSAGE_TYPE: return "Unsupported message type";
	case MG_HL7_UNSUPPORTED_EVENT_CODE: return "Unsupported event code";
	case MG_HL7_UNSUPPORTED_PROCESSING_ID: return "Unsupported processing id";
	case MG_HL7_UNSUPPORTED_VERSION_ID: return "Unsupported version id";
	case MG_HL7_APPLICATION_INTERNAL_ERROR: return "Application internal error";
	}
	return "Application internal error";
}

void hl7_error_set(struct mg_hl7_error *error, unsigned code, const char *segment,
		   unsigned sequence, unsigned field, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (error == NULL)
		return;
	memset(error, 0, sizeof(*error));
	error->code = code;
	(void)snprintf(error->segment, sizeof(error->segment), "%s", segment);
	error->sequence = sequence;
	error->field = field;
	va_start(ap, fmt);
	r = vsnprintf(error->text, sizeof(error->text), fmt, ap);
	va_end(ap);
	if (r < 0)
		(void)snprintf(error->text, sizeof(error->text), "%s",
			       mg_hl7_condition_name(code));
	else if ((size_t)r >= sizeof(error->text))
		memcpy(error->text + sizeof(error->text) - 4, "...", 4);
	/* Whatever went in, what comes out is printable ASCII. */
	for (char *p = error->text; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
}
