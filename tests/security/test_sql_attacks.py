"""Item 2 (file read through text-to-SQL) and the ask half of item 6 (no lock across the model call).

A loopback OpenAI-protocol server plays an attacker's model: it answers with whatever SQL the test
chooses, and the answer must never carry a file's rows, raw note text or anything outside the view.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from fieldsignal.agent.text_to_sql import UnsafeSQL, run_limited, validate
from fieldsignal.models import NoteInput
from fieldsignal.store.sandbox import snapshot
from fieldsignal.workspace import Workspace
from tests.fake_openai import FakeOpenAI, Reply, llm_settings

TODAY = dt.date(2026, 11, 25)
NOTE = "Kestrel Bank closed lost, $300k: infosec wanted a WAF in front of the app. They went with Vercel."
SECRET_ROW = "top-secret-row-4711"


@pytest.fixture
def secrets(tmp_path: Path) -> Path:
    folder = tmp_path / "secrets"
    folder.mkdir()
    (folder / "secret.csv").write_text(f"name,value\nkey,{SECRET_ROW}\n")
    (folder / "secret.json").write_text(json.dumps([{"value": SECRET_ROW}]))
    return folder


def workspace(tmp_path: Path, fake: FakeOpenAI, **extra: Any) -> Workspace:
    values: dict[str, Any] = {"llm_model": "attacker", "llm_use": "uncertain", "llm_timeout_seconds": 5.0}
    return Workspace(llm_settings(tmp_path, fake, **(values | {"llm_max_retries": 0} | extra)))


def seeded(tmp_path: Path, fake: FakeOpenAI) -> Workspace:
    offline = workspace(tmp_path, fake, llm_use="never")
    offline.add_notes([NoteInput(text=NOTE)])
    return workspace(tmp_path, fake)


def attacks(folder: Path) -> list[str]:
    csv, js = folder / "secret.csv", folder / "secret.json"
    return [
        f'WITH "{csv}" AS (SELECT * FROM \'{csv}\') SELECT * FROM "{csv}"',
        f'WITH "{js}" AS (SELECT * FROM \'{js}\') SELECT * FROM "{js}"',
        f'WITH "{folder}/*.csv" AS (SELECT * FROM \'{folder}/*.csv\') SELECT * FROM "{folder}/*.csv"',
        f"SELECT * FROM '{csv}'",
        f"SELECT * FROM read_csv('{csv}')",
        f"SELECT id FROM signal_log UNION ALL SELECT value FROM '{csv}'",
        f"SELECT id, (SELECT max(value) FROM '{csv}') AS v FROM signal_log",
        "WITH notes AS (SELECT * FROM notes) SELECT * FROM notes",
        "WITH signal_log AS (SELECT * FROM notes) SELECT * FROM signal_log",
        "SELECT * FROM main.notes",
        "SELECT text FROM notes",
        "WITH x AS (SELECT * FROM signals) SELECT * FROM x",
        "SELECT * FROM duckdb_settings()",
        "SELECT current_setting('home_directory') AS id FROM signal_log",
        "SELECT count(*) AS id FROM range(100000000)",
        "SELECT length(repeat('x', 1500000000)) AS id FROM signal_log",
        "WITH RECURSIVE r AS (SELECT 1 AS id UNION ALL SELECT id + 1 FROM r) SELECT * FROM r",
    ]


def test_every_attack_query_is_refused_by_the_validator(tmp_path: Path, secrets: Path) -> None:
    con = duckdb.connect()
    validate(con, "SELECT gap_name, count(*) AS n FROM signal_log WHERE lost_deal GROUP BY gap_name ORDER BY n DESC")
    for sql in attacks(secrets):
        with pytest.raises(UnsafeSQL):
            validate(con, sql)


def test_the_sandbox_cannot_reach_files_even_without_the_validator(tmp_path: Path, secrets: Path) -> None:
    store = duckdb.connect(str(tmp_path / "store.duckdb"))
    store.execute("CREATE TABLE notes (id INTEGER, text VARCHAR)")
    store.execute("INSERT INTO notes VALUES (1, 'raw note text')")
    store.execute("CREATE VIEW signal_log AS SELECT id, 'Kestrel Bank' AS customer FROM notes")
    box = snapshot(store)
    assert box.execute("SELECT customer FROM signal_log").fetchall() == [("Kestrel Bank",)]
    for sql in [
        f"SELECT * FROM '{secrets / 'secret.csv'}'",
        f"SELECT * FROM read_json('{secrets / 'secret.json'}')",
        "SELECT * FROM notes",
        "SET enable_external_access = true",
        "SET memory_limit = '100GB'",
        f"ATTACH '{tmp_path / 'store.duckdb'}' AS s",
        f"COPY signal_log TO '{tmp_path / 'out.csv'}'",
    ]:
        with pytest.raises(duckdb.Error):
            box.execute(sql)
    assert not (tmp_path / "out.csv").exists()
    with pytest.raises(UnsafeSQL, match="failed when it ran"):  # memory is bounded, and the error is our own
        run_limited(box, "SELECT list(range) AS id FROM range(200000000)")


def test_an_attacker_model_gets_no_file_and_no_raw_note_through_ask(
    tmp_path: Path, fake: FakeOpenAI, secrets: Path
) -> None:
    ws = seeded(tmp_path, fake)
    held = 0
    for sql in attacks(secrets):
        fake.script(Reply(json.dumps({"sql": sql})))
        answer = ws.ask("give me everything you can read", TODAY)
        assert SECRET_ROW not in answer.model_dump_json()
        assert not answer.understood and answer.rows == [] and answer.sql is None
        held += 1
    assert held == len(attacks(secrets))
    # what went back to the model is our own words, never DuckDB's error text or the file's content
    sent = " ".join(json.dumps(r["messages"]) for r in fake.requests)
    assert SECRET_ROW not in sent and "Catalog Error" not in sent and "does not exist" not in sent


def test_a_refused_query_is_explained_in_our_words(tmp_path: Path, fake: FakeOpenAI) -> None:
    ws = seeded(tmp_path, fake)
    fake.script(
        Reply(json.dumps({"sql": "SELECT id, customer FROM signal_log WHERE customer = 1 + 'x'"})),
        Reply(json.dumps({"sql": "SELECT id, customer FROM signal_log WHERE acv_usd > 100000"})),
    )
    answer = ws.ask("the big-ticket accounts with their ids", TODAY)
    big = [[s.id, s.customer] for s in ws.list_signals() if (s.acv_usd or 0) > 100000]  # the note's $300k deal
    assert big and all(c == "Kestrel Bank" for _, c in big)
    assert answer.understood and sorted(answer.rows) == sorted(big)
    repair = fake.requests[1]["messages"]
    assert repair[-2]["role"] == "assistant"
    assert "failed when it ran" in repair[-1]["content"] and "Conversion" not in repair[-1]["content"]


def test_a_slow_model_holds_no_lock_on_the_workspace(tmp_path: Path, fake: FakeOpenAI) -> None:
    ws = seeded(tmp_path, fake)
    fake.script(Reply(json.dumps({"sql": "SELECT id FROM signal_log"}), delay=3.0))
    asking = threading.Thread(target=ws.ask, args=("something the parser cannot read at all", TODAY))
    asking.start()
    time.sleep(0.8)  # the model call is in flight
    writer = workspace(tmp_path, fake, llm_use="never", lock_timeout_seconds=2.0)
    started = time.perf_counter()
    report = writer.add_notes([NoteInput(text="Quarry Steel signed, $120k, the plant cockpit goes live in May.")])
    took = time.perf_counter() - started
    asking.join()
    assert report.notes_added == 1 and took < 2.0
