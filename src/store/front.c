/* The store front (store.h): the one way in for callers. Each function
 * checks its arguments once, by the convention at the top of store.h,
 * then calls the back end's op of the same name (ops.h). The back ends
 * rely on these checks and do not repeat them, so they cannot disagree
 * about what is valid. */
#include "store/ops.h"

#include <stdio.h>
#include <unistd.h>

#include <string.h>

#include "common/err.h"

/* The first error of a check chain, MG_ERR_INVALID before any other:
 * r = first_error(first_error(a, b), c). */
static int first_error(int r, int next)
{
	if (r == MG_ERR_INVALID || next == 0)
		return r;
	return r == 0 || next == MG_ERR_INVALID ? next : r;
}

/* A text argument: MG_ERR_INVALID if NULL (or empty when it must not
 * be), MG_ERR_LIMIT if longer than max bytes. */
static int text_check(const char *text, bool nonempty, size_t max)
{
	if (text == NULL || (nonempty && text[0] == '\0'))
		return MG_ERR_INVALID;
	return strnlen(text, max + 1) <= max ? 0 : MG_ERR_LIMIT;
}

/* A look-up key: MG_ERR_INVALID if NULL, MG_ERR_NOT_FOUND if longer than
 * any stored key can be. */
static int key_check(const char *key, size_t max)
{
	if (key == NULL)
		return MG_ERR_INVALID;
	return strnlen(key, max + 1) <= max ? 0 : MG_ERR_NOT_FOUND;
}

/* A text in a fixed array must end inside it. */
static bool text_ends(const char *text, size_t size)
{
	return memchr(text, '\0', size) != NULL;
}

const char *mg_store_name(const struct mg_store *s)
{
	return s->ops->name;
}

int mg_store_migrate(struct mg_store *s, int *version_out)
{
	*version_out = 0;
	return s->ops->migrate(s, version_out);
}

/* Tenants */

int mg_store_tenant_create(struct mg_store *s, const char *name, const unsigned char *wrapped_key,
			   int64_t *id_out)
{
	int r = text_check(name, true, MG_NAME_MAX);

	*id_out = 0;
	if (wrapped_key == NULL)
		r = MG_ERR_INVALID;
	return r != 0 ? r : s->ops->tenant_create(s, name, wrapped_key, id_out);
}

int mg_store_tenant_by_name(struct mg_store *s, const char *name, struct mg_tenant *out)
{
	int r = key_check(name, MG_NAME_MAX);

	memset(out, 0, sizeof(*out));
	return r != 0 ? r : s->ops->tenant_by_name(s, name, out);
}

int mg_store_tenant_by_id(struct mg_store *s, int64_t id, struct mg_tenant *out)
{
	memset(out, 0, sizeof(*out));
	return s->ops->tenant_by_id(s, id, out);
}

int mg_store_tenant_list(struct mg_store *s, mg_tenant_cb cb, void *arg)
{
	return cb == NULL ? MG_ERR_INVALID : s->ops->tenant_list(s, cb, arg);
}

int mg_store_tenant_rename(struct mg_store *s, int64_t id, const char *name)
{
	int r = text_check(name, true, MG_NAME_MAX);

	return r != 0 ? r : s->ops->tenant_rename(s, id, name);
}

int mg_store_tenant_usage(struct mg_store *s, int64_t id, struct mg_tenant_usage *out)
{
	memset(out, 0, sizeof(*out));
	return s->ops->tenant_usage(s, id, out);
}

int mg_store_tenant_delete(struct mg_store *s, int64_t id)
{
	return s->ops->tenant_delete(s, id);
}

int mg_store_tenant_keys_replace(struct mg_store *s, const struct mg_tenant_key_change *c,
				 size_t n)
{
	if (n > 0 && c == NULL)
		return MG_ERR_INVALID;
	return n > MG_TENANT_KEYS_MAX ? MG_ERR_LIMIT : s->ops->tenant_keys_replace(s, c, n);
}

/* Accounts */

/* Roles must be known bits that one account may hold together
 * (separation of duties: MG_ERR_CONFLICT, after the other checks, as
 * right in kind and size but against a rule). */
static int roles_check(unsigned roles)
{
	if ((roles & ~MG_ROLES_ALL) != 0)
		return MG_ERR_INVALID;
	return mg_roles_conflict(roles) != NULL ? MG_ERR_CONFLICT : 0;
}

/* Roles as roles_check; tenants an array of at most MG_USER_TENANTS_MAX. */
static int access_check(unsigned roles, const int64_t *tenants, size_t ntenants)
{
	int r;

	if ((r = roles_check(roles)) == MG_ERR_INVALID || (ntenants > 0 && tenants == NULL))
		return MG_ERR_INVALID;
	if (ntenants > MG_USER_TENANTS_MAX)
		return MG_ERR_LIMIT;
	return r;
}

static int profile_check(const char *display_name, const char *email)
{
	return first_error(text_check(display_name, false, MG_NAME_MAX),
			   text_check(email, false, MG_EMAIL_MAX));
}

int mg_store_user_create(struct mg_store *s, const struct mg_user_new *u, int64_t *id_out)
{
	struct mg_user_new checked;
	int r;

	*id_out = 0;
	if (u == NULL)
		return MG_ERR_INVALID;
	/* No display name or e-mail address is "". */
	checked = *u;
	if (checked.display_name == NULL)
		checked.display_name = "";
	if (checked.email == NULL)
		checked.email = "";
	r = first_error(text_check(checked.name, true, MG_NAME_MAX),
			text_check(checked.password_hash, true, MG_PASSWORD_HASH_TEXT - 1));
	r = first_error(r, profile_check(checked.display_name, checked.email));
	r = first_error(r, access_check(checked.roles, checked.tenants, checked.ntenants));
	return r != 0 ? r : s->ops->user_create(s, &checked, id_out);
}

int mg_store_user_by_name(struct mg_store *s, const char *name, struct mg_user *out)
{
	int r = key_check(name, MG_NAME_MAX);

	memset(out, 0, sizeof(*out));
	return r != 0 ? r : s->ops->user_by_name(s, name, out);
}

int mg_store_user_by_id(struct mg_store *s, int64_t id, struct mg_user *out)
{
	memset(out, 0, sizeof(*out));
	return s->ops->user_by_id(s, id, out);
}

