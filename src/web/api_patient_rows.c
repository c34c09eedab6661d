/* A patient's measurements as the clinician reads them: the values one
 * device sent, and what other devices measured within a few minutes, as
 * one row per time of measurement (a weighing and a blood pressure taken
 * together are one visit), newest first and a page at a time; with a
 * compact series of every time for the charts. The interpretation itself
 * comes from api_patient_report.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "web/api_handlers.h"
#include "web/api_patient_rows.h"

#define GROUP_WINDOW_MS (5 * 60 * 1000) /* measured within 5 minutes: taken together */

/* Put value v (of type) into values, replacing an earlier one of its type. */
static void merge_value(json_t *values, json_t *v)
{
	const char *type = json_string_value(json_object_get(v, "type"));
	size_t i;
	json_t *old;

	json_array_foreach (values, i, old) {
		const char *t = json_string_value(json_object_get(old, "type"));

		if (t != NULL && type != NULL && strcmp(t, type) == 0) {
			json_array_set(values, i, v);
			return;
		}
	}
	json_array_append(values, v);
}

static void add_device(json_t *devices, const char *name)
{
	size_t i;
	json_t *d;

	if (name == NULL)
		name = "";
	json_array_foreach (devices, i, d)
		if (strcmp(json_string_value(d), name) == 0)
			return;
	json_array_append_new(devices, json_string(name));
}

/* Fold measurement m into group g. */
static int fold(json_t *g, json_t *m)
{
	json_t *v, *values = json_object_get(g, "values"), *change = json_object_get(g, "change");
	const char *key;
	size_t i;

	json_array_append_new(json_object_get(g, "ids"),
			      json_integer(json_integer_value(json_object_get(m, "id"))));
	add_device(json_object_get(g, "devices"),
		   json_string_value(json_object_get(m, "device_name")));
	json_array_foreach (json_object_get(m, "values"), i, v)
		merge_value(values, v);
	json_object_foreach (json_object_get(m, "change"), key, v)
		json_object_set(change, key, v);
	if (json_is_object(json_object_get(m, "bmi")))
		json_object_set(g, "bmi", json_object_get(m, "bmi"));
	if (json_is_object(json_object_get(m, "blood_pressure")))
		json_object_set(g, "blood_pressure", json_object_get(m, "blood_pressure"));
	return 0;
}

json_t *api_patient_groups(json_t *list, const int64_t *times, size_t n)
{
	json_t *groups = json_array(), *g = NULL;
	int64_t start = 0;

	if (groups == NULL)
		return NULL;
	for (size_t i = 0; i < n && i < json_array_size(list); i++) {
		json_t *m = json_array_get(list, i);

		if (g == NULL || times[i] - start > GROUP_WINDOW_MS || times[i] < start) {
			g = json_pack("{s:O, s:[], s:[], s:[], s:{}, s:n, s:n}", "time",
				      json_object_get(m, "time"), "ids", "devices", "values",
				      "change", "bmi", "blood_pressure");
			if (g == NULL || json_array_append_new(groups, g) != 0) {
				json_decref(groups);
				return NULL;
			}
			start = times[i];
		}
		fold(g, m);
	}
	return groups;
}

/* The charts' series: per time, its values by type and the BMI. */
static json_t *series_of(json_t *groups)
{
	json_t *out = json_array(), *g, *v;
	size_t i, j;

	if (out == NULL)
		return NULL;
	json_array_foreach (groups, i, g) {
		json_t *values = json_object(), *bmi = json_object_get(g, "bmi");

		json_array_foreach (json_object_get(g, "values"), j, v)
			json_object_set(values, json_string_value(json_object_get(v, "type")),
					json_object_get(v, "value"));
		if (json_is_object(bmi) && json_object_get(values, "bmi") == NULL)
			json_object_set(values, "bmi", json_object_get(bmi, "value"));
		json_array_append_new(out, json_pack("{s:O, s:o}", "time",
						     json_object_get(g, "time"), "values", values));
	}
	return out;
}

/* ?name= as a number in lo..hi (def if absent); -1 after a 400. */
static long query_number(struct api_request *rq, const char *name, long lo, long hi, long def)
{
	const char *text = api_query(rq, name);
	char *end, msg[64];
	long v;

	if (text == NULL)
		return def;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || end == text || v < lo || v > hi) {
		snprintf(msg, sizeof(msg), "a number from %ld to %ld", lo, hi);
		api_field_error(rq, name, msg);
		return -1;
	}
	return v;
}

int api_patient_page_of(struct api_request *rq, struct api_patient_page *pg)
{
	if ((pg->limit = query_number(rq, "limit", 1, ROWS_PAGE_MAX, ROWS_PAGE_DEFAULT)) < 0 ||
	    (pg->offset = query_number(rq, "offset", 0, 100000, 0)) < 0)
		return -1;
	return 0;
}

json_t *api_patient_rows_json(json_t *list, const int64_t *times, size_t n,
			      const struct api_patient_page *pg)
{
	json_t *groups = api_patient_groups(list, times, n), *rows, *out;
	size_t total;

	if (groups == NULL)
		return NULL;
	total = json_array_size(groups);
	if ((rows = json_array()) == NULL) {
		json_decref(groups);
		return NULL;
	}
	/* newest first */
	for (size_t k = (size_t)pg->offset; k < total && k < (size_t)(pg->offset + pg->limit); k++)
		json_array_append(rows, json_array_get(groups, total - 1 - k));
	out = json_pack("{s:{s:i, s:i, s:I}, s:o, s:o}", "page", "offset", (int)pg->offset,
			"limit", (int)pg->limit, "total", (json_int_t)total, "series",
			series_of(groups), "rows", rows);
	json_decref(groups);
	return out;
}
