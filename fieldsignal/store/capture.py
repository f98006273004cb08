"""Storing triaged notes: a batch's notes, signals, first statuses, review entries and vector keys.

A few multi-row statements per batch (DuckDB spends milliseconds on each statement, whatever its
size), inside the caller's write transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fieldsignal.errors import FieldsignalError
from fieldsignal.models import SignalDraft, TriageResult
from fieldsignal.records import customer_key
from fieldsignal.store.db import placeholders, values_clause
from fieldsignal.store.signals import HISTORY_COLUMNS
from fieldsignal.taxonomy import Taxonomy


@dataclass
class BatchContext:
    """What a batch of notes is checked and linked against: the hashes of its notes the log holds already,
    the customers a note may be linked to (the account list and, when learning, the log's customers), and
    the industry each is known to be in (its account's, as the CRM gives it; else, when learning, the one a
    person gave its latest reviewed signal; else the one most of its signals were read in: an industry is the
    customer's, so a later note about it takes the log's, not its own reading), and whether the workspace holds
    an account list at all (a CRM's: `accounts import`), or only the customers its log has named."""

    known_hashes: set[str] = field(default_factory=set)
    customers: tuple[str, ...] = ()
    industries: dict[str, str] = field(default_factory=dict)
    listed: bool = False


def batch_context(con: Any, hashes: Sequence[str], from_signals: bool = True) -> BatchContext:
    """The batch's context in one statement (four before: a paste pays milliseconds a statement)."""
    parts = ["SELECT 1 AS kind, name, industry, 0 AS id, 0 AS first FROM accounts"]
    params: list[Any] = []
    if hashes:
        parts.insert(0, f"SELECT 0, hash, NULL, 0, 0 FROM notes WHERE hash IN ({placeholders(hashes)})")
        params += list(hashes)
    if from_signals:
        parts.append(
            "SELECT 2, customer, industry, id, 0 FROM signals WHERE decided_by = 'human' AND customer IS NOT NULL "
            "AND industry IS NOT NULL AND rejected_at IS NULL"
        )
        read_in = "FILTER (WHERE industry IS NOT NULL AND rejected_at IS NULL AND decided_by <> 'human')"
        parts.append(  # each customer; how many of its signals the triage read in each industry, and the first
            f"SELECT 3, customer, industry, count(*) {read_in}, min(id) {read_in} FROM signals "
            "WHERE customer IS NOT NULL GROUP BY customer, industry"
        )
    rows = con.execute(" UNION ALL ".join(parts), params).fetchall()
    out, customers, reviewed = BatchContext(), set(), []
    accounts: dict[str, str] = {}
    read: dict[str, dict[str, tuple[int, int]]] = {}
    for kind, name, industry, number, first in rows:  # number: a reviewed signal's id (2), a count (3)
        if kind == 0:
            out.known_hashes.add(name)
        elif kind == 1:
            out.listed = True
            customers.add(name)
            if industry:
                accounts[name] = industry
        elif kind == 2:
            reviewed.append((number, name, industry))
        else:
            customers.add(name)
            if industry and number:  # the customer's signals read in that industry, and the first of them
                read.setdefault(name, {})[industry] = (-int(number), int(first))
    out.customers = tuple(sorted(customers))
    # the industry most of a customer's signals were read in (a tie: the one read first)
    usual = {name: min(counts, key=counts.__getitem__) for name, counts in read.items()}
    out.industries = usual | {name: industry for _, name, industry in sorted(reviewed)} | accounts
    return out


def save_result(
    con: Any, result: TriageResult, taxonomy: Taxonomy, vector_keys: Sequence[str], now: dt.datetime
) -> list[int]:
    """Store one note and its signals (and queue the uncertain ones); returns signal ids.

    The caller holds the transaction. `vector_keys[i]` is the embedding-cache key of
    signal i's excerpt vector. A note already stored is an error here; writers that may
    race another writer use `save_new_result`.
    """
    ids = save_new_result(con, result, taxonomy, vector_keys, now)
    if ids is None:
        raise FieldsignalError(f"note {result.note_hash[:12]} is already stored")
    return ids


def save_new_result(
    con: Any, result: TriageResult, taxonomy: Taxonomy, vector_keys: Sequence[str], now: dt.datetime
) -> list[int] | None:
    """Like `save_result`, but None (nothing stored) when the note is already stored (see `save_new_results`)."""
    return save_new_results(con, [result], taxonomy, [vector_keys], now)[0]


def save_new_results(
    con: Any,
    results: Sequence[TriageResult],
    taxonomy: Taxonomy,
    vector_keys: Sequence[Sequence[str]],
    now: dt.datetime,
    note_vectors: Sequence[Any] | None = None,
) -> list[list[int] | None]:
    """Store a batch of notes with their signals; for each, its signal ids, or None when the note was
    already stored.

    The check is the insert itself (ON CONFLICT on the unique note hash), inside the caller's write
    transaction: another process or thread that stored the same note after this one read the known
    hashes cannot make the batch fail. A few multi-row statements per batch, not several per signal.
    """
    firsts: dict[str, int] = {}  # a note twice in one batch is stored once
    for i, result in enumerate(results):
        firsts.setdefault(result.note_hash, i)
    vectors = [None if note_vectors is None else note_vectors[i] for i in firsts.values()]
    # both kinds of id in one statement: a signal of a note another writer stored first leaves its id unused
    note_seq, signal_seq = _next_ids(con, len(firsts), sum(len(results[i].signals) for i in firsts.values()))
    note_ids = _insert_notes(con, [results[i] for i in firsts.values()], now, vectors, note_seq)
    out: list[list[int] | None] = [None] * len(results)
    rows: list[tuple[int, str, SignalDraft, str]] = []  # note id, source, draft, vector key
    owners: list[int] = []  # which result each row belongs to
    for i in firsts.values():
        note_id = note_ids.get(results[i].note_hash)
        if note_id is None:
            continue  # stored by another writer meanwhile
        out[i] = []
        for draft, key in zip(results[i].signals, vector_keys[i], strict=True):
            rows.append((note_id, results[i].note.source, draft, key))
            owners.append(i)
    ids = _insert_signals(con, rows, taxonomy, now, signal_seq[: len(rows)])
    for owner, signal_id in zip(owners, ids, strict=True):
        out[owner] = [*(out[owner] or []), signal_id]
    return out


def _insert_notes(
    con: Any, results: Sequence[TriageResult], now: dt.datetime, vectors: Sequence[Any], ids: Sequence[int]
) -> dict[str, int]:
    """The ids of the notes inserted now, by hash (a note already stored is left out), each with its
    vector (of the whole text) when given."""
    if not results:
        return {}
    # ids drawn in the batch's order, rows inserted in hash order: writers storing overlapping notes at
    # once then wait for each other, never deadlock (a note another writer stored first leaves its id unused)
    ordered = sorted(zip(ids, results, vectors, strict=True), key=lambda row: row[1].note_hash)
    marks, params = values_clause(
        [
            (i, r.note_hash, r.note.text, r.note.source, r.note.author, r.note.date, r.note.subject, now, _floats(v))
            for i, r, v in ordered
        ]
    )
    inserted = con.execute(
        "INSERT INTO notes (id, hash, text, source, author, note_date, subject, created_at, vector) "
        f"VALUES {marks} ON CONFLICT (hash) DO NOTHING RETURNING hash, id",
        params,
    ).fetchall()
    return {h: int(i) for h, i in inserted}


def _floats(vector: Any) -> list[float] | None:
    return None if vector is None else [float(x) for x in vector]


def _insert_signals(
    con: Any,
    rows: Sequence[tuple[int, str, SignalDraft, str]],
    taxonomy: Taxonomy,
    now: dt.datetime,
    ids: Sequence[int],
) -> list[int]:
    """Insert signals (with their first status, review entry and vector key) under `ids`; their ids, in order."""
    if not rows:
        return []
    marks, params = values_clause([_signal_row(i, *row, taxonomy, now) for i, row in zip(ids, rows, strict=True)])
    con.execute(f"INSERT INTO signals ({_SIGNAL_INSERT}) VALUES {marks}", params)
    history = [
        (i, "New", now, row[2].deal.author or "fieldsignal", f"captured ({row[2].decided_by})", None)
        for i, row in zip(ids, rows, strict=True)
    ]
    marks, params = values_clause(history)
    con.execute(f"INSERT INTO status_history ({HISTORY_COLUMNS}) VALUES {marks}", params)
    queued = [
        (i, "; ".join(row[2].review_reasons) or "low confidence", now)
        for i, row in zip(ids, rows, strict=True)
        if row[2].needs_review
    ]
    if queued:
        marks, params = values_clause(queued)
        con.execute(f"INSERT INTO review_queue (signal_id, reasons, queued_at) VALUES {marks}", params)
    marks, params = values_clause([(i, row[3]) for i, row in zip(ids, rows, strict=True)])
    con.execute(f"INSERT INTO signal_vectors VALUES {marks}", params)
    return list(ids)


def _next_ids(con: Any, notes: int, signals: int) -> tuple[list[int], list[int]]:
    """`notes` new note ids and `signals` new signal ids, each in ascending order."""
    if not notes and not signals:
        return [], []
    sql = (
        "SELECT 0 AS kind, nextval('note_id_seq') AS id FROM generate_series(1, CAST(? AS INTEGER)) UNION ALL "
        "SELECT 1, nextval('signal_id_seq') FROM generate_series(1, CAST(? AS INTEGER)) ORDER BY 1, 2"
    )
    drawn = con.execute(sql, [notes, signals]).fetchall()
    return [int(i) for kind, i in drawn if kind == 0], [int(i) for kind, i in drawn if kind == 1]


_SIGNAL_INSERT = (
    "id, note_id, signal_date, source, signal_type, category, gap, gap_name, new_gap_label, use_case_blocked, "
    "customer, industry, archetype, competitor, lost_deal, acv_usd, author, confidence, type_confidence, "
    "gap_confidence, category_confidence, alternatives, needs_review, decided_by, llm_model, prompt_id, excerpt, "
    "created_at, customer_key"
)


def _signal_row(
    signal_id: int, note_id: int, source: str, d: SignalDraft, _key: str, taxonomy: Taxonomy, now: dt.datetime
) -> tuple[Any, ...]:
    gap = taxonomy.gap_by_slug.get(d.gap.label or "")
    return (
        signal_id,
        note_id,
        d.deal.date or now.date(),
        source,
        d.signal_type.label,
        d.category.label,
        gap.slug if gap else None,
        gap.name if gap else None,
        d.new_gap_label,
        d.use_case_blocked,
        d.deal.customer,
        d.deal.industry,
        d.deal.archetype,
        d.deal.competitor,
        d.deal.lost_deal,
        d.deal.acv_usd,
        d.deal.author,
        min(d.signal_type.confidence, d.gap.confidence),
        d.signal_type.confidence,
        d.gap.confidence,
        d.category.confidence,
        json.dumps({"signal_type": d.signal_type.alternatives, "gap": d.gap.alternatives}),
        d.needs_review,
        d.decided_by,
        d.llm_model,
        d.prompt_id,
        d.excerpt,
        now,
        customer_key(d.deal.customer),
    )
