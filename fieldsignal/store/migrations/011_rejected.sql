-- 011: "not a signal". A rejected signal is kept, with who, when and why, and can be restored; it
-- counts nowhere (tallies, memos, metrics, ask read these views). Every reject and restore is audited.
ALTER TABLE signals ADD COLUMN rejected_at TIMESTAMP;
ALTER TABLE signals ADD COLUMN rejected_why VARCHAR;
CREATE SEQUENCE rejection_seq START 1;
CREATE TABLE rejections (
    seq        BIGINT PRIMARY KEY DEFAULT nextval('rejection_seq'),
    signal_id  INTEGER NOT NULL,
    action     VARCHAR NOT NULL,        -- reject | restore
    why        VARCHAR,
    who        VARCHAR NOT NULL,
    done_at    TIMESTAMP NOT NULL
);
CREATE OR REPLACE VIEW counted_signals AS
SELECT * FROM signals WHERE duplicate_of IS NULL AND rejected_at IS NULL;
CREATE OR REPLACE VIEW signal_log AS
SELECT id, note_id, signal_date AS date, signal_type, category, gap, gap_name, new_gap_label, use_case_blocked,
       customer, industry, archetype, competitor, lost_deal, acv_usd, status, author, pm_ticket, source
FROM signals
WHERE duplicate_of IS NULL AND rejected_at IS NULL;