int mg_store_user_list(struct mg_store *s, mg_user_cb cb, void *arg)
{
	return cb == NULL ? MG_ERR_INVALID : s->ops->user_list(s, cb, arg);
}

int mg_store_user_update_profile(struct mg_store *s, int64_t id, const char *display_name,
				 const char *email, bool disabled)
{
	int r = profile_check(display_name, email);

	return r != 0 ? r : s->ops->user_update_profile(s, id, display_name, email, disabled);
}

int mg_store_user_set_access(struct mg_store *s, int64_t id, unsigned roles, const int64_t *tenants,
			     size_t ntenants)
{
	int r = access_check(roles, tenants, ntenants);

	return r != 0 ? r : s->ops->user_set_access(s, id, roles, tenants, ntenants);
}

int mg_store_user_set_roles(struct mg_store *s, int64_t id, unsigned roles)
{
	int r = roles_check(roles);

	return r != 0 ? r : s->ops->user_set_roles(s, id, roles);
}

int mg_store_user_set_password(struct mg_store *s, int64_t id, const char *hash, bool must_change,
			       int64_t now_ms)
{
	int r = text_check(hash, true, MG_PASSWORD_HASH_TEXT - 1);

	return r != 0 ? r : s->ops->user_set_password(s, id, hash, must_change, now_ms);
}

int mg_store_user_delete(struct mg_store *s, int64_t id)
{
	return s->ops->user_delete(s, id);
}

int mg_store_user_login_failed(struct mg_store *s, int64_t id, unsigned *failures_out)
{
	*failures_out = 0;
	return s->ops->user_login_failed(s, id, failures_out);
}

int mg_store_user_set_lock(struct mg_store *s, int64_t id, int64_t locked_until_ms,
			   unsigned lockouts)
{
	return s->ops->user_set_lock(s, id, locked_until_ms, lockouts);
}

int mg_store_user_login_succeeded(struct mg_store *s, int64_t id)
{
	return s->ops->user_login_succeeded(s, id);
}

/* Tenant memberships */

int mg_store_membership_add(struct mg_store *s, int64_t user_id, int64_t tenant_id)
{
	return s->ops->membership_add(s, user_id, tenant_id);
}

int mg_store_membership_remove(struct mg_store *s, int64_t user_id, int64_t tenant_id)
{
	return s->ops->membership_remove(s, user_id, tenant_id);
}

int mg_store_membership_suspend_all(struct mg_store *s, int64_t user_id, size_t *count_out)
{
	*count_out = 0;
	return s->ops->membership_suspend_all(s, user_id, count_out);
}

int mg_store_membership_confirm(struct mg_store *s, int64_t user_id, int64_t tenant_id)
{
	return s->ops->membership_confirm(s, user_id, tenant_id);
}

int mg_store_membership_confirm_all(struct mg_store *s, int64_t user_id)
{
	return s->ops->membership_confirm_all(s, user_id);
}

/* Second factor */

int mg_store_totp_set_pending(struct mg_store *s, int64_t id, const unsigned char *sealed,
			      size_t len)
{
	if (sealed == NULL || len == 0)
		return MG_ERR_INVALID;
	if (len > MG_TOTP_SEALED_MAX)
		return MG_ERR_LIMIT;
	return s->ops->totp_set_pending(s, id, sealed, len);
}

int mg_store_totp_activate(struct mg_store *s, int64_t id, int64_t step)
{
	return s->ops->totp_activate(s, id, step);
}

int mg_store_totp_clear(struct mg_store *s, int64_t id)
{
	return s->ops->totp_clear(s, id);
}

int mg_store_totp_use_step(struct mg_store *s, int64_t id, int64_t step)
{
	return s->ops->totp_use_step(s, id, step);
}

int mg_store_recovery_codes_set(struct mg_store *s, int64_t id,
				const unsigned char (*hashes)[MG_TOKEN_HASH_BYTES], size_t n)
{
	if (n > 0 && hashes == NULL)
		return MG_ERR_INVALID;
	if (n > MG_RECOVERY_CODES)
		return MG_ERR_LIMIT;
	return s->ops->recovery_codes_set(s, id, hashes, n);
}

int mg_store_recovery_code_use(struct mg_store *s, int64_t id,
			       const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms)
{
	return hash == NULL ? MG_ERR_INVALID : s->ops->recovery_code_use(s, id, hash, now_ms);
}

int mg_store_recovery_codes_left(struct mg_store *s, int64_t id, unsigned *left_out)
{
	*left_out = 0;
	return s->ops->recovery_codes_left(s, id, left_out);
}

/* Sessions */

int mg_store_session_create(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			    const struct mg_session *session, unsigned max_per_user)
{
	if (hash == NULL || session == NULL || !text_ends(session->csrf, sizeof(session->csrf)) ||
	    !text_ends(session->address, sizeof(session->address)))
		return MG_ERR_INVALID;
	return s->ops->session_create(s, hash, session, max_per_user);
}

int mg_store_session_get(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			 int64_t now_ms, int64_t idle_ms, struct mg_session *out)
{
	memset(out, 0, sizeof(*out));
	if (hash == NULL || idle_ms < 0)
		return MG_ERR_INVALID;
	return s->ops->session_get(s, hash, now_ms, idle_ms, out);
}

int mg_store_session_sweep(struct mg_store *s, int64_t now_ms, int64_t idle_ms,
			   mg_session_expired_cb cb, void *arg)
{
	if (cb == NULL || idle_ms < 0)
		return MG_ERR_INVALID;
	return s->ops->session_sweep(s, now_ms, idle_ms, cb, arg);
}

int mg_store_session_delete(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES])
{
	return hash == NULL ? MG_ERR_INVALID : s->ops->session_delete(s, hash);
}

int mg_store_session_delete_user(struct mg_store *s, int64_t user_id)
{
	return s->ops->session_delete_user(s, user_id);
}

/* Failed sign-ins per address */

static int address_check(const char *address, int64_t window_ms)
{
	return first_error(window_ms < 0 ? MG_ERR_INVALID : 0,
			   text_check(address, false, MG_ADDRESS_TEXT_MAX));
}

