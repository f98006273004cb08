"""The DuckDB statements a warm paste runs, as the web server pastes (a kept log connection, the index
written after answering), with their times.

    python bench/paste_statements.py [--pastes N] [--idle SECONDS]

Builds a workspace on the configured triage in a temporary folder, pastes 60 notes of data/eval/dev.jsonl as
its log and a few more to warm it, then traces N unseen pastes: every statement's SQL (shortened) and the
time its `execute` took, summed by statement, per paste, and how often the log file is attached (opened: a
kept connection is reused while it lingers, and a read-only one gives way to a write). Each statement costs
DuckDB its parse, plan and a trip through its engine (0.4-2 ms on a small log back to back, far more on
memory left alone: bench/machine_probe.py), so the count is the figure to read; `--idle S` sits S seconds
before each paste.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]


class Traced:
    """A store connection that records each statement it runs (while `on`)."""

    log: ClassVar[list[tuple[float, str]]] = []
    on = False
    attached = 0  # times the log file was attached (opened) while `on`

    def __init__(self, con: Any) -> None:
        object.__setattr__(self, "con", con)

    def execute(self, sql: str, *args: Any) -> Traced:
        started = time.perf_counter()
        self.con.execute(sql, *args)
        if Traced.on:
            Traced.log.append(((time.perf_counter() - started) * 1000, " ".join(str(sql).split())[:110]))
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pastes", type=int, default=20)
    ap.add_argument("--idle", type=float, default=0.0)
    args = ap.parse_args()

    from fieldsignal.models import NoteInput
    from fieldsignal.settings import load_settings
    from fieldsignal.store import attached
    from fieldsignal.store.db import close_idle
    from fieldsignal.web.app import LINGER_SECONDS  # as the server keeps its log connection
    from fieldsignal.workspace import Workspace

    attach, close = attached.attach, attached.close

    def traced_attach(path: Path, read_only: bool) -> Traced:
        started = time.perf_counter()
        con = Traced(attach(path, read_only))
        if Traced.on:
            Traced.attached += 1
            Traced.log.append(((time.perf_counter() - started) * 1000, f"(attach the log, read_only={read_only})"))
        return con

    attached.attach = traced_attach
    attached.close = lambda con: close(con.con if isinstance(con, Traced) else con)

    rows = [json.loads(line)["text"] for line in (ROOT / "data/eval/dev.jsonl").read_text().splitlines() if line]
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(env=dict(os.environ), home=Path(tmp) / "ws")
        ws = Workspace(settings, linger=LINGER_SECONDS, index_later=True)
        ws.add_notes([NoteInput(text=t) for t in rows[:60]])
        for i in range(5):
            ws.add_notes([NoteInput(text=f"{rows[60 + i]} (warm-up {i})")])
        for i in range(args.pastes):
            if args.idle:
                ws.settle_index()
                time.sleep(args.idle)
            Traced.on = True
            ws.add_notes([NoteInput(text=f"{rows[70 + i % 100]} (paste {i})")])
            Traced.on = False
        ws.settle_index()
        ws.vector_index.close()
        close_idle()
    by_sql: dict[str, list[float]] = collections.defaultdict(list)
    for ms, sql in Traced.log:
        by_sql[sql].append(ms)
    n = args.pastes
    total = sum(ms for ms, _ in Traced.log)
    statements = len(Traced.log) - Traced.attached
    print(f"{statements / n:.1f} statements a paste, the log attached {Traced.attached / n:.1f} times a paste")
    print(f"{total / n:.1f} ms a paste in `execute` and attaching")
    for sql, times in sorted(by_sql.items(), key=lambda item: -sum(item[1])):
        print(f"{sum(times) / n:6.2f} ms  x{len(times) / n:.1f}  {sql}")


if __name__ == "__main__":
    main()
