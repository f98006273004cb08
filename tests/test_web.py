"""The web app through HTTP: pages, the JSON API, auth, and writers in parallel with the CLI."""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fieldsignal.settings import load_settings
from fieldsignal.web.app import create_app
from tests.conftest import run_cli

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "X-Fieldsignal-User": "ana"}
NOTE = "Kestrel Bank closed lost, $300k: infosec wanted a WAF in front of the app. They went with Vercel."
NOTE2 = "Orrin Health: security will not sign off without a firewall in front of the claims app."


def client(tmp_path: Path, token: str | None = TOKEN, store_url: str | None = None) -> TestClient:
    """The app on a fresh workspace; with `store_url`, its config file puts the log in that PostgreSQL
    database (so CLI processes on the same folder share it)."""
    home = tmp_path / "ws"
    if store_url:
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.toml").write_text(f'database_url = "{store_url}"\n', encoding="utf-8")
    settings = load_settings(env={}, home=home, embedder="hashing", vectorstore="memory", token=token)
    return TestClient(create_app(settings))


def test_writes_need_an_identity(tmp_path: Path) -> None:
    open_server = client(tmp_path, token=None)
    refused = open_server.post("/api/notes", json={"text": NOTE})
    assert refused.status_code == 401 and "FIELDSIGNAL_TOKEN" in refused.json()["detail"]
    app = client(tmp_path / "b")
    assert app.post("/api/notes", json={"text": NOTE}).status_code == 401
    assert app.post("/api/notes", json={"text": NOTE}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert app.get("/api/signals").status_code == 200  # reads are open
    forged = app.post("/api/notes", json={"text": NOTE}, headers={"X-Forwarded-Email": "dana@example.com"})
    assert forged.status_code == 401  # outside the Databricks Apps runtime anyone can send that header
    settings = load_settings(
        env={"DATABRICKS_APP_NAME": "fieldsignal", "DATABRICKS_APP_PORT": "8000"},
        home=tmp_path / "c",
        embedder="hashing",
        vectorstore="memory",
    )
    in_app = TestClient(create_app(settings))
    databricks = in_app.post("/api/notes", json={"text": NOTE}, headers={"X-Forwarded-Email": "dana@example.com"})
    assert databricks.status_code == 200
    signal = databricks.json()["signals"][0]
    assert signal["author"] == "dana@example.com"


def test_the_api_mirrors_the_cli(tmp_path: Path, store_url: str | None) -> None:
    app = client(tmp_path, store_url=store_url)
    added = app.post("/api/notes", json={"text": NOTE}, headers=AUTH).json()
    (signal,) = added["signals"]
    assert added["report"]["signal_ids"] == [signal["id"]] and "signals" not in added["report"]
    sid = signal["id"]
    assert app.post("/api/notes", json={"text": NOTE, "extra": 1}, headers=AUTH).status_code == 422
    assert app.post("/api/notes", json={"text": ""}, headers=AUTH).status_code == 422
    changed = app.post(f"/api/signals/{sid}/status", json={"status": "Escalated", "ticket": "PM-9"}, headers=AUTH)
    assert changed.status_code == 200 and changed.json()["who"] == "ana"
    history = app.get(f"/api/signals/{sid}").json()["history"]
    assert [(h["status"], h["who"]) for h in history][-1] == ("Escalated", "ana")
    assert app.post(f"/api/signals/{sid}/status", json={"status": "Done"}, headers=AUTH).status_code == 422
    fixed = app.post(f"/api/review/{sid}/fix", json={"gap": "no-firewall", "signal_type": "Loss"}, headers=AUTH)
    assert fixed.status_code == 200 and fixed.json()["decided_by"] == "human"
    assert app.get("/api/signals/999").status_code == 404
    tally = app.get("/api/tally", params={"by": "gap"}).json()
    assert tally["rows"][0]["key"] == "No firewall"
    answer = app.post("/api/ask", json={"question": "how many deals did we lose to vercel", "today": "2026-11-25"})
    assert answer.json()["rows"] == [[1]] and answer.json()["signal_ids"] == [sid]
    paths = app.get("/openapi.json").json()["paths"]
    assert {"/api/notes", "/api/ask", "/api/drafts/{draft_id}/publish"} <= set(paths)


def test_drafts_through_the_api(tmp_path: Path, store_url: str | None) -> None:
    app = client(tmp_path, store_url=store_url)
    (sid,) = app.post("/api/notes", json={"text": NOTE, "date": "2026-10-20"}, headers=AUTH).json()["report"][
        "signal_ids"
    ]
    app.post(f"/api/review/{sid}/fix", json={"gap": "no-firewall", "signal_type": "Loss"}, headers=AUTH)
    draft = app.post("/api/memos", json={"kind": "weekly", "period": "2026-W43"}, headers=AUTH).json()
    assert "No firewall" in draft["versions"][-1]["body"]
    app.post("/login", data={"token": TOKEN, "name": "ana"})
    empty = app.post("/memos", data={"kind": "weekly", "period": "2026-W40"})  # the page's form: what it says
    assert "drafted v1; 2026-W40 holds no signals; the latest is dated 2026-10-20, in 2026-W43" in empty.text
    did = draft["id"]
    cited = re.findall(r"#(\d+)", draft["versions"][-1]["body"])
    page = app.get(f"/drafts/{did}").text
    assert cited and all(f'<a href="/signals/{i}"' in page for i in cited)  # every citation opens its signal
    assert app.post(f"/api/drafts/{did}/publish", headers=AUTH).status_code == 422
    assert "Approve v1" in page and "disabled" in page  # a draft: approve it; publish waits
    assert app.post(f"/api/drafts/{did}/approve", headers=AUTH).json()["approved_by"] == "ana"
    page = app.get(f"/drafts/{did}").text
    assert "Publish v1" in page and "Approve v1" not in page  # approved: publish it
    published = app.post(f"/api/drafts/{did}/publish", headers=AUTH).json()
    assert published["draft"]["status"] == "published" and len(published["files"]) == 3
    page = app.get(f"/drafts/{did}").text
    assert "Published v1" in page and "<button" not in page.split("<article")[0].split("<h1")[1]  # done: no buttons
    again = app.post(f"/api/drafts/{did}/publish", headers=AUTH)
    assert again.status_code == 422 and "already published" in again.json()["detail"]


def test_pages_render_and_escape_what_people_paste(tmp_path: Path, store_url: str | None) -> None:
    app = client(tmp_path, store_url=store_url)
    hostile = "Acme Retail <script>alert('x')</script> wants a custom domain for the app"
    app.post("/api/notes", json={"text": hostile}, headers=AUTH)
    for path in ("/", "/review", "/signals", "/dashboard", "/drafts", "/ask?q=top+gaps+by+signals", "/login"):
        page = app.get(path)
        assert page.status_code == 200, path
        assert "<script>alert" not in page.text, path
    assert "&lt;script&gt;" in app.get("/signals").text or "&lt;script&gt;" in app.get("/review").text
    assert "<svg" in app.get("/dashboard").text


def test_the_paste_form_signs_in_and_triages(tmp_path: Path) -> None:
    app = client(tmp_path)
    anonymous = app.post("/notes", data={"text": NOTE}, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    login_page = app.get(anonymous.headers["location"]).text
    assert "Your paste is kept" in login_page
    pending = re.search(r'name="pending" value="([^"]+)"', login_page)
    assert pending
    back = app.post("/login", data={"token": TOKEN, "name": "ana", "pending": pending.group(1)})
    assert back.url.path == "/" and NOTE in back.text  # the paste is back in the box, not lost
    assert "signed in as ana" in back.text
    app.cookies.clear()
    wrong = app.post("/login", data={"token": "nope", "name": "ana"}, follow_redirects=False)
    assert "err=" in wrong.headers["location"]
    app.post("/login", data={"token": TOKEN, "name": "ana"})
    page = app.post("/notes", data={"text": NOTE})
    assert page.status_code == 200 and "Kestrel Bank" in page.text and "signal(s) added" in page.text


def test_server_and_cli_write_at_the_same_time(tmp_path: Path, store_url: str | None) -> None:
    app = client(tmp_path, store_url=store_url)
    home = tmp_path / "ws"
    results: list[int] = []

    def post(i: int) -> None:
        text = f"Customer{i} Labs needs a WAF in front of app {i} before go-live"
        results.append(app.post("/api/notes", json={"text": text}, headers=AUTH).status_code)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    cli = run_cli("add", "Zephyr Mining wants the app on ops.zephyr.com", home=home)
    for t in threads:
        t.join()
    assert cli.returncode == 0, cli.stderr
    assert results == [200] * 6
    stored = " | ".join(s["excerpt"] for s in app.get("/api/signals").json())  # every note, whoever wrote it
    assert all(f"Customer{i} Labs needs a WAF in front of app {i}" in stored for i in range(6))
    assert "Zephyr Mining wants the app on ops.zephyr.com" in stored


@pytest.mark.parametrize("path", ["/drafts/999", "/review/abc/accept"])
def test_bad_paths_give_a_clear_answer(tmp_path: Path, path: str) -> None:
    app = client(tmp_path)
    response = app.get(path) if "drafts" in path else app.post(path, headers=AUTH)
    assert response.status_code in (200, 404, 405, 422)
    if response.status_code == 200:
        assert "no draft 999" in response.text


def test_dropped_files_are_read_like_an_import(tmp_path: Path) -> None:
    app = client(tmp_path)
    eml = (
        b"From: Dana <dana@example.com>\r\nSubject: Wren Foods\r\nDate: Tue, 20 Oct 2026 10:00:00 +0000\r\n\r\n"
        b"Wren Foods wants the app on their own domain, reports.wrenfoods.com, with their cert.\r\n"
    )
    files = [
        ("files", ("call.txt", b"Harbor Bank needs a WAF in front of the app", "text/plain")),
        ("files", ("mail.eml", eml, "message/rfc822")),
        ("files", ("broken.pdf", b"%PDF-1.4", "application/pdf")),
    ]
    page = app.post("/files", files=files, headers=AUTH)
    assert page.status_code == 200
    assert "2 note(s)" in page.text and "unsupported file type .pdf" in page.text
    stored = {s["excerpt"] for s in app.get("/api/signals").json()}
    assert "Harbor Bank needs a WAF in front of the app" in stored
    assert any(e.startswith("Wren Foods wants the app on their own domain") for e in stored)  # the body, not headers


def test_the_server_loads_the_model_at_start_up_and_says_when_it_is_ready(tmp_path: Path) -> None:
    import time

    app = create_app(load_settings(env={}, home=tmp_path / "ws", embedder="hashing", vectorstore="memory"))
    assert not app.state.workspace.triage_loaded
    with TestClient(app) as web:  # the lifespan runs: start-up work begins
        deadline = time.monotonic() + 120
        while not web.get("/healthz").json()["ready"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert web.get("/healthz").json() == {"status": "ok", "ready": True}
        assert app.state.workspace.triage_loaded  # loaded before any paste asked for it


def test_the_running_server_learns_a_burst_of_reviews_once_before_the_next_paste(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from fieldsignal.web import app as served

    monkeypatch.setattr(served, "RELEARN_SECONDS", 1.0)  # the server's pause after a burst (2 s), shortened
    app = create_app(load_settings(env={}, home=tmp_path / "ws", embedder="hashing", vectorstore="memory", token=TOKEN))
    parts = app.state.workspace.parts
    builds: list[int] = []
    build = parts.build_triage

    def counted(progress: object = None) -> object:
        builds.append(len(parts.labelled()))  # the corrections this build learns
        return build()

    parts.build_triage = counted
    with TestClient(app) as web:
        while not web.get("/healthz").json()["ready"]:
            time.sleep(0.05)
        ids = [web.post("/api/notes", json={"text": t}, headers=AUTH).json()["signals"][0]["id"] for t in (NOTE, NOTE2)]
        fix = {"gap": "no-firewall", "signal_type": "Loss"}
        for sid in ids:  # a burst: learnt once, after the last review
            assert web.post(f"/api/review/{sid}/fix", json=fix, headers=AUTH).status_code == 200
        assert not parts.triage_loaded
        deadline = time.monotonic() + 60
        while not parts.triage_loaded and time.monotonic() < deadline:
            time.sleep(0.05)
        assert parts.triage_loaded and builds == [0, 2]  # at start-up, then once with both reviews
        assert len(parts.triage.model.memory) == 2
        web.post("/api/notes", json={"text": "Lumen Retail needs a WAF too"}, headers=AUTH)
        assert builds == [0, 2]  # the paste did not wait for a build
    parts.forget_triage()  # the server stopped: the next use learns it, no worker does
    time.sleep(1.5)
    assert not parts.triage_loaded and builds == [0, 2]


def test_a_paste_is_answered_before_its_signal_reaches_the_index(tmp_path: Path) -> None:
    from fieldsignal.vectorstore import writers
    from fieldsignal.vectorstore.index import SIGNALS

    settings = load_settings(env={}, home=tmp_path / "ws", embedder="hashing", vectorstore="chroma", token=TOKEN)
    app = create_app(settings)
    ws = app.state.workspace
    index = ws.index  # opened (and empty)
    gate, upsert = threading.Event(), index.upsert

    def slow_upsert(*args: object, **kwargs: object) -> None:
        assert gate.wait(60)
        upsert(*args, **kwargs)

    index.upsert = slow_upsert
    with TestClient(app) as web:
        added = web.post("/api/notes", json={"text": NOTE}, headers=AUTH)
        assert added.status_code == 200  # answered while the index write is still held up
        sid = str(added.json()["signals"][0]["id"])
        assert sid not in index.ids(SIGNALS)
        with writers.checking(settings.home) as quiet:
            assert not quiet  # meanwhile another process sees a writer at work, not a hole in the index
        gate.set()
        ws.settle_index()
        assert sid in index.ids(SIGNALS)
        with writers.checking(settings.home) as quiet:
            assert quiet  # the writer's lock went with the index write
        listed = web.get("/api/signals").json()
        assert [str(s["id"]) for s in listed] == [sid]


def test_the_signal_page_edits_every_field_and_rejects(tmp_path: Path, store_url: str | None) -> None:
    app = client(tmp_path, store_url=store_url)
    (signal,) = app.post("/api/notes", json={"text": NOTE}, headers=AUTH).json()["signals"]
    sid = signal["id"]
    app.post("/login", data={"token": TOKEN, "name": "ana"})
    page = app.get(f"/signals/{sid}")
    assert page.status_code == 200 and "<mark>" in page.text and "Kestrel Bank" in page.text
    assert f'href="/signals/{sid}"' in app.get("/signals").text  # the log links every id
    form = {"signal_type": "Loss", "gap": "no-firewall", "customer": "Kestrel Bank plc", "industry": "FSI",
            "archetype": "", "competitor": "Vercel", "lost": "yes", "acv": "$310,000", "new_gap": ""}  # fmt: skip
    saved = app.post(f"/signals/{sid}/edit", data=form)
    assert saved.status_code == 200 and "saved:" in saved.text
    after = app.get(f"/api/signals/{sid}").json()["signal"]
    assert (after["customer"], after["industry"], after["acv_usd"], after["decided_by"]) == (
        "Kestrel Bank plc", "FSI", 310_000, "human")  # fmt: skip
    assert "nothing changed" in app.post(f"/signals/{sid}/edit", data=form).text
    bad = app.post(f"/signals/{sid}/edit", data={**form, "industry": "Crypto"})
    assert "unknown industry" in bad.text
    status = app.post(f"/signals/{sid}/status", data={"status": "Roadmap", "ticket": "PM-5", "why": "Q1",
                                                      "back": f"/signals/{sid}"})  # fmt: skip
    assert status.url.path == f"/signals/{sid}" and "PM-5: Q1" in status.text
    assert "say why" in app.post(f"/signals/{sid}/reject", data={"why": " "}).text
    rejected = app.post(f"/signals/{sid}/reject", data={"why": "test data"})
    assert "Rejected as not a signal (test data)" in rejected.text
    assert app.get("/api/tally", params={"by": "gap"}).json()["total_signals"] == 0
    assert "Restore" in rejected.text and "restored" in app.post(f"/signals/{sid}/restore", data={}).text
    assert app.get("/api/tally", params={"by": "gap"}).json()["total_signals"] == 1
    api = app.post(f"/api/signals/{sid}/reject", json={"why": "again"}, headers=AUTH)
    assert api.status_code == 200 and api.json()["rejected_why"] == "again"
    assert app.post(f"/api/signals/{sid}/restore", json={}, headers=AUTH).json()["rejected_at"] is None
    assert app.get("/signals/99999").url.path == "/signals"  # an unknown id: back to the log, with why


def test_the_log_is_an_inbox_search_filter_sort_and_act_in_bulk(tmp_path: Path, store_url: str | None) -> None:
    app = client(tmp_path, store_url=store_url)
    notes = [
        ("Kestrel Bank needs a WAF in front of the app, $300k", "2026-10-20"),
        ("Osprey Rail wants private link to their VPC, 120k", "2026-10-22"),
        ("hello, testing the paste box", "2026-10-23"),
    ]
    ids = [app.post("/api/notes", json={"text": t, "date": d}, headers=AUTH).json()["report"]["signal_ids"][0]
           for t, d in notes]  # fmt: skip
    app.post("/login", data={"token": TOKEN, "name": "ana"})
    found = app.get("/signals", params={"q": "vpc osprey"}).text
    assert f'href="/signals/{ids[1]}"' in found and f'href="/signals/{ids[0]}"' not in found
    dated = app.get("/signals", params={"since": "2026-10-21", "until": "2026-10-22"}).text
    assert f'href="/signals/{ids[1]}"' in dated and f'href="/signals/{ids[0]}"' not in dated
    by_date = app.get("/signals", params={"sort": "date", "dir": "asc"}).text
    assert by_date.index(f'href="/signals/{ids[0]}"') < by_date.index(f'href="/signals/{ids[2]}"')
    newest_first = app.get("/signals").text
    assert newest_first.index(f'href="/signals/{ids[2]}"') < newest_first.index(f'href="/signals/{ids[0]}"')
    assert "sort=acv" in newest_first  # every sortable header links its order
    assert "dates are written 2026-10-31" in app.get("/signals", params={"since": "yesterday"}).text
    refused = app.post("/signals/bulk", data={"ids": [str(ids[2])], "action": "reject", "why": ""})
    assert "say why" in refused.text
    rejected = app.post("/signals/bulk", data={"ids": [str(ids[2])], "action": "reject", "why": "a test paste"})
    assert "1 signal(s): reject" in rejected.text and f'href="/signals/{ids[2]}"' not in rejected.text
    moved = app.post("/signals/bulk", data={"ids": [str(i) for i in ids[:2]], "action": "status:Escalated",
                                            "why": "FSI push"})  # fmt: skip
    assert "2 signal(s): → Escalated" in moved.text
    assert [app.get(f"/api/signals/{i}").json()["signal"]["status"] for i in ids[:2]] == ["Escalated"] * 2
    accepted = app.post("/signals/bulk", data={"ids": [str(i) for i in ids[:2]], "action": "accept"})
    assert "2 signal(s): accept" in accepted.text
    assert app.get("/api/review").json() == []


def test_dashboard_bars_open_the_signals_behind_them(tmp_path: Path) -> None:
    app = client(tmp_path)
    (sid,) = app.post("/api/notes", json={"text": NOTE}, headers=AUTH).json()["report"]["signal_ids"]
    fix = {"gap": "no-firewall", "signal_type": "Loss", "competitor": "Vercel", "acv_usd": 300_000}
    app.post(f"/api/review/{sid}/fix", json=fix, headers=AUTH)
    page = app.get("/dashboard").text
    for link in ("/signals?gap=No+firewall", "/signals?competitor=Vercel&amp;lost=yes", "/signals?category=Security"):
        assert f'href="{link}"' in page, link
        assert f'href="/signals/{sid}"' in app.get(link.replace("&amp;", "&")).text


def test_a_page_per_gap_and_proposals_settled_in_the_browser(tmp_path: Path, store_url: str | None) -> None:
    app = client(tmp_path, store_url=store_url)
    texts = (NOTE, "Osprey Rail: live quotes need websockets", "Quill Media chat widget needs a socket")
    ids = [app.post("/api/notes", json={"text": t}, headers=AUTH).json()["report"]["signal_ids"][0] for t in texts]
    app.post(f"/api/review/{ids[0]}/fix", json={"gap": "no-firewall", "signal_type": "Loss", "acv_usd": 300_000},
             headers=AUTH)  # fmt: skip
    app.post(f"/api/signals/{ids[0]}/status", json={"status": "Escalated", "ticket": "PM-9"}, headers=AUTH)
    for sid in ids[1:]:
        app.post(f"/api/review/{sid}/fix", json={"gap": "new: websockets"}, headers=AUTH)
    page = app.get("/gaps/firew").text  # a gap by the start of its name
    assert "<h1>No firewall" in page and "Escalated" in page and "PM-9" in page and "$300,000" in page
    assert f'href="/signals/{ids[0]}"' in page and "Kestrel Bank" in page
    listing = app.get("/gaps").text
    assert 'href="/gaps/no-firewall"' in listing and "websockets" in listing
    proposal = re.search(r'action="/gaps/proposals/(N\d+)/promote"', listing)
    assert proposal
    app.post("/login", data={"token": TOKEN, "name": "ana"})
    form = {"name": "No websocket support", "category": "Customization", "use_case": "live apps"}
    done = app.post(f"/gaps/proposals/{proposal.group(1)}/promote", data=form)
    assert done.url.path == "/gaps/no-websocket-support" and "is a known gap now" in done.text
    assert app.get(f"/api/signals/{ids[1]}").json()["signal"]["gap"] == "no-websocket-support"
    assert "unknown gap" in app.get("/gaps/teleportation").text


def test_same_signal_is_asked_side_by_side_and_answered_in_the_browser(tmp_path: Path) -> None:
    app = client(tmp_path)
    first = "Helix Bank: security blocks the claims portal, no WAF or IP allow-list in front of Apps."
    later = "Orbis Freight wants a partner portal on Apps but needs a firewall and allow-listing first."
    (a,) = app.post("/api/notes", json={"text": first}, headers=AUTH).json()["signals"]
    (b,) = app.post("/api/notes", json={"text": later}, headers=AUTH).json()["signals"]
    workspace = app.app.state.workspace  # type: ignore[attr-defined]
    if b["duplicate_of"]:
        workspace.unmerge(b["id"])
    if b["id"] not in workspace.duplicate_questions():  # the scorer did not ask: ask as it would
        from fieldsignal.store import duplicates

        with workspace.store(write=True) as con:
            duplicates.suggest(con, [(b["id"], a["id"], 0.4)], dt.datetime(2026, 11, 3))
    app.post("/login", data={"token": TOKEN, "name": "ana"})
    page = app.get("/review").text
    assert f'id="same-{b["id"]}"' in page and "Helix Bank: security" in page and "Orbis Freight wants" in page
    same = app.post(f"/review/{b['id']}/same", data={"of": str(a["id"])})
    assert same.status_code == 200 and f"#{b['id']} counts once, as #{a['id']}" in same.text
    assert app.get(f"/api/signals/{b['id']}").json()["signal"]["duplicate_of"] == a["id"]
    signal_page = app.get(f"/signals/{b['id']}").text
    assert "Unmerge" in signal_page
    undone = app.post(f"/signals/{b['id']}/unmerge")
    assert "counts on its own again" in undone.text
    assert app.get(f"/api/signals/{b['id']}").json()["signal"]["duplicate_of"] is None
    assert "not linked as a duplicate" in app.post(f"/signals/{b['id']}/unmerge").text
    api = app.post(f"/api/review/{b['id']}/same", json={"of": a["id"]}, headers=AUTH)
    assert api.status_code == 200 and api.json()["duplicate_of"] == a["id"]
    assert app.post(f"/api/signals/{b['id']}/unmerge", headers=AUTH).json()["was_duplicate_of"] == a["id"]
    refused = app.post(f"/api/signals/{b['id']}/unmerge", headers=AUTH)
    assert refused.status_code >= 400 and "not linked as a duplicate" in refused.text
    assert app.post(f"/api/review/{b['id']}/distinct", json={"of": a["id"]}, headers=AUTH).status_code == 200
