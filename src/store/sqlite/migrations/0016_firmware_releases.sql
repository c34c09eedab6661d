-- Signed firmware releases (medgatectl firmware import, docs/device-api.md
-- "Firmware"): the maker's manifest as signed and the image it names. The
-- sequence orders a model's releases; a new one must be higher than every
-- one stored (rollback protection), checked in the importing transaction.
CREATE TABLE firmware_releases (
	model TEXT NOT NULL,
	sequence INTEGER NOT NULL,
	version TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	size INTEGER NOT NULL,
	expires_ms INTEGER NOT NULL,
	manifest TEXT NOT NULL,
	image BLOB NOT NULL,
	imported_ms INTEGER NOT NULL,
	PRIMARY KEY (model, sequence)
);
CREATE INDEX firmware_releases_image ON firmware_releases (model, sha256);
