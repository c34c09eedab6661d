/* BMI interpretation: which reference applies at an age, and its class. */
#include <math.h>
#include <string.h>

#include "common/err.h"
#include "model/growth.h"

/* The WHO Reference 2007 takes over from the 2006 standards at 61 months
 * (the 2006 tables end at day 1856, just short of it). */
#define WHO2007_FIRST_MONTH 61.0
#define WHO2007_LAST_MONTH 228.0
#define WHO2006_LAST_DAY 1856

static const struct {
	const char *code, *label;
} class_names[] = {
	[MG_BMI_CLASS_NONE] = { "none", "No class" },
	[MG_BMI_ADULT_SEVERE_THINNESS] = { "adult_severe_thinness", "Severe thinness" },
	[MG_BMI_ADULT_MODERATE_THINNESS] = { "adult_moderate_thinness", "Moderate thinness" },
	[MG_BMI_ADULT_MILD_THINNESS] = { "adult_mild_thinness", "Mild thinness" },
	[MG_BMI_ADULT_NORMAL] = { "adult_normal", "Normal range" },
	[MG_BMI_ADULT_PRE_OBESE] = { "adult_pre_obese", "Pre-obese" },
	[MG_BMI_ADULT_OBESE_I] = { "adult_obese_1", "Obese class I" },
	[MG_BMI_ADULT_OBESE_II] = { "adult_obese_2", "Obese class II" },
	[MG_BMI_ADULT_OBESE_III] = { "adult_obese_3", "Obese class III" },
	[MG_BMI_CHILD_SEVERE_THINNESS] = { "child_severe_thinness", "Severe thinness" },
	[MG_BMI_CHILD_THINNESS] = { "child_thinness", "Thinness" },
	[MG_BMI_CHILD_NORMAL] = { "child_normal", "Normal" },
	[MG_BMI_CHILD_OVERWEIGHT] = { "child_overweight", "Overweight" },
	[MG_BMI_CHILD_OBESITY] = { "child_obesity", "Obesity" },
	[MG_BMI_UNDER5_SEVERELY_WASTED] = { "under5_severely_wasted", "Severely wasted" },
	[MG_BMI_UNDER5_WASTED] = { "under5_wasted", "Wasted" },
	[MG_BMI_UNDER5_NORMAL] = { "under5_normal", "Normal" },
	[MG_BMI_UNDER5_RISK_OF_OVERWEIGHT] = { "under5_risk_of_overweight",
					       "Possible risk of overweight" },
	[MG_BMI_UNDER5_OVERWEIGHT] = { "under5_overweight", "Overweight" },
	[MG_BMI_UNDER5_OBESE] = { "under5_obese", "Obese" },
};

#define CLASS_COUNT (sizeof(class_names) / sizeof(class_names[0]))

static const struct {
	const char *code, *text;
} no_class_names[] = {
	[MG_BMI_HAS_CLASS] = { "", "" },
	[MG_BMI_NO_BIRTH_DATE] = { "no_birth_date",
				   "No BMI class: the birth date is not known, and the class "
				   "depends on age (adult classes from the adult age, "
				   "BMI-for-age below it)." },
	[MG_BMI_NO_SEX] = { "no_sex", "No BMI class: the sex is not known, and BMI-for-age "
				      "references for children differ by sex." },
	[MG_BMI_BIRTH_AFTER_MEASUREMENT] = { "birth_after_measurement",
					     "No BMI class: the birth date is after the "
					     "measurement; one of the two dates is wrong." },
	[MG_BMI_AGE_OUTSIDE_REFERENCE] = { "age_outside_reference",
					   "No BMI class: the age is beyond the WHO BMI-for-age "
					   "reference (19 years) and below the adult age." },
};

#define NO_CLASS_COUNT (sizeof(no_class_names) / sizeof(no_class_names[0]))

