/* libFuzzer harness for mg_fhir_judge: a FHIR server's answer is outside
 * input. The first two bytes pick the HTTP status, the rest is the body. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fhir/fhir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[512];
	long status;
	enum mg_fhir_verdict v;

	if (size < 2)
		return 0;
	status = 100 + (long)(((unsigned)data[0] << 8 | data[1]) % 500);
	memset(why, 'x', sizeof(why));
	v = mg_fhir_judge(status, (const char *)data + 2, size - 2, "P-0042", why, sizeof(why));
	if (v != MG_FHIR_DELIVERED && v != MG_FHIR_RETRY && v != MG_FHIR_REJECTED)
		__builtin_trap();
	if (memchr(why, '\0', sizeof(why)) == NULL || strstr(why, "P-0042") != NULL)
		__builtin_trap();	/* unterminated, or the patient id leaked */
	/* Only a 2xx can be delivered. */
	if (v == MG_FHIR_DELIVERED && (status < 200 || status > 299))
		__builtin_trap();
	return 0;
}
