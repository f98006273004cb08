-- 010: gaps promoted from proposals (`fieldsignal gaps promote`) belong to the log, not to one
-- machine's folder: a team sharing a log shares them, and a restarted app keeps them. `definition`
-- is the gap as the taxonomy file would hold it (JSON: slug, name, category, use case, description,
-- examples). Earlier workspaces' gaps.toml is still read beside it.
CREATE TABLE promoted_gaps (
    slug         VARCHAR PRIMARY KEY,
    definition   VARCHAR NOT NULL,
    promoted_by  VARCHAR NOT NULL,
    promoted_at  TIMESTAMP NOT NULL
);
