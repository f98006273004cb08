"""The store on a real DuckDB file and a real PostgreSQL database: migrations, signal log, status
history, tallies (each on both engines); DuckDB's file locking and the server's kept connection."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fieldsignal.errors import FieldsignalError, NotFoundError, StoreBusyError
from fieldsignal.ingest import note_from_text
from fieldsignal.ingest.text import content_hash
from fieldsignal.models import NEW_GAP, DealFields, Scored, SignalDraft, TriageResult
from fieldsignal.settings import Settings
from fieldsignal.store import accounts, capture, open_store
from fieldsignal.store import signals as repo
from fieldsignal.store.db import migrations, schema_version
from fieldsignal.store.tally import tally
from fieldsignal.taxonomy import load_taxonomy
from fieldsignal.workspace import Workspace

TAX = load_taxonomy()
NOW = dt.datetime(2026, 11, 2, 9, 30)


def draft(gap: str | None, kind: str = "Product Gap", review: bool = False, **deal: object) -> SignalDraft:
    known = TAX.gap_by_slug.get(gap or "")
    return SignalDraft(
        signal_type=Scored(label=kind, confidence=0.9),
        gap=Scored(label=gap, confidence=0.4 if review else 0.9),
        category=Scored(label=known.category if known else None, confidence=0.9),
        excerpt="excerpt",
        deal=DealFields(**deal),
        needs_review=review,  # type: ignore[arg-type]
        review_reasons=["gap uncertain (0.40)"] if review else [],
        new_gap_label="no websockets" if gap == NEW_GAP else None,
    )


def save(con: object, text: str, *drafts: SignalDraft) -> list[int]:
    note = note_from_text(text, source="test")
    result = TriageResult(note=note, note_hash=content_hash(text), signals=list(drafts))
    return capture.save_result(con, result, TAX, [f"k{i}" for i in range(len(drafts))], NOW)


@pytest.fixture
def db(tmp_path: Path, store_url: str | None) -> Path | str:
    """The log on each engine in turn: a DuckDB file, then a fresh PostgreSQL database."""
    return store_url or tmp_path / "ws" / "fieldsignal.duckdb"


@pytest.fixture
def duck(tmp_path: Path) -> Path:
    return tmp_path / "ws" / "fieldsignal.duckdb"


def test_migrations_apply_once_and_are_numbered(db: Path | str) -> None:
    found = migrations("postgres" if isinstance(db, str) else "duckdb")
    names = [name for _, name, _ in found]
    assert [v for v, _, _ in found] == [v for v, _, _ in migrations("duckdb")]  # the same versions on both engines
    assert names[0].startswith("001_") and names == sorted(names)
    with open_store(db, write=True) as con:
        assert schema_version(con) == len(names)
    with open_store(db, write=True) as con:  # second open: nothing re-applied
        assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(names)
    with open_store(db) as con:  # read-only open of a migrated file
        assert schema_version(con) == len(names)


def test_signals_round_trip_and_filters(db: Path | str) -> None:
    with open_store(db, write=True) as con:
        a = save(
            con,
            "Helix Bank needs a WAF",
            draft("no-firewall", customer="Helix Bank", acv_usd=250_000, date=dt.date(2026, 10, 20)),
        )
        b = save(
            con, "Orbis wants websockets", draft(NEW_GAP, review=True, customer="Orbis", date=dt.date(2026, 11, 1))
        )
        everything = repo.list_signals(con)
        assert [s.id for s in everything] == [b[0], a[0]]  # newest first
        helix = repo.get_signal(con, a[0])
        assert (helix.gap, helix.gap_name, helix.category, helix.status) == (
            "no-firewall",
            "No firewall",
            "Security",
            "New",
        )
        assert helix.acv_usd == 250_000 and helix.customer == "Helix Bank"
        assert [s.id for s in repo.list_signals(con, repo.SignalFilter(gap="No firewall"))] == a
        assert [s.id for s in repo.list_signals(con, repo.SignalFilter(customer="orbis"))] == b
        assert [s.id for s in repo.list_signals(con, repo.SignalFilter(since=dt.date(2026, 10, 25)))] == b
        assert [s.id for s in repo.list_signals(con, repo.SignalFilter(needs_review=True))] == b
        queue = repo.review_queue(con)
        assert [(s.id, r) for s, r in queue] == [(b[0], "gap uncertain (0.40)")]
        details = repo.signal_details(con, b[0])
        assert details["note"]["text"] == "Orbis wants websockets"
        assert details["signal"].new_gap_label == "no websockets"
        with pytest.raises(NotFoundError):
            repo.get_signal(con, 999)


def test_accounts_keep_their_first_spelling_and_take_the_latest_industry(db: Path | str) -> None:
    with open_store(db, write=True) as con:
        assert accounts.add_accounts(con, [("Orrin Health", "HLS"), ("Tidewater", None)], "a.csv", NOW) == (2, 0)
        # a name listed already (any case) is not added again; an industry given replaces the listed one
        again = [("ORRIN HEALTH", "Other"), ("Tidewater", None), ("Quist", "Retail"), ("quist", "FSI")]
        assert accounts.add_accounts(con, again, "b.csv", NOW) == (1, 1)
        assert accounts.account_industries(con) == {"Orrin Health": "Other", "Quist": "Retail"}
        assert accounts.account_industries(con, every=True)["Tidewater"] is None
        assert accounts.account_names(con) == ["Orrin Health", "Quist", "Tidewater"]


def test_status_history_keeps_who_when_why(db: Path | str) -> None:
    with open_store(db, write=True) as con:
        (sid,) = save(con, "note", draft("no-gpu-config"))
        later = NOW + dt.timedelta(days=1)
        change = repo.set_status(con, TAX, sid, "escalated", "ana", "3 FSI deals blocked", "PM-42", later)
        assert change.status == "Escalated"
        repo.set_status(con, TAX, sid, "won't fix", "pm", None, None, later + dt.timedelta(hours=1))
        history = repo.status_history(con, sid)
        assert [(h.status, h.who) for h in history] == [
            ("New", "fieldsignal"),
            ("Escalated", "ana"),
            ("Won't Fix", "pm"),
        ]
        assert history[1].why == "3 FSI deals blocked" and history[1].ticket == "PM-42"
        assert repo.get_signal(con, sid).pm_ticket == "PM-42"
        with pytest.raises(FieldsignalError, match="unknown status 'Done'"):
            repo.set_status(con, TAX, sid, "Done", "x", None, None, later)
        assert repo.get_signal(con, sid).status == "Won't Fix"


def test_tally_counts_acv_once_per_note_and_skips_duplicates(db: Path | str) -> None:
    with open_store(db, write=True) as con:
        # one note, two Security gaps, $400k: the Security row must show $400k, not $800k
        save(
            con,
            "two gaps",
            draft("no-firewall", "Loss", customer="A", acv_usd=400_000, lost_deal=True, date=dt.date(2026, 10, 20)),
            draft(
                "public-urls-without-login",
                "Loss",
                customer="A",
                acv_usd=400_000,
                lost_deal=True,
                date=dt.date(2026, 10, 20),
            ),
        )
        (other,) = save(con, "another", draft("no-firewall", customer="B", acv_usd=100_000, date=dt.date(2026, 11, 3)))
        (dupe,) = save(
            con, "same again", draft("no-firewall", customer="B", acv_usd=100_000, date=dt.date(2026, 11, 4))
        )
        con.execute("UPDATE signals SET duplicate_of = ? WHERE id = ?", [other, dupe])

        by_cat = {r.key: r for r in tally(con, "category").rows}
        assert by_cat["Security"].signals == 3
        assert by_cat["Security"].acv_usd == 500_000
        assert by_cat["Security"].acv_lost_usd == 400_000 and by_cat["Security"].lost_deals == 1
        assert by_cat["Security"].customers == 2
        by_gap = {r.key: r for r in tally(con, "gap").rows}
        assert by_gap["No firewall"].signals == 2 and by_gap["No firewall"].acv_usd == 500_000
        weeks = [r.key for r in tally(con, "week").rows]
        assert weeks == ["2026-W43", "2026-W45"]
        assert tally(con, "gap", since=dt.date(2026, 11, 1)).total_signals == 1
        with pytest.raises(FieldsignalError, match="cannot tally by 'colour'"):
            tally(con, "colour")

        # the memos read the same rule (store/counting.py), so their figures agree with the tally's
        from fieldsignal.store import reports

        assert con.execute("SELECT count(*) FROM counted_signals").fetchone()[0] == 3
        start, end = dt.date(2026, 10, 1), dt.date(2026, 11, 30)
        facts = {r[0]: r for r in reports.gap_rows(con, start, end)}
        _, signals, customers, ids, at_risk, lost, lost_deals = facts["no-firewall"]
        assert (signals, customers, at_risk, lost, lost_deals) == (2, ["A", "B"], 100_000, 400_000, 1)
        assert dupe not in ids and reports.count_signals(con, start, end) == 3
        assert [r[4] for r in reports.lost_deal_rows(con, start, end)] == [400_000]  # one lost deal, its ACV once


def test_a_second_writer_waits_then_gets_a_clear_error(duck: Path) -> None:
    with open_store(duck, write=True):
        pass
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(duck)!r})
            print("locked", flush=True)
            time.sleep(30)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreBusyError, match="busy"), open_store(duck, write=True, timeout=0.5):
            pass
    finally:
        holder.kill()
        holder.wait()
    with open_store(duck, write=True) as con:  # free again once the other writer is gone
        assert schema_version(con) >= 1


def test_dedupe_candidates_are_read_by_customer_key_not_the_whole_log(db: Path | str) -> None:
    with open_store(db, write=True) as con:
        save(con, "Helix Bank Inc. wants SSO", draft("sso", customer="Helix Bank Inc."))
        save(con, "Orbis Freight wants SSO", draft("sso", customer="Orbis Freight"))
        save(con, "no customer named", draft("sso"))
        found = repo.dedupe_candidates(con, ["helix bank's"])
        assert [c.customer for c in found] == ["Helix Bank Inc."]
        assert repo.dedupe_candidates(con, []) == []


def test_a_log_stored_before_the_customer_key_gets_its_keys_when_migrated(duck: Path) -> None:
    import duckdb

    duck.parent.mkdir(parents=True)
    con = duckdb.connect(str(duck))  # a log written by the release before migration 007
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
        "applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    for version, name, sql in migrations()[:6]:
        con.execute(sql)
        con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
    con.execute(
        "INSERT INTO signals (id, note_id, signal_date, source, signal_type, customer, confidence, type_confidence, "
        "gap_confidence, category_confidence, decided_by, excerpt) "
        "VALUES (1, 1, DATE '2026-11-02', 'test', 'Product Gap', 'Helix Bank Inc.', 1, 1, 1, 1, 'human', 'x')"
    )
    at = dt.datetime(2026, 11, 2, 9, 0)  # two changes in the same second: written order must survive 009
    con.execute(
        "INSERT INTO status_history VALUES (1, 'New', ?, 'a', NULL, NULL), (1, 'Escalated', ?, 'b', NULL, NULL)",
        [at, at],
    )
    con.close()
    with open_store(duck, write=True) as con:
        assert con.execute("SELECT customer_key FROM signals").fetchall() == [("helix bank",)]
        assert [h.status for h in repo.status_history(con, 1)] == ["New", "Escalated"]
        repo.set_status(con, TAX, 1, "Roadmap", "c", None, None, at)
        assert [h.status for h in repo.status_history(con, 1)] == ["New", "Escalated", "Roadmap"]
        assert [c.id for c in repo.dedupe_candidates(con, ["HELIX BANK"])] == [1]


# ------------------------------------------------------------------ lingering connections (the server)
OTHER_WRITER = "import duckdb, sys; duckdb.connect(sys.argv[1]).execute('SELECT 1'); print('wrote')"


def _other_process_writes(duck: Path) -> bool:
    run = subprocess.run([sys.executable, "-c", OTHER_WRITER, str(duck)], capture_output=True, text=True, timeout=60)
    return run.stdout.strip() == "wrote"


def test_a_lingering_connection_serves_the_next_request_then_frees_the_file(duck: Path) -> None:
    from fieldsignal.store.db import close_idle

    try:
        with open_store(duck, write=True, linger=1.5) as first:
            save(first, "Helix Bank wants SSO", draft("sso", customer="Helix Bank"))
        with open_store(duck, linger=1.5) as second:  # a read after a write: the same open connection
            assert second is first
            assert len(repo.signal_ids(second)) == 1
        assert not _other_process_writes(duck)  # another process waits while the server is busy ...
        time.sleep(2.0)
        assert _other_process_writes(duck)  # ... and gets the file once it has been idle for `linger`
    finally:
        close_idle()


def test_a_kept_read_connection_gives_way_to_a_write_and_a_failed_one_is_not_kept(duck: Path) -> None:
    from fieldsignal.store.db import close_idle

    try:
        with open_store(duck, write=True):
            pass  # create and migrate
        with open_store(duck, linger=30) as reader:
            pass
        with open_store(duck, write=True, linger=30) as writer:
            assert writer is not reader  # read-only: cannot write, so a read-write one replaces it
            save(writer, "Orbis wants SSO", draft("sso", customer="Orbis"))
        with pytest.raises(RuntimeError), open_store(duck, write=True, linger=30) as broken:
            raise RuntimeError("a request that failed half-way")
        with open_store(duck, linger=30) as after:
            assert after is not broken and len(repo.signal_ids(after)) == 1
    finally:
        close_idle()
    assert _other_process_writes(duck)  # nothing left open


def test_a_connection_is_not_kept_past_max_hold(duck: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fieldsignal.store import db as store_db

    monkeypatch.setattr(store_db, "MAX_HOLD", 0.0)
    with open_store(duck, write=True, linger=30) as first:
        pass
    with open_store(duck, linger=30) as second:
        assert second is not first
    store_db.close_idle()
    assert _other_process_writes(duck)


def test_each_connection_attaches_the_file_and_closing_frees_and_checkpoints_it(duck: Path) -> None:
    """A connection is the log file attached to the process's one DuckDB instance (store/attached.py):
    closing it detaches the file, which is checkpointed (no write-ahead log left) and free for another
    process; an open transaction it left is rolled back; two files can be open at once."""
    with open_store(duck, write=True) as con:
        save(con, "Helix Bank wants SSO", draft("sso", customer="Helix Bank"))
    assert not duck.with_name(duck.name + ".wal").exists()
    assert _other_process_writes(duck)
    with open_store(duck, write=True) as con:
        con.execute("BEGIN TRANSACTION")
        save(con, "Orbis wants SSO", draft("sso", customer="Orbis"))  # never committed
    other = duck.with_name("other.duckdb")
    with open_store(duck) as con, open_store(other, write=True) as second:
        assert len(repo.signal_ids(con)) == 1 and not repo.signal_ids(second)
    assert _other_process_writes(duck) and _other_process_writes(other)


def test_pending_migrations_land_whole_or_not_at_all(duck: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    from fieldsignal.store import db as store_db

    real = store_db.migrations("duckdb")
    broken = [*real, (real[-1][0] + 1, "999_broken.sql", "CREATE TABLE broken (x NOT_A_TYPE)")]
    monkeypatch.setattr(store_db, "migrations", lambda dialect="duckdb": broken)
    with pytest.raises(Exception, match="NOT_A_TYPE"), open_store(duck, write=True):
        pass
    monkeypatch.setattr(store_db, "migrations", lambda dialect="duckdb": real)
    con = duckdb.connect(str(duck))
    try:  # nothing of the earlier migrations was kept either: the log was not half created
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert "signals" not in tables and con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == 0
    finally:
        con.close()
    with open_store(duck, write=True) as con:  # the real migrations then apply
        assert schema_version(con) == real[-1][0]


@pytest.mark.parametrize("extra", [0, 5], ids=["a paste (log read beside the triage)", "an import (log read first)"])
def test_notes_the_log_or_the_batch_holds_already_are_skipped_alike_in_a_paste_and_an_import(
    fast_ws: Workspace, extra: int
) -> None:
    from fieldsignal.models import NoteInput
    from fieldsignal.workspace_capture import OVERLAP_UP_TO

    stored = "Kestrel Bank: the app must sit behind their private link, no public ingress"
    fast_ws.add_notes([NoteInput(text=stored)])
    fresh = ["Marlow Foods wants the apps to scale past one replica at peak"]
    fresh += [f"Note {i}: Tarn Retail asks for a custom domain on the app" for i in range(extra)]
    batch = [
        NoteInput(text=stored),
        NoteInput(text=fresh[0]),
        NoteInput(text=fresh[0]),
        *(NoteInput(text=t) for t in fresh[1:]),
    ]
    assert (len(batch) <= OVERLAP_UP_TO) == (extra == 0)
    report = fast_ws.add_notes([n.model_copy() for n in batch])
    assert (report.notes_seen, report.notes_added, report.notes_skipped_duplicate) == (len(batch), len(fresh), 2)
    added = [s for s in fast_ws.list_signals() if s.id in set(report.signal_ids)]
    assert len({s.note_id for s in added}) == len(fresh)
    again = fast_ws.add_notes([n.model_copy() for n in batch])  # every one of them is in the log now
    assert (again.notes_added, again.notes_skipped_duplicate) == (0, len(batch))


def test_a_served_paste_after_a_pause_opens_the_log_once(
    fast_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's kept connection expires after a second idle; the paste's first read then opened the log
    read-only and its write opened it again (a read-only connection gives way to a writer)."""
    from fieldsignal.models import NoteInput
    from fieldsignal.store import attached
    from fieldsignal.store.db import close_idle

    ws = Workspace(fast_settings, linger=0.05)
    ws.add_notes([NoteInput(text="Kestrel Bank: the app must sit behind their private link")])
    time.sleep(0.3)  # the kept connection has expired
    opened: list[bool] = []
    attach = attached.attach

    def counted(path: Path, read_only: bool) -> object:
        opened.append(read_only)
        return attach(path, read_only)

    monkeypatch.setattr(attached, "attach", counted)
    report = ws.add_notes([NoteInput(text="Marlow Foods wants the apps to scale past one replica at peak")])
    close_idle()
    assert report.notes_added == 1
    assert opened == [False]  # once, as the writer it was about to be
