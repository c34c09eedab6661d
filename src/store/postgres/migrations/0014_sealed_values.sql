-- Measurement values at rest (issue 13, docs/keys.md): each value sealed
-- by the store front under the tenant's key and bound to its row
-- (tenant, device, device measurement id, position, quantity, unit), so a
-- value changed or swapped in the database does not open. value is kept
-- (NULL for sealed values) for rows stored before this migration; the
-- front does not take a value in clear.
ALTER TABLE measurement_values ALTER COLUMN value DROP NOT NULL;
ALTER TABLE measurement_values ADD COLUMN value_sealed BYTEA;

-- Values stored before this migration are still in clear: the first
-- start with the keys seals those up to this measurement id
-- (mg_store_values_seal_clear) and removes the mark. After that, no value
-- in clear is taken, wherever it came from.
INSERT INTO settings (name, value)
	SELECT 'values.clear_until', CAST(max(measurement_id) AS TEXT) FROM measurement_values
	HAVING count(*) > 0;

-- A per-patient data key, wrapped by the tenant key (docs/patients.md):
-- on patients, not on patient_identities, because the identifier is
-- sealed when the first measurement makes the patient, long before any
-- identity arrives; NULL for patients made before it (sealed under the
-- tenant key).
ALTER TABLE patients ADD COLUMN wrapped_key BYTEA;
