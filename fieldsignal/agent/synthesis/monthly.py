"""Monthly figures: the loss summary and per-deal loss analysis, and the newsletter's trends.

Same rules as `tally`: duplicates count once, ACV once per note (a deal).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from fieldsignal.agent.synthesis.facts import Period, previous_month
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
    rows = con.execute(
        """
        SELECT note_id, min(signal_date), any_value(customer), any_value(archetype), max(acv_usd),
               list(DISTINCT gap) FILTER (WHERE gap IS NOT NULL), any_value(competitor),
               list(id ORDER BY id), any_value(excerpt), list(DISTINCT status), any_value(use_case_blocked)
        FROM signals
        WHERE duplicate_of IS NULL AND lost_deal AND signal_date BETWEEN ? AND ?
        GROUP BY note_id ORDER BY min(signal_date), note_id
        """,
        [period.start, period.end],
    ).fetchall()
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
        signals=_count(con, period),
        signals_last_month=_count(con, before),
        by_category=_trend(con, "coalesce(category, 'no gap')", period, before),
        by_industry=_trend(con, "coalesce(industry, 'unknown')", period, before),
        new_gaps=[
            {"label": r[0], "signals": r[1], "customers": r[2], "signal_ids": r[3]}
            for r in con.execute(
                "SELECT new_gap_label, count(*), list(DISTINCT customer) FILTER (WHERE customer IS NOT NULL), "
                "list(id ORDER BY id) FROM signals WHERE duplicate_of IS NULL AND new_gap_label IS NOT NULL "
                "AND signal_date BETWEEN ? AND ? GROUP BY new_gap_label ORDER BY count(*) DESC, new_gap_label",
                [period.start, period.end],
            ).fetchall()
        ],
        moves=[
            StatusMove(signal_id=r[0], status=r[1], changed_at=r[2], who=r[3], gap=r[4], customer=r[5])
            for r in con.execute(
                "SELECT h.signal_id, h.status, h.changed_at, h.who, s.gap_name, s.customer FROM status_history h "
                "JOIN signals s ON s.id = h.signal_id WHERE h.status IN (SELECT unnest(?)) "
                "AND CAST(h.changed_at AS DATE) BETWEEN ? AND ? ORDER BY h.changed_at, h.signal_id",
                [list(MOVES), period.start, period.end],
            ).fetchall()
        ],
        wins=[
            Win(signal_id=r[0], customer=r[1], acv_usd=r[2], competitor=r[3], excerpt=_first_sentence(r[4]))
            for r in con.execute(
                "SELECT id, customer, acv_usd, competitor, excerpt FROM signals WHERE duplicate_of IS NULL "
                "AND signal_type = 'Win' AND signal_date BETWEEN ? AND ? "
                "ORDER BY acv_usd DESC NULLS LAST, id LIMIT ?",
                [period.start, period.end, wins],
            ).fetchall()
        ],
    )


def _count(con: Any, period: Period) -> int:
    return int(
        con.execute(
            "SELECT count(*) FROM signals WHERE duplicate_of IS NULL AND signal_date BETWEEN ? AND ?",
            [period.start, period.end],
        ).fetchone()[0]
    )


def _trend(con: Any, key: str, period: Period, before: Period) -> list[Trend]:
    rows = con.execute(
        f"SELECT {key} AS k, count(*) FILTER (WHERE signal_date BETWEEN ? AND ?), "
        "count(*) FILTER (WHERE signal_date BETWEEN ? AND ?) FROM signals "
        "WHERE duplicate_of IS NULL AND signal_date BETWEEN ? AND ? GROUP BY k",
        [period.start, period.end, before.start, before.end, before.start, period.end],
    ).fetchall()
    trends = [Trend(key=r[0], this_month=r[1], last_month=r[2]) for r in rows]
    return sorted(trends, key=lambda t: (-t.this_month, -t.last_month, t.key))
