/* Devices on PostgreSQL: enrolment (token used and device made in one
 * transaction), look-ups, status, firmware, moving to another tenant and
 * the list. */
#include "store/postgres/pg_internal.h"

#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"

#define DEVICE_COLUMNS \
	"id, tenant_id, name, cert_fingerprint, cert_serial, cert_not_after_ms, status," \
	" created_ms, coalesce(last_seen_ms, 0), firmware, model, reported_model," \
	" maintenance_until_ms"

static const char token_use_sql[] =
	"UPDATE enrol_tokens SET used_ms = $1 WHERE id = $2 AND used_ms IS NULL AND expires_ms > $1";
static const char device_insert_sql[] =
	"INSERT INTO devices (tenant_id, name, cert_fingerprint, cert_serial, cert_not_after_ms,"
	" status, created_ms, model) VALUES ($1, $2, $3, $4, $5, 'active', $6, $7) RETURNING id";
static const char device_by_fingerprint_sql[] =
	"SELECT " DEVICE_COLUMNS " FROM devices WHERE cert_fingerprint = $1";
static const char device_by_id_sql[] = "SELECT " DEVICE_COLUMNS " FROM devices WHERE id = $1";
static const char device_set_status_sql[] =
	"UPDATE devices SET status = $1 WHERE id = $2 AND status <> 'revoked'";
static const char device_list_sql[] =
	"SELECT " DEVICE_COLUMNS " FROM devices WHERE $1 = 0 OR tenant_id = $1 ORDER BY id";
static const char device_set_tenant_sql[] = "UPDATE devices SET tenant_id = $2 WHERE id = $1";

/* The token's UPDATE holds its row until COMMIT: of two gateways enrolling
 * with one token, the second waits, then finds it used. */
int pg_device_enrol(struct mg_store *s, int64_t token_id, int64_t now_ms, struct mg_device *d)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res = NULL;
	int64_t id = 0;
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	r = pg_write(c, token_use_sql, PG_PARAMS(PG_INT(now_ms), PG_INT(token_id)), true, NULL);
	if (r == 0)
		r = pg_query(c, device_insert_sql,
			     PG_PARAMS(PG_INT(d->tenant_id), PG_TEXT(d->name),
				       PG_TEXT(d->cert_fingerprint), PG_TEXT(d->cert_serial),
				       PG_INT(d->cert_not_after_ms), PG_INT(now_ms), PG_TEXT(d->model)),
			     &res);
	if (r == 0) {
		id = pg_col_int(res, 0, 0);
		PQclear(res);
	}
	if ((r = pg_end(c, r)) == 0) {
		d->id = id;
		d->status = MG_DEVICE_ACTIVE;
		d->created_ms = now_ms;
	}
out:
	pg_release(c);
	return r;
}

static int device_read(const PGresult *res, int row, struct mg_device *d)
{
	char status[16];

	memset(d, 0, sizeof(*d));
	d->id = pg_col_int(res, row, 0);
	d->tenant_id = pg_col_int(res, row, 1);
	if (pg_col_text(res, row, 2, d->name, sizeof(d->name)) != 0 ||
	    pg_col_text(res, row, 3, d->cert_fingerprint, sizeof(d->cert_fingerprint)) != 0 ||
	    pg_col_text(res, row, 4, d->cert_serial, sizeof(d->cert_serial)) != 0 ||
	    pg_col_text(res, row, 6, status, sizeof(status)) != 0 ||
	    mg_device_status_parse(status, &d->status) != 0)
		return MG_ERR_STORE;
	d->cert_not_after_ms = pg_col_int(res, row, 5);
	d->created_ms = pg_col_int(res, row, 7);
	d->last_seen_ms = pg_col_int(res, row, 8);
	if (pg_col_text(res, row, 9, d->firmware, sizeof(d->firmware)) != 0)
		d->firmware[0] = '\0';	/* altered behind our back: unknown */
	if (pg_col_text(res, row, 10, d->model, sizeof(d->model)) != 0)
		d->model[0] = '\0';
	if (pg_col_text(res, row, 11, d->reported_model, sizeof(d->reported_model)) != 0)
		d->reported_model[0] = '\0';
	d->maintenance_until_ms = pg_col_int(res, row, 12);
	return 0;
}

static int device_get(struct mg_store *s, const char *sql, const struct pg_param *key,
		      struct mg_device *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = pg_query(c, sql, key, &res)) == 0) {
		r = device_read(res, 0, out);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_device_by_fingerprint(struct mg_store *s, const char *fp, struct mg_device *out)
{
	return device_get(s, device_by_fingerprint_sql, PG_PARAMS(PG_TEXT(fp)), out);
}

int pg_device_by_id(struct mg_store *s, int64_t id, struct mg_device *out)
{
	return device_get(s, device_by_id_sql, PG_PARAMS(PG_INT(id)), out);
}

int pg_device_set_firmware(struct mg_store *s, int64_t id, const char *firmware)
{
	return pg_store_write(s, "UPDATE devices SET firmware = $2 WHERE id = $1",
			      PG_PARAMS(PG_INT(id), PG_TEXT(firmware)), true);
}

int pg_device_set_reported_model(struct mg_store *s, int64_t id, const char *model)
{
	return pg_store_write(s, "UPDATE devices SET reported_model = $2 WHERE id = $1",
			      PG_PARAMS(PG_INT(id), PG_TEXT(model)), true);
}

/* The certificate changes only if the device is active and still holds
 * old_fingerprint: a concurrent renewal or a revocation wins. */
int pg_device_renew(struct mg_store *s, int64_t id, const char *old_fingerprint,
		    const char *fingerprint, const char *serial, int64_t not_after_ms)
{
	return pg_store_write(s, "UPDATE devices SET cert_fingerprint = $3, cert_serial = $4, "
				 "cert_not_after_ms = $5 WHERE id = $1 AND cert_fingerprint = $2 "
				 "AND status = 'active'",
			      PG_PARAMS(PG_INT(id), PG_TEXT(old_fingerprint), PG_TEXT(fingerprint),
					PG_TEXT(serial), PG_INT(not_after_ms)), true);
}

/* A revoked device stays revoked: its certificate is burnt. */
int pg_device_set_status(struct mg_store *s, int64_t id, enum mg_device_status status)
{
	return pg_store_write(s, device_set_status_sql,
			      PG_PARAMS(PG_TEXT(mg_device_status_name(status)), PG_INT(id)), true);
}

int pg_device_list(struct mg_store *s, int64_t tenant_id, mg_device_cb cb, void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_device d;
	PGresult *res;
	int r;

	if ((r = pg_run(c, device_list_sql, PG_PARAMS(PG_INT(tenant_id)), &res)) == 0) {
		for (int i = 0; r == 0 && i < PQntuples(res); i++)
			if ((r = device_read(res, i, &d)) == 0)
				r = cb(&d, arg);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_device_set_tenant(struct mg_store *s, int64_t id, int64_t tenant_id)
{
	return pg_store_write(s, device_set_tenant_sql, PG_PARAMS(PG_INT(id), PG_INT(tenant_id)),
			      true);
}
