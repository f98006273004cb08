-- 003: LLM-assisted triage. Which model and prompt decided a signal; answers cached by
-- (prompt version, model, redacted input); every call's token usage.
ALTER TABLE signals ADD COLUMN llm_model VARCHAR;
ALTER TABLE signals ADD COLUMN prompt_id VARCHAR;
CREATE TABLE llm_cache (
    key         VARCHAR PRIMARY KEY,  -- sha256 of prompt id, model and the redacted messages
    prompt_id   VARCHAR NOT NULL,
    model       VARCHAR NOT NULL,
    response    VARCHAR NOT NULL,     -- the validated answer, still redacted (JSON)
    created_at  TIMESTAMP NOT NULL
);
CREATE SEQUENCE llm_usage_id_seq START 1;
CREATE TABLE llm_usage (
    id             INTEGER PRIMARY KEY DEFAULT nextval('llm_usage_id_seq'),
    called_at      TIMESTAMP NOT NULL,
    model          VARCHAR NOT NULL,
    prompt_id      VARCHAR NOT NULL,
    input_tokens   INTEGER NOT NULL,
    output_tokens  INTEGER NOT NULL,
    cached         BOOLEAN NOT NULL,
    ok             BOOLEAN NOT NULL,
    error          VARCHAR,
    seconds        DOUBLE PRECISION
);
