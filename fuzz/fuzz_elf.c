/* libFuzzer harness for the ELF dynamic-section reader (DT_NEEDED). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sbom/sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_name(const char *name, void *arg)
{
	size_t *count = arg;
	size_t n = strlen(name);

	if (n == 0 || n > MG_SBOM_SONAME_MAX || ++*count > MG_ELF_NEEDED_MAX)
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned machine;
	size_t count = 0;

	(void)mg_elf_needed(data, size, &machine, check_name, &count);
	return 0;
}
