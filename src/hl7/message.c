/* Parsing an HL7 v2 message into segments, and reading any value of it
 * (docs/internals/hl7.md).
 *
 * The message is untrusted. mg_hl7_parse checks its shape once: MSH
 * first with sane encoding characters, segment ids, no control bytes, and
 * every bound of hl7.h. It keeps a copy of the text and one small record
 * per segment; fields, components and escapes are found when asked for,
 * by scanning a segment of at most MG_HL7_SEGMENT_MAX bytes. So a parsed
 * message costs its own size plus 12 bytes per segment, whatever its
 * shape. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "hl7/internal.h"

const struct hl7_delimiters hl7_standard_delimiters = { '|', '^', '~', '\\', '&' };

static int is_delimiter_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e &&
	       !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
}

static int is_terminator(char c)
{
	return c == '\r' || c == '\n';
}

/* Printable bytes, TAB, and anything >= 0x80 (MSH-18 may say UTF-8). */
static int is_content_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int read_delimiters(const char *buf, size_t len, struct hl7_delimiters *d,
			   struct mg_hl7_error *error)
{
	const char *c = buf + 3;

	if (len < 8 || memcmp(buf, "MSH", 3) != 0) {
		hl7_error_set(error, MG_HL7_SEGMENT_SEQUENCE_ERROR, "", 0, 0,
			      "the message does not start with an MSH segment");
		return MG_ERR_INVALID;
	}
	for (size_t i = 0; i < 5; i++) {
		if (!is_delimiter_char((unsigned char)c[i])) {
			hl7_error_set(error, MG_HL7_DATA_TYPE_ERROR, "MSH", 1, i == 0 ? 1 : 2,
				      "encoding character %zu is not a printable "
				      "non-alphanumeric character", i + 1);
			return MG_ERR_INVALID;
		}
		for (size_t j = 0; j < i; j++) {
			if (c[i] == c[j]) {
				hl7_error_set(error, MG_HL7_DATA_TYPE_ERROR, "MSH", 1, 2,
					      "encoding characters %zu and %zu are the same",
					      j + 1, i + 1);
				return MG_ERR_INVALID;
			}
		}
	}
	if (len > 8 && buf[8] != c[0] && !is_terminator(buf[8])) {
		hl7_error_set(error, MG_HL7_DATA_TYPE_ERROR, "MSH", 1, 2,
			      "MSH-2 must hold exactly 4 encoding characters");
		return MG_ERR_INVALID;
	}
	d->field = c[0];
	d->component = c[1];
	d->repetition = c[2];
	d->escape = c[3];
	d->subcomponent = c[4];
	return 0;
}

/* The next non-empty segment at or after *pos: [*start, *start + *seglen).
 * Returns 0, or 1 at the end of the text. */
static int next_segment(const char *text, size_t len, size_t *pos, size_t *start,
			size_t *seglen)
{
	size_t p = *pos, end;

	while (p < len && is_terminator(text[p]))
		p++;
	if (p >= len)
		return 1;
	for (end = p; end < len && !is_terminator(text[end]); end++)
		;
	*start = p;
	*seglen = end - p;
	*pos = end;
	return 0;
}

