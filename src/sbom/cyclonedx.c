/* The inventory as CycloneDX 1.5 JSON: medgate as the BOM's subject, its
 * programs as file components with their SHA-256, each package as a
 * library component (supplier from its maintainer, source package as
 * properties, licence from a machine-readable copyright file, purl
 * pkg:deb/...), and the link graph as dependencies. */
#include "sbom/internal.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"
#include "common/textbuf.h"
#include "common/timefmt.h"

/* purl's percent-encoding: only unreserved characters stay. */
static void purl_part(struct mg_textbuf *t, const char *s)
{
	for (; *s != '\0'; s++) {
		char hex[2];

		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_~",
			   *s)) {
			mg_textbuf_add(t, s, 1);
			continue;
		}
		mg_hex_byte((unsigned char)*s, MG_HEX_UPPER, hex);
		mg_textbuf_add(t, "%", 1);
		mg_textbuf_add(t, hex, 2);
	}
}

static int purl_make(const struct mg_sbom *sbom, const char *name, const char *version,
		     const char *arch, bool deb, char *buf, size_t buflen)
{
	struct mg_textbuf t;
	size_t len;

	mg_textbuf_init(&t, buf, buflen);
	mg_textbuf_str(&t, deb ? "pkg:deb/" : "pkg:generic/");
	if (deb) {
		purl_part(&t, sbom->distro);
		mg_textbuf_str(&t, "/");
	}
	purl_part(&t, name);
	if (version[0] != '\0') {
		mg_textbuf_str(&t, "@");
		purl_part(&t, version);
	}
	if (deb) {
		const char *sep = "?";

		if (arch[0] != '\0') {
			mg_textbuf_str(&t, "?arch=");
			purl_part(&t, arch);
			sep = "&";
		}
		if (sbom->distro_version[0] != '\0') {
			mg_textbuf_str(&t, sep);
			mg_textbuf_str(&t, "distro=");
			purl_part(&t, sbom->distro);
			mg_textbuf_str(&t, "-");
			purl_part(&t, sbom->distro_version);
		}
	}
	return mg_textbuf_finish(&t, &len);
}

int mg_sbom_purl(const struct mg_sbom *sbom, const struct mg_sbom_package *p, char *buf,
		 size_t buflen)
{
	return purl_make(sbom, p->name, p->version, p->arch, p->owned, buf, buflen);
}

/* "Name <address>" into a supplier: organizational entity with a contact. */
static json_t *supplier_of(const char *maintainer)
{
	const char *lt = strchr(maintainer, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	size_t n = lt != NULL ? (size_t)(lt - maintainer) : strlen(maintainer);
	json_t *contact;

	while (n > 0 && maintainer[n - 1] == ' ')
		n--;
	contact = json_pack("{s:s%}", "name", maintainer, n);
	if (contact != NULL && gt != NULL && gt > lt + 1)
		json_object_set_new(contact, "email", json_stringn(lt + 1, (size_t)(gt - lt - 1)));
	return json_pack("{s:s%, s:[o]}", "name", maintainer, n, "contact", contact);
}

static json_t *package_component(const struct mg_sbom_package *p, const char *ref)
{
	json_t *c =
	    json_pack("{s:s, s:s, s:s}", "type", "library", "bom-ref", ref, "name", p->name);
	json_t *props = json_array();

	if (c == NULL || props == NULL) {
		json_decref(c);
		json_decref(props);
		return NULL;
	}
	if (p->version[0] != '\0')
		json_object_set_new(c, "version", json_string(p->version));
	if (p->maintainer[0] != '\0')
		json_object_set_new(c, "supplier", supplier_of(p->maintainer));
	if (p->license[0] != '\0')
		json_object_set_new(c, "licenses",
				    json_pack("[{s:{s:s}}]", "license", "name", p->license));
	json_object_set_new(c, "purl", json_string(ref));
	if (p->homepage[0] != '\0')
		json_object_set_new(
		    c, "externalReferences",
		    json_pack("[{s:s, s:s}]", "type", "website", "url", p->homepage));
	if (p->source[0] != '\0')
		json_array_append_new(
		    props,
		    json_pack("{s:s, s:s}", "name", "medgate:debian:source", "value", p->source));
	if (p->source_version[0] != '\0')
		json_array_append_new(props, json_pack("{s:s, s:s}", "name",
						       "medgate:debian:source_version", "value",
						       p->source_version));
	if (!p->owned)
		json_array_append_new(props, json_pack("{s:s, s:s}", "name",
						       "medgate:debian:package", "value", "none"));
	json_object_set_new(c, "properties", props);
	return c;
}

static json_t *refs_of(char refs[][MG_PATH_MAX], const size_t *needs, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(refs[needs[i]]));
	return a;
}

