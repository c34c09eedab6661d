-- Ward workflow (issue 15): a clinician corrects a measurement taken for
-- the wrong patient, or assigns one that came without patient. The
-- measurement keeps its row; revision counts the corrections, status says
-- whether it stands, was entered in error or waits for a patient (kept
-- under the tenant's placeholder patient: all-zero blind index, nothing
-- sealed). Each correction is kept with its reason (clinical text, shown
-- to clinicians only).
ALTER TABLE measurements ADD COLUMN status TEXT NOT NULL DEFAULT 'final'
	CHECK (status IN ('final', 'entered-in-error', 'unassigned'));
CREATE INDEX measurements_unassigned ON measurements (tenant_id, status, id);
ALTER TABLE measurements ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

CREATE TABLE measurement_corrections (
	id INTEGER PRIMARY KEY,
	measurement_id INTEGER NOT NULL REFERENCES measurements(id) ON DELETE CASCADE,
	revision INTEGER NOT NULL,
	action TEXT NOT NULL CHECK (action IN ('move', 'entered-in-error', 'assign')),
	from_patient_id INTEGER NOT NULL REFERENCES patients(id),
	to_patient_id INTEGER REFERENCES patients(id),
	reason TEXT NOT NULL,
	user_id INTEGER,
	created_ms INTEGER NOT NULL,
	UNIQUE (measurement_id, revision)
);

-- The outbox carries corrections too: kind 'post' sends revision N of a
-- measurement (0 is the original), 'void' withdraws the posting of
-- revision N (HL7 OBX-11 W, FHIR entered-in-error). One row per
-- destination, measurement, kind and revision. SQLite cannot change a
-- table's UNIQUE constraint: the table is made anew.
CREATE TABLE outbox_new (
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
	kind TEXT NOT NULL DEFAULT 'post' CHECK (kind IN ('post', 'void')),
	revision INTEGER NOT NULL DEFAULT 0,
	UNIQUE (destination, measurement_id, kind, revision)
);
INSERT INTO outbox_new (id, destination, measurement_id, patient_id, state, attempts,
	next_attempt_ms, claimed_until_ms, created_ms, delivered_ms, last_error)
	SELECT id, destination, measurement_id, patient_id, state, attempts, next_attempt_ms,
		claimed_until_ms, created_ms, delivered_ms, last_error FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (destination, state, patient_id, id);
CREATE INDEX outbox_state ON outbox (destination, state, created_ms);
CREATE INDEX outbox_queue ON outbox (destination, state, id);
CREATE INDEX outbox_measurement ON outbox (measurement_id);

-- "Measure now" (docs/ward.md): a clinician orders the next measurement of
-- a device for a patient. The device's next measurement without patient
-- received before expires_ms goes to the patient (state 'used'); a
-- cancelled or expired order assigns nothing.
CREATE TABLE measure_orders (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	device_id INTEGER NOT NULL REFERENCES devices(id),
	patient_id INTEGER NOT NULL REFERENCES patients(id),
	created_by INTEGER,
	created_ms INTEGER NOT NULL,
	expires_ms INTEGER NOT NULL,
	state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'used', 'cancelled')),
	measurement_id INTEGER REFERENCES measurements(id),
	ended_ms INTEGER
);
CREATE INDEX measure_orders_device ON measure_orders (device_id, state, expires_ms);
CREATE INDEX measure_orders_tenant ON measure_orders (tenant_id, state, expires_ms);

-- The patients a clinician opened last (the ward page), at most 10 per
-- account: the oldest go as new ones come.
CREATE TABLE recent_views (
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
	viewed_ms INTEGER NOT NULL,
	PRIMARY KEY (user_id, patient_id)
);
