/* A patient's measurements grouped by time of measurement, newest first,
 * paged (api_patient_rows.c). */
#ifndef MG_WEB_API_PATIENT_ROWS_H
#define MG_WEB_API_PATIENT_ROWS_H

#include <jansson.h>
#include <stdint.h>

#include "common/config.h"
#include "crypto/keyring.h"
#include "store/store.h"
#include "web/api.h"

#define ROWS_PAGE_DEFAULT 20
#define ROWS_PAGE_MAX	  200

struct api_patient_page {
	long offset, limit;
};

/* One patient read for a clinician (api_patient_report.c): patient path
 * parameter 0, on the trail first. */
struct api_patient_read {
	mg_measurement_cb also;	/* in: called with every row, oldest first (NULL: none) */
	void *also_arg;
	int64_t tenant;		/* out */
	char pid[MG_PATIENT_ID_MAX + 1];
	json_t *record, *interpretation, *list;	/* the caller's (json_decref) */
};

/* 0, -1 with the answer queued, or -2 (out of memory, nothing queued). */
int api_patient_read(struct api_request *rq, struct api_patient_read *pr);

/* The page of patient row id patient as GET .../report answers it, into
 * *out (the caller's). No access check and no trail: the caller's. 0 or
 * MG_ERR_*. */
int api_patient_page_json(const struct mg_config *cfg, struct mg_store *store,
			  struct mg_keyring *keys, int64_t patient,
			  const struct api_patient_page *pg, json_t **out);

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
