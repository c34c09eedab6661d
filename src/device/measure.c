#include "device/measure.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"

#define JSON_DIGITS	12	/* significant digits: 72.4 stays "72.4" */

int mg_device_measurement_id(const char *prefix, uint64_t seq, char *buf, size_t buflen)
{
	int n = snprintf(buf, buflen, "%s-%" PRIu64, prefix, seq);

	if (n < 0 || (size_t)n >= buflen || n > MG_DEVICE_MID_MAX) {
		if (buflen > 0)
			buf[0] = '\0';
		return MG_ERR_LIMIT;
	}
	return 0;
}

int mg_device_reading_add(struct mg_device_reading *r, const char *type, double value,
			  const char *unit)
{
	struct mg_device_value *v;

	if (r->nvalues >= MG_VALUES_MAX)
		return MG_ERR_LIMIT;
	if (strlen(type) >= sizeof(v->type) || strlen(unit) >= sizeof(v->unit))
		return MG_ERR_LIMIT;
	v = &r->values[r->nvalues];
	memset(v, 0, sizeof(*v));
	memcpy(v->type, type, strlen(type) + 1);
	memcpy(v->unit, unit, strlen(unit) + 1);
	v->value = value;
	r->nvalues++;
	return 0;
}

int mg_device_measurement_json(const struct mg_device_reading *r, const char *mid,
			       char **json, size_t *len)
{
	char time_text[MG_TIME_TEXT_LEN];
	json_t *root = NULL, *values = NULL, *item;
	char *text = NULL;
	size_t i;
	int ret;

	*json = NULL;
	*len = 0;
	if (r->nvalues == 0 || r->nvalues > MG_VALUES_MAX ||
	    mg_time_format(r->time_ms, time_text, sizeof(time_text)) != 0)
		return MG_ERR_INVALID;
	if ((values = json_array()) == NULL) {
		ret = MG_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < r->nvalues; i++) {
		item = json_pack("{s:s, s:f, s:s}", "type", r->values[i].type,
				 "value", r->values[i].value, "unit", r->values[i].unit);
		if (item == NULL || json_array_append_new(values, item) != 0) {
			ret = MG_ERR_INVALID;
			goto out;
		}
	}
	/* json_pack refuses text that is not UTF-8, so a bad patient id ends
	 * here, before anything is queued. "o" hands values over. */
	/* Without patient: the gateway's measure-now order takes it, or a
	 * clinician assigns it (docs/ward.md). */
	if (r->patient[0] != '\0')
		root = json_pack("{s:s, s:s, s:{s:s}, s:o}", "id", mid, "time", time_text,
				 "patient", "id", r->patient, "values", values);
	else
		root = json_pack("{s:s, s:s, s:o}", "id", mid, "time", time_text, "values", values);
	values = NULL;
	if (root == NULL) {
		ret = MG_ERR_INVALID;
		goto out;
	}
	if ((text = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(JSON_DIGITS))) == NULL) {
		ret = MG_ERR_NOMEM;
		goto out;
	}
	*len = strlen(text);
	*json = text;
	ret = 0;
out:
	json_decref(values);
	json_decref(root);
	return ret;
}

static uint64_t rng_next(struct mg_device_scale *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [0, 1). */
static double rng_uniform(struct mg_device_scale *s)
{
	return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* Approximately standard normal (Irwin-Hall: twelve uniforms), so no libm. */
static double rng_gauss(struct mg_device_scale *s)
{
	double sum = 0;
	int i;

	for (i = 0; i < 12; i++)
		sum += rng_uniform(s);
	return sum - 6.0;
}

static double clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* Round to one decimal, as the scale's display does. */
static double round_tenth(double x)
{
	double t = x * 10.0;

	t = t >= 0 ? (double)(long long)(t + 0.5) : -(double)(long long)(-t + 0.5);
	return t / 10.0;
}

void mg_device_scale_init(struct mg_device_scale *s, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->rng = seed != 0 ? seed : 0x9E3779B97F4A7C15ULL;
}

static const struct mg_device_value *find_value(const struct mg_device_reading *r,
						 const char *type)
{
	size_t i;

	for (i = 0; i < r->nvalues; i++)
		if (strcmp(r->values[i].type, type) == 0)
			return &r->values[i];
	return NULL;
}

void mg_device_scale_next(struct mg_device_scale *s, const struct mg_device_reading *base,
			  size_t i, struct mg_device_reading *out)
{
	const struct mg_device_value *weight = find_value(base, "body_weight");
	const struct mg_device_value *height = find_value(base, "body_height");
	double w = 0, limit, metres;
	size_t k;

	*out = *base;
	if (i == 0)
		return;
	/* A person's weight drifts slowly (meals, water) and each standing on
	 * the scale adds a little noise; the display shows tenths. */
	if (weight != NULL && weight->value > 0) {
		limit = weight->value * 0.015;
		s->weight_drift = clamp(s->weight_drift + 0.08 * rng_gauss(s), -limit, limit);
		w = round_tenth(weight->value + s->weight_drift + 0.05 * rng_gauss(s));
	}
	s->fat_drift = clamp(s->fat_drift + 0.15 * rng_gauss(s), -1.0, 1.0);
	for (k = 0; k < out->nvalues; k++) {
		struct mg_device_value *v = &out->values[k];

		if (strcmp(v->type, "body_weight") == 0 && w > 0) {
			v->value = w;
		} else if (strcmp(v->type, "bmi") == 0 && w > 0) {
			if (height != NULL && height->value > 0) {
				metres = height->value / 100.0;
				v->value = round_tenth(w / (metres * metres));
			} else {
				v->value = round_tenth(v->value * w / weight->value);
			}
		} else if (strcmp(v->type, "body_fat") == 0) {
			v->value = round_tenth(clamp(v->value + s->fat_drift, 0.0, 100.0));
		}
	}
}
