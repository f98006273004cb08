"""Latency of `ask` on synthetic logs of 10k and 100k signals (target: p50 <= 150 ms at 100k).

    python bench/bench_ask.py [--sizes 10000 100000] [--repeat 3]

Baseline, measured in the same run on the same file: one `tally --by gap` (a single GROUP BY).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_memos import build

QUESTIONS = [
    "how many signals last quarter",
    "Which gap cost us the most ACV in FSI last quarter?",
    "How many deals did we lose to Snowflake?",
    "Which customers are blocked by custom domains?",
    "top 5 gaps by ACV",
    "signals per month",
    "ACV at risk in retail since september",
    "how many customers are blocked by the firewall",
    "lost ACV by competitor",
    "how many escalated signals in october",
    "which competitor took the most ACV from us",
    "how many signals from customer 42",
]
TODAY = dt.date(2026, 11, 25)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"{'signals':>8} {'p50 ms':>8} {'p95 ms':>8} {'tally ms':>9} {'p50/tally':>10}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            ws = build(n, Path(tmp) / "ws")
            ws.ask(QUESTIONS[0], TODAY)  # warm: the first connection opens the file
            times, base = [], []
            for _ in range(args.repeat):
                started = time.perf_counter()
                ws.tally("gap")
                base.append((time.perf_counter() - started) * 1000)
                for question in QUESTIONS:
                    started = time.perf_counter()
                    answer = ws.ask(question, TODAY)
                    times.append((time.perf_counter() - started) * 1000)
                    assert answer.understood, question
            p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[18]
            tally = statistics.median(base)
            print(f"{n:8} {p50:8.1f} {p95:8.1f} {tally:9.1f} {p50 / tally:10.2f}")


if __name__ == "__main__":
    main()
