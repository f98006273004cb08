"""Backfill throughput: Spark local[N] against a single-process import of the same notes.

    python bench/backfill_speed.py [--notes 400 1200] [--master local[2]]

For each size, writes that many corpus notes as one JSONL file, then, each in a fresh process and a
fresh workspace (process start and model load included; the model already built and cached):
  import     `fieldsignal import notes.jsonl`
  backfill   `fieldsignal backfill notes.jsonl --master local[2] --no-store` (triage on Spark only)
  store      `fieldsignal backfill OUTPUT` (the triaged notes stored in the log, on the driver)
and prints notes/s for each. The per-note costs behind the estimate for 1M notes on a cluster are
marginal ones, (time at the larger size - time at the smaller) / (the difference in notes), so start-up
(JVM, workers loading the model) is not counted per note; Spark's executors scale with cores, storing
in the log runs on one machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIELDSIGNAL = [sys.executable, "-m", "fieldsignal"]


def timed(args: list[str], home: Path) -> float:
    env = {**os.environ, "FIELDSIGNAL_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    done = subprocess.run([*FIELDSIGNAL, *args], env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(args)} failed: {done.stderr[-2000:]}")
    return seconds


def measure(rows: list[dict], master: str, tmp: Path) -> dict[str, float]:
    notes = tmp / "notes.jsonl"
    notes.write_text("".join(json.dumps({"text": r["text"], "date": r["date"]}) + "\n" for r in rows))
    single = timed(["import", str(notes)], tmp / "import")
    spark = timed(["backfill", str(notes), "--master", master, "--output", str(tmp / "out"), "--no-store"], tmp / "bf")
    store = timed(["backfill", str(tmp / "out"), "--master", master], tmp / "bf")
    return {"notes": len(rows), "import_s": single, "triage_s": spark, "store_s": store}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, nargs=2, default=[400, 1200])
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    corpus = [json.loads(line) for line in (ROOT / "data/corpus/corpus.jsonl").read_text().splitlines()]
    cores = int(re.sub(r"\D", "", args.master) or os.cpu_count() or 1)
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        timed(["train"], Path(folder) / "warm")  # the model is built (or found cached) before anything is timed
        for size in args.notes:
            (Path(folder) / str(size)).mkdir()
            runs.append(measure(corpus[:size], args.master, Path(folder) / str(size)))
    for run in runs:
        n = run["notes"]
        print(json.dumps({k: round(v, 1) for k, v in run.items()}))
        print(
            f"{n} notes: import {n / run['import_s']:.1f} notes/s; backfill triage on {args.master} "
            f"{n / run['triage_s']:.1f} notes/s ({run['triage_s'] / run['import_s']:.2f}x the import's time); "
            f"triage + store {n / (run['triage_s'] + run['store_s']):.1f} notes/s"
        )
    small, large = runs
    extra = large["notes"] - small["notes"]
    per = {k: (large[k] - small[k]) / extra for k in ("import_s", "triage_s", "store_s")}
    print(
        f"marginal, per note: import {per['import_s'] * 1000:.0f} ms; Spark triage {per['triage_s'] * 1000:.0f} ms "
        f"on {cores} cores = {per['triage_s'] * cores:.3f} core-s; store on the driver {per['store_s'] * 1000:.0f} ms"
    )
    for workers in (4, 16, 64):
        hours, storing = 1e6 * per["triage_s"] * cores / (workers * 4) / 3600, 1e6 * per["store_s"] / 3600
        print(f"1M notes on {workers} workers x 4 cores: triage ~{hours:.1f} h; store ~{storing:.1f} h")


if __name__ == "__main__":
    main()
