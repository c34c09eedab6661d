-- The audit trail: one row per security-relevant event, chained by keyed
-- hashes (src/audit/). seq is gapless and the primary key; STRICT keeps
-- every column the type the hash was made over, so a value altered behind
-- medgate's back cannot hide in a type conversion. No foreign keys: the
-- trail outlives the users, devices and tenants it names.
CREATE TABLE audit_log (
	seq INTEGER PRIMARY KEY,
	time_ms INTEGER NOT NULL,
	actor_id INTEGER NOT NULL,
	tenant_id INTEGER NOT NULL,
	actor TEXT NOT NULL,
	roles TEXT NOT NULL,
	address TEXT NOT NULL,
	action TEXT NOT NULL,
	object TEXT NOT NULL,
	outcome TEXT NOT NULL,
	details TEXT NOT NULL,
	prev_hash BLOB NOT NULL,
	hash BLOB NOT NULL
) STRICT;
CREATE INDEX audit_log_time ON audit_log (time_ms);
CREATE INDEX audit_log_object ON audit_log (object, tenant_id);