int mg_store_address_failed(struct mg_store *s, const char *address, int64_t now_ms,
			    int64_t window_ms, unsigned *count_out)
{
	int r = address_check(address, window_ms);

	*count_out = 0;
	return r != 0 ? r : s->ops->address_failed(s, address, now_ms, window_ms, count_out);
}

int mg_store_address_failures(struct mg_store *s, const char *address, int64_t now_ms,
			      int64_t window_ms, unsigned *count_out)
{
	int r = address_check(address, window_ms);

	*count_out = 0;
	return r != 0 ? r : s->ops->address_failures(s, address, now_ms, window_ms, count_out);
}

/* Password reset links */

int mg_store_reset_create(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			  int64_t user_id, int64_t now_ms, int64_t expires_ms)
{
	return hash == NULL ? MG_ERR_INVALID
			    : s->ops->reset_create(s, hash, user_id, now_ms, expires_ms);
}

int mg_store_reset_consume(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			   int64_t now_ms, int64_t *user_id_out)
{
	*user_id_out = 0;
	return hash == NULL ? MG_ERR_INVALID : s->ops->reset_consume(s, hash, now_ms, user_id_out);
}

/* Settings */

int mg_store_setting_get(struct mg_store *s, const char *name, char *value, size_t valuelen)
{
	int r;

	if (value == NULL)
		return MG_ERR_INVALID;
	if (valuelen == 0)
		return MG_ERR_LIMIT;
	value[0] = '\0';
	if ((r = key_check(name, MG_NAME_MAX)) != 0)
		return r;
	return s->ops->setting_get(s, name, value, valuelen);
}

int mg_store_setting_set(struct mg_store *s, const char *name, const char *value)
{
	int r = first_error(text_check(name, true, MG_NAME_MAX),
			    text_check(value, false, MG_SETTING_VALUE_MAX));

	return r != 0 ? r : s->ops->setting_set(s, name, value);
}

/* Advisories */

static bool advisory_row_ok(const struct mg_advisory_finding *a)
{
	return text_ends(a->id, sizeof(a->id)) && text_ends(a->package, sizeof(a->package)) &&
	       text_ends(a->source, sizeof(a->source)) &&
	       text_ends(a->installed, sizeof(a->installed)) &&
	       text_ends(a->fixed, sizeof(a->fixed)) && text_ends(a->summary, sizeof(a->summary)) &&
	       a->id[0] != '\0' && a->package[0] != '\0' && a->installed[0] != '\0';
}

int mg_store_advisory_replace(struct mg_store *s, const struct mg_advisory_finding *rows,
			      size_t n)
{
	if (n > 0 && rows == NULL)
		return MG_ERR_INVALID;
	if (n > MG_ADVISORY_FINDINGS_MAX)
		return MG_ERR_LIMIT;
	for (size_t i = 0; i < n; i++)
		if (!advisory_row_ok(&rows[i]))
			return MG_ERR_INVALID;
	return s->ops->advisory_replace(s, rows, n);
}

int mg_store_advisory_list(struct mg_store *s, mg_advisory_cb cb, void *arg)
{
	return cb == NULL ? MG_ERR_INVALID : s->ops->advisory_list(s, cb, arg);
}

/* Firmware releases */

int mg_store_firmware_put(struct mg_store *s, const struct mg_firmware_release *rel,
			  const void *image, int64_t *highest_out)
{
	if (highest_out == NULL)
		return MG_ERR_INVALID;
	*highest_out = 0;
	if (rel == NULL || image == NULL || !text_ends(rel->model, sizeof(rel->model)) ||
	    !text_ends(rel->version, sizeof(rel->version)) ||
	    !text_ends(rel->sha256, sizeof(rel->sha256)) ||
	    !text_ends(rel->manifest, sizeof(rel->manifest)) || rel->model[0] == '\0' ||
	    rel->version[0] == '\0' || strlen(rel->sha256) != MG_FIRMWARE_SHA256_LEN ||
	    rel->manifest[0] == '\0' || rel->sequence < 1 || rel->size < 1)
		return MG_ERR_INVALID;
	if (rel->sequence > MG_FIRMWARE_SEQUENCE_MAX || rel->size > MG_FIRMWARE_IMAGE_MAX)
		return MG_ERR_LIMIT;
	return s->ops->firmware_put(s, rel, image, highest_out);
}

int mg_store_firmware_latest(struct mg_store *s, const char *model,
			     struct mg_firmware_release *out)
{
	int r;

	if (out == NULL)
		return MG_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	if ((r = key_check(model, MG_MODEL_MAX)) != 0)
		return r;
	return s->ops->firmware_latest(s, model, out);
}

int mg_store_firmware_image(struct mg_store *s, const char *model, const char *sha256,
			    void *image, size_t imagelen, size_t *len_out)
{
	int r;

	if (len_out == NULL || (image == NULL && imagelen > 0))
		return MG_ERR_INVALID;
	*len_out = 0;
	if ((r = key_check(model, MG_MODEL_MAX)) != 0 ||
	    (r = key_check(sha256, MG_FIRMWARE_SHA256_LEN)) != 0)
		return r;
	return s->ops->firmware_image(s, model, sha256, image, imagelen, len_out);
}

int mg_store_firmware_list(struct mg_store *s, size_t limit, mg_firmware_cb cb, void *arg)
{
	if (cb == NULL || limit == 0)
		return MG_ERR_INVALID;
	if (limit > MG_FIRMWARE_LIST_MAX)
		return MG_ERR_LIMIT;
	return s->ops->firmware_list(s, limit, cb, arg);
}

/* Changes to review */

int mg_store_change_list(struct mg_store *s, const struct mg_change_filter *f, mg_change_cb cb,
			 void *arg)
{
	if (f == NULL || cb == NULL || f->before_seq < 0 || f->limit == 0 ||
	    (f->state != MG_CHANGES_UNREVIEWED && f->state != MG_CHANGES_REVIEWED))
		return MG_ERR_INVALID;
	if (f->limit > MG_CHANGE_PAGE_MAX)
		return MG_ERR_LIMIT;
	return s->ops->change_list(s, f, cb, arg);
}

int mg_store_change_count(struct mg_store *s, int64_t *unreviewed_out)
{
	if (unreviewed_out == NULL)
		return MG_ERR_INVALID;
	*unreviewed_out = 0;
	return s->ops->change_count(s, unreviewed_out);
}

