"""The read-only queries behind the memos and the success metrics (shaped in reports/).

Counted as everywhere (store/counting.py): duplicates once, a note's deal once within a row.
Periods are inclusive dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from fieldsignal.store.counting import COUNTED, grouped
from fieldsignal.store.db import placeholders

TRENDS = {"category": "coalesce(category, 'no gap')", "industry": "coalesce(industry, 'unknown')"}


def count_signals(con: Any, start: dt.date, end: dt.date) -> int:
    return int(
        con.execute(f"SELECT count(*) FROM {COUNTED} WHERE signal_date BETWEEN ? AND ?", [start, end]).fetchone()[0]
    )


def latest_signal_date(con: Any) -> dt.date | None:
    """The date of the log's latest counted signal (None: the log holds none)."""
    row = con.execute(f"SELECT max(signal_date) FROM {COUNTED}").fetchone()
    return row[0] if row else None


def weekly_counts(con: Any, start: dt.date, end: dt.date) -> dict[str, int]:
    """{ISO week: signals} for the weeks of the period that have any."""
    rows = con.execute(
        f"SELECT iso_week(signal_date), count(*) FROM {COUNTED} WHERE signal_date BETWEEN ? AND ? GROUP BY 1",
        [start, end],
    ).fetchall()
    return {week: int(n) for week, n in rows}


