-- 006: the account list (imported from the CRM): a note's customer, as written, is linked to one of these.
CREATE TABLE accounts (
    name        VARCHAR PRIMARY KEY,
    source      VARCHAR NOT NULL,           -- the file it came from
    added_at    TIMESTAMP NOT NULL
);
