"""Counts and ACV by gap, category, week, month, industry, competitor, customer...

Counted as everywhere (store/counting.py): duplicates once, a note's ACV once within a row, so a
note reporting two gaps of the same category does not double its ACV in that category's row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fieldsignal.errors import FieldsignalError
from fieldsignal.models import Tally, TallyRow
from fieldsignal.store.counting import COUNTED, grouped
from fieldsignal.store.db import date_range

KEYS = {
    "gap": "coalesce(gap_name, CASE WHEN new_gap_label IS NOT NULL THEN 'New gap: ' || new_gap_label END)",
    "category": "category",
    "type": "signal_type",
    "status": "status",
    "week": "iso_week(signal_date)",  # functions of migration 009, on both engines
    "month": "year_month(signal_date)",
    "industry": "industry",
    "competitor": "competitor",
    "customer": "customer",
    "archetype": "archetype",
}


def tally(con: Any, by: str = "gap", since: dt.date | None = None, until: dt.date | None = None) -> Tally:
    if by not in KEYS:
        raise FieldsignalError(f"cannot tally by {by!r} (use one of: {', '.join(KEYS)})")
    dated, params = date_range(since, until)
    where = ["TRUE", *dated]
    rows = [_row(r) for r in con.execute(grouped(KEYS[by], " AND ".join(where)) + _ROWS, params).fetchall()]
    order_time = by in ("week", "month")
    rows.sort(key=(lambda r: r.key or "") if order_time else (lambda r: (-r.signals, -r.acv_usd, r.key or "")))
    total = con.execute(grouped("'all'", " AND ".join(where)) + _ROWS, params).fetchall()
    review = con.execute("SELECT count(*) FROM review_queue WHERE resolved_at IS NULL").fetchone()[0]
    return Tally(
        by=by,
        since=since,
        until=until,
        rows=rows,
        total_signals=_row(total[0]).signals if total else 0,
        review_queue=int(review),
    )


_ROWS = (
    "SELECT a.key, a.signals, a.customers, b.lost_deals, b.acv, b.acv_lost "
    "FROM a JOIN b ON a.key IS NOT DISTINCT FROM b.key"
)


def _row(r: tuple[Any, ...]) -> TallyRow:
    return TallyRow(key=r[0], signals=r[1], customers=r[2], lost_deals=r[3], acv_usd=int(r[4]), acv_lost_usd=int(r[5]))


def weekly_by_category(con: Any, weeks: int = 12) -> dict[str, dict[str, int]]:
    """{week: {category: signals}} for the last `weeks` weeks that have signals (duplicates once)."""
    rows = con.execute(
        "SELECT iso_week(signal_date) AS week, coalesce(category, 'no gap'), count(*) "
        f"FROM {COUNTED} GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    out: dict[str, dict[str, int]] = {}
    for week, category, count in rows:
        out.setdefault(week, {})[category] = int(count)
    return dict(list(out.items())[-weeks:])
