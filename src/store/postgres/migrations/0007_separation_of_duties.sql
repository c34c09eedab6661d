-- Separation of duties (issue 12). A membership an admin's reset of the
-- account's password or second factor suspended gives no patient access
-- until a tenant admin confirms it again. An alert about an account's own
-- action names that account (caused_by, 0 none), which may then neither
-- acknowledge nor close it.
ALTER TABLE user_tenants ADD COLUMN suspended BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE alerts ADD COLUMN caused_by BIGINT NOT NULL DEFAULT 0;