static int valid_id(const char *s)
{
	if (!(s[0] >= 'A' && s[0] <= 'Z'))
		return 0;
	for (int i = 1; i < 3; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

static unsigned occurrence(const struct mg_hl7_msg *m, size_t seg)
{
	unsigned n = 0;

	for (size_t i = 0; i <= seg; i++)
		if (memcmp(m->segments[i].id, m->segments[seg].id, 4) == 0)
			n++;
	return n;
}

static int check_segment(struct mg_hl7_msg *m, size_t i, struct mg_hl7_error *error)
{
	struct hl7_segment *s = &m->segments[i];
	const char *t = m->text + s->offset;
	unsigned separators = 0, seq;

	if (s->length < 3 || !valid_id(t) || (s->length > 3 && t[3] != m->delimiters.field)) {
		hl7_error_set(error, MG_HL7_SEGMENT_SEQUENCE_ERROR, "", 0, 0,
			      "segment %zu: the id is not 3 upper-case letters or digits "
			      "followed by the field separator", i + 1);
		return MG_ERR_INVALID;
	}
	memcpy(s->id, t, 3);
	s->id[3] = '\0';
	seq = occurrence(m, i);
	if (i > 0 && strcmp(s->id, "MSH") == 0) {
		hl7_error_set(error, MG_HL7_SEGMENT_SEQUENCE_ERROR, "MSH", seq, 0,
			      "a second MSH segment (batches are not supported)");
		return MG_ERR_INVALID;
	}
	for (size_t k = 3; k < s->length; k++) {
		if (!is_content_byte((unsigned char)t[k])) {
			hl7_error_set(error, MG_HL7_DATA_TYPE_ERROR, s->id, seq, 0,
				      "%s segment %u: control byte at offset %zu", s->id, seq, k);
			return MG_ERR_INVALID;
		}
		if (t[k] == m->delimiters.field)
			separators++;
	}
	if (separators + (i == 0) > MG_HL7_FIELDS_MAX) {
		hl7_error_set(error, MG_HL7_DATA_TYPE_ERROR, s->id, seq, 0,
			      "%s segment %u: more than %d fields", s->id, seq, MG_HL7_FIELDS_MAX);
		return MG_ERR_LIMIT;
	}
	return 0;
}

/* Count the segments (checking the bounds), then allocate once. */
static int parse(const char *buf, size_t len, int msh_only, struct mg_hl7_msg **out,
		 struct mg_hl7_error *error)
{
	struct hl7_delimiters d;
	struct mg_hl7_msg *m = NULL;
	size_t pos = 0, start, seglen, nseg = 0, used = 0;
	int r;

	*out = NULL;
	hl7_error_set(error, MG_HL7_ACCEPTED, "", 0, 0, "%s", "");
	if (buf == NULL || len == 0) {
		hl7_error_set(error, MG_HL7_SEGMENT_SEQUENCE_ERROR, "", 0, 0, "empty message");
		return MG_ERR_INVALID;
	}
	if (len > MG_HL7_MESSAGE_MAX) {
		hl7_error_set(error, MG_HL7_DATA_TYPE_ERROR, "", 0, 0,
			      "message longer than %d bytes", MG_HL7_MESSAGE_MAX);
		return MG_ERR_LIMIT;
	}
	if ((r = read_delimiters(buf, len, &d, error)) != 0)
		return r;
	while (next_segment(buf, len, &pos, &start, &seglen) == 0) {
		if (++nseg > MG_HL7_SEGMENTS_MAX) {
			hl7_error_set(error, MG_HL7_SEGMENT_SEQUENCE_ERROR, "", 0, 0,
				      "more than %d segments", MG_HL7_SEGMENTS_MAX);
			return MG_ERR_LIMIT;
		}
		if (seglen > MG_HL7_SEGMENT_MAX) {
			hl7_error_set(error, MG_HL7_DATA_TYPE_ERROR, "", 0, 0,
				      "segment %zu longer than %d bytes", nseg, MG_HL7_SEGMENT_MAX);
			return MG_ERR_LIMIT;
		}
		used = start + seglen;
		if (msh_only)
			break;
	}
	m = calloc(1, sizeof(*m) + nseg * sizeof(m->segments[0]));
	if (m == NULL || (m->text = malloc(used + 1)) == NULL) {
		free(m);
		hl7_error_set(error, MG_HL7_APPLICATION_INTERNAL_ERROR, "", 0, 0, "out of memory");
		return MG_ERR_NOMEM;
	}
	memcpy(m->text, buf, used);
	m->text[used] = '\0';
	m->length = used;
	m->delimiters = d;
	pos = 0;
	while (m->nsegments < nseg && next_segment(m->text, used, &pos, &start, &seglen) == 0) {
		m->segments[m->nsegments].offset = (uint32_t)start;
		m->segments[m->nsegments].length = (uint32_t)seglen;
		if ((r = check_segment(m, m->nsegments, error)) != 0) {
			mg_hl7_msg_free(m);
			return r;
		}
		m->nsegments++;
	}
	*out = m;
	return 0;
}

int mg_hl7_parse(const char *buf, size_t len, struct mg_hl7_msg **out,
		 struct mg_hl7_error *error)
{
	return parse(buf, len, 0, out, error);
}

int mg_hl7_parse_msh(const char *buf, size_t len, struct mg_hl7_msg **out,
		     struct mg_hl7_error *error)
{
	return parse(buf, len, 1, out, error);
}

void mg_hl7_msg_free(struct mg_hl7_msg *m)
{
	if (m == NULL)
		return;
	if (m->text != NULL) {
		sodium_memzero(m->text, m->length);
		free(m->text);
	}
	free(m);
}

size_t mg_hl7_segment_count(const struct mg_hl7_msg *m)
{
	return m->nsegments;
}

const char *mg_hl7_segment_id(const struct mg_hl7_msg *m, size_t seg)
{
	return seg < m->nsegments ? m->segments[seg].id : NULL;
}

int mg_hl7_segment_find(const struct mg_hl7_msg *m, const char *id, size_t from,
			size_t *seg)
{
	for (size_t i = from; i < m->nsegments; i++) {
		if (strcmp(m->segments[i].id, id) == 0) {
			*seg = i;
			return 0;
		}
	}
	return MG_ERR_NOT_FOUND;
}

unsigned mg_hl7_field_count(const struct mg_hl7_msg *m, size_t seg)
{
	const struct hl7_segment *s;
	unsigned n = 0;

	if (seg >= m->nsegments)
		return 0;
	s = &m->segments[seg];
	for (const char *p = m->text + s->offset + 3, *end = m->text + s->offset + s->length;
	     p < end && (p = memchr(p, m->delimiters.field, (size_t)(end - p))) != NULL; p++)
		n++;
	return seg == 0 ? n + 1 : n;
}

void mg_hl7_field_raw(const struct mg_hl7_msg *m, size_t seg, unsigned field,
		      const char **text, size_t *len)
{
	const struct hl7_segment *s;
	const char *t, *end, *p;
	unsigned skip;

	*text = "";
	*len = 0;
	if (seg >= m->nsegments || field == 0)
		return;
	s = &m->segments[seg];
	t = m->text + s->offset;
	end = t + s->length;
	if (seg == 0 && field == 1) {	/* MSH-1 is the separator itself */
		*text = t + 3;
		*len = 1;
		return;
	}
	/* Field n starts after the n-th separator; in MSH after the (n-1)-th,
	 * since the first separator is MSH-1 itself. */
	skip = seg == 0 ? field - 1 : field;
	for (p = t + 3; p < end; p++) {
		if ((p = memchr(p, m->delimiters.field, (size_t)(end - p))) == NULL)
			return;		/* fewer fields: empty */
		if (--skip == 0) {
			const char *q = memchr(p + 1, m->delimiters.field, (size_t)(end - p - 1));

			*text = p + 1;
			*len = (size_t)((q != NULL ? q : end) - (p + 1));
			return;
		}
	}
}

/* Narrow [*p, *p + *n) to its index-th (1-based) part between sep chars. */
static void narrow(const char **p, size_t *n, char sep, unsigned index)
{
	const char *s = *p, *end = *p + *n, *q;

	for (; index > 1; index--) {
		q = memchr(s, sep, (size_t)(end - s));
		if (q == NULL) {
			*n = 0;
			return;
		}
		s = q + 1;
	}
	q = memchr(s, sep, (size_t)(end - s));
	*p = s;
	*n = (size_t)((q != NULL ? q : end) - s);
}

int mg_hl7_text_at(const struct mg_hl7_msg *m, size_t seg, const struct mg_hl7_pos *pos,
		   char *out, size_t outsize)
{
	const char *p;
	size_t n;
	unsigned field = pos->field ? pos->field : 1;

	if (outsize == 0)
		return MG_ERR_LIMIT;
	out[0] = '\0';
	mg_hl7_field_raw(m, seg, field, &p, &n);
	if (seg == 0 && field <= 2) {	/* MSH-1, MSH-2: no parts, no escapes */
		if (n >= outsize)
			return MG_ERR_LIMIT;
		memcpy(out, p, n);
		out[n] = '\0';
		return 0;
	}
	narrow(&p, &n, m->delimiters.repetition, pos->repetition ? pos->repetition : 1);
	narrow(&p, &n, m->delimiters.component, pos->component ? pos->component : 1);
	narrow(&p, &n, m->delimiters.subcomponent, pos->subcomponent ? pos->subcomponent : 1);
	return hl7_unescape(&m->delimiters, p, n, out, outsize);
}

int mg_hl7_text(const struct mg_hl7_msg *m, size_t seg, unsigned field, unsigned component,
		char *out, size_t outsize)
{
	struct mg_hl7_pos pos = { field, 1, component, 1 };

	return mg_hl7_text_at(m, seg, &pos, out, outsize);
}