def features_influenced(con: Any) -> list[str]:
    """Gaps (known or proposed) with a signal on the roadmap or shipped."""
    rows = con.execute(
        "SELECT DISTINCT coalesce(gap_name, new_gap_label) FROM signals WHERE status IN ('Roadmap', 'Shipped') "
        "AND rejected_at IS NULL "
        "AND coalesce(gap_name, new_gap_label) IS NOT NULL ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def escalations(con: Any) -> tuple[int, float | None]:
    """(signals ever escalated, mean days from the signal's date to its first escalation)."""
    row = con.execute(
        f"""
        SELECT count(*), avg(CAST(h.first_at AS DATE) - s.signal_date)
        FROM {COUNTED} s JOIN (
            SELECT signal_id, min(changed_at) AS first_at FROM status_history WHERE status = 'Escalated' GROUP BY 1
        ) h ON h.signal_id = s.id
        """
    ).fetchone()
    return int(row[0]), (float(row[1]) if row[1] is not None else None)


def gap_rows(con: Any, start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
    """Per known gap reported in the period: (slug, signals, customers, ids, ACV at risk, ACV lost, lost deals)."""
    return list(
        con.execute(
            grouped("gap", "gap IS NOT NULL AND signal_date BETWEEN ? AND ?")
            + """
            SELECT s.key, count(*),
                   array_agg(DISTINCT s.customer ORDER BY s.customer) FILTER (WHERE s.customer IS NOT NULL),
                   array_agg(s.id ORDER BY s.id), min(b.acv_at_risk), min(b.acv_lost), min(b.lost_deals)
            FROM s JOIN b USING (key) GROUP BY s.key
            """,
            [start, end],
        ).fetchall()
    )


def gap_states(con: Any, slugs: Sequence[str]) -> dict[str, tuple[list[str], list[str]]]:
    """Per gap, all time: (the statuses its counted signals are at, the PM tickets they carry)."""
    if not slugs:
        return {}
    rows = con.execute(
        "SELECT gap, array_agg(DISTINCT status ORDER BY status), "
        "array_agg(DISTINCT pm_ticket ORDER BY pm_ticket) FILTER (WHERE pm_ticket IS NOT NULL) "
        f"FROM {COUNTED} WHERE gap IN ({placeholders(slugs)}) GROUP BY gap",
        list(slugs),
    ).fetchall()
    return {slug: (list(statuses or []), list(tickets or [])) for slug, statuses, tickets in rows}


def gap_summary(con: Any, slug: str) -> dict[str, Any]:
    """A known gap, all time, counted as everywhere: signals, deals, customers, lost deals, ACV at risk and lost."""
    row = con.execute(
        grouped("gap", "gap = ?")
        + "SELECT a.signals, a.deals, b.lost_deals, b.acv_at_risk, b.acv_lost FROM a JOIN b USING (key)",
        [slug],
    ).fetchone()
    names = con.execute(
        f"SELECT min(customer) FROM {COUNTED} WHERE gap = ? AND customer IS NOT NULL "
        "GROUP BY lower(customer) ORDER BY lower(min(customer))",
        [slug],
    ).fetchall()
    keys = ("signals", "deals", "lost_deals", "acv_at_risk_usd", "acv_lost_usd")
    out: dict[str, Any] = dict(zip(keys, (int(v) for v in row), strict=True)) if row else dict.fromkeys(keys, 0)
    out["customers"] = [r[0] for r in names]
    weeks = con.execute(
        f"SELECT iso_week(signal_date), count(*) FROM {COUNTED} WHERE gap = ? GROUP BY 1 ORDER BY 1", [slug]
    ).fetchall()
    out["weeks"] = [(w, int(n)) for w, n in weeks]
    return out


def lost_deal_rows(con: Any, start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
    """One row per lost deal (note) in the period: (note, first date, customer, archetype, ACV, gaps,
    competitor, signal ids, excerpt, statuses, use case blocked)."""
    return list(
        con.execute(
            f"""
            SELECT note_id, min(signal_date), min(customer), min(archetype), max(acv_usd),
                   array_agg(DISTINCT gap ORDER BY gap) FILTER (WHERE gap IS NOT NULL), min(competitor),
                   array_agg(id ORDER BY id), (array_agg(excerpt ORDER BY id))[1],
                   array_agg(DISTINCT status ORDER BY status), min(use_case_blocked)
            FROM {COUNTED}
            WHERE lost_deal AND signal_date BETWEEN ? AND ?
            GROUP BY note_id ORDER BY min(signal_date), note_id
            """,
            [start, end],
        ).fetchall()
    )


def new_gap_rows(con: Any, start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
    """Proposed gaps in the period: (label, signals, customers, ids), most reported first."""
    return list(
        con.execute(
            "SELECT new_gap_label, count(*), "
            "array_agg(DISTINCT customer ORDER BY customer) FILTER (WHERE customer IS NOT NULL), "
            f"array_agg(id ORDER BY id) FROM {COUNTED} WHERE new_gap_label IS NOT NULL "
            "AND signal_date BETWEEN ? AND ? GROUP BY new_gap_label ORDER BY count(*) DESC, new_gap_label",
            [start, end],
        ).fetchall()
    )


def status_moves(con: Any, statuses: Sequence[str], start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
    """Status changes to `statuses` in the period: (signal, status, when, who, gap name, customer)."""
    if not statuses:
        return []
    return list(
        con.execute(
            "SELECT h.signal_id, h.status, h.changed_at, h.who, s.gap_name, s.customer FROM status_history h "
            f"JOIN signals s ON s.id = h.signal_id WHERE h.status IN ({placeholders(statuses)}) "
            "AND s.rejected_at IS NULL AND CAST(h.changed_at AS DATE) BETWEEN ? AND ? "
            "ORDER BY h.changed_at, h.signal_id",
            [*statuses, start, end],
        ).fetchall()
    )


def win_rows(con: Any, start: dt.date, end: dt.date, limit: int) -> list[tuple[Any, ...]]:
    """The period's largest wins: (signal, customer, ACV, competitor, excerpt)."""
    return list(
        con.execute(
            f"SELECT id, customer, acv_usd, competitor, excerpt FROM {COUNTED} "
            "WHERE signal_type = 'Win' AND signal_date BETWEEN ? AND ? ORDER BY acv_usd DESC NULLS LAST, id LIMIT ?",
            [start, end, limit],
        ).fetchall()
    )


def trend_rows(
    con: Any, by: Literal["category", "industry"], this: tuple[dt.date, dt.date], before: tuple[dt.date, dt.date]
) -> list[tuple[str, int, int]]:
    """(key, signals this period, signals the period before) for each key seen in either."""
    rows = con.execute(
        f"SELECT {TRENDS[by]} AS k, count(*) FILTER (WHERE signal_date BETWEEN ? AND ?), "
        f"count(*) FILTER (WHERE signal_date BETWEEN ? AND ?) FROM {COUNTED} "
        "WHERE signal_date BETWEEN ? AND ? GROUP BY k",
        [*this, *before, before[0], this[1]],
    ).fetchall()
    return [(r[0], int(r[1]), int(r[2])) for r in rows]


def signal_customers(con: Any) -> list[str]:
    """Every customer a signal names, as written."""
    return [r[0] for r in con.execute("SELECT DISTINCT customer FROM signals WHERE customer IS NOT NULL").fetchall()]
