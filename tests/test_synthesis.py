"""Memos, drafts and metrics on a fixture log whose answers were worked out by hand."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from pathlib import Path

import pytest

from fieldsignal.errors import FieldsignalError
from fieldsignal.ingest.text import content_hash
from fieldsignal.models import DealFields, NoteInput, Scored, SignalDraft, TriageResult
from fieldsignal.settings import Settings
from fieldsignal.store import capture
from fieldsignal.store import signals as repo
from fieldsignal.workspace import Workspace
from tests.conftest import run_cli

NOW = dt.datetime(2026, 11, 2, 9, 0)

# (date, type, gap, customer, acv, lost, competitor, duplicate of row)
ROWS = [
    ("2026-10-20", "Product Gap", "no-firewall", "Acme Bank", 300_000, False, None, None),
    ("2026-10-22", "Product Gap", "no-firewall", "Acme Bank", 300_000, False, None, 0),  # a second report
    ("2026-10-21", "Loss", "no-firewall", "Birch Foods", 100_000, True, "Vercel", None),
    ("2026-10-22", "Product Gap", "fixed-24x7-pricing", "Cedar Health", 500_000, False, None, None),
    ("2026-10-23", "Product Gap", "no-gpu-config", "Dune Labs", None, False, None, None),
    ("2026-10-24", "Product Gap", "no-gpu-config", "Elm Retail", None, False, None, None),
    ("2026-10-25", "Product Gap", "no-user-sessions", "Fir Steel", 50_000, False, None, None),
    ("2026-10-26", "Product Gap", "no-firewall", "Gale Mutual", 900_000, False, None, None),  # next week
    ("2026-09-15", "Loss", "fixed-24x7-pricing", "Hazel Retail", 70_000, True, "Heroku", None),  # last month
    ("2026-10-28", "Win", None, "Ivy Credit Union", 210_000, False, None, None),
]
# score = (signals + 2·customers + at-risk/100k + 2·lost/100k) × weight
# no-firewall (2 signals, 2 customers, 300k at risk, 100k lost, priority 1): (2 + 4 + 3 + 2) × 1.5 = 16.5
# fixed-24x7-pricing (1, 1, 500k, 0, priority 2): (1 + 2 + 5) × 1.3 = 10.4
# no-gpu-config (2, 2, none, unprioritised): (2 + 4) × 1.0 = 6.0
# no-user-sessions (1, 1, 50k, priority 4): (1 + 2 + 0.5) × 1.0 = 3.5


@pytest.fixture
def fast_ws(both_settings: Settings) -> Workspace:
    """The workspace of every test here: on DuckDB, then on PostgreSQL (the same figures on both)."""
    return Workspace(both_settings)


@pytest.fixture
def ws(fast_ws: Workspace) -> Workspace:
    return fill(fast_ws)


def fill(ws: Workspace) -> Workspace:
    tax = ws.taxonomy
    ids: list[int] = []
    with ws.store(write=True) as con:
        for n, (day, kind, gap, customer, acv, lost, rival, dup) in enumerate(ROWS):
            date = dt.date.fromisoformat(day)
            text = f"note {n}: {customer} {gap or kind}"
            known = tax.gap_by_slug.get(gap or "")
            draft = SignalDraft(
                signal_type=Scored(label=kind, confidence=1.0),
                gap=Scored(label=gap, confidence=1.0),
                category=Scored(label=known.category if known else None, confidence=1.0),
                excerpt=text,
                deal=DealFields(customer=customer, acv_usd=acv, lost_deal=lost, competitor=rival, date=date),
                use_case_blocked=known.use_case_blocked if known else None,
            )
            result = TriageResult(note=NoteInput(text=text, date=date), note_hash=content_hash(text), signals=[draft])
            (sid,) = capture.save_result(con, result, tax, [f"k{n}"], NOW)
            if dup is not None:
                repo.mark_duplicate(con, sid, ids[dup])
            ids.append(sid)
        repo.set_status(con, tax, ids[0], "Escalated", "ana", None, "PM-1", dt.datetime(2026, 10, 24, 12))
        repo.set_status(con, tax, ids[3], "Escalated", "ana", None, None, dt.datetime(2026, 10, 30, 12))
        repo.set_status(con, tax, ids[3], "Roadmap", "pm", None, None, dt.datetime(2026, 10, 31, 12))
    return ws


def test_weekly_memo_ranks_top_three_and_agrees_with_tally(ws: Workspace) -> None:
    from fieldsignal.reports.memo_figures import gap_facts, week_period

    period = week_period("2026-W43")
    with ws.store() as con:
        facts = gap_facts(con, ws.taxonomy, period)
    assert [(g.gap, g.score) for g in facts] == [
        ("no-firewall", 16.5),
        ("fixed-24x7-pricing", 10.4),
        ("no-gpu-config", 6.0),
        ("no-user-sessions", 3.5),
    ]
    firewall = facts[0]
    assert (firewall.signals, firewall.customers, firewall.acv_at_risk_usd, firewall.acv_lost_usd) == (
        2,
        ["Acme Bank", "Birch Foods"],
        300_000,
        100_000,
    )
    tally = {r.key: r for r in ws.tally("gap", period.start, period.end).rows}
    for g in facts:
        row = tally[g.name]
        assert (row.signals, row.customers, row.acv_usd, row.acv_lost_usd) == (
            g.signals,
            len(g.customers),
            g.acv_at_risk_usd + g.acv_lost_usd,
            g.acv_lost_usd,
        )
    body = ws.desk.draft("weekly", "2026-w43", "ana", NOW).latest.body
    top = body.split("## Top 3 Blockers This Week")[1].split("##")[0]
    assert top.index("No firewall") < top.index("Fixed 24x7 pricing") < top.index("No GPU config")
    assert "No user sessions" not in top and "Gale Mutual" not in body
    assert "[#1, #3]" in top  # cites its signals; the duplicate (#2) is not one of them
    assert "$300,000 at risk, $100,000 lost in 1 deal" in body
    assert "- No GPU config: no ACV recorded\n" in body  # not "$0 at risk": neither deal has an ACV
    # the recommendation follows where each gap already is: no "escalate" for what is escalated or planned
    advice = body.split("## Recommended Priority")[1].split("##")[0]
    assert "1. No firewall: already escalated (PM-1): add these customers and deals to it" in advice
    assert "2. Fixed 24x7 pricing: on the roadmap: tell these customers" in advice
    assert "3. No GPU config: no priority cluster" in advice or "3. No GPU config: priority" in advice
    assert "| No firewall | 2 | 2 | $300,000 | $100,000 | Escalated | PM-1 |" in body


def test_loss_summary_and_newsletter(ws: Workspace) -> None:
    losses = ws.desk.draft("losses", "2026-10", "ana", NOW).latest.body
    assert "| 2026-10 | 1 | No firewall | $100,000 | lost to Vercel |" in losses
    assert "| Birch Foods |" in losses and "Hazel Retail" not in losses
    october = next(r for r in ws.tally("month").rows if r.key == "2026-10")
    assert (october.lost_deals, october.acv_lost_usd) == (1, 100_000)  # the memo agrees with tally
    news = ws.desk.draft("newsletter", "2026-10", "ana", NOW).latest.body
    assert "8 signals this month against 1 in 2026-09" in news
    assert "| Security | 3 | 0 | +3 |" in news and "| Cost | 1 | 1 | +0 |" in news
    assert "→ Roadmap on 2026-10-31 by pm" in news and "→ Escalated on 2026-10-24 by ana" in news
    assert "Ivy Credit Union, $210,000" in news


def test_drafts_need_approval_and_keep_every_version(ws: Workspace, tmp_path: Path) -> None:
    desk = ws.desk
    draft = desk.draft("weekly", "2026-W43", "ana", NOW)
    with pytest.raises(FieldsignalError, match="not approved"):
        desk.publish(draft.id, NOW)
    desk.approve(draft.id, "lead", NOW)
    edited = desk.edit(draft.id, draft.latest.body + "\nPS <script>alert(1)</script>\n", "ana", NOW)
    assert [v.version for v in edited.versions] == [1, 2] and edited.status == "draft"
    with pytest.raises(FieldsignalError, match="not approved"):
        desk.publish(draft.id, NOW)  # the approval was for v1
    approved = desk.approve(draft.id, "lead", NOW)
    assert (approved.approved_version, approved.approved_by) == (2, "lead")
    published, paths = desk.publish(draft.id, NOW)
    assert published.status == "published" and [p.suffix for p in paths] == [".md", ".html", ".eml"]
    html = paths[1].read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html and "<table>" in html
    message = email.message_from_bytes(paths[2].read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "PM Feedback Synthesis — 2026-W43" and message.is_multipart()
    with pytest.raises(FieldsignalError, match="empty"):
        desk.edit(draft.id, "  ", "ana", NOW)
    assert len(desk.get(draft.id).versions) == 2
    written = [p.read_bytes() for p in paths]
    with pytest.raises(FieldsignalError, match="already published"):  # a second publish writes nothing
        desk.publish(draft.id, NOW)
    assert [p.read_bytes() for p in paths] == written


def test_published_mail_names_its_people_and_links_each_cited_signal(both_settings: Settings) -> None:
    settings = both_settings.model_copy(
        update={
            "memo_from": "Ana <ana@example.com>",
            "memo_to": "pm-apps@example.com",
            "base_url": "https://fs.example.com/",
        }
    )
    desk = fill(Workspace(settings)).desk
    draft = desk.draft("weekly", "2026-W43", "ana", NOW)
    desk.approve(draft.id, "lead", NOW)
    _, paths = desk.publish(draft.id, NOW)
    message = email.message_from_bytes(paths[2].read_bytes(), policy=email.policy.default)
    assert (message["From"], message["To"]) == ("Ana <ana@example.com>", "pm-apps@example.com")
    html = paths[1].read_text()
    assert '<a href="https://fs.example.com/signals/1"' in html  # no.1 cites Acme Bank's signal #1
    paths[0].unlink()
    desk.edit(draft.id, draft.latest.body + "\nedited\n", "ana", NOW)
    desk.approve(draft.id, "lead", NOW)
    _, again = desk.publish(draft.id, NOW)  # a new version: new files beside the old ones
    assert again[0].name.endswith("-v2.md") and paths[1].exists()


def test_a_memo_for_a_period_without_signals_says_where_the_latest_are(ws: Workspace) -> None:
    """Before: `memo weekly` on a Monday drafted last week's memo, "0 signals this week", and said nothing of the
    notes pasted that morning."""
    desk = ws.desk
    desk.draft("weekly", "2026-W38", "ana", NOW)  # 2026-09-14 to 09-20 holds Hazel Retail's loss
    assert desk.warnings == []
    desk.draft("weekly", "2026-W40", "ana", NOW)
    assert desk.warnings == ["2026-W40 holds no signals; the latest is dated 2026-10-28, in 2026-W44"]
    desk.draft("newsletter", "2026-08", "ana", NOW)
    assert desk.warnings == ["2026-08 holds no signals; the latest is dated 2026-10-28, in 2026-10"]
    desk.draft("weekly", "2026-W50", "ana", NOW)
    assert desk.warnings == ["2026-W50 holds no signals (the latest is dated 2026-10-28)"]
    out = run_cli("memo", "weekly", "--week", "2026-W40", home=ws.settings.home)
    assert out.returncode == 0 and "warning: 2026-W40 holds no signals; the latest is dated 2026-10-28" in out.stderr
    empty = run_cli("memo", "losses", "--month", "2026-10", home=ws.settings.home.parent / "empty")
    assert empty.returncode == 0 and "warning: 2026-10 holds no signals: the log holds none yet" in empty.stderr


def test_metrics(ws: Workspace) -> None:
    m = ws.metrics(dt.date(2026, 11, 1), weeks=3)
    assert [(w.week, w.signals) for w in m.weeks] == [("2026-W42", 0), ("2026-W43", 6), ("2026-W44", 2)]
    assert m.features_influenced == ["Fixed 24x7 pricing"]
    # Acme Bank: Oct 20 → Oct 24 (4 days); Cedar Health: Oct 22 → Oct 30 (8 days)
    assert (m.escalated_signals, m.avg_days_to_escalation) == (2, 6.0)


def test_bad_periods_are_refused(ws: Workspace) -> None:
    for kind, period in (("weekly", "2026-43"), ("weekly", "2026-W60"), ("losses", "2026-13"), ("memo", "2026-10")):
        with pytest.raises(FieldsignalError):
            ws.desk.compose(kind, period)


def test_memo_and_drafts_through_the_cli(ws: Workspace, tmp_path: Path) -> None:
    home = ws.settings.home
    out = run_cli("memo", "weekly", "--week", "2026-W43", "--who", "ana", home=home)
    assert out.returncode == 0, out.stderr
    assert "## Top 3 Blockers This Week" in out.stdout and "draft 1 v1 stored" in out.stderr
    edited = tmp_path / "edited.md"
    edited.write_text(out.stdout.replace("## Deal Impact", "## Deal Impact (checked with finance)"))
    assert run_cli("drafts", "edit", "1", "--file", str(edited), home=home).returncode == 0
    refused = run_cli("drafts", "publish", "1", home=home)
    assert refused.returncode == 1 and "not approved" in refused.stderr
    assert run_cli("drafts", "approve", "1", "--who", "lead", home=home).returncode == 0
    published = run_cli("drafts", "publish", "1", home=home)
    assert published.returncode == 0 and published.stdout.strip().endswith(".eml")
    listing = run_cli("drafts", "list", home=home).stdout
    assert "weekly" in listing and "published" in listing and "v2" in listing
    metrics = run_cli("metrics", "--today", "2026-11-01", "--weeks", "2", home=home)
    assert "2026-W43     6 signals  below 10+" in metrics.stdout
    assert "signal-to-escalation: 6.0 days over 2 escalated signals (target < 7 days)" in metrics.stdout
    fresh = run_cli("metrics", home=tmp_path / "fresh").stdout  # before: "no escalation yet over 0 signals"
    assert "signal-to-escalation: no signal escalated yet (target < 7 days)" in fresh


def test_llm_polish_is_kept_only_when_it_agrees_with_the_data(tmp_path: Path) -> None:
    from fieldsignal.settings import load_settings
    from tests.fake_openai import FakeOpenAI, Reply

    fake = FakeOpenAI().start()
    try:
        settings = load_settings(
            env={},
            home=tmp_path / "ws",
            embedder="hashing",
            vectorstore="memory",
            llm_model="fake-model",
            llm_base_url=fake.base_url,
            llm_max_retries=0,
        )
        ws = fill(Workspace(settings))
        _, template, _ = ws.desk.compose("losses", "2026-10")
        # a faithful editor: rewords a heading of the (redacted) draft it was sent
        fake.responder = lambda body: Reply(
            body["messages"][-1]["content"].replace("Loss Analysis", "Loss analysis, deal by deal")
        )
        draft = ws.desk.draft("losses", "2026-10", "ana", NOW)
        fake.responder = None
        assert [v.source for v in draft.versions] == ["template:memo_losses", "llm:fake-model"], ws.desk.warnings
        assert "deal by deal" in draft.latest.body and "Birch Foods" in draft.latest.body
        assert "Birch Foods" not in fake.bodies_text()  # customers leave as placeholders
        assert not ws.desk.warnings
        fake.script(Reply(template.replace("$100,000", "$1,000,000").replace("Vercel", "Vercel and Gale Mutual")))
        refused = ws.desk.draft("losses", "2026-10", "ana", NOW)
        assert refused.latest.source == "template:memo_losses" and refused.latest.body == template
        assert "number 1000000 is not in the data" in ws.desk.warnings[0]
        assert "'Gale Mutual' is not in the data" in ws.desk.warnings[0]
        fake.script(Reply("# Losses\nNothing much happened."))  # a polish that drops the figures
        ws.desk.draft("losses", "2026-10", "ana", NOW)
        assert "figure 100000 was dropped" in ws.desk.warnings[0] and "'Birch Foods' was dropped" in ws.desk.warnings[0]
        usage = {u.prompt_id: u for u in ws.llm_usage()}["memo_polish.v1"]
        assert (usage.calls, usage.failed) == (3, 2)
    finally:
        fake.stop()


def test_drafts_edit_opens_the_editor(ws: Workspace, tmp_path: Path) -> None:
    home = ws.settings.home
    assert run_cli("memo", "losses", "--month", "2026-10", home=home).returncode == 0
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/## Loss Analysis/## Loss Analysis (reviewed)/' \"$1\"\n")
    editor.chmod(0o755)
    out = run_cli("drafts", "edit", "1", "--who", "ana", home=home, extra_env={"EDITOR": str(editor), "VISUAL": ""})
    assert out.returncode == 0 and "v2 saved" in out.stdout, out.stderr
    draft = ws.desk.get(1)
    assert "(reviewed)" in draft.latest.body and draft.latest.who == "ana" and draft.latest.source == "edit"
    assert "(reviewed)" not in draft.versions[0].body


def test_a_rejected_signal_counts_nowhere_until_restored(ws: Workspace) -> None:
    """Row 2 (Birch Foods, the only deal lost to Vercel, $100k) is rejected, then restored."""
    today = dt.date(2026, 11, 2)
    before = (ws.tally("gap").model_dump(), ws.desk.compose("weekly", "2026-W43"), ws.metrics(today, weeks=3))
    assert ws.ask("How many deals did we lose to Vercel?", today).rows == [[1]]
    rejected = ws.reject(3, "a test row from the CRM sandbox", "ana")
    assert rejected.rejected_why == "a test row from the CRM sandbox" and rejected.rejected_at is not None
    firewall = {r.key: r for r in ws.tally("gap").rows}["No firewall"]
    assert (firewall.signals, firewall.lost_deals, firewall.acv_lost_usd) == (2, 0, 0)
    assert ws.ask("How many deals did we lose to Vercel?", today).rows == [[0]]
    assert "Birch Foods" not in ws.desk.compose("weekly", "2026-W43")[1]
    assert "Birch Foods" not in ws.desk.compose("losses", "2026-10")[1]
    assert 3 not in [s.id for s in ws.list_signals()]
    from fieldsignal.store.signals import SignalFilter

    assert [s.id for s in ws.list_signals(SignalFilter(rejected=True))] == [3]
    with pytest.raises(FieldsignalError, match="already rejected"):
        ws.reject(3, "again", "bo")
    with pytest.raises(FieldsignalError, match="say why"):
        ws.reject(4, "  ", "bo")
    ws.restore(3, "bo", "it was a real deal after all")
    after = (ws.tally("gap").model_dump(), ws.desk.compose("weekly", "2026-W43"), ws.metrics(today, weeks=3))
    assert after == before
    trail = ws.show(3)["rejections"]
    assert [(r.action, r.who, r.why) for r in trail] == [
        ("reject", "ana", "a test row from the CRM sandbox"),
        ("restore", "bo", "it was a real deal after all"),
    ]


def test_the_triage_learns_a_signals_latest_review_and_nothing_from_it_while_rejected(ws: Workspace) -> None:
    from fieldsignal.store.review import Fix

    ws.review(3, "ana", Fix(gap="no-user-sessions"))
    ws.review(3, "bo", Fix(gap="no-custom-domains"))  # bo overrules ana: only bo's labels are learnt
    ws.review(4, "ana")
    assert [(e.text, e.gap) for e in ws.labelled()] == [
        ("note 2: Birch Foods no-firewall", "no-custom-domains"),
        ("note 3: Cedar Health fixed-24x7-pricing", "fixed-24x7-pricing"),
    ]
    ws.triage_notes([NoteInput(text="warm: the triage is built")])
    ws.reject(3, "a test row from the CRM sandbox", "ana")
    assert not ws.triage_loaded  # rebuilt at its next use, without the rejected signal's review
    assert [e.text for e in ws.labelled()] == ["note 3: Cedar Health fixed-24x7-pricing"]
    ws.triage_notes([NoteInput(text="warm: the triage is built")])
    ws.reject(5, "not a deal", "ana")  # never reviewed: nothing to unlearn
    assert ws.triage_loaded
    ws.restore(3, "bo")
    assert not ws.triage_loaded and len(ws.labelled()) == 2


def test_reject_and_restore_through_the_cli(ws: Workspace) -> None:
    home = ws.settings.home
    missing = run_cli("reject", "5", home=home)
    assert missing.returncode != 0 and "--why" in missing.stderr
    done = run_cli("reject", "5", "--why", "duplicate paste of a Slack thread", home=home)
    assert done.returncode == 0 and "#5 rejected" in done.stdout, done.stderr
    listed = json.loads(run_cli("list", "--rejected", "--json", home=home).stdout)
    assert [s["id"] for s in listed] == [5] and listed[0]["rejected_why"] == "duplicate paste of a Slack thread"
    again = run_cli("reject", "5", "--why", "x", home=home)
    assert again.returncode == 1 and again.stderr.strip() == (
        "error: signal 5 is already rejected (duplicate paste of a Slack thread)"
    )
    assert run_cli("restore", "5", home=home).returncode == 0
    assert json.loads(run_cli("list", "--rejected", "--json", home=home).stdout) == []
    unknown = run_cli("restore", "999", home=home)
    assert unknown.returncode == 1 and "no signal with id 999" in unknown.stderr


def test_log_filters_read_names_as_people_type_them(ws: Workspace) -> None:
    from fieldsignal.store.signals import SignalFilter

    def ids(**f: str) -> list[int]:
        return sorted(s.id for s in ws.list_signals(SignalFilter(**f)))  # type: ignore[arg-type]

    assert ids(gap="firew") == ids(gap="No firewall") == ids(gap="no-firewall") == [1, 2, 3, 8]
    assert ids(gap="NO GPU CONFIG") == [5, 6]
    assert ids(status="roadmap") == [4] and ids(signal_type="loss") == [3, 9] and ids(category="secur") == [1, 2, 3, 8]
    with pytest.raises(FieldsignalError, match="could be No public URLs without login, No firewall, "):
        ids(gap="no")
    with pytest.raises(FieldsignalError, match="unknown gap 'websockets'"):
        ids(gap="websockets")
    with pytest.raises(FieldsignalError, match="unknown status 'Done'"):
        ids(status="Done")
    bad = run_cli("list", "--gap", "no", home=ws.settings.home)
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1 and "say which" in bad.stderr


def test_the_log_fits_an_80_column_terminal_with_its_excerpts(ws: Workspace) -> None:
    # a terminal's width is read when the process starts: a child process, as a user's shell starts one
    out = run_cli("list", home=ws.settings.home, extra_env={"COLUMNS": "80"}, process=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80 and "Excerpt" in out.stdout
    assert "note 9: Ivy" in out.stdout or "note 9: I…" in out.stdout  # the newest signal's words, cut to fit
