-- Maintenance of one device (issue 14): a grant with the "device" scope
-- names the device; it takes effect when someone on site presses the
-- consent button on that device (consent_ms). From then until the grant
-- ends the device is out of service: devices.maintenance_until_ms, read
-- with the device on every request, makes its measurements wait.
ALTER TABLE maintenance ADD COLUMN device_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE maintenance ADD COLUMN consent_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN maintenance_until_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX maintenance_device ON maintenance (device_id, state, ends_ms);
