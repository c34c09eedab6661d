/* Debian's version ordering, from dpkg itself (libdpkg): epochs, upstream
 * versions and revisions, '~' sorting before the end of a part. A version
 * comparison written here again would differ from dpkg's somewhere, and
 * an advisory's "fixed in" would then be misjudged. */
#define LIBDPKG_VOLATILE_API 1

#include "sbom/sbom.h"

#include <dpkg/dpkg-db.h>
#include <dpkg/dpkg.h>
#include <dpkg/error.h>
#include <dpkg/version.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

/* dpkg's warnings ("does not start with digit") still give a version it
 * orders, as dpkg --compare-versions does; only its errors refuse. */
static int version_parse(struct dpkg_version *v, const char *text, char *err, size_t errlen)
{
	struct dpkg_error e = DPKG_ERROR_INIT;
	int r = 0;

	if (strlen(text) > MG_DEB_VERSION_MAX) {
		snprintf(err, errlen, "version longer than %d bytes", MG_DEB_VERSION_MAX);
		return MG_ERR_INVALID;
	}
	if (parseversion(v, text, &e) != 0 && e.type != DPKG_MSG_WARN) {
		snprintf(err, errlen, "version '%.*s': %s", 40, text, e.str ? e.str : "invalid");
		r = MG_ERR_INVALID;
	}
	dpkg_error_destroy(&e);
	return r;
}

int mg_deb_version_compare(const char *a, const char *b, int *cmp_out, char *err, size_t errlen)
{
	struct dpkg_version va, vb;
	int r;

	*cmp_out = 0;
	if ((r = version_parse(&va, a, err, errlen)) == 0 &&
	    (r = version_parse(&vb, b, err, errlen)) == 0)
		*cmp_out = dpkg_version_compare(&va, &vb);
	/* parseversion keeps its strings in dpkg's own arena; nothing else in
	 * medgate uses it, so it is emptied after each comparison. */
	nffreeall();
	return r;
}
