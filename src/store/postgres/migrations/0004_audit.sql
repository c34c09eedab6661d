-- The audit trail: one row per security-relevant event, chained by keyed
-- hashes (src/audit/). seq is gapless and the primary key; appenders lock
-- the table (EXCLUSIVE: readers go on) before reading the head, so
-- gateways sharing the database never fork the chain. No foreign keys:
-- the trail outlives the users, devices and tenants it names.
CREATE TABLE audit_log (
	seq BIGINT PRIMARY KEY,
	time_ms BIGINT NOT NULL,
	actor_id BIGINT NOT NULL,
	tenant_id BIGINT NOT NULL,
	actor TEXT NOT NULL,
	roles TEXT NOT NULL,
	address TEXT NOT NULL,
	action TEXT NOT NULL,
	object TEXT NOT NULL,
	outcome TEXT NOT NULL,
	details TEXT NOT NULL,
	prev_hash BYTEA NOT NULL,
	hash BYTEA NOT NULL
);
CREATE INDEX audit_log_time ON audit_log (time_ms);
CREATE INDEX audit_log_object ON audit_log (object, tenant_id);