json_t *mg_sbom_cyclonedx(const struct mg_sbom *sbom, const char *serial, int64_t time_ms)
{
	char when[MG_TIME_TEXT_LEN], urn[64], self_ref[MG_PATH_MAX], (*refs)[MG_PATH_MAX] = NULL;
	json_t *bom = NULL, *components, *deps, *self_deps, *self;
	bool self_deb = sbom->self_package != NULL;

	if (mg_time_format(time_ms, when, sizeof(when)) != 0 ||
	    (refs = calloc(sbom->npackages + 1, MG_PATH_MAX)) == NULL)
		return NULL;
	snprintf(urn, sizeof(urn), "urn:uuid:%s", serial);
	/* medgate's own purl: its package when dpkg installed it. */
	if (purl_make(sbom, self_deb ? sbom->self_package : "medgate", sbom->self_version, "",
		      self_deb, self_ref, sizeof(self_ref)) != 0)
		goto fail;
	for (size_t i = 0; i < sbom->npackages; i++)
		if (mg_sbom_purl(sbom, &sbom->packages[i], refs[i], MG_PATH_MAX) != 0)
			goto fail;
	self = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "application", "bom-ref", self_ref,
			 "name", "medgate", "version", sbom->self_version, "purl", self_ref);
	bom = json_pack("{s:s, s:s, s:s, s:i, s:{s:s, s:{s:[{s:s, s:s, s:s}]}, s:o}}", "bomFormat",
			"CycloneDX", "specVersion", "1.5", "serialNumber", urn, "version", 1,
			"metadata", "timestamp", when, "tools", "components", "type", "application",
			"name", "medgatectl", "version", MG_VERSION, "component", self);
	components = json_array();
	deps = json_array();
	self_deps = json_array();
	if (bom == NULL || components == NULL || deps == NULL || self_deps == NULL) {
		json_decref(components);
		json_decref(deps);
		json_decref(self_deps);
		goto fail;
	}
	json_object_set_new(bom, "components", components);
	json_object_set_new(bom, "dependencies", deps);
	json_array_append_new(deps,
			      json_pack("{s:s, s:o}", "ref", self_ref, "dependsOn", self_deps));
	for (size_t i = 0; i < sbom->nbinaries; i++) {
		const struct mg_sbom_binary *b = &sbom->binaries[i];
		const char *base = strrchr(b->path, '/') ? strrchr(b->path, '/') + 1 : b->path;
		char ref[MG_PATH_MAX];

		snprintf(ref, sizeof(ref), "file:%s", b->path);
		json_array_append_new(components,
				      json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}", "type",
						"file", "bom-ref", ref, "name", base, "version",
						sbom->self_version, "hashes", "alg", "SHA-256",
						"content", b->sha256));
		json_array_append_new(self_deps, json_string(ref));
		json_array_append_new(deps, json_pack("{s:s, s:o}", "ref", ref, "dependsOn",
						      refs_of(refs, b->needs, b->nneeds)));
	}
	for (size_t i = 0; i < sbom->npackages; i++) {
		const struct mg_sbom_package *p = &sbom->packages[i];

		json_array_append_new(components, package_component(p, refs[i]));
		json_array_append_new(deps, json_pack("{s:s, s:o}", "ref", refs[i], "dependsOn",
						      refs_of(refs, p->needs, p->nneeds)));
	}
	free(refs);
	return bom;
fail:
	free(refs);
	json_decref(bom);
	return NULL;
}
