-- Tenants own devices, patients and measurements. A tenant's data key is
-- stored only wrapped by the instance master key; deleting it erases the
-- tenant's patient identifiers for good (crypto-erase).
CREATE TABLE tenants (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	wrapped_key BLOB NOT NULL,
	created_ms INTEGER NOT NULL
);

CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	must_change_password INTEGER NOT NULL DEFAULT 1,
	disabled INTEGER NOT NULL DEFAULT 0,
	created_ms INTEGER NOT NULL
);

CREATE TABLE user_roles (
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	role TEXT NOT NULL,
	PRIMARY KEY (user_id, role)
);

CREATE TABLE user_tenants (
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	PRIMARY KEY (user_id, tenant_id)
);

-- One-time enrolment tokens, stored only as a keyed hash.
CREATE TABLE enrol_tokens (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	device_name TEXT NOT NULL,
	token_hash BLOB NOT NULL UNIQUE,
	created_ms INTEGER NOT NULL,
	expires_ms INTEGER NOT NULL,
	used_ms INTEGER
);

-- status: 'active', 'blocked' or 'revoked'. A device is known by the
-- SHA-256 fingerprint of the certificate the device CA issued to it.
CREATE TABLE devices (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	name TEXT NOT NULL,
	cert_fingerprint TEXT NOT NULL UNIQUE,
	cert_serial TEXT NOT NULL,
	cert_not_after_ms INTEGER NOT NULL,
	status TEXT NOT NULL DEFAULT 'active'
		CHECK (status IN ('active', 'blocked', 'revoked')),
	created_ms INTEGER NOT NULL,
	last_seen_ms INTEGER
);

-- Patients are found by a keyed hash of their identifier (blind index);
-- the identifier itself is kept only encrypted with the tenant key.
CREATE TABLE patients (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	blind_index BLOB NOT NULL,
	identifier_sealed BLOB NOT NULL,
	created_ms INTEGER NOT NULL,
	UNIQUE (tenant_id, blind_index)
);

CREATE TABLE measurements (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	device_id INTEGER NOT NULL REFERENCES devices(id),
	device_mid TEXT NOT NULL,
	patient_id INTEGER NOT NULL REFERENCES patients(id),
	measured_ms INTEGER NOT NULL,
	received_ms INTEGER NOT NULL,
	UNIQUE (device_id, device_mid)
);
CREATE INDEX measurements_tenant ON measurements (tenant_id, id);
CREATE INDEX measurements_patient ON measurements (patient_id, measured_ms);

CREATE TABLE measurement_values (
	measurement_id INTEGER NOT NULL REFERENCES measurements(id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	quantity TEXT NOT NULL,
	value REAL NOT NULL,
	unit TEXT NOT NULL,
	PRIMARY KEY (measurement_id, position)
);
