"""A parsed question: what to compute (measure, grouping, order) over which signals (filters).

This is the contract between the offline parser (or an LLM) and the SQL builder: only these
shapes can be asked, so only vetted SQL can run.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

Measure = Literal["signals", "deals", "customers", "acv", "acv_lost", "acv_at_risk", "lost_deals"]
GroupBy = Literal["gap", "category", "industry", "competitor", "customer", "month", "week", "signal_type", "status"]
Shape = Literal["value", "ranking", "list_customers", "list_deals", "list_signals", "trend"]


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gaps: list[str] = []  # slugs
    categories: list[str] = []
    industries: list[str] = []
    customers: list[str] = []  # as stored
    competitors: list[str] = []
    signal_types: list[str] = []
    statuses: list[str] = []
    authors: list[str] = []
    lost: bool | None = None
    since: dt.date | None = None
    until: dt.date | None = None


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shape: Shape
    measure: Measure = "signals"
    group_by: GroupBy | None = None
    limit: int | None = None
    ascending: bool = False
    filters: Filters = Filters()
    period_label: str | None = None  # "last quarter (2026-07-01 to 2026-09-30)", for the sentence
