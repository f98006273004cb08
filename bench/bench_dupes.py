"""Duplicate lookup per note with a large log, against reading the whole log (the former way).

    python bench/bench_dupes.py [--signals 100000] [--notes 200]

A real DuckDB file holds S signals of S/5 customers (a fifth of them new-gap proposals with a
stored vector). For each of N new notes the store reads the candidates of the note's customer
(`dedupe_candidates`, through the customer-key index) and `find_original` decides; the baseline
reads every signal that names a customer, with its vector, as the store did before. Target: ≤ 20 ms
per note at 100k signals.
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

from fieldsignal.agent.dedupe import Candidate, find_original
from fieldsignal.store import open_store
from fieldsignal.store import signals as repo

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
    con.execute(  # a fifth propose a new gap: a stored vector each
        "INSERT INTO embeddings SELECT 'h' || i, 'bench', "
        "list_transform(range(384), lambda x: CAST(random() - 0.5 AS FLOAT)) FROM range(5, ?, 5) t(i)",
        [signals + 1],
    )
    con.execute("INSERT INTO signal_vectors SELECT i, 'h' || i FROM range(5, ?, 5) t(i)", [signals + 1])


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
    p50 = statistics.median(keyed)
    print(
        f"duplicate lookup per note, {args.signals} signals: p50 {p50:.1f} ms, "
        f"p95 {sorted(keyed)[int(0.95 * (len(keyed) - 1))]:.1f} ms; whole-log read (before) "
        f"p50 {statistics.median(whole):.0f} ms = {statistics.median(whole) / p50:.0f}x; target <= 20 ms: "
        f"{'met' if p50 <= 20 else 'NOT MET'}"
    )


if __name__ == "__main__":
    main()
