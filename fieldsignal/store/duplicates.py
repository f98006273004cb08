"""Duplicate candidates and the reviewer's answers to "same signal?" (migration 013)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fieldsignal.errors import FieldsignalError, NotFoundError
from fieldsignal.records import Candidate, customer_key
from fieldsignal.store.db import placeholders, values_clause

if TYPE_CHECKING:
    import numpy as np

# a signal row as `as_candidates` reads it
COLUMNS = (
    "id, note_id, customer, gap, new_gap_label IS NOT NULL, signal_date, duplicate_of, competitor, signal_type, author"
)
RECENT = 100  # without the vector index: the latest signals of a batch's likely gaps read as candidates


def candidates(
    con: Any,
    customers: Sequence[str | None],
    gaps: Sequence[str],
    since: dt.date,
    nearest: Sequence[int] | None = None,
    vectors: bool = True,
    notes: Sequence[int] = (),
) -> list[Candidate]:
    """The signals a batch's new signals may repeat, with their excerpt vectors and note texts: every
    signal of their customers (by key, indexed), and either the signals the vector index found
    nearest in meaning (`nearest`) or, without the index, the latest RECENT of their likely gaps (or
    new-gap proposals) since `since` (indexed by gap and date). `vectors=False`: the caller has them
    (the vector index), and they are not read from the log. `notes`: the signals of these notes too (those
    the index found nearest in meaning as whole notes)."""
    keys = sorted({k for k in map(customer_key, customers) if k})
    parts: list[str] = []
    params: list[Any] = []
    if keys:
        parts.append(f"SELECT id FROM signals WHERE customer_key IN ({placeholders(keys)})")
        params += keys
    if notes:
        parts.append(f"SELECT id FROM signals WHERE note_id IN ({placeholders(list(notes))})")
        params += list(notes)
    if nearest is not None:
        if nearest:
            parts.append(f"SELECT id FROM signals WHERE id IN ({placeholders(list(nearest))})")
            params += list(nearest)
    else:
        known = sorted({g for g in gaps if g})
        likely = f"gap IN ({placeholders(known)}) OR " if known else ""
        parts.append(
            f"SELECT id FROM (SELECT id FROM signals WHERE rejected_at IS NULL AND signal_date >= ? AND ({likely}"
            f"new_gap_label IS NOT NULL) ORDER BY signal_date DESC, id DESC LIMIT {RECENT}) recent"
        )
        params += [since, *known]
    if not parts:
        return []
    rows = con.execute(  # one statement; notes and vectors by key after it (a join would scan the whole log's)
        f"SELECT {COLUMNS} FROM signals WHERE id IN ({' UNION '.join(parts)}) AND rejected_at IS NULL ORDER BY id",
        params,
    ).fetchall()
    if not rows:
        return []
    import numpy as np  # here, not at import: commands that never look for duplicates don't load it

    notes = sorted({r[1] for r in rows})
    sql = f"SELECT id, text, vector FROM notes WHERE id IN ({placeholders(notes)})"
    read = con.execute(sql, notes).fetchall()
    texts = {r[0]: r[1] for r in read}
    note_vectors = {r[0]: np.asarray(r[2], dtype=np.float32) for r in read if r[2] is not None}
    found = stored_vectors(con, [r[0] for r in rows]) if vectors else {}
    return as_candidates(rows, found, texts, note_vectors)


def as_candidates(
    rows: Sequence[Sequence[Any]],
    vectors: dict[int, np.ndarray],
    texts: dict[int, str] | None = None,
    note_vectors: dict[int, np.ndarray] | None = None,
) -> list[Candidate]:
    """Candidates from signal rows read as COLUMNS, with what is known of their excerpts and notes."""
    texts, note_vectors = texts or {}, note_vectors or {}
    return [
        Candidate(
            id=r[0],
            note_id=r[1],
            customer=r[2],
            gap=r[3],
            new_gap=r[4],
            date=r[5],
            duplicate_of=r[6],
            competitor=r[7],
            signal_type=r[8],
            author=r[9],
            text=texts.get(r[1]),
            note_vector=note_vectors.get(r[1]),
            vector=vectors.get(r[0]),
        )
        for r in rows
    ]


def stored_vectors(con: Any, signal_ids: Sequence[int]) -> dict[int, np.ndarray]:
    """The excerpt vectors the log holds for these signals."""
    import numpy as np

    if not signal_ids:
        return {}
    ids = list(signal_ids)
    rows = con.execute(
        "SELECT v.signal_id, e.vector FROM signal_vectors v JOIN embeddings e ON e.hash = v.hash "
        f"WHERE v.signal_id IN ({placeholders(ids)})",
        ids,
    ).fetchall()
    return {r[0]: np.asarray(r[1], dtype=np.float32) for r in rows}


def refused(con: Any, signal_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(signal, original) pairs a reviewer said are distinct signals."""
    if not signal_ids:
        return set()
    ids = list(signal_ids)
    rows = con.execute(
        "SELECT signal_id, original_id FROM duplicate_suggestions WHERE verdict = 'distinct' "
        f"AND (signal_id IN ({placeholders(ids)}) OR original_id IN ({placeholders(ids)}))",
        [*ids, *ids],
    ).fetchall()
    return {(a, b) for a, b in rows} | {(b, a) for a, b in rows}


