/* The store: one interface, chosen by name, with a back end per database
 * (SQLite now; PostgreSQL to come). Nothing outside src/store/ includes a
 * database header. Every function is safe to call from any thread and
 * returns 0 or a negative MG_ERR_*. Patient identifiers reach the store
 * only sealed and as a blind index: the store never sees clear text. */
#ifndef MG_STORE_STORE_H
#define MG_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/limits.h"
#include "crypto/keys.h"
#include "ingest/measurement.h"

struct mg_tenant {
	int64_t id;
	char name[MG_NAME_MAX + 1];
	unsigned char wrapped_key[MG_WRAPPED_KEY_BYTES];
	int64_t created_ms;
};

enum mg_device_status { MG_DEVICE_ACTIVE, MG_DEVICE_BLOCKED, MG_DEVICE_REVOKED };

struct mg_device {
	int64_t id;
	int64_t tenant_id;
	char name[MG_NAME_MAX + 1];
	char cert_fingerprint[65];
	char cert_serial[41];
	int64_t cert_not_after_ms;
	enum mg_device_status status;
	int64_t created_ms;
	int64_t last_seen_ms;	/* 0 if never */
};

/* An unused, unexpired enrolment token. */
struct mg_enrol_token {
	int64_t id;
	int64_t tenant_id;
	char device_name[MG_NAME_MAX + 1];
	int64_t expires_ms;
};

struct mg_user_new {
	const char *name;
	const char *password_hash;
	bool must_change_password;
	const char *const *roles;
	size_t nroles;
};

/* One measurement for measurement_put_batch: inputs, then results. */
struct mg_measurement_put {
	const struct mg_measurement *m;	/* device_id and tenant_id set */
	unsigned char blind_index[MG_BLIND_INDEX_BYTES];
	unsigned char sealed_patient[MG_PATIENT_ID_MAX + MG_SEAL_OVERHEAD];
	size_t sealed_len;
	int64_t received_ms;
	/* results */
	int result;		/* 0 or MG_ERR_* */
	int64_t id;		/* the gateway's measurement id */
	bool duplicate;		/* stored earlier under the same device id */
};

/* A stored measurement as listed for operators: no patient data. */
struct mg_measurement_row {
	int64_t id;
	int64_t tenant_id;
	int64_t device_id;
	char device_name[MG_NAME_MAX + 1];
	char device_mid[MG_DEVICE_MID_MAX + 1];
	int64_t measured_ms;
	int64_t received_ms;
	size_t nvalues;
	struct {
		char quantity[MG_QUANTITY_NAME_MAX + 1];
		double value;
		char unit[MG_UNIT_MAX + 1];
	} values[MG_VALUES_MAX];
};

typedef int (*mg_device_cb)(const struct mg_device *d, void *arg);
typedef int (*mg_measurement_cb)(const struct mg_measurement_row *row, void *arg);

struct mg_store {
	const char *name;	/* "sqlite" or "postgresql" */

	/* Bring the schema to the newest version; *version_out gets it. */
	int (*migrate)(struct mg_store *s, int *version_out);

	int (*tenant_create)(struct mg_store *s, const char *name,
			     const unsigned char *wrapped_key, int64_t *id_out);
	int (*tenant_by_name)(struct mg_store *s, const char *name, struct mg_tenant *out);
	int (*tenant_by_id)(struct mg_store *s, int64_t id, struct mg_tenant *out);

	int (*user_create)(struct mg_store *s, const struct mg_user_new *u, int64_t *id_out);

	int (*token_create)(struct mg_store *s, int64_t tenant_id, const char *device_name,
			    const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t expires_ms,
			    int64_t *id_out);
	/* The token with this hash if unused and unexpired at now_ms, else
	 * MG_ERR_NOT_FOUND (also for used and expired ones: callers say the
	 * same to the client in every case). */
	int (*token_find)(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			  int64_t now_ms, struct mg_enrol_token *out);
	/* In one transaction: mark the token used (it must still be unused and
	 * unexpired, else MG_ERR_NOT_FOUND) and create device d (id, status
	 * and created_ms are set here). */
	int (*device_enrol)(struct mg_store *s, int64_t token_id, int64_t now_ms,
			    struct mg_device *d);

	int (*device_by_fingerprint)(struct mg_store *s, const char *fingerprint,
				     struct mg_device *out);
	int (*device_by_id)(struct mg_store *s, int64_t id, struct mg_device *out);
	int (*device_set_status)(struct mg_store *s, int64_t id, enum mg_device_status st);
	/* Every device of tenant_id (0 = all), in id order. A callback
	 * returning non-zero stops the walk and is returned. */
	int (*device_list)(struct mg_store *s, int64_t tenant_id, mg_device_cb cb, void *arg);

	/* Store n measurements in one durable transaction (group commit).
	 * Each item gets its own result; a measurement whose (device,
	 * device_mid) exists is not stored again: its earlier id comes back
	 * with duplicate set. Returns 0 if the transaction committed (then
	 * every item with result 0 is durable), < 0 if it did not (then no
	 * item is stored). */
	int (*measurement_put_batch)(struct mg_store *s, struct mg_measurement_put *const *items,
				     size_t n);
	/* Measurements of tenant_id (0 = all) with id > after_id, oldest
	 * first, at most limit of them. */
	int (*measurement_list)(struct mg_store *s, int64_t tenant_id, int64_t after_id,
				size_t limit, mg_measurement_cb cb, void *arg);
	int (*measurement_count)(struct mg_store *s, int64_t tenant_id, int64_t *count_out);

	void (*close)(struct mg_store *s);
};

/* Open the back end that cfg names (creating an empty database file for
 * SQLite if create is set). *out is the caller's (mg_store_close).
 * On failure err names the reason. */
int mg_store_open(const struct mg_config *cfg, bool create, struct mg_store **out,
		  char *err, size_t errlen);
void mg_store_close(struct mg_store *s);

const char *mg_device_status_name(enum mg_device_status st);
int mg_device_status_parse(const char *text, enum mg_device_status *out);

#endif
