-- Patient identity (issue 15): name, birth date, sex, case number and
-- ward as ONE sealed record per patient (the clear JSON never reaches the
-- database), sealed under the tenant's data key today. wrapped_key is
-- where a per-patient data key, wrapped by the tenant key, will go
-- (NULL: sealed directly under the tenant key), so erasing one patient can
-- later be a crypto-erase of that key alone.
CREATE TABLE patient_identities (
	patient_id INTEGER PRIMARY KEY REFERENCES patients(id) ON DELETE CASCADE,
	record_sealed BLOB NOT NULL,
	wrapped_key BLOB,
	updated_ms INTEGER NOT NULL,
	discharged_ms INTEGER
);

-- Search without names in clear: one keyed hash (the tenant's blind-index
-- key) per normalised name token and one for the birth date. Equal tokens
-- of one tenant give equal hashes; see docs/patients.md for what that
-- reveals.
CREATE TABLE patient_search (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	token BLOB NOT NULL,
	patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
	PRIMARY KEY (tenant_id, token, patient_id)
);
CREATE INDEX patient_search_patient ON patient_search (patient_id);

-- An ADT merge (A40) points the prior patient at the surviving one; its
-- measurements move, and look-ups of the prior id find the survivor.
ALTER TABLE patients ADD COLUMN merged_into INTEGER REFERENCES patients(id);
