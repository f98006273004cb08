-- 008: the signals that count. A second report of a signal (duplicate_of set) counts once, as its
-- original: every tally, memo, metric and answer reads this view rather than restating the rule.
CREATE VIEW counted_signals AS
SELECT * FROM signals WHERE duplicate_of IS NULL;
