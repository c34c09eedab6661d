-- Accounts: lockout state, second factor, e-mail for reset links.
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN lockouts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until_ms BIGINT NOT NULL DEFAULT 0;
-- The TOTP secret, sealed with a key derived from the master key; the
-- pending one waits for its first code during enrolment.
ALTER TABLE users ADD COLUMN totp_sealed BYTEA;
ALTER TABLE users ADD COLUMN totp_pending_sealed BYTEA;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_changed_ms BIGINT NOT NULL DEFAULT 0;

-- Single-use recovery codes, stored only as keyed hashes.
CREATE TABLE recovery_codes (
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	code_hash BYTEA NOT NULL,
	used_ms BIGINT,
	PRIMARY KEY (user_id, code_hash)
);

-- Sessions are known by a keyed hash of their cookie value.
CREATE TABLE sessions (
	id_hash BYTEA PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	csrf TEXT NOT NULL,
	address TEXT NOT NULL,
	created_ms BIGINT NOT NULL,
	last_seen_ms BIGINT NOT NULL,
	expires_ms BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed logins per client address, across accounts (throttling).
CREATE TABLE address_failures (
	address TEXT PRIMARY KEY,
	failures BIGINT NOT NULL,
	window_start_ms BIGINT NOT NULL
);

-- Password reset links: single use, stored as keyed hashes.
CREATE TABLE password_resets (
	token_hash BYTEA PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_ms BIGINT NOT NULL,
	expires_ms BIGINT NOT NULL,
	used_ms BIGINT
);

-- Settings changed at run time (for example which roles must use 2FA).
CREATE TABLE settings (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

-- Look-ups by tenant: tenant_usage counts these rows, and deleting a tenant
-- checks its foreign keys through them instead of scanning whole tables.
CREATE INDEX user_tenants_tenant ON user_tenants (tenant_id);
CREATE INDEX devices_tenant ON devices (tenant_id);
CREATE INDEX enrol_tokens_tenant ON enrol_tokens (tenant_id);
CREATE INDEX password_resets_user ON password_resets (user_id);
CREATE INDEX address_failures_window ON address_failures (window_start_ms);

-- "Alice" and "alice" are one person to the people reading the names.
-- Like SQLite's NOCASE this folds ASCII letters (medgatectl init creates
-- the database with the C collation; see docs/postgresql.md).
CREATE UNIQUE INDEX users_name_nocase ON users (lower(name));

-- A new password voids the reset links issued before it.
CREATE FUNCTION users_password_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM password_resets WHERE user_id = NEW.id;
	RETURN NULL;
END;
$$;
CREATE TRIGGER users_password_changed AFTER UPDATE OF password_hash ON users
	FOR EACH ROW EXECUTE FUNCTION users_password_changed();