int mg_store_change_review(struct mg_store *s, int64_t seq, const char *reviewer,
			   int64_t now_ms, const char *note)
{
	if (reviewer == NULL || reviewer[0] == '\0' || note == NULL || seq < 1 || now_ms < 0)
		return MG_ERR_INVALID;
	if (strlen(reviewer) > MG_AUDIT_ACTOR_MAX || strlen(note) > MG_CHANGE_NOTE_MAX)
		return MG_ERR_LIMIT;
	return s->ops->change_review(s, seq, reviewer, now_ms, note);
}

/* Enrolment tokens */

int mg_store_token_create(struct mg_store *s, int64_t tenant_id, const char *device_name,
			  const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t expires_ms,
			  int64_t *id_out)
{
	int r = first_error(hash == NULL ? MG_ERR_INVALID : 0,
			    text_check(device_name, true, MG_NAME_MAX));

	*id_out = 0;
	return r != 0 ? r
		      : s->ops->token_create(s, tenant_id, device_name, hash, expires_ms, id_out);
}

int mg_store_token_find(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			int64_t now_ms, struct mg_enrol_token *out)
{
	memset(out, 0, sizeof(*out));
	return hash == NULL ? MG_ERR_INVALID : s->ops->token_find(s, hash, now_ms, out);
}

/* Devices */

int mg_store_device_enrol(struct mg_store *s, int64_t token_id, int64_t now_ms, struct mg_device *d)
{
	if (d == NULL || !text_ends(d->name, sizeof(d->name)) || d->name[0] == '\0' ||
	    !text_ends(d->cert_fingerprint, sizeof(d->cert_fingerprint)) ||
	    d->cert_fingerprint[0] == '\0' || !text_ends(d->cert_serial, sizeof(d->cert_serial)) ||
	    !text_ends(d->model, sizeof(d->model)))
		return MG_ERR_INVALID;
	return s->ops->device_enrol(s, token_id, now_ms, d);
}

int mg_store_device_by_fingerprint(struct mg_store *s, const char *fingerprint,
				   struct mg_device *out)
{
	int r = key_check(fingerprint, sizeof(out->cert_fingerprint) - 1);

	memset(out, 0, sizeof(*out));
	return r != 0 ? r : s->ops->device_by_fingerprint(s, fingerprint, out);
}

int mg_store_device_by_id(struct mg_store *s, int64_t id, struct mg_device *out)
{
	memset(out, 0, sizeof(*out));
	return s->ops->device_by_id(s, id, out);
}

int mg_store_device_set_status(struct mg_store *s, int64_t id, enum mg_device_status st)
{
	if ((unsigned)st > MG_DEVICE_REVOKED)
		return MG_ERR_INVALID;
	return s->ops->device_set_status(s, id, st);
}

int mg_store_device_set_reported_model(struct mg_store *s, int64_t id, const char *model)
{
	int r = text_check(model, false, MG_MODEL_MAX);

	return r != 0 ? r : s->ops->device_set_reported_model(s, id, model);
}

int mg_store_device_renew(struct mg_store *s, int64_t id, const char *old_fingerprint,
			  const char *fingerprint, const char *serial, int64_t not_after_ms)
{
	int r;

	if (not_after_ms <= 0)
		return MG_ERR_INVALID;
	if ((r = text_check(old_fingerprint, true, 64)) != 0 ||
	    (r = text_check(fingerprint, true, 64)) != 0 || (r = text_check(serial, true, 40)) != 0)
		return r;
	return s->ops->device_renew(s, id, old_fingerprint, fingerprint, serial, not_after_ms);
}

int mg_store_device_set_firmware(struct mg_store *s, int64_t id, const char *firmware)
{
	int r = text_check(firmware, false, MG_FIRMWARE_MAX);

	return r != 0 ? r : s->ops->device_set_firmware(s, id, firmware);
}

int mg_store_device_set_tenant(struct mg_store *s, int64_t id, int64_t tenant_id)
{
	return s->ops->device_set_tenant(s, id, tenant_id);
}

int mg_store_device_list(struct mg_store *s, int64_t tenant_id, mg_device_cb cb, void *arg)
{
	return cb == NULL ? MG_ERR_INVALID : s->ops->device_list(s, tenant_id, cb, arg);
}

/* Measurements */

static int put_check(const struct mg_measurement_put *p)
{
	if (p == NULL || p->m == NULL || (p->ndestinations > 0 && p->destinations == NULL) ||
	    !text_ends(p->m->device_mid, sizeof(p->m->device_mid)))
		return MG_ERR_INVALID;
	for (size_t i = 0; i < p->ndestinations; i++)
		if (p->destinations[i] == NULL)
			return MG_ERR_INVALID;
	if (p->sealed_len > sizeof(p->sealed_patient) || p->m->nvalues > MG_VALUES_MAX)
		return MG_ERR_LIMIT;
	/* Without patient: the tenant's placeholder, an all-zero index (no
	 * keyed hash is) and nothing sealed. */
	if (p->unassigned) {
		for (size_t i = 0; i < MG_BLIND_INDEX_BYTES; i++)
			if (p->blind_index[i] != 0)
				return MG_ERR_INVALID;
		if (p->sealed_len != 0)
			return MG_ERR_INVALID;
	}
	if (p->patient_key_len != 0 && p->patient_key_len != MG_WRAPPED_KEY_BYTES)
		return MG_ERR_INVALID;
	return 0;
}

/* A batch with an item the back end could not read is refused whole,
 * like a batch whose transaction fails: every item gets the error. */
int mg_store_measurement_put_batch(struct mg_store *s, struct mg_measurement_put *const *items,
				   size_t n)
{
	int r = 0;

	if (n > 0 && items == NULL)
		return MG_ERR_INVALID;
	for (size_t i = 0; i < n; i++)
		r = first_error(r, put_check(items[i]));
	for (size_t i = 0; i < n && r == 0; i++)
		r = mg_store_values_seal(s, items[i]);
	if (r == 0)
		return s->ops->measurement_put_batch(s, items, n);
	for (size_t i = 0; i < n; i++) {
		if (items[i] != NULL) {
			items[i]->result = r;
			items[i]->id = 0;
			items[i]->duplicate = false;
		}
	}
	return r;
}

