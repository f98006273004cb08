"""Throughput and latency of the triage, as ratios against baselines measured in the same run.

    python bench/bench_triage.py [--notes N] [--repeat R]

1. import: notes/s through Workspace.add_notes (read → segment → embed → classify →
   extract → DuckDB → Chroma) vs bare SentenceTransformer.encode of the same note texts.
2. warm latency: p50/p95 of triaging one unseen note in a warm process (and of add_notes,
   which also writes DuckDB and Chroma), vs one bare encode of that note.
3. cold wall time: `fieldsignal add "…"` and `fieldsignal list` as fresh processes,
   vs a bare Python that loads the model and encodes one sentence, and vs `python -c pass`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "fieldsignal" / "eval" / "data" / "dev.jsonl"


def texts(n: int) -> list[str]:
    rows = [json.loads(line)["text"] for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    out = []
    while len(out) < n:  # distinct texts so neither side hits a cache
        k = len(out) // len(rows)
        out += [f"{t} (#{k})" if k else t for t in rows][: n - len(out)]
    return out


def timed(fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def wall(cmd: list[str], env: dict[str, str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--notes", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from fieldsignal.ingest import note_from_text
    from fieldsignal.settings import load_settings
    from fieldsignal.vectorstore.embedder import MiniLMEmbedder
    from fieldsignal.workspace import Workspace

    notes_text = texts(args.notes)
    bare = MiniLMEmbedder()
    bare.encode(["warm up"])
    baseline_s, _ = timed(bare.encode, notes_text)

    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(load_settings(home=Path(tmp) / "ws"))
        ws.add_notes([note_from_text("warm up the workspace, the store and the index please")])
        notes = [note_from_text(t, source="bench") for t in notes_text]
        pipeline_s, report = timed(ws.add_notes, notes)
        assert report.notes_added == len(notes), report

        probe = [note_from_text(f"{t} [latency probe {i}]") for i, t in enumerate(texts(60))]
        triage_ms = [1000 * timed(ws.triage.triage, [n])[0] for n in probe[:30]]
        add_ms = [1000 * timed(ws.add_notes, [n])[0] for n in probe[30:]]
        encode_ms = [1000 * timed(bare.encode, [n.text + " x"])[0] for n in probe]

        env = {**os.environ, "FIELDSIGNAL_HOME": str(Path(tmp) / "ws")}
        fs = [sys.executable, "-m", "fieldsignal"]
        cold_add = wall([*fs, "add", "Orbis Freight wants the app reachable by drivers with no login, $90k"], env, 1)
        cold_add_more = [
            wall([*fs, "add", f"Orbis Freight asks again for a firewall, take {i}"], env, 1)
            for i in range(args.repeat - 1)
        ]
        cold_add = statistics.median([cold_add, *cold_add_more])
        cold_list = wall([*fs, "list", "--limit", "20"], env, args.repeat)
        bare_model = wall(
            [
                sys.executable,
                "-c",
                "from fieldsignal.vectorstore.embedder import MiniLMEmbedder;MiniLMEmbedder().encode(['one sentence'])",
            ],
            env,
            args.repeat,
        )
        bare_python = wall([sys.executable, "-c", "pass"], env, args.repeat)

    n = len(notes_text)
    p50 = statistics.median
    print(
        f"import throughput      {n / pipeline_s:7.1f} notes/s   bare encode {n / baseline_s:7.1f} notes/s   "
        f"ratio {baseline_s / pipeline_s:.2f}  ({n} notes)"
    )
    print(
        f"warm triage one note   p50 {p50(triage_ms):6.1f} ms  p95 {sorted(triage_ms)[int(0.95 * 29)]:6.1f} ms   "
        f"bare encode p50 {p50(encode_ms):5.1f} ms   ratio {p50(triage_ms) / p50(encode_ms):.2f}"
    )
    print(
        f"warm add one note      p50 {p50(add_ms):6.1f} ms (triage + DuckDB + Chroma)   "
        f"ratio to bare encode {p50(add_ms) / p50(encode_ms):.2f}"
    )
    print(
        f"cold `fieldsignal add` {cold_add:6.2f} s   bare model load+encode {bare_model:5.2f} s   "
        f"ratio {cold_add / bare_model:.2f}"
    )
    print(
        f"cold `fieldsignal list` {cold_list:5.2f} s   bare `python -c pass` {bare_python:5.2f} s   "
        f"ratio {cold_list / bare_python:.2f}"
    )


if __name__ == "__main__":
    main()
