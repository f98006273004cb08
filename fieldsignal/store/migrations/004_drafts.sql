-- 004: memo drafts (weekly, newsletter, losses) with every version kept, approval and publication.
CREATE SEQUENCE draft_id_seq START 1;
CREATE TABLE drafts (
    id                INTEGER PRIMARY KEY DEFAULT nextval('draft_id_seq'),
    kind              VARCHAR NOT NULL,        -- weekly | newsletter | losses
    period            VARCHAR NOT NULL,        -- 2026-W43 | 2026-10
    status            VARCHAR NOT NULL,        -- draft | approved | published
    created_at        TIMESTAMP NOT NULL,
    approved_version  INTEGER,
    approved_by       VARCHAR,
    approved_at       TIMESTAMP,
    published_at      TIMESTAMP,
    published_to      VARCHAR,
    UNIQUE (kind, period)
);
CREATE TABLE draft_versions (
    draft_id    INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    body        VARCHAR NOT NULL,            -- Markdown
    facts       VARCHAR NOT NULL,            -- JSON: the figures the body was drafted from
    source      VARCHAR NOT NULL,            -- template id, "edit", or "llm:<model>"
    who         VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (draft_id, version)
);
