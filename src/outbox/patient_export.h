/* A patient's data export (GDPR Art. 15; docs/patient-rights.md): what
 * the store holds of one patient, read through the store's ordinary
 * functions, as the FHIR R4 collection Bundle of mg_fhir_export_*: every
 * measurement, the devices that recorded them, every EMR delivery with
 * its destination and time, every recorded access to the patient's data,
 * and the retention period. Shared by medgatectl patient export and the
 * web interface's download. */
#ifndef MG_OUTBOX_PATIENT_EXPORT_H
#define MG_OUTBOX_PATIENT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "fhir/fhir.h"
#include "store/store.h"

#define MG_EXPORT_MEASUREMENTS_MAX	1000000	/* per patient, at most */
#define MG_EXPORT_DEVICES_MAX		64	/* described in full; more: by name */

struct mg_patient_export_source {
	struct mg_store *store;
	const struct mg_config *cfg;	/* FHIR systems, [retention] keep_days */
	int64_t tenant_id;
	int64_t patient_id;		/* row id (mg_store_patient_find) */
	const char *pid;		/* the identifier in clear, as asked for */
};

/* The FHIR systems of the export: those of the first FHIR destination,
 * else the defaults of [emr.NAME] patient_system and identifier_system. */
void mg_patient_export_options(const struct mg_config *cfg, struct mg_fhir_options *opt);

/* Build the Bundle. *json_out is the caller's (mg_fhir_free). Returns 0,
 * MG_ERR_NOT_FOUND (no such patient), MG_ERR_LIMIT (more than
 * MG_EXPORT_MEASUREMENTS_MAX measurements) or the store's error. */
int mg_patient_export_build(const struct mg_patient_export_source *src, char **json_out,
			    size_t *len_out);

#endif
