"""A shared log in PostgreSQL (a real server the suite starts): the same figures as DuckDB, many
writers at once, copying a DuckDB workspace in, a restart on an empty disk, Lakebase's OAuth token."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from fieldsignal.errors import FieldsignalError, StoreBusyError
from fieldsignal.ingest import note_from_text
from fieldsignal.settings import Settings, load_settings
from fieldsignal.store import open_store
from fieldsignal.workspace import Workspace
from tests.conftest import run_cli
from tests.pg_server import PostgresServer
from tests.test_synthesis import fill

TODAY = dt.date(2026, 11, 2)


def on(home: Path, url: str | None, **extra: Any) -> Settings:
    """Settings for a workspace folder whose config file names the PostgreSQL log (None: its own DuckDB file)."""
    home.mkdir(parents=True, exist_ok=True)
    if url:
        (home / "config.toml").write_text(f'database_url = "{url}"\n', encoding="utf-8")
    return load_settings(env={}, home=home, embedder="hashing", vectorstore=extra.pop("vectorstore", "memory"), **extra)


def figures(ws: Workspace) -> dict[str, Any]:
    """Everything the log is read for: tallies by every key, the three memos' facts, metrics, answers."""
    out: dict[str, Any] = {}
    for by in ("gap", "category", "type", "status", "week", "month", "industry", "competitor", "customer"):
        out[f"tally:{by}"] = ws.tally(by).model_dump()
    desk = ws.desk
    for kind, period in (("weekly", "2026-W43"), ("newsletter", "2026-10"), ("losses", "2026-10")):
        out[f"memo:{kind}"] = desk.compose(kind, period)  # (period, Markdown body, its figures as JSON)
    out["metrics"] = ws.metrics(TODAY, weeks=4).model_dump(mode="json")
    for question in ("which deals did we lose?", "top 3 gaps by ACV", "signals per week", "how many customers"):
        answer = ws.ask(question, TODAY)
        out[f"ask:{question}"] = (answer.rows, answer.signal_ids, answer.sentence)
    return out


def test_both_engines_give_the_same_figures_on_the_same_log(tmp_path: Path, postgres: PostgresServer) -> None:
    duck = fill(Workspace(on(tmp_path / "duck", None)))
    pg = fill(Workspace(on(tmp_path / "pg", postgres.new_database())))
    assert pg.settings.shared_store and not (tmp_path / "pg" / "fieldsignal.duckdb").exists()
    mine, theirs = figures(duck), figures(pg)
    assert mine.keys() == theirs.keys()
    for key in mine:
        assert mine[key] == theirs[key], key
    assert mine["tally:gap"]["total_signals"] == 9  # the fixture's ten rows, one a second report


def test_migrate_copies_a_duckdb_workspace_into_postgres_once(tmp_path: Path, postgres: PostgresServer) -> None:
    home = tmp_path / "ws"
    ws = fill(Workspace(on(home, None)))
    ws.desk.draft("weekly", "2026-W43", "ana", dt.datetime(2026, 11, 2, 9))
    before = figures(ws)
    url = postgres.new_database()

    first = run_cli("migrate", "--to", url, "--json", home=home)
    assert first.returncode == 0, first.stderr
    tables = {t["table"]: t for t in json.loads(first.stdout)["tables"]}
    assert tables["notes"] == {"table": "notes", "source": 10, "copied": 10, "target": 10}
    assert all(t["source"] == t["copied"] == t["target"] for t in tables.values())
    with ws.store() as con:
        history = con.execute("SELECT count(*) FROM status_history").fetchone()[0]
    assert history > 10 and tables["status_history"]["target"] == history and tables["draft_versions"]["target"] == 1

    again = run_cli("migrate", "--to", url, "--json", home=home)  # idempotent: nothing copied twice
    assert again.returncode == 0, again.stderr
    assert all(t["copied"] == 0 and t["source"] == t["target"] for t in json.loads(again.stdout)["tables"])

    copied = Workspace(on(tmp_path / "reader", url))
    assert figures(copied) == before
    # the copy goes on as a log of its own: new ids follow the copied ones
    report = copied.add_notes([note_from_text("Juniper Bank needs private networking, $40k", source="test")])
    assert report.notes_added == 1 and min(report.signal_ids) == 11
    text = run_cli("migrate", home=tmp_path / "reader")
    assert text.returncode == 0 and "postgres log at postgresql://127.0.0.1" in text.stdout, text.stdout


