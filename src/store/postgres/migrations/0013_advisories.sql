-- The components an advisory feed found affected at its last import
-- (medgatectl advisories import, docs/sbom.md): replaced whole at each
-- import, read by medgatectl advisories list and GET /api/v1/advisories.
CREATE TABLE advisories (
	advisory TEXT NOT NULL,
	package TEXT NOT NULL,
	source TEXT NOT NULL,
	installed TEXT NOT NULL,
	fixed TEXT NOT NULL,
	summary TEXT NOT NULL,
	imported_ms BIGINT NOT NULL,
	PRIMARY KEY (package, advisory)
);
