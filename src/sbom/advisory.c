/* Advisory feeds matched against the inventory. Two formats:
 *
 * - OSV (the Open Source Vulnerability schema): a vulnerability, an array
 *   of them, or {"vulns": [...]}; each "affected" entry names a package
 *   of an ecosystem ("Debian" or "Debian:12": the source package) and
 *   ECOSYSTEM ranges of introduced / fixed / last_affected events, or a
 *   list of versions.
 * - Debian's security tracker JSON: {SOURCE: {CVE: {"description",
 *   "releases": {CODENAME: {"status", "fixed_version", "urgency"}}}}}.
 *
 * Versions are compared with dpkg's ordering (debversion.c); an installed
 * source version is what Debian's advisories speak of. */
#include "sbom/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/utf8.h"

struct match {
	const struct mg_sbom *sbom;
	struct mg_advisory_result *res;
	size_t cap;
	char *err;
	size_t errlen;
};

void sbom_text_keep(char *out, size_t outlen, const char *in)
{
	size_t n = 0, i = 0, len = in != NULL ? strlen(in) : 0;

	while (i < len && n + 4 < outlen) {
		uint32_t cp;
		size_t k = mg_utf8_decode((const unsigned char *)in + i, len - i, &cp);

		if (k == 0)
			break;
		if (cp < 0x20 || cp == 0x7f) {
			out[n++] = ' ';
		} else {
			memcpy(out + n, in + i, k);
			n += k;
		}
		i += k;
	}
	out[n] = '\0';
}

static bool id_ok(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;

	return n > 0 && n <= MG_ADVISORY_ID_MAX &&
	       strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:") ==
		   n;
}

static int finding_add(struct match *m, const char *id, const struct mg_sbom_package *p,
		       const char *installed, const char *fixed, const char *summary)
{
	struct mg_advisory_result *res = m->res;
	struct mg_advisory_finding *f;

	for (size_t i = 0; i < res->findings_count; i++)
		if (strcmp(res->findings[i].id, id) == 0 &&
		    strcmp(res->findings[i].package, p->name) == 0)
			return 0;
	if (res->findings_count >= MG_ADVISORY_FINDINGS_MAX) {
		snprintf(m->err, m->errlen, "more than %d affected components",
			 MG_ADVISORY_FINDINGS_MAX);
		return MG_ERR_LIMIT;
	}
	if (res->findings_count == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct mg_advisory_finding *more = realloc(res->findings, cap * sizeof(*more));

		if (more == NULL)
			return MG_ERR_NOMEM;
		res->findings = more;
		m->cap = cap;
	}
	if (strlen(p->name) > MG_ADVISORY_NAME_MAX || strlen(p->source) > MG_ADVISORY_NAME_MAX ||
	    strlen(installed) > MG_DEB_VERSION_MAX ||
	    (fixed != NULL && strlen(fixed) > MG_DEB_VERSION_MAX)) {
		snprintf(m->err, m->errlen, "%s: a package name or version too long", id);
		return MG_ERR_LIMIT;
	}
	f = &res->findings[res->findings_count++];
	memset(f, 0, sizeof(*f));
	snprintf(f->id, sizeof(f->id), "%s", id);
	snprintf(f->package, sizeof(f->package), "%s", p->name);
	snprintf(f->source, sizeof(f->source), "%s", p->source);
	snprintf(f->installed, sizeof(f->installed), "%s", installed);
	snprintf(f->fixed, sizeof(f->fixed), "%s", fixed != NULL ? fixed : "");
	sbom_text_keep(f->summary, sizeof(f->summary), summary);
	return 0;
}

/* cmp of a and b; a version dpkg refuses is the feed's fault. */
static int vcmp(struct match *m, const char *a, const char *b, int *cmp)
{
	char why[160];

	if (mg_deb_version_compare(a, b, cmp, why, sizeof(why)) != 0) {
		snprintf(m->err, m->errlen, "%s", why);
		return MG_ERR_INVALID;
	}
	return 0;
}

/* ---- OSV ---- */

static bool osv_ecosystem_ours(const struct mg_sbom *sbom, const char *eco)
{
	size_t n = strlen(sbom->distro);

	if (eco == NULL || strncasecmp(eco, sbom->distro, n) != 0)
		return false;
	return eco[n] == '\0' || (eco[n] == ':' && strcmp(eco + n + 1, sbom->distro_version) == 0);
}

