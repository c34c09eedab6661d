/* A known vulnerability of an installed component: what an advisory feed
 * said about a package medgate links (docs/sbom.md). The SBOM matcher
 * makes these, the store keeps the last import's, the CLI, the API and
 * the alert report them. No patient data: package names and versions. */
#ifndef MG_MODEL_ADVISORY_H
#define MG_MODEL_ADVISORY_H

#include <stdint.h>

#define MG_ADVISORY_ID_MAX       64   /* "CVE-2024-12345", "DSA-5678-1" */
#define MG_ADVISORY_NAME_MAX     128  /* a Debian package name */
#define MG_DEB_VERSION_MAX       128  /* a Debian version string */
#define MG_ADVISORY_SUMMARY_MAX  200  /* a summary kept, bytes */
#define MG_ADVISORY_FINDINGS_MAX 4096 /* affected pairs kept from one feed */

struct mg_advisory_finding {
	char id[MG_ADVISORY_ID_MAX + 1];
	char package[MG_ADVISORY_NAME_MAX + 1]; /* the binary package installed */
	char source[MG_ADVISORY_NAME_MAX + 1];  /* its source package */
	char installed[MG_DEB_VERSION_MAX + 1]; /* the version the advisory was judged on */
	char fixed[MG_DEB_VERSION_MAX + 1];     /* "" when no fix is known */
	char summary[MG_ADVISORY_SUMMARY_MAX + 1];
	int64_t imported_ms; /* when the feed was imported */
};

#endif
