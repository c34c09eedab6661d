/* What the src/fhir/ suites share (test_fhir.c, test_fhir_fields.c,
 * test_fhir_judge.c): a fixed outbound message and an encoder wrapper that
 * checks the text reads back as JSON and, with MG_FHIR_SAMPLES_DIR set,
 * keeps it as a sample. fhir_fixture.c is linked into each
 * (tests/tests.cmake). */
#ifndef MG_TEST_FHIR_FIXTURE_H
#define MG_TEST_FHIR_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/json.h"
#include "fhir/fhir.h"
#include "fhir/fhir_internal.h"
#include "model/quantity.h"

#define T_MEASURED INT64_C(1795341600123)	/* 2026-11-22T10:00:00.123Z */
#define T_RECEIVED INT64_C(1795341602000)	/* 2026-11-22T10:00:02.000Z */
#define DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* The systems every test encodes with. */
extern const struct mg_fhir_options options;

/* A fixed message (MG0123456789abcdef-42, patient P-0042, device 7 "Scale
 * ward 3" of tenant "Ward 3") with no values yet; outbound_add appends a
 * value of the quantity called name. */
void outbound_init(struct mg_outbound *o);
void outbound_add(struct mg_outbound *o, const char *name, double value);
/* Encode o, check the text is what jansson reads back, and keep it as a
 * sample called sample (NULL: none). Returns the parsed Bundle (the
 * caller's, json_decref); *text_out (if not NULL) gets the text
 * (mg_fhir_free). */
json_t *encode(const struct mg_outbound *o, const char *sample, char **text_out);
json_t *entry_resource(json_t *bundle, size_t i);	/* borrowed */
/* Keep text as sample name.json when MG_FHIR_SAMPLES_DIR is set. */
void sample_write(const char *name, const char *text, size_t len);
/* The string at a dotted path ("entry.0.request.url"), or NULL. */
const char *str_at(json_t *root, const char *path);

#endif
