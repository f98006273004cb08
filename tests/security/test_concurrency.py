"""Concurrent writers and slow LLM calls: real DuckDB files, real Chroma, real processes.

- Writers that race on the same notes wait or skip the known ones; none crashes, no batch is lost.
- No DuckDB connection (nor the process lock) is held while an LLM call is in flight: a CLI write
  from another process succeeds while a slow triage assist or memo polish is waiting on the model.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from fieldsignal.ingest.text import content_hash
from fieldsignal.models import NoteInput
from fieldsignal.settings import load_settings
from fieldsignal.vectorstore.index import ChromaIndex
from fieldsignal.web.app import create_app
from fieldsignal.workspace import Workspace
from tests.fake_openai import FakeOpenAI, Reply

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "X-Fieldsignal-User": "ana"}
GAPS = (
    "needs a WAF in front of the app",
    "wants custom domains like apps.{c}.com",
    "needs private link into their VPC",
    "is blocked until SSO with Okta works",
    "wants more than 4 vCPU per app",
)


def note(i: int) -> str:
    return f"Acme{i} Corp {GAPS[i % len(GAPS)].format(c=f'acme{i}')} before go-live; deal {i} is worth ${i % 9 + 1}0k"


def env(home: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FIELDSIGNAL_", "OPENAI_"))}
    return (
        base
        | {
            "FIELDSIGNAL_HOME": str(home),
            "FIELDSIGNAL_EMBEDDER": "hashing",
            "HF_HUB_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            "COLUMNS": "200",
        }
        | extra
    )


def cli(*args: str, home: Path, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "fieldsignal", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(home, **extra),
    )


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def counts(home: Path) -> dict[str, Any]:
    con = duckdb.connect(str(home / "fieldsignal.duckdb"), read_only=True)
    try:
        return {
            "notes": con.execute("SELECT count(*) FROM notes").fetchone()[0],
            "hashes": {r[0] for r in con.execute("SELECT hash FROM notes").fetchall()},
            "signals": con.execute("SELECT count(*) FROM signals").fetchone()[0],
            "vectorless": con.execute(
                "SELECT count(*) FROM signals s LEFT JOIN signal_vectors v ON v.signal_id = s.id "
                "LEFT JOIN embeddings e ON e.hash = v.hash WHERE e.hash IS NULL"
            ).fetchone()[0],
        }
    finally:
        con.close()


def chroma_count(home: Path) -> int:
    index = ChromaIndex(home / "chroma")
    try:
        return index.count("signals")
    finally:
        index.close()


def write_jsonl(path: Path, numbers: range | list[int]) -> Path:
    path.write_text("".join(json.dumps({"text": note(i), "date": "2026-10-05"}) + "\n" for i in numbers))
    return path


# ---------------------------------------------------------------- two writers
def test_two_overlapping_cli_imports_store_every_note_once(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    shared = list(range(0, 96))  # both imports start with the same 96 notes, in the same order
    a = write_jsonl(tmp_path / "a.jsonl", [*shared, *range(96, 128)])
    b = write_jsonl(tmp_path / "b.jsonl", [*shared, *range(128, 160)])
    procs = [cli("import", str(a), "--json", home=home), cli("import", str(b), "--json", home=home)]
    done = [finish(p) for p in procs]
    for code, _, err in done:
        assert code == 0, err[-2000:]
        assert "Traceback" not in err and "ConstraintException" not in err
        assert "warning" not in err  # a live writer's pending index update is not an "interrupted import"
    reports = [json.loads(out)["report"] for _, out, _ in done]
    stored = counts(home)
    print(f"2 overlapping imports of 128 notes each (160 distinct): stored {stored['notes']}")
    assert stored["hashes"] == {content_hash(note(i)) for i in range(160)}  # every note, once
    assert sum(r["notes_added"] for r in reports) == 160
    assert sum(r["notes_added"] + r["notes_skipped_duplicate"] for r in reports) == 256
    assert sum(r["signals_added"] for r in reports) == stored["signals"]
    assert stored["vectorless"] == 0
    assert chroma_count(home) == stored["signals"]


def test_a_note_stored_by_another_writer_mid_batch_is_skipped_and_the_batch_kept(tmp_path: Path) -> None:
    """The other writer stores 3 of the 10 notes after this one read the known hashes (while its LLM call runs)."""
    notes = [NoteInput(text=note(i)) for i in range(10)]
    fake = FakeOpenAI().start()
    other = Workspace(load_settings(env={}, home=tmp_path / "ws", embedder="hashing"))
    stored_meanwhile: list[Any] = []

    def respond(body: dict[str, Any]) -> Reply:
        if not stored_meanwhile:  # first request: this writer has triaged and is waiting on the model
            stored_meanwhile.append(other.add_notes(notes[2:5]))
        return Reply(json.dumps({"signals": [{"signal_type": "Product Gap", "gap": "no-firewall"}], "deal": {}}))

    fake.responder = respond
    try:
        settings = load_settings(
            env={},
            home=tmp_path / "ws",
            embedder="hashing",
            llm_model="fake-model",
            llm_base_url=fake.base_url,
            llm_api_key="sk-test",
            llm_use="always",
            llm_concurrency=1,
        )
        report = Workspace(settings).add_notes(notes)
    finally:
        fake.stop()
    assert stored_meanwhile[0].notes_added == 3
    assert (report.notes_added, report.notes_skipped_duplicate, report.failures) == (7, 3, [])
    stored = counts(tmp_path / "ws")
    assert stored["hashes"] == {content_hash(n.text) for n in notes}
    assert stored["signals"] == report.signals_added + stored_meanwhile[0].signals_added
    assert stored["vectorless"] == 0
    assert chroma_count(tmp_path / "ws") == stored["signals"]


def test_twenty_parallel_identical_api_posts_all_succeed_and_store_one_note(tmp_path: Path) -> None:
    settings = load_settings(env={}, home=tmp_path / "ws", embedder="hashing", token=TOKEN)
    text = "Kestrel Bank needs a WAF in front of the app before go-live, $300k at risk"
    results: list[tuple[int, dict[str, Any]]] = []
    start = threading.Barrier(20)
    with TestClient(create_app(settings), raise_server_exceptions=False) as app:  # stopped before counting

        def post() -> None:
            start.wait()
            response = app.post("/api/notes", json={"text": text}, headers=AUTH)
            results.append((response.status_code, response.json()))

        threads = [threading.Thread(target=post) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert [code for code, _ in results] == [200] * 20
    assert sum(body["report"]["notes_added"] for _, body in results) == 1
    assert sum(body["report"]["notes_skipped_duplicate"] for _, body in results) == 19
    stored = counts(tmp_path / "ws")
    assert stored["notes"] == 1 and stored["vectorless"] == 0
    assert stored["signals"] == sum(body["report"]["signals_added"] for _, body in results)


def test_a_busy_database_is_one_clear_line_in_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    code, _, err = finish(cli("add", note(1), home=home))
    assert code == 0, err
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"con = duckdb.connect({str(home / 'fieldsignal.duckdb')!r})\n"
            "print('locked', flush=True)\ntime.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        code, _, err = finish(cli("status", "1", "Escalated", home=home, FIELDSIGNAL_LOCK_TIMEOUT_SECONDS="1"))
    finally:
        holder.kill()
        holder.wait()
    assert code == 1
    assert err.strip().count("\n") == 0 and "busy" in err and "Traceback" not in err


# ---------------------------------------------------------------- no lock across network calls
class SlowModel:
    """A fake OpenAI server that is still thinking until the test has made its writes (`answer()`), or
    for DELAY seconds at most; `arrived` is set when a request comes in."""

    def __init__(self) -> None:
        self.server = FakeOpenAI().start()
        self.arrived = threading.Event()
        self._answer = threading.Event()
        self.server.responder = self._respond

    def _respond(self, body: dict[str, Any]) -> Reply:
        self.arrived.set()
        self._answer.wait(DELAY)
        if "signal_log" in json.dumps(body):  # text-to-SQL for ask
            return Reply(json.dumps({"sql": "SELECT count(*) AS n FROM signal_log"}))
        return Reply(json.dumps({"signals": [{"signal_type": "Product Gap", "gap": "no-firewall"}], "deal": {}}))

    def answer(self) -> None:
        self._answer.set()


@pytest.fixture
def slow_llm() -> Iterator[SlowModel]:
    model = SlowModel()
    yield model
    model.answer()
    model.server.stop()


DELAY = 6.0
LLM_ENV = {
    "FIELDSIGNAL_LLM_MODEL": "fake-model",
    "FIELDSIGNAL_LLM_API_KEY": "sk-test",
    "FIELDSIGNAL_LLM_MAX_RETRIES": "0",
}


def timed_write(home: Path) -> tuple[float, int, str]:
    """A CLI write from another process: (seconds, exit code, stderr)."""
    started = time.monotonic()
    code, _, err = finish(cli("status", "1", "Escalated", "--note", "while the LLM thinks", home=home), timeout=60)
    return time.monotonic() - started, code, err


@pytest.mark.parametrize(
    "command",
    [
        ("add", "Zephyr Pay infosec blocks go-live until a WAF sits in front of the app", "--json"),
        ("memo", "weekly", "--week", "2026-W41"),
    ],
    ids=["triage-assist", "memo-polish"],
)
def test_a_cli_write_succeeds_while_another_process_waits_on_a_slow_llm(
    tmp_path: Path, slow_llm: SlowModel, command: tuple[str, ...]
) -> None:
    home = tmp_path / "ws"
    seed = Workspace(load_settings(env={}, home=home, embedder="hashing"))  # signal 1, offline
    assert seed.add_notes([NoteInput(text=note(3), date=dt.date(2026, 10, 6))]).signal_ids[0] == 1
    seed.vector_index.close()
    llm = {**LLM_ENV, "FIELDSIGNAL_LLM_BASE_URL": slow_llm.server.base_url, "FIELDSIGNAL_LLM_USE": "always"}
    slow = cli(*command, home=home, **llm)
    try:
        assert slow_llm.arrived.wait(60), "the LLM was never called"
        seconds, code, err = timed_write(home)
        still_waiting = slow.poll() is None
    finally:
        slow_llm.answer()
        slow_code, _, slow_err = finish(slow)
    print(f"{command[0]}: CLI write took {seconds:.2f}s while the model was thinking")
    assert code == 0 and "busy" not in err, err
    assert still_waiting  # the write finished before the model answered
    assert seconds < DELAY
    assert slow_code == 0, slow_err[-2000:]


SLOW_REQUESTS = {
    "memo-polish": ("/api/memos", {"kind": "weekly", "period": "2026-W41"}),
    "ask-text-to-sql": ("/api/ask", {"question": "zorblax quux frobnicate the widgets?"}),
}


@pytest.mark.parametrize("slow_request", list(SLOW_REQUESTS))
def test_the_server_takes_writes_while_a_slow_llm_call_runs(
    tmp_path: Path, slow_llm: SlowModel, slow_request: str
) -> None:
    home = tmp_path / "ws"
    settings = load_settings(
        env={},
        home=home,
        embedder="hashing",
        token=TOKEN,
        llm_model="fake-model",
        llm_base_url=slow_llm.server.base_url,
        llm_api_key="sk-test",
        llm_max_retries=0,
        llm_use="always",
    )
    app = TestClient(create_app(settings))
    Workspace(settings.model_copy(update={"llm_model": None})).add_notes([NoteInput(text=note(3))])
    slow: dict[str, Any] = {}
    path, body = SLOW_REQUESTS[slow_request]
    memo = threading.Thread(target=lambda: slow.update(r=app.post(path, json=body, headers=AUTH)))
    memo.start()
    try:
        assert slow_llm.arrived.wait(30), "the LLM was never called"
        started = time.monotonic()
        api = app.post("/api/signals/1/status", json={"status": "Acknowledged"}, headers=AUTH)
        api_seconds = time.monotonic() - started
        cli_seconds, code, err = timed_write(home)
        assert memo.is_alive()  # both writes finished while the model was still thinking
    finally:
        slow_llm.answer()
        memo.join(timeout=60)
    print(f"{slow_request}: API write {api_seconds:.2f}s, CLI write {cli_seconds:.2f}s while the model was thinking")
    assert api.status_code == 200 and api_seconds < 2
    assert code == 0 and cli_seconds < DELAY, err
    assert slow["r"].status_code == 200


def test_a_network_call_under_an_open_store_connection_is_refused(tmp_path: Path) -> None:
    """The guard the LLM paths call first: holding the store across a model call is a bug, caught at once."""
    from fieldsignal.store import open_store
    from fieldsignal.store.db import holding_store, release_before_network

    release_before_network("a call")  # nothing held: fine
    with open_store(tmp_path / "ws" / "fieldsignal.duckdb"):
        assert holding_store()
        with pytest.raises(RuntimeError, match="release the store first"):
            release_before_network("an LLM call")
    assert not holding_store()


def test_a_labelled_import_again_adds_nothing_and_never_crashes(tmp_path: Path) -> None:
    from fieldsignal.ingest.labelled import read_labelled
    from fieldsignal.settings import load_settings
    from fieldsignal.workspace import Workspace

    row = {"text": "Kestrel Bank closed lost to Vercel, $300k: no WAF.", "signal_type": "Loss", "gap": "no-firewall"}
    data = tmp_path / "log.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in (row, row, row | {"text": "Orrin Health signed, $90k."})) + "\n")
    ws = Workspace(load_settings(env={}, home=tmp_path / "ws", embedder="hashing", vectorstore="memory"))
    report = ws.import_labelled(list(read_labelled(data)))
    assert (report.notes_added, report.notes_skipped_duplicate, report.signals_added) == (3, 0, 3)  # rows as given
    again = ws.import_labelled(list(read_labelled(data)))
    assert (again.notes_added, again.notes_skipped_duplicate) == (0, 3)
