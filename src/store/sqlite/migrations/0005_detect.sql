-- Detection and response (src/detect/): alerts grouped by kind and
-- subject, incidents with their timeline, the addresses each account has
-- signed in from, and leases so that one gateway at a time runs a job.
CREATE TABLE alerts (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	severity INTEGER NOT NULL,
	subject TEXT NOT NULL,
	summary TEXT NOT NULL,
	tenant_id INTEGER NOT NULL,
	first_ms INTEGER NOT NULL,
	last_ms INTEGER NOT NULL,
	count INTEGER NOT NULL,
	state INTEGER NOT NULL DEFAULT 0,
	acknowledged_by INTEGER NOT NULL DEFAULT 0,
	acknowledged_ms INTEGER NOT NULL DEFAULT 0,
	incident_id INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alerts_group ON alerts (kind, subject, state, last_ms);
CREATE INDEX alerts_last ON alerts (last_ms);

CREATE TABLE incidents (
	id INTEGER PRIMARY KEY,
	title TEXT NOT NULL,
	severity INTEGER NOT NULL,
	status INTEGER NOT NULL DEFAULT 0,
	opened_by INTEGER NOT NULL,
	opened_ms INTEGER NOT NULL,
	updated_ms INTEGER NOT NULL,
	closed_ms INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE incident_entries (
	id INTEGER PRIMARY KEY,
	incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
	time_ms INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	text TEXT NOT NULL
);
CREATE INDEX incident_entries_incident ON incident_entries (incident_id, id);

CREATE TABLE user_addresses (
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	address TEXT NOT NULL,
	first_ms INTEGER NOT NULL,
	last_ms INTEGER NOT NULL,
	PRIMARY KEY (user_id, address)
);

CREATE TABLE leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	until_ms INTEGER NOT NULL
);
