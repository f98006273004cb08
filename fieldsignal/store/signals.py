"""Repository functions over the signal log. Each takes an open DuckDB connection."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from fieldsignal.errors import FieldsignalError, NotFoundError
from fieldsignal.models import Signal, StatusChange
from fieldsignal.records import Candidate, customer_key
from fieldsignal.store.db import date_range, placeholders, values_clause
from fieldsignal.taxonomy import Taxonomy

if TYPE_CHECKING:
    import numpy as np

SIGNAL_COLUMNS = (
    "id, note_id, signal_date AS date, source, signal_type, category, gap, gap_name, new_gap_label, "
    "use_case_blocked, customer, industry, archetype, competitor, lost_deal, acv_usd, pm_ticket, "
    "status, author, confidence, type_confidence, gap_confidence, needs_review, duplicate_of, "
    "decided_by, llm_model, prompt_id, excerpt, created_at, rejected_at, rejected_why"
)


HISTORY_COLUMNS = "signal_id, status, changed_at, who, why, ticket"


class SignalFilter(BaseModel):
    gap: str | None = None
    category: str | None = None
    signal_type: str | None = None
    status: str | None = None
    customer: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    needs_review: bool | None = None
    rejected: bool | None = False  # False: leave rejected signals out; True: only them; None: all
    text: str | None = None  # words found in the excerpt, the note or the customer (each word, any case)
    industry: str | None = None
    competitor: str | None = None
    lost: bool | None = None
    sort: Literal["date", "id", "type", "gap", "customer", "acv", "status"] = "date"
    ascending: bool = False
    limit: int | None = None


SORTS = {
    "date": "signal_date {way}, id {way}",
    "id": "id {way}",
    "type": "signal_type {way}, signal_date DESC, id DESC",
    "gap": "coalesce(gap_name, new_gap_label) {way} NULLS LAST, signal_date DESC, id DESC",
    "customer": "lower(customer) {way} NULLS LAST, signal_date DESC, id DESC",
    "acv": "acv_usd {way} NULLS LAST, signal_date DESC, id DESC",
    "status": "status {way}, signal_date DESC, id DESC",
}


def note_hashes(con: Any) -> set[str]:
    """The content hash of every note in the log (what a backfill skips)."""
    return {r[0] for r in con.execute("SELECT hash FROM notes").fetchall()}


def lookup_embeddings(con: Any, keys: Sequence[str]) -> dict[str, np.ndarray]:
    import numpy as np

    if not keys:
        return {}
    rows = con.execute(
        f"SELECT hash, vector FROM embeddings WHERE hash IN ({placeholders(keys)})", list(keys)
    ).fetchall()
    return {h: np.asarray(v, dtype=np.float32) for h, v in rows}


def save_embeddings(con: Any, model: str, entries: dict[str, np.ndarray]) -> None:
    if entries:
        # in key order: writers that insert overlapping keys at once then wait for each other, never deadlock
        rows = [(k, model, entries[k].astype(float).tolist()) for k in sorted(entries)]
        marks, params = values_clause(rows)
        con.execute(f"INSERT INTO embeddings (hash, model, vector) VALUES {marks} ON CONFLICT DO NOTHING", params)


def missing_embeddings(con: Any, keys: Sequence[str]) -> set[str]:
    """The keys among `keys` with no stored vector."""
    if not keys:
        return set()
    return set(keys) - set(lookup_embeddings(con, list(dict.fromkeys(keys))))


def list_signals(con: Any, f: SignalFilter = SignalFilter()) -> list[Signal]:
    where, params = _where(f)
    order = SORTS[f.sort].format(way="ASC" if f.ascending else "DESC")
    sql = f"SELECT {SIGNAL_COLUMNS} FROM signals {where} ORDER BY {order}"
    if f.limit:
        sql += f" LIMIT {int(f.limit)}"
    return _signals(con.execute(sql, params))


def _where(f: SignalFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if f.gap:
        clauses.append("(lower(gap) = lower(?) OR lower(gap_name) = lower(?))")
        params += [f.gap, f.gap]
    for column, value in (("category", f.category), ("signal_type", f.signal_type), ("status", f.status)):
        if value:
            clauses.append(f"lower({column}) = lower(?)")
            params.append(value)
    if f.customer:
        clauses.append("customer ILIKE ?")
        params.append(f"%{f.customer}%")
    dated, dates = date_range(f.since, f.until)
    clauses += dated
    params += dates
    if f.needs_review is not None:
        clauses.append("needs_review = ?")
        params.append(f.needs_review)
    for column, value in (("industry", f.industry), ("competitor", f.competitor)):
        if value:
            clauses.append(f"lower({column}) = lower(?)")
            params.append(value)
    if f.lost is not None:
        clauses.append("lost_deal = ?")
        params.append(f.lost)
    for word in (f.text or "").split()[:10]:
        clauses.append("(excerpt ILIKE ? OR customer ILIKE ? OR note_id IN (SELECT id FROM notes WHERE text ILIKE ?))")
        params += [f"%{word}%"] * 3
    if f.rejected is not None:
        clauses.append("rejected_at IS NOT NULL" if f.rejected else "rejected_at IS NULL")
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def _signals(cursor: Any) -> list[Signal]:
    names = [d[0] for d in cursor.description]
    return [Signal.model_validate(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def get_signal(con: Any, signal_id: int) -> Signal:
    found = _signals(con.execute(f"SELECT {SIGNAL_COLUMNS} FROM signals WHERE id = ?", [signal_id]))
    if not found:
        raise NotFoundError(f"no signal with id {signal_id}")
    return found[0]


def get_signals(con: Any, signal_ids: Sequence[int]) -> list[Signal]:
    """These signals, in this order (one query)."""
    by_id = signals_by_id(con, signal_ids)
    missing = [i for i in signal_ids if i not in by_id]
    if missing:
        raise NotFoundError(f"no signal with id {missing[0]}")
    return [by_id[i] for i in signal_ids]


def signals_by_id(con: Any, signal_ids: Sequence[int]) -> dict[int, Signal]:
    """Those of these signals the log holds, by id (one query)."""
    if not signal_ids:
        return {}
    found = _signals(
        con.execute(f"SELECT {SIGNAL_COLUMNS} FROM signals WHERE id IN ({placeholders(signal_ids)})", list(signal_ids))
    )
    return {s.id: s for s in found}


def signal_details(con: Any, signal_id: int) -> dict[str, Any]:
    """A signal with its note, alternatives, status history and review state."""
    signal = get_signal(con, signal_id)
    note = con.execute(
        "SELECT id, text, source, author, note_date, subject FROM notes WHERE id = ?", [signal.note_id]
    ).fetchone()
    alternatives = con.execute("SELECT alternatives FROM signals WHERE id = ?", [signal_id]).fetchone()[0]
    review = con.execute(
        "SELECT reasons, queued_at, resolved_at, resolved_by, resolution FROM review_queue WHERE signal_id = ?",
        [signal_id],
    ).fetchone()
    return {
        "signal": signal,
        "note": dict(zip(("id", "text", "source", "author", "date", "subject"), note, strict=True)),
        "alternatives": json.loads(alternatives or "{}"),
        "history": status_history(con, signal_id),
        "rejections": _rejections(con, signal_id),
        "duplicates": [
            r[0]
            for r in con.execute("SELECT id FROM signals WHERE duplicate_of = ? ORDER BY id", [signal_id]).fetchall()
        ],
        "review": dict(zip(("reasons", "queued_at", "resolved_at", "resolved_by", "resolution"), review, strict=True))
        if review
        else None,
    }


def _rejections(con: Any, signal_id: int) -> list[Any]:
    return list(rejections(con, signal_id))


class Rejection(BaseModel):
    signal_id: int
    action: str  # reject | restore
    why: str | None
    who: str
    at: dt.datetime


def rejections(con: Any, signal_id: int) -> list[Rejection]:
    rows = con.execute(
        "SELECT signal_id, action, why, who, done_at FROM rejections WHERE signal_id = ? ORDER BY seq", [signal_id]
    ).fetchall()
    keys = ("signal_id", "action", "why", "who", "at")
    return [Rejection.model_validate(dict(zip(keys, r, strict=True))) for r in rows]


def status_history(con: Any, signal_id: int) -> list[StatusChange]:
    rows = con.execute(
        "SELECT signal_id, status, changed_at, who, why, ticket FROM status_history "
        "WHERE signal_id = ? ORDER BY changed_at, seq",
        [signal_id],
    ).fetchall()
    keys = ("signal_id", "status", "at", "who", "why", "ticket")
    return [StatusChange.model_validate(dict(zip(keys, r, strict=True))) for r in rows]


def _status(taxonomy: Taxonomy, status: str) -> str:
    """The taxonomy's name for a status, however written; a clear error for one it does not have."""
    canonical = taxonomy.resolve("status", status)
    if canonical is None:
        raise FieldsignalError(f"unknown status {status!r} (use one of: {', '.join(taxonomy.status_names)})")
    return canonical


