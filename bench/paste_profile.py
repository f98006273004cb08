"""Where a warm paste's time goes, as the web server pastes (a kept log connection, the index written
after answering), sampled rather than traced (a tracing profiler inflates the many small calls).

    python bench/paste_profile.py [--log N] [--pastes N] [--idle SECONDS]

Builds a workspace on the configured triage (the tuned encoder unless FIELDSIGNAL_TUNE_ENCODER=false)
in a temporary folder, pastes N notes of data/eval/dev.jsonl as its log, then pastes unseen notes one at
a time, back to back, while a thread samples the pasting thread's stack every half millisecond. Prints
the p50 of the pastes (measured in a first round without the sampler) and, from the sampled round, the
milliseconds a paste spends in each part: the encoders (ONNX Runtime), the log (DuckDB statements), the
vector index (Chroma), the triage's own arithmetic and the rest.

`--idle S`: each paste (both rounds) comes S seconds after the last one's index write settled, as people paste
now and then; beside them, the same machine's time to touch 50 MB of memory after S seconds asleep (on this
machine memory left alone is slow to touch again: bench/machine_probe.py).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from machine_probe import touch_after  # this folder: memory left alone, touched again

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]

# The innermost frame that matches names the part (in this order: a DuckDB call made by the store is the log's).
PARTS = (
    ("encoders (ONNX Runtime)", ("onnxruntime/", "tokenizers/", "vectorstore/onnx_bert.py")),
    ("vector index (Chroma)", ("chromadb/", "vectorstore/index.py")),
    ("log (DuckDB statements)", ("fieldsignal/store/",)),
    ("triage (heads, tagger, linker)", ("fieldsignal/triage/",)),
    ("duplicates (scorer)", ("fieldsignal/dedupe/",)),
)


def part_of(frame: object) -> str:
    while frame is not None:
        name = frame.f_code.co_filename  # type: ignore[attr-defined]
        for part, marks in PARTS:
            if any(mark in name for mark in marks):
                return part
        frame = frame.f_back  # type: ignore[attr-defined]
    return "other"


def pause(ws: object, seconds: float) -> None:
    """Wait for the last paste's index write, then sit idle (nothing when `seconds` is 0)."""
    if seconds:
        ws.settle_index()  # type: ignore[attr-defined]
        time.sleep(seconds)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", type=int, default=60)
    ap.add_argument("--pastes", type=int, default=40)
    ap.add_argument("--idle", type=float, default=0.0, help="seconds between pastes (default: back to back)")
    args = ap.parse_args()

    from fieldsignal.models import NoteInput
    from fieldsignal.settings import load_settings
    from fieldsignal.store.db import close_idle
    from fieldsignal.web.app import LINGER_SECONDS  # as the server keeps its log connection
    from fieldsignal.workspace import Workspace

    rows = [json.loads(line)["text"] for line in (ROOT / "data/eval/dev.jsonl").read_text().splitlines() if line]
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(env=dict(os.environ), home=Path(tmp) / "ws")
        ws = Workspace(settings, linger=LINGER_SECONDS, index_later=True)
        ws.add_notes([NoteInput(text=t) for t in rows[: args.log]])
        probes = [f"{rows[args.log + i % 40]} (paste {i})" for i in range(2 * args.pastes + 5)]
        for text in probes[:5]:  # the server's own warm-up
            ws.add_notes([NoteInput(text=text)])
        timed = []
        for text in probes[5 : 5 + args.pastes]:
            pause(ws, args.idle)
            start = time.perf_counter()
            ws.add_notes([NoteInput(text=text)])
            timed.append((time.perf_counter() - start) * 1000)

        pasting, counts, done = threading.get_ident(), collections.Counter[str](), threading.Event()

        def sample() -> None:
            while not done.is_set():
                frame = sys._current_frames().get(pasting)
                if frame is not None:
                    counts[part_of(frame)] += 1
                time.sleep(0.0005)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        spent = 0.0
        for text in probes[5 + args.pastes :]:
            pause(ws, args.idle)
            start = time.perf_counter()
            ws.add_notes([NoteInput(text=text)])
            spent += time.perf_counter() - start
        per_paste = spent * 1000 / args.pastes
        done.set()
        sampler.join()
        ws.settle_index()
        ws.vector_index.close()
        close_idle()
    when = f"{args.idle:g} s after the last" if args.idle else "back to back"
    print(f"warm paste, {args.log}-note log, {when}: p50 {statistics.median(timed):.0f} ms (no sampler)")
    if args.idle:
        print(f"touching 50 MB after {args.idle:g} s asleep: {touch_after(args.idle):.0f} ms (median of 3)")
    total = sum(counts.values())
    print(f"sampled round: {per_paste:.0f} ms a paste (the sampler takes its share of the GIL), of which")
    for part, n in counts.most_common():
        print(f"  {n / total * per_paste:5.1f} ms  {n / total:5.1%}  {part}")


if __name__ == "__main__":
    main()
