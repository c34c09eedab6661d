/* BMI interpretation: the WHO adult classes from the adult age on, and
 * BMI-for-age z-scores with the WHO classes for children and adolescents
 * (WHO Child Growth Standards 2006 for 0-5 years, WHO Reference 2007 for
 * 5-19 years). Pure functions; the references, cut-offs and what is shown
 * without a class are in docs/quantities.md, section Interpretation. */
#ifndef MG_MODEL_GROWTH_H
#define MG_MODEL_GROWTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/age.h"

enum mg_sex {
	MG_SEX_UNKNOWN = 0,
	MG_SEX_MALE,
	MG_SEX_FEMALE,
};

/* The adult age the WHO adult classes start at, unless configured; the
 * configurable range stays inside the WHO Reference 2007 (up to 19 y). */
#define MG_BMI_ADULT_AGE_DEFAULT 18u
#define MG_BMI_ADULT_AGE_MIN 15u
#define MG_BMI_ADULT_AGE_MAX 19u

/* ---- LMS tables and z-scores ---------------------------------------- */

struct mg_lms {
	double l, m, s;	/* Box-Cox power, median, coefficient of variation */
};

enum mg_age_unit {
	MG_AGE_DAYS,	/* one row per day of age */
	MG_AGE_MONTHS,	/* one row per month of age */
};

struct mg_lms_table {
	const char *name;	/* "WHO Reference 2007, BMI-for-age, boys" */
	enum mg_age_unit unit;
	unsigned first;		/* age of rows[0] */
	size_t count;		/* rows for ages first .. first + count - 1 */
	const struct mg_lms *rows;
};

/* The WHO tables (src/model/growth_tables.c, generated). */
extern const struct mg_lms_table mg_who2006_bmi_boys;
extern const struct mg_lms_table mg_who2006_bmi_girls;
extern const struct mg_lms_table mg_who2007_bmi_boys;
extern const struct mg_lms_table mg_who2007_bmi_girls;

/* The row for age_days of a table by day. Returns 0, MG_ERR_RANGE outside
 * the table, or MG_ERR_INVALID if t is not by day. *out is cleared first. */
int mg_lms_at_day(const struct mg_lms_table *t, int64_t age_days, struct mg_lms *out);

/* L, M and S at an exact age in months of a table by month, interpolated
 * linearly between the completed month and the next (as WHO AnthroPlus
 * does). Returns 0, MG_ERR_RANGE outside the table, or MG_ERR_INVALID if
 * t is not by month or months is not finite. *out is cleared first. */
int mg_lms_at_month(const struct mg_lms_table *t, double months, struct mg_lms *out);

/* The LMS z-score of x > 0: ((x / M)^L - 1) / (L * S), or ln(x / M) / S
 * when L is 0. */
double mg_lms_zscore(double x, const struct mg_lms *p);

/* The z-score as WHO computes it for weight-based indicators (BMI
 * included): the LMS z-score between -3 and +3, and beyond them the
 * distance from the +-3 SD value in units of the distance between the
 * 2 SD and 3 SD values (WHO Child Growth Standards, Methods and
 * development, 2006, chapter 7; the same in the WHO 2007 software). */
double mg_lms_zscore_who(double x, const struct mg_lms *p);

/* The measurement at z-score z of the plain LMS distribution:
 * M * (1 + L * S * z)^(1 / L), or M * exp(S * z) when L is 0. NAN when
 * 1 + L * S * z <= 0. */
double mg_lms_value(const struct mg_lms *p, double z);

/* ---- BMI interpretation --------------------------------------------- */

enum mg_bmi_reference {
	MG_BMI_REF_NONE = 0,
	MG_BMI_REF_WHO_ADULT,	/* WHO adult BMI classes */
	MG_BMI_REF_WHO_2006,	/* WHO Child Growth Standards, 0-5 years */
	MG_BMI_REF_WHO_2007,	/* WHO Reference 2007, 5-19 years */
};

/* Each class has a stable code (for translation) and an English label:
 * mg_bmi_class_code() and mg_bmi_class_label(). */
