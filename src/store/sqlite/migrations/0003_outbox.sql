-- The transactional outbox: a row per measurement and EMR destination,
-- written in the measurement's own transaction, so nothing acknowledged
-- can miss the EMR. Forwarders claim rows with a lease; only the oldest
-- pending row of a patient is claimable, which keeps each patient's
-- messages in order.
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY,
	destination TEXT NOT NULL,
	measurement_id INTEGER NOT NULL REFERENCES measurements(id),
	patient_id INTEGER NOT NULL REFERENCES patients(id),
	state TEXT NOT NULL DEFAULT 'pending'
		CHECK (state IN ('pending', 'delivered', 'dead')),
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_ms INTEGER NOT NULL,
	claimed_until_ms INTEGER NOT NULL DEFAULT 0,
	created_ms INTEGER NOT NULL,
	delivered_ms INTEGER,
	last_error TEXT NOT NULL DEFAULT '',
	UNIQUE (destination, measurement_id)
);
CREATE INDEX outbox_pending ON outbox (destination, state, patient_id, id);
CREATE INDEX outbox_state ON outbox (destination, state, created_ms);
-- Claims walk a destination's pending rows in id order and stop early.
CREATE INDEX outbox_queue ON outbox (destination, state, id);