def suggest(con: Any, rows: Sequence[tuple[int, int, float]], now: dt.datetime) -> None:
    """(signal, original, probability): borderline second reports, for a reviewer to answer."""
    if rows:
        marks, params = values_clause([(s, o, round(p, 4), now) for s, o, p in rows])
        con.execute(
            f"INSERT INTO duplicate_suggestions (signal_id, original_id, probability, suggested_at) VALUES {marks}",
            params,
        )


def open_suggestions(con: Any) -> dict[int, tuple[int, float]]:
    """Undecided suggestions: signal → (the earlier signal it may repeat, probability)."""
    rows = con.execute(
        "SELECT d.signal_id, d.original_id, d.probability FROM duplicate_suggestions d "
        "JOIN signals s ON s.id = d.signal_id JOIN signals o ON o.id = d.original_id "
        "WHERE d.verdict IS NULL AND s.rejected_at IS NULL AND o.rejected_at IS NULL "
        "AND s.duplicate_of IS NULL ORDER BY d.signal_id, d.probability, d.original_id"
    ).fetchall()
    return {r[0]: (r[1], float(r[2])) for r in rows}  # the likeliest earlier signal of each


def _root(con: Any, signal_id: int) -> int:
    seen = set()
    current = signal_id
    while current not in seen:
        seen.add(current)
        row = con.execute("SELECT duplicate_of FROM signals WHERE id = ?", [current]).fetchone()
        if row is None:
            raise NotFoundError(f"no signal #{current}")
        if row[0] is None:
            return current
        current = row[0]
    return current


def mark_same(con: Any, signal_id: int, original_id: int | None, who: str, now: dt.datetime) -> int:
    """`signal_id` repeats `original_id` (default: the one suggested); it is linked to that signal's
    first report. Returns the signal it now counts under."""
    if original_id is None:
        row = con.execute(
            "SELECT original_id FROM duplicate_suggestions WHERE signal_id = ? AND verdict IS NULL "
            "ORDER BY probability DESC LIMIT 1",
            [signal_id],
        ).fetchone()
        if row is None:
            raise FieldsignalError(f"#{signal_id} has no open 'same signal?' question: name the earlier one with --of")
        original_id = int(row[0])
    root = _root(con, original_id)
    if root == signal_id or _root(con, signal_id) != signal_id:
        raise FieldsignalError(f"#{signal_id} cannot repeat #{original_id}: one already counts under the other")
    con.execute("UPDATE signals SET duplicate_of = ? WHERE id = ?", [root, signal_id])
    con.execute("UPDATE signals SET duplicate_of = ? WHERE duplicate_of = ?", [root, signal_id])  # its own repeats
    _verdict(con, signal_id, original_id, "same", who, now)
    return root


def mark_distinct(con: Any, signal_id: int, original_id: int | None, who: str, now: dt.datetime) -> list[int]:
    """`signal_id` is not a second report of `original_id` (default: every open suggestion for it);
    remembered, never suggested or linked again. Returns the earlier signals it was told apart from."""
    if original_id is None:
        rows = con.execute(
            "SELECT original_id FROM duplicate_suggestions WHERE signal_id = ? AND verdict IS NULL", [signal_id]
        ).fetchall()
        if not rows:
            raise FieldsignalError(f"#{signal_id} has no open 'same signal?' question: name the other with --of")
        others = [int(r[0]) for r in rows]
    else:
        others = [original_id]
    for other in others:
        _verdict(con, signal_id, other, "distinct", who, now)
    return others


def unmerge(con: Any, signal_id: int, who: str, now: dt.datetime) -> int:
    """Count a linked signal on its own again; the pair is remembered as distinct. Returns the former original."""
    row = con.execute("SELECT duplicate_of FROM signals WHERE id = ?", [signal_id]).fetchone()
    if row is None:
        raise NotFoundError(f"no signal #{signal_id}")
    if row[0] is None:
        raise FieldsignalError(f"#{signal_id} is not linked as a duplicate: nothing to unmerge")
    con.execute("UPDATE signals SET duplicate_of = NULL WHERE id = ?", [signal_id])
    _verdict(con, signal_id, int(row[0]), "distinct", who, now)
    return int(row[0])


def _verdict(con: Any, signal_id: int, other: int, verdict: str, who: str, now: dt.datetime) -> None:
    for ident in (signal_id, other):
        if con.execute("SELECT 1 FROM signals WHERE id = ?", [ident]).fetchone() is None:
            raise NotFoundError(f"no signal #{ident}")
    updated = con.execute(
        "UPDATE duplicate_suggestions SET verdict = ?, decided_by = ?, decided_at = ? "
        "WHERE signal_id = ? AND original_id = ? RETURNING signal_id",
        [verdict, who, now, signal_id, other],
    ).fetchall()
    if not updated:
        con.execute(
            "INSERT INTO duplicate_suggestions (signal_id, original_id, probability, suggested_at, verdict, "
            "decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [signal_id, other, 1.0 if verdict == "same" else 0.0, now, verdict, who, now],
        )
