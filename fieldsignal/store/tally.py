"""Counts and ACV by gap, category, week, month, industry, competitor, customer...

Duplicates (signals with duplicate_of set) count once: they are left out. ACV is a
note's deal value: within a row it is summed once per note, so a note reporting two
gaps of the same category does not double its ACV in that category's row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fieldsignal.errors import FieldsignalError
from fieldsignal.models import Tally, TallyRow

KEYS = {
    "gap": "coalesce(gap_name, CASE WHEN new_gap_label IS NOT NULL THEN 'New gap: ' || new_gap_label END)",
    "category": "category",
    "type": "signal_type",
    "status": "status",
    "week": "strftime(signal_date, '%G-W%V')",
    "month": "strftime(signal_date, '%Y-%m')",
    "industry": "industry",
    "competitor": "competitor",
    "customer": "customer",
    "archetype": "archetype",
}


def tally(con: Any, by: str = "gap", since: dt.date | None = None, until: dt.date | None = None) -> Tally:
    if by not in KEYS:
        raise FieldsignalError(f"cannot tally by {by!r} (use one of: {', '.join(KEYS)})")
    where = ["duplicate_of IS NULL"]
    params: list[Any] = []
    if since:
        where.append("signal_date >= ?")
        params.append(since)
    if until:
        where.append("signal_date <= ?")
        params.append(until)
    base = f"SELECT {KEYS[by]} AS key, * FROM signals WHERE {' AND '.join(where)}"
    rows = [_row(r) for r in con.execute(_GROUPED.format(base=base), params).fetchall()]
    order_time = by in ("week", "month")
    rows.sort(key=(lambda r: r.key or "") if order_time else (lambda r: (-r.signals, -r.acv_usd, r.key or "")))
    total = con.execute(_GROUPED.format(base=base.replace(f"{KEYS[by]} AS key", "'all' AS key")), params).fetchall()
    review = con.execute("SELECT count(*) FROM review_queue WHERE resolved_at IS NULL").fetchone()[0]
    return Tally(
        by=by,
        since=since,
        until=until,
        rows=rows,
        total_signals=_row(total[0]).signals if total else 0,
        review_queue=int(review),
    )


_GROUPED = """
WITH s AS ({base}),
counts AS (SELECT key, count(*) AS signals, count(DISTINCT lower(customer)) AS customers FROM s GROUP BY key),
deals AS (SELECT key, note_id, max(acv_usd) AS acv, bool_or(lost_deal) AS lost FROM s GROUP BY key, note_id),
money AS (
    SELECT key, count(*) FILTER (WHERE lost) AS lost_deals, coalesce(sum(acv), 0) AS acv,
           coalesce(sum(acv) FILTER (WHERE lost), 0) AS acv_lost
    FROM deals GROUP BY key
)
SELECT c.key, c.signals, c.customers, m.lost_deals, m.acv, m.acv_lost
FROM counts c JOIN money m ON c.key IS NOT DISTINCT FROM m.key
"""


def _row(r: tuple[Any, ...]) -> TallyRow:
    return TallyRow(key=r[0], signals=r[1], customers=r[2], lost_deals=r[3], acv_usd=int(r[4]), acv_lost_usd=int(r[5]))


def weekly_by_category(con: Any, weeks: int = 12) -> dict[str, dict[str, int]]:
    """{week: {category: signals}} for the last `weeks` weeks that have signals (duplicates once)."""
    rows = con.execute(
        "SELECT strftime(signal_date, '%G-W%V') AS week, coalesce(category, 'no gap'), count(*) FROM signals "
        "WHERE duplicate_of IS NULL GROUP BY ALL ORDER BY week"
    ).fetchall()
    out: dict[str, dict[str, int]] = {}
    for week, category, count in rows:
        out.setdefault(week, {})[category] = int(count)
    return dict(list(out.items())[-weeks:])