/* Rows reach the caller with their values opened; a row whose values do
 * not open is left out (values.c raised the alert). */
struct opened {
	struct mg_store *s;
	mg_measurement_cb cb;
	void *arg;
	struct mg_measurement_row row;
};

static int open_row(const struct mg_measurement_row *row, void *arg)
{
	struct opened *o = arg;
	bool tampered;
	int r;

	o->row = *row;
	if ((r = mg_store_values_open(o->s, &o->row, &tampered)) != 0)
		return r;
	return tampered ? 0 : o->cb(&o->row, o->arg);
}

int mg_store_measurement_list(struct mg_store *s, int64_t tenant_id, int64_t after_id, size_t limit,
			      mg_measurement_cb cb, void *arg)
{
	struct opened o = { .s = s, .cb = cb, .arg = arg };

	return cb == NULL ? MG_ERR_INVALID
			  : s->ops->measurement_list(s, tenant_id, after_id, limit, open_row, &o);
}

int mg_store_measurement_count(struct mg_store *s, int64_t tenant_id, int64_t *count_out)
{
	*count_out = 0;
	return s->ops->measurement_count(s, tenant_id, count_out);
}

/* Outbox */

static int destination_check(const char *destination)
{
	return text_check(destination, true, MG_EMR_NAME_MAX);
}

int mg_store_outbox_claim(struct mg_store *s, const char *destination, int64_t now_ms,
			  int64_t lease_ms, struct mg_outbox_item *items, size_t max, size_t *n)
{
	int r = first_error(lease_ms < 0 || (max > 0 && items == NULL) ? MG_ERR_INVALID : 0,
			    destination_check(destination));

	*n = 0;
	if (r != 0 || (r = s->ops->outbox_claim(s, destination, now_ms, lease_ms, items, max, n)) != 0)
		return r;
	/* A key that does not open fails the claim (the rows come again
	 * when their lease ends); a row that does not open is marked. */
	for (size_t i = 0; i < *n; i++) {
		if ((r = mg_store_values_open(s, &items[i].row, &items[i].tampered)) != 0) {
			*n = 0;
			return r;
		}
	}
	return 0;
}

int mg_store_outbox_delivered(struct mg_store *s, int64_t id, int64_t now_ms)
{
	return s->ops->outbox_delivered(s, id, now_ms);
}

/* Error texts longer than MG_OUTBOX_ERROR_MAX are cut there by the back
 * end: they come from peers, and a retry must not fail for one. */
int mg_store_outbox_retry(struct mg_store *s, int64_t id, int64_t next_ms, const char *error)
{
	return error == NULL ? MG_ERR_INVALID : s->ops->outbox_retry(s, id, next_ms, error);
}

int mg_store_outbox_dead(struct mg_store *s, int64_t id, int64_t now_ms, const char *error)
{
	return error == NULL ? MG_ERR_INVALID : s->ops->outbox_dead(s, id, now_ms, error);
}

int mg_store_outbox_resend(struct mg_store *s, const char *destination, int64_t id, int64_t now_ms,
			   int64_t *count_out)
{
	int r = destination_check(destination);

	*count_out = 0;
	return r != 0 ? r : s->ops->outbox_resend(s, destination, id, now_ms, count_out);
}

int mg_store_outbox_stats(struct mg_store *s, const char *destination, struct mg_outbox_stats *out)
{
	int r = destination_check(destination);

	memset(out, 0, sizeof(*out));
	return r != 0 ? r : s->ops->outbox_stats(s, destination, out);
}

/* Figures */

int mg_store_figures(struct mg_store *s, int64_t now_ms, int64_t certs_before_ms,
		     struct mg_store_figures *out)
{
	memset(out, 0, sizeof(*out));
	if (now_ms < 0 || certs_before_ms < 0)
		return MG_ERR_INVALID;
	return s->ops->figures(s, now_ms, certs_before_ms, out);
}

/* Patients */

int mg_store_patient_find(struct mg_store *s, int64_t tenant_id,
			  const unsigned char blind_index[MG_BLIND_INDEX_BYTES], int64_t *id_out)
{
	*id_out = 0;
	return blind_index == NULL ? MG_ERR_INVALID
				   : s->ops->patient_find(s, tenant_id, blind_index, id_out);
}

int mg_store_patient_measurements(struct mg_store *s, int64_t patient_id, size_t limit,
				  mg_measurement_cb cb, void *arg)
{
	struct opened o = { .s = s, .cb = cb, .arg = arg };

	return cb == NULL ? MG_ERR_INVALID
			  : s->ops->patient_measurements(s, patient_id, limit, open_row, &o);
}

int mg_store_patient_put(struct mg_store *s, const struct mg_patient_put *p, int64_t *id_out,
			 bool *created_out)
{
	*id_out = 0;
	*created_out = false;
	if (p == NULL || p->record_len == 0 || p->sealed_id_len == 0 || p->tenant_id <= 0 ||
	    (p->key_len != 0 && p->key_len != MG_WRAPPED_KEY_BYTES))
		return MG_ERR_INVALID;
	if (p->record_len > sizeof(p->record) || p->sealed_id_len > sizeof(p->sealed_id) ||
	    p->ntokens > MG_PATIENT_PUT_TOKENS_MAX)
		return MG_ERR_LIMIT;
	return s->ops->patient_put(s, p, id_out, created_out);
}

int mg_store_patient_get(struct mg_store *s, int64_t id, struct mg_patient_row *out)
{
	memset(out, 0, sizeof(*out));
	return id <= 0 ? MG_ERR_NOT_FOUND : s->ops->patient_get(s, id, out);
}

int mg_store_patient_search(struct mg_store *s, int64_t tenant_id,
			    const unsigned char (*tokens)[MG_BLIND_INDEX_BYTES], size_t ntokens,
			    size_t limit, mg_patient_cb cb, void *arg)
{
	if (tokens == NULL || cb == NULL || ntokens == 0 || limit == 0)
		return MG_ERR_INVALID;
	/* The back end counts distinct matches: equal tokens would never match. */
	for (size_t i = 0; i < ntokens && i < MG_PATIENT_QUERY_TOKENS_MAX; i++) {
		for (size_t j = 0; j < i; j++) {
			if (memcmp(tokens[i], tokens[j], MG_BLIND_INDEX_BYTES) == 0)
				return MG_ERR_INVALID;
		}
	}
	if (ntokens > MG_PATIENT_QUERY_TOKENS_MAX || limit > MG_PATIENT_SEARCH_MAX)
		return MG_ERR_LIMIT;
	return s->ops->patient_search(s, tenant_id, tokens, ntokens, limit, cb, arg);
}

