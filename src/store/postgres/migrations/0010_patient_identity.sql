-- Patient identity (issue 15): name, birth date, sex, case number and
-- ward as ONE sealed record per patient (the clear JSON never reaches the
-- database), sealed under the tenant's data key today. wrapped_key is
-- where a per-patient data key, wrapped by the tenant key, will go
-- (NULL: sealed directly under the tenant key), so erasing one patient can
-- later be a crypto-erase of that key alone.
CREATE TABLE patient_identities (
	patient_id BIGINT PRIMARY KEY REFERENCES patients(id) ON DELETE CASCADE,
	record_sealed BYTEA NOT NULL,
	wrapped_key BYTEA,
	updated_ms BIGINT NOT NULL,
	discharged_ms BIGINT
);

-- Search without names in clear: one keyed hash (the tenant's blind-index
-- key) per normalised name token and one for the birth date. Equal tokens
-- of one tenant give equal hashes; see docs/patients.md for what that
-- reveals.
CREATE TABLE patient_search (
	tenant_id BIGINT NOT NULL REFERENCES tenants(id),
	token BYTEA NOT NULL,
	patient_id BIGINT NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
	PRIMARY KEY (tenant_id, token, patient_id)
);
CREATE INDEX patient_search_patient ON patient_search (patient_id);

-- An ADT merge (A40) points the prior patient at the surviving one; its
-- measurements move, and look-ups of the prior id find the survivor.
ALTER TABLE patients ADD COLUMN merged_into BIGINT REFERENCES patients(id);
