"""Vetted SQL for each question shape (models.Query): fixed text, values only as parameters.

Counted as every tally is (store/counting.py): duplicates once, ACV once per deal (note) within a row.
"""

from __future__ import annotations

from typing import Any

from fieldsignal.models import Filters, Query
from fieldsignal.store.counting import COUNTED, grouped
from fieldsignal.store.db import date_range, placeholders

KEYS = {
    "gap": "gap_name",
    "category": "category",
    "industry": "industry",
    "competitor": "competitor",
    "customer": "customer",
    "month": "year_month(signal_date)",  # functions of migration 009, on both engines
    "week": "iso_week(signal_date)",
    "signal_type": "signal_type",
    "status": "status",
}
MEASURES = {
    "signals": "a.signals",
    "deals": "a.deals",
    "customers": "a.customers",
    "acv": "b.acv",
    "acv_lost": "b.acv_lost",
    "acv_at_risk": "b.acv_at_risk",
    "lost_deals": "b.lost_deals",
}


def where(f: Filters) -> tuple[str, list[Any]]:
    clauses: list[str] = ["TRUE"]
    params: list[Any] = []

    def any_of(column: str, values: list[Any], lower: bool = False) -> None:
        if values:
            col = f"lower({column})" if lower else column
            clauses.append(f"{col} IN ({placeholders(values)})")
            params.extend([v.lower() for v in values] if lower else values)

    any_of("gap", f.gaps)
    any_of("category", f.categories)
    any_of("industry", f.industries)
    any_of("customer", f.customers, lower=True)
    any_of("competitor", f.competitors, lower=True)
    any_of("signal_type", f.signal_types)
    any_of("status", f.statuses)
    any_of("author", f.authors, lower=True)
    if f.lost is not None:
        clauses.append("lost_deal = ?")
        params.append(f.lost)
    dated, dates = date_range(f.since, f.until)
    clauses += dated
    params += dates
    return " AND ".join(clauses), params


def build(q: Query) -> tuple[str, list[Any], list[str]]:
    """(sql, params, column names) for the answer rows."""
    cond, params = where(q.filters)
    key = KEYS[q.group_by] if q.group_by else "'all'"
    base = grouped(key, cond)
    measure = MEASURES[q.measure]
    if q.shape == "value":
        return f"{base}SELECT coalesce((SELECT {measure} FROM a JOIN b USING (key)), 0)", params, [q.measure]
    if q.shape == "ranking" and q.limit:  # top N keeps every row tied with the Nth
        way = "ASC" if q.ascending else "DESC"
        sql = (
            f"{base}SELECT key, m FROM (SELECT a.key, {measure} AS m, rank() OVER (ORDER BY {measure} {way}) AS place "
            f"FROM a JOIN b USING (key) WHERE a.key IS NOT NULL) ranked WHERE place <= {int(q.limit)} "
            f"ORDER BY m {way}, key"
        )
        return sql, params, [q.group_by or "key", q.measure]
    if q.shape in ("ranking", "trend"):
        order = "a.key" if q.shape == "trend" else f"{measure} {'ASC' if q.ascending else 'DESC'}, a.key"
        sql = f"{base}SELECT a.key, {measure} FROM a JOIN b USING (key) WHERE a.key IS NOT NULL ORDER BY {order}"
        return sql, params, [q.group_by or "key", q.measure]
    if q.shape == "list_customers":
        sql = (
            f"WITH s AS (SELECT * FROM {COUNTED} WHERE {cond}) SELECT min(customer) AS customer FROM s "
            "WHERE customer IS NOT NULL GROUP BY lower(customer) ORDER BY lower(min(customer))"
        )
        return sql, params, ["customer"]
    if q.shape == "list_deals":
        sql = (
            f"WITH s AS (SELECT * FROM {COUNTED} WHERE {cond}) SELECT min(customer) AS customer, "
            "max(acv_usd) AS acv_usd, min(competitor) AS competitor, "
            "string_agg(DISTINCT gap_name, ', ' ORDER BY gap_name) AS gaps FROM s GROUP BY note_id "
            "ORDER BY max(acv_usd) DESC NULLS LAST, min(customer)"
        )
        return sql, params, ["customer", "acv_usd", "competitor", "gaps"]
    sql = (
        f"WITH s AS (SELECT * FROM {COUNTED} WHERE {cond}) SELECT id, signal_date, customer, gap_name, signal_type "
        "FROM s ORDER BY signal_date DESC, id DESC LIMIT 50"
    )
    return sql, params, ["id", "date", "customer", "gap", "signal_type"]


def evidence(q: Query, keys: list[Any] | None) -> tuple[str, list[Any]]:
    """The ids of the signals behind an answer (for a ranking: behind the rows shown)."""
    cond, params = where(q.filters)
    if q.shape in ("ranking", "trend") and q.group_by and keys is not None:
        cond += f" AND {KEYS[q.group_by]} IN ({placeholders(keys)})" if keys else " AND FALSE"
        params = [*params, *keys]
    return f"SELECT id FROM {COUNTED} WHERE {cond} ORDER BY id", params


VOCABULARY = ("customer", "competitor", "author")  # columns whose values the parser learns


def distinct(con: Any, column: str) -> list[str]:
    """Every value a column of the log holds (customers, competitors, authors: the parser's words)."""
    if column not in VOCABULARY:
        raise ValueError(f"not a vocabulary column: {column}")
    return [r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM signals WHERE {column} IS NOT NULL").fetchall()]


def customers_behind(con: Any, q: Query, limit: int = 9) -> list[str]:
    """The customers of the signals behind an answer (as written; the first `limit`, by name)."""
    cond, params = where(q.filters)
    rows = con.execute(
        f"SELECT min(customer) FROM {COUNTED} WHERE {cond} AND customer IS NOT NULL "
        f"GROUP BY lower(customer) ORDER BY lower(min(customer)) LIMIT {int(limit)}",
        params,
    ).fetchall()
    return [r[0] for r in rows]


def run(con: Any, q: Query) -> tuple[str, list[Any], list[str], list[list[Any]], list[int]]:
    """(sql, params, columns, rows, evidence ids) of a parsed question."""
    sql, params, columns = build(q)
    rows = [list(r) for r in con.execute(sql, params).fetchall()]
    keys = [r[0] for r in rows] if q.shape in ("ranking", "trend") else None
    id_sql, id_params = evidence(q, keys)
    ids = [int(r[0]) for r in con.execute(id_sql, id_params).fetchall()]
    return sql, params, columns, rows, ids