int mg_store_patient_discharge(struct mg_store *s, int64_t id, int64_t discharged_ms)
{
	return discharged_ms < 0 ? MG_ERR_INVALID
				 : s->ops->patient_discharge(s, id, discharged_ms);
}

int mg_store_patient_merge(struct mg_store *s, int64_t tenant_id,
			   const unsigned char from_index[MG_BLIND_INDEX_BYTES], int64_t into_id,
			   int64_t now_ms, int64_t *from_id_out, int64_t *moved_out)
{
	*from_id_out = 0;
	*moved_out = 0;
	if (from_index == NULL || into_id <= 0 || tenant_id <= 0)
		return MG_ERR_INVALID;
	return s->ops->patient_merge(s, tenant_id, from_index, into_id, now_ms, from_id_out,
				     moved_out);
}

int mg_store_measurement_correct(struct mg_store *s, const struct mg_correction *c,
				 int64_t *revision_out)
{
	size_t n;

	*revision_out = 0;
	if (c == NULL || c->measurement_id <= 0 || c->tenant_id <= 0 || c->from_patient_id <= 0 ||
	    c->to_patient_id < 0 || c->now_ms < 0 || c->reason == NULL ||
	    c->ndestinations > MG_EMR_MAX || (c->ndestinations > 0 && c->destinations == NULL))
		return MG_ERR_INVALID;
	n = strlen(c->reason);
	if (n == 0 || n > MG_CORRECTION_REASON_MAX)
		return MG_ERR_INVALID;
	for (size_t i = 0; i < c->ndestinations; i++)
		if (c->destinations[i] == NULL || c->destinations[i][0] == '\0')
			return MG_ERR_INVALID;
	return s->ops->measurement_correct(s, c, revision_out);
}

int mg_store_measurement_assign(struct mg_store *s, const struct mg_assignment *a,
				int64_t *patient_out)
{
	bool zero = true;

	*patient_out = 0;
	if (a == NULL || a->measurement_id <= 0 || a->tenant_id <= 0 || a->now_ms < 0 ||
	    a->sealed_len == 0 || a->sealed_len > sizeof(a->sealed_patient) ||
	    a->ndestinations > MG_EMR_MAX || (a->ndestinations > 0 && a->destinations == NULL))
		return MG_ERR_INVALID;
	for (size_t i = 0; i < MG_BLIND_INDEX_BYTES; i++)
		zero = zero && a->blind_index[i] == 0;
	if (zero)
		return MG_ERR_INVALID;	/* the placeholder's */
	for (size_t i = 0; i < a->ndestinations; i++)
		if (a->destinations[i] == NULL || a->destinations[i][0] == '\0')
			return MG_ERR_INVALID;
	return s->ops->measurement_assign(s, a, patient_out);
}

int mg_store_unassigned_measurements(struct mg_store *s, int64_t tenant_id, size_t limit,
				     mg_measurement_cb cb, void *arg)
{
	if (tenant_id <= 0 || cb == NULL)
		return MG_ERR_INVALID;
	return s->ops->unassigned_measurements(s, tenant_id, limit, cb, arg);
}

int mg_store_order_create(struct mg_store *s, const struct mg_order *o, int64_t *id_out)
{
	*id_out = 0;
	if (o == NULL || o->tenant_id <= 0 || o->device_id <= 0 || o->patient_id <= 0 ||
	    o->created_by < 0 || o->created_ms < 0 || o->expires_ms <= o->created_ms)
		return MG_ERR_INVALID;
	return s->ops->order_create(s, o, id_out);
}

int mg_store_order_cancel(struct mg_store *s, int64_t id, int64_t tenant_id, int64_t now_ms)
{
	if (id <= 0 || tenant_id <= 0 || now_ms < 0)
		return MG_ERR_INVALID;
	return s->ops->order_cancel(s, id, tenant_id, now_ms);
}

int mg_store_order_list(struct mg_store *s, int64_t tenant_id, int64_t now_ms, mg_order_cb cb,
			void *arg)
{
	if (tenant_id <= 0 || now_ms < 0 || cb == NULL)
		return MG_ERR_INVALID;
	return s->ops->order_list(s, tenant_id, now_ms, cb, arg);
}

int mg_store_order_pending(struct mg_store *s, int64_t device_id, int64_t now_ms,
			   struct mg_order *out)
{
	memset(out, 0, sizeof(*out));
	if (device_id <= 0 || now_ms < 0)
		return MG_ERR_INVALID;
	return s->ops->order_pending(s, device_id, now_ms, out);
}

int mg_store_ward_recent(struct mg_store *s, int64_t tenant_id, int64_t since_ms, size_t limit,
			 mg_ward_cb cb, void *arg)
{
	if (tenant_id <= 0 || since_ms < 0 || limit == 0 || limit > 500 || cb == NULL)
		return MG_ERR_INVALID;
	return s->ops->ward_recent(s, tenant_id, since_ms, limit, cb, arg);
}

int mg_store_view_note(struct mg_store *s, int64_t user_id, int64_t patient_id, int64_t now_ms)
{
	if (user_id <= 0 || patient_id <= 0 || now_ms < 0)
		return MG_ERR_INVALID;
	return s->ops->view_note(s, user_id, patient_id, now_ms);
}

int mg_store_views(struct mg_store *s, int64_t user_id, mg_ward_cb cb, void *arg)
{
	if (user_id <= 0 || cb == NULL)
		return MG_ERR_INVALID;
	return s->ops->views(s, user_id, cb, arg);
}

/* Erasure */

int mg_store_patient_erase(struct mg_store *s, int64_t tenant_id, int64_t patient_id,
			   struct mg_erase_counts *out)
{
	if (out == NULL)
		return MG_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	if (tenant_id <= 0 || patient_id <= 0)
		return MG_ERR_NOT_FOUND;
	return s->ops->patient_erase(s, tenant_id, patient_id, out);
}

