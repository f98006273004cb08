"""Backfill throughput: Spark local[N] against a single-process import of the same notes.

    python bench/backfill_speed.py [--notes 400] [--master local[2]]

Writes N corpus notes as one JSONL file, then, each in a fresh process and a fresh workspace (process
start and model load included, the model already built and cached):
  import     `fieldsignal import notes.jsonl`
  backfill   `fieldsignal backfill notes.jsonl --master local[2] --no-store` (triage on Spark only), then
  store      `fieldsignal backfill OUTPUT` (the same triaged notes stored in the log, on the driver)
and prints notes/s for each, plus the measured cost per note behind the estimate for 1M notes on a
cluster (Spark's executors scale with cores; storing in the log runs on one machine).
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=400)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    rows = [json.loads(line) for line in (ROOT / "data/corpus/corpus.jsonl").read_text().splitlines()][: args.notes]
    cores = int(re.sub(r"\D", "", args.master) or os.cpu_count() or 1)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        notes = tmp / "notes.jsonl"
        notes.write_text("".join(json.dumps({"text": r["text"], "date": r["date"]}) + "\n" for r in rows))
        timed(["train"], tmp / "warm")  # the model is built (or found cached) before anything is timed
        single = timed(["import", str(notes)], tmp / "import")
        spark = timed(
            ["backfill", str(notes), "--master", args.master, "--output", str(tmp / "out"), "--no-store"], tmp / "bf"
        )
        store = timed(["backfill", str(tmp / "out"), "--master", args.master], tmp / "bf")
    n = len(rows)
    triage_core_s = spark * cores / n  # core-seconds per note on the executors (start-up included: an upper bound)
    store_s = store / n
    seconds = {"import_s": round(single, 1), "backfill_triage_s": round(spark, 1), "backfill_store_s": round(store, 1)}
    print(json.dumps({"notes": n, "master": args.master, **seconds}))
    print(f"import (one process):            {n / single:6.1f} notes/s")
    print(f"backfill triage on {args.master}:  {n / spark:6.1f} notes/s  ({spark / single:.2f}x the import's time)")
    print(f"backfill triage + store:         {n / (spark + store):6.1f} notes/s")
    print(f"per note: {triage_core_s:.3f} core-s to triage on Spark, {store_s * 1000:.1f} ms to store on the driver")
    for workers, per in ((4, 4), (16, 4), (64, 4)):
        hours, storing = 1_000_000 * triage_core_s / (workers * per) / 3600, 1_000_000 * store_s / 3600
        print(f"1M notes on {workers} workers x {per} cores: triage ~{hours:.1f} h; store ~{storing:.1f} h")


if __name__ == "__main__":
    main()
