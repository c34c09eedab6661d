/* The one table of measured quantities. Every code below was checked
 * against public sources listed per row in docs/quantities.md; the ranges
 * are physiological limits for adults and children (neonates included),
 * chosen to reject device or unit errors, not to flag disease. Extend the
 * table here and in docs/quantities.md together. */
#include <string.h>

#include "model/quantity.h"

/* IEEE 11073-10101 codes are (partition << 16) + term code. */
#define MDC_PART_SCADA	2u
#define MDC_PART_DIM	4u
#define MDC(partition, term)	(((partition) << 16) + (term))

static const struct mg_quantity quantities[] = {
	{
		.name = "body_weight",
		.display = "Body weight",
		.ucum = "kg",
		.min = 0.2, .max = 700.0,
		.mdc_code = MDC(MDC_PART_SCADA, 57664),		/* 188736 */
		.mdc_name = "MDC_MASS_BODY_ACTUAL",
		.mdc_unit_code = MDC(MDC_PART_DIM, 1731),	/* 263875 */
		.mdc_unit_name = "MDC_DIM_KILO_G",
		.loinc = "29463-7",
		.loinc_display = "Body weight",
	},
	{
		.name = "body_height",
		.display = "Body height",
		.ucum = "cm",
		.min = 20.0, .max = 280.0,
		.mdc_code = MDC(MDC_PART_SCADA, 57668),		/* 188740 */
		.mdc_name = "MDC_LEN_BODY_ACTUAL",
		.mdc_unit_code = MDC(MDC_PART_DIM, 1297),	/* 263441 */
		.mdc_unit_name = "MDC_DIM_CENTI_M",
		.loinc = "8302-2",
		.loinc_display = "Body height",
	},
	{
		.name = "bmi",
		.display = "Body mass index",
		.ucum = "kg/m2",
		.min = 5.0, .max = 200.0,
		.mdc_code = MDC(MDC_PART_SCADA, 57680),		/* 188752 */
		.mdc_name = "MDC_RATIO_MASS_BODY_LEN_SQ",
		.mdc_unit_code = MDC(MDC_PART_DIM, 1952),	/* 264096 */
		.mdc_unit_name = "MDC_DIM_KG_PER_M_SQ",
		.loinc = "39156-5",
		.loinc_display = "Body mass index (BMI) [Ratio]",
	},
	{
		.name = "body_fat",
		.display = "Body fat",
		.ucum = "%",
		.min = 1.0, .max = 80.0,
		.mdc_code = MDC(MDC_PART_SCADA, 57676),		/* 188748 */
		.mdc_name = "MDC_BODY_FAT",
		.mdc_unit_code = MDC(MDC_PART_DIM, 544),	/* 262688 */
		.mdc_unit_name = "MDC_DIM_PERCENT",
		.loinc = "41982-0",
		.loinc_display = "Percentage of body fat Measured",
	},
	{
		.name = "body_water",
		.display = "Body water",
		.ucum = "kg",
		.min = 0.1, .max = 500.0,
		.mdc_code = MDC(MDC_PART_SCADA, 57692),		/* 188764 */
		.mdc_name = "MDC_BODY_WATER",
		.mdc_unit_code = MDC(MDC_PART_DIM, 1731),	/* 263875 */
		.mdc_unit_name = "MDC_DIM_KILO_G",
		.loinc = "101683-1",
		.loinc_display = "Body water mass",
	},
	{
		.name = "bp_systolic",
		.display = "Systolic blood pressure",
		.ucum = "mm[Hg]",
		.min = 30.0, .max = 300.0,
		.mdc_code = MDC(MDC_PART_SCADA, 18949),		/* 150021 */
		.mdc_name = "MDC_PRESS_BLD_NONINV_SYS",
		.mdc_unit_code = MDC(MDC_PART_DIM, 3872),	/* 266016 */
		.mdc_unit_name = "MDC_DIM_MMHG",
		.loinc = "8480-6",
		.loinc_display = "Systolic blood pressure",
	},
	{
		.name = "bp_diastolic",
		.display = "Diastolic blood pressure",
		.ucum = "mm[Hg]",
		.min = 10.0, .max = 200.0,
		.mdc_code = MDC(MDC_PART_SCADA, 18950),		/* 150022 */
		.mdc_name = "MDC_PRESS_BLD_NONINV_DIA",
		.mdc_unit_code = MDC(MDC_PART_DIM, 3872),	/* 266016 */
		.mdc_unit_name = "MDC_DIM_MMHG",
		.loinc = "8462-4",
		.loinc_display = "Diastolic blood pressure",
	},
	{
		.name = "bp_mean",
		.display = "Mean blood pressure",
		.ucum = "mm[Hg]",
		.min = 20.0, .max = 250.0,
		.mdc_code = MDC(MDC_PART_SCADA, 18951),		/* 150023 */
		.mdc_name = "MDC_PRESS_BLD_NONINV_MEAN",
		.mdc_unit_code = MDC(MDC_PART_DIM, 3872),	/* 266016 */
		.mdc_unit_name = "MDC_DIM_MMHG",
		.loinc = "8478-0",
		.loinc_display = "Mean blood pressure",
	},
	{
		.name = "pulse_rate",
		.display = "Pulse rate",
		.ucum = "/min",
		.min = 20.0, .max = 300.0,
		.mdc_code = MDC(MDC_PART_SCADA, 18474),		/* 149546 */
		.mdc_name = "MDC_PULS_RATE_NON_INV",
		.mdc_unit_code = MDC(MDC_PART_DIM, 2720),	/* 264864 */
		.mdc_unit_name = "MDC_DIM_BEAT_PER_MIN",
		.loinc = "8867-4",
		.loinc_display = "Heart rate",
	},
};

#define QUANTITY_COUNT (sizeof(quantities) / sizeof(quantities[0]))

const struct mg_quantity *mg_quantity_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < QUANTITY_COUNT; i++)
		if (strcmp(quantities[i].name, name) == 0)
			return &quantities[i];
	return NULL;
}

const struct mg_quantity *mg_quantity_find_mdc(uint32_t mdc_code)
{
	for (size_t i = 0; i < QUANTITY_COUNT; i++)
		if (quantities[i].mdc_code == mdc_code)
			return &quantities[i];
	return NULL;
}

const struct mg_quantity *mg_quantity_at(size_t i)
{
	return i < QUANTITY_COUNT ? &quantities[i] : NULL;
}

size_t mg_quantity_count(void)
{
	return QUANTITY_COUNT;
}
