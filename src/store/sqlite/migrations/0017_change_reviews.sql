-- Changes to review (docs/changes.md): a change is an audit record of one
-- of the actions model/review.h names; its review is a row here keyed by
-- the record's seq, written once (the primary key) by a security officer
-- with a note. No foreign key: the trail stands on its own, as in 0004.
CREATE TABLE change_reviews (
	seq INTEGER PRIMARY KEY,
	reviewer TEXT NOT NULL,
	reviewed_ms INTEGER NOT NULL,
	note TEXT NOT NULL
);
-- The list and the count look records up by action, newest first.
CREATE INDEX audit_log_action ON audit_log (action, seq);