static const struct {
	const char *code, *name;
} reference_names[] = {
	[MG_BMI_REF_NONE] = { "none", "No reference" },
	[MG_BMI_REF_WHO_ADULT] = { "who_adult", "WHO adult BMI classification" },
	[MG_BMI_REF_WHO_2006] = { "who_2006", "WHO Child Growth Standards 2006, BMI-for-age" },
	[MG_BMI_REF_WHO_2007] = { "who_2007", "WHO Reference 2007, BMI-for-age" },
};

#define REFERENCE_COUNT (sizeof(reference_names) / sizeof(reference_names[0]))

static double round_to_hundredths(double x)
{
	return round(x * 100.0) / 100.0;
}

enum mg_bmi_class mg_bmi_adult_class(double bmi)
{
	/* WHO tabulates the classes at two decimals (16.00-16.99, ...);
	 * classifying the rounded value keeps 18.4999999 from a division
	 * out of the class 18.50 belongs to. */
	double b = round_to_hundredths(bmi);

	if (!isfinite(b))
		return MG_BMI_CLASS_NONE;
	if (b < 16.0)
		return MG_BMI_ADULT_SEVERE_THINNESS;
	if (b < 17.0)
		return MG_BMI_ADULT_MODERATE_THINNESS;
	if (b < 18.5)
		return MG_BMI_ADULT_MILD_THINNESS;
	if (b < 25.0)
		return MG_BMI_ADULT_NORMAL;
	if (b < 30.0)
		return MG_BMI_ADULT_PRE_OBESE;
	if (b < 35.0)
		return MG_BMI_ADULT_OBESE_I;
	if (b < 40.0)
		return MG_BMI_ADULT_OBESE_II;
	return MG_BMI_ADULT_OBESE_III;
}

enum mg_bmi_class mg_bmi_child_class(enum mg_bmi_reference ref, double z)
{
	if (!isfinite(z))
		return MG_BMI_CLASS_NONE;
	if (ref == MG_BMI_REF_WHO_2007) {
		if (z < -3.0)
			return MG_BMI_CHILD_SEVERE_THINNESS;
		if (z < -2.0)
			return MG_BMI_CHILD_THINNESS;
		if (z <= 1.0)
			return MG_BMI_CHILD_NORMAL;
		if (z <= 2.0)
			return MG_BMI_CHILD_OVERWEIGHT;
		return MG_BMI_CHILD_OBESITY;
	}
	if (ref == MG_BMI_REF_WHO_2006) {
		if (z < -3.0)
			return MG_BMI_UNDER5_SEVERELY_WASTED;
		if (z < -2.0)
			return MG_BMI_UNDER5_WASTED;
		if (z <= 1.0)
			return MG_BMI_UNDER5_NORMAL;
		if (z <= 2.0)
			return MG_BMI_UNDER5_RISK_OF_OVERWEIGHT;
		if (z <= 3.0)
			return MG_BMI_UNDER5_OVERWEIGHT;
		return MG_BMI_UNDER5_OBESE;
	}
	return MG_BMI_CLASS_NONE;
}

/* The reference and LMS parameters for a child of known age and sex, or
 * MG_ERR_RANGE past the 2007 reference. */
static int child_lms(const struct mg_age *age, enum mg_sex sex, enum mg_bmi_reference *ref,
		     struct mg_lms *lms)
{
	const bool boy = sex == MG_SEX_MALE;
	double months = age->months;

	if (months < WHO2007_FIRST_MONTH) {
		/* WHO Anthro looks the 2006 standards up by whole days. */
		int64_t day = age->days < WHO2006_LAST_DAY ? age->days : WHO2006_LAST_DAY;

		*ref = MG_BMI_REF_WHO_2006;
		return mg_lms_at_day(boy ? &mg_who2006_bmi_boys : &mg_who2006_bmi_girls, day, lms);
	}
	/* Calendar years and 30.4375-day months disagree by up to a day near
	 * a birthday: a 19-year adult age may meet 228.0x months the day
	 * before. The 228-month row serves until month 229. */
	if (months >= WHO2007_LAST_MONTH + 1.0)
		return MG_ERR_RANGE;
	if (months > WHO2007_LAST_MONTH)
		months = WHO2007_LAST_MONTH;
	*ref = MG_BMI_REF_WHO_2007;
	return mg_lms_at_month(boy ? &mg_who2007_bmi_boys : &mg_who2007_bmi_girls, months, lms);
}

