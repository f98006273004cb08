"""Monthly figures: the loss summary and per-deal loss analysis, and the newsletter's trends.

Same rules as `tally`: duplicates count once, ACV once per note (a deal).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel

from fieldsignal.reports.memo_figures import Period, previous_month
from fieldsignal.store import reports
from fieldsignal.taxonomy import Taxonomy

MOVES = ("Escalated", "Roadmap", "Shipped", "Won't Fix")


class LostDeal(BaseModel):
    note_id: int
    date: dt.date
    customer: str | None
    use_case: str | None
    archetype: str | None
    blocker: str
    competitor: str | None
    revenue_impact_usd: int | None
    recoverable: str  # "Yes (when gap fixed)" / "No"
    lessons: str
    signal_ids: list[int]


class LossSummary(BaseModel):
    month: str
    deals_lost: int
    primary_gap: str | None
    total_acv_impact_usd: int
    notes: str
    deals: list[LostDeal]


class Trend(BaseModel):
    key: str
    this_month: int
    last_month: int


class StatusMove(BaseModel):
    signal_id: int
    status: str
    changed_at: dt.datetime
    who: str
    gap: str | None
    customer: str | None


class Win(BaseModel):
    signal_id: int
    customer: str | None
    acv_usd: int | None
    competitor: str | None
    excerpt: str


class NewsletterFacts(BaseModel):
    month: str
    previous: str
    signals: int
    signals_last_month: int
    by_category: list[Trend]
    by_industry: list[Trend]
    new_gaps: list[dict[str, Any]]
    moves: list[StatusMove]
    wins: list[Win]


def loss_summary(con: Any, taxonomy: Taxonomy, period: Period) -> LossSummary:
    rows = reports.lost_deal_rows(con, period.start, period.end)
    deals = [_deal(taxonomy, *r) for r in rows]
    by_gap: dict[str, tuple[int, int]] = {}  # gap -> (lost ACV, deals): the primary gap cost the most
    for deal, row in zip(deals, rows, strict=True):
        for slug in row[5] or []:
            acv, count = by_gap.get(slug, (0, 0))
            by_gap[slug] = (acv + (deal.revenue_impact_usd or 0), count + 1)
    primary = max(by_gap, key=lambda s: (*by_gap[s], s)) if by_gap else None
    primary_name = taxonomy.gap_by_slug[primary].name if primary in taxonomy.gap_by_slug else primary
    competitors = sorted({d.competitor for d in deals if d.competitor})
    notes = f"lost to {', '.join(competitors)}" if competitors else ("no competitor named" if deals else "no losses")
    return LossSummary(
        month=period.label,
        deals_lost=len(deals),
        primary_gap=primary_name,
        total_acv_impact_usd=sum(d.revenue_impact_usd or 0 for d in deals),
        notes=notes,
        deals=deals,
    )


def _deal(
    taxonomy: Taxonomy,
    note_id: int,
    date: dt.date,
    customer: str | None,
    archetype: str | None,
    acv: int | None,
    gaps: list[str] | None,
    competitor: str | None,
    ids: list[int],
    excerpt: str,
    statuses: list[str],
    use_case: str | None,
) -> LostDeal:
    names = [taxonomy.gap_by_slug[g].name for g in (gaps or []) if g in taxonomy.gap_by_slug]
    blocker = ", ".join(names) or (f"competitive loss to {competitor}" if competitor else "not stated")
    recoverable = "Yes (when gap fixed)" if names and "Won't Fix" not in statuses else "No"
    return LostDeal(
        note_id=note_id,
        date=date,
        customer=customer,
        use_case=use_case,
        archetype=archetype,
        blocker=blocker,
        competitor=competitor,
        revenue_impact_usd=int(acv) if acv is not None else None,
        recoverable=recoverable,
        lessons=_first_sentence(excerpt),
        signal_ids=[int(i) for i in ids],
    )


def _first_sentence(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    cut = min((i for i in (text.find(". "), text.find("! "), text.find("? ")) if i > 0), default=len(text))
    sentence = text[: cut + 1] if cut < len(text) else text
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def newsletter_facts(con: Any, period: Period, wins: int = 5) -> NewsletterFacts:
    before = previous_month(period)
    return NewsletterFacts(
        month=period.label,
        previous=before.label,
        signals=reports.count_signals(con, period.start, period.end),
        signals_last_month=reports.count_signals(con, before.start, before.end),
        by_category=_trend(con, "category", period, before),
        by_industry=_trend(con, "industry", period, before),
        new_gaps=[
            {"label": r[0], "signals": r[1], "customers": r[2], "signal_ids": r[3]}
            for r in reports.new_gap_rows(con, period.start, period.end)
        ],
        moves=[
            StatusMove(signal_id=r[0], status=r[1], changed_at=r[2], who=r[3], gap=r[4], customer=r[5])
            for r in reports.status_moves(con, list(MOVES), period.start, period.end)
        ],
        wins=[
            Win(signal_id=r[0], customer=r[1], acv_usd=r[2], competitor=r[3], excerpt=_first_sentence(r[4]))
            for r in reports.win_rows(con, period.start, period.end, wins)
        ],
    )


def _trend(con: Any, by: Literal["category", "industry"], period: Period, before: Period) -> list[Trend]:
    rows = reports.trend_rows(con, by, (period.start, period.end), (before.start, before.end))
    trends = [Trend(key=k, this_month=this, last_month=last) for k, this, last in rows]
    return sorted(trends, key=lambda t: (-t.this_month, -t.last_month, t.key))
