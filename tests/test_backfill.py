"""Backfills on Spark (local[2], Java 17): the same signals as an import, a re-run that adds nothing,
bad rows reported without failing the job, an earlier output stored elsewhere."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldsignal.backfill import job
from fieldsignal.cache import cache_dir
from fieldsignal.settings import Settings
from fieldsignal.workspace import Workspace
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.model
NOTES = 64


@pytest.fixture(scope="module", autouse=True)
def spark() -> Iterator[Any]:
    """The module's local Spark (the CLI test's backfill finds it running). Its JVM lives for seconds, so it
    compiles with the quick JIT only and collects with one thread: the module takes about 30 CPU-seconds
    instead of 45 on 2 cores (the job itself is the same). And it maps the classes it loads from an archive
    (Java's class-data sharing, `class_archive`) instead of reading and checking them again: the module's JVM
    took 14-16 CPU-seconds instead of 18-25 (runs alone, with and without the archive)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")  # read as the JVM starts
        env.setenv("SPARK_SUBMIT_OPTS", class_archive())  # the driver's JVM only, not spark-class's launcher
        session = job.session("local[2]")
    yield session
    session.stop()


def class_archive() -> str:
    """The JVM option that maps the archive of the classes Spark's driver loads (under the cache folder, keyed
    by this Java and this Spark), or, when there is none yet, writes it as that JVM exits (at the end of the
    test process). A JVM that finds the archive unusable (another Java, other jars) runs without it."""
    import pyspark

    java = shutil.which("java")
    origin = Path(java).resolve() if java else Path("java")
    key = f"{pyspark.__version__}-{origin}-{origin.stat().st_mtime_ns if origin.exists() else 0}"
    archive = cache_dir() / "spark-classes" / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.jsa"
    if archive.is_file():
        return f"-XX:+VerifySharedSpaces -XX:SharedArchiveFile={archive}"
    archive.parent.mkdir(parents=True, exist_ok=True)
    return f"-XX:+VerifySharedSpaces -XX:ArchiveClassesAtExit={archive}"


@pytest.fixture
def notes_file(tmp_path: Path) -> Path:
    """64 field notes as a JSONL export, with a line that is not JSON and a row with no text among them."""
    rows = [json.loads(line) for line in (ROOT / "data/eval/test.jsonl").read_text().splitlines()]
    lines = []
    for number, row in enumerate(rows[:NOTES]):
        lines.append(json.dumps({"text": row["text"], "date": row.get("date"), "author": f"sa-{number % 5}"}))
        if number == 10:
            lines.append('{"text": "a row cut short')
        if number == 20:
            lines.append(json.dumps({"text": "  ", "date": "2026-03-01"}))
    path = tmp_path / "notes.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def signals(ws: Workspace) -> list[dict[str, Any]]:
    return [s.model_dump(exclude={"created_at"}) for s in ws.list_signals()]


def test_a_backfill_stores_the_signals_an_import_stores_and_a_rerun_adds_nothing(
    spark: Any, notes_file: Path, model_settings: Settings, tmp_path: Path
) -> None:
    from fieldsignal.ingest import read_paths

    imported = Workspace(model_settings.model_copy(update={"home": tmp_path / "imported"}))
    by_import = imported.add_notes(read_paths([notes_file]))
    backfilled = Workspace(model_settings.model_copy(update={"home": tmp_path / "backfilled"}))
    out = tmp_path / "out"

    result = job.run(backfilled, [str(notes_file)], out, master="local[2]")

    assert (result.rows, result.triaged, result.known, result.failed) == (NOTES + 2, NOTES, 0, 2)
    assert result.report.notes_added == by_import.notes_added == NOTES
    expected = signals(imported)
    assert len(expected) >= NOTES and signals(backfilled) == expected  # field by field, ids and links included
    assert imported.embedder.computed >= NOTES and backfilled.embedder.computed == 0  # vectors from the executors
    errors = [f.error for f in result.report.failures]  # in file order
    assert len(errors) == 2 and "not a JSON object" in errors[0] and "empty note" in errors[1]
    assert all(e.startswith("notes.jsonl: ") for e in errors)
    tables = spark.read.parquet(str(out / "signals"))
    assert tables.count() == sum(
        len(json.loads(r.result)["signals"]) for r in spark.read.parquet(str(out / "notes")).collect() if r.result
    )
    assert json.loads((out / job.MARKER).read_text())["triaged"] == NOTES

    again = job.run(backfilled, [str(notes_file)], tmp_path / "again", master="local[2]")
    assert (again.triaged, again.known, again.report.notes_added) == (0, NOTES, 0)
    assert signals(backfilled) == expected

    elsewhere = Workspace(model_settings.model_copy(update={"home": tmp_path / "elsewhere"}))
    loaded = job.load(elsewhere, out, master="local[2]")
    assert loaded.report.notes_added == NOTES and signals(elsewhere) == expected
    assert job.load(elsewhere, out, master="local[2]").report.notes_added == 0


def test_the_cli_backfills_and_says_what_failed(notes_file: Path, tmp_path: Path) -> None:
    home = tmp_path / "ws"
    out = tmp_path / "out"
    first = run_cli("backfill", str(notes_file), "--master", "local[2]", "--output", str(out), "--json", home=home)
    assert first.returncode == 1, first.stderr  # two rows failed: reported, the rest stored
    body = json.loads(first.stdout)
    assert body["backfill"]["triaged"] == NOTES and body["backfill"]["failed"] == 2
    assert body["report"]["notes_added"] == NOTES and len(body["report"]["failures"]) == 2
    listed = json.loads(run_cli("list", "--json", home=home).stdout)
    assert len(listed) == body["report"]["signals_added"]

    missing = run_cli("backfill", str(tmp_path / "nope.jsonl"), home=home)
    assert missing.returncode == 1 and "no such file or folder" in missing.stderr
    assert len(json.loads(run_cli("list", "--json", home=home).stdout)) == len(listed)  # nothing lost
