-- 012: an account's industry as the CRM gives it (a taxonomy code; NULL when the export has none).
-- A signal whose customer is linked to the account takes it.
ALTER TABLE accounts ADD COLUMN industry VARCHAR;
