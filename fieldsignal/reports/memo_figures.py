"""The figures every memo is drafted from, computed in DuckDB over the signal log.

Duplicates count once (rows with `duplicate_of` are left out, as in `tally`); ACV is a
note's deal value, counted once per note within a gap. Every figure carries the ids of
the signals behind it, so a memo can cite them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel

from fieldsignal.errors import FieldsignalError
from fieldsignal.store import reports
from fieldsignal.taxonomy import Taxonomy

# The weekly ranking score (documented in the memo's footer and the README):
#   score = (signals + 2 × distinct customers + ACV at risk / $100k + 2 × ACV lost / $100k) × priority weight
PRIORITY_WEIGHT = {1: 1.5, 2: 1.3, 3: 1.15, 4: 1.0}
SCORE_RULE = (
    "score = (signals + 2 × customers + ACV at risk / $100k + 2 × ACV lost / $100k) × priority weight "
    "(priority 1: 1.5, 2: 1.3, 3: 1.15, otherwise 1.0)"
)


class Period(BaseModel):
    label: str  # 2026-W43 or 2026-10
    start: dt.date
    end: dt.date  # inclusive


class GapFacts(BaseModel):
    gap: str  # slug
    name: str
    category: str | None
    use_case_blocked: str | None
    signals: int
    customers: list[str]
    acv_at_risk_usd: int
    acv_lost_usd: int
    lost_deals: int
    priority_rank: int | None
    action: str | None
    score: float
    signal_ids: list[int]
    status: str | None = None  # the furthest status its signals reached (all time), in the lifecycle's order
    tickets: list[str] = []  # the PM tickets its signals carry


def week_period(label: str) -> Period:
    match = re.fullmatch(r"(\d{4})-W(\d{1,2})", label.strip(), re.I)
    if not match:
        raise FieldsignalError(f"week {label!r}: use ISO form like 2026-W43")
    try:
        start = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError as exc:
        raise FieldsignalError(f"week {label!r}: {exc}") from None
    return Period(label=f"{match[1]}-W{int(match[2]):02d}", start=start, end=start + dt.timedelta(days=6))


def month_period(label: str) -> Period:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", label.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise FieldsignalError(f"month {label!r}: use the form 2026-10")
    start = dt.date(int(match[1]), int(match[2]), 1)
    following = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return Period(label=f"{start:%Y-%m}", start=start, end=following - dt.timedelta(days=1))


def previous_month(period: Period) -> Period:
    return month_period(f"{period.start - dt.timedelta(days=1):%Y-%m}")


def gap_facts(con: Any, taxonomy: Taxonomy, period: Period) -> list[GapFacts]:
    """Known gaps reported in the period, ranked by the documented score (best first)."""
    rows = reports.gap_rows(con, period.start, period.end)
    out = [_gap_row(taxonomy, *row) for row in rows]
    states = reports.gap_states(con, [g.gap for g in out])
    order = {name: i for i, name in enumerate(taxonomy.status_names)}
    for g in out:
        statuses, g.tickets = states.get(g.gap, ([], []))
        g.status = max(statuses, key=lambda st: order.get(st, -1)) if statuses else None
    out.sort(key=lambda g: (-g.score, -g.signals, g.name))
    return out


def _gap_row(
    taxonomy: Taxonomy, slug: str, signals: int, customers: Any, ids: Any, at_risk: Any, lost: Any, lost_deals: int
) -> GapFacts:
    gap = taxonomy.gap_by_slug.get(slug)
    rank = taxonomy.priority_rank(slug)
    priority = next((p for p in taxonomy.priorities if slug in p.gaps), None)
    names = _distinct_customers(customers or [])
    score = (signals + 2 * len(names) + int(at_risk) / 100_000 + 2 * int(lost) / 100_000) * PRIORITY_WEIGHT.get(
        rank, 1.0
    )
    return GapFacts(
        gap=slug,
        name=gap.name if gap else slug,
        category=gap.category if gap else None,
        use_case_blocked=gap.use_case_blocked if gap else None,
        signals=int(signals),
        customers=names,
        acv_at_risk_usd=int(at_risk),
        acv_lost_usd=int(lost),
        lost_deals=int(lost_deals),
        priority_rank=priority.rank if priority else None,
        action=priority.action if priority else None,
        score=round(score, 2),
        signal_ids=[int(i) for i in ids],
    )


def _distinct_customers(names: list[str]) -> list[str]:
    """One spelling per customer (case-insensitive), first seen kept."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.lower(), name)
    return sorted(seen.values(), key=str.lower)
