/* Blood pressure categories of the 2023 ESH guidelines. */
#include <math.h>
#include <string.h>

#include "common/err.h"
#include "model/blood_pressure.h"

static const struct {
	const char *code, *label;
} class_names[] = {
	[MG_BP_CLASS_NONE] = { "none", "No class" },
	[MG_BP_OPTIMAL] = { "optimal", "Optimal" },
	[MG_BP_NORMAL] = { "normal", "Normal" },
	[MG_BP_HIGH_NORMAL] = { "high_normal", "High-normal" },
	[MG_BP_GRADE_1] = { "grade_1", "Grade 1 hypertension" },
	[MG_BP_GRADE_2] = { "grade_2", "Grade 2 hypertension" },
	[MG_BP_GRADE_3] = { "grade_3", "Grade 3 hypertension" },
	[MG_BP_ISH_GRADE_1] = { "isolated_systolic_grade_1",
				"Isolated systolic hypertension, grade 1" },
	[MG_BP_ISH_GRADE_2] = { "isolated_systolic_grade_2",
				"Isolated systolic hypertension, grade 2" },
	[MG_BP_ISH_GRADE_3] = { "isolated_systolic_grade_3",
				"Isolated systolic hypertension, grade 3" },
	[MG_BP_IDH_GRADE_1] = { "isolated_diastolic_grade_1",
				"Isolated diastolic hypertension, grade 1" },
	[MG_BP_IDH_GRADE_2] = { "isolated_diastolic_grade_2",
				"Isolated diastolic hypertension, grade 2" },
	[MG_BP_IDH_GRADE_3] = { "isolated_diastolic_grade_3",
				"Isolated diastolic hypertension, grade 3" },
};

#define CLASS_COUNT (sizeof(class_names) / sizeof(class_names[0]))

static const struct {
	const char *code, *text;
} no_class_names[] = {
	[MG_BP_HAS_CLASS] = { "", "" },
	[MG_BP_NO_BIRTH_DATE] = { "no_birth_date",
				  "No blood pressure class: the birth date is not known, and "
				  "the ESH classification applies to adults only." },
	[MG_BP_UNDER_ADULT_AGE] = { "under_adult_age",
				    "No blood pressure class: under 18 years blood pressure "
				    "is judged against percentiles for age, sex and height, "
				    "which are not available here." },
	[MG_BP_BIRTH_AFTER_MEASUREMENT] = { "birth_after_measurement",
					    "No blood pressure class: the birth date is after "
					    "the measurement; one of the two dates is wrong." },
};

#define NO_CLASS_COUNT (sizeof(no_class_names) / sizeof(no_class_names[0]))

/* The level 0 (optimal) .. 5 (grade 3) of each pressure alone. The ranges
 * are written in whole mmHg (120-129, ...); a fractional reading belongs to
 * the range below the next boundary. */
static int systolic_level(double sys)
{
	if (sys < 120.0)
		return 0;
	if (sys < 130.0)
		return 1;
	if (sys < 140.0)
		return 2;
	if (sys < 160.0)
		return 3;
	if (sys < 180.0)
		return 4;
	return 5;
}

static int diastolic_level(double dia)
{
	if (dia < 80.0)
		return 0;
	if (dia < 85.0)
		return 1;
	if (dia < 90.0)
		return 2;
	if (dia < 100.0)
		return 3;
	if (dia < 110.0)
		return 4;
	return 5;
}

static bool readings_valid(double sys, double dia)
{
	return isfinite(sys) && isfinite(dia) && sys > 0.0 && dia > 0.0 && dia < sys;
}

enum mg_bp_class mg_bp_category(double sys, double dia)
{
	static const enum mg_bp_class by_level[] = {
		MG_BP_OPTIMAL, MG_BP_NORMAL, MG_BP_HIGH_NORMAL,
		MG_BP_GRADE_1, MG_BP_GRADE_2, MG_BP_GRADE_3,
	};
	int s, d;

	if (!readings_valid(sys, dia))
		return MG_BP_CLASS_NONE;
	s = systolic_level(sys);
	d = diastolic_level(dia);
	/* Hypertension starts at level 3 (140 systolic, 90 diastolic). */
	if (s >= 3 && d < 3)
		return MG_BP_ISH_GRADE_1 + (s - 3);
	if (d >= 3 && s < 3)
		return MG_BP_IDH_GRADE_1 + (d - 3);
	return by_level[s > d ? s : d];
}

static int grade_of(enum mg_bp_class cls)
{
	switch (cls) {
	case MG_BP_GRADE_1:
	case MG_BP_ISH_GRADE_1:
	case MG_BP_IDH_GRADE_1:
		return 1;
	case MG_BP_GRADE_2:
	case MG_BP_ISH_GRADE_2:
	case MG_BP_IDH_GRADE_2:
		return 2;
	case MG_BP_GRADE_3:
	case MG_BP_ISH_GRADE_3:
	case MG_BP_IDH_GRADE_3:
		return 3;
	default:
		return 0;
	}
}

int mg_bp_classify(double systolic, double diastolic, int64_t birth_ms, int64_t measured_ms,
		   struct mg_bp_reading *out)
{
	struct mg_age age;
	int r;

	memset(out, 0, sizeof(*out));
	if (!readings_valid(systolic, diastolic))
		return MG_ERR_INVALID;
	r = mg_age_compute(birth_ms, measured_ms, &age);
	if (r == MG_ERR_NOT_FOUND) {
		out->why_not = MG_BP_NO_BIRTH_DATE;
		return 0;
	}
	if (r == MG_ERR_RANGE) {
		out->why_not = MG_BP_BIRTH_AFTER_MEASUREMENT;
		return 0;
	}
	if (r != 0)
		return r;
	if (age.years < MG_BP_ADULT_AGE) {
		out->why_not = MG_BP_UNDER_ADULT_AGE;
		return 0;
	}
	out->cls = mg_bp_category(systolic, diastolic);
	out->grade = grade_of(out->cls);
	out->has_class = true;
	return 0;
}

const char *mg_bp_class_code(enum mg_bp_class cls)
{
	if ((size_t)cls >= CLASS_COUNT)
		cls = MG_BP_CLASS_NONE;
	return class_names[cls].code;
}

const char *mg_bp_class_label(enum mg_bp_class cls)
{
	if ((size_t)cls >= CLASS_COUNT)
		cls = MG_BP_CLASS_NONE;
	return class_names[cls].label;
}

const char *mg_bp_no_class_code(enum mg_bp_no_class why)
{
	return (size_t)why < NO_CLASS_COUNT ? no_class_names[why].code : "";
}

const char *mg_bp_no_class_text(enum mg_bp_no_class why)
{
	return (size_t)why < NO_CLASS_COUNT ? no_class_names[why].text : "";
}
