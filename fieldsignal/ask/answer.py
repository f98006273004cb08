"""Answer a question over the signal log: parse → vetted SQL → rows, one sentence, the evidence.

When the question is not understood, the answer says so and carries no number; the caller
adds the most relevant signals by semantic search.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, computed_field

from fieldsignal.ask.parse import Vocabulary, understand
from fieldsignal.models import Query
from fieldsignal.store import ask as vetted
from fieldsignal.taxonomy import Taxonomy

NAMED = 8  # customers named after a figure (the rest are in the evidence)
MEASURE_WORDS = {
    "signals": "signals",
    "deals": "deals",
    "customers": "customers",
    "acv": "ACV",
    "acv_lost": "ACV lost",
    "acv_at_risk": "ACV at risk",
    "lost_deals": "lost deals",
}


class Answer(BaseModel):
    question: str
    understood: bool
    sentence: str
    columns: list[str] = []
    rows: list[list[Any]] = []
    sql: str | None = None
    params: list[Any] = []
    signal_ids: list[int] = []
    query: Query | None = None
    related: list[dict[str, Any]] = []  # when not understood: the closest signals, by meaning
    unplaced: list[str] = []  # words of the question it could not place (then no figure is given)
    decided_by: str = "offline"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def answer(self) -> Any:
        """The figure (a value question) or the rows; None when the question was not understood."""
        if not self.understood:
            return None
        if self.query is not None and self.query.shape == "value":
            return self.rows[0][0] if self.rows else 0
        return self.rows


def vocabulary(con: Any, taxonomy: Taxonomy) -> Vocabulary:
    customers, competitors, authors = (vetted.distinct(con, c) for c in vetted.VOCABULARY)
    return Vocabulary(taxonomy, customers, competitors, authors)


def answer(con: Any, question: str, taxonomy: Taxonomy, today: dt.date) -> Answer:
    query, unknown = understand(question, vocabulary(con, taxonomy), today)
    if unknown:
        words = ", ".join(f"“{w}”" for w in unknown)
        return Answer(
            question=question,
            understood=False,
            unplaced=unknown,
            sentence=f"I did not understand {words}, so I give no figure (an answer that left "
            f"{'it' if len(unknown) == 1 else 'them'} out could be wrong). {CAN_ANSWER}",
        )
    if query is None:
        return Answer(
            question=question,
            understood=False,
            sentence=f"I can't answer that exactly; here are the signals closest to the question. {CAN_ANSWER}",
        )
    return run(con, question, query, taxonomy)


CAN_ANSWER = (
    "I can count signals, deals, customers and lost deals, sum ACV (lost, at risk), rank or list them by gap, "
    "category, industry, competitor, customer or status, per week or month, for any period; gaps, customers, "
    "competitors and industries by name."
)


def run(con: Any, question: str, query: Query, taxonomy: Taxonomy) -> Answer:
    sql, params, columns, rows, ids = vetted.run(con, query)
    said = sentence(query, rows, taxonomy)
    if query.shape == "value" and ids:  # a count names who is behind it
        names = vetted.customers_behind(con, query, limit=NAMED + 1)
        if names:
            more = ", …" if len(names) > NAMED else ""
            said = f"{said.rstrip('.')}: {', '.join(names[:NAMED])}{more}."
    return Answer(
        question=question,
        understood=True,
        sentence=said,
        columns=columns,
        rows=[[_plain(v) for v in r] for r in rows],
        sql=sql,
        params=[_plain(p) for p in params],
        signal_ids=ids,
        query=query,
    )


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def describe(query: Query, taxonomy: Taxonomy) -> str:
    f = query.filters
    parts = []
    if f.gaps:
        parts.append(
            "for " + " or ".join(taxonomy.gap_by_slug[g].name if g in taxonomy.gap_by_slug else g for g in f.gaps)
        )
    for label, values in (
        ("in", f.categories),
        ("in", f.industries),
        ("at", f.customers),
        ("from", f.authors),
        ("of type", f.signal_types),
        ("with status", f.statuses),
    ):
        if values:
            parts.append(f"{label} {' or '.join(values)}")
    if f.competitors:
        parts.append(("lost to " if f.lost else "involving ") + " or ".join(f.competitors))
    elif f.lost:
        parts.append("on lost deals")
    parts.append(query.period_label or "all time")
    return ", ".join(parts)


def sentence(query: Query, rows: list[list[Any]], taxonomy: Taxonomy) -> str:
    scope = describe(query, taxonomy)
    what = MEASURE_WORDS[query.measure]
    money = query.measure.startswith("acv")
    fmt = (lambda v: f"${int(v or 0):,}") if money else (lambda v: f"{int(v or 0):,}")

    def amount(value: Any) -> str:  # "1 signal", "3 signals", "$300,000 ACV"
        one = not money and int(value or 0) == 1 and what.endswith("s")
        return f"{fmt(value)} {what[:-1] if one else what}"

    if query.shape == "value":
        return f"{amount(rows[0][0] if rows else 0)} ({scope})."
    if query.shape == "ranking":
        if not rows:
            return f"No {query.group_by} has any {what} ({scope})."
        top = [str(r[0]) for r in rows if r[1] == rows[0][1]]  # the rows tied with the first (all are kept)
        lead = f"{top[0]} leads with {amount(rows[0][1])}"
        if len(top) > 1:
            lead = f"{', '.join(top[:-1])} and {top[-1]} tie with {amount(rows[0][1])} each"
        if query.limit == 1:
            return f"{lead} ({scope})."
        plural = {"category": "categories", "industry": "industries", "status": "statuses"}.get(
            query.group_by or "", f"{query.group_by}s"
        )
        return f"{len(rows)} {plural if len(rows) != 1 else query.group_by} by {what}; {lead} ({scope})."
    if query.shape == "trend":
        return f"{what.capitalize()} per {query.group_by}: {len(rows)} periods ({scope})."
    if query.shape == "list_customers":  # named, as a count names who is behind it (one alone shows no table)
        names = [str(r[0]) for r in rows[: NAMED + 1]]
        listed = f": {', '.join(names[:NAMED])}{', …' if len(names) > NAMED else ''}" if names else ""
        return f"{len(rows)} customer{'s' if len(rows) != 1 else ''} ({scope}){listed}."
    if query.shape == "list_deals":
        return f"{len(rows)} deal{'s' if len(rows) != 1 else ''} ({scope})."
    return f"{len(rows)} signal{'s' if len(rows) != 1 else ''} shown ({scope})."
