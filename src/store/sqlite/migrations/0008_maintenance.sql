-- Remote maintenance (issue 14): a service account asks, a local
-- administrator grants or refuses for a time and a scope, and can end a
-- grant at once. state: 0 requested, 1 granted (until ends_ms), 2 refused,
-- 3 ended (ends_ms = when). scope: bits of enum mg_maintenance_scope.
CREATE TABLE maintenance (
	id INTEGER PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	scope INTEGER NOT NULL,
	reason TEXT NOT NULL,
	minutes INTEGER NOT NULL,
	state INTEGER NOT NULL DEFAULT 0,
	requested_ms INTEGER NOT NULL,
	decided_by INTEGER NOT NULL DEFAULT 0,
	decided_ms INTEGER NOT NULL DEFAULT 0,
	ends_ms INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX maintenance_user ON maintenance (user_id, state, ends_ms);
