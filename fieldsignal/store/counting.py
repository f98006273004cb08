"""How the log counts, written once: which signals count, and a deal's ACV once per note.

`counted_signals` (migration 008) leaves out second reports of a signal. Within a row of any
grouping, a note is one deal: its ACV is its largest stated ACV, summed once, it is lost if any of
its signals says so, won if any is a Win, and its ACV is at risk while it is neither. `AGGREGATES` is
that rule as SQL over a CTE `s(key, …signals columns)`; tallies, memo facts and answers select from
its `a` (signals, deals, customers) and `b` (money).
"""

from __future__ import annotations

COUNTED = "counted_signals"

AGGREGATES = """
a AS (SELECT key, count(*) AS signals, count(DISTINCT note_id) AS deals,
             count(DISTINCT lower(customer)) AS customers FROM s GROUP BY key),
d AS (SELECT key, note_id, max(acv_usd) AS acv, bool_or(lost_deal) AS lost, bool_or(signal_type = 'Win') AS won
      FROM s GROUP BY key, note_id),
b AS (SELECT key, coalesce(sum(acv), 0) AS acv, coalesce(sum(acv) FILTER (WHERE lost), 0) AS acv_lost,
             coalesce(sum(acv) FILTER (WHERE NOT lost AND NOT won), 0) AS acv_at_risk,
             count(*) FILTER (WHERE lost) AS lost_deals
      FROM d GROUP BY key)
"""


def grouped(key: str, where: str = "TRUE") -> str:
    """`WITH s AS (…), a, d, b` for the counted signals matching `where`, grouped by the SQL `key`."""
    return f"WITH s AS (SELECT {key} AS key, * FROM {COUNTED} WHERE {where}),{AGGREGATES}"
