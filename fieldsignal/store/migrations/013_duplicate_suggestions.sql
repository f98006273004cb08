-- 013: duplicates found by the learned scorer. A signal the scorer is sure of is linked
-- (`signals.duplicate_of`); a borderline one is suggested here and a reviewer is asked "same signal?".
-- `verdict` is NULL until decided: 'same' (linked) or 'distinct' (never suggested or linked again;
-- an unmerge records 'distinct' for the pair it undoes).
CREATE TABLE duplicate_suggestions (
    signal_id     INTEGER NOT NULL,
    original_id   INTEGER NOT NULL,
    probability   DOUBLE PRECISION NOT NULL,
    suggested_at  TIMESTAMP NOT NULL,
    verdict       VARCHAR,
    decided_by    VARCHAR,
    decided_at    TIMESTAMP,
    PRIMARY KEY (signal_id, original_id)
);
-- the note's own vector (the embedder's, of the whole text): how alike two notes are is evidence
ALTER TABLE notes ADD COLUMN vector REAL[];
-- a new signal's candidates are read by customer key (007) or by gap within the time window
CREATE INDEX signals_gap_date ON signals (gap, signal_date);
