/* The maker's release feed: which medgate versions exist and what each
 * fixes, signed with the maker's Ed25519 key (a detached signature over
 * the file's exact bytes). Nothing of a feed is read before its signature
 * is checked. */
#include "sbom/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

int mg_release_parse(const char *feed, size_t len, const char *current, struct mg_release *newest,
		     bool *found_out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root, *releases, *rel;
	const char *product;
	size_t i;
	int r = 0, c;

	memset(newest, 0, sizeof(*newest));
	*found_out = false;
	if (len > MG_RELEASE_FEED_MAX) {
		snprintf(err, errlen, "release feed larger than %u bytes", MG_RELEASE_FEED_MAX);
		return MG_ERR_LIMIT;
	}
	if ((root = json_loadb(feed, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		snprintf(err, errlen, "release feed is not JSON: %s (line %d)", jerr.text,
			 jerr.line);
		return MG_ERR_INVALID;
	}
	product = json_string_value(json_object_get(root, "product"));
	releases = json_object_get(root, "releases");
	if (product == NULL || strcmp(product, "medgate") != 0 || !json_is_array(releases)) {
		snprintf(err, errlen,
			 "release feed: needs \"product\": \"medgate\" and \"releases\"");
		r = MG_ERR_INVALID;
	}
	json_array_foreach(releases, i, rel)
	{
		const char *version = json_string_value(json_object_get(rel, "version"));
		const char *date = json_string_value(json_object_get(rel, "date"));
		json_t *fixes = json_object_get(rel, "fixes"), *fix;
		size_t k;

		if (r != 0)
			break;
		if (version == NULL ||
		    (r = mg_deb_version_compare(version, current, &c, err, errlen)) != 0 ||
		    (fixes != NULL &&
		     (!json_is_array(fixes) || json_array_size(fixes) > MG_RELEASE_FIXES_MAX))) {
			if (r == 0)
				snprintf(err, errlen,
					 "release %zu: needs a \"version\" and at most %d "
					 "\"fixes\"",
					 i + 1, MG_RELEASE_FIXES_MAX);
			r = MG_ERR_INVALID;
			break;
		}
		if (c <= 0)
			continue;
		if (*found_out &&
		    (r = mg_deb_version_compare(version, newest->version, &c, err, errlen)) != 0)
			break;
		if (*found_out && c <= 0)
			continue;
		memset(newest, 0, sizeof(*newest));
		snprintf(newest->version, sizeof(newest->version), "%s", version);
		sbom_text_keep(newest->date, 11 + 4, date);
		newest->security = json_is_true(json_object_get(rel, "security"));
		json_array_foreach(fixes, k, fix)
		{
			const char *text = json_string_value(fix);

			if (text == NULL) {
				snprintf(err, errlen, "release %s: a fix that is not text",
					 version);
				r = MG_ERR_INVALID;
				break;
			}
			sbom_text_keep(newest->fixes[newest->nfixes++], MG_ADVISORY_SUMMARY_MAX + 1,
				       text);
		}
		*found_out = true;
	}
	json_decref(root);
	if (r != 0) {
		memset(newest, 0, sizeof(*newest));
		*found_out = false;
	}
	return r;
}

int mg_release_check(const unsigned char *feed, size_t len, const unsigned char sig[64],
		     const unsigned char pk[32], const char *current, struct mg_release *newest,
		     bool *found_out, char *err, size_t errlen)
{
	memset(newest, 0, sizeof(*newest));
	*found_out = false;
	if (len > MG_RELEASE_FEED_MAX) {
		snprintf(err, errlen, "release feed larger than %u bytes", MG_RELEASE_FEED_MAX);
		return MG_ERR_LIMIT;
	}
	if (crypto_sign_verify_detached(sig, feed, len, pk) != 0) {
		snprintf(err, errlen,
			 "the release feed's signature does not match the maker's key");
		return MG_ERR_DENIED;
	}
	return mg_release_parse((const char *)feed, len, current, newest, found_out, err, errlen);
}
