"""The success metrics of the source documents, against their 6-month targets.

- signals captured per week (target 10+), duplicates counted once;
- PM features influenced: distinct gaps with a signal at Roadmap or Shipped (target 2+);
- average signal-to-escalation time: the signal's date to its first Escalated status (target under 7 days).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from fieldsignal.store import reports

SIGNALS_PER_WEEK_TARGET = 10
FEATURES_TARGET = 2
ESCALATION_DAYS_TARGET = 7.0


class WeekCount(BaseModel):
    week: str
    signals: int
    met: bool


class Metrics(BaseModel):
    weeks: list[WeekCount]
    signals_per_week_avg: float
    signals_per_week_target: int = SIGNALS_PER_WEEK_TARGET
    features_influenced: list[str]
    features_target: int = FEATURES_TARGET
    escalated_signals: int
    avg_days_to_escalation: float | None
    escalation_days_target: float = ESCALATION_DAYS_TARGET


def metrics(con: Any, today: dt.date, weeks: int = 8) -> Metrics:
    start = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    counts = reports.weekly_counts(con, start, today)
    labels = [_iso_week(start + dt.timedelta(weeks=i)) for i in range(weeks)]
    rows = [
        WeekCount(week=w, signals=int(counts.get(w, 0)), met=counts.get(w, 0) >= SIGNALS_PER_WEEK_TARGET)
        for w in labels
    ]
    escalated, days = reports.escalations(con)
    return Metrics(
        weeks=rows,
        signals_per_week_avg=round(sum(r.signals for r in rows) / len(rows), 1) if rows else 0.0,
        features_influenced=reports.features_influenced(con),
        escalated_signals=escalated,
        avg_days_to_escalation=round(days, 1) if days is not None else None,
    )


def _iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
