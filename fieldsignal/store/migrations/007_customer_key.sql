-- 007: the customer as duplicate detection compares it (agent/dedupe.py `customer_key`: no case,
-- punctuation or legal suffix), indexed, so a new note's candidates are read by key, not the whole log.
-- Rows stored before this migration get their key from Python right after it (store/db.py).
ALTER TABLE signals ADD COLUMN customer_key VARCHAR;
CREATE INDEX signals_customer_key ON signals (customer_key);
