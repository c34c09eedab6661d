/* libFuzzer harness for the release feed reader (after its signature is
 * checked, which the fuzzer cannot forge: the reader alone). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sbom/sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_release rel;
	char err[256] = "";
	bool found;
	int cmp;

	if (mg_release_parse((const char *)data, size, "0.1.0", &rel, &found, err, sizeof(err)) !=
	    0) {
		if (found || err[0] == '\0')
			__builtin_trap(); /* every refusal says why, and finds nothing */
		return 0;
	}
	if (!found)
		return 0;
	/* What it found is newer than what runs, and its texts end. */
	if (mg_deb_version_compare(rel.version, "0.1.0", &cmp, err, sizeof(err)) != 0 || cmp <= 0 ||
	    rel.nfixes > MG_RELEASE_FIXES_MAX || memchr(rel.date, '\0', sizeof(rel.date)) == NULL)
		__builtin_trap();
	for (size_t i = 0; i < rel.nfixes; i++)
		if (memchr(rel.fixes[i], '\0', sizeof(rel.fixes[i])) == NULL)
			__builtin_trap();
	return 0;
}