int mg_store_tenant_erase(struct mg_store *s, int64_t tenant_id, struct mg_erase_counts *out)
{
	if (out == NULL)
		return MG_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	return tenant_id <= 0 ? MG_ERR_NOT_FOUND : s->ops->tenant_erase(s, tenant_id, out);
}

int mg_store_measurement_erase_before(struct mg_store *s, int64_t before_ms, size_t limit,
				      int64_t *count_out)
{
	if (count_out == NULL)
		return MG_ERR_INVALID;
	*count_out = 0;
	if (before_ms < 0 || limit == 0)
		return MG_ERR_INVALID;
	if (limit > MG_ERASE_BATCH_MAX)
		return MG_ERR_LIMIT;
	return s->ops->measurement_erase_before(s, before_ms, limit, count_out);
}

int mg_store_patient_deliveries(struct mg_store *s, int64_t patient_id, mg_delivery_cb cb,
				void *arg)
{
	return cb == NULL ? MG_ERR_INVALID : s->ops->patient_deliveries(s, patient_id, cb, arg);
}

int mg_store_patient_list(struct mg_store *s, int64_t tenant_id, int64_t after_id, size_t limit,
			  mg_patient_cb cb, void *arg)
{
	if (cb == NULL || limit == 0)
		return MG_ERR_INVALID;
	if (limit > MG_PATIENT_SEARCH_MAX)
		return MG_ERR_LIMIT;
	return s->ops->patient_list(s, tenant_id, after_id, limit, cb, arg);
}

/* Audit trail */

int mg_store_audit_append(struct mg_store *s, struct mg_audit_record *rec, mg_audit_hash_fn hash_fn,
			  void *arg)
{
	if (rec == NULL || hash_fn == NULL || !text_ends(rec->actor, sizeof(rec->actor)) ||
	    !text_ends(rec->roles, sizeof(rec->roles)) ||
	    !text_ends(rec->address, sizeof(rec->address)) ||
	    !text_ends(rec->action, sizeof(rec->action)) ||
	    !text_ends(rec->object, sizeof(rec->object)) ||
	    !text_ends(rec->outcome, sizeof(rec->outcome)) ||
	    !text_ends(rec->details, sizeof(rec->details)))
		return MG_ERR_INVALID;
	return s->ops->audit_append(s, rec, hash_fn, arg);
}

int mg_store_audit_list(struct mg_store *s, const struct mg_audit_filter *f, mg_audit_record_cb cb,
			void *arg)
{
	return cb == NULL ? MG_ERR_INVALID : s->ops->audit_list(s, f, cb, arg);
}

/* Detection state */

int mg_store_user_address_seen(struct mg_store *s, int64_t id, const char *address, int64_t now_ms,
			       bool *new_out, unsigned *known_out)
{
	int r = text_check(address, false, MG_ADDRESS_TEXT_MAX);

	*new_out = false;
	*known_out = 0;
	return r != 0 ? r : s->ops->user_address_seen(s, id, address, now_ms, new_out, known_out);
}

int mg_store_measurement_previous_value(struct mg_store *s, int64_t id, const char *quantity,
					int64_t window_ms, double *value_out,
					int64_t *measured_ms_out)
{
	int r = first_error(window_ms < 0 ? MG_ERR_INVALID : 0,
			    text_check(quantity, true, MG_QUANTITY_NAME_MAX));

	struct mg_measurement_row row;
	bool tampered;

	*value_out = 0;
	*measured_ms_out = 0;
	memset(&row, 0, sizeof(row));
	if (r != 0 || (r = s->ops->measurement_previous_value(s, id, quantity, window_ms, &row)) != 0)
		return r;
	if (row.nvalues != 1)
		return MG_ERR_STORE;
	if ((r = mg_store_values_open(s, &row, &tampered)) != 0)
		return r;
	if (tampered)
		return MG_ERR_CRYPTO;
	*value_out = row.values[0].value;
	*measured_ms_out = row.measured_ms;
	return 0;
}

/* Backups */

int mg_store_snapshot(struct mg_store *s, const char *path, mg_store_progress_fn progress,
		      void *arg, char *err, size_t errlen)
{
	if (err == NULL || errlen == 0)
		return MG_ERR_INVALID;
	err[0] = '\0';
	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "no snapshot path");
		return MG_ERR_INVALID;
	}
	if (strlen(path) >= MG_PATH_MAX) {
		snprintf(err, errlen, "snapshot path longer than %d bytes", MG_PATH_MAX - 1);
		return MG_ERR_LIMIT;
	}
	if (access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s exists", path);
		return MG_ERR_EXISTS;
	}
	return s->ops->snapshot(s, path, progress, arg, err, errlen);
}

int mg_store_integrity_check(struct mg_store *s, char *problem, size_t problemlen)
{
	if (problem == NULL || problemlen == 0)
		return MG_ERR_INVALID;
	problem[0] = '\0';
	return s->ops->integrity_check(s, problem, problemlen);
}

/* Leases */

int mg_store_lease_acquire(struct mg_store *s, const char *name, const char *holder, int64_t now_ms,
			   int64_t ttl_ms)
{
	int r = first_error(ttl_ms <= 0 ? MG_ERR_INVALID : 0, text_check(name, true, MG_NAME_MAX));

	r = first_error(r, text_check(holder, true, MG_NAME_MAX));
	return r != 0 ? r : s->ops->lease_acquire(s, name, holder, now_ms, ttl_ms);
}

/* Alerts */

static bool severity_ok(enum mg_alert_severity severity)
{
	return (unsigned)severity <= MG_SEVERITY_CRITICAL;
}

int mg_store_alert_raise(struct mg_store *s, const struct mg_alert *a, int64_t group_since_ms,
			 int64_t *id_out, int64_t *count_out)
{
	*id_out = 0;
	*count_out = 0;
	/* Each array holds its limit and a NUL: a text that does not end
	 * inside it is not a text. */
	if (a == NULL || a->kind[0] == '\0' || !severity_ok(a->severity) ||
	    !text_ends(a->kind, sizeof(a->kind)) || !text_ends(a->subject, sizeof(a->subject)) ||
	    !text_ends(a->summary, sizeof(a->summary)))
		return MG_ERR_INVALID;
	return s->ops->alert_raise(s, a, group_since_ms, id_out, count_out);
}

