/* What medgate is made of, and what is known about it (docs/sbom.md).
 *
 * The inventory starts from medgate's programs, follows each ELF object's
 * DT_NEEDED libraries as the dynamic loader resolves them (the directories
 * of /etc/ld.so.conf, then the default ones), and asks dpkg which
 * installed package owns each file and what that package is (version,
 * maintainer, source package). It is written as CycloneDX 1.5 JSON.
 * Advisory feeds (OSV, Debian's security tracker) are matched against the
 * inventory's source packages with dpkg's own version ordering (libdpkg);
 * a signed release feed tells whether a newer medgate exists. */
#ifndef MG_SBOM_SBOM_H
#define MG_SBOM_SBOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "model/advisory.h"

#define MG_SBOM_SONAME_MAX   255          /* a DT_NEEDED name */
#define MG_ELF_PHDR_MAX      512          /* program headers read */
#define MG_ELF_NEEDED_MAX    256          /* DT_NEEDED entries of one object */
#define MG_SBOM_OBJECTS_MAX  512          /* programs and libraries followed */
#define MG_SBOM_BINARIES_MAX 16           /* programs named by the caller */
#define MG_SBOM_FILE_MAX     (512u << 20) /* an ELF file read */
#define MG_SBOM_FIELD_MAX    512          /* a dpkg field kept */
#define MG_ADVISORY_FEED_MAX (128u << 20) /* an advisory feed file */
#define MG_RELEASE_FEED_MAX  (1u << 20)   /* the release feed file */
#define MG_RELEASE_FIXES_MAX 64           /* fixes listed for one release */

/* ---- ELF ---- */

/* Called with each DT_NEEDED name of an object, in order; a non-zero
 * return stops the walk and is returned. */
typedef int (*mg_elf_needed_cb)(const char *name, void *arg);

/* Walk the DT_NEEDED names of the ELF object in buf (len bytes; any bytes
 * at all). *machine_out gets e_machine. A static object calls cb never.
 * Returns 0, MG_ERR_INVALID for anything not a well-formed little-endian
 * ELF object, or cb's value. */
int mg_elf_needed(const unsigned char *buf, size_t len, unsigned *machine_out, mg_elf_needed_cb cb,
		  void *arg);

/* ---- Debian versions (libdpkg) ---- */

/* Compare two Debian version strings with dpkg's ordering: *cmp_out < 0,
 * 0 or > 0. Returns 0, or MG_ERR_INVALID (with err naming it) if either
 * is not a version dpkg accepts. */
int mg_deb_version_compare(const char *a, const char *b, int *cmp_out, char *err, size_t errlen);

/* ---- The inventory ---- */

/* One installed package (or one file no package owns: version ""). */
struct mg_sbom_package {
	char *name, *version, *arch, *source, *source_version, *maintainer, *license, *homepage;
	bool owned;    /* by a dpkg package */
	size_t *needs; /* indices in mg_sbom.packages it links */
	size_t nneeds;
};

/* One of medgate's programs. */
struct mg_sbom_binary {
	char *path;
	char sha256[65];
	size_t *needs; /* indices in mg_sbom.packages */
	size_t nneeds;
};

struct mg_sbom {
	char distro[32], distro_version[32], codename[32];
	char *self_version; /* medgate's package version, else MG_VERSION */
	char *self_package; /* the dpkg package holding the programs, or NULL */
	struct mg_sbom_binary binaries[MG_SBOM_BINARIES_MAX];
	size_t nbinaries;
	struct mg_sbom_package *packages;
	size_t npackages;
};

/* Build the inventory of the programs at paths[0..n) (1 to
 * MG_SBOM_BINARIES_MAX). On success *out is the caller's
 * (mg_sbom_free). Returns 0, MG_ERR_IO (err names the file),
 * MG_ERR_INVALID (not an ELF program), MG_ERR_LIMIT or MG_ERR_NOMEM. */
int mg_sbom_collect(const char *const *paths, size_t n, struct mg_sbom **out, char *err,
		    size_t errlen);
void mg_sbom_free(struct mg_sbom *sbom);

/* The package's purl, pkg:deb/debian/NAME@VERSION?arch=A&distro=debian-12
 * (pkg:generic/NAME for a file no package owns). Returns 0 or MG_ERR_LIMIT. */
int mg_sbom_purl(const struct mg_sbom *sbom, const struct mg_sbom_package *p, char *buf,
		 size_t buflen);

/* The inventory as a CycloneDX 1.5 BOM; serial is a UUID text, time_ms
 * the BOM's timestamp. New reference, or NULL when out of memory. */
json_t *mg_sbom_cyclonedx(const struct mg_sbom *sbom, const char *serial, int64_t time_ms);

/* ---- Advisories ---- */

struct mg_advisory_result {
	const char *format; /* "osv" or "debian-tracker" */
	size_t advisories;  /* advisories read */
	size_t findings_count;
	struct mg_advisory_finding *findings;
};

/* Read an advisory feed (buf, len bytes: OSV JSON, one vulnerability, an
 * array of them or {"vulns": [...]}; or Debian's security tracker JSON)
 * and match it against sbom's packages for its distribution (Debian
 * release codename / version). On success *out is the caller's
 * (mg_advisory_result_free). Returns 0, MG_ERR_INVALID (err says what is
 * wrong with the feed), MG_ERR_LIMIT or MG_ERR_NOMEM. */
int mg_advisory_match(const char *buf, size_t len, const struct mg_sbom *sbom,
		      struct mg_advisory_result **out, char *err, size_t errlen);
void mg_advisory_result_free(struct mg_advisory_result *res);

/* ---- The release feed ---- */

struct mg_release {
	char version[MG_DEB_VERSION_MAX + 1];
	char date[32];
	bool security;
	size_t nfixes;
	char fixes[MG_RELEASE_FIXES_MAX][MG_ADVISORY_SUMMARY_MAX + 1];
};

/* Check the Ed25519 signature sig (64 bytes) over feed (len bytes) with
 * public key pk (32 bytes), then read the feed: {"product": "medgate",
 * "releases": [{"version", "date", "security", "fixes": [...]}, ...]}
 * and give the newest release above current in *newest (found_out
 * false when there is none). Returns 0, MG_ERR_DENIED for a bad
 * signature (nothing of the feed is read), or MG_ERR_INVALID with err. */
int mg_release_check(const unsigned char *feed, size_t len, const unsigned char sig[64],
		     const unsigned char pk[32], const char *current, struct mg_release *newest,
		     bool *found_out, char *err, size_t errlen);

/* The same without the signature check, for the fuzzer: read a feed. */
int mg_release_parse(const char *feed, size_t len, const char *current, struct mg_release *newest,
		     bool *found_out, char *err, size_t errlen);

#endif
