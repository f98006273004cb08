"""The Chroma index is derived from DuckDB: damage to it is repaired, never a traceback.

Real DuckDB files, real Chroma folders; the CLI in this process through Typer's runner, and in real
processes where another process is the point (an import killed for real, a reindex under a running one).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from fieldsignal.models import NoteInput
from fieldsignal.settings import load_settings
from fieldsignal.vectorstore.index import ChromaIndex
from fieldsignal.web.app import create_app
from fieldsignal.workspace import Workspace
from tests.conftest import run_cli

GAPS = (
    "needs a WAF in front of the app",
    "wants custom domains like apps.{c}.com",
    "needs private link into their VPC",
    "is blocked until SSO with Okta works",
)


NOTES = 24  # one imported workspace serves every test (an import in a process of its own takes seconds)


def note(i: int) -> str:
    return f"Wren{i} Foods {GAPS[i % len(GAPS)].format(c=f'wren{i}')} before go-live; deal {i} is worth ${i % 7 + 1}0k"


def run(*args: str, home: Path, process: bool = False) -> subprocess.CompletedProcess[str]:
    """`fieldsignal ARGS` on HOME with the hashing embedder: in this process (Typer's runner), or in a child
    process where another process is the point."""
    return run_cli(*args, home=home, process=process)


def duck_ids(home: Path) -> set[int]:
    con = duckdb.connect(str(home / "fieldsignal.duckdb"), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT id FROM signals").fetchall()}
    finally:
        con.close()


def chroma_ids(home: Path) -> set[int]:
    index = ChromaIndex(home / "chroma")
    try:
        return {int(i) for i in index.ids("signals")}
    finally:
        index.close()


def _import(folder: Path, n: int) -> Path:
    home = folder / "ws"
    rows = folder / "notes.jsonl"
    rows.write_text("".join(json.dumps({"text": note(i), "date": "2026-10-07"}) + "\n" for i in range(n)))
    done = run("import", str(rows), home=home)
    assert done.returncode == 0, done.stderr
    assert chroma_ids(home) == duck_ids(home) and len(duck_ids(home)) >= n
    return home


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Path]:
    """`imported(tmp_path)`: a workspace of NOTES notes imported by the CLI in a real process, once per module;
    each test gets its own copy of the folder (the bytes that import left)."""
    made: list[Path] = []

    def copy(tmp_path: Path) -> Path:
        if not made:
            made.append(_import(tmp_path_factory.mktemp("imported"), NOTES))
        home = tmp_path / "ws"
        shutil.copytree(made[0], home)
        assert chroma_ids(home) == duck_ids(home) and len(duck_ids(home)) >= NOTES
        return home

    return copy


def add_file(tmp_path: Path, text: str) -> str:
    """A one-note file: `import` opens the index (a paste with `add` leaves it to the next reader)."""
    path = tmp_path / f"note-{abs(hash(text))}.txt"
    path.write_text(text, encoding="utf-8")
    return str(path)


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr and "Error:" not in done.stderr, done.stderr[-3000:]


def sqlite_file(home: Path) -> Path:
    return home / "chroma" / "chroma.sqlite3"


def garbage(home: Path) -> None:
    sqlite_file(home).write_bytes(os.urandom(8192))


def truncated(home: Path) -> None:
    with sqlite_file(home).open("r+b") as f:
        f.truncate(sqlite_file(home).stat().st_size // 3)


def zeroed(home: Path) -> None:
    sqlite_file(home).write_bytes(b"")


def segments_garbled(home: Path) -> None:
    for path in (home / "chroma").glob("*/*.bin"):
        path.write_bytes(os.urandom(512))


def folder_is_a_file(home: Path) -> None:
    import shutil

    shutil.rmtree(home / "chroma")
    (home / "chroma").write_text("not a folder")


def folder_gone(home: Path) -> None:
    import shutil

    shutil.rmtree(home / "chroma")


DAMAGE: dict[str, Callable[[Path], None]] = {
    "garbage-sqlite": garbage,
    "truncated-sqlite": truncated,
    "empty-sqlite": zeroed,
    "garbled-segments": segments_garbled,
    "folder-is-a-file": folder_is_a_file,
    "folder-gone": folder_gone,
}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_reindex_rebuilds_whatever_state_the_folder_is_in(
    imported: Callable[[Path], Path], tmp_path: Path, damage: str
) -> None:
    home = imported(tmp_path)
    stored = duck_ids(home)
    DAMAGE[damage](home)
    done = run("reindex", home=home)
    no_traceback(done)
    assert done.returncode == 0
    assert done.stdout.strip().startswith(f"indexed {len(stored)} signals")
    assert chroma_ids(home) == stored
    assert not list(home.glob("chroma.old-*"))  # the damaged copy does not pile up


@pytest.mark.parametrize("damage", ["garbage-sqlite", "truncated-sqlite"])
def test_a_damaged_index_never_crashes_a_command_it_is_rebuilt(
    imported: Callable[[Path], Path], tmp_path: Path, damage: str
) -> None:
    home = imported(tmp_path)
    DAMAGE[damage](home)
    done = run("import", add_file(tmp_path, "Zephyr Pay infosec blocks go-live until a WAF sits in front"), home=home)
    no_traceback(done)
    assert done.returncode == 0
    warnings = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and "rebuilt it from the log" in warnings[0], done.stderr
    assert chroma_ids(home) == duck_ids(home)
    DAMAGE[damage](home)
    asked = run("ask", "anything about zephyr and firewalls?", home=home)  # falls back to the closest signals
    no_traceback(asked)
    assert asked.returncode in (0, 1) and "could not be" not in asked.stdout


def test_signals_missing_from_the_index_are_re_added_with_one_warning(
    imported: Callable[[Path], Path], tmp_path: Path
) -> None:
    home = imported(tmp_path)
    stored = duck_ids(home)
    lost = sorted(stored)[-12:]  # as if the import died between its last DuckDB commit and the index update
    index = ChromaIndex(home / "chroma")
    index.delete("signals", [str(i) for i in lost])
    index.close()
    assert chroma_ids(home) == stored - set(lost)
    done = run("import", add_file(tmp_path, "Zephyr Pay infosec blocks go-live until a WAF sits in front"), home=home)
    no_traceback(done)
    warnings = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1, done.stderr
    assert f"held {len(stored) - 12 + 1} signals" in warnings[0] and "re-added 12 from the log" in warnings[0]
    assert chroma_ids(home) == duck_ids(home)
    again = run("import", add_file(tmp_path, "Quill Ltd wants custom domains for its portal"), home=home)
    assert again.returncode == 0 and not again.stderr.strip()  # whole again: silent


def test_an_import_killed_after_a_commit_is_repaired_on_the_next_command(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    rows = tmp_path / "notes.jsonl"
    rows.write_text("".join(json.dumps({"text": note(i)}) + "\n" for i in range(640)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIELDSIGNAL_", "OPENAI_"))}
    env |= {"FIELDSIGNAL_HOME": str(home), "FIELDSIGNAL_EMBEDDER": "hashing", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "fieldsignal", "import", str(rows)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:  # kill it right after its first commit lands
            if (home / "fieldsignal.duckdb").exists():
                try:
                    if duck_ids(home):
                        break
                except duckdb.Error:
                    pass  # the importer holds the file: look again
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    before = (len(duck_ids(home)), len(chroma_ids(home)) if (home / "chroma").exists() else 0)
    print(f"after the kill: DuckDB {before[0]} signals, Chroma {before[1]}")
    assert 0 < before[0] < 640
    done = run("import", add_file(tmp_path, "Zephyr Pay infosec blocks go-live until a WAF sits in front"), home=home)
    no_traceback(done)
    assert done.returncode == 0
    assert chroma_ids(home) == duck_ids(home)
    if before[0] != before[1]:
        assert "re-added" in done.stderr


def test_a_paste_leaves_the_index_to_its_next_reader_which_adds_it_silently(
    imported: Callable[[Path], Path], tmp_path: Path
) -> None:
    home = imported(tmp_path)
    before = chroma_ids(home)
    pasted = run("add", "Zephyr Pay infosec blocks go-live until a WAF sits in front of the app", home=home)
    assert pasted.returncode == 0 and not pasted.stderr.strip(), pasted.stderr
    assert chroma_ids(home) == before and len(duck_ids(home)) > len(before)  # stored, not yet indexed
    assert (home / ".index-pending").exists()
    done = run("import", add_file(tmp_path, "Quill Ltd wants custom domains for its portal"), home=home)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr  # an expected gap: no warning
    assert chroma_ids(home) == duck_ids(home)
    assert not (home / ".index-pending").exists()


def test_ids_duckdb_does_not_have_are_dropped(tmp_path: Path) -> None:
    settings = load_settings(env={}, home=tmp_path / "ws", embedder="hashing")
    Workspace(settings).add_notes([NoteInput(text=note(i)) for i in range(6)])
    settings.db_path.unlink()  # the source of truth was replaced: the index must follow it
    ws = Workspace(settings)
    ws.add_notes([NoteInput(text=note(i)) for i in range(100, 103)])
    assert {int(i) for i in ws.index.ids("signals")} == duck_ids(settings.home)


def test_one_index_keeps_its_collection_handles_across_a_reset(tmp_path: Path) -> None:
    """The index gets each collection's handle once; a reset (delete and create again, as a reindex in the
    process does) drops the handles, so later reads and writes reach the new collection, not a deleted one."""
    import numpy as np

    index = ChromaIndex(tmp_path / "chroma")
    try:
        vectors = np.eye(3, dtype=np.float32)
        meta = [{"note_id": i} for i in range(3)]
        index.upsert("signals", ["1", "2", "3"], vectors, meta, ["a", "b", "c"])
        assert set(index.nearest("signals", vectors[0], 2)) <= {"1", "2", "3"} and index.count("signals") == 3
        index.reset()
        assert index.count("signals") == 0
        index.upsert("signals", ["7"], vectors[:1], meta[:1], ["again"])
        assert list(index.nearest("signals", vectors[0], 1)) == ["7"] and index.ids("signals") == {"7"}
    finally:
        index.close()


@pytest.mark.parametrize("kind", ["chroma", "memory"])
def test_a_batch_of_nearest_queries_finds_what_each_query_finds(tmp_path: Path, kind: str) -> None:
    """`nearest_each` (a batch's duplicate candidates, one call) gives, vector by vector, what `nearest` gives."""
    import numpy as np

    from fieldsignal.vectorstore.index import MemoryIndex

    index = ChromaIndex(tmp_path / "chroma") if kind == "chroma" else MemoryIndex()
    try:
        rng = np.random.default_rng(7)
        stored = rng.normal(size=(40, 16)).astype(np.float32)
        stored /= np.linalg.norm(stored, axis=1, keepdims=True)
        index.upsert("signals", [str(i) for i in range(40)], stored, [{"note_id": i} for i in range(40)], ["x"] * 40)
        queries = list(stored[:5] + 0.1 * rng.normal(size=(5, 16)).astype(np.float32))
        each = index.nearest_each("signals", queries, 4)
        alone = [index.nearest("signals", q, 4) for q in queries]
        assert [sorted(found) for found in each] == [sorted(found) for found in alone]
        assert all(str(i) in found for i, found in enumerate(each))  # each query's own neighbour among them
        for found, single in zip(each, alone, strict=True):
            for key, vector in found.items():
                np.testing.assert_allclose(vector, single[key], atol=1e-6)
        assert index.nearest_each("signals", [], 4) == []
    finally:
        index.close()


def test_the_server_checks_the_index_when_it_starts(
    imported: Callable[[Path], Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = imported(tmp_path)
    index = ChromaIndex(home / "chroma")
    index.delete("signals", [str(i) for i in sorted(duck_ids(home))[:5]])
    index.close()
    settings = load_settings(env={}, home=home, embedder="hashing")
    app = create_app(settings)
    ws = app.state.workspace
    with TestClient(app), caplog.at_level(logging.WARNING, logger="fieldsignal.index"):
        deadline = time.monotonic() + 15
        while not ws.vector_index.checked and time.monotonic() < deadline:
            time.sleep(0.05)
    assert ws.vector_index.checked, "the server did not check the index when it started"
    assert {int(i) for i in ws.index.ids("signals")} == duck_ids(home)
    assert any("re-added 5 from the log" in r.getMessage() for r in caplog.records)


def test_a_long_running_workspace_follows_a_reindex_done_by_another_process(
    imported: Callable[[Path], Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The server keeps its index open; `fieldsignal reindex` elsewhere replaces the folder under it."""
    home = imported(tmp_path)
    ws = Workspace(load_settings(env={}, home=home, embedder="hashing"))
    assert {int(i) for i in ws.index.ids("signals")} == duck_ids(home)
    done = run("reindex", home=home, process=True)
    assert done.returncode == 0, done.stderr
    with caplog.at_level(logging.WARNING, logger="fieldsignal.index"):
        report = ws.add_notes([NoteInput(text=note(500))])  # into the new folder: reopened, not rebuilt
    assert report.signals_added and not report.warnings and not caplog.records
    ws.vector_index.close()
    assert chroma_ids(home) == duck_ids(home)
