/* A patient's measurements grouped by time of measurement, newest first,
 * paged (api_patient_rows.c). */
#ifndef MG_WEB_API_PATIENT_ROWS_H
#define MG_WEB_API_PATIENT_ROWS_H

#include <jansson.h>
#include <stdint.h>

#include "web/api.h"

#define ROWS_PAGE_DEFAULT 20
#define ROWS_PAGE_MAX	  200

struct api_patient_page {
	long offset, limit;
};

/* ?limit= and ?offset= of rq; -1 after a 400. */
int api_patient_page_of(struct api_request *rq, struct api_patient_page *pg);
/* list: measurements oldest first (api_patient_report.c), times their
 * measured times. Groups those measured within minutes of each other, in
 * time order. */
json_t *api_patient_groups(json_t *list, const int64_t *times, size_t n);
/* {page: {offset, limit, total}, series: [...], rows: [...]}: the page of
 * groups newest first and the series of all for the charts. */
json_t *api_patient_rows_json(json_t *list, const int64_t *times, size_t n,
			      const struct api_patient_page *pg);

#endif
