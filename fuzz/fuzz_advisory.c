/* libFuzzer harness for the advisory feed reader (OSV and Debian's
 * security tracker JSON) and its matching with libdpkg's ordering,
 * against a fixed inventory of three packages. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sbom/sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mg_sbom_package packages[] = {
    {.name = "libssl3",
     .version = "3.0.11-1~deb12u2",
     .arch = "amd64",
     .source = "openssl",
     .source_version = "3.0.11-1~deb12u2",
     .maintainer = "",
     .license = "",
     .homepage = "",
     .owned = true},
    {.name = "libgmp10",
     .version = "2:6.2.1+dfsg1-1.1",
     .arch = "amd64",
     .source = "gmp",
     .source_version = "2:6.2.1+dfsg1-1.1",
     .maintainer = "",
     .license = "",
     .homepage = "",
     .owned = true},
    {.name = "libidn2-0",
     .version = "2.3.3-1+b1",
     .arch = "amd64",
     .source = "libidn2",
     .source_version = "2.3.3-1",
     .maintainer = "",
     .license = "",
     .homepage = "",
     .owned = true},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_sbom sbom = {.distro = "debian",
			       .distro_version = "12",
			       .codename = "bookworm",
			       .packages = packages,
			       .npackages = 3};
	struct mg_advisory_result *res = NULL;
	char err[256] = "";

	if (mg_advisory_match((const char *)data, size, &sbom, &res, err, sizeof(err)) != 0) {
		if (res != NULL || memchr(err, '\0', sizeof(err)) == NULL)
			__builtin_trap();
		return 0;
	}
	for (size_t i = 0; i < res->findings_count; i++) {
		const struct mg_advisory_finding *f = &res->findings[i];
		bool known = false;

		for (size_t k = 0; k < 3; k++)
			known = known || strcmp(f->package, packages[k].name) == 0;
		/* Only installed packages, named ids, texts that end. */
		if (!known || f->id[0] == '\0' ||
		    memchr(f->summary, '\0', sizeof(f->summary)) == NULL)
			__builtin_trap();
	}
	mg_advisory_result_free(res);
	return 0;
}