/* The OSV range's verdict for v: the event with the highest version at
 * or below v decides (introduced: affected; fixed, or a last_affected
 * below v: not). *fixed_out is the lowest fix above v, if any. */
static int osv_range(struct match *m, json_t *events, const char *v, bool *affected,
		     const char **fixed_out)
{
	const char *best = NULL;
	bool best_in = false;
	size_t i;
	json_t *e;
	int r, c;

	*affected = false;
	json_array_foreach(events, i, e)
	{
		const char *in = json_string_value(json_object_get(e, "introduced"));
		const char *fx = json_string_value(json_object_get(e, "fixed"));
		const char *la = json_string_value(json_object_get(e, "last_affected"));
		const char *at = in ? in : fx ? fx : la;
		bool counts;

		if (at == NULL)
			continue; /* "limit" and unknown events decide nothing */
		if ((r = vcmp(m, at, v, &c)) != 0)
			return r;
		if (fx != NULL && c > 0 &&
		    (*fixed_out == NULL || (vcmp(m, fx, *fixed_out, &c) == 0 && c < 0)))
			*fixed_out = fx;
		if ((r = vcmp(m, at, v, &c)) != 0)
			return r;
		counts = la != NULL && in == NULL && fx == NULL ? c < 0 : c <= 0;
		if (!counts)
			continue;
		if (best != NULL && (r = vcmp(m, at, best, &c)) != 0)
			return r;
		if (best == NULL || c > 0 || (c == 0 && in == NULL)) {
			best = at;
			best_in = in != NULL;
		}
	}
	*affected = best != NULL && best_in;
	return 0;
}

static int osv_affected(struct match *m, const char *id, const char *summary, json_t *aff)
{
	json_t *pkg = json_object_get(aff, "package"), *ranges = json_object_get(aff, "ranges");
	json_t *versions = json_object_get(aff, "versions"), *x;
	const char *name = json_string_value(json_object_get(pkg, "name"));
	size_t i;
	int r;

	if (name == NULL ||
	    !osv_ecosystem_ours(m->sbom, json_string_value(json_object_get(pkg, "ecosystem"))))
		return 0;
	for (size_t k = 0; k < m->sbom->npackages; k++) {
		const struct mg_sbom_package *p = &m->sbom->packages[k];
		bool by_source = p->owned && strcmp(p->source, name) == 0;
		const char *v = by_source ? p->source_version : p->version;
		bool hit = false;
		const char *fixed = NULL;

		if (!p->owned || (!by_source && strcmp(p->name, name) != 0))
			continue;
		json_array_foreach(ranges, i, x)
		{
			const char *type = json_string_value(json_object_get(x, "type"));
			bool in_range;

			if (type == NULL || strcmp(type, "ECOSYSTEM") != 0)
				continue;
			if ((r = osv_range(m, json_object_get(x, "events"), v, &in_range,
					   &fixed)) != 0)
				return r;
			hit = hit || in_range;
		}
		json_array_foreach(versions, i, x)
		{
			int c;

			if (json_is_string(x) && (r = vcmp(m, json_string_value(x), v, &c)) != 0)
				return r;
			hit = hit || (json_is_string(x) && c == 0);
		}
		if (hit && (r = finding_add(m, id, p, v, fixed, summary)) != 0)
			return r;
	}
	return 0;
}

static int osv_vuln(struct match *m, json_t *vuln)
{
	const char *id = json_string_value(json_object_get(vuln, "id"));
	const char *summary = json_string_value(json_object_get(vuln, "summary"));
	json_t *affected = json_object_get(vuln, "affected"), *a;
	size_t i;
	int r;

	if (!json_is_object(vuln) || !id_ok(id) || !json_is_array(affected)) {
		snprintf(m->err, m->errlen, "OSV entry %zu: no valid \"id\" and \"affected\"",
			 m->res->advisories + 1);
		return MG_ERR_INVALID;
	}
	m->res->advisories++;
	if (json_object_get(vuln, "withdrawn") != NULL)
		return 0;
	if (summary == NULL)
		summary = json_string_value(json_object_get(vuln, "details"));
	json_array_foreach(affected, i, a) if ((r = osv_affected(m, id, summary, a)) != 0) return r;
	return 0;
}

