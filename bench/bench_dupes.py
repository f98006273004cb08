"""Duplicate lookup per note with a large log, against reading the whole log (the former way).

    python bench/bench_dupes.py [--signals 100000] [--notes 200]

A real DuckDB file holds S signals of S/5 customers over 300 days, each with its note and a stored
excerpt vector (a fifth propose a new gap), and a Chroma index holds the vectors. For each of N
new notes the learned path asks the index for the 25 signals nearest in meaning and the 8 notes nearest
as whole notes, reads those signals and the customer's (`store/duplicates.candidates`, through the
customer-key and note-id indexes), and scores
them with a fitted `DuplicateScorer`; without the index (a one-shot CLI paste) the candidates are the
customer's signals and the latest 100 of the note's likely gaps (gap-and-date index). The rule
path (a corpus without second reports) reads the customer's signals only (`dedupe_candidates`) and
`find_original` decides; the baseline reads every signal that names a customer, with its vector, as
the store did first. Target: ≤ 20 ms per note at 100k signals.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from fieldsignal.dedupe.candidates import Candidate, find_original, nearest
from fieldsignal.dedupe.model import FEATURES, DuplicateScorer
from fieldsignal.dedupe.training import fit
from fieldsignal.store import duplicates as dupes_repo
from fieldsignal.store import open_store
from fieldsignal.store import signals as repo
from fieldsignal.vectorstore.index import NOTES, SIGNALS, ChromaIndex
from fieldsignal.workspace_save import indexed_candidates

WHOLE_LOG = (
    "SELECT s.id, s.note_id, s.customer, s.gap, s.new_gap_label IS NOT NULL, s.signal_date, s.duplicate_of, "
    "CASE WHEN s.new_gap_label IS NOT NULL THEN e.vector END "
    "FROM signals s LEFT JOIN signal_vectors v ON v.signal_id = s.id LEFT JOIN embeddings e ON e.hash = v.hash "
    "WHERE s.customer IS NOT NULL ORDER BY s.id"
)


def fill(con: Any, signals: int) -> None:
    customers = max(1, signals // 5)
    con.execute(
        "INSERT INTO signals (id, note_id, signal_date, source, signal_type, gap, new_gap_label, customer, "
        "customer_key, confidence, type_confidence, gap_confidence, category_confidence, decided_by, excerpt) "
        "SELECT i, i, DATE '2026-01-01' + CAST(i % 300 AS INTEGER), 'bench', 'Product Gap', "
        "CASE WHEN i % 5 = 0 THEN NULL ELSE 'gap-' || (i % 40) END, "
        "CASE WHEN i % 5 = 0 THEN 'proposal ' || i END, "
        f"'Customer ' || (i % {customers}) || ' Inc.', 'customer ' || (i % {customers}), "
        "0.9, 0.9, 0.9, 0.9, 'offline', 'excerpt ' || i FROM range(1, ?) t(i)",
        [signals + 1],
    )
    con.execute(
        "INSERT INTO notes (id, hash, text, source, vector) SELECT i, 'n' || i, 'note ' || i || ' of customer ' || "
        f"(i % {customers}), 'bench', "
        "list_transform(range(384), lambda x: CAST(random() - 0.5 AS FLOAT) / 9.8) FROM range(1, ?) t(i)",
        [signals + 1],
    )
    con.execute(
        "INSERT INTO embeddings SELECT 'h' || i, 'bench', "
        "list_transform(range(384), lambda x: CAST(random() - 0.5 AS FLOAT) / 9.8) FROM range(1, ?) t(i)",
        [signals + 1],
    )
    con.execute("INSERT INTO signal_vectors SELECT i, 'h' || i FROM range(1, ?) t(i)", [signals + 1])


def scorer() -> DuplicateScorer:
    """A scorer fitted on random pairs: its weights do not change how long scoring takes."""
    rng = np.random.default_rng(0)
    x = rng.random((200, len(FEATURES)))
    y = x[:, 0] + x[:, 2] > 1.0
    return fit(x, y, np.asarray([f"w{i % 5}" for i in range(200)]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--signals", type=int, default=100_000)
    ap.add_argument("--notes", type=int, default=200)
    args = ap.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "fieldsignal.duckdb", write=True) as con:
        start = time.perf_counter()
        fill(con, args.signals)
        print(f"filled {args.signals} signals in {time.perf_counter() - start:.1f} s")
        day = dt.date(2026, 6, 1)
        customers = [f"Customer {rng.randrange(args.signals // 5)}" for _ in range(args.notes)]
        new = [Candidate(-1, -1, c, f"gap-{rng.randrange(40)}", False, day) for c in customers]
        vectors = np.random.default_rng(1).normal(size=(args.notes, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        whole_notes = np.random.default_rng(2).normal(size=(args.notes, 384)).astype(np.float32)
        whole_notes /= np.linalg.norm(whole_notes, axis=1, keepdims=True)
        for candidate, vector, note in zip(new, vectors, whole_notes, strict=True):
            candidate.vector, candidate.text, candidate.note_vector = vector, f"a note of {candidate.customer}", note
            candidate.gap_probs = {candidate.gap or "": 0.8}
        fitted = scorer()
        start = time.perf_counter()
        index = ChromaIndex(Path(tmp) / "chroma")
        for first in range(1, args.signals + 1, 2000):
            ids = list(range(first, min(first + 2000, args.signals + 1)))
            rows = con.execute(
                f"SELECT v.signal_id, e.vector FROM signal_vectors v JOIN embeddings e ON e.hash = v.hash "
                f"WHERE v.signal_id BETWEEN {ids[0]} AND {ids[-1]} ORDER BY v.signal_id"
            ).fetchall()
            matrix = np.asarray([r[1] for r in rows], dtype=np.float32)
            index.upsert(SIGNALS, [str(r[0]) for r in rows], matrix, [{"n": r[0]} for r in rows], [""] * len(rows))
            rows = con.execute(
                f"SELECT id, vector FROM notes WHERE id BETWEEN {ids[0]} AND {ids[-1]} ORDER BY id"
            ).fetchall()
            matrix = np.asarray([r[1] for r in rows], dtype=np.float32)
            index.upsert(NOTES, [str(r[0]) for r in rows], matrix, [{"n": r[0]} for r in rows], [""] * len(rows))
        print(f"indexed {args.signals} quotes' and notes' vectors in Chroma in {time.perf_counter() - start:.1f} s")
        since = day - dt.timedelta(days=120)
        learned, unindexed = [], []
        for candidate in new:
            start = time.perf_counter()
            earlier = indexed_candidates(con, index, [candidate.vector], [candidate.customer], [candidate.note_vector])
            fitted.best(nearest(earlier, candidate), candidate)
            learned.append(1000 * (time.perf_counter() - start))
        for candidate in new[:50]:
            start = time.perf_counter()
            earlier = dupes_repo.candidates(con, [candidate.customer], [candidate.gap or ""], since)
            fitted.best(nearest(earlier, candidate), candidate)
            unindexed.append(1000 * (time.perf_counter() - start))
        index.close()
        keyed = []
        for candidate in new:
            start = time.perf_counter()
            find_original(candidate, repo.dedupe_candidates(con, [candidate.customer or ""]))
            keyed.append(1000 * (time.perf_counter() - start))
        whole = []
        for candidate in new[:5]:
            start = time.perf_counter()
            rows = con.execute(WHOLE_LOG).fetchall()
            earlier = [
                Candidate(r[0], r[1], r[2], r[3], r[4], r[5], None if r[7] is None else np.asarray(r[7]), r[6])
                for r in rows
            ]
            find_original(candidate, earlier)
            whole.append(1000 * (time.perf_counter() - start))
    p50 = statistics.median(learned)
    print(
        f"duplicate lookup per note, {args.signals} signals: learned p50 {p50:.1f} ms, "
        f"p95 {sorted(learned)[int(0.95 * (len(learned) - 1))]:.1f} ms; without the index "
        f"p50 {statistics.median(unindexed):.1f} ms; rule (customer's signals only) "
        f"p50 {statistics.median(keyed):.1f} ms; whole-log read (first way) p50 {statistics.median(whole):.0f} ms "
        f"= {statistics.median(whole) / p50:.0f}x; target <= 20 ms: {'met' if p50 <= 20 else 'NOT MET'}"
    )


if __name__ == "__main__":
    main()
