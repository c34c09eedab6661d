-- Compatible products only ([devices] models): the model a device named at
-- enrolment (X-Device-Model), and the other model it reported later, if
-- any (a device administrator looks at such a device).
ALTER TABLE devices ADD COLUMN model TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN reported_model TEXT NOT NULL DEFAULT '';
