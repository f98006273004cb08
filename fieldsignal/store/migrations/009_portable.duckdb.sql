-- 009: what both engines need to read the log with the same SQL. Status changes numbered in the
-- order they were written (rows already stored are numbered in that order as the column is added),
-- and the week and month of a date as the tallies print them, as functions of the same name on
-- each engine (this file: DuckDB; 009_portable.postgres.sql: PostgreSQL).
CREATE SEQUENCE status_history_seq START 1;
ALTER TABLE status_history ADD COLUMN seq BIGINT DEFAULT nextval('status_history_seq');
CREATE MACRO iso_week(d) AS strftime(d, '%G-W%V');
CREATE MACRO year_month(d) AS strftime(d, '%Y-%m');
