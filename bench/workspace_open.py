"""What opening a workspace costs the parts that are not notes: a new log, and the triage assembled again.

    python bench/workspace_open.py

- a new DuckDB log: attach a fresh file and apply every migration (a test, a demo, an eval's workspace), p50 of 8;
- the triage assembled again, as a server does after each review (nothing learnt here), p50 of 8: with the corpus
  model kept read by the process (shipped), and with its file read again each time (as before 2026-12-07).
Reads the bundled-encoder model (`FIELDSIGNAL_TUNE_ENCODER=false fieldsignal train` builds it).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def p50_ms(run: Callable[[], None], times: int = 8) -> float:
    out = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        out.append((time.perf_counter() - started) * 1000)
    return statistics.median(out)


def main() -> None:
    from fieldsignal.settings import load_settings
    from fieldsignal.store import attached, db
    from fieldsignal.triage import shipped
    from fieldsignal.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        made = iter(range(1000))

        def new_log() -> None:
            con = attached.attach(Path(tmp) / f"log-{next(made)}.duckdb", read_only=False)
            try:
                db.migrate(con)
            finally:
                attached.close(con)

        new_log()  # DuckDB's first instance in the process
        print(f"a new log, every migration: p50 {p50_ms(new_log):.1f} ms")

        ws = Workspace(load_settings(env={}, home=Path(tmp) / "ws", tune_encoder=False))
        ws.triage_ready()

        def again() -> None:
            ws.parts.forget_triage()
            assert ws.parts.triage is not None

        def read_again() -> None:
            shipped._LOADED.clear()
            again()

        for _ in range(2):  # alternated
            print(f"the triage assembled again, its model kept read: p50 {p50_ms(again):.0f} ms")
            print(f"the triage assembled again, its model file read again: p50 {p50_ms(read_again):.0f} ms")


if __name__ == "__main__":
    main()
