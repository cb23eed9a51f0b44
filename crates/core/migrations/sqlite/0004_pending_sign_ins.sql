-- A sign-in attempt is written to login_failures before its password is
-- checked, as pending, so that attempts running at the same time count one
-- another. A wrong password clears the flag (the row is then an ordinary
-- failure); a right password, or a refusal by the limits, removes the row.
-- Rows written before this migration are ordinary failures.
ALTER TABLE login_failures ADD COLUMN pending BOOLEAN NOT NULL DEFAULT FALSE;