/* ---- Debian's security tracker ---- */

static int tracker_issue(struct match *m, const struct mg_sbom_package *p, const char *id,
			 json_t *issue)
{
	json_t *rel = json_object_get(json_object_get(issue, "releases"), m->sbom->codename);
	const char *status = json_string_value(json_object_get(rel, "status"));
	const char *fixed = json_string_value(json_object_get(rel, "fixed_version"));
	const char *text = json_string_value(json_object_get(issue, "description"));
	int r, c;

	if (!id_ok(id)) {
		snprintf(m->err, m->errlen, "tracker entry of %s: bad id", p->source);
		return MG_ERR_INVALID;
	}
	m->res->advisories++;
	if (status == NULL || strcmp(status, "not-affected") == 0)
		return 0;
	if (strcmp(status, "resolved") == 0) {
		/* "0": the release never had the flaw. */
		if (fixed == NULL || strcmp(fixed, "0") == 0)
			return 0;
		if ((r = vcmp(m, p->source_version, fixed, &c)) != 0)
			return r;
		return c < 0 ? finding_add(m, id, p, p->source_version, fixed, text) : 0;
	}
	/* open or undetermined: affected, no fix in the release yet. */
	return finding_add(m, id, p, p->source_version, NULL, text);
}

static int tracker_match(struct match *m, json_t *root)
{
	for (size_t k = 0; k < m->sbom->npackages; k++) {
		const struct mg_sbom_package *p = &m->sbom->packages[k];
		json_t *issues = p->owned ? json_object_get(root, p->source) : NULL, *issue;
		const char *id;
		int r;

		if (m->sbom->codename[0] == '\0') {
			snprintf(m->err, m->errlen,
				 "the release's code name is unknown (os-release)");
			return MG_ERR_INVALID;
		}
		json_object_foreach(issues, id,
				    issue) if ((r = tracker_issue(m, p, id, issue)) != 0) return r;
	}
	return 0;
}

/* The tracker's top level is packages; OSV's is a vulnerability, an array
 * of them, or {"vulns": [...]}. */
static bool is_tracker(json_t *root)
{
	const char *key;
	json_t *v, *issue;

	if (!json_is_object(root) || json_object_get(root, "id") != NULL ||
	    json_object_get(root, "vulns") != NULL)
		return false;
	json_object_foreach(root, key, v)
	{
		const char *cve;

		if (!json_is_object(v))
			return false;
		json_object_foreach(v, cve, issue) return json_is_object(
		    json_object_get(issue, "releases"));
	}
	return true; /* {}: a tracker feed with nothing in it */
}

int mg_advisory_match(const char *buf, size_t len, const struct mg_sbom *sbom,
		      struct mg_advisory_result **out, char *err, size_t errlen)
{
	struct match m = {sbom, NULL, 0, err, errlen};
	json_error_t jerr;
	json_t *root = NULL, *list, *v;
	size_t i;
	int r = 0;

	*out = NULL;
	if (len > MG_ADVISORY_FEED_MAX) {
		snprintf(err, errlen, "feed larger than %u bytes", MG_ADVISORY_FEED_MAX);
		return MG_ERR_LIMIT;
	}
	if ((m.res = calloc(1, sizeof(*m.res))) == NULL)
		return MG_ERR_NOMEM;
	if ((root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		snprintf(err, errlen, "not JSON: %s (line %d)", jerr.text, jerr.line);
		r = MG_ERR_INVALID;
	} else if (is_tracker(root)) {
		m.res->format = "debian-tracker";
		r = tracker_match(&m, root);
	} else {
		m.res->format = "osv";
		list = json_is_array(root) ? root : json_object_get(root, "vulns");
		if (list == NULL && json_is_object(root))
			r = osv_vuln(&m, root);
		else if (!json_is_array(list)) {
			snprintf(err, errlen, "neither OSV nor Debian security tracker JSON");
			r = MG_ERR_INVALID;
		}
		json_array_foreach(list, i, v) if (r == 0) r = osv_vuln(&m, v);
	}
	json_decref(root);
	if (r != 0) {
		mg_advisory_result_free(m.res);
		return r;
	}
	*out = m.res;
	return 0;
}

void mg_advisory_result_free(struct mg_advisory_result *res)
{
	if (res == NULL)
		return;
	free(res->findings);
	free(res);
}
