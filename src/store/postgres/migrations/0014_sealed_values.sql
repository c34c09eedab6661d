-- Measurement values at rest (issue 13, docs/keys.md): each value sealed
-- by the store front under the tenant's key and bound to its row
-- (tenant, device, device measurement id, position, quantity, unit), so a
-- value changed or swapped in the database does not open. value is kept
-- (NULL for sealed values) for rows stored before this migration; the
-- front does not take a value in clear.
ALTER TABLE measurement_values ALTER COLUMN value DROP NOT NULL;
ALTER TABLE measurement_values ADD COLUMN value_sealed BYTEA;

-- A per-patient data key, wrapped by the tenant key (docs/patients.md):
-- on patients, not on patient_identities, because the identifier is
-- sealed when the first measurement makes the patient, long before any
-- identity arrives; NULL for patients made before it (sealed under the
-- tenant key).
ALTER TABLE patients ADD COLUMN wrapped_key BYTEA;