def set_status(
    con: Any,
    taxonomy: Taxonomy,
    signal_id: int,
    status: str,
    who: str,
    why: str | None,
    ticket: str | None,
    now: dt.datetime,
) -> StatusChange:
    canonical = _status(taxonomy, status)
    get_signal(con, signal_id)
    con.execute(
        "UPDATE signals SET status = ?, pm_ticket = coalesce(?, pm_ticket) WHERE id = ?",
        [canonical, ticket, signal_id],
    )
    con.execute(
        f"INSERT INTO status_history ({HISTORY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
        [signal_id, canonical, now, who, why, ticket],
    )
    return StatusChange(signal_id=signal_id, status=canonical, at=now, who=who, why=why, ticket=ticket)


ROWS_PER_STATEMENT = 500  # rows in one multi-row statement (its parameters stay well under the engines' limits)


def set_statuses(
    con: Any, taxonomy: Taxonomy, changes: Sequence[tuple[int, str, str, str | None]], now: dt.datetime
) -> None:
    """`set_status` for many signals just stored (an import's rows), in a few statements:
    (signal id, status, who, ticket) each."""
    rows = [(signal_id, _status(taxonomy, status), who, ticket) for signal_id, status, who, ticket in changes]
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        marks, params = values_clause([(i, status, ticket) for i, status, _, ticket in chunk])
        con.execute(
            f"UPDATE signals SET status = v.status, pm_ticket = coalesce(v.ticket, signals.pm_ticket) "
            f"FROM (VALUES {marks}) v(id, status, ticket) WHERE signals.id = v.id",
            params,
        )
        marks, params = values_clause([(i, status, now, who, None, ticket) for i, status, who, ticket in chunk])
        con.execute(f"INSERT INTO status_history ({HISTORY_COLUMNS}) VALUES {marks}", params)