int mg_store_alert_get(struct mg_store *s, int64_t id, struct mg_alert *out)
{
	memset(out, 0, sizeof(*out));
	return s->ops->alert_get(s, id, out);
}

/* f NULL lists every alert. */
int mg_store_alert_list(struct mg_store *s, const struct mg_alert_filter *f, mg_alert_cb cb,
			void *arg)
{
	static const struct mg_alert_filter all = {.state = -1};

	if (f == NULL)
		f = &all;
	if (cb == NULL || f->state < -1 || f->state > MG_ALERT_ACKNOWLEDGED)
		return MG_ERR_INVALID;
	return s->ops->alert_list(s, f, cb, arg);
}

int mg_store_alert_acknowledge(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms)
{
	return s->ops->alert_acknowledge(s, id, user_id, now_ms);
}

/* Incidents */

static int entry_check(const char *kind, const char *text)
{
	return first_error(text_check(kind, true, MG_INCIDENT_KIND_MAX),
			   text_check(text, false, MG_INCIDENT_TEXT_MAX));
}

int mg_store_incident_create(struct mg_store *s, const char *title, enum mg_alert_severity severity,
			     int64_t user_id, int64_t now_ms, const int64_t *alert_ids,
			     size_t nalerts, int64_t *id_out)
{
	int r = first_error(
	    !severity_ok(severity) || (nalerts > 0 && alert_ids == NULL) ? MG_ERR_INVALID : 0,
	    text_check(title, true, MG_INCIDENT_TITLE_MAX));

	*id_out = 0;
	return r != 0 ? r
		      : s->ops->incident_create(s, title, severity, user_id, now_ms, alert_ids,
						nalerts, id_out);
}

int mg_store_incident_get(struct mg_store *s, int64_t id, struct mg_incident *out)
{
	memset(out, 0, sizeof(*out));
	return s->ops->incident_get(s, id, out);
}

int mg_store_incident_list(struct mg_store *s, mg_incident_cb cb, void *arg)
{
	return cb == NULL ? MG_ERR_INVALID : s->ops->incident_list(s, cb, arg);
}

int mg_store_incident_link_alert(struct mg_store *s, int64_t id, int64_t alert_id, int64_t user_id,
				 int64_t now_ms)
{
	return s->ops->incident_link_alert(s, id, alert_id, user_id, now_ms);
}

int mg_store_incident_set_status(struct mg_store *s, int64_t id, enum mg_incident_status st,
				 int64_t user_id, int64_t now_ms, const char *text)
{
	int r = first_error((unsigned)st > MG_INCIDENT_CLOSED ? MG_ERR_INVALID : 0,
			    entry_check("status", text));

	return r != 0 ? r : s->ops->incident_set_status(s, id, st, user_id, now_ms, text);
}

int mg_store_incident_add_entry(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms,
				const char *kind, const char *text)
{
	int r = entry_check(kind, text);

	return r != 0 ? r : s->ops->incident_add_entry(s, id, user_id, now_ms, kind, text);
}

int mg_store_incident_entries(struct mg_store *s, int64_t id, mg_incident_entry_cb cb, void *arg)
{
	return cb == NULL ? MG_ERR_INVALID : s->ops->incident_entries(s, id, cb, arg);
}

int mg_store_maintenance_request(struct mg_store *s, const struct mg_maintenance *m,
				 int64_t *id_out)
{
	int r;

	*id_out = 0;
	if (m == NULL || m->user_id <= 0 || m->scope == 0 || (m->scope & ~MG_MAINT_SCOPE_ALL) ||
	    (m->state != MG_MAINT_REQUESTED && m->state != MG_MAINT_GRANTED) ||
	    m->minutes == 0 || m->requested_ms <= 0 ||
	    (m->state == MG_MAINT_GRANTED && m->ends_ms <= m->requested_ms) ||
	    /* a device's maintenance names it, and only it names one */
	    ((m->scope & MG_MAINT_DEVICE) ? m->device_id <= 0 : m->device_id != 0) ||
	    m->consent_ms != 0)
		return MG_ERR_INVALID;
	if ((r = text_check(m->reason, true, MG_MAINT_REASON_MAX)) != 0)
		return r;
	if (m->minutes > MG_MAINT_MINUTES_MAX)
		return MG_ERR_LIMIT;
	return s->ops->maintenance_request(s, m, id_out);
}

int mg_store_maintenance_get(struct mg_store *s, int64_t id, struct mg_maintenance *out)
{
	memset(out, 0, sizeof(*out));
	return s->ops->maintenance_get(s, id, out);
}

int mg_store_maintenance_list(struct mg_store *s, int64_t user_id, size_t limit,
			      mg_maintenance_cb cb, void *arg)
{
	if (cb == NULL || user_id < 0 || limit == 0)
		return MG_ERR_INVALID;
	if (limit > MG_MAINT_LIST_MAX)
		return MG_ERR_LIMIT;
	return s->ops->maintenance_list(s, user_id, limit, cb, arg);
}

int mg_store_maintenance_decide(struct mg_store *s, int64_t id, enum mg_maintenance_state to,
				int64_t decided_by, int64_t now_ms, int64_t ends_ms)
{
	if ((to != MG_MAINT_GRANTED && to != MG_MAINT_REFUSED && to != MG_MAINT_ENDED) ||
	    decided_by < 0 || now_ms <= 0 || (to == MG_MAINT_GRANTED && ends_ms <= now_ms))
		return MG_ERR_INVALID;
	return s->ops->maintenance_decide(s, id, to, decided_by, now_ms, ends_ms);
}

int mg_store_maintenance_active(struct mg_store *s, int64_t user_id, int64_t now_ms,
				struct mg_maintenance *out)
{
	memset(out, 0, sizeof(*out));
	return user_id <= 0 ? MG_ERR_INVALID : s->ops->maintenance_active(s, user_id, now_ms, out);
}

int mg_store_maintenance_consent(struct mg_store *s, int64_t device_id, int64_t now_ms,
				 struct mg_maintenance *out)
{
	memset(out, 0, sizeof(*out));
	if (device_id <= 0 || now_ms <= 0)
		return MG_ERR_INVALID;
	return s->ops->maintenance_consent(s, device_id, now_ms, out);
}
