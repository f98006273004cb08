"""End to end through the `fieldsignal` command (Typer's runner in this process, real DuckDB file, real Chroma).

These use the hashing embedder so they stay fast; the real model runs in test_pipeline_model.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from fieldsignal.models import NoteInput
from fieldsignal.workspace import Workspace
from tests.conftest import run_cli


def test_add_list_show_status_tally(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    r = run_cli(
        "add",
        "Call w/ Helix Bank: security wants a WAF and IP allow-listing, $250k deal",
        "--author",
        "ana",
        "--date",
        "2026-10-21",
        "--json",
        home=home,
        embedder="minilm",  # the real triage: the customer is read from the note
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["report"]["notes_added"] == 1 and out["report"]["signals_added"] >= 1
    sid = out["signals"][0]["id"]
    assert out["signals"][0]["customer"] == "Helix Bank"
    assert out["signals"][0]["acv_usd"] == 250_000
    assert out["signals"][0]["date"] == "2026-10-21"

    listed = json.loads(run_cli("list", "--json", home=home).stdout)
    assert [s["id"] for s in listed] == out["report"]["signal_ids"]
    assert json.loads(run_cli("list", "--customer", "nobody", "--json", home=home).stdout) == []

    r = run_cli(
        "status",
        str(sid),
        "Escalated",
        "--ticket",
        "PM-7",
        "--note",
        "blocks 2 deals",
        "--who",
        "ana",
        "--json",
        home=home,
    )
    assert r.returncode == 0, r.stderr
    details = json.loads(run_cli("show", str(sid), "--json", home=home).stdout)
    assert details["signal"]["status"] == "Escalated" and details["signal"]["pm_ticket"] == "PM-7"
    assert [h["status"] for h in details["history"]] == ["New", "Escalated"]
    assert details["note"]["author"] == "ana"
    acknowledged = run_cli("status", str(sid), "Acknowledged", "--why", "PM replied", "--json", home=home)  # as reject
    assert acknowledged.returncode == 0 and json.loads(acknowledged.stdout)["why"] == "PM replied"

    t = json.loads(run_cli("tally", "--by", "customer", "--json", home=home).stdout)
    assert t["rows"][0]["key"] == "Helix Bank" and t["rows"][0]["acv_usd"] == 250_000

    human = run_cli("list", home=home)
    assert "Helix Bank" in human.stdout


def test_paste_on_stdin_and_reimport_adds_nothing(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    note = "slack: orbis freight asked again for scale to zero, paying for idle app overnight"
    first = json.loads(run_cli("add", "--json", home=home, stdin=note).stdout)
    again = json.loads(run_cli("add", "-", "--json", home=home, stdin=note).stdout)
    assert first["report"]["notes_added"] == 1
    assert again["report"]["notes_added"] == 0 and again["report"]["notes_skipped_duplicate"] == 1
    assert len(json.loads(run_cli("list", "--json", home=home).stdout)) == first["report"]["signals_added"]


def test_import_adds_the_columns_asked_for_to_each_note(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    export = tmp_path / "report.csv"
    export.write_text('Account Name,Stage,Amount,Notes\nQuarry Logistics,Closed Lost,"$320,000",Went with Vercel\n')
    wrong = run_cli("import", str(export), "--fields", "Stage,Amout", home=home)
    assert wrong.returncode == 1 and "no column 'Amout'" in wrong.stderr
    done = run_cli("import", str(export), "--fields", "Stage, Amount", "--json", home=home)
    (sid,) = json.loads(done.stdout)["report"]["signal_ids"]
    shown = json.loads(run_cli("show", str(sid), "--json", home=home).stdout)
    assert shown["signal"]["customer"] == "Quarry Logistics"
    assert shown["note"]["text"] == "Went with Vercel\nStage: Closed Lost | Amount: $320,000"


def test_bad_input_is_one_clear_line_and_loses_nothing(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    assert run_cli("add", "Helix Bank needs a firewall in front of the app", home=home).returncode == 0
    before = run_cli("list", "--json", home=home).stdout

    for args, stdin in (
        (("add", "   \n\t "), None),
        (("add",), ""),
        (("status", "1", "Done"), None),
        (("show", "999"), None),
        (("tally", "--by", "colour"), None),
    ):
        r = run_cli(*args, home=home, stdin=stdin)
        assert r.returncode != 0, args
        assert r.stderr.strip().startswith("error:"), (args, r.stderr)
        assert "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("Carraway Health: app must be reachable by patients without a login")
    (folder / "empty.txt").write_text("")
    (folder / "blob.txt").write_bytes(b"\x00\x01\x02binary\xff" * 50)
    (folder / "latin1.txt").write_bytes("Café Nordique wants its own domain for the app".encode("cp1252"))
    (folder / "huge.txt").write_bytes(b"word " * 4_200_000)  # ~20 MB
    (folder / "broken.csv").write_text('ts,user,channel,text\n2026-10-01,a,b,"unterminated\n')
    (folder / "broken.mbox").write_text("this is not an mbox at all\n")
    r = run_cli("import", str(folder), "--json", home=home)
    assert r.returncode == 1
    report = json.loads(r.stdout)["report"]
    assert report["notes_added"] == 1
    failed = {Path(f["source"]).name for f in report["failures"]}
    assert {"empty.txt", "blob.txt", "latin1.txt", "huge.txt", "broken.csv", "broken.mbox"} <= failed
    assert all(line.startswith("failed:") for line in r.stderr.strip().splitlines())

    after = json.loads(run_cli("list", "--json", home=home).stdout)
    assert {s["id"] for s in json.loads(before)} <= {s["id"] for s in after}
    r = run_cli("import", str(folder / "latin1.txt"), "--encoding", "cp1252", "--json", home=home)
    assert r.returncode == 0 and json.loads(r.stdout)["report"]["notes_added"] == 1


def test_import_csv_with_column_mapping(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    path = tmp_path / "export.csv"
    path.write_text(
        'when,who,body\n2026-10-05,sam,"Vantage Motors wants replicas, one box is not enough"\n'
        '2026-10-06,kim,"Bright Pay: custom domain please, brand matters"\n'
    )
    r = run_cli(
        "import", str(path), "--text-col", "body", "--date-col", "when", "--author-col", "who", "--json", home=home
    )
    assert r.returncode == 0, r.stderr
    signals = json.loads(r.stdout)["signals"]
    assert {s["date"] for s in signals} == {"2026-10-05", "2026-10-06"}
    assert {s["author"] for s in signals} == {"sam", "kim"}
    r = run_cli("import", str(path), "--text-col", "nope", home=home)
    assert r.returncode == 1 and "nope" in r.stderr


def test_reindex_and_taxonomy_commands(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    run_cli("add", "Vantage Motors needs GPUs on the app for vision inference", home=home)
    r = run_cli("reindex", "--json", home=home)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["signals"] >= 1
    assert "ok: 5 signal types, 7 categories, 12 gaps, 7 statuses" in run_cli("taxonomy", "validate", home=home).stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("version = 1\n[[gaps]]\nslug = 'x'\n")
    r = run_cli("taxonomy", "validate", str(bad), home=home)
    assert r.returncode == 1 and str(bad) in r.stderr
    r = run_cli("--taxonomy", str(bad), "add", "anything at all here", home=home)
    assert r.returncode == 1 and r.stderr.startswith("error:")


def test_eval_reports_the_contract_keys(tmp_path: Path) -> None:
    rows = [
        {
            "id": "a",
            "text": "Zephyr Pay: infosec blocks go-live until a WAF sits in front of the app, $120k",
            "signal_type": "PRODUCT_GAP",
            "gap": "No firewall",
            "customer": "Zephyr Pay",
            "acv_usd": 120000,
        },
        {
            "id": "b",
            "text": "Signed today, Juniper Foods goes live with the stock cockpit",
            "signal_type": "Win",
            "gap": None,
            "competitor": None,
        },
        {
            "id": "c",
            "text": "Lost Osprey Labs to Retool, they need websockets and we have none",
            "signal_type": "loss",
            "gap": "NEW: websockets",
            "competitor": "Retool",
        },
    ]
    data = tmp_path / "rows.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    r = run_cli("eval", "--data", str(data), "--json", home=tmp_path / "ws")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["mode"] == "offline" and report["seconds"] > 0
    for field, n in (("signal_type", 3), ("gap", 3), ("customer", 1), ("acv_usd", 1), ("competitor", 2)):
        assert report[field]["n"] == n, field
        assert {"accuracy", "macro_f1", "n", "per_class"} <= set(report[field])
    assert set(report["signal_type"]["per_class"]) <= {"product gap", "win", "loss", "opportunity", "competitive"}
    assert not (tmp_path / "ws").exists()  # scored in a temporary workspace, the user's is untouched
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\nnot json\n')
    r = run_cli("eval", "--data", str(bad), home=tmp_path / "ws")
    assert r.returncode == 1 and "line 2" in r.stderr


def test_eval_dupes_on_text_pairs_measures_the_bare_cosine_in_the_same_run(tmp_path: Path) -> None:
    """Pairs given as two texts (public bug reports have no triage labels): the report carries the
    scorer's AUC and the bare-cosine baseline, read from the very notes of each pair (so a repeat that
    shares most words with its first report outranks reports about other things)."""
    first = "Zephyr Pay security team blocks go-live until a web application firewall sits in front of the app"
    again = "Zephyr Pay: security team still blocks go-live until a web application firewall is in front of the app"
    other = "Juniper Foods loves the dashboards and wants three more apps for the stores next quarter"
    quill = "Quill Insurance needs custom domains like apps.quill.com for the broker portal"
    quill_again = "Quill Insurance again: they need custom domains like apps.quill.com for their broker portal"
    pairs = [(first, again, True), (first, other, False), (quill, quill_again, True), (quill, other, False)]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps({"text_a": a, "text_b": b, "is_duplicate": d}) + "\n" for a, b, d in pairs))
    r = run_cli("eval", "--dupes", str(path), "--json", home=tmp_path / "ws")
    assert r.returncode == 0, r.stderr
    dupes = json.loads(r.stdout)["dupes"]
    assert dupes["n"] == 4 and 0 <= dupes["auc"] <= 1
    assert dupes["bare_cosine"]["auc"] == 1.0 and dupes["bare_cosine"]["best_f1"] == 1.0
    assert 0 < dupes["bare_cosine"]["best_bar"] < 1


def test_review_accept_and_fix(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    run_cli("add", "Zephyr Pay wants the trading screen to push live quotes over websockets", home=home)
    run_cli("add", "Juniper Foods asked about something, unclear what", home=home)
    signals = json.loads(run_cli("list", "--json", home=home).stdout)
    first, second = sorted(s["id"] for s in signals)[:2]

    r = run_cli(
        "review",
        "fix",
        str(first),
        "--type",
        "product gap",
        "--gap",
        "new: no websocket support",
        "--acv",
        "90000",
        "--who",
        "ana",
        "--json",
        home=home,
    )
    assert r.returncode == 0, r.stderr
    fixed = json.loads(r.stdout)
    assert (fixed["signal_type"], fixed["gap"], fixed["new_gap_label"], fixed["acv_usd"]) == (
        "Product Gap",
        None,
        "no websocket support",
        90000,
    )
    assert fixed["decided_by"] == "human" and not fixed["needs_review"]

    r = run_cli("review", "fix", str(second), "--gap", "No firewall", "--json", home=home)
    assert json.loads(r.stdout)["category"] == "Security"
    r = run_cli("review", "accept", str(second), "--json", home=home)
    assert r.returncode == 0, r.stderr
    queue = json.loads(run_cli("review", "--json", home=home).stdout)
    assert {q["signal"]["id"] for q in queue}.isdisjoint({first, second})

    for args in (
        ("review", "fix", str(first), "--gap", "no-such-gap"),
        ("review", "fix", str(first)),
        ("review", "fix", str(first), "--type", "Maybe"),
        ("review", "fix", "999", "--gap", "none"),
        ("review", "fix", str(first), "--industry", "Crypto"),
    ):
        r = run_cli(*args, home=home)
        assert r.returncode != 0 and r.stderr.startswith("error:"), (args, r.stderr)
    assert json.loads(run_cli("show", str(first), "--json", home=home).stdout)["signal"]["acv_usd"] == 90000
    r = run_cli("review", "fix", str(first), "--industry", "Financial Services", "--json", home=home)
    assert json.loads(r.stdout)["industry"] == "FSI"  # a CRM spelling: an alias in the taxonomy file


def test_proposed_gaps_promote_merge_dismiss(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    texts = [
        "Zephyr Pay: live quotes need websockets and the app drops them",
        "Quill Media: live chat widget needs a persistent socket, keeps dropping",
        "Osprey Labs wants nightly cron jobs inside the app",
        "Birch Energy wants a scheduled job in the app every hour",
    ]
    ids = []
    for text in texts:
        ids += json.loads(run_cli("add", text, "--json", home=home).stdout)["report"]["signal_ids"][:1]
    for sid, label in zip(ids, ["websockets", "websockets", "scheduled jobs", "scheduled jobs"], strict=True):
        assert run_cli("review", "fix", str(sid), "--gap", f"new: {label}", home=home).returncode == 0
    found = json.loads(run_cli("gaps", "--json", home=home).stdout)
    by_label = {p["label"]: p for p in found}
    assert set(by_label) >= {"websockets", "scheduled jobs"}
    ws_prop = next(p for p in found if ids[0] in p["signals"])
    r = run_cli(
        "gaps",
        "promote",
        ws_prop["id"],
        "--name",
        "No websocket support",
        "--category",
        "customization",
        "--use-case",
        "Real-time apps",
        "--json",
        home=home,
    )
    assert r.returncode == 0, r.stderr
    moved = json.loads(r.stdout)
    assert {s["gap"] for s in moved} == {"no-websocket-support"}
    assert {s["category"] for s in moved} == {"Customization"}
    listed = json.loads(run_cli("list", "--gap", "no-websocket-support", "--json", home=home).stdout)
    assert {s["id"] for s in listed} == {s["id"] for s in moved}
    r = run_cli("gaps", "promote", "N99999", "--name", "X", "--category", "Cost", home=home)
    assert r.returncode == 1 and "no proposed gap" in r.stderr

    rest = json.loads(run_cli("gaps", "--json", home=home).stdout)
    cron = next(p for p in rest if ids[2] in p["signals"])
    r = run_cli("gaps", "merge", cron["id"], "--into", "No horizontal scaling", "--json", home=home)
    assert {s["gap"] for s in json.loads(r.stdout)} == {"no-horizontal-scaling"}
    for p in json.loads(run_cli("gaps", "--json", home=home).stdout):
        assert run_cli("gaps", "dismiss", p["id"], home=home).returncode == 0
    assert json.loads(run_cli("gaps", "--json", home=home).stdout) == []


def test_the_log_table_shows_the_newest_rows_and_says_how_to_see_all(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    log = Path(__file__).parents[1] / "data" / "eval" / "dev_log.jsonl"
    assert run_cli("import", "--labeled", str(log), home=home).returncode == 0
    stored = json.loads(run_cli("list", "--json", home=home).stdout)
    assert len(stored) > 50  # --json: every row, as before
    table = run_cli("list", home=home).stdout
    assert f"newest 50 of {len(stored)}" in table and "--limit 0" in table
    assert str(stored[0]["id"]) in table and f"│ {stored[-1]['id']} " not in table
    everything = run_cli("list", "--limit", "0", home=home).stdout
    assert f"Signal log ({len(stored)})" in everything and f"│ {stored[-1]['id']} " in everything


def test_train_reports_the_review_gate_it_learnt(tmp_path: Path) -> None:
    out = run_cli("train", "--json", home=tmp_path / "ws")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["built"] is True and set(report["review_gate"]) == {"read", "linked"}
    for figures in report["review_gate"].values():
        assert 0.0 <= figures["review_share"] <= 1.0 and 0.0 <= figures["right"] <= 1.0
    dupes = report["duplicates"]  # its bars set on the corpus writers' notes replayed as logs
    assert 0 < dupes["ask"] <= dupes["link"] < 1 and dupes["log_links"] > 0 and 0 < dupes["log_precision"] <= 1
    text = run_cli("train", home=tmp_path / "ws")
    assert "review gate, customers linked to an account list:" in text.stdout
    assert "second reports, each writer's notes replayed as a log:" in text.stdout


def test_a_narrow_log_table_keeps_a_proposed_gaps_name_to_two_lines(fast_ws: Workspace) -> None:
    from rich.console import Console

    from fieldsignal.cli.output import clipped, signals_table
    from fieldsignal.store.review import Fix

    label = "they need the app to kick off long background jobs overnight and report back"
    (sid,) = fast_ws.add_notes([NoteInput(text="Granite Telecom needs overnight jobs from the app")]).signal_ids[:1]
    fast_ws.review(sid, "ana", Fix.model_validate({"gap": f"new: {label}"}))
    screens = {}
    for width in (80, 160):
        console = Console(width=width, record=True, color_system=None)
        console.print(signals_table(fast_ws.list_signals(), width=width))
        screens[width] = console.export_text()
    rows = [line for line in screens[80].splitlines() if line.startswith("│")]  # the body's lines
    assert len(rows) == 2 and "the app to…" in rows[1] and "background" not in screens[80]
    assert "background" in screens[160] and "overnight" in screens[160]  # wide: the whole name
    assert clipped(label, 24) == "they need the app to…" and clipped("short", 24) == "short"