def test_migrate_refuses_a_log_that_grew_on_its_own(tmp_path: Path, postgres: PostgresServer) -> None:
    url = postgres.new_database()
    other = Workspace(on(tmp_path / "other", url))
    other.add_notes([note_from_text("Kestrel Air wants SSO for their portal", source="test")])
    ws = fill(Workspace(on(tmp_path / "ws", None)))
    refused = run_cli("migrate", "--to", url, home=ws.settings.home)
    assert refused.returncode != 0 and len(refused.stderr.strip().splitlines()) == 1
    assert "different notes row under {'id': 1}" in refused.stderr
    with open_store(url) as con:  # nothing written
        assert con.execute("SELECT count(*) FROM notes").fetchone()[0] == 1
    bad = run_cli("migrate", "--to", "mysql://x", home=ws.settings.home)
    assert bad.returncode != 0 and "postgresql:// URL or a .duckdb file" in bad.stderr


NOTE = "Call with {c} ({i}): they need {g} before go-live; ${k}k ARR. Lost to Vercel last week."
GAPS = ("SSO for the portal", "a private link to the warehouse", "GPU sizing", "24x7 pricing")


def _notes(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        path = folder / f"note-{i:03d}.txt"
        path.write_text(NOTE.format(c=f"Customer {i:03d} Ltd", i=i, g=GAPS[i % 4], k=10 + i), encoding="utf-8")
        paths.append(path)
    return paths


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIELDSIGNAL_", "OPENAI_"))}
    env.update(
        {
            "FIELDSIGNAL_HOME": str(home),
            "FIELDSIGNAL_EMBEDDER": "hashing",
            "FIELDSIGNAL_VECTORSTORE": "memory",
            "FIELDSIGNAL_TUNE_ENCODER": "false",
            "HF_HUB_OFFLINE": "1",
        }
    )
    return env


def _import_at_once(batches: list[list[Path]], homes: list[Path]) -> list[dict[str, Any]]:
    """One `fieldsignal import` process per batch, all started before any is waited for."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "fieldsignal", "import", *map(str, batch), "--json"],
            env=_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for batch, home in zip(batches, homes, strict=True)
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        reports.append(json.loads(out)["report"])
    return reports


def test_four_writers_at_once_store_every_note_once(tmp_path: Path, postgres: PostgresServer) -> None:
    url = postgres.new_database()
    homes = [tmp_path / f"writer{i}" for i in range(4)]
    for home in homes:
        on(home, url)
    notes = _notes(tmp_path / "notes", 200)
    # each writer imports its own 50 notes and the next writer's first 25: 100 notes are raced for
    batches = [notes[i * 50 : (i + 1) * 50] + notes[((i + 1) % 4) * 50 :][:25] for i in range(4)]
    first = _import_at_once(batches, homes)
    assert sum(r["notes_added"] for r in first) == 200
    assert sum(r["notes_seen"] for r in first) == 300 and not any(r["failures"] for r in first)
    with open_store(url) as con:
        assert con.execute("SELECT count(*), count(DISTINCT hash) FROM notes").fetchone() == (200, 200)
        signals = con.execute("SELECT count(*), count(DISTINCT note_id) FROM signals").fetchone()
        assert signals[1] == 200 and signals[0] == sum(r["signals_added"] for r in first)
        assert con.execute("SELECT count(*) FROM status_history").fetchone()[0] == signals[0]
    again = _import_at_once([notes] * 4, homes)  # everyone re-imports everything at once: nothing new
    assert [r["notes_added"] for r in again] == [0, 0, 0, 0]
    assert all(r["notes_skipped_duplicate"] == 200 for r in again)
    with open_store(url) as con:
        assert con.execute("SELECT count(*) FROM signals").fetchone()[0] == signals[0]


def test_a_restart_on_an_empty_disk_sees_every_signal(
    tmp_path: Path, postgres: PostgresServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldsignal import workspace_index
    from fieldsignal.vectorstore.index import SIGNALS

    url = postgres.new_database()
    writer = Workspace(on(tmp_path / "first-disk", url, vectorstore="chroma"))
    notes = [note_from_text(NOTE.format(c=f"Firm {i}", i=i, g=GAPS[i % 4], k=i), source="test") for i in range(30)]
    stored = writer.add_notes(notes).signal_ids
    assert len(stored) >= 30
    monkeypatch.setattr(workspace_index, "CHUNK", 10)  # progress lines on a small log
    fresh_disk = tmp_path / "second-disk"  # a restarted app: nothing on disk but the settings
    app = Workspace(on(fresh_disk, url, vectorstore="chroma"))
    with caplog.at_level(logging.WARNING, logger="fieldsignal.index"):
        assert app.check_index()
    assert sorted(int(i) for i in app.index.ids(SIGNALS)) == sorted(stored)
    lines = [r.getMessage() for r in caplog.records]
    assert f"the vector index here is empty: building it from the log's {len(stored)} signals" in lines
    assert f"indexed {len(stored)} of {len(stored)} signals" in lines
    # the app keeps running while another writer adds to the shared log: it sees those too
    more = writer.add_notes([note_from_text("Osprey Rail: no SSO, lost to Heroku, $90k", source="test")]).signal_ids
    monkeypatch.setattr(workspace_index, "SHARED_RECHECK", 0.0)
    assert set(more) <= {int(i) for i in app.index.ids(SIGNALS)}


class _Databricks(BaseHTTPRequestHandler):
    """The Databricks REST API's database credential call, as the SDK makes it."""

    token = "lakebase-token-1"
    calls: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"] or 0)) or b"{}")
        _Databricks.calls.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        reply = json.dumps({"token": self.token, "expiration_time": "2099-01-01T00:00:00Z"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def databricks() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Databricks)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    _Databricks.calls = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_databricks_app_reaches_lakebase_with_a_minted_token(
    tmp_path: Path, postgres: PostgresServer, databricks: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldsignal.store import lakebase

    database = postgres.new_database().rsplit("/", 1)[1]
    postgres.add_role("app_sp", _Databricks.token)  # the service principal's role; its password is the token
    env = {  # what the Apps runtime sets, with a database resource
        "DATABRICKS_APP_NAME": "fieldsignal",
        "DATABRICKS_APP_PORT": "8000",
        "DATABRICKS_HOST": databricks,
        "DATABRICKS_TOKEN": "dapi-app",
        "PGHOST": "127.0.0.1",
        "PGPORT": str(postgres.port),
        "PGDATABASE": database,
        "PGUSER": "app_sp",
        "PGSSLMODE": "disable",
        "FIELDSIGNAL_DATABASE_INSTANCE": "fieldsignal-db",
    }
    for key in ("PGPASSWORD", "DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET", "DATABRICKS_CONFIG_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(lakebase, "_TOKENS", {})
    settings = load_settings(home=tmp_path / "app", embedder="hashing", vectorstore="memory")
    assert settings.databricks_app and settings.database_url == "postgresql://"
    ws = Workspace(settings)
    ws.add_notes([note_from_text("Plover Bank lost to Snowflake over SSO, $120k", source="test")])
    assert ws.tally("gap").total_signals >= 1
    (call,) = _Databricks.calls  # one token minted, reused by the next connection
    assert call["path"] == "/api/2.0/database/credentials" and call["body"]["instance_names"] == ["fieldsignal-db"]
    assert call["auth"] == "Bearer dapi-app"

    monkeypatch.setattr(lakebase, "_TOKENS", {})
    monkeypatch.setattr(_Databricks, "token", "an-expired-token")  # a token the database does not take
    refused = r"cannot reach the PostgreSQL log at postgresql://127\.0\.0\.1"
    with (
        pytest.raises(StoreBusyError, match=refused),
        open_store("postgresql://", instance="fieldsignal-db", timeout=2),
    ):
        pass


def test_a_database_url_that_is_not_postgres_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FieldsignalError, match=r"database_url: .*postgresql:// URL"):
        load_settings(env={"FIELDSIGNAL_DATABASE_URL": "sqlite:///x.db"}, home=tmp_path)


def test_an_unreachable_log_is_one_clear_line_and_loses_nothing(tmp_path: Path, postgres: PostgresServer) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home = tmp_path / "ws"
    on(home, f"postgresql://fieldsignal:pw@127.0.0.1:{port}/log")
    added = run_cli("add", "Quail Insurance needs SSO", home=home, extra_env={"FIELDSIGNAL_LOCK_TIMEOUT_SECONDS": "1"})
    assert added.returncode != 0
    lines = added.stderr.strip().splitlines()
    assert len(lines) == 1, added.stderr
    assert lines[0].startswith(f"error: cannot reach the PostgreSQL log at postgresql://127.0.0.1:{port}/log: ")
    assert "pw" not in added.stderr  # the password is never printed


def test_the_sandbox_copy_for_model_sql_is_the_same_from_both_engines(tmp_path: Path, postgres: PostgresServer) -> None:
    from fieldsignal.store.sandbox import run_limited, snapshot

    answers = []
    for name, url in (("duck", None), ("pg", postgres.new_database())):
        ws = fill(Workspace(on(tmp_path / name, url)))
        with ws.store() as con:
            box = snapshot(con)
        try:
            sql = "SELECT id, date, gap, customer, lost_deal, acv_usd FROM signal_log ORDER BY id"
            answers.append(run_limited(box, sql))
            with pytest.raises(Exception, match=r"disabled|not allowed|Permission"):  # locked down on both
                box.execute("SELECT * FROM read_csv('/etc/passwd')")
        finally:
            box.close()
    assert answers[0] == answers[1] and len(answers[0][1]) == 9


def test_a_promoted_gap_belongs_to_the_shared_log(tmp_path: Path, postgres: PostgresServer) -> None:
    from fieldsignal.store.review import Fix
    from fieldsignal.taxonomy import Gap

    url = postgres.new_database()
    sa = Workspace(on(tmp_path / "sa-laptop", url))
    texts = ["Zephyr Pay: live quotes need websockets, the app drops them", "Osprey Labs wants nightly cron jobs"]
    ids = [sa.add_notes([note_from_text(t, source="test")]).signal_ids[0] for t in texts]
    for sid, label in zip(ids, ["websockets", "scheduled jobs"], strict=True):
        sa.review(sid, "ana", Fix(gap=f"new: {label}"))
    stale = Workspace(on(tmp_path / "web-app", url))
    assert stale.taxonomy.resolve_gap("No websocket support") is None  # loaded before the promotion
    proposal = next(p for p in sa.proposals() if ids[0] in {s.id for s in p.signals})
    gap = Gap(slug="no-websocket-support", name="No websocket support", category="Customization")
    sa.settle_proposal(proposal.id, "promote", "ana", gap=gap)

    restarted_app = Workspace(on(tmp_path / "empty-disk", url))  # another machine, nothing on its disk
    known = restarted_app.taxonomy.resolve_gap("No websocket support")
    assert known is not None and known.slug == "no-websocket-support" and known.category == "Customization"
    assert restarted_app.signals([ids[0]])[0].gap == "no-websocket-support"
    (cron,) = [p for p in stale.proposals() if ids[1] in {s.id for s in p.signals}]
    with pytest.raises(FieldsignalError, match="was promoted meanwhile"):  # the log, not a stale taxonomy, decides
        stale.settle_proposal(cron.id, "promote", "bo", gap=gap)
    with pytest.raises(FieldsignalError, match="already exists"):
        restarted_app.settle_proposal(cron.id, "promote", "bo", gap=gap)


def test_gaps_promoted_by_an_earlier_version_are_still_read(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    (home / "gaps.toml").write_text(
        '[[gaps]]\nslug = "no-cron"\nname = "No scheduled jobs"\ncategory = "Customization"\n', encoding="utf-8"
    )
    ws = fill(Workspace(on(home, None)))
    assert ws.taxonomy.resolve_gap("no-cron") is not None
