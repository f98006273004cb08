-- 009: what both engines need to read the log with the same SQL (see 009_portable.duckdb.sql).
CREATE SEQUENCE status_history_seq START 1;
ALTER TABLE status_history ADD COLUMN seq BIGINT DEFAULT nextval('status_history_seq');
CREATE FUNCTION iso_week(d DATE) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$ SELECT to_char(d, 'IYYY-"W"IW') $$;
CREATE FUNCTION year_month(d DATE) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$ SELECT to_char(d, 'YYYY-MM') $$;