enum mg_bmi_class {
	MG_BMI_CLASS_NONE = 0,
	/* Adults, WHO: */
	MG_BMI_ADULT_SEVERE_THINNESS,	/* < 16.00 */
	MG_BMI_ADULT_MODERATE_THINNESS,	/* 16.00 - 16.99 */
	MG_BMI_ADULT_MILD_THINNESS,	/* 17.00 - 18.49 */
	MG_BMI_ADULT_NORMAL,		/* 18.50 - 24.99 */
	MG_BMI_ADULT_PRE_OBESE,		/* 25.00 - 29.99 */
	MG_BMI_ADULT_OBESE_I,		/* 30.00 - 34.99 */
	MG_BMI_ADULT_OBESE_II,		/* 35.00 - 39.99 */
	MG_BMI_ADULT_OBESE_III,		/* >= 40.00 */
	/* 5-19 years, WHO Reference 2007, by z-score: */
	MG_BMI_CHILD_SEVERE_THINNESS,	/* z < -3 */
	MG_BMI_CHILD_THINNESS,		/* -3 <= z < -2 */
	MG_BMI_CHILD_NORMAL,		/* -2 <= z <= +1 */
	MG_BMI_CHILD_OVERWEIGHT,	/* +1 < z <= +2 */
	MG_BMI_CHILD_OBESITY,		/* z > +2 */
	/* 0-5 years, WHO Child Growth Standards 2006, by z-score: */
	MG_BMI_UNDER5_SEVERELY_WASTED,	/* z < -3 */
	MG_BMI_UNDER5_WASTED,		/* -3 <= z < -2 */
	MG_BMI_UNDER5_NORMAL,		/* -2 <= z <= +1 */
	MG_BMI_UNDER5_RISK_OF_OVERWEIGHT, /* +1 < z <= +2 */
	MG_BMI_UNDER5_OVERWEIGHT,	/* +2 < z <= +3 */
	MG_BMI_UNDER5_OBESE,		/* z > +3 */
};

/* Why no class can be given (stable codes: mg_bmi_no_class_code()). */
enum mg_bmi_no_class {
	MG_BMI_HAS_CLASS = 0,
	MG_BMI_NO_BIRTH_DATE,		/* age unknown: adult or child? */
	MG_BMI_NO_SEX,			/* a child's reference depends on sex */
	MG_BMI_BIRTH_AFTER_MEASUREMENT,	/* the dates contradict each other */
	MG_BMI_AGE_OUTSIDE_REFERENCE,	/* a child older than the tables */
};

struct mg_bmi_reading {
	bool has_class;
	enum mg_bmi_no_class why_not;	/* MG_BMI_HAS_CLASS when has_class */
	enum mg_bmi_reference reference;
	enum mg_bmi_class cls;
	bool has_zscore;		/* children only */
	double zscore;			/* WHO's z-score, rounded to 0.01 */
	struct mg_lms lms;		/* the parameters the z-score used */
	bool has_age;
	struct mg_age age;		/* when the birth date was usable */
};

/* Interpret a BMI (kg/m2) measured at measured_ms of a person born at
 * birth_ms (MG_TIME_UNKNOWN if not known). From adult_age_years (0 for
 * MG_BMI_ADULT_AGE_DEFAULT) on, the WHO adult class, for which sex is not
 * needed; below it, the WHO BMI-for-age z-score and class for the sex.
 * Returns 0 with *out filled, telling in has_class / why_not whether a
 * class could be given; MG_ERR_INVALID if bmi is not finite and positive,
 * adult_age_years is outside MG_BMI_ADULT_AGE_MIN..MAX (0 aside), sex is
 * not an mg_sex, or a time is outside the calendar range. */
int mg_bmi_interpret(double bmi, int64_t birth_ms, enum mg_sex sex, int64_t measured_ms,
		     unsigned adult_age_years, struct mg_bmi_reading *out);

/* The WHO adult class of bmi (classified at 0.01 kg/m2 as WHO tabulates). */
enum mg_bmi_class mg_bmi_adult_class(double bmi);

/* The WHO class for a BMI-for-age z-score under reference ref
 * (MG_BMI_REF_WHO_2006 or MG_BMI_REF_WHO_2007); MG_BMI_CLASS_NONE for
 * another reference or a z-score that is not finite. */
enum mg_bmi_class mg_bmi_child_class(enum mg_bmi_reference ref, double zscore);

/* Stable code ("adult_normal") and English label ("Normal range") of a
 * class; "none" / "No class" for MG_BMI_CLASS_NONE or an unknown value. */
const char *mg_bmi_class_code(enum mg_bmi_class cls);
const char *mg_bmi_class_label(enum mg_bmi_class cls);

/* Stable code ("no_birth_date") and English sentence for a page saying why
 * no class is shown; "" for MG_BMI_HAS_CLASS. Never NULL. */
const char *mg_bmi_no_class_code(enum mg_bmi_no_class why);
const char *mg_bmi_no_class_text(enum mg_bmi_no_class why);

/* Stable code ("who_2007") and full name of a reference; never NULL. */
const char *mg_bmi_reference_code(enum mg_bmi_reference ref);
const char *mg_bmi_reference_name(enum mg_bmi_reference ref);

#endif