def review_queue(con: Any) -> list[tuple[Signal, str]]:
    rows = con.execute(
        "SELECT signal_id, reasons FROM review_queue WHERE resolved_at IS NULL ORDER BY queued_at, signal_id"
    ).fetchall()
    reasons = dict(rows)
    from fieldsignal.store.duplicates import open_suggestions

    for signal_id, (other, p) in open_suggestions(con).items():  # "same signal?": asked beside the rest
        ask = f"same signal as #{other}? ({p:.2f})"
        reasons[signal_id] = f"{reasons[signal_id]}; {ask}" if signal_id in reasons else ask
    signals = (
        _signals(
            con.execute(
                f"SELECT {SIGNAL_COLUMNS} FROM signals WHERE id IN ({placeholders(list(reasons))}) ORDER BY id",
                list(reasons),
            )
        )
        if reasons
        else []
    )
    return [(s, reasons[s.id]) for s in signals]


def review_count(con: Any) -> int:
    """Signals waiting for a reviewer: unsure labels, or an open "same signal?" question."""
    from fieldsignal.store.duplicates import open_suggestions

    queued = {r[0] for r in con.execute("SELECT signal_id FROM review_queue WHERE resolved_at IS NULL").fetchall()}
    return len(queued | set(open_suggestions(con)))


