-- The firmware version each device reports with its measurements (the
-- X-Device-Firmware header), for device administrators.
ALTER TABLE devices ADD COLUMN firmware TEXT NOT NULL DEFAULT '';
