/* Office blood pressure classified by the 2023 ESH Guidelines for the
 * management of arterial hypertension (European Society of Hypertension;
 * the categories are those of the 2018 ESC/ESH guidelines). Adults only:
 * children's blood pressure is judged against percentiles for age, sex
 * and height, which medgate does not hold. Sources, cut-offs and what is
 * shown without a class: docs/quantities.md, section Interpretation. */
#ifndef MG_MODEL_BLOOD_PRESSURE_H
#define MG_MODEL_BLOOD_PRESSURE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/age.h"

/* The guideline applies from this age (years) on. */
#define MG_BP_ADULT_AGE 18

enum mg_bp_class {
	MG_BP_CLASS_NONE = 0,
	MG_BP_OPTIMAL,		/* < 120 and < 80 */
	MG_BP_NORMAL,		/* 120-129 and/or 80-84 */
	MG_BP_HIGH_NORMAL,	/* 130-139 and/or 85-89 */
	MG_BP_GRADE_1,		/* 140-159 and/or 90-99 */
	MG_BP_GRADE_2,		/* 160-179 and/or 100-109 */
	MG_BP_GRADE_3,		/* >= 180 and/or >= 110 */
	MG_BP_ISH_GRADE_1,	/* isolated systolic: >= 140 and < 90, */
	MG_BP_ISH_GRADE_2,	/* graded by the systolic value */
	MG_BP_ISH_GRADE_3,
	MG_BP_IDH_GRADE_1,	/* isolated diastolic: < 140 and >= 90, */
	MG_BP_IDH_GRADE_2,	/* graded by the diastolic value */
	MG_BP_IDH_GRADE_3,
};

enum mg_bp_no_class {
	MG_BP_HAS_CLASS = 0,
	MG_BP_NO_BIRTH_DATE,		/* adult or child is unknown */
	MG_BP_UNDER_ADULT_AGE,		/* children need percentile tables */
	MG_BP_BIRTH_AFTER_MEASUREMENT,	/* the dates contradict each other */
};

struct mg_bp_reading {
	bool has_class;
	enum mg_bp_no_class why_not;	/* MG_BP_HAS_CLASS when has_class */
	enum mg_bp_class cls;
	int grade;			/* 1..3 for hypertension, else 0 */
};

/* Classify one office reading (mmHg) of a person born at birth_ms
 * (MG_TIME_UNKNOWN if not known) measured at measured_ms: the higher of
 * the systolic and the diastolic category wins; hypertension with only one
 * of them raised is reported as isolated systolic (or diastolic)
 * hypertension of that grade. Returns 0 with *out filled (has_class and
 * why_not tell whether a class could be given), or MG_ERR_INVALID if a
 * pressure is not finite and positive, the diastolic is not below the
 * systolic, or a time is outside the calendar range. */
int mg_bp_classify(double systolic, double diastolic, int64_t birth_ms, int64_t measured_ms,
		   struct mg_bp_reading *out);

/* The category of a reading without regard to age (the guideline's table
 * alone); MG_BP_CLASS_NONE for values mg_bp_classify refuses. */
enum mg_bp_class mg_bp_category(double systolic, double diastolic);

/* Stable code ("grade_2") and English label ("Grade 2 hypertension");
 * "none" / "No class" for MG_BP_CLASS_NONE or an unknown value. */
const char *mg_bp_class_code(enum mg_bp_class cls);
const char *mg_bp_class_label(enum mg_bp_class cls);

/* Stable code and English sentence saying why no class is shown; "" for
 * MG_BP_HAS_CLASS. Never NULL. */
const char *mg_bp_no_class_code(enum mg_bp_no_class why);
const char *mg_bp_no_class_text(enum mg_bp_no_class why);

#endif
