"""The log on PostgreSQL against the log on DuckDB, measured in the same run.

    python bench/bench_store.py [--notes N] [--repeat R]

Starts a PostgreSQL server on a temporary folder (tests/pg_server.py), then, each in a fresh process
on the same machine and the same notes:

1. `fieldsignal import` of N notes into a DuckDB workspace and into a PostgreSQL log (ratio);
2. cold `list` and `tally` of that log on each engine (ratio);
3. four `fieldsignal import` processes at once, N/4 notes each, into one PostgreSQL log, against
   one process importing all N (wall time ratio: what writing at once costs or saves on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_triage import line, median_run, run, texts  # noqa: E402

from tests.pg_server import PostgresServer, find_bin  # noqa: E402


def workspace(root: Path, name: str, url: str | None) -> dict[str, str]:
    home = root / name
    home.mkdir(parents=True)
    if url:
        (home / "config.toml").write_text(f'database_url = "{url}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIELDSIGNAL_", "OPENAI_"))}
    return {**env, "FIELDSIGNAL_HOME": str(home), "HF_HUB_OFFLINE": "1"}


def at_once(commands: list[tuple[list[str], dict[str, str]]]) -> float:
    start = time.perf_counter()
    procs = [subprocess.Popen(c, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c, e in commands]
    for p in procs:
        _, err = p.communicate()
        if p.returncode:
            raise SystemExit(err.decode()[-800:])
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--notes", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    folder = find_bin()
    if folder is None:
        raise SystemExit("PostgreSQL server binaries not found (set FIELDSIGNAL_PG_BIN)")
    server = PostgresServer(folder).start()
    fs = [sys.executable, "-m", "fieldsignal"]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            batch = texts(args.notes)
            everything = root / "all"
            everything.mkdir()
            for i, text in enumerate(batch):
                (everything / f"{i:04d}.txt").write_text(text, encoding="utf-8")
            duck = workspace(root, "duck", None)
            pg = workspace(root, "pg", server.new_database())
            run([*fs, "add", "warm up the caches: the model export and the triage heads"], duck)
            duck_s, _ = run([*fs, "import", str(everything)], duck)
            pg_s, _ = run([*fs, "import", str(everything)], pg)
            reads = {
                cmd: (median_run([*fs, cmd], duck, args.repeat)[0], median_run([*fs, cmd], pg, args.repeat)[0])
                for cmd in ("list", "tally")
            }
            shared = server.new_database()
            writers = [workspace(root, f"writer{i}", shared) for i in range(4)]
            paths = sorted(str(p) for p in everything.iterdir())
            four_s = at_once([([*fs, "import", *paths[i::4]], writers[i]) for i in range(4)])
    finally:
        server.stop()
    line(f"import of {args.notes} notes: PostgreSQL / DuckDB", f"{pg_s:.1f} s / {duck_s:.1f} s = {pg_s / duck_s:.2f}x",
         "<= 1.25x", pg_s / duck_s <= 1.25)  # fmt: skip
    for cmd, (d, p) in reads.items():
        line(f"cold `{cmd}` of that log: PostgreSQL / DuckDB", f"{p:.2f} s / {d:.2f} s = {p / d:.2f}x", "<= 1.25x",
             p / d <= 1.25)  # fmt: skip
    line(f"4 writers at once, {args.notes // 4} notes each (PostgreSQL)",
         f"{four_s:.1f} s vs 1 writer {pg_s:.1f} s = {four_s / pg_s:.2f}x", "(reported; 2 cores)", True)  # fmt: skip
    print(f"(reads: median of {args.repeat} fresh processes; imports: one fresh process each)")


if __name__ == "__main__":
    main()
