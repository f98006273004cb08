"""Drafting time of each memo on synthetic logs of 10k and 100k signals.

    python bench/bench_memos.py [--sizes 10000 100000] [--repeat 5]

The baseline, measured in the same run on the same file, is one `tally --by gap` over the
whole log (a single GROUP BY); each memo prints its median time and the ratio to it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from fieldsignal.settings import load_settings
from fieldsignal.workspace import Workspace

SQL = """
INSERT INTO notes (id, hash, text, source, note_date, created_at)
SELECT i, 'h' || i, 'synthetic note ' || i, 'bench', DATE '2026-01-05' + CAST(i % 330 AS INTEGER),
       TIMESTAMP '2026-11-01'
FROM range(1, {n} + 1) t(i);
INSERT INTO signals (id, note_id, signal_date, source, signal_type, category, gap, gap_name, customer, industry,
                     competitor, lost_deal, acv_usd, status, confidence, type_confidence, gap_confidence,
                     category_confidence, decided_by, excerpt, created_at, duplicate_of, new_gap_label)
SELECT i, i, DATE '2026-01-05' + CAST(i % 330 AS INTEGER), 'bench',
       CASE WHEN i % 9 = 0 THEN 'Loss' WHEN i % 13 = 0 THEN 'Win' ELSE 'Product Gap' END,
       ['Security', 'Scaling', 'Cost', 'Customization', 'Database', 'Domains', 'Observability'][1 + i % 7],
       g.slug, g.name, 'Customer ' || (i % 2000), ['Retail', 'FSI', 'HLS', 'MFG', 'DN'][1 + i % 5],
       CASE WHEN i % 9 = 0 THEN ['Vercel', 'Snowflake', 'AWS'][1 + i % 3] END, i % 9 = 0,
       CASE WHEN i % 3 = 0 THEN 50000 + (i % 40) * 10000 END,
       ['New', 'Enriched', 'Escalated', 'Roadmap', 'Shipped'][1 + i % 5], 0.9, 0.9, 0.9, 0.9, 'offline',
       'synthetic excerpt ' || i, TIMESTAMP '2026-11-01', CASE WHEN i % 17 = 0 AND i > 1 THEN i - 1 END,
       CASE WHEN i % 23 = 0 THEN 'proposal ' || (i % 5) END
FROM range(1, {n} + 1) t(i) JOIN (SELECT * FROM (VALUES {gaps}) v(k, slug, name)) g ON g.k = i % {gap_count};
INSERT INTO status_history SELECT id, status, TIMESTAMP '2026-11-01' + INTERVAL (id % 30) DAY, 'bench', NULL, NULL
FROM signals WHERE status <> 'New';
"""


def build(n: int, home: Path) -> Workspace:
    ws = Workspace(load_settings(env={}, home=home, embedder="hashing", vectorstore="memory"))
    gaps = ", ".join(f"({i}, '{g.slug}', '{g.name}')" for i, g in enumerate(ws.taxonomy.gaps))
    with ws.store(write=True) as con:
        con.execute(SQL.format(n=n, gaps=gaps, gap_count=len(ws.taxonomy.gaps)))
    return ws


def median_ms(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"{'signals':>8} {'what':26} {'median ms':>10} {'x tally':>8}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            run(n, build(n, Path(tmp) / "ws"), args.repeat)


def run(n: int, ws: Workspace, repeat: int) -> None:
    baseline = median_ms(lambda: ws.tally("gap"), repeat)
    print(f"{n:8} {'baseline: tally --by gap':26} {baseline:10.1f} {1.0:8.2f}")
    for kind, period in (("weekly", "2026-W43"), ("newsletter", "2026-10"), ("losses", "2026-10")):
        ms = median_ms(lambda k=kind, p=period: ws.desk.compose(k, p), repeat)
        print(f"{n:8} {'memo ' + kind:26} {ms:10.1f} {ms / baseline:8.2f}")
    ms = median_ms(lambda: ws.metrics(dt.date(2026, 11, 25)), repeat)
    print(f"{n:8} {'metrics':26} {ms:10.1f} {ms / baseline:8.2f}")


if __name__ == "__main__":
    main()
