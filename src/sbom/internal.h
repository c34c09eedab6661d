/* Shared by the files of src/sbom/ only. */
#ifndef MG_SBOM_INTERNAL_H
#define MG_SBOM_INTERNAL_H

#include "common/limits.h"
#include "sbom/sbom.h"

#define SBOM_DIRS_MAX 64 /* library folders searched */

struct sbom_dirs {
	char dir[SBOM_DIRS_MAX][MG_PATH_MAX];
	size_t n;
};

/* ID, VERSION_ID and VERSION_CODENAME of an os-release file into sbom
 * (distro "debian" when the file says nothing usable). */
void sbom_os_release(const char *path, struct mg_sbom *sbom);

/* The loader's folders: those of ldconf (an ld.so.conf) and the files it
 * includes, then /lib and /usr/lib, each once. */
void sbom_loader_dirs(const char *ldconf, struct sbom_dirs *d);

/* Run argv (no shell, LC_ALL=C, standard error discarded) and give what
 * it printed (*out NUL-terminated, caller frees). Exit status 0 or 1
 * (dpkg-query: "some names not found") is success. Returns 0, MG_ERR_IO
 * or MG_ERR_NOMEM. */
int sbom_run(char *const argv[], char **out, size_t *len);

/* The licence a package's machine-readable copyright file gives for
 * "Files: *" (caller frees; "" when there is none), NULL when out of memory. */
char *sbom_license(const char *package);

/* A short text kept from a feed into out: control characters become
 * spaces, cut at a character boundary, invalid UTF-8 ends it. */
void sbom_text_keep(char *out, size_t outlen, const char *in);

#endif
