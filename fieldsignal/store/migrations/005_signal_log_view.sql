-- 005: the documented, read-only view that LLM-written SQL may query (fieldsignal/agent/ask/llm_sql.py).
-- Duplicates are left out, as in every tally.
CREATE VIEW signal_log AS
SELECT id, note_id, signal_date AS date, signal_type, category, gap, gap_name, new_gap_label, use_case_blocked,
       customer, industry, archetype, competitor, lost_deal, acv_usd, status, author, pm_ticket, source
FROM signals
WHERE duplicate_of IS NULL;
