/* The one table of measured quantities: name, unit, plausible range and the
 * codes each standard uses for it (docs/quantities.md is generated from the
 * same facts). Extend the table in quantity.c; never scatter codes. */
#ifndef MG_MODEL_QUANTITY_H
#define MG_MODEL_QUANTITY_H

#include <stddef.h>
#include <stdint.h>

struct mg_quantity {
	const char *name;	/* API name: "body_weight" */
	const char *display;	/* "Body weight" */
	const char *ucum;	/* UCUM unit: "kg" */
	double min, max;	/* plausible (physiological) range, inclusive */
	uint32_t mdc_code;	/* IEEE 11073 code, (partition << 16) + term */
	const char *mdc_name;	/* "MDC_MASS_BODY_ACTUAL" */
	uint32_t mdc_unit_code;	/* 263875 */
	const char *mdc_unit_name; /* "MDC_DIM_KILO_G" */
	const char *loinc;	/* "29463-7" */
	const char *loinc_display; /* LOINC long common name */
};

/* The quantity called name, or NULL if the gateway does not know it. */
const struct mg_quantity *mg_quantity_find(const char *name);

/* The quantity with IEEE 11073 code mdc_code, or NULL. */
const struct mg_quantity *mg_quantity_find_mdc(uint32_t mdc_code);

/* The i-th quantity of the table, or NULL past its end (for iteration). */
const struct mg_quantity *mg_quantity_at(size_t i);

/* The number of rows in the table. */
size_t mg_quantity_count(void);

#endif
