/* A small well-formedness check for the XML medgate writes (elements with
 * attributes, no text content): a test's own parser, so the formatter is
 * not checked against itself. The integration tests parse with python's
 * xml.etree as well. */
#ifndef MG_TEST_XML_CHECK_H
#define MG_TEST_XML_CHECK_H

#include <stdbool.h>
#include <string.h>

#include "common/utf8.h"

static bool xml_name(const char **p)
{
	const char *s = *p;

	while ((**p >= 'a' && **p <= 'z') || (**p >= 'A' && **p <= 'Z') ||
	       (**p >= '0' && **p <= '9') || **p == '-' || **p == '_' || **p == ':')
		(*p)++;
	return *p > s;
}

static bool xml_value(const char **p)
{
	static const char *const entities[] = { "amp;", "lt;", "gt;", "quot;", "apos;" };

	if (**p != '"')
		return false;
	for ((*p)++; **p != '"'; (*p)++) {
		bool known = false;

		if (**p == '\0' || **p == '<' || (unsigned char)**p < 0x20)
			return false;
		if (**p != '&')
			continue;
		for (size_t i = 0; i < 5 && !known; i++) {
			if (strncmp(*p + 1, entities[i], strlen(entities[i])) == 0) {
				known = true;
				*p += strlen(entities[i]);
			}
		}
		if (!known)
			return false;
	}
	(*p)++;
	return true;
}

/* One element and its children; depth bounds the recursion. */
static bool xml_element(const char **p, int depth)
{
	const char *name, *end;
	size_t n;

	if (depth > 16 || **p != '<')
		return false;
	(*p)++;
	name = *p;
	if (!xml_name(p))
		return false;
	n = (size_t)(*p - name);
	while (**p == ' ') {
		(*p)++;
		if (!xml_name(p) || **p != '=')
			return false;
		(*p)++;
		if (!xml_value(p))
			return false;
	}
	if (strncmp(*p, "/>", 2) == 0) {
		*p += 2;
		return true;
	}
	if (**p != '>')
		return false;
	(*p)++;
	while (strncmp(*p, "</", 2) != 0) {
		if (!xml_element(p, depth + 1))
			return false;
	}
	*p += 2;
	end = *p;
	if (!xml_name(p) || (size_t)(*p - end) != n || strncmp(name, end, n) != 0 || **p != '>')
		return false;
	(*p)++;
	return true;
}

static bool xml_well_formed(const char *doc)
{
	const char *p = doc, *decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

	if (!mg_utf8_valid(doc, strlen(doc)))
		return false;
	if (strncmp(p, decl, strlen(decl)) == 0)
		p += strlen(decl);
	return xml_element(&p, 0) && *p == '\0';
}

#endif
