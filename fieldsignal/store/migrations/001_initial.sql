-- 001: notes, signals, status history, review queue, embedding cache.
CREATE SEQUENCE note_id_seq START 1;
CREATE TABLE notes (
    id          INTEGER PRIMARY KEY DEFAULT nextval('note_id_seq'),
    hash        VARCHAR NOT NULL UNIQUE,
    text        VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    author      VARCHAR,
    note_date   DATE,
    subject     VARCHAR,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE SEQUENCE signal_id_seq START 1;
CREATE TABLE signals (
    id                  INTEGER PRIMARY KEY DEFAULT nextval('signal_id_seq'),
    note_id             INTEGER NOT NULL,
    signal_date         DATE NOT NULL,
    source              VARCHAR NOT NULL,
    signal_type         VARCHAR NOT NULL,
    category            VARCHAR,
    gap                 VARCHAR,
    gap_name            VARCHAR,
    new_gap_label       VARCHAR,
    use_case_blocked    VARCHAR,
    customer            VARCHAR,
    industry            VARCHAR,
    archetype           VARCHAR,
    competitor          VARCHAR,
    lost_deal           BOOLEAN NOT NULL DEFAULT false,
    acv_usd             BIGINT,
    pm_ticket           VARCHAR,
    status              VARCHAR NOT NULL DEFAULT 'New',
    author              VARCHAR,
    confidence          DOUBLE PRECISION NOT NULL,
    type_confidence     DOUBLE PRECISION NOT NULL,
    gap_confidence      DOUBLE PRECISION NOT NULL,
    category_confidence DOUBLE PRECISION NOT NULL,
    alternatives        VARCHAR,          -- JSON: {"signal_type": [[label, p]...], "gap": [...]}
    needs_review        BOOLEAN NOT NULL DEFAULT false,
    duplicate_of        INTEGER,
    decided_by          VARCHAR NOT NULL,
    excerpt             VARCHAR NOT NULL,
    created_at          TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE INDEX signals_note ON signals (note_id);

CREATE TABLE status_history (
    signal_id   INTEGER NOT NULL,
    status      VARCHAR NOT NULL,
    changed_at  TIMESTAMP NOT NULL,
    who         VARCHAR NOT NULL,
    why         VARCHAR,
    ticket      VARCHAR
);

CREATE TABLE review_queue (
    signal_id   INTEGER PRIMARY KEY,
    reasons     VARCHAR NOT NULL,
    queued_at   TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    resolved_by VARCHAR,
    resolution  VARCHAR
);

-- Vectors by content hash (model name included in the hash): the embedding cache,
-- and what `reindex` rebuilds the vector index from without re-embedding.
CREATE TABLE embeddings (
    hash    VARCHAR PRIMARY KEY,
    model   VARCHAR NOT NULL,
    vector  REAL[] NOT NULL
);
CREATE TABLE signal_vectors (
    signal_id INTEGER PRIMARY KEY,
    hash      VARCHAR NOT NULL
);