int mg_bmi_interpret(double bmi, int64_t birth_ms, enum mg_sex sex, int64_t measured_ms,
		     unsigned adult_age_years, struct mg_bmi_reading *out)
{
	enum mg_bmi_reference ref = MG_BMI_REF_NONE;
	struct mg_lms lms;
	int r;

	memset(out, 0, sizeof(*out));
	if (!isfinite(bmi) || bmi <= 0.0)
		return MG_ERR_INVALID;
	if (sex != MG_SEX_UNKNOWN && sex != MG_SEX_MALE && sex != MG_SEX_FEMALE)
		return MG_ERR_INVALID;
	if (adult_age_years == 0)
		adult_age_years = MG_BMI_ADULT_AGE_DEFAULT;
	if (adult_age_years < MG_BMI_ADULT_AGE_MIN || adult_age_years > MG_BMI_ADULT_AGE_MAX)
		return MG_ERR_INVALID;

	r = mg_age_compute(birth_ms, measured_ms, &out->age);
	if (r == MG_ERR_NOT_FOUND) {
		out->why_not = MG_BMI_NO_BIRTH_DATE;
		return 0;
	}
	if (r == MG_ERR_RANGE) {
		out->why_not = MG_BMI_BIRTH_AFTER_MEASUREMENT;
		return 0;
	}
	if (r != 0)
		return r;
	out->has_age = true;

	if (out->age.years >= (int)adult_age_years) {
		out->reference = MG_BMI_REF_WHO_ADULT;
		out->cls = mg_bmi_adult_class(bmi);
		out->has_class = true;
		return 0;
	}
	if (sex == MG_SEX_UNKNOWN) {
		out->why_not = MG_BMI_NO_SEX;
		return 0;
	}
	if (child_lms(&out->age, sex, &ref, &lms) != 0) {
		out->why_not = MG_BMI_AGE_OUTSIDE_REFERENCE;
		return 0;
	}
	out->reference = ref;
	out->lms = lms;
	/* WHO's software reports z-scores to two decimals and classifies
	 * those; so do we, so a published cut-off lands on its class. */
	out->zscore = round_to_hundredths(mg_lms_zscore_who(bmi, &lms));
	out->has_zscore = true;
	out->cls = mg_bmi_child_class(ref, out->zscore);
	out->has_class = out->cls != MG_BMI_CLASS_NONE;
	if (!out->has_class)
		out->why_not = MG_BMI_AGE_OUTSIDE_REFERENCE;
	return 0;
}

const char *mg_bmi_class_code(enum mg_bmi_class cls)
{
	if ((size_t)cls >= CLASS_COUNT)
		cls = MG_BMI_CLASS_NONE;
	return class_names[cls].code;
}

const char *mg_bmi_class_label(enum mg_bmi_class cls)
{
	if ((size_t)cls >= CLASS_COUNT)
		cls = MG_BMI_CLASS_NONE;
	return class_names[cls].label;
}

const char *mg_bmi_no_class_code(enum mg_bmi_no_class why)
{
	return (size_t)why < NO_CLASS_COUNT ? no_class_names[why].code : "";
}

const char *mg_bmi_no_class_text(enum mg_bmi_no_class why)
{
	return (size_t)why < NO_CLASS_COUNT ? no_class_names[why].text : "";
}

const char *mg_bmi_reference_code(enum mg_bmi_reference ref)
{
	if ((size_t)ref >= REFERENCE_COUNT)
		ref = MG_BMI_REF_NONE;
	return reference_names[ref].code;
}

const char *mg_bmi_reference_name(enum mg_bmi_reference ref)
{
	if ((size_t)ref >= REFERENCE_COUNT)
		ref = MG_BMI_REF_NONE;
	return reference_names[ref].name;
}
