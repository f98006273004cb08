-- 002: labelled examples from reviews (accept / fix); the triage learns from them at once.
CREATE SEQUENCE example_id_seq START 1;
CREATE TABLE labelled_examples (
    id              INTEGER PRIMARY KEY DEFAULT nextval('example_id_seq'),
    text            VARCHAR NOT NULL,
    signal_type     VARCHAR,
    gap             VARCHAR,          -- known gap slug; NULL with new_gap_label NULL: no gap
    new_gap_label   VARCHAR,
    signal_id       INTEGER,
    who             VARCHAR NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