def signal_ids(con: Any) -> set[int]:
    return {r[0] for r in con.execute("SELECT id FROM signals").fetchall()}


def signal_count(con: Any) -> int:
    return int(con.execute("SELECT count(*) FROM signals").fetchone()[0])


def signal_vectors(
    con: Any, proposals_only: bool = False, ids: Sequence[int] | None = None
) -> tuple[list[Signal], np.ndarray]:
    """Every signal (or every open new-gap proposal, or those of `ids`) that has a stored vector, with it."""
    import numpy as np

    if ids is not None and not ids:
        return [], np.zeros((0, 0), dtype=np.float32)
    clauses = ["gap IS NULL AND new_gap_label IS NOT NULL AND rejected_at IS NULL"] if proposals_only else []
    params: list[Any] = []
    if ids is not None:
        clauses.append(f"id IN ({placeholders(ids)})")
        params.extend(ids)
    where = "WHERE " + " AND ".join(clauses) if clauses else ""
    signals = _signals(con.execute(f"SELECT {SIGNAL_COLUMNS} FROM signals {where} ORDER BY id", params))
    only = f"WHERE v.signal_id IN ({placeholders(ids)})" if ids is not None else ""
    rows = con.execute(
        f"SELECT v.signal_id, e.vector FROM signal_vectors v JOIN embeddings e ON e.hash = v.hash {only}",
        list(ids) if ids is not None else [],
    ).fetchall()
    by_id = {sid: vec for sid, vec in rows}
    kept = [s for s in signals if s.id in by_id]
    if not kept:
        return [], np.zeros((0, 0), dtype=np.float32)
    matrix = np.asarray([by_id[s.id] for s in kept], dtype=np.float32)
    return kept, matrix


def dedupe_candidates(con: Any, customers: Sequence[str]) -> list[Candidate]:
    """The signals of these customers (by `customer_key`), with their vector when they propose a new gap.

    A duplicate names the same customer, so these are all the candidates a batch can match: read
    through the key's index, not the whole log (then the vectors of the few new-gap proposals)."""

    keys = sorted({key for key in map(customer_key, customers) if key})
    if not keys:
        return []
    from fieldsignal.store.duplicates import COLUMNS, as_candidates, stored_vectors

    rows = con.execute(
        f"SELECT {COLUMNS} FROM signals WHERE customer_key IN ({placeholders(keys)}) AND rejected_at IS NULL "
        "ORDER BY id",
        keys,
    ).fetchall()
    return as_candidates(rows, stored_vectors(con, [r[0] for r in rows if r[4]]))  # new-gap proposals: by meaning


def mark_duplicate(con: Any, signal_id: int, original_id: int) -> None:
    con.execute("UPDATE signals SET duplicate_of = ? WHERE id = ?", [original_id, signal_id])


def set_ticket(con: Any, signal_id: int, ticket: str) -> None:
    """The PM ticket of a signal, without a status change (a labelled import's ticket on a New signal)."""
    con.execute("UPDATE signals SET pm_ticket = ? WHERE id = ?", [ticket, signal_id])


def mark_duplicates(con: Any, links: Sequence[tuple[int, int]]) -> None:
    """(signal, original) pairs: each signal is a second report of its original."""
    if links:
        marks, params = values_clause(links)
        con.execute(
            f"UPDATE signals SET duplicate_of = v.original FROM (VALUES {marks}) v(id, original) "
            "WHERE signals.id = v.id",
            params,
        )
